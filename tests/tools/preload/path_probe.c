/*
 * Test tool, an LD_PRELOAD probe that tries file-path escapes from inside
 * the real bos-vaultd or bos-hsmd, after they entered their sandbox
 * (tests/integration/t_sandbox.sh; docs/SANDBOX.md "File paths"):
 *
 *   BOS_PATH_PROBE=vault  at the first response the vault queues
 *                         (MHD_queue_response, in a connection thread
 *                         started after the sandbox), through the state
 *                         directory's descriptor, which the filter allows
 *   BOS_PATH_PROBE=hsmd   at bos-hsmd's first send(), its READY, sent once
 *                         it is sandboxed; by absolute path, as SoftHSM opens
 *   BOS_PATH_PROBE=hsmd-own  the same, for a bos-hsmd that runs as its own
 *                         user (--listen; t_hsm_user.sh): BOS_PATH_PROBE_DIR
 *                         is its SoftHSM store, whose PIN files and
 *                         configuration it may read by owner, not by path
 *   BOS_PATH_PROBE_DIR    the vault's state directory (the test adds
 *                         out-link -> DIR/../outside/secret, tokens/out-link ->
 *                         DIR/db.key and DIR/../outside/victim)
 *
 * Each probe writes one line to stderr (the vault's log; bos-hsmd's stderr
 * is the vault's): "path_probe: PROFILE NAME refused (ERROR)" or
 * "path_probe: PROFILE NAME NOT REFUSED". Only calls the profile's filter
 * lets through are tried, so the process lives on either way. Everything
 * it needs (the real functions, the paths) is found at load time, before
 * the sandbox.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct MHD_Connection;
struct MHD_Response;

int MHD_queue_response(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r);
ssize_t send(int fd, const void *buf, size_t n, int flags);

enum pp_op { PP_OPEN, PP_UNLINKAT, PP_UNLINK, PP_RENAMEAT };

struct pp_probe {
	const char *name;
	enum pp_op op;
	const char *a, *b;   /* "@" at the start: the state directory; "%": DIR/../outside */
	int flags;
};

#define PP_RD (O_RDONLY | O_CLOEXEC)
#define PP_NEW (O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC)

/* The vault: relative paths through the state directory's fd, or unlink(2) by path. */
static const struct pp_probe pp_vault[] = {
	{ "abs-read", PP_OPEN, "/etc/hostname", NULL, PP_RD },
	{ "dotdot-read", PP_OPEN, "../outside/secret", NULL, PP_RD },
	{ "symlink-read", PP_OPEN, "out-link", NULL, PP_RD },
	{ "pin-read", PP_OPEN, "hsm-pin", NULL, PP_RD },
	{ "so-pin-read", PP_OPEN, "hsm-so-pin", NULL, PP_RD },
	{ "dbkey-read", PP_OPEN, "db.key", NULL, PP_RD },
	{ "abs-write", PP_OPEN, "%/new-abs", NULL, PP_NEW },
	{ "dotdot-write", PP_OPEN, "../outside/new-dotdot", NULL, PP_NEW },
	{ "dotdot-unlink", PP_UNLINKAT, "../outside/victim", NULL, 0 },
	{ "abs-unlink", PP_UNLINK, "%/victim2", NULL, 0 },
	{ "rename-out", PP_RENAMEAT, "roles.policy", "../outside/moved", 0 },
};

/* bos-hsmd: openat is all its filter allows of these; absolute paths or `..` from tokens/. */
static const struct pp_probe pp_hsmd[] = {
	{ "abs-read", PP_OPEN, "/etc/hostname", NULL, PP_RD },
	{ "db-read", PP_OPEN, "@/bos.db", NULL, PP_RD },
	{ "dbkey-read", PP_OPEN, "@/db.key", NULL, PP_RD },
	{ "pin-read", PP_OPEN, "@/hsm-pin", NULL, PP_RD },
	{ "dotdot-read", PP_OPEN, "@/tokens/../bos.db", NULL, PP_RD },
	{ "symlink-read", PP_OPEN, "@/tokens/out-link", NULL, PP_RD },
	{ "abs-write", PP_OPEN, "%/new-hsmd", NULL, PP_NEW },
	{ "token-create", PP_OPEN, "@/tokens/probe.object", NULL, PP_NEW },
};

/*
 * bos-hsmd as its own user, DIR its store: files its uid owns and could read
 * (the PIN it read at start, the SoftHSM configuration), reachable by path no
 * more once it serves; /etc/shadow too (closed to its uid anyway).
 */
