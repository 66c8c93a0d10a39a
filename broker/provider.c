/* Calls to providers; see provider.h. */
#include "provider.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include "broker_config.h"
#include "buf.h"
#include "url.h"
#include "connector.h"
#include "log.h"
#include "secmem.h"

#define PV_AUTH_BEARER "Authorization: Bearer "
#define PV_SECRET_MAX 1024

static int pv_printable(const char *s);

/* What one call's callbacks share. */
struct pv_call {
	struct provider *p;
	int test;                 /* a test base URL: loopback only */
	size_t got;               /* response bytes seen (and dropped) */
	int too_big;
	int refused_addr;
	struct timespec last_tick;
	struct provider_reply *rep; /* headers and (when asked) the body; may be NULL */
	const char *upload;       /* SMTP: the message being sent */
	size_t upload_len, upload_off;
};

static long
pv_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (long)(t.tv_nsec - t0->tv_nsec) / 1000000;
}

int
provider_token_chars_ok(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		unsigned char ch = (unsigned char)s[n];

		if (n >= max || !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("._~+/=-", ch) != NULL))
			return 0;
	}
	return n > 0;
}

/*
 * Addresses a provider's public API never has (SECURITY.md "SSRF"): this
 * host, private networks, link-local (cloud metadata at 169.254.169.254),
 * carrier-grade NAT, multicast, unspecified. A DNS answer pointing there is
 * refused at connect time.
 */
static int
pv_address_internal(int family, const void *addr)
{
	const uint8_t *b = addr;

	if (url_addr_loopback(family, addr))
		return 1;
	if (family == AF_INET)
		return b[0] == 0 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) ||
		    (b[0] == 100 && (b[1] & 0xc0) == 64) || b[0] >= 224;
	if (family == AF_INET6) {
		static const uint8_t zero[16];
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

		static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };

		/* IPv4 inside IPv6: mapped, NAT64 64:ff9b::/96, IPv4-compatible ::/96, 6to4 2002::/16. */
		if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 ||   /* not secret */
		    (memcmp(b, zero, 12) == 0 && memcmp(b, zero, 16) != 0))   /* not secret */
			return pv_address_internal(AF_INET, b + 12);
		if (b[0] == 0x20 && b[1] == 0x02)
			return pv_address_internal(AF_INET, b + 2);
		if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)   /* fec0::/10 site-local */
			return 1;
		return memcmp(b, zero, 16) == 0 ||   /* not secret */
		    (b[0] & 0xfe) == 0xfc ||                 /* fc00::/7 unique local */
		    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10 link-local */
		    b[0] == 0xff;                             /* multicast */
	}
	return 1;
}

