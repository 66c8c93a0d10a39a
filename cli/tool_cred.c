/*
 * The credential tools: list, show and verify. Metadata only: the list
 * (GET /credentials) carries no secret, and no tool reads
 * GET /credentials/{id}, whose answer does (docs/MCP.md "The promise").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "json_alloc.h"
#include "tool_impl.h"

#define TOOL_CRED_PATH_MAX 1024
#define TOOL_VERIFY_WAIT_DEFAULT 30
/* Polls start quick (a verify takes about a second) and slow down to one every 2 s. */
#define TOOL_VERIFY_POLL_MS 250
#define TOOL_VERIFY_POLL_MAX_MS 2000

static const struct tool_field fields_card_f[] = {
	{ "brand", TF_STR, NULL }, { "first6", TF_STR, NULL }, { "last4", TF_STR, NULL },
};
static const struct tool_fields fields_card_fs = TOOL_FIELDS(fields_card_f);

static const struct tool_field fields_cred_f[] = {
	{ "id", TF_STR, NULL }, { "name", TF_STR, NULL }, { "type", TF_STR, NULL },
	{ "service", TF_STR, NULL }, { "version", TF_INT, NULL }, { "status", TF_STR, NULL },
	{ "created_at", TF_STR | TF_NULL, NULL }, { "updated_at", TF_STR | TF_NULL, NULL },
	{ "revoked_at", TF_STR | TF_NULL, NULL }, { "metadata", TF_OBJ, NULL },
	{ "card", TF_OBJ, &fields_card_fs }, { "last_read_at", TF_STR | TF_NULL, NULL },
	{ "stale", TF_BOOL, NULL },
};
const struct tool_fields tool_cred_fields = TOOL_FIELDS(fields_cred_f);

/* See tool_impl.h. */
int
tool_cred_list_path(char *out, size_t n, const char *service, const char *type,
    struct bos_err *err)
{
	char *s = service != NULL ? http_client_escape(service) : NULL;
	char *t = type != NULL ? http_client_escape(type) : NULL;
	int k = -1;

	if ((service == NULL || s != NULL) && (type == NULL || t != NULL))
		k = snprintf(out, n, "/credentials%s%s%s%s%s%s", s || t ? "?" : "",
		    s ? "service=" : "", s ? s : "", s && t ? "&" : "", t ? "type=" : "", t ? t : "");
	http_client_free_str(s);
	http_client_free_str(t);
	return k < 0 || (size_t)k >= n ? bos_err_set(err, BOS_E_INVALID, "the filters are too "
	    "long") : 0;
}

int
tool_credentials_list_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	char path[TOOL_CRED_PATH_MAX];

	*out = NULL;
	if (tool_cred_list_path(path, sizeof(path), tool_arg_str(args, "service"),
	    tool_arg_str(args, "type"), err) != 0)
		return -1;
	return tool_get_list(hc, path, "credentials", &tool_cred_fields, out, err);
}

void
tool_cred_row(FILE *f, const json_t *m)
{
	fprintf(f, "%-28s %-13s %-12s v%-4lld %-8s ", tool_str(m, "id"), tool_str(m, "type"),
	    tool_str(m, "service"), tool_int(m, "version"), tool_str(m, "status"));
	tool_text_clean(f, tool_str(m, "name"));
	fputc('\n', f);
}

char *
tool_credentials_list_render(const json_t *out)
{
	const json_t *m;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "credentials"), i, m)
		tool_cred_row(t.f, m);
	tool_text_none(t.f, json_object_get(out, "credentials"), "no credentials");
	return tool_text_close(&t);
}

/* The list entry whose id, or else whose name, is target; NULL when none. */
static json_t *
tool_cred_match(const json_t *list, const char *target)
{
	json_t *m, *by_name = NULL;
	size_t i;

	json_array_foreach(list, i, m) {
		if (strcmp(tool_str(m, "id"), target) == 0)
			return m;
		if (by_name == NULL && strcmp(tool_str(m, "name"), target) == 0)
			by_name = m;
	}
	return by_name;
}

int
tool_cred_find(struct http_client *hc, const char *target, json_t **meta, struct bos_err *err)
{
	json_t *list;

	*meta = NULL;
	if (target == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give the credential's id or name");
	if (tool_credentials_list_run(hc, NULL, &list, err) != 0)
		return -1;
	*meta = json_incref(tool_cred_match(json_object_get(list, "credentials"),
	    target));
	json_decref(list);
	if (*meta == NULL)
		return bos_err_set(err, BOS_E_NOTFOUND, "no credential with id or name '%s' "
		    "(see 'bosctl cred list')", target);
	return 0;
}

int
tool_credential_show_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	json_t *m;

	*out = NULL;
	if (tool_cred_find(hc, tool_arg_str(args, "id"), &m, err) != 0)
		return -1;
	return tool_wrap("credential", m, out, err);
}

