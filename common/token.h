/*
 * Bearer tokens shared by the vault, bosctl and brokers:
 *
 *     bos_<t>_<43 base62: 256 random bits><6 base62: CRC-32 of all before>
 *
 * t is 's' (admin session), 'h' (helper) or 'b' (broker). The type prefix and
 * the checksum let secret scanners recognise a leaked token and let a typo be
 * refused before any lookup; they add no secrecy. Tokens are stored only as
 * their SHA-256 (token_hash) and never logged: logs and the audit trail name
 * a token by its public accessor id ("acc_" + 20 base32 characters), which is
 * random and unrelated to the token.
 */
#ifndef BOS_TOKEN_H
#define BOS_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

enum token_type { TOKEN_SESSION = 's', TOKEN_HELPER = 'h', TOKEN_BROKER = 'b' };

#define TOKEN_PREFIX_LEN 6          /* "bos_s_" */
#define TOKEN_RANDOM_BYTES 32       /* 256 bits */
#define TOKEN_RANDOM_CHARS 43       /* 62^43 > 2^256 */
#define TOKEN_CRC_CHARS 6           /* 62^6 > 2^32 */
#define TOKEN_LEN (TOKEN_PREFIX_LEN + TOKEN_RANDOM_CHARS + TOKEN_CRC_CHARS)
#define TOKEN_SIZE (TOKEN_LEN + 1)  /* with the NUL */
#define TOKEN_HASH_LEN 32           /* SHA-256 */

#define TOKEN_ACCESSOR_PREFIX "acc_"
#define TOKEN_ACCESSOR_CHARS 20     /* 100 random bits, lowercase base32 */
#define TOKEN_ACCESSOR_LEN (sizeof(TOKEN_ACCESSOR_PREFIX) - 1 + TOKEN_ACCESSOR_CHARS)
#define TOKEN_ACCESSOR_SIZE (TOKEN_ACCESSOR_LEN + 1)

/*
 * Write a new token of type t and its NUL into out (cap >= TOKEN_SIZE).
 * Returns 0, or -1 when cap is too small, t is unknown or the CSPRNG fails.
 * The caller wipes out when done with it.
 */
int token_new(enum token_type t, char *out, size_t cap) BOS_WUR;

/*
 * 0 when s is a well-formed token of type t: prefix, length, base62
 * characters and checksum all right; -1 otherwise. It says nothing about
 * whether the token exists. Reads at most TOKEN_LEN + 1 bytes of s.
 */
int token_check(const char *s, enum token_type t) BOS_WUR;

/* SHA-256 of the token text: the only form in which tokens are stored. */
void token_hash(const char *s, uint8_t out[static TOKEN_HASH_LEN]);

/* A new random accessor id and its NUL (cap >= TOKEN_ACCESSOR_SIZE). 0 or -1. */
int token_accessor_new(char *out, size_t cap) BOS_WUR;

/* 1 when s has the form of an accessor id, else 0. */
int token_accessor_valid(const char *s);

#endif
