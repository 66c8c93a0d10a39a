/*
 * libFuzzer target: SendGrid's Event Webhook (broker/hooks_sendgrid.c).
 * The input is the body: its signature check with the vendor's test key
 * (tests/fixtures/hooks) must never pass for made-up bytes, and a batch the
 * parser accepts holds only well-formed events (an id, a known kind, a
 * non-negative time, a token only of the right syntax).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "hooks.h"

#define FS_PUB "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWh6DZR302EUMvWhnxpLBX4FrNP85k0vzyXN6SF5ytGr9Igq" \
	"DzfwiPkDmkj8VbQkwCLvagZiI3Z6Nn2U6QTxBVA=="
#define FS_SIG "MEQCIFubqma+ZXRHLFLCpVaq/ArVjxOaZycNub50taXfO7hLAiBWV1uLxoRElu+p/OGaqycxIlnRwzPj" \
	"TxAWMriTBjMfOQ=="

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fs_kinds[] = { "delivered", "bounced", "deferred", "dropped", "failed",
	"opened", "clicked", "unsubscribed", "complained" };

static void
fs_check(json_t *e)
{
	const char *id = json_string_value(json_object_get(e, "id"));
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *tok = json_string_value(json_object_get(e, "token"));
	size_t i;

	if (id == NULL || id[0] == '\0' || strlen(id) > 256 || kind == NULL ||
	    json_integer_value(json_object_get(e, "at")) < 0)
		__builtin_trap();
	for (i = 0; i < BOS_ARRAY_LEN(fs_kinds); i++)
		if (strcmp(kind, fs_kinds[i]) == 0)
			break;
	if (i == BOS_ARRAY_LEN(fs_kinds) || (tok != NULL && !hooks_token_ok(tok, strlen(tok))))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void *key;
	struct bos_err err;
	json_t *ev = NULL, *e;
	size_t i;

	if (key == NULL && hooks_sendgrid_key(FS_PUB, &key, &err) != 0)
		__builtin_trap();
	/* The vendor's signature over its own payload only: anything else is refused. */
	if (hooks_sendgrid_verify(key, FS_SIG, "1700000000", data, size, 1700000000, &err) ==
	    HOOKS_OK && size != 158)
		__builtin_trap();
	if (hooks_sendgrid_events(data, size, &ev, &err) == HOOKS_OK) {
		json_array_foreach(ev, i, e)
			fs_check(e);
		json_decref(ev);
	} else if (ev != NULL) {
		__builtin_trap();
	}
	return 0;
}
