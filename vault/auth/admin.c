/* Admin accounts, lockout and recovery codes; see admin.h and docs/AUTH.md. */
#include "auth/admin.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <string.h>
#include "store/card.h"
#include "hsmc/hsm_client.h"
#include "log.h"
#include "core/metrics.h"
#include "auth/password.h"
#include "randid.h"
#include "secmem.h"
#include "store/store.h"

#define ADMIN_ID_CHARS (ADMIN_ID_LEN - (sizeof(ADMIN_ID_PREFIX) - 1))
#define ADMIN_SEED_WRAPPED_LEN (HSM_IV_LEN + TOTP_SEED_LEN + HSM_TAG_LEN)
_Static_assert(ADMIN_SEED_WRAPPED_LEN == ADMIN_NEW_SEED_LEN, "admin.h: the wrapped seed's size");
_Static_assert(sizeof(((struct admin_new *)0)->pw_hash) == PASSWORD_HASH_MAX,
    "admin.h: the password hash's size");
/* AAD of a wrapped seed: label with its NUL || u16 id length || id. */
#define ADMIN_TOTP_AAD_LABEL "bos-totp-v1"
#define ADMIN_TOTP_AAD_MAX (sizeof(ADMIN_TOTP_AAD_LABEL) + 2 + ADMIN_ID_LEN)
#define ADMIN_RECOVERY_BYTES 10     /* 80 bits */
#define ADMIN_RECOVERY_CHARS 16     /* base32 of 10 bytes */
#define ADMIN_RECOVERY_INPUT_MAX 64 /* longer input is not a code */
#define ADMIN_RECOVERY_HASH_LEN SHA256_DIGEST_LENGTH
_Static_assert(ADMIN_RECOVERY_HASH_LEN == ADMIN_NEW_CODE_HASH_LEN, "admin.h: a code hash's size");
/* Failure counters stop here instead of overflowing. */
#define ADMIN_COUNT_MAX 1000000000

static const char admin_b32[] = "abcdefghijklmnopqrstuvwxyz234567";

#define ADMIN_COLS "SELECT id, name, pw_hash, totp_seed_wrapped, totp_kek_version," \
	" totp_last_step, failures, consecutive_failures, locked_until, disabled FROM admins "

/* One admin row as sign-in needs it. Wiped after use (pw_hash is a verifier). */
struct admin_row {
	char id[ADMIN_ID_SIZE];
	char name[ADMIN_NAME_MAX + 1];
	char pw_hash[PASSWORD_HASH_MAX];
	uint8_t seed_wrapped[ADMIN_SEED_WRAPPED_LEN];
	uint32_t kek_version;
	int64_t last_step, failures, consecutive, locked_until;
	int disabled;
};

/* What the unlocked phase of a sign-in found out, for the locked phase to apply. */
struct admin_attempt {
	int pw_ok;
	int has_totp, totp_ok;
	uint64_t totp_step;
	int has_recovery, recovery_wellformed;
	uint8_t recovery_hash[ADMIN_RECOVERY_HASH_LEN];
};

/* ---- small helpers --------------------------------------------------------------- */

static void
admin_lock(struct admin_ctx *c)
{
	if (c->db_lock != NULL)
		c->db_lock(c->lock_arg);
}

static void
admin_unlock(struct admin_ctx *c)
{
	if (c->db_unlock != NULL)
		c->db_unlock(c->lock_arg);
}

void
admin_secrets_wipe(struct admin_secrets *s)
{
	secmem_wipe(s, sizeof(*s));
}

