/*
 * Unit tests for vault/audit/audit_store.c: the audit log in a real SQLCipher store,
 * checkpoints signed by a real bos-hsmd on a fresh SoftHSM token
 * (tests/unit/support/hsm_fixture.c), exports checked by audit_verify().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "audit/audit_store.h"
#include "store/store.h"
#include "hsm_fixture.h"
#include "store_fixture.h"

static struct hsm_fixture fx;

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *store;
};

/* An export split into lines, and the text they point into. */
struct export {
	char *text;
	const char *l[512];
	size_t n;
};

static int
group_setup(void **state)
{
	(void)state;
	return hsm_fixture_setup(&fx);
}

static int
group_teardown(void **state)
{
	(void)state;
	hsm_fixture_teardown(&fx);
	return 0;
}

static int
setup(void **state)
{
	struct test_ctx *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	if (store_fixture_open("audit", 0x40, t->dir, sizeof(t->dir), t->path,
	    sizeof(t->path), &t->store) != 0)
		return -1;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct test_ctx *t = *state;

	store_fixture_remove(t->store, t->dir);
	free(t);
	return 0;
}

/* ---- helpers ---- */

static void
record_fill(struct audit_record *r, unsigned i, const char *decision)
{
	char b[64];

	memset(r, 0, sizeof(*r));
	snprintf(b, sizeof(b), "2026-11-28T20:%02u:00Z", i % 60);
	assert_int_equal(audit_field_set(r->time, b), 0);
	assert_int_equal(audit_field_set(r->principal, "acc_abcdefghijklmnopqrst"), 0);
	assert_int_equal(audit_field_set(r->action, "credential.read"), 0);
	snprintf(b, sizeof(b), "cr_%u", i);
	assert_int_equal(audit_field_set(r->resource, b), 0);
	assert_int_equal(audit_field_set(r->decision, decision), 0);
	assert_int_equal(audit_field_set(r->reason, "grant allows read"), 0);
	assert_int_equal(audit_field_set(r->client, "192.0.2.7"), 0);
	snprintf(b, sizeof(b), "rq_%08u", i);
	assert_int_equal(audit_field_set(r->request_id, b), 0);
}

/* Append one record in its own transaction; returns its seq. */
static uint64_t
append_ok(struct test_ctx *t, unsigned i)
{
	struct audit_record r;
	struct bos_err err = { 0 };

	record_fill(&r, i, i % 5 == 0 ? "deny" : "allow");
	assert_int_equal(store_begin(t->store, &err), 0);
	if (audit_append(t->store, &r, &err) != 0)
		fail_msg("audit_append: %s", err.msg);
	assert_int_equal(store_commit(t->store, &err), 0);
	return r.seq;
}

static void
checkpoint_ok(struct test_ctx *t)
{
	struct bos_err err = { 0 };

	if (audit_checkpoint(t->store, fx.hsm, 1, "2026-11-28T21:00:00Z", &err) != 0)
		fail_msg("audit_checkpoint: %s", err.msg);
}

static void
export_read_upto(struct test_ctx *t, uint64_t upto, struct export *e)
{
	struct bos_err err = { 0 };
	size_t len = 0;
	char *p, *nl;
	FILE *f;

	memset(e, 0, sizeof(*e));
	assert_non_null(f = open_memstream(&e->text, &len));
	if (audit_export(t->store, f, upto, &err) != 0)
		fail_msg("audit_export: %s", err.msg);
	assert_int_equal(fclose(f), 0);
	for (p = e->text; *p != '\0'; p = nl + 1) {
		assert_non_null(nl = strchr(p, '\n'));
		*nl = '\0';
		assert_true(e->n < BOS_ARRAY_LEN(e->l));
		e->l[e->n++] = p;
	}
}

/* Export through upto and verify; flags as audit_verify's. */
static int
verify_export_upto(struct test_ctx *t, uint64_t upto, unsigned flags, struct audit_report *rep)
{
	uint8_t pub[HSM_PUBKEY_MAX];
	size_t pub_len = 0;
	struct bos_err err = { 0 };
	struct export e;
	int r;

	if (hsm_pubkey(fx.hsm, 1, pub, sizeof(pub), &pub_len, &err) != 0)
		fail_msg("hsm_pubkey: %s", err.msg);
	export_read_upto(t, upto, &e);
	r = audit_verify(e.l, e.n, pub, pub_len, NULL, flags, rep);
	free(e.text);
	return r;
}

