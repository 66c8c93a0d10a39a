/* One claimed ad job; see broker_ad.h. */
#include "broker_ad.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "connector.h"
#include "log.h"
#include "meta.h"

#define BA_PATH_MAX 256

enum ba_kind { BA_CREATE, BA_ACTIVATE, BA_PAUSE, BA_INSIGHTS, BA_NONE };

static const char *const ba_kinds[] = { "ad_create", "ad_activate", "ad_pause", "ad_insights" };

/* What one job's steps share. */
struct ba_ctx {
	struct broker_run *b;
	const struct broker_job *job;
	enum ba_kind kind;
	struct meta_ad ad;
	struct broker_lease l;
	struct timespec last_beat;
	int stale;                  /* the vault said the claim is no longer ours */
};

static enum ba_kind
ba_kind_of(const char *kind)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(ba_kinds); i++)
		if (strcmp(kind, ba_kinds[i]) == 0)
			return (enum ba_kind)i;
	return BA_NONE;
}

int
broker_ad_kind(const char *kind)
{
	return ba_kind_of(kind) != BA_NONE;
}

/* fail, and when the vault does not know retry_after (400), again without it. */
static void
ba_fail(struct broker_run *b, const struct broker_job *job, const char *error, int retry,
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
		    "not to be retried", retry_after > 0 ? ", Meta's wait honoured" : "");
}

/* POST path {body} to the vault (body consumed): 0 on 200, else -1 with ans and err. */
static int
ba_post(struct broker_run *b, const char *path, json_t *body, struct vault_answer *ans,
    struct bos_err *err)
{
	json_t *res = NULL;
	int r = -1;

	memset(ans, 0, sizeof(*ans));
	if (body == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (vault_link_request(b->vl, "POST", path, body, &res, ans, err) == 0) {
		if (ans->status == 200)
			r = 0;
		else
			bos_err_set(err, BOS_E_IO, "POST %s: %ld %s%s%s", path, ans->status, ans->code,
			    ans->message[0] != '\0' ? ": " : "", ans->message);
	}
	json_decref(res);
	json_decref(body);
	return r;
}

/* POST /jobs/{id}/complete {claim, result}: 0, or -1 with the vault's answer in ans. */
static int
ba_complete(struct broker_run *b, const struct broker_job *job, json_t *result,
    struct vault_answer *ans)
{
	char path[BA_PATH_MAX];
	struct bos_err err;

