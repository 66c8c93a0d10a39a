/* Unit tests for vault/store/seal.c: AES-256-GCM sealing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/rand.h>

#include "store/seal.h"
#include "secmem.h"

static const uint8_t test_aad[] = "bos-test\0row-1";

static void
test_key(uint8_t key[SEAL_KEY_LEN], uint8_t seed)
{
	size_t i;

	for (i = 0; i < SEAL_KEY_LEN; i++)
		key[i] = (uint8_t)(seed + i * 7);
}

static void
seal_or_fail(const uint8_t *key, const uint8_t *pt, size_t pt_len, uint8_t **blob,
    size_t *blob_len)
{
	struct bos_err err = { 0 };

	assert_int_equal(seal_encrypt(key, test_aad, sizeof(test_aad), pt, pt_len, blob,
	    blob_len, &err), 0);
	assert_int_equal(*blob_len, pt_len + SEAL_OVERHEAD);
}

/* Decrypting must fail with BOS_E_AUTH and leave no output behind. */
static void
assert_auth_fails(const uint8_t *key, const uint8_t *aad, size_t aad_len, const uint8_t *blob,
    size_t blob_len)
{
	struct bos_err err = { 0 };
	uint8_t *pt = (uint8_t *)&err;
	size_t pt_len = 99;

	assert_int_equal(seal_decrypt(key, aad, aad_len, blob, blob_len, &pt, &pt_len, &err), -1);
	assert_int_equal(err.code, BOS_E_AUTH);
	assert_string_equal(err.msg, "ciphertext failed authentication");
	assert_null(pt);
	assert_int_equal(pt_len, 0);
}

static void
test_round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 4096, SEAL_PT_MAX };
	uint8_t key[SEAL_KEY_LEN], *pt, *blob, *out;
	size_t i, blob_len, out_len;
	struct bos_err err = { 0 };

	(void)state;
	test_key(key, 1);
	pt = malloc(SEAL_PT_MAX);
	assert_non_null(pt);
	assert_int_equal(RAND_bytes(pt, SEAL_PT_MAX), 1);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		seal_or_fail(key, pt, sizes[i], &blob, &blob_len);
		assert_int_equal(seal_decrypt(key, test_aad, sizeof(test_aad), blob, blob_len,
		    &out, &out_len, &err), 0);
		assert_non_null(out);
		assert_int_equal(out_len, sizes[i]);
		assert_memory_equal(out, pt, sizes[i]);
		secmem_freezero(out, out_len);
		free(blob);
	}
	free(pt);
}

static void
test_empty_aad(void **state)
{
	uint8_t key[SEAL_KEY_LEN], *blob, *out;
	size_t blob_len, out_len;
	struct bos_err err = { 0 };

	(void)state;
	test_key(key, 2);
	assert_int_equal(seal_encrypt(key, NULL, 0, (const uint8_t *)"abc", 3, &blob, &blob_len,
	    &err), 0);
	assert_int_equal(seal_decrypt(key, NULL, 0, blob, blob_len, &out, &out_len, &err), 0);
	assert_memory_equal(out, "abc", 3);
	secmem_freezero(out, out_len);
	/* The same blob with any AAD at all must not open. */
	assert_auth_fails(key, test_aad, 1, blob, blob_len);
	free(blob);
}

