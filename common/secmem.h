/*
 * Memory for secrets: wipes the compiler cannot remove, locked pages kept out
 * of core dumps for long-lived secrets, and process-wide dump protection.
 *
 * secmem.c also replaces free(), realloc() and reallocarray() for every
 * program that links it (not under AddressSanitizer): each freed block is
 * wiped whole, including those freed by libmicrohttpd, GnuTLS, SQLCipher and
 * the other libraries (docs/MEMORY.md).
 */
#ifndef BOS_SECMEM_H
#define BOS_SECMEM_H

#include <stddef.h>
#include "compiler.h"

/* Overwrite n bytes with zeros; never optimised away. */
void secmem_wipe(void *p, size_t n);

/* Wipe n bytes then free(p). Accepts NULL. */
void secmem_freezero(void *p, size_t n);

/*
 * Allocate n bytes in dedicated pages that are mlock()ed, excluded from core
 * dumps (MADV_DONTDUMP) and wiped in forked children (MADV_WIPEONFORK), with
 * an inaccessible guard page on each side. Returns NULL on failure.
 */
void *secmem_alloc(size_t n) BOS_WUR;

/* Wipe and release memory from secmem_alloc(). n must be the size asked for. */
void secmem_free(void *p, size_t n);

/*
 * Make this process undumpable (no ptrace or /proc/PID/mem by the same uid)
 * and turn core dumps off. Call first thing in main(). Returns 0 or -1.
 */
int secmem_harden_process(void) BOS_WUR;

/* Constant-time comparison: 1 when equal, 0 otherwise. */
int secmem_equal(const void *a, const void *b, size_t n) BOS_WUR;

#endif
