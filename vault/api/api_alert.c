/*
 * Alerts (docs/BROKERS.md "Alerts"): GET /alerts?state=, POST
 * /alerts/{id}/ack, POST /alerts/{id}/resolve. Storage is alert.c's; this
 * file maps it to requests and responses. Alerts hold no secret (alert.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "log.h"
#include "policy.h"
#include "store/alert.h"
#include "core/vault.h"

#define API_ALERTS_PATH "alerts"

static json_t *
api_alert_time(int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

static json_t *
api_alert_name(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
api_alert_json(const struct alert_info *a)
{
	json_t *details = json_loads(a->details_json, 0, NULL);
	json_t *actions = json_loads(a->actions_json, 0, NULL);

	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:s, s:o, s:o, s:o, s:o, s:o,"
	    " s:o}", "id", a->id, "kind", a->kind, "severity", a->severity, "subject", a->subject,
	    "details", details != NULL ? details : json_object(),
	    "actions", actions != NULL ? actions : json_array(),
	    "dedup_key", api_alert_name(a->dedup_key), "count", (json_int_t)a->count,
	    "state", a->state, "first_at", api_alert_time(a->first_at),
	    "last_at", api_alert_time(a->last_at), "acked_at", api_alert_time(a->acked_at),
	    "acked_by", api_alert_name(a->acked_by),
	    "resolved_at", api_alert_time(a->resolved_at),
	    "resolved_by", api_alert_name(a->resolved_by));
}

static int
api_alert_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND &&
	    err->code != BOS_E_EXISTS)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

static int
api_alert_list_cb(const struct alert_info *a, void *arg)
{
	json_t *o = api_alert_json(a);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_alert_list(struct vault *v, struct http_req *r)
{
	static const char *const names[] = { "open", "acked", "resolved", "all" };
	const char *q = http_req_query(r, "state");
	enum alert_filter f = ALERT_OPEN;
	struct bos_err err;
	json_t *arr;
	size_t i;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_ALERTS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (q != NULL) {
		for (i = 0; i < BOS_ARRAY_LEN(names) && strcmp(q, names[i]) != 0; i++)
			;
		if (i == BOS_ARRAY_LEN(names))
			return http_reply_error(r, 400, "bad_query", "'state' is open, acked, resolved "
			    "or all");
		f = (enum alert_filter)i;
	}
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = alert_list(v->st.store, f, api_alert_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return api_alert_fail(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "alerts", arr));
}

static int
api_alert_get_cb(const struct alert_info *a, void *arg)
{
	json_t **out = arg;

	*out = api_alert_json(a);
	return 0;
}

/* POST /alerts/{id}/ack and /resolve: verb "ack" or "resolve". */
static int
api_alert_move(struct vault *v, struct http_req *r, const char *verb)
{
	const char *id = http_req_param(r, "id");
	char path[sizeof(API_ALERTS_PATH "//resolve") + ALERT_ID_SIZE];
	const char *by = http_req_principal(r)->name;
	json_t *o = NULL;
	struct bos_err err;
	int rc;

	if (!alert_id_valid(id))
		return http_reply_error(r, 404, "not_found", "no such alert: give its id (al_...)");
	(void)snprintf(path, sizeof(path), API_ALERTS_PATH "/%s/%s", id, verb);
	if ((rc = api_allow(v, r, POLICY_UPDATE, path, id)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = verb[0] == 'a' ? alert_ack(v->st.store, id, by, vault_now(v), &err) :
	    alert_resolve(v->st.store, id, by, vault_now(v), &err);
	if (rc == 0)
		rc = alert_get(v->st.store, id, api_alert_get_cb, &o, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_alert_fail(r, &err);
	if (o == NULL)
		return -1;
	return http_reply_json(r, 200, o);
}

int
api_alert_ack(struct vault *v, struct http_req *r)
{
	return api_alert_move(v, r, "ack");
}

int
api_alert_resolve(struct vault *v, struct http_req *r)
{
	return api_alert_move(v, r, "resolve");
}
