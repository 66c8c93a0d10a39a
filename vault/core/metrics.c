/*
 * Counters and histograms for GET /metrics, rendered in the Prometheus text
 * format 0.0.4. One mutex guards everything: recording is a few additions,
 * far cheaper than the request it records, so contention does not matter.
 *
 * Label values are route names from the route table (or "unmatched") and
 * status codes, so the number of series is bounded; past METRICS_SERIES_MAX
 * pairs, further ones are counted under route="other".
 */
#include "core/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_SERIES_MAX 256
#define METRICS_ROUTE_MAX 48

/* Upper bounds in seconds, from 1 ms to 10 s. */
static const double metrics_buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define METRICS_NBUCKETS BOS_ARRAY_LEN(metrics_buckets)

struct histogram {
	uint64_t bucket[METRICS_NBUCKETS]; /* not cumulative; summed when rendered */
	uint64_t count;
	double sum;
};

struct series {
	char route[METRICS_ROUTE_MAX];
	unsigned status;
	uint64_t count;
};

struct metrics {
	pthread_mutex_t mu;
	struct series req[METRICS_SERIES_MAX];
	size_t nreq;
	struct histogram req_seconds;
	struct histogram hsm_seconds;
	uint64_t lockouts;
	uint64_t audit_records, audit_failures, audit_checkpoints;
	uint64_t commits, commit_requests;
	struct histogram commit_seconds;
	long long alerts_open;
	long long jobs[METRICS_JOB_STATES];
};

/* A growing text buffer; any failure sticks and makes render return NULL. */
struct text {
	char *p;
	size_t len, cap;
	int failed;
};

int
metrics_new(struct metrics **out)
{
	struct metrics *m;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -1;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static void
histogram_observe(struct histogram *h, double seconds)
{
	size_t i;

	if (!(seconds >= 0))
		seconds = 0;    /* NaN or a clock oddity */
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (seconds <= metrics_buckets[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum += seconds;
}

static struct series *
metrics_series(struct metrics *m, const char *route, unsigned status)
{
	size_t i;

	for (i = 0; i < m->nreq; i++)
		if (m->req[i].status == status && strcmp(m->req[i].route, route) == 0)
			return &m->req[i];
	if (m->nreq == METRICS_SERIES_MAX - 1 && strcmp(route, "other") != 0)
		return metrics_series(m, "other", status);
	if (m->nreq == METRICS_SERIES_MAX)
		return NULL;
	(void)snprintf(m->req[m->nreq].route, METRICS_ROUTE_MAX, "%s", route);
	m->req[m->nreq].status = status;
	return &m->req[m->nreq++];
}

void
metrics_observe_request(struct metrics *m, const char *route, unsigned status, double seconds)
{
	struct series *s;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	if ((s = metrics_series(m, route != NULL ? route : "unmatched", status)) != NULL)
		s->count++;
	histogram_observe(&m->req_seconds, seconds);
	pthread_mutex_unlock(&m->mu);
}

void
metrics_observe_hsm(struct metrics *m, double seconds)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	histogram_observe(&m->hsm_seconds, seconds);
	pthread_mutex_unlock(&m->mu);
}

void
metrics_observe_batch(struct metrics *m, unsigned requests, double seconds)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->commits++;
	m->commit_requests += requests;
	histogram_observe(&m->commit_seconds, seconds);
	pthread_mutex_unlock(&m->mu);
}

void
metrics_count_lockout(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->lockouts++;
	pthread_mutex_unlock(&m->mu);
}

void
metrics_count_audit(struct metrics *m, enum metrics_audit what, unsigned n)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	if (what == METRICS_AUDIT_RECORD)
		m->audit_records += n;
	else if (what == METRICS_AUDIT_FAILURE)
		m->audit_failures += n;
	else
		m->audit_checkpoints += n;
	pthread_mutex_unlock(&m->mu);
}

void
metrics_set_alerts_open(struct metrics *m, long long n)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->alerts_open = n;
	pthread_mutex_unlock(&m->mu);
}

void
metrics_set_jobs(struct metrics *m, const long long n[METRICS_JOB_STATES])
{
	size_t i;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	for (i = 0; i < METRICS_JOB_STATES; i++)
		m->jobs[i] = n[i];
	pthread_mutex_unlock(&m->mu);
}

/* ---- rendering ---- */

static void BOS_PRINTF(2, 3)
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	size_t need, ncap;
	char *np;
	int n;

	if (t->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = 1;
		return;
	}
	if ((size_t)n < t->cap - t->len) {
		t->len += (size_t)n;
		return;
	}
	/* Grow and write again: need room for the text and its NUL. */
	if (__builtin_add_overflow(t->len, (size_t)n + 1, &need) ||
	    __builtin_mul_overflow(need, 2, &ncap) || (np = realloc(t->p, ncap)) == NULL) {
		t->failed = 1;
		return;
	}
	t->p = np;
	t->cap = ncap;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		t->failed = 1;
	else
		t->len += (size_t)n;
}

