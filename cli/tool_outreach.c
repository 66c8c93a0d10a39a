/*
 * The outreach tools: contact lists, the suppression list and the stats
 * (docs/OUTREACH.md "Contacts and lists", "Events"). The lists are the
 * business's contacts: no tool reads them back in bulk (outreach_lists
 * gives names and counts only), and the import answers with counts, or
 * with the rows the vault refused, never with the contacts it stored.
 * Nothing here removes a suppression: an unsubscribe stays in force
 * unless the admin lifts it outside the assistant's reach.
 */
#include <stdio.h>
#include <string.h>
#include "tool_impl.h"

#define TOOL_OUTREACH_PATH_MAX 512

static const struct tool_field fields_olist_f[] = {
	{ "id", TF_STR, NULL }, { "name", TF_STR, NULL }, { "contacts", TF_INT, NULL },
	{ "created_at", TF_STR | TF_NULL, NULL }, { "created_by", TF_STR | TF_NULL, NULL },
};
static const struct tool_fields fields_olist_fs = TOOL_FIELDS(fields_olist_f);

static const struct tool_field fields_supp_f[] = {
	{ "address", TF_STR, NULL }, { "channel", TF_STR, NULL }, { "reason", TF_STR, NULL },
	{ "source", TF_STR | TF_NULL, NULL }, { "created_at", TF_STR | TF_NULL, NULL },
};
static const struct tool_fields fields_supp_fs = TOOL_FIELDS(fields_supp_f);

static const struct tool_field fields_rates_f[] = {
	{ "delivered", TF_NUM | TF_INT | TF_NULL, NULL },
	{ "bounced", TF_NUM | TF_INT | TF_NULL, NULL },
	{ "opened", TF_NUM | TF_INT | TF_NULL, NULL },
	{ "clicked", TF_NUM | TF_INT | TF_NULL, NULL },
	{ "replied", TF_NUM | TF_INT | TF_NULL, NULL },
	{ "unsubscribed", TF_NUM | TF_INT | TF_NULL, NULL },
};
static const struct tool_fields fields_rates_fs = TOOL_FIELDS(fields_rates_f);
static const struct tool_field fields_stats_f[] = {
	{ "campaign", TF_STR | TF_NULL, NULL }, { "sent", TF_INT, NULL },
	{ "delivered", TF_INT, NULL }, { "bounced", TF_INT, NULL }, { "opened", TF_INT, NULL },
	{ "clicked", TF_INT, NULL }, { "replied", TF_INT, NULL },
	{ "unsubscribed", TF_INT, NULL }, { "complained", TF_INT, NULL },
	{ "failed", TF_INT, NULL }, { "rates", TF_OBJ, &fields_rates_fs },
};
static const struct tool_fields fields_stats_fs = TOOL_FIELDS(fields_stats_f);

/* ---- lists ---- */

int
tool_outreach_lists_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	(void)args;
	return tool_get_list(hc, "/outreach/lists", "lists", &fields_olist_fs, out, err);
}

static void
tool_olist_row(FILE *f, const json_t *l)
{
	fprintf(f, "%-29s %8lld contacts  created %s by %s  ", tool_str(l, "id"),
	    tool_int(l, "contacts"), tool_str(l, "created_at"), tool_str(l, "created_by"));
	tool_text_clean(f, tool_str(l, "name"));
	fputc('\n', f);
}

char *
tool_outreach_lists_render(const json_t *out)
{
	const json_t *l;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "lists"), i, l)
		tool_olist_row(t.f, l);
	tool_text_none(t.f, json_object_get(out, "lists"), "no contact lists");
	return tool_text_close(&t);
}

/* The id of the list named (or with the id) target, from GET /outreach/lists. */
static int
tool_olist_find(struct http_client *hc, const char *target, char *id, size_t n,
    struct bos_err *err)
{
	const json_t *l;
	struct http_resp resp;
	size_t i;
	int found = 0;

	if (http_client_call_ok(hc, "GET", "/outreach/lists", NULL, &resp, err) != 0)
		return -1;
	json_array_foreach(json_object_get(resp.json, "lists"), i, l) {
		if (found || !json_is_string(json_object_get(l, "id")))
			continue;
		if (strcmp(tool_str(l, "id"), target) == 0 || strcmp(tool_str(l, "name"), target) == 0)
			found = snprintf(id, n, "%s", tool_str(l, "id")) > 0;
	}
	http_resp_free(&resp);
	if (!found)
		return bos_err_set(err, BOS_E_NOTFOUND, "no contact list named '%s': import without "
		    "append to create it (see outreach_lists)", target);
	return 0;
}

