/*
 * The helpers and grants API (docs/GRANTS.md): POST/GET /helpers,
 * DELETE /helpers/{id}, POST /credentials/grant, GET /grants,
 * DELETE /grants/{accessor}. The decisions are the policy engine's and the
 * storage is helper.c's; this file maps them to requests and responses.
 *
 * A grant's token is in exactly one response, the one that creates it, sent
 * with http_reply_json_secret, and wiped here right after. Logs name
 * helpers, grants and credentials by id and accessor only.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "store/card.h"
#include "store/cred.h"
#include "auth/authz.h"
#include "store/helper.h"
#include "store/outreach_list.h"
#include "store/outreach_notice_queue.h"
#include "store/pickup.h"
#include "store/store.h"
#include "hsmc/hsm_client.h"
#include "log.h"
#include "secmem.h"
#include "core/vault.h"

#define API_HELPERS_PATH "helpers"
#define API_GRANTS_PATH "grants"

/* RFC 3339 UTC time, or null for 0. */
static json_t *
api_helper_time(int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

/* Answer a failure; what is the vault's fault goes to the log with the request id. */
static int
api_helper_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND &&
	    err->code != BOS_E_REVOKED && err->code != BOS_E_EXISTS)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

/*
 * An optional string field: 0 with *out (NULL when absent or null), -1 when
 * it is not a string or holds a NUL (which C code would silently cut at).
 */
static int
api_helper_str(struct http_req *r, const char *key, const char **out)
{
	json_t *f = json_object_get(http_req_body(r), key);

	*out = NULL;
	if (f == NULL || json_is_null(f))
		return 0;
	if (!json_is_string(f) || strlen(json_string_value(f)) != json_string_length(f))
		return -1;
	*out = json_string_value(f);
	return 0;
}

/* ---- helpers -------------------------------------------------------------------- */

static json_t *
api_helper_json(const struct helper_info *h)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", h->id, "name", h->name,
	    "contact", h->contact, "kind", h->kind, "status", h->revoked_at ? "removed" : "active",
	    "created_by", h->created_by, "created_at", api_helper_time(h->created_at));

	if (o != NULL && h->revoked_at != 0)
		json_object_set_new(o, "removed_at", api_helper_time(h->revoked_at));
	return o;
}

/* Reply with helper id as it is stored now, plus optional extra fields (stolen). */
static int
api_helper_reply(struct vault *v, struct http_req *r, const char *id, unsigned status,
    json_t *extra)
{
	struct helper_info h;
	struct bos_err err;
	json_t *o;
	int rc;

	bos_err_clear(&err);
	vault_db_lock(v);
	rc = helper_get(v->st.store, id, &h, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(extra);
		return http_reply_bos_err(r, &err);
	}
	if ((o = api_helper_json(&h)) != NULL && extra != NULL)
		json_object_update(o, extra);
	json_decref(extra);
	return o == NULL ? -1 : http_reply_json(r, status, o);
}

