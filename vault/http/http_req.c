/*
 * The request lifecycle of the HTTP core and every check that runs before a
 * handler (docs/HTTP.md has the order and the reasons for it).
 *
 * libmicrohttpd calls the access handler several times per request: once
 * when the headers are in (REQ_NEW), once per piece of body (REQ_BODY with
 * data), and once more when the request is complete. Errors found in the
 * headers are answered on the first call only when a body is announced: that
 * makes libmicrohttpd skip the body and close the connection, which is what
 * a request with a smuggling attempt, an oversized body or no right to send
 * one deserves. Otherwise every answer waits for the last call, because
 * 0.9.75 closes the connection when a response is queued on the first call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include "store/card.h"
#include "hsmc/hsm_client.h"
#include "http/http_audit.h"
#include "http/http_conn.h"
#include "http/http_reply.h"
#include "http/http_req.h"
#include "log.h"
#include "secmem.h"
#include "core/vault.h"

/* After a chunked body passed body_max, how much more we read and drop before hanging up. */
#define HTTP_DISCARD_MAX (1u << 20)
/* Longest field name echoed back in an error message. */
#define HTTP_ECHO_MAX 64

/* Routes that answer even when bos-hsmd is down, because they report it. */
static const char *const http_no_hsm_routes[] = { "health", NULL };

/* What the core reads from the request headers, gathered in one pass. */
struct http_hdrs {
	unsigned n_cl, n_te, n_ct, n_auth, n_host;
	const char *cl, *te, *ct, *auth;
	size_t cl_len, te_len, ct_len, auth_len;
	int bad_name;
};

/* ---- small helpers ---- */

static void
http_req_make_id(char out[HTTP_REQ_ID_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	static atomic_uint_fast64_t fallback;
	uint8_t b[8];
	uint64_t x;
	size_t i;

	/* A request id only needs to be unique, but random ids also reveal nothing about load. */
	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		x = atomic_fetch_add(&fallback, 1) ^ (uint64_t)clock_mono_ms() << 20;
		for (i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(x >> (8 * i));
	}
	out[0] = 'r';
	out[1] = '_';
	for (i = 0; i < sizeof(b); i++) {
		out[2 + 2 * i] = hex[b[i] >> 4];
		out[3 + 2 * i] = hex[b[i] & 15];
	}
	out[HTTP_REQ_ID_SIZE - 1] = '\0';
}

double
http_req_seconds(const struct http_req *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - r->start.tv_sec) + (double)(now.tv_nsec - r->start.tv_nsec) / 1e9;
}

/* Copy a client-chosen name for an error message: printable ASCII, bounded. */
static void
http_echo(const char *s, char *out, size_t cap)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 4 < cap && i < HTTP_ECHO_MAX; i++)
		out[i] = (s[i] > 0x20 && s[i] < 0x7f && s[i] != '\'') ? s[i] : '?';
	if (s[i] != '\0' && i + 4 <= cap) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* Remember an error to answer with; always returns -1 so checks can `return http_req_fail(...)`. */
