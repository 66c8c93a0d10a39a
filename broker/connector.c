/* The connector table; see connector.h. */
#include "connector.h"

#include <string.h>
#include "buf.h"

void
send_prep_free(struct send_prep *sp)
{
	buf_free(&sp->body);
}

static const struct connector *const connectors[] = {
	&conn_sendgrid, &conn_twilio, &conn_stripe, &conn_mailgun, &conn_openai, &conn_smtp,
	&conn_ses, &conn_plivo, &conn_meta,
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
