/*
 * The credential store: named secrets (API keys, passwords, cards, bank
 * accounts, other secrets) with clear-text metadata and versioned, sealed
 * values. See docs/STORE.md for the schema, the sealing format and the AAD.
 *
 * Each version of a secret is sealed with its own random 256-bit DEK
 * (AES-256-GCM, seal.h); the DEK is wrapped by the HSM's KEK through
 * bos-hsmd. Both layers authenticate the AAD "bos-cred-v2" + id + version +
 * SHA-256 of what is shown in clear (type, name, service, and a card's
 * brand, first 6 and last 4), so a sealed value moved to another row, or a
 * row whose clear columns were changed, never decrypts.
 *
 * Errors: BOS_E_INVALID (bad input; the message says what to fix and never
 * carries the secret), BOS_E_EXISTS (duplicate name), BOS_E_NOTFOUND,
 * BOS_E_REVOKED, BOS_E_AUTH (stored data does not decrypt), BOS_E_HSM,
 * BOS_E_DB.
 *
 * Each call that writes is one transaction (store_begin/store_commit), nested
 * as a savepoint when the caller already has one open, so that a caller can
 * commit an audit record together with the change.
 */
#ifndef BOS_CRED_H
#define BOS_CRED_H

#include <stddef.h>
#include <stdint.h>
#include "store/card.h"
#include "compiler.h"
#include "cred_name.h"   /* ids and type names, shared with bosctl (shared/) */
#include "err.h"

struct store;
struct hsm_client;

#define CRED_NAME_MAX 128
#define CRED_SERVICE_MAX 64
#define CRED_SECRET_MAX (64 * 1024)
#define CRED_METADATA_MAX 4096
#define CRED_METADATA_KEYS_MAX 32

struct cred_ctx {
	struct store *store;
	struct hsm_client *hsm;
	uint32_t kek_version; /* KEK that wraps new DEKs; reads use each row's own */
};

struct cred_new {
	const char *name;          /* 1..128 of [A-Za-z0-9._-/ ], unique, no edge spaces */
	enum cred_type type;
	const char *service;       /* 1..64 of [a-z0-9._-] */
	const char *metadata_json; /* a JSON object of scalars, <= 4 KiB; NULL = {} */
	const uint8_t *secret;     /* 1..64 KiB; for a card: the card number only */
	size_t secret_len;
};

struct cred_meta {
	char id[CRED_ID_LEN + 1];
	char name[CRED_NAME_MAX + 1];
	enum cred_type type;
	char service[CRED_SERVICE_MAX + 1];
	char *metadata_json;       /* canonical (compact, sorted keys); cred_meta_free() */
	uint32_t version;          /* current version */
	int64_t created_at, updated_at, revoked_at; /* Unix seconds; revoked_at 0 = active */
	/* Cards only (current version), else empty strings: PCI DSS 3.4.1 allows these. */
	char card_brand[CARD_BRAND_SIZE], card_first6[CARD_FIRST6_SIZE], card_last4[CARD_LAST4_SIZE];
};

/* Store a new credential at version 1. id_out receives its id. */
int cred_create(struct cred_ctx *c, const struct cred_new *n, char id_out[CRED_ID_LEN + 1],
    struct bos_err *err) BOS_WUR;

/*
 * Store a new value as the next version; earlier versions stay readable by
 * number. A card must stay a card number. Revoked: BOS_E_REVOKED.
 */
int cred_update(struct cred_ctx *c, const char *id, const uint8_t *secret, size_t len,
    uint32_t *new_version, struct bos_err *err) BOS_WUR;

/* Metadata only, by id or by name. Works for revoked credentials too. */
int cred_get(struct cred_ctx *c, const char *id_or_name, struct cred_meta *out,
    struct bos_err *err) BOS_WUR;

/*
 * Decrypt version (0 = current) of credential id. *secret is malloc'd; the
 * caller releases it with secmem_freezero(*secret, *len) as soon as it is
 * used. For a card it is the digits of the card number.
 */
