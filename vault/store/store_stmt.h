/*
 * The store's prepared statements, kept across calls (store_stmt.c). Used
 * through store_stmt() and store_stmt_done() (store.h); nothing else calls
 * these.
 */
#ifndef BOS_STORE_STMT_H
#define BOS_STORE_STMT_H

struct sqlite3;
struct sqlite3_stmt;
struct stmt_cache;

struct stmt_cache *stmt_cache_new(struct sqlite3 *db);
void stmt_cache_free(struct stmt_cache *c);
/* An SQLite result code; on SQLITE_OK *out is lent to the caller until put. */
int stmt_cache_get(struct stmt_cache *c, const char *sql, struct sqlite3_stmt **out);
/* Give back (reset, bindings cleared); NULL is ignored. */
void stmt_cache_put(struct stmt_cache *c, struct sqlite3_stmt *st);

#endif
