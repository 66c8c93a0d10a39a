/* The vault API client; see http_client.h. */
#include "http_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>
#include "buf.h"
#include "io.h"
#include "json_alloc.h"
#include "secmem.h"
#include "token.h"
#include "wipe_alloc.h"

#define HTTP_CLIENT_UNIX_PREFIX "unix:"
#define HTTP_CLIENT_HTTPS_PREFIX "https://"
/* Over the unix socket the host part only fills the Host header. */
#define HTTP_CLIENT_UNIX_BASE "http://localhost"
#define HTTP_CLIENT_URL_MAX 2048
#define HTTP_CLIENT_AUTH_PREFIX "Authorization: Bearer "
#define HTTP_CLIENT_ACCEPT_JSON "Accept: application/json"
#define HTTP_CLIENT_ACCEPT_MAX 128
/* The error object of a refused download; the vault's are far smaller. */
#define HTTP_CLIENT_ERRBODY_MAX (64 * 1024)

struct http_client {
	CURL *h;
	char addr[HTTP_CLIENT_URL_MAX];   /* as given, for messages */
	char base[HTTP_CLIENT_URL_MAX];   /* prefix of every request URL */
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char cacert[HTTP_CLIENT_URL_MAX]; /* empty: the system store */
	char *auth;                       /* "Authorization: Bearer ...", wiped on free */
	size_t auth_size;
	int is_unix;
	int helper;                       /* auth carries a helper token */
};

int
http_client_global_init(void)
{
	return wipe_alloc_curl_init();
}

void
http_client_global_cleanup(void)
{
	curl_global_cleanup();
}

/* snprintf into a fixed array; -1 on truncation. */
static int
http_client_copy(char *dst, size_t n, const char *s)
{
	int k = snprintf(dst, n, "%s", s);

	return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int
http_client_parse_addr(struct http_client *c, const char *addr, struct bos_err *err)
{
	size_t n;

	if (http_client_copy(c->addr, sizeof(c->addr), addr) != 0)
		return bos_err_set(err, BOS_E_INVALID, "BOS_ADDR is too long");
	if (strncmp(addr, HTTP_CLIENT_UNIX_PREFIX, strlen(HTTP_CLIENT_UNIX_PREFIX)) == 0) {
		addr += strlen(HTTP_CLIENT_UNIX_PREFIX);
		if (*addr == '\0' || http_client_copy(c->unix_path, sizeof(c->unix_path), addr) != 0)
			return bos_err_set(err, BOS_E_INVALID, "the socket path in '%s' is empty or "
			    "longer than %zu bytes", c->addr, sizeof(c->unix_path) - 1);
		c->is_unix = 1;
		(void)http_client_copy(c->base, sizeof(c->base), HTTP_CLIENT_UNIX_BASE);
		return 0;
	}
	if (strncmp(addr, HTTP_CLIENT_HTTPS_PREFIX, strlen(HTTP_CLIENT_HTTPS_PREFIX)) != 0 ||
	    addr[strlen(HTTP_CLIENT_HTTPS_PREFIX)] == '\0')
		return bos_err_set(err, BOS_E_INVALID, "BOS_ADDR '%s' is not https://HOST[:PORT] "
		    "or unix:/PATH (plain HTTP is only spoken on the unix socket)", c->addr);
	(void)http_client_copy(c->base, sizeof(c->base), addr);
	/* Paths start with '/', so drop trailing slashes of the base. */
	for (n = strlen(c->base); n > strlen(HTTP_CLIENT_HTTPS_PREFIX) && c->base[n - 1] == '/'; n--)
		c->base[n - 1] = '\0';
	return 0;
}

int
http_client_new(const char *addr, const char *cacert, struct http_client **out,
    struct bos_err *err)
{
	struct http_client *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (http_client_parse_addr(c, addr, err) != 0)
		goto fail;
	if (cacert != NULL && http_client_copy(c->cacert, sizeof(c->cacert), cacert) != 0) {
		bos_err_set(err, BOS_E_INVALID, "BOS_CACERT is too long");
		goto fail;
	}
	if ((c->h = curl_easy_init()) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "cannot start libcurl");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	free(c);
	return -1;
}

int
http_client_from_env(struct http_client **out, struct bos_err *err)
{
	const char *addr = getenv("BOS_ADDR"), *cacert = getenv("BOS_CACERT");

	if (addr == NULL || *addr == '\0')
		addr = HTTP_CLIENT_DEFAULT_ADDR;
	if (cacert != NULL && *cacert == '\0')
		cacert = NULL;
	/* `make run` serves its self-signed certificate from var/dev. */
	if (cacert == NULL && strcmp(addr, HTTP_CLIENT_DEFAULT_ADDR) == 0 &&
	    access(HTTP_CLIENT_DEV_CACERT, R_OK) == 0)
		cacert = HTTP_CLIENT_DEV_CACERT;
	return http_client_new(addr, cacert, out, err);
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	secmem_freezero(c->auth, c->auth_size);
	free(c);
}

const char *
http_client_addr(const struct http_client *c)
{
	return c->addr;
}

const char *
http_client_base(const struct http_client *c)
{
	return c->base;
}

const char *
http_client_cacert(const struct http_client *c)
{
	return c->cacert[0] != '\0' ? c->cacert : NULL;
}

const char *
http_client_unix_path(const struct http_client *c)
{
	return c->is_unix ? c->unix_path : NULL;
}

/*
 * A well-formed BOS token (prefix, length, characters, checksum): catches a
 * damaged session file before it is sent, and nothing else can reach the
 * header (no CR/LF injection).
 */
static int
http_client_token_ok(const char *t)
{
	return token_check(t, TOKEN_SESSION) == 0 || token_check(t, TOKEN_HELPER) == 0;
}

int
http_client_set_token(struct http_client *c, const char *token, struct bos_err *err)
{
	size_t n;

	if (!http_client_token_ok(token))
		return bos_err_set(err, BOS_E_INVALID, "the session token is malformed: run "
		    "'bosctl login NAME' again");
	n = strlen(HTTP_CLIENT_AUTH_PREFIX) + strlen(token) + 1;
	secmem_freezero(c->auth, c->auth_size);
	if ((c->auth = malloc(n)) == NULL) {
		c->auth_size = 0;
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	}
	c->auth_size = n;
	(void)snprintf(c->auth, n, "%s%s", HTTP_CLIENT_AUTH_PREFIX, token);
	c->helper = token_check(token, TOKEN_HELPER) == 0;
	return 0;
}

char *
http_client_escape(const char *s)
{
	return curl_easy_escape(NULL, s, 0);
}

void
http_client_free_str(char *s)
{
	if (s != NULL)
		secmem_wipe(s, strlen(s));
	curl_free(s);
}

/* Collect the body into a bounded buffer; past its maximum the transfer stops. */
static size_t
http_client_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n;

	if (__builtin_mul_overflow(size, nmemb, &n) || buf_put(b, p, n) != 0)
		return 0;
	return n;
}

