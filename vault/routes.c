/*
 * The route table: every path the vault serves, who may call it, and which
 * body fields and query parameters it accepts. Anything not listed here is
 * 404 (unknown path) or 405 (known path, other method).
 */
#include "api.h"
#include "compiler.h"

static const char *const f_login[] = { "name", "password", "totp", "recovery_code", NULL };
static const char *const f_totp[] = { "totp", NULL };
static const char *const f_none[] = { NULL };
static const char *const f_admin_create[] = { "name", "password", NULL };
static const char *const f_cred_create[] = { "name", "type", "service", "secret", "metadata", NULL };
static const char *const f_cred_update[] = { "secret", NULL };
static const char *const q_cred_list[] = { "service", "type", NULL };
static const char *const q_cred_get[] = { "version", NULL };

const struct http_route api_routes[] = {
	{ HTTP_GET, "/health", ROUTE_PUBLIC, api_health, "health", NULL, NULL },
	{ HTTP_GET, "/metrics", ROUTE_ADMIN, api_metrics, "metrics", NULL, NULL },

	{ HTTP_POST, "/auth/login", ROUTE_PUBLIC, api_auth_login, "auth_login", f_login, NULL },
	{ HTTP_POST, "/auth/totp", ROUTE_SESSION_ANY, api_auth_totp, "auth_totp", f_totp, NULL },
	{ HTTP_POST, "/auth/logout", ROUTE_SESSION_ANY, api_auth_logout, "auth_logout", f_none, NULL },
	{ HTTP_GET, "/auth/session", ROUTE_ADMIN, api_auth_whoami, "auth_session", NULL, NULL },

	{ HTTP_POST, "/admins", ROUTE_LOCAL_VAULT_UID, api_admin_create, "admin_create", f_admin_create, NULL },
	{ HTTP_GET, "/admins", ROUTE_ADMIN, api_admin_list, "admin_list", NULL, NULL },
	{ HTTP_POST, "/admins/{name}/reset", ROUTE_ADMIN, api_admin_reset, "admin_reset", f_none, NULL },

	{ HTTP_POST, "/credentials", ROUTE_ADMIN, api_cred_create, "cred_create", f_cred_create, NULL },
	{ HTTP_GET, "/credentials", ROUTE_ADMIN, api_cred_list, "cred_list", NULL, q_cred_list },
	{ HTTP_GET, "/credentials/{id}", ROUTE_ADMIN, api_cred_get, "cred_get", NULL, q_cred_get },
	{ HTTP_PUT, "/credentials/{id}", ROUTE_ADMIN, api_cred_update, "cred_update", f_cred_update, NULL },
	{ HTTP_DELETE, "/credentials/{id}", ROUTE_ADMIN, api_cred_revoke, "cred_revoke", NULL, NULL },
	{ HTTP_GET, "/credentials/{id}/versions", ROUTE_ADMIN, api_cred_versions, "cred_versions", NULL, NULL },
};

const size_t api_routes_n = BOS_ARRAY_LEN(api_routes);
