/*
 * The status tool: the vault at a glance. Counts come from the lists the
 * admin can read (each one request), spend from today's cost report.
 */
#include <stdio.h>
#include <string.h>
#include "tool_impl.h"

/* The number of entries of ans[key] at path. */
static int
tool_status_count(struct http_client *hc, const char *path, const char *key, json_t *counts,
    const char *name, struct bos_err *err)
{
	struct http_resp resp;
	const json_t *list;
	size_t n;

	if (http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	list = json_object_get(resp.json, key);
	n = json_array_size(list);
	if (!json_is_array(list)) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer to %s has no \"%s\" "
		    "array", path, key);
	}
	http_resp_free(&resp);
	return json_object_set_new(counts, name, json_integer((json_int_t)n)) == 0 ? 0 :
	    tool_nomem(err);
}

/* GET /health: "ok" or "degraded" (503) with the HSM's state; no session needed. */
static int
tool_status_health(struct http_client *hc, json_t *out, struct bos_err *err)
{
	struct http_resp resp;
	int bad;

	if (http_client_call(hc, "GET", "/health", NULL, &resp, err) != 0)
		return -1;
	if (resp.status != 200 && resp.status != 503) {
		(void)http_resp_error(&resp, err);
		http_resp_free(&resp);
		return -1;
	}
	bad = json_object_set_new(out, "vault", json_string(tool_str(resp.json, "status")));
	bad |= json_object_set_new(out, "hsm", json_string(tool_str(resp.json, "hsm")));
	http_resp_free(&resp);
	return bad ? tool_nomem(err) : 0;
}

static int
tool_status_counts(struct http_client *hc, json_t *out, struct bos_err *err)
{
	static const struct { const char *path, *key, *name; } lists[] = {
		{ "/credentials", "credentials", "credentials" },
		{ "/helpers", "helpers", "helpers" },
		{ "/grants?state=active", "grants", "active_grants" },
		{ "/brokers", "brokers", "brokers" },
		{ "/jobs?state=queued", "jobs", "queued_jobs" },
	};
	json_t *counts = json_object(), *alerts = json_object();
	size_t i;
	int r = counts != NULL && alerts != NULL ? 0 : tool_nomem(err);

	for (i = 0; r == 0 && i < BOS_ARRAY_LEN(lists); i++)
		r = tool_status_count(hc, lists[i].path, lists[i].key, counts, lists[i].name, err);
	if (r == 0)
		r = tool_status_count(hc, "/alerts?state=open", "alerts", alerts, "open", err);
	if (r == 0 && (json_object_set(out, "counts", counts) != 0 ||
	    json_object_set(out, "open_alerts", json_object_get(alerts, "open")) != 0))
		r = tool_nomem(err);
	json_decref(counts);
	json_decref(alerts);
	return r;
}

/* Today's cost report as {day, services, total}. */
static int
tool_status_spend(struct http_client *hc, json_t *out, struct bos_err *err)
{
	struct http_resp resp;
	json_t *spend;
	int r;

	if (http_client_call_ok(hc, "GET", "/outreach/cost", NULL, &resp, err) != 0)
		return -1;
	r = tool_spend_pick(resp.json, &spend, err);
	http_resp_free(&resp);
	if (r != 0)
		return -1;
	if (json_object_get(spend, "from") != NULL)
		r = json_object_set(spend, "day", json_object_get(spend, "from"));
	(void)json_object_del(spend, "from");
	(void)json_object_del(spend, "to");
	if (r != 0 || json_object_set_new(out, "spend_today", spend) != 0)
		return tool_nomem(err);
	return 0;
}

int
tool_status_run(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	(void)args;
	if ((*out = json_object()) == NULL)
		return tool_nomem(err);
	if (tool_status_health(hc, *out, err) == 0 && tool_status_counts(hc, *out, err) == 0 &&
	    tool_status_spend(hc, *out, err) == 0)
		return 0;
	json_decref(*out);
	*out = NULL;
	return -1;
}

char *
tool_status_render(const json_t *out)
{
	const json_t *c = json_object_get(out, "counts"), *sp = json_object_get(out, "spend_today");
	const json_t *e;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	fprintf(t.f, "vault %s, hsm %s\ncredentials %lld, helpers %lld, active grants %lld, "
	    "brokers %lld, queued jobs %lld\nopen alerts %lld\nspent on %s:", tool_str(out, "vault"),
	    tool_str(out, "hsm"), tool_int(c, "credentials"), tool_int(c, "helpers"),
	    tool_int(c, "active_grants"), tool_int(c, "brokers"), tool_int(c, "queued_jobs"),
	    tool_int(out, "open_alerts"), tool_str(sp, "day"));
	json_array_foreach(json_object_get(sp, "services"), i, e)
		fprintf(t.f, " %s %lld (minor units of %s)%s", tool_str(e, "service"),
		    tool_int(e, "spent"), tool_str(e, "currency"),
		    i + 1 < json_array_size(json_object_get(sp, "services")) ? "," : "");
	if (json_array_size(json_object_get(sp, "services")) == 0)
		fputs(" nothing", t.f);
	fputc('\n', t.f);
	return tool_text_close(&t);
}
