/* Unit tests: vault/core/config.c (bos.conf) and vault/core/keyfile.c (db.key). */
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
#include "core/config.h"
#include "hsm_proto.h"
#include "core/keyfile.h"

static void
test_config_lines(void **state)
{
	struct config c;
	struct bos_err err;
	char l1[] = "token_label = my-token  # comment", l2[] = "  # only a comment",
	     l3[] = "pin_file = hsm-pin", l4[] = "pin_file = /abs/pin", l5[] = "nonsense",
	     l6[] = "color = blue", l7[] = "audit_key_version = 0", l8[] = "token_label =",
	     l9[] = "token_label = 0123456789012345678901234567890123";

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.pkcs11_module, "/usr/lib/softhsm/libsofthsm2.so");
	assert_int_equal(config_parse_line(&c, "/st", l1, &err), 0);
	assert_string_equal(c.token_label, "my-token");
	assert_int_equal(config_parse_line(&c, "/st", l2, &err), 0);
	assert_int_equal(config_parse_line(&c, "/st", l3, &err), 0);
	assert_string_equal(c.pin_file, "/st/hsm-pin");
	assert_int_equal(config_parse_line(&c, "/st", l4, &err), 0);
	assert_string_equal(c.pin_file, "/abs/pin");
	assert_int_not_equal(config_parse_line(&c, "/st", l5, &err), 0);
	assert_non_null(strstr(err.msg, "key = value"));
	assert_int_not_equal(config_parse_line(&c, "/st", l6, &err), 0);
	assert_non_null(strstr(err.msg, "unknown setting 'color'"));
	assert_int_not_equal(config_parse_line(&c, "/st", l7, &err), 0);
	assert_int_not_equal(config_parse_line(&c, "/st", l8, &err), 0);
	assert_non_null(strstr(err.msg, "no value"));
	assert_int_not_equal(config_parse_line(&c, "/st", l9, &err), 0); /* 34 > 32 bytes */
	assert_string_equal(c.token_label, "my-token");
}

/* One line into c: 0 or -1. */
static int
config_line(struct config *c, const char *text, struct bos_err *err)
{
	char line[1024];

	(void)snprintf(line, sizeof(line), "%s", text);
	return config_parse_line(c, "/st", line, err);
}

/* The outreach settings (docs/CONFIG.md, docs/OUTREACH.md), and what each refuses. */
/* notice_email, notice_sms, alert_notify (docs/OUTREACH.md "Notices"). */
static void
test_config_notice(void **state)
{
	static const char *const bad[] = {
		"notice_email = twilio tw vault@acme.example",
		"notice_email = smtp smtp-main",
		"notice_email = smtp smtp-main not-an-address",
		"notice_email = smtp smtp-main a@b.example extra",
		"notice_email = fax smtp-main a@b.example",
		"notice_sms = smtp smtp-main +14155550100",
		"notice_sms = twilio tw +1",
		"notice_sms = twilio tw sender-id-too-long",
		"alert_notify = ops@acme.example,,+14155550100",
		"alert_notify = ops@acme.example, nobody",
		"alert_notify = a@b.example,a@b.example,a@b.example,a@b.example,a@b.example,"
		    "a@b.example,a@b.example,a@b.example,a@b.example",
	};
	struct outreach_notice_conf n;
	struct config c;
	struct bos_err err;
	size_t i;

	(void)state;
	config_defaults(&c);
	config_notice(&c, &n);
	assert_int_equal(n.email.set, 0);
	assert_int_equal(n.n_alert_notify, 0);
	assert_int_equal(config_line(&c, "notice_email = smtp smtp-main Vault@Acme.example", &err),
	    0);
	assert_int_equal(config_line(&c, "notice_sms = twilio twilio-main ACME", &err), 0);
	assert_int_equal(config_line(&c, "alert_notify = Ops@Acme.example , +1 (415) 555-0100",
	    &err), 0);
	assert_int_equal(config_line(&c, "outreach_price.smtp = 0.0001 USD", &err), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (config_line(&c, bad[i], &err) == 0)
			fail_msg("accepted: %s", bad[i]);
	}
	config_notice(&c, &n);
	assert_int_equal(n.email.set, 1);
	assert_string_equal(n.email.provider, "smtp");
	assert_string_equal(n.email.credential, "smtp-main");
	assert_string_equal(n.email.from, "vault@acme.example");
	assert_int_equal(n.email.price_micros, 100);
	assert_string_equal(n.email.currency, "USD");
	assert_string_equal(n.sms.from, "ACME");
	assert_string_equal(n.sms.currency, "");
	/* The good list stayed whole after the bad ones. */
	assert_int_equal(n.n_alert_notify, 2);
	assert_string_equal(n.alert_notify[0], "ops@acme.example");
	assert_string_equal(n.alert_notify[1], "+14155550100");
}

