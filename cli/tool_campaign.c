/*
 * The campaign tools: create an email or SMS campaign, list, show, and
 * move one through its states (docs/OUTREACH.md "Campaigns"). The vault
 * renders, rate-limits, enforces the suppression list and the budgets; a
 * tool only asks. No campaign carries a secret: credential is an id.
 */
#include <stdio.h>
#include <string.h>
#include "tool_impl.h"

#define TOOL_CAMPAIGN_PATH_MAX 256

static const struct tool_field fields_money_f[] = {
	{ "micros", TF_INT, NULL }, { "currency", TF_STR | TF_NULL, NULL },
};
static const struct tool_fields fields_money_fs = TOOL_FIELDS(fields_money_f);

#define CAMPAIGN_FIELDS \
	{ "id", TF_STR, NULL }, { "channel", TF_STR, NULL }, { "list", TF_STR, NULL }, \
	{ "provider", TF_STR, NULL }, { "credential", TF_STR | TF_NULL, NULL }, \
	{ "from", TF_STR, NULL }, { "subject", TF_STR | TF_NULL, NULL }, \
	{ "per_minute", TF_INT, NULL }, { "state", TF_STR, NULL }, \
	{ "recipients", TF_INT, NULL }, { "skipped", TF_INT, NULL }, \
	{ "suppressed", TF_INT, NULL }, { "queued", TF_INT, NULL }, { "sent", TF_INT, NULL }, \
	{ "failed", TF_INT, NULL }, { "unknown", TF_INT, NULL }, { "cancelled", TF_INT, NULL }, \
	{ "price", TF_OBJ, &fields_money_fs }, { "spent", TF_OBJ, &fields_money_fs }, \
	{ "created_at", TF_STR | TF_NULL, NULL }, { "created_by", TF_STR | TF_NULL, NULL }, \
	{ "updated_at", TF_STR | TF_NULL, NULL }, { "finished_at", TF_STR | TF_NULL, NULL }

static const struct tool_field fields_campaign_f[] = { CAMPAIGN_FIELDS };
static const struct tool_fields fields_campaign_fs = TOOL_FIELDS(fields_campaign_f);
/* campaign_show adds the bodies (the admin's own text, no contact's data). */
static const struct tool_field fields_campaign_full_f[] = {
	CAMPAIGN_FIELDS, { "text", TF_STR | TF_NULL, NULL }, { "html", TF_STR | TF_NULL, NULL },
	{ "body", TF_STR | TF_NULL, NULL },
};
static const struct tool_fields fields_campaign_full_fs = TOOL_FIELDS(fields_campaign_full_f);

static const char *const campaign_email_providers[] = { "smtp", "sendgrid", "mailgun", "ses" };
static const char *const campaign_sms_providers[] = { "twilio", "plivo" };

