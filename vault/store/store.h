/*
 * The vault database: one SQLCipher file, opened with a raw 256-bit key, in
 * WAL mode with synchronous=FULL, foreign keys and secure_delete on, and the
 * schema migrated to the version this build knows (schema.h).
 *
 * A store is one SQLite connection. Use it from one thread at a time (the
 * transaction depth below is per store); open one store per thread that
 * needs its own transactions.
 */
#ifndef BOS_STORE_H
#define BOS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "store/schema.h"

#define STORE_KEY_LEN 32
#define STORE_BUSY_TIMEOUT_MS 5000

struct store;
struct sqlite3; /* sqlite3.h: typedef struct sqlite3 sqlite3 */

/*
 * Open (create = 0) or create (create = 1) the database at path.
 *  - create = 1: path (and path-wal, path-shm) must not exist, else
 *    BOS_E_EXISTS; an existing file is never touched. The new file is 0600.
 *  - create = 0: path must exist, else BOS_E_NOTFOUND.
 * A wrong key, or a file that is not a BOS database, fails with BOS_E_AUTH.
 * A database whose schema is newer than this build fails with BOS_E_CORRUPT.
 * key is copied into SQLCipher and not kept by the store.
 */
int store_open(const char *path, const uint8_t key[static STORE_KEY_LEN], int create,
    struct store **out, struct bos_err *err) BOS_WUR;

/* Roll back any open transaction and close. Accepts NULL. */
void store_close(struct store *s);

/* The underlying connection, for modules that run their own statements. */
struct sqlite3 *store_db(struct store *s);

/* Schema version of the open database (after migrations). */
int store_schema_version(const struct store *s);

/*
 * Transactions. store_begin() starts a write transaction (BEGIN IMMEDIATE,
 * so it never fails half way for a lock upgrade) or, when one is already open
 * on this store, a nested SAVEPOINT. This lets a module make its change one
 * transaction on its own, and also part of a caller's transaction (the audit
 * record of an action commits with the action). store_commit() and
 * store_rollback() end the innermost level. When COMMIT fails the transaction
 * is rolled back and the error returned: nothing is retried.
 */
int store_begin(struct store *s, struct bos_err *err) BOS_WUR;
/*
 * Group commit (batch.h): an outermost transaction whose COMMIT writes the
 * WAL but does not fsync it; store_commit_deferred sets *need_sync, and the
 * caller calls store_sync (no lock needed) before telling anyone the
 * transaction is durable. Every other commit syncs by itself (FULL).
 */
int store_begin_deferred(struct store *s, struct bos_err *err) BOS_WUR;
int store_commit_deferred(struct store *s, int *need_sync, struct bos_err *err) BOS_WUR;
/* fdatasync of the WAL: everything committed before the call is durable after it. Exits on failure. */
void store_sync(struct store *s);
/* Open transaction levels (0: none); SQLite rolling back by itself resets it to 0. */
int store_depth(struct store *s);
int store_commit(struct store *s, struct bos_err *err) BOS_WUR;
int store_rollback(struct store *s, struct bos_err *err) BOS_WUR;

/*
 * Apply the migrations in m[0..n) that the database does not have yet, each
 * in its own transaction. store_open() calls this with schema_migrations();
 * it is public so tests can run other lists. Versions must be 1..n in order.
 */
int store_migrate(struct store *s, const struct schema_migration *m, size_t n,
    struct bos_err *err) BOS_WUR;

/* Move the WAL into the main file and truncate the WAL (backups, tests). */
int store_checkpoint(struct store *s, struct bos_err *err) BOS_WUR;

/*
 * Exit status of a process stopped by a failed fsync: EX_IOERR (sysexits.h).
 * See store_err_db() and docs/STORE.md "A failed fsync is fatal".
 */
#define STORE_EXIT_FSYNC 74

/*
 * Set err to BOS_E_DB "database error while <what>: <SQLite's message>";
 * returns -1. When the connection's last error is a failed fsync
 * (SQLITE_IOERR_FSYNC, SQLITE_IOERR_DIR_FSYNC) it does not return: it logs
 * one line and ends the process with _exit(STORE_EXIT_FSYNC). Every module
 * reports its failed statements through here, so none of them can go on
 * after a failed fsync.
 */
/*
 * A prepared statement for sql, kept by the store across calls: give it back
 * with store_stmt_done (never sqlite3_finalize), which resets it and clears
 * its bindings. Report a failed step before giving the statement back.
 */
struct sqlite3_stmt;
int store_stmt(struct store *s, const char *sql, struct sqlite3_stmt **st,
    struct bos_err *err) BOS_WUR;
void store_stmt_done(struct store *s, struct sqlite3_stmt *st);

int store_err_db(struct store *s, const char *what, struct bos_err *err);

/*
 * The notice settings (outreach_notice.h: set them with
 * outreach_notice_configure): owned, a malloc'd copy freed with the store;
 * NULL clears them.
 */
struct outreach_notice_conf;
void store_set_notice_conf(struct store *s, struct outreach_notice_conf *owned);

/* Called by alert_raise for each new alert (NULL: none); set by outreach_notice_configure. */
typedef int (*store_alert_hook)(struct store *s, const char *kind, const char *severity,
    const char *subject, int64_t now, struct bos_err *err);
void store_set_alert_hook(struct store *s, store_alert_hook fn);
store_alert_hook store_get_alert_hook(struct store *s);
/* NULL when none were set. */
const struct outreach_notice_conf *store_notice_conf(struct store *s);

/* 1 when xrc (an extended result code) is a failed fsync, else 0. */
int store_rc_is_fsync_failure(int xrc);

#endif
