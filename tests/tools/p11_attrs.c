/*
 * Test tool (not shipped): what the token says about the keys bos-hsmd
 * made, through raw PKCS#11 and independently of bos-hsmd's code.
 *
 *   p11_attrs MODULE TOKEN PINFILE VERSION
 *
 * Logs in (PIN from the file), then prints one line per fact:
 *   bos-kek-v1/secret CKA_SENSITIVE=true
 *   bos-kek-v1/secret CKA_VALUE=CKR_ATTRIBUTE_SENSITIVE
 *   bos-kek-v1/secret C_WrapKey=CKR_KEY_UNEXTRACTABLE
 *   control/secret C_WrapKey=CKR_OK
 *   bos-kek-v1/secret CKA_ALLOWED_MECHANISMS=CKM_AES_GCM
 *   bos-kek-v1/secret C_EncryptInit(CKM_AES_ECB)=CKR_MECHANISM_INVALID
 * The "control" lines use throwaway extractable session keys (AES, and an EC
 * pair) to show that the same calls do succeed when the key allows them, so
 * a refusal above is the key's attributes at work, not a broken test.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <p11-kit/pkcs11.h>

#define ATTR(t, v) { (t), &(v), sizeof(v) }

static CK_FUNCTION_LIST_PTR fn;
static CK_SESSION_HANDLE sess;

static const char *
rv_name(CK_RV rv)
{
	switch (rv) {
	case CKR_OK: return "CKR_OK";
	case CKR_ATTRIBUTE_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
	case CKR_ATTRIBUTE_TYPE_INVALID: return "CKR_ATTRIBUTE_TYPE_INVALID";
	case CKR_ATTRIBUTE_READ_ONLY: return "CKR_ATTRIBUTE_READ_ONLY";
	case CKR_KEY_UNEXTRACTABLE: return "CKR_KEY_UNEXTRACTABLE";
	case CKR_KEY_NOT_WRAPPABLE: return "CKR_KEY_NOT_WRAPPABLE";
	case CKR_ACTION_PROHIBITED: return "CKR_ACTION_PROHIBITED";
	case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
	case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
	case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
	case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
	case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
	case CKR_MECHANISM_PARAM_INVALID: return "CKR_MECHANISM_PARAM_INVALID";
	case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
	default: return "CKR_OTHER";
	}
}

static int
load(const char *module, const char *label, const char *pinfile)
{
	CK_C_INITIALIZE_ARGS args;
	CK_C_GetFunctionList get;
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	unsigned char want[32], pin[300];
	size_t len = strlen(label), pl;
	void *dl = dlopen(module, RTLD_NOW), *sym;
	FILE *f;

	if (dl == NULL || (sym = dlsym(dl, "C_GetFunctionList")) == NULL)
		return -1;
	memcpy(&get, &sym, sizeof(get));
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if (get(&fn) != CKR_OK || fn->C_Initialize(&args) != CKR_OK ||
	    fn->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK || len > 32)
		return -1;
	memset(want, ' ', sizeof(want));
	memcpy(want, label, len);
	for (i = 0; i < n; i++) {
		if (fn->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (memcmp(ti.label, want, 32) == 0) /* not secret: a token label */
			break;
	}
	if (i == n || (f = fopen(pinfile, "re")) == NULL)
		return -1;
	pl = fread(pin, 1, sizeof(pin) - 1, f);
	fclose(f);
	while (pl > 0 && (pin[pl - 1] == '\n' || pin[pl - 1] == '\r'))
		pl--;
	if (fn->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	    &sess) != CKR_OK || fn->C_Login(sess, CKU_USER, pin, pl) != CKR_OK)
		return -1;
	memset(pin, 0, sizeof(pin));
	return 0;
}

static CK_OBJECT_HANDLE
find(CK_OBJECT_CLASS cls, const char *label)
{
	char lbl[64];
	CK_ATTRIBUTE t[] = { ATTR(CKA_CLASS, cls), { CKA_LABEL, lbl, strlen(label) } };
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;

	snprintf(lbl, sizeof(lbl), "%s", label);
	if (fn->C_FindObjectsInit(sess, t, 2) != CKR_OK)
		return CK_INVALID_HANDLE;
	fn->C_FindObjects(sess, h, 2, &n);
	fn->C_FindObjectsFinal(sess);
	return n == 1 ? h[0] : CK_INVALID_HANDLE;
}

