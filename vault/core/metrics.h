/*
 * Counters and histograms for GET /metrics (Prometheus text format 0.0.4):
 * requests by route and status, request latency, bos-hsmd call latency,
 * lockouts. Thread-safe; recording never fails and never blocks for long.
 */
#ifndef BOS_METRICS_H
#define BOS_METRICS_H

#include "compiler.h"

struct metrics;

int metrics_new(struct metrics **out) BOS_WUR;
void metrics_free(struct metrics *m);

/* route: the route's name ("cred_get"), or "unmatched". */
void metrics_observe_request(struct metrics *m, const char *route, unsigned status, double seconds);
void metrics_observe_hsm(struct metrics *m, double seconds);
void metrics_count_lockout(struct metrics *m);
/* A group commit (batch.h): how many requests it made durable, and its age at commit. */
void metrics_observe_batch(struct metrics *m, unsigned requests, double seconds);
enum metrics_audit { METRICS_AUDIT_RECORD, METRICS_AUDIT_FAILURE, METRICS_AUDIT_CHECKPOINT };
void metrics_count_audit(struct metrics *m, enum metrics_audit what, unsigned n);
/* Alerts in state open (alert.h), read from the database when /metrics is asked. */
void metrics_set_alerts_open(struct metrics *m, long long n);
/* Jobs by state (job.h: queued, claimed, done, dead), read from the database at /metrics. */
#define METRICS_JOB_STATES 4
void metrics_set_jobs(struct metrics *m, const long long n[METRICS_JOB_STATES]);
/* malloc'd text; the caller frees it. NULL on allocation failure. */
char *metrics_render(struct metrics *m);

#endif
