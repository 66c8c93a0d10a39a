/*
 * The Amazon SES v2 connector (CONNECTORS.md A4): POST
 * https://email.{region}.amazonaws.com/v2/email/outbound-emails, JSON,
 * signed with AWS Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4
 * "aws:amz:REGION:ses", the access key id and the secret access key as user
 * and password); nothing of SigV4 is written here.
 *
 * The credential: secret = the secret access key; metadata {access_key_id,
 * region}. The region becomes the host and the signing scope, so only its
 * documented form is accepted ([a-z]{2}-[a-z]+-[0-9]); the key id is AKIA +
 * 16 upper-case letters or digits (a temporary ASIA key needs a session
 * token, which is not supported). The allow-list is email.REGION.amazonaws.com
 * for a region of that form.
 *
 * The body: FromEmailAddress, Destination.ToAddresses [to],
 * Content.Simple {Subject, Body {Text, Html}, Headers [{Name, Value}]} with
 * the vault's headers (Reply-To goes to ReplyToAddresses, Message-ID is not
 * sent: SES sets its own), EmailTags bos_message and bos_token (SES's events
 * carry them back). 200 + {MessageId}: accepted.
 *
 * verify: GET /v2/email/account (the cheapest signed read).
 */
#include "connector.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "json_alloc.h"
#include "msg_mime.h"
#include "provider.h"
#include "send_link.h"

#define SES_SEND_PATH "/v2/email/outbound-emails"
#define SES_BODY_MAX (1000 * 1000)   /* under libcurl's 1 MiB Expect threshold (provider.c) */
#define SES_REGION_MAX 24
#define SES_KEY_ID_LEN 20
#define SES_HOST_PFX "email."
#define SES_HOST_SFX ".amazonaws.com"

static const char *const ses_hosts[] = { NULL };

/* [a-z]{2}-[a-z]+-[0-9], n bytes of s (at most SES_REGION_MAX). */
static int
ses_region_okn(const char *s, size_t n)
{
	size_t mid;

	if (n < 6 || n > SES_REGION_MAX || strspn(s, "abcdefghijklmnopqrstuvwxyz") != 2 ||
	    s[2] != '-')
		return 0;
	mid = strspn(s + 3, "abcdefghijklmnopqrstuvwxyz");
	return mid >= 1 && 3 + mid + 2 == n && s[3 + mid] == '-' && s[n - 1] >= '0' &&
	    s[n - 1] <= '9';
}

static int
ses_region_ok(const char *s)
{
	return ses_region_okn(s, strlen(s));
}

/* email.REGION.amazonaws.com with REGION of the documented form. */
static int
ses_host_ok(const char *host)
{
	size_t n = strlen(host), p = strlen(SES_HOST_PFX), s = strlen(SES_HOST_SFX);

	return n > p + s && strncmp(host, SES_HOST_PFX, p) == 0 &&
	    strcmp(host + n - s, SES_HOST_SFX) == 0 && ses_region_okn(host + p, n - p - s);
}

