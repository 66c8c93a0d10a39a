/*
 * make bench: an open-loop, fixed-rate HTTPS load generator (GnuTLS).
 *
 *   openloop [-a TOKEN_FILE] [-c CA_PEM] [-w WARMUP_S] HOST PORT PATH RATE SECONDS CONNS
 *
 * CONNS keep-alive TLS 1.3 connections, one thread each, send GET PATH at
 * RATE requests/s in all, spread evenly: connection i sends its k-th request
 * at start + (i + k * CONNS) / RATE. When an answer comes late, the next
 * request goes out late too, but every latency is measured from the request's
 * scheduled send time, not from when it was actually sent, so queueing in
 * the server shows in the figures instead of being hidden by the generator
 * waiting (coordinated omission). Requests scheduled during the first
 * WARMUP_S seconds (default 1) are sent but not counted.
 *
 * The token file holds a bearer token (one line); it is sent as
 * "Authorization: Bearer TOKEN". Prints one JSON object; exits 1 if any
 * answer was not 2xx or any connection failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include "bench.h"

#define OL_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define OL_MAX_CONNS 256
#define OL_REQ_MAX 2048
#define OL_RESP_MAX (256 * 1024)
#define OL_TOKEN_MAX 256

struct ol {
	const char *host;
	unsigned port;
	char req[OL_REQ_MAX];
	size_t req_len;
	double rate;
	double seconds;
	double warmup;
	unsigned conns;
	double start;           /* CLOCK_MONOTONIC seconds */
	gnutls_certificate_credentials_t cred;
	int verify;
};

struct ol_conn {
	struct ol *o;
	unsigned idx;
	pthread_t tid;
	int fd;
	gnutls_session_t s;
	char *buf;
	double *lat;            /* ms, counted requests only */
	size_t nlat, cap;
	uint64_t sent, non2xx, errors;
	char why[160];
};

static void
sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void
conn_close(struct ol_conn *c)
{
	if (c->s != NULL) {
		gnutls_deinit(c->s);
		c->s = NULL;
	}
	if (c->fd >= 0) {
		(void)close(c->fd);
		c->fd = -1;
	}
}

