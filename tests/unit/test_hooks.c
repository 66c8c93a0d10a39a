/*
 * Unit tests: the hooks listener's parsers (broker/hooks_*.c), pure
 * functions on untrusted bytes. SendGrid: the vendor's known answer
 * (tests/fixtures/hooks/, from ../shared/kat) and its negative cases, a key
 * generated here, stale and future timestamps, the event mapping and
 * malformed batches. Twilio: the signed candidates against the known
 * answers of STACK-NOTES.md and CONNECTORS.md D.1 (the HMAC is computed
 * here with OpenSSL: one candidate must match), the :443 variants, the
 * verify object, status callbacks and inbound keywords. Strict form and
 * multipart parsing, Inbound Parse replies, the GIF, token syntax, tracking
 * paths and click targets.
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
#include <openssl/x509.h>
#include "hooks.h"
#include "json_alloc.h"

#define TH_TS 1700000000
#define TOKEN "AbCdEfGhIjKlMnOpQrSt_-"
#define MSGID "om_abcdefghijklmnopqrstuvwxyz"

static char th_body[4096], th_pub[256], th_sig[256], th_ts[32];
static size_t th_body_len;

/* A fixture file, without a trailing newline for the one-line ones. */
static size_t
th_read(const char *name, char *out, size_t cap, int strip)
{
	char p[512];
	FILE *f;
	size_t n;

	(void)snprintf(p, sizeof(p), "tests/fixtures/hooks/%s", name);
	f = fopen(p, "re");
	assert_non_null(f);
	n = fread(out, 1, cap - 1, f);
	fclose(f);
	while (strip && n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
	return n;
}

static int
th_setup(void **state)
{
	(void)state;
	th_body_len = th_read("sendgrid_event_payload.json", th_body, sizeof(th_body), 0);
	(void)th_read("sendgrid_pub.b64", th_pub, sizeof(th_pub), 1);
	(void)th_read("sendgrid_sig.b64", th_sig, sizeof(th_sig), 1);
	(void)th_read("sendgrid_ts.txt", th_ts, sizeof(th_ts), 1);
	assert_string_equal(th_ts, "1700000000");
	return 0;
}

static int
th_verify(void *key, const char *sig, const char *ts, const char *body, size_t len, time_t now)
{
	struct bos_err err;

	return hooks_sendgrid_verify(key, sig, ts, (const uint8_t *)body, len, now, &err);
}

static void
test_sendgrid_kat(void **state)
{
	void *key = NULL;
	struct bos_err err;

	(void)state;
	assert_int_equal(hooks_sendgrid_key(th_pub, &key, &err), 0);
	assert_int_equal(th_verify(key, th_sig, th_ts, th_body, th_body_len, TH_TS), HOOKS_OK);
	/* the window: 300 s either way, not 301 */
	assert_int_equal(th_verify(key, th_sig, th_ts, th_body, th_body_len, TH_TS + 300), HOOKS_OK);
	assert_int_equal(th_verify(key, th_sig, th_ts, th_body, th_body_len, TH_TS - 300), HOOKS_OK);
	assert_int_equal(th_verify(key, th_sig, th_ts, th_body, th_body_len, TH_TS + 301),
	    HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, th_sig, th_ts, th_body, th_body_len, TH_TS - 301),
	    HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, th_sig, th_ts, th_body, th_body_len, time(NULL)),
	    HOOKS_UNAUTH);
	hooks_sendgrid_key_free(key);
}

static void
test_sendgrid_kat_negative(void **state)
{
	char body[4096], sig[256];
	void *key = NULL;
	struct bos_err err;

	(void)state;
	assert_int_equal(hooks_sendgrid_key(th_pub, &key, &err), 0);
	/* one byte of the body, the timestamp, the signature */
	memcpy(body, th_body, th_body_len + 1);
	body[10] ^= 1;
	assert_int_equal(th_verify(key, th_sig, th_ts, body, th_body_len, TH_TS), HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, th_sig, th_ts, th_body, th_body_len - 1, TH_TS),
	    HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, th_sig, "1700000001", th_body, th_body_len, TH_TS),
	    HOOKS_UNAUTH);
	(void)snprintf(sig, sizeof(sig), "%s", th_sig);
	sig[20] = sig[20] == 'A' ? 'B' : 'A';
	assert_int_equal(th_verify(key, sig, th_ts, th_body, th_body_len, TH_TS), HOOKS_UNAUTH);
	/* missing, not base64, not a number, a sign, blanks */
	assert_int_equal(th_verify(key, NULL, th_ts, th_body, th_body_len, TH_TS), HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, th_sig, NULL, th_body, th_body_len, TH_TS), HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, "%%%%", th_ts, th_body, th_body_len, TH_TS), HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, "", th_ts, th_body, th_body_len, TH_TS), HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, th_sig, "+1700000000", th_body, th_body_len, TH_TS),
	    HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, th_sig, " 1700000000", th_body, th_body_len, TH_TS),
	    HOOKS_UNAUTH);
	assert_int_equal(th_verify(key, th_sig, "", th_body, th_body_len, TH_TS), HOOKS_UNAUTH);
	/* no key configured: never accepted */
	assert_int_equal(th_verify(NULL, th_sig, th_ts, th_body, th_body_len, TH_TS), HOOKS_UNAUTH);
	hooks_sendgrid_key_free(key);
	/* the right key with a byte after it */
	{
		unsigned char der[200];
		char longer[300];
		long n = hooks_b64_decode(th_pub, strlen(th_pub), der, sizeof(der));

		assert_int_equal(n, 91);
		der[n] = 0;
		(void)EVP_EncodeBlock((unsigned char *)longer, der, (int)n + 1);
		assert_int_not_equal(hooks_sendgrid_key(longer, &key, &err), 0);
		assert_null(key);
		(void)EVP_EncodeBlock((unsigned char *)longer, der, (int)n);
		assert_int_equal(hooks_sendgrid_key(longer, &key, &err), 0);   /* control */
		hooks_sendgrid_key_free(key);
	}
	/* keys that are not base64 DER P-256 SPKI */
	assert_int_not_equal(hooks_sendgrid_key("bm90IGEga2V5", &key, &err), 0);
	assert_null(key);
	assert_int_not_equal(hooks_sendgrid_key("", &key, &err), 0);
	hooks_sendgrid_key_free(NULL);
}