/* accept is the whole Accept header line. */
static struct curl_slist *
http_client_headers(const struct http_client *c, const char *accept, int has_body)
{
	/* "Expect:" turns off 100-continue, which only adds a round trip here. */
	const char *fixed[] = { accept, "Expect:",
	    has_body ? "Content-Type: application/json" : NULL, c->auth };
	struct curl_slist *l = NULL, *t;
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(fixed); i++) {
		if (fixed[i] == NULL)
			continue;
		if ((t = curl_slist_append(l, fixed[i])) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

/*
 * The transport rules every request shares, JSON call or download: the
 * vault's scheme only, no redirects, no proxy, TLS 1.3 with the peer and its
 * host name verified against BOS_CACERT alone. curl_easy_reset() before them
 * keeps the connection.
 */
static int
http_client_transport(struct http_client *c, const char *url, char *errbuf)
{
	CURL *h = c->h;
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->is_unix ? "http" : "https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)HTTP_CLIENT_CONNECT_TIMEOUT_S) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	if (c->is_unix)
		return bad | (curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->unix_path) != CURLE_OK);
	bad |= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	/* BOS_CACERT alone, not with the system's CA directory beside it. */
	if (c->cacert[0] != '\0') {
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_CAPATH, NULL) != CURLE_OK;
	}
	return bad;
}

/* A JSON call: the transport, a short deadline, the answer collected into rb. */
static int
http_client_setup(struct http_client *c, const char *url, struct buf *rb, char *errbuf)
{
	CURL *h = c->h;
	int bad = http_client_transport(c, url, errbuf);

	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)HTTP_CLIENT_TIMEOUT_S) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)HTTP_CLIENT_RESPONSE_MAX) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_client_write_cb) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, rb) != CURLE_OK;
	return bad;
}