/* One credential's metadata as 'bosctl cred show' has always printed it. */
char *
tool_credential_show_render(const json_t *out)
{
	const json_t *m = json_object_get(out, "credential");
	const json_t *md = json_object_get(m, "metadata"), *card = json_object_get(m, "card");
	char *mds = md != NULL ? json_dumps(md, JSON_COMPACT) : NULL;
	struct tool_text t;

	if (tool_text_open(&t) != 0) {
		json_alloc_release(mds);
		return NULL;
	}
	fprintf(t.f, "id:       %s\nname:     ", tool_str(m, "id"));
	tool_text_clean(t.f, tool_str(m, "name"));
	fprintf(t.f, "\ntype:     %s\nservice:  %s\nversion:  %lld\nstatus:   %s\nmetadata: ",
	    tool_str(m, "type"), tool_str(m, "service"), tool_int(m, "version"),
	    tool_str(m, "status"));
	tool_text_clean(t.f, mds != NULL ? mds : "{}");
	fputc('\n', t.f);
	if (json_is_object(card))
		fprintf(t.f, "card:     %s %s******%s\n", tool_str(card, "brand"),
		    tool_str(card, "first6"), tool_str(card, "last4"));
	fprintf(t.f, "created:  %s\nupdated:  %s\n", tool_str(m, "created_at"),
	    tool_str(m, "updated_at"));
	if (json_object_get(m, "revoked_at") != NULL)
		fprintf(t.f, "revoked:  %s\n", tool_str(m, "revoked_at"));
	json_alloc_release(mds);
	return tool_text_close(&t);
}

/* ---- verify (docs/BROKERS.md "bos-broker") ---- */

static long long
tool_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Queue a verify job for credential m; *id receives the job id. */
static int
tool_verify_queue(struct http_client *hc, const json_t *m, char *id, size_t n,
    struct bos_err *err)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "kind", "verify", "service",
	    tool_str(m, "service"), "credential", tool_str(m, "id"));
	struct http_resp resp;
	int r, k;

	if (body == NULL)
		return tool_nomem(err);
	r = http_client_call_ok(hc, "POST", "/jobs", body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	k = snprintf(id, n, "%s", tool_str(json_object_get(resp.json, "job"), "id"));
	http_resp_free(&resp);
	return k <= 3 || (size_t)k >= n ? bos_err_set(err, BOS_E_INVALID, "the vault's answer "
	    "has no job id") : 0;
}

static void
tool_sleep_ms(long ms)
{
	struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&pause, NULL);
}

/* GET /jobs/ID until it is done or dead or the time is up; *job a new reference. */
static int
tool_verify_wait(struct http_client *hc, const char *id, long long wait_s, json_t **job,
    struct bos_err *err)
{
	long long deadline = tool_mono_ms() + wait_s * 1000;
	long pause_ms = TOOL_VERIFY_POLL_MS;
	char path[TOOL_CRED_PATH_MAX];
	struct http_resp resp;
	const char *state;