/* A generated key's SPKI as base64 into out. */
static void
th_spki(EVP_PKEY *k, char *out, size_t cap)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);

	assert_true(n > 0 && (size_t)(4 * ((n + 2) / 3)) < cap);
	(void)EVP_EncodeBlock((unsigned char *)out, der, n);
	OPENSSL_free(der);
}

/* base64 DER ECDSA over SHA-256 of ts || body. */
static void
th_sign(EVP_PKEY *k, const char *ts, const char *body, char *out, size_t cap)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char sig[128];
	size_t n = sizeof(sig);

	assert_non_null(c);
	assert_int_equal(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSignUpdate(c, ts, strlen(ts)), 1);
	assert_int_equal(EVP_DigestSignUpdate(c, body, strlen(body)), 1);
	assert_int_equal(EVP_DigestSignFinal(c, sig, &n), 1);
	EVP_MD_CTX_free(c);
	assert_true(4 * ((n + 2) / 3) < cap);
	(void)EVP_EncodeBlock((unsigned char *)out, sig, (int)n);
}

static void
test_sendgrid_generated_key(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256"), *p384 = EVP_EC_gen("P-384");
	char pub[256], pub2[256], pub384[256], sig[256], ts[32];
	const char *body = "[{\"event\":\"open\",\"sg_event_id\":\"e1\",\"timestamp\":1}]";
	void *key = NULL, *key2 = NULL;
	struct bos_err err;
	time_t now = time(NULL);

	(void)state;
	assert_non_null(k);
	assert_non_null(other);
	assert_non_null(p384);
	th_spki(k, pub, sizeof(pub));
	th_spki(other, pub2, sizeof(pub2));
	th_spki(p384, pub384, sizeof(pub384));
	assert_int_equal(hooks_sendgrid_key(pub, &key, &err), 0);
	assert_int_equal(hooks_sendgrid_key(pub2, &key2, &err), 0);
	(void)snprintf(ts, sizeof(ts), "%lld", (long long)now);
	th_sign(k, ts, body, sig, sizeof(sig));
	assert_int_equal(th_verify(key, sig, ts, body, strlen(body), now), HOOKS_OK);
	assert_int_equal(th_verify(key2, sig, ts, body, strlen(body), now), HOOKS_UNAUTH);
	/* stale and future timestamps, each signed correctly */
	(void)snprintf(ts, sizeof(ts), "%lld", (long long)now - 301);
	th_sign(k, ts, body, sig, sizeof(sig));
	assert_int_equal(th_verify(key, sig, ts, body, strlen(body), now), HOOKS_UNAUTH);
	(void)snprintf(ts, sizeof(ts), "%lld", (long long)now + 301);
	th_sign(k, ts, body, sig, sizeof(sig));
	assert_int_equal(th_verify(key, sig, ts, body, strlen(body), now), HOOKS_UNAUTH);
	(void)snprintf(ts, sizeof(ts), "%lld", (long long)now + 3600);
	th_sign(k, ts, body, sig, sizeof(sig));
	assert_int_equal(th_verify(key, sig, ts, body, strlen(body), now), HOOKS_UNAUTH);
	/* a P-384 key is refused as the webhook key */
	hooks_sendgrid_key_free(key2);
	assert_int_not_equal(hooks_sendgrid_key(pub384, &key2, &err), 0);
	assert_null(key2);
	hooks_sendgrid_key_free(key);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	EVP_PKEY_free(p384);
}

static json_t *
th_event(json_t *events, const char *id)
{
	size_t i;
	json_t *e;

	json_array_foreach(events, i, e)
		if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
			return e;
	return NULL;
}

static const char *
th_s(json_t *e, const char *k)
{
	return json_string_value(json_object_get(e, k));
}

