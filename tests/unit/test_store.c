/* Unit tests for vault/store/store.c: the SQLCipher database, its settings and migrations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "store/card.h"
#include "store/store.h"

/* While counting (test_deferred_commit): fsyncs and fdatasyncs of a -wal file (below). */
static int wal_sync_counting;
static unsigned wal_syncs;

struct test_ctx {
	char dir[256];
	char path[300];
	uint8_t key[STORE_KEY_LEN];
};

static int
setup(void **state)
{
	struct test_ctx *t = calloc(1, sizeof(*t));
	const char *tmp = getenv("TMPDIR");
	size_t i;

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/bos-test-store-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/vault.db", t->dir);
	for (i = 0; i < STORE_KEY_LEN; i++)
		t->key[i] = (uint8_t)(0xa0 + i);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct test_ctx *t = *state;
	char p[600];
	struct dirent *de;
	DIR *d = opendir(t->dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->dir, de->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(t->dir);
	free(t);
	return 0;
}

static struct store *
open_ok(struct test_ctx *t, int create)
{
	struct store *s = NULL;
	struct bos_err err = { 0 };

	if (store_open(t->path, t->key, create, &s, &err) != 0)
		fail_msg("store_open(create=%d): %s", create, err.msg);
	assert_non_null(s);
	return s;
}

/* Whole file in memory (NULL and *len 0 when absent). */
static uint8_t *
read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	FILE *f = fopen(path, "rb");

	*len = 0;
	if (f == NULL)
		return NULL;
	assert_int_equal(fstat(fileno(f), &st), 0);
	p = malloc((size_t)st.st_size + 1);
	assert_non_null(p);
	*len = fread(p, 1, (size_t)st.st_size, f);
	assert_int_equal(*len, (size_t)st.st_size);
	fclose(f);
	return p;
}

static void
file_sha256(const char *path, uint8_t md[32])
{
	size_t len;
	uint8_t *p = read_file(path, &len);
	unsigned int mdlen = 32;

	assert_non_null(p);
	assert_int_equal(EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL), 1);
	free(p);
}

/* Does the file (if present) contain needle anywhere? */
static int
file_contains(const char *path, const char *needle)
{
	size_t len;
	uint8_t *p = read_file(path, &len);
	int found;

	if (p == NULL)
		return 0;
	found = memmem(p, len, needle, strlen(needle)) != NULL;
	free(p);
	return found;
}

