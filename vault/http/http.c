/*
 * The HTTP server: two libmicrohttpd daemons (HTTPS with TLS 1.3 only on
 * TCP, plain HTTP on a unix socket) sharing one access handler
 * (http_req.c), the per-connection bookkeeping, the watchdog that evicts
 * clients too slow to send a request, and the access log. See docs/HTTP.md.
 *
 * Threads: each daemon has a listening thread and one thread per
 * connection (MHD_USE_THREAD_PER_CONNECTION needs MHD_USE_POLL: select()
 * stops at FD_SETSIZE), so handlers may block on the database or bos-hsmd.
 * One more thread, the watchdog, enforces request deadlines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "hsmc/hsm_client.h"
#include "http/http.h"
#include "http/http_conn.h"
#include "http/http_req.h"
#include "log.h"
#include "core/metrics.h"
#include "core/vault.h"

/* Headers, request line and read buffer of one connection (libmicrohttpd's pool). */
#define HTTP_CONN_MEMORY (32 * 1024)
#define HTTP_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define HTTP_WATCHDOG_MS 250
#define HTTP_BACKLOG 128
#define HTTP_PASSED_FD0 3           /* SD_LISTEN_FDS_START */
#define HTTP_PASSED_MAX 2           /* one TCP listener and one unix socket */
#define HTTP_FD_SPARE 256           /* descriptors beyond the connections: DB, logs, hsmd */
/*
 * libmicrohttpd logs one line per refused connection or broken handshake: a
 * flood of connections would flood the log. At most this many a second, then
 * one line with the count.
 */
#define HTTP_MHD_LOG_PER_S 20
/*
 * Stack of each connection thread. The deepest frames of our own code are
 * ~11 KiB (gcc -fstack-usage); GnuTLS, SQLite and jansson stay well under
 * 100 KiB. Idle connections cost their touched pages only, but 2048 threads
 * with glibc's 8 MiB default would reserve 16 GiB of address space. The
 * sanitizers' frames are several times larger: they keep the default.
 */
#if defined(__SANITIZE_ADDRESS__)
#define HTTP_THREAD_STACK 0
#else
#define HTTP_THREAD_STACK (512 * 1024)
#endif

void
http_config_defaults(struct http_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_addr = "127.0.0.1";
	c->listen_port = 8025;
	c->body_max = 64 * 1024;
	c->conn_limit = 2048;
	c->per_ip_limit = 64;
	c->timeout_s = 30;
	c->header_timeout_s = 5;
	c->inflight_max = 64;
	c->tcp_fd = -1;
	c->unix_fd = -1;
}

/* ---- socket activation ---- */

/* A decimal number without sign, spaces or trailing text, at most max. */
static int
http_env_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long n;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*out = n;
	return 0;
}

/* The i-th name of LISTEN_FDNAMES (colon-separated), or "" when there is none. */
static void
http_passed_fdname(const char *names, unsigned long i, char *out, size_t n)
{
	const char *p = names, *e;

	out[0] = '\0';
	if (p == NULL)
		return;
	for (; i > 0; i--) {
		if ((p = strchr(p, ':')) == NULL)
			return;
		p++;
	}
	e = strchrnul(p, ':');
	(void)snprintf(out, n, "%.*s", (int)(e - p), p);
}

/* "127.0.0.1:8025", "[::1]:8025", "/run/bos/vault.sock", "@abstract" or "?". */
static void
http_sock_name(int fd, int dom, char *out, size_t n)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *sin = (const void *)&ss;
	const struct sockaddr_in6 *sin6 = (const void *)&ss;
	const struct sockaddr_un *sun = (const void *)&ss;
	socklen_t len = sizeof(ss);
	char a[INET6_ADDRSTRLEN];
	size_t plen;

	(void)snprintf(out, n, "?");
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (dom == AF_INET && inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) != NULL)
		(void)snprintf(out, n, "%s:%u", a, ntohs(sin->sin_port));
	else if (dom == AF_INET6 && inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)) != NULL)
		(void)snprintf(out, n, "[%s]:%u", a, ntohs(sin6->sin6_port));
	else if (dom == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
		plen = len - offsetof(struct sockaddr_un, sun_path);
		if (sun->sun_path[0] == '\0')
			(void)snprintf(out, n, "@%.*s", (int)(plen - 1), sun->sun_path + 1);
		else
			(void)snprintf(out, n, "%.*s", (int)strnlen(sun->sun_path, plen), sun->sun_path);
	} else if (dom == AF_UNIX)
		(void)snprintf(out, n, "(unnamed)");
}

