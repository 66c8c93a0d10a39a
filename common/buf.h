/*
 * A bounded buffer for untrusted bytes (STYLE.md habit 3). Writes fail past a
 * hard maximum fixed at creation; reads are checked getters that fail rather
 * than run past the end. Freeing wipes the contents.
 */
#ifndef BOS_BUF_H
#define BOS_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

struct buf {
	uint8_t *data;
	size_t len;  /* bytes written */
	size_t off;  /* read position */
	size_t max;  /* hard limit on len */
	size_t cap;  /* bytes allocated: max, or less for a buffer made by buf_init_grow */
};

/* Empty buffer that may grow to max bytes, all allocated now. Returns 0 or -1. */
int buf_init(struct buf *b, size_t max) BOS_WUR;
/*
 * Empty buffer that may grow to max bytes, allocated as bytes arrive (a
 * copy that at least doubles; the old copy is wiped), so that a peer that
 * announces max bytes and sends few holds only what it sent. Cannot fail.
 */
void buf_init_grow(struct buf *b, size_t max);
/* Wipe and release. Safe on a zeroed or already freed buffer. */
void buf_free(struct buf *b);
/* Forget contents (wiped), keep the allocation. */
void buf_reset(struct buf *b);

int buf_put(struct buf *b, const void *p, size_t n) BOS_WUR;
int buf_put_u8(struct buf *b, uint8_t v) BOS_WUR;
int buf_put_u16(struct buf *b, uint16_t v) BOS_WUR;
int buf_put_u32(struct buf *b, uint32_t v) BOS_WUR;
/* u16 length prefix then bytes. */
int buf_put_str16(struct buf *b, const void *p, size_t n) BOS_WUR;

size_t buf_remaining(const struct buf *b);
int buf_get(struct buf *b, void *p, size_t n) BOS_WUR;
int buf_get_u8(struct buf *b, uint8_t *v) BOS_WUR;
int buf_get_u16(struct buf *b, uint16_t *v) BOS_WUR;
int buf_get_u32(struct buf *b, uint32_t *v) BOS_WUR;
/*
 * Read a u16 length prefix then point *p at that many bytes inside the buffer
 * (no copy); fails if the length exceeds max or the bytes left.
 */
int buf_get_str16(struct buf *b, const uint8_t **p, size_t *n, size_t max) BOS_WUR;

#endif
