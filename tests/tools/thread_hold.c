/*
 * thread_hold TID: stop one thread of another process and hold it until
 * standard input closes (tests/integration/t_health.sh). The other threads
 * of that process go on. The vault's main thread is the one that notices a
 * dead bos-hsmd and stops the vault; holding it leaves the HTTP threads
 * serving in the state /health calls "degraded", which is otherwise only the
 * moment between bos-hsmd's death and the vault's exit.
 *
 * PTRACE_SEIZE + PTRACE_INTERRUPT on TID alone (a thread is traced on its
 * own), then "held" on standard output; PTRACE_DETACH once standard input
 * reaches its end. If this program dies first, the kernel detaches for it.
 * Needs CAP_SYS_PTRACE: the vault is not dumpable. Exit: 0 held and
 * released, 1 on any failure (with the reason on standard error).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int
hold_parse_tid(const char *s, pid_t *tid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > 0x3fffffff)
		return -1;
	*tid = (pid_t)v;
	return 0;
}

/* Wait for the interrupt to stop tid. */
static int
hold_wait_stop(pid_t tid)
{
	int st;

	for (;;) {
		if (waitpid(tid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "thread_hold: waitpid %d: %s\n", (int)tid, strerror(errno));
			return -1;
		}
		if (WIFSTOPPED(st))
			return 0;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			fprintf(stderr, "thread_hold: thread %d ended\n", (int)tid);
			return -1;
		}
	}
}

int
main(int argc, char **argv)
{
	pid_t tid;
	char buf[64];

	if (argc != 2 || hold_parse_tid(argv[1], &tid) != 0) {
		fprintf(stderr, "usage: thread_hold TID (held until standard input closes)\n");
		return 1;
	}
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
		fprintf(stderr, "thread_hold: PTRACE_SEIZE %d: %s\n", (int)tid, strerror(errno));
		return 1;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0 || hold_wait_stop(tid) != 0) {
		fprintf(stderr, "thread_hold: cannot stop %d: %s\n", (int)tid, strerror(errno));
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	if (ptrace(PTRACE_DETACH, tid, NULL, NULL) != 0) {
		fprintf(stderr, "thread_hold: PTRACE_DETACH %d: %s\n", (int)tid, strerror(errno));
		return 1;
	}
	printf("released\n");
	return 0;
}
