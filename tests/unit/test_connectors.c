/*
 * Unit tests: the broker's connectors (broker/conn_*.c) and provider calls
 * (broker/provider.c) against the strict provider stubs
 * (tests/stubs/providers_stub.py): every branch of the verify result
 * (200, 401, 403, 429 with Retry-After, 500, 503, a redirect, a slow answer,
 * an oversized answer, a certificate from another CA), the exact request
 * each stub saw (its log names the key by a hash), and the checks made
 * before anything is sent (allow-list, scheme, test base URL form, a
 * Twilio account SID that would reshape the URL, a secret that would break
 * the header).
 *
 * Started bare (by tests/run-unit.sh), it runs itself again under
 * tests/stubs/with_stub.sh, which starts the stubs and exports their ports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/sha.h>
#include "broker.h"
#include "broker_config.h"
#include "connector.h"
#include "json_alloc.h"
#include "provider.h"
#include "url.h"
#include "secmem.h"
#include "wipe_alloc.h"

#define TC_SID "AC0123456789abcdef0123456789abcdef"

static struct broker_config tc_conf;
static struct provider tc_prov;
static char *tc_ca, *tc_other_ca;
static size_t tc_ca_len, tc_other_ca_len;
static unsigned tc_serial;

static char *
tc_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *p = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(p);
	*len = fread(p, 1, 1 << 20, f);
	fclose(f);
	assert_true(*len > 0);
	return p;
}

/* A fresh credential, added to the stub's keys file with its behaviour. */
static void
tc_key(const char *provider, const char *beh, const char *arg, char *out, size_t n)
{
	const char *pfx = strcmp(provider, "stripe") == 0 ? "sk_test_" :
	    strcmp(provider, "openai") == 0 ? "sk-proj-" : strcmp(provider, "sendgrid") == 0 ?
	    "SG." : "key-";
	FILE *f = fopen(getenv("STUB_TABLE"), "ae");

	(void)snprintf(out, n, "%s%s_%u_%d", pfx, beh, tc_serial++, (int)getpid());
	assert_non_null(f);
	if (strcmp(provider, "twilio") == 0)
		fprintf(f, "twilio %s:%s %s %s\n", TC_SID, out, beh, arg != NULL ? arg : "");
	else
		fprintf(f, "%s %s %s %s\n", provider, out, beh, arg != NULL ? arg : "");
	fclose(f);
	/* The stub re-reads the file when its mtime changes: make sure it does. */
	usleep(20000);
}

/* How many requests the stub logged for this credential (its key id), with extra in the line. */
static int
tc_seen(const char *provider, const char *cred, const char *extra)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	char full[512], kid[17], line[4096], want[64], prov[64];
	FILE *f;
	int n = 0, i;

	if (strcmp(provider, "twilio") == 0)
		(void)snprintf(full, sizeof(full), "%s:%s", TC_SID, cred);
	else
		(void)snprintf(full, sizeof(full), "%s", cred);
	SHA256((const uint8_t *)full, strlen(full), h);
	for (i = 0; i < 8; i++)
		(void)snprintf(kid + 2 * i, 3, "%02x", h[i]);
	(void)snprintf(want, sizeof(want), "\"key\": \"%s\"", kid);
	(void)snprintf(prov, sizeof(prov), "\"provider\": \"%s\"", provider);
	f = fopen(getenv("STUB_LOG"), "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, want) != NULL && strstr(line, prov) != NULL && (extra == NULL || strstr(line, extra) != NULL))
			n++;
	fclose(f);
	return n;
}