static void
test_sendgrid_events(void **state)
{
	const char *b = "["
	    "{\"event\":\"processed\",\"sg_event_id\":\"p\",\"timestamp\":1},"
	    "{\"event\":\"delivered\",\"sg_event_id\":\"d\",\"timestamp\":2,\"email\":\"a@b.test\","
	    "\"sg_message_id\":\"XMSG.filter0001.1.2\",\"bos_message\":\"" MSGID "\",\"bos_token\":\"" TOKEN "\"},"
	    "{\"event\":\"bounce\",\"type\":\"bounce\",\"sg_event_id\":\"b\",\"timestamp\":3,\"reason\":\"550 no\"},"
	    "{\"event\":\"bounce\",\"type\":\"blocked\",\"sg_event_id\":\"bl\",\"timestamp\":3},"
	    "{\"event\":\"dropped\",\"sg_event_id\":\"dr\",\"timestamp\":3},"
	    "{\"event\":\"deferred\",\"sg_event_id\":\"df\",\"timestamp\":3},"
	    "{\"event\":\"open\",\"sg_event_id\":\"o\",\"timestamp\":4},"
	    "{\"event\":\"click\",\"sg_event_id\":\"c\",\"timestamp\":5,\"url\":\"https://x.test/\"},"
	    "{\"event\":\"spamreport\",\"sg_event_id\":\"s\",\"timestamp\":6},"
	    "{\"event\":\"unsubscribe\",\"sg_event_id\":\"u\",\"timestamp\":7},"
	    "{\"event\":\"group_unsubscribe\",\"sg_event_id\":\"gu\",\"timestamp\":7},"
	    "{\"event\":\"group_resubscribe\",\"sg_event_id\":\"gr\",\"timestamp\":7},"
	    "{\"event\":\"delivered\",\"sg_event_id\":\"badtok\",\"timestamp\":8,\"bos_token\":\"short\","
	    "\"bos_message\":\"om_x\"}"
	    "]";
	struct bos_err err;
	json_t *ev = NULL, *e;

	(void)state;
	assert_int_equal(hooks_sendgrid_events((const uint8_t *)b, strlen(b), &ev, &err), HOOKS_OK);
	assert_int_equal(json_array_size(ev), 11);
	assert_null(th_event(ev, "p"));
	assert_null(th_event(ev, "gr"));
	e = th_event(ev, "d");
	assert_string_equal(th_s(e, "kind"), "delivered");
	assert_string_equal(th_s(e, "provider_id"), "XMSG");
	assert_string_equal(th_s(e, "message"), MSGID);
	assert_string_equal(th_s(e, "token"), TOKEN);
	assert_string_equal(th_s(e, "address"), "a@b.test");
	assert_int_equal(json_integer_value(json_object_get(e, "at")), 2);
	e = th_event(ev, "b");
	assert_string_equal(th_s(e, "kind"), "bounced");
	assert_string_equal(th_s(json_object_get(e, "detail"), "reason"), "550 no");
	assert_string_equal(th_s(th_event(ev, "bl"), "kind"), "failed");
	assert_string_equal(th_s(th_event(ev, "dr"), "kind"), "dropped");
	assert_string_equal(th_s(th_event(ev, "df"), "kind"), "deferred");
	assert_string_equal(th_s(th_event(ev, "o"), "kind"), "opened");
	assert_string_equal(th_s(th_event(ev, "c"), "kind"), "clicked");
	assert_string_equal(th_s(th_event(ev, "c"), "url"), "https://x.test/");
	assert_string_equal(th_s(th_event(ev, "s"), "kind"), "complained");
	assert_string_equal(th_s(th_event(ev, "u"), "kind"), "unsubscribed");
	assert_string_equal(th_s(th_event(ev, "gu"), "kind"), "unsubscribed");
	/* a token or message id of the wrong syntax is left out, not forwarded */
	assert_null(json_object_get(th_event(ev, "badtok"), "token"));
	assert_null(json_object_get(th_event(ev, "badtok"), "message"));
	json_decref(ev);
}

static void
test_sendgrid_events_malformed(void **state)
{
	static const char *const bad[] = {
		"", "not json", "{}", "[]", "[1]", "[{}]", "\"x\"",
		"[{\"event\":\"open\",\"timestamp\":1}]",
		"[{\"event\":\"open\",\"sg_event_id\":\"\",\"timestamp\":1}]",
		"[{\"event\":\"open\",\"sg_event_id\":\"x\",\"timestamp\":\"1\"}]",
		"[{\"event\":\"open\",\"sg_event_id\":\"x\",\"timestamp\":-1}]",
		"[{\"event\":\"open\",\"sg_event_id\":\"x\",\"timestamp\":1,\"event\":\"click\"}]",
		"[{\"event\":\"open\",\"sg_event_id\":\"a\\nb\",\"timestamp\":1}]",
		"[{\"event\":\"open\",\"sg_event_id\":\"x\",\"timestamp\":1}",
	};
	struct bos_err err;
	json_t *ev = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		assert_int_equal(hooks_sendgrid_events((const uint8_t *)bad[i], strlen(bad[i]), &ev,
		    &err), HOOKS_BAD);
		assert_null(ev);
	}
}

/* form-encode one value (test side, independent of the parser) */
static void
th_enc(char *out, size_t cap, const char *s)
{
	size_t o = 0;

	for (; *s != '\0' && o + 4 < cap; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_' || *s == '.')
			out[o++] = *s;
		else if (*s == ' ')
			out[o++] = '+';
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", (unsigned char)*s);
	}
	out[o] = '\0';
}

