/*
 * In-flight request slots (docs/HTTP.md "Requests in flight"). Each listener
 * has its own pool, so TCP clients can never take the slots of the unix
 * socket (admins, brokers). A request takes a slot only once it is complete
 * and authenticated, and gives it back when its answer is ready: a slow
 * client holds a connection, never a slot.
 *
 * On a pool with addresses (TCP), no address may take the last `reserve`
 * free slots while it already holds `share` or more: one address (an IPv4
 * address, or an IPv6 /64) can fill at most max - reserve slots, and any
 * other address holding fewer than `share` still finds one.
 */
#ifndef BOS_HTTP_SLOTS_H
#define BOS_HTTP_SLOTS_H

#include <pthread.h>
#include <stdint.h>
#include "compiler.h"

#define HTTP_SLOT_KEY_SIZE 16

struct http_slot_addr {
	uint8_t key[HTTP_SLOT_KEY_SIZE];
	unsigned n;                     /* slots it holds; 0: the entry is free */
};

struct http_slots {
	pthread_mutex_t mu;
	unsigned max;                   /* slots in the pool */
	unsigned share;                 /* an address holding this many ... */
	unsigned reserve;               /* ... cannot take the last `reserve` free slots */
	unsigned used;
	struct http_slot_addr *addrs;   /* max entries; NULL for a pool without addresses */
	unsigned long full, over_share; /* refusals: the pool was full, the address had its share */
};

/* A pool of max slots (max >= 1), shared fairly between addresses when per_address. */
int http_slots_init(struct http_slots *s, unsigned max, int per_address) BOS_WUR;
void http_slots_destroy(struct http_slots *s);

/*
 * Take a slot for the address key (NULL on a pool without addresses):
 * 0, or -1 when the pool is full or the address already has its share of it.
 */
int http_slots_take(struct http_slots *s, const uint8_t *key) BOS_WUR;
/* Give back a slot taken with the same key. */
void http_slots_give(struct http_slots *s, const uint8_t *key);
/* Slots in use (for tests and metrics). */
unsigned http_slots_used(struct http_slots *s);

#endif