/* Export everything and verify; flags as audit_verify's (AUDIT_VERIFY_UNSIGNED_TAIL or 0). */
static int
verify_export(struct test_ctx *t, unsigned flags, struct audit_report *rep)
{
	return verify_export_upto(t, UINT64_MAX, flags, rep);
}

static void
exec_ok(struct test_ctx *t, const char *sql)
{
	assert_int_equal(sqlite3_exec(store_db(t->store), sql, NULL, NULL, NULL), SQLITE_OK);
}

/* ---- tests ---- */

static void
test_append_needs_transaction(void **state)
{
	struct test_ctx *t = *state;
	struct audit_record r;
	struct bos_err err = { 0 };

	record_fill(&r, 1, "allow");
	assert_int_not_equal(audit_append(t->store, &r, &err), 0);
	assert_int_equal(err.code, BOS_E_INVALID);
	record_fill(&r, 1, "perhaps");
	assert_int_equal(store_begin(t->store, &err), 0);
	assert_int_not_equal(audit_append(t->store, &r, &err), 0);
	assert_int_equal(store_rollback(t->store, &err), 0);
	/* Nothing to sign yet. */
	assert_int_not_equal(audit_checkpoint(t->store, fx.hsm, 1, "2026-11-28T21:00:00Z", &err), 0);
}

static void
test_rollback_leaves_no_record(void **state)
{
	struct test_ctx *t = *state;
	struct audit_record r;
	struct audit_report rep;
	struct bos_err err = { 0 };

	assert_int_equal(append_ok(t, 1), 1);
	assert_int_equal(append_ok(t, 2), 2);
	/* The action failed: its record goes with it. */
	record_fill(&r, 3, "allow");
	assert_int_equal(store_begin(t->store, &err), 0);
	assert_int_equal(audit_append(t->store, &r, &err), 0);
	assert_int_equal(r.seq, 3);
	assert_int_equal(store_rollback(t->store, &err), 0);
	/* The next record chains from the committed head. */
	assert_int_equal(append_ok(t, 4), 3);
	/* A chain that no checkpoint covers links, and proves nothing. */
	assert_int_not_equal(verify_export(t, AUDIT_VERIFY_UNSIGNED_TAIL, &rep), 0);
	assert_int_equal(rep.records, 3);
	assert_non_null(strstr(rep.msg, "the chain alone proves nothing"));
	checkpoint_ok(t);
	assert_int_equal(verify_export(t, 0, &rep), 0);
	assert_true(rep.ok);
	assert_int_equal(rep.records, 3);
	assert_int_equal(rep.unsigned_tail, 0);
}

static void
test_checkpoint_with_hsm_key(void **state)
{
	struct test_ctx *t = *state;
	struct audit_report rep;
	unsigned i;

	for (i = 1; i <= 10; i++)
		append_ok(t, i);
	checkpoint_ok(t);
	checkpoint_ok(t);                  /* same head: kept once */
	for (i = 11; i <= 13; i++)
		append_ok(t, i);
	assert_int_not_equal(verify_export(t, 0, &rep), 0);   /* 11-13 unsigned */
	assert_int_equal(rep.bad_seq, 11);
	assert_int_equal(verify_export(t, AUDIT_VERIFY_UNSIGNED_TAIL, &rep), 0);
	assert_true(rep.ok);
	assert_int_equal(rep.records, 13);
	assert_int_equal(rep.checkpoints, 1);
	assert_int_equal(rep.signed_seq, 10);
	assert_int_equal(rep.unsigned_tail, 3);
	/* Through the signed head only (what the vault exports, #12 item 15): strictly valid. */
	assert_int_equal(verify_export_upto(t, 10, 0, &rep), 0);
	assert_int_equal(rep.records, 10);
	assert_int_equal(rep.unsigned_tail, 0);
	checkpoint_ok(t);
	/* A bound before a checkpoint leaves the checkpoint out too. */
	assert_int_equal(verify_export_upto(t, 12, AUDIT_VERIFY_UNSIGNED_TAIL, &rep), 0);
	assert_int_equal(rep.records, 12);
	assert_int_equal(rep.checkpoints, 1);
	assert_int_equal(rep.unsigned_tail, 2);
	assert_int_equal(verify_export(t, 0, &rep), 0);
	assert_int_equal(rep.checkpoints, 2);
	assert_int_equal(rep.signed_seq, 13);
	assert_int_equal(rep.unsigned_tail, 0);
}

