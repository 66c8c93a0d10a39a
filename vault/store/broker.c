/* Brokers; see broker.h and docs/BROKERS.md. */
#include "store/broker.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "store/card.h"
#include "log.h"
#include "randid.h"
#include "secmem.h"
#include "store/store.h"

#define BROKER_ID_CHARS (BROKER_ID_LEN - (sizeof(BROKER_ID_PREFIX) - 1))

static const char *const broker_roles[BROKER_ROLES_N] = { "outreach", "monitor", "hiring" };

#define BROKER_COLS "SELECT id, role, name, accessor, created_by, coalesce(revoked_by, '')," \
	" created_at, coalesce(revoked_at, 0) FROM brokers "

int
broker_role_parse(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < BOS_ARRAY_LEN(broker_roles); i++)
		if (strcmp(s, broker_roles[i]) == 0)
			return (int)i;
	return -1;
}

int
broker_id_valid(const char *s)
{
	return s != NULL && randid_valid(s, BROKER_ID_PREFIX, BROKER_ID_CHARS);
}

/* End a write this module began: commit on r == 0, else roll back. */
static int
broker_finish(struct store *s, int r, struct bos_err *err)
{
	if (r == 0)
		return store_commit(s, err);
	if (store_rollback(s, NULL) != 0)
		log_err("brokers: rollback failed");
	return -1;
}

static int
broker_check_name(const char *name, struct bos_err *err)
{
	size_t i, n = strnlen(name, BROKER_NAME_MAX + 1);
	char c;

	if (n == 0 || n > BROKER_NAME_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'name' must be 1 to %d characters",
		    BROKER_NAME_MAX);
	for (i = 0; i < n; i++) {
		c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == ' ' || c == '.' || c == '_' || c == '-'))
			return bos_err_set(err, BOS_E_INVALID, "'name' may contain only letters, "
			    "digits, spaces and . _ -");
	}
	if (name[0] == ' ' || name[n - 1] == ' ')
		return bos_err_set(err, BOS_E_INVALID, "'name' must not start or end with a space");
	if (card_text_has_pan(name))
		return bos_err_set(err, BOS_E_INVALID, "'name' must not contain a card number"
		    CARD_TEXT_HINT);
	return 0;
}

struct broker_row {
	const char *id, *role, *name, *accessor, *by;
	const uint8_t *hash;
	int64_t now;
};