/* Does HMAC(key, decoded candidate) match want for one of the candidates? */
static int
th_match(json_t *cands, const char *key, const EVP_MD *md, const char *want)
{
	unsigned char s[4096], mac[64], b64[128];
	unsigned int mlen;
	size_t i;
	json_t *c;
	long n;

	json_array_foreach(cands, i, c) {
		const char *v = json_string_value(c);

		n = hooks_b64_decode(v, strlen(v), s, sizeof(s));
		assert_true(n > 0);
		assert_non_null(HMAC(md, key, (int)strlen(key), s, (size_t)n, mac, &mlen));
		(void)EVP_EncodeBlock(b64, mac, (int)mlen);
		if (strcmp((const char *)b64, want) == 0)
			return 1;
	}
	return 0;
}

static void
th_form(struct hooks_form *f, const char *const *kv, size_t n)
{
	char body[4096], enc[512];
	struct bos_err err;
	size_t i, o = 0;

	body[0] = '\0';
	for (i = 0; i + 1 < n; i += 2) {
		th_enc(enc, sizeof(enc), kv[i + 1]);
		o += (size_t)snprintf(body + o, sizeof(body) - o, "%s%s=%s", i > 0 ? "&" : "", kv[i],
		    enc);
	}
	assert_int_equal(hooks_form_parse((const uint8_t *)body, o, f, &err), HOOKS_OK);
	assert_int_equal(f->n, n / 2);
}

static const char *const th_kat_params[] = {
	"MessageSid", "SM0123456789abcdef0123456789abcdef", "From", "+15551230000",
	"To", "+15559870000", "Body", "Hello & bye", "MessageStatus", "delivered",
	"AccountSid", "AC0123456789abcdef0123456789abcdef",
};

