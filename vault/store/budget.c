/* Budgets; see budget.h and docs/BROKERS.md "Spend and budgets". */
#include "store/budget.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "currency.h"
#include "log.h"
#include "store/alert.h"
#include "store/store.h"

#define BUDGET_AMOUNT_SIZE 32         /* "-92233720368547758.07" and more */
#define BUDGET_BY_SIZE 65

/* A budget row as stored. */
struct budget_row {
	char service[SPEND_SERVICE_MAX + 1];
	char currency[SPEND_CURRENCY_SIZE];
	char updated_by[BUDGET_BY_SIZE];
	char resumed_day[SPEND_DAY_SIZE];
	char resumed_month[SPEND_MONTH_SIZE];
	int64_t daily, monthly, updated_at;
};

/* One period of a budget at a time: the day or the month it is in. */
struct budget_period {
	const char *name;             /* "daily", "monthly" */
	char key[SPEND_DAY_SIZE];     /* "2026-12-07", "2026-12" */
	char from[SPEND_DAY_SIZE], to[SPEND_DAY_SIZE];
	int64_t limit;                /* BUDGET_NONE: not set */
	int resumed;
};

int
budget_percent(int64_t spent, int64_t limit)
{
	__int128 p;

	if (limit == BUDGET_NONE || limit < 0)
		return -1;
	if (limit == 0)
		return 100;
	if (spent <= 0)
		return 0;
	p = (__int128)spent * 100 / limit;
	return p > INT_MAX ? INT_MAX : (int)p;
}

static int
budget_is_total(const char *service)
{
	return strcmp(service, BUDGET_TOTAL) == 0;
}

/* "12.34 USD"-style amount without the code; "?" for a currency without a known exponent. */
static void
budget_amount(int64_t amount, const char *currency, char out[BUDGET_AMOUNT_SIZE])
{
	if (currency_format(amount, currency_exponent(currency), out, BUDGET_AMOUNT_SIZE) != 0)
		(void)snprintf(out, BUDGET_AMOUNT_SIZE, "%lld", (long long)amount);
}

static int
budget_copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	size_t n = v != NULL ? strlen(v) : 0;

	if (n >= size)
		return -1;
	memcpy(dst, v != NULL ? v : "", n);
	dst[n] = '\0';
	return 0;
}

#define BUDGET_COLS "SELECT service, currency, updated_by, coalesce(resumed_day, '')," \
	" coalesce(resumed_month, ''), coalesce(daily, -1), coalesce(monthly, -1), updated_at" \
	" FROM budgets "

static int
budget_from_row(sqlite3_stmt *st, struct budget_row *b)
{
	if (budget_copy_col(st, 0, b->service, sizeof(b->service)) != 0 ||
	    budget_copy_col(st, 1, b->currency, sizeof(b->currency)) != 0 ||
	    budget_copy_col(st, 2, b->updated_by, sizeof(b->updated_by)) != 0 ||
	    budget_copy_col(st, 3, b->resumed_day, sizeof(b->resumed_day)) != 0 ||
	    budget_copy_col(st, 4, b->resumed_month, sizeof(b->resumed_month)) != 0)
		return -1;
	b->daily = sqlite3_column_int64(st, 5);
	b->monthly = sqlite3_column_int64(st, 6);
	b->updated_at = sqlite3_column_int64(st, 7);
	return 0;
}

