/*
 * Authentication of HTTP requests: admin sessions, helper tokens and broker
 * tokens. The HTTP core calls auth_check() for every route that is
 * not public, before the handler runs. Authentication says who is asking;
 * what a helper may do is decided per request by the policy engine against
 * the grant as it is in the database at that moment (helper.h).
 */
#ifndef BOS_AUTH_H
#define BOS_AUTH_H

#include <stdint.h>
#include <sys/types.h>
#include "auth/principal.h"
#include "compiler.h"

struct vault;

/* Who may call a route. The HTTP core enforces it before the handler runs. */
enum route_auth {
	ROUTE_PUBLIC,        /* anyone (GET /health, POST /auth/login) */
	ROUTE_SESSION_ANY,   /* a session in any state: password-only (TOTP pending) or full */
	ROUTE_ADMIN,         /* a full admin session (password + TOTP), checked on the server */
	ROUTE_LOCAL_VAULT_UID, /* unix socket only, peer uid == the vault's uid */
	ROUTE_PRINCIPAL,     /* a full admin session or a helper token; the handler then asks
	                      * the policy engine (policy/policy.h) and answers 403 with its reason */
	ROUTE_BROKER,        /* a broker token "bos_b_...", unix socket only, from the uid that
	                      * bos.conf gives the broker's role (docs/BROKERS.md) */
	ROUTE_ADMIN_OR_BROKER, /* ROUTE_ADMIN, or ROUTE_BROKER for a broker token (ending one's
	                      * own lease) */
};

/* How a request arrived. */
enum http_transport { HTTP_TCP_TLS, HTTP_UNIX };

/*
 * Decide whether a request may use a route of class need. bearer is the
 * token from "Authorization: Bearer ..." (NULL when absent). On success fills
 * *p and returns 0. On failure returns -1 and sets *status, and code/message
 * for the error shape: 401 (no, unknown, malformed or expired token; TOTP
 * still pending) or 403 (wrong transport or uid; a helper token on an admin
 * route; 403 broker_unix_only / broker_uid for a broker token over TCP or
 * from another uid than its role's; a broker token on any other route, or
 * anything else on a broker route). ROUTE_PRINCIPAL accepts a full admin session or a helper token
 * whose grant exists (revoked, expired and used-up grants included: the
 * handler's policy check refuses those with the reason). Never reveals more
 * than needed; never logs the token.
 */
int auth_check(struct vault *v, enum route_auth need, const char *bearer,
    enum http_transport transport, uid_t peer_uid, struct principal *p,
    unsigned *status, const char **code, const char **message) BOS_WUR;

#endif