/* Label values in the text format escape backslash, double quote and newline. */
static void
text_label(struct text *t, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			text_add(t, "\\%c", *v);
		else if (*v == '\n')
			text_add(t, "\\n");
		else
			text_add(t, "%c", *v);
	}
}

static void
render_histogram(struct text *t, const char *name, const char *help, const struct histogram *h)
{
	uint64_t cum = 0;
	size_t i;

	text_add(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (i = 0; i < METRICS_NBUCKETS; i++) {
		cum += h->bucket[i];
		text_add(t, "%s_bucket{le=\"%g\"} %llu\n", name, metrics_buckets[i],
		    (unsigned long long)cum);
	}
	text_add(t, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
	text_add(t, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name,
	    (unsigned long long)h->count);
}

static void
render_requests(struct text *t, const struct metrics *m)
{
	size_t i;

	text_add(t, "# HELP bos_http_requests_total HTTP requests by route and status.\n"
	    "# TYPE bos_http_requests_total counter\n");
	for (i = 0; i < m->nreq; i++) {
		text_add(t, "bos_http_requests_total{route=\"");
		text_label(t, m->req[i].route);
		text_add(t, "\",status=\"%u\"} %llu\n", m->req[i].status,
		    (unsigned long long)m->req[i].count);
	}
}

char *
metrics_render(struct metrics *m)
{
	struct text t = { NULL, 0, 0, 0 };

	if (m == NULL || (t.p = malloc(4096)) == NULL)
		return NULL;
	t.cap = 4096;
	t.p[0] = '\0';
	text_add(&t, "# HELP bos_up 1 while the vault serves.\n# TYPE bos_up gauge\nbos_up 1\n");
	pthread_mutex_lock(&m->mu);
	render_requests(&t, m);
	render_histogram(&t, "bos_http_request_duration_seconds",
	    "Time from the request line to the end of the response.", &m->req_seconds);
	render_histogram(&t, "bos_hsm_call_duration_seconds", "Time of one bos-hsmd request.",
	    &m->hsm_seconds);
	text_add(&t, "# HELP bos_admin_lockouts_total Admin accounts locked after failed "
	    "sign-ins.\n# TYPE bos_admin_lockouts_total counter\nbos_admin_lockouts_total %llu\n",
	    (unsigned long long)m->lockouts);
	text_add(&t, "# HELP bos_audit_records_total Audit records written.\n"
	    "# TYPE bos_audit_records_total counter\nbos_audit_records_total %llu\n",
	    (unsigned long long)m->audit_records);
	text_add(&t, "# HELP bos_audit_failures_total Requests refused with 503 because their "
	    "audit record could not be written.\n# TYPE bos_audit_failures_total counter\n"
	    "bos_audit_failures_total %llu\n", (unsigned long long)m->audit_failures);
	text_add(&t, "# HELP bos_audit_checkpoints_total Audit chain heads signed by the HSM.\n"
	    "# TYPE bos_audit_checkpoints_total counter\nbos_audit_checkpoints_total %llu\n",
	    (unsigned long long)m->audit_checkpoints);
	text_add(&t, "# HELP bos_commits_total Group commits: transactions shared by audited "
	    "requests, one fsync each.\n# TYPE bos_commits_total counter\n"
	    "bos_commits_total %llu\n", (unsigned long long)m->commits);
	text_add(&t, "# HELP bos_commit_requests_total Audited requests made durable by those "
	    "commits.\n# TYPE bos_commit_requests_total counter\nbos_commit_requests_total %llu\n",
	    (unsigned long long)m->commit_requests);
	render_histogram(&t, "bos_commit_batch_duration_seconds", "Time from a batch's first "
	    "request to its durable commit.", &m->commit_seconds);
	text_add(&t, "# HELP bos_alerts_open Alerts open (neither acknowledged nor resolved).\n"
	    "# TYPE bos_alerts_open gauge\nbos_alerts_open %lld\n", m->alerts_open);
	text_add(&t, "# HELP bos_jobs Jobs in the vault's queue, by state.\n# TYPE bos_jobs gauge\n"
	    "bos_jobs{state=\"queued\"} %lld\nbos_jobs{state=\"claimed\"} %lld\n"
	    "bos_jobs{state=\"done\"} %lld\nbos_jobs{state=\"dead\"} %lld\n", m->jobs[0], m->jobs[1],
	    m->jobs[2], m->jobs[3]);
	pthread_mutex_unlock(&m->mu);
	if (t.failed) {
		free(t.p);
		return NULL;
	}
	return t.p;
}
