/*
 * make bench: start-up time of bos-vaultd, from exec to its "ready:" line.
 *
 *   startup N VAULTD STATE_DIR
 *
 * Starts VAULTD --state-dir STATE_DIR N times (one at a time), with its
 * stdout and stderr on a pipe, and takes the time from just before fork +
 * exec to the moment the line containing "ready:" arrives on the pipe; then
 * stops it with SIGTERM and waits until it and its bos-hsmd have closed the
 * pipe. Prints {"median_ms":M,"min_ms":M,"max_ms":M,"runs_ms":[...]}.
 * The vault's output goes to STATE_DIR/../startup.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

#define MAX_RUNS 25
#define READY_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 30000
#define LINE_MAX_LEN 8192

static pid_t
spawn(const char *vaultd, const char *dir, int *rfd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) < 0 || dup2(p[1], STDERR_FILENO) < 0)
			_exit(127);
		execl(vaultd, vaultd, "--state-dir", dir, (char *)NULL);
		_exit(127);
	}
	(void)close(p[1]);
	*rfd = p[0];
	return pid;
}

/*
 * Read from fd into log until "ready:" is seen (want_ready) or EOF; -1 on
 * timeout. The search runs over a sliding window so a line split across
 * reads is still found.
 */
static int
drain(int fd, FILE *log, int want_ready, int timeout_ms)
{
	char buf[4096], win[LINE_MAX_LEN];
	size_t wl = 0, keep;
	struct pollfd pfd = { fd, POLLIN, 0 };
	double deadline = bench_now_ms() + timeout_ms;
	ssize_t n;
	int left;

	for (;;) {
		left = (int)(deadline - bench_now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -1;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return want_ready ? -1 : 0;
		(void)fwrite(buf, 1, (size_t)n, log);
		if (!want_ready)
			continue;
		keep = wl > 16 ? 16 : wl;
		memmove(win, win + wl - keep, keep);
		wl = keep;
		if ((size_t)n > sizeof(win) - wl - 1)
			n = (ssize_t)(sizeof(win) - wl - 1);
		memcpy(win + wl, buf, (size_t)n);
		wl += (size_t)n;
		win[wl] = '\0';
		if (memmem(win, wl, "ready:", 6) != NULL)
			return 0;
	}
}

static int
one_run(const char *vaultd, const char *dir, FILE *log, double *ms)
{
	double t0;
	pid_t pid;
	int fd, st, r;

	t0 = bench_now_ms();
	if ((pid = spawn(vaultd, dir, &fd)) < 0) {
		fprintf(stderr, "startup: cannot start %s: %s\n", vaultd, strerror(errno));
		return -1;
	}
	r = drain(fd, log, 1, READY_TIMEOUT_MS);
	*ms = bench_now_ms() - t0;
	(void)kill(pid, SIGTERM);
	if (drain(fd, log, 0, STOP_TIMEOUT_MS) != 0) {
		fprintf(stderr, "startup: %s did not stop within %d ms\n", vaultd,
		    STOP_TIMEOUT_MS);
		(void)kill(pid, SIGKILL);
		r = -1;
	}
	(void)close(fd);
	(void)waitpid(pid, &st, 0);
	if (r != 0)
		fprintf(stderr, "startup: %s never logged \"ready:\" (see the log)\n", vaultd);
	return r;
}

int
main(int argc, char **argv)
{
	double ms[MAX_RUNS], sorted[MAX_RUNS];
	char path[4096];
	FILE *log;
	long n, i;
	char *end;
	int len;

	if (argc != 4) {
		fprintf(stderr, "usage: startup N VAULTD STATE_DIR\n");
		return 2;
	}
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > MAX_RUNS) {
		fprintf(stderr, "startup: N must be 1..%d\n", MAX_RUNS);
		return 2;
	}
	len = snprintf(path, sizeof(path), "%s/../startup.log", argv[3]);
	if (len < 0 || (size_t)len >= sizeof(path) || (log = fopen(path, "ae")) == NULL) {
		fprintf(stderr, "startup: cannot open %s\n", path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (one_run(argv[2], argv[3], log, &ms[i]) != 0)
			return 1;
		sorted[i] = ms[i];
	}
	(void)fclose(log);
	qsort(sorted, (size_t)n, sizeof(sorted[0]), bench_cmp_double);
	printf("{\"median_ms\":%.1f,\"min_ms\":%.1f,\"max_ms\":%.1f,\"runs_ms\":[",
	    n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2, sorted[0],
	    sorted[n - 1]);
	for (i = 0; i < n; i++)
		printf("%s%.1f", i ? "," : "", ms[i]);
	printf("]}\n");
	return 0;
}
