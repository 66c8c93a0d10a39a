/* Unit tests: vault/auth/totp.c, RFC 6238 TOTP with HMAC-SHA1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "auth/totp.h"

/* RFC 6238 appendix B uses the ASCII seed "12345678901234567890" for SHA-1. */
static const uint8_t rfc_seed[] = "12345678901234567890";
#define RFC_SEED_LEN 20

/*
 * RFC 6238 appendix B, SHA-1 column (8 digits), and the last 6 digits that a
 * 6-digit TOTP shows (the truncation is mod 10^digits of the same value).
 */
static const struct {
	int64_t t;
	const char *eight, *six;
} rfc_vectors[] = {
	{ 59, "94287082", "287082" },
	{ 1111111109, "07081804", "081804" },
	{ 1111111111, "14050471", "050471" },
	{ 1234567890, "89005924", "005924" },
	{ 2000000000, "69279037", "279037" },
	{ 20000000000LL, "65353130", "353130" },
};

static void
test_rfc6238_vectors(void **state)
{
	char code[TOTP_DIGITS + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc_vectors) / sizeof(rfc_vectors[0]); i++) {
		/* Our six digits are the RFC's eight with the first two dropped. */
		assert_string_equal(rfc_vectors[i].eight + 2, rfc_vectors[i].six);
		assert_int_equal(totp_code(rfc_seed, RFC_SEED_LEN, totp_step(rfc_vectors[i].t),
		    code), 0);
		if (strcmp(code, rfc_vectors[i].six) != 0)
			fail_msg("t=%lld: got %s, RFC 6238 says %s", (long long)rfc_vectors[i].t,
			    code, rfc_vectors[i].six);
	}
}

static void
test_steps(void **state)
{
	(void)state;
	assert_int_equal(totp_step(0), 0);
	assert_int_equal(totp_step(29), 0);
	assert_int_equal(totp_step(30), 1);
	assert_int_equal(totp_step(59), 1);
	assert_int_equal(totp_step(-5), 0);
	assert_int_equal(totp_step(1111111109), 37037036);
}

/* A code is accepted one step either side and not two; the matched step is reported. */
static void
test_window(void **state)
{
	const int64_t t = 1111111109; /* step 37037036 */
	uint64_t m = 0;
	char code[TOTP_DIGITS + 1];
	int d;

	(void)state;
	for (d = -3; d <= 3; d++) {
		assert_int_equal(totp_code(rfc_seed, RFC_SEED_LEN, totp_step(t) + (uint64_t)(int64_t)d,
		    code), 0);
		if (d >= -1 && d <= 1) {
			assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, code, t, &m), 1);
			assert_int_equal(m, totp_step(t) + (uint64_t)(int64_t)d);
		} else {
			assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, code, t, &m), 0);
			assert_int_equal(m, 0);
		}
	}
	/* Both ends of a step: the code of step 1 at t=30 and t=59; step 0 still at t=59. */
	assert_int_equal(totp_code(rfc_seed, RFC_SEED_LEN, 1, code), 0);
	assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, code, 30, &m), 1);
	assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, code, 59, &m), 1);
	assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, code, 89, &m), 1);  /* step 2, -1 */
	assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, code, 90, &m), 0);  /* step 3, -2 */
	/* Near the epoch there is no step -1; nothing wraps around. */
	assert_int_equal(totp_code(rfc_seed, RFC_SEED_LEN, 0, code), 0);
	assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, code, 5, &m), 1);
	assert_int_equal(m, 0);
}

/*
 * When one code is right for two steps of the window (a 1-in-10^6 event; this
 * seed was searched for), the later step is the one reported and recorded,
 * so the code cannot be used again for the later step either.
 */
static void
test_latest_step_wins(void **state)
{
	uint8_t seed[TOTP_SEED_LEN] = "bos-collision-";
	const uint32_t i = 408842;
	char a[TOTP_DIGITS + 1], b[TOTP_DIGITS + 1];
	uint64_t m = 0;

	(void)state;
	seed[16] = (uint8_t)(i >> 24);
	seed[17] = (uint8_t)(i >> 16);
	seed[18] = (uint8_t)(i >> 8);
	seed[19] = (uint8_t)i;
	assert_int_equal(totp_code(seed, sizeof(seed), 1000, a), 0);
	assert_int_equal(totp_code(seed, sizeof(seed), 1001, b), 0);
	assert_string_equal(a, b);
	assert_string_equal(a, "705112");
	assert_int_equal(totp_verify(seed, sizeof(seed), a, 1000 * TOTP_PERIOD, &m), 1);
	assert_int_equal(m, 1001);
	assert_int_equal(totp_verify(seed, sizeof(seed), a, 1001 * TOTP_PERIOD, &m), 1);
	assert_int_equal(m, 1001);
}

