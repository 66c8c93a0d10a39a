/* Card numbers; see card.h. */
#include "card.h"

#include <string.h>
#include "secmem.h"

/* Locale-independent: isdigit() may accept more than '0'..'9'. */
static int
card_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
card_is_sep(char c)
{
	return c == ' ' || c == '-';
}

int
card_luhn_valid(const char *digits, size_t n)
{
	unsigned sum = 0, d;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!card_is_digit(digits[n - 1 - i]))
			return 0;
		d = (unsigned)(digits[n - 1 - i] - '0');
		/* Every second digit from the right is doubled. */
		if (i % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return sum % 10 == 0;
}

/* Integer value of the first k digits (k <= 6, n >= k). */
static unsigned
card_prefix(const char *digits, size_t k)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < k; i++)
		v = v * 10 + (unsigned)(digits[i] - '0');
	return v;
}

static int
card_in(unsigned v, unsigned lo, unsigned hi)
{
	return v >= lo && v <= hi;
}

const char *
card_brand(const char *digits, size_t n)
{
	unsigned p1, p2, p3, p4, p6;

	if (n < CARD_PAN_MIN || n > CARD_PAN_MAX)
		return "unknown";
	p1 = card_prefix(digits, 1);
	p2 = card_prefix(digits, 2);
	p3 = card_prefix(digits, 3);
	p4 = card_prefix(digits, 4);
	p6 = card_prefix(digits, 6);
	if ((p2 == 34 || p2 == 37) && n == 15)
		return "amex";
	if (p1 == 4 && (n == 13 || n == 16 || n == 19))
		return "visa";
	if ((card_in(p2, 51, 55) || card_in(p4, 2221, 2720)) && n == 16)
		return "mastercard";
	if (n < 14)
		return "unknown";
	if (card_in(p3, 300, 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
		return "diners";
	if (n < 16)
		return "unknown";
	if (card_in(p4, 3528, 3589))
		return "jcb";
	/* Discover's 622126-622925 sits inside UnionPay's 62: test it first. */
	if (p4 == 6011 || card_in(p6, 622126, 622925) || card_in(p3, 644, 649) || p2 == 65)
		return "discover";
	if (p2 == 62 || p2 == 81)
		return "unionpay";
	return "unknown";
}

int
card_mask(const char *digits, size_t n, char *out, size_t out_size)
{
	size_t i;

	if (n < CARD_PAN_MIN || n > CARD_PAN_MAX || out_size < n + 1)
		return -1;
	for (i = 0; i < n; i++) {
		if (!card_is_digit(digits[i]))
			return -1;
		out[i] = (i < 6 || i >= n - 4) ? digits[i] : '*';
	}
	out[n] = '\0';
	return 0;
}

/*
 * Room for the longest card number plus a 4-digit CVV, so that "number then
 * CVV" can be told apart from "too many digits" and get its own message.
 */
#define CARD_COLLECT_MAX (CARD_PAN_MAX + 4)

/*
 * Split the input into digits, checking the separator rules. *groups counts
 * digit groups and *last_group is the length of the last one.
 */
static int
card_collect(const char *in, size_t in_len, char out[static CARD_COLLECT_MAX], size_t *n,
    size_t *groups, size_t *last_group, struct bos_err *err)
{
	size_t i, run = 0;

	*n = *groups = *last_group = 0;
	for (i = 0; i < in_len; i++) {
		if (card_is_digit(in[i])) {
			if (*n == CARD_COLLECT_MAX)
				return bos_err_set(err, BOS_E_INVALID,
				    "card number must have 13 to 19 digits");
			if (run++ == 0)
				(*groups)++;
			out[(*n)++] = in[i];
			continue;
		}
		if (!card_is_sep(in[i]))
			return bos_err_set(err, BOS_E_INVALID, "card number may contain only "
			    "digits, with single spaces or dashes between groups");
		if (run == 0 || i + 1 == in_len || !card_is_digit(in[i + 1]))
			return bos_err_set(err, BOS_E_INVALID, "card number may use a single "
			    "space or dash only between digits");
		run = 0;
	}
	*last_group = run;
	return 0;
}

/*
 * "4111 1111 1111 1111 123" is 19 digits and may even pass Luhn, but it is a
 * number with its CVV appended: a last group of 3 or 4 digits after a valid
 * card number. Refuse it rather than store a CVV.
 */
static int
card_has_cvv_tail(const char *d, size_t n, size_t groups, size_t last)
{
	return groups > 1 && (last == 3 || last == 4) && n - last >= CARD_PAN_MIN &&
	    n - last <= CARD_PAN_MAX && card_luhn_valid(d, n - last);
}

int
card_normalise(const char *in, size_t in_len, char out[static CARD_PAN_MAX + 1],
    size_t *out_len, struct bos_err *err)
{
	char d[CARD_COLLECT_MAX];
	size_t n = 0, groups = 0, last = 0;
	int r = -1;

	*out_len = 0;
	memset(out, 0, CARD_PAN_MAX + 1);
	if (in_len > CARD_INPUT_MAX) {
		bos_err_set(err, BOS_E_INVALID, "card number is too long: send its 13 to 19 "
		    "digits only");
		goto out;
	}
	if (card_collect(in, in_len, d, &n, &groups, &last, err) != 0)
		goto out;
	if (card_has_cvv_tail(d, n, groups, last)) {
		bos_err_set(err, BOS_E_INVALID, "card number looks like a card number followed "
		    "by a CVV/CVC, which is never stored (PCI DSS 3.3.1.2): send the card "
		    "number only (without separators if it really is one 19-digit number)");
		goto out;
	}
	if (n < CARD_PAN_MIN || n > CARD_PAN_MAX) {
		bos_err_set(err, BOS_E_INVALID, "card number must have 13 to 19 digits");
		goto out;
	}
	if (!card_luhn_valid(d, n)) {
		bos_err_set(err, BOS_E_INVALID, "card number fails the Luhn check: check it "
		    "for a typo");
		goto out;
	}
	memcpy(out, d, n);
	*out_len = n;
	/* success */
	r = 0;
 out:
	secmem_wipe(d, sizeof(d));
	return r;
}

/*
 * Yield the next character of key as card_key_is_cvv() compares it:
 * lowercased, with separators skipped. Returns '\0' at the end.
 */
static char
card_key_next(const char **p)
{
	char c;

	while ((c = **p) != '\0') {
		(*p)++;
		if (c == '_' || c == '-' || c == '.' || c == ' ')
			continue;
		return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	return '\0';
}

/* Does the normalised form of s, from its start, begin with (or equal) pat? */
static int
card_key_match(const char *s, const char *pat, int whole)
{
	char c;

	for (; *pat != '\0'; pat++)
		if (card_key_next(&s) != *pat)
			return 0;
	if (!whole)
		return 1;
	c = card_key_next(&s);
	return c == '\0';
}

int
card_key_is_cvv(const char *key)
{
	static const char *const exact[] = {
		"cid", "csc", "cvd", "cvn", "cvn2", "cav2", "cardcode",
	};
	static const char *const contains[] = {
		"cvv", "cvc", "securitycode", "cardverification",
	};
	const char *p;
	size_t i;

	if (key == NULL)
		return 0;
	for (i = 0; i < BOS_ARRAY_LEN(exact); i++)
		if (card_key_match(key, exact[i], 1))
			return 1;
	/* Try every starting point, so "card_cvv" and "CVV-2" both match. */
	for (p = key; *p != '\0'; p++)
		for (i = 0; i < BOS_ARRAY_LEN(contains); i++)
			if (card_key_match(p, contains[i], 0))
				return 1;
	return 0;
}

/*
 * From the first digit of a group, join whole groups (single space or dash
 * between them) and report whether any prefix of 13..19 digits that ends at
 * a group boundary passes Luhn.
 */
static int
card_span_has_pan(const char *p)
{
	char d[CARD_PAN_MAX];
	size_t n = 0;
	int found = 0;

	for (;;) {
		while (card_is_digit(*p)) {
			if (n == CARD_PAN_MAX)
				goto out;
			d[n++] = *p++;
		}
		if (n >= CARD_PAN_MIN && card_luhn_valid(d, n)) {
			found = 1;
			goto out;
		}
		if (!card_is_sep(*p) || !card_is_digit(p[1]))
			goto out;
		p++;
	}
 out:
	secmem_wipe(d, sizeof(d));
	return found;
}

int
card_text_has_pan(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		/* Spans start at the first digit of a group. */
		if (!card_is_digit(s[i]) || (i > 0 && card_is_digit(s[i - 1])))
			continue;
		if (card_span_has_pan(s + i))
			return 1;
	}
	return 0;
}
