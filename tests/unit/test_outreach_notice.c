/*
 * Unit tests for notices (vault/store/outreach_notice.c and the notice side
 * of job.c; docs/OUTREACH.md "Notices"), against a real SQLCipher database:
 * a grant token notice queues one send job (no campaign, its estimate the
 * provider's price) that is claimed at once, sent once (the blob deleted at
 * 'sent'), paid at completion; a revoked or expired grant, a STOP or a hard
 * bounce stop it, an unsubscribe does not; a send that never reported is
 * unknown; a new alert of warning or above queues one notice per
 * alert_notify address, a count bump or an info alert none, no setting
 * none, and a notice that cannot be queued does not stop the alert.
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
#include "store/job.h"
#include "store/outreach_campaign.h"
#include "store/outreach_notice_queue.h"
#include "store/store.h"
#include "store_fixture.h"

#define T0 1796601600LL       /* 2026-12-07 00:00:00 UTC */
#define CRED "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define BROKER "bk_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ACC "acc_aaaaaaaaaaaaaaaaaaaa"
#define ACC2 "acc_bbbbbbbbbbbbbbbbbbbb"

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *s;
};

static const char *const send_kinds[] = { "send_email", "send_sms" };

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

static void
conf_set(struct store *s, int with_alerts)
{
	struct outreach_notice_conf c;
	struct bos_err err = { 0 };

	memset(&c, 0, sizeof(c));
	c.email = (struct outreach_notice_route){ 1, "smtp", "smtp-main", "vault@acme.example",
	    7900, "USD" };
	if (with_alerts) {
		(void)snprintf(c.alert_notify[0], sizeof(c.alert_notify[0]), "ops@acme.example");
		(void)snprintf(c.alert_notify[1], sizeof(c.alert_notify[1]), "+14155550100");
		c.n_alert_notify = 2;
	}
	assert_int_equal(outreach_notice_configure(s, &c, &err), 0);
}

