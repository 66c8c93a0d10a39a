/*
 * Unit tests for vault/store/cred.c: the credential store against a real bos-hsmd
 * on a fresh SoftHSM token (tests/unit/support/hsm_fixture.c) and a real
 * SQLCipher database in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/cred.h"
#include "store/store.h"
#include "cred_v1.h"
#include "hsm_fixture.h"
#include "store_fixture.h"
#include "secmem.h"

static struct hsm_fixture fx;

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *store;
	struct cred_ctx cc;
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
	if (store_fixture_open("cred", 0x30, t->dir, sizeof(t->dir), t->path,
	    sizeof(t->path), &t->store) != 0)
		return -1;
	t->cc = (struct cred_ctx){ t->store, fx.hsm, 1 };
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
create_ok(struct test_ctx *t, const char *name, enum cred_type type, const char *service,
    const char *metadata, const char *secret, char id[CRED_ID_LEN + 1])
{
	struct cred_new n = { name, type, service, metadata, (const uint8_t *)secret,
	    strlen(secret) };
	struct bos_err err = { 0 };

	if (cred_create(&t->cc, &n, id, &err) != 0)
		fail_msg("cred_create(%s): %s", name, err.msg);
	assert_true(credname_id_valid(id));
}

static void
create_fails(struct test_ctx *t, const char *name, enum cred_type type, const char *metadata,
    const char *secret, enum bos_err_code code, const char *msg_part)
{
	struct cred_new n = { name, type, "svc", metadata, (const uint8_t *)secret,
	    strlen(secret) };
	struct bos_err err = { 0 };
	char id[CRED_ID_LEN + 1] = "x";

	if (cred_create(&t->cc, &n, id, &err) == 0)
		fail_msg("cred_create(%s, %s) was accepted", name, metadata ? metadata : "{}");
	assert_int_equal(err.code, code);
	assert_string_equal(id, "");
	if (msg_part != NULL && strstr(err.msg, msg_part) == NULL)
		fail_msg("expected '%s' in '%s'", msg_part, err.msg);
	/* No error message ever carries the secret. */
	if (strlen(secret) >= 4 && strstr(err.msg, secret) != NULL)
		fail_msg("error message echoes the secret: %s", err.msg);
}

static void
assert_secret(struct test_ctx *t, const char *id, uint32_t version, const char *want)
{
	struct bos_err err = { 0 };
	uint8_t *s = NULL;
	size_t len = 0;

	if (cred_read_secret(&t->cc, id, version, &s, &len, &err) != 0)
		fail_msg("read %s v%u: %s", id, version, err.msg);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(s, want, len);
	secmem_freezero(s, len);
}

