/*
 * The seccomp sandbox (libseccomp), modelled on OpenSSH's
 * sandbox-seccomp-filter.c: the architecture is checked first, the default
 * action kills the whole process, clone3 answers ENOSYS (so that glibc falls
 * back to clone, whose flags the filter can see), and each profile allows
 * only what its process does after start-up. The lists were found with
 * `make SANDBOX_DEBUG=log` (allow and log every call the filter would refuse)
 * under the whole integration suite; see docs/SANDBOX.md.
 */
#include "sandbox.h"
#include "sandbox_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <unistd.h>
#include <seccomp.h>

#if defined(__x86_64__)
#define SB_ARCH SCMP_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_ARCH SCMP_ARCH_AARCH64
#else
#error "sandbox: no seccomp architecture for this CPU; check the allow-lists on it first"
#endif

/*
 * BOS_SANDBOX_DEBUG (make SANDBOX_DEBUG=1): trap, name the call, exit 159.
 * BOS_SANDBOX_DEBUG=2 (make SANDBOX_DEBUG=log): allow and log to the kernel
 * log, to find an allow-list; never a build to run a vault with.
 */
#ifndef BOS_SANDBOX_DEBUG
#define BOS_SANDBOX_DEBUG 0
#endif
#if BOS_SANDBOX_DEBUG == 1
#define SB_DEFAULT SCMP_ACT_TRAP
#define SB_KIND "seccomp-debug"
#elif BOS_SANDBOX_DEBUG == 2
#define SB_DEFAULT SCMP_ACT_LOG
#define SB_KIND "seccomp-log"
#else
#define SB_DEFAULT SCMP_ACT_KILL_PROCESS
#define SB_KIND "seccomp"
#endif

/* Where a compared value comes from: a constant, or what the caller passed in. */
enum sb_src { SB_K, SB_DIRFD, SB_CHILD, SB_SELF };

struct sb_cmp {
	unsigned arg;
	enum scmp_compare op;
	uint64_t mask;            /* SCMP_CMP_MASKED_EQ only */
	enum sb_src src;
	uint64_t k;               /* the value when src is SB_K */
};

/*
 * A system call allowed only when its arguments compare as listed, or, with
 * err set, refused with that errno instead of killing (a library's optional
 * call whose failure it handles).
 */
struct sb_rule {
	int nr;
	unsigned n;
	struct sb_cmp c[2];
	int err;
};

#define SB_EQ(i, s) { (i), SCMP_CMP_EQ, 0, (s), 0 }
#define SB_EQK(i, k) { (i), SCMP_CMP_EQ, 0, SB_K, (k) }
#define SB_MASK(i, m, v) { (i), SCMP_CMP_MASKED_EQ, (m), SB_K, (v) }

/*
 * Every profile: memory, threads and their locks, time, signals blocked or
 * read through signalfd, I/O on descriptors the process already holds, exit.
 */
static const int sb_common[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(poll),
	/* fstat and stat (glibc: newfstatat), fcntl locks and flags */
	SCMP_SYS(newfstatat), SCMP_SYS(fcntl),
	/* malloc, thread stacks and their guard pages (mmap, mprotect: see below) */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(mremap),
	/* locks, condition variables, thread start and exit (clone: see below) */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(sched_yield), SCMP_SYS(gettid),
	SCMP_SYS(getpid), SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* a sleep or wait interrupted by a stop signal resumes through this */
	SCMP_SYS(restart_syscall),
	/* clocks (vDSO fallbacks), sleeps, randomness */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(getrandom),
};

static const struct sb_rule sb_common_rules[] = {
	/* Threads only: fork, vfork and posix_spawn lack CLONE_THREAD and are killed. */
	{ SCMP_SYS(clone), 1, { SB_MASK(0, CLONE_THREAD, CLONE_THREAD) }, 0 },
	/* Memory, never executable: no code is loaded after start-up (W^X). */
	{ SCMP_SYS(mmap), 1, { SB_MASK(2, PROT_EXEC, 0) }, 0 },
	{ SCMP_SYS(mprotect), 1, { SB_MASK(2, PROT_EXEC, 0) }, 0 },
	/* abort() and pthread_kill signal a thread of this process only. */
	{ SCMP_SYS(tgkill), 1, { SB_EQ(0, SB_SELF) }, 0 },
	/*
	 * glibc's dprintf (log.c) asks whether the fd is a terminal (isatty:
	 * ioctl TCGETS) when it is a character device: every log line after the
	 * filter, with stderr on a terminal or /dev/null, killed the process.
	 * "Not a terminal" is true enough; every other ioctl still kills.
	 */
	{ SCMP_SYS(ioctl), 1, { SB_EQK(1, TCGETS) }, ENOTTY },
};

