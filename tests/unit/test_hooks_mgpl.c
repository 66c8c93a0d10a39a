/*
 * Unit tests: Mailgun's and Plivo's webhooks (broker/hooks_mailgun.c,
 * broker/hooks_plivo.c) and the vault's one-time webhook tokens
 * (outreach_webhook_token_use). Mailgun: the known answer of CONNECTORS.md
 * D.4 (key-test over timestamp || token, HMAC computed here with OpenSSL and
 * compared with the published hex), the signed string the broker hands to
 * the vault, old and future timestamps, malformed signature objects, the
 * event mapping. Plivo: the signed string built as plivo-node's
 * v3Security.js builds it (here by hand), its HMAC-SHA256 under an auth
 * token computed with OpenSSL and compared with the signature the test
 * puts in the header (a wrong token does not match), several signatures,
 * auth_id from the query, status and inbound events. Tokens: new, replay,
 * forgotten after a day.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "hooks.h"
#include "json_alloc.h"
#include "store/outreach_event.h"
#include "store/store.h"
#include "store_fixture.h"

#define MG_TS "1770920772"
#define MG_TOKEN "e0b5477167110d68991efc6b9f89f0a11066af27834600e123"
#define MG_SIG "097ff1603ce0947833a030fe6b23a46d9597fc9835f074f252b2e662274fb61c"
#define MG_NOW 1770920772
#define TOKEN "AbCdEfGhIjKlMnOpQrSt_-"
#define MSGID "om_abcdefghijklmnopqrstuvwxyz"
#define AUTH_ID "MAABCDEFGHIJ01234567"
#define AUTH_TOKEN "plivo-test-auth-token"
#define UUID "db3ce55a-7f1d-11e1-8ea7-1231380bc196"
#define PUB "https://hooks.example.test"

/* base64 decode of a JSON string into out (NUL-terminated); its length. */
static size_t
th_unb64(json_t *s, char *out, size_t cap)
{
	long n = hooks_b64_decode(json_string_value(s), json_string_length(s), (uint8_t *)out,
	    cap - 1);

	assert_true(n >= 0);
	out[n] = '\0';
	return (size_t)n;
}

static void
th_hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* HMAC-SHA256 hex of msg under key. */
static void
th_hmac_hex(const char *key, const char *msg, size_t n, char out[65])
{
	uint8_t mac[32];
	unsigned int len = 0;

	assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), (const uint8_t *)msg, n, mac,
	    &len));
	th_hex(mac, len, out);
}

static void
th_hmac_b64(const char *key, const char *msg, size_t n, char out[64])
{
	uint8_t mac[32];
	unsigned int len = 0;

	assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), (const uint8_t *)msg, n, mac,
	    &len));
	(void)EVP_EncodeBlock((unsigned char *)out, mac, (int)len);
}

static char *
mg_body(const char *ts, const char *token, const char *sig, const char *event_data)
{
	static char b[4096];

	(void)snprintf(b, sizeof(b), "{\"signature\":{\"timestamp\":\"%s\",\"token\":\"%s\","
	    "\"signature\":\"%s\"},\"event-data\":%s}", ts, token, sig, event_data);
	return b;
}

static int
mg_parse(const char *body, time_t now, json_t **ev, json_t **vf)
{
	struct bos_err err;

	return hooks_mailgun_parse((const uint8_t *)body, strlen(body), now, ev, vf, &err);
}

#define MG_DELIVERED "{\"event\":\"delivered\",\"id\":\"ev-1\",\"timestamp\":1770920770.5," \
	"\"recipient\":\"ann@example.org\",\"message\":{\"headers\":{\"message-id\":" \
	"\"2026.abc@mg.example.org\"}},\"user-variables\":{\"bos_message\":\"" MSGID "\"," \
	"\"bos_token\":\"" TOKEN "\"}}"

