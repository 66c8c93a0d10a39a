/* The broker's sandbox; see broker_sandbox.h. */
#include "broker_sandbox.h"

#include <fcntl.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "sandbox.h"

/*
 * What glibc's getaddrinfo reads for a host name (Debian 12, glibc 2.36:
 * nss_files and nss_dns are part of libc, so no module is loaded by path
 * for "hosts: files dns"). Read again when they change, so they stay
 * readable; a file replaced by a new one (resolv.conf rewritten by DHCP)
 * is a new inode the rule does not cover: the broker then resolves with
 * what it read last, until it is restarted.
 */
static const char *const bs_dns_files[] = {
	"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf",
};

/*
 * Load the NSS modules named for hosts now: a module outside libc
 * (mdns, resolve) is dlopen-ed at the first lookup, which the sandbox
 * would refuse (an executable mapping, a library path).
 */
static void
bs_warm_resolver(void)
{
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", "443", &hints, &res) == 0)
		freeaddrinfo(res);
}

/* The Landlock rules' files (those present), opened now. */
static void
bs_args(struct sandbox_args *a, int unconfined_ok, int listen_fd)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	a->dirfd = listen_fd;
	a->unconfined_ok = unconfined_ok;
	for (i = 0; i < BOS_ARRAY_LEN(bs_dns_files) && a->npaths < SANDBOX_PATHS_MAX; i++) {
		int fd = open(bs_dns_files[i], O_PATH | O_CLOEXEC);

		if (fd < 0)
			continue;   /* absent: glibc does without it */
		a->paths[a->npaths].fd = fd;
		a->paths[a->npaths++].access = SANDBOX_BROKER_DNS_ACCESS;
	}
}

static void
bs_args_close(struct sandbox_args *a)
{
	size_t i;

	for (i = 0; i < a->npaths; i++)
		close(a->paths[i].fd);
}

int
broker_sandbox_enter_paths(int unconfined_ok, struct bos_err *err)
{
	struct sandbox_args a;
	int r;

	bs_warm_resolver();
	bs_args(&a, unconfined_ok, -1);
	r = sandbox_enter_paths(SANDBOX_BROKER, &a, err);
	bs_args_close(&a);
	return r;
}

int
broker_sandbox_enter(int unconfined_ok, int listen_fd, struct bos_err *err)
{
	struct sandbox_args a;
	int r;

	bs_warm_resolver();
	bs_args(&a, unconfined_ok, listen_fd);
	r = sandbox_enter(SANDBOX_BROKER, &a, err);
	bs_args_close(&a);
	return r;
}