/*
 * bos-vaultd after start-up: accept on its two listeners, talk to bos-hsmd
 * on the socketpair, SQLCipher on the database, WAL and SHM it opened at
 * start (pread/pwrite, locks, fsync, the SHM mapping), and the audit head
 * file, created only relative to the state directory's descriptor.
 */
static const int sb_vault[] = {
	/* libmicrohttpd: connections on the listeners it already has; bos-hsmd's socketpair */
	SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(shutdown), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	/* SQLCipher and the head file: durability */
	SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(ftruncate),
	/* SQLCipher unlocks the key memory it mlocked at start as it frees it */
	SCMP_SYS(munlock),
	/*
	 * Not strict, on the stop path only: SQLite deletes bos.db-wal and
	 * bos.db-shm on close and http.c its unix socket, by path (unlink(2)).
	 * Tying them to the state dirfd needs store.c and http.c changes; see
	 * docs/SANDBOX.md. unlinkat from any base but the dirfd is still killed.
	 */
	SCMP_SYS(unlink),
};

static const struct sb_rule sb_vault_rules[] = {
	/* The audit head file: STATE/audit.head.tmp, renamed over STATE/audit.head. */
	{ SCMP_SYS(openat), 1, { SB_EQ(0, SB_DIRFD) }, 0 },
	{ SCMP_SYS(unlinkat), 1, { SB_EQ(0, SB_DIRFD) }, 0 },
	{ SCMP_SYS(renameat), 2, { SB_EQ(0, SB_DIRFD), SB_EQ(2, SB_DIRFD) }, 0 },
	{ SCMP_SYS(renameat2), 2, { SB_EQ(0, SB_DIRFD), SB_EQ(2, SB_DIRFD) }, 0 },
	/* libmicrohttpd names each connection thread it starts */
	{ SCMP_SYS(prctl), 1, { SB_EQK(0, PR_SET_NAME) }, 0 },
	/* bos-hsmd: killed if it stops answering, reaped when it exits */
	{ SCMP_SYS(kill), 1, { SB_EQ(0, SB_CHILD) }, 0 },
	{ SCMP_SYS(wait4), 1, { SB_EQ(0, SB_CHILD) }, 0 },
};

/*
 * bos-hsmd serving: requests on fd 3, and SoftHSM, which re-opens and
 * re-reads its token's object files on every operation with a token key
 * (STACK-NOTES.md), under fcntl locks: openat cannot be tied to a descriptor
 * here, since SoftHSM opens by absolute path. No socket, exec or ptrace.
 */
static const int sb_hsmd[] = {
	SCMP_SYS(openat), SCMP_SYS(getdents64),
	/* key generation (--init) writes new object files */
	SCMP_SYS(ftruncate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	/* answers on fd 3, a unix socket: send(MSG_NOSIGNAL); requests are read(2) */
	SCMP_SYS(sendto),
};

static const struct sb_rule sb_hsmd_rules[] = {
	/*
	 * SoftHSM reports a failed operation (a damaged object file, a wrong
	 * tag) with syslog(3), which opens an AF_UNIX datagram socket to
	 * /dev/log. Refused with EACCES, syslog drops the message and the
	 * operation's error still reaches the vault; every other family kills.
	 */
	{ SCMP_SYS(socket), 1, { SB_EQK(0, AF_UNIX) }, EACCES },
	/*
	 * --listen (hsm/listen.c): connections on its one listening socket
	 * (passed as dirfd; without it, -1, the rule is left out) and the
	 * peer's credentials, nothing else of getsockopt.
	 */
	{ SCMP_SYS(accept4), 1, { SB_EQ(0, SB_DIRFD) }, 0 },
	{ SCMP_SYS(getsockopt), 2, { SB_EQK(1, SOL_SOCKET), SB_EQK(2, SO_PEERCRED) }, 0 },
};

/*
 * bos-broker after start-up (broker/broker_sandbox.c): HTTPS to providers
 * and plain HTTP to the vault's unix socket through libcurl and OpenSSL,
 * with libcurl's resolver thread (glibc's getaddrinfo: its files and a UDP
 * or TCP socket to the name server). No file is opened for writing, no
 * process is started, no other socket family is made.
 */
/* The type bits of socket(2)'s second argument, without SOCK_CLOEXEC and SOCK_NONBLOCK. */
#define SB_SOCK_TYPE 0xfu

static const int sb_broker[] = {
	/* libcurl: connections to the vault's socket and to providers, name servers */
	SCMP_SYS(connect), SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmmsg), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(shutdown),
	/* SIGTERM and SIGINT set a flag in a handler (the loop ends after its job) */
	SCMP_SYS(rt_sigreturn),
	/* a leased secret is copied into locked pages (secmem_alloc) and released */
	SCMP_SYS(mlock), SCMP_SYS(munlock),
};