	(void)snprintf(path, sizeof(path), "/jobs/%s/complete", job->id);
	if (ba_post(b, path, result != NULL ? json_pack("{s:s, s:O}", "claim", job->claim,
	    "result", result) : NULL, ans, &err) != 0) {
		log_warn("job %s: could not complete (%s)%s", job->id, err.msg, ans->status == 409 ?
		    ": the claim is stale (another broker holds the job)" : "");
		return -1;
	}
	log_info("job %s: %s done, completed", job->id, job->kind);
	return 0;
}

/* GET /outreach/ad-jobs/{job}?claim=: 0 with the ad; -1 with ans (ans->status 200: unusable). */
static int
ba_fetch(struct ba_ctx *x, struct vault_answer *ans, struct bos_err *err)
{
	char path[BA_PATH_MAX];
	json_t *res = NULL;
	int r = -1;

	(void)snprintf(path, sizeof(path), "/outreach/ad-jobs/%s?claim=%s", x->job->id,
	    x->job->claim);
	if (vault_link_request(x->b->vl, "GET", path, NULL, &res, ans, err) != 0)
		return -1;
	if (ans->status != 200)
		bos_err_set(err, BOS_E_IO, "GET /outreach/ad-jobs/%s: %ld %s", x->job->id,
		    ans->status, ans->code);
	else if (meta_ad_parse(json_object_get(res, "ad"), &x->ad, err) == 0)
		r = 0;
	else
		(void)bos_err_wrap(err, "the vault's ad");
	json_decref(res);
	return r;
}

/* The vault would not hand out the ad: obey its reason. 0, or -1 (token refused). */
static int
ba_fetch_refused(struct ba_ctx *x, const struct vault_answer *ans, const struct bos_err *err)
{
	char why[BROKER_ERROR_MAX];

	log_info("job %s: ad not handed out: %s", x->job->id, err->msg);
	if (ans->status == 401)
		return -1;
	if (ans->status == 200) {
		ba_fail(x->b, x->job, "the vault's ad cannot be used", 0, 0);
	} else if (ans->status == 409 && strcmp(ans->code, "outcome_unknown") == 0) {
		/* The vault made the ad failed and raised ad_unknown; nothing is made twice. */
		ba_fail(x->b, x->job, "outcome unknown: an earlier attempt began a creation step "
		    "and never reported it; never made twice", 0, 0);
	} else if (ans->status == 409 && strcmp(ans->code, "stale_claim") == 0) {
		log_info("job %s: the claim is stale (another broker holds the job)", x->job->id);
	} else {
		(void)snprintf(why, sizeof(why), "the vault did not hand out the ad: %ld %s",
		    ans->status, ans->code[0] != '\0' ? ans->code : "no answer");
		ba_fail(x->b, x->job, why, ans->status == 0 || ans->status >= 500, 0);
	}
	return 0;
}

static int
ba_lease_refused(struct ba_ctx *x, const struct vault_answer *ans, const struct bos_err *err)
{
	char why[BROKER_ERROR_MAX];

	log_warn("job %s: no lease: %s", x->job->id, err->msg);
	if (ans->status == 401)
		return -1;
	if (ans->status == 403 && strcmp(ans->code, "job_not_claimed") == 0)
		return 0;
	(void)snprintf(why, sizeof(why), "lease refused: %ld %s", ans->status,
	    ans->code[0] != '\0' ? ans->code : "no answer");
	ba_fail(x->b, x->job, why, ans->status == 0 || ans->status >= 500 ||
	    strcmp(ans->code, "budget_paused") == 0, 0);
	return 0;
}

/*
 * A heartbeat between calls once heartbeat_interval has passed: an ad_create
 * makes up to seven calls, each shorter than the interval that the
 * provider's progress callback counts per call.
 */
static void
ba_beat(struct ba_ctx *x)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - x->last_beat.tv_sec < x->b->prov.tick_interval)
		return;
	/* The provider's heartbeat callback (broker_main.c sets it): no call back into broker_job.c. */
	x->b->cur = x->job;
	if (x->b->prov.tick != NULL)
		x->b->prov.tick(x->b->prov.tick_arg);
	x->b->cur = NULL;
	x->last_beat = now;
}

/* The vault's answer to a step or report, as a call's outcome (nothing sent to Meta yet). */
static void
ba_vault_refused(struct ba_ctx *x, const struct vault_answer *ans, const char *what,
    struct verify_result *r)
{
	memset(r, 0, sizeof(*r));
	if (ans->status == 409 && strcmp(ans->code, "stale_claim") == 0)
		x->stale = 1;
	r->outcome = ans->status == 0 || ans->status >= 500 ? VERIFY_RETRY : VERIFY_ERROR;
	(void)snprintf(r->error, sizeof(r->error), "%s: the vault answered %ld %s", what,
	    ans->status, ans->code[0] != '\0' ? ans->code : "nothing");
}

/*
 * POST /outreach/ad-jobs/{job}/step {claim, object, phase, meta_id?}: phase
 * begin (meta_id NULL, refused 0), done (meta_id) or refused (refused 1).
 */
static int
ba_step_phase(struct ba_ctx *x, enum meta_object o, const char *meta_id, int refused,
    struct vault_answer *ans, struct bos_err *err)
{
	char path[BA_PATH_MAX];
	json_t *body = json_pack("{s:s, s:s, s:s}", "claim", x->job->claim, "object",
	    meta_object_name(o), "phase", refused ? "refused" : meta_id != NULL ? "done" : "begin");

