/*
 * Leases (docs/BROKERS.md "Leases"): the record of each secret handed to a
 * broker for a job. Storage only, no HTTP; the secret itself is never here:
 * a lease row says who took which credential for which job, why and until
 * when. An expired or ended lease is only a record.
 *
 * Locking: the caller holds the vault's database lock. Writes run in their
 * own transaction, nested as a savepoint in a caller's.
 */
#ifndef BOS_LEASE_H
#define BOS_LEASE_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;

#define LEASE_ID_PREFIX "ls_"
#define LEASE_ID_LEN 29               /* "ls_" + 26 base32 characters */
#define LEASE_ID_SIZE (LEASE_ID_LEN + 1)
#define LEASE_PURPOSE_MAX 128         /* 1..128 printable ASCII characters */
#define LEASE_TTL_DEFAULT 30
#define LEASE_TTL_MAX 300
#define LEASE_BY_SIZE 65              /* an admin name or a broker id */

int lease_id_valid(const char *s);
/* 1..128 printable ASCII characters: BOS_E_INVALID saying what to fix. */
int lease_purpose_check(const char *purpose, struct bos_err *err) BOS_WUR;

struct lease_new {
	const char *broker_id, *credential_id, *job_id, *purpose;
	uint32_t ttl;                 /* 1..LEASE_TTL_MAX */
};

/* Record a lease; id receives its id. */
int lease_create(struct store *s, const struct lease_new *n, int64_t now, char id[LEASE_ID_SIZE],
    struct bos_err *err) BOS_WUR;

struct lease_info {
	char id[LEASE_ID_SIZE];
	char broker_id[32], credential_id[32], job_id[32];
	char purpose[LEASE_PURPOSE_MAX + 1];
	char ended_by[LEASE_BY_SIZE];
	int64_t created_at, expires_at, ended_at;   /* ended_at 0: not ended */
};

/* BOS_E_NOTFOUND for an unknown id. */
int lease_get(struct store *s, const char *id, struct lease_info *out,
    struct bos_err *err) BOS_WUR;

/* Active leases at now (not ended, not expired), newest first. */
int lease_list_active(struct store *s, int64_t now, int (*cb)(const struct lease_info *, void *),
    void *arg, struct bos_err *err) BOS_WUR;

/*
 * End lease id early, by (an admin name, or a broker id). broker_id non-NULL:
 * only that broker's lease (another's is BOS_E_NOTFOUND, as is an unknown
 * id). BOS_E_REVOKED when it had ended or expired already.
 */
int lease_end(struct store *s, const char *id, const char *broker_id, const char *by,
    int64_t now, struct bos_err *err) BOS_WUR;

#endif
