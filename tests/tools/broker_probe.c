/*
 * broker_probe ACTION [ARGS]: start up as bos-broker does (wiping
 * allocators, undumpable, jansson seeded, resolver warmed), enter the broker
 * sandbox (broker/broker_sandbox.c: SANDBOX_BROKER with Landlock on name
 * resolution's files), then try one thing (tests/integration/t_broker_sandbox.sh).
 *
 * Forbidden classes (the process must die of SIGSYS; if the call returns,
 * the probe prints what it got and exits 1): open-write, open-rdwr,
 * open-creat, open-trunc, open-append, open-legacy, socket-unix-dgram, exec, execveat, ptrace,
 * ptrace-attach, fork, vfork, process-vm, kill-other, mmap-exec,
 * mprotect-exec, unlink, mkdir, bind, listen, socket-netlink, socket-packet,
 * socket-raw.
 *
 * Allowed work (exit 0 when it worked): ok (a thread, clone3 -> ENOSYS),
 * read-dns (/etc/hosts is readable), https URL CAFILE KEY (a verify call
 * through the sendgrid connector against a stub, must answer 200), claim
 * SOCKET (POST /jobs/claim over a unix socket, must answer 204), sigterm
 * (a SIGTERM handler runs and returns), resolve HOST (getaddrinfo in a
 * thread: /etc/hosts, then the name servers of /etc/resolv.conf).
 *
 * SSRF: prod CONNECTOR CAFILE KEY (the connector's production host, no test
 * base URL; exit 0 when the call is refused because that host resolved to
 * an internal address).
 *
 * The hooks listener (broker/hooks_server.c): a listening socket is made
 * before the sandbox and passed as the listener's; accept-listener (accept4
 * on it answers EAGAIN: exit 0), accept-other (accept4 on another listening
 * socket: SIGSYS), accept-none (no listener passed: accept4 is SIGSYS),
 * prctl-name (PR_SET_NAME, libmicrohttpd's thread: exit 0), prctl-other
 * (PR_SET_DUMPABLE: SIGSYS).
 *
 * Helpers: kind (prints sandbox_kind()), new-token (a well-formed bos_b_ token).
 *
 * Path confinement: read-etc (/etc/hostname, /etc/passwd: must fail with
 * EACCES; exit 13 when refused, 0 if read).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include "broker_config.h"
#include "broker_sandbox.h"
#include "connector.h"
#include "json_alloc.h"
#include "provider.h"
#include "sandbox.h"
#include "secmem.h"
#include "token.h"
#include "vault_link.h"
#include "wipe_alloc.h"

#define PROBE_RETURNED 1
#define PROBE_USAGE 2
#define PROBE_SETUP 3
#define PROBE_EACCES 13

static int
pr_returned(const char *action, long r)
{
	printf("broker_probe: %s returned %ld (%s): not refused\n", action, r,
	    r < 0 ? strerror(errno) : "ok");
	return PROBE_RETURNED;
}

static int
pr_open(const char *action)
{
	static const struct { const char *name; int flags; } o[] = {
		{ "open-write", O_WRONLY }, { "open-rdwr", O_RDWR }, { "open-creat", O_RDONLY | O_CREAT },
		{ "open-trunc", O_RDONLY | O_TRUNC }, { "open-append", O_RDONLY | O_APPEND },
	};
	size_t i;

	for (i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		if (strcmp(action, o[i].name) == 0)
			return pr_returned(action, openat(AT_FDCWD, "/tmp/bos-broker-probe",
			    o[i].flags | O_CLOEXEC, 0600));
	return -1;
}

static int
pr_socket(const char *action)
{
	if (strcmp(action, "socket-netlink") == 0)
		return pr_returned(action, socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
	if (strcmp(action, "socket-packet") == 0)
		return pr_returned(action, socket(AF_PACKET, SOCK_RAW, 0));
	if (strcmp(action, "socket-raw") == 0)
		return pr_returned(action, socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	if (strcmp(action, "bind") == 0 || strcmp(action, "listen") == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (strcmp(action, "bind") == 0)
			return pr_returned(action, bind(fd, (struct sockaddr *)&a, sizeof(a)));
		return pr_returned(action, listen(fd, 1));
	}
	return -1;
}

static int
pr_forbidden(const char *action)
{
	static char *const argv[] = { "/bin/true", NULL };
	static char *const envp[] = { NULL };
	char buf[8];
	struct iovec lio = { buf, sizeof(buf) }, rio = { buf, sizeof(buf) };
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r;

	if ((r = pr_open(action)) >= 0 || (r = pr_socket(action)) >= 0)
		return r;
	if (strcmp(action, "open-legacy") == 0)
		return pr_returned(action, syscall(SYS_open, "/etc/hosts", O_RDONLY));
	if (strcmp(action, "socket-unix-dgram") == 0)
		return pr_returned(action, socket(AF_UNIX, SOCK_DGRAM, 0));
	if (strcmp(action, "exec") == 0)
		return pr_returned(action, execve(argv[0], argv, envp));
	if (strcmp(action, "execveat") == 0)
		return pr_returned(action, syscall(SYS_execveat, AT_FDCWD, argv[0], argv, envp, 0));
	if (strcmp(action, "ptrace") == 0)
		return pr_returned(action, ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	if (strcmp(action, "ptrace-attach") == 0)
		return pr_returned(action, ptrace(PTRACE_ATTACH, getppid(), NULL, NULL));
	if (strcmp(action, "fork") == 0) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		return pr_returned(action, pid);
	}
	if (strcmp(action, "vfork") == 0)
		return pr_returned(action, syscall(SYS_vfork));
	if (strcmp(action, "process-vm") == 0)
		return pr_returned(action, process_vm_readv(getppid(), &lio, 1, &rio, 1, 0));
	if (strcmp(action, "kill-other") == 0)
		return pr_returned(action, kill(getppid(), 0));
	if (strcmp(action, "mmap-exec") == 0)
		return pr_returned(action, mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
	if (strcmp(action, "mprotect-exec") == 0)
		return pr_returned(action, mprotect(page, 4096, PROT_READ | PROT_EXEC));
	if (strcmp(action, "unlink") == 0)
		return pr_returned(action, unlink("/tmp/bos-broker-probe-missing"));
	if (strcmp(action, "mkdir") == 0)
		return pr_returned(action, mkdir("/tmp/bos-broker-probe-dir", 0700));
	fprintf(stderr, "broker_probe: unknown action %s\n", action);
	return PROBE_USAGE;
}

static void *
pr_thread(void *arg)
{
	return arg;
}

static int
pr_ok(void)
{
	pthread_t t;
	void *res = NULL;

	if (pthread_create(&t, NULL, pr_thread, (void *)1) != 0 || pthread_join(t, &res) != 0 ||
	    res != (void *)1)
		return 1;
	/* The null sandbox (sanitizer builds) installs no filter: clone3 is the kernel's. */
	if (strcmp(sandbox_kind(), "null") == 0)
		return 0;
	errno = 0;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS) {
		printf("broker_probe: clone3 did not answer ENOSYS (%s)\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* Reading by path: name resolution's files only. */
static int
pr_read(const char *path)
{
	char b[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("broker_probe: open %s: %s\n", path, strerror(errno));
		return errno == EACCES ? PROBE_EACCES : PROBE_RETURNED;
	}
	if (read(fd, b, sizeof(b)) < 0) {
		close(fd);
		return PROBE_RETURNED;
	}
	close(fd);
	printf("broker_probe: read %s\n", path);
	return 0;
}

static char *
pr_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *p = malloc(1 << 20);

	*len = 0;
	if (f == NULL || p == NULL) {
		if (f != NULL)
			fclose(f);
		free(p);
		return NULL;
	}
	*len = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

/* A sendgrid verify against base URL with the test CA: the real provider path. */
static int
pr_https(const char *url, const char *ca, size_t ca_len, const char *key)
{
	const struct connector *c = connector_find("sendgrid");
	struct broker_config conf;
	struct provider p;
	struct verify_result r;
	struct broker_lease l;
	struct bos_err err;

	if (broker_config_init(&conf, "outreach", &err) != 0)
		return PROBE_SETUP;
	conf.noverrides = 1;
	(void)snprintf(conf.overrides[0].connector, sizeof(conf.overrides[0].connector), "sendgrid");
	(void)snprintf(conf.overrides[0].url, sizeof(conf.overrides[0].url), "%s", url);
	p = (struct provider){ 5, 10, NULL, 0, ca, ca_len, &conf, NULL, NULL, 60 };
	memset(&l, 0, sizeof(l));
	l.secret_cap = strlen(key) + 1;
	if ((l.secret = secmem_alloc(l.secret_cap)) == NULL)
		return PROBE_SETUP;
	memcpy(l.secret, key, l.secret_cap);
	(void)c->verify(&p, c, &l, &r);
	broker_lease_wipe(&l);
	printf("broker_probe: https: outcome %d status %ld %s\n", (int)r.outcome, r.status, r.error);
	return r.outcome == VERIFY_OK ? 0 : 1;
}

/*
 * A connector with no test base URL: its production host, the CA bundle
 * read before the sandbox. Prints the outcome and error; 0 when the call was
 * refused because the host's address is internal (what the test expects
 * after pointing the host at one through /etc/hosts).
 */
static int
pr_prod(const char *name, const char *ca, size_t ca_len, const char *key)
{
	const struct connector *c = connector_find(name);
	struct broker_config conf;
	struct provider p;
	struct verify_result r;
	struct broker_lease l;
	struct bos_err err;

	if (c == NULL || broker_config_init(&conf, "outreach", &err) != 0)
		return PROBE_USAGE;
	p = (struct provider){ 3, 5, ca, ca_len, NULL, 0, &conf, NULL, NULL, 60 };
	memset(&l, 0, sizeof(l));
	(void)snprintf(l.account_sid, sizeof(l.account_sid), "AC0123456789abcdef0123456789abcdef");
	l.secret_cap = strlen(key) + 1;
	if ((l.secret = secmem_alloc(l.secret_cap)) == NULL)
		return PROBE_SETUP;
	memcpy(l.secret, key, l.secret_cap);
	(void)c->verify(&p, c, &l, &r);
	broker_lease_wipe(&l);
	printf("broker_probe: prod %s: outcome %d status %ld %s\n", name, (int)r.outcome, r.status,
	    r.error);
	return r.outcome == VERIFY_ERROR && strstr(r.error, "internal") != NULL ? 0 : 1;
}

static int
pr_claim(struct vault_link *v)
{
	static const char *const kinds[] = { "verify", NULL };
	struct broker_job job;
	struct vault_answer ans;
	struct bos_err err;
	int r = vault_link_claim(v, kinds, 0, &job, &ans, &err);

	printf("broker_probe: claim: %d status %ld %s\n", r, ans.status, r < 0 ? err.msg : "");
	return r == 0 && ans.status == 204 ? 0 : 1;
}

/* getaddrinfo in a thread, as libcurl's threaded resolver does: 0 when it answered at all. */
static void *
pr_resolve_main(void *arg)
{
	struct addrinfo hints, *res = NULL;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(arg, "443", &hints, &res);
	printf("broker_probe: resolve %s: %s\n", (const char *)arg, r == 0 ? "found" : gai_strerror(r));
	if (res != NULL)
		freeaddrinfo(res);
	return NULL;
}

static int
pr_resolve(char *host)
{
	pthread_t t;

	if (pthread_create(&t, NULL, pr_resolve_main, host) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	return 0;
}

static volatile sig_atomic_t pr_signalled;

static void
pr_on_signal(int sig)
{
	(void)sig;
	pr_signalled = 1;
}

static int
pr_sigterm(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pr_on_signal;
	/* raise(3) is tgkill to this thread; the handler's return is rt_sigreturn. */
	if (sigaction(SIGTERM, &sa, NULL) != 0 || raise(SIGTERM) != 0)
		return 1;
	return pr_signalled ? 0 : 1;
}

/* A non-blocking listening socket on 127.0.0.1, any port, made before the sandbox. */
static int
pr_listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0)
		return -1;
	return fd;
}

/* The hooks listener's actions, after the sandbox; -1 when a is not one of them. */
static int
pr_hooks(const char *a, int lfd, int other)
{
	if (strcmp(a, "accept-listener") == 0) {
		int r = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 :
		    pr_returned(a, r);
	}
	if (strcmp(a, "accept-other") == 0)
		return pr_returned(a, accept4(other, NULL, NULL, SOCK_CLOEXEC));
	if (strcmp(a, "accept-none") == 0)
		return pr_returned(a, accept4(lfd, NULL, NULL, SOCK_CLOEXEC));
	if (strcmp(a, "prctl-name") == 0)
		return prctl(PR_SET_NAME, "probe-hooks", 0, 0, 0) == 0 ? 0 : pr_returned(a, -1);
	if (strcmp(a, "prctl-other") == 0)
		return pr_returned(a, prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	return -1;
}

int
main(int argc, char **argv)
{
	static const char tok[] = "bos_b_probe";   /* never sent anywhere that checks it */
	struct vault_link *v = NULL;
	struct bos_err err;
	int lfd = -1, other = -1, hr;
	char *ca = NULL;
	size_t ca_len = 0;
	const char *a;

	if (argc < 2)
		return PROBE_USAGE;
	a = argv[1];
	/* Helpers for the test, outside any sandbox: the sandbox kind, a well-formed broker token. */
	if (strcmp(a, "kind") == 0)
		return printf("%s\n", sandbox_kind()) < 0;
	if (strcmp(a, "new-token") == 0) {
		char t[TOKEN_SIZE];

		if (token_new(TOKEN_BROKER, t, sizeof(t)) != 0)
			return PROBE_SETUP;
		printf("%s\n", t);
		return 0;
	}
	json_alloc_init();
	if (wipe_alloc_curl_init() != 0 || secmem_harden_process() != 0)
		return PROBE_SETUP;
	/* What needs files is read before the sandbox, as bos-broker does. */
	if (strcmp(a, "https") == 0 && (argc != 5 || (ca = pr_slurp(argv[3], &ca_len)) == NULL))
		return PROBE_USAGE;
	if (strcmp(a, "prod") == 0 && (argc != 5 || (ca = pr_slurp(argv[3], &ca_len)) == NULL))
		return PROBE_USAGE;
	if (strcmp(a, "claim") == 0 && (argc != 3 || vault_link_new(argv[2], tok, &v, &err) != 0))
		return PROBE_USAGE;
	json_object_seed(0);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (strncmp(a, "accept-", 7) == 0 && ((lfd = pr_listener()) < 0 || (other = pr_listener()) < 0))
		return PROBE_SETUP;
	if (broker_sandbox_enter(0, strcmp(a, "accept-none") == 0 ? -1 : lfd, &err) != 0) {
		fprintf(stderr, "broker_probe: %s\n", err.msg);
		return PROBE_SETUP;
	}
	if ((hr = pr_hooks(a, lfd, other)) >= 0)
		return hr;
	if (strcmp(a, "ok") == 0)
		return pr_ok();
	if (strcmp(a, "read-dns") == 0)
		return pr_read("/etc/hosts");
	if (strcmp(a, "read-etc") == 0)
		return pr_read(argc > 2 ? argv[2] : "/etc/hostname");
	if (strcmp(a, "https") == 0) {
		int r = pr_https(argv[2], ca, ca_len, argv[4]);

		free(ca);
		return r;
	}
	if (strcmp(a, "prod") == 0) {
		int r = pr_prod(argv[2], ca, ca_len, argv[4]);

		free(ca);
		return r;
	}
	if (strcmp(a, "claim") == 0) {
		int r = pr_claim(v);

		vault_link_free(v);
		return r;
	}
	if (strcmp(a, "sigterm") == 0)
		return pr_sigterm();
	if (strcmp(a, "resolve") == 0 && argc == 3)
		return pr_resolve(argv[2]);
	return pr_forbidden(a);
}
