/* TOTP (RFC 6238, HMAC-SHA1); see totp.h and docs/AUTH.md. */
#include "auth/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include "secmem.h"

#define TOTP_SEED_MAX 64
#define TOTP_MOD 1000000u /* 10^TOTP_DIGITS */

uint64_t
totp_step(int64_t t)
{
	return t < 0 ? 0 : (uint64_t)t / TOTP_PERIOD;
}

/* HOTP (RFC 4226 section 5.3): dynamic truncation of HMAC-SHA1(seed, counter). */
int
totp_code(const uint8_t *seed, size_t seed_len, uint64_t step, char out[static TOTP_DIGITS + 1])
{
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0, off;
	uint32_t bin;
	int i, r = -1;

	if (seed == NULL || seed_len == 0 || seed_len > TOTP_SEED_MAX)
		return -1;
	for (i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)step;
		step >>= 8;
	}
	if (HMAC(EVP_sha1(), seed, (int)seed_len, msg, sizeof(msg), mac, &mac_len) == NULL ||
	    mac_len != 20)
		goto out;
	off = mac[19] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	    ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	bin %= TOTP_MOD;
	for (i = TOTP_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + bin % 10);
		bin /= 10;
	}
	out[TOTP_DIGITS] = '\0';
	/* success */
	r = 0;
 out:
	secmem_wipe(mac, sizeof(mac));
	secmem_wipe(&bin, sizeof(bin));
	return r;
}

static int
totp_code_wellformed(const char *code)
{
	size_t i;

	if (code == NULL || strnlen(code, TOTP_DIGITS + 1) != TOTP_DIGITS)
		return 0;
	for (i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return 1;
}

int
totp_verify(const uint8_t *seed, size_t seed_len, const char *code, int64_t now,
    uint64_t *matched)
{
	char want[TOTP_DIGITS + 1];
	uint64_t step = totp_step(now), s, best = 0, mask;
	int found = 0, eq, r = -1;

	*matched = 0;
	if (!totp_code_wellformed(code))
		return 0;
	/* Oldest to newest, so the latest matching step wins; no early exit. */
	for (s = (step >= TOTP_WINDOW ? step - TOTP_WINDOW : 0); s <= step + TOTP_WINDOW; s++) {
		if (totp_code(seed, seed_len, s, want) != 0)
			goto out;
		eq = secmem_equal(want, code, TOTP_DIGITS);
		mask = 0 - (uint64_t)(eq & 1);
		best = (s & mask) | (best & ~mask);
		found |= eq;
	}
	*matched = best;
	/* success */
	r = found;
 out:
	secmem_wipe(want, sizeof(want));
	return r;
}

int
totp_base32(const uint8_t *in, size_t n, char *out, size_t cap)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t chars, i, bit;
	unsigned v;

	/* ceil(n * 8 / 5) characters, checked for overflow. */
	if (__builtin_mul_overflow(n, 8, &bit) || __builtin_add_overflow(bit, 4, &bit))
		return -1;
	chars = bit / 5;
	if (cap == 0 || chars > cap - 1)
		return -1;
	for (i = 0; i < chars; i++) {
		bit = i * 5;
		v = (unsigned)in[bit / 8] << 8;
		if (bit / 8 + 1 < n)
			v |= in[bit / 8 + 1];
		out[i] = alphabet[(v >> (11 - bit % 8)) & 31];
	}
	out[chars] = '\0';
	return 0;
}

int
totp_uri(const char *account, const char *b32, char *out, size_t cap)
{
	int n;

	n = snprintf(out, cap, "otpauth://totp/BOS:%s?secret=%s&issuer=BOS&algorithm=SHA1"
	    "&digits=%d&period=%d", account, b32, TOTP_DIGITS, TOTP_PERIOD);
	if (n < 0 || (size_t)n >= cap) {
		secmem_wipe(out, cap);
		return -1;
	}
	return 0;
}