static void
assert_read_fails(struct test_ctx *t, const char *id, uint32_t version, enum bos_err_code code)
{
	struct bos_err err = { 0 };
	uint8_t *s = (uint8_t *)&err;
	size_t len = 5;

	assert_int_equal(cred_read_secret(&t->cc, id, version, &s, &len, &err), -1);
	if (err.code != code)
		fail_msg("read %s v%u: expected %s, got %s: %s", id, version, bos_err_name(code),
		    bos_err_name(err.code), err.msg);
	assert_null(s);
	assert_int_equal(len, 0);
	if (code == BOS_E_AUTH)
		assert_non_null(strstr(err.msg, "failed to decrypt"));
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

static int
rows(struct test_ctx *t)
{
	return count(t, "SELECT count(*) FROM credentials") * 1000 +
	    count(t, "SELECT count(*) FROM credential_versions");
}

/* A stored blob (col 0 = ciphertext, 1 = wrapped_dek), copied out. */
static uint8_t *
blob_get(struct test_ctx *t, const char *id, uint32_t version, int col, size_t *len)
{
	static const char *const sql[] = {
		"SELECT ciphertext FROM credential_versions WHERE cred_id = ?1 AND version = ?2",
		"SELECT wrapped_dek FROM credential_versions WHERE cred_id = ?1 AND version = ?2",
	};
	sqlite3_stmt *st = NULL;
	uint8_t *p;

	assert_int_equal(sqlite3_prepare_v2(store_db(t->store), sql[col], -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	*len = (size_t)sqlite3_column_bytes(st, 0);
	p = malloc(*len + 1);
	assert_non_null(p);
	if (*len > 0)
		memcpy(p, sqlite3_column_blob(st, 0), *len);
	sqlite3_finalize(st);
	return p;
}

static void
blob_set(struct test_ctx *t, const char *id, uint32_t version, int col, const uint8_t *p,
    size_t len)
{
	static const char *const sql[] = {
		"UPDATE credential_versions SET ciphertext = ?3 WHERE cred_id = ?1 AND version = ?2",
		"UPDATE credential_versions SET wrapped_dek = ?3 WHERE cred_id = ?1 AND version = ?2",
	};
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(store_db(t->store), sql[col], -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	sqlite3_bind_blob(st, 3, p, (int)len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(store_db(t->store)), 1);
	sqlite3_finalize(st);
}

static void
swap_blob(struct test_ctx *t, const char *a, uint32_t va, const char *b, uint32_t vb, int col)
{
	size_t la, lb;
	uint8_t *pa = blob_get(t, a, va, col, &la), *pb = blob_get(t, b, vb, col, &lb);

	blob_set(t, a, va, col, pb, lb);
	blob_set(t, b, vb, col, pa, la);
	free(pa);
	free(pb);
}

static int
file_contains(const char *path, const char *needle)
{
	struct stat st;
	uint8_t *p;
	FILE *f = fopen(path, "rb");
	size_t n;
	int found;

	if (f == NULL)
		return 0;
	assert_int_equal(fstat(fileno(f), &st), 0);
	p = malloc((size_t)st.st_size + 1);
	assert_non_null(p);
	n = fread(p, 1, (size_t)st.st_size, f);
	fclose(f);
	found = memmem(p, n, needle, strlen(needle)) != NULL;
	free(p);
	return found;
}

static void
assert_not_in_files(struct test_ctx *t, const char *needle)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char p[400];
	size_t i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffixes[i]);
		if (file_contains(p, needle))
			fail_msg("'%s' found in %s", needle, p);
	}
}

/* ---- tests ---- */

static const struct {
	const char *name;
	enum cred_type type;
	const char *secret, *readback;
} every_type[] = {
	{ "stripe live", CRED_API_KEY, "sk_live_CANARYapi0001", "sk_live_CANARYapi0001" },
	{ "admin-password", CRED_PASSWORD, "CANARY-pass word-0002", "CANARY-pass word-0002" },
	{ "corp card", CRED_CARD, "4111 1111 1111 1111", "4111111111111111" },
	{ "payroll.account", CRED_BANK_ACCOUNT, "DE89370400440532013000 CANARY0003",
	    "DE89370400440532013000 CANARY0003" },
	{ "wallet_seed", CRED_SECRET, "CANARY seed words zero zero zero four",
	    "CANARY seed words zero zero zero four" },
};

static void
test_round_trip_every_type(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct cred_meta m;
	char id[CRED_ID_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(every_type) / sizeof(every_type[0]); i++) {
		create_ok(t, every_type[i].name, every_type[i].type, "svc-1",
		    "{\"owner\":\"ops\",\"n\":3,\"ok\":true}", every_type[i].secret, id);
		assert_secret(t, id, 0, every_type[i].readback);
		assert_secret(t, id, 1, every_type[i].readback);
		/* By id and by name, the same metadata. */
		assert_int_equal(cred_get(&t->cc, id, &m, &err), 0);
		assert_string_equal(m.id, id);
		assert_string_equal(m.name, every_type[i].name);
		assert_int_equal(m.type, every_type[i].type);
		assert_string_equal(m.service, "svc-1");
		assert_string_equal(m.metadata_json, "{\"n\":3,\"ok\":true,\"owner\":\"ops\"}");
		assert_int_equal(m.version, 1);
		assert_true(m.created_at > 0);
		assert_int_equal(m.created_at, m.updated_at);
		assert_int_equal(m.revoked_at, 0);
		if (every_type[i].type != CRED_CARD)
			assert_string_equal(m.card_last4, "");
		cred_meta_free(&m);
		assert_int_equal(cred_get(&t->cc, every_type[i].name, &m, &err), 0);
		assert_string_equal(m.id, id);
		cred_meta_free(&m);
	}
}

static void
test_binary_secret(void **state)
{
	static const uint8_t bin[] = { 0, 1, 2, 0xff, 0, 'x', 0 };
	struct test_ctx *t = *state;
	struct cred_new n = { "bin", CRED_SECRET, "svc", NULL, bin, sizeof(bin) };
	struct bos_err err = { 0 };
	char id[CRED_ID_LEN + 1];
	uint8_t *s;
	size_t len;
	struct cred_meta m;

	assert_int_equal(cred_create(&t->cc, &n, id, &err), 0);
	assert_int_equal(cred_read_secret(&t->cc, id, 0, &s, &len, &err), 0);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(s, bin, len);
	secmem_freezero(s, len);
	assert_int_equal(cred_get(&t->cc, "bin", &m, &err), 0);
	assert_string_equal(m.metadata_json, "{}");
	cred_meta_free(&m);
}

struct versions {
	uint32_t v[8];
	int64_t at[8];
	size_t n;
};

static int
versions_cb(uint32_t version, int64_t created_at, void *arg)
{
	struct versions *vs = arg;

	if (vs->n < 8) {
		vs->v[vs->n] = version;
		vs->at[vs->n++] = created_at;
	}
	return 0;
}

static void
test_update_versions(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct versions vs = { 0 };
	struct cred_meta m;
	char id[CRED_ID_LEN + 1], card[CRED_ID_LEN + 1];
	uint32_t v = 0;

	create_ok(t, "rotating", CRED_API_KEY, "svc", NULL, "first-CANARY", id);
	assert_int_equal(cred_update(&t->cc, id, (const uint8_t *)"second-CANARY", 13, &v, &err),
	    0);
	assert_int_equal(v, 2);
	assert_int_equal(cred_update(&t->cc, id, (const uint8_t *)"third-CANARY", 12, &v, &err),
	    0);
	assert_int_equal(v, 3);
	assert_secret(t, id, 1, "first-CANARY");
	assert_secret(t, id, 2, "second-CANARY");
	assert_secret(t, id, 3, "third-CANARY");
	assert_secret(t, id, 0, "third-CANARY");
	assert_read_fails(t, id, 4, BOS_E_NOTFOUND);
	assert_int_equal(cred_list_versions(&t->cc, id, versions_cb, &vs, &err), 0);
	assert_int_equal(vs.n, 3);
	assert_int_equal(vs.v[0], 1);
	assert_int_equal(vs.v[2], 3);
	assert_true(vs.at[0] > 0);
	assert_int_equal(cred_get(&t->cc, id, &m, &err), 0);
	assert_int_equal(m.version, 3);
	cred_meta_free(&m);
	/* A card stays a card: the new value is checked, and its display fields follow. */
	create_ok(t, "card", CRED_CARD, "svc", NULL, "4111111111111111", card);
	assert_int_equal(cred_update(&t->cc, card, (const uint8_t *)"not a card", 10, &v, &err),
	    -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(cred_update(&t->cc, card, (const uint8_t *)"5555-5555-5555-4444", 19, &v,
	    &err), 0);
	assert_int_equal(v, 2);
	assert_int_equal(cred_get(&t->cc, card, &m, &err), 0);
	assert_string_equal(m.card_brand, "mastercard");
	assert_string_equal(m.card_first6, "555555");
	assert_string_equal(m.card_last4, "4444");
	cred_meta_free(&m);
	assert_secret(t, card, 1, "4111111111111111");
	assert_secret(t, card, 2, "5555555555554444");
	/* Unknown ids. */
	assert_int_equal(cred_update(&t->cc, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", (const uint8_t *)"x",
	    1, &v, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(cred_list_versions(&t->cc, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", versions_cb,
	    &vs, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
}

struct names {
	char s[512];
	int stop_after;
	int seen;
};

static int
names_cb(const struct cred_meta *m, void *arg)
{
	struct names *n = arg;
	size_t len = strlen(n->s);

	snprintf(n->s + len, sizeof(n->s) - len, "%s%s", len ? "," : "", m->name);
	n->seen++;
	return n->stop_after != 0 && n->seen >= n->stop_after;
}

static const char *
list_names(struct test_ctx *t, const char *service, const char *type, struct names *n)
{
	struct bos_err err = { 0 };

	memset(n, 0, sizeof(*n));
	if (cred_list(&t->cc, service, type, names_cb, n, &err) != 0)
		fail_msg("cred_list: %s", err.msg);
	return n->s;
}

static void
test_list_filters(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct names n;
	char id[CRED_ID_LEN + 1];

	assert_string_equal(list_names(t, NULL, NULL, &n), "");
	create_ok(t, "c", CRED_API_KEY, "stripe", NULL, "k1", id);
	create_ok(t, "a", CRED_PASSWORD, "stripe", NULL, "p1", id);
	create_ok(t, "b", CRED_API_KEY, "twilio", NULL, "k2", id);
	create_ok(t, "d", CRED_CARD, "stripe", NULL, "4242424242424242", id);
	assert_string_equal(list_names(t, NULL, NULL, &n), "a,b,c,d");
	assert_string_equal(list_names(t, "stripe", NULL, &n), "a,c,d");
	assert_string_equal(list_names(t, NULL, "api_key", &n), "b,c");
	assert_string_equal(list_names(t, "stripe", "api_key", &n), "c");
	assert_string_equal(list_names(t, "stripe", "bank_account", &n), "");
	assert_string_equal(list_names(t, "nope", NULL, &n), "");
	/* A callback may stop early. */
	memset(&n, 0, sizeof(n));
	n.stop_after = 2;
	assert_int_equal(cred_list(&t->cc, NULL, NULL, names_cb, &n, &err), 0);
	assert_string_equal(n.s, "a,b");
	assert_int_equal(cred_list(&t->cc, NULL, "cvv", names_cb, &n, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
}

static void
test_revoke(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct cred_meta m;
	char id[CRED_ID_LEN + 1], other[CRED_ID_LEN + 1];
	uint32_t v;
	size_t len;
	uint8_t *p;

	create_ok(t, "to-revoke", CRED_API_KEY, "svc", "{\"why\":\"test\"}", "v1-CANARY", id);
	create_ok(t, "kept", CRED_API_KEY, "svc", NULL, "kept-CANARY", other);
	assert_int_equal(cred_update(&t->cc, id, (const uint8_t *)"v2-CANARY", 9, &v, &err), 0);
	assert_int_equal(cred_revoke(&t->cc, id, &err), 0);
	assert_read_fails(t, id, 0, BOS_E_REVOKED);
	assert_read_fails(t, id, 1, BOS_E_REVOKED);
	assert_read_fails(t, id, 2, BOS_E_REVOKED);
	/* Metadata stays for the record. */
	assert_int_equal(cred_get(&t->cc, "to-revoke", &m, &err), 0);
	assert_true(m.revoked_at > 0);
	assert_int_equal(m.version, 2);
	assert_string_equal(m.metadata_json, "{\"why\":\"test\"}");
	cred_meta_free(&m);
	assert_int_equal(count(t, "SELECT count(*) FROM credential_versions"), 3);
	/* The sealed values are erased, not just hidden. */
	p = blob_get(t, id, 1, 0, &len);
	assert_int_equal(len, 0);
	free(p);
	p = blob_get(t, id, 2, 1, &len);
	assert_int_equal(len, 0);
	free(p);
	/* No more changes; other credentials unaffected. */
	assert_int_equal(cred_update(&t->cc, id, (const uint8_t *)"v3", 2, &v, &err), -1);
	assert_int_equal(err.code, BOS_E_REVOKED);
	assert_int_equal(cred_revoke(&t->cc, id, &err), -1);
	assert_int_equal(err.code, BOS_E_REVOKED);
	assert_int_equal(cred_revoke(&t->cc, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_secret(t, other, 0, "kept-CANARY");
}

static void
test_flip_stored_bytes(void **state)
{
	struct test_ctx *t = *state;
	char id[CRED_ID_LEN + 1];
	uint8_t *orig, *p;
	size_t len, pos, i;
	int col;

	create_ok(t, "flip", CRED_API_KEY, "svc", NULL, "sk_live_flip_CANARY", id);
	for (col = 0; col < 2; col++) {
		orig = blob_get(t, id, 1, col, &len);
		assert_int_equal(len, col == 0 ? 12 + 19 + 16 : 12 + 32 + 16);
		p = malloc(len);
		assert_non_null(p);
		/* iv, first body byte, last body byte, tag */
		for (i = 0; i < 4; i++) {
			pos = i == 0 ? 0 : i == 1 ? 12 : i == 2 ? len - 17 : len - 1;
			memcpy(p, orig, len);
			p[pos] ^= 0x01;
			blob_set(t, id, 1, col, p, len);
			assert_read_fails(t, id, 0, BOS_E_AUTH);
		}
		/* Truncated and empty blobs too. */
		blob_set(t, id, 1, col, orig, len - 1);
		assert_read_fails(t, id, 0, BOS_E_AUTH);
		blob_set(t, id, 1, col, orig, 0);
		assert_read_fails(t, id, 0, BOS_E_AUTH);
		blob_set(t, id, 1, col, orig, len);
		assert_secret(t, id, 0, "sk_live_flip_CANARY");
		free(p);
		free(orig);
	}
}

static void
test_swap_between_rows(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	char a[CRED_ID_LEN + 1], b[CRED_ID_LEN + 1];
	uint32_t v;

	/* Same length, so only the AAD can tell them apart. */
	create_ok(t, "a", CRED_API_KEY, "svc", NULL, "AAAA-CANARY-secret", a);
	create_ok(t, "b", CRED_API_KEY, "svc", NULL, "BBBB-CANARY-secret", b);
	/* Ciphertext and wrapped DEK together: both ways fail. */
	swap_blob(t, a, 1, b, 1, 0);
	swap_blob(t, a, 1, b, 1, 1);
	assert_read_fails(t, a, 0, BOS_E_AUTH);
	assert_read_fails(t, b, 0, BOS_E_AUTH);
	/* Only the wrapped DEKs swapped back: ciphertexts alone are still swapped. */
	swap_blob(t, a, 1, b, 1, 1);
	assert_read_fails(t, a, 0, BOS_E_AUTH);
	assert_read_fails(t, b, 0, BOS_E_AUTH);
	swap_blob(t, a, 1, b, 1, 0);
	assert_secret(t, a, 0, "AAAA-CANARY-secret");
	assert_secret(t, b, 0, "BBBB-CANARY-secret");
	/* Between two versions of one credential. */
	assert_int_equal(cred_update(&t->cc, a, (const uint8_t *)"AAAA-CANARY-second", 18, &v,
	    &err), 0);
	swap_blob(t, a, 1, a, 2, 0);
	swap_blob(t, a, 1, a, 2, 1);
	assert_read_fails(t, a, 1, BOS_E_AUTH);
	assert_read_fails(t, a, 2, BOS_E_AUTH);
	swap_blob(t, a, 1, a, 2, 0);
	swap_blob(t, a, 1, a, 2, 1);
	assert_secret(t, a, 1, "AAAA-CANARY-secret");
	assert_secret(t, a, 2, "AAAA-CANARY-second");
}

/* Run one statement with ?1 and ?2 bound to a and b (text); it must change rows. */
static void
exec2(struct test_ctx *t, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(store_db(t->store), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_db(t->store)));
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_db(t->store)));
	assert_true(sqlite3_changes(store_db(t->store)) > 0);
	sqlite3_finalize(st);
}

/* Swap column col of credentials rows a and b, through a snapshot (names are unique). */
static void
swap_cred_col(struct test_ctx *t, const char *col, const char *a, const char *b)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "CREATE TEMP TABLE sw AS SELECT id, %s AS v FROM credentials"
	    " WHERE id IN (?1, ?2)", col);
	exec2(t, sql, a, b);
	if (strcmp(col, "name") == 0)
		exec2(t, "UPDATE credentials SET name = id WHERE id IN (?1, ?2)", a, b);
	snprintf(sql, sizeof(sql), "UPDATE credentials SET %s = (SELECT v FROM temp.sw WHERE"
	    " sw.id != credentials.id) WHERE id IN (?1, ?2)", col);
	exec2(t, sql, a, b);
	exec2(t, "DROP TABLE temp.sw", a, b);
}

/* Swap the card columns of version 1 of a and b. */
static void
swap_card_digits(struct test_ctx *t, const char *a, const char *b)
{
	exec2(t, "CREATE TEMP TABLE d AS SELECT cred_id, card_brand, card_first6, card_last4"
	    " FROM credential_versions WHERE cred_id IN (?1, ?2) AND version = 1", a, b);
	exec2(t, "UPDATE credential_versions SET (card_brand, card_first6, card_last4) ="
	    " (SELECT card_brand, card_first6, card_last4 FROM temp.d WHERE d.cred_id !="
	    " credential_versions.cred_id) WHERE cred_id IN (?1, ?2) AND version = 1", a, b);
	exec2(t, "DROP TABLE temp.d", a, b);
}

/* Reading by name resolves to an id first, as a by-name grant does. */
static void
assert_read_by_name_fails(struct test_ctx *t, const char *name, const char *want_id)
{
	struct cred_meta m;
	struct bos_err err = { 0 };

	if (cred_get(&t->cc, name, &m, &err) != 0)
		fail_msg("cred_get(%s): %s", name, err.msg);
	assert_string_equal(m.id, want_id);
	assert_read_fails(t, m.id, 0, BOS_E_AUTH);
	cred_meta_free(&m);
}

/*
 * Issue #12 item 14: the clear columns are bound too. With the database key
 * (here: the test's own connection) swapping two rows' names, services,
 * types or card digits makes both reads fail, by id and by name, and never
 * hands out the other row's secret; putting them back restores the reads.
 */
static void
test_swap_clear_columns(void **state)
{
	static const char *const cols[] = { "name", "service", "type" };
	struct test_ctx *t = *state;
	char a[CRED_ID_LEN + 1], b[CRED_ID_LEN + 1], c1[CRED_ID_LEN + 1], c2[CRED_ID_LEN + 1];
	size_t i;

	create_ok(t, "alpha", CRED_API_KEY, "svc-a", NULL, "AAAA-CANARY-secret", a);
	create_ok(t, "bravo", CRED_PASSWORD, "svc-b", NULL, "BBBB-CANARY-secret", b);
	for (i = 0; i < BOS_ARRAY_LEN(cols); i++) {
		swap_cred_col(t, cols[i], a, b);
		assert_read_fails(t, a, 0, BOS_E_AUTH);
		assert_read_fails(t, b, 0, BOS_E_AUTH);
		if (i == 0) {
			/* "alpha" is now b's row: its grant would read b, and must not. */
			assert_read_by_name_fails(t, "alpha", b);
			assert_read_by_name_fails(t, "bravo", a);
		}
		swap_cred_col(t, cols[i], a, b);
		assert_secret(t, a, 0, "AAAA-CANARY-secret");
		assert_secret(t, b, 0, "BBBB-CANARY-secret");
	}
	/* One side changed alone (a rename or a new service with the DB key) fails too. */
	exec2(t, "UPDATE credentials SET name = 'alpha2' WHERE id = ?1 OR id = ?2", a, a);
	assert_read_fails(t, a, 0, BOS_E_AUTH);
	exec2(t, "UPDATE credentials SET name = 'alpha' WHERE id = ?1 OR id = ?2", a, a);
	assert_secret(t, a, 0, "AAAA-CANARY-secret");

	/* Cards: the digits shown in clear (brand, first 6, last 4). */
	create_ok(t, "card one", CRED_CARD, "svc-c", NULL, "4111111111111111", c1);
	create_ok(t, "card two", CRED_CARD, "svc-c", NULL, "5555555555554444", c2);
	swap_card_digits(t, c1, c2);
	assert_read_fails(t, c1, 0, BOS_E_AUTH);
	assert_read_fails(t, c2, 0, BOS_E_AUTH);
	swap_card_digits(t, c1, c2);
	assert_secret(t, c1, 0, "4111111111111111");
	exec2(t, "UPDATE credential_versions SET card_last4 = '0000' WHERE cred_id = ?1"
	    " OR cred_id = ?2", c1, c1);
	assert_read_fails(t, c1, 0, BOS_E_AUTH);
	exec2(t, "UPDATE credential_versions SET card_last4 = '1111' WHERE cred_id = ?1"
	    " OR cred_id = ?2", c1, c1);
	exec2(t, "UPDATE credential_versions SET card_brand = 'amex' WHERE cred_id = ?1"
	    " OR cred_id = ?2", c1, c1);
	assert_read_fails(t, c1, 0, BOS_E_AUTH);
	exec2(t, "UPDATE credential_versions SET card_brand = 'visa' WHERE cred_id = ?1"
	    " OR cred_id = ?2", c1, c1);
	assert_secret(t, c1, 0, "4111111111111111");
	assert_secret(t, c2, 0, "5555555555554444");
}

/* ---- schema 6: versions sealed before the clear columns were bound ---- */

#define OLD_KEY_BASE 0x50
#define OLD_A "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define OLD_B "cr_bbbbbbbbbbbbbbbbbbbbbbbbbb"
#define OLD_C1 "cr_cccccccccccccccccccccccccc"
#define OLD_C2 "cr_dddddddddddddddddddddddddd"
#define OLD_D "cr_eeeeeeeeeeeeeeeeeeeeeeeeee"
#define OLD_R "cr_ffffffffffffffffffffffffff"

#define V1ROW(id, name, type, svc, v, secret, brand, f6, l4) \
	{ id, name, type, svc, v, (const uint8_t *)(secret), sizeof(secret) - 1, brand, f6, l4 }

/*
 * What a schema-5 vault holds: two versions of one key, a password, two
 * cards (the second with the first's clear digits, as if swapped with the
 * database key), a damaged version and a revoked credential.
 */
static const struct cred_v1_row old_rows[] = {
	V1ROW(OLD_A, "old-a", "api_key", "svc-a", 1, "OLD-A1-CANARY", NULL, NULL, NULL),
	V1ROW(OLD_A, "old-a", "api_key", "svc-a", 2, "OLD-A2-CANARY", NULL, NULL, NULL),
	V1ROW(OLD_B, "old-b", "password", "svc-b", 1, "OLD-B1-CANARY", NULL, NULL, NULL),
	V1ROW(OLD_C1, "old-card", "card", "svc-c", 1, "4111111111111111", "visa", "411111", "1111"),
	V1ROW(OLD_C2, "old-card2", "card", "svc-c", 1, "5555555555554444", "visa", "411111",
	    "1111"),
	V1ROW(OLD_D, "old-damaged", "secret", "svc-d", 1, "OLD-D1-CANARY", NULL, NULL, NULL),
	V1ROW(OLD_R, "old-revoked", "secret", "svc-d", 1, "OLD-R1-CANARY", NULL, NULL, NULL),
};

static void
old_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

/*
 * A database at schema 5 with old_rows, made with SQLCipher directly (the
 * store would migrate it at once), keyed like the store keys its files.
 */
static void
old_db_create(const char *path)
{
	const struct schema_migration *m;
	char sql[128], keysql[128];
	sqlite3 *db = NULL;
	struct bos_err err = { 0 };
	size_t n, i;
	int k;

	k = snprintf(keysql, sizeof(keysql), "PRAGMA key = \"x'");
	for (i = 0; i < STORE_KEY_LEN; i++)
		k += snprintf(keysql + k, sizeof(keysql) - (size_t)k, "%02x",
		    (unsigned)(OLD_KEY_BASE + i));
	snprintf(keysql + k, sizeof(keysql) - (size_t)k, "'\"");
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL), SQLITE_OK);
	old_exec(db, keysql);
	old_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE schema_migrations ("
	    " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
	m = schema_migrations(&n);
	assert_true(n >= 6);
	for (i = 0; i < 5; i++) {
		old_exec(db, m[i].sql);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, 1)",
		    m[i].version);
		old_exec(db, sql);
	}
	for (i = 0; i < BOS_ARRAY_LEN(old_rows); i++)
		if (cred_v1_insert(db, fx.hsm, 1, &old_rows[i], &err) != 0)
			fail_msg("old row %zu: %s", i, err.msg);
	/* Damage one byte of a ciphertext; revoke one credential as schema 5 did. */
	old_exec(db, "UPDATE credential_versions SET ciphertext = x'00112233445566778899aabb"
	    "ccddeeff00112233445566778899aabbccddeeff00112233' WHERE cred_id = '" OLD_D "'");
	old_exec(db, "UPDATE credentials SET revoked_at = 1 WHERE id = '" OLD_R "';"
	    " UPDATE credential_versions SET wrapped_dek = x'', ciphertext = x''"
	    " WHERE cred_id = '" OLD_R "'");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void
reseal_ok(struct test_ctx *t, size_t resealed, size_t fixed, size_t damaged)
{
	struct cred_reseal rs;
	struct bos_err err = { 0 };

	if (cred_reseal_old(&t->cc, &rs, &err) != 0)
		fail_msg("cred_reseal_old: %s", err.msg);
	assert_int_equal(rs.resealed, resealed);
	assert_int_equal(rs.digits_fixed, fixed);
	assert_int_equal(rs.damaged, damaged);
	assert_int_equal(rs.erased, 0);
}

/*
 * A database made before schema 6 opens, lists its sealed versions, refuses
 * to read them the old way, and after cred_reseal_old reads every one back,
 * now bound to its clear columns. An HSM failure in the middle (a version
 * whose KEK is missing) rolls the whole pass back.
 */
static void
test_old_format_upgrade(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct cred_reseal rs;
	struct cred_meta m;
	uint8_t key[STORE_KEY_LEN], *s = NULL;
	char path[sizeof(t->path)];
	size_t i, len = 0;

	snprintf(path, sizeof(path), "%s/old.db", t->dir);
	old_db_create(path);
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(OLD_KEY_BASE + i);
	store_close(t->store);
	if (store_open(path, key, 0, &t->store, &err) != 0)
		fail_msg("store_open of a schema-5 database: %s", err.msg);
	t->cc.store = t->store;
	snprintf(t->path, sizeof(t->path), "%s", path);
	assert_int_equal(store_schema_version(t->store), schema_latest());
	/* Listed: every version with a sealed value (not the revoked one). */
	assert_int_equal(count(t, "SELECT count(*) FROM credential_reseal"), 6);
	/* Not read with the old AAD, and the error says what to do. */
	assert_int_equal(cred_read_secret(&t->cc, OLD_A, 0, &s, &len, &err), -1);
	assert_int_equal(err.code, BOS_E_CORRUPT);
	assert_non_null(strstr(err.msg, "start bos-vaultd once"));
	assert_null(s);

	/* A KEK that is missing stops the pass, and nothing of it stays. */
	exec2(t, "UPDATE credential_versions SET kek_version = 99 WHERE cred_id = ?1 AND"
	    " version = 1 AND ?2 = ?2", OLD_C2, OLD_C2);
	assert_int_equal(cred_reseal_old(&t->cc, &rs, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_non_null(strstr(err.msg, OLD_C2));
	assert_int_equal(count(t, "SELECT count(*) FROM credential_reseal"), 6);
	assert_int_equal(count(t, "SELECT count(*) FROM credential_versions WHERE kek_version"
	    " = 1"), 6);
	exec2(t, "UPDATE credential_versions SET kek_version = 1 WHERE cred_id = ?1 AND"
	    " ?2 = ?2", OLD_C2, OLD_C2);

	reseal_ok(t, 5, 1, 1);
	assert_int_equal(count(t, "SELECT count(*) FROM credential_reseal"), 0);
	assert_secret(t, OLD_A, 1, "OLD-A1-CANARY");
	assert_secret(t, OLD_A, 2, "OLD-A2-CANARY");
	assert_secret(t, OLD_B, 0, "OLD-B1-CANARY");
	assert_secret(t, OLD_C1, 0, "4111111111111111");
	assert_secret(t, OLD_C2, 0, "5555555555554444");
	/* The second card's clear digits now say what its number is. */
	assert_int_equal(cred_get(&t->cc, "old-card2", &m, &err), 0);
	assert_string_equal(m.card_brand, "mastercard");
	assert_string_equal(m.card_first6, "555555");
	assert_string_equal(m.card_last4, "4444");
	cred_meta_free(&m);
	assert_read_fails(t, OLD_D, 0, BOS_E_AUTH);
	assert_read_fails(t, OLD_R, 0, BOS_E_REVOKED);
	/* Now bound: swapping names fails both ways, and putting them back reads again. */
	swap_cred_col(t, "name", OLD_A, OLD_B);
	assert_read_fails(t, OLD_A, 0, BOS_E_AUTH);
	assert_read_by_name_fails(t, "old-a", OLD_B);
	swap_cred_col(t, "name", OLD_A, OLD_B);
	assert_secret(t, OLD_B, 0, "OLD-B1-CANARY");
	/* Done once: a second pass finds nothing, and old blobs are never opened again. */
	reseal_ok(t, 0, 0, 0);
	assert_not_in_files(t, "OLD-A1-CANARY");
}

static void
test_cards_refused(void **state)
{
	static const char *const cvv_keys[] = {
		"cvv", "CVC", "cvv2", "cvc2", "cid", "csc", "security_code", "Security-Code",
		"card_verification_value", "CardVerificationCode", "card cvv",
	};
	struct test_ctx *t = *state;
	char md[128];
	size_t i;
	int before = rows(t);

	for (i = 0; i < sizeof(cvv_keys) / sizeof(cvv_keys[0]); i++) {
		snprintf(md, sizeof(md), "{\"brand_hint\":\"x\",\"%s\":\"123\"}", cvv_keys[i]);
		create_fails(t, "c", CRED_CARD, md, "4111111111111111", BOS_E_INVALID,
		    "PCI DSS 3.3.1.2");
		/* A CVV field is refused on any credential type. */
		create_fails(t, "c", CRED_SECRET, md, "x", BOS_E_INVALID, "CVV");
	}
	create_fails(t, "c", CRED_CARD, NULL, "4111 1111 1111 1111 123", BOS_E_INVALID, "CVV");
	create_fails(t, "c", CRED_CARD, NULL, "4111111111111111 123", BOS_E_INVALID, "CVV");
	create_fails(t, "c", CRED_CARD, NULL, "4111111111111112", BOS_E_INVALID, "Luhn");
	create_fails(t, "c", CRED_CARD, NULL, "4111111111111111/123", BOS_E_INVALID, NULL);
	create_fails(t, "c", CRED_CARD, NULL, "4111111111111111\n", BOS_E_INVALID, NULL);
	create_fails(t, "c", CRED_CARD, NULL, "{\"pan\":\"4111111111111111\",\"cvv\":\"123\"}",
	    BOS_E_INVALID, NULL);
	/* Card numbers in clear-text fields, in any form. */
	create_fails(t, "c", CRED_SECRET, "{\"note\":\"card 4111 1111 1111 1111\"}", "x",
	    BOS_E_INVALID, "must not contain a card number");
	create_fails(t, "c", CRED_SECRET, "{\"note\":4111111111111111}", "x", BOS_E_INVALID,
	    "card number");
	create_fails(t, "c", CRED_SECRET, "{\"note\":4111111111111111.0}", "x", BOS_E_INVALID,
	    "card number");
	create_fails(t, "c", CRED_SECRET, "{\"note\":4.111111111111111e15}", "x", BOS_E_INVALID,
	    "card number");
	create_fails(t, "c", CRED_SECRET, "{\"n\":\"4111\\u00201111\\u00201111\\u00201111\"}",
	    "x", BOS_E_INVALID, "card number");
	create_fails(t, "c", CRED_SECRET, "{\"4111111111111111\":1}", "x", BOS_E_INVALID,
	    "card number");
	create_fails(t, "card 4111-1111-1111-1111", CRED_SECRET, NULL, "x", BOS_E_INVALID,
	    "card number");
	/* Nothing was written by any refused request. */
	assert_int_equal(rows(t), before);
}

static void
test_card_meta_shows_first6_last4_only(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct cred_meta m;
	struct names n;
	char id[CRED_ID_LEN + 1];

	create_ok(t, "amex", CRED_CARD, "stripe", "{\"holder\":\"A. Person\",\"exp\":\"12/29\"}",
	    "3782-822463-10005", id);
	assert_int_equal(cred_get(&t->cc, id, &m, &err), 0);
	assert_string_equal(m.card_brand, "amex");
	assert_string_equal(m.card_first6, "378282");
	assert_string_equal(m.card_last4, "0005");
	/* Nothing of the middle digits anywhere in the metadata. */
	assert_null(strstr(m.metadata_json, "24631"));
	assert_null(strstr(m.name, "24631"));
	cred_meta_free(&m);
	assert_string_equal(list_names(t, NULL, "card", &n), "amex");
	/* The clear columns of the row hold only brand, first 6 and last 4. */
	assert_int_equal(count(t, "SELECT count(*) FROM credential_versions WHERE "
	    "card_brand = 'amex' AND card_first6 = '378282' AND card_last4 = '0005'"), 1);
	assert_int_equal(count(t, "SELECT count(*) FROM credentials WHERE "
	    "instr(name || metadata || service, '24631') > 0"), 0);
	assert_secret(t, id, 0, "378282246310005");
}

static void
test_canaries_not_in_files(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	char id[CRED_ID_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(every_type) / sizeof(every_type[0]); i++)
		create_ok(t, every_type[i].name, every_type[i].type, "svc", NULL,
		    every_type[i].secret, id);
	/* Before a checkpoint the rows are in the WAL; after, in the main file. */
	for (i = 0; i < sizeof(every_type) / sizeof(every_type[0]); i++)
		assert_not_in_files(t, every_type[i].readback);
	assert_not_in_files(t, "CANARY");
	assert_not_in_files(t, "4111111111111111");
	assert_not_in_files(t, "111111");
	assert_int_equal(store_checkpoint(t->store, &err), 0);
	assert_not_in_files(t, "CANARY");
	assert_not_in_files(t, "4111111111111111");
	/* Even the clear columns are encrypted on disk. */
	assert_not_in_files(t, "visa");
	assert_not_in_files(t, "corp card");
}

static void
test_validation(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct cred_meta m;
	char id[CRED_ID_LEN + 1], big[5000], name[200];
	struct cred_new n = { "ok", CRED_SECRET, "svc", NULL, NULL, 0 };
	uint8_t *huge;
	size_t i;
	int before;

	create_ok(t, "taken", CRED_SECRET, "svc", NULL, "x", id);
	before = rows(t);
	create_fails(t, "", CRED_SECRET, NULL, "x", BOS_E_INVALID, "name");
	memset(name, 'n', 129);
	name[129] = '\0';
	create_fails(t, name, CRED_SECRET, NULL, "x", BOS_E_INVALID, "name");
	create_fails(t, "bad\nname", CRED_SECRET, NULL, "x", BOS_E_INVALID, "name");
	create_fails(t, "bad'name", CRED_SECRET, NULL, "x", BOS_E_INVALID, "name");
	create_fails(t, " edge", CRED_SECRET, NULL, "x", BOS_E_INVALID, "space");
	/* One policy-path segment: no slash, not "." or "..". */
	create_fails(t, "ops/sendgrid", CRED_SECRET, NULL, "x", BOS_E_INVALID, "name");
	create_fails(t, "..", CRED_SECRET, NULL, "x", BOS_E_INVALID, "'..'");
	create_fails(t, ".", CRED_SECRET, NULL, "x", BOS_E_INVALID, "'.'");
	create_fails(t, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", CRED_SECRET, NULL, "x", BOS_E_INVALID,
	    "id");
	create_fails(t, "taken", CRED_SECRET, NULL, "x", BOS_E_EXISTS, "already exists");
	create_fails(t, "ok", CRED_SECRET, NULL, "", BOS_E_INVALID, "secret");
	create_fails(t, "ok", CRED_SECRET, "[]", "x", BOS_E_INVALID, "object");
	create_fails(t, "ok", CRED_SECRET, "{\"a\":null}", "x", BOS_E_INVALID, "strings");
	create_fails(t, "ok", CRED_SECRET, "{\"a\":[1]}", "x", BOS_E_INVALID, "strings");
	create_fails(t, "ok", CRED_SECRET, "{\"a\":{\"b\":1}}", "x", BOS_E_INVALID, "strings");
	create_fails(t, "ok", CRED_SECRET, "{\"a\":1,\"a\":2}", "x", BOS_E_INVALID, "JSON");
	create_fails(t, "ok", CRED_SECRET, "{\"a\":", "x", BOS_E_INVALID, "JSON");
	create_fails(t, "ok", CRED_SECRET, "{} {}", "x", BOS_E_INVALID, "JSON");
	/* 33 keys. */
	snprintf(big, sizeof(big), "{");
	for (i = 0; i < 33; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "%s\"k%zu\":1",
		    i ? "," : "", i);
	snprintf(big + strlen(big), sizeof(big) - strlen(big), "}");
	create_fails(t, "ok", CRED_SECRET, big, "x", BOS_E_INVALID, "32");
	/* Over 4 KiB. */
	memset(big, 0, sizeof(big));
	snprintf(big, sizeof(big), "{\"a\":\"");
	memset(big + 6, 'z', 4100);
	snprintf(big + 4106, sizeof(big) - 4106, "\"}");
	create_fails(t, "ok", CRED_SECRET, big, "x", BOS_E_INVALID, "4096");
	/* Service names. */
	n.service = "Stripe";
	n.secret = (const uint8_t *)"x";
	n.secret_len = 1;
	assert_int_equal(cred_create(&t->cc, &n, id, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	n.service = "";
	assert_int_equal(cred_create(&t->cc, &n, id, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	/* Secret over 64 KiB. */
	n.service = "svc";
	huge = calloc(1, CRED_SECRET_MAX + 1);
	assert_non_null(huge);
	n.secret = huge;
	n.secret_len = CRED_SECRET_MAX + 1;
	assert_int_equal(cred_create(&t->cc, &n, id, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	n.secret_len = CRED_SECRET_MAX;
	assert_int_equal(cred_create(&t->cc, &n, id, &err), 0);
	free(huge);
	assert_int_equal(rows(t), before + 1001);
	/* Lookups of what does not exist. */
	assert_int_equal(cred_get(&t->cc, "nobody", &m, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(cred_get(&t->cc, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", &m, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(cred_get(&t->cc, "4111 1111 1111 1111", &m, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_null(strstr(err.msg, "4111"));
	assert_read_fails(t, "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", 0, BOS_E_NOTFOUND);
	assert_read_fails(t, "taken", 0, BOS_E_NOTFOUND);
}

static void
test_ids(void **state)
{
	struct test_ctx *t = *state;
	char ids[40][CRED_ID_LEN + 1], name[16];
	size_t i, j;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		create_ok(t, name, CRED_SECRET, "svc", NULL, "x", ids[i]);
		assert_int_equal(strlen(ids[i]), CRED_ID_LEN);
		assert_memory_equal(ids[i], "cr_", 3);
		for (j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
	assert_false(credname_id_valid("cr_AAAAAAAAAAAAAAAAAAAAAAAAAA"));
	assert_false(credname_id_valid("cr_aaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(credname_id_valid("cr_aaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(credname_id_valid("xx_aaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(credname_id_valid("cr_aaaaaaaaaaaaaaaaaaaaaaaaa1"));
	assert_false(credname_id_valid(NULL));
}

/* A credential change can be part of a caller's transaction, and a failure leaves nothing. */
static void
test_transactions(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	struct cred_meta m;
	char id[CRED_ID_LEN + 1];
	int before = rows(t);

	assert_int_equal(store_begin(t->store, &err), 0);
	create_ok(t, "inner", CRED_SECRET, "svc", NULL, "x", id);
	assert_int_equal(store_rollback(t->store, &err), 0);
	assert_int_equal(rows(t), before);
	assert_int_equal(cred_get(&t->cc, "inner", &m, &err), -1);
	assert_int_equal(store_begin(t->store, &err), 0);
	create_ok(t, "inner", CRED_SECRET, "svc", NULL, "x", id);
	assert_int_equal(store_commit(t->store, &err), 0);
	assert_secret(t, id, 0, "x");
	/* A KEK the HSM does not have: the HSM refuses, nothing is written. */
	before = rows(t);
	t->cc.kek_version = 99;
	create_fails(t, "nokek", CRED_SECRET, NULL, "x", BOS_E_NOTFOUND, NULL);
	assert_int_equal(rows(t), before);
	t->cc.kek_version = 1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_every_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flip_stored_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_between_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_clear_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_format_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cards_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_card_meta_shows_first6_last4_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_canaries_not_in_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
