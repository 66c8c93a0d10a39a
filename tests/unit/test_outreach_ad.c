/*
 * Unit tests for ads (vault/store/outreach_ad.c and the ad side of job.c and
 * budget.c; docs/ADS.md), against a real SQLCipher database: the money rules
 * (no budget, another currency, above what is left with the other live ads
 * counted, a paused budget), the states through their jobs, the creation
 * steps in order and an unknown outcome, the insights delta into the ledger
 * (a duplicate, a smaller figure, another currency record nothing), a paused
 * budget pausing an active ad whose pause job is claimable when an
 * ad_create is not, and the sweep queueing insights once per period; and
 * schema 10 to 11 keeping jobs, leases and the jobs of messages and notices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/alert.h"
#include "store/budget.h"
#include "store/job.h"
#include "store/outreach_ad.h"
#include "store/schema.h"
#include "store/store.h"
#include "store_fixture.h"

#define T0 1796601600LL       /* 2026-12-07 00:00:00 UTC */
#define NOW (T0 + 3600)
#define CRED "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define BROKER "bk_aaaaaaaaaaaaaaaaaaaaaaaaaa"

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *s;
};

static void
exec_ok(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, msg != NULL ? msg : "?");
		fail();
	}
}

static int64_t
int_of(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_db(s)));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
setup(void **state)
{
	static struct test_ctx t;

	memset(&t, 0, sizeof(t));
	if (store_fixture_open("ad", 0x42, t.dir, sizeof(t.dir), t.path, sizeof(t.path),
	    &t.s) != 0)
		return -1;
	exec_ok(t.s, "INSERT INTO credentials (id, name, type, service, metadata, current_version,"
	    " created_at, updated_at) VALUES ('" CRED "', 'meta-main', 'api_key', 'meta', '{}', 1,"
	    " 1, 1)");
	exec_ok(t.s, "INSERT INTO brokers (id, role, name, accessor, token_hash, created_by,"
	    " created_at) VALUES ('" BROKER "', 'outreach', 'b', 'acc_cccccccccccccccccccc',"
	    " zeroblob(32), 'alice', 1)");
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
budget(struct store *s, int64_t daily, const char *cur)
{
	struct bos_err err = { 0 };

	if (budget_put(s, &(struct budget_set){ "meta", daily, BUDGET_NONE, cur, "alice" }, NOW,
	    &err) != 0)
		fail_msg("budget_put: %s", err.msg);
}

/* Create an ad of daily minor units of cur: 0 (id), or -1 with code and err. */
static int
ad_new(struct store *s, int64_t daily, const char *cur, char id[OUTREACH_AD_ID_SIZE],
    char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err)
{
	const struct outreach_ad_new n = { "Spring", CRED, "act_1", "1_2", "OUTCOME_TRAFFIC",
	    "[\"US\"]", "[]", daily, cur, "alice" };

	return outreach_ad_create(s, &n, NOW, job_queue_ad, id, code, err);
}

/* An active ad with its four Meta ids, written directly. */
static void
ad_active(struct store *s, const char *id, int64_t daily)
{
	char sql[600];

	(void)snprintf(sql, sizeof(sql), "INSERT INTO outreach_ads (id, name, credential, account,"
	    " post, objective, countries, special_ad_categories, daily_budget, currency, state,"
	    " meta_campaign, meta_adset, meta_creative, meta_ad, created_by, created_at,"
	    " updated_at) VALUES ('%s', 'Live', '" CRED "', 'act_1', '1_2', 'OUTCOME_TRAFFIC',"
	    " '[\"US\"]', '[]', %lld, 'USD', 'active', '11', '12', '13', '14', 'alice', %lld, %lld)",
	    id, (long long)daily, (long long)(T0 - 86400), (long long)(T0 - 86400));
	exec_ok(s, sql);
}

/* Claim one job of kind: 1 (j filled), 0 none. */
static int
claim(struct store *s, const char *kind, int64_t now, struct job_info *j)
{
	const char *const kinds[] = { kind };
	const struct job_claim_req q = { kinds, 1, BROKER, 120, 0, NULL, NULL, 0 };
	struct bos_err err = { 0 };
	int r = job_claim(s, &q, now, j, &err);

	if (r < 0)
		fail_msg("job_claim: %s", err.msg);
	return r;
}

static int
complete(struct store *s, const struct job_info *j, const char *result, int64_t now,
    struct bos_err *err)
{
	int dup = 0, mismatch = 0;

	return job_complete(s, &(struct job_done){ j->id, BROKER, j->claim, result, 0, NULL }, now,
	    &dup, &mismatch, err);
}

static void
get(struct store *s, const char *id, int64_t now, struct outreach_ad *a)
{
	struct bos_err err = { 0 };

	if (outreach_ad_get(s, id, now, a, &err) != 0)
		fail_msg("outreach_ad_get: %s", err.msg);
}

static void
test_money_rules(void **state)
{
	struct test_ctx *t = *state;
	char id[OUTREACH_AD_ID_SIZE], id2[OUTREACH_AD_ID_SIZE], code[OUTREACH_AD_CODE_SIZE];
	struct bos_err err = { 0 };

	assert_int_equal(ad_new(t->s, 1000, "USD", id, code, &err), -1);
	assert_string_equal(code, "no_budget");
	assert_non_null(strstr(err.msg, "bosctl budget set meta"));
	budget(t->s, 10000, "USD");
	assert_int_equal(ad_new(t->s, 1000, "EUR", id, code, &err), -1);
	assert_string_equal(code, "currency_mismatch");
	assert_int_equal(ad_new(t->s, 20000, "USD", id, code, &err), -1);
	assert_string_equal(code, "over_budget");
	assert_non_null(strstr(err.msg, "200.00 USD is above what the budgets leave today: 100.00 "
	    "USD (daily budget of meta)"));
	assert_int_equal(ad_new(t->s, 0, "USD", id, code, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_ads"), 0);
	/* Exactly what is left fits; the next ad sees what the first may spend today. */
	assert_int_equal(ad_new(t->s, 10000, "USD", id, code, &err), 0);
	assert_int_equal(ad_new(t->s, 1, "USD", id2, code, &err), -1);
	assert_string_equal(code, "over_budget");
	assert_non_null(strstr(err.msg, "leave today: 0.00 USD"));
	/* A failed ad counts no more. */
	exec_ok(t->s, "UPDATE outreach_ads SET state = 'failed'");
	assert_int_equal(ad_new(t->s, 4000, "USD", id2, code, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM jobs WHERE kind = 'ad_create'"), 2);
	/* A paused budget refuses before the amounts. */
	assert_int_equal(spend_record(t->s, "jb_spentspentspentspentspent", "meta", 10000, "USD",
	    NOW, &err), SPEND_RECORDED);
	assert_int_equal(ad_new(t->s, 1, "USD", id2, code, &err), -1);
	assert_string_equal(code, "budget_paused");
}

static void
test_steps_and_states(void **state)
{
	struct test_ctx *t = *state;
	char id[OUTREACH_AD_ID_SIZE], code[OUTREACH_AD_CODE_SIZE], state8[8];
	struct bos_err err = { 0 };
	struct outreach_ad a;
	struct outreach_ad_job aj;
	struct job_info j;
	int64_t nb;

	budget(t->s, 10000, "USD");
	assert_int_equal(ad_new(t->s, 3000, "USD", id, code, &err), 0);
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "creating");
	assert_int_equal(outreach_ad_pause(t->s, id, "alice", NOW, job_queue_ad, code, &err), -1);
	assert_string_equal(code, "ad_state");
	assert_int_equal(claim(t->s, "ad_create", NOW, &j), 1);
	assert_string_equal(j.ad, id);
	aj = (struct outreach_ad_job){ j.id, j.kind, j.ad };
	assert_int_equal(outreach_ad_step(t->s, &aj, "adset", "begin", NULL, NOW, code, &err), -1);
	assert_string_equal(code, "step_order");
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "done", "1", NOW, code, &err), -1);
	assert_string_equal(code, "step_order");
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "begin", NULL, NOW, code, &err), 0);
	/* Meta refused the call: nothing was made, the step may begin again. */
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "refused", "7", NOW, code, &err), -1);
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "refused", NULL, NOW, code, &err), 0);
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "refused", NULL, NOW, code, &err), -1);
	assert_string_equal(code, "step_order");
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "begin", NULL, NOW, code, &err), 0);
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "done", "1x", NOW, code, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "done", "101", NOW, code, &err), 0);
	assert_int_equal(outreach_ad_step(t->s, &aj, "adset", "begin", NULL, NOW, code, &err), 0);
	assert_int_equal(outreach_ad_step(t->s, &aj, "adset", "done", "102", NOW, code, &err), 0);
	assert_int_equal(outreach_ad_step(t->s, &aj, "creative", "begin", NULL, NOW, code, &err), 0);
	assert_int_equal(outreach_ad_step(t->s, &aj, "creative", "done", "103", NOW, code, &err), 0);
	assert_int_equal(outreach_ad_step(t->s, &aj, "ad", "begin", NULL, NOW, code, &err), 0);
	/* Meta's ids are digits; one that passes Luhn is still an id (no card check). */
	assert_int_equal(outreach_ad_step(t->s, &aj, "ad", "done", "4111111111111111", NOW, code,
	    &err), 0);
	get(t->s, id, NOW, &a);
	assert_string_equal(a.meta[0], "101");
	assert_string_equal(a.meta[3], "4111111111111111");
	assert_string_equal(a.pending, "");
	/* The ids must be the recorded ones; the completion is rolled back otherwise. */
	assert_int_equal(complete(t->s, &j, "{\"campaign\":\"101\",\"adset\":\"102\",\"creative\":"
	    "\"103\",\"ad\":\"999\"}", NOW, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(job_complete(t->s, &(struct job_done){ j.id, BROKER, j.claim, "{}", 5,
	    "USD" }, NOW, &(int){ 0 }, &(int){ 0 }, &err), -1);
	/* Exactly the four keys: nothing free-form comes along (a card number, say). */
	assert_int_equal(complete(t->s, &j, "{\"campaign\":\"101\",\"adset\":\"102\",\"creative\":"
	    "\"103\",\"ad\":\"4111111111111111\",\"note\":\"5500000000000004\"}", NOW, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(complete(t->s, &j, "{\"campaign\":\"101\",\"adset\":\"102\",\"creative\":"
	    "\"103\",\"ad\":\"4111111111111111\"}", NOW, &err), 0);
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "active");
	/* Pause and resume through their jobs. */
	assert_int_equal(outreach_ad_pause(t->s, id, "alice", NOW, job_queue_ad, code, &err), 0);
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "pausing");
	assert_string_equal(a.pause_reason, "admin");
	assert_int_equal(claim(t->s, "ad_pause", NOW, &j), 1);
	assert_string_equal(j.ad, id);
	/* No Meta id in params (the broker reads them from the ad-job). */
	assert_null(strstr(j.params, "campaign"));
	assert_int_equal(complete(t->s, &j, "{\"note\":\"4111111111111111\"}", NOW, &err), -1);
	assert_int_equal(complete(t->s, &j, "{}", NOW, &err), 0);
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "paused");
	assert_int_equal(a.paused_at, NOW);
	assert_int_equal(outreach_ad_resume(t->s, id, "alice", NOW, job_queue_ad, code, &err), 0);
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "resuming");
	/* A resume that dies puts it back to paused, with a warning. */
	assert_int_equal(claim(t->s, "ad_activate", NOW, &j), 1);
	assert_int_equal(job_fail(t->s, j.id, BROKER, j.claim, "meta: bad token (code 190)", 0, 0,
	    NOW, state8, &nb, &err), 0);
	assert_string_equal(state8, "dead");
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "paused");
	assert_string_equal(a.pause_reason, "admin");
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts WHERE kind = 'ad_resume_failed'"
	    " AND severity = 'warning'"), 1);
	/* A pause that dies puts it back to active, critical. */
	exec_ok(t->s, "UPDATE outreach_ads SET state = 'active', pause_reason = NULL");
	assert_int_equal(outreach_ad_pause(t->s, id, "alice", NOW, job_queue_ad, code, &err), 0);
	assert_int_equal(claim(t->s, "ad_pause", NOW, &j), 1);
	assert_int_equal(job_fail(t->s, j.id, BROKER, j.claim, "meta: down", 0, 0, NOW, state8, &nb,
	    &err), 0);
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "active");
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts WHERE kind = 'ad_pause_failed'"
	    " AND severity = 'critical'"), 1);
}

