/*
 * The route table: every path the vault serves, who may call it, and which
 * body fields and query parameters it accepts, and how its audit record is
 * written (http.h, enum route_audit). Anything not listed here is 404
 * (unknown path) or 405 (known path, other method), with no audit record.
 */
#include "api/api.h"
#include "compiler.h"

static const char *const f_login[] = { "name", "password", "totp", "recovery_code", NULL };
static const char *const f_totp[] = { "totp", NULL };
static const char *const f_none[] = { NULL };
static const char *const f_admin_create[] = { "name", "password", NULL };
static const char *const f_admin_add[] = { "password", "totp", NULL };
static const char *const f_cred_create[] = { "name", "type", "service", "secret", "metadata", NULL };
static const char *const f_cred_update[] = { "secret", NULL };
static const char *const q_cred_list[] = { "service", "type", "stale", NULL };
static const char *const f_helper_create[] = { "name", "contact", "kind", NULL };
static const char *const f_grant_create[] = { "helper", "credentials", "actions", "ttl", "max_uses",
	"cidrs", "note", "delivery", NULL };
static const char *const q_grant_list[] = { "helper", "state", NULL };
static const char *const q_cred_get[] = { "version", NULL };
static const char *const f_budget_set[] = { "daily", "monthly", "currency", NULL };
static const char *const q_cost[] = { "day", "from", "to", NULL };
static const char *const q_alert_list[] = { "state", NULL };
static const char *const q_approval_list[] = { "state", NULL };
static const char *const f_broker_create[] = { "role", "name", NULL };
static const char *const f_lease_create[] = { "credential", "purpose", "job", "ttl", NULL };
static const char *const f_job_create[] = { "kind", "service", "credential", "params",
	"idempotency_key", "estimate", "max_attempts", NULL };
static const char *const q_job_list[] = { "state", "kind", NULL };
static const char *const f_job_claim[] = { "kinds", "wait", NULL };
static const char *const f_job_heartbeat[] = { "claim", NULL };
static const char *const f_job_complete[] = { "claim", "result", "spend", NULL };
static const char *const f_job_fail[] = { "claim", "error", "retry", "retry_after", NULL };
static const char *const f_outreach_email[] = { "list", "from", "subject", "text", "html",
	"provider", "credential", "per_minute", "start", NULL };
static const char *const f_outreach_sms[] = { "list", "from", "body", "provider", "credential",
	"per_minute", "start", NULL };
static const char *const q_campaign_list[] = { "state", NULL };
static const char *const q_send_get[] = { "claim", NULL };
static const char *const f_send_sending[] = { "claim", NULL };
static const char *const f_send_sent[] = { "claim", "provider_id", "price", NULL };
static const char *const f_ad_create[] = { "name", "credential", "account", "post",
	"daily_budget", "countries", "objective", "special_ad_categories", NULL };
static const char *const q_ad_job[] = { "claim", NULL };
static const char *const f_ad_step[] = { "claim", "object", "phase", "meta_id", NULL };
static const char *const f_outreach_track[] = { "token", "kind", "link", NULL };
/* Outreach: lists, suppressions, events, stats (docs/OUTREACH.md) */
static const char *const f_outreach_list_create[] = { "name", "format", "data", "contacts", NULL };
static const char *const f_outreach_list_append[] = { "format", "data", "contacts", NULL };
static const char *const q_outreach_page[] = { "limit", "cursor", NULL };
static const char *const q_suppression_list[] = { "channel", "limit", "cursor", NULL };
static const char *const f_suppression_add[] = { "address", "channel", "reason", NULL };
static const char *const q_suppression_delete[] = { "channel", NULL };
static const char *const f_outreach_events[] = { "provider", "events", "verify", NULL };
static const char *const q_outreach_stats[] = { "campaign", NULL };
static const char *const q_audit[] = { "since", "until", "principal", "resource", "action",
	"outcome", "order", "cursor", "limit", NULL };

