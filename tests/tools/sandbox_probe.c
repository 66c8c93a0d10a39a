/*
 * sandbox_probe [--allow-unconfined] PROFILE ACTION [DIR]: enter a sandbox
 * profile as bos-vaultd or bos-hsmd would, then try one thing
 * (tests/integration/t_sandbox.sh).
 *
 *   PROFILE  vault (DIR is the "state directory": its fd is the one openat
 *            base the filter allows, and the one tree the vault's path rules
 *            name, SANDBOX_VAULT_STATE_ACCESS) or hsmd (DIR/tokens is
 *            SoftHSM's token directory, SANDBOX_HSMD_TOKENS_SERVE). As in
 *            bos-vaultd, the vault's paths are confined on the main thread,
 *            a thread starts, the filter is loaded, and the thread acts.
 *   ACTION   ok        what the profile allows: a thread, openat/renameat/
 *                      unlinkat in DIR and fsync of it (vault), kill and reap
 *                      of the one child (vault); reading a token file (hsmd,
 *                      with DIR); exit 0
 *            clone3    clone3 must fail with ENOSYS; exit 0
 *            open, open-legacy, exec, execveat, ptrace, ptrace-attach,
 *            socket-inet, socket-inet6, socket-unix, socket-netlink,
 *            socket-packet, fork, vfork, process-vm, kill-other, unlink-cwd,
 *            mmap-exec, mprotect-exec
 *                      forbidden: the process must die of SIGSYS (or exit
 *                      159 in a SANDBOX_DEBUG=1 build); if the call returns,
 *                      the probe says so and exits 1
 *            path-*    a file-path escape (see probe_paths[]: absolute paths,
 *                      `..`, symlinks out, the PIN files, the vault's
 *                      database from hsmd, writes, unlinks and renames out)
 *                      through a call and base the filter lets through: exit
 *                      0 if the kernel refused it (EACCES, EPERM, EXDEV), 1 if
 *                      it was not refused, 3 on any other error (the fixture
 *                      is wrong). DIR must hold the fixture t_sandbox.sh makes,
 *                      with DIR/../outside beside it.
 *   --allow-unconfined  as sandbox_unconfined_paths = 1: without Landlock,
 *                      run unconfined instead of refusing (the control)
 *   --kind   print the sandbox implementation (seccomp, null ...) and exit
 *
 * Exit 2: usage; 3: the set-up before the sandbox failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sandbox.h"

#define PROBE_NOT_REFUSED 1
#define PROBE_USAGE 2
#define PROBE_SETUP 3

struct probe {
	enum sandbox_profile profile;
	int dirfd;          /* vault: DIR; hsmd: DIR/tokens (O_PATH) */
	pid_t child;
	char out[PATH_MAX]; /* DIR/../outside, absolute */
	char dir[PATH_MAX]; /* DIR, absolute */
	int unconfined_ok;
};

enum probe_op { P_OPEN, P_UNLINKAT, P_UNLINK, P_RENAMEAT };

/*
 * One path escape. Paths are relative to the probe's dirfd unless absolute;
 * "@OUT@" and "@DIR@" at the start stand for the outside directory and DIR.
 * Only calls the profile's filter lets through: the vault may use its
 * state-directory fd as a base and unlink(2) any path; bos-hsmd may openat
 * anything (SoftHSM opens by absolute path) but not unlink or rename.
 */
struct path_probe {
	enum sandbox_profile profile;
	const char *name;
	enum probe_op op;
	const char *a, *b;
	int flags;
};

#define P_RD (O_RDONLY | O_CLOEXEC)
#define P_WR (O_WRONLY | O_CLOEXEC)
#define P_NEW (O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC)

