/*
 * The running vault's audit trail (docs/AUDIT.md): every record gets its time
 * here and goes into the caller's transaction; records that could not be
 * written are counted and announced by an alert record as soon as the store
 * works again; a thread signs the chain head every N records or T seconds and
 * at shutdown, and keeps STATE/audit.head, the newest signed head outside the
 * database, so a restored older database is refused at start.
 *
 * Locking: auditor_append and auditor_txn_end run with the database lock held
 * (vault_db_lock) and a transaction open; the rest take what they need.
 */
#ifndef BOS_AUDITOR_H
#define BOS_AUDITOR_H

#include <stdint.h>
#include "audit/audit_chain.h"
#include "compiler.h"
#include "err.h"

struct vault;
struct auditor;

#define AUDITOR_HEAD_FILE "audit.head"
#define AUDITOR_TIME_SIZE 32

/* v->st must be open (store, bos-hsmd, settings). */
int auditor_new(struct vault *v, struct auditor **out, struct bos_err *err) BOS_WUR;
void auditor_free(struct auditor *a);

/*
 * The state directory's descriptor, the only base through which the running
 * vault opens a file (the audit head): the vault's sandbox allows openat on it.
 */
int auditor_dir_fd(const struct auditor *a);

/* "2026-11-28T21:04:36.123Z": UTC with milliseconds, the format of every record. */
void auditor_time(char out[AUDITOR_TIME_SIZE]);

/*
 * Append r (time and seq are set here) in the open transaction; an alert for
 * records lost earlier goes first. Then the caller commits or rolls back and
 * calls auditor_txn_end.
 */
int auditor_append(struct vault *v, struct audit_record *r, struct bos_err *err) BOS_WUR;
/*
 * After the outermost COMMIT or ROLLBACK. Inside a transaction that goes on
 * (a savepoint released in a group-commit batch, batch.h) it does nothing:
 * the batch's COMMIT counts. A savepoint rolled back rewinds to its mark.
 */
void auditor_txn_end(struct vault *v, int committed);
struct auditor_mark {
	unsigned records;
	uint64_t alerted;
};
void auditor_txn_mark(struct vault *v, struct auditor_mark *m);
void auditor_txn_rewind(struct vault *v, const struct auditor_mark *m);

/* A request's record could not be written (it was answered 503): count it, alert later. */
void auditor_lost(struct vault *v);

/*
 * A record of the vault itself (start, stop, sweep), in a transaction of its
 * own: principal "vault", client and request id "-".
 */
int auditor_event(struct vault *v, const char *action, const char *resource,
    const char *decision, const char *reason, struct bos_err *err) BOS_WUR;

/* The same record, appended in the caller's open transaction (as auditor_append). */
int auditor_append_event(struct vault *v, const char *action, const char *resource,
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
