/*
 * Unit tests: cli/mcp_server.c with a fake tool table and a fake session (no
 * vault): the methods and their errors, the session opened for each call and
 * only then, the token-shape guard on tools/call answers, and the stdio loop
 * (over-long lines, "\r\n", input ending mid-line, a failing output).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "mcp_rpc.h"
#include "mcp_server.h"

/* A token shape no vault issued (the guard looks at shapes, not checksums). */
#define FAKE_TOKEN "bos_h_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijkl"

static int signed_in, opens, closes;

static int
fake_open(struct http_client **hc, struct bos_err *err)
{
	opens++;
	if (!signed_in)
		return bos_err_set(err, BOS_E_AUTH, "not signed in or the session expired: run "
		    "'bosctl login NAME'");
	*hc = (struct http_client *)(uintptr_t)0x1;
	return 0;
}

static void
fake_close(struct http_client *hc)
{
	if (hc != NULL)
		closes++;
}

static int
run_ok(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	(void)hc;
	(void)err;
	*out = json_pack("{s:s, s:O}", "status", "ok", "args", (json_t *)(uintptr_t)args);
	return 0;
}

static int
run_leak(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	(void)hc;
	(void)args;
	(void)err;
	*out = json_pack("{s:s}", "note", "here: " FAKE_TOKEN);
	return 0;
}

static int
run_leak_err(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	(void)hc;
	(void)args;
	*out = NULL;
	return bos_err_set(err, BOS_E_INVALID, "the vault said %s", FAKE_TOKEN);
}

static int
run_expired(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	(void)hc;
	(void)args;
	*out = NULL;
	return bos_err_set(err, BOS_E_AUTH, "listing: not signed in or the session expired: run "
	    "'bosctl login NAME'");
}

static int
run_array(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	(void)hc;
	(void)args;
	(void)err;
	*out = json_array();
	return 0;
}

#define EMPTY_SCHEMA "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"
#define OUT_SCHEMA "{\"type\":\"object\"}"

static const struct bos_tool fake_tools[] = {
	{ "echo", "Echo", "echoes", "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\","
	  "\"maximum\":5}},\"required\":[\"n\"],\"additionalProperties\":false}", OUT_SCHEMA,
	  TOOL_READ_ONLY, run_ok, NULL },
	{ "leak", "Leak", "leaks", EMPTY_SCHEMA, OUT_SCHEMA, TOOL_READ_ONLY, run_leak, NULL },
	{ "leak_err", "Leak err", "leaks in its error", EMPTY_SCHEMA, NULL, TOOL_DESTRUCTIVE,
	  run_leak_err, NULL },
	{ "expired", "Expired", "401", EMPTY_SCHEMA, OUT_SCHEMA, 0, run_expired, NULL },
	{ "array", "Array", "not an object", EMPTY_SCHEMA, OUT_SCHEMA, 0, run_array, NULL },
};

static const struct bos_tool *
fake_table(size_t *n)
{
	*n = BOS_ARRAY_LEN(fake_tools);
	return fake_tools;
}

static const struct bos_tool *
fake_find(const char *name)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(fake_tools); i++)
		if (strcmp(fake_tools[i].name, name) == 0)
			return &fake_tools[i];
	return NULL;
}

static const struct mcp_env fake_env = {
	fake_table, fake_find, fake_open, fake_close, "9.9.9",
};

static struct mcp_server srv;

static int
setup(void **state)
{
	(void)state;
	mcp_server_init(&srv, &fake_env);
	signed_in = 1;
	opens = closes = 0;
	return 0;
}

/* The answer to line, parsed (NULL when none); its text in *text when text is not NULL. */
static json_t *
ask(const char *line, char **text)
{
	char *out;
	size_t len;
	json_t *j;

	assert_int_equal(mcp_server_handle(&srv, line, strlen(line), &out, &len), 0);
	if (out == NULL)
		return NULL;
	assert_int_equal(out[len - 1], '\n');
	assert_null(memchr(out, '\n', len - 1));
	j = json_loadb(out, len - 1, 0, NULL);
	assert_non_null(j);
	if (text != NULL)
		*text = strdup(out);
	mcp_rpc_line_free(out, len);
	return j;
}

