/*
 * Unit tests: cli/tool_schema.c, tool_args_check, the JSON Schema subset of
 * the tools' inputSchemas. Each refusal names the argument at fault.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "tool.h"
#include "tool_schema.h"

static const char schema_text[] =
	"{\"type\":\"object\",\"description\":\"test\",\"properties\":{"
	"\"id\":{\"type\":\"string\",\"minLength\":3,\"maxLength\":8,\"description\":\"an id\"},"
	"\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100},"
	"\"from\":{\"type\":\"integer\",\"minimum\":-5},"
	"\"upto\":{\"type\":\"integer\",\"maximum\":7.5},"
	"\"state\":{\"type\":\"string\",\"enum\":[\"open\",\"acked\",\"resolved\"]},"
	"\"all\":{\"type\":\"boolean\"},"
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":4},\"maxItems\":3,"
	"\"minItems\":1},"
	"\"filter\":{\"type\":\"object\",\"properties\":{\"service\":{\"type\":\"string\"}},"
	"\"required\":[\"service\"],\"additionalProperties\":false}"
	"},\"required\":[\"id\"],\"additionalProperties\":false}";

static json_t *schema;

static int
setup(void **state)
{
	(void)state;
	schema = json_loads(schema_text, 0, NULL);
	return schema == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	json_decref(schema);
	return 0;
}

/* Check args (JSON text) against s; 0 or -1 with err. */
static int
check_with(const json_t *s, const char *args, struct bos_err *err)
{
	json_t *a = json_loads(args, JSON_DECODE_ANY, NULL);
	int r;

	if (a == NULL)
		fail_msg("test input is not JSON: %s", args);
	bos_err_clear(err);
	r = tool_args_check(s, a, err);
	json_decref(a);
	return r;
}

static void
expect_ok(const char *args)
{
	struct bos_err err;

	if (check_with(schema, args, &err) != 0)
		fail_msg("refused %s: %s", args, err.msg);
}

/* Refused, with a message that holds each of want (NULL-terminated). */
static void
expect_refused(const char *args, ...)
{
	struct bos_err err;
	const char *w;
	va_list ap;

	if (check_with(schema, args, &err) == 0)
		fail_msg("accepted %s", args);
	assert_int_equal(err.code, BOS_E_INVALID);
	va_start(ap, args);
	while ((w = va_arg(ap, const char *)) != NULL)
		if (strstr(err.msg, w) == NULL)
			fail_msg("for %s: '%s' lacks '%s'", args, err.msg, w);
	va_end(ap);
}

static void
test_valid(void **state)
{
	(void)state;
	expect_ok("{\"id\":\"abc\"}");
	expect_ok("{\"id\":\"abcdefgh\",\"limit\":1,\"from\":-5,\"upto\":7,\"state\":\"resolved\","
	    "\"all\":false,\"tags\":[\"a\",\"bcde\"],\"filter\":{\"service\":\"x\"}}");
	expect_ok("{\"id\":\"abc\",\"limit\":100,\"all\":true,\"tags\":[\"\",\"\",\"\"]}");
	/* Lengths count characters, not bytes: 8 two-byte characters fit in maxLength 8. */
	expect_ok("{\"id\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}");
	expect_ok("{\"id\":\"\\ud83d\\ude00ab\"}");
}

static void
test_required_and_extra(void **state)
{
	(void)state;
	expect_refused("{}", "argument 'id'", "required", NULL);
	expect_refused("{\"limit\":3}", "'id'", "required", NULL);
	expect_refused("{\"id\":\"abc\",\"secret\":1}", "argument 'secret'", "not known", "id, limit",
	    NULL);
	expect_refused("{\"id\":\"abc\",\"filter\":{}}", "argument 'filter.service'", "required", NULL);
	expect_refused("{\"id\":\"abc\",\"filter\":{\"service\":\"a\",\"x\":1}}", "'filter.x'",
	    "not known", NULL);
	/* The arguments themselves must be an object. */
	expect_refused("[]", "the arguments", "must be an object", NULL);
	expect_refused("\"abc\"", "the arguments", "must be an object", NULL);
	expect_refused("null", "the arguments", "must be an object", NULL);
}

static void
test_wrong_types(void **state)
{
	(void)state;
	expect_refused("{\"id\":3}", "argument 'id'", "must be a string", NULL);
	expect_refused("{\"id\":null}", "argument 'id'", "must be a string", NULL);
	expect_refused("{\"id\":\"abc\",\"limit\":\"3\"}", "'limit'", "must be an integer", NULL);
	expect_refused("{\"id\":\"abc\",\"limit\":3.0}", "'limit'", "must be an integer", NULL);
	expect_refused("{\"id\":\"abc\",\"all\":1}", "'all'", "true or false", NULL);
	expect_refused("{\"id\":\"abc\",\"tags\":\"a\"}", "'tags'", "must be an array", NULL);
	expect_refused("{\"id\":\"abc\",\"tags\":[\"a\",2]}", "'tags[1]'", "must be a string", NULL);
	expect_refused("{\"id\":\"abc\",\"filter\":[]}", "'filter'", "must be an object", NULL);
	expect_refused("{\"id\":\"abc\",\"filter\":{\"service\":false}}", "'filter.service'",
	    "must be a string", NULL);
}