static int
http_client_method(CURL *h, const char *method, const char *data, size_t len)
{
	int bad = 0;

	if (data != NULL) {
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, data) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK;
	}
	if (strcmp(method, "GET") == 0)
		return bad | (curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != CURLE_OK);
	if (strcmp(method, "POST") == 0 && data != NULL)
		return bad;
	return bad | (curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK);
}

/* A person's version of a transport failure: what happened and what to do. */
static int
http_client_curl_err(const struct http_client *c, CURLcode e, const char *detail,
    struct bos_err *err)
{
	if (*detail == '\0')
		detail = curl_easy_strerror(e);
	switch (e) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return bos_err_set(err, BOS_E_IO, "cannot reach the vault at %s: is bos-vaultd "
		    "running? (make run)", c->addr);
	case CURLE_PEER_FAILED_VERIFICATION:
		return bos_err_set(err, BOS_E_AUTH, "the vault's TLS certificate is not trusted: set "
		    "BOS_CACERT to its certificate (dev: %s)", HTTP_CLIENT_DEV_CACERT);
	case CURLE_SSL_CACERT_BADFILE:
		return bos_err_set(err, BOS_E_CONFIG, "cannot load the CA certificate '%s': set "
		    "BOS_CACERT to the vault's certificate (dev: %s)",
		    c->cacert[0] ? c->cacert : "(system store)", HTTP_CLIENT_DEV_CACERT);
	case CURLE_SSL_CONNECT_ERROR:
		return bos_err_set(err, BOS_E_IO, "the TLS handshake with the vault at %s failed "
		    "(%s); the vault must speak TLS 1.3 there", c->addr, detail);
	case CURLE_OPERATION_TIMEDOUT:
		return bos_err_set(err, BOS_E_IO, "the vault at %s did not answer in time (%d s to "
		    "connect, %d s in all)", c->addr, HTTP_CLIENT_CONNECT_TIMEOUT_S,
		    HTTP_CLIENT_TIMEOUT_S);
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer is larger than %d bytes; "
		    "refused", HTTP_CLIENT_RESPONSE_MAX);
	default:
		return bos_err_set(err, BOS_E_IO, "cannot talk to the vault at %s: %s", c->addr,
		    detail);
	}
}

static unsigned long
http_client_retry_after(CURL *h)
{
	struct curl_header *hd = NULL;
	unsigned long n;
	char *end;

	if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
		return 0;
	errno = 0;
	n = strtoul(hd->value, &end, 10);
	return errno != 0 || end == hd->value || *end != '\0' ? 0 : n;
}

/* Parse the body; an empty body is fine, a 2xx answer must be a JSON object. */
static int
http_client_parse(const struct buf *b, struct http_resp *resp, struct bos_err *err)
{
	json_error_t jerr;
	json_t *j;

	if (b->len == 0)
		return 0;
	j = json_loadb((const char *)b->data, b->len, JSON_REJECT_DUPLICATES, &jerr);
	secmem_wipe(&jerr, sizeof(jerr)); /* its text may quote the body */
	if (json_is_object(j)) {
		resp->json = j;
		return 0;
	}
	json_decref(j);
	if (resp->status >= 200 && resp->status < 300)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer (HTTP %ld) is not a "
		    "JSON object", resp->status);
	return 0;
}

static int
http_client_perform(struct http_client *c, struct http_resp *resp, struct buf *rb,
    char *errbuf, struct bos_err *err)
{
	CURLcode e = curl_easy_perform(c->h);

	if (e != CURLE_OK)
		return http_client_curl_err(c, e, errbuf, err);
	if (curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &resp->status) != CURLE_OK)
		return bos_err_set(err, BOS_E_IO, "no HTTP status from the vault at %s", c->addr);
	resp->retry_after = http_client_retry_after(c->h);
	return http_client_parse(rb, resp, err);
}

/* The base, then path, into url; -1 when it does not fit. */
static int
http_client_url(const struct http_client *c, const char *path, char *url, size_t n,
    struct bos_err *err)
{
	int k = snprintf(url, n, "%s%s", c->base, path);

	if (k < 0 || (size_t)k >= n)
		return bos_err_set(err, BOS_E_INVALID, "the request URL is too long");
	return 0;
}

int
http_client_call(struct http_client *c, const char *method, const char *path, const json_t *body,
    struct http_resp *resp, struct bos_err *err)
{
	char url[HTTP_CLIENT_URL_MAX * 2], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	struct buf rb = { 0 };
	char *data = NULL;
	int r = -1;

