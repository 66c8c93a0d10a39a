/* One claimed job; see broker_job.h. */
#include "broker_job.h"

#include <stdio.h>
#include <string.h>
#include "broker_ad.h"
#include "broker_send.h"
#include "connector.h"
#include "log.h"

#define BJ_PURPOSE "verify"

void
broker_job_tick(void *arg)
{
	struct broker_run *b = arg;
	struct vault_answer ans;
	struct bos_err err;

	if (b->cur == NULL)
		return;
	if (vault_link_heartbeat(b->vl, b->cur, &ans, &err) != 0)
		log_warn("job %s: heartbeat: %s", b->cur->id, err.msg);
	else
		log_info("job %s: heartbeat sent", b->cur->id);
}

/* fail, and when the vault does not know retry_after (400), again without it. */
static void
bj_fail(struct broker_run *b, const struct broker_job *job, const char *error, int retry,
    long retry_after)
{
	struct vault_answer ans;
	struct bos_err err;
	int r = vault_link_fail(b->vl, job, error, retry, retry_after, &ans, &err);

	if (r != 0 && ans.status == 400 && retry_after > 0)
		r = vault_link_fail(b->vl, job, error, retry, 0, &ans, &err);
	if (r != 0)
		log_warn("job %s: could not report the failure (%s); the vault hands it out again "
		    "after its visibility timeout", job->id, err.msg);
	else
		log_info("job %s: failed (%s), %s%s", job->id, error, retry ? "to be retried" :
		    "not to be retried", retry_after > 0 ? ", Retry-After honoured" : "");
}

static void
bj_complete(struct broker_run *b, const struct broker_job *job, const struct verify_result *r)
{
	struct vault_answer ans;
	struct bos_err err;

	if (vault_link_complete(b->vl, job, r, &ans, &err) != 0)
		log_warn("job %s: could not report the result (%s)%s", job->id, err.msg,
		    ans.status == 409 ? ": the claim is stale (another broker holds the job)" : "");
	else
		log_info("job %s: %s: ok=%s status %ld in %ld ms", job->id, job->service,
		    r->outcome == VERIFY_OK ? "true" : "false", r->status, r->latency_ms);
}

/*
 * The vault refused the lease. Returns -1 when the broker itself was refused
 * (its token revoked: nothing more can be done), else 0.
 */
static int
bj_lease_refused(struct broker_run *b, const struct broker_job *job,
    const struct vault_answer *ans, const struct bos_err *err)
{
	char why[BROKER_ERROR_MAX];

	log_warn("job %s: no lease: %s", job->id, err->msg);
	if (ans->status == 401)
		return -1;
	if (ans->status == 403 && strcmp(ans->code, "job_not_claimed") == 0)
		return 0;   /* no longer ours: nothing to report */
	(void)snprintf(why, sizeof(why), "lease refused: %ld %s", ans->status,
	    ans->code[0] != '\0' ? ans->code : "no answer");
	/* A paused budget or a vault that did not answer passes; a policy refusal does not. */
	bj_fail(b, job, why, ans->status == 0 || ans->status >= 500 ||
	    strcmp(ans->code, "budget_paused") == 0, 0);
	return 0;
}

static void
bj_report(struct broker_run *b, const struct broker_job *job, const struct verify_result *r)
{
	switch (r->outcome) {
	case VERIFY_OK:
	case VERIFY_REJECTED:
		bj_complete(b, job, r);
		break;
	case VERIFY_RETRY:
		bj_fail(b, job, r->error, 1, r->retry_after);
		break;
	case VERIFY_ERROR:
		bj_fail(b, job, r->error, 0, 0);
		break;
	}
}

int
broker_job_run(struct broker_run *b, const struct broker_job *job)
{
	const struct connector *c = connector_find(job->service);
	struct verify_result r;
	struct broker_lease l;
	struct vault_answer ans;
	struct bos_err err;

	log_info("job %s: claimed (%s %s, attempt %ld)", job->id, job->kind, job->service,
	    job->attempt);
	if (broker_send_kind(job->kind))
		return broker_send_run(b, job);
	if (broker_ad_kind(job->kind))
		return broker_ad_run(b, job);
	if (strcmp(job->kind, "verify") != 0 || c == NULL) {
		bj_fail(b, job, c == NULL ? "this broker has no connector for the service" :
		    "this broker does not handle the job's kind", 0, 0);
		return 0;
	}
	if (job->credential[0] == '\0') {
		bj_fail(b, job, "a verify job needs a credential", 0, 0);
		return 0;
	}
	if (vault_link_lease(b->vl, job, BJ_PURPOSE, b->lease_ttl, &l, &ans, &err) != 0)
		return bj_lease_refused(b, job, &ans, &err);
	b->cur = job;
	if (strcmp(l.service, c->name) != 0) {
		memset(&r, 0, sizeof(r));
		r.outcome = VERIFY_ERROR;
		(void)snprintf(r.error, sizeof(r.error), "the credential's service is not the job's");
	} else {
		(void)c->verify(&b->prov, c, &l, &r);
	}
	/* The secret is needed no longer: wiped before anything else happens. */
	broker_lease_wipe(&l);
	b->cur = NULL;
	if (vault_link_lease_end(b->vl, l.id, &err) != 0)
		log_warn("job %s: lease %s not ended early (%s); it expires by itself", job->id, l.id,
		    err.msg);
	bj_report(b, job, &r);
	return 0;
}
