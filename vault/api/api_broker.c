/*
 * The brokers API (docs/BROKERS.md "Principals: brokers"): POST/GET
 * /brokers, DELETE /brokers/{id}, admins only. The storage is broker.c's.
 *
 * A broker's token is in exactly one response, the one that registers it,
 * sent with http_reply_json_secret and wiped here right after. Logs and the
 * audit trail name brokers by id and accessor only.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "store/broker.h"
#include "log.h"
#include "policy.h"
#include "secmem.h"
#include "core/vault.h"

#define API_BROKERS_PATH "brokers"

static json_t *
api_broker_time(int64_t t)
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
api_broker_json(const struct broker_info *b)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", b->id, "role", b->role,
	    "name", b->name, "accessor", b->accessor, "status", b->revoked_at ? "revoked" : "active",
	    "created_by", b->created_by, "created_at", api_broker_time(b->created_at));

	if (o != NULL && b->revoked_at != 0) {
		json_object_set_new(o, "revoked_at", api_broker_time(b->revoked_at));
		json_object_set_new(o, "revoked_by", json_string(b->revoked_by));
	}
	return o;
}

/* An optional string field: 0 with *out (NULL when absent), -1 when not a clean string. */
static int
api_broker_str(struct http_req *r, const char *key, const char **out)
{
	json_t *f = json_object_get(http_req_body(r), key);

	*out = NULL;
	if (f == NULL)
		return 0;
	if (!json_is_string(f) || strlen(json_string_value(f)) != json_string_length(f))
		return -1;
	*out = json_string_value(f);
	return 0;
}

static int
api_broker_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND &&
	    err->code != BOS_E_REVOKED && err->code != BOS_E_EXISTS)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

int
api_broker_create(struct vault *v, struct http_req *r)
{
	const struct principal *p = http_req_principal(r);
	char id[BROKER_ID_SIZE], token[TOKEN_SIZE], acc[TOKEN_ACCESSOR_SIZE];
	const char *role, *name;
	struct broker_info b;
	struct bos_err err;
	json_t *o;
	int rc;

	if ((rc = api_allow(v, r, POLICY_CREATE, API_BROKERS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (api_broker_str(r, "role", &role) != 0 || api_broker_str(r, "name", &name) != 0)
		return http_reply_error(r, 400, "invalid", "'role' and 'name' must be strings");
	if (role == NULL)
		return http_reply_error(r, 400, "invalid", "'role' is required: outreach, monitor "
		    "or hiring");
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = broker_create(v->st.store, role, name, p->name, vault_now(v), id, token, acc, &err);
	if (rc == 0)
		rc = broker_get(v->st.store, id, &b, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		secmem_wipe(token, sizeof(token));
		return api_broker_fail(r, &err);
	}
	log_info("request %s: %s registered broker %s (%s, accessor %s)", http_req_id(r),
	    p->accessor, id, b.role, acc);
	http_req_audit_resource(r, "/brokers/%s", id);
	http_req_audit_reason(r, "broker %s registered, role %s, accessor %s", id, b.role, acc);
	if ((o = api_broker_json(&b)) == NULL ||
	    json_object_set_new(o, "token", json_string(token)) != 0) {
		json_decref(o);
		secmem_wipe(token, sizeof(token));
		return -1;
	}
	secmem_wipe(token, sizeof(token));
	return http_reply_json_secret(r, 201, o);
}

static int
api_broker_list_cb(const struct broker_info *b, void *arg)
{
	json_t *o = api_broker_json(b);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_broker_list(struct vault *v, struct http_req *r)
{
	struct bos_err err;
	json_t *arr;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_BROKERS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = broker_list(v->st.store, api_broker_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return api_broker_fail(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "brokers", arr));
}

int
api_broker_revoke(struct vault *v, struct http_req *r)
{
	const char *id = http_req_param(r, "id");
	char path[sizeof(API_BROKERS_PATH) + BROKER_ID_SIZE];
	struct broker_info b;
	struct bos_err err;
	int rc;

	if (!broker_id_valid(id))
		return http_reply_error(r, 404, "not_found", "no such broker: give its id (bk_...)");
	(void)snprintf(path, sizeof(path), API_BROKERS_PATH "/%s", id);
	if ((rc = api_allow(v, r, POLICY_DELETE, path, id)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = broker_revoke(v->st.store, id, http_req_principal(r)->name, vault_now(v), &err);
	if (rc == 0)
		rc = broker_get(v->st.store, id, &b, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_broker_fail(r, &err);
	log_info("request %s: %s revoked broker %s", http_req_id(r),
	    http_req_principal(r)->accessor, id);
	return http_reply_json(r, 200, api_broker_json(&b));
}

void
api_broker_warn_roles(const struct policy_set *ps)
{
	static const char *const roles[] = { "outreach", "monitor", "hiring" };
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(roles); i++)
		if (!policy_has_role(ps, roles[i]))
			log_warn("roles.policy: no [role %s]: brokers of role %s are refused everything "
			    "(default deny); the default role file has one (docs/BROKERS.md, "
			    "docs/POLICY.md)", roles[i], roles[i]);
}
