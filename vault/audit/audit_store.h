/*
 * The audit trail in the store: append a record to the hash chain, sign the
 * head through bos-hsmd, export the log as JSON lines for audit_verify().
 * Tables audit_log and audit_checkpoints (schema.c, version 4).
 */
#ifndef BOS_AUDIT_STORE_H
#define BOS_AUDIT_STORE_H

#include <stdint.h>
#include <stdio.h>
#include "audit_chain.h"
#include "compiler.h"
#include "err.h"
#include "hsmc/hsm_client.h"
#include "store/store.h"

/*
 * Append r as the next record, chained to the current head; r->seq is set.
 * Must run inside the caller's transaction (store_begin) so the record
 * commits or rolls back with the change it describes.
 */
int audit_append(struct store *s, struct audit_record *r, struct bos_err *err) BOS_WUR;

/*
 * Sign the current head with HSM key "bos-audit-v<key_version>" and store the
 * checkpoint (its own transaction, or part of the caller's). time is RFC 3339
 * UTC. An empty log is an error; a head already signed is left as it is.
 */
int audit_checkpoint(struct store *s, struct hsm_client *hsm, uint32_t key_version,
    const char *time, struct bos_err *err) BOS_WUR;

/*
 * Write every record and checkpoint up to seq upto (inclusive), in seq order,
 * one JSON object a line. The running vault passes the head it has just
 * signed: it reads through its own connection, which also sees the open
 * group-commit batch, and nothing after that head has committed for sure.
 */
int audit_export(struct store *s, FILE *out, uint64_t upto, struct bos_err *err) BOS_WUR;

/* The last record's seq (0 for an empty log) and its stored hash (zeros then). */
int audit_head_get(struct store *s, uint64_t *seq, uint8_t hash[AUDIT_HASH_LEN],
    struct bos_err *err) BOS_WUR;

/* The newest checkpoint; *found is 0 (and cp zeroed) when there is none. */
int audit_last_checkpoint(struct store *s, struct audit_checkpoint *cp, int *found,
    struct bos_err *err) BOS_WUR;

/* The record at seq and its stored hash; *found is 0 when there is none. */
int audit_record_get(struct store *s, uint64_t seq, struct audit_record *r,
    uint8_t hash[AUDIT_HASH_LEN], int *found, struct bos_err *err) BOS_WUR;

/*
 * Recompute the chain in the database from record `from` (>= 1) to the head:
 * every row's stored hash must be the hash of its contents chained to the row
 * before (the row before `from` is trusted as it is). 0 when it holds;
 * otherwise -1, *bad_seq the first bad record (0 when the failure was not
 * about a record) and err what is wrong.
 */
int audit_chain_check(struct store *s, uint64_t from, uint64_t *bad_seq,
    struct bos_err *err) BOS_WUR;

/* A search of the log (GET /credentials/audit). NULL or 0 fields do not filter. */
struct audit_query {
	const char *since, *until;      /* normalised RFC 3339 times: since <= time < until */
	const char *principal, *action, *decision;  /* exact */
	const char *resource;           /* prefix */
	uint64_t cursor;                /* ascending: seq > cursor; descending: seq < cursor */
	int desc;
	unsigned limit;                 /* rows to read, >= 1 */
};

typedef int (*audit_row_cb)(const struct audit_record *r, const uint8_t hash[AUDIT_HASH_LEN],
    void *arg);

/* Call cb for each matching record in seq order (up to q->limit); cb non-zero stops. */
int audit_query_run(struct store *s, const struct audit_query *q, audit_row_cb cb, void *arg,
    struct bos_err *err) BOS_WUR;

#endif
