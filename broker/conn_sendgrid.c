/* The SendGrid connector: GET /v3/scopes, Authorization: Bearer KEY (CONNECTORS.md F.3). */
#include "connector.h"
#include "provider.h"

static const char *const sendgrid_hosts[] = { "api.sendgrid.com", "api.eu.sendgrid.com", NULL };

static int
sendgrid_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BEARER, NULL, l->secret };

	provider_get(p, c, "/v3/scopes", &a, r);
	return 0;
}

const struct connector conn_sendgrid = {
	.name = "sendgrid",
	.base = "https://api.sendgrid.com",
	.hosts = sendgrid_hosts,
	.verify = sendgrid_verify,
};
