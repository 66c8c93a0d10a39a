/*
 * Test tool: holds many TCP connections to a server open, idle, half-way
 * through a TLS handshake, or dribbling a request, and records when the
 * server closed each one (issue #7: load and abuse checks).
 *
 * usage: conn_flood [options] PORT
 *   -n N      connections to open (default 1000)
 *   -m MODE   idle        connect and send nothing
 *             tls-idle    complete a TLS 1.3 handshake, then send nothing
 *             dribble     complete a TLS 1.3 handshake, then send one byte of
 *                         an HTTP request every -d seconds, never finishing it
 *             hello-dribble  send the TLS ClientHello one byte every -d
 *                         seconds (a handshake that never completes)
 *             plain-dribble  the request's bytes without TLS (plain HTTP servers)
 *             slow-body   complete a TLS 1.3 handshake, send the headers of a
 *                         POST /auth/login announcing a 1000-byte body and its
 *                         first byte at once, then one more byte every -d
 *                         seconds, never finishing it (issue #12, F1)
 *             churn       complete a TLS 1.3 handshake and close at once
 *                         (with -R: a reconnect loop)
 *   -d SECS   seconds between dribbled bytes (default 2; decimals allowed)
 *   -s ADDR   first source address (default 127.0.0.2); each connection is
 *             bound to one before connect, the next address is used once
 *             -p connections use this one. All of 127/8 is loopback on Linux.
 *   -p N      at most N connections per source address (default 32)
 *   -c FILE   verify the server's certificate chain against FILE (TLS modes)
 *   -t SECS   stop after SECS seconds (default 60)
 *   -x        stop as soon as every established connection has been closed
 *   -r FILE   write the report to FILE (atomically) once every connection was
 *             attempted, again on SIGUSR1, and at the end
 *   -o FILE   at the end, one line per connection to FILE
 *   -P N      at most N connects or handshakes in progress at once (default 64)
 *   -R        reconnect: a connection that the server closed or refused (or
 *             that churn closed) is opened again at once, from the same
 *             address, until -t ends; the report adds "reconnects N"
 * The report also counts every close by the server since the start
 * ("server_closes", with "server_closed_after_min"/"_max" from establishment
 * and "server_closed_since_connect_min" from the connect() call), reopened or not.
 * SIGTERM or SIGINT stop it. The report (also on stdout at the end) is one
 * "key value" per line: attempted, established (TCP connected and, in the
 * TLS modes, handshake done), failed (connect refused or timed out, or the
 * handshake failed), held (still open), closed (closed by the server after
 * being established), served (the server sent data: in the TLS modes,
 * data inside TLS; in idle and hello-dribble, any bytes but a TLS alert),
 * and closed_after_min / _median / _max: seconds from establishment to the
 * server's close ("-" when none closed); closed_since_connect_min: the
 * shortest time from the connect() call to the server's close, the bound a
 * server's deadline counted from accept can be held to (in the TLS modes the
 * handshake, slow on a loaded machine, falls inside the server's count).
 * Exit 0; 2 on usage or setup errors (naming the limit, e.g. RLIMIT_NOFILE).
 *
 * TLS comes from libssl (OpenSSL). The connections are driven by one thread
 * with poll(), so 1,000 of them cost 1,000 descriptors and no threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_MAX_CONNS 100000
#define FLOOD_CONNECT_TIMEOUT_S 10.0
#define FLOOD_TICK_MS 100
#define FLOOD_FD_SPARE 32        /* stdio, the signalfd, report files */
#define FLOOD_HELLO_MAX 4096

enum flood_mode { MODE_IDLE, MODE_TLS_IDLE, MODE_DRIBBLE, MODE_HELLO_DRIBBLE, MODE_PLAIN_DRIBBLE,
	MODE_SLOW_BODY, MODE_CHURN };

