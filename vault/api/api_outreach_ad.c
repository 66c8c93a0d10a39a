/*
 * Ads (docs/ADS.md): POST /outreach/ad, GET /outreach/ads[/{id}], POST
 * /outreach/ads/{id}/pause|resume (admins); GET /outreach/ad-jobs/{job} and
 * POST /outreach/ad-jobs/{job}/step (the outreach broker, with its claim as
 * the authority, as for sends). The checks of the request are here; the
 * money rules, the states and the jobs are outreach_ad.c's, in one
 * transaction. No secret is in an ad: the Meta token comes by a lease.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "core/vault.h"
#include "currency.h"
#include "json_alloc.h"
#include "log.h"
#include "policy.h"
#include "store/job.h"
#include "store/outreach_ad.h"
#include "store/store.h"

#define API_ADS_PATH "outreach/ads"
#define API_AD_JOBS_PATH "outreach/ad-jobs"
#define API_AD_COUNTRIES_MAX 25
#define API_AD_DIGITS_MAX 20

static json_t *
api_ad_time(int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

static json_t *
api_ad_str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
api_ad_array(const char *text)
{
	json_t *a = json_loads(text, 0, NULL);

	if (!json_is_array(a)) {
		json_decref(a);
		return json_array();
	}
	return a;
}

static json_t *
api_ad_meta(const struct outreach_ad *a)
{
	json_t *m = json_object();
	int i;

	for (i = 0; m != NULL && i < OUTREACH_AD_OBJECTS; i++)
		json_object_set_new(m, outreach_ad_objects[i], api_ad_str_or_null(a->meta[i]));
	return m;
}

/* What an admin sees of an ad; broker: what the broker needs to make it (no spend). */
static json_t *
api_ad_json(const struct outreach_ad *a, int broker)
{
	int paused = strcmp(a->state, "pausing") == 0 || strcmp(a->state, "paused") == 0;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:{s:I, s:s}, s:o}", "id", a->id,
	    "name", a->name, "account", a->account, "post", a->post, "objective", a->objective,
	    "countries", api_ad_array(a->countries), "special_ad_categories",
	    api_ad_array(a->categories), "daily_budget", "amount", (json_int_t)a->daily_budget,
	    "currency", a->currency, "meta", api_ad_meta(a));

	if (o == NULL || broker)
		return o;
	json_object_set_new(o, "provider", json_string(OUTREACH_AD_SERVICE));
	json_object_set_new(o, "credential", json_string(a->credential));
	json_object_set_new(o, "state", json_string(a->state));
	json_object_set_new(o, "pause_reason", paused ? api_ad_str_or_null(a->pause_reason) :
	    json_null());
	json_object_set_new(o, "spent", json_pack("{s:I, s:s}", "amount", (json_int_t)a->spent,
	    "currency", a->currency));
	json_object_set_new(o, "spent_today", json_pack("{s:I, s:s}", "amount",
	    (json_int_t)a->spent_today, "currency", a->currency));
	json_object_set_new(o, "error", api_ad_str_or_null(a->error));
	json_object_set_new(o, "created_at", api_ad_time(a->created_at));
	json_object_set_new(o, "updated_at", api_ad_time(a->updated_at));
	json_object_set_new(o, "created_by", json_string(a->created_by));
	return o;
}

