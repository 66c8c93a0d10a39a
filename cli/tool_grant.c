/*
 * The grant tools: list, create, revoke. grant_create asks for delivery
 * "pickup" (the default: the vault keeps the token for the admin's 'bosctl
 * grant pickup'), or "email" / "sms" (the vault sends it to the helper's
 * contact, docs/OUTREACH.md "Notices"); either way the vault answers with the
 * accessor only. An answer that carries a token anyway (a vault that does
 * not know the delivery) is never passed on: the grant is revoked, since
 * nobody will ever hold its token, and the tool fails.
 */
#include <stdio.h>
#include <string.h>
#include "token.h"
#include "tool_impl.h"

#define TOOL_GRANT_PATH_MAX 1024
#define TOOL_GRANT_LINE_MAX 4096

static const struct tool_field fields_grant_f[] = {
	{ "accessor", TF_STR, NULL }, { "helper", TF_STR, NULL }, { "credentials", TF_STRS, NULL },
	{ "actions", TF_STRS, NULL }, { "cidrs", TF_STRS, NULL }, { "note", TF_STR | TF_NULL, NULL },
	{ "issued_by", TF_STR, NULL }, { "created_at", TF_STR | TF_NULL, NULL },
	{ "expires_at", TF_STR | TF_NULL, NULL }, { "max_uses", TF_INT | TF_NULL, NULL },
	{ "uses", TF_INT, NULL }, { "last_used_at", TF_STR | TF_NULL, NULL },
	{ "state", TF_STR, NULL }, { "revoked_at", TF_STR | TF_NULL, NULL },
	{ "revoke_reason", TF_STR | TF_NULL, NULL },
};
static const struct tool_fields fields_grant_fs = TOOL_FIELDS(fields_grant_f);

static const struct tool_field fields_pickup_f[] = { { "expires_at", TF_STR | TF_NULL, NULL } };
static const struct tool_fields fields_pickup_fs = TOOL_FIELDS(fields_pickup_f);
static const struct tool_field fields_notice_f[] = {
	{ "id", TF_STR, NULL }, { "channel", TF_STR, NULL },
};
static const struct tool_fields fields_notice_fs = TOOL_FIELDS(fields_notice_f);
static const struct tool_field fields_created_f[] = {
	{ "accessor", TF_STR, NULL }, { "helper", TF_STR, NULL }, { "credentials", TF_STRS, NULL },
	{ "actions", TF_STRS, NULL }, { "expires_at", TF_STR | TF_NULL, NULL },
	{ "max_uses", TF_INT | TF_NULL, NULL }, { "cidrs", TF_STRS, NULL },
	{ "note", TF_STR | TF_NULL, NULL }, { "pickup", TF_OBJ, &fields_pickup_fs },
	{ "notice", TF_OBJ, &fields_notice_fs },
};
static const struct tool_fields fields_created_fs = TOOL_FIELDS(fields_created_f);

/* "/grants" with the list filters as a query string. */
static int
tool_grants_path(char *out, size_t n, const char *helper, const char *state,
    struct bos_err *err)
{
	char *h = helper != NULL ? http_client_escape(helper) : NULL;
	char *s = state != NULL ? http_client_escape(state) : NULL;
	int k = -1;

	if ((helper == NULL || h != NULL) && (state == NULL || s != NULL))
		k = snprintf(out, n, "/grants%s%s%s%s%s%s", h || s ? "?" : "", h ? "helper=" : "",
		    h ? h : "", h && s ? "&" : "", s ? "state=" : "", s ? s : "");
	http_client_free_str(h);
	http_client_free_str(s);
	return k < 0 || (size_t)k >= n ? bos_err_set(err, BOS_E_INVALID, "the filters are too "
	    "long") : 0;
}

int
tool_grants_list_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	char path[TOOL_GRANT_PATH_MAX];

	*out = NULL;
	if (tool_grants_path(path, sizeof(path), tool_arg_str(args, "helper"),
	    tool_arg_str(args, "state"), err) != 0)
		return -1;
	return tool_get_list(hc, path, "grants", &fields_grant_fs, out, err);
}

/* The strings of arr joined by sep, cleaned; "-" when there are none. */
static void
tool_grant_join(FILE *f, const json_t *arr, const char *sep)
{
	const json_t *c;
	size_t i;

	json_array_foreach(arr, i, c) {
		fputs(i > 0 ? sep : "", f);
		tool_text_clean(f, json_is_string(c) ? json_string_value(c) : "?");
	}
	if (json_array_size(arr) == 0)
		fputc('-', f);
}

