/* Unit tests: common/secmem.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "secmem.h"

/* Is addr locked in memory? Read the "Locked" line of its mapping in smaps. */
static long __attribute__((unused))
locked_kb_of(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	unsigned long lo, hi, a = (unsigned long)(uintptr_t)addr;
	long kb = -1;
	int in = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = a >= lo && a < hi;
		else if (in && sscanf(line, "Locked: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* VmFlags of the mapping holding addr contain flag ("dd" = don't dump). */
static int
has_vmflag(const void *addr, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long lo, hi, a = (unsigned long)(uintptr_t)addr;
	int in = 0, found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = a >= lo && a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) { /* not secret */
			char pat[8];

			(void)snprintf(pat, sizeof(pat), " %s", flag);
			found = strstr(line, pat) != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

static void
test_alloc_locked_and_not_dumped(void **state)
{
	uint8_t *p;

	(void)state;
	p = secmem_alloc(100);
	assert_non_null(p);
	memset(p, 0xab, 100);
#ifndef __SANITIZE_ADDRESS__
	/* ASan intercepts mlock() and makes it a no-op, so only check without it. */
	assert_true(locked_kb_of(p) > 0);
#endif
	assert_true(has_vmflag(p, "dd"));
	assert_true(has_vmflag(p, "wf")); /* wipe on fork */
	secmem_free(p, 100);
	assert_null(secmem_alloc(0));
	assert_null(secmem_alloc(SIZE_MAX));
}

static void
test_guard_pages(void **state)
{
	uint8_t *p = secmem_alloc(10);
	pid_t pid;
	int st;

	(void)state;
	assert_non_null(p);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		volatile uint8_t *q = p;

		signal(SIGSEGV, SIG_DFL); /* sanitizers install their own handler */
		(void)q[-1]; /* the guard page before: must fault */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	secmem_free(p, 10);
}

static void
test_wipe_on_fork(void **state)
{
	uint8_t *p = secmem_alloc(32);
	pid_t pid;
	int st;

	(void)state;
	assert_non_null(p);
	memset(p, 0x5a, 32);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(p[0] == 0 && p[31] == 0 ? 0 : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(p[0], 0x5a);
	secmem_free(p, 32);
}

static void
test_harden_process(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;

		if (secmem_harden_process() != 0)
			_exit(1);
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(2);
		if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
			_exit(3);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_equal_and_wipe(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	memset(a, 1, sizeof(a));
	memset(b, 1, sizeof(b));
	assert_true(secmem_equal(a, b, sizeof(a)));
	b[15] ^= 1;
	assert_false(secmem_equal(a, b, sizeof(a)));
	secmem_wipe(a, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));
}

/*
 * free() wipes the whole block (common/secmem.c). Looking at a freed block
 * is undefined behaviour in C, but it is exactly what an attacker reading
 * the heap does; glibc keeps a 4 KiB block mapped in a bin, and only its
 * first words hold the bin's pointers. Not under ASan, which owns free().
 */
static void
test_free_wipes(void **state)
{
	volatile uintptr_t addr;
	const volatile uint8_t *v;
	volatile uint8_t *w;
	uint8_t *p;
	void *after;
	size_t i, n = 4096, nonzero = 0;

	(void)state;
#ifdef __SANITIZE_ADDRESS__
	skip();
#endif
	p = malloc(n);
	after = malloc(64);     /* keeps p out of the top chunk, where it would be merged */
	assert_non_null(p);
	assert_non_null(after);
	/* Volatile stores: a memset just before free() is a dead store the compiler drops. */
	for (w = p, i = 0; i < n; i++)
		w[i] = 0xA5;
	addr = (uintptr_t)p;    /* hidden from the compiler's use-after-free check on purpose */
	free(p);
	free(after);
	v = (const volatile uint8_t *)addr;
	for (i = 64; i < n; i++)
		nonzero += v[i] != 0;
	assert_int_equal(nonzero, 0);
}

/* realloc() keeps the contents when it moves or shrinks a block. */
static void
test_realloc_keeps_contents(void **state)
{
	volatile size_t huge = SIZE_MAX;
	uint8_t *p, *q;
	size_t i;

	(void)state;
	p = malloc(100);
	assert_non_null(p);
	for (i = 0; i < 100; i++)
		p[i] = (uint8_t)i;
	q = realloc(p, 5000);
	assert_non_null(q);
	for (i = 0; i < 100; i++)
		assert_int_equal(q[i], (uint8_t)i);
	p = realloc(q, 60);
	assert_non_null(p);
	for (i = 0; i < 60; i++)
		assert_int_equal(p[i], (uint8_t)i);
	q = reallocarray(p, 2, 40);
	assert_non_null(q);
	for (i = 0; i < 60; i++)
		assert_int_equal(q[i], (uint8_t)i);
	free(q);
#ifndef __SANITIZE_ADDRESS__
	/* An overflowing count fails before it touches the block (NULL is a fresh one). */
	assert_null(reallocarray(NULL, huge, 2));
#else
	(void)huge;     /* ASan's own reallocarray reports the overflow and aborts */
#endif
	assert_null(realloc(malloc(8), 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_locked_and_not_dumped),
		cmocka_unit_test(test_guard_pages),
		cmocka_unit_test(test_wipe_on_fork),
		cmocka_unit_test(test_harden_process),
		cmocka_unit_test(test_equal_and_wipe),
		cmocka_unit_test(test_free_wipes),
		cmocka_unit_test(test_realloc_keeps_contents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
