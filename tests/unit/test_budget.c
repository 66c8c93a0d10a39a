/*
 * Unit tests for the spend ledger, budgets and alerts (vault/store/spend.c,
 * budget.c, alert.c) and the ISO 4217 table (shared/currency.c), against a
 * real SQLCipher database in a temporary directory. Time is passed in, so
 * period rollovers need no waiting. Jobs in state 'claimed' are written with
 * plain SQL into the jobs table of schema 7, as the jobs code leaves them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "currency.h"
#include "store/alert.h"
#include "store/budget.h"
#include "store/spend.h"
#include "store/store.h"
#include "store_fixture.h"

#define T0 1796601600LL       /* 2026-12-07 00:00:00 UTC */
#define HOUR 3600
#define DAY 86400

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *s;
};

static int
setup(void **state)
{
	static struct test_ctx t;

	memset(&t, 0, sizeof(t));
	if (store_fixture_open("budget", 0x40, t.dir, sizeof(t.dir), t.path, sizeof(t.path),
	    &t.s) != 0)
		return -1;
	*state = &t;
	return 0;
}

static int
teardown(void **state)
{
	struct test_ctx *t = *state;

	store_fixture_remove(t->s, t->dir);
	return 0;
}

static void
budget_ok(struct store *s, const char *service, int64_t daily, int64_t monthly,
    const char *currency, int64_t now)
{
	struct budget_set b = { service, daily, monthly, currency, "alice" };
	struct bos_err err = { 0 };

	if (budget_put(s, &b, now, &err) != 0)
		fail_msg("budget_put(%s): %s", service, err.msg);
}

static int
spend(struct store *s, const char *job, const char *service, int64_t amount,
    const char *currency, int64_t now)
{
	struct bos_err err = { 0 };

	return spend_record(s, job, service, amount, currency, now, &err);
}

static int64_t
sum_day(struct store *s, const char *service, int64_t now)
{
	char day[SPEND_DAY_SIZE];
	struct bos_err err = { 0 };
	int64_t v = -1;

	spend_day(now, day);
	assert_int_equal(spend_sum(s, service, NULL, day, day, &v, &err), 0);
	return v;
}

/* ---- alerts as the tests see them ---- */

struct seen {
	int n;
	struct alert_info last;
	char keys[16][ALERT_DEDUP_MAX + 1];
	int64_t counts[16];
};

static int
seen_cb(const struct alert_info *a, void *arg)
{
	struct seen *x = arg;

	if (x->n < 16) {
		(void)snprintf(x->keys[x->n], sizeof(x->keys[0]), "%s", a->dedup_key);
		x->counts[x->n] = a->count;
	}
	x->last = *a;
	x->last.details_json = x->last.actions_json = NULL;
	x->n++;
	return 0;
}

static struct seen
alerts(struct store *s, enum alert_filter f)
{
	struct bos_err err = { 0 };
	struct seen x;

	memset(&x, 0, sizeof(x));
	assert_int_equal(alert_list(s, f, seen_cb, &x, &err), 0);
	return x;
}

/* How many alerts of any state carry key, and the count of the one found. */
static int
alerts_with_key(struct store *s, const char *key, int64_t *count)
{
	struct seen x = alerts(s, ALERT_ALL);
	int i, n = 0;

	for (i = 0; i < x.n && i < 16; i++)
		if (strcmp(x.keys[i], key) == 0) {
			n++;
			if (count != NULL)
				*count = x.counts[i];
		}
	return n;
}

/* ---- currency, percent, days ---- */

