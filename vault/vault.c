/* The running vault's shared state; see vault.h. */
#include "vault.h"

#include <stdlib.h>
#include "log.h"

int
vault_db_lock_init(struct vault *v)
{
	pthread_mutexattr_t a;
	int r;

	if (pthread_mutexattr_init(&a) != 0)
		return -1;
	r = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) != 0 ||
	    pthread_mutex_init(&v->db_lock, &a) != 0 ? -1 : 0;
	pthread_mutexattr_destroy(&a);
	return r;
}

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
