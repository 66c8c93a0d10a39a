/* PLACEHOLDER until the sign-in work lands: owned by the auth engineer. */
#include "api.h"

#define API_TODO(fn) int fn(struct vault *v, struct http_req *r) { (void)v; return http_reply_error(r, 501, "not_implemented", "not yet"); }
API_TODO(api_auth_login)
API_TODO(api_auth_totp)
API_TODO(api_auth_logout)
API_TODO(api_auth_whoami)
API_TODO(api_admin_create)
API_TODO(api_admin_list)
API_TODO(api_admin_reset)