static long long
err_code(const json_t *a)
{
	return json_integer_value(json_object_get(json_object_get(a, "error"), "code"));
}

static void
init(const char *version)
{
	char line[256];
	json_t *a;

	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	    "\"params\":{\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":"
	    "{\"name\":\"t\",\"version\":\"1\"}}}", version);
	a = ask(line, NULL);
	assert_non_null(a);
	json_decref(a);
}

static void
test_initialize_versions(void **state)
{
	static const char *const cases[][2] = {
		{ "2025-11-25", "2025-11-25" }, { "2025-06-18", "2025-06-18" },
		{ "2024-11-05", "2025-11-25" }, { "1999-01-01", "2025-11-25" },
	};
	char line[256];
	json_t *a, *r;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(cases); i++) {
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":\"i\",\"method\":"
		    "\"initialize\",\"params\":{\"protocolVersion\":\"%s\",\"capabilities\":{}}}",
		    cases[i][0]);
		a = ask(line, NULL);
		r = json_object_get(a, "result");
		assert_string_equal(json_string_value(json_object_get(r, "protocolVersion")), cases[i][1]);
		assert_string_equal(json_string_value(json_object_get(a, "id")), "i");
		assert_string_equal(json_string_value(json_object_get(json_object_get(r, "serverInfo"),
		    "name")), "bos");
		assert_string_equal(json_string_value(json_object_get(json_object_get(r, "serverInfo"),
		    "version")), "9.9.9");
		assert_true(json_is_false(json_object_get(json_object_get(json_object_get(r,
		    "capabilities"), "tools"), "listChanged")));
		assert_non_null(strstr(json_string_value(json_object_get(r, "instructions")),
		    "bosctl login NAME"));
		json_decref(a);
	}
	/* No protocolVersion: -32602. */
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{}}", NULL);
	assert_int_equal(err_code(a), MCP_E_INVALID_PARAMS);
	json_decref(a);
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\"}", NULL);
	assert_int_equal(err_code(a), MCP_E_INVALID_PARAMS);
	json_decref(a);
	assert_int_equal(opens, 0);
}

static void
test_before_initialize(void **state)
{
	json_t *a;

	(void)state;
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}", NULL);
	assert_int_equal(err_code(a), MCP_E_INVALID_REQUEST);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"),
	    "message")), "send initialize first");
	assert_int_equal(json_integer_value(json_object_get(a, "id")), 5);
	json_decref(a);
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":"
	    "\"echo\",\"arguments\":{\"n\":1}}}", NULL);
	assert_int_equal(err_code(a), MCP_E_INVALID_REQUEST);
	json_decref(a);
	/* ping is answered before initialize. */
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}", NULL);
	assert_true(json_is_object(json_object_get(a, "result")));
	assert_int_equal(json_object_size(json_object_get(a, "result")), 0);
	json_decref(a);
	assert_int_equal(opens, 0);
}

static void
test_silent_messages(void **state)
{
	(void)state;
	assert_null(ask("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", NULL));
	assert_null(ask("{\"jsonrpc\":\"2.0\",\"method\":\"tools/list\"}", NULL));
	assert_null(ask("{\"jsonrpc\":\"2.0\",\"method\":\"no/such\"}", NULL));
	assert_null(ask("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}", NULL));
	assert_null(ask("{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":1,\"message\":\"x\"}}", NULL));
	assert_null(ask("", NULL));
	assert_null(ask("\r", NULL));
	assert_int_equal(opens, 0);
}

