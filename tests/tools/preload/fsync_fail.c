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
 * fault was actually hit. Built as $(BUILD)/tests/fsync_fail.so (Makefile);
 * it lives in its own directory because every .c directly in tests/tools is a
 * program.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fsync(int fd);
int fdatasync(int fd);

typedef int (*sync_fn)(int);

/* 1 when the call on fd should fail now. Keeps errno as it was. */
static int
fsync_fail_now(int fd)
{
	const char *trigger = getenv("BOS_FSYNC_FAIL_TRIGGER");
	const char *match = getenv("BOS_FSYNC_FAIL_MATCH");
	char link[64], target[4096];
	int saved = errno, hit = 0;
	ssize_t n;

	if (trigger == NULL || *trigger == '\0' || access(trigger, F_OK) != 0)
		goto out;
	if (match == NULL || *match == '\0') {
		hit = 1;
		goto out;
	}
	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		hit = strstr(target, match) != NULL;
	}
 out:
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
