/*
 * sandbox_probe PROFILE ACTION [DIR]: enter a sandbox profile as bos-vaultd
 * or bos-hsmd would, then try one thing (tests/integration/t_sandbox.sh).
 *
 *   PROFILE  vault (DIR is the "state directory": its fd is the one openat
 *            base the profile allows) or hsmd
 *   ACTION   ok        what the profile allows: a thread, openat/renameat/
 *                      unlinkat in DIR and fsync of it (vault), kill and reap
 *                      of the one child (vault); exit 0
 *            clone3    clone3 must fail with ENOSYS; exit 0
 *            open, open-legacy, exec, execveat, ptrace, ptrace-attach,
 *            socket-inet, socket-inet6, socket-unix, socket-netlink,
 *            socket-packet, fork, vfork, process-vm, kill-other, unlink-cwd,
 *            mmap-exec, mprotect-exec
 *                      forbidden: the process must die of SIGSYS (or exit
 *                      159 in a SANDBOX_DEBUG=1 build); if the call returns,
 *                      the probe says so and exits 1
 *   --kind   print the sandbox implementation (seccomp, null ...) and exit
 *
 * Exit 2: usage; 3: the set-up before the sandbox failed.
 */
#include <errno.h>
#include <fcntl.h>
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
	int dirfd;
	pid_t child;
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
	printf("ok\n");
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
	if ((r = probe_socket(action)) >= 0)
		return r;
	(void)p;
	fprintf(stderr, "sandbox_probe: unknown action %s\n", action);
	return PROBE_USAGE;
}

/* Before the sandbox, as the daemons do at start: the directory fd, a child. */
static int
probe_setup(struct probe *p, const char *dir)
{
	int pfd[2];
	char c;

	if (p->profile != SANDBOX_VAULT)
		return 0;
	if (dir == NULL || (p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
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

int
main(int argc, char **argv)
{
	struct probe p = { SANDBOX_HSMD, -1, 0 };
	struct sandbox_args sa;
	struct bos_err err;

	if (argc == 2 && strcmp(argv[1], "--kind") == 0) {
		printf("%s\n", sandbox_kind());
		return 0;
	}
	if (argc < 3 || argc > 4 || (strcmp(argv[1], "vault") != 0 && strcmp(argv[1], "hsmd") != 0)) {
		fprintf(stderr, "usage: sandbox_probe vault|hsmd ACTION [DIR] | --kind\n");
		return PROBE_USAGE;
	}
	p.profile = strcmp(argv[1], "vault") == 0 ? SANDBOX_VAULT : SANDBOX_HSMD;
	if (probe_setup(&p, argc == 4 ? argv[3] : NULL) != 0)
		return PROBE_SETUP;
	sa.dirfd = p.dirfd;
	sa.child = p.child;
	bos_err_clear(&err);
	if (sandbox_enter(p.profile, &sa, &err) != 0) {
		fprintf(stderr, "sandbox_probe: %s\n", err.msg);
		return PROBE_SETUP;
	}
	/* stdout is a pipe or file the test reads: flushed by exit_group's path, allowed. */
	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(argv[2], "ok") == 0)
		return probe_ok(&p);
	if (strcmp(argv[2], "clone3") == 0)
		return probe_clone3();
	return probe_forbidden(&p, argv[2]);
}
