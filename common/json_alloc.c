/* Wiping allocator for jansson; see json_alloc.h. */
#include "json_alloc.h"

#include <jansson.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include "secmem.h"

/* Each block carries its size in a header so that free can wipe it all. */
#define JSON_ALLOC_HDR (sizeof(max_align_t))

static void *
json_alloc_malloc(size_t n)
{
	size_t total;
	uint8_t *p;

	if (__builtin_add_overflow(n, JSON_ALLOC_HDR, &total) || (p = malloc(total)) == NULL)
		return NULL;
	*(size_t *)(void *)p = n;
	return p + JSON_ALLOC_HDR;
}

static void
json_alloc_free(void *q)
{
	uint8_t *p;

	if (q == NULL)
		return;
	p = (uint8_t *)q - JSON_ALLOC_HDR;
	secmem_freezero(p, *(size_t *)(void *)p + JSON_ALLOC_HDR);
}

void
json_alloc_init(void)
{
	json_set_alloc_funcs(json_alloc_malloc, json_alloc_free);
}

void
json_alloc_release(void *p)
{
	json_malloc_t m;
	json_free_t f;

	if (p == NULL)
		return;
	json_get_alloc_funcs(&m, &f);
	f(p);
}
