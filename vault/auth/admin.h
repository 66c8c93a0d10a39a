/*
 * Admin accounts: storage and sign-in logic, no HTTP (docs/AUTH.md).
 *
 * An admin has a name, an argon2id password hash (password.h), a TOTP seed
 * wrapped by the HSM KEK (totp.h), ten one-time recovery codes stored as
 * SHA-256 hashes, and lockout state. Sign-in decisions come back as an
 * outcome (full, password only, bad, locked, disabled) that the HTTP layer
 * turns into a session or an error; this module never sees a session.
 *
 * Locking: every function here takes the database lock itself (through the
 * hooks in admin_ctx) around each database step, and never holds it while
 * hashing a password or waiting for the HSM. Callers must not hold it.
 *
 * Time: functions take the current Unix time (now) so that tests can move
 * it; the vault passes vault_now() (vault.h), which a step of the system
 * clock does not move, and the wall clock for TOTP codes (totp_now).
 */
#ifndef BOS_ADMIN_H
#define BOS_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "auth/totp.h"

struct store;
struct hsm_client;
struct metrics;

#define ADMIN_ID_PREFIX "ad_"
#define ADMIN_ID_LEN 29               /* "ad_" + 26 base32 characters: 128 random bits */
#define ADMIN_ID_SIZE (ADMIN_ID_LEN + 1)
#define ADMIN_NAME_MAX 64             /* [a-z0-9._-]{1,64} */
#define ADMIN_RECOVERY_CODES 10
#define ADMIN_RECOVERY_LEN 19         /* xxxx-xxxx-xxxx-xxxx: 80 random bits in base32 */
#define ADMIN_RECOVERY_SIZE (ADMIN_RECOVERY_LEN + 1)

struct admin_policy {
	uint32_t lockout_failures;    /* failures (since the last lock or success) that lock */
	uint32_t lockout_seconds;     /* how long a lock lasts */
	uint32_t disable_failures;    /* consecutive failures that disable until a reset */
};

struct admin_ctx {
	struct store *store;
	struct hsm_client *hsm;
	uint32_t kek_version;         /* KEK that wraps new TOTP seeds */
	struct admin_policy policy;
	struct metrics *metrics;      /* lockouts are counted here; may be NULL */
	/*
	 * The time TOTP codes are checked at: the wall clock, which the admin's
	 * authenticator app shares; 0: the now passed in. Lockouts use now, the
	 * vault's clock that a step of the system clock does not move.
	 */
	int64_t totp_now;
	/* The vault's database lock; NULL hooks for single-threaded use (tests). */
	void (*db_lock)(void *arg);
	void (*db_unlock)(void *arg);
	void *lock_arg;
};

/* What a new admin is shown once, and never again. Wipe with admin_secrets_wipe(). */
struct admin_secrets {
	char id[ADMIN_ID_SIZE];
	char totp_secret[TOTP_B32_SIZE];  /* base32, for manual entry */
	char totp_uri[TOTP_URI_MAX];      /* otpauth://, for a QR code */
	char recovery[ADMIN_RECOVERY_CODES][ADMIN_RECOVERY_SIZE];
};

void admin_secrets_wipe(struct admin_secrets *s);

/* 1 when name is 1..64 of [a-z0-9._-], else 0. */
int admin_name_valid(const char *name);

/*
 * Create the first admin. Fails with BOS_E_EXISTS when any admin exists
 * (checked again inside the inserting transaction, so two concurrent calls
 * cannot both succeed), BOS_E_INVALID for a bad name or password.
 * admin_new_check + admin_new_prepare + admin_new_store with first = 1.
 */
int admin_create_first(struct admin_ctx *c, const char *name, const char *password,
    size_t password_len, int64_t now, struct admin_secrets *out, struct bos_err *err) BOS_WUR;

/*
 * A new admin in three steps, so that a caller can hold the database lock
 * (and its audit transaction) only around the last one:
 *   admin_new_check    name and password rules, and BOS_E_EXISTS when
 *                      first and any admin exists, or when the name is taken;
 *   admin_new_prepare  no lock: the argon2id hash, a TOTP seed from the HSM
 *                      wrapped by the KEK, ten recovery codes; *out receives
 *                      what the new admin is shown once;
 *   admin_new_store    takes the lock (nesting in the caller's transaction)
 *                      and inserts, checking again what admin_new_check did.
 */
