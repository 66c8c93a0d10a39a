/*
 * Outreach contact lists and the suppression list (docs/OUTREACH.md
 * "Contacts and lists"), admins only:
 *   POST /outreach/lists, POST /outreach/lists/{id}/contacts,
 *   GET /outreach/lists, GET /outreach/lists/{id},
 *   GET /outreach/lists/{id}/contacts,
 *   GET /outreach/suppressions, POST /outreach/suppressions,
 *   DELETE /outreach/suppressions/{address}.
 * Storage and every rule of a row are outreach_list.c's; this file maps them
 * to requests and answers.
 *
 * An import is parsed and checked in full before the database is touched:
 * any bad row answers 400 invalid_rows with the rows and nothing is written.
 * Audit records name the list and the counts, never the contacts; a
 * suppression's record names its one address.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "log.h"
#include "policy.h"
#include "store/outreach_list.h"
#include "core/vault.h"

#define API_OL_PATH "outreach/lists"
#define API_OL_PATH_SIZE (sizeof(API_OL_PATH "/") + OUTREACH_ID_SIZE)
#define API_SUPP_PATH "outreach/suppressions"
#define API_OL_LIMIT_DEFAULT 100

static json_t *
api_ol_time(int64_t t)
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
api_ol_opt(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static int
api_ol_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND &&
	    err->code != BOS_E_EXISTS)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

static json_t *
api_ol_list_json(const struct outreach_list_info *l)
{
	return json_pack("{s:s, s:s, s:I, s:o, s:s, s:o}", "id", l->id, "name", l->name,
	    "contacts", (json_int_t)l->contacts, "created_at", api_ol_time(l->created_at),
	    "created_by", l->created_by, "updated_at", api_ol_time(l->updated_at));
}

/* ["email", "sms"] of the OUTREACH_CONSENT_* bits. */
static json_t *
api_ol_channels(unsigned bits)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	if ((bits & OUTREACH_CONSENT_EMAIL) && json_array_append_new(a, json_string("email")) != 0)
		goto bad;
	if ((bits & OUTREACH_CONSENT_SMS) && json_array_append_new(a, json_string("sms")) != 0)
		goto bad;
	return a;
bad:
	json_decref(a);
	return NULL;
}

/* ---- reading an import from the body ---------------------------------------------------- */

/*
 * format, data or contacts into im (bad rows included). 0 read; 1 refused
 * and answered (400); -1 error.
 */
static int
api_ol_read(struct http_req *r, struct outreach_import *im)
{
	json_t *body = http_req_body(r), *data = json_object_get(body, "data"),
	    *contacts = json_object_get(body, "contacts");
	const char *format = json_string_value(json_object_get(body, "format"));
	struct bos_err err;
	int too_many = 0, rc, csv;

	if (format == NULL || (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0))
		return http_reply_error(r, 400, "invalid", "'format' is csv (with the CSV text in "
		    "'data') or json (with the array 'contacts')") == 0 ? 1 : -1;
	csv = format[0] == 'c';
	if (csv && (!json_is_string(data) || contacts != NULL))
		return http_reply_error(r, 400, "invalid", "format csv takes 'data', the CSV text "
		    "(and no 'contacts')") == 0 ? 1 : -1;
	if (!csv && (!json_is_array(contacts) || data != NULL))
		return http_reply_error(r, 400, "invalid", "format json takes 'contacts', an array "
		    "of contacts (and no 'data')") == 0 ? 1 : -1;
	bos_err_clear(&err);
	rc = csv ? outreach_import_csv(im, json_string_value(data), json_string_length(data),
	    &too_many, &err) : outreach_import_json(im, contacts, &too_many, &err);
	if (rc == 0)
		return 0;
	if (err.code != BOS_E_INVALID)
		return api_ol_fail(r, &err) == 0 ? 1 : -1;
	return http_reply_error(r, 400, too_many ? "too_many_rows" : csv ? "invalid_csv" :
	    "invalid", "%s", err.msg) == 0 ? 1 : -1;
}

