/*
 * The database schema as an ordered list of migrations. Migration N takes a
 * database at version N-1 to version N; store_open() applies the missing ones,
 * each in its own transaction, and records it in schema_migrations.
 *
 * Rules (docs/STORE.md): never edit or reorder a migration that has shipped;
 * add a new one at the end. Migrations are constant SQL, never built from
 * data. No table may have a column for a CVV/CVC (PCI DSS 3.3.1.2).
 */
#ifndef BOS_SCHEMA_H
#define BOS_SCHEMA_H

#include <stddef.h>

struct schema_migration {
	int version;      /* 1, 2, 3, ... without gaps */
	const char *name; /* short description, for logs */
	const char *sql;  /* one or more statements */
};

/* The migrations this build knows, in order; *count is set to their number. */
const struct schema_migration *schema_migrations(size_t *count);

/* Version of the last migration: the schema version this build writes. */
int schema_latest(void);

#endif
