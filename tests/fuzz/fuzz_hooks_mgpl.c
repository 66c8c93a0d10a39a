/*
 * libFuzzer target: Mailgun's JSON webhook (broker/hooks_mailgun.c) and
 * Plivo's form webhooks (broker/hooks_plivo.c). A Mailgun body accepted has
 * a verify object with one candidate and a token, and at most one event; a
 * refused one leaves nothing behind. The same bytes as a Plivo form: its
 * candidates, verify object (the bytes also as the signature header and the
 * nonce) and events are built without a fault, and an accepted verify names
 * an account of 20 characters.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ff_mailgun(const uint8_t *data, size_t size)
{
	struct bos_err err;
	json_t *ev = NULL, *vf = NULL;

	if (hooks_mailgun_parse(data, size, 1770920772, &ev, &vf, &err) != HOOKS_OK) {
		if (ev != NULL || vf != NULL)
			__builtin_trap();
		return;
	}
	if (json_array_size(ev) > 1 || json_array_size(json_object_get(vf, "candidates")) != 1 ||
	    json_string_value(json_object_get(vf, "token")) == NULL)
		__builtin_trap();
	json_decref(ev);
	json_decref(vf);
}

static void
ff_plivo(const uint8_t *data, size_t size)
{
	struct hooks_form f;
	struct bos_err err;
	json_t *j = NULL;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (hooks_form_parse(data, size, &f, &err) != HOOKS_OK) {
		memset(&f, 0, sizeof(f));
	}
	json_decref(hooks_plivo_candidates("https://hooks.example.test", "/hooks/plivo/status?"
	    "auth_id=MAABCDEFGHIJ01234567&b=2", &f, "1"));
	if (strlen(s) == size && strchr(s, '#') == NULL && strchr(s, ' ') == NULL) {
		char uri[512];

		(void)snprintf(uri, sizeof(uri), "/hooks/plivo/inbound?%.400s", s);
		json_decref(hooks_plivo_candidates("https://hooks.example.test", uri, &f, "1"));
	}
	if (hooks_plivo_verify("https://hooks.example.test", "/hooks/plivo/status?auth_id="
	    "MAABCDEFGHIJ01234567", &f, s, s, &j, &err) == HOOKS_OK &&
	    strlen(json_string_value(json_object_get(j, "account"))) != 20)
		__builtin_trap();
	json_decref(j);
	j = NULL;
	if (hooks_plivo_events(&f, 0, 1, &j, &err) == HOOKS_OK)
		json_decref(j);
	j = NULL;
	if (hooks_plivo_events(&f, 1, 1, &j, &err) == HOOKS_OK)
		json_decref(j);
	hooks_form_free(&f);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ff_mailgun(data, size);
	ff_plivo(data, size);
	return 0;
}
