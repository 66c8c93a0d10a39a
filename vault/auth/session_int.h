/*
 * Inside the session table (session.c): its state, with the clock it reads
 * (CLOCK_MONOTONIC; tests set their own, tests/unit/support/session_clock.c).
 * Not for the vault's other code, which uses session.h.
 */
#ifndef BOS_SESSION_INT_H
#define BOS_SESSION_INT_H

#include <pthread.h>
#include <stdint.h>

struct session;

struct sessions {
	pthread_mutex_t mu;
	int64_t idle_ms, absolute_ms;
	int64_t (*clock)(void *);
	void *clock_arg;
	struct session *tab;           /* SESSIONS_MAX entries */
};

/* The clock of every table: CLOCK_MONOTONIC in milliseconds (arg unused). */
int64_t sessions_monotonic_ms(void *arg);

#endif
