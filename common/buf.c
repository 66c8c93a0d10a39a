/* Bounded buffer; see buf.h. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>
#include "secmem.h"

/* A growing buffer's first allocation. */
#define BUF_GROW_MIN 1024

int
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	if (max == 0)
		return -1;
	b->data = calloc(1, max);
	if (b->data == NULL)
		return -1;
	b->max = max;
	b->cap = max;
	return 0;
}

void
buf_init_grow(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/* Room for end bytes in a growing buffer; the old copy is wiped. */
static int
buf_grow(struct buf *b, size_t end)
{
	size_t cap = b->cap < BUF_GROW_MIN ? BUF_GROW_MIN : b->cap;
	uint8_t *p;

	while (cap < end)
		cap = cap > b->max / 2 ? b->max : cap * 2;
	if (cap > b->max)
		cap = b->max;
	if ((p = malloc(cap)) == NULL)
		return -1;
	if (b->len > 0)
		memcpy(p, b->data, b->len);
	secmem_freezero(b->data, b->cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

void
buf_free(struct buf *b)
{
	secmem_freezero(b->data, b->cap);
	memset(b, 0, sizeof(*b));
}

void
buf_reset(struct buf *b)
{
	secmem_wipe(b->data, b->len);
	b->len = 0;
	b->off = 0;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	size_t end;

	if (__builtin_add_overflow(b->len, n, &end) || end > b->max)
		return -1;
	if (end > b->cap && buf_grow(b, end) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len = end;
	return 0;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int
buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t be[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return buf_put(b, be, sizeof(be));
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return buf_put(b, be, sizeof(be));
}

int
buf_put_str16(struct buf *b, const void *p, size_t n)
{
	if (n > UINT16_MAX || buf_put_u16(b, (uint16_t)n) != 0)
		return -1;
	return buf_put(b, p, n);
}

size_t
buf_remaining(const struct buf *b)
{
	return b->len - b->off;
}

int
buf_get(struct buf *b, void *p, size_t n)
{
	if (n > buf_remaining(b))
		return -1;
	if (n > 0)
		memcpy(p, b->data + b->off, n);
	b->off += n;
	return 0;
}

int
buf_get_u8(struct buf *b, uint8_t *v)
{
	return buf_get(b, v, 1);
}

int
buf_get_u16(struct buf *b, uint16_t *v)
{
	uint8_t be[2];

	if (buf_get(b, be, sizeof(be)) != 0)
		return -1;
	*v = (uint16_t)((be[0] << 8) | be[1]);
	return 0;
}

int
buf_get_u32(struct buf *b, uint32_t *v)
{
	uint8_t be[4];

	if (buf_get(b, be, sizeof(be)) != 0)
		return -1;
	*v = ((uint32_t)be[0] << 24) | ((uint32_t)be[1] << 16) | ((uint32_t)be[2] << 8) | be[3];
	return 0;
}

int
buf_get_str16(struct buf *b, const uint8_t **p, size_t *n, size_t max)
{
	uint16_t len;

	if (buf_get_u16(b, &len) != 0)
		return -1;
	if (len > max || len > buf_remaining(b)) {
		b->off -= 2;
		return -1;
	}
	*p = b->data + b->off;
	*n = len;
	b->off += len;
	return 0;
}
