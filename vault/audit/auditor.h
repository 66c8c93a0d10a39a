/*
 * The running vault's audit trail (docs/AUDIT.md): every record gets its time
 * here and goes into the caller's transaction; records that could not be
 * written are counted and announced by an alert record as soon as the store
 * works again; a thread signs the chain head every N records or T seconds and
 * at shutdown, and keeps STATE/audit.head, the newest signed head outside the
 * database, so a restored older database is refused at start.
 *
 * Locking: what runs inside the caller's transaction is in auditor_txn.h;
 * the functions here take the database lock themselves and commit what they
 * write (batch_end, batch_flush_locked in batch.h) before they return.
 */
#ifndef BOS_AUDITOR_H
#define BOS_AUDITOR_H

#include <stdint.h>
#include "audit_chain.h"
#include "audit/auditor_txn.h"
#include "compiler.h"
#include "err.h"

struct vault;
struct auditor;

#define AUDITOR_HEAD_FILE "audit.head"

/* v->st must be open (store, bos-hsmd, settings). */
int auditor_new(struct vault *v, struct auditor **out, struct bos_err *err) BOS_WUR;
void auditor_free(struct auditor *a);

/*
 * The state directory's descriptor, the only base through which the running
 * vault opens a file (the audit head): the vault's sandbox allows openat on it.
 */
int auditor_dir_fd(const struct auditor *a);

/*
 * A record of the vault itself (start, stop, sweep), in a transaction of its
 * own: principal "vault", client and request id "-".
 */
int auditor_event(struct vault *v, const char *action, const char *resource,
    const char *decision, const char *reason, struct bos_err *err) BOS_WUR;

/*
 * Commit the open group-commit batch, sign the head (if it is not signed yet)
 * and write STATE/audit.head. *seq (if not NULL): the seq now signed, every
 * record up to it committed (0: the log is empty).
 */
int auditor_checkpoint_now(struct vault *v, uint64_t *seq, struct bos_err *err) BOS_WUR;

/*
 * The same, unless a checkpoint written by this vault already covers record
 * seq (a committed record). Called before a security-relevant change is
 * acknowledged (AUDIT_SIGNED routes, http.h), so that audit.head is ahead of
 * every copy of the database taken before it.
 */
int auditor_sign_through(struct vault *v, uint64_t seq, struct bos_err *err) BOS_WUR;

/* The checkpoint thread. */
int auditor_start(struct vault *v, struct bos_err *err) BOS_WUR;
void auditor_stop(struct vault *v);

/*
 * Before serving: verify the chain from the newest checkpoint to the head and
 * that checkpoint's signature, and compare the database with STATE/audit.head.
 * A database older than the head file (a restored copy), or one whose chain
 * differs from it, is refused unless accept_rollback: then the vault records
 * that the operator accepted it, and goes on.
 */
int auditor_check_start(struct vault *v, int accept_rollback, struct bos_err *err) BOS_WUR;

#endif
