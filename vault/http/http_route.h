/*
 * Pure parts of the HTTP core, kept apart from libmicrohttpd so unit tests
 * can call them directly: route matching on the raw request path, the Allow
 * list of a path, and the parsers for the few header values the core reads
 * (Content-Length, Content-Type, Authorization).
 */
#ifndef BOS_HTTP_ROUTE_H
#define BOS_HTTP_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include "auth/auth.h"
#include "compiler.h"

struct vault;
struct http_req;

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_POST = 1 << 1,
	HTTP_PUT = 1 << 2,
	HTTP_DELETE = 1 << 3,
};

/*
 * The audit record of a route's requests (docs/AUDIT.md). Every request that
 * matched a route gets exactly one record, whatever its outcome, unless the
 * route is AUDIT_OFF; the response is sent only after the record is durable,
 * and a request whose record cannot be written is answered 503
 * audit_unavailable instead (its response, secret or not, is dropped).
 */
enum route_audit {
	AUDIT_TXN = 0,  /* the core takes the database lock and opens the transaction before
	                 * the handler; the handler's changes and the record commit together */
	AUDIT_SIGNED,   /* as AUDIT_TXN, and a success is answered only once the audit head
	                 * that covers its record is signed and in STATE/audit.head: every
	                 * route that revokes or changes rights (revocations of grants,
	                 * helpers, credentials and sessions; admin changes), so that no
	                 * copy of the database taken before it can be restored silently
	                 * (docs/AUDIT.md "Signed before acknowledged"). test_routes_signed
	                 * fails for a route that changes state and is not classified */
	AUDIT_LATE,     /* the handler runs without the lock (argon2, sign-in delays); the
	                 * record is written after it, or by the handler (http_req_audit_now) */
	AUDIT_LATE_SIGNED, /* as AUDIT_LATE, and signed as AUDIT_SIGNED: a change of rights
	                 * whose handler must first write on its own what a sign-in writes
	                 * (a signed-in admin adding an admin checks the acting admin's fresh
	                 * TOTP code, docs/AUTH.md), then joins the audit transaction
	                 * (http_req_audit_join) for the change and its record */
	AUDIT_OFF,      /* GET /health, GET /metrics: operational, no stored data */
};

/* Is a success on a route of this kind answered only once its record is signed? */
static inline int
route_audit_signed(enum route_audit a)
{
	return a == AUDIT_SIGNED || a == AUDIT_LATE_SIGNED;
}

/* Return value of handlers: 0 when a response was queued, -1 on an internal error (500). */
typedef int (*http_handler)(struct vault *v, struct http_req *req);

struct http_route {
	enum http_method method;
	const char *pattern;          /* "/credentials/{id}": {name} matches one segment */
	enum route_auth auth;
	http_handler handler;
	const char *name;             /* stable label for metrics and logs, e.g. "cred_get" */
	const char *const *fields;    /* allowed top-level JSON body fields, NULL-terminated;
	                               * NULL: the route takes no body (a body gets 400) */
	const char *const *query;     /* allowed query parameters, NULL-terminated; NULL: none */
	enum route_audit audit;
};

/* Longest raw path (without the query string) that can match a route. */
#define HTTP_PATH_MAX 1024
/* Most {name} parameters in one pattern. */
#define HTTP_PARAMS_MAX 4
/* Longest bearer token accepted in an Authorization header. */
#define HTTP_BEARER_MAX 512
/* "GET, POST, PUT, DELETE" and its NUL. */
#define HTTP_ALLOW_SIZE 32

enum http_match_result {
	HTTP_MATCH_OK,        /* m->route is the route for this path and method */
	HTTP_MATCH_NO_PATH,   /* no route has this path: 404 */
	HTTP_MATCH_NO_METHOD, /* the path exists with other methods (m->allow): 405 */
	HTTP_MATCH_BAD_PATH,  /* malformed percent-encoding, or a control byte or '/' in a segment: 400 */
};

struct http_param {
	const char *name;     /* points into the pattern, after '{' */
	size_t name_len;
	const char *value;    /* decoded, NUL-terminated, inside m->buf */
};

struct http_match {
	const struct http_route *route; /* set only for HTTP_MATCH_OK */
	unsigned allow;                 /* methods of every route with this path */
	size_t nparams;
	struct http_param params[HTTP_PARAMS_MAX];
	char buf[HTTP_PATH_MAX + 1];    /* decoded parameter values */
};

/* Value of a hex digit of a percent-escape (either case), or -1. */
int http_hex(char c);

/* "GET" -> HTTP_GET ...; 0 for any other method (HEAD, PATCH, ...). */
unsigned http_method_parse(const char *s);
/* Name of one enum http_method bit, "OTHER" for anything else. */
const char *http_method_name(unsigned m);

/*
 * Match the raw (still percent-encoded) path of a request, without its query
 * string, against n routes. A segment matches a literal after decoding; a
 * {name} segment matches one non-empty segment whose decoded value has no
 * '/', NUL or other control byte. No trailing slash, empty segment or "."
 * handling: "/health/" and "//health" are not "/health". On
 * HTTP_MATCH_NO_METHOD, m->allow lists the path's methods.
 */
enum http_match_result http_route_match(const struct http_route *routes, size_t n,
    const char *path, size_t path_len, unsigned method, struct http_match *m);

/*
 * 1 when value is a fixed segment that some route has where pattern has
 * {param}, after leading segments one path could match in both (a {param}
 * matches any segment): "audit" and "grant" for {id} of
 * "/credentials/{id}", because of "/credentials/audit" and
 * "/credentials/grant". A path built with such a value reaches that other
 * route for its methods (the table's order decides), and for more methods
 * once that route gains them; the comparison is exact, as route matching is.
 */
int http_route_param_reserved(const struct http_route *routes, size_t n, const char *pattern,
    const char *param, const char *value);

/* Value of parameter name in m, or NULL. */
const char *http_match_param(const struct http_match *m, const char *name);

/* Write "GET, PUT, DELETE" for a method set. Returns 0, or -1 if it does not fit. */
int http_allow_format(unsigned methods, char *out, size_t cap) BOS_WUR;

/* Content-Length: 1 to 19 digits, nothing else. Returns 0 or -1. */
int http_parse_content_length(const char *s, size_t n, uint64_t *out) BOS_WUR;

/*
 * 1 when a Content-Type value is application/json, optionally followed by
 * "; charset=utf-8" (names case-insensitive, value optionally quoted,
 * whitespace around ';' and '='), else 0.
 */
int http_content_type_is_json(const char *s, size_t n);

/*
 * Parse "Bearer <token68>" (scheme case-insensitive, one or more spaces).
 * On success *tok points into s and *tok_len is its length. Returns 0, or
 * -1 for any other scheme or a malformed or oversized token.
 */
int http_parse_bearer(const char *s, size_t n, const char **tok, size_t *tok_len) BOS_WUR;

#endif
