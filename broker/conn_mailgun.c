/*
 * The Mailgun connector: GET /v3/domains, Basic api:KEY (CONNECTORS.md A3,
 * F.3; the contract names /v3/domains).
 *
 * Sending (CONNECTORS.md A3): POST /v3/{domain}/messages, multipart/form-data
 * (libcurl's mime API), Basic api:KEY. The domain is the credential's
 * metadata.domain, a DNS name (it becomes a path segment, so nothing else is
 * accepted); metadata.region "eu" sends to api.eu.mailgun.net, absent or
 * "us" to api.mailgun.net. Fields: from, to, subject, text, html, the vault's
 * headers as h:NAME (Message-ID is not sent: Mailgun sets its own) and the
 * user variables v:bos_message and v:bos_token that Mailgun's webhooks carry
 * back. 200 with JSON {id}: accepted, id kept as the provider's id.
 */
#include "connector.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "msg_mime.h"
#include "provider.h"
#include "send_link.h"

#define MG_FORM_MAX (1024 * 1024)
#define MG_OPTIONS_MAX (16 * 1024)   /* o:, h:, v: together (CONNECTORS.md A3) */
#define MG_BASE_EU "https://api.eu.mailgun.net"

static const char *const mailgun_hosts[] = { "api.mailgun.net", "api.eu.mailgun.net", NULL };

static int
mailgun_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BASIC, "api", l->secret, NULL };
	struct provider_req q = { .path = "/v3/domains",
	    .base = strcmp(l->meta_region, "eu") == 0 ? MG_BASE_EU : NULL };

	/* An EU account's key is checked where it lives (metadata.region "eu"). */
	provider_call(p, c, &q, &a, r, NULL);
	return 0;
}

/* A DNS name: 2..127 labels of [A-Za-z0-9-], 1..63 bytes, no hyphen at either end, <= 253. */
static int
mg_domain_ok(const char *d)
{
	size_t n = strlen(d), label = 0, labels = 1, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = d[i];

		if (ch == '.') {
			if (label == 0 || d[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-') || (ch == '-' && label == 0) || ++label > 63)
			return 0;
	}
	return label > 0 && d[n - 1] != '-' && labels >= 2;
}

/* One field into the prepared body: "name\0value\0". */
static int
mg_field(struct buf *b, const char *name, const char *value)
{
	return buf_put(b, name, strlen(name) + 1) != 0 || buf_put(b, value, strlen(value) + 1) != 0 ?
	    -1 : 0;
}

/* Headers Mailgun builds itself from the fields, or that only it may set. */
static int
mg_reserved(const char *name)
{
	static const char *const r[] = { "From", "To", "Cc", "Bcc", "Subject", "Date",
	    "MIME-Version", "Sender", "Return-Path" };
	size_t i;

	if (strncasecmp(name, "Content-", 8) == 0)
		return 1;
	for (i = 0; i < BOS_ARRAY_LEN(r); i++)
		if (strcasecmp(name, r[i]) == 0)
			return 1;
	return 0;
}

static int
mg_headers(const struct send_msg *m, struct buf *b, size_t *opts, struct bos_err *err)
{
	char name[80];
	size_t i;

	for (i = 0; i < m->nheaders; i++) {
		const struct msg_header *h = &m->headers[i];

		if (!msg_mime_value_ok(h->value) || !provider_token_chars_ok(h->name, 64) ||
		    strchr(h->name, '/') != NULL || strchr(h->name, '=') != NULL)
			return bos_err_set(err, BOS_E_INVALID, "mailgun: header %.64s: a name or value "
			    "with CR, LF, NUL or another control (header injection refused)", h->name);
		if (strcasecmp(h->name, "Message-ID") == 0)
			continue;   /* Mailgun sets its own; v:bos_message matches its events */
		if (mg_reserved(h->name))
			return bos_err_set(err, BOS_E_INVALID, "mailgun: header %.64s is built by the "
			    "provider and may not be given", h->name);
		(void)snprintf(name, sizeof(name), "h:%s", h->name);
		*opts += strlen(name) + strlen(h->value);
		if (mg_field(b, name, h->value) != 0)
			return bos_err_set(err, BOS_E_INVALID, "mailgun: the request is larger than %d "
			    "bytes", MG_FORM_MAX);
	}
	return 0;
}

static int
mailgun_prepare(const struct provider *p, const struct connector *c, const struct send_msg *m,
    const struct broker_lease *l, struct send_prep *sp, struct bos_err *err)
{
	char addr[MSG_MIME_ADDR_MAX];
	size_t opts = 0;
	int bad = 0;

	(void)p; (void)c;
	memset(sp, 0, sizeof(*sp));
	buf_init_grow(&sp->body, MG_FORM_MAX);
	if (!mg_domain_ok(l->meta_domain))
		return bos_err_set(err, BOS_E_INVALID, "mailgun: the credential's metadata has no "
		    "domain that is a DNS name (letters, digits, '-', dots)");
	if (l->meta_region[0] != '\0' && strcmp(l->meta_region, "eu") != 0 &&
	    strcmp(l->meta_region, "us") != 0)
		return bos_err_set(err, BOS_E_INVALID, "mailgun: the credential's metadata.region "
		    "must be \"us\" or \"eu\"");
	if (m->subject == NULL || !msg_mime_value_ok(m->subject) || m->text == NULL ||
	    m->text[0] == '\0' || m->token == NULL || m->id == NULL)
		return bos_err_set(err, BOS_E_INVALID, "mailgun: the message lacks a subject without "
		    "CR/LF, a text or a token");
	if (!msg_mime_value_ok(m->from) || !msg_mime_value_ok(m->to) ||
	    msg_mime_addr(m->from, addr, sizeof(addr), err) != 0 ||
	    msg_mime_addr(m->to, addr, sizeof(addr), err) != 0)
		return bos_err_set(err, BOS_E_INVALID, "mailgun: from and to must each be one address");
	bad |= mg_field(&sp->body, "from", m->from) != 0;
	bad |= mg_field(&sp->body, "to", m->to) != 0;
	bad |= mg_field(&sp->body, "subject", m->subject) != 0;
	bad |= mg_field(&sp->body, "text", m->text) != 0;
	if (m->html != NULL)
		bad |= mg_field(&sp->body, "html", m->html) != 0;
	if (bad)
		return bos_err_set(err, BOS_E_INVALID, "mailgun: the request is larger than %d bytes",
		    MG_FORM_MAX);
	if (mg_headers(m, &sp->body, &opts, err) != 0)
		return -1;
	opts += strlen(m->id) + strlen(m->token) + 26;
	if (mg_field(&sp->body, "v:bos_message", m->id) != 0 ||
	    mg_field(&sp->body, "v:bos_token", m->token) != 0 || opts > MG_OPTIONS_MAX)
		return bos_err_set(err, BOS_E_INVALID, "mailgun: the headers and variables pass "
		    "Mailgun's %d-byte limit", MG_OPTIONS_MAX);
	(void)snprintf(sp->path, sizeof(sp->path), "/v3/%s/messages", l->meta_domain);
	sp->ctype = "multipart/form-data";
	return 0;
}

/* Mailgun's id: "<...@domain>", printable, no space, quote or backslash. */
static int
mg_id_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 3 || n >= SEND_ID_MAX || s[0] != '<' || s[n - 1] != '>' || strchr(s, '@') == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '"' ||
		    s[i] == '\\')
			return 0;
	return 1;
}

