/*
 * Test tool: races helper-token uses against the revoke of their grant
 * (SECURITY.md "Revocation: >= 10^4 races of use against revoke; 0 uses that
 * started after the revoke returned").
 *
 * usage: race_revoke SOCKET HELPER_ID CREDENTIAL_ID TRIALS [USERS [USES_BEFORE]]
 *        race_revoke --selftest
 * The admin session token is read from the first line of stdin (never argv).
 *
 * Per trial: create a grant (read on CREDENTIAL_ID) with the admin session;
 * USERS threads (default 2) each use the token in a loop over their own
 * keep-alive connection to the vault's unix socket, recording for each use
 * the CLOCK_MONOTONIC time just before the request was sent and the status;
 * once USES_BEFORE uses (default 2) have succeeded, the main thread revokes
 * the grant and records the time the revoke's response was fully received.
 * Each user stops after one use that started after that time. A violation
 * is a use that started after the revoke returned and got 200.
 *
 * Prints trials, uses before and after the revoke, uses in flight while the
 * revoke was (so the race was real), violations. Exit 0 when there were
 * none, 1 on a violation, 2 on usage or setup errors, 3 when a status other
 * than 200 (before) or 403 (after) was seen. --selftest feeds the checker a
 * made-up late success and must exit 1, so the tool is shown able to fail.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RACE_BUF 65536
#define RACE_MAX_USERS 8
#define RACE_MAX_RECS 4096       /* uses per user per trial */
#define RACE_TOKEN_MAX 128
#define RACE_WAIT_S 10           /* a trial that makes no progress for this long is an error */

struct conn {
	int fd;
	const char *path;
	char buf[RACE_BUF];
};

struct rec {
	uint64_t start, end;     /* ns, CLOCK_MONOTONIC: before sending, after the answer */
	int status;
};

struct user {
	struct race *race;
	pthread_t thread;
	struct conn c;
	struct rec recs[RACE_MAX_RECS];
	size_t n;
};

struct race {
	const char *sock, *helper, *cred;
	int users;
	unsigned uses_before;
	pthread_barrier_t start, end;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned allowed;                /* 200s in this trial so far, under mu */
	char token[RACE_TOKEN_MAX];      /* this trial's helper token */
	uint64_t revoke_sent, revoke_done; /* 0 until known; read with __atomic */
	int quit;
	struct user u[RACE_MAX_USERS];
};

