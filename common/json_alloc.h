/*
 * jansson allocates every string it parses or prints; some of them are
 * secrets (a credential in a request body, a password, a response that
 * carries a secret). json_alloc_init() makes jansson use an allocator that
 * wipes every block when it is freed. Call it once, first thing in main().
 */
#ifndef BOS_JSON_ALLOC_H
#define BOS_JSON_ALLOC_H

void json_alloc_init(void);

#endif
