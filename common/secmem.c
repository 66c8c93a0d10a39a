/* Secret memory; see secmem.h. */
#include "secmem.h"

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
