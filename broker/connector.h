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
#include "compiler.h"

struct provider;

struct connector {
	const char *name;              /* the service name jobs and credentials use */
	const char *base;              /* production base URL, https only */
	const char *const *hosts;      /* the host allow-list, NULL-terminated */
	/*
	 * The credential check. Fills r in every case (the outcome says what
	 * to report); returns 0, or -1 only when the lease cannot be used at
	 * all (r->outcome VERIFY_ERROR, r->error says why).
	 */
	int (*verify)(struct provider *p, const struct connector *c, const struct broker_lease *l,
	    struct verify_result *r);
};

/* The connector for a service name, or NULL. */
const struct connector *connector_find(const char *name);

/* How many connectors there are, for the start-up log. */
size_t connector_count(void);

/* Each provider's table entry (conn_*.c). */
extern const struct connector conn_sendgrid, conn_twilio, conn_stripe, conn_mailgun, conn_openai;

#endif