/* How many requests the stub logged so far, whatever their provider or key. */
static int
tc_log_lines(void)
{
	char line[4096];
	FILE *f = fopen(getenv("STUB_LOG"), "re");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

/* Run connector name's verify with cred; the lease as the vault would give it. */
static void
tc_verify(const char *name, const char *cred, struct verify_result *r)
{
	const struct connector *c = connector_find(name);
	struct broker_lease l;

	assert_non_null(c);
	memset(&l, 0, sizeof(l));
	(void)snprintf(l.id, sizeof(l.id), "ls_test");
	(void)snprintf(l.service, sizeof(l.service), "%s", name);
	(void)snprintf(l.account_sid, sizeof(l.account_sid), "%s", TC_SID);
	l.secret_cap = strlen(cred) + 1;
	l.secret = secmem_alloc(l.secret_cap);
	assert_non_null(l.secret);
	memcpy(l.secret, cred, l.secret_cap);
	l.secret_len = l.secret_cap - 1;
	(void)c->verify(&tc_prov, c, &l, r);
	broker_lease_wipe(&l);
	assert_null(l.secret);
}

static const char *const tc_names[] = { "sendgrid", "twilio", "stripe", "mailgun", "openai" };

/* Every connector: 200 → ok, exactly one request, the right path and auth form. */
static void
test_ok_each(void **state)
{
	struct verify_result r;
	char k[128];
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(tc_names); i++) {
		tc_key(tc_names[i], "ok", NULL, k, sizeof(k));
		tc_verify(tc_names[i], k, &r);
		assert_int_equal(r.outcome, VERIFY_OK);
		assert_int_equal(r.status, 200);
		assert_true(r.latency_ms >= 0 && r.latency_ms < 10000);
		assert_int_equal(tc_seen(tc_names[i], k, "\"status\": 200"), 1);
		assert_int_equal(tc_seen(tc_names[i], k, "\"problems\": []"), 1);
		assert_int_equal(tc_seen(tc_names[i], k, "\"method\": \"GET\""), 1);
	}
}

/* 401 and 403 → rejected: the job completes with ok false. */
static void
test_rejected_each(void **state)
{
	static const char *const beh[] = { "401", "403" };
	struct verify_result r;
	char k[128];
	size_t i, j;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(tc_names); i++)
		for (j = 0; j < 2; j++) {
			tc_key(tc_names[i], beh[j], NULL, k, sizeof(k));
			tc_verify(tc_names[i], k, &r);
			assert_int_equal(r.outcome, VERIFY_REJECTED);
			assert_int_equal(r.status, j == 0 ? 401 : 403);
			assert_int_equal(tc_seen(tc_names[i], k, NULL), 1);
		}
}

/* A key the stub does not know: its 401, so the exact key is what was sent. */
static void
test_unknown_key_rejected(void **state)
{
	struct verify_result r;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(tc_names); i++) {
		tc_verify(tc_names[i], "not-a-key-the-stub-knows", &r);
		assert_int_equal(r.outcome, VERIFY_REJECTED);
		assert_int_equal(tc_seen(tc_names[i], "not-a-key-the-stub-knows", "unknown_key"), 1);
	}
}

/* 429 with Retry-After, 500 and 503 → retry; the Retry-After is carried. */
static void
test_retry_each(void **state)
{
	struct verify_result r;
	char k[128];
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(tc_names); i++) {
		tc_key(tc_names[i], "429", "11", k, sizeof(k));
		tc_verify(tc_names[i], k, &r);
		assert_int_equal(r.outcome, VERIFY_RETRY);
		assert_int_equal(r.status, 429);
		assert_int_equal(r.retry_after, 11);
		tc_key(tc_names[i], "500", NULL, k, sizeof(k));
		tc_verify(tc_names[i], k, &r);
		assert_int_equal(r.outcome, VERIFY_RETRY);
		assert_int_equal(r.status, 500);
		assert_int_equal(r.retry_after, 0);
		tc_key(tc_names[i], "503", NULL, k, sizeof(k));
		tc_verify(tc_names[i], k, &r);
		assert_int_equal(r.outcome, VERIFY_RETRY);
		assert_int_equal(r.status, 503);
	}
}

/* A redirect is an error and is not followed (the stub logs any visit to its target). */
static void
test_redirect_refused(void **state)
{
	struct verify_result r;
	char k[128];

	(void)state;
	tc_key("sendgrid", "302", NULL, k, sizeof(k));
	tc_verify("sendgrid", k, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_int_equal(r.status, 302);
	assert_non_null(strstr(r.error, "redirect"));
	assert_int_equal(tc_seen("sendgrid", k, NULL), 1);
	assert_int_equal(tc_seen("sendgrid", k, "followed_redirect"), 0);
}

/* Past call_timeout: a network error, retried. */
static void
test_timeout_retry(void **state)
{
	struct verify_result r;
	char k[128];

	(void)state;
	tc_key("openai", "slow", "3", k, sizeof(k));
	tc_prov.call_timeout = 1;
	tc_verify("openai", k, &r);
	tc_prov.call_timeout = 10;
	assert_int_equal(r.outcome, VERIFY_RETRY);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "network error"));
	assert_true(r.latency_ms >= 900 && r.latency_ms < 2900);
}

