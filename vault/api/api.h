/*
 * Route handlers of the vault's HTTP API. The one route table that binds
 * them to methods, paths and auth classes is in routes.c.
 */
#ifndef BOS_API_H
#define BOS_API_H

#include <stddef.h>
#include "http/http.h"

/* api_health.c */
int api_health(struct vault *v, struct http_req *r);
int api_metrics(struct vault *v, struct http_req *r);

/* api_auth.c */
int api_auth_login(struct vault *v, struct http_req *r);   /* POST /auth/login */
int api_auth_totp(struct vault *v, struct http_req *r);    /* POST /auth/totp */
int api_auth_logout(struct vault *v, struct http_req *r);  /* POST /auth/logout */
int api_auth_whoami(struct vault *v, struct http_req *r);  /* GET /auth/session */
int api_admin_create(struct vault *v, struct http_req *r); /* POST /admins (local, first admin) */
int api_admin_add(struct vault *v, struct http_req *r);    /* POST /admins/{name} (signed in) */
int api_admin_list(struct vault *v, struct http_req *r);   /* GET /admins */
int api_admin_reset(struct vault *v, struct http_req *r);  /* POST /admins/{name}/reset */
/*
 * The signed-in admin's fresh TOTP code confirming an action (approve, pick
 * up): 0 accepted; 1 refused and answered (403 totp_invalid, totp_replayed,
 * 429 locked), -1 error. Without the lock, outside any transaction.
 */
int api_auth_totp_fresh(struct vault *v, struct http_req *r, const char *totp) BOS_WUR;

/* api_cred.c */
int api_cred_create(struct vault *v, struct http_req *r);  /* POST /credentials */
int api_cred_list(struct vault *v, struct http_req *r);    /* GET /credentials */
int api_cred_get(struct vault *v, struct http_req *r);     /* GET /credentials/{id} */
int api_cred_update(struct vault *v, struct http_req *r);  /* PUT /credentials/{id} */
int api_cred_revoke(struct vault *v, struct http_req *r);  /* DELETE /credentials/{id} */
int api_cred_versions(struct vault *v, struct http_req *r); /* GET /credentials/{id}/versions */
/*
 * The secret of version (0: current) of credential id, read exactly as GET
 * /credentials/{id} reads it (POST /leases uses it): the stored blobs copied
 * in the caller's transaction, the HSM's part without the database lock
 * (http_req_pause), the read marked for the stale report. For an AUDIT_TXN
 * handler that has decided the read. *secret is wiped and freed by the
 * caller (secmem_freezero).
 */
int api_cred_decrypt(struct vault *v, struct http_req *r, const char *id, uint32_t version,
    uint8_t **secret, size_t *len, struct bos_err *err) BOS_WUR;
struct cred_meta;
/* What may be shown of a credential (no secret), as GET /credentials lists it. */
json_t *api_cred_meta_json(const struct cred_meta *m);
/* Put the secret into o as "secret" (UTF-8) or "secret_base64". 0 or -1. */
int api_cred_put_secret(json_t *o, const uint8_t *secret, size_t len) BOS_WUR;
/*
 * At start-up: log a warning for each credential stored under a name that a
 * route shadows ("audit" from before such names were refused): it is still
 * reached by its id. Takes the database lock.
 */
void api_cred_warn_reserved(struct vault *v);

/* api_helper.c: helpers and their grants */
int api_helper_create(struct vault *v, struct http_req *r); /* POST /helpers */
int api_helper_list(struct vault *v, struct http_req *r);   /* GET /helpers */
int api_helper_revoke(struct vault *v, struct http_req *r); /* DELETE /helpers/{id} */
int api_grant_create(struct vault *v, struct http_req *r);  /* POST /credentials/grant */
int api_grant_list(struct vault *v, struct http_req *r);    /* GET /grants */
int api_grant_revoke(struct vault *v, struct http_req *r);  /* DELETE /grants/{accessor} */

/* api_pickup.c: a grant's token picked up once (docs/MCP.md "Vault: grant pickup") */
int api_grant_pickup(struct vault *v, struct http_req *r);  /* POST /grants/{accessor}/pickup */

/* api_broker.c: brokers (docs/BROKERS.md "Principals: brokers") */
int api_broker_create(struct vault *v, struct http_req *r); /* POST /brokers */
int api_broker_list(struct vault *v, struct http_req *r);   /* GET /brokers */
int api_broker_revoke(struct vault *v, struct http_req *r); /* DELETE /brokers/{id} */
/* At start-up: warn when the role file has none of the broker roles (outreach ...). */
struct policy_set;
void api_broker_warn_roles(const struct policy_set *ps);

