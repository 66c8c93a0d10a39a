/*
 * HTTP handlers for admin sign-in and admin accounts (docs/AUTH.md). The
 * decisions are made in admin.c (accounts, lockout, TOTP replay) and
 * session.c (sessions); this file maps them to requests and responses.
 *
 * Nothing secret is logged or echoed: passwords, TOTP codes, seeds, session
 * tokens and recovery codes appear only in the two one-time responses that
 * create them (the new admin's seed and codes, a new session's token), both
 * sent with http_reply_json_secret. Logs name admins and session accessors.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "audit/batch.h"
#include "auth/admin.h"
#include "api/api.h"
#include "auth/auth.h"
#include "log.h"
#include "policy.h"
#include "secmem.h"
#include "auth/session.h"
#include "core/vault.h"

#define API_AUTH_DELAY_MIN_MS 100
#define API_AUTH_DELAY_SPAN_MS 201  /* 100..300 ms */
/* What the policy knows these routes by (docs/POLICY.md "Routes"). */
#define API_SESSION_PATH "session"
#define API_AUTH_WRONG "the name, password or code is wrong"
#define API_ADMINS_PATH "admins"

/* Sign-in's writes commit on their own, never in a batch that may fail later (batch.h). */
static void
api_auth_db_lock(void *arg)
{
	batch_lock_alone(arg);
}

static void
api_auth_db_unlock(void *arg)
{
	vault_db_unlock(arg);
}

static void
api_auth_ctx(struct vault *v, struct admin_ctx *c)
{
	const struct config *conf = &v->st.conf;

	memset(c, 0, sizeof(*c));
	c->store = v->st.store;
	c->hsm = v->st.hsm;
	c->kek_version = v->st.kek_version;
	c->policy.lockout_failures = conf->lockout_failures;
	c->policy.lockout_seconds = conf->lockout_seconds;
	c->policy.disable_failures = conf->disable_failures;
	c->metrics = v->metrics;
	/* Lockouts follow the vault's clock; TOTP codes the wall clock, as authenticators do. */
	c->totp_now = (int64_t)time(NULL);
	c->db_lock = api_auth_db_lock;
	c->db_unlock = api_auth_db_unlock;
	c->lock_arg = v;
}

/*
 * Slow every refused sign-in down by a random 100-300 ms, so guessing runs
 * at a few tries per second per connection even before the lockout, and the
 * jitter hides small timing differences. No lock is held here.
 */
