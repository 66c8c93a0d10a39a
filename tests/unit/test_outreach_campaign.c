/*
 * Unit tests for campaigns and their sends (vault/store/outreach_campaign.c
 * and the send kinds of job.c; docs/OUTREACH.md), against a real SQLCipher
 * database: a database at schema 9 holding a claimed job and its lease
 * migrates to 10 keeping both; creation (consent, suppression, one job per
 * message); the rate gate at the claim (and that a gated campaign hides no
 * other job); pause, resume, cancel and the states they refuse; spend in
 * whole minor units with the carry; failures, an unknown outcome, tracking.
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

#include "store/job.h"
#include "store/outreach_campaign.h"
#include "store/schema.h"
#include "store/store.h"
#include "store_fixture.h"

#define T0 1796601600LL       /* 2026-12-07 00:00:00 UTC */
#define MS0 (T0 * 1000)
#define CRED "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CRED_SMS "cr_bbbbbbbbbbbbbbbbbbbbbbbbbb"
#define LIST "ol_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define BROKER "bk_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define OLD_KEY_BASE 0x61

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *s;
};

static const char *const send_kinds[] = { "send_email", "send_sms", "verify" };

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

/* A credential, a broker, a list of five contacts and one suppression, in plain SQL. */
static void
fixture_rows(struct store *s)
{
	exec_ok(s, "INSERT INTO credentials (id, name, type, service, metadata, current_version,"
	    " created_at, updated_at) VALUES ('" CRED "', 'mail', 'api_key', 'sendgrid', '{}', 1, 1,"
	    " 1), ('" CRED_SMS "', 'sms', 'api_key', 'twilio', '{}', 1, 1, 1)");
	exec_ok(s, "INSERT INTO brokers (id, role, name, accessor, token_hash, created_by,"
	    " created_at) VALUES ('" BROKER "', 'outreach', 'b', 'acc_aaaaaaaaaaaaaaaaaaaa',"
	    " zeroblob(32), 'alice', 1)");
	exec_ok(s, "INSERT INTO outreach_lists (id, name, created_by, created_at, updated_at)"
	    " VALUES ('" LIST "', 'advisors', 'alice', 1, 1)");
	exec_ok(s, "INSERT INTO outreach_contacts (id, list_id, email, phone, name, fields,"
	    " consent_email, consent_sms, created_at) VALUES"
	    " ('ct_aaaaaaaaaaaaaaaaaaaaaaaaaa', '" LIST "', 'a@example.com', NULL, 'Ann',"
	    "  '{\"firm\":\"A&Co\"}', 1, 0, 1),"
	    " ('ct_bbbbbbbbbbbbbbbbbbbbbbbbbb', '" LIST "', 'b@example.com', NULL, 'Bob', '{}', 1,"
	    "  0, 2),"
	    " ('ct_cccccccccccccccccccccccccc', '" LIST "', 'c@example.com', NULL, 'Cy', '{}', 0, 0,"
	    "  3),"
	    " ('ct_dddddddddddddddddddddddddd', '" LIST "', NULL, '+15551234567', 'Di', '{}', 0, 1,"
	    "  4),"
	    " ('ct_eeeeeeeeeeeeeeeeeeeeeeeeee', '" LIST "', 'e@example.com', '+15557654321', 'Ed',"
	    "  '{}', 1, 0, 5)");
	exec_ok(s, "INSERT INTO outreach_suppressions (address, channel, reason, source,"
	    " created_at) VALUES ('b@example.com', 'email', 'unsubscribed', 'test', 1)");
}

