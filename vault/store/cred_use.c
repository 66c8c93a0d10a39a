/* When credentials were last read; see cred_use.h. */
#include "store/cred_use.h"

#include <sqlite3.h>
#include <stddef.h>
#include "store/store.h"

int
cred_use_mark_read(struct store *s, const char *id, int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (store_stmt(s, "UPDATE credentials SET last_read_at = ?2 WHERE id = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "recording a read", err);
		goto out;
	}
	if (sqlite3_changes(store_db(s)) != 1) {
		bos_err_set(err, BOS_E_NOTFOUND, "no credential with id %s", id);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

int
cred_use_last_read(struct store *s, const char *id, int64_t *at, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	*at = 0;
	if (store_stmt(s, "SELECT coalesce(last_read_at, 0) FROM credentials WHERE id = ?1", &st,
	    err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_err_db(s, "reading a credential", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "no credential with id %s", id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(s, "reading a credential", err);
		goto out;
	}
	*at = sqlite3_column_int64(st, 0);
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

int
cred_use_is_stale(int64_t created_at, int64_t last_read_at, int64_t revoked_at, int64_t now,
    uint32_t stale_s)
{
	int64_t last = last_read_at != 0 ? last_read_at : created_at;

	/* A revoked credential cannot be read at all: it is gone, not stale. */
	return revoked_at == 0 && now - last > (int64_t)stale_s;
}
