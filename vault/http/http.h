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
 *
 * The room's files, each calling only those below it: http.c (the server:
 * listeners, connections, the watchdog) -> http_req.c (a request's life,
 * checks to answer) -> http_audit.c (its record and group commit) ->
 * http_reply.c (building responses) -> http_conn.c/h (the shared structs,
 * connection deadlines) -> http_route.c, http_slots.c (pure parts). This
 * header is the room's face: handlers include it (through api/api.h).
 */
#ifndef BOS_HTTP_H
#define BOS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "http/http_audit.h"
#include "http/http_reply.h"
#include "http/http_req.h"
#include "http/http_route.h"

struct vault;
struct http_req;
struct http_server;

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

#endif