static void
test_config_outreach(void **state)
{
	static const char *const bad[] = {
		"outreach_public_url = http://bos.example.com",
		"outreach_public_url = https://bos.example.com/x?a=1",
		"outreach_public_url = https://user@bos.example.com",
		"outreach_public_url = https://bos.example.com:99999",
		"outreach_public_url = https://-bad.example.com",
		"outreach_public_url = https://bos.example.com/a\"b",
		"outreach_public_url = https://",
		"outreach_postal_address = \x01 Main St",
		"outreach_reply_domain = localhost",
		"outreach_reply_domain = a..example.com",
		"outreach_reply_domain = bad_domain.example.com",
		"outreach_price.twilio = 0.0000001 USD",
		"outreach_price.twilio = -1 USD",
		"outreach_price.twilio = 1 usd",
		"outreach_price.twilio = 1 XXX",
		"outreach_price.twilio = 1",
		"outreach_price.fax = 1 USD",
		"outreach_price. = 1 USD",
	};
	struct config c;
	struct bos_err err;
	char postal[300];
	size_t i;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.outreach_public_url, "");
	assert_int_equal(config_line(&c, "outreach_public_url = https://bos.example.com:8443/t/",
	    &err), 0);
	assert_string_equal(c.outreach_public_url, "https://bos.example.com:8443/t");
	assert_int_equal(config_line(&c, "outreach_postal_address = 1 Main St, Springfield, "
	    "IL 62701, USA", &err), 0);
	assert_string_equal(c.outreach_postal_address, "1 Main St, Springfield, IL 62701, USA");
	assert_int_equal(config_line(&c, "outreach_reply_domain = reply.example.com", &err), 0);
	assert_string_equal(c.outreach_reply_domain, "reply.example.com");
	assert_int_equal(config_line(&c, "outreach_price.twilio = 0.0079 USD", &err), 0);
	assert_int_equal(c.outreach_price_micros[config_outreach_provider("twilio")], 7900);
	assert_string_equal(c.outreach_price_currency[config_outreach_provider("twilio")], "USD");
	assert_int_equal(config_line(&c, "outreach_price.sendgrid = 1 EUR", &err), 0);
	assert_int_equal(c.outreach_price_micros[config_outreach_provider("sendgrid")], 1000000);
	assert_int_equal(c.outreach_price_set[config_outreach_provider("smtp")], 0);
	assert_int_equal(config_outreach_provider("fax"), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (config_line(&c, bad[i], &err) == 0)
			fail_msg("accepted: %s", bad[i]);
	}
	/* The good values stayed. */
	assert_string_equal(c.outreach_public_url, "https://bos.example.com:8443/t");
	assert_int_equal(c.outreach_price_micros[config_outreach_provider("twilio")], 7900);
	assert_int_equal(config_line(&c, "outreach_price.fax = 1 USD", &err), -1);
	assert_non_null(strstr(err.msg, "smtp, sendgrid"));
	memset(postal, 'a', sizeof(postal));
	memcpy(postal, "outreach_postal_address = ", 26);
	postal[26 + 257] = '\0';
	assert_int_equal(config_line(&c, postal, &err), -1);
	postal[26 + 256] = '\0';
	assert_int_equal(config_line(&c, postal, &err), 0);
}

