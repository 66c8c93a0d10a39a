/*
 * SendGrid's Event Webhook (hooks.h; CONNECTORS.md A2): the signature
 * (ECDSA P-256 over SHA-256 of timestamp || raw body, OpenSSL), a replay
 * window of our own (SendGrid documents none), then the JSON array into
 * normalised events.
 */
#include "hooks.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#define HS_KEY_MAX 256       /* a P-256 SPKI is 91 bytes */
#define HS_SIG_MAX 80        /* a DER P-256 signature is at most 72 bytes */
#define HS_TS_DIGITS 12
#define HS_ID_MAX 256
#define HS_DETAIL_MAX 256
#define HS_URL_MAX 2048
#define HS_ADDR_MAX 254

int
hooks_sendgrid_key(const char *b64, void **key, struct bos_err *err)
{
	uint8_t der[HS_KEY_MAX];
	const unsigned char *p = der;
	EVP_PKEY *k;
	char group[64];
	long n;

	*key = NULL;
	n = hooks_b64_decode(b64, strlen(b64), der, sizeof(der));
	k = n > 0 ? d2i_PUBKEY(NULL, &p, n) : NULL;
	if (k != NULL && p != der + n) {
		EVP_PKEY_free(k);     /* bytes after the key: not the key SendGrid shows */
		k = NULL;
	}
	if (k == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "sendgrid_webhook_key must be the base64 DER "
		    "public key shown in SendGrid's Mail Settings (Signed Event Webhook)");
	if (!EVP_PKEY_is_a(k, "EC") || EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		EVP_PKEY_free(k);
		return bos_err_set(err, BOS_E_CONFIG, "sendgrid_webhook_key is not a P-256 (prime256v1) "
		    "EC key");
	}
	*key = k;
	return 0;
}

void
hooks_sendgrid_key_free(void *key)
{
	EVP_PKEY_free(key);
}

/* Decimal digits only, no sign, no leading blank: the timestamp header. */
static int
hs_timestamp(const char *ts, long long *out)
{
	long long v = 0;
	size_t i, n = ts != NULL ? strlen(ts) : 0;

	if (n == 0 || n > HS_TS_DIGITS)
		return -1;
	for (i = 0; i < n; i++) {
		if (ts[i] < '0' || ts[i] > '9')
			return -1;
		v = v * 10 + (ts[i] - '0');
	}
	*out = v;
	return 0;
}

int
hooks_sendgrid_verify(void *key, const char *sig_b64, const char *ts, const uint8_t *body,
    size_t len, time_t now, struct bos_err *err)
{
	uint8_t sig[HS_SIG_MAX];
	EVP_MD_CTX *md;
	long long t;
	long n;
	int ok;

	if (key == NULL)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_CONFIG, "no sendgrid_webhook_key");
	if (sig_b64 == NULL || ts == NULL)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "missing X-Twilio-Email-Event-Webhook-Signature "
		    "or -Timestamp");
	if (hs_timestamp(ts, &t) != 0)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "the timestamp is not a number");
	if (t < (long long)now - HOOKS_SKEW_S || t > (long long)now + HOOKS_SKEW_S)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "the timestamp is %lld s from now (at most %d)",
		    t - (long long)now, HOOKS_SKEW_S);
	n = hooks_b64_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig));
	if (n <= 0)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "the signature is not base64");
	if ((md = EVP_MD_CTX_new()) == NULL)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_NOMEM, "out of memory");
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerifyUpdate(md, ts, strlen(ts)) == 1 &&
	    EVP_DigestVerifyUpdate(md, body, len) == 1 &&
	    EVP_DigestVerifyFinal(md, sig, (size_t)n) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "the signature does not verify");
	return HOOKS_OK;
}

