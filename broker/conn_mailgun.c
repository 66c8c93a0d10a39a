/* The Mailgun connector: GET /v3/domains, Basic api:KEY (CONNECTORS.md A3, F.3; the contract names /v3/domains). */
#include "connector.h"
#include "provider.h"

static const char *const mailgun_hosts[] = { "api.mailgun.net", "api.eu.mailgun.net", NULL };

static int
mailgun_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BASIC, "api", l->secret };

	provider_get(p, c, "/v3/domains", &a, r);
	return 0;
}

const struct connector conn_mailgun = {
	.name = "mailgun",
	.base = "https://api.mailgun.net",
	.hosts = mailgun_hosts,
	.verify = mailgun_verify,
};