static void
test_mailgun_kat(void **state)
{
	char hex[65], signed_str[128];
	json_t *ev = NULL, *vf = NULL;
	size_t n;

	(void)state;
	/* CONNECTORS.md D.4: the published answer is HMAC-SHA256(key-test, ts || token). */
	th_hmac_hex("key-test", MG_TS MG_TOKEN, strlen(MG_TS MG_TOKEN), hex);
	assert_string_equal(hex, MG_SIG);
	th_hmac_hex("key-tesT", MG_TS MG_TOKEN, strlen(MG_TS MG_TOKEN), hex);
	assert_string_not_equal(hex, MG_SIG);                     /* a wrong key does not */

	assert_int_equal(mg_parse(mg_body(MG_TS, MG_TOKEN, MG_SIG, MG_DELIVERED), MG_NOW, &ev,
	    &vf), HOOKS_OK);
	assert_string_equal(json_string_value(json_object_get(vf, "scheme")), "mailgun");
	assert_string_equal(json_string_value(json_object_get(vf, "signature")), MG_SIG);
	assert_string_equal(json_string_value(json_object_get(vf, "token")), MG_TOKEN);
	assert_int_equal(json_array_size(json_object_get(vf, "candidates")), 1);
	n = th_unb64(json_array_get(json_object_get(vf, "candidates"), 0), signed_str,
	    sizeof(signed_str));
	assert_int_equal(n, strlen(MG_TS MG_TOKEN));
	assert_string_equal(signed_str, MG_TS MG_TOKEN);
	/* The string handed to the vault, under the key, is the signature. */
	th_hmac_hex("key-test", signed_str, n, hex);
	assert_string_equal(hex, json_string_value(json_object_get(vf, "signature")));
	assert_int_equal(json_array_size(ev), 1);
	json_decref(ev);
	json_decref(vf);
}

static void
test_mailgun_timestamps(void **state)
{
	json_t *ev = NULL, *vf = NULL;
	const char *b = mg_body(MG_TS, MG_TOKEN, MG_SIG, MG_DELIVERED);

	(void)state;
	assert_int_equal(mg_parse(b, MG_NOW + HOOKS_SKEW_S, &ev, &vf), HOOKS_OK);
	json_decref(ev);
	json_decref(vf);
	assert_int_equal(mg_parse(b, MG_NOW - HOOKS_SKEW_S, &ev, &vf), HOOKS_OK);
	json_decref(ev);
	json_decref(vf);
	/* Older than 300 s, or more than 300 s ahead: 401, nothing built. */
	assert_int_equal(mg_parse(b, MG_NOW + HOOKS_SKEW_S + 1, &ev, &vf), HOOKS_UNAUTH);
	assert_null(ev);
	assert_null(vf);
	assert_int_equal(mg_parse(b, MG_NOW - HOOKS_SKEW_S - 1, &ev, &vf), HOOKS_UNAUTH);
	assert_null(ev);
	assert_int_equal(mg_parse(b, MG_NOW + 86400, &ev, &vf), HOOKS_UNAUTH);
}