#define ADMIN_NEW_SEED_LEN 48         /* IV + 20-byte seed + tag */
#define ADMIN_NEW_CODE_HASH_LEN 32    /* SHA-256 */
struct admin_new {
	char pw_hash[128];            /* PASSWORD_HASH_MAX */
	uint8_t seed_wrapped[ADMIN_NEW_SEED_LEN];
	uint8_t code_hash[ADMIN_RECOVERY_CODES][ADMIN_NEW_CODE_HASH_LEN];
};

int admin_new_check(struct admin_ctx *c, const char *name, const char *password,
    size_t password_len, int first, struct bos_err *err) BOS_WUR;
int admin_new_prepare(struct admin_ctx *c, const char *name, const char *password,
    size_t password_len, struct admin_new *nw, struct admin_secrets *out,
    struct bos_err *err) BOS_WUR;
int admin_new_store(struct admin_ctx *c, const char *name, const struct admin_new *nw,
    const char *id, int64_t now, int first, struct bos_err *err) BOS_WUR;
void admin_new_wipe(struct admin_new *nw);

enum admin_outcome {
	ADMIN_OK_FULL = 1,   /* password and a second factor (TOTP or recovery code) right */
	ADMIN_OK_PASSWORD,   /* password right, no second factor given yet */
	ADMIN_BAD,           /* unknown name, wrong password, code, replay: counted */
	ADMIN_LOCKED,        /* locked: nothing was checked or counted */
	ADMIN_DISABLED,      /* disabled: only password + recovery code or a reset help */
};

struct admin_login {
	const char *name;
	const char *password;
	size_t password_len;
	const char *totp;            /* six digits, or NULL */
	const char *recovery_code;   /* xxxx-xxxx-xxxx-xxxx, or NULL (not with totp) */
};

struct admin_result {
	enum admin_outcome outcome;
	char id[ADMIN_ID_SIZE];          /* set unless the name is unknown */
	char name[ADMIN_NAME_MAX + 1];
	uint32_t retry_after;            /* ADMIN_LOCKED: seconds until the lock ends */
	int locked_now;                  /* this failure locked the account */
	int disabled_now;                /* this failure disabled the account */
	int recovered;                   /* a recovery code was consumed */
	int replayed;                    /* ADMIN_BAD: the TOTP code was right but its step was
	                                  * used before (a replay), not a wrong code */
};

/*
 * Sign in with name and password, and optionally a TOTP code or a recovery
 * code. Returns 0 with res->outcome set, or -1 on an internal error (database,
 * HSM) with err set; a wrong password is an outcome, not an error.
 */
int admin_login(struct admin_ctx *c, const struct admin_login *in, int64_t now,
    struct admin_result *res, struct bos_err *err) BOS_WUR;

/*
 * The TOTP step after a password-only sign-in of admin_id. Same returns.
 * Also the check of a fresh code that a signed-in admin gives to confirm an
 * action (adding an admin, approving, picking a token up): the code's step
 * must be later than every step this admin used before, sign-ins included,
 * and a wrong or replayed code counts toward the lockout like a failed
 * sign-in (res->replayed tells the two apart).
 */
int admin_second_factor(struct admin_ctx *c, const char *admin_id, const char *totp,
    int64_t now, struct admin_result *res, struct bos_err *err) BOS_WUR;

/*
 * Clear the lock, the failure counts and the disabled flag of the admin
 * called name; id_out receives its id (to end its sessions). BOS_E_NOTFOUND.
 */
int admin_reset(struct admin_ctx *c, const char *name, char id_out[ADMIN_ID_SIZE],
    struct bos_err *err) BOS_WUR;

struct admin_info {
	char id[ADMIN_ID_SIZE];
	char name[ADMIN_NAME_MAX + 1];
	int64_t created_at;
	int64_t locked_until;        /* Unix seconds; <= now: not locked */
	uint32_t failures;
	uint32_t consecutive_failures;
	int disabled;
	uint32_t recovery_codes_left;
};

/* Call cb for each admin by name; cb returns non-zero to stop (not an error). */
int admin_list(struct admin_ctx *c, int (*cb)(const struct admin_info *, void *), void *arg,
    struct bos_err *err) BOS_WUR;

/* Number of admins. */
int admin_count(struct admin_ctx *c, int64_t *n, struct bos_err *err) BOS_WUR;

#endif
