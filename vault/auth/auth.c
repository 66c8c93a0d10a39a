/*
 * Authentication of HTTP requests; see auth.h and docs/AUTH.md. The core
 * calls auth_check() before every handler of a non-public route, so no
 * handler can forget it. Only the route's class decides; handlers get the
 * principal.
 */
#include "auth/auth.h"

#include <string.h>
#include "store/broker.h"
#include "store/helper.h"
#include "log.h"
#include "auth/session.h"
#include "token.h"
#include "core/vault.h"

#define AUTH_HELPER_PREFIX "bos_h_"
#define AUTH_BROKER_PREFIX "bos_b_"

static int
auth_deny(unsigned st, const char *c, const char *m, unsigned *status, const char **code,
    const char **message)
{
	*status = st;
	*code = c;
	*message = m;
	return -1;
}

/* The local route class: the vault's own uid on the unix socket, nothing else. */
static int
auth_local(struct vault *v, enum http_transport transport, uid_t peer_uid, struct principal *p,
    unsigned *status, const char **code, const char **message)
{
	/* On TCP SO_PEERCRED "succeeds" with uid -1: the transport is checked first. */
	if (transport != HTTP_UNIX || peer_uid == (uid_t)-1 || peer_uid != v->uid)
		return auth_deny(403, "local_only", "this request is only accepted on the vault's "
		    "unix socket from the vault's own user", status, code, message);
	p->kind = PRINCIPAL_LOCAL;
	return 0;
}

_Static_assert(sizeof(((struct principal *)0)->id) >= sizeof(((struct session_info *)0)->admin_id),
    "principal id too small");
_Static_assert(sizeof(((struct principal *)0)->name) >= sizeof(((struct session_info *)0)->name),
    "principal name too small");
_Static_assert(sizeof(((struct principal *)0)->accessor) >=
    sizeof(((struct session_info *)0)->accessor), "principal accessor too small");

static void
auth_fill(struct principal *p, const struct session_info *si)
{
	p->kind = PRINCIPAL_ADMIN;
	memcpy(p->id, si->admin_id, sizeof(si->admin_id));
	memcpy(p->name, si->name, sizeof(si->name));
	memcpy(p->accessor, si->accessor, sizeof(si->accessor));
	p->state = si->state;
}

/*
 * Session route classes. A token is checked for form (prefix, length,
 * characters, checksum) before it is looked up, so a typo or garbage costs no
 * lookup; the lookup is by SHA-256 with constant-time comparisons.
 */
static int
auth_session(struct vault *v, enum route_auth need, const char *bearer, struct principal *p,
    unsigned *status, const char **code, const char **message)
{
	struct session_info si;
	enum session_lookup l;

	if (bearer == NULL || token_check(bearer, TOKEN_SESSION) != 0 || v->sessions == NULL)
		return auth_deny(401, "unauthenticated", "sign in first (POST /auth/login) and send "
		    "the session as 'Authorization: Bearer bos_s_...'", status, code, message);
	l = sessions_lookup(v->sessions, bearer, &si);
	if (l == SESSION_EXPIRED)
		return auth_deny(401, "session_expired", "the session has expired; sign in again",
		    status, code, message);
	if (l != SESSION_FOUND)
		return auth_deny(401, "unauthenticated", "unknown or ended session; sign in again",
		    status, code, message);
	if (need == ROUTE_ADMIN && si.state != SESSION_FULL)
		return auth_deny(401, "totp_required", "finish signing in with a TOTP code "
		    "(POST /auth/totp) first", status, code, message);
	auth_fill(p, &si);
	return 0;
}

static int
auth_is_helper_token(const char *bearer)
{
	return bearer != NULL &&
	    strncmp(bearer, AUTH_HELPER_PREFIX, sizeof(AUTH_HELPER_PREFIX) - 1) == 0;
}

/*
 * A helper token: its form (checksum included) is checked before anything
 * else, so a typo or a forged token costs no database work; then the grant
 * is found by the token's SHA-256. Only the identity is kept: whether the
 * grant still allows anything is decided by the handler, under the same
 * lock as the use it counts.
 */
