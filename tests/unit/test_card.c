/* Unit tests for vault/store/card.c: card numbers, brands, masking, CVV and PAN detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "store/card.h"

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
		/* Full-width letters (as CJK input methods type them), blanks a reader does not see. */
		"\xef\xbd\x83\xef\xbd\x96\xef\xbd\x96",               /* U+FF43 U+FF56 U+FF56: cvv */
		"\xef\xbc\xa3\xef\xbc\xb6\xef\xbc\xa3\xef\xbc\x92",   /* CVC2, full-width */
		"\xef\xbd\x83\xef\xbd\x89\xef\xbd\x84",               /* cid, full-width */
		"card\xc2\xa0" "cvv", "c\xe2\x80\x8bv\xe2\x80\x8cv", "cv\xc2\xadv",
		"security\xe3\x80\x80" "code", "card\xef\xbc\xbf" "cvv", "\xef\xbb\xbf" "cvv",
		"c\xef\xbd\x96v",                                      /* mixed widths */
	};
	static const char *const no[] = {
		"", "card_brand", "brand", "expiry", "exp_month", "cardholder", "name", "notes",
		"service_code", "incident", "decision", "client_id", "acid", "cv", "cvx", "vvc",
		"code", "security", "verification", "pin_hint", "last4",
		"\xef\xbd\x83\xef\xbd\x96",                             /* cv, full-width */
		"c\xc3\xa9vv", "\xd1\x81vv",                               /* other letters in between */
		"\xef\xbd\x83\xef\xbd\x89\xef\xbd\x84\xef\xbd\x85\xef\xbd\x92",   /* cider */
		"\xff\xfe", "c\xc3",                                    /* not UTF-8: no crash, no match */
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
		/* Issue #12 item 8: the separators the reviewers used. */
		"4111.1111.1111.1111", "4111/1111/1111/1111", "4111_1111_1111_1111",
		"4111  1111  1111  1111", "4111\t1111\t1111\t1111", "3782.822463.10005",
		"4111\xc2\xa0" "1111\xc2\xa0" "1111\xc2\xa0" "1111",                 /* NBSP */
		"\xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
		"\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
		"\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91",                    /* full-width */
		/* Thought of as an attacker would. */
		"4111\xe2\x80\xaf" "1111\xe2\x80\x89" "1111\xe2\x80\x83" "1111",      /* narrow NBSP, thin, em */
		"4111\xe2\x80\x93" "1111\xe2\x80\x94" "1111\xe2\x88\x92" "1111",      /* en, em dash, minus */
		"4111\xef\xbc\x8e" "1111\xef\xbc\x8d" "1111\xe3\x80\x80" "1111",      /* full-width . - and space */
		"\xd9\xa4\xd9\xa1\xd9\xa1\xd9\xa1 \xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1 "
		"\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1 \xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1",  /* Arabic-Indic */
		"4\xd9\xa1\xef\xbc\x91\xe0\xa5\xa7 1111 1111 1111",                   /* mixed scripts */
		"\xf0\x9d\x9f\x92\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f"
		"-1111-1111-1111",                                                    /* mathematical bold */
		"\xe2\x81\xb4\xc2\xb9\xc2\xb9\xc2\xb9 1111 1111 1111",                /* superscripts */
		"4\xe2\x80\x8b" "111\xe2\x80\x8c" "1111\xe2\x81\xa0" "1111\xc2\xad" "1111", /* invisible */
		"4\xcc\xb2" "1\xcc\xb2" "1\xcc\xb2" "1\xcc\xb2" " 1111 1111 1111",    /* combining marks */
		"4\xef\xb8\x8f\xe2\x83\xa3" "1\xef\xb8\x8f\xe2\x83\xa3" "11 1111 1111 1111", /* keycaps */
		"4111\xe3\x85\xa4" "1111\xe3\x85\xa4" "1111\xe3\x85\xa4" "1111",      /* Hangul filler */
		"4111\xff" "1111\xc0\xb1" "1111\xed\xa0\x80" "1111",                  /* malformed UTF-8 */
		"4111 - 1111 / 1111 . 1111", "4111\r\n1111\r\n1111\r\n1111", "(4111) 1111, 1111; 1111",
		"4111.1111.1111.1111.123",                                            /* and a CVV */
		"7000 0000 0000 0005",  /* written plainly: refused whatever the prefix, as before */
		"+4111 1111 1111 1111", /* a '+' in front changes nothing for an issuer's prefix */
		"+62 812 3456 7808",    /* 62 is UnionPay's: a phone number that looks like a card */
	};
	static const char *const no[] = {
		"", "hello", "4111111111111112", "order 12345", "+1 555-123-4567",
		"4111 1111 1111", "411111111111", "41111111111111111111111111", "1700000000000",
		"2024-01-01T10:00:00Z", "4111.1111.1111.1112", "4111\xc2\xa0" "1111",
		/* Luhn-valid, 13-19 digits, but no issuer's prefix and not written plainly. */
		"2024-01-15 10:30:02", "ports 8080, 8443, 9090, 9445", "7000.0000.0000.0005",
		"invoice 2024/0117/00000",
		/* A phone number: plainly written, but after a '+', and 86 is no issuer's. */
		"+86 138 0013 8002", "call +86 138 0013 8002 or +1 555-123-4567",
		/* An ASCII letter ends a number: these are four numbers of four digits. */
		"4111x1111x1111x1111",
		/* A run of more than 19 digits is not a card number, nor part of one. */
		"41111111111111111111 ok", "\xef\xbc\x94" "4111111111111111111",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!card_text_has_pan(yes[i]))
			fail_msg("a card number in '%s' (case %zu) was not found", yes[i], i);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (card_text_has_pan(no[i]))
			fail_msg("'%s' (case %zu) has no card number", no[i], i);
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

