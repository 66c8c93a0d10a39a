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
#include <curl/curl.h>
#include <time.h>
#include <openssl/sha.h>
#include "broker.h"
#include "broker_config.h"
#include "connector.h"
#include "json_alloc.h"
#include "meta.h"
#include "provider.h"
#include "url.h"
#include "secmem.h"
#include "msg_mime.h"
#include "send_link.h"
#include "wipe_alloc.h"

#define TC_SID "AC0123456789abcdef0123456789abcdef"
#define TC_PLIVO_ID "MAZDQ1NZQ4NJUXMZY2MD"
#define TC_MG_DOMAIN "mg.example.test"

static char tc_ses_akid[32];   /* the access key id of the last ses key made (one per key) */

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
	    "SG." : strcmp(provider, "meta") == 0 ? "EAAG" : "key-";
	FILE *f = fopen(getenv("STUB_TABLE"), "ae");
	size_t i;

	(void)snprintf(out, n, "%s%s_%u_%d", pfx, beh, tc_serial++, (int)getpid());
	/* A STEP:BEHAVIOUR (the Meta stub's) names the key too; ':' is no token character. */
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == ':')
			out[i] = '-';
	assert_non_null(f);
	if (strcmp(provider, "twilio") == 0)
		fprintf(f, "twilio %s:%s %s %s\n", TC_SID, out, beh, arg != NULL ? arg : "");
	else if (strcmp(provider, "plivo") == 0)
		fprintf(f, "plivo %s:%s %s %s\n", TC_PLIVO_ID, out, beh, arg != NULL ? arg : "");
	else if (strcmp(provider, "ses") == 0) {
		(void)snprintf(tc_ses_akid, sizeof(tc_ses_akid), "AKIA%08u%08d", tc_serial,
		    (int)getpid() % 100000000);
		fprintf(f, "ses %s:%s %s %s\n", tc_ses_akid, out, beh, arg != NULL ? arg : "");
	} else
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
	else if (strcmp(provider, "plivo") == 0)
		(void)snprintf(full, sizeof(full), "%s:%s", TC_PLIVO_ID, cred);
	else if (strcmp(provider, "ses") == 0)
		(void)snprintf(full, sizeof(full), "%s:%s", tc_ses_akid, cred);
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
	(void)snprintf(l.meta_auth_id, sizeof(l.meta_auth_id), "%s", TC_PLIVO_ID);
	(void)snprintf(l.meta_key_id, sizeof(l.meta_key_id), "%s", tc_ses_akid);
	if (strcmp(name, "ses") == 0)
		(void)snprintf(l.meta_region, sizeof(l.meta_region), "us-east-1");
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

/* ---- Sending (issue #16): SendGrid, Twilio, SMTP against the stubs and sinks. ---- */

static char tc_smtp_pass[256];

static const struct msg_header tc_hdrs[] = {
	{ "List-Unsubscribe", "<https://bos.example/u/tok_abc>" },
	{ "List-Unsubscribe-Post", "List-Unsubscribe=One-Click" },
};

/* An email as the vault renders it. */
static struct send_msg
tc_email(const char *provider)
{
	struct send_msg m;

	memset(&m, 0, sizeof(m));
	m.id = "om_testmessage0000000000000001";
	m.channel = "email";
	m.provider = provider;
	m.to = "ada@example.org";
	m.from = "Acme Sales <sales@acme.example>";
	m.subject = "Our product, für Sie";
	m.text = "Hello Ada\n\nUnsubscribe: https://bos.example/u/tok_abc\n1 Main St, Springfield\n";
	m.html = "<p>Hello Ada</p><p><a href=\"https://bos.example/u/tok_abc\">Unsubscribe</a></p>";
	m.message_id = "<om_testmessage0000000000000001@bos.invalid>";
	m.token = "tok_abc";
	memcpy(m.headers, tc_hdrs, sizeof(tc_hdrs));
	m.nheaders = BOS_ARRAY_LEN(tc_hdrs);
	return m;
}

static struct send_msg
tc_sms(void)
{
	struct send_msg m;

	memset(&m, 0, sizeof(m));
	m.id = "om_testmessage0000000000000002";
	m.channel = "sms";
	m.provider = "twilio";
	m.to = "+14155550123";
	m.from = "+14155550100";
	m.body = "Hi Ada, our product & more. Reply STOP to opt out.";
	m.token = "tok_sms";
	m.status_callback = "https://hooks.example/hooks/twilio/status";
	return m;
}

/* A lease as the vault gives it, secret in locked memory. */
static void
tc_lease(const char *service, const char *cred, struct broker_lease *l)
{
	memset(l, 0, sizeof(*l));
	(void)snprintf(l->id, sizeof(l->id), "ls_test");
	(void)snprintf(l->service, sizeof(l->service), "%s", service);
	(void)snprintf(l->account_sid, sizeof(l->account_sid), "%s", TC_SID);
	(void)snprintf(l->meta_host, sizeof(l->meta_host), "smtp.example.test");
	l->meta_port = 587;
	(void)snprintf(l->meta_username, sizeof(l->meta_username), "%s", getenv("SMTP_USER"));
	(void)snprintf(l->meta_domain, sizeof(l->meta_domain), TC_MG_DOMAIN);
	(void)snprintf(l->meta_auth_id, sizeof(l->meta_auth_id), TC_PLIVO_ID);
	(void)snprintf(l->meta_key_id, sizeof(l->meta_key_id), "%s", tc_ses_akid);
	if (strcmp(service, "ses") == 0)
		(void)snprintf(l->meta_region, sizeof(l->meta_region), "us-east-1");
	l->secret_cap = strlen(cred) + 1;
	l->secret = secmem_alloc(l->secret_cap);
	assert_non_null(l->secret);
	memcpy(l->secret, cred, l->secret_cap);
	l->secret_len = l->secret_cap - 1;
}

/* prepare then send; returns prepare's result (no send when it fails). */
static int
tc_send(const char *name, const char *cred, const struct send_msg *m, struct send_result *sr,
    struct bos_err *err)
{
	const struct connector *c = connector_find(name);
	struct broker_lease l;
	struct send_prep sp;
	int r;

	assert_non_null(c);
	assert_non_null(c->send);
	tc_lease(name, cred, &l);
	memset(sr, 0, sizeof(*sr));
	r = c->prepare(&tc_prov, c, m, &l, &sp, err);
	if (r == 0)
		c->send(&tc_prov, c, &l, &sp, sr);
	send_prep_free(&sp);
	broker_lease_wipe(&l);
	return r;
}

/* Point base_url.smtp at one of the sinks. */
static void
tc_smtp_port(const char *var)
{
	size_t i;

	for (i = 0; i < tc_conf.noverrides; i++)
		if (strcmp(tc_conf.overrides[i].connector, "smtp") == 0)
			(void)snprintf(tc_conf.overrides[i].url, sizeof(tc_conf.overrides[i].url),
			    "smtp://127.0.0.1:%s", getenv(var));
}