static int BOS_PRINTF(4, 5)
http_req_fail(struct http_req *r, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;

	r->err_status = status;
	r->err_code = code;
	va_start(ap, fmt);
	(void)vsnprintf(r->err_msg, sizeof(r->err_msg), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Wipe bytes that libmicrohttpd handed us as const but that live in its
 * writable per-connection memory (the read buffer): header values and
 * upload_data. docs/MEMORY.md says why.
 */
static void
http_wipe_mhd(const char *p, size_t n)
{
	secmem_wipe((void *)(uintptr_t)p, n);
}

/* ---- in-flight slots ---- */

/*
 * A slot of the listener's pool, taken once the request is complete and its
 * caller authenticated (docs/HTTP.md "Requests in flight"): the pools bound
 * the work in progress, and nothing a client does slowly can hold one.
 */
static int
http_req_slot_take(struct http_req *r)
{
	struct http_slots *pool = &r->hc->l->slots;

	if (http_slots_take(pool, r->hc->transport == HTTP_UNIX ? NULL : r->hc->addr_key) != 0) {
		http_req_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
		return http_req_fail(r, 503, "busy", "too many requests in progress; retry shortly");
	}
	r->slots = pool;
	return 0;
}

static void
http_req_slot_give(struct http_req *r)
{
	if (r->slots == NULL)
		return;
	http_slots_give(r->slots, r->hc->transport == HTTP_UNIX ? NULL : r->hc->addr_key);
	r->slots = NULL;
}

/* ---- creation and release ---- */

struct http_req *
http_req_new(struct http_server *srv, struct MHD_Connection *c, const char *uri)
{
	const union MHD_ConnectionInfo *ci;
	struct http_req *r;
	size_t len;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->srv = srv;
	r->conn = c;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	http_req_make_id(r->id);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	r->hc = ci != NULL ? ci->socket_context : NULL;
	/* Keep the raw path: the one libmicrohttpd hands the handler is already decoded. */
	if (uri == NULL)
		uri = "";
	r->target = uri;
	r->target_len = strlen(uri);
	for (len = 0; len < r->target_len; len++)
		if ((unsigned char)uri[len] <= 0x20 || (unsigned char)uri[len] >= 0x7f)
			r->target_bad = 1;
	len = strcspn(uri, "?");
	if (len > HTTP_PATH_MAX)
		len = HTTP_PATH_MAX + 1;    /* too long to match anything; keep it bounded */
	if ((r->raw_path = malloc(len + 1)) == NULL) {
		free(r);
		return NULL;
	}
	memcpy(r->raw_path, uri, len);
	r->raw_path[len] = '\0';
	r->raw_path_len = len;
	return r;
}

void
http_req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	http_req_slot_give(r);
	/* A handler's answer that was never delivered: record it, then drop it. */
	if (r->audit_txn)
		http_audit_finish(r);
	http_reply_drop(r);
	json_decref(r->json);
	buf_free(&r->body);
	secmem_freezero(r->raw_path, r->raw_path_len + 1);
	/* The struct holds the bearer token copy and the principal. */
	secmem_freezero(r, sizeof(*r));
}

/* ---- checks on the headers (first call) ---- */

static int
http_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
http_name_is(const char *key, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(key, name, n) == 0;
}

static enum MHD_Result
http_hdr_cb(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
    const char *value, size_t value_size)
{
	struct http_hdrs *h = cls;
	size_t i;

	(void)kind;
	/* A name with a space or other odd byte is how smuggling starts ("Content-Length : 5"). */
	for (i = 0; i < key_size; i++)
		if (!http_tchar(key[i]))
			h->bad_name = 1;
	if (key_size == 0)
		h->bad_name = 1;
	if (http_name_is(key, key_size, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		h->n_cl++;
		h->cl = value;
		h->cl_len = value_size;
	} else if (http_name_is(key, key_size, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		h->n_te++;
		h->te = value;
		h->te_len = value_size;
	} else if (http_name_is(key, key_size, MHD_HTTP_HEADER_CONTENT_TYPE)) {
		h->n_ct++;
		h->ct = value;
		h->ct_len = value_size;
	} else if (http_name_is(key, key_size, MHD_HTTP_HEADER_AUTHORIZATION)) {
		h->n_auth++;
		h->auth = value;
		h->auth_len = value_size;
	} else if (http_name_is(key, key_size, MHD_HTTP_HEADER_HOST)) {
		h->n_host++;
	}
	return MHD_YES;
}

/*
 * The request target as sent, byte for byte. libmicrohttpd 0.9.75 hands the
 * URI callback a C string, so a raw NUL cuts it short ("GET /auth/session\0
 * /../credentials" would be served as /auth/session, and a query after the
 * NUL would escape http_check_query). It parses the request line in place:
 * the target runs from url to the byte it overwrote before the version (the
 * last space of the line), so the target was whole exactly when version
 * starts one byte after the string we saw. Control bytes, DEL and bytes
 * above 0x7e never belong in a target (RFC 9112 3.2, RFC 3986 2): they are
 * percent-encoded or they are an attack. Two Host headers are refused too
 * (RFC 9112 3.2): which one names the host is what request smuggling is about.
 */
static int
http_check_target(struct http_req *r, const char *url, const char *version,
    const struct http_hdrs *h)
{
	if (r->target == NULL || url != r->target || version == NULL || version <= url ||
	    (size_t)(version - url) != r->target_len + 1)
		return http_req_fail(r, 400, "bad_request", "the request target contains a NUL byte");
	if (r->target_bad)
		return http_req_fail(r, 400, "bad_request", "the request target contains a control, "
		    "space or non-ASCII byte (percent-encode it)");
	if (h->n_host > 1)
		return http_req_fail(r, 400, "bad_request", "more than one Host header");
	return 0;
}

static int
http_check_route(struct http_req *r)
{
	switch (http_route_match(r->srv->routes, r->srv->nroutes, r->raw_path, r->raw_path_len,
	    r->method, &r->match)) {
	case HTTP_MATCH_OK:
		r->route = r->match.route;
		return 0;
	case HTTP_MATCH_NO_METHOD:
		if (http_allow_format(r->match.allow, r->err_allow, sizeof(r->err_allow)) != 0)
			r->err_allow[0] = '\0';
		return http_req_fail(r, 405, "method_not_allowed", "this path accepts only %s",
		    r->err_allow);
	case HTTP_MATCH_BAD_PATH:
		return http_req_fail(r, 400, "bad_path", "the path has a malformed %%-escape, or an "
		    "escaped '/' or control character");
	default:
		return http_req_fail(r, 404, "not_found", "no such path");
	}
}

/*
 * Framing: exactly one way to know where the body ends. Debian's 0.9.75 does
 * not refuse two Content-Lengths, or Content-Length with Transfer-Encoding,
 * and would read an unknown Transfer-Encoding until the peer closes.
 */
static int
http_check_framing(struct http_req *r, const struct http_hdrs *h)
{
	if (h->bad_name)
		return http_req_fail(r, 400, "bad_request", "a header name is malformed");
	if (h->n_cl > 1)
		return http_req_fail(r, 400, "bad_request", "more than one Content-Length header");
	if (h->n_cl > 0 && h->n_te > 0)
		return http_req_fail(r, 400, "bad_request",
		    "Content-Length together with Transfer-Encoding is refused");
	if (h->n_te > 1 || (h->n_te == 1 && !(h->te_len == 7 && strncasecmp(h->te, "chunked", 7) == 0)))
		return http_req_fail(r, 400, "bad_request", "the only Transfer-Encoding accepted is "
		    "'chunked'");
	if (h->n_cl == 1 && http_parse_content_length(h->cl, h->cl_len, &r->content_length) != 0)
		return http_req_fail(r, 400, "bad_request", "Content-Length is malformed");
	if (h->n_ct > 1)
		return http_req_fail(r, 400, "bad_request", "more than one Content-Type header");
	if (r->content_length > r->srv->body_max)
		return http_req_fail(r, 413, "payload_too_large", "the body is larger than %zu bytes",
		    r->srv->body_max);
	return 0;
}

static int
http_check_body_allowed(struct http_req *r, const struct http_hdrs *h)
{
	if (!r->has_body)
		return 0;
	if (r->route->fields == NULL || r->method == HTTP_GET || r->method == HTTP_DELETE)
		return http_req_fail(r, 400, "body_not_allowed", "this request takes no body");
	if (!http_content_type_is_json(h->ct, h->ct_len))
		return http_req_fail(r, 415, "unsupported_media_type",
		    "send the body as Content-Type: application/json");
	return 0;
}

struct http_qscan {
	const char *const *allowed;
	uint64_t seen;
	int unknown, dup, nul;
};

static enum MHD_Result
http_query_cb(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
    const char *value, size_t value_size)
{
	struct http_qscan *q = cls;
	size_t i;

	(void)kind;
	/* "%00" decodes to a NUL that would cut the value short where a handler reads it. */
	if (value != NULL && strlen(value) != value_size) {
		q->nul = 1;
		return MHD_NO;
	}
	for (i = 0; q->allowed != NULL && q->allowed[i] != NULL; i++)
		if (strlen(q->allowed[i]) == key_size &&
		    memcmp(q->allowed[i], key, key_size) == 0) /* not secret: names from our table */
			break;
	if (q->allowed == NULL || q->allowed[i] == NULL || i >= 64) {
		q->unknown = 1;
		return MHD_NO;
	}
	if (q->seen & ((uint64_t)1 << i)) {
		q->dup = 1;
		return MHD_NO;
	}
	q->seen |= (uint64_t)1 << i;
	return MHD_YES;
}

/* Only the route's own parameters, each once. A token in a URL is just an unknown parameter. */
static int
http_check_query(struct http_req *r)
{
	struct http_qscan q = { r->route->query, 0, 0, 0, 0 };

	(void)MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, http_query_cb, &q);
	if (q.unknown)
		return http_req_fail(r, 400, "unknown_query",
		    "unknown query parameter (tokens and secrets never go in a URL)");
	if (q.dup)
		return http_req_fail(r, 400, "duplicate_query", "a query parameter appears twice");
	if (q.nul)
		return http_req_fail(r, 400, "bad_query", "a query value contains a NUL (%%00)");
	return 0;
}

static int
http_take_bearer(struct http_req *r, const struct http_hdrs *h)
{
	const char *tok;
	size_t n;

	if (h->n_auth == 0)
		return 0;
	if (h->n_auth > 1 || http_parse_bearer(h->auth, h->auth_len, &tok, &n) != 0)
		return -1;
	memcpy(r->bearer_buf, tok, n);
	r->bearer_buf[n] = '\0';
	r->bearer = r->bearer_buf;
	return 0;
}

static int
http_check_auth(struct http_req *r, const struct http_hdrs *h)
{
	const struct http_conn *hc = r->hc;
	unsigned status = 401;
	const char *code = NULL, *msg = NULL;

	if (http_take_bearer(r, h) != 0) {
		if (r->route->auth == ROUTE_PUBLIC)
			return 0;   /* a public route ignores credentials it does not need */
		return http_req_fail(r, 401, "unauthenticated",
		    "malformed Authorization header: send 'Authorization: Bearer <token>'");
	}
	if (r->route->auth == ROUTE_PUBLIC)
		return 0;
	if (auth_check(r->srv->v, r->route->auth, r->bearer, hc->transport, hc->peer_uid,
	    &r->principal, &status, &code, &msg) == 0) {
		r->authenticated = 1;
		return 0;
	}
	if (status < 400 || status > 599)
		status = 500;
	if (status == 503)
		http_req_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");   /* a busy database */
	return http_req_fail(r, status, code ? code : "unauthenticated", "%s",
	    msg ? msg : "not allowed");
}

/*
 * The body buffer grows as bytes arrive, up to the announced length (or
 * body_max for a chunked body): a client that announces 64 KiB and sends
 * one byte holds one byte of memory.
 */
static void
http_body_init(struct http_req *r)
{
	buf_init_grow(&r->body, r->length_known ? (size_t)r->content_length : r->srv->body_max);
}

static int
http_checks_first(struct http_req *r, const char *url, const char *version,
    const struct http_hdrs *h)
{
	/* Order matters and is documented in docs/HTTP.md. */
	if (http_check_target(r, url, version, h) != 0 || http_check_route(r) != 0 ||
	    http_check_framing(r, h) != 0 ||
	    http_check_body_allowed(r, h) != 0 || http_check_query(r) != 0 ||
	    http_check_auth(r, h) != 0)
		return -1;
	http_body_init(r);
	return 0;
}

static enum MHD_Result
http_wipe_auth_cb(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
    const char *value, size_t value_size)
{
	(void)cls;
	(void)kind;
	if (value != NULL && http_name_is(key, key_size, MHD_HTTP_HEADER_AUTHORIZATION))
		http_wipe_mhd(value, value_size);
	return MHD_YES;
}

static enum MHD_Result
http_req_first(struct http_req *r, const char *url, const char *method, const char *version)
{
	struct http_hdrs h;
	uint64_t cl = 0;
	int cl_ok, rc;

	memset(&h, 0, sizeof(h));
	/* The headers are in: the request's own deadline runs on for the body. */
	http_conn_wait(r->srv, r->hc, HTTP_WAIT_BODY);
	r->method = http_method_parse(method);
	(void)MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, http_hdr_cb, &h);
	r->length_known = h.n_te == 0;
	cl_ok = h.n_cl == 1 && http_parse_content_length(h.cl, h.cl_len, &cl) == 0;
	/* An unparsable or duplicate length counts as a body: we will not read it. */
	r->has_body = h.n_te > 0 || h.n_cl > 1 || (h.n_cl == 1 && (!cl_ok || cl > 0));
	rc = http_checks_first(r, url, version, &h);
	/*
	 * Every Authorization value lives in libmicrohttpd's connection memory,
	 * which it frees unwiped when a connection ends mid-request. The token
	 * is copied (http_take_bearer) and nothing reads the header again, so
	 * it goes now, whatever the checks said.
	 */
	(void)MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, http_wipe_auth_cb, NULL);
	if (rc == 0)
		return MHD_YES;
	if (!r->has_body)
		return MHD_YES;     /* answered on the last call, keeping the connection */
	r->close = 1;
	return http_reply_pending_error(r) == 0 ? MHD_YES : MHD_NO;
}

