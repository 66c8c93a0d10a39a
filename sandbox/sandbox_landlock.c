/*
 * File-path confinement with Landlock (docs/SANDBOX.md "File paths"), for
 * the seccomp sandbox. The filter alone cannot confine paths: it sees the
 * directory descriptor of openat, never the path, so an absolute path or
 * `..` walks out of any directory it names (issue #12, B1). Landlock checks
 * the path the kernel resolved, whatever the call, base or symlinks.
 *
 * A ruleset handles every file-system right the running kernel knows (ABI
 * detected at run time: Debian 12's 6.1 has 2, newer kernels more), so
 * everything not granted by a rule is refused. Landlock applies to the
 * calling thread and what it starts later, never to threads that already
 * run: entering is refused unless the process has exactly one thread.
 */
#include "sandbox.h"
#include "sandbox_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/landlock.h>

/* Debian 12's headers know ABI 2; the numbers are the same on every architecture. */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

/* ABI 1: execute .. make_sym (bits 0-12). */
#define LL_FS_ABI1 ((1ULL << 13) - 1)
/* The rights a rule on a regular file may carry; the others are directory rights. */
#define LL_FS_FILE (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* The one state of path confinement in this process. */
static struct {
	int entered;          /* sandbox_enter_paths succeeded (confined or allowed not to be) */
	int abi;              /* Landlock ABI in force, 0: none */
	char kind[160];       /* for the start-up log */
} sb_ll = { 0, 0, "not yet" };

const char *
sandbox_paths_kind(void)
{
	return sb_ll.kind;
}

int
sandbox_paths_confined(void)
{
	return sb_ll.abi > 0;
}

int
sandbox_paths_entered(void)
{
	return sb_ll.entered;
}

/* Every file-system right the kernel's ABI handles: none of them is left unchecked. */
static uint64_t
ll_handled(int abi)
{
	uint64_t h = LL_FS_ABI1;

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

/* SANDBOX_FS_* to Landlock rights, for a directory or (isdir 0) a file. */
static uint64_t
ll_rights(unsigned access, int isdir)
{
	uint64_t r = 0;

	if (access & SANDBOX_FS_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (access & SANDBOX_FS_WRITE)
		r |= LANDLOCK_ACCESS_FS_WRITE_FILE;
	if (access & SANDBOX_FS_TRUNCATE)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (access & SANDBOX_FS_CREATE)
		r |= LANDLOCK_ACCESS_FS_MAKE_REG;
	if (access & SANDBOX_FS_REMOVE)
		r |= LANDLOCK_ACCESS_FS_REMOVE_FILE;
	if (access & SANDBOX_FS_BIND)
		r |= LANDLOCK_ACCESS_FS_MAKE_SOCK;
	return isdir ? r : r & LL_FS_FILE;
}

/* Threads of this process, from /proc/self/status; -1 if it cannot be read. */
static int
ll_threads(void)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");
	int n = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* The running kernel's Landlock ABI, or -1 with errno (ENOSYS, EOPNOTSUPP: disabled). */
static int
ll_abi(void)
{
	return (int)syscall(__NR_landlock_create_ruleset, NULL, (size_t)0,
	    LANDLOCK_CREATE_RULESET_VERSION);
}

int
sandbox_paths_available(void)
{
	return ll_abi() > 0;
}

static int
ll_add(int rfd, int abi, const struct sandbox_path *sp, enum sandbox_profile p,
    struct bos_err *err)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;

	if (fstat(sp->fd, &st) != 0)
		return bos_err_set(err, BOS_E_INVALID, "sandbox %s: a path descriptor is not open: %s",
		    sandbox_profile_name(p), strerror(errno));
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = sp->fd;
	pb.allowed_access = ll_rights(sp->access, S_ISDIR(st.st_mode)) & ll_handled(abi);
	if (pb.allowed_access == 0)
		return 0;   /* nothing to grant: the tree stays refused */
	if (syscall(__NR_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0)
		return bos_err_set(err, BOS_E_IO, "sandbox %s: cannot add a Landlock rule: %s",
		    sandbox_profile_name(p), strerror(errno));
	return 0;
}

/* Build the ruleset and restrict this thread with it. */
static int
ll_restrict(int abi, enum sandbox_profile p, const struct sandbox_args *a, struct bos_err *err)
{
	struct landlock_ruleset_attr attr;
	size_t i;
	int rfd, r = -1;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = ll_handled(abi);
	rfd = (int)syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rfd < 0)
		return bos_err_set(err, BOS_E_IO, "sandbox %s: cannot create a Landlock ruleset: %s",
		    sandbox_profile_name(p), strerror(errno));
	for (i = 0; i < a->npaths; i++)
		if (ll_add(rfd, abi, &a->paths[i], p, err) != 0)
			goto out;
	/* Landlock needs no new privileges (or CAP_SYS_ADMIN) to restrict. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(__NR_landlock_restrict_self, rfd, 0) != 0) {
		bos_err_set(err, BOS_E_IO, "sandbox %s: cannot enter the Landlock domain: %s",
		    sandbox_profile_name(p), strerror(errno));
		goto out;
	}
	/* success */
	r = 0;
 out:
	close(rfd);
	return r;
}

/* No Landlock: refuse, unless bos.conf allows file paths to stay unconfined. */
static int
ll_unavailable(int e, enum sandbox_profile p, const struct sandbox_args *a, struct bos_err *err)
{
	const char *why = e == EOPNOTSUPP ? "Landlock is disabled in this kernel (boot with "
	    "lsm=...,landlock)" : e == ENOSYS ? "this kernel has no Landlock (Linux >= 5.13 with "
	    "CONFIG_SECURITY_LANDLOCK)" : strerror(e);

	if (!a->unconfined_ok)
		return bos_err_set(err, BOS_E_CONFIG, "sandbox %s: file paths cannot be confined: %s; "
		    "refusing to run unconfined (to run anyway, set sandbox_unconfined_paths = 1 in "
		    "bos.conf, or give bos-vaultd init --allow-unconfined-paths: see docs/SANDBOX.md)",
		    sandbox_profile_name(p), why);
	(void)snprintf(sb_ll.kind, sizeof(sb_ll.kind), "NOT confined: %s "
	    "(sandbox_unconfined_paths = 1)", why);
	sb_ll.entered = 1;
	return 0;
}

int
sandbox_enter_paths(enum sandbox_profile p, const struct sandbox_args *a, struct bos_err *err)
{
	int abi, threads;

	if (sb_ll.entered)
		return 0;
	if (a == NULL || a->npaths > SANDBOX_PATHS_MAX)
		return bos_err_set(err, BOS_E_INVALID, "sandbox %s: no path rules given",
		    sandbox_profile_name(p));
	if ((threads = ll_threads()) != 1)
		return bos_err_set(err, BOS_E_INVALID, "sandbox %s: file paths must be confined while "
		    "the process has one thread (it has %d): Landlock cannot reach threads that "
		    "already run", sandbox_profile_name(p), threads);
	if ((abi = ll_abi()) < 1)
		return ll_unavailable(errno, p, a, err);
	if (ll_restrict(abi, p, a, err) != 0)
		return -1;
	sb_ll.abi = abi;
	sb_ll.entered = 1;
	(void)snprintf(sb_ll.kind, sizeof(sb_ll.kind), "landlock ABI %d", abi);
	return 0;
}
