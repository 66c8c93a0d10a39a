/*
 * libp11 signer; see p11_sign.h for how it shares the module.
 *
 * Each audit key version is looked up once: libp11 enumerates the private
 * keys (it finds our private objects because the raw session is logged
 * in), we pick the one labelled "bos-audit-v<N>" and keep its EVP_PKEY,
 * its SubjectPublicKeyInfo and a plain OpenSSL copy of the public key used
 * to check every signature before it leaves bos-hsmd.
 */
#include "p11_sign.h"

#include <libp11.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGNER_CACHE 8

struct signer_key {
	uint32_t version;
	EVP_PKEY *priv;  /* libp11 key: operations run on the token */
	EVP_PKEY *pub;   /* plain OpenSSL public key, for the self-check */
	uint8_t spki[HSM_PUBKEY_MAX];
	size_t spki_len;
};

struct signer {
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_SLOT *slot;
	struct signer_key keys[SIGNER_CACHE];
	size_t nkeys;
	struct signer_key scratch; /* used when the cache is full */
};

static int
signer_attach(struct signer *s, const char *module, unsigned long slot_id,
    struct hsm_fail *f)
{
	unsigned int i;

	/* Answers CKR_CRYPTOKI_ALREADY_INITIALIZED inside; libp11 accepts that. */
	if (PKCS11_CTX_load(s->ctx, module) != 0)
		return hsm_fail_set(f, HSM_ERR_MODULE, "libp11 could not attach to %s", module);
	if (PKCS11_enumerate_slots(s->ctx, &s->slots, &s->nslots) != 0)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "libp11 could not list the slots of %s",
		    module);
	for (i = 0; i < s->nslots; i++) {
		if (PKCS11_get_slotid_from_slot(&s->slots[i]) == slot_id &&
		    s->slots[i].token != NULL) {
			s->slot = &s->slots[i];
			return 0;
		}
	}
	return hsm_fail_set(f, HSM_ERR_DEVICE, "libp11 does not see slot %lu of %s", slot_id,
	    module);
}

int
signer_open(const char *module, unsigned long slot_id, struct signer **out,
    struct hsm_fail *f)
{
	struct signer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "out of memory");
	if ((s->ctx = PKCS11_CTX_new()) == NULL) {
		free(s);
		return hsm_fail_set(f, HSM_ERR_DEVICE, "PKCS11_CTX_new failed");
	}
	if (signer_attach(s, module, slot_id, f) != 0) {
		signer_release(s);
		signer_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static void
signer_key_clear(struct signer_key *k)
{
	EVP_PKEY_free(k->priv);
	EVP_PKEY_free(k->pub);
	memset(k, 0, sizeof(*k));
}

/* The one private key labelled label, or NULL (f says why). */
static PKCS11_KEY *
signer_find(struct signer *s, const char *label, struct hsm_fail *f)
{
	PKCS11_KEY *keys = NULL, *found = NULL;
	unsigned int n = 0, i;

	if (PKCS11_enumerate_keys(s->slot->token, &keys, &n) != 0) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "libp11 could not list the private keys");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (keys[i].label == NULL || strcmp(keys[i].label, label) != 0)
			continue;
		if (found != NULL) {
			hsm_fail_set(f, HSM_ERR_DEVICE, "more than one private key is labelled "
			    "'%s'; refusing to guess", label);
			return NULL;
		}
		found = &keys[i];
	}
	if (found == NULL)
		hsm_fail_set(f, HSM_ERR_NOKEY, "no audit key '%s' on the token", label);
	else if (PKCS11_get_key_type(found) != EVP_PKEY_EC) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "audit key '%s' is not an EC key", label);
		found = NULL;
	}
	return found;
}

/* SubjectPublicKeyInfo of the token key, and a plain copy of the public key. */
static int
signer_key_public(struct signer_key *k, const char *label, struct hsm_fail *f)
{
	const unsigned char *in;
	unsigned char *out = NULL;
	int n = i2d_PUBKEY(k->priv, &out);

	if (n <= 0 || (size_t)n > sizeof(k->spki)) {
		OPENSSL_free(out);
		return hsm_fail_set(f, HSM_ERR_DEVICE, "cannot encode the public key of '%s'",
		    label);
	}
	memcpy(k->spki, out, (size_t)n);
	k->spki_len = (size_t)n;
	OPENSSL_free(out);
	in = k->spki;
	if ((k->pub = d2i_PUBKEY(NULL, &in, (long)k->spki_len)) == NULL ||
	    EVP_PKEY_get_bits(k->pub) != 256)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "public key of '%s' is not P-256", label);
	return 0;
}

