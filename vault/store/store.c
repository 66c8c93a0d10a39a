/* The SQLCipher database; see store.h and docs/STORE.md. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "secmem.h"
#include "store/store_stmt.h"

/* "x'" + 64 hex digits + "'" + NUL: SQLCipher's syntax for a raw key. */
#define STORE_KEYSTR_SIZE (2 + 2 * STORE_KEY_LEN + 1 + 1)

/* SQLite's default autocheckpoint threshold, kept by store_wal_hook(). */
#define STORE_AUTOCHECKPOINT_FRAMES 1000

_Static_assert(STORE_EXIT_FSYNC == EX_IOERR, "a failed fsync exits with EX_IOERR");

struct store {
	sqlite3 *db;
	int schema_version;
	int depth; /* open transaction levels: 0 none, 1 BEGIN, >1 savepoints */
	int deferred; /* the open transaction runs with synchronous=NORMAL (store_begin_deferred) */
	int wal_fd;   /* the -wal file, for store_sync; -1: deferred commits are not offered */
	struct stmt_cache *stmts;
	struct outreach_notice_conf *notice; /* bos.conf's notice settings, or NULL */
	store_alert_hook alert_hook;         /* called for a new alert, or NULL */
};

int
store_rc_is_fsync_failure(int xrc)
{
	return xrc == SQLITE_IOERR_FSYNC || xrc == SQLITE_IOERR_DIR_FSYNC;
}

/*
 * A failed fsync is fatal (issue #5). Once fsync has reported an error, Linux
 * may already have dropped the dirty pages and cleared the error, so a later
 * fsync "succeeds" with the data gone ("fsyncgate"), and SQLite's own cache
 * may hold pages the file no longer has. No caller can recover from that
 * safely, so the process stops before it acknowledges anything else. On
 * restart SQLite recovers from the WAL: every frame of an acknowledged commit
 * was fsync'd before its COMMIT returned. The log line is written with one
 * unbuffered write(), so _exit() loses nothing.
 */
static void
store_stop_on_fsync_failure(int xrc, const char *what)
{
	if (!store_rc_is_fsync_failure(xrc))
		return;
	log_err("fatal: %s failed while %s; the vault stops (exit status %d) to protect "
	    "acknowledged data: check the disk and the kernel log, then restart",
	    xrc == SQLITE_IOERR_DIR_FSYNC ? "fsync of the database's directory" :
	    "fsync of the database", what, STORE_EXIT_FSYNC);
	_exit(STORE_EXIT_FSYNC);
}

/*
 * Every failed statement in store.c, and every one other modules report, ends
 * up here, so this is the one place where a failed fsync is caught: COMMIT,
 * a statement that commits by itself, and PRAGMA wal_checkpoint.
 */
int
store_err_db(struct store *s, const char *what, struct bos_err *err)
{
	int code = s != NULL && s->db != NULL ? sqlite3_errcode(s->db) : SQLITE_ERROR;

	if (s != NULL && s->db != NULL)
		store_stop_on_fsync_failure(sqlite3_extended_errcode(s->db), what);
	/* Locked by another process past the busy timeout: worth a retry. */
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return bos_err_set(err, BOS_E_BUSY, "the database is busy (locked by another "
		    "process) while %s; retry shortly", what);
	return bos_err_set(err, BOS_E_DB, "database error while %s: %s", what,
	    s != NULL && s->db != NULL ? sqlite3_errmsg(s->db) : "no connection");
}

struct sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

int
store_schema_version(const struct store *s)
{
	return s->schema_version;
}

int
store_stmt(struct store *s, const char *sql, struct sqlite3_stmt **st, struct bos_err *err)
{
	if (s->stmts == NULL) {
		if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
			return store_err_db(s, "preparing a statement", err);
		return 0;
	}
	if (stmt_cache_get(s->stmts, sql, st) != SQLITE_OK)
		return store_err_db(s, "preparing a statement", err);
	return 0;
}

void
store_stmt_done(struct store *s, struct sqlite3_stmt *st)
{
	if (s->stmts == NULL)
		sqlite3_finalize(st);
	else
		stmt_cache_put(s->stmts, st);
}

/* Constant SQL only: nothing here is ever built from data. */
static int
store_exec(struct store *s, const char *sql, const char *what, struct bos_err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_err_db(s, what, err);
	return 0;
}

/*
 * One constant statement through the kept statements: BEGIN, COMMIT and the
 * savepoints run several times for every request.
 */
