/*
 * Group commit (docs/STORE.md "Group commit"): the audited requests that
 * arrive together share one transaction and so one fsync, and none of them
 * is answered before that transaction is durable.
 *
 * A request joins the open batch (batch_join: the database lock, the batch
 * transaction begun if none is open, and a savepoint of its own), does its
 * work and appends its audit record, then leaves (batch_leave: its savepoint
 * released, or rolled back on failure, and the lock given up) and waits
 * (batch_wait) until the batch is committed. The request that leaves last
 * commits: when no other request is on its way in, or the batch is
 * BATCH_MAX_MS old, or BATCH_MAX_MEMBERS have joined. A failed COMMIT fails
 * every member (503, nothing of theirs was kept). A failed fsync stops the
 * vault (store.c).
 *
 * Other code that writes under the lock while a batch is open (vault
 * events, the grant sweep) nests in the batch, and says where that commits:
 * a vault event and the sweep end with batch_end instead of vault_db_unlock,
 * which commits the batch they wrote into, so their writes are durable when
 * the lock is given up, as without batching; every checkpoint commits the
 * open batch first too (batch_flush_locked). Sign-in's own rows never nest
 * (batch_lock_alone). vault_db_unlock itself only unlocks.
 */
#ifndef BOS_BATCH_H
#define BOS_BATCH_H

#include <pthread.h>
#include <stdint.h>
#include "audit/auditor_txn.h"
#include "core/vault.h"
#include "compiler.h"
#include "err.h"

#define BATCH_MAX_MS 2
#define BATCH_MAX_MEMBERS 256

struct batch;

/* A request's place in a batch. */
struct batch_ticket {
	struct batch *b;
	struct auditor_mark mark;
};

/* At exit, after the last request: the state vault_db_lock_init made (vault.h). */
void batches_destroy(struct batches *bs);

/* Lock, open or join the batch, and begin the request's savepoint. -1: nothing held. */
int batch_join(struct vault *v, struct batch_ticket *t, struct bos_err *err) BOS_WUR;
/*
 * Keep (ok) or roll back the request's work, then unlock; commits the batch
 * when this request is the last one in. 0: kept, to be waited for; -1: the
 * request's work is gone (err says why).
 */
int batch_leave(struct vault *v, struct batch_ticket *t, int ok, struct bos_err *err);
/* 0 once the ticket's batch is durable, -1 if its COMMIT failed. Releases the ticket. */
int batch_wait(struct vault *v, struct batch_ticket *t) BOS_WUR;
/*
 * With the lock held and no savepoint open: commit the open batch now (if
 * any). 0 done (or nothing open), 1 not now: a member is paused, -1 failed.
 */
int batch_flush_locked(struct vault *v);
/*
 * A member gives up the lock for a slow step that needs no database (the
 * HSM's unwrap of a read, api_cred.c): its work so far joins the batch, which
 * cannot commit until the member resumes (its record must commit with it).
 * batch_pause: 0 paused (lock released), -1 not (still locked, go on so).
 * batch_resume: 0 locked again with a new savepoint; -1 the batch failed
 * meanwhile: the member has left it (nothing held); its work is gone.
 */
int batch_pause(struct vault *v, struct batch_ticket *t);
int batch_resume(struct vault *v, struct batch_ticket *t, struct bos_err *err);

/*
 * Give up the database lock taken with vault_db_lock (not batch_join). The
 * outermost holder that is not a batch member and wrote while a batch was
 * open (its writes nested in the batch) commits that batch first and syncs
 * it, as batch_flush_locked: its writes are then durable, or lost with the
 * batch, before anything is answered. Nested or read-only: vault_db_unlock.
 */
void batch_end(struct vault *v);

/*
 * Take the database lock with no batch open, for writes that must be durable
 * on their own before anything is answered: sign-in's TOTP step, failure
 * counts and used recovery codes (issue #12 item 16). Nested in a batch they
 * would be answered at once and could still be rolled back by a batch that
 * fails later, and a used code would work again. The open batch is committed
 * first, or waited for while a member is paused. Inside a lock the thread
 * already holds it is vault_db_lock: the holder's transaction decides.
 * Release with vault_db_unlock.
 */
void batch_lock_alone(struct vault *v);

#endif
