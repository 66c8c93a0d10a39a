/*
 * The running vault: one context per bos-vaultd process (STYLE.md: no
 * mutable globals beyond one context struct). Handlers get it as their
 * first argument.
 */
#ifndef BOS_VAULT_H
#define BOS_VAULT_H

#include <pthread.h>
#include <sys/types.h>
#include <stdint.h>
#include "compiler.h"
#include "store/cred.h"
#include "core/state.h"

struct sessions;
struct policy_set;
struct metrics;
struct http_server;
struct auditor;
struct batch;

/*
 * Group commit's state (audit/batch.h), kept with the database lock it lives
 * under; made with the lock by vault_db_lock_init.
 */
struct batches {
	pthread_mutex_t mu;        /* guards pending and every batch's done/ok/refs */
	pthread_cond_t cv;         /* a batch was committed or failed */
	struct batch *open;        /* under the database lock */
	unsigned pending;          /* members between batch_join and batch_leave */
	uint64_t seq;              /* batches opened (for the log) */
};

/*
 * Brokers waiting in POST /jobs/claim (docs/BROKERS.md "Jobs"): they wait
 * here, holding neither the database lock nor an in-flight slot, until a
 * job may have come (vault_jobs_signal) or a second passes.
 */
#define VAULT_JOB_WAITERS_MAX 64      /* claims waiting at once, in all */
#define VAULT_JOB_WAITERS_PER_BROKER 8 /* ... and of one broker */
#define VAULT_JOB_WAITER_ID_SIZE 32

struct job_waiter {
	char broker[VAULT_JOB_WAITER_ID_SIZE]; /* "" when the entry is free */
	unsigned n;
};

struct job_waiters {
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* CLOCK_MONOTONIC */
	uint64_t gen;              /* under mu: one more at each signal */
	unsigned n;                /* under mu: claims waiting */
	struct job_waiter who[VAULT_JOB_WAITERS_MAX]; /* under mu: per broker */
};

struct vault {
	struct state st;          /* dir, settings (st.conf), bos-hsmd, database */
	struct cred_ctx cc;
	/*
	 * One SQLite connection serves every thread; a transaction must not
	 * interleave with another thread's, so every database use holds db_lock.
	 * It is recursive: the HTTP core holds it (and the transaction the
	 * request's audit record commits with) around a handler, whose own
	 * lock/begin then nest. Never hold it across argon2 hashing (routes that
	 * hash take the lock later: AUDIT_LATE in http.h).
	 */
	pthread_mutex_t db_lock;
	unsigned lock_depth;       /* under db_lock: how deep its owner holds it */
	int lock_member;           /* under db_lock: the owner is in a batch (batch.h) */
	int64_t lock_changes;      /* under db_lock: row changes at the outermost lock */
	struct batches batches;    /* group commit (batch.h) */
	struct job_waiters jobs;   /* long polls of POST /jobs/claim */
	struct sessions *sessions; /* in-memory session table (session.h) */
	struct metrics *metrics;   /* counters and histograms (metrics.h) */
	struct http_server *http;
	uid_t uid;                 /* the vault's own uid (for ROUTE_LOCAL_VAULT_UID) */
	struct policy_set *policy; /* role policies from STATE/roles.policy (policy.h) */
	struct auditor *audit;     /* the audit trail (auditor.h) */
	int64_t clock_wall0_ms;    /* vault_clock_start: Unix time at start in ms (0: not started) */
	int64_t clock_mono0_ms;    /* ... and CLOCK_MONOTONIC then */
};

/*
 * The vault's clock for every time-to-live decision (grant expiry, idle
 * grants, lockouts, stale credentials): the wall clock read once at start,
 * advanced by CLOCK_MONOTONIC since. Unix seconds, so stored times still read
 * as UTC for people and survive a restart; but stepping the system clock
 * while the vault runs (an operator's mistake, an NTP jump) moves no expiry
 * and no lockout (SECURITY.md "Clock steps"). A restart reads the wall clock
 * again. Before vault_clock_start (tests), the wall clock itself.
 */
void vault_clock_start(struct vault *v);
int64_t vault_now(const struct vault *v);
/* The same clock in milliseconds (a campaign's rate, docs/OUTREACH.md). */
int64_t vault_now_ms(const struct vault *v);

/* A job may have become claimable: wake every waiting broker. */
void vault_jobs_signal(struct vault *v);
/* The signal count now: pass it to vault_jobs_wait so that no signal is missed. */
uint64_t vault_jobs_gen(struct vault *v);
/*
 * Count a waiting claim of broker in (0), or -1 when VAULT_JOB_WAITERS_MAX
 * wait already, or VAULT_JOB_WAITERS_PER_BROKER of that broker: one broker
 * cannot take every place; and out again.
 */
int vault_jobs_enter(struct vault *v, const char *broker) BOS_WUR;
void vault_jobs_leave(struct vault *v, const char *broker);
/* Wait until a signal after gen, or until the monotonic clock reaches until_ms. */
void vault_jobs_wait(struct vault *v, uint64_t gen, int64_t until_ms);

/* Make db_lock (recursive), the group-commit state and the job waiters'. */
int vault_db_lock_init(struct vault *v);
void vault_db_lock(struct vault *v);
/*
 * Only unlocks: nothing commits here. A holder that wrote while a batch was
 * open ends with batch_end (audit/batch.h), which commits it first.
 */
void vault_db_unlock(struct vault *v);

#endif
