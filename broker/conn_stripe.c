/* The Stripe connector: GET /v1/balance, Authorization: Bearer sk_... (CONNECTORS.md A8, F.3). */
#include "connector.h"
#include "provider.h"

static const char *const stripe_hosts[] = { "api.stripe.com", NULL };

static int
stripe_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BEARER, NULL, l->secret, NULL };

	provider_get(p, c, "/v1/balance", &a, r);
	return 0;
}

const struct connector conn_stripe = {
	.name = "stripe",
	.base = "https://api.stripe.com",
	.hosts = stripe_hosts,
	.verify = stripe_verify,
};