struct totals {
	unsigned long trials, before, after, in_flight, violations, odd;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- HTTP/1.1 over the unix socket, keep-alive ---- */

static int
conn_open(struct conn *c)
{
	struct sockaddr_un sun;
	size_t n = strlen(c->path);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (n >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, c->path, n + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return 0;
	close(c->fd);
	c->fd = -1;
	return -1;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Content-Length of the header block hdr (NUL-terminated), -1 if none. */
static long
header_length(const char *hdr, int *close_after)
{
	const char *p = hdr;
	long len = -1;

	*close_after = 0;
	while ((p = strstr(p, "\r\n")) != NULL && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			len = strtol(p + 15, NULL, 10);
		else if (strncasecmp(p, "Connection: close", 17) == 0)
			*close_after = 1;
	}
	return len;
}

/*
 * Send one request and read the whole answer into c->buf (body at *body).
 * Returns the status, or -1 on a transport error.
 */
static int
http_do(struct conn *c, const char *method, const char *path, const char *bearer,
    const char *json, const char **body)
{
	char req[1024];
	size_t got = 0;
	ssize_t n;
	char *end;
	long len;
	int status, close_after, k;

	if (json == NULL)
		k = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: vault\r\nAuthorization: "
		    "Bearer %s\r\n\r\n", method, path, bearer);
	else
		k = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: vault\r\nAuthorization: "
		    "Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		    method, path, bearer, strlen(json), json);
	if (k < 0 || (size_t)k >= sizeof(req))
		return -1;
	if (c->fd < 0 && conn_open(c) != 0)
		return -1;
	if (send_all(c->fd, req, (size_t)k) != 0)
		goto fail;
	for (;;) {
		if (got + 1 >= sizeof(c->buf))
			goto fail;
		n = recv(c->fd, c->buf + got, sizeof(c->buf) - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
		c->buf[got] = '\0';
		if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
			continue;
		*end = '\0';
		len = header_length(c->buf, &close_after);
		*end = '\r';
		if (len < 0 || (size_t)(end + 4 - c->buf) + (size_t)len >= sizeof(c->buf))
			goto fail;
		if (got < (size_t)(end + 4 - c->buf) + (size_t)len)
			continue;
		break;
	}
	if (sscanf(c->buf, "HTTP/1.1 %d", &status) != 1)
		goto fail;
	*body = end + 4;
	c->buf[(size_t)(end + 4 - c->buf) + (size_t)len] = '\0';
	if (close_after)
		conn_close(c);
	return status;
 fail:
	conn_close(c);
	return -1;
}

/* ---- one trial ---- */

static int
trial_grant(struct race *r, struct conn *admin, const char *session, char acc[64])
{
	char json[256];
	const char *body, *tok, *a;
	json_t *o;
	int st, rc = -1;

	(void)snprintf(json, sizeof(json), "{\"helper\":\"%s\",\"credentials\":[\"%s\"],"
	    "\"actions\":[\"read\"],\"ttl\":3600}", r->helper, r->cred);
	if ((st = http_do(admin, "POST", "/credentials/grant", session, json, &body)) != 201) {
		fprintf(stderr, "race_revoke: POST /credentials/grant answered %d: %.200s\n", st,
		    st > 0 ? body : "");
		return -1;
	}
	if ((o = json_loads(body, 0, NULL)) != NULL &&
	    (tok = json_string_value(json_object_get(o, "token"))) != NULL &&
	    (a = json_string_value(json_object_get(o, "accessor"))) != NULL &&
	    strlen(tok) < sizeof(r->token) && strlen(a) < 64) {
		memcpy(r->token, tok, strlen(tok) + 1);
		memcpy(acc, a, strlen(a) + 1);
		rc = 0;
	}
	json_decref(o);
	memset(admin->buf, 0, sizeof(admin->buf));
	return rc;
}

/* Wait until uses_before uses succeeded in this trial. */
static int
trial_wait_uses(struct race *r)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RACE_WAIT_S;
	pthread_mutex_lock(&r->mu);
	while (r->allowed < r->uses_before && rc == 0)
		rc = pthread_cond_timedwait(&r->cv, &r->mu, &until);
	pthread_mutex_unlock(&r->mu);
	return rc == 0 ? 0 : -1;
}

static int
trial_revoke(struct race *r, struct conn *admin, const char *session, const char *acc)
{
	char path[128];
	const char *body;
	int st;

	(void)snprintf(path, sizeof(path), "/grants/%s", acc);
	__atomic_store_n(&r->revoke_sent, now_ns(), __ATOMIC_RELEASE);
	st = http_do(admin, "DELETE", path, session, NULL, &body);
	/* The answer is fully read: from now on no use may succeed. */
	__atomic_store_n(&r->revoke_done, now_ns(), __ATOMIC_RELEASE);
	if (st != 200) {
		fprintf(stderr, "race_revoke: DELETE %s answered %d\n", path, st);
		return -1;
	}
	return 0;
}

static void *
user_main(void *arg)
{
	struct user *u = arg;
	struct race *r = u->race;
	const char *body;
	char path[128];
	uint64_t done;
	struct rec *rec;

	(void)snprintf(path, sizeof(path), "/credentials/%s", r->cred);
	for (;;) {
		pthread_barrier_wait(&r->start);
		if (r->quit)
			return NULL;
		u->n = 0;
		while (u->n < RACE_MAX_RECS) {
			rec = &u->recs[u->n++];
			rec->start = now_ns();
			rec->status = http_do(&u->c, "GET", path, r->token, NULL, &body);
			rec->end = now_ns();
			if (rec->status > 0)
				memset(u->c.buf, 0, (size_t)(body - u->c.buf) + strlen(body));
			if (rec->status == 200) {
				pthread_mutex_lock(&r->mu);
				r->allowed++;
				pthread_cond_signal(&r->cv);
				pthread_mutex_unlock(&r->mu);
			}
			done = __atomic_load_n(&r->revoke_done, __ATOMIC_ACQUIRE);
			if (done != 0 && rec->start > done)
				break;       /* one use that started after the revoke returned */
		}
		pthread_barrier_wait(&r->end);
	}
}

/*
 * The checker: count one user's records of a trial against the revoke's
 * send and return times.
 */
static void
check_recs(const struct rec *recs, size_t n, uint64_t sent, uint64_t done, struct totals *t)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (recs[i].start > done) {
			t->after++;
			if (recs[i].status == 200)
				t->violations++;
			else if (recs[i].status != 403)
				t->odd++;
			continue;
		}
		t->before++;
		if (recs[i].end > sent)
			t->in_flight++;
		/* Before the revoke returned, 200 and (once it committed) 403 are both fine. */
		if (recs[i].status != 200 && recs[i].status != 403)
			t->odd++;
	}
}

static int
report(const struct totals *t, double secs)
{
	printf("trials: %lu\nuses before revoke returned: %lu\nuses after revoke returned: %lu\n"
	    "uses in flight during the revoke: %lu\nunexpected statuses: %lu\nviolations: %lu\n"
	    "elapsed: %.1f s\n", t->trials, t->before, t->after, t->in_flight, t->odd,
	    t->violations, secs);
	if (t->violations > 0)
		return 1;
	return t->odd > 0 ? 3 : 0;
}

