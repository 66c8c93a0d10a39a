/*
 * The vault's HTTP front door (libmicrohttpd): HTTPS (TLS 1.3 only) on TCP
 * and plain HTTP on a unix socket in the state directory, one route table,
 * one error shape:
 *     {"error":{"code":"not_found","message":"no credential with that id"}}
 * and an X-Request-Id header on every response.
 *
 * The core does everything that is the same for every route, before any
 * handler runs: header and body limits (413), Content-Length /
 * Transfer-Encoding smuggling checks (400), method (405 with Allow), content
 * type of bodies (415), JSON parsing with duplicate keys and invalid UTF-8
 * refused (400), unknown top-level fields refused (400), a CVV-like field at
 * any depth refused (400), authentication for the route's auth class
 * (401/403, via auth_check() in auth.h), and metrics. Handlers only see
 * requests that passed all of that.
 *
 * Threading: one thread per connection (MHD_USE_THREAD_PER_CONNECTION with
 * poll), so handlers may block on the database or bos-hsmd.
 *
 * docs/HTTP.md has the order of the checks, the error codes and the limits.
 */
#ifndef BOS_HTTP_H
#define BOS_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "auth/auth.h"
#include "compiler.h"
#include "err.h"

struct vault;
struct http_req;
struct http_server;

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_POST = 1 << 1,
	HTTP_PUT = 1 << 2,
	HTTP_DELETE = 1 << 3,
};

/* enum route_auth and enum http_transport: auth/auth.h. */

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

struct http_config {
	const char *listen_addr;      /* "127.0.0.1" */
	uint16_t listen_port;         /* 8025; 0: no TCP listener */
	const char *unix_path;        /* state-dir/vault.sock; NULL: none */
	int tcp_fd;                   /* a listener passed by systemd (http_passed_take), used
	                               * instead of binding listen_addr:listen_port; -1: none */
	int unix_fd;                  /* the same for the unix socket; unix_path is then only its
	                               * name in messages: the file is neither made nor removed */
	const char *tls_cert_pem;     /* PEM text (not paths) */
	const char *tls_key_pem;
	size_t body_max;              /* default 64 KiB */
	unsigned conn_limit;          /* total connections per listener, default 2048 */
	unsigned per_ip_limit;        /* default 64 */
	unsigned timeout_s;           /* idle connection timeout, default 30; also the time a
	                               * client has to send one whole request (slowloris) */
	unsigned header_timeout_s;    /* the time it has for the request's headers, default 5 */
	unsigned inflight_max;        /* complete requests handled at once per listener, default
	                               * 64; more get 503 */
};

void http_config_defaults(struct http_config *c);

/*
 * Socket activation (sd_listen_fds(3), without libsystemd): when LISTEN_PID
 * is this process, take the LISTEN_FDS sockets at fds 3.. as listeners: at
 * most one listening TCP stream socket (AF_INET/AF_INET6: HTTPS) and one
 * listening AF_UNIX stream socket (the local API), told apart with
 * SO_DOMAIN. Anything else, or two of a kind, is refused with a message
 * naming the fd. The taken fds are made close-on-exec and non-blocking;
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the
 * environment in every case. Call it first thing in main, before anything
 * opens a file or starts a process. Without activation: 0 and both fds -1.
 */
#define HTTP_PASSED_NAME_MAX 128
struct http_passed {
	int tcp_fd;                   /* -1: none passed */
	int unix_fd;                  /* -1: none passed */
	char tcp_name[HTTP_PASSED_NAME_MAX];   /* "127.0.0.1:8025", "[::1]:8025" */
	char unix_name[HTTP_PASSED_NAME_MAX];  /* "/run/bos/vault.sock" */
};
int http_passed_take(struct http_passed *p, struct bos_err *err) BOS_WUR;

/* Start listening; routes is an array of n entries that must outlive the server. */
int http_server_start(struct vault *v, const struct http_config *cfg,
    const struct http_route *routes, size_t n, struct http_server **out,
    struct bos_err *err) BOS_WUR;
void http_server_stop(struct http_server *s);

/* ---- inside a handler ---- */

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

/*
 * What the request's audit record says where the core cannot know it. The
 * defaults: principal the authenticated accessor (else "anonymous"), resource
 * the request path, reason "ok" or the error's code and message. Values are
 * cut to fit a record; never pass a secret or a token.
 */
void http_req_audit_reason(struct http_req *r, const char *fmt, ...) BOS_PRINTF(2, 3);
void http_req_audit_resource(struct http_req *r, const char *fmt, ...) BOS_PRINTF(2, 3);
void http_req_audit_principal(struct http_req *r, const char *principal);
/*
 * AUDIT_LATE routes: write the record now, in its own transaction, with this
 * decision ("allow", "deny", "invalid", "error"), before doing what it
 * describes. 0 when it is durable; -1 when it could not be written: answer
 * with http_reply_audit_unavailable and do nothing.
 */
int http_req_audit_now(struct http_req *r, const char *decision) BOS_WUR;
/*
 * AUDIT_LATE routes: after the slow part (argon2, the HSM), join the audit
 * transaction now, as AUDIT_TXN routes do before their handler: what the
 * handler writes from here on commits together with the record, or not at
 * all. 0 joined; -1 not: an error (503 when the trail cannot be written) was
 * answered, and nothing may be written.
 */
int http_req_audit_join(struct http_req *r) BOS_WUR;
/*
 * AUDIT_TXN routes: give up the database lock around a slow step that needs
 * no database (the HSM's part of a read), keeping the request's work so far
 * in its group-commit batch (batch.h). http_req_pause: 0 released, -1 not
 * (still held: go on under it). http_req_resume: 0 held again; -1 the batch
 * failed meanwhile and nothing the request did is kept: answer an error.
 */
int http_req_pause(struct http_req *r) BOS_WUR;
int http_req_resume(struct http_req *r) BOS_WUR;
int http_reply_audit_unavailable(struct http_req *r) BOS_WUR;

#endif
