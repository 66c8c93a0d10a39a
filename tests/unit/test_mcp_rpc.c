/* Unit tests: cli/mcp_rpc.c, the JSON-RPC 2.0 messages of bosctl mcp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "mcp_rpc.h"

static enum mcp_msg_kind
parse(const char *s, struct mcp_msg *m)
{
	return mcp_rpc_parse(s, strlen(s), m);
}

static void
test_request_and_notification(void **state)
{
	struct mcp_msg m;

	(void)state;
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}", &m),
	    MCP_MSG_REQUEST);
	assert_string_equal(m.method, "ping");
	assert_int_equal(json_integer_value(m.id), 7);
	assert_null(m.params);
	mcp_msg_free(&m);
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":\"a-1\",\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"x\"}}", &m), MCP_MSG_REQUEST);
	assert_string_equal(json_string_value(m.id), "a-1");
	assert_true(json_is_object(m.params));
	mcp_msg_free(&m);
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &m),
	    MCP_MSG_NOTIFICATION);
	assert_null(m.id);
	mcp_msg_free(&m);
	/* Array params are JSON-RPC; the methods judge them (-32602). */
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"m\",\"params\":[]}", &m),
	    MCP_MSG_REQUEST);
	mcp_msg_free(&m);
}

static void
test_responses_from_the_client(void **state)
{
	struct mcp_msg m;

	(void)state;
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}", &m), MCP_MSG_RESPONSE);
	mcp_msg_free(&m);
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":1}}", &m),
	    MCP_MSG_RESPONSE);
	mcp_msg_free(&m);
	/* With a method it is a request, whatever else it carries. */
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"result\":1}", &m),
	    MCP_MSG_REQUEST);
	mcp_msg_free(&m);
}

static void
expect_invalid(const char *s, int code, int has_id)
{
	struct mcp_msg m;

	if (parse(s, &m) != MCP_MSG_INVALID)
		fail_msg("accepted: %s", s);
	assert_int_equal(m.code, code);
	assert_non_null(m.error);
	if (has_id)
		assert_non_null(m.id);
	else
		assert_null(m.id);
	mcp_msg_free(&m);
}

static void
test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "{", "{\"jsonrpc\":\"2.0\",", "nul", "{\"a\":1}}", "{\"a\":1} x",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}", /* duplicate key */
		"{\"id\":99999999999999999999999,\"jsonrpc\":\"2.0\",\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"a\x01\"}",
	};
	struct mcp_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++)
		expect_invalid(bad[i], MCP_E_PARSE, 0);
	/* A NUL byte inside the line. */
	assert_int_equal(mcp_rpc_parse("{\"jsonrpc\":\"2.0\"}\0{}", 20, &m), MCP_MSG_INVALID);
	assert_int_equal(m.code, MCP_E_PARSE);
	mcp_msg_free(&m);
}

static void
test_invalid_requests(void **state)
{
	(void)state;
	expect_invalid("[]", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("42", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("\"ping\"", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("null", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("{}", MCP_E_INVALID_REQUEST, 0);
	/* Not 2.0: the id is still answered. */
	expect_invalid("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", MCP_E_INVALID_REQUEST, 1);
	expect_invalid("{\"id\":1,\"method\":\"ping\"}", MCP_E_INVALID_REQUEST, 1);
	expect_invalid("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"ping\"}", MCP_E_INVALID_REQUEST, 1);
	/* ids: string or integer only. */
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", MCP_E_INVALID_REQUEST, 0);
	/* method a string; params structured. */
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":1}", MCP_E_INVALID_REQUEST, 1);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", MCP_E_INVALID_REQUEST, 1);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"method\":null}", MCP_E_INVALID_REQUEST, 0);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":\"x\"}",
	    MCP_E_INVALID_REQUEST, 1);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":null}",
	    MCP_E_INVALID_REQUEST, 1);
}

/* Serialise o and compare with want (without the newline). */
static void
expect_line(json_t *o, const char *want)
{
	size_t len;
	char *line;

	assert_non_null(o);
	line = mcp_rpc_line(o, &len);
	assert_non_null(line);
	assert_int_equal(len, strlen(want) + 1);
	assert_int_equal(line[len - 1], '\n');
	assert_memory_equal(line, want, len - 1);
	assert_null(memchr(line, '\n', len - 1));
	mcp_rpc_line_free(line, len);
	json_decref(o);
}