static void
api_auth_delay(void)
{
	uint8_t rnd[2] = { 0, 0 };
	unsigned ms = API_AUTH_DELAY_MIN_MS + API_AUTH_DELAY_SPAN_MS / 2;
	struct timespec ts;

	if (RAND_bytes(rnd, sizeof(rnd)) == 1)
		ms = API_AUTH_DELAY_MIN_MS + ((unsigned)rnd[0] << 8 | rnd[1]) % API_AUTH_DELAY_SPAN_MS;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * A string field of the body: 0 with *out set (NULL when absent and
 * optional), -1 when it has the wrong type, is missing but required, or
 * holds a NUL (which C code downstream would silently cut at).
 */
static int
api_auth_str(const json_t *body, const char *key, int required, const char **out, size_t *len)
{
	json_t *f = body != NULL ? json_object_get(body, key) : NULL;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (f == NULL || json_is_null(f))
		return required ? -1 : 0;
	if (!json_is_string(f) || strlen(json_string_value(f)) != json_string_length(f))
		return -1;
	*out = json_string_value(f);
	if (len != NULL)
		*len = json_string_length(f);
	return 0;
}

static int
api_auth_internal(struct http_req *r, const char *what, const struct bos_err *err)
{
	log_err("%s failed: %s", what, err->msg);
	return http_reply_error(r, 500, "internal_error", "%s failed; the vault log says why", what);
}

static const char *
api_auth_state_name(enum session_state st)
{
	return st == SESSION_FULL ? "full" : "totp_pending";
}

/* {session, state, name, accessor, idle_timeout, absolute_timeout}; token only when new. */
static json_t *
api_auth_session_json(const char *token, const struct session_info *si)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "state",
	    api_auth_state_name(si->state), "name", si->name, "accessor", si->accessor,
	    "idle_timeout", (json_int_t)si->idle_left, "absolute_timeout",
	    (json_int_t)si->absolute_left);

	if (o != NULL && token != NULL && json_object_set_new(o, "session", json_string(token)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* Password (and maybe TOTP or recovery code) right: a session in the matching state. */
static int
api_auth_start_session(struct vault *v, struct http_req *r, const struct admin_result *res)
{
	enum session_state st = res->outcome == ADMIN_OK_FULL ? SESSION_FULL : SESSION_TOTP_PENDING;
	struct session_info si;
	struct bos_err err = { 0 };
	char token[TOKEN_SIZE];
	json_t *o;

	if (sessions_create(v->sessions, res->id, res->name, st, token, &si, &err) != 0) {
		log_warn("admin %s: no session: %s", res->name, err.msg);
		return http_reply_error(r, 503, "too_many_sessions", "%s", err.msg);
	}
	/* The session counts only once its record is durable. */
	http_req_audit_reason(r, "session %s, %s%s", si.accessor, api_auth_state_name(st),
	    res->recovered ? " (recovery code used)" : "");
	if (http_req_audit_now(r, "allow") != 0) {
		(void)sessions_remove(v->sessions, token);
		secmem_wipe(token, sizeof(token));
		return http_reply_audit_unavailable(r);
	}
	log_info("admin %s signed in from %s: session %s, %s%s", res->name, http_req_client(r),
	    si.accessor, api_auth_state_name(st), res->recovered ? " (recovery code)" : "");
	o = api_auth_session_json(token, &si);
	secmem_wipe(token, sizeof(token));
	if (o == NULL)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	return http_reply_json_secret(r, 200, o);
}

/*
 * A refused attempt: the one error shape per outcome, after the delay;
 * wrong says what a wrong password or code is told.
 */
static int
api_auth_refuse(struct vault *v, struct http_req *r, const struct admin_result *res,
    const char *wrong)
{
	char retry[16];

	if (res->locked_now && res->id[0] != '\0')
		(void)sessions_end_admin(v->sessions, res->id, 1);
	http_req_audit_reason(r, "%s%s%s", res->id[0] == '\0' ? "unknown name" :
	    res->outcome == ADMIN_LOCKED ? "account locked" :
	    res->outcome == ADMIN_DISABLED ? "account disabled" : "wrong password or code",
	    res->locked_now ? "; this failure locked the account" : "",
	    res->disabled_now ? "; this failure disabled the account" : "");
	if (res->id[0] != '\0')
		log_info("sign-in refused for admin %s from %s (%s)", res->name, http_req_client(r),
		    res->outcome == ADMIN_LOCKED ? "locked" :
		    res->outcome == ADMIN_DISABLED ? "disabled" : "wrong credentials");
	else
		log_info("sign-in refused from %s (unknown name)", http_req_client(r));
	api_auth_delay();
	if (res->outcome == ADMIN_LOCKED) {
		snprintf(retry, sizeof(retry), "%u", res->retry_after);
		http_req_add_header(r, "Retry-After", retry);
		return http_reply_error(r, 429, "account_locked", "too many failed sign-ins; try "
		    "again in %u seconds", res->retry_after);
	}
	if (res->outcome == ADMIN_DISABLED)
		return http_reply_error(r, 403, "account_disabled", "this account is disabled after "
		    "too many failed sign-ins; sign in with the password and a recovery code, or "
		    "ask another admin to reset it");
	return http_reply_error(r, 401, "invalid_credentials", "%s", wrong);
}

int
api_auth_login(struct vault *v, struct http_req *r)
{
	const json_t *body = http_req_body(r);
	struct admin_login in;
	struct admin_result res;
	struct admin_ctx c;
	struct bos_err err = { 0 };

	memset(&in, 0, sizeof(in));
	if (api_auth_str(body, "name", 1, &in.name, NULL) != 0 ||
	    api_auth_str(body, "password", 1, &in.password, &in.password_len) != 0 ||
	    api_auth_str(body, "totp", 0, &in.totp, NULL) != 0 ||
	    api_auth_str(body, "recovery_code", 0, &in.recovery_code, NULL) != 0 ||
	    (in.totp != NULL && in.recovery_code != NULL))
		return http_reply_error(r, 400, "invalid_request", "send name and password as "
		    "strings, and at most one of totp and recovery_code");
	api_auth_ctx(v, &c);
	if (admin_login(&c, &in, vault_now(v), &res, &err) != 0)
		return api_auth_internal(r, "sign-in", &err);
	/* Who tried: a name that exists (never an unknown one: it may be a mistyped password). */
	if (res.id[0] != '\0') {
		char who[sizeof(res.name) + 8];

		(void)snprintf(who, sizeof(who), "admin:%s", res.name);
		http_req_audit_principal(r, who);
	}
	if (res.outcome == ADMIN_OK_FULL || res.outcome == ADMIN_OK_PASSWORD)
		return api_auth_start_session(v, r, &res);
	return api_auth_refuse(v, r, &res, API_AUTH_WRONG);
}

/*
 * A fresh TOTP code of the signed-in admin, confirming an action (approving,
 * picking up a grant's token): accepted once, its step later than every one
 * this admin used before, sign-ins included. A wrong or replayed code counts
 * toward the lockout like a failed sign-in (admin_second_factor) and is
 * answered 403 totp_invalid or totp_replayed; a locked account 429. The code
 * is never logged or recorded. Call it without the database lock and outside
 * any transaction (an AUDIT_LATE route, before http_req_audit_join).
 */
int
api_auth_totp_fresh(struct vault *v, struct http_req *r, const char *totp)
{
	const struct principal *p = http_req_principal(r);
	struct admin_result res;
	struct admin_ctx c;
	struct bos_err err = { 0 };

	if (p == NULL || p->kind != PRINCIPAL_ADMIN)
		return http_reply_error(r, 403, "forbidden", "only a signed-in admin confirms with "
		    "a TOTP code") == 0 ? 1 : -1;
	api_auth_ctx(v, &c);
	if (admin_second_factor(&c, p->id, totp, vault_now(v), &res, &err) != 0)
		return api_auth_internal(r, "TOTP check", &err) == 0 ? 1 : -1;
	if (res.outcome == ADMIN_OK_FULL)
		return 0;
	if (res.outcome != ADMIN_BAD)
		return api_auth_refuse(v, r, &res, API_AUTH_WRONG) == 0 ? 1 : -1;
	if (res.locked_now)
		(void)sessions_end_admin(v->sessions, res.id, 1);
	http_req_audit_reason(r, "%s%s%s", res.replayed ? "TOTP code replayed (its step was used "
	    "before)" : "wrong TOTP code", res.locked_now ? "; this failure locked the account" : "",
	    res.disabled_now ? "; this failure disabled the account" : "");
	log_info("request %s: %s: %s TOTP code refused", http_req_id(r), p->accessor,
	    res.replayed ? "replayed" : "wrong");
	api_auth_delay();
	if (res.replayed)
		return http_reply_error(r, 403, "totp_replayed", "this TOTP code (or a later one) "
		    "was used already: wait for the next code of your authenticator app") == 0 ?
		    1 : -1;
	return http_reply_error(r, 403, "totp_invalid", "the TOTP code is wrong: send the "
	    "current code of your authenticator app") == 0 ? 1 : -1;
}

int
api_auth_totp(struct vault *v, struct http_req *r)
{
	const struct principal *p = http_req_principal(r);
	const char *bearer = http_req_bearer(r), *totp = NULL;
	struct session_info si;
	struct admin_result res;
	struct admin_ctx c;
	struct bos_err err = { 0 };
	json_t *o;

	if (p == NULL || bearer == NULL)
		return http_reply_error(r, 401, "unauthenticated", "sign in first");
	if (p->state == SESSION_FULL)
		return http_reply_error(r, 409, "already_signed_in", "this session is already "
		    "signed in fully");
	if (api_auth_str(http_req_body(r), "totp", 1, &totp, NULL) != 0)
		return http_reply_error(r, 400, "invalid_request", "send the six-digit code as "
		    "the string field totp");
	api_auth_ctx(v, &c);
	if (admin_second_factor(&c, p->id, totp, vault_now(v), &res, &err) != 0)
		return api_auth_internal(r, "TOTP check", &err);
	if (res.outcome != ADMIN_OK_FULL)
		return api_auth_refuse(v, r, &res, API_AUTH_WRONG);
	http_req_audit_reason(r, "second factor accepted: session now full");
	if (http_req_audit_now(r, "allow") != 0)
		return http_reply_audit_unavailable(r);
	if (sessions_upgrade(v->sessions, bearer, &si) != 0)
		return http_reply_error(r, 401, "session_expired", "the session ended meanwhile; "
		    "sign in again");
	log_info("admin %s: session %s is now full", si.name, si.accessor);
	if ((o = api_auth_session_json(NULL, &si)) == NULL)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	return http_reply_json(r, 200, o);
}

int
api_auth_logout(struct vault *v, struct http_req *r)
{
	const struct principal *p = http_req_principal(r);
	const char *bearer = http_req_bearer(r);
	json_t *o;

	if (p == NULL || bearer == NULL || !sessions_remove(v->sessions, bearer))
		return http_reply_error(r, 401, "unauthenticated", "no such session");
	log_info("admin %s signed out: session %s ended", p->name, p->accessor);
	if ((o = json_pack("{s:b}", "signed_out", 1)) == NULL)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	return http_reply_json(r, 200, o);
}

int
api_auth_whoami(struct vault *v, struct http_req *r)
{
	const char *bearer = http_req_bearer(r);
	struct session_info si;
	json_t *o;
	int rc;

	if ((rc = api_allow(v, r, POLICY_READ, API_SESSION_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	/* The core has just checked the session; read its timers (this refreshes idle). */
	if (bearer == NULL || sessions_lookup(v->sessions, bearer, &si) != SESSION_FOUND)
		return http_reply_error(r, 401, "session_expired", "the session ended; sign in "
		    "again");
	if ((o = api_auth_session_json(NULL, &si)) == NULL)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	return http_reply_json(r, 200, o);
}

/* ---- admin accounts -------------------------------------------------------------- */

static json_t *
api_admin_secrets_json(const char *name, const struct admin_secrets *s)
{
	json_t *o, *codes;
	size_t i;

	if ((codes = json_array()) == NULL)
		return NULL;
	for (i = 0; i < ADMIN_RECOVERY_CODES; i++)
		if (json_array_append_new(codes, json_string(s->recovery[i])) != 0) {
			json_decref(codes);
			return NULL;
		}
	o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", s->id, "name", name, "totp_uri",
	    s->totp_uri, "totp_secret", s->totp_secret, "recovery_codes", codes);
	return o;
}

int
api_admin_create(struct vault *v, struct http_req *r)
{
	const json_t *body = http_req_body(r);
	const char *name = NULL, *pw = NULL;
	struct admin_secrets s;
	struct admin_ctx c;
	struct bos_err err = { 0 };
	size_t pw_len = 0;
	json_t *o;

	if (api_auth_str(body, "name", 1, &name, NULL) != 0 ||
	    api_auth_str(body, "password", 1, &pw, &pw_len) != 0)
		return http_reply_error(r, 400, "invalid_request", "send name and password as "
		    "strings");
	api_auth_ctx(v, &c);
	if (admin_create_first(&c, name, pw, pw_len, vault_now(v), &s, &err) != 0) {
		if (err.code == BOS_E_EXISTS)
			return http_reply_error(r, 409, "admin_exists", "%s", err.msg);
		if (err.code == BOS_E_INVALID)
			return http_reply_error(r, 400, "invalid_request", "%s", err.msg);
		return api_auth_internal(r, "creating the admin", &err);
	}
	o = api_admin_secrets_json(name, &s);
	admin_secrets_wipe(&s);
	if (o == NULL)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	/* Shown once: the seed and the codes are never readable again. */
	return http_reply_json_secret(r, 201, o);
}

/*
 * The policy's decision on action for admins/NAME (api_allow's returns). The
 * form of a name is public, so a malformed one is answered before any
 * decision: 404 where the admin is looked up, 400 where it is made.
 */
static int
api_admin_allow(struct vault *v, struct http_req *r, unsigned action, const char *name,
    unsigned bad_status)
{
	char path[sizeof(API_ADMINS_PATH) + ADMIN_NAME_MAX + 1];

	if (name == NULL || !admin_name_valid(name))
		return http_reply_error(r, bad_status, bad_status == 404 ? "not_found" :
		    "invalid_request", "%sthe name must be 1 to %d of a-z, 0-9, '.', '_' and '-'",
		    bad_status == 404 ? "no such admin: " : "", ADMIN_NAME_MAX) == 0 ? 1 : -1;
	(void)snprintf(path, sizeof(path), API_ADMINS_PATH "/%s", name);
	return api_allow(v, r, action, path, NULL);
}

/* Map an admin_new_check or admin_new_store failure to its answer. */
static int
api_admin_new_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code == BOS_E_EXISTS)
		return http_reply_error(r, 409, "admin_exists", "%s", err->msg);
	if (err->code == BOS_E_INVALID)
		return http_reply_error(r, 400, "invalid_request", "%s", err->msg);
	return api_auth_internal(r, "adding an admin", err);
}

/*
 * The slow part of adding an admin, then its one transaction: the new row
 * commits together with the audit record or not at all, and the new admin's
 * seed and codes are shown only once both are durable.
 */
static int
api_admin_add_store(struct http_req *r, struct admin_ctx *c, const char *name, const char *pw,
    size_t pw_len, int64_t now)
{
	const struct principal *p = http_req_principal(r);
	struct admin_secrets s;
	struct admin_new nw;
	struct bos_err err = { 0 };
	json_t *o = NULL;
	int rc;

	if (admin_new_prepare(c, name, pw, pw_len, &nw, &s, &err) != 0)
		return api_auth_internal(r, "adding an admin", &err);
	if (http_req_audit_join(r) != 0) {
		rc = 0;   /* answered */
		goto out;
	}
	if (admin_new_store(c, name, &nw, s.id, now, 0, &err) != 0) {
		rc = api_admin_new_fail(r, &err);
		goto out;
	}
	http_req_audit_reason(r, "admin %s (%s) added by %s", name, s.id, p->name);
	log_warn("admin %s (%s) added by admin %s (session %s)", name, s.id, p->name,
	    p->accessor);
	if ((o = api_admin_secrets_json(name, &s)) == NULL)
		rc = http_reply_error(r, 500, "internal_error", "out of memory");
	else
		rc = http_reply_json_secret(r, 201, o);   /* shown once */
 out:
	admin_new_wipe(&nw);
	admin_secrets_wipe(&s);
	return rc;
}

/*
 * POST /admins/{name} {password, totp}: a signed-in admin adds another. The
 * password is the new admin's; the TOTP code is the acting admin's own, fresh
 * (accepted once, like a sign-in's, and counted as a failure when wrong), so
 * that a session alone, a stolen one say, cannot add an admin.
 */
int
api_admin_add(struct vault *v, struct http_req *r)
{
	const char *name = http_req_param(r, "name"), *pw = NULL, *totp = NULL;
	const json_t *body = http_req_body(r);
	struct admin_result res;
	struct admin_ctx c;
	struct bos_err err = { 0 };
	size_t pw_len = 0;
	int rc;

	if ((rc = api_admin_allow(v, r, POLICY_CREATE, name, 400)) != 0)
		return rc > 0 ? 0 : -1;
	if (api_auth_str(body, "password", 1, &pw, &pw_len) != 0 ||
	    api_auth_str(body, "totp", 1, &totp, NULL) != 0)
		return http_reply_error(r, 400, "invalid_request", "send the new admin's password "
		    "and a fresh code of your own authenticator app (totp) as strings");
	api_auth_ctx(v, &c);
	if (admin_new_check(&c, name, pw, pw_len, 0, &err) != 0)
		return api_admin_new_fail(r, &err);
	if (admin_second_factor(&c, http_req_principal(r)->id, totp, vault_now(v), &res,
	    &err) != 0)
		return api_auth_internal(r, "TOTP check", &err);
	if (res.outcome != ADMIN_OK_FULL)
		return api_auth_refuse(v, r, &res, "your TOTP code is wrong or was used already: "
		    "send a new code of your authenticator app");
	return api_admin_add_store(r, &c, name, pw, pw_len, vault_now(v));
}

struct api_admin_list {
	json_t *list;
	int64_t now;                  /* vault_now: whether a lock still runs */
};

static int
api_admin_list_cb(const struct admin_info *ai, void *arg)
{
	struct api_admin_list *al = arg;
	int64_t now = al->now;
	json_t *o;

	o = json_pack("{s:s, s:s, s:I, s:b, s:I, s:b, s:I, s:I, s:I}", "id", ai->id, "name",
	    ai->name, "created_at", (json_int_t)ai->created_at, "locked", ai->locked_until > now,
	    "locked_until", (json_int_t)(ai->locked_until > now ? ai->locked_until : 0),
	    "disabled", ai->disabled, "failures", (json_int_t)ai->failures,
	    "consecutive_failures", (json_int_t)ai->consecutive_failures,
	    "recovery_codes_left", (json_int_t)ai->recovery_codes_left);
	/* Non-zero stops the listing; the caller sees the short list and fails. */
	return o == NULL || json_array_append_new(al->list, o) != 0;
}

int
api_admin_list(struct vault *v, struct http_req *r)
{
	struct api_admin_list al = { NULL, vault_now(v) };
	struct admin_ctx c;
	struct bos_err err = { 0 };
	json_t *o;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_ADMINS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if ((al.list = json_array()) == NULL)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	api_auth_ctx(v, &c);
	if (admin_list(&c, api_admin_list_cb, &al, &err) != 0) {
		json_decref(al.list);
		return api_auth_internal(r, "listing admins", &err);
	}
	if ((o = json_pack("{s:o}", "admins", al.list)) == NULL)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	return http_reply_json(r, 200, o);
}

int
api_admin_reset(struct vault *v, struct http_req *r)
{
	const struct principal *p = http_req_principal(r);
	const char *name = http_req_param(r, "name");
	char id[ADMIN_ID_SIZE];
	struct admin_ctx c;
	struct bos_err err = { 0 };
	unsigned ended;
	json_t *o;
	int rc;

	if ((rc = api_admin_allow(v, r, POLICY_UPDATE, name, 404)) != 0)
		return rc > 0 ? 0 : -1;
	api_auth_ctx(v, &c);
	if (admin_reset(&c, name, id, &err) != 0) {
		if (err.code == BOS_E_NOTFOUND)
			return http_reply_error(r, 404, "not_found", "%s", err.msg);
		return api_auth_internal(r, "resetting an admin", &err);
	}
	/* A reset is for an account in doubt: every session of it ends. */
	ended = sessions_end_admin(v->sessions, id, 0);
	log_warn("admin %s reset by %s (session %s); %u session(s) ended", name,
	    p != NULL ? p->name : "?", p != NULL ? p->accessor : "?", ended);
	if ((o = json_pack("{s:s, s:b, s:I}", "name", name, "reset", 1, "sessions_ended",
	    (json_int_t)ended)) == NULL)
		return http_reply_error(r, 500, "internal_error", "out of memory");
	return http_reply_json(r, 200, o);
}
