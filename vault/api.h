/*
 * Route handlers of the vault's HTTP API. The one route table that binds
 * them to methods, paths and auth classes is in routes.c.
 */
#ifndef BOS_API_H
#define BOS_API_H

#include <stddef.h>
#include "http.h"

/* api_health.c */
int api_health(struct vault *v, struct http_req *r);
int api_metrics(struct vault *v, struct http_req *r);

/* api_auth.c */
int api_auth_login(struct vault *v, struct http_req *r);   /* POST /auth/login */
int api_auth_totp(struct vault *v, struct http_req *r);    /* POST /auth/totp */
int api_auth_logout(struct vault *v, struct http_req *r);  /* POST /auth/logout */
int api_auth_whoami(struct vault *v, struct http_req *r);  /* GET /auth/session */
int api_admin_create(struct vault *v, struct http_req *r); /* POST /admins (local, first admin) */
int api_admin_list(struct vault *v, struct http_req *r);   /* GET /admins */
int api_admin_reset(struct vault *v, struct http_req *r);  /* POST /admins/{name}/reset */

/* api_cred.c */
int api_cred_create(struct vault *v, struct http_req *r);  /* POST /credentials */
int api_cred_list(struct vault *v, struct http_req *r);    /* GET /credentials */
int api_cred_get(struct vault *v, struct http_req *r);     /* GET /credentials/{id} */
int api_cred_update(struct vault *v, struct http_req *r);  /* PUT /credentials/{id} */
int api_cred_revoke(struct vault *v, struct http_req *r);  /* DELETE /credentials/{id} */
int api_cred_versions(struct vault *v, struct http_req *r); /* GET /credentials/{id}/versions */
/*
 * At start-up: log a warning for each credential stored under a name that a
 * route shadows ("audit" from before such names were refused): it is still
 * reached by its id. Takes the database lock.
 */
void api_cred_warn_reserved(struct vault *v);

/* api_helper.c: helpers and their grants */
int api_helper_create(struct vault *v, struct http_req *r); /* POST /helpers */
int api_helper_list(struct vault *v, struct http_req *r);   /* GET /helpers */
int api_helper_revoke(struct vault *v, struct http_req *r); /* DELETE /helpers/{id} */
int api_grant_create(struct vault *v, struct http_req *r);  /* POST /credentials/grant */
int api_grant_list(struct vault *v, struct http_req *r);    /* GET /grants */
int api_grant_revoke(struct vault *v, struct http_req *r);  /* DELETE /grants/{accessor} */

/* api_audit.c: the audit trail (admins only) */
int api_audit_list(struct vault *v, struct http_req *r);    /* GET /credentials/audit */
int api_audit_export(struct vault *v, struct http_req *r);  /* GET /credentials/audit/export */
int api_audit_pubkey(struct vault *v, struct http_req *r);  /* GET /credentials/audit/pubkey */

/* routes.c */
extern const struct http_route api_routes[];
extern const size_t api_routes_n;

#endif
