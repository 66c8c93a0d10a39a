/* PLACEHOLDER until the HTTP work lands: owned by the HTTP engineer. */
#include "api.h"

int api_health(struct vault *v, struct http_req *r) { (void)v; return http_reply_error(r, 501, "not_implemented", "not yet"); }
int api_metrics(struct vault *v, struct http_req *r) { (void)v; return http_reply_error(r, 501, "not_implemented", "not yet"); }
