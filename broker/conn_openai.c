/* The OpenAI connector: GET /v1/models, Authorization: Bearer KEY (CONNECTORS.md F.3). */
#include "connector.h"
#include "provider.h"

static const char *const openai_hosts[] = { "api.openai.com", NULL };

static int
openai_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BEARER, NULL, l->secret, NULL };

	provider_get(p, c, "/v1/models", &a, r);
	return 0;
}

const struct connector conn_openai = {
	.name = "openai",
	.base = "https://api.openai.com",
	.hosts = openai_hosts,
	.verify = openai_verify,
};
