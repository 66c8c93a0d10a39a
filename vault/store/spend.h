/*
 * The spend ledger (docs/BROKERS.md "Spend and budgets"): one row per job
 * that cost money, in integer minor units of an ISO 4217 currency, dated by
 * its UTC day. Storage and arithmetic only, no HTTP.
 *
 * Locking: the caller holds the vault's database lock. spend_record runs in
 * the caller's transaction (store_begin nests as a savepoint), so a job's
 * completion and its spend commit together or not at all.
 */
#ifndef BOS_SPEND_H
#define BOS_SPEND_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;

#define SPEND_CURRENCY_SIZE 4         /* "USD" + NUL */
#define SPEND_SERVICE_MAX 64          /* as a credential's service: [a-z0-9._-]{1,64} */
#define SPEND_DAY_SIZE 11             /* "YYYY-MM-DD" + NUL */
#define SPEND_MONTH_SIZE 8            /* "YYYY-MM" + NUL */
#define SPEND_JOB_ID_MAX 64
/* The name the budget over every service is kept under (budget.h): no service's. */
#define SPEND_TOTAL "total"

/* 1 when code is three upper-case letters naming an ISO 4217 currency, else 0. */
int spend_currency_known(const char *code);

/* Check a service name ([a-z0-9._-]{1,64}); BOS_E_INVALID saying what to fix. */
int spend_service_check(const char *service, struct bos_err *err) BOS_WUR;

/* The UTC day "YYYY-MM-DD" and month "YYYY-MM" of Unix time t. */
void spend_day(int64_t t, char day[SPEND_DAY_SIZE]);
void spend_month(int64_t t, char month[SPEND_MONTH_SIZE]);

/* 1 when s is a valid calendar day "YYYY-MM-DD" (years 1970..9999), else 0. */
int spend_day_valid(const char *s);

/* What spend_record returns besides -1. */
#define SPEND_RECORDED 0              /* a new row */
#define SPEND_DUPLICATE 1             /* job_id was recorded before: nothing changed */
#define SPEND_CURRENCY_MISMATCH 2     /* refused, nothing changed; err says why
                                       * (BOS_E_INVALID, "... conversion does not exist yet"):
                                       * answer 400 currency_mismatch */


/*
 * Sum of spend of service (NULL: every service) in currency, on days from..to
 * ("YYYY-MM-DD" or "YYYY-MM" prefixes compare as text: pass days), inclusive.
 */
int spend_sum(struct store *s, const char *service, const char *currency, const char *from,
    const char *to, int64_t *out, struct bos_err *err) BOS_WUR;

/*
 * The spend of every service on days from..to inclusive ("YYYY-MM-DD"), one
 * call of cb per service and currency, by service then currency. A sum that
 * would pass INT64_MAX (a range of many months) is BOS_E_INVALID. cb returns
 * non-zero to stop early (not an error).
 */
int spend_by_service(struct store *s, const char *from, const char *to,
    int (*cb)(const char *service, const char *currency, int64_t sum, void *arg), void *arg,
    struct bos_err *err) BOS_WUR;

/*
 * The ledger's steps, for spend_record (budget.h), which runs them in one
 * transaction with the budgets' checks and alerts. spend_ledger_check: the
 * arguments' form (0 or -1 with err). spend_ledger_seen: 1 when job_id was
 * recorded before, 0 not, -1 error. spend_ledger_add: refuse a spend that
 * would take a month's total past INT64_MAX, then write the row (0 or -1).
 */
int spend_ledger_check(const char *job_id, const char *service, int64_t amount,
    const char *currency, struct bos_err *err) BOS_WUR;
int spend_ledger_seen(struct store *s, const char *job_id, struct bos_err *err) BOS_WUR;
int spend_ledger_add(struct store *s, const char *job_id, const char *service, int64_t amount,
    const char *currency, int64_t now, struct bos_err *err) BOS_WUR;

#endif
