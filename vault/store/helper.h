/*
 * Helpers (contractors) and their grants: storage and logic, no HTTP
 * (docs/GRANTS.md).
 *
 * A helper is a named person or service an admin registered. A grant gives
 * one helper a bearer token "bos_h_..." for exactly the credentials and
 * actions it lists, until it expires, for at most max_uses uses, from its
 * CIDRs only. The token is shown once and stored only as its SHA-256; the
 * grant's accessor ("acc_...") is its public name in logs and lists.
 *
 * Revocation is immediate because nothing about a grant is cached: every use
 * reads the grant row and counts itself with one conditional UPDATE, and
 * every revoke is one UPDATE, all on the vault's one database connection
 * under its database lock. A use that starts after a revoke committed
 * therefore sees it.
 *
 * Locking: the caller holds the vault's database lock around every call
 * (functions here run statements and, for writes, their own transaction,
 * nested as a savepoint in a caller's). Time (now, Unix seconds) is passed
 * in so that tests can move it.
 */
#ifndef BOS_HELPER_H
#define BOS_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "policy.h"
#include "token.h"

struct store;
struct cred_ctx;
struct cred_meta;
struct principal;

#define HELPER_ID_PREFIX "hl_"
#define HELPER_ID_LEN 29              /* "hl_" + 26 base32 characters: 128 random bits */
#define HELPER_ID_SIZE (HELPER_ID_LEN + 1)
#define HELPER_NAME_MAX 64            /* [A-Za-z0-9 ._-]{1,64} */
#define HELPER_CONTACT_MAX 128
#define HELPER_KIND_SIZE 16
#define HELPER_BY_SIZE 65             /* an admin name */

#define GRANT_ITEM_MAX 256            /* one credential id, path or pattern */
#define GRANT_NOTE_MAX 256
#define GRANT_REASON_SIZE 128
#define GRANT_CIDR_TEXT_MAX 64
/* What a grant may carry: reading and storing a new version, nothing else. */
#define GRANT_ACTIONS_ALLOWED (POLICY_READ | POLICY_UPDATE)
/* The role whose policy bounds what admins may hand out (narrowing). */
#define GRANT_ADMIN_ROLE "admin"

/* ---- helpers ---- */

struct helper_new {
	const char *name;         /* 1..64 of [A-Za-z0-9 ._-], no edge spaces */
	const char *contact;      /* NULL or "": none; else an email or phone number */
	const char *kind;         /* setup, monitor, outreach, support or developer */
	const char *created_by;   /* admin name */
};

struct helper_info {
	char id[HELPER_ID_SIZE];
	char name[HELPER_NAME_MAX + 1];
	char contact[HELPER_CONTACT_MAX + 1];
	char kind[HELPER_KIND_SIZE];
	char created_by[HELPER_BY_SIZE];
	int64_t created_at, revoked_at; /* revoked_at 0: active */
};

/* 1 when s has the form of a helper id, else 0. */
int helper_id_valid(const char *s);

/* Check a new helper's fields (BOS_E_INVALID saying what to fix). 0 or -1. */
int helper_check(const struct helper_new *n, struct bos_err *err) BOS_WUR;

int helper_create(struct store *s, const struct helper_new *n, int64_t now,
    char id_out[HELPER_ID_SIZE], struct bos_err *err) BOS_WUR;

/* BOS_E_NOTFOUND for an unknown id. */
int helper_get(struct store *s, const char *id, struct helper_info *out,
    struct bos_err *err) BOS_WUR;

/* Every helper, oldest first; cb returns non-zero to stop early (not an error). */
int helper_list(struct store *s, int (*cb)(const struct helper_info *, void *), void *arg,
    struct bos_err *err) BOS_WUR;

/*
 * Remove a helper: in one transaction, mark it revoked and revoke every grant
 * of it that is not revoked yet (reason "helper removed"). *n_grants receives
 * how many. BOS_E_NOTFOUND, or BOS_E_REVOKED when it was removed already.
 */
int helper_remove(struct store *s, const char *id, int64_t now, unsigned *n_grants,
    struct bos_err *err) BOS_WUR;

/* ---- grants ---- */

/*
 * One item of a new grant's "credentials" as the admin wrote it: a
 * credential id ("cr_...", which must exist and be active), a path pattern
 * ("credentials/sendgrid/ *" without the space), or a credential's name
 * (which must exist and be active; it becomes its concrete path). stored
 * receives what the grant keeps (the id or the path), scope the path or
 * pattern that narrowing checks (an id's concrete path).
 */
int grant_item_resolve(struct cred_ctx *cc, const char *item, char stored[GRANT_ITEM_MAX + 1],
    char scope[GRANT_ITEM_MAX + 1], struct bos_err *err) BOS_WUR;

/* "credentials/<service>/<name>": the path the policy engine knows m by. 0, or -1 (too long). */
int grant_cred_path(const struct cred_meta *m, char out[GRANT_ITEM_MAX + 1],
    struct bos_err *err) BOS_WUR;