static int
http_sockopt_int(int fd, int opt, int *val)
{
	socklen_t len = sizeof(*val);

	*val = 0;
	return getsockopt(fd, SOL_SOCKET, opt, val, &len) == 0 && len == sizeof(*val) ? 0 : -1;
}

/* Check one passed fd and file it as the TCP or the unix listener. */
static int
http_passed_one(struct http_passed *p, int fd, const char *fdname, struct bos_err *err)
{
	char what[96];
	int dom, type, acc, fl, *slot;
	char *name;

	if (fdname[0] != '\0')
		(void)snprintf(what, sizeof(what), "fd %d ('%s')", fd, fdname);
	else
		(void)snprintf(what, sizeof(what), "fd %d", fd);
	if ((fl = fcntl(fd, F_GETFD)) < 0)
		return bos_err_set(err, BOS_E_CONFIG, "socket activation: %s is not open", what);
	/* Before anything else can start a process: bos-hsmd must never inherit a listener. */
	if (fcntl(fd, F_SETFD, fl | FD_CLOEXEC) != 0)
		return bos_err_set(err, BOS_E_IO, "socket activation: cannot make %s close-on-exec: %s",
		    what, strerror(errno));
	if (http_sockopt_int(fd, SO_DOMAIN, &dom) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "socket activation: %s is not a socket (%s)",
		    what, strerror(errno));
	if (dom != AF_INET && dom != AF_INET6 && dom != AF_UNIX)
		return bos_err_set(err, BOS_E_CONFIG, "socket activation: %s is neither a TCP nor a "
		    "unix socket (address family %d); bos-vaultd takes one TCP listener (HTTPS) and "
		    "one unix socket (the local API)", what, dom);
	if (http_sockopt_int(fd, SO_TYPE, &type) != 0 || type != SOCK_STREAM)
		return bos_err_set(err, BOS_E_CONFIG, "socket activation: %s is a %s socket, not a "
		    "stream socket (use ListenStream= in the socket unit)", what,
		    type == SOCK_DGRAM ? "datagram" : type == SOCK_SEQPACKET ? "seqpacket" : "non-stream");
	if (http_sockopt_int(fd, SO_ACCEPTCONN, &acc) != 0 || acc == 0)
		return bos_err_set(err, BOS_E_CONFIG, "socket activation: %s is not a listening socket "
		    "(the socket unit needs Accept=no)", what);
	slot = dom == AF_UNIX ? &p->unix_fd : &p->tcp_fd;
	name = dom == AF_UNIX ? p->unix_name : p->tcp_name;
	if (*slot >= 0)
		return bos_err_set(err, BOS_E_CONFIG, "socket activation: two %s sockets passed (fd %d "
		    "and %s); bos-vaultd takes one TCP listener (HTTPS) and one unix socket (the local "
		    "API)", dom == AF_UNIX ? "unix" : "TCP", *slot, what);
	/* As the sockets we make ourselves: accept must never block the listening thread. */
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return bos_err_set(err, BOS_E_IO, "socket activation: cannot make %s non-blocking: %s",
		    what, strerror(errno));
	*slot = fd;
	http_sock_name(fd, dom, name, HTTP_PASSED_NAME_MAX);
	log_info("socket activation: %s %s (fd %d%s%s%s) passed by systemd", dom == AF_UNIX ?
	    "the local API socket" : "the HTTPS listener", name, fd, fdname[0] != '\0' ? ", '" : "",
	    fdname, fdname[0] != '\0' ? "'" : "");
	return 0;
}

static int
http_passed_fds(struct http_passed *p, const char *pid_s, const char *fds_s, const char *names,
    struct bos_err *err)
{
	unsigned long pid, n, i;
	char fdname[64];