static int
tc_count_lines(const char *path, const char *needle)
{
	char line[8192];
	FILE *f = fopen(path, "re");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (needle == NULL || strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return n;
}

static int
tc_sink_log(const char *sink, const char *needle)
{
	char p[512];

	(void)snprintf(p, sizeof(p), "%s/%s.log", getenv("SMTP_DIR"), sink);
	return tc_count_lines(p, needle);
}

/* SendGrid: 202, X-Message-Id kept, the exact body the stub checks (custom_args, headers). */
static void
test_sendgrid_send_ok(void **state)
{
	struct send_msg m = tc_email("sendgrid");
	struct send_result sr;
	struct bos_err err;
	char k[128];

	(void)state;
	tc_key("sendgrid", "ok", NULL, k, sizeof(k));
	assert_int_equal(tc_send("sendgrid", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_int_equal(sr.r.status, 202);
	assert_int_equal(strncmp(sr.provider_id, "sgmsg", 5), 0);
	assert_int_equal(tc_seen("sendgrid", k, "\"problems\": []"), 1);
	assert_int_equal(tc_seen("sendgrid", k, "\"method\": \"POST\""), 1);
	assert_int_equal(tc_seen("sendgrid", k, sr.provider_id), 1);
	assert_int_equal(tc_seen("sendgrid", k, "\"bos_message\": \"om_testmessage0000000000000001\""), 1);
	assert_int_equal(tc_seen("sendgrid", k, "\"bos_token\": \"tok_abc\""), 1);
	assert_int_equal(tc_seen("sendgrid", k, "\"List-Unsubscribe-Post\": \"List-Unsubscribe=One-Click\""), 1);
	assert_int_equal(tc_seen("sendgrid", k, "\"parts\": [\"text/plain\", \"text/html\"]"), 1);
	assert_int_equal(tc_seen("sendgrid", k, "\"to\": \"ada@example.org\""), 1);
	/* Reply-To goes to reply_to, never among the headers SendGrid reserves. */
	m.headers[m.nheaders++] = (struct msg_header){ "Reply-To", "reply+tok_abc@reply.example" };
	tc_key("sendgrid", "ok", NULL, k, sizeof(k));
	assert_int_equal(tc_send("sendgrid", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_int_equal(tc_seen("sendgrid", k, "\"reply_to\": \"reply+tok_abc@reply.example\""), 1);
}

/* The same outcomes for both HTTP senders: 429 (Retry-After, X-RateLimit-Reset), 5xx, 400, 401, 403. */
static void
test_http_send_outcomes(void **state)
{
	static const char *const names[] = { "sendgrid", "twilio", "mailgun", "ses", "plivo" };
	struct send_result sr;
	struct send_msg m;
	struct bos_err err;
	char k[128];
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(names); i++) {
		if (strcmp(names[i], "twilio") == 0 || strcmp(names[i], "plivo") == 0) {
			m = tc_sms();
			m.provider = names[i];
		} else {
			m = tc_email(names[i]);
		}
		tc_key(names[i], "429", "11", k, sizeof(k));
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		assert_int_equal(sr.r.outcome, VERIFY_RETRY);
		assert_int_equal(sr.r.status, 429);
		assert_int_equal(sr.r.retry_after, 11);
		assert_string_equal(sr.provider_id, "");
		tc_key(names[i], "429reset", "40", k, sizeof(k));
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		assert_int_equal(sr.r.outcome, VERIFY_RETRY);
		assert_true(sr.r.retry_after >= 37 && sr.r.retry_after <= 40);
		tc_key(names[i], "429reset", "100000", k, sizeof(k));
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		assert_int_equal(sr.r.retry_after, 300);   /* capped */
		tc_key(names[i], "500", NULL, k, sizeof(k));
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		assert_int_equal(sr.r.outcome, VERIFY_RETRY);
		assert_int_equal(sr.r.status, 500);
		tc_key(names[i], "503", NULL, k, sizeof(k));
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		assert_int_equal(sr.r.outcome, VERIFY_RETRY);
		tc_key(names[i], "400", NULL, k, sizeof(k));
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		assert_int_equal(sr.r.outcome, VERIFY_ERROR);
		assert_int_equal(sr.r.status, 400);
		assert_int_equal(tc_seen(names[i], k, "recipient_refused"), 1);
		tc_key(names[i], "401", NULL, k, sizeof(k));
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		assert_int_equal(sr.r.outcome, VERIFY_REJECTED);
		assert_int_equal(sr.r.status, 401);
		tc_key(names[i], "403", NULL, k, sizeof(k));
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		assert_int_equal(sr.r.outcome, VERIFY_REJECTED);
		assert_int_equal(sr.r.status, 403);
		/* A key the stub does not know: 401 too. */
		assert_int_equal(tc_send(names[i], "unknown-send-key", &m, &sr, &err), 0);
		assert_int_equal(sr.r.outcome, VERIFY_REJECTED);
	}
}

/* The SendGrid stub is strict: without the List-Unsubscribe headers it answers 400. */
static void
test_sendgrid_stub_strict(void **state)
{
	struct send_msg m = tc_email("sendgrid");
	struct send_result sr;
	struct bos_err err;
	char k[128];

	(void)state;
	m.nheaders = 0;
	tc_key("sendgrid", "ok", NULL, k, sizeof(k));
	assert_int_equal(tc_send("sendgrid", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_ERROR);
	assert_int_equal(sr.r.status, 400);
	assert_int_equal(tc_seen("sendgrid", k, "\"headers\""), 1);
	/* A header value with CR/LF is refused before any request. */
	m = tc_email("sendgrid");
	m.headers[0].value = "<https://x.example/u/1>\r\nBcc: victim@example.org";
	tc_key("sendgrid", "ok", NULL, k, sizeof(k));
	assert_int_equal(tc_send("sendgrid", k, &m, &sr, &err), -1);
	assert_non_null(strstr(err.msg, "injection"));
	assert_int_equal(tc_seen("sendgrid", k, NULL), 0);
}

/* Twilio: 201, the sid and the price (-0.00790 USD is 7900 micro-USD), the form as documented. */
static void
test_twilio_send_ok(void **state)
{
	struct send_msg m = tc_sms();
	struct send_result sr;
	struct bos_err err;
	char k[128];

	(void)state;
	tc_key("twilio", "ok", "-0.00790", k, sizeof(k));
	assert_int_equal(tc_send("twilio", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_int_equal(sr.r.status, 201);
	assert_int_equal(strlen(sr.provider_id), 34);
	assert_int_equal(strncmp(sr.provider_id, "SM", 2), 0);
	assert_true(sr.has_price);
	assert_int_equal(sr.price_micros, 7900);
	assert_string_equal(sr.currency, "USD");
	assert_int_equal(tc_seen("twilio", k, "\"problems\": []"), 1);
	assert_int_equal(tc_seen("twilio", k, sr.provider_id), 1);
	assert_int_equal(tc_seen("twilio", k, "\"to\": \"+14155550123\""), 1);
	assert_int_equal(tc_seen("twilio", k, "\"stop_notice\": true"), 1);
	assert_int_equal(tc_seen("twilio", k, "\"status_callback\": \"https://hooks.example/hooks/twilio/status\""), 1);
	/* No price yet (Twilio's usual answer): none reported. */
	tc_key("twilio", "ok", NULL, k, sizeof(k));
	m.status_callback = NULL;
	assert_int_equal(tc_send("twilio", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_false(sr.has_price);
	assert_int_equal(tc_seen("twilio", k, "\"status_callback\": null"), 1);
	/* A price past micro-units, or not a number: not reported (the campaign's price stands). */
	tc_key("twilio", "ok", "-0.0079001", k, sizeof(k));
	assert_int_equal(tc_send("twilio", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_false(sr.has_price);
	tc_key("twilio", "ok", "-1.2.3", k, sizeof(k));
	assert_int_equal(tc_send("twilio", k, &m, &sr, &err), 0);
	assert_false(sr.has_price);
	tc_key("twilio", "ok", "-12", k, sizeof(k));
	assert_int_equal(tc_send("twilio", k, &m, &sr, &err), 0);
	assert_true(sr.has_price);
	assert_int_equal(sr.price_micros, 12000000);
}

/* Twilio: what cannot be sent is refused before a request. */
static void
test_twilio_send_refused_before(void **state)
{
	static const char *const bad_to[] = { "0155", "+1 415 555", "14155550123", "+1415555012a",
	    "+1415555012345678" };
	struct send_msg m;
	struct send_result sr;
	struct bos_err err;
	char k[128];
	size_t i;

	(void)state;
	tc_key("twilio", "ok", NULL, k, sizeof(k));
	for (i = 0; i < BOS_ARRAY_LEN(bad_to); i++) {
		m = tc_sms();
		m.to = bad_to[i];
		assert_int_equal(tc_send("twilio", k, &m, &sr, &err), -1);
	}
	m = tc_sms();
	m.body = "";
	assert_int_equal(tc_send("twilio", k, &m, &sr, &err), -1);
	m = tc_sms();
	m.status_callback = "http://hooks.example/x";
	assert_int_equal(tc_send("twilio", k, &m, &sr, &err), -1);
	assert_int_equal(tc_seen("twilio", k, NULL), 0);
	/* Control: a good message is one request. */
	m = tc_sms();
	assert_int_equal(tc_send("twilio", k, &m, &sr, &err), 0);
	assert_int_equal(tc_seen("twilio", k, NULL), 1);
}

/* The newest message file of a sink, read whole. */
static char *
tc_sink_message(const char *sink, int n)
{
	char p[512];
	size_t len;

	(void)snprintf(p, sizeof(p), "%s/%s.mail/%04d.eml", getenv("SMTP_DIR"), sink, n);
	if (access(p, R_OK) != 0)
		return NULL;
	{
		char *s = tc_slurp(p, &len);

		s[len] = '\0';
		return s;
	}
}

/* SMTP: STARTTLS, AUTH, the message in the sink with its headers; the Message-ID is the id. */
static void
test_smtp_send_ok(void **state)
{
	struct send_msg m = tc_email("smtp");
	struct send_result sr;
	struct bos_err err;
	int before = tc_sink_log("sink", "\"code\":250");
	char *s;

	(void)state;
	tc_smtp_port("SMTP_PORT");
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_int_equal(sr.r.status, 250);
	assert_string_equal(sr.provider_id, "<om_testmessage0000000000000001@bos.invalid>");
	assert_int_equal(tc_sink_log("sink", "\"code\":250"), before + 1);
	assert_int_equal(tc_sink_log("sink", "\"tls\":true,\"user\":\"bos-sender\""), before + 1);
	/* EHLO names the sender's domain (never this machine's name, which the sandbox hides). */
	assert_int_equal(tc_sink_log("sink", "\"ehlo\":\"acme.example\""), before + 1);
	s = tc_sink_message("sink", before + 1);
	assert_non_null(s);
	assert_non_null(strstr(s, "Message-ID: <om_testmessage0000000000000001@bos.invalid>\r\n"));
	assert_non_null(strstr(s, "List-Unsubscribe: <https://bos.example/u/tok_abc>\r\n"));
	assert_non_null(strstr(s, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
	assert_non_null(strstr(s, "To: ada@example.org\r\n"));
	assert_non_null(strstr(s, "Subject: =?UTF-8?B?"));
	assert_non_null(strstr(s, "multipart/alternative"));
	/* The password appears nowhere in the message or the sink's log. */
	assert_null(strstr(s, tc_smtp_pass));
	free(s);
}

/* SMTP: every failure, classified, and nothing sent in plaintext. */
static void
test_smtp_send_outcomes(void **state)
{
	struct send_msg m = tc_email("smtp");
	struct send_result sr;
	struct bos_err err;
	int before;

	(void)state;
	/* A wrong password: refused (535), no message. */
	tc_smtp_port("SMTP_PORT");
	before = tc_sink_log("sink", "\"code\":250");
	assert_int_equal(tc_send("smtp", "not-the-password", &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_REJECTED);
	assert_string_equal(sr.provider_id, "");
	/* A recipient refused for good (550): fail without retry. */
	m.to = "refuse-me@example.org";
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_ERROR);
	assert_int_equal(sr.r.status, 550);
	/* A recipient refused for now (451): retry. */
	m.to = "tempfail@example.org";
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_RETRY);
	assert_int_equal(sr.r.status, 451);
	assert_int_equal(tc_sink_log("sink", "\"code\":250"), before);
	/* 451 on DATA: retry. */
	m = tc_email("smtp");
	tc_smtp_port("SMTP_PORT_FAIL");
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_RETRY);
	assert_int_equal(sr.r.status, 451);
	assert_int_equal(tc_sink_log("fail", "\"code\":451"), 1);
	/* No STARTTLS: the job fails, and the password never went out (no AUTH at all). */
	tc_smtp_port("SMTP_PORT_PLAIN");
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(sr.r.error, "STARTTLS"));
	assert_int_equal(tc_sink_log("plain", "\"event\":\"auth\""), 0);
	assert_int_equal(tc_sink_log("plain", NULL), 0);
	/* A certificate from another CA: no TLS, retried (the server may be fixed), nothing sent. */
	tc_smtp_port("SMTP_PORT");
	tc_prov.test_ca = tc_other_ca;
	tc_prov.test_ca_len = tc_other_ca_len;
	before = tc_sink_log("sink", NULL);
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), 0);
	tc_prov.test_ca = tc_ca;
	tc_prov.test_ca_len = tc_ca_len;
	assert_int_equal(sr.r.outcome, VERIFY_RETRY);
	assert_int_equal(tc_sink_log("sink", NULL), before);
}

/* SMTP: refused before connecting (host not in smtp_hosts, none set, header injection, bad metadata). */
static void
test_smtp_refused_before(void **state)
{
	const struct connector *c = connector_find("smtp");
	struct send_msg m = tc_email("smtp");
	struct send_result sr;
	struct broker_lease l;
	struct send_prep sp;
	struct bos_err err;
	char saved[sizeof(tc_conf.smtp_hosts)];
	int before;

	(void)state;
	tc_smtp_port("SMTP_PORT");
	before = tc_sink_log("sink", NULL);
	/* The credential names a host the broker's smtp_hosts does not list. */
	tc_lease("smtp", tc_smtp_pass, &l);
	(void)snprintf(l.meta_host, sizeof(l.meta_host), "evil.example");
	assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), -1);
	assert_non_null(strstr(err.msg, "smtp_hosts"));
	send_prep_free(&sp);
	/* Case and a trailing dot do not sneak past the list. */
	(void)snprintf(l.meta_host, sizeof(l.meta_host), "smtp.example.test.evil");
	assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), -1);
	send_prep_free(&sp);
	(void)snprintf(l.meta_host, sizeof(l.meta_host), "SMTP.Example.Test");
	assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), 0);
	send_prep_free(&sp);
	/* No host, a port out of range, no username. */
	l.meta_host[0] = '\0';
	assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), -1);
	send_prep_free(&sp);
	(void)snprintf(l.meta_host, sizeof(l.meta_host), "smtp.example.test");
	l.meta_port = 70000;
	assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), -1);
	send_prep_free(&sp);
	l.meta_port = 587;
	l.meta_username[0] = '\0';
	assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), -1);
	send_prep_free(&sp);
	broker_lease_wipe(&l);
	/* smtp_hosts unset: SMTP is refused. */
	memcpy(saved, tc_conf.smtp_hosts, sizeof(saved));
	tc_conf.smtp_hosts[0] = '\0';
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), -1);
	assert_non_null(strstr(err.msg, "smtp_hosts"));
	memcpy(tc_conf.smtp_hosts, saved, sizeof(saved));
	/* Header injection in the subject, a header, the recipient: refused, nothing sent. */
	m.subject = "Hi\r\nBcc: victim@example.org";
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), -1);
	assert_non_null(strstr(err.msg, "injection"));
	m = tc_email("smtp");
	m.headers[1].value = "List-Unsubscribe=One-Click\nBcc: victim@example.org";
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), -1);
	m = tc_email("smtp");
	m.to = "ada@example.org>\r\nRCPT TO:<victim@example.org";
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), -1);
	/* A password with CR/LF is never sent. */
	m = tc_email("smtp");
	assert_int_equal(tc_send("smtp", "pw\r\nQUIT", &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_ERROR);
	assert_int_equal(tc_sink_log("sink", NULL), before);
	/* Control: the same message, clean, goes through. */
	assert_int_equal(tc_send("smtp", tc_smtp_pass, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_true(tc_sink_log("sink", NULL) > before);
}

/*
 * The answer never came after the whole request went out: maybe sent, so
 * never retried; a connection that failed first sent nothing: retried.
 */
static void
test_send_maybe_sent(void **state)
{
	struct send_msg m = tc_email("sendgrid");
	struct send_result sr;
	struct bos_err err;
	char k[128];
	size_t i;

	(void)state;
	tc_key("sendgrid", "slow", "3", k, sizeof(k));
	tc_prov.call_timeout = 1;
	assert_int_equal(tc_send("sendgrid", k, &m, &sr, &err), 0);
	tc_prov.call_timeout = 10;
	assert_int_equal(sr.r.outcome, VERIFY_RETRY);
	assert_true(sr.r.maybe_sent);
	/* The stub did take it (it logs the accepted message after its delay). */
	usleep(2500000);
	assert_int_equal(tc_seen("sendgrid", k, "\"status\": 202"), 1);
	/* Nothing listens: no request went out, a plain retry. */
	for (i = 0; i < tc_conf.noverrides; i++)
		if (strcmp(tc_conf.overrides[i].connector, "sendgrid") == 0)
			(void)snprintf(tc_conf.overrides[i].url, sizeof(tc_conf.overrides[i].url),
			    "https://127.0.0.1:1");
	assert_int_equal(tc_send("sendgrid", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_RETRY);
	assert_false(sr.r.maybe_sent);
	for (i = 0; i < tc_conf.noverrides; i++)
		if (strcmp(tc_conf.overrides[i].connector, "sendgrid") == 0)
			(void)snprintf(tc_conf.overrides[i].url, sizeof(tc_conf.overrides[i].url),
			    "https://127.0.0.1:%s", getenv("STUB_PORT_sendgrid"));
	/* A 5xx is an answer: not sent, retried. */
	tc_key("sendgrid", "503", NULL, k, sizeof(k));
	assert_int_equal(tc_send("sendgrid", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_RETRY);
	assert_false(sr.r.maybe_sent);
}

/* SMTP verify: log in and stop; nothing is sent. */
static void
test_smtp_verify(void **state)
{
	const struct connector *c = connector_find("smtp");
	struct verify_result r;
	struct broker_lease l;
	int msgs = tc_sink_log("sink", "\"event\":\"data\"");
	int logins = tc_sink_log("sink", "\"tls\":true,\"user_ok\":true,\"ok\":true");

	(void)state;
	tc_smtp_port("SMTP_PORT");
	tc_lease("smtp", tc_smtp_pass, &l);
	assert_int_equal(c->verify(&tc_prov, c, &l, &r), 0);
	assert_int_equal(r.outcome, VERIFY_OK);
	assert_int_equal(r.status, 235);
	broker_lease_wipe(&l);
	/* One more login, over TLS, accepted. */
	assert_int_equal(tc_sink_log("sink", "\"tls\":true,\"user_ok\":true,\"ok\":true"), logins + 1);
	tc_lease("smtp", "wrong password", &l);
	assert_int_equal(c->verify(&tc_prov, c, &l, &r), 0);
	assert_int_equal(r.outcome, VERIFY_REJECTED);
	broker_lease_wipe(&l);
	tc_smtp_port("SMTP_PORT_PLAIN");
	tc_lease("smtp", tc_smtp_pass, &l);
	assert_int_equal(c->verify(&tc_prov, c, &l, &r), 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "STARTTLS"));
	assert_int_equal(tc_sink_log("plain", "\"event\":\"auth\""), 0);
	(void)snprintf(l.meta_host, sizeof(l.meta_host), "elsewhere.example");
	assert_int_equal(c->verify(&tc_prov, c, &l, &r), -1);
	assert_non_null(strstr(r.error, "smtp_hosts"));
	broker_lease_wipe(&l);
	tc_smtp_port("SMTP_PORT");
	assert_int_equal(tc_sink_log("sink", "\"event\":\"data\""), msgs);
}

/* provider_call refuses a content type or extra header with CR/LF before sending. */
static void
test_post_header_injection_refused(void **state)
{
	const struct connector *c = connector_find("sendgrid");
	struct provider_auth a = { PROVIDER_AUTH_BEARER, NULL, "SG.whatever", NULL };
	const char *const hs[] = { "X-Ok: 1", "X-Bad: 1\r\nX-Evil: 2", NULL };
	struct provider_req q = { "/v3/mail/send", "application/json", "{}", 2, hs, NULL, 0, NULL };
	struct verify_result r;
	int before = tc_log_lines();

	(void)state;
	provider_call(&tc_prov, c, &q, &a, &r, NULL);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	q.headers = NULL;
	q.ctype = "application/json\r\nX-Evil: 1";
	provider_call(&tc_prov, c, &q, &a, &r, NULL);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_int_equal(tc_log_lines(), before);
}

static size_t
tc_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p; (void)arg;
	return size * n;
}

/* ---- Mailgun, SES, Plivo sending (issue #16 item 3). ---- */

/* Mailgun: multipart form to /v3/{domain}/messages, Basic api:KEY, 200 + id; v: variables. */
static void
test_mailgun_send_ok(void **state)
{
	struct send_msg m = tc_email("mailgun");
	struct send_result sr;
	struct bos_err err;
	char k[128];

	(void)state;
	m.headers[m.nheaders++] = (struct msg_header){ "Reply-To", "reply+tok_abc@reply.example" };
	m.headers[m.nheaders++] = (struct msg_header){ "Message-ID", m.message_id };
	tc_key("mailgun", "ok", NULL, k, sizeof(k));
	assert_int_equal(tc_send("mailgun", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_int_equal(sr.r.status, 200);
	assert_int_equal(sr.provider_id[0], '<');
	assert_non_null(strstr(sr.provider_id, "@" TC_MG_DOMAIN ">"));
	assert_int_equal(tc_seen("mailgun", k, "\"problems\": []"), 1);
	assert_int_equal(tc_seen("mailgun", k, "\"auth\": \"basic\""), 1);
	assert_int_equal(tc_seen("mailgun", k, "\"path\": \"/v3/" TC_MG_DOMAIN "/messages\""), 1);
	assert_int_equal(tc_seen("mailgun", k, "\"bos_message\": \"om_testmessage0000000000000001\""), 1);
	assert_int_equal(tc_seen("mailgun", k, "\"bos_token\": \"tok_abc\""), 1);
	assert_int_equal(tc_seen("mailgun", k, "\"List-Unsubscribe-Post\": \"List-Unsubscribe=One-Click\""), 1);
	assert_int_equal(tc_seen("mailgun", k, "\"Reply-To\": \"reply+tok_abc@reply.example\""), 1);
	assert_int_equal(tc_seen("mailgun", k, "\"parts\": [\"text\", \"html\"]"), 1);
	assert_int_equal(tc_seen("mailgun", k, "\"subject\": \"Our product, f\\u00fcr Sie\""), 1);
	/* Mailgun sets its own Message-Id: ours is not sent (v:bos_message matches). */
	assert_int_equal(tc_seen("mailgun", k, "Message-ID"), 0);
	assert_int_equal(tc_seen("mailgun", k, sr.provider_id), 1);
}

/* Checked before anything is sent: the domain, the region, reserved and injected headers. */
static void
test_mailgun_refused_before(void **state)
{
	static const char *const bad[] = { "", "localhost", "../v3/x", "mg.example.test/x",
	    "-mg.example.test", "mg-.example.test", "mg..example.test", "user@mg.example.test",
	    "mg.example.test?x=1", "mg.example.test#", "mg example.test", "mg.example.test.",
	    "127.0.0.1:8080" };
	const struct connector *c = connector_find("mailgun");
	struct send_msg m = tc_email("mailgun");
	struct broker_lease l;
	struct send_prep sp;
	struct bos_err err;
	char k[128];
	size_t i;

	(void)state;
	tc_key("mailgun", "ok", NULL, k, sizeof(k));
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		tc_lease("mailgun", k, &l);
		(void)snprintf(l.meta_domain, sizeof(l.meta_domain), "%s", bad[i]);
		assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), -1);
		assert_non_null(strstr(err.msg, "domain"));
		send_prep_free(&sp);
		broker_lease_wipe(&l);
	}
	tc_lease("mailgun", k, &l);
	(void)snprintf(l.meta_region, sizeof(l.meta_region), "ap");
	assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), -1);
	assert_non_null(strstr(err.msg, "region"));
	send_prep_free(&sp);
	(void)snprintf(l.meta_region, sizeof(l.meta_region), "eu");
	assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), 0);
	send_prep_free(&sp);
	broker_lease_wipe(&l);
	m.headers[m.nheaders++] = (struct msg_header){ "Bcc", "victim@example.org" };
	assert_int_equal(tc_send("mailgun", k, &m, &(struct send_result){ 0 }, &err), -1);
	assert_non_null(strstr(err.msg, "Bcc"));
	m = tc_email("mailgun");
	m.headers[0].value = "<https://x.example/u/1>\r\nBcc: victim@example.org";
	assert_int_equal(tc_send("mailgun", k, &m, &(struct send_result){ 0 }, &err), -1);
	assert_non_null(strstr(err.msg, "injection"));
	m = tc_email("mailgun");
	m.to = "ada@example.org\r\nBcc: victim@example.org";
	assert_int_equal(tc_send("mailgun", k, &m, &(struct send_result){ 0 }, &err), -1);
	assert_int_equal(tc_seen("mailgun", k, NULL), 0);
}