static curl_socket_t
pv_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct pv_call *call = arg;
	const void *addr = NULL;
	int bad;

	(void)purpose;
	if (a->family == AF_INET && a->addrlen >= sizeof(struct sockaddr_in))
		addr = &((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr;
	else if (a->family == AF_INET6 && a->addrlen >= sizeof(struct sockaddr_in6))
		addr = &((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr;
	bad = addr == NULL || (call->test ? !url_addr_loopback(a->family, addr) :
	    pv_address_internal(a->family, addr));
	if (bad) {
		call->refused_addr = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Count the body, keep it only when the caller asked (a send's answer), stop past the cap. */
static size_t
pv_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct pv_call *call = arg;
	size_t n = size * nmemb;

	if (n > PROVIDER_RESPONSE_MAX - call->got) {
		call->too_big = 1;
		return 0;
	}
	call->got += n;
	if (call->rep != NULL && call->rep->want_body && buf_put(&call->rep->body, ptr, n) != 0) {
		call->too_big = 1;
		return 0;
	}
	return n;
}

/* A header's value when line is "name: value" (case-insensitive), trimmed into out. */
static int
pv_header_value(const char *line, size_t len, const char *name, char *out, size_t n)
{
	size_t k = strlen(name), i = 0;

	if (len <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return 0;
	line += k + 1;
	len -= k + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	if (len == 0 || len >= n)
		return 0;
	for (i = 0; i < len; i++)
		out[i] = line[i];
	out[len] = '\0';
	return 1;
}

/*
 * The answer's headers a send needs: X-Message-Id (SendGrid's id of the
 * message, kept only in its documented character set) and X-RateLimit-Reset
 * (epoch seconds). Retry-After comes from libcurl (CURLINFO_RETRY_AFTER).
 */
static size_t
pv_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct pv_call *call = arg;
	size_t n = size * nmemb;
	char v[PROVIDER_ID_MAX];

	if (call->rep == NULL)
		return n;
	if (pv_header_value(ptr, n, "X-Message-Id", v, sizeof(v)) &&
	    provider_token_chars_ok(v, sizeof(v) - 1))
		(void)snprintf(call->rep->message_id, sizeof(call->rep->message_id), "%s", v);
	else if (pv_header_value(ptr, n, "X-RateLimit-Reset", v, sizeof(v)) &&
	    strspn(v, "0123456789") == strlen(v) && strlen(v) < 12)
		call->rep->ratelimit_reset = strtol(v, NULL, 10);
	else if (pv_header_value(ptr, n, "X-Business-Use-Case-Usage", call->rep->usage,
	    sizeof(call->rep->usage)) && !pv_printable(call->rep->usage))
		call->rep->usage[0] = '\0';
	return n;
}

/* SMTP: the message, handed to libcurl as it asks. */
static size_t
pv_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct pv_call *call = arg;
	size_t n = size * nmemb, left = call->upload_len - call->upload_off;

	if (n > left)
		n = left;
	memcpy(ptr, call->upload + call->upload_off, n);
	call->upload_off += n;
	return n;
}

static int
pv_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct pv_call *call = arg;

	(void)dt; (void)dn; (void)ut; (void)un;
	if (call->p->tick != NULL && pv_ms_since(&call->last_tick) / 1000 >= call->p->tick_interval) {
		call->p->tick(call->p->tick_arg);
		clock_gettime(CLOCK_MONOTONIC, &call->last_tick);
	}
	return 0;
}

int
provider_url_allowed(const struct connector *c, const char *url, int test, struct bos_err *err)
{
	char *scheme, *host;
	size_t i;
	int r = -1;

	if (url_parts(url, &scheme, &host, err) != 0)
		goto out;
	if (strcmp(scheme, "https") != 0) {
		bos_err_set(err, BOS_E_INVALID, "%s: only https is spoken to providers (not %s)",
		    c->name, scheme);
		goto out;
	}
	if (test && url_host_loopback(host)) {
		r = 0;
		goto out;
	}
	for (i = 0; c->hosts[i] != NULL; i++)
		if (strcmp(c->hosts[i], host) == 0) {
			r = 0;
			goto out;
		}
	if (c->host_ok != NULL && c->host_ok(host)) {
		r = 0;
		goto out;
	}
	bos_err_set(err, BOS_E_INVALID, "%s: host '%s' is not on the connector's allow-list",
	    c->name, host);
 out:
	curl_free(scheme);
	curl_free(host);
	return r;
}

static void
pv_classify(struct verify_result *r, long status, long retry_after)
{
	r->status = status;
	r->retry_after = retry_after;
	if (status >= 200 && status < 300) {
		r->outcome = VERIFY_OK;
	} else if (status == 401 || status == 403) {
		r->outcome = VERIFY_REJECTED;
	} else if (status == 429 || status >= 500) {
		r->outcome = VERIFY_RETRY;
		(void)snprintf(r->error, sizeof(r->error), "provider answered %ld%s", status,
		    status == 429 ? " (rate limited)" : "");
	} else {
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), "provider answered %ld%s", status,
		    status >= 300 && status < 400 ? " (a redirect: refused, not followed)" : "");
	}
}

/* The Authorization header for a bearer secret, in locked memory. */
static char *
pv_bearer(const char *secret, size_t *cap)
{
	size_t n = strlen(PV_AUTH_BEARER) + strlen(secret) + 1;
	char *h = secmem_alloc(n);

	if (h != NULL)
		(void)snprintf(h, n, "%s%s", PV_AUTH_BEARER, secret);
	*cap = n;
	return h;
}

/* What every call shares: timeouts, TLS against the bundle in memory, the callbacks. */
static int
pv_setup_common(CURL *h, struct pv_call *call, const char *url, const char *ca, size_t ca_len,
    char *errbuf)
{
	struct provider *p = call->p;
	struct curl_blob blob = { (void *)(uintptr_t)ca, ca_len, CURL_BLOB_NOCOPY };
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, p->connect_timeout) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT, p->call_timeout) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	/* The bundle in memory alone: no CA file or directory is opened under the sandbox. */
	bad |= curl_easy_setopt(h, CURLOPT_CAINFO, NULL) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CAPATH, NULL) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, pv_write) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, call) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, pv_opensocket) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, call) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, pv_progress) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_XFERINFODATA, call) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	return bad;
}

