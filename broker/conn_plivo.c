/*
 * The Plivo connector (CONNECTORS.md A7): Basic auth_id:auth_token.
 *
 * The auth id is the credential's metadata auth_id, not a secret; it becomes
 * a path segment and the Basic user, so only its documented form is
 * accepted: "MA" (an account) or "SA" (a subaccount) and 18 upper-case
 * letters or digits. The auth token is the leased secret.
 *
 * verify: GET /v1/Account/{auth_id}/.
 * Sending: POST /v1/Account/{auth_id}/Message/ JSON {src, dst, text, url?,
 * method?} (url: the vault's status callback, https, POSTed to); 202 with
 * {api_id, message, message_uuid: [...]}: accepted, message_uuid[0] (a UUID)
 * kept as the provider's id.
 */
#include "connector.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "json_alloc.h"
#include "provider.h"
#include "send_link.h"

#define PLIVO_ID_LEN 20
#define PLIVO_BODY_MAX (16 * 1024)
#define PLIVO_TEXT_MAX 1600
#define PLIVO_UUID_LEN 36

static const char *const plivo_hosts[] = { "api.plivo.com", NULL };

static int
plivo_auth_id_ok(const char *s)
{
	return strlen(s) == PLIVO_ID_LEN && (s[0] == 'M' || s[0] == 'S') && s[1] == 'A' &&
	    strspn(s + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == PLIVO_ID_LEN - 2;
}

#define PLIVO_BAD_ID "plivo: the credential's metadata has no auth_id of the form MA or SA + " \
	"18 upper-case letters or digits"

static int
plivo_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BASIC, l->meta_auth_id, l->secret, NULL };
	char path[sizeof("/v1/Account//") + BROKER_META_MAX];

	if (!plivo_auth_id_ok(l->meta_auth_id)) {
		memset(r, 0, sizeof(*r));
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), PLIVO_BAD_ID);
		return -1;
	}
	(void)snprintf(path, sizeof(path), "/v1/Account/%s/", l->meta_auth_id);
	provider_get(p, c, path, &a, r);
	return 0;
}

/* E.164 (+ and 7-15 digits), or for the sender an alphanumeric sender id (1-11). */
static int
plivo_number_ok(const char *s, int sender)
{
	size_t n = strlen(s);

	if (s[0] == '+')
		return n >= 8 && n <= 16 && s[1] != '0' && strspn(s + 1, "0123456789") == n - 1;
	return sender && n >= 1 && n <= 11 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

static int
plivo_prepare(const struct provider *p, const struct connector *c, const struct send_msg *m,
    const struct broker_lease *l, struct send_prep *sp, struct bos_err *err)
{
	json_t *body;
	char *s;
	int r;

	(void)p; (void)c;
	memset(sp, 0, sizeof(*sp));
	buf_init_grow(&sp->body, PLIVO_BODY_MAX);
	if (!plivo_auth_id_ok(l->meta_auth_id))
		return bos_err_set(err, BOS_E_INVALID, PLIVO_BAD_ID);
	if (m->to == NULL || m->from == NULL || !plivo_number_ok(m->to, 0) ||
	    !plivo_number_ok(m->from, 1))
		return bos_err_set(err, BOS_E_INVALID, "plivo: dst must be E.164 and src E.164 or a "
		    "sender id of 1 to 11 letters and digits");
	if (m->body == NULL || m->body[0] == '\0' || strlen(m->body) > PLIVO_TEXT_MAX * 4)
		return bos_err_set(err, BOS_E_INVALID, "plivo: the message has no body or a body "
		    "longer than Plivo takes");
	if (m->status_callback != NULL && strncmp(m->status_callback, "https://", 8) != 0)
		return bos_err_set(err, BOS_E_INVALID, "plivo: the status callback is not https");
	body = json_pack("{s:s, s:s, s:s}", "src", m->from, "dst", m->to, "text", m->body);
	if (body != NULL && m->status_callback != NULL &&
	    (json_object_set_new(body, "url", json_string(m->status_callback)) != 0 ||
	    json_object_set_new(body, "method", json_string("POST")) != 0)) {
		json_decref(body);
		body = NULL;
	}
	if (body == NULL)
		return bos_err_set(err, BOS_E_INVALID, "plivo: cannot build the request (a text "
		    "that is not UTF-8?)");
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (s == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "cannot build the Plivo request");
	r = buf_put(&sp->body, s, strlen(s));
	json_alloc_release(s);
	if (r != 0)
		return bos_err_set(err, BOS_E_INVALID, "plivo: the request is larger than %d bytes",
		    PLIVO_BODY_MAX);
	(void)snprintf(sp->path, sizeof(sp->path), "/v1/Account/%s/Message/", l->meta_auth_id);
	sp->ctype = "application/json";
	return 0;
}

/* 8-4-4-4-12 hex digits. */
static int
plivo_uuid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != PLIVO_UUID_LEN)
		return 0;
	for (i = 0; i < PLIVO_UUID_LEN; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
		    strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0')
			return 0;
	return 1;
}

static void
plivo_send(struct provider *p, const struct connector *c, const struct broker_lease *l,
    const struct send_prep *sp, struct send_result *sr)
{
	struct provider_auth a = { PROVIDER_AUTH_BASIC, l->meta_auth_id, l->secret, NULL };
	struct provider_req q = { .path = sp->path, .ctype = sp->ctype,
	    .body = (const char *)sp->body.data, .body_len = sp->body.len };
	struct provider_reply rep;
	const char *id;
	json_t *j = NULL;

	memset(sr, 0, sizeof(*sr));
	memset(&rep, 0, sizeof(rep));
	rep.want_body = 1;
	buf_init_grow(&rep.body, PROVIDER_RESPONSE_MAX);
	provider_call(p, c, &q, &a, &sr->r, &rep);
	if (sr->r.outcome == VERIFY_OK && rep.body.len > 0)
		j = json_loadb((const char *)rep.body.data, rep.body.len, 0, NULL);
	id = json_string_value(json_array_get(json_object_get(j, "message_uuid"), 0));
	if (id != NULL && plivo_uuid_ok(id))
		(void)snprintf(sr->provider_id, sizeof(sr->provider_id), "%s", id);
	json_decref(j);
	buf_free(&rep.body);
}

const struct connector conn_plivo = {
	.name = "plivo",
	.base = "https://api.plivo.com",
	.hosts = plivo_hosts,
	.verify = plivo_verify,
	.channel = "sms",
	.prepare = plivo_prepare,
	.send = plivo_send,
};