static void
test_twilio_candidates_kat(void **state)
{
	static const char *const d1[] = {
		"CallSid", "CA1234567890ABCDE", "Caller", "+12349013030", "Digits", "1234",
		"From", "+12349013030", "To", "+18005551212",
	};
	struct hooks_form f;
	json_t *c;

	(void)state;
	/* STACK-NOTES.md: SHA-1 and SHA-256 */
	th_form(&f, th_kat_params, BOS_ARRAY_LEN(th_kat_params));
	c = hooks_twilio_candidates("https://bos.example.test", "/hooks/twilio/sms?x=1", &f);
	assert_non_null(c);
	assert_int_equal(json_array_size(c), 2);
	assert_true(th_match(c, "12345", EVP_sha1(), "P1N75j3RcGqV44Y2hMVih6Pz3X4="));
	assert_true(th_match(c, "12345", EVP_sha256(),
	    "HO99V6fjGyTV2qLiXVTt9bs0kqrZFGaAFuWcMqr3pEo="));
	/* the wrong token, the wrong path: no candidate matches */
	assert_false(th_match(c, "12346", EVP_sha1(), "P1N75j3RcGqV44Y2hMVih6Pz3X4="));
	json_decref(c);
	c = hooks_twilio_candidates("https://bos.example.test", "/hooks/twilio/sms?x=2", &f);
	assert_false(th_match(c, "12345", EVP_sha1(), "P1N75j3RcGqV44Y2hMVih6Pz3X4="));
	json_decref(c);
	/* with :443 configured, the spelling without it is tried too (and the other way) */
	c = hooks_twilio_candidates("https://bos.example.test:443", "/hooks/twilio/sms?x=1", &f);
	assert_true(th_match(c, "12345", EVP_sha1(), "P1N75j3RcGqV44Y2hMVih6Pz3X4="));
	json_decref(c);
	hooks_form_free(&f);
	/* CONNECTORS.md D.1 */
	th_form(&f, d1, BOS_ARRAY_LEN(d1));
	c = hooks_twilio_candidates("https://mycompany.com", "/myapp.php?foo=1&bar=2", &f);
	assert_true(th_match(c, "12345", EVP_sha1(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
	json_decref(c);
	/* another port: one candidate; not https: none */
	c = hooks_twilio_candidates("https://mycompany.com:8443", "/x", &f);
	assert_int_equal(json_array_size(c), 1);
	json_decref(c);
	assert_null(hooks_twilio_candidates("http://mycompany.com", "/x", &f));
	assert_null(hooks_twilio_candidates("https://", "", &f));
	hooks_form_free(&f);
}

static void
test_twilio_verify_object(void **state)
{
	static const char *const noacct[] = { "MessageSid", "SM0123456789abcdef0123456789abcdef" };
	struct hooks_form f;
	struct bos_err err;
	json_t *v = NULL;

	(void)state;
	th_form(&f, th_kat_params, BOS_ARRAY_LEN(th_kat_params));
	assert_int_equal(hooks_twilio_verify("https://h.test", "/hooks/twilio/status", &f,
	    "P1N75j3RcGqV44Y2hMVih6Pz3X4=", 0, &v, &err), HOOKS_OK);
	assert_string_equal(th_s(v, "scheme"), "twilio-sha1");
	assert_string_equal(th_s(v, "account"), "AC0123456789abcdef0123456789abcdef");
	assert_string_equal(th_s(v, "signature"), "P1N75j3RcGqV44Y2hMVih6Pz3X4=");
	assert_int_equal(json_array_size(json_object_get(v, "candidates")), 2);
	json_decref(v);
	assert_int_equal(hooks_twilio_verify("https://h.test", "/s", &f,
	    "HO99V6fjGyTV2qLiXVTt9bs0kqrZFGaAFuWcMqr3pEo=", 1, &v, &err), HOOKS_OK);
	assert_string_equal(th_s(v, "scheme"), "twilio-sha256");
	json_decref(v);
	/* missing, the wrong length for the scheme, not base64 */
	assert_int_equal(hooks_twilio_verify("https://h.test", "/s", &f, NULL, 0, &v, &err),
	    HOOKS_UNAUTH);
	assert_int_equal(hooks_twilio_verify("https://h.test", "/s", &f,
	    "HO99V6fjGyTV2qLiXVTt9bs0kqrZFGaAFuWcMqr3pEo=", 0, &v, &err), HOOKS_UNAUTH);
	assert_int_equal(hooks_twilio_verify("https://h.test", "/s", &f, "P1N75j3Rc!qV44Y2hMVih6Pz3X4=",
	    0, &v, &err), HOOKS_UNAUTH);
	assert_null(v);
	hooks_form_free(&f);
	/* no AccountSid: malformed */
	th_form(&f, noacct, BOS_ARRAY_LEN(noacct));
	assert_int_equal(hooks_twilio_verify("https://h.test", "/s", &f,
	    "P1N75j3RcGqV44Y2hMVih6Pz3X4=", 0, &v, &err), HOOKS_BAD);
	hooks_form_free(&f);
}

static json_t *
th_tw_events(const char *const *kv, size_t n, int inbound, int want)
{
	struct hooks_form f;
	struct bos_err err;
	json_t *ev = NULL;

	th_form(&f, kv, n);
	assert_int_equal(hooks_twilio_events(&f, inbound, 1234, &ev, &err), want);
	hooks_form_free(&f);
	return ev;
}

#define SID "SM0123456789abcdef0123456789abcdef"

static void
test_twilio_events(void **state)
{
	static const char *const deliv[] = { "MessageSid", SID, "MessageStatus", "delivered",
	    "Price", "-0.00750", "PriceUnit", "USD" };
	static const char *const undel[] = { "MessageSid", SID, "MessageStatus", "undelivered",
	    "ErrorCode", "30003" };
	static const char *const sent[] = { "MessageSid", SID, "MessageStatus", "sent" };
	static const char *const badp[] = { "MessageSid", SID, "MessageStatus", "sent",
	    "Price", "-0.0000001", "PriceUnit", "USD" };
	static const char *const nosid[] = { "MessageSid", "SMxyz", "MessageStatus", "sent" };
	static const char *const nost[] = { "MessageSid", SID };
	json_t *ev, *e;

	(void)state;
	ev = th_tw_events(deliv, BOS_ARRAY_LEN(deliv), 0, HOOKS_OK);
	assert_int_equal(json_array_size(ev), 2);
	e = th_event(ev, SID ":delivered");
	assert_string_equal(th_s(e, "kind"), "delivered");
	assert_string_equal(th_s(e, "provider_id"), SID);
	assert_int_equal(json_integer_value(json_object_get(e, "at")), 1234);
	e = th_event(ev, SID ":price");
	assert_string_equal(th_s(e, "kind"), "price");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "price"), "micros")),
	    7500);
	assert_string_equal(th_s(json_object_get(e, "price"), "currency"), "USD");
	json_decref(ev);
	ev = th_tw_events(undel, BOS_ARRAY_LEN(undel), 0, HOOKS_OK);
	assert_string_equal(th_s(th_event(ev, SID ":undelivered"), "kind"), "failed");
	assert_string_equal(th_s(json_object_get(th_event(ev, SID ":undelivered"), "detail"),
	    "error_code"), "30003");
	json_decref(ev);
	ev = th_tw_events(sent, BOS_ARRAY_LEN(sent), 0, HOOKS_OK);
	assert_int_equal(json_array_size(ev), 0);
	json_decref(ev);
	/* a price with more than 6 decimals is left out */
	ev = th_tw_events(badp, BOS_ARRAY_LEN(badp), 0, HOOKS_OK);
	assert_int_equal(json_array_size(ev), 0);
	json_decref(ev);
	assert_null(th_tw_events(nosid, BOS_ARRAY_LEN(nosid), 0, HOOKS_BAD));
	assert_null(th_tw_events(nost, BOS_ARRAY_LEN(nost), 0, HOOKS_BAD));
}

static const char *
th_inbound_kind(const char *body, const char *from, int want)
{
	const char *kv[] = { "MessageSid", SID, "From", from, "Body", body };
	static char kind[32];
	json_t *ev = th_tw_events(kv, 6, 1, want);

	kind[0] = '\0';
	if (ev != NULL) {
		assert_int_equal(json_array_size(ev), 1);
		(void)snprintf(kind, sizeof(kind), "%s", th_s(json_array_get(ev, 0), "kind"));
		assert_string_equal(th_s(json_array_get(ev, 0), "address"), from);
		json_decref(ev);
	}
	return kind;
}

