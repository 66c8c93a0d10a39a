/*
 * Unit tests for vault/auth/admin.c and vault/auth/password.c: admin accounts against a
 * real bos-hsmd on a fresh SoftHSM token (tests/unit/support/hsm_fixture.c)
 * and a real SQLCipher database in a temporary directory. Time is passed in,
 * so locks expire without sleeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "auth/admin.h"
#include "auth/password.h"
#include "store/store.h"
#include "auth/totp.h"
#include "hsm_fixture.h"
#include "store_fixture.h"
#include "secmem.h"

#define T0 1700000000LL       /* a fixed "now" */
#define PW "correct horse battery staple"
#define NAME "alice"

static struct hsm_fixture fx;

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *store;
	pthread_mutex_t mu;
	struct admin_ctx ac;
	struct admin_secrets sec;
	uint8_t seed[TOTP_SEED_LEN];
};

static void
test_lock(void *arg)
{
	assert_int_equal(pthread_mutex_lock(arg), 0);
}

static void
test_unlock(void *arg)
{
	assert_int_equal(pthread_mutex_unlock(arg), 0);
}

static int
group_setup(void **state)
{
	(void)state;
	return hsm_fixture_setup(&fx);
}

static int
group_teardown(void **state)
{
	(void)state;
	hsm_fixture_teardown(&fx);
	return 0;
}

static int
setup(void **state)
{
	struct test_ctx *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	if (store_fixture_open("admin", 0x40, t->dir, sizeof(t->dir), t->path,
	    sizeof(t->path), &t->store) != 0)
		return -1;
	pthread_mutex_init(&t->mu, NULL);
	t->ac.store = t->store;
	t->ac.hsm = fx.hsm;
	t->ac.kek_version = 1;
	t->ac.policy = (struct admin_policy){ 3, 60, 5 };
	t->ac.db_lock = test_lock;
	t->ac.db_unlock = test_unlock;
	t->ac.lock_arg = &t->mu;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct test_ctx *t = *state;

	store_fixture_remove(t->store, t->dir);
	pthread_mutex_destroy(&t->mu);
	secmem_wipe(t, sizeof(*t));
	free(t);
	return 0;
}

/* ---- helpers ---- */