static const struct {
	CK_ATTRIBUTE_TYPE type;
	const char *name;
} bools[] = {
	{ CKA_TOKEN, "CKA_TOKEN" }, { CKA_PRIVATE, "CKA_PRIVATE" },
	{ CKA_SENSITIVE, "CKA_SENSITIVE" }, { CKA_EXTRACTABLE, "CKA_EXTRACTABLE" },
	{ CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE" },
	{ CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE" }, { CKA_LOCAL, "CKA_LOCAL" },
	{ CKA_ENCRYPT, "CKA_ENCRYPT" }, { CKA_DECRYPT, "CKA_DECRYPT" },
	{ CKA_WRAP, "CKA_WRAP" }, { CKA_UNWRAP, "CKA_UNWRAP" }, { CKA_SIGN, "CKA_SIGN" },
	{ CKA_SIGN_RECOVER, "CKA_SIGN_RECOVER" }, { CKA_VERIFY, "CKA_VERIFY" },
	{ CKA_VERIFY_RECOVER, "CKA_VERIFY_RECOVER" }, { CKA_DERIVE, "CKA_DERIVE" },
	{ CKA_MODIFIABLE, "CKA_MODIFIABLE" }, { CKA_COPYABLE, "CKA_COPYABLE" },
	{ CKA_DESTROYABLE, "CKA_DESTROYABLE" },
};

static void
print_attrs(const char *who, CK_OBJECT_HANDLE h)
{
	unsigned char value[512], id[64];
	CK_ATTRIBUTE a;
	CK_ULONG ul = 0;
	CK_BBOOL b;
	CK_RV rv;
	size_t i;

	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		b = 2;
		a.type = bools[i].type;
		a.pValue = &b;
		a.ulValueLen = sizeof(b);
		rv = fn->C_GetAttributeValue(sess, h, &a, 1);
		if (rv == CKR_OK)
			printf("%s %s=%s\n", who, bools[i].name, b ? "true" : "false");
		else
			printf("%s %s=%s\n", who, bools[i].name, rv_name(rv));
	}
	a.type = CKA_VALUE_LEN;
	a.pValue = &ul;
	a.ulValueLen = sizeof(ul);
	if (fn->C_GetAttributeValue(sess, h, &a, 1) == CKR_OK)
		printf("%s CKA_VALUE_LEN=%lu\n", who, (unsigned long)ul);
	a.type = CKA_ID;
	a.pValue = id;
	a.ulValueLen = sizeof(id);
	if (fn->C_GetAttributeValue(sess, h, &a, 1) == CKR_OK)
		printf("%s CKA_ID_LEN=%lu\n", who, (unsigned long)a.ulValueLen);
	/* The secret itself: CKA_VALUE for AES, and for EC private keys too. */
	a.type = CKA_VALUE;
	a.pValue = value;
	a.ulValueLen = sizeof(value);
	rv = fn->C_GetAttributeValue(sess, h, &a, 1);
	printf("%s CKA_VALUE=%s\n", who, rv_name(rv));
	memset(value, 0, sizeof(value));
}

static const struct {
	CK_MECHANISM_TYPE type;
	const char *name;
} mechs[] = {
	{ CKM_AES_ECB, "CKM_AES_ECB" }, { CKM_AES_CBC, "CKM_AES_CBC" },
	{ CKM_AES_CBC_PAD, "CKM_AES_CBC_PAD" }, { CKM_AES_CTR, "CKM_AES_CTR" },
	{ CKM_AES_KEY_WRAP, "CKM_AES_KEY_WRAP" }, { CKM_AES_KEY_WRAP_PAD, "CKM_AES_KEY_WRAP_PAD" },
	{ CKM_AES_GCM, "CKM_AES_GCM" }, { CKM_ECDSA, "CKM_ECDSA" },
	{ CKM_ECDSA_SHA1, "CKM_ECDSA_SHA1" }, { CKM_ECDSA_SHA256, "CKM_ECDSA_SHA256" },
	{ CKM_ECDH1_DERIVE, "CKM_ECDH1_DERIVE" },
};

static const char *
mech_name(CK_MECHANISM_TYPE m)
{
	size_t i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (mechs[i].type == m)
			return mechs[i].name;
	return "CKM_OTHER";
}

/* CKA_ALLOWED_MECHANISMS as names joined by ',', or "none" (no restriction). */
static void
print_allowed(const char *who, CK_OBJECT_HANDLE h)
{
	CK_MECHANISM_TYPE list[32];
	CK_ATTRIBUTE a = { CKA_ALLOWED_MECHANISMS, list, sizeof(list) };
	CK_ULONG i, n;
	CK_RV rv = fn->C_GetAttributeValue(sess, h, &a, 1);

	if (rv != CKR_OK) {
		printf("%s CKA_ALLOWED_MECHANISMS=%s\n", who, rv_name(rv));
		return;
	}
	n = a.ulValueLen / sizeof(list[0]);
	printf("%s CKA_ALLOWED_MECHANISMS=", who);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", mech_name(list[i]));
	printf("%s\n", n == 0 ? "none" : "");
}

/*
 * Start an operation with each AES mechanism, and finish it (a started
 * operation would block the next Init on the session). The parameters are
 * valid for each mechanism, so a refusal can only come from the key.
 */
static void
probe_aes(const char *who, CK_OBJECT_HANDLE h, CK_OBJECT_HANDLE other)
{
	unsigned char iv[16] = { 0 }, in[64] = { 0 }, out[256];
	CK_AES_CTR_PARAMS ctr;
	CK_GCM_PARAMS gcm;
	CK_MECHANISM m;
	CK_ULONG out_len;
	CK_RV rv;
	size_t i;

	memset(&ctr, 0, sizeof(ctr));
	ctr.ulCounterBits = 32;
	memset(&gcm, 0, sizeof(gcm));
	gcm.pIv = iv;
	gcm.ulIvLen = 12;
	gcm.ulIvBits = 96;
	gcm.ulTagBits = 128;
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		m.mechanism = mechs[i].type;
		m.pParameter = NULL;
		m.ulParameterLen = 0;
		if (m.mechanism == CKM_AES_CBC || m.mechanism == CKM_AES_CBC_PAD) {
			m.pParameter = iv;
			m.ulParameterLen = 16;
		} else if (m.mechanism == CKM_AES_CTR) {
			m.pParameter = &ctr;
			m.ulParameterLen = sizeof(ctr);
		} else if (m.mechanism == CKM_AES_GCM) {
			m.pParameter = &gcm;
			m.ulParameterLen = sizeof(gcm);
		} else if (strncmp(mechs[i].name, "CKM_AES_", 8) != 0)
			continue;
		rv = fn->C_EncryptInit(sess, &m, h);
		printf("%s C_EncryptInit(%s)=%s\n", who, mechs[i].name, rv_name(rv));
		out_len = sizeof(out);
		if (rv == CKR_OK)
			(void)fn->C_Encrypt(sess, in, 32, out, &out_len);
		rv = fn->C_DecryptInit(sess, &m, h);
		printf("%s C_DecryptInit(%s)=%s\n", who, mechs[i].name, rv_name(rv));
		out_len = sizeof(out);
		if (rv == CKR_OK)
			(void)fn->C_Decrypt(sess, in, 48, out, &out_len);
		if (m.mechanism != CKM_AES_KEY_WRAP && m.mechanism != CKM_AES_KEY_WRAP_PAD)
			continue;
		out_len = sizeof(out);
		rv = fn->C_WrapKey(sess, &m, h, other, out, &out_len);
		printf("%s C_WrapKey(%s)=%s\n", who, mechs[i].name, rv_name(rv));
	}
	memset(out, 0, sizeof(out));
}

