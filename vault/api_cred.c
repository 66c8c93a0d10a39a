/*
 * The credentials API: POST/GET /credentials, GET/PUT/DELETE
 * /credentials/{id}, GET /credentials/{id}/versions. Metadata never carries
 * a secret; a card shows brand, first 6 and last 4 only. A secret leaves
 * only in GET /credentials/{id}, in a response whose bytes are wiped once
 * sent.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api.h"
#include "auth.h"
#include "cred.h"
#include "json_alloc.h"
#include "log.h"
#include "secmem.h"
#include "vault.h"

/* RFC 3339 UTC time, or null for 0. */
static json_t *
api_cred_time(int64_t t)
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
api_cred_meta_json(const struct cred_meta *m)
{
	json_t *o = json_object(), *md;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "name", json_string(m->name));
	json_object_set_new(o, "type", json_string(cred_type_name(m->type)));
	json_object_set_new(o, "service", json_string(m->service));
	json_object_set_new(o, "version", json_integer(m->version));
	json_object_set_new(o, "status", json_string(m->revoked_at ? "revoked" : "active"));
	json_object_set_new(o, "created_at", api_cred_time(m->created_at));
	json_object_set_new(o, "updated_at", api_cred_time(m->updated_at));
	if (m->revoked_at)
		json_object_set_new(o, "revoked_at", api_cred_time(m->revoked_at));
	md = json_loads(m->metadata_json ? m->metadata_json : "{}", 0, NULL);
	json_object_set_new(o, "metadata", md ? md : json_object());
	if (m->type == CRED_CARD)
		json_object_set_new(o, "card", json_pack("{s:s, s:s, s:s}", "brand", m->card_brand,
		    "first6", m->card_first6, "last4", m->card_last4));
	return o;
}

/* A required string field of the body; answers 400 itself when missing or not a string. */
static const char *
api_cred_field(struct http_req *r, const char *name, int *answered)
{
	json_t *v = json_object_get(http_req_body(r), name);

	if (json_is_string(v))
		return json_string_value(v);
	*answered = 1;
	if (http_reply_error(r, 400, "invalid", "'%s' is required and must be a string", name) != 0)
		*answered = -1;
	return NULL;
}