static void
test_outcome_unknown(void **state)
{
	struct test_ctx *t = *state;
	char id[OUTREACH_AD_ID_SIZE], code[OUTREACH_AD_CODE_SIZE], state8[8];
	struct bos_err err = { 0 };
	struct outreach_ad a;
	struct outreach_ad_job aj;
	struct job_info j;
	int64_t nb;

	budget(t->s, 10000, "USD");
	assert_int_equal(ad_new(t->s, 3000, "USD", id, code, &err), 0);
	assert_int_equal(claim(t->s, "ad_create", NOW, &j), 1);
	aj = (struct outreach_ad_job){ j.id, j.kind, j.ad };
	assert_int_equal(outreach_ad_job_ad(t->s, &aj, NOW, &a, code, &err), 0);
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "begin", NULL, NOW, code, &err), 0);
	/* A second begin while one is pending: the outcome of the first is unknown. */
	assert_int_equal(outreach_ad_step(t->s, &aj, "campaign", "begin", NULL, NOW, code, &err), -1);
	assert_string_equal(code, "outcome_unknown");
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "failed");
	assert_non_null(strstr(a.error, "campaign is unknown"));
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts WHERE kind = 'ad_unknown'"), 1);
	/* The GET of the next attempt says so too; the job dies without changing the ad. */
	assert_int_equal(outreach_ad_job_ad(t->s, &aj, NOW, &a, code, &err), -1);
	assert_string_equal(code, "ad_state");
	assert_int_equal(job_fail(t->s, j.id, BROKER, j.claim, "outcome unknown", 0, 0, NOW, state8,
	    &nb, &err), 0);
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "failed");
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts WHERE kind = 'ad_failed'"), 0);
	/* An ad_create that dies while creating: failed, with its error. */
	assert_int_equal(ad_new(t->s, 3000, "USD", id, code, &err), 0);
	assert_int_equal(claim(t->s, "ad_create", NOW, &j), 1);
	assert_int_equal(job_fail(t->s, j.id, BROKER, j.claim, "meta: refused (code 100)", 0, 0,
	    NOW, state8, &nb, &err), 0);
	get(t->s, id, NOW, &a);
	assert_string_equal(a.state, "failed");
	assert_string_equal(a.error, "meta: refused (code 100)");
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts WHERE kind = 'ad_failed'"), 1);
}