/* A multipart/form-data body from q's fields (libcurl's mime API; it copies the values). */
static curl_mime *
pv_mime(CURL *h, const struct provider_req *q)
{
	curl_mime *mime = curl_mime_init(h);
	curl_mimepart *part;
	size_t i;

	if (mime == NULL)
		return NULL;
	for (i = 0; i < q->nform; i++) {
		if ((part = curl_mime_addpart(mime)) == NULL ||
		    curl_mime_name(part, q->form[i].name) != CURLE_OK ||
		    curl_mime_data(part, q->form[i].value, CURL_ZERO_TERMINATED) != CURLE_OK) {
			curl_mime_free(mime);
			return NULL;
		}
	}
	return mime;
}

static int
pv_setup(CURL *h, struct pv_call *call, const struct provider_req *q, const char *url,
    const char *ca, size_t ca_len, char *errbuf, curl_mime **mime)
{
	int bad = pv_setup_common(h, call, url, ca, ca_len, errbuf);

	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, "bos-broker") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)PROVIDER_RESPONSE_MAX) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, pv_header) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, call) != CURLE_OK;
	if (q->form != NULL) {
		if ((*mime = pv_mime(h, q)) == NULL)
			return 1;
		bad |= curl_easy_setopt(h, CURLOPT_MIMEPOST, *mime) != CURLE_OK;
	} else if (q->body == NULL) {
		bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	} else {
		bad |= curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->body_len) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body) != CURLE_OK;
	}
	return bad;
}

static int
pv_auth(CURL *h, const struct provider_auth *a, struct curl_slist **hdrs, char **bearer,
    size_t *bearer_cap)
{
	struct curl_slist *t;
	int bad = 0;

	if (a->kind == PROVIDER_AUTH_SIGV4) {
		/* libcurl signs (SigV4): the key id and the secret key never go on the wire. */
		bad |= curl_easy_setopt(h, CURLOPT_AWS_SIGV4, a->sigv4) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_USERNAME, a->user) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_PASSWORD, a->secret) != CURLE_OK;
		return bad;
	}
	if (a->kind == PROVIDER_AUTH_BASIC) {
		bad |= curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_USERNAME, a->user) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_PASSWORD, a->secret) != CURLE_OK;
		return bad;
	}
	if ((*bearer = pv_bearer(a->secret, bearer_cap)) == NULL)
		return 1;
	if ((t = curl_slist_append(*hdrs, *bearer)) == NULL)
		return 1;
	*hdrs = t;
	return 0;
}

/*
 * Accept, Content-Type, no Expect, the connector's extra headers. Under
 * SigV4 the "Expect:" that disables Expect is left out: libcurl 7.88 signs
 * it (an empty expect header) yet never sends it, so every such request
 * would fail AWS's signature check (the SES stub caught it). Bodies stay
 * under libcurl's 1 MiB Expect threshold.
 */