/* SendGrid's event name into ours; NULL: left out (processed, resubscribe, unknown). */
static const char *
hs_kind(const char *event, const char *type)
{
	static const char *const map[][2] = {
		{ "delivered", "delivered" }, { "dropped", "dropped" }, { "deferred", "deferred" },
		{ "open", "opened" }, { "click", "clicked" }, { "spamreport", "complained" },
		{ "unsubscribe", "unsubscribed" }, { "group_unsubscribe", "unsubscribed" },
	};
	size_t i;

	if (strcmp(event, "bounce") == 0)
		return type != NULL && strcmp(type, "blocked") == 0 ? "failed" : "bounced";
	for (i = 0; i < BOS_ARRAY_LEN(map); i++)
		if (strcmp(event, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* A string field of at most max bytes, printable ASCII; NULL otherwise. */
static const char *
hs_str(json_t *o, const char *name, size_t max)
{
	const char *s = json_string_value(json_object_get(o, name));
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	return s;
}

/* provider_id: sg_message_id up to its first '.' (the X-Message-Id the send got). */
static int
hs_provider_id(json_t *ev, json_t *o)
{
	const char *s = hs_str(o, "sg_message_id", HS_ID_MAX);
	const char *dot;

	if (s == NULL)
		return 0;
	dot = strchr(s, '.');
	if (dot == s)
		return 0;
	return json_object_set_new(ev, "provider_id",
	    dot != NULL ? json_stringn(s, (size_t)(dot - s)) : json_string(s));
}

/* Reason text, cut at a UTF-8 character boundary. */
static int
hs_detail(json_t *ev, json_t *o, const char *type)
{
	const char *r = json_string_value(json_object_get(o, "reason"));
	json_t *d;
	size_t n;

	if (r == NULL && type == NULL)
		return 0;
	if ((d = json_object()) == NULL)
		return -1;
	if (r != NULL) {
		n = strlen(r);
		if (n > HS_DETAIL_MAX) {
			n = HS_DETAIL_MAX;
			while (n > 0 && ((unsigned char)r[n] & 0xc0) == 0x80)
				n--;
		}
		if (json_object_set_new(d, "reason", json_stringn(r, n)) != 0)
			goto bad;
	}
	if (type != NULL && json_object_set_new(d, "type", json_string(type)) != 0)
		goto bad;
	return json_object_set_new(ev, "detail", d);
 bad:
	json_decref(d);
	return -1;
}

/* One element of the array; *ev NULL when it is left out. HOOKS_OK or HOOKS_BAD. */
static int
hs_event(json_t *o, size_t i, json_t **ev, struct bos_err *err)
{
	const char *event = hs_str(o, "event", 64), *type = hs_str(o, "type", 32);
	const char *kind, *id, *s;
	json_t *ts = json_object_get(o, "timestamp");
	int bad = 0;

	*ev = NULL;
	if (!json_is_object(o) || event == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "event %zu: not an object "
		    "with an event", i);
	if ((kind = hs_kind(event, type)) == NULL)
		return HOOKS_OK;
	if ((id = hs_str(o, "sg_event_id", HS_ID_MAX)) == NULL || !json_is_integer(ts) ||
	    json_integer_value(ts) < 0)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "event %zu: sg_event_id (1-%d printable "
		    "bytes) and an integer timestamp are required", i, HS_ID_MAX);
	if ((*ev = json_pack("{s:s, s:s, s:I}", "id", id, "kind", kind, "at",
	    (json_int_t)json_integer_value(ts))) == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	if ((s = hs_str(o, "bos_message", 64)) != NULL)
		bad |= json_object_set_new(*ev, "message", json_string(s));
	if ((s = hs_str(o, "bos_token", HOOKS_TOKEN_LEN)) != NULL && hooks_token_ok(s, strlen(s)))
		bad |= json_object_set_new(*ev, "token", json_string(s));
	if ((s = hs_str(o, "email", HS_ADDR_MAX)) != NULL)
		bad |= json_object_set_new(*ev, "address", json_string(s));
	if (strcmp(kind, "clicked") == 0 && (s = hs_str(o, "url", HS_URL_MAX)) != NULL)
		bad |= json_object_set_new(*ev, "url", json_string(s));
	bad |= hs_provider_id(*ev, o);
	if (strcmp(kind, "bounced") == 0 || strcmp(kind, "failed") == 0 ||
	    strcmp(kind, "dropped") == 0 || strcmp(kind, "deferred") == 0)
		bad |= hs_detail(*ev, o, type);
	if (bad != 0) {
		json_decref(*ev);
		*ev = NULL;
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	}
	return HOOKS_OK;
}

int
hooks_sendgrid_events(const uint8_t *body, size_t len, json_t **events, struct bos_err *err)
{
	json_t *arr, *out, *ev;
	size_t i;
	int rc;

	*events = NULL;
	arr = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > HOOKS_EVENTS_MAX) {
		json_decref(arr);
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "the body must be a JSON array of 1 to %d "
		    "events", HOOKS_EVENTS_MAX);
	}
	if ((out = json_array()) == NULL) {
		json_decref(arr);
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	}
	for (i = 0; i < json_array_size(arr); i++) {
		if ((rc = hs_event(json_array_get(arr, i), i, &ev, err)) != HOOKS_OK) {
			json_decref(out);
			json_decref(arr);
			return rc;
		}
		if (ev != NULL && json_array_append_new(out, ev) != 0) {
			json_decref(out);
			json_decref(arr);
			return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
		}
	}
	json_decref(arr);
	*events = out;
	return HOOKS_OK;
}
