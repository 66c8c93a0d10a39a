/*
 * The hooks listener's parsers (docs/OUTREACH.md "Events", "The outreach
 * broker"): pure functions on untrusted bytes, no vault, no network, so that
 * each can be fuzzed (tests/fuzz/fuzz_hooks_*.c). Each turns a provider's
 * request into the events of POST /outreach/events, or says why not with
 * an HTTP status: HOOKS_BAD (400, malformed) or HOOKS_UNAUTH (401, a
 * signature that does not hold). Error texts name fields and lengths, never
 * a value from the request.
 */
#ifndef BOS_HOOKS_H
#define BOS_HOOKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "compiler.h"
#include "err.h"

#define HOOKS_OK 0
#define HOOKS_BAD 400
#define HOOKS_UNAUTH 401

#define HOOKS_TOKEN_LEN 22          /* a tracking token: 22 base64url characters */
#define HOOKS_SKEW_S 300            /* SendGrid's timestamp: at most this far off now */
#define HOOKS_FIELDS_MAX 256        /* form or multipart fields in one request */
#define HOOKS_EVENTS_MAX 10000      /* events in one SendGrid batch */
#define HOOKS_GIF_LEN 43

/* Fill err and give status: `return hooks_fail(HOOKS_BAD, err, ...);` */
#define hooks_fail(status, err, ...) (bos_err_fill((err), __VA_ARGS__), (status))

/* The transparent 1x1 GIF of /o/TOKEN.gif. */
extern const uint8_t hooks_gif[HOOKS_GIF_LEN];

/* 1 when s[0..n) is a tracking token (exactly 22 of A-Za-z0-9-_), else 0. */
int hooks_token_ok(const char *s, size_t n);

/*
 * Strict base64 (RFC 4648 section 4, padding required, no whitespace) of
 * in[0..n) into out (cap bytes). The length, or -1.
 */
long hooks_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* A form or multipart body: its fields in order, duplicates kept. */
struct hooks_field {
	char *name;         /* NUL-terminated, no NUL inside */
	char *value;        /* NUL-terminated; value_len bytes (a multipart value may hold NUL) */
	size_t value_len;
};

struct hooks_form {
	struct hooks_field *f;
	size_t n;
};

void hooks_form_free(struct hooks_form *form);
/* The first field called name, or NULL. */
const struct hooks_field *hooks_form_get(const struct hooks_form *form, const char *name);

/* ---- hooks_sendgrid.c: the Event Webhook ---- */

/* The verification key (base64 DER SubjectPublicKeyInfo, P-256) as an EVP_PKEY *. */
int hooks_sendgrid_key(const char *b64, void **key, struct bos_err *err) BOS_WUR;
void hooks_sendgrid_key_free(void *key);

/*
 * X-Twilio-Email-Event-Webhook-Signature (sig_b64) and -Timestamp (ts, unix
 * seconds as decimal digits) over body: ECDSA P-256, SHA-256 of ts || body.
 * HOOKS_OK, HOOKS_UNAUTH (missing, bad, or a timestamp more than
 * HOOKS_SKEW_S from now either way).
 */
int hooks_sendgrid_verify(void *key, const char *sig_b64, const char *ts, const uint8_t *body,
    size_t len, time_t now, struct bos_err *err) BOS_WUR;

/*
 * The JSON array into events (a new JSON array; `processed` and unknown
 * event types are left out). HOOKS_OK or HOOKS_BAD.
 */
int hooks_sendgrid_events(const uint8_t *body, size_t len, json_t **events,
    struct bos_err *err) BOS_WUR;

/* ---- hooks_twilio.c: status callbacks and inbound SMS ---- */

/*
 * application/x-www-form-urlencoded: name=value pairs split by '&', '+' is
 * a space, %XX two hex digits (anything else after '%' is malformed), no
 * NUL or control character after decoding, an empty name is malformed,
 * duplicates kept in order. HOOKS_OK or HOOKS_BAD.
 */
int hooks_form_parse(const uint8_t *body, size_t len, struct hooks_form *form,
    struct bos_err *err) BOS_WUR;

/*
 * The strings Twilio may have signed: public_url (no trailing '/') + uri
 * (path and query as received), with and without ":443", each followed by
 * the fields sorted by name then value as name+value. A JSON array of their
 * base64, or NULL (public_url is not https).
 */
json_t *hooks_twilio_candidates(const char *public_url, const char *uri,
    const struct hooks_form *form);

/*
 * The `verify` object of POST /outreach/events: {scheme, account,
 * candidates, signature}. sha256: X-Twilio-Webhooks-Signature-Settings
 * named HMAC_SHA256. HOOKS_OK, HOOKS_UNAUTH (no or bad signature, no or bad
 * AccountSid), HOOKS_BAD.
 */
int hooks_twilio_verify(const char *public_url, const char *uri, const struct hooks_form *form,
    const char *signature, int sha256, json_t **verify, struct bos_err *err) BOS_WUR;