/*
 * The same in two steps, so that the HSM's part can run without the database
 * lock (api_cred.c): cred_read_stored copies the version's blobs and the
 * clear columns its AAD binds (under the lock, in the transaction that
 * decided the read), cred_open_stored unwraps and decrypts them.
 * cred_stored_free wipes and frees the copies.
 */
/*
 * The clear columns of one version that its AAD binds, as stored: the
 * credential's type, name and service and the version's card digits (empty
 * strings when NULL). Policy decides on them and readers are shown them.
 */
#define CRED_TYPE_NAME_MAX 12 /* "bank_account" */
struct cred_ident {
	char type[CRED_TYPE_NAME_MAX + 1];
	char name[CRED_NAME_MAX + 1];
	char service[CRED_SERVICE_MAX + 1];
	char card_brand[CARD_BRAND_SIZE], card_first6[CARD_FIRST6_SIZE], card_last4[CARD_LAST4_SIZE];
};
struct cred_stored {
	uint32_t version, kek_version;
	uint8_t *wrapped, *ct;
	size_t wrapped_len, ct_len;
	struct cred_ident ident;
};
int cred_read_stored(struct cred_ctx *c, const char *id, uint32_t version, struct cred_stored *out,
    struct bos_err *err) BOS_WUR;
int cred_open_stored(struct cred_ctx *c, const char *id, const struct cred_stored *s,
    uint8_t **secret, size_t *len, struct bos_err *err) BOS_WUR;
void cred_stored_free(struct cred_stored *s);
int cred_read_secret(struct cred_ctx *c, const char *id, uint32_t version, uint8_t **secret,
    size_t *len, struct bos_err *err) BOS_WUR;

/*
 * Call cb for each credential (revoked ones included), ordered by name,
 * optionally only those of one service and/or one type name. cb returns 0
 * to go on or non-zero to stop early (not an error). The meta passed to cb
 * is only valid during the call.
 */
int cred_list(struct cred_ctx *c, const char *service, const char *type,
    int (*cb)(const struct cred_meta *, void *), void *arg, struct bos_err *err) BOS_WUR;

/* How many credentials are stored (revoked ones too). */
int cred_count(struct cred_ctx *c, size_t *count, struct bos_err *err) BOS_WUR;

/* Call cb for each version of credential id, oldest first; same cb rules. */
int cred_list_versions(struct cred_ctx *c, const char *id,
    int (*cb)(uint32_t version, int64_t created_at, void *), void *arg,
    struct bos_err *err) BOS_WUR;

/*
 * Revoke: the credential and its metadata stay for the record, but every
 * version's wrapped DEK and ciphertext are erased in the same transaction, so
 * no later read (nor a copy of the database and the HSM) can recover the
 * value. Reads then fail with BOS_E_REVOKED; revoking twice too.
 */
int cred_revoke(struct cred_ctx *c, const char *id, struct bos_err *err) BOS_WUR;

/*
 * Schema 6 (issue #12 item 14): re-seal the versions sealed before it, whose
 * AAD held only "bos-cred-v1" + id + version, with today's AAD, so that their
 * clear columns are bound too. Migration 6 listed them in credential_reseal;
 * until they are re-sealed, reading them fails with BOS_E_CORRUPT saying so
 * (never with the old AAD). Each listed version is opened with the old AAD,
 * checked as its type (a card's brand and digits are taken from the number
 * itself), sealed anew under the current KEK with a fresh DEK, and taken off
 * the list, all in one transaction (a savepoint inside the caller's). A
 * version that does not open with the old AAD either is left as it is, off
 * the list, and counted as damaged; one erased by a revoke is just taken off.
 * An HSM or database failure stops and rolls everything back. bos-vaultd runs
 * this at start, with an audit record in the same transaction.
 */
struct cred_reseal {
	size_t resealed;       /* versions sealed anew */
	size_t digits_fixed;   /* of those, cards whose clear digits did not match the number */
	size_t damaged;        /* did not open with the old AAD: left unreadable */
	size_t erased;         /* revoked since migration 6 listed them */
};
int cred_reseal_old(struct cred_ctx *c, struct cred_reseal *out, struct bos_err *err) BOS_WUR;

/* Release what cred_get() allocated in m. Safe on a zeroed struct. */
void cred_meta_free(struct cred_meta *m);

#endif
