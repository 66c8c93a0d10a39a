/* What the hooks parsers share (hooks.h): tokens, strict base64, forms. */
#include "hooks.h"

#include <stdlib.h>
#include <string.h>

int
hooks_token_ok(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || n != HOOKS_TOKEN_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int
hc_b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
hooks_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	size_t i, o = 0, pad = 0;

	if (n == 0 || n % 4 != 0)
		return -1;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		int v[4], k;
		uint32_t w;

		for (k = 0; k < 4; k++) {
			int is_pad = i + 4 == n && k >= 4 - (int)pad;

			v[k] = is_pad ? 0 : hc_b64_value(in[i + (size_t)k]);
			if (v[k] < 0)
				return -1;
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		for (k = 0; k < 3 - (i + 4 == n ? (int)pad : 0); k++) {
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(w >> (16 - 8 * k));
		}
		/* Bits under the padding must be zero (one spelling per value). */
		if (i + 4 == n && ((pad == 1 && (v[2] & 3) != 0) || (pad == 2 && (v[1] & 15) != 0)))
			return -1;
	}
	return (long)o;
}

void
hooks_form_free(struct hooks_form *form)
{
	size_t i;

	if (form == NULL)
		return;
	for (i = 0; i < form->n; i++) {
		free(form->f[i].name);
		free(form->f[i].value);
	}
	free(form->f);
	form->f = NULL;
	form->n = 0;
}

const struct hooks_field *
hooks_form_get(const struct hooks_form *form, const char *name)
{
	size_t i;

	for (i = 0; i < form->n; i++)
		if (strcmp(form->f[i].name, name) == 0)
			return &form->f[i];
	return NULL;
}