static const struct sb_rule sb_broker_rules[] = {
	/*
	 * The vault's unix socket and providers over IPv4 and IPv6 (streams),
	 * name servers (datagrams); every other family or type (raw, packet,
	 * netlink) kills. The type's flags (SOCK_CLOEXEC, SOCK_NONBLOCK) are
	 * masked off.
	 */
	{ SCMP_SYS(socket), 2, { SB_EQK(0, AF_UNIX), SB_MASK(1, SB_SOCK_TYPE, SOCK_STREAM) }, 0 },
	{ SCMP_SYS(socket), 2, { SB_EQK(0, AF_INET), SB_MASK(1, SB_SOCK_TYPE, SOCK_STREAM) }, 0 },
	{ SCMP_SYS(socket), 2, { SB_EQK(0, AF_INET6), SB_MASK(1, SB_SOCK_TYPE, SOCK_STREAM) }, 0 },
	{ SCMP_SYS(socket), 2, { SB_EQK(0, AF_INET), SB_MASK(1, SB_SOCK_TYPE, SOCK_DGRAM) }, 0 },
	{ SCMP_SYS(socket), 2, { SB_EQK(0, AF_INET6), SB_MASK(1, SB_SOCK_TYPE, SOCK_DGRAM) }, 0 },
	/* glibc's resolver sizes a name server's UDP answer with FIONREAD before reading it. */
	{ SCMP_SYS(ioctl), 1, { SB_EQK(1, FIONREAD) }, 0 },
	/* libcurl's threaded resolver wakes its caller through a socketpair. */
	{ SCMP_SYS(socketpair), 1, { SB_EQK(0, AF_UNIX) }, 0 },
	/*
	 * Reading only (getaddrinfo: resolv.conf, hosts, nsswitch.conf, gai.conf):
	 * an open for writing, creating, truncating or appending kills. Which
	 * files can be read is Landlock's to say (broker_sandbox.c).
	 */
	{ SCMP_SYS(openat), 1, { SB_MASK(2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, 0) }, 0 },
	/*
	 * bos-broker outreach's hooks listener (broker/hooks_server.c): connections
	 * on its one listening socket, bound before the sandbox and passed as
	 * dirfd (without it, -1, the rule is left out: accept4 kills); bind and
	 * listen still kill.
	 */
	{ SCMP_SYS(accept4), 1, { SB_EQ(0, SB_DIRFD) }, 0 },
	/* libmicrohttpd names its thread (pthread_setname_np from the thread itself). */
	{ SCMP_SYS(prctl), 1, { SB_EQK(0, PR_SET_NAME) }, 0 },
};

struct sb_profile {
	const int *calls;
	size_t ncalls;
	const struct sb_rule *rules;
	size_t nrules;
};

static const struct sb_profile sb_profiles[] = {
	[SANDBOX_VAULT] = { sb_vault, BOS_ARRAY_LEN(sb_vault), sb_vault_rules,
	    BOS_ARRAY_LEN(sb_vault_rules) },
	[SANDBOX_HSMD] = { sb_hsmd, BOS_ARRAY_LEN(sb_hsmd), sb_hsmd_rules,
	    BOS_ARRAY_LEN(sb_hsmd_rules) },
	[SANDBOX_BROKER] = { sb_broker, BOS_ARRAY_LEN(sb_broker), sb_broker_rules,
	    BOS_ARRAY_LEN(sb_broker_rules) },
};

const char *
sandbox_kind(void)
{
	return SB_KIND;
}

#if BOS_SANDBOX_DEBUG == 1
/*
 * Names of the system calls, resolved before the filter is loaded: the
 * SIGSYS handler may only make async-signal-safe calls, and
 * seccomp_syscall_resolve_num_arch allocates.
 */
#define SB_NAMES 512
static char *sb_names[SB_NAMES];

