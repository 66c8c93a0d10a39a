/*
 * libFuzzer target: the HTTP core's parsers of untrusted request text
 * (vault/http/http_route.c): route matching on the raw path against the real
 * route table, and the Content-Length, Content-Type and Authorization
 * parsers. The first byte picks the method; the rest is the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "api/api.h"
#include "http/http_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_route(const char *s, size_t n, unsigned method)
{
	static struct http_match m;
	enum http_match_result r;
	char allow[HTTP_ALLOW_SIZE];
	size_t i;

	r = http_route_match(api_routes, api_routes_n, s, n, method, &m);
	if (r == HTTP_MATCH_OK) {
		/* A match is a route of the table with that method, and every value is clean. */
		if (m.route == NULL || (m.route->method & method) == 0 || m.nparams > HTTP_PARAMS_MAX)
			__builtin_trap();
		for (i = 0; i < m.nparams; i++)
			if (m.params[i].value[0] == '\0' || strchr(m.params[i].value, '/') != NULL)
				__builtin_trap();
	}
	if (r == HTTP_MATCH_NO_METHOD && (m.allow == 0 ||
	    http_allow_format(m.allow, allow, sizeof(allow)) != 0))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned methods[] = { 0, HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE };
	const char *s = (const char *)data + 1, *tok;
	size_t n, tok_len;
	uint64_t cl;

	if (size < 1 || size > 4096)
		return 0;
	n = size - 1;
	fuzz_route(s, n, methods[data[0] % 5]);
	(void)http_content_type_is_json(s, n);
	if (http_parse_bearer(s, n, &tok, &tok_len) == 0 &&
	    (tok < s || tok + tok_len > s + n || tok_len == 0 || tok_len > HTTP_BEARER_MAX))
		__builtin_trap();
	if (http_parse_content_length(s, n, &cl) == 0 && (n == 0 || n > 19))
		__builtin_trap();
	return 0;
}
