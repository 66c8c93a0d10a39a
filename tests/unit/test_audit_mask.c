/*
 * Unit tests for vault/audit/audit_mask.c: tokens and card numbers in audit
 * fields, as given and percent-encoded any number of times up to the limit
 * (issue #12 item 9), and nothing else changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "audit/audit_mask.h"
#include "store/card.h"

#define TOK "bos_h_mZkpGRBhLHaptlERHC0y5c387M8rpcXNXDI9tu6PZjR0GIFHG"
#define BODY "mZkpGRBhLHaptlERHC0y5c387M8rpcXNXDI9tu6PZjR0GIFHG"

static void
assert_masked(const char *in, const char *want)
{
	char out[AUDIT_FIELD_MAX];

	audit_mask(in, out);
	if (strcmp(out, want) != 0)
		fail_msg("'%s' masked as '%s', want '%s'", in, out, want);
}

/* Every character of s as %XX (upper or lower hex), prefixed by pre, into out. */
static void
test_encode(const char *pre, const char *s, int lower, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "%s", pre);

	for (; *s != '\0' && o + 4 < cap; s++)
		o += (size_t)snprintf(out + o, cap - o, lower ? "%%%02x" : "%%%02X", (unsigned char)*s);
}

static void
test_tokens(void **state)
{
	(void)state;
	assert_masked("/credentials/" TOK, "/credentials/(token)");
	assert_masked("/credentials/" TOK "/versions", "/credentials/(token)/versions");
	assert_masked("not_found: no credential named '" TOK "'",
	    "not_found: no credential named '(token)'");
	assert_masked("Bearer " TOK ", and " TOK, "Bearer (token), and (token)");
	/* '.' and '-' do not end a token: "bos_s_..." in a message is masked whole. */
	assert_masked("send 'Authorization: Bearer bos_s_...'", "send 'Authorization: Bearer (token)'");
	/* Encoded once, in part or whole, either hex case. */
	assert_masked("/credentials/%62os_h_" BODY, "/credentials/(token)");
	assert_masked("/credentials/b%6Fs_h_" BODY, "/credentials/(token)");
	assert_masked("/credentials/b%6fs_h_" BODY, "/credentials/(token)");
	assert_masked("/credentials/bos%5Fh_" BODY "/versions", "/credentials/(token)/versions");
	assert_masked("/x/bos_h_mZkp%47%52%42hLHaptlERHC0y5c387M8rpcXNXDI9tu6PZjR0GIFHG",
	    "/x/(token)");
	/* Twice, three and eight times over. */
	assert_masked("/credentials/%2562os_h_" BODY, "/credentials/(token)");
	assert_masked("/credentials/%252562os_h_" BODY, "/credentials/(token)");
	assert_masked("/c/%2525252525252562os_h_" BODY, "/c/(token)");
	assert_masked("/x/bos_h_mZkp%2547RBhLHaptlERHC0y5c387M8rpcXNXDI9tu6PZjR0GIFHG", "/x/(token)");
	/* Any case of the prefix, and a token cut by a stray character is hidden whole. */
	assert_masked("/x/BOS_H_" BODY, "/x/(token)");
	assert_masked("/x/bos_h_mZkp.GRBh-LHap%00tlERHC0y5c%0A387M8rpcXNXDI9tu6PZjR0GIFHG", "/x/(token)");
	assert_masked("/x/bos_h_mZkp%2FGRBhLHaptlERHC0y5c387M8rpcXNXDI9tu6PZjR0GIFHG", "/x/(token)");
	/* What ends a token in a path or a message. */
	assert_masked("bos_h_ab?x=1", "(token)?x=1");
	assert_masked("bos_h_ab#x;y,z:w", "(token)#x;y,z:w");
	assert_masked("(bos_h_ab) [bos_x]", "((token)) [(token)]");
	assert_masked("bos_", "(token)");
}

