/* Test only: a session table on the test's clock; see session_clock.h. */
#include "session_clock.h"

#include <pthread.h>
#include <stdlib.h>
#include "auth/session_int.h"

void
sessions_set_clock(struct sessions *s, int64_t (*now_ms)(void *), void *arg)
{
	if (pthread_mutex_lock(&s->mu) != 0)
		abort();
	s->clock = now_ms != NULL ? now_ms : sessions_monotonic_ms;
	s->clock_arg = arg;
	if (pthread_mutex_unlock(&s->mu) != 0)
		abort();
}
