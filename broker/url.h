/*
 * URL and address checks of bos-broker, below both its settings
 * (broker_config.c: a test base URL is checked at start) and its provider
 * calls (provider.c: the host allow-list, loopback and internal addresses).
 * No I/O.
 */
#ifndef BOS_BROKER_URL_H
#define BOS_BROKER_URL_H

#include "compiler.h"
#include "err.h"

/* Loopback: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 (addr: 4 or 16 bytes by family). */
int url_addr_loopback(int family, const void *addr);

/* The scheme and host of url (curl's URL parser; a user name is refused), or -1; both
 * freed by the caller with curl_free. */
int url_parts(const char *url, char **scheme, char **host, struct bos_err *err) BOS_WUR;

/* Is host "localhost", an IPv4 loopback address or a bracketed IPv6 one? */
int url_host_loopback(const char *host);

/* A test base URL's form: https://LOOPBACK[:PORT][/], nothing else. 0 or -1. */
int url_test_base_ok(const char *url, struct bos_err *err) BOS_WUR;

#endif
