/*
 * Test tool for the durability test (issue #7, tests/integration/t_durability.sh):
 * many concurrent writers create credentials while the vault is killed with
 * SIGKILL and restarted; afterwards every acknowledged write is read back.
 *
 * usage: dura_writer write URL CACERT TOKEN_FILE OUT_FILE WRITERS SECONDS PREFIX
 *        dura_writer verify URL CACERT TOKEN_FILE ACK_FILE [PARALLEL]
 * The admin session token is the first line of TOKEN_FILE (never argv).
 *
 * write: WRITERS concurrent writers (libcurl multi, one easy handle and one
 * keep-alive connection each) POST /credentials with a unique name
 * (PREFIX-wN-SEQ) and a unique random secret (16 to 200 characters of
 * [A-Za-z0-9], 95 or more random bits), until SIGTERM/SIGINT or SECONDS have
 * passed. A write counts as ACKNOWLEDGED only when libcurl completed the
 * transfer without error (the whole response, body included, was received)
 * and the status was 2xx: writer_ack() is the one place that decides it. Each
 * acknowledged write appends one line to OUT_FILE, flushed at once:
 *     ID NAME SECRET REQUEST_ID
 * (REQUEST_ID is the X-Request-Id response header; "-" where the answer had
 * no id or no header, which verify and the audit check then report). Every
 * other outcome (connection refused or reset while the vault is down, a
 * response cut off, a non-2xx status) is not acknowledged: the writer pauses
 * 50-250 ms and tries again with a new name and secret, so an unanswered
 * write that did commit can never be mistaken for an acknowledged one. On
 * the stop signal no new request starts; those in flight get up to 3 s to
 * finish (the vault is dead by then, so they fail or complete from what the
 * kernel already holds). Counts go to stderr, the unacknowledged ones split
 * at SIGUSR1, which the test sends just before it kills the vault: those
 * before it happened while the vault was up (503 busy under load, say).
 *
 * verify: reads ACK_FILE and GETs /credentials/ID for each line (PARALLEL
 * connections, default 16); the answer must be 200 with "name" equal to NAME
 * and "secret" equal to SECRET byte for byte. Prints the counts and each
 * problem (id, name, what differs, never a secret). Exit 0 only when every
 * line is ok; 1 on any mismatch, missing, duplicate or malformed line or
 * error; 2 on usage or setup errors.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "compiler.h"
#include "secmem.h"

#define DW_RESP_MAX 65536        /* a create or read answer is far smaller */
#define DW_RID_MAX 64
#define DW_NAME_MAX 128
#define DW_SECRET_MIN 16
#define DW_SECRET_MAX 200
#define DW_TOKEN_MAX 256
#define DW_DRAIN_S 3.0
#define DW_VERIFY_TRIES 5

static volatile sig_atomic_t dw_stop, dw_marked;
static struct timespec dw_mark;  /* when SIGUSR1 came: the test is about to kill the vault */

struct dw_req {
	CURL *h;
	struct curl_slist *hdrs;
	char body[DW_NAME_MAX + DW_SECRET_MAX + 128];
	char resp[DW_RESP_MAX];
	size_t resp_len;
	int resp_over;
	char rid[DW_RID_MAX];
	char name[DW_NAME_MAX + 1];
	char secret[DW_SECRET_MAX + 1];
	char id[64];                 /* verify: the id to read */
	size_t line;                 /* verify: line number in ACK_FILE */
	unsigned seq, tries;
	int busy;                    /* added to the multi handle */
	double resume;               /* write: earliest time of the next request */
};

static double
dw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each unacknowledged outcome, to tell those while the vault answered from those after the kill. */
struct dw_fail {
	double t;                    /* seconds since the start */
	int curl;                    /* CURLcode, 0 for an HTTP answer */
	long status;
	char code[32];               /* the error body's code, if any */
};

struct dw_counts {
	unsigned long sent, acked, conn_err, non2xx, malformed, by_status[6];
	struct dw_fail *fail;
	size_t nfail, capfail;
	double t0;
};

