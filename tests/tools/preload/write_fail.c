/*
 * Test tool, an LD_PRELOAD fault injector: makes pwrite()/pwrite64() (how
 * SQLite writes its WAL and database) fail with EIO, as a failing disk would,
 * a given number of times after a trigger file appears. Used by
 * tests/integration/t_login_durable.sh to make one group-commit batch fail
 * at its COMMIT and the next one succeed (issue #12 item 16, docs/STORE.md).
 *
 *   BOS_WRITE_FAIL_TRIGGER  path of the trigger file; while it does not exist
 *                           (or the variable is unset) every call goes to libc
 *   BOS_WRITE_FAIL_MATCH    optional: fail only descriptors whose path (as
 *                           opened) contains this text, e.g. "bos.db-wal"
 *   BOS_WRITE_FAIL_COUNT    how many calls fail per trigger file (default 1;
 *                           0: every call while it exists). A new trigger
 *                           file (another inode or time stamp) arms it again.
 *
 * Each injected failure is reported on stderr ("write_fail: injected EIO
 * into pwrite64(FD)"), so a test can tell that the fault was hit. The trigger
 * is checked with stat(2), which the vault's sandbox allows; descriptors are
 * matched as preload_fds.h says.
 */
#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>

#define PRELOAD_MATCH_ENV "BOS_WRITE_FAIL_MATCH"
#include "preload_fds.h"

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off);

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off64_t);

/* The trigger file the failures were counted for, and how many there were. */
static struct {
	pthread_mutex_t mu;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	unsigned long used;
} wf = { PTHREAD_MUTEX_INITIALIZER, 0, 0, { 0, 0 }, 0 };

/* 1 when this call on fd should fail. Keeps errno as it was. */
static int
write_fail_now(int fd)
{
	const char *trigger = getenv("BOS_WRITE_FAIL_TRIGGER");
	const char *count = getenv("BOS_WRITE_FAIL_COUNT");
	unsigned long max = count != NULL && *count != '\0' ? strtoul(count, NULL, 10) : 1;
	struct stat st;
	int saved = errno, hit = 0;

	if (trigger == NULL || *trigger == '\0' || stat(trigger, &st) != 0 ||
	    !preload_fd_matches(fd)) {
		errno = saved;
		return 0;
	}
	pthread_mutex_lock(&wf.mu);
	if (st.st_dev != wf.dev || st.st_ino != wf.ino || st.st_mtim.tv_sec != wf.mtime.tv_sec ||
	    st.st_mtim.tv_nsec != wf.mtime.tv_nsec) {
		wf.dev = st.st_dev;
		wf.ino = st.st_ino;
		wf.mtime = st.st_mtim;
		wf.used = 0;
	}
	if (max == 0 || wf.used < max) {
		wf.used++;
		hit = 1;
	}
	pthread_mutex_unlock(&wf.mu);
	errno = saved;
	return hit;
}

static ssize_t
write_fail_call(const char *name, int fd, const void *buf, size_t n, off64_t off)
{
	pwrite_fn real;

	if (write_fail_now(fd))
		return preload_inject("write_fail", name, fd);
	if ((*(void **)&real = preload_real(name)) == NULL)
		return -1;
	return real(fd, buf, n, off);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return write_fail_call("pwrite", fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	return write_fail_call("pwrite64", fd, buf, n, off);
}
