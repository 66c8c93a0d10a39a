/* Secret memory; see secmem.h. */
#include "secmem.h"

#include <errno.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

void
secmem_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
secmem_freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	secmem_wipe(p, n);
	free(p);
}

static size_t
secmem_page(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (size_t)ps : 4096;
}

/* Bytes of the data area (whole pages) for an allocation of n bytes. */
static int
secmem_span(size_t n, size_t *span)
{
	size_t ps = secmem_page(), s;

	if (n == 0 || __builtin_add_overflow(n, ps - 1, &s))
		return -1;
	*span = s / ps * ps;
	return 0;
}

void *
secmem_alloc(size_t n)
{
	size_t ps = secmem_page(), span, total;
	uint8_t *base;

	if (secmem_span(n, &span) != 0 || __builtin_add_overflow(span, 2 * ps, &total))
		return NULL;
	base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base + ps, span, PROT_READ | PROT_WRITE) != 0 ||
	    mlock(base + ps, span) != 0 ||
	    madvise(base + ps, span, MADV_DONTDUMP) != 0 ||
	    madvise(base + ps, span, MADV_WIPEONFORK) != 0) {
		munmap(base, total);
		return NULL;
	}
	return base + ps;
}

void
secmem_free(void *p, size_t n)
{
	size_t ps = secmem_page(), span;

	if (p == NULL || secmem_span(n, &span) != 0)
		return;
	secmem_wipe(p, span);
	munlock(p, span);
	munmap((uint8_t *)p - ps, span + 2 * ps);
}

int
secmem_harden_process(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	return 0;
}

int
secmem_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/*
 * Wipe on free, for the whole process. Every program that links this file
 * (bos-vaultd, bos-hsmd, bosctl, the test tools) replaces free(), realloc()
 * and reallocarray() with versions that overwrite a block before glibc takes
 * it back. The libraries we cannot change keep secrets in memory they free
 * without wiping: libmicrohttpd's per-connection pool holds the raw request
 * (Authorization header and body) and is free()d when a connection ends
 * without a completed request; GnuTLS frees the buffers that held decrypted
 * records; OpenSSL, SQLCipher and jansson's error paths likewise. The
 * dynamic linker binds their calls to these definitions (an executable's
 * symbols come first), so one wipe here covers them all. glibc's own
 * internal calls (stdio buffers, getline) still use the unwiped free; we
 * never put secrets through those.
 *
 * Not under AddressSanitizer: its allocator owns malloc and free there, and
 * keeps freed blocks in a quarantine anyway (docs/MEMORY.md).
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SECMEM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SECMEM_ASAN 1
#endif

#ifndef SECMEM_ASAN
void __libc_free(void *p);
void *__libc_malloc(size_t n);

void
free(void *p)
{
	if (p == NULL)
		return;
	/* malloc_usable_size: the whole block, which may be more than was asked for. */
	explicit_bzero(p, malloc_usable_size(p));
	__libc_free(p);
}

/*
 * glibc's realloc may move a block and free the old one, or split off and
 * free its tail, without wiping either. Growing therefore copies into a new
 * block and frees the old one through free() above; shrinking keeps the
 * block unless that would waste more than half of it.
 */
void *
realloc(void *p, size_t n)
{
	size_t have;
	void *q;

	if (p == NULL)
		return __libc_malloc(n);
	if (n == 0) {
		free(p);
		return NULL;
	}
	have = malloc_usable_size(p);
	if (n <= have && n >= have / 2)
		return p;
	if ((q = __libc_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, n < have ? n : have);
	free(p);
	return q;
}

void *
reallocarray(void *p, size_t nmemb, size_t size)
{
	size_t n;

	if (__builtin_mul_overflow(nmemb, size, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n);
}
#endif