	*job = NULL;
	if (tool_path(path, sizeof(path), "/jobs", id, "", "job id", err) != 0)
		return -1;
	for (;;) {
		if (http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
			return -1;
		json_decref(*job);
		*job = json_incref(json_object_get(resp.json, "job"));
		http_resp_free(&resp);
		state = tool_str(*job, "state");
		if (strcmp(state, "done") == 0 || strcmp(state, "dead") == 0 ||
		    tool_mono_ms() >= deadline)
			return 0;
		tool_sleep_ms(pause_ms);
		if (pause_ms < TOOL_VERIFY_POLL_MAX_MS)
			pause_ms *= 2;
	}
}

/* The verify's outcome: ok, failed (the provider said no), dead, or pending (no result yet). */
static const char *
tool_verify_outcome(const json_t *job)
{
	const char *state = tool_str(job, "state");

	if (strcmp(state, "done") == 0)
		return json_is_true(json_object_get(json_object_get(job, "result"), "ok")) ? "ok" :
		    "failed";
	if (strcmp(state, "dead") == 0)
		return "dead";
	return "pending";
}

/* What a person reads about the outcome (also 'bosctl cred verify's line). */
static int
tool_verify_message(char *buf, size_t n, const json_t *m, const json_t *job, long long wait_s)
{
	const json_t *res = json_object_get(job, "result");
	const char *outcome = tool_verify_outcome(job);

	if (strcmp(outcome, "ok") == 0 || strcmp(outcome, "failed") == 0)
		return snprintf(buf, n, "%s: HTTP %lld, %lld ms (credential %s, service %s, job %s)",
		    outcome, tool_int(res, "status"), tool_int(res, "latency_ms"), tool_str(m, "name"),
		    tool_str(m, "service"), tool_str(job, "id"));
	if (strcmp(outcome, "dead") == 0)
		return snprintf(buf, n, "failed: the job died after %lld attempt(s): %s (job %s)",
		    tool_int(job, "attempts"), tool_str(job, "error"), tool_str(job, "id"));
	if (tool_int(job, "attempts") > 0)
		return snprintf(buf, n, "failed: no result within %lld s: job %s is %s after %lld "
		    "attempt(s), the last one: %s (it is retried until its last attempt; 'bosctl jobs "
		    "show %s')", wait_s, tool_str(job, "id"), tool_str(job, "state"),
		    tool_int(job, "attempts"), tool_str(job, "error"), tool_str(job, "id"));
	return snprintf(buf, n, "failed: no result within %lld s: job %s is %s (is a broker "
	    "running whose role may claim jobs/verify/%s?)", wait_s, tool_str(job, "id"),
	    tool_str(job, "state"), tool_str(m, "service"));
}

static const struct tool_field fields_estimate_f[] = {
	{ "amount", TF_INT, NULL }, { "currency", TF_STR, NULL },
};
static const struct tool_fields fields_estimate_fs = TOOL_FIELDS(fields_estimate_f);
static const struct tool_field fields_result_f[] = {
	{ "ok", TF_BOOL, NULL }, { "status", TF_INT, NULL }, { "latency_ms", TF_INT, NULL },
};
static const struct tool_fields fields_result_fs = TOOL_FIELDS(fields_result_f);
static const struct tool_field fields_job_f[] = {
	{ "id", TF_STR, NULL }, { "kind", TF_STR, NULL }, { "service", TF_STR, NULL },
	{ "credential", TF_STR | TF_NULL, NULL }, { "idempotency_key", TF_STR, NULL },
	{ "state", TF_STR, NULL }, { "attempts", TF_INT, NULL }, { "max_attempts", TF_INT, NULL },
	{ "not_before", TF_STR | TF_NULL, NULL }, { "claimed_by", TF_STR | TF_NULL, NULL },
	{ "visible_until", TF_STR | TF_NULL, NULL },
	{ "estimate", TF_OBJ | TF_NULL, &fields_estimate_fs }, { "result", TF_OBJ | TF_NULL, &fields_result_fs },
	{ "error", TF_STR | TF_NULL, NULL }, { "created_at", TF_STR | TF_NULL, NULL },
	{ "updated_at", TF_STR | TF_NULL, NULL }, { "finished_at", TF_STR | TF_NULL, NULL },
	{ "created_by", TF_STR | TF_NULL, NULL }, { "campaign", TF_STR | TF_NULL, NULL },
	{ "ad", TF_STR | TF_NULL, NULL },
};
const struct tool_fields tool_job_fields = TOOL_FIELDS(fields_job_f);

static const struct tool_field fields_cred_ref_f[] = {
	{ "id", TF_STR, NULL }, { "name", TF_STR, NULL }, { "service", TF_STR, NULL },
};
static const struct tool_fields fields_cred_ref_fs = TOOL_FIELDS(fields_cred_ref_f);

static int
tool_verify_result(const json_t *m, const json_t *job, long long wait_s, json_t **out,
    struct bos_err *err)
{
	char msg[1024];

	(void)tool_verify_message(msg, sizeof(msg), m, job, wait_s);
	*out = json_pack("{s:s, s:o, s:o, s:s}", "outcome", tool_verify_outcome(job),
	    "credential", tool_pick(m, &fields_cred_ref_fs), "job", tool_pick(job, &tool_job_fields),
	    "message", msg);
	return *out != NULL ? 0 : tool_nomem(err);
}

int
tool_credential_verify_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	long long wait_s = tool_arg_int(args, "wait_seconds", TOOL_VERIFY_WAIT_DEFAULT);
	json_t *m, *job = NULL;
	char id[64];
	int r;

	*out = NULL;
	if (tool_cred_find(hc, tool_arg_str(args, "id"), &m, err) != 0)
		return -1;
	if (strcmp(tool_str(m, "status"), "active") != 0) {
		json_decref(m);
		return bos_err_set(err, BOS_E_INVALID, "credential '%s' is revoked: nothing to "
		    "verify", tool_arg_str(args, "id"));
	}
	r = tool_verify_queue(hc, m, id, sizeof(id), err) != 0 ||
	    tool_verify_wait(hc, id, wait_s, &job, err) != 0 ? -1 :
	    tool_verify_result(m, job, wait_s, out, err);
	json_decref(m);
	json_decref(job);
	return r;
}

char *
tool_credential_verify_render(const json_t *out)
{
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	tool_text_clean(t.f, tool_str(out, "message"));
	fputc('\n', t.f);
	return tool_text_close(&t);
}