/* api_lease.c: leases of secrets to brokers (docs/BROKERS.md "Leases") */
int api_lease_create(struct vault *v, struct http_req *r);  /* POST /leases (broker) */
int api_lease_list(struct vault *v, struct http_req *r);    /* GET /leases */
int api_lease_end(struct vault *v, struct http_req *r);     /* DELETE /leases/{id} */

/* api_job.c: the job queue (docs/BROKERS.md "Jobs") */
int api_job_create(struct vault *v, struct http_req *r);    /* POST /jobs */
int api_job_list(struct vault *v, struct http_req *r);      /* GET /jobs */
int api_job_get(struct vault *v, struct http_req *r);       /* GET /jobs/{id} */
int api_job_claim(struct vault *v, struct http_req *r);     /* POST /jobs/claim (broker) */
int api_job_heartbeat(struct vault *v, struct http_req *r); /* POST /jobs/{id}/heartbeat */
int api_job_complete(struct vault *v, struct http_req *r);  /* POST /jobs/{id}/complete */
int api_job_fail(struct vault *v, struct http_req *r);      /* POST /jobs/{id}/fail */

/* api_budget.c: budgets and the cost report (docs/BROKERS.md "Spend and budgets") */
int api_budget_list(struct vault *v, struct http_req *r);   /* GET /budgets */
int api_budget_set(struct vault *v, struct http_req *r);    /* PUT /budgets/{service} (or total) */
int api_budget_resume(struct vault *v, struct http_req *r); /* POST /budgets/{service}/resume */
int api_cost_read(struct vault *v, struct http_req *r);     /* GET /outreach/cost */
/*
 * What an approved approval runs (api_approval.c), with the parameters stored
 * when it was asked for, as admin by, under the database lock in the
 * approving request's transaction: the checks of the route again (its
 * policy question for the approving admin, the budget's rules), then the
 * change. 0 with *result (the budget as GET /budgets shows it); 1 refused,
 * with the refusal's status, code and message in *fail; -1 error (err).
 */
struct api_refusal {
	unsigned status;
	char code[32];
	char msg[256];
};
int api_budget_set_approved(struct vault *v, struct http_req *r, const json_t *params,
    json_t **result, struct api_refusal *fail, struct bos_err *err) BOS_WUR;
int api_budget_resume_approved(struct vault *v, struct http_req *r, const json_t *params,
    json_t **result, struct api_refusal *fail, struct bos_err *err) BOS_WUR;

/* api_approval.c: approvals (docs/MCP.md "Vault: approvals") */
int api_approval_list(struct vault *v, struct http_req *r);    /* GET /approvals */
int api_approval_get(struct vault *v, struct http_req *r);     /* GET /approvals/{id} */
int api_approval_approve(struct vault *v, struct http_req *r); /* POST /approvals/{id}/approve */
int api_approval_reject(struct vault *v, struct http_req *r);  /* POST /approvals/{id}/reject */
/*
 * Ask for an approval instead of doing an action (an AUDIT_TXN handler, under
 * the lock): kind, its params (stolen) and the summary a person reads; the
 * answer 202 {approval} is queued and the audit reason names it. 0 answered,
 * -1 error.
 */
int api_approval_ask(struct vault *v, struct http_req *r, const char *kind, json_t *params,
    const char *summary) BOS_WUR;

/* api_outreach_campaign.c: campaigns (docs/OUTREACH.md "Campaigns") */
int api_outreach_email(struct vault *v, struct http_req *r);          /* POST /outreach/email */
int api_outreach_sms(struct vault *v, struct http_req *r);            /* POST /outreach/sms */
int api_outreach_campaign_list(struct vault *v, struct http_req *r);  /* GET /outreach/campaigns */
int api_outreach_campaign_get(struct vault *v, struct http_req *r);   /* GET .../campaigns/{id} */
int api_outreach_campaign_start(struct vault *v, struct http_req *r); /* POST .../{id}/start */
int api_outreach_campaign_pause(struct vault *v, struct http_req *r); /* POST .../{id}/pause */
int api_outreach_campaign_resume(struct vault *v, struct http_req *r); /* POST .../{id}/resume */
int api_outreach_campaign_cancel(struct vault *v, struct http_req *r); /* POST .../{id}/cancel */
/* api_outreach_ad.c: ads (docs/ADS.md) */
int api_outreach_ad_create(struct vault *v, struct http_req *r);   /* POST /outreach/ad */
int api_outreach_ad_list(struct vault *v, struct http_req *r);     /* GET /outreach/ads */
int api_outreach_ad_get(struct vault *v, struct http_req *r);      /* GET /outreach/ads/{id} */
int api_outreach_ad_pause(struct vault *v, struct http_req *r);    /* POST .../{id}/pause */
int api_outreach_ad_resume(struct vault *v, struct http_req *r);   /* POST .../{id}/resume */
int api_outreach_ad_job_get(struct vault *v, struct http_req *r);  /* GET /outreach/ad-jobs/{job} */
int api_outreach_ad_job_step(struct vault *v, struct http_req *r); /* POST .../{job}/step */
/* api_outreach_send.c: the outreach broker's routes (docs/OUTREACH.md "Sending") */
int api_outreach_send_get(struct vault *v, struct http_req *r);     /* GET /outreach/sends/{job} */
int api_outreach_send_sending(struct vault *v, struct http_req *r); /* POST .../{job}/sending */
int api_outreach_send_sent(struct vault *v, struct http_req *r);    /* POST .../{job}/sent */
int api_outreach_track(struct vault *v, struct http_req *r);        /* POST /outreach/track */
/* api_alert.c: alerts (docs/BROKERS.md "Alerts") */
int api_alert_list(struct vault *v, struct http_req *r);    /* GET /alerts */
int api_alert_ack(struct vault *v, struct http_req *r);     /* POST /alerts/{id}/ack */
int api_alert_resolve(struct vault *v, struct http_req *r); /* POST /alerts/{id}/resolve */

