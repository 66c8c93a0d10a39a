/*
 * Responses (http_reply.c): built and kept on the request, queued by the
 * core only once the request's audit record is durable (http_req.c).
 */
#ifndef BOS_HTTP_REPLY_H
#define BOS_HTTP_REPLY_H

#include <jansson.h>
#include "compiler.h"
#include "err.h"

struct http_req;

/* Queue a JSON response; steals the reference to body. */
int http_reply_json(struct http_req *r, unsigned status, json_t *body) BOS_WUR;
/*
 * Queue a JSON response that carries a secret: the serialised bytes are wiped
 * when libmicrohttpd releases them. Steals the reference to body.
 */
int http_reply_json_secret(struct http_req *r, unsigned status, json_t *body) BOS_WUR;
/* Queue the one error shape. code: short snake_case; message: for a person, no secrets. */
int http_reply_error(struct http_req *r, unsigned status, const char *code,
    const char *fmt, ...) BOS_PRINTF(4, 5) BOS_WUR;
/* Map a bos_err to a status and the error shape (INVALID 400, NOTFOUND 404, EXISTS 409, ...). */
int http_reply_bos_err(struct http_req *r, const struct bos_err *e) BOS_WUR;
int http_reply_text(struct http_req *r, unsigned status, const char *content_type,
    const char *text) BOS_WUR;
/* Add a header to the response the handler is about to queue (e.g. Retry-After). */
void http_req_add_header(struct http_req *r, const char *name, const char *value);

/* 503 audit_unavailable (with Retry-After): the record cannot be written. */
int http_reply_audit_unavailable(struct http_req *r) BOS_WUR;

/* ---- the core's side ---- */
/* Answer the error found from the headers, if any. */
int http_reply_pending_error(struct http_req *r) BOS_WUR;
/* Forget the response made so far (its audit record could not be written). */
void http_reply_drop(struct http_req *r);

#endif
