/* In-flight request slots, shared fairly between client addresses; see http_slots.h. */
#include "http/http_slots.h"

#include <stdlib.h>
#include <string.h>

int
http_slots_init(struct http_slots *s, unsigned max, int per_address)
{
	memset(s, 0, sizeof(*s));
	if (max == 0)
		return -1;
	s->max = max;
	/*
	 * A quarter of the pool is kept for addresses that hold less than a
	 * quarter of it. With the default 64: one address fills at most 48, and
	 * every other address finds a slot while it holds fewer than 16. Pools
	 * under 4 slots (tests) have no reserve.
	 */
	s->reserve = per_address ? max / 4 : 0;
	s->share = max / 4 > 0 ? max / 4 : 1;
	if (per_address && (s->addrs = calloc(max, sizeof(*s->addrs))) == NULL)
		return -1;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s->addrs);
		s->addrs = NULL;
		return -1;
	}
	return 0;
}

void
http_slots_destroy(struct http_slots *s)
{
	if (s->max == 0)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s->addrs);
	memset(s, 0, sizeof(*s));
}

/* The entry of key, or a free one to hold it, or NULL. The pool's lock is held. */
static struct http_slot_addr *
http_slots_find(struct http_slots *s, const uint8_t *key, int make)
{
	struct http_slot_addr *spare = NULL;
	unsigned i;

	for (i = 0; i < s->max; i++) {
		struct http_slot_addr *a = &s->addrs[i];

		if (a->n == 0) {
			if (spare == NULL)
				spare = a;
		} else if (memcmp(a->key, key, HTTP_SLOT_KEY_SIZE) == 0) { /* not secret: an address */
			return a;
		}
	}
	if (!make || spare == NULL)
		return NULL;
	memcpy(spare->key, key, HTTP_SLOT_KEY_SIZE);
	return spare;
}

int
http_slots_take(struct http_slots *s, const uint8_t *key)
{
	struct http_slot_addr *a = NULL;
	int r = -1;

	pthread_mutex_lock(&s->mu);
	if (s->used >= s->max) {
		s->full++;
		goto out;
	}
	if (s->addrs != NULL && key != NULL) {
		/* used < max, and each holder has an entry: a free entry always exists. */
		if ((a = http_slots_find(s, key, 1)) == NULL)
			goto out;
		if (a->n >= s->share && s->used >= s->max - s->reserve) {
			s->over_share++;
			goto out;
		}
		a->n++;
	}
	s->used++;
	/* success */
	r = 0;
 out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

void
http_slots_give(struct http_slots *s, const uint8_t *key)
{
	struct http_slot_addr *a;

	pthread_mutex_lock(&s->mu);
	if (s->addrs != NULL && key != NULL && (a = http_slots_find(s, key, 0)) != NULL)
		a->n--;
	if (s->used > 0)
		s->used--;
	pthread_mutex_unlock(&s->mu);
}

unsigned
http_slots_used(struct http_slots *s)
{
	unsigned n;

	pthread_mutex_lock(&s->mu);
	n = s->used;
	pthread_mutex_unlock(&s->mu);
	return n;
}