	if (pid_s == NULL) {
		if (fds_s != NULL)
			log_warn("socket activation: LISTEN_FDS without LISTEN_PID: ignored");
		return 0;
	}
	if (http_env_number(pid_s, (unsigned long)INT32_MAX, &pid) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "socket activation: LISTEN_PID='%s' is not a "
		    "process id", pid_s);
	if (pid != (unsigned long)getpid()) {
		log_warn("socket activation: LISTEN_PID=%lu is not this process (%d): its sockets are "
		    "not for bos-vaultd; ignored", pid, (int)getpid());
		return 0;
	}
	if (fds_s == NULL)
		return 0;
	if (http_env_number(fds_s, 1024, &n) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "socket activation: LISTEN_FDS='%s' is not a "
		    "number of sockets", fds_s);
	if (n > HTTP_PASSED_MAX)
		return bos_err_set(err, BOS_E_CONFIG, "socket activation: %lu sockets passed; "
		    "bos-vaultd takes at most %d: one TCP listener (HTTPS) and one unix socket (the "
		    "local API)", n, HTTP_PASSED_MAX);
	for (i = 0; i < n; i++) {
		http_passed_fdname(names, i, fdname, sizeof(fdname));
		if (http_passed_one(p, HTTP_PASSED_FD0 + (int)i, fdname, err) != 0)
			return -1;
	}
	return 0;
}

int
http_passed_take(struct http_passed *p, struct bos_err *err)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->tcp_fd = p->unix_fd = -1;
	r = http_passed_fds(p, getenv("LISTEN_PID"), getenv("LISTEN_FDS"),
	    getenv("LISTEN_FDNAMES"), err);
	/* Not for bos-hsmd, nor for anything else the vault starts. */
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	return r;
}

/* ---- libmicrohttpd's messages ---- */

/* Once the second of a flood is over, say how many messages were left out. */
static void
http_mhd_log_flush(struct http_server *srv, int64_t now)
{
	unsigned long dropped = 0;

	pthread_mutex_lock(&srv->log_lock);
	if (srv->log_suppressed > 0 && now - srv->log_window_ms >= 1000) {
		dropped = srv->log_suppressed;
		srv->log_suppressed = 0;
	}
	pthread_mutex_unlock(&srv->log_lock);
	if (dropped > 0)
		log_warn("libmicrohttpd: %lu more message(s) in the last second(s) not logged "
		    "(more than %d a second: a connection flood?)", dropped, HTTP_MHD_LOG_PER_S);
}

static void BOS_PRINTF(2, 0)
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *srv = cls;
	int64_t now = clock_mono_ms();
	char msg[512], *p;
	size_t n;

	http_mhd_log_flush(srv, now);
	pthread_mutex_lock(&srv->log_lock);
	if (now - srv->log_window_ms >= 1000) {
		srv->log_window_ms = now;
		srv->log_in_window = 0;
	}
	if (srv->log_in_window >= HTTP_MHD_LOG_PER_S) {
		srv->log_suppressed++;
		pthread_mutex_unlock(&srv->log_lock);
		return;
	}
	srv->log_in_window++;
	pthread_mutex_unlock(&srv->log_lock);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	/* Some messages quote the request path; a path is the client's text, so it stays out. */
	if ((p = strstr(msg, "request for ")) != NULL)
		(void)snprintf(p, sizeof(msg) - (size_t)(p - msg), "a request (path not logged)");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn("libmicrohttpd: %s", msg);
}

/* ---- connections ---- */

static uid_t
http_peer_uid(int fd)
{
	struct ucred cr;
	socklen_t len;
	int dom;

	/* On TCP, SO_PEERCRED "succeeds" with uid -1: ask for the family first. */
	len = sizeof(dom);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) != 0 || dom != AF_UNIX)
		return (uid_t)-1;
	len = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr))
		return (uid_t)-1;
	return cr.uid;
}

/*
 * The client's address in text for logs, and as the key of its share of the
 * in-flight slots: an IPv4 address as ::ffff:a.b.c.d, an IPv6 address by its
 * /64 (one host commonly holds a whole /64, so a finer key would let it
 * claim many shares).
 */
static void
http_client_name(struct http_conn *hc, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
	const void *a = NULL;

	(void)snprintf(hc->client, sizeof(hc->client), "%s",
	    hc->transport == HTTP_UNIX ? "unix" : "?");
	memset(hc->addr_key, 0, sizeof(hc->addr_key));
	if (hc->transport == HTTP_UNIX || sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		hc->addr_key[10] = hc->addr_key[11] = 0xff;
		memcpy(hc->addr_key + 12, a, 4);
	} else if (sa->sa_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		memcpy(hc->addr_key, a, 8);
	}
	if (a == NULL || inet_ntop(sa->sa_family, a, hc->client, sizeof(hc->client)) == NULL)
		(void)snprintf(hc->client, sizeof(hc->client), "?");
}