static void
sb_write_str(const char *s)
{
	(void)!write(STDERR_FILENO, s, strlen(s));
}

static void
sb_sigsys(int sig, siginfo_t *si, void *uc)
{
	char num[24], *p = num + sizeof(num);
	unsigned v = si->si_syscall >= 0 ? (unsigned)si->si_syscall : 0;

	(void)sig;
	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	sb_write_str("sandbox: refused system call ");
	sb_write_str(si->si_syscall >= 0 && si->si_syscall < SB_NAMES &&
	    sb_names[si->si_syscall] != NULL ? sb_names[si->si_syscall] : "?");
	sb_write_str(" (");
	sb_write_str(p);
	sb_write_str(")");
#if defined(__x86_64__)
	/* The path a refused open asked for: the likeliest question when one is refused. */
	if (si->si_syscall == __NR_openat || si->si_syscall == __NR_open) {
		const greg_t *g = ((const ucontext_t *)uc)->uc_mcontext.gregs;
		const char *path = (const char *)(uintptr_t)(si->si_syscall == __NR_openat ?
		    g[REG_RSI] : g[REG_RDI]);

		sb_write_str(" of ");
		sb_write_str(path != NULL ? path : "(null)");
	}
#else
	(void)uc;
#endif
	sb_write_str("\n");
	_exit(128 + SIGSYS);
}

static int
sb_debug_setup(struct bos_err *err)
{
	struct sigaction sa;
	int i;

	for (i = 0; i < SB_NAMES; i++)
		if (sb_names[i] == NULL)
			sb_names[i] = seccomp_syscall_resolve_num_arch(SB_ARCH, i);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sb_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return bos_err_set(err, BOS_E_IO, "sandbox: cannot catch SIGSYS: %s",
		    strerror(errno));
	return 0;
}
#endif

static uint64_t
sb_value(const struct sb_cmp *c, const struct sandbox_args *a)
{
	switch (c->src) {
	case SB_DIRFD: return (uint64_t)(int64_t)a->dirfd;
	case SB_CHILD: return (uint64_t)(int64_t)a->child;
	case SB_SELF: return (uint64_t)(int64_t)getpid();
	case SB_K: break;
	}
	return c->k;
}

static int
sb_add_calls(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0) != 0)
			return -1;
	return 0;
}

/*
 * A rule that compares with a descriptor or pid the caller did not pass (-1
 * or 0) is left out: kill(-1) would be every process, kill(0) the group.
 */
static int
sb_rule_unset(const struct sb_rule *r, const struct sandbox_args *a)
{
	unsigned j;

	for (j = 0; j < r->n; j++) {
		if ((r->c[j].src == SB_DIRFD && a->dirfd < 0) ||
		    (r->c[j].src == SB_CHILD && a->child <= 0))
			return 1;
	}
	return 0;
}

static int
sb_add_rules(scmp_filter_ctx ctx, const struct sb_rule *rules, size_t n,
    const struct sandbox_args *a)
{
	struct scmp_arg_cmp cmp[2];
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (sb_rule_unset(&rules[i], a))
			continue;
		for (j = 0; j < rules[i].n; j++) {
			const struct sb_cmp *c = &rules[i].c[j];

			cmp[j].arg = c->arg;
			cmp[j].op = c->op;
			cmp[j].datum_a = c->op == SCMP_CMP_MASKED_EQ ? c->mask : sb_value(c, a);
			cmp[j].datum_b = c->op == SCMP_CMP_MASKED_EQ ? sb_value(c, a) : 0;
		}
		if (seccomp_rule_add_array(ctx, rules[i].err != 0 ? SCMP_ACT_ERRNO(rules[i].err) :
		    SCMP_ACT_ALLOW, rules[i].nr, rules[i].n, cmp) != 0)
			return -1;
	}
	return 0;
}

/* The profile's filter, not loaded yet: arch, attributes, allow-list. */
static int
sb_build(scmp_filter_ctx ctx, enum sandbox_profile p, const struct sandbox_args *a)
{
	const struct sb_profile *sp = &sb_profiles[p];

	/* Another architecture's numbers mean other calls: kill, never look them up. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) != 0 ||
	    /* Every thread, not only the caller: the vault already runs several. */
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0)
		return -1;
	if (sb_add_calls(ctx, sb_common, BOS_ARRAY_LEN(sb_common)) != 0 ||
	    sb_add_rules(ctx, sb_common_rules, BOS_ARRAY_LEN(sb_common_rules), a) != 0 ||
	    sb_add_calls(ctx, sp->calls, sp->ncalls) != 0 ||
	    sb_add_rules(ctx, sp->rules, sp->nrules, a) != 0)
		return -1;
	/* glibc tries clone3 first and falls back to clone only on ENOSYS. */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0 ? -1 : 0;
}