/* The Mailgun stub is strict: without v:bos_token (a message with no token is refused before). */
static void
test_mailgun_stub_strict(void **state)
{
	struct send_msg m = tc_email("mailgun");
	struct send_result sr;
	struct bos_err err;
	char k[128];

	(void)state;
	m.nheaders = 1;   /* no List-Unsubscribe-Post */
	tc_key("mailgun", "ok", NULL, k, sizeof(k));
	assert_int_equal(tc_send("mailgun", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_ERROR);
	assert_int_equal(sr.r.status, 400);
	assert_int_equal(tc_seen("mailgun", k, "h:List-Unsubscribe-Post"), 1);
	assert_string_equal(sr.provider_id, "");
	/* SES's stub: the same without List-Unsubscribe headers (400, its own error shape). */
	m = tc_email("ses");
	m.nheaders = 0;
	tc_key("ses", "ok", NULL, k, sizeof(k));
	assert_int_equal(tc_send("ses", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_ERROR);
	assert_int_equal(sr.r.status, 400);
	assert_int_equal(tc_seen("ses", k, "\"Headers\""), 1);
	/* Plivo's stub: a body without dst or text, straight through provider_call: 400. */
	{
		const struct connector *c = connector_find("plivo");
		struct provider_auth a = { PROVIDER_AUTH_BASIC, TC_PLIVO_ID, k, NULL };
		struct provider_req q = { "/v1/Account/" TC_PLIVO_ID "/Message/", "application/json",
		    "{\"src\":\"+14155550100\",\"extra\":1}", 32, NULL, NULL, 0, NULL };
		struct verify_result r;

		tc_key("plivo", "ok", NULL, k, sizeof(k));
		a.secret = k;
		provider_call(&tc_prov, c, &q, &a, &r, NULL);
		assert_int_equal(r.outcome, VERIFY_ERROR);
		assert_int_equal(r.status, 400);
		assert_int_equal(tc_seen("plivo", k, "\"dst\", \"text\""), 1);
		assert_int_equal(tc_seen("plivo", k, "unknown_field:extra"), 1);
	}
}

/* SES: signed by libcurl, checked by the stub; 200 + MessageId; tags, headers, reply-to. */
static void
test_ses_send_ok(void **state)
{
	struct send_msg m = tc_email("ses");
	struct send_result sr;
	struct bos_err err;
	char k[128];

	(void)state;
	m.headers[m.nheaders++] = (struct msg_header){ "Reply-To", "Replies <reply+tok_abc@reply.example>" };
	m.headers[m.nheaders++] = (struct msg_header){ "Message-ID", m.message_id };
	tc_key("ses", "ok", NULL, k, sizeof(k));
	assert_int_equal(tc_send("ses", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_int_equal(sr.r.status, 200);
	assert_int_equal(strncmp(sr.provider_id, "0100018c", 8), 0);
	assert_int_equal(tc_seen("ses", k, "\"problems\": []"), 1);
	assert_int_equal(tc_seen("ses", k, "\"auth\": \"sigv4\""), 1);
	assert_int_equal(tc_seen("ses", k, "\"region\": \"us-east-1\""), 1);
	assert_int_equal(tc_seen("ses", k, "\"bos_message\": \"om_testmessage0000000000000001\""), 1);
	assert_int_equal(tc_seen("ses", k, "\"bos_token\": \"tok_abc\""), 1);
	assert_int_equal(tc_seen("ses", k, "\"List-Unsubscribe\": \"<https://bos.example/u/tok_abc>\""), 1);
	assert_int_equal(tc_seen("ses", k, "\"reply_to\": \"reply+tok_abc@reply.example\""), 1);
	assert_int_equal(tc_seen("ses", k, "\"parts\": [\"text/plain\", \"text/html\"]"), 1);
	assert_int_equal(tc_seen("ses", k, "Message-ID"), 0);
	assert_int_equal(tc_seen("ses", k, sr.provider_id), 1);
	/* verify: a signed GET /v2/email/account. */
	{
		struct verify_result r;

		tc_verify("ses", k, &r);
		assert_int_equal(r.outcome, VERIFY_OK);
		assert_int_equal(tc_seen("ses", k, "\"path\": \"/v2/email/account\""), 1);
	}
}

/* One raw request to the SES stub with a forged Authorization header; the HTTP status. */
static long
tc_ses_forged(const char *authz, const char *amz_date)
{
	struct curl_blob blob = { tc_ca, tc_ca_len, CURL_BLOB_COPY };
	char url[128], a[512], d[64];
	struct curl_slist *h = NULL;
	long status = 0;
	CURL *c = curl_easy_init();

	assert_non_null(c);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/v2/email/outbound-emails",
	    getenv("STUB_PORT_ses"));
	(void)snprintf(a, sizeof(a), "Authorization: %s", authz);
	(void)snprintf(d, sizeof(d), "X-Amz-Date: %s", amz_date);
	h = curl_slist_append(h, a);
	h = curl_slist_append(h, d);
	h = curl_slist_append(h, "Content-Type: application/json");
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_HTTPHEADER, h), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}"), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tc_discard), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return status;
}

/*
 * The SES stub is not a rubber stamp: it recomputes SigV4. A request signed
 * with another secret than the stub's for that key id, and a forged
 * signature, are both 403 SignatureDoesNotMatch.
 */
static void
test_ses_signature_checked(void **state)
{
	struct send_msg m = tc_email("ses");
	struct send_result sr;
	struct bos_err err;
	char k[128], akid[32], authz[512], amz[32], day[16];
	time_t now = time(NULL);
	struct tm tm;

	(void)state;
	tc_key("ses", "ok", NULL, k, sizeof(k));
	/* The lease's secret is not the one the stub holds for this key id. */
	assert_int_equal(tc_send("ses", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_REJECTED);
	assert_int_equal(sr.r.status, 403);
	assert_int_equal(tc_seen("ses", k, "\"signature\""), 1);
	assert_int_equal(tc_seen("ses", k, "\"sent\""), 0);
	/* A forged signature with the right key id, date and scope. */
	(void)snprintf(akid, sizeof(akid), "%s", tc_ses_akid);
	(void)gmtime_r(&now, &tm);
	(void)strftime(amz, sizeof(amz), "%Y%m%dT%H%M%SZ", &tm);
	(void)strftime(day, sizeof(day), "%Y%m%d", &tm);
	(void)snprintf(authz, sizeof(authz), "AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/ses/"
	    "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=%s", akid, day,
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(tc_ses_forged(authz, amz), 403);
	assert_int_equal(tc_seen("ses", k, "\"signature\""), 2);
	/* Another service in the scope, and no signature at all. */
	(void)snprintf(authz, sizeof(authz), "AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/s3/"
	    "aws4_request, SignedHeaders=host;x-amz-date, Signature=%064d", akid, day, 0);
	assert_int_equal(tc_ses_forged(authz, amz), 403);
	assert_int_equal(tc_ses_forged("Basic YXBpOmtleQ==", amz), 403);
	/* The right secret: accepted (the same key id, the same stub). */
	assert_int_equal(tc_send("ses", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_int_equal(tc_seen("ses", k, "\"sent\""), 1);
}

/* SES: the region and key id are checked before anything is sent; the allow-list by form. */
static void
test_ses_refused_before(void **state)
{
	static const char *const regions[] = { "", "us-east-1x", "US-east-1", "us-east-12",
	    "useast1", "us--1", "u-east-1", "us-east-1.evil.test", "us-east-1/..", "us-east-a",
	    "eu-west-1 ", "us-abcdefghijklmnopqrstuvwxyz-1" };
	static const char *const keys[] = { "", "ASIAIOSFODNN7EXAMPLE", "akiaiosfodnn7example",
	    "AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPLE1", "AKIA/OSFODNN7EXAMPLE" };
	const struct connector *c = connector_find("ses");
	struct send_msg m = tc_email("ses");
	struct broker_lease l;
	struct send_prep sp;
	struct verify_result r;
	struct bos_err err;
	char k[128];
	size_t i;

	(void)state;
	tc_key("ses", "ok", NULL, k, sizeof(k));
	for (i = 0; i < BOS_ARRAY_LEN(regions) + BOS_ARRAY_LEN(keys); i++) {
		tc_lease("ses", k, &l);
		if (i < BOS_ARRAY_LEN(regions))
			(void)snprintf(l.meta_region, sizeof(l.meta_region), "%s", regions[i]);
		else
			(void)snprintf(l.meta_key_id, sizeof(l.meta_key_id), "%s",
			    keys[i - BOS_ARRAY_LEN(regions)]);
		assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), -1);
		assert_non_null(strstr(err.msg, i < BOS_ARRAY_LEN(regions) ? "region" :
		    "access_key_id"));
		send_prep_free(&sp);
		assert_int_equal(c->verify(&tc_prov, c, &l, &r), -1);
		assert_int_equal(r.outcome, VERIFY_ERROR);
		broker_lease_wipe(&l);
	}
	m.id = "om_bad id";
	assert_int_equal(tc_send("ses", k, &m, &(struct send_result){ 0 }, &err), -1);
	m = tc_email("ses");
	m.headers[m.nheaders++] = (struct msg_header){ "From", "ceo@acme.example" };
	assert_int_equal(tc_send("ses", k, &m, &(struct send_result){ 0 }, &err), -1);
	assert_non_null(strstr(err.msg, "From"));
	assert_int_equal(tc_seen("ses", k, NULL), 0);
	assert_int_equal(provider_url_allowed(c, "https://email.eu-west-1.amazonaws.com/v2/x", 0,
	    &err), 0);
	assert_int_equal(provider_url_allowed(c, "https://email.eu-west-1.amazonaws.com.evil.test/",
	    0, &err), -1);
	assert_int_equal(provider_url_allowed(c, "https://email.evil.amazonaws.com/", 0, &err), -1);
	assert_int_equal(provider_url_allowed(c, "https://s3.eu-west-1.amazonaws.com/", 0, &err), -1);
	assert_int_equal(provider_url_allowed(c, "https://email.eu-west-1.amazonaws.com@evil.test/",
	    0, &err), -1);
	assert_int_equal(provider_url_allowed(c, "http://email.eu-west-1.amazonaws.com/", 0, &err),
	    -1);
}

/* Plivo: JSON to /v1/Account/{id}/Message/, Basic id:token, 202 + message_uuid[0]. */
static void
test_plivo_send_ok(void **state)
{
	struct send_msg m = tc_sms();
	struct send_result sr;
	struct verify_result r;
	struct bos_err err;
	char k[128];

	(void)state;
	m.provider = "plivo";
	tc_key("plivo", "ok", NULL, k, sizeof(k));
	assert_int_equal(tc_send("plivo", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_int_equal(sr.r.status, 202);
	assert_int_equal(strlen(sr.provider_id), 36);
	assert_int_equal(sr.has_price, 0);
	assert_int_equal(tc_seen("plivo", k, "\"problems\": []"), 1);
	assert_int_equal(tc_seen("plivo", k, "\"path\": \"/v1/Account/" TC_PLIVO_ID "/Message/\""), 1);
	assert_int_equal(tc_seen("plivo", k, sr.provider_id), 1);
	assert_int_equal(tc_seen("plivo", k, "\"stop_notice\": true"), 1);
	assert_int_equal(tc_seen("plivo", k, "\"status_callback\": \"https://hooks.example/hooks/twilio/status\""), 1);
	m.status_callback = NULL;
	assert_int_equal(tc_send("plivo", k, &m, &sr, &err), 0);
	assert_int_equal(sr.r.outcome, VERIFY_OK);
	assert_int_equal(tc_seen("plivo", k, "\"status_callback\": null"), 1);
	tc_verify("plivo", k, &r);
	assert_int_equal(r.outcome, VERIFY_OK);
	assert_int_equal(tc_seen("plivo", k, "\"path\": \"/v1/Account/" TC_PLIVO_ID "/\""), 1);
}

/* Plivo: the auth id, the numbers, the callback are checked before anything is sent. */
static void
test_plivo_refused_before(void **state)
{
	static const char *const ids[] = { "", "MA123", "XAZDQ1NZQ4NJUXMZY2MD", "mazdq1nzq4njuxmzy2md",
	    "MAZDQ1NZQ4NJUXMZY2M", "MAZDQ1NZQ4NJUXMZY2MDX", "MA../../v1/Account/x", "MAZDQ1NZQ4NJUX@Y2MD",
	    "SAZDQ1NZQ4NJUXMZY2M:" };
	const struct connector *c = connector_find("plivo");
	struct send_msg m = tc_sms();
	struct broker_lease l;
	struct send_prep sp;
	struct verify_result r;
	struct bos_err err;
	char k[128];
	size_t i;

	(void)state;
	m.provider = "plivo";
	tc_key("plivo", "ok", NULL, k, sizeof(k));
	for (i = 0; i < BOS_ARRAY_LEN(ids); i++) {
		tc_lease("plivo", k, &l);
		(void)snprintf(l.meta_auth_id, sizeof(l.meta_auth_id), "%s", ids[i]);
		assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), -1);
		assert_non_null(strstr(err.msg, "auth_id"));
		send_prep_free(&sp);
		assert_int_equal(c->verify(&tc_prov, c, &l, &r), -1);
		broker_lease_wipe(&l);
	}
	m.to = "14155550123";
	assert_int_equal(tc_send("plivo", k, &m, &(struct send_result){ 0 }, &err), -1);
	m = tc_sms();
	m.from = "Acme Sales Ltd";
	assert_int_equal(tc_send("plivo", k, &m, &(struct send_result){ 0 }, &err), -1);
	m = tc_sms();
	m.status_callback = "http://hooks.example/x";
	assert_int_equal(tc_send("plivo", k, &m, &(struct send_result){ 0 }, &err), -1);
	m = tc_sms();
	m.body = "";
	assert_int_equal(tc_send("plivo", k, &m, &(struct send_result){ 0 }, &err), -1);
	assert_int_equal(tc_seen("plivo", k, NULL), 0);
	/* An SA (subaccount) id is of the documented form: accepted by prepare. */
	tc_lease("plivo", k, &l);
	(void)snprintf(l.meta_auth_id, sizeof(l.meta_auth_id), "SAZDQ1NZQ4NJUXMZY2MD");
	m = tc_sms();
	assert_int_equal(c->prepare(&tc_prov, c, &m, &l, &sp, &err), 0);
	send_prep_free(&sp);
	broker_lease_wipe(&l);
}

/*
 * "Maybe sent" for the three: the whole request went out (Mailgun's
 * multipart form too, whose size libcurl alone knows) and no answer came
 * within the timeout; nothing listening is a plain retry.
 */
static void
test_new_send_maybe_sent(void **state)
{
	static const char *const names[] = { "mailgun", "ses", "plivo" };
	struct send_result sr;
	struct send_msg m;
	struct bos_err err;
	char k[128], port[16];
	size_t i, j;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(names); i++) {
		m = strcmp(names[i], "plivo") == 0 ? tc_sms() : tc_email(names[i]);
		tc_key(names[i], "slow", "3", k, sizeof(k));
		tc_prov.call_timeout = 1;
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		tc_prov.call_timeout = 10;
		assert_int_equal(sr.r.outcome, VERIFY_RETRY);
		assert_true(sr.r.maybe_sent);
		assert_string_equal(sr.provider_id, "");
		for (j = 0; j < tc_conf.noverrides; j++)
			if (strcmp(tc_conf.overrides[j].connector, names[i]) == 0)
				(void)snprintf(tc_conf.overrides[j].url, sizeof(tc_conf.overrides[j].url),
				    "https://127.0.0.1:1");
		assert_int_equal(tc_send(names[i], k, &m, &sr, &err), 0);
		assert_int_equal(sr.r.outcome, VERIFY_RETRY);
		assert_false(sr.r.maybe_sent);
		(void)snprintf(port, sizeof(port), "STUB_PORT_%s", names[i]);
		for (j = 0; j < tc_conf.noverrides; j++)
			if (strcmp(tc_conf.overrides[j].connector, names[i]) == 0)
				(void)snprintf(tc_conf.overrides[j].url, sizeof(tc_conf.overrides[j].url),
				    "https://127.0.0.1:%s", getenv(port));
	}
	/* The stubs did take each (they log the accepted message after the delay). */
	usleep(2500000);
	assert_int_equal(tc_count_lines(getenv("STUB_LOG"), "\"behaviour\": \"slow\"") >= 3, 1);
}

/* ---- Ads (docs/ADS.md): the meta connector against the strict Meta stub. ---- */

/*
 * The Meta stub comes with tests/stubs/ (docs/ADS.md "Test stub"), built in
 * parallel with this connector: without STUB_PORT_meta these tests are
 * skipped, never passed.
 */
static int
tc_meta_on(void)
{
	return getenv("STUB_PORT_meta") != NULL;
}

/* The stub's control (loopback, no auth): PUT a spend, GET the objects. */
static json_t *
tc_meta_control(const char *method, const char *path, const char *body, long *status)
{
	struct curl_blob blob = { tc_ca, tc_ca_len, CURL_BLOB_COPY };
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char url[256], *out = NULL;
	size_t outlen = 0;
	FILE *mem = open_memstream(&out, &outlen);
	CURL *c = curl_easy_init();
	json_t *j;

	assert_non_null(c);
	assert_non_null(mem);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s%s", getenv("STUB_PORT_meta"), path);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEDATA, mem), CURLE_OK);
	if (body != NULL) {
		assert_int_equal(curl_easy_setopt(c, CURLOPT_POSTFIELDS, body), CURLE_OK);
		assert_int_equal(curl_easy_setopt(c, CURLOPT_HTTPHEADER, h), CURLE_OK);
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status), CURLE_OK);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	fclose(mem);
	j = json_loadb(out, outlen, 0, NULL);
	free(out);
	return j;
}

static struct meta_ad
tc_meta_ad(const char *objective)
{
	char txt[1024];
	struct meta_ad ad;
	struct bos_err err;
	json_t *j;

	(void)snprintf(txt, sizeof(txt), "{\"id\": \"ad_abcdefghijklmnopqrstuvwxyz\", \"name\": "
	    "\"Spring sale & more, f\\u00fcr Sie\", \"account\": \"act_1234567890\", \"post\": "
	    "\"111_222\", \"objective\": \"%s\", \"countries\": [\"US\", \"CA\"], "
	    "\"special_ad_categories\": [\"CREDIT\"], \"daily_budget\": {\"amount\": 5000, "
	    "\"currency\": \"USD\"}, \"meta\": {\"campaign\": null, \"adset\": null, \"creative\": "
	    "null, \"ad\": null}}", objective);
	j = json_loads(txt, 0, NULL);
	assert_non_null(j);
	assert_int_equal(meta_ad_parse(j, &ad, &err), 0);
	json_decref(j);
	return ad;
}

/* The stub's status history of one object, as "PAUSED,ACTIVE,...". */
static void
tc_meta_history(const char *id, char *out, size_t n)
{
	long status = 0;
	json_t *j = tc_meta_control("GET", "/__stub/meta/objects", NULL, &status), *o, *h;
	size_t i, k;

	assert_int_equal(status, 200);
	out[0] = '\0';
	json_array_foreach(json_object_get(j, "objects"), i, o) {
		if (strcmp(json_string_value(json_object_get(o, "id")), id) != 0)
			continue;
		json_array_foreach(json_object_get(o, "history"), k, h)
			(void)snprintf(out + strlen(out), n - strlen(out), "%s%s", k > 0 ? "," : "",
			    json_string_value(json_object_get(h, "status")));
	}
	json_decref(j);
}

/* verify: GET /v25.0/me?fields=id; 190 → ok false, throttles retried with the usage wait. */
static void
test_meta_verify(void **state)
{
	static const struct { const char *beh, *arg; enum verify_outcome out; long status, wait;
	    const char *err; } cases[] = {
		{ "ok", NULL, VERIFY_OK, 200, 0, "" },
		{ "401", NULL, VERIFY_REJECTED, 401, 0, "(code 190)" },
		{ "403", NULL, VERIFY_ERROR, 403, 0, "(code 200)" },
		{ "429", "3", VERIFY_RETRY, 429, 180, "(code 17)" },
		{ "throttle", "9", VERIFY_RETRY, 400, 300, "(code 17)" },
		{ "400", NULL, VERIFY_ERROR, 400, 0, "(code 100)" },
		{ "500", NULL, VERIFY_RETRY, 500, 0, "(code 1)" },
		{ "503", NULL, VERIFY_RETRY, 503, 0, "(code 2)" },
		{ "big", NULL, VERIFY_ERROR, 0, 0, "larger than" },
		{ "verify:throttle", NULL, VERIFY_RETRY, 400, 60, "(code 17)" },
	};
	struct verify_result r;
	char k[128];
	size_t i;

	(void)state;
	if (!tc_meta_on())
		skip();
	for (i = 0; i < BOS_ARRAY_LEN(cases); i++) {
		tc_key("meta", cases[i].beh, cases[i].arg, k, sizeof(k));
		tc_verify("meta", k, &r);
		if (r.outcome != cases[i].out || (cases[i].status != 0 && r.status != cases[i].status) ||
		    r.retry_after != cases[i].wait || strstr(r.error, cases[i].err) == NULL)
			fail_msg("%s: outcome %d status %ld wait %ld error '%s'", cases[i].beh,
			    (int)r.outcome, r.status, r.retry_after, r.error);
		assert_int_equal(tc_seen("meta", k, "\"method\": \"GET\""), 1);
		assert_int_equal(tc_seen("meta", k, "\"auth\": \"bearer\""), 1);
		assert_int_equal(tc_seen("meta", k, "access_token"), 0);
	}
	/* A token the stub does not know: its 190, so the exact token is what was sent. */
	tc_verify("meta", "EAAGnot-a-token-the-stub-knows", &r);
	assert_int_equal(r.outcome, VERIFY_REJECTED);
	assert_string_equal(r.error, "meta: the access token is invalid or expired (code 190)");
}

/* A whole ad against the strict stub: the four objects, activation, pause, insights. */
static void
test_meta_ad_calls(void **state)
{
	static const enum meta_object activate[] = { META_AD, META_ADSET, META_CAMPAIGN };
	struct meta_ad ad = tc_meta_ad("OUTCOME_ENGAGEMENT");
	struct broker_lease l;
	struct verify_result r;
	char k[128], id[META_ID_MAX], spend[META_SPEND_MAX], cur[4], hist[256], path[128];
	long status;
	size_t i;
	json_t *j;

	(void)state;
	if (!tc_meta_on())
		skip();
	tc_key("meta", "ok", NULL, k, sizeof(k));
	tc_lease("meta", k, &l);
	for (i = 0; i < META_OBJECTS; i++) {
		meta_create(&tc_prov, &l, &ad, (enum meta_object)i, id, &r);
		if (r.outcome != VERIFY_OK)
			fail_msg("%s: %d %ld %s", meta_object_name((enum meta_object)i), (int)r.outcome,
			    r.status, r.error);
		assert_true(meta_id_ok(id));
		memcpy(ad.ids[i], id, sizeof(id));
	}
	for (i = 0; i < BOS_ARRAY_LEN(activate); i++) {
		meta_set_status(&tc_prov, &l, ad.ids[activate[i]], 1, &r);
		assert_int_equal(r.outcome, VERIFY_OK);
	}
	meta_set_status(&tc_prov, &l, ad.ids[META_CAMPAIGN], 0, &r);
	assert_int_equal(r.outcome, VERIFY_OK);
	meta_set_status(&tc_prov, &l, ad.ids[META_CAMPAIGN], 1, &r);
	assert_int_equal(r.outcome, VERIFY_OK);
	tc_meta_history(ad.ids[META_CAMPAIGN], hist, sizeof(hist));
	assert_string_equal(hist, "PAUSED,ACTIVE,PAUSED,ACTIVE");
	tc_meta_history(ad.ids[META_AD], hist, sizeof(hist));
	assert_string_equal(hist, "PAUSED,ACTIVE");
	/* Insights: nothing set is data [] (0); a spend for the day; another day is still 0. */
	meta_insights(&tc_prov, &l, ad.ids[META_CAMPAIGN], "2026-12-07", spend, cur, &r);
	assert_int_equal(r.outcome, VERIFY_OK);
	assert_string_equal(spend, "0");
	assert_string_equal(cur, "");
	(void)snprintf(path, sizeof(path), "/__stub/meta/spend/%s", ad.ids[META_CAMPAIGN]);
	j = tc_meta_control("PUT", path, "{\"spend\": \"12.34\", \"currency\": \"USD\", \"day\": "
	    "\"2026-12-07\"}", &status);
	assert_int_equal(status, 200);
	json_decref(j);
	meta_insights(&tc_prov, &l, ad.ids[META_CAMPAIGN], "2026-12-07", spend, cur, &r);
	assert_int_equal(r.outcome, VERIFY_OK);
	assert_string_equal(spend, "12.34");
	assert_string_equal(cur, "USD");
	meta_insights(&tc_prov, &l, ad.ids[META_CAMPAIGN], "2026-12-06", spend, cur, &r);
	assert_int_equal(r.outcome, VERIFY_OK);
	assert_string_equal(spend, "0");
	/* A spend not of Meta's form: refused, not retried. */
	j = tc_meta_control("PUT", path, "{\"spend\": \"1e3\", \"currency\": \"USD\"}", &status);
	assert_int_equal(status, 200);
	json_decref(j);
	meta_insights(&tc_prov, &l, ad.ids[META_CAMPAIGN], "2026-12-05", spend, cur, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "insights"));
	/* An object the stub never made: Meta's code 100, not retried. */
	meta_set_status(&tc_prov, &l, "999999999999999999", 1, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "(code 100)"));
	broker_lease_wipe(&l);
	/* Every call the stub took was clean, Bearer, with no access_token anywhere. */
	assert_int_equal(tc_seen("meta", k, NULL), 4 + 5 + 4 + 1);
	assert_int_equal(tc_seen("meta", k, "\"problems\": []"), 4 + 5 + 4);
	assert_int_equal(tc_seen("meta", k, "access_token"), 0);
}

