/*
 * Test tool, an LD_PRELOAD clock stepper: shifts the wall clock a process
 * sees (time(), gettimeofday(), clock_gettime() on the CLOCK_REALTIME family)
 * by an offset the test changes while the process runs, as an operator's
 * `date -s` or an NTP jump would step the system clock. CLOCK_MONOTONIC and
 * the other clocks are left alone. Used by tests/integration/t_clock_step.sh
 * to show that grant expiry and lockouts do not move when the clock steps
 * (SECURITY.md "Clock steps"; docs/GRANTS.md "Clock").
 *
 *   BOS_CLOCK_SHIFT_FILE  a file whose modification time, minus
 *                         CLOCK_SHIFT_BIAS, is the offset in seconds:
 *                         `touch -d @$((1000000000 + 3600)) FILE` steps the
 *                         clock an hour forward, `... - 3600` an hour back.
 *                         No variable, or no file: no shift.
 *   BOS_CLOCK_SHIFT_ONLY  optional: shift only in the program of this name
 *                         (bos-vaultd), not in the processes it starts
 *                         (bos-hsmd, whose own sandbox has other rules).
 *
 * The offset is read with stat(2) on every call, the one file call the
 * vault's seccomp sandbox lets it make anywhere (docs/SANDBOX.md; the same
 * reason as fsync_fail.c); the bias keeps the time stamp positive on every
 * file system. Built as $(BUILD)/tests/clock_shift.so by the Makefile's
 * preload rule.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#define CLOCK_SHIFT_BIAS 1000000000LL

time_t time(time_t *t);
int gettimeofday(struct timeval *restrict tv, void *restrict tz);
int clock_gettime(clockid_t id, struct timespec *ts);

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

/* The offset now, in seconds; 0 without a file. Keeps errno as it was. */
static long long
clock_shift_offset(void)
{
	const char *f = getenv("BOS_CLOCK_SHIFT_FILE"), *only = getenv("BOS_CLOCK_SHIFT_ONLY");
	struct stat st;
	int saved = errno;
	long long off = 0;

	if (only != NULL && *only != '\0' && strcmp(only, program_invocation_short_name) != 0)
		return 0;
	if (f != NULL && *f != '\0' && stat(f, &st) == 0)
		off = (long long)st.st_mtim.tv_sec - CLOCK_SHIFT_BIAS;
	errno = saved;
	return off;
}

static int
clock_shift_real(clockid_t id, struct timespec *ts)
{
	static clock_gettime_fn real;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "clock_gettime");
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real(id, ts);
}

static int
clock_shift_is_wall(clockid_t id)
{
	return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = clock_shift_real(id, ts);

	if (r == 0 && clock_shift_is_wall(id))
		ts->tv_sec += (time_t)clock_shift_offset();
	return r;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;   /* obsolete; glibc fills nothing useful */
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (time_t)-1;
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