/*
 * glibc reads /proc/sys/vm/overcommit_memory the first time a thread
 * arena's heap shrinks (malloc/arena.c, shrink_heap): in the vault, from a
 * free() in a TLS connection thread, an open the filter would kill in the
 * middle of a request. With a trim threshold no heap reaches, heaps are never
 * shrunk (only unmapped whole); the dynamic mmap threshold is off too, so
 * large blocks (argon2's 64 MiB) stay mmap-ed and go back at free.
 */
/*
 * glibc also reads /sys/devices/system/cpu/online (get_nprocs) when a thread
 * needs a new arena and more than arena_test exist, unless arena_max is set
 * (malloc/arena.c, arena_get2): without this, the ninth or so concurrent
 * connection killed the vault. A fixed maximum: threads beyond it share.
 */
#define SB_ARENA_MAX 8

static int
sb_malloc_prepare(enum sandbox_profile p, struct bos_err *err)
{
	if (mallopt(M_TRIM_THRESHOLD, INT_MAX) != 1)
		return bos_err_set(err, BOS_E_NOMEM, "sandbox %s: cannot set the malloc trim "
		    "threshold", sandbox_profile_name(p));
	if (mallopt(M_ARENA_MAX, SB_ARENA_MAX) != 1)
		return bos_err_set(err, BOS_E_NOMEM, "sandbox %s: cannot set the malloc arena "
		    "maximum", sandbox_profile_name(p));
	return 0;
}

static int
sb_check_args(enum sandbox_profile p, const struct sandbox_args *a, struct bos_err *err)
{
	if ((size_t)p >= BOS_ARRAY_LEN(sb_profiles) || sb_profiles[p].calls == NULL)
		return bos_err_set(err, BOS_E_INVALID, "sandbox: unknown profile %d", (int)p);
	if (a == NULL)
		return bos_err_set(err, BOS_E_INVALID, "sandbox %s: no arguments",
		    sandbox_profile_name(p));
	/* No child when the vault reaches bos-hsmd over its socket (hsm_socket). */
	if (p == SANDBOX_VAULT && a->dirfd < 0)
		return bos_err_set(err, BOS_E_INVALID, "sandbox vault: needs the state directory's "
		    "descriptor");
	return 0;
}

int
sandbox_enter(enum sandbox_profile p, const struct sandbox_args *a, struct bos_err *err)
{
	scmp_filter_ctx ctx;
	int rc;

	if (sb_check_args(p, a, err) != 0)
		return -1;
	/* The allow-lists name this architecture's calls; on another they mean nothing. */
	if (seccomp_arch_native() != SB_ARCH)
		return bos_err_set(err, BOS_E_CONFIG, "sandbox %s: the kernel's native architecture "
		    "is not the one bos was built for", sandbox_profile_name(p));
	if (sandbox_limits(p, err) != 0 || sb_malloc_prepare(p, err) != 0)
		return -1;
	/* Paths first: the filter does not allow the Landlock calls. */
	if (!sandbox_paths_entered() && sandbox_enter_paths(p, a, err) != 0)
		return -1;
#if BOS_SANDBOX_DEBUG == 1
	if (sb_debug_setup(err) != 0)
		return -1;
#endif
	if ((ctx = seccomp_init(SB_DEFAULT)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "sandbox %s: seccomp_init failed",
		    sandbox_profile_name(p));
	if (sb_build(ctx, p, a) != 0) {
		seccomp_release(ctx);
		return bos_err_set(err, BOS_E_INVALID, "sandbox %s: cannot build the filter",
		    sandbox_profile_name(p));
	}
	/* Any non-zero result, -ECANCELED included, means no filter: fatal (STACK-NOTES.md). */
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc > 0)   /* TSYNC: that thread runs another filter and kept it */
		return bos_err_set(err, BOS_E_IO, "sandbox %s: thread %d could not be given the "
		    "filter", sandbox_profile_name(p), rc);
	if (rc != 0)
		return bos_err_set(err, BOS_E_IO, "sandbox %s: cannot load the filter: %s",
		    sandbox_profile_name(p), strerror(-rc));
	return 0;
}
