/*
 * Unit tests for vault/core/metrics.c: the Prometheus text it renders (counters
 * by route and status, cumulative histogram buckets, lockouts) and that
 * recording from many threads loses nothing.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/metrics.h"

#define THREADS 4
#define PER_THREAD 5000

static void
test_render(void **state)
{
	struct metrics *m;
	char *t;

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	metrics_observe_request(m, "health", 200, 0.0005);
	metrics_observe_request(m, "health", 200, 0.003);
	metrics_observe_request(m, "cred_get", 404, 20.0);
	metrics_observe_request(m, "unmatched", 404, 0.2);
	metrics_observe_hsm(m, 0.00005);
	metrics_count_lockout(m);
	metrics_count_lockout(m);
	assert_non_null(t = metrics_render(m));
	assert_non_null(strstr(t, "bos_up 1\n"));
	assert_non_null(strstr(t, "# TYPE bos_http_requests_total counter\n"));
	assert_non_null(strstr(t, "bos_http_requests_total{route=\"health\",status=\"200\"} 2\n"));
	assert_non_null(strstr(t, "bos_http_requests_total{route=\"cred_get\",status=\"404\"} 1\n"));
	assert_non_null(strstr(t, "bos_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
	/* Buckets are cumulative; 20 s lands only in +Inf. */
	assert_non_null(strstr(t, "bos_http_request_duration_seconds_bucket{le=\"0.001\"} 1\n"));
	assert_non_null(strstr(t, "bos_http_request_duration_seconds_bucket{le=\"0.005\"} 2\n"));
	assert_non_null(strstr(t, "bos_http_request_duration_seconds_bucket{le=\"0.25\"} 3\n"));
	assert_non_null(strstr(t, "bos_http_request_duration_seconds_bucket{le=\"10\"} 3\n"));
	assert_non_null(strstr(t, "bos_http_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(t, "bos_http_request_duration_seconds_count 4\n"));
	assert_non_null(strstr(t, "bos_hsm_call_duration_seconds_bucket{le=\"0.001\"} 1\n"));
	assert_non_null(strstr(t, "bos_hsm_call_duration_seconds_count 1\n"));
	assert_non_null(strstr(t, "bos_admin_lockouts_total 2\n"));
	assert_non_null(strstr(t, "bos_jobs{state=\"queued\"} 0\n"));
	free(t);
	{
		const long long jobs[METRICS_JOB_STATES] = { 3, 1, 7, 2 };

		metrics_set_jobs(m, jobs);
		assert_non_null(t = metrics_render(m));
		assert_non_null(strstr(t, "# TYPE bos_jobs gauge\n"));
		assert_non_null(strstr(t, "bos_jobs{state=\"queued\"} 3\nbos_jobs{state=\"claimed\"} 1\n"
		    "bos_jobs{state=\"done\"} 7\nbos_jobs{state=\"dead\"} 2\n"));
		free(t);
	}
	metrics_free(m);
}

static void
test_label_escaping(void **state)
{
	struct metrics *m;
	char *t;

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	metrics_observe_request(m, "a\"b\\c\nd", 500, 0.1);
	assert_non_null(t = metrics_render(m));
	assert_non_null(strstr(t, "{route=\"a\\\"b\\\\c\\nd\",status=\"500\"} 1\n"));
	free(t);
	metrics_free(m);
}

static void
test_many_series(void **state)
{
	struct metrics *m;
	char name[32], *t;
	unsigned i;

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	/* More distinct pairs than the table holds: the rest go to route="other", nothing breaks. */
	for (i = 0; i < 1000; i++) {
		(void)snprintf(name, sizeof(name), "r%u", i);
		metrics_observe_request(m, name, 200, 0.01);
	}
	assert_non_null(t = metrics_render(m));
	assert_non_null(strstr(t, "route=\"other\",status=\"200\"}"));
	assert_non_null(strstr(t, "bos_http_request_duration_seconds_count 1000\n"));
	free(t);
	metrics_free(m);
}

static void *
hammer(void *arg)
{
	struct metrics *m = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		metrics_observe_request(m, "cred_get", 200, 0.002);
		metrics_observe_hsm(m, 0.0001);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t th[THREADS];
	struct metrics *m;
	char want[128], *t;
	int i;

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, m), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	assert_non_null(t = metrics_render(m));
	(void)snprintf(want, sizeof(want), "bos_http_requests_total{route=\"cred_get\",status=\"200\"} %d\n",
	    THREADS * PER_THREAD);
	assert_non_null(strstr(t, want));
	(void)snprintf(want, sizeof(want), "bos_hsm_call_duration_seconds_count %d\n",
	    THREADS * PER_THREAD);
	assert_non_null(strstr(t, want));
	free(t);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_many_series),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
