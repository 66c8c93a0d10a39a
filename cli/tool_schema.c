/*
 * tool_args_check (tool.h): the JSON Schema subset the tools' inputSchemas
 * use, checked by bosctl mcp before a tool runs, so that a tool sees only
 * arguments of the shape it declared. Stricter than JSON Schema where
 * leniency would let an argument through unchecked: a keyword outside the
 * subset is an error of the schema (not ignored), and an object without
 * "additionalProperties": true takes no property its schema does not name.
 * Every message names the argument ("tags[2]", "filter.service"), never its
 * value, and says what it must be, so that the model can correct itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "json_alloc.h"
#include "tool.h"
#include "tool_schema.h"

#define TOOL_PATH_MAX 160

/* Keywords checked here, and those that only describe (ignored). */
static const char *const tool_schema_keywords[] = {
	"type", "properties", "required", "additionalProperties", "enum", "minLength",
	"maxLength", "minimum", "maximum", "items", "minItems", "maxItems",
	"description", "title", "default", "examples", "format", "$comment", "$schema",
};

static int tool_check_value(const json_t *schema, const json_t *v, const char *path,
    struct bos_err *err);

/* How the argument is named in a message: the top level is "the arguments". */
static int
tool_bad(struct bos_err *err, const char *path, const char *what)
{
	if (*path == '\0')
		return bos_err_set(err, BOS_E_INVALID, "the arguments %s", what);
	return bos_err_set(err, BOS_E_INVALID, "argument '%s' %s", path, what);
}

static int
tool_schema_known(const json_t *schema, const char *path, struct bos_err *err)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(schema))
		return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s' is not an object",
		    *path ? path : "arguments");
	json_object_foreach((json_t *)(uintptr_t)schema, k, v) {
		for (i = 0; i < BOS_ARRAY_LEN(tool_schema_keywords); i++)
			if (strcmp(k, tool_schema_keywords[i]) == 0)
				break;
		if (i == BOS_ARRAY_LEN(tool_schema_keywords))
			return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s' uses '%s', "
			    "which is not checked", *path ? path : "arguments", k);
	}
	return 0;
}

/* JSON Schema counts a string's length in characters (code points). */
static size_t
tool_utf8_len(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			k++;
	return k;
}

/* A bound of the schema (an integer or a real), compared with x: -1, 0, 1. */
static int
tool_cmp_bound(json_int_t x, const json_t *bound)
{
	double b;

	if (json_is_integer(bound))
		return x < json_integer_value(bound) ? -1 : x > json_integer_value(bound);
	b = json_real_value(bound);
	return (double)x < b ? -1 : (double)x > b;
}

/* A bound as the schema wrote it: 10, not 1e+01. */
static void
tool_bound_text(const json_t *bound, char *out, size_t n)
{
	if (json_is_integer(bound))
		snprintf(out, n, "%lld", (long long)json_integer_value(bound));
	else
		snprintf(out, n, "%g", json_number_value(bound));
}

static int
tool_check_string(const json_t *schema, const json_t *v, const char *path, struct bos_err *err)
{
	const json_t *mn = json_object_get(schema, "minLength"), *mx = json_object_get(schema, "maxLength");
	size_t n = tool_utf8_len(json_string_value(v), json_string_length(v));
	char what[96];

	if (mn != NULL && (json_int_t)n < json_integer_value(mn)) {
		snprintf(what, sizeof(what), "is too short (at least %lld characters)",
		    (long long)json_integer_value(mn));
		return tool_bad(err, path, what);
	}
	if (mx != NULL && (json_int_t)n > json_integer_value(mx)) {
		snprintf(what, sizeof(what), "is too long (at most %lld characters)",
		    (long long)json_integer_value(mx));
		return tool_bad(err, path, what);
	}
	return 0;
}

static int
tool_check_integer(const json_t *schema, const json_t *v, const char *path, struct bos_err *err)
{
	const json_t *mn = json_object_get(schema, "minimum"), *mx = json_object_get(schema, "maximum");
	json_int_t x = json_integer_value(v);
	char what[128], lo[40], hi[40];

	if ((mn == NULL || tool_cmp_bound(x, mn) >= 0) && (mx == NULL || tool_cmp_bound(x, mx) <= 0))
		return 0;
	tool_bound_text(mn, lo, sizeof(lo));
	tool_bound_text(mx, hi, sizeof(hi));
	if (mn != NULL && mx != NULL)
		snprintf(what, sizeof(what), "is out of range (%s to %s)", lo, hi);
	else if (mn != NULL)
		snprintf(what, sizeof(what), "is too small (at least %s)", lo);
	else
		snprintf(what, sizeof(what), "is too large (at most %s)", hi);
	return tool_bad(err, path, what);
}

