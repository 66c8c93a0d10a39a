/*
 * The Twilio connector: GET /2010-04-01/Accounts/{Sid}.json with Basic
 * Sid:AuthToken (CONNECTORS.md A6, F.3). The Sid is the lease's credential
 * metadata account_sid, not a secret; it becomes a path segment and the
 * Basic user, so only its documented form is accepted: "AC" and 32 hex
 * digits. Anything else could reshape the URL ("../", "@host") or the header.
 */
#include "connector.h"

#include <stdio.h>
#include <string.h>
#include "provider.h"

#define TWILIO_SID_LEN 34

static const char *const twilio_hosts[] = { "api.twilio.com", NULL };

static int
twilio_sid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != TWILIO_SID_LEN || s[0] != 'A' || s[1] != 'C')
		return 0;
	for (i = 2; i < TWILIO_SID_LEN; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return 0;
	return 1;
}

static int
twilio_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BASIC, l->account_sid, l->secret };
	char path[sizeof("/2010-04-01/Accounts/.json") + BROKER_META_MAX];

	if (!twilio_sid_ok(l->account_sid)) {
		memset(r, 0, sizeof(*r));
		r->outcome = VERIFY_ERROR;
		(void)snprintf(r->error, sizeof(r->error), "twilio: the credential's metadata has no "
		    "account_sid of the form AC + 32 hex digits");
		return -1;
	}
	(void)snprintf(path, sizeof(path), "/2010-04-01/Accounts/%s.json", l->account_sid);
	provider_get(p, c, path, &a, r);
	return 0;
}

const struct connector conn_twilio = {
	.name = "twilio",
	.base = "https://api.twilio.com",
	.hosts = twilio_hosts,
	.verify = twilio_verify,
};
