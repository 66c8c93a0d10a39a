/*
 * Unit tests: bos-broker's settings and token (broker/broker_config.c):
 * defaults, every number's range, unknown settings, relative paths, the
 * test base URL's form (https on loopback only, trailing slashes dropped,
 * test_ca_file required), and the token's file: ours, 0400 or 0600, no
 * symlink, a well-formed bos_b_ token, $CREDENTIALS_DIRECTORY first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "broker_config.h"
#include "json_alloc.h"
#include "token.h"

static char tbc_dir[] = "/tmp/bos-tbc.XXXXXX";
static char tbc_token[TOKEN_SIZE];

static void
tbc_write(const char *name, const char *text, mode_t mode)
{
	char p[512];
	FILE *f;

	(void)snprintf(p, sizeof(p), "%s/%s", tbc_dir, name);
	(void)unlink(p);
	f = fopen(p, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

/* Read a config made of text; returns what broker_config_read returned. */
static int
tbc_read(struct broker_config *c, const char *text, struct bos_err *err)
{
	char p[512];

	assert_int_equal(broker_config_init(c, "outreach", err), 0);
	tbc_write("b.conf", text, 0600);
	(void)snprintf(p, sizeof(p), "%s/b.conf", tbc_dir);
	return broker_config_read(c, p, 1, err);
}

static void
test_defaults(void **state)
{
	struct broker_config c;
	struct bos_err err;

	(void)state;
	assert_int_equal(broker_config_init(&c, "monitor", &err), 0);
	assert_string_equal(c.vault_socket, "/run/bos/vault.sock");
	assert_string_equal(c.ca_file, "/etc/ssl/certs/ca-certificates.crt");
	assert_int_equal(c.claim_wait, 25);
	assert_int_equal(c.call_timeout, 30);
	assert_int_equal(c.lease_ttl, 30);
	assert_int_equal(c.noverrides, 0);
	assert_int_equal(broker_config_init(&c, "sales", &err), -1);
	assert_non_null(strstr(err.msg, "unknown role"));
	/* No file at the default place is fine; a named one must exist. */
	assert_int_equal(broker_config_read(&c, "/nonexistent/broker.conf", 0, &err), 0);
	assert_int_equal(broker_config_read(&c, "/nonexistent/broker.conf", 1, &err), -1);
}

static void
test_settings(void **state)
{
	struct broker_config c;
	struct bos_err err;

	(void)state;
	assert_int_equal(tbc_read(&c, "# comment\n\nclaim_wait = 3\n  call_timeout=12  \n"
	    "vault_socket = /run/x.sock\nlease_ttl = 300\nsandbox_unconfined_paths = 1\n", &err), 0);
	assert_int_equal(c.claim_wait, 3);
	assert_int_equal(c.call_timeout, 12);
	assert_int_equal(c.lease_ttl, 300);
	assert_int_equal(c.unconfined_paths, 1);
	assert_string_equal(c.vault_socket, "/run/x.sock");
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"claim_wait = 31\n", "claim_wait = -1\n", "lease_ttl = 0\n", "lease_ttl = 301\n",
		"call_timeout = 1x\n", "connect_timeout = \n", "heartbeat_interval = 0\n",
		"sandbox_unconfined_paths = 2\n", "follow_redirects = 1\n", "vault_socket = run/x\n",
		"token_file = token\n", "just a line\n", "= 3\n",
		"base_url.sendgrid = http://127.0.0.1:1\ntest_ca_file = /x\n",
		"base_url.sendgrid = https://api.sendgrid.com\ntest_ca_file = /x\n",
		"base_url.sendgrid = https://10.0.0.1\ntest_ca_file = /x\n",
		"base_url.sendgrid = https://127.0.0.1:1/?a=b\ntest_ca_file = /x\n",
		"base_url.sendgrid = https://127.0.0.1:1\n",
		"test_ca_file = /x\nbase_url.stripe = https://127.0.0.1:1\nbase_url.stripe = https://127.0.0.1:2\n",
	};
	struct broker_config c;
	struct bos_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tbc_read(&c, bad[i], &err) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(strlen(err.msg) > 0);
	}
}

