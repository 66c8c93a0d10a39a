/* URL and address checks shared by the settings and the provider calls; see url.h. */
#include "url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Loopback: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104. */
int
url_addr_loopback(int family, const void *addr)
{
	const uint8_t *b = addr;

	if (family == AF_INET)
		return b[0] == 127;
	if (family == AF_INET6) {
		static const uint8_t one[16] = { [15] = 1 };
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

		return memcmp(b, one, 16) == 0 ||   /* not secret */
		    (memcmp(b, mapped, 12) == 0 && b[12] == 127);   /* not secret */
	}
	return 0;
}

/* The host part of url (curl's URL parser), or -1; host freed by the caller. */
int
url_parts(const char *url, char **scheme, char **host, struct bos_err *err)
{
	CURLU *u = curl_url();
	char *extra = NULL;
	int r = -1;

	*scheme = *host = NULL;
	if (u == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK) {
		bos_err_set(err, BOS_E_INVALID, "'%s' is not a URL", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &extra, 0) == CURLUE_OK) {
		bos_err_set(err, BOS_E_INVALID, "a URL with a user name is refused");
		goto out;
	}
	/* success */
	r = 0;
 out:
	curl_free(extra);
	curl_url_cleanup(u);
	return r;
}

int
url_host_loopback(const char *host)
{
	uint8_t a[16];
	char h[64];
	size_t n = strlen(host);

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return url_addr_loopback(AF_INET, a);
	if (n > 2 && n < sizeof(h) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		return inet_pton(AF_INET6, h, a) == 1 && url_addr_loopback(AF_INET6, a);
	}
	return 0;
}

int
url_test_base_ok(const char *url, struct bos_err *err)
{
	char *scheme = NULL, *host = NULL;
	int r = -1;

	if (strncmp(url, "https://", 8) != 0 ||
	    strpbrk(url + 8, "?#@") != NULL) {
		bos_err_set(err, BOS_E_CONFIG, "'%s' must be https://HOST[:PORT] (no plain http, no "
		    "user, query or fragment)", url);
		goto out;
	}
	if (url_parts(url, &scheme, &host, err) != 0)
		goto out;
	if (!url_host_loopback(host)) {
		bos_err_set(err, BOS_E_CONFIG, "a test base URL must point at a loopback address "
		    "(127.0.0.0/8, [::1], localhost), not '%s'", host);
		goto out;
	}
	/* success */
	r = 0;
 out:
	curl_free(scheme);
	curl_free(host);
	return r;
}