/* Sign a 32-byte "digest" with each EC mechanism. */
static void
probe_ec(const char *who, CK_OBJECT_HANDLE h)
{
	unsigned char in[32] = { 1 }, out[256];
	CK_MECHANISM m = { 0, NULL, 0 };
	CK_ULONG out_len;
	CK_RV rv;
	size_t i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		if (strncmp(mechs[i].name, "CKM_ECDSA", 9) != 0)
			continue;
		m.mechanism = mechs[i].type;
		rv = fn->C_SignInit(sess, &m, h);
		printf("%s C_SignInit(%s)=%s\n", who, mechs[i].name, rv_name(rv));
		out_len = sizeof(out);
		if (rv == CKR_OK)
			(void)fn->C_Sign(sess, in, sizeof(in), out, &out_len);
	}
}

/* Try to lift the restriction: a key that is not modifiable keeps its list. */
static void
try_widen(const char *who, CK_OBJECT_HANDLE h)
{
	CK_MECHANISM_TYPE wide[] = { CKM_AES_ECB, CKM_AES_CBC, CKM_AES_GCM, CKM_ECDSA_SHA256 };
	CK_ATTRIBUTE a = { CKA_ALLOWED_MECHANISMS, wide, sizeof(wide) };

	printf("%s C_SetAttributeValue(CKA_ALLOWED_MECHANISMS)=%s\n", who,
	    rv_name(fn->C_SetAttributeValue(sess, h, &a, 1)));
}

/* A session EC P-256 pair that may sign with anything, for the control lines. */
static CK_OBJECT_HANDLE
session_ec(void)
{
	static unsigned char oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE pub[] = {
		ATTR(CKA_TOKEN, no), ATTR(CKA_VERIFY, yes), ATTR(CKA_EC_PARAMS, oid),
	};
	CK_ATTRIBUTE priv[] = { ATTR(CKA_TOKEN, no), ATTR(CKA_SIGN, yes), ATTR(CKA_SENSITIVE, no) };
	CK_OBJECT_HANDLE hpub, hpriv = CK_INVALID_HANDLE;

	if (fn->C_GenerateKeyPair(sess, &m, pub, 3, priv, 3, &hpub, &hpriv) != CKR_OK)
		return CK_INVALID_HANDLE;
	return hpriv;
}

