/*
 * What the bench programs share (each is one file, built alone): a monotonic
 * clock and the comparison qsort needs for medians.
 */
#ifndef BOS_BENCH_H
#define BOS_BENCH_H

#include <time.h>

/* CLOCK_MONOTONIC in seconds. */
static inline double
bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double
bench_now_ms(void)
{
	return bench_now_s() * 1e3;
}

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif
