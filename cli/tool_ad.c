/*
 * The ad tools: create a Meta ad (one campaign, ad set, creative and ad),
 * list, show, pause and resume one (docs/ADS.md). The vault decides the
 * money (an ad's daily budget is never above what the BOS budgets of meta
 * and total leave; a raise of a budget needs the admin's approval) and the
 * states; a broker makes the calls at Meta. A tool only asks, and copies
 * the ad's known fields back: credential is an id, never a secret.
 */
#include <stdio.h>
#include <string.h>
#include "tool_impl.h"

#define TOOL_AD_PATH_MAX 256

static const struct tool_field fields_amount_f[] = {
	{ "amount", TF_INT, NULL }, { "currency", TF_STR, NULL },
};
static const struct tool_fields fields_amount_fs = TOOL_FIELDS(fields_amount_f);
static const struct tool_field fields_meta_f[] = {
	{ "campaign", TF_STR | TF_NULL, NULL }, { "adset", TF_STR | TF_NULL, NULL },
	{ "creative", TF_STR | TF_NULL, NULL }, { "ad", TF_STR | TF_NULL, NULL },
};
static const struct tool_fields fields_meta_fs = TOOL_FIELDS(fields_meta_f);
/* spent_today: {amount, currency} as spent is; a bare integer (minor units) is taken too. */
static const struct tool_field fields_ad_f[] = {
	{ "id", TF_STR, NULL }, { "name", TF_STR, NULL }, { "provider", TF_STR, NULL },
	{ "credential", TF_STR | TF_NULL, NULL }, { "account", TF_STR, NULL },
	{ "post", TF_STR, NULL }, { "objective", TF_STR, NULL }, { "countries", TF_STRS, NULL },
	{ "special_ad_categories", TF_STRS, NULL },
	{ "daily_budget", TF_OBJ, &fields_amount_fs }, { "state", TF_STR, NULL },
	{ "pause_reason", TF_STR | TF_NULL, NULL }, { "meta", TF_OBJ, &fields_meta_fs },
	{ "spent", TF_OBJ, &fields_amount_fs },
	{ "spent_today", TF_OBJ | TF_INT, &fields_amount_fs },
	{ "error", TF_STR | TF_NULL, NULL }, { "created_at", TF_STR | TF_NULL, NULL },
	{ "updated_at", TF_STR | TF_NULL, NULL }, { "created_by", TF_STR | TF_NULL, NULL },
};
static const struct tool_fields fields_ad_fs = TOOL_FIELDS(fields_ad_f);

/* {ad: ans.ad picked}. */
static int
ad_answer(const json_t *ans, json_t **out, struct bos_err *err)
{
	const json_t *a = json_object_get(ans, "ad");

	if (!json_is_object(a) || !json_is_string(json_object_get(a, "id")))
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer is not an ad");
	return tool_wrap("ad", tool_pick(a, &fields_ad_fs), out, err);
}

int
tool_ad_create_run(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	static const char *const keys[] = { "name", "credential", "account", "post",
		"daily_budget", "countries", "objective", "special_ad_categories" };
	const json_t *d = json_object_get(args, "daily_budget");
	struct http_resp resp;
	json_t *body, *v;
	size_t i;
	int r = 0;

	*out = NULL;
	for (i = 0; i < 4; i++)
		if (tool_arg_str(args, keys[i]) == NULL)
			return bos_err_set(err, BOS_E_INVALID, "give name, credential (the meta "
			    "credential's id or name), account (act_...) and post (PAGEID_POSTID)");
	if (!json_is_integer(json_object_get(d, "amount")) ||
	    !json_is_string(json_object_get(d, "currency")) ||
	    !json_is_array(json_object_get(args, "countries")))
		return bos_err_set(err, BOS_E_INVALID, "give daily_budget {amount (minor units: 5000 "
		    "is 50.00 USD), currency} and countries ([\"US\", ...])");
	if ((body = json_object()) == NULL)
		return tool_nomem(err);
	for (i = 0; i < BOS_ARRAY_LEN(keys); i++)
		if ((v = json_object_get(args, keys[i])) != NULL)
			r |= json_object_set(body, keys[i], v);
	if (r == 0)
		r = http_client_call_ok(hc, "POST", "/outreach/ad", body, &resp, err);
	else
		r = tool_nomem(err);
	json_decref(body);
	if (r != 0)
		return -1;
	r = ad_answer(resp.json, out, err);
	http_resp_free(&resp);
	return r;
}

/* "12.34 USD" of an {amount, currency} (or of minor units in cur), in buf. */
static const char *
ad_money(const json_t *m, const char *cur, char buf[TOOL_AMOUNT_SIZE + 8])
{
	char a[TOOL_AMOUNT_SIZE];

	if (json_is_object(m)) {
		cur = tool_str(m, "currency");
		m = json_object_get(m, "amount");
	}
	if (!json_is_integer(m))
		return "-";
	(void)snprintf(buf, TOOL_AMOUNT_SIZE + 8, "%s %.3s", tool_amount(m, cur, a), cur);
	return buf;
}

/* The ad's currency: its daily budget's. */
static const char *
ad_currency(const json_t *a)
{
	return tool_str(json_object_get(a, "daily_budget"), "currency");
}

