/*
 * Test tool, an LD_PRELOAD fault injector: makes fsync() and fdatasync() fail
 * with EIO, as a dying disk would, once a trigger file exists. Used by
 * tests/integration/t_fsync_fatal.sh to show that bos-vaultd stops on a
 * failed fsync instead of going on (docs/STORE.md "A failed fsync is fatal").
 *
 *   BOS_FSYNC_FAIL_TRIGGER  path of the trigger file; while it does not exist
 *                           (or the variable is unset) every call goes to libc
 *   BOS_FSYNC_FAIL_MATCH    optional: fail only descriptors whose path
 *                           (/proc/self/fd) contains this text, e.g. "bos.db",
 *                           so that bos-hsmd and other files are left alone
 *
 * Each injected failure is reported on stderr, so a test can tell that the
 * fault was actually hit.
 *
 * The vault runs in a seccomp sandbox after start-up (docs/SANDBOX.md) that
 * kills access(2) and readlink(2): so the trigger is checked with stat(2)
 * (newfstatat, which the vault may call), and whether a descriptor matches
 * is decided when open()/open64() returns it, from the path it was opened
 * with, not later from /proc/self/fd. Built as $(BUILD)/tests/fsync_fail.so (Makefile);
 * it lives in its own directory because every .c directly in tests/tools is a
 * program.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FSYNC_FAIL_FDS 4096

int fsync(int fd);
int fdatasync(int fd);
int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);

typedef int (*sync_fn)(int);
typedef int (*open_fn)(const char *, int, ...);

/* Descriptors opened with a path containing BOS_FSYNC_FAIL_MATCH. */
static unsigned char fsync_fail_match[FSYNC_FAIL_FDS];

static int
fsync_fail_open(const char *name, const char *path, int flags, mode_t mode)
{
	const char *match = getenv("BOS_FSYNC_FAIL_MATCH");
	open_fn real;
	int fd;

	*(void **)&real = dlsym(RTLD_NEXT, name);
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	fd = real(path, flags, mode);
	if (fd >= 0 && fd < FSYNC_FAIL_FDS)
		fsync_fail_match[fd] = match != NULL && strstr(path, match) != NULL;
	return fd;
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return fsync_fail_open("open", path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return fsync_fail_open("open64", path, flags, mode);
}

/* 1 when the call on fd should fail now. Keeps errno as it was. */
static int
fsync_fail_now(int fd)
{
	const char *trigger = getenv("BOS_FSYNC_FAIL_TRIGGER");
	const char *match = getenv("BOS_FSYNC_FAIL_MATCH");
	struct stat st;
	int saved = errno, hit = 0;

	if (trigger != NULL && *trigger != '\0' && stat(trigger, &st) == 0)
		hit = match == NULL || *match == '\0' ||
		    (fd >= 0 && fd < FSYNC_FAIL_FDS && fsync_fail_match[fd]);
	errno = saved;
	return hit;
}

static int
fsync_fail_call(const char *name, int fd)
{
	sync_fn real;
	char msg[160];
	int n;

	if (fsync_fail_now(fd)) {
		n = snprintf(msg, sizeof(msg), "fsync_fail: injected EIO into %s(%d)\n", name, fd);
		if (n > 0)
			(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n :
			    sizeof(msg) - 1);
		errno = EIO;
		return -1;
	}
	*(void **)&real = dlsym(RTLD_NEXT, name);
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd);
}

int
fsync(int fd)
{
	return fsync_fail_call("fsync", fd);
}

int
fdatasync(int fd)
{
	return fsync_fail_call("fdatasync", fd);
}
