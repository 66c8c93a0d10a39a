/* Wiping allocators for libcurl and OpenSSL; see wipe_alloc.h. */
#include "wipe_alloc.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "secmem.h"

#define WIPE_HDR (sizeof(max_align_t))

static void *
wipe_malloc(size_t n)
{
	size_t total;
	uint8_t *p;

	if (__builtin_add_overflow(n, WIPE_HDR, &total) || (p = malloc(total)) == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + WIPE_HDR;
}

static size_t
wipe_size(const void *q)
{
	size_t n;

	memcpy(&n, (const uint8_t *)q - WIPE_HDR, sizeof(n));
	return n;
}

static void
wipe_free(void *q)
{
	if (q != NULL)
		secmem_freezero((uint8_t *)q - WIPE_HDR, wipe_size(q) + WIPE_HDR);
}

static void *
wipe_realloc(void *q, size_t n)
{
	size_t old;
	void *r;

	if (q == NULL)
		return wipe_malloc(n);
	if (n == 0) {
		wipe_free(q);
		return NULL;
	}
	if ((r = wipe_malloc(n)) == NULL)
		return NULL;
	old = wipe_size(q);
	memcpy(r, q, old < n ? old : n);
	wipe_free(q);
	return r;
}

static void *
wipe_calloc(size_t k, size_t n)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(k, n, &total) || (p = wipe_malloc(total)) == NULL)
		return NULL;
	memset(p, 0, total);
	return p;
}

static char *
wipe_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = wipe_malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return wipe_malloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return wipe_realloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	wipe_free(p);
}

int
wipe_alloc_curl_init(void)
{
	/* Refused once OpenSSL allocated anything: then main() is in the wrong order. */
	if (CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) != 1)
		return -1;
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, wipe_malloc, wipe_free, wipe_realloc,
	    wipe_strdup, wipe_calloc) != CURLE_OK)
		return -1;
	return 0;
}