enum conn_state {
	ST_NEW,          /* not attempted yet */
	ST_CONNECTING,   /* non-blocking connect in progress */
	ST_HANDSHAKE,    /* TLS handshake in progress */
	ST_HELD,         /* established, idle or dribbling */
	ST_CLOSED,       /* closed by the server after being established */
	ST_FAILED,       /* never established */
};

struct conn {
	int fd;
	enum conn_state state;
	uint32_t src;            /* host order */
	uint16_t sport;
	double t_start, t_est, t_closed, next_send;
	size_t sent;             /* dribbled bytes */
	size_t hello_len;
	unsigned char *hello;    /* hello-dribble: the ClientHello to send */
	SSL *ssl;
	short want;              /* ST_HANDSHAKE: the poll events the handshake waits for */
	int served;
	const char *why;         /* failure or close reason */
};

/* The TLS client context (libssl). */
struct flood_ssl {
	SSL_CTX *ctx;
};

/* The one context of the process. */
struct flood {
	enum flood_mode mode;
	unsigned n, per_src, max_pending;
	uint32_t first_src;
	uint16_t port;
	double interval, duration, t0;
	int exit_when_closed;
	int reconnect;
	unsigned long reconnects;
	unsigned long closes;            /* every close by the server after establishment */
	double life_min, life_max;       /* ... and the shortest and longest such life */
	double since_connect_min;        /* ... and the shortest from connect() to the close */
	const char *cafile, *report_path, *conns_path;
	struct conn *c;
	struct pollfd *pfd;
	unsigned *pidx;
	int sfd;
	unsigned next;           /* next connection to attempt */
	unsigned pending;        /* connects and handshakes in progress */
	int ready_reported;
	struct flood_ssl ssl;
};

static const char flood_request[] = "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
/* slow-body: whole headers and the body's first byte; the other 999 never all come. */
static const char flood_slow_body[] = "POST /auth/login HTTP/1.1\r\nHost: localhost\r\n"
    "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";

static double
flood_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
flood_is_tls(const struct flood *f)
{
	return f->mode == MODE_TLS_IDLE || f->mode == MODE_DRIBBLE || f->mode == MODE_HELLO_DRIBBLE ||
	    f->mode == MODE_SLOW_BODY || f->mode == MODE_CHURN;
}

/* ---- libssl ---- */

