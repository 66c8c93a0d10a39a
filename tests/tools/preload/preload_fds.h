/*
 * Shared by the LD_PRELOAD fault injectors in this directory: which
 * descriptors were opened with a path that contains the text in the
 * environment variable PRELOAD_MATCH_ENV (defined by the includer), so a
 * shim can fail the calls on some files only (the database's, say) and leave
 * bos-hsmd's and the log's alone.
 *
 * The vault runs in a seccomp sandbox after start-up (docs/SANDBOX.md) that
 * kills readlink(2): so whether a descriptor matches is decided when
 * open()/open64() returns it, from the path it was opened with, not later
 * from /proc/self/fd. This header defines open() and open64(); include it
 * in one .c file of a shim.
 */
#ifndef BOS_PRELOAD_FDS_H
#define BOS_PRELOAD_FDS_H

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRELOAD_FDS 4096

int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);

typedef int (*preload_open_fn)(const char *, int, ...);

static unsigned char preload_fd_match[PRELOAD_FDS];

static int
preload_open(const char *name, const char *path, int flags, mode_t mode)
{
	const char *match = getenv(PRELOAD_MATCH_ENV);
	preload_open_fn real;
	int fd;

	*(void **)&real = dlsym(RTLD_NEXT, name);
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	fd = real(path, flags, mode);
	if (fd >= 0 && fd < PRELOAD_FDS)
		preload_fd_match[fd] = match != NULL && strstr(path, match) != NULL;
	return fd;
}

/* The mode argument of open(), present only with O_CREAT or O_TMPFILE. */
#define PRELOAD_OPEN_MODE(flags, mode) do {				\
	va_list ap_;							\
	if ((flags) & (O_CREAT | O_TMPFILE)) {				\
		va_start(ap_, flags);					\
		(mode) = va_arg(ap_, mode_t);				\
		va_end(ap_);						\
	}								\
} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	PRELOAD_OPEN_MODE(flags, mode);
	return preload_open("open", path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	PRELOAD_OPEN_MODE(flags, mode);
	return preload_open("open64", path, flags, mode);
}

/* The next definition of name (libc's), or NULL with errno ENOSYS. */
static void *
preload_real(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		errno = ENOSYS;
	return p;
}

/* Say on stderr that a fault was injected, and fail the call with EIO: returns -1. */
static int
preload_inject(const char *shim, const char *name, int fd)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "%s: injected EIO into %s(%d)\n", shim, name, fd);

	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n :
		    sizeof(msg) - 1);
	errno = EIO;
	return -1;
}

/* 1 when fd should be hit: PRELOAD_MATCH_ENV unset or empty, or fd opened with a match. */
static int
preload_fd_matches(int fd)
{
	const char *match = getenv(PRELOAD_MATCH_ENV);

	return match == NULL || *match == '\0' ||
	    (fd >= 0 && fd < PRELOAD_FDS && preload_fd_match[fd]);
}

#endif
