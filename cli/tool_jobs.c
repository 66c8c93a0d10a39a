/* The jobs tool: the vault's job queue (docs/BROKERS.md). */
#include <stdio.h>
#include <string.h>
#include "tool_impl.h"

#define TOOL_JOBS_PATH_MAX 256

int
tool_job_kind_known(const char *kind)
{
	static const char *const kinds[] = { "verify", "send_email", "send_sms", "ad_create",
		"ad_activate", "ad_pause", "ad_insights" };
	size_t i;

	for (i = 0; kind != NULL && i < BOS_ARRAY_LEN(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return 1;
	return 0;
}

int
tool_jobs_list_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	const char *state = tool_arg_str(args, "state"), *kind = tool_arg_str(args, "kind");
	char path[TOOL_JOBS_PATH_MAX];

	*out = NULL;
	if (state != NULL && strcmp(state, "queued") != 0 && strcmp(state, "claimed") != 0 &&
	    strcmp(state, "done") != 0 && strcmp(state, "dead") != 0)
		return bos_err_set(err, BOS_E_INVALID, "state is queued, claimed, done or dead");
	if (kind != NULL && !tool_job_kind_known(kind))
		return bos_err_set(err, BOS_E_INVALID, "kind is " TOOL_JOB_KINDS);
	(void)snprintf(path, sizeof(path), "/jobs%s%s%s%s%s%s", state || kind ? "?" : "",
	    state ? "state=" : "", state ? state : "", state && kind ? "&" : "",
	    kind ? "kind=" : "", kind ? kind : "");
	return tool_get_list(hc, path, "jobs", &tool_job_fields, out, err);
}

static long long
tool_job_int(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

void
tool_job_row(FILE *f, const json_t *j)
{
	fprintf(f, "%-29s %-7s %-12s %-8s %lld/%lld created %s\n", tool_str(j, "id"),
	    tool_str(j, "kind"), tool_str(j, "service"), tool_str(j, "state"),
	    tool_job_int(j, "attempts"), tool_job_int(j, "max_attempts"),
	    tool_str(j, "created_at"));
}

char *
tool_jobs_list_render(const json_t *out)
{
	const json_t *j;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "jobs"), i, j)
		tool_job_row(t.f, j);
	tool_text_none(t.f, json_object_get(out, "jobs"), "no jobs");
	return tool_text_close(&t);
}