static int
flood_ssl_init(struct flood *f)
{
	struct flood_ssl *s = &f->ssl;

	if ((s->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_ctrl(s->ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_3_VERSION, NULL) != 1) {
		fprintf(stderr, "conn_flood: cannot set up a TLS 1.3 client context\n");
		return -1;
	}
	if (f->cafile == NULL) {
		/* Abuse traffic: whose certificate it is does not matter, only that TLS completes. */
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	if (SSL_CTX_load_verify_locations(s->ctx, f->cafile, NULL) != 1) {
		fprintf(stderr, "conn_flood: cannot load CA file %s\n", f->cafile);
		return -1;
	}
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
	return 0;
}

/*
 * hello-dribble: let libssl write its ClientHello into a memory BIO, and
 * keep the bytes; the socket itself only ever sees them one at a time.
 */
static int
flood_make_hello(struct flood *f, struct conn *c)
{
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	SSL *ssl = SSL_new(f->ssl.ctx);
	int n;

	if (rb == NULL || wb == NULL || ssl == NULL) {
		BIO_free(rb);
		BIO_free(wb);
		if (ssl != NULL)
			SSL_free(ssl);
		return -1;
	}
	SSL_set_bio(ssl, rb, wb);         /* ssl owns both now */
	(void)SSL_connect(ssl);          /* WANT_READ, with the hello in wb */
	if ((c->hello = malloc(FLOOD_HELLO_MAX)) == NULL ||
	    (n = BIO_read(wb, c->hello, FLOOD_HELLO_MAX)) <= 0) {
		SSL_free(ssl);
		return -1;
	}
	c->hello_len = (size_t)n;
	SSL_free(ssl);
	return 0;
}

/* ---- connections ---- */

static void
flood_fail(struct flood *f, struct conn *c, const char *why)
{
	if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE)
		f->pending--;
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->why = why;
	if (c->state == ST_HELD) {
		c->state = ST_CLOSED;
		c->t_closed = flood_now();
		if (f->mode != MODE_CHURN) {
			double life = c->t_closed - c->t_est, since = c->t_closed - c->t_start;

			if (f->closes == 0 || since < f->since_connect_min)
				f->since_connect_min = since;
			if (f->closes == 0 || life < f->life_min)
				f->life_min = life;
			if (f->closes == 0 || life > f->life_max)
				f->life_max = life;
			f->closes++;
		}
	} else {
		c->state = ST_FAILED;
	}
}

static void
flood_established(struct flood *f, struct conn *c)
{
	f->pending--;
	c->state = ST_HELD;
	c->t_est = flood_now();
	c->next_send = c->t_est;
	if (f->mode == MODE_CHURN)
		flood_fail(f, c, "churn");     /* our own close: counted as closed */
}

static void
flood_connect_one(struct flood *f, struct conn *c, unsigned i)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	int one = 1;

	c->src = f->first_src + i / f->per_src;
	c->t_start = flood_now();
	c->state = ST_CONNECTING;
	f->pending++;
	src.sin_addr.s_addr = htonl(c->src);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons(f->port);
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		flood_fail(f, c, "socket");
		return;
	}
	/* The port is chosen at connect(), per destination, so 127.0.0.x never runs out of ports. */
	(void)setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
		flood_fail(f, c, "bind");
		return;
	}
	if (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS)
		flood_fail(f, c, errno == ECONNREFUSED ? "refused" : "connect");
}

static void
flood_start_tls(struct flood *f, struct conn *c)
{
	if (f->mode == MODE_HELLO_DRIBBLE) {
		if (flood_make_hello(f, c) != 0)
			flood_fail(f, c, "hello");
		else
			flood_established(f, c);
		return;
	}
	if ((c->ssl = SSL_new(f->ssl.ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		flood_fail(f, c, "ssl_new");
		return;
	}
	c->state = ST_HANDSHAKE;
}

/* A non-blocking connect finished (POLLOUT). */
static void
flood_on_connected(struct flood *f, struct conn *c)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		flood_fail(f, c, err == ECONNREFUSED ? "refused" : "connect");
		return;
	}
	len = sizeof(me);
	if (getsockname(c->fd, (struct sockaddr *)&me, &len) == 0)
		c->sport = ntohs(me.sin_port);
	if (flood_is_tls(f))
		flood_start_tls(f, c);
	else
		flood_established(f, c);
}

