/*
 * Connectors: one file per provider (conn_*.c), found by name in one table
 * (connector.c). Each names its provider's fixed base URL and host
 * allow-list and implements the cheapest authenticated read (verify), which
 * builds a path and an Authorization form from the lease and hands both to
 * provider_get (provider.h). See docs/BROKERS.md "bos-broker".
 */
#ifndef BOS_CONNECTOR_H
#define BOS_CONNECTOR_H

#include "broker.h"
#include "buf.h"
#include "compiler.h"
#include "err.h"

struct provider;
struct send_msg;

#define SEND_ID_MAX 256       /* a provider's id for a sent message (SMTP: the Message-ID) */

/*
 * A send, prepared from the vault's message and the lease's metadata before
 * the vault is told "sending" (so a message that cannot be sent is refused
 * without an attempt), then handed to the connector's send. No secret.
 */
struct send_prep {
	char path[512];               /* HTTP: the request's path */
	const char *ctype;            /* HTTP: the body's content type */
	struct buf body;              /* the request body, or the RFC 5322 message */
	char smtp_url[512];           /* SMTP: smtp://HOST:PORT */
	int smtp_test;                /* SMTP: base_url.smtp */
	char mail_from[330];          /* SMTP: "<addr>" */
	char rcpt[330];               /* SMTP: addr */
	char provider_id[SEND_ID_MAX]; /* known before sending (SMTP: the Message-ID) */
};

/* What a send came to: r classifies it (VERIFY_OK: accepted). */
struct send_result {
	struct verify_result r;
	char provider_id[SEND_ID_MAX]; /* empty when the provider gave none */
	int has_price;
	long long price_micros;        /* the provider's price, positive */
	char currency[4];
};

/* Wipe and release a prepared send's body. */
void send_prep_free(struct send_prep *sp);

struct connector {
	const char *name;              /* the service name jobs and credentials use */
	const char *base;              /* production base URL, https only */
	const char *const *hosts;      /* the host allow-list, NULL-terminated */
	int (*host_ok)(const char *host); /* optional: a host allowed by form (SES regions) */
	/*
	 * The credential check. Fills r in every case (the outcome says what
	 * to report); returns 0, or -1 only when the lease cannot be used at
	 * all (r->outcome VERIFY_ERROR, r->error says why).
	 */
	int (*verify)(struct provider *p, const struct connector *c, const struct broker_lease *l,
	    struct verify_result *r);
	/*
	 * Sending (outreach): NULL for connectors that do not send. prepare
	 * checks the message and the lease's metadata and builds the request,
	 * nothing sent (0, or -1 with why in err: the job fails, not retried);
	 * send makes the one provider call.
	 */
	const char *channel;           /* "email" or "sms" */
	int (*prepare)(const struct provider *p, const struct connector *c,
	    const struct send_msg *m, const struct broker_lease *l, struct send_prep *sp,
	    struct bos_err *err);
	void (*send)(struct provider *p, const struct connector *c, const struct broker_lease *l,
	    const struct send_prep *sp, struct send_result *sr);
};

/* The connector for a service name, or NULL. */
const struct connector *connector_find(const char *name);

/* How many connectors there are, for the start-up log. */
size_t connector_count(void);

/* Each provider's table entry (conn_*.c). */
extern const struct connector conn_sendgrid, conn_twilio, conn_stripe, conn_mailgun, conn_openai,
    conn_smtp, conn_ses, conn_plivo, conn_meta;

#endif
