/* One claimed send job; see broker_send.h. */
#include "broker_send.h"

#include <stdio.h>
#include <string.h>
#include "connector.h"
#include "log.h"
#include "send_link.h"

#define BS_PURPOSE "send"
#define BS_CAMPAIGN_WAIT_S 60   /* a campaign not running: look again in a minute */

int
broker_send_kind(const char *kind)
{
	return strcmp(kind, "send_email") == 0 || strcmp(kind, "send_sms") == 0;
}

static void
bs_fail(struct broker_run *b, const struct broker_job *job, const char *error, int retry,
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
		log_info("job %s: failed (%s), %s", job->id, error, retry ? "to be retried" :
		    "not to be retried");
}

static void
bs_complete(struct broker_run *b, const struct broker_job *job, const char *provider_id,
    const char *skipped)
{
	struct vault_answer ans;
	struct bos_err err;

	if (send_link_complete(b->vl, job, provider_id, skipped, &ans, &err) != 0)
		log_warn("job %s: could not complete (%s)", job->id, err.msg);
	else if (skipped != NULL)
		log_info("job %s: not sent (%s), completed", job->id, skipped);
	else
		log_info("job %s: sent, completed", job->id);
}

/* The vault would not hand out the message: obey its reason. 0, or -1 (token refused). */
static int
bs_fetch_refused(struct broker_run *b, const struct broker_job *job,
    const struct vault_answer *ans, const struct bos_err *err)
{
	char why[BROKER_ERROR_MAX];

	log_info("job %s: message not handed out: %s", job->id, err->msg);
	if (ans->status == 401)
		return -1;
	if (ans->status == 409 && (strcmp(ans->code, "suppressed") == 0 ||
	    strcmp(ans->code, "already_sent") == 0)) {
		bs_complete(b, job, NULL, ans->code);
	} else if (ans->status == 409 && strcmp(ans->code, "outcome_unknown") == 0) {
		bs_fail(b, job, "outcome unknown: an earlier attempt may have sent it; never sent "
		    "twice", 0, 0);
	} else if (ans->status == 409 && strcmp(ans->code, "campaign_state") == 0) {
		bs_fail(b, job, "the campaign is not running", 1, BS_CAMPAIGN_WAIT_S);
	} else if (ans->status == 409 && strcmp(ans->code, "stale_claim") == 0) {
		log_info("job %s: the claim is stale (another broker holds the job)", job->id);
	} else {
		(void)snprintf(why, sizeof(why), "the vault did not hand out the message: %ld %s",
		    ans->status, ans->code[0] != '\0' ? ans->code : "no answer");
		/* The vault unreachable or failing passes; anything else will not get better. */
		bs_fail(b, job, why, ans->status == 0 || ans->status >= 500, 0);
	}
	return 0;
}

static int
bs_lease_refused(struct broker_run *b, const struct broker_job *job,
    const struct vault_answer *ans, const struct bos_err *err)
{
	char why[BROKER_ERROR_MAX];

	log_warn("job %s: no lease: %s", job->id, err->msg);
	if (ans->status == 401)
		return -1;
	if (ans->status == 403 && strcmp(ans->code, "job_not_claimed") == 0)
		return 0;
	(void)snprintf(why, sizeof(why), "lease refused: %ld %s", ans->status,
	    ans->code[0] != '\0' ? ans->code : "no answer");
	bs_fail(b, job, why, ans->status == 0 || ans->status >= 500 ||
	    strcmp(ans->code, "budget_paused") == 0, 0);
	return 0;
}

/* The connector for the job, when the job, the message and the connector agree. */
static const struct connector *
bs_connector(const struct broker_job *job, const struct send_msg *m, const char **why)
{
	const struct connector *c = connector_find(job->service);
	const char *channel = strcmp(job->kind, "send_sms") == 0 ? "sms" : "email";

	*why = NULL;
	if (c == NULL || c->send == NULL)
		*why = "this broker has no sending connector for the service";
	else if (strcmp(c->channel, channel) != 0 || strcmp(m->channel, channel) != 0)
		*why = "the job's kind, the message's channel and the provider do not agree";
	else if (strcmp(m->provider, c->name) != 0)
		*why = "the message's provider is not the job's service";
	return *why == NULL ? c : NULL;
}

/* After the provider accepted: "sent" at once (once more if the vault did not answer). */
static void
bs_sent(struct broker_run *b, const struct broker_job *job, const struct send_result *sr)
{
	struct vault_answer ans;
	struct bos_err err;
	int i;

	int price = sr->has_price;

	for (i = 0; i < 2; i++) {
		if (send_link_sent(b->vl, job, sr->provider_id, price, sr->price_micros,
		    sr->currency, &ans, &err) == 0)
			return;
		log_warn("job %s: the provider accepted the message but 'sent' was not recorded "
		    "(%s)%s", job->id, err.msg, i == 0 ? "; trying again" : "");
		/* The provider's price refused (another currency than the campaign's): without it. */
		if (ans.status == 400 && price)
			price = 0;
		else if (ans.status != 0 && ans.status < 500)
			return;
	}
}