static void
test_twilio_inbound(void **state)
{
	static const char *const stop[] = { "STOP", "stop", " Stop\n", "STOPALL", "unsubscribe",
	    "CANCEL", "end", "QUIT" };
	static const char *const start[] = { "START", "yes", "UNSTOP" };
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(stop); i++)
		assert_string_equal(th_inbound_kind(stop[i], "+15551230000", HOOKS_OK), "stop");
	for (i = 0; i < BOS_ARRAY_LEN(start); i++)
		assert_string_equal(th_inbound_kind(start[i], "+15551230000", HOOKS_OK), "start");
	assert_string_equal(th_inbound_kind("please stop", "+15551230000", HOOKS_OK), "replied");
	assert_string_equal(th_inbound_kind("STOP IT", "+15551230000", HOOKS_OK), "replied");
	assert_string_equal(th_inbound_kind("Thanks!", "+15551230000", HOOKS_OK), "replied");
	assert_string_equal(th_inbound_kind("", "+15551230000", HOOKS_OK), "replied");
	assert_string_equal(th_inbound_kind("STOP", "15551230000", HOOKS_BAD), "");
	assert_string_equal(th_inbound_kind("STOP", "+1555", HOOKS_BAD), "");
}

static int
th_parse(const char *body, struct hooks_form *f)
{
	struct bos_err err;

	return hooks_form_parse((const uint8_t *)body, strlen(body), f, &err);
}

static void
test_form_parse(void **state)
{
	static const char *const bad[] = {
		"a", "=x", "a=1&&b=2", "a=1&", "&a=1", "a=%4", "a=%zz", "a=%00", "a=%", "a b=1",
		"a=b c", "a=\x80", "%00=1", "a%0A=1", "a=1\n",
	};
	struct hooks_form f;
	char *big;
	size_t i;

	(void)state;
	assert_int_equal(th_parse("a=1&b=x+y&a=2&c=%41%2b%26&d=", &f), HOOKS_OK);
	assert_int_equal(f.n, 5);
	assert_string_equal(f.f[0].value, "1");
	assert_string_equal(f.f[1].value, "x y");
	assert_string_equal(f.f[2].name, "a");
	assert_string_equal(f.f[2].value, "2");
	assert_string_equal(f.f[3].value, "A+&");
	assert_int_equal(f.f[4].value_len, 0);
	assert_string_equal(hooks_form_get(&f, "a")->value, "1");
	assert_null(hooks_form_get(&f, "z"));
	hooks_form_free(&f);
	/* an SMS body may hold line ends, encoded */
	assert_int_equal(th_parse("Body=a%0D%0Ab", &f), HOOKS_OK);
	assert_string_equal(f.f[0].value, "a\r\nb");
	hooks_form_free(&f);
	assert_int_equal(th_parse("", &f), HOOKS_OK);
	assert_int_equal(f.n, 0);
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		assert_int_equal(th_parse(bad[i], &f), HOOKS_BAD);
		assert_int_equal(f.n, 0);
	}
	/* more than HOOKS_FIELDS_MAX fields */
	big = malloc(8 * (HOOKS_FIELDS_MAX + 2));
	assert_non_null(big);
	{
		size_t off = 0;
		const size_t cap = 8 * (HOOKS_FIELDS_MAX + 2);

		for (i = 0; i <= HOOKS_FIELDS_MAX; i++) {
			int w = snprintf(big + off, cap - off, "%sa=1", i > 0 ? "&" : "");

			assert_true(w > 0 && (size_t)w < cap - off);
			off += (size_t)w;
		}
	}
	assert_int_equal(th_parse(big, &f), HOOKS_BAD);
	free(big);
}

#define MP_CT "multipart/form-data; boundary=xYzZY"
#define MP_PART(n, v) "--xYzZY\r\nContent-Disposition: form-data; name=\"" n "\"\r\n\r\n" v "\r\n"

static int
th_mp(const char *ct, const char *body, struct hooks_form *f)
{
	struct bos_err err;

	return hooks_multipart_parse(ct, (const uint8_t *)body, strlen(body), f, &err);
}

static void
test_multipart(void **state)
{
	const char *good = MP_PART("to", "Sales <reply+" TOKEN "@bos.example.test>")
	    MP_PART("from", "Ann Example <ann@example.test>")
	    MP_PART("subject", "Re: hello")
	    "--xYzZY\r\nContent-Disposition: form-data; name=\"attachment1\"; filename=\"a.txt\"\r\n"
	    "Content-Type: text/plain\r\n\r\nfile\r\n"
	    MP_PART("envelope", "{\"to\":[\"x@y.test\"],\"from\":\"ann@example.test\"}")
	    "--xYzZY--\r\n";
	static const char *const bad[] = {
		"",
		MP_PART("to", "x"),                                          /* no closing delimiter */
		"--xYzZY\nContent-Disposition: form-data; name=\"to\"\n\nx\n--xYzZY--",   /* LF only */
		"--xYzZY\r\nContent-Disposition: form-data\r\n\r\nx\r\n--xYzZY--",        /* no name */
		"--xYzZY\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--xYzZY--",
		"preamble\r\n" MP_PART("to", "x") "--xYzZY--",
		"--xYzZY\r\nContent-Disposition: form-data; name=\"to\"\r\nx\r\n--xYzZY--",
	};
	struct hooks_form f;
	size_t i;

	(void)state;
	assert_int_equal(th_mp(MP_CT, good, &f), HOOKS_OK);
	assert_int_equal(f.n, 4);           /* the attachment is not kept */
	assert_string_equal(hooks_form_get(&f, "subject")->value, "Re: hello");
	assert_null(hooks_form_get(&f, "attachment1"));
	hooks_form_free(&f);
	/* a quoted boundary, upper-case type */
	assert_int_equal(th_mp("Multipart/Form-Data; charset=utf-8; boundary=\"xYzZY\"", good, &f),
	    HOOKS_OK);
	hooks_form_free(&f);
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++)
		assert_int_equal(th_mp(MP_CT, bad[i], &f), HOOKS_BAD);
	assert_int_equal(th_mp("application/json", good, &f), HOOKS_BAD);
	assert_int_equal(th_mp("multipart/form-data", good, &f), HOOKS_BAD);
	assert_int_equal(th_mp("multipart/form-data; boundary=", good, &f), HOOKS_BAD);
	assert_int_equal(th_mp(NULL, good, &f), HOOKS_BAD);
	assert_int_equal(th_mp("multipart/form-data; boundary=0123456789012345678901234567890123456"
	    "789012345678901234567890123456789", good, &f), HOOKS_BAD);
	assert_int_equal(th_mp("multipart/form-data; boundary=other", good, &f), HOOKS_BAD);
}