static void
test_sql_edits_are_named(void **state)
{
	struct test_ctx *t = *state;
	struct audit_report rep;
	unsigned i;

	for (i = 1; i <= 12; i++)
		append_ok(t, i);
	checkpoint_ok(t);
	assert_int_equal(verify_export(t, 0, &rep), 0);
	exec_ok(t, "UPDATE audit_log SET decision = 'allow' WHERE seq = 10");
	assert_int_not_equal(verify_export(t, 0, &rep), 0);
	assert_int_equal(rep.bad_seq, 10);
	assert_string_equal(rep.msg, "record 10: hash does not match its contents");
	exec_ok(t, "DELETE FROM audit_log WHERE seq = 4");
	assert_int_not_equal(verify_export(t, 0, &rep), 0);
	assert_int_equal(rep.bad_seq, 4);
	assert_string_equal(rep.msg, "record 5 follows 3: record 4 missing");
	/* Truncation by someone who can also switch off the foreign key to the checkpoint. */
	exec_ok(t, "PRAGMA foreign_keys = OFF; DELETE FROM audit_log WHERE seq > 3;"
	    " PRAGMA foreign_keys = ON");
	assert_int_not_equal(verify_export(t, 0, &rep), 0);
	assert_string_equal(rep.msg, "export ends at 3 but checkpoint says 12: truncated");
}

/* The database's own chain check: from any seq, and it names the first bad record. */
static void
test_chain_check(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	uint64_t bad = 99;
	unsigned i;

	assert_int_equal(audit_chain_check(t->store, 1, &bad, &err), 0);   /* empty */
	for (i = 1; i <= 20; i++)
		append_ok(t, i);
	assert_int_equal(audit_chain_check(t->store, 1, &bad, &err), 0);
	assert_int_equal(audit_chain_check(t->store, 15, &bad, &err), 0);
	exec_ok(t, "UPDATE audit_log SET reason = 'edited' WHERE seq = 17");
	assert_int_not_equal(audit_chain_check(t->store, 1, &bad, &err), 0);
	assert_int_equal(bad, 17);
	assert_non_null(strstr(err.msg, "audit record 17"));
	assert_int_not_equal(audit_chain_check(t->store, 17, &bad, &err), 0);
	assert_int_equal(bad, 17);
	/* Starting after the edit does not see it: that is what the checkpoint before covers. */
	assert_int_equal(audit_chain_check(t->store, 18, &bad, &err), 0);
	exec_ok(t, "DELETE FROM audit_log WHERE seq = 19");
	assert_int_not_equal(audit_chain_check(t->store, 18, &bad, &err), 0);
	assert_non_null(strstr(err.msg, "audit record 19 is missing"));
	assert_int_not_equal(audit_chain_check(t->store, 0, &bad, &err), 0);
}

