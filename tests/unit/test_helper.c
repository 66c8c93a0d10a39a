/*
 * Unit tests for vault/store/helper.c (helpers, grants, the decision of one use)
 * and vault/store/cred_use.c, against a real SQLCipher database in a temporary
 * directory, the real policy engine, and a real bos-hsmd on a fresh SoftHSM
 * token for the credentials that grants point at. Time is passed in, so
 * expiry and idleness need no sleeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "auth/auth.h"
#include "store/cred.h"
#include "store/cred_use.h"
#include "auth/authz.h"
#include "store/helper.h"
#include "store/store.h"
#include "hsm_fixture.h"
#include "store_fixture.h"
#include "policy.h"
#include "secmem.h"
#include "token.h"

#define T0 1700000000LL       /* a fixed "now" */
#define DAY 86400

static struct hsm_fixture fx;

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *store;
	struct cred_ctx cc;
	struct policy_set *ps;
	char sendgrid[CRED_ID_LEN + 1], twilio[CRED_ID_LEN + 1], card[CRED_ID_LEN + 1];
	char helper[HELPER_ID_SIZE];
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

static void
cred_new_ok(struct test_ctx *t, const char *name, const char *service, char id[CRED_ID_LEN + 1])
{
	struct cred_new n = { name, CRED_API_KEY, service, NULL, (const uint8_t *)"s3cret", 6 };
	struct bos_err err = { 0 };

	if (cred_create(&t->cc, &n, id, &err) != 0)
		fail_msg("cred_create(%s): %s", name, err.msg);
}

static void
helper_new_ok(struct test_ctx *t, const char *name, char id[HELPER_ID_SIZE])
{
	struct helper_new n = { name, "jane@example.com", "setup", "alice" };
	struct bos_err err = { 0 };

	if (helper_create(t->store, &n, T0, id, &err) != 0)
		fail_msg("helper_create(%s): %s", name, err.msg);
	assert_true(helper_id_valid(id));
}

static int
setup(void **state)
{
	struct test_ctx *t = calloc(1, sizeof(*t));
	char msg[256];

	if (t == NULL)
		return -1;
	if (store_fixture_open("helper", 0x50, t->dir, sizeof(t->dir), t->path,
	    sizeof(t->path), &t->store) != 0)
		return -1;
	t->cc = (struct cred_ctx){ t->store, fx.hsm, 1 };
	if (policy_parse("roles.policy", policy_default_text, strlen(policy_default_text), &t->ps,
	    msg, sizeof(msg)) != 0) {
		fprintf(stderr, "policy_parse: %s\n", msg);
		return -1;
	}
	cred_new_ok(t, "sendgrid-main", "sendgrid", t->sendgrid);
	cred_new_ok(t, "twilio-main", "twilio", t->twilio);
	cred_new_ok(t, "corporate card", "payments", t->card);
	helper_new_ok(t, "Jane Doe", t->helper);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct test_ctx *t = *state;

	policy_free(t->ps);
	store_fixture_remove(t->store, t->dir);
	free(t);
	return 0;
}

/* ---- helpers ---- */

struct grant_spec {
	const char *items[4];
	unsigned actions;
	int64_t ttl;
	uint32_t max_uses;
	const char *cidrs[2];
};

