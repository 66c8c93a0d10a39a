/*
 * The SMTP connector (docs/OUTREACH.md "The outreach broker", CONNECTORS.md
 * A5): libcurl smtp:// to the credential's metadata.host:port with STARTTLS
 * required (CURLUSESSL_ALL), AUTH PLAIN or LOGIN with metadata.username and
 * the leased password, the RFC 5322 message of msg_mime.c. The host must be
 * one the broker's setting smtp_hosts names (none: SMTP refused), so a
 * credential cannot point the broker at any host it likes; the connected
 * address is checked as for every provider (provider.c). The provider's id
 * of a message is its Message-ID, fixed by the vault: a retry reuses it.
 *
 * A verify job logs in and stops (connect, STARTTLS, EHLO, AUTH; nothing
 * sent): 235 is ok, a refused login is rejected.
 */
#include "connector.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "broker_config.h"
#include "msg_mime.h"
#include "provider.h"
#include "send_link.h"

#define SMTP_DEFAULT_PORT 587
#define SMTP_SECRET_MAX 1024

static const char *const smtp_hosts_none[] = { NULL };

/* A user name or password for AUTH: 1..max bytes, no control character. */
static int
smtp_login_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * The EHLO domain, as the URL's path: the sender's domain when it is a plain
 * host name, else "localhost". Without a path libcurl would ask the kernel
 * for this machine's name (uname, which the sandbox refuses) and tell it to
 * every server.
 */
static const char *
smtp_ehlo(const char *from_addr)
{
	const char *at = from_addr != NULL ? strrchr(from_addr, '@') : NULL;
	size_t n;

	if (at == NULL || (n = strlen(at + 1)) == 0 || n > 253 ||
	    strspn(at + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != n)
		return "localhost";
	return at + 1;
}

/* Where to connect: base_url.smtp (test), else the credential's host, allowed by smtp_hosts. */
static int
smtp_target(const struct provider *p, const struct broker_lease *l, const char *from_addr,
    struct send_prep *sp, struct bos_err *err)
{
	const char *test = broker_config_base_url(p->conf, "smtp");
	long port = l->meta_port != 0 ? l->meta_port : SMTP_DEFAULT_PORT;
	int n;

	if (l->meta_host[0] == '\0')
		return bos_err_set(err, BOS_E_INVALID, "smtp: the credential's metadata has no host");
	if (!broker_config_smtp_host_ok(p->conf, l->meta_host))
		return bos_err_set(err, BOS_E_INVALID, "smtp: host '%.200s' is not in the broker's "
		    "smtp_hosts setting: refused", l->meta_host);
	if (port < 1 || port > 65535)
		return bos_err_set(err, BOS_E_INVALID, "smtp: the credential's port is not 1 to 65535");
	sp->smtp_test = test != NULL;
	n = test != NULL ? snprintf(sp->smtp_url, sizeof(sp->smtp_url), "%s/%s", test,
	    smtp_ehlo(from_addr)) : snprintf(sp->smtp_url, sizeof(sp->smtp_url), "smtp://%s:%ld/%s",
	    l->meta_host, port, smtp_ehlo(from_addr));
	if (n < 0 || (size_t)n >= sizeof(sp->smtp_url))
		return bos_err_set(err, BOS_E_INVALID, "smtp: the server's URL is too long");
	return 0;
}

static int
smtp_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_smtp s = { NULL, 0, l->meta_username, l->secret, NULL, NULL, NULL, 0 };
	struct send_prep sp;
	struct bos_err err;

	(void)c;
	memset(r, 0, sizeof(*r));
	memset(&sp, 0, sizeof(sp));
	r->outcome = VERIFY_ERROR;
	if (!smtp_login_ok(l->meta_username, sizeof(l->meta_username) - 1) ||
	    !smtp_login_ok(l->secret, SMTP_SECRET_MAX)) {
		(void)snprintf(r->error, sizeof(r->error), "smtp: the credential has no username, or "
		    "a password that is empty, too long or holds a control character");
		return -1;
	}
	if (smtp_target(p, l, NULL, &sp, &err) != 0) {
		(void)snprintf(r->error, sizeof(r->error), "%.*s", (int)sizeof(r->error) - 1, err.msg);
		return -1;
	}
	s.url = sp.smtp_url;
	s.test = sp.smtp_test;
	provider_smtp_send(p, &s, r);
	return 0;
}

static int
smtp_prepare(const struct provider *p, const struct connector *c, const struct send_msg *m,
    const struct broker_lease *l, struct send_prep *sp, struct bos_err *err)
{
	struct msg_mime mm = { m->from, m->to, m->subject, m->message_id, m->text, m->html,
	    m->headers, m->nheaders, time(NULL) };
	char from[MSG_MIME_ADDR_MAX];

	(void)c;
	memset(sp, 0, sizeof(*sp));
	buf_init_grow(&sp->body, MSG_MIME_MAX);
	if (!smtp_login_ok(l->meta_username, sizeof(l->meta_username) - 1))
		return bos_err_set(err, BOS_E_INVALID, "smtp: the credential's metadata has no "
		    "username without control characters");
	if (msg_mime_addr(m->from, from, sizeof(from), err) != 0 ||
	    msg_mime_addr(m->to, sp->rcpt, sizeof(sp->rcpt), err) != 0)
		return bos_err_wrap(err, "smtp: the envelope");
	if (smtp_target(p, l, from, sp, err) != 0)
		return -1;
	(void)snprintf(sp->mail_from, sizeof(sp->mail_from), "<%s>", from);
	buf_free(&sp->body);
	if (msg_mime_build(&mm, &sp->body, err) != 0)
		return bos_err_wrap(err, "smtp");
	(void)snprintf(sp->provider_id, sizeof(sp->provider_id), "%s", m->message_id);
	return 0;
}

static void
smtp_send(struct provider *p, const struct connector *c, const struct broker_lease *l,
    const struct send_prep *sp, struct send_result *sr)
{
	struct provider_smtp s = { sp->smtp_url, sp->smtp_test, l->meta_username, l->secret,
	    sp->mail_from, sp->rcpt, (const char *)sp->body.data, sp->body.len };

	(void)c;
	memset(sr, 0, sizeof(*sr));
	if (!smtp_login_ok(l->secret, SMTP_SECRET_MAX)) {
		sr->r.outcome = VERIFY_ERROR;
		(void)snprintf(sr->r.error, sizeof(sr->r.error), "smtp: the password is empty, longer "
		    "than %d bytes or holds a control character", SMTP_SECRET_MAX);
		return;
	}
	provider_smtp_send(p, &s, &sr->r);
	if (sr->r.outcome == VERIFY_OK)
		(void)snprintf(sr->provider_id, sizeof(sr->provider_id), "%s", sp->provider_id);
}

const struct connector conn_smtp = {
	.name = "smtp",
	.base = "smtp://",
	.hosts = smtp_hosts_none,
	.verify = smtp_verify,
	.channel = "email",
	.prepare = smtp_prepare,
	.send = smtp_send,
};
