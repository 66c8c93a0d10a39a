/* Leases; see lease.h and docs/BROKERS.md "Leases". */
#include "store/lease.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "store/card.h"
#include "log.h"
#include "randid.h"
#include "store/store.h"

#define LEASE_ID_CHARS (LEASE_ID_LEN - (sizeof(LEASE_ID_PREFIX) - 1))
#define LEASE_COLS "SELECT id, broker_id, credential_id, job_id, purpose, coalesce(ended_by, '')," \
	" created_at, expires_at, coalesce(ended_at, 0) FROM leases "

int
lease_id_valid(const char *s)
{
	return s != NULL && randid_valid(s, LEASE_ID_PREFIX, LEASE_ID_CHARS);
}

int
lease_purpose_check(const char *purpose, struct bos_err *err)
{
	size_t i, n = purpose != NULL ? strnlen(purpose, LEASE_PURPOSE_MAX + 1) : 0;

	if (n == 0 || n > LEASE_PURPOSE_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'purpose' must be 1 to %d characters",
		    LEASE_PURPOSE_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)purpose[i] < 0x20 || (unsigned char)purpose[i] > 0x7e)
			return bos_err_set(err, BOS_E_INVALID, "'purpose' must be printable ASCII");
	if (card_text_has_pan(purpose))
		return bos_err_set(err, BOS_E_INVALID, "'purpose' must not contain a card number"
		    CARD_TEXT_HINT);
	return 0;
}

static int
lease_finish(struct store *s, int r, struct bos_err *err)
{
	if (r == 0)
		return store_commit(s, err);
	if (store_rollback(s, NULL) != 0)
		log_err("leases: rollback failed");
	return -1;
}

static int
lease_insert(struct store *s, const struct lease_new *n, const char *id, int64_t now,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (store_stmt(s, "INSERT INTO leases (id, broker_id, credential_id, job_id, purpose,"
	    " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, n->broker_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, n->credential_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, n->job_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, n->purpose, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, now + n->ttl) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "recording a lease", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

int
lease_create(struct store *s, const struct lease_new *n, int64_t now, char id[LEASE_ID_SIZE],
    struct bos_err *err)
{
	id[0] = '\0';
	if (lease_purpose_check(n->purpose, err) != 0)
		return -1;
	if (n->ttl < 1 || n->ttl > LEASE_TTL_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'ttl' must be 1 to %d seconds", LEASE_TTL_MAX);
	if (randid_new(LEASE_ID_PREFIX, LEASE_ID_CHARS, id, LEASE_ID_SIZE) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (store_begin(s, err) != 0 || lease_finish(s, lease_insert(s, n, id, now, err), err) != 0) {
		id[0] = '\0';
		return -1;
	}
	log_info("lease %s of credential %s for job %s to broker %s, %u s", id, n->credential_id,
	    n->job_id, n->broker_id, n->ttl);
	return 0;
}

static int
lease_copy(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	size_t n = v != NULL ? strlen(v) : 0;

	if (n >= size)
		return -1;
	memcpy(dst, v != NULL ? v : "", n);
	dst[n] = '\0';
	return 0;
}

static int
lease_from_row(sqlite3_stmt *st, struct lease_info *l, struct bos_err *err)
{
	memset(l, 0, sizeof(*l));
	if (lease_copy(st, 0, l->id, sizeof(l->id)) != 0 ||
	    lease_copy(st, 1, l->broker_id, sizeof(l->broker_id)) != 0 ||
	    lease_copy(st, 2, l->credential_id, sizeof(l->credential_id)) != 0 ||
	    lease_copy(st, 3, l->job_id, sizeof(l->job_id)) != 0 ||
	    lease_copy(st, 4, l->purpose, sizeof(l->purpose)) != 0 ||
	    lease_copy(st, 5, l->ended_by, sizeof(l->ended_by)) != 0)
		return bos_err_set(err, BOS_E_CORRUPT, "a lease row is malformed");
	l->created_at = sqlite3_column_int64(st, 6);
	l->expires_at = sqlite3_column_int64(st, 7);
	l->ended_at = sqlite3_column_int64(st, 8);
	return 0;
}

int
lease_get(struct store *s, const char *id, struct lease_info *out, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	memset(out, 0, sizeof(*out));
	if (!lease_id_valid(id))
		return bos_err_set(err, BOS_E_NOTFOUND, "no such lease: give its id (ls_...)");
	if (store_stmt(s, LEASE_COLS "WHERE id = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_err_db(s, "reading a lease", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "no lease with id %s", id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(s, "reading a lease", err);
		goto out;
	}
	r = lease_from_row(st, out, err);
 out:
	store_stmt_done(s, st);
	return r;
}

int
lease_list_active(struct store *s, int64_t now, int (*cb)(const struct lease_info *, void *),
    void *arg, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	struct lease_info l;
	int r = -1, rc;

	if (store_stmt(s, LEASE_COLS "WHERE ended_at IS NULL AND expires_at > ?1"
	    " ORDER BY created_at DESC, id", &st, err) != 0)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
		store_err_db(s, "listing leases", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (lease_from_row(st, &l, err) != 0)
			goto out;
		if (cb(&l, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(s, "listing leases", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

static int
lease_end_locked(struct store *s, const char *id, const char *broker_id, const char *by,
    int64_t now, struct bos_err *err)
{
	struct lease_info l;
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (lease_get(s, id, &l, err) != 0)
		return -1;
	/* Another broker's lease is not this broker's to know about. */
	if (broker_id != NULL && strcmp(l.broker_id, broker_id) != 0)
		return bos_err_set(err, BOS_E_NOTFOUND, "no lease with id %s", id);
	if (l.ended_at != 0 || l.expires_at <= now)
		return bos_err_set(err, BOS_E_REVOKED, "lease %s has %s already", id,
		    l.ended_at != 0 ? "ended" : "expired");
	if (store_stmt(s, "UPDATE leases SET ended_at = ?2, ended_by = ?3 WHERE id = ?1"
	    " AND ended_at IS NULL", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, by, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "ending a lease", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

int
lease_end(struct store *s, const char *id, const char *broker_id, const char *by, int64_t now,
    struct bos_err *err)
{
	if (by == NULL || *by == '\0' || strlen(by) >= LEASE_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "ending a lease needs who ends it");
	if (store_begin(s, err) != 0 ||
	    lease_finish(s, lease_end_locked(s, id, broker_id, by, now, err), err) != 0)
		return -1;
	log_info("lease %s ended by %s", id, by);
	return 0;
}