static size_t
count_set(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

static void
grant_new_ok(struct test_ctx *t, const struct grant_spec *sp, char token[TOKEN_SIZE],
    char acc[TOKEN_ACCESSOR_SIZE])
{
	struct grant_new g = { t->helper, sp->items, count_set(sp->items, 4), sp->actions,
	    T0 + sp->ttl, sp->max_uses, sp->cidrs, count_set(sp->cidrs, 2), "a note", "alice" };
	struct bos_err err = { 0 };

	if (grant_create(t->store, &g, T0, token, acc, &err) != 0)
		fail_msg("grant_create: %s", err.msg);
	assert_int_equal(token_check(token, TOKEN_HELPER), 0);
	assert_true(token_accessor_valid(acc));
}

/* Decide one use by the helper holding acc: 1 allowed, 0 refused. */
static int
use_at(struct test_ctx *t, const char *acc, unsigned action, const char *cred_id, int64_t now,
    const char *client, uint32_t idle_s, struct policy_decision *told)
{
	static const struct policy_resource unknown = { "credentials/UNKNOWN/UNKNOWN", NULL };
	struct principal who = { .kind = PRINCIPAL_HELPER };
	struct policy_context ctx = { now, client };
	struct policy_resource res = { NULL, NULL };
	struct policy_decision d, scratch;
	struct cred_meta m;
	struct bos_err err = { 0 };
	char path[GRANT_ITEM_MAX + 1];
	struct grant_use u = { t->ps, &who, action, NULL, &unknown, &ctx, idle_s };

	snprintf(who.accessor, sizeof(who.accessor), "%s", acc);
	if (cred_id != NULL) {
		assert_int_equal(cred_get(&t->cc, cred_id, &m, &err), 0);
		assert_int_equal(grant_cred_path(&m, path, &err), 0);
		res = (struct policy_resource){ path, cred_id };
		u.res = &res;
		cred_meta_free(&m);
	}
	if (grant_authorize(t->store, &u, &d, told != NULL ? told : &scratch, &err) != 0)
		fail_msg("grant_authorize: %s", err.msg);
	return d.allow;
}

static int
use(struct test_ctx *t, const char *acc, unsigned action, const char *cred_id, int64_t now)
{
	return use_at(t, acc, action, cred_id, now, "127.0.0.1", 30 * DAY, NULL);
}

static void
grant_get_ok(struct test_ctx *t, const char *acc, struct grant_info *g)
{
	struct bos_err err = { 0 };

	if (grant_get(t->store, acc, g, &err) != 0)
		fail_msg("grant_get(%s): %s", acc, err.msg);
}

static int
count(struct test_ctx *t, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int n;

	assert_int_equal(sqlite3_prepare_v2(store_db(t->store), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- helpers: registration ---- */

static void
helper_refused(struct test_ctx *t, const char *name, const char *contact, const char *kind,
    const char *msg_part)
{
	struct helper_new n = { name, contact, kind, "alice" };
	struct bos_err err = { 0 };
	char id[HELPER_ID_SIZE] = "x";
	int before = count(t, "SELECT count(*) FROM helpers");

	if (helper_create(t->store, &n, T0, id, &err) == 0)
		fail_msg("helper (%s, %s, %s) was accepted", name ? name : "NULL",
		    contact ? contact : "NULL", kind ? kind : "NULL");
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_string_equal(id, "");
	if (strstr(err.msg, msg_part) == NULL)
		fail_msg("expected '%s' in '%s'", msg_part, err.msg);
	assert_int_equal(count(t, "SELECT count(*) FROM helpers"), before);
}

static void
test_helper_validation(void **state)
{
	struct test_ctx *t = *state;
	static const char *const contacts_ok[] = { "jane@example.com", "j.doe+bos@mail.example.org",
		"+1 (555) 010-9999", "0049 30 1234567", "", NULL };
	struct helper_new n = { "Ok name-1.x_y", NULL, "developer", "alice" };
	struct bos_err err = { 0 };
	char id[HELPER_ID_SIZE];
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(contacts_ok); i++) {
		n.contact = contacts_ok[i];
		if (helper_create(t->store, &n, T0, id, &err) != 0)
			fail_msg("contact '%s' refused: %s", contacts_ok[i] ? contacts_ok[i] : "NULL",
			    err.msg);
	}
	helper_refused(t, "", "a@b.co", "setup", "'name'");
	helper_refused(t, "x\ty", "a@b.co", "setup", "'name'");
	helper_refused(t, " lead", "a@b.co", "setup", "space");
	helper_refused(t, "a;DROP TABLE", "a@b.co", "setup", "'name'");
	helper_refused(t, "4111111111111111", "a@b.co", "setup", "card number");
	helper_refused(t, "Jane", "jane@", "setup", "'contact'");
	helper_refused(t, "Jane", "jane@localhost", "setup", "'contact'");
	helper_refused(t, "Jane", "jane doe@example.com", "setup", "'contact'");
	helper_refused(t, "Jane", "a@@b.co", "setup", "'contact'");
	helper_refused(t, "Jane", "12345", "setup", "'contact'");
	helper_refused(t, "Jane", "call me maybe", "setup", "'contact'");
	helper_refused(t, "Jane", "4111 1111 1111 1111", "setup", "card number");
	helper_refused(t, "Jane", "4111-1111-1111-1111@example.com", "setup", "card number");
	helper_refused(t, "Jane", "a@b.co", "admin", "'kind'");
	helper_refused(t, "Jane", "a@b.co", NULL, "'kind'");
	{
		char longc[HELPER_CONTACT_MAX + 8];

		memset(longc, 'a', sizeof(longc) - 1);
		longc[sizeof(longc) - 1] = '\0';
		longc[10] = '@';
		helper_refused(t, "Jane", longc, "setup", "at most");
	}
}

static int
list_count_cb(const struct helper_info *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
	return 0;
}

static void
test_helper_round_trip(void **state)
{
	struct test_ctx *t = *state;
	struct helper_info h;
	struct bos_err err = { 0 };
	int n = 0;

	assert_int_equal(helper_get(t->store, t->helper, &h, &err), 0);
	assert_string_equal(h.name, "Jane Doe");
	assert_string_equal(h.contact, "jane@example.com");
	assert_string_equal(h.kind, "setup");
	assert_string_equal(h.created_by, "alice");
	assert_int_equal(h.created_at, T0);
	assert_int_equal(h.revoked_at, 0);
	assert_int_equal(helper_get(t->store, "hl_aaaaaaaaaaaaaaaaaaaaaaaaaa", &h, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(helper_get(t->store, "'; DROP TABLE helpers; --", &h, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_null(strstr(err.msg, "DROP"));
	assert_int_equal(helper_list(t->store, list_count_cb, &n, &err), 0);
	assert_int_equal(n, 1);
}

/* ---- grants: creation and the token ---- */

static void
test_grant_token_stored_as_hash(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, DAY, 0, { NULL } };
	char token[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE], a2[TOKEN_ACCESSOR_SIZE], h2[HELPER_ID_SIZE];
	uint8_t want[TOKEN_HASH_LEN];
	struct bos_err err = { 0 };
	sqlite3_stmt *st = NULL;

	grant_new_ok(t, &sp, token, acc);
	assert_int_equal(grant_find_token(t->store, token, a2, h2, &err), 0);
	assert_string_equal(a2, acc);
	assert_string_equal(h2, t->helper);
	/* The row holds SHA-256(token) and nothing else derived from it. */
	token_hash(token, want);
	assert_int_equal(sqlite3_prepare_v2(store_db(t->store), "SELECT token_hash, accessor,"
	    " helper_id, credentials, cidrs, note, issued_by FROM grants", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), TOKEN_HASH_LEN);
	assert_memory_equal(sqlite3_column_blob(st, 0), want, TOKEN_HASH_LEN);
	for (int c = 1; c < 7; c++)
		assert_null(strstr((const char *)sqlite3_column_text(st, c), token + 6));
	sqlite3_finalize(st);
	/* One character changed: another hash, no grant. */
	token[20] = token[20] == 'A' ? 'B' : 'A';
	assert_int_equal(grant_find_token(t->store, token, a2, h2, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	secmem_wipe(token, sizeof(token));
}

static void
grant_refused(struct test_ctx *t, const char *const *items, size_t n_items, unsigned actions,
    const char *const *cidrs, size_t n_cidrs, const char *helper, const char *msg_part)
{
	struct grant_new g = { helper, items, n_items, actions, T0 + DAY, 0, cidrs, n_cidrs, NULL,
	    "alice" };
	struct bos_err err = { 0 };
	char token[TOKEN_SIZE] = "x", acc[TOKEN_ACCESSOR_SIZE] = "x";
	int before = count(t, "SELECT count(*) FROM grants");

	if (grant_create(t->store, &g, T0, token, acc, &err) == 0)
		fail_msg("grant accepted; expected '%s'", msg_part);
	assert_int_equal(err.code, BOS_E_INVALID);
	if (strstr(err.msg, msg_part) == NULL)
		fail_msg("expected '%s' in '%s'", msg_part, err.msg);
	assert_string_equal(token, "");
	assert_string_equal(acc, "");
	assert_int_equal(count(t, "SELECT count(*) FROM grants"), before);
}

static void
test_grant_validation(void **state)
{
	struct test_ctx *t = *state;
	const char *one[] = { t->sendgrid };
	const char *bad_cidr[] = { "10.0.0.0/33" };
	const char *host_bits[] = { "10.0.0.1/8" };
	const char *many[POLICY_GRANT_MAX_ITEMS + 1];
	struct bos_err err = { 0 };
	unsigned n = 0;
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(many); i++)
		many[i] = t->sendgrid;
	grant_refused(t, one, 0, POLICY_READ, NULL, 0, t->helper, "'credentials'");
	grant_refused(t, many, BOS_ARRAY_LEN(many), POLICY_READ, NULL, 0, t->helper,
	    "'credentials'");
	grant_refused(t, one, 1, 0, NULL, 0, t->helper, "'actions'");
	grant_refused(t, one, 1, POLICY_DELETE, NULL, 0, t->helper, "'actions'");
	grant_refused(t, one, 1, POLICY_READ | POLICY_GRANT, NULL, 0, t->helper, "'actions'");
	grant_refused(t, one, 1, POLICY_READ, bad_cidr, 1, t->helper, "'cidrs'");
	grant_refused(t, one, 1, POLICY_READ, host_bits, 1, t->helper, "'cidrs'");
	grant_refused(t, one, 1, POLICY_READ, NULL, 0, "hl_aaaaaaaaaaaaaaaaaaaaaaaaaa", "no helper");
	assert_int_equal(helper_remove(t->store, t->helper, T0, &n, &err), 0);
	grant_refused(t, one, 1, POLICY_READ, NULL, 0, t->helper, "removed");
}

static void
resolve(struct test_ctx *t, const char *item, const char *want_stored, const char *want_scope)
{
	char stored[GRANT_ITEM_MAX + 1], scope[GRANT_ITEM_MAX + 1];
	struct bos_err err = { 0 };

	if (grant_item_resolve(&t->cc, item, stored, scope, &err) != 0)
		fail_msg("resolve(%s): %s", item, err.msg);
	assert_string_equal(stored, want_stored);
	assert_string_equal(scope, want_scope);
}

static void
resolve_refused(struct test_ctx *t, const char *item)
{
	char stored[GRANT_ITEM_MAX + 1], scope[GRANT_ITEM_MAX + 1];
	struct bos_err err = { 0 };

	if (grant_item_resolve(&t->cc, item, stored, scope, &err) == 0)
		fail_msg("item '%s' was accepted", item);
	assert_int_equal(err.code, BOS_E_INVALID);
}

static void
test_grant_items(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };

	resolve(t, t->sendgrid, t->sendgrid, "credentials/sendgrid/sendgrid-main");
	resolve(t, "sendgrid-main", "credentials/sendgrid/sendgrid-main",
	    "credentials/sendgrid/sendgrid-main");
	resolve(t, "credentials/sendgrid/*", "credentials/sendgrid/*", "credentials/sendgrid/*");
	resolve(t, "credentials/**", "credentials/**", "credentials/**");
	resolve_refused(t, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa");     /* no such id */
	resolve_refused(t, "no-such-name");
	resolve_refused(t, "");
	resolve_refused(t, "credentials/");
	resolve_refused(t, "credentials//x");
	resolve_refused(t, "credentials/sendgrid/");
	resolve_refused(t, "credentials/../admins");
	resolve_refused(t, "credentials/a\nb");
	resolve_refused(t, "credentials/./x");
	resolve_refused(t, "credentials/**/x");
	resolve_refused(t, "credentials/a**");
	resolve_refused(t, "admins/**");
	resolve(t, "credentials/send*/main", "credentials/send*/main", "credentials/send*/main");
	assert_int_equal(cred_revoke(&t->cc, t->twilio, &err), 0);
	resolve_refused(t, t->twilio);                            /* revoked */
	resolve_refused(t, "twilio-main");
}

/* ---- grants: one use ---- */

static void
test_grant_scope(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec by_id = { { t->sendgrid }, POLICY_READ, DAY, 0, { NULL } };
	struct grant_spec by_pat = { { "credentials/sendgrid/*" }, POLICY_READ | POLICY_UPDATE, DAY,
	    0, { NULL } };
	char tok[TOKEN_SIZE], a1[TOKEN_ACCESSOR_SIZE], a2[TOKEN_ACCESSOR_SIZE];

	grant_new_ok(t, &by_id, tok, a1);
	grant_new_ok(t, &by_pat, tok, a2);
	assert_true(use(t, a1, POLICY_READ, t->sendgrid, T0 + 1));
	assert_false(use(t, a1, POLICY_UPDATE, t->sendgrid, T0 + 1));   /* action not granted */
	assert_false(use(t, a1, POLICY_READ, t->twilio, T0 + 1));       /* outside the grant */
	assert_false(use(t, a1, POLICY_DELETE, t->sendgrid, T0 + 1));
	assert_false(use(t, a1, POLICY_LIST, t->sendgrid, T0 + 1));
	assert_true(use(t, a2, POLICY_UPDATE, t->sendgrid, T0 + 1));
	assert_false(use(t, a2, POLICY_READ, t->card, T0 + 1));
	assert_false(use(t, a2, POLICY_READ, NULL, T0 + 1));            /* nothing by that name */
	secmem_wipe(tok, sizeof(tok));
}

static void
test_grant_unknown_and_ungranted_alike(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, DAY, 0, { NULL } };
	struct policy_decision a, b;
	char tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];

	grant_new_ok(t, &sp, tok, acc);
	assert_false(use_at(t, acc, POLICY_READ, t->twilio, T0 + 1, "127.0.0.1", DAY, &a));
	assert_false(use_at(t, acc, POLICY_READ, NULL, T0 + 1, "127.0.0.1", DAY, &b));
	assert_string_equal(a.reason, b.reason);
	assert_null(strstr(a.reason, "twilio"));
	/* Even a grant that covers the made-up path refuses an unknown one. */
	sp.items[0] = "credentials/*/*";
	grant_new_ok(t, &sp, tok, acc);
	assert_false(use_at(t, acc, POLICY_READ, NULL, T0 + 1, "127.0.0.1", DAY, &b));
	secmem_wipe(tok, sizeof(tok));
}

static void
test_grant_use_limit(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, DAY, 2, { NULL } };
	char tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];
	struct grant_info g;

	grant_new_ok(t, &sp, tok, acc);
	/* Refusals count nothing. */
	assert_false(use(t, acc, POLICY_READ, t->twilio, T0 + 1));
	assert_true(use(t, acc, POLICY_READ, t->sendgrid, T0 + 1));
	assert_true(use(t, acc, POLICY_READ, t->sendgrid, T0 + 2));
	assert_false(use(t, acc, POLICY_READ, t->sendgrid, T0 + 3));
	assert_false(use(t, acc, POLICY_READ, t->sendgrid, T0 + 4));
	grant_get_ok(t, acc, &g);
	assert_int_equal(g.uses, 2);
	assert_int_equal(g.last_used_at, T0 + 2);
	assert_string_equal(grant_state(&g, T0 + 4), "exhausted");
	grant_info_free(&g);
	secmem_wipe(tok, sizeof(tok));
}

static void
test_grant_expiry(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, 100, 0, { NULL } };
	char tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];
	struct grant_info g;

	grant_new_ok(t, &sp, tok, acc);
	assert_true(use(t, acc, POLICY_READ, t->sendgrid, T0 + 99));
	assert_false(use(t, acc, POLICY_READ, t->sendgrid, T0 + 100));
	assert_false(use(t, acc, POLICY_READ, t->sendgrid, T0 + 1000));
	grant_get_ok(t, acc, &g);
	assert_int_equal(g.uses, 1);
	assert_string_equal(grant_state(&g, T0 + 100), "expired");
	assert_string_equal(grant_state(&g, T0 + 99), "active");
	grant_info_free(&g);
	secmem_wipe(tok, sizeof(tok));
}

static void
test_grant_cidrs(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, DAY, 0, { "10.0.0.0/8",
		"2001:db8::/32" } };
	char tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];

	grant_new_ok(t, &sp, tok, acc);
	assert_false(use_at(t, acc, POLICY_READ, t->sendgrid, T0 + 1, "127.0.0.1", DAY, NULL));
	assert_false(use_at(t, acc, POLICY_READ, t->sendgrid, T0 + 1, "unix", DAY, NULL));
	assert_false(use_at(t, acc, POLICY_READ, t->sendgrid, T0 + 1, "11.0.0.1", DAY, NULL));
	assert_true(use_at(t, acc, POLICY_READ, t->sendgrid, T0 + 1, "10.20.30.40", DAY, NULL));
	assert_true(use_at(t, acc, POLICY_READ, t->sendgrid, T0 + 1, "2001:db8::7", DAY, NULL));
	secmem_wipe(tok, sizeof(tok));
}

