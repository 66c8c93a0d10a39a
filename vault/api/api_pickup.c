/*
 * POST /grants/{accessor}/pickup {totp} (docs/MCP.md "Vault: grant pickup"):
 * the token of a grant made with delivery "pickup", handed once to the
 * admin who made the grant, with a fresh TOTP code of theirs. The wrapped
 * token is unwrapped by the HSM and its blob deleted in the transaction of
 * the request's audit record, so the answer that carries the token leaves
 * only once the record of the pickup is durable (and signed). The token is
 * never logged or recorded, and wiped here once the answer holds it.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "hsmc/hsm_client.h"
#include "log.h"
#include "policy.h"
#include "secmem.h"
#include "store/helper.h"
#include "store/pickup.h"
#include "token.h"
#include "core/vault.h"

#define API_PICKUP_PATH_SIZE (sizeof("grants//pickup") + TOKEN_ACCESSOR_SIZE)

static json_t *
api_pickup_time(int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

static int
api_pickup_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND &&
	    err->code != BOS_E_EXISTS)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err) == 0 ? 1 : -1;
}

/* What a pickup that cannot be handed out answers. 1 answered, -1. */
static int
api_pickup_refuse(struct http_req *r, unsigned status, const char *code, const char *accessor,
    const char *msg)
{
	http_req_audit_reason(r, "pickup of grant %s refused: %s", accessor, code);
	return http_reply_error(r, status, code, "%s", msg) == 0 ? 1 : -1;
}

/* Past its time: end it (in the audit transaction) and answer 410. */
static int
api_pickup_expire(struct vault *v, struct http_req *r, const char *accessor)
{
	struct bos_err err;
	int rc;

	if (http_req_audit_join(r) != 0)
		return 1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = pickup_end(v->st.store, accessor, "expired", vault_now(v), &err);
	vault_db_unlock(v);
	if (rc != 0 && err.code != BOS_E_EXISTS)
		return api_pickup_fail(r, &err);
	http_req_audit_reason(r, "the token of grant %s expired before it was picked up; "
	    "the grant stays (revoke it if it is not wanted)", accessor);
	return http_reply_error(r, 410, "pickup_expired", "the token of grant %s was not picked "
	    "up in time and is gone; the grant stays: revoke it and create another", accessor) ==
	    0 ? 1 : -1;
}

/*
 * Under the lock: may the caller pick up accessor's token now? 0 yes, with
 * *p (the wrapped token) and *g (the grant, grant_info_free it); else
 * answered (1) or -1. An expired one is answered 410 by the caller.
 */
static int
api_pickup_gate(struct vault *v, struct http_req *r, const char *accessor,
    struct pickup_info *p, struct grant_info *g)
{
	struct bos_err err;
	int rc;

	bos_err_clear(&err);
	memset(g, 0, sizeof(*g));
	if ((rc = pickup_get(v->st.store, accessor, vault_now(v), p, &err)) < 0)
		return api_pickup_fail(r, &err);
	if (rc == 1)
		return api_pickup_refuse(r, 404, "not_found", accessor, "no token waits for pickup "
		    "for this grant: it was made with delivery response (its token was in the "
		    "answer), or there is no such grant");
	if (grant_get(v->st.store, accessor, g, &err) != 0)
		return api_pickup_fail(r, &err);
	if (g->revoked_at != 0 || p->state == PICKUP_REVOKED)
		return api_pickup_refuse(r, 409, "grant_revoked", accessor, "the grant is revoked: "
		    "its token was deleted with it");
	if (strcmp(p->created_by, http_req_principal(r)->name) != 0)
		return api_pickup_refuse(r, 403, "forbidden", accessor, "only the admin who "
		    "created the grant may pick its token up");
	if (p->state == PICKUP_USED)
		return api_pickup_refuse(r, 410, "pickup_used", accessor, "the token of this grant "
		    "was picked up already: it is shown once");
	return p->state == PICKUP_EXPIRED ? 2 : 0;
}

/* The gate without holding the lock; 2 (expired) is answered here. */
static int
api_pickup_check(struct vault *v, struct http_req *r, const char *accessor,
    struct pickup_info *p, struct grant_info *g)
{
	int rc;