static int
tool_check_array(const json_t *schema, const json_t *v, const char *path, struct bos_err *err)
{
	const json_t *mn = json_object_get(schema, "minItems"), *mx = json_object_get(schema, "maxItems");
	const json_t *items = json_object_get(schema, "items");
	char sub[TOOL_PATH_MAX], what[96];
	size_t i, n = json_array_size(v);

	if (mn != NULL && (json_int_t)n < json_integer_value(mn)) {
		snprintf(what, sizeof(what), "has too few items (at least %lld)",
		    (long long)json_integer_value(mn));
		return tool_bad(err, path, what);
	}
	if (mx != NULL && (json_int_t)n > json_integer_value(mx)) {
		snprintf(what, sizeof(what), "has too many items (at most %lld)",
		    (long long)json_integer_value(mx));
		return tool_bad(err, path, what);
	}
	for (i = 0; items != NULL && i < n; i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (tool_check_value(items, json_array_get(v, i), sub, err) != 0)
			return -1;
	}
	return 0;
}

/* "a, b, c": the names an object takes, for the model to pick from. */
static void
tool_names(const json_t *props, char *out, size_t n)
{
	const char *k;
	json_t *v;
	size_t used = 0;
	int w;

	out[0] = '\0';
	json_object_foreach((json_t *)(uintptr_t)props, k, v) {
		w = snprintf(out + used, n - used, "%s%s", used ? ", " : "", k);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	if (used == 0)
		snprintf(out, n, "none");
}

static int
tool_check_object(const json_t *schema, const json_t *v, const char *path, struct bos_err *err)
{
	const json_t *props = json_object_get(schema, "properties"), *req = json_object_get(schema, "required");
	const char *k;
	char sub[TOOL_PATH_MAX], what[256], names[200];
	json_t *pv;
	size_t i;

	for (i = 0; i < json_array_size(req); i++) {
		k = json_string_value(json_array_get(req, i));
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k ? k : "?");
		if (k == NULL || json_object_get(v, k) == NULL)
			return tool_bad(err, sub, "is required");
	}
	json_object_foreach((json_t *)(uintptr_t)v, k, pv) {
		const json_t *ps = json_object_get(props, k);

		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
		if (ps == NULL) {
			if (json_is_true(json_object_get(schema, "additionalProperties")))
				continue;
			tool_names(props, names, sizeof(names));
			snprintf(what, sizeof(what), "is not known (known: %s)", names);
			return tool_bad(err, sub, what);
		}
		if (tool_check_value(ps, pv, sub, err) != 0)
			return -1;
	}
	return 0;
}

static int
tool_check_enum(const json_t *en, const json_t *v, const char *path, struct bos_err *err)
{
	char what[256], *t;
	size_t i;

	for (i = 0; i < json_array_size(en); i++)
		if (json_equal(json_array_get(en, i), (json_t *)(uintptr_t)v))
			return 0;
	t = json_dumps(en, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(what, sizeof(what), "must be one of %s", t != NULL ? t : "the listed values");
	json_alloc_release(t);
	return tool_bad(err, path, what);
}

static int
tool_check_value(const json_t *schema, const json_t *v, const char *path, struct bos_err *err)
{
	const char *type;

	if (tool_schema_known(schema, path, err) != 0)
		return -1;
	type = json_string_value(json_object_get(schema, "type"));
	if (type == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s' has no type",
		    *path ? path : "arguments");
	if (strcmp(type, "object") == 0 && !json_is_object(v))
		return tool_bad(err, path, "must be an object");
	if (strcmp(type, "string") == 0 && !json_is_string(v))
		return tool_bad(err, path, "must be a string");
	if (strcmp(type, "integer") == 0 && !json_is_integer(v))
		return tool_bad(err, path, "must be an integer");
	if (strcmp(type, "boolean") == 0 && !json_is_boolean(v))
		return tool_bad(err, path, "must be true or false");
	if (strcmp(type, "array") == 0 && !json_is_array(v))
		return tool_bad(err, path, "must be an array");
	if (json_object_get(schema, "enum") != NULL &&
	    tool_check_enum(json_object_get(schema, "enum"), v, path, err) != 0)
		return -1;
	if (strcmp(type, "object") == 0)
		return tool_check_object(schema, v, path, err);
	if (strcmp(type, "string") == 0)
		return tool_check_string(schema, v, path, err);
	if (strcmp(type, "integer") == 0)
		return tool_check_integer(schema, v, path, err);
	if (strcmp(type, "array") == 0)
		return tool_check_array(schema, v, path, err);
	if (strcmp(type, "boolean") == 0)
		return 0;
	return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s' has type '%s', which is "
	    "not checked", *path ? path : "arguments", type);
}

