/*
 * PLACEHOLDER tool table (replaced by i15-tools): one trivial tool so that
 * bosctl mcp links and can be tested on its own branch. The real table of
 * docs/MCP.md "Tools" is cli/tools.c and cli/tool_*.c of branch i15-tools;
 * the integrator takes that file instead of this one.
 */
#include <string.h>
#include "http_client.h"
#include "tool.h"

/* GET /health: the vault's own view of itself (public, no secret in it). */
static int
tool_ping_vault_run(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	struct http_resp resp;
	const char *st;

	(void)args;
	*out = NULL;
	if (http_client_call(hc, "GET", "/health", NULL, &resp, err) != 0)
		return -1;
	st = json_string_value(json_object_get(resp.json, "status"));
	if (st == NULL) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_CORRUPT, "the vault's /health answer has no status");
	}
	*out = json_pack("{s:s}", "status", st);
	http_resp_free(&resp);
	return *out != NULL ? 0 : bos_err_set(err, BOS_E_NOMEM, "out of memory");
}

static const struct bos_tool tool_list[] = {
	{
		.name = "ping_vault",
		.title = "Ping the vault",
		.description = "Whether the vault answers and its HSM is up (GET /health). Returns "
		    "{status: \"ok\" | \"degraded\"}; never a secret.",
		.input_schema = "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
		.output_schema = "{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"string\","
		    "\"enum\":[\"ok\",\"degraded\"]}},\"required\":[\"status\"]}",
		.flags = TOOL_READ_ONLY,
		.run = tool_ping_vault_run,
		.render = NULL,
	},
};

const struct bos_tool *
tool_table(size_t *n)
{
	*n = BOS_ARRAY_LEN(tool_list);
	return tool_list;
}

const struct bos_tool *
tool_find(const char *name)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(tool_list); i++)
		if (strcmp(tool_list[i].name, name) == 0)
			return &tool_list[i];
	return NULL;
}