static void
test_mailgun_malformed(void **state)
{
	json_t *ev = NULL, *vf = NULL;
	char sig63[64];

	(void)state;
	memcpy(sig63, MG_SIG, 63);
	sig63[63] = '\0';
	assert_int_equal(mg_parse(mg_body(MG_TS, MG_TOKEN, sig63, MG_DELIVERED), MG_NOW, &ev,
	    &vf), HOOKS_UNAUTH);
	assert_int_equal(mg_parse(mg_body(MG_TS, MG_TOKEN, "zz7ff1603ce0947833a030fe6b23a46d9597"
	    "fc9835f074f252b2e662274fb61c", MG_DELIVERED), MG_NOW, &ev, &vf), HOOKS_UNAUTH);
	assert_int_equal(mg_parse(mg_body(MG_TS, "", MG_SIG, MG_DELIVERED), MG_NOW, &ev, &vf),
	    HOOKS_UNAUTH);
	assert_int_equal(mg_parse(mg_body(MG_TS, "a b", MG_SIG, MG_DELIVERED), MG_NOW, &ev, &vf),
	    HOOKS_UNAUTH);
	assert_int_equal(mg_parse(mg_body("17709207x2", MG_TOKEN, MG_SIG, MG_DELIVERED), MG_NOW,
	    &ev, &vf), HOOKS_UNAUTH);
	assert_int_equal(mg_parse(mg_body("-1770920772", MG_TOKEN, MG_SIG, MG_DELIVERED), MG_NOW,
	    &ev, &vf), HOOKS_UNAUTH);
	assert_int_equal(mg_parse("{\"event-data\":" MG_DELIVERED "}", MG_NOW, &ev, &vf),
	    HOOKS_UNAUTH);                                     /* unsigned: never accepted */
	assert_int_equal(mg_parse("[1]", MG_NOW, &ev, &vf), HOOKS_BAD);
	assert_int_equal(mg_parse("{\"signature\":", MG_NOW, &ev, &vf), HOOKS_BAD);
	/* Signed, but the event is not one. */
	assert_int_equal(mg_parse(mg_body(MG_TS, MG_TOKEN, MG_SIG, "[]"), MG_NOW, &ev, &vf),
	    HOOKS_BAD);
	assert_int_equal(mg_parse(mg_body(MG_TS, MG_TOKEN, MG_SIG, "{\"event\":\"delivered\","
	    "\"timestamp\":1}"), MG_NOW, &ev, &vf), HOOKS_BAD);   /* no id */
	assert_int_equal(mg_parse(mg_body(MG_TS, MG_TOKEN, MG_SIG, "{\"event\":\"delivered\","
	    "\"id\":\"x\",\"timestamp\":\"1\"}"), MG_NOW, &ev, &vf), HOOKS_BAD);
	assert_null(ev);
	assert_null(vf);
}

/* The kind of the one event of event-data, or NULL when none. */
static const char *
mg_kind(const char *event_data, json_t **evs)
{
	json_t *vf = NULL;

	*evs = NULL;
	assert_int_equal(mg_parse(mg_body(MG_TS, MG_TOKEN, MG_SIG, event_data), MG_NOW, evs, &vf),
	    HOOKS_OK);
	json_decref(vf);
	return json_string_value(json_object_get(json_array_get(*evs, 0), "kind"));
}

static void
test_mailgun_events(void **state)
{
	static const char *const map[][2] = {
		{ "\"event\":\"delivered\"", "delivered" },
		{ "\"event\":\"failed\",\"severity\":\"permanent\"", "bounced" },
		{ "\"event\":\"failed\",\"severity\":\"temporary\"", "deferred" },
		{ "\"event\":\"failed\"", "failed" },
		{ "\"event\":\"opened\"", "opened" }, { "\"event\":\"clicked\"", "clicked" },
		{ "\"event\":\"unsubscribed\"", "unsubscribed" },
		{ "\"event\":\"complained\"", "complained" },
	};
	char ed[512];
	json_t *evs, *e;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(map); i++) {
		(void)snprintf(ed, sizeof(ed), "{%s,\"id\":\"ev-%zu\",\"timestamp\":1770920770}",
		    map[i][0], i);
		assert_string_equal(mg_kind(ed, &evs), map[i][1]);
		json_decref(evs);
	}
	assert_null(mg_kind("{\"event\":\"accepted\",\"id\":\"a\",\"timestamp\":1}", &evs));
	assert_int_equal(json_array_size(evs), 0);
	json_decref(evs);
	assert_string_equal(mg_kind(MG_DELIVERED, &evs), "delivered");
	e = json_array_get(evs, 0);
	assert_string_equal(json_string_value(json_object_get(e, "id")), "ev-1");
	assert_int_equal(json_integer_value(json_object_get(e, "at")), 1770920770);
	assert_string_equal(json_string_value(json_object_get(e, "message")), MSGID);
	assert_string_equal(json_string_value(json_object_get(e, "token")), TOKEN);
	assert_string_equal(json_string_value(json_object_get(e, "address")), "ann@example.org");
	assert_string_equal(json_string_value(json_object_get(e, "provider_id")),
	    "<2026.abc@mg.example.org>");
	json_decref(evs);
	/* Variables not of our syntax are left out (the vault would refuse them). */
	assert_string_equal(mg_kind("{\"event\":\"opened\",\"id\":\"o\",\"timestamp\":1,"
	    "\"user-variables\":{\"bos_message\":\"om_x\",\"bos_token\":\"short\"}}", &evs),
	    "opened");
	assert_null(json_object_get(json_array_get(evs, 0), "message"));
	assert_null(json_object_get(json_array_get(evs, 0), "token"));
	json_decref(evs);
}

