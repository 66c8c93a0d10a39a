/*
 * Grant pickups (docs/MCP.md "Vault: grant pickup"): the token of a grant
 * made with delivery "pickup" waits here, wrapped by the HSM's KEK (AAD
 * "bos-pickup:v1:" + accessor), until the admin who made the grant picks it
 * up once with a fresh TOTP code, or its time passes. Storage only, no HTTP
 * and no HSM: the caller wraps and unwraps.
 *
 * A pickup that ended (picked up, expired, or its grant revoked) keeps its
 * row without the blob (secure_delete overwrites the cells), so that a
 * second request is told why: picked up already, or expired. A trigger of
 * the schema ends the pickup of a grant in the statement that revokes it,
 * whichever path revokes (an admin, a removed helper, the idle sweep).
 *
 * Locking: the caller holds the vault's database lock.
 */
#ifndef BOS_PICKUP_H
#define BOS_PICKUP_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "hsm_proto.h"
#include "token.h"

struct store;

#define PICKUP_AAD_PREFIX "bos-pickup:v1:"
#define PICKUP_AAD_MAX (sizeof(PICKUP_AAD_PREFIX) - 1 + TOKEN_ACCESSOR_LEN)
#define PICKUP_BLOB_MAX (TOKEN_LEN + HSM_IV_LEN + HSM_TAG_LEN)
#define PICKUP_BY_SIZE 65             /* an admin name */

/* The AAD of accessor's blob into out; its length. */
size_t pickup_aad(const char *accessor, uint8_t out[PICKUP_AAD_MAX]);

/* Store the wrapped token of accessor's grant, waiting until expires_at. 0 or -1. */
int pickup_store(struct store *s, const char *accessor, uint32_t kek_version,
    const uint8_t *blob, size_t blob_len, const char *created_by, int64_t now,
    int64_t expires_at, struct bos_err *err) BOS_WUR;

enum pickup_state {
	PICKUP_WAITING = 1,           /* the blob is there and its time has not passed */
	PICKUP_USED,                  /* picked up already */
	PICKUP_EXPIRED,               /* its time passed (the blob may still be there) */
	PICKUP_REVOKED,               /* ended with its grant */
};

struct pickup_info {
	char accessor[TOKEN_ACCESSOR_SIZE];
	char created_by[PICKUP_BY_SIZE];
	uint32_t kek_version;
	uint8_t blob[PICKUP_BLOB_MAX];
	size_t blob_len;              /* 0 once ended */
	int64_t created_at, expires_at, ended_at;
	enum pickup_state state;      /* at the now passed to pickup_get */
};

/* The pickup of accessor at now: 0 found, 1 none, -1 error. */
int pickup_get(struct store *s, const char *accessor, int64_t now, struct pickup_info *out,
    struct bos_err *err) BOS_WUR;

/*
 * End a waiting pickup: reason "picked_up" or "expired"; the blob is deleted.
 * BOS_E_EXISTS when it had ended already (another request was first).
 */
int pickup_end(struct store *s, const char *accessor, const char *reason, int64_t now,
    struct bos_err *err) BOS_WUR;

/* End every pickup past its time; *n receives how many. */
int pickup_sweep_expired(struct store *s, int64_t now, unsigned *n,
    struct bos_err *err) BOS_WUR;

#endif