/* 400 invalid_rows: the bad rows (at most OUTREACH_ROW_ERRORS_MAX, then "more"). */
static int
api_ol_bad_rows(struct http_req *r, const struct outreach_import *im)
{
	json_t *rows = json_array(), *body;
	size_t i, bad = outreach_import_bad(im);
	char msg[160];

	if (rows == NULL)
		return -1;
	for (i = 0; i < im->n_errors; i++) {
		const struct outreach_row_error *e = &im->errors[i];

		if (json_array_append_new(rows, json_pack("{s:I, s:o, s:s}", "row",
		    (json_int_t)e->row, "field", api_ol_opt(e->field), "message", e->message)) != 0) {
			json_decref(rows);
			return -1;
		}
	}
	(void)snprintf(msg, sizeof(msg), "%zu of %zu rows %s invalid: nothing was imported; fix "
	    "the rows listed and send them all again", bad, im->total, bad == 1 ? "is" : "are");
	body = json_pack("{s:{s:s, s:s}, s:o}", "error", "code", "invalid_rows", "message", msg,
	    "rows", rows);
	if (body == NULL)
		return -1;
	if (im->more > 0 && json_object_set_new(body, "more", json_integer((json_int_t)im->more))) {
		json_decref(body);
		return -1;
	}
	http_req_audit_reason(r, "invalid_rows: %zu of %zu rows invalid, nothing imported", bad,
	    im->total);
	return http_reply_json(r, 400, body);
}

static int
api_ol_imported(struct http_req *r, unsigned status, const struct outreach_list_info *l,
    size_t imported, size_t duplicates)
{
	return http_reply_json(r, status, json_pack("{s:o, s:I, s:I}", "list", api_ol_list_json(l),
	    "imported", (json_int_t)imported, "duplicates", (json_int_t)duplicates));
}

/* ---- lists -------------------------------------------------------------------------------- */