/* ---- the body ---- */

static enum MHD_Result
http_req_take(struct http_req *r, const char *data, size_t n)
{
	size_t end;

	if (!r->too_large && buf_put(&r->body, data, n) == 0)
		return MHD_YES;
	if (!r->too_large && !__builtin_add_overflow(r->body.len, n, &end) && end <= r->body.max) {
		/* Room by the limit, but no memory: not the client's fault. */
		log_warn("request %s: out of memory for the body", r->id);
		return MHD_NO;
	}
	if (!r->too_large) {
		r->too_large = 1;
		buf_free(&r->body);
	}
	/* Keep reading so the 413 can be sent, but not forever. */
	r->discarded += n;
	return r->discarded <= HTTP_DISCARD_MAX ? MHD_YES : MHD_NO;
}

/* A key that names a CVV anywhere in the document, or NULL. */
static const char *
http_json_find_cvv(json_t *j)
{
	const char *k, *bad;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v) {
			if (card_key_is_cvv(k))
				return k;
			if ((bad = http_json_find_cvv(v)) != NULL)
				return bad;
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if ((bad = http_json_find_cvv(v)) != NULL)
				return bad;
		}
	}
	return NULL;
}

static const char *
http_json_unknown_field(json_t *j, const char *const *fields)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(j, k, v) {
		for (i = 0; fields[i] != NULL; i++)
			if (strcmp(k, fields[i]) == 0)
				break;
		if (fields[i] == NULL)
			return k;
	}
	return NULL;
}