static void
test_grant_revoke(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, DAY, 0, { NULL } };
	char tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];
	struct bos_err err = { 0 };
	struct grant_info g;

	grant_new_ok(t, &sp, tok, acc);
	assert_true(use(t, acc, POLICY_READ, t->sendgrid, T0 + 1));
	assert_int_equal(grant_revoke(t->store, acc, T0 + 2, "revoked by admin alice", &err), 0);
	assert_false(use(t, acc, POLICY_READ, t->sendgrid, T0 + 2));
	assert_int_equal(grant_revoke(t->store, acc, T0 + 3, "again", &err), -1);
	assert_int_equal(err.code, BOS_E_REVOKED);
	assert_int_equal(grant_revoke(t->store, "acc_aaaaaaaaaaaaaaaaaaaa", T0, "x", &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	grant_get_ok(t, acc, &g);
	assert_int_equal(g.revoked_at, T0 + 2);
	assert_string_equal(g.revoke_reason, "revoked by admin alice");
	assert_int_equal(g.uses, 1);
	grant_info_free(&g);
	/* The token still finds its grant, so the refusal can say why. */
	assert_int_equal(grant_find_token(t->store, tok, g.accessor, g.helper_id, &err), 0);
	secmem_wipe(tok, sizeof(tok));
}

static void
test_helper_remove(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, DAY, 0, { NULL } };
	char tok[TOKEN_SIZE], a1[TOKEN_ACCESSOR_SIZE], a2[TOKEN_ACCESSOR_SIZE],
	    a3[TOKEN_ACCESSOR_SIZE], jane[HELPER_ID_SIZE];
	struct bos_err err = { 0 };
	struct helper_info h;
	struct grant_info g;
	unsigned n = 99;

	memcpy(jane, t->helper, sizeof(jane));
	grant_new_ok(t, &sp, tok, a1);
	grant_new_ok(t, &sp, tok, a2);
	assert_int_equal(grant_revoke(t->store, a2, T0 + 1, "revoked by admin alice", &err), 0);
	helper_new_ok(t, "Bob", t->helper);
	grant_new_ok(t, &sp, tok, a3);           /* Bob's */
	assert_true(use(t, a1, POLICY_READ, t->sendgrid, T0 + 2));
	/* Remove Jane: her one active grant ends with her; Bob's does not. */
	assert_int_equal(helper_remove(t->store, jane, T0 + 3, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(helper_get(t->store, jane, &h, &err), 0);
	assert_int_equal(h.revoked_at, T0 + 3);
	assert_int_equal(helper_remove(t->store, jane, T0 + 4, &n, &err), -1);
	assert_int_equal(err.code, BOS_E_REVOKED);
	assert_false(use(t, a1, POLICY_READ, t->sendgrid, T0 + 4));
	grant_get_ok(t, a1, &g);
	assert_string_equal(g.revoke_reason, "helper removed");
	assert_int_equal(g.revoked_at, T0 + 3);
	grant_info_free(&g);
	grant_get_ok(t, a2, &g);
	assert_string_equal(g.revoke_reason, "revoked by admin alice");  /* kept */
	grant_info_free(&g);
	assert_true(use(t, a3, POLICY_READ, t->sendgrid, T0 + 4));
	assert_int_equal(helper_remove(t->store, "hl_aaaaaaaaaaaaaaaaaaaaaaaaaa", T0, &n, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	secmem_wipe(tok, sizeof(tok));
}

static void
test_grant_idle(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, 30 * DAY, 0, { NULL } };
	char tok[TOKEN_SIZE], used[TOKEN_ACCESSOR_SIZE], idle[TOKEN_ACCESSOR_SIZE],
	    lazy[TOKEN_ACCESSOR_SIZE], reason[GRANT_REASON_SIZE];
	struct policy_decision told;
	struct bos_err err = { 0 };
	struct grant_info g;
	unsigned n = 0;

	grant_idle_reason(2 * DAY, reason);
	assert_string_equal(reason, "unused for 2 days");
	grant_idle_reason(3, reason);
	assert_string_equal(reason, "unused for 3 s");
	grant_new_ok(t, &sp, tok, used);
	grant_new_ok(t, &sp, tok, idle);
	grant_new_ok(t, &sp, tok, lazy);
	assert_true(use_at(t, used, POLICY_READ, t->sendgrid, T0 + 5, "127.0.0.1", 10, NULL));
	/* Exactly idle_s seconds is not yet "more than". */
	assert_int_equal(grant_sweep_idle(t->store, T0 + 10, 10, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(grant_sweep_idle(t->store, T0 + 11, 10, &n, &err), 0);
	assert_int_equal(n, 2);                   /* idle and lazy; used was used at T0+5 */
	grant_get_ok(t, idle, &g);
	assert_string_equal(g.revoke_reason, "unused for 10 s");
	assert_int_equal(g.revoked_at, T0 + 11);
	grant_info_free(&g);
	assert_true(use_at(t, used, POLICY_READ, t->sendgrid, T0 + 15, "127.0.0.1", 10, NULL));
	/* A use finds an idle grant before any sweep does, and revokes it itself. */
	grant_new_ok(t, &sp, tok, lazy);
	assert_false(use_at(t, lazy, POLICY_READ, t->sendgrid, T0 + 11, "127.0.0.1", 10, &told));
	assert_non_null(strstr(told.reason, "revoked"));
	grant_get_ok(t, lazy, &g);
	assert_string_equal(g.revoke_reason, "unused for 10 s");
	assert_int_equal(g.uses, 0);
	grant_info_free(&g);
	secmem_wipe(tok, sizeof(tok));
}

static void
test_grant_sweep_skips_ended(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, 5, 0, { NULL } };
	char tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];
	struct bos_err err = { 0 };
	struct grant_info g;
	unsigned n = 9;

	grant_new_ok(t, &sp, tok, acc);           /* expires at T0+5 */
	assert_int_equal(grant_sweep_idle(t->store, T0 + 100, 10, &n, &err), 0);
	assert_int_equal(n, 0);
	grant_get_ok(t, acc, &g);
	assert_int_equal(g.revoked_at, 0);
	assert_string_equal(grant_state(&g, T0 + 100), "expired");
	grant_info_free(&g);
	secmem_wipe(tok, sizeof(tok));
}

struct list_acc {
	int n;
	char first[TOKEN_ACCESSOR_SIZE];
};

static int
grant_list_cb(const struct grant_info *g, void *arg)
{
	struct list_acc *l = arg;

	if (l->n++ == 0)
		memcpy(l->first, g->accessor, sizeof(l->first));
	return 0;
}

static int
list_n(struct test_ctx *t, const char *helper, enum grant_filter f, int64_t now)
{
	struct list_acc l = { 0, "" };
	struct bos_err err = { 0 };

	assert_int_equal(grant_list(t->store, helper, f, now, grant_list_cb, &l, &err), 0);
	return l.n;
}

static void
test_grant_list(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, 100, 1, { NULL } };
	char tok[TOKEN_SIZE], a[4][TOKEN_ACCESSOR_SIZE], bob[HELPER_ID_SIZE];
	struct bos_err err = { 0 };

	grant_new_ok(t, &sp, tok, a[0]);                             /* will be used up */
	grant_new_ok(t, &sp, tok, a[1]);                             /* will be revoked */
	grant_new_ok(t, &sp, tok, a[2]);                             /* active */
	assert_true(use(t, a[0], POLICY_READ, t->sendgrid, T0 + 1));
	assert_int_equal(grant_revoke(t->store, a[1], T0 + 1, "revoked by admin alice", &err), 0);
	helper_new_ok(t, "Bob", bob);
	memcpy(t->helper, bob, sizeof(bob));
	grant_new_ok(t, &sp, tok, a[3]);                             /* Bob's, active */
	assert_int_equal(list_n(t, NULL, GRANT_ALL, T0 + 2), 4);
	assert_int_equal(list_n(t, NULL, GRANT_ACTIVE, T0 + 2), 2);
	assert_int_equal(list_n(t, NULL, GRANT_ENDED, T0 + 2), 2);
	assert_int_equal(list_n(t, bob, GRANT_ALL, T0 + 2), 1);
	assert_int_equal(list_n(t, bob, GRANT_ENDED, T0 + 2), 0);
	assert_int_equal(list_n(t, NULL, GRANT_ACTIVE, T0 + 100), 0);  /* all expired */
	assert_int_equal(list_n(t, "hl_aaaaaaaaaaaaaaaaaaaaaaaaaa", GRANT_ALL, T0), 0);
	secmem_wipe(tok, sizeof(tok));
}

/* Many threads race for a grant with max_uses N: exactly N uses are allowed. */
struct race {
	struct test_ctx *t;
	pthread_mutex_t *mu;      /* stands for the vault's database lock */
	const char *acc;
	int allowed;
};

static void *
race_main(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < 25; i++) {
		pthread_mutex_lock(r->mu);
		r->allowed += use(r->t, r->acc, POLICY_READ, r->t->sendgrid, T0 + 1);
		pthread_mutex_unlock(r->mu);
	}
	return NULL;
}

static void
test_grant_uses_counted_once(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { t->sendgrid }, POLICY_READ, DAY, 37, { NULL } };
	char tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct race r[4];
	pthread_t th[4];
	struct grant_info g;
	int i, total = 0;

	grant_new_ok(t, &sp, tok, acc);
	for (i = 0; i < 4; i++) {
		r[i] = (struct race){ t, &mu, acc, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, race_main, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += r[i].allowed;
	}
	assert_int_equal(total, 37);
	grant_get_ok(t, acc, &g);
	assert_int_equal(g.uses, 37);
	grant_info_free(&g);
	secmem_wipe(tok, sizeof(tok));
}

/* ---- admins: the role policy ---- */

/*
 * Issue #12 item 4: a grant made while the admin role could read every
 * credential stops reading the payment card once the role may not, without
 * being counted, while the rest of its scope keeps working; the words the
 * helper gets are those of any resource outside its grant.
 */
static void
test_grant_issuer_narrowed(void **state)
{
	struct test_ctx *t = *state;
	struct grant_spec sp = { { "credentials/*/*" }, POLICY_READ | POLICY_UPDATE, DAY, 0,
		{ NULL } };
	struct policy_set *wide = t->ps, *narrow = NULL;
	struct policy_decision told, other;
	char tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE], msg[256], text[16384];
	struct grant_info g;

	grant_new_ok(t, &sp, tok, acc);
	assert_true(use(t, acc, POLICY_READ, t->card, T0 + 1));
	/* The default text grows with every issue: a truncated copy would lose the rule. */
	assert_true((size_t)snprintf(text, sizeof(text), "%sdeny read credentials/payments/**\n",
	    policy_default_text) < sizeof(text));
	assert_int_equal(policy_parse("roles.policy", text, strlen(text), &narrow, msg,
	    sizeof(msg)), 0);
	t->ps = narrow;
	assert_false(use_at(t, acc, POLICY_READ, t->card, T0 + 2, "127.0.0.1", DAY, &told));
	assert_true(use(t, acc, POLICY_UPDATE, t->card, T0 + 3));     /* not denied to the issuer */
	assert_true(use(t, acc, POLICY_READ, t->sendgrid, T0 + 4));   /* the rest of the scope */
	/* The helper is told what it would be told for anything outside its grant. */
	assert_false(use_at(t, acc, POLICY_READ, NULL, T0 + 5, "127.0.0.1", DAY, &other));
	assert_string_equal(told.reason, other.reason);
	grant_get_ok(t, acc, &g);
	assert_int_equal(g.uses, 3);          /* the refused read was not counted */
	grant_info_free(&g);
	t->ps = wide;
	assert_true(use(t, acc, POLICY_READ, t->card, T0 + 6));      /* the control */
	policy_free(narrow);
	secmem_wipe(tok, sizeof(tok));
}