static int
setup(void **state)
{
	static struct test_ctx t;

	memset(&t, 0, sizeof(t));
	if (store_fixture_open("notice", 0x41, t.dir, sizeof(t.dir), t.path, sizeof(t.path),
	    &t.s) != 0)
		return -1;
	exec_ok(t.s, "INSERT INTO credentials (id, name, type, service, metadata, current_version,"
	    " created_at, updated_at) VALUES ('" CRED "', 'smtp-main', 'password', 'smtp', '{}', 1,"
	    " 1, 1)");
	exec_ok(t.s, "INSERT INTO brokers (id, role, name, accessor, token_hash, created_by,"
	    " created_at) VALUES ('" BROKER "', 'outreach', 'b', 'acc_cccccccccccccccccccc',"
	    " zeroblob(32), 'alice', 1)");
	exec_ok(t.s, "INSERT INTO helpers (id, name, contact, kind, created_by, created_at)"
	    " VALUES ('hl_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'Jane', 'jane@example.com', 'setup', 'alice',"
	    " 1)");
	exec_ok(t.s, "INSERT INTO grants (accessor, token_hash, helper_id, credentials, actions,"
	    " cidrs, note, issued_by, created_at, expires_at, max_uses) VALUES ('" ACC "',"
	    " zeroblob(32), 'hl_aaaaaaaaaaaaaaaaaaaaaaaaaa', '[]', 1, '[]', '', 'alice', 1,"
	    " 9999999999, 0), ('" ACC2 "', randomblob(32), 'hl_aaaaaaaaaaaaaaaaaaaaaaaaaa', '[]', 1,"
	    " '[]', '', 'alice', 1, " "1796601700, 0)");
	conf_set(t.s, 0);
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

/* A grant token notice of acc to to: its id. */
static void
queue_grant(struct store *s, const char *acc, const char *to, char id[OUTREACH_NOTICE_ID_SIZE])
{
	uint8_t blob[40];
	struct bos_err err = { 0 };

	memset(blob, 0x5a, sizeof(blob));
	assert_int_equal(outreach_notice_id_new(id), 0);
	assert_int_equal(store_begin(s, &err), 0);
	if (outreach_notice_grant(s, id, "email", to, acc, 1, blob, sizeof(blob), "alice", T0,
	    &err) != 0)
		fail_msg("outreach_notice_grant: %s", err.msg);
	assert_int_equal(store_commit(s, &err), 0);
}

static int
claim(struct store *s, int64_t now, struct job_info *j)
{
	const struct job_claim_req q = { send_kinds, 2, BROKER, 120, 0, NULL, NULL, 0 };
	struct bos_err err = { 0 };
	int r = job_claim(s, &q, now, j, &err);

	if (r < 0)
		fail_msg("job_claim: %s", err.msg);
	return r;
}

static void
test_configured_and_aad(void **state)
{
	struct test_ctx *t = *state;
	uint8_t aad[OUTREACH_NOTICE_AAD_MAX];
	struct bos_err err = { 0 };
	size_t n;

	assert_int_equal(outreach_notice_check(t->s, "email", &err), 0);
	assert_int_equal(outreach_notice_check(t->s, "sms", &err), -1);
	assert_non_null(strstr(err.msg, "notice_sms"));
	assert_int_equal(outreach_notice_configure(t->s, NULL, &err), 0);
	assert_int_equal(outreach_notice_check(t->s, "email", &err), -1);
	assert_non_null(strstr(err.msg, "notice_email"));
	n = outreach_notice_aad("on_aaaaaaaaaaaaaaaaaaaaaaaaaa", aad);
	assert_int_equal(n, strlen("bos-notice:v1:on_aaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_memory_equal(aad, "bos-notice:v1:on_aaaaaaaaaaaaaaaaaaaaaaaaaa", n);
	assert_true(outreach_notice_id_valid("on_aaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(outreach_notice_id_valid("om_aaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void
test_grant_sent_once_and_paid(void **state)
{
	struct test_ctx *t = *state;
	char id[OUTREACH_NOTICE_ID_SIZE], sql[256];
	struct job_done d;
	struct outreach_notice n;
	struct job_info j;
	struct bos_err err = { 0 };
	int c = -1, dup = 0, mis = 0;

	queue_grant(t->s, ACC, "jane@example.com", id);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM jobs WHERE kind = 'send_email' AND"
	    " campaign IS NULL AND service = 'smtp' AND credential = '" CRED "' AND"
	    " estimate_amount = 1 AND estimate_currency = 'USD'"), 1);
	(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM jobs WHERE notice = '%s' AND"
	    " params = '{\"notice\":\"%s\"}' AND idempotency_key = 'notice:%s'", id, id, id);
	assert_int_equal(int_of(t->s, sql), 1);
	/* No campaign's rate gate: claimed at once. */
	assert_int_equal(claim(t->s, T0, &j), 1);
	assert_string_equal(j.notice, id);
	assert_string_equal(j.campaign, "");
	assert_int_equal(outreach_notice_prepare(t->s, j.id, T0, &n, &c, &err), 0);
	assert_int_equal(c, 0);
	assert_string_equal(n.kind, "grant_token");
	assert_string_equal(n.to, "jane@example.com");
	assert_string_equal(n.from, "vault@acme.example");
	assert_string_equal(n.accessor, ACC);
	assert_int_equal(n.blob_len, 40);
	assert_int_equal(n.blob[0], 0x5a);
	assert_int_equal(outreach_notice_mark_sent(t->s, j.id, "pid", T0, &c, &err), 0);
	assert_int_equal(c, OUTREACH_SEND_CAMPAIGN_STATE);          /* not 'sending' yet */
	assert_int_equal(outreach_notice_mark_sending(t->s, j.id, T0, &c, &err), 0);
	assert_int_equal(c, 0);
	assert_int_equal(outreach_notice_mark_sending(t->s, j.id, T0, &c, &err), 0);
	assert_int_equal(c, OUTREACH_SEND_OUTCOME_UNKNOWN);        /* never twice */
	assert_int_equal(outreach_notice_mark_sent(t->s, j.id, "<x@y>", T0 + 1, &c, &err), 0);
	assert_int_equal(c, 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices WHERE state = 'sent'"
	    " AND blob IS NULL AND sent_at IS NOT NULL AND provider_id = '<x@y>'"), 1);
	/* A retry after 'sent': already sent, nothing handed out. */
	assert_int_equal(outreach_notice_prepare(t->s, j.id, T0 + 2, &n, &c, &err), 0);
	assert_int_equal(c, OUTREACH_SEND_ALREADY_SENT);
	d = (struct job_done){ j.id, BROKER, j.claim, "{\"provider_id\":\"<x@y>\"}", 0, NULL };
	assert_int_equal(job_complete(t->s, &d, T0 + 2, &dup, &mis, &err), 0);
	(void)snprintf(sql, sizeof(sql), "SELECT amount FROM spend WHERE job_id = '%s' AND service"
	    " = 'smtp' AND currency = 'USD'", j.id);
	assert_int_equal(int_of(t->s, sql), 1);
}

static void
test_revoked_expired_suppressed(void **state)
{
	struct test_ctx *t = *state;
	char a[OUTREACH_NOTICE_ID_SIZE], b[OUTREACH_NOTICE_ID_SIZE], e[OUTREACH_NOTICE_ID_SIZE];
	char sql[200];
	struct outreach_notice n;
	struct job_info j;
	struct bos_err err = { 0 };
	unsigned swept = 0;
	int c = -1;

	exec_ok(t->s, "INSERT INTO outreach_suppressions (address, channel, reason, source,"
	    " created_at) VALUES ('jane@example.com', 'email', 'unsubscribed', 'x', 1),"
	    " ('gone@example.com', 'email', 'bounced', 'x', 1)");
	queue_grant(t->s, ACC, "jane@example.com", a);
	queue_grant(t->s, ACC, "gone@example.com", b);
	/* An unsubscribe does not stop a notice (it is not marketing). */
	assert_int_equal(claim(t->s, T0, &j), 1);
	assert_string_equal(j.notice, a);
	assert_int_equal(outreach_notice_prepare(t->s, j.id, T0, &n, &c, &err), 0);
	assert_int_equal(c, 0);
	/* A hard bounce does. */
	assert_int_equal(claim(t->s, T0, &j), 1);
	assert_int_equal(outreach_notice_prepare(t->s, j.id, T0, &n, &c, &err), 0);
	assert_int_equal(c, OUTREACH_SEND_SUPPRESSED);
	assert_int_equal(n.blob_len == 0 || n.blob[0] == 0, 1);     /* wiped */
	(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM outreach_notices WHERE id = '%s'"
	    " AND state = 'suppressed' AND blob IS NULL", b);
	assert_int_equal(int_of(t->s, sql), 1);
	/* Revoking the grant deletes the blob at once (trigger); the fetch cancels it. */
	exec_ok(t->s, "UPDATE grants SET revoked_at = 5, revoke_reason = 'admin' WHERE accessor"
	    " = '" ACC "'");
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices WHERE blob IS NOT"
	    " NULL AND accessor = '" ACC "'"), 0);
	/* The first one was handed out before the revoke: its next fetch is refused, cancelled. */
	assert_int_equal(outreach_notice_mark_sending(t->s, j.id, T0, &c, &err), 0);
	assert_int_equal(c, OUTREACH_SEND_SUPPRESSED);              /* b: suppressed already */
	(void)snprintf(sql, sizeof(sql), "SELECT rowid FROM jobs WHERE notice = '%s'", a);
	assert_true(int_of(t->s, sql) > 0);
	{
		sqlite3_stmt *st = NULL;
		char jid[JOB_ID_SIZE] = "";

		(void)snprintf(sql, sizeof(sql), "SELECT id FROM jobs WHERE notice = '%s'", a);
		assert_int_equal(sqlite3_prepare_v2(store_db(t->s), sql, -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		(void)snprintf(jid, sizeof(jid), "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		assert_int_equal(outreach_notice_prepare(t->s, jid, T0 + 1, &n, &c, &err), 0);
		assert_int_equal(c, OUTREACH_SEND_SUPPRESSED);
	}
	(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM outreach_notices WHERE id = '%s'"
	    " AND state = 'cancelled' AND blob IS NULL", a);
	assert_int_equal(int_of(t->s, sql), 1);
	/* An expired grant: the sweep cancels its queued notice and deletes its blob. */
	queue_grant(t->s, ACC2, "jane@example.com", e);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices WHERE blob IS NOT"
	    " NULL"), 1);
	assert_int_equal(outreach_notice_sweep(t->s, T0 + 50, &swept, &err), 0);
	assert_int_equal(swept, 0);
	assert_int_equal(outreach_notice_sweep(t->s, 1796601700, &swept, &err), 0);
	assert_int_equal(swept, 1);
	(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM outreach_notices WHERE id = '%s'"
	    " AND state = 'cancelled' AND blob IS NULL", e);
	assert_int_equal(int_of(t->s, sql), 1);
}

static void
test_unknown_and_failed(void **state)
{
	struct test_ctx *t = *state;
	char a[OUTREACH_NOTICE_ID_SIZE], st[8];
	struct outreach_notice n;
	struct job_info j;
	struct bos_err err = { 0 };
	int64_t nb = 0;
	int c = -1;

	queue_grant(t->s, ACC, "jane@example.com", a);
	assert_int_equal(claim(t->s, T0, &j), 1);
	assert_int_equal(outreach_notice_prepare(t->s, j.id, T0, &n, &c, &err), 0);
	assert_int_equal(outreach_notice_mark_sending(t->s, j.id, T0, &c, &err), 0);
	/* A 429: reported, so queued again with its blob. */
	assert_int_equal(job_fail(t->s, j.id, BROKER, j.claim, "429", 1, 0, T0 + 1, st, &nb, &err),
	    0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices WHERE state ="
	    " 'queued' AND blob IS NOT NULL AND error = '429'"), 1);
	assert_int_equal(claim(t->s, nb + 1, &j), 1);
	assert_int_equal(outreach_notice_prepare(t->s, j.id, nb + 1, &n, &c, &err), 0);
	assert_int_equal(c, 0);
	assert_int_equal(outreach_notice_mark_sending(t->s, j.id, nb + 1, &c, &err), 0);
	/* The broker vanished after 'sending': the next fetch calls it unknown, never again. */
	assert_int_equal(outreach_notice_prepare(t->s, j.id, nb + 2, &n, &c, &err), 0);
	assert_int_equal(c, OUTREACH_SEND_OUTCOME_UNKNOWN);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices WHERE state ="
	    " 'unknown' AND blob IS NULL"), 1);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts WHERE kind ="
	    " 'outreach_unknown'"), 1);
}

