/*
 * The jobs API (docs/BROKERS.md "Jobs"): POST /jobs, GET /jobs, GET
 * /jobs/{id} (admins); POST /jobs/claim and /jobs/{id}/heartbeat, complete,
 * fail (brokers). The queue and its state machine are job.c's.
 *
 * POST /jobs/claim is a long poll: while nothing is there for the broker it
 * waits on the vault's job signal (vault_jobs_wait), holding neither the
 * database lock nor an in-flight slot (http_req_slot_release), looking again
 * at each signal and at least every second (backoffs end, claims expire).
 * When a job looks claimable it joins the request's audit transaction and
 * claims it there, so the claim, its budget check and its audit record are
 * one transaction.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "auth/authz.h"
#include "clock.h"
#include "store/broker.h"
#include "store/cred.h"
#include "store/job.h"
#include "store/outreach_send.h"
#include "json_alloc.h"
#include "log.h"
#include "store/store.h"
#include "core/vault.h"

#define API_JOBS_PATH "jobs"
#define API_JOB_WAIT_DEFAULT 25
#define API_JOB_WAIT_MAX 30
#define API_JOB_KINDS_MAX 8
#define API_JOB_LIST_MAX 1000

static json_t *
api_job_time(int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

/* A stored JSON object (params, result), or null when empty. */
static json_t *
api_job_object(const char *text)
{
	json_t *o;

	if (text[0] == '\0' || (o = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return json_null();
	return o;
}

static json_t *
api_job_str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

/* What an admin sees of a job (not its claim id: that is the holding broker's). */
static json_t *
api_job_json(const struct job_info *j)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_string(j->id));
	json_object_set_new(o, "kind", json_string(j->kind));
	json_object_set_new(o, "service", json_string(j->service));
	json_object_set_new(o, "credential", api_job_str_or_null(j->credential));
	json_object_set_new(o, "campaign", api_job_str_or_null(j->campaign));
	json_object_set_new(o, "notice", api_job_str_or_null(j->notice));
	json_object_set_new(o, "ad", api_job_str_or_null(j->ad));
	json_object_set_new(o, "params", api_job_object(j->params));
	json_object_set_new(o, "idempotency_key", json_string(j->idempotency_key));
	json_object_set_new(o, "state", json_string(j->state));
	json_object_set_new(o, "attempts", json_integer(j->attempts));
	json_object_set_new(o, "max_attempts", json_integer(j->max_attempts));
	json_object_set_new(o, "not_before", api_job_time(j->not_before));
	json_object_set_new(o, "claimed_by", api_job_str_or_null(j->claimed_by));
	json_object_set_new(o, "visible_until", api_job_time(j->visible_until));
	json_object_set_new(o, "estimate", j->est_amount < 0 ? json_null() :
	    json_pack("{s:I, s:s}", "amount", (json_int_t)j->est_amount, "currency",
	    j->est_currency));
	json_object_set_new(o, "result", api_job_object(j->result));
	json_object_set_new(o, "error", api_job_str_or_null(j->error));
	json_object_set_new(o, "created_at", api_job_time(j->created_at));
	json_object_set_new(o, "updated_at", api_job_time(j->updated_at));
	json_object_set_new(o, "finished_at", api_job_time(j->finished_at));
	json_object_set_new(o, "created_by", json_string(j->created_by));
	return o;
}

/* What the claiming broker gets. */
static json_t *
api_job_claimed_json(const struct job_info *j)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:I, s:I}", "id", j->id, "kind",
	    j->kind, "service", j->service, "credential", api_job_str_or_null(j->credential),
	    "params", api_job_object(j->params), "idempotency_key", j->idempotency_key, "claim",
	    j->claim, "visible_until", api_job_time(j->visible_until), "attempt",
	    (json_int_t)j->attempts, "max_attempts", (json_int_t)j->max_attempts);
}

