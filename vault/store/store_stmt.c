/*
 * Prepared statements, kept: the vault runs the same few dozen statements
 * for every request, and preparing one (parsing, schema lookup) cost more
 * than running it (issue #7: a third of a credential read). A statement is
 * lent to one caller at a time and given back reset, its bindings cleared;
 * statements are found by their SQL text, so SQL built at run time (the
 * audit query's filters) is kept too and simply evicted when the table is
 * full. Its own mutex: lending is safe whoever holds the database lock.
 */
#include "store/store_stmt.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STMT_SLOTS 96

struct stmt_slot {
	sqlite3_stmt *st;
	uint32_t hash;
	int lent;
};

struct stmt_cache {
	pthread_mutex_t mu;
	sqlite3 *db;
	unsigned next;          /* round-robin eviction */
	struct stmt_slot slot[STMT_SLOTS];
};

/* FNV-1a: a quick filter before the string comparison. */
static uint32_t
stmt_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct stmt_cache *
stmt_cache_new(sqlite3 *db)
{
	struct stmt_cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->db = db;
	return c;
}

void
stmt_cache_free(struct stmt_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < STMT_SLOTS; i++)
		sqlite3_finalize(c->slot[i].st);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* A free slot for a new statement: an empty one, else one not lent (finalized). */
static struct stmt_slot *
stmt_victim(struct stmt_cache *c)
{
	unsigned i, k;

	for (i = 0; i < STMT_SLOTS; i++)
		if (c->slot[i].st == NULL)
			return &c->slot[i];
	for (i = 0; i < STMT_SLOTS; i++) {
		k = (c->next + i) % STMT_SLOTS;
		if (!c->slot[k].lent) {
			c->next = (k + 1) % STMT_SLOTS;
			sqlite3_finalize(c->slot[k].st);
			c->slot[k].st = NULL;
			return &c->slot[k];
		}
	}
	return NULL;
}

int
stmt_cache_get(struct stmt_cache *c, const char *sql, sqlite3_stmt **out)
{
	uint32_t h = stmt_hash(sql);
	struct stmt_slot *sl;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < STMT_SLOTS; i++) {
		sl = &c->slot[i];
		if (sl->st != NULL && !sl->lent && sl->hash == h &&
		    strcmp(sqlite3_sql(sl->st), sql) == 0) {
			sl->lent = 1;
			*out = sl->st;
			pthread_mutex_unlock(&c->mu);
			return SQLITE_OK;
		}
	}
	pthread_mutex_unlock(&c->mu);
	/* Prepared outside the mutex: SQLite has its own, and this may take a while. */
	rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	pthread_mutex_lock(&c->mu);
	if ((sl = stmt_victim(c)) != NULL)
		*sl = (struct stmt_slot){ st, h, 1 };
	pthread_mutex_unlock(&c->mu);
	/* Every slot lent (statements nested 96 deep): this one is finalized when given back. */
	*out = st;
	return SQLITE_OK;
}

void
stmt_cache_put(struct stmt_cache *c, sqlite3_stmt *st)
{
	size_t i;

	if (st == NULL)
		return;
	/* Reset first: a SELECT left half-read would keep its read transaction open. */
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < STMT_SLOTS; i++)
		if (c->slot[i].st == st) {
			c->slot[i].lent = 0;
			pthread_mutex_unlock(&c->mu);
			return;
		}
	pthread_mutex_unlock(&c->mu);
	sqlite3_finalize(st);
}