/* An answer over PROVIDER_RESPONSE_MAX is cut off, an error. */
static void
test_big_answer_refused(void **state)
{
	struct verify_result r;
	char k[128];

	(void)state;
	tc_key("stripe", "big", NULL, k, sizeof(k));
	tc_verify("stripe", k, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "larger than"));
}

/* A certificate from another CA: the TLS handshake fails, no request arrives. */
static void
test_wrong_ca_refused(void **state)
{
	struct verify_result r;
	char k[128];

	(void)state;
	tc_key("mailgun", "ok", NULL, k, sizeof(k));
	tc_prov.test_ca = tc_other_ca;
	tc_prov.test_ca_len = tc_other_ca_len;
	tc_verify("mailgun", k, &r);
	tc_prov.test_ca = tc_ca;
	tc_prov.test_ca_len = tc_ca_len;
	assert_int_equal(r.outcome, VERIFY_RETRY);
	assert_int_equal(r.status, 0);
	assert_int_equal(tc_seen("mailgun", k, NULL), 0);
}

/* Twilio's SID becomes a path segment and the Basic user: only AC + 32 hex digits. */
static void
test_twilio_sid_checked(void **state)
{
	static const char *const bad[] = { "", "AC0123", "../../v1/balance?", "AC0123456789abcdef0123"
	    "456789abcdeZ", "AC0123456789abcdef0123456789abcdef@evil", "AC0123456789abcdef0123456789abc/" };
	const struct connector *c = connector_find("twilio");
	struct verify_result r;
	struct broker_lease l;
	char k[128];
	size_t i;

	(void)state;
	tc_key("twilio", "ok", NULL, k, sizeof(k));
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		memset(&l, 0, sizeof(l));
		(void)snprintf(l.account_sid, sizeof(l.account_sid), "%s", bad[i]);
		l.secret = k;
		assert_int_equal(c->verify(&tc_prov, c, &l, &r), -1);
		assert_int_equal(r.outcome, VERIFY_ERROR);
		assert_non_null(strstr(r.error, "account_sid"));
	}
	assert_int_equal(tc_seen("twilio", k, NULL), 0);
}

/* A secret that would break the header (CR LF, space, empty) is never sent. */
static void
test_header_injection_refused(void **state)
{
	static const char *const bad[] = { "sk\r\nX-Evil: 1", "sk test", "", "sk\x01" };
	struct verify_result r;
	size_t i;
	int before;

	(void)state;
	before = tc_log_lines();
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		tc_verify("stripe", bad[i], &r);
		assert_int_equal(r.outcome, VERIFY_ERROR);
		assert_int_equal(r.status, 0);
	}
	/* No request at all reached the stub (not only none with the whole bad key). */
	assert_int_equal(tc_log_lines(), before);
	/* Control: a good key is one more request in the same log. */
	tc_verify("stripe", "sk_test_after_injection", &r);
	assert_int_equal(tc_log_lines(), before + 1);
}

/* The host allow-list and the scheme, before any call. */
static void
test_allow_list(void **state)
{
	const struct connector *sg = connector_find("sendgrid"), *tw = connector_find("twilio");
	struct bos_err err;

	(void)state;
	assert_int_equal(provider_url_allowed(sg, "https://api.sendgrid.com/v3/scopes", 0, &err), 0);
	assert_int_equal(provider_url_allowed(sg, "https://api.eu.sendgrid.com/v3/scopes", 0, &err), 0);
	assert_int_equal(provider_url_allowed(sg, "https://evil.example/v3/scopes", 0, &err), -1);
	assert_non_null(strstr(err.msg, "allow-list"));
	assert_int_equal(provider_url_allowed(sg, "https://api.twilio.com/v3/scopes", 0, &err), -1);
	assert_int_equal(provider_url_allowed(tw, "https://api.sendgrid.com/x", 0, &err), -1);
	assert_int_equal(provider_url_allowed(sg, "http://api.sendgrid.com/v3/scopes", 0, &err), -1);
	assert_non_null(strstr(err.msg, "https"));
	assert_int_equal(provider_url_allowed(sg, "https://api.sendgrid.com@evil.example/", 0, &err), -1);
	assert_int_equal(provider_url_allowed(sg, "https://api.sendgrid.com.evil.example/", 0, &err), -1);
	/* Loopback only with a test base URL. */
	assert_int_equal(provider_url_allowed(sg, "https://127.0.0.1:9/v3/scopes", 0, &err), -1);
	assert_int_equal(provider_url_allowed(sg, "https://127.0.0.1:9/v3/scopes", 1, &err), 0);
	assert_int_equal(provider_url_allowed(sg, "https://10.0.0.1:9/v3/scopes", 1, &err), -1);
}

