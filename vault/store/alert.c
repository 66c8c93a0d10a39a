/* Alerts; see alert.h and docs/BROKERS.md "Alerts". */
#include "store/alert.h"

#include <jansson.h>
#include <sqlite3.h>
#include <string.h>
#include "log.h"
#include "randid.h"
#include "store/store.h"

#define ALERT_ID_CHARS (ALERT_ID_LEN - (sizeof(ALERT_ID_PREFIX) - 1))

static const char *const alert_severities[] = { "info", "warning", "critical" };

int
alert_id_valid(const char *s)
{
	return randid_valid(s, ALERT_ID_PREFIX, ALERT_ID_CHARS);
}

static int
alert_check_kind(const char *kind, struct bos_err *err)
{
	size_t i, n = kind != NULL ? strnlen(kind, ALERT_KIND_MAX + 1) : 0;

	if (n == 0 || n > ALERT_KIND_MAX)
		return bos_err_set(err, BOS_E_INVALID, "an alert kind is 1 to %d characters",
		    ALERT_KIND_MAX);
	for (i = 0; i < n; i++)
		if (!((kind[i] >= 'a' && kind[i] <= 'z') || (kind[i] >= '0' && kind[i] <= '9') ||
		    kind[i] == '_'))
			return bos_err_set(err, BOS_E_INVALID, "an alert kind may contain only "
			    "lowercase letters, digits and _");
	return 0;
}

static int
alert_check_severity(const char *sev, struct bos_err *err)
{
	size_t i;

	for (i = 0; sev != NULL && i < BOS_ARRAY_LEN(alert_severities); i++)
		if (strcmp(sev, alert_severities[i]) == 0)
			return 0;
	return bos_err_set(err, BOS_E_INVALID, "an alert's severity is info, warning or critical");
}

/* details: a JSON object; actions: a JSON array of strings; each within ALERT_JSON_MAX. */
static int
alert_check_json(const char *details, const char *actions, struct bos_err *err)
{
	json_t *d = NULL, *a = NULL, *it;
	size_t i;
	int ok;

	if (details != NULL && strnlen(details, ALERT_JSON_MAX + 1) <= ALERT_JSON_MAX)
		d = json_loads(details, JSON_REJECT_DUPLICATES, NULL);
	if (actions != NULL && strnlen(actions, ALERT_JSON_MAX + 1) <= ALERT_JSON_MAX)
		a = json_loads(actions, JSON_REJECT_DUPLICATES, NULL);
	ok = (details == NULL || json_is_object(d)) && (actions == NULL || json_is_array(a));
	json_array_foreach(a, i, it)
		if (!json_is_string(it))
			ok = 0;
	json_decref(d);
	json_decref(a);
	return ok ? 0 : bos_err_set(err, BOS_E_INVALID, "an alert's details must be a JSON object "
	    "and its actions a JSON array of strings, each at most %d bytes", ALERT_JSON_MAX);
}

static int
alert_check(const char *kind, const char *severity, const char *subject, const char *details,
    const char *actions, const char *dedup_key, struct bos_err *err)
{
	size_t n = subject != NULL ? strnlen(subject, ALERT_SUBJECT_MAX + 1) : 0;

	if (alert_check_kind(kind, err) != 0 || alert_check_severity(severity, err) != 0)
		return -1;
	if (n == 0 || n > ALERT_SUBJECT_MAX)
		return bos_err_set(err, BOS_E_INVALID, "an alert's subject is 1 to %d characters",
		    ALERT_SUBJECT_MAX);
	if (dedup_key != NULL && strnlen(dedup_key, ALERT_DEDUP_MAX + 1) > ALERT_DEDUP_MAX)
		return bos_err_set(err, BOS_E_INVALID, "an alert's dedup key is at most %d "
		    "characters", ALERT_DEDUP_MAX);
	return alert_check_json(details, actions, err);
}

static int
alert_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v == NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_text(st, i, v, -1,
	    SQLITE_TRANSIENT);
}

/* Count a raise on the unresolved alert with key: 1 done, 0 none such, -1 error. */
static int
alert_bump(struct store *s, const char *subject, const char *details, const char *dedup_key,
    int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st;
	int n;

	if (store_stmt(s, "UPDATE alerts SET count = count + 1, last_at = ?3, subject = ?2,"
	    " details = coalesce(?4, details) WHERE dedup_key = ?1 AND state != 'resolved'",
	    &st, err) != 0)
		return -1;
	if (alert_bind_text(st, 1, dedup_key) != SQLITE_OK ||
	    alert_bind_text(st, 2, subject) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK ||
	    alert_bind_text(st, 4, details) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "counting an alert", err);
		store_stmt_done(s, st);
		return -1;
	}
	n = sqlite3_changes(store_db(s));
	store_stmt_done(s, st);
	return n > 0;
}

