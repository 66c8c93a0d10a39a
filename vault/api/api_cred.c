/*
 * The credentials API: POST/GET /credentials, GET/PUT/DELETE
 * /credentials/{id}, GET /credentials/{id}/versions. Metadata never carries
 * a secret; a card shows brand, first 6 and last 4 only. A secret leaves
 * only in GET /credentials/{id}, in a response whose bytes are wiped once
 * sent.
 *
 * Every handler asks the policy engine (through grant_authorize, auth/authz.h)
 * before it does anything, for admins and helpers alike, and answers 403
 * with the reason when refused. A helper's use is counted in the same
 * transaction as the operation, under the database lock: a use counts only
 * when the operation commits, and a revoke cannot fall between the check
 * and the operation.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "store/cred.h"
#include "store/cred_use.h"
#include "auth/authz.h"
#include "store/helper.h"
#include "http/http_route.h"
#include "json_alloc.h"
#include "log.h"
#include "secmem.h"
#include "store/store.h"
#include "core/vault.h"

/* RFC 3339 UTC time, or null for 0. */
static json_t *
api_cred_time(int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

json_t *
api_cred_meta_json(const struct cred_meta *m)
{
	json_t *o = json_object(), *md;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "name", json_string(m->name));
	json_object_set_new(o, "type", json_string(credname_type(m->type)));
	json_object_set_new(o, "service", json_string(m->service));
	json_object_set_new(o, "version", json_integer(m->version));
	json_object_set_new(o, "status", json_string(m->revoked_at ? "revoked" : "active"));
	json_object_set_new(o, "created_at", api_cred_time(m->created_at));
	json_object_set_new(o, "updated_at", api_cred_time(m->updated_at));
	if (m->revoked_at)
		json_object_set_new(o, "revoked_at", api_cred_time(m->revoked_at));
	md = json_loads(m->metadata_json ? m->metadata_json : "{}", 0, NULL);
	json_object_set_new(o, "metadata", md ? md : json_object());
	if (m->type == CRED_CARD)
		json_object_set_new(o, "card", json_pack("{s:s, s:s, s:s}", "brand", m->card_brand,
		    "first6", m->card_first6, "last4", m->card_last4));
	return o;
}

/* A required string field of the body; answers 400 itself when missing or not a string. */
static const char *
api_cred_field(struct http_req *r, const char *name, int *answered)
{
	json_t *v = json_object_get(http_req_body(r), name);

	if (json_is_string(v))
		return json_string_value(v);
	*answered = 1;
	if (http_reply_error(r, 400, "invalid", "'%s' is required and must be a string", name) != 0)
		*answered = -1;
	return NULL;
}

/*
 * Where a credential that does not exist is "found" for the policy: a valid
 * path that no credential can have (services are lowercase).
 */
#define API_CRED_UNKNOWN_PATH "credentials/UNKNOWN/UNKNOWN"
/* The route of one credential: its {id} is the id or the name. */
#define API_CRED_PATTERN "/credentials/{id}"
/* The list itself, as the policy knows it. */
#define API_CRED_LIST_PATH "credentials"

/* Ask the policy engine; caller holds the lock and has a transaction open. */
static int
api_cred_decide(struct vault *v, struct http_req *r, unsigned action,
    const struct policy_resource *res, int64_t now, struct policy_decision *d,
    struct policy_decision *told, struct bos_err *err)
{
	static const struct policy_resource unknown = { API_CRED_UNKNOWN_PATH, NULL };
	struct policy_context ctx = { now, http_req_client(r) };
	struct grant_use u = { v->policy, http_req_principal(r), action, res, &unknown, &ctx,
	    v->st.conf.grant_idle_revoke_seconds };

	return grant_authorize(v->st.store, &u, d, told, err);
}

/* 403 in the words the caller may be told; the log keeps the real reason. */
static int
api_cred_forbid(struct http_req *r, unsigned action, const char *what,
    const struct policy_decision *d, const struct policy_decision *told)
{
	log_info("request %s: %s denied %s on %s: %s", http_req_id(r),
	    http_req_principal(r)->accessor, policy_action_name(action), what, d->reason);
	http_req_audit_reason(r, "%s", d->reason);
	return http_reply_error(r, 403, "forbidden", "%s", told->reason);
}

