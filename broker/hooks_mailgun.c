/*
 * Mailgun's event webhook (hooks.h; CONNECTORS.md A3): a JSON POST
 * {signature:{timestamp, token, signature}, event-data:{...}}. The signature
 * is the hex HMAC-SHA256 of timestamp || token under the webhook signing
 * key, which only the vault holds: the broker checks the shape and the
 * timestamp (within HOOKS_SKEW_S of now), and hands the signed string to the
 * vault (`verify` scheme mailgun), which checks the HMAC and refuses a token
 * it has seen (docs/OUTREACH.md "verify").
 */
#include "hooks.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include "randid.h"

#define HM_TS_DIGITS 12
#define HM_TOKEN_MAX 256
#define HM_SIG_HEX 64          /* HMAC-SHA256 in hex */
#define HM_ID_MAX 256
#define HM_ADDR_MAX 254
#define HM_URL_MAX 2048
#define HM_DETAIL_MAX 256
#define HM_MESSAGE_CHARS 26

/* A string member of at most max bytes, printable ASCII (spaces: allowed); NULL otherwise. */
static const char *
hm_str(json_t *o, const char *name, size_t max, int spaces)
{
	const char *s = json_string_value(json_object_get(o, name));
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max || n != json_string_length(
	    json_object_get(o, name)))
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < (spaces ? 0x20 : 0x21) || (unsigned char)s[i] > 0x7e)
			return NULL;
	return s;
}

