/* The running vault's shared state; see vault.h. */
#include "vault.h"

#include <stdlib.h>
#include "log.h"

void
vault_db_lock(struct vault *v)
{
	/* A failing mutex means memory corruption: stop rather than race. */
	if (pthread_mutex_lock(&v->db_lock) != 0) {
		log_err("database lock failed; aborting");
		abort();
	}
}

void
vault_db_unlock(struct vault *v)
{
	if (pthread_mutex_unlock(&v->db_lock) != 0) {
		log_err("database unlock failed; aborting");
		abort();
	}
}
