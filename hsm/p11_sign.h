/*
 * Audit signatures through libp11: the EC private key "bos-audit-v<N>"
 * becomes an OpenSSL EVP_PKEY whose operations run on the token.
 *
 * libp11 shares the module that p11.h loaded and initialised (dlopen of the
 * same path returns the same instance, and its C_Initialize answers
 * CKR_CRYPTOKI_ALREADY_INITIALIZED, which libp11 accepts). It sees our
 * login because PKCS#11 login state belongs to the token and application,
 * not the session. It never logs in itself, so it never holds the PIN.
 *
 * Shutdown order matters: signer_release() closes every session on the slot
 * (libp11 calls C_CloseAllSessions), so it runs after p11_close_session()
 * and before p11_finalize(); signer_free() runs last. PKCS11_CTX_unload is
 * never called: it would C_Finalize the module under the raw session.
 */
#ifndef BOS_HSM_P11_SIGN_H
#define BOS_HSM_P11_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "fail.h"
#include "hsm_proto.h"

struct signer;

/* Attach libp11 to the module and to the slot the raw layer logged in to. */
int signer_open(const char *module, unsigned long slot_id, struct signer **out,
    struct hsm_fail *f) BOS_WUR;

/* DER ECDSA signature of a SHA-256 digest; checked against the public key. */
int signer_sign(struct signer *s, uint32_t version, const uint8_t digest[static HSM_DIGEST_LEN],
    uint8_t *sig, size_t sig_cap, size_t *sig_len, struct hsm_fail *f) BOS_WUR;

/* DER SubjectPublicKeyInfo of the audit key. */
int signer_pubkey(struct signer *s, uint32_t version, uint8_t *der, size_t der_cap,
    size_t *der_len, struct hsm_fail *f) BOS_WUR;

/* Drop keys and libp11's slots (closes all sessions on the slot). */
void signer_release(struct signer *s);
/* Free the libp11 context; after p11_finalize(). Accepts NULL. */
void signer_free(struct signer *s);

#endif
