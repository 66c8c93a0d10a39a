/*
 * The vault's end of bos-hsmd's listening socket (bos.conf hsm_socket;
 * docs/HSM.md, "Its own user"). Once connected, the socket is the channel,
 * framed exactly as the socketpair of a bos-hsmd the vault started itself.
 */
#ifndef BOS_HSM_CONNECT_H
#define BOS_HSM_CONNECT_H

#include "compiler.h"
#include "err.h"

/* Connect to the unix socket at path; *fd is close-on-exec. */
int hsm_connect(const char *path, int *fd, struct bos_err *err) BOS_WUR;

/*
 * 1 when bos-hsmd has closed its end or sent what nobody asked for (it
 * answers requests only), 0 while the connection looks healthy. Does not block.
 */
int hsm_connect_gone(int fd) BOS_WUR;

#endif
