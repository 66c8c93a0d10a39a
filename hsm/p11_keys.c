/*
 * Key generation and lookup; see p11.h.
 *
 * Templates are complete on purpose: for an omitted attribute SoftHSM picks
 * a permissive default (ENCRYPT/DECRYPT/SIGN/VERIFY/WRAP/UNWRAP on,
 * SENSITIVE off), so every usage flag is spelled out, true or false.
 *
 * Usage flags say what a key may do (encrypt), not how: an AES key with
 * ENCRYPT also does ECB, CBC and CTR, which give no integrity and, for ECB,
 * show equal blocks. So each key also lists the one mechanism BOS uses in
 * CKA_ALLOWED_MECHANISMS (issue #12 item 13); the token refuses the others
 * with CKR_MECHANISM_INVALID, and the list cannot be changed afterwards.
 */
#include "p11.h"

#include <stdio.h>
#include <string.h>
#include "log.h"

/* DER of OID 1.2.840.10045.3.1.7 (prime256v1, P-256). */
static const unsigned char p11_p256_oid[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};

#define ATTR(t, v) { (t), &(v), sizeof(v) }

/* The only mechanism each kind of key is made for. */
static const CK_MECHANISM_TYPE p11_kek_mech = CKM_AES_GCM;
static const CK_MECHANISM_TYPE p11_audit_mech = CKM_ECDSA; /* over a digest (libp11) */

int
p11_key_label(char *buf, size_t cap, enum p11_key_kind kind, uint32_t version)
{
	int n;

	if (kind == P11_KEY_KEK)
		n = snprintf(buf, cap, HSM_KEK_LABEL_FMT, version);
	else
		n = snprintf(buf, cap, HSM_AUDIT_LABEL_FMT, version);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return 0;
}

/* Run a search with template t; up to 2 hits so that duplicates show. */
static int
p11_find(struct p11 *p, CK_ATTRIBUTE *t, CK_ULONG nt, CK_OBJECT_HANDLE h[2], CK_ULONG *n,
    struct hsm_fail *f)
{
	CK_RV rv;

	if ((rv = p->fn->C_FindObjectsInit(p->session, t, nt)) != CKR_OK)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "C_FindObjectsInit failed: %s (0x%lx)",
		    p11_rv_name(rv), (unsigned long)rv);
	rv = p->fn->C_FindObjects(p->session, h, 2, n);
	(void)p->fn->C_FindObjectsFinal(p->session);
	if (rv != CKR_OK)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "C_FindObjects failed: %s (0x%lx)",
		    p11_rv_name(rv), (unsigned long)rv);
	return 0;
}

int
p11_object_find(struct p11 *p, CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *h,
    struct hsm_fail *f)
{
	char lbl[P11_LABEL_MAX + 1];
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, cls), { CKA_LABEL, lbl, strlen(label) } };

	if (t[1].ulValueLen > P11_LABEL_MAX)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "label too long");
	memcpy(lbl, label, t[1].ulValueLen);
	if (p11_find(p, t, BOS_ARRAY_LEN(t), found, &n, f) != 0)
		return -1;
	/* Two keys with one label: someone else wrote to the token. Use neither. */
	if (n > 1)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "token '%s' holds more than one object "
		    "labelled '%s'; refusing to guess", p->label, label);
	if (n == 0)
		return 0;
	*h = found[0];
	return 1;
}

/* Whether any object at all (of any class) carries label. */
static int
p11_label_taken(struct p11 *p, const char *label, int *taken, struct hsm_fail *f)
{
	char lbl[P11_LABEL_MAX + 1];
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;
	CK_ATTRIBUTE t[] = { { CKA_LABEL, lbl, strlen(label) } };

	if (t[0].ulValueLen > P11_LABEL_MAX)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "label too long");
	memcpy(lbl, label, t[0].ulValueLen);
	if (p11_find(p, t, BOS_ARRAY_LEN(t), found, &n, f) != 0)
		return -1;
	*taken = n > 0;
	return 0;
}

static int
p11_new_id(struct p11 *p, unsigned char id[static P11_KEY_ID_LEN], struct hsm_fail *f)
{
	CK_RV rv = p->fn->C_GenerateRandom(p->session, id, P11_KEY_ID_LEN);

	if (rv != CKR_OK)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "C_GenerateRandom failed: %s (0x%lx)",
		    p11_rv_name(rv), (unsigned long)rv);
	return 0;
}