static int
campaign_in(const char *s, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

/* {campaign: ans.campaign picked with fs}. */
static int
campaign_answer(const json_t *ans, const struct tool_fields *fs, json_t **out,
    struct bos_err *err)
{
	const json_t *c = json_object_get(ans, "campaign");

	if (!json_is_object(c) || !json_is_string(json_object_get(c, "id")))
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer is not a campaign");
	return tool_wrap("campaign", tool_pick(c, fs), out, err);
}

/* What the arguments mean together: the channel's fields, and nothing of the other's. */
static int
campaign_check(const json_t *args, int email, struct bos_err *err)
{
	const char *p = tool_arg_str(args, "provider");

	if (email && (tool_arg_str(args, "subject") == NULL || tool_arg_str(args, "text") == NULL))
		return bos_err_set(err, BOS_E_INVALID, "an email campaign needs subject and text "
		    "(html is optional)");
	if (email && json_object_get(args, "body") != NULL)
		return bos_err_set(err, BOS_E_INVALID, "body is for sms: an email has subject, text "
		    "and html");
	if (!email && tool_arg_str(args, "body") == NULL)
		return bos_err_set(err, BOS_E_INVALID, "an sms campaign needs body (1-1600 "
		    "characters)");
	if (!email && (json_object_get(args, "subject") != NULL || json_object_get(args,
	    "text") != NULL || json_object_get(args, "html") != NULL))
		return bos_err_set(err, BOS_E_INVALID, "subject, text and html are for email: an "
		    "sms has body");
	if (email && !campaign_in(p, campaign_email_providers,
	    BOS_ARRAY_LEN(campaign_email_providers)))
		return bos_err_set(err, BOS_E_INVALID, "an email provider is smtp, sendgrid, mailgun "
		    "or ses");
	if (!email && !campaign_in(p, campaign_sms_providers, BOS_ARRAY_LEN(campaign_sms_providers)))
		return bos_err_set(err, BOS_E_INVALID, "an sms provider is twilio or plivo");
	if (tool_arg_str(args, "list") == NULL || tool_arg_str(args, "from") == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give list (a contact list's id or name) and "
		    "from");
	return 0;
}

int
tool_campaign_create_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	static const char *const keys[] = { "list", "from", "subject", "text", "html", "body",
		"provider", "credential", "per_minute", "start" };
	const char *ch = tool_arg_str(args, "channel");
	struct http_resp resp;
	json_t *body, *v;
	size_t i;
	int email, r = 0;

	*out = NULL;
	if (ch == NULL || (strcmp(ch, "email") != 0 && strcmp(ch, "sms") != 0))
		return bos_err_set(err, BOS_E_INVALID, "channel is email or sms");
	email = strcmp(ch, "email") == 0;
	if (campaign_check(args, email, err) != 0)
		return -1;
	if ((body = json_object()) == NULL)
		return tool_nomem(err);
	for (i = 0; i < BOS_ARRAY_LEN(keys); i++)
		if ((v = json_object_get(args, keys[i])) != NULL)
			r |= json_object_set(body, keys[i], v);
	if (r == 0)
		r = http_client_call_ok(hc, "POST", email ? "/outreach/email" : "/outreach/sms", body,
		    &resp, err);
	else
		r = tool_nomem(err);
	json_decref(body);
	if (r != 0)
		return -1;
	r = campaign_answer(resp.json, &fields_campaign_fs, out, err);
	http_resp_free(&resp);
	return r;
}

/* Amount in micro-units as "0.0079 USD"; "-" without one. */
static void
campaign_money(FILE *f, const json_t *m)
{
	long long v = tool_int(m, "micros");

	if (!json_is_integer(json_object_get(m, "micros"))) {
		fputc('-', f);
		return;
	}
	fprintf(f, "%s%lld.%06lld %s", v < 0 ? "-" : "", (v < 0 ? -v : v) / 1000000,
	    (v < 0 ? -v : v) % 1000000, tool_str(m, "currency"));
}

static void
campaign_row(FILE *f, const json_t *c)
{
	fprintf(f, "%-29s %-5s %-9s %-8s sent %lld/%lld  failed %lld  list %s  created %s\n",
	    tool_str(c, "id"), tool_str(c, "channel"), tool_str(c, "state"),
	    tool_str(c, "provider"), tool_int(c, "sent"), tool_int(c, "recipients"),
	    tool_int(c, "failed"), tool_str(c, "list"), tool_str(c, "created_at"));
}

static void
campaign_lines(FILE *f, const json_t *c)
{
	static const char *const strs[] = { "id", "channel", "state", "list", "provider",
		"credential", "from", "subject", "created_at", "created_by", "updated_at",
		"finished_at" };
	static const char *const ints[] = { "per_minute", "recipients", "skipped", "suppressed",
		"queued", "sent", "failed", "unknown", "cancelled" };
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(strs); i++) {
		if (json_object_get(c, strs[i]) == NULL)
			continue;
		fprintf(f, "%s: ", strs[i]);
		tool_text_clean(f, tool_str(c, strs[i]));
		fputc('\n', f);
	}
	for (i = 0; i < BOS_ARRAY_LEN(ints); i++)
		fprintf(f, "%s: %lld\n", ints[i], tool_int(c, ints[i]));
	fputs("price: ", f);
	campaign_money(f, json_object_get(c, "price"));
	fputs(" per message\nspent: ", f);
	campaign_money(f, json_object_get(c, "spent"));
	fputc('\n', f);
}