/* Commit what a decision wrote (a lazy idle revocation), unlock, refuse. */
static int
api_cred_refuse(struct vault *v, struct http_req *r, unsigned action, const char *what,
    const struct policy_decision *d, const struct policy_decision *told)
{
	struct bos_err err;

	if (store_commit(v->st.store, &err) != 0)
		log_err("request %s: %s", http_req_id(r), err.msg);
	vault_db_unlock(v);
	return api_cred_forbid(r, action, what, d, told);
}

/* Roll back, unlock, answer the error. */
static int
api_cred_abort(struct vault *v, struct http_req *r, const struct bos_err *err)
{
	if (store_rollback(v->st.store, NULL) != 0)
		log_err("request %s: rollback failed", http_req_id(r));
	vault_db_unlock(v);
	return http_reply_bos_err(r, err);
}

/* Lock the database and open the transaction the decision and the operation share. */
static int
api_cred_open(struct vault *v, struct http_req *r, int *answered)
{
	struct bos_err err;

	bos_err_clear(&err);
	vault_db_lock(v);
	if (store_begin(v->st.store, &err) == 0)
		return 0;
	vault_db_unlock(v);
	*answered = http_reply_bos_err(r, &err) == 0 ? 1 : -1;
	return -1;
}

/* Commit and unlock. 0, or the error was answered (1/-1); m (if any) is freed then. */
static int
api_cred_close(struct vault *v, struct http_req *r, struct cred_meta *m)
{
	struct bos_err err;
	int rc;

	bos_err_clear(&err);
	rc = store_commit(v->st.store, &err);   /* a failed commit is rolled back */
	vault_db_unlock(v);
	if (rc == 0)
		return 0;
	cred_meta_free(m);
	return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
}

/* The operation on a credential the caller may touch; runs inside the transaction. */
typedef int (*api_cred_op)(struct vault *v, struct http_req *r, const struct cred_meta *m,
    void *arg, struct bos_err *err);

/*
 * Inside the transaction: may the caller do action on res (NULL: nothing by
 * the name it gave)? 0 when allowed; otherwise the transaction ended and the
 * answer was queued (1) or could not be (-1).
 */
static int
api_cred_check(struct vault *v, struct http_req *r, unsigned action,
    const struct policy_resource *res, const char *what, int64_t now)
{
	struct policy_decision d, told;
	struct bos_err err;

	bos_err_clear(&err);
	if (api_cred_decide(v, r, action, res, now, &d, &told, &err) != 0)
		return api_cred_abort(v, r, &err) == 0 ? 1 : -1;
	if (!d.allow)
		return api_cred_refuse(v, r, action, what, &d, &told) == 0 ? 1 : -1;
	return 0;
}

/* The resource a found credential is to the policy. 0, or answered (1/-1). */
static int
api_cred_resource(struct vault *v, struct http_req *r, const struct cred_meta *m,
    char path[GRANT_ITEM_MAX + 1], struct policy_resource *res)
{
	struct bos_err err;

	bos_err_clear(&err);
	if (grant_cred_path(m, path, &err) != 0)
		return api_cred_abort(v, r, &err) == 0 ? 1 : -1;
	*res = (struct policy_resource){ path, m->id };
	return 0;
}

/*
 * Find credential {id}, ask the policy whether the caller may do action on
 * it, and run op: under the database lock, in one transaction. A credential
 * that does not exist is decided on a made-up path, so that a helper is
 * refused an unknown id in the same words as one outside its grant, and
 * learns nothing about what exists; an admin then gets 404.
 * Returns 0 when op committed (*m filled: the caller answers and frees it),
 * else the answer was queued (1) or could not be (-1).
 */
static int
api_cred_run(struct vault *v, struct http_req *r, unsigned action, api_cred_op op, void *arg,
    struct cred_meta *m)
{
	struct policy_resource res;
	struct bos_err err, nf;
	char path[GRANT_ITEM_MAX + 1];
	int64_t now = vault_now(v);
	int answered = 0, rc;

	memset(m, 0, sizeof(*m));
	bos_err_clear(&err);
	bos_err_clear(&nf);
	if (api_cred_open(v, r, &answered) != 0)
		return answered;
	if (cred_get(&v->cc, http_req_param(r, "id"), m, &nf) != 0) {
		if (nf.code != BOS_E_NOTFOUND && nf.code != BOS_E_INVALID)
			return api_cred_abort(v, r, &nf) == 0 ? 1 : -1;
		if ((rc = api_cred_check(v, r, action, NULL, "an unknown credential", now)) != 0)
			return rc;
		return api_cred_abort(v, r, &nf) == 0 ? 1 : -1;
	}
	if ((rc = api_cred_resource(v, r, m, path, &res)) != 0 ||
	    (rc = api_cred_check(v, r, action, &res, m->id, now)) != 0) {
		cred_meta_free(m);
		return rc;
	}
	if (op(v, r, m, arg, &err) != 0) {
		cred_meta_free(m);
		return api_cred_abort(v, r, &err) == 0 ? 1 : -1;
	}
	return api_cred_close(v, r, m);
}

