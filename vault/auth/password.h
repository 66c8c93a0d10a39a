/*
 * Admin passwords: argon2id (t=3, m=64 MiB, p=1, 16-byte random salt, 32-byte
 * tag), stored as the encoded PHC string "$argon2id$v=19$m=65536,t=3,p=1$...".
 *
 * Each hash or verification takes about 0.3 s and 64 MiB, so at most
 * PASSWORD_CONCURRENT of them run at once in the process; further callers
 * wait their turn. Never call these while holding the database lock.
 */
#ifndef BOS_PASSWORD_H
#define BOS_PASSWORD_H

#include <stddef.h>
#include "compiler.h"
#include "err.h"

#define PASSWORD_MIN_CHARS 12     /* NIST SP 800-63B: at least 8; PCI 8.3.6: 12 */
#define PASSWORD_MAX_BYTES 1024   /* taken whole: never truncated */
#define PASSWORD_HASH_MAX 128     /* encoded PHC string with its NUL */
#define PASSWORD_CONCURRENT 2
#define PASSWORD_T_COST 3
#define PASSWORD_M_COST_KIB (64 * 1024)
#define PASSWORD_PARALLELISM 1
#define PASSWORD_SALT_LEN 16
#define PASSWORD_TAG_LEN 32

/*
 * Check a new password against the policy: at least PASSWORD_MIN_CHARS
 * characters (UTF-8 code points), at most PASSWORD_MAX_BYTES bytes, no NUL.
 * The message never quotes the password.
 */
int password_policy_check(const char *pw, size_t len, struct bos_err *err) BOS_WUR;

/* Hash pw (len bytes) into out (cap >= PASSWORD_HASH_MAX). 0 or -1. */
int password_hash(const char *pw, size_t len, char *out, size_t cap,
    struct bos_err *err) BOS_WUR;

/*
 * 1 when pw matches the encoded hash, 0 when it does not (or the hash is not
 * an argon2id string of ours), -1 on an internal error (out of memory).
 * A password longer than PASSWORD_MAX_BYTES never matches, but is still
 * hashed, so the answer takes as long as any other.
 */
int password_verify(const char *encoded, const char *pw, size_t len) BOS_WUR;

/*
 * One verification against a fixed hash of an unknown password, for sign-in
 * attempts with a name that does not exist: they take as long as real ones.
 */
void password_verify_dummy(const char *pw, size_t len);

/* The most hashes that ever ran at once in this process (tests). */
unsigned password_peak_concurrency(void);

/* How many argon2id runs (hash or verify) this process has done (tests). */
unsigned long password_hash_count(void);

/* The encoded dummy hash (tests check it uses the same parameters). */
const char *password_dummy_hash(void);

#endif
