/*
 * Plivo's webhooks (hooks.h; CONNECTORS.md A7): status callbacks and
 * inbound SMS, form POSTs signed with X-Plivo-Signature-V3 (base64
 * HMAC-SHA256 under the account's auth token, which only the vault holds:
 * the broker builds the signed string as plivo-node's v3Security.js does,
 * the vault checks it, docs/OUTREACH.md "verify").
 */
#include "hooks.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define HP_URL_MAX 2048
#define HP_NONCE_MAX 128
#define HP_SIGS_HDR_MAX 1024
#define HP_AUTH_ID_LEN 20        /* MA or SA + 18 of [A-Z0-9] */
#define HP_UUID_LEN 36

static int
hp_field_cmp(const void *a, const void *b)
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

/* The fields of f sorted by name then value (a new array, NULL when f is empty or no memory). */
static const struct hooks_field **
hp_sorted(const struct hooks_form *f)
{
	const struct hooks_field **s;
	size_t i;

	if (f->n == 0 || (s = calloc(f->n, sizeof(*s))) == NULL)
		return NULL;
	for (i = 0; i < f->n; i++)
		s[i] = &f->f[i];
	qsort(s, f->n, sizeof(*s), hp_field_cmp);
	return s;
}

/* Append n bytes to a growing buffer; -1 on no memory. */
static int
hp_add(char **b, size_t *len, size_t *cap, const void *p, size_t n)
{
	char *nb;

	if (*len + n + 1 > *cap) {
		size_t nc = (*len + n + 1) * 2;

		if ((nb = realloc(*b, nc)) == NULL)
			return -1;
		*b = nb;
		*cap = nc;
	}
	memcpy(*b + *len, p, n);
	*len += n;
	(*b)[*len] = '\0';
	return 0;
}

