/*
 * The durable job queue (docs/BROKERS.md "Jobs"): storage and the state
 * machine, no HTTP.
 *
 *   queued --claim--> claimed --complete--> done
 *     ^                 |  |
 *     +--fail (retry)---+  +--fail (no retry, or the last attempt)--> dead
 *     +--visible_until passed (the next claim, or a listing, finds it)
 *
 * A claim counts an attempt and gets a new claim id ("cl_..."); only the
 * broker that holds the claim may heartbeat, complete or fail it. A claim
 * whose visible_until has passed is taken back (queued again, or dead when
 * it was the last attempt) by the next claim or listing, inside their own
 * transaction, so a killed broker or a killed vault loses no job. A done job
 * keeps the claim that completed it: the same completion sent again is a
 * duplicate and records nothing twice.
 *
 * Locking: the caller holds the vault's database lock. Writes run in their
 * own transaction, nested as a savepoint in a caller's (so a completion and
 * its spend, and a claim and its budget check, are one transaction).
 */
#ifndef BOS_JOB_H
#define BOS_JOB_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;
struct outreach_ad_queue;

#define JOB_ID_PREFIX "jb_"
#define JOB_ID_LEN 29                 /* "jb_" + 26 base32 characters */
#define JOB_ID_SIZE (JOB_ID_LEN + 1)
#define JOB_CLAIM_PREFIX "cl_"
#define JOB_CLAIM_SIZE 30
#define JOB_KIND_SIZE 16
#define JOB_SERVICE_MAX 64            /* [a-z0-9._-]{1,64}, as a credential's service */
#define JOB_IDEM_MAX 128              /* [A-Za-z0-9._:-]{1,128} */
#define JOB_PARAMS_MAX 4096           /* serialised JSON object */
#define JOB_RESULT_MAX 4096
#define JOB_ERROR_MAX 512
#define JOB_BY_SIZE 65
#define JOB_ATTEMPTS_DEFAULT 5
#define JOB_ATTEMPTS_MAX 100
#define JOB_BACKOFF_MAX 300           /* seconds */
#define JOB_VISIBILITY_DEFAULT 120    /* seconds a claim is held without a heartbeat */
#define JOB_CANDIDATES_MAX 32         /* jobs read at a time (the LIMIT of job.c's pages) */
#define JOB_SCAN_PAGES 32             /* a claim looks at most at 32 pages: 1024 jobs */

/* 1 when kind is one of the vault's job kinds (a fixed list: job_kinds_text). */
int job_kind_valid(const char *kind);
/* "verify" ...: the list, comma-separated, for messages. */
const char *job_kinds_text(void);
/* 1 for the ad kinds (ad_create, ad_activate, ad_pause, ad_insights): they, and only they, have an ad. */
int job_kind_is_ad(const char *kind);
/* 1 for ad_pause and ad_insights: claimed and leased under a paused budget (docs/ADS.md). */
int job_kind_budget_exempt(const char *kind);
/* 1 for the send kinds (send_email, send_sms): they, and only they, have a campaign or notice. */
int job_kind_is_send(const char *kind);
int job_id_valid(const char *s);
/* [a-z0-9._-]{1,64}: BOS_E_INVALID saying what to fix. */
int job_service_check(const char *service, struct bos_err *err) BOS_WUR;
/* backoff after attempt n (>= 1): min(2^n, JOB_BACKOFF_MAX) seconds. */
int64_t job_backoff(uint32_t attempts);

struct job_new {
	const char *kind;             /* job_kind_valid */
	const char *service;
	const char *credential;       /* an existing credential id of that service, or NULL */
	const char *params_json;      /* a JSON object of at most JOB_PARAMS_MAX bytes; NULL: {} */
	const char *idempotency_key;  /* NULL: "idem_" + random */
	int64_t est_amount;           /* minor units >= 0; -1: no estimate */
	const char *est_currency;     /* [A-Z]{3} with an estimate, else NULL */
	uint32_t max_attempts;        /* 0: JOB_ATTEMPTS_DEFAULT */
	const char *created_by;       /* admin name */
	const char *campaign;         /* cp_...: a campaign's send job, else NULL */
	const char *notice;           /* on_...: a notice's send job (a send kind has one of two) */
	int64_t not_before;           /* 0: now */
	const char *ad;               /* ad_...: an ad job's ad (exactly for the ad kinds), else NULL */
};

/*
 * Queue a job, or find the one queued before with the same idempotency key
 * (*existed = 1: nothing new is written, whatever the rest of n says).
 * id receives its id. BOS_E_INVALID for a bad field.
 */
int job_create(struct store *s, const struct job_new *n, int64_t now, char id[JOB_ID_SIZE],
    int *existed, struct bos_err *err) BOS_WUR;
/* job_create of an ad's job (outreach_ad.h's outreach_ad_queue_fn): service meta, no estimate. */
int job_queue_ad(struct store *s, const struct outreach_ad_queue *q, int64_t now, int *existed,
    struct bos_err *err) BOS_WUR;