static void
test_methods_and_errors(void **state)
{
	json_t *a, *tools, *t;

	(void)state;
	init("2025-11-25");
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"resources/list\"}", NULL);
	assert_int_equal(err_code(a), MCP_E_METHOD_NOT_FOUND);
	json_decref(a);
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/list\"}\r", NULL);
	tools = json_object_get(json_object_get(a, "result"), "tools");
	assert_int_equal(json_array_size(tools), BOS_ARRAY_LEN(fake_tools));
	t = json_array_get(tools, 0);
	assert_string_equal(json_string_value(json_object_get(t, "name")), "echo");
	assert_string_equal(json_string_value(json_object_get(t, "title")), "Echo");
	assert_true(json_is_object(json_object_get(t, "inputSchema")));
	assert_true(json_is_object(json_object_get(t, "outputSchema")));
	assert_true(json_is_true(json_object_get(json_object_get(t, "annotations"), "readOnlyHint")));
	t = json_array_get(tools, 2);
	assert_null(json_object_get(t, "outputSchema"));
	assert_true(json_is_true(json_object_get(json_object_get(t, "annotations"),
	    "destructiveHint")));
	json_decref(a);
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/list\",\"params\":[]}", NULL);
	assert_int_equal(err_code(a), MCP_E_INVALID_PARAMS);
	json_decref(a);
	/* tools/call: unknown tool, arguments not an object, no name. */
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"tools/call\",\"params\":{\"name\":"
	    "\"nope\",\"arguments\":{}}}", NULL);
	assert_int_equal(err_code(a), MCP_E_INVALID_PARAMS);
	json_decref(a);
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"tools/call\",\"params\":{\"name\":"
	    "\"echo\",\"arguments\":[1]}}", NULL);
	assert_int_equal(err_code(a), MCP_E_INVALID_PARAMS);
	json_decref(a);
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":\"tools/call\",\"params\":{}}", NULL);
	assert_int_equal(err_code(a), MCP_E_INVALID_PARAMS);
	json_decref(a);
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":\"tools/call\"}", NULL);
	assert_int_equal(err_code(a), MCP_E_INVALID_PARAMS);
	json_decref(a);
	assert_int_equal(opens, 0);
}

/* The tool result of a tools/call: result.{content, structuredContent, isError}. */
static json_t *
call(const char *name, const char *args)
{
	char line[512];
	json_t *a, *r;

	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"%s\"%s%s}}", name, args ? ",\"arguments\":" : "", args ? args : "");
	a = ask(line, NULL);
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "id")), "c");
	r = json_incref(json_object_get(a, "result"));
	assert_non_null(r);
	json_decref(a);
	return r;
}

static const char *
result_text(const json_t *r)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(r, "content"), 0),
	    "text"));
}

static void
test_call(void **state)
{
	json_t *r;

	(void)state;
	init("2025-06-18");
	r = call("echo", "{\"n\":3}");
	assert_true(json_is_false(json_object_get(r, "isError")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r,
	    "structuredContent"), "status")), "ok");
	assert_non_null(strstr(result_text(r), "\"status\":\"ok\""));
	json_decref(r);
	assert_int_equal(opens, 1);
	assert_int_equal(closes, 1);
	/* Each call opens the session again. */
	json_decref(call("echo", "{\"n\":5}"));
	assert_int_equal(opens, 2);
	/* Bad arguments: a tool result naming the field; the session is not opened. */
	r = call("echo", "{\"n\":6}");
	assert_true(json_is_true(json_object_get(r, "isError")));
	assert_null(json_object_get(r, "structuredContent"));
	assert_non_null(strstr(result_text(r), "argument 'n'"));
	json_decref(r);
	r = call("echo", NULL);
	assert_non_null(strstr(result_text(r), "argument 'n' is required"));
	json_decref(r);
	r = call("echo", "{\"n\":1,\"m\":2}");
	assert_non_null(strstr(result_text(r), "argument 'm' is not known"));
	json_decref(r);
	assert_int_equal(opens, 2);
	/* A tool answering no object is an internal error, not a crash. */
	r = call("array", "{}");
	assert_true(json_is_true(json_object_get(r, "isError")));
	assert_non_null(strstr(result_text(r), "internal error"));
	json_decref(r);
}

