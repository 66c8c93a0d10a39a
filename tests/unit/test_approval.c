/*
 * Unit tests for approvals and grant pickups (vault/store/approval.c,
 * pickup.c; docs/MCP.md), against a real SQLCipher database in a temporary
 * directory: an approval is decided once (a second decision is EXISTS, an
 * unknown id NOTFOUND), a pending one past its time reads as expired and is
 * swept; a pickup ends once, keeps no blob once ended, and ends with its
 * grant in the statement that revokes the grant (the schema's trigger).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/approval.h"
#include "store/pickup.h"
#include "store/store.h"
#include "store_fixture.h"

#define T0 1796601600LL       /* 2026-12-07 00:00:00 UTC */
#define ACC "acc_aaaaaaaaaaaaaaaaaaaa"

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
	if (store_fixture_open("approval", 0x52, t.dir, sizeof(t.dir), t.path, sizeof(t.path),
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

static int
copy_cb(const struct approval_info *a, void *arg)
{
	struct approval_info *out = arg;

	*out = *a;
	out->params_json = out->result_json = NULL;
	return 0;
}

static int
count_cb(const struct approval_info *a, void *arg)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

static void
new_approval(struct store *s, int64_t now, char id[APPROVAL_ID_SIZE])
{
	struct approval_new a = { "budget_set", "{\"service\":\"sendgrid\",\"daily\":5000}",
	    "raise the daily budget of sendgrid from 10.00 USD to 50.00 USD", "alice", now + 900 };
	struct bos_err err = { 0 };

	if (approval_create(s, &a, now, id, &err) != 0)
		fail_msg("approval_create: %s", err.msg);
	assert_true(approval_id_valid(id));
}

static void
test_approval_decided_once(void **state)
{
	struct test_ctx *t = *state;
	char id[APPROVAL_ID_SIZE];
	struct approval_info a;
	struct bos_err err = { 0 };

	new_approval(t->s, T0, id);
	assert_int_equal(approval_get(t->s, id, copy_cb, &a, &err), 0);
	assert_string_equal(a.state, "pending");
	assert_string_equal(approval_state(&a, T0 + 10), "pending");
	assert_int_equal(approval_decide(t->s, id, "approved", "bob", "{\"daily\":5000}", T0 + 10,
	    &err), 0);
	assert_int_equal(approval_get(t->s, id, copy_cb, &a, &err), 0);
	assert_string_equal(a.state, "approved");
	assert_string_equal(a.decided_by, "bob");
	assert_int_equal(a.decided_at, T0 + 10);
	/* A second decision, whichever, is refused: the one conditional UPDATE decides. */
	assert_int_equal(approval_decide(t->s, id, "rejected", "alice", NULL, T0 + 11, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(approval_decide(t->s, "ap_aaaaaaaaaaaaaaaaaaaaaaaaaa", "rejected",
	    "alice", NULL, T0, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	/* Refused outright: an unknown state, an expiry with a decider, a result not an object. */
	assert_int_equal(approval_decide(t->s, id, "done", "alice", NULL, T0, &err), -1);
	assert_int_equal(approval_decide(t->s, id, "expired", "alice", NULL, T0, &err), -1);
	assert_int_equal(approval_decide(t->s, id, "approved", "alice", "[1]", T0, &err), -1);
}

static void
test_approval_expiry(void **state)
{
	struct test_ctx *t = *state;
	char id[APPROVAL_ID_SIZE];
	struct approval_info a;
	struct bos_err err = { 0 };
	unsigned n = 0;
	int k = 0;

	new_approval(t->s, T0, id);
	assert_int_equal(approval_list(t->s, APPROVAL_PENDING, T0 + 899, count_cb, &k, &err), 0);
	assert_true(k >= 1);
	k = 0;
	assert_int_equal(approval_get(t->s, id, copy_cb, &a, &err), 0);
	assert_string_equal(approval_state(&a, T0 + 900), "expired");
	assert_int_equal(approval_list(t->s, APPROVAL_PENDING, T0 + 900, count_cb, &k, &err), 0);
	assert_int_equal(k, 0);
	assert_int_equal(approval_sweep_expired(t->s, T0 + 900, &n, &err), 0);
	assert_true(n >= 1);
	assert_int_equal(approval_get(t->s, id, copy_cb, &a, &err), 0);
	assert_string_equal(a.state, "expired");
	assert_string_equal(a.decided_by, "");
	assert_int_equal(approval_decide(t->s, id, "approved", "alice", NULL, T0 + 901, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
}

static void
test_approval_refuses_bad_fields(void **state)
{
	struct test_ctx *t = *state;
	struct approval_new a = { "budget_set", "not json", "x", "alice", T0 + 1 };
	char id[APPROVAL_ID_SIZE];
	struct bos_err err = { 0 };

	assert_int_equal(approval_create(t->s, &a, T0, id, &err), -1);
	a.params_json = "{}";
	a.expires_at = T0;
	assert_int_equal(approval_create(t->s, &a, T0, id, &err), -1);
	a.expires_at = T0 + 1;
	a.summary = "";
	assert_int_equal(approval_create(t->s, &a, T0, id, &err), -1);
}

static void
exec_ok(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
}

/* A helper and a grant ACC in plain SQL, as helper.c leaves them. */
static void
grant_row(struct store *s)
{
	exec_ok(s, "INSERT OR IGNORE INTO helpers (id, name, contact, kind, created_by, created_at)"
	    " VALUES ('hl_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'Jane', '', 'setup', 'alice', 1)");
	exec_ok(s, "INSERT INTO grants (accessor, token_hash, helper_id, credentials, actions,"
	    " cidrs, note, issued_by, created_at, expires_at, max_uses) VALUES ('" ACC "',"
	    " zeroblob(32), 'hl_aaaaaaaaaaaaaaaaaaaaaaaaaa', '[]', 1, '[]', '', 'alice', 1,"
	    " 9999999999, 0)");
}

static void
test_pickup_once(void **state)
{
	struct test_ctx *t = *state;
	uint8_t blob[PICKUP_BLOB_MAX];
	struct pickup_info p;
	struct bos_err err = { 0 };
	unsigned n = 0;

	memset(blob, 0xab, sizeof(blob));
	grant_row(t->s);
	assert_int_equal(pickup_get(t->s, ACC, T0, &p, &err), 1);
	assert_int_equal(pickup_store(t->s, ACC, 1, blob, sizeof(blob), "alice", T0, T0 + 600,
	    &err), 0);
	assert_int_equal(pickup_get(t->s, ACC, T0 + 1, &p, &err), 0);
	assert_int_equal(p.state, PICKUP_WAITING);
	assert_int_equal(p.blob_len, sizeof(blob));
	assert_memory_equal(p.blob, blob, sizeof(blob));
	assert_string_equal(p.created_by, "alice");
	assert_int_equal(pickup_get(t->s, ACC, T0 + 600, &p, &err), 0);
	assert_int_equal(p.state, PICKUP_EXPIRED);
	assert_int_equal(pickup_end(t->s, ACC, "picked_up", T0 + 2, &err), 0);
	assert_int_equal(pickup_get(t->s, ACC, T0 + 3, &p, &err), 0);
	assert_int_equal(p.state, PICKUP_USED);
	assert_int_equal(p.blob_len, 0);
	assert_int_equal(pickup_end(t->s, ACC, "picked_up", T0 + 4, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(pickup_sweep_expired(t->s, T0 + 700, &n, &err), 0);
	assert_int_equal(n, 0);
	/* A revoked grant's pickup ends with it (the trigger), blob gone. */
	exec_ok(t->s, "DELETE FROM grant_pickups");
	assert_int_equal(pickup_store(t->s, ACC, 1, blob, sizeof(blob), "alice", T0, T0 + 600,
	    &err), 0);
	exec_ok(t->s, "UPDATE grants SET revoked_at = 5, revoke_reason = 'test' WHERE accessor = '"
	    ACC "'");
	assert_int_equal(pickup_get(t->s, ACC, T0 + 1, &p, &err), 0);
	assert_int_equal(p.state, PICKUP_REVOKED);
	assert_int_equal(p.blob_len, 0);
	/* The sweep ends waiting pickups past their time. */
	exec_ok(t->s, "DELETE FROM grant_pickups");
	exec_ok(t->s, "UPDATE grants SET revoked_at = NULL, revoke_reason = NULL");
	assert_int_equal(pickup_store(t->s, ACC, 1, blob, sizeof(blob), "alice", T0, T0 + 600,
	    &err), 0);
	assert_int_equal(pickup_sweep_expired(t->s, T0 + 599, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(pickup_sweep_expired(t->s, T0 + 600, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pickup_get(t->s, ACC, T0 + 601, &p, &err), 0);
	assert_int_equal(p.state, PICKUP_EXPIRED);
	assert_int_equal(p.blob_len, 0);
	assert_int_equal(pickup_end(t->s, ACC, "picked_up", T0 + 602, &err), -1);
	/* Refused: a malformed accessor, no blob, a time in the past. */
	assert_int_equal(pickup_store(t->s, "acc_x", 1, blob, sizeof(blob), "alice", T0, T0 + 1,
	    &err), -1);
	assert_int_equal(pickup_store(t->s, ACC, 1, blob, 0, "alice", T0, T0 + 1, &err), -1);
	assert_int_equal(pickup_store(t->s, ACC, 1, blob, sizeof(blob), "alice", T0, T0, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_approval_decided_once),
		cmocka_unit_test(test_approval_expiry),
		cmocka_unit_test(test_approval_refuses_bad_fields),
		cmocka_unit_test(test_pickup_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