static int
http_json_error(struct http_req *r, const json_error_t *je)
{
	switch (json_error_code(je)) {
	case json_error_invalid_utf8:
		return http_req_fail(r, 400, "malformed_json", "the body is not valid UTF-8");
	case json_error_duplicate_key:
		return http_req_fail(r, 400, "malformed_json", "the body has a key twice in one "
		    "object (line %d, column %d)", je->line, je->column);
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return http_req_fail(r, 400, "malformed_json", "the body contains a NUL character");
	case json_error_out_of_memory:
		return http_req_fail(r, 503, "busy", "out of memory; retry shortly");
	default:
		/* jansson's own text can quote the body, which may hold a secret: never echo it. */
		return http_req_fail(r, 400, "malformed_json", "the body is not valid JSON (line %d, "
		    "column %d)", je->line, je->column);
	}
}

static int
http_allowed_list(const char *const *fields, char *out, size_t cap)
{
	size_t i, o = 0;
	int n;

	out[0] = '\0';
	for (i = 0; fields[i] != NULL; i++) {
		n = snprintf(out + o, cap - o, "%s%s", i ? ", " : "", fields[i]);
		if (n < 0 || (size_t)n >= cap - o)
			return -1;
		o += (size_t)n;
	}
	return 0;
}

static int
http_check_fields(struct http_req *r)
{
	char name[HTTP_ECHO_MAX + 4], allowed[256];
	const char *bad;

	/* A CVV is refused by name before anything else, known field or not (PCI DSS 3.3.1.2). */
	if ((bad = http_json_find_cvv(r->json)) != NULL) {
		http_echo(bad, name, sizeof(name));
		return http_req_fail(r, 400, "cvv_refused", "cards never store a CVV/CVC (PCI DSS "
		    "3.3.1.2): remove the '%s' field", name);
	}
	if ((bad = http_json_unknown_field(r->json, r->route->fields)) != NULL) {
		http_echo(bad, name, sizeof(name));
		if (http_allowed_list(r->route->fields, allowed, sizeof(allowed)) != 0)
			allowed[0] = '\0';
		return http_req_fail(r, 400, "unknown_field", "unknown field '%s' (allowed: %s)", name,
		    allowed[0] ? allowed : "none");
	}
	return 0;
}

