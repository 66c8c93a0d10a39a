/*
 * Approvals (docs/MCP.md "Vault: approvals"): GET /approvals,
 * GET /approvals/{id}, POST /approvals/{id}/approve {totp} and
 * POST /approvals/{id}/reject. A route whose action widens spending (a
 * budget raised or dropped, every resume) asks for an approval instead of
 * acting (api_approval_ask); approving runs the action with the parameters
 * stored then, after the approving admin's fresh TOTP code, in the one
 * transaction of the approval's audit record.
 *
 * The TOTP code is checked by admin.c (api_auth_totp_fresh) and never
 * logged or recorded: records name the approval, its kind and summary.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "json_alloc.h"
#include "log.h"
#include "policy.h"
#include "store/approval.h"
#include "core/vault.h"

#define API_APPROVALS_PATH "approvals"
#define API_APPROVAL_PATH_SIZE (sizeof(API_APPROVALS_PATH) + APPROVAL_ID_SIZE)

/* What each kind runs once approved (api.h: api_budget_set_approved ...). */
struct api_approval_kind {
	const char *name;
	int (*run)(struct vault *v, struct http_req *r, const json_t *params, json_t **result,
	    struct api_refusal *fail, struct bos_err *err);
};

static const struct api_approval_kind api_approval_kinds[] = {
	{ "budget_set", api_budget_set_approved },
	{ "budget_resume", api_budget_resume_approved },
};

/* One approval as read under the lock, kept past the read. */
struct api_approval {
	struct approval_info info;    /* params_json and result_json are not valid here */
	json_t *params, *result;      /* parsed copies (result NULL when none) */
	json_t *shown;                /* as the API shows it */
	int64_t now;
};

static json_t *
api_approval_time(int64_t t)
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
api_approval_opt_str(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
api_approval_parse(const char *s)
{
	return s != NULL ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
}

static json_t *
api_approval_json(const struct approval_info *a, int64_t now)
{
	json_t *params = api_approval_parse(a->params_json), *result =
	    api_approval_parse(a->result_json);

	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o}",
	    "id", a->id, "kind", a->kind, "summary", a->summary, "state", approval_state(a, now),
	    "params", params != NULL ? params : json_object(), "created_by", a->created_by,
	    "created_at", api_approval_time(a->created_at),
	    "expires_at", api_approval_time(a->expires_at),
	    "decided_by", api_approval_opt_str(a->decided_by),
	    "decided_at", api_approval_time(a->decided_at),
	    "result", result != NULL ? result : json_null());
}

static int
api_approval_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND &&
	    err->code != BOS_E_EXISTS)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

/* ---- asking ---------------------------------------------------------------------- */