/* ---- Plivo ---- */

static void
pl_form(const char *body, struct hooks_form *f)
{
	struct bos_err err;

	assert_int_equal(hooks_form_parse((const uint8_t *)body, strlen(body), f, &err), HOOKS_OK);
}

#define PL_STATUS_BODY "To=14155550100&Status=delivered&MessageUUID=" UUID "&From=14155550199" \
	"&TotalAmount=0.00650&TotalRate=0.00650&Units=1"

static void
test_plivo_candidates(void **state)
{
	struct hooks_form f;
	json_t *c;
	char s[1024], sig[64], sig2[64];
	const char *expect;

	(void)state;
	pl_form(PL_STATUS_BODY, &f);
	/* Query sorted (k=v joined by &), '.', fields sorted as k+v, '.', nonce. */
	c = hooks_plivo_candidates(PUB, "/hooks/plivo/status?z=1&auth_id=" AUTH_ID, &f, "12345");
	assert_non_null(c);
	expect = PUB "/hooks/plivo/status?auth_id=" AUTH_ID "&z=1.From14155550199MessageUUID" UUID
	    "Statusdelivered" "To14155550100TotalAmount0.00650TotalRate0.00650Units1.12345";
	th_unb64(json_array_get(c, 0), s, sizeof(s));
	assert_string_equal(s, expect);
	json_decref(c);
	/* No query: '?' then the fields straight away (v3Security.js). */
	c = hooks_plivo_candidates(PUB, "/hooks/plivo/status", &f, "n");
	th_unb64(json_array_get(c, 0), s, sizeof(s));
	assert_string_equal(s, PUB "/hooks/plivo/status?From14155550199MessageUUID" UUID
	    "Statusdelivered" "To14155550100TotalAmount0.00650TotalRate0.00650Units1.n");
	json_decref(c);
	hooks_form_free(&f);
	/* No fields: the URL with its sorted query, then the nonce. */
	memset(&f, 0, sizeof(f));
	c = hooks_plivo_candidates(PUB, "/p?b=2&a=1", &f, "n");
	th_unb64(json_array_get(c, 0), s, sizeof(s));
	assert_string_equal(s, PUB "/p?a=1&b=2.n");
	json_decref(c);
	assert_null(hooks_plivo_candidates("http://hooks.example.test", "/p", &f, "n"));

	/* The signature Plivo would send, computed here; a wrong auth token differs. */
	th_hmac_b64(AUTH_TOKEN, expect, strlen(expect), sig);
	th_hmac_b64("wrong-token", expect, strlen(expect), sig2);
	assert_string_not_equal(sig, sig2);
}