/* s with control bytes as '?', appended to buf (size n) at *used when it fits whole. */
static int
tool_rows_add(char *buf, size_t n, size_t *used, const char *s)
{
	size_t k = strlen(s), i;

	if (*used + k + 1 > n)
		return -1;
	for (i = 0; i < k; i++)
		buf[*used + i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	*used += k;
	buf[*used] = '\0';
	return 0;
}

/*
 * 400 invalid_rows: "N rows are invalid; nothing was imported: row R (FIELD):
 * MESSAGE; ..." with as many rows as fit in an error message, then how many
 * more, so that the model (or the admin) can fix the data and try again.
 */
static int
tool_rows_error(const json_t *ans, struct bos_err *err)
{
	const json_t *rows = json_object_get(ans, "rows"), *r;
	char buf[sizeof(err->msg)], one[256];
	size_t used = 0, i, shown = 0, total;

	total = json_array_size(rows) + (size_t)(json_is_integer(json_object_get(ans, "more")) &&
	    json_integer_value(json_object_get(ans, "more")) > 0 ?
	    json_integer_value(json_object_get(ans, "more")) : 0);
	(void)snprintf(one, sizeof(one), "%zu row%s invalid; nothing was imported (fix them and "
	    "import again):", total, total == 1 ? " is" : "s are");
	(void)tool_rows_add(buf, sizeof(buf) - 48, &used, one);
	json_array_foreach(rows, i, r) {
		(void)snprintf(one, sizeof(one), " row %lld (%.32s): %.160s;", tool_int(r, "row"),
		    tool_str(r, "field"), tool_str(r, "message"));
		if (tool_rows_add(buf, sizeof(buf) - 48, &used, one) != 0)
			break;
		shown++;
	}
	if (shown < total) {
		(void)snprintf(one, sizeof(one), " and %zu more", total - shown);
		(void)tool_rows_add(buf, sizeof(buf), &used, one);
	}
	return bos_err_set(err, BOS_E_INVALID, "%s", buf);
}

/* The import's body: {name?, format, data | contacts}; NULL with err set. */
static json_t *
tool_import_body(const json_t *args, int append, struct bos_err *err)
{
	const char *format = tool_arg_str(args, "format"), *data = tool_arg_str(args, "data");
	json_t *contacts = json_object_get(args, "contacts"), *body;

	if ((data != NULL) == (contacts != NULL)) {
		bos_err_set(err, BOS_E_INVALID, "give data (CSV text, format csv) or contacts (an "
		    "array, format json), one of them");
		return NULL;
	}
	if (format == NULL)
		format = data != NULL ? "csv" : "json";
	if ((strcmp(format, "csv") == 0) != (data != NULL) || (strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0)) {
		bos_err_set(err, BOS_E_INVALID, "format csv takes data (CSV text with a header "
		    "line); format json takes contacts");
		return NULL;
	}
	/* An append names the list in its path, not in the body. */
	body = json_pack("{s:s, s:O}", "format", format, data != NULL ? "data" : "contacts",
	    json_object_get(args, data != NULL ? "data" : "contacts"));
	if (body != NULL && !append && json_object_set(body, "name",
	    json_object_get(args, "name")) != 0) {
		json_decref(body);
		body = NULL;
	}
	if (body == NULL)
		tool_nomem(err);
	return body;
}

/* The answer of a create (201) or an append (200): {list, imported, duplicates, appended}. */
static int
tool_import_answer(const struct http_resp *resp, const char *name, int append, json_t **out,
    struct bos_err *err)
{
	const json_t *l = json_object_get(resp->json, "list");
	const json_t *err_o = json_object_get(resp->json, "error");

	if (resp->status == 400 && strcmp(tool_str(err_o, "code"), "invalid_rows") == 0)
		return tool_rows_error(resp->json, err);
	if (resp->status == 409 && strcmp(tool_str(err_o, "code"), "exists") == 0)
		return bos_err_set(err, BOS_E_INVALID, "a contact list named '%s' exists: give "
		    "append: true to add the contacts to it, or another name", name);
	if (resp->status == 413)
		return bos_err_set(err, BOS_E_INVALID, "the contacts are more than the vault takes in "
		    "one request (its body_max_bytes): import them in parts, the first creating the "
		    "list and the others with append: true");
	if (http_resp_check(resp, err) != 0)
		return -1;
	if (!json_is_object(l))
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer is not a contact list");
	*out = json_pack("{s:o, s:I, s:I, s:b}", "list", tool_pick(l, &fields_olist_fs),
	    "imported", (json_int_t)tool_int(resp->json, "imported"), "duplicates",
	    (json_int_t)tool_int(resp->json, "duplicates"), "appended", append);
	return *out != NULL ? 0 : tool_nomem(err);
}

int
tool_outreach_list_import_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	const char *name = tool_arg_str(args, "name");
	int append = tool_arg_bool(args, "append"), r;
	char path[TOOL_OUTREACH_PATH_MAX], id[128];
	struct http_resp resp;
	json_t *body;

	*out = NULL;
	if (name == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give the list's name");
	if ((body = tool_import_body(args, append, err)) == NULL)
		return -1;
	r = 0;
	if (append)
		r = tool_olist_find(hc, name, id, sizeof(id), err) != 0 ||
		    tool_path(path, sizeof(path), "/outreach/lists", id, "/contacts", "list id",
		    err) != 0 ? -1 : 0;
	else
		(void)snprintf(path, sizeof(path), "/outreach/lists");
	if (r == 0)
		r = http_client_call(hc, "POST", path, body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	r = tool_import_answer(&resp, name, append, out, err);
	http_resp_free(&resp);
	return r;
}

char *
tool_outreach_list_import_render(const json_t *out)
{
	const json_t *l = json_object_get(out, "list");
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	fprintf(t.f, "%s %lld contacts (%lld duplicates skipped): list %s now has %lld contacts: ",
	    json_is_true(json_object_get(out, "appended")) ? "appended" : "imported",
	    tool_int(out, "imported"), tool_int(out, "duplicates"), tool_str(l, "id"),
	    tool_int(l, "contacts"));
	tool_text_clean(t.f, tool_str(l, "name"));
	fputc('\n', t.f);
	return tool_text_close(&t);
}

/* ---- suppressions ---- */

int
tool_outreach_suppressions_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	const char *ch = tool_arg_str(args, "channel"), *cursor = tool_arg_str(args, "cursor");
	long long limit = tool_arg_int(args, "limit", 100);
	char path[TOOL_OUTREACH_PATH_MAX];
	struct http_resp resp;
	const json_t *next;
	json_t *arr;
	int k, r;

	*out = NULL;
	if (ch != NULL && strcmp(ch, "email") != 0 && strcmp(ch, "sms") != 0)
		return bos_err_set(err, BOS_E_INVALID, "channel is email or sms");
	if (limit < 1 || limit > 1000)
		return bos_err_set(err, BOS_E_INVALID, "limit is 1 to 1000");
	/* The vault's cursor is a decimal number: nothing else goes into the URL. */
	if (cursor != NULL && (cursor[0] == '\0' || strlen(cursor) > 18 ||
	    strspn(cursor, "0123456789") != strlen(cursor)))
		return bos_err_set(err, BOS_E_INVALID, "cursor is the next of the page before");
	k = snprintf(path, sizeof(path), "/outreach/suppressions?limit=%lld%s%s%s%s", limit,
	    ch != NULL ? "&channel=" : "", ch != NULL ? ch : "", cursor != NULL ? "&cursor=" : "",
	    cursor != NULL ? cursor : "");
	if (k < 0 || (size_t)k >= sizeof(path))
		return bos_err_set(err, BOS_E_INVALID, "the query is too long");
	if (http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	r = tool_pick_list(resp.json, "suppressions", &fields_supp_fs, &arr, err);
	next = json_object_get(resp.json, "next");
	if (r == 0)
		*out = json_pack("{s:o, s:O}", "suppressions", arr, "next", json_is_string(next) ?
		    next : json_null());
	http_resp_free(&resp);
	if (r != 0)
		return -1;
	return *out != NULL ? 0 : tool_nomem(err);
}

static void
tool_supp_row(FILE *f, const json_t *s)
{
	fprintf(f, "%-5s %-12s %-10s %s  ", tool_str(s, "channel"), tool_str(s, "reason"),
	    tool_str(s, "source"), tool_str(s, "created_at"));
	tool_text_clean(f, tool_str(s, "address"));
	fputc('\n', f);
}

char *
tool_outreach_suppressions_render(const json_t *out)
{
	const json_t *s;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "suppressions"), i, s)
		tool_supp_row(t.f, s);
	tool_text_none(t.f, json_object_get(out, "suppressions"), "no suppressed addresses");
	if (json_is_string(json_object_get(out, "next")))
		fprintf(t.f, "more: give cursor %s for the next page\n", tool_str(out, "next"));
	return tool_text_close(&t);
}