	(void)snprintf(path, sizeof(path), "/outreach/ad-jobs/%s/step", x->job->id);
	if (body != NULL && meta_id != NULL &&
	    json_object_set_new(body, "meta_id", json_string(meta_id)) != 0) {
		json_decref(body);
		body = NULL;
	}
	return ba_post(x->b, path, body, ans, err);
}

static int
ba_step(struct ba_ctx *x, enum meta_object o, const char *meta_id, struct vault_answer *ans,
    struct bos_err *err)
{
	return ba_step_phase(x, o, meta_id, 0, ans, err);
}

/*
 * Meta answered the creation call with an error (HTTP 4xx: refused, a throttle
 * included), so nothing was made: step refused lets a retry begin it again. A
 * timeout, a network error or a 5xx stays begun (the vault's outcome_unknown on
 * the next attempt): Meta may have made it.
 */
static void
ba_step_refused(struct ba_ctx *x, enum meta_object o, const struct verify_result *r)
{
	struct vault_answer ans;
	struct bos_err err;

	if (r->maybe_sent || r->status < 400 || r->status > 499)
		return;
	if (ba_step_phase(x, o, NULL, 1, &ans, &err) != 0)
		log_warn("job %s: meta refused the %s but the vault did not record it (%s): the "
		    "next attempt is outcome_unknown", x->job->id, meta_object_name(o), err.msg);
}

/* step done, once more when the vault did not answer: Meta has made the object. */
static void
ba_step_done(struct ba_ctx *x, enum meta_object o, const char *id, struct verify_result *r)
{
	struct vault_answer ans;
	struct bos_err err;
	int i, again;

	for (i = 0; i < 2; i++) {
		if (ba_step(x, o, id, &ans, &err) == 0)
			return;
		again = i == 0 && (ans.status == 0 || ans.status >= 500);
		log_warn("job %s: meta made the %s %s but the vault did not record it (%s)%s",
		    x->job->id, meta_object_name(o), id, err.msg, again ? "; trying again" : "");
		if (!again)
			break;
	}
	/* The next attempt is the vault's outcome_unknown (alert ad_unknown): never made twice. */
	ba_vault_refused(x, &ans, "step done", r);
}

/* Make one object: step begin, the call, step done. */
static void
ba_make(struct ba_ctx *x, enum meta_object o, struct verify_result *r)
{
	struct vault_answer ans;
	struct bos_err err;
	char id[META_ID_MAX];

	if (ba_step(x, o, NULL, &ans, &err) != 0) {
		log_warn("job %s: step begin %s: %s", x->job->id, meta_object_name(o), err.msg);
		ba_vault_refused(x, &ans, "step begin", r);
		return;
	}
	ba_beat(x);
	x->b->cur = x->job;
	meta_create(&x->b->prov, &x->l, &x->ad, o, id, r);
	x->b->cur = NULL;
	log_info("job %s: meta %s: %s status %ld in %ld ms%s%s", x->job->id, meta_object_name(o),
	    r->outcome == VERIFY_OK ? "made" : "not made", r->status, r->latency_ms,
	    r->outcome == VERIFY_OK ? ", id " : "", r->outcome == VERIFY_OK ? id : "");
	if (r->outcome != VERIFY_OK) {
		ba_step_refused(x, o, r);
		return;
	}
	memcpy(x->ad.ids[o], id, sizeof(id));
	ba_step_done(x, o, id, r);
}

static void
ba_status(struct ba_ctx *x, enum meta_object o, int active, struct verify_result *r)
{
	ba_beat(x);
	x->b->cur = x->job;
	meta_set_status(&x->b->prov, &x->l, x->ad.ids[o], active, r);
	x->b->cur = NULL;
	log_info("job %s: meta %s %s: %s status %ld in %ld ms", x->job->id, meta_object_name(o),
	    active ? "ACTIVE" : "PAUSED", r->outcome == VERIFY_OK ? "set" : "not set", r->status,
	    r->latency_ms);
}