/* One step of the handshake; sets what it waits for next. */
static void
flood_handshake(struct flood *f, struct conn *c)
{
	int r = SSL_connect(c->ssl), e;

	if (r == 1) {
		flood_established(f, c);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		c->want = POLLIN;
	else if (e == SSL_ERROR_WANT_WRITE)
		c->want = POLLOUT;
	else
		flood_fail(f, c, "handshake");
}

/*
 * Without TLS on our side (idle, hello-dribble) a TLS server that gives up
 * sends an alert record (type 21) before closing: that is a refusal, not
 * service. Only plain-dribble talks to plain HTTP servers, where any byte is.
 */
static int
flood_raw_is_alert(const struct flood *f, const unsigned char *b, size_t n)
{
	return f->mode != MODE_PLAIN_DRIBBLE && n >= 2 && b[0] == 21 && b[1] == 3;
}

/* Data or EOF on a held connection: note data as served, EOF or an error as a close. */
static void
flood_on_readable(struct flood *f, struct conn *c)
{
	unsigned char b[4096];
	ssize_t n;
	int r, e;

	if (c->ssl == NULL) {
		n = recv(c->fd, b, sizeof(b), MSG_DONTWAIT);
		if (n > 0 && flood_raw_is_alert(f, b, (size_t)n))
			c->why = "alert";
		else if (n > 0)
			c->served = 1;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			flood_fail(f, c, n == 0 ? (c->why != NULL ? c->why : "eof") : "reset");
		return;
	}
	/* TLS 1.3 servers send session tickets after the handshake: those are not data. */
	for (;;) {
		if ((r = SSL_read(c->ssl, b, sizeof(b))) > 0) {
			c->served = 1;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			flood_fail(f, c, e == SSL_ERROR_ZERO_RETURN ? "close_notify" : "eof");
		return;
	}
}

static void
flood_dribble(struct flood *f, struct conn *c, double now)
{
	unsigned char byte;
	ssize_t n;
	int r;

	if (f->mode == MODE_IDLE || f->mode == MODE_TLS_IDLE || now < c->next_send)
		return;
	if (f->mode == MODE_SLOW_BODY && c->sent == 0) {
		r = SSL_write(c->ssl, flood_slow_body, (int)sizeof(flood_slow_body) - 1);
		if (r != (int)sizeof(flood_slow_body) - 1) {
			flood_fail(f, c, "send");
			return;
		}
		c->sent = sizeof(flood_slow_body) - 1;
		c->next_send += f->interval;
		return;
	}
	if (f->mode == MODE_SLOW_BODY && c->sent >= sizeof(flood_slow_body) - 1 + 998)
		return;                          /* one byte short of the announced body: wait */
	if (f->mode == MODE_HELLO_DRIBBLE) {
		if (c->sent >= c->hello_len)
			return;                  /* the whole hello is out: now wait */
		byte = c->hello[c->sent];
	} else if (f->mode == MODE_SLOW_BODY) {
		byte = ' ';                      /* JSON allows any amount of white space */
	} else {
		byte = c->sent < sizeof(flood_request) - 1 ? (unsigned char)flood_request[c->sent] : 'a';
	}
	if (c->ssl != NULL) {
		r = SSL_write(c->ssl, &byte, 1);
		n = r == 1 ? 1 : (SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_WRITE ? 0 : -1);
	} else {
		n = send(c->fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			n = 0;
	}
	if (n < 0) {
		flood_fail(f, c, "send");
		return;
	}
	if (n == 1) {
		c->sent++;
		c->next_send += f->interval;
	}
}

/* ---- report ---- */

static int
flood_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
flood_write_report(struct flood *f, FILE *out)
{
	unsigned cnt[ST_FAILED + 1] = { 0 }, i, served = 0, k = 0;
	double *life = calloc(f->n + 1, sizeof(double));
	double since_connect_min = -1.0;

	for (i = 0; i < f->n; i++) {
		cnt[f->c[i].state]++;
		served += (unsigned)f->c[i].served;
		if (f->c[i].state == ST_CLOSED && life != NULL)
			life[k++] = f->c[i].t_closed - f->c[i].t_est;
		if (f->c[i].state == ST_CLOSED &&
		    (since_connect_min < 0 || f->c[i].t_closed - f->c[i].t_start < since_connect_min))
			since_connect_min = f->c[i].t_closed - f->c[i].t_start;
	}
	fprintf(out, "attempted %u\nestablished %u\nfailed %u\nheld %u\nclosed %u\nserved %u\n",
	    f->n - cnt[ST_NEW] - cnt[ST_CONNECTING], cnt[ST_HELD] + cnt[ST_CLOSED], cnt[ST_FAILED],
	    cnt[ST_HELD], cnt[ST_CLOSED], served);
	fprintf(out, "pending %u\nelapsed %.1f\nreconnects %lu\n",
	    cnt[ST_NEW] + cnt[ST_CONNECTING] + cnt[ST_HANDSHAKE], flood_now() - f->t0, f->reconnects);
	if (f->closes == 0)
		fprintf(out, "server_closes 0\nserver_closed_after_min -\nserver_closed_after_max -\n"
		    "server_closed_since_connect_min -\n");
	else
		fprintf(out, "server_closes %lu\nserver_closed_after_min %.2f\nserver_closed_after_max "
		    "%.2f\nserver_closed_since_connect_min %.2f\n", f->closes, f->life_min, f->life_max,
		    f->since_connect_min);
	if (k == 0 || life == NULL) {
		fprintf(out, "closed_after_min -\nclosed_after_median -\nclosed_after_max -\n");
	} else {
		qsort(life, k, sizeof(double), flood_cmp_double);
		fprintf(out, "closed_after_min %.2f\nclosed_after_median %.2f\nclosed_after_max %.2f\n",
		    life[0], life[k / 2], life[k - 1]);
	}
	if (since_connect_min < 0)
		fprintf(out, "closed_since_connect_min -\n");
	else
		fprintf(out, "closed_since_connect_min %.2f\n", since_connect_min);
	free(life);
}

static void
flood_report_file(struct flood *f)
{
	char tmp[4096];
	FILE *fp;

	if (f->report_path == NULL ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", f->report_path) >= (int)sizeof(tmp))
		return;
	if ((fp = fopen(tmp, "we")) == NULL)
		return;
	flood_write_report(f, fp);
	if (fclose(fp) == 0)
		(void)rename(tmp, f->report_path);
}

static void
flood_conns_file(struct flood *f)
{
	static const char *names[] = { "new", "connecting", "handshake", "held", "closed", "failed" };
	struct in_addr a;
	char src[INET_ADDRSTRLEN];
	FILE *fp;
	unsigned i;

	if (f->conns_path == NULL || (fp = fopen(f->conns_path, "we")) == NULL)
		return;
	fprintf(fp, "# i src sport state established_at closed_at lifetime served sent why\n");
	for (i = 0; i < f->n; i++) {
		const struct conn *c = &f->c[i];

		a.s_addr = htonl(c->src);
		(void)inet_ntop(AF_INET, &a, src, sizeof(src));
		fprintf(fp, "%u %s %u %s %.2f %.2f %.2f %d %zu %s\n", i, c->state == ST_NEW ? "-" : src,
		    c->sport, names[c->state], c->t_est > 0 ? c->t_est - f->t0 : -1.0,
		    c->state == ST_CLOSED ? c->t_closed - f->t0 : -1.0,
		    c->state == ST_CLOSED ? c->t_closed - c->t_est : -1.0, c->served, c->sent,
		    c->why != NULL ? c->why : "-");
	}
	(void)fclose(fp);
}

/* ---- the loop ---- */

static short
flood_events(const struct conn *c)
{
	switch (c->state) {
	case ST_CONNECTING:
		return POLLOUT;
	case ST_HANDSHAKE:
		return c->want;
	case ST_HELD:
		return POLLIN;
	default:
		return 0;
	}
}

static void
flood_on_event(struct flood *f, struct conn *c, short re)
{
	if (c->state == ST_CONNECTING) {
		flood_on_connected(f, c);
		if (c->state == ST_HANDSHAKE)
			flood_handshake(f, c);
	} else if (c->state == ST_HANDSHAKE) {
		flood_handshake(f, c);
	} else if (c->state == ST_HELD && (re & (POLLIN | POLLHUP | POLLERR))) {
		flood_on_readable(f, c);
	}
}

static void
flood_timeouts(struct flood *f, double now)
{
	unsigned i;

	for (i = 0; i < f->next; i++) {
		struct conn *c = &f->c[i];

		if ((c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) &&
		    now - c->t_start > FLOOD_CONNECT_TIMEOUT_S)
			flood_fail(f, c, c->state == ST_CONNECTING ? "connect_timeout" : "handshake_timeout");
		else if (c->state == ST_HELD)
			flood_dribble(f, c, now);
	}
}

/* 1 when the loop should stop. */
static int
flood_signal(struct flood *f)
{
	struct signalfd_siginfo si;

	if (read(f->sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	if (si.ssi_signo == SIGUSR1) {
		flood_report_file(f);
		return 0;
	}
	return 1;
}

static int
flood_done(struct flood *f, double now)
{
	unsigned i, held = 0, est = 0;

	if (now - f->t0 >= f->duration)
		return 1;
	if (!f->exit_when_closed || f->next < f->n || f->pending > 0)
		return 0;
	for (i = 0; i < f->n; i++) {
		held += f->c[i].state == ST_HELD;
		est += f->c[i].state == ST_CLOSED;
	}
	return held == 0 && est > 0;
}

/* -R: open again, from the same address, what the server closed or refused. */
static void
flood_reconnect(struct flood *f)
{
	unsigned i;

	for (i = 0; i < f->next && f->pending < f->max_pending; i++) {
		struct conn *c = &f->c[i];

		if (c->state != ST_CLOSED && c->state != ST_FAILED)
			continue;
		free(c->hello);
		memset(c, 0, sizeof(*c));
		c->fd = -1;
		f->reconnects++;
		flood_connect_one(f, c, i);
	}
}

static int
flood_loop(struct flood *f)
{
	unsigned i, k;
	double now;

	for (;;) {
		while (f->next < f->n && f->pending < f->max_pending) {
			flood_connect_one(f, &f->c[f->next], f->next);
			f->next++;
		}
		if (f->reconnect)
			flood_reconnect(f);
		if (!f->ready_reported && f->next == f->n && f->pending == 0) {
			f->ready_reported = 1;
			flood_report_file(f);
		}
		k = 0;
		f->pfd[k++] = (struct pollfd){ f->sfd, POLLIN, 0 };
		for (i = 0; i < f->next; i++) {
			short ev = flood_events(&f->c[i]);

			if (ev != 0 && f->c[i].fd >= 0) {
				f->pidx[k] = i;
				f->pfd[k++] = (struct pollfd){ f->c[i].fd, ev, 0 };
			}
		}
		if (poll(f->pfd, k, FLOOD_TICK_MS) < 0 && errno != EINTR)
			return -1;
		if ((f->pfd[0].revents & POLLIN) && flood_signal(f))
			return 0;
		for (i = 1; i < k; i++)
			if (f->pfd[i].revents != 0)
				flood_on_event(f, &f->c[f->pidx[i]], f->pfd[i].revents);
		now = flood_now();
		flood_timeouts(f, now);
		if (flood_done(f, now))
			return 0;
	}
}

/* ---- setup ---- */

static int
flood_raise_nofile(unsigned n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)n + FLOOD_FD_SPARE) {
		fprintf(stderr, "conn_flood: %u connections need %u descriptors, but RLIMIT_NOFILE's hard "
		    "limit is %llu (raise it: ulimit -Hn, or LimitNOFILE=)\n", n, n + FLOOD_FD_SPARE,
		    (unsigned long long)rl.rlim_max);
		return -1;
	}
	return 0;
}

static int
flood_signals(struct flood *f)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	(void)signal(SIGPIPE, SIG_IGN);
	f->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return f->sfd < 0 ? -1 : 0;
}

static int
flood_parse_mode(const char *s, enum flood_mode *m)
{
	static const struct { const char *name; enum flood_mode mode; } modes[] = {
		{ "idle", MODE_IDLE }, { "tls-idle", MODE_TLS_IDLE }, { "dribble", MODE_DRIBBLE },
		{ "hello-dribble", MODE_HELLO_DRIBBLE }, { "plain-dribble", MODE_PLAIN_DRIBBLE },
		{ "slow-body", MODE_SLOW_BODY }, { "churn", MODE_CHURN },
	};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, modes[i].name) == 0) {
			*m = modes[i].mode;
			return 0;
		}
	}
	return -1;
}