/* RFC 4648 base32 decode of the admin's TOTP secret (upper case, no padding). */
static size_t
b32_decode(const char *s, uint8_t *out, size_t cap)
{
	unsigned acc = 0, bits = 0;
	size_t n = 0;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", *q = strchr(a, *p);

		assert_non_null(q);
		acc = (acc << 5) | (unsigned)(q - a);
		bits += 5;
		if (bits >= 8) {
			assert_true(n < cap);
			out[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return n;
}

static void
create_admin(struct test_ctx *t)
{
	struct bos_err err = { 0 };

	if (admin_create_first(&t->ac, NAME, PW, strlen(PW), T0, &t->sec, &err) != 0)
		fail_msg("admin_create_first: %s", err.msg);
	assert_int_equal(b32_decode(t->sec.totp_secret, t->seed, sizeof(t->seed)), TOTP_SEED_LEN);
}

static void
code_at(struct test_ctx *t, int64_t now, int step_delta, char code[TOTP_DIGITS + 1])
{
	assert_int_equal(totp_code(t->seed, sizeof(t->seed),
	    totp_step(now) + (uint64_t)(int64_t)step_delta, code), 0);
}

/* Sign in and return the outcome (failing the test on an internal error). */
static enum admin_outcome
login(struct test_ctx *t, const char *pw, const char *totp, const char *rc, int64_t now,
    struct admin_result *res)
{
	struct admin_login in = { NAME, pw, strlen(pw), totp, rc };
	struct admin_result local;
	struct bos_err err = { 0 };

	if (res == NULL)
		res = &local;
	if (admin_login(&t->ac, &in, now, res, &err) != 0)
		fail_msg("admin_login: %s", err.msg);
	return res->outcome;
}

static int64_t
col_int(struct test_ctx *t, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(store_db(t->store), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* ---- passwords ---- */

static void
test_password_policy(void **state)
{
	char big[PASSWORD_MAX_BYTES + 2];
	struct bos_err err = { 0 };

	(void)state;
	assert_int_equal(password_policy_check("elevenchars", 11, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_null(strstr(err.msg, "elevenchars"));
	assert_int_equal(password_policy_check("twelve chars", 12, &err), 0);
	/* Characters, not bytes: 11 two-byte letters are 22 bytes and still too short. */
	assert_int_equal(password_policy_check("ééééééééééé", 22, &err), -1);
	assert_int_equal(password_policy_check("éééééééééééé", 24, &err), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(password_policy_check(big, PASSWORD_MAX_BYTES, &err), 0);
	assert_int_equal(password_policy_check(big, PASSWORD_MAX_BYTES + 1, &err), -1);
	assert_int_equal(password_policy_check("with a \0 NUL inside", 19, &err), -1);
}

static void
test_password_hash_verify_no_truncation(void **state)
{
	char a[PASSWORD_MAX_BYTES], b[PASSWORD_MAX_BYTES], h[PASSWORD_HASH_MAX];
	struct bos_err err = { 0 };

	(void)state;
	memset(a, 'p', sizeof(a));
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 1] = 'q'; /* differs in the very last byte */
	assert_int_equal(password_hash(a, sizeof(a), h, sizeof(h), &err), 0);
	assert_int_equal(strncmp(h, "$argon2id$v=19$m=65536,t=3,p=1$", 31), 0);
	assert_int_equal(password_verify(h, a, sizeof(a)), 1);
	assert_int_equal(password_verify(h, b, sizeof(b)), 0);
	assert_int_equal(password_verify(h, a, sizeof(a) - 1), 0);
	/* Longer than the maximum never matches (and is not cut to match). */
	{
		char longer[PASSWORD_MAX_BYTES + 1];

		memcpy(longer, a, sizeof(a));
		longer[PASSWORD_MAX_BYTES] = 'p';
		assert_int_equal(password_verify(h, longer, sizeof(longer)), 0);
	}
	/* The dummy hash has the same cost, so unknown names take as long. */
	assert_int_equal(strncmp(password_dummy_hash(), h, 31), 0);
	/* A damaged stored hash is an error, not a silent mismatch. */
	assert_int_equal(password_verify("$argon2id$v=19$m=65536,t=3,p=1$garbage", a, 12), -1);
	/* Two hashes of one password differ (random salt). */
	{
		char h2[PASSWORD_HASH_MAX];

		assert_int_equal(password_hash(a, sizeof(a), h2, sizeof(h2), &err), 0);
		assert_string_not_equal(h, h2);
	}
}

static pthread_barrier_t hash_go;

static void *
hash_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&hash_go);
	password_verify_dummy("some password guess", 19);
	return NULL;
}

/* Five sign-ins at once: never more than PASSWORD_CONCURRENT hashes (64 MiB each) run. */
static void
test_password_concurrency_capped(void **state)
{
	pthread_t th[5];
	int i;

	(void)state;
	pthread_barrier_init(&hash_go, NULL, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hash_thread, NULL), 0);
	for (i = 0; i < 5; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&hash_go);
	assert_int_equal(password_peak_concurrency(), PASSWORD_CONCURRENT);
}

/* ---- creation ---- */

static int
is_code(const char *c)
{
	size_t i;

	if (strlen(c) != ADMIN_RECOVERY_LEN)
		return 0;
	for (i = 0; i < ADMIN_RECOVERY_LEN; i++) {
		if (i % 5 == 4) {
			if (c[i] != '-')
				return 0;
		} else if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= '2' && c[i] <= '7'))) {
			return 0;
		}
	}
	return 1;
}