static int
http_parse_body(struct http_req *r)
{
	json_error_t je;
	int rc = 0;

	if (r->route->fields == NULL)
		return 0;
	if (r->body.len == 0) {
		/* No body on a route that takes one: an empty object, so handlers see one shape. */
		if ((r->json = json_object()) == NULL)
			return http_req_fail(r, 503, "busy", "out of memory; retry shortly");
		return 0;
	}
	r->json = json_loadb((const char *)r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &je);
	/* The raw bytes may hold a secret: gone as soon as they are parsed. */
	buf_free(&r->body);
	if (r->json == NULL)
		rc = http_json_error(r, &je);
	else if (!json_is_object(r->json))
		rc = http_req_fail(r, 400, "malformed_json", "the body must be a JSON object");
	secmem_wipe(&je, sizeof(je));
	if (rc == 0)
		rc = http_check_fields(r);
	return rc;
}

/* ---- the last call: everything is in ---- */

static int
http_route_needs_hsm(const struct http_route *rt)
{
	size_t i;

	for (i = 0; http_no_hsm_routes[i] != NULL; i++)
		if (strcmp(rt->name, http_no_hsm_routes[i]) == 0)
			return 0;
	return 1;
}

static enum MHD_Result
http_req_run(struct http_req *r)
{
	int rc;

	if ((r->route->audit == AUDIT_TXN || r->route->audit == AUDIT_SIGNED) &&
	    http_audit_begin(r) != 0)
		return MHD_YES;
	rc = r->route->handler(r->srv->v, r);
	if (r->status != 0)
		return MHD_YES;
	if (rc == 0)
		log_err("request %s: handler %s returned without a response", r->id, r->route->name);
	/* Details stay in the handler's own log line; the client gets the id to quote. */
	if (http_reply_error(r, 500, "internal", "internal error (request %s)", r->id) != 0)
		return MHD_NO;
	return MHD_YES;
}

