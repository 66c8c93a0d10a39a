/*
 * One claimed job, start to end (docs/BROKERS.md "bos-broker"): lease the
 * credential for it, call the provider through the job's connector, wipe
 * the secret, end the lease, then complete or fail the job. The secret is
 * never logged; the log names the job, the service, the outcome and the
 * time the call took.
 */
#ifndef BOS_BROKER_JOB_H
#define BOS_BROKER_JOB_H

#include "broker.h"
#include "provider.h"
#include "vault_link.h"

struct broker_run {
	struct vault_link *vl;
	struct provider prov;
	long lease_ttl;
	const struct broker_job *cur;   /* the job a heartbeat is for */
};

/*
 * Run job to its report. 0 when it was reported (or could not be and the
 * vault will hand it out again), -1 when the broker cannot go on (its
 * token was refused).
 */
int broker_job_run(struct broker_run *b, const struct broker_job *job) BOS_WUR;

/* The heartbeat tick for provider calls (provider.h): arg is the broker_run. */
void broker_job_tick(void *arg);

#endif