static void
test_create_first_admin(void **state)
{
	struct test_ctx *t = *state;
	struct admin_secrets again;
	struct bos_err err = { 0 };
	char want[TOTP_URI_MAX];
	int64_t n = -1;
	size_t i, j;

	assert_int_equal(admin_count(&t->ac, &n, &err), 0);
	assert_int_equal(n, 0);
	create_admin(t);
	assert_int_equal(admin_count(&t->ac, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(t->sec.id), ADMIN_ID_LEN);
	assert_memory_equal(t->sec.id, "ad_", 3);
	assert_int_equal(strlen(t->sec.totp_secret), TOTP_B32_LEN);
	snprintf(want, sizeof(want), "otpauth://totp/BOS:alice?secret=%s&issuer=BOS"
	    "&algorithm=SHA1&digits=6&period=30", t->sec.totp_secret);
	assert_string_equal(t->sec.totp_uri, want);
	for (i = 0; i < ADMIN_RECOVERY_CODES; i++) {
		assert_true(is_code(t->sec.recovery[i]));
		for (j = 0; j < i; j++)
			assert_string_not_equal(t->sec.recovery[i], t->sec.recovery[j]);
	}
	/* Stored: the PHC string, a 48-byte wrapped seed, ten 32-byte code hashes. */
	assert_int_equal(col_int(t, "SELECT count(*) FROM admins WHERE pw_hash LIKE "
	    "'$argon2id$v=19$m=65536,t=3,p=1$%'"), 1);
	assert_int_equal(col_int(t, "SELECT length(totp_seed_wrapped) FROM admins"), 48);
	assert_int_equal(col_int(t, "SELECT count(*) FROM recovery_codes WHERE length(code_hash) = 32"
	    " AND used_at IS NULL"), 10);
	/* A second first admin is refused, whatever its name. */
	assert_int_equal(admin_create_first(&t->ac, "bob", PW, strlen(PW), T0, &again, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_string_equal(again.id, "");
	assert_int_equal(col_int(t, "SELECT count(*) FROM admins"), 1);
}

static void
test_create_validation(void **state)
{
	static const char *const bad_names[] = { "", "Alice", "al ice", "al/ice", "al\nice",
	    "ålice", "alice;", NULL };
	struct test_ctx *t = *state;
	struct admin_secrets s;
	struct bos_err err = { 0 };
	char n64[66];
	size_t i;

	memset(n64, 'a', 65);
	n64[65] = '\0';
	assert_false(admin_name_valid(n64)); /* 65 */
	assert_int_equal(admin_create_first(&t->ac, n64, PW, strlen(PW), T0, &s, &err), -1);
	n64[64] = '\0';
	assert_true(admin_name_valid(n64));  /* 64 */
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		assert_int_equal(admin_create_first(&t->ac, bad_names[i], PW, strlen(PW), T0, &s,
		    &err), -1);
		assert_int_equal(err.code, BOS_E_INVALID);
	}
	assert_int_equal(admin_create_first(&t->ac, NAME, "short pw", 8, T0, &s, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_null(strstr(err.msg, "short pw"));
	assert_int_equal(col_int(t, "SELECT count(*) FROM admins"), 0);
	assert_true(admin_name_valid("a.b-c_9"));
}

/* Neither the password, the seed nor a recovery code is anywhere in the files. */
static void
test_secrets_not_in_files(void **state)
{
	struct test_ctx *t = *state;
	struct bos_err err = { 0 };
	const char *needles[ADMIN_RECOVERY_CODES + 3];
	char p[600], buf[1 << 16];
	struct dirent *de;
	size_t i, n;
	DIR *d;
	FILE *f;

	create_admin(t);
	assert_int_equal(store_checkpoint(t->store, &err), 0);
	needles[0] = PW;
	needles[1] = t->sec.totp_secret;
	needles[2] = (const char *)t->seed; /* not NUL-terminated: compared by length below */
	for (i = 0; i < ADMIN_RECOVERY_CODES; i++)
		needles[3 + i] = t->sec.recovery[i];
	assert_non_null(d = opendir(t->dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->dir, de->d_name);
		assert_non_null(f = fopen(p, "rb"));
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			for (i = 0; i < ADMIN_RECOVERY_CODES + 3; i++) {
				size_t len = i == 2 ? TOTP_SEED_LEN : strlen(needles[i]);

				if (memmem(buf, n, needles[i], len) != NULL)
					fail_msg("secret %zu found in %s", i, de->d_name);
			}
		fclose(f);
	}
	closedir(d);
}

/* ---- sign-in ---- */

static void
test_login_states(void **state)
{
	struct test_ctx *t = *state;
	struct admin_result res;
	char c0[TOTP_DIGITS + 1], c1[TOTP_DIGITS + 1];
	struct admin_login in = { "nobody", PW, strlen(PW), NULL, NULL };
	struct bos_err err = { 0 };

	create_admin(t);
	code_at(t, T0, 0, c0);
	code_at(t, T0, 1, c1);
	assert_int_equal(login(t, PW, NULL, NULL, T0, &res), ADMIN_OK_PASSWORD);
	assert_string_equal(res.id, t->sec.id);
	assert_string_equal(res.name, NAME);
	assert_int_equal(login(t, "wrong password!", NULL, NULL, T0, NULL), ADMIN_BAD);
	assert_int_equal(login(t, "wrong password!", c0, NULL, T0, NULL), ADMIN_BAD);
	/* Password + TOTP: full. */
	assert_int_equal(login(t, PW, c0, NULL, T0, NULL), ADMIN_OK_FULL);
	/* Unknown names are refused the same way, after as long a wait. */
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_BAD);
	assert_string_equal(res.id, "");
	in.name = "Not A Valid Name";
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_BAD);
	/* Both a TOTP and a recovery code: refused as a bad request. */
	in.name = NAME;
	in.totp = c1;
	in.recovery_code = t->sec.recovery[0];
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	/* A wrong TOTP with the right password is a failure. */
	c1[0] = c1[0] == '9' ? '0' : (char)(c1[0] + 1);
	assert_int_equal(login(t, PW, c1, NULL, T0, NULL), ADMIN_BAD);
	assert_int_equal(col_int(t, "SELECT consecutive_failures FROM admins"), 1);
}

/* An unknown name costs as much as a wrong password for a real one (one argon2id). */
/*
 * An unknown name costs one argon2id run, like a known one, so the answer's
 * timing does not tell which names exist. Counted, not timed: a timing
 * assertion would be flaky on a shared machine.
 */
static void
test_unknown_name_costs_a_hash(void **state)
{
	struct test_ctx *t = *state;
	struct admin_login in = { "nobody", "wrong password!!", 16, NULL, NULL };
	struct admin_result res;
	struct bos_err err = { 0 };
	unsigned long before;

	t->ac.policy.lockout_failures = 10;
	create_admin(t);
	before = password_hash_count();
	assert_int_equal(login(t, "wrong password!!", NULL, NULL, T0, NULL), ADMIN_BAD);
	assert_int_equal(password_hash_count() - before, 1);
	before = password_hash_count();
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_BAD);
	assert_int_equal(password_hash_count() - before, 1);
}

static void
test_totp_replay_refused(void **state)
{
	struct test_ctx *t = *state;
	char prev[TOTP_DIGITS + 1], cur[TOTP_DIGITS + 1], next[TOTP_DIGITS + 1];
	struct admin_result res;
	struct bos_err err = { 0 };

	t->ac.policy.lockout_failures = 10;
	create_admin(t);
	code_at(t, T0, -1, prev);
	code_at(t, T0, 0, cur);
	code_at(t, T0, 1, next);
	assert_int_equal(login(t, PW, cur, NULL, T0, NULL), ADMIN_OK_FULL);
	assert_int_equal(col_int(t, "SELECT totp_last_step FROM admins"), (int64_t)totp_step(T0));
	/* The same code again, even a few seconds later: refused and counted. */
	assert_int_equal(login(t, PW, cur, NULL, T0 + 5, NULL), ADMIN_BAD);
	assert_int_equal(col_int(t, "SELECT failures FROM admins"), 1);
	/* An older code, still inside the window: refused too. */
	assert_int_equal(login(t, PW, prev, NULL, T0, NULL), ADMIN_BAD);
	/* The next step's code is fresh. */
	assert_int_equal(login(t, PW, next, NULL, T0, NULL), ADMIN_OK_FULL);
	assert_int_equal(col_int(t, "SELECT failures FROM admins"), 0);
	/* The second-factor step after a password-only sign-in follows the same rule. */
	code_at(t, T0 + 60, 0, cur);
	assert_int_equal(admin_second_factor(&t->ac, t->sec.id, cur, T0 + 60, &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_OK_FULL);
	assert_int_equal(admin_second_factor(&t->ac, t->sec.id, cur, T0 + 60, &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_BAD);
	assert_int_equal(admin_second_factor(&t->ac, t->sec.id, NULL, T0 + 60, &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_BAD);
	assert_int_equal(admin_second_factor(&t->ac, "ad_nosuchadminaaaaaaaaaaaaaa", cur, T0 + 60,
	    &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_BAD);
}

struct race {
	struct test_ctx *t;
	const char *code;
	pthread_barrier_t *go;
	enum admin_outcome out;
	int rc;
};

static void *
race_login(void *arg)
{
	struct race *r = arg;
	struct admin_login in = { NAME, PW, strlen(PW), r->code, NULL };
	struct admin_result res;
	struct bos_err err = { 0 };

	pthread_barrier_wait(r->go);
	r->rc = admin_login(&r->t->ac, &in, T0, &res, &err);
	r->out = res.outcome;
	return NULL;
}

/* The same fresh code in two parallel sign-ins: exactly one gets in. */
static void
test_totp_parallel_once(void **state)
{
	struct test_ctx *t = *state;
	char code[TOTP_DIGITS + 1];
	pthread_barrier_t go;
	struct race r[2];
	pthread_t th[2];
	int i, full = 0, bad = 0, round;

	t->ac.policy.lockout_failures = 10;
	create_admin(t);
	for (round = 0; round < 3; round++) {
		code_at(t, T0, round - 1, code);
		pthread_barrier_init(&go, NULL, 2);
		for (i = 0; i < 2; i++) {
			r[i] = (struct race){ t, code, &go, 0, -1 };
			assert_int_equal(pthread_create(&th[i], NULL, race_login, &r[i]), 0);
		}
		for (i = 0; i < 2; i++) {
			pthread_join(th[i], NULL);
			assert_int_equal(r[i].rc, 0);
			full += r[i].out == ADMIN_OK_FULL;
			bad += r[i].out == ADMIN_BAD;
		}
		pthread_barrier_destroy(&go);
	}
	assert_int_equal(full, 3);
	assert_int_equal(bad, 3);
}

/* ---- lockout ---- */

static void
test_lockout_and_unlock_after_time(void **state)
{
	struct test_ctx *t = *state;
	char code[TOTP_DIGITS + 1];
	struct admin_result res;
	unsigned long before;

	create_admin(t); /* lock after 3 failures for 60 s */
	assert_int_equal(login(t, "wrong password 1", NULL, NULL, T0, &res), ADMIN_BAD);
	assert_false(res.locked_now);
	assert_int_equal(login(t, "wrong password 2", NULL, NULL, T0, &res), ADMIN_BAD);
	assert_int_equal(login(t, "wrong password 3", NULL, NULL, T0, &res), ADMIN_BAD);
	assert_true(res.locked_now);
	assert_int_equal(col_int(t, "SELECT failures FROM admins"), 0); /* reset on lock */
	assert_int_equal(col_int(t, "SELECT locked_until FROM admins"), T0 + 60);
	/* Locked: the right password and code are refused, quickly (no argon2 work). */
	code_at(t, T0 + 10, 0, code);
	before = password_hash_count();
	assert_int_equal(login(t, PW, code, NULL, T0 + 10, &res), ADMIN_LOCKED);
	assert_int_equal(password_hash_count(), before);
	assert_int_equal(res.retry_after, 50);
	assert_int_equal(login(t, PW, NULL, NULL, T0 + 59, &res), ADMIN_LOCKED);
	assert_int_equal(res.retry_after, 1);
	/* Refusals while locked are not counted, and the code was not used up. */
	assert_int_equal(col_int(t, "SELECT failures FROM admins"), 0);
	assert_int_equal(col_int(t, "SELECT consecutive_failures FROM admins"), 3);
	/* When the lock ends, the same code works (the lock never looked at it). */
	code_at(t, T0 + 60, 0, code);
	assert_int_equal(login(t, PW, code, NULL, T0 + 60, &res), ADMIN_OK_FULL);
	assert_int_equal(col_int(t, "SELECT consecutive_failures FROM admins"), 0);
}

/* failures count since the last lock or full success; a password-only success does not reset. */
/*
 * Issue #12 item 17: the lock follows now (the vault's clock, which a step of
 * the system clock does not move) while TOTP codes follow totp_now (the wall
 * clock the authenticator shares). An hour's step of the wall clock neither
 * ends the lock nor makes the authenticator's codes fail.
 */
static void
test_lock_and_totp_clocks_apart(void **state)
{
	struct test_ctx *t = *state;
	char code[TOTP_DIGITS + 1];
	struct admin_result res;
	int i;

	create_admin(t); /* lock after 3 failures for 60 s */
	for (i = 0; i < 3; i++)
		assert_int_equal(login(t, "wrong password!!", NULL, NULL, T0, &res), ADMIN_BAD);
	assert_true(res.locked_now);
	/* The wall clock an hour ahead, the vault's 10 s on: still locked. */
	t->ac.totp_now = T0 + 3600;
	code_at(t, T0 + 3600, 0, code);
	assert_int_equal(login(t, PW, code, NULL, T0 + 10, &res), ADMIN_LOCKED);
	/* The vault's clock past the lock: the code of the wall clock's time works... */
	assert_int_equal(login(t, PW, code, NULL, T0 + 61, &res), ADMIN_OK_FULL);
	/* ...and one of the vault's own time (an hour behind the authenticator) does not. */
	code_at(t, T0 + 3600 + 90, 0, code);
	t->ac.totp_now = T0 + 3600 + 90;
	assert_int_equal(login(t, PW, code, NULL, T0 + 90, &res), ADMIN_OK_FULL);
	code_at(t, T0 + 120, 0, code);
	t->ac.totp_now = T0 + 3600 + 120;
	assert_int_equal(login(t, PW, code, NULL, T0 + 120, &res), ADMIN_BAD);
}

static void
test_failures_are_cumulative(void **state)
{
	struct test_ctx *t = *state;
	char code[TOTP_DIGITS + 1];
	struct admin_result res;

	create_admin(t);
	assert_int_equal(login(t, "wrong password 1", NULL, NULL, T0, NULL), ADMIN_BAD);
	assert_int_equal(login(t, "wrong password 2", NULL, NULL, T0, NULL), ADMIN_BAD);
	assert_int_equal(login(t, PW, NULL, NULL, T0, NULL), ADMIN_OK_PASSWORD);
	assert_int_equal(login(t, "wrong password 3", NULL, NULL, T0, &res), ADMIN_BAD);
	assert_true(res.locked_now);
	/* After the lock, a full sign-in resets both counts. */
	code_at(t, T0 + 100, 0, code);
	assert_int_equal(login(t, PW, code, NULL, T0 + 100, NULL), ADMIN_OK_FULL);
	assert_int_equal(login(t, "wrong password 4", NULL, NULL, T0 + 100, NULL), ADMIN_BAD);
	assert_int_equal(login(t, "wrong password 5", NULL, NULL, T0 + 100, &res), ADMIN_BAD);
	assert_false(res.locked_now);
	assert_int_equal(col_int(t, "SELECT consecutive_failures FROM admins"), 2);
}

/* Drive the account to disable_failures (5) consecutive failures across locks. */
static void
disable_account(struct test_ctx *t, int64_t *now)
{
	struct admin_result res;
	int i;

	for (i = 0; i < 5; i++) {
		if (i == 3)
			*now += 61; /* wait out the lock after 3 */
		assert_int_equal(login(t, "wrong password!!", NULL, NULL, *now, &res), ADMIN_BAD);
		assert_int_equal(res.disabled_now, i == 4);
	}
	assert_int_equal(col_int(t, "SELECT disabled FROM admins"), 1);
}

static void
test_disable_after_consecutive_failures(void **state)
{
	struct test_ctx *t = *state;
	char code[TOTP_DIGITS + 1];
	struct admin_result res;
	int64_t now = T0;
	struct bos_err err = { 0 };
	char id[ADMIN_ID_SIZE];

	create_admin(t);
	disable_account(t, &now);
	/* Disabled: password + TOTP is not enough, and nothing is checked. */
	code_at(t, now, 0, code);
	assert_int_equal(login(t, PW, code, NULL, now, &res), ADMIN_DISABLED);
	assert_int_equal(login(t, PW, NULL, NULL, now + 1000, &res), ADMIN_DISABLED);
	/* A reset (by another admin) enables it again. */
	assert_int_equal(admin_reset(&t->ac, NAME, id, &err), 0);
	assert_string_equal(id, t->sec.id);
	assert_int_equal(col_int(t, "SELECT disabled + failures + consecutive_failures +"
	    " locked_until FROM admins"), 0);
	assert_int_equal(login(t, PW, code, NULL, now, &res), ADMIN_OK_FULL);
	assert_int_equal(admin_reset(&t->ac, "nobody", id, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
}

/* Add an admin the way POST /admins/{name} does: check, prepare, store. */
static int
add_admin(struct test_ctx *t, const char *name, const char *pw, struct admin_secrets *out,
    struct bos_err *err)
{
	struct admin_new nw;
	int r;

	if (admin_new_check(&t->ac, name, pw, strlen(pw), 0, err) != 0)
		return -1;
	if (admin_new_prepare(&t->ac, name, pw, strlen(pw), &nw, out, err) != 0)
		return -1;
	r = admin_new_store(&t->ac, name, &nw, out->id, T0 + 5, 0, err);
	admin_new_wipe(&nw);
	return r;
}

/* Issue #12 item 12: a second admin, with a seed and codes of its own, signs in. */
static void
test_add_second_admin(void **state)
{
	struct test_ctx *t = *state;
	struct admin_secrets bob, again;
	struct admin_login in = { "bob", "bob's own password", 18, NULL, NULL };
	struct admin_result res;
	struct admin_new nw;
	struct bos_err err = { 0 };
	uint8_t seed[TOTP_SEED_LEN];
	char code[TOTP_DIGITS + 1];

	create_admin(t);
	/* The first-admin path stays closed once an admin exists. */
	assert_int_equal(admin_new_check(&t->ac, "bob", in.password, in.password_len, 1, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	/* Refused before any work: a taken name, a bad name, a short password. */
	assert_int_equal(add_admin(t, NAME, "another long password", &bob, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(add_admin(t, "Bob", "another long password", &bob, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(add_admin(t, "bob", "short", &bob, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(col_int(t, "SELECT count(*) FROM admins"), 1);
	if (add_admin(t, "bob", in.password, &bob, &err) != 0)
		fail_msg("adding bob: %s", err.msg);
	assert_int_equal(col_int(t, "SELECT count(*) FROM admins"), 2);
	assert_int_equal(col_int(t, "SELECT count(*) FROM recovery_codes"), 2 * ADMIN_RECOVERY_CODES);
	assert_string_not_equal(bob.id, t->sec.id);
	assert_string_not_equal(bob.totp_secret, t->sec.totp_secret);
	assert_non_null(strstr(bob.totp_uri, "BOS:bob?"));
	/* Bob signs in with his password and his own authenticator. */
	assert_int_equal(b32_decode(bob.totp_secret, seed, sizeof(seed)), TOTP_SEED_LEN);
	assert_int_equal(totp_code(seed, sizeof(seed), totp_step(T0 + 30), code), 0);
	in.totp = code;
	assert_int_equal(admin_login(&t->ac, &in, T0 + 30, &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_OK_FULL);
	assert_string_equal(res.id, bob.id);
	/* Alice's code is not his. */
	code_at(t, T0 + 60, 0, code);
	assert_int_equal(admin_login(&t->ac, &in, T0 + 60, &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_BAD);
	/* Two adds of one name racing: the store checks again, inside its transaction. */
	assert_int_equal(admin_new_prepare(&t->ac, "bob", in.password, in.password_len, &nw,
	    &again, &err), 0);
	assert_int_equal(admin_new_store(&t->ac, "bob", &nw, again.id, T0 + 70, 0, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(col_int(t, "SELECT count(*) FROM recovery_codes"), 2 * ADMIN_RECOVERY_CODES);
	admin_new_wipe(&nw);
	admin_secrets_wipe(&again);
	admin_secrets_wipe(&bob);
	secmem_wipe(seed, sizeof(seed));
}

static void
test_recovery_code_single_use(void **state)
{
	struct test_ctx *t = *state;
	struct admin_result res;
	char upper[ADMIN_RECOVERY_SIZE], bare[ADMIN_RECOVERY_SIZE];
	int64_t now = T0;
	size_t i, o;

	create_admin(t);
	disable_account(t, &now);
	now += 61;
	t->ac.policy.lockout_failures = 10; /* so the wrong tries below do not lock */
	/* The wrong password with a valid code: refused, and the code stays unused. */
	assert_int_equal(login(t, "wrong password!!", NULL, t->sec.recovery[0], now, &res),
	    ADMIN_BAD);
	assert_int_equal(col_int(t, "SELECT count(*) FROM recovery_codes WHERE used_at IS NULL"),
	    10);
	/* A made-up code: refused. */
	assert_int_equal(login(t, PW, NULL, "aaaa-bbbb-cccc-dddd", now, &res), ADMIN_BAD);
	assert_int_equal(login(t, PW, NULL, "not a code", now, &res), ADMIN_BAD);
	/* Password + code: in, and lock, disable and counts are cleared. */
	assert_int_equal(login(t, PW, NULL, t->sec.recovery[0], now, &res), ADMIN_OK_FULL);
	assert_true(res.recovered);
	assert_int_equal(col_int(t, "SELECT disabled + failures + consecutive_failures +"
	    " locked_until FROM admins"), 0);
	assert_int_equal(col_int(t, "SELECT count(*) FROM recovery_codes WHERE used_at IS NULL"),
	    9);
	/* The same code again: refused. */
	assert_int_equal(login(t, PW, NULL, t->sec.recovery[0], now, &res), ADMIN_BAD);
	/* Another code, typed in upper case without dashes, works once. */
	for (i = 0, o = 0; t->sec.recovery[1][i] != '\0'; i++)
		if (t->sec.recovery[1][i] != '-')
			bare[o++] = t->sec.recovery[1][i];
	bare[o] = '\0';
	for (i = 0; i <= strlen(t->sec.recovery[1]); i++)
		upper[i] = (char)(t->sec.recovery[1][i] >= 'a' && t->sec.recovery[1][i] <= 'z' ?
		    t->sec.recovery[1][i] - 32 : t->sec.recovery[1][i]);
	assert_int_equal(login(t, PW, NULL, upper, now, &res), ADMIN_OK_FULL);
	assert_int_equal(login(t, PW, NULL, bare, now, &res), ADMIN_BAD);
}

/* While locked, even a recovery code is refused (else it would lift the rate limit). */
static void
test_recovery_code_respects_lock(void **state)
{
	struct test_ctx *t = *state;
	struct admin_result res;
	int i;

	create_admin(t);
	for (i = 0; i < 3; i++)
		assert_int_equal(login(t, "wrong password!!", NULL, NULL, T0, &res), ADMIN_BAD);
	assert_int_equal(login(t, PW, NULL, t->sec.recovery[2], T0 + 1, &res), ADMIN_LOCKED);
	assert_int_equal(col_int(t, "SELECT count(*) FROM recovery_codes WHERE used_at IS NULL"),
	    10);
	assert_int_equal(login(t, PW, NULL, t->sec.recovery[2], T0 + 60, &res), ADMIN_OK_FULL);
}

static void
flip_seed_bit(struct test_ctx *t, const char *name, int byte)
{
	sqlite3_stmt *st = NULL;
	uint8_t blob[48];

	assert_int_equal(sqlite3_prepare_v2(store_db(t->store), "SELECT totp_seed_wrapped FROM"
	    " admins WHERE name = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), 48);
	memcpy(blob, sqlite3_column_blob(st, 0), 48);
	sqlite3_finalize(st);
	blob[byte] ^= 0x01;
	assert_int_equal(sqlite3_prepare_v2(store_db(t->store), "UPDATE admins SET"
	    " totp_seed_wrapped = ?2 WHERE name = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, blob, 48, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* The wrapped seed is bound to its admin: damaged or moved, it does not unwrap. */
static void
test_seed_bound_to_row(void **state)
{
	struct test_ctx *t = *state;
	struct admin_login in = { NAME, PW, strlen(PW), NULL, NULL };
	struct admin_result res;
	struct bos_err err = { 0 };
	char code[TOTP_DIGITS + 1];
	char *errmsg = NULL;

	create_admin(t);
	code_at(t, T0, 0, code);
	/* A copy of the row under another id and name, with the same wrapped seed. */
	assert_int_equal(sqlite3_exec(store_db(t->store), "INSERT INTO admins (id, name, pw_hash,"
	    " totp_seed_wrapped, totp_kek_version, created_at) SELECT"
	    " 'ad_bbbbbbbbbbbbbbbbbbbbbbbbbb', 'mallory', pw_hash, totp_seed_wrapped,"
	    " totp_kek_version, created_at FROM admins", NULL, NULL, &errmsg), SQLITE_OK);
	in.name = "mallory";
	in.totp = code;
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), -1);
	assert_int_equal(err.code, BOS_E_AUTH);
	assert_null(strstr(err.msg, code));
	/* The right code for alice still works before her blob is damaged... */
	in.name = NAME;
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), 0);
	assert_int_equal(res.outcome, ADMIN_OK_FULL);
	/* ...and one flipped bit in it makes every TOTP check fail closed. */
	flip_seed_bit(t, NAME, 25);
	code_at(t, T0, 1, code);
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), -1);
	assert_int_equal(err.code, BOS_E_AUTH);
}

static int
list_cb(const struct admin_info *ai, void *arg)
{
	struct admin_info *out = arg;

	*out = *ai;
	return 0;
}

static void
test_list(void **state)
{
	struct test_ctx *t = *state;
	struct admin_info ai;
	struct bos_err err = { 0 };

	create_admin(t);
	memset(&ai, 0, sizeof(ai));
	assert_int_equal(login(t, "wrong password!!", NULL, NULL, T0, NULL), ADMIN_BAD);
	assert_int_equal(login(t, PW, NULL, t->sec.recovery[3], T0, NULL), ADMIN_OK_FULL);
	assert_int_equal(login(t, "wrong password!!", NULL, NULL, T0, NULL), ADMIN_BAD);
	assert_int_equal(admin_list(&t->ac, list_cb, &ai, &err), 0);
	assert_string_equal(ai.name, NAME);
	assert_string_equal(ai.id, t->sec.id);
	assert_int_equal(ai.created_at, T0);
	assert_int_equal(ai.failures, 1);
	assert_int_equal(ai.consecutive_failures, 1);
	assert_int_equal(ai.recovery_codes_left, 9);
	assert_false(ai.disabled);
}

/*
 * issue #12 item 16: what a sign-in decides (a TOTP step, a failure, a used
 * recovery code) is answered at once, so it must commit by itself. Inside an
 * open transaction (a group-commit batch that could still fail) it would be
 * a savepoint that a later rollback undoes after the client had its answer:
 * the sign-in refuses instead, changes nothing, and the code works later.
 */
static void
test_signin_refuses_open_transaction(void **state)
{
	struct test_ctx *t = *state;
	struct admin_login in = { NAME, PW, strlen(PW), NULL, NULL };
	struct admin_result res;
	struct bos_err err = { 0 };
	char code[TOTP_DIGITS + 1];

	create_admin(t);
	code_at(t, T0, 0, code);
	assert_int_equal(store_begin(t->store, &err), 0);      /* an open batch */
	in.totp = code;
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), -1);
	assert_non_null(strstr(err.msg, "inside an open transaction"));
	in.totp = NULL;
	in.recovery_code = t->sec.recovery[0];
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), -1);
	in.recovery_code = NULL;
	in.password = "wrong password!!";
	in.password_len = strlen(in.password);
	assert_int_equal(admin_login(&t->ac, &in, T0, &res, &err), -1);
	assert_int_equal(store_rollback(t->store, &err), 0);   /* the batch fails */
	assert_int_equal(col_int(t, "SELECT totp_last_step FROM admins"), 0);
	assert_int_equal(col_int(t, "SELECT count(*) FROM recovery_codes WHERE used_at IS NOT NULL"),
	    0);
	assert_int_equal(col_int(t, "SELECT failures FROM admins"), 0);
	/* On its own, the sign-in commits; the code is then used for good. */
	assert_int_equal(login(t, PW, code, NULL, T0, NULL), ADMIN_OK_FULL);
	assert_int_equal(sqlite3_get_autocommit(store_db(t->store)), 1);
	assert_int_equal(login(t, PW, code, NULL, T0, NULL), ADMIN_BAD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_password_hash_verify_no_truncation),
		cmocka_unit_test(test_password_concurrency_capped),
		cmocka_unit_test_setup_teardown(test_create_first_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_not_in_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_name_costs_a_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_replay_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_parallel_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_and_unlock_after_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_and_totp_clocks_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_are_cumulative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable_after_consecutive_failures, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_add_second_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_code_single_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_code_respects_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_bound_to_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signin_refuses_open_transaction, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