	memset(resp, 0, sizeof(*resp));
	if (http_client_url(c, path, url, sizeof(url), err) != 0)
		return -1;
	if (body != NULL && (data = json_dumps(body, JSON_COMPACT)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "cannot encode the request");
	if (buf_init(&rb, HTTP_CLIENT_RESPONSE_MAX) != 0) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	curl_easy_reset(c->h);
	if ((hdrs = http_client_headers(c, HTTP_CLIENT_ACCEPT_JSON, data != NULL)) == NULL ||
	    http_client_setup(c, url, &rb, errbuf) != 0 ||
	    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    http_client_method(c->h, method, data, data ? strlen(data) : 0) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot set up the request (libcurl)");
		goto out;
	}
	if (http_client_perform(c, resp, &rb, errbuf, err) != 0)
		goto out;
	resp->helper = c->helper;
	/* success */
	r = 0;
out:
	/* Drop libcurl's pointers into what is about to be freed. */
	curl_easy_reset(c->h);
	curl_slist_free_all(hdrs);
	json_alloc_release(data);
	buf_free(&rb);
	if (r != 0)
		http_resp_free(resp);
	return r;
}

void
http_resp_free(struct http_resp *r)
{
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/* Replace control characters so a vault message cannot drive the terminal. */
static void
http_client_sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int
http_resp_error(const struct http_resp *r, struct bos_err *err)
{
	json_t *e = json_object_get(r->json, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	bos_err_set(err, r->status == 404 ? BOS_E_NOTFOUND : BOS_E_INVALID, "%s (%s, HTTP %ld)",
	    msg ? msg : "the vault gave no reason", code ? code : "no code", r->status);
	if (err != NULL)
		http_client_sanitize(err->msg);
	return -1;
}

/* 403: the vault's reason is the message. */
static int
http_resp_refused(const struct http_resp *r, struct bos_err *err)
{
	json_t *e = json_object_get(r->json, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	bos_err_set(err, BOS_E_AUTH, "the vault refused: %s (%s)",
	    msg ? msg : "it gave no reason", code ? code : "HTTP 403");
	if (err != NULL)
		http_client_sanitize(err->msg);
	return -1;
}

int
http_resp_check(const struct http_resp *r, struct bos_err *err)
{
	if (r->status >= 200 && r->status < 300)
		return 0;
	if (r->status == 401 && r->helper)
		return bos_err_set(err, BOS_E_AUTH, "the token is not valid (expired, revoked or "
		    "mistyped)");
	if (r->status == 401)
		return bos_err_set(err, BOS_E_AUTH, "not signed in or the session expired: run "
		    "'bosctl login NAME'");
	if (r->status == 403)
		return http_resp_refused(r, err);
	if (r->status == 429 && r->retry_after > 0)
		return bos_err_set(err, BOS_E_AUTH, "account locked: try again in %lu seconds",
		    r->retry_after);
	if (r->status == 429)
		return bos_err_set(err, BOS_E_AUTH, "account locked: try again later");
	return http_resp_error(r, err);
}

int
http_client_call_ok(struct http_client *c, const char *method, const char *path,
    const json_t *body, struct http_resp *resp, struct bos_err *err)
{
	if (http_client_call(c, method, path, body, resp, err) != 0)
		return -1;
	if (http_resp_check(resp, err) != 0) {
		http_resp_free(resp);
		return -1;
	}
	return 0;
}

/* ---- downloads: a GET whose body streams into a file ---- */

/* One download in progress: a 2xx body goes to fd, any other into ebody. */
struct http_client_dl {
	CURL *h;
	int fd;
	size_t max;
	int too_large;
	struct buf ebody;          /* the vault's error object */
	struct http_download *out; /* status, bytes, write_errno */
};

static int
http_client_2xx(long status)
{
	return status >= 200 && status < 300;
}

static size_t
http_client_dl_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_client_dl *d = arg;
	size_t n;

	if (__builtin_mul_overflow(size, nmemb, &n))
		return 0;
	if (d->out->status == 0 &&
	    curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &d->out->status) != CURLE_OK)
		return 0;
	if (!http_client_2xx(d->out->status))
		return buf_put(&d->ebody, p, n) == 0 ? n : 0;
	if (n > d->max - d->out->bytes) {
		d->too_large = 1;
		return 0;
	}
	if (io_write_full(d->fd, p, n) != 0) {
		d->out->write_errno = errno;
		return 0;
	}
	d->out->bytes += n;
	return n;
}

/*
 * A download: the transport, an hour in all but a minute at most without
 * data, and a size refused early when Content-Length already exceeds it.
 */
static int
http_client_dl_setup(struct http_client *c, const char *url, struct http_client_dl *d,
    char *errbuf)
{
	CURL *h = c->h;
	int bad = http_client_transport(c, url, errbuf);

	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)HTTP_CLIENT_DL_TIMEOUT_S) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)HTTP_CLIENT_DL_STALL_S) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_client_dl_write) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, d) != CURLE_OK;
	if (d->max <= (size_t)INT64_MAX)
		bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)d->max) != CURLE_OK;
	return bad;
}