static void
test_alerts(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };

	/* No alert_notify: nothing. */
	assert_int_equal(alert_raise(t->s, "budget_warning", "warning", "ses at 80 %", NULL, NULL,
	    "k1", T0, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices"), 0);
	conf_set(t->s, 1);
	/* A new warning: one notice by email; the SMS address has no notice_sms (skipped). */
	assert_int_equal(alert_raise(t->s, "job_dead", "warning", "job x is dead", "{}", NULL,
	    "k2", T0, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices WHERE kind = 'alert'"
	    " AND channel = 'email' AND to_addr = 'ops@acme.example' AND subject = 'BOS alert"
	    " (warning): job_dead' AND text_body LIKE '%job x is dead%' AND accessor IS NULL AND"
	    " blob IS NULL"), 1);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices"), 1);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM jobs WHERE notice IS NOT NULL AND"
	    " kind = 'send_email' AND created_by = 'bos-vaultd'"), 1);
	/* Raised again (a count bump): no second notice. An info alert: none. */
	assert_int_equal(alert_raise(t->s, "job_dead", "warning", "job x is dead", "{}", NULL,
	    "k2", T0 + 1, &err), 0);
	assert_int_equal(alert_raise(t->s, "note", "info", "fyi", NULL, NULL, NULL, T0 + 1, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices"), 1);
	/* Critical: one more. */
	assert_int_equal(alert_raise(t->s, "budget_paused", "critical", "ses paused", NULL, NULL,
	    "k3", T0 + 2, &err), 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices WHERE subject ="
	    " 'BOS alert (critical): budget_paused'"), 1);
	/* The credential gone: the alert is still raised, without a notice. */
	exec_ok(t->s, "UPDATE credentials SET revoked_at = 1");
	assert_int_equal(alert_raise(t->s, "job_dead", "warning", "job y", NULL, NULL, "k4", T0 + 3,
	    &err), 0);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts WHERE dedup_key = 'k4'"), 1);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM outreach_notices"), 2);
}

