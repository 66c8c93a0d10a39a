/*
 * Authenticated encryption of stored payloads: AES-256-GCM (OpenSSL EVP)
 * with a fresh random 96-bit IV per message and a 128-bit tag.
 *
 * Sealed format: iv (12) || ciphertext (same length as the plaintext) || tag (16).
 *
 * The AAD binds a ciphertext to where it is stored (see docs/STORE.md): a
 * ciphertext moved to another row, or opened with another key, fails with
 * BOS_E_AUTH and yields no plaintext at all.
 */
#ifndef BOS_SEAL_H
#define BOS_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

#define SEAL_KEY_LEN 32
#define SEAL_IV_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_OVERHEAD (SEAL_IV_LEN + SEAL_TAG_LEN)
/* Larger payloads are refused; BOS stores credentials, not files. */
#define SEAL_PT_MAX (1024 * 1024)
#define SEAL_AAD_MAX 4096

/*
 * Encrypt pt_len bytes (0..SEAL_PT_MAX; pt may be NULL when pt_len is 0).
 * On success *out is a malloc'd sealed blob of pt_len + SEAL_OVERHEAD bytes
 * that the caller free()s (it holds no secret).
 */
int seal_encrypt(const uint8_t key[static SEAL_KEY_LEN], const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len, uint8_t **out, size_t *out_len,
    struct bos_err *err) BOS_WUR;

/*
 * Decrypt and authenticate a sealed blob. On success *pt is a malloc'd
 * plaintext of *pt_len bytes (never NULL, even for an empty plaintext) that
 * the caller releases with secmem_freezero(*pt, *pt_len). Any blob that does
 * not authenticate under key and aad (including a truncated one) fails with
 * BOS_E_AUTH "ciphertext failed authentication".
 */
int seal_decrypt(const uint8_t key[static SEAL_KEY_LEN], const uint8_t *aad, size_t aad_len,
    const uint8_t *blob, size_t blob_len, uint8_t **pt, size_t *pt_len,
    struct bos_err *err) BOS_WUR;

#endif