static void
dw_note_fail(struct dw_counts *c, int curl, long status, const char *body, size_t len)
{
	struct dw_fail *f;
	json_t *j, *code;

	if (c->nfail == c->capfail) {
		size_t cap = c->capfail ? 2 * c->capfail : 1024;

		f = realloc(c->fail, cap * sizeof(*f));
		if (f == NULL)
			return;
		c->fail = f;
		c->capfail = cap;
	}
	f = &c->fail[c->nfail++];
	memset(f, 0, sizeof(*f));
	f->t = dw_now() - c->t0;
	f->curl = curl;
	f->status = status;
	if (body == NULL)
		return;
	j = json_loadb(body, len, 0, NULL);
	code = json_object_get(json_object_get(j, "error"), "code");
	if (json_is_string(code))
		(void)snprintf(f->code, sizeof(f->code), "%s", json_string_value(code));
	json_decref(j);
}

/*
 * The failures before SIGUSR1 (sent just before the test kills the vault),
 * when the vault was certainly up, grouped by kind; the rest came after it.
 * Without SIGUSR1 the split is at the last acknowledgement.
 */
static void
dw_print_fails(const struct dw_counts *c, double last_ack)
{
	size_t i, k, before = 0;
	struct { int curl; long status; const char *code; unsigned long n; } g[32];
	size_t ng = 0;
	double cut = last_ack;

	if (dw_marked)
		cut = (double)dw_mark.tv_sec + (double)dw_mark.tv_nsec / 1e9 - c->t0;
	for (i = 0; i < c->nfail; i++) {
		const struct dw_fail *f = &c->fail[i];

		if (f->t > cut)
			continue;
		before++;
		for (k = 0; k < ng; k++)
			if (g[k].curl == f->curl && g[k].status == f->status && strcmp(g[k].code, f->code) == 0)
				break;
		if (k == ng && ng < BOS_ARRAY_LEN(g))
			g[ng++] = (typeof(g[0])){ f->curl, f->status, f->code, 0 };
		if (k < ng)
			g[k].n++;
	}
	fprintf(stderr, "dura_writer: %zu unacknowledged before %s at %.3f s (the vault up), %zu after\n",
	    before, dw_marked ? "the kill mark" : "the last acknowledgement", cut, c->nfail - before);
	for (k = 0; k < ng; k++) {
		if (g[k].curl != 0)
			fprintf(stderr, "dura_writer:   %lu x %s\n", g[k].n,
			    curl_easy_strerror((CURLcode)g[k].curl));
		else
			fprintf(stderr, "dura_writer:   %lu x HTTP %ld %s\n", g[k].n, g[k].status, g[k].code);
	}
}

static void
dw_on_signal(int sig)
{
	if (sig == SIGUSR1) {
		if (!dw_marked)
			clock_gettime(CLOCK_MONOTONIC, &dw_mark);
		dw_marked = 1;
		return;
	}
	dw_stop = 1;
}

static size_t
dw_on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct dw_req *r = arg;
	size_t len = sz * n;

	if (len > sizeof(r->resp) - 1 - r->resp_len) {
		r->resp_over = 1;
		return len;           /* keep reading; the answer is judged malformed */
	}
	memcpy(r->resp + r->resp_len, p, len);
	r->resp_len += len;
	r->resp[r->resp_len] = '\0';
	return len;
}

static size_t
dw_on_header(char *p, size_t sz, size_t n, void *arg)
{
	static const char key[] = "x-request-id:";
	struct dw_req *r = arg;
	size_t len = sz * n, k = sizeof(key) - 1, b, e;

	if (len <= k || strncasecmp(p, key, k) != 0)
		return sz * n;
	for (b = k; b < len && (p[b] == ' ' || p[b] == '\t'); b++)
		;
	for (e = b; e < len && p[e] != '\r' && p[e] != '\n' && p[e] != ' '; e++)
		;
	/* None or absurdly long: left empty, which is reported as "-". */
	if (e > b && e - b < sizeof(r->rid)) {
		memcpy(r->rid, p + b, e - b);
		r->rid[e - b] = '\0';
	}
	return sz * n;
}

