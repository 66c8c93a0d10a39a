/*
 * Test-only generator of credential versions sealed the way BOS sealed them
 * before database schema 6 (issue #12 item 14): the payload under a fresh
 * DEK, the DEK wrapped by bos-hsmd, both with the AAD
 *
 *     "bos-cred-v1" 0x00 | u16 BE len(id) | id | u32 BE version
 *
 * and nothing else bound. Written from that format (docs/STORE.md), not
 * with vault/store/cred.c, so that the migration is tested against old rows as
 * the old code wrote them. Header-only: the unit tests (test_cred.c) and
 * the test tools (bos_dbtool --add-v1) share it.
 */
#ifndef BOS_TEST_CRED_V1_H
#define BOS_TEST_CRED_V1_H

#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hsmc/hsm_client.h"
#include "store/seal.h"
#include "secmem.h"

struct cred_v1_row {
	const char *id;        /* "cr_" + 26 base32 */
	const char *name, *type, *service;
	uint32_t version;      /* 1 also inserts the credentials row */
	const uint8_t *secret; /* as stored: a card's normalised digits */
	size_t secret_len;
	const char *brand, *first6, *last4; /* cards; NULL otherwise */
};

static size_t
cred_v1_aad(const char *id, uint32_t version, uint8_t out[64])
{
	static const char label[] = "bos-cred-v1";
	size_t n = sizeof(label), idlen = strlen(id);

	memcpy(out, label, sizeof(label));
	out[n++] = (uint8_t)(idlen >> 8);
	out[n++] = (uint8_t)idlen;
	memcpy(out + n, id, idlen);
	n += idlen;
	out[n++] = (uint8_t)(version >> 24);
	out[n++] = (uint8_t)(version >> 16);
	out[n++] = (uint8_t)(version >> 8);
	out[n++] = (uint8_t)version;
	return n;
}

/* Run sql with the row's fields bound by number; 0 or -1. */
static int
cred_v1_exec(sqlite3 *db, const char *sql, const struct cred_v1_row *r, uint32_t kek,
    const uint8_t *wrapped, size_t wlen, const uint8_t *ct, size_t clen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->version);
	sqlite3_bind_text(st, 3, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->service, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, wrapped, (int)wlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, ct, (int)clen, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->brand, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->first6, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->last4, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 12, kek);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Insert one old-format version (and for version 1 its credential); 0 or -1. */
static int
cred_v1_insert(sqlite3 *db, struct hsm_client *hsm, uint32_t kek_version,
    const struct cred_v1_row *r, struct bos_err *err)
{
	uint8_t dek[SEAL_KEY_LEN], aad[64], wrapped[HSM_BLOB_MAX], *ct = NULL;
	size_t aad_len = cred_v1_aad(r->id, r->version, aad), wlen = 0, clen = 0;
	int rc = -1;

	if (RAND_bytes(dek, sizeof(dek)) != 1 ||
	    seal_encrypt(dek, aad, aad_len, r->secret, r->secret_len, &ct, &clen, err) != 0 ||
	    hsm_wrap(hsm, kek_version, aad, aad_len, dek, sizeof(dek), wrapped, sizeof(wrapped),
	    &wlen, err) != 0)
		goto out;
	if (r->version == 1 && cred_v1_exec(db, "INSERT INTO credentials (id, name, type, service,"
	    " metadata, current_version, created_at, updated_at) VALUES (?1, ?3, ?4, ?5, '{}', 1,"
	    " ?11, ?11)", r, kek_version, wrapped, wlen, ct, clen) != 0)
		goto db;
	if (cred_v1_exec(db, "INSERT INTO credential_versions (cred_id, version, kek_version,"
	    " wrapped_dek, ciphertext, card_brand, card_first6, card_last4, created_at) VALUES"
	    " (?1, ?2, ?12, ?6, ?7, ?8, ?9, ?10, ?11)", r, kek_version, wrapped, wlen, ct, clen) != 0 ||
	    cred_v1_exec(db, "UPDATE credentials SET current_version = ?2 WHERE id = ?1 AND"
	    " current_version < ?2", r, kek_version, wrapped, wlen, ct, clen) != 0)
		goto db;
	rc = 0;
	goto out;
 db:
	bos_err_set(err, BOS_E_DB, "cred_v1_insert: %s", sqlite3_errmsg(db));
 out:
	secmem_wipe(dek, sizeof(dek));
	free(ct);
	return rc;
}

#endif