static int
signer_key_load(struct signer *s, uint32_t version, struct signer_key *k, struct hsm_fail *f)
{
	char label[40];
	PKCS11_KEY *key;
	int n;

	n = snprintf(label, sizeof(label), HSM_AUDIT_LABEL_FMT, version);
	if (n < 0 || (size_t)n >= sizeof(label))
		return hsm_fail_set(f, HSM_ERR_DEVICE, "key label too long");
	if ((key = signer_find(s, label, f)) == NULL)
		return -1;
	k->version = version;
	if ((k->priv = PKCS11_get_private_key(key)) == NULL) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "libp11 could not load audit key '%s'", label);
		goto fail;
	}
	if (signer_key_public(k, label, f) != 0)
		goto fail;
	return 0;
 fail:
	signer_key_clear(k);
	return -1;
}

static int
signer_key_get(struct signer *s, uint32_t version, struct signer_key **out,
    struct hsm_fail *f)
{
	struct signer_key *k;
	size_t i;

	for (i = 0; i < s->nkeys; i++) {
		if (s->keys[i].version == version) {
			*out = &s->keys[i];
			return 0;
		}
	}
	/* Beyond SIGNER_CACHE versions the scratch slot is reloaded per call. */
	if (s->nkeys < SIGNER_CACHE)
		k = &s->keys[s->nkeys];
	else {
		signer_key_clear(&s->scratch);
		k = &s->scratch;
	}
	if (signer_key_load(s, version, k, f) != 0)
		return -1;
	if (k != &s->scratch)
		s->nkeys++;
	*out = k;
	return 0;
}

static int
signer_verify(EVP_PKEY *pub, const uint8_t *digest, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
	int ok = 0;

	if (ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_verify(ctx, sig, sig_len, digest, HSM_DIGEST_LEN) == 1)
		ok = 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/*
 * The check after signing is not paranoia: if libp11 ever falls back to
 * OpenSSL's software ECDSA (it does so after a fork) it signs with a dummy
 * zero private key, and that must not reach the audit log as valid.
 */
int
signer_sign(struct signer *s, uint32_t version, const uint8_t digest[static HSM_DIGEST_LEN],
    uint8_t *sig, size_t sig_cap, size_t *sig_len, struct hsm_fail *f)
{
	struct signer_key *k;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = sig_cap;
	int r = -1;

	if (signer_key_get(s, version, &k, f) != 0)
		return -1;
	if ((ctx = EVP_PKEY_CTX_new(k->priv, NULL)) == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_sign(ctx, sig, &len, digest, HSM_DIGEST_LEN) != 1) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "signing with audit key v%u failed", version);
		goto out;
	}
	if (len > sig_cap || !signer_verify(k->pub, digest, sig, len)) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "signature by audit key v%u did not verify",
		    version);
		goto out;
	}
	*sig_len = len;
	/* success */
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int
signer_pubkey(struct signer *s, uint32_t version, uint8_t *der, size_t der_cap,
    size_t *der_len, struct hsm_fail *f)
{
	struct signer_key *k;

	if (signer_key_get(s, version, &k, f) != 0)
		return -1;
	if (k->spki_len > der_cap)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "public key too long");
	memcpy(der, k->spki, k->spki_len);
	*der_len = k->spki_len;
	return 0;
}

void
signer_release(struct signer *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nkeys; i++)
		signer_key_clear(&s->keys[i]);
	signer_key_clear(&s->scratch);
	s->nkeys = 0;
	/* Our EVP_PKEYs are gone first, so libp11 can free its key objects. */
	if (s->slots != NULL)
		PKCS11_release_all_slots(s->ctx, s->slots, s->nslots);
	s->slots = NULL;
	s->nslots = 0;
	s->slot = NULL;
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	/* Not PKCS11_CTX_unload: that would C_Finalize the module (see header). */
	PKCS11_CTX_free(s->ctx);
	free(s);
}