struct grant_new {
	const char *helper_id;        /* must exist and not be removed */
	const char *const *items;     /* as resolved by grant_item_resolve (stored) */
	size_t n_items;               /* 1..POLICY_GRANT_MAX_ITEMS */
	unsigned actions;             /* non-empty subset of GRANT_ACTIONS_ALLOWED */
	int64_t expires_at;
	uint32_t max_uses;            /* 0: unlimited */
	const char *const *cidrs;     /* each accepted by policy_cidr_parse */
	size_t n_cidrs;               /* 0..POLICY_GRANT_MAX_CIDRS; 0: any address */
	const char *note;             /* NULL or at most GRANT_NOTE_MAX bytes */
	const char *issued_by;        /* admin name */
};

/*
 * Store a new grant. token receives "bos_h_..." (the caller shows it once
 * and wipes it), accessor its public id. Only SHA-256(token) is stored.
 */
int grant_create(struct store *s, const struct grant_new *g, int64_t now,
    char token[TOKEN_SIZE], char accessor[TOKEN_ACCESSOR_SIZE], struct bos_err *err) BOS_WUR;

struct grant_info {
	char accessor[TOKEN_ACCESSOR_SIZE];
	char helper_id[HELPER_ID_SIZE];
	char issued_by[HELPER_BY_SIZE];
	char note[GRANT_NOTE_MAX + 1];
	char revoke_reason[GRANT_REASON_SIZE];
	char *items_json;             /* JSON array of strings; grant_info_free() */
	char *cidrs_json;             /* JSON array of strings; grant_info_free() */
	unsigned actions;
	int64_t created_at, expires_at, last_used_at, revoked_at; /* 0: never / not */
	uint32_t max_uses, uses;
};

void grant_info_free(struct grant_info *g);

/* BOS_E_NOTFOUND for an unknown accessor. */
int grant_get(struct store *s, const char *accessor, struct grant_info *out,
    struct bos_err *err) BOS_WUR;

/* "active", "revoked", "expired" or "exhausted" at time now. */
const char *grant_state(const struct grant_info *g, int64_t now);

enum grant_filter { GRANT_ALL, GRANT_ACTIVE, GRANT_ENDED };

/*
 * Grants, newest first, of one helper (helper_id) or of all (NULL), filtered
 * by state at time now. Same cb rules as helper_list.
 */
int grant_list(struct store *s, const char *helper_id, enum grant_filter f, int64_t now,
    int (*cb)(const struct grant_info *, void *), void *arg, struct bos_err *err) BOS_WUR;

/* Revoke one grant with a reason. BOS_E_NOTFOUND, or BOS_E_REVOKED when it already was. */
int grant_revoke(struct store *s, const char *accessor, int64_t now, const char *reason,
    struct bos_err *err) BOS_WUR;

/*
 * The grant whose token this is (token_check(TOKEN_HELPER) already passed):
 * lookup by SHA-256. Revoked and expired grants are found too (their uses
 * are refused by the policy, with the reason). BOS_E_NOTFOUND otherwise.
 */
int grant_find_token(struct store *s, const char *token, char accessor[TOKEN_ACCESSOR_SIZE],
    char helper_id[HELPER_ID_SIZE], struct bos_err *err) BOS_WUR;

/* "unused for 30 days" or "unused for 7200 s". */
void grant_idle_reason(uint32_t idle_s, char out[GRANT_REASON_SIZE]);

/*
 * Revoke every active grant unused (last use, or creation when never used)
 * for more than idle_s seconds at time now; *n receives how many.
 */
int grant_sweep_idle(struct store *s, int64_t now, uint32_t idle_s, unsigned *n,
    struct bos_err *err) BOS_WUR;

/*
 * A helper's use of its grant, as auth/authz.c asks it (the one entry point
 * of authorization for every principal, grant_authorize in auth/authz.h).
 */
struct grant_query {
	const struct policy_set *ps;
	const char *accessor;         /* the grant's accessor (the helper's principal) */
	unsigned action;              /* one POLICY_* bit */
	const struct policy_resource *res;   /* NULL: the object does not exist */
	const struct policy_resource *shown; /* made up: what a refusal may name */
	const struct policy_context *ctx;    /* now and the client address */
	uint32_t idle_s;              /* grant_idle_revoke_seconds */
};

/*
 * Decide a helper's request: read the grant row now (no cache), revoke it
 * first when it has been idle too long (the sweep may not have run yet), ask
 * policy_decide with the grant inline, then whether the admin role of ps may
 * still hand out the action on the resource (policy_may_delegate: a grant
 * never exceeds what its issuer may do now), and on "allow" count the use
 * with one conditional UPDATE (not revoked, not expired, not exhausted) whose
 * changes() must be 1, recording last_used_at. *told as for grant_authorize.
 * Returns 0 with *d and *told filled, or -1 with err on a database error.
 */
int grant_use_check(struct store *s, const struct grant_query *q, struct policy_decision *d,
    struct policy_decision *told, struct bos_err *err) BOS_WUR;

#endif