static void
test_session(void **state)
{
	json_t *r;

	(void)state;
	init("2025-11-25");
	signed_in = 0;
	r = call("echo", "{\"n\":1}");
	assert_true(json_is_true(json_object_get(r, "isError")));
	assert_string_equal(result_text(r), MCP_LOGIN_MSG);
	json_decref(r);
	assert_int_equal(closes, 0);
	/* A login in a terminal is picked up at the next call. */
	signed_in = 1;
	r = call("echo", "{\"n\":1}");
	assert_true(json_is_false(json_object_get(r, "isError")));
	json_decref(r);
	/* A 401 from the vault (the tool's error) reads the same. */
	r = call("expired", "{}");
	assert_true(json_is_true(json_object_get(r, "isError")));
	assert_string_equal(result_text(r), MCP_LOGIN_MSG);
	json_decref(r);
	assert_int_equal(opens, closes + 1);
}

/* Standard error into a file between start and end (the log goes there). */
static FILE *log_file;
static int log_saved = -1;

static void
log_capture_start(void)
{
	log_file = tmpfile();
	assert_non_null(log_file);
	fflush(stderr);
	log_saved = dup(STDERR_FILENO);
	assert_true(log_saved >= 0);
	assert_true(dup2(fileno(log_file), STDERR_FILENO) >= 0);
}

/* What was logged, as a string to free(). */
static char *
log_capture_end(void)
{
	long n;
	char *t;

	fflush(stderr);
	assert_true(dup2(log_saved, STDERR_FILENO) >= 0);
	close(log_saved);
	n = lseek(fileno(log_file), 0, SEEK_END);
	assert_true(n >= 0);
	t = calloc(1, (size_t)n + 1);
	assert_non_null(t);
	assert_int_equal(pread(fileno(log_file), t, (size_t)n, 0), n);
	fclose(log_file);
	return t;
}

static void
test_token_guard(void **state)
{
	char *text = NULL;
	json_t *a, *r;

	(void)state;
	init("2025-11-25");
	log_capture_start();
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":40,\"method\":\"tools/call\",\"params\":{\"name\":"
	    "\"leak\",\"arguments\":{}}}", &text);
	assert_null(strstr(text, "bos_h_"));
	free(text);
	assert_int_equal(json_integer_value(json_object_get(a, "id")), 40);
	r = json_object_get(a, "result");
	assert_true(json_is_true(json_object_get(r, "isError")));
	assert_null(json_object_get(r, "structuredContent"));
	assert_string_equal(result_text(r), MCP_WITHHELD_MSG);
	json_decref(a);
	/* In an error message too. */
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"tools/call\",\"params\":{\"name\":"
	    "\"leak_err\"}}", &text);
	assert_null(strstr(text, "bos_h_"));
	free(text);
	assert_string_equal(result_text(json_object_get(a, "result")), MCP_WITHHELD_MSG);
	json_decref(a);
	/* The log says what happened, without the token. */
	text = log_capture_end();
	assert_non_null(strstr(text, "withheld"));
	assert_null(strstr(text, "bos_h_A"));
	free(text);
	/* Control: the same shape passes in an answer that is not a tools/call (ping's id). */
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":\"" FAKE_TOKEN "\",\"method\":\"ping\"}", &text);
	assert_non_null(strstr(text, FAKE_TOKEN));
	free(text);
	json_decref(a);
	/* A tools/call whose id is token-shaped: withheld as well (the id is still answered). */
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":\"" FAKE_TOKEN "\",\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\",\"arguments\":{\"n\":1}}}", NULL);
	assert_string_equal(result_text(json_object_get(a, "result")), MCP_WITHHELD_MSG);
	json_decref(a);
}

