/* The credential store; see cred.h and docs/STORE.md. */
#include "store/cred.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hsmc/hsm_client.h"
#include "json_alloc.h"
#include "randid.h"
#include "log.h"
#include "store/seal.h"
#include "secmem.h"
#include "store/store.h"

/* Random bytes behind an id: 128 bits, 26 base32 characters. */
#define CRED_ID_CHARS (CRED_ID_LEN - (sizeof(CRED_ID_PREFIX) - 1))

/*
 * AAD: label with its NUL || u16 id length || id || u32 version (big-endian)
 * || SHA-256 of the clear columns (cred_ident_digest). Schema 5 and earlier
 * sealed with the "bos-cred-v1" label and no digest; only cred_reseal_old
 * still builds that form, to open what it re-seals.
 */
#define CRED_AAD_LABEL "bos-cred-v2"
#define CRED_AAD_V1_LABEL "bos-cred-v1"
#define CRED_AAD_MAX (sizeof(CRED_AAD_LABEL) + 2 + CRED_ID_LEN + 4 + SHA256_DIGEST_LENGTH)
_Static_assert(sizeof(CRED_AAD_LABEL) == sizeof(CRED_AAD_V1_LABEL), "AAD labels differ in length");
/* The clear columns, each a u16 length and its bytes. */
#define CRED_IDENT_ENC_MAX (6 * 2 + sizeof(struct cred_ident))

/* A wrapped DEK: bos-hsmd's AES-256-GCM blob around the 32-byte key. */
#define CRED_WRAPPED_LEN (HSM_IV_LEN + SEAL_KEY_LEN + HSM_TAG_LEN)

/* Columns of every metadata query, in the order cred_meta_from_row() reads them. */
#define CRED_META_COLS \
	"SELECT c.id, c.name, c.type, c.service, c.metadata, c.current_version, c.created_at," \
	" c.updated_at, c.revoked_at, v.card_brand, v.card_first6, v.card_last4" \
	" FROM credentials AS c JOIN credential_versions AS v" \
	" ON v.cred_id = c.id AND v.version = c.current_version "

/* A secret ready to seal: for a card, the normalised digits and what may be shown. */
struct cred_plain {
	const uint8_t *p;
	size_t len;
	int is_card;
	char pan[CARD_PAN_MAX + 1];
	const char *brand;
	char first6[CARD_FIRST6_SIZE], last4[CARD_LAST4_SIZE];
};

/* One sealed version as stored: wrapped DEK and sealed payload. */
struct cred_sealed {
	uint8_t wrapped[CRED_WRAPPED_LEN];
	size_t wrapped_len;
	uint8_t *ct;
	size_t ct_len;
};

/* "cr_" + 26 base32 characters: 130 random bits. */
static int
cred_id_new(char id[CRED_ID_LEN + 1], struct bos_err *err)
{
	if (randid_new(CRED_ID_PREFIX, CRED_ID_CHARS, id, CRED_ID_LEN + 1) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	return 0;
}

struct cred_aad {
	uint8_t b[CRED_AAD_MAX];
	size_t len;
};

static void
cred_put_str16(uint8_t *out, size_t *n, const char *s)
{
	size_t len = strlen(s);

	out[(*n)++] = (uint8_t)(len >> 8);
	out[(*n)++] = (uint8_t)len;
	memcpy(out + *n, s, len);
	*n += len;
}

/*
 * SHA-256 of the clear columns a reader is shown and policy decides on. Each
 * is length-prefixed, so no two sets share an encoding. Hashed because
 * bos-hsmd takes at most 256 bytes of AAD and these can be 250.
 */
static void
cred_ident_digest(const struct cred_ident *ci, uint8_t out[SHA256_DIGEST_LENGTH])
{
	uint8_t enc[CRED_IDENT_ENC_MAX];
	size_t n = 0;

	cred_put_str16(enc, &n, ci->type);
	cred_put_str16(enc, &n, ci->name);
	cred_put_str16(enc, &n, ci->service);
	cred_put_str16(enc, &n, ci->card_brand);
	cred_put_str16(enc, &n, ci->card_first6);
	cred_put_str16(enc, &n, ci->card_last4);
	SHA256(enc, n, out);
}

/*
 * The AAD of one credential version. Every field has a fixed size or a length
 * prefix, so no two rows share an encoding, and the label keeps these blobs
 * apart from any other use of the same keys. ci NULL: the form of schema 5
 * and earlier (cred_reseal_old only).
 */
static void
cred_aad(const char *id, uint32_t version, const struct cred_ident *ci, struct cred_aad *a)
{
	size_t n = 0;

	/* Both labels have the same length, with their NUL. */
	memcpy(a->b, ci != NULL ? CRED_AAD_LABEL : CRED_AAD_V1_LABEL, sizeof(CRED_AAD_LABEL));
	n += sizeof(CRED_AAD_LABEL);
	cred_put_str16(a->b, &n, id);
	a->b[n++] = (uint8_t)(version >> 24);
	a->b[n++] = (uint8_t)(version >> 16);
	a->b[n++] = (uint8_t)(version >> 8);
	a->b[n++] = (uint8_t)version;
	if (ci != NULL) {
		cred_ident_digest(ci, a->b + n);
		n += SHA256_DIGEST_LENGTH;
	}
	a->len = n;
}

/* Copy s into a field of size cap; 0, or -1 when it does not fit (damage). */
static int
cred_field_set(char *dst, size_t cap, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n >= cap)
		return -1;
	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
	return 0;
}

/* ---- validation ---------------------------------------------------------------- */

static int
cred_name_char(char c)
{
	/*
	 * No '/': a name is one segment of the policy path credentials/SERVICE/NAME
	 * and of the URL /credentials/{id}, so a slash would let it escape a
	 * "credentials/SERVICE/ *" rule or the route.
	 */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_' || c == '-' || c == ' ';
}