struct job_info {
	char id[JOB_ID_SIZE];
	char kind[JOB_KIND_SIZE];
	char service[JOB_SERVICE_MAX + 1];
	char credential[JOB_ID_SIZE];     /* "" when none */
	char idempotency_key[JOB_IDEM_MAX + 1];
	char state[8];
	char claimed_by[JOB_ID_SIZE];     /* "" when never claimed */
	char claim[JOB_CLAIM_SIZE];       /* "" when not claimed (kept once done) */
	char est_currency[4];             /* "" without an estimate */
	char created_by[JOB_BY_SIZE];
	char campaign[JOB_ID_SIZE];       /* "" unless a campaign's send job */
	char notice[JOB_ID_SIZE];         /* "" unless a notice's send job */
	char ad[JOB_ID_SIZE];             /* "" unless an ad job */
	char params[JOB_PARAMS_MAX + 1];
	char result[JOB_RESULT_MAX + 1];  /* "" until done */
	char error[JOB_ERROR_MAX + 1];    /* the last failure, "" when none */
	int64_t est_amount;               /* -1 without an estimate */
	uint32_t attempts, max_attempts;
	int64_t not_before, visible_until, created_at, updated_at, finished_at; /* 0: not set */
};

/* BOS_E_NOTFOUND for an unknown id. */
int job_get(struct store *s, const char *id, struct job_info *out, struct bos_err *err) BOS_WUR;

/* How many jobs are queued, claimed, done and dead (in that order), for /metrics. */
int job_count_states(struct store *s, long long n[4], struct bos_err *err) BOS_WUR;

/* Jobs, newest first, at most limit, filtered by state and kind (NULL: any). */
int job_list(struct store *s, const char *state, const char *kind, unsigned limit,
    int (*cb)(const struct job_info *, void *), void *arg, struct bos_err *err) BOS_WUR;

/*
 * Take back every claim whose visible_until is at or before now: the job is
 * queued again, or dead (with alert job_dead) when that was its last
 * attempt. *requeued and *dead (may be NULL) receive how many.
 */
int job_expire_claims(struct store *s, int64_t now, unsigned *requeued, unsigned *dead,
    struct bos_err *err) BOS_WUR;

/*
 * Whether the caller may have job j: 1 yes, 0 no (why filled), -1 error.
 * The claim asks it for each candidate, in the claim's transaction.
 */
typedef int (*job_eligible_fn)(const struct job_info *j, void *arg, char *why, size_t cap);

struct job_claim_req {
	const char *const *kinds;     /* the kinds the broker takes */
	size_t n_kinds;
	const char *broker_id;
	uint32_t visibility_s;        /* JOB_VISIBILITY_DEFAULT unless configured */
	int dry_run;                  /* 1: only say whether a job could be claimed now; write
	                               * nothing (an expired claim counts as free) */
	job_eligible_fn eligible;     /* the policy's part (NULL: any) */
	void *arg;
	int64_t now_ms;               /* the same now in milliseconds, for a campaign's rate
	                               * (0: now * 1000) */
};

/*
 * Claim the oldest queued job (not_before passed) of one of the kinds that
 * eligible accepts and whose budget allows it (budget_claim_check, in the
 * same transaction), and, for a send job, whose campaign is running and due
 * (outreach_send_gate: the campaign's rate). Expired claims are taken back first. 1 with *out the
 * claimed job (its new claim, visible_until, attempts), 0 when there is
 * none, -1 on error.
 */
int job_claim(struct store *s, const struct job_claim_req *q, int64_t now, struct job_info *out,
    struct bos_err *err) BOS_WUR;

/*
 * The claim check of heartbeat, complete and fail, and of a lease: is job id
 * claimed by broker_id with claim (NULL: any claim of that broker) and,
 * when live, not past visible_until? 0 yes (*out filled), else -1 with
 * BOS_E_NOTFOUND (no such job) or BOS_E_EXISTS (not this claim: stale,
 * another broker's, or not claimed at all).
 */
int job_claim_held(struct store *s, const char *id, const char *broker_id, const char *claim,
    int live, int64_t now, struct job_info *out, struct bos_err *err) BOS_WUR;

/* Extend a held claim to now + visibility_s; *visible_until receives it. */
int job_heartbeat(struct store *s, const char *id, const char *broker_id, const char *claim,
    int64_t now, uint32_t visibility_s, int64_t *visible_until, struct bos_err *err) BOS_WUR;

struct job_done {
	const char *id, *broker_id, *claim;
	const char *result_json;      /* a JSON object of at most JOB_RESULT_MAX bytes */
	int64_t spend_amount;         /* minor units > 0; 0: nothing spent */
	const char *spend_currency;
};

/*
 * Complete a held claim, and record its spend (spend_record) in the same
 * transaction. The same claim on a job already done: *duplicate = 1 and
 * nothing is written. A spend the ledger refuses (currency, amount) rolls
 * the completion back too: -1 with BOS_E_INVALID, *mismatch = 1 for a
 * currency other than the budget's. A send job's spend is the vault's
 * (outreach_send_completed: the campaign's price, in the same transaction);
 * d's spend is ignored for it.
 */
int job_complete(struct store *s, const struct job_done *d, int64_t now, int *duplicate,
    int *mismatch, struct bos_err *err) BOS_WUR;

/*
 * Fail a held claim with error (printable, at most JOB_ERROR_MAX bytes).
 * retry and attempts left: queued again, not_before = now +
 * job_backoff(attempts), raised to now + floor_s when that is later (a
 * provider's Retry-After). Otherwise dead, with alert job_dead in the same
 * transaction. state receives "queued" or "dead", *not_before the time.
 * A send job's message follows (outreach_send_failed).
 */
int job_fail(struct store *s, const char *id, const char *broker_id, const char *claim,
    const char *error, int retry, int64_t floor_s, int64_t now, char state[8],
    int64_t *not_before, struct bos_err *err) BOS_WUR;

#endif
