/*
 * Connecting to bos-hsmd's socket; see hsm_connect.h. The server decides
 * whether it serves us (SO_PEERCRED): a refusal is a closed connection
 * without READY, which hsm_client.c reports as such.
 */
#include "hsmc/hsm_connect.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
hsm_connect(const char *path, int *fd, struct bos_err *err)
{
	struct sockaddr_un sun;
	int s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return bos_err_set(err, BOS_E_CONFIG, "hsm_socket %s: path is too long for a socket",
		    path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return bos_err_set(err, BOS_E_IO, "socket: %s", strerror(errno));
	while (connect(s, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		if (errno == EINTR)
			continue;
		bos_err_set(err, BOS_E_CONFIG, "cannot connect to bos-hsmd at %s: %s (is "
		    "bos-hsmd.service running?)", path, strerror(errno));
		(void)close(s);
		return -1;
	}
	*fd = s;
	return 0;
}

int
hsm_connect_gone(int fd)
{
	struct pollfd pfd = { fd, POLLIN | POLLRDHUP, 0 };

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	return (pfd.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}