static int
ses_key_id_ok(const char *s)
{
	return strlen(s) == SES_KEY_ID_LEN && strncmp(s, "AKIA", 4) == 0 &&
	    strspn(s + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == SES_KEY_ID_LEN - 4;
}

/* The lease's metadata checked; 0, or -1 with why. */
static int
ses_meta(const struct broker_lease *l, char *why, size_t n)
{
	if (!ses_region_ok(l->meta_region)) {
		(void)snprintf(why, n, "ses: the credential's metadata has no region of the form "
		    "[a-z]{2}-[a-z]+-[0-9] (e.g. eu-west-1)");
		return -1;
	}
	if (!ses_key_id_ok(l->meta_key_id)) {
		(void)snprintf(why, n, "ses: the credential's metadata has no access_key_id of the "
		    "form AKIA + 16 upper-case letters or digits");
		return -1;
	}
	return 0;
}

/* The call's base URL and libcurl's SigV4 parameter, from a checked region. */
static void
ses_target(const struct broker_lease *l, char *base, size_t nb, char *sig, size_t ns)
{
	(void)snprintf(base, nb, "https://" SES_HOST_PFX "%s" SES_HOST_SFX, l->meta_region);
	(void)snprintf(sig, ns, "aws:amz:%s:ses", l->meta_region);
}

static void
ses_call(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct provider_req *q, struct verify_result *r, struct provider_reply *rep)
{
	char base[64 + SES_REGION_MAX], sig[32 + SES_REGION_MAX];
	struct provider_auth a = { PROVIDER_AUTH_SIGV4, l->meta_key_id, l->secret, sig };

	memset(r, 0, sizeof(*r));
	if (ses_meta(l, r->error, sizeof(r->error)) != 0) {
		r->outcome = VERIFY_ERROR;
		return;
	}
	ses_target(l, base, sizeof(base), sig, sizeof(sig));
	q->base = base;
	provider_call(p, c, q, &a, r, rep);
}

static int
ses_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_req q = { .path = "/v2/email/account" };
	char why[BROKER_ERROR_MAX];

	if (ses_meta(l, why, sizeof(why)) != 0) {
		memset(r, 0, sizeof(*r));
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), "%s", why);
		return -1;
	}
	ses_call(p, c, l, &q, r, NULL);
	return 0;
}

/* SES tags: ASCII letters, digits, '_' and '-', 1..256. */
static int
ses_tag_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 256 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* Headers SES builds from the request, or that only it may set. */
static int
ses_reserved(const char *name)
{
	static const char *const r[] = { "From", "To", "Cc", "Bcc", "Subject", "Date",
	    "MIME-Version", "Sender", "Return-Path", "Reply-To" };
	size_t i;

	if (strncasecmp(name, "Content-", 8) == 0)
		return 1;
	for (i = 0; i < BOS_ARRAY_LEN(r); i++)
		if (strcasecmp(name, r[i]) == 0)
			return 1;
	return 0;
}

static int
ses_headers(const struct send_msg *m, json_t *hdrs, json_t *body, struct bos_err *err)
{
	char addr[MSG_MIME_ADDR_MAX];
	size_t i;

	for (i = 0; i < m->nheaders; i++) {
		const struct msg_header *h = &m->headers[i];

		if (!msg_mime_value_ok(h->value) || strpbrk(h->name, ": \t\r\n") != NULL ||
		    !provider_token_chars_ok(h->name, 64))
			return bos_err_set(err, BOS_E_INVALID, "ses: header %.64s: a name or value "
			    "with CR, LF, NUL or another control (header injection refused)", h->name);
		if (strcasecmp(h->name, "Message-ID") == 0)
			continue;   /* SES sets its own; the EmailTags match its events */
		if (strcasecmp(h->name, "Reply-To") == 0) {
			if (msg_mime_addr(h->value, addr, sizeof(addr), err) != 0)
				return bos_err_wrap(err, "ses: header Reply-To");
			if (json_object_set_new(body, "ReplyToAddresses", json_pack("[s]", addr)) != 0)
				return bos_err_set(err, BOS_E_NOMEM, "out of memory");
			continue;
		}
		if (ses_reserved(h->name))
			return bos_err_set(err, BOS_E_INVALID, "ses: header %.64s is built by the "
			    "provider and may not be given", h->name);
		if (json_array_append_new(hdrs, json_pack("{s:s, s:s}", "Name", h->name, "Value",
		    h->value)) != 0)
			return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	}
	return 0;
}

