/*
 * A request's life in the HTTP core (http_req.c): libmicrohttpd's access
 * callback runs the checks of http.h in order, the route's handler, and
 * hands the answer over once its audit record is durable (http_audit.h).
 * Below: what a handler may read of its request.
 */
#ifndef BOS_HTTP_REQ_H
#define BOS_HTTP_REQ_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <sys/types.h>
#include "auth/auth.h"

struct http_req;
struct http_server;

/* Path parameter {name} of the matched pattern, or NULL. */
const char *http_req_param(const struct http_req *r, const char *name);
/* Query parameter (already checked against the route's list), or NULL. */
const char *http_req_query(const struct http_req *r, const char *name);
/* Parsed JSON body (an object), or NULL for routes without a body. Borrowed. */
json_t *http_req_body(const struct http_req *r);
const char *http_req_id(const struct http_req *r);          /* request id, e.g. "r_3f9a..." */
const char *http_req_client(const struct http_req *r);      /* "127.0.0.1" or "unix" */
enum http_transport http_req_transport(const struct http_req *r);
/* The principal the core authenticated (see auth.h); NULL on ROUTE_PUBLIC routes. */
const struct principal *http_req_principal(const struct http_req *r);
/* The raw bearer token of the request, if any (for logout). Never log it. */
const char *http_req_bearer(const struct http_req *r);
/* Peer uid on the unix socket, or (uid_t)-1 on TCP. */
uid_t http_req_peer_uid(const struct http_req *r);
/*
 * A handler about to wait for something that is not work (a long poll:
 * POST /jobs/claim) gives its in-flight slot back first, so that waiting
 * requests never take the slots of working ones (docs/HTTP.md "Requests in
 * flight"). Call it without the database lock held.
 */
void http_req_slot_release(struct http_req *r);

/* ---- the server's side (http.c) ---- */
enum MHD_Result http_req_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls);
struct http_req *http_req_new(struct http_server *srv, struct MHD_Connection *c, const char *uri);
void http_req_free(struct http_req *r);
double http_req_seconds(const struct http_req *r);

#endif
