/* The alert tools: list, ack, resolve (docs/BROKERS.md "Alerts"). */
#include <stdio.h>
#include <string.h>
#include "tool_impl.h"

#define TOOL_ALERTS_PATH_MAX 256

static const struct tool_field fields_alert_f[] = {
	{ "id", TF_STR, NULL }, { "kind", TF_STR, NULL }, { "severity", TF_STR, NULL },
	{ "subject", TF_STR, NULL }, { "details", TF_OBJ, NULL }, { "actions", TF_STRS, NULL },
	{ "dedup_key", TF_STR | TF_NULL, NULL }, { "count", TF_INT, NULL },
	{ "state", TF_STR, NULL }, { "first_at", TF_STR | TF_NULL, NULL },
	{ "last_at", TF_STR | TF_NULL, NULL }, { "acked_at", TF_STR | TF_NULL, NULL },
	{ "acked_by", TF_STR | TF_NULL, NULL }, { "resolved_at", TF_STR | TF_NULL, NULL },
	{ "resolved_by", TF_STR | TF_NULL, NULL },
};
static const struct tool_fields fields_alert_fs = TOOL_FIELDS(fields_alert_f);

int
tool_alerts_list_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	static const char *const states[] = { "open", "acked", "resolved", "all" };
	const char *state = tool_arg_str(args, "state");
	char path[TOOL_ALERTS_PATH_MAX];
	size_t i;

	*out = NULL;
	for (i = 0; state != NULL && i < BOS_ARRAY_LEN(states); i++)
		if (strcmp(state, states[i]) == 0)
			break;
	if (state != NULL && i == BOS_ARRAY_LEN(states))
		return bos_err_set(err, BOS_E_INVALID, "state is open, acked, resolved or all");
	(void)snprintf(path, sizeof(path), "/alerts?state=%s", state != NULL ? state : "open");
	return tool_get_list(hc, path, "alerts", &fields_alert_fs, out, err);
}

void
tool_alert_row(FILE *f, const json_t *a)
{
	const json_t *act;
	size_t i;

	fprintf(f, "%-29s %-8s %-15s x%-4lld %-8s %s  ", tool_str(a, "id"),
	    tool_str(a, "severity"), tool_str(a, "kind"), tool_int(a, "count"),
	    tool_str(a, "state"), tool_str(a, "last_at"));
	tool_text_clean(f, tool_str(a, "subject"));
	fputc('\n', f);
	json_array_foreach(json_object_get(a, "actions"), i, act) {
		fputs("    -> ", f);
		tool_text_clean(f, json_string_value(act));
		fputc('\n', f);
	}
}

char *
tool_alerts_list_render(const json_t *out)
{
	const json_t *a;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "alerts"), i, a)
		tool_alert_row(t.f, a);
	tool_text_none(t.f, json_object_get(out, "alerts"), "no alerts (in that state)");
	return tool_text_close(&t);
}

/* POST /alerts/ID/VERB: {alert: {...}}. */
static int
tool_alert_move(struct http_client *hc, const json_t *args, const char *verb, json_t **out,
    struct bos_err *err)
{
	char path[TOOL_ALERTS_PATH_MAX], suffix[16];
	struct http_resp resp;
	json_t *a;

	*out = NULL;
	(void)snprintf(suffix, sizeof(suffix), "/%s", verb);
	if (tool_arg_str(args, "id") == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give the alert's id (al_...)");
	if (tool_path(path, sizeof(path), "/alerts", tool_arg_str(args, "id"), suffix, "alert id",
	    err) != 0 || http_client_call_ok(hc, "POST", path, NULL, &resp, err) != 0)
		return -1;
	a = json_is_object(resp.json) ? tool_pick(resp.json, &fields_alert_fs) : NULL;
	http_resp_free(&resp);
	if (a == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer is not an alert");
	return tool_wrap("alert", a, out, err);
}

int
tool_alert_ack_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	return tool_alert_move(hc, args, "ack", out, err);
}

int
tool_alert_resolve_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	return tool_alert_move(hc, args, "resolve", out, err);
}

char *
tool_alert_ack_render(const json_t *out)
{
	const json_t *a = json_object_get(out, "alert");
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	fprintf(t.f, "alert %s %s\n", tool_str(a, "id"), tool_str(a, "state"));
	return tool_text_close(&t);
}

char *
tool_alert_resolve_render(const json_t *out)
{
	return tool_alert_ack_render(out);
}
