/*
 * Test tool, an LD_PRELOAD fault injector: makes fsync() and fdatasync() fail
 * with EIO, as a dying disk would, once a trigger file exists. Used by
 * tests/integration/t_fsync_fatal.sh to show that bos-vaultd stops on a
 * failed fsync instead of going on (docs/STORE.md "A failed fsync is fatal").
 *
 *   BOS_FSYNC_FAIL_TRIGGER  path of the trigger file; while it does not exist
 *                           (or the variable is unset) every call goes to libc
 *   BOS_FSYNC_FAIL_MATCH    optional: fail only descriptors whose path
 *                           (as opened) contains this text, e.g. "bos.db",
 *                           so that bos-hsmd and other files are left alone
 *
 * Each injected failure is reported on stderr, so a test can tell that the
 * fault was actually hit.
 *
 * The trigger is checked with stat(2) (newfstatat), which the vault's
 * sandbox allows (access(2) it does not); descriptors are matched as
 * preload_fds.h says. Built as $(BUILD)/tests/fsync_fail.so (Makefile);
 * it lives in its own directory because every .c directly in tests/tools is a
 * program.
 */
#include <sys/stat.h>

#define PRELOAD_MATCH_ENV "BOS_FSYNC_FAIL_MATCH"
#include "preload_fds.h"

int fsync(int fd);
int fdatasync(int fd);

typedef int (*sync_fn)(int);

/* 1 when the call on fd should fail now. Keeps errno as it was. */
static int
fsync_fail_now(int fd)
{
	const char *trigger = getenv("BOS_FSYNC_FAIL_TRIGGER");
	struct stat st;
	int saved = errno, hit = 0;

	if (trigger != NULL && *trigger != '\0' && stat(trigger, &st) == 0)
		hit = preload_fd_matches(fd);
	errno = saved;
	return hit;
}

static int
fsync_fail_call(const char *name, int fd)
{
	sync_fn real;

	if (fsync_fail_now(fd))
		return preload_inject("fsync_fail", name, fd);
	if ((*(void **)&real = preload_real(name)) == NULL)
		return -1;
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