static int
conn_open(struct ol_conn *c)
{
	struct sockaddr_in sin;
	int one = 1, rc;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)c->o->port);
	if (inet_pton(AF_INET, c->o->host, &sin.sin_addr) != 1) {
		snprintf(c->why, sizeof(c->why), "bad IPv4 address %s", c->o->host);
		return -1;
	}
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    connect(c->fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0) {
		snprintf(c->why, sizeof(c->why), "connect: %s", strerror(errno));
		return -1;
	}
	if (gnutls_init(&c->s, GNUTLS_CLIENT) != GNUTLS_E_SUCCESS ||
	    gnutls_priority_set_direct(c->s, OL_PRIORITIES, NULL) != GNUTLS_E_SUCCESS ||
	    gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, c->o->cred) != GNUTLS_E_SUCCESS) {
		snprintf(c->why, sizeof(c->why), "gnutls session set-up failed");
		return -1;
	}
	if (c->o->verify)
		gnutls_session_set_verify_cert(c->s, NULL, 0);
	gnutls_transport_set_int(c->s, c->fd);
	do {
		rc = gnutls_handshake(c->s);
	} while (rc < 0 && gnutls_error_is_fatal(rc) == 0);
	if (rc < 0) {
		snprintf(c->why, sizeof(c->why), "TLS handshake: %s", gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

static int
conn_send(struct ol_conn *c)
{
	size_t off = 0;
	ssize_t n;

	while (off < c->o->req_len) {
		n = gnutls_record_send(c->s, c->o->req + off, c->o->req_len - off);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0) {
			snprintf(c->why, sizeof(c->why), "send: %s", gnutls_strerror((int)n));
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Content-Length of a header block, or -1. */
static long
header_content_length(const char *h, size_t hlen)
{
	static const char name[] = "\r\ncontent-length:";
	size_t i, nl = sizeof(name) - 1;
	char *end;
	long v;

	for (i = 0; i + nl < hlen; i++) {
		if (strncasecmp(h + i, name, nl) == 0) {
			errno = 0;
			v = strtol(h + i + nl, &end, 10);
			if (errno != 0 || v < 0 || end == h + i + nl)
				return -1;
			return v;
		}
	}
	return -1;
}

/* Read one answer; *status gets its code. No pipelining: nothing is left over. */
static int
conn_recv(struct ol_conn *c, int *status)
{
	size_t have = 0, hlen = 0, want = 0;
	char *eoh;
	long clen;
	ssize_t n;

	for (;;) {
		if (have == OL_RESP_MAX) {
			snprintf(c->why, sizeof(c->why), "answer larger than %d bytes", OL_RESP_MAX);
			return -1;
		}
		n = gnutls_record_recv(c->s, c->buf + have, OL_RESP_MAX - have);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0) {
			snprintf(c->why, sizeof(c->why), "recv: %s",
			    n == 0 ? "connection closed" : gnutls_strerror((int)n));
			return -1;
		}
		have += (size_t)n;
		if (hlen == 0) {
			c->buf[have] = '\0';
			if ((eoh = strstr(c->buf, "\r\n\r\n")) == NULL)
				continue;
			hlen = (size_t)(eoh - c->buf) + 4;
			if (sscanf(c->buf, "HTTP/1.%*d %d", status) != 1 ||
			    (clen = header_content_length(c->buf, hlen)) < 0) {
				snprintf(c->why, sizeof(c->why), "cannot parse the answer's head");
				return -1;
			}
			want = hlen + (size_t)clen;
		}
		if (have >= want)
			return have == want ? 0 : -1;
	}
}

static int
conn_record(struct ol_conn *c, double sched, double done)
{
	double *n;

	if (sched < c->o->start + c->o->warmup)
		return 0;
	if (c->nlat == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4096;
		if ((n = realloc(c->lat, c->cap * sizeof(*n))) == NULL)
			return -1;
		c->lat = n;
	}
	c->lat[c->nlat++] = (done - sched) * 1e3;
	return 0;
}

static void *
conn_run(void *arg)
{
	struct ol_conn *c = arg;
	struct ol *o = c->o;
	double end = o->start + o->warmup + o->seconds, sched;
	uint64_t k;
	int status;

	if ((c->buf = malloc(OL_RESP_MAX + 1)) == NULL || conn_open(c) != 0) {
		c->errors++;
		return NULL;
	}
	for (k = 0;; k++) {
		sched = o->start + ((double)c->idx + (double)k * (double)o->conns) / o->rate;
		if (sched >= end)
			break;
		if (bench_now_s() < sched)
			sleep_until(sched);
		c->sent++;
		if (conn_send(c) != 0 || conn_recv(c, &status) != 0) {
			c->errors++;
			break;
		}
		if (status < 200 || status > 299)
			c->non2xx++;
		else if (conn_record(c, sched, bench_now_s()) != 0) {
			c->errors++;
			break;
		}
	}
	if (c->s != NULL)
		(void)gnutls_bye(c->s, GNUTLS_SHUT_WR);
	conn_close(c);
	return NULL;
}

static double
pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)n);
	return v[i < n ? i : n - 1];
}

static double
parse_num(const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "openloop: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static void
read_token(const char *path, char *tok, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL || fgets(tok, (int)cap, f) == NULL) {
		fprintf(stderr, "openloop: cannot read the token file %s\n", path);
		exit(2);
	}
	(void)fclose(f);
	n = strcspn(tok, "\r\n");
	tok[n] = '\0';
}

static void
build_request(struct ol *o, const char *path, const char *tok_file)
{
	char tok[OL_TOKEN_MAX] = "", auth[OL_TOKEN_MAX + 32] = "";
	int n;

	if (tok_file != NULL) {
		read_token(tok_file, tok, sizeof(tok));
		n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", tok);
		if (n < 0 || (size_t)n >= sizeof(auth))
			exit(2);
	}
	n = snprintf(o->req, sizeof(o->req), "GET %s HTTP/1.1\r\nHost: %s:%u\r\n%s"
	    "Accept: application/json\r\n\r\n", path, o->host, o->port, auth);
	if (n < 0 || (size_t)n >= sizeof(o->req)) {
		fprintf(stderr, "openloop: request too long\n");
		exit(2);
	}
	o->req_len = (size_t)n;
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(auth, sizeof(auth));
}