static const struct bos_tool bad_tools[] = {
	{ "fine", "Fine", "fine", EMPTY_SCHEMA, OUT_SCHEMA, 0, run_ok, NULL },
	{ "nullable", "Nullable", "a schema outside the subset",
	  "{\"type\":\"object\",\"properties\":{\"p\":{\"type\":[\"string\",\"null\"]}}}",
	  OUT_SCHEMA, 0, run_ok, NULL },
};

static const struct bos_tool *
bad_table(size_t *n)
{
	*n = BOS_ARRAY_LEN(bad_tools);
	return bad_tools;
}

static const struct bos_tool *
bad_find(const char *name)
{
	return strcmp(name, "nullable") == 0 ? &bad_tools[1] : NULL;
}

/* A table with a schema the server cannot enforce: tools/list -32603; the call an internal error. */
static void
test_broken_table(void **state)
{
	static const struct mcp_env env = { bad_table, bad_find, fake_open, fake_close, "1" };
	json_t *a;

	(void)state;
	mcp_server_init(&srv, &env);
	init("2025-11-25");
	a = ask("{\"jsonrpc\":\"2.0\",\"id\":50,\"method\":\"tools/list\"}", NULL);
	assert_int_equal(err_code(a), MCP_E_INTERNAL);
	json_decref(a);
	a = call("nullable", "{}");
	assert_true(json_is_true(json_object_get(a, "isError")));
	assert_non_null(strstr(result_text(a), "internal error"));
	json_decref(a);
	assert_int_equal(opens, 0);
}

/* Run the loop over input (n bytes) from a file; *out gets what it wrote. */
static int
run_loop(const char *input, size_t n, char **out, size_t *out_len)
{
	FILE *in = tmpfile(), *o = tmpfile();
	long sz;
	int rc;

	assert_non_null(in);
	assert_non_null(o);
	assert_int_equal(fwrite(input, 1, n, in), n);
	assert_int_equal(fflush(in), 0);
	assert_int_equal(lseek(fileno(in), 0, SEEK_SET), 0);
	rc = mcp_server_run(&srv, fileno(in), fileno(o));
	sz = lseek(fileno(o), 0, SEEK_END);
	assert_true(sz >= 0);
	*out = malloc((size_t)sz + 1);
	assert_non_null(*out);
	assert_int_equal(pread(fileno(o), *out, (size_t)sz, 0), sz);
	(*out)[sz] = '\0';
	*out_len = (size_t)sz;
	fclose(in);
	fclose(o);
	return rc;
}