static int
setup(void **state)
{
	static struct test_ctx t;

	memset(&t, 0, sizeof(t));
	if (store_fixture_open("campaign", 0x31, t.dir, sizeof(t.dir), t.path, sizeof(t.path),
	    &t.s) != 0)
		return -1;
	fixture_rows(t.s);
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
new_campaign(struct store *s, const char *channel, uint32_t per_minute, int start,
    int64_t price, char id[OUTREACH_ID_SIZE])
{
	int email = strcmp(channel, "email") == 0;
	struct outreach_campaign_new n = { channel, LIST, email ? "sendgrid" : "twilio",
	    email ? CRED : CRED_SMS, email ? "News <news@example.com>" : "+15550000000",
	    email ? "Hi {{name}}" : NULL, email ? "Hello {{name}}" : "Hi {{name}}", NULL,
	    per_minute, start, price, "USD", price > 0 ? (price + 9999) / 10000 : -1, "alice" };
	struct bos_err err = { 0 };

	if (outreach_campaign_create(s, &n, T0, MS0, id, &err) != 0)
		fail_msg("outreach_campaign_create: %s", err.msg);
}

/* One claim at now_ms by the broker: 1 claimed (*j), 0 none. */
static int
claim_at(struct store *s, int64_t now_ms, struct job_info *j)
{
	const struct job_claim_req q = { send_kinds, 3, BROKER, 120, 0, NULL, NULL, now_ms };
	struct bos_err err = { 0 };
	int r = job_claim(s, &q, now_ms / 1000, j, &err);

	if (r < 0)
		fail_msg("job_claim: %s", err.msg);
	return r;
}

/* The whole send of claimed job j: sending, sent, complete. */
static void
send_one(struct store *s, const struct job_info *j, int64_t now)
{
	enum outreach_send_conflict c = OUTREACH_SEND_OK;
	struct job_done d = { j->id, BROKER, j->claim, "{\"provider_id\":\"x\"}", 0, NULL };
	struct outreach_send o;
	struct bos_err err = { 0 };
	int dup = 0, mis = 0;

	assert_int_equal(outreach_send_prepare(s, j->id, now, &o, &c, &err), 0);
	assert_int_equal(c, OUTREACH_SEND_OK);
	outreach_send_free(&o);
	assert_int_equal(outreach_send_mark_sending(s, j->id, now, &c, &err), 0);
	assert_int_equal(c, OUTREACH_SEND_OK);
	assert_int_equal(outreach_send_mark_sent(s, j->id, "pid-1", -1, NULL, now, &c, &err), 0);
	assert_int_equal(c, OUTREACH_SEND_OK);
	if (job_complete(s, &d, now, &dup, &mis, &err) != 0)
		fail_msg("job_complete: %s", err.msg);
	assert_int_equal(dup, 0);
}

/* ---- schema 9 to 10 -------------------------------------------------------------- */

static void
old_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static void
test_migrate_v9_keeps_jobs_and_leases(void **state)
{
	const struct schema_migration *m;
	char dir[] = "/tmp/bos-test-campaign-v9-XXXXXX", path[128], sql[160], keysql[128];
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
		key[i] = (uint8_t)(OLD_KEY_BASE + i);
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
	for (i = 0; i < 9; i++) {
		old_exec(db, m[i].sql);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, 1)",
		    m[i].version);
		old_exec(db, sql);
	}
	/* A claimed verify job and a live lease on it, as schema 9 kept them. */
	old_exec(db, "PRAGMA foreign_keys = ON;"
	    "INSERT INTO credentials (id, name, type, service, metadata, current_version,"
	    " created_at, updated_at) VALUES ('" CRED "', 'mail', 'api_key', 'sendgrid', '{}', 1, 1,"
	    " 1);"
	    "INSERT INTO brokers (id, role, name, accessor, token_hash, created_by, created_at)"
	    " VALUES ('" BROKER "', 'outreach', 'b', 'acc_aaaaaaaaaaaaaaaaaaaa', zeroblob(32),"
	    " 'alice', 1);"
	    "INSERT INTO jobs (id, kind, service, credential, params, idempotency_key, state,"
	    " attempts, max_attempts, not_before, claimed_by, claim, visible_until, created_at,"
	    " updated_at, created_by) VALUES ('jb_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'verify', 'sendgrid',"
	    " '" CRED "', '{\"x\":1}', 'key-1', 'claimed', 1, 5, 1, '" BROKER "',"
	    " 'cl_aaaaaaaaaaaaaaaaaaaaaaaaaa', 9999999999, 1, 1, 'alice');"
	    "INSERT INTO leases (id, broker_id, credential_id, job_id, purpose, created_at,"
	    " expires_at) VALUES ('ls_aaaaaaaaaaaaaaaaaaaaaaaaaa', '" BROKER "', '" CRED "',"
	    " 'jb_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'verify', 1, 31)");
	sqlite3_close(db);
	if (store_open(path, key, 0, &s, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	assert_int_equal(store_schema_version(s), schema_latest());
	assert_int_equal(job_get(s, "jb_aaaaaaaaaaaaaaaaaaaaaaaaaa", &j, &err), 0);
	assert_string_equal(j.state, "claimed");
	assert_string_equal(j.claim, "cl_aaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_string_equal(j.params, "{\"x\":1}");
	assert_string_equal(j.campaign, "");
	assert_int_equal(j.attempts, 1);
	assert_int_equal(int_of(s, "SELECT count(*) FROM leases WHERE job_id ="
	    " 'jb_aaaaaaaaaaaaaaaaaaaaaaaaaa' AND credential_id = '" CRED "'"), 1);
	assert_int_equal(int_of(s, "PRAGMA foreign_key_check"), -1);   /* no row */
	/* The rebuilt table keeps its rule: a send kind needs a campaign. */
	assert_int_not_equal(sqlite3_exec(store_db(s), "INSERT INTO jobs (id, kind, service,"
	    " params, idempotency_key, state, max_attempts, not_before, created_at, updated_at,"
	    " created_by) VALUES ('jb_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'send_email', 'sendgrid', '{}',"
	    " 'k2', 'queued', 5, 1, 1, 1, 'alice')", NULL, NULL, NULL), SQLITE_OK);
	store_fixture_remove(s, dir);
}

/* ---- creation -------------------------------------------------------------------- */

static void
test_create_consent_suppression_jobs(void **state)
{
	struct test_ctx *t = *state;
	char id[OUTREACH_ID_SIZE], sms[OUTREACH_ID_SIZE];
	struct outreach_campaign c;
	struct bos_err err = { 0 };
	struct job_new bad = { "send_email", "sendgrid", NULL, NULL, NULL, -1, NULL, 0, "alice",
	    NULL, NULL, 0, NULL };
	char jid[JOB_ID_SIZE];
	int existed;

	new_campaign(t->s, "email", 10, 1, 10000, id);
	assert_int_equal(outreach_campaign_get(t->s, id, &c, &err), 0);
	assert_string_equal(c.state, "running");
	/* a, b (suppressed), e have email consent; c has none, d has no email. */
	assert_int_equal(c.recipients, 3);
	assert_int_equal(c.skipped, 2);
	assert_int_equal(c.n_suppressed, 1);
	assert_int_equal(c.n_queued, 2);
	assert_int_equal(c.price_micros, 10000);
	outreach_campaign_free(&c);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM jobs WHERE kind = 'send_email' AND"
	    " service = 'sendgrid' AND credential = '" CRED "' AND estimate_amount = 1 AND"
	    " estimate_currency = 'USD' AND params = '{\"campaign\":\"' || campaign ||"
	    " '\",\"message\":\"' || substr(idempotency_key, 6) || '\"}' AND idempotency_key IN"
	    " (SELECT 'send:' || id FROM outreach_messages)"), 2);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_messages m WHERE state ="
	    " 'suppressed' AND job_id IS NULL AND to_addr = 'b@example.com'"), 1);
	assert_int_equal(int_of(t->s, "SELECT count(DISTINCT token) FROM outreach_messages WHERE"
	    " length(token) = 22 AND token NOT GLOB '*[^A-Za-z0-9_-]*'"), 3);
	/* SMS: only d has an SMS consent. */
	new_campaign(t->s, "sms", 10, 0, 0, sms);
	assert_int_equal(outreach_campaign_get(t->s, sms, &c, &err), 0);
	assert_string_equal(c.state, "draft");
	assert_int_equal(c.recipients, 1);
	assert_int_equal(c.skipped, 4);
	outreach_campaign_free(&c);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM jobs WHERE kind = 'send_sms' AND"
	    " estimate_amount IS NULL"), 1);
	/* A send job alone (without a campaign) is refused, and a campaign on a verify job. */
	assert_int_equal(job_create(t->s, &bad, T0, jid, &existed, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	bad.kind = "verify";
	bad.campaign = id;
	assert_int_equal(job_create(t->s, &bad, T0, jid, &existed, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	/* Unknown campaign: not found. */
	assert_int_equal(outreach_campaign_get(t->s, "cp_zzzzzzzzzzzzzzzzzzzzzzzzzz", &c, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
}

/* Nothing to send (no contact with consent, or all suppressed): done at once, or at start. */
static void
test_nothing_to_send_is_done(void **state)
{
	struct test_ctx *t = *state;
	struct outreach_campaign_new n = { "email", "ol_bbbbbbbbbbbbbbbbbbbbbbbbbb", "sendgrid", CRED,
	    "n@example.com", "S", "T", NULL, 60, 1, 0, "USD", -1, "alice" };
	char id[OUTREACH_ID_SIZE], id2[OUTREACH_ID_SIZE];
	struct outreach_campaign c;
	struct bos_err err = { 0 };

	exec_ok(t->s, "INSERT INTO outreach_lists (id, name, created_by, created_at, updated_at)"
	    " VALUES ('ol_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'only-bob', 'alice', 1, 1)");
	exec_ok(t->s, "INSERT INTO outreach_contacts (id, list_id, email, name, fields,"
	    " consent_email, consent_sms, created_at) VALUES ('ct_zzzzzzzzzzzzzzzzzzzzzzzzzz',"
	    " 'ol_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'b@example.com', 'Bob', '{}', 1, 0, 1)");
	assert_int_equal(outreach_campaign_create(t->s, &n, T0, MS0, id, &err), 0);
	assert_int_equal(outreach_campaign_get(t->s, id, &c, &err), 0);
	assert_string_equal(c.state, "done");
	assert_int_equal(c.n_suppressed, 1);
	assert_true(c.finished_at > 0);
	outreach_campaign_free(&c);
	n.start = 0;
	assert_int_equal(outreach_campaign_create(t->s, &n, T0, MS0, id2, &err), 0);
	assert_int_equal(outreach_campaign_get(t->s, id2, &c, &err), 0);
	assert_string_equal(c.state, "draft");
	outreach_campaign_free(&c);
	assert_int_equal(outreach_campaign_act(t->s, id2, "start", T0 + 1, MS0 + 1000, &err), 0);
	assert_int_equal(outreach_campaign_get(t->s, id2, &c, &err), 0);
	assert_string_equal(c.state, "done");
	outreach_campaign_free(&c);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM jobs"), 0);
}

/* ---- the rate gate --------------------------------------------------------------- */

static void
test_rate_gate(void **state)
{
	struct test_ctx *t = *state;
	struct job_new v = { "verify", "sendgrid", NULL, NULL, "verify-late", -1, NULL, 0, "alice",
	    NULL, NULL, 0, NULL };
	char id[OUTREACH_ID_SIZE], vid[JOB_ID_SIZE];
	struct bos_err err = { 0 };
	struct job_info j;
	int existed;

	new_campaign(t->s, "email", 600, 1, 0, id);     /* one every 100 ms */
	assert_int_equal(claim_at(t->s, MS0 + 1000, &j), 1);
	assert_string_equal(j.kind, "send_email");
	assert_string_equal(j.campaign, id);
	/* 50 ms later: not yet; 100 ms after the first: the next one. */
	assert_int_equal(claim_at(t->s, MS0 + 1050, &j), 0);
	assert_int_equal(claim_at(t->s, MS0 + 1099, &j), 0);
	assert_int_equal(claim_at(t->s, MS0 + 1100, &j), 1);
	assert_int_equal(int_of(t->s, "SELECT next_send_at FROM outreach_campaigns"), MS0 + 1200);
	/* Nothing left of the campaign; a verify job queued later is not hidden by it. */
	assert_int_equal(job_create(t->s, &v, T0 + 1, vid, &existed, &err), 0);
	assert_int_equal(claim_at(t->s, MS0 + 1110, &j), 1);
	assert_string_equal(j.id, vid);
}

static void
test_gated_campaign_hides_nothing(void **state)
{
	struct test_ctx *t = *state;
	struct job_new v = { "verify", "sendgrid", NULL, NULL, "verify-1", -1, NULL, 0, "alice",
	    NULL, NULL, 0, NULL };
	char id[OUTREACH_ID_SIZE], vid[JOB_ID_SIZE];
	struct bos_err err = { 0 };
	struct job_info j;
	int existed;

	new_campaign(t->s, "email", 1, 1, 0, id);       /* one a minute */
	assert_int_equal(job_create(t->s, &v, T0 + 5, vid, &existed, &err), 0);
	assert_int_equal(claim_at(t->s, MS0 + 10000, &j), 1);
	assert_string_equal(j.campaign, id);
	/* The campaign's other message waits a minute; the verify job comes first. */
	assert_int_equal(claim_at(t->s, MS0 + 10001, &j), 1);
	assert_string_equal(j.id, vid);
	assert_int_equal(claim_at(t->s, MS0 + 69999, &j), 0);
	assert_int_equal(claim_at(t->s, MS0 + 70000, &j), 1);
	assert_string_equal(j.campaign, id);
}

/* ---- pause, resume, cancel ------------------------------------------------------- */

static void
test_pause_resume_cancel(void **state)
{
	struct test_ctx *t = *state;
	char id[OUTREACH_ID_SIZE];
	struct outreach_campaign c;
	struct bos_err err = { 0 };
	struct job_info j;

	new_campaign(t->s, "email", 6000, 0, 0, id);
	/* A draft sends nothing; resume and pause make no sense there. */
	assert_int_equal(claim_at(t->s, MS0 + 5000, &j), 0);
	assert_int_equal(outreach_campaign_act(t->s, id, "resume", T0 + 5, MS0 + 5000, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(outreach_campaign_act(t->s, id, "pause", T0 + 5, MS0 + 5000, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(outreach_campaign_act(t->s, id, "start", T0 + 5, MS0 + 5000, &err), 0);
	assert_int_equal(outreach_campaign_act(t->s, id, "start", T0 + 5, MS0 + 5000, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(claim_at(t->s, MS0 + 5000, &j), 1);
	/* Paused: no claim, even much later; the claimed send may still finish. */
	assert_int_equal(outreach_campaign_act(t->s, id, "pause", T0 + 6, MS0 + 6000, &err), 0);
	assert_int_equal(claim_at(t->s, MS0 + 7000, &j), 0);
	assert_int_equal(claim_at(t->s, MS0 + 100000, &j), 0);
	assert_int_equal(outreach_campaign_act(t->s, id, "pause", T0 + 6, MS0 + 6000, &err), -1);
	assert_int_equal(outreach_campaign_act(t->s, id, "resume", T0 + 10, MS0 + 10000, &err),
	    0);
	assert_int_equal(claim_at(t->s, MS0 + 10000, &j), 1);
	/* Both sends are claimed: a new campaign to cancel with queued jobs. */
	new_campaign(t->s, "email", 6000, 1, 0, id);
	assert_int_equal(outreach_campaign_act(t->s, id, "cancel", T0 + 11, MS0 + 11000, &err), 0);
	assert_int_equal(outreach_campaign_get(t->s, id, &c, &err), 0);
	assert_string_equal(c.state, "cancelled");
	assert_int_equal(c.n_cancelled, 2);
	assert_int_equal(c.n_queued, 0);
	assert_true(c.finished_at > 0);
	outreach_campaign_free(&c);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM jobs WHERE state = 'dead' AND error ="
	    " 'campaign cancelled'"), 2);
	assert_int_equal(claim_at(t->s, MS0 + 20000, &j), 0);
	assert_int_equal(outreach_campaign_act(t->s, id, "cancel", T0 + 12, MS0 + 12000, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(outreach_campaign_act(t->s, id, "resume", T0 + 12, MS0 + 12000, &err), -1);
	assert_int_equal(outreach_campaign_act(t->s, id, "explode", T0, MS0, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
}

/* ---- spend ----------------------------------------------------------------------- */

static void
test_spend_whole_minor_units(void **state)
{
	struct test_ctx *t = *state;
	char id[OUTREACH_ID_SIZE];
	struct outreach_campaign c;
	struct bos_err err = { 0 };
	struct job_info j;
	int i;

	/* Three more contacts with consent: five messages at 0.0040 USD. */
	exec_ok(t->s, "INSERT INTO outreach_contacts (id, list_id, email, name, fields,"
	    " consent_email, consent_sms, created_at) VALUES"
	    " ('ct_ffffffffffffffffffffffffff', '" LIST "', 'f@example.com', '', '{}', 1, 0, 6),"
	    " ('ct_gggggggggggggggggggggggggg', '" LIST "', 'g@example.com', '', '{}', 1, 0, 7),"
	    " ('ct_hhhhhhhhhhhhhhhhhhhhhhhhhh', '" LIST "', 'h@example.com', '', '{}', 1, 0, 8)");
	new_campaign(t->s, "email", 6000, 1, 4000, id);
	for (i = 0; i < 5; i++) {
		assert_int_equal(claim_at(t->s, MS0 + 1000 + i * 10, &j), 1);
		send_one(t->s, &j, T0 + 2);
	}
	assert_int_equal(claim_at(t->s, MS0 + 2000, &j), 0);
	assert_int_equal(outreach_campaign_get(t->s, id, &c, &err), 0);
	/* 5 x 4000 micros = 20000 = 2 cents: recorded when each whole cent was reached. */
	assert_int_equal(c.spend_micros, 20000);
	assert_int_equal(c.spend_recorded, 2);
	assert_int_equal(c.n_sent, 5);
	assert_string_equal(c.state, "done");
	assert_true(c.finished_at > 0);
	outreach_campaign_free(&c);
	assert_int_equal(int_of(t->s, "SELECT sum(amount) FROM spend"), 2);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM spend"), 2);
	/* The entries are the third and fifth sends' (12000 and 20000 micros). */
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM spend s JOIN jobs j ON j.id ="
	    " s.job_id WHERE j.campaign IS NOT NULL AND s.service = 'sendgrid'"), 2);
	/* The cost report's view. */
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_messages WHERE state ="
	    " 'sent' AND provider_id = 'pid-1' AND sent_at = " "1796601602"), 5);
}

static int
cost_cb(const struct outreach_cost *c, void *arg)
{
	struct outreach_cost *out = arg;

	out->messages = c->messages;
	out->spent = c->spent;
	out->spent_micros = c->spent_micros;
	return 0;
}

static void
test_spend_provider_price_and_cost(void **state)
{
	struct test_ctx *t = *state;
	enum outreach_send_conflict cf;
	char id[OUTREACH_ID_SIZE];
	struct outreach_cost oc = { NULL, NULL, NULL, 0, 0, 0 };
	struct bos_err err = { 0 };
	struct job_info j;
	struct job_done d;
	int dup, mis;

	new_campaign(t->s, "email", 6000, 1, 4000, id);
	assert_int_equal(claim_at(t->s, MS0 + 1000, &j), 1);
	assert_int_equal(outreach_send_mark_sending(t->s, j.id, T0 + 1, &cf, &err), 0);
	/* The provider's price in another currency is refused and changes nothing. */
	assert_int_equal(outreach_send_mark_sent(t->s, j.id, "p", 25000, "EUR", T0 + 1, &cf, &err),
	    -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(outreach_send_mark_sent(t->s, j.id, "p", 25000, "USD", T0 + 1, &cf, &err),
	    0);
	assert_int_equal(cf, OUTREACH_SEND_OK);
	/* Sent again: already_sent. */
	assert_int_equal(outreach_send_mark_sent(t->s, j.id, "p", -1, NULL, T0 + 1, &cf, &err), 0);
	assert_int_equal(cf, OUTREACH_SEND_ALREADY_SENT);
	d = (struct job_done){ j.id, BROKER, j.claim, "{}", 0, NULL };
	assert_int_equal(job_complete(t->s, &d, T0 + 1, &dup, &mis, &err), 0);
	/* The same completion again records nothing twice. */
	assert_int_equal(job_complete(t->s, &d, T0 + 1, &dup, &mis, &err), 0);
	assert_int_equal(dup, 1);
	assert_int_equal(int_of(t->s, "SELECT spend_micros FROM outreach_campaigns"), 25000);
	assert_int_equal(int_of(t->s, "SELECT sum(amount) FROM spend"), 2);
	assert_int_equal(outreach_cost_campaigns(t->s, "2026-12-07", "2026-12-07", cost_cb, &oc,
	    &err), 0);
	assert_int_equal(oc.messages, 1);
	assert_int_equal(oc.spent, 2);
	assert_int_equal(oc.spent_micros, 25000);
	oc.messages = -1;
	assert_int_equal(outreach_cost_campaigns(t->s, "2026-12-08", "2026-12-09", cost_cb, &oc,
	    &err), 0);
	assert_int_equal(oc.messages, -1);      /* none in that range */
}

/* A completion from 'sending' (the broker's 'sent' was lost) counts as sent, and is paid. */
static void
test_complete_from_sending(void **state)
{
	struct test_ctx *t = *state;
	enum outreach_send_conflict cf;
	char id[OUTREACH_ID_SIZE];
	struct bos_err err = { 0 };
	struct job_info j;
	struct job_done d;
	int dup, mis;

	new_campaign(t->s, "email", 6000, 1, 10000, id);
	assert_int_equal(claim_at(t->s, MS0 + 1000, &j), 1);
	assert_int_equal(outreach_send_mark_sending(t->s, j.id, T0 + 1, &cf, &err), 0);
	d = (struct job_done){ j.id, BROKER, j.claim, "{\"provider_id\":\"x\"}", 0, NULL };
	assert_int_equal(job_complete(t->s, &d, T0 + 1, &dup, &mis, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_messages WHERE state ="
	    " 'sent' AND sent_at IS NOT NULL"), 1);
	assert_int_equal(int_of(t->s, "SELECT sum(amount) FROM spend"), 1);
	/* A spend the broker names is ignored for a send job: the vault's price counts. */
	assert_int_equal(claim_at(t->s, MS0 + 2000, &j), 1);
	d = (struct job_done){ j.id, BROKER, j.claim, "{\"skipped\":\"x\"}", 500, "USD" };
	assert_int_equal(job_complete(t->s, &d, T0 + 2, &dup, &mis, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT sum(amount) FROM spend"), 1);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_messages WHERE state ="
	    " 'cancelled'"), 1);
}

/* ---- failure, unknown outcome, conflicts ----------------------------------------- */

static void
test_fail_unknown_conflicts(void **state)
{
	struct test_ctx *t = *state;
	enum outreach_send_conflict cf;
	char id[OUTREACH_ID_SIZE], st[8];
	struct outreach_send o;
	struct bos_err err = { 0 };
	struct job_info j, k;
	int64_t nb;

	new_campaign(t->s, "email", 6000, 1, 0, id);
	/* First message: sending, then a retryable refusal: queued again, then no retry: failed. */
	assert_int_equal(claim_at(t->s, MS0 + 1000, &j), 1);
	assert_int_equal(outreach_send_mark_sending(t->s, j.id, T0 + 1, &cf, &err), 0);
	assert_int_equal(job_fail(t->s, j.id, BROKER, j.claim, "429 from the provider", 1, 0,
	    T0 + 1, st, &nb, &err), 0);
	assert_string_equal(st, "queued");
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_messages WHERE state ="
	    " 'queued' AND error = '429 from the provider'"), 1);
	/* Second message: it reaches sending and its claim ends without a word. */
	assert_int_equal(claim_at(t->s, MS0 + 1010, &k), 1);
	assert_string_not_equal(k.id, j.id);
	assert_int_equal(outreach_send_mark_sending(t->s, k.id, T0 + 1, &cf, &err), 0);
	assert_int_equal(outreach_send_mark_sending(t->s, k.id, T0 + 1, &cf, &err), 0);
	assert_int_equal(cf, OUTREACH_SEND_OUTCOME_UNKNOWN);
	exec_ok(t->s, "UPDATE jobs SET visible_until = 1 WHERE state = 'claimed'");
	assert_int_equal(claim_at(t->s, MS0 + 10000, &k), 1);
	/* Claimed again: the message is unknown, an alert says so, it is not sent again. */
	assert_int_equal(outreach_send_prepare(t->s, k.id, T0 + 10, &o, &cf, &err), 0);
	outreach_send_free(&o);
	if (cf != OUTREACH_SEND_OUTCOME_UNKNOWN) {
		/* The retried first message came back first: fail it and take the other. */
		assert_int_equal(cf, OUTREACH_SEND_OK);
		assert_int_equal(job_fail(t->s, k.id, BROKER, k.claim, "invalid address", 0, 0,
		    T0 + 10, st, &nb, &err), 0);
		assert_int_equal(claim_at(t->s, MS0 + 20000, &k), 1);
		assert_int_equal(outreach_send_prepare(t->s, k.id, T0 + 20, &o, &cf, &err), 0);
		outreach_send_free(&o);
	}
	assert_int_equal(cf, OUTREACH_SEND_OUTCOME_UNKNOWN);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts WHERE kind ="
	    " 'outreach_unknown'"), 1);
	assert_int_equal(job_fail(t->s, k.id, BROKER, k.claim, "outcome unknown", 0, 0, T0 + 21,
	    st, &nb, &err), 0);
	assert_string_equal(st, "dead");
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_messages WHERE state ="
	    " 'unknown'"), 1);
	/* Whatever is left is failed without retry; then the campaign is done. */
	while (claim_at(t->s, MS0 + 30000, &k) == 1)
		assert_int_equal(job_fail(t->s, k.id, BROKER, k.claim, "invalid address", 0, 0,
		    T0 + 30, st, &nb, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_messages WHERE state ="
	    " 'failed' AND error = 'invalid address'"), 1);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_campaigns WHERE state ="
	    " 'done'"), 1);
}

static void
test_suppressed_at_send_and_cancel_claimed(void **state)
{
	struct test_ctx *t = *state;
	enum outreach_send_conflict cf;
	char id[OUTREACH_ID_SIZE];
	struct outreach_send o;
	struct bos_err err = { 0 };
	struct job_info j, k;

	new_campaign(t->s, "email", 6000, 1, 0, id);
	assert_int_equal(claim_at(t->s, MS0 + 1000, &j), 1);
	assert_int_equal(claim_at(t->s, MS0 + 1010, &k), 1);
	/* j's address is suppressed after the campaign was made: refused at send. */
	exec_ok(t->s, "INSERT INTO outreach_suppressions (address, channel, reason, source,"
	    " created_at) SELECT to_addr, 'email', 'admin', 'test', 1 FROM outreach_messages"
	    " WHERE job_id = (SELECT id FROM jobs WHERE claim IS NOT NULL ORDER BY created_at,"
	    " rowid LIMIT 1)");
	assert_int_equal(outreach_send_prepare(t->s, j.id, T0 + 1, &o, &cf, &err), 0);
	outreach_send_free(&o);
	assert_int_equal(cf, OUTREACH_SEND_SUPPRESSED);
	assert_int_equal(outreach_send_mark_sending(t->s, j.id, T0 + 1, &cf, &err), 0);
	assert_int_equal(cf, OUTREACH_SEND_SUPPRESSED);
	/* k's campaign is cancelled while k is claimed: refused before it is sending. */
	assert_int_equal(outreach_campaign_act(t->s, id, "cancel", T0 + 2, MS0 + 2000, &err), 0);
	assert_int_equal(outreach_send_prepare(t->s, k.id, T0 + 2, &o, &cf, &err), 0);
	outreach_send_free(&o);
	assert_int_equal(cf, OUTREACH_SEND_CAMPAIGN_STATE);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_messages WHERE state ="
	    " 'suppressed'"), 2);
	/* A job that is not a send job has no message. */
	assert_int_equal(outreach_send_prepare(t->s, "jb_zzzzzzzzzzzzzzzzzzzzzzzzzz", T0, &o, &cf,
	    &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
}

/* ---- tracking -------------------------------------------------------------------- */

static void
test_track(void **state)
{
	struct test_ctx *t = *state;
	struct outreach_campaign_new n = { "email", LIST, "smtp", CRED, "n@example.com", "S",
	    "T", "<a href=\"https://example.com/x?a=1&amp;b=2\">x</a>", 60, 1, 0, "USD", -1,
	    "alice" };
	char id[OUTREACH_ID_SIZE], url[256], tok[32], sql[400];
	struct bos_err err = { 0 };
	sqlite3_stmt *st = NULL;
	int dup = 0;

	assert_int_equal(outreach_campaign_create(t->s, &n, T0, MS0, id, &err), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(t->s), "SELECT token FROM outreach_messages"
	    " WHERE to_addr = 'a@example.com'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(tok, sizeof(tok), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_int_equal(outreach_track(t->s, tok, "open", -1, T0 + 5, url, sizeof(url), &dup,
	    &err), 0);
	assert_int_equal(dup, 0);
	assert_int_equal(outreach_track(t->s, tok, "open", -1, T0 + 6, url, sizeof(url), &dup,
	    &err), 0);
	assert_int_equal(dup, 1);
	assert_int_equal(outreach_track(t->s, tok, "click", 0, T0 + 7, url, sizeof(url), &dup,
	    &err), 0);
	assert_string_equal(url, "https://example.com/x?a=1&b=2");
	/* No link 1, an unknown token, an unknown kind: refused, nothing recorded. */
	assert_int_equal(outreach_track(t->s, tok, "click", 1, T0, url, sizeof(url), &dup, &err),
	    -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(outreach_track(t->s, "AAAAAAAAAAAAAAAAAAAAAA", "open", -1, T0, url,
	    sizeof(url), &dup, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(outreach_track(t->s, tok, "bounce", -1, T0, url, sizeof(url), &dup, &err),
	    -1);
	assert_int_equal(outreach_track(t->s, tok, "unsubscribe", -1, T0 + 8, url, sizeof(url),
	    &dup, &err), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM outreach_events WHERE event_key IN"
	    " ('bos:open:%s', 'bos:click:%s:0', 'bos:unsubscribe:%s') AND provider = 'bos'", tok,
	    tok, tok);
	assert_int_equal(int_of(t->s, sql), 3);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_events"), 3);
	assert_int_equal(int_of(t->s, "SELECT opened_at FROM outreach_messages WHERE to_addr ="
	    " 'a@example.com'"), T0 + 5);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_suppressions WHERE address ="
	    " 'a@example.com' AND channel = 'email' AND reason = 'unsubscribed'"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_v9_keeps_jobs_and_leases),
		cmocka_unit_test_setup_teardown(test_create_consent_suppression_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_send_is_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gated_campaign_hides_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spend_whole_minor_units, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spend_provider_price_and_cost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_from_sending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_unknown_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppressed_at_send_and_cancel_claimed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_track, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