static void
report(struct ol *o, struct ol_conn *c, double elapsed)
{
	uint64_t sent = 0, non2xx = 0, errors = 0;
	size_t n = 0, i;
	double *all;

	for (i = 0; i < o->conns; i++)
		n += c[i].nlat;
	if ((all = malloc((n + 1) * sizeof(*all))) == NULL)
		exit(1);
	n = 0;
	for (i = 0; i < o->conns; i++) {
		memcpy(all + n, c[i].lat, c[i].nlat * sizeof(*all));
		n += c[i].nlat;
		sent += c[i].sent;
		non2xx += c[i].non2xx;
		errors += c[i].errors;
		if (c[i].why[0] != '\0')
			fprintf(stderr, "openloop: connection %zu: %s\n", i, c[i].why);
	}
	qsort(all, n, sizeof(*all), bench_cmp_double);
	printf("{\"rate_target\":%.0f,\"rate_achieved\":%.0f,\"conns\":%u,\"seconds\":%.1f,"
	    "\"sent\":%" PRIu64 ",\"counted\":%zu,\"non2xx\":%" PRIu64 ",\"errors\":%" PRIu64 ","
	    "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f}\n",
	    o->rate, (double)n / o->seconds, o->conns, elapsed, sent, n, non2xx, errors,
	    pct(all, n, 50), pct(all, n, 90), pct(all, n, 99), pct(all, n, 99.9),
	    n ? all[n - 1] : 0);
	free(all);
}

int
main(int argc, char **argv)
{
	struct ol o;
	struct ol_conn *c;
	const char *tok_file = NULL, *ca = NULL;
	uint64_t bad = 0;
	double t0;
	unsigned i;
	int ch;

	memset(&o, 0, sizeof(o));
	o.warmup = 1;
	while ((ch = getopt(argc, argv, "a:c:w:")) != -1) {
		switch (ch) {
		case 'a': tok_file = optarg; break;
		case 'c': ca = optarg; break;
		case 'w': o.warmup = parse_num(optarg, 0, 60); break;
		default: goto usage;
		}
	}
	if (argc - optind != 6)
		goto usage;
	o.host = argv[optind];
	o.port = (unsigned)parse_num(argv[optind + 1], 1, 65535);
	o.rate = parse_num(argv[optind + 3], 1, 1e6);
	o.seconds = parse_num(argv[optind + 4], 0.1, 3600);
	o.conns = (unsigned)parse_num(argv[optind + 5], 1, OL_MAX_CONNS);
	build_request(&o, argv[optind + 2], tok_file);
	if (gnutls_global_init() != GNUTLS_E_SUCCESS ||
	    gnutls_certificate_allocate_credentials(&o.cred) != GNUTLS_E_SUCCESS)
		return 1;
	if (ca != NULL) {
		if (gnutls_certificate_set_x509_trust_file(o.cred, ca, GNUTLS_X509_FMT_PEM) <= 0) {
			fprintf(stderr, "openloop: cannot load CA %s\n", ca);
			return 1;
		}
		o.verify = 1;
	}
	if ((c = calloc(o.conns, sizeof(*c))) == NULL)
		return 1;
	/* Connections (and handshakes) are made before the clock starts. */
	o.start = bench_now_s() + 0.2 + 0.002 * o.conns;
	for (i = 0; i < o.conns; i++) {
		c[i].o = &o;
		c[i].idx = i;
		c[i].fd = -1;
		if (pthread_create(&c[i].tid, NULL, conn_run, &c[i]) != 0)
			return 1;
	}
	t0 = o.start;
	for (i = 0; i < o.conns; i++)
		(void)pthread_join(c[i].tid, NULL);
	report(&o, c, bench_now_s() - t0);
	for (i = 0; i < o.conns; i++) {
		bad += c[i].non2xx + c[i].errors;
		free(c[i].lat);
		free(c[i].buf);
	}
	free(c);
	gnutls_certificate_free_credentials(o.cred);
	gnutls_global_deinit();
	return bad != 0;
 usage:
	fprintf(stderr, "usage: openloop [-a TOKEN_FILE] [-c CA_PEM] [-w WARMUP_S] HOST PORT "
	    "PATH RATE SECONDS CONNS\n");
	return 2;
}
