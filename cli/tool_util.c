/*
 * What the tools share (tool_impl.h): allow-list copies of the vault's
 * answers, paths, arguments and text renderings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tool_impl.h"

int
tool_nomem(struct bos_err *err)
{
	return bos_err_set(err, BOS_E_NOMEM, "out of memory");
}

static unsigned
tool_type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return TF_STR;
	case JSON_NULL: return TF_NULL;
	case JSON_INTEGER: return TF_INT;
	case JSON_TRUE: case JSON_FALSE: return TF_BOOL;
	case JSON_OBJECT: return TF_OBJ;
	case JSON_ARRAY: return TF_STRS;
	case JSON_REAL: return TF_NUM;
	default: return 0;
	}
}

/* The strings of an array, in a new array. */
static json_t *
tool_pick_strings(const json_t *a)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (out != NULL && json_is_string(v) && json_array_append(out, v) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

/* A copy of v (one of f's types). */
static json_t *
tool_pick_value(const json_t *v, const struct tool_field *f)
{
	switch (tool_type_of(v)) {
	case TF_OBJ:
		return f->sub != NULL ? tool_pick(v, f->sub) : json_deep_copy(v);
	case TF_STRS:
		return tool_pick_strings(v);
	default:
		return json_deep_copy(v);
	}
}

json_t *
tool_pick(const json_t *src, const struct tool_fields *fs)
{
	json_t *o = json_object(), *v;
	size_t i;

	for (i = 0; o != NULL && i < fs->n; i++) {
		v = json_object_get(src, fs->f[i].name);
		if (v == NULL || (tool_type_of(v) & fs->f[i].types) == 0)
			continue;
		if (json_object_set_new(o, fs->f[i].name, tool_pick_value(v, &fs->f[i])) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

int
tool_pick_list(const json_t *ans, const char *key, const struct tool_fields *fs, json_t **out,
    struct bos_err *err)
{
	const json_t *list = json_object_get(ans, key), *e;
	size_t i;

	*out = NULL;
	if (!json_is_array(list))
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no \"%s\" array", key);
	if ((*out = json_array()) == NULL)
		return tool_nomem(err);
	json_array_foreach(list, i, e) {
		if (json_is_object(e) && json_array_append_new(*out, tool_pick(e, fs)) != 0) {
			json_decref(*out);
			*out = NULL;
			return tool_nomem(err);
		}
	}
	return 0;
}

int
tool_wrap(const char *key, json_t *arr, json_t **out, struct bos_err *err)
{
	*out = arr != NULL ? json_object() : NULL;
	if (*out != NULL && json_object_set_new(*out, key, arr) == 0)
		return 0;
	if (*out == NULL)
		json_decref(arr);
	json_decref(*out);
	*out = NULL;
	return tool_nomem(err);
}

int
tool_path(char *out, size_t n, const char *prefix, const char *id, const char *suffix,
    const char *what, struct bos_err *err)
{
	char *e = http_client_escape(id);
	int k;

	if (e == NULL)
		return tool_nomem(err);
	k = snprintf(out, n, "%s/%s%s", prefix, e, suffix);
	http_client_free_str(e);
	if (k < 0 || (size_t)k >= n)
		return bos_err_set(err, BOS_E_INVALID, "the %s is too long", what);
	return 0;
}

int
tool_get_list(struct http_client *hc, const char *path, const char *key,
    const struct tool_fields *fs, json_t **out, struct bos_err *err)
{
	struct http_resp resp;
	json_t *arr;
	int r;

	*out = NULL;
	if (http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	r = tool_pick_list(resp.json, key, fs, &arr, err);
	http_resp_free(&resp);
	if (r != 0)
		return -1;
	return tool_wrap(key, arr, out, err);
}

const char *
tool_arg_str(const json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

long long
tool_arg_int(const json_t *args, const char *key, long long dflt)
{
	const json_t *v = json_object_get(args, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

int
tool_arg_bool(const json_t *args, const char *key)
{
	return json_is_true(json_object_get(args, key));
}

const char *
tool_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

long long
tool_int(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

int
tool_text_open(struct tool_text *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	return t->f != NULL ? 0 : -1;
}

char *
tool_text_close(struct tool_text *t)
{
	int bad = ferror(t->f);

	if (fclose(t->f) != 0 || bad) {
		free(t->buf);
		return NULL;
	}
	return t->buf;
}

void
tool_text_clean(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

void
tool_text_none(FILE *f, const json_t *list, const char *what)
{
	if (json_array_size(list) == 0)
		fprintf(f, "%s\n", what);
}
