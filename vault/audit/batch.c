/* Group commit; see batch.h and docs/STORE.md "Group commit". */
#include "audit/batch.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>
#include "clock.h"
#include "log.h"
#include "core/metrics.h"
#include "store/store.h"
#include "core/vault.h"

/* A member that waited this long without news tries to commit the batch itself. */
#define BATCH_RESCUE_MS 20

struct batch {
	uint64_t seq;
	int64_t opened_ms;      /* CLOCK_MONOTONIC */
	unsigned members;       /* under the database lock */
	unsigned paused;        /* under the database lock: members out of it for a while */
	int closing;            /* under the database lock: due but paused; admits nobody new */
	int done, ok;           /* under batches.mu */
	unsigned refs;          /* under batches.mu: the open slot and each ticket */
};

void
batches_destroy(struct batches *bs)
{
	/* Every member waits for its batch, and the last one to leave commits: none is left. */
	if (bs->open != NULL)
		log_err("group commit: batch %llu still open at exit; its requests were not "
		    "answered and roll back", (unsigned long long)bs->open->seq);
	pthread_cond_destroy(&bs->cv);
	pthread_mutex_destroy(&bs->mu);
}

/* Under bs->mu. */
static void
batch_unref(struct batch *b)
{
	if (--b->refs == 0)
		free(b);
}

/* The batch is over: durable (ok) or not. Wakes its members. No lock needed. */
static void
batch_finish(struct vault *v, struct batch *b, int ok)
{
	struct batches *bs = &v->batches;
	unsigned members = b->members;
	double age = (double)(clock_mono_ms() - b->opened_ms) / 1000.0;

	pthread_mutex_lock(&bs->mu);
	b->done = 1;
	b->ok = ok;
	pthread_cond_broadcast(&bs->cv);
	batch_unref(b);
	pthread_mutex_unlock(&bs->mu);
	if (ok)
		metrics_observe_batch(v->metrics, members, age);
}

/* SQLite rolled the batch back by itself (SQLITE_FULL, IOERR): its members fail. */
static void
batch_check_lost(struct vault *v)
{
	struct batch *b = v->batches.open;

	if (b == NULL || store_depth(v->st.store) > 0)
		return;
	log_err("group commit: batch %llu was rolled back by the database; its %u request(s) "
	    "are answered 503", (unsigned long long)b->seq, b->members);
	auditor_txn_end(v, 0);
	v->batches.open = NULL;
	batch_finish(v, b, 0);
}

/*
 * Under the lock: COMMIT the open batch, its WAL frames written but not yet
 * synced, and detach it so the next batch can start. Returns the batch for
 * the caller to store_sync (if *need_sync) and batch_finish, or NULL: no
 * batch, or its COMMIT failed (then it is finished here, not ok).
 */
static struct batch *
batch_commit_locked(struct vault *v, int *need_sync)
{
	struct batch *b;
	struct bos_err err;
	int rc;

	*need_sync = 0;
	batch_check_lost(v);
	if ((b = v->batches.open) == NULL)
		return NULL;
	/*
	 * A paused member's decision is in the batch and its record is not yet:
	 * the last one to resume commits. Meanwhile nobody new joins, so that a
	 * stream of reads cannot keep the batch open.
	 */
	if (b->paused > 0) {
		b->closing = 1;
		return NULL;
	}
	if (store_depth(v->st.store) != 1) {
		log_err("group commit: batch %llu cannot commit inside a savepoint",
		    (unsigned long long)b->seq);
		return NULL;
	}
	bos_err_clear(&err);
	rc = store_commit_deferred(v->st.store, need_sync, &err);
	auditor_txn_end(v, rc == 0);
	v->batches.open = NULL;
	if (rc == 0)
		return b;
	log_err("group commit: batch %llu of %u request(s) failed: %s", (unsigned long long)b->seq,
	    b->members, err.msg);
	batch_finish(v, b, 0);
	return NULL;
}