int
api_helper_create(struct vault *v, struct http_req *r)
{
	struct helper_new n = { NULL, NULL, NULL, http_req_principal(r)->name };
	char id[HELPER_ID_SIZE];
	struct bos_err err;
	int rc;

	if ((rc = api_allow(v, r, POLICY_CREATE, API_HELPERS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (api_helper_str(r, "name", &n.name) != 0 || api_helper_str(r, "contact", &n.contact) != 0 ||
	    api_helper_str(r, "kind", &n.kind) != 0)
		return http_reply_error(r, 400, "invalid", "'name', 'contact' and 'kind' must be "
		    "strings");
	bos_err_clear(&err);
	if (helper_check(&n, &err) != 0)
		return http_reply_bos_err(r, &err);
	vault_db_lock(v);
	rc = helper_create(v->st.store, &n, vault_now(v), id, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_helper_fail(r, &err);
	log_info("request %s: %s registered helper %s", http_req_id(r),
	    http_req_principal(r)->accessor, id);
	http_req_audit_resource(r, "/helpers/%s", id);
	return api_helper_reply(v, r, id, 201, NULL);
}

static int
api_helper_list_cb(const struct helper_info *h, void *arg)
{
	json_t *o = api_helper_json(h);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_helper_list(struct vault *v, struct http_req *r)
{
	struct bos_err err;
	json_t *arr;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_HELPERS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = helper_list(v->st.store, api_helper_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return api_helper_fail(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "helpers", arr));
}

int
api_helper_revoke(struct vault *v, struct http_req *r)
{
	const char *id = http_req_param(r, "id");
	char path[sizeof(API_HELPERS_PATH) + HELPER_ID_SIZE];
	struct bos_err err;
	unsigned n = 0;
	int rc;

	if (!helper_id_valid(id))
		return http_reply_error(r, 404, "not_found", "no such helper: give its id (hl_...)");
	(void)snprintf(path, sizeof(path), API_HELPERS_PATH "/%s", id);
	if ((rc = api_allow(v, r, POLICY_DELETE, path, id)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = helper_remove(v->st.store, id, vault_now(v), &n, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_helper_fail(r, &err);
	log_info("request %s: %s removed helper %s and revoked its %u active grant(s)",
	    http_req_id(r), http_req_principal(r)->accessor, id, n);
	return api_helper_reply(v, r, id, 200, json_pack("{s:I}", "grants_revoked",
	    (json_int_t)n));
}

/* ---- grants: the request ---------------------------------------------------------- */

/* A grant request as parsed from the body; the strings point into the body. */
struct api_grant_req {
	const char *helper;
	const char *items[POLICY_GRANT_MAX_ITEMS];
	size_t n_items;
	unsigned actions;
	uint32_t ttl, max_uses;
	const char *cidrs[POLICY_GRANT_MAX_CIDRS];
	size_t n_cidrs;
	const char *note;
	int pickup;                   /* delivery "pickup": the token waits for its admin */
	const char *notify;           /* delivery "email" or "sms": sent to the helper's contact */
};

/* An array of at most max strings into out. 0, or -1 with a message in why. */
static int
api_grant_strings(json_t *a, const char *name, size_t min, size_t max, const char **out,
    size_t *n, char *why, size_t whylen)
{
	json_t *v;
	size_t i;

	*n = 0;
	if (!json_is_array(a) || json_array_size(a) < min || json_array_size(a) > max) {
		(void)snprintf(why, whylen, "'%s' must be an array of %zu to %zu strings", name,
		    min, max);
		return -1;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			(void)snprintf(why, whylen, "'%s' item %zu must be a string", name, i + 1);
			return -1;
		}
		out[(*n)++] = json_string_value(v);
	}
	return 0;
}

/* ["read", "update"] into policy bits; only what a grant may carry. */
static int
api_grant_actions(json_t *a, unsigned *out, char *why, size_t whylen)
{
	const char *names[8];
	unsigned bit;
	size_t i, n;

	*out = 0;
	if (api_grant_strings(a, "actions", 1, BOS_ARRAY_LEN(names), names, &n, why, whylen) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		bit = policy_action_parse(names[i], strlen(names[i]));
		if (bit == 0 || (bit & ~(unsigned)GRANT_ACTIONS_ALLOWED) != 0) {
			(void)snprintf(why, whylen, "'actions' may hold only read and update "
			    "(item %zu is not one of them)", i + 1);
			return -1;
		}
		*out |= bit;
	}
	return 0;
}

/* An optional integer field in [lo, hi]; absent or null leaves *out. 0 or -1. */
static int
api_grant_uint(json_t *body, const char *name, uint32_t lo, uint32_t hi, uint32_t *out,
    char *why, size_t whylen)
{
	json_t *f = json_object_get(body, name);

	if (f == NULL || json_is_null(f))
		return 0;
	if (!json_is_integer(f) || json_integer_value(f) < (json_int_t)lo ||
	    json_integer_value(f) > (json_int_t)hi) {
		(void)snprintf(why, whylen, "'%s' must be an integer from %u to %u", name, lo, hi);
		return -1;
	}
	*out = (uint32_t)json_integer_value(f);
	return 0;
}

static int
api_grant_parse_lists(json_t *body, struct api_grant_req *g, char *why, size_t whylen)
{
	json_t *cidrs = json_object_get(body, "cidrs");
	struct policy_cidr c;
	size_t i;

	if (api_grant_strings(json_object_get(body, "credentials"), "credentials", 1,
	    POLICY_GRANT_MAX_ITEMS, g->items, &g->n_items, why, whylen) != 0 ||
	    api_grant_actions(json_object_get(body, "actions"), &g->actions, why, whylen) != 0)
		return -1;
	/* A pattern is stored as written and shown in every list of grants. */
	for (i = 0; i < g->n_items; i++) {
		if (card_text_has_pan(g->items[i])) {
			(void)snprintf(why, whylen, "'credentials' item %zu must not contain a card "
			    "number" CARD_TEXT_HINT, i + 1);
			return -1;
		}
	}
	if (cidrs != NULL && !json_is_null(cidrs) && api_grant_strings(cidrs, "cidrs", 0,
	    POLICY_GRANT_MAX_CIDRS, g->cidrs, &g->n_cidrs, why, whylen) != 0)
		return -1;
	for (i = 0; i < g->n_cidrs; i++) {
		if (policy_cidr_parse(g->cidrs[i], &c) != 0) {
			(void)snprintf(why, whylen, "'cidrs' item %zu is not a network such as "
			    "10.0.0.0/8, 192.0.2.7 or 2001:db8::/32", i + 1);
			return -1;
		}
	}
	return 0;
}

/*
 * "delivery": "response" (the default: the token in the answer), "pickup",
 * or "email" / "sms" (sent to the helper's contact, docs/OUTREACH.md "Notices").
 */
static int
api_grant_delivery(struct http_req *r, struct api_grant_req *g, char *why, size_t whylen)
{
	const char *d;

	if (api_helper_str(r, "delivery", &d) != 0 || (d != NULL &&
	    strcmp(d, "response") != 0 && strcmp(d, "pickup") != 0 && strcmp(d, "email") != 0 &&
	    strcmp(d, "sms") != 0)) {
		(void)snprintf(why, whylen, "'delivery' is \"response\" (the token in this answer), "
		    "\"pickup\" (for 'bosctl grant pickup'), \"email\" or \"sms\" (to the "
		    "helper's contact)");
		return -1;
	}
	g->pickup = d != NULL && strcmp(d, "pickup") == 0;
	g->notify = d != NULL && (strcmp(d, "email") == 0 || strcmp(d, "sms") == 0) ? d : NULL;
	return 0;
}

static int
api_grant_parse(struct vault *v, struct http_req *r, struct api_grant_req *g, char *why,
    size_t whylen)
{
	const struct config *c = &v->st.conf;
	json_t *body = http_req_body(r);

	memset(g, 0, sizeof(*g));
	/* A default longer than the maximum (a bos.conf mistake) is cut to the maximum. */
	g->ttl = c->grant_default_ttl_seconds < c->grant_max_ttl_seconds ?
	    c->grant_default_ttl_seconds : c->grant_max_ttl_seconds;
	if (api_helper_str(r, "helper", &g->helper) != 0 || g->helper == NULL) {
		(void)snprintf(why, whylen, "'helper' is required: the helper's id (hl_...)");
		return -1;
	}
	if (api_grant_parse_lists(body, g, why, whylen) != 0 ||
	    api_grant_uint(body, "ttl", 1, c->grant_max_ttl_seconds, &g->ttl, why, whylen) != 0 ||
	    api_grant_uint(body, "max_uses", 1, UINT32_MAX, &g->max_uses, why, whylen) != 0)
		return -1;
	if (api_helper_str(r, "note", &g->note) != 0 ||
	    (g->note != NULL && strlen(g->note) > GRANT_NOTE_MAX)) {
		(void)snprintf(why, whylen, "'note' must be a string of at most %d characters",
		    GRANT_NOTE_MAX);
		return -1;
	}
	if (g->note != NULL && card_text_has_pan(g->note)) {
		(void)snprintf(why, whylen, "'note' must not contain a card number" CARD_TEXT_HINT);
		return -1;
	}
	return api_grant_delivery(r, g, why, whylen);
}

/* ---- grants: narrowing and creation ------------------------------------------------- */

/* What the vault stores for each requested item, and the scope narrowing checks. */
struct api_grant_items {
	char stored[POLICY_GRANT_MAX_ITEMS][GRANT_ITEM_MAX + 1];
	const char *ptr[POLICY_GRANT_MAX_ITEMS];
};

/*
 * Under the database lock: resolve each item (ids and names must be active
 * credentials) and check that the issuing admin's role may hand out every
 * action on all of it. 0, or the answer was queued (1/-1).
 */
static int
api_grant_narrow(struct vault *v, struct http_req *r, const struct api_grant_req *g,
    struct api_grant_items *it)
{
	char scope[GRANT_ITEM_MAX + 1];
	struct policy_decision d;
	struct bos_err err;
	size_t i;

	bos_err_clear(&err);
	for (i = 0; i < g->n_items; i++) {
		if (grant_item_resolve(&v->cc, g->items[i], it->stored[i], scope, &err) != 0)
			return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
		it->ptr[i] = it->stored[i];
		if (!authz_may_delegate(v->policy, g->actions, scope, &d)) {
			log_info("request %s: %s denied grant of item %zu: %s", http_req_id(r),
			    http_req_principal(r)->accessor, i + 1, d.reason);
			return http_reply_error(r, 403, "forbidden", "a grant can only narrow what "
			    "you may do: %s", d.reason) == 0 ? 1 : -1;
		}
	}
	return 0;
}

static json_t *
api_grant_actions_json(unsigned actions)
{
	json_t *a = json_array();
	unsigned bit;

	for (bit = 1; a != NULL && bit <= POLICY_ACTIONS_ALL; bit <<= 1)
		if ((actions & bit) != 0)
			json_array_append_new(a, json_string(policy_action_name(bit)));
	return a;
}

/* null for 0 (unlimited), else the number. */
static json_t *
api_grant_max_json(uint32_t max_uses)
{
	return max_uses == 0 ? json_null() : json_integer(max_uses);
}

/*
 * The one answer that carries the token; for a pickup grant (pickup_until
 * not 0) it carries pickup {expires_at} instead, for a notice grant (notice
 * not NULL) notice {id, channel}: nothing secret.
 */
static int
api_grant_reply_new(struct http_req *r, const struct grant_new *gn, const char *token,
    const char *accessor, int64_t pickup_until, const char *notice, const char *channel)
{
	json_t *o, *items = json_array(), *cidrs = json_array();
	size_t i;

	for (i = 0; items != NULL && i < gn->n_items; i++)
		json_array_append_new(items, json_string(gn->items[i]));
	for (i = 0; cidrs != NULL && i < gn->n_cidrs; i++)
		json_array_append_new(cidrs, json_string(gn->cidrs[i]));
	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s}", "accessor", accessor,
	    "helper", gn->helper_id, "credentials", items, "actions",
	    api_grant_actions_json(gn->actions), "expires_at", api_helper_time(gn->expires_at),
	    "max_uses", api_grant_max_json(gn->max_uses), "cidrs", cidrs, "note",
	    gn->note != NULL ? gn->note : "");
	if (o == NULL)
		return -1;
	if (notice != NULL) {
		if (json_object_set_new(o, "notice", json_pack("{s:s, s:s}", "id", notice,
		    "channel", channel)) != 0) {
			json_decref(o);
			return -1;
		}
		return http_reply_json(r, 201, o);
	}
	if (pickup_until != 0) {
		if (json_object_set_new(o, "pickup", json_pack("{s:o}", "expires_at",
		    api_helper_time(pickup_until))) != 0) {
			json_decref(o);
			return -1;
		}
		return http_reply_json(r, 201, o);
	}
	if (json_object_set_new(o, "token", json_string(token)) != 0) {
		json_decref(o);
		return -1;
	}
	return http_reply_json_secret(r, 201, o);
}

/*
 * A pickup grant: its token wrapped by the current KEK (AAD "bos-pickup:v1:"
 * + accessor) and stored in the grant's transaction, for its admin to pick
 * up once (api_pickup.c). 0, or -1 with err.
 */
static int
api_grant_pickup_store(struct vault *v, struct http_req *r, const char *token,
    const char *accessor, int64_t now, int64_t until, struct bos_err *err)
{
	uint8_t aad[PICKUP_AAD_MAX], blob[PICKUP_BLOB_MAX];
	size_t aad_len = pickup_aad(accessor, aad), blob_len = 0;
	int rc;

	if (hsm_wrap(v->st.hsm, v->st.kek_version, aad, aad_len, (const uint8_t *)token,
	    strlen(token), blob, sizeof(blob), &blob_len, err) != 0)
		return -1;
	rc = pickup_store(v->st.store, accessor, v->st.kek_version, blob, blob_len,
	    http_req_principal(r)->name, now, until, err);
	secmem_wipe(blob, sizeof(blob));
	return rc;
}

/* Under the lock: narrow, then store. 0 with token and accessor, else answered (1/-1). */
static int
api_grant_store(struct vault *v, struct http_req *r, const struct api_grant_req *g,
    struct grant_new *gn, char token[TOKEN_SIZE], char accessor[TOKEN_ACCESSOR_SIZE])
{
	struct api_grant_items it;
	struct bos_err err;
	int64_t now = vault_now(v), until = 0;
	int rc;

	if ((rc = api_grant_narrow(v, r, g, &it)) != 0)
		return rc;
	*gn = (struct grant_new){ g->helper, it.ptr, g->n_items, g->actions, now + g->ttl,
	    g->max_uses, g->cidrs, g->n_cidrs, g->note, http_req_principal(r)->name };
	bos_err_clear(&err);
	if (!g->pickup) {
		if (grant_create(v->st.store, gn, now, token, accessor, &err) != 0)
			return api_helper_fail(r, &err) == 0 ? 1 : -1;
		return api_grant_reply_new(r, gn, token, accessor, 0, NULL, NULL) == 0 ? 1 : -1;
	}
	/* The grant and its pickup are stored together or not at all. */
	until = now + (int64_t)v->st.conf.grant_pickup_seconds;
	if (store_begin(v->st.store, &err) != 0)
		return api_helper_fail(r, &err) == 0 ? 1 : -1;
	if (grant_create(v->st.store, gn, now, token, accessor, &err) != 0 ||
	    api_grant_pickup_store(v, r, token, accessor, now, until, &err) != 0) {
		if (store_rollback(v->st.store, NULL) != 0)
			log_err("request %s: rollback failed", http_req_id(r));
		accessor[0] = '\0';
		return api_helper_fail(r, &err) == 0 ? 1 : -1;
	}
	if (store_commit(v->st.store, &err) != 0) {
		accessor[0] = '\0';
		return api_helper_fail(r, &err) == 0 ? 1 : -1;
	}
	return api_grant_reply_new(r, gn, token, accessor, until, NULL, NULL) == 0 ? 1 : -1;
}

/*
 * Delivery "email" or "sms": the helper's contact must have that form and
 * the vault must send notices of that channel. 0 with to (normalised), or
 * answered 400 (1/-1). Under the lock.
 */
static int
api_grant_notice_to(struct vault *v, struct http_req *r, const struct api_grant_req *g,
    char to[OUTREACH_ADDRESS_SIZE])
{
	int email = strcmp(g->notify, "email") == 0;
	struct helper_info h;
	const char *why = NULL;
	struct bos_err err;

	bos_err_clear(&err);
	if (helper_get(v->st.store, g->helper, &h, &err) != 0)
		return api_helper_fail(r, &err) == 0 ? 1 : -1;
	if ((email ? outreach_email_normalise(h.contact, strlen(h.contact), to, &why) :
	    outreach_phone_normalise(h.contact, strlen(h.contact), to, &why)) != 0)
		return http_reply_error(r, 400, "invalid", "helper %s has no %s contact (its "
		    "contact is not %s): give it one, or choose another 'delivery'", g->helper,
		    email ? "email" : "phone", email ? "an email address" :
		    "a phone number in E.164, such as +14155550100") == 0 ? 1 : -1;
	if (outreach_notice_check(v->st.store, g->notify, &err) != 0)
		return http_reply_error(r, 400, "not_configured", "%s", err.msg) == 0 ? 1 : -1;
	return 0;
}

/*
 * A notice grant: its token wrapped by the current KEK (AAD "bos-notice:v1:"
 * + the notice id) and queued with its send job in the grant's transaction.
 */
static int
api_grant_notice_store(struct vault *v, struct http_req *r, const struct api_grant_req *g,
    const char *to, const char *token, const char *accessor, int64_t now,
    char id[OUTREACH_NOTICE_ID_SIZE], struct bos_err *err)
{
	uint8_t aad[OUTREACH_NOTICE_AAD_MAX], blob[OUTREACH_NOTICE_BLOB_MAX];
	size_t aad_len, blob_len = 0;
	int rc;

	if (outreach_notice_id_new(id) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	aad_len = outreach_notice_aad(id, aad);
	if (hsm_wrap(v->st.hsm, v->st.kek_version, aad, aad_len, (const uint8_t *)token,
	    strlen(token), blob, sizeof(blob), &blob_len, err) != 0)
		return -1;
	rc = outreach_notice_grant(v->st.store, id, g->notify, to, accessor, v->st.kek_version,
	    blob, blob_len, http_req_principal(r)->name, now, err);
	secmem_wipe(blob, sizeof(blob));
	return rc;
}

/* As api_grant_store for delivery "email" or "sms". */
static int
api_grant_store_notice(struct vault *v, struct http_req *r, const struct api_grant_req *g,
    struct grant_new *gn, char token[TOKEN_SIZE], char accessor[TOKEN_ACCESSOR_SIZE],
    char notice[OUTREACH_NOTICE_ID_SIZE])
{
	char to[OUTREACH_ADDRESS_SIZE];
	struct api_grant_items it;
	struct bos_err err;
	int64_t now = vault_now(v);
	int rc;

	if ((rc = api_grant_notice_to(v, r, g, to)) != 0 ||
	    (rc = api_grant_narrow(v, r, g, &it)) != 0)
		return rc;
	*gn = (struct grant_new){ g->helper, it.ptr, g->n_items, g->actions, now + g->ttl,
	    g->max_uses, g->cidrs, g->n_cidrs, g->note, http_req_principal(r)->name };
	bos_err_clear(&err);
	/* The grant and its notice are stored together or not at all. */
	if (store_begin(v->st.store, &err) != 0)
		return api_helper_fail(r, &err) == 0 ? 1 : -1;
	if (grant_create(v->st.store, gn, now, token, accessor, &err) != 0 ||
	    api_grant_notice_store(v, r, g, to, token, accessor, now, notice, &err) != 0) {
		if (store_rollback(v->st.store, NULL) != 0)
			log_err("request %s: rollback failed", http_req_id(r));
		accessor[0] = '\0';
		return api_helper_fail(r, &err) == 0 ? 1 : -1;
	}
	if (store_commit(v->st.store, &err) != 0) {
		accessor[0] = '\0';
		return api_helper_fail(r, &err) == 0 ? 1 : -1;
	}
	return api_grant_reply_new(r, gn, token, accessor, 0, notice, g->notify) == 0 ? 1 : -1;
}

int
api_grant_create(struct vault *v, struct http_req *r)
{
	struct api_grant_req g;
	struct grant_new gn;
	char why[160], token[TOKEN_SIZE], accessor[TOKEN_ACCESSOR_SIZE];
	char notice[OUTREACH_NOTICE_ID_SIZE] = "";
	int rc;

	if ((rc = api_allow(v, r, POLICY_GRANT, API_GRANTS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (api_grant_parse(v, r, &g, why, sizeof(why)) != 0)
		return http_reply_error(r, 400, "invalid", "%s", why);
	token[0] = accessor[0] = '\0';
	vault_db_lock(v);
	rc = g.notify != NULL ? api_grant_store_notice(v, r, &g, &gn, token, accessor, notice) :
	    api_grant_store(v, r, &g, &gn, token, accessor);
	vault_db_unlock(v);
	if (accessor[0] != '\0' && g.notify != NULL) {
		log_info("request %s: %s granted helper %s access as %s (token sent by %s, notice "
		    "%s)", http_req_id(r), http_req_principal(r)->accessor, g.helper, accessor,
		    g.notify, notice);
		http_req_audit_resource(r, "/grants/%s", accessor);
		http_req_audit_reason(r, "helper %s; token wrapped and queued to its %s contact "
		    "(notice %s)", g.helper, g.notify, notice);
	} else if (accessor[0] != '\0') {
		log_info("request %s: %s granted helper %s access as %s%s", http_req_id(r),
		    http_req_principal(r)->accessor, g.helper, accessor, g.pickup ?
		    " (token waits for pickup)" : "");
		http_req_audit_resource(r, "/grants/%s", accessor);
		http_req_audit_reason(r, "helper %s%s", g.helper, g.pickup ? "; token wrapped for "
		    "pickup by its admin within grant_pickup_seconds" : "");
	}
	secmem_wipe(token, sizeof(token));
	return rc > 0 ? 0 : -1;
}

/* ---- grants: list and revoke --------------------------------------------------------- */

struct api_grant_list_ctx {
	json_t *arr;
	int64_t now;
};

static json_t *
api_grant_json(const struct grant_info *g, int64_t now)
{
	json_t *items = json_loads(g->items_json, 0, NULL), *cidrs = json_loads(g->cidrs_json, 0,
	    NULL), *o;

	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:s}",
	    "accessor", g->accessor, "helper", g->helper_id,
	    "credentials", items != NULL ? items : json_array(),
	    "actions", api_grant_actions_json(g->actions),
	    "cidrs", cidrs != NULL ? cidrs : json_array(),
	    "note", g->note, "issued_by", g->issued_by,
	    "created_at", api_helper_time(g->created_at),
	    "expires_at", api_helper_time(g->expires_at),
	    "max_uses", api_grant_max_json(g->max_uses), "uses", (json_int_t)g->uses,
	    "last_used_at", api_helper_time(g->last_used_at), "state", grant_state(g, now));
	if (o != NULL && g->revoked_at != 0) {
		json_object_set_new(o, "revoked_at", api_helper_time(g->revoked_at));
		json_object_set_new(o, "revoke_reason", json_string(g->revoke_reason));
	}
	return o;
}

static int
api_grant_list_cb(const struct grant_info *g, void *arg)
{
	struct api_grant_list_ctx *c = arg;
	json_t *o = api_grant_json(g, c->now);

	return o == NULL || json_array_append_new(c->arr, o) != 0 ? -1 : 0;
}

/* ?state=active|ended (absent: both). -1 when it is something else. */
static int
api_grant_filter(struct http_req *r, enum grant_filter *f)
{
	const char *s = http_req_query(r, "state");

	*f = GRANT_ALL;
	if (s == NULL)
		return 0;
	if (strcmp(s, "active") == 0)
		*f = GRANT_ACTIVE;
	else if (strcmp(s, "ended") == 0)
		*f = GRANT_ENDED;
	else
		return -1;
	return 0;
}

int
api_grant_list(struct vault *v, struct http_req *r)
{
	const char *helper = http_req_query(r, "helper");
	struct api_grant_list_ctx c = { NULL, vault_now(v) };
	enum grant_filter f;
	struct bos_err err;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_GRANTS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (api_grant_filter(r, &f) != 0)
		return http_reply_error(r, 400, "invalid", "'state' must be active or ended");
	if (helper != NULL && !helper_id_valid(helper))
		return http_reply_error(r, 400, "invalid", "'helper' must be a helper id (hl_...)");
	if ((c.arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = grant_list(v->st.store, helper, f, c.now, api_grant_list_cb, &c, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(c.arr);
		return api_helper_fail(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "grants", c.arr));
}

/* Under the lock: revoke, then read back what the answer shows. */
static int
api_grant_revoke_locked(struct vault *v, const char *accessor, const char *admin,
    struct grant_info *g, struct bos_err *err)
{
	char reason[GRANT_REASON_SIZE];
	int64_t now = vault_now(v);

	(void)snprintf(reason, sizeof(reason), "revoked by admin %s", admin);
	if (grant_revoke(v->st.store, accessor, now, reason, err) != 0)
		return -1;
	return grant_get(v->st.store, accessor, g, err);
}

int
api_grant_revoke(struct vault *v, struct http_req *r)
{
	const char *accessor = http_req_param(r, "accessor");
	char path[sizeof(API_GRANTS_PATH) + TOKEN_ACCESSOR_SIZE];
	struct grant_info g;
	struct bos_err err;
	int rc;

	if (!token_accessor_valid(accessor))
		return http_reply_error(r, 404, "not_found", "no such grant: give its accessor "
		    "(acc_...)");
	(void)snprintf(path, sizeof(path), API_GRANTS_PATH "/%s", accessor);
	if ((rc = api_allow(v, r, POLICY_DELETE, path, accessor)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	/* The revoke commits before the answer is queued: a use that starts later sees it. */
	vault_db_lock(v);
	rc = api_grant_revoke_locked(v, accessor, http_req_principal(r)->name, &g, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_helper_fail(r, &err);
	log_info("request %s: %s revoked grant %s", http_req_id(r),
	    http_req_principal(r)->accessor, accessor);
	rc = http_reply_json(r, 200, api_grant_json(&g, vault_now(v)));
	grant_info_free(&g);
	return rc;
}
