/*
 * The monotonic clock in the units the daemons use: milliseconds for
 * deadlines and ages, and an absolute timespec for pthread_cond_timedwait
 * on a condition variable created with CLOCK_MONOTONIC.
 */
#ifndef BOS_CLOCK_H
#define BOS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* *ts = now + ms on CLOCK_MONOTONIC. */
static inline void
clock_mono_after(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

#endif
