/*
 * bos-hsmd's listening mode (--listen SOCKET --peer-uid UID), for production,
 * where bos-hsmd is its own service and user (docs/HSM.md, "Its own user"):
 * a unix socket instead of fd 3, served to one uid only, one connection at a
 * time. After accept, a connection is served exactly like fd 3.
 */
#ifndef BOS_HSM_LISTEN_H
#define BOS_HSM_LISTEN_H

#include "compiler.h"
#include "fail.h"
#include "hsmd.h"

/*
 * Resolve peer (a number or a user name) into d->peer_uid, and bind and
 * listen on path (a stale socket there is replaced; anything else is an
 * error) into d->listen_fd. Called before the sandbox: binding needs the path.
 */
int listen_open(struct hsmd *d, const char *path, const char *peer, struct hsm_fail *f) BOS_WUR;

/*
 * Accept connections one at a time. A peer whose SO_PEERCRED uid is not
 * d->peer_uid is logged and closed without a byte sent; the peer gets READY
 * and is served until it closes (then the next is accepted; the token stays
 * logged in) or breaks the protocol (then bos-hsmd exits). Returns the exit
 * status.
 */
int listen_serve(struct hsmd *d) BOS_WUR;

#endif