/* AES-256 KEK: encrypt/decrypt only, never leaves the token in any form. */
static int
p11_kek_create(struct p11 *p, const char *label, CK_OBJECT_HANDLE *h, struct hsm_fail *f)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG len = 32;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM_TYPE allowed = p11_kek_mech;
	unsigned char id[P11_KEY_ID_LEN];
	char lbl[P11_LABEL_MAX + 1];
	CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls), ATTR(CKA_KEY_TYPE, kt), ATTR(CKA_VALUE_LEN, len),
		ATTR(CKA_TOKEN, yes), ATTR(CKA_PRIVATE, yes), ATTR(CKA_SENSITIVE, yes),
		ATTR(CKA_EXTRACTABLE, no), ATTR(CKA_ENCRYPT, yes), ATTR(CKA_DECRYPT, yes),
		ATTR(CKA_WRAP, no), ATTR(CKA_UNWRAP, no), ATTR(CKA_SIGN, no),
		ATTR(CKA_VERIFY, no), ATTR(CKA_DERIVE, no), ATTR(CKA_MODIFIABLE, no),
		ATTR(CKA_COPYABLE, no), ATTR(CKA_ALLOWED_MECHANISMS, allowed),
		{ CKA_LABEL, lbl, strlen(label) }, ATTR(CKA_ID, id),
	};
	CK_RV rv;

	memcpy(lbl, label, strlen(label) + 1);
	if (p11_new_id(p, id, f) != 0)
		return -1;
	if ((rv = p->fn->C_GenerateKey(p->session, &mech, t, BOS_ARRAY_LEN(t), h)) != CKR_OK)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "generating KEK '%s' failed: %s (0x%lx)",
		    label, p11_rv_name(rv), (unsigned long)rv);
	return 0;
}

/* EC P-256 audit pair; libp11 pairs the halves by their common CKA_ID. */
static int
p11_audit_create(struct p11 *p, const char *label, struct hsm_fail *f)
{
	CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM_TYPE allowed = p11_audit_mech;
	unsigned char id[P11_KEY_ID_LEN], oid[sizeof(p11_p256_oid)];
	char lbl[P11_LABEL_MAX + 1];
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub[] = {
		ATTR(CKA_CLASS, pub_cls), ATTR(CKA_KEY_TYPE, kt), ATTR(CKA_TOKEN, yes),
		ATTR(CKA_PRIVATE, no), ATTR(CKA_VERIFY, yes), ATTR(CKA_VERIFY_RECOVER, no),
		ATTR(CKA_ENCRYPT, no), ATTR(CKA_WRAP, no), ATTR(CKA_DERIVE, no),
		ATTR(CKA_MODIFIABLE, no), ATTR(CKA_EC_PARAMS, oid),
		ATTR(CKA_ALLOWED_MECHANISMS, allowed), { CKA_LABEL, lbl, strlen(label) },
		ATTR(CKA_ID, id),
	};
	CK_ATTRIBUTE priv[] = {
		ATTR(CKA_CLASS, priv_cls), ATTR(CKA_KEY_TYPE, kt), ATTR(CKA_TOKEN, yes),
		ATTR(CKA_PRIVATE, yes), ATTR(CKA_SENSITIVE, yes), ATTR(CKA_EXTRACTABLE, no),
		ATTR(CKA_SIGN, yes), ATTR(CKA_SIGN_RECOVER, no), ATTR(CKA_DECRYPT, no),
		ATTR(CKA_UNWRAP, no), ATTR(CKA_DERIVE, no), ATTR(CKA_MODIFIABLE, no),
		ATTR(CKA_COPYABLE, no), ATTR(CKA_ALLOWED_MECHANISMS, allowed),
		{ CKA_LABEL, lbl, strlen(label) }, ATTR(CKA_ID, id),
	};
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_RV rv;

	memcpy(lbl, label, strlen(label) + 1);
	memcpy(oid, p11_p256_oid, sizeof(oid));
	if (p11_new_id(p, id, f) != 0)
		return -1;
	rv = p->fn->C_GenerateKeyPair(p->session, &mech, pub, BOS_ARRAY_LEN(pub), priv,
	    BOS_ARRAY_LEN(priv), &hpub, &hpriv);
	if (rv != CKR_OK)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "generating audit key '%s' failed: %s "
		    "(0x%lx)", label, p11_rv_name(rv), (unsigned long)rv);
	return 0;
}