static struct curl_slist *
pv_headers(const struct provider_req *q, int sigv4)
{
	char ct[128];
	struct curl_slist *l = NULL, *t;
	size_t i;

	if ((l = curl_slist_append(NULL, "Accept: application/json")) == NULL)
		return NULL;
	if (q->form != NULL) {
		if ((t = curl_slist_append(l, "Expect:")) == NULL)
			goto fail;
		l = t;
	} else if (q->body != NULL) {
		(void)snprintf(ct, sizeof(ct), "Content-Type: %s", q->ctype);
		if ((t = curl_slist_append(l, ct)) == NULL)
			goto fail;
		l = t;
		if (!sigv4) {
			if ((t = curl_slist_append(l, "Expect:")) == NULL)
				goto fail;
			l = t;
		}
	}
	for (i = 0; q->headers != NULL && q->headers[i] != NULL; i++) {
		if ((t = curl_slist_append(l, q->headers[i])) == NULL)
			goto fail;
		l = t;
	}
	return l;
 fail:
	curl_slist_free_all(l);
	return NULL;
}

/*
 * How long to wait before trying again: Retry-After (seconds or a date,
 * libcurl reads both), else X-RateLimit-Reset (epoch seconds) minus now; at
 * most PROVIDER_RETRY_MAX.
 */
static long
pv_retry_after(CURL *h, const struct provider_reply *rep)
{
	curl_off_t ra = 0;
	long w = 0;
	time_t now = time(NULL);

	(void)curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra);
	if (ra > 0)
		w = ra > PROVIDER_RETRY_MAX ? PROVIDER_RETRY_MAX : (long)ra;
	else if (rep != NULL && rep->ratelimit_reset > now)
		w = rep->ratelimit_reset - now > PROVIDER_RETRY_MAX ? PROVIDER_RETRY_MAX :
		    (long)(rep->ratelimit_reset - now);
	return w;
}

/* A call that brought no HTTP (or SMTP) answer. */
static void
pv_failed(const struct pv_call *call, CURLcode rc, const char *errbuf, struct verify_result *r)
{
	if (call->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), "the provider's answer is larger than %d "
		    "bytes", PROVIDER_RESPONSE_MAX);
	} else if (call->refused_addr) {
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), "the provider's address is internal "
		    "(loopback, private, link-local or metadata): refused");
	} else {
		/* curl's messages name hosts and causes, never the request's headers. */
		r->outcome = VERIFY_RETRY;
		(void)snprintf(r->error, sizeof(r->error), "network error: %.200s",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	}
}

/*
 * A POST whose body went out whole before the connection failed or timed
 * out: the provider may have taken it. A failure before that (no connection,
 * TLS, a refused address) sent nothing.
 */
static void
pv_maybe_sent(CURL *h, const struct provider_req *q, struct verify_result *r)
{
	curl_off_t up = 0;

	size_t least = q->body_len, i;

	if ((q->body == NULL && q->form == NULL) || r->outcome != VERIFY_RETRY)
		return;
	/* A form's size is not known here: its values' is a lower bound (unknown rather than twice). */
	for (i = 0; q->form != NULL && i < q->nform; i++)
		least += strlen(q->form[i].value);
	if (curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK &&
	    (size_t)up >= least)
		r->maybe_sent = 1;
}