/* Where a schema problem is: "arguments" at the top. */
static const char *
tool_where(const char *path)
{
	return *path ? path : "arguments";
}

static int
tool_valid_count(const json_t *schema, const char *key, const char *path, struct bos_err *err)
{
	const json_t *v = json_object_get(schema, key);

	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
		return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s': %s must be an "
		    "integer >= 0", tool_where(path), key);
	return 0;
}

static int tool_valid_at(const json_t *schema, const char *path, int depth, struct bos_err *err);

/* properties, required and additionalProperties of an object schema. */
static int
tool_valid_object(const json_t *schema, const char *path, int depth, struct bos_err *err)
{
	const json_t *props = json_object_get(schema, "properties"), *req = json_object_get(schema, "required");
	const json_t *ap = json_object_get(schema, "additionalProperties");
	char sub[TOOL_PATH_MAX];
	const char *k;
	json_t *v;
	size_t i;

	if (props != NULL && !json_is_object(props))
		return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s': properties must be "
		    "an object", tool_where(path));
	if (ap != NULL && !json_is_boolean(ap))
		return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s': additionalProperties "
		    "must be true or false", tool_where(path));
	for (i = 0; i < json_array_size(req); i++) {
		k = json_string_value(json_array_get(req, i));
		if (k == NULL || json_object_get(props, k) == NULL)
			return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s': required "
			    "names a property it does not declare", tool_where(path));
	}
	if (req != NULL && !json_is_array(req))
		return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s': required must be "
		    "an array", tool_where(path));
	json_object_foreach((json_t *)(uintptr_t)props, k, v) {
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
		if (tool_valid_at(v, sub, depth + 1, err) != 0)
			return -1;
	}
	return 0;
}

static int
tool_valid_at(const json_t *schema, const char *path, int depth, struct bos_err *err)
{
	static const char *const types[] = { "object", "string", "integer", "boolean", "array" };
	static const char *const counts[] = { "minLength", "maxLength", "minItems", "maxItems" };
	const char *type;
	char sub[TOOL_PATH_MAX];
	size_t i;

	if (depth > TOOL_SCHEMA_DEPTH_MAX)
		return bos_err_set(err, BOS_E_CONFIG, "the tool's schema nests too deep at '%s'",
		    tool_where(path));
	if (tool_schema_known(schema, path, err) != 0)
		return -1;
	type = json_string_value(json_object_get(schema, "type"));
	for (i = 0; type != NULL && i < BOS_ARRAY_LEN(types); i++)
		if (strcmp(type, types[i]) == 0)
			break;
	if (type == NULL || i == BOS_ARRAY_LEN(types))
		return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s' has no type of "
		    "object, string, integer, boolean or array", tool_where(path));
	for (i = 0; i < BOS_ARRAY_LEN(counts); i++)
		if (tool_valid_count(schema, counts[i], path, err) != 0)
			return -1;
	if ((json_object_get(schema, "minimum") != NULL && !json_is_number(json_object_get(schema,
	    "minimum"))) || (json_object_get(schema, "maximum") != NULL &&
	    !json_is_number(json_object_get(schema, "maximum"))) ||
	    (json_object_get(schema, "enum") != NULL && json_array_size(json_object_get(schema,
	    "enum")) == 0))
		return bos_err_set(err, BOS_E_CONFIG, "the tool's schema of '%s': minimum and maximum "
		    "must be numbers, enum a non-empty array", tool_where(path));
	if (strcmp(type, "object") == 0)
		return tool_valid_object(schema, path, depth, err);
	if (json_object_get(schema, "items") != NULL) {
		snprintf(sub, sizeof(sub), "%s[]", path);
		return tool_valid_at(json_object_get(schema, "items"), sub, depth + 1, err);
	}
	return 0;
}

int
tool_schema_valid(const json_t *schema, struct bos_err *err)
{
	const char *type = json_string_value(json_object_get(schema, "type"));

	if (type == NULL || strcmp(type, "object") != 0)
		return bos_err_set(err, BOS_E_CONFIG, "the tool's inputSchema is not of type object");
	return tool_valid_at(schema, "", 0, err);
}

int
tool_args_check(const json_t *schema, const json_t *args, struct bos_err *err)
{
	if (tool_schema_valid(schema, err) != 0)
		return -1;
	return tool_check_value(schema, args, "", err);
}