/* One step's failure at a time: its mapping, and the calls before it made. */
static void
test_meta_step_errors(void **state)
{
	struct meta_ad ad = tc_meta_ad("OUTCOME_TRAFFIC");
	struct broker_lease l;
	struct verify_result r;
	char k[128], id[META_ID_MAX], spend[META_SPEND_MAX], cur[4];

	(void)state;
	if (!tc_meta_on())
		skip();
	tc_key("meta", "campaign:400", NULL, k, sizeof(k));
	tc_lease("meta", k, &l);
	meta_create(&tc_prov, &l, &ad, META_CAMPAIGN, id, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "meta: (#100) Invalid parameter"));
	assert_non_null(strstr(r.error, "(code 100)"));
	assert_string_equal(id, "");
	broker_lease_wipe(&l);
	tc_key("meta", "adset:429", "2", k, sizeof(k));
	tc_lease("meta", k, &l);
	meta_create(&tc_prov, &l, &ad, META_CAMPAIGN, ad.ids[META_CAMPAIGN], &r);
	assert_int_equal(r.outcome, VERIFY_OK);
	meta_create(&tc_prov, &l, &ad, META_ADSET, id, &r);
	assert_int_equal(r.outcome, VERIFY_RETRY);
	assert_int_equal(r.status, 429);
	assert_int_equal(r.retry_after, 120);
	assert_false(r.maybe_sent);
	broker_lease_wipe(&l);
	tc_key("meta", "status:throttle", "4", k, sizeof(k));
	tc_lease("meta", k, &l);
	meta_set_status(&tc_prov, &l, ad.ids[META_CAMPAIGN], 0, &r);
	assert_int_equal(r.outcome, VERIFY_RETRY);
	assert_int_equal(r.retry_after, 240);
	broker_lease_wipe(&l);
	tc_key("meta", "insights:big", NULL, k, sizeof(k));
	tc_lease("meta", k, &l);
	meta_insights(&tc_prov, &l, ad.ids[META_CAMPAIGN], "2026-12-07", spend, cur, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "larger than"));
	broker_lease_wipe(&l);
	tc_key("meta", "401", NULL, k, sizeof(k));
	tc_lease("meta", k, &l);
	meta_create(&tc_prov, &l, &ad, META_ADSET, id, &r);
	assert_int_equal(r.outcome, VERIFY_REJECTED);
	broker_lease_wipe(&l);
	/* The whole creation went out and no answer came: maybe made (the vault's outcome unknown). */
	tc_key("meta", "adset:slow", "3", k, sizeof(k));
	tc_lease("meta", k, &l);
	tc_prov.call_timeout = 1;
	meta_create(&tc_prov, &l, &ad, META_ADSET, id, &r);
	tc_prov.call_timeout = 10;
	assert_int_equal(r.outcome, VERIFY_RETRY);
	assert_true(r.maybe_sent);
	broker_lease_wipe(&l);
}