static int
store_run(struct store *s, const char *sql, const char *what, struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	/* The error is the statement's until it is reset: report before giving it back. */
	rc = rc == SQLITE_DONE ? 0 : store_err_db(s, what, err);
	store_stmt_done(s, st);
	return rc;
}

/*
 * Lowercase hex without data-dependent branches or table lookups, so the
 * key's bits do not show in timing (as WireGuard's key_to_hex).
 */
static void
store_hex(const uint8_t *in, size_t n, char *out)
{
	size_t i;
	unsigned hi, lo;

	for (i = 0; i < n; i++) {
		hi = in[i] >> 4;
		lo = in[i] & 0xf;
		out[2 * i] = (char)(87U + hi + (((hi - 10U) >> 8) & ~38U));
		out[2 * i + 1] = (char)(87U + lo + (((lo - 10U) >> 8) & ~38U));
	}
}

/*
 * Hand the key to SQLCipher as the string x'<hex>': passed as 32 raw bytes
 * it would be taken for a passphrase (PBKDF2, 75 ms, a different file).
 */
static int
store_key(struct store *s, const uint8_t key[static STORE_KEY_LEN], struct bos_err *err)
{
	char keystr[STORE_KEYSTR_SIZE];
	int rc;

	keystr[0] = 'x';
	keystr[1] = '\'';
	store_hex(key, STORE_KEY_LEN, keystr + 2);
	keystr[2 + 2 * STORE_KEY_LEN] = '\'';
	keystr[STORE_KEYSTR_SIZE - 1] = '\0';
	rc = sqlite3_key(s->db, keystr, (int)(STORE_KEYSTR_SIZE - 1));
	secmem_wipe(keystr, sizeof(keystr));
	if (rc != SQLITE_OK)
		return store_err_db(s, "setting the database key", err);
	return 0;
}

/*
 * SQLCipher does not check the key when it is set: the first read of a page
 * fails with SQLITE_NOTADB. Read now so a wrong key is a clear error at open.
 */
