/* Test only: a session table that reads the test's clock instead of CLOCK_MONOTONIC. */
#ifndef BOS_TEST_SESSION_CLOCK_H
#define BOS_TEST_SESSION_CLOCK_H

#include <stdint.h>

struct sessions;

/* Replace CLOCK_MONOTONIC by now_ms (milliseconds); NULL restores the real clock. */
void sessions_set_clock(struct sessions *s, int64_t (*now_ms)(void *), void *arg);

#endif
