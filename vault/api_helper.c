/* PLACEHOLDER until the grants engineer's work lands. */
#include "api.h"

#define API_TODO(fn) int fn(struct vault *v, struct http_req *r) { (void)v; return http_reply_error(r, 501, "not_implemented", "not yet"); }
API_TODO(api_helper_create)
API_TODO(api_helper_list)
API_TODO(api_helper_revoke)
API_TODO(api_grant_create)
API_TODO(api_grant_list)
API_TODO(api_grant_revoke)
