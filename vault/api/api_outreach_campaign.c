/*
 * Campaigns (docs/OUTREACH.md "Campaigns"): POST /outreach/email and
 * /outreach/sms, GET /outreach/campaigns[/{id}], POST
 * /outreach/campaigns/{id}/start|pause|resume|cancel (admins). The
 * checks of the request are here; the campaign, its messages and their send
 * jobs are written by outreach_campaign.c in one transaction.
 */
#include <ctype.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "core/config.h"
#include "core/vault.h"
#include "currency.h"
#include "log.h"
#include "policy.h"
#include "store/outreach_campaign.h"
#include "store/outreach_render.h"
#include "store/store.h"

#define API_CAMPAIGNS_PATH "outreach/campaigns"
#define API_SUBJECT_MAX 998
#define API_TEXT_MAX 65536
#define API_HTML_MAX 262144
#define API_SMS_MAX 1600              /* characters */
#define API_PER_MINUTE_MAX 6000
#define API_PER_MINUTE_DEFAULT 10

static json_t *
api_oc_time(int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

/* What GET shows of a campaign; full adds the bodies. */
static json_t *
api_oc_json(const struct outreach_campaign *c, int full)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I,"
	    " s:I, s:I, s:I, s:{s:I, s:s}, s:{s:I, s:s}, s:o, s:s, s:o, s:o}",
	    "id", c->id, "channel", c->channel, "list", c->list_id, "provider", c->provider,
	    "credential", c->credential, "from", c->from != NULL ? c->from : "",
	    "per_minute", (json_int_t)c->per_minute, "state", c->state,
	    "recipients", (json_int_t)c->recipients, "skipped", (json_int_t)c->skipped,
	    "suppressed", (json_int_t)c->n_suppressed, "queued", (json_int_t)c->n_queued,
	    "sent", (json_int_t)c->n_sent, "failed", (json_int_t)c->n_failed,
	    "unknown", (json_int_t)c->n_unknown, "cancelled", (json_int_t)c->n_cancelled,
	    "price", "micros", (json_int_t)c->price_micros, "currency", c->currency,
	    "spent", "micros", (json_int_t)c->spend_micros, "currency", c->currency,
	    "created_at", api_oc_time(c->created_at), "created_by", c->created_by,
	    "updated_at", api_oc_time(c->updated_at), "finished_at", api_oc_time(c->finished_at));

	if (o == NULL)
		return NULL;
	if (c->subject != NULL)
		json_object_set_new(o, "subject", json_string(c->subject));
	if (!full)
		return o;
	if (strcmp(c->channel, "email") == 0) {
		json_object_set_new(o, "text", json_string(c->text));
		json_object_set_new(o, "html",
		    c->html != NULL ? json_string(c->html) : json_null());
	} else {
		json_object_set_new(o, "body", json_string(c->text));
	}
	return o;
}

static int
api_oc_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code == BOS_E_EXISTS)
		return http_reply_error(r, 409, "campaign_state", "%s", err->msg);
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

/* ---- checks of the request ------------------------------------------------------- */

/* A string field without NUL bytes, or NULL when absent; -1 when not a string. */
static int
api_oc_str(json_t *body, const char *key, const char **out)
{
	json_t *f = json_object_get(body, key);

	*out = NULL;
	if (f == NULL || json_is_null(f))
		return 0;
	if (!json_is_string(f) || strlen(json_string_value(f)) != json_string_length(f))
		return -1;
	*out = json_string_value(f);
	return 0;
}

static int
api_oc_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* An address safe in a header (docs/OUTREACH.md "Contacts and lists"). */
static int
api_oc_email_ok(const char *a, size_t n)
{
	const char *at = memchr(a, '@', n);
	size_t i;

	if (n < 3 || n > 254 || at == NULL || at == a || memchr(at + 1, '@', n -
	    (size_t)(at - a) - 1) != NULL ||
	    memchr(at + 1, '.', n - (size_t)(at - a) - 1) == NULL ||
	    a[n - 1] == '.' || at[1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] <= 0x20 || a[i] == 0x7f || strchr("<>()[],;:\"\\", a[i]))
			return 0;
	return 1;
}

