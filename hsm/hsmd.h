/*
 * The state of the bos-hsmd process: one context, passed to every handler
 * (no mutable globals).
 */
#ifndef BOS_HSM_HSMD_H
#define BOS_HSM_HSMD_H

#include <stdint.h>
#include <sys/types.h>
#include "buf.h"
#include "opts.h"
#include "p11.h"
#include "p11_sign.h"

struct hsmd {
	int fd;                 /* the channel: HSM_CHANNEL_FD, or the accepted connection */
	int listen_fd;          /* --listen: the listening socket, else -1 */
	uid_t peer_uid;         /* --listen: the only uid served there */
	uint32_t generate;      /* --generate-keys N: the key version to make, else 0 */
	enum hsmd_mode mode;
	struct p11 p11;         /* raw PKCS#11: session, KEKs, random */
	struct signer *signer;  /* libp11: audit signatures */
	struct buf req;         /* payload of the request being handled */
	struct buf resp;        /* payload of its answer */
};

#endif
