/*
 * Unit tests: vault/auth/session.c (in-memory admin sessions) and vault/auth/auth.c
 * (auth_check per route class), with a clock the test moves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "auth/auth.h"
#include "auth/session.h"
#include "session_clock.h"
#include "core/vault.h"

struct fake_clock {
	int64_t ms;
};

static int64_t
fake_now(void *arg)
{
	return ((struct fake_clock *)arg)->ms;
}

struct fx {
	struct fake_clock clk;
	struct sessions *s;
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	f.clk.ms = 1000000;
	if (sessions_new(&f.s, 10, 100) != 0)
		return -1;
	sessions_set_clock(f.s, fake_now, &f.clk);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sessions_free(f->s);
	return 0;
}

static void
make(struct fx *f, const char *id, enum session_state st, char tok[TOKEN_SIZE],
    struct session_info *si)
{
	struct bos_err err = { 0 };

	if (sessions_create(f->s, id, "alice", st, tok, si, &err) != 0)
		fail_msg("sessions_create: %s", err.msg);
	assert_int_equal(token_check(tok, TOKEN_SESSION), 0);
}

static void
test_create_lookup_remove(void **state)
{
	struct fx *f = *state;
	struct session_info si, got;
	char tok[TOKEN_SIZE], other[TOKEN_SIZE];

	make(f, "ad_x", SESSION_FULL, tok, &si);
	assert_true(token_accessor_valid(si.accessor));
	assert_int_equal(si.idle_left, 10);
	assert_int_equal(si.absolute_left, 100);
	assert_int_equal(sessions_lookup(f->s, tok, &got), SESSION_FOUND);
	assert_string_equal(got.accessor, si.accessor);
	assert_string_equal(got.admin_id, "ad_x");
	assert_int_equal(got.state, SESSION_FULL);
	/* Another well-formed token is unknown. */
	assert_int_equal(token_new(TOKEN_SESSION, other, sizeof(other)), 0);
	assert_int_equal(sessions_lookup(f->s, other, &got), SESSION_UNKNOWN);
	assert_int_equal(sessions_remove(f->s, tok), 1);
	assert_int_equal(sessions_remove(f->s, tok), 0);
	assert_int_equal(sessions_lookup(f->s, tok, &got), SESSION_UNKNOWN);
}

static void
test_idle_timeout(void **state)
{
	struct fx *f = *state;
	struct session_info si;
	char tok[TOKEN_SIZE];
	int i;

	make(f, "ad_x", SESSION_FULL, tok, &si);
	/* Used every 9 s it stays alive (the idle timer restarts at each use)... */
	for (i = 0; i < 5; i++) {
		f->clk.ms += 9000;
		assert_int_equal(sessions_lookup(f->s, tok, &si), SESSION_FOUND);
		assert_int_equal(si.idle_left, 10);
	}
	/* ...10 s without use ends it: reported once as expired, then unknown. */
	f->clk.ms += 10000;
	assert_int_equal(sessions_lookup(f->s, tok, &si), SESSION_EXPIRED);
	assert_int_equal(sessions_lookup(f->s, tok, &si), SESSION_UNKNOWN);
	assert_int_equal(sessions_count(f->s), 0);
}

static void
test_absolute_timeout(void **state)
{
	struct fx *f = *state;
	struct session_info si;
	char tok[TOKEN_SIZE];
	int i;

	make(f, "ad_x", SESSION_FULL, tok, &si);
	for (i = 0; i < 11; i++) {
		f->clk.ms += 9000;
		assert_int_equal(sessions_lookup(f->s, tok, &si), SESSION_FOUND);
	}
	assert_int_equal(si.absolute_left, 1);
	f->clk.ms += 1000; /* 100 s after creation, though used 1 s ago */
	assert_int_equal(sessions_lookup(f->s, tok, &si), SESSION_EXPIRED);
}

static void
test_pending_upgrade_and_cap(void **state)
{
	struct fx *f = *state;
	struct session_info si;
	char tok[TOKEN_SIZE], toks[SESSION_PENDING_PER_ADMIN + 1][TOKEN_SIZE];
	int i;

	make(f, "ad_x", SESSION_TOTP_PENDING, tok, &si);
	assert_int_equal(si.state, SESSION_TOTP_PENDING);
	assert_int_equal(sessions_upgrade(f->s, tok, &si), 0);
	assert_int_equal(si.state, SESSION_FULL);
	assert_int_equal(sessions_lookup(f->s, tok, &si), SESSION_FOUND);
	assert_int_equal(si.state, SESSION_FULL);
	/* Only SESSION_PENDING_PER_ADMIN pending sessions per admin: the oldest goes. */
	for (i = 0; i <= SESSION_PENDING_PER_ADMIN; i++) {
		f->clk.ms += 1;
		make(f, "ad_y", SESSION_TOTP_PENDING, toks[i], &si);
	}
	assert_int_equal(sessions_lookup(f->s, toks[0], &si), SESSION_UNKNOWN);
	assert_int_equal(sessions_lookup(f->s, toks[1], &si), SESSION_FOUND);
	/* Ending an admin's pending sessions leaves its full ones and other admins'. */
	assert_int_equal(sessions_end_admin(f->s, "ad_y", 1), SESSION_PENDING_PER_ADMIN);
	assert_int_equal(sessions_lookup(f->s, tok, &si), SESSION_FOUND);
	assert_int_equal(sessions_end_admin(f->s, "ad_x", 0), 1);
	assert_int_equal(sessions_lookup(f->s, tok, &si), SESSION_UNKNOWN);
	/* An upgrade of a gone session fails. */
	assert_int_equal(sessions_upgrade(f->s, tok, &si), -1);
}

