/* Unit tests for vault/card.c: card numbers, brands, masking, CVV and PAN detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../vault/card.h"

/* Deterministic PRNG for the property tests (xorshift64*), so failures replay. */
static uint64_t test_rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
test_rand(void)
{
	test_rng_state ^= test_rng_state >> 12;
	test_rng_state ^= test_rng_state << 25;
	test_rng_state ^= test_rng_state >> 27;
	return (uint32_t)((test_rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

/* Fill out with a random Luhn-valid number of n digits (NUL-terminated). */
static void
test_random_pan(char *out, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i + 1 < n; i++)
		out[i] = (char)('0' + test_rand() % 10);
	out[n] = '\0';
	for (c = '0'; c <= '9'; c++) {
		out[n - 1] = c;
		if (card_luhn_valid(out, n))
			return;
	}
	fail_msg("no Luhn check digit found");
}

/* An error message must never carry a card number: no run of 4+ digits. */
static void
assert_no_digits_run(const char *msg)
{
	size_t run = 0;

	for (; *msg != '\0'; msg++) {
		run = (*msg >= '0' && *msg <= '9') ? run + 1 : 0;
		if (run >= 4)
			fail_msg("error message contains a digit run: %s", msg);
	}
}

static void
assert_normalises(const char *in, const char *want)
{
	char out[CARD_PAN_MAX + 1];
	size_t n = 0;
	struct bos_err err = { 0 };

	if (card_normalise(in, strlen(in), out, &n, &err) != 0)
		fail_msg("'%s' refused: %s", in, err.msg);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void
assert_refused(const char *in, const char *msg_part)
{
	char out[CARD_PAN_MAX + 1];
	size_t n = 77;
	struct bos_err err = { 0 };

	if (card_normalise(in, strlen(in), out, &n, &err) == 0)
		fail_msg("'%s' accepted", in);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(n, 0);
	assert_int_equal(out[0], '\0');
	if (strstr(err.msg, msg_part) == NULL)
		fail_msg("for '%s' expected '%s' in '%s'", in, msg_part, err.msg);
	assert_no_digits_run(err.msg);
}

static void
test_luhn_vectors(void **state)
{
	static const char *const valid[] = {
		"4111111111111111", "4222222222222", "5555555555554444", "378282246310005",
		"6011111111111117", "3530111333300000", "30569309025904", "6200000000000005",
		"4000000000000000006", "79927398713", "0",
	};
	static const char *const invalid[] = {
		"4111111111111112", "4222222222223", "5555555555554440", "378282246310006",
		"1234567890123", "1700000000000", "4111111111111111123", "79927398710",
		"", "41111111a1111111",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		if (!card_luhn_valid(valid[i], strlen(valid[i])))
			fail_msg("%s should pass Luhn", valid[i]);
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		if (card_luhn_valid(invalid[i], strlen(invalid[i])))
			fail_msg("%s should fail Luhn", invalid[i]);
}

static void
test_normalise_accepts(void **state)
{
	(void)state;
	assert_normalises("4111111111111111", "4111111111111111");
	assert_normalises("4111 1111 1111 1111", "4111111111111111");
	assert_normalises("4111-1111-1111-1111", "4111111111111111");
	assert_normalises("4111 1111-1111 1111", "4111111111111111");
	assert_normalises("3782 822463 10005", "378282246310005");
	assert_normalises("4222222222222", "4222222222222");             /* 13 digits */
	assert_normalises("4000000000000000006", "4000000000000000006");   /* 19 digits */
	/* 19 digits in 4-4-4-4-3 groups whose first 16 do not pass Luhn: a real 19-digit card. */
	assert_normalises("4000 0000 0000 0000 006", "4000000000000000006");
	assert_normalises("6200 0000 0000 0000 000", "6200000000000000000");
}

static void
test_normalise_refuses(void **state)
{
	(void)state;
	assert_refused("4111111111111112", "Luhn");
	assert_refused("4111 1111 1111 1112", "Luhn");
	assert_refused("411111111111", "13 to 19 digits");              /* 12 */
	assert_refused("41111111111111111111", "13 to 19 digits");      /* 20 */
	assert_refused("", "13 to 19 digits");
	assert_refused("4111a11111111111", "only digits");
	assert_refused("4111.1111.1111.1111", "only digits");
	assert_refused("4111/1111/1111/1111", "only digits");
	assert_refused("4111111111111111\n", "only digits");
	assert_refused(" 4111111111111111", "between digits");
	assert_refused("4111111111111111 ", "between digits");
	assert_refused("4111  1111 1111 1111", "between digits");
	assert_refused("4111 -1111 1111 1111", "between digits");
	assert_refused("-4111111111111111", "between digits");
	assert_refused("\xd9\xa4\xd9\xa1\xd9\xa1\xd9\xa1", "only digits"); /* Arabic-Indic digits */
	assert_refused("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
	    "too long");
	/* A card number with its CVV appended is refused, whatever Luhn says of the whole. */
	assert_refused("4111 1111 1111 1111 123", "CVV");
	assert_refused("4111 1111 1111 1111 1287", "CVV");
	assert_refused("4111-1111-1111-1111-128", "CVV");
	assert_refused("3782 822463 10005 1234", "CVV");
}

static void
test_normalise_embedded_nul(void **state)
{
	static const char in[] = "4111111111111111\0" "123";
	char out[CARD_PAN_MAX + 1];
	size_t n;
	struct bos_err err = { 0 };

	(void)state;
	assert_int_equal(card_normalise(in, sizeof(in) - 1, out, &n, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
}

static void
test_brands(void **state)
{
	static const struct { const char *pan, *brand; } v[] = {
		{ "4111111111111111", "visa" }, { "4222222222222", "visa" },
		{ "4000000000000000006", "visa" }, { "5555555555554444", "mastercard" },
		{ "5105105105105100", "mastercard" }, { "2221000000000009", "mastercard" },
		{ "2223003122003222", "mastercard" }, { "2720990000000007", "mastercard" },
		{ "2721000000000004", "unknown" }, { "2220000000000000", "unknown" },
		{ "5000000000000009", "unknown" }, { "378282246310005", "amex" },
		{ "371449635398431", "amex" }, { "37144963539843191", "unknown" },
		{ "6011111111111117", "discover" }, { "6011000000000000001", "discover" },
		{ "6445644564456445", "discover" }, { "6500000000000002", "discover" },
		{ "6221260000000000", "discover" }, { "3530111333300000", "jcb" },
		{ "3528000000000007", "jcb" }, { "3589000000000003", "jcb" },
		{ "3527000000000008", "unknown" }, { "30569309025904", "diners" },
		{ "38520000023237", "diners" }, { "36227206271667", "diners" },
		{ "309500000000007", "diners" }, { "3050000000000003", "diners" },
		{ "3060000000000001", "unknown" }, { "6200000000000005", "unionpay" },
		{ "6221250000000001", "unionpay" }, { "6229260000000002", "unionpay" },
		{ "6212345678901265", "unionpay" }, { "8100000000000002", "unionpay" },
		{ "1234567890123452", "unknown" }, { "411111111111", "unknown" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(card_brand(v[i].pan, strlen(v[i].pan)), v[i].brand) != 0)
			fail_msg("%s: expected %s, got %s", v[i].pan, v[i].brand,
			    card_brand(v[i].pan, strlen(v[i].pan)));
}

static void
test_mask(void **state)
{
	char out[CARD_MASK_SIZE];

	(void)state;
	assert_int_equal(card_mask("4111111111111111", 16, out, sizeof(out)), 0);
	assert_string_equal(out, "411111******1111");
	assert_int_equal(card_mask("4222222222222", 13, out, sizeof(out)), 0);
	assert_string_equal(out, "422222***2222");
	assert_int_equal(card_mask("4000000000000000006", 19, out, sizeof(out)), 0);
	assert_string_equal(out, "400000*********0006");
	assert_int_equal(card_mask("378282246310005", 15, out, sizeof(out)), 0);
	assert_string_equal(out, "378282*****0005");
	/* Refused: too short or long, not digits, no room. */
	assert_int_equal(card_mask("411111111111", 12, out, sizeof(out)), -1);
	assert_int_equal(card_mask("41111111111111111111", 20, out, sizeof(out)), -1);
	assert_int_equal(card_mask("4111x11111111111", 16, out, sizeof(out)), -1);
	assert_int_equal(card_mask("4111111111111111", 16, out, 16), -1);
}

/*
 * Property: for thousands of random Luhn-valid 13-19 digit numbers, the mask
 * shows exactly the first 6 and last 4 and nothing of the middle, and the
 * number survives grouping by separators.
 */
static void
test_mask_property(void **state)
{
	char pan[CARD_PAN_MAX + 1], mask[CARD_MASK_SIZE], grouped[64], norm[CARD_PAN_MAX + 1];
	size_t n, i, k;
	int round;
	struct bos_err err = { 0 };

	(void)state;
	for (round = 0; round < 5000; round++) {
		n = CARD_PAN_MIN + (size_t)round % (CARD_PAN_MAX - CARD_PAN_MIN + 1);
		test_random_pan(pan, n);
		assert_int_equal(card_mask(pan, n, mask, sizeof(mask)), 0);
		assert_int_equal(strlen(mask), n);
		assert_memory_equal(mask, pan, 6);
		assert_memory_equal(mask + n - 4, pan + n - 4, 4);
		for (i = 6; i < n - 4; i++)
			if (mask[i] != '*')
				fail_msg("mask %s of a %zu-digit number shows digit %zu", mask, n, i);
		assert_true(card_text_has_pan(pan));
		/* Group in fours with spaces: normalises back to the same digits. */
		for (i = 0, k = 0; i < n; i++) {
			if (i > 0 && i % 4 == 0)
				grouped[k++] = (round & 1) ? ' ' : '-';
			grouped[k++] = pan[i];
		}
		grouped[k] = '\0';
		if (card_normalise(grouped, k, norm, &i, &err) == 0) {
			assert_string_equal(norm, pan);
			assert_true(card_text_has_pan(grouped));
		} else {
			/* Only the "CVV appended" rule may refuse a valid grouped number. */
			assert_non_null(strstr(err.msg, "CVV"));
			assert_true(n % 4 == 3 || n % 4 == 0);
		}
	}
}

static void
test_cvv_keys(void **state)
{
	static const char *const yes[] = {
		"cvv", "CVV", "cvc", "CVC", "cvv2", "CVV2", "cvc2", "Cvc2", "cid", "CID", "csc",
		"security_code", "securityCode", "Security-Code", "security code", "SECURITY_CODE",
		"card_verification_value", "cardVerificationValue", "card verification code",
		"card-verification-code", "card_cvv", "cvv_code", "c_v_v", "c-v-c", " cvv ",
		"cvn", "cvd", "cav2", "card_code", "card_security_code", "x_cvv_x", "cvv.number",
	};
	static const char *const no[] = {
		"", "card_brand", "brand", "expiry", "exp_month", "cardholder", "name", "notes",
		"service_code", "incident", "decision", "client_id", "acid", "cv", "cvx", "vvc",
		"code", "security", "verification", "pin_hint", "last4",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!card_key_is_cvv(yes[i]))
			fail_msg("'%s' should be detected as a CVV field", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (card_key_is_cvv(no[i]))
			fail_msg("'%s' is not a CVV field", no[i]);
	assert_false(card_key_is_cvv(NULL));
}

static void
test_pan_in_text(void **state)
{
	static const char *const yes[] = {
		"4111111111111111", "my card is 4111 1111 1111 1111 thanks",
		"4111-1111-1111-1111", "x4111111111111111y", "amex:378282246310005.",
		"card 4111 1111 1111 1111 123 exp 12/26", "ref 12 4111111111111111",
		"1234 4111 1111 1111 1111", "4222222222222", "4000000000000000006",
		"a 5555-5555-5555-4444 b", "9 4111111111111111",
	};
	static const char *const no[] = {
		"", "hello", "4111111111111112", "order 12345", "+1 555-123-4567",
		"4111  1111 1111 1111", "4111 1111 1111", "411111111111",
		"41111111111111111111111111", "1700000000000", "2024-01-01T10:00:00Z",
		"4111.1111.1111.1111", "4111_1111_1111_1111",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!card_text_has_pan(yes[i]))
			fail_msg("a card number in '%s' was not found", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (card_text_has_pan(no[i]))
			fail_msg("'%s' has no card number", no[i]);
	assert_false(card_text_has_pan(NULL));
}

/* Random Luhn-valid numbers embedded in text are always found. */
static void
test_pan_in_text_property(void **state)
{
	char pan[CARD_PAN_MAX + 1], text[128];
	size_t n;
	int round, k;

	(void)state;
	for (round = 0; round < 2000; round++) {
		n = CARD_PAN_MIN + (size_t)round % (CARD_PAN_MAX - CARD_PAN_MIN + 1);
		test_random_pan(pan, n);
		k = snprintf(text, sizeof(text), "note: card %s, call back", pan);
		assert_true(k > 0 && (size_t)k < sizeof(text));
		assert_true(card_text_has_pan(text));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_luhn_vectors),
		cmocka_unit_test(test_normalise_accepts),
		cmocka_unit_test(test_normalise_refuses),
		cmocka_unit_test(test_normalise_embedded_nul),
		cmocka_unit_test(test_brands),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_mask_property),
		cmocka_unit_test(test_cvv_keys),
		cmocka_unit_test(test_pan_in_text),
		cmocka_unit_test(test_pan_in_text_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