static void
p11_kek_cache_put(struct p11 *p, uint32_t version, CK_OBJECT_HANDLE h)
{
	/* A full cache only costs a C_FindObjects per use of the extra versions. */
	if (p->nkek >= P11_KEK_CACHE)
		return;
	p->kek[p->nkek].version = version;
	p->kek[p->nkek].handle = h;
	p->nkek++;
}

static int
p11_keygen_check(struct p11 *p, const char *kek, const char *audit, struct hsm_fail *f)
{
	int taken_kek = 0, taken_audit = 0;

	if (p11_label_taken(p, kek, &taken_kek, f) != 0 ||
	    p11_label_taken(p, audit, &taken_audit, f) != 0)
		return -1;
	if (taken_kek || taken_audit)
		return hsm_fail_set(f, HSM_ERR_EXISTS, "token '%s' already holds a key labelled "
		    "'%s'; keys are never replaced", p->label, taken_kek ? kek : audit);
	return 0;
}

int
p11_keygen(struct p11 *p, uint32_t version, struct hsm_fail *f)
{
	char kek[P11_LABEL_MAX + 1], audit[P11_LABEL_MAX + 1];
	CK_OBJECT_HANDLE h;

	if (p11_key_label(kek, sizeof(kek), P11_KEY_KEK, version) != 0 ||
	    p11_key_label(audit, sizeof(audit), P11_KEY_AUDIT, version) != 0)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "key label too long");
	if (p11_keygen_check(p, kek, audit, f) != 0)
		return -1;
	if (p11_kek_create(p, kek, &h, f) != 0)
		return -1;
	/* Both keys of a version or neither: a lone KEK would block a retry. */
	if (p11_audit_create(p, audit, f) != 0) {
		(void)p->fn->C_DestroyObject(p->session, h);
		return -1;
	}
	p11_kek_cache_put(p, version, h);
	return 0;
}

/*
 * A key found by label is used only if the token vouches that it is one we
 * could have made: generated on the token (CKA_LOCAL), private, always
 * sensitive and never extractable. A R/W session can create public objects
 * without the PIN, so without this check anyone who can open the token
 * could plant an imported key under a label we have not used yet, and we
 * would wrap under (or sign with) a key they know.
 */
static int
p11_key_trusted(struct p11 *p, CK_OBJECT_HANDLE h, CK_KEY_TYPE want_type,
    CK_ATTRIBUTE_TYPE usage, const char *label, struct hsm_fail *f)
{
	CK_KEY_TYPE kt = 0;
	CK_BBOOL priv = CK_FALSE, local = CK_FALSE, sens = CK_FALSE, asens = CK_FALSE;
	CK_BBOOL extr = CK_TRUE, nev = CK_FALSE, use = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_KEY_TYPE, kt), ATTR(CKA_PRIVATE, priv), ATTR(CKA_LOCAL, local),
		ATTR(CKA_SENSITIVE, sens), ATTR(CKA_ALWAYS_SENSITIVE, asens),
		ATTR(CKA_EXTRACTABLE, extr), ATTR(CKA_NEVER_EXTRACTABLE, nev), ATTR(usage, use),
	};
	CK_RV rv = p->fn->C_GetAttributeValue(p->session, h, t, BOS_ARRAY_LEN(t));

	if (rv != CKR_OK)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "reading attributes of '%s' failed: "
		    "%s (0x%lx)", label, p11_rv_name(rv), (unsigned long)rv);
	if (kt != want_type || !priv || !local || !sens || !asens || extr || !nev || !use)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "key '%s' on token '%s' was not generated "
		    "there as a private, sensitive, never-extractable key; refusing to use it",
		    label, p->label);
	return 0;
}

/*
 * The key's CKA_ALLOWED_MECHANISMS must be exactly { want }, as we make it.
 * An empty list (no restriction) is what every key made before issue #12
 * has; such a key is !MODIFIABLE, and no token lets the list be set after
 * creation anyway, so it is used with a warning rather than refused: refusing
 * would lock the vault out of everything it wrapped. Replacing it is a KEK
 * rotation (issue #20). Any other list is not one we could have made: refused.
 */