/* A made-up trial with one success that started after the revoke returned. */
static int
selftest(void)
{
	const struct rec recs[] = {
		{ 100, 200, 200 }, { 900, 1100, 200 }, { 1001, 1200, 200 }, { 1300, 1400, 403 },
	};
	struct totals t = { 1, 0, 0, 0, 0, 0 };

	check_recs(recs, sizeof(recs) / sizeof(recs[0]), 950, 1000, &t);
	return report(&t, 0);
}

static int
race_setup(struct race *r)
{
	int i;

	if (pthread_barrier_init(&r->start, NULL, (unsigned)r->users + 1) != 0 ||
	    pthread_barrier_init(&r->end, NULL, (unsigned)r->users + 1) != 0 ||
	    pthread_mutex_init(&r->mu, NULL) != 0 || pthread_cond_init(&r->cv, NULL) != 0)
		return -1;
	for (i = 0; i < r->users; i++) {
		r->u[i].race = r;
		r->u[i].c.fd = -1;
		r->u[i].c.path = r->sock;
		if (pthread_create(&r->u[i].thread, NULL, user_main, &r->u[i]) != 0)
			return -1;
	}
	return 0;
}

static void
race_stop(struct race *r)
{
	int i;

	r->quit = 1;
	pthread_barrier_wait(&r->start);
	for (i = 0; i < r->users; i++) {
		pthread_join(r->u[i].thread, NULL);
		conn_close(&r->u[i].c);
	}
}

/* One trial: grant, let the users run, revoke, wait for them, check. 0 or -1. */
static int
race_trial(struct race *r, struct conn *admin, const char *session, struct totals *t)
{
	char acc[64];
	int i, rc;

	if (trial_grant(r, admin, session, acc) != 0)
		return -1;
	r->allowed = 0;
	__atomic_store_n(&r->revoke_sent, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&r->revoke_done, 0, __ATOMIC_RELEASE);
	pthread_barrier_wait(&r->start);
	rc = trial_wait_uses(r);
	if (rc != 0)
		fprintf(stderr, "race_revoke: the token was not accepted %u times within %d s\n",
		    r->uses_before, RACE_WAIT_S);
	if (trial_revoke(r, admin, session, acc) != 0)
		rc = -1;
	pthread_barrier_wait(&r->end);
	for (i = 0; i < r->users; i++)
		check_recs(r->u[i].recs, r->u[i].n, r->revoke_sent, r->revoke_done, t);
	memset(r->token, 0, sizeof(r->token));
	t->trials++;
	return rc;
}

static int
read_session(char *out, size_t cap)
{
	size_t n;

	if (fgets(out, (int)cap, stdin) == NULL)
		return -1;
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static struct race r;
	struct conn *admin;
	struct totals t = { 0, 0, 0, 0, 0, 0 };
	char session[RACE_TOKEN_MAX];
	unsigned long trials, i;
	uint64_t t0;
	int rc = 0;

	if (argc == 2 && strcmp(argv[1], "--selftest") == 0)
		return selftest();
	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: race_revoke SOCKET HELPER_ID CREDENTIAL_ID TRIALS "
		    "[USERS [USES_BEFORE]] < session\n       race_revoke --selftest\n");
		return 2;
	}
	r.sock = argv[1];
	r.helper = argv[2];
	r.cred = argv[3];
	trials = strtoul(argv[4], NULL, 10);
	r.users = argc > 5 ? (int)strtol(argv[5], NULL, 10) : 2;
	r.uses_before = argc > 6 ? (unsigned)strtoul(argv[6], NULL, 10) : 2;
	if (trials == 0 || r.users < 1 || r.users > RACE_MAX_USERS || r.uses_before < 1 ||
	    read_session(session, sizeof(session)) != 0) {
		fprintf(stderr, "race_revoke: bad arguments, or no session on stdin\n");
		return 2;
	}
	if ((admin = calloc(1, sizeof(*admin))) == NULL || race_setup(&r) != 0) {
		fprintf(stderr, "race_revoke: setup failed\n");
		return 2;
	}
	admin->fd = -1;
	admin->path = r.sock;
	t0 = now_ns();
	for (i = 0; i < trials && rc == 0; i++)
		if (race_trial(&r, admin, session, &t) != 0)
			rc = 2;
	race_stop(&r);
	conn_close(admin);
	free(admin);
	memset(session, 0, sizeof(session));
	i = (unsigned long)report(&t, (double)(now_ns() - t0) / 1e9);
	/* A violation is the answer even when a later trial failed to set up. */
	return i == 1 || rc == 0 ? (int)i : rc;
}