static const struct path_probe probe_paths[] = {
	{ SANDBOX_VAULT, "path-abs-read", P_OPEN, "/etc/hostname", NULL, P_RD },
	{ SANDBOX_VAULT, "path-dotdot-read", P_OPEN, "../outside/secret", NULL, P_RD },
	{ SANDBOX_VAULT, "path-symlink-read", P_OPEN, "out-link", NULL, P_RD },
	{ SANDBOX_VAULT, "path-pin-read", P_OPEN, "hsm-pin", NULL, P_RD },
	{ SANDBOX_VAULT, "path-so-pin-read", P_OPEN, "hsm-so-pin", NULL, P_RD },
	{ SANDBOX_VAULT, "path-token-read", P_OPEN, "tokens/tok.object", NULL, P_RD },
	{ SANDBOX_VAULT, "path-abs-write", P_OPEN, "@OUT@/new-abs", NULL, P_NEW },
	{ SANDBOX_VAULT, "path-dotdot-write", P_OPEN, "../outside/new-dotdot", NULL, P_NEW },
	{ SANDBOX_VAULT, "path-symlink-write", P_OPEN, "out-link", NULL, P_WR },
	{ SANDBOX_VAULT, "path-dotdot-unlink", P_UNLINKAT, "../outside/victim", NULL, 0 },
	{ SANDBOX_VAULT, "path-abs-unlink", P_UNLINK, "@OUT@/victim", NULL, 0 },
	{ SANDBOX_VAULT, "path-rename-out", P_RENAMEAT, "movable", "../outside/moved", 0 },
	{ SANDBOX_VAULT, "path-rename-in", P_RENAMEAT, "../outside/victim", "stolen", 0 },
	{ SANDBOX_HSMD, "path-abs-read", P_OPEN, "/etc/hostname", NULL, P_RD },
	{ SANDBOX_HSMD, "path-dotdot-read", P_OPEN, "../../outside/secret", NULL, P_RD },
	{ SANDBOX_HSMD, "path-db-read", P_OPEN, "../bos.db", NULL, P_RD },
	{ SANDBOX_HSMD, "path-dbkey-read", P_OPEN, "@DIR@/db.key", NULL, P_RD },
	{ SANDBOX_HSMD, "path-pin-read", P_OPEN, "../hsm-pin", NULL, P_RD },
	{ SANDBOX_HSMD, "path-symlink-read", P_OPEN, "out-link", NULL, P_RD },
	{ SANDBOX_HSMD, "path-abs-write", P_OPEN, "@OUT@/new-abs", NULL, P_NEW },
	{ SANDBOX_HSMD, "path-token-write", P_OPEN, "tok.object", NULL, P_WR },
	{ SANDBOX_HSMD, "path-token-create", P_OPEN, "new.object", NULL, P_NEW },
};

static int
probe_returned(const char *what, long rc)
{
	fprintf(stderr, "sandbox_probe: %s was not refused (returned %ld, %s)\n", what, rc,
	    rc < 0 ? strerror(errno) : "no error");
	return PROBE_NOT_REFUSED;
}

static void *
probe_thread(void *arg)
{
	return arg;
}

/* What the vault profile must allow: the audit head's file operations. */
static int
probe_ok_vault(const struct probe *p)
{
	int fd, status;

	(void)unlinkat(p->dirfd, "probe.tmp", 0);
	fd = openat(p->dirfd, "probe.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0 || write(fd, "x\n", 2) != 2 || fsync(fd) != 0 || close(fd) != 0 ||
	    renameat(p->dirfd, "probe.tmp", p->dirfd, "probe") != 0 || fsync(p->dirfd) != 0 ||
	    unlinkat(p->dirfd, "probe", 0) != 0) {
		perror("sandbox_probe: head-file operations relative to the directory fd");
		return 1;
	}
	if (kill(p->child, SIGKILL) != 0 || waitpid(p->child, &status, 0) != p->child) {
		perror("sandbox_probe: kill and reap of the child");
		return 1;
	}
	return 0;
}