const struct http_route api_routes[] = {
	{ HTTP_GET, "/health", ROUTE_PUBLIC, api_health, "health", NULL, NULL, AUDIT_OFF },
	{ HTTP_GET, "/metrics", ROUTE_ADMIN, api_metrics, "metrics", NULL, NULL, AUDIT_OFF },

	{ HTTP_POST, "/auth/login", ROUTE_PUBLIC, api_auth_login, "auth_login", f_login, NULL, AUDIT_LATE },
	{ HTTP_POST, "/auth/totp", ROUTE_SESSION_ANY, api_auth_totp, "auth_totp", f_totp, NULL, AUDIT_LATE },
	{ HTTP_POST, "/auth/logout", ROUTE_SESSION_ANY, api_auth_logout, "auth_logout", f_none, NULL, AUDIT_SIGNED },
	{ HTTP_GET, "/auth/session", ROUTE_ADMIN, api_auth_whoami, "auth_session", NULL, NULL, AUDIT_TXN },

	{ HTTP_POST, "/admins", ROUTE_LOCAL_VAULT_UID, api_admin_create, "admin_create", f_admin_create, NULL, AUDIT_SIGNED },
	{ HTTP_GET, "/admins", ROUTE_ADMIN, api_admin_list, "admin_list", NULL, NULL, AUDIT_TXN },
	{ HTTP_POST, "/admins/{name}", ROUTE_ADMIN, api_admin_add, "admin_add", f_admin_add, NULL, AUDIT_LATE_SIGNED },
	{ HTTP_POST, "/admins/{name}/reset", ROUTE_ADMIN, api_admin_reset, "admin_reset", f_none, NULL, AUDIT_SIGNED },

	{ HTTP_POST, "/credentials", ROUTE_PRINCIPAL, api_cred_create, "cred_create", f_cred_create, NULL, AUDIT_TXN },
	{ HTTP_GET, "/credentials", ROUTE_PRINCIPAL, api_cred_list, "cred_list", NULL, q_cred_list, AUDIT_TXN },
	{ HTTP_GET, "/credentials/audit", ROUTE_ADMIN, api_audit_list, "audit_read", NULL, q_audit, AUDIT_TXN },
	{ HTTP_GET, "/credentials/audit/export", ROUTE_ADMIN, api_audit_export, "audit_export", NULL, NULL, AUDIT_LATE },
	{ HTTP_GET, "/credentials/audit/pubkey", ROUTE_ADMIN, api_audit_pubkey, "audit_pubkey", NULL, NULL, AUDIT_TXN },
	{ HTTP_POST, "/credentials/grant", ROUTE_PRINCIPAL, api_grant_create, "grant_create", f_grant_create, NULL, AUDIT_TXN },
	{ HTTP_GET, "/credentials/{id}", ROUTE_PRINCIPAL, api_cred_get, "cred_get", NULL, q_cred_get, AUDIT_TXN },
	{ HTTP_PUT, "/credentials/{id}", ROUTE_PRINCIPAL, api_cred_update, "cred_update", f_cred_update, NULL, AUDIT_TXN },
	{ HTTP_DELETE, "/credentials/{id}", ROUTE_PRINCIPAL, api_cred_revoke, "cred_revoke", NULL, NULL, AUDIT_SIGNED },
	{ HTTP_GET, "/credentials/{id}/versions", ROUTE_PRINCIPAL, api_cred_versions, "cred_versions", NULL, NULL, AUDIT_TXN },

	{ HTTP_POST, "/helpers", ROUTE_ADMIN, api_helper_create, "helper_create", f_helper_create, NULL, AUDIT_TXN },
	{ HTTP_GET, "/helpers", ROUTE_ADMIN, api_helper_list, "helper_list", NULL, NULL, AUDIT_TXN },
	{ HTTP_DELETE, "/helpers/{id}", ROUTE_ADMIN, api_helper_revoke, "helper_revoke", NULL, NULL, AUDIT_SIGNED },
	{ HTTP_GET, "/grants", ROUTE_ADMIN, api_grant_list, "grant_list", NULL, q_grant_list, AUDIT_TXN },
	{ HTTP_DELETE, "/grants/{accessor}", ROUTE_ADMIN, api_grant_revoke, "grant_revoke", NULL, NULL, AUDIT_SIGNED },
	/* A fresh TOTP code first (written on its own, as a sign-in's), then the pickup's transaction. */
	{ HTTP_POST, "/grants/{accessor}/pickup", ROUTE_ADMIN, api_grant_pickup, "grant_pickup", f_totp, NULL, AUDIT_LATE_SIGNED },

	/* Brokers, their leases and the job queue (docs/BROKERS.md). */
	{ HTTP_POST, "/brokers", ROUTE_ADMIN, api_broker_create, "broker_create", f_broker_create, NULL, AUDIT_TXN },
	{ HTTP_GET, "/brokers", ROUTE_ADMIN, api_broker_list, "broker_list", NULL, NULL, AUDIT_TXN },
	{ HTTP_DELETE, "/brokers/{id}", ROUTE_ADMIN, api_broker_revoke, "broker_revoke", NULL, NULL, AUDIT_SIGNED },
	{ HTTP_POST, "/leases", ROUTE_BROKER, api_lease_create, "lease_create", f_lease_create, NULL, AUDIT_TXN },
	{ HTTP_GET, "/leases", ROUTE_ADMIN, api_lease_list, "lease_list", NULL, NULL, AUDIT_TXN },
	{ HTTP_DELETE, "/leases/{id}", ROUTE_ADMIN_OR_BROKER, api_lease_end, "lease_end", NULL, NULL, AUDIT_SIGNED },
	{ HTTP_POST, "/jobs", ROUTE_ADMIN, api_job_create, "job_create", f_job_create, NULL, AUDIT_TXN },
	{ HTTP_GET, "/jobs", ROUTE_ADMIN, api_job_list, "job_list", NULL, q_job_list, AUDIT_TXN },
	{ HTTP_POST, "/jobs/claim", ROUTE_BROKER, api_job_claim, "job_claim", f_job_claim, NULL, AUDIT_LATE },
	{ HTTP_GET, "/jobs/{id}", ROUTE_ADMIN, api_job_get, "job_get", NULL, NULL, AUDIT_TXN },
	{ HTTP_POST, "/jobs/{id}/heartbeat", ROUTE_BROKER, api_job_heartbeat, "job_heartbeat", f_job_heartbeat, NULL, AUDIT_TXN },
	{ HTTP_POST, "/jobs/{id}/complete", ROUTE_BROKER, api_job_complete, "job_complete", f_job_complete, NULL, AUDIT_TXN },
	{ HTTP_POST, "/jobs/{id}/fail", ROUTE_BROKER, api_job_fail, "job_fail", f_job_fail, NULL, AUDIT_TXN },

	/* Budgets, the cost report and alerts (docs/BROKERS.md); "total" is a {service}. */
	{ HTTP_GET, "/budgets", ROUTE_ADMIN, api_budget_list, "budget_list", NULL, NULL, AUDIT_TXN },
	{ HTTP_PUT, "/budgets/{service}", ROUTE_ADMIN, api_budget_set, "budget_set", f_budget_set, NULL, AUDIT_SIGNED },
	{ HTTP_POST, "/budgets/{service}/resume", ROUTE_ADMIN, api_budget_resume, "budget_resume", f_none, NULL, AUDIT_TXN },
	{ HTTP_GET, "/outreach/cost", ROUTE_ADMIN, api_cost_read, "cost_read", NULL, q_cost, AUDIT_TXN },
	{ HTTP_GET, "/alerts", ROUTE_ADMIN, api_alert_list, "alert_list", NULL, q_alert_list, AUDIT_TXN },
	{ HTTP_POST, "/alerts/{id}/ack", ROUTE_ADMIN, api_alert_ack, "alert_ack", f_none, NULL, AUDIT_TXN },
	{ HTTP_POST, "/alerts/{id}/resolve", ROUTE_ADMIN, api_alert_resolve, "alert_resolve", f_none, NULL, AUDIT_TXN },

	/* Approvals of widened spending (docs/MCP.md); approving needs a fresh TOTP code. */
	{ HTTP_GET, "/approvals", ROUTE_ADMIN, api_approval_list, "approval_list", NULL, q_approval_list, AUDIT_TXN },
	{ HTTP_GET, "/approvals/{id}", ROUTE_ADMIN, api_approval_get, "approval_get", NULL, NULL, AUDIT_TXN },
	{ HTTP_POST, "/approvals/{id}/approve", ROUTE_ADMIN, api_approval_approve, "approval_approve", f_totp, NULL, AUDIT_LATE_SIGNED },
	{ HTTP_POST, "/approvals/{id}/reject", ROUTE_ADMIN, api_approval_reject, "approval_reject", f_none, NULL, AUDIT_SIGNED },

	/* Outreach: campaigns and sending (docs/OUTREACH.md) */
	{ HTTP_POST, "/outreach/email", ROUTE_ADMIN, api_outreach_email, "outreach_email", f_outreach_email, NULL, AUDIT_TXN },
	{ HTTP_POST, "/outreach/sms", ROUTE_ADMIN, api_outreach_sms, "outreach_sms", f_outreach_sms, NULL, AUDIT_TXN },
	{ HTTP_GET, "/outreach/campaigns", ROUTE_ADMIN, api_outreach_campaign_list, "campaign_list", NULL, q_campaign_list, AUDIT_TXN },
	{ HTTP_GET, "/outreach/campaigns/{id}", ROUTE_ADMIN, api_outreach_campaign_get, "campaign_get", NULL, NULL, AUDIT_TXN },
	{ HTTP_POST, "/outreach/campaigns/{id}/start", ROUTE_ADMIN, api_outreach_campaign_start, "campaign_start", f_none, NULL, AUDIT_TXN },
	{ HTTP_POST, "/outreach/campaigns/{id}/pause", ROUTE_ADMIN, api_outreach_campaign_pause, "campaign_pause", f_none, NULL, AUDIT_SIGNED },
	{ HTTP_POST, "/outreach/campaigns/{id}/resume", ROUTE_ADMIN, api_outreach_campaign_resume, "campaign_resume", f_none, NULL, AUDIT_TXN },
	{ HTTP_POST, "/outreach/campaigns/{id}/cancel", ROUTE_ADMIN, api_outreach_campaign_cancel, "campaign_cancel", f_none, NULL, AUDIT_SIGNED },
	{ HTTP_GET, "/outreach/sends/{job}", ROUTE_BROKER, api_outreach_send_get, "send_get", NULL, q_send_get, AUDIT_TXN },
	{ HTTP_POST, "/outreach/sends/{job}/sending", ROUTE_BROKER, api_outreach_send_sending, "send_sending", f_send_sending, NULL, AUDIT_TXN },
	{ HTTP_POST, "/outreach/sends/{job}/sent", ROUTE_BROKER, api_outreach_send_sent, "send_sent", f_send_sent, NULL, AUDIT_TXN },
	/* Ads (docs/ADS.md) */
	{ HTTP_POST, "/outreach/ad", ROUTE_ADMIN, api_outreach_ad_create, "ad_create", f_ad_create, NULL, AUDIT_TXN },
	{ HTTP_GET, "/outreach/ads", ROUTE_ADMIN, api_outreach_ad_list, "ad_list", NULL, NULL, AUDIT_TXN },
	{ HTTP_GET, "/outreach/ads/{id}", ROUTE_ADMIN, api_outreach_ad_get, "ad_get", NULL, NULL, AUDIT_TXN },
	{ HTTP_POST, "/outreach/ads/{id}/pause", ROUTE_ADMIN, api_outreach_ad_pause, "ad_pause", f_none, NULL, AUDIT_SIGNED },
	{ HTTP_POST, "/outreach/ads/{id}/resume", ROUTE_ADMIN, api_outreach_ad_resume, "ad_resume", f_none, NULL, AUDIT_TXN },
	{ HTTP_GET, "/outreach/ad-jobs/{job}", ROUTE_BROKER, api_outreach_ad_job_get, "ad_job_get", NULL, q_ad_job, AUDIT_TXN },
	{ HTTP_POST, "/outreach/ad-jobs/{job}/step", ROUTE_BROKER, api_outreach_ad_job_step, "ad_job_step", f_ad_step, NULL, AUDIT_TXN },
	{ HTTP_POST, "/outreach/track", ROUTE_BROKER, api_outreach_track, "outreach_track", f_outreach_track, NULL, AUDIT_SIGNED },

	/* Outreach: lists, suppressions, events, stats (docs/OUTREACH.md) */
	/*
	 * A suppression withdraws the right to write to an address, so adding one
	 * (by an admin, or by an event: an unsubscribe, a bounce, a complaint, a
	 * STOP) is signed like a lowered budget: a copy from before would lift it
	 * silently. Lifting one is a DELETE, signed like every DELETE.
	 */
	{ HTTP_POST, "/outreach/lists", ROUTE_ADMIN, api_outreach_list_create, "outreach_list_create", f_outreach_list_create, NULL, AUDIT_TXN },
	{ HTTP_GET, "/outreach/lists", ROUTE_ADMIN, api_outreach_list_list, "outreach_list_list", NULL, NULL, AUDIT_TXN },
	{ HTTP_GET, "/outreach/lists/{id}", ROUTE_ADMIN, api_outreach_list_get, "outreach_list_get", NULL, NULL, AUDIT_TXN },
	{ HTTP_POST, "/outreach/lists/{id}/contacts", ROUTE_ADMIN, api_outreach_list_append, "outreach_list_append", f_outreach_list_append, NULL, AUDIT_TXN },
	{ HTTP_GET, "/outreach/lists/{id}/contacts", ROUTE_ADMIN, api_outreach_list_contacts, "outreach_contact_list", NULL, q_outreach_page, AUDIT_TXN },
	{ HTTP_GET, "/outreach/suppressions", ROUTE_ADMIN, api_outreach_suppression_list, "suppression_list", NULL, q_suppression_list, AUDIT_TXN },
	{ HTTP_POST, "/outreach/suppressions", ROUTE_ADMIN, api_outreach_suppression_add, "suppression_add", f_suppression_add, NULL, AUDIT_SIGNED },
	{ HTTP_DELETE, "/outreach/suppressions/{address}", ROUTE_ADMIN, api_outreach_suppression_delete, "suppression_delete", NULL, q_suppression_delete, AUDIT_SIGNED },
	{ HTTP_POST, "/outreach/events", ROUTE_BROKER, api_outreach_events, "outreach_events", f_outreach_events, NULL, AUDIT_SIGNED },
	{ HTTP_GET, "/outreach/stats", ROUTE_ADMIN, api_outreach_stats, "outreach_stats", NULL, q_outreach_stats, AUDIT_TXN },
};