void
tool_grant_row(FILE *f, const json_t *g)
{
	const json_t *mu = json_object_get(g, "max_uses"), *why = json_object_get(g, "revoke_reason");
	char uses[64];

	if (json_is_integer(mu))
		(void)snprintf(uses, sizeof(uses), "%lld/%lld", tool_int(g, "uses"),
		    (long long)json_integer_value(mu));
	else
		(void)snprintf(uses, sizeof(uses), "%lld", tool_int(g, "uses"));
	fprintf(f, "%-24s %-29s %-8s uses %-7s expires %-20s ", tool_str(g, "accessor"),
	    tool_str(g, "helper"), tool_str(g, "state"), uses, tool_str(g, "expires_at"));
	tool_grant_join(f, json_object_get(g, "actions"), ",");
	fputc(' ', f);
	tool_grant_join(f, json_object_get(g, "credentials"), ",");
	if (json_is_string(why)) {
		fputs(" (revoked: ", f);
		tool_text_clean(f, json_string_value(why));
		fputc(')', f);
	}
	fputc('\n', f);
}

char *
tool_grants_list_render(const json_t *out)
{
	const json_t *g;
	struct tool_text t;
	size_t i;

	if (tool_text_open(&t) != 0)
		return NULL;
	json_array_foreach(json_object_get(out, "grants"), i, g)
		tool_grant_row(t.f, g);
	tool_text_none(t.f, json_object_get(out, "grants"), "no grants");
	return tool_text_close(&t);
}