static void
test_alert_cap(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	char key[16];
	int i;

	conf_set(t->s, 1);
	for (i = 0; i < OUTREACH_NOTICE_PER_HOUR + 5; i++) {
		(void)snprintf(key, sizeof(key), "cap%d", i);
		assert_int_equal(alert_raise(t->s, "job_dead", "warning", "dead", NULL, NULL, key,
		    T0 + i, &err), 0);
	}
	/* Two addresses (one of them skipped): at most the cap an hour, every alert raised. */
	assert_true(int_of(t->s, "SELECT count(*) FROM outreach_notices") <=
	    OUTREACH_NOTICE_PER_HOUR);
	assert_true(int_of(t->s, "SELECT count(*) FROM outreach_notices") >=
	    OUTREACH_NOTICE_PER_HOUR / 2 - 1);
	assert_int_equal(int_of(t->s, "SELECT count(*) FROM alerts"), OUTREACH_NOTICE_PER_HOUR + 5);
}

static void
test_job_belongs_to_one(void **state)
{
	struct test_ctx *t = *state;
	struct job_new n = { "send_email", "smtp", NULL, NULL, NULL, -1, NULL, 0, "alice",
	    "cp_aaaaaaaaaaaaaaaaaaaaaaaaaa", "on_aaaaaaaaaaaaaaaaaaaaaaaaaa", 0, NULL };
	struct job_new v = { "verify", "smtp", NULL, NULL, NULL, -1, NULL, 0, "alice", NULL,
	    "on_aaaaaaaaaaaaaaaaaaaaaaaaaa", 0, NULL };
	char jid[JOB_ID_SIZE];
	struct bos_err err = { 0 };
	int existed = 0;

	assert_int_equal(job_create(t->s, &n, T0, jid, &existed, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(job_create(t->s, &v, T0, jid, &existed, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	/* The schema says so too. */
	assert_int_not_equal(sqlite3_exec(store_db(t->s), "INSERT INTO jobs (id, kind, service,"
	    " params, idempotency_key, state, max_attempts, not_before, created_at, updated_at,"
	    " created_by, campaign, notice) VALUES ('jb_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'send_email',"
	    " 'smtp', '{}', 'x', 'queued', 1, 1, 1, 1, 'a', 'cp_aaaaaaaaaaaaaaaaaaaaaaaaaa',"
	    " 'on_aaaaaaaaaaaaaaaaaaaaaaaaaa')", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(store_db(t->s), "INSERT INTO outreach_notices (id, kind,"
	    " channel, to_addr, provider, credential, from_addr, subject, text_body, token, state,"
	    " created_by, created_at, updated_at, blob, kek_version) VALUES"
	    " ('on_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'alert', 'email', 'a@b.c', 'smtp', '" CRED "', 'x',"
	    " 's', 't', 'aaaaaaaaaaaaaaaaaaaaaa', 'queued', 'a', 1, 1, randomblob(40), 1)", NULL,
	    NULL, NULL), SQLITE_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_configured_and_aad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_sent_once_and_paid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_expired_suppressed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_belongs_to_one, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