static int
store_check_key(struct store *s, const char *path, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r = -1;

	rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_NOTADB) {
		bos_err_set(err, BOS_E_AUTH, "database %s cannot be decrypted: wrong database key "
		    "or not a BOS database", path);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(s, "reading the database", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

/*
 * Run a pragma query and compare its single text answer with want. Setting
 * pragmas are read back: SQLite ignores some of them silently (journal_mode
 * on some file systems, foreign_keys inside a transaction).
 */
static int
store_pragma_expect(struct store *s, const char *sql, const char *want, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	const char *got;
	int r = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		store_err_db(s, sql, err);
		goto out;
	}
	got = (const char *)sqlite3_column_text(st, 0);
	if (got == NULL || strcasecmp(got, want) != 0) {
		bos_err_set(err, BOS_E_DB, "database setting failed: %s answered '%s', not '%s'",
		    sql, got != NULL ? got : "(null)", want);
		goto out;
	}
	/* success */
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

/*
 * A library without the codec would write a plaintext file: refuse. Only
 * SQLCipher answers PRAGMA cipher_version; plain SQLite returns no row.
 */
static int
store_check_codec(struct store *s, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	int r = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA cipher_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || (v = sqlite3_column_text(st, 0)) == NULL ||
	    *v == '\0') {
		bos_err_set(err, BOS_E_CONFIG, "the SQLite library in use has no encryption "
		    "(not SQLCipher): refusing to open an unencrypted database");
		goto out;
	}
	/* success */
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

static int
store_configure(struct store *s, struct bos_err *err)
{
	if (store_pragma_expect(s, "PRAGMA journal_mode=WAL", "wal", err) != 0 ||
	    store_exec(s, "PRAGMA synchronous=FULL", "setting synchronous", err) != 0 ||
	    store_pragma_expect(s, "PRAGMA synchronous", "2", err) != 0 ||
	    store_exec(s, "PRAGMA foreign_keys=ON", "enabling foreign keys", err) != 0 ||
	    store_pragma_expect(s, "PRAGMA foreign_keys", "1", err) != 0 ||
	    store_pragma_expect(s, "PRAGMA secure_delete=ON", "1", err) != 0 ||
	    store_exec(s, "PRAGMA temp_store=MEMORY", "setting temp_store", err) != 0 ||
	    store_pragma_expect(s, "PRAGMA temp_store", "2", err) != 0)
		return -1;
	if (sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK)
		return store_err_db(s, "setting the busy timeout", err);
	return 0;
}

static int
store_path_with(const char *path, const char *suffix, char *out, size_t out_size,
    struct bos_err *err)
{
	int n = snprintf(out, out_size, "%s%s", path, suffix);

	if (n < 0 || (size_t)n >= out_size)
		return bos_err_set(err, BOS_E_INVALID, "database path %s is too long", path);
	return 0;
}

/* 1 when path exists (as anything, symlinks included), 0 when not, -1 on error. */
static int
store_exists(const char *path, struct bos_err *err)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return bos_err_set(err, BOS_E_IO, "cannot check %s: %s", path, strerror(errno));
}

/*
 * Make sure no leftover WAL or shared-memory file sits beside a new database:
 * SQLite would replay a stray -wal into it.
 */
static int
store_check_no_leftovers(const char *path, struct bos_err *err)
{
	static const char *const suffixes[] = { "-wal", "-shm", "-journal" };
	char p[PATH_MAX];
	size_t i;
	int e;

	for (i = 0; i < BOS_ARRAY_LEN(suffixes); i++) {
		if (store_path_with(path, suffixes[i], p, sizeof(p), err) != 0)
			return -1;
		if ((e = store_exists(p, err)) < 0)
			return -1;
		if (e == 1)
			return bos_err_set(err, BOS_E_EXISTS, "cannot create database %s: a leftover "
			    "%s exists beside it; move it away first", path, p);
	}
	return 0;
}

/*
 * Reserve path with O_EXCL so that an existing file is never opened, let
 * alone overwritten, even if one appears between checks. Mode is exactly
 * 0600 whatever the umask; SQLite gives -wal and -shm the same mode.
 */
static int
store_create_file(const char *path, struct bos_err *err)
{
	int fd;

	if (store_check_no_leftovers(path, err) != 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return bos_err_set(err, BOS_E_EXISTS, "database %s already exists; refusing to "
		    "overwrite it", path);
	if (fd < 0)
		return bos_err_set(err, BOS_E_IO, "cannot create database %s: %s", path,
		    strerror(errno));
	if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot set up database %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * The database must be private to its owner; one left group- or
 * world-readable is tightened rather than refused, and the change logged.
 */
static int
store_fix_fd_mode(int fd, const char *path, struct bos_err *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot check %s: %s", path, strerror(errno));
	if ((st.st_mode & 077) == 0)
		return 0;
	log_warn("%s had mode %04o; setting 0600", path, (unsigned)(st.st_mode & 07777));
	if (fchmod(fd, 0600) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot set mode 0600 on %s: %s", path,
		    strerror(errno));
	return 0;
}

/*
 * Check an existing database before SQLite opens it: a regular file (not a
 * symlink someone could redirect), not empty, mode 0600.
 *
 * All of this happens before sqlite3_open_v2(), and every descriptor is
 * closed before it: POSIX record locks belong to the process, so closing any
 * other descriptor of the database (or of its -shm) later would silently drop
 * SQLite's locks, and another process could then checkpoint and delete the
 * WAL under us.
 */
static int
store_check_file(const char *path, struct bos_err *err)
{
	struct stat st;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return bos_err_set(err, BOS_E_NOTFOUND, "database %s does not exist", path);
	if (fd < 0 && errno == ELOOP)
		return bos_err_set(err, BOS_E_INVALID, "database %s is a symbolic link; give "
		    "the real path", path);
	if (fd < 0)
		return bos_err_set(err, BOS_E_IO, "cannot open database %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		bos_err_set(err, BOS_E_INVALID, "database %s is not a regular file", path);
		goto out;
	}
	/*
	 * SQLCipher takes an empty file for a new database under any key, so an
	 * open of one would "succeed" with a wrong key. Only an interrupted
	 * create leaves one behind.
	 */
	if (st.st_size == 0) {
		bos_err_set(err, BOS_E_CORRUPT, "database %s is empty (an interrupted create?); "
		    "remove it and create the vault again", path);
		goto out;
	}
	if (store_fix_fd_mode(fd, path, err) != 0)
		goto out;
	/* success */
	r = 0;
 out:
	close(fd);
	return r;
}

/*
 * A -wal or -shm left from an earlier run keeps its old mode (SQLite copies
 * the database's mode only when it creates them): tighten those too, still
 * before SQLite has opened anything.
 */
static int
store_check_side_files(const char *path, struct bos_err *err)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	char p[PATH_MAX];
	size_t i;
	int fd, r;

	for (i = 0; i < BOS_ARRAY_LEN(suffixes); i++) {
		if (store_path_with(path, suffixes[i], p, sizeof(p), err) != 0)
			return -1;
		if ((fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			if (errno == ENOENT)
				continue;
			return bos_err_set(err, BOS_E_IO, "cannot open %s: %s", p,
			    strerror(errno));
		}
		r = store_fix_fd_mode(fd, p, err);
		close(fd);
		if (r != 0)
			return -1;
	}
	return 0;
}

/* Remove what a failed create made, so that a retry can start clean. */
static void
store_remove_created(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(suffixes); i++)
		if (store_path_with(path, suffixes[i], p, sizeof(p), NULL) == 0)
			(void)unlink(p);
}

/*
 * SQLite's own autocheckpoint runs after a commit and ignores the result of
 * its checkpoint, so a failed fsync of the database file there would go
 * unnoticed. This hook replaces it: the same PASSIVE checkpoint at the same
 * threshold, with the result checked. Other errors are ignored as SQLite's
 * hook does (the WAL still holds every committed frame), and the hook always
 * answers SQLITE_OK: the commit itself has succeeded by the time it runs.
 */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	int rc;

	(void)arg;
	if (frames < STORE_AUTOCHECKPOINT_FRAMES)
		return SQLITE_OK;
	rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK)
		store_stop_on_fsync_failure(sqlite3_extended_errcode(db),
		    "checkpointing the WAL after a commit");
	return SQLITE_OK;
}

