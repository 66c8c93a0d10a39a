/*
 * Approvals (docs/MCP.md "Vault: approvals"): an action that widens what
 * may be spent (a budget raised or dropped, a pause resumed) is stored here
 * instead of being done, and runs only when an admin approves it with a
 * fresh TOTP code. Storage only, no HTTP: what each kind does is the API's
 * (api_approval.c).
 *
 * An approval is pending until it is approved, rejected, or its time
 * (expires_at) passes; a pending one past its time is expired for every
 * reader, and is marked so by the route that finds it or by the sweep.
 * Its params are the request's own (a JSON object, never a secret); its
 * summary is the one line a person reads before approving.
 *
 * Locking: the caller holds the vault's database lock. Writes run in their
 * own transaction, nested as a savepoint in a caller's.
 */
#ifndef BOS_APPROVAL_H
#define BOS_APPROVAL_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;

#define APPROVAL_ID_PREFIX "ap_"
#define APPROVAL_ID_LEN 29            /* "ap_" + 26 base32 characters */
#define APPROVAL_ID_SIZE (APPROVAL_ID_LEN + 1)
#define APPROVAL_KIND_MAX 32
#define APPROVAL_SUMMARY_MAX 512
#define APPROVAL_JSON_MAX 4096        /* params and result, each */
#define APPROVAL_BY_SIZE 65           /* an admin name */

/* 1 when s has the form of an approval id. */
int approval_id_valid(const char *s);

struct approval_new {
	const char *kind;             /* "budget_set", "budget_resume" */
	const char *params_json;      /* a JSON object, <= APPROVAL_JSON_MAX */
	const char *summary;          /* 1..APPROVAL_SUMMARY_MAX characters */
	const char *created_by;       /* admin name */
	int64_t expires_at;           /* > now */
};

/* Store a pending approval; id receives its id. 0, or -1 (BOS_E_INVALID for bad fields). */
int approval_create(struct store *s, const struct approval_new *a, int64_t now,
    char id[APPROVAL_ID_SIZE], struct bos_err *err) BOS_WUR;

struct approval_info {
	char id[APPROVAL_ID_SIZE];
	char kind[APPROVAL_KIND_MAX + 1];
	char summary[APPROVAL_SUMMARY_MAX + 1];
	char state[16];               /* as stored: pending, approved, rejected, expired */
	char created_by[APPROVAL_BY_SIZE];
	char decided_by[APPROVAL_BY_SIZE]; /* "" when none (pending, expired) */
	const char *params_json;      /* valid during the callback only */
	const char *result_json;      /* NULL when none; valid during the callback only */
	int64_t created_at, expires_at, decided_at; /* decided_at 0: not decided */
};

/* The state a reader sees at now: a pending approval past its time is "expired". */
const char *approval_state(const struct approval_info *a, int64_t now);

enum approval_filter { APPROVAL_PENDING, APPROVAL_ALL };

/* Approvals (pending at now, or all), newest first; cb returns non-zero to stop early. */
int approval_list(struct store *s, enum approval_filter f, int64_t now,
    int (*cb)(const struct approval_info *, void *), void *arg, struct bos_err *err) BOS_WUR;

/* One approval; BOS_E_NOTFOUND. cb is called once with it. */
int approval_get(struct store *s, const char *id,
    int (*cb)(const struct approval_info *, void *), void *arg, struct bos_err *err) BOS_WUR;

/*
 * Decide a pending approval: state "approved", "rejected" or "expired", by
 * an admin (NULL for expired), with result_json (a JSON object or NULL). The
 * one conditional UPDATE is the check: BOS_E_EXISTS when it is not pending
 * any more (decided meanwhile), BOS_E_NOTFOUND when there is none. 0 or -1.
 */
int approval_decide(struct store *s, const char *id, const char *state, const char *by,
    const char *result_json, int64_t now, struct bos_err *err) BOS_WUR;

/* Mark every pending approval past its time expired; *n receives how many. */
int approval_sweep_expired(struct store *s, int64_t now, unsigned *n,
    struct bos_err *err) BOS_WUR;

#endif