static const struct pp_probe pp_hsmd_own[] = {
	{ "abs-read", PP_OPEN, "/etc/hostname", NULL, PP_RD },
	{ "pin-read", PP_OPEN, "@/hsm-pin", NULL, PP_RD },
	{ "so-pin-read", PP_OPEN, "@/so-pin", NULL, PP_RD },
	{ "conf-read", PP_OPEN, "@/softhsm2.conf", NULL, PP_RD },
	{ "dotdot-read", PP_OPEN, "@/tokens/../hsm-pin", NULL, PP_RD },
	{ "abs-write", PP_OPEN, "%/new-hsmd", NULL, PP_NEW },
	{ "token-create", PP_OPEN, "@/tokens/probe.object", NULL, PP_NEW },
	{ "shadow-read", PP_OPEN, "/etc/shadow", NULL, PP_RD },
};

static struct {
	int mode;                 /* 0 off, 1 vault, 2 hsmd, 3 hsmd-own */
	int done;
	char dir[PATH_MAX], out[PATH_MAX];
	dev_t dev;
	ino_t ino;
	int (*queue)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	ssize_t (*send)(int, const void *, size_t, int);
} pp;

__attribute__((constructor)) static void
pp_init(void)
{
	const char *m = getenv("BOS_PATH_PROBE"), *d = getenv("BOS_PATH_PROBE_DIR");
	struct stat st;
	char *slash;

	pp.queue = (int (*)(struct MHD_Connection *, unsigned int, struct MHD_Response *))
	    dlsym(RTLD_NEXT, "MHD_queue_response");
	pp.send = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
	if (m == NULL || d == NULL || realpath(d, pp.dir) == NULL || stat(pp.dir, &st) != 0)
		return;
	pp.dev = st.st_dev;
	pp.ino = st.st_ino;
	memcpy(pp.out, pp.dir, sizeof(pp.out));
	if ((slash = strrchr(pp.out, '/')) == NULL)
		return;
	(void)snprintf(slash, sizeof(pp.out) - (size_t)(slash - pp.out), "/outside");
	pp.mode = strcmp(m, "vault") == 0 ? 1 : strcmp(m, "hsmd") == 0 ? 2 :
	    strcmp(m, "hsmd-own") == 0 ? 3 : 0;
}

/* The state directory's descriptor in the vault (the auditor's), found by its inode. */
static int
pp_find_dirfd(void)
{
	struct stat st;
	int fd;

	for (fd = 3; fd < 4096; fd++)
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == pp.dev &&
		    st.st_ino == pp.ino)
			return fd;
	return -1;
}

static const char *
pp_path(const char *in, char *buf, size_t cap)
{
	const char *root = in[0] == '@' ? pp.dir : in[0] == '%' ? pp.out : NULL;

	if (root == NULL)
		return in;
	(void)snprintf(buf, cap, "%s%s", root, in + 1);
	return buf;
}

static void
pp_one(const char *who, int dirfd, const struct pp_probe *p)
{
	char a[PATH_MAX], b[PATH_MAX];
	const char *pa = pp_path(p->a, a, sizeof(a));
	long rc = -1;

	switch (p->op) {
	case PP_OPEN: rc = openat(dirfd, pa, p->flags, 0600); break;
	case PP_UNLINKAT: rc = unlinkat(dirfd, pa, 0); break;
	case PP_UNLINK: rc = unlink(pa); break;
	case PP_RENAMEAT: rc = renameat(dirfd, pa, dirfd, pp_path(p->b, b, sizeof(b))); break;
	}
	if (rc >= 0)
		fprintf(stderr, "path_probe: %s %s NOT REFUSED\n", who, p->name);
	else
		fprintf(stderr, "path_probe: %s %s refused (%s)\n", who, p->name, strerror(errno));
	if (p->op == PP_OPEN && rc >= 0)
		close((int)rc);
}

static void
pp_run(void)
{
	const struct pp_probe *list = pp.mode == 1 ? pp_vault : pp.mode == 2 ? pp_hsmd : pp_hsmd_own;
	size_t i, n = pp.mode == 1 ? sizeof(pp_vault) / sizeof(pp_vault[0]) :
	    pp.mode == 2 ? sizeof(pp_hsmd) / sizeof(pp_hsmd[0]) :
	    sizeof(pp_hsmd_own) / sizeof(pp_hsmd_own[0]);
	int dirfd = pp.mode == 1 ? pp_find_dirfd() : AT_FDCWD;
	const char *who = pp.mode == 1 ? "vault" : "hsmd";

	if (dirfd == -1) {
		fprintf(stderr, "path_probe: vault: the state directory's descriptor not found\n");
		return;
	}
	for (i = 0; i < n; i++)
		pp_one(who, dirfd, &list[i]);
	fprintf(stderr, "path_probe: %s done\n", who);
}

int
MHD_queue_response(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r)
{
	if (pp.mode == 1 && !__atomic_exchange_n(&pp.done, 1, __ATOMIC_SEQ_CST))
		pp_run();
	return pp.queue(c, status, r);
}

ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	if (pp.mode >= 2 && !__atomic_exchange_n(&pp.done, 1, __ATOMIC_SEQ_CST))
		pp_run();
	return pp.send(fd, buf, n, flags);
}
