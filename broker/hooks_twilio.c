/*
 * Twilio's webhooks (hooks.h; CONNECTORS.md A6): the form body, the strings
 * Twilio may have signed (the HMAC needs the account's auth token, which
 * only the vault holds: it checks them, docs/OUTREACH.md "verify"), and
 * status callbacks and inbound SMS into events.
 */
#include "hooks.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HT_SID_LEN 34          /* SM / MM / AC + 32 hex digits */
#define HT_SIG_MAX 64
#define HT_URL_MAX 2048
#define HT_PRICE_DIGITS 12

static int
ht_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into a new string; -1 on a bad escape or a NUL. */
static int
ht_decode(const uint8_t *s, size_t n, char **out, size_t *outlen)
{
	char *d = malloc(n + 1);
	size_t i, o = 0;

	if (d == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		int c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= n || ht_hex(s[i + 1]) < 0 || ht_hex(s[i + 2]) < 0)
				goto bad;
			c = ht_hex(s[i + 1]) << 4 | ht_hex(s[i + 2]);
			i += 2;
		} else if (c <= 0x20 || c >= 0x7f) {
			goto bad;      /* raw bytes outside printable ASCII are not form encoding */
		}
		if (c == 0)
			goto bad;
		d[o++] = (char)c;
	}
	d[o] = '\0';
	*out = d;
	*outlen = o;
	return 0;
 bad:
	free(d);
	return -1;
}

/* A name: printable, no control character. */
static int
ht_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
hooks_form_parse(const uint8_t *body, size_t len, struct hooks_form *form, struct bos_err *err)
{
	size_t start = 0, end, eq, nlen;
	struct hooks_field *fd;

	memset(form, 0, sizeof(*form));
	if (len == 0)
		return HOOKS_OK;
	if ((form->f = calloc(HOOKS_FIELDS_MAX, sizeof(*form->f))) == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	while (start <= len) {
		for (end = start; end < len && body[end] != '&'; end++)
			;
		for (eq = start; eq < end && body[eq] != '='; eq++)
			;
		if (form->n == HOOKS_FIELDS_MAX || eq == end || eq == start)
			goto bad;
		fd = &form->f[form->n];
		if (ht_decode(body + start, eq - start, &fd->name, &nlen) != 0) {
			fd->name = NULL;
			goto bad;
		}
		form->n++;
		if (!ht_name_ok(fd->name) ||
		    ht_decode(body + eq + 1, end - eq - 1, &fd->value, &fd->value_len) != 0)
			goto bad;
		start = end + 1;
	}
	return HOOKS_OK;
 bad:
	hooks_form_free(form);
	return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "the form body is not strict "
	    "application/x-www-form-urlencoded (name=value pairs joined by '&', %%XX escapes, "
	    "at most %d fields)", HOOKS_FIELDS_MAX);
}

static int
ht_field_cmp(const void *a, const void *b)
{
	const struct hooks_field *x = *(const struct hooks_field *const *)a;
	const struct hooks_field *y = *(const struct hooks_field *const *)b;
	size_t n = x->value_len < y->value_len ? x->value_len : y->value_len;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	if ((c = memcmp(x->value, y->value, n)) != 0) /* not secret: sorting */
		return c;
	return x->value_len < y->value_len ? -1 : x->value_len > y->value_len;
}

/* base64 of url followed by the sorted fields, appended to arr. */
static int
ht_candidate(json_t *arr, const char *url, const struct hooks_field *const *sorted, size_t n)
{
	size_t len = strlen(url), i, o;
	unsigned char *s, *b;
	int r = -1;

	for (i = 0; i < n; i++)
		len += strlen(sorted[i]->name) + sorted[i]->value_len;
	if ((s = malloc(len + 1)) == NULL)
		return -1;
	o = strlen(url);
	memcpy(s, url, o);
	for (i = 0; i < n; i++) {
		memcpy(s + o, sorted[i]->name, strlen(sorted[i]->name));
		o += strlen(sorted[i]->name);
		memcpy(s + o, sorted[i]->value, sorted[i]->value_len);
		o += sorted[i]->value_len;
	}
	if ((b = malloc(4 * ((len + 2) / 3) + 1)) != NULL) {
		(void)EVP_EncodeBlock(b, s, (int)len);
		r = json_array_append_new(arr, json_string((const char *)b));
		free(b);
	}
	free(s);
	return r;
}

/*
 * The other spelling of url's port: "https://h/..." <-> "https://h:443/...".
 * 0 with alt filled, 1 when there is none (another port), -1 when url is
 * not https.
 */