#define AD1 "ad_aaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
test_insights_and_sweep(void **state)
{
	struct test_ctx *t = *state;
	char result[160], today[11] = "2026-12-07";
	struct bos_err err = { 0 };
	unsigned q = 9, p = 9;
	struct outreach_ad a;
	struct job_info j, j2;
	int dup = 0, mm = 0;

	budget(t->s, 10000, "USD");
	ad_active(t->s, AD1, 3000);
	/* The first sweep of the day: today, and the day before (the ad is older than today). */
	assert_int_equal(outreach_ad_sweep(t->s, NOW, 3600, job_queue_ad, &q, &p, &err), 0);
	assert_int_equal(q, 2);
	assert_int_equal(p, 0);
	assert_int_equal(outreach_ad_sweep(t->s, NOW + 59, 3600, job_queue_ad, &q, &p, &err), 0);
	assert_int_equal(q, 0);
	assert_int_equal(outreach_ad_sweep(t->s, NOW + 3600, 3600, job_queue_ad, &q, &p, &err), 0);
	assert_int_equal(q, 1);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM jobs WHERE kind = 'ad_insights' AND"
	    " params LIKE '%\"day\":\"2026-12-06\"%'"), 1);
	exec_ok(t->s, "DELETE FROM jobs WHERE params LIKE '%2026-12-06%'");
	assert_int_equal(claim(t->s, "ad_insights", NOW, &j), 1);
	assert_non_null(strstr(j.params, today));
	/* Another day than the job's, a spend that is not a decimal: refused, nothing written. */
	assert_int_equal(complete(t->s, &j, "{\"day\":\"2026-12-01\",\"spend\":\"1\",\"currency\":"
	    "\"USD\"}", NOW, &err), -1);
	assert_int_equal(complete(t->s, &j, "{\"day\":\"2026-12-07\",\"spend\":\"-1\",\"currency\":"
	    "\"USD\"}", NOW, &err), -1);
	(void)snprintf(result, sizeof(result), "{\"day\":\"%s\",\"spend\":\"12.349\",\"currency\":"
	    "\"USD\"}", today);
	assert_int_equal(complete(t->s, &j, result, NOW, &err), 0);
	get(t->s, AD1, NOW, &a);
	assert_int_equal(a.spent, 1234);
	assert_int_equal(a.spent_today, 1234);
	assert_int_equal(int_of(t->s, "SELECT sum(amount) FROM spend WHERE service = 'meta'"), 1234);
	/* The same completion again: a duplicate, nothing more. */
	assert_int_equal(job_complete(t->s, &(struct job_done){ j.id, BROKER, j.claim, result, 0,
	    NULL }, NOW, &dup, &mm, &err), 0);
	assert_int_equal(dup, 1);
	assert_int_equal(int_of(t->s, "SELECT sum(amount) FROM spend WHERE service = 'meta'"), 1234);
	/* A smaller figure: nothing; another currency: nothing, alert ad_currency. */
	assert_int_equal(claim(t->s, "ad_insights", NOW + 3600, &j2), 1);
	(void)snprintf(result, sizeof(result), "{\"day\":\"%s\",\"spend\":\"99\",\"currency\":"
	    "\"EUR\"}", today);
	assert_int_equal(complete(t->s, &j2, result, NOW + 3600, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts WHERE kind = 'ad_currency' AND"
	    " severity = 'critical'"), 1);
	assert_int_equal(int_of(t->s, "SELECT sum(amount) FROM spend WHERE service = 'meta'"), 1234);
	/* 100 % of the budget: the budget pauses, the active ad gets its pause job at once. */
	assert_int_equal(outreach_ad_sweep(t->s, NOW + 7200, 3600, job_queue_ad, &q, &p, &err), 0);
	assert_int_equal(claim(t->s, "ad_insights", NOW + 7200, &j), 1);
	(void)snprintf(result, sizeof(result), "{\"day\":\"%s\",\"spend\":\"100.00\",\"currency\":"
	    "\"USD\"}", today);
	assert_int_equal(complete(t->s, &j, result, NOW + 7200, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT sum(amount) FROM spend WHERE service = 'meta'"),
	    10000);
	get(t->s, AD1, NOW + 7200, &a);
	assert_string_equal(a.state, "pausing");
	assert_string_equal(a.pause_reason, "budget");
	/* An ad_create is not handed out under the paused budget; the pause is. */
	exec_ok(t->s, "INSERT INTO outreach_ads (id, name, credential, account, post, objective,"
	    " countries, special_ad_categories, daily_budget, currency, state, created_by,"
	    " created_at, updated_at) VALUES ('ad_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'W', '" CRED "',"
	    " 'act_1', '1_2', 'OUTCOME_TRAFFIC', '[\"US\"]', '[]', 100, 'USD', 'creating', 'alice',"
	    " 1, 1)");
	exec_ok(t->s, "INSERT INTO jobs (id, kind, service, credential, params, idempotency_key,"
	    " state, max_attempts, not_before, created_at, updated_at, created_by, ad) VALUES"
	    " ('jb_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'ad_create', 'meta', '" CRED "', '{}', 'w-1',"
	    " 'queued', 5, 1, 1, 1, 'alice', 'ad_bbbbbbbbbbbbbbbbbbbbbbbbbb')");
	assert_int_equal(claim(t->s, "ad_create", NOW + 7200, &j), 0);
	assert_int_equal(claim(t->s, "ad_pause", NOW + 7200, &j), 1);
	assert_string_equal(j.ad, AD1);
	/* The sweep pauses an ad still active under a paused budget. */
	exec_ok(t->s, "UPDATE outreach_ads SET state = 'active', pause_reason = NULL WHERE id = '"
	    AD1 "'");
	assert_int_equal(outreach_ad_sweep(t->s, NOW + 7300, 3600, job_queue_ad, &q, &p, &err), 0);
	assert_int_equal(p, 1);
	get(t->s, AD1, NOW + 7300, &a);
	assert_string_equal(a.state, "pausing");
	/* Only the ad kinds carry an ad; a job cannot be queued for one by hand. */
	assert_int_equal(job_create(t->s, &(struct job_new){ .kind = "ad_pause", .service = "meta",
	    .est_amount = -1, .created_by = "alice" }, NOW, j.id, &dup, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
}

static void
test_spend_parse(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(outreach_ad_spend_parse("12.345", 2, &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(outreach_ad_spend_parse("12", 2, &v), 0);
	assert_int_equal(v, 1200);
	assert_int_equal(outreach_ad_spend_parse("7.5", 0, &v), 0);       /* JPY */
	assert_int_equal(v, 7);
	assert_int_equal(outreach_ad_spend_parse("1.2345", 3, &v), 0);    /* KWD */
	assert_int_equal(v, 1234);
	assert_int_equal(outreach_ad_spend_parse("999999999999.999999", 2, &v), 0);
	assert_int_equal(v, 99999999999999);
	assert_int_equal(outreach_ad_spend_parse("1234567890123", 2, &v), -1);
	assert_int_equal(outreach_ad_spend_parse("1.1234567", 2, &v), -1);
	assert_int_equal(outreach_ad_spend_parse("1.", 2, &v), -1);
	assert_int_equal(outreach_ad_spend_parse(".5", 2, &v), -1);
	assert_int_equal(outreach_ad_spend_parse("-1", 2, &v), -1);
	assert_int_equal(outreach_ad_spend_parse("1e3", 2, &v), -1);
	assert_int_equal(outreach_ad_spend_parse("", 2, &v), -1);
}


/* ---- schema 10 to 11 -------------------------------------------------------------- */

static void
old_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

#define J1 "jb_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define J2 "jb_bbbbbbbbbbbbbbbbbbbbbbbbbb"
#define J3 "jb_cccccccccccccccccccccccccc"

static void
test_migrate_v10_keeps_jobs(void **state)
{
	const struct schema_migration *m;
	char dir[] = "/tmp/bos-test-ad-v10-XXXXXX", path[128], sql[160], keysql[128];
	uint8_t key[STORE_KEY_LEN];
	struct store *s = NULL;
	struct bos_err err = { 0 };
	struct job_info j;
	sqlite3 *db = NULL;
	size_t n, i;
	int k;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bos.db", dir);
	k = snprintf(keysql, sizeof(keysql), "PRAGMA key = \"x'");
	for (i = 0; i < STORE_KEY_LEN; i++) {
		key[i] = (uint8_t)(0x71 + i);
		k += snprintf(keysql + k, sizeof(keysql) - (size_t)k, "%02x", key[i]);
	}
	snprintf(keysql + k, sizeof(keysql) - (size_t)k, "'\"");
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL), SQLITE_OK);
	old_exec(db, keysql);
	old_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE schema_migrations ("
	    " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
	m = schema_migrations(&n);
	assert_int_equal(n, 11);
	for (i = 0; i < 10; i++) {
		old_exec(db, m[i].sql);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, 1)",
		    m[i].version);
		old_exec(db, sql);
	}
	/* Schema 10's rows: a claimed verify job with a lease, a campaign's send, a notice's. */
	old_exec(db, "PRAGMA foreign_keys = ON;"
	    "INSERT INTO credentials (id, name, type, service, metadata, current_version,"
	    " created_at, updated_at) VALUES ('" CRED "', 'mail', 'api_key', 'smtp', '{}', 1, 1, 1);"
	    "INSERT INTO brokers (id, role, name, accessor, token_hash, created_by, created_at)"
	    " VALUES ('" BROKER "', 'outreach', 'b', 'acc_aaaaaaaaaaaaaaaaaaaa', zeroblob(32),"
	    " 'alice', 1);"
	    "INSERT INTO jobs (id, kind, service, credential, params, idempotency_key, state,"
	    " attempts, max_attempts, not_before, claimed_by, claim, visible_until, created_at,"
	    " updated_at, created_by) VALUES ('" J1 "', 'verify', 'smtp', '" CRED "', '{}', 'k1',"
	    " 'claimed', 1, 5, 1, '" BROKER "', 'cl_aaaaaaaaaaaaaaaaaaaaaaaaaa', 9999999999, 1, 1,"
	    " 'alice');"
	    "INSERT INTO leases (id, broker_id, credential_id, job_id, purpose, created_at,"
	    " expires_at) VALUES ('ls_aaaaaaaaaaaaaaaaaaaaaaaaaa', '" BROKER "', '" CRED "', '" J1 "',"
	    " 'verify', 1, 31);"
	    "INSERT INTO outreach_lists (id, name, created_by, created_at, updated_at) VALUES"
	    " ('ol_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'l', 'alice', 1, 1);"
	    "INSERT INTO outreach_contacts (id, list_id, email, name, fields, consent_email,"
	    " consent_sms, created_at) VALUES ('ct_aaaaaaaaaaaaaaaaaaaaaaaaaa',"
	    " 'ol_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'a@example.com', '', '{}', 1, 0, 1);"
	    "INSERT INTO outreach_campaigns (id, channel, list_id, provider, credential, from_addr,"
	    " subject, text_body, per_minute, state, next_send_at, price_micros, currency,"
	    " recipients, skipped, created_by, created_at, updated_at) VALUES"
	    " ('cp_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'email', 'ol_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'smtp',"
	    " '" CRED "', 'f@example.com', 's', 't', 10, 'running', 1, 0, 'USD', 1, 0, 'alice', 1,"
	    " 1);"
	    "INSERT INTO jobs (id, kind, service, credential, params, idempotency_key, state,"
	    " max_attempts, not_before, created_at, updated_at, created_by, campaign) VALUES"
	    " ('" J2 "', 'send_email', 'smtp', '" CRED "', '{}', 'k2', 'queued', 5, 1, 1, 1,"
	    " 'alice', 'cp_aaaaaaaaaaaaaaaaaaaaaaaaaa');"
	    "INSERT INTO outreach_messages (id, campaign_id, contact_id, job_id, to_addr, token,"
	    " state, updated_at) VALUES ('om_aaaaaaaaaaaaaaaaaaaaaaaaaa',"
	    " 'cp_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'ct_aaaaaaaaaaaaaaaaaaaaaaaaaa', '" J2 "',"
	    " 'a@example.com', 'AAAAAAAAAAAAAAAAAAAAAA', 'queued', 1);"
	    "INSERT INTO jobs (id, kind, service, credential, params, idempotency_key, state,"
	    " max_attempts, not_before, created_at, updated_at, created_by, notice) VALUES"
	    " ('" J3 "', 'send_email', 'smtp', '" CRED "', '{}', 'k3', 'queued', 5, 1, 1, 1,"
	    " 'alice', 'on_aaaaaaaaaaaaaaaaaaaaaaaaaa');"
	    "INSERT INTO outreach_notices (id, kind, channel, to_addr, provider, credential,"
	    " from_addr, subject, text_body, token, state, job_id, created_by, created_at,"
	    " updated_at) VALUES ('on_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'alert', 'email',"
	    " 'ops@example.com', 'smtp', '" CRED "', 'v@example.com', 's', 't',"
	    " 'BBBBBBBBBBBBBBBBBBBBBB', 'queued', '" J3 "', 'alice', 1, 1)");
	sqlite3_close(db);
	if (store_open(path, key, 0, &s, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	assert_int_equal(store_schema_version(s), 11);
	assert_int_equal(job_get(s, J1, &j, &err), 0);
	assert_string_equal(j.state, "claimed");
	assert_string_equal(j.ad, "");
	assert_int_equal(job_get(s, J2, &j, &err), 0);
	assert_string_equal(j.campaign, "cp_aaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(job_get(s, J3, &j, &err), 0);
	assert_string_equal(j.notice, "on_aaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(int_of(s, "SELECT count(*) FROM leases WHERE job_id = '" J1 "'"), 1);
	assert_int_equal(int_of(s, "SELECT count(*) FROM outreach_messages WHERE job_id = '" J2
	    "'"), 1);
	assert_int_equal(int_of(s, "SELECT count(*) FROM outreach_notices WHERE job_id = '" J3
	    "'"), 1);
	assert_int_equal(int_of(s, "PRAGMA foreign_key_check"), -1);   /* no row */
	/* The rebuilt table's rules: an ad kind needs its ad, and only it has one. */
	assert_int_not_equal(sqlite3_exec(store_db(s), "INSERT INTO jobs (id, kind, service,"
	    " params, idempotency_key, state, max_attempts, not_before, created_at, updated_at,"
	    " created_by) VALUES ('jb_dddddddddddddddddddddddddd', 'ad_pause', 'meta', '{}',"
	    " 'k4', 'queued', 5, 1, 1, 1, 'alice')", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(store_db(s), "INSERT INTO jobs (id, kind, service,"
	    " params, idempotency_key, state, max_attempts, not_before, created_at, updated_at,"
	    " created_by, ad) VALUES ('jb_dddddddddddddddddddddddddd', 'verify', 'meta', '{}',"
	    " 'k4', 'queued', 5, 1, 1, 1, 'alice', 'ad_aaaaaaaaaaaaaaaaaaaaaaaaaa')", NULL, NULL,
	    NULL), SQLITE_OK);
	store_fixture_remove(s, dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_money_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steps_and_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcome_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insights_and_sweep, setup, teardown),
		cmocka_unit_test(test_spend_parse),
		cmocka_unit_test(test_migrate_v10_keeps_jobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
