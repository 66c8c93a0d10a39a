/* Calls to providers; see provider.h. */
#include "provider.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "broker_config.h"
#include "url.h"
#include "connector.h"
#include "log.h"
#include "secmem.h"

#define PV_AUTH_BEARER "Authorization: Bearer "
#define PV_SECRET_MAX 1024

/* What one call's callbacks share. */
struct pv_call {
	struct provider *p;
	int test;                 /* a test base URL: loopback only */
	size_t got;               /* response bytes seen (and dropped) */
	int too_big;
	int refused_addr;
	struct timespec last_tick;
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

/* The body is not needed for verify: count it, keep none, stop past the cap. */
static size_t
pv_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct pv_call *call = arg;
	size_t n = size * nmemb;

	(void)ptr;
	if (n > PROVIDER_RESPONSE_MAX - call->got) {
		call->too_big = 1;
		return 0;
	}
	call->got += n;
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

static int
pv_setup(CURL *h, struct pv_call *call, const char *url, const char *ca, size_t ca_len,
    char *errbuf)
{
	struct provider *p = call->p;
	struct curl_blob blob = { (void *)(uintptr_t)ca, ca_len, CURL_BLOB_NOCOPY };
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, p->connect_timeout) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT, p->call_timeout) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	/* The bundle in memory alone: no CA file or directory is opened under the sandbox. */
	bad |= curl_easy_setopt(h, CURLOPT_CAINFO, NULL) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CAPATH, NULL) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, "bos-broker") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)PROVIDER_RESPONSE_MAX) != CURLE_OK;
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

static int
pv_auth(CURL *h, const struct provider_auth *a, struct curl_slist **hdrs, char **bearer,
    size_t *bearer_cap)
{
	struct curl_slist *t;
	int bad = 0;

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

static void
pv_perform(struct pv_call *call, const char *url, const char *ca,
    size_t ca_len, const struct provider_auth *a, struct verify_result *r)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *t;
	char *bearer = NULL;
	size_t bearer_cap = 0;
	struct timespec t0;
	curl_off_t ra = 0;
	long status = 0;
	CURL *h;
	CURLcode rc;

	if ((h = curl_easy_init()) == NULL) {
		r->outcome = VERIFY_RETRY;
		(void)snprintf(r->error, sizeof(r->error), "cannot start libcurl");
		return;
	}
	if ((t = curl_slist_append(NULL, "Accept: application/json")) != NULL)
		hdrs = t;
	if (hdrs == NULL || pv_setup(h, call, url, ca, ca_len, errbuf) != 0 ||
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
		(void)curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra);
		pv_classify(r, status, ra > 0 && ra < 86400 ? (long)ra : 0);
	} else if (call->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
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
 out:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (bearer != NULL)
		secmem_free(bearer, bearer_cap);
}

void
provider_get(struct provider *p, const struct connector *c, const char *path,
    const struct provider_auth *a, struct verify_result *r)
{
	const char *base = broker_config_base_url(p->conf, c->name);
	struct pv_call call = { .p = p, .test = base != NULL };
	char url[PROVIDER_URL_MAX];
	struct bos_err err;
	const char *ca = base != NULL ? p->test_ca : p->ca;
	size_t ca_len = base != NULL ? p->test_ca_len : p->ca_len;
	int n;

	memset(r, 0, sizeof(*r));
	r->outcome = VERIFY_ERROR;
	n = snprintf(url, sizeof(url), "%s%s", base != NULL ? base : c->base, path);
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
	    (a->kind == PROVIDER_AUTH_BASIC && !provider_token_chars_ok(a->user, 128))) {
		(void)snprintf(r->error, sizeof(r->error), "%s: the credential has characters an "
		    "HTTP header cannot carry (or is empty or longer than %d bytes)", c->name,
		    PV_SECRET_MAX);
		return;
	}
	pv_perform(&call, url, ca, ca_len, a, r);
}
