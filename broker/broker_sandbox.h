/*
 * The broker's sandbox (docs/SANDBOX.md "bos-broker"): name resolution is
 * warmed up (NSS modules loaded) and its files opened for the Landlock rules,
 * then sandbox_enter(SANDBOX_BROKER): read-only access to those files and
 * nothing else by path; the broker profile's system calls only.
 */
#ifndef BOS_BROKER_SANDBOX_H
#define BOS_BROKER_SANDBOX_H

#include "compiler.h"
#include "err.h"

/*
 * Landlock only, while the process has one thread: the hooks listener's
 * thread starts after it and before broker_sandbox_enter, so that it
 * inherits the path rules (Landlock cannot reach a running thread) and
 * seccomp's TSYNC gives it the filter. Optional: broker_sandbox_enter does
 * it when it has not been done.
 */
int broker_sandbox_enter_paths(int unconfined_ok, struct bos_err *err) BOS_WUR;

/*
 * Enter it; unconfined_ok: run where the kernel has no Landlock (warned).
 * listen_fd: the hooks listener's socket, the only one accept4 may take
 * connections from (-1: none, and accept4 kills).
 */
int broker_sandbox_enter(int unconfined_ok, int listen_fd, struct bos_err *err) BOS_WUR;

#endif
