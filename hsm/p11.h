/*
 * Raw PKCS#11 (Cryptoki) for bos-hsmd: the module, the token, the one
 * logged-in session, the symmetric key-encryption keys and random bytes.
 *
 * This layer owns C_Initialize and C_Finalize for the whole process; the
 * libp11 signer (p11_sign.h) shares the initialised module and must never
 * finalize it. bos-hsmd is single-threaded and has exactly one session.
 */
#ifndef BOS_HSM_P11_H
#define BOS_HSM_P11_H

#include <stddef.h>
#include <stdint.h>
#include <p11-kit/pkcs11.h>
#include "compiler.h"
#include "fail.h"
#include "pin.h"

#define P11_LABEL_LEN 32    /* CK_TOKEN_INFO.label: blank padded, no NUL */
#define P11_KEK_CACHE 32    /* cached KEK handles (versions in use at once) */
#define P11_KEY_ID_LEN 16   /* random CKA_ID of every key we create */
#define P11_LABEL_MAX 32    /* "bos-audit-v4294967295" fits */

struct p11_kek {
	uint32_t version;
	CK_OBJECT_HANDLE handle;
};

struct p11 {
	const char *module;        /* path, for messages */
	void *dl;                  /* dlopen handle; kept until exit */
	CK_FUNCTION_LIST_PTR fn;
	int initialized;           /* C_Initialize succeeded: we must C_Finalize */
	char label[P11_LABEL_LEN + 1];
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	int have_session;
	int logged_in;
	struct p11_kek kek[P11_KEK_CACHE];
	size_t nkek;
	uint32_t audit[P11_KEK_CACHE]; /* audit key versions already checked */
	size_t naudit;
};

/* Name of a return value, e.g. "CKR_PIN_INCORRECT", or "CKR_?" if unknown. */
const char *p11_rv_name(CK_RV rv);

/*
 * p11_module.c: dlopen the module, C_GetFunctionList, C_Initialize with
 * CKF_OS_LOCKING_OK. Failures are HSM_ERR_MODULE.
 */
int p11_load(struct p11 *p, const char *module, struct hsm_fail *f) BOS_WUR;
/* Log out, close the session and C_Finalize; safe to call more than once. */
void p11_close_session(struct p11 *p);
void p11_finalize(struct p11 *p);

/*
 * p11_token.c: find the token by label (exactly one, else HSM_ERR_NOTOKEN),
 * create one in a free slot, open the R/W session and log in as user.
 */
int p11_find_token(struct p11 *p, const char *label, struct hsm_fail *f) BOS_WUR;
int p11_create_token(struct p11 *p, const char *label, const struct pin *so_pin,
    const struct pin *user_pin, struct hsm_fail *f) BOS_WUR;
int p11_login(struct p11 *p, const struct pin *pin, struct hsm_fail *f) BOS_WUR;

/*
 * p11_keys.c: create KEK "bos-kek-v<N>" and audit pair "bos-audit-v<N>"
 * (HSM_ERR_EXISTS if either label is taken), and find a KEK by version
 * (cached after the first lookup; HSM_ERR_NOKEY if absent).
 */
int p11_keygen(struct p11 *p, uint32_t version, struct hsm_fail *f) BOS_WUR;
int p11_kek_find(struct p11 *p, uint32_t version, CK_OBJECT_HANDLE *h,
    struct hsm_fail *f) BOS_WUR;
/*
 * Before libp11 may sign with "bos-audit-v<N>": the private key exists once
 * and was generated on the token as private, sensitive, never extractable
 * (HSM_ERR_NOKEY if absent). Cached per version.
 */
int p11_audit_check(struct p11 *p, uint32_t version, struct hsm_fail *f) BOS_WUR;
enum p11_key_kind { P11_KEY_KEK, P11_KEY_AUDIT };
/* The label of a key, e.g. "bos-kek-v3" or "bos-audit-v3". */
int p11_key_label(char *buf, size_t cap, enum p11_key_kind kind, uint32_t version) BOS_WUR;
/* Find the one object of a class with a label: 1 found, 0 none, -1 error/ambiguous. */
int p11_object_find(struct p11 *p, CK_OBJECT_CLASS cls, const char *label,
    CK_OBJECT_HANDLE *h, struct hsm_fail *f) BOS_WUR;

/*
 * p11_aead.c: AES-256-GCM by a KEK. blob = iv(12) || ct || tag(16).
 * p11_unwrap fails with HSM_ERR_AUTH for any blob that does not decrypt.
 */
int p11_wrap(struct p11 *p, uint32_t version, const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len, uint8_t *blob, size_t blob_cap, size_t *blob_len,
    struct hsm_fail *f) BOS_WUR;
int p11_unwrap(struct p11 *p, uint32_t version, const uint8_t *aad, size_t aad_len,
    const uint8_t *blob, size_t blob_len, uint8_t *pt, size_t pt_cap, size_t *pt_len,
    struct hsm_fail *f) BOS_WUR;
int p11_random(struct p11 *p, uint8_t *out, size_t n, struct hsm_fail *f) BOS_WUR;

#endif
