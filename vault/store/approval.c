/* Approvals; see approval.h and docs/MCP.md "Vault: approvals". */
#include "store/approval.h"

#include <jansson.h>
#include <sqlite3.h>
#include <string.h>
#include "log.h"
#include "randid.h"
#include "store/store.h"

#define APPROVAL_ID_CHARS (APPROVAL_ID_LEN - (sizeof(APPROVAL_ID_PREFIX) - 1))

int
approval_id_valid(const char *s)
{
	return randid_valid(s, APPROVAL_ID_PREFIX, APPROVAL_ID_CHARS);
}

const char *
approval_state(const struct approval_info *a, int64_t now)
{
	if (strcmp(a->state, "pending") == 0 && a->expires_at <= now)
		return "expired";
	return a->state;
}

/* A JSON object of at most APPROVAL_JSON_MAX bytes (NULL allowed when may_null). */
static int
approval_json_ok(const char *s, int may_null)
{
	json_t *o;
	int ok;

	if (s == NULL)
		return may_null;
	if (strnlen(s, APPROVAL_JSON_MAX + 1) > APPROVAL_JSON_MAX)
		return 0;
	o = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	ok = json_is_object(o);
	json_decref(o);
	return ok;
}

static int
approval_check(const struct approval_new *a, int64_t now, struct bos_err *err)
{
	size_t k = a->kind != NULL ? strnlen(a->kind, APPROVAL_KIND_MAX + 1) : 0,
	    n = a->summary != NULL ? strnlen(a->summary, APPROVAL_SUMMARY_MAX + 1) : 0;

	if (k == 0 || k > APPROVAL_KIND_MAX)
		return bos_err_set(err, BOS_E_INVALID, "an approval needs its kind");
	if (n == 0 || n > APPROVAL_SUMMARY_MAX)
		return bos_err_set(err, BOS_E_INVALID, "an approval's summary is 1 to %d characters",
		    APPROVAL_SUMMARY_MAX);
	if (!approval_json_ok(a->params_json, 0))
		return bos_err_set(err, BOS_E_INVALID, "an approval's parameters must be a JSON "
		    "object of at most %d bytes", APPROVAL_JSON_MAX);
	if (a->created_by == NULL || a->created_by[0] == '\0' ||
	    strlen(a->created_by) >= APPROVAL_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "an approval is asked for by an admin");
	if (a->expires_at <= now)
		return bos_err_set(err, BOS_E_INVALID, "an approval must expire after it is made");
	return 0;
}

static int
approval_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v == NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_text(st, i, v, -1,
	    SQLITE_TRANSIENT);
}

int
approval_create(struct store *s, const struct approval_new *a, int64_t now,
    char id[APPROVAL_ID_SIZE], struct bos_err *err)
{
	sqlite3_stmt *st;

	id[0] = '\0';
	if (approval_check(a, now, err) != 0)
		return -1;
	if (randid_new(APPROVAL_ID_PREFIX, APPROVAL_ID_CHARS, id, APPROVAL_ID_SIZE) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (store_stmt(s, "INSERT INTO approvals (id, kind, params, summary, state, created_by,"
	    " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7)", &st,
	    err) != 0)
		return -1;
	if (approval_bind_text(st, 1, id) != SQLITE_OK ||
	    approval_bind_text(st, 2, a->kind) != SQLITE_OK ||
	    approval_bind_text(st, 3, a->params_json) != SQLITE_OK ||
	    approval_bind_text(st, 4, a->summary) != SQLITE_OK ||
	    approval_bind_text(st, 5, a->created_by) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, a->expires_at) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing an approval", err);
		store_stmt_done(s, st);
		id[0] = '\0';
		return -1;
	}
	store_stmt_done(s, st);
	log_info("approval %s (%s) asked for by %s", id, a->kind, a->created_by);
	return 0;
}

/* ---- reading ---- */

#define APPROVAL_COLS "SELECT id, kind, summary, state, created_by, coalesce(decided_by, '')," \
	" params, result, created_at, expires_at, coalesce(decided_at, 0) FROM approvals "

static int
approval_copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
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
approval_from_row(sqlite3_stmt *st, struct approval_info *a)
{
	if (approval_copy_col(st, 0, a->id, sizeof(a->id)) != 0 ||
	    approval_copy_col(st, 1, a->kind, sizeof(a->kind)) != 0 ||
	    approval_copy_col(st, 2, a->summary, sizeof(a->summary)) != 0 ||
	    approval_copy_col(st, 3, a->state, sizeof(a->state)) != 0 ||
	    approval_copy_col(st, 4, a->created_by, sizeof(a->created_by)) != 0 ||
	    approval_copy_col(st, 5, a->decided_by, sizeof(a->decided_by)) != 0)
		return -1;
	a->params_json = (const char *)sqlite3_column_text(st, 6);
	a->result_json = (const char *)sqlite3_column_text(st, 7);
	a->created_at = sqlite3_column_int64(st, 8);
	a->expires_at = sqlite3_column_int64(st, 9);
	a->decided_at = sqlite3_column_int64(st, 10);
	return a->params_json != NULL ? 0 : -1;
}

