/*
 * The tools: what the assistant (bosctl mcp) and the admin (bosctl COMMAND
 * --json) can do through one code path (docs/MCP.md "Tools"). Each tool
 * is one vault operation, or a few, under the admin's session; it returns a
 * JSON object that matches its outputSchema and never holds a secret.
 */
#ifndef BOS_TOOL_H
#define BOS_TOOL_H

#include <jansson.h>
#include <stddef.h>
#include "compiler.h"
#include "err.h"

struct http_client;

enum {
	TOOL_READ_ONLY = 1 << 0,   /* annotations.readOnlyHint */
	TOOL_DESTRUCTIVE = 1 << 1, /* annotations.destructiveHint (revoke ...) */
};

struct bos_tool {
	const char *name;          /* "credentials_list" */
	const char *title;         /* "List credentials" */
	const char *description;   /* for the model: what it does, what it never returns */
	const char *input_schema;  /* JSON text: {"type":"object",...,"additionalProperties":false} */
	const char *output_schema; /* JSON text: {"type":"object",...} */
	unsigned flags;
	/*
	 * Run with args (an object already valid against input_schema) over hc (a
	 * client with the admin's session). 0 with *out a new object (matching
	 * output_schema), or -1 with err set to a message a person can act on.
	 */
	int (*run)(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err);
	/* A short text rendering of out (malloc'd, free()d by the caller); NULL: JSON text. */
	char *(*render)(const json_t *out);
};

/* The table, in the order tools/list shows them. */
const struct bos_tool *tool_table(size_t *n);
/* The tool named name, or NULL. */
const struct bos_tool *tool_find(const char *name);

/*
 * Validate args against a tool's input schema (the subset the tools use:
 * type object/string/integer/boolean/array, properties, required,
 * additionalProperties false, enum, minLength/maxLength, minimum/maximum,
 * items, maxItems). 0, or -1 with a message naming the field.
 */
int tool_args_check(const json_t *schema, const json_t *args, struct bos_err *err) BOS_WUR;

/*
 * Run the named tool as a bosctl command would: open the session's client,
 * run it, print out (--json: compact JSON and a newline; else render's
 * text). Returns an exit status (BOSCTL_EXIT_*).
 */
int tool_cli_run(const char *name, const json_t *args, int json);

#endif
