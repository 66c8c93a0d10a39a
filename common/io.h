/* Whole reads and writes on file descriptors, retrying on EINTR. */
#ifndef BOS_IO_H
#define BOS_IO_H

#include <stddef.h>
#include <sys/types.h>
#include "compiler.h"

/* Write all n bytes. Returns 0 or -1 (errno set). */
int io_write_full(int fd, const void *p, size_t n) BOS_WUR;
/*
 * send() all n bytes on a socket with MSG_NOSIGNAL, so a peer that went away
 * gives an error instead of killing us with SIGPIPE. Returns 0 or -1.
 */
int io_send_full(int fd, const void *p, size_t n) BOS_WUR;
/* Read exactly n bytes. Returns 0, or -1 on error or early EOF (errno 0 at EOF). */
int io_read_full(int fd, void *p, size_t n) BOS_WUR;

#endif
