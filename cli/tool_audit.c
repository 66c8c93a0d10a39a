/*
 * The audit tools: the newest records, and one page of a search. A record
 * names who did what to which resource and the decision; it never carries
 * a secret (the vault's audit holds none, docs/AUDIT.md).
 */
#include <stdio.h>
#include <string.h>
#include "tool_impl.h"

#define TOOL_AUDIT_QUERY_MAX 4096
#define TOOL_AUDIT_TAIL_DEFAULT 20
#define TOOL_AUDIT_LIMIT_DEFAULT 100

static const struct tool_field fields_audit_f[] = {
	{ "seq", TF_INT, NULL }, { "time", TF_STR, NULL }, { "principal", TF_STR, NULL },
	{ "action", TF_STR, NULL }, { "resource", TF_STR, NULL }, { "decision", TF_STR, NULL },
	{ "reason", TF_STR, NULL }, { "client", TF_STR, NULL }, { "request_id", TF_STR, NULL },
	{ "hash", TF_STR, NULL },
};
static const struct tool_fields fields_audit_fs = TOOL_FIELDS(fields_audit_f);

/* A path with a query string, built a parameter at a time. */
struct tool_qs {
	char s[TOOL_AUDIT_QUERY_MAX];
	size_t len;
	int bad;
};

static void
tool_qs_add(struct tool_qs *q, const char *key, const char *val)
{
	char *e;
	int k;

	if (val == NULL || q->bad)
		return;
	if ((e = http_client_escape(val)) == NULL) {
		q->bad = 1;
		return;
	}
	k = snprintf(q->s + q->len, sizeof(q->s) - q->len, "%s%s=%s",
	    strchr(q->s, '?') != NULL ? "&" : "?", key, e);
	http_client_free_str(e);
	if (k < 0 || (size_t)k >= sizeof(q->s) - q->len)
		q->bad = 1;
	else
		q->len += (size_t)k;
}

/* One page of the query q: {records: [...] in the order asked, next_cursor}. */
static int
tool_audit_page(struct http_client *hc, const struct tool_qs *q, json_t **out,
    struct bos_err *err)
{
	struct http_resp resp;
	json_t *nc, *recs;

	*out = NULL;
	if (q->bad)
		return bos_err_set(err, BOS_E_INVALID, "the filters make too long a query");
	if (http_client_call_ok(hc, "GET", q->s, NULL, &resp, err) != 0)
		return -1;
	nc = json_object_get(resp.json, "next_cursor");
	if ((nc != NULL && !json_is_null(nc) && !json_is_string(nc)) ||
	    tool_pick_list(resp.json, "records", &fields_audit_fs, &recs, err) != 0) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no \"records\" "
		    "array or a bad \"next_cursor\"");
	}
	*out = json_pack("{s:o, s:O}", "records", recs, "next_cursor",
	    json_is_string(nc) && json_string_length(nc) > 0 ? nc : json_null());
	http_resp_free(&resp);
	return *out != NULL ? 0 : tool_nomem(err);
}

int
tool_audit_query(struct http_client *hc, const json_t *filters, const char *order,
    long long limit, const char *cursor, json_t **out, struct bos_err *err)
{
	static const char *const keys[] = { "since", "until", "principal", "resource", "action",
		"outcome" };
	char num[24];
	struct tool_qs q;
	size_t i;

	memset(&q, 0, sizeof(q));
	q.len = (size_t)snprintf(q.s, sizeof(q.s), "/credentials/audit");
	(void)snprintf(num, sizeof(num), "%lld", limit);
	for (i = 0; i < BOS_ARRAY_LEN(keys); i++)
		tool_qs_add(&q, keys[i], tool_arg_str(filters, keys[i]));
	tool_qs_add(&q, "order", order);
	tool_qs_add(&q, "limit", num);
	tool_qs_add(&q, "cursor", cursor);
	return tool_audit_page(hc, &q, out, err);
}

int
tool_audit_tail_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	json_t *page, *recs;
	size_t i, n;

	if (tool_audit_query(hc, NULL, "desc", tool_arg_int(args, "lines",
	    TOOL_AUDIT_TAIL_DEFAULT), NULL, &page, err) != 0)
		return -1;
	/* Fetched newest first, shown oldest first. */
	recs = json_array();
	n = json_array_size(json_object_get(page, "records"));
	for (i = n; recs != NULL && i > 0; i--)
		if (json_array_append(recs, json_array_get(json_object_get(page, "records"),
		    i - 1)) != 0) {
			json_decref(recs);
			recs = NULL;
		}
	json_decref(page);
	return tool_wrap("records", recs, out, err);
}

int
tool_audit_search_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	return tool_audit_query(hc, args, "asc", tool_arg_int(args, "limit",
	    TOOL_AUDIT_LIMIT_DEFAULT), tool_arg_str(args, "cursor"), out, err);
}

static char *
tool_audit_render(const json_t *out)
{
	static const char *const keys[] = { "time", "principal", "action", "resource",
		"decision", "reason", "client", "request_id" };
	const json_t *rec;
	struct tool_text t;
	size_t i, k;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "records"), i, rec) {
		fprintf(t.f, "#%lld", tool_int(rec, "seq"));
		for (k = 0; k < BOS_ARRAY_LEN(keys); k++) {
			fputc(' ', t.f);
			tool_text_clean(t.f, tool_str(rec, keys[k]));
		}
		fputc('\n', t.f);
	}
	if (json_is_string(json_object_get(out, "next_cursor")))
		fprintf(t.f, "more: next_cursor %s\n", tool_str(out, "next_cursor"));
	tool_text_none(t.f, json_object_get(out, "records"), "no audit records");
	return tool_text_close(&t);
}

char *
tool_audit_tail_render(const json_t *out)
{
	return tool_audit_render(out);
}

char *
tool_audit_search_render(const json_t *out)
{
	return tool_audit_render(out);
}
