/*
 * make bench: the durable-append limit of one thread.
 *
 *   fsync_append FILE SECONDS
 *
 * Appends a 200-byte record to FILE (created, O_APPEND) and fdatasync()s it,
 * in a loop for SECONDS, the cost a request pays when it waits alone for its
 * audit record to be durable. Prints {"ops_per_s":N,"ops":N,"seconds":S}.
 * Run it in the directory the vault keeps its state in: same filesystem.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

#define RECORD_LEN 200

int
main(int argc, char **argv)
{
	char rec[RECORD_LEN];
	double secs, start, end, t;
	uint64_t ops = 0;
	char *endp;
	ssize_t w;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fsync_append FILE SECONDS\n");
		return 2;
	}
	errno = 0;
	secs = strtod(argv[2], &endp);
	if (errno != 0 || *endp != '\0' || secs <= 0 || secs > 600) {
		fprintf(stderr, "fsync_append: bad SECONDS %s\n", argv[2]);
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "fsync_append: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	memset(rec, 'a', sizeof(rec));
	rec[sizeof(rec) - 1] = '\n';
	start = bench_now_s();
	end = start + secs;
	for (t = start; t < end; t = bench_now_s()) {
		w = write(fd, rec, sizeof(rec));
		if (w != (ssize_t)sizeof(rec) || fdatasync(fd) != 0) {
			fprintf(stderr, "fsync_append: write/fdatasync failed: %s\n",
			    w < 0 ? strerror(errno) : "short write");
			return 1;
		}
		ops++;
	}
	t = bench_now_s() - start;
	(void)close(fd);
	printf("{\"ops_per_s\":%.0f,\"ops\":%" PRIu64 ",\"seconds\":%.3f}\n",
	    (double)ops / t, ops, t);
	return 0;
}
