/*
 * TOTP (RFC 6238) as authenticator apps and oathtool implement it:
 * HMAC-SHA1, 6 digits, 30-second steps from the Unix epoch. Pure functions
 * with no I/O; the caller supplies the seed (unwrapped just for the call)
 * and the time, and keeps the replay state (admin.c).
 */
#ifndef BOS_TOTP_H
#define BOS_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

#define TOTP_SEED_LEN 20      /* 160 bits (RFC 4226 recommends >= 160) */
#define TOTP_DIGITS 6
#define TOTP_PERIOD 30
#define TOTP_WINDOW 1         /* steps accepted either side of the current one */
#define TOTP_B32_LEN 32       /* base32 of 20 bytes, no padding */
#define TOTP_B32_SIZE (TOTP_B32_LEN + 1)
#define TOTP_URI_MAX 256

/* The step that Unix time t falls in (t < 0 counts as 0). */
uint64_t totp_step(int64_t t);

/*
 * The TOTP_DIGITS-digit code of step as text (zero-padded) and its NUL.
 * seed_len is 1..64. Returns 0 or -1.
 */
int totp_code(const uint8_t *seed, size_t seed_len, uint64_t step,
    char out[static TOTP_DIGITS + 1]) BOS_WUR;

/*
 * Is code (exactly TOTP_DIGITS ASCII digits) right for time now, within
 * TOTP_WINDOW steps either side? On a match returns 1 and sets *matched to
 * the latest matching step, which the caller must record so that the code
 * (and every earlier one) is never accepted again. Returns 0 on no match or
 * a malformed code, -1 on an internal error. Every step of the window is
 * computed and compared in constant time, match or not.
 */
int totp_verify(const uint8_t *seed, size_t seed_len, const char *code, int64_t now,
    uint64_t *matched) BOS_WUR;

/* RFC 4648 base32 (upper case, no padding) of n bytes into out. 0 or -1 if cap is short. */
int totp_base32(const uint8_t *in, size_t n, char *out, size_t cap) BOS_WUR;

/*
 * otpauth://totp/BOS:<account>?secret=<b32>&issuer=BOS&algorithm=SHA1&digits=6&period=30
 * account must be an admin name ([a-z0-9._-], nothing to escape). 0 or -1.
 */
int totp_uri(const char *account, const char *b32, char *out, size_t cap) BOS_WUR;

#endif