int
admin_name_valid(const char *name)
{
	size_t i, n = name ? strnlen(name, ADMIN_NAME_MAX + 1) : 0;
	char c;

	if (n == 0 || n > ADMIN_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

/* Lowercase base32 of in (n bytes) into exactly chars characters (no NUL). */
static void
admin_b32_lower(const uint8_t *in, size_t n, char *out, size_t chars)
{
	size_t i, bit;
	unsigned v;

	for (i = 0; i < chars; i++) {
		bit = i * 5;
		v = (unsigned)in[bit / 8] << 8;
		if (bit / 8 + 1 < n)
			v |= in[bit / 8 + 1];
		out[i] = admin_b32[(v >> (11 - bit % 8)) & 31];
	}
}

static int
admin_id_new(char id[ADMIN_ID_SIZE], struct bos_err *err)
{
	if (randid_new(ADMIN_ID_PREFIX, ADMIN_ID_CHARS, id, ADMIN_ID_SIZE) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	return 0;
}

/*
 * AAD of an admin's wrapped TOTP seed. The label keeps these blobs apart from
 * every other use of the KEK, and the length prefix makes the encoding
 * unambiguous, so a seed moved to another admin's row never unwraps.
 */
static size_t
admin_totp_aad(const char *id, uint8_t out[ADMIN_TOTP_AAD_MAX])
{
	size_t n = 0, idlen = strnlen(id, ADMIN_ID_LEN);

	memcpy(out, ADMIN_TOTP_AAD_LABEL, sizeof(ADMIN_TOTP_AAD_LABEL)); /* with its NUL */
	n += sizeof(ADMIN_TOTP_AAD_LABEL);
	out[n++] = (uint8_t)(idlen >> 8);
	out[n++] = (uint8_t)idlen;
	memcpy(out + n, id, idlen);
	return n + idlen;
}

static int
admin_seed_wrap(struct admin_ctx *c, const char *id, const uint8_t seed[TOTP_SEED_LEN],
    uint8_t out[ADMIN_SEED_WRAPPED_LEN], struct bos_err *err)
{
	uint8_t aad[ADMIN_TOTP_AAD_MAX];
	size_t aad_len = admin_totp_aad(id, aad), len = 0;

	if (hsm_wrap(c->hsm, c->kek_version, aad, aad_len, seed, TOTP_SEED_LEN, out,
	    ADMIN_SEED_WRAPPED_LEN, &len, err) != 0)
		return bos_err_wrap(err, "cannot wrap the TOTP seed");
	if (len != ADMIN_SEED_WRAPPED_LEN)
		return bos_err_set(err, BOS_E_HSM, "the HSM returned a wrapped seed of %zu bytes",
		    len);
	return 0;
}

static int
admin_seed_unwrap(struct admin_ctx *c, const struct admin_row *row,
    uint8_t seed[TOTP_SEED_LEN], struct bos_err *err)
{
	uint8_t aad[ADMIN_TOTP_AAD_MAX];
	size_t aad_len = admin_totp_aad(row->id, aad), len = 0;

	if (hsm_unwrap(c->hsm, row->kek_version, aad, aad_len, row->seed_wrapped,
	    ADMIN_SEED_WRAPPED_LEN, seed, TOTP_SEED_LEN, &len, err) != 0) {
		log_err("admin %s: the TOTP seed does not unwrap", row->name);
		return bos_err_wrap(err, "cannot unwrap the TOTP seed of admin %s", row->name);
	}
	if (len != TOTP_SEED_LEN) {
		secmem_wipe(seed, TOTP_SEED_LEN);
		return bos_err_set(err, BOS_E_CORRUPT, "admin %s has a TOTP seed of %zu bytes",
		    row->name, len);
	}
	return 0;
}

/*
 * SHA-256 of the canonical form of a recovery code: its 16 base32
 * characters, lower case, with the dashes (and any spaces) left out, so that
 * "ABCD-efgh-..." and "abcdefgh..." are the same code. 0, or -1 when input
 * cannot be a code. The codes carry 80 random bits: an unsalted hash is
 * enough, since nobody can enumerate 2^80 guesses.
 */
static int
admin_recovery_hash(const char *input, uint8_t out[ADMIN_RECOVERY_HASH_LEN])
{
	char canon[ADMIN_RECOVERY_CHARS];
	size_t i, n = 0, len = strnlen(input, ADMIN_RECOVERY_INPUT_MAX + 1);
	char ch;
	int r = -1;

	if (len > ADMIN_RECOVERY_INPUT_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		ch = input[i];
		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7')) ||
		    n == ADMIN_RECOVERY_CHARS)
			goto out;
		canon[n++] = ch;
	}
	if (n != ADMIN_RECOVERY_CHARS)
		goto out;
	SHA256((const unsigned char *)canon, sizeof(canon), out);
	/* success */
	r = 0;
 out:
	secmem_wipe(canon, sizeof(canon));
	return r;
}

/* Ten new codes from the HSM's generator, shown as xxxx-xxxx-xxxx-xxxx, and their hashes. */
static int
admin_recovery_new(struct admin_ctx *c, char codes[ADMIN_RECOVERY_CODES][ADMIN_RECOVERY_SIZE],
    uint8_t hashes[ADMIN_RECOVERY_CODES][ADMIN_RECOVERY_HASH_LEN], struct bos_err *err)
{
	uint8_t rnd[ADMIN_RECOVERY_CODES * ADMIN_RECOVERY_BYTES];
	char raw[ADMIN_RECOVERY_CHARS];
	size_t i, g, o;
	int r = -1;

	if (hsm_random(c->hsm, rnd, sizeof(rnd), err) != 0)
		goto out;
	for (i = 0; i < ADMIN_RECOVERY_CODES; i++) {
		admin_b32_lower(rnd + i * ADMIN_RECOVERY_BYTES, ADMIN_RECOVERY_BYTES, raw,
		    sizeof(raw));
		for (g = 0, o = 0; g < ADMIN_RECOVERY_CHARS; g += 4) {
			if (g > 0)
				codes[i][o++] = '-';
			memcpy(codes[i] + o, raw + g, 4);
			o += 4;
		}
		codes[i][o] = '\0';
		if (admin_recovery_hash(codes[i], hashes[i]) != 0) {
			bos_err_set(err, BOS_E_INVALID, "internal error: malformed recovery code");
			goto out;
		}
	}
	/* success */
	r = 0;
 out:
	secmem_wipe(rnd, sizeof(rnd));
	secmem_wipe(raw, sizeof(raw));
	return r;
}

/* ---- database -------------------------------------------------------------------- */

static int
admin_prepare(struct admin_ctx *c, const char *sql, sqlite3_stmt **st, struct bos_err *err)
{
	return store_stmt(c->store, sql, st, err);
}

/* Copy text column i into out (size bytes with the NUL); -1 if it does not fit or is NULL. */
static int
admin_col_text(sqlite3_stmt *st, int i, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (t == NULL || n < 0 || (size_t)n >= size)
		return -1;
	memcpy(out, t, (size_t)n);
	out[n] = '\0';
	return 0;
}

static int64_t
admin_col_count(sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (v > ADMIN_COUNT_MAX ? ADMIN_COUNT_MAX : v);
}

static int
admin_row_from(sqlite3_stmt *st, struct admin_row *row)
{
	const void *blob;
	int64_t kv;

	if (admin_col_text(st, 0, row->id, sizeof(row->id)) != 0 ||
	    admin_col_text(st, 1, row->name, sizeof(row->name)) != 0 ||
	    admin_col_text(st, 2, row->pw_hash, sizeof(row->pw_hash)) != 0)
		return -1;
	blob = sqlite3_column_blob(st, 3);
	if (blob == NULL || sqlite3_column_bytes(st, 3) != ADMIN_SEED_WRAPPED_LEN)
		return -1;
	memcpy(row->seed_wrapped, blob, ADMIN_SEED_WRAPPED_LEN);
	kv = sqlite3_column_int64(st, 4);
	if (kv < 1 || kv > UINT32_MAX)
		return -1;
	row->kek_version = (uint32_t)kv;
	row->last_step = sqlite3_column_int64(st, 5);
	row->failures = admin_col_count(st, 6);
	row->consecutive = admin_col_count(st, 7);
	row->locked_until = sqlite3_column_int64(st, 8);
	row->disabled = sqlite3_column_int(st, 9) != 0;
	return 0;
}

/* Load the admin whose id (by_id) or name is key. *found is 0 when there is none. */
static int
admin_load(struct admin_ctx *c, int by_id, const char *key, struct admin_row *row, int *found,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	*found = 0;
	if (admin_prepare(c, by_id ? ADMIN_COLS "WHERE id = ?1" : ADMIN_COLS "WHERE name = ?1",
	    &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_err_db(c->store, "reading an admin", err);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (admin_row_from(st, row) != 0) {
			bos_err_set(err, BOS_E_CORRUPT, "an admin row is malformed");
			goto out;
		}
		*found = 1;
	} else if (rc != SQLITE_DONE) {
		store_err_db(c->store, "reading an admin", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

/* Run a statement that binds the admin id as ?1 and up to three integers as ?2..?4. */
static int
admin_exec_id(struct admin_ctx *c, const char *sql, const char *id, int nargs,
    const int64_t *args, int *changes, const char *what, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, i;

	if (admin_prepare(c, sql, &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		goto fail;
	for (i = 0; i < nargs; i++)
		if (sqlite3_bind_int64(st, i + 2, args[i]) != SQLITE_OK)
			goto fail;
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if (changes != NULL)
		*changes = sqlite3_changes(store_db(c->store));
	/* success */
	r = 0;
	goto out;
 fail:
	store_err_db(c->store, what, err);
 out:
	store_stmt_done(c->store, st);
	return r;
}

static int
admin_count_locked(struct admin_ctx *c, int64_t *n, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (admin_prepare(c, "SELECT count(*) FROM admins", &st, err) != 0)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_err_db(c->store, "counting admins", err);
		goto out;
	}
	*n = sqlite3_column_int64(st, 0);
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

int
admin_count(struct admin_ctx *c, int64_t *n, struct bos_err *err)
{
	int r;

	admin_lock(c);
	r = admin_count_locked(c, n, err);
	admin_unlock(c);
	return r;
}

/* Read a row under the lock (phase 1 of a sign-in). */
static int
admin_load_locked(struct admin_ctx *c, int by_id, const char *key, struct admin_row *row,
    int *found, struct bos_err *err)
{
	int r;

	admin_lock(c);
	r = admin_load(c, by_id, key, row, found, err);
	admin_unlock(c);
	return r;
}

/* End a transaction: commit when r is 0, else roll back keeping the first error. */
static int
admin_end(struct admin_ctx *c, int r, struct bos_err *err)
{
	if (r == 0)
		return store_commit(c->store, err);
	if (store_rollback(c->store, NULL) != 0)
		log_err("admin store: rollback failed");
	return -1;
}

/* ---- creating the first admin ---------------------------------------------------- */

static int
admin_insert_row(struct admin_ctx *c, const char *id, const char *name,
    const struct admin_new *nw, int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (admin_prepare(c, "INSERT INTO admins (id, name, pw_hash, totp_seed_wrapped,"
	    " totp_kek_version, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, nw->pw_hash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 4, nw->seed_wrapped, ADMIN_SEED_WRAPPED_LEN,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, c->kek_version) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(c->store, "storing an admin", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

static int
admin_insert_codes(struct admin_ctx *c, const char *id, const struct admin_new *nw,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int r = -1;

	if (admin_prepare(c, "INSERT INTO recovery_codes (admin_id, code_hash, used_at)"
	    " VALUES (?1, ?2, NULL)", &st, err) != 0)
		return -1;
	for (i = 0; i < ADMIN_RECOVERY_CODES; i++) {
		if (sqlite3_reset(st) != SQLITE_OK ||
		    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_blob(st, 2, nw->code_hash[i], ADMIN_RECOVERY_HASH_LEN,
		    SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
			store_err_db(c->store, "storing recovery codes", err);
			goto out;
		}
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

/*
 * Inside one transaction: for the first admin, that there is none yet; for
 * any other, that the name is free (the UNIQUE column would refuse it too,
 * but as a database error). Then the admin and its codes.
 */
static int
admin_insert(struct admin_ctx *c, const char *id, const char *name,
    const struct admin_new *nw, int64_t now, int first, struct bos_err *err)
{
	struct admin_row row;
	int64_t n = 0;
	int found = 0, r = -1;

	memset(&row, 0, sizeof(row));
	if (store_begin(c->store, err) != 0)
		return -1;
	if (first && admin_count_locked(c, &n, err) != 0)
		goto out;
	if (first && n > 0) {
		bos_err_set(err, BOS_E_EXISTS, "an admin already exists; further admins are "
		    "added by a signed-in admin");
		goto out;
	}
	if (!first && admin_load(c, 0, name, &row, &found, err) != 0)
		goto out;
	if (found) {
		bos_err_set(err, BOS_E_EXISTS, "an admin named '%s' exists already", name);
		goto out;
	}
	if (admin_insert_row(c, id, name, nw, now, err) != 0 ||
	    admin_insert_codes(c, id, nw, err) != 0)
		goto out;
	/* success */
	r = 0;
 out:
	secmem_wipe(&row, sizeof(row));
	return admin_end(c, r, err);
}

int
admin_new_prepare(struct admin_ctx *c, const char *name, const char *pw, size_t pw_len,
    struct admin_new *nw, struct admin_secrets *out, struct bos_err *err)
{
	uint8_t seed[TOTP_SEED_LEN];
	int r = -1;

	memset(nw, 0, sizeof(*nw));
	memset(out, 0, sizeof(*out));
	if (password_hash(pw, pw_len, nw->pw_hash, sizeof(nw->pw_hash), err) != 0 ||
	    admin_id_new(out->id, err) != 0 || hsm_random(c->hsm, seed, sizeof(seed), err) != 0 ||
	    admin_seed_wrap(c, out->id, seed, nw->seed_wrapped, err) != 0 ||
	    admin_recovery_new(c, out->recovery, nw->code_hash, err) != 0)
		goto out;
	if (totp_base32(seed, sizeof(seed), out->totp_secret, sizeof(out->totp_secret)) != 0 ||
	    totp_uri(name, out->totp_secret, out->totp_uri, sizeof(out->totp_uri)) != 0) {
		bos_err_set(err, BOS_E_INVALID, "internal error: cannot encode the TOTP seed");
		goto out;
	}
	/* success */
	r = 0;
 out:
	secmem_wipe(seed, sizeof(seed));
	if (r != 0) {
		admin_new_wipe(nw);
		admin_secrets_wipe(out);
	}
	return r;
}

void
admin_new_wipe(struct admin_new *nw)
{
	secmem_wipe(nw, sizeof(*nw));
}

int
admin_new_check(struct admin_ctx *c, const char *name, const char *pw, size_t pw_len,
    int first, struct bos_err *err)
{
	struct admin_row row;
	int64_t n = 0;
	int found = 0, r;

	if (c == NULL || c->store == NULL || c->hsm == NULL || c->kek_version == 0)
		return bos_err_set(err, BOS_E_CONFIG, "admin store used without a database, an "
		    "HSM or a KEK version");
	if (!admin_name_valid(name))
		return bos_err_set(err, BOS_E_INVALID, "the name must be 1 to %d of a-z, 0-9, "
		    "'.', '_' and '-'", ADMIN_NAME_MAX);
	/* The name is shown in lists and sign-in records: never a card number. */
	if (card_text_has_pan(name))
		return bos_err_set(err, BOS_E_INVALID, "the name must not contain a card "
		    "number" CARD_TEXT_HINT);
	if (password_policy_check(pw, pw_len, err) != 0)
		return -1;
	/* Answer "exists" before spending a password hash on it. */
	if (first)
		return admin_count(c, &n, err) != 0 ? -1 : n == 0 ? 0 :
		    bos_err_set(err, BOS_E_EXISTS, "an admin already exists; further admins are "
		    "added by a signed-in admin");
	memset(&row, 0, sizeof(row));
	r = admin_load_locked(c, 0, name, &row, &found, err);
	secmem_wipe(&row, sizeof(row));
	if (r != 0)
		return -1;
	return found ? bos_err_set(err, BOS_E_EXISTS, "an admin named '%s' exists already",
	    name) : 0;
}

int
admin_new_store(struct admin_ctx *c, const char *name, const struct admin_new *nw,
    const char *id, int64_t now, int first, struct bos_err *err)
{
	int r;

	admin_lock(c);
	r = admin_insert(c, id, name, nw, now, first, err);
	admin_unlock(c);
	if (r == 0)
		log_info("admin %s %s (%s) with TOTP and %d recovery codes", name,
		    first ? "created" : "added", id, ADMIN_RECOVERY_CODES);
	return r;
}

int
admin_create_first(struct admin_ctx *c, const char *name, const char *pw, size_t pw_len,
    int64_t now, struct admin_secrets *out, struct bos_err *err)
{
	struct admin_new nw;
	int r = -1;

	memset(&nw, 0, sizeof(nw));
	memset(out, 0, sizeof(*out));
	if (admin_new_check(c, name, pw, pw_len, 1, err) != 0 ||
	    admin_new_prepare(c, name, pw, pw_len, &nw, out, err) != 0 ||
	    admin_new_store(c, name, &nw, out->id, now, 1, err) != 0)
		goto out;
	/* success */
	r = 0;
 out:
	admin_new_wipe(&nw);
	if (r != 0)
		admin_secrets_wipe(out);
	return r;
}

/* ---- sign-in --------------------------------------------------------------------- */

/*
 * Refuse without checking anything when the account is disabled (unless a
 * recovery code is offered, the way out) or locked. Returns 1 when refused
 * (res->outcome set), else 0. No argon2 work is done for a refused attempt,
 * and nothing is counted, so a locked account costs an attacker's requests
 * nothing and tells nothing about the password.
 */
static int
admin_gate(const struct admin_row *row, int with_recovery, int64_t now, struct admin_result *res)
{
	int64_t left;

	if (row->disabled && !with_recovery) {
		res->outcome = ADMIN_DISABLED;
		return 1;
	}
	if (row->locked_until > now) {
		left = row->locked_until - now;
		res->outcome = ADMIN_LOCKED;
		res->retry_after = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
		return 1;
	}
	return 0;
}

/* Count a failure; lock at lockout_failures, disable at disable_failures in a row. */
static int
admin_fail(struct admin_ctx *c, const struct admin_row *row, int64_t now,
    struct admin_result *res, struct bos_err *err)
{
	const struct admin_policy *p = &c->policy;
	int64_t a[4];

	a[0] = row->failures + 1;          /* both <= ADMIN_COUNT_MAX: no overflow */
	a[1] = row->consecutive + 1 > ADMIN_COUNT_MAX ? ADMIN_COUNT_MAX : row->consecutive + 1;
	a[2] = row->locked_until;
	a[3] = row->disabled;
	if (a[0] >= p->lockout_failures) {
		a[0] = 0; /* a lock starts a new count */
		if (__builtin_add_overflow(now, (int64_t)p->lockout_seconds, &a[2]))
			a[2] = INT64_MAX;
		res->locked_now = 1;
		res->retry_after = p->lockout_seconds;
	}
	if (a[1] >= p->disable_failures && !row->disabled) {
		a[3] = 1;
		res->disabled_now = 1;
	}
	res->outcome = ADMIN_BAD;
	return admin_exec_id(c, "UPDATE admins SET failures = ?2, consecutive_failures = ?3,"
	    " locked_until = ?4, disabled = ?5 WHERE id = ?1", row->id, 4, a, NULL,
	    "counting a failed sign-in", err);
}

/*
 * Accept a TOTP step once: the single conditional UPDATE is the whole check,
 * so of two requests with the same code exactly one changes the row.
 * Returns 1 accepted, 0 replayed (a step at or before the last one), -1 error.
 */
static int
admin_totp_accept(struct admin_ctx *c, const char *id, uint64_t step, struct bos_err *err)
{
	int64_t a[1];
	int changes = 0;

	if (step > INT64_MAX)
		return 0;
	a[0] = (int64_t)step;
	if (admin_exec_id(c, "UPDATE admins SET totp_last_step = ?2"
	    " WHERE id = ?1 AND totp_last_step < ?2", id, 1, a, &changes,
	    "recording a TOTP step", err) != 0)
		return -1;
	return changes == 1;
}

/* Use a recovery code once (same single-statement rule). 1 used, 0 unknown or used, -1. */
static int
admin_recovery_consume(struct admin_ctx *c, const char *id,
    const uint8_t hash[ADMIN_RECOVERY_HASH_LEN], int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (admin_prepare(c, "UPDATE recovery_codes SET used_at = ?3"
	    " WHERE admin_id = ?1 AND code_hash = ?2 AND used_at IS NULL", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, hash, ADMIN_RECOVERY_HASH_LEN, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(c->store, "using a recovery code", err);
		goto out;
	}
	r = sqlite3_changes(store_db(c->store)) == 1;
 out:
	store_stmt_done(c->store, st);
	return r;
}

static int
admin_clear(struct admin_ctx *c, const char *id, int also_lock, struct bos_err *err)
{
	return admin_exec_id(c, also_lock ?
	    "UPDATE admins SET failures = 0, consecutive_failures = 0, locked_until = 0,"
	    " disabled = 0 WHERE id = ?1" :
	    "UPDATE admins SET failures = 0, consecutive_failures = 0 WHERE id = ?1",
	    id, 0, NULL, NULL, "recording a sign-in", err);
}

/* Password right and a recovery code offered: consume it, or count a failure. */
static int
admin_decide_recovery(struct admin_ctx *c, const struct admin_row *row,
    const struct admin_attempt *at, int64_t now, struct admin_result *res, struct bos_err *err)
{
	int used = 0;

	if (at->recovery_wellformed &&
	    (used = admin_recovery_consume(c, row->id, at->recovery_hash, now, err)) < 0)
		return -1;
	if (!used)
		return admin_fail(c, row, now, res, err);
	res->outcome = ADMIN_OK_FULL;
	res->recovered = 1;
	return admin_clear(c, row->id, 1, err);
}

/* Password right and a TOTP code offered: accept its step once, or count a failure. */
static int
admin_decide_totp(struct admin_ctx *c, const struct admin_row *row,
    const struct admin_attempt *at, int64_t now, struct admin_result *res, struct bos_err *err)
{
	int fresh = 0;

	if (at->totp_ok && (fresh = admin_totp_accept(c, row->id, at->totp_step, err)) < 0)
		return -1;
	if (!fresh) {
		res->replayed = at->totp_ok;
		return admin_fail(c, row, now, res, err);
	}
	res->outcome = ADMIN_OK_FULL;
	return admin_clear(c, row->id, 0, err);
}

/*
 * Inside the transaction: re-read the row (another request may have locked
 * it while this one was hashing), then apply the attempt.
 */
static int
admin_decide(struct admin_ctx *c, const char *id, const struct admin_attempt *at, int64_t now,
    struct admin_result *res, struct bos_err *err)
{
	struct admin_row row;
	int found = 0, r = -1;

	memset(&row, 0, sizeof(row));
	if (admin_load(c, 1, id, &row, &found, err) != 0)
		goto out;
	if (!found) {
		res->outcome = ADMIN_BAD; /* deleted meanwhile */
		r = 0;
	} else if (admin_gate(&row, at->has_recovery, now, res)) {
		r = 0;
	} else if (!at->pw_ok) {
		r = admin_fail(c, &row, now, res, err);
	} else if (at->has_recovery) {
		r = admin_decide_recovery(c, &row, at, now, res, err);
	} else if (at->has_totp) {
		r = admin_decide_totp(c, &row, at, now, res, err);
	} else {
		res->outcome = ADMIN_OK_PASSWORD;
		r = 0;
	}
 out:
	secmem_wipe(&row, sizeof(row));
	return r;
}

/* Log and count what an attempt changed; outside the database lock. */
static void
admin_report(struct admin_ctx *c, const struct admin_result *res)
{
	if (res->locked_now) {
		log_warn("admin %s locked for %u s after %u failed sign-ins", res->name,
		    c->policy.lockout_seconds, c->policy.lockout_failures);
		if (c->metrics != NULL)
			metrics_count_lockout(c->metrics);
	}
	if (res->disabled_now)
		log_warn("admin %s disabled after %u failed sign-ins in a row; a reset by another "
		    "admin or a recovery code enables it again", res->name,
		    c->policy.disable_failures);
	if (res->recovered)
		log_warn("admin %s signed in with a recovery code; lock and disable cleared",
		    res->name);
}

static int
admin_finish(struct admin_ctx *c, const char *id, const struct admin_attempt *at, int64_t now,
    struct admin_result *res, struct bos_err *err)
{
	int r;

	admin_lock(c);
	/*
	 * What is decided here (a TOTP step, a failure, a used recovery code) is
	 * answered at once: it must commit by itself, not as a savepoint of a
	 * transaction that could still roll back (issue #12 item 16).
	 */
	if (store_depth(c->store) != 0)
		r = bos_err_set(err, BOS_E_DB, "internal error: a sign-in inside an open "
		    "transaction");
	else if ((r = store_begin(c->store, err)) == 0)
		r = admin_end(c, admin_decide(c, id, at, now, res, err), err);
	admin_unlock(c);
	if (r == 0)
		admin_report(c, res);
	return r;
}

/*
 * The unlocked part of checking a second factor. A TOTP code is checked
 * whenever one is given, whether the password was right or not, so the time
 * taken does not tell which of the two was wrong.
 */
static int
admin_check_second(struct admin_ctx *c, const struct admin_row *row, const char *totp,
    const char *recovery, int64_t now, struct admin_attempt *at, struct bos_err *err)
{
	uint8_t seed[TOTP_SEED_LEN];
	int v;

	at->has_totp = totp != NULL;
	at->has_recovery = recovery != NULL;
	if (recovery != NULL)
		at->recovery_wellformed = admin_recovery_hash(recovery, at->recovery_hash) == 0;
	if (totp == NULL)
		return 0;
	if (admin_seed_unwrap(c, row, seed, err) != 0)
		return -1;
	v = totp_verify(seed, sizeof(seed), totp, c->totp_now != 0 ? c->totp_now : now,
	    &at->totp_step);
	secmem_wipe(seed, sizeof(seed));
	if (v < 0)
		return bos_err_set(err, BOS_E_INVALID, "internal error: TOTP computation failed");
	at->totp_ok = v;
	return 0;
}

static int
admin_policy_ok(const struct admin_ctx *c, struct bos_err *err)
{
	const struct admin_policy *p = &c->policy;

	if (c->store == NULL || c->hsm == NULL || p->lockout_failures == 0 ||
	    p->lockout_seconds == 0 || p->disable_failures == 0)
		return bos_err_set(err, BOS_E_CONFIG, "admin sign-in used without a database, an "
		    "HSM or a lockout policy");
	return 0;
}

int
admin_login(struct admin_ctx *c, const struct admin_login *in, int64_t now,
    struct admin_result *res, struct bos_err *err)
{
	struct admin_row row;
	struct admin_attempt at;
	int found = 0, r = -1;

	memset(res, 0, sizeof(*res));
	memset(&row, 0, sizeof(row));
	memset(&at, 0, sizeof(at));
	if (admin_policy_ok(c, err) != 0)
		return -1;
	if (in->totp != NULL && in->recovery_code != NULL)
		return bos_err_set(err, BOS_E_INVALID, "give a TOTP code or a recovery code, not "
		    "both");
	if (admin_name_valid(in->name) &&
	    admin_load_locked(c, 0, in->name, &row, &found, err) != 0)
		goto out;
	if (!found) {
		/* As slow as a real account, so the answer does not tell names apart. */
		password_verify_dummy(in->password, in->password_len);
		res->outcome = ADMIN_BAD;
		r = 0;
		goto out;
	}
	memcpy(res->id, row.id, sizeof(res->id));
	memcpy(res->name, row.name, sizeof(res->name));
	if (admin_gate(&row, in->recovery_code != NULL, now, res)) {
		r = 0;
		goto out;
	}
	if ((at.pw_ok = password_verify(row.pw_hash, in->password, in->password_len)) < 0) {
		bos_err_set(err, BOS_E_CORRUPT, "the password hash of admin %s is unusable",
		    row.name);
		goto out;
	}
	if (admin_check_second(c, &row, in->totp, in->recovery_code, now, &at, err) != 0)
		goto out;
	r = admin_finish(c, row.id, &at, now, res, err);
 out:
	secmem_wipe(&row, sizeof(row));
	secmem_wipe(&at, sizeof(at));
	return r;
}

int
admin_second_factor(struct admin_ctx *c, const char *admin_id, const char *totp, int64_t now,
    struct admin_result *res, struct bos_err *err)
{
	struct admin_row row;
	struct admin_attempt at;
	int found = 0, r = -1;

	memset(res, 0, sizeof(*res));
	memset(&row, 0, sizeof(row));
	memset(&at, 0, sizeof(at));
	if (admin_policy_ok(c, err) != 0)
		return -1;
	if (admin_load_locked(c, 1, admin_id, &row, &found, err) != 0)
		goto out;
	if (!found) {
		res->outcome = ADMIN_BAD;
		r = 0;
		goto out;
	}
	memcpy(res->id, row.id, sizeof(res->id));
	memcpy(res->name, row.name, sizeof(res->name));
	if (admin_gate(&row, 0, now, res)) {
		r = 0;
		goto out;
	}
	/* The password was checked when the session was made; a missing code is a wrong one. */
	at.pw_ok = 1;
	if (admin_check_second(c, &row, totp != NULL ? totp : "", NULL, now, &at, err) != 0)
		goto out;
	r = admin_finish(c, row.id, &at, now, res, err);
 out:
	secmem_wipe(&row, sizeof(row));
	secmem_wipe(&at, sizeof(at));
	return r;
}

/* ---- administration -------------------------------------------------------------- */

static int
admin_reset_locked(struct admin_ctx *c, const char *name, char id_out[ADMIN_ID_SIZE],
    struct bos_err *err)
{
	struct admin_row row;
	int found = 0, r = -1;

	memset(&row, 0, sizeof(row));
	if (store_begin(c->store, err) != 0)
		return -1;
	if (admin_load(c, 0, name, &row, &found, err) != 0)
		goto out;
	if (!found) {
		bos_err_set(err, BOS_E_NOTFOUND, "no admin named '%s'", name);
		goto out;
	}
	if (admin_clear(c, row.id, 1, err) != 0)
		goto out;
	memcpy(id_out, row.id, ADMIN_ID_SIZE);
	/* success */
	r = 0;
 out:
	secmem_wipe(&row, sizeof(row));
	return admin_end(c, r, err);
}

int
admin_reset(struct admin_ctx *c, const char *name, char id_out[ADMIN_ID_SIZE],
    struct bos_err *err)
{
	int r;

	id_out[0] = '\0';
	if (!admin_name_valid(name))
		return bos_err_set(err, BOS_E_NOTFOUND, "no such admin: names are 1 to %d of a-z, "
		    "0-9, '.', '_' and '-'", ADMIN_NAME_MAX);
	admin_lock(c);
	r = admin_reset_locked(c, name, id_out, err);
	admin_unlock(c);
	if (r == 0)
		log_warn("admin %s reset: lock, failure counts and disable cleared", name);
	return r;
}

static int
admin_info_from(sqlite3_stmt *st, struct admin_info *ai)
{
	memset(ai, 0, sizeof(*ai));
	if (admin_col_text(st, 0, ai->id, sizeof(ai->id)) != 0 ||
	    admin_col_text(st, 1, ai->name, sizeof(ai->name)) != 0)
		return -1;
	ai->created_at = sqlite3_column_int64(st, 2);
	ai->locked_until = sqlite3_column_int64(st, 3);
	ai->failures = (uint32_t)admin_col_count(st, 4);
	ai->consecutive_failures = (uint32_t)admin_col_count(st, 5);
	ai->disabled = sqlite3_column_int(st, 6) != 0;
	ai->recovery_codes_left = (uint32_t)admin_col_count(st, 7);
	return 0;
}

static int
admin_list_locked(struct admin_ctx *c, int (*cb)(const struct admin_info *, void *), void *arg,
    struct bos_err *err)
{
	struct admin_info ai;
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	if (admin_prepare(c, "SELECT a.id, a.name, a.created_at, a.locked_until, a.failures,"
	    " a.consecutive_failures, a.disabled, (SELECT count(*) FROM recovery_codes AS rc"
	    " WHERE rc.admin_id = a.id AND rc.used_at IS NULL) FROM admins AS a ORDER BY a.name",
	    &st, err) != 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (admin_info_from(st, &ai) != 0) {
			bos_err_set(err, BOS_E_CORRUPT, "an admin row is malformed");
			goto out;
		}
		if (cb(&ai, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(c->store, "listing admins", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

int
admin_list(struct admin_ctx *c, int (*cb)(const struct admin_info *, void *), void *arg,
    struct bos_err *err)
{
	int r;

	admin_lock(c);
	r = admin_list_locked(c, cb, arg, err);
	admin_unlock(c);
	return r;
}