int
api_approval_ask(struct vault *v, struct http_req *r, const char *kind, json_t *params,
    const char *summary)
{
	const struct principal *p = http_req_principal(r);
	char id[APPROVAL_ID_SIZE], *pj = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	int64_t now = vault_now(v);
	struct approval_new a = { kind, pj, summary, p->name,
	    now + (int64_t)v->st.conf.approval_seconds };
	struct bos_err err;
	int rc;

	json_decref(params);
	if (pj == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = approval_create(v->st.store, &a, now, id, &err);
	vault_db_unlock(v);
	json_alloc_release(pj);
	if (rc != 0)
		return api_approval_fail(r, &err);
	http_req_audit_reason(r, "approval %s (%s) asked for, nothing changed yet: %s", id, kind,
	    summary);
	log_info("request %s: %s asked for approval %s (%s)", http_req_id(r), p->accessor, id,
	    kind);
	return http_reply_json(r, 202, json_pack("{s:{s:s, s:s, s:s, s:s, s:o, s:o}}", "approval",
	    "id", id, "kind", kind, "summary", summary, "state", "pending",
	    "created_at", api_approval_time(now), "expires_at", api_approval_time(a.expires_at)));
}

/* ---- reading --------------------------------------------------------------------- */

struct api_approval_list_ctx {
	json_t *arr;
	int64_t now;
};

static int
api_approval_list_cb(const struct approval_info *a, void *arg)
{
	struct api_approval_list_ctx *c = arg;
	json_t *o = api_approval_json(a, c->now);

	return o == NULL || json_array_append_new(c->arr, o) != 0 ? -1 : 0;
}

int
api_approval_list(struct vault *v, struct http_req *r)
{
	const char *state = http_req_query(r, "state");
	struct api_approval_list_ctx c = { NULL, vault_now(v) };
	enum approval_filter f = APPROVAL_PENDING;
	struct bos_err err;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_APPROVALS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (state != NULL && strcmp(state, "all") == 0)
		f = APPROVAL_ALL;
	else if (state != NULL && strcmp(state, "pending") != 0)
		return http_reply_error(r, 400, "bad_query", "'state' is pending (the default) or "
		    "all");
	if ((c.arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = approval_list(v->st.store, f, c.now, api_approval_list_cb, &c, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(c.arr);
		return api_approval_fail(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "approvals", c.arr));
}

static int
api_approval_get_cb(const struct approval_info *a, void *arg)
{
	struct api_approval *ap = arg;

	ap->info = *a;
	ap->info.params_json = ap->info.result_json = NULL;
	ap->params = api_approval_parse(a->params_json);
	ap->result = api_approval_parse(a->result_json);
	ap->shown = api_approval_json(a, ap->now);
	return ap->params == NULL || ap->shown == NULL ? -1 : 0;
}

static void
api_approval_clear(struct api_approval *ap)
{
	json_decref(ap->params);
	json_decref(ap->result);
	json_decref(ap->shown);
	ap->params = ap->result = ap->shown = NULL;
}

/* Under the lock: read id into *ap (cleared first). 0, or -1 with err. */
static int
api_approval_load(struct vault *v, const char *id, struct api_approval *ap,
    struct bos_err *err)
{
	char key[APPROVAL_ID_SIZE];

	(void)snprintf(key, sizeof(key), "%s", id);   /* id may point into *ap */
	api_approval_clear(ap);
	memset(ap, 0, sizeof(*ap));
	ap->now = vault_now(v);
	bos_err_clear(err);
	if (approval_get(v->st.store, key, api_approval_get_cb, ap, err) == 0 && ap->shown != NULL)
		return 0;
	if (err->code == BOS_OK)
		bos_err_set(err, BOS_E_NOMEM, "out of memory reading approval %s", key);
	return -1;
}

/*
 * The id of the path: an approval id, else 404 answered (1); then the
 * policy's question, action on approvals/ID, or approvals/ID/VERB for a
 * decision (verb "approve", "reject"), as alerts/ID/ack: no two routes ask
 * the same question, so one rule can refuse exactly one route.
 */
static int
api_approval_id(struct vault *v, struct http_req *r, unsigned action, const char *verb,
    const char **id)
{
	char path[API_APPROVAL_PATH_SIZE + 16];
	int rc;

	*id = http_req_param(r, "id");
	if (*id == NULL || !approval_id_valid(*id))
		return http_reply_error(r, 404, "not_found", "no such approval: give its id "
		    "(ap_...)") == 0 ? 1 : -1;
	(void)snprintf(path, sizeof(path), API_APPROVALS_PATH "/%s%s%s", *id,
	    verb != NULL ? "/" : "", verb != NULL ? verb : "");
	if ((rc = api_allow(v, r, action, path, *id)) != 0)
		return rc;
	return 0;
}

int
api_approval_get(struct vault *v, struct http_req *r)
{
	struct api_approval ap = { 0 };
	struct bos_err err;
	const char *id;
	int rc;

	if ((rc = api_approval_id(v, r, POLICY_READ, NULL, &id)) != 0)
		return rc > 0 ? 0 : -1;
	vault_db_lock(v);
	rc = api_approval_load(v, id, &ap, &err);
	vault_db_unlock(v);
	if (rc != 0)
		rc = api_approval_fail(r, &err);
	else
		rc = http_reply_json(r, 200, json_pack("{s:O}", "approval", ap.shown));
	api_approval_clear(&ap);
	return rc;
}

/* ---- deciding -------------------------------------------------------------------- */

/*
 * Under the lock, in the request's transaction: an approval that is not
 * pending any more is 409, one past its time is marked expired and 410.
 * 0 when it is pending, else answered (1) or -1.
 */
static int
api_approval_gate(struct vault *v, struct http_req *r, const struct api_approval *ap)
{
	const struct approval_info *a = &ap->info;
	struct bos_err err;

	if (strcmp(a->state, "pending") != 0) {
		http_req_audit_reason(r, "approval %s is %s already", a->id, a->state);
		return http_reply_error(r, 409, "approval_decided", "approval %s was %s already%s%s",
		    a->id, a->state, a->decided_by[0] != '\0' ? " by " : "", a->decided_by) == 0 ?
		    1 : -1;
	}
	if (a->expires_at > ap->now)
		return 0;
	bos_err_clear(&err);
	if (approval_decide(v->st.store, a->id, "expired", NULL, NULL, ap->now, &err) != 0)
		return api_approval_fail(r, &err) == 0 ? 1 : -1;
	http_req_audit_reason(r, "approval %s (%s) expired unapproved: %s", a->id, a->kind,
	    a->summary);
	return http_reply_error(r, 410, "approval_expired", "approval %s expired at its time "
	    "without being approved: ask again", a->id) == 0 ? 1 : -1;
}

int
api_approval_reject(struct vault *v, struct http_req *r)
{
	struct api_approval ap = { 0 };
	struct bos_err err;
	const char *id;
	int rc;

	if ((rc = api_approval_id(v, r, POLICY_UPDATE, "reject", &id)) != 0)
		return rc > 0 ? 0 : -1;
	vault_db_lock(v);
	if ((rc = api_approval_load(v, id, &ap, &err)) != 0)
		rc = api_approval_fail(r, &err);
	else if ((rc = api_approval_gate(v, r, &ap)) != 0)
		rc = rc > 0 ? 0 : -1;
	else if (approval_decide(v->st.store, id, "rejected", http_req_principal(r)->name, NULL,
	    ap.now, &err) != 0 || api_approval_load(v, id, &ap, &err) != 0)
		rc = api_approval_fail(r, &err);
	else {
		http_req_audit_reason(r, "approval %s (%s) rejected: %s", id, ap.info.kind,
		    ap.info.summary);
		log_info("request %s: %s rejected approval %s", http_req_id(r),
		    http_req_principal(r)->accessor, id);
		rc = http_reply_json(r, 200, json_pack("{s:O}", "approval", ap.shown));
	}
	vault_db_unlock(v);
	api_approval_clear(&ap);
	return rc;
}

static const struct api_approval_kind *
api_approval_kind(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(api_approval_kinds) / sizeof(api_approval_kinds[0]); i++)
		if (strcmp(api_approval_kinds[i].name, name) == 0)
			return &api_approval_kinds[i];
	return NULL;
}

/* The action failed its checks now: the approval is rejected with that error, answered. */
static int
api_approval_refused(struct vault *v, struct http_req *r, struct api_approval *ap,
    const struct api_refusal *f)
{
	json_t *res = json_pack("{s:{s:s, s:s}}", "error", "code", f->code, "message", f->msg);
	char *rj = res != NULL ? json_dumps(res, JSON_COMPACT) : NULL;
	struct bos_err err;
	int rc;

	json_decref(res);
	if (rj == NULL)
		return -1;
	bos_err_clear(&err);
	rc = approval_decide(v->st.store, ap->info.id, "rejected", http_req_principal(r)->name,
	    rj, ap->now, &err);
	json_alloc_release(rj);
	if (rc != 0)
		return api_approval_fail(r, &err);
	http_req_audit_reason(r, "approval %s (%s) approved, but its action was refused now, so "
	    "it is rejected: %s", ap->info.id, ap->info.kind, f->msg);
	log_info("request %s: approval %s refused when approved: %s", http_req_id(r),
	    ap->info.id, f->code);
	return http_reply_error(r, f->status, f->code, "%s", f->msg);
}

/* Under the lock, in the audit transaction: run the stored action and record the outcome. */
static int
api_approval_run(struct vault *v, struct http_req *r, struct api_approval *ap)
{
	const struct api_approval_kind *k = api_approval_kind(ap->info.kind);
	struct api_refusal fail;
	struct bos_err err;
	json_t *result = NULL;
	char *rj;
	int rc;

	if (k == NULL) {
		log_err("request %s: approval %s has unknown kind %s", http_req_id(r), ap->info.id,
		    ap->info.kind);
		return -1;
	}
	memset(&fail, 0, sizeof(fail));
	bos_err_clear(&err);
	if ((rc = k->run(v, r, ap->params, &result, &fail, &err)) < 0)
		return api_approval_fail(r, &err);
	if (rc > 0)
		return api_approval_refused(v, r, ap, &fail);
	rj = json_dumps(result, JSON_COMPACT);
	rc = rj == NULL ? -1 : approval_decide(v->st.store, ap->info.id, "approved",
	    http_req_principal(r)->name, rj, ap->now, &err);
	json_alloc_release(rj);
	if (rc != 0 || api_approval_load(v, ap->info.id, ap, &err) != 0) {
		json_decref(result);
		return api_approval_fail(r, &err);
	}
	http_req_audit_reason(r, "approval %s (%s) approved and done: %s", ap->info.id,
	    ap->info.kind, ap->info.summary);
	log_info("request %s: %s approved approval %s (%s)", http_req_id(r),
	    http_req_principal(r)->accessor, ap->info.id, ap->info.kind);
	return http_reply_json(r, 200, json_pack("{s:O, s:o}", "approval", ap->shown, "result",
	    result));
}

/* Read id and gate it, in the audit transaction (joined first when join). */
static int
api_approval_pending(struct vault *v, struct http_req *r, const char *id, int join,
    struct api_approval *ap)
{
	struct bos_err err;
	int rc;

	vault_db_lock(v);
	rc = api_approval_load(v, id, ap, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_approval_fail(r, &err) == 0 ? 1 : -1;
	if (strcmp(approval_state(&ap->info, ap->now), "pending") == 0 && !join)
		return 0;
	/* Something is answered or written from here: in the audit transaction. */
	if (http_req_audit_join(r) != 0)
		return 1;
	vault_db_lock(v);
	if ((rc = api_approval_load(v, id, ap, &err)) != 0)
		rc = api_approval_fail(r, &err) == 0 ? 1 : -1;
	else
		rc = api_approval_gate(v, r, ap);
	vault_db_unlock(v);
	return rc;
}

/*
 * POST /approvals/{id}/approve {totp}. The approval's state is looked at
 * before the code is checked, so that a code is not spent on an approval
 * that is decided or expired, and again after it, in the transaction that
 * runs the action.
 */
int
api_approval_approve(struct vault *v, struct http_req *r)
{
	json_t *totp = json_object_get(http_req_body(r), "totp");
	struct api_approval ap = { 0 };
	const char *id;
	int rc;

	if ((rc = api_approval_id(v, r, POLICY_UPDATE, "approve", &id)) != 0)
		return rc > 0 ? 0 : -1;
	if (!json_is_string(totp))
		return http_reply_error(r, 400, "invalid_request", "send a fresh code of your "
		    "authenticator app as the string field totp");
	if ((rc = api_approval_pending(v, r, id, 0, &ap)) != 0)
		goto out;
	if ((rc = api_auth_totp_fresh(v, r, json_string_value(totp))) != 0)
		goto out;
	if ((rc = api_approval_pending(v, r, id, 1, &ap)) != 0)
		goto out;
	vault_db_lock(v);
	rc = api_approval_run(v, r, &ap);
	vault_db_unlock(v);
 out:
	api_approval_clear(&ap);
	return rc > 0 ? 0 : rc;
}
