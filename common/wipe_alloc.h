/*
 * Wiping allocators for libcurl and OpenSSL, installed before either
 * allocates anything: libcurl copies the Authorization header and the
 * broker's token into its own buffers, OpenSSL holds decrypted records, and
 * the vault's answers carry a password, a token or a leased secret. Every
 * block they free is wiped whole (each carries its size in a header). Used
 * by bosctl (cli/http_client.c) and bos-broker; the daemons do not link it.
 */
#ifndef BOS_WIPE_ALLOC_H
#define BOS_WIPE_ALLOC_H

#include "compiler.h"

/* OpenSSL's memory functions, then curl_global_init_mem. 0 or -1. */
int wipe_alloc_curl_init(void) BOS_WUR;

#endif
