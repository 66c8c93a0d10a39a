/*
 * AES-256-GCM wrap/unwrap by a KEK, and random bytes; see p11.h.
 *
 * SoftHSM accepts any IV length and even ulTagBits = 0 (no tag at all), so
 * the parameters are fixed here and the output length is checked: a 12-byte
 * IV from the token's RNG and a 128-bit tag, always.
 */
#include "p11.h"

#include <string.h>
#include "secmem.h"

#define P11_GCM_OVERHEAD (HSM_IV_LEN + HSM_TAG_LEN)

static void
p11_gcm_params(CK_GCM_PARAMS *gcm, uint8_t *iv, uint8_t *aad, size_t aad_len)
{
	memset(gcm, 0, sizeof(*gcm));
	gcm->pIv = iv;
	gcm->ulIvLen = HSM_IV_LEN;
	gcm->ulIvBits = HSM_IV_LEN * 8;
	gcm->pAAD = aad_len > 0 ? aad : NULL;
	gcm->ulAADLen = aad_len;
	gcm->ulTagBits = HSM_TAG_LEN * 8;
}

int
p11_random(struct p11 *p, uint8_t *out, size_t n, struct hsm_fail *f)
{
	CK_RV rv = p->fn->C_GenerateRandom(p->session, out, n);

	if (rv != CKR_OK)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "C_GenerateRandom failed: %s (0x%lx)",
		    p11_rv_name(rv), (unsigned long)rv);
	return 0;
}

/*
 * Encrypt; ct||tag must come out exactly pt_len + 16 bytes. The output goes
 * to a scratch buffer larger than needed: a CKR_BUFFER_TOO_SMALL answer
 * would leave the operation active and wedge the session (see below).
 */
static int
p11_gcm_encrypt(struct p11 *p, CK_OBJECT_HANDLE key, CK_GCM_PARAMS *gcm, const uint8_t *pt,
    size_t pt_len, uint8_t *ct, struct hsm_fail *f)
{
	CK_MECHANISM mech = { CKM_AES_GCM, gcm, sizeof(*gcm) };
	uint8_t in[HSM_PT_MAX], out[HSM_BLOB_MAX];
	CK_ULONG out_len = sizeof(out);
	CK_RV rv;
	int r = -1;

	/* C_Encrypt takes a non-const input; copy rather than cast away const. */
	memcpy(in, pt, pt_len);
	if ((rv = p->fn->C_EncryptInit(p->session, &mech, key)) != CKR_OK ||
	    (rv = p->fn->C_Encrypt(p->session, in, pt_len, out, &out_len)) != CKR_OK) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "AES-GCM encryption failed: %s (0x%lx)",
		    p11_rv_name(rv), (unsigned long)rv);
		goto out;
	}
	/* SoftHSM would produce no tag at all for ulTagBits = 0: check. */
	if (out_len != pt_len + HSM_TAG_LEN) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "AES-GCM produced %lu bytes, expected %zu",
		    (unsigned long)out_len, pt_len + HSM_TAG_LEN);
		goto out;
	}
	memcpy(ct, out, out_len);
	/* success */
	r = 0;
 out:
	secmem_wipe(in, sizeof(in));
	secmem_wipe(out, sizeof(out));
	return r;
}

int
p11_wrap(struct p11 *p, uint32_t version, const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len, uint8_t *blob, size_t blob_cap, size_t *blob_len,
    struct hsm_fail *f)
{
	uint8_t aad_copy[HSM_AAD_MAX];
	CK_OBJECT_HANDLE key;
	CK_GCM_PARAMS gcm;
	size_t want;

	if (pt_len == 0 || pt_len > HSM_PT_MAX || aad_len > HSM_AAD_MAX ||
	    __builtin_add_overflow(pt_len, P11_GCM_OVERHEAD, &want) || want > blob_cap)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "wrap: bad lengths");
	if (p11_kek_find(p, version, &key, f) != 0)
		return -1;
	if (p11_random(p, blob, HSM_IV_LEN, f) != 0)
		return -1;
	memcpy(aad_copy, aad, aad_len);
	p11_gcm_params(&gcm, blob, aad_copy, aad_len);
	if (p11_gcm_encrypt(p, key, &gcm, pt, pt_len, blob + HSM_IV_LEN, f) != 0)
		return -1;
	*blob_len = want;
	return 0;
}

/*
 * SoftHSM wants room for ciphertext + tag in the output of C_Decrypt, not
 * just the plaintext, and answers CKR_BUFFER_TOO_SMALL otherwise. That
 * answer leaves the operation active, and every later call on the session
 * then fails with CKR_OPERATION_ACTIVE. So decrypt into a scratch buffer as
 * large as the input and copy the plaintext out.
 */
static int
p11_gcm_decrypt(struct p11 *p, CK_OBJECT_HANDLE key, CK_GCM_PARAMS *gcm, const uint8_t *ct,
    size_t ct_len, uint8_t *pt, size_t pt_cap, size_t *pt_len, struct hsm_fail *f)
{
	CK_MECHANISM mech = { CKM_AES_GCM, gcm, sizeof(*gcm) };
	uint8_t in[HSM_BLOB_MAX], out[HSM_BLOB_MAX];
	CK_ULONG out_len = sizeof(out);
	CK_RV rv;
	int r = -1;

	memcpy(in, ct, ct_len);
	if ((rv = p->fn->C_DecryptInit(p->session, &mech, key)) != CKR_OK) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "AES-GCM C_DecryptInit failed: %s (0x%lx)",
		    p11_rv_name(rv), (unsigned long)rv);
		goto out;
	}
	/*
	 * A bad tag comes back as CKR_GENERAL_ERROR from SoftHSM and as other
	 * codes elsewhere: every decryption failure is an authentication failure.
	 */
	rv = p->fn->C_Decrypt(p->session, in, ct_len, out, &out_len);
	if (rv != CKR_OK || out_len != ct_len - HSM_TAG_LEN || out_len > pt_cap) {
		hsm_fail_set(f, HSM_ERR_AUTH, "wrapped blob does not authenticate");
		goto out;
	}
	memcpy(pt, out, out_len);
	*pt_len = out_len;
	/* success */
	r = 0;
 out:
	secmem_wipe(out, sizeof(out));
	secmem_wipe(in, sizeof(in));
	return r;
}

int
p11_unwrap(struct p11 *p, uint32_t version, const uint8_t *aad, size_t aad_len,
    const uint8_t *blob, size_t blob_len, uint8_t *pt, size_t pt_cap, size_t *pt_len,
    struct hsm_fail *f)
{
	uint8_t aad_copy[HSM_AAD_MAX], iv[HSM_IV_LEN];
	CK_OBJECT_HANDLE key;
	CK_GCM_PARAMS gcm;

	if (aad_len > HSM_AAD_MAX || blob_len > HSM_BLOB_MAX)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "unwrap: bad lengths");
	if (p11_kek_find(p, version, &key, f) != 0)
		return -1;
	/* Too short to hold an IV, a tag and a byte: it cannot authenticate. */
	if (blob_len <= P11_GCM_OVERHEAD || blob_len - P11_GCM_OVERHEAD > pt_cap)
		return hsm_fail_set(f, HSM_ERR_AUTH, "wrapped blob does not authenticate");
	memcpy(iv, blob, HSM_IV_LEN);
	memcpy(aad_copy, aad, aad_len);
	p11_gcm_params(&gcm, iv, aad_copy, aad_len);
	return p11_gcm_decrypt(p, key, &gcm, blob + HSM_IV_LEN, blob_len - HSM_IV_LEN, pt,
	    pt_cap, pt_len, f);
}
