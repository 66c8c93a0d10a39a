/*
 * ptrace_probe PID: can this process look into PID the way a debugger would?
 * (tests/integration/t_memory.sh, run as the same uid as PID.)
 *
 * Tries two things and prints one line for each:
 *   mem: open /proc/PID/mem and pread 16 bytes at the first readable mapping
 *   attach: PTRACE_SEIZE (what gdb -p needs), then PTRACE_DETACH on success
 * Exit: 0 both refused, 1 at least one worked, 2 on a usage or setup error.
 * A refusal is EACCES, EPERM or EIO; any other errno is an error (2).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static int
probe_refused(int e)
{
	return e == EACCES || e == EPERM || e == EIO;
}

/* The start of the first readable mapping, or 0. */
static uint64_t
probe_first_readable(int pid)
{
	char path[64], line[512], perms[8];
	uint64_t start = 0, end;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &end, perms) == 3 &&
		    perms[0] == 'r')
			break;
		else
			start = 0;
	fclose(f);
	return start;
}

/* 0 refused, 1 read, 2 error. */
static int
probe_mem(int pid)
{
	char path[64];
	uint8_t b[16];
	uint64_t at = probe_first_readable(pid);
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		printf("mem: open refused (%s)\n", strerror(errno));
		return probe_refused(errno) ? 0 : 2;
	}
	/* Without a readable mapping in maps (itself refused), try a typical address. */
	n = pread(fd, b, sizeof(b), (off_t)(at != 0 ? at : 0x400000));
	close(fd);
	if (n > 0) {
		printf("mem: read %zd bytes at 0x%" PRIx64 "\n", n, at);
		return 1;
	}
	printf("mem: read refused (%s)\n", n < 0 ? strerror(errno) : "end of file");
	return n == 0 || probe_refused(errno) ? 0 : 2;
}

static int
probe_attach(int pid)
{
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) != 0) {
		printf("attach: refused (%s)\n", strerror(errno));
		return probe_refused(errno) ? 0 : 2;
	}
	printf("attach: attached\n");
	(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 1;
}

/* A positive decimal number below max, or -1. */
static long
probe_number(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v >= max)
		return -1;
	return v;
}

int
main(int argc, char **argv)
{
	long pid;
	int m, a;

	if (argc != 2 || (pid = probe_number(argv[1], INT32_MAX)) < 0) {
		fprintf(stderr, "usage: ptrace_probe PID\n");
		return 2;
	}
	m = probe_mem((int)pid);
	a = probe_attach((int)pid);
	if (m == 2 || a == 2)
		return 2;
	return m == 1 || a == 1 ? 1 : 0;
}
