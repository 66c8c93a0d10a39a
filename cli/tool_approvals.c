/*
 * The approvals tool: what waits for the admin's TOTP (docs/MCP.md "Vault:
 * approvals"). Listing is all a tool may do; approving is 'bosctl approve'.
 */
#include <stdio.h>
#include <string.h>
#include "tool_impl.h"

static const struct tool_field fields_approval_f[] = {
	{ "id", TF_STR, NULL }, { "kind", TF_STR, NULL }, { "summary", TF_STR, NULL },
	{ "state", TF_STR, NULL }, { "created_by", TF_STR | TF_NULL, NULL },
	{ "created_at", TF_STR | TF_NULL, NULL }, { "expires_at", TF_STR | TF_NULL, NULL },
	{ "decided_by", TF_STR | TF_NULL, NULL }, { "decided_at", TF_STR | TF_NULL, NULL },
};
const struct tool_fields tool_approval_fields = TOOL_FIELDS(fields_approval_f);

int
tool_approvals_list_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	const char *state = tool_arg_str(args, "state");

	*out = NULL;
	if (state != NULL && strcmp(state, "pending") != 0 && strcmp(state, "all") != 0)
		return bos_err_set(err, BOS_E_INVALID, "state is pending or all");
	return tool_get_list(hc, state != NULL && strcmp(state, "all") == 0 ?
	    "/approvals?state=all" : "/approvals?state=pending", "approvals",
	    &tool_approval_fields, out, err);
}

void
tool_approval_row(FILE *f, const json_t *a)
{
	fprintf(f, "%-28s %-14s %-9s expires %-20s ", tool_str(a, "id"), tool_str(a, "kind"),
	    tool_str(a, "state"), tool_str(a, "expires_at"));
	tool_text_clean(f, tool_str(a, "summary"));
	fputc('\n', f);
}

char *
tool_approvals_list_render(const json_t *out)
{
	const json_t *a;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "approvals"), i, a)
		tool_approval_row(t.f, a);
	if (json_array_size(json_object_get(out, "approvals")) > 0)
		fprintf(t.f, "approve one with 'bosctl approve ID' in a terminal\n");
	tool_text_none(t.f, json_object_get(out, "approvals"), "no approvals waiting");
	return tool_text_close(&t);
}