/* A refusal: the vault's error object, read like any call's (http_resp_check). */
static int
http_client_dl_refused(struct http_client *c, const struct http_client_dl *d,
    struct bos_err *err)
{
	struct http_resp resp;
	int r;

	memset(&resp, 0, sizeof(resp));
	resp.status = d->out->status;
	resp.retry_after = http_client_retry_after(c->h);
	resp.helper = c->helper;
	/* Cannot fail for a status other than 2xx: a body that is no object is no reason. */
	(void)http_client_parse(&d->ebody, &resp, err);
	r = http_resp_check(&resp, err);
	http_resp_free(&resp);
	return r;
}

/* What became of a finished download, for a person. */
static int
http_client_dl_result(struct http_client *c, const struct http_client_dl *d, CURLcode e,
    const char *errbuf, struct bos_err *err)
{
	long status = d->out->status;

	/* The vault's reason comes first, whatever became of the transfer after it. */
	if (status != 0 && !http_client_2xx(status))
		return http_client_dl_refused(c, d, err);
	if (status != 0 && e == CURLE_OK)
		return 0;
	if (d->out->write_errno != 0)
		return bos_err_set(err, BOS_E_IO, "cannot write the download: %s",
		    strerror(d->out->write_errno));
	if (d->too_large || e == CURLE_FILESIZE_EXCEEDED)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer is larger than %zu bytes; "
		    "refused", d->max);
	if (status != 0)
		return bos_err_set(err, BOS_E_IO, "the download from the vault at %s broke off: %s",
		    c->addr, *errbuf ? errbuf : curl_easy_strerror(e));
	if (e == CURLE_OK)
		return bos_err_set(err, BOS_E_IO, "no HTTP status from the vault at %s", c->addr);
	if (e == CURLE_OPERATION_TIMEDOUT)
		return bos_err_set(err, BOS_E_IO, "the vault at %s did not answer in time (%d s to "
		    "connect, %d s without data)", c->addr, HTTP_CLIENT_CONNECT_TIMEOUT_S,
		    HTTP_CLIENT_DL_STALL_S);
	return http_client_curl_err(c, e, errbuf, err);
}

/* "Accept: TYPE" into line; -1 when TYPE is too long or could end the header. */
static int
http_client_accept(const char *type, char *line, size_t n)
{
	const char *p;
	int k;

	for (p = type; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	k = snprintf(line, n, "Accept: %s", type);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

int
http_client_download(struct http_client *c, const char *path, const char *accept, int fd,
    size_t max_bytes, struct http_download *out, struct bos_err *err)
{
	char url[HTTP_CLIENT_URL_MAX * 2], errbuf[CURL_ERROR_SIZE] = "";
	char acc[HTTP_CLIENT_ACCEPT_MAX];
	struct http_client_dl d = { .h = c->h, .fd = fd, .max = max_bytes, .out = out };
	struct curl_slist *hdrs = NULL;
	CURLcode e;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (http_client_url(c, path, url, sizeof(url), err) != 0)
		return -1;
	if (http_client_accept(accept, acc, sizeof(acc)) != 0)
		return bos_err_set(err, BOS_E_INVALID, "the media type to accept is malformed");
	if (buf_init(&d.ebody, HTTP_CLIENT_ERRBODY_MAX) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	curl_easy_reset(c->h);
	if ((hdrs = http_client_headers(c, acc, 0)) == NULL ||
	    http_client_dl_setup(c, url, &d, errbuf) != 0 ||
	    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK) {
		bos_err_set(err, BOS_E_IO, "cannot set up the download (libcurl)");
		goto out;
	}
	e = curl_easy_perform(c->h);
	if (curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &out->status) != CURLE_OK)
		out->status = 0;
	if (http_client_dl_result(c, &d, e, errbuf, err) != 0)
		goto out;
	/* success */
	r = 0;
out:
	/* Drop libcurl's pointers into what is about to be freed. */
	curl_easy_reset(c->h);
	curl_slist_free_all(hdrs);
	buf_free(&d.ebody);
	return r;
}