static const char *
query_text(struct store *s, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static void
exec_ok(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static void
test_create_and_reopen(void **state)
{
	struct test_ctx *t = *state;
	struct store *s;
	char buf[64];

	s = open_ok(t, 1);
	assert_int_equal(store_schema_version(s), schema_latest());
	exec_ok(s, "INSERT INTO credentials (id, name, type, service, metadata, current_version, "
	    "created_at, updated_at) VALUES ('cr_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'n', 'secret', 'svc', "
	    "'{}', 1, 1, 1)");
	store_close(s);
	s = open_ok(t, 0);
	assert_string_equal(query_text(s, "SELECT name FROM credentials", buf, sizeof(buf)), "n");
	assert_int_equal(store_schema_version(s), schema_latest());
	/* Reopening applies no migration twice. */
	snprintf(buf, sizeof(buf), "%d", schema_latest());
	assert_string_equal(query_text(s, "SELECT count(*) FROM schema_migrations", buf + 32, 32),
	    buf);
	store_close(s);
}

static void
test_settings(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	char buf[64];

	assert_string_equal(query_text(s, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	assert_string_equal(query_text(s, "PRAGMA synchronous", buf, sizeof(buf)), "2");
	assert_string_equal(query_text(s, "PRAGMA foreign_keys", buf, sizeof(buf)), "1");
	assert_string_equal(query_text(s, "PRAGMA secure_delete", buf, sizeof(buf)), "1");
	assert_string_equal(query_text(s, "PRAGMA temp_store", buf, sizeof(buf)), "2");
	assert_string_equal(query_text(s, "PRAGMA busy_timeout", buf, sizeof(buf)), "5000");
	assert_true(strlen(query_text(s, "PRAGMA cipher_version", buf, sizeof(buf))) > 0);
	/* Foreign keys are enforced: a version row needs its credential. */
	assert_int_not_equal(sqlite3_exec(store_db(s), "INSERT INTO credential_versions VALUES "
	    "('cr_bbbbbbbbbbbbbbbbbbbbbbbbbb', 1, 1, x'00', x'00', NULL, NULL, NULL, 1)",
	    NULL, NULL, NULL), SQLITE_OK);
	store_close(s);
}

static void
test_wrong_key(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1), *s2 = NULL;
	struct bos_err err = { 0 };
	uint8_t other[STORE_KEY_LEN];
	char want[512];

	store_close(s);
	memcpy(other, t->key, sizeof(other));
	other[0] ^= 0x01;
	assert_int_equal(store_open(t->path, other, 0, &s2, &err), -1);
	assert_null(s2);
	assert_int_equal(err.code, BOS_E_AUTH);
	snprintf(want, sizeof(want), "database %s cannot be decrypted: wrong database key or "
	    "not a BOS database", t->path);
	assert_string_equal(err.msg, want);
	/* The right key still works: the failed attempt changed nothing. */
	s = open_ok(t, 0);
	store_close(s);
}

/*
 * The key is used raw (x'hex'), not as a passphrase: the file opens with the
 * hex string through plain SQLCipher and not with the 32 bytes as a passphrase.
 */
static void
test_raw_key_format(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	sqlite3 *db = NULL;
	char hexkey[80];
	size_t i;

	store_close(s);
	hexkey[0] = 'x';
	hexkey[1] = '\'';
	for (i = 0; i < STORE_KEY_LEN; i++)
		snprintf(hexkey + 2 + 2 * i, 3, "%02x", t->key[i]);
	snprintf(hexkey + 2 + 2 * STORE_KEY_LEN, 2, "'");
	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_key(db, hexkey, (int)strlen(hexkey)), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM schema_migrations", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_key(db, t->key, STORE_KEY_LEN), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL),
	    SQLITE_NOTADB);
	sqlite3_close(db);
}

static void
assert_create_refused_unchanged(struct test_ctx *t)
{
	struct store *s = NULL;
	struct bos_err err = { 0 };
	uint8_t before[32], after[32];
	struct stat st1, st2;

	file_sha256(t->path, before);
	assert_int_equal(stat(t->path, &st1), 0);
	assert_int_equal(store_open(t->path, t->key, 1, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, BOS_E_EXISTS);
	file_sha256(t->path, after);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(stat(t->path, &st2), 0);
	assert_int_equal(st1.st_size, st2.st_size);
	assert_int_equal(st1.st_mode, st2.st_mode);
	assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
}

static void
test_create_never_overwrites(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	FILE *f;

	exec_ok(s, "INSERT INTO schema_migrations VALUES (1000, 0); "
	    "DELETE FROM schema_migrations WHERE version = 1000");
	store_close(s);
	assert_create_refused_unchanged(t);
	/* Also a file that is not a database at all, and an empty one. */
	unlink(t->path);
	f = fopen(t->path, "w");
	assert_non_null(f);
	fputs("precious data that is not a database\n", f);
	fclose(f);
	assert_create_refused_unchanged(t);
	f = fopen(t->path, "w");
	assert_non_null(f);
	fclose(f);
	assert_create_refused_unchanged(t);
}

static void
test_create_refuses_leftover_wal(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = NULL;
	struct bos_err err = { 0 };
	char wal[400];
	struct stat st;
	FILE *f;

	snprintf(wal, sizeof(wal), "%s-wal", t->path);
	f = fopen(wal, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(store_open(t->path, t->key, 1, &s, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_non_null(strstr(err.msg, "leftover"));
	assert_int_equal(stat(t->path, &st), -1);
	unlink(wal);
}

static void
test_open_missing(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = NULL;
	struct bos_err err = { 0 };
	struct stat st;
	char want[512];

	assert_int_equal(store_open(t->path, t->key, 0, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	snprintf(want, sizeof(want), "database %s does not exist", t->path);
	assert_string_equal(err.msg, want);
	/* Opening must not have created it. */
	assert_int_equal(stat(t->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* SQLCipher accepts an empty file under any key: open must refuse one. */
static void
test_open_empty_file(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = NULL;
	struct bos_err err = { 0 };
	struct stat st;
	FILE *f = fopen(t->path, "w");

	assert_non_null(f);
	fclose(f);
	assert_int_equal(store_open(t->path, t->key, 0, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, BOS_E_CORRUPT);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_size, 0);
}

static void
test_open_not_a_database(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = NULL;
	struct bos_err err = { 0 };
	uint8_t junk[4096];
	sqlite3 *db = NULL;
	struct stat st;
	FILE *f;

	memset(junk, 0x5a, sizeof(junk));
	f = fopen(t->path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
	assert_int_equal(store_open(t->path, t->key, 0, &s, &err), -1);
	assert_int_equal(err.code, BOS_E_AUTH);
	/* Its contents are untouched. */
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_size, sizeof(junk));
	/* An unencrypted SQLite file is not a BOS database either. */
	unlink(t->path);
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(t->path, t->key, 0, &s, &err), -1);
	assert_int_equal(err.code, BOS_E_AUTH);
}

static void
test_symlink_refused(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	struct bos_err err = { 0 };
	char link[400];

	store_close(s);
	snprintf(link, sizeof(link), "%s/link.db", t->dir);
	assert_int_equal(symlink(t->path, link), 0);
	s = NULL;
	assert_int_equal(store_open(link, t->key, 0, &s, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(store_open(link, t->key, 1, &s, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
}

static void
test_file_mode(void **state)
{
	struct test_ctx *t = *state;
	struct store *s;
	struct stat st;
	char wal[400];
	mode_t old = umask(0);

	s = open_ok(t, 1);
	umask(old);
	exec_ok(s, "INSERT INTO schema_migrations VALUES (1000, 0); "
	    "DELETE FROM schema_migrations WHERE version = 1000");
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", t->path);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	store_close(s);
	/* A database (and its WAL) left readable by others is tightened on open. */
	assert_int_equal(chmod(t->path, 0644), 0);
	if (stat(wal, &st) == 0)
		assert_int_equal(chmod(wal, 0644), 0);
	s = open_ok(t, 0);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	exec_ok(s, "INSERT INTO schema_migrations VALUES (1000, 0); "
	    "DELETE FROM schema_migrations WHERE version = 1000");
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	store_close(s);
}

static const char canary[] = "CANARY-sk_live_7f3a9c1e5b2d4f60";

static void
insert_canary(struct store *s)
{
	sqlite3_stmt *st = NULL;

	exec_ok(s, "CREATE TABLE IF NOT EXISTS canary (v TEXT)");
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "INSERT INTO canary VALUES (?1)", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, canary, -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void
assert_no_canary(struct test_ctx *t)
{
	char p[400];

	assert_false(file_contains(t->path, canary));
	snprintf(p, sizeof(p), "%s-wal", t->path);
	assert_false(file_contains(p, canary));
	snprintf(p, sizeof(p), "%s-shm", t->path);
	assert_false(file_contains(p, canary));
}

static void
test_canary_not_in_files(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	struct bos_err err = { 0 };
	char wal[400];
	struct stat st;

	insert_canary(s);
	/* Before a checkpoint the row lives in the WAL: it must be encrypted there. */
	snprintf(wal, sizeof(wal), "%s-wal", t->path);
	assert_int_equal(stat(wal, &st), 0);
	assert_true(st.st_size > 0);
	assert_no_canary(t);
	assert_int_equal(store_checkpoint(s, &err), 0);
	assert_no_canary(t);
	insert_canary(s);
	store_close(s);
	assert_no_canary(t);
}

/* Positive control: the scan does find a canary written without encryption. */
static void
test_canary_scan_control(void **state)
{
	struct test_ctx *t = *state;
	sqlite3 *db = NULL;
	char sql[128];

	snprintf(sql, sizeof(sql), "CREATE TABLE t (v); INSERT INTO t VALUES ('%s')", canary);
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_true(file_contains(t->path, canary));
}

static void
test_newer_schema_refused(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	struct bos_err err = { 0 };
	char want[512];

	exec_ok(s, "INSERT INTO schema_migrations VALUES (999, 0)");
	store_close(s);
	s = NULL;
	assert_int_equal(store_open(t->path, t->key, 0, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.code, BOS_E_CORRUPT);
	snprintf(want, sizeof(want), "database schema version 999 is newer than this "
	    "bos-vaultd supports (%d)", schema_latest());
	assert_string_equal(err.msg, want);
}

static int
table_exists(struct store *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	int n;

	assert_int_equal(sqlite3_prepare_v2(store_db(s),
	    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A migration that fails half way leaves nothing of itself behind. */
static void
test_failed_migration_rolls_back(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	struct bos_err err = { 0 };
	const struct schema_migration *base;
	struct schema_migration m[64];   /* the migrations of this build and two more */
	size_t n, i;
	char buf[32];

	base = schema_migrations(&n);
	assert_true(n + 2 <= BOS_ARRAY_LEN(m));
	for (i = 0; i < n; i++)
		m[i] = base[i];
	m[n] = (struct schema_migration){ (int)n + 1, "good", "CREATE TABLE good (x)" };
	m[n + 1] = (struct schema_migration){ (int)n + 2, "bad",
	    "CREATE TABLE half (x); INSERT INTO no_such_table VALUES (1)" };
	assert_int_equal(store_migrate(s, m, n + 2, &err), -1);
	assert_int_equal(err.code, BOS_E_DB);
	assert_non_null(strstr(err.msg, "bad"));
	assert_int_equal(table_exists(s, "good"), 1);
	assert_int_equal(table_exists(s, "half"), 0);
	snprintf(buf, sizeof(buf), "%zu", n + 1);
	assert_string_equal(query_text(s, "SELECT max(version) FROM schema_migrations", buf + 16,
	    16), buf);
	/* Versions out of order are a programming error. */
	m[0].version = 2;
	assert_int_equal(store_migrate(s, m, 1, &err), -1);
	assert_int_equal(err.code, BOS_E_CONFIG);
	store_close(s);
}

static int
count_rows(struct store *s)
{
	char buf[32];

	return (int)strtol(query_text(s, "SELECT count(*) FROM scratch",
	    buf, sizeof(buf)), NULL, 10);
}

static void
test_transactions(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	struct bos_err err = { 0 };

	exec_ok(s, "CREATE TABLE scratch (v INTEGER, w INTEGER)");
	assert_int_equal(store_commit(s, &err), -1);
	assert_int_equal(store_rollback(s, &err), -1);
	/* Rollback discards. */
	assert_int_equal(store_begin(s, &err), 0);
	exec_ok(s, "INSERT INTO scratch VALUES (100, 0)");
	assert_int_equal(store_rollback(s, &err), 0);
	assert_int_equal(count_rows(s), 0);
	/* A nested level rolls back alone; the outer one commits. */
	assert_int_equal(store_begin(s, &err), 0);
	exec_ok(s, "INSERT INTO scratch VALUES (101, 0)");
	assert_int_equal(store_begin(s, &err), 0);
	exec_ok(s, "INSERT INTO scratch VALUES (102, 0)");
	assert_int_equal(store_rollback(s, &err), 0);
	assert_int_equal(store_begin(s, &err), 0);
	exec_ok(s, "INSERT INTO scratch VALUES (103, 0)");
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(count_rows(s), 2);
	/* A nested commit is undone by the outer rollback. */
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_begin(s, &err), 0);
	exec_ok(s, "INSERT INTO scratch VALUES (104, 0)");
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(store_rollback(s, &err), 0);
	assert_int_equal(count_rows(s), 2);
	/* Closing with a transaction open rolls it back. */
	assert_int_equal(store_begin(s, &err), 0);
	exec_ok(s, "INSERT INTO scratch VALUES (105, 0)");
	store_close(s);
	s = open_ok(t, 0);
	assert_int_equal(count_rows(s), 2);
	store_close(s);
}

/*
 * Group commit's half of the store (docs/STORE.md "Group commit"): a deferred
 * transaction's COMMIT does not sync the WAL, store_sync does, and every
 * other commit still syncs by itself afterwards. The counts come from the
 * fsync/fdatasync interposed below; the FULL commits are the control.
 */
static void
test_deferred_commit(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	struct bos_err err = { 0 };
	char buf[32];
	int need_sync = -1;

	exec_ok(s, "CREATE TABLE scratch (v INTEGER, w INTEGER)");
	wal_sync_counting = 1;
	/* Control: an ordinary commit syncs the WAL before it returns. */
	wal_syncs = 0;
	assert_int_equal(store_begin(s, &err), 0);
	exec_ok(s, "INSERT INTO scratch VALUES (1, 0)");
	assert_int_equal(store_commit(s, &err), 0);
	assert_true(wal_syncs >= 1);
	/* Deferred: no sync at COMMIT, one by store_sync. */
	wal_syncs = 0;
	assert_int_equal(store_begin_deferred(s, &err), 0);
	assert_string_equal(query_text(s, "PRAGMA synchronous", buf, sizeof(buf)), "1");
	exec_ok(s, "INSERT INTO scratch VALUES (2, 0)");
	assert_int_equal(store_begin(s, &err), 0);       /* a request's savepoint */
	exec_ok(s, "INSERT INTO scratch VALUES (3, 0)");
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(store_depth(s), 1);
	assert_int_equal(store_commit_deferred(s, &need_sync, &err), 0);
	assert_int_equal(need_sync, 1);
	assert_int_equal(wal_syncs, 0);
	store_sync(s);
	assert_int_equal(wal_syncs, 1);
	assert_int_equal(count_rows(s), 3);
	/* FULL again for everything else. */
	assert_string_equal(query_text(s, "PRAGMA synchronous", buf, sizeof(buf)), "2");
	wal_syncs = 0;
	assert_int_equal(store_begin(s, &err), 0);
	exec_ok(s, "INSERT INTO scratch VALUES (4, 0)");
	assert_int_equal(store_commit(s, &err), 0);
	assert_true(wal_syncs >= 1);
	/* A deferred transaction ended by a plain commit syncs by itself. */
	wal_syncs = 0;
	assert_int_equal(store_begin_deferred(s, &err), 0);
	exec_ok(s, "INSERT INTO scratch VALUES (5, 0)");
	assert_int_equal(store_commit(s, &err), 0);
	assert_true(wal_syncs >= 1);
	/* A rolled-back one leaves FULL behind too; and it must be the outermost. */
	assert_int_equal(store_begin_deferred(s, &err), 0);
	assert_int_equal(store_rollback(s, &err), 0);
	assert_string_equal(query_text(s, "PRAGMA synchronous", buf, sizeof(buf)), "2");
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_begin_deferred(s, &err), -1);
	assert_int_equal(store_rollback(s, &err), 0);
	wal_sync_counting = 0;
	assert_int_equal(count_rows(s), 5);
	store_close(s);
}

/* Kept statements: lent to one caller at a time, found by their text, reset when given back. */
static void
test_kept_statements(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	struct bos_err err = { 0 };
	struct sqlite3_stmt *a, *b, *c;
	char sql[64];
	int i;

	/* The same text twice at once: two statements. */
	assert_int_equal(store_stmt(s, "SELECT 1", &a, &err), 0);
	assert_int_equal(store_stmt(s, "SELECT 1", &b, &err), 0);
	assert_ptr_not_equal(a, b);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);   /* a is left half-read */
	store_stmt_done(s, a);
	store_stmt_done(s, b);
	/* Given back, it comes back reset. */
	assert_int_equal(store_stmt(s, "SELECT 1", &c, &err), 0);
	assert_true(c == a || c == b);
	assert_int_equal(sqlite3_step(c), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(c, 0), 1);
	store_stmt_done(s, c);
	/* One buffer, two texts: found by text, not by address. */
	snprintf(sql, sizeof(sql), "SELECT 7");
	assert_int_equal(store_stmt(s, sql, &a, &err), 0);
	store_stmt_done(s, a);
	snprintf(sql, sizeof(sql), "SELECT 8");
	assert_int_equal(store_stmt(s, sql, &b, &err), 0);
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(b, 0), 8);
	store_stmt_done(s, b);
	/* More texts than slots: the old ones are replaced, all still work. */
	for (i = 0; i < 300; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		assert_int_equal(store_stmt(s, sql, &a, &err), 0);
		assert_int_equal(sqlite3_step(a), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(a, 0), i);
		store_stmt_done(s, a);
	}
	/* Bad SQL is an error, not a statement. */
	assert_int_equal(store_stmt(s, "SELEKT 1", &a, &err), -1);
	store_close(s);
}

/*
 * Two processes on one database (the vault and a local bosctl): when one
 * closes, it must not checkpoint and delete the WAL that the other still
 * writes to. That happens if the store ever closes a descriptor of its own on
 * the database while SQLite has it open (POSIX locks are per process).
 */
static void
test_two_processes(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1), *c = NULL;
	struct bos_err err = { 0 };
	char wal[400], buf[32], x = 'x';
	struct stat st;
	int go[2], done[2], status = -1;
	pid_t pid;

	exec_ok(s, "CREATE TABLE scratch (v INTEGER); INSERT INTO scratch VALUES (1)");
	store_close(s);
	/*
	 * Fork before either opens: a child forked with a connection open would
	 * share SQLite's in-process lock bookkeeping and hide the problem.
	 */
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (read(go[0], &x, 1) != 1 || store_open(t->path, t->key, 0, &c, &err) != 0 ||
		    sqlite3_exec(store_db(c), "INSERT INTO scratch VALUES (2)", NULL, NULL,
		    NULL) != SQLITE_OK)
			_exit(1);
		store_close(c);
		_exit(write(done[1], &x, 1) == 1 ? 0 : 1);
	}
	/* Nothing written between this open and the other process's close. */
	s = open_ok(t, 0);
	assert_int_equal(write(go[1], &x, 1), 1);
	assert_int_equal(read(done[0], &x, 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(wal, sizeof(wal), "%s-wal", t->path);
	if (stat(wal, &st) != 0)
		fail_msg("the other process deleted the WAL this one still uses");
	exec_ok(s, "INSERT INTO scratch VALUES (3)");
	store_close(s);
	s = open_ok(t, 0);
	assert_string_equal(query_text(s, "SELECT group_concat(v) FROM scratch", buf,
	    sizeof(buf)), "1,2,3");
	store_close(s);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

/*
 * Fault injection for the fsync tests: while fsync_fail_suffix is set,
 * fsync() and fdatasync() of a file whose path ends with it fail with EIO,
 * as on a dying disk. These definitions in the test program take precedence
 * over libc's, for libsqlcipher too; everything else goes to libc. Only the
 * forked children of the fsync tests set it.
 */
static const char *fsync_fail_suffix;

static int
fsync_path_ends(int fd, const char *suffix)
{
	char link[64], target[4096];
	size_t n, m;
	ssize_t got;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((got = readlink(link, target, sizeof(target) - 1)) <= 0)
		return 0;
	target[got] = '\0';
	n = (size_t)got;
	m = strlen(suffix);
	return n >= m && strcmp(target + n - m, suffix) == 0;
}

static int
fsync_injected(int fd)
{
	if (wal_sync_counting && fsync_path_ends(fd, "-wal"))
		wal_syncs++;
	return fsync_fail_suffix != NULL && fsync_path_ends(fd, fsync_fail_suffix);
}

static int
fsync_call(const char *name, int fd)
{
	int (*real)(int);

	if (fsync_injected(fd)) {
		errno = EIO;
		return -1;
	}
	*(void **)&real = dlsym(RTLD_NEXT, name);
	return real != NULL ? real(fd) : -1;
}

int
fsync(int fd)
{
	return fsync_call("fsync", fd);
}

int
fdatasync(int fd)
{
	return fsync_call("fdatasync", fd);
}

enum fsync_case { FSYNC_AT_COMMIT, FSYNC_AT_AUTOCHECKPOINT, FSYNC_AT_CHECKPOINT };

/*
 * The child of test_fsync_failure_is_fatal: commit rows, reporting each one
 * acknowledged on ack, then break fsync and go on writing. store.c must end
 * the process with STORE_EXIT_FSYNC; any other way out is a failure (1..6).
 */
static void
fsync_child(struct test_ctx *t, enum fsync_case c, int ack, int log_fd)
{
	struct store *s = NULL;
	struct bos_err err = { 0 };
	uint32_t i;

	if (dup2(log_fd, STDERR_FILENO) < 0 || store_open(t->path, t->key, 0, &s, &err) != 0)
		_exit(2);
	for (i = 1; i <= 5000; i++) {
		if (i == 4)
			fsync_fail_suffix = c == FSYNC_AT_COMMIT ? "-wal" : t->path;
		if (i == 4 && c == FSYNC_AT_CHECKPOINT) {
			if (store_checkpoint(s, &err) != 0)
				_exit(3);   /* a failed checkpoint that returned */
			_exit(4);
		}
		if (store_begin(s, &err) != 0 || sqlite3_exec(store_db(s),
		    "INSERT INTO scratch VALUES (randomblob(2000))", NULL, NULL, NULL) != SQLITE_OK)
			_exit(5);
		if (store_commit(s, &err) != 0)
			_exit(6);   /* a failed commit that returned */
		if (write(ack, &i, sizeof(i)) != sizeof(i))
			_exit(2);
	}
	_exit(1);   /* still running: the fault never hit */
}

/*
 * Issue #5: a failed fsync stops the process with exit status 74, wherever it
 * happens (COMMIT, the checkpoint after a commit, an explicit checkpoint),
 * after one log line; and the database it leaves behind holds every
 * acknowledged commit.
 */
static void
fsync_case(struct test_ctx *t, enum fsync_case c, const char *want_log)
{
	struct store *s = open_ok(t, 1);
	char logpath[400], buf[64];
	uint32_t i, acked = 0;
	int ack[2], log_fd, status = -1;
	pid_t pid;
	long rows;

	exec_ok(s, "CREATE TABLE scratch (v BLOB)");
	store_close(s);
	snprintf(logpath, sizeof(logpath), "%s/child.log", t->dir);
	assert_true((log_fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0);
	assert_int_equal(pipe(ack), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ack[0]);
		fsync_child(t, c, ack[1], log_fd);
	}
	close(ack[1]);
	close(log_fd);
	while (read(ack[0], &i, sizeof(i)) == sizeof(i))
		acked = i;
	close(ack[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != STORE_EXIT_FSYNC)
		fail_msg("case %d: child ended with status 0x%x, not exit %d", (int)c, status,
		    STORE_EXIT_FSYNC);
	if (!file_contains(logpath, want_log) || !file_contains(logpath, "to protect "
	    "acknowledged data"))
		fail_msg("case %d: the log does not say '%s'", (int)c, want_log);
	assert_true(acked >= 3);
	s = open_ok(t, 0);
	assert_string_equal(query_text(s, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
	rows = strtol(query_text(s, "SELECT count(*) FROM scratch", buf, sizeof(buf)), NULL, 10);
	/* Every acknowledged row; at most the one whose commit was not acknowledged. */
	assert_true(rows >= (long)acked && rows <= (long)acked + 1);
	store_close(s);
	unlink(logpath);
	/* The next case creates its own database. */
	unlink(t->path);
	snprintf(logpath, sizeof(logpath), "%s-wal", t->path);
	unlink(logpath);
	snprintf(logpath, sizeof(logpath), "%s-shm", t->path);
	unlink(logpath);
}

static void
test_fsync_failure_is_fatal(void **state)
{
	struct test_ctx *t = *state;

	assert_int_equal(STORE_EXIT_FSYNC, 74);
	assert_int_equal(store_rc_is_fsync_failure(SQLITE_IOERR_FSYNC), 1);
	assert_int_equal(store_rc_is_fsync_failure(SQLITE_IOERR_DIR_FSYNC), 1);
	assert_int_equal(store_rc_is_fsync_failure(SQLITE_IOERR), 0);
	assert_int_equal(store_rc_is_fsync_failure(SQLITE_IOERR_WRITE), 0);
	assert_int_equal(store_rc_is_fsync_failure(SQLITE_OK), 0);
	fsync_case(t, FSYNC_AT_COMMIT, "fatal: fsync of the database failed while committing");
	fsync_case(t, FSYNC_AT_AUTOCHECKPOINT, "fatal: fsync of the database failed while "
	    "checkpointing the WAL after a commit");
	fsync_case(t, FSYNC_AT_CHECKPOINT, "fatal: fsync of the database failed while "
	    "checkpointing the WAL");
}

/* PCI DSS 3.3.1.2: no column anywhere in the schema may hold a CVV/CVC. */
static void
test_schema_has_no_cvv_column(void **state)
{
	struct test_ctx *t = *state;
	struct store *s = open_ok(t, 1);
	sqlite3_stmt *tables = NULL, *cols = NULL;
	int ncols = 0;

	/* SQLite 3.15 has no pragma_table_info(): one PRAGMA per table. */
	assert_int_equal(sqlite3_prepare_v2(store_db(s),
	    "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &tables, NULL), SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		char sql[256];

		snprintf(sql, sizeof(sql), "PRAGMA table_info(\"%s\")",
		    (const char *)sqlite3_column_text(tables, 0));
		assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &cols, NULL), SQLITE_OK);
		while (sqlite3_step(cols) == SQLITE_ROW) {
			const char *col = (const char *)sqlite3_column_text(cols, 1);

			ncols++;
			if (card_key_is_cvv(col))
				fail_msg("column %s looks like a CVV field", col);
		}
		sqlite3_finalize(cols);
	}
	sqlite3_finalize(tables);
	assert_true(ncols > 10);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_key_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_never_overwrites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_refuses_leftover_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_canary_not_in_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_canary_scan_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_has_no_cvv_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_failure_is_fatal, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
