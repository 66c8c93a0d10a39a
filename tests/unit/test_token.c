/* Unit tests: common/token.c, bearer tokens and accessor ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/sha.h>
#include "token.h"

static int
is_b62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void
test_round_trip_each_type(void **state)
{
	static const enum token_type types[] = { TOKEN_SESSION, TOKEN_HELPER, TOKEN_BROKER };
	char t[TOKEN_SIZE], want[8];
	size_t i, k;

	(void)state;
	for (i = 0; i < 3; i++) {
		for (k = 0; k < 200; k++) {
			assert_int_equal(token_new(types[i], t, sizeof(t)), 0);
			assert_int_equal(strlen(t), TOKEN_LEN);
			assert_int_equal(TOKEN_LEN, 55);
			snprintf(want, sizeof(want), "bos_%c_", (char)types[i]);
			assert_memory_equal(t, want, 6);
			for (size_t j = TOKEN_PREFIX_LEN; j < TOKEN_LEN; j++)
				assert_true(is_b62(t[j]));
			assert_int_equal(token_check(t, types[i]), 0);
		}
	}
}

static void
test_wrong_type_refused(void **state)
{
	char t[TOKEN_SIZE];

	(void)state;
	assert_int_equal(token_new(TOKEN_HELPER, t, sizeof(t)), 0);
	assert_int_equal(token_check(t, TOKEN_HELPER), 0);
	assert_int_equal(token_check(t, TOKEN_SESSION), -1);
	assert_int_equal(token_check(t, TOKEN_BROKER), -1);
	/* Relabelling the type breaks the checksum too. */
	t[4] = 's';
	assert_int_equal(token_check(t, TOKEN_SESSION), -1);
	assert_int_equal(token_check(t, (enum token_type)'x'), -1);
	assert_int_equal(token_new((enum token_type)'x', t, sizeof(t)), -1);
}

/* Every single-character change of a token, to any byte value, is refused. */
static void
test_every_single_corruption_refused(void **state)
{
	char t[TOKEN_SIZE], c[TOKEN_SIZE];
	size_t pos, refused = 0;
	int v, rounds;

	(void)state;
	for (rounds = 0; rounds < 5; rounds++) {
		assert_int_equal(token_new(TOKEN_SESSION, t, sizeof(t)), 0);
		for (pos = 0; pos < TOKEN_LEN; pos++) {
			for (v = 1; v < 256; v++) {
				if ((char)v == t[pos])
					continue;
				memcpy(c, t, sizeof(t));
				c[pos] = (char)v;
				if (token_check(c, TOKEN_SESSION) == 0)
					fail_msg("corruption at %zu to 0x%02x accepted", pos, v);
				refused++;
			}
		}
	}
	assert_int_equal(refused, 5 * TOKEN_LEN * 254);
}

/* Swapping two different adjacent characters (a common typo) is refused too. */
static void
test_adjacent_swaps_refused(void **state)
{
	char t[TOKEN_SIZE], c[TOKEN_SIZE], x;
	size_t pos;

	(void)state;
	assert_int_equal(token_new(TOKEN_BROKER, t, sizeof(t)), 0);
	for (pos = TOKEN_PREFIX_LEN; pos + 1 < TOKEN_LEN; pos++) {
		if (t[pos] == t[pos + 1])
			continue;
		memcpy(c, t, sizeof(t));
		x = c[pos];
		c[pos] = c[pos + 1];
		c[pos + 1] = x;
		assert_int_equal(token_check(c, TOKEN_BROKER), -1);
	}
}

static void
test_length_and_garbage_refused(void **state)
{
	char t[TOKEN_SIZE], longer[TOKEN_SIZE + 1];

	(void)state;
	assert_int_equal(token_new(TOKEN_SESSION, t, sizeof(t)), 0);
	assert_int_equal(token_check(NULL, TOKEN_SESSION), -1);
	assert_int_equal(token_check("", TOKEN_SESSION), -1);
	assert_int_equal(token_check("bos_s_", TOKEN_SESSION), -1);
	memcpy(longer, t, TOKEN_LEN);
	longer[TOKEN_LEN] = '0';
	longer[TOKEN_LEN + 1] = '\0';
	assert_int_equal(token_check(longer, TOKEN_SESSION), -1);
	t[TOKEN_LEN - 1] = '\0';
	assert_int_equal(token_check(t, TOKEN_SESSION), -1);
	assert_int_equal(token_new(TOKEN_SESSION, t, TOKEN_SIZE - 1), -1);
	assert_int_equal(token_new(TOKEN_SESSION, NULL, TOKEN_SIZE), -1);
}

/* A token built by hand from the documented format is accepted: the format is the spec. */
static void
test_documented_format(void **state)
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char t[TOKEN_SIZE];
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	(void)state;
	memcpy(t, "bos_h_", 6);
	for (i = 0; i < TOKEN_RANDOM_CHARS; i++)
		t[6 + i] = '0'; /* the number 0 */
	for (i = 0; i < 49; i++) {
		crc ^= (uint8_t)t[i];
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	crc = ~crc;
	for (i = 6; i > 0; i--) {
		t[49 + i - 1] = b62[crc % 62];
		crc /= 62;
	}
	t[TOKEN_LEN] = '\0';
	assert_int_equal(token_check(t, TOKEN_HELPER), 0);
	/* zlib's CRC-32 of "123456789" is cbf43926: the same polynomial. */
	crc = 0xffffffffu;
	for (i = 0; i < 9; i++) {
		crc ^= (uint8_t)("123456789"[i]);
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	assert_int_equal(~crc, 0xcbf43926u);
}

static void
test_tokens_differ_and_hash(void **state)
{
	char a[TOKEN_SIZE], b[TOKEN_SIZE];
	uint8_t ha[TOKEN_HASH_LEN], hb[TOKEN_HASH_LEN], want[SHA256_DIGEST_LENGTH];

	(void)state;
	assert_int_equal(token_new(TOKEN_SESSION, a, sizeof(a)), 0);
	assert_int_equal(token_new(TOKEN_SESSION, b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	token_hash(a, ha);
	token_hash(b, hb);
	SHA256((const unsigned char *)a, strlen(a), want);
	assert_memory_equal(ha, want, sizeof(want));
	assert_memory_not_equal(ha, hb, sizeof(ha));
}

static void
test_accessor(void **state)
{
	char a[TOKEN_ACCESSOR_SIZE], b[TOKEN_ACCESSOR_SIZE];

	(void)state;
	assert_int_equal(token_accessor_new(a, sizeof(a)), 0);
	assert_int_equal(token_accessor_new(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 24);
	assert_memory_equal(a, "acc_", 4);
	assert_true(token_accessor_valid(a));
	assert_string_not_equal(a, b);
	assert_int_equal(token_accessor_new(a, TOKEN_ACCESSOR_SIZE - 1), -1);
	assert_false(token_accessor_valid("acc_"));
	assert_false(token_accessor_valid("acc_ABCDEFGHIJKLMNOPQRST"));
	assert_false(token_accessor_valid("xyz_abcdefghijklmnopqrst"));
	assert_true(token_accessor_valid("acc_abcdefghijklmnopqrst"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_each_type),
		cmocka_unit_test(test_wrong_type_refused),
		cmocka_unit_test(test_every_single_corruption_refused),
		cmocka_unit_test(test_adjacent_swaps_refused),
		cmocka_unit_test(test_length_and_garbage_refused),
		cmocka_unit_test(test_documented_format),
		cmocka_unit_test(test_tokens_differ_and_hash),
		cmocka_unit_test(test_accessor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