/* Flipping any single bit of iv, ciphertext or tag fails authentication. */
static void
test_tamper_every_byte(void **state)
{
	static const uint8_t pt[] = "sk_live_canary_0123456789";
	uint8_t key[SEAL_KEY_LEN], *blob;
	size_t blob_len, i;
	int bit;

	(void)state;
	test_key(key, 3);
	seal_or_fail(key, pt, sizeof(pt), &blob, &blob_len);
	for (i = 0; i < blob_len; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			blob[i] ^= (uint8_t)(1u << bit);
			assert_auth_fails(key, test_aad, sizeof(test_aad), blob, blob_len);
			blob[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(blob);
}

static void
test_tamper_regions(void **state)
{
	static const uint8_t pt[] = "password canary";
	uint8_t key[SEAL_KEY_LEN], *blob, aad[sizeof(test_aad)];
	size_t blob_len;

	(void)state;
	test_key(key, 4);
	seal_or_fail(key, pt, sizeof(pt), &blob, &blob_len);
	blob[0] ^= 0x80; /* iv */
	assert_auth_fails(key, test_aad, sizeof(test_aad), blob, blob_len);
	blob[0] ^= 0x80;
	blob[SEAL_IV_LEN] ^= 0x01; /* ciphertext */
	assert_auth_fails(key, test_aad, sizeof(test_aad), blob, blob_len);
	blob[SEAL_IV_LEN] ^= 0x01;
	blob[blob_len - 1] ^= 0x01; /* tag */
	assert_auth_fails(key, test_aad, sizeof(test_aad), blob, blob_len);
	blob[blob_len - 1] ^= 0x01;
	memcpy(aad, test_aad, sizeof(aad)); /* AAD */
	aad[sizeof(aad) - 1] ^= 0x01;
	assert_auth_fails(key, aad, sizeof(aad), blob, blob_len);
	assert_auth_fails(key, test_aad, sizeof(test_aad) - 1, blob, blob_len);
	/* Truncated and extended blobs. */
	assert_auth_fails(key, test_aad, sizeof(test_aad), blob, blob_len - 1);
	assert_auth_fails(key, test_aad, sizeof(test_aad), blob, SEAL_OVERHEAD - 1);
	assert_auth_fails(key, test_aad, sizeof(test_aad), blob, 0);
	free(blob);
}

static void
test_wrong_key(void **state)
{
	static const uint8_t pt[] = "4111111111111111";
	uint8_t key[SEAL_KEY_LEN], other[SEAL_KEY_LEN], *blob;
	size_t blob_len;

	(void)state;
	test_key(key, 5);
	memcpy(other, key, sizeof(other));
	other[31] ^= 0x01;
	seal_or_fail(key, pt, sizeof(pt), &blob, &blob_len);
	assert_auth_fails(other, test_aad, sizeof(test_aad), blob, blob_len);
	free(blob);
}

/* A fresh IV each time: two encryptions of the same input never match. */
static void
test_encryptions_differ(void **state)
{
	static const uint8_t pt[] = "same plaintext";
	uint8_t key[SEAL_KEY_LEN], *a, *b;
	size_t a_len, b_len;

	(void)state;
	test_key(key, 6);
	seal_or_fail(key, pt, sizeof(pt), &a, &a_len);
	seal_or_fail(key, pt, sizeof(pt), &b, &b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_not_equal(a, b, SEAL_IV_LEN);
	assert_memory_not_equal(a + SEAL_IV_LEN, b + SEAL_IV_LEN, a_len - SEAL_IV_LEN);
	/* The plaintext does not appear in the blob. */
	assert_null(memmem(a, a_len, pt, sizeof(pt) - 1));
	free(a);
	free(b);
}

static void
test_limits(void **state)
{
	uint8_t key[SEAL_KEY_LEN], *pt, *blob = NULL, *out = NULL, aad[SEAL_AAD_MAX + 1] = { 0 };
	size_t blob_len = 0, out_len = 0;
	struct bos_err err = { 0 };

	(void)state;
	test_key(key, 7);
	pt = calloc(1, SEAL_PT_MAX + 1);
	assert_non_null(pt);
	assert_int_equal(seal_encrypt(key, NULL, 0, pt, SEAL_PT_MAX + 1, &blob, &blob_len, &err),
	    -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_null(blob);
	assert_int_equal(seal_encrypt(key, aad, sizeof(aad), pt, 1, &blob, &blob_len, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(seal_encrypt(key, NULL, 5, pt, 1, &blob, &blob_len, &err), -1);
	assert_int_equal(seal_decrypt(key, NULL, 0, pt, SEAL_PT_MAX + SEAL_OVERHEAD + 1, &out,
	    &out_len, &err), -1);
	assert_null(out);
	free(pt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_aad),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_tamper_regions),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_encryptions_differ),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
