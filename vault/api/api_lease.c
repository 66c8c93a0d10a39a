/*
 * The leases API (docs/BROKERS.md "Leases"): POST /leases (brokers),
 * GET /leases (admins), DELETE /leases/{id} (admins, or the broker that
 * holds it).
 *
 * A lease hands a broker one credential's secret for one job it holds a live
 * claim on. Everything is decided in the request's audit transaction, under
 * the database lock: the role's policy (through grant_authorize, the one
 * entry point), the claim, the credential's state, the service's budget;
 * then the lease row is written and the secret is read exactly as GET
 * /credentials/{id} reads it (api_cred_decrypt). The audit record of the
 * request is the lease's record (lease, credential and job ids), and the
 * answer, the only place the secret goes, leaves only once it is durable.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "auth/authz.h"
#include "store/budget.h"
#include "store/cred.h"
#include "store/helper.h"
#include "store/job.h"
#include "store/lease.h"
#include "log.h"
#include "secmem.h"
#include "store/store.h"
#include "core/vault.h"

#define API_LEASES_PATH "leases"
/* Where a credential that does not exist is "found" for the policy (as api_cred.c). */
#define API_LEASE_UNKNOWN_PATH "credentials/UNKNOWN/UNKNOWN"

static json_t *
api_lease_time(int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

/* The request, as parsed from the body; the strings point into it. */
struct api_lease_req {
	const char *credential, *purpose, *job;
	uint32_t ttl;
};

/* A required string without NUL bytes, or NULL. */
static const char *
api_lease_str(struct http_req *r, const char *key)
{
	json_t *f = json_object_get(http_req_body(r), key);

	if (!json_is_string(f) || strlen(json_string_value(f)) != json_string_length(f))
		return NULL;
	return json_string_value(f);
}

/* 0, or the 400 was answered (1/-1). */
static int
api_lease_parse(struct http_req *r, struct api_lease_req *q)
{
	json_t *ttl = json_object_get(http_req_body(r), "ttl");
	struct bos_err err;
	const char *bad = NULL;

	q->credential = api_lease_str(r, "credential");
	q->purpose = api_lease_str(r, "purpose");
	q->job = api_lease_str(r, "job");
	q->ttl = LEASE_TTL_DEFAULT;
	if (q->credential == NULL || *q->credential == '\0')
		bad = "'credential' is required: a credential id (cr_...) or name";
	else if (q->job == NULL || !job_id_valid(q->job))
		bad = "'job' is required: the id (jb_...) of a job this broker has claimed";
	else if (ttl != NULL && (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
	    json_integer_value(ttl) > LEASE_TTL_MAX))
		bad = "'ttl' must be an integer from 1 to 300 (seconds)";
	if (bad != NULL)
		return http_reply_error(r, 400, "invalid", "%s", bad) == 0 ? 1 : -1;
	if (ttl != NULL)
		q->ttl = (uint32_t)json_integer_value(ttl);
	bos_err_clear(&err);
	if (lease_purpose_check(q->purpose, &err) != 0)
		return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
	return 0;
}

/* A refusal: 403 with the contract's code, the reason in the log and the audit record. */
static int BOS_PRINTF(4, 5)
api_lease_refuse(struct http_req *r, const struct api_lease_req *q, const char *code,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("request %s: broker %s refused a lease for job %s: %s: %s", http_req_id(r),
	    http_req_principal(r)->broker_id, q->job, code, msg);
	http_req_audit_reason(r, "%s: %s", code, msg);
	return http_reply_error(r, 403, code, "%s", msg) == 0 ? 1 : -1;
}

/* The role's policy on the credential (or the made-up path of an unknown one). */
static int
api_lease_policy(struct vault *v, struct http_req *r, const struct api_lease_req *q,
    const struct cred_meta *m, int found, int64_t now)
{
	static const struct policy_resource unknown = { API_LEASE_UNKNOWN_PATH, NULL };
	char path[GRANT_ITEM_MAX + 1];
	struct policy_resource res = { path, NULL };
	struct policy_context ctx = { now, http_req_client(r) };
	struct grant_use u = { v->policy, http_req_principal(r), POLICY_LEASE, found ? &res : NULL,
	    &unknown, &ctx, v->st.conf.grant_idle_revoke_seconds };
	struct policy_decision d, told;
	struct bos_err err;

	bos_err_clear(&err);
	if (found) {
		if (grant_cred_path(m, path, &err) != 0)
			return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
		res.id = m->id;
	}
	if (grant_authorize(v->st.store, &u, &d, &told, &err) != 0) {
		log_err("request %s: policy check: %s", http_req_id(r), err.msg);
		return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
	}
	if (!d.allow)
		return api_lease_refuse(r, q, "policy", "%s", told.reason);
	/* An unknown credential is always refused above: no role rule names that path. */
	return found ? 0 : api_lease_refuse(r, q, "policy", "no such credential");
}

/* The job, the credential's state and the budget. 0, or the refusal was answered. */
static int
api_lease_checks(struct vault *v, struct http_req *r, const struct api_lease_req *q,
    const struct cred_meta *m, int64_t now)
{
	char why[BUDGET_REASON_SIZE];
	struct job_info *j;
	struct bos_err err;
	int rc, exempt;

	bos_err_clear(&err);
	if ((j = malloc(sizeof(*j))) == NULL)
		return -1;
	rc = job_claim_held(v->st.store, q->job, http_req_principal(r)->broker_id, NULL, 1, now,
	    j, &err);
	if (rc != 0 && err.code != BOS_E_NOTFOUND && err.code != BOS_E_EXISTS) {
		free(j);
		return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
	}
	if (rc != 0)
		rc = api_lease_refuse(r, q, "job_not_claimed", "job %s is not claimed by this "
		    "broker (or its claim expired)", q->job);
	else if (strcmp(j->service, m->service) != 0 ||
	    (j->credential[0] != '\0' && strcmp(j->credential, m->id) != 0))
		rc = api_lease_refuse(r, q, "job_not_claimed", "job %s is for service %s%s%s, not "
		    "for credential %s", q->job, j->service, j->credential[0] ? ", credential " : "",
		    j->credential, m->id);
	/* The jobs that stop or measure an ad's spend run under a paused budget (docs/ADS.md). */
	exempt = rc == 0 && job_kind_budget_exempt(j->kind);
	free(j);
	if (rc != 0)
		return rc;
	if (m->revoked_at != 0)
		return api_lease_refuse(r, q, "credential_revoked", "credential %s is revoked",
		    m->id);
	if (exempt)
		return 0;
	if ((rc = budget_paused(v->st.store, m->service, now, why, sizeof(why), &err)) < 0)
		return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
	if (rc == 1)
		return api_lease_refuse(r, q, "budget_paused", "%s", why);
	return 0;
}

/* Under the lock, in the audit transaction: decide and record. 0, or answered. */
static int
api_lease_decide(struct vault *v, struct http_req *r, const struct api_lease_req *q,
    struct cred_meta *m, char id[LEASE_ID_SIZE], int64_t now)
{
	const struct principal *p = http_req_principal(r);
	struct lease_new n = { p->broker_id, NULL, q->job, q->purpose, q->ttl };
	struct bos_err err, nf;
	int found, rc;

	bos_err_clear(&err);
	bos_err_clear(&nf);
	found = cred_get(&v->cc, q->credential, m, &nf) == 0;
	if (!found && nf.code != BOS_E_NOTFOUND && nf.code != BOS_E_INVALID)
		return http_reply_bos_err(r, &nf) == 0 ? 1 : -1;
	if ((rc = api_lease_policy(v, r, q, m, found, now)) != 0 ||
	    (rc = api_lease_checks(v, r, q, m, now)) != 0)
		return rc;
	n.credential_id = m->id;
	if (lease_create(v->st.store, &n, now, id, &err) != 0)
		return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
	return 0;
}

static int
api_lease_answer(struct http_req *r, const struct cred_meta *m, const char *id,
    int64_t expires_at, const uint8_t *secret, size_t len)
{
	json_t *o = json_object(), *c = api_cred_meta_json(m);

	if (o == NULL || c == NULL || json_object_set_new(o, "lease", json_string(id)) != 0 ||
	    json_object_set_new(o, "expires_at", api_lease_time(expires_at)) != 0 ||
	    json_object_set(o, "credential", c) != 0 || api_cred_put_secret(o, secret, len) != 0) {
		json_decref(c);
		json_decref(o);
		return -1;
	}
	json_decref(c);
	return http_reply_json_secret(r, 201, o);
}

/*
 * The secret could not be read (the HSM, or the batch rolled back while it
 * was decrypted): a lease that handed nothing out is ended at once, so that
 * no record says a secret left when it did not. When the batch rolled back
 * the row is gone already and this finds nothing, which is fine.
 */
static void
api_lease_void(struct vault *v, const char *id, int64_t now)
{
	struct bos_err err;

	bos_err_clear(&err);
	vault_db_lock(v);
	if (lease_end(v->st.store, id, NULL, "vault: the secret was not read", now, &err) != 0)
		log_info("lease %s: not ended after the failed read: %s", id, err.msg);
	vault_db_unlock(v);
}

int
api_lease_create(struct vault *v, struct http_req *r)
{
	char id[LEASE_ID_SIZE];
	struct api_lease_req q;
	struct cred_meta m;
	struct bos_err err;
	uint8_t *secret = NULL;
	size_t len = 0;
	int64_t now = vault_now(v);
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = api_lease_parse(r, &q)) != 0)
		return rc > 0 ? 0 : -1;
	vault_db_lock(v);
	rc = api_lease_decide(v, r, &q, &m, id, now);
	vault_db_unlock(v);
	if (rc != 0) {
		cred_meta_free(&m);
		return rc > 0 ? 0 : -1;
	}
	http_req_audit_resource(r, "/leases/%s", id);
	http_req_audit_reason(r, "lease %s of credential %s for job %s, %u s", id, m.id, q.job,
	    q.ttl);
	bos_err_clear(&err);
	if (api_cred_decrypt(v, r, m.id, 0, &secret, &len, &err) != 0) {
		api_lease_void(v, id, now);
		http_req_audit_reason(r, "lease %s of credential %s for job %s: not read: %s", id,
		    m.id, q.job, err.msg);
		cred_meta_free(&m);
		return http_reply_bos_err(r, &err);
	}
	log_info("request %s: broker %s leased credential %s for job %s (lease %s, %u s)",
	    http_req_id(r), http_req_principal(r)->broker_id, m.id, q.job, id, q.ttl);
	rc = api_lease_answer(r, &m, id, now + q.ttl, secret, len);
	secmem_freezero(secret, len);
	cred_meta_free(&m);
	return rc;
}

