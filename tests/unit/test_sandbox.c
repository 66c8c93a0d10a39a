/*
 * Unit tests: sandbox/ (the interface; the per-class kill trials and the real
 * daemons are in tests/integration/t_sandbox.sh). Each filter is entered in
 * a forked child, so the test process itself stays unconfined. In sanitizer
 * builds the null sandbox is linked: the filter tests are skipped there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "sandbox.h"

#define CHILD_OK 0
#define CHILD_FAIL 1

static int
is_null(void)
{
	return strcmp(sandbox_kind(), "null") == 0;
}

/* Run fn in a child inside profile p; returns the child's wait status. */
static int
in_child(enum sandbox_profile p, int (*fn)(void))
{
	struct sandbox_args a;
	struct bos_err err;
	int status = 0;
	pid_t pid;

	memset(&a, 0, sizeof(a));
	a.dirfd = -1;
	if (p == SANDBOX_VAULT) {
		a.dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		a.child = getppid();   /* any pid: the test does not kill it */
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (sandbox_enter(p, &a, &err) != 0)
			_exit(CHILD_FAIL);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (a.dirfd >= 0)
		close(a.dirfd);
	return status;
}

static int
do_nothing(void)
{
	return CHILD_OK;
}

static int
do_clone3(void)
{
	long rc = syscall(SYS_clone3, NULL, 0);

	return rc < 0 && errno == ENOSYS ? CHILD_OK : CHILD_FAIL;
}

static int
do_exec(void)
{
	static char *const argv[] = { "/bin/true", NULL };

	execve(argv[0], argv, argv + 1);
	return CHILD_FAIL;
}

static int
do_filter_mode(void)
{
	/* PR_GET_SECCOMP is not in any allow-list: asking kills in filter mode. */
	return (int)prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
}

static int
killed_by_sigsys(int status)
{
	/* SANDBOX_DEBUG=1 builds exit 128 + SIGSYS after naming the call. */
	return (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGSYS);
}

/* The value of "Key:" in /proc/PID/FILE, as text (the rest of the line). */
static void
proc_field(pid_t pid, const char *file, const char *key, char *out, size_t cap)
{
	char path[64], line[256];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	assert_non_null(f = fopen(path, "re"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(out, cap, "%s", line + strlen(key));
			break;
		}
	fclose(f);
}

/* Looked at from outside: the child in the sandbox waits on a pipe meanwhile. */
static void
check_from_outside(enum sandbox_profile p)
{
	struct sandbox_args a;
	struct bos_err err;
	char v[128], go;
	int pfd[2], rfd[2], status;
	pid_t pid;

	memset(&a, 0, sizeof(a));
	a.dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	a.child = getpid();

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pipe(rfd), 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		close(pfd[1]);
		close(rfd[0]);
		go = sandbox_enter(p, &a, &err) == 0 ? 'y' : 'n';
		if (write(rfd[1], &go, 1) != 1 || read(pfd[0], &go, 1) != 0)
			_exit(CHILD_FAIL);
		_exit(CHILD_OK);
	}
	close(pfd[0]);
	close(rfd[1]);
	assert_int_equal(read(rfd[0], &go, 1), 1);
	assert_int_equal(go, 'y');
	proc_field(pid, "status", "NoNewPrivs:", v, sizeof(v));
	assert_int_equal(strtol(v, NULL, 10), 1);
	proc_field(pid, "status", "Seccomp:", v, sizeof(v));
	assert_int_equal(strtol(v, NULL, 10), is_null() ? 0 : 2);
	proc_field(pid, "limits", "Max core file size", v, sizeof(v));
	assert_non_null(strstr(v, " 0 "));
	close(pfd[1]);
	close(rfd[0]);
	close(a.dirfd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OK);
}

static void
test_limits_and_mode_every_kind(void **state)
{
	(void)state;
	check_from_outside(SANDBOX_HSMD);
	check_from_outside(SANDBOX_VAULT);
}

static void
test_bad_arguments_install_nothing(void **state)
{
	struct sandbox_args none;
	struct bos_err err;

	(void)state;
	memset(&none, 0, sizeof(none));
	none.dirfd = -1;
	if (is_null())
		skip();
	/* Refused before anything is loaded: the test process stays unfiltered. */
	assert_int_equal(sandbox_enter(SANDBOX_VAULT, &none, &err), -1);
	assert_non_null(strstr(err.msg, "descriptor"));
	assert_int_equal(sandbox_enter((enum sandbox_profile)42, NULL, &err), -1);
	assert_int_equal(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
}

static void
test_clone3_enosys_and_exec_killed(void **state)
{
	(void)state;
	if (is_null())
		skip();
	assert_int_equal(in_child(SANDBOX_HSMD, do_nothing), 0);
	assert_int_equal(in_child(SANDBOX_HSMD, do_clone3), 0);
	assert_int_equal(in_child(SANDBOX_VAULT, do_clone3), 0);
	assert_true(killed_by_sigsys(in_child(SANDBOX_HSMD, do_exec)));
	assert_true(killed_by_sigsys(in_child(SANDBOX_VAULT, do_exec)));
	assert_true(killed_by_sigsys(in_child(SANDBOX_VAULT, do_filter_mode)));
}

/* An absolute path, as the reviewers' probe read /etc/hostname (B1). */
static int
do_open_etc(void)
{
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

	return fd < 0 && errno == EACCES && strncmp(sandbox_paths_kind(), "landlock ABI ", 13) == 0 ?
	    CHILD_OK : CHILD_FAIL;
}

/* bos-hsmd with no path rules (a module other than SoftHSM): every open is refused. */
static void
test_paths_hsmd_refuses_absolute(void **state)
{
	(void)state;
	if (is_null())
		skip();
	assert_int_equal(in_child(SANDBOX_HSMD, do_open_etc), 0);
}

static void *
park(void *arg)
{
	pause();
	return arg;
}

/*
 * Landlock reaches only the calling thread: with a second thread running,
 * sandbox_enter_paths must refuse and install nothing, rather than leave
 * that thread free.
 */
static void
test_paths_refused_with_two_threads(void **state)
{
	struct sandbox_args a;
	struct bos_err err;
	pthread_t t;
	int status = 0, fd;
	pid_t pid;

	(void)state;
	if (is_null())
		skip();
	memset(&a, 0, sizeof(a));
	a.dirfd = -1;
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		if (pthread_create(&t, NULL, park, NULL) != 0 ||
		    sandbox_enter_paths(SANDBOX_HSMD, &a, &err) != -1 ||
		    strstr(err.msg, "one thread") == NULL || sandbox_paths_confined())
			_exit(CHILD_FAIL);
		fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
		_exit(fd >= 0 ? CHILD_OK : CHILD_FAIL);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OK);
}

/*
 * The vault's rights on its state directory (SANDBOX_VAULT_STATE_ACCESS):
 * create, write, rename and remove files there, read none, reach nothing
 * outside. Paths only, no filter, so that plain calls can be tried.
 */
static void
test_paths_vault_rights(void **state)
{
	char dir[] = "/tmp/bos-test-sandbox.XXXXXX", pin[64];
	struct sandbox_args a;
	struct bos_err err;
	int status = 0, dfd, fd, ok;
	pid_t pid;

	(void)state;
	if (is_null())
		skip();
	assert_non_null(mkdtemp(dir));
	assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	assert_true((fd = openat(dfd, "hsm-pin", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0);
	assert_int_equal(write(fd, "1234\n", 5), 5);
	close(fd);
	memset(&a, 0, sizeof(a));
	a.dirfd = dfd;
	a.paths[0].fd = dfd;
	a.paths[0].access = SANDBOX_VAULT_STATE_ACCESS;
	a.npaths = 1;
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		if (sandbox_enter_paths(SANDBOX_VAULT, &a, &err) != 0)
			_exit(CHILD_FAIL);
		fd = openat(dfd, "audit.head.tmp", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		ok = fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0 &&
		    renameat(dfd, "audit.head.tmp", dfd, "audit.head") == 0 &&
		    unlinkat(dfd, "audit.head", 0) == 0 &&
		    openat(dfd, "hsm-pin", O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES &&
		    openat(dfd, "../", O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES &&
		    open("/etc/hostname", O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES &&
		    mkdirat(dfd, "sub", 0700) < 0 && errno == EACCES;
		_exit(ok ? CHILD_OK : CHILD_FAIL);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OK);
	snprintf(pin, sizeof(pin), "%s/hsm-pin", dir);
	assert_int_equal(unlink(pin), 0);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_and_mode_every_kind),
		cmocka_unit_test(test_bad_arguments_install_nothing),
		cmocka_unit_test(test_clone3_enosys_and_exec_killed),
		cmocka_unit_test(test_paths_hsmd_refuses_absolute),
		cmocka_unit_test(test_paths_refused_with_two_threads),
		cmocka_unit_test(test_paths_vault_rights),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