static enum MHD_Result
http_req_final(struct http_req *r)
{
	http_conn_wait(r->srv, r->hc, HTTP_WAIT_NONE);
	if (r->err_status != 0)
		return http_reply_pending_error(r) == 0 ? MHD_YES : MHD_NO;
	if (r->too_large) {
		r->close = 1;
		(void)http_req_fail(r, 413, "payload_too_large", "the body is larger than %zu bytes",
		    r->srv->body_max);
		return http_reply_pending_error(r) == 0 ? MHD_YES : MHD_NO;
	}
	if (http_req_slot_take(r) != 0 || http_parse_body(r) != 0)
		return http_reply_pending_error(r) == 0 ? MHD_YES : MHD_NO;
	if (http_route_needs_hsm(r->route) && !hsm_client_alive(r->srv->v->st.hsm)) {
		(void)http_req_fail(r, 503, "hsm_unavailable", "the HSM service is not running");
		return http_reply_pending_error(r) == 0 ? MHD_YES : MHD_NO;
	}
	return http_req_run(r);
}

/* Queue the answer once its audit record is durable (or 503 instead). */
static int
http_req_deliver(struct http_req *r)
{
	int rc = 0;

	if (r->resp == NULL)
		return 0;
	http_audit_finish(r);
	if (r->resp == NULL)
		return -1;
	if (MHD_queue_response(r->conn, r->status, r->resp) != MHD_YES) {
		log_err("request %s: cannot queue the response", r->id);
		rc = -1;
	}
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return rc;
}

