/*
 * A tool run as a bosctl command: the session's client, the tool's run,
 * then its output as compact JSON (--json) or its text rendering.
 */
#include <stdio.h>
#include <stdlib.h>
#include "bosctl.h"
#include "http_client.h"
#include "tool_cli.h"

/* Run the named tool; 0 with *out, or an exit status with the error printed. */
int
tool_cli_call(const char *name, const json_t *args, json_t **out)
{
	const struct bos_tool *t = tool_find(name);
	struct http_client *hc;
	struct bos_err err;
	int r;

	*out = NULL;
	if (t == NULL)
		return bosctl_fail("no tool named '%s'", name);
	bos_err_clear(&err);
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	r = t->run(hc, args, out, &err);
	http_client_free(hc);
	return r == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}

int
tool_cli_print(const char *name, const json_t *out, int json)
{
	const struct bos_tool *t = tool_find(name);
	char *text;

	if (json || t == NULL || t->render == NULL) {
		bosctl_json_print(out);
	} else {
		if ((text = t->render(out)) == NULL)
			return bosctl_fail("out of memory");
		fputs(text, stdout);
		free(text);
	}
	return fflush(stdout) == 0 ? BOSCTL_EXIT_OK : bosctl_fail("cannot write to standard "
	    "output");
}

int
tool_cli_run(const char *name, const json_t *args, int json)
{
	json_t *out;
	int r;

	if ((r = tool_cli_call(name, args, &out)) != BOSCTL_EXIT_OK)
		return r;
	r = tool_cli_print(name, out, json);
	json_decref(out);
	return r;
}

int
tool_cli_print_key(const char *name, const json_t *out, int json, const char *key)
{
	const json_t *v = key != NULL ? json_object_get(out, key) : NULL, *e;
	size_t i;

	/* A list command prints nothing for an empty list, as it always has. */
	if (!json && json_is_array(v) && json_array_size(v) == 0)
		return BOSCTL_EXIT_OK;
	if (!json || v == NULL)
		return tool_cli_print(name, out, json);
	if (json_is_array(v))
		json_array_foreach(v, i, e)
			bosctl_json_print(e);
	else
		bosctl_json_print(v);
	return fflush(stdout) == 0 ? BOSCTL_EXIT_OK : bosctl_fail("cannot write to standard "
	    "output");
}

int
tool_cli_cmd(const char *name, const json_t *args, int json, const char *key)
{
	json_t *out;
	int r;

	if ((r = tool_cli_call(name, args, &out)) != BOSCTL_EXIT_OK)
		return r;
	r = tool_cli_print_key(name, out, json, key);
	json_decref(out);
	return r;
}
