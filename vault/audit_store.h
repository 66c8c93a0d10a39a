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
#include "hsm_client.h"
#include "store.h"

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

/* Write every record and checkpoint in seq order, one JSON object a line. */
int audit_export(struct store *s, FILE *out, struct bos_err *err) BOS_WUR;

#endif
