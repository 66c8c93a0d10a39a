/* argon2id password hashing; see password.h and docs/AUTH.md. */
#include "auth/password.h"

#include <argon2.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "secmem.h"

/*
 * A hash of 32 random bytes that were thrown away, made with exactly the
 * parameters above (a unit test checks the prefix). Unknown names are
 * verified against it so that they cost what a real account costs.
 */
static const char password_dummy[] =
    "$argon2id$v=19$m=65536,t=3,p=1$DoOEzdB79AgPnkyjiF0rLQ$"
    "fQLK6EGjqVM9YhyYMQQfPm5P/0Pxp9g6tnwC3FFyRDk";

/*
 * The limit on concurrent hashes is process-wide state, the one exception to
 * "no mutable globals beyond the context struct": it protects the process's
 * memory (64 MiB per hash) whichever caller or context asks, and a static
 * initialiser means it can neither fail nor be forgotten.
 */
static pthread_mutex_t password_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t password_cv = PTHREAD_COND_INITIALIZER;
static unsigned password_running;
static unsigned password_peak;     /* most ever running at once, for tests */
static unsigned long password_hashes; /* argon2 runs so far, for tests */

static void
password_slot_take(void)
{
	if (pthread_mutex_lock(&password_mu) != 0)
		abort();
	while (password_running >= PASSWORD_CONCURRENT)
		if (pthread_cond_wait(&password_cv, &password_mu) != 0)
			abort();
	password_running++;
	password_hashes++;
	if (password_running > password_peak)
		password_peak = password_running;
	if (pthread_mutex_unlock(&password_mu) != 0)
		abort();
}

static void
password_slot_give(void)
{
	if (pthread_mutex_lock(&password_mu) != 0)
		abort();
	password_running--;
	if (pthread_cond_signal(&password_cv) != 0 || pthread_mutex_unlock(&password_mu) != 0)
		abort();
}

/* Count UTF-8 code points: every byte that is not a continuation byte. */
static size_t
password_chars(const char *pw, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((uint8_t)pw[i] & 0xc0) != 0x80;
	return n;
}

int
password_policy_check(const char *pw, size_t len, struct bos_err *err)
{
	if (pw == NULL || memchr(pw, '\0', len) != NULL)
		return bos_err_set(err, BOS_E_INVALID, "the password must be text without NUL "
		    "characters");
	if (len > PASSWORD_MAX_BYTES)
		return bos_err_set(err, BOS_E_INVALID, "the password must be at most %d bytes",
		    PASSWORD_MAX_BYTES);
	if (password_chars(pw, len) < PASSWORD_MIN_CHARS)
		return bos_err_set(err, BOS_E_INVALID, "the password must be at least %d "
		    "characters long", PASSWORD_MIN_CHARS);
	return 0;
}

int
password_hash(const char *pw, size_t len, char *out, size_t cap, struct bos_err *err)
{
	uint8_t salt[PASSWORD_SALT_LEN];
	int rc, r = -1;

	if (password_policy_check(pw, len, err) != 0)
		return -1;
	if (cap < PASSWORD_HASH_MAX)
		return bos_err_set(err, BOS_E_INVALID, "password hash buffer too small");
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	password_slot_take();
	rc = argon2id_hash_encoded(PASSWORD_T_COST, PASSWORD_M_COST_KIB, PASSWORD_PARALLELISM,
	    pw, len, salt, sizeof(salt), PASSWORD_TAG_LEN, out, cap);
	password_slot_give();
	if (rc != ARGON2_OK) {
		bos_err_set(err, rc == ARGON2_MEMORY_ALLOCATION_ERROR ? BOS_E_NOMEM : BOS_E_INVALID,
		    "cannot hash the password: %s", argon2_error_message(rc));
		goto out;
	}
	/* success */
	r = 0;
 out:
	secmem_wipe(salt, sizeof(salt));
	if (r != 0)
		secmem_wipe(out, cap);
	return r;
}

/* One argon2id verification inside a hashing slot; the raw libargon2 result. */
static int
password_verify_raw(const char *encoded, const char *pw, size_t len)
{
	int rc;

	password_slot_take();
	rc = argon2id_verify(encoded, pw, len);
	password_slot_give();
	return rc;
}

int
password_verify(const char *encoded, const char *pw, size_t len)
{
	int rc;

	if (pw == NULL)
		pw = "";
	if (len > PASSWORD_MAX_BYTES) {
		password_verify_dummy(pw, PASSWORD_MAX_BYTES);
		return 0;
	}
	rc = password_verify_raw(encoded, pw, len);
	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	/* A stored hash that does not decode is damage, not a wrong password. */
	log_err("password verification failed: %s", argon2_error_message(rc));
	return -1;
}

void
password_verify_dummy(const char *pw, size_t len)
{
	if (pw == NULL || len > PASSWORD_MAX_BYTES) {
		pw = "";
		len = 0;
	}
	(void)password_verify_raw(password_dummy, pw, len);
}

unsigned
password_peak_concurrency(void)
{
	unsigned n;

	if (pthread_mutex_lock(&password_mu) != 0)
		abort();
	n = password_peak;
	if (pthread_mutex_unlock(&password_mu) != 0)
		abort();
	return n;
}

unsigned long
password_hash_count(void)
{
	unsigned long n;

	if (pthread_mutex_lock(&password_mu) != 0)
		abort();
	n = password_hashes;
	if (pthread_mutex_unlock(&password_mu) != 0)
		abort();
	return n;
}

const char *
password_dummy_hash(void)
{
	return password_dummy;
}
