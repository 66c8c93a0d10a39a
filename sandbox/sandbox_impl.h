/* Internal to sandbox/: what sandbox.c gives the two implementations. */
#ifndef BOS_SANDBOX_IMPL_H
#define BOS_SANDBOX_IMPL_H

#include "sandbox.h"

/* RLIMIT_CORE 0 and PR_SET_NO_NEW_PRIVS, for every profile. */
int sandbox_limits(enum sandbox_profile p, struct bos_err *err) BOS_WUR;

#endif