/* hsm_socket: absolute, fits a sockaddr_un, and survives config_write. */
static void
test_config_hsm_socket(void **state)
{
	char dir[] = "/tmp/bos-conf.XXXXXX", path[300], long_line[200];
	char ok[] = "hsm_socket = /run/bos-hsm/hsm.sock", rel[] = "hsm_socket = hsm.sock";
	struct config c, d;
	struct bos_err err;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.hsm_socket, "");
	assert_int_not_equal(config_parse_line(&c, "/st", rel, &err), 0);
	assert_string_equal(c.hsm_socket, "");
	(void)snprintf(long_line, sizeof(long_line), "hsm_socket = /%0108d", 0);
	assert_int_not_equal(config_parse_line(&c, "/st", long_line, &err), 0); /* 109 > 107 */
	assert_int_equal(config_parse_line(&c, "/st", ok, &err), 0);
	assert_string_equal(c.hsm_socket, "/run/bos-hsm/hsm.sock");
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/bos.conf", dir);
	(void)snprintf(c.token_label, sizeof(c.token_label), "t1");
	assert_int_equal(config_write(path, &c, &err), 0);
	assert_int_equal(config_load(path, dir, &d, &err), 0);
	assert_string_equal(d.hsm_socket, "/run/bos-hsm/hsm.sock");
	unlink(path);
	rmdir(dir);
}

