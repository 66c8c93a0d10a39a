/*
 * bos-hsmd through the vault's client, against a real SoftHSM2 token.
 * Positive and negative cases: authentication failures that keep hsmd
 * alive, protocol violations that must kill it (exit HSM_EXIT_PROTOCOL),
 * and start-up errors that must say what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hsmc/hsm_client.h"
#include "hsm_client_raw.h"
#include "hsm_fixture.h"
#include "secmem.h"

#define PT "the quick brown DEK of the vault"
#define AAD "credential 42 version 3"

/* ---- helpers ---- */

static struct hsm_fixture *
fx(void **state)
{
	return *state;
}

static void
wrap_ok(struct hsm_client *c, uint32_t v, const char *aad, const char *pt, uint8_t *blob,
    size_t *blob_len)
{
	struct bos_err err = { BOS_OK, "" };
	int r = hsm_wrap(c, v, (const uint8_t *)aad, strlen(aad), (const uint8_t *)pt, strlen(pt),
	    blob, HSM_BLOB_MAX, blob_len, &err);

	if (r != 0)
		fail_msg("wrap: %s", err.msg);
	assert_int_equal(*blob_len, strlen(pt) + HSM_IV_LEN + HSM_TAG_LEN);
}

/* Unwrap and return the error code (BOS_OK on success). */
static enum bos_err_code
unwrap_code(struct hsm_client *c, uint32_t v, const char *aad, const uint8_t *blob,
    size_t blob_len)
{
	struct bos_err err = { BOS_OK, "" };
	uint8_t pt[HSM_PT_MAX];
	size_t pt_len = 0;

	if (hsm_unwrap(c, v, (const uint8_t *)aad, strlen(aad), blob, blob_len, pt, sizeof(pt),
	    &pt_len, &err) == 0)
		return BOS_OK;
	assert_int_not_equal(err.code, BOS_OK);
	return err.code;
}