/* One line: id, state, daily budget, spent today, spent, name (cleaned, last). */
static void
ad_row(FILE *f, const json_t *a)
{
	char d[TOOL_AMOUNT_SIZE + 8], t[TOOL_AMOUNT_SIZE + 8], s[TOOL_AMOUNT_SIZE + 8];
	const char *cur = ad_currency(a);

	fprintf(f, "%-29s %-9s daily %14s  today %14s  spent %14s  ", tool_str(a, "id"),
	    tool_str(a, "state"), ad_money(json_object_get(a, "daily_budget"), cur, d),
	    ad_money(json_object_get(a, "spent_today"), cur, t),
	    ad_money(json_object_get(a, "spent"), cur, s));
	tool_text_clean(f, tool_str(a, "name"));
	fputc('\n', f);
}

/* A list of strings as "US, CA" ("-" when empty). */
static void
ad_strs(FILE *f, const json_t *l)
{
	const json_t *v;
	size_t i;

	json_array_foreach(l, i, v) {
		fputs(i > 0 ? ", " : "", f);
		tool_text_clean(f, json_string_value(v));
	}
	if (json_array_size(l) == 0)
		fputc('-', f);
}

/* The whole ad as key: value lines. */
static void
ad_lines(FILE *f, const json_t *a)
{
	static const char *const strs[] = { "id", "name", "state", "pause_reason", "provider",
		"credential", "account", "post", "objective" };
	static const char *const metas[] = { "campaign", "adset", "creative", "ad" };
	static const char *const tail[] = { "error", "created_at", "created_by", "updated_at" };
	const char *cur = ad_currency(a);
	char m[TOOL_AMOUNT_SIZE + 8];
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(strs); i++) {
		fprintf(f, "%s: ", strs[i]);
		tool_text_clean(f, tool_str(a, strs[i]));
		fputc('\n', f);
	}
	fputs("countries: ", f);
	ad_strs(f, json_object_get(a, "countries"));
	fputs("\nspecial_ad_categories: ", f);
	ad_strs(f, json_object_get(a, "special_ad_categories"));
	fprintf(f, "\ndaily_budget: %s\n", ad_money(json_object_get(a, "daily_budget"), cur, m));
	fprintf(f, "spent_today: %s\n", ad_money(json_object_get(a, "spent_today"), cur, m));
	fprintf(f, "spent: %s\n", ad_money(json_object_get(a, "spent"), cur, m));
	for (i = 0; i < BOS_ARRAY_LEN(metas); i++) {
		fprintf(f, "meta_%s: ", metas[i]);
		tool_text_clean(f, tool_str(json_object_get(a, "meta"), metas[i]));
		fputc('\n', f);
	}
	for (i = 0; i < BOS_ARRAY_LEN(tail); i++) {
		fprintf(f, "%s: ", tail[i]);
		tool_text_clean(f, tool_str(a, tail[i]));
		fputc('\n', f);
	}
}

char *
tool_ad_create_render(const json_t *out)
{
	const json_t *a = json_object_get(out, "ad");
	char m[TOOL_AMOUNT_SIZE + 8];
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	fprintf(t.f, "ad %s is %s: daily budget %s, countries ", tool_str(a, "id"),
	    tool_str(a, "state"), ad_money(json_object_get(a, "daily_budget"), ad_currency(a), m));
	ad_strs(t.f, json_object_get(a, "countries"));
	fprintf(t.f, "\na broker makes it at Meta (paused until all of it is made); follow it with "
	    "'bosctl outreach ad show %s'\n", tool_str(a, "id"));
	return tool_text_close(&t);
}

int
tool_ad_list_run(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	(void)args;
	return tool_get_list(hc, "/outreach/ads", "ads", &fields_ad_fs, out, err);
}

char *
tool_ad_list_render(const json_t *out)
{
	const json_t *a;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "ads"), i, a)
		ad_row(t.f, a);
	tool_text_none(t.f, json_object_get(out, "ads"), "no ads");
	return tool_text_close(&t);
}

/* METHOD /outreach/ads/ID[suffix]: {ad}. */
static int
ad_call(struct http_client *hc, const char *method, const json_t *args, const char *suffix,
    json_t **out, struct bos_err *err)
{
	char path[TOOL_AD_PATH_MAX];
	struct http_resp resp;
	int r;

	*out = NULL;
	if (tool_arg_str(args, "id") == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give the ad's id (ad_...; see ad_list)");
	if (tool_path(path, sizeof(path), "/outreach/ads", tool_arg_str(args, "id"), suffix,
	    "ad id", err) != 0 || http_client_call_ok(hc, method, path, NULL, &resp, err) != 0)
		return -1;
	r = ad_answer(resp.json, out, err);
	http_resp_free(&resp);
	return r;
}

int
tool_ad_show_run(struct http_client *hc, const json_t *args, json_t **out, struct bos_err *err)
{
	return ad_call(hc, "GET", args, "", out, err);
}

char *
tool_ad_show_render(const json_t *out)
{
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	ad_lines(t.f, json_object_get(out, "ad"));
	return tool_text_close(&t);
}

#define AD_MOVE(verb, what) \
	int \
	tool_ad_##verb##_run(struct http_client *hc, const json_t *args, json_t **out, \
	    struct bos_err *err) \
	{ \
		return ad_call(hc, "POST", args, "/" #verb, out, err); \
	} \
	char * \
	tool_ad_##verb##_render(const json_t *out) \
	{ \
		const json_t *a = json_object_get(out, "ad"); \
		struct tool_text t; \
		if (tool_text_open(&t) != 0) \
			return NULL; \
		fprintf(t.f, "ad %s is %s: " what "; 'bosctl outreach ad show %s' tells when it is " \
		    "done\n", tool_str(a, "id"), tool_str(a, "state"), tool_str(a, "id")); \
		return tool_text_close(&t); \
	}
AD_MOVE(pause, "a broker pauses its campaign at Meta")
AD_MOVE(resume, "a broker turns its campaign on again at Meta")