static int
alert_insert(struct store *s, const char *kind, const char *severity, const char *subject,
    const char *details, const char *actions, const char *dedup_key, int64_t now,
    struct bos_err *err)
{
	char id[ALERT_ID_SIZE];
	sqlite3_stmt *st;

	if (randid_new(ALERT_ID_PREFIX, ALERT_ID_CHARS, id, sizeof(id)) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (store_stmt(s, "INSERT INTO alerts (id, kind, severity, subject, details, actions,"
	    " dedup_key, count, state, first_at, last_at) VALUES (?1, ?2, ?3, ?4,"
	    " coalesce(?5, '{}'), coalesce(?6, '[]'), ?7, 1, 'open', ?8, ?8)", &st, err) != 0)
		return -1;
	if (alert_bind_text(st, 1, id) != SQLITE_OK || alert_bind_text(st, 2, kind) != SQLITE_OK ||
	    alert_bind_text(st, 3, severity) != SQLITE_OK ||
	    alert_bind_text(st, 4, subject) != SQLITE_OK ||
	    alert_bind_text(st, 5, details) != SQLITE_OK ||
	    alert_bind_text(st, 6, actions) != SQLITE_OK ||
	    alert_bind_text(st, 7, dedup_key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 8, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "raising an alert", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	log_warn("alert %s raised: %s (%s)", id, kind, severity);
	return 0;
}

int
alert_raise(struct store *s, const char *kind, const char *severity, const char *subject,
    const char *details_json, const char *actions_json, const char *dedup_key, int64_t now,
    struct bos_err *err)
{
	int r;

	if (dedup_key != NULL && dedup_key[0] == '\0')
		dedup_key = NULL;
	if (alert_check(kind, severity, subject, details_json, actions_json, dedup_key, err) != 0 ||
	    store_begin(s, err) != 0)
		return -1;
	r = dedup_key != NULL ? alert_bump(s, subject, details_json, dedup_key, now, err) : 0;
	if (r == 0)
		r = alert_insert(s, kind, severity, subject, details_json, actions_json, dedup_key,
		    now, err);
	/* A new alert (not a count bump) of warning or above goes to alert_notify. */
	if (r == 0 && store_get_alert_hook(s) != NULL)
		r = store_get_alert_hook(s)(s, kind, severity, subject, now, err);
	if (r >= 0)
		return store_commit(s, err);
	if (store_rollback(s, NULL) != 0)
		log_err("alerts: rollback failed");
	return -1;
}

/* ---- reading ---- */

#define ALERT_COLS "SELECT id, kind, severity, subject, coalesce(dedup_key, ''), state," \
	" coalesce(acked_by, ''), coalesce(resolved_by, ''), details, actions, count, first_at," \
	" last_at, coalesce(acked_at, 0), coalesce(resolved_at, 0) FROM alerts "

static int
alert_copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
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
alert_from_row(sqlite3_stmt *st, struct alert_info *a)
{
	if (alert_copy_col(st, 0, a->id, sizeof(a->id)) != 0 ||
	    alert_copy_col(st, 1, a->kind, sizeof(a->kind)) != 0 ||
	    alert_copy_col(st, 2, a->severity, sizeof(a->severity)) != 0 ||
	    alert_copy_col(st, 3, a->subject, sizeof(a->subject)) != 0 ||
	    alert_copy_col(st, 4, a->dedup_key, sizeof(a->dedup_key)) != 0 ||
	    alert_copy_col(st, 5, a->state, sizeof(a->state)) != 0 ||
	    alert_copy_col(st, 6, a->acked_by, sizeof(a->acked_by)) != 0 ||
	    alert_copy_col(st, 7, a->resolved_by, sizeof(a->resolved_by)) != 0)
		return -1;
	a->details_json = (const char *)sqlite3_column_text(st, 8);
	a->actions_json = (const char *)sqlite3_column_text(st, 9);
	a->count = sqlite3_column_int64(st, 10);
	a->first_at = sqlite3_column_int64(st, 11);
	a->last_at = sqlite3_column_int64(st, 12);
	a->acked_at = sqlite3_column_int64(st, 13);
	a->resolved_at = sqlite3_column_int64(st, 14);
	return a->details_json != NULL && a->actions_json != NULL ? 0 : -1;
}

static int
alert_query(struct store *s, const char *sql, const char *arg,
    int (*cb)(const struct alert_info *, void *), void *cbarg, int *found, struct bos_err *err)
{
	struct alert_info a;
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	if (alert_bind_text(st, 1, arg) != SQLITE_OK) {
		store_stmt_done(s, st);
		return store_err_db(s, "listing alerts", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		if (alert_from_row(st, &a) != 0) {
			store_stmt_done(s, st);
			return bos_err_set(err, BOS_E_CORRUPT, "a stored alert does not fit its fields");
		}
		(*found)++;
		if (cb(&a, cbarg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		store_err_db(s, "listing alerts", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

int
alert_list(struct store *s, enum alert_filter f, int (*cb)(const struct alert_info *, void *),
    void *arg, struct bos_err *err)
{
	static const char *const states[] = { "open", "acked", "resolved", NULL };
	int found;

	return alert_query(s, ALERT_COLS "WHERE ?1 IS NULL OR state = ?1 ORDER BY last_at DESC,"
	    " id", f == ALERT_ALL ? NULL : states[f], cb, arg, &found, err);
}

int
alert_get(struct store *s, const char *id, int (*cb)(const struct alert_info *, void *),
    void *arg, struct bos_err *err)
{
	int found;

	if (alert_query(s, ALERT_COLS "WHERE id = ?1", id, cb, arg, &found, err) != 0)
		return -1;
	return found ? 0 : bos_err_set(err, BOS_E_NOTFOUND, "no alert with id %s",
	    alert_id_valid(id) ? id : "(malformed)");
}

static int
alert_state_of(struct store *s, const char *id, char state[16], struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (store_stmt(s, "SELECT state FROM alerts WHERE id = ?1", &st, err) != 0)
		return -1;
	if (alert_bind_text(st, 1, id) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading an alert", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_DONE) {
		store_stmt_done(s, st);
		return bos_err_set(err, BOS_E_NOTFOUND, "no alert with id %s",
		    alert_id_valid(id) ? id : "(malformed)");
	}
	rc = alert_copy_col(st, 0, state, 16);
	store_stmt_done(s, st);
	return rc == 0 ? 0 : bos_err_set(err, BOS_E_CORRUPT, "a stored alert's state is damaged");
}

/* Move id to state to (acked or resolved) as admin by. */
static int
alert_move(struct store *s, const char *id, const char *to, const char *by, int64_t now,
    struct bos_err *err)
{
	int ack = strcmp(to, "acked") == 0;
	char state[16];
	sqlite3_stmt *st;

	if (by == NULL || strlen(by) >= ALERT_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "an alert is %s by an admin", to);
	if (alert_state_of(s, id, state, err) != 0)
		return -1;
	if (strcmp(state, "resolved") == 0 || (ack && strcmp(state, "acked") == 0))
		return bos_err_set(err, BOS_E_EXISTS, "alert %s is %s already", id, state);
	if (store_stmt(s, ack ? "UPDATE alerts SET state = 'acked', acked_at = ?2, acked_by = ?3"
	    " WHERE id = ?1" : "UPDATE alerts SET state = 'resolved', resolved_at = ?2,"
	    " resolved_by = ?3 WHERE id = ?1", &st, err) != 0)
		return -1;
	if (alert_bind_text(st, 1, id) != SQLITE_OK || sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    alert_bind_text(st, 3, by) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "changing an alert", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	log_info("alert %s %s by %s", id, to, by);
	return 0;
}

int
alert_ack(struct store *s, const char *id, const char *by, int64_t now, struct bos_err *err)
{
	return alert_move(s, id, "acked", by, now, err);
}

int
alert_resolve(struct store *s, const char *id, const char *by, int64_t now,
    struct bos_err *err)
{
	return alert_move(s, id, "resolved", by, now, err);
}

int
alert_count_open(struct store *s, int64_t *out, struct bos_err *err)
{
	sqlite3_stmt *st;

	if (store_stmt(s, "SELECT count(*) FROM alerts WHERE state = 'open'", &st, err) != 0)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_err_db(s, "counting open alerts", err);
		store_stmt_done(s, st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	store_stmt_done(s, st);
	return 0;
}
