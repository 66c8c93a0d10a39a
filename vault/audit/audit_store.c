/*
 * Audit records and checkpoints in SQLCipher. The chain arithmetic lives in
 * audit_chain.c; this file only reads the head, stores rows and exports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "audit/audit_store.h"
#include "log.h"

static int
prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct bos_err *err)
{
	return store_stmt(s, sql, st, err);
}

/* A 32-byte hash column. */
static int
col_hash(sqlite3_stmt *st, int col, uint8_t out[AUDIT_HASH_LEN])
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, col) != AUDIT_HASH_LEN)
		return -1;
	memcpy(out, sqlite3_column_blob(st, col), AUDIT_HASH_LEN);
	return 0;
}

/* The last seq and its hash; seq 0 and 32 zero bytes for an empty log. */
static int
audit_head(struct store *s, uint64_t *seq, uint8_t hash[AUDIT_HASH_LEN], struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r = -1;

	*seq = 0;
	memset(hash, 0, AUDIT_HASH_LEN);
	if (prepare(s, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &st, err) != 0)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 0) < 1 || col_hash(st, 1, hash) != 0) {
			bos_err_set(err, BOS_E_CORRUPT, "audit log head is damaged");
			goto out;
		}
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		store_err_db(s, "reading the audit head", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

static int
audit_insert(struct store *s, const struct audit_record *r, const uint8_t hash[AUDIT_HASH_LEN],
    struct bos_err *err)
{
	const char *f[] = { r->time, r->principal, r->action, r->resource, r->decision,
	    r->reason, r->client, r->request_id };
	sqlite3_stmt *st = NULL;
	int i, ok = 1;

	if (prepare(s, "INSERT INTO audit_log (seq, time, principal, action, resource, decision,"
	    " reason, client, request_id, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st, err) != 0)
		return -1;
	ok &= sqlite3_bind_int64(st, 1, (sqlite3_int64)r->seq) == SQLITE_OK;
	for (i = 0; i < 8; i++)
		ok &= sqlite3_bind_text(st, i + 2, f[i], -1, SQLITE_STATIC) == SQLITE_OK;
	ok &= sqlite3_bind_blob(st, 10, hash, AUDIT_HASH_LEN, SQLITE_STATIC) == SQLITE_OK;
	if (!ok || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "appending an audit record", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

int
audit_append(struct store *s, struct audit_record *r, struct bos_err *err)
{
	uint8_t prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
	uint64_t head;

	if (sqlite3_get_autocommit(store_db(s)))
		return bos_err_set(err, BOS_E_INVALID,
		    "audit_append must run inside the caller's transaction");
	if (audit_head(s, &head, prev, err) != 0)
		return -1;
	if (head >= INT64_MAX)
		return bos_err_set(err, BOS_E_CORRUPT, "audit log seq exhausted");
	r->seq = head + 1;
	if (audit_record_hash(prev, r, hash, err) != 0)
		return -1;
	return audit_insert(s, r, hash, err);
}

static int
checkpoint_insert(struct store *s, const struct audit_checkpoint *cp, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int ok = 1;

	if (prepare(s, "INSERT OR IGNORE INTO audit_checkpoints (seq, hash, time, key_version,"
	    " signature) VALUES (?, ?, ?, ?, ?)", &st, err) != 0)
		return -1;
	ok &= sqlite3_bind_int64(st, 1, (sqlite3_int64)cp->seq) == SQLITE_OK;
	ok &= sqlite3_bind_blob(st, 2, cp->hash, AUDIT_HASH_LEN, SQLITE_STATIC) == SQLITE_OK;
	ok &= sqlite3_bind_text(st, 3, cp->time, -1, SQLITE_STATIC) == SQLITE_OK;
	ok &= sqlite3_bind_int64(st, 4, cp->key_version) == SQLITE_OK;
	ok &= sqlite3_bind_blob(st, 5, cp->sig, (int)cp->sig_len, SQLITE_STATIC) == SQLITE_OK;
	if (!ok || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing an audit checkpoint", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

/* Read the head, sign it and store the checkpoint; the caller owns the transaction. */
static int
checkpoint_make(struct store *s, struct hsm_client *hsm, uint32_t key_version,
    const char *time, struct bos_err *err)
{
	struct audit_checkpoint cp;
	uint8_t digest[AUDIT_HASH_LEN];

	memset(&cp, 0, sizeof(cp));
	if (key_version == 0 || audit_field_set(cp.time, time) != 0 || time[0] == '\0')
		return bos_err_set(err, BOS_E_INVALID, "audit checkpoint needs a key version and a time");
	cp.key_version = key_version;
	if (audit_head(s, &cp.seq, cp.hash, err) != 0)
		return -1;
	if (cp.seq == 0)
		return bos_err_set(err, BOS_E_INVALID, "the audit log is empty: nothing to sign");
	if (audit_checkpoint_digest(cp.seq, cp.hash, digest) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "audit: SHA-256 failed");
	if (hsm_sign(hsm, key_version, digest, cp.sig, sizeof(cp.sig), &cp.sig_len, err) != 0)
		return bos_err_wrap(err, "signing the audit head");
	return checkpoint_insert(s, &cp, err);
}

int
audit_checkpoint(struct store *s, struct hsm_client *hsm, uint32_t key_version,
    const char *time, struct bos_err *err)
{
	if (store_begin(s, err) != 0)
		return -1;
	if (checkpoint_make(s, hsm, key_version, time, err) != 0) {
		if (store_rollback(s, NULL) != 0)
			log_err("audit store: rollback failed");
		return -1;
	}
	return store_commit(s, err);
}

static int
row_record(sqlite3_stmt *st, struct audit_record *r, uint8_t hash[AUDIT_HASH_LEN])
{
	char *f[] = { r->time, r->principal, r->action, r->resource, r->decision,
	    r->reason, r->client, r->request_id };
	const unsigned char *v;
	int i;

	memset(r, 0, sizeof(*r));
	if (sqlite3_column_int64(st, 0) < 1 || col_hash(st, 9, hash) != 0)
		return -1;
	r->seq = (uint64_t)sqlite3_column_int64(st, 0);
	for (i = 0; i < 8; i++)
		if ((v = sqlite3_column_text(st, i + 1)) == NULL ||
		    audit_field_set(f[i], (const char *)v) != 0)
			return -1;
	return 0;
}

static int
row_checkpoint(sqlite3_stmt *st, struct audit_checkpoint *cp)
{
	const unsigned char *t = sqlite3_column_text(st, 2);
	int n = sqlite3_column_bytes(st, 4);

	memset(cp, 0, sizeof(*cp));
	if (sqlite3_column_int64(st, 0) < 1 || col_hash(st, 1, cp->hash) != 0 || t == NULL ||
	    audit_field_set(cp->time, (const char *)t) != 0 ||
	    sqlite3_column_int64(st, 3) < 1 || sqlite3_column_int64(st, 3) > UINT32_MAX ||
	    n < 1 || n > AUDIT_SIG_MAX || sqlite3_column_type(st, 4) != SQLITE_BLOB)
		return -1;
	cp->seq = (uint64_t)sqlite3_column_int64(st, 0);
	cp->key_version = (uint32_t)sqlite3_column_int64(st, 3);
	memcpy(cp->sig, sqlite3_column_blob(st, 4), (size_t)n);
	cp->sig_len = (size_t)n;
	return 0;
}

static int
put_line(FILE *out, char *line)
{
	int r = fputs(line, out) < 0 || fputc('\n', out) == EOF ? -1 : 0;

	free(line);
	return r;
}

/* The checkpoints at seq, read from cps (already stepped to its next row). */
static int
export_checkpoints(struct store *s, sqlite3_stmt *cps, int *rc, uint64_t seq, FILE *out,
    struct bos_err *err)
{
	struct audit_checkpoint cp;
	char *line;

	while (*rc == SQLITE_ROW && (uint64_t)sqlite3_column_int64(cps, 0) <= seq) {
		if (row_checkpoint(cps, &cp) != 0)
			return bos_err_set(err, BOS_E_CORRUPT, "audit checkpoint row is damaged");
		if (audit_checkpoint_to_json(&cp, &line, err) != 0)
			return -1;
		if (put_line(out, line) != 0)
			return bos_err_set(err, BOS_E_IO, "writing the audit export failed");
		*rc = sqlite3_step(cps);
	}
	if (*rc != SQLITE_ROW && *rc != SQLITE_DONE)
		return store_err_db(s, "reading audit checkpoints", err);
	return 0;
}

static int
export_rows(struct store *s, sqlite3_stmt *recs, sqlite3_stmt *cps, FILE *out,
    struct bos_err *err)
{
	struct audit_record r;
	uint8_t hash[AUDIT_HASH_LEN];
	char *line;
	int rc, crc = sqlite3_step(cps);

	while ((rc = sqlite3_step(recs)) == SQLITE_ROW) {
		/* A row that is not a valid record stops the export: never skipped silently. */
		if (row_record(recs, &r, hash) != 0)
			return bos_err_set(err, BOS_E_CORRUPT, "audit record row is damaged");
		if (audit_record_to_json(&r, hash, &line, err) != 0)
			return bos_err_wrap(err, "audit record %llu", (unsigned long long)r.seq);
		if (put_line(out, line) != 0)
			return bos_err_set(err, BOS_E_IO, "writing the audit export failed");
		if (export_checkpoints(s, cps, &crc, r.seq, out, err) != 0)
			return -1;
	}
	if (rc != SQLITE_DONE)
		return store_err_db(s, "reading the audit log", err);
	return export_checkpoints(s, cps, &crc, UINT64_MAX, out, err);
}

int
audit_export(struct store *s, FILE *out, uint64_t upto, struct bos_err *err)
{
	sqlite3_stmt *recs = NULL, *cps = NULL;
	sqlite3_int64 last = upto > INT64_MAX ? INT64_MAX : (sqlite3_int64)upto;
	int r = -1;

	if (prepare(s, "SELECT seq, time, principal, action, resource, decision, reason, client,"
	    " request_id, hash FROM audit_log WHERE seq <= ?1 ORDER BY seq", &recs, err) != 0 ||
	    prepare(s, "SELECT seq, hash, time, key_version, signature FROM audit_checkpoints"
	    " WHERE seq <= ?1 ORDER BY seq", &cps, err) != 0)
		goto out;
	if (sqlite3_bind_int64(recs, 1, last) != SQLITE_OK ||
	    sqlite3_bind_int64(cps, 1, last) != SQLITE_OK) {
		store_err_db(s, "reading the audit log", err);
		goto out;
	}
	if (export_rows(s, recs, cps, out, err) != 0)
		goto out;
	if (fflush(out) != 0) {
		bos_err_set(err, BOS_E_IO, "writing the audit export failed");
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, recs);
	store_stmt_done(s, cps);
	return r;
}

int
audit_head_get(struct store *s, uint64_t *seq, uint8_t hash[AUDIT_HASH_LEN], struct bos_err *err)
{
	return audit_head(s, seq, hash, err);
}

int
audit_last_checkpoint(struct store *s, struct audit_checkpoint *cp, int *found,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r = -1;

	*found = 0;
	memset(cp, 0, sizeof(*cp));
	if (prepare(s, "SELECT seq, hash, time, key_version, signature FROM audit_checkpoints"
	    " ORDER BY seq DESC LIMIT 1", &st, err) != 0)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_checkpoint(st, cp) != 0) {
			bos_err_set(err, BOS_E_CORRUPT, "the newest audit checkpoint row is damaged");
			goto out;
		}
		*found = 1;
	} else if (rc != SQLITE_DONE) {
		store_err_db(s, "reading the newest audit checkpoint", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

#define AUDIT_COLS "seq, time, principal, action, resource, decision, reason, client," \
	" request_id, hash"

int
audit_record_get(struct store *s, uint64_t seq, struct audit_record *r,
    uint8_t hash[AUDIT_HASH_LEN], int *found, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	*found = 0;
	if (prepare(s, "SELECT " AUDIT_COLS " FROM audit_log WHERE seq = ?", &st, err) != 0)
		return -1;
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)seq) != SQLITE_OK) {
		store_err_db(s, "reading an audit record", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_record(st, r, hash) != 0) {
			bos_err_set(err, BOS_E_CORRUPT, "audit record %llu is damaged",
			    (unsigned long long)seq);
			goto out;
		}
		*found = 1;
	} else if (rc != SQLITE_DONE) {
		store_err_db(s, "reading an audit record", err);
		goto out;
	}
	/* success */
	ret = 0;
 out:
	store_stmt_done(s, st);
	return ret;
}

/* One row of the chain check: contiguous, and its stored hash is what its contents give. */
static int
chain_step(sqlite3_stmt *st, uint64_t *expect, uint8_t prev[AUDIT_HASH_LEN], uint64_t *bad_seq,
    struct bos_err *err)
{
	struct audit_record r;
	uint8_t stored[AUDIT_HASH_LEN], calc[AUDIT_HASH_LEN];

	*bad_seq = (uint64_t)sqlite3_column_int64(st, 0);
	if (row_record(st, &r, stored) != 0)
		return bos_err_set(err, BOS_E_CORRUPT, "audit record %llu is not a valid record",
		    (unsigned long long)*bad_seq);
	if (r.seq != *expect)
		return bos_err_set(err, BOS_E_CORRUPT, "audit record %llu is missing (found %llu)",
		    (unsigned long long)*expect, (unsigned long long)r.seq);
	if (audit_record_hash(prev, &r, calc, err) != 0)
		return -1;
	if (memcmp(calc, stored, AUDIT_HASH_LEN) != 0) /* not secret */
		return bos_err_set(err, BOS_E_CORRUPT, "audit record %llu: its hash does not match "
		    "its contents and the record before", (unsigned long long)r.seq);
	memcpy(prev, stored, AUDIT_HASH_LEN);
	(*expect)++;
	*bad_seq = 0;
	return 0;
}

int
audit_chain_check(struct store *s, uint64_t from, uint64_t *bad_seq, struct bos_err *err)
{
	struct audit_record before;
	uint8_t prev[AUDIT_HASH_LEN];
	sqlite3_stmt *st = NULL;
	uint64_t expect = from;
	int rc, found = 1, r = -1;

	*bad_seq = 0;
	memset(prev, 0, sizeof(prev));
	if (from < 1 || from > INT64_MAX)
		return bos_err_set(err, BOS_E_INVALID, "audit chain check needs a seq >= 1");
	if (from > 1 && audit_record_get(s, from - 1, &before, prev, &found, err) != 0)
		return -1;
	if (!found) {
		*bad_seq = from - 1;
		return bos_err_set(err, BOS_E_CORRUPT, "audit record %llu is missing",
		    (unsigned long long)(from - 1));
	}
	if (prepare(s, "SELECT " AUDIT_COLS " FROM audit_log WHERE seq >= ? ORDER BY seq", &st,
	    err) != 0)
		return -1;
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)from) != SQLITE_OK) {
		store_err_db(s, "checking the audit chain", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (chain_step(st, &expect, prev, bad_seq, err) != 0)
			goto out;
	if (rc != SQLITE_DONE) {
		store_err_db(s, "checking the audit chain", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

static int
query_bind(sqlite3_stmt *st, const struct audit_query *q)
{
	const char *t[] = { q->since, q->until, q->principal, q->action, q->decision, q->resource };
	int i, ok = 1;

	for (i = 0; i < 6; i++)
		ok &= (t[i] != NULL ? sqlite3_bind_text(st, i + 1, t[i], -1, SQLITE_STATIC) :
		    sqlite3_bind_null(st, i + 1)) == SQLITE_OK;
	ok &= sqlite3_bind_int64(st, 7, q->cursor == 0 ? (q->desc ? INT64_MAX : 0) :
	    (sqlite3_int64)q->cursor) == SQLITE_OK;
	ok &= sqlite3_bind_int64(st, 8, q->limit) == SQLITE_OK;
	return ok ? 0 : -1;
}

#define AUDIT_QUERY_WHERE " FROM audit_log WHERE (?1 IS NULL OR time >= ?1)" \
	" AND (?2 IS NULL OR time < ?2) AND (?3 IS NULL OR principal = ?3)" \
	" AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR decision = ?5)" \
	" AND (?6 IS NULL OR substr(resource, 1, length(?6)) = ?6)"

int
audit_query_run(struct store *s, const struct audit_query *q, audit_row_cb cb, void *arg,
    struct bos_err *err)
{
	static const char asc[] = "SELECT " AUDIT_COLS AUDIT_QUERY_WHERE
	    " AND seq > ?7 ORDER BY seq LIMIT ?8";
	static const char desc[] = "SELECT " AUDIT_COLS AUDIT_QUERY_WHERE
	    " AND seq < ?7 ORDER BY seq DESC LIMIT ?8";
	struct audit_record r;
	uint8_t hash[AUDIT_HASH_LEN];
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (q->limit == 0 || q->cursor > INT64_MAX)
		return bos_err_set(err, BOS_E_INVALID, "audit query: bad limit or cursor");
	if (prepare(s, q->desc ? desc : asc, &st, err) != 0)
		return -1;
	if (query_bind(st, q) != 0) {
		store_err_db(s, "searching the audit log", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_record(st, &r, hash) != 0) {
			bos_err_set(err, BOS_E_CORRUPT, "audit record %lld is damaged",
			    (long long)sqlite3_column_int64(st, 0));
			goto out;
		}
		if (cb(&r, hash, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(s, "searching the audit log", err);
		goto out;
	}
	/* success */
	ret = 0;
 out:
	store_stmt_done(s, st);
	return ret;
}
