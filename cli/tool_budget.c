/*
 * The budget tools: budgets_get, budget_set, budget_resume, spend_report
 * (docs/BROKERS.md "Spend and budgets"). Amounts are integers of the
 * currency's minor unit, as the API speaks them. A widening set and every
 * resume may answer 202 with an approval (docs/MCP.md): that is a success
 * that changed nothing yet, and says what the admin must do.
 */
#include <stdio.h>
#include <string.h>
#include "currency.h"
#include "tool_impl.h"

#define TOOL_BUDGET_PATH_MAX 256

static const struct tool_field fields_resumed_f[] = {
	{ "daily", TF_BOOL, NULL }, { "monthly", TF_BOOL, NULL },
};
static const struct tool_fields fields_resumed_fs = TOOL_FIELDS(fields_resumed_f);
static const struct tool_field fields_budget_f[] = {
	{ "service", TF_STR, NULL }, { "currency", TF_STR, NULL },
	{ "daily", TF_INT | TF_NULL, NULL }, { "monthly", TF_INT | TF_NULL, NULL },
	{ "spent_today", TF_INT, NULL }, { "spent_this_month", TF_INT, NULL },
	{ "day_percent", TF_INT | TF_NULL, NULL }, { "month_percent", TF_INT | TF_NULL, NULL },
	{ "state", TF_STR, NULL }, { "resumed", TF_OBJ, &fields_resumed_fs },
	{ "updated_by", TF_STR | TF_NULL, NULL }, { "updated_at", TF_STR | TF_NULL, NULL },
};
static const struct tool_fields fields_budget_fs = TOOL_FIELDS(fields_budget_f);

static const struct tool_field fields_cost_f[] = {
	{ "service", TF_STR, NULL }, { "currency", TF_STR | TF_NULL, NULL },
	{ "spent", TF_INT | TF_NULL, NULL }, { "daily_budget", TF_INT | TF_NULL, NULL },
	{ "monthly_budget", TF_INT | TF_NULL, NULL }, { "percent", TF_INT | TF_NULL, NULL },
	{ "state", TF_STR, NULL },
};
static const struct tool_fields fields_cost_fs = TOOL_FIELDS(fields_cost_f);

/* What each campaign spent in the range (docs/OUTREACH.md "Cost"). */
static const struct tool_field fields_cost_campaign_f[] = {
	{ "id", TF_STR, NULL }, { "provider", TF_STR, NULL }, { "currency", TF_STR | TF_NULL, NULL },
	{ "messages", TF_INT, NULL }, { "spent_micros", TF_INT, NULL },
	{ "spent", TF_INT | TF_NULL, NULL },
};
static const struct tool_fields fields_cost_campaign_fs = TOOL_FIELDS(fields_cost_campaign_f);

const char *
tool_amount(const json_t *amount, const char *currency, char out[TOOL_AMOUNT_SIZE])
{
	if (!json_is_integer(amount))
		return "-";
	if (currency_format(json_integer_value(amount), currency_exponent(currency), out,
	    TOOL_AMOUNT_SIZE) != 0)
		(void)snprintf(out, TOOL_AMOUNT_SIZE, "%lld", (long long)json_integer_value(amount));
	return out;
}

int
tool_budgets_get_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	(void)args;
	return tool_get_list(hc, "/budgets", "budgets", &fields_budget_fs, out, err);
}

void
tool_budget_row(FILE *f, const json_t *b)
{
	const char *cur = tool_str(b, "currency");
	const json_t *res = json_object_get(b, "resumed");
	char d[TOOL_AMOUNT_SIZE], m[TOOL_AMOUNT_SIZE], sd[TOOL_AMOUNT_SIZE], sm[TOOL_AMOUNT_SIZE];

	fprintf(f, "%-16s %-3s daily %12s spent %12s   monthly %12s spent %12s   %s%s\n",
	    tool_str(b, "service"), cur, tool_amount(json_object_get(b, "daily"), cur, d),
	    tool_amount(json_object_get(b, "spent_today"), cur, sd),
	    tool_amount(json_object_get(b, "monthly"), cur, m),
	    tool_amount(json_object_get(b, "spent_this_month"), cur, sm), tool_str(b, "state"),
	    json_is_true(json_object_get(res, "daily")) ||
	    json_is_true(json_object_get(res, "monthly")) ? " (resumed)" : "");
}