/* The signature object: the verify object, or why not. */
static int
hm_verify(json_t *sig, time_t now, json_t **verify, struct bos_err *err)
{
	const char *ts = hm_str(sig, "timestamp", HM_TS_DIGITS, 0),
	    *token = hm_str(sig, "token", HM_TOKEN_MAX, 0),
	    *hex = hm_str(sig, "signature", HM_SIG_HEX, 0);
	unsigned char *signed_str, *b64;
	long long t = 0;
	size_t i, tl, kl;

	*verify = NULL;
	if (!json_is_object(sig) || ts == NULL || token == NULL || hex == NULL ||
	    strlen(hex) != HM_SIG_HEX || strspn(hex, "0123456789abcdefABCDEF") != HM_SIG_HEX ||
	    strspn(ts, "0123456789") != strlen(ts))
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "no Mailgun signature: signature "
		    "needs timestamp (1-%d digits), token (1-%d printable) and signature (%d hex "
		    "digits)", HM_TS_DIGITS, HM_TOKEN_MAX, HM_SIG_HEX);
	for (i = 0; ts[i] != '\0'; i++)
		t = t * 10 + (ts[i] - '0');
	if (t < (long long)now - HOOKS_SKEW_S || t > (long long)now + HOOKS_SKEW_S)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "the Mailgun signature's timestamp "
		    "is more than %d s from now", HOOKS_SKEW_S);
	tl = strlen(ts);
	kl = strlen(token);
	if ((signed_str = malloc(tl + kl)) == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	memcpy(signed_str, ts, tl);
	memcpy(signed_str + tl, token, kl);
	if ((b64 = malloc(4 * ((tl + kl + 2) / 3) + 1)) == NULL) {
		free(signed_str);
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	}
	(void)EVP_EncodeBlock(b64, signed_str, (int)(tl + kl));
	free(signed_str);
	*verify = json_pack("{s:s, s:[s], s:s, s:s}", "scheme", "mailgun", "candidates",
	    (const char *)b64, "signature", hex, "token", token);
	free(b64);
	if (*verify == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	return HOOKS_OK;
}

/* Mailgun's event (and severity) into ours; NULL: nothing to record (accepted, unknown). */
static const char *
hm_kind(const char *event, const char *severity)
{
	static const char *const map[][2] = {
		{ "delivered", "delivered" }, { "opened", "opened" }, { "clicked", "clicked" },
		{ "unsubscribed", "unsubscribed" }, { "complained", "complained" },
	};
	size_t i;

	if (strcmp(event, "failed") == 0) {
		if (severity == NULL)
			return "failed";
		return strcmp(severity, "permanent") == 0 ? "bounced" :
		    strcmp(severity, "temporary") == 0 ? "deferred" : "failed";
	}
	for (i = 0; i < BOS_ARRAY_LEN(map); i++)
		if (strcmp(event, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* event-data.timestamp: a number (seconds, a fraction allowed) >= 0; -1 otherwise. */
static long long
hm_at(json_t *v)
{
	double d;

	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? (long long)json_integer_value(v) : -1;
	if (!json_is_real(v))
		return -1;
	d = json_real_value(v);
	return d >= 0 && d < 1e12 ? (long long)d : -1;
}

/* The message's Message-ID (Mailgun's id without <>) as the send's provider id: <ID>. */
static int
hm_provider_id(json_t *ev, json_t *ed)
{
	json_t *h = json_object_get(json_object_get(ed, "message"), "headers");
	const char *mid = hm_str(h, "message-id", HM_ID_MAX - 2, 0);
	char buf[HM_ID_MAX + 1];

	if (mid == NULL || mid[0] == '<')
		return mid != NULL ? json_object_set_new(ev, "provider_id", json_string(mid)) : 0;
	(void)snprintf(buf, sizeof(buf), "<%s>", mid);
	return json_object_set_new(ev, "provider_id", json_string(buf));
}

/* event-data into *ev (NULL: nothing to record). */
static int
hm_event(json_t *ed, json_t **ev, struct bos_err *err)
{
	const char *event = hm_str(ed, "event", 64, 0), *sev = hm_str(ed, "severity", 32, 0);
	const char *kind, *id, *s;
	json_t *uv = json_object_get(ed, "user-variables"), *d;
	long long at = hm_at(json_object_get(ed, "timestamp"));
	int bad = 0;

	*ev = NULL;
	if (!json_is_object(ed) || event == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "event-data must be an object with "
		    "an event");
	if ((kind = hm_kind(event, sev)) == NULL)
		return HOOKS_OK;
	if ((id = hm_str(ed, "id", HM_ID_MAX, 0)) == NULL || at < 0)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "event-data needs an id (1-%d "
		    "printable bytes) and a numeric timestamp", HM_ID_MAX);
	if ((*ev = json_pack("{s:s, s:s, s:I}", "id", id, "kind", kind, "at", (json_int_t)at)) ==
	    NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	if ((s = hm_str(uv, "bos_message", 64, 0)) != NULL && randid_valid(s, "om_",
	    HM_MESSAGE_CHARS))
		bad |= json_object_set_new(*ev, "message", json_string(s));
	if ((s = hm_str(uv, "bos_token", HOOKS_TOKEN_LEN, 0)) != NULL &&
	    hooks_token_ok(s, strlen(s)))
		bad |= json_object_set_new(*ev, "token", json_string(s));
	if ((s = hm_str(ed, "recipient", HM_ADDR_MAX, 0)) != NULL)
		bad |= json_object_set_new(*ev, "address", json_string(s));
	if (strcmp(kind, "clicked") == 0 && (s = hm_str(ed, "url", HM_URL_MAX, 0)) != NULL)
		bad |= json_object_set_new(*ev, "url", json_string(s));
	bad |= hm_provider_id(*ev, ed);
	if (strcmp(event, "failed") == 0) {
		d = json_pack("{s:s}", "type", sev != NULL ? sev : "unknown");
		s = hm_str(ed, "reason", HM_DETAIL_MAX, 1);
		if (d != NULL && s != NULL)
			bad |= json_object_set_new(d, "reason", json_string(s));
		bad |= d == NULL ? -1 : json_object_set_new(*ev, "detail", d);
	}
	if (bad != 0) {
		json_decref(*ev);
		*ev = NULL;
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	}
	return HOOKS_OK;
}

int
hooks_mailgun_parse(const uint8_t *body, size_t len, time_t now, json_t **events,
    json_t **verify, struct bos_err *err)
{
	json_t *j, *ev = NULL;
	int rc;

	*events = NULL;
	*verify = NULL;
	j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "the body must be a JSON object "
		    "{signature, event-data}");
	}
	rc = hm_verify(json_object_get(j, "signature"), now, verify, err);
	if (rc == HOOKS_OK)
		rc = hm_event(json_object_get(j, "event-data"), &ev, err);
	if (rc == HOOKS_OK && (*events = json_array()) == NULL)
		rc = hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	if (rc == HOOKS_OK && ev != NULL && json_array_append_new(*events, ev) != 0) {
		ev = NULL;
		rc = hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	} else {
		ev = NULL;
	}
	json_decref(j);
	if (rc != HOOKS_OK) {
		json_decref(ev);
		json_decref(*events);
		json_decref(*verify);
		*events = NULL;
		*verify = NULL;
	}
	return rc;
}
