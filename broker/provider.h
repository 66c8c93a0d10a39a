/*
 * Calls to providers (libcurl): HTTPS only (CURLOPT_PROTOCOLS_STR "https"),
 * no redirects, no proxy, the peer and its host name verified against a CA
 * bundle held in memory (CURLOPT_CAINFO_BLOB: no file is read after the
 * sandbox), the URL's host checked against the connector's allow-list before
 * the call and the address against private, loopback, link-local and
 * metadata ranges at connect time, connect and total timeouts, a bounded
 * response. One libcurl handle per call, cleaned up after it, so that none
 * of its buffers (the Authorization header among them) outlives the call;
 * every block it frees is wiped (wipe_alloc.h).
 *
 * A test-only base URL (base_url.NAME in the broker's config) replaces a
 * connector's: https on a loopback address, verified against test_ca_file
 * alone; its host is then the only one allowed for that connector.
 */
#ifndef BOS_PROVIDER_H
#define BOS_PROVIDER_H

#include <stddef.h>
#include <time.h>
#include "broker.h"
#include "buf.h"
#include "compiler.h"
#include "err.h"

struct connector;

#define PROVIDER_CONNECTORS BROKER_CONNECTORS
#define PROVIDER_RESPONSE_MAX (256 * 1024)
#define PROVIDER_URL_MAX 512
#define PROVIDER_RETRY_MAX 300        /* s: the longest wait a provider may ask for */
#define PROVIDER_ID_MAX 128           /* a provider's id of a message (X-Message-Id, sid) */
#define PROVIDER_SMTP_ADDR_MAX 320
#define PROVIDER_USAGE_MAX 4096      /* Meta's X-Business-Use-Case-Usage, kept whole or not at all */

/* How a connector authenticates (docs/BROKERS.md, CONNECTORS.md F.3). */
enum provider_auth_kind { PROVIDER_AUTH_BEARER, PROVIDER_AUTH_BASIC, PROVIDER_AUTH_SIGV4 };

struct provider_auth {
	enum provider_auth_kind kind;
	const char *user;      /* BASIC: the user part (Twilio's account SID, Mailgun's "api");
	                        * SIGV4: the access key id */
	const char *secret;    /* the leased secret, NUL-terminated */
	const char *sigv4;     /* SIGV4: libcurl's CURLOPT_AWS_SIGV4, "aws:amz:REGION:SERVICE" */
};

/* Called about every interval seconds while a call runs (a job's heartbeat). */
typedef void (*provider_tick_fn)(void *arg);

struct provider {
	long connect_timeout;            /* s */
	long call_timeout;               /* s */
	const char *ca;                  /* production CA bundle (PEM), may be NULL */
	size_t ca_len;
	const char *test_ca;             /* test_ca_file's PEM */
	size_t test_ca_len;
	const struct broker_config *conf; /* base_url.* overrides */
	provider_tick_fn tick;
	void *tick_arg;
	long tick_interval;              /* s */
};

/*
 * GET base + path with the given authorization, and classify the answer
 * into r (2xx ok, 401/403 rejected, 429 and 5xx and network errors retry,
 * anything else an error). The allow-list and scheme are checked first:
 * then r says VERIFY_ERROR and nothing was sent.
 */
void provider_get(struct provider *p, const struct connector *c, const char *path,
    const struct provider_auth *a, struct verify_result *r);

/* One multipart/form-data field (a POST's form when provider_req.form is set). */
struct provider_field {
	const char *name;               /* printable, no '"' */
	const char *value;              /* NUL-terminated */
};

#define PROVIDER_FORM_MAX 32

/* One request: GET without a body, POST with one (body, or form). */
struct provider_req {
	const char *path;
	const char *ctype;              /* the body's Content-Type (printable, no CR/LF) */
	const char *body;               /* NULL (and no form): a GET */
	size_t body_len;
	const char *const *headers;     /* extra "Name: value" lines, NULL-terminated, or NULL */
	const struct provider_field *form; /* multipart/form-data (libcurl's mime), or NULL */
	size_t nform;
	const char *base;               /* another production base than the connector's (a
	                                 * region's host), still checked against the allow-list */
};

/*
 * What a send needs from the answer: X-Message-Id (only [A-Za-z0-9._~+/=-]),
 * X-RateLimit-Reset, Meta's X-Business-Use-Case-Usage (printable, else
 * empty), and with want_body the body itself (the caller sets body up with
 * buf_init_grow and frees it).
 */
struct provider_reply {
	char message_id[PROVIDER_ID_MAX];
	time_t ratelimit_reset;
	char usage[PROVIDER_USAGE_MAX];
	int want_body;
	struct buf body;
};

/*
 * provider_get's checks and classification for any request; r->retry_after
 * comes from Retry-After, else X-RateLimit-Reset minus now, at most
 * PROVIDER_RETRY_MAX. rep may be NULL. A content type or an extra header
 * with a control character is refused before anything is sent.
 */
void provider_call(struct provider *p, const struct connector *c, const struct provider_req *q,
    const struct provider_auth *a, struct verify_result *r, struct provider_reply *rep);

/* One SMTP transaction (conn_smtp.c checked the host against smtp_hosts). */
struct provider_smtp {
	const char *url;          /* smtp://HOST:PORT */
	int test;                 /* base_url.smtp: loopback only, test_ca_file */
	const char *user;
	const char *password;     /* the leased secret */
	const char *mail_from;    /* "<addr>" */
	const char *rcpt;         /* addr */
	const char *data;         /* the RFC 5322 message, CRLF lines; NULL: only log in (verify) */
	size_t len;
};

/*
 * Send m over smtp:// with STARTTLS required (CURLUSESSL_ALL: a server
 * without it fails, VERIFY_ERROR), AUTH with user and password, the same
 * TLS, timeout and connect-time address checks as provider_call. r: OK
 * (250), REJECTED (login refused), RETRY (4xx, network), ERROR (5xx, no
 * STARTTLS, an internal address).
 */
void provider_smtp_send(struct provider *p, const struct provider_smtp *m,
    struct verify_result *r);


/*
 * 0 when url is https and its host is on c's allow-list (or, with test set,
 * a loopback address); -1 with why in err.
 */
int provider_url_allowed(const struct connector *c, const char *url, int test,
    struct bos_err *err) BOS_WUR;

/* 1 when s is fit for a header or a URL path segment: [A-Za-z0-9._~+/=-], 1..n bytes. */
int provider_token_chars_ok(const char *s, size_t max);

#endif
