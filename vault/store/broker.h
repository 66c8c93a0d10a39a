/*
 * Brokers (docs/BROKERS.md "Principals: brokers"): the unprivileged processes
 * that claim jobs and lease secrets for them. Storage only, no HTTP.
 *
 * A broker has a role (outreach, monitor or hiring: what roles.policy says
 * it may do), a name, and a bearer token "bos_b_..." shown once and stored
 * only as its SHA-256, like a helper's grant; its accessor ("acc_...") is
 * its public name in logs and the audit trail. Revocation is one UPDATE and
 * nothing is cached: every request looks the token up again.
 *
 * Locking: the caller holds the vault's database lock. Writes run in their
 * own transaction, nested as a savepoint in a caller's.
 */
#ifndef BOS_BROKER_H
#define BOS_BROKER_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "token.h"

struct store;

#define BROKER_ID_PREFIX "bk_"
#define BROKER_ID_LEN 29              /* "bk_" + 26 base32 characters */
#define BROKER_ID_SIZE (BROKER_ID_LEN + 1)
#define BROKER_NAME_MAX 64            /* [A-Za-z0-9 ._-]{1,64}, no edge spaces */
#define BROKER_ROLE_SIZE 16
#define BROKER_BY_SIZE 65             /* an admin name */

/* The roles a broker may have; the same list as the CHECK of brokers.role. */
enum broker_role { BROKER_OUTREACH, BROKER_MONITOR, BROKER_HIRING, BROKER_ROLES_N };

/* "outreach" -> BROKER_OUTREACH; -1 for anything else. */
int broker_role_parse(const char *s);

/* 1 when s has the form of a broker id. */
int broker_id_valid(const char *s);

struct broker_info {
	char id[BROKER_ID_SIZE];
	char role[BROKER_ROLE_SIZE];
	char name[BROKER_NAME_MAX + 1];
	char accessor[TOKEN_ACCESSOR_SIZE];
	char created_by[BROKER_BY_SIZE];
	char revoked_by[BROKER_BY_SIZE];
	int64_t created_at, revoked_at;  /* revoked_at 0: active */
};

/*
 * Register a broker of role (broker_role_parse) named name (NULL or "": the
 * role's name) by admin created_by. token receives "bos_b_..." (the caller
 * shows it once and wipes it); only its SHA-256 is stored. BOS_E_INVALID for
 * a bad role or name.
 */
int broker_create(struct store *s, const char *role, const char *name, const char *created_by,
    int64_t now, char id[BROKER_ID_SIZE], char token[TOKEN_SIZE],
    char accessor[TOKEN_ACCESSOR_SIZE], struct bos_err *err) BOS_WUR;

/* BOS_E_NOTFOUND for an unknown id. */
int broker_get(struct store *s, const char *id, struct broker_info *out,
    struct bos_err *err) BOS_WUR;

/* Every broker, oldest first; cb returns non-zero to stop early (not an error). */
int broker_list(struct store *s, int (*cb)(const struct broker_info *, void *), void *arg,
    struct bos_err *err) BOS_WUR;

/*
 * Revoke a broker; its live leases end and its claims are taken back in the
 * same transaction. BOS_E_NOTFOUND, or BOS_E_REVOKED when it already was.
 */
int broker_revoke(struct store *s, const char *id, const char *by, int64_t now,
    struct bos_err *err) BOS_WUR;

/*
 * The broker whose token this is (token_check(TOKEN_BROKER) already passed),
 * found by SHA-256, revoked ones included (out->revoked_at says so).
 * BOS_E_NOTFOUND otherwise.
 */
int broker_find_token(struct store *s, const char *token, struct broker_info *out,
    struct bos_err *err) BOS_WUR;

#endif
