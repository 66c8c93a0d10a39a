/* The spend ledger; see spend.h and docs/BROKERS.md "Spend and budgets". */
#include "store/spend.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "currency.h"
#include "log.h"
#include "store/store.h"

int
spend_currency_known(const char *code)
{
	return currency_known(code);
}

int
spend_service_check(const char *service, struct bos_err *err)
{
	size_t i, n = service != NULL ? strnlen(service, SPEND_SERVICE_MAX + 1) : 0;
	char c;

	if (n == 0 || n > SPEND_SERVICE_MAX)
		return bos_err_set(err, BOS_E_INVALID, "service must be 1 to %d characters",
		    SPEND_SERVICE_MAX);
	for (i = 0; i < n; i++) {
		c = service[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return bos_err_set(err, BOS_E_INVALID, "service may contain only lowercase "
			    "letters, digits and . _ -");
	}
	return 0;
}

/* The UTC date of t: "YYYY-MM-DD", or "YYYY-MM" when month. */
static void
spend_fmt_time(int64_t t, int month, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	unsigned y, m, d;
	int n;

	out[0] = '\0';
	if (gmtime_r(&tt, &tm) == NULL)
		return;     /* not reached for any time the vault's clock gives */
	y = (unsigned)(tm.tm_year + 1900) % 10000u;
	m = (unsigned)(tm.tm_mon + 1) % 100u;
	d = (unsigned)tm.tm_mday % 100u;
	if (month)
		n = snprintf(out, cap, "%04u-%02u", y, m);
	else
		n = snprintf(out, cap, "%04u-%02u-%02u", y, m, d);
	if (n < 0 || (size_t)n >= cap)
		out[0] = '\0';
}

void
spend_day(int64_t t, char day[SPEND_DAY_SIZE])
{
	spend_fmt_time(t, 0, day, SPEND_DAY_SIZE);
}

void
spend_month(int64_t t, char month[SPEND_MONTH_SIZE])
{
	spend_fmt_time(t, 1, month, SPEND_MONTH_SIZE);
}

int
spend_day_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i, leap;

	if (s == NULL || strnlen(s, SPEND_DAY_SIZE) != SPEND_DAY_SIZE - 1 || s[4] != '-' ||
	    s[7] != '-')
		return 0;
	for (i = 0; i < SPEND_DAY_SIZE - 1; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

/* A job id as the ledger keeps it: 1..64 of [A-Za-z0-9_-]. */
static int
spend_job_id_check(const char *id, struct bos_err *err)
{
	size_t i, n = id != NULL ? strnlen(id, SPEND_JOB_ID_MAX + 1) : 0;

	if (n == 0 || n > SPEND_JOB_ID_MAX)
		return bos_err_set(err, BOS_E_INVALID, "a spend needs its job id (1 to %d "
		    "characters)", SPEND_JOB_ID_MAX);
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '_' || id[i] == '-'))
			return bos_err_set(err, BOS_E_INVALID, "a job id may contain only letters, "
			    "digits, _ and -");
	return 0;
}

