/*
 * libFuzzer target: SendGrid Inbound Parse (broker/hooks_multipart.c). The
 * input's first line is the Content-Type, the rest the body. Accepted parts
 * have names; a reply found carries a token of the right syntax and an
 * address without blanks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct hooks_form f;
	struct bos_err err;
	json_t *ev = NULL, *e;
	const char *tok, *addr;
	char ct[256];
	size_t n, i;

	if (nl == NULL || (n = (size_t)(nl - data)) >= sizeof(ct))
		return 0;
	memcpy(ct, data, n);
	ct[n] = '\0';
	if (strlen(ct) != n)
		return 0;
	if (hooks_multipart_parse(ct, nl + 1, size - n - 1, &f, &err) != HOOKS_OK)
		return 0;
	for (i = 0; i < f.n; i++)
		if (f.f[i].name[0] == '\0')
			__builtin_trap();
	if (hooks_inbound_events(&f, 1, &ev, &err) == HOOKS_OK) {
		json_array_foreach(ev, i, e) {
			tok = json_string_value(json_object_get(e, "token"));
			addr = json_string_value(json_object_get(e, "address"));
			if (tok == NULL || !hooks_token_ok(tok, strlen(tok)) || addr == NULL ||
			    strpbrk(addr, " \t\r\n<>") != NULL)
				__builtin_trap();
		}
		json_decref(ev);
	}
	hooks_form_free(&f);
	return 0;
}