static int
auth_helper(struct vault *v, const char *bearer, struct principal *p, unsigned *status,
    const char **code, const char **message)
{
	char acc[TOKEN_ACCESSOR_SIZE], helper[HELPER_ID_SIZE];
	struct bos_err err;
	int r;

	if (token_check(bearer, TOKEN_HELPER) != 0) {
		log_info("malformed helper token refused (checksum or form; not looked up)");
		return auth_deny(401, "unauthenticated", "malformed helper token: check that it "
		    "was copied whole (bos_h_ and 49 letters and digits)", status, code, message);
	}
	if (v->st.store == NULL)
		return auth_deny(401, "unauthenticated", "unknown helper token", status, code,
		    message);
	bos_err_clear(&err);
	vault_db_lock(v);
	r = grant_find_token(v->st.store, bearer, acc, helper, &err);
	vault_db_unlock(v);
	if (r != 0 && err.code == BOS_E_NOTFOUND) {
		log_info("helper token lookup: no grant has this token");
		return auth_deny(401, "unauthenticated", "unknown helper token", status, code,
		    message);
	}
	if (r != 0) {
		log_err("helper token lookup failed: %s", err.msg);
		if (err.code == BOS_E_BUSY)
			return auth_deny(503, "busy", "the database is busy; retry shortly", status,
			    code, message);
		return auth_deny(500, "internal", "internal error (the vault log says why)", status,
		    code, message);
	}
	p->kind = PRINCIPAL_HELPER;
	memcpy(p->accessor, acc, sizeof(acc));
	memcpy(p->helper_id, helper, sizeof(helper));
	return 0;
}

_Static_assert(sizeof(((struct principal *)0)->accessor) >= TOKEN_ACCESSOR_SIZE,
    "principal accessor too small for a grant accessor");
_Static_assert(sizeof(((struct principal *)0)->helper_id) >= HELPER_ID_SIZE,
    "principal helper_id too small");

static int
auth_is_broker_token(const char *bearer)
{
	return bearer != NULL &&
	    strncmp(bearer, AUTH_BROKER_PREFIX, sizeof(AUTH_BROKER_PREFIX) - 1) == 0;
}

_Static_assert(sizeof(((struct principal *)0)->broker_id) >= BROKER_ID_SIZE,
    "principal broker_id too small");
_Static_assert(sizeof(((struct principal *)0)->role) >= BROKER_ROLE_SIZE,
    "principal role too small");
_Static_assert(BROKER_ROLES_N == CONFIG_BROKER_ROLES, "bos.conf has a uid for each broker role");

/* The broker of a well-formed token, revoked ones included: 0, or -1 answered. */
static int
auth_broker_find(struct vault *v, const char *bearer, struct broker_info *b, unsigned *status,
    const char **code, const char **message)
{
	struct bos_err err;
	int r;

	if (v->st.store == NULL)
		return auth_deny(401, "unauthenticated", "unknown broker token", status, code,
		    message);
	bos_err_clear(&err);
	vault_db_lock(v);
	r = broker_find_token(v->st.store, bearer, b, &err);
	vault_db_unlock(v);
	if (r == 0)
		return 0;
	if (err.code == BOS_E_NOTFOUND) {
		log_info("broker token lookup: no broker has this token");
		return auth_deny(401, "unauthenticated", "unknown broker token", status, code,
		    message);
	}
	log_err("broker token lookup failed: %s", err.msg);
	if (err.code == BOS_E_BUSY)
		return auth_deny(503, "busy", "the database is busy; retry shortly", status, code,
		    message);
	return auth_deny(500, "internal", "internal error (the vault log says why)", status, code,
	    message);
}

/*
 * Broker routes (docs/BROKERS.md "Principals: brokers"): a broker token, on
 * the unix socket, from the uid bos.conf gives its role, of a broker that is
 * not revoked. The transport is checked before the token is looked at, so a
 * broker token sent over TCP costs no lookup. A refused broker keeps its
 * accessor for the audit record of the refusal.
 */
static int
auth_broker(struct vault *v, const char *bearer, enum http_transport transport, uid_t peer_uid,
    struct principal *p, unsigned *status, const char **code, const char **message)
{
	struct broker_info b;
	int role;

