/*
 * Unit tests for brokers, the job queue and leases (vault/store/broker.c,
 * job.c, lease.c; docs/BROKERS.md) against a real SQLCipher database in a
 * temporary directory. Time is passed in, so backoffs, visibility timeouts
 * and lease expiry need no waiting. Every state change is checked with its
 * refusals: another claim, another broker, a done or dead job, bad input
 * (nothing written), a spend the ledger refuses (the completion rolled
 * back), a paused budget (nothing claimed).
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
#include "store/broker.h"
#include "store/budget.h"
#include "store/job.h"
#include "store/lease.h"
#include "store/spend.h"
#include "store/store.h"
#include "store_fixture.h"
#include "token.h"

#define T0 1796601600LL       /* 2026-12-07 00:00:00 UTC */
#define VIS 120

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *s;
	char b1[BROKER_ID_SIZE], b2[BROKER_ID_SIZE];
	char tok1[TOKEN_SIZE];
};

static int
setup(void **state)
{
	static struct test_ctx t;
	char acc[TOKEN_ACCESSOR_SIZE], tok[TOKEN_SIZE];
	struct bos_err err = { 0 };

	memset(&t, 0, sizeof(t));
	if (store_fixture_open("jobs", 0x50, t.dir, sizeof(t.dir), t.path, sizeof(t.path),
	    &t.s) != 0)
		return -1;
	if (broker_create(t.s, "outreach", "ob one", "alice", T0, t.b1, t.tok1, acc, &err) != 0 ||
	    broker_create(t.s, "monitor", NULL, "alice", T0, t.b2, tok, acc, &err) != 0) {
		fprintf(stderr, "broker_create: %s\n", err.msg);
		return -1;
	}
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

static int64_t
count(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
job_ok(struct store *s, const char *service, const char *key, uint32_t max, char id[JOB_ID_SIZE],
    int64_t now)
{
	struct job_new n = { "verify", service, NULL, NULL, key, -1, NULL, max, "alice", NULL, NULL, 0, NULL };
	struct bos_err err = { 0 };
	int existed = -1;

	if (job_create(s, &n, now, id, &existed, &err) != 0)
		fail_msg("job_create(%s): %s", service, err.msg);
	assert_int_equal(existed, 0);
}

static const char *const verify_only[] = { "verify" };

/* Each test starts from a queue without open jobs: what earlier tests left is done. */
static void
reset_queue(struct store *s)
{
	assert_int_equal(sqlite3_exec(store_db(s), "DELETE FROM jobs WHERE state IN ('queued',"
	    " 'claimed')", NULL, NULL, NULL), SQLITE_OK);
}

/* claim for broker b at now: 1 claimed (*j), 0 none. */
static int
claim(struct store *s, const char *b, int64_t now, struct job_info *j)
{
	const struct job_claim_req q = { verify_only, 1, b, VIS, 0, NULL, NULL, 0 };
	struct bos_err err = { 0 };
	int r = job_claim(s, &q, now, j, &err);

	if (r < 0)
		fail_msg("job_claim: %s", err.msg);
	return r;
}

static const char *
state_of(struct store *s, const char *id)
{
	static struct job_info j;
	struct bos_err err = { 0 };

	assert_int_equal(job_get(s, id, &j, &err), 0);
	return j.state;
}

/* ---- brokers ------------------------------------------------------------------------ */

static void
test_brokers(void **state)
{
	struct test_ctx *t = *state;
	char id[BROKER_ID_SIZE], tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];
	struct broker_info b;
	struct bos_err err = { 0 };
	int64_t n0 = count(t->s, "SELECT count(*) FROM brokers");

	assert_int_equal(token_check(t->tok1, TOKEN_BROKER), 0);
	assert_int_equal(broker_find_token(t->s, t->tok1, &b, &err), 0);
	assert_string_equal(b.id, t->b1);
	assert_string_equal(b.role, "outreach");
	assert_string_equal(b.name, "ob one");
	assert_int_equal(b.revoked_at, 0);
	/* The default name is the role's; only the hash is stored. */
	assert_int_equal(broker_get(t->s, t->b2, &b, &err), 0);
	assert_string_equal(b.name, "monitor");
	assert_int_equal(count(t->s, "SELECT count(*) FROM brokers WHERE length(token_hash) = 32"),
	    n0);
	/* Refusals write nothing. */
	assert_int_equal(broker_create(t->s, "admin", "x", "alice", T0, id, tok, acc, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(broker_create(t->s, "outreach", " edge", "alice", T0, id, tok, acc, &err),
	    -1);
	assert_int_equal(broker_create(t->s, "outreach", "a/b", "alice", T0, id, tok, acc, &err), -1);
	assert_int_equal(broker_create(t->s, "outreach", "4111 1111 1111 1111", "alice", T0, id, tok,
	    acc, &err), -1);
	assert_int_equal(tok[0], '\0');
	assert_int_equal(count(t->s, "SELECT count(*) FROM brokers"), n0);
	/* An unknown token, a revoked broker. */
	assert_int_equal(token_new(TOKEN_BROKER, tok, sizeof(tok)), 0);
	assert_int_equal(broker_find_token(t->s, tok, &b, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(broker_create(t->s, "hiring", "h", "alice", T0, id, tok, acc, &err), 0);
	assert_int_equal(broker_revoke(t->s, id, "alice", T0 + 5, &err), 0);
	assert_int_equal(broker_revoke(t->s, id, "alice", T0 + 6, &err), -1);
	assert_int_equal(err.code, BOS_E_REVOKED);
	assert_int_equal(broker_find_token(t->s, tok, &b, &err), 0);
	assert_int_equal(b.revoked_at, T0 + 5);
	assert_string_equal(b.revoked_by, "alice");
	assert_int_equal(broker_revoke(t->s, "bk_aaaaaaaaaaaaaaaaaaaaaaaaaa", "alice", T0, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(broker_role_parse("hiring"), BROKER_HIRING);
	assert_int_equal(broker_role_parse("Hiring"), -1);
	assert_int_equal(broker_role_parse(NULL), -1);
}

/* ---- creation and idempotency -------------------------------------------------------- */

static void
test_job_create(void **state)
{
	struct test_ctx *t = *state;
	struct job_new n = { "verify", "sendgrid", NULL, "{\"a\":1}", "key-1", 250, "USD", 0,
	    "alice", NULL, NULL, 0, NULL };
	char id[JOB_ID_SIZE], id2[JOB_ID_SIZE];
	struct job_info j;
	struct bos_err err = { 0 };
	int existed = -1;
	int64_t n0;

	assert_int_equal(job_create(t->s, &n, T0, id, &existed, &err), 0);
	assert_int_equal(existed, 0);
	assert_int_equal(job_get(t->s, id, &j, &err), 0);
	assert_string_equal(j.state, "queued");
	assert_int_equal(j.max_attempts, JOB_ATTEMPTS_DEFAULT);
	assert_int_equal(j.est_amount, 250);
	assert_string_equal(j.params, "{\"a\":1}");
	/* The same key again: the same job, whatever else differs. */
	n.service = "twilio";
	n0 = count(t->s, "SELECT count(*) FROM jobs");
	assert_int_equal(job_create(t->s, &n, T0 + 1, id2, &existed, &err), 0);
	assert_int_equal(existed, 1);
	assert_string_equal(id2, id);
	assert_int_equal(count(t->s, "SELECT count(*) FROM jobs"), n0);
	/* Generated keys differ. */
	n.idempotency_key = NULL;
	assert_int_equal(job_create(t->s, &n, T0, id, &existed, &err), 0);
	assert_int_equal(job_create(t->s, &n, T0, id2, &existed, &err), 0);
	assert_string_not_equal(id, id2);
	assert_int_equal(count(t->s, "SELECT count(*) FROM jobs WHERE idempotency_key LIKE 'idem_%'"),
	    2);
	/* Bad input: nothing written. */
	n0 = count(t->s, "SELECT count(*) FROM jobs");
	{
		struct job_new bad[] = {
			{ "nope", "sendgrid", NULL, NULL, NULL, -1, NULL, 0, "alice", NULL, NULL, 0, NULL },
			{ "verify", "Send Grid", NULL, NULL, NULL, -1, NULL, 0, "alice", NULL, NULL, 0, NULL },
			{ "verify", "", NULL, NULL, NULL, -1, NULL, 0, "alice", NULL, NULL, 0, NULL },
			{ "verify", "sendgrid", NULL, "[1]", NULL, -1, NULL, 0, "alice", NULL, NULL, 0, NULL },
			{ "verify", "sendgrid", NULL, NULL, "a b", -1, NULL, 0, "alice", NULL, NULL, 0, NULL },
			{ "verify", "sendgrid", NULL, NULL, NULL, 5, NULL, 0, "alice", NULL, NULL, 0, NULL },
			{ "verify", "sendgrid", NULL, NULL, NULL, -1, "USD", 0, "alice", NULL, NULL, 0, NULL },
			{ "verify", "sendgrid", NULL, NULL, NULL, 5, "usd", 0, "alice", NULL, NULL, 0, NULL },
			{ "verify", "sendgrid", NULL, NULL, NULL, -1, NULL, 101, "alice", NULL, NULL, 0, NULL },
			{ "verify", "sendgrid", "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL, -1, NULL, 0,
			    "alice", NULL, NULL, 0, NULL },
			{ "verify", "sendgrid", NULL, "{\"n\":\"4111 1111 1111 1111\"}", NULL, -1, NULL,
			    0, "alice", NULL, NULL, 0, NULL },
			{ "verify", "sendgrid", NULL, NULL, "4111-1111-1111-1111", -1, NULL, 0, "alice", NULL, NULL, 0, NULL },
		};
		size_t i;

		for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
			if (job_create(t->s, &bad[i], T0, id, &existed, &err) == 0)
				fail_msg("bad job %zu was queued", i);
		}
	}
	assert_int_equal(count(t->s, "SELECT count(*) FROM jobs"), n0);
	assert_int_equal(job_kind_valid("verify"), 1);
	assert_int_equal(job_kind_valid("Verify"), 0);
	assert_int_equal(job_kind_valid(NULL), 0);
}

/* ---- claim, heartbeat, complete --------------------------------------------------------- */

static int
refuse_stripe(const struct job_info *j, void *arg, char *why, size_t cap)
{
	(void)arg;
	(void)snprintf(why, cap, "no");
	return strcmp(j->service, "stripe") != 0;
}

static void
test_claim_complete(void **state)
{
	struct test_ctx *t = *state;
	char a[JOB_ID_SIZE], b[JOB_ID_SIZE], claim_a[JOB_CLAIM_SIZE];
	struct job_info j, k;
	struct bos_err err = { 0 };
	int64_t until = 0;
	int dup = -1, mis = -1;

	reset_queue(t->s);
	job_ok(t->s, "stripe", "s-1", 0, a, T0);
	job_ok(t->s, "sendgrid", "g-1", 0, b, T0);
	/* The eligibility callback refuses the older stripe job: the sendgrid one is taken. */
	{
		const struct job_claim_req dry = { verify_only, 1, t->b1, VIS, 1, refuse_stripe, NULL, 0 };
		const struct job_claim_req q = { verify_only, 1, t->b1, VIS, 0, refuse_stripe, NULL, 0 };

		assert_int_equal(job_claim(t->s, &dry, T0, &j, &err), 1);
		assert_string_equal(j.id, b);
		assert_string_equal(state_of(t->s, b), "queued");   /* a dry run writes nothing */
		assert_int_equal(job_claim(t->s, &q, T0, &j, &err), 1);
		assert_string_equal(j.id, b);
	}
	assert_string_equal(j.state, "claimed");
	assert_int_equal(j.attempts, 1);
	assert_int_equal(j.visible_until, T0 + VIS);
	assert_memory_equal(j.claim, "cl_", 3);
	memcpy(claim_a, j.claim, sizeof(claim_a));
	/* Oldest first without a filter; no kind wanted: nothing. */
	assert_int_equal(claim(t->s, t->b2, T0, &k), 1);
	assert_string_equal(k.id, a);
	{
		const struct job_claim_req none = { verify_only, 0, t->b1, VIS, 0, NULL, NULL, 0 };

		assert_int_equal(job_claim(t->s, &none, T0, &k, &err), 0);
	}
	/* Heartbeat: only the holder with its claim. */
	assert_int_equal(job_heartbeat(t->s, b, t->b1, claim_a, T0 + 60, VIS, &until, &err), 0);
	assert_int_equal(until, T0 + 60 + VIS);
	assert_int_equal(job_heartbeat(t->s, b, t->b2, claim_a, T0 + 61, VIS, &until, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(job_heartbeat(t->s, b, t->b1, "cl_aaaaaaaaaaaaaaaaaaaaaaaaaa", T0 + 61, VIS,
	    &until, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(job_claim_held(t->s, b, t->b1, NULL, 1, T0 + 60 + VIS - 1, &k, &err), 0);
	assert_int_equal(job_claim_held(t->s, b, t->b1, NULL, 1, T0 + 60 + VIS, &k, &err), -1);
	/* Complete: a bad result, another broker, then the holder; again: a duplicate. */
	{
		struct job_done d = { b, t->b1, claim_a, "[1]", 0, NULL };

		assert_int_equal(job_complete(t->s, &d, T0 + 70, &dup, &mis, &err), -1);
		assert_int_equal(err.code, BOS_E_INVALID);
		d.result_json = "{\"account\":\"4111111111111111\"}";
		assert_int_equal(job_complete(t->s, &d, T0 + 70, &dup, &mis, &err), -1);
		assert_int_equal(err.code, BOS_E_INVALID);
		d.result_json = "{\"ok\":true}";
		d.broker_id = t->b2;
		assert_int_equal(job_complete(t->s, &d, T0 + 70, &dup, &mis, &err), -1);
		assert_int_equal(err.code, BOS_E_EXISTS);
		assert_string_equal(state_of(t->s, b), "claimed");
		d.broker_id = t->b1;
		d.spend_amount = 300;
		d.spend_currency = "USD";
		assert_int_equal(job_complete(t->s, &d, T0 + 70, &dup, &mis, &err), 0);
		assert_int_equal(dup, 0);
		assert_string_equal(state_of(t->s, b), "done");
		assert_int_equal(count(t->s, "SELECT sum(amount) FROM spend WHERE service = 'sendgrid'"),
		    300);
		assert_int_equal(job_complete(t->s, &d, T0 + 71, &dup, &mis, &err), 0);
		assert_int_equal(dup, 1);
		assert_int_equal(count(t->s, "SELECT sum(amount) FROM spend WHERE service = 'sendgrid'"),
		    300);
		d.claim = "cl_aaaaaaaaaaaaaaaaaaaaaaaaaa";
		assert_int_equal(job_complete(t->s, &d, T0 + 72, &dup, &mis, &err), -1);
		assert_int_equal(err.code, BOS_E_EXISTS);
	}
	assert_int_equal(job_get(t->s, b, &k, &err), 0);
	assert_string_equal(k.result, "{\"ok\":true}");
	assert_int_equal(k.finished_at, T0 + 70);
}

/* Jobs a broker may not have cannot hide one it may: 40 older stripe jobs, then sendgrid. */
static void
test_claim_pages(void **state)
{
	struct test_ctx *t = *state;
	const struct job_claim_req q = { verify_only, 1, t->b1, VIS, 0, refuse_stripe, NULL, 0 };
	char id[JOB_ID_SIZE], key[32];
	struct job_info j;
	struct bos_err err = { 0 };
	int i;

	reset_queue(t->s);
	for (i = 0; i < 40; i++) {
		(void)snprintf(key, sizeof(key), "stripe-%d", i);
		job_ok(t->s, "stripe", key, 0, id, T0);
	}
	job_ok(t->s, "sendgrid", "behind-40", 0, id, T0 + 1);
	assert_int_equal(job_claim(t->s, &q, T0 + 2, &j, &err), 1);
	assert_string_equal(j.id, id);
	reset_queue(t->s);
}

/* A spend the ledger refuses rolls the completion back. */
static void
test_complete_rolls_back(void **state)
{
	struct test_ctx *t = *state;
	struct budget_set bs = { "mailgun", 10000, BUDGET_NONE, "USD", "alice" };
	char id[JOB_ID_SIZE];
	struct job_info j;
	struct bos_err err = { 0 };
	int dup, mis = 0;

	assert_int_equal(budget_put(t->s, &bs, T0, &err), 0);
	job_ok(t->s, "mailgun", "m-1", 0, id, T0);
	while (claim(t->s, t->b1, T0, &j) == 1 && strcmp(j.id, id) != 0)
		;
	assert_string_equal(j.id, id);
	{
		struct job_done d = { id, t->b1, j.claim, "{}", 5, "EUR" };

		assert_int_equal(job_complete(t->s, &d, T0 + 1, &dup, &mis, &err), -1);
		assert_int_equal(mis, 1);
		assert_string_equal(state_of(t->s, id), "claimed");
		assert_int_equal(count(t->s, "SELECT count(*) FROM spend WHERE job_id = (SELECT id "
		    "FROM jobs WHERE idempotency_key = 'm-1')"), 0);
		d.spend_currency = "USD";
		assert_int_equal(job_complete(t->s, &d, T0 + 2, &dup, &mis, &err), 0);
		assert_string_equal(state_of(t->s, id), "done");
	}
}

/* A paused service's jobs are not handed out. */
static void
test_claim_budget(void **state)
{
	struct test_ctx *t = *state;
	struct budget_set bs = { "openai", 0, BUDGET_NONE, "USD", "alice" };
	char id[JOB_ID_SIZE];
	struct job_info j;
	struct bos_err err = { 0 };

	reset_queue(t->s);
	job_ok(t->s, "openai", "o-1", 0, id, T0);
	assert_int_equal(claim(t->s, t->b2, T0, &j), 1);    /* no budget yet */
	assert_string_equal(j.id, id);
	{
		struct job_done d = { id, t->b2, j.claim, "{}", 0, NULL };
		int dup, mis;

		assert_int_equal(job_complete(t->s, &d, T0, &dup, &mis, &err), 0);
	}
	assert_int_equal(budget_put(t->s, &bs, T0, &err), 0);
	job_ok(t->s, "openai", "o-2", 0, id, T0);
	assert_int_equal(claim(t->s, t->b2, T0 + 1, &j), 0);
	assert_string_equal(state_of(t->s, id), "queued");
}

/* ---- fail, backoff, dead, expiry ---------------------------------------------------------- */

static void
test_fail_backoff_dead(void **state)
{
	struct test_ctx *t = *state;
	char id[JOB_ID_SIZE], st[8];
	struct job_info j;
	struct bos_err err = { 0 };
	int64_t nb = 0, now = T0 + 1000, a0;
	uint32_t i;

	assert_int_equal(job_backoff(1), 2);
	assert_int_equal(job_backoff(2), 4);
	assert_int_equal(job_backoff(8), 256);
	assert_int_equal(job_backoff(9), 300);
	assert_int_equal(job_backoff(4000000000u), 300);
	reset_queue(t->s);
	job_ok(t->s, "twilio", "t-flaky", 3, id, now);
	a0 = count(t->s, "SELECT count(*) FROM alerts WHERE kind = 'job_dead'");
	for (i = 1; i <= 3; i++) {
		assert_int_equal(claim(t->s, t->b1, now, &j), 1);
		assert_string_equal(j.id, id);
		assert_int_equal(j.attempts, i);
		assert_int_equal(job_fail(t->s, id, t->b2, j.claim, "x", 1, 0, now, st, &nb, &err),
		    -1);   /* not the holder */
		assert_int_equal(job_fail(t->s, id, t->b1, j.claim, "bad\nline", 1, 0, now, st, &nb,
		    &err), -1);
		assert_int_equal(err.code, BOS_E_INVALID);
		assert_int_equal(job_fail(t->s, id, t->b1, j.claim, "card 4111 1111 1111 1111", 1, 0,
		    now, st, &nb, &err), -1);
		assert_int_equal(job_fail(t->s, id, t->b1, j.claim, "503 from provider", 1, 0, now,
		    st, &nb, &err), 0);
		if (i < 3) {
			assert_string_equal(st, "queued");
			assert_int_equal(nb, now + job_backoff(i));
			/* Not before the backoff ends. */
			assert_int_equal(claim(t->s, t->b1, nb - 1, &j), 0);
			now = nb;
		}
	}
	assert_string_equal(st, "dead");
	assert_int_equal(count(t->s, "SELECT count(*) FROM alerts WHERE kind = 'job_dead'"), a0 + 1);
	/* retry false: dead at once; a floor (Retry-After) raises the backoff. */
	job_ok(t->s, "twilio", "t-once", 3, id, now);
	assert_int_equal(claim(t->s, t->b1, now, &j), 1);
	assert_int_equal(job_fail(t->s, id, t->b1, j.claim, "401", 0, 0, now, st, &nb, &err), 0);
	assert_string_equal(st, "dead");
	assert_int_equal(count(t->s, "SELECT count(*) FROM alerts WHERE kind = 'job_dead'"), a0 + 2);
	job_ok(t->s, "twilio", "t-floor", 3, id, now);
	assert_int_equal(claim(t->s, t->b1, now, &j), 1);
	assert_int_equal(job_fail(t->s, id, t->b1, j.claim, "429", 1, 60, now, st, &nb, &err), 0);
	assert_int_equal(nb, now + 60);
}

static void
test_expiry(void **state)
{
	struct test_ctx *t = *state;
	char id[JOB_ID_SIZE], old[JOB_CLAIM_SIZE];
	struct job_info j;
	struct bos_err err = { 0 };
	unsigned rq = 9, dd = 9;
	int64_t now = T0 + 5000, a0;
	int dup, mis;

	reset_queue(t->s);
	job_ok(t->s, "sendgrid", "e-1", 2, id, now);
	assert_int_equal(claim(t->s, t->b1, now, &j), 1);
	memcpy(old, j.claim, sizeof(old));
	assert_int_equal(job_expire_claims(t->s, now + VIS - 1, &rq, &dd, &err), 0);
	assert_int_equal(rq + dd, 0);
	assert_int_equal(job_expire_claims(t->s, now + VIS, &rq, &dd, &err), 0);
	assert_int_equal(rq, 1);
	assert_string_equal(state_of(t->s, id), "queued");
	/* Taken again by another broker; the old claim is stale. */
	assert_int_equal(claim(t->s, t->b2, now + VIS, &j), 1);
	assert_int_equal(j.attempts, 2);
	{
		struct job_done d = { id, t->b1, old, "{}", 0, NULL };

		assert_int_equal(job_complete(t->s, &d, now + VIS + 1, &dup, &mis, &err), -1);
		assert_int_equal(err.code, BOS_E_EXISTS);
	}
	/* Its last attempt expires: dead, with an alert. */
	a0 = count(t->s, "SELECT count(*) FROM alerts WHERE kind = 'job_dead'");
	assert_int_equal(claim(t->s, t->b1, now + 3 * VIS, &j), 0);   /* expires it first */
	assert_string_equal(state_of(t->s, id), "dead");
	assert_int_equal(count(t->s, "SELECT count(*) FROM alerts WHERE kind = 'job_dead'"), a0 + 1);
}

/* ---- leases ------------------------------------------------------------------------ */

static void
test_leases(void **state)
{
	struct test_ctx *t = *state;
	char job[JOB_ID_SIZE], id[LEASE_ID_SIZE], id2[LEASE_ID_SIZE];
	struct lease_new n = { t->b1, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, "verify", 30 };
	struct lease_info l;
	struct bos_err err = { 0 };
	int64_t n0;

	assert_int_equal(sqlite3_exec(store_db(t->s), "INSERT INTO credentials (id, name, type,"
	    " service, metadata, current_version, created_at, updated_at) VALUES"
	    " ('cr_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'sg', 'api_key', 'sendgrid', '{}', 1, 0, 0)", NULL,
	    NULL, NULL), SQLITE_OK);
	job_ok(t->s, "sendgrid", "l-1", 0, job, T0);
	n.job_id = job;
	assert_int_equal(lease_create(t->s, &n, T0, id, &err), 0);
	assert_int_equal(lease_get(t->s, id, &l, &err), 0);
	assert_int_equal(l.expires_at, T0 + 30);
	assert_string_equal(l.credential_id, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa");
	/* Bounds: nothing written. */
	n0 = count(t->s, "SELECT count(*) FROM leases");
	n.ttl = 0;
	assert_int_equal(lease_create(t->s, &n, T0, id2, &err), -1);
	n.ttl = LEASE_TTL_MAX + 1;
	assert_int_equal(lease_create(t->s, &n, T0, id2, &err), -1);
	n.ttl = 30;
	n.purpose = "";
	assert_int_equal(lease_create(t->s, &n, T0, id2, &err), -1);
	n.purpose = "tab\there";
	assert_int_equal(lease_create(t->s, &n, T0, id2, &err), -1);
	n.purpose = "for 4111 1111 1111 1111";
	assert_int_equal(lease_create(t->s, &n, T0, id2, &err), -1);
	assert_int_equal(count(t->s, "SELECT count(*) FROM leases"), n0);
	n.purpose = "verify";
	n.ttl = LEASE_TTL_MAX;
	assert_int_equal(lease_create(t->s, &n, T0, id2, &err), 0);
	assert_int_equal(count(t->s, "SELECT count(*) FROM leases WHERE ended_at IS NULL"), 2);
	/* Ending: not another broker's, not twice, not an expired one. */
	assert_int_equal(lease_end(t->s, id2, t->b2, t->b2, T0 + 1, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(lease_end(t->s, id2, t->b1, t->b1, T0 + 1, &err), 0);
	assert_int_equal(lease_end(t->s, id2, NULL, "alice", T0 + 2, &err), -1);
	assert_int_equal(err.code, BOS_E_REVOKED);
	assert_int_equal(lease_end(t->s, id, NULL, "alice", T0 + 30, &err), -1);
	assert_int_equal(err.code, BOS_E_REVOKED);
	assert_int_equal(lease_end(t->s, "ls_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, "alice", T0, &err),
	    -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
}

static int
lease_count_cb(const struct lease_info *l, void *arg)
{
	(void)l;
	(*(int *)arg)++;
	return 0;
}

static void
test_leases_active(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	int n = 0;

	/* After test_leases: the 30 s lease is active until T0 + 30, the 300 s one ended. */
	assert_int_equal(lease_list_active(t->s, T0 + 29, lease_count_cb, &n, &err), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(lease_list_active(t->s, T0 + 30, lease_count_cb, &n, &err), 0);
	assert_int_equal(n, 0);
}

/* Revoking a broker ends its live leases and takes back its claims; another broker's stay. */
static void
test_revoke_ends_leases_claims(void **state)
{
	struct test_ctx *t = *state;
	char b3[BROKER_ID_SIZE], tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];
	char job[JOB_ID_SIZE], l3[LEASE_ID_SIZE], l1[LEASE_ID_SIZE];
	const int64_t now = T0 + 1000;
	struct lease_new n = { NULL, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, "verify", 60 };
	struct lease_info l;
	struct job_info j;
	struct bos_err err = { 0 };
	int k = 0;

	assert_int_equal(sqlite3_exec(store_db(t->s), "UPDATE jobs SET state = 'dead',"
	    " finished_at = 1, claim = NULL, visible_until = NULL WHERE state IN ('queued', 'claimed')", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(broker_create(t->s, "outreach", "ob three", "alice", now, b3, tok, acc,
	    &err), 0);
	job_ok(t->s, "sendgrid", "rv-1", 0, job, now);
	assert_int_equal(claim(t->s, b3, now, &j), 1);
	assert_string_equal(j.id, job);
	n.broker_id = b3;
	n.job_id = job;
	assert_int_equal(lease_create(t->s, &n, now, l3, &err), 0);
	n.broker_id = t->b1;
	assert_int_equal(lease_create(t->s, &n, now, l1, &err), 0);
	assert_int_equal(lease_list_active(t->s, now + 1, lease_count_cb, &k, &err), 0);
	assert_int_equal(k, 2);

	assert_int_equal(broker_revoke(t->s, b3, "alice", now + 1, &err), 0);
	assert_int_equal(lease_get(t->s, l3, &l, &err), 0);
	assert_int_equal(l.ended_at, now + 1);
	assert_int_equal(lease_get(t->s, l1, &l, &err), 0);
	assert_int_equal(l.ended_at, 0);
	k = 0;
	assert_int_equal(lease_list_active(t->s, now + 2, lease_count_cb, &k, &err), 0);
	assert_int_equal(k, 1);
	assert_int_equal(job_get(t->s, job, &j, &err), 0);
	assert_int_equal(j.visible_until, now + 1);
	/* Another broker gets the job at once, not after the visibility timeout. */
	assert_int_equal(claim(t->s, t->b1, now + 2, &j), 1);
	assert_string_equal(j.id, job);
	assert_string_equal(j.claimed_by, t->b1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_brokers),
		cmocka_unit_test(test_job_create),
		cmocka_unit_test(test_claim_complete),
		cmocka_unit_test(test_claim_pages),
		cmocka_unit_test(test_complete_rolls_back),
		cmocka_unit_test(test_claim_budget),
		cmocka_unit_test(test_fail_backoff_dead),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_leases),
		cmocka_unit_test(test_leases_active),
		cmocka_unit_test(test_revoke_ends_leases_claims),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