static int
store_connect(struct store *s, const char *path, const uint8_t key[static STORE_KEY_LEN],
    struct bos_err *err)
{
	/* The file exists by now (created above or checked): never let SQLite create one. */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
	unsigned char seed;

	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK)
		return store_err_db(s, "opening the database", err);
	sqlite3_extended_result_codes(s->db, 1);
	if (store_key(s, key, err) != 0 || store_check_key(s, path, err) != 0 ||
	    store_check_codec(s, err) != 0 || store_configure(s, err) != 0)
		return -1;
	(void)sqlite3_wal_hook(s->db, store_wal_hook, NULL);
	/*
	 * SQLite seeds its PRNG from /dev/urandom on first use, which can be a
	 * WAL restart (new salts) long after the vault entered its sandbox, where
	 * that open is refused (docs/SANDBOX.md): seed it now.
	 */
	sqlite3_randomness((int)sizeof(seed), &seed);
	if ((s->stmts = stmt_cache_new(s->db)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory opening the database");
	return 0;
}

/*
 * Our own descriptor of the -wal file, for store_sync: an fdatasync through
 * any descriptor of a file writes that file's dirty pages. The file exists
 * once the connection has read the database (store_check_key did), and stays
 * while this connection is open: SQLite removes it only at the last close.
 * Without it, deferred commits are simply not offered (store_begin_deferred).
 */
static void
store_open_wal(struct store *s, const char *path)
{
	char wal[PATH_MAX];
	struct stat sb;

	if (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal))
		return;
	s->wal_fd = open(wal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (s->wal_fd >= 0 && (fstat(s->wal_fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
		close(s->wal_fd);
		s->wal_fd = -1;
	}
	if (s->wal_fd < 0)
		log_warn("database: cannot open %s (%s); every commit syncs by itself", wal,
		    strerror(errno));
}

int
store_open(const char *path, const uint8_t key[static STORE_KEY_LEN], int create,
    struct store **out, struct bos_err *err)
{
	struct store *s = NULL;
	const struct schema_migration *m;
	size_t n;
	int r = -1, created = 0;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return bos_err_set(err, BOS_E_INVALID, "database path is empty");
	if (create) {
		if (store_create_file(path, err) != 0)
			return -1;
		created = 1;
	} else if (store_check_file(path, err) != 0 || store_check_side_files(path, err) != 0)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory opening database %s", path);
		goto out;
	}
	s->wal_fd = -1;
	m = schema_migrations(&n);
	if (store_connect(s, path, key, err) != 0 || store_migrate(s, m, n, err) != 0)
		goto out;
	store_open_wal(s, path);
	*out = s;
	s = NULL;
	/* success */
	r = 0;
 out:
	store_close(s);
	if (r != 0 && created)
		store_remove_created(path);
	return r;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->depth > 0 && s->db != NULL) {
		log_warn("database closed with %d open transaction level(s); rolling back",
		    s->depth);
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	stmt_cache_free(s->stmts);
	free(s->notice);
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	/* close_v2 never leaves a half-open handle, even with statements left over. */
	if (sqlite3_close_v2(s->db) != SQLITE_OK)
		log_err("database close failed");
	free(s);
}

/* SAVEPOINT names are built from the depth only, never from data. */
static int
store_savepoint_sql(char *out, size_t size, const char *verb, int depth, struct bos_err *err)
{
	int n = snprintf(out, size, "%s bos_sp_%d", verb, depth);

	if (n < 0 || (size_t)n >= size)
		return bos_err_set(err, BOS_E_DB, "savepoint name too long");
	return 0;
}

/* The outermost transaction ended: back to synchronous=FULL for every other commit. */
static void
store_txn_ended(struct store *s)
{
	if (!s->deferred)
		return;
	s->deferred = 0;
	/* No I/O, so it does not fail in practice; if it did, later commits would not sync. */
	if (sqlite3_exec(s->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		log_err("fatal: cannot restore synchronous=FULL (%s); the vault stops to protect "
		    "acknowledged data", sqlite3_errmsg(s->db));
		_exit(STORE_EXIT_FSYNC);
	}
}

void
store_sync(struct store *s)
{
	if (s->wal_fd < 0 || fdatasync(s->wal_fd) == 0)
		return;
	log_err("fatal: fsync of the database failed while making a group commit durable (%s); "
	    "the vault stops (exit status %d) to protect acknowledged data: check the disk and "
	    "the kernel log, then restart", strerror(errno), STORE_EXIT_FSYNC);
	_exit(STORE_EXIT_FSYNC);
}

int
store_begin_deferred(struct store *s, struct bos_err *err)
{
	if (s->depth != 0)
		return bos_err_set(err, BOS_E_DB, "a deferred transaction must be the outermost");
	if (s->wal_fd < 0)
		return store_begin(s, err);
	/*
	 * Not inside a transaction: SQLite refuses to change the level there. Not a
	 * kept statement either: SQLite applies this pragma when it is prepared.
	 */
	if (store_exec(s, "PRAGMA synchronous=NORMAL", "deferring the sync", err) != 0)
		return -1;
	s->deferred = 1;
	if (store_begin(s, err) != 0) {
		store_txn_ended(s);
		return -1;
	}
	return 0;
}

int
store_commit_deferred(struct store *s, int *need_sync, struct bos_err *err)
{
	int deferred = s->deferred;

	*need_sync = 0;
	if (s->depth != 1)
		return bos_err_set(err, BOS_E_DB, "deferred commit at transaction level %d", s->depth);
	s->deferred = 0;   /* store_commit must not sync it by itself */
	if (store_commit(s, err) != 0) {
		s->deferred = deferred;
		store_txn_ended(s);
		return -1;
	}
	s->deferred = deferred;
	store_txn_ended(s);
	*need_sync = deferred;
	return 0;
}

int
store_depth(struct store *s)
{
	if (s == NULL || s->db == NULL)
		return 0;
	/* SQLITE_FULL, IOERR, NOMEM may roll the whole transaction back. */
	if (s->depth > 0 && sqlite3_get_autocommit(s->db)) {
		log_err("database: the open transaction was rolled back by SQLite (%d level(s))",
		    s->depth);
		s->depth = 0;
		store_txn_ended(s);
	}
	return s->depth;
}

int
store_begin(struct store *s, struct bos_err *err)
{
	char sql[64];

	if (s->depth == 0) {
		if (store_run(s, "BEGIN IMMEDIATE", "starting a transaction", err) != 0)
			return -1;
	} else if (store_savepoint_sql(sql, sizeof(sql), "SAVEPOINT", s->depth, err) != 0 ||
	    store_run(s, sql, "starting a nested transaction", err) != 0)
		return -1;
	s->depth++;
	return 0;
}

int
store_commit(struct store *s, struct bos_err *err)
{
	char sql[64];

	if (s->depth <= 0)
		return bos_err_set(err, BOS_E_DB, "commit without a transaction");
	if (s->depth > 1) {
		if (store_savepoint_sql(sql, sizeof(sql), "RELEASE", s->depth - 1, err) != 0 ||
		    store_run(s, sql, "ending a nested transaction", err) != 0)
			return -1;
		s->depth--;
		return 0;
	}
	s->depth = 0;
	if (store_run(s, "COMMIT", "committing", err) == 0) {
		if (s->deferred) {
			/* Nobody took over the sync (store_commit_deferred did not run): do it now. */
			store_txn_ended(s);
			store_sync(s);
		}
		return 0;
	}
	/*
	 * A failed COMMIT (I/O error, failed fsync) may leave the transaction
	 * open. Roll it back: the caller reports the failure, nothing retries.
	 */
	if (!sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	store_txn_ended(s);
	return -1;
}

int
store_rollback(struct store *s, struct bos_err *err)
{
	char sql[64];
	int r;

	if (s->depth <= 0)
		return bos_err_set(err, BOS_E_DB, "rollback without a transaction");
	if (s->depth > 1) {
		s->depth--;
		if (store_savepoint_sql(sql, sizeof(sql), "ROLLBACK TO", s->depth, err) != 0 ||
		    store_run(s, sql, "rolling back a nested transaction", err) != 0 ||
		    store_savepoint_sql(sql, sizeof(sql), "RELEASE", s->depth, err) != 0)
			return -1;
		return store_run(s, sql, "rolling back a nested transaction", err);
	}
	s->depth = 0;
	/* SQLite may already have rolled back by itself (SQLITE_FULL, IOERR). */
	if (sqlite3_get_autocommit(s->db)) {
		store_txn_ended(s);
		return 0;
	}
	r = store_run(s, "ROLLBACK", "rolling back", err);
	store_txn_ended(s);
	return r;
}

/* Highest applied migration, 0 for a new database. */
static int
store_read_version(struct store *s, int *version, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
	    -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		store_err_db(s, "reading the schema version", err);
		goto out;
	}
	*version = sqlite3_column_int(st, 0);
	/* success */
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

static int
store_record_version(struct store *s, int version, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (sqlite3_prepare_v2(s->db,
	    "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
	    -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int(st, 1, version) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "recording the schema version", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

/*
 * One migration, in its own transaction. The version is read again inside
 * it: another process may have migrated since (BEGIN IMMEDIATE serialises).
 */
static int
store_apply(struct store *s, const struct schema_migration *m, struct bos_err *err)
{
	int v = 0;

	if (store_begin(s, err) != 0)
		return -1;
	if (store_read_version(s, &v, err) != 0)
		goto fail;
	if (v >= m->version)
		return store_commit(s, err);
	if (store_exec(s, m->sql, "applying a schema migration", err) != 0 ||
	    store_record_version(s, m->version, err) != 0) {
		bos_err_wrap(err, "schema migration %d (%s)", m->version, m->name);
		goto fail;
	}
	if (store_commit(s, err) != 0)
		return -1;
	log_info("database schema migrated to version %d (%s)", m->version, m->name);
	return 0;
 fail:
	if (store_rollback(s, NULL) != 0)
		log_err("database rollback of migration %d failed", m->version);
	return -1;
}

int
store_migrate(struct store *s, const struct schema_migration *m, size_t n,
    struct bos_err *err)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++)
		if (m[i].version != (int)i + 1)
			return bos_err_set(err, BOS_E_CONFIG, "schema migration %zu has version %d; "
			    "versions must be 1, 2, 3, ... in order", i, m[i].version);
	if (store_exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
	    "creating schema_migrations", err) != 0 ||
	    store_read_version(s, &v, err) != 0)
		return -1;
	if ((size_t)v > n)
		return bos_err_set(err, BOS_E_CORRUPT, "database schema version %d is newer than "
		    "this bos-vaultd supports (%zu)", v, n);
	for (i = (size_t)v; i < n; i++)
		if (store_apply(s, &m[i], err) != 0)
			return -1;
	s->schema_version = (int)n;
	return 0;
}

int
store_checkpoint(struct store *s, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		store_err_db(s, "checkpointing the WAL", err);
		goto out;
	}
	/* Column 0 is 1 when a reader kept the checkpoint from completing. */
	if (sqlite3_column_int(st, 0) != 0) {
		bos_err_set(err, BOS_E_DB, "WAL checkpoint was blocked by a reader; retry later");
		goto out;
	}
	/* success */
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

void
store_set_notice_conf(struct store *s, struct outreach_notice_conf *owned)
{
	free(s->notice);
	s->notice = owned;
}

const struct outreach_notice_conf *
store_notice_conf(struct store *s)
{
	return s->notice;
}

void
store_set_alert_hook(struct store *s, store_alert_hook fn)
{
	s->alert_hook = fn;
}

store_alert_hook
store_get_alert_hook(struct store *s)
{
	return s->alert_hook;
}