char *
tool_campaign_create_render(const json_t *out)
{
	const json_t *c = json_object_get(out, "campaign");
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	fprintf(t.f, "campaign %s is %s: %lld recipients, %lld suppressed, %lld without "
	    "consent skipped, %lld a minute\n", tool_str(c, "id"), tool_str(c, "state"),
	    tool_int(c, "recipients"), tool_int(c, "suppressed"), tool_int(c, "skipped"),
	    tool_int(c, "per_minute"));
	if (strcmp(tool_str(c, "state"), "draft") == 0)
		fprintf(t.f, "start it with 'bosctl campaign start %s'\n", tool_str(c, "id"));
	return tool_text_close(&t);
}

int
tool_campaigns_list_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	static const char *const states[] = { "draft", "running", "paused", "done", "cancelled" };
	const char *st = tool_arg_str(args, "state");
	char path[TOOL_CAMPAIGN_PATH_MAX];

	*out = NULL;
	if (st != NULL && !campaign_in(st, states, BOS_ARRAY_LEN(states)))
		return bos_err_set(err, BOS_E_INVALID, "state is draft, running, paused, done or "
		    "cancelled");
	(void)snprintf(path, sizeof(path), "/outreach/campaigns%s%s", st ? "?state=" : "",
	    st ? st : "");
	return tool_get_list(hc, path, "campaigns", &fields_campaign_fs, out, err);
}

char *
tool_campaigns_list_render(const json_t *out)
{
	const json_t *c;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "campaigns"), i, c)
		campaign_row(t.f, c);
	tool_text_none(t.f, json_object_get(out, "campaigns"), "no campaigns");
	return tool_text_close(&t);
}

/* METHOD /outreach/campaigns/ID[suffix]: {campaign}. */
static int
campaign_call(struct http_client *hc, const char *method, const json_t *args, const char *suffix,
    const struct tool_fields *fs, json_t **out, struct bos_err *err)
{
	char path[TOOL_CAMPAIGN_PATH_MAX];
	struct http_resp resp;
	int r;

	*out = NULL;
	if (tool_arg_str(args, "id") == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give the campaign's id (cp_...; see "
		    "campaigns_list)");
	if (tool_path(path, sizeof(path), "/outreach/campaigns", tool_arg_str(args, "id"), suffix,
	    "campaign id", err) != 0 || http_client_call_ok(hc, method, path, NULL, &resp, err) != 0)
		return -1;
	r = campaign_answer(resp.json, fs, out, err);
	http_resp_free(&resp);
	return r;
}

int
tool_campaign_show_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	return campaign_call(hc, "GET", args, "", &fields_campaign_full_fs, out, err);
}

/* A body as it is, but for control bytes other than newline and tab ('?'). */
static void
campaign_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f ? '?' :
		    *s, f);
}

char *
tool_campaign_show_render(const json_t *out)
{
	const json_t *c = json_object_get(out, "campaign");
	static const char *const bodies[] = { "text", "html", "body" };
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	campaign_lines(t.f, c);
	for (i = 0; i < BOS_ARRAY_LEN(bodies); i++) {
		if (!json_is_string(json_object_get(c, bodies[i])))
			continue;
		fprintf(t.f, "%s:\n", bodies[i]);
		campaign_text(t.f, tool_str(c, bodies[i]));
		fputc('\n', t.f);
	}
	return tool_text_close(&t);
}

#define CAMPAIGN_MOVE(verb) \
	int \
	tool_campaign_##verb##_run(struct http_client *hc, const json_t *args, json_t **out, \
	    struct bos_err *err) \
	{ \
		return campaign_call(hc, "POST", args, "/" #verb, &fields_campaign_fs, out, err); \
	} \
	char * \
	tool_campaign_##verb##_render(const json_t *out) \
	{ \
		const json_t *c = json_object_get(out, "campaign"); \
		struct tool_text t; \
		if (tool_text_open(&t) != 0) \
			return NULL; \
		fprintf(t.f, "campaign %s is %s (sent %lld of %lld)\n", tool_str(c, "id"), \
		    tool_str(c, "state"), tool_int(c, "sent"), tool_int(c, "recipients")); \
		return tool_text_close(&t); \
	}
CAMPAIGN_MOVE(start)
CAMPAIGN_MOVE(pause)
CAMPAIGN_MOVE(resume)
CAMPAIGN_MOVE(cancel)