static int
ht_alt_url(const char *url, char *alt, size_t cap)
{
	const char *host = url + 8, *slash, *colon, *bracket;
	size_t hlen;
	int k;

	if (strncmp(url, "https://", 8) != 0)
		return -1;
	slash = strchr(host, '/');
	hlen = slash != NULL ? (size_t)(slash - host) : strlen(host);
	if (hlen == 0)
		return -1;
	colon = memrchr(host, ':', hlen);
	bracket = memrchr(host, ']', hlen);
	if (colon != NULL && (bracket == NULL || colon > bracket)) {
		if (host + hlen - colon != 4 || strncmp(colon, ":443", 4) != 0)
			return 1;
		k = snprintf(alt, cap, "https://%.*s%s", (int)(colon - host), host, host + hlen);
	} else {
		k = snprintf(alt, cap, "https://%.*s:443%s", (int)hlen, host, host + hlen);
	}
	return k < 0 || (size_t)k >= cap ? -1 : 0;
}

json_t *
hooks_twilio_candidates(const char *public_url, const char *uri, const struct hooks_form *form)
{
	const struct hooks_field **sorted = NULL;
	char url[HT_URL_MAX], alt[HT_URL_MAX];
	json_t *arr = NULL;
	size_t i;
	int k, a;

	k = snprintf(url, sizeof(url), "%s%s", public_url, uri);
	if (k < 0 || (size_t)k >= sizeof(url) || (a = ht_alt_url(url, alt, sizeof(alt))) < 0)
		return NULL;
	if (form->n > 0 && (sorted = calloc(form->n, sizeof(*sorted))) == NULL)
		return NULL;
	for (i = 0; i < form->n; i++)
		sorted[i] = &form->f[i];
	if (form->n > 1)
		qsort(sorted, form->n, sizeof(*sorted), ht_field_cmp);
	if ((arr = json_array()) == NULL || ht_candidate(arr, url, sorted, form->n) != 0 ||
	    (a == 0 && ht_candidate(arr, alt, sorted, form->n) != 0)) {
		json_decref(arr);
		arr = NULL;
	}
	free(sorted);
	return arr;
}

/* "AC"/"SM"/"MM" + 32 hex digits. */
static int
ht_sid_ok(const char *s, const char *prefix)
{
	size_t i;

	if (s == NULL || strlen(s) != HT_SID_LEN || strncmp(s, prefix, 2) != 0)
		return 0;
	for (i = 2; i < HT_SID_LEN; i++)
		if (ht_hex((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

static const char *
ht_get(const struct hooks_form *form, const char *name)
{
	const struct hooks_field *f = hooks_form_get(form, name);

	return f != NULL ? f->value : NULL;
}

int
hooks_twilio_verify(const char *public_url, const char *uri, const struct hooks_form *form,
    const char *signature, int sha256, json_t **verify, struct bos_err *err)
{
	const char *account = ht_get(form, "AccountSid");
	uint8_t sig[HT_SIG_MAX];
	json_t *cands;
	long n;

	*verify = NULL;
	if (signature == NULL)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "no X-Twilio-Signature");
	n = hooks_b64_decode(signature, strlen(signature), sig, sizeof(sig));
	if (n != (sha256 ? 32 : 20))
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "X-Twilio-Signature is not the "
		    "base64 of an HMAC-%s", sha256 ? "SHA256" : "SHA1");
	if (!ht_sid_ok(account, "AC"))
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "AccountSid must be AC and 32 hex "
		    "digits");
	if ((cands = hooks_twilio_candidates(public_url, uri, form)) == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "cannot build the signed URL "
		    "(hooks_public_url must be https, the URL at most %d bytes)", HT_URL_MAX - 1);
	*verify = json_pack("{s:s, s:s, s:o, s:s}", "scheme", sha256 ? "twilio-sha256" :
	    "twilio-sha1", "account", account, "candidates", cands, "signature", signature);
	if (*verify == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	return HOOKS_OK;
}

/* "-0.00750" (Twilio's sign is the direction of money: ignored) into micro-units. */
int
hooks_price_micros(const char *s, long long *out)
{
	long long v = 0;
	int digits = 0, frac = -1;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s != '\0'; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || ++digits > HT_PRICE_DIGITS || (frac >= 0 && ++frac > 6))
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (digits == 0)
		return -1;
	for (frac = frac < 0 ? 0 : frac; frac < 6; frac++)
		v *= 10;
	*out = v;
	return 0;
}

/* Price and PriceUnit, when both are present and well formed: one `price` event. */
static int
ht_price(json_t *events, const struct hooks_form *form, const char *sid, time_t now)
{
	const char *p = ht_get(form, "Price"), *u = ht_get(form, "PriceUnit");
	char id[HT_SID_LEN + 8];
	long long micros;
	json_t *ev;

	if (p == NULL || u == NULL || *p == '\0' || strlen(u) != 3 || hooks_price_micros(p, &micros) != 0)
		return 0;
	if (!(u[0] >= 'A' && u[0] <= 'Z' && u[1] >= 'A' && u[1] <= 'Z' && u[2] >= 'A' &&
	    u[2] <= 'Z'))
		return 0;
	(void)snprintf(id, sizeof(id), "%s:price", sid);
	ev = json_pack("{s:s, s:s, s:I, s:s, s:{s:I, s:s}}", "id", id, "kind", "price", "at",
	    (json_int_t)now, "provider_id", sid, "price", "micros", (json_int_t)micros, "currency", u);
	return ev == NULL ? -1 : json_array_append_new(events, ev);
}

static int
ht_status(const struct hooks_form *form, const char *sid, time_t now, json_t *events,
    struct bos_err *err)
{
	const char *st = ht_get(form, "MessageStatus"), *code = ht_get(form, "ErrorCode");
	const char *kind = NULL;
	char id[HT_SID_LEN + 16];
	json_t *ev;

	if (st == NULL || *st == '\0' || strlen(st) > 16)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "a status callback needs "
		    "MessageStatus");
	if (strcmp(st, "delivered") == 0)
		kind = "delivered";
	else if (strcmp(st, "undelivered") == 0 || strcmp(st, "failed") == 0)
		kind = "failed";
	if (kind != NULL) {
		(void)snprintf(id, sizeof(id), "%s:%s", sid, st);
		ev = json_pack("{s:s, s:s, s:I, s:s}", "id", id, "kind", kind, "at", (json_int_t)now,
		    "provider_id", sid);
		if (ev != NULL && code != NULL && *code != '\0' && strlen(code) <= 8 &&
		    strspn(code, "0123456789") == strlen(code) &&
		    json_object_set_new(ev, "detail", json_pack("{s:s, s:s}", "status", st,
		    "error_code", code)) != 0) {
			json_decref(ev);
			ev = NULL;
		}
		if (ev == NULL || json_array_append_new(events, ev) != 0)
			return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	}
	if (ht_price(events, form, sid, now) != 0)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	return HOOKS_OK;
}