static void
test_table_full(void **state)
{
	struct fx *f = *state;
	struct session_info si;
	struct bos_err err = { 0 };
	char tok[TOKEN_SIZE];
	int i;

	for (i = 0; i < SESSIONS_MAX; i++)
		make(f, "ad_x", SESSION_FULL, tok, &si);
	assert_int_equal(sessions_create(f->s, "ad_x", "alice", SESSION_FULL, tok, &si, &err), -1);
	assert_int_equal(err.code, BOS_E_NOMEM);
	/* Expired ones make room. */
	f->clk.ms += 11000;
	make(f, "ad_x", SESSION_FULL, tok, &si);
	assert_int_equal(sessions_count(f->s), 1);
}

/* ---- auth_check ---- */

static void
check(struct vault *v, enum route_auth need, const char *bearer, enum http_transport tr,
    uid_t uid, unsigned want_status, const char *want_code)
{
	struct principal p;
	unsigned status = 0;
	const char *code = NULL, *msg = NULL;
	int rc = auth_check(v, need, bearer, tr, uid, &p, &status, &code, &msg);

	if (want_status == 0) {
		if (rc != 0)
			fail_msg("refused with %u %s", status, code);
		return;
	}
	assert_int_equal(rc, -1);
	assert_int_equal(status, want_status);
	assert_string_equal(code, want_code);
	assert_non_null(msg);
	if (bearer != NULL && strlen(bearer) > 10)
		assert_null(strstr(msg, bearer));
}

static void
test_auth_check_classes(void **state)
{
	struct fx *f = *state;
	struct vault v;
	struct session_info si;
	struct principal p;
	char full[TOKEN_SIZE], pend[TOKEN_SIZE], bad[TOKEN_SIZE];
	unsigned status;
	const char *code, *msg;

	memset(&v, 0, sizeof(v));
	v.sessions = f->s;
	v.uid = 1234;
	make(f, "ad_x", SESSION_FULL, full, &si);
	make(f, "ad_x", SESSION_TOTP_PENDING, pend, &si);
	memcpy(bad, full, sizeof(bad));
	bad[10] = bad[10] == 'A' ? 'B' : 'A'; /* checksum no longer matches */

	check(&v, ROUTE_LOCAL_VAULT_UID, NULL, HTTP_UNIX, 1234, 0, NULL);
	check(&v, ROUTE_LOCAL_VAULT_UID, NULL, HTTP_UNIX, 1235, 403, "local_only");
	check(&v, ROUTE_LOCAL_VAULT_UID, NULL, HTTP_TCP_TLS, 1234, 403, "local_only");
	check(&v, ROUTE_LOCAL_VAULT_UID, full, HTTP_TCP_TLS, (uid_t)-1, 403, "local_only");
	v.uid = (uid_t)-1;
	check(&v, ROUTE_LOCAL_VAULT_UID, NULL, HTTP_UNIX, (uid_t)-1, 403, "local_only");
	v.uid = 1234;

	check(&v, ROUTE_ADMIN, full, HTTP_TCP_TLS, (uid_t)-1, 0, NULL);
	check(&v, ROUTE_SESSION_ANY, full, HTTP_TCP_TLS, (uid_t)-1, 0, NULL);
	check(&v, ROUTE_SESSION_ANY, pend, HTTP_TCP_TLS, (uid_t)-1, 0, NULL);
	check(&v, ROUTE_ADMIN, pend, HTTP_TCP_TLS, (uid_t)-1, 401, "totp_required");
	check(&v, ROUTE_ADMIN, NULL, HTTP_TCP_TLS, (uid_t)-1, 401, "unauthenticated");
	check(&v, ROUTE_ADMIN, "", HTTP_TCP_TLS, (uid_t)-1, 401, "unauthenticated");
	check(&v, ROUTE_ADMIN, bad, HTTP_TCP_TLS, (uid_t)-1, 401, "unauthenticated");
	check(&v, ROUTE_SESSION_ANY, "bos_s_garbage", HTTP_UNIX, 1234, 401, "unauthenticated");
	/* A session on the unix socket is still a session: uid alone is not an admin. */
	check(&v, ROUTE_ADMIN, NULL, HTTP_UNIX, 1234, 401, "unauthenticated");

	assert_int_equal(auth_check(&v, ROUTE_ADMIN, full, HTTP_TCP_TLS, (uid_t)-1, &p, &status,
	    &code, &msg), 0);
	assert_int_equal(p.kind, PRINCIPAL_ADMIN);
	assert_string_equal(p.id, "ad_x");
	assert_string_equal(p.name, "alice");
	assert_true(token_accessor_valid(p.accessor));
	assert_int_equal(p.state, SESSION_FULL);

	f->clk.ms += 10000;
	check(&v, ROUTE_ADMIN, full, HTTP_TCP_TLS, (uid_t)-1, 401, "session_expired");
	check(&v, ROUTE_ADMIN, full, HTTP_TCP_TLS, (uid_t)-1, 401, "unauthenticated");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_lookup_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_upgrade_and_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_check_classes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
