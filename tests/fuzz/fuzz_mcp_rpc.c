/*
 * libFuzzer target: the JSON-RPC line parser of bosctl mcp (cli/mcp_rpc.c),
 * then the answer built for it, as the server builds it. Properties: a
 * request or notification has a method, a request's id is a string or an
 * integer and comes back equal in its answer, an invalid message carries a
 * JSON-RPC code and a message, and every serialised answer is one line
 * ending in its only newline that parses back to the same value. The token
 * scan must agree with a naive scan.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mcp_rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One answer: a single line that reads back as msg. */
static void
fuzz_line(json_t *msg)
{
	json_t *back;
	size_t len;
	char *line;

	if (msg == NULL)
		return;
	if ((line = mcp_rpc_line(msg, &len)) == NULL)
		__builtin_trap();
	if (len < 2 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL)
		__builtin_trap();
	back = json_loadb(line, len - 1, JSON_DECODE_ANY, NULL);
	if (back == NULL || !json_equal(back, msg))
		__builtin_trap();
	json_decref(back);
	mcp_rpc_line_free(line, len);
	json_decref(msg);
}

static int
fuzz_b62(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The token scan, written the slow way. */
static int
fuzz_naive_token(const uint8_t *d, size_t n)
{
	size_t i, k;

	for (i = 0; i + 6 <= n; i++) {
		if (memcmp(d + i, "bos_", 4) != 0)  /* not secret: fuzz input */
			continue;
		if (strchr("shb", d[i + 4]) == NULL || d[i + 4] == 0 || d[i + 5] != '_')
			continue;
		for (k = 0; i + 6 + k < n && fuzz_b62(d[i + 6 + k]); k++)
			;
		if (k >= MCP_TOKEN_SHAPE_MIN)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct mcp_msg m;
	json_t *ans = NULL;

	switch (mcp_rpc_parse(s, size, &m)) {
	case MCP_MSG_REQUEST:
		if (m.method == NULL || !(json_is_string(m.id) || json_is_integer(m.id)))
			__builtin_trap();
		ans = mcp_rpc_result(m.id, json_pack("{s:s}", "method", m.method));
		if (ans != NULL && !json_equal(json_object_get(ans, "id"), m.id))
			__builtin_trap();
		fuzz_line(ans);
		fuzz_line(mcp_rpc_error(m.id, MCP_E_METHOD_NOT_FOUND, m.method));
		break;
	case MCP_MSG_NOTIFICATION:
		if (m.method == NULL || m.id != NULL)
			__builtin_trap();
		break;
	case MCP_MSG_RESPONSE:
		if (!json_is_object(m.root))
			__builtin_trap();
		break;
	case MCP_MSG_INVALID:
		if (m.error == NULL || (m.code != MCP_E_PARSE && m.code != MCP_E_INVALID_REQUEST) ||
		    (m.code == MCP_E_PARSE && (m.root != NULL || m.id != NULL)))
			__builtin_trap();
		fuzz_line(mcp_rpc_error(m.id, m.code, m.error));
		break;
	default:
		__builtin_trap();
	}
	mcp_msg_free(&m);
	if (mcp_rpc_has_token(s, size, NULL) != fuzz_naive_token(data, size))
		__builtin_trap();
	return 0;
}