const size_t api_routes_n = BOS_ARRAY_LEN(api_routes);

/*
 * What each route asks the policy engine, for the docs and the tests: the
 * handlers make these calls themselves (api_allow, or api_cred.c for the
 * credential routes), and tests/unit/test_routes.c and
 * tests/integration/t_policy_routes.sh fail when a route has no entry here
 * or a handler does not ask what its entry says. Only the routes of
 * signing in, the first admin and /health ask nothing: they have no
 * principal with a role yet, or nothing to protect (docs/POLICY.md).
 */
const struct api_route_policy api_route_policies[] = {
	{ "health", NULL, NULL, "public liveness: says only whether the vault and bos-hsmd are up" },
	{ "metrics", "read", "metrics", NULL },
	{ "auth_login", NULL, NULL, "signing in: there is no principal before it" },
	{ "auth_totp", NULL, NULL, "signing in: the second factor of a pending session" },
	{ "auth_logout", NULL, NULL, "signing out must always work" },
	{ "auth_session", "read", "session", NULL },
	{ "admin_create", NULL, NULL, "the first admin, from the vault's own uid, while none exists" },
	{ "admin_list", "list", "admins", NULL },
	{ "admin_add", "create", "admins/{name}", NULL },
	{ "admin_reset", "update", "admins/{name}", NULL },
	{ "cred_create", "create", "credentials/{service}/{name}", NULL },
	{ "cred_list", "list", "credentials", NULL },
	{ "audit_read", "list", "audit", NULL },
	{ "audit_export", "audit", "audit", NULL },
	{ "audit_pubkey", "read", "audit", NULL },
	{ "grant_create", "grant", "grants", NULL },
	{ "cred_get", "read", "credentials/{service}/{name}", NULL },
	{ "cred_update", "update", "credentials/{service}/{name}", NULL },
	{ "cred_revoke", "delete", "credentials/{service}/{name}", NULL },
	{ "cred_versions", "list", "credentials/{service}/{name}", NULL },
	{ "helper_create", "create", "helpers", NULL },
	{ "helper_list", "list", "helpers", NULL },
	{ "helper_revoke", "delete", "helpers/{id}", NULL },
	{ "grant_list", "list", "grants", NULL },
	{ "grant_revoke", "delete", "grants/{accessor}", NULL },
	{ "grant_pickup", "read", "grants/{accessor}/pickup", NULL },
	{ "broker_create", "create", "brokers", NULL },
	{ "broker_list", "list", "brokers", NULL },
	{ "broker_revoke", "delete", "brokers/{id}", NULL },
	{ "lease_create", "lease", "credentials/{service}/{name}", NULL },
	{ "lease_list", "list", "leases", NULL },
	{ "lease_end", "delete", "leases/{id}", NULL },
	{ "job_create", "create", "jobs/{kind}/{service}", NULL },
	{ "job_list", "list", "jobs", NULL },
	{ "job_claim", "claim", "jobs/{kind}/{service}", NULL },
	{ "job_get", "read", "jobs/{id}", NULL },
	{ "job_heartbeat", NULL, NULL, "the claim id, which only a claim the policy allowed hands out, is the authority: only the broker that holds it may report" },
	{ "job_complete", NULL, NULL, "the claim id, which only a claim the policy allowed hands out, is the authority: only the broker that holds it may complete the job" },
	{ "job_fail", NULL, NULL, "the claim id, which only a claim the policy allowed hands out, is the authority: only the broker that holds it may fail the job" },
	{ "budget_list", "list", "budgets", NULL },
	{ "budget_set", "update", "budgets/{service}", NULL },
	{ "budget_resume", "update", "budgets/{service}/resume", NULL },
	{ "cost_read", "read", "cost", NULL },
	{ "alert_list", "list", "alerts", NULL },
	{ "alert_ack", "update", "alerts/{id}/ack", NULL },
	{ "alert_resolve", "update", "alerts/{id}/resolve", NULL },
	{ "approval_list", "list", "approvals", NULL },
	{ "approval_get", "read", "approvals/{id}", NULL },
	{ "approval_approve", "update", "approvals/{id}/approve", NULL },
	{ "approval_reject", "update", "approvals/{id}/reject", NULL },
	/* Outreach: campaigns and sending (docs/OUTREACH.md) */
	{ "outreach_email", "create", "outreach/campaigns/email", NULL },
	{ "outreach_sms", "create", "outreach/campaigns/sms", NULL },
	{ "campaign_list", "list", "outreach/campaigns", NULL },
	{ "campaign_get", "read", "outreach/campaigns/{id}", NULL },
	{ "campaign_start", "update", "outreach/campaigns/{id}/start", NULL },
	{ "campaign_pause", "update", "outreach/campaigns/{id}/pause", NULL },
	{ "campaign_resume", "update", "outreach/campaigns/{id}/resume", NULL },
	{ "campaign_cancel", "update", "outreach/campaigns/{id}/cancel", NULL },
	{ "send_get", "read", "outreach/sends", NULL },
	{ "send_sending", "update", "outreach/sends/sending", NULL },
	{ "send_sent", "update", "outreach/sends/sent", NULL },
	{ "outreach_track", "read", "outreach/track", NULL },
	{ "ad_create", "create", "outreach/ads", NULL },
	{ "ad_list", "list", "outreach/ads", NULL },
	{ "ad_get", "read", "outreach/ads/{id}", NULL },
	{ "ad_pause", "update", "outreach/ads/{id}/pause", NULL },
	{ "ad_resume", "update", "outreach/ads/{id}/resume", NULL },
	{ "ad_job_get", "read", "outreach/ad-jobs", NULL },
	{ "ad_job_step", "update", "outreach/ad-jobs/step", NULL },
	/* Outreach: lists, suppressions, events, stats (docs/OUTREACH.md) */
	{ "outreach_list_create", "create", "outreach/lists", NULL },
	{ "outreach_list_list", "list", "outreach/lists", NULL },
	{ "outreach_list_get", "read", "outreach/lists/{id}", NULL },
	{ "outreach_list_append", "update", "outreach/lists/{id}", NULL },
	{ "outreach_contact_list", "list", "outreach/lists/{id}", NULL },
	{ "suppression_list", "list", "outreach/suppressions", NULL },
	{ "suppression_add", "create", "outreach/suppressions", NULL },
	{ "suppression_delete", "delete", "outreach/suppressions", NULL },
	{ "outreach_events", "create", "outreach/events", NULL },
	{ "outreach_stats", "read", "outreach/stats", NULL },
};

const size_t api_route_policies_n = BOS_ARRAY_LEN(api_route_policies);