static json_t *
th_inbound(const char *body, int want)
{
	struct hooks_form f;
	struct bos_err err;
	json_t *ev = NULL;

	assert_int_equal(th_mp(MP_CT, body, &f), HOOKS_OK);
	assert_int_equal(hooks_inbound_events(&f, 99, &ev, &err), want);
	hooks_form_free(&f);
	return ev;
}

static void
test_inbound_events(void **state)
{
	const char *in_to = MP_PART("to", "Sales <REPLY+" TOKEN "@bos.example.test>")
	    MP_PART("from", "Ann <ann@example.test>") MP_PART("headers", "Message-ID: <1@x>")
	    "--xYzZY--";
	const char *in_env = MP_PART("to", "someone@else.test") MP_PART("from", "bob@example.test")
	    MP_PART("envelope", "{\"to\":[\"x@y.test\",\"reply+" TOKEN "@bos.example.test\"]}")
	    "--xYzZY--";
	const char *none = MP_PART("to", "reply+short@bos.example.test")
	    MP_PART("from", "bob@example.test") "--xYzZY--";
	const char *noform = MP_PART("to", "reply+" TOKEN "@b.test") "--xYzZY--";
	const char *badfrom = MP_PART("to", "reply+" TOKEN "@b.test") MP_PART("from", "no address")
	    "--xYzZY--";
	const char *badenv = MP_PART("to", "reply+" TOKEN "@b.test") MP_PART("from", "a@b.test")
	    MP_PART("envelope", "{\"to\":\"x\"}") "--xYzZY--";
	const char *notjson = MP_PART("from", "a@b.test") MP_PART("envelope", "{") "--xYzZY--";
	json_t *ev, *ev2;
	const char *id;

	(void)state;
	ev = th_inbound(in_to, HOOKS_OK);
	assert_int_equal(json_array_size(ev), 1);
	assert_string_equal(th_s(json_array_get(ev, 0), "kind"), "replied");
	assert_string_equal(th_s(json_array_get(ev, 0), "token"), TOKEN);
	assert_string_equal(th_s(json_array_get(ev, 0), "address"), "ann@example.test");
	id = th_s(json_array_get(ev, 0), "id");
	assert_int_equal(strncmp(id, "reply:", 6), 0);
	assert_int_equal(strlen(id), 38);
	/* the same message again (a retry): the same id, so the vault sees a duplicate */
	ev2 = th_inbound(in_to, HOOKS_OK);
	assert_string_equal(th_s(json_array_get(ev2, 0), "id"), id);
	json_decref(ev2);
	json_decref(ev);
	ev = th_inbound(in_env, HOOKS_OK);
	assert_int_equal(json_array_size(ev), 1);
	assert_string_equal(th_s(json_array_get(ev, 0), "token"), TOKEN);
	assert_string_equal(th_s(json_array_get(ev, 0), "address"), "bob@example.test");
	json_decref(ev);
	ev = th_inbound(none, HOOKS_OK);
	assert_int_equal(json_array_size(ev), 0);
	json_decref(ev);
	assert_null(th_inbound(noform, HOOKS_BAD));
	assert_null(th_inbound(badfrom, HOOKS_BAD));
	assert_null(th_inbound(badenv, HOOKS_BAD));
	assert_null(th_inbound(notjson, HOOKS_BAD));
}

static void
test_gif(void **state)
{
	(void)state;
	assert_int_equal(sizeof(hooks_gif), 43);
	assert_memory_equal(hooks_gif, "GIF89a\x01\x00\x01\x00", 10);
	assert_int_equal(hooks_gif[42], 0x3b);
}

