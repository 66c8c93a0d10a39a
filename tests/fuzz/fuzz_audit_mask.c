/*
 * libFuzzer target: the masking of audit fields (vault/audit/audit_mask.c), which
 * percent-decodes untrusted request text over and over. For any input (a
 * path, a message, a sign-in name) the output is a clean audit field
 * (audit_field_clean leaves it as it is), no percent-decoding of it, up to
 * the limit and beyond, holds "bos_" in any case or a card number, masking
 * it again changes nothing, and text with no digit, '%' or "bos_" comes out
 * as audit_field_clean makes it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "audit/audit_mask.h"
#include "store/card.h"
#include "http/http_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode every %XX of s (n bytes) in place; returns the new length (not audit_mask.c's loop). */
static size_t
fuzz_decode(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; o++) {
		if (s[i] == '%' && n - i >= 3 && http_hex(s[i + 1]) >= 0 && http_hex(s[i + 2]) >= 0) {
			s[o] = (char)(http_hex(s[i + 1]) << 4 | http_hex(s[i + 2]));
			i += 3;
		} else {
			s[o] = s[i++];
		}
	}
	return o;
}

static int
fuzz_has_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (strncasecmp(s + i, "bos_", 4) == 0)
			return 1;
	return 0;
}

static int
fuzz_plain(const char *s)
{
	return strpbrk(s, "0123456789%") == NULL && !fuzz_has_token(s, strlen(s));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[AUDIT_FIELD_MAX], again[AUDIT_FIELD_MAX], clean[AUDIT_FIELD_MAX];
	char d[AUDIT_FIELD_MAX], *in;
	size_t n, level;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	audit_mask(in, out);
	audit_field_clean(clean, out);
	if (strlen(out) >= AUDIT_FIELD_MAX || strcmp(clean, out) != 0)
		__builtin_trap();
	/* Twenty decodings: past the limit, a field that still decodes was replaced whole. */
	n = strlen(out);
	memcpy(d, out, n + 1);
	for (level = 0; level < 20; level++) {
		if (fuzz_has_token(d, n) || card_text_scan(d, n, NULL, NULL) != 0)
			__builtin_trap();
		n = fuzz_decode(d, n);
	}
	audit_mask(out, again);
	if (strcmp(again, out) != 0)
		__builtin_trap();
	audit_field_clean(clean, in);
	if (fuzz_plain(in) && strcmp(clean, out) != 0)
		__builtin_trap();
	free(in);
	return 0;
}