/* What a send came to, reported. */
static void
bs_report(struct broker_run *b, const struct broker_job *job, const struct send_result *sr)
{
	char why[BROKER_ERROR_MAX];

	switch (sr->r.outcome) {
	case VERIFY_OK:
		bs_complete(b, job, sr->provider_id, NULL);
		break;
	case VERIFY_REJECTED:
		(void)snprintf(why, sizeof(why), "the provider refused the credential (%ld)",
		    sr->r.status);
		bs_fail(b, job, sr->r.error[0] != '\0' ? sr->r.error : why, 0, 0);
		break;
	case VERIFY_RETRY:
		if (sr->r.maybe_sent) {
			/*
			 * Neither "sent" nor a refusal can be said: the message stays
			 * "sending" and the claim runs out; the vault then calls the
			 * message unknown (alert outreach_unknown), never sent twice.
			 */
			log_warn("job %s: the provider may have accepted the message (%s): left to "
			    "the vault as outcome unknown", job->id, sr->r.error);
			break;
		}
		bs_fail(b, job, sr->r.error, 1, sr->r.retry_after);
		break;
	case VERIFY_ERROR:
		bs_fail(b, job, sr->r.error, 0, 0);
		break;
	}
}

/* Lease, prepare, sending, the call, sent; the lease wiped and ended in every case. */
static int
bs_send(struct broker_run *b, const struct broker_job *job, const struct connector *c,
    const struct send_msg *m)
{
	struct send_result sr;
	struct send_prep sp;
	struct broker_lease l;
	struct vault_answer ans;
	struct bos_err err;
	int sent = 0;

	if (vault_link_lease(b->vl, job, BS_PURPOSE, b->lease_ttl, &l, &ans, &err) != 0)
		return bs_lease_refused(b, job, &ans, &err);
	memset(&sr, 0, sizeof(sr));
	memset(&sp, 0, sizeof(sp));
	if (strcmp(l.service, c->name) != 0) {
		sr.r.outcome = VERIFY_ERROR;
		(void)snprintf(sr.r.error, sizeof(sr.r.error), "the credential's service is not the "
		    "job's");
	} else if (c->prepare(&b->prov, c, m, &l, &sp, &err) != 0) {
		sr.r.outcome = VERIFY_ERROR;
		(void)snprintf(sr.r.error, sizeof(sr.r.error), "not sent: %.200s", err.msg);
	} else if (send_link_sending(b->vl, job, &ans, &err) != 0) {
		/* Nothing was sent: a vault that did not answer passes, a refusal does not. */
		sr.r.outcome = ans.status == 0 || ans.status >= 500 ? VERIFY_RETRY : VERIFY_ERROR;
		(void)snprintf(sr.r.error, sizeof(sr.r.error), "not sent: 'sending' not recorded: "
		    "%ld %s", ans.status, ans.code);
	} else {
		b->cur = job;
		c->send(&b->prov, c, &l, &sp, &sr);
		b->cur = NULL;
		sent = sr.r.outcome == VERIFY_OK;
	}
	if (sent)
		bs_sent(b, job, &sr);
	/* The secret is needed no longer: wiped before anything else is reported. */
	broker_lease_wipe(&l);
	send_prep_free(&sp);
	if (vault_link_lease_end(b->vl, l.id, &err) != 0)
		log_warn("job %s: lease %s not ended early (%s); it expires by itself", job->id, l.id,
		    err.msg);
	log_info("job %s: %s: %s status %ld in %ld ms", job->id, c->name, sent ? "accepted" :
	    "not accepted", sr.r.status, sr.r.latency_ms);
	if (ans.status == 409 && strcmp(ans.code, "stale_claim") == 0 && !sent) {
		log_info("job %s: the claim is stale (another broker holds the job)", job->id);
		return 0;
	}
	bs_report(b, job, &sr);
	return 0;
}

int
broker_send_run(struct broker_run *b, const struct broker_job *job)
{
	const struct connector *c;
	struct vault_answer ans;
	struct send_msg m;
	struct bos_err err;
	const char *why;
	int r;

	if (send_link_fetch(b->vl, job, &m, &ans, &err) != 0) {
		if (ans.status == 200) {
			bs_fail(b, job, "the vault's message cannot be used", 0, 0);
			log_warn("job %s: %s", job->id, err.msg);
			return 0;
		}
		return bs_fetch_refused(b, job, &ans, &err);
	}
	if ((c = bs_connector(job, &m, &why)) == NULL) {
		bs_fail(b, job, why, 0, 0);
		send_msg_free(&m);
		return 0;
	}
	r = bs_send(b, job, c, &m);
	send_msg_free(&m);
	return r;
}