static int
cred_check_name(const char *name, struct bos_err *err)
{
	size_t i, n = name ? strnlen(name, CRED_NAME_MAX + 1) : 0;

	if (n == 0 || n > CRED_NAME_MAX)
		return bos_err_set(err, BOS_E_INVALID, "name must be 1 to %d characters",
		    CRED_NAME_MAX);
	for (i = 0; i < n; i++)
		if (!cred_name_char(name[i]))
			return bos_err_set(err, BOS_E_INVALID, "name may contain only letters, "
			    "digits, spaces and . _ -");
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return bos_err_set(err, BOS_E_INVALID, "name must not be '.' or '..'");
	if (name[0] == ' ' || name[n - 1] == ' ')
		return bos_err_set(err, BOS_E_INVALID, "name must not start or end with a space");
	if (credname_id_valid(name))
		return bos_err_set(err, BOS_E_INVALID, "name must not look like a credential id "
		    "(cr_ and 26 letters and digits)");
	if (card_text_has_pan(name))
		return bos_err_set(err, BOS_E_INVALID, "name must not contain a card number"
		    CARD_TEXT_HINT);
	return 0;
}

static int
cred_check_service(const char *svc, struct bos_err *err)
{
	size_t i, n = svc ? strnlen(svc, CRED_SERVICE_MAX + 1) : 0;
	char c;

	if (n == 0 || n > CRED_SERVICE_MAX)
		return bos_err_set(err, BOS_E_INVALID, "service must be 1 to %d characters",
		    CRED_SERVICE_MAX);
	for (i = 0; i < n; i++) {
		c = svc[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return bos_err_set(err, BOS_E_INVALID, "service may contain only lowercase "
			    "letters, digits and . _ -");
	}
	if (card_text_has_pan(svc))
		return bos_err_set(err, BOS_E_INVALID, "service must not contain a card number"
		    CARD_TEXT_HINT);
	return 0;
}

static int
cred_err_pan_in_metadata(struct bos_err *err)
{
	return bos_err_set(err, BOS_E_INVALID, "metadata must not contain a card number"
	    CARD_TEXT_HINT "; store a card as a card credential");
}

static int
cred_check_entry(const char *key, const json_t *v, struct bos_err *err)
{
	if (card_key_is_cvv(key))
		return bos_err_set(err, BOS_E_INVALID, "cards never store a CVV/CVC "
		    "(PCI DSS 3.3.1.2): remove the '%.64s' field", key);
	if (card_text_has_pan(key) || (json_is_string(v) && card_text_has_pan(json_string_value(v))))
		return cred_err_pan_in_metadata(err);
	if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
		return bos_err_set(err, BOS_E_INVALID, "metadata values must be strings, numbers "
		    "or booleans: change '%.64s'", key);
	return 0;
}

/*
 * Metadata is shown to anyone who may see the credential, so it must hold
 * nothing secret: no CVV field, no card number, only flat scalar values.
 * *canonical receives the compact, key-sorted form that is stored.
 *
 * Card numbers are looked for in each key and string value (escapes
 * decoded), and in the input and stored texts as a whole, which covers
 * numbers however they are written (4111111111111111, 4111111111111111.0).
 * JSON puts a ':' or ',' between tokens, so no run joins two values.
 */
static int
cred_check_metadata(const char *text, char **canonical, struct bos_err *err)
{
	json_t *root = NULL, *v;
	json_error_t jerr;
	const char *key;
	size_t n;
	int r = -1;

	*canonical = NULL;
	if (text == NULL)
		text = "{}";
	if ((n = strnlen(text, CRED_METADATA_MAX + 1)) > CRED_METADATA_MAX)
		return bos_err_set(err, BOS_E_INVALID, "metadata must be at most %d bytes",
		    CRED_METADATA_MAX);
	/* jansson's own message quotes the input, which may hold a card number: not used. */
	if ((root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		bos_err_set(err, BOS_E_INVALID, "metadata is not valid JSON (line %d, column %d) "
		    "or repeats a key", jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(root) || json_object_size(root) > CRED_METADATA_KEYS_MAX) {
		bos_err_set(err, BOS_E_INVALID, "metadata must be a JSON object with at most %d "
		    "keys", CRED_METADATA_KEYS_MAX);
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (cred_check_entry(key, v, err) != 0)
			goto out;
	}
	*canonical = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (*canonical == NULL || strlen(*canonical) > CRED_METADATA_MAX) {
		bos_err_set(err, BOS_E_INVALID, "metadata must be at most %d bytes",
		    CRED_METADATA_MAX);
		goto out;
	}
	if (card_text_has_pan(text) || card_text_has_pan(*canonical)) {
		cred_err_pan_in_metadata(err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	if (r != 0) {
		json_alloc_release(*canonical);
		*canonical = NULL;
	}
	json_decref(root);
	return r;
}

/*
 * Check a secret for its type. A card's secret is the card number and
 * nothing else; what is sealed is its normalised digits, and brand, first 6
 * and last 4 are kept for display.
 */
static int
cred_plain_prepare(enum cred_type type, const uint8_t *secret, size_t len,
    struct cred_plain *pl, struct bos_err *err)
{
	size_t n = 0;

	memset(pl, 0, sizeof(*pl));
	if (secret == NULL || len == 0 || len > CRED_SECRET_MAX)
		return bos_err_set(err, BOS_E_INVALID, "secret must be 1 to %d bytes",
		    CRED_SECRET_MAX);
	if (type != CRED_CARD) {
		pl->p = secret;
		pl->len = len;
		return 0;
	}
	if (card_normalise((const char *)secret, len, pl->pan, &n, err) != 0)
		return -1;
	pl->is_card = 1;
	pl->p = (const uint8_t *)pl->pan;
	pl->len = n;
	pl->brand = card_brand(pl->pan, n);
	memcpy(pl->first6, pl->pan, 6);
	memcpy(pl->last4, pl->pan + n - 4, 4);
	return 0;
}

static void
cred_plain_wipe(struct cred_plain *pl)
{
	secmem_wipe(pl, sizeof(*pl));
}

/* ---- sealing ------------------------------------------------------------------- */

/*
 * Seal one version: a fresh DEK encrypts the secret, then bos-hsmd wraps the
 * DEK under the current KEK. Both use the same AAD, so neither the payload
 * nor the wrapped DEK can be moved to another row, nor kept under changed
 * clear columns.
 */
static int
cred_seal(struct cred_ctx *c, const char *id, uint32_t version, const struct cred_aad *aad,
    const struct cred_plain *pl, struct cred_sealed *out, struct bos_err *err)
{
	uint8_t dek[SEAL_KEY_LEN];
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (RAND_bytes(dek, sizeof(dek)) != 1) {
		bos_err_set(err, BOS_E_IO, "the random generator failed");
		goto out;
	}
	if (seal_encrypt(dek, aad->b, aad->len, pl->p, pl->len, &out->ct, &out->ct_len,
	    err) != 0)
		goto out;
	if (hsm_wrap(c->hsm, c->kek_version, aad->b, aad->len, dek, sizeof(dek), out->wrapped,
	    sizeof(out->wrapped), &out->wrapped_len, err) != 0) {
		bos_err_wrap(err, "sealing credential %s version %u", id, version);
		goto out;
	}
	if (out->wrapped_len != CRED_WRAPPED_LEN) {
		bos_err_set(err, BOS_E_HSM, "bos-hsmd wrapped a key into %zu bytes, not %d",
		    out->wrapped_len, CRED_WRAPPED_LEN);
		goto out;
	}
	/* success */
	r = 0;
 out:
	secmem_wipe(dek, sizeof(dek));
	if (r != 0) {
		free(out->ct);
		out->ct = NULL;
	}
	return r;
}

static int
cred_err_decrypt(const char *id, uint32_t version, struct bos_err *err)
{
	return bos_err_set(err, BOS_E_AUTH, "credential %s version %u failed to decrypt: the "
	    "stored ciphertext is damaged or does not belong to this credential, or its name, "
	    "service, type or card digits were changed", id, version);
}

/*
 * Open one version. The AAD comes from the row being read (its id, version
 * and clear columns), never from the blobs, so a blob copied from elsewhere,
 * or a row whose clear columns were edited, does not open. The DEK lives on
 * the stack only between unwrap and decrypt.
 */
static int
cred_unseal(struct cred_ctx *c, const char *id, uint32_t version, const struct cred_aad *aad,
    const struct cred_stored *s, uint8_t **pt, size_t *pt_len, struct bos_err *err)
{
	uint8_t dek[SEAL_KEY_LEN];
	size_t dek_len = 0;
	int r = -1;

	if (s->wrapped_len != CRED_WRAPPED_LEN || s->ct_len < SEAL_OVERHEAD) {
		cred_err_decrypt(id, version, err);
		goto out;
	}
	if (hsm_unwrap(c->hsm, s->kek_version, aad->b, aad->len, s->wrapped, s->wrapped_len, dek,
	    sizeof(dek), &dek_len, err) != 0) {
		/* A dead bos-hsmd or a missing KEK is not damage to the data: say so. */
		if (err == NULL || err->code == BOS_E_AUTH)
			cred_err_decrypt(id, version, err);
		else
			bos_err_wrap(err, "reading credential %s version %u", id, version);
		goto out;
	}
	if (dek_len != sizeof(dek) || seal_decrypt(dek, aad->b, aad->len, s->ct, s->ct_len, pt,
	    pt_len, NULL) != 0) {
		cred_err_decrypt(id, version, err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	secmem_wipe(dek, sizeof(dek));
	return r;
}

/* ---- rows ---------------------------------------------------------------------- */

static int
cred_prepare(struct cred_ctx *c, const char *sql, sqlite3_stmt **st, struct bos_err *err)
{
	return store_stmt(c->store, sql, st, err);
}

/* Bind text or NULL. */
static int
cred_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static int
cred_insert_credential(struct cred_ctx *c, const char *id, const struct cred_new *n,
    const char *metadata, int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	if (cred_prepare(c, "INSERT INTO credentials (id, name, type, service, metadata,"
	    " current_version, created_at, updated_at, revoked_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6, NULL)", &st, err) != 0)
		return -1;
	if (cred_bind_text(st, 1, id) != SQLITE_OK || cred_bind_text(st, 2, n->name) != SQLITE_OK ||
	    cred_bind_text(st, 3, credname_type(n->type)) != SQLITE_OK ||
	    cred_bind_text(st, 4, n->service) != SQLITE_OK ||
	    cred_bind_text(st, 5, metadata) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, now) != SQLITE_OK) {
		store_err_db(c->store, "storing a credential", err);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		bos_err_set(err, BOS_E_EXISTS, "a credential named '%s' already exists", n->name);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		store_err_db(c->store, "storing a credential", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

#define CRED_INSERT_VERSION_SQL \
	"INSERT INTO credential_versions (cred_id, version, kek_version, wrapped_dek," \
	" ciphertext, card_brand, card_first6, card_last4, created_at)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
/* The same columns for a version sealed anew (cred_reseal_old); created_at stays. */
#define CRED_RESEAL_VERSION_SQL \
	"UPDATE credential_versions SET kek_version = ?3, wrapped_dek = ?4, ciphertext = ?5," \
	" card_brand = ?6, card_first6 = ?7, card_last4 = ?8 WHERE cred_id = ?1 AND version = ?2"

/* Write a version row with one of the two statements above. */
static int
cred_write_version(struct cred_ctx *c, const char *sql, const char *id, uint32_t version,
    const struct cred_plain *pl, const struct cred_sealed *s, int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (cred_prepare(c, sql, &st, err) != 0)
		return -1;
	if (cred_bind_text(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, version) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, c->kek_version) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 4, s->wrapped, (int)s->wrapped_len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 5, s->ct, (int)s->ct_len, SQLITE_STATIC) != SQLITE_OK ||
	    cred_bind_text(st, 6, pl->is_card ? pl->brand : NULL) != SQLITE_OK ||
	    cred_bind_text(st, 7, pl->is_card ? pl->first6 : NULL) != SQLITE_OK ||
	    cred_bind_text(st, 8, pl->is_card ? pl->last4 : NULL) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(st) >= 9 && sqlite3_bind_int64(st, 9, now) != SQLITE_OK) ||
	    sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(store_db(c->store)) != 1) {
		store_err_db(c->store, "storing a credential version", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

/*
 * Seal pl as version of id, bound to the credential's type, name and service
 * (in base) and to the card digits stored beside it (from pl), and write the
 * version row with sql.
 */
static int
cred_store_version(struct cred_ctx *c, const char *sql, const char *id, uint32_t version,
    const struct cred_ident *base, const struct cred_plain *pl, int64_t now,
    struct bos_err *err)
{
	struct cred_ident ci = *base;
	struct cred_sealed s;
	struct cred_aad aad;
	int r;

	if (cred_field_set(ci.card_brand, sizeof(ci.card_brand), pl->is_card ? pl->brand : "") ||
	    cred_field_set(ci.card_first6, sizeof(ci.card_first6), pl->is_card ? pl->first6 : "") ||
	    cred_field_set(ci.card_last4, sizeof(ci.card_last4), pl->is_card ? pl->last4 : ""))
		return bos_err_set(err, BOS_E_INVALID, "card details too long");
	cred_aad(id, version, &ci, &aad);
	if (cred_seal(c, id, version, &aad, pl, &s, err) != 0)
		return -1;
	r = cred_write_version(c, sql, id, version, pl, &s, now, err);
	free(s.ct);
	return r;
}

/* The type, name and service of an identity; the card digits are left empty. */
static int
cred_ident_names(struct cred_ident *ci, const char *type, const char *name, const char *service)
{
	memset(ci, 0, sizeof(*ci));
	if (cred_field_set(ci->type, sizeof(ci->type), type) != 0 ||
	    cred_field_set(ci->name, sizeof(ci->name), name) != 0 ||
	    cred_field_set(ci->service, sizeof(ci->service), service) != 0)
		return -1;
	return 0;
}

/* End a write: commit on success, else roll back keeping the first error. */
static int
cred_finish(struct cred_ctx *c, int r, struct bos_err *err)
{
	if (r == 0)
		return store_commit(c->store, err);
	if (store_rollback(c->store, NULL) != 0)
		log_err("credential store: rollback failed");
	return -1;
}

static int
cred_check_ctx(struct cred_ctx *c, struct bos_err *err)
{
	if (c == NULL || c->store == NULL || c->hsm == NULL || c->kek_version == 0)
		return bos_err_set(err, BOS_E_CONFIG, "credential store used without a database, "
		    "an HSM or a KEK version");
	return 0;
}

/* Inside the write transaction: the credential row, then its sealed version 1. */
static int
cred_create_rows(struct cred_ctx *c, const char *id, const struct cred_new *n,
    const char *metadata, const struct cred_plain *pl, int64_t now, struct bos_err *err)
{
	struct cred_ident ci;

	if (cred_ident_names(&ci, credname_type(n->type), n->name, n->service) != 0)
		return bos_err_set(err, BOS_E_INVALID, "name or service too long");
	if (cred_insert_credential(c, id, n, metadata, now, err) != 0 ||
	    cred_store_version(c, CRED_INSERT_VERSION_SQL, id, 1, &ci, pl, now, err) != 0)
		return -1;
	return 0;
}

int
cred_create(struct cred_ctx *c, const struct cred_new *n, char id_out[CRED_ID_LEN + 1],
    struct bos_err *err)
{
	struct cred_plain pl;
	char id[CRED_ID_LEN + 1], *metadata = NULL;
	int64_t now = (int64_t)time(NULL);
	int r = -1;

	memset(&pl, 0, sizeof(pl));
	id_out[0] = '\0';
	if (cred_check_ctx(c, err) != 0 || cred_check_name(n->name, err) != 0 ||
	    cred_check_service(n->service, err) != 0)
		goto out;
	if ((unsigned)n->type > CRED_SECRET) {
		bos_err_set(err, BOS_E_INVALID, "unknown credential type");
		goto out;
	}
	if (cred_check_metadata(n->metadata_json, &metadata, err) != 0 ||
	    cred_plain_prepare(n->type, n->secret, n->secret_len, &pl, err) != 0 ||
	    cred_id_new(id, err) != 0 || store_begin(c->store, err) != 0)
		goto out;
	if (cred_finish(c, cred_create_rows(c, id, n, metadata, &pl, now, err), err) != 0)
		goto out;
	memcpy(id_out, id, sizeof(id));
	log_info("credential %s created (%s, service %s)", id, credname_type(n->type),
	    n->service);
	/* success */
	r = 0;
 out:
	cred_plain_wipe(&pl);
	json_alloc_release(metadata); /* from json_dumps: jansson's allocator */
	return r;
}

/* Credential state as a write needs it; ident without card digits. */
struct cred_state {
	enum cred_type type;
	uint32_t current;
	int64_t revoked_at;
	struct cred_ident ident;
};

static int
cred_err_notfound(const char *what, struct bos_err *err)
{
	/* Echo only what cannot be a secret: a well-formed id or name. */
	if (credname_id_valid(what))
		return bos_err_set(err, BOS_E_NOTFOUND, "no credential with id %s", what);
	if (cred_check_name(what, NULL) == 0)
		return bos_err_set(err, BOS_E_NOTFOUND, "no credential named '%s'", what);
	return bos_err_set(err, BOS_E_NOTFOUND, "no such credential: give an id (cr_...) or a "
	    "name");
}

static int
cred_err_revoked(const char *id, int64_t when, struct bos_err *err)
{
	return bos_err_set(err, BOS_E_REVOKED, "credential %s was revoked (at %lld) and can no "
	    "longer be read or changed", id, (long long)when);
}

static int
cred_load_state(struct cred_ctx *c, const char *id, struct cred_state *cs, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;
	sqlite3_int64 v;

	if (!credname_id_valid(id))
		return cred_err_notfound(id, err);
	if (cred_prepare(c, "SELECT type, current_version, coalesce(revoked_at, 0), name, service"
	    " FROM credentials WHERE id = ?1", &st, err) != 0)
		return -1;
	if (cred_bind_text(st, 1, id) != SQLITE_OK) {
		store_err_db(c->store, "reading a credential", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		cred_err_notfound(id, err);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(c->store, "reading a credential", err);
		goto out;
	}
	v = sqlite3_column_int64(st, 1);
	if (credname_type_parse((const char *)sqlite3_column_text(st, 0),
	    &cs->type) != 0 || v < 1 || v > UINT32_MAX ||
	    cred_ident_names(&cs->ident, (const char *)sqlite3_column_text(st, 0),
	    (const char *)sqlite3_column_text(st, 3),
	    (const char *)sqlite3_column_text(st, 4)) != 0) {
		bos_err_set(err, BOS_E_CORRUPT, "credential %s has a malformed row", id);
		goto out;
	}
	cs->current = (uint32_t)v;
	cs->revoked_at = sqlite3_column_int64(st, 2);
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

static int
cred_set_current(struct cred_ctx *c, const char *id, uint32_t version, int64_t now,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (cred_prepare(c, "UPDATE credentials SET current_version = ?2, updated_at = ?3"
	    " WHERE id = ?1", &st, err) != 0)
		return -1;
	if (cred_bind_text(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, version) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE ||
	    sqlite3_changes(store_db(c->store)) != 1) {
		store_err_db(c->store, "updating a credential", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

/* Inside the write transaction: read the state, so two updates cannot share a version. */
static int
cred_update_locked(struct cred_ctx *c, const char *id, const uint8_t *secret, size_t len,
    uint32_t *new_version, struct bos_err *err)
{
	struct cred_state cs;
	struct cred_plain pl;
	int64_t now = (int64_t)time(NULL);
	int r = -1;

	memset(&pl, 0, sizeof(pl));
	if (cred_load_state(c, id, &cs, err) != 0)
		goto out;
	if (cs.revoked_at != 0) {
		cred_err_revoked(id, cs.revoked_at, err);
		goto out;
	}
	if (cs.current == UINT32_MAX) {
		bos_err_set(err, BOS_E_INVALID, "credential %s has no versions left", id);
		goto out;
	}
	if (cred_plain_prepare(cs.type, secret, len, &pl, err) != 0 ||
	    cred_store_version(c, CRED_INSERT_VERSION_SQL, id, cs.current + 1, &cs.ident, &pl,
	    now, err) != 0 ||
	    cred_set_current(c, id, cs.current + 1, now, err) != 0)
		goto out;
	*new_version = cs.current + 1;
	/* success */
	r = 0;
 out:
	cred_plain_wipe(&pl);
	return r;
}

int
cred_update(struct cred_ctx *c, const char *id, const uint8_t *secret, size_t len,
    uint32_t *new_version, struct bos_err *err)
{
	uint32_t v = 0;
	int r;

	*new_version = 0;
	if (cred_check_ctx(c, err) != 0 || store_begin(c->store, err) != 0)
		return -1;
	r = cred_update_locked(c, id, secret, len, &v, err);
	if (cred_finish(c, r, err) != 0)
		return -1;
	*new_version = v;
	log_info("credential %s updated to version %u", id, v);
	return 0;
}

/* Copy a text column into a fixed field; a value that does not fit is damage. */
static int
cred_copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	return cred_field_set(dst, size, (const char *)sqlite3_column_text(st, col));
}

static int
cred_meta_from_row(sqlite3_stmt *st, struct cred_meta *m, struct bos_err *err)
{
	const char *md;
	sqlite3_int64 v;

	memset(m, 0, sizeof(*m));
	v = sqlite3_column_int64(st, 5);
	if (cred_copy_col(st, 0, m->id, sizeof(m->id)) != 0 ||
	    cred_copy_col(st, 1, m->name, sizeof(m->name)) != 0 ||
	    credname_type_parse((const char *)sqlite3_column_text(st, 2), &m->type) != 0 ||
	    cred_copy_col(st, 3, m->service, sizeof(m->service)) != 0 ||
	    v < 1 || v > UINT32_MAX ||
	    cred_copy_col(st, 9, m->card_brand, sizeof(m->card_brand)) != 0 ||
	    cred_copy_col(st, 10, m->card_first6, sizeof(m->card_first6)) != 0 ||
	    cred_copy_col(st, 11, m->card_last4, sizeof(m->card_last4)) != 0)
		return bos_err_set(err, BOS_E_CORRUPT, "a credential row is malformed");
	m->version = (uint32_t)v;
	m->created_at = sqlite3_column_int64(st, 6);
	m->updated_at = sqlite3_column_int64(st, 7);
	m->revoked_at = sqlite3_column_int64(st, 8);
	md = (const char *)sqlite3_column_text(st, 4);
	if ((m->metadata_json = strdup(md ? md : "{}")) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading a credential");
	return 0;
}

int
cred_get(struct cred_ctx *c, const char *id_or_name, struct cred_meta *out,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc, by_id = credname_id_valid(id_or_name);

	memset(out, 0, sizeof(*out));
	if (c == NULL || c->store == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "credential store used without a database");
	if (id_or_name == NULL || *id_or_name == '\0')
		return bos_err_set(err, BOS_E_INVALID, "give a credential id or name");
	if (cred_prepare(c, by_id ? CRED_META_COLS "WHERE c.id = ?1" :
	    CRED_META_COLS "WHERE c.name = ?1", &st, err) != 0)
		return -1;
	if (cred_bind_text(st, 1, id_or_name) != SQLITE_OK) {
		store_err_db(c->store, "reading a credential", err);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		cred_err_notfound(id_or_name, err);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(c->store, "reading a credential", err);
		goto out;
	}
	if (cred_meta_from_row(st, out, err) != 0)
		goto out;
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	if (r != 0)
		cred_meta_free(out);
	return r;
}

void
cred_meta_free(struct cred_meta *m)
{
	if (m == NULL)
		return;
	free(m->metadata_json);
	m->metadata_json = NULL;
}

/*
 * One statement reads the credential's state, the version's blobs and the
 * clear columns its AAD binds, so a revoke or an edit cannot slip between
 * checking and decrypting. Column 12: the version is still sealed the way
 * schema 5 did (listed for cred_reseal_old).
 */
#define CRED_READ_SQL \
	"SELECT coalesce(c.revoked_at, 0), c.current_version, v.version, v.kek_version," \
	" v.wrapped_dek, v.ciphertext, c.type, c.name, c.service, v.card_brand, v.card_first6," \
	" v.card_last4, p.version IS NOT NULL FROM credentials AS c" \
	" LEFT JOIN credential_versions AS v ON v.cred_id = c.id" \
	" AND v.version = (CASE ?2 WHEN 0 THEN c.current_version ELSE ?2 END)" \
	" LEFT JOIN credential_reseal AS p ON p.cred_id = v.cred_id AND p.version = v.version" \
	" WHERE c.id = ?1"

/* Columns 6..11 of CRED_READ_SQL: what the AAD binds besides id and version. */
static int
cred_ident_from_row(sqlite3_stmt *st, struct cred_ident *ci)
{
	if (cred_ident_names(ci, (const char *)sqlite3_column_text(st, 6),
	    (const char *)sqlite3_column_text(st, 7),
	    (const char *)sqlite3_column_text(st, 8)) != 0 ||
	    cred_copy_col(st, 9, ci->card_brand, sizeof(ci->card_brand)) != 0 ||
	    cred_copy_col(st, 10, ci->card_first6, sizeof(ci->card_first6)) != 0 ||
	    cred_copy_col(st, 11, ci->card_last4, sizeof(ci->card_last4)) != 0)
		return -1;
	return 0;
}

static int
cred_err_old_format(const char *id, uint32_t version, struct bos_err *err)
{
	return bos_err_set(err, BOS_E_CORRUPT, "credential %s version %u is still sealed the way "
	    "BOS did before database schema 6 (its name, service and card digits are not bound "
	    "to it yet): start bos-vaultd once, which seals such versions anew, then read it "
	    "again", id, version);
}

/*
 * Copy the row's version, blobs and clear columns into out; refuses what
 * cannot be opened, and a version still in the old format unless allow_old.
 */
static int
cred_read_row(sqlite3_stmt *st, const char *id, uint32_t version, int allow_old,
    struct cred_stored *out, struct bos_err *err)
{
	int64_t revoked = sqlite3_column_int64(st, 0);
	sqlite3_int64 v = sqlite3_column_int64(st, 2), kek = sqlite3_column_int64(st, 3);
	const uint8_t *wrapped, *ct;
	int wlen, clen;

	if (revoked != 0)
		return cred_err_revoked(id, revoked, err);
	if (sqlite3_column_type(st, 2) == SQLITE_NULL)
		return bos_err_set(err, BOS_E_NOTFOUND, "credential %s has no version %u", id,
		    version);
	if (v < 1 || v > UINT32_MAX || kek < 1 || kek > UINT32_MAX ||
	    cred_ident_from_row(st, &out->ident) != 0)
		return bos_err_set(err, BOS_E_CORRUPT, "credential %s has a malformed version row",
		    id);
	if (sqlite3_column_int(st, 12) != 0 && !allow_old)
		return cred_err_old_format(id, (uint32_t)v, err);
	wrapped = sqlite3_column_blob(st, 4);
	wlen = sqlite3_column_bytes(st, 4);
	ct = sqlite3_column_blob(st, 5);
	clen = sqlite3_column_bytes(st, 5);
	if (wrapped == NULL || ct == NULL || wlen <= 0 || clen <= 0)
		return cred_err_decrypt(id, (uint32_t)v, err);
	if ((out->wrapped = malloc((size_t)wlen)) == NULL ||
	    (out->ct = malloc((size_t)clen)) == NULL) {
		cred_stored_free(out);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading credential %s", id);
	}
	memcpy(out->wrapped, wrapped, (size_t)wlen);
	memcpy(out->ct, ct, (size_t)clen);
	out->wrapped_len = (size_t)wlen;
	out->ct_len = (size_t)clen;
	out->version = (uint32_t)v;
	out->kek_version = (uint32_t)kek;
	return 0;
}

void
cred_stored_free(struct cred_stored *s)
{
	if (s == NULL)
		return;
	secmem_freezero(s->wrapped, s->wrapped_len);
	secmem_freezero(s->ct, s->ct_len);
	memset(s, 0, sizeof(*s));
}

static int
cred_read_version(struct cred_ctx *c, const char *id, uint32_t version, int allow_old,
    struct cred_stored *out, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	memset(out, 0, sizeof(*out));
	if (cred_check_ctx(c, err) != 0)
		return -1;
	if (!credname_id_valid(id))
		return cred_err_notfound(id, err);
	if (cred_prepare(c, CRED_READ_SQL, &st, err) != 0)
		return -1;
	if (cred_bind_text(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, version) != SQLITE_OK) {
		store_err_db(c->store, "reading a credential", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		cred_err_notfound(id, err);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(c->store, "reading a credential", err);
		goto out;
	}
	r = cred_read_row(st, id, version, allow_old, out, err);
 out:
	store_stmt_done(c->store, st);
	return r;
}

int
cred_read_stored(struct cred_ctx *c, const char *id, uint32_t version, struct cred_stored *out,
    struct bos_err *err)
{
	return cred_read_version(c, id, version, 0, out, err);
}

int
cred_open_stored(struct cred_ctx *c, const char *id, const struct cred_stored *s,
    uint8_t **secret, size_t *len, struct bos_err *err)
{
	struct cred_aad aad;

	*secret = NULL;
	*len = 0;
	if (cred_check_ctx(c, err) != 0)
		return -1;
	/* The AAD has room for an id of CRED_ID_LEN. */
	if (!credname_id_valid(id))
		return cred_err_notfound(id, err);
	cred_aad(id, s->version, &s->ident, &aad);
	return cred_unseal(c, id, s->version, &aad, s, secret, len, err);
}

int
cred_read_secret(struct cred_ctx *c, const char *id, uint32_t version, uint8_t **secret,
    size_t *len, struct bos_err *err)
{
	struct cred_stored s;
	int r;

	*secret = NULL;
	*len = 0;
	if (cred_read_stored(c, id, version, &s, err) != 0)
		return -1;
	r = cred_open_stored(c, id, &s, secret, len, err);
	cred_stored_free(&s);
	return r;
}

int
cred_list(struct cred_ctx *c, const char *service, const char *type,
    int (*cb)(const struct cred_meta *, void *), void *arg, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	struct cred_meta m;
	enum cred_type t;
	int r = -1, rc, stop;

	memset(&m, 0, sizeof(m));
	if (c == NULL || c->store == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "credential store used without a database");
	if (type != NULL && credname_type_parse(type, &t) != 0)
		return bos_err_set(err, BOS_E_INVALID, "unknown type: use api_key, password, card, "
		    "bank_account or secret");
	if (cred_prepare(c, CRED_META_COLS "WHERE (?1 IS NULL OR c.service = ?1)"
	    " AND (?2 IS NULL OR c.type = ?2) ORDER BY c.name", &st, err) != 0)
		return -1;
	if (cred_bind_text(st, 1, service) != SQLITE_OK || cred_bind_text(st, 2, type) != SQLITE_OK) {
		store_err_db(c->store, "listing credentials", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cred_meta_from_row(st, &m, err) != 0)
			goto out;
		stop = cb(&m, arg);
		cred_meta_free(&m);
		if (stop != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(c->store, "listing credentials", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	cred_meta_free(&m);
	store_stmt_done(c->store, st);
	return r;
}

int
cred_count(struct cred_ctx *c, size_t *count, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	*count = 0;
	if (cred_check_ctx(c, err) != 0)
		return -1;
	if (cred_prepare(c, "SELECT count(*) FROM credentials", &st, err) != 0)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_err_db(c->store, "counting credentials", err);
		goto out;
	}
	*count = (size_t)sqlite3_column_int64(st, 0);
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

static int
cred_exists(struct cred_ctx *c, const char *id, struct bos_err *err)
{
	struct cred_state cs;

	return cred_load_state(c, id, &cs, err);
}

int
cred_list_versions(struct cred_ctx *c, const char *id,
    int (*cb)(uint32_t version, int64_t created_at, void *), void *arg, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 v;
	int r = -1, rc;

	if (c == NULL || c->store == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "credential store used without a database");
	if (cred_exists(c, id, err) != 0)
		return -1;
	if (cred_prepare(c, "SELECT version, created_at FROM credential_versions"
	    " WHERE cred_id = ?1 ORDER BY version", &st, err) != 0)
		return -1;
	if (cred_bind_text(st, 1, id) != SQLITE_OK) {
		store_err_db(c->store, "listing versions", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		if (v < 1 || v > UINT32_MAX) {
			bos_err_set(err, BOS_E_CORRUPT, "credential %s has a malformed version", id);
			goto out;
		}
		if (cb((uint32_t)v, sqlite3_column_int64(st, 1), arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(c->store, "listing versions", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

/* Run one constant statement bound to ?1 = id and, if it has one, ?2 = n. */
static int
cred_exec_id(struct cred_ctx *c, const char *sql, const char *id, int64_t n, const char *what,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (cred_prepare(c, sql, &st, err) != 0)
		return -1;
	if (cred_bind_text(st, 1, id) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(st) >= 2 && sqlite3_bind_int64(st, 2, n) != SQLITE_OK) ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(c->store, what, err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

static int
cred_revoke_locked(struct cred_ctx *c, const char *id, struct bos_err *err)
{
	struct cred_state cs;
	int64_t now = (int64_t)time(NULL);

	if (cred_load_state(c, id, &cs, err) != 0)
		return -1;
	if (cs.revoked_at != 0)
		return cred_err_revoked(id, cs.revoked_at, err);
	/* A revoked_at of 0 would read as "active": the clock is never before 1970 here. */
	if (now <= 0)
		now = 1;
	/*
	 * Erase the sealed values: secure_delete overwrites the old cells, and
	 * the WAL's old pages are overwritten as it is reused and checkpointed.
	 */
	return cred_exec_id(c, "UPDATE credentials SET revoked_at = ?2, updated_at = ?2"
	    " WHERE id = ?1", id, now, "revoking a credential", err) != 0 ||
	    cred_exec_id(c, "UPDATE credential_versions SET wrapped_dek = x'', ciphertext = x''"
	    " WHERE cred_id = ?1", id, now, "revoking a credential", err) != 0 ? -1 : 0;
}

int
cred_revoke(struct cred_ctx *c, const char *id, struct bos_err *err)
{
	int r;

	if (c == NULL || c->store == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "credential store used without a database");
	if (store_begin(c->store, err) != 0)
		return -1;
	r = cred_revoke_locked(c, id, err);
	if (cred_finish(c, r, err) != 0)
		return -1;
	log_info("credential %s revoked", id);
	return 0;
}

/* ---- schema 6: versions sealed before their clear columns were bound ------------- */

/* The first listed version; *more 0 when the list is empty. */
static int
cred_reseal_next(struct cred_ctx *c, char id[CRED_ID_LEN + 1], uint32_t *version, int *more,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 v;
	int r = -1, rc;

	*more = 0;
	if (cred_prepare(c, "SELECT cred_id, version FROM credential_reseal"
	    " ORDER BY cred_id, version LIMIT 1", &st, err) != 0)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 1);
		if (cred_copy_col(st, 0, id, CRED_ID_LEN + 1) != 0 || v < 1 || v > UINT32_MAX) {
			bos_err_set(err, BOS_E_CORRUPT, "credential_reseal has a malformed row");
			goto out;
		}
		*version = (uint32_t)v;
		*more = 1;
	} else if (rc != SQLITE_DONE) {
		store_err_db(c->store, "reading the versions to seal anew", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(c->store, st);
	return r;
}

/* Off the list; a row that was not there would make cred_reseal_old loop. */
static int
cred_reseal_unlist(struct cred_ctx *c, const char *id, uint32_t version, struct bos_err *err)
{
	if (cred_exec_id(c, "DELETE FROM credential_reseal WHERE cred_id = ?1 AND version = ?2",
	    id, version, "taking a version off credential_reseal", err) != 0)
		return -1;
	if (sqlite3_changes(store_db(c->store)) != 1)
		return bos_err_set(err, BOS_E_DB, "credential %s version %u was not in "
		    "credential_reseal", id, version);
	return 0;
}

/* What the clear card columns said differs from the number they stand for. */
static int
cred_digits_differ(const struct cred_ident *ci, const struct cred_plain *pl)
{
	if (!pl->is_card)
		return ci->card_brand[0] != '\0' || ci->card_first6[0] != '\0' ||
		    ci->card_last4[0] != '\0';
	return strcmp(ci->card_brand, pl->brand) != 0 || strcmp(ci->card_first6, pl->first6) != 0 ||
	    strcmp(ci->card_last4, pl->last4) != 0;
}

/*
 * Seal the plaintext of s (opened with the old AAD) anew, checked as its
 * type: a card's clear digits are taken from its number, which the old AAD
 * did authenticate, not from the columns, which it did not.
 */
static int
cred_reseal_plain(struct cred_ctx *c, const char *id, uint32_t version,
    const struct cred_stored *s, const uint8_t *pt, size_t pt_len, struct cred_reseal *out,
    struct bos_err *err)
{
	struct cred_plain pl;
	enum cred_type type;
	int r = -1;

	if (credname_type_parse(s->ident.type, &type) != 0 ||
	    cred_plain_prepare(type, pt, pt_len, &pl, NULL) != 0) {
		log_warn("credential %s version %u does not hold a valid '%s'; left as it is, and "
		    "unreadable", id, version, s->ident.type);
		out->damaged++;
		return 0;
	}
	if (cred_digits_differ(&s->ident, &pl)) {
		log_warn("credential %s version %u: its clear card columns did not match the "
		    "stored value; they are set from it", id, version);
		out->digits_fixed++;
	}
	if (cred_store_version(c, CRED_RESEAL_VERSION_SQL, id, version, &s->ident, &pl, 0,
	    err) != 0)
		goto out;
	out->resealed++;
	/* success */
	r = 0;
 out:
	cred_plain_wipe(&pl);
	return r;
}

/*
 * One listed version: open it with the old AAD and seal it anew. A version
 * erased by a revoke, or damaged (it did not open before either), is counted
 * and left as it is; anything else (bos-hsmd gone, a KEK missing, the
 * database) stops the whole pass. Done or left, it comes off the list.
 */
static int
cred_reseal_one(struct cred_ctx *c, const char *id, uint32_t version, struct cred_reseal *out,
    struct bos_err *err)
{
	struct cred_stored s;
	struct cred_aad aad;
	struct bos_err e;
	uint8_t *pt = NULL;
	size_t pt_len = 0;
	int r = -1, damaged = 0;

	bos_err_clear(&e);
	if (cred_read_version(c, id, version, 1, &s, &e) != 0) {
		damaged = e.code == BOS_E_AUTH || e.code == BOS_E_CORRUPT ||
		    e.code == BOS_E_NOTFOUND;
		if (e.code == BOS_E_REVOKED)
			out->erased++;
	} else {
		cred_aad(id, version, NULL, &aad);
		if (cred_unseal(c, id, version, &aad, &s, &pt, &pt_len, &e) != 0)
			damaged = e.code == BOS_E_AUTH;
		else
			r = cred_reseal_plain(c, id, version, &s, pt, pt_len, out, err);
	}
	secmem_freezero(pt, pt_len);
	cred_stored_free(&s);
	if (damaged) {
		log_warn("credential %s version %u does not open with the AAD of schema 5 either "
		    "(%s); left as it is, and unreadable", id, version, bos_err_name(e.code));
		out->damaged++;
	} else if (r != 0 && e.code != BOS_E_REVOKED) {
		if (err != NULL && e.code != BOS_OK)
			*err = e;
		return bos_err_wrap(err, "sealing credential %s version %u anew", id, version);
	}
	return cred_reseal_unlist(c, id, version, err);
}

int
cred_reseal_old(struct cred_ctx *c, struct cred_reseal *out, struct bos_err *err)
{
	char id[CRED_ID_LEN + 1];
	uint32_t version = 0;
	int more = 1, r = 0;

	memset(out, 0, sizeof(*out));
	if (cred_check_ctx(c, err) != 0 || store_begin(c->store, err) != 0)
		return -1;
	while (r == 0 && more) {
		if ((r = cred_reseal_next(c, id, &version, &more, err)) == 0 && more)
			r = cred_reseal_one(c, id, version, out, err);
	}
	if (cred_finish(c, r, err) != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	if (out->resealed + out->damaged + out->erased > 0)
		log_info("credential store: %zu version(s) sealed anew with their clear columns "
		    "bound (%zu with card columns corrected), %zu damaged, %zu erased",
		    out->resealed, out->digits_fixed, out->damaged, out->erased);
	return 0;
}