static void
test_currency_codes(void **state)
{
	int64_t v = 0;
	char buf[32];

	(void)state;
	assert_int_equal(currency_exponent("USD"), 2);
	assert_int_equal(currency_exponent("JPY"), 0);
	assert_int_equal(currency_exponent("KWD"), 3);
	assert_int_equal(currency_exponent("CLF"), 4);
	assert_true(currency_known("EUR"));
	assert_true(currency_known("AED"));
	assert_true(currency_known("ZWL"));
	assert_false(currency_known("XXX"));    /* "no currency" */
	assert_false(currency_known("XAU"));    /* gold */
	assert_false(currency_known("usd"));
	assert_false(currency_known("US"));
	assert_false(currency_known("USDD"));
	assert_false(currency_known("QQQ"));
	assert_false(currency_known(""));
	assert_false(currency_known(NULL));
	assert_int_equal(currency_parse_amount("12.34", 2, &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(currency_parse_amount("12", 2, &v), 0);
	assert_int_equal(v, 1200);
	assert_int_equal(currency_parse_amount("12.3", 2, &v), 0);
	assert_int_equal(v, 1230);
	assert_int_equal(currency_parse_amount("500", 0, &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(currency_parse_amount("92233720368547758.07", 2, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(currency_parse_amount("92233720368547758.08", 2, &v), -1);
	assert_int_equal(currency_parse_amount("9223372036854775808", 0, &v), -1);
	assert_int_equal(currency_parse_amount("12.345", 2, &v), -1);
	assert_int_equal(currency_parse_amount("1.5", 0, &v), -1);
	assert_int_equal(currency_parse_amount("-1", 2, &v), -1);
	assert_int_equal(currency_parse_amount("1e3", 2, &v), -1);
	assert_int_equal(currency_parse_amount("12.", 2, &v), -1);
	assert_int_equal(currency_parse_amount(".5", 2, &v), -1);
	assert_int_equal(currency_parse_amount("1.2.3", 2, &v), -1);
	assert_int_equal(currency_parse_amount(" 1", 2, &v), -1);
	assert_int_equal(currency_parse_amount("", 2, &v), -1);
	assert_int_equal(currency_format(1234, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "12.34");
	assert_int_equal(currency_format(5, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0.05");
	assert_int_equal(currency_format(500, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "500");
	assert_int_equal(currency_format(INT64_MAX, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "92233720368547758.07");
	assert_int_equal(currency_format(1234, 2, buf, 4), -1);
}

/* format then parse gives the amount back, for every exponent, over random amounts. */
static void
test_amount_round_trip(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char buf[32];
	int64_t v, back;
	int i, exp;

	(void)state;
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (int64_t)(x >> (i % 63 + 1));   /* every magnitude, 0 .. 2^63 - 1 */
		exp = i % 5;
		assert_int_equal(currency_format(v, exp, buf, sizeof(buf)), 0);
		back = -1;
		if (currency_parse_amount(buf, exp, &back) != 0 || back != v)
			fail_msg("amount %lld, exponent %d: formatted '%s', parsed back %lld",
			    (long long)v, exp, buf, (long long)back);
	}
}

static void
test_percent(void **state)
{
	(void)state;
	assert_int_equal(budget_percent(0, 100), 0);
	assert_int_equal(budget_percent(79, 100), 79);
	assert_int_equal(budget_percent(80, 100), 80);
	assert_int_equal(budget_percent(3999, 5000), 79);
	assert_int_equal(budget_percent(4000, 5000), 80);
	assert_int_equal(budget_percent(5000, 5000), 100);
	assert_int_equal(budget_percent(0, 0), 100);     /* a budget of 0 lets nothing through */
	assert_int_equal(budget_percent(INT64_MAX, 1), INT_MAX);
	assert_int_equal(budget_percent(INT64_MAX, INT64_MAX), 100);
	assert_int_equal(budget_percent(INT64_MAX - 1, INT64_MAX), 99);
	assert_int_equal(budget_percent(5, BUDGET_NONE), -1);
}

static void
test_days(void **state)
{
	char day[SPEND_DAY_SIZE], month[SPEND_MONTH_SIZE];

	(void)state;
	spend_day(T0, day);
	spend_month(T0, month);
	assert_string_equal(day, "2026-12-07");
	assert_string_equal(month, "2026-12");
	spend_day(T0 - 1, day);
	assert_string_equal(day, "2026-12-06");
	spend_day(T0 + 25 * DAY, day);
	spend_month(T0 + 25 * DAY, month);
	assert_string_equal(day, "2027-01-01");
	assert_string_equal(month, "2027-01");
	assert_true(spend_day_valid("2024-02-29"));
	assert_true(spend_day_valid("2000-02-29"));
	assert_false(spend_day_valid("2023-02-29"));
	assert_false(spend_day_valid("1900-02-29"));
	assert_false(spend_day_valid("2026-13-01"));
	assert_false(spend_day_valid("2026-04-31"));
	assert_false(spend_day_valid("2026-00-10"));
	assert_false(spend_day_valid("2026-1-01"));
	assert_false(spend_day_valid("2026-01-01x"));
	assert_false(spend_day_valid("20260101"));
	assert_false(spend_day_valid(NULL));
}

/* ---- the ledger ---- */

static void
test_spend_bad_input(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };

	assert_int_equal(spend_record(t->s, "jb_1", "sendgrid", 0, "USD", T0, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(spend_record(t->s, "jb_1", "sendgrid", -5, "USD", T0, &err), -1);
	assert_int_equal(spend_record(t->s, "jb_1", "sendgrid", 5, "QQQ", T0, &err), -1);
	assert_non_null(strstr(err.msg, "unknown currency"));
	assert_int_equal(spend_record(t->s, "jb_1", "sendgrid", 5, "usd", T0, &err), -1);
	assert_int_equal(spend_record(t->s, "jb_1", "SendGrid", 5, "USD", T0, &err), -1);
	assert_int_equal(spend_record(t->s, "jb_1", "total", 5, "USD", T0, &err), -1);
	assert_int_equal(spend_record(t->s, "", "sendgrid", 5, "USD", T0, &err), -1);
	assert_int_equal(spend_record(t->s, "jb 1", "sendgrid", 5, "USD", T0, &err), -1);
	assert_int_equal(sum_day(t->s, NULL, T0), 0);
}

static void
test_spend_once_per_job(void **state)
{
	struct test_ctx *t = *state;

	assert_int_equal(spend(t->s, "jb_a", "sendgrid", 250, "USD", T0), SPEND_RECORDED);
	assert_int_equal(spend(t->s, "jb_a", "sendgrid", 250, "USD", T0), SPEND_DUPLICATE);
	assert_int_equal(spend(t->s, "jb_a", "sendgrid", 999, "USD", T0 + HOUR), SPEND_DUPLICATE);
	assert_int_equal(spend(t->s, "jb_b", "sendgrid", 1, "USD", T0), SPEND_RECORDED);
	assert_int_equal(sum_day(t->s, "sendgrid", T0), 251);
	/* Inside a caller's transaction that rolls back: nothing is kept. */
	assert_int_equal(store_begin(t->s, NULL), 0);
	assert_int_equal(spend(t->s, "jb_c", "sendgrid", 7, "USD", T0), SPEND_RECORDED);
	assert_int_equal(store_rollback(t->s, NULL), 0);
	assert_int_equal(sum_day(t->s, "sendgrid", T0), 251);
	assert_int_equal(spend(t->s, "jb_c", "sendgrid", 7, "USD", T0), SPEND_RECORDED);
}

static void
test_spend_overflow(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };

	assert_int_equal(spend(t->s, "jb_big", "openai", INT64_MAX - 10, "USD", T0),
	    SPEND_RECORDED);
	assert_int_equal(spend_record(t->s, "jb_more", "openai", 11, "USD", T0, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_non_null(strstr(err.msg, "too large"));
	/* Another service, another currency: the month's sum is over all of them. */
	assert_int_equal(spend_record(t->s, "jb_more", "twilio", 11, "EUR", T0, &err), -1);
	assert_int_equal(spend(t->s, "jb_fits", "openai", 10, "USD", T0), SPEND_RECORDED);
	assert_true(sum_day(t->s, "openai", T0) == INT64_MAX);
	/* The next month starts again from 0. */
	assert_int_equal(spend(t->s, "jb_jan", "openai", 11, "USD", T0 + 25 * DAY),
	    SPEND_RECORDED);
}

static void
test_currency_mismatch(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };

	budget_ok(t->s, "sendgrid", 1000, BUDGET_NONE, "USD", T0);
	assert_int_equal(spend_record(t->s, "jb_eur", "sendgrid", 5, "EUR", T0, &err),
	    SPEND_CURRENCY_MISMATCH);
	assert_non_null(strstr(err.msg, "conversion does not exist yet"));
	assert_int_equal(sum_day(t->s, NULL, T0), 0);
	/* The total's currency binds every service. */
	budget_ok(t->s, BUDGET_TOTAL, BUDGET_NONE, 100000, "USD", T0);
	assert_int_equal(spend_record(t->s, "jb_eur", "mailgun", 5, "EUR", T0, &err),
	    SPEND_CURRENCY_MISMATCH);
	assert_int_equal(spend(t->s, "jb_usd", "mailgun", 5, "USD", T0), SPEND_RECORDED);
	/* A budget in another currency than this month's spend is refused. */
	{
		struct budget_set b = { "mailgun", 10, BUDGET_NONE, "EUR", "alice" };

		assert_int_equal(budget_put(t->s, &b, T0, &err), -1);
		assert_int_equal(err.code, BOS_E_INVALID);
		b.service = BUDGET_TOTAL;
		assert_int_equal(budget_put(t->s, &b, T0, &err), -1);
	}
}

/* A service's budget and the total's share one currency, whichever is set first. */
static void
test_budget_total_currency(void **state)
{
	struct test_ctx *t = *state;
	struct budget_set b = { "sendgrid", 100, BUDGET_NONE, "EUR", "alice" };
	struct bos_err err = { 0 };
	struct budget_info info;
	char reason[BUDGET_REASON_SIZE];

	budget_ok(t->s, BUDGET_TOTAL, 1000, BUDGET_NONE, "USD", T0);
	assert_int_equal(budget_put(t->s, &b, T0, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_non_null(strstr(err.msg, "the total budget is in USD"));
	assert_int_equal(budget_get(t->s, "sendgrid", T0, &info, &err), -1);
	budget_ok(t->s, "sendgrid", 100, BUDGET_NONE, "USD", T0);
	b.service = BUDGET_TOTAL;
	assert_int_equal(budget_put(t->s, &b, T0, &err), -1);
	assert_non_null(strstr(err.msg, "the sendgrid budget is in USD"));
	/* The total alone may change its amounts; a service alone, its own. */
	budget_ok(t->s, BUDGET_TOTAL, 2000, BUDGET_NONE, "USD", T0);
	budget_ok(t->s, "sendgrid", 200, BUDGET_NONE, "USD", T0);
	/* Paused by the total: resuming the service says to resume the total. */
	budget_ok(t->s, BUDGET_TOTAL, 100, BUDGET_NONE, "USD", T0);
	assert_int_equal(spend(t->s, "tc1", "twilio", 100, "USD", T0), SPEND_RECORDED);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0, reason, sizeof(reason), &err), 1);
	assert_int_equal(budget_resume(t->s, "sendgrid", "alice", T0, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_non_null(strstr(err.msg, "resume total"));
	assert_int_equal(budget_resume(t->s, BUDGET_TOTAL, "alice", T0, &err), 0);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0, reason, sizeof(reason), &err), 0);
}

static void
test_budget_put_bad(void **state)
{
	struct test_ctx *t = *state;
	struct budget_set b = { "sendgrid", 100, BUDGET_NONE, "USD", "alice" };
	struct budget_info info;
	struct bos_err err = { 0 };

	b.currency = "QQQ";
	assert_int_equal(budget_put(t->s, &b, T0, &err), -1);
	b.currency = "USD";
	b.daily = -2;
	assert_int_equal(budget_put(t->s, &b, T0, &err), -1);
	b.daily = BUDGET_NONE;
	assert_int_equal(budget_put(t->s, &b, T0, &err), -1);
	b.daily = 100;
	b.service = "Send Grid";
	assert_int_equal(budget_put(t->s, &b, T0, &err), -1);
	b.service = "";
	assert_int_equal(budget_put(t->s, &b, T0, &err), -1);
	assert_int_equal(budget_get(t->s, "sendgrid", T0, &info, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	b.service = "sendgrid";
	assert_int_equal(budget_put(t->s, &b, T0, &err), 0);
	assert_int_equal(budget_get(t->s, "sendgrid", T0, &info, &err), 0);
	assert_true(info.daily == 100 && info.monthly == BUDGET_NONE);
	assert_string_equal(info.state, "ok");
	assert_int_equal(info.month_percent, -1);
}

/* 80 % warns once per period, 100 % pauses, raising the budget lifts it. */
static void
test_warn_pause_raise(void **state)
{
	struct test_ctx *t = *state;
	char reason[BUDGET_REASON_SIZE];
	struct bos_err err = { 0 };
	struct budget_info info;
	int64_t count = 0;

	budget_ok(t->s, "sendgrid", 5000, BUDGET_NONE, "USD", T0);
	assert_int_equal(spend(t->s, "j1", "sendgrid", 3999, "USD", T0 + 1), SPEND_RECORDED);
	assert_int_equal(alerts(t->s, ALERT_ALL).n, 0);
	assert_int_equal(spend(t->s, "j2", "sendgrid", 1, "USD", T0 + 2), SPEND_RECORDED);
	assert_int_equal(alerts_with_key(t->s, "budget80:sendgrid:daily:2026-12-07", &count), 1);
	assert_int_equal(count, 1);
	assert_int_equal(spend(t->s, "j3", "sendgrid", 500, "USD", T0 + 3), SPEND_RECORDED);
	assert_int_equal(alerts_with_key(t->s, "budget80:sendgrid:daily:2026-12-07", &count), 1);
	assert_int_equal(count, 1);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + 4, reason, sizeof(reason), &err), 0);
	assert_int_equal(spend(t->s, "j4", "sendgrid", 500, "USD", T0 + 5), SPEND_RECORDED);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + 6, reason, sizeof(reason), &err), 1);
	assert_string_equal(reason, "budget paused: sendgrid daily 100 % (50.00 of 50.00 USD)");
	assert_int_equal(alerts_with_key(t->s, "budget100:sendgrid:daily:2026-12-07", &count), 1);
	assert_int_equal(alerts(t->s, ALERT_OPEN).n, 2);
	/* Other services are not paused by it. */
	assert_int_equal(budget_paused(t->s, "twilio", T0 + 6, reason, sizeof(reason), &err), 0);
	assert_int_equal(budget_get(t->s, "sendgrid", T0 + 6, &info, &err), 0);
	assert_string_equal(info.state, "paused");
	assert_int_equal(info.day_percent, 100);
	/* More spend while paused (a job that was already running): no new alert row. */
	assert_int_equal(spend(t->s, "j5", "sendgrid", 100, "USD", T0 + 7), SPEND_RECORDED);
	assert_int_equal(alerts(t->s, ALERT_ALL).n, 2);
	/* Raising the budget above the spend lifts the pause. */
	budget_ok(t->s, "sendgrid", 6000, BUDGET_NONE, "USD", T0 + 8);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + 9, reason, sizeof(reason), &err), 0);
	assert_int_equal(budget_get(t->s, "sendgrid", T0 + 9, &info, &err), 0);
	assert_string_equal(info.state, "warning");
	/* Lowering it again pauses again, without a new spend. */
	budget_ok(t->s, "sendgrid", 5100, BUDGET_NONE, "USD", T0 + 10);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + 11, reason, sizeof(reason), &err), 1);
	/* The next UTC day starts from 0; its 80 % is a new alert. */
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + DAY, reason, sizeof(reason), &err),
	    0);
	assert_int_equal(spend(t->s, "j6", "sendgrid", 4100, "USD", T0 + DAY + 1), SPEND_RECORDED);
	assert_int_equal(alerts_with_key(t->s, "budget80:sendgrid:daily:2026-12-08", &count), 1);
	assert_int_equal(alerts(t->s, ALERT_ALL).n, 3);
}

static void
test_monthly_and_total(void **state)
{
	struct test_ctx *t = *state;
	char reason[BUDGET_REASON_SIZE];
	struct bos_err err = { 0 };

	budget_ok(t->s, "twilio", BUDGET_NONE, 1000, "EUR", T0);
	assert_int_equal(spend(t->s, "m1", "twilio", 600, "EUR", T0), SPEND_RECORDED);
	assert_int_equal(spend(t->s, "m2", "twilio", 400, "EUR", T0 + 10 * DAY), SPEND_RECORDED);
	assert_int_equal(budget_paused(t->s, "twilio", T0 + 10 * DAY, reason, sizeof(reason),
	    &err), 1);
	assert_non_null(strstr(reason, "twilio monthly 100 %"));
	assert_int_equal(alerts_with_key(t->s, "budget80:twilio:monthly:2026-12", NULL), 1);
	/* January: lifted. */
	assert_int_equal(budget_paused(t->s, "twilio", T0 + 25 * DAY, reason, sizeof(reason),
	    &err), 0);
	/* The total pauses every service, those with a budget of their own too. */
	budget_ok(t->s, BUDGET_TOTAL, 300, BUDGET_NONE, "EUR", T0 + 26 * DAY);
	assert_int_equal(spend(t->s, "m3", "mailgun", 300, "EUR", T0 + 26 * DAY), SPEND_RECORDED);
	assert_int_equal(budget_paused(t->s, "twilio", T0 + 26 * DAY, reason, sizeof(reason),
	    &err), 1);
	assert_non_null(strstr(reason, "total daily 100 %"));
	assert_int_equal(budget_paused(t->s, "anything", T0 + 26 * DAY, reason, sizeof(reason),
	    &err), 1);
	assert_int_equal(alerts_with_key(t->s, "budget100:total:daily:2027-01-02", NULL), 1);
}

static void
test_resume(void **state)
{
	struct test_ctx *t = *state;
	char reason[BUDGET_REASON_SIZE];
	struct bos_err err = { 0 };

	assert_int_equal(budget_resume(t->s, "sendgrid", "alice", T0, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	budget_ok(t->s, "sendgrid", 100, 1000, "USD", T0);
	assert_int_equal(budget_resume(t->s, "sendgrid", "alice", T0, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);   /* not paused */
	assert_int_equal(spend(t->s, "r1", "sendgrid", 100, "USD", T0 + 1), SPEND_RECORDED);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + 2, reason, sizeof(reason), &err), 1);
	assert_int_equal(budget_resume(t->s, "sendgrid", "alice", T0 + 3, &err), 0);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + 4, reason, sizeof(reason), &err), 0);
	/* For the rest of the day: more spend does not pause it again ... */
	assert_int_equal(spend(t->s, "r2", "sendgrid", 300, "USD", T0 + 5), SPEND_RECORDED);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + 6, reason, sizeof(reason), &err), 0);
	assert_int_equal(budget_claim_check(t->s, "sendgrid", 50, "USD", T0 + 6, reason,
	    sizeof(reason), &err), 0);
	/* ... but the monthly budget, not resumed, still counts. */
	assert_int_equal(spend(t->s, "r3", "sendgrid", 600, "USD", T0 + 7), SPEND_RECORDED);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + 8, reason, sizeof(reason), &err), 1);
	assert_non_null(strstr(reason, "monthly"));
	/* The next day the daily budget counts again (the monthly one still pauses). */
	assert_int_equal(budget_resume(t->s, "sendgrid", "alice", T0 + 9, &err), 0);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + 10, reason, sizeof(reason), &err), 0);
	assert_int_equal(spend(t->s, "r4", "sendgrid", 100, "USD", T0 + DAY), SPEND_RECORDED);
	assert_int_equal(budget_paused(t->s, "sendgrid", T0 + DAY + 1, reason, sizeof(reason),
	    &err), 1);
	assert_non_null(strstr(reason, "daily"));
}