static void
write_file(const char *path, const char *text, size_t n, mode_t mode)
{
	int fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
path_in(const struct hsm_fixture *f, const char *name, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%s", f->dir, name);

	assert_true(n > 0 && (size_t)n < cap);
}

/* Start another bos-hsmd on the fixture's token with cfg changed by the caller. */
static int
start_cfg(const struct hsm_config *cfg, enum hsm_mode mode, struct hsm_client **c,
    struct bos_err *err)
{
	bos_err_clear(err);
	*c = NULL;
	return hsm_client_start(cfg, mode, c, err);
}

static struct hsm_client *
start_serve(const struct hsm_fixture *f)
{
	struct bos_err err = { BOS_OK, "" };
	struct hsm_client *c = NULL;

	if (start_cfg(&f->cfg, HSM_MODE_SERVE, &c, &err) != 0)
		fail_msg("start serve: %s", err.msg);
	return c;
}

/* A start-up that must fail, with code and a message containing want. */
static void
start_fails(const struct hsm_config *cfg, enum hsm_mode mode, enum bos_err_code code,
    const char *want)
{
	struct bos_err err = { BOS_OK, "" };
	struct hsm_client *c = NULL;

	if (start_cfg(cfg, mode, &c, &err) == 0) {
		hsm_client_stop(c);
		fail_msg("start succeeded; expected \"%s\"", want);
	}
	assert_null(c);
	if (strstr(err.msg, want) == NULL || err.code != code)
		fail_msg("got %s \"%s\"; expected %s \"%s\"", bos_err_name(err.code), err.msg,
		    bos_err_name(code), want);
}

/* ---- wrap / unwrap ---- */

static void
test_wrap_roundtrip(void **state)
{
	struct hsm_client *c = fx(state)->hsm;
	struct bos_err err = { BOS_OK, "" };
	uint8_t blob[HSM_BLOB_MAX], pt[HSM_PT_MAX], big[HSM_PT_MAX];
	size_t blob_len = 0, pt_len = 0;

	wrap_ok(c, 1, AAD, PT, blob, &blob_len);
	assert_int_equal(hsm_unwrap(c, 1, (const uint8_t *)AAD, strlen(AAD), blob, blob_len, pt,
	    sizeof(pt), &pt_len, &err), 0);
	assert_int_equal(pt_len, strlen(PT));
	assert_memory_equal(pt, PT, pt_len);

	/* Largest plaintext, empty AAD. */
	memset(big, 0xa5, sizeof(big));
	assert_int_equal(hsm_wrap(c, 1, NULL, 0, big, sizeof(big), blob, sizeof(blob), &blob_len,
	    &err), 0);
	assert_int_equal(blob_len, HSM_BLOB_MAX);
	assert_int_equal(hsm_unwrap(c, 1, NULL, 0, blob, blob_len, pt, sizeof(pt), &pt_len,
	    &err), 0);
	assert_int_equal(pt_len, sizeof(big));
	assert_memory_equal(pt, big, sizeof(big));
}

static void
test_unwrap_wrong_aad(void **state)
{
	struct hsm_client *c = fx(state)->hsm;
	uint8_t blob[HSM_BLOB_MAX];
	size_t blob_len = 0;

	wrap_ok(c, 1, AAD, PT, blob, &blob_len);
	assert_int_equal(unwrap_code(c, 1, "credential 43 version 3", blob, blob_len), BOS_E_AUTH);
	assert_int_equal(unwrap_code(c, 1, "", blob, blob_len), BOS_E_AUTH);
	assert_int_equal(hsm_client_alive(c), 1);
	assert_int_equal(unwrap_code(c, 1, AAD, blob, blob_len), BOS_OK);
}

static void
test_unwrap_tampered(void **state)
{
	struct hsm_client *c = fx(state)->hsm;
	uint8_t blob[HSM_BLOB_MAX], bad[HSM_BLOB_MAX];
	size_t blob_len = 0, i;
	/* first and last IV byte, first and last ciphertext byte, tag bytes */
	size_t where[6];

	wrap_ok(c, 1, AAD, PT, blob, &blob_len);
	where[0] = 0;
	where[1] = HSM_IV_LEN - 1;
	where[2] = HSM_IV_LEN;
	where[3] = blob_len - HSM_TAG_LEN - 1;
	where[4] = blob_len - HSM_TAG_LEN;
	where[5] = blob_len - 1;
	for (i = 0; i < BOS_ARRAY_LEN(where); i++) {
		memcpy(bad, blob, blob_len);
		bad[where[i]] ^= 0x01;
		assert_int_equal(unwrap_code(c, 1, AAD, bad, blob_len), BOS_E_AUTH);
	}
	/* Truncated by one byte, cut to the overhead, and nearly empty. */
	assert_int_equal(unwrap_code(c, 1, AAD, blob, blob_len - 1), BOS_E_AUTH);
	assert_int_equal(unwrap_code(c, 1, AAD, blob, HSM_IV_LEN + HSM_TAG_LEN), BOS_E_AUTH);
	assert_int_equal(unwrap_code(c, 1, AAD, blob, 3), BOS_E_AUTH);
	assert_int_equal(unwrap_code(c, 1, AAD, blob, 0), BOS_E_AUTH);
	/* An extra byte appended. */
	memcpy(bad, blob, blob_len);
	bad[blob_len] = 0;
	assert_int_equal(unwrap_code(c, 1, AAD, bad, blob_len + 1), BOS_E_AUTH);
	/* None of that is a protocol error: hsmd still serves. */
	assert_int_equal(hsm_client_alive(c), 1);
	assert_int_equal(unwrap_code(c, 1, AAD, blob, blob_len), BOS_OK);
}

static void
test_unknown_kek(void **state)
{
	struct hsm_client *c = fx(state)->hsm;
	struct bos_err err = { BOS_OK, "" };
	uint8_t blob[HSM_BLOB_MAX];
	size_t blob_len = 0;

	assert_int_equal(hsm_wrap(c, 99, NULL, 0, (const uint8_t *)PT, strlen(PT), blob,
	    sizeof(blob), &blob_len, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "bos-kek-v99"));
	wrap_ok(c, 1, AAD, PT, blob, &blob_len);
	assert_int_equal(unwrap_code(c, 99, AAD, blob, blob_len), BOS_E_NOTFOUND);
	assert_int_equal(hsm_client_alive(c), 1);
}

static void
test_wrap_random_iv(void **state)
{
	struct hsm_client *c = fx(state)->hsm;
	uint8_t a[HSM_BLOB_MAX], b[HSM_BLOB_MAX];
	size_t a_len = 0, b_len = 0;

	wrap_ok(c, 1, AAD, PT, a, &a_len);
	wrap_ok(c, 1, AAD, PT, b, &b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_not_equal(a, b, HSM_IV_LEN);
	assert_memory_not_equal(a + HSM_IV_LEN, b + HSM_IV_LEN, a_len - HSM_IV_LEN);
}

static void
test_client_rejects_bad_sizes(void **state)
{
	struct hsm_client *c = fx(state)->hsm;
	struct bos_err err = { BOS_OK, "" };
	uint8_t big[HSM_PT_MAX + 1], blob[HSM_BLOB_MAX + 1];
	size_t n = 0;

	memset(big, 1, sizeof(big));
	/* Caller mistakes are refused before they reach hsmd, which stays up. */
	assert_int_equal(hsm_wrap(c, 1, NULL, 0, big, 0, blob, sizeof(blob), &n, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(hsm_wrap(c, 1, NULL, 0, big, sizeof(big), blob, sizeof(blob), &n, &err),
	    -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(hsm_wrap(c, 1, big, HSM_AAD_MAX + 1, big, 1, blob, sizeof(blob), &n,
	    &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(hsm_wrap(c, 1, NULL, 0, big, 10, blob, 10 + 27, &n, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(hsm_unwrap(c, 1, NULL, 0, blob, sizeof(blob), big, sizeof(big), &n,
	    &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(hsm_random(c, big, 0, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(hsm_random(c, big, HSM_RANDOM_MAX + 1, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(hsm_client_alive(c), 1);
}

/* ---- random ---- */

static void
test_random(void **state)
{
	struct hsm_client *c = fx(state)->hsm;
	struct bos_err err = { BOS_OK, "" };
	uint8_t a[HSM_RANDOM_MAX], b[HSM_RANDOM_MAX], zero[HSM_RANDOM_MAX];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(hsm_random(c, a, 32, &err), 0);
	assert_int_equal(hsm_random(c, b, 32, &err), 0);
	assert_memory_not_equal(a, b, 32);
	assert_memory_not_equal(a, zero, 32);
	assert_int_equal(hsm_random(c, a, 1, &err), 0);
	assert_int_equal(hsm_random(c, a, HSM_RANDOM_MAX, &err), 0);
	assert_memory_not_equal(a + HSM_RANDOM_MAX - 32, zero, 32);
}

/* ---- sign / pubkey ---- */

static EVP_PKEY *
get_pubkey(struct hsm_client *c, uint32_t v)
{
	struct bos_err err = { BOS_OK, "" };
	uint8_t der[HSM_PUBKEY_MAX];
	const unsigned char *p = der;
	size_t der_len = 0;
	EVP_PKEY *pk;

	if (hsm_pubkey(c, v, der, sizeof(der), &der_len, &err) != 0)
		fail_msg("pubkey: %s", err.msg);
	pk = d2i_PUBKEY(NULL, &p, (long)der_len);
	assert_non_null(pk);
	assert_ptr_equal(p, der + der_len);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(pk), 256);
	return pk;
}

static int
verify(EVP_PKEY *pk, const uint8_t *digest, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	int r;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	r = EVP_PKEY_verify(ctx, sig, sig_len, digest, HSM_DIGEST_LEN);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static void
sign_and_verify(struct hsm_client *c, uint32_t v)
{
	struct bos_err err = { BOS_OK, "" };
	uint8_t digest[HSM_DIGEST_LEN], sig[HSM_SIG_MAX];
	size_t sig_len = 0;
	EVP_PKEY *pk = get_pubkey(c, v);

	assert_int_equal(hsm_random(c, digest, sizeof(digest), &err), 0);
	if (hsm_sign(c, v, digest, sig, sizeof(sig), &sig_len, &err) != 0)
		fail_msg("sign: %s", err.msg);
	assert_true(sig_len >= 8 && sig_len <= 72);
	assert_int_equal(sig[0], 0x30); /* DER SEQUENCE */
	assert_int_equal(verify(pk, digest, sig, sig_len), 1);
	/* A different digest and a damaged signature must not verify. */
	digest[0] ^= 0x80;
	assert_int_not_equal(verify(pk, digest, sig, sig_len), 1);
	digest[0] ^= 0x80;
	sig[sig_len - 1] ^= 0x01;
	assert_int_not_equal(verify(pk, digest, sig, sig_len), 1);
	EVP_PKEY_free(pk);
}

static void
test_sign_pubkey(void **state)
{
	struct hsm_client *c = fx(state)->hsm;
	struct bos_err err = { BOS_OK, "" };
	uint8_t digest[HSM_DIGEST_LEN] = { 0 }, sig[HSM_SIG_MAX], der[HSM_PUBKEY_MAX];
	size_t n = 0;

	sign_and_verify(c, 1);
	sign_and_verify(c, 1); /* cached key */
	assert_int_equal(hsm_sign(c, 77, digest, sig, sizeof(sig), &n, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(hsm_pubkey(c, 77, der, sizeof(der), &n, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(hsm_client_alive(c), 1);
}

/* ---- keygen ---- */

static void
test_keygen(void **state)
{
	struct hsm_client *c = fx(state)->hsm;
	struct bos_err err = { BOS_OK, "" };
	uint8_t blob[HSM_BLOB_MAX];
	size_t blob_len = 0;
	EVP_PKEY *k1, *k2;

	assert_int_equal(hsm_keygen(c, 1, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(hsm_client_alive(c), 1);
	if (hsm_keygen(c, 2, &err) != 0)
		fail_msg("keygen v2: %s", err.msg);
	assert_int_equal(hsm_keygen(c, 2, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	/* New keys are usable at once, and distinct from v1. */
	wrap_ok(c, 2, AAD, PT, blob, &blob_len);
	assert_int_equal(unwrap_code(c, 2, AAD, blob, blob_len), BOS_OK);
	assert_int_equal(unwrap_code(c, 1, AAD, blob, blob_len), BOS_E_AUTH);
	sign_and_verify(c, 2);
	k1 = get_pubkey(c, 1);
	k2 = get_pubkey(c, 2);
	assert_int_not_equal(EVP_PKEY_eq(k1, k2), 1);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void
test_keygen_in_serve_mode_is_refused(void **state)
{
	struct hsm_client *c = start_serve(fx(state));
	struct bos_err err = { BOS_OK, "" };
	uint8_t blob[HSM_BLOB_MAX];
	size_t blob_len = 0;

	/* SERVE mode still serves the other verbs. */
	wrap_ok(c, 1, AAD, PT, blob, &blob_len);
	/* KEYGEN is answered ERR, not acted on, and bos-hsmd goes on serving. */
	assert_int_equal(hsm_keygen(c, 3, &err), -1);
	assert_int_equal(err.code, BOS_E_HSM);
	assert_non_null(strstr(err.msg, "not permitted when serving"));
	assert_int_equal(hsm_client_alive(c), 1);
	assert_int_equal(hsm_random(c, blob, 16, &err), 0);
	hsm_client_stop(c);
	/* And nothing was created. */
	assert_int_equal(unwrap_code(fx(state)->hsm, 3, AAD, blob, blob_len), BOS_E_NOTFOUND);
}

/* ---- malformed frames ---- */

struct raw_frame {
	const char *what;
	uint8_t bytes[64];
	size_t n;
};

static const struct raw_frame malformed[] = {
	{ "oversized length", { 0, 0, 0, 6, 0, 0, 0x08, 0x01 }, 8 },
	{ "huge length", { 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff }, 8 },
	{ "unknown type", { 0, 0, 0, 0x77, 0, 0, 0, 0 }, 8 },
	{ "type zero", { 0, 0, 0, 0, 0, 0, 0, 0 }, 8 },
	{ "answer type as request", { 0, 0, 1, 0, 0, 0, 0, 0 }, 8 },
	{ "ready type as request", { 0, 0, 1, 2, 0, 0, 0, 0 }, 8 },
	{ "random: short payload", { 0, 0, 0, 6, 0, 0, 0, 3, 0, 0, 1 }, 11 },
	{ "random: leftover byte", { 0, 0, 0, 6, 0, 0, 0, 5, 0, 0, 0, 8, 0 }, 13 },
	{ "random: zero bytes", { 0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0, 0 }, 12 },
	{ "random: too many", { 0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0x04, 0x01 }, 12 },
	/* wrap v1, aad "", pt "A", then one byte too many */
	{ "wrap: leftover byte", { 0, 0, 0, 2, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 1, 'A', 'x' },
	    18 },
	/* wrap v1, aad claims 100 bytes, payload has 5 */
	{ "wrap: truncated str16", { 0, 0, 0, 2, 0, 0, 0, 11, 0, 0, 0, 1, 0, 100, 1, 2, 3, 4,
	    5 }, 19 },
	/* wrap v1, aad "", empty plaintext */
	{ "wrap: empty plaintext", { 0, 0, 0, 2, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0 }, 17 },
	/* sign v1 with a 31-byte digest (length field 31, payload 4+2+31+1) */
	{ "sign: short digest", { 0, 0, 0, 4, 0, 0, 0, 38, 0, 0, 0, 1, 0, 31 }, 8 + 38 },
	/* unwrap v1, aad "", blob str16 length 0xffff */
	{ "unwrap: str16 past end", { 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0xff, 0xff }, 16 },
	{ "pubkey: no version", { 0, 0, 0, 5, 0, 0, 0, 0 }, 8 },
};

static void
test_malformed_is_fatal(void **state)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(malformed); i++) {
		struct hsm_client *c = start_serve(fx(state));
		struct bos_err err = { BOS_OK, "" };
		uint8_t rnd[8];

		if (hsm_client_send_raw(c, malformed[i].bytes, malformed[i].n, &err) != -1)
			fail_msg("%s: hsmd answered instead of exiting", malformed[i].what);
		if (strstr(err.msg, "(status 3)") == NULL)
			fail_msg("%s: %s", malformed[i].what, err.msg);
		assert_int_equal(hsm_client_alive(c), 0);
		assert_int_equal(hsm_random(c, rnd, sizeof(rnd), &err), -1);
		assert_int_equal(err.code, BOS_E_HSM);
		hsm_client_stop(c);
	}
}

/* The raw path itself works: a well-formed frame gets an answer. */
static void
test_raw_wellformed(void **state)
{
	static const uint8_t ok[] = { 0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0, 16 };
	static const uint8_t nokey[] = { 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 9 };
	struct hsm_client *c = start_serve(fx(state));
	struct bos_err err = { BOS_OK, "" };

	assert_int_equal(hsm_client_send_raw(c, ok, sizeof(ok), &err), 0);
	assert_int_equal(hsm_client_send_raw(c, nokey, sizeof(nokey), &err), 0);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(hsm_client_alive(c), 1);
	hsm_client_stop(c);
}

/* ---- concurrency: the client serialises callers ---- */

static void *
worker(void *arg)
{
	struct hsm_client *c = arg;
	struct bos_err err = { BOS_OK, "" };
	uint8_t blob[HSM_BLOB_MAX], pt[HSM_PT_MAX];
	size_t blob_len, pt_len;
	int i;

	for (i = 0; i < 100; i++) {
		if (hsm_wrap(c, 1, (const uint8_t *)AAD, strlen(AAD), (const uint8_t *)PT,
		    strlen(PT), blob, sizeof(blob), &blob_len, &err) != 0 ||
		    hsm_unwrap(c, 1, (const uint8_t *)AAD, strlen(AAD), blob, blob_len, pt,
		    sizeof(pt), &pt_len, &err) != 0 || pt_len != strlen(PT) ||
		    !secmem_equal(pt, PT, pt_len))
			return (void *)1;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[4];
	void *res;
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, fx(state)->hsm), 0);
	for (i = 0; i < BOS_ARRAY_LEN(t); i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
}

/* ---- keys planted under our labels by someone else ---- */

#define ATTR(t, v) { (t), &(v), sizeof(v) }

struct planter {
	void *dl;
	CK_FUNCTION_LIST_PTR fn;
	CK_SESSION_HANDLE s;
};

/* Open the fixture's token in this process, logged in when pin_file is set. */
static void
planter_open(struct planter *pl, const struct hsm_fixture *f, const char *pin_file)
{
	CK_C_INITIALIZE_ARGS args;
	CK_C_GetFunctionList get;
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;
	unsigned char pin[64];
	void *sym;
	ssize_t len;
	int fd;

	pl->dl = dlopen(f->cfg.module_path, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(pl->dl);
	sym = dlsym(pl->dl, "C_GetFunctionList");
	assert_non_null(sym);
	memcpy(&get, &sym, sizeof(get));
	assert_int_equal(get(&pl->fn), CKR_OK);
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	assert_int_equal(pl->fn->C_Initialize(&args), CKR_OK);
	assert_int_equal(pl->fn->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (i = 0; i < n; i++) {
		assert_int_equal(pl->fn->C_GetTokenInfo(slots[i], &ti), CKR_OK);
		if (strncmp((const char *)ti.label, f->token_label, strlen(f->token_label)) == 0)
			break;
	}
	assert_true(i < n);
	assert_int_equal(pl->fn->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &pl->s), CKR_OK);
	if (pin_file == NULL)
		return;
	fd = open(pin_file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	len = read(fd, pin, sizeof(pin));
	close(fd);
	assert_true(len > 1);
	assert_int_equal(pl->fn->C_Login(pl->s, CKU_USER, pin, (CK_ULONG)len - 1), CKR_OK);
	explicit_bzero(pin, sizeof(pin));
}

static void
planter_close(struct planter *pl)
{
	(void)pl->fn->C_CloseSession(pl->s);
	(void)pl->fn->C_Finalize(NULL);
	/* The module stays loaded: SoftHSM does not like being unloaded. */
}

/* An imported AES-256 key with a value the "attacker" knows. */
static void
plant_aes(struct planter *pl, const char *label, CK_BBOOL private, CK_BBOOL sensitive)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE;
	CK_BBOOL extractable = sensitive ? CK_FALSE : CK_TRUE;
	unsigned char value[32];
	char lbl[32];
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls), ATTR(CKA_KEY_TYPE, kt), ATTR(CKA_TOKEN, yes),
		ATTR(CKA_PRIVATE, private), ATTR(CKA_SENSITIVE, sensitive),
		ATTR(CKA_EXTRACTABLE, extractable), ATTR(CKA_ENCRYPT, yes), ATTR(CKA_DECRYPT, yes),
		ATTR(CKA_VALUE, value), { CKA_LABEL, lbl, strlen(label) },
	};
	CK_OBJECT_HANDLE h;

	memset(value, 0x42, sizeof(value));
	assert_true(strlen(label) < sizeof(lbl));
	memcpy(lbl, label, strlen(label));
	assert_int_equal(pl->fn->C_CreateObject(pl->s, t, BOS_ARRAY_LEN(t), &h), CKR_OK);
}

/* An imported P-256 private key (and its public half) the "attacker" knows. */
static void
plant_ec(struct planter *pl, const char *label, CK_BBOOL private)
{
	static const unsigned char oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
		0x01, 0x07 };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY, pcls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char d[32], params[sizeof(oid)], id[4] = { 1, 2, 3, 4 }, pt[65], ecpt[67];
	char lbl[32];
	size_t ptlen = 0;
	BIGNUM *bn = NULL;
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls), ATTR(CKA_KEY_TYPE, kt), ATTR(CKA_TOKEN, yes),
		ATTR(CKA_PRIVATE, private), ATTR(CKA_SENSITIVE, no), ATTR(CKA_SIGN, yes),
		ATTR(CKA_EC_PARAMS, params), ATTR(CKA_VALUE, d), ATTR(CKA_ID, id),
		{ CKA_LABEL, lbl, strlen(label) },
	};
	CK_ATTRIBUTE pt_t[] = {
		ATTR(CKA_CLASS, pcls), ATTR(CKA_KEY_TYPE, kt), ATTR(CKA_TOKEN, yes),
		ATTR(CKA_VERIFY, yes), ATTR(CKA_EC_PARAMS, params), ATTR(CKA_EC_POINT, ecpt),
		ATTR(CKA_ID, id), { CKA_LABEL, lbl, strlen(label) },
	};
	CK_OBJECT_HANDLE h;

	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, d, sizeof(d)), (int)sizeof(d));
	assert_int_equal(EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    sizeof(pt), &ptlen), 1);
	assert_int_equal(ptlen, sizeof(pt));
	ecpt[0] = 0x04;  /* DER OCTET STRING around the uncompressed point */
	ecpt[1] = sizeof(pt);
	memcpy(ecpt + 2, pt, sizeof(pt));
	memcpy(params, oid, sizeof(oid));
	assert_true(strlen(label) < sizeof(lbl));
	memcpy(lbl, label, strlen(label));
	assert_int_equal(pl->fn->C_CreateObject(pl->s, t, BOS_ARRAY_LEN(t), &h), CKR_OK);
	assert_int_equal(pl->fn->C_CreateObject(pl->s, pt_t, BOS_ARRAY_LEN(pt_t), &h), CKR_OK);
	BN_clear_free(bn);
	EVP_PKEY_free(pk);
}

static void
refused(struct hsm_client *c, uint32_t v)
{
	struct bos_err err = { BOS_OK, "" };
	uint8_t blob[HSM_BLOB_MAX], digest[HSM_DIGEST_LEN] = { 1 }, sig[HSM_SIG_MAX];
	size_t n = 0;

	assert_int_equal(hsm_wrap(c, v, NULL, 0, (const uint8_t *)PT, strlen(PT), blob,
	    sizeof(blob), &n, &err), -1);
	if (err.code != BOS_E_HSM || strstr(err.msg, "refusing to use it") == NULL)
		fail_msg("wrap with planted KEK v%u: %s", v, err.msg);
	assert_int_equal(hsm_sign(c, v, digest, sig, sizeof(sig), &n, &err), -1);
	if (err.code != BOS_E_HSM || strstr(err.msg, "refusing to use it") == NULL)
		fail_msg("sign with planted audit key v%u: %s", v, err.msg);
	assert_int_equal(hsm_pubkey(c, v, sig, sizeof(sig), &n, &err), -1);
	assert_int_equal(err.code, BOS_E_HSM);
	/* The labels are taken: keygen refuses rather than adding a twin. */
	assert_int_equal(hsm_keygen(c, v, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(hsm_client_alive(c), 1);
}

static void
test_planted_keys_refused(void **state)
{
	struct hsm_fixture *f = fx(state);
	struct planter pl;

	/* v5: public objects, created without the PIN. */
	planter_open(&pl, f, NULL);
	plant_aes(&pl, "bos-kek-v5", CK_FALSE, CK_FALSE);
	plant_ec(&pl, "bos-audit-v5", CK_FALSE);
	planter_close(&pl);
	/* v6: private and "sensitive", but imported (not CKA_LOCAL), with the PIN. */
	planter_open(&pl, f, f->pin_file);
	plant_aes(&pl, "bos-kek-v6", CK_TRUE, CK_TRUE);
	plant_ec(&pl, "bos-audit-v6", CK_TRUE);
	planter_close(&pl);
	refused(f->hsm, 5);
	refused(f->hsm, 6);
}

/*
 * Keys generated on the token (CKA_LOCAL, so they pass the trust check) with
 * the templates of BOS before issue #12 item 13, that is without
 * CKA_ALLOWED_MECHANISMS, or with a list of n mechanisms.
 */
static void
gen_kek(struct planter *pl, const char *label, CK_MECHANISM_TYPE *mechs, size_t n)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG len = 32;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
	char lbl[32];
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls), ATTR(CKA_KEY_TYPE, kt), ATTR(CKA_VALUE_LEN, len),
		ATTR(CKA_TOKEN, yes), ATTR(CKA_PRIVATE, yes), ATTR(CKA_SENSITIVE, yes),
		ATTR(CKA_EXTRACTABLE, no), ATTR(CKA_ENCRYPT, yes), ATTR(CKA_DECRYPT, yes),
		ATTR(CKA_WRAP, no), ATTR(CKA_UNWRAP, no), ATTR(CKA_SIGN, no),
		ATTR(CKA_VERIFY, no), ATTR(CKA_DERIVE, no), ATTR(CKA_MODIFIABLE, no),
		ATTR(CKA_COPYABLE, no), { CKA_LABEL, lbl, strlen(label) },
		{ CKA_ALLOWED_MECHANISMS, mechs, n * sizeof(*mechs) },
	};
	CK_OBJECT_HANDLE h;

	assert_true(strlen(label) < sizeof(lbl));
	memcpy(lbl, label, strlen(label));
	assert_int_equal(pl->fn->C_GenerateKey(pl->s, &mech, t,
	    BOS_ARRAY_LEN(t) - (n == 0 ? 1 : 0), &h), CKR_OK);
}

static void
gen_audit(struct planter *pl, const char *label, CK_MECHANISM_TYPE *mechs, size_t n)
{
	static const unsigned char oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
		0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	unsigned char params[sizeof(oid)], id[4] = { 9, 8, 7, 6 };
	char lbl[32];
	CK_ATTRIBUTE pub[] = {
		ATTR(CKA_TOKEN, yes), ATTR(CKA_PRIVATE, no), ATTR(CKA_VERIFY, yes),
		ATTR(CKA_EC_PARAMS, params), ATTR(CKA_ID, id), { CKA_LABEL, lbl, strlen(label) },
	};
	CK_ATTRIBUTE priv[] = {
		ATTR(CKA_TOKEN, yes), ATTR(CKA_PRIVATE, yes), ATTR(CKA_SENSITIVE, yes),
		ATTR(CKA_EXTRACTABLE, no), ATTR(CKA_SIGN, yes), ATTR(CKA_DERIVE, no),
		ATTR(CKA_MODIFIABLE, no), ATTR(CKA_ID, id), { CKA_LABEL, lbl, strlen(label) },
		{ CKA_ALLOWED_MECHANISMS, mechs, n * sizeof(*mechs) },
	};
	CK_OBJECT_HANDLE hpub, hpriv;

	memcpy(params, oid, sizeof(oid));
	id[0] = (unsigned char)label[strlen(label) - 1]; /* one CKA_ID per version */
	assert_true(strlen(label) < sizeof(lbl));
	memcpy(lbl, label, strlen(label));
	assert_int_equal(pl->fn->C_GenerateKeyPair(pl->s, &mech, pub, BOS_ARRAY_LEN(pub), priv,
	    BOS_ARRAY_LEN(priv) - (n == 0 ? 1 : 0), &hpub, &hpriv), CKR_OK);
}

/* Start bos-hsmd with its stderr (where it logs) going to path. */
static struct hsm_client *
start_logged(const struct hsm_fixture *f, const char *path)
{
	struct hsm_client *c;
	int saved, fd;

	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	c = start_serve(f);
	assert_int_equal(dup2(saved, 2), 2);
	close(fd);
	close(saved);
	return c;
}

/* How many lines of the file at path contain both a and b. */
static int
lines_with(const char *path, const char *a, const char *b)
{
	char line[1024];
	FILE *fp = fopen(path, "re");
	int n = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, a) != NULL && strstr(line, b) != NULL)
			n++;
	fclose(fp);
	return n;
}

/*
 * Keys made before the mechanism restriction (issue #12 item 13) keep
 * working, with one warning per key and process; a key whose list allows
 * more than BOS would ever put there is refused like a planted key.
 */
static void
test_key_mechanisms(void **state)
{
	CK_MECHANISM_TYPE wide_aes[] = { CKM_AES_GCM, CKM_AES_ECB };
	CK_MECHANISM_TYPE wide_ec[] = { CKM_ECDSA, CKM_ECDSA_SHA256 };
	CK_MECHANISM_TYPE gcm[] = { CKM_AES_GCM };
	struct hsm_fixture *f = fx(state);
	struct bos_err err = { BOS_OK, "" };
	uint8_t blob[HSM_BLOB_MAX], digest[HSM_DIGEST_LEN] = { 1 }, sig[HSM_SIG_MAX];
	char log[320];
	struct planter pl;
	struct hsm_client *c;
	size_t n = 0;
	int i;

	planter_open(&pl, f, f->pin_file);
	gen_kek(&pl, "bos-kek-v7", NULL, 0);
	gen_audit(&pl, "bos-audit-v7", NULL, 0);
	gen_kek(&pl, "bos-kek-v8", wide_aes, BOS_ARRAY_LEN(wide_aes));
	gen_audit(&pl, "bos-audit-v8", wide_ec, BOS_ARRAY_LEN(wide_ec));
	/* v9: a KEK restricted to GCM, as bos-hsmd makes them: no warning. */
	gen_kek(&pl, "bos-kek-v9", gcm, 1);
	planter_close(&pl);
	path_in(f, "hsmd-mechs.log", log, sizeof(log));
	c = start_logged(f, log);
	for (i = 0; i < 2; i++) {
		wrap_ok(c, 7, AAD, PT, blob, &n);
		assert_int_equal(unwrap_code(c, 7, AAD, blob, n), BOS_OK);
		sign_and_verify(c, 7);
		wrap_ok(c, 9, AAD, PT, blob, &n);
		assert_int_equal(unwrap_code(c, 9, AAD, blob, n), BOS_OK);
	}
	assert_int_equal(hsm_wrap(c, 8, NULL, 0, (const uint8_t *)PT, strlen(PT), blob,
	    sizeof(blob), &n, &err), -1);
	if (err.code != BOS_E_HSM || strstr(err.msg, "allows mechanisms other than "
	    "CKM_AES_GCM") == NULL)
		fail_msg("wrap with a widened KEK v8: %s", err.msg);
	assert_int_equal(hsm_sign(c, 8, digest, sig, sizeof(sig), &n, &err), -1);
	if (err.code != BOS_E_HSM || strstr(err.msg, "allows mechanisms other than "
	    "CKM_ECDSA") == NULL)
		fail_msg("sign with a widened audit key v8: %s", err.msg);
	assert_int_equal(hsm_client_alive(c), 1);
	hsm_client_stop(c); /* bos-hsmd has exited: its log is complete */
	assert_int_equal(lines_with(log, "warning", "'bos-kek-v7' on token"), 1);
	assert_int_equal(lines_with(log, "warning", "'bos-audit-v7' on token"), 1);
	assert_int_equal(lines_with(log, "no mechanism restriction", "rotate"), 2);
	assert_int_equal(lines_with(log, "bos-kek-v9", ""), 0);
	assert_int_equal(lines_with(log, "bos-kek-v1", ""), 0);
	/* bos-hsmd's own keys pass without a word. */
	c = start_logged(f, log);
	wrap_ok(c, 1, AAD, PT, blob, &n);
	sign_and_verify(c, 1);
	hsm_client_stop(c);
	assert_int_equal(lines_with(log, "warning", ""), 0);
}

/* ---- start-up errors ---- */

static void
test_start_wrong_pin(void **state)
{
	struct hsm_fixture *f = fx(state);
	struct hsm_config cfg = f->cfg;
	char path[300];

	path_in(f, "wrong-pin", path, sizeof(path));
	write_file(path, "not-the-pin\n", 12, 0400);
	cfg.pin_file = path;
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "wrong PIN");
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "login to token 'bos-test' failed");
}

static void
test_start_no_token(void **state)
{
	struct hsm_config cfg = fx(state)->cfg;

	cfg.token_label = "no-such-token";
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "no token labelled 'no-such-token'");
}

static void
test_start_pin_file_checks(void **state)
{
	struct hsm_fixture *f = fx(state);
	struct hsm_config cfg = f->cfg;
	char path[300], link[300], big[300];

	path_in(f, "pin-0644", path, sizeof(path));
	write_file(path, "whatever\n", 9, 0644);
	cfg.pin_file = path;
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "has mode 0644; it must be 0400");
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, path);

	path_in(f, "pin-0440", path, sizeof(path));
	write_file(path, "whatever\n", 9, 0440);
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "has mode 0440");

	path_in(f, "pin-empty", path, sizeof(path));
	write_file(path, "\n", 1, 0400);
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "is empty");

	path_in(f, "pin-big", path, sizeof(path));
	memset(big, 'x', sizeof(big));
	write_file(path, big, 257, 0400);
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "longer than 256 bytes");

	path_in(f, "pin-link", link, sizeof(link));
	(void)unlink(link);
	assert_int_equal(symlink(f->pin_file, link), 0);
	cfg.pin_file = link;
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "is a symbolic link");

	cfg.pin_file = f->dir;
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "is not a regular file");

	path_in(f, "no-such-pin", path, sizeof(path));
	cfg.pin_file = path;
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "cannot open PIN file");
}

/* Without --pin-file, the PIN comes from $CREDENTIALS_DIRECTORY/hsm-pin. */
static void
test_start_credentials_directory(void **state)
{
	struct hsm_fixture *f = fx(state);
	struct hsm_config cfg = f->cfg;
	struct bos_err err = { BOS_OK, "" };
	struct hsm_client *c = NULL;
	char dir[300], pin[300], text[300];
	ssize_t n;
	int fd;

	cfg.pin_file = NULL;
	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "CREDENTIALS_DIRECTORY");

	path_in(f, "creds", dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_true(snprintf(pin, sizeof(pin), "%s/hsm-pin", dir) < (int)sizeof(pin));
	fd = open(f->pin_file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text));
	close(fd);
	assert_true(n > 0);
	write_file(pin, text, (size_t)n, 0400);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
	if (start_cfg(&cfg, HSM_MODE_SERVE, &c, &err) != 0)
		fail_msg("start with $CREDENTIALS_DIRECTORY: %s", err.msg);
	assert_int_equal(hsm_random(c, text, 8, &err), 0);
	hsm_client_stop(c);
	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
}