static void
mailgun_send(struct provider *p, const struct connector *c, const struct broker_lease *l,
    const struct send_prep *sp, struct send_result *sr)
{
	struct provider_auth a = { PROVIDER_AUTH_BASIC, "api", l->secret, NULL };
	struct provider_field f[PROVIDER_FORM_MAX];
	struct provider_req q = { sp->path, NULL, NULL, 0, NULL, f, 0,
	    strcmp(l->meta_region, "eu") == 0 ? MG_BASE_EU : NULL };
	struct provider_reply rep;
	const char *s = (const char *)sp->body.data, *end = s + sp->body.len, *id;
	json_t *j = NULL;

	memset(sr, 0, sizeof(*sr));
	memset(&rep, 0, sizeof(rep));
	while (s < end && q.nform < PROVIDER_FORM_MAX) {
		f[q.nform].name = s;
		s += strlen(s) + 1;
		if (s >= end)
			break;
		f[q.nform++].value = s;
		s += strlen(s) + 1;
	}
	if (s < end || q.nform == 0) {
		sr->r.outcome = VERIFY_ERROR;
		(void)snprintf(sr->r.error, sizeof(sr->r.error), "mailgun: more than %d fields",
		    PROVIDER_FORM_MAX);
		return;
	}
	rep.want_body = 1;
	buf_init_grow(&rep.body, PROVIDER_RESPONSE_MAX);
	provider_call(p, c, &q, &a, &sr->r, &rep);
	if (sr->r.outcome == VERIFY_OK && rep.body.len > 0)
		j = json_loadb((const char *)rep.body.data, rep.body.len, 0, NULL);
	id = json_string_value(json_object_get(j, "id"));
	if (id != NULL && mg_id_ok(id))
		(void)snprintf(sr->provider_id, sizeof(sr->provider_id), "%s", id);
	json_decref(j);
	buf_free(&rep.body);
}

const struct connector conn_mailgun = {
	.name = "mailgun",
	.base = "https://api.mailgun.net",
	.hosts = mailgun_hosts,
	.verify = mailgun_verify,
	.channel = "email",
	.prepare = mailgun_prepare,
	.send = mailgun_send,
};
