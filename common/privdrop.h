/*
 * Dropping root for a daemon that an operator starts by hand as root.
 *
 * Under systemd the unit's User=/Group= switch ids before exec: the daemon
 * then is not root and privdrop_to() does nothing. When it is root, the
 * drop must come right after the command line is parsed and before any
 * input is read (bos.conf, the state directory, a socket), before any
 * thread is started and before bos-hsmd is exec'd, so that nothing the
 * process reads or creates is handled as root.
 */
#ifndef BOS_PRIVDROP_H
#define BOS_PRIVDROP_H

#include "compiler.h"
#include "err.h"

/*
 * When any of the real, effective or saved uids is 0: look up user (and
 * group, or the user's primary group when group is NULL), refuse either if
 * it is root, drop every supplementary group, set all three gids, then all
 * three uids, set no_new_privs, and keep the process undumpable if it was.
 * Then verify: all ids are the target, no supplementary groups are left,
 * and setuid(0), seteuid(0), setgid(0) all fail.
 *
 * Root without a target user is refused (a vault must not run as root).
 * When not root at all, returns 0 and changes nothing (user and group are
 * not checked: an unprivileged process cannot become anyone else, and the
 * vault's own checks that its files belong to its euid catch a mismatch).
 *
 * The name lookups go through NSS, which may dlopen modules and open
 * sockets: call it before any sandbox is entered.
 *
 * Returns 0, or -1 with err (BOS_E_CONFIG for a missing or unknown name or a
 * root target, BOS_E_IO when a call fails). After -1 the caller must exit:
 * the ids may be half changed.
 */
int privdrop_to(const char *user, const char *group, struct bos_err *err) BOS_WUR;

/* 1 when the real, effective or saved uid is 0. */
int privdrop_is_root(void);

#endif