static void
test_start_bad_module(void **state)
{
	struct hsm_config cfg = fx(state)->cfg;

	cfg.module_path = "/nonexistent/libpkcs11.so";
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG,
	    "cannot load PKCS#11 module /nonexistent/libpkcs11.so");
	cfg.module_path = "/usr/lib/x86_64-linux-gnu/libc.so.6";
	if (access(cfg.module_path, R_OK) == 0)
		start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "is not a PKCS#11 module");
	cfg.module_path = "libsofthsm2.so";
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "must be an absolute path");
}

static void
test_start_bad_config(void **state)
{
	struct hsm_fixture *f = fx(state);
	struct hsm_config cfg = f->cfg;

	cfg.hsmd_path = "/nonexistent/bos-hsmd";
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "could not execute /nonexistent/bos-hsmd");
	cfg = f->cfg;
	cfg.token_label = "a label that is longer than 32 bytes";
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "1 to 32 characters");
	cfg = f->cfg;
	cfg.so_pin_file = f->pin_file;
	start_fails(&cfg, HSM_MODE_SERVE, BOS_E_CONFIG, "SO PIN");
	cfg.so_pin_file = NULL;
	start_fails(&cfg, HSM_MODE_CREATE_TOKEN, BOS_E_CONFIG, "SO PIN");
	/* The token exists: creating it again is refused. */
	cfg.so_pin_file = f->pin_file;
	start_fails(&cfg, HSM_MODE_CREATE_TOKEN, BOS_E_EXISTS, "already exists");
}

static int
group_setup(void **state)
{
	struct hsm_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || hsm_fixture_setup(f) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
group_teardown(void **state)
{
	hsm_fixture_teardown(*state);
	free(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_roundtrip),
		cmocka_unit_test(test_unwrap_wrong_aad),
		cmocka_unit_test(test_unwrap_tampered),
		cmocka_unit_test(test_unknown_kek),
		cmocka_unit_test(test_wrap_random_iv),
		cmocka_unit_test(test_client_rejects_bad_sizes),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_sign_pubkey),
		cmocka_unit_test(test_keygen),
		cmocka_unit_test(test_keygen_in_serve_mode_is_refused),
		cmocka_unit_test(test_malformed_is_fatal),
		cmocka_unit_test(test_raw_wellformed),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_planted_keys_refused),
		cmocka_unit_test(test_key_mechanisms),
		cmocka_unit_test(test_start_wrong_pin),
		cmocka_unit_test(test_start_no_token),
		cmocka_unit_test(test_start_pin_file_checks),
		cmocka_unit_test(test_start_credentials_directory),
		cmocka_unit_test(test_start_bad_module),
		cmocka_unit_test(test_start_bad_config),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