enum MHD_Result
http_req_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_req *r = *con_cls;
	enum MHD_Result res;

	(void)cls;
	(void)c;
	/* url is decoded by libmicrohttpd: routes match the raw path; url only locates it. */
	if (r == NULL || r->hc == NULL)
		return MHD_NO;  /* no memory for the request at its start: hang up */
	switch (r->phase) {
	case REQ_NEW:
		r->phase = REQ_BODY;
		res = http_req_first(r, url, method, version);
		break;
	case REQ_BODY:
		if (*upload_data_size != 0) {
			res = http_req_take(r, upload_data, *upload_data_size);
			/* Copied (or dropped): the secret must not stay in libmicrohttpd's buffer too. */
			http_wipe_mhd(upload_data, *upload_data_size);
			*upload_data_size = 0;
			break;
		}
		r->phase = REQ_DONE;
		res = http_req_final(r);
		break;
	default:
		return MHD_NO;
	}
	/* A ready answer goes out only after its audit record (http_audit.c). */
	if (res == MHD_YES && http_req_deliver(r) != 0)
		res = MHD_NO;
	if (r->phase == REQ_DONE) {
		/* The work is done: the slot goes back, and the client has timeout_s to take the answer. */
		http_req_slot_give(r);
		http_conn_wait(r->srv, r->hc, HTTP_WAIT_SEND);
	}
	return res;
}

/* ---- accessors for handlers ---- */

const char *
http_req_param(const struct http_req *r, const char *name)
{
	return http_match_param(&r->match, name);
}

const char *
http_req_query(const struct http_req *r, const char *name)
{
	const char *val = NULL;
	size_t i;

	/* Only names the route declares; the core refused every other one already. */
	for (i = 0; r->route->query != NULL && r->route->query[i] != NULL; i++)
		if (strcmp(r->route->query[i], name) == 0)
			break;
	if (r->route->query == NULL || r->route->query[i] == NULL)
		return NULL;
	if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &val,
	    NULL) != MHD_YES)
		return NULL;
	return val != NULL ? val : "";  /* "?name" without '=' */
}

json_t *
http_req_body(const struct http_req *r)
{
	return r->json;
}

const char *
http_req_id(const struct http_req *r)
{
	return r->id;
}

const char *
http_req_client(const struct http_req *r)
{
	return r->hc->client;
}

enum http_transport
http_req_transport(const struct http_req *r)
{
	return r->hc->transport;
}

const struct principal *
http_req_principal(const struct http_req *r)
{
	return r->authenticated ? &r->principal : NULL;
}

const char *
http_req_bearer(const struct http_req *r)
{
	return r->bearer;
}

void
http_req_slot_release(struct http_req *r)
{
	http_req_slot_give(r);
}

uid_t
http_req_peer_uid(const struct http_req *r)
{
	return r->hc->peer_uid;
}