json_t *
hooks_plivo_candidates(const char *public_url, const char *uri, const struct hooks_form *form,
    const char *nonce)
{
	const struct hooks_field **qs = NULL, **fs = NULL;
	const char *q = strchr(uri, '?');
	struct hooks_form query;
	struct bos_err err;
	char *b = NULL;
	unsigned char *b64 = NULL;
	size_t len = 0, cap = 0, i;
	json_t *arr = NULL;
	int bad = 0;

	memset(&query, 0, sizeof(query));
	if (strncmp(public_url, "https://", 8) != 0 || strlen(public_url) + strlen(uri) >= HP_URL_MAX)
		return NULL;
	if (q != NULL && hooks_form_parse((const uint8_t *)q + 1, strlen(q + 1), &query, &err) !=
	    HOOKS_OK)
		return NULL;
	qs = hp_sorted(&query);
	fs = hp_sorted(form);
	bad |= (query.n > 0 && qs == NULL) || (form->n > 0 && fs == NULL);
	bad |= hp_add(&b, &len, &cap, public_url, strlen(public_url));
	bad |= hp_add(&b, &len, &cap, uri, q != NULL ? (size_t)(q - uri) : strlen(uri));
	if (!bad && (query.n > 0 || form->n > 0))
		bad |= hp_add(&b, &len, &cap, "?", 1);
	for (i = 0; !bad && i < query.n; i++) {
		bad |= i > 0 ? hp_add(&b, &len, &cap, "&", 1) : 0;
		bad |= hp_add(&b, &len, &cap, qs[i]->name, strlen(qs[i]->name));
		bad |= hp_add(&b, &len, &cap, "=", 1);
		bad |= hp_add(&b, &len, &cap, qs[i]->value, qs[i]->value_len);
	}
	if (!bad && query.n > 0 && form->n > 0)
		bad |= hp_add(&b, &len, &cap, ".", 1);
	for (i = 0; !bad && i < form->n; i++) {
		bad |= hp_add(&b, &len, &cap, fs[i]->name, strlen(fs[i]->name));
		bad |= hp_add(&b, &len, &cap, fs[i]->value, fs[i]->value_len);
	}
	bad |= hp_add(&b, &len, &cap, ".", 1);
	bad |= hp_add(&b, &len, &cap, nonce, strlen(nonce));
	if (!bad && len <= 48 * 1024 && (b64 = malloc(4 * ((len + 2) / 3) + 1)) != NULL) {
		(void)EVP_EncodeBlock(b64, (const unsigned char *)b, (int)len);
		if ((arr = json_array()) != NULL &&
		    json_array_append_new(arr, json_string((const char *)b64)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(b64);
	free(b);
	free(qs);
	free(fs);
	hooks_form_free(&query);
	return arr;
}

/* auth_id of the query: MA or SA + 18 of [A-Z0-9]. */
static const char *
hp_auth_id(const char *uri)
{
	const char *q = strchr(uri, '?');
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	const char *p;

	for (p = q; p != NULL; p = strchr(p + 1, '&')) {
		const char *v = p + 1;

		if (strncmp(v, "auth_id=", 8) != 0)
			continue;
		v += 8;
		if (strcspn(v, "&") == HP_AUTH_ID_LEN && (v[0] == 'M' || v[0] == 'S') &&
		    v[1] == 'A' && strspn(v + 2, digits) >= HP_AUTH_ID_LEN - 2)
			return v;
		return NULL;
	}
	return NULL;
}

int
hooks_plivo_verify(const char *public_url, const char *uri, const struct hooks_form *form,
    const char *signatures, const char *nonce, json_t **verify, struct bos_err *err)
{
	const char *acc = hp_auth_id(uri), *p;
	char account[HP_AUTH_ID_LEN + 1], one[HP_SIGS_HDR_MAX];
	uint8_t mac[64];
	json_t *sigs, *cands;
	size_t n, nl;

	*verify = NULL;
	if (signatures == NULL || nonce == NULL)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "no X-Plivo-Signature-V3 or "
		    "X-Plivo-Signature-V3-Nonce");
	nl = strlen(nonce);
	if (nl == 0 || nl > HP_NONCE_MAX || strlen(signatures) >= HP_SIGS_HDR_MAX)
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "X-Plivo-Signature-V3-Nonce is 1-%d "
		    "bytes, X-Plivo-Signature-V3 under %d", HP_NONCE_MAX, HP_SIGS_HDR_MAX);
	for (n = 0; n < nl; n++)
		if ((unsigned char)nonce[n] < 0x21 || (unsigned char)nonce[n] > 0x7e)
			return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "X-Plivo-Signature-V3-Nonce "
			    "is printable ASCII");
	if ((sigs = json_array()) == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	for (p = signatures; *p != '\0';) {
		p += strspn(p, " ");
		n = strcspn(p, ",");
		(void)snprintf(one, sizeof(one), "%.*s", (int)n, p);
		while (n > 0 && one[n - 1] == ' ')
			one[--n] = '\0';
		if (json_array_size(sigs) < HOOKS_PLIVO_SIGS_MAX &&
		    hooks_b64_decode(one, n, mac, sizeof(mac)) == 32)
			(void)json_array_append_new(sigs, json_string(one));
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	if (json_array_size(sigs) == 0) {
		json_decref(sigs);
		return hooks_fail(HOOKS_UNAUTH, err, BOS_E_AUTH, "X-Plivo-Signature-V3 holds no "
		    "base64 HMAC-SHA256");
	}
	if (acc == NULL) {
		json_decref(sigs);
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "the webhook URL configured at "
		    "Plivo must carry ?auth_id=AUTH_ID (MA or SA + 18 of A-Z 0-9)");
	}
	(void)snprintf(account, sizeof(account), "%.*s", HP_AUTH_ID_LEN, acc);
	if ((cands = hooks_plivo_candidates(public_url, uri, form, nonce)) == NULL) {
		json_decref(sigs);
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "cannot build the signed URL "
		    "(hooks_public_url must be https, the URL at most %d bytes, the query a form)",
		    HP_URL_MAX - 1);
	}
	*verify = json_pack("{s:s, s:s, s:o, s:o}", "scheme", "plivo-v3", "account", account,
	    "candidates", cands, "signature", sigs);
	if (*verify == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	return HOOKS_OK;
}

static const char *
hp_get(const struct hooks_form *form, const char *name)
{
	const struct hooks_field *f = hooks_form_get(form, name);

	return f != NULL ? f->value : NULL;
}

/* A UUID: 36 of hex digits and '-' at 8, 13, 18, 23. */
static int
hp_uuid_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != HP_UUID_LEN)
		return 0;
	for (i = 0; i < HP_UUID_LEN; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == 0)
			return 0;
	}
	return 1;
}

