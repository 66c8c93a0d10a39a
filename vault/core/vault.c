/* The running vault's shared state; see vault.h. */
#include "core/vault.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "log.h"
#include "store/store.h"

static int
vault_batches_init(struct batches *bs)
{
	pthread_condattr_t ca;
	int r;

	*bs = (struct batches){ .open = NULL };
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_mutex_init(&bs->mu, NULL) != 0 || pthread_cond_init(&bs->cv, &ca) != 0 ? -1 : 0;
	pthread_condattr_destroy(&ca);
	return r;
}

static int
vault_jobs_init(struct job_waiters *w)
{
	pthread_condattr_t ca;
	int r;

	*w = (struct job_waiters){ .gen = 0 };
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_mutex_init(&w->mu, NULL) != 0 || pthread_cond_init(&w->cv, &ca) != 0 ? -1 : 0;
	pthread_condattr_destroy(&ca);
	return r;
}

void
vault_jobs_signal(struct vault *v)
{
	pthread_mutex_lock(&v->jobs.mu);
	v->jobs.gen++;
	pthread_cond_broadcast(&v->jobs.cv);
	pthread_mutex_unlock(&v->jobs.mu);
}

uint64_t
vault_jobs_gen(struct vault *v)
{
	uint64_t g;

	pthread_mutex_lock(&v->jobs.mu);
	g = v->jobs.gen;
	pthread_mutex_unlock(&v->jobs.mu);
	return g;
}

/* Under mu: broker's entry, or a free one when add (NULL when there is none). */
static struct job_waiter *
vault_jobs_who(struct job_waiters *w, const char *broker, int add)
{
	struct job_waiter *free_one = NULL;
	size_t i;

	for (i = 0; i < VAULT_JOB_WAITERS_MAX; i++) {
		if (w->who[i].n > 0 && strcmp(w->who[i].broker, broker) == 0)
			return &w->who[i];
		if (free_one == NULL && w->who[i].n == 0)
			free_one = &w->who[i];
	}
	if (!add || free_one == NULL)
		return NULL;
	(void)snprintf(free_one->broker, sizeof(free_one->broker), "%s", broker);
	return free_one;
}

int
vault_jobs_enter(struct vault *v, const char *broker)
{
	struct job_waiter *e;
	int r = -1;

	if (strlen(broker) >= VAULT_JOB_WAITER_ID_SIZE)
		return -1;
	pthread_mutex_lock(&v->jobs.mu);
	if (v->jobs.n < VAULT_JOB_WAITERS_MAX &&
	    (e = vault_jobs_who(&v->jobs, broker, 1)) != NULL &&
	    e->n < VAULT_JOB_WAITERS_PER_BROKER) {
		e->n++;
		v->jobs.n++;
		r = 0;
	}
	pthread_mutex_unlock(&v->jobs.mu);
	return r;
}

void
vault_jobs_leave(struct vault *v, const char *broker)
{
	struct job_waiter *e;

	pthread_mutex_lock(&v->jobs.mu);
	if ((e = vault_jobs_who(&v->jobs, broker, 0)) != NULL) {
		e->n--;
		v->jobs.n--;
	}
	pthread_mutex_unlock(&v->jobs.mu);
}

void
vault_jobs_wait(struct vault *v, uint64_t gen, int64_t until_ms)
{
	struct timespec ts = { until_ms / 1000, (long)(until_ms % 1000) * 1000000L };

	pthread_mutex_lock(&v->jobs.mu);
	while (v->jobs.gen == gen && clock_mono_ms() < until_ms)
		if (pthread_cond_timedwait(&v->jobs.cv, &v->jobs.mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&v->jobs.mu);
}

int
vault_db_lock_init(struct vault *v)
{
	pthread_mutexattr_t a;
	int r;

	if (pthread_mutexattr_init(&a) != 0)
		return -1;
	r = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) != 0 ||
	    pthread_mutex_init(&v->db_lock, &a) != 0 || vault_batches_init(&v->batches) != 0 ||
	    vault_jobs_init(&v->jobs) != 0 ? -1 : 0;
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

/* Only unlocks (vault.h); batch_end commits what an outsider wrote in a batch. */
void
vault_db_unlock(struct vault *v)
{
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
vault_now_ms(const struct vault *v)
{
	struct timespec ts;

	if (v->clock_wall0_ms == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	return v->clock_wall0_ms + (clock_mono_ms() - v->clock_mono0_ms);
}

int64_t
vault_now(const struct vault *v)
{
	if (v->clock_wall0_ms == 0)
		return (int64_t)time(NULL);
	return (v->clock_wall0_ms + (clock_mono_ms() - v->clock_mono0_ms)) / 1000;
}