static void
test_plivo_verify(void **state)
{
	struct hooks_form f;
	struct bos_err err;
	json_t *vf = NULL, *sigs;
	char s[1024], sig[64], hdr[256];
	const char *uri = "/hooks/plivo/status?auth_id=" AUTH_ID;
	size_t n;

	(void)state;
	pl_form(PL_STATUS_BODY, &f);
	n = (size_t)snprintf(s, sizeof(s), PUB "%s.From14155550199MessageUUID" UUID
	    "Statusdelivered" "To14155550100TotalAmount0.00650TotalRate0.00650Units1.777", uri);
	th_hmac_b64(AUTH_TOKEN, s, n, sig);
	(void)snprintf(hdr, sizeof(hdr), "bm90IGEgbWFj, %s", sig);  /* several: one is ours */
	assert_int_equal(hooks_plivo_verify(PUB, uri, &f, hdr, "777", &vf, &err), HOOKS_OK);
	assert_string_equal(json_string_value(json_object_get(vf, "scheme")), "plivo-v3");
	assert_string_equal(json_string_value(json_object_get(vf, "account")), AUTH_ID);
	sigs = json_object_get(vf, "signature");
	assert_int_equal(json_array_size(sigs), 1);               /* not a MAC: left out */
	assert_string_equal(json_string_value(json_array_get(sigs, 0)), sig);
	/* The vault's check: the candidate's HMAC under the auth token is a signature. */
	n = th_unb64(json_array_get(json_object_get(vf, "candidates"), 0), s, sizeof(s));
	th_hmac_b64(AUTH_TOKEN, s, n, hdr);
	assert_string_equal(hdr, sig);
	th_hmac_b64("wrong-token", s, n, hdr);
	assert_string_not_equal(hdr, sig);
	json_decref(vf);
	vf = NULL;
	/* Negative cases. */
	assert_int_equal(hooks_plivo_verify(PUB, uri, &f, NULL, "777", &vf, &err), HOOKS_UNAUTH);
	assert_int_equal(hooks_plivo_verify(PUB, uri, &f, sig, NULL, &vf, &err), HOOKS_UNAUTH);
	assert_int_equal(hooks_plivo_verify(PUB, uri, &f, sig, "", &vf, &err), HOOKS_UNAUTH);
	assert_int_equal(hooks_plivo_verify(PUB, uri, &f, sig, "a b", &vf, &err), HOOKS_UNAUTH);
	assert_int_equal(hooks_plivo_verify(PUB, uri, &f, "bm90IGEgbWFj", "777", &vf, &err),
	    HOOKS_UNAUTH);
	assert_int_equal(hooks_plivo_verify(PUB, "/hooks/plivo/status", &f, sig, "777", &vf,
	    &err), HOOKS_BAD);                                  /* no auth_id */
	assert_int_equal(hooks_plivo_verify(PUB, "/hooks/plivo/status?auth_id=XA0000000000000000"
	    "00", &f, sig, "777", &vf, &err), HOOKS_BAD);
	assert_int_equal(hooks_plivo_verify(PUB, "/hooks/plivo/status?auth_id=" AUTH_ID "X", &f,
	    sig, "777", &vf, &err), HOOKS_BAD);
	assert_null(vf);
	hooks_form_free(&f);
}