/* A store error or refusal: code set (the money rules, a state, a step) is 409 (400 for a currency). */
static int
api_ad_fail(struct http_req *r, const char *code, const struct bos_err *err)
{
	if (code != NULL && code[0] != '\0') {
		http_req_audit_reason(r, "refused: %s", code);
		return http_reply_error(r, strcmp(code, "currency_mismatch") == 0 ? 400 : 409, code,
		    "%s", err->msg);
	}
	if (err->code == BOS_E_EXISTS)
		return http_reply_error(r, 409, "stale_claim", "%s", err->msg);
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

/* ---- checks of the request ------------------------------------------------------- */

static int
api_ad_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* 1 to max digits. */
static size_t
api_ad_digits(const char *s, size_t max)
{
	size_t n = strspn(s, "0123456789");

	return n >= 1 && n <= max ? n : 0;
}

static const char *
api_ad_field(json_t *body, const char *key, int *bad)
{
	json_t *f = json_object_get(body, key);

	if (f == NULL || json_is_null(f))
		return NULL;
	if (!json_is_string(f) || strlen(json_string_value(f)) != json_string_length(f)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(f);
}

/* A list of distinct strings each accepted by ok; its JSON text (sorted keys) or NULL (err). */
static char *
api_ad_list(json_t *l, const char *name, size_t min, size_t max, int (*ok)(const char *),
    const char *what, struct bos_err *err)
{
	size_t i, k;
	json_t *v;

	if (!json_is_array(l) || json_array_size(l) < min || json_array_size(l) > max) {
		bos_err_set(err, BOS_E_INVALID, "'%s' must be a list of %zu to %zu %s", name, min, max,
		    what);
		return NULL;
	}
	json_array_foreach(l, i, v) {
		if (!json_is_string(v) || !ok(json_string_value(v))) {
			bos_err_set(err, BOS_E_INVALID, "'%s' must be a list of %s", name, what);
			return NULL;
		}
		for (k = 0; k < i; k++)
			if (strcmp(json_string_value(json_array_get(l, k)), json_string_value(v)) == 0) {
				bos_err_set(err, BOS_E_INVALID, "'%s' lists %s twice", name,
				    json_string_value(v));
				return NULL;
			}
	}
	return json_dumps(l, JSON_COMPACT);
}

static int
api_ad_country_ok(const char *c)
{
	return strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

static int
api_ad_category_ok(const char *c)
{
	return strcmp(c, "CREDIT") == 0 || strcmp(c, "EMPLOYMENT") == 0 ||
	    strcmp(c, "HOUSING") == 0 || strcmp(c, "ISSUES_ELECTIONS_POLITICS") == 0;
}

struct api_ad_req {
	struct outreach_ad_new n;
	const char *credential;
	char cred_id[OUTREACH_AD_ID_SIZE];
	char *countries, *categories;
};

static void
api_ad_req_free(struct api_ad_req *q)
{
	json_alloc_release(q->countries);
	json_alloc_release(q->categories);
}

/* 0, or -1 with err (400 naming the field). */
static int
api_ad_parse(json_t *body, struct api_ad_req *q, struct bos_err *err)
{
	json_t *b = json_object_get(body, "daily_budget"), *amt, *cur,
	    *cats = json_object_get(body, "special_ad_categories");
	const char *acc, *post, *us;
	int bad = 0;
	size_t n;

	q->n.name = api_ad_field(body, "name", &bad);
	q->credential = api_ad_field(body, "credential", &bad);
	q->n.account = acc = api_ad_field(body, "account", &bad);
	q->n.post = post = api_ad_field(body, "post", &bad);
	q->n.objective = api_ad_field(body, "objective", &bad);
	if (bad)
		return bos_err_set(err, BOS_E_INVALID, "'name', 'credential', 'account', 'post' and "
		    "'objective' must be strings");
	if (q->n.name == NULL || q->n.name[0] == '\0' || strlen(q->n.name) > OUTREACH_AD_NAME_MAX ||
	    !api_ad_printable(q->n.name))
		return bos_err_set(err, BOS_E_INVALID, "'name' is required: 1 to %d printable "
		    "characters", OUTREACH_AD_NAME_MAX);
	if (q->credential == NULL || q->credential[0] == '\0')
		return bos_err_set(err, BOS_E_INVALID, "'credential' is required: the id or name of "
		    "a credential of service meta");
	if (acc == NULL || strncmp(acc, "act_", 4) != 0 || (n = api_ad_digits(acc + 4,
	    API_AD_DIGITS_MAX)) == 0 || acc[4 + n] != '\0')
		return bos_err_set(err, BOS_E_INVALID, "'account' is required: the ad account, act_ "
		    "and 1 to 20 digits");
	if (post == NULL || (n = api_ad_digits(post, API_AD_DIGITS_MAX)) == 0 || post[n] != '_' ||
	    (us = post + n + 1, n = api_ad_digits(us, API_AD_DIGITS_MAX)) == 0 || us[n] != '\0')
		return bos_err_set(err, BOS_E_INVALID, "'post' is required: the page post to show, "
		    "PAGEID_POSTID (digits _ digits)");
	if (q->n.objective == NULL)
		q->n.objective = "OUTCOME_TRAFFIC";
	if (strcmp(q->n.objective, "OUTCOME_TRAFFIC") != 0 &&
	    strcmp(q->n.objective, "OUTCOME_AWARENESS") != 0 &&
	    strcmp(q->n.objective, "OUTCOME_ENGAGEMENT") != 0)
		return bos_err_set(err, BOS_E_INVALID, "'objective' must be OUTCOME_TRAFFIC, "
		    "OUTCOME_AWARENESS or OUTCOME_ENGAGEMENT%s", strncmp(q->n.objective, "OUTCOME_",
		    8) == 0 ? " (the other objectives need a pixel or an app, which BOS does not "
		    "set up)" : "");
	amt = json_object_get(b, "amount");
	cur = json_object_get(b, "currency");
	if (!json_is_object(b) || json_object_size(b) != 2 || !json_is_integer(amt) ||
	    json_integer_value(amt) < 1 || !json_is_string(cur) ||
	    !currency_known(json_string_value(cur)))
		return bos_err_set(err, BOS_E_INVALID, "'daily_budget' is required: {\"amount\": "
		    "minor units >= 1, \"currency\": an ISO 4217 code such as \"USD\"}");
	q->n.daily_budget = json_integer_value(amt);
	q->n.currency = json_string_value(cur);
	if ((q->countries = api_ad_list(json_object_get(body, "countries"), "countries", 1,
	    API_AD_COUNTRIES_MAX, api_ad_country_ok, "country codes of two capital letters (US, "
	    "CA)", err)) == NULL)
		return -1;
	if (cats == NULL || json_is_null(cats)) {
		json_t *none = json_array();

		q->categories = none != NULL ? json_dumps(none, JSON_COMPACT) : NULL;
		json_decref(none);
	} else {
		q->categories = api_ad_list(cats, "special_ad_categories", 0, 4, api_ad_category_ok,
		    "CREDIT, EMPLOYMENT, HOUSING, ISSUES_ELECTIONS_POLITICS", err);
	}
	if (q->categories == NULL)
		return err->code != BOS_OK ? -1 : bos_err_set(err, BOS_E_NOMEM, "out of memory");
	q->n.countries_json = q->countries;
	q->n.categories_json = q->categories;
	return 0;
}

enum api_ad_cred { API_AD_CRED_OK, API_AD_CRED_NONE, API_AD_CRED_SERVICE, API_AD_CRED_REVOKED };

/* The credential by id or name, under the lock: an api_ad_cred, or -1 with err. */
static int
api_ad_credential(struct vault *v, struct api_ad_req *q, char *service, size_t cap,
    struct bos_err *err)
{
	struct store *s = v->st.store;
	sqlite3_stmt *st = NULL;
	int rc, revoked = 0;
	const char *t;

	if (store_stmt(s, "SELECT id, service, revoked_at IS NOT NULL FROM credentials WHERE"
	    " id = ?1 OR name = ?1 LIMIT 1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, q->credential, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "looking up a credential", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_DONE) {
		store_stmt_done(s, st);
		return API_AD_CRED_NONE;
	}
	t = (const char *)sqlite3_column_text(st, 0);
	(void)snprintf(q->cred_id, sizeof(q->cred_id), "%s", t != NULL ? t : "");
	t = (const char *)sqlite3_column_text(st, 1);
	(void)snprintf(service, cap, "%s", t != NULL ? t : "");
	revoked = sqlite3_column_int(st, 2);
	store_stmt_done(s, st);
	if (strcmp(service, OUTREACH_AD_SERVICE) != 0)
		return API_AD_CRED_SERVICE;
	if (revoked)
		return API_AD_CRED_REVOKED;
	q->n.credential = q->cred_id;
	return API_AD_CRED_OK;
}

/* A refused credential: 404, 400 or 409. */
static int
api_ad_cred_refuse(struct http_req *r, int c, const struct api_ad_req *q, const char *service)
{
	if (c == API_AD_CRED_NONE)
		return http_reply_error(r, 404, "not_found", "'credential' names no credential: "
		    "give the id or name of a credential of service meta");
	if (c == API_AD_CRED_SERVICE)
		return http_reply_error(r, 400, "invalid", "'credential' is of service %s, not meta",
		    service);
	http_req_audit_reason(r, "refused: credential_revoked");
	return http_reply_error(r, 409, "credential_revoked", "credential %s is revoked",
	    q->cred_id);
}

static int
api_ad_reply(struct vault *v, struct http_req *r, const char *id, unsigned status)
{
	struct outreach_ad a;
	struct bos_err err;
	int rc;

	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_ad_get(v->st.store, id, vault_now(v), &a, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_ad_fail(r, NULL, &err);
	return http_reply_json(r, status, json_pack("{s:o}", "ad", api_ad_json(&a, 0)));
}

int
api_outreach_ad_create(struct vault *v, struct http_req *r)
{
	char id[OUTREACH_AD_ID_SIZE], code[OUTREACH_AD_CODE_SIZE] = "", service[80] = "";
	struct api_ad_req q;
	struct bos_err err;
	int rc, cr;

	if ((rc = api_allow(v, r, POLICY_CREATE, API_ADS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	memset(&q, 0, sizeof(q));
	bos_err_clear(&err);
	if (api_ad_parse(http_req_body(r), &q, &err) != 0) {
		api_ad_req_free(&q);
		return http_reply_bos_err(r, &err);
	}
	q.n.created_by = http_req_principal(r)->name;
	vault_db_lock(v);
	cr = api_ad_credential(v, &q, service, sizeof(service), &err);
	rc = cr == API_AD_CRED_OK ? outreach_ad_create(v->st.store, &q.n, vault_now(v), job_queue_ad, id, code,
	    &err) : 0;
	vault_db_unlock(v);
	api_ad_req_free(&q);
	if (cr < 0 || rc != 0)
		return api_ad_fail(r, code, &err);
	if (cr != API_AD_CRED_OK)
		return api_ad_cred_refuse(r, cr, &q, service);
	http_req_audit_resource(r, "/outreach/ads/%s", id);
	http_req_audit_reason(r, "ad created (credential %s)", q.cred_id);
	vault_jobs_signal(v);
	return api_ad_reply(v, r, id, 201);
}

/* ---- GET -------------------------------------------------------------------------- */

static int
api_ad_list_cb(const struct outreach_ad *a, void *arg)
{
	json_t *o = api_ad_json(a, 0);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_outreach_ad_list(struct vault *v, struct http_req *r)
{
	struct bos_err err;
	json_t *arr;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_ADS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_ad_list(v->st.store, vault_now(v), api_ad_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return api_ad_fail(r, NULL, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "ads", arr));
}

static int
api_ad_id(struct http_req *r, const char **id)
{
	*id = http_req_param(r, "id");
	if (*id == NULL || strlen(*id) != OUTREACH_AD_ID_SIZE - 1 || strncmp(*id, "ad_", 3) != 0)
		return http_reply_error(r, 404, "not_found", "no such ad: give its id (ad_...)") == 0 ?
		    1 : -1;
	return 0;
}

int
api_outreach_ad_get(struct vault *v, struct http_req *r)
{
	char path[sizeof(API_ADS_PATH) + OUTREACH_AD_ID_SIZE];
	const char *id;
	int rc;

	if ((rc = api_ad_id(r, &id)) != 0)
		return rc > 0 ? 0 : -1;
	(void)snprintf(path, sizeof(path), API_ADS_PATH "/%s", id);
	if ((rc = api_allow(v, r, POLICY_READ, path, id)) != 0)
		return rc > 0 ? 0 : -1;
	http_req_audit_resource(r, "/outreach/ads/%s", id);
	return api_ad_reply(v, r, id, 200);
}

/* ---- pause, resume ---------------------------------------------------------------- */

static int
api_ad_act(struct vault *v, struct http_req *r, int pause)
{
	char path[sizeof(API_ADS_PATH) + OUTREACH_AD_ID_SIZE + 8], code[OUTREACH_AD_CODE_SIZE] = "";
	const char *id, *by = http_req_principal(r)->name;
	struct bos_err err;
	int rc;

	if ((rc = api_ad_id(r, &id)) != 0)
		return rc > 0 ? 0 : -1;
	(void)snprintf(path, sizeof(path), API_ADS_PATH "/%s/%s", id, pause ? "pause" : "resume");
	if ((rc = api_allow(v, r, POLICY_UPDATE, path, id)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = pause ? outreach_ad_pause(v->st.store, id, by, vault_now(v), job_queue_ad, code, &err) :
	    outreach_ad_resume(v->st.store, id, by, vault_now(v), job_queue_ad, code, &err);
	vault_db_unlock(v);
	http_req_audit_resource(r, "/outreach/ads/%s", id);
	if (rc != 0)
		return api_ad_fail(r, code, &err);
	http_req_audit_reason(r, "ad %s", pause ? "pausing" : "resuming");
	vault_jobs_signal(v);
	return api_ad_reply(v, r, id, 202);
}

int
api_outreach_ad_pause(struct vault *v, struct http_req *r)
{
	return api_ad_act(v, r, 1);
}

int
api_outreach_ad_resume(struct vault *v, struct http_req *r)
{
	return api_ad_act(v, r, 0);
}

/* ---- the broker's routes ---------------------------------------------------------- */

/* The job of the path, the claim, the policy; under no lock. 0, or answered (1/-1). */
static int
api_ad_job_args(struct vault *v, struct http_req *r, const char *claim, int step,
    const char **job)
{
	int rc;

	*job = http_req_param(r, "job");
	if ((rc = api_allow(v, r, step ? POLICY_UPDATE : POLICY_READ, step ? API_AD_JOBS_PATH
	    "/step" : API_AD_JOBS_PATH, NULL)) != 0)
		return rc > 0 ? 1 : -1;
	if (claim == NULL || strlen(claim) != JOB_CLAIM_SIZE - 1 || strncmp(claim, "cl_", 3) != 0)
		return http_reply_error(r, 400, "invalid", "'claim' is required: the claim id "
		    "(cl_...) POST /jobs/claim gave") == 0 ? 1 : -1;
	if (!job_id_valid(*job))
		return http_reply_error(r, 404, "not_found", "no such job: give its id (jb_...)") ==
		    0 ? 1 : -1;
	http_req_audit_resource(r, "/jobs/%s", *job);
	return 0;
}

/* The held ad job: 0 with j, else -1 with err (stale claim, not an ad job). Under the lock. */
static int
api_ad_job_held(struct vault *v, struct http_req *r, const char *job, const char *claim,
    int live, struct job_info *j, struct bos_err *err)
{
	if (job_claim_held(v->st.store, job, http_req_principal(r)->broker_id, claim, live,
	    vault_now(v), j, err) != 0)
		return -1;
	if (j->ad[0] == '\0')
		return bos_err_set(err, BOS_E_NOTFOUND, "job %s is not an ad job", job);
	return 0;
}

int
api_outreach_ad_job_get(struct vault *v, struct http_req *r)
{
	const char *job, *claim = http_req_query(r, "claim");
	char code[OUTREACH_AD_CODE_SIZE] = "";
	struct outreach_ad a;
	struct job_info *j;
	struct bos_err err;
	int rc;

	if ((rc = api_ad_job_args(v, r, claim, 0, &job)) != 0)
		return rc > 0 ? 0 : -1;
	if ((j = malloc(sizeof(*j))) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = api_ad_job_held(v, r, job, claim, 1, j, &err);
	if (rc == 0)
		rc = outreach_ad_job_ad(v->st.store, &(struct outreach_ad_job){ j->id, j->kind, j->ad },
		    vault_now(v), &a, code, &err);
	vault_db_unlock(v);
	free(j);
	if (rc != 0)
		return api_ad_fail(r, code, &err);
	http_req_audit_reason(r, "ad %s of job %s handed to its broker", a.id, job);
	return http_reply_json(r, 200, json_pack("{s:o}", "ad", api_ad_json(&a, 1)));
}

int
api_outreach_ad_job_step(struct vault *v, struct http_req *r)
{
	json_t *body = http_req_body(r);
	char code[OUTREACH_AD_CODE_SIZE] = "";
	const char *job, *claim, *object, *phase, *meta_id;
	struct outreach_ad a;
	struct job_info *j;
	struct bos_err err;
	int bad = 0, rc, live;

	claim = api_ad_field(body, "claim", &bad);
	if ((rc = api_ad_job_args(v, r, bad ? NULL : claim, 1, &job)) != 0)
		return rc > 0 ? 0 : -1;
	object = api_ad_field(body, "object", &bad);
	phase = api_ad_field(body, "phase", &bad);
	meta_id = api_ad_field(body, "meta_id", &bad);
	if (bad || object == NULL || phase == NULL)
		return http_reply_error(r, 400, "invalid", "'object' and 'phase' are required "
		    "strings, 'meta_id' a string of digits");
	live = strcmp(phase, "done") != 0;
	if ((j = malloc(sizeof(*j))) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	/*
	 * A done is recorded even when the claim ran out meanwhile: the object exists
	 * at Meta. A begin or a refused needs a live claim.
	 */
	rc = api_ad_job_held(v, r, job, claim, live, j, &err);
	if (rc == 0)
		rc = outreach_ad_step(v->st.store, &(struct outreach_ad_job){ j->id, j->kind, j->ad },
		    object, phase, meta_id, vault_now(v), code, &err);
	if (rc == 0)
		rc = outreach_ad_get(v->st.store, j->ad, vault_now(v), &a, &err);
	vault_db_unlock(v);
	free(j);
	if (rc != 0)
		return api_ad_fail(r, code, &err);
	http_req_audit_reason(r, "ad %s: %s %s%s%s", a.id, object, phase, meta_id != NULL ?
	    " " : "", meta_id != NULL ? meta_id : "");
	return http_reply_json(r, 200, json_pack("{s:o}", "ad", api_ad_json(&a, 1)));
}
