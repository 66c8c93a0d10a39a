/*
 * Authentication of HTTP requests: admin sessions and helper tokens (broker
 * tokens later). The HTTP core calls auth_check() for every route that is
 * not public, before the handler runs. Authentication says who is asking;
 * what a helper may do is decided per request by the policy engine against
 * the grant as it is in the database at that moment (helper.h).
 */
#ifndef BOS_AUTH_H
#define BOS_AUTH_H

#include <stdint.h>
#include "compiler.h"
#include "http/http.h"

enum principal_kind { PRINCIPAL_ADMIN = 1, PRINCIPAL_HELPER, PRINCIPAL_BROKER, PRINCIPAL_LOCAL };

enum session_state { SESSION_TOTP_PENDING = 1, SESSION_FULL = 2 };

struct principal {
	enum principal_kind kind;
	char id[48];          /* admin id */
	char name[65];        /* admin name */
	char accessor[48];    /* public accessor id of the session, or of a helper's grant:
	                       * the only thing logged */
	enum session_state state;
	char helper_id[48];   /* helpers: "hl_..." of the grant's helper */
};

/*
 * Decide whether a request may use a route of class need. bearer is the
 * token from "Authorization: Bearer ..." (NULL when absent). On success fills
 * *p and returns 0. On failure returns -1 and sets *status, and code/message
 * for the error shape: 401 (no, unknown, malformed or expired token; TOTP
 * still pending) or 403 (wrong transport or uid; a helper token on an admin
 * route). ROUTE_PRINCIPAL accepts a full admin session or a helper token
 * whose grant exists (revoked, expired and used-up grants included: the
 * handler's policy check refuses those with the reason). Never reveals more
 * than needed; never logs the token.
 */
int auth_check(struct vault *v, enum route_auth need, const char *bearer,
    enum http_transport transport, uid_t peer_uid, struct principal *p,
    unsigned *status, const char **code, const char **message) BOS_WUR;

#endif