/* Each line of out parses; returns how many lines there were. */
static size_t
lines_ok(const char *out, size_t len)
{
	const char *p = out, *nl;
	size_t n = 0;
	json_t *j;

	assert_true(len == 0 || out[len - 1] == '\n');
	while ((nl = memchr(p, '\n', len - (size_t)(p - out))) != NULL) {
		j = json_loadb(p, (size_t)(nl - p), 0, NULL);
		assert_non_null(j);
		json_decref(j);
		p = nl + 1;
		n++;
	}
	return n;
}

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
test_loop_long_lines(void **state)
{
	static const char init_line[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	    "\"params\":{\"protocolVersion\":\"2025-11-25\"}}\r\n";
	static const char ping[] = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n";
	size_t big = 2 * 1024 * 1024, n, len;
	char *in, *out, *p;

	(void)state;
	/* init, a 2 MiB line, ping, a line of exactly the limit (a string), ping. */
	in = malloc(big + 2 * MCP_LINE_MAX + 4096);
	assert_non_null(in);
	p = in;
	memcpy(p, init_line, sizeof(init_line) - 1);
	p += sizeof(init_line) - 1;
	memset(p, 'x', big);
	p += big;
	*p++ = '\n';
	memcpy(p, ping, sizeof(ping) - 1);
	p += sizeof(ping) - 1;
	*p++ = '"';
	memset(p, 'y', MCP_LINE_MAX - 2);
	p += MCP_LINE_MAX - 2;
	*p++ = '"';
	*p++ = '\n';
	/* MCP_LINE_MAX + 1 bytes: one too many. */
	memset(p, ' ', MCP_LINE_MAX + 1);
	p += MCP_LINE_MAX + 1;
	*p++ = '\n';
	memcpy(p, ping, sizeof(ping) - 1);
	p += sizeof(ping) - 1;
	n = (size_t)(p - in);
	assert_int_equal(run_loop(in, n, &out, &len), 0);
	free(in);
	assert_int_equal(lines_ok(out, len), 6);
	/* In order: init, too large (id null), ping, -32600 (a string is no message), too large, ping. */
	p = strchr(out, '\n') + 1;
	assert_true(starts(p, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
	    "\"message\":\"message too large (limit 1048576 bytes)\"}}\n"));
	p = strchr(p, '\n') + 1;
	assert_true(starts(p, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n"));
	p = strchr(p, '\n') + 1;
	assert_non_null(strstr(p, "a message must be a JSON object"));
	p = strchr(p, '\n') + 1;
	assert_non_null(strstr(p, "message too large"));
	p = strchr(p, '\n') + 1;
	assert_true(strcmp(p, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n") == 0);
	free(out);
}

static void
test_loop_eof_mid_line(void **state)
{
	static const char in[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"meth";
	static const char in2[] = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}";
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(run_loop(in, sizeof(in) - 1, &out, &len), 0);
	assert_int_equal(lines_ok(out, len), 1);
	assert_string_equal(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n");
	free(out);
	/* A whole message without its newline is still an unfinished line. */
	assert_int_equal(run_loop(in2, sizeof(in2) - 1, &out, &len), 0);
	assert_int_equal(len, 0);
	free(out);
	/* And no input at all. */
	assert_int_equal(run_loop("", 0, &out, &len), 0);
	assert_int_equal(len, 0);
	free(out);
}

/* Many short lines in one read: all answered, in order. */
static void
test_loop_many_lines(void **state)
{
	char *in, *out, *p;
	size_t i, n = 5000, len;
	char want[64];

	(void)state;
	in = malloc(n * 64);
	assert_non_null(in);
	for (p = in, i = 0; i < n; i++)
		p += snprintf(p, 64, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"ping\"}\n", i);
	assert_int_equal(run_loop(in, (size_t)(p - in), &out, &len), 0);
	free(in);
	assert_int_equal(lines_ok(out, len), n);
	snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"result\":{}}\n", n - 1);
	assert_non_null(strstr(out, want));
	free(out);
}

/* A closed (here: read-only) output is exit status 1. */
static void
test_loop_write_error(void **state)
{
	static const char in[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n";
	FILE *f = tmpfile();
	int fds[2];

	(void)state;
	assert_non_null(f);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(fwrite(in, 1, sizeof(in) - 1, f), sizeof(in) - 1);
	assert_int_equal(fflush(f), 0);
	assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
	/* fds[0] is the read end of a pipe: writing to it fails (EBADF). */
	assert_int_equal(mcp_server_run(&srv, fileno(f), fds[0]), 1);
	close(fds[0]);
	close(fds[1]);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_initialize_versions, setup),
		cmocka_unit_test_setup(test_before_initialize, setup),
		cmocka_unit_test_setup(test_silent_messages, setup),
		cmocka_unit_test_setup(test_methods_and_errors, setup),
		cmocka_unit_test_setup(test_call, setup),
		cmocka_unit_test_setup(test_session, setup),
		cmocka_unit_test_setup(test_token_guard, setup),
		cmocka_unit_test_setup(test_broken_table, setup),
		cmocka_unit_test_setup(test_loop_long_lines, setup),
		cmocka_unit_test_setup(test_loop_eof_mid_line, setup),
		cmocka_unit_test_setup(test_loop_many_lines, setup),
		cmocka_unit_test_setup(test_loop_write_error, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
