/*
 * The process sandbox (STYLE.md habit 7, SECURITY.md "Memory and process"):
 * one call, sandbox_enter(profile), made once a process has finished
 * starting up and before it serves. From then on the process may make only
 * the system calls its profile lists; any other call kills the whole
 * process with SIGSYS. See docs/SANDBOX.md.
 *
 * Two implementations, chosen by the Makefile: sandbox_seccomp.c (libseccomp)
 * and sandbox_null.c, which only sets the resource limits and no new
 * privileges, for sanitizer and fuzz builds (their runtimes make system calls
 * no allow-list should carry). `make SANDBOX_DEBUG=1` builds the seccomp one
 * so that a refused call is named on stderr before the process exits with
 * status 159 (128 + SIGSYS), instead of dying silently.
 */
#ifndef BOS_SANDBOX_H
#define BOS_SANDBOX_H

#include <sys/types.h>
#include "compiler.h"
#include "err.h"

enum sandbox_profile {
	SANDBOX_VAULT,   /* bos-vaultd after start-up: listeners, bos-hsmd, threads running */
	SANDBOX_HSMD,    /* bos-hsmd after module load and login, before its request loop */
};

/* What a profile is allowed to name in its argument filters. */
struct sandbox_args {
	int dirfd;       /* SANDBOX_VAULT: the state directory; the only base for openat */
	pid_t child;     /* SANDBOX_VAULT: bos-hsmd, the only process it may kill */
};

/*
 * Enter the profile, for every thread of the process (threads started later
 * inherit it). Sets RLIMIT_CORE 0 and no new privileges. Any failure is
 * fatal to the caller: the process must not serve unconfined.
 */
int sandbox_enter(enum sandbox_profile p, const struct sandbox_args *a, struct bos_err *err)
    BOS_WUR;

/* "seccomp", "seccomp-debug", "seccomp-log" or "null": what sandbox_enter installs. */
const char *sandbox_kind(void);

/* The profile's name, for messages: "vault", "hsmd". */
const char *sandbox_profile_name(enum sandbox_profile p);

#endif