/* email: an address or "Name <address>"; SMS: E.164 or a sender id [A-Za-z0-9]{1,11}. */
static int
api_oc_from_ok(const char *from, int email)
{
	size_t n = strlen(from), i;
	const char *lt;

	if (n == 0 || n > 320 || api_oc_has_ctl(from))
		return 0;
	if (!email) {
		if (from[0] == '+') {
			for (i = 1; i < n && isdigit((unsigned char)from[i]); i++)
				;
			return i == n && n >= 8 && n <= 16;
		}
		for (i = 0; i < n && isalnum((unsigned char)from[i]); i++)
			;
		return i == n && n <= 11;
	}
	if ((lt = strchr(from, '<')) == NULL)
		return api_oc_email_ok(from, n);
	if (from[n - 1] != '>' || lt == from || lt[-1] != ' ' || (size_t)(lt - from) > 129)
		return 0;
	/* An unquoted display name: nothing that would end it or start another address. */
	for (i = 0; from + i < lt; i++)
		if (strchr("<>\"\\,;:()[]@", from[i]) != NULL)
			return 0;
	return api_oc_email_ok(lt + 1, (size_t)(from + n - 1 - (lt + 1)));
}

/* UTF-8 characters of s (continuation bytes not counted). */
static size_t
api_oc_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

struct api_oc_req {
	struct outreach_campaign_new n;
	const char *list, *credential;
	char list_id[OUTREACH_ID_SIZE], cred_id[OUTREACH_ID_SIZE], currency[4];
};

/* 0, or -1 with err (400). */
static int
api_oc_parse(json_t *body, int email, struct api_oc_req *q, struct bos_err *err)
{
	json_t *pm = json_object_get(body, "per_minute"), *st = json_object_get(body, "start");
	const char *body_sms = NULL;

	if (api_oc_str(body, "list", &q->list) != 0 || api_oc_str(body, "from", &q->n.from) != 0 ||
	    api_oc_str(body, "provider", &q->n.provider) != 0 ||
	    api_oc_str(body, "credential", &q->credential) != 0 ||
	    api_oc_str(body, "subject", &q->n.subject) != 0 ||
	    api_oc_str(body, "text", &q->n.text) != 0 ||
	    api_oc_str(body, "html", &q->n.html) != 0 ||
	    api_oc_str(body, "body", &body_sms) != 0)
		return bos_err_set(err, BOS_E_INVALID, "'list', 'from', 'provider', 'credential', "
		    "'subject', 'text', 'html' and 'body' must be strings");
	if (q->list == NULL || q->n.from == NULL || q->n.provider == NULL)
		return bos_err_set(err, BOS_E_INVALID,
		    "'list', 'from' and 'provider' are required");
	if (email ? (strcmp(q->n.provider, "smtp") != 0 && strcmp(q->n.provider, "sendgrid") != 0 &&
	    strcmp(q->n.provider, "mailgun") != 0 && strcmp(q->n.provider, "ses") != 0) :
	    (strcmp(q->n.provider, "twilio") != 0 && strcmp(q->n.provider, "plivo") != 0))
		return bos_err_set(err, BOS_E_INVALID, "'provider' must be %s", email ?
		    "smtp, sendgrid, mailgun or ses" : "twilio or plivo");
	if (!api_oc_from_ok(q->n.from, email))
		return bos_err_set(err, BOS_E_INVALID, "'from' must be %s", email ? "an address or "
		    "'Name <address>' (no CR/LF; no quotes, brackets, @ , ; : in the name)" :
		    "an E.164 number (+ and 7 to 15 digits) or a sender id of 1 to 11 letters and "
		    "digits");
	if (email) {
		if (body_sms != NULL)
			return bos_err_set(err, BOS_E_INVALID, "an email has 'text' (and 'html'), "
			    "not 'body'");
		if (q->n.subject == NULL || q->n.subject[0] == '\0' ||
		    strlen(q->n.subject) > API_SUBJECT_MAX || strpbrk(q->n.subject, "\r\n") != NULL)
			return bos_err_set(err, BOS_E_INVALID,
			    "'subject' is required: 1 to %d bytes, "
			    "no CR or LF", API_SUBJECT_MAX);
		if (q->n.text == NULL || q->n.text[0] == '\0' || strlen(q->n.text) > API_TEXT_MAX)
			return bos_err_set(err, BOS_E_INVALID, "'text' is required: 1 to %d bytes",
			    API_TEXT_MAX);
		if (q->n.html != NULL && strlen(q->n.html) > API_HTML_MAX)
			return bos_err_set(err, BOS_E_INVALID, "'html' must be at most %d bytes",
			    API_HTML_MAX);
		if (outreach_template_check(q->n.subject, "subject", err) != 0 ||
		    outreach_template_check(q->n.text, "text", err) != 0 ||
		    (q->n.html != NULL && outreach_template_check(q->n.html, "html", err) != 0))
			return -1;
	} else {
		if (q->n.subject != NULL || q->n.text != NULL || q->n.html != NULL)
			return bos_err_set(err, BOS_E_INVALID, "an SMS has 'body', not 'subject', "
			    "'text' or 'html'");
		if (body_sms == NULL || body_sms[0] == '\0' || api_oc_chars(body_sms) > API_SMS_MAX)
			return bos_err_set(err, BOS_E_INVALID, "'body' is required: 1 to %d "
			    "characters", API_SMS_MAX);
		if (outreach_template_check(body_sms, "body", err) != 0)
			return -1;
		q->n.text = body_sms;
	}
	if (pm != NULL && (!json_is_integer(pm) || json_integer_value(pm) < 1 ||
	    json_integer_value(pm) > API_PER_MINUTE_MAX))
		return bos_err_set(err, BOS_E_INVALID,
		    "'per_minute' must be an integer from 1 to %d",
		    API_PER_MINUTE_MAX);
	if (st != NULL && !json_is_boolean(st))
		return bos_err_set(err, BOS_E_INVALID, "'start' must be true or false");
	q->n.per_minute = pm != NULL ? (uint32_t)json_integer_value(pm) : API_PER_MINUTE_DEFAULT;
	q->n.start = st == NULL || json_is_true(st);
	q->n.channel = email ? "email" : "sms";
	return 0;
}