/* A status callback (inbound = 0) or an inbound SMS (1) into events, at now. HOOKS_OK or HOOKS_BAD. */
int hooks_twilio_events(const struct hooks_form *form, int inbound, time_t now,
    json_t **events, struct bos_err *err) BOS_WUR;

/* An SMS's keyword (the whole text, blanks around it, any case): "stop", "start" or NULL. */
const char *hooks_sms_keyword(const char *body);

/* A price ("-0.00750", at most 12 digits, 6 decimals; the sign ignored) in micro-units. 0 or -1. */
int hooks_price_micros(const char *s, long long *out) BOS_WUR;

/* ---- hooks_mailgun.c: Mailgun's event webhook ---- */

/*
 * The JSON body {signature:{timestamp, token, signature}, event-data} into
 * events (an array of 0 or 1: `accepted` and unknown events are left out)
 * and the `verify` object {scheme: mailgun, candidates: [base64(timestamp
 * || token)], signature (hex), token}. HOOKS_OK; HOOKS_UNAUTH (no or
 * malformed signature object, a timestamp more than HOOKS_SKEW_S from now);
 * HOOKS_BAD.
 */
int hooks_mailgun_parse(const uint8_t *body, size_t len, time_t now, json_t **events,
    json_t **verify, struct bos_err *err) BOS_WUR;

/* ---- hooks_plivo.c: Plivo's status callbacks and inbound SMS ---- */

#define HOOKS_PLIVO_SIGS_MAX 4

/*
 * The string Plivo signs (X-Plivo-Signature-V3, CONNECTORS.md A7): public_url
 * + uri's path, then when the form has fields "?" + the query's pairs
 * sorted as k=v joined by '&' (+ "." when there is a query) + the fields
 * sorted as k+v; without fields "?" + the sorted query only when there is
 * one; then "." + nonce. Its base64 in a new JSON array, or NULL.
 */
json_t *hooks_plivo_candidates(const char *public_url, const char *uri,
    const struct hooks_form *form, const char *nonce);

/*
 * The verify object {scheme: plivo-v3, account, candidates, signature:
 * [...]}: account is the query's auth_id (MA or SA + 18 of [A-Z0-9]; Plivo
 * does not send it), signatures the header's comma-separated base64 HMACs
 * (1 to HOOKS_PLIVO_SIGS_MAX). HOOKS_OK, HOOKS_UNAUTH (no or bad signature
 * or nonce), HOOKS_BAD (no auth_id).
 */
int hooks_plivo_verify(const char *public_url, const char *uri, const struct hooks_form *form,
    const char *signatures, const char *nonce, json_t **verify, struct bos_err *err) BOS_WUR;

/* A Plivo status callback (inbound = 0) or inbound SMS (1) into events. HOOKS_OK or HOOKS_BAD. */
int hooks_plivo_events(const struct hooks_form *form, int inbound, time_t now,
    json_t **events, struct bos_err *err) BOS_WUR;

/* ---- hooks_multipart.c: SendGrid Inbound Parse ---- */

/* multipart/form-data with the boundary from content_type. HOOKS_OK or HOOKS_BAD. */
int hooks_multipart_parse(const char *content_type, const uint8_t *body, size_t len,
    struct hooks_form *form, struct bos_err *err) BOS_WUR;

/*
 * A reply: {id, kind: replied, token, address} when `to` or the envelope's
 * `to` holds reply+TOKEN@; else an empty array (not ours). HOOKS_OK or
 * HOOKS_BAD (no from, a bad envelope).
 */
int hooks_inbound_events(const struct hooks_form *form, time_t now, json_t **events,
    struct bos_err *err) BOS_WUR;

/* ---- hooks_track.c: open, click, unsubscribe ---- */

enum hooks_track_kind { HOOKS_TRACK_OPEN, HOOKS_TRACK_CLICK, HOOKS_TRACK_UNSUB };

struct hooks_track {
	enum hooks_track_kind kind;
	char token[HOOKS_TOKEN_LEN + 1];
	long link;                       /* /c/TOKEN/N: N (0..9999), else -1 */
};

/* A tracking path (/o/TOKEN.gif, /c/TOKEN/N, /u/TOKEN) into t: 0, or -1 (404). */
int hooks_track_route(const char *path, struct hooks_track *t) BOS_WUR;

/* 1 when url is a place a click may be sent to: http(s)://HOST..., printable, no space. */
int hooks_track_url_ok(const char *url);

/* 1 when a POST /u/TOKEN body is the one-click form (List-Unsubscribe=One-Click). */
int hooks_track_unsub_ok(const uint8_t *body, size_t len);

/* The pages of /u/TOKEN (the token is checked first, so it is safe in HTML). */
int hooks_track_unsub_page(const char *token, char *out, size_t cap) BOS_WUR;
extern const char hooks_track_done_page[];

#endif
