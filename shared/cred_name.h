/*
 * What a credential is called, shared by the vault and its clients: the
 * form of an id and the names of the types. No storage, no keys: bosctl
 * checks its arguments with these before it sends anything (issue #13).
 */
#ifndef BOS_CRED_NAME_H
#define BOS_CRED_NAME_H

#include "compiler.h"

/* Ids: "cr_" + 26 lowercase base32 characters encoding 128 random bits. */
#define CRED_ID_PREFIX "cr_"
#define CRED_ID_LEN 29

enum cred_type { CRED_API_KEY, CRED_PASSWORD, CRED_CARD, CRED_BANK_ACCOUNT, CRED_SECRET };

/* "api_key", "password", "card", "bank_account", "secret". Returns 0 or -1. */
int credname_type_parse(const char *s, enum cred_type *t) BOS_WUR;
/* The name of t, or "unknown". */
const char *credname_type(enum cred_type t);

/* 1 when s has the form of a credential id, else 0. */
int credname_id_valid(const char *s);

#endif
