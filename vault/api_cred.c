/* PLACEHOLDER: the lead is writing this now. */
#include "api.h"

#define API_TODO(fn) int fn(struct vault *v, struct http_req *r) { (void)v; return http_reply_error(r, 501, "not_implemented", "not yet"); }
API_TODO(api_cred_create)
API_TODO(api_cred_list)
API_TODO(api_cred_get)
API_TODO(api_cred_update)
API_TODO(api_cred_revoke)
API_TODO(api_cred_versions)