static void
test_tokens_every_character(void **state)
{
	char in[1024], twice[1024], *inner = in + strlen("/credentials/");

	(void)state;
	test_encode("/credentials/", TOK, 0, in, sizeof(in));
	assert_masked(in, "/credentials/(token)");
	test_encode("/credentials/", TOK, 1, in, sizeof(in));
	assert_masked(in, "/credentials/(token)");
	/* Every character encoded twice over. */
	test_encode("/credentials/", inner, 0, twice, sizeof(twice));
	assert_masked(twice, "/credentials/(token)");
}

static void
test_cards(void **state)
{
	(void)state;
	assert_masked("/credentials/4111111111111111", "/credentials/(card number)");
	assert_masked("/credentials/%34111111111111111/versions",
	    "/credentials/(card number)/versions");
	assert_masked("/credentials/4111%201111%201111%201111", "/credentials/(card number)");
	assert_masked("/credentials/4111%2E1111%2E1111%2E1111", "/credentials/(card number)");
	assert_masked("/credentials/%EF%BC%94111111111111111", "/credentials/(card number)");
	assert_masked("/credentials/%2534111111111111111", "/credentials/(card number)");
	assert_masked("/credentials/3782.822463.10005", "/credentials/(card number)");
	assert_masked("no credential named '4111 1111 1111 1111'",
	    "no credential named '(card number)'");
	/* A card number and a token in one field. */
	assert_masked("/a/4111111111111111/" TOK, "/a/(card number)/(token)");
}

static void
test_kept(void **state)
{
	static const char *const kept[] = {
		"/credentials/cr_aaaaaaaaaaaaaaaaaaaaaaaaaa", "/credentials/my%20name%2Dv2",
		"/credentials/invoice%202024-01-15%2010%3A30%3A02", "/helpers/hl_abc/x",
		"not_found: no such credential: give an id (cr_...) or a name", "bos", "bo s_",
		"%", "%%", "%zz", "%4", "100%25 sure", "session acc_3f9a, full", "local:uid=1000",
		"/credentials/4111111111111112", "unused for 2592000 s", "",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_masked(kept[i], kept[i]);
	/* Bad bytes become '?', as audit_field_clean does. */
	assert_masked("a\x01" "b\xff", "a?b?");
}

static void
test_in_place_and_limits(void **state)
{
	char f[AUDIT_FIELD_MAX], in[AUDIT_MASK_IN_MAX + 600], deep[512];

	(void)state;
	/* in and out may be one buffer. */
	(void)snprintf(f, sizeof(f), "/credentials/%%2562os_h_%s", BODY);
	audit_mask(f, f);
	assert_string_equal(f, "/credentials/(token)");
	audit_mask(NULL, f);
	assert_string_equal(f, "");
	/* A card number past the 255 bytes kept is still masked as a whole, not cut. */
	memset(in, 'a', 250);
	(void)snprintf(in + 250, sizeof(in) - 250, "4111111111111111");
	audit_mask(in, f);
	assert_true(strlen(f) < AUDIT_FIELD_MAX);
	assert_null(strstr(f, "4111"));
	assert_false(card_text_has_pan(f));
	/* Longer than AUDIT_MASK_IN_MAX: the rest is dropped, what is kept is masked. */
	memset(in, 'x', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	memcpy(in + 10, TOK, strlen(TOK));
	audit_mask(in, f);
	assert_null(strstr(f, "mZkp"));
	/* Nine times over is past the limit: the whole field is replaced. */
	(void)snprintf(deep, sizeof(deep), "/c/%%252525252525252562os_h_%s", BODY);
	audit_mask(deep, f);
	assert_string_equal(f, AUDIT_MASK_TOO_DEEP);
	audit_mask("/c/%25252525252525252525", f);
	assert_string_equal(f, AUDIT_MASK_TOO_DEEP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_tokens_every_character),
		cmocka_unit_test(test_cards),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_in_place_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