int
tool_outreach_suppress_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	const char *addr = tool_arg_str(args, "address"), *ch = tool_arg_str(args, "channel");
	struct http_resp resp;
	const json_t *s;
	json_t *body;
	int r;

	*out = NULL;
	if (addr == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give the address (an e-mail address or a "
		    "phone number in E.164, +15551234567)");
	if (ch != NULL && strcmp(ch, "email") != 0 && strcmp(ch, "sms") != 0)
		return bos_err_set(err, BOS_E_INVALID, "channel is email or sms");
	body = ch != NULL ? json_pack("{s:s, s:s}", "address", addr, "channel", ch) :
	    json_pack("{s:s}", "address", addr);
	if (body == NULL)
		return tool_nomem(err);
	r = http_client_call_ok(hc, "POST", "/outreach/suppressions", body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	/* {suppression: {...}} or the suppression itself: the contract leaves it open. */
	s = json_object_get(resp.json, "suppression");
	if (!json_is_object(s))
		s = resp.json;
	if (!json_is_string(json_object_get(s, "address"))) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer is not a suppression");
	}
	*out = json_pack("{s:o, s:b}", "suppression", tool_pick(s, &fields_supp_fs), "created",
	    resp.status == 201);
	http_resp_free(&resp);
	return *out != NULL ? 0 : tool_nomem(err);
}