static void
test_overrides(void **state)
{
	struct broker_config c;
	struct bos_err err;

	(void)state;
	assert_int_equal(tbc_read(&c, "test_ca_file = /tmp/ca.pem\n"
	    "base_url.sendgrid = https://127.0.0.1:8443//\nbase_url.openai = https://[::1]:9\n", &err), 0);
	assert_int_equal(c.noverrides, 2);
	assert_string_equal(broker_config_base_url(&c, "sendgrid"), "https://127.0.0.1:8443");
	assert_string_equal(broker_config_base_url(&c, "openai"), "https://[::1]:9");
	assert_null(broker_config_base_url(&c, "stripe"));
}

/* Outreach sending: smtp_hosts and the smtp:// test base URL. */
static void
test_smtp_settings(void **state)
{
	static const char *const bad[] = { "smtp_hosts = a.example, b.example\n",
	    "smtp_hosts = a.example,,b.example\n", "smtp_hosts = ,a.example\n",
	    "smtp_hosts = a.example,\n", "smtp_hosts = a_b.example\n", "smtp_hosts = a/b\n",
	    "test_ca_file = /tmp/ca.pem\nbase_url.smtp = https://127.0.0.1:25\n",
	    "test_ca_file = /tmp/ca.pem\nbase_url.smtp = smtp://10.0.0.1:25\n",
	    "test_ca_file = /tmp/ca.pem\nbase_url.smtp = smtp://u@127.0.0.1:25\n",
	    "test_ca_file = /tmp/ca.pem\nbase_url.smtp = smtps://127.0.0.1:25\n",
	    "test_ca_file = /tmp/ca.pem\nbase_url.sendgrid = smtp://127.0.0.1:25\n",
	    "base_url.smtp = smtp://127.0.0.1:25\n" };
	struct broker_config c;
	struct bos_err err;
	size_t i;

	(void)state;
	/* Unset: no host is allowed. */
	assert_int_equal(tbc_read(&c, "claim_wait = 1\n", &err), 0);
	assert_false(broker_config_smtp_host_ok(&c, "smtp.example.com"));
	assert_false(broker_config_smtp_host_ok(&c, ""));
	assert_int_equal(tbc_read(&c, "smtp_hosts = smtp.example.com,mail.example.org\n"
	    "test_ca_file = /tmp/ca.pem\nbase_url.smtp = smtp://127.0.0.1:2525\n", &err), 0);
	assert_true(broker_config_smtp_host_ok(&c, "smtp.example.com"));
	assert_true(broker_config_smtp_host_ok(&c, "MAIL.example.org"));
	assert_false(broker_config_smtp_host_ok(&c, "example.com"));
	assert_false(broker_config_smtp_host_ok(&c, "smtp.example.co"));
	assert_false(broker_config_smtp_host_ok(&c, "smtp.example.com.evil"));
	assert_false(broker_config_smtp_host_ok(&c, "smtp.example.com,mail.example.org"));
	assert_false(broker_config_smtp_host_ok(&c, ""));
	assert_string_equal(broker_config_base_url(&c, "smtp"), "smtp://127.0.0.1:2525");
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++)
		assert_int_equal(tbc_read(&c, bad[i], &err), -1);
}

/* A config naming token_file TOKEN in tbc_dir; load the secrets (ca_file: the config's own file). */
static int
tbc_load(const char *tokname, struct bos_err *err)
{
	struct broker_config c;
	char text[1024];
	int r;

	(void)snprintf(text, sizeof(text), "token_file = %s/%s\nca_file = %s/b.conf\n", tbc_dir,
	    tokname, tbc_dir);
	if (tbc_read(&c, text, err) != 0)
		return -2;
	r = broker_config_load_secrets(&c, err);
	if (r == 0)
		assert_string_equal(c.token, tbc_token);
	broker_config_free(&c);
	return r;
}

static void
test_token_file(void **state)
{
	char line[TOKEN_SIZE + 2], p[512], q[512];
	struct bos_err err;

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	(void)snprintf(line, sizeof(line), "%s\n", tbc_token);
	tbc_write("tok", line, 0600);
	assert_int_equal(tbc_load("tok", &err), 0);
	tbc_write("tok", tbc_token, 0400);   /* no newline */
	assert_int_equal(tbc_load("tok", &err), 0);
	tbc_write("tok", line, 0640);
	assert_int_equal(tbc_load("tok", &err), -1);
	assert_non_null(strstr(err.msg, "0400 or 0600"));
	tbc_write("tok", line, 0604);
	assert_int_equal(tbc_load("tok", &err), -1);
	tbc_write("tok", "bos_s_notabrokertoken\n", 0600);
	assert_int_equal(tbc_load("tok", &err), -1);
	assert_non_null(strstr(err.msg, "broker token"));
	tbc_write("tok", line, 0600);
	(void)snprintf(p, sizeof(p), "%s/tok", tbc_dir);
	(void)snprintf(q, sizeof(q), "%s/link", tbc_dir);
	(void)unlink(q);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(tbc_load("link", &err), -1);   /* O_NOFOLLOW */
	if (geteuid() == 0) {
		assert_int_equal(chown(p, 65534, 65534), 0);
		assert_int_equal(tbc_load("tok", &err), -1);   /* not ours */
		assert_int_equal(chown(p, 0, 0), 0);
	}
	assert_int_equal(tbc_load("missing", &err), -1);
}