static int
broker_insert(struct store *s, const struct broker_row *w, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (store_stmt(s, "INSERT INTO brokers (id, role, name, accessor, token_hash, created_by,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, w->id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, w->role, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, w->name, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, w->accessor, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 5, w->hash, TOKEN_HASH_LEN, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, w->by, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, w->now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing a broker", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

int
broker_create(struct store *s, const char *role, const char *name, const char *created_by,
    int64_t now, char id[BROKER_ID_SIZE], char token[TOKEN_SIZE],
    char accessor[TOKEN_ACCESSOR_SIZE], struct bos_err *err)
{
	uint8_t hash[TOKEN_HASH_LEN];
	struct broker_row w = { id, role, name, accessor, created_by, hash, now };
	int r = -1;

	id[0] = token[0] = accessor[0] = '\0';
	if (broker_role_parse(role) < 0)
		return bos_err_set(err, BOS_E_INVALID, "'role' must be one of outreach, monitor, "
		    "hiring");
	if (name == NULL || *name == '\0')
		w.name = name = role;
	if (broker_check_name(name, err) != 0)
		return -1;
	if (created_by == NULL || strlen(created_by) >= BROKER_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a broker needs the admin who registers it");
	if (randid_new(BROKER_ID_PREFIX, BROKER_ID_CHARS, id, BROKER_ID_SIZE) != 0 ||
	    token_new(TOKEN_BROKER, token, TOKEN_SIZE) != 0 ||
	    token_accessor_new(accessor, TOKEN_ACCESSOR_SIZE) != 0) {
		bos_err_set(err, BOS_E_IO, "the random generator failed");
		goto out;
	}
	token_hash(token, hash);
	if (store_begin(s, err) != 0 || broker_finish(s, broker_insert(s, &w, err), err) != 0)
		goto out;
	log_info("broker %s (%s, accessor %s) registered by admin %s", id, role, accessor,
	    created_by);
	/* success */
	r = 0;
 out:
	secmem_wipe(hash, sizeof(hash));
	if (r != 0) {
		secmem_wipe(token, TOKEN_SIZE);
		id[0] = accessor[0] = '\0';
	}
	return r;
}

static int
broker_copy(sqlite3_stmt *st, int col, char *dst, size_t size)
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
broker_from_row(sqlite3_stmt *st, struct broker_info *b, struct bos_err *err)
{
	memset(b, 0, sizeof(*b));
	if (broker_copy(st, 0, b->id, sizeof(b->id)) != 0 ||
	    broker_copy(st, 1, b->role, sizeof(b->role)) != 0 ||
	    broker_copy(st, 2, b->name, sizeof(b->name)) != 0 ||
	    broker_copy(st, 3, b->accessor, sizeof(b->accessor)) != 0 ||
	    broker_copy(st, 4, b->created_by, sizeof(b->created_by)) != 0 ||
	    broker_copy(st, 5, b->revoked_by, sizeof(b->revoked_by)) != 0)
		return bos_err_set(err, BOS_E_CORRUPT, "a broker row is malformed");
	b->created_at = sqlite3_column_int64(st, 6);
	b->revoked_at = sqlite3_column_int64(st, 7);
	return 0;
}

/* One row by a text (?1) or blob key; BOS_E_NOTFOUND with msg when there is none. */
static int
broker_get_one(struct store *s, const char *sql, const char *text, const uint8_t *blob,
    struct broker_info *out, const char *msg, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	rc = blob != NULL ? sqlite3_bind_blob(st, 1, blob, TOKEN_HASH_LEN, SQLITE_TRANSIENT) :
	    sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
	if (rc != SQLITE_OK) {
		store_err_db(s, "reading a broker", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "%s", msg);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(s, "reading a broker", err);
		goto out;
	}
	r = broker_from_row(st, out, err);
 out:
	store_stmt_done(s, st);
	return r;
}

int
broker_get(struct store *s, const char *id, struct broker_info *out, struct bos_err *err)
{
	char msg[64];

	memset(out, 0, sizeof(*out));
	/* Echo only a well-formed id: anything else could be whatever was pasted. */
	if (!broker_id_valid(id))
		return bos_err_set(err, BOS_E_NOTFOUND, "no such broker: give its id (bk_...)");
	(void)snprintf(msg, sizeof(msg), "no broker with id %s", id);
	return broker_get_one(s, BROKER_COLS "WHERE id = ?1", id, NULL, out, msg, err);
}

int
broker_find_token(struct store *s, const char *token, struct broker_info *out,
    struct bos_err *err)
{
	uint8_t hash[TOKEN_HASH_LEN];
	int r;

	memset(out, 0, sizeof(*out));
	token_hash(token, hash);
	r = broker_get_one(s, BROKER_COLS "WHERE token_hash = ?1", NULL, hash, out,
	    "no broker has this token", err);
	secmem_wipe(hash, sizeof(hash));
	return r;
}

int
broker_list(struct store *s, int (*cb)(const struct broker_info *, void *), void *arg,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	struct broker_info b;
	int r = -1, rc;

	if (store_stmt(s, BROKER_COLS "ORDER BY created_at, id", &st, err) != 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (broker_from_row(st, &b, err) != 0)
			goto out;
		if (cb(&b, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(s, "listing brokers", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

/* One statement over ?1 id, ?2 now and, when it has it, ?3 by (what: for an error). */
static int
broker_exec(struct store *s, const char *sql, const char *id, int64_t now, const char *by,
    const char *what, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(st) >= 3 &&
	    sqlite3_bind_text(st, 3, by, -1, SQLITE_TRANSIENT) != SQLITE_OK) ||
	    sqlite3_step(st) != SQLITE_DONE)
		store_err_db(s, what, err);
	else
		r = 0;
	store_stmt_done(s, st);
	return r;
}

/*
 * Revoke a broker, end its live leases and take back its claims in the same
 * transaction: a claim's visible_until becomes now, so the next claim or
 * sweep treats it as an expired claim (queued again, or dead after its last
 * attempt), and no lease of a revoked broker stays listed as active.
 */
static int
broker_revoke_locked(struct store *s, const char *id, const char *by, int64_t now,
    struct bos_err *err)
{
	struct broker_info b;
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (broker_get(s, id, &b, err) != 0)
		return -1;
	if (b.revoked_at != 0)
		return bos_err_set(err, BOS_E_REVOKED, "broker %s was revoked already", id);
	if (store_stmt(s, "UPDATE brokers SET revoked_at = ?2, revoked_by = ?3"
	    " WHERE id = ?1 AND revoked_at IS NULL", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, by, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "revoking a broker", err);
		goto out;
	}
	if (sqlite3_changes(store_db(s)) != 1) {
		bos_err_set(err, BOS_E_DB, "revoking broker %s changed no row", id);
		goto out;
	}
	if (broker_exec(s, "UPDATE leases SET ended_at = ?2, ended_by = ?3 WHERE broker_id = ?1"
	    " AND ended_at IS NULL AND expires_at > ?2", id, now, by, "ending a revoked broker's "
	    "leases", err) != 0 ||
	    broker_exec(s, "UPDATE jobs SET visible_until = ?2, updated_at = ?2 WHERE claimed_by = ?1"
	    " AND state = 'claimed' AND visible_until > ?2", id, now, by,
	    "taking back a revoked broker's claims", err) != 0)
		goto out;
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

int
broker_revoke(struct store *s, const char *id, const char *by, int64_t now,
    struct bos_err *err)
{
	if (by == NULL || *by == '\0' || strlen(by) >= BROKER_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a revocation needs the admin's name");
	if (store_begin(s, err) != 0 ||
	    broker_finish(s, broker_revoke_locked(s, id, by, now, err), err) != 0)
		return -1;
	log_info("broker %s revoked by %s", id, by);
	return 0;
}