/* Insert a job as the jobs code leaves a claimed one (schema 7). */
static void
job_claimed(struct test_ctx *t, const char *id, const char *service, int64_t est,
    const char *cur, const char *state)
{
	char sql[1024];
	char *msg = NULL;

	(void)snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO brokers (id, role, name, accessor,"
	    " token_hash, created_by, created_at) VALUES ('bk_aaaaaaaaaaaaaaaaaaaaaaaaaa',"
	    " 'outreach', 'b', 'acc_aaaaaaaaaaaaaaaaaaaa', zeroblob(32), 'alice', 1);"
	    "INSERT INTO jobs (id, kind, service, params, idempotency_key, state, attempts,"
	    " max_attempts, not_before, claimed_by, claim, visible_until, estimate_amount,"
	    " estimate_currency, created_at, updated_at, finished_at, created_by) VALUES ('%s',"
	    " 'verify', '%s', '{}', '%s', '%s', 1, 5, 0, 'bk_aaaaaaaaaaaaaaaaaaaaaaaaaa',"
	    " 'cl_aaaaaaaaaaaaaaaaaaaaaaaaaa', %lld, %lld, '%s', 1, 1, %s, 'alice')", id, service,
	    id, state, (long long)T0 + 120, (long long)est, cur,
	    strcmp(state, "done") == 0 ? "1" : "NULL");
	if (sqlite3_exec(store_db(t->s), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("insert job: %s", msg);
}

static void
test_claim_check(void **state)
{
	struct test_ctx *t = *state;
	char reason[BUDGET_REASON_SIZE];
	struct bos_err err = { 0 };

	/* No budget: anything goes. */
	assert_int_equal(budget_claim_check(t->s, "sendgrid", 999999, "USD", T0, reason,
	    sizeof(reason), &err), 0);
	budget_ok(t->s, "sendgrid", 1000, BUDGET_NONE, "USD", T0);
	assert_int_equal(spend(t->s, "c0", "sendgrid", 500, "USD", T0), SPEND_RECORDED);
	job_claimed(t, "jb_aaaaaaaaaaaaaaaaaaaaaaaaa1", "sendgrid", 300, "USD", "claimed");
	/* Finished jobs and other services' claims do not count. */
	job_claimed(t, "jb_aaaaaaaaaaaaaaaaaaaaaaaaa2", "sendgrid", 300, "USD", "done");
	job_claimed(t, "jb_aaaaaaaaaaaaaaaaaaaaaaaaa3", "twilio", 300, "USD", "claimed");
	assert_int_equal(budget_claim_check(t->s, "sendgrid", 200, "USD", T0, reason,
	    sizeof(reason), &err), 0);
	assert_int_equal(budget_claim_check(t->s, "sendgrid", 201, "USD", T0, reason,
	    sizeof(reason), &err), 1);
	assert_non_null(strstr(reason, "would pass the sendgrid daily budget of 10.00 USD"));
	assert_int_equal(budget_claim_check(t->s, "sendgrid", 0, NULL, T0, reason,
	    sizeof(reason), &err), 0);
	assert_int_equal(budget_claim_check(t->s, "sendgrid", 5, "EUR", T0, reason,
	    sizeof(reason), &err), 1);
	assert_non_null(strstr(reason, "conversion does not exist yet"));
	assert_int_equal(budget_claim_check(t->s, "sendgrid", INT64_MAX, "USD", T0, reason,
	    sizeof(reason), &err), 1);
	assert_int_equal(budget_claim_check(t->s, "sendgrid", -1, "USD", T0, reason,
	    sizeof(reason), &err), -1);
	/* The total counts every service's claims: 500 spent + 600 claimed + 1 > 1100. */
	budget_ok(t->s, BUDGET_TOTAL, 1100, BUDGET_NONE, "USD", T0);
	assert_int_equal(budget_claim_check(t->s, "mailgun", 0, NULL, T0, reason, sizeof(reason),
	    &err), 0);
	assert_int_equal(budget_claim_check(t->s, "mailgun", 1, "USD", T0, reason, sizeof(reason),
	    &err), 1);
	assert_non_null(strstr(reason, "total daily"));
	/* Claimed estimates whose sum passes int64: refused, not an error. */
	job_claimed(t, "jb_aaaaaaaaaaaaaaaaaaaaaaaaa4", "sendgrid", INT64_MAX, "USD", "claimed");
	job_claimed(t, "jb_aaaaaaaaaaaaaaaaaaaaaaaaa5", "sendgrid", INT64_MAX, "USD", "claimed");
	assert_int_equal(budget_claim_check(t->s, "sendgrid", 1, "USD", T0, reason,
	    sizeof(reason), &err), 1);
	assert_int_equal(budget_claim_check(t->s, "mailgun", 1, "USD", T0, reason,
	    sizeof(reason), &err), 1);
	/* Paused: refused even without an estimate. */
	assert_int_equal(spend(t->s, "c1", "sendgrid", 500, "USD", T0), SPEND_RECORDED);
	assert_int_equal(budget_claim_check(t->s, "sendgrid", 0, NULL, T0, reason,
	    sizeof(reason), &err), 1);
	assert_non_null(strstr(reason, "budget paused: sendgrid daily 100 %"));
}

/* ---- alerts ---- */

static void
test_alert_dedup(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct seen x;
	int64_t n = -1, count = 0;
	char id[ALERT_ID_SIZE];

	assert_int_equal(alert_raise(t->s, "job_dead", "warning", "job jb_1 died", "{\"job\":1}",
	    "[\"bosctl jobs list\"]", "dead:jb_1", T0, &err), 0);
	assert_int_equal(alert_raise(t->s, "job_dead", "warning", "job jb_1 died again", NULL,
	    NULL, "dead:jb_1", T0 + 5, &err), 0);
	x = alerts(t->s, ALERT_ALL);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.last.count, 2);
	assert_true(x.last.first_at == T0 && x.last.last_at == T0 + 5);
	assert_string_equal(x.last.subject, "job jb_1 died again");
	assert_int_equal(alert_count_open(t->s, &n, &err), 0);
	assert_int_equal(n, 1);
	(void)snprintf(id, sizeof(id), "%s", x.last.id);
	assert_true(alert_id_valid(id));
	/* Acked is not resolved: still counted on. */
	assert_int_equal(alert_ack(t->s, id, "alice", T0 + 6, &err), 0);
	assert_int_equal(alert_ack(t->s, id, "alice", T0 + 6, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(alert_count_open(t->s, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(alert_raise(t->s, "job_dead", "warning", "again", NULL, NULL, "dead:jb_1",
	    T0 + 7, &err), 0);
	assert_int_equal(alerts_with_key(t->s, "dead:jb_1", &count), 1);
	assert_int_equal(count, 3);
	x = alerts(t->s, ALERT_ACKED);
	assert_int_equal(x.n, 1);
	assert_string_equal(x.last.acked_by, "alice");
	/* Resolved: the same key starts a new alert. */
	assert_int_equal(alert_resolve(t->s, id, "bob", T0 + 8, &err), 0);
	assert_int_equal(alert_resolve(t->s, id, "bob", T0 + 8, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(alert_ack(t->s, id, "bob", T0 + 8, &err), -1);
	assert_int_equal(alert_raise(t->s, "job_dead", "warning", "and again", NULL, NULL,
	    "dead:jb_1", T0 + 9, &err), 0);
	assert_int_equal(alerts_with_key(t->s, "dead:jb_1", NULL), 2);
	assert_int_equal(alerts(t->s, ALERT_OPEN).n, 1);
	assert_int_equal(alerts(t->s, ALERT_RESOLVED).n, 1);
	/* No dedup key: never merged. */
	assert_int_equal(alert_raise(t->s, "note", "info", "x", NULL, NULL, NULL, T0, &err), 0);
	assert_int_equal(alert_raise(t->s, "note", "info", "x", NULL, NULL, "", T0, &err), 0);
	assert_int_equal(alerts(t->s, ALERT_OPEN).n, 3);
	/* Unknown ids. */
	assert_int_equal(alert_ack(t->s, "al_aaaaaaaaaaaaaaaaaaaaaaaaaa", "bob", T0, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(alert_resolve(t->s, "nope", "bob", T0, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
}

static void
test_alert_bad_input(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };

	assert_int_equal(alert_raise(t->s, "Bad Kind", "info", "s", NULL, NULL, NULL, T0, &err), -1);
	assert_int_equal(alert_raise(t->s, "k", "loud", "s", NULL, NULL, NULL, T0, &err), -1);
	assert_int_equal(alert_raise(t->s, "k", "info", "", NULL, NULL, NULL, T0, &err), -1);
	assert_int_equal(alert_raise(t->s, "k", "info", "s", "[1]", NULL, NULL, T0, &err), -1);
	assert_int_equal(alert_raise(t->s, "k", "info", "s", "{", NULL, NULL, T0, &err), -1);
	assert_int_equal(alert_raise(t->s, "k", "info", "s", NULL, "[1]", NULL, T0, &err), -1);
	assert_int_equal(alert_raise(t->s, "k", "info", "s", NULL, "{}", NULL, T0, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(alerts(t->s, ALERT_ALL).n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_currency_codes),
		cmocka_unit_test(test_amount_round_trip),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_days),
		cmocka_unit_test_setup_teardown(test_spend_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spend_once_per_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spend_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_currency_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_put_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_total_currency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warn_pause_raise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monthly_and_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