	if (!auth_is_broker_token(bearer))
		return bearer == NULL ? auth_deny(401, "unauthenticated", "send the broker's token "
		    "as 'Authorization: Bearer bos_b_...'", status, code, message) :
		    auth_deny(403, "forbidden", "this route is for brokers only: admin sessions and "
		    "helper tokens cannot use it", status, code, message);
	if (transport != HTTP_UNIX)
		return auth_deny(403, "broker_unix_only", "broker tokens are accepted only on the "
		    "vault's unix socket", status, code, message);
	if (token_check(bearer, TOKEN_BROKER) != 0) {
		log_info("malformed broker token refused (checksum or form; not looked up)");
		return auth_deny(401, "unauthenticated", "malformed broker token: check that it "
		    "was copied whole (bos_b_ and 49 letters and digits)", status, code, message);
	}
	if (auth_broker_find(v, bearer, &b, status, code, message) != 0)
		return -1;
	memcpy(p->accessor, b.accessor, sizeof(b.accessor));
	if (b.revoked_at != 0 || (role = broker_role_parse(b.role)) < 0) {
		log_info("broker %s (%s): token refused, the broker is revoked", b.id, b.accessor);
		return auth_deny(401, "unauthenticated", "this broker was revoked", status, code,
		    message);
	}
	if (v->st.conf.broker_uid[role] == CONFIG_UID_UNSET || peer_uid == (uid_t)-1 ||
	    (int64_t)peer_uid != v->st.conf.broker_uid[role]) {
		log_info("broker %s (%s, role %s): refused from uid %u (bos.conf broker_uid_%s)",
		    b.id, b.accessor, b.role, (unsigned)peer_uid, b.role);
		return auth_deny(403, "broker_uid", "this broker's role is not accepted from this "
		    "user (bos.conf broker_uid_ROLE)", status, code, message);
	}
	p->kind = PRINCIPAL_BROKER;
	memcpy(p->broker_id, b.id, sizeof(b.id));
	memcpy(p->role, b.role, sizeof(b.role));
	return 0;
}

/* Admin routes: a valid helper token is told why it cannot pass, anything else is a session. */
static int
auth_admin(struct vault *v, const char *bearer, struct principal *p, unsigned *status,
    const char **code, const char **message)
{
	char acc[sizeof(p->accessor)];

	if (auth_is_broker_token(bearer))
		return auth_deny(403, "forbidden", "broker tokens cannot use this route: it is for "
		    "admins only", status, code, message);
	if (!auth_is_helper_token(bearer))
		return auth_session(v, ROUTE_ADMIN, bearer, p, status, code, message);
	if (auth_helper(v, bearer, p, status, code, message) != 0)
		return -1;
	log_info("grant %s: helper token refused on an admin route", p->accessor);
	/* Only the accessor stays, for the audit record of the refusal. */
	memcpy(acc, p->accessor, sizeof(acc));
	memset(p, 0, sizeof(*p));
	memcpy(p->accessor, acc, sizeof(acc));
	return auth_deny(403, "forbidden", "helper tokens cannot use this route: it is for "
	    "admins only", status, code, message);
}

int
auth_check(struct vault *v, enum route_auth need, const char *bearer, enum http_transport transport,
    uid_t peer_uid, struct principal *p, unsigned *status, const char **code, const char **message)
{
	memset(p, 0, sizeof(*p));
	switch (need) {
	case ROUTE_PUBLIC:
		return 0;
	case ROUTE_LOCAL_VAULT_UID:
		return auth_local(v, transport, peer_uid, p, status, code, message);
	case ROUTE_SESSION_ANY:
		return auth_session(v, need, bearer, p, status, code, message);
	case ROUTE_ADMIN:
		return auth_admin(v, bearer, p, status, code, message);
	case ROUTE_BROKER:
		return auth_broker(v, bearer, transport, peer_uid, p, status, code, message);
	case ROUTE_ADMIN_OR_BROKER:
		if (auth_is_broker_token(bearer))
			return auth_broker(v, bearer, transport, peer_uid, p, status, code, message);
		return auth_admin(v, bearer, p, status, code, message);
	case ROUTE_PRINCIPAL:
		if (auth_is_broker_token(bearer))
			return auth_deny(403, "forbidden", "broker tokens cannot use this route: "
			    "brokers lease secrets with POST /leases", status, code, message);
		if (auth_is_helper_token(bearer))
			return auth_helper(v, bearer, p, status, code, message);
		return auth_session(v, ROUTE_ADMIN, bearer, p, status, code, message);
	}
	/* An unknown class is a bug in the route table: refuse rather than guess. */
	return auth_deny(403, "forbidden", "this route has no known access rule", status, code,
	    message);
}
