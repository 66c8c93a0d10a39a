/*
 * One claimed ad job (docs/ADS.md "Broker routes", "Jobs and what the broker
 * sends"): ad_create, ad_activate, ad_pause, ad_insights, service meta. The
 * ad from the vault (GET /outreach/ad-jobs/{job}?claim=), one lease for the
 * job, then the Meta calls (meta.h). ad_create makes each object still
 * without an id, in order, each between a step "begin" (recorded by the
 * vault before the call) and a step "done" with Meta's id, then activates
 * the ad, the ad set and the campaign; an earlier attempt whose creation
 * step never reported is the vault's outcome_unknown, never made twice.
 * The secret is wiped and the lease ended before the job is completed or
 * failed.
 */
#ifndef BOS_BROKER_AD_H
#define BOS_BROKER_AD_H

#include "broker_job.h"

/* 1 when kind is an ad kind this broker runs. */
int broker_ad_kind(const char *kind);

/* Like broker_job_run: 0, or -1 when the broker's token was refused. */
int broker_ad_run(struct broker_run *b, const struct broker_job *job) BOS_WUR;

#endif
