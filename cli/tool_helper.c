/* The helper tools: list, add, revoke (the people grants are given to). */
#include <stdio.h>
#include <string.h>
#include "tool_impl.h"

#define TOOL_HELPER_PATH_MAX 1024

static const struct tool_field fields_helper_f[] = {
	{ "id", TF_STR, NULL }, { "name", TF_STR, NULL }, { "contact", TF_STR, NULL },
	{ "kind", TF_STR, NULL }, { "status", TF_STR, NULL }, { "created_by", TF_STR, NULL },
	{ "created_at", TF_STR | TF_NULL, NULL }, { "removed_at", TF_STR | TF_NULL, NULL },
	{ "grants_revoked", TF_INT, NULL },
};
static const struct tool_fields fields_helper_fs = TOOL_FIELDS(fields_helper_f);

int
tool_helpers_list_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	(void)args;
	return tool_get_list(hc, "/helpers", "helpers", &fields_helper_fs, out, err);
}

void
tool_helper_row(FILE *f, const json_t *h)
{
	fprintf(f, "%-29s %-10s %-8s ", tool_str(h, "id"), tool_str(h, "kind"),
	    tool_str(h, "status"));
	tool_text_clean(f, tool_str(h, "name"));
	fputs(" <", f);
	tool_text_clean(f, tool_str(h, "contact"));
	fprintf(f, "> created %s\n", tool_str(h, "created_at"));
}

char *
tool_helpers_list_render(const json_t *out)
{
	const json_t *h;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "helpers"), i, h)
		tool_helper_row(t.f, h);
	tool_text_none(t.f, json_object_get(out, "helpers"), "no helpers");
	return tool_text_close(&t);
}

/* The answer's helper object, picked, as {helper: {...}}. */
static int
tool_helper_answer(struct http_resp *resp, json_t **out, struct bos_err *err)
{
	json_t *h = json_is_object(resp->json) ? tool_pick(resp->json, &fields_helper_fs) : NULL;

	http_resp_free(resp);
	if (h == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer is not a helper");
	return tool_wrap("helper", h, out, err);
}

int
tool_helper_add_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	struct http_resp resp;
	json_t *body;
	int r;

	*out = NULL;
	body = json_pack("{s:s, s:s, s:s}", "name", tool_arg_str(args, "name"), "contact",
	    tool_arg_str(args, "contact"), "kind", tool_arg_str(args, "kind"));
	if (body == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give name, contact and kind (UTF-8 text)");
	r = http_client_call_ok(hc, "POST", "/helpers", body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	return tool_helper_answer(&resp, out, err);
}

char *
tool_helper_add_render(const json_t *out)
{
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	fprintf(t.f, "%s\n", tool_str(json_object_get(out, "helper"), "id"));
	return tool_text_close(&t);
}

int
tool_helper_revoke_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	char path[TOOL_HELPER_PATH_MAX];
	struct http_resp resp;

	*out = NULL;
	if (tool_arg_str(args, "id") == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give the helper's id (hl_...)");
	if (tool_path(path, sizeof(path), "/helpers", tool_arg_str(args, "id"), "", "helper id",
	    err) != 0 || http_client_call_ok(hc, "DELETE", path, NULL, &resp, err) != 0)
		return -1;
	return tool_helper_answer(&resp, out, err);
}

char *
tool_helper_revoke_render(const json_t *out)
{
	const json_t *h = json_object_get(out, "helper");
	const json_t *n = json_object_get(h, "grants_revoked");
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	if (json_is_integer(n))
		fprintf(t.f, "revoked helper %s; also ended %lld grant%s\n", tool_str(h, "id"),
		    (long long)json_integer_value(n), json_integer_value(n) == 1 ? "" : "s");
	else
		fprintf(t.f, "revoked helper %s and ended its grants\n", tool_str(h, "id"));
	return tool_text_close(&t);
}