static int
api_job_fail_err(struct http_req *r, const struct bos_err *err)
{
	if (err->code == BOS_E_EXISTS)
		return http_reply_error(r, 409, "stale_claim", "%s", err->msg);
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

/* A field that must be a string without NUL bytes when present: -1 when it is not. */
static int
api_job_opt_str(json_t *body, const char *key, const char **out)
{
	json_t *f = json_object_get(body, key);

	*out = NULL;
	if (f == NULL)
		return 0;
	if (!json_is_string(f) || strlen(json_string_value(f)) != json_string_length(f))
		return -1;
	*out = json_string_value(f);
	return 0;
}

/* ---- POST /jobs ------------------------------------------------------------------- */

struct api_job_body {
	struct job_new n;
	char *params;                 /* serialised params: json_alloc_release */
};

/* "estimate": {amount, currency}. 0, or -1 with err. */
static int
api_job_estimate(json_t *body, struct job_new *n, struct bos_err *err)
{
	json_t *e = json_object_get(body, "estimate"), *a, *c;

	n->est_amount = -1;
	n->est_currency = NULL;
	if (e == NULL || json_is_null(e))
		return 0;
	a = json_object_get(e, "amount");
	c = json_object_get(e, "currency");
	if (!json_is_object(e) || json_object_size(e) != 2 || !json_is_integer(a) ||
	    json_integer_value(a) < 0 || !json_is_string(c))
		return bos_err_set(err, BOS_E_INVALID, "'estimate' must be {\"amount\": minor units "
		    ">= 0, \"currency\": \"USD\"}");
	n->est_amount = json_integer_value(a);
	n->est_currency = json_string_value(c);
	return 0;
}

static int
api_job_body_parse(struct http_req *r, struct api_job_body *b, struct bos_err *err)
{
	json_t *body = http_req_body(r), *p = json_object_get(body, "params"),
	    *m = json_object_get(body, "max_attempts");

	if (api_job_opt_str(body, "kind", &b->n.kind) != 0 ||
	    api_job_opt_str(body, "service", &b->n.service) != 0 ||
	    api_job_opt_str(body, "credential", &b->n.credential) != 0 ||
	    api_job_opt_str(body, "idempotency_key", &b->n.idempotency_key) != 0)
		return bos_err_set(err, BOS_E_INVALID, "'kind', 'service', 'credential' and "
		    "'idempotency_key' must be strings");
	if (b->n.kind == NULL || b->n.service == NULL)
		return bos_err_set(err, BOS_E_INVALID, "'kind' and 'service' are required");
	if (!job_kind_valid(b->n.kind))
		return bos_err_set(err, BOS_E_INVALID, "unknown job kind: 'kind' must be one of %s",
		    job_kinds_text());
	if (m != NULL && (!json_is_integer(m) || json_integer_value(m) < 1 ||
	    json_integer_value(m) > JOB_ATTEMPTS_MAX))
		return bos_err_set(err, BOS_E_INVALID, "'max_attempts' must be an integer from 1 "
		    "to %d", JOB_ATTEMPTS_MAX);
	b->n.max_attempts = m != NULL ? (uint32_t)json_integer_value(m) : 0;
	if (p != NULL && !json_is_object(p))
		return bos_err_set(err, BOS_E_INVALID, "'params' must be a JSON object");
	if (p != NULL && (b->params = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	b->n.params_json = b->params;
	return api_job_estimate(body, &b->n, err);
}

/* The credential named by the job: an id or a name, active, of the job's service. */
static int
api_job_credential(struct vault *v, struct job_new *n, char id[CRED_ID_LEN + 1],
    struct bos_err *err)
{
	struct cred_meta m;
	int r = 0;

	if (n->credential == NULL)
		return 0;
	if (cred_get(&v->cc, n->credential, &m, err) != 0)
		return err->code == BOS_E_NOTFOUND ? bos_err_set(err, BOS_E_INVALID,
		    "'credential' names no credential") : -1;
	if (m.revoked_at != 0 || strcmp(m.service, n->service) != 0)
		r = bos_err_set(err, BOS_E_INVALID, "'credential' %s is %s", m.id,
		    m.revoked_at != 0 ? "revoked" : "of another service than the job's");
	else
		(void)snprintf(id, CRED_ID_LEN + 1, "%s", m.id);
	cred_meta_free(&m);
	n->credential = r == 0 ? id : NULL;
	return r;
}

static int
api_job_reply(struct vault *v, struct http_req *r, const char *id, unsigned status,
    json_t *extra)
{
	struct job_info *j = malloc(sizeof(*j));
	struct bos_err err;
	json_t *o;
	int rc;

	if (j == NULL) {
		json_decref(extra);
		return -1;
	}
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = job_get(v->st.store, id, j, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		free(j);
		json_decref(extra);
		return api_job_fail_err(r, &err);
	}
	o = json_pack("{s:o}", "job", api_job_json(j));
	free(j);
	if (o != NULL && extra != NULL)
		json_object_update(o, extra);
	json_decref(extra);
	return o == NULL ? -1 : http_reply_json(r, status, o);
}

int
api_job_create(struct vault *v, struct http_req *r)
{
	struct api_job_body b;
	char path[128], cred[CRED_ID_LEN + 1], id[JOB_ID_SIZE];
	struct bos_err err;
	int existed = 0, rc;

	memset(&b, 0, sizeof(b));
	bos_err_clear(&err);
	b.n.created_by = http_req_principal(r)->name;
	if (api_job_body_parse(r, &b, &err) != 0 || job_service_check(b.n.service, &err) != 0) {
		json_alloc_release(b.params);
		return http_reply_bos_err(r, &err);
	}
	(void)snprintf(path, sizeof(path), API_JOBS_PATH "/%s/%s", b.n.kind, b.n.service);
	if ((rc = api_allow(v, r, POLICY_CREATE, path, NULL)) != 0) {
		json_alloc_release(b.params);
		return rc > 0 ? 0 : -1;
	}
	vault_db_lock(v);
	rc = api_job_credential(v, &b.n, cred, &err);
	if (rc == 0)
		rc = job_create(v->st.store, &b.n, vault_now(v), id, &existed, &err);
	vault_db_unlock(v);
	json_alloc_release(b.params);
	if (rc != 0)
		return api_job_fail_err(r, &err);
	http_req_audit_resource(r, "/jobs/%s", id);
	http_req_audit_reason(r, "%s", existed ? "the same idempotency key again: nothing new" :
	    "queued");
	if (!existed)
		vault_jobs_signal(v);
	return api_job_reply(v, r, id, existed ? 200 : 201, NULL);
}

/* ---- GET /jobs, GET /jobs/{id} ------------------------------------------------------ */

static int
api_job_list_cb(const struct job_info *j, void *arg)
{
	json_t *o = api_job_json(j);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_job_list(struct vault *v, struct http_req *r)
{
	const char *state = http_req_query(r, "state"), *kind = http_req_query(r, "kind");
	struct bos_err err;
	json_t *arr;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_JOBS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (state != NULL && strcmp(state, "queued") != 0 && strcmp(state, "claimed") != 0 &&
	    strcmp(state, "done") != 0 && strcmp(state, "dead") != 0)
		return http_reply_error(r, 400, "invalid", "'state' must be queued, claimed, done "
		    "or dead");
	if (kind != NULL && !job_kind_valid(kind))
		return http_reply_error(r, 400, "invalid", "unknown job kind: 'kind' must be one "
		    "of %s", job_kinds_text());
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	/* Claims that expired show as what they are now: queued again (or dead). */
	rc = job_expire_claims(v->st.store, vault_now(v), NULL, NULL, &err);
	if (rc == 0)
		rc = job_list(v->st.store, state, kind, API_JOB_LIST_MAX, api_job_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return api_job_fail_err(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "jobs", arr));
}

int
api_job_get(struct vault *v, struct http_req *r)
{
	const char *id = http_req_param(r, "id");
	char path[sizeof(API_JOBS_PATH) + JOB_ID_SIZE];
	struct bos_err err;
	int rc;

	if (!job_id_valid(id))
		return http_reply_error(r, 404, "not_found", "no such job: give its id (jb_...)");
	(void)snprintf(path, sizeof(path), API_JOBS_PATH "/%s", id);
	if ((rc = api_allow(v, r, POLICY_READ, path, id)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = job_expire_claims(v->st.store, vault_now(v), NULL, NULL, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_job_fail_err(r, &err);
	return api_job_reply(v, r, id, 200, NULL);
}

/* ---- POST /jobs/claim ------------------------------------------------------------- */

struct api_claim {
	struct vault *v;
	struct http_req *r;
	const char *kinds[API_JOB_KINDS_MAX];
	size_t n_kinds;
	int wait_s;
};

/* The role's policy on jobs/KIND/SERVICE: the claim's eligibility callback (job.h). */
static int
api_job_eligible(const struct job_info *j, void *arg, char *why, size_t cap)
{
	struct api_claim *c = arg;
	char path[128];
	struct policy_resource res = { path, NULL };
	struct policy_context ctx = { vault_now(c->v), http_req_client(c->r) };
	struct grant_use u = { c->v->policy, http_req_principal(c->r), POLICY_CLAIM, &res, NULL,
	    &ctx, c->v->st.conf.grant_idle_revoke_seconds };
	struct policy_decision d, told;
	struct bos_err err;

	(void)snprintf(path, sizeof(path), API_JOBS_PATH "/%s/%s", j->kind, j->service);
	bos_err_clear(&err);
	if (grant_authorize(c->v->st.store, &u, &d, &told, &err) != 0)
		return -1;
	(void)snprintf(why, cap, "%s", d.reason);
	return d.allow;
}

/* 0, or the 400 was answered (1/-1). */
static int
api_job_claim_parse(struct http_req *r, struct api_claim *c)
{
	json_t *body = http_req_body(r), *kinds = json_object_get(body, "kinds"),
	    *wait = json_object_get(body, "wait"), *k;
	size_t i;

	c->wait_s = API_JOB_WAIT_DEFAULT;
	if (!json_is_array(kinds) || json_array_size(kinds) == 0 ||
	    json_array_size(kinds) > API_JOB_KINDS_MAX)
		return http_reply_error(r, 400, "invalid", "'kinds' must be a list of 1 to %d job "
		    "kinds (%s)", API_JOB_KINDS_MAX, job_kinds_text()) == 0 ? 1 : -1;
	json_array_foreach(kinds, i, k) {
		if (!json_is_string(k) || !job_kind_valid(json_string_value(k)))
			return http_reply_error(r, 400, "invalid", "unknown job kind in 'kinds' "
			    "(known: %s)", job_kinds_text()) == 0 ? 1 : -1;
		c->kinds[c->n_kinds++] = json_string_value(k);
	}
	if (wait != NULL && (!json_is_integer(wait) || json_integer_value(wait) < 0 ||
	    json_integer_value(wait) > API_JOB_WAIT_MAX))
		return http_reply_error(r, 400, "invalid", "'wait' must be an integer from 0 to %d "
		    "(seconds)", API_JOB_WAIT_MAX) == 0 ? 1 : -1;
	if (wait != NULL)
		c->wait_s = (int)json_integer_value(wait);
	return 0;
}

/*
 * A broker revoked while its claim waited gets nothing from then on: the
 * long poll looks at the broker row again under the lock of each look, so no
 * claim starts after a revocation committed (the next request is refused by
 * auth_check anyway). 0 live, -1 with BOS_E_REVOKED (or a database error).
 */
static int
api_job_broker_live(struct vault *v, const char *broker_id, struct bos_err *err)
{
	struct broker_info b;

	if (broker_get(v->st.store, broker_id, &b, err) != 0)
		return -1;
	if (b.revoked_at != 0)
		return bos_err_set(err, BOS_E_REVOKED, "broker %s was revoked while it waited",
		    broker_id);
	return 0;
}

/*
 * One look: 1 a job was claimed (*j), 0 none is there, -1 the answer (an
 * error) was queued. A claimable job found by the dry run is claimed inside
 * the request's audit transaction; once joined, the request ends with this
 * look whatever it finds (another broker may have been quicker: 0).
 */
static int
api_job_claim_try(struct api_claim *c, struct job_claim_req *q, struct job_info *j,
    int *joined)
{
	struct vault *v = c->v;
	struct bos_err err;
	int rc;

	bos_err_clear(&err);
	q->dry_run = 1;
	vault_db_lock(v);
	q->now_ms = vault_now_ms(v);
	if ((rc = api_job_broker_live(v, q->broker_id, &err)) == 0)
		rc = job_claim(v->st.store, q, q->now_ms / 1000, j, &err);
	vault_db_unlock(v);
	if (rc == 1) {
		if (http_req_audit_join(c->r) != 0)
			return -1;
		*joined = 1;
		q->dry_run = 0;
		vault_db_lock(v);
		q->now_ms = vault_now_ms(v);
		if ((rc = api_job_broker_live(v, q->broker_id, &err)) == 0)
			rc = job_claim(v->st.store, q, q->now_ms / 1000, j, &err);
		vault_db_unlock(v);
	}
	if (rc < 0 && err.code == BOS_E_REVOKED) {
		if (http_reply_error(c->r, 401, "unauthenticated", "this broker was revoked") != 0)
			log_err("request %s: cannot answer 401", http_req_id(c->r));
	} else if (rc < 0) {
		(void)api_job_fail_err(c->r, &err);
	}
	return rc;
}

static int
api_job_claim_answer(struct http_req *r, const struct job_info *j, int claimed)
{
	if (!claimed) {
		http_req_audit_reason(r, "no job within the wait");
		return http_reply_text(r, 204, "application/json", "");
	}
	http_req_audit_resource(r, "/jobs/%s", j->id);
	http_req_audit_reason(r, "job %s (%s, %s) claimed, attempt %u of %u", j->id, j->kind,
	    j->service, j->attempts, j->max_attempts);
	return http_reply_json(r, 200, json_pack("{s:o}", "job", api_job_claimed_json(j)));
}

/*
 * When a waiting claim looks again (monotonic ms): at least every second, and
 * as soon as a campaign's next send is due (docs/OUTREACH.md "Rate and
 * budget"), so a campaign of 600 a minute is not slowed to one a second.
 */
static int64_t
api_job_next_look(struct vault *v, int64_t now, int64_t deadline)
{
	int64_t next = now + 1000, due = 0, in_ms;
	struct bos_err err;

	bos_err_clear(&err);
	vault_db_lock(v);
	if (outreach_send_next_due(v->st.store, &due, &err) != 0)
		due = 0;    /* the one-second look then */
	in_ms = due > 0 ? due - vault_now_ms(v) : 1000;
	vault_db_unlock(v);
	/*
	 * Only a campaign due in the future shortens the wait: one due already was
	 * refused by this look (budget, policy), and looking again at once would spin.
	 */
	if (in_ms > 0 && in_ms < 1000)
		next = now + in_ms;
	return next < deadline ? next : deadline;
}

int
api_job_claim(struct vault *v, struct http_req *r)
{
	struct api_claim c = { v, r, { NULL }, 0, 0 };
	struct job_claim_req q;
	struct job_info *j;
	int64_t deadline, now;
	int rc, joined = 0, waiting = 0;
	uint64_t gen;

	if ((rc = api_job_claim_parse(r, &c)) != 0)
		return rc > 0 ? 0 : -1;
	q = (struct job_claim_req){ c.kinds, c.n_kinds, http_req_principal(r)->broker_id,
	    v->st.conf.job_visibility_seconds, 1, api_job_eligible, &c, 0 };
	if ((j = malloc(sizeof(*j))) == NULL)
		return -1;
	deadline = clock_mono_ms() + (int64_t)c.wait_s * 1000;
	for (;;) {
		gen = vault_jobs_gen(v);
		if ((rc = api_job_claim_try(&c, &q, j, &joined)) != 0 || joined)
			break;
		if ((now = clock_mono_ms()) >= deadline)
			break;
		/* Nothing yet: wait without the lock and without a slot (the one first). */
		if (!waiting) {
			if (vault_jobs_enter(v, q.broker_id) != 0) {
				rc = 2;     /* too many waiting already */
				break;
			}
			waiting = 1;
			http_req_slot_release(r);
		}
		vault_jobs_wait(v, gen, api_job_next_look(v, now, deadline));
	}
	if (waiting)
		vault_jobs_leave(v, q.broker_id);
	if (rc == 2) {
		/* A broker that asks again at once would spin: it is told when to come back. */
		http_req_add_header(r, "Retry-After", "1");
		rc = http_reply_error(r, 503, "busy", "too many claims are waiting (at most %d, %d "
		    "of one broker); retry in a second", VAULT_JOB_WAITERS_MAX,
		    VAULT_JOB_WAITERS_PER_BROKER);
	} else if (rc >= 0) {
		rc = api_job_claim_answer(r, j, rc == 1);
	} else {
		rc = 0;     /* the error was answered */
	}
	free(j);
	return rc;
}

/* ---- heartbeat, complete, fail ---------------------------------------------------- */

/* The required claim id of the body: NULL when missing (then 400 was answered). */
static const char *
api_job_claim_field(struct http_req *r, int *rc)
{
	const char *claim = NULL;

	if (api_job_opt_str(http_req_body(r), "claim", &claim) != 0 || claim == NULL ||
	    strlen(claim) != JOB_CLAIM_SIZE - 1 || strncmp(claim, JOB_CLAIM_PREFIX, 3) != 0) {
		*rc = http_reply_error(r, 400, "invalid", "'claim' is required: the claim id "
		    "(cl_...) POST /jobs/claim gave");
		return NULL;
	}
	return claim;
}

int
api_job_heartbeat(struct vault *v, struct http_req *r)
{
	const char *id = http_req_param(r, "id"), *claim;
	struct bos_err err;
	int64_t until = 0;
	int rc = 0;

	if ((claim = api_job_claim_field(r, &rc)) == NULL)
		return rc;
	if (!job_id_valid(id))
		return http_reply_error(r, 404, "not_found", "no such job: give its id (jb_...)");
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = job_heartbeat(v->st.store, id, http_req_principal(r)->broker_id, claim, vault_now(v),
	    v->st.conf.job_visibility_seconds, &until, &err);
	vault_db_unlock(v);
	http_req_audit_resource(r, "/jobs/%s", id);
	if (rc != 0)
		return api_job_fail_err(r, &err);
	return http_reply_json(r, 200, json_pack("{s:s, s:o}", "id", id, "visible_until",
	    api_job_time(until)));
}

/* "spend": {amount > 0, currency}; absent: nothing spent. 0, or the 400 was answered. */
static int
api_job_spend(struct http_req *r, struct job_done *d)
{
	json_t *s = json_object_get(http_req_body(r), "spend"), *a, *c;

	if (s == NULL || json_is_null(s))
		return 0;
	a = json_object_get(s, "amount");
	c = json_object_get(s, "currency");
	if (!json_is_object(s) || json_object_size(s) != 2 || !json_is_integer(a) ||
	    json_integer_value(a) <= 0 || !json_is_string(c))
		return http_reply_error(r, 400, "invalid", "'spend' must be {\"amount\": minor units "
		    "> 0, \"currency\": \"USD\"}") == 0 ? 1 : -1;
	d->spend_amount = json_integer_value(a);
	d->spend_currency = json_string_value(c);
	return 0;
}

int
api_job_complete(struct vault *v, struct http_req *r)
{
	struct job_done d = { http_req_param(r, "id"), http_req_principal(r)->broker_id, NULL, NULL,
	    0, NULL };
	json_t *result = json_object_get(http_req_body(r), "result");
	struct bos_err err;
	char *text = NULL;
	int dup = 0, mismatch = 0, rc = 0;

	if ((d.claim = api_job_claim_field(r, &rc)) == NULL)
		return rc;
	if (!json_is_object(result))
		return http_reply_error(r, 400, "invalid", "'result' is required: a JSON object");
	if ((rc = api_job_spend(r, &d)) != 0)
		return rc > 0 ? 0 : -1;
	if (!job_id_valid(d.id))
		return http_reply_error(r, 404, "not_found", "no such job: give its id (jb_...)");
	if ((text = json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return -1;
	d.result_json = text;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = job_complete(v->st.store, &d, vault_now(v), &dup, &mismatch, &err);
	vault_db_unlock(v);
	json_alloc_release(text);
	http_req_audit_resource(r, "/jobs/%s", d.id);
	if (rc != 0 && mismatch)
		return http_reply_error(r, 400, "currency_mismatch", "%s", err.msg);
	if (rc != 0)
		return api_job_fail_err(r, &err);
	http_req_audit_reason(r, "%s%s", dup ? "completed again with the same claim: nothing "
	    "recorded twice" : "done", d.spend_amount > 0 && !dup ? ", spend recorded" : "");
	return api_job_reply(v, r, d.id, 200, json_pack("{s:b}", "duplicate", dup));
}

int
api_job_fail(struct vault *v, struct http_req *r)
{
	const char *id = http_req_param(r, "id"), *claim, *error = NULL;
	json_t *body = http_req_body(r), *retry = json_object_get(body, "retry"),
	    *after = json_object_get(body, "retry_after");
	struct bos_err err;
	char state[8];
	int64_t nb = 0;
	int rc = 0;

	if ((claim = api_job_claim_field(r, &rc)) == NULL)
		return rc;
	if (api_job_opt_str(body, "error", &error) != 0 || error == NULL)
		return http_reply_error(r, 400, "invalid", "'error' is required: what went wrong "
		    "(never a secret)");
	if (retry != NULL && !json_is_boolean(retry))
		return http_reply_error(r, 400, "invalid", "'retry' must be true or false");
	if (after != NULL && (!json_is_integer(after) || json_integer_value(after) < 0 ||
	    json_integer_value(after) > JOB_BACKOFF_MAX))
		return http_reply_error(r, 400, "invalid", "'retry_after' must be 0 to %d seconds",
		    JOB_BACKOFF_MAX);
	if (!job_id_valid(id))
		return http_reply_error(r, 404, "not_found", "no such job: give its id (jb_...)");
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = job_fail(v->st.store, id, http_req_principal(r)->broker_id, claim, error,
	    retry == NULL || json_is_true(retry), after != NULL ? json_integer_value(after) : 0,
	    vault_now(v), state, &nb, &err);
	vault_db_unlock(v);
	http_req_audit_resource(r, "/jobs/%s", id);
	if (rc != 0)
		return api_job_fail_err(r, &err);
	http_req_audit_reason(r, "failed: %s", strcmp(state, "dead") == 0 ? "dead" :
	    "queued again after a backoff");
	return api_job_reply(v, r, id, 200, NULL);
}
