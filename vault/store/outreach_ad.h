/*
 * Ads (docs/ADS.md): one Meta campaign each, within the budget of service
 * "meta". The rows, their states, the money rules, the creation steps the
 * broker reports, and the hooks the job queue (job.c) calls inside its own
 * transactions when an ad job completes or dies. No HTTP.
 *
 *   creating --ad_create done--> active --pause--> pausing --ad_pause done--> paused
 *      |                          ^                   | (dead: back to active)   |
 *      +--dead, outcome unknown--> failed              +<--ad_activate done-- resuming <--resume
 *                                                           (dead: back to paused)
 *
 * A refusal a person can act on (the money rules, a state, a step out of
 * order) is -1 with code set (OUTREACH_AD_CODE_SIZE: "no_budget",
 * "currency_mismatch", "over_budget", "budget_paused", "ad_state",
 * "step_order", "outcome_unknown") and err saying why; what the refusal
 * wrote (outcome_unknown fails the ad) is committed. It does not include
 * job.h, so that job.c may call its hooks: the functions that queue a job
 * are given job_queue_ad (job.h) as queue.
 *
 * Locking: the caller holds the vault's database lock. Writes run in their
 * own transaction, nested as a savepoint in a caller's.
 */
#ifndef BOS_OUTREACH_AD_H
#define BOS_OUTREACH_AD_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;

#define OUTREACH_AD_SERVICE "meta"
#define OUTREACH_AD_ID_SIZE 30            /* "ad_" + 26 base32 + NUL */
#define OUTREACH_AD_NAME_MAX 128
#define OUTREACH_AD_CODE_SIZE 32
#define OUTREACH_AD_META_ID_MAX 32        /* digits */
#define OUTREACH_AD_JSON_MAX 256          /* countries, special_ad_categories as JSON text */
#define OUTREACH_AD_PAUSED_INSIGHTS 93600 /* 26 hours: a paused ad is still measured */

/* The Meta objects in the order they are made: campaign, adset, creative, ad. */
#define OUTREACH_AD_OBJECTS 4
extern const char *const outreach_ad_objects[OUTREACH_AD_OBJECTS];

struct outreach_ad {
	char id[OUTREACH_AD_ID_SIZE];
	char name[OUTREACH_AD_NAME_MAX + 1];
	char credential[OUTREACH_AD_ID_SIZE];
	char account[32];                 /* act_ + digits */
	char post[48];                    /* PAGEID_POSTID */
	char objective[24];
	char countries[OUTREACH_AD_JSON_MAX + 1];
	char categories[OUTREACH_AD_JSON_MAX + 1];
	int64_t daily_budget;             /* minor units */
	char currency[4];
	char state[12];
	char pause_reason[8];             /* "" unless pausing or paused (kept while resuming) */
	char meta[OUTREACH_AD_OBJECTS][OUTREACH_AD_META_ID_MAX + 1]; /* "" when not made */
	char pending[12];                 /* "" or the object whose creation began */
	char error[513];
	char created_by[65];
	int64_t spent, spent_today;       /* minor units recorded: all days, today (UTC) */
	int64_t last_insights_at, paused_at, created_at, updated_at;  /* 0: not set */
};

/* An ad job to queue (service meta, no estimate). */
struct outreach_ad_queue {
	const char *kind, *credential, *params_json;
	const char *idempotency_key;       /* NULL: a random one */
	const char *created_by, *ad;
};
/* Queue it, or find the one of the same key (*existed = 1): job_queue_ad. 0 or -1. */
typedef int (*outreach_ad_queue_fn)(struct store *s, const struct outreach_ad_queue *q,
    int64_t now, int *existed, struct bos_err *err);

struct outreach_ad_new {
	const char *name, *credential;    /* credential: the id of a live credential of "meta" */
	const char *account, *post, *objective;
	const char *countries_json, *categories_json;  /* checked JSON arrays of strings */
	int64_t daily_budget;
	const char *currency;
	const char *created_by;
};