static int
approval_query(struct store *s, const char *sql, const char *arg, int64_t now,
    int (*cb)(const struct approval_info *, void *), void *cbarg, int *found,
    struct bos_err *err)
{
	struct approval_info a;
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	if (approval_bind_text(st, 1, arg) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK) {
		store_stmt_done(s, st);
		return store_err_db(s, "reading approvals", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		if (approval_from_row(st, &a) != 0) {
			store_stmt_done(s, st);
			return bos_err_set(err, BOS_E_CORRUPT, "a stored approval does not fit its "
			    "fields");
		}
		(*found)++;
		if (cb(&a, cbarg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		store_err_db(s, "reading approvals", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

int
approval_list(struct store *s, enum approval_filter f, int64_t now,
    int (*cb)(const struct approval_info *, void *), void *arg, struct bos_err *err)
{
	int found;

	return approval_query(s, APPROVAL_COLS "WHERE ?1 IS NULL OR (state = 'pending' AND"
	    " expires_at > ?2) ORDER BY created_at DESC, rowid DESC LIMIT 1000",
	    f == APPROVAL_ALL ? NULL : "pending", now, cb, arg, &found, err);
}

int
approval_get(struct store *s, const char *id, int (*cb)(const struct approval_info *, void *),
    void *arg, struct bos_err *err)
{
	int found;

	if (approval_query(s, APPROVAL_COLS "WHERE id = ?1 AND ?2 = ?2", id, 0, cb, arg, &found,
	    err) != 0)
		return -1;
	return found ? 0 : bos_err_set(err, BOS_E_NOTFOUND, "no approval with id %s",
	    approval_id_valid(id) ? id : "(malformed)");
}

/* ---- deciding ---- */

static int
approval_exists(struct store *s, const char *id, struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (store_stmt(s, "SELECT 1 FROM approvals WHERE id = ?1", &st, err) != 0)
		return -1;
	if (approval_bind_text(st, 1, id) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading an approval", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return rc == SQLITE_ROW;
}

int
approval_decide(struct store *s, const char *id, const char *state, const char *by,
    const char *result_json, int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st;
	int n;

	if (state == NULL || (strcmp(state, "approved") != 0 && strcmp(state, "rejected") != 0 &&
	    strcmp(state, "expired") != 0))
		return bos_err_set(err, BOS_E_INVALID, "an approval is approved, rejected or "
		    "expired");
	if ((by == NULL) != (strcmp(state, "expired") == 0) ||
	    (by != NULL && strlen(by) >= APPROVAL_BY_SIZE))
		return bos_err_set(err, BOS_E_INVALID, "an approval is decided by an admin, or "
		    "expires by itself");
	if (!approval_json_ok(result_json, 1))
		return bos_err_set(err, BOS_E_INVALID, "an approval's result must be a JSON object "
		    "of at most %d bytes", APPROVAL_JSON_MAX);
	if (store_stmt(s, "UPDATE approvals SET state = ?2, decided_by = ?3, decided_at = ?4,"
	    " result = ?5 WHERE id = ?1 AND state = 'pending'", &st, err) != 0)
		return -1;
	if (approval_bind_text(st, 1, id) != SQLITE_OK ||
	    approval_bind_text(st, 2, state) != SQLITE_OK ||
	    approval_bind_text(st, 3, by) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK ||
	    approval_bind_text(st, 5, result_json) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "deciding an approval", err);
		store_stmt_done(s, st);
		return -1;
	}
	n = sqlite3_changes(store_db(s));
	store_stmt_done(s, st);
	if (n == 1) {
		log_info("approval %s %s%s%s", id, state, by != NULL ? " by " : "",
		    by != NULL ? by : "");
		return 0;
	}
	if ((n = approval_exists(s, id, err)) < 0)
		return -1;
	return n ? bos_err_set(err, BOS_E_EXISTS, "approval %s was decided already", id) :
	    bos_err_set(err, BOS_E_NOTFOUND, "no approval with id %s",
	    approval_id_valid(id) ? id : "(malformed)");
}

int
approval_sweep_expired(struct store *s, int64_t now, unsigned *n, struct bos_err *err)
{
	sqlite3_stmt *st;

	*n = 0;
	if (store_stmt(s, "UPDATE approvals SET state = 'expired', decided_at = ?1"
	    " WHERE state = 'pending' AND expires_at <= ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "expiring approvals", err);
		store_stmt_done(s, st);
		return -1;
	}
	*n = (unsigned)sqlite3_changes(store_db(s));
	store_stmt_done(s, st);
	return 0;
}