char *
tool_budgets_get_render(const json_t *out)
{
	const json_t *b;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "budgets"), i, b)
		tool_budget_row(t.f, b);
	tool_text_none(t.f, json_object_get(out, "budgets"), "no budgets");
	return tool_text_close(&t);
}

/* 200: {status: applied, budget}; 202: {status: pending_approval, approval, next}. */
static int
tool_budget_answer(struct http_resp *resp, json_t **out, struct bos_err *err)
{
	const json_t *ap = json_object_get(resp->json, "approval");
	char next[256];
	int r;

	*out = NULL;
	if (http_resp_check(resp, err) != 0) {
		http_resp_free(resp);
		return -1;
	}
	if (resp->status == 202 && json_is_object(ap)) {
		(void)snprintf(next, sizeof(next), "ask the admin to run 'bosctl approve %s' in a "
		    "terminal", tool_str(ap, "id"));
		*out = json_pack("{s:s, s:o, s:s}", "status", "pending_approval", "approval",
		    tool_pick(ap, &tool_approval_fields), "next", next);
	} else if (resp->status == 200 && json_is_object(resp->json)) {
		*out = json_pack("{s:s, s:o}", "status", "applied", "budget",
		    tool_pick(resp->json, &fields_budget_fs));
	} else {
		r = bos_err_set(err, BOS_E_INVALID, "the vault's answer (HTTP %ld) is neither a "
		    "budget nor an approval", resp->status);
		http_resp_free(resp);
		return r;
	}
	r = *out != NULL ? 0 : tool_nomem(err);
	http_resp_free(resp);
	return r;
}

/* "/budgets/SERVICE[suffix]" and the call; the answer as tool_budget_answer makes it. */
static int
tool_budget_call(struct http_client *hc, const char *method, const json_t *args,
    const char *suffix, const json_t *body, json_t **out, struct bos_err *err)
{
	char path[TOOL_BUDGET_PATH_MAX];
	struct http_resp resp;

	*out = NULL;
	if (tool_arg_str(args, "service") == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give the service (or total)");
	if (tool_path(path, sizeof(path), "/budgets", tool_arg_str(args, "service"), suffix,
	    "service name", err) != 0 ||
	    http_client_call(hc, method, path, body, &resp, err) != 0)
		return -1;
	return tool_budget_answer(&resp, out, err);
}

int
tool_budget_set_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	json_t *d = json_object_get(args, "daily"), *m = json_object_get(args, "monthly");
	json_t *body;
	int bad = 0, r;

	*out = NULL;
	if (tool_arg_str(args, "currency") == NULL || (!json_is_integer(d) && !json_is_integer(m)))
		return bos_err_set(err, BOS_E_INVALID, "give currency and daily, monthly or both "
		    "(in minor units: 5000 is 50.00 USD)");
	if ((body = json_pack("{s:s}", "currency", tool_arg_str(args, "currency"))) == NULL)
		return tool_nomem(err);
	if (json_is_integer(d))
		bad |= json_object_set(body, "daily", d);
	if (json_is_integer(m))
		bad |= json_object_set(body, "monthly", m);
	r = bad ? tool_nomem(err) : tool_budget_call(hc, "PUT", args, "", body, out, err);
	json_decref(body);
	return r;
}

int
tool_budget_resume_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	return tool_budget_call(hc, "POST", args, "/resume", NULL, out, err);
}

char *
tool_budget_change_render(const json_t *out)
{
	const json_t *ap = json_object_get(out, "approval");
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	if (strcmp(tool_str(out, "status"), "pending_approval") == 0) {
		fprintf(t.f, "pending approval %s: run 'bosctl approve %s'", tool_str(ap, "id"),
		    tool_str(ap, "id"));
		if (json_is_string(json_object_get(ap, "summary"))) {
			fputs(" (", t.f);
			tool_text_clean(t.f, tool_str(ap, "summary"));
			fputc(')', t.f);
		}
		fputc('\n', t.f);
	} else {
		tool_budget_row(t.f, json_object_get(out, "budget"));
	}
	return tool_text_close(&t);
}

/* ---- spend ---- */

/* Only digits and dashes go into the URL; the vault checks the days. */
static int
tool_day_ok(const char *s)
{
	return s == NULL || strspn(s, "0123456789-") == strlen(s);
}

