/*
 * Audit records and checkpoints in SQLCipher. The chain arithmetic lives in
 * audit_chain.c; this file only reads the head, stores rows and exports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "audit_store.h"
#include "log.h"

static int
prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct bos_err *err)
{
	if (sqlite3_prepare_v2(store_db(s), sql, -1, st, NULL) != SQLITE_OK)
		return store_err_db(s, "preparing an audit statement", err);
	return 0;
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
	sqlite3_finalize(st);
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
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
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
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
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
audit_export(struct store *s, FILE *out, struct bos_err *err)
{
	sqlite3_stmt *recs = NULL, *cps = NULL;
	int r = -1;

	if (prepare(s, "SELECT seq, time, principal, action, resource, decision, reason, client,"
	    " request_id, hash FROM audit_log ORDER BY seq", &recs, err) != 0 ||
	    prepare(s, "SELECT seq, hash, time, key_version, signature FROM audit_checkpoints"
	    " ORDER BY seq", &cps, err) != 0)
		goto out;
	if (export_rows(s, recs, cps, out, err) != 0)
		goto out;
	if (fflush(out) != 0) {
		bos_err_set(err, BOS_E_IO, "writing the audit export failed");
		goto out;
	}
	/* success */
	r = 0;
 out:
	sqlite3_finalize(recs);
	sqlite3_finalize(cps);
	return r;
}