/* broker_uid_ROLE (issue #14): unset by default, any uid but (uid_t)-1, nothing else. */
static void
test_config_broker_uids(void **state)
{
	static const char *const bad[] = { "broker_uid_outreach = -1",
		"broker_uid_outreach = 4294967295", "broker_uid_outreach = 12x",
		"broker_uid_outreach = 99999999999", "broker_uid_admin = 1000",
		"job_visibility_seconds = 0", "job_visibility_seconds = 3601" };
	struct config c;
	struct bos_err err;
	char line[64];
	size_t i;

	(void)state;
	config_defaults(&c);
	for (i = 0; i < CONFIG_BROKER_ROLES; i++)
		assert_int_equal(c.broker_uid[i], CONFIG_UID_UNSET);
	assert_int_equal(c.job_visibility_seconds, 120);
	(void)snprintf(line, sizeof(line), "broker_uid_monitor = 0");
	assert_int_equal(config_parse_line(&c, "/st", line, &err), 0);
	(void)snprintf(line, sizeof(line), "broker_uid_hiring = 4294967294");
	assert_int_equal(config_parse_line(&c, "/st", line, &err), 0);
	assert_int_equal(c.broker_uid[0], CONFIG_UID_UNSET);
	assert_int_equal(c.broker_uid[1], 0);
	assert_int_equal(c.broker_uid[2], 4294967294LL);
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		(void)snprintf(line, sizeof(line), "%s", bad[i]);
		if (config_parse_line(&c, "/st", line, &err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
	}
	assert_int_equal(c.broker_uid[0], CONFIG_UID_UNSET);
	assert_int_equal(c.job_visibility_seconds, 120);
}

/* approval_seconds and grant_pickup_seconds (issue #15): defaults and ranges. */
static void
test_config_approval_pickup(void **state)
{
	static const char *const bad[] = { "approval_seconds = 9", "approval_seconds = 86401",
		"grant_pickup_seconds = 9", "grant_pickup_seconds = 3601",
		"grant_pickup_seconds = 600s" };
	static const char *const good[] = { "approval_seconds = 10", "approval_seconds = 86400",
		"grant_pickup_seconds = 10", "grant_pickup_seconds = 3600" };
	struct config c;
	struct bos_err err;
	char line[64];
	size_t i;

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.approval_seconds, 900);
	assert_int_equal(c.grant_pickup_seconds, 600);
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		(void)snprintf(line, sizeof(line), "%s", bad[i]);
		if (config_parse_line(&c, "/st", line, &err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
	}
	assert_int_equal(c.approval_seconds, 900);
	assert_int_equal(c.grant_pickup_seconds, 600);
	for (i = 0; i < BOS_ARRAY_LEN(good); i++) {
		(void)snprintf(line, sizeof(line), "%s", good[i]);
		if (config_parse_line(&c, "/st", line, &err) != 0)
			fail_msg("'%s' was refused: %s", good[i], err.msg);
	}
	assert_int_equal(c.approval_seconds, 86400);
	assert_int_equal(c.grant_pickup_seconds, 3600);
}

static void
test_config_file_round_trip(void **state)
{
	char dir[] = "/tmp/bos-conf.XXXXXX", path[300];
	struct config c, d;
	struct bos_err err;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/bos.conf", dir);
	config_defaults(&c);
	(void)snprintf(c.token_label, sizeof(c.token_label), "t1");
	(void)snprintf(c.pin_file, sizeof(c.pin_file), "hsm-pin");
	assert_int_equal(config_write(path, &c, &err), 0);
	assert_int_not_equal(config_write(path, &c, &err), 0); /* never overwrites */
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(config_load(path, dir, &d, &err), 0);
	assert_string_equal(d.token_label, "t1");
	assert_non_null(strstr(d.pin_file, "/hsm-pin"));
	/* A bad line names file and line number. */
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("\nwhat = ever\n", f);
	fclose(f);
	assert_int_not_equal(config_load(path, dir, &d, &err), 0);
	assert_non_null(strstr(err.msg, "bos.conf:"));
	assert_non_null(strstr(err.msg, "unknown setting 'what'"));
	unlink(path);
	assert_int_not_equal(config_load(path, dir, &d, &err), 0);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	rmdir(dir);
}

static void
test_keyfile_round_trip_and_damage(void **state)
{
	char dir[] = "/tmp/bos-key.XXXXXX", path[300];
	uint8_t blob[60], got[HSM_BLOB_MAX], raw[128];
	size_t n, len, i;
	uint32_t v;
	struct bos_err err;
	struct stat sb;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/db.key", dir);
	assert_int_equal(keyfile_write(path, 3, blob, sizeof(blob), &err), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 8 + 4 + 2 + 60);
	assert_int_not_equal(keyfile_write(path, 3, blob, sizeof(blob), &err), 0);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(keyfile_read(path, &v, got, sizeof(got), &n, &err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(n, sizeof(blob));
	assert_memory_equal(got, blob, sizeof(blob));

	f = fopen(path, "rb");
	assert_non_null(f);
	len = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	/* Every truncation and every extension is refused. */
	for (i = 0; i < len; i++)
		assert_int_not_equal(keyfile_parse(raw, i, &v, got, sizeof(got), &n), 0);
	raw[len] = 0;
	assert_int_not_equal(keyfile_parse(raw, len + 1, &v, got, sizeof(got), &n), 0);
	/* A damaged magic or a version 0 is refused. */
	raw[0] ^= 1;
	assert_int_not_equal(keyfile_parse(raw, len, &v, got, sizeof(got), &n), 0);
	raw[0] ^= 1;
	memset(raw + 8, 0, 4);
	assert_int_not_equal(keyfile_parse(raw, len, &v, got, sizeof(got), &n), 0);
	unlink(path);
	assert_int_not_equal(keyfile_read(path, &v, got, sizeof(got), &n, &err), 0);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "missing"));
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_lines),
		cmocka_unit_test(test_config_hsm_socket),
		cmocka_unit_test(test_config_outreach),
		cmocka_unit_test(test_config_notice),
		cmocka_unit_test(test_config_broker_uids),
		cmocka_unit_test(test_config_approval_pickup),
		cmocka_unit_test(test_config_file_round_trip),
		cmocka_unit_test(test_keyfile_round_trip_and_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