/* The real reason of such a refusal names the issuer and the rule (for the log and audit). */
static void
test_grant_issuer_reason(void **state)
{
	struct test_ctx *t = *state;
	static const struct policy_resource unknown = { "credentials/UNKNOWN/UNKNOWN", NULL };
	struct grant_spec sp = { { "credentials/*/*" }, POLICY_READ, DAY, 0, { NULL } };
	struct principal who = { .kind = PRINCIPAL_HELPER };
	struct policy_context ctx = { T0 + 1, "127.0.0.1" };
	struct policy_resource card = { "credentials/payments/corporate card", t->card };
	struct grant_use u = { NULL, &who, POLICY_READ, &card, &unknown, &ctx, DAY };
	struct policy_decision d, told;
	struct policy_set *narrow = NULL;
	struct bos_err err = { 0 };
	char tok[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE], msg[256], text[16384];

	grant_new_ok(t, &sp, tok, acc);
	snprintf(who.accessor, sizeof(who.accessor), "%s", acc);
	/* The default text grows with every issue: a truncated copy would lose the rule. */
	assert_true((size_t)snprintf(text, sizeof(text), "%sdeny read credentials/payments/**\n",
	    policy_default_text) < sizeof(text));
	assert_int_equal(policy_parse("roles.policy", text, strlen(text), &narrow, msg,
	    sizeof(msg)), 0);
	u.ps = narrow;
	assert_int_equal(grant_authorize(t->store, &u, &d, &told, &err), 0);
	assert_false(d.allow);
	if (strstr(d.reason, "exceeds what its issuer may hand out now") == NULL ||
	    strstr(d.reason, acc) == NULL || strstr(d.reason, "denies read") == NULL)
		fail_msg("reason: %s", d.reason);
	assert_null(strstr(told.reason, "issuer"));
	policy_free(narrow);
	secmem_wipe(tok, sizeof(tok));
}