static int
p11_key_mechs(struct p11 *p, CK_OBJECT_HANDLE h, CK_MECHANISM_TYPE want, const char *want_name,
    const char *label, struct hsm_fail *f)
{
	CK_MECHANISM_TYPE list[4];
	CK_ATTRIBUTE t = { CKA_ALLOWED_MECHANISMS, list, sizeof(list) };
	CK_RV rv = p->fn->C_GetAttributeValue(p->session, h, &t, 1);

	if (rv == CKR_OK && t.ulValueLen == sizeof(list[0]) && list[0] == want)
		return 0;
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || (rv == CKR_OK && t.ulValueLen == 0)) {
		log_warn("key '%s' on token '%s' has no mechanism restriction (made before BOS "
		    "listed %s as its only allowed mechanism): whoever has the token's PIN can use "
		    "it with other mechanisms too; it cannot be changed on the token, rotate to a "
		    "new key version to replace it (docs/HSM.md, \"Keys made before mechanism "
		    "restrictions\")", label, p->label, want_name);
		return 0;
	}
	return hsm_fail_set(f, HSM_ERR_DEVICE, "key '%s' on token '%s' allows mechanisms other "
	    "than %s; BOS never makes such a key: refusing to use it", label, p->label, want_name);
}

static int
p11_kek_check(struct p11 *p, CK_OBJECT_HANDLE h, const char *label, struct hsm_fail *f)
{
	CK_ULONG len = 0;
	CK_BBOOL enc = CK_FALSE;
	CK_ATTRIBUTE t[] = { ATTR(CKA_VALUE_LEN, len), ATTR(CKA_ENCRYPT, enc) };
	CK_RV rv;

	if (p11_key_trusted(p, h, CKK_AES, CKA_DECRYPT, label, f) != 0)
		return -1;
	if ((rv = p->fn->C_GetAttributeValue(p->session, h, t, BOS_ARRAY_LEN(t))) != CKR_OK ||
	    len != 32 || !enc)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "KEK '%s' on token '%s' is not an AES-256 "
		    "encryption key", label, p->label);
	return p11_key_mechs(p, h, p11_kek_mech, "CKM_AES_GCM", label, f);
}

int
p11_audit_check(struct p11 *p, uint32_t version, struct hsm_fail *f)
{
	char label[P11_LABEL_MAX + 1];
	CK_OBJECT_HANDLE h;
	size_t i;
	int r;

	for (i = 0; i < p->naudit; i++) {
		if (p->audit[i] == version)
			return 0;
	}
	if (p11_key_label(label, sizeof(label), P11_KEY_AUDIT, version) != 0)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "key label too long");
	if ((r = p11_object_find(p, CKO_PRIVATE_KEY, label, &h, f)) < 0)
		return -1;
	if (r == 0)
		return hsm_fail_set(f, HSM_ERR_NOKEY, "no audit key '%s' on token '%s'", label,
		    p->label);
	if (p11_key_trusted(p, h, CKK_EC, CKA_SIGN, label, f) != 0 ||
	    p11_key_mechs(p, h, p11_audit_mech, "CKM_ECDSA", label, f) != 0)
		return -1;
	if (p->naudit < P11_KEK_CACHE)
		p->audit[p->naudit++] = version;
	return 0;
}

int
p11_kek_find(struct p11 *p, uint32_t version, CK_OBJECT_HANDLE *h, struct hsm_fail *f)
{
	char label[P11_LABEL_MAX + 1];
	size_t i;
	int r;

	for (i = 0; i < p->nkek; i++) {
		if (p->kek[i].version == version) {
			*h = p->kek[i].handle;
			return 0;
		}
	}
	if (p11_key_label(label, sizeof(label), P11_KEY_KEK, version) != 0)
		return hsm_fail_set(f, HSM_ERR_DEVICE, "key label too long");
	if ((r = p11_object_find(p, CKO_SECRET_KEY, label, h, f)) < 0)
		return -1;
	if (r == 0)
		return hsm_fail_set(f, HSM_ERR_NOKEY, "no KEK '%s' on token '%s'", label,
		    p->label);
	if (p11_kek_check(p, *h, label, f) != 0)
		return -1;
	p11_kek_cache_put(p, version, *h);
	return 0;
}
