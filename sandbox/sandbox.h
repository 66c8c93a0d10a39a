/*
 * The process sandbox (STYLE.md habit 7, SECURITY.md "Memory and process"):
 * one call, sandbox_enter(profile), made once a process has finished
 * starting up and before it serves. From then on the process may make only
 * the system calls its profile lists; any other call kills the whole
 * process with SIGSYS, and it reaches by path only the trees its profile
 * names (Landlock; sandbox_enter_paths). See docs/SANDBOX.md.
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
	SANDBOX_BROKER,  /* bos-broker after its config, token and CA bundle are read */
};

/*
 * File-path confinement (docs/SANDBOX.md "File paths"): what a profile may
 * still reach by path once it is confined. Anything else (an absolute path,
 * `..` or a symlink out of these trees, a file beneath them the rights do not
 * cover) is refused with EACCES by the kernel (Landlock), whatever system
 * call or base descriptor is used. Rights apply to the whole tree under a
 * directory; a regular file gets only its file rights (read, write, truncate).
 */
#define SANDBOX_FS_READ     0x01u  /* read files, list directories */
#define SANDBOX_FS_WRITE    0x02u  /* open files for writing */
#define SANDBOX_FS_TRUNCATE 0x04u  /* truncate (O_TRUNC, truncate(2)); Landlock ABI >= 3 */
#define SANDBOX_FS_CREATE   0x08u  /* create regular files */
#define SANDBOX_FS_REMOVE   0x10u  /* unlink files, rename one over another in the tree */
#define SANDBOX_FS_BIND     0x20u  /* create unix sockets (bind) */

/*
 * Each profile's trees and rights, named here so that the daemons and the
 * probes (tests/tools/sandbox_probe.c) enter the same profile.
 * SANDBOX_VAULT, its state directory: create, write and remove files (the
 * audit head, SQLite's -wal and -shm at close), bind vault.sock; read none
 * by path (not hsm-pin, hsm-so-pin or a token).
 * SANDBOX_HSMD, SoftHSM's token directory: read when serving; read, write
 * and create object files when generating keys (--init, --create-token).
 */
#define SANDBOX_VAULT_STATE_ACCESS (SANDBOX_FS_WRITE | SANDBOX_FS_CREATE | SANDBOX_FS_REMOVE | \
	SANDBOX_FS_BIND)
#define SANDBOX_HSMD_TOKENS_SERVE SANDBOX_FS_READ
#define SANDBOX_HSMD_TOKENS_KEYGEN (SANDBOX_FS_READ | SANDBOX_FS_WRITE | SANDBOX_FS_TRUNCATE | \
	SANDBOX_FS_CREATE | SANDBOX_FS_REMOVE)

/*
 * SANDBOX_BROKER: name resolution's files (/etc/resolv.conf, hosts,
 * nsswitch.conf, gai.conf, host.conf), read only; nothing else by path.
 */
#define SANDBOX_BROKER_DNS_ACCESS SANDBOX_FS_READ

#define SANDBOX_PATHS_MAX 8

struct sandbox_path {
	int fd;             /* the directory or file, opened before (O_PATH is enough) */
	unsigned access;    /* SANDBOX_FS_* */
};

/* What a profile is allowed to name in its argument filters and path rules. */
struct sandbox_args {
	int dirfd;       /* SANDBOX_VAULT: the state directory; the only base for openat;
	                    SANDBOX_HSMD: its listening socket (--listen), else -1 */
	pid_t child;     /* SANDBOX_VAULT: bos-hsmd, the only process it may kill;
	                    0 when it is reached over a socket (then none) */
	struct sandbox_path paths[SANDBOX_PATHS_MAX];  /* all that stays reachable by path */
	size_t npaths;
	/*
	 * bos.conf sandbox_unconfined_paths = 1: where the kernel has no
	 * Landlock, run with file paths unconfined (warned) instead of refusing.
	 */
	int unconfined_ok;
};

/*
 * Confine file paths to a->paths, for the calling thread and every thread
 * or process it starts later (Landlock cannot reach threads that already
 * run): call it while the process has one thread, after everything outside
 * a->paths has been opened. Refused (nothing changed) if another thread
 * runs. Where the kernel has no Landlock it fails, naming the way out,
 * unless a->unconfined_ok. sandbox_enter calls it when it has not been
 * called; a process with threads must call it itself, earlier.
 */
int sandbox_enter_paths(enum sandbox_profile p, const struct sandbox_args *a,
    struct bos_err *err) BOS_WUR;

/*
 * How file paths are confined, for the start-up log: "landlock ABI N",
 * "none (...)" with the reason, or "not yet".
 */
const char *sandbox_paths_kind(void);

/* 1 when file paths are confined (Landlock in force), else 0. */
int sandbox_paths_confined(void);

/*
 * 1 when this kernel can confine file paths (Landlock, any ABI), else 0.
 * The null sandbox says 1: it never confines, and nothing should be set
 * up for a kernel it did not ask.
 */
int sandbox_paths_available(void);

/*
 * Enter the profile, for every thread of the process (threads started later
 * inherit it): file paths (sandbox_enter_paths, if not entered yet), then
 * the system-call filter. Sets RLIMIT_CORE 0 and no new privileges. Any
 * failure is fatal to the caller: the process must not serve unconfined.
 */
int sandbox_enter(enum sandbox_profile p, const struct sandbox_args *a, struct bos_err *err)
    BOS_WUR;

/* "seccomp", "seccomp-debug", "seccomp-log" or "null": what sandbox_enter installs. */
const char *sandbox_kind(void);

/* The profile's name, for messages: "vault", "hsmd", "broker". */
const char *sandbox_profile_name(enum sandbox_profile p);

#endif
