/*
 * The Twilio connector: GET /2010-04-01/Accounts/{Sid}.json with Basic
 * Sid:AuthToken (CONNECTORS.md A6, F.3). The Sid is the lease's credential
 * metadata account_sid, not a secret; it becomes a path segment and the
 * Basic user, so only its documented form is accepted: "AC" and 32 hex
 * digits. Anything else could reshape the URL ("../", "@host") or the header.
 *
 * Sending (CONNECTORS.md A6): POST /2010-04-01/Accounts/{Sid}/Messages.json,
 * a form with To, From, Body and StatusCallback when the vault gives one;
 * 201 with the Message resource, whose sid is the provider's id and whose
 * price, when Twilio already knows it, is the message's price.
 */
#include "connector.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "provider.h"
#include "send_link.h"

#define TWILIO_SID_LEN 34
#define TWILIO_FORM_MAX (16 * 1024)

static const char *const twilio_hosts[] = { "api.twilio.com", NULL };

static int
twilio_sid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != TWILIO_SID_LEN || s[0] != 'A' || s[1] != 'C')
		return 0;
	for (i = 2; i < TWILIO_SID_LEN; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return 0;
	return 1;
}

static int
twilio_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BASIC, l->account_sid, l->secret, NULL };
	char path[sizeof("/2010-04-01/Accounts/.json") + BROKER_META_MAX];

	if (!twilio_sid_ok(l->account_sid)) {
		memset(r, 0, sizeof(*r));
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), "twilio: the credential's metadata has no "
		    "account_sid of the form AC + 32 hex digits");
		return -1;
	}
	(void)snprintf(path, sizeof(path), "/2010-04-01/Accounts/%s.json", l->account_sid);
	provider_get(p, c, path, &a, r);
	return 0;
}

/* One form field "name=value", percent-encoded (RFC 3986 unreserved kept), '&' before all but the first. */
static int
twilio_field(struct buf *b, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *v = (const unsigned char *)value;
	char e[3] = { '%', 0, 0 };
	int bad = 0;

	bad |= b->len > 0 && buf_put(b, "&", 1) != 0;
	bad |= buf_put(b, name, strlen(name)) != 0 || buf_put(b, "=", 1) != 0;
	for (; *v != '\0' && !bad; v++) {
		if ((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
		    strchr("-._~", *v) != NULL) {
			bad |= buf_put(b, v, 1) != 0;
		} else {
			e[1] = hex[*v >> 4];
			e[2] = hex[*v & 15];
			bad |= buf_put(b, e, 3) != 0;
		}
	}
	return bad ? -1 : 0;
}

/* E.164 (+ and 7-15 digits) or an alphanumeric sender id (1-11), as docs/OUTREACH.md has them. */
static int
twilio_number_ok(const char *s, int sender)
{
	size_t n = strlen(s);

	if (s[0] == '+')
		return n >= 8 && n <= 16 && strspn(s + 1, "0123456789") == n - 1;
	return sender && n >= 1 && n <= 11 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

static int
twilio_prepare(const struct provider *p, const struct connector *c, const struct send_msg *m,
    const struct broker_lease *l, struct send_prep *sp, struct bos_err *err)
{
	(void)p; (void)c;
	memset(sp, 0, sizeof(*sp));
	buf_init_grow(&sp->body, TWILIO_FORM_MAX);
	if (!twilio_sid_ok(l->account_sid))
		return bos_err_set(err, BOS_E_INVALID, "twilio: the credential's metadata has no "
		    "account_sid of the form AC + 32 hex digits");
	if (!twilio_number_ok(m->to, 0) || !twilio_number_ok(m->from, 1))
		return bos_err_set(err, BOS_E_INVALID, "twilio: To must be E.164 and From E.164 or a "
		    "sender id of 1 to 11 letters and digits");
	if (m->body == NULL || m->body[0] == '\0')
		return bos_err_set(err, BOS_E_INVALID, "twilio: the message has no body");
	if (m->status_callback != NULL && strncmp(m->status_callback, "https://", 8) != 0)
		return bos_err_set(err, BOS_E_INVALID, "twilio: the status callback is not https");
	if (twilio_field(&sp->body, "To", m->to) != 0 ||
	    twilio_field(&sp->body, "From", m->from) != 0 ||
	    twilio_field(&sp->body, "Body", m->body) != 0 || (m->status_callback != NULL &&
	    twilio_field(&sp->body, "StatusCallback", m->status_callback) != 0))
		return bos_err_set(err, BOS_E_INVALID, "twilio: the request is larger than %d bytes",
		    TWILIO_FORM_MAX);
	(void)snprintf(sp->path, sizeof(sp->path), "/2010-04-01/Accounts/%s/Messages.json",
	    l->account_sid);
	sp->ctype = "application/x-www-form-urlencoded";
	return 0;
}

/*
 * Twilio's price: a decimal string, negative for a charge ("-0.00750"), in
 * price_unit. Kept as positive micro-units when it has at most 6 decimals.
 */
static void
twilio_price(json_t *j, struct send_result *sr)
{
	const char *s = json_string_value(json_object_get(j, "price"));
	const char *u = json_string_value(json_object_get(j, "price_unit"));
	long long v = 0;
	int dec = -1;

	if (s == NULL || u == NULL || strlen(u) != 3 || strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
		return;
	if (*s == '-' || *s == '+')
		s++;
	for (; *s != '\0'; s++) {
		if (*s == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || dec >= 6 || v > 1000000000000LL)
			return;
		v = v * 10 + (*s - '0');
		if (dec >= 0)
			dec++;
	}
	for (dec = dec < 0 ? 0 : dec; dec < 6; dec++)
		v *= 10;
	sr->has_price = 1;
	sr->price_micros = v;
	memcpy(sr->currency, u, 4);
}

static void
twilio_send(struct provider *p, const struct connector *c, const struct broker_lease *l,
    const struct send_prep *sp, struct send_result *sr)
{
	struct provider_auth a = { PROVIDER_AUTH_BASIC, l->account_sid, l->secret, NULL };
	struct provider_req q = { sp->path, sp->ctype, (const char *)sp->body.data, sp->body.len,
	    NULL, NULL, 0, NULL };
	struct provider_reply rep;
	const char *sid;
	json_t *j = NULL;

	memset(sr, 0, sizeof(*sr));
	memset(&rep, 0, sizeof(rep));
	rep.want_body = 1;
	buf_init_grow(&rep.body, PROVIDER_RESPONSE_MAX);
	provider_call(p, c, &q, &a, &sr->r, &rep);
	if (sr->r.outcome == VERIFY_OK && rep.body.len > 0)
		j = json_loadb((const char *)rep.body.data, rep.body.len, 0, NULL);
	sid = json_string_value(json_object_get(j, "sid"));
	/* The message's sid: SM or MM and 32 hex digits; anything else is not kept. */
	if (sid != NULL && strlen(sid) == TWILIO_SID_LEN && (sid[0] == 'S' || sid[0] == 'M') &&
	    sid[1] == 'M' && strspn(sid + 2, "0123456789abcdefABCDEF") == TWILIO_SID_LEN - 2)
		(void)snprintf(sr->provider_id, sizeof(sr->provider_id), "%s", sid);
	if (j != NULL)
		twilio_price(j, sr);
	json_decref(j);
	buf_free(&rep.body);
}

const struct connector conn_twilio = {
	.name = "twilio",
	.base = "https://api.twilio.com",
	.hosts = twilio_hosts,
	.verify = twilio_verify,
	.channel = "sms",
	.prepare = twilio_prepare,
	.send = twilio_send,
};
