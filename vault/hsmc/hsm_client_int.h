/*
 * Inside the client of bos-hsmd (hsm_client.c): its state and the one
 * exchange every request goes through. Not for the vault's other code, which
 * uses hsm_client.h; tests build on it to send frames of their own
 * (tests/unit/support/hsm_client_raw.c).
 */
#ifndef BOS_HSM_CLIENT_INT_H
#define BOS_HSM_CLIENT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "buf.h"
#include "compiler.h"
#include "err.h"

struct hsm_client {
	pthread_mutex_t mu;
	int fd;         /* -1 once the channel is closed */
	pid_t pid;      /* -1 when connected to bos-hsmd's socket (hsm_socket) */
	int watch_fd;   /* hsm_socket: the connection as made, for hsm_client_watch_fd; else -1 */
	atomic_int alive;   /* written under mu; read without it by hsm_client_alive */
	int reaped;
	int status;     /* wait status once reaped, -1 if unknown */
	char *path;     /* bos-hsmd or its socket, for messages */
	void (*obs_fn)(void *arg, double seconds); /* latency observer, under mu */
	void *obs_arg;
};

/*
 * With c->mu held: send the n bytes of frame (already framed) and read one
 * answer frame (OK, ERR or READY within the limits) into resp. 0: an answer
 * came, *type says which; -1: bos-hsmd is gone, did not answer in time or
 * broke the protocol, and is marked dead (err says which, with its status).
 */
int hsm_client_exchange_locked(struct hsm_client *c, const void *frame, size_t n, uint32_t *type,
    struct buf *resp, struct bos_err *err) BOS_WUR;
/* The bos_err code of an HSM_MSG_ERR code. */
enum bos_err_code hsm_client_map_err(uint32_t code);

#endif