	vault_db_lock(v);
	rc = api_pickup_gate(v, r, accessor, p, g);
	vault_db_unlock(v);
	if (rc == 2)
		rc = api_pickup_expire(v, r, accessor);
	return rc;
}

/* Under the lock, in the audit transaction: unwrap, end the pickup, answer with the token. */
static int
api_pickup_hand(struct vault *v, struct http_req *r, const struct pickup_info *p,
    const struct grant_info *g)
{
	uint8_t aad[PICKUP_AAD_MAX];
	char token[TOKEN_SIZE];
	size_t aad_len = pickup_aad(p->accessor, aad), len = 0;
	struct bos_err err;
	json_t *o;
	int rc = -1;

	bos_err_clear(&err);
	memset(token, 0, sizeof(token));
	if (hsm_unwrap(v->st.hsm, p->kek_version, aad, aad_len, p->blob, p->blob_len,
	    (uint8_t *)token, sizeof(token) - 1, &len, &err) != 0) {
		rc = api_pickup_fail(r, &err);
		goto out;
	}
	token[len] = '\0';
	if (len != TOKEN_LEN || token_check(token, TOKEN_HELPER) != 0) {
		log_err("request %s: the wrapped token of grant %s is not a helper token",
		    http_req_id(r), p->accessor);
		rc = http_reply_error(r, 500, "internal", "the stored token is damaged (request "
		    "%s)", http_req_id(r)) == 0 ? 1 : -1;
		goto out;
	}
	if (pickup_end(v->st.store, p->accessor, "picked_up", vault_now(v), &err) != 0) {
		rc = err.code == BOS_E_EXISTS ? api_pickup_refuse(r, 410, "pickup_used",
		    p->accessor, "the token of this grant was picked up already") :
		    api_pickup_fail(r, &err);
		goto out;
	}
	o = json_pack("{s:s, s:s, s:s, s:o}", "accessor", p->accessor, "token", token,
	    "helper", g->helper_id, "expires_at", api_pickup_time(g->expires_at));
	http_req_audit_reason(r, "token of grant %s (helper %s) picked up by %s", p->accessor,
	    g->helper_id, http_req_principal(r)->name);
	log_info("request %s: %s picked up the token of grant %s", http_req_id(r),
	    http_req_principal(r)->accessor, p->accessor);
	rc = o == NULL ? -1 : http_reply_json_secret(r, 200, o) == 0 ? 1 : -1;
 out:
	secmem_wipe(token, sizeof(token));
	return rc;
}

int
api_grant_pickup(struct vault *v, struct http_req *r)
{
	const char *accessor = http_req_param(r, "accessor");
	json_t *totp = json_object_get(http_req_body(r), "totp");
	char path[API_PICKUP_PATH_SIZE];
	struct pickup_info p;
	struct grant_info g;
	int rc;

	memset(&g, 0, sizeof(g));
	memset(&p, 0, sizeof(p));
	if (accessor == NULL || !token_accessor_valid(accessor))
		return http_reply_error(r, 404, "not_found", "no such grant: give its accessor "
		    "(acc_...)");
	(void)snprintf(path, sizeof(path), "grants/%s/pickup", accessor);
	if ((rc = api_allow(v, r, POLICY_READ, path, accessor)) != 0)
		return rc > 0 ? 0 : -1;
	if (!json_is_string(totp))
		return http_reply_error(r, 400, "invalid_request", "send a fresh code of your "
		    "authenticator app as the string field totp");
	/* Looked at before the code is spent, and again in the transaction after it. */
	rc = api_pickup_check(v, r, accessor, &p, &g);
	grant_info_free(&g);
	secmem_wipe(&p, sizeof(p));
	if (rc != 0 || (rc = api_auth_totp_fresh(v, r, json_string_value(totp))) != 0)
		return rc > 0 ? 0 : -1;
	if (http_req_audit_join(r) != 0)
		return 0;
	rc = api_pickup_check(v, r, accessor, &p, &g);
	if (rc == 0) {
		vault_db_lock(v);
		rc = api_pickup_hand(v, r, &p, &g);
		vault_db_unlock(v);
	}
	grant_info_free(&g);
	secmem_wipe(&p, sizeof(p));
	return rc > 0 ? 0 : rc;
}