static int
api_lease_list_cb(const struct lease_info *l, void *arg)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", l->id, "broker",
	    l->broker_id, "credential", l->credential_id, "job", l->job_id, "purpose", l->purpose,
	    "created_at", api_lease_time(l->created_at), "expires_at", api_lease_time(l->expires_at));

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_lease_list(struct vault *v, struct http_req *r)
{
	struct bos_err err;
	json_t *arr;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_LEASES_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = lease_list_active(v->st.store, vault_now(v), api_lease_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return http_reply_bos_err(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "leases", arr));
}

int
api_lease_end(struct vault *v, struct http_req *r)
{
	const struct principal *p = http_req_principal(r);
	const char *id = http_req_param(r, "id");
	char path[sizeof(API_LEASES_PATH) + LEASE_ID_SIZE];
	int broker = p->kind == PRINCIPAL_BROKER;
	struct bos_err err;
	int64_t now = vault_now(v);
	int rc;

	if (!lease_id_valid(id))
		return http_reply_error(r, 404, "not_found", "no such lease: give its id (ls_...)");
	/* An admin asks the policy; a broker may end only its own lease (lease_end checks). */
	(void)snprintf(path, sizeof(path), API_LEASES_PATH "/%s", id);
	if (!broker && (rc = api_allow(v, r, POLICY_DELETE, path, id)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = lease_end(v->st.store, id, broker ? p->broker_id : NULL,
	    broker ? p->broker_id : p->name, now, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	log_info("request %s: %s ended lease %s", http_req_id(r), p->accessor, id);
	return http_reply_json(r, 200, json_pack("{s:s, s:o}", "id", id, "ended_at",
	    api_lease_time(now)));
}
