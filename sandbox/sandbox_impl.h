/* Internal to sandbox/: what sandbox.c and sandbox_landlock.c give the implementations. */
#ifndef BOS_SANDBOX_IMPL_H
#define BOS_SANDBOX_IMPL_H

#include "sandbox.h"

/* RLIMIT_CORE 0 and PR_SET_NO_NEW_PRIVS, for every profile. */
int sandbox_limits(enum sandbox_profile p, struct bos_err *err) BOS_WUR;

/* sandbox_enter_paths has run in this process (sandbox_landlock.c). */
int sandbox_paths_entered(void);

#endif
