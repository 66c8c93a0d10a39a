/* Bearer tokens and accessor ids; see token.h and docs/AUTH.md. */
#include "token.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>
#include "randid.h"
#include "secmem.h"

#define TOKEN_BODY_LEN (TOKEN_PREFIX_LEN + TOKEN_RANDOM_CHARS) /* what the CRC covers */

static const char token_b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static int
token_type_ok(enum token_type t)
{
	return t == TOKEN_SESSION || t == TOKEN_HELPER || t == TOKEN_BROKER;
}

/* Value of a base62 digit, or -1. */
static int
token_b62_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

/* CRC-32 (IEEE 802.3, as zlib): bitwise, since it runs once per token. */
static uint32_t
token_crc32(const char *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= (uint8_t)p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/*
 * Write the 256-bit big-endian number in[] as exactly TOKEN_RANDOM_CHARS
 * base62 digits, most significant first, by repeated long division by 62.
 * The work does not depend on the value (every pass visits every byte);
 * in[] is consumed (left zero).
 */
static void
token_b62_encode(uint8_t in[TOKEN_RANDOM_BYTES], char out[TOKEN_RANDOM_CHARS])
{
	unsigned rem, cur;
	size_t d, i;

	for (d = TOKEN_RANDOM_CHARS; d > 0; d--) {
		rem = 0;
		for (i = 0; i < TOKEN_RANDOM_BYTES; i++) {
			cur = (rem << 8) | in[i];
			in[i] = (uint8_t)(cur / 62);
			rem = cur % 62;
		}
		out[d - 1] = token_b62[rem];
	}
}

/* Write v as exactly TOKEN_CRC_CHARS base62 digits, most significant first. */
static void
token_crc_encode(uint32_t v, char out[TOKEN_CRC_CHARS])
{
	size_t d;

	for (d = TOKEN_CRC_CHARS; d > 0; d--) {
		out[d - 1] = token_b62[v % 62];
		v /= 62;
	}
}

int
token_new(enum token_type t, char *out, size_t cap)
{
	uint8_t rnd[TOKEN_RANDOM_BYTES];
	int r = -1;

	if (out == NULL || cap < TOKEN_SIZE || !token_type_ok(t))
		return -1;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	memcpy(out, "bos_", 4);
	out[4] = (char)t;
	out[5] = '_';
	token_b62_encode(rnd, out + TOKEN_PREFIX_LEN);
	token_crc_encode(token_crc32(out, TOKEN_BODY_LEN), out + TOKEN_BODY_LEN);
	out[TOKEN_LEN] = '\0';
	/* success */
	r = 0;
 out:
	secmem_wipe(rnd, sizeof(rnd));
	if (r != 0)
		secmem_wipe(out, cap);
	return r;
}

int
token_check(const char *s, enum token_type t)
{
	uint64_t crc = 0;
	size_t i;
	int v;

	if (s == NULL || !token_type_ok(t) || strnlen(s, TOKEN_LEN + 1) != TOKEN_LEN)
		return -1;
	/* The prefix is public by design. */
	if (memcmp(s, "bos_", 4) != 0 || s[4] != (char)t || s[5] != '_') /* not secret */
		return -1;
	for (i = TOKEN_PREFIX_LEN; i < TOKEN_BODY_LEN; i++)
		if (token_b62_value(s[i]) < 0)
			return -1;
	for (i = TOKEN_BODY_LEN; i < TOKEN_LEN; i++) {
		if ((v = token_b62_value(s[i])) < 0)
			return -1;
		crc = crc * 62 + (uint64_t)v; /* < 62^6 < 2^36: no overflow */
	}
	/* The checksum is part of what the client sent: comparing it reveals nothing new. */
	return crc == token_crc32(s, TOKEN_BODY_LEN) ? 0 : -1;
}

void
token_hash(const char *s, uint8_t out[static TOKEN_HASH_LEN])
{
	SHA256((const unsigned char *)s, strnlen(s, TOKEN_LEN + 1), out);
}

int
token_accessor_new(char *out, size_t cap)
{
	return randid_new(TOKEN_ACCESSOR_PREFIX, TOKEN_ACCESSOR_CHARS, out, cap);
}

int
token_accessor_valid(const char *s)
{
	return randid_valid(s, TOKEN_ACCESSOR_PREFIX, TOKEN_ACCESSOR_CHARS);
}
