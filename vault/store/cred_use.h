/*
 * When each credential's secret was last read (credentials.last_read_at),
 * for the report of stale credentials: a secret nobody has read for
 * credential_stale_seconds is probably not needed any more, or is used
 * somewhere it should not be (DESIGN.md "Principals and tokens").
 *
 * The caller holds the vault's database lock.
 */
#ifndef BOS_CRED_USE_H
#define BOS_CRED_USE_H

#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;

/* Record a read of credential id at now (inside the caller's transaction, if any). */
int cred_use_mark_read(struct store *s, const char *id, int64_t now, struct bos_err *err) BOS_WUR;

/* *at receives the last read, 0 when never read. BOS_E_NOTFOUND for an unknown id. */
int cred_use_last_read(struct store *s, const char *id, int64_t *at, struct bos_err *err) BOS_WUR;

/*
 * Stale at now: active (revoked_at 0) and neither read nor created within
 * the last stale_s seconds. Pure, for tests.
 */
int cred_use_is_stale(int64_t created_at, int64_t last_read_at, int64_t revoked_at, int64_t now,
    uint32_t stale_s);

#endif
