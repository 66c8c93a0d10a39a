/*
 * Budgets (docs/BROKERS.md "Spend and budgets"): a daily and/or monthly
 * limit on what a service may spend, in one currency, and one "total"
 * budget over every service. Storage and decisions only, no HTTP.
 *
 * Whether a service is paused is computed from the ledger, not stored: a
 * period (the UTC day, the UTC month) is exhausted when its spend is at
 * least its budget, and a service is paused while one of its periods, or one
 * of the total's, is exhausted and no admin resumed that period. So raising
 * a budget above the spend lifts the pause, and so does the next period (its
 * spend starts at 0). A resume lifts the exhausted periods of that budget
 * until they end (budgets.resumed_day / resumed_month).
 *
 * A budget of 0 lets nothing through: the service is paused at once.
 *
 * Locking: the caller holds the vault's database lock. Writes run in their
 * own transaction, nested as a savepoint in a caller's.
 */
#ifndef BOS_BUDGET_H
#define BOS_BUDGET_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "store/spend.h"

struct store;

#define BUDGET_TOTAL SPEND_TOTAL       /* the budget over every service */
#define BUDGET_REASON_SIZE 256
#define BUDGET_WARN_PERCENT 80
#define BUDGET_NONE (-1)              /* no daily or no monthly limit */

/*
 * Is service paused at time now? 0 no, 1 yes (reason filled, e.g. "budget
 * paused: sendgrid daily 100 % (5000 of 5000 USD)"), -1 error. The total
 * budget pauses every service.
 */
int budget_paused(struct store *s, const char *service, int64_t now, char *reason, size_t cap,
    struct bos_err *err) BOS_WUR;

/*
 * May a job of service with an estimate of est_amount est_currency (0 and
 * NULL: no estimate) be claimed at time now? 0 yes; 1 no, reason filled:
 * the service is paused, or the estimate's currency is not its budget's, or
 * spent + the estimates of the jobs in state 'claimed' for that service (for
 * the total: of every service) + est_amount would pass a daily, monthly or
 * total budget that is not resumed for its period; -1 error.
 *
 * Call it in the claim's transaction, before the job is marked 'claimed'
 * (else its own estimate is counted twice).
 */
int budget_claim_check(struct store *s, const char *service, int64_t est_amount,
    const char *est_currency, int64_t now, char *reason, size_t cap,
    struct bos_err *err) BOS_WUR;

struct budget_set {
	const char *service;          /* a service or BUDGET_TOTAL */
	int64_t daily, monthly;       /* >= 0, or BUDGET_NONE; not both BUDGET_NONE */
	const char *currency;         /* ISO 4217 */
	const char *by;               /* admin name */
};

/*
 * Create or replace a budget. A currency other than the one of spend already
 * recorded this month for the service (for the total: any service) is
 * refused (BOS_E_INVALID): there is no conversion. 0 or -1.
 */
int budget_put(struct store *s, const struct budget_set *b, int64_t now,
    struct bos_err *err) BOS_WUR;
/* budget_put's checks alone, writing nothing (an approval is asked for first). */
int budget_put_check(struct store *s, const struct budget_set *b, int64_t now,
    struct bos_err *err) BOS_WUR;

/* Where a budget stands at a time. */
struct budget_info {
	char service[SPEND_SERVICE_MAX + 1];
	char currency[SPEND_CURRENCY_SIZE];
	char updated_by[65];
	int64_t daily, monthly;       /* BUDGET_NONE when not set */
	int64_t spent_day, spent_month; /* in the budget's currency, at that time */
	int day_percent, month_percent; /* floor(spent * 100 / budget), -1 when not set */
	int day_resumed, month_resumed; /* an admin resumed this period */
	const char *state;            /* "ok", "warning" (>= 80 %) or "paused" */
	int64_t updated_at;
};

/* The budget of service (or BUDGET_TOTAL) at time now; BOS_E_NOTFOUND. */
int budget_get(struct store *s, const char *service, int64_t now, struct budget_info *out,
    struct bos_err *err) BOS_WUR;

/* Every budget, the total first, then by service; cb returns non-zero to stop early. */
int budget_list(struct store *s, int64_t now, int (*cb)(const struct budget_info *, void *),
    void *arg, struct bos_err *err) BOS_WUR;

/*
 * Lift the pause of service (or BUDGET_TOTAL) until its exhausted periods
 * end. BOS_E_NOTFOUND without a budget; BOS_E_EXISTS when it is not paused.
 */
int budget_resume(struct store *s, const char *service, const char *by, int64_t now,
    struct bos_err *err) BOS_WUR;
/*
 * budget_resume's checks alone, writing nothing: 0 with *day and *month set
 * to the periods a resume would let through; the same errors.
 */
int budget_resume_check(struct store *s, const char *service, int64_t now, int *day,
    int *month, struct bos_err *err) BOS_WUR;

#define BUDGET_LEFT_NONE 1            /* budget_left: neither the service nor the total has one */
#define BUDGET_LEFT_CURRENCY 2        /* budget_left: a budget is in another currency */

/*
 * What the budgets of service and of the total leave at time now (the
 * money rules of docs/ADS.md): for each daily and monthly budget not
 * resumed for its period, the limit - the spend of the period - the
 * estimates of claimed jobs; *left the smallest (INT64_MAX when none
 * applies; may be negative), which (cap bytes) names it ("daily budget of
 * meta"). 0; BUDGET_LEFT_NONE; BUDGET_LEFT_CURRENCY when a budget is not
 * in currency (which names it, budget_currency receives its code); -1.
 */
int budget_left(struct store *s, const char *service, const char *currency, int64_t now,
    int64_t *left, char *which, size_t cap, char budget_currency[SPEND_CURRENCY_SIZE],
    struct bos_err *err) BOS_WUR;

/* floor(spent * 100 / limit) without overflow; 100 for limit 0; -1 for BUDGET_NONE. */
int budget_percent(int64_t spent, int64_t limit);

/*
 * Record amount (minor units, > 0) of currency spent by job job_id on
 * service at time now, inside the caller's transaction. The currency must be
 * known (else -1, BOS_E_INVALID) and, when the service or the total has a
 * budget, the budget's (else SPEND_CURRENCY_MISMATCH). A sum that would pass
 * INT64_MAX is refused (-1, BOS_E_INVALID). The job_id is unique in the
 * ledger: a second record of the same job is SPEND_DUPLICATE and changes
 * nothing, whatever its amount.
 *
 * After the row is written (spend.c, the ledger), the budgets of the service and the total are
 * looked at: crossing 80 % of a daily or monthly budget raises alert
 * budget_warning (dedup key budget80:SERVICE:daily:YYYY-MM-DD or
 * budget80:SERVICE:monthly:YYYY-MM, SERVICE "total" for the total, once
 * per period); reaching 100 % raises budget_paused (budget100:...), and the
 * service is paused from then on (budget.h). Alerts are in the same
 * transaction.
 *
 * Returns SPEND_RECORDED, SPEND_DUPLICATE, SPEND_CURRENCY_MISMATCH or -1.
 */
int spend_record(struct store *s, const char *job_id, const char *service, int64_t amount,
    const char *currency, int64_t now, struct bos_err *err) BOS_WUR;

#endif