/* ---- any separators, any digits (issue #12 item 8) ---------------------------------- */

/* What may stand between two groups of a card number, in UTF-8. */
static const char *const test_seps[] = {
	" ", "-", ".", "/", "_", "\t", "\n", "\r\n", ",", ":", ";", "+", "*", "|", "#", "~",
	"(", ")", "'", "\"", "  ", " - ", " / ", "..",
	"\xc2\xa0", "\xe2\x80\xaf", "\xe2\x80\x89", "\xe2\x80\x82", "\xe2\x80\x83",
	"\xe3\x80\x80", "\xe1\x9a\x80", "\xe2\x81\x9f", "\xe2\x80\xa8",          /* spaces */
	"\xe2\x80\x90", "\xe2\x80\x91", "\xe2\x80\x92", "\xe2\x80\x93", "\xe2\x80\x94",
	"\xe2\x88\x92", "\xef\xbc\x8d", "\xef\xb9\xa3",                          /* dashes */
	"\xef\xbc\x8e", "\xef\xbc\x8f", "\xef\xbc\xbf", "\xc2\xb7", "\xe2\x80\xa2",
	"\xe2\x80\xa4", "\xe3\x83\xbb", "\xe3\x80\x82",                          /* dots, slash */
	"\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0", "\xef\xbb\xbf",
	"\xc2\xad", "\xef\xb8\x8f", "\xe2\x83\xa3", "\xcc\xb2",                  /* invisible, marks */
	"\xe3\x85\xa4", "\xe2\xa0\x80", "\xe2\x98\x85", "\xf0\x9f\x99\x82",      /* filler, blank, symbols */
};

/* The first code point of ten consecutive digits 0..9 in another script. */
static const uint32_t test_zeros[] = {
	0xff10, 0x0660, 0x06f0, 0x0966, 0x09e6, 0x0e50, 0x1d7ce, 0x1d7f6, 0x2080, 0x1040,
};

