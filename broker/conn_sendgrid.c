/*
 * The SendGrid connector: GET /v3/scopes to verify (CONNECTORS.md F.3) and
 * POST /v3/mail/send to send one message (CONNECTORS.md A1), both with
 * Authorization: Bearer KEY. A send is one personalization: to, the
 * custom_args {bos_message, bos_token} that SendGrid's events carry back,
 * and the vault's List-Unsubscribe headers; Reply-To goes in reply_to
 * (SendGrid refuses it among headers). 202 + X-Message-Id: accepted.
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

#define SG_SEND_PATH "/v3/mail/send"
#define SG_BODY_MAX (1024 * 1024)

static const char *const sendgrid_hosts[] = { "api.sendgrid.com", "api.eu.sendgrid.com", NULL };

static int
sendgrid_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BEARER, NULL, l->secret, NULL };

	provider_get(p, c, "/v3/scopes", &a, r);
	return 0;
}

/* {email, name?} from "addr" or "Name <addr>". */
static json_t *
sg_address(const char *v, struct bos_err *err)
{
	char addr[MSG_MIME_ADDR_MAX], name[160];
	const char *lt = strrchr(v, '<');
	size_t n;

	if (msg_mime_addr(v, addr, sizeof(addr), err) != 0)
		return NULL;
	if (lt == NULL)
		return json_pack("{s:s}", "email", addr);
	for (n = (size_t)(lt - v); n > 0 && v[n - 1] == ' '; n--)
		;
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(name))
		return json_pack("{s:s}", "email", addr);
	memcpy(name, v, n);
	name[n] = '\0';
	return json_pack("{s:s, s:s}", "email", addr, "name", name);
}

/* The personalization's headers and, apart, reply_to. */
static int
sg_headers(const struct send_msg *m, json_t *hdrs, json_t *body, struct bos_err *err)
{
	size_t i;

	for (i = 0; i < m->nheaders; i++) {
		const struct msg_header *h = &m->headers[i];

		if (!msg_mime_value_ok(h->value) || strpbrk(h->name, ": \t\r\n") != NULL)
			return bos_err_set(err, BOS_E_INVALID, "header %.64s: a name or value with "
			    "CR, LF, NUL or another control (header injection refused)", h->name);
		if (strcasecmp(h->name, "Reply-To") == 0) {
			json_t *rt = sg_address(h->value, err);

			if (rt == NULL || json_object_set_new(body, "reply_to", rt) != 0)
				return bos_err_wrap(err, "header Reply-To");
		} else if (json_object_set_new(hdrs, h->name, json_string(h->value)) != 0) {
			return bos_err_set(err, BOS_E_NOMEM, "out of memory");
		}
	}
	return 0;
}

static json_t *
sg_body(const struct send_msg *m, struct bos_err *err)
{
	json_t *to = NULL, *from = NULL, *hdrs = json_object(), *content, *body;

	if (m->subject == NULL || !msg_mime_value_ok(m->subject) || m->text == NULL ||
	    m->token == NULL) {
		json_decref(hdrs);
		bos_err_set(err, BOS_E_INVALID, "the message lacks a subject without CR/LF, a text "
		    "or a token");
		return NULL;
	}
	if ((to = sg_address(m->to, err)) == NULL || (from = sg_address(m->from, err)) == NULL) {
		json_decref(to);
		json_decref(hdrs);
		return NULL;
	}
	content = json_pack("[{s:s, s:s}]", "type", "text/plain", "value", m->text);
	if (content != NULL && m->html != NULL)
		(void)json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text/html",
		    "value", m->html));
	body = json_pack("{s:[{s:[o], s:{s:s, s:s}, s:O}], s:o, s:s, s:o}", "personalizations",
	    "to", to, "custom_args", "bos_message", m->id, "bos_token", m->token, "headers", hdrs,
	    "from", from, "subject", m->subject, "content", content);
	if (body != NULL && sg_headers(m, json_object_get(json_array_get(json_object_get(body,
	    "personalizations"), 0), "headers"), body, err) != 0) {
		json_decref(body);
		body = NULL;
	} else if (body == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "cannot build the SendGrid request");
	}
	json_decref(hdrs);
	return body;
}

static int
sendgrid_prepare(const struct provider *p, const struct connector *c, const struct send_msg *m,
    const struct broker_lease *l, struct send_prep *sp, struct bos_err *err)
{
	json_t *body;
	char *s;
	int r;

	(void)p; (void)c; (void)l;
	memset(sp, 0, sizeof(*sp));
	buf_init_grow(&sp->body, SG_BODY_MAX);
	if ((body = sg_body(m, err)) == NULL)
		return -1;
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (s == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "cannot build the SendGrid request");
	r = buf_put(&sp->body, s, strlen(s));
	json_alloc_release(s);
	if (r != 0)
		return bos_err_set(err, BOS_E_INVALID, "the SendGrid request is larger than %d bytes",
		    SG_BODY_MAX);
	(void)snprintf(sp->path, sizeof(sp->path), "%s", SG_SEND_PATH);
	sp->ctype = "application/json";
	return 0;
}

static void
sendgrid_send(struct provider *p, const struct connector *c, const struct broker_lease *l,
    const struct send_prep *sp, struct send_result *sr)
{
	struct provider_auth a = { PROVIDER_AUTH_BEARER, NULL, l->secret, NULL };
	struct provider_req q = { sp->path, sp->ctype, (const char *)sp->body.data, sp->body.len,
	    NULL, NULL, 0, NULL };
	struct provider_reply rep;

	memset(sr, 0, sizeof(*sr));
	memset(&rep, 0, sizeof(rep));
	/* 202 is SendGrid's "accepted"; any 2xx is taken as sent, never as a reason to send again. */
	provider_call(p, c, &q, &a, &sr->r, &rep);
	(void)snprintf(sr->provider_id, sizeof(sr->provider_id), "%s", rep.message_id);
}

const struct connector conn_sendgrid = {
	.name = "sendgrid",
	.base = "https://api.sendgrid.com",
	.hosts = sendgrid_hosts,
	.verify = sendgrid_verify,
	.channel = "email",
	.prepare = sendgrid_prepare,
	.send = sendgrid_send,
};