static void
test_admin_by_role(void **state)
{
	struct test_ctx *t = *state;
	static const char text[] = "[role admin]\n"
	    "allow * credentials/**\n"
	    "deny read credentials/payments/*\n";
	struct principal who = { .kind = PRINCIPAL_ADMIN };
	struct policy_context ctx = { T0, "127.0.0.1" };
	struct policy_resource card = { "credentials/payments/corporate card", t->card };
	struct policy_resource sg = { "credentials/sendgrid/sendgrid-main", t->sendgrid };
	struct grant_use u = { NULL, &who, POLICY_READ, &sg, NULL, &ctx, DAY };
	struct policy_decision d, told;
	struct policy_set *ps = NULL;
	struct bos_err err = { 0 };
	char msg[200];

	assert_int_equal(policy_parse("roles.policy", text, strlen(text), &ps, msg, sizeof(msg)), 0);
	u.ps = ps;
	assert_int_equal(grant_authorize(t->store, &u, &d, &told, &err), 0);
	assert_true(d.allow);
	u.res = &card;
	assert_int_equal(grant_authorize(t->store, &u, &d, &told, &err), 0);
	assert_false(d.allow);
	assert_string_equal(d.reason, told.reason);   /* admins are told the real reason */
	assert_non_null(strstr(d.reason, "roles.policy:3"));
	/* Narrowing uses the same role: the card cannot be handed out for reading. */
	assert_int_equal(policy_may_delegate(ps, GRANT_ADMIN_ROLE, POLICY_READ,
	    "credentials/payments/corporate card", &d), 0);
	assert_int_equal(policy_may_delegate(ps, GRANT_ADMIN_ROLE, POLICY_UPDATE,
	    "credentials/payments/corporate card", &d), 1);
	/* No rules at all: refused. */
	u.ps = NULL;
	u.res = &sg;
	assert_int_equal(grant_authorize(t->store, &u, &d, &told, &err), 0);
	assert_false(d.allow);
	/* Other kinds of principal: refused. */
	who.kind = PRINCIPAL_LOCAL;
	u.ps = ps;
	assert_int_equal(grant_authorize(t->store, &u, &d, &told, &err), 0);
	assert_false(d.allow);
	policy_free(ps);
}