static void
test_token_and_routes(void **state)
{
	static const char *const bad_routes[] = {
		"/o/" TOKEN ".png", "/o/" TOKEN, "/o/" TOKEN ".gif/", "/o/AbCdEfGhIjKlMnOpQrSt_.gif",
		"/u/" TOKEN "/", "/u/" TOKEN "x", "/c/" TOKEN, "/c/" TOKEN "/", "/c/" TOKEN "/01",
		"/c/" TOKEN "/10000", "/c/" TOKEN "/-1", "/c/" TOKEN "/1x", "/x/" TOKEN, "/", "",
		"/u/AbCdEfGhIjKlMnOpQrSt+/", "/u/AbCdEfGhIjKlMnOpQrS=", "/u/AbCdEfGhIjKlMnOpQr%2F",
		"//u/" TOKEN,
	};
	struct hooks_track t;
	size_t i;

	(void)state;
	assert_true(hooks_token_ok(TOKEN, 22));
	assert_false(hooks_token_ok(TOKEN, 21));
	assert_false(hooks_token_ok("AbCdEfGhIjKlMnOpQrSt+/", 22));
	assert_false(hooks_token_ok("AbCdEfGhIjKlMnOpQrSt=\0", 22));
	assert_false(hooks_token_ok(NULL, 22));
	assert_int_equal(hooks_track_route("/o/" TOKEN ".gif", &t), 0);
	assert_int_equal(t.kind, HOOKS_TRACK_OPEN);
	assert_string_equal(t.token, TOKEN);
	assert_int_equal(hooks_track_route("/c/" TOKEN "/0", &t), 0);
	assert_int_equal(t.kind, HOOKS_TRACK_CLICK);
	assert_int_equal(t.link, 0);
	assert_int_equal(hooks_track_route("/c/" TOKEN "/9999", &t), 0);
	assert_int_equal(t.link, 9999);
	assert_int_equal(hooks_track_route("/u/" TOKEN, &t), 0);
	assert_int_equal(t.kind, HOOKS_TRACK_UNSUB);
	for (i = 0; i < BOS_ARRAY_LEN(bad_routes); i++)
		assert_int_equal(hooks_track_route(bad_routes[i], &t), -1);
}

static void
test_click_targets(void **state)
{
	static const char *const good[] = { "https://example.test/", "http://example.test",
	    "https://example.test/a?b=c#d" };
	static const char *const bad[] = { "javascript:alert(1)", "data:text/html,x", "//evil.test",
	    "http:///evil.test", "https://", "https://\\evil.test", "https:/\\evil.test",
	    "https://a.test/\r\nSet-Cookie: x", "https://a.test/ b", "ftp://a.test/", "HTTPS://a.test",
	    "https://a.test/\x7f", "https://?x", "", NULL };
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(good); i++)
		assert_true(hooks_track_url_ok(good[i]));
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++)
		assert_false(hooks_track_url_ok(bad[i]));
}

static void
test_unsubscribe(void **state)
{
	char page[1024];

	(void)state;
	assert_true(hooks_track_unsub_ok((const uint8_t *)"List-Unsubscribe=One-Click", 26));
	assert_false(hooks_track_unsub_ok((const uint8_t *)"List-Unsubscribe=One-Click&x=1", 30));
	assert_false(hooks_track_unsub_ok((const uint8_t *)"", 0));
	assert_int_equal(hooks_track_unsub_page(TOKEN, page, sizeof(page)), 0);
	assert_non_null(strstr(page, "method=\"post\""));
	assert_non_null(strstr(page, "action=\"/u/" TOKEN "\""));
	assert_non_null(strstr(page, "name=\"List-Unsubscribe\" value=\"One-Click\""));
	assert_null(strstr(page, "<script"));
	assert_int_equal(hooks_track_unsub_page("\"><script>", page, sizeof(page)), -1);
	assert_int_equal(hooks_track_unsub_page(TOKEN, page, 10), -1);
}

static void
test_base64_strict(void **state)
{
	uint8_t out[16];

	(void)state;
	assert_int_equal(hooks_b64_decode("YWJj", 4, out, sizeof(out)), 3);
	assert_int_equal(hooks_b64_decode("YWI=", 4, out, sizeof(out)), 2);
	assert_int_equal(hooks_b64_decode("YQ==", 4, out, sizeof(out)), 1);
	assert_memory_equal(out, "a", 1);
	assert_int_equal(hooks_b64_decode("YWJ", 3, out, sizeof(out)), -1);      /* no padding */
	assert_int_equal(hooks_b64_decode("YWJ=YWJj", 8, out, sizeof(out)), -1); /* pad inside */
	assert_int_equal(hooks_b64_decode("YR==", 4, out, sizeof(out)), -1);     /* bits under = */
	assert_int_equal(hooks_b64_decode("YW\nj", 4, out, sizeof(out)), -1);
	assert_int_equal(hooks_b64_decode("YW-_", 4, out, sizeof(out)), -1);     /* base64url */
	assert_int_equal(hooks_b64_decode("YWJjYWJj", 8, out, 5), -1);           /* too long */
	assert_int_equal(hooks_b64_decode("", 0, out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sendgrid_kat),
		cmocka_unit_test(test_sendgrid_kat_negative),
		cmocka_unit_test(test_sendgrid_generated_key),
		cmocka_unit_test(test_sendgrid_events),
		cmocka_unit_test(test_sendgrid_events_malformed),
		cmocka_unit_test(test_twilio_candidates_kat),
		cmocka_unit_test(test_twilio_verify_object),
		cmocka_unit_test(test_twilio_events),
		cmocka_unit_test(test_twilio_inbound),
		cmocka_unit_test(test_form_parse),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_inbound_events),
		cmocka_unit_test(test_gif),
		cmocka_unit_test(test_token_and_routes),
		cmocka_unit_test(test_click_targets),
		cmocka_unit_test(test_unsubscribe),
		cmocka_unit_test(test_base64_strict),
	};

	json_alloc_init();
	return cmocka_run_group_tests(tests, th_setup, NULL);
}