static void
http_conn_open(struct http_listener *l, struct MHD_Connection *c, void **socket_context)
{
	struct http_server *s = l->srv;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	struct http_conn *hc;

	if (ci == NULL)
		return;
	if ((hc = calloc(1, sizeof(*hc))) == NULL) {
		/* Without its bookkeeping the connection cannot be served: end it now. */
		(void)shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	hc->fd = ci->connect_fd;
	hc->transport = l->transport;
	hc->l = l;
	hc->peer_uid = http_peer_uid(hc->fd);
	http_client_name(hc, c);
	pthread_mutex_lock(&s->conn_lock);
	http_conn_deadlines(s, hc, HTTP_WAIT_HEADERS);
	hc->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = hc;
	s->conns = hc;
	pthread_mutex_unlock(&s->conn_lock);
	*socket_context = hc;
}

/* libmicrohttpd calls this before it closes the socket, so the watchdog never sees a reused fd. */
static void
http_conn_close(struct http_server *s, struct http_conn *hc)
{
	if (hc == NULL)
		return;
	pthread_mutex_lock(&s->conn_lock);
	if (hc->prev != NULL)
		hc->prev->next = hc->next;
	else
		s->conns = hc->next;
	if (hc->next != NULL)
		hc->next->prev = hc->prev;
	pthread_mutex_unlock(&s->conn_lock);
	free(hc);
}

static void
http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http_listener *l = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		http_conn_open(l, c, socket_context);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_conn_close(l->srv, *socket_context);
		*socket_context = NULL;
	}
}

/*
 * libmicrohttpd's timeout is an idle timeout: a client that sends one byte
 * a second keeps a connection (and its thread) forever. The watchdog gives
 * each request header_timeout_s for its headers and timeout_s for all of it,
 * both from the moment the connection may send it (accept, TLS handshake
 * included, or the end of the previous answer), and timeout_s to take its
 * answer; it shuts down the sockets of those that miss a deadline, and
 * libmicrohttpd then closes them. No deadline runs while a handler works.
 */
static unsigned
http_watchdog_sweep(struct http_server *s)
{
	int64_t now = clock_mono_ms();
	struct http_conn *hc;
	unsigned n = 0;

	for (hc = s->conns; hc != NULL; hc = hc->next) {
		if (hc->evicted || !((hc->header_deadline_ms != 0 && now >= hc->header_deadline_ms) ||
		    (hc->deadline_ms != 0 && now >= hc->deadline_ms)))
			continue;
		(void)shutdown(hc->fd, SHUT_RDWR);
		hc->evicted = 1;
		n++;
	}
	return n;
}

static void *
http_watchdog(void *arg)
{
	struct http_server *s = arg;
	struct timespec ts;
	unsigned n;

	pthread_mutex_lock(&s->conn_lock);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->conn_lock);
		http_mhd_log_flush(s, clock_mono_ms());
		pthread_mutex_lock(&s->conn_lock);
		if ((n = http_watchdog_sweep(s)) > 0) {
			pthread_mutex_unlock(&s->conn_lock);
			log_info("closed %u connection(s) past a deadline (request headers within %u s, "
			    "the whole request or its answer within %u s)", n, s->header_timeout_s,
			    s->timeout_s);
			pthread_mutex_lock(&s->conn_lock);
		}
		clock_mono_after(&ts, HTTP_WATCHDOG_MS);
		(void)pthread_cond_timedwait(&s->watchdog_cv, &s->conn_lock, &ts);
	}
	pthread_mutex_unlock(&s->conn_lock);
	return NULL;
}

/* ---- requests: start and end ---- */

static void *
http_uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_listener *l = cls;

	/* The earliest moment of a request: its clock starts here, with the raw URI. */
	return http_req_new(l->srv, c, uri);
}

static const char *
http_end_name(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK: return "";
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return " end=timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return " end=shutdown";
	case MHD_REQUEST_TERMINATED_READ_ERROR: return " end=read_error";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return " end=client_abort";
	default: return " end=error";
	}
}