static json_t *
ses_body(const struct send_msg *m, struct bos_err *err)
{
	char addr[MSG_MIME_ADDR_MAX];
	json_t *hdrs = json_array(), *bodyparts, *body;

	if (m->subject == NULL || !msg_mime_value_ok(m->subject) || m->text == NULL ||
	    m->text[0] == '\0' || m->token == NULL || m->id == NULL || !ses_tag_ok(m->id) ||
	    !ses_tag_ok(m->token)) {
		json_decref(hdrs);
		bos_err_set(err, BOS_E_INVALID, "ses: the message lacks a subject without CR/LF, a "
		    "text, or an id and token fit for SES tags");
		return NULL;
	}
	if (!msg_mime_value_ok(m->from) || msg_mime_addr(m->from, addr, sizeof(addr), err) != 0 ||
	    msg_mime_addr(m->to, addr, sizeof(addr), err) != 0) {
		json_decref(hdrs);
		bos_err_set(err, BOS_E_INVALID, "ses: from and to must each be one address");
		return NULL;
	}
	bodyparts = json_pack("{s:{s:s, s:s}}", "Text", "Data", m->text, "Charset", "UTF-8");
	if (bodyparts != NULL && m->html != NULL)
		(void)json_object_set_new(bodyparts, "Html", json_pack("{s:s, s:s}", "Data", m->html,
		    "Charset", "UTF-8"));
	body = json_pack("{s:s, s:{s:[s]}, s:{s:{s:{s:s, s:s}, s:o, s:O}}, s:[{s:s, s:s}, {s:s, "
	    "s:s}]}", "FromEmailAddress", m->from, "Destination", "ToAddresses", addr,
	    "Content", "Simple", "Subject", "Data", m->subject, "Charset", "UTF-8", "Body",
	    bodyparts, "Headers", hdrs, "EmailTags", "Name", "bos_message", "Value", m->id, "Name",
	    "bos_token", "Value", m->token);
	if (body == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "cannot build the SES request");
	} else if (ses_headers(m, json_object_get(json_object_get(json_object_get(body,
	    "Content"), "Simple"), "Headers"), body, err) != 0) {
		json_decref(body);
		body = NULL;
	}
	json_decref(hdrs);
	return body;
}

static int
ses_prepare(const struct provider *p, const struct connector *c, const struct send_msg *m,
    const struct broker_lease *l, struct send_prep *sp, struct bos_err *err)
{
	char why[BROKER_ERROR_MAX];
	json_t *body;
	char *s;
	int r;

	(void)p; (void)c;
	memset(sp, 0, sizeof(*sp));
	buf_init_grow(&sp->body, SES_BODY_MAX);
	if (ses_meta(l, why, sizeof(why)) != 0)
		return bos_err_set(err, BOS_E_INVALID, "%s", why);
	if ((body = ses_body(m, err)) == NULL)
		return -1;
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (s == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "cannot build the SES request");
	r = buf_put(&sp->body, s, strlen(s));
	json_alloc_release(s);
	if (r != 0)
		return bos_err_set(err, BOS_E_INVALID, "ses: the request is larger than %d bytes",
		    SES_BODY_MAX);
	(void)snprintf(sp->path, sizeof(sp->path), "%s", SES_SEND_PATH);
	sp->ctype = "application/json";
	return 0;
}

static void
ses_send(struct provider *p, const struct connector *c, const struct broker_lease *l,
    const struct send_prep *sp, struct send_result *sr)
{
	struct provider_req q = { .path = sp->path, .ctype = sp->ctype,
	    .body = (const char *)sp->body.data, .body_len = sp->body.len };
	struct provider_reply rep;
	const char *id;
	json_t *j = NULL;

	memset(sr, 0, sizeof(*sr));
	memset(&rep, 0, sizeof(rep));
	rep.want_body = 1;
	buf_init_grow(&rep.body, PROVIDER_RESPONSE_MAX);
	ses_call(p, c, l, &q, &sr->r, &rep);
	if (sr->r.outcome == VERIFY_OK && rep.body.len > 0)
		j = json_loadb((const char *)rep.body.data, rep.body.len, 0, NULL);
	id = json_string_value(json_object_get(j, "MessageId"));
	if (id != NULL && strlen(id) < SEND_ID_MAX && provider_token_chars_ok(id, SEND_ID_MAX - 1))
		(void)snprintf(sr->provider_id, sizeof(sr->provider_id), "%s", id);
	json_decref(j);
	buf_free(&rep.body);
}

const struct connector conn_ses = {
	.name = "ses",
	.base = "https://email.us-east-1.amazonaws.com",
	.hosts = ses_hosts,
	.host_ok = ses_host_ok,
	.verify = ses_verify,
	.channel = "email",
	.prepare = ses_prepare,
	.send = ses_send,
};
