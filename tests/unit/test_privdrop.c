/*
 * Unit tests: common/privdrop.c. The drop itself needs root: each case runs
 * in a forked child (the drop cannot be undone), which reports what it saw
 * through its exit status. Not root: those cases are skipped with a message
 * and only the no-op case runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "err.h"
#include "privdrop.h"

/* Debian's group for "nobody" is nogroup; other systems call it nobody. */
static const char *
nobody_group(void)
{
	return getgrnam("nogroup") != NULL ? "nogroup" : "nobody";
}

static int
need_root(void)
{
	if (geteuid() == 0)
		return 1;
	printf("# skipped: test_privdrop needs root to drop privileges (CI runs as root)\n");
	return 0;
}

/* Run fn in a child; returns its exit status (or 200 + signal). */
static int
in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + WTERMSIG(st);
}

/* Drop to nobody; each failed check has its own exit code. */
static int
child_drop_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam(nobody_group());
	struct bos_err err;
	uid_t u = pw->pw_uid, ru, eu, su;
	gid_t g = gr->gr_gid, rg, eg, sg;

	bos_err_clear(&err);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 1;
	if (privdrop_to("nobody", nobody_group(), &err) != 0) {
		fprintf(stderr, "privdrop_to: %s\n", err.msg);
		return 2;
	}
	if (getresuid(&ru, &eu, &su) != 0 || ru != u || eu != u || su != u)
		return 3;
	if (getresgid(&rg, &eg, &sg) != 0 || rg != g || eg != g || sg != g)
		return 4;
	if (getgroups(0, NULL) != 0)
		return 5;
	if (setuid(0) == 0 || errno != EPERM)
		return 6;
	if (seteuid(0) == 0 || setreuid(0, 0) == 0 || setresuid(0, 0, 0) == 0)
		return 7;
	if (setgid(0) == 0 || setgroups(0, NULL) == 0)
		return 8;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 9;   /* still undumpable */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 10;
	if (privdrop_is_root())
		return 11;
	/* A second call is the no-op of a process that is not root. */
	if (privdrop_to("root", NULL, &err) != 0)
		return 12;
	return 0;
}

static void
test_drop_to_nobody(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	assert_non_null(getpwnam("nobody"));
	assert_int_equal(in_child(child_drop_nobody), 0);
}

/* Without a group the user's primary group is taken. */
static int
child_drop_primary_group(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct bos_err err;

	if (privdrop_to("nobody", NULL, &err) != 0)
		return 1;
	return getgid() == pw->pw_gid && getegid() == pw->pw_gid ? 0 : 2;
}

static void
test_primary_group(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(in_child(child_drop_primary_group), 0);
}

/* A refusal changes nothing: the child is still root afterwards. */
static int
child_refusals(void)
{
	struct bos_err err;

	bos_err_clear(&err);
	if (privdrop_to(NULL, NULL, &err) == 0 || err.code != BOS_E_CONFIG ||
	    strstr(err.msg, "refusing to run as root") == NULL)
		return 1;
	if (privdrop_to("", "nogroup", &err) == 0)
		return 2;
	if (privdrop_to("root", NULL, &err) == 0 || strstr(err.msg, "root is not a drop") == NULL)
		return 3;
	if (privdrop_to("nobody", "root", &err) == 0)
		return 4;
	if (privdrop_to("bos-no-such-user", NULL, &err) == 0 || err.code != BOS_E_CONFIG ||
	    strstr(err.msg, "no user 'bos-no-such-user'") == NULL)
		return 5;
	if (privdrop_to("nobody", "bos-no-such-group", &err) == 0 ||
	    strstr(err.msg, "no group 'bos-no-such-group'") == NULL)
		return 6;
	if (geteuid() != 0 || getuid() != 0 || getegid() != 0 || !privdrop_is_root())
		return 7;
	return 0;
}

static void
test_refusals_change_nothing(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(in_child(child_refusals), 0);
}

/* Not root: nothing to drop, nothing checked, nothing changed. */
static void
test_noop_when_not_root(void **state)
{
	struct bos_err err;
	uid_t u = getuid();
	gid_t g = getgid();

	(void)state;
	if (geteuid() == 0) {
		/* As root, show the same in a child that dropped first. */
		assert_int_equal(in_child(child_drop_nobody), 0);
		return;
	}
	bos_err_clear(&err);
	assert_int_equal(privdrop_to("nobody", NULL, &err), 0);
	assert_int_equal(privdrop_to(NULL, NULL, &err), 0);
	assert_int_equal(getuid(), u);
	assert_int_equal(getgid(), g);
	assert_false(privdrop_is_root());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_to_nobody),
		cmocka_unit_test(test_primary_group),
		cmocka_unit_test(test_refusals_change_nothing),
		cmocka_unit_test(test_noop_when_not_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