/* An SMS's keyword (the whole body, blanks around it, any case): stop, start or NULL. */
const char *
hooks_sms_keyword(const char *body)
{
	static const char *const stop[] = { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END",
	    "QUIT" };
	static const char *const start[] = { "START", "YES", "UNSTOP" };
	size_t n, i;

	while (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')
		body++;
	n = strlen(body);
	while (n > 0 && (body[n - 1] == ' ' || body[n - 1] == '\t' || body[n - 1] == '\r' ||
	    body[n - 1] == '\n'))
		n--;
	for (i = 0; i < BOS_ARRAY_LEN(stop); i++)
		if (strlen(stop[i]) == n && strncasecmp(body, stop[i], n) == 0)
			return "stop";
	for (i = 0; i < BOS_ARRAY_LEN(start); i++)
		if (strlen(start[i]) == n && strncasecmp(body, start[i], n) == 0)
			return "start";
	return NULL;
}

/* E.164: '+' and 7 to 15 digits. */
static int
ht_phone_ok(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '+')
		return 0;
	n = strlen(s + 1);
	return n >= 7 && n <= 15 && strspn(s + 1, "0123456789") == n;
}

static int
ht_inbound(const struct hooks_form *form, const char *sid, time_t now, json_t *events,
    struct bos_err *err)
{
	const char *from = ht_get(form, "From"), *body = ht_get(form, "Body");
	const char *kind = body != NULL ? hooks_sms_keyword(body) : NULL;
	char id[HT_SID_LEN + 16];
	json_t *ev;

	if (!ht_phone_ok(from))
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "an inbound SMS needs From in E.164");
	if (kind == NULL)
		kind = "replied";
	(void)snprintf(id, sizeof(id), "%s:%s", sid, kind);
	ev = json_pack("{s:s, s:s, s:I, s:s}", "id", id, "kind", kind, "at", (json_int_t)now,
	    "address", from);
	if (ev == NULL || json_array_append_new(events, ev) != 0)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	return HOOKS_OK;
}

int
hooks_twilio_events(const struct hooks_form *form, int inbound, time_t now, json_t **events,
    struct bos_err *err)
{
	const char *sid = ht_get(form, "MessageSid");
	int rc;

	*events = NULL;
	if (!ht_sid_ok(sid, "SM") && !ht_sid_ok(sid, "MM"))
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "MessageSid must be SM or MM and 32 "
		    "hex digits");
	if ((*events = json_array()) == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	rc = inbound ? ht_inbound(form, sid, now, *events, err) :
	    ht_status(form, sid, now, *events, err);
	if (rc != HOOKS_OK) {
		json_decref(*events);
		*events = NULL;
	}
	return rc;
}