/* The arguments' strings in a new array; NULL when empty or out of memory. */
static json_t *
tool_grant_strings(const json_t *args, const char *key)
{
	json_t *a = json_object_get(args, key), *v;
	json_t *out;
	size_t i;

	if (json_array_size(a) == 0 || (out = json_array()) == NULL)
		return NULL;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || json_array_append(out, v) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static json_t *
tool_grant_body(const json_t *args, struct bos_err *err)
{
	json_t *creds = tool_grant_strings(args, "credentials");
	json_t *acts = tool_grant_strings(args, "actions");
	const char *d = tool_arg_str(args, "delivery");
	json_t *b;
	int bad = 0;

	if (d != NULL && strcmp(d, "pickup") != 0 && strcmp(d, "email") != 0 &&
	    strcmp(d, "sms") != 0) {
		json_decref(creds);
		json_decref(acts);
		bos_err_set(err, BOS_E_INVALID, "delivery is pickup, email or sms");
		return NULL;
	}
	if (creds == NULL || acts == NULL || tool_arg_str(args, "helper") == NULL) {
		json_decref(creds);
		json_decref(acts);
		bos_err_set(err, BOS_E_INVALID, "give helper, credentials (at least one) and "
		    "actions (read, update)");
		return NULL;
	}
	b = json_pack("{s:s, s:o, s:o, s:s}", "helper", tool_arg_str(args, "helper"),
	    "credentials", creds, "actions", acts, "delivery", d != NULL ? d : "pickup");
	if (b != NULL && json_object_get(args, "ttl_seconds") != NULL)
		bad |= json_object_set(b, "ttl", json_object_get(args, "ttl_seconds"));
	if (b != NULL && json_object_get(args, "max_uses") != NULL)
		bad |= json_object_set(b, "max_uses", json_object_get(args, "max_uses"));
	if (b != NULL && json_array_size(json_object_get(args, "cidrs")) > 0)
		bad |= json_object_set_new(b, "cidrs", tool_grant_strings(args, "cidrs"));
	if (b != NULL && tool_arg_str(args, "note") != NULL)
		bad |= json_object_set(b, "note", json_object_get(args, "note"));
	if (b != NULL && !bad)
		return b;
	json_decref(b);
	tool_nomem(err);
	return NULL;
}

/* An answer with a token: nobody will hold it, so the grant goes; always -1. */
static int
tool_grant_refuse(struct http_client *hc, const char *accessor, struct bos_err *err)
{
	char path[TOOL_GRANT_PATH_MAX];
	struct http_resp resp;
	struct bos_err ignored;
	int revoked = 0;

	if (accessor != NULL && token_accessor_valid(accessor) &&
	    snprintf(path, sizeof(path), "/grants/%s", accessor) < (int)sizeof(path) &&
	    http_client_call_ok(hc, "DELETE", path, NULL, &resp, &ignored) == 0) {
		http_resp_free(&resp);
		revoked = 1;
	}
	return bos_err_set(err, BOS_E_INVALID, "the vault answered with the grant's token "
	    "instead of keeping it (does it support the delivery asked for?); the token "
	    "was discarded and grant %s %s", accessor != NULL ? accessor : "?", revoked ?
	    "revoked" : "should be revoked with 'bosctl grant revoke'");
}

/* The created grant and what the admin must do next. */
static int
tool_grant_created(struct http_client *hc, struct http_resp *resp, json_t **out,
    struct bos_err *err)
{
	char next[256], acc[TOKEN_ACCESSOR_SIZE];
	const char *a = json_string_value(json_object_get(resp->json, "accessor"));
	json_t *n;

	(void)snprintf(acc, sizeof(acc), "%s", a != NULL ? a : "");
	if (json_object_get(resp->json, "token") != NULL) {
		http_resp_free(resp);   /* wipes the answer, token included */
		return tool_grant_refuse(hc, acc, err);
	}
	*out = tool_pick(resp->json, &fields_created_fs);
	http_resp_free(resp);
	if (*out == NULL)
		return tool_nomem(err);
	if (!token_accessor_valid(acc)) {
		json_decref(*out);
		*out = NULL;
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no accessor");
	}
	n = json_object_get(*out, "notice");
	if (n != NULL)
		(void)snprintf(next, sizeof(next), "nothing: the vault sends the token to the "
		    "helper's %s contact (notice %s); the assistant never sees it",
		    strcmp(tool_str(n, "channel"), "sms") == 0 ? "phone" : "email",
		    tool_str(n, "id"));
	else
		(void)snprintf(next, sizeof(next), "the admin runs 'bosctl grant pickup %s' in a "
		    "terminal within 10 minutes", acc);
	if (json_object_set_new(*out, "next", json_string(next)) != 0) {
		json_decref(*out);
		*out = NULL;
		return tool_nomem(err);
	}
	return 0;
}

int
tool_grant_create_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	struct http_resp resp;
	json_t *body;
	int r;

	*out = NULL;
	if ((body = tool_grant_body(args, err)) == NULL)
		return -1;
	r = http_client_call_ok(hc, "POST", "/credentials/grant", body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	return tool_grant_created(hc, &resp, out, err);
}

char *
tool_grant_create_render(const json_t *out)
{
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	if (json_object_get(out, "notice") != NULL)
		fprintf(t.f, "Created grant %s for helper %s (expires %s). The vault sends its "
		    "token by %s.\nnext: %s\n", tool_str(out, "accessor"), tool_str(out, "helper"),
		    tool_str(out, "expires_at"), tool_str(json_object_get(out, "notice"), "channel"),
		    tool_str(out, "next"));
	else
		fprintf(t.f, "Created grant %s for helper %s (expires %s). The vault holds its "
		    "token until %s.\nnext: %s\n", tool_str(out, "accessor"),
		    tool_str(out, "helper"), tool_str(out, "expires_at"),
		    tool_str(json_object_get(out, "pickup"), "expires_at"), tool_str(out, "next"));
	return tool_text_close(&t);
}

int
tool_grant_revoke_run(struct http_client *hc, const json_t *args, json_t **out,
    struct bos_err *err)
{
	const char *acc = tool_arg_str(args, "accessor");
	char path[TOOL_GRANT_PATH_MAX];
	struct http_resp resp;
	json_t *g;

	*out = NULL;
	if (acc == NULL || !token_accessor_valid(acc))
		return bos_err_set(err, BOS_E_INVALID, "give the grant's accessor (acc_ and 20 "
		    "letters and digits; see grants_list), not its token");
	(void)snprintf(path, sizeof(path), "/grants/%s", acc);
	if (http_client_call_ok(hc, "DELETE", path, NULL, &resp, err) != 0)
		return -1;
	g = json_is_object(resp.json) ? tool_pick(resp.json, &fields_grant_fs) : json_object();
	http_resp_free(&resp);
	if (g != NULL && json_object_get(g, "accessor") == NULL &&
	    json_object_set_new(g, "accessor", json_string(acc)) != 0) {
		json_decref(g);
		g = NULL;
	}
	if (g == NULL)
		return tool_nomem(err);
	return tool_wrap("grant", g, out, err);
}

char *
tool_grant_revoke_render(const json_t *out)
{
	const json_t *g = json_object_get(out, "grant");
	struct tool_text t;

	if (tool_text_open(&t) != 0)
		return NULL;
	fprintf(t.f, "revoked grant %s; its token no longer works\n", tool_str(g, "accessor"));
	return tool_text_close(&t);
}