/* Create an ad in state creating and queue its ad_create job; id receives its id. */
int outreach_ad_create(struct store *s, const struct outreach_ad_new *n, int64_t now,
    outreach_ad_queue_fn queue, char id[OUTREACH_AD_ID_SIZE], char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err) BOS_WUR;

/* BOS_E_NOTFOUND for an unknown id. */
int outreach_ad_get(struct store *s, const char *id, int64_t now, struct outreach_ad *out,
    struct bos_err *err) BOS_WUR;

/* Every ad, newest first; cb returns non-zero to stop. */
int outreach_ad_list(struct store *s, int64_t now, int (*cb)(const struct outreach_ad *, void *),
    void *arg, struct bos_err *err) BOS_WUR;

/* An admin's pause (active -> pausing, job ad_pause) or resume (paused -> resuming, ad_activate). */
int outreach_ad_pause(struct store *s, const char *id, const char *by, int64_t now,
    outreach_ad_queue_fn queue, char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err) BOS_WUR;
int outreach_ad_resume(struct store *s, const char *id, const char *by, int64_t now,
    outreach_ad_queue_fn queue, char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err) BOS_WUR;

/* What the job queue and the broker routes know of an ad job. */
struct outreach_ad_job {
	const char *id, *kind, *ad;
};

/*
 * GET /outreach/ad-jobs/{job}: the ad of a held ad job. An ad_create whose
 * earlier attempt began a step and never reported: the ad is failed, alert
 * ad_unknown, code outcome_unknown. An ad_create of an ad no longer
 * creating: code ad_state.
 */
int outreach_ad_job_ad(struct store *s, const struct outreach_ad_job *j, int64_t now,
    struct outreach_ad *out, char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err) BOS_WUR;

/*
 * A creation step of ad_create: phase "begin" (pending = object; the first
 * object without an id, none pending), "done" (meta_id recorded, that
 * object pending) or "refused" (that object pending: Meta answered with an
 * error, so nothing was made; pending cleared, the step may begin again).
 * A begin with a step pending: outcome_unknown (as above).
 */
int outreach_ad_step(struct store *s, const struct outreach_ad_job *j, const char *object,
    const char *phase, const char *meta_id, int64_t now, char code[OUTREACH_AD_CODE_SIZE],
    struct bos_err *err) BOS_WUR;

/*
 * An ad job completed (job.c, in the completion's transaction): ad_create
 * (result: the four recorded ids) and ad_activate make the ad active,
 * ad_pause paused; ad_insights records the spend (docs/ADS.md). A result
 * that does not fit is BOS_E_INVALID (the completion is rolled back);
 * *mismatch = 1 when the ledger refuses the currency.
 */
int outreach_ad_job_completed(struct store *s, const struct outreach_ad_job *j,
    const char *params_json, const char *result_json, int64_t now, outreach_ad_queue_fn queue,
    int *mismatch, struct bos_err *err) BOS_WUR;

/* An ad job died (job.c: failed for good, or its last claim expired): the ad falls back. */
int outreach_ad_job_dead(struct store *s, const struct outreach_ad_job *j, const char *error,
    int64_t now, struct bos_err *err) BOS_WUR;

/*
 * The sweep: pause every active ad while "meta" is paused (*paused), and
 * queue ad_insights for each measured ad once per insights_s (*queued).
 */
int outreach_ad_sweep(struct store *s, int64_t now, uint32_t insights_s,
    outreach_ad_queue_fn queue, unsigned *queued, unsigned *paused, struct bos_err *err) BOS_WUR;

/*
 * Meta's decimal spend ("12.345", ^[0-9]{1,12}(\.[0-9]{1,6})?$) in minor
 * units of a currency of exponent exp (digits past it dropped). 0 or -1.
 */
int outreach_ad_spend_parse(const char *spend, int exp, int64_t *out) BOS_WUR;

#endif