int
batch_flush_locked(struct vault *v)
{
	struct batch *b;
	int need_sync;

	if (v->batches.open == NULL)
		return 0;
	if ((b = batch_commit_locked(v, &need_sync)) == NULL) {
		if (v->batches.open == NULL)
			return 0;
		return v->batches.open->paused > 0 ? 1 : -1;
	}
	if (need_sync)
		store_sync(v->st.store);
	batch_finish(v, b, 1);
	return 0;
}

/*
 * Under the lock, the open batch is closing: give the lock up until it has
 * committed (or failed), then take it again. Its last paused member commits.
 */
static void
batch_wait_closed(struct vault *v)
{
	struct batches *bs = &v->batches;
	struct batch *b = bs->open;
	struct timespec until;

	pthread_mutex_lock(&bs->mu);
	b->refs++;
	pthread_mutex_unlock(&bs->mu);
	vault_db_unlock(v);
	pthread_mutex_lock(&bs->mu);
	while (!b->done) {
		clock_mono_after(&until, BATCH_RESCUE_MS);
		if (pthread_cond_timedwait(&bs->cv, &bs->mu, &until) == ETIMEDOUT)
			break;  /* look again under the lock */
	}
	batch_unref(b);
	pthread_mutex_unlock(&bs->mu);
	vault_db_lock(v);
}

int
batch_join(struct vault *v, struct batch_ticket *t, struct bos_err *err)
{
	struct batches *bs = &v->batches;
	struct batch *b;

	t->b = NULL;
	pthread_mutex_lock(&bs->mu);
	bs->pending++;
	pthread_mutex_unlock(&bs->mu);
	vault_db_lock(v);
	if (v->lock_depth != 1) {
		/* The caller holds the lock: its answer would wait for a commit it blocks. */
		log_err("group commit: joined with the database lock held (%u)", v->lock_depth);
		bos_err_set(err, BOS_E_DB, "internal error: nested audited transaction");
		goto fail;
	}
	while (bs->open != NULL && bs->open->closing)
		batch_wait_closed(v);
	v->lock_member = 1;
	batch_check_lost(v);
	if (bs->open == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL) {
			bos_err_set(err, BOS_E_NOMEM, "out of memory");
			goto fail;
		}
		if (store_begin_deferred(v->st.store, err) != 0) {
			free(b);
			goto fail;
		}
		b->seq = ++bs->seq;
		b->opened_ms = clock_mono_ms();
		b->refs = 1;
		bs->open = b;
	}
	auditor_txn_mark(v, &t->mark);
	if (store_begin(v->st.store, err) != 0)
		goto fail;
	t->b = bs->open;
	t->b->members++;
	pthread_mutex_lock(&bs->mu);
	t->b->refs++;
	pthread_mutex_unlock(&bs->mu);
	return 0;
 fail:
	(void)batch_leave(v, t, 0, NULL);
	return -1;
}

/* Commit now? Under the lock, after this member's pending count was dropped. */
static int
batch_due(const struct batches *bs, unsigned pending)
{
	const struct batch *b = bs->open;

	return b != NULL && (pending == 0 || b->closing || b->members >= BATCH_MAX_MEMBERS ||
	    clock_mono_ms() - b->opened_ms >= BATCH_MAX_MS);
}

int
batch_leave(struct vault *v, struct batch_ticket *t, int ok, struct bos_err *err)
{
	struct batches *bs = &v->batches;
	struct batch *done = NULL;
	unsigned pending;
	int need_sync = 0;

	if (t->b != NULL) {
		if (ok && store_depth(v->st.store) != 2) {
			log_err("group commit: a request left %d transaction level(s) open",
			    store_depth(v->st.store) - 1);
			ok = 0;
		}
		if (ok && store_commit(v->st.store, err) != 0)
			ok = 0;
		if (!ok && !t->b->done) {
			if (store_depth(v->st.store) > 1 && store_rollback(v->st.store, NULL) != 0)
				log_err("group commit: rolling back a request failed");
			auditor_txn_rewind(v, &t->mark);
		}
		batch_check_lost(v);
		if (t->b->done && !t->b->ok)
			ok = 0;
	} else
		ok = 0;
	pthread_mutex_lock(&bs->mu);
	pending = --bs->pending;
	if (!ok && t->b != NULL) {
		batch_unref(t->b);
		t->b = NULL;
	}
	pthread_mutex_unlock(&bs->mu);
	if (batch_due(bs, pending))
		done = batch_commit_locked(v, &need_sync);
	vault_db_unlock(v);
	/* The fsync runs unlocked: the next batch fills meanwhile. */
	if (done != NULL) {
		if (need_sync)
			store_sync(v->st.store);
		batch_finish(v, done, 1);
	}
	if (!ok && err != NULL && err->code == BOS_OK)
		bos_err_set(err, BOS_E_DB, "the request's transaction was rolled back");
	return ok ? 0 : -1;
}