static void
test_plivo_events(void **state)
{
	struct hooks_form f;
	struct bos_err err;
	json_t *evs = NULL, *e;

	(void)state;
	pl_form(PL_STATUS_BODY, &f);
	assert_int_equal(hooks_plivo_events(&f, 0, 1000, &evs, &err), HOOKS_OK);
	assert_int_equal(json_array_size(evs), 2);
	e = json_array_get(evs, 0);
	assert_string_equal(json_string_value(json_object_get(e, "kind")), "delivered");
	assert_string_equal(json_string_value(json_object_get(e, "id")), UUID ":delivered");
	assert_string_equal(json_string_value(json_object_get(e, "provider_id")), UUID);
	e = json_array_get(evs, 1);
	assert_string_equal(json_string_value(json_object_get(e, "kind")), "price");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "price"),
	    "micros")), 6500);
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "price"),
	    "currency")), "USD");
	json_decref(evs);
	hooks_form_free(&f);
	pl_form("Status=undelivered&ErrorCode=200&MessageUUID=" UUID, &f);
	assert_int_equal(hooks_plivo_events(&f, 0, 1000, &evs, &err), HOOKS_OK);
	assert_string_equal(json_string_value(json_object_get(json_array_get(evs, 0), "kind")),
	    "failed");
	json_decref(evs);
	hooks_form_free(&f);
	pl_form("Status=queued&TotalAmount=0.1&MessageUUID=" UUID, &f);
	assert_int_equal(hooks_plivo_events(&f, 0, 1000, &evs, &err), HOOKS_OK);
	assert_int_equal(json_array_size(evs), 0);             /* nothing final: no price */
	json_decref(evs);
	hooks_form_free(&f);
	pl_form("Status=delivered&MessageUUID=not-a-uuid", &f);
	assert_int_equal(hooks_plivo_events(&f, 0, 1000, &evs, &err), HOOKS_BAD);
	hooks_form_free(&f);
	pl_form("MessageUUID=" UUID, &f);
	assert_int_equal(hooks_plivo_events(&f, 0, 1000, &evs, &err), HOOKS_BAD);
	hooks_form_free(&f);
	/* Inbound: keywords, else replied; From gets its '+'. */
	pl_form("From=14155550199&To=14155550100&Text=+stop+&MessageUUID=" UUID, &f);
	assert_int_equal(hooks_plivo_events(&f, 1, 1000, &evs, &err), HOOKS_OK);
	e = json_array_get(evs, 0);
	assert_string_equal(json_string_value(json_object_get(e, "kind")), "stop");
	assert_string_equal(json_string_value(json_object_get(e, "address")), "+14155550199");
	json_decref(evs);
	hooks_form_free(&f);
	pl_form("From=%2B14155550199&Text=Start&MessageUUID=" UUID, &f);
	assert_int_equal(hooks_plivo_events(&f, 1, 1000, &evs, &err), HOOKS_OK);
	assert_string_equal(json_string_value(json_object_get(json_array_get(evs, 0), "kind")),
	    "start");
	json_decref(evs);
	hooks_form_free(&f);
	pl_form("From=14155550199&Text=who+is+this&MessageUUID=" UUID, &f);
	assert_int_equal(hooks_plivo_events(&f, 1, 1000, &evs, &err), HOOKS_OK);
	assert_string_equal(json_string_value(json_object_get(json_array_get(evs, 0), "kind")),
	    "replied");
	json_decref(evs);
	hooks_form_free(&f);
	pl_form("From=abc&Text=stop&MessageUUID=" UUID, &f);
	assert_int_equal(hooks_plivo_events(&f, 1, 1000, &evs, &err), HOOKS_BAD);
	hooks_form_free(&f);
}

/* ---- the vault's one-time tokens ---- */

static void
test_webhook_tokens(void **state)
{
	char dir[256], path[512];
	struct store *s = NULL;
	struct bos_err err;

	(void)state;
	assert_int_equal(store_fixture_open("mgtok", 7, dir, sizeof(dir), path, sizeof(path), &s),
	    0);
	if (outreach_webhook_token_use(s, "mailgun", MG_TOKEN, 1000, &err) != 0)
		fail_msg("token: %s", err.msg);
	assert_int_equal(outreach_webhook_token_use(s, "mailgun", MG_TOKEN, 1001, &err), 1);
	assert_int_equal(outreach_webhook_token_use(s, "plivo", MG_TOKEN, 1001, &err), 0);
	assert_int_equal(outreach_webhook_token_use(s, "mailgun", MG_TOKEN,
	    1000 + OUTREACH_WEBHOOK_TOKEN_TTL, &err), 1);            /* a day: still refused */
	assert_int_equal(outreach_webhook_token_use(s, "mailgun", MG_TOKEN,
	    1001 + OUTREACH_WEBHOOK_TOKEN_TTL, &err), 0);            /* then forgotten */
	assert_int_equal(outreach_webhook_token_use(s, "mailgun", "", 1, &err), -1);
	assert_int_equal(outreach_webhook_token_use(s, "mailgun", "a b", 1, &err), -1);
	store_fixture_remove(s, dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mailgun_kat),
		cmocka_unit_test(test_mailgun_timestamps),
		cmocka_unit_test(test_mailgun_malformed),
		cmocka_unit_test(test_mailgun_events),
		cmocka_unit_test(test_plivo_candidates),
		cmocka_unit_test(test_plivo_verify),
		cmocka_unit_test(test_plivo_events),
		cmocka_unit_test(test_webhook_tokens),
	};

	json_alloc_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