static int
hp_status(const struct hooks_form *form, const char *uuid, time_t now, json_t *events,
    struct bos_err *err)
{
	const char *st = hp_get(form, "Status"), *code = hp_get(form, "ErrorCode"),
	    *amount = hp_get(form, "TotalAmount"), *kind = NULL;
	char id[HP_UUID_LEN + 24];
	long long micros;
	json_t *ev;

	if (st == NULL || *st == '\0' || strlen(st) > 16)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "a status callback needs Status");
	if (strcmp(st, "delivered") == 0)
		kind = "delivered";
	else if (strcmp(st, "undelivered") == 0 || strcmp(st, "failed") == 0)
		kind = "failed";
	if (kind == NULL)
		return HOOKS_OK;  /* queued, sent ...: nothing to record */
	(void)snprintf(id, sizeof(id), "%s:%s", uuid, st);
	ev = json_pack("{s:s, s:s, s:I, s:s}", "id", id, "kind", kind, "at", (json_int_t)now,
	    "provider_id", uuid);
	if (ev != NULL && code != NULL && *code != '\0' && strlen(code) <= 8 &&
	    strspn(code, "0123456789") == strlen(code) && json_object_set_new(ev, "detail",
	    json_pack("{s:s, s:s}", "status", st, "error_code", code)) != 0) {
		json_decref(ev);
		ev = NULL;
	}
	if (ev == NULL || json_array_append_new(events, ev) != 0)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	/* Plivo bills in USD; the price of a message in a final state only. */
	if (amount != NULL && *amount != '\0' && *amount != '-' &&
	    hooks_price_micros(amount, &micros) == 0) {
		(void)snprintf(id, sizeof(id), "%s:price", uuid);
		ev = json_pack("{s:s, s:s, s:I, s:s, s:{s:I, s:s}}", "id", id, "kind", "price", "at",
		    (json_int_t)now, "provider_id", uuid, "price", "micros", (json_int_t)micros,
		    "currency", "USD");
		if (ev == NULL || json_array_append_new(events, ev) != 0)
			return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	}
	return HOOKS_OK;
}

static int
hp_inbound(const struct hooks_form *form, const char *uuid, time_t now, json_t *events,
    struct bos_err *err)
{
	const char *from = hp_get(form, "From"), *text = hp_get(form, "Text"), *kind;
	char id[HP_UUID_LEN + 16], phone[20];
	size_t n;
	json_t *ev;

	if (from != NULL && from[0] == '+')
		from++;
	n = from != NULL ? strlen(from) : 0;
	if (n < 7 || n > 15 || strspn(from, "0123456789") != n)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "an inbound SMS needs From: 7 to 15 "
		    "digits (E.164, '+' optional)");
	(void)snprintf(phone, sizeof(phone), "+%s", from);
	kind = text != NULL ? hooks_sms_keyword(text) : NULL;
	if (kind == NULL)
		kind = "replied";
	(void)snprintf(id, sizeof(id), "%s:%s", uuid, kind);
	ev = json_pack("{s:s, s:s, s:I, s:s}", "id", id, "kind", kind, "at", (json_int_t)now,
	    "address", phone);
	if (ev == NULL || json_array_append_new(events, ev) != 0)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	return HOOKS_OK;
}

int
hooks_plivo_events(const struct hooks_form *form, int inbound, time_t now, json_t **events,
    struct bos_err *err)
{
	const char *uuid = hp_get(form, "MessageUUID");
	int rc;

	*events = NULL;
	if (!hp_uuid_ok(uuid))
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "MessageUUID must be a UUID");
	if ((*events = json_array()) == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	rc = inbound ? hp_inbound(form, uuid, now, *events, err) :
	    hp_status(form, uuid, now, *events, err);
	if (rc != HOOKS_OK) {
		json_decref(*events);
		*events = NULL;
	}
	return rc;
}
