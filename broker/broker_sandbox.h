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

/* Enter it; unconfined_ok: run where the kernel has no Landlock (warned). */
int broker_sandbox_enter(int unconfined_ok, struct bos_err *err) BOS_WUR;

#endif
