/* Whole reads and writes on file descriptors, retrying on EINTR. */
#ifndef BOS_IO_H
#define BOS_IO_H

#include <stddef.h>
#include <sys/types.h>
#include "compiler.h"

/* Write all n bytes. Returns 0 or -1 (errno set). */
int io_write_full(int fd, const void *p, size_t n) BOS_WUR;
/* Read exactly n bytes. Returns 0, or -1 on error or early EOF (errno 0 at EOF). */
int io_read_full(int fd, void *p, size_t n) BOS_WUR;

#endif