/* ad_create: the objects still without an id, in order; then ad, ad set, campaign ACTIVE. */
static json_t *
ba_create(struct ba_ctx *x, struct verify_result *r)
{
	static const enum meta_object activate[] = { META_AD, META_ADSET, META_CAMPAIGN };
	size_t i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < META_OBJECTS; i++) {
		if (x->ad.ids[i][0] != '\0')
			continue;
		ba_make(x, (enum meta_object)i, r);
		if (r->outcome != VERIFY_OK)
			return NULL;
	}
	for (i = 0; i < BOS_ARRAY_LEN(activate); i++) {
		ba_status(x, activate[i], 1, r);
		if (r->outcome != VERIFY_OK)
			return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:s}", "campaign", x->ad.ids[META_CAMPAIGN], "adset",
	    x->ad.ids[META_ADSET], "creative", x->ad.ids[META_CREATIVE], "ad", x->ad.ids[META_AD]);
}

static json_t *
ba_insights(struct ba_ctx *x, struct verify_result *r)
{
	char spend[META_SPEND_MAX], currency[4];

	ba_beat(x);
	x->b->cur = x->job;
	meta_insights(&x->b->prov, &x->l, x->ad.ids[META_CAMPAIGN], x->job->day, spend, currency,
	    r);
	x->b->cur = NULL;
	log_info("job %s: meta insights %s: %s status %ld in %ld ms", x->job->id, x->job->day,
	    r->outcome == VERIFY_OK ? "read" : "not read", r->status, r->latency_ms);
	if (r->outcome != VERIFY_OK)
		return NULL;
	/* "data": [] is no spend that day, in the ad's own currency. */
	return json_pack("{s:s, s:s, s:s}", "day", x->job->day, "spend", spend, "currency",
	    currency[0] != '\0' ? currency : x->ad.currency);
}

/* The job's calls, the lease held; the result to complete with, or NULL (r says why). */
static json_t *
ba_calls(struct ba_ctx *x, struct verify_result *r)
{
	json_t *res = NULL;

	memset(r, 0, sizeof(*r));
	if (strcmp(x->l.service, conn_meta.name) != 0) {
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), "the credential's service is not the "
		    "job's");
		return NULL;
	}
	switch (x->kind) {
	case BA_CREATE:
		res = ba_create(x, r);
		break;
	case BA_ACTIVATE:
	case BA_PAUSE:
		ba_status(x, META_CAMPAIGN, x->kind == BA_ACTIVATE, r);
		res = r->outcome == VERIFY_OK ? json_object() : NULL;
		break;
	case BA_INSIGHTS:
		res = ba_insights(x, r);
		break;
	case BA_NONE:
		break;
	}
	if (res == NULL && r->outcome == VERIFY_OK) {
		r->outcome = VERIFY_RETRY;
		(void)snprintf(r->error, sizeof(r->error), "out of memory");
	}
	return res;
}

/*
 * The vault refused an ad_create's completion for good (a 4xx) after the
 * campaign was activated at Meta: the ad would spend while the vault does
 * not count it live. The campaign is paused again (a lease of its own), then
 * the job fails without retry (the ad becomes failed, alert ad_failed).
 */