static void
test_credentials_directory_first(void **state)
{
	char line[TOKEN_SIZE + 2], other[TOKEN_SIZE], dir[512];
	struct bos_err err;

	(void)state;
	/* token_file holds another (valid) token: the credential must win. */
	assert_int_equal(token_new(TOKEN_BROKER, other, sizeof(other)), 0);
	(void)snprintf(line, sizeof(line), "%s\n", other);
	tbc_write("tok", line, 0600);
	(void)snprintf(dir, sizeof(dir), "%s/creds", tbc_dir);
	(void)mkdir(dir, 0700);
	(void)snprintf(line, sizeof(line), "%s\n", tbc_token);
	tbc_write("creds/broker-token", line, 0400);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	assert_int_equal(tbc_load("tok", &err), 0);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void
tbc_cleanup(void)
{
	static const char *const names[] = { "b.conf", "tok", "link", "creds/broker-token", "creds" };
	char p[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(p, sizeof(p), "%s/%s", tbc_dir, names[i]);
		if (unlink(p) != 0)
			(void)rmdir(p);
	}
	(void)rmdir(tbc_dir);
}

/* The hooks listener's settings (docs/OUTREACH.md): one block, checked together. */
static void
test_hooks_settings(void **state)
{
	static const char *const bad[] = {
		"hooks_listen = 127.0.0.1\n",
		"hooks_public_url = http://h.test\n", "hooks_public_url = https://\n",
		"hooks_public_url = https://h.test/?a=1\n", "hooks_public_url = https://h .test\n",
		"hooks_cert = cert.pem\n", "hooks_key = key.pem\n",
		"hooks_body_max = 1023\n", "hooks_body_max = 16777217\n",
		"hooks_listen = 127.0.0.1:8443\nhooks_cert = /c\nhooks_key = /k\n",
		"hooks_listen = 127.0.0.1:8443\nhooks_public_url = https://h.test\nhooks_key = /k\n",
	};
	struct broker_config c;
	struct bos_err err;
	char p[512];
	size_t i;

	(void)state;
	assert_int_equal(broker_config_init(&c, "outreach", &err), 0);
	assert_int_equal(c.hooks_body_max, 1024 * 1024);
	assert_string_equal(c.hooks_listen, "");
	assert_int_equal(tbc_read(&c, "hooks_listen = [::1]:8443\nhooks_cert = /etc/c.pem\n"
	    "hooks_key = /etc/k.pem\nhooks_public_url = https://hooks.example.test//\n"
	    "sendgrid_webhook_key = MFkw\nhooks_body_max = 4096\n", &err), 0);
	assert_string_equal(c.hooks_listen, "[::1]:8443");
	assert_string_equal(c.hooks_public_url, "https://hooks.example.test");
	assert_string_equal(c.sendgrid_webhook_key, "MFkw");
	assert_int_equal(c.hooks_body_max, 4096);
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		if (tbc_read(&c, bad[i], &err) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
	/* the listener is outreach's only */
	assert_int_equal(broker_config_init(&c, "monitor", &err), 0);
	tbc_write("m.conf", "hooks_listen = 127.0.0.1:8443\nhooks_cert = /c\nhooks_key = /k\n"
	    "hooks_public_url = https://h.test\n", 0600);
	(void)snprintf(p, sizeof(p), "%s/m.conf", tbc_dir);
	assert_int_equal(broker_config_read(&c, p, 1, &err), -1);
	assert_non_null(strstr(err.msg, "outreach only"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_smtp_settings),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_credentials_directory_first),
		cmocka_unit_test(test_hooks_settings),
	};
	int r;

	json_alloc_init();
	if (mkdtemp(tbc_dir) == NULL || token_new(TOKEN_BROKER, tbc_token, sizeof(tbc_token)) != 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	tbc_cleanup();
	return r;
}
