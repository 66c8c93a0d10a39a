/*
 * bos-hsmd's listening mode; see listen.h. Why a socket at all: under
 * systemd bos-hsmd runs as its own user (bos-hsm), so that the vault's uid
 * can read neither the PIN nor the token files, and the vault cannot fork it
 * any more. SO_PEERCRED, not the socket file's mode, decides who is served:
 * the kernel's word on the peer's uid at connect time, which the peer cannot
 * forge, and a refused peer is logged.
 */
#include "listen.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "chan.h"
#include "dispatch.h"
#include "log.h"

#define LISTEN_BACKLOG 8

/* A uid as a number, or a user name looked up now (before the sandbox). */
static int
listen_peer_uid(const char *s, uid_t *uid, struct hsm_fail *f)
{
	struct passwd pw, *res = NULL;
	char *end, strbuf[4096];
	unsigned long n;

	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		n = strtoul(s, &end, 10);
		if (errno != 0 || *end != '\0' || n >= (unsigned long)(uid_t)-1)
			return hsm_fail_set(f, HSM_ERR_CONFIG, "--peer-uid: not a uid");
		*uid = (uid_t)n;
		return 0;
	}
	if (getpwnam_r(s, &pw, strbuf, sizeof(strbuf), &res) != 0 || res == NULL)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--peer-uid: no such user");
	*uid = pw.pw_uid;
	return 0;
}

/* The directory is bos-hsmd's own: a socket left by an earlier run is ours to replace. */
static int
listen_clear(const char *path, struct hsm_fail *f)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : hsm_fail_set(f, HSM_ERR_CONFIG, "--listen %s: %s",
		    path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--listen %s exists and is not a socket",
		    path);
	if (unlink(path) != 0)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "cannot remove the old socket %s: %s",
		    path, strerror(errno));
	return 0;
}

static int
listen_bind(const char *path, int *out, struct hsm_fail *f)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--listen: path is too long for a socket");
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "socket: %s", strerror(errno));
	/*
	 * Anyone may connect (0666): a refused uid must reach accept to be
	 * logged; SO_PEERCRED decides, and a refused peer gets nothing.
	 */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || chmod(path, 0666) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0) {
		hsm_fail_set(f, HSM_ERR_CONFIG, "cannot listen on %s: %s", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	*out = fd;
	return 0;
}

int
listen_open(struct hsmd *d, const char *path, const char *peer, struct hsm_fail *f)
{
	if (listen_peer_uid(peer, &d->peer_uid, f) != 0)
		return -1;
	/* Serving our own uid would give the vault the PIN and the token files again. */
	if (d->peer_uid == getuid())
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--peer-uid is bos-hsmd's own uid %u: the "
		    "vault must run as another user", (unsigned)d->peer_uid);
	if (listen_clear(path, f) != 0 || listen_bind(path, &d->listen_fd, f) != 0)
		return -1;
	return 0;
}

/* 0 when the connected peer is the vault's uid; else logged, and -1. */
static int
listen_peer_ok(const struct hsmd *d, int fd, pid_t *pid)
{
	struct ucred uc;
	socklen_t n = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &n) != 0 || n != sizeof(uc)) {
		log_warn("refused a connection: cannot read its credentials: %s", strerror(errno));
		return -1;
	}
	if (uc.uid != d->peer_uid) {
		log_warn("refused a connection from uid %u (pid %d): only uid %u is served",
		    (unsigned)uc.uid, (int)uc.pid, (unsigned)d->peer_uid);
		return -1;
	}
	*pid = uc.pid;
	return 0;
}

int
listen_serve(struct hsmd *d)
{
	int fd, status;
	pid_t pid = 0;

	/* "--listen" seen by main's prescan as another option's value: no socket. */
	if (d->listen_fd < 0) {
		log_err("--listen is not an option here; %s", HSMD_USAGE);
		return HSM_EXIT_STARTUP;
	}
	for (;;) {
		if ((fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			log_err("accept: %s", strerror(errno));
			return HSM_EXIT_STARTUP;
		}
		if (listen_peer_ok(d, fd, &pid) != 0) {
			(void)close(fd);
			continue;
		}
		log_info("serving uid %u (pid %d)", (unsigned)d->peer_uid, (int)pid);
		d->fd = fd;
		status = chan_send(fd, HSM_MSG_READY, NULL, 0) == 0 ? dispatch_serve(d) :
		    HSM_EXIT_OK;
		(void)close(fd);
		d->fd = -1;
		if (status != HSM_EXIT_OK)
			return status;
		log_info("pid %d closed its connection; the token stays logged in", (int)pid);
	}
}