static void
pv_perform(struct pv_call *call, const struct provider_req *q, const char *url,
    const char *ca, size_t ca_len, const struct provider_auth *a, struct verify_result *r)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	curl_mime *mime = NULL;
	char *bearer = NULL;
	size_t bearer_cap = 0;
	struct timespec t0;
	long status = 0;
	CURL *h;
	CURLcode rc;

	if ((h = curl_easy_init()) == NULL) {
		r->outcome = VERIFY_RETRY;
		(void)snprintf(r->error, sizeof(r->error), "cannot start libcurl");
		return;
	}
	hdrs = pv_headers(q, a->kind == PROVIDER_AUTH_SIGV4);
	if (hdrs == NULL || pv_setup(h, call, q, url, ca, ca_len, errbuf, &mime) != 0 ||
	    pv_auth(h, a, &hdrs, &bearer, &bearer_cap) != 0 ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK) {
		r->outcome = VERIFY_RETRY;
		(void)snprintf(r->error, sizeof(r->error), "cannot set up the provider call");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	call->last_tick = t0;
	rc = curl_easy_perform(h);
	r->latency_ms = pv_ms_since(&t0);
	if (rc == CURLE_OK) {
		(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		pv_classify(r, status, pv_retry_after(h, call->rep));
	} else {
		pv_failed(call, rc, errbuf, r);
		pv_maybe_sent(h, q, r);
	}
 out:
	curl_easy_cleanup(h);
	curl_mime_free(mime);
	curl_slist_free_all(hdrs);
	if (bearer != NULL)
		secmem_free(bearer, bearer_cap);
}

/* No control character (CR, LF, NUL ...): fit for a header line. */
static int
pv_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/* Extra headers a connector adds: "Name: value", printable, at most 16. */
static int
pv_extra_headers_ok(const char *const *hs)
{
	size_t i;

	for (i = 0; hs != NULL && hs[i] != NULL; i++)
		if (i >= 16 || strchr(hs[i], ':') == NULL || !pv_printable(hs[i]))
			return 0;
	return 1;
}

/* A form's field names: printable, no '"' (they go in Content-Disposition), at most PROVIDER_FORM_MAX. */
static int
pv_form_ok(const struct provider_req *q)
{
	size_t i;

	if (q->form == NULL)
		return 1;
	if (q->body != NULL || q->nform == 0 || q->nform > PROVIDER_FORM_MAX)
		return 0;
	for (i = 0; i < q->nform; i++)
		if (q->form[i].name == NULL || q->form[i].value == NULL ||
		    q->form[i].name[0] == '\0' || !pv_printable(q->form[i].name) ||
		    strchr(q->form[i].name, '"') != NULL)
			return 0;
	return 1;
}

void
provider_call(struct provider *p, const struct connector *c, const struct provider_req *q,
    const struct provider_auth *a, struct verify_result *r, struct provider_reply *rep)
{
	const char *base = broker_config_base_url(p->conf, c->name);
	struct pv_call call = { .p = p, .test = base != NULL, .rep = rep };
	char url[PROVIDER_URL_MAX];
	struct bos_err err;
	const char *ca = base != NULL ? p->test_ca : p->ca;
	size_t ca_len = base != NULL ? p->test_ca_len : p->ca_len;
	int n;

	memset(r, 0, sizeof(*r));
	r->outcome = VERIFY_ERROR;
	n = snprintf(url, sizeof(url), "%s%s", base != NULL ? base : q->base != NULL ? q->base :
	    c->base, q->path);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		(void)snprintf(r->error, sizeof(r->error), "%s: the URL is too long", c->name);
		return;
	}
	if (provider_url_allowed(c, url, call.test, &err) != 0) {
		(void)snprintf(r->error, sizeof(r->error), "%.*s", (int)sizeof(r->error) - 1, err.msg);
		return;
	}
	if (ca == NULL || ca_len == 0) {
		(void)snprintf(r->error, sizeof(r->error), "%s: no CA bundle loaded", c->name);
		return;
	}
	if (!provider_token_chars_ok(a->secret, PV_SECRET_MAX) ||
	    (a->kind != PROVIDER_AUTH_BEARER && !provider_token_chars_ok(a->user, 128)) ||
	    (a->kind == PROVIDER_AUTH_SIGV4 && (a->sigv4 == NULL || !pv_printable(a->sigv4)))) {
		(void)snprintf(r->error, sizeof(r->error), "%s: the credential has characters an "
		    "HTTP header cannot carry (or is empty or longer than %d bytes)", c->name,
		    PV_SECRET_MAX);
		return;
	}
	if ((q->body != NULL && (q->ctype == NULL || !pv_printable(q->ctype))) ||
	    !pv_extra_headers_ok(q->headers) || !pv_form_ok(q)) {
		(void)snprintf(r->error, sizeof(r->error), "%s: a request header holds a control "
		    "character: refused", c->name);
		return;
	}
	pv_perform(&call, q, url, ca, ca_len, a, r);
}

void
provider_get(struct provider *p, const struct connector *c, const char *path,
    const struct provider_auth *a, struct verify_result *r)
{
	struct provider_req q = { .path = path };

	provider_call(p, c, &q, a, r, NULL);
}

