/*
 * Test tool: a slow HTTP client, to show that the vault evicts connections
 * that never finish a request (slowloris).
 *
 * usage: http_slow unix PATH|tcp PORT MODE MAX_SECONDS
 *   MODE idle:    connect and send nothing
 *   MODE dribble: send a request's headers one byte every 200 ms, never
 *                 finishing them (only meaningful on the plain unix socket)
 * Prints the seconds until the server closed the connection and exits 0, or
 * exits 1 if it was still open after MAX_SECONDS (2 on usage or connect errors).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SLOW_STEP_MS 200

static double
slow_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
slow_connect(const char *kind, const char *where)
{
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	char *end;
	long port;
	int fd;

	if (strcmp(kind, "unix") == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(where) >= sizeof(sun.sun_path))
			return -1;
		memcpy(sun.sun_path, where, strlen(where) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		return -1;
	}
	port = strtol(where, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	close(fd);
	return -1;
}

/* 1 when the peer closed (EOF or reset) within ms, 0 if still open. */
static int
slow_closed_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char b[256];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

int
main(int argc, char **argv)
{
	static const char req[] = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	double t0, max;
	size_t i = 0;
	int fd, dribble;

	if (argc != 5 || (strcmp(argv[1], "unix") != 0 && strcmp(argv[1], "tcp") != 0) ||
	    (strcmp(argv[3], "idle") != 0 && strcmp(argv[3], "dribble") != 0)) {
		fprintf(stderr, "usage: http_slow unix PATH|tcp PORT idle|dribble MAX_SECONDS\n");
		return 2;
	}
	dribble = strcmp(argv[3], "dribble") == 0;
	max = strtod(argv[4], NULL);
	if ((fd = slow_connect(argv[1], argv[2])) < 0) {
		fprintf(stderr, "http_slow: cannot connect: %s\n", strerror(errno));
		return 2;
	}
	t0 = slow_now();
	while (slow_now() - t0 < max) {
		if (slow_closed_within(fd, SLOW_STEP_MS)) {
			printf("%.1f\n", slow_now() - t0);
			close(fd);
			return 0;
		}
		/* One more header byte: activity that resets an idle timer, but no request. */
		if (dribble && send(fd, i < sizeof(req) - 1 ? &req[i] : "a", 1, MSG_NOSIGNAL) != 1) {
			printf("%.1f\n", slow_now() - t0);
			close(fd);
			return 0;
		}
		i++;
	}
	close(fd);
	return 1;
}
