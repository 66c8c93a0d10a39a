/*
 * The policy check of every route that is not about one credential
 * (docs/POLICY.md "Routes"): metrics, the caller's session, admins, the
 * audit trail, helpers and grants. The credential routes ask in api_cred.c,
 * in the transaction of the operation, because a helper's use is counted
 * there. Which action and resource each route asks about is listed in
 * routes.c (api_route_policies), and tests hold the handlers to that list.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "auth/authz.h"
#include "store/helper.h"
#include "log.h"
#include "core/vault.h"

static int
api_allow_fail(struct http_req *r, const struct bos_err *err)
{
	log_err("request %s: policy check: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err) == 0 ? 1 : -1;
}

/*
 * The decision; on a denial the audit reason is set and the 403 answered,
 * after writing the record right away when record_now (AUDIT_OFF routes,
 * whose allowed requests leave no record but whose denials must).
 */
static int
api_allow_do(struct vault *v, struct http_req *r, unsigned action, const char *path,
    const char *id, int record_now)
{
	struct policy_resource res = { path, id };
	struct policy_context ctx = { vault_now(v), http_req_client(r) };
	struct grant_use u = { v->policy, http_req_principal(r), action, &res, NULL, &ctx,
	    v->st.conf.grant_idle_revoke_seconds };
	struct policy_decision d, told;
	struct bos_err err;
	int rc;

	if (u.who == NULL) {
		/* A route without a principal never reaches here; refuse rather than guess. */
		d.allow = 0;
		(void)snprintf(d.reason, sizeof(d.reason), "no principal to ask the policy about");
		told = d;
	} else {
		bos_err_clear(&err);
		vault_db_lock(v);
		rc = grant_authorize(v->st.store, &u, &d, &told, &err);
		vault_db_unlock(v);
		if (rc != 0)
			return api_allow_fail(r, &err);
		if (d.allow)
			return 0;
		log_info("request %s: %s denied %s on %s: %s", http_req_id(r), u.who->accessor,
		    policy_action_name(action), path, d.reason);
	}
	http_req_audit_reason(r, "%s", d.reason);
	if (record_now && http_req_audit_now(r, "deny") != 0)
		return http_reply_audit_unavailable(r) == 0 ? 1 : -1;
	return http_reply_error(r, 403, "forbidden", "%s", told.reason) == 0 ? 1 : -1;
}

int
api_allow_decide(struct vault *v, struct http_req *r, unsigned action, const char *path,
    struct policy_decision *d, struct bos_err *err)
{
	struct policy_resource res = { path, NULL };
	struct policy_context ctx = { vault_now(v), http_req_client(r) };
	struct grant_use u = { v->policy, http_req_principal(r), action, &res, NULL, &ctx,
	    v->st.conf.grant_idle_revoke_seconds };
	struct policy_decision told;
	int rc;

	if (u.who == NULL || u.who->kind != PRINCIPAL_ADMIN) {
		d->allow = 0;
		(void)snprintf(d->reason, sizeof(d->reason), "only an admin may do this");
		return 0;
	}
	vault_db_lock(v);
	rc = grant_authorize(v->st.store, &u, d, &told, err);
	vault_db_unlock(v);
	if (rc == 0 && !d->allow)
		log_info("request %s: %s denied %s on %s: %s", http_req_id(r), u.who->accessor,
		    policy_action_name(action), path, d->reason);
	return rc;
}

int
api_allow(struct vault *v, struct http_req *r, unsigned action, const char *path,
    const char *id)
{
	return api_allow_do(v, r, action, path, id, 0);
}

int
api_allow_unaudited(struct vault *v, struct http_req *r, unsigned action, const char *path)
{
	return api_allow_do(v, r, action, path, NULL, 1);
}

/* A resource of the table with every {part} as "x": "admins/{name}" -> "admins/x". */
static int
api_policy_sample(const char *tmpl, char *out, size_t cap)
{
	size_t o = 0;
	const char *p;

	for (p = tmpl; *p != '\0'; p++) {
		if (*p == '{') {
			while (*p != '\0' && *p != '}')
				p++;
			if (*p == '\0')
				return -1;
			if (o + 1 >= cap)
				return -1;
			out[o++] = 'x';
			continue;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = *p;
	}
	out[o] = '\0';
	return 0;
}

/* A route only brokers call: what role admin may do there says nothing. */
static int
api_policy_broker_route(const char *name)
{
	size_t i;

	for (i = 0; i < api_routes_n; i++)
		if (strcmp(api_routes[i].name, name) == 0)
			return api_routes[i].auth == ROUTE_BROKER;
	return 0;
}

void
api_policy_warn(const struct policy_set *ps)
{
	const struct policy_principal admin = { POLICY_ADMIN, GRANT_ADMIN_ROLE, NULL };
	const struct policy_context ctx = { 0, "unix" };
	struct policy_resource res = { NULL, NULL };
	struct policy_decision d;
	char path[128];
	size_t i;

	for (i = 0; i < api_route_policies_n; i++) {
		const struct api_route_policy *p = &api_route_policies[i];

		if (p->action == NULL || api_policy_broker_route(p->route) ||
		    api_policy_sample(p->resource, path, sizeof(path)) != 0)
			continue;
		res.path = path;
		policy_decide(ps, &admin, policy_action_parse(p->action, strlen(p->action)), &res,
		    &ctx, &d);
		if (!d.allow)
			log_warn("roles.policy: route %s asks for %s on %s, which role admin may not "
			    "do (%s); it answers 403 (docs/POLICY.md \"Routes\")", p->route,
			    p->action, p->resource, d.reason);
	}
}
