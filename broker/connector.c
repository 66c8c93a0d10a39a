/* The connector table; see connector.h. */
#include "connector.h"

#include <string.h>

static const struct connector *const connectors[] = {
	&conn_sendgrid, &conn_twilio, &conn_stripe, &conn_mailgun, &conn_openai,
};

const struct connector *
connector_find(const char *name)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(connectors); i++)
		if (strcmp(connectors[i]->name, name) == 0)
			return connectors[i];
	return NULL;
}

size_t
connector_count(void)
{
	return BOS_ARRAY_LEN(connectors);
}