static int
probe_ok_read(int dirfd, const char *name)
{
	char c;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC), ok;

	ok = fd >= 0 && read(fd, &c, 1) >= 0;
	if (!ok)
		fprintf(stderr, "sandbox_probe: cannot read %s: %s\n", name, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

static int
probe_ok(const struct probe *p)
{
	pthread_t t;
	int token = 0;
	void *ret = NULL;

	if (pthread_create(&t, NULL, probe_thread, &token) != 0 ||
	    pthread_join(t, &ret) != 0 || ret != &token) {
		fprintf(stderr, "sandbox_probe: a thread could not be started\n");
		return 1;
	}
	if (p->profile == SANDBOX_VAULT && probe_ok_vault(p) != 0)
		return 1;
	/* bos-hsmd serving: SoftHSM re-reads its object files. */
	if (p->profile == SANDBOX_HSMD && p->dirfd >= 0 && !probe_ok_read(p->dirfd, "tok.object"))
		return 1;
	/* A log line after the filter, as log.c writes it (t_sandbox sends stderr to /dev/null). */
	if (dprintf(STDERR_FILENO, "sandbox_probe: a log line after the filter\n") < 0)
		return 1;
	printf("ok\npaths: %s\n", sandbox_paths_kind());
	return 0;
}

static int
probe_clone3(void)
{
	struct clone_args ca;
	long rc;

	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	rc = syscall(SYS_clone3, &ca, sizeof(ca));
	if (rc == 0)
		_exit(0);    /* a child: clone3 was not refused */
	if (rc < 0 && errno == ENOSYS) {
		printf("ok\n");
		return 0;
	}
	return probe_returned("clone3 (expected ENOSYS)", rc);
}

static int
probe_socket(const char *action)
{
	static const struct { const char *name; int domain, type; } s[] = {
		{ "socket-inet", AF_INET, SOCK_STREAM },
		{ "socket-inet6", AF_INET6, SOCK_DGRAM },
		{ "socket-unix", AF_UNIX, SOCK_STREAM },
		{ "socket-netlink", AF_NETLINK, SOCK_RAW },
		{ "socket-packet", AF_PACKET, SOCK_RAW },
	};
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (strcmp(action, s[i].name) == 0)
			return probe_returned(action, socket(s[i].domain, s[i].type, 0));
	return -1;
}

/* "@OUT@/x" and "@DIR@/x" made absolute; anything else as it is. */
static const char *
probe_expand(const struct probe *p, const char *in, char *buf, size_t cap)
{
	const char *root = strncmp(in, "@OUT@", 5) == 0 ? p->out :
	    strncmp(in, "@DIR@", 5) == 0 ? p->dir : NULL;

	if (root == NULL)
		return in;
	if ((size_t)snprintf(buf, cap, "%s%s", root, in + 5) >= cap)
		return NULL;
	return buf;
}

static long
probe_path_call(const struct probe *p, const struct path_probe *pp)
{
	char a[PATH_MAX], b[PATH_MAX];
	const char *pa = probe_expand(p, pp->a, a, sizeof(a));
	const char *pb = pp->b != NULL ? probe_expand(p, pp->b, b, sizeof(b)) : NULL;

	if (pa == NULL || (pp->b != NULL && pb == NULL)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	switch (pp->op) {
	case P_OPEN: return openat(p->dirfd, pa, pp->flags, 0600);
	case P_UNLINKAT: return unlinkat(p->dirfd, pa, 0);
	case P_UNLINK: return unlink(pa);
	case P_RENAMEAT: return renameat(p->dirfd, pa, p->dirfd, pb);
	}
	errno = EINVAL;
	return -1;
}

/* A path escape: 0 refused by the kernel, 1 not refused, 3 the fixture is wrong; -1 unknown. */
static int
probe_path(const struct probe *p, const char *action)
{
	const struct path_probe *pp = NULL;
	size_t i;
	long rc;

	for (i = 0; i < sizeof(probe_paths) / sizeof(probe_paths[0]); i++)
		if (probe_paths[i].profile == p->profile && strcmp(probe_paths[i].name, action) == 0)
			pp = &probe_paths[i];
	if (pp == NULL)
		return -1;
	if ((rc = probe_path_call(p, pp)) >= 0)
		return probe_returned(action, rc);
	if (errno == EACCES || errno == EPERM || errno == EXDEV) {
		printf("refused: %s: %s\n", action, strerror(errno));
		return 0;
	}
	fprintf(stderr, "sandbox_probe: %s failed with %s, not a refusal: is the fixture "
	    "there?\n", action, strerror(errno));
	return PROBE_SETUP;
}

/* The forbidden classes; each returns only if the call was not refused. */
static int
probe_forbidden(const struct probe *p, const char *action)
{
	static char *const argv[] = { "/bin/true", NULL };
	static char *const envp[] = { NULL };
	char buf[8];
	struct iovec lio = { buf, sizeof(buf) }, rio = { buf, sizeof(buf) };
	void *buf_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r;

	if (strcmp(action, "open") == 0)
		return probe_returned(action, openat(AT_FDCWD, "/etc/hostname", O_RDONLY));
	if (strcmp(action, "open-legacy") == 0)
		return probe_returned(action, syscall(SYS_open, "/etc/hostname", O_RDONLY));
	if (strcmp(action, "exec") == 0)
		return probe_returned(action, execve(argv[0], argv, envp));
	if (strcmp(action, "execveat") == 0)
		return probe_returned(action, syscall(SYS_execveat, AT_FDCWD, argv[0], argv, envp, 0));
	if (strcmp(action, "ptrace") == 0)
		return probe_returned(action, ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	if (strcmp(action, "ptrace-attach") == 0)
		return probe_returned(action, ptrace(PTRACE_ATTACH, getppid(), NULL, NULL));
	if (strcmp(action, "fork") == 0) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		return probe_returned(action, pid);
	}
	if (strcmp(action, "vfork") == 0)
		return probe_returned(action, syscall(SYS_vfork));
	if (strcmp(action, "process-vm") == 0)
		return probe_returned(action, process_vm_readv(getppid(), &lio, 1, &rio, 1, 0));
	if (strcmp(action, "kill-other") == 0)
		return probe_returned(action, kill(getppid(), 0));
	if (strcmp(action, "mmap-exec") == 0)
		return probe_returned(action, mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
	if (strcmp(action, "mprotect-exec") == 0)
		return probe_returned(action, mprotect(buf_page, 4096, PROT_READ | PROT_EXEC));
	if (strcmp(action, "unlink-cwd") == 0)
		return probe_returned(action, unlinkat(AT_FDCWD, "sandbox-probe-missing", 0));
	if ((r = probe_socket(action)) >= 0 || (r = probe_path(p, action)) >= 0)
		return r;
	fprintf(stderr, "sandbox_probe: unknown action %s\n", action);
	return PROBE_USAGE;
}

/* DIR and DIR/../outside, absolute: the probes' "@DIR@" and "@OUT@". */
static int
probe_dirs(struct probe *p, const char *dir)
{
	char *slash;

	if (realpath(dir, p->dir) == NULL)
		return -1;
	memcpy(p->out, p->dir, sizeof(p->out));
	if ((slash = strrchr(p->out, '/')) == NULL ||
	    (size_t)snprintf(slash, sizeof(p->out) - (size_t)(slash - p->out), "/outside") >=
	    sizeof(p->out) - (size_t)(slash - p->out))
		return -1;
	return 0;
}

/* bos-hsmd: SoftHSM's token directory DIR/tokens, if there is a DIR. */
static int
probe_setup_hsmd(struct probe *p, const char *dir)
{
	char tokens[PATH_MAX];

	if (dir == NULL)
		return 0;
	if (probe_dirs(p, dir) != 0 ||
	    (size_t)snprintf(tokens, sizeof(tokens), "%s/tokens", p->dir) >= sizeof(tokens) ||
	    (p->dirfd = open(tokens, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "sandbox_probe: %s/tokens: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Before the sandbox, as the daemons do at start: the directory fd, a child. */
static int
probe_setup(struct probe *p, const char *dir)
{
	int pfd[2];
	char c;

	if (p->profile != SANDBOX_VAULT)
		return probe_setup_hsmd(p, dir);
	if (dir == NULL || probe_dirs(p, dir) != 0 ||
	    (p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "sandbox_probe: the vault profile needs a directory: %s\n",
		    dir != NULL ? strerror(errno) : "none given");
		return -1;
	}
	/* The child (bos-hsmd's stand-in) lives until the probe dies: EOF on the pipe. */
	if (pipe2(pfd, O_CLOEXEC) != 0 || (p->child = fork()) < 0)
		return -1;
	if (p->child == 0) {
		close(pfd[1]);
		while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(pfd[0]);
	return 0;
}

static int
probe_act(const struct probe *p, const char *action)
{
	/* stdout is a pipe or file the test reads: flushed by exit_group's path, allowed. */
	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(action, "ok") == 0)
		return probe_ok(p);
	if (strcmp(action, "clone3") == 0)
		return probe_clone3();
	return probe_forbidden(p, action);
}

/* The vault's connection threads: started after the paths, acting after the filter. */
struct probe_worker {
	const struct probe *p;
	const char *action;
	int go[2];
	int rc;
};

static void *
probe_worker_main(void *arg)
{
	struct probe_worker *w = arg;
	char c;

	while (read(w->go[0], &c, 1) < 0 && errno == EINTR)
		;
	w->rc = probe_act(w->p, w->action);
	return NULL;
}

/* As bos-vaultd: paths on the one thread, a thread, the filter (TSYNC), then work. */
static int
probe_enter_vault(const struct probe *p, const struct sandbox_args *sa, const char *action)
{
	struct probe_worker w = { p, action, { -1, -1 }, PROBE_SETUP };
	struct bos_err err;
	pthread_t t;

	bos_err_clear(&err);
	if (sandbox_enter_paths(SANDBOX_VAULT, sa, &err) != 0 || pipe2(w.go, O_CLOEXEC) != 0 ||
	    pthread_create(&t, NULL, probe_worker_main, &w) != 0) {
		fprintf(stderr, "sandbox_probe: %s\n", err.msg[0] ? err.msg : strerror(errno));
		return PROBE_SETUP;
	}
	if (sandbox_enter(SANDBOX_VAULT, sa, &err) != 0) {
		fprintf(stderr, "sandbox_probe: %s\n", err.msg);
		return PROBE_SETUP;
	}
	if (write(w.go[1], "g", 1) != 1 || pthread_join(t, NULL) != 0)
		return PROBE_SETUP;
	return w.rc;
}

int
main(int argc, char **argv)
{
	struct probe p;
	struct sandbox_args sa;
	struct bos_err err;

	memset(&p, 0, sizeof(p));
	p.dirfd = -1;
	if (argc == 2 && strcmp(argv[1], "--kind") == 0) {
		printf("%s\n", sandbox_kind());
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--allow-unconfined") == 0) {
		p.unconfined_ok = 1;
		argc--;
		argv++;
	}
	if (argc < 3 || argc > 4 || (strcmp(argv[1], "vault") != 0 && strcmp(argv[1], "hsmd") != 0)) {
		fprintf(stderr, "usage: sandbox_probe [--allow-unconfined] vault|hsmd ACTION [DIR] | "
		    "--kind\n");
		return PROBE_USAGE;
	}
	p.profile = strcmp(argv[1], "vault") == 0 ? SANDBOX_VAULT : SANDBOX_HSMD;
	if (probe_setup(&p, argc == 4 ? argv[3] : NULL) != 0)
		return PROBE_SETUP;
	/* The daemons' own rights (sandbox.h), on the probe's directory. */
	memset(&sa, 0, sizeof(sa));
	sa.dirfd = p.dirfd;
	sa.child = p.child;
	sa.paths[0].fd = p.dirfd;
	sa.paths[0].access = p.profile == SANDBOX_VAULT ? SANDBOX_VAULT_STATE_ACCESS :
	    SANDBOX_HSMD_TOKENS_SERVE;
	sa.npaths = p.dirfd >= 0 ? 1 : 0;
	sa.unconfined_ok = p.unconfined_ok;
	if (p.profile == SANDBOX_VAULT)
		return probe_enter_vault(&p, &sa, argv[2]);
	bos_err_clear(&err);
	if (sandbox_enter(p.profile, &sa, &err) != 0) {
		fprintf(stderr, "sandbox_probe: %s\n", err.msg);
		return PROBE_SETUP;
	}
	return probe_act(&p, argv[2]);
}