static size_t
test_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One digit, as ASCII half the time, else in a random other script. */
static size_t
test_any_digit(char c, char *out)
{
	uint32_t v = (uint32_t)(c - '0');

	if (test_rand() % 2 == 0)
		return test_utf8((uint32_t)c, out);
	return test_utf8(test_zeros[test_rand() % (sizeof(test_zeros) / sizeof(test_zeros[0]))] + v,
	    out);
}

/*
 * Write pan into out as "note: " + random groups (1 to 6 digits) + " ok",
 * with digits in random scripts and each join a random separator run: from
 * the whole set, at least one of them not a single space or dash (plain ==
 * 0), or single spaces and dashes only (plain == 1).
 */
static void
test_write_grouped(const char *pan, int plain, char *out, size_t cap)
{
	size_t i, o, g = 0, len, nseps = sizeof(test_seps) / sizeof(test_seps[0]);
	const char *sep;
	int odd = 0, last;

	o = (size_t)snprintf(out, cap, "note: ");
	for (i = 0; pan[i] != '\0'; i++) {
		last = pan[i + 1] == '\0';
		if (g > 0 && (g >= 6 || test_rand() % 3 == 0 || (!plain && !odd && last))) {
			if (plain)
				sep = test_rand() % 2 ? " " : "-";
			else if (!odd && last)
				sep = test_seps[2 + test_rand() % (nseps - 2)];  /* not " " or "-" */
			else
				sep = test_seps[test_rand() % nseps];
			odd |= strcmp(sep, " ") != 0 && strcmp(sep, "-") != 0;
			len = strlen(sep);
			assert_true(o + len < cap);
			memcpy(out + o, sep, len);
			o += len;
			g = 0;
		}
		assert_true(o + 4 < cap);
		o += test_any_digit(pan[i], out + o);
		g++;
	}
	assert_true(o + 4 < cap);
	memcpy(out + o, " ok", 4);
}

/* A random Luhn-valid number of n digits that starts like a card of a network in use. */
static void
test_random_issuer_pan(char *out, size_t n)
{
	static const char *const prefixes[] = {
		"4", "51", "55", "2221", "2720", "34", "37", "36", "38", "300", "3095", "3528",
		"3589", "6011", "65", "62", "2200", "2204", "50", "58", "69", "81", "82", "9792",
	};
	const char *p;

	do {
		test_random_pan(out, n);
		p = prefixes[test_rand() % (sizeof(prefixes) / sizeof(prefixes[0]))];
		memcpy(out, p, strlen(p));
		/* Fix the check digit again. */
		for (out[n - 1] = '0'; !card_luhn_valid(out, n); out[n - 1]++)
			;
	} while (out[n - 1] > '9');
}

/*
 * Property: random Luhn-valid numbers of 13 to 19 digits, split into random
 * groups, with digits of random scripts, are found whatever separates the
 * groups when they start like a card, and whatever their prefix when the
 * groups are joined plainly (single spaces or dashes).
 */
static void
test_pan_any_separator_property(void **state)
{
	char pan[CARD_PAN_MAX + 1], text[512];
	size_t n;
	int round;

	(void)state;
	for (round = 0; round < 20000; round++) {
		n = CARD_PAN_MIN + test_rand() % (CARD_PAN_MAX - CARD_PAN_MIN + 1);
		if (round % 2 == 0) {
			test_random_issuer_pan(pan, n);
			test_write_grouped(pan, 0, text, sizeof(text));
		} else {
			test_random_pan(pan, n);
			test_write_grouped(pan, 1, text, sizeof(text));
		}
		if (!card_text_has_pan(text))
			fail_msg("round %d: %s (%zu digits) not found in '%s'", round, pan, n, text);
	}
}

/*
 * The other side: a Luhn-valid number with no issuer's prefix (0, 7, 9 but
 * 9792, 20, 21, 31, 33, the edges of the ranges ...), not written plainly and split so that every candidate
 * includes its first group, is not a card number. The same numbers joined
 * plainly are.
 */
