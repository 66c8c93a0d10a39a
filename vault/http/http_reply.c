/*
 * Responses of the HTTP core. Every response carries X-Request-Id,
 * Cache-Control: no-store and X-Content-Type-Options: nosniff; every error
 * has one shape, {"error":{"code":"...","message":"..."}}. JSON bodies are
 * serialised into a buffer that is wiped when libmicrohttpd releases it, so
 * a secret in a response does not outlive its sending.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http/http_conn.h"
#include "http/http_reply.h"
#include "log.h"
#include "secmem.h"

/* A serialised body and its size, so the free callback can wipe exactly that much. */
struct http_body {
	size_t len;
	char data[];
};

static void
http_body_release(void *cls)
{
	struct http_body *b = cls;

	secmem_freezero(b, sizeof(*b) + b->len);
}

static int
http_has_extra(const struct http_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nextra; i++)
		if (strcasecmp(r->extra[i].name, name) == 0)
			return 1;
	return 0;
}

static int
http_add_headers(struct http_req *r, unsigned status, struct MHD_Response *resp,
    const char *content_type)
{
	size_t i;

	if (MHD_add_response_header(resp, "X-Request-Id", r->id) != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES)
		return -1;
	/* RFC 9110 11.6.1: a 401 names the scheme that would work. */
	if (status == 401 && !http_has_extra(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE) &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer") != MHD_YES)
		return -1;
	for (i = 0; i < r->nextra; i++)
		if (MHD_add_response_header(resp, r->extra[i].name, r->extra[i].value) != MHD_YES)
			return -1;
	if (r->close && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
		return -1;
	return 0;
}

/*
 * Add the common headers and keep resp as the request's answer; it is queued
 * by http_req_deliver (http_req.c) once the request's audit record is durable.
 */
static int
http_queue(struct http_req *r, unsigned status, struct MHD_Response *resp,
    const char *content_type)
{
	int rc = -1;

	if (resp == NULL) {
		log_err("request %s: cannot create a response (out of memory)", r->id);
		return -1;
	}
	if (r->status != 0) {
		log_err("request %s: a second response (%u after %u) was dropped", r->id, status,
		    r->status);
		goto out;
	}
	if (http_add_headers(r, status, resp, content_type) != 0) {
		log_err("request %s: cannot add response headers", r->id);
		goto out;
	}
	r->resp = resp;
	r->status = status;
	return 0;
 out:
	MHD_destroy_response(resp);
	return rc;
}

void
http_reply_drop(struct http_req *r)
{
	/* The last reference: a JSON body's free callback wipes it now. */
	if (r->resp != NULL)
		MHD_destroy_response(r->resp);
	r->resp = NULL;
	r->status = 0;
	r->nextra = 0;
	r->reply_reason[0] = '\0';
}

int
http_reply_audit_unavailable(struct http_req *r)
{
	http_req_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	return http_reply_error(r, 503, "audit_unavailable", "the audit trail cannot be written "
	    "right now, so nothing was done; retry shortly");
}

#define HTTP_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

static int
http_queue_json(struct http_req *r, unsigned status, json_t *body)
{
	struct http_body *b = NULL;
	struct MHD_Response *resp;
	size_t n, total;

	if (body == NULL)
		return -1;
	/*
	 * Reals (rates, docs/OUTREACH.md "stats") with 15 significant digits: a
	 * rate rounded to 4 decimals prints as 0.3333, not 0.33329999999999999.
	 */
	n = json_dumpb(body, NULL, 0, HTTP_JSON_FLAGS);
	if (n == 0 || __builtin_add_overflow(sizeof(*b), n, &total) || (b = malloc(total)) == NULL) {
		json_decref(body);
		return -1;
	}
	b->len = n;
	if (json_dumpb(body, b->data, n, HTTP_JSON_FLAGS) != n) {
		json_decref(body);
		http_body_release(b);
		return -1;
	}
	json_decref(body);
	resp = MHD_create_response_from_buffer_with_free_callback_cls(n, b->data, http_body_release, b);
	if (resp == NULL)
		http_body_release(b);
	return http_queue(r, status, resp, "application/json");
}

int
http_reply_json(struct http_req *r, unsigned status, json_t *body)
{
	/* Wiping costs little, so every JSON body is treated as if it held a secret. */
	return http_queue_json(r, status, body);
}

int
http_reply_json_secret(struct http_req *r, unsigned status, json_t *body)
{
	return http_queue_json(r, status, body);
}

static int BOS_PRINTF(4, 0)
http_reply_verror(struct http_req *r, unsigned status, const char *code, const char *fmt,
    va_list ap)
{
	char msg[HTTP_ERR_MSG_MAX];
	json_t *body;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	if (snprintf(r->reply_reason, sizeof(r->reply_reason), "%s: %s", code, msg) < 0)
		r->reply_reason[0] = '\0';
	body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	/* json_pack refuses a message that is not UTF-8; the code alone still helps. */
	if (body == NULL)
		body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", "");
	return http_queue_json(r, status, body);
}

int
http_reply_error(struct http_req *r, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = http_reply_verror(r, status, code, fmt, ap);
	va_end(ap);
	return rc;
}

int
http_reply_pending_error(struct http_req *r)
{
	if (r->err_status == 405 && r->err_allow[0] != '\0')
		http_req_add_header(r, MHD_HTTP_HEADER_ALLOW, r->err_allow);
	return http_reply_error(r, r->err_status, r->err_code, "%s", r->err_msg);
}

/*
 * Errors of the caller's making say what is wrong; errors of ours say only
 * "internal" and the request id, and the detail goes to the log.
 */
int
http_reply_bos_err(struct http_req *r, const struct bos_err *e)
{
	switch (e->code) {
	case BOS_E_INVALID:
		return http_reply_error(r, 400, "invalid", "%s", e->msg);
	case BOS_E_NOTFOUND:
		return http_reply_error(r, 404, "not_found", "%s", e->msg);
	case BOS_E_EXISTS:
		return http_reply_error(r, 409, "conflict", "%s", e->msg);
	case BOS_E_REVOKED:
		return http_reply_error(r, 410, "gone", "%s", e->msg);
	case BOS_E_AUTH:
		/* Stored data failed to authenticate: tampering or a wrong key, worth an alert. */
		log_err("request %s: %s", r->id, e->msg);
		return http_reply_error(r, 500, "decrypt_failed", "%s", e->msg);
	case BOS_E_HSM:
		log_err("request %s: %s", r->id, e->msg);
		return http_reply_error(r, 503, "hsm_unavailable", "%s", e->msg);
	case BOS_E_BUSY:
		/* Another process holds the database: a retry will likely work. */
		log_warn("request %s: %s", r->id, e->msg);
		http_req_add_header(r, "Retry-After", "1");
		return http_reply_error(r, 503, "busy", "%s", e->msg);
	default:
		log_err("request %s: %s: %s", r->id, bos_err_name(e->code), e->msg);
		return http_reply_error(r, 500, "internal", "internal error (request %s)", r->id);
	}
}

int
http_reply_text(struct http_req *r, unsigned status, const char *content_type, const char *text)
{
	struct MHD_Response *resp;

	if (strpbrk(content_type, "\r\n") != NULL)
		return -1;
	resp = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
	    MHD_RESPMEM_MUST_COPY);
	return http_queue(r, status, resp, content_type);
}

void
http_req_add_header(struct http_req *r, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	/* A CR or LF would split the response; refuse it rather than send it. */
	if (r->nextra == HTTP_EXTRA_HEADERS_MAX || nl == 0 || nl >= HTTP_HEADER_NAME_MAX ||
	    vl >= HTTP_HEADER_VALUE_MAX || strpbrk(name, "\r\n: ") != NULL ||
	    strpbrk(value, "\r\n") != NULL) {
		log_warn("request %s: response header refused", r->id);
		return;
	}
	memcpy(r->extra[r->nextra].name, name, nl + 1);
	memcpy(r->extra[r->nextra].value, value, vl + 1);
	r->nextra++;
}