/* base_url.NAME: https on loopback and nothing else. */
static void
test_test_url_form(void **state)
{
	struct bos_err err;

	(void)state;
	assert_int_equal(url_test_base_ok("https://127.0.0.1:8443", &err), 0);
	assert_int_equal(url_test_base_ok("https://[::1]:8443", &err), 0);
	assert_int_equal(url_test_base_ok("https://localhost:8443", &err), 0);
	assert_int_equal(url_test_base_ok("http://127.0.0.1:8443", &err), -1);
	assert_non_null(strstr(err.msg, "plain http"));
	assert_int_equal(url_test_base_ok("https://api.sendgrid.com", &err), -1);
	assert_int_equal(url_test_base_ok("https://169.254.169.254", &err), -1);
	assert_int_equal(url_test_base_ok("https://127.0.0.1:1/?x=1", &err), -1);
	assert_int_equal(url_test_base_ok("https://u:p@127.0.0.1:1", &err), -1);
	assert_int_equal(url_test_base_ok("ftp://127.0.0.1", &err), -1);
}

/* A connector without a test base URL goes to its production host: no CA bundle, no call. */
static void
test_no_ca_refused(void **state)
{
	const struct connector *sg = connector_find("sendgrid");
	struct broker_config c;
	struct provider p = tc_prov;
	struct verify_result r;
	struct broker_lease l;
	struct bos_err err;

	(void)state;
	assert_int_equal(broker_config_init(&c, "outreach", &err), 0);
	p.conf = &c;
	p.ca = NULL;
	memset(&l, 0, sizeof(l));
	l.secret = (char *)(uintptr_t)"SG.whatever";
	(void)sg->verify(&p, sg, &l, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "no CA bundle"));
}

static int
tc_setup(void **state)
{
	static const char *const names[] = { "sendgrid", "twilio", "stripe", "mailgun", "openai" };
	struct bos_err err;
	char var[64];
	size_t i;

	(void)state;
	assert_int_equal(broker_config_init(&tc_conf, "outreach", &err), 0);
	for (i = 0; i < BOS_ARRAY_LEN(names); i++) {
		struct broker_override *o = &tc_conf.overrides[tc_conf.noverrides++];

		(void)snprintf(var, sizeof(var), "STUB_PORT_%s", names[i]);
		assert_non_null(getenv(var));
		(void)snprintf(o->connector, sizeof(o->connector), "%s", names[i]);
		(void)snprintf(o->url, sizeof(o->url), "https://127.0.0.1:%s", getenv(var));
	}
	tc_ca = tc_slurp(getenv("STUB_CA"), &tc_ca_len);
	tc_other_ca = tc_slurp(getenv("STUB_CA_OTHER"), &tc_other_ca_len);
	tc_prov = (struct provider){ 5, 10, NULL, 0, tc_ca, tc_ca_len, &tc_conf, NULL, NULL, 60 };
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_each),
		cmocka_unit_test(test_rejected_each),
		cmocka_unit_test(test_unknown_key_rejected),
		cmocka_unit_test(test_retry_each),
		cmocka_unit_test(test_redirect_refused),
		cmocka_unit_test(test_timeout_retry),
		cmocka_unit_test(test_big_answer_refused),
		cmocka_unit_test(test_wrong_ca_refused),
		cmocka_unit_test(test_twilio_sid_checked),
		cmocka_unit_test(test_header_injection_refused),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_test_url_form),
		cmocka_unit_test(test_no_ca_refused),
	};

	(void)argc;
	if (getenv("STUB_TABLE") == NULL) {
		/* Bare: start the stubs and run again under them. */
		execl("/bin/bash", "bash", "tests/stubs/with_stub.sh", argv[0], (char *)NULL);
		fprintf(stderr, "test_connectors: cannot run tests/stubs/with_stub.sh (run from the "
		    "source tree)\n");
		return 1;
	}
	json_alloc_init();
	if (wipe_alloc_curl_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, tc_setup, NULL);
}
