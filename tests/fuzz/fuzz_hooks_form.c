/*
 * libFuzzer target: Twilio's form bodies (broker/hooks_twilio.c) and the
 * tracking paths (broker/hooks_track.c). A form the parser accepts has
 * non-empty names and values whose length is their string length (no NUL);
 * its candidates and events are built without a fault. The same bytes as a
 * path: a tracking route found has a token of the right syntax; as a click
 * target: one accepted starts with http(s):// and has no control character.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ff_form(const uint8_t *data, size_t size)
{
	struct hooks_form f;
	struct bos_err err;
	json_t *j = NULL;
	size_t i;

	if (hooks_form_parse(data, size, &f, &err) != HOOKS_OK) {
		if (f.n != 0)
			__builtin_trap();
		return;
	}
	for (i = 0; i < f.n; i++)
		if (f.f[i].name[0] == '\0' || strlen(f.f[i].value) != f.f[i].value_len)
			__builtin_trap();
	json_decref(hooks_twilio_candidates("https://hooks.example.test", "/hooks/twilio/status",
	    &f));
	if (hooks_twilio_verify("https://hooks.example.test:443", "/hooks/twilio/inbound?a=1", &f,
	    "P1N75j3RcGqV44Y2hMVih6Pz3X4=", 0, &j, &err) == HOOKS_OK && j == NULL)
		__builtin_trap();
	json_decref(j);
	j = NULL;
	if (hooks_twilio_events(&f, 0, 1, &j, &err) == HOOKS_OK)
		json_decref(j);
	j = NULL;
	if (hooks_twilio_events(&f, 1, 1, &j, &err) == HOOKS_OK)
		json_decref(j);
	hooks_form_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hooks_track t;
	char *s;

	ff_form(data, size);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (hooks_track_route(s, &t) == 0 && !hooks_token_ok(t.token, strlen(t.token)))
		__builtin_trap();
	if (hooks_track_url_ok(s) && (strncmp(s, "http", 4) != 0 || strpbrk(s, "\r\n\t ") != NULL))
		__builtin_trap();
	free(s);
	return 0;
}