static void
test_malformed_codes_refused(void **state)
{
	static const char *const bad[] = {
		"", "12345", "1234567", "12345a", " 12345", "12345 ", "-12345", "+12345",
		"１２３４５６", "12\n456", NULL,
	};
	char code[TOTP_DIGITS + 1];
	uint64_t m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, bad[i], 59, &m), 0);
	/* The right code with one digit changed is wrong. */
	assert_int_equal(totp_code(rfc_seed, RFC_SEED_LEN, 1, code), 0);
	code[3] = code[3] == '9' ? '0' : (char)(code[3] + 1);
	assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, code, 59, &m), 0);
	/* Another seed's code is wrong. */
	assert_int_equal(totp_code((const uint8_t *)"abcdefghijklmnopqrst", 20, 1, code), 0);
	if (strcmp(code, "287082") != 0)
		assert_int_equal(totp_verify(rfc_seed, RFC_SEED_LEN, code, 59, &m), 0);
	assert_int_equal(totp_code(rfc_seed, 0, 1, code), -1);
}

/*
 * The replay rule the admin store applies: accept a step only when it is
 * later than the last accepted one. Here with the verifier's reported step.
 */
static int
accept_once(uint64_t *last, const char *code, int64_t now)
{
	uint64_t m;

	if (totp_verify(rfc_seed, RFC_SEED_LEN, code, now, &m) != 1 || m <= *last)
		return 0;
	*last = m;
	return 1;
}

static void
test_replay_logic(void **state)
{
	char c0[TOTP_DIGITS + 1], c1[TOTP_DIGITS + 1], c2[TOTP_DIGITS + 1];
	const int64_t t = 1234567890;
	uint64_t s = totp_step(t), last = 0;

	(void)state;
	assert_int_equal(totp_code(rfc_seed, RFC_SEED_LEN, s - 1, c0), 0);
	assert_int_equal(totp_code(rfc_seed, RFC_SEED_LEN, s, c1), 0);
	assert_int_equal(totp_code(rfc_seed, RFC_SEED_LEN, s + 1, c2), 0);
	assert_int_equal(accept_once(&last, c1, t), 1);
	assert_int_equal(accept_once(&last, c1, t), 0);       /* the same code again */
	assert_int_equal(accept_once(&last, c1, t + 29), 0);  /* later in the window */
	assert_int_equal(accept_once(&last, c0, t), 0);       /* an earlier step */
	assert_int_equal(accept_once(&last, c2, t), 1);       /* a later one is fine */
	assert_int_equal(accept_once(&last, c2, t + 30), 0);
	assert_int_equal(last, s + 1);
}

static void
test_base32_and_uri(void **state)
{
	char b32[TOTP_B32_SIZE], uri[TOTP_URI_MAX], small[8];

	(void)state;
	/* RFC 4648 section 10, without padding. */
	assert_int_equal(totp_base32((const uint8_t *)"foobar", 6, small, sizeof(small)), -1);
	assert_int_equal(totp_base32((const uint8_t *)"foob", 4, small, sizeof(small)), 0);
	assert_string_equal(small, "MZXW6YQ");
	assert_int_equal(totp_base32((const uint8_t *)"f", 1, small, sizeof(small)), 0);
	assert_string_equal(small, "MY");
	assert_int_equal(totp_base32(rfc_seed, RFC_SEED_LEN, b32, sizeof(b32)), 0);
	assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(strlen(b32), TOTP_B32_LEN);
	assert_int_equal(totp_uri("alice", b32, uri, sizeof(uri)), 0);
	assert_string_equal(uri, "otpauth://totp/BOS:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	    "&issuer=BOS&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(totp_uri("alice", b32, uri, 40), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_latest_step_wins),
		cmocka_unit_test(test_malformed_codes_refused),
		cmocka_unit_test(test_replay_logic),
		cmocka_unit_test(test_base32_and_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