/*
 * api_outreach_list.c: contact lists and the suppression list (docs/OUTREACH.md
 * "Contacts and lists"), admins only
 */
int api_outreach_list_create(struct vault *v, struct http_req *r);   /* POST /outreach/lists */
int api_outreach_list_append(struct vault *v, struct http_req *r);   /* POST .../{id}/contacts */
int api_outreach_list_list(struct vault *v, struct http_req *r);     /* GET /outreach/lists */
int api_outreach_list_get(struct vault *v, struct http_req *r);      /* GET .../lists/{id} */
int api_outreach_list_contacts(struct vault *v, struct http_req *r); /* GET .../{id}/contacts */
/* GET, POST /outreach/suppressions and DELETE /outreach/suppressions/{address} */
int api_outreach_suppression_list(struct vault *v, struct http_req *r);
int api_outreach_suppression_add(struct vault *v, struct http_req *r);
int api_outreach_suppression_delete(struct vault *v, struct http_req *r);

/* api_outreach_event.c: provider events (docs/OUTREACH.md "Events") and stats */
int api_outreach_events(struct vault *v, struct http_req *r); /* POST /outreach/events (broker) */
int api_outreach_stats(struct vault *v, struct http_req *r);  /* GET /outreach/stats */

/* api_audit.c: the audit trail (admins only) */
int api_audit_list(struct vault *v, struct http_req *r);    /* GET /credentials/audit */
int api_audit_export(struct vault *v, struct http_req *r);  /* GET /credentials/audit/export */
int api_audit_pubkey(struct vault *v, struct http_req *r);  /* GET /credentials/audit/pubkey */

/*
 * api_policy.c: ask the policy engine whether the caller may do action
 * (one POLICY_* bit) on path (id: the object's id, or NULL). 0 when allowed;
 * otherwise the 403 with the reason (or the error) was answered and the
 * result is 1, or -1 when even that failed. A denial is logged, and its
 * reason is the audit record's.
 */
int api_allow(struct vault *v, struct http_req *r, unsigned action, const char *path,
    const char *id) BOS_WUR;
/*
 * The decision alone, answering nothing (an approval re-asks the question of
 * the route it stands for, for the approving admin): 0 with *d, -1 error.
 * Admins only: anyone else is denied.
 */
struct policy_decision;
int api_allow_decide(struct vault *v, struct http_req *r, unsigned action, const char *path,
    struct policy_decision *d, struct bos_err *err) BOS_WUR;
/* The same for an AUDIT_OFF route: a denial writes its own audit record first. */
int api_allow_unaudited(struct vault *v, struct http_req *r, unsigned action,
    const char *path) BOS_WUR;

/*
 * Log a warning for each route the admin role may not use (from the local
 * socket) under ps: a role file written before the route existed, or a
 * deny that is meant, either way the operator should know at start.
 */
struct policy_set;
void api_policy_warn(const struct policy_set *ps);

/* routes.c */
extern const struct http_route api_routes[];
extern const size_t api_routes_n;

/*
 * What each route asks the policy engine (docs/POLICY.md "Routes"): one
 * entry per route of api_routes, by name. action is a policy action name
 * and resource the path asked about, with {name} for the parts taken from
 * the request; both NULL for the routes that ask nothing (signing in, the
 * first admin, /health), with why in exempt.
 */
struct api_route_policy {
	const char *route;            /* http_route.name */
	const char *action;           /* "read", "list", ...; NULL: exempt */
	const char *resource;         /* "admins/{name}", "audit", ...; NULL: exempt */
	const char *exempt;           /* why a route asks nothing; NULL otherwise */
};
extern const struct api_route_policy api_route_policies[];
extern const size_t api_route_policies_n;

#endif