/* One line per request: id, method, route, status, time, client. Never the URI, headers or body. */
static void
http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_listener *l = cls;
	struct http_req *r = *con_cls;
	const union MHD_ConnectionInfo *ci;
	struct http_conn *ci_hc;
	const char *route;
	unsigned status;
	double secs;

	if (r == NULL)
		return;
	ci_hc = r->hc;
	*con_cls = NULL;
	status = r->status;
	/* libmicrohttpd's own answers (431, a malformed request line ...) are counted too. */
	if (status == 0 && (ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS)) != NULL)
		status = ci->http_status;
	route = r->route != NULL ? r->route->name : "unmatched";
	secs = http_req_seconds(r);
	log_info("request %s method=%s route=%s status=%u ms=%.1f client=%s%s", r->id,
	    http_method_name(r->method), route, status, secs * 1000.0,
	    r->hc != NULL ? r->hc->client : "?", http_end_name(toe));
	if (l->srv->v != NULL)
		metrics_observe_request(l->srv->v->metrics, route, status, secs);
	http_req_free(r);
	/* After the request's slot went back: the connection waits for the next request. */
	if (ci_hc != NULL)
		http_conn_wait(l->srv, ci_hc, HTTP_WAIT_HEADERS);
}

/* ---- listening sockets ---- */

static int
http_tcp_socket(const struct http_config *cfg, int *out, struct bos_err *err)
{
	struct sockaddr_in sin;
	int fd, one = 1, e;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(cfg->listen_port);
	if (cfg->listen_addr == NULL || inet_pton(AF_INET, cfg->listen_addr, &sin.sin_addr) != 1)
		return bos_err_set(err, BOS_E_CONFIG, "listen address '%s' is not an IPv4 address",
		    cfg->listen_addr ? cfg->listen_addr : "");
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return bos_err_set(err, BOS_E_IO, "cannot create a TCP socket: %s", strerror(errno));
	/* A restart must not wait for the old connections' TIME_WAIT. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, HTTP_BACKLOG) != 0) {
		e = errno;
		close(fd);
		if (e == EADDRINUSE)
			return bos_err_set(err, BOS_E_CONFIG, "cannot listen on %s:%u: address in use "
			    "(another bos-vaultd? change 'listen' in bos.conf)", cfg->listen_addr,
			    cfg->listen_port);
		return bos_err_set(err, BOS_E_CONFIG, "cannot listen on %s:%u: %s", cfg->listen_addr,
		    cfg->listen_port, strerror(e));
	}
	*out = fd;
	return 0;
}

/* 1 when something accepts connections on path (a running vault), else 0. */
static int
http_unix_in_use(const struct sockaddr_un *sun)
{
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return rc;
}

/* Remove a socket file left by a vault that is gone; never anything else. */
static int
http_unix_clear(const char *path, const struct sockaddr_un *sun, struct bos_err *err)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return bos_err_set(err, BOS_E_IO, "cannot inspect %s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return bos_err_set(err, BOS_E_CONFIG, "%s exists and is not a socket; refusing to "
		    "remove it", path);
	if (http_unix_in_use(sun))
		return bos_err_set(err, BOS_E_CONFIG, "%s is in use: another bos-vaultd serves this "
		    "state directory", path);
	if (unlink(path) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot remove the stale socket %s: %s", path,
		    strerror(errno));
	return 0;
}

static int
http_unix_socket(struct http_server *s, const char *path, int *out, struct bos_err *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return bos_err_set(err, BOS_E_CONFIG, "socket path %s is longer than %zu bytes: use "
		    "a shorter state directory path", path, sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (http_unix_clear(path, &sun, err) != 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return bos_err_set(err, BOS_E_IO, "cannot create a unix socket: %s", strerror(errno));
	if (bind(fd, (const struct sockaddr *)&sun, sizeof(sun)) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* No one can connect before listen(), so the mode is right before anyone can use it. */
	if (chmod(path, 0660) != 0 || lstat(path, &st) != 0 || listen(fd, HTTP_BACKLOG) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot set up %s: %s", path, strerror(errno));
		close(fd);
		(void)unlink(path);
		return -1;
	}
	s->unix_dev = st.st_dev;
	s->unix_ino = st.st_ino;
	*out = fd;
	return 0;
}

/* Remove our socket file, unless another process replaced it. */
static void
http_unix_remove(struct http_server *s)
{
	struct stat st;

	if (s->unix_path == NULL || s->unix_ino == 0)
		return;
	if (lstat(s->unix_path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == s->unix_dev &&
	    st.st_ino == s->unix_ino)
		(void)unlink(s->unix_path);
	s->unix_ino = 0;
}

/* ---- daemons ---- */

static size_t
http_common_options(struct http_listener *l, const struct http_config *cfg,
    struct MHD_OptionItem *o)
{
	size_t k = 0;

	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->conn_limit, NULL };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout_s, NULL };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY, NULL };
	/* 1: refuse HTTP/1.1 without Host and spaces in the request target. */
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)http_conn_notify, l };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)http_uri_log, l };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)http_completed, l };
	if (HTTP_THREAD_STACK != 0)
		o[k++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_STACK_SIZE, HTTP_THREAD_STACK, NULL };
	return k;
}

