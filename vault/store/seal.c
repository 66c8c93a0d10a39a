/* AES-256-GCM sealing of stored payloads; see seal.h. */
#include "store/seal.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include "secmem.h"

static int
seal_check_sizes(const uint8_t *aad, size_t aad_len, const uint8_t *data, size_t data_len,
    size_t data_max, struct bos_err *err)
{
	if (aad_len > SEAL_AAD_MAX || (aad == NULL && aad_len != 0))
		return bos_err_set(err, BOS_E_INVALID, "seal: AAD of %zu bytes is out of range",
		    aad_len);
	if (data_len > data_max || (data == NULL && data_len != 0))
		return bos_err_set(err, BOS_E_INVALID,
		    "seal: payload of %zu bytes is larger than the %d-byte limit",
		    data_len, SEAL_PT_MAX);
	return 0;
}

/*
 * Set up ctx for AES-256-GCM with a 12-byte IV, then feed the AAD. The IV
 * length is set explicitly so a change of OpenSSL default cannot alter it.
 */
static int
seal_ctx_init(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *key, const uint8_t *iv,
    const uint8_t *aad, size_t aad_len)
{
	int outl;

	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_IV_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) != 1)
		return -1;
	if (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		return -1;
	return 0;
}

int
seal_encrypt(const uint8_t key[static SEAL_KEY_LEN], const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len, uint8_t **out, size_t *out_len, struct bos_err *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	int r = -1, outl = 0, finl = 0;

	*out = NULL;
	*out_len = 0;
	if (seal_check_sizes(aad, aad_len, pt, pt_len, SEAL_PT_MAX, err) != 0)
		return -1;
	blob_len = pt_len + SEAL_OVERHEAD; /* cannot overflow: pt_len <= SEAL_PT_MAX */
	if ((blob = malloc(blob_len)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "seal: out of memory");
		goto out;
	}
	if (RAND_bytes(blob, SEAL_IV_LEN) != 1) {
		bos_err_set(err, BOS_E_IO, "seal: the random generator failed");
		goto out;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    seal_ctx_init(ctx, 1, key, blob, aad, aad_len) != 0 ||
	    (pt_len > 0 && EVP_EncryptUpdate(ctx, blob + SEAL_IV_LEN, &outl, pt,
	    (int)pt_len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, blob + SEAL_IV_LEN + outl, &finl) != 1 ||
	    (size_t)outl + (size_t)finl != pt_len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
	    blob + SEAL_IV_LEN + pt_len) != 1) {
		bos_err_set(err, BOS_E_IO, "seal: AES-256-GCM encryption failed in OpenSSL");
		goto out;
	}
	*out = blob;
	*out_len = blob_len;
	blob = NULL;
	/* success */
	r = 0;
 out:
	/* EVP_CIPHER_CTX_free() wipes the expanded key schedule. */
	EVP_CIPHER_CTX_free(ctx);
	free(blob);
	return r;
}

int
seal_decrypt(const uint8_t key[static SEAL_KEY_LEN], const uint8_t *aad, size_t aad_len,
    const uint8_t *blob, size_t blob_len, uint8_t **pt, size_t *pt_len, struct bos_err *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *plain = NULL, tag[SEAL_TAG_LEN];
	size_t ct_len = 0;
	int r = -1, outl = 0, finl = 0;

	*pt = NULL;
	*pt_len = 0;
	if (seal_check_sizes(aad, aad_len, blob, blob_len, SEAL_PT_MAX + SEAL_OVERHEAD, err) != 0)
		return -1;
	/* Anything shorter than iv + tag cannot be one of ours: it fails like a bad tag. */
	if (blob_len < SEAL_OVERHEAD)
		return bos_err_set(err, BOS_E_AUTH, "ciphertext failed authentication");
	ct_len = blob_len - SEAL_OVERHEAD;
	/* One spare byte so that an empty plaintext is still a real allocation. */
	if ((plain = malloc(ct_len + 1)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "seal: out of memory");
		goto out;
	}
	memcpy(tag, blob + SEAL_IV_LEN + ct_len, SEAL_TAG_LEN);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    seal_ctx_init(ctx, 0, key, blob, aad, aad_len) != 0 ||
	    (ct_len > 0 && EVP_DecryptUpdate(ctx, plain, &outl, blob + SEAL_IV_LEN,
	    (int)ct_len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, plain + outl, &finl) != 1 ||
	    (size_t)outl + (size_t)finl != ct_len) {
		bos_err_set(err, BOS_E_AUTH, "ciphertext failed authentication");
		goto out;
	}
	*pt = plain;
	*pt_len = ct_len;
	plain = NULL;
	/* success */
	r = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	/* GCM decrypts before it verifies: unauthenticated plaintext must not survive. */
	secmem_freezero(plain, ct_len + 1);
	return r;
}