int
api_outreach_list_create(struct vault *v, struct http_req *r)
{
	const char *name = json_string_value(json_object_get(http_req_body(r), "name"));
	const struct principal *p = http_req_principal(r);
	struct outreach_list_info l;
	struct outreach_import im;
	size_t imported = 0, dups = 0;
	struct bos_err err;
	int rc;

	if ((rc = api_allow(v, r, POLICY_CREATE, API_OL_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	if (outreach_list_name_check(name, &err) != 0)
		return http_reply_bos_err(r, &err);
	outreach_import_init(&im);
	if ((rc = api_ol_read(r, &im)) != 0 || outreach_import_bad(&im) != 0) {
		rc = rc != 0 ? (rc > 0 ? 0 : -1) : api_ol_bad_rows(r, &im);
		outreach_import_free(&im);
		return rc;
	}
	vault_db_lock(v);
	rc = outreach_list_create(v->st.store, name, p->name, &im, vault_now(v), &l, &imported,
	    &dups, &err);
	vault_db_unlock(v);
	outreach_import_free(&im);
	if (rc != 0 && err.code == BOS_E_EXISTS)
		return http_reply_error(r, 409, "exists", "a list named '%s' exists already", name);
	if (rc != 0)
		return api_ol_fail(r, &err);
	http_req_audit_resource(r, "/outreach/lists/%s", l.id);
	http_req_audit_reason(r, "list %s (%s) made: %zu contacts imported, %zu duplicates "
	    "skipped", l.id, l.name, imported, dups);
	log_info("request %s: %s made list %s: %zu contacts, %zu duplicates", http_req_id(r),
	    p->accessor, l.id, imported, dups);
	return api_ol_imported(r, 201, &l, imported, dups);
}

/* {id} of the path: a list id (404 otherwise) and its policy path. 0, or answered (1/-1). */
static int
api_ol_target(struct vault *v, struct http_req *r, unsigned action, const char **id)
{
	char path[API_OL_PATH_SIZE];
	int rc;

	*id = http_req_param(r, "id");
	if (!outreach_list_id_valid(*id))
		return http_reply_error(r, 404, "not_found", "no such list: give its id (ol_...)")
		    == 0 ? 1 : -1;
	(void)snprintf(path, sizeof(path), API_OL_PATH "/%s", *id);
	rc = api_allow(v, r, action, path, *id);
	return rc;
}

int
api_outreach_list_append(struct vault *v, struct http_req *r)
{
	struct outreach_list_info l;
	struct outreach_import im;
	size_t imported = 0, dups = 0;
	struct bos_err err;
	const char *id;
	int rc;

	if ((rc = api_ol_target(v, r, POLICY_UPDATE, &id)) != 0)
		return rc > 0 ? 0 : -1;
	outreach_import_init(&im);
	if ((rc = api_ol_read(r, &im)) != 0 || outreach_import_bad(&im) != 0) {
		rc = rc != 0 ? (rc > 0 ? 0 : -1) : api_ol_bad_rows(r, &im);
		outreach_import_free(&im);
		return rc;
	}
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_list_append(v->st.store, id, &im, vault_now(v), &l, &imported, &dups, &err);
	vault_db_unlock(v);
	outreach_import_free(&im);
	if (rc != 0)
		return api_ol_fail(r, &err);
	http_req_audit_reason(r, "list %s (%s): %zu contacts added, %zu duplicates skipped, %lld "
	    "in all", l.id, l.name, imported, dups, (long long)l.contacts);
	log_info("request %s: %s added %zu contacts to list %s (%zu duplicates)", http_req_id(r),
	    http_req_principal(r)->accessor, imported, l.id, dups);
	return api_ol_imported(r, 200, &l, imported, dups);
}

static int
api_ol_list_cb(const struct outreach_list_info *l, void *arg)
{
	json_t *o = api_ol_list_json(l);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_outreach_list_list(struct vault *v, struct http_req *r)
{
	struct bos_err err;
	json_t *arr;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_OL_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_list_list(v->st.store, api_ol_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return api_ol_fail(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "lists", arr));
}

int
api_outreach_list_get(struct vault *v, struct http_req *r)
{
	struct outreach_list_info l;
	struct bos_err err;
	const char *id;
	int rc;

	if ((rc = api_ol_target(v, r, POLICY_READ, &id)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_list_get(v->st.store, id, &l, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_ol_fail(r, &err);
	return http_reply_json(r, 200, json_pack("{s:o}", "list", api_ol_list_json(&l)));
}

/* ?limit=: 1..OUTREACH_PAGE_MAX (default API_OL_LIMIT_DEFAULT); 0 when it is not that. */
static unsigned
api_ol_limit(struct http_req *r)
{
	const char *q = http_req_query(r, "limit");
	unsigned long n;
	char *end;

	if (q == NULL)
		return API_OL_LIMIT_DEFAULT;
	if (q[0] < '1' || q[0] > '9' || strlen(q) > 4)
		return 0;
	n = strtoul(q, &end, 10);
	return *end == '\0' && n <= OUTREACH_PAGE_MAX ? (unsigned)n : 0;
}

static int
api_ol_contact_cb(const struct outreach_contact_info *c, void *arg)
{
	json_t *fields = json_loads(c->fields_json, JSON_REJECT_DUPLICATES, NULL), *o;

	o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", c->id,
	    "email", api_ol_opt(c->email), "phone", api_ol_opt(c->phone),
	    "name", api_ol_opt(c->name), "consent", api_ol_channels(c->consent),
	    "fields", fields != NULL ? fields : json_object(),
	    "suppressed", api_ol_channels(c->suppressed),
	    "created_at", api_ol_time(c->created_at));
	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_outreach_list_contacts(struct vault *v, struct http_req *r)
{
	char next[OUTREACH_ID_SIZE];
	struct outreach_list_info l;
	unsigned limit = api_ol_limit(r);
	struct bos_err err;
	const char *id;
	json_t *arr;
	int rc;

	if ((rc = api_ol_target(v, r, POLICY_LIST, &id)) != 0)
		return rc > 0 ? 0 : -1;
	if (limit == 0)
		return http_reply_error(r, 400, "bad_query", "'limit' is 1 to %d",
		    OUTREACH_PAGE_MAX);
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_list_get(v->st.store, id, &l, &err);
	if (rc == 0)
		rc = outreach_contact_page(v->st.store, l.id, http_req_query(r, "cursor"), limit,
		    api_ol_contact_cb, arr, next, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		if (err.code == BOS_E_INVALID)
			return http_reply_error(r, 400, "bad_query", "%s", err.msg);
		return api_ol_fail(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o, s:o}", "contacts", arr, "next",
	    api_ol_opt(next)));
}

/* ---- suppressions ----------------------------------------------------------------------- */

static json_t *
api_supp_json(const struct outreach_suppression *o)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "address", o->address, "channel",
	    o->channel, "reason", o->reason, "source", o->source, "created_at",
	    api_ol_time(o->created_at));
}

static int
api_supp_list_cb(const struct outreach_suppression *o, void *arg)
{
	json_t *j = api_supp_json(o);

	return j == NULL || json_array_append_new(arg, j) != 0 ? -1 : 0;
}

/* ?cursor= of the suppression list: the decimal "next" of the page before; -1 when not. */
static int64_t
api_supp_cursor(struct http_req *r)
{
	const char *q = http_req_query(r, "cursor");
	unsigned long long n;
	char *end;

	if (q == NULL)
		return 0;
	if (q[0] < '1' || q[0] > '9' || strlen(q) > 18)
		return -1;
	n = strtoull(q, &end, 10);
	return *end == '\0' ? (int64_t)n : -1;
}

int
api_outreach_suppression_list(struct vault *v, struct http_req *r)
{
	const char *q = http_req_query(r, "channel");
	const char *channel = q != NULL ? outreach_channel_name(q) : NULL;
	unsigned limit = api_ol_limit(r);
	int64_t before = api_supp_cursor(r), next = 0;
	char nexts[24];
	struct bos_err err;
	json_t *arr;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_SUPP_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (q != NULL && channel == NULL)
		return http_reply_error(r, 400, "bad_query", "'channel' is email or sms");
	if (limit == 0 || before < 0)
		return http_reply_error(r, 400, "bad_query", "'limit' is 1 to %d; 'cursor' is the "
		    "'next' of the page before", OUTREACH_PAGE_MAX);
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_suppression_list(v->st.store, channel, before, limit, api_supp_list_cb, arr,
	    &next, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return api_ol_fail(r, &err);
	}
	(void)snprintf(nexts, sizeof(nexts), "%lld", (long long)next);
	return http_reply_json(r, 200, json_pack("{s:o, s:o}", "suppressions", arr, "next",
	    next != 0 ? json_string(nexts) : json_null()));
}

/*
 * An address and the channel its form gives (must agree with `channel` when
 * one is given). 0, or answered 400 (1/-1).
 */
static int
api_supp_address(struct http_req *r, const char *in, const char *given,
    char addr[OUTREACH_ADDRESS_SIZE], const char **channel)
{
	const char *why = "an address is an email address or a phone number";

	if (in == NULL || outreach_address_normalise(in, strlen(in), addr, channel, &why) != 0)
		return http_reply_error(r, 400, "invalid", "'address': %s", why) == 0 ? 1 : -1;
	if (given != NULL && strcmp(given, *channel) != 0)
		return http_reply_error(r, 400, "invalid", "'channel' is %s for that address (an "
		    "email address is suppressed for email, a phone number for sms)", *channel)
		    == 0 ? 1 : -1;
	return 0;
}

int
api_outreach_suppression_add(struct vault *v, struct http_req *r)
{
	json_t *body = http_req_body(r), *jc = json_object_get(body, "channel"),
	    *jr = json_object_get(body, "reason");
	const char *channel = NULL, *given = json_string_value(jc), *reason =
	    jr != NULL ? json_string_value(jr) : "admin";
	char addr[OUTREACH_ADDRESS_SIZE], source[OUTREACH_BY_SIZE];
	struct outreach_suppression o;
	struct bos_err err;
	int rc, added = 0;

	if ((rc = api_allow(v, r, POLICY_CREATE, API_SUPP_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (jc != NULL && outreach_channel_name(given) == NULL)
		return http_reply_error(r, 400, "invalid", "'channel' is email or sms");
	if (!outreach_reason_valid(reason))
		return http_reply_error(r, 400, "invalid", "'reason' is admin (the default), "
		    "unsubscribed, bounced, complained or stop");
	if ((rc = api_supp_address(r, json_string_value(json_object_get(body, "address")), given,
	    addr, &channel)) != 0)
		return rc > 0 ? 0 : -1;
	/* The admin's name is the source ([a-z0-9._-], so never "event:..."). */
	(void)snprintf(source, sizeof(source), "%s", http_req_principal(r)->name);
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_suppress(v->st.store, addr, channel, reason, source, vault_now(v), &added,
	    &err);
	if (rc == 0)
		rc = outreach_suppression_get(v->st.store, addr, channel, &o, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_ol_fail(r, &err);
	http_req_audit_resource(r, "/outreach/suppressions");
	http_req_audit_reason(r, added ? "suppressed %s for %s (%s)" : "%s was suppressed for %s "
	    "already (%s)", o.address, o.channel, o.reason);
	return http_reply_json(r, added ? 201 : 200, json_pack("{s:o}", "suppression",
	    api_supp_json(&o)));
}

int
api_outreach_suppression_delete(struct vault *v, struct http_req *r)
{
	const char *given = http_req_query(r, "channel"), *channel = NULL;
	char addr[OUTREACH_ADDRESS_SIZE];
	struct outreach_suppression o;
	struct bos_err err;
	int rc, removed = 0;

	if ((rc = api_allow(v, r, POLICY_DELETE, API_SUPP_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (given != NULL && outreach_channel_name(given) == NULL)
		return http_reply_error(r, 400, "bad_query", "'channel' is email or sms");
	if ((rc = api_supp_address(r, http_req_param(r, "address"), given, addr, &channel)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_suppression_get(v->st.store, addr, channel, &o, &err);
	if (rc == 0)
		rc = outreach_unsuppress(v->st.store, addr, channel, NULL, &removed, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_ol_fail(r, &err);
	http_req_audit_resource(r, "/outreach/suppressions");
	http_req_audit_reason(r, "lifted the suppression of %s for %s (it was %s, from %s)",
	    o.address, o.channel, o.reason, o.source);
	log_info("request %s: %s lifted a suppression for %s (%s)", http_req_id(r),
	    http_req_principal(r)->accessor, o.channel, o.reason);
	return http_reply_json(r, 200, json_pack("{s:o}", "suppression", api_supp_json(&o)));
}