static int
tool_cost_path(const json_t *args, char *out, size_t cap, struct bos_err *err)
{
	const char *day = tool_arg_str(args, "day"), *from = tool_arg_str(args, "from");
	const char *to = tool_arg_str(args, "to");
	int k;

	if (day != NULL && (from != NULL || to != NULL))
		return bos_err_set(err, BOS_E_INVALID, "give day, or from and to");
	if ((from == NULL) != (to == NULL))
		return bos_err_set(err, BOS_E_INVALID, "from and to go together");
	if (!tool_day_ok(day) || !tool_day_ok(from) || !tool_day_ok(to))
		return bos_err_set(err, BOS_E_INVALID, "days are YYYY-MM-DD");
	if (day != NULL)
		k = snprintf(out, cap, "/outreach/cost?day=%s", day);
	else if (from != NULL)
		k = snprintf(out, cap, "/outreach/cost?from=%s&to=%s", from, to);
	else
		k = snprintf(out, cap, "/outreach/cost");
	return k < 0 || (size_t)k >= cap ? bos_err_set(err, BOS_E_INVALID, "days are "
	    "YYYY-MM-DD") : 0;
}

/* The cost answer's fields: from, to, services, total. */
int
tool_spend_pick(const json_t *ans, json_t **out, struct bos_err *err)
{
	const json_t *total = json_object_get(ans, "total");
	json_t *services;

	*out = NULL;
	if (tool_pick_list(ans, "services", &fields_cost_fs, &services, err) != 0)
		return -1;
	*out = json_pack("{s:o}", "services", services);
	if (*out != NULL && json_is_string(json_object_get(ans, "from")))
		json_object_set(*out, "from", json_object_get(ans, "from"));
	if (*out != NULL && json_is_string(json_object_get(ans, "to")))
		json_object_set(*out, "to", json_object_get(ans, "to"));
	if (*out != NULL && json_is_object(total) &&
	    json_object_set_new(*out, "total", tool_pick(total, &fields_cost_fs)) != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return *out != NULL ? 0 : tool_nomem(err);
}

int
tool_spend_report_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	char path[TOOL_BUDGET_PATH_MAX];
	struct http_resp resp;
	json_t *camps;
	int r;

	*out = NULL;
	if (tool_cost_path(args, path, sizeof(path), err) != 0 ||
	    http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	r = tool_spend_pick(resp.json, out, err);
	/* The campaigns' lines when the vault has outreach (not in status's spend_today). */
	if (r == 0 && json_is_array(json_object_get(resp.json, "campaigns"))) {
		if (tool_pick_list(resp.json, "campaigns", &fields_cost_campaign_fs, &camps, err) != 0 ||
		    json_object_set_new(*out, "campaigns", camps) != 0) {
			json_decref(*out);
			*out = NULL;
			r = tool_nomem(err);
		}
	}
	http_resp_free(&resp);
	return r;
}

static void
tool_cost_row(FILE *f, const json_t *e, const char *name)
{
	const char *cur = tool_str(e, "currency");
	char s[TOOL_AMOUNT_SIZE], d[TOOL_AMOUNT_SIZE], m[TOOL_AMOUNT_SIZE], p[16] = "-";
	const json_t *pct = json_object_get(e, "percent");

	if (json_is_integer(pct))
		(void)snprintf(p, sizeof(p), "%lld %%", (long long)json_integer_value(pct));
	fprintf(f, "%-16s %-3s spent %12s   daily %12s   monthly %12s   %7s  %s\n",
	    name != NULL ? name : tool_str(e, "service"), cur,
	    tool_amount(json_object_get(e, "spent"), cur, s),
	    tool_amount(json_object_get(e, "daily_budget"), cur, d),
	    tool_amount(json_object_get(e, "monthly_budget"), cur, m), p, tool_str(e, "state"));
}

char *
tool_spend_report_render(const json_t *out)
{
	const json_t *e;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	fprintf(t.f, "cost from %s to %s (UTC)\n", tool_str(out, "from"), tool_str(out, "to"));
	json_array_foreach(json_object_get(out, "services"), i, e)
		tool_cost_row(t.f, e, NULL);
	tool_cost_row(t.f, json_object_get(out, "total"), "total");
	json_array_foreach(json_object_get(out, "campaigns"), i, e) {
		fprintf(t.f, "campaign %-29s %-9s %6lld messages  spent %lld.%06lld %s\n",
		    tool_str(e, "id"), tool_str(e, "provider"), tool_int(e, "messages"),
		    tool_int(e, "spent_micros") / 1000000, tool_int(e, "spent_micros") % 1000000,
		    tool_str(e, "currency"));
	}
	return tool_text_close(&t);
}