static void
test_builders(void **state)
{
	json_t *id = json_integer(4), *sid = json_string("x\ny");

	(void)state;
	expect_line(mcp_rpc_result(id, json_object()), "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}");
	expect_line(mcp_rpc_result(sid, json_pack("{s:s}", "t", "a\nb")),
	    "{\"jsonrpc\":\"2.0\",\"id\":\"x\\ny\",\"result\":{\"t\":\"a\\nb\"}}");
	expect_line(mcp_rpc_error(NULL, MCP_E_PARSE, "parse error"),
	    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse error\"}}");
	expect_line(mcp_rpc_error(id, MCP_E_METHOD_NOT_FOUND, "no"),
	    "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-32601,\"message\":\"no\"}}");
	/* A NULL result (out of memory upstream) gives NULL, not a half answer. */
	assert_null(mcp_rpc_result(id, NULL));
	json_decref(id);
	json_decref(sid);
}

/* An id round-trips from a parsed request into its answer. */
static void
test_id_round_trip(void **state)
{
	static const char *const reqs[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":-9007199254740993,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"\\u00e9\\\"\",\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"ping\"}",
	};
	struct mcp_msg m;
	json_t *ans;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(reqs); i++) {
		assert_int_equal(parse(reqs[i], &m), MCP_MSG_REQUEST);
		ans = mcp_rpc_result(m.id, json_object());
		assert_non_null(ans);
		assert_true(json_equal(json_object_get(ans, "id"), m.id));
		json_decref(ans);
		mcp_msg_free(&m);
	}
}

static void
test_token_shapes(void **state)
{
	static const char tok[] = "bos_s_0123456789ABCDEFGHIJabcdefghij0123456789abcXYZ12";
	char type = 0, buf[256];

	(void)state;
	assert_int_equal(mcp_rpc_has_token(tok, strlen(tok), &type), 1);
	assert_int_equal(type, 's');
	snprintf(buf, sizeof(buf), "{\"text\":\"the token is bos_h_%s\"}", "abcdefABCDEF0123");
	assert_int_equal(mcp_rpc_has_token(buf, strlen(buf), &type), 1);
	assert_int_equal(type, 'h');
	snprintf(buf, sizeof(buf), "xbos_b_%s", "abcdefABCDEF0123456789");
	assert_int_equal(mcp_rpc_has_token(buf, strlen(buf), &type), 1);
	assert_int_equal(type, 'b');
	/* Found at the very end, and after a false start. */
	snprintf(buf, sizeof(buf), "bos_bos_x_ bos_s_%s", "0000000000000000");
	assert_int_equal(mcp_rpc_has_token(buf, strlen(buf), NULL), 1);
	/* Not token shapes: mentions of the prefix, short runs, other letters. */
	static const char *const clean[] = {
		"", "bos_", "bos_s", "bos_s_", "use a helper token (bos_h_...)",
		"bos_s_0123456789ABCDE", "bos_x_0123456789ABCDEFGHIJ", "BOS_S_0123456789ABCDEFGHIJ",
		"bos_s-0123456789ABCDEFGHIJ", "bos_s_0123456789_ABCDEFGHIJ", "acc_abcdefghijklmnopqrst",
	};
	for (size_t i = 0; i < BOS_ARRAY_LEN(clean); i++)
		if (mcp_rpc_has_token(clean[i], strlen(clean[i]), NULL) != 0)
			fail_msg("flagged: %s", clean[i]);
	/* The length bounds the scan: a shape cut by n is not seen. */
	assert_int_equal(mcp_rpc_has_token(tok, 6 + MCP_TOKEN_SHAPE_MIN - 1, NULL), 0);
	assert_int_equal(mcp_rpc_has_token(tok, 6 + MCP_TOKEN_SHAPE_MIN, NULL), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_and_notification),
		cmocka_unit_test(test_responses_from_the_client),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_builders),
		cmocka_unit_test(test_id_round_trip),
		cmocka_unit_test(test_token_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