static int
http_start_daemon(struct http_listener *l, const struct http_config *cfg, int fd,
    struct bos_err *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem o[20];
	size_t k = http_common_options(l, cfg, o);
	unsigned per_ip = cfg->per_ip_limit < cfg->conn_limit ? cfg->per_ip_limit : cfg->conn_limit;

	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	if (l->transport == HTTP_TCP_TLS) {
		flags |= MHD_USE_TLS;
		/* Every client on the loopback shares one address, so this caps all TCP clients. */
		o[k++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)per_ip, NULL };
		o[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)cfg->tls_cert_pem };
		o[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)cfg->tls_key_pem };
		o[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)(uintptr_t)HTTP_TLS_PRIORITIES };
	}
	o[k] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/*
	 * The logger goes first so that start-up messages use it. On failure
	 * libmicrohttpd may or may not have closed fd already; we leave it, since
	 * a failed start ends the process.
	 */
	l->d = MHD_start_daemon(flags, 0, NULL, NULL, http_req_access, l,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, l->srv, MHD_OPTION_ARRAY, o, MHD_OPTION_END);
	if (l->d != NULL)
		return 0;
	if (l->transport == HTTP_TCP_TLS && fd == cfg->tcp_fd)
		return bos_err_set(err, BOS_E_CONFIG, "cannot start the HTTPS listener on the socket "
		    "passed by systemd, fd %d (libmicrohttpd's reason is logged above)", fd);
	if (l->transport == HTTP_TCP_TLS)
		return bos_err_set(err, BOS_E_CONFIG, "cannot start the HTTPS listener on %s:%u "
		    "(libmicrohttpd's reason is logged above)", cfg->listen_addr, cfg->listen_port);
	return bos_err_set(err, BOS_E_CONFIG, "cannot start the listener on %s%s",
	    cfg->unix_path != NULL ? cfg->unix_path : "the unix socket",
	    fd == cfg->unix_fd ? " (passed by systemd)" : "");
}

static int
http_check_config(const struct http_config *cfg, struct bos_err *err)
{
	if (cfg->body_max == 0 || cfg->conn_limit == 0 || cfg->timeout_s == 0 ||
	    cfg->header_timeout_s == 0 || cfg->inflight_max == 0)
		return bos_err_set(err, BOS_E_CONFIG, "HTTP limits must not be 0");
	if ((cfg->listen_port != 0 || cfg->tcp_fd >= 0) &&
	    (cfg->tls_cert_pem == NULL || cfg->tls_key_pem == NULL))
		return bos_err_set(err, BOS_E_CONFIG, "the HTTPS listener needs a certificate and key");
	if (cfg->listen_port == 0 && cfg->tcp_fd < 0 && cfg->unix_path == NULL && cfg->unix_fd < 0)
		return bos_err_set(err, BOS_E_CONFIG, "no listener: set 'listen' or a unix socket");
	return 0;
}

/*
 * Each connection holds a descriptor, on each of the two listeners: raise the
 * soft open-file limit (1024 by default, also under systemd) toward the hard
 * one so that conn_limit is what limits. A hard limit too low is reported,
 * not fatal: libmicrohttpd then refuses connections beyond it.
 */
static void
http_fd_budget(const struct http_config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->conn_limit * 2 + HTTP_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		log_warn("open-file limit %llu is below the %llu that conn_limit = %u needs; "
		    "connections beyond it are refused (raise LimitNOFILE)",
		    (unsigned long long)rl.rlim_max, (unsigned long long)want, cfg->conn_limit);
		want = rl.rlim_max;
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("cannot raise the open-file limit to %llu: %s", (unsigned long long)want,
		    strerror(errno));
}

