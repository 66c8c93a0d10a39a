/*
 * bosctl's client of the vault's JSON API (libcurl). HTTPS with TLS 1.3 at
 * least and the peer's certificate and host name always verified, or plain
 * HTTP on the vault's unix socket; no redirects, no proxy, bounded time and
 * a bounded response, held in memory as JSON (http_client_call) or streamed
 * into a file (http_client_download), both over the same transport setup.
 * A session token travels only in an "Authorization: Bearer" header.
 * Request and response bytes are wiped when released, and so is every block
 * libcurl and OpenSSL allocate (see http_client_global_init), since both
 * carry passwords and secrets.
 *
 * Addressing: BOS_ADDR is https://HOST:PORT (default https://127.0.0.1:8025)
 * or unix:/PATH/vault.sock. BOS_CACERT names the PEM certificate that signs
 * the vault's; when unset and BOS_ADDR is the default, ./var/dev/tls/cert.pem
 * is used if it exists (so `make run` works as is), else the system store.
 */
#ifndef BOS_HTTP_CLIENT_H
#define BOS_HTTP_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include "compiler.h"
#include "err.h"

#define HTTP_CLIENT_DEFAULT_ADDR "https://127.0.0.1:8025"
#define HTTP_CLIENT_DEV_CACERT "var/dev/tls/cert.pem"
#define HTTP_CLIENT_RESPONSE_MAX (1024 * 1024)
#define HTTP_CLIENT_CONNECT_TIMEOUT_S 10
#define HTTP_CLIENT_TIMEOUT_S 60
#define HTTP_CLIENT_DL_TIMEOUT_S 3600   /* a whole download; stalls end sooner */
#define HTTP_CLIENT_DL_STALL_S 60       /* a download with no data this long ends */

struct http_client;

struct http_resp {
	long status;                /* HTTP status */
	json_t *json;               /* the body when it is a JSON object, else NULL */
	unsigned long retry_after;  /* Retry-After in seconds, 0 when absent */
	int helper;                 /* the request carried a helper token (bos_h_) */
};

/*
 * Make libcurl and OpenSSL allocate through a wiping allocator, then
 * initialise libcurl. Call once, first thing in main(), before anything
 * uses OpenSSL. Returns 0 or -1.
 */
int http_client_global_init(void) BOS_WUR;
void http_client_global_cleanup(void);

/*
 * A client of the vault at addr ("https://HOST[:PORT]" or "unix:/PATH"),
 * trusting cacert (a PEM file) or, when NULL, the system store.
 */
int http_client_new(const char *addr, const char *cacert, struct http_client **out,
    struct bos_err *err) BOS_WUR;
/* A client for BOS_ADDR and BOS_CACERT with the defaults described above. */
int http_client_from_env(struct http_client **out, struct bos_err *err) BOS_WUR;
/* Wipe the token and release everything. Accepts NULL. */
void http_client_free(struct http_client *c);

/*
 * Send token as "Authorization: Bearer TOKEN" from now on (copied, wiped on
 * free). A session (bos_s_) or helper (bos_h_) token, well-formed.
 */
int http_client_set_token(struct http_client *c, const char *token, struct bos_err *err) BOS_WUR;

/* The address as the user gave it, for messages. */
const char *http_client_addr(const struct http_client *c);
/* The prefix of every request URL ("https://HOST:PORT", or "http://localhost" on a socket). */
const char *http_client_base(const struct http_client *c);
/* The CA certificate file trusted, or NULL for the system store. */
const char *http_client_cacert(const struct http_client *c);
/* The unix socket's path, or NULL when the client speaks HTTPS. */
const char *http_client_unix_path(const struct http_client *c);

/*
 * Percent-encode s for one path segment or query value. Release with
 * http_client_free_str. NULL when out of memory.
 */
char *http_client_escape(const char *s) BOS_WUR;
void http_client_free_str(char *s);

/*
 * One request: method "GET", "POST", "PUT" or "DELETE"; path starts with
 * '/' (with its query string); body (may be NULL) is sent as JSON. Returns 0
 * once a response arrived, whatever its status, and -1 with an actionable
 * message when the vault could not be reached or answered nonsense.
 * Release *resp with http_resp_free.
 */
int http_client_call(struct http_client *c, const char *method, const char *path,
    const json_t *body, struct http_resp *resp, struct bos_err *err) BOS_WUR;
void http_resp_free(struct http_resp *r);

/*
 * 0 for a 2xx response; else -1 with the message for a person: 401 "not
 * signed in or the session expired: run 'bosctl login NAME'" (with a helper
 * token: "the token is not valid (expired, revoked or mistyped)"), 403 "the
 * vault refused: MESSAGE (CODE)", 429 "account locked: try again in N
 * seconds", anything else "MESSAGE (CODE, HTTP N)" from the vault's error
 * shape.
 */
int http_resp_check(const struct http_resp *r, struct bos_err *err) BOS_WUR;

/* http_client_call, then http_resp_check; on failure *resp is released. */
int http_client_call_ok(struct http_client *c, const char *method, const char *path,
    const json_t *body, struct http_resp *resp, struct bos_err *err) BOS_WUR;

/* "MESSAGE (CODE, HTTP N)" for any error response; -1. */
int http_resp_error(const struct http_resp *r, struct bos_err *err);

struct http_download {
	long status;      /* HTTP status, 0 when none arrived */
	size_t bytes;     /* body bytes written to fd */
	int write_errno;  /* errno of a failed write to fd, else 0 */
};

/*
 * GET path with the transport rules of http_client_call (the same handle and
 * options, the token) and stream a 2xx answer's body into fd, for bodies
 * that are no single JSON object or too large for http_client_call. accept
 * is the media type asked for ("application/x-ndjson"). The body may take
 * HTTP_CLIENT_DL_TIMEOUT_S in all, but no more than HTTP_CLIENT_DL_STALL_S
 * without data. Returns 0 once the whole body of a 2xx answer is in fd.
 * Else -1 with *out filled as far as it got and a message: for any other
 * status, http_resp_check's from the vault's error object; a body beyond
 * max_bytes is refused; a write to fd that failed leaves its errno in
 * out->write_errno (the message cannot name the file). fd then holds part of
 * the body at most: the caller discards it.
 */
int http_client_download(struct http_client *c, const char *path, const char *accept, int fd,
    size_t max_bytes, struct http_download *out, struct bos_err *err) BOS_WUR;

#endif
