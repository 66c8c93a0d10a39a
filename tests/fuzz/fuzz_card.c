/*
 * libFuzzer target: the card number normalisers (vault/store/card.c), the parsers
 * every free-text field and every card secret go through. The input is
 * checked as a card secret (card_normalise) and scanned as text
 * (card_text_scan). It checks: an accepted secret is 13 to 19 ASCII digits
 * that pass Luhn, and no error message carries a run of 4 digits; every span
 * the scan reports lies inside the input, starts and ends on a digit, is a
 * card number again when scanned alone, and reporting stops when asked; the
 * count does not depend on the callback; card_text_has_pan agrees; and once
 * every reported span is overwritten with letters, no card number is left
 * (what a mask relies on).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/card.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_spans {
	const char *text;
	size_t size, n;
	char *masked;
};

static int
fuzz_is_ascii_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void
fuzz_secret(const char *s, size_t n)
{
	char out[CARD_PAN_MAX + 1];
	struct bos_err err = { 0 };
	size_t len = 99, i, run = 0;

	if (card_normalise(s, n, out, &len, &err) == 0) {
		if (len < CARD_PAN_MIN || len > CARD_PAN_MAX || strlen(out) != len ||
		    !card_luhn_valid(out, len))
			__builtin_trap();
		for (i = 0; i < len; i++)
			if (!fuzz_is_ascii_digit(out[i]))
				__builtin_trap();
		return;
	}
	if (len != 0 || out[0] != '\0' || err.code != BOS_E_INVALID)
		__builtin_trap();
	for (i = 0; err.msg[i] != '\0'; i++)
		if ((run = fuzz_is_ascii_digit(err.msg[i]) ? run + 1 : 0) >= 4)
			__builtin_trap();
}

static int
fuzz_found(size_t start, size_t end, void *arg)
{
	struct fuzz_spans *sp = arg;

	if (start >= end || end > sp->size)
		__builtin_trap();
	/* Alone, the span is still a card number: it is made of whole groups. */
	if (card_text_scan(sp->text + start, end - start, NULL, NULL) == 0)
		__builtin_trap();
	memset(sp->masked + start, 'x', end - start);
	sp->n++;
	return 0;
}

static int
fuzz_stop(size_t start, size_t end, void *arg)
{
	(void)start;
	(void)end;
	(*(size_t *)arg)++;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_spans sp = { (const char *)data, size, 0, NULL };
	size_t all, calls = 0;
	char *copy;

	fuzz_secret((const char *)data, size);
	if ((sp.masked = malloc(size + 1)) == NULL || (copy = malloc(size + 1)) == NULL) {
		free(sp.masked);
		return 0;
	}
	memcpy(sp.masked, data, size);
	all = card_text_scan((const char *)data, size, fuzz_found, &sp);
	if (all != sp.n || card_text_scan((const char *)data, size, NULL, NULL) != all)
		__builtin_trap();
	if (card_text_scan((const char *)data, size, fuzz_stop, &calls) != (all > 0) ||
	    calls != (all > 0))
		__builtin_trap();
	/* Every card number is covered by some reported span. */
	if (card_text_scan(sp.masked, size, NULL, NULL) != 0)
		__builtin_trap();
	/* The C-string form agrees when the input has no NUL. */
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (memchr(data, '\0', size) == NULL && card_text_has_pan(copy) != (all > 0))
		__builtin_trap();
	free(copy);
	free(sp.masked);
	return 0;
}