/* Reply with the metadata of id (status 200 or 201). Caller holds no lock. */
static int
api_cred_reply_meta(struct vault *v, struct http_req *r, const char *id, unsigned status)
{
	struct cred_meta m;
	struct bos_err err;
	int rc;

	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_get(&v->cc, id, &m, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	rc = http_reply_json(r, status, api_cred_meta_json(&m));
	cred_meta_free(&m);
	return rc;
}

/*
 * Ask the policy whether the caller may do action on res, in a transaction
 * of its own (for admins the decision is pure; a helper's is never an allow
 * for these actions, but may revoke an idle grant). 0 when allowed,
 * otherwise the answer was queued (1) or could not be (-1).
 */
static int
api_cred_allow(struct vault *v, struct http_req *r, unsigned action,
    const struct policy_resource *res, const char *what, int64_t now)
{
	int answered = 0, rc;

	if (api_cred_open(v, r, &answered) != 0)
		return answered;
	if ((rc = api_cred_check(v, r, action, res, what, now)) != 0)
		return rc;
	return api_cred_close(v, r, NULL);
}

/*
 * "create" on the path the body names, before the body is checked: whoever
 * may not create learns nothing from the checks. A body without a name or a
 * service is decided on the made-up path, then refused by the checks.
 */
static int
api_cred_may_create(struct vault *v, struct http_req *r)
{
	json_t *body = http_req_body(r);
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *svc = json_string_value(json_object_get(body, "service"));
	struct policy_resource res = { API_CRED_UNKNOWN_PATH, NULL };
	char path[GRANT_ITEM_MAX + 1];
	int len;

	if (name != NULL && svc != NULL) {
		len = snprintf(path, sizeof(path), "credentials/%s/%s", svc, name);
		if (len > 0 && (size_t)len < sizeof(path))
			res.path = path;
	}
	return api_cred_allow(v, r, POLICY_CREATE, &res, "a new credential", vault_now(v));
}

int
api_cred_create(struct vault *v, struct http_req *r)
{
	json_t *body = http_req_body(r), *md = json_object_get(body, "metadata");
	struct cred_new n;
	struct bos_err err;
	char id[CRED_ID_LEN + 1], *md_text = NULL;
	const char *type, *secret;
	int answered = 0, rc;

	if ((rc = api_cred_may_create(v, r)) != 0)
		return rc > 0 ? 0 : -1;
	memset(&n, 0, sizeof(n));
	if ((n.name = api_cred_field(r, "name", &answered)) == NULL ||
	    (type = api_cred_field(r, "type", &answered)) == NULL ||
	    (n.service = api_cred_field(r, "service", &answered)) == NULL ||
	    (secret = api_cred_field(r, "secret", &answered)) == NULL)
		return answered > 0 ? 0 : -1;
	if (credname_type_parse(type, &n.type) != 0)
		return http_reply_error(r, 400, "invalid", "'type' must be one of api_key, password, "
		    "card, bank_account, secret");
	/* Derived from the route table, so that a route added later cannot shadow a new name. */
	if (http_route_param_reserved(api_routes, api_routes_n, API_CRED_PATTERN, "id", n.name))
		return http_reply_error(r, 400, "invalid", "name '%s' is reserved: "
		    "/credentials/%s is another route of the API, so the credential could not be "
		    "found by its name; choose another name", n.name, n.name);
	if (md != NULL && !json_is_object(md))
		return http_reply_error(r, 400, "invalid", "'metadata' must be an object");
	if (md != NULL && (md_text = json_dumps(md, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return -1;
	n.metadata_json = md_text;
	n.secret = (const uint8_t *)secret;
	n.secret_len = json_string_length(json_object_get(body, "secret"));
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_create(&v->cc, &n, id, &err);
	vault_db_unlock(v);
	json_alloc_release(md_text);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	log_info("request %s: %s created credential %s", http_req_id(r),
	    http_req_principal(r)->accessor, id);
	http_req_audit_resource(r, "/credentials/%s", id);
	return api_cred_reply_meta(v, r, id, 201);
}

/* The fixed segment right after "/credentials/" in a pattern, or 0 when it has none. */
static int
api_cred_route_segment(const char *pattern, char name[CRED_NAME_MAX + 1])
{
	static const char prefix[] = "/credentials/";
	size_t len;

	if (strncmp(pattern, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	pattern += sizeof(prefix) - 1;
	len = strcspn(pattern, "/");
	if (len == 0 || len > CRED_NAME_MAX || pattern[0] == '{')
		return 0;
	memcpy(name, pattern, len);
	name[len] = '\0';
	return 1;
}

void
api_cred_warn_reserved(struct vault *v)
{
	char name[CRED_NAME_MAX + 1], seen[CRED_NAME_MAX + 1];
	struct cred_meta m;
	struct bos_err err;
	size_t i, j;

	for (i = 0; i < api_routes_n; i++) {
		if (!api_cred_route_segment(api_routes[i].pattern, name) ||
		    !http_route_param_reserved(api_routes, api_routes_n, API_CRED_PATTERN, "id",
		    name))
			continue;
		/* Once per name: /credentials/audit/export names "audit" again. */
		for (j = 0; j < i; j++)
			if (api_cred_route_segment(api_routes[j].pattern, seen) &&
			    strcmp(seen, name) == 0)
				break;
		if (j < i)
			continue;
		bos_err_clear(&err);
		vault_db_lock(v);
		if (cred_get(&v->cc, name, &m, &err) == 0) {
			log_warn("credential %s is named '%s', which the route /credentials/%s "
			    "shadows: reach it by its id", m.id, name, name);
			cred_meta_free(&m);
		}
		vault_db_unlock(v);
	}
}

/* What a list needs in its callback. */
struct api_cred_list_ctx {
	struct vault *v;
	struct http_req *r;
	json_t *arr;
	int64_t now;
	int stale_only;
	int failed;                  /* a callback failed: cred_list stops without an error */
	struct bos_err err;
};

/* Is the admin allowed to see m in a list? Admins only reach this (no use is counted). */
static int
api_cred_listable(struct api_cred_list_ctx *c, const struct cred_meta *m)
{
	struct policy_decision d, told;
	struct policy_resource res = { NULL, m->id };
	char path[GRANT_ITEM_MAX + 1];

	if (grant_cred_path(m, path, NULL) != 0)
		return 0;
	res.path = path;
	if (api_cred_decide(c->v, c->r, POLICY_LIST, &res, c->now, &d, &told, &c->err) != 0)
		return -1;
	return d.allow;
}

static int
api_cred_list_cb(const struct cred_meta *m, void *arg)
{
	struct api_cred_list_ctx *c = arg;
	int64_t last = 0;
	int allowed, stale;
	json_t *o;

	if ((allowed = api_cred_listable(c, m)) < 0 ||
	    (allowed && cred_use_last_read(c->v->st.store, m->id, &last, &c->err) != 0))
		return c->failed = -1;
	if (!allowed)
		return 0;
	stale = cred_use_is_stale(m->created_at, last, m->revoked_at, c->now,
	    c->v->st.conf.credential_stale_seconds);
	if (c->stale_only && !stale)
		return 0;
	if ((o = api_cred_meta_json(m)) == NULL) {
		bos_err_set(&c->err, BOS_E_NOMEM, "out of memory listing credentials");
		return c->failed = -1;
	}
	json_object_set_new(o, "last_read_at", api_cred_time(last));
	json_object_set_new(o, "stale", json_boolean(stale));
	if (json_array_append_new(c->arr, o) != 0) {
		bos_err_set(&c->err, BOS_E_NOMEM, "out of memory listing credentials");
		return c->failed = -1;
	}
	return 0;
}

/* ?stale=true|false: 1, 0, or -1 when it is something else. */
static int
api_cred_stale_param(struct http_req *r)
{
	const char *s = http_req_query(r, "stale");

	if (s == NULL || strcmp(s, "false") == 0)
		return 0;
	return strcmp(s, "true") == 0 ? 1 : -1;
}

/* Under the lock: the credentials this admin's role may list. 0, or answered (1/-1). */
static int
api_cred_list_locked(struct api_cred_list_ctx *c, const char *service, const char *type)
{
	int rc;

	vault_db_lock(c->v);
	rc = cred_list(&c->v->cc, service, type, api_cred_list_cb, c, &c->err);
	vault_db_unlock(c->v);
	if (rc != 0 || c->failed)
		return http_reply_bos_err(c->r, &c->err) == 0 ? 1 : -1;
	return 0;
}

int
api_cred_list(struct vault *v, struct http_req *r)
{
	static const struct policy_resource all = { API_CRED_LIST_PATH, NULL };
	const char *service = http_req_query(r, "service"), *type = http_req_query(r, "type");
	struct api_cred_list_ctx c = { v, r, NULL, vault_now(v), 0, 0, { 0, "" } };
	enum cred_type t;
	int rc;

	if (type != NULL && credname_type_parse(type, &t) != 0)
		return http_reply_error(r, 400, "invalid", "'type' must be one of api_key, password, "
		    "card, bank_account, secret");
	if ((c.stale_only = api_cred_stale_param(r)) < 0)
		return http_reply_error(r, 400, "invalid", "'stale' must be true or false");
	/*
	 * "list" on the list itself first: a helper (whose grants never
	 * include "list") is refused before anything is read.
	 */
	if ((rc = api_cred_allow(v, r, POLICY_LIST, &all, API_CRED_LIST_PATH, c.now)) != 0)
		return rc > 0 ? 0 : -1;
	if ((c.arr = json_array()) == NULL)
		return -1;
	if ((rc = api_cred_list_locked(&c, service, type)) != 0) {
		json_decref(c.arr);
		return rc > 0 ? 0 : -1;
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "credentials", c.arr));
}

/* The version query parameter: absent means current (0). -1 when invalid. */
static long
api_cred_version(struct http_req *r)
{
	const char *s = http_req_query(r, "version");
	char *end;
	long n;

	if (s == NULL)
		return 0;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || n < 1 || n > UINT32_MAX)
		return -1;
	return n;
}

/*
 * The secret as JSON: a string when it is valid UTF-8 (every secret given
 * through the API is), else base64 under "secret_base64".
 */
int
api_cred_put_secret(json_t *o, const uint8_t *secret, size_t len)
{
	json_t *s = json_stringn((const char *)secret, len);
	size_t cap = 4 * ((len + 2) / 3) + 1;
	unsigned char *b64;
	int rc;

	if (s != NULL)
		return json_object_set_new(o, "secret", s);
	if ((b64 = malloc(cap)) == NULL)
		return -1;
	(void)EVP_EncodeBlock(b64, secret, (int)len);
	rc = json_object_set_new(o, "secret_base64", json_string((const char *)b64));
	secmem_freezero(b64, cap);
	return rc;
}

struct api_cred_read {
	uint32_t version;
	struct cred_stored stored;
};

/* In the use's transaction: copy the version's blobs. */
static int
api_cred_read_op(struct vault *v, struct http_req *r, const struct cred_meta *m, void *arg,
    struct bos_err *err)
{
	struct api_cred_read *rd = arg;

	(void)r;
	return cred_read_stored(&v->cc, m->id, rd->version, &rd->stored, err);
}

/*
 * The HSM's part of a read (a bos-hsmd round trip, the slowest step) runs
 * without the database lock: the decision, the use it counted and the read
 * mark wait in the group-commit batch, which cannot commit before this
 * request's record joins them (http_req_pause, batch.h).
 */
static int
api_cred_open_stored(struct vault *v, struct http_req *r, const char *id,
    const struct cred_stored *s, uint8_t **secret, size_t *len, struct bos_err *err)
{
	int paused = http_req_pause(r) == 0, rc;

	rc = cred_open_stored(&v->cc, id, s, secret, len, err);
	if (paused && http_req_resume(r) != 0) {
		secmem_freezero(*secret, *len);
		*secret = NULL;
		*len = 0;
		return bos_err_set(err, BOS_E_BUSY, "the database rolled back this read while it "
		    "was being decrypted; nothing was read; retry");
	}
	/* Locked again: note the read for the stale report (GET /credentials?stale=true). */
	if (rc == 0 && cred_use_mark_read(v->st.store, id, vault_now(v), err) != 0) {
		secmem_freezero(*secret, *len);
		*secret = NULL;
		*len = 0;
		return -1;
	}
	return rc;
}

int
api_cred_decrypt(struct vault *v, struct http_req *r, const char *id, uint32_t version,
    uint8_t **secret, size_t *len, struct bos_err *err)
{
	struct cred_stored stored;
	int rc;

	*secret = NULL;
	*len = 0;
	memset(&stored, 0, sizeof(stored));
	if (cred_read_stored(&v->cc, id, version, &stored, err) != 0)
		return -1;
	rc = api_cred_open_stored(v, r, id, &stored, secret, len, err);
	cred_stored_free(&stored);
	return rc;
}

int
api_cred_get(struct vault *v, struct http_req *r)
{
	long version = api_cred_version(r);
	struct api_cred_read rd;
	struct cred_meta m;
	struct bos_err err;
	uint8_t *secret = NULL;
	size_t len = 0;
	json_t *o;
	int rc;

	if (version < 0)
		return http_reply_error(r, 400, "invalid", "'version' must be a positive integer");
	memset(&rd, 0, sizeof(rd));
	rd.version = (uint32_t)version;
	if ((rc = api_cred_run(v, r, POLICY_READ, api_cred_read_op, &rd, &m)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	rc = api_cred_open_stored(v, r, m.id, &rd.stored, &secret, &len, &err);
	cred_stored_free(&rd.stored);
	if (rc != 0) {
		cred_meta_free(&m);
		return http_reply_bos_err(r, &err);
	}
	log_info("request %s: %s read the secret of credential %s version %ld", http_req_id(r),
	    http_req_principal(r)->accessor, m.id, version ? version : (long)m.version);
	o = api_cred_meta_json(&m);
	if (o != NULL) {
		json_object_set_new(o, "secret_version", json_integer(version ? version : m.version));
		if (api_cred_put_secret(o, secret, len) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	secmem_freezero(secret, len);
	cred_meta_free(&m);
	return o == NULL ? -1 : http_reply_json_secret(r, 200, o);
}

/* The body is checked here, after the decision: whoever may not update learns nothing. */
static int
api_cred_update_op(struct vault *v, struct http_req *r, const struct cred_meta *m, void *arg,
    struct bos_err *err)
{
	json_t *secret = json_object_get(http_req_body(r), "secret");

	if (!json_is_string(secret))
		return bos_err_set(err, BOS_E_INVALID, "'secret' is required and must be a string");
	return cred_update(&v->cc, m->id, (const uint8_t *)json_string_value(secret),
	    json_string_length(secret), arg, err);
}

int
api_cred_update(struct vault *v, struct http_req *r)
{
	struct cred_meta m;
	uint32_t version = 0;
	int rc;

	if ((rc = api_cred_run(v, r, POLICY_UPDATE, api_cred_update_op, &version, &m)) != 0)
		return rc > 0 ? 0 : -1;
	log_info("request %s: %s stored version %u of credential %s", http_req_id(r),
	    http_req_principal(r)->accessor, version, m.id);
	rc = api_cred_reply_meta(v, r, m.id, 200);
	cred_meta_free(&m);
	return rc;
}

static int
api_cred_revoke_op(struct vault *v, struct http_req *r, const struct cred_meta *m, void *arg,
    struct bos_err *err)
{
	(void)r;
	(void)arg;
	if (m->revoked_at != 0)
		return bos_err_set(err, BOS_E_REVOKED, "credential %s is already revoked", m->id);
	return cred_revoke(&v->cc, m->id, err);
}

int
api_cred_revoke(struct vault *v, struct http_req *r)
{
	struct cred_meta m;
	int rc;

	if ((rc = api_cred_run(v, r, POLICY_DELETE, api_cred_revoke_op, NULL, &m)) != 0)
		return rc > 0 ? 0 : -1;
	log_info("request %s: %s revoked credential %s", http_req_id(r),
	    http_req_principal(r)->accessor, m.id);
	rc = api_cred_reply_meta(v, r, m.id, 200);
	cred_meta_free(&m);
	return rc;
}

static int
api_cred_versions_cb(uint32_t version, int64_t created_at, void *arg)
{
	return json_array_append_new(arg, json_pack("{s:i, s:o}", "version", (int)version,
	    "created_at", api_cred_time(created_at)));
}

static int
api_cred_versions_op(struct vault *v, struct http_req *r, const struct cred_meta *m, void *arg,
    struct bos_err *err)
{
	(void)r;
	return cred_list_versions(&v->cc, m->id, api_cred_versions_cb, arg, err);
}

/* The versions are a list: admins only, as the list itself ("list" on the credential). */
int
api_cred_versions(struct vault *v, struct http_req *r)
{
	struct cred_meta m;
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return -1;
	if ((rc = api_cred_run(v, r, POLICY_LIST, api_cred_versions_op, arr, &m)) != 0) {
		json_decref(arr);
		return rc > 0 ? 0 : -1;
	}
	rc = http_reply_json(r, 200, json_pack("{s:s, s:o}", "id", m.id, "versions", arr));
	cred_meta_free(&m);
	return rc;
}