static void
test_enum_lengths_ranges(void **state)
{
	(void)state;
	expect_refused("{\"id\":\"abc\",\"state\":\"closed\"}", "'state'", "must be one of",
	    "\"open\"", "\"resolved\"", NULL);
	expect_refused("{\"id\":\"abc\",\"state\":\"OPEN\"}", "'state'", NULL);
	expect_refused("{\"id\":\"ab\"}", "'id'", "too short", "at least 3", NULL);
	expect_refused("{\"id\":\"\"}", "'id'", "too short", NULL);
	expect_refused("{\"id\":\"abcdefghi\"}", "'id'", "too long", "at most 8", NULL);
	expect_refused("{\"id\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
	    "'id'", "too long", NULL);
	expect_refused("{\"id\":\"abc\",\"limit\":0}", "'limit'", "out of range", "1 to 100", NULL);
	expect_refused("{\"id\":\"abc\",\"limit\":101}", "'limit'", "out of range", NULL);
	expect_refused("{\"id\":\"abc\",\"limit\":-9223372036854775807}", "'limit'", NULL);
	expect_refused("{\"id\":\"abc\",\"from\":-6}", "'from'", "too small", "at least -5", NULL);
	expect_refused("{\"id\":\"abc\",\"upto\":8}", "'upto'", "too large", "7.5", NULL);
}

static void
test_arrays(void **state)
{
	(void)state;
	expect_refused("{\"id\":\"abc\",\"tags\":[]}", "'tags'", "too few", NULL);
	expect_refused("{\"id\":\"abc\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "'tags'", "too many",
	    "at most 3", NULL);
	expect_refused("{\"id\":\"abc\",\"tags\":[\"a\",\"bcdef\"]}", "'tags[1]'", "too long", NULL);
}

/* A schema outside the subset is refused as a whole, never half checked. */
static void
test_schema_outside_subset(void **state)
{
	static const char *const bad[] = {
		"{\"type\":\"array\"}",
		"{\"properties\":{}}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\",\"pattern\":\"^a\"}}}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"number\"}}}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"enum\":[1]}}}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":[\"string\",\"null\"]}}}",
		"{\"type\":\"object\",\"oneOf\":[]}",
	};
	struct bos_err err;
	json_t *s;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		s = json_loads(bad[i], 0, NULL);
		assert_non_null(s);
		if (check_with(s, "{\"p\":\"a\"}", &err) == 0)
			fail_msg("schema accepted: %s", bad[i]);
		assert_int_equal(err.code, BOS_E_CONFIG);
		json_decref(s);
	}
	/* additionalProperties true lets extras through; absent does not. */
	s = json_loads("{\"type\":\"object\",\"additionalProperties\":true}", 0, NULL);
	assert_int_equal(check_with(s, "{\"p\":1}", &err), 0);
	json_decref(s);
	s = json_loads("{\"type\":\"object\"}", 0, NULL);
	assert_int_equal(check_with(s, "{}", &err), 0);
	assert_int_equal(check_with(s, "{\"p\":1}", &err), -1);
	assert_non_null(strstr(err.msg, "'p'"));
	assert_non_null(strstr(err.msg, "known: none"));
	json_decref(s);
}

/* A long property name is cut, never overflows, and the message stays a message. */
static void
test_long_names(void **state)
{
	char args[2048];
	struct bos_err err;

	(void)state;
	memset(args, 0, sizeof(args));
	snprintf(args, sizeof(args), "{\"id\":\"abc\",\"%0900d\":1}", 7);
	assert_int_equal(check_with(schema, args, &err), -1);
	assert_non_null(strstr(err.msg, "argument '000"));
	assert_true(strlen(err.msg) < sizeof(err.msg));
}

/* The whole schema is judged, also the parts these arguments do not reach. */
static void
test_schema_valid(void **state)
{
	static const char *const bad[] = {
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\",\"pattern\":\"x\"}}}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"array\",\"items\":"
		"{\"type\":\"string\",\"format\":\"x\",\"const\":\"a\"}}}}",
		"{\"type\":\"object\",\"properties\":{},\"required\":[\"p\"]}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\"}},\"required\":\"p\"}",
		"{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}",
		"{\"type\":\"object\",\"properties\":[]}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\",\"maxLength\":-1}}}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\",\"maxLength\":\"3\"}}}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"integer\",\"minimum\":\"1\"}}}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\",\"enum\":[]}}}",
		"{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"null\"}}}",
		"{\"type\":\"object\",\"properties\":{\"p\":3}}",
		"{\"type\":\"string\"}",
		"[]",
	};
	char deep[2048];
	struct bos_err err;
	json_t *s;
	size_t i;
	int k, used;

	(void)state;
	assert_int_equal(tool_schema_valid(schema, &err), 0);
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		s = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_non_null(s);
		if (tool_schema_valid(s, &err) == 0)
			fail_msg("schema accepted: %s", bad[i]);
		assert_int_equal(err.code, BOS_E_CONFIG);
		/* tool_args_check refuses it before looking at the (valid) arguments. */
		assert_int_equal(check_with(s, "{}", &err), -1);
		assert_int_equal(err.code, BOS_E_CONFIG);
		json_decref(s);
	}
	/* Nesting: TOOL_SCHEMA_DEPTH_MAX levels pass, one more does not. */
	for (k = TOOL_SCHEMA_DEPTH_MAX; k <= TOOL_SCHEMA_DEPTH_MAX + 1; k++) {
		used = snprintf(deep, sizeof(deep), "{\"type\":\"object\"");
		for (i = 0; i < (size_t)k; i++)
			used += snprintf(deep + used, sizeof(deep) - (size_t)used,
			    ",\"properties\":{\"a\":{\"type\":\"object\"");
		for (i = 0; i < (size_t)k; i++)
			used += snprintf(deep + used, sizeof(deep) - (size_t)used, "}}");
		snprintf(deep + used, sizeof(deep) - (size_t)used, "}");
		s = json_loads(deep, 0, NULL);
		assert_non_null(s);
		assert_int_equal(tool_schema_valid(s, &err), k <= TOOL_SCHEMA_DEPTH_MAX ? 0 : -1);
		json_decref(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_required_and_extra),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_enum_lengths_ranges),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_schema_outside_subset),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_schema_valid),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