/* A session AES key that may wrap, and one that is freely extractable. */
static CK_OBJECT_HANDLE
session_aes(int wrapper)
{
	CK_MECHANISM m = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ULONG len = 32;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_VALUE_LEN, len), ATTR(CKA_TOKEN, no), ATTR(CKA_WRAP, yes),
		ATTR(CKA_UNWRAP, yes), ATTR(CKA_ENCRYPT, yes), ATTR(CKA_DECRYPT, yes),
		ATTR(CKA_SENSITIVE, no), ATTR(CKA_EXTRACTABLE, yes),
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

	(void)wrapper;
	if (fn->C_GenerateKey(sess, &m, t, sizeof(t) / sizeof(t[0]), &h) != CKR_OK)
		return CK_INVALID_HANDLE;
	return h;
}

/* Try to get the key out: wrapping, unlocking EXTRACTABLE, copying. */
static void
try_extract(const char *who, CK_OBJECT_HANDLE h, CK_OBJECT_HANDLE wrapper)
{
	CK_MECHANISM m = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	unsigned char out[1024];
	CK_ULONG out_len = sizeof(out);
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE ex[] = { ATTR(CKA_EXTRACTABLE, yes) };
	CK_ATTRIBUTE sens[] = { ATTR(CKA_SENSITIVE, no) };
	CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
	CK_RV rv;

	rv = fn->C_WrapKey(sess, &m, wrapper, h, out, &out_len);
	printf("%s C_WrapKey=%s\n", who, rv_name(rv));
	rv = fn->C_SetAttributeValue(sess, h, ex, 1);
	printf("%s C_SetAttributeValue(CKA_EXTRACTABLE=true)=%s\n", who, rv_name(rv));
	rv = fn->C_SetAttributeValue(sess, h, sens, 1);
	printf("%s C_SetAttributeValue(CKA_SENSITIVE=false)=%s\n", who, rv_name(rv));
	rv = fn->C_CopyObject(sess, h, ex, 1, &copy);
	printf("%s C_CopyObject(CKA_EXTRACTABLE=true)=%s\n", who, rv_name(rv));
	if (rv == CKR_OK)
		fn->C_DestroyObject(sess, copy);
	memset(out, 0, sizeof(out));
}

int
main(int argc, char **argv)
{
	char kek[40], audit[40], who[64];
	CK_OBJECT_HANDLE h, wrapper, control, ec;

	if (argc != 5) {
		fprintf(stderr, "usage: p11_attrs MODULE TOKEN PINFILE VERSION\n");
		return 2;
	}
	snprintf(kek, sizeof(kek), "bos-kek-v%s", argv[4]);
	snprintf(audit, sizeof(audit), "bos-audit-v%s", argv[4]);
	if (load(argv[1], argv[2], argv[3]) != 0) {
		fprintf(stderr, "p11_attrs: cannot open token %s\n", argv[2]);
		return 1;
	}
	if ((wrapper = session_aes(1)) == CK_INVALID_HANDLE ||
	    (control = session_aes(0)) == CK_INVALID_HANDLE) {
		fprintf(stderr, "p11_attrs: cannot make session keys\n");
		return 1;
	}
	snprintf(who, sizeof(who), "%s/secret", kek);
	if ((h = find(CKO_SECRET_KEY, kek)) != CK_INVALID_HANDLE) {
		print_attrs(who, h);
		print_allowed(who, h);
		probe_aes(who, h, control);
		try_widen(who, h);
		try_extract(who, h, wrapper);
	}
	snprintf(who, sizeof(who), "%s/private", audit);
	if ((h = find(CKO_PRIVATE_KEY, audit)) != CK_INVALID_HANDLE) {
		print_attrs(who, h);
		print_allowed(who, h);
		probe_ec(who, h);
		try_widen(who, h);
		try_extract(who, h, wrapper);
	}
	snprintf(who, sizeof(who), "%s/public", audit);
	if ((h = find(CKO_PUBLIC_KEY, audit)) != CK_INVALID_HANDLE) {
		print_attrs(who, h);
		print_allowed(who, h);
	}
	print_attrs("control/secret", control);
	print_allowed("control/secret", control);
	probe_aes("control/secret", control, wrapper);
	try_extract("control/secret", control, wrapper);
	if ((ec = session_ec()) == CK_INVALID_HANDLE) {
		fprintf(stderr, "p11_attrs: cannot make a session EC key\n");
		return 1;
	}
	print_allowed("control/private", ec);
	probe_ec("control/private", ec);
	try_widen("control/private", ec);
	fn->C_Logout(sess);
	fn->C_CloseSession(sess);
	fn->C_Finalize(NULL);
	return 0;
}
