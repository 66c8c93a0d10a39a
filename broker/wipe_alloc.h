/*
 * Wiping allocators for libcurl and OpenSSL, installed before either
 * allocates anything: libcurl copies the Authorization header and the
 * broker's token into its own buffers, OpenSSL holds decrypted records, and
 * the vault's lease answer carries a secret. Every block they free is wiped
 * whole (each carries its size in a header). The same design as bosctl's
 * (cli/http_client.c), which the broker does not link.
 */
#ifndef BOS_WIPE_ALLOC_H
#define BOS_WIPE_ALLOC_H

#include "compiler.h"

/* OpenSSL's memory functions, then curl_global_init_mem. 0 or -1. */
int wipe_alloc_curl_init(void) BOS_WUR;

#endif