/* One id from a query with ?1 = the request's text: 1 found (one row), 0 none, 2 several. */
static int
api_oc_lookup(struct store *s, const char *sql, const char *arg, char id[OUTREACH_ID_SIZE],
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	const char *v;
	int n = 0, rc;

	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_err_db(s, "looking up", err);
		store_stmt_done(s, st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 2) {
		v = (const char *)sqlite3_column_text(st, 0);
		if (n++ == 0)
			(void)snprintf(id, OUTREACH_ID_SIZE, "%s", v != NULL ? v : "");
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(s, "looking up", err);
		n = -1;
	}
	store_stmt_done(s, st);
	return n;
}

/* The list and the credential, under the lock. 0, or -1 with err (400 for the request's). */
static int
api_oc_resolve(struct vault *v, struct api_oc_req *q, struct bos_err *err)
{
	struct store *s = v->st.store;
	int n;

	n = api_oc_lookup(s, "SELECT id FROM outreach_lists WHERE id = ?1 OR name = ?1", q->list,
	    q->list_id, err);
	if (n < 0)
		return -1;
	if (n != 1)
		return bos_err_set(err, BOS_E_INVALID,
		    "'list' names no list (give its id or name)");
	q->n.list_id = q->list_id;
	return 0;
}

/* The credential's service and liveness, and the default credential. */
static int
api_oc_credential(struct vault *v, struct api_oc_req *q, struct bos_err *err)
{
	struct store *s = v->st.store;
	sqlite3_stmt *st = NULL;
	int n = 0, rc, r = -1;
	const char *id;

	if (store_stmt(s, "SELECT id, name FROM credentials WHERE service = ?1 AND revoked_at IS"
	    " NULL AND (?2 IS NULL OR id = ?2 OR name = ?2) ORDER BY created_at LIMIT 2", &st,
	    err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, q->n.provider, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    (q->credential == NULL ? sqlite3_bind_null(st, 2) :
	    sqlite3_bind_text(st, 2, q->credential, -1, SQLITE_TRANSIENT)) != SQLITE_OK) {
		store_err_db(s, "looking up a credential", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		if (n++ == 0)
			(void)snprintf(q->cred_id, sizeof(q->cred_id), "%s", id != NULL ? id : "");
	}
	if (rc != SQLITE_DONE) {
		store_err_db(s, "looking up a credential", err);
		goto out;
	}
	if (n == 0)
		r = bos_err_set(err, BOS_E_INVALID, q->credential != NULL ? "'credential' names no "
		    "live credential of service %s" : "there is no live credential of service %s: "
		    "add one, or name it with 'credential'", q->n.provider);
	else if (n > 1)
		r = bos_err_set(err, BOS_E_INVALID, "there are several live credentials of service "
		    "%s: name one with 'credential'", q->n.provider);
	else
		r = 0;
 out:
	store_stmt_done(s, st);
	q->n.credential = r == 0 ? q->cred_id : NULL;
	return r;
}

/* The provider's price from bos.conf: default 0 in the budgets' first currency, or USD. */
static int
api_oc_price(struct vault *v, struct api_oc_req *q, struct bos_err *err)
{
	const struct config *c = &v->st.conf;
	int i = config_outreach_provider(q->n.provider), exp;
	sqlite3_stmt *st = NULL;
	int64_t per_minor = 1;
	const char *cur;

	if (i >= 0 && c->outreach_price_set[i]) {
		q->n.price_micros = c->outreach_price_micros[i];
		(void)snprintf(q->currency, sizeof(q->currency), "%s",
		    c->outreach_price_currency[i]);
	} else {
		q->n.price_micros = 0;
		(void)snprintf(q->currency, sizeof(q->currency), "USD");
		if (store_stmt(v->st.store, "SELECT currency FROM budgets ORDER BY rowid LIMIT 1",
		    &st,
		    err) != 0)
			return -1;
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (cur = (const char *)sqlite3_column_text(st, 0)) != NULL && strlen(cur) == 3)
			(void)snprintf(q->currency, sizeof(q->currency), "%s", cur);
		store_stmt_done(v->st.store, st);
	}
	q->n.currency = q->currency;
	exp = currency_exponent(q->currency);
	for (i = exp < 0 ? 6 : exp; i < 6; i++)
		per_minor *= 10;
	/* The estimate: the price rounded up to minor units, none when it is 0. */
	q->n.estimate = q->n.price_micros > 0 ? (q->n.price_micros + per_minor - 1) / per_minor : -1;
	return 0;
}

static int
api_oc_reply(struct vault *v, struct http_req *r, const char *id, unsigned status, int full)
{
	struct outreach_campaign c;
	struct bos_err err;
	json_t *o;
	int rc;

	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_campaign_get(v->st.store, id, &c, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_oc_fail(r, &err);
	o = api_oc_json(&c, full);
	outreach_campaign_free(&c);
	return o == NULL ? -1 : http_reply_json(r, status, json_pack("{s:o}", "campaign", o));
}

static int
api_oc_create(struct vault *v, struct http_req *r, int email)
{
	const struct config *conf = &v->st.conf;
	struct api_oc_req q;
	char id[OUTREACH_ID_SIZE];
	struct bos_err err;
	int rc;

	if ((rc = api_allow(v, r, POLICY_CREATE, email ? API_CAMPAIGNS_PATH "/email" :
	    API_CAMPAIGNS_PATH "/sms", NULL)) != 0)
		return rc > 0 ? 0 : -1;
	memset(&q, 0, sizeof(q));
	bos_err_clear(&err);
	if (api_oc_parse(http_req_body(r), email, &q, &err) != 0)
		return http_reply_bos_err(r, &err);
	if (email && (conf->outreach_postal_address[0] == '\0' ||
	    conf->outreach_public_url[0] == '\0'))
		return http_reply_error(r, 400, "not_configured", "email campaigns need %s in "
		    "bos.conf (the CAN-SPAM postal address and where unsubscribe links point)",
		    conf->outreach_postal_address[0] == '\0' ? "outreach_postal_address" :
		    "outreach_public_url");
	q.n.created_by = http_req_principal(r)->name;
	vault_db_lock(v);
	rc = api_oc_resolve(v, &q, &err);
	if (rc == 0)
		rc = api_oc_credential(v, &q, &err);
	if (rc == 0)
		rc = api_oc_price(v, &q, &err);
	if (rc == 0)
		rc = outreach_campaign_create(v->st.store, &q.n, vault_now(v), vault_now_ms(v), id,
		    &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_oc_fail(r, &err);
	http_req_audit_resource(r, "/outreach/campaigns/%s", id);
	http_req_audit_reason(r, "campaign created (%s, %s, list %s)", q.n.channel, q.n.provider,
	    q.list_id);
	vault_jobs_signal(v);
	return api_oc_reply(v, r, id, 201, 0);
}

int
api_outreach_email(struct vault *v, struct http_req *r)
{
	return api_oc_create(v, r, 1);
}

int
api_outreach_sms(struct vault *v, struct http_req *r)
{
	return api_oc_create(v, r, 0);
}

/* ---- GET ------------------------------------------------------------------------- */

static int
api_oc_list_cb(const struct outreach_campaign *c, void *arg)
{
	json_t *o = api_oc_json(c, 0);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_outreach_campaign_list(struct vault *v, struct http_req *r)
{
	const char *state = http_req_query(r, "state");
	struct bos_err err;
	json_t *arr;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_CAMPAIGNS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (state != NULL && strcmp(state, "draft") != 0 && strcmp(state, "running") != 0 &&
	    strcmp(state, "paused") != 0 && strcmp(state, "done") != 0 &&
	    strcmp(state, "cancelled") != 0)
		return http_reply_error(r, 400, "bad_query", "'state' is draft, running, paused, "
		    "done or cancelled");
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_campaign_list(v->st.store, state, api_oc_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return api_oc_fail(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "campaigns", arr));
}

static int
api_oc_id(struct http_req *r, const char **id)
{
	*id = http_req_param(r, "id");
	if (*id == NULL || strlen(*id) != OUTREACH_ID_SIZE - 1 || strncmp(*id, "cp_", 3) != 0)
		return http_reply_error(r, 404, "not_found", "no such campaign: give its id "
		    "(cp_...)") == 0 ? 1 : -1;
	return 0;
}

int
api_outreach_campaign_get(struct vault *v, struct http_req *r)
{
	char path[sizeof(API_CAMPAIGNS_PATH) + OUTREACH_ID_SIZE];
	const char *id;
	int rc;

	if ((rc = api_oc_id(r, &id)) != 0)
		return rc > 0 ? 0 : -1;
	(void)snprintf(path, sizeof(path), API_CAMPAIGNS_PATH "/%s", id);
	if ((rc = api_allow(v, r, POLICY_READ, path, id)) != 0)
		return rc > 0 ? 0 : -1;
	http_req_audit_resource(r, "/outreach/campaigns/%s", id);
	return api_oc_reply(v, r, id, 200, 1);
}

/* ---- start, pause, resume, cancel ------------------------------------------------ */

static int
api_oc_act(struct vault *v, struct http_req *r, const char *action)
{
	char path[sizeof(API_CAMPAIGNS_PATH) + OUTREACH_ID_SIZE + 8];
	struct bos_err err;
	const char *id;
	int rc;

	if ((rc = api_oc_id(r, &id)) != 0)
		return rc > 0 ? 0 : -1;
	(void)snprintf(path, sizeof(path), API_CAMPAIGNS_PATH "/%s/%s", id, action);
	if ((rc = api_allow(v, r, POLICY_UPDATE, path, id)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_campaign_act(v->st.store, id, action, vault_now(v), vault_now_ms(v), &err);
	vault_db_unlock(v);
	http_req_audit_resource(r, "/outreach/campaigns/%s", id);
	if (rc != 0)
		return api_oc_fail(r, &err);
	http_req_audit_reason(r, "campaign %s", action);
	if (strcmp(action, "start") == 0 || strcmp(action, "resume") == 0)
		vault_jobs_signal(v);
	return api_oc_reply(v, r, id, 200, 0);
}

int
api_outreach_campaign_start(struct vault *v, struct http_req *r)
{
	return api_oc_act(v, r, "start");
}

int
api_outreach_campaign_pause(struct vault *v, struct http_req *r)
{
	return api_oc_act(v, r, "pause");
}

int
api_outreach_campaign_resume(struct vault *v, struct http_req *r)
{
	return api_oc_act(v, r, "resume");
}

int
api_outreach_campaign_cancel(struct vault *v, struct http_req *r)
{
	return api_oc_act(v, r, "cancel");
}
