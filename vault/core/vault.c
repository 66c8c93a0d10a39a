/* The running vault's shared state; see vault.h. */
#include "core/vault.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>
#include "audit/batch.h"
#include "clock.h"
#include "log.h"
#include "store/store.h"

int
vault_db_lock_init(struct vault *v)
{
	pthread_mutexattr_t a;
	int r;

	if (pthread_mutexattr_init(&a) != 0)
		return -1;
	r = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) != 0 ||
	    pthread_mutex_init(&v->db_lock, &a) != 0 || batches_init(&v->batches) != 0 ? -1 : 0;
	pthread_mutexattr_destroy(&a);
	return r;
}

void
vault_db_lock(struct vault *v)
{
	/* A failing mutex means memory corruption: stop rather than race. */
	if (pthread_mutex_lock(&v->db_lock) != 0) {
		log_err("database lock failed; aborting");
		abort();
	}
	if (v->lock_depth++ == 0) {
		v->lock_member = 0;
		v->lock_changes = v->st.store != NULL ?
		    (int64_t)sqlite3_total_changes(store_db(v->st.store)) : 0;
	}
}

/*
 * The outermost unlock: writes made outside a group-commit batch member
 * while a batch was open nested in it, and are committed now (batch.h).
 */
void
vault_db_unlock(struct vault *v)
{
	if (v->lock_depth == 1 && !v->lock_member)
		batch_outsider_unlock(v);
	if (--v->lock_depth == 0)
		v->lock_member = 0;
	if (pthread_mutex_unlock(&v->db_lock) != 0) {
		log_err("database unlock failed; aborting");
		abort();
	}
}

void
vault_clock_start(struct vault *v)
{
	struct timespec ts;

	v->clock_mono0_ms = clock_mono_ms();
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		ts.tv_sec = time(NULL), ts.tv_nsec = 0;
	v->clock_wall0_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
vault_now(const struct vault *v)
{
	if (v->clock_wall0_ms == 0)
		return (int64_t)time(NULL);
	return (v->clock_wall0_ms + (clock_mono_ms() - v->clock_mono0_ms)) / 1000;
}