static struct http_server *
http_server_new(struct vault *v, const struct http_config *cfg, const struct http_route *routes,
    size_t n)
{
	struct http_server *s;
	pthread_condattr_t ca;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->v = v;
	s->routes = routes;
	s->nroutes = n;
	s->body_max = cfg->body_max;
	s->timeout_s = cfg->timeout_s;
	/* The headers are part of the request: their deadline is never the later one. */
	s->header_timeout_s = cfg->header_timeout_s < cfg->timeout_s ? cfg->header_timeout_s :
	    cfg->timeout_s;
	s->tcp.srv = s->local.srv = s;
	s->tcp.transport = HTTP_TCP_TLS;
	s->local.transport = HTTP_UNIX;
	/* One pool per listener: TCP clients never take the unix socket's slots. */
	if (http_slots_init(&s->tcp.slots, cfg->inflight_max, 1) != 0 ||
	    http_slots_init(&s->local.slots, cfg->inflight_max, 0) != 0) {
		http_slots_destroy(&s->tcp.slots);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->conn_lock, NULL);
	pthread_mutex_init(&s->log_lock, NULL);
	/* Deadlines are monotonic; so is the watchdog's sleep. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->watchdog_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (cfg->unix_path != NULL && (s->unix_path = strdup(cfg->unix_path)) == NULL) {
		http_server_stop(s);
		return NULL;
	}
	return s;
}

static void
http_observe_hsm(void *arg, double seconds)
{
	metrics_observe_hsm(arg, seconds);
}

static int
http_server_listen(struct http_server *s, const struct http_config *cfg, struct bos_err *err)
{
	int tcp_fd = cfg->tcp_fd, unix_fd = cfg->unix_fd;

	/*
	 * A listener passed by systemd is used as it is: nothing is bound, and the
	 * unix socket's file is not ours (unix_ino stays 0, so stop leaves it).
	 * TCP first: "address in use" is the likeliest failure, and it leaves no socket file.
	 */
	if (tcp_fd < 0 && cfg->listen_port != 0 && http_tcp_socket(cfg, &tcp_fd, err) != 0)
		return -1;
	if (unix_fd < 0 && s->unix_path != NULL &&
	    http_unix_socket(s, s->unix_path, &unix_fd, err) != 0) {
		if (tcp_fd >= 0)
			close(tcp_fd);
		return -1;
	}
	if (pthread_create(&s->watchdog, NULL, http_watchdog, s) != 0) {
		if (tcp_fd >= 0)
			close(tcp_fd);
		if (unix_fd >= 0)
			close(unix_fd);
		return bos_err_set(err, BOS_E_NOMEM, "cannot start the HTTP watchdog thread");
	}
	s->watchdog_started = 1;
	if (tcp_fd >= 0 && http_start_daemon(&s->tcp, cfg, tcp_fd, err) != 0) {
		if (unix_fd >= 0)
			close(unix_fd);
		return -1;
	}
	if (unix_fd >= 0 && http_start_daemon(&s->local, cfg, unix_fd, err) != 0)
		return -1;
	return 0;
}

int
http_server_start(struct vault *v, const struct http_config *cfg, const struct http_route *routes,
    size_t n, struct http_server **out, struct bos_err *err)
{
	struct http_server *s = NULL;
	int r = -1;

	*out = NULL;
	if (http_check_config(cfg, err) != 0)
		return -1;
	http_fd_budget(cfg);
	if ((s = http_server_new(v, cfg, routes, n)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (http_server_listen(s, cfg, err) != 0)
		goto out;
	if (v != NULL && v->metrics != NULL)
		hsm_client_set_observer(v->st.hsm, http_observe_hsm, v->metrics);
	*out = s;
	s = NULL;
	/* success */
	r = 0;
 out:
	http_server_stop(s);
	return r;
}

void
http_server_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	if (s->v != NULL)
		hsm_client_set_observer(s->v->st.hsm, NULL, NULL);
	/* Each stop waits for its connection threads, so no handler runs after this. */
	if (s->tcp.d != NULL)
		MHD_stop_daemon(s->tcp.d);
	if (s->local.d != NULL)
		MHD_stop_daemon(s->local.d);
	if (s->watchdog_started) {
		pthread_mutex_lock(&s->conn_lock);
		s->stopping = 1;
		pthread_cond_signal(&s->watchdog_cv);
		pthread_mutex_unlock(&s->conn_lock);
		pthread_join(s->watchdog, NULL);
	}
	http_unix_remove(s);
	http_slots_destroy(&s->tcp.slots);
	http_slots_destroy(&s->local.slots);
	pthread_cond_destroy(&s->watchdog_cv);
	pthread_mutex_destroy(&s->conn_lock);
	pthread_mutex_destroy(&s->log_lock);
	free(s->unix_path);
	free(s);
}