int
batch_wait(struct vault *v, struct batch_ticket *t)
{
	struct batches *bs = &v->batches;
	struct timespec until;
	int ok, rescue;

	if (t->b == NULL)
		return -1;
	pthread_mutex_lock(&bs->mu);
	while (!t->b->done) {
		clock_mono_after(&until, BATCH_RESCUE_MS);
		rescue = pthread_cond_timedwait(&bs->cv, &bs->mu, &until) == ETIMEDOUT;
		if (!rescue || t->b->done)
			continue;
		/* Nobody committed in time (the last member is slow): commit it ourselves. */
		pthread_mutex_unlock(&bs->mu);
		vault_db_lock(v);
		if (bs->open == t->b)
			(void)batch_flush_locked(v);
		vault_db_unlock(v);
		pthread_mutex_lock(&bs->mu);
	}
	ok = t->b->ok;
	batch_unref(t->b);
	t->b = NULL;
	pthread_mutex_unlock(&bs->mu);
	return ok ? 0 : -1;
}

int
batch_pause(struct vault *v, struct batch_ticket *t)
{
	struct bos_err err;

	if (t->b == NULL || t->b != v->batches.open || v->lock_depth != 1 ||
	    store_depth(v->st.store) != 2)
		return -1;
	bos_err_clear(&err);
	/* The request's work joins the batch; on failure it keeps its savepoint and the lock. */
	if (store_commit(v->st.store, &err) != 0) {
		log_err("group commit: cannot pause a request: %s", err.msg);
		return -1;
	}
	t->b->paused++;
	vault_db_unlock(v);
	return 0;
}

int
batch_resume(struct vault *v, struct batch_ticket *t, struct bos_err *err)
{
	vault_db_lock(v);
	v->lock_member = 1;
	t->b->paused--;
	batch_check_lost(v);
	if (!t->b->done && t->b == v->batches.open && store_begin(v->st.store, err) == 0)
		return 0;
	if (err != NULL && err->code == BOS_OK)
		bos_err_set(err, BOS_E_DB, "the batch this request was in failed meanwhile");
	/* Its work went with the batch (or stays in it, unrecorded: fail the batch then). */
	if (!t->b->done && t->b == v->batches.open) {
		log_err("group commit: a paused request cannot go on; its batch %llu fails",
		    (unsigned long long)t->b->seq);
		if (store_rollback(v->st.store, NULL) != 0)
			log_err("group commit: rollback failed");
		auditor_txn_end(v, 0);
		v->batches.open = NULL;
		batch_finish(v, t->b, 0);
	}
	(void)batch_leave(v, t, 0, NULL);
	return -1;
}

void
batch_lock_alone(struct vault *v)
{
	vault_db_lock(v);
	while (v->lock_depth == 1 && v->batches.open != NULL) {
		/* 1: a member is paused, and the batch now closing: its last member commits. */
		if (batch_flush_locked(v) > 0)
			batch_wait_closed(v);
		else if (v->batches.open != NULL) {
			/* Not committed and still open: the caller's own BEGIN refuses to nest. */
			log_err("group commit: batch %llu cannot be committed before a sign-in",
			    (unsigned long long)v->batches.open->seq);
			return;
		}
	}
}

void
batch_end(struct vault *v)
{
	if (v->lock_depth == 1 && !v->lock_member && v->batches.open != NULL &&
	    v->st.store != NULL &&
	    (int64_t)sqlite3_total_changes(store_db(v->st.store)) != v->lock_changes)
		(void)batch_flush_locked(v);
	vault_db_unlock(v);
}