/* The budget of service: 0 found, 1 none, -1 error. */
static int
budget_load(struct store *s, const char *service, struct budget_row *b, struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (store_stmt(s, BUDGET_COLS "WHERE service = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading a budget", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_DONE) {
		store_stmt_done(s, st);
		return 1;
	}
	rc = budget_from_row(st, b);
	store_stmt_done(s, st);
	if (rc != 0)
		return bos_err_set(err, BOS_E_CORRUPT, "a stored budget does not fit its fields");
	return 0;
}

/* The daily (p[0]) and monthly (p[1]) periods of b at time now. */
static void
budget_periods(const struct budget_row *b, int64_t now, struct budget_period p[2])
{
	char month[SPEND_MONTH_SIZE];

	p[0].name = "daily";
	spend_day(now, p[0].key);
	memcpy(p[0].from, p[0].key, sizeof(p[0].from));
	memcpy(p[0].to, p[0].key, sizeof(p[0].to));
	p[0].limit = b->daily;
	p[0].resumed = strcmp(b->resumed_day, p[0].key) == 0;
	p[1].name = "monthly";
	spend_month(now, month);
	(void)snprintf(p[1].key, sizeof(p[1].key), "%s", month);
	(void)snprintf(p[1].from, sizeof(p[1].from), "%s-01", month);
	(void)snprintf(p[1].to, sizeof(p[1].to), "%s-31", month);
	p[1].limit = b->monthly;
	p[1].resumed = strcmp(b->resumed_month, month) == 0;
}

/* What b's service (every service for the total) spent in b's currency in period p. */
static int
budget_spent(struct store *s, const struct budget_row *b, const struct budget_period *p,
    int64_t *out, struct bos_err *err)
{
	return spend_sum(s, budget_is_total(b->service) ? NULL : b->service, b->currency, p->from,
	    p->to, out, err);
}

/* "budget paused: sendgrid daily 100 % (50.00 of 50.00 USD)" */
static void
budget_reason_paused(const struct budget_row *b, const struct budget_period *p, int64_t spent,
    char *reason, size_t cap)
{
	char a[BUDGET_AMOUNT_SIZE], l[BUDGET_AMOUNT_SIZE];

	if (reason == NULL || cap == 0)
		return;
	budget_amount(spent, b->currency, a);
	budget_amount(p->limit, b->currency, l);
	(void)snprintf(reason, cap, "budget paused: %s %s %d %% (%s of %s %s)", b->service,
	    p->name, budget_percent(spent, p->limit), a, l, b->currency);
}

/* Is one budget exhausted in a period not resumed? 0 no, 1 yes (reason), -1 error. */
static int
budget_row_paused(struct store *s, const struct budget_row *b, int64_t now, char *reason,
    size_t cap, struct bos_err *err)
{
	struct budget_period p[2];
	int64_t spent;
	int i;

	budget_periods(b, now, p);
	for (i = 0; i < 2; i++) {
		if (p[i].limit == BUDGET_NONE || p[i].resumed)
			continue;
		if (budget_spent(s, b, &p[i], &spent, err) != 0)
			return -1;
		if (spent >= p[i].limit) {
			budget_reason_paused(b, &p[i], spent, reason, cap);
			return 1;
		}
	}
	return 0;
}

int
budget_paused(struct store *s, const char *service, int64_t now, char *reason, size_t cap,
    struct bos_err *err)
{
	const char *names[2] = { service, BUDGET_TOTAL };
	struct budget_row b;
	int i, rc;

	if (spend_service_check(service, err) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (i == 1 && budget_is_total(service))
			break;
		if ((rc = budget_load(s, names[i], &b, err)) < 0)
			return -1;
		if (rc == 1)
			continue;
		if ((rc = budget_row_paused(s, &b, now, reason, cap, err)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Estimates of the jobs in state 'claimed' of service (NULL: all) in currency,
 * added here and saturated at INT64_MAX: estimates are not bounded the way the
 * ledger is, and SQLite's sum() would fail the claim on an overflow instead of
 * refusing it.
 */
static int
budget_claimed(struct store *s, const char *service, const char *currency, int64_t *out,
    struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*out = 0;
	if (store_stmt(s, "SELECT estimate_amount FROM jobs WHERE state = 'claimed' AND"
	    " estimate_currency = ?2 AND (?1 IS NULL OR service = ?1)", &st, err) != 0)
		return -1;
	if ((service != NULL ? sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(st, 1)) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, currency, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_stmt_done(s, st);
		return store_err_db(s, "summing the estimates of claimed jobs", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (__builtin_add_overflow(*out, sqlite3_column_int64(st, 0), out))
			*out = INT64_MAX;
	if (rc != SQLITE_DONE) {
		store_err_db(s, "summing the estimates of claimed jobs", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

/* Would est fit every period of b? 0 yes, 1 no (reason), -1 error. */
static int
budget_row_fits(struct store *s, const struct budget_row *b, int64_t est, int64_t now,
    char *reason, size_t cap, struct bos_err *err)
{
	char a[BUDGET_AMOUNT_SIZE], c[BUDGET_AMOUNT_SIZE], e[BUDGET_AMOUNT_SIZE],
	    l[BUDGET_AMOUNT_SIZE];
	struct budget_period p[2];
	int64_t spent, claimed, sum;
	int i;

	budget_periods(b, now, p);
	if (budget_claimed(s, budget_is_total(b->service) ? NULL : b->service, b->currency,
	    &claimed, err) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (p[i].limit == BUDGET_NONE || p[i].resumed)
			continue;
		if (budget_spent(s, b, &p[i], &spent, err) != 0)
			return -1;
		if (!__builtin_add_overflow(spent, claimed, &sum) &&
		    !__builtin_add_overflow(sum, est, &sum) && sum <= p[i].limit)
			continue;
		if (reason != NULL && cap > 0) {
			budget_amount(spent, b->currency, a);
			budget_amount(claimed, b->currency, c);
			budget_amount(est, b->currency, e);
			budget_amount(p[i].limit, b->currency, l);
			(void)snprintf(reason, cap, "budget: the estimate would pass the %s %s budget "
			    "of %s %s (%s spent, %s claimed, %s this job)", b->service, p[i].name, l,
			    b->currency, a, c, e);
		}
		return 1;
	}
	return 0;
}

int
budget_claim_check(struct store *s, const char *service, int64_t est_amount,
    const char *est_currency, int64_t now, char *reason, size_t cap, struct bos_err *err)
{
	const char *names[2] = { service, BUDGET_TOTAL };
	struct budget_row b;
	int i, rc;

	if (est_amount < 0 || (est_amount > 0 && !currency_known(est_currency)))
		return bos_err_set(err, BOS_E_INVALID, "an estimate is a non-negative amount of "
		    "minor units in a known currency");
	if ((rc = budget_paused(s, service, now, reason, cap, err)) != 0)
		return rc;
	for (i = 0; i < 2; i++) {
		if (i == 1 && budget_is_total(service))
			break;
		if ((rc = budget_load(s, names[i], &b, err)) < 0)
			return -1;
		if (rc == 1 || est_amount == 0)
			continue;
		if (strcmp(est_currency, b.currency) != 0) {
			if (reason != NULL && cap > 0)
				(void)snprintf(reason, cap, "budget: the estimate is in %s but the %s "
				    "budget is in %s (conversion does not exist yet)", est_currency,
				    b.service, b.currency);
			return 1;
		}
		if ((rc = budget_row_fits(s, &b, est_amount, now, reason, cap, err)) != 0)
			return rc;
	}
	return 0;
}

int
budget_left(struct store *s, const char *service, const char *currency, int64_t now,
    int64_t *left, char *which, size_t cap, char budget_currency[SPEND_CURRENCY_SIZE],
    struct bos_err *err)
{
	const char *names[2] = { service, BUDGET_TOTAL };
	struct budget_period p[2];
	struct budget_row b;
	int64_t spent, claimed, l;
	int i, k, rc, found = 0;

	*left = INT64_MAX;
	budget_currency[0] = '\0';
	if (spend_service_check(service, err) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (i == 1 && budget_is_total(service))
			break;
		if ((rc = budget_load(s, names[i], &b, err)) < 0)
			return -1;
		if (rc == 1)
			continue;
		found = 1;
		if (strcmp(b.currency, currency) != 0) {
			(void)snprintf(budget_currency, SPEND_CURRENCY_SIZE, "%s", b.currency);
			(void)snprintf(which, cap, "the budget of %s", b.service);
			return BUDGET_LEFT_CURRENCY;
		}
		budget_periods(&b, now, p);
		if (budget_claimed(s, budget_is_total(b.service) ? NULL : b.service, b.currency,
		    &claimed, err) != 0)
			return -1;
		for (k = 0; k < 2; k++) {
			if (p[k].limit == BUDGET_NONE || p[k].resumed)
				continue;
			if (budget_spent(s, &b, &p[k], &spent, err) != 0)
				return -1;
			if (__builtin_sub_overflow(p[k].limit, spent, &l) ||
			    __builtin_sub_overflow(l, claimed, &l))
				l = INT64_MIN;
			if (l < *left) {
				*left = l;
				(void)snprintf(which, cap, "%s budget of %s", p[k].name, b.service);
			}
		}
	}
	return found ? 0 : BUDGET_LEFT_NONE;
}

static int
budget_currency_match(struct store *s, const char *service, const char *currency,
    struct bos_err *err)
{
	const char *names[2] = { service, BUDGET_TOTAL };
	struct budget_row b;
	int i, rc;

	for (i = 0; i < 2; i++) {
		if ((rc = budget_load(s, names[i], &b, err)) < 0)
			return -1;
		if (rc == 0 && strcmp(b.currency, currency) != 0) {
			bos_err_fill(err, BOS_E_INVALID, "spend in %s but the %s budget is in %s: "
			    "conversion does not exist yet", currency, b.service, b.currency);
			return 1;
		}
	}
	return 0;
}

/* One alert about budget b in period p, at pct percent of it. */
static int
budget_alert(struct store *s, const struct budget_row *b, const struct budget_period *p,
    int64_t spent, int paused, int64_t now, struct bos_err *err)
{
	char a[BUDGET_AMOUNT_SIZE], l[BUDGET_AMOUNT_SIZE], subject[ALERT_SUBJECT_MAX + 1];
	char details[512], actions[512], key[ALERT_DEDUP_MAX + 1];
	const char *period_flag = p->name[0] == 'd' ? "--daily" : "--monthly";
	int pct = budget_percent(spent, p->limit);

	budget_amount(spent, b->currency, a);
	budget_amount(p->limit, b->currency, l);
	(void)snprintf(key, sizeof(key), "budget%d:%s:%s:%s", paused ? 100 : BUDGET_WARN_PERCENT,
	    b->service, p->name, p->key);
	if (paused)
		(void)snprintf(subject, sizeof(subject), "%s paused: %s budget reached (%s of %s "
		    "%s)", b->service, p->name, a, l, b->currency);
	else
		(void)snprintf(subject, sizeof(subject), "%s at %d %% of its %s budget (%s of %s "
		    "%s)", b->service, pct, p->name, a, l, b->currency);
	(void)snprintf(details, sizeof(details), "{\"service\":\"%s\",\"period\":\"%s\","
	    "\"period_key\":\"%s\",\"spent\":%lld,\"budget\":%lld,\"currency\":\"%s\","
	    "\"percent\":%d}", b->service, p->name, p->key, (long long)spent,
	    (long long)p->limit, b->currency, pct);
	if (paused)
		(void)snprintf(actions, sizeof(actions), "[\"bosctl budget set %s %s AMOUNT "
		    "--currency %s\",\"bosctl budget resume %s\"]", b->service, period_flag,
		    b->currency, b->service);
	else
		(void)snprintf(actions, sizeof(actions), "[\"bosctl cost --day %.10s\",\"bosctl "
		    "budget set %s %s AMOUNT --currency %s\"]", p->from, b->service, period_flag,
		    b->currency);
	log_info("budget: %s", subject);
	return alert_raise(s, paused ? "budget_paused" : "budget_warning",
	    paused ? "critical" : "warning", subject, details, actions, key, now, err);
}

static int
budget_row_after(struct store *s, const struct budget_row *b, int64_t amount, int64_t now,
    struct bos_err *err)
{
	struct budget_period p[2];
	int64_t after;
	int i, before_pct, after_pct;

	budget_periods(b, now, p);
	for (i = 0; i < 2; i++) {
		if (p[i].limit == BUDGET_NONE)
			continue;
		if (budget_spent(s, b, &p[i], &after, err) != 0)
			return -1;
		before_pct = budget_percent(after - amount, p[i].limit);
		after_pct = budget_percent(after, p[i].limit);
		if (before_pct < BUDGET_WARN_PERCENT && after_pct >= BUDGET_WARN_PERCENT &&
		    budget_alert(s, b, &p[i], after, 0, now, err) != 0)
			return -1;
		if (before_pct < 100 && after_pct >= 100 && !p[i].resumed &&
		    budget_alert(s, b, &p[i], after, 1, now, err) != 0)
			return -1;
	}
	return 0;
}

static int
budget_after_spend(struct store *s, const char *service, int64_t amount, int64_t now,
    struct bos_err *err)
{
	const char *names[2] = { service, BUDGET_TOTAL };
	struct budget_row b;
	int i, rc;

	for (i = 0; i < 2; i++) {
		if ((rc = budget_load(s, names[i], &b, err)) < 0)
			return -1;
		if (rc == 0 && budget_row_after(s, &b, amount, now, err) != 0)
			return -1;
	}
	return 0;
}

/* A spend in the ledger (spend.c) with what it does to budgets; see budget.h. */
/* The body of spend_record, inside its savepoint. */
static int
spend_record_txn(struct store *s, const char *job_id, const char *service, int64_t amount,
    const char *currency, int64_t now, struct bos_err *err)
{
	int rc;

	if ((rc = spend_ledger_seen(s, job_id, err)) != 0)
		return rc < 0 ? -1 : SPEND_DUPLICATE;
	if ((rc = budget_currency_match(s, service, currency, err)) != 0)
		return rc < 0 ? -1 : SPEND_CURRENCY_MISMATCH;
	if (spend_ledger_add(s, job_id, service, amount, currency, now, err) != 0 ||
	    budget_after_spend(s, service, amount, now, err) != 0)
		return -1;
	return SPEND_RECORDED;
}

int
spend_record(struct store *s, const char *job_id, const char *service, int64_t amount,
    const char *currency, int64_t now, struct bos_err *err)
{
	int r;

	if (spend_ledger_check(job_id, service, amount, currency, err) != 0)
		return -1;
	if (store_begin(s, err) != 0)
		return -1;
	r = spend_record_txn(s, job_id, service, amount, currency, now, err);
	if (r == SPEND_RECORDED || r == SPEND_DUPLICATE) {
		if (store_commit(s, err) != 0)
			return -1;
		if (r == SPEND_DUPLICATE)
			log_info("spend of job %s was recorded before: not counted again", job_id);
		return r;
	}
	if (store_rollback(s, NULL) != 0)
		log_err("spend: rollback failed");
	return r;
}

/* ---- setting, listing, resuming ---- */

static int
budget_check(const struct budget_set *b, struct bos_err *err)
{
	if (b->service == NULL || (!budget_is_total(b->service) &&
	    spend_service_check(b->service, err) != 0))
		return b->service == NULL ? bos_err_set(err, BOS_E_INVALID, "a budget needs its "
		    "service") : -1;
	if (b->daily == BUDGET_NONE && b->monthly == BUDGET_NONE)
		return bos_err_set(err, BOS_E_INVALID, "give 'daily', 'monthly' or both");
	if ((b->daily < 0 && b->daily != BUDGET_NONE) ||
	    (b->monthly < 0 && b->monthly != BUDGET_NONE))
		return bos_err_set(err, BOS_E_INVALID, "'daily' and 'monthly' must be integers of "
		    "minor units, 0 or more");
	if (!currency_known(b->currency))
		return bos_err_set(err, BOS_E_INVALID, "unknown currency: give an ISO 4217 code such "
		    "as USD or EUR");
	if (b->by == NULL || strlen(b->by) >= BUDGET_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a budget needs the admin who sets it");
	return 0;
}

/* Refuse a currency other than this month's spend of the service (any service: total). */
static int
budget_check_month_currency(struct store *s, const struct budget_set *b, int64_t now,
    struct bos_err *err)
{
	char month[SPEND_MONTH_SIZE], from[SPEND_DAY_SIZE], to[SPEND_DAY_SIZE], other[8];
	sqlite3_stmt *st;
	int rc;

	spend_month(now, month);
	(void)snprintf(from, sizeof(from), "%s-01", month);
	(void)snprintf(to, sizeof(to), "%s-31", month);
	if (store_stmt(s, "SELECT currency FROM spend WHERE day BETWEEN ?1 AND ?2 AND currency"
	    " != ?3 AND (?4 IS NULL OR service = ?4) LIMIT 1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, from, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, to, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, b->currency, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    (budget_is_total(b->service) ? sqlite3_bind_null(st, 4) :
	    sqlite3_bind_text(st, 4, b->service, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading this month's currencies", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_ROW) {
		(void)budget_copy_col(st, 0, other, sizeof(other));
		store_stmt_done(s, st);
		return bos_err_set(err, BOS_E_INVALID, "%s spent in %s this month: a budget in %s "
		    "cannot count it (conversion does not exist yet)", b->service, other,
		    b->currency);
	}
	store_stmt_done(s, st);
	return 0;
}

/*
 * The total and the services' budgets share one currency: a spend is checked
 * against both, so two currencies would refuse every spend of that service.
 */
static int
budget_check_total_currency(struct store *s, const struct budget_set *b, struct bos_err *err)
{
	char other[SPEND_SERVICE_MAX + 1], cur[8];
	sqlite3_stmt *st;
	int rc;

	if (store_stmt(s, "SELECT service, currency FROM budgets WHERE currency != ?1 AND"
	    " service != ?2 AND (?2 = 'total' OR service = 'total') LIMIT 1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, b->currency, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, b->service, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading the budgets' currencies", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_ROW && (budget_copy_col(st, 0, other, sizeof(other)) != 0 ||
	    budget_copy_col(st, 1, cur, sizeof(cur)) != 0)) {
		store_stmt_done(s, st);
		return bos_err_set(err, BOS_E_CORRUPT, "a stored budget does not fit its fields");
	}
	store_stmt_done(s, st);
	if (rc == SQLITE_DONE)
		return 0;
	return bos_err_set(err, BOS_E_INVALID, "the %s budget is in %s: a budget in %s for %s "
	    "could not be counted against it (conversion does not exist yet)", other, cur,
	    b->currency, b->service);
}

static int
budget_bind_limit(sqlite3_stmt *st, int i, int64_t v)
{
	return v == BUDGET_NONE ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

static int
budget_write(struct store *s, const struct budget_set *b, int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st;

	/* SQLCipher 3.4 (SQLite 3.15) has no UPSERT: replace, keeping created_at. */
	if (store_stmt(s, "INSERT OR REPLACE INTO budgets (service, daily, monthly, currency,"
	    " resumed_day, resumed_month, updated_by, created_at, updated_at) VALUES (?1, ?2, ?3,"
	    " ?4, NULL, NULL, ?5, coalesce((SELECT created_at FROM budgets WHERE service = ?1),"
	    " ?6), ?6)", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, b->service, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    budget_bind_limit(st, 2, b->daily) != SQLITE_OK ||
	    budget_bind_limit(st, 3, b->monthly) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, b->currency, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, b->by, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing a budget", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

static int
budget_finish(struct store *s, int r, struct bos_err *err)
{
	if (r == 0)
		return store_commit(s, err);
	if (store_rollback(s, NULL) != 0)
		log_err("budgets: rollback failed");
	return -1;
}

int
budget_put_check(struct store *s, const struct budget_set *b, int64_t now, struct bos_err *err)
{
	if (budget_check(b, err) != 0 || budget_check_month_currency(s, b, now, err) != 0 ||
	    budget_check_total_currency(s, b, err) != 0)
		return -1;
	return 0;
}

int
budget_put(struct store *s, const struct budget_set *b, int64_t now, struct bos_err *err)
{
	int r;

	if (budget_check(b, err) != 0 || store_begin(s, err) != 0)
		return -1;
	r = budget_put_check(s, b, now, err) != 0 || budget_write(s, b, now, err) != 0 ? -1 : 0;
	return budget_finish(s, r, err);
}

static int
budget_info_fill(struct store *s, const struct budget_row *b, int64_t now,
    struct budget_info *out, struct bos_err *err)
{
	struct budget_period p[2];
	int exhausted = 0, warn = 0;

	memset(out, 0, sizeof(*out));
	memcpy(out->service, b->service, sizeof(out->service));
	memcpy(out->currency, b->currency, sizeof(out->currency));
	memcpy(out->updated_by, b->updated_by, sizeof(out->updated_by));
	out->daily = b->daily;
	out->monthly = b->monthly;
	out->updated_at = b->updated_at;
	budget_periods(b, now, p);
	if (budget_spent(s, b, &p[0], &out->spent_day, err) != 0 ||
	    budget_spent(s, b, &p[1], &out->spent_month, err) != 0)
		return -1;
	out->day_percent = budget_percent(out->spent_day, b->daily);
	out->month_percent = budget_percent(out->spent_month, b->monthly);
	out->day_resumed = p[0].resumed;
	out->month_resumed = p[1].resumed;
	exhausted = (b->daily != BUDGET_NONE && !p[0].resumed && out->spent_day >= b->daily) ||
	    (b->monthly != BUDGET_NONE && !p[1].resumed && out->spent_month >= b->monthly);
	warn = out->day_percent >= BUDGET_WARN_PERCENT ||
	    out->month_percent >= BUDGET_WARN_PERCENT;
	out->state = exhausted ? "paused" : warn ? "warning" : "ok";
	return 0;
}

int
budget_get(struct store *s, const char *service, int64_t now, struct budget_info *out,
    struct bos_err *err)
{
	struct budget_row b;
	int rc;

	if ((rc = budget_load(s, service, &b, err)) < 0)
		return -1;
	if (rc == 1)
		return bos_err_set(err, BOS_E_NOTFOUND, "no budget for %s", service);
	return budget_info_fill(s, &b, now, out, err);
}

int
budget_list(struct store *s, int64_t now, int (*cb)(const struct budget_info *, void *),
    void *arg, struct bos_err *err)
{
	struct budget_row *rows = NULL, *nrows;
	struct budget_info info;
	size_t n = 0, i;
	sqlite3_stmt *st;
	int rc, r = -1;

	/* Rows first, then the sums: the sums run statements of their own. */
	if (store_stmt(s, BUDGET_COLS "ORDER BY service != 'total', service", &st, err) != 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nrows = realloc(rows, (n + 1) * sizeof(*rows))) == NULL) {
			bos_err_fill(err, BOS_E_NOMEM, "out of memory listing budgets");
			goto out;
		}
		rows = nrows;
		if (budget_from_row(st, &rows[n++]) != 0) {
			bos_err_fill(err, BOS_E_CORRUPT, "a stored budget does not fit its fields");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_err_db(s, "listing budgets", err);
		goto out;
	}
	store_stmt_done(s, st);
	st = NULL;
	for (i = 0; i < n; i++) {
		if (budget_info_fill(s, &rows[i], now, &info, err) != 0)
			goto out;
		if (cb(&info, arg) != 0)
			break;
	}
	/* success */
	r = 0;
out:
	if (st != NULL)
		store_stmt_done(s, st);
	free(rows);
	return r;
}

int
budget_resume_check(struct store *s, const char *service, int64_t now, int *day, int *month,
    struct bos_err *err)
{
	struct budget_info info;
	struct budget_period p[2];
	struct budget_row b;
	int rc;

	*day = *month = 0;
	if ((rc = budget_load(s, service, &b, err)) < 0)
		return -1;
	if (rc == 1)
		return bos_err_set(err, BOS_E_NOTFOUND, "no budget for %s", service);
	if (budget_info_fill(s, &b, now, &info, err) != 0)
		return -1;
	budget_periods(&b, now, p);
	*day = b.daily != BUDGET_NONE && !p[0].resumed && info.spent_day >= b.daily;
	*month = b.monthly != BUDGET_NONE && !p[1].resumed && info.spent_month >= b.monthly;
	if (!*day && !*month && !budget_is_total(service) &&
	    (rc = budget_paused(s, service, now, NULL, 0, err)) != 0)
		return rc < 0 ? -1 : bos_err_set(err, BOS_E_EXISTS, "the %s budget is not paused, "
		    "the total budget is: resume total (or raise it)", service);
	if (!*day && !*month)
		return bos_err_set(err, BOS_E_EXISTS, "the %s budget is not paused", service);
	return 0;
}

int
budget_resume(struct store *s, const char *service, const char *by, int64_t now,
    struct bos_err *err)
{
	struct budget_period p[2];
	struct budget_row b;
	sqlite3_stmt *st;
	int day, month;

	if (by == NULL || strlen(by) >= BUDGET_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a budget is resumed by an admin");
	if (budget_resume_check(s, service, now, &day, &month, err) != 0 ||
	    budget_load(s, service, &b, err) != 0)
		return -1;
	budget_periods(&b, now, p);
	if (store_stmt(s, "UPDATE budgets SET resumed_day = CASE WHEN ?2 THEN ?3 ELSE resumed_day"
	    " END, resumed_month = CASE WHEN ?4 THEN ?5 ELSE resumed_month END, updated_by = ?6,"
	    " updated_at = ?7 WHERE service = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, day) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, p[0].key, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int(st, 4, month) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, p[1].key, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, by, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "resuming a budget", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	log_info("budget %s resumed by %s for the rest of the %s", service, by,
	    day && month ? "day and month" : day ? "day" : "month");
	return 0;
}
