/* PLACEHOLDER until the HTTP work lands: owned by the HTTP engineer. */
#include "http.h"

#include <string.h>

void
http_config_defaults(struct http_config *c)
{
	memset(c, 0, sizeof(*c));
}

int
http_server_start(struct vault *v, const struct http_config *cfg, const struct http_route *routes,
    size_t n, struct http_server **out, struct bos_err *err)
{
	(void)v; (void)cfg; (void)routes; (void)n; (void)out;
	return bos_err_set(err, BOS_E_CONFIG, "HTTP is not implemented yet");
}

void
http_server_stop(struct http_server *s)
{
	(void)s;
}

const char *http_req_param(const struct http_req *r, const char *name) { (void)r; (void)name; return NULL; }
const char *http_req_query(const struct http_req *r, const char *name) { (void)r; (void)name; return NULL; }
json_t *http_req_body(const struct http_req *r) { (void)r; return NULL; }
const char *http_req_id(const struct http_req *r) { (void)r; return ""; }
const char *http_req_client(const struct http_req *r) { (void)r; return ""; }
enum http_transport http_req_transport(const struct http_req *r) { (void)r; return HTTP_TCP_TLS; }
const struct principal *http_req_principal(const struct http_req *r) { (void)r; return NULL; }
const char *http_req_bearer(const struct http_req *r) { (void)r; return NULL; }
uid_t http_req_peer_uid(const struct http_req *r) { (void)r; return (uid_t)-1; }
int http_reply_json(struct http_req *r, unsigned status, json_t *body) { (void)r; (void)status; json_decref(body); return -1; }
int http_reply_json_secret(struct http_req *r, unsigned status, json_t *body) { (void)r; (void)status; json_decref(body); return -1; }
int http_reply_error(struct http_req *r, unsigned status, const char *code, const char *fmt, ...) { (void)r; (void)status; (void)code; (void)fmt; return -1; }
int http_reply_bos_err(struct http_req *r, const struct bos_err *e) { (void)r; (void)e; return -1; }
int http_reply_text(struct http_req *r, unsigned status, const char *ct, const char *text) { (void)r; (void)status; (void)ct; (void)text; return -1; }
void http_req_add_header(struct http_req *r, const char *name, const char *value) { (void)r; (void)name; (void)value; }