/* The newest checkpoint, and a record by seq. */
static void
test_last_checkpoint_and_get(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct audit_checkpoint cp;
	struct audit_record r;
	uint8_t hash[AUDIT_HASH_LEN], head_hash[AUDIT_HASH_LEN];
	uint64_t head;
	int found = 1;

	assert_int_equal(audit_last_checkpoint(t->store, &cp, &found, &err), 0);
	assert_int_equal(found, 0);
	append_ok(t, 1);
	append_ok(t, 2);
	checkpoint_ok(t);
	append_ok(t, 3);
	assert_int_equal(audit_last_checkpoint(t->store, &cp, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_int_equal(cp.seq, 2);
	assert_int_equal(cp.key_version, 1);
	assert_int_equal(audit_record_get(t->store, 2, &r, hash, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_memory_equal(hash, cp.hash, AUDIT_HASH_LEN);
	assert_string_equal(r.resource, "cr_2");
	assert_int_equal(audit_record_get(t->store, 4, &r, hash, &found, &err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(audit_head_get(t->store, &head, head_hash, &err), 0);
	assert_int_equal(head, 3);
}

struct collect {
	uint64_t seq[64];
	size_t n;
};

static int
collect_cb(const struct audit_record *r, const uint8_t hash[AUDIT_HASH_LEN], void *arg)
{
	struct collect *c = arg;

	(void)hash;
	if (c->n == BOS_ARRAY_LEN(c->seq))
		return 1;
	c->seq[c->n++] = r->seq;
	return 0;
}

static size_t
query(struct test_ctx *t, const struct audit_query *q, struct collect *c)
{
	struct bos_err err = { 0 };

	memset(c, 0, sizeof(*c));
	if (audit_query_run(t->store, q, collect_cb, c, &err) != 0)
		fail_msg("audit_query_run: %s", err.msg);
	return c->n;
}

/* Filters, order and cursors of GET /credentials/audit. */
static void
test_query(void **state)
{
	struct test_ctx *t = *state;
	struct audit_query q;
	struct collect c;
	struct bos_err err = { 0 };
	unsigned i;

	for (i = 1; i <= 30; i++)
		append_ok(t, i);   /* seq i: resource cr_i, deny when i % 5 == 0, minute i */
	memset(&q, 0, sizeof(q));
	q.limit = 100;
	assert_int_equal(query(t, &q, &c), 30);
	assert_int_equal(c.seq[0], 1);
	q.decision = "deny";
	assert_int_equal(query(t, &q, &c), 6);
	assert_int_equal(c.seq[5], 30);
	q.decision = NULL;
	q.resource = "cr_1";        /* a prefix: cr_1, cr_10..cr_19 */
	assert_int_equal(query(t, &q, &c), 11);
	q.resource = "cr_1%";       /* no LIKE: '%' is a character like any other */
	assert_int_equal(query(t, &q, &c), 0);
	q.resource = NULL;
	q.since = "2026-11-28T20:10:00Z";
	q.until = "2026-11-28T20:12:00Z";
	assert_int_equal(query(t, &q, &c), 2);
	assert_int_equal(c.seq[0], 10);
	q.since = q.until = NULL;
	q.principal = "acc_someone_else";
	assert_int_equal(query(t, &q, &c), 0);
	q.principal = "acc_abcdefghijklmnopqrst";
	q.action = "credential.read";
	q.limit = 7;
	assert_int_equal(query(t, &q, &c), 7);
	q.cursor = c.seq[6];
	assert_int_equal(query(t, &q, &c), 7);
	assert_int_equal(c.seq[0], 8);
	q.desc = 1;
	q.cursor = 0;
	assert_int_equal(query(t, &q, &c), 7);
	assert_int_equal(c.seq[0], 30);
	q.cursor = c.seq[6];
	assert_int_equal(query(t, &q, &c), 7);
	assert_int_equal(c.seq[0], 23);
	q.limit = 0;
	assert_int_not_equal(audit_query_run(t->store, &q, collect_cb, &c, &err), 0);
}

/* Text that does not fit a field is made to fit, never refused. */
static void
test_field_clean(void **state)
{
	char f[AUDIT_FIELD_MAX], big[600];
	struct audit_record r;
	struct bos_err err = { 0 };
	size_t i;

	(void)state;
	audit_field_clean(f, "plain");
	assert_string_equal(f, "plain");
	audit_field_clean(f, "a\nb\tc\x7f");
	assert_string_equal(f, "a?b?c?");
	audit_field_clean(f, "caf\xc3\xa9 \xff\xc3(");   /* valid é, a stray byte, a cut pair */
	assert_string_equal(f, "caf\xc3\xa9 ?" "?(");
	audit_field_clean(f, "\xed\xa0\x80");             /* a surrogate is not UTF-8 */
	assert_string_equal(f, "???");
	audit_field_clean(f, NULL);
	assert_string_equal(f, "");
	/* 254 ASCII bytes then a two-byte character: cut before it, not in it. */
	memset(big, 'x', 254);
	memcpy(big + 254, "\xc3\xa9yz", 5);
	audit_field_clean(f, big);
	assert_int_equal(strlen(f), 254);
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = '\0';
	audit_field_clean(f, big);
	assert_int_equal(strlen(f), AUDIT_FIELD_MAX - 1);
	/* Whatever came in, the result is a valid field. */
	record_fill(&r, 1, "allow");
	r.seq = 1;
	audit_field_clean(r.reason, "\x01\x02\xf4\x90\x80\x80");
	assert_int_equal(audit_record_check(&r, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_needs_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_no_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_with_hsm_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sql_edits_are_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_checkpoint_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test(test_field_clean),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