/* SMTP reply codes after a failed transaction: 4xx again later, 535 and friends rejected. */
static void
pv_smtp_failed(struct pv_call *call, CURL *h, CURLcode rc, const char *errbuf,
    struct verify_result *r)
{
	long code = 0;

	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	r->status = code;
	if (rc == CURLE_USE_SSL_FAILED) {
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), "smtp: the server does not offer STARTTLS; "
		    "nothing is ever sent in plaintext");
	} else if (rc == CURLE_LOGIN_DENIED || code == 530 || code == 534 || code == 535) {
		r->outcome = VERIFY_REJECTED;
		(void)snprintf(r->error, sizeof(r->error), "smtp: the server refused the login "
		    "(%ld)", code);
	} else if (code >= 400 && code < 500) {
		r->outcome = VERIFY_RETRY;
		(void)snprintf(r->error, sizeof(r->error), "smtp: temporary refusal %ld: %.160s",
		    code, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	} else if (code >= 500) {
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), "smtp: refused %ld: %.160s", code,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	} else {
		pv_failed(call, rc, errbuf, r);
	}
}

static int
pv_smtp_setup(CURL *h, struct pv_call *call, const struct provider_smtp *m,
    struct curl_slist *rcpt, const char *ca, size_t ca_len, char *errbuf)
{
	int bad = pv_setup_common(h, call, m->url, ca, ca_len, errbuf);

	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp") != CURLE_OK;
	/* STARTTLS or nothing: a server that does not offer it fails the call. */
	bad |= curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERNAME, m->user) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PASSWORD, m->password) != CURLE_OK;
	/* A check: connect, STARTTLS, EHLO, AUTH, and stop there (nothing is sent). */
	if (m->data == NULL)
		return bad | (curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK);
	bad |= curl_easy_setopt(h, CURLOPT_MAIL_FROM, m->mail_from) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m->len) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_READFUNCTION, pv_read) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_READDATA, call) != CURLE_OK;
	return bad;
}

void
provider_smtp_send(struct provider *p, const struct provider_smtp *m, struct verify_result *r)
{
	struct pv_call call = { .p = p, .test = m->test, .upload = m->data, .upload_len = m->len };
	char errbuf[CURL_ERROR_SIZE] = "", rcpt_s[PROVIDER_SMTP_ADDR_MAX + 2];
	const char *ca = m->test ? p->test_ca : p->ca;
	size_t ca_len = m->test ? p->test_ca_len : p->ca_len;
	struct curl_slist *rcpt = NULL;
	struct timespec t0;
	CURL *h = NULL;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	r->outcome = VERIFY_ERROR;
	if (strncmp(m->url, "smtp://", 7) != 0) {
		(void)snprintf(r->error, sizeof(r->error), "smtp: only smtp:// with STARTTLS is spoken");
		return;
	}
	if (ca == NULL || ca_len == 0) {
		(void)snprintf(r->error, sizeof(r->error), "smtp: no CA bundle loaded");
		return;
	}
	(void)snprintf(rcpt_s, sizeof(rcpt_s), "<%s>", m->rcpt != NULL ? m->rcpt : "");
	if ((h = curl_easy_init()) == NULL || (rcpt = curl_slist_append(NULL, rcpt_s)) == NULL ||
	    pv_smtp_setup(h, &call, m, rcpt, ca, ca_len, errbuf) != 0) {
		r->outcome = VERIFY_RETRY;
		(void)snprintf(r->error, sizeof(r->error), "cannot set up the SMTP call");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	call.last_tick = t0;
	rc = curl_easy_perform(h);
	r->latency_ms = pv_ms_since(&t0);
	if (rc == CURLE_OK) {
		(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		r->outcome = VERIFY_OK;
	} else {
		pv_smtp_failed(&call, h, rc, errbuf, r);
		/* The whole message went out and no final reply came: it may be delivered. */
		r->maybe_sent = m->data != NULL && r->outcome == VERIFY_RETRY &&
		    call.upload_off == m->len &&
		    (r->status < 400 || r->status >= 600);
	}
 out:
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(rcpt);
}