/* ---- credential reads (cred_use.c) ---- */

static void
test_cred_reads(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	int64_t at = 1;

	assert_int_equal(cred_use_last_read(t->store, t->sendgrid, &at, &err), 0);
	assert_int_equal(at, 0);
	assert_int_equal(cred_use_mark_read(t->store, t->sendgrid, T0 + 7, &err), 0);
	assert_int_equal(cred_use_last_read(t->store, t->sendgrid, &at, &err), 0);
	assert_int_equal(at, T0 + 7);
	assert_int_equal(cred_use_mark_read(t->store, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", T0, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(cred_use_last_read(t->store, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", &at, &err), -1);
	/* Stale: neither read nor created within stale_s; revoked ones never. */
	assert_false(cred_use_is_stale(T0, 0, 0, T0 + 10, 10));
	assert_true(cred_use_is_stale(T0, 0, 0, T0 + 11, 10));
	assert_false(cred_use_is_stale(T0, T0 + 5, 0, T0 + 11, 10));
	assert_true(cred_use_is_stale(T0, T0 + 5, 0, T0 + 16, 10));
	assert_false(cred_use_is_stale(T0, 0, T0 + 1, T0 + 100, 10));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_helper_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_token_stored_as_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_unknown_and_ungranted_alike, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_grant_use_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_cidrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_sweep_skips_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_uses_counted_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_issuer_narrowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_issuer_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_by_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cred_reads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