static int
tc_setup(void **state)
{
	static const char *const names[] = { "sendgrid", "twilio", "stripe", "mailgun", "openai",
	    "ses", "plivo" };
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
	{
		struct broker_override *o = &tc_conf.overrides[tc_conf.noverrides++];
		FILE *f = fopen(getenv("SMTP_LOGIN_FILE"), "re");

		(void)snprintf(o->connector, sizeof(o->connector), "smtp");
		(void)snprintf(o->url, sizeof(o->url), "smtp://127.0.0.1:%s", getenv("SMTP_PORT"));
		(void)snprintf(tc_conf.smtp_hosts, sizeof(tc_conf.smtp_hosts),
		    "mail.other.test,smtp.example.test");
		assert_non_null(f);
		assert_non_null(fgets(tc_smtp_pass, sizeof(tc_smtp_pass), f));
		tc_smtp_pass[strcspn(tc_smtp_pass, "\n")] = '\0';
		fclose(f);
	}
	if (getenv("STUB_PORT_meta") != NULL) {   /* the Meta stub (docs/ADS.md) */
		struct broker_override *o = &tc_conf.overrides[tc_conf.noverrides++];

		(void)snprintf(o->connector, sizeof(o->connector), "meta");
		(void)snprintf(o->url, sizeof(o->url), "https://127.0.0.1:%s", getenv("STUB_PORT_meta"));
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
		cmocka_unit_test(test_sendgrid_send_ok),
		cmocka_unit_test(test_http_send_outcomes),
		cmocka_unit_test(test_sendgrid_stub_strict),
		cmocka_unit_test(test_twilio_send_ok),
		cmocka_unit_test(test_twilio_send_refused_before),
		cmocka_unit_test(test_smtp_send_ok),
		cmocka_unit_test(test_smtp_send_outcomes),
		cmocka_unit_test(test_smtp_refused_before),
		cmocka_unit_test(test_post_header_injection_refused),
		cmocka_unit_test(test_send_maybe_sent),
		cmocka_unit_test(test_smtp_verify),
		cmocka_unit_test(test_mailgun_send_ok),
		cmocka_unit_test(test_mailgun_refused_before),
		cmocka_unit_test(test_mailgun_stub_strict),
		cmocka_unit_test(test_ses_send_ok),
		cmocka_unit_test(test_ses_signature_checked),
		cmocka_unit_test(test_ses_refused_before),
		cmocka_unit_test(test_plivo_send_ok),
		cmocka_unit_test(test_plivo_refused_before),
		cmocka_unit_test(test_new_send_maybe_sent),
		cmocka_unit_test(test_meta_verify),
		cmocka_unit_test(test_meta_ad_calls),
		cmocka_unit_test(test_meta_step_errors),
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