/* Reply with the metadata of id (status 200 or 201). Caller holds no lock. */
static int
api_cred_reply_meta(struct vault *v, struct http_req *r, const char *id, unsigned status)
{
	struct cred_meta m;
	struct bos_err err;
	int rc;

	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_get(&v->cc, id, &m, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	rc = http_reply_json(r, status, api_cred_meta_json(&m));
	cred_meta_free(&m);
	return rc;
}

int
api_cred_create(struct vault *v, struct http_req *r)
{
	json_t *body = http_req_body(r), *md = json_object_get(body, "metadata");
	struct cred_new n;
	struct bos_err err;
	char id[CRED_ID_LEN + 1], *md_text = NULL;
	const char *type, *secret;
	int answered = 0, rc;

	memset(&n, 0, sizeof(n));
	if ((n.name = api_cred_field(r, "name", &answered)) == NULL ||
	    (type = api_cred_field(r, "type", &answered)) == NULL ||
	    (n.service = api_cred_field(r, "service", &answered)) == NULL ||
	    (secret = api_cred_field(r, "secret", &answered)) == NULL)
		return answered > 0 ? 0 : -1;
	if (cred_type_parse(type, &n.type) != 0)
		return http_reply_error(r, 400, "invalid", "'type' must be one of api_key, password, "
		    "card, bank_account, secret");
	if (md != NULL && !json_is_object(md))
		return http_reply_error(r, 400, "invalid", "'metadata' must be an object");
	if (md != NULL && (md_text = json_dumps(md, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return -1;
	n.metadata_json = md_text;
	n.secret = (const uint8_t *)secret;
	n.secret_len = json_string_length(json_object_get(body, "secret"));
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_create(&v->cc, &n, id, &err);
	vault_db_unlock(v);
	json_alloc_release(md_text);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	log_info("request %s: %s created credential %s", http_req_id(r),
	    http_req_principal(r)->accessor, id);
	return api_cred_reply_meta(v, r, id, 201);
}

static int
api_cred_list_cb(const struct cred_meta *m, void *arg)
{
	json_t *o = api_cred_meta_json(m);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_cred_list(struct vault *v, struct http_req *r)
{
	const char *service = http_req_query(r, "service"), *type = http_req_query(r, "type");
	enum cred_type t;
	struct bos_err err;
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return -1;
	if (type != NULL && cred_type_parse(type, &t) != 0) {
		json_decref(arr);
		return http_reply_error(r, 400, "invalid", "'type' must be one of api_key, password, "
		    "card, bank_account, secret");
	}
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_list(&v->cc, service, type, api_cred_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return http_reply_bos_err(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "credentials", arr));
}

/* The version query parameter: absent means current (0). -1 when invalid. */
static long
api_cred_version(struct http_req *r)
{
	const char *s = http_req_query(r, "version");
	char *end;
	long n;

	if (s == NULL)
		return 0;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || n < 1 || n > UINT32_MAX)
		return -1;
	return n;
}

/*
 * The secret as JSON: a string when it is valid UTF-8 (every secret given
 * through the API is), else base64 under "secret_base64".
 */
static int
api_cred_put_secret(json_t *o, const uint8_t *secret, size_t len)
{
	json_t *s = json_stringn((const char *)secret, len);
	size_t cap = 4 * ((len + 2) / 3) + 1;
	unsigned char *b64;
	int rc;

	if (s != NULL)
		return json_object_set_new(o, "secret", s);
	if ((b64 = malloc(cap)) == NULL)
		return -1;
	(void)EVP_EncodeBlock(b64, secret, (int)len);
	rc = json_object_set_new(o, "secret_base64", json_string((const char *)b64));
	secmem_freezero(b64, cap);
	return rc;
}

int
api_cred_get(struct vault *v, struct http_req *r)
{
	const char *id = http_req_param(r, "id");
	long version = api_cred_version(r);
	struct cred_meta m;
	struct bos_err err;
	uint8_t *secret = NULL;
	size_t len = 0;
	json_t *o;
	int rc;

	if (version < 0)
		return http_reply_error(r, 400, "invalid", "'version' must be a positive integer");
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_get(&v->cc, id, &m, &err);
	if (rc == 0 && (rc = cred_read_secret(&v->cc, m.id, (uint32_t)version, &secret, &len, &err)) != 0)
		cred_meta_free(&m);
	vault_db_unlock(v);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	log_info("request %s: %s read the secret of credential %s version %ld", http_req_id(r),
	    http_req_principal(r)->accessor, m.id, version ? version : (long)m.version);
	o = api_cred_meta_json(&m);
	if (o != NULL) {
		json_object_set_new(o, "secret_version", json_integer(version ? version : m.version));
		if (api_cred_put_secret(o, secret, len) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	secmem_freezero(secret, len);
	cred_meta_free(&m);
	return o == NULL ? -1 : http_reply_json_secret(r, 200, o);
}

int
api_cred_update(struct vault *v, struct http_req *r)
{
	const char *id = http_req_param(r, "id"), *secret;
	struct cred_meta m;
	struct bos_err err;
	uint32_t version = 0;
	int answered = 0, rc;

	if ((secret = api_cred_field(r, "secret", &answered)) == NULL)
		return answered > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_get(&v->cc, id, &m, &err);
	if (rc == 0) {
		rc = cred_update(&v->cc, m.id, (const uint8_t *)secret,
		    json_string_length(json_object_get(http_req_body(r), "secret")), &version, &err);
		cred_meta_free(&m);
	}
	vault_db_unlock(v);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	return api_cred_reply_meta(v, r, id, 200);
}

int
api_cred_revoke(struct vault *v, struct http_req *r)
{
	const char *id = http_req_param(r, "id");
	struct cred_meta m;
	struct bos_err err;
	int rc;

	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_get(&v->cc, id, &m, &err);
	if (rc == 0) {
		if (m.revoked_at != 0)
			rc = bos_err_set(&err, BOS_E_REVOKED, "credential %s is already revoked", m.id);
		else
			rc = cred_revoke(&v->cc, m.id, &err);
		cred_meta_free(&m);
	}
	vault_db_unlock(v);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	return api_cred_reply_meta(v, r, id, 200);
}

static int
api_cred_versions_cb(uint32_t version, int64_t created_at, void *arg)
{
	return json_array_append_new(arg, json_pack("{s:i, s:o}", "version", (int)version,
	    "created_at", api_cred_time(created_at)));
}

int
api_cred_versions(struct vault *v, struct http_req *r)
{
	const char *id = http_req_param(r, "id");
	struct cred_meta m;
	struct bos_err err;
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_get(&v->cc, id, &m, &err);
	if (rc == 0)
		rc = cred_list_versions(&v->cc, m.id, api_cred_versions_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return http_reply_bos_err(r, &err);
	}
	rc = http_reply_json(r, 200, json_pack("{s:s, s:o}", "id", m.id, "versions", arr));
	cred_meta_free(&m);
	return rc;
}
