/*
 * jansson allocates every string it parses or prints; some of them are
 * secrets (a credential in a request body, a password, a response that
 * carries a secret). json_alloc_init() makes jansson use an allocator that
 * wipes every block when it is freed. Call it once, first thing in main().
 */
#ifndef BOS_JSON_ALLOC_H
#define BOS_JSON_ALLOC_H

void json_alloc_init(void);

/*
 * Release memory that jansson returned to us (json_dumps): it comes from
 * jansson's allocator, which is not plain malloc once json_alloc_init() ran,
 * so free() must never be used on it. Wipes n bytes first when n > 0
 * (the wiping allocator wipes everything anyway).
 */
void json_alloc_release(void *p);

#endif
