/* The hooks listener's requests to the vault; see vault_hooks.h. */
#include "vault_hooks.h"

#include <stdio.h>
#include <string.h>
#include "log.h"

/* The vault's status into the provider's. */
static int
vh_status(long st)
{
	if (st >= 200 && st < 300)
		return 200;
	if (st == 401 || st == 400 || st == 404)
		return (int)st;
	return 503;
}

/* One part of a batch: events [from, to). */
static int
vh_events_part(struct vault_link *v, const char *provider, json_t *events, size_t from,
    size_t to, json_t *verify, struct bos_err *err)
{
	struct vault_answer ans;
	json_t *part = json_array(), *body, *out = NULL;
	size_t i;
	int st;

	for (i = from; part != NULL && i < to; i++)
		if (json_array_append(part, json_array_get(events, i)) != 0) {
			json_decref(part);
			part = NULL;
		}
	if (part == NULL || (body = json_pack("{s:s, s:o}", "provider", provider, "events",
	    part)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory"), 503;
	if (verify != NULL && json_object_set(body, "verify", verify) != 0) {
		json_decref(body);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory"), 503;
	}
	if (vault_link_request(v, "POST", "/outreach/events", body, &out, &ans, err) != 0) {
		json_decref(body);
		return 503;
	}
	json_decref(body);
	/* A 404 here is a vault without the route (an older one): retry later, never "gone". */
	if ((st = vh_status(ans.status)) == 404)
		st = 503;
	if (st == 200)
		log_info("hooks: %s: %zu events, %lld recorded, %lld duplicates, %lld unmatched",
		    provider, to - from,
		    (long long)json_integer_value(json_object_get(out, "recorded")),
		    (long long)json_integer_value(json_object_get(out, "duplicates")),
		    (long long)json_integer_value(json_object_get(out, "unmatched")));
	else
		bos_err_fill(err, BOS_E_IO, "the vault answered %ld %s", ans.status, ans.code);
	json_decref(out);
	return st;
}

int
vault_hooks_events(struct vault_link *v, const char *provider, json_t *events, json_t *verify,
    struct bos_err *err)
{
	size_t n = json_array_size(events), i;
	int st = 200;

	for (i = 0; i < n && st == 200; i += VAULT_HOOKS_BATCH)
		st = vh_events_part(v, provider, events, i, n - i > VAULT_HOOKS_BATCH ?
		    i + VAULT_HOOKS_BATCH : n, verify, err);
	return st;
}

int
vault_hooks_track(struct vault_link *v, const char *token, const char *kind, long link,
    char *url, size_t cap, struct bos_err *err)
{
	struct vault_answer ans;
	json_t *body, *out = NULL;
	const char *u;
	int st, k;

	if (cap > 0)
		url[0] = '\0';
	body = json_pack("{s:s, s:s}", "token", token, "kind", kind);
	if (body != NULL && link >= 0 && json_object_set_new(body, "link", json_integer(link)) != 0) {
		json_decref(body);
		body = NULL;
	}
	if (body == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory"), 503;
	k = vault_link_request(v, "POST", "/outreach/track", body, &out, &ans, err);
	json_decref(body);
	if (k != 0)
		return 503;
	if ((st = vh_status(ans.status)) == 200 && (u = json_string_value(json_object_get(out,
	    "url"))) != NULL) {
		k = snprintf(url, cap, "%s", u);
		if (k < 0 || (size_t)k >= cap)
			url[0] = '\0';
	}
	if (st != 200)
		bos_err_fill(err, BOS_E_IO, "the vault answered %ld %s", ans.status, ans.code);
	json_decref(out);
	return st;
}