static void
test_pan_no_issuer_property(void **state)
{
	static const char *const prefixes[] = {
		"0", "7", "90", "91", "9791", "20", "21", "2205", "2220", "2721", "31", "33", "306",
		"3094", "3527", "3590", "80", "83", "89",
	};
	char pan[CARD_PAN_MAX + 1], text[512];
	const char *sep;
	size_t n, first, i, o;
	int round;

	(void)state;
	for (round = 0; round < 5000; round++) {
		n = CARD_PAN_MIN + test_rand() % (CARD_PAN_MAX - CARD_PAN_MIN + 1);
		do {
			const char *p = prefixes[test_rand() % (sizeof(prefixes) / sizeof(prefixes[0]))];

			test_random_pan(pan, n);
			memcpy(pan, p, strlen(p));
			for (pan[n - 1] = '0'; !card_luhn_valid(pan, n); pan[n - 1]++)
				;
		} while (pan[n - 1] > '9');
		/* First group: all but 12 digits (at least 2), so no candidate leaves it out. */
		first = n - 12 > 2 ? n - 12 : 2;
		sep = round % 3 == 0 ? "." : round % 3 == 1 ? "\xc2\xa0" : " / ";
		o = (size_t)snprintf(text, sizeof(text), "id %.*s", (int)first, pan);
		for (i = first; i < n; i += 4)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%.*s", sep, 4, pan + i);
		if (card_text_has_pan(text))
			fail_msg("round %d: '%s' has no issuer's prefix and is not plain", round, text);
		/* Joined plainly, the same number is refused. */
		o = (size_t)snprintf(text, sizeof(text), "id %.*s", (int)first, pan);
		for (i = first; i < n; i += 4)
			o += (size_t)snprintf(text + o, sizeof(text) - o, " %.*s", 4, pan + i);
		if (!card_text_has_pan(text))
			fail_msg("round %d: '%s' is written plainly and passes Luhn", round, text);
	}
}

struct test_spans {
	size_t start[4], end[4], n;
};

static int
test_collect(size_t start, size_t end, void *arg)
{
	struct test_spans *sp = arg;

	if (sp->n < 4) {
		sp->start[sp->n] = start;
		sp->end[sp->n] = end;
	}
	sp->n++;
	return 0;
}

static int
test_stop(size_t start, size_t end, void *arg)
{
	(void)start;
	(void)end;
	(void)arg;
	return 1;
}

/* Offsets reported by card_text_scan are those of the first and past the last digit. */
static void
test_pan_scan_offsets(void **state)
{
	/* "ref: " + full-width 4111 + ideographic space + 1111 1111 1111 + " ok" */
	static const char text[] = "ref: \xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
	    "\xe3\x80\x80" "1111.1111.1111 ok 5555 5555 5555 4444";
	struct test_spans got = { { 0 }, { 0 }, 0 };
	size_t want_end = strlen("ref: ") + 12 + 3 + 14;

	(void)state;
	assert_int_equal(card_text_scan(text, sizeof(text) - 1, test_collect, &got), 2);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.start[0], strlen("ref: "));
	assert_int_equal(got.end[0], want_end);
	assert_int_equal(got.start[1], want_end + strlen(" ok "));
	assert_int_equal(got.end[1], sizeof(text) - 1);
	/* found() returning non-zero stops the scan at the first. */
	assert_int_equal(card_text_scan(text, sizeof(text) - 1, test_stop, NULL), 1);
	/* Only n bytes are read: the second number is cut off. */
	assert_int_equal(card_text_scan(text, sizeof(text) - 2, NULL, NULL), 1);
	assert_int_equal(card_text_scan(NULL, 5, NULL, NULL), 0);
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
		cmocka_unit_test(test_pan_any_separator_property),
		cmocka_unit_test(test_pan_no_issuer_property),
		cmocka_unit_test(test_pan_scan_offsets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