static void
ba_undo_activate(struct ba_ctx *x, const struct vault_answer *refused)
{
	char why[BROKER_ERROR_MAX];
	struct verify_result r;
	struct vault_answer ans;
	struct bos_err err;

	memset(&r, 0, sizeof(r));
	r.outcome = VERIFY_ERROR;
	if (vault_link_lease(x->b->vl, x->job, x->job->kind, x->b->lease_ttl, &x->l, &ans,
	    &err) == 0) {
		ba_status(x, META_CAMPAIGN, 0, &r);
		broker_lease_wipe(&x->l);
		if (vault_link_lease_end(x->b->vl, x->l.id, &err) != 0)
			log_warn("job %s: lease %s not ended early (%s)", x->job->id, x->l.id, err.msg);
	} else {
		log_warn("job %s: no lease to pause the campaign again: %s", x->job->id, err.msg);
	}
	(void)snprintf(why, sizeof(why), "the vault refused the completion (%ld %s): the campaign "
	    "was %s at Meta", refused->status, refused->code[0] != '\0' ? refused->code : "?",
	    r.outcome == VERIFY_OK ? "paused again" : "NOT paused again and may spend");
	ba_fail(x->b, x->job, why, 0, 0);
}

static void
ba_report(struct ba_ctx *x, const struct verify_result *r, json_t *res)
{
	struct vault_answer ans;

	if (x->stale) {
		log_info("job %s: the claim is stale (another broker holds the job)", x->job->id);
		return;
	}
	switch (r->outcome) {
	case VERIFY_OK:
		if (ba_complete(x->b, x->job, res, &ans) != 0 && x->kind == BA_CREATE &&
		    ans.status >= 400 && ans.status < 500 && ans.status != 401 &&
		    !(ans.status == 409 && strcmp(ans.code, "stale_claim") == 0))
			ba_undo_activate(x, &ans);
		break;
	case VERIFY_RETRY:
		if (r->maybe_sent)
			log_warn("job %s: meta may have made the object (%s): the next attempt is the "
			    "vault's outcome unknown", x->job->id, r->error);
		ba_fail(x->b, x->job, r->error, 1, r->retry_after);
		break;
	case VERIFY_REJECTED:   /* code 190: the token will not get better by itself */
	case VERIFY_ERROR:
		ba_fail(x->b, x->job, r->error, 0, 0);
		break;
	}
}

/* What the job's kind needs of the ad and the job, before any lease. NULL when all is there. */
static const char *
ba_precheck(const struct ba_ctx *x)
{
	if (x->kind != BA_CREATE && x->ad.ids[META_CAMPAIGN][0] == '\0')
		return "the ad has no Meta campaign to change or measure";
	if (x->kind == BA_INSIGHTS && !meta_day_ok(x->job->day))
		return "the job's params have no day YYYY-MM-DD";
	return NULL;
}

int
broker_ad_run(struct broker_run *b, const struct broker_job *job)
{
	struct ba_ctx x;
	struct verify_result r;
	struct vault_answer ans;
	struct bos_err err;
	const char *why;
	json_t *res;

	memset(&x, 0, sizeof(x));
	x.b = b;
	x.job = job;
	x.kind = ba_kind_of(job->kind);
	clock_gettime(CLOCK_MONOTONIC, &x.last_beat);
	if (strcmp(job->service, conn_meta.name) != 0 || job->credential[0] == '\0') {
		ba_fail(b, job, "an ad job is for the service meta and names a credential", 0, 0);
		return 0;
	}
	if (ba_fetch(&x, &ans, &err) != 0)
		return ba_fetch_refused(&x, &ans, &err);
	if ((why = ba_precheck(&x)) != NULL) {
		ba_fail(b, job, why, 0, 0);
		return 0;
	}
	if (vault_link_lease(b->vl, job, job->kind, b->lease_ttl, &x.l, &ans, &err) != 0)
		return ba_lease_refused(&x, &ans, &err);
	res = ba_calls(&x, &r);
	/* The secret is needed no longer: wiped before anything else is reported. */
	broker_lease_wipe(&x.l);
	if (vault_link_lease_end(b->vl, x.l.id, &err) != 0)
		log_warn("job %s: lease %s not ended early (%s); it expires by itself", job->id,
		    x.l.id, err.msg);
	ba_report(&x, &r, res);
	json_decref(res);
	return 0;
}
