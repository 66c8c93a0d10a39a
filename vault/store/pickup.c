/* Grant pickups; see pickup.h and docs/MCP.md "Vault: grant pickup". */
#include "store/pickup.h"

#include <sqlite3.h>
#include <string.h>
#include "log.h"
#include "secmem.h"
#include "store/store.h"

size_t
pickup_aad(const char *accessor, uint8_t out[PICKUP_AAD_MAX])
{
	size_t p = sizeof(PICKUP_AAD_PREFIX) - 1, n = strnlen(accessor, TOKEN_ACCESSOR_LEN);

	memcpy(out, PICKUP_AAD_PREFIX, p);
	memcpy(out + p, accessor, n);
	return p + n;
}

int
pickup_store(struct store *s, const char *accessor, uint32_t kek_version,
    const uint8_t *blob, size_t blob_len, const char *created_by, int64_t now,
    int64_t expires_at, struct bos_err *err)
{
	sqlite3_stmt *st;

	if (!token_accessor_valid(accessor) || blob_len == 0 || blob_len > PICKUP_BLOB_MAX ||
	    created_by == NULL || strlen(created_by) >= PICKUP_BY_SIZE || expires_at <= now)
		return bos_err_set(err, BOS_E_INVALID, "a pickup needs its grant, a wrapped token, "
		    "the admin and a time in the future");
	if (store_stmt(s, "INSERT INTO grant_pickups (accessor, kek_version, blob, created_by,"
	    " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, accessor, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, kek_version) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 3, blob, (int)blob_len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, created_by, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, expires_at) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing a pickup", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

static int
pickup_from_row(sqlite3_stmt *st, int64_t now, struct pickup_info *p)
{
	const char *by = (const char *)sqlite3_column_text(st, 0),
	    *reason = (const char *)sqlite3_column_text(st, 6);
	const void *blob = sqlite3_column_blob(st, 2);
	int n = sqlite3_column_bytes(st, 2);

	if (by == NULL || strlen(by) >= sizeof(p->created_by) || n < 0 || n > PICKUP_BLOB_MAX)
		return -1;
	memcpy(p->created_by, by, strlen(by) + 1);
	p->kek_version = (uint32_t)sqlite3_column_int64(st, 1);
	if (blob != NULL && n > 0)
		memcpy(p->blob, blob, (size_t)n);
	p->blob_len = blob != NULL ? (size_t)n : 0;
	p->created_at = sqlite3_column_int64(st, 3);
	p->expires_at = sqlite3_column_int64(st, 4);
	p->ended_at = sqlite3_column_int64(st, 5);
	if (reason == NULL)
		p->state = p->expires_at <= now ? PICKUP_EXPIRED : PICKUP_WAITING;
	else if (strcmp(reason, "picked_up") == 0)
		p->state = PICKUP_USED;
	else if (strcmp(reason, "revoked") == 0)
		p->state = PICKUP_REVOKED;
	else
		p->state = PICKUP_EXPIRED;
	return 0;
}

int
pickup_get(struct store *s, const char *accessor, int64_t now, struct pickup_info *out,
    struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!token_accessor_valid(accessor))
		return 1;
	if (store_stmt(s, "SELECT created_by, kek_version, blob, created_at, expires_at,"
	    " coalesce(ended_at, 0), end_reason FROM grant_pickups WHERE accessor = ?1", &st,
	    err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, accessor, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading a pickup", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_DONE) {
		store_stmt_done(s, st);
		return 1;
	}
	memcpy(out->accessor, accessor, TOKEN_ACCESSOR_SIZE);
	rc = pickup_from_row(st, now, out);
	store_stmt_done(s, st);
	if (rc != 0) {
		secmem_wipe(out, sizeof(*out));
		return bos_err_set(err, BOS_E_CORRUPT, "a stored pickup does not fit its fields");
	}
	return 0;
}

int
pickup_end(struct store *s, const char *accessor, const char *reason, int64_t now,
    struct bos_err *err)
{
	sqlite3_stmt *st;
	int n;

	if (reason == NULL || (strcmp(reason, "picked_up") != 0 && strcmp(reason, "expired") != 0))
		return bos_err_set(err, BOS_E_INVALID, "a pickup ends picked up or expired");
	if (store_stmt(s, "UPDATE grant_pickups SET blob = NULL, ended_at = ?2, end_reason = ?3"
	    " WHERE accessor = ?1 AND ended_at IS NULL", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, accessor, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, reason, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "ending a pickup", err);
		store_stmt_done(s, st);
		return -1;
	}
	n = sqlite3_changes(store_db(s));
	store_stmt_done(s, st);
	if (n != 1)
		return bos_err_set(err, BOS_E_EXISTS, "the pickup of grant %s has ended already",
		    accessor);
	return 0;
}

int
pickup_sweep_expired(struct store *s, int64_t now, unsigned *n, struct bos_err *err)
{
	sqlite3_stmt *st;

	*n = 0;
	if (store_stmt(s, "UPDATE grant_pickups SET blob = NULL, ended_at = ?1,"
	    " end_reason = 'expired' WHERE ended_at IS NULL AND expires_at <= ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "ending expired pickups", err);
		store_stmt_done(s, st);
		return -1;
	}
	*n = (unsigned)sqlite3_changes(store_db(s));
	store_stmt_done(s, st);
	return 0;
}
