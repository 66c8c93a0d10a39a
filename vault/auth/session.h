/*
 * Admin sessions, kept in memory only: a restart signs everyone out. A
 * session token "bos_s_..." is shown to the client once; the table keeps its
 * SHA-256 only. Idle and absolute timeouts use CLOCK_MONOTONIC, so stepping
 * the wall clock changes neither.
 *
 * States (docs/AUTH.md): a password-only sign-in makes a TOTP_PENDING
 * session, which can only complete the TOTP step or sign out, and which
 * lives at most SESSION_PENDING_MAX_S; the TOTP step upgrades the same
 * session to FULL. An expired session is removed on the first use that
 * notices it. Thread-safe: one mutex guards the table.
 */
#ifndef BOS_SESSION_H
#define BOS_SESSION_H

#include <stdint.h>
#include "auth/principal.h"
#include "compiler.h"
#include "err.h"
#include "token.h"

struct sessions;

#define SESSIONS_MAX 1024            /* whole table */
#define SESSION_PENDING_PER_ADMIN 8  /* a new pending session evicts that admin's oldest */
#define SESSION_PENDING_MAX_S 300    /* a TOTP code must follow the password within 5 min */

/* What a lookup tells about a session; never the token. */
struct session_info {
	char admin_id[48];
	char name[65];
	char accessor[TOKEN_ACCESSOR_SIZE];
	enum session_state state;
	uint32_t idle_left;      /* seconds until the idle timeout */
	uint32_t absolute_left;  /* seconds until the absolute timeout */
};

enum session_lookup { SESSION_FOUND = 0, SESSION_UNKNOWN, SESSION_EXPIRED };

int sessions_new(struct sessions **out, unsigned idle_s, unsigned absolute_s) BOS_WUR;
void sessions_free(struct sessions *s);

/*
 * Make a session for an admin in state st; token receives "bos_s_..." (the
 * caller shows it once and wipes it), info its description. Fails with
 * BOS_E_NOMEM when the table is full of live sessions.
 */
int sessions_create(struct sessions *s, const char *admin_id, const char *name,
    enum session_state st, char token[TOKEN_SIZE], struct session_info *info,
    struct bos_err *err) BOS_WUR;

/*
 * Find the session of a token (already passed token_check), refresh its idle
 * timer and describe it. An expired session is removed and reported as
 * SESSION_EXPIRED once; afterwards it is SESSION_UNKNOWN.
 */
enum session_lookup sessions_lookup(struct sessions *s, const char *token,
    struct session_info *info) BOS_WUR;

/* TOTP_PENDING -> FULL for the session of token. 0, or -1 when it is gone or expired. */
int sessions_upgrade(struct sessions *s, const char *token, struct session_info *info) BOS_WUR;

/* Remove the session of token (sign out). 1 removed, 0 there was none. */
int sessions_remove(struct sessions *s, const char *token);

/* Remove every session of an admin, or only its pending ones. Returns how many. */
unsigned sessions_end_admin(struct sessions *s, const char *admin_id, int pending_only);

/* Number of sessions in the table, expired ones not yet noticed included (tests). */
unsigned sessions_count(struct sessions *s);

#endif