int
spend_sum(struct store *s, const char *service, const char *currency, const char *from,
    const char *to, int64_t *out, struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (store_stmt(s, "SELECT coalesce(sum(amount), 0) FROM spend WHERE day BETWEEN ?1 AND ?2"
	    " AND (?3 IS NULL OR service = ?3) AND (?4 IS NULL OR currency = ?4)", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, from, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, to, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    (service != NULL ? sqlite3_bind_text(st, 3, service, -1, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(st, 3)) != SQLITE_OK ||
	    (currency != NULL ? sqlite3_bind_text(st, 4, currency, -1, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_err_db(s, "summing spend", err);
		store_stmt_done(s, st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	store_stmt_done(s, st);
	return 0;
}

/* One service and currency being summed by spend_by_service. */
struct spend_acc {
	char service[SPEND_SERVICE_MAX + 1];
	char currency[SPEND_CURRENCY_SIZE];
	int64_t sum;
	int have;
};

int
spend_by_service(struct store *s, const char *from, const char *to,
    int (*cb)(const char *service, const char *currency, int64_t sum, void *arg), void *arg,
    struct bos_err *err)
{
	struct spend_acc a = { "", "", 0, 0 };
	const char *svc, *cur;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE, stop = 0;

	/* Per month, where the ledger keeps every sum within int64; months are added here. */
	if (store_stmt(s, "SELECT service, currency, sum(amount) FROM spend WHERE day BETWEEN ?1"
	    " AND ?2 GROUP BY service, currency, substr(day, 1, 7) ORDER BY service, currency",
	    &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, from, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, to, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_stmt_done(s, st);
		return store_err_db(s, "summing spend", err);
	}
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		svc = (const char *)sqlite3_column_text(st, 0);
		cur = (const char *)sqlite3_column_text(st, 1);
		if (svc == NULL || cur == NULL || strlen(svc) > SPEND_SERVICE_MAX ||
		    strlen(cur) >= SPEND_CURRENCY_SIZE) {
			store_stmt_done(s, st);
			return bos_err_set(err, BOS_E_CORRUPT, "a spend row does not fit its fields");
		}
		if (a.have && (strcmp(a.service, svc) != 0 || strcmp(a.currency, cur) != 0)) {
			stop = cb(a.service, a.currency, a.sum, arg);
			a.have = 0;
		}
		if (!a.have) {
			(void)snprintf(a.service, sizeof(a.service), "%s", svc);
			(void)snprintf(a.currency, sizeof(a.currency), "%s", cur);
			a.sum = 0;
			a.have = 1;
		}
		if (__builtin_add_overflow(a.sum, sqlite3_column_int64(st, 2), &a.sum)) {
			store_stmt_done(s, st);
			return bos_err_set(err, BOS_E_INVALID, "the spend of %s from %s to %s is more "
			    "than a sum can hold: ask for a shorter range", a.service, from, to);
		}
	}
	if (!stop && rc != SQLITE_DONE) {
		store_stmt_done(s, st);
		return store_err_db(s, "summing spend", err);
	}
	store_stmt_done(s, st);
	if (!stop && a.have)
		(void)cb(a.service, a.currency, a.sum, arg);
	return 0;
}

/* 1 when job_id is in the ledger, 0 when not, -1 on error. */
int
spend_ledger_seen(struct store *s, const char *job_id, struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (store_stmt(s, "SELECT 1 FROM spend WHERE job_id = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "looking up a job's spend", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return rc == SQLITE_ROW;
}

/*
 * The ledger keeps every month's sum, over all services and currencies,
 * within int64, so that no sum the vault computes (budgets look at a day or a
 * month) can overflow. 0 when amount fits, -1 (BOS_E_INVALID) when not.
 */
static int
spend_check_overflow(struct store *s, int64_t amount, int64_t now, struct bos_err *err)
{
	char month[SPEND_MONTH_SIZE], from[SPEND_DAY_SIZE], to[SPEND_DAY_SIZE];
	int64_t sum, total;

	spend_month(now, month);
	(void)snprintf(from, sizeof(from), "%s-01", month);
	(void)snprintf(to, sizeof(to), "%s-31", month);
	if (spend_sum(s, NULL, NULL, from, to, &sum, err) != 0)
		return -1;
	if (__builtin_add_overflow(sum, amount, &total))
		return bos_err_set(err, BOS_E_INVALID, "amount too large: this month's spend would "
		    "pass the largest sum the ledger keeps (2^63 - 1 minor units)");
	return 0;
}

static int
spend_insert(struct store *s, const char *job_id, const char *service, int64_t amount,
    const char *currency, int64_t now, struct bos_err *err)
{
	char day[SPEND_DAY_SIZE];
	sqlite3_stmt *st;

	spend_day(now, day);
	if (store_stmt(s, "INSERT INTO spend (day, service, amount, currency, job_id, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, service, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, amount) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, currency, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, job_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "recording spend", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

int
spend_ledger_check(const char *job_id, const char *service, int64_t amount, const char *currency,
    struct bos_err *err)
{
	if (spend_job_id_check(job_id, err) != 0 || spend_service_check(service, err) != 0)
		return -1;
	if (strcmp(service, SPEND_TOTAL) == 0)
		return bos_err_set(err, BOS_E_INVALID, "service '%s' is reserved: it names the "
		    "budget over every service", SPEND_TOTAL);
	if (amount <= 0)
		return bos_err_set(err, BOS_E_INVALID, "a spend amount must be a positive integer "
		    "of minor units");
	if (!currency_known(currency))
		return bos_err_set(err, BOS_E_INVALID, "unknown currency: give an ISO 4217 code "
		    "such as USD or EUR");
	return 0;
}

int
spend_ledger_add(struct store *s, const char *job_id, const char *service, int64_t amount,
    const char *currency, int64_t now, struct bos_err *err)
{
	if (spend_check_overflow(s, amount, now, err) != 0 ||
	    spend_insert(s, job_id, service, amount, currency, now, err) != 0)
		return -1;
	return 0;
}