char *
tool_outreach_suppress_render(const json_t *out)
{
	const json_t *s = json_object_get(out, "suppression");
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	fputs(json_is_true(json_object_get(out, "created")) ? "suppressed " :
	    "already suppressed ", t.f);
	tool_text_clean(t.f, tool_str(s, "address"));
	fprintf(t.f, " (%s, %s): nothing is sent to it on that channel\n", tool_str(s, "channel"),
	    tool_str(s, "reason"));
	return tool_text_close(&t);
}

/* ---- stats ---- */

int
tool_outreach_stats_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	const char *cp = tool_arg_str(args, "campaign");
	char path[TOOL_OUTREACH_PATH_MAX], *e;
	struct http_resp resp;
	const json_t *many;
	json_t *arr;
	int k, r;

	*out = NULL;
	if (cp == NULL) {
		(void)snprintf(path, sizeof(path), "/outreach/stats");
	} else {
		if ((e = http_client_escape(cp)) == NULL)
			return tool_nomem(err);
		k = snprintf(path, sizeof(path), "/outreach/stats?campaign=%s", e);
		http_client_free_str(e);
		if (k < 0 || (size_t)k >= sizeof(path))
			return bos_err_set(err, BOS_E_INVALID, "the campaign id is too long");
	}
	if (http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	/* One object (docs/OUTREACH.md); a list of them under "campaigns" is read too. */
	many = json_object_get(resp.json, "campaigns");
	if (json_is_array(many)) {
		r = tool_pick_list(resp.json, "campaigns", &fields_stats_fs, &arr, err);
	} else {
		arr = json_array();
		r = arr == NULL || json_array_append_new(arr, tool_pick(resp.json,
		    &fields_stats_fs)) != 0 ? tool_nomem(err) : 0;
	}
	http_resp_free(&resp);
	if (r != 0) {
		json_decref(arr);
		return -1;
	}
	return tool_wrap("stats", arr, out, err);
}

/* A rate as a percentage, "-" when null (nothing sent). */
static void
tool_rate(FILE *f, const char *what, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "  %s %.2f %%", what, json_number_value(v) * 100.0);
	else
		fprintf(f, "  %s -", what);
}

char *
tool_outreach_stats_render(const json_t *out)
{
	static const char *const counts[] = { "sent", "delivered", "bounced", "opened",
		"clicked", "replied", "unsubscribed", "complained", "failed" };
	static const char *const rates[] = { "delivered", "opened", "clicked", "replied",
		"unsubscribed", "bounced" };
	const json_t *s, *rt;
	struct tool_text t;
	size_t i, k;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "stats"), i, s) {
		fprintf(t.f, "%s\n ", json_is_string(json_object_get(s, "campaign")) ?
		    tool_str(s, "campaign") : "all campaigns");
		for (k = 0; k < BOS_ARRAY_LEN(counts); k++)
			fprintf(t.f, " %s %lld", counts[k], tool_int(s, counts[k]));
		fputs("\n ", t.f);
		rt = json_object_get(s, "rates");
		for (k = 0; k < BOS_ARRAY_LEN(rates); k++)
			tool_rate(t.f, rates[k], json_object_get(rt, rates[k]));
		fputc('\n', t.f);
	}
	tool_text_none(t.f, json_object_get(out, "stats"), "no campaigns");
	return tool_text_close(&t);
}