static int
flood_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
flood_parse_secs(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return end == s || *end != '\0' || !(*out > 0 && *out < 1e6) ? -1 : 0;
}

static int
flood_parse_args(struct flood *f, int argc, char **argv)
{
	struct in_addr a;
	unsigned port;
	int o;

	while ((o = getopt(argc, argv, "n:m:d:s:p:c:t:xr:o:P:R")) != -1) {
		int bad = 0;

		switch (o) {
		case 'n': bad = flood_parse_uint(optarg, 1, FLOOD_MAX_CONNS, &f->n); break;
		case 'm': bad = flood_parse_mode(optarg, &f->mode); break;
		case 'd': bad = flood_parse_secs(optarg, &f->interval); break;
		case 's': bad = inet_pton(AF_INET, optarg, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127;
			f->first_src = ntohl(a.s_addr); break;
		case 'p': bad = flood_parse_uint(optarg, 1, FLOOD_MAX_CONNS, &f->per_src); break;
		case 'c': f->cafile = optarg; break;
		case 't': bad = flood_parse_secs(optarg, &f->duration); break;
		case 'x': f->exit_when_closed = 1; break;
		case 'r': f->report_path = optarg; break;
		case 'o': f->conns_path = optarg; break;
		case 'P': bad = flood_parse_uint(optarg, 1, 4096, &f->max_pending); break;
		case 'R': f->reconnect = 1; break;
		default: bad = 1;
		}
		if (bad)
			return -1;
	}
	if (optind != argc - 1 || flood_parse_uint(argv[optind], 1, 65535, &port) != 0)
		return -1;
	f->port = (uint16_t)port;
	/* Every source address must stay inside 127/8 and off 127.255.255.255. */
	return f->first_src + (f->n - 1) / f->per_src >= 0x7fffffffu ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct flood f = { .mode = MODE_IDLE, .n = 1000, .per_src = 32, .max_pending = 64,
	    .first_src = 0x7f000002u, .interval = 2.0, .duration = 60.0, .sfd = -1 };
	unsigned i;

	if (flood_parse_args(&f, argc, argv) != 0) {
		fprintf(stderr, "usage: conn_flood [-n N] [-m idle|tls-idle|dribble|hello-dribble|"
		    "plain-dribble|slow-body|churn] [-d SECS] [-s 127.x.y.z] [-p PER_ADDR] [-c CAFILE] "
		    "[-t SECS] [-x] [-r REPORT] [-o CONNS] [-P PENDING] [-R] PORT\n");
		return 2;
	}
	if (flood_raise_nofile(f.n) != 0 || flood_signals(&f) != 0 ||
	    (flood_is_tls(&f) && flood_ssl_init(&f) != 0))
		return 2;
	f.c = calloc(f.n, sizeof(*f.c));
	f.pfd = calloc(f.n + 1, sizeof(*f.pfd));
	f.pidx = calloc(f.n + 1, sizeof(*f.pidx));
	if (f.c == NULL || f.pfd == NULL || f.pidx == NULL) {
		fprintf(stderr, "conn_flood: out of memory\n");
		return 2;
	}
	for (i = 0; i < f.n; i++)
		f.c[i].fd = -1;
	f.t0 = flood_now();
	if (flood_loop(&f) != 0) {
		fprintf(stderr, "conn_flood: poll: %s\n", strerror(errno));
		return 2;
	}
	flood_write_report(&f, stdout);
	/* Before anything can end the process (a sanitizer's exit report). */
	(void)fflush(stdout);
	flood_report_file(&f);
	flood_conns_file(&f);
	for (i = 0; i < f.n; i++) {
		if (f.c[i].ssl != NULL)
			SSL_free(f.c[i].ssl);
		if (f.c[i].fd >= 0)
			close(f.c[i].fd);
		free(f.c[i].hello);
	}
	if (f.ssl.ctx != NULL)
		SSL_CTX_free(f.ssl.ctx);
	free(f.c);
	free(f.pfd);
	free(f.pidx);
	return 0;
}
