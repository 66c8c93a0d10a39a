/* Credential ids and type names (cred_name.h). */
#include "cred_name.h"

#include <string.h>
#include "randid.h"

/* Random characters behind an id: 26 base32 characters. */
#define CRED_ID_CHARS (CRED_ID_LEN - (sizeof(CRED_ID_PREFIX) - 1))

static const char *const credname_types[] = {
	[CRED_API_KEY] = "api_key", [CRED_PASSWORD] = "password", [CRED_CARD] = "card",
	[CRED_BANK_ACCOUNT] = "bank_account", [CRED_SECRET] = "secret",
};

int
credname_type_parse(const char *s, enum cred_type *t)
{
	size_t i;

	for (i = 0; s != NULL && i < BOS_ARRAY_LEN(credname_types); i++) {
		if (strcmp(s, credname_types[i]) == 0) {
			*t = (enum cred_type)i;
			return 0;
		}
	}
	return -1;
}

const char *
credname_type(enum cred_type t)
{
	if ((unsigned)t >= BOS_ARRAY_LEN(credname_types))
		return "unknown";
	return credname_types[t];
}

int
credname_id_valid(const char *s)
{
	return randid_valid(s, CRED_ID_PREFIX, CRED_ID_CHARS);
}