static int
dw_random(void *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = getrandom((char *)p + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* A fresh secret of 16..200 characters of [A-Za-z0-9] (62 symbols, rejection sampling). */
static int
dw_make_secret(char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char b[2 * DW_SECRET_MAX + 2];
	size_t len, i = 0, j = 1;

	if (dw_random(b, sizeof(b)) != 0)
		return -1;
	len = DW_SECRET_MIN + b[0] % (DW_SECRET_MAX - DW_SECRET_MIN + 1);
	while (i < len) {
		if (j == sizeof(b)) {
			if (dw_random(b, sizeof(b)) != 0)
				return -1;
			j = 0;
		}
		if (b[j] < 248)
			out[i++] = abc[b[j] % 62];
		j++;
	}
	out[len] = '\0';
	return 0;
}

static int
dw_read_token(const char *path, char *tok, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL || fgets(tok, (int)cap, f) == NULL) {
		fprintf(stderr, "dura_writer: cannot read the session token from %s\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	n = strcspn(tok, "\r\n");
	tok[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int
dw_setup(struct dw_req *r, const char *cacert, const char *auth)
{
	r->h = curl_easy_init();
	r->hdrs = curl_slist_append(NULL, auth);
	if (r->h == NULL || r->hdrs == NULL)
		return -1;
	r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/json");
	if (r->hdrs == NULL)
		return -1;
	curl_easy_setopt(r->h, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(r->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, dw_on_body);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->h, CURLOPT_HEADERFUNCTION, dw_on_header);
	curl_easy_setopt(r->h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(r->h, CURLOPT_PROXY, "");
	curl_easy_setopt(r->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	return 0;
}

static void
dw_reset_answer(struct dw_req *r)
{
	r->resp_len = 0;
	r->resp[0] = '\0';
	r->resp_over = 0;
	r->rid[0] = '\0';
}

/* ---- write mode ---- */

static int
dw_start_write(CURLM *m, struct dw_req *r, const char *url, const char *prefix, size_t idx)
{
	int n;

	if (dw_make_secret(r->secret) != 0)
		return -1;
	n = snprintf(r->name, sizeof(r->name), "%s-w%zu-%u", prefix, idx, r->seq++);
	if (n < 0 || (size_t)n >= sizeof(r->name))
		return -1;
	n = snprintf(r->body, sizeof(r->body),
	    "{\"name\":\"%s\",\"type\":\"api_key\",\"service\":\"dura\",\"secret\":\"%s\"}",
	    r->name, r->secret);
	if (n < 0 || (size_t)n >= sizeof(r->body))
		return -1;
	dw_reset_answer(r);
	curl_easy_setopt(r->h, CURLOPT_URL, url);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE, (long)n);
	if (curl_multi_add_handle(m, r->h) != CURLM_OK)
		return -1;
	r->busy = 1;
	return 0;
}

/*
 * The one place that decides what is acknowledged: libcurl finished the
 * transfer without error (the full response arrived) and the status is 2xx.
 * Returns 1 for an acknowledged write (its line is written and flushed).
 */
static int
writer_ack(struct dw_req *r, CURLcode res, FILE *out, struct dw_counts *c)
{
	long status = 0;
	json_t *j = NULL, *id;
	const char *ids = "-";
	int good = 0;

	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
	if (res != CURLE_OK) {
		c->conn_err++;
		dw_note_fail(c, (int)res, status, NULL, 0);
		return 0;
	}
	c->by_status[status >= 100 && status < 600 ? status / 100 : 0]++;
	if (status < 200 || status > 299) {
		c->non2xx++;
		dw_note_fail(c, 0, status, r->resp_over ? NULL : r->resp, r->resp_len);
		return 0;
	}
	/* Acknowledged. The line is written even if the answer is malformed. */
	if (!r->resp_over)
		j = json_loadb(r->resp, r->resp_len, 0, NULL);
	id = j != NULL ? json_object_get(j, "id") : NULL;
	if (json_is_string(id) && strncmp(json_string_value(id), "cr_", 3) == 0 &&
	    strcspn(json_string_value(id), " \t\r\n") == strlen(json_string_value(id)) &&
	    json_is_string(json_object_get(j, "name")) &&
	    strcmp(json_string_value(json_object_get(j, "name")), r->name) == 0) {
		ids = json_string_value(id);
		good = 1;
	}
	if (!good || r->rid[0] == '\0') {
		c->malformed++;
		fprintf(stderr, "dura_writer: acknowledged write %s: %s\n", r->name,
		    !good ? "answer without its id or name" : "no X-Request-Id header");
	}
	fprintf(out, "%s %s %s %s\n", ids, r->name, r->secret, r->rid[0] ? r->rid : "-");
	fflush(out);
	json_decref(j);
	c->acked++;
	return 1;
}

static void
dw_raise_nofile(size_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need + 64)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need + 64)
		fprintf(stderr, "dura_writer: warning: open file limit %lu is low for %zu writers\n",
		    (unsigned long)rl.rlim_cur, need);
}

static double
dw_pause(void)
{
	unsigned char b;

	if (dw_random(&b, 1) != 0)
		b = 128;
	return 0.05 + 0.2 * b / 255.0;
}

static void
dw_write_done(CURLM *m, CURLMsg *msg, FILE *out, struct dw_counts *c, double t0,
    double *last_ack)
{
	struct dw_req *r = NULL;

	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
	curl_multi_remove_handle(m, msg->easy_handle);
	r->busy = 0;
	if (writer_ack(r, msg->data.result, out, c) == 1) {
		*last_ack = dw_now() - t0;
		r->resume = 0;
	} else {
		r->resume = dw_now() + dw_pause();
	}
}

static int
dw_write(int argc, char **argv)
{
	const char *url = argv[2], *cacert = argv[3], *prefix = argv[8];
	char tok[DW_TOKEN_MAX], auth[DW_TOKEN_MAX + 32], post_url[1024];
	struct dw_counts c = { 0 };
	struct dw_req *w;
	size_t nw, i;
	double t0 = dw_now(), end, stop_at = 0, last_ack = -1;
	unsigned long secs;
	int running = 0, left, rc = 2;
	FILE *out;
	CURLM *m;
	CURLMsg *msg;

	if (argc != 9)
		return 2;
	nw = strtoul(argv[6], NULL, 10);
	secs = strtoul(argv[7], NULL, 10);
	if (nw == 0 || nw > 100000 || secs == 0 || strlen(prefix) > 64)
		return 2;
	if (dw_read_token(argv[4], tok, sizeof(tok)) != 0)
		return 2;
	(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	explicit_bzero(tok, sizeof(tok));
	if ((size_t)snprintf(post_url, sizeof(post_url), "%s/credentials", url) >= sizeof(post_url))
		return 2;
	out = fopen(argv[5], "ae");
	w = calloc(nw, sizeof(*w));
	m = curl_multi_init();
	if (out == NULL || w == NULL || m == NULL) {
		fprintf(stderr, "dura_writer: setup failed: %s\n", strerror(errno));
		return 2;
	}
	dw_raise_nofile(nw);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)nw + 16);
	for (i = 0; i < nw; i++)
		if (dw_setup(&w[i], cacert, auth) != 0)
			goto out;
	explicit_bzero(auth, sizeof(auth));
	t0 = dw_now();
	c.t0 = t0;
	end = t0 + (double)secs;
	for (;;) {
		double now = dw_now();

		if (stop_at == 0 && (dw_stop || now >= end))
			stop_at = now;
		if (stop_at != 0 && (running == 0 || now - stop_at > DW_DRAIN_S))
			break;
		for (i = 0; stop_at == 0 && i < nw; i++) {
			if (w[i].busy || w[i].resume > now)
				continue;
			if (dw_start_write(m, &w[i], post_url, prefix, i) != 0) {
				fprintf(stderr, "dura_writer: cannot start a request\n");
				goto out;
			}
			c.sent++;
		}
		if (curl_multi_perform(m, &running) != CURLM_OK)
			goto out;
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				dw_write_done(m, msg, out, &c, t0, &last_ack);
		if (curl_multi_poll(m, NULL, 0, 20, NULL) != CURLM_OK)
			goto out;
	}
	/* Whatever is still in flight after the drain was never answered. */
	for (i = 0; i < nw; i++)
		if (w[i].busy) {
			curl_multi_remove_handle(m, w[i].h);
			w[i].busy = 0;
			c.conn_err++;
			dw_note_fail(&c, (int)CURLE_ABORTED_BY_CALLBACK, 0, NULL, 0);
		}
	rc = c.malformed == 0 ? 0 : 1;
out:
	fprintf(stderr, "dura_writer: %zu writers, %.2f s: %lu sent, %lu acknowledged (last at %.3f s), "
	    "%lu without an answer, %lu non-2xx (4xx %lu, 5xx %lu), %lu malformed acknowledgements\n",
	    nw, dw_now() - t0, c.sent, c.acked, last_ack, c.conn_err, c.non2xx,
	    c.by_status[4], c.by_status[5], c.malformed);
	dw_print_fails(&c, last_ack);
	free(c.fail);
	for (i = 0; i < nw; i++) {
		if (w[i].h != NULL)
			curl_easy_cleanup(w[i].h);
		curl_slist_free_all(w[i].hdrs);
	}
	curl_multi_cleanup(m);
	free(w);
	fclose(out);
	return rc;
}

/* ---- verify mode ---- */

struct dw_vcounts {
	unsigned long total, ok, mismatch, missing, error, malformed, duplicate, unchecked;
	unsigned long down;          /* transport errors in a row, across all reads */
};

/* That many transport errors in a row, and nothing answered between them: the vault is down. */
#define DW_DOWN_AFTER 40

/* Ids seen so far: open addressing over a power-of-two table (grows at half full). */
struct dw_set {
	char **slot;
	size_t cap, n;
};

static uint64_t
dw_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* 1 when id was new (now added), 0 when seen before, -1 out of memory. */
static int
dw_set_add(struct dw_set *set, const char *id)
{
	size_t i;

	if (2 * (set->n + 1) > set->cap) {
		struct dw_set big = { NULL, set->cap ? 2 * set->cap : 1024, 0 };

		big.slot = calloc(big.cap, sizeof(*big.slot));
		if (big.slot == NULL)
			return -1;
		for (i = 0; i < set->cap; i++) {
			size_t j;

			if (set->slot[i] == NULL)
				continue;
			for (j = dw_hash(set->slot[i]) & (big.cap - 1); big.slot[j] != NULL;
			    j = (j + 1) & (big.cap - 1))
				;
			big.slot[j] = set->slot[i];
			big.n++;
		}
		free(set->slot);
		*set = big;
	}
	for (i = dw_hash(id) & (set->cap - 1); set->slot[i] != NULL; i = (i + 1) & (set->cap - 1))
		if (strcmp(set->slot[i], id) == 0)
			return 0;
	if ((set->slot[i] = strdup(id)) == NULL)
		return -1;
	set->n++;
	return 1;
}

static void
dw_set_free(struct dw_set *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
}

/* Parse "ID NAME SECRET RID"; 0 when the line has the four fields and a usable id. */
static int
dw_parse_line(char *line, struct dw_req *r)
{
	char *f[4], *save = NULL;
	size_t n = 0;

	line[strcspn(line, "\n")] = '\0';
	for (char *p = strtok_r(line, " ", &save); p != NULL && n < 4; p = strtok_r(NULL, " ", &save))
		f[n++] = p;
	if (n != 4 || strlen(f[0]) >= sizeof(r->id) || strlen(f[1]) > DW_NAME_MAX ||
	    strlen(f[2]) > DW_SECRET_MAX || strcmp(f[0], "-") == 0)
		return -1;
	memcpy(r->id, f[0], strlen(f[0]) + 1);
	memcpy(r->name, f[1], strlen(f[1]) + 1);
	memcpy(r->secret, f[2], strlen(f[2]) + 1);
	return 0;
}

/* Judge one read: 0 ok, 1 retry, -1 counted as a problem. */
static int
dw_verify_one(struct dw_req *r, CURLcode res, struct dw_vcounts *c)
{
	long status = 0;
	json_t *j, *sec, *nm;
	size_t want = strlen(r->secret), got;

	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
	c->down = res != CURLE_OK ? c->down + 1 : 0;
	if ((res != CURLE_OK || status == 503) && ++r->tries < DW_VERIFY_TRIES &&
	    c->down < DW_DOWN_AFTER)
		return 1;
	if (res != CURLE_OK || (status != 200 && status != 404 && status != 410)) {
		printf("error: line %zu %s (%s): %s %ld\n", r->line, r->id, r->name,
		    res != CURLE_OK ? curl_easy_strerror(res) : "HTTP", status);
		c->error++;
		return -1;
	}
	if (status != 200) {
		printf("missing: line %zu %s (%s): HTTP %ld (read request %s)\n", r->line, r->id, r->name,
		    status, r->rid[0] ? r->rid : "-");
		c->missing++;
		return -1;
	}
	j = r->resp_over ? NULL : json_loadb(r->resp, r->resp_len, 0, NULL);
	sec = j != NULL ? json_object_get(j, "secret") : NULL;
	nm = j != NULL ? json_object_get(j, "name") : NULL;
	got = json_is_string(sec) ? json_string_length(sec) : 0;
	if (!json_is_string(sec) || !json_is_string(nm) ||
	    strcmp(json_string_value(nm), r->name) != 0 || got != want ||
	    !secmem_equal(json_string_value(sec), r->secret, want)) {
		printf("mismatch: line %zu %s (%s): %s (stored %zu bytes, acknowledged %zu)\n",
		    r->line, r->id, r->name,
		    !json_is_string(sec) ? "no secret in the answer" :
		    !json_is_string(nm) || strcmp(json_string_value(nm), r->name) != 0 ?
		    "another name" : got != want ? "another length" : "other bytes",
		    got, want);
		c->mismatch++;
		json_decref(j);
		return -1;
	}
	json_decref(j);
	c->ok++;
	return 0;
}

static int
dw_start_read(CURLM *m, struct dw_req *r, const char *url)
{
	char u[1024];

	if ((size_t)snprintf(u, sizeof(u), "%s/credentials/%s", url, r->id) >= sizeof(u))
		return -1;
	dw_reset_answer(r);
	curl_easy_setopt(r->h, CURLOPT_URL, u);
	curl_easy_setopt(r->h, CURLOPT_HTTPGET, 1L);
	if (curl_multi_add_handle(m, r->h) != CURLM_OK)
		return -1;
	r->busy = 1;
	return 0;
}

/* Fill slot r with the next usable line of the file; 0 when there is one. */
static int
dw_next_line(FILE *in, struct dw_req *r, size_t *lineno, struct dw_vcounts *c, struct dw_set *seen)
{
	char line[1024];
	int added;

	while (fgets(line, sizeof(line), in) != NULL) {
		++*lineno;
		c->total++;
		if (dw_parse_line(line, r) != 0) {
			printf("malformed: line %zu of the acknowledgements (no id, or not 4 fields)\n", *lineno);
			c->malformed++;
			continue;
		}
		added = dw_set_add(seen, r->id);
		if (added < 0) {
			printf("error: out of memory at line %zu\n", *lineno);
			c->error++;
			return -1;
		}
		if (added == 0) {
			printf("duplicate: line %zu %s was acknowledged twice\n", *lineno, r->id);
			c->duplicate++;
			continue;
		}
		r->line = *lineno;
		r->tries = 0;
		return 0;
	}
	return -1;
}

static int
dw_verify(int argc, char **argv)
{
	const char *url = argv[2];
	char tok[DW_TOKEN_MAX], auth[DW_TOKEN_MAX + 32];
	struct dw_set seen = { NULL, 0, 0 };
	struct dw_vcounts c = { 0 };
	struct dw_req *w;
	size_t np = 16, i, lineno = 0;
	int running = 0, left, active = 0, eof = 0;
	double t0 = dw_now();
	FILE *in;
	CURLM *m;
	CURLMsg *msg;

	if (argc == 7)
		np = strtoul(argv[6], NULL, 10);
	if ((argc != 6 && argc != 7) || np == 0 || np > 1000)
		return 2;
	if (dw_read_token(argv[4], tok, sizeof(tok)) != 0)
		return 2;
	(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	explicit_bzero(tok, sizeof(tok));
	in = fopen(argv[5], "re");
	w = calloc(np, sizeof(*w));
	m = curl_multi_init();
	if (in == NULL || w == NULL || m == NULL) {
		fprintf(stderr, "dura_writer: cannot read %s: %s\n", argv[5], strerror(errno));
		return 2;
	}
	for (i = 0; i < np; i++)
		if (dw_setup(&w[i], argv[3], auth) != 0)
			return 2;
	explicit_bzero(auth, sizeof(auth));
	for (i = 0; i < np && !eof; i++) {
		if (dw_next_line(in, &w[i], &lineno, &c, &seen) != 0) {
			eof = 1;
			break;
		}
		if (dw_start_read(m, &w[i], url) != 0)
			return 2;
		active++;
	}
	while (active > 0) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			return 2;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct dw_req *r = NULL;
			int v;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			curl_multi_remove_handle(m, msg->easy_handle);
			r->busy = 0;
			active--;
			v = dw_verify_one(r, msg->data.result, &c);
			if (c.down >= DW_DOWN_AFTER && !eof) {
				printf("error: the vault does not answer (%lu transport errors in a row): "
				    "giving up\n", c.down);
				eof = 1;
			}
			if (v == 1)
				usleep(200000);
			else if (eof || dw_next_line(in, r, &lineno, &c, &seen) != 0) {
				eof = 1;
				continue;
			}
			if (dw_start_read(m, r, url) != 0)
				return 2;
			active++;
		}
		if (active > 0 && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK)
			return 2;
	}
	/* Lines never read (the vault stopped answering) count as not verified. */
	{
		char line[1024];

		while (fgets(line, sizeof(line), in) != NULL) {
			c.total++;
			c.unchecked++;
		}
	}
	printf("verify: %lu acknowledged writes, %lu read back byte for byte, %lu mismatched, "
	    "%lu missing, %lu errors, %lu malformed lines, %lu duplicate ids, %lu not checked (%.2f s)\n",
	    c.total, c.ok, c.mismatch, c.missing, c.error, c.malformed, c.duplicate, c.unchecked,
	    dw_now() - t0);
	for (i = 0; i < np; i++) {
		curl_easy_cleanup(w[i].h);
		curl_slist_free_all(w[i].hdrs);
	}
	dw_set_free(&seen);
	free(w);
	curl_multi_cleanup(m);
	fclose(in);
	return c.ok == c.total ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	int rc = 2;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = dw_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 2;
	if (argc >= 2 && strcmp(argv[1], "write") == 0)
		rc = dw_write(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		rc = dw_verify(argc, argv);
	if (rc == 2)
		fprintf(stderr, "usage: dura_writer write URL CACERT TOKEN_FILE OUT_FILE WRITERS SECONDS PREFIX\n"
		    "       dura_writer verify URL CACERT TOKEN_FILE ACK_FILE [PARALLEL]\n");
	curl_global_cleanup();
	return rc;
}
