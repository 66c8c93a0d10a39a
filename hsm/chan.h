/*
 * bos-hsmd's end of the channel on fd 3 (framing in hsm_proto.h, the codec
 * in hsm_frame.h, shared with the vault's client). Reads one
 * request header and payload; writes OK, ERR and READY frames. Every frame
 * is built in a zero-filled buffer, so no uninitialised byte is ever sent.
 */
#ifndef BOS_HSM_CHAN_H
#define BOS_HSM_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "compiler.h"
#include "fail.h"

enum chan_status {
	CHAN_OK = 0,
	CHAN_EOF = 1,        /* peer closed the channel between frames */
	CHAN_ERROR = -1,     /* I/O error or EOF inside a frame */
};

/* Read the 8-byte header. */
enum chan_status chan_read_header(int fd, uint32_t *type, uint32_t *len) BOS_WUR;
/* Read exactly len payload bytes into payload (reset first). */
enum chan_status chan_read_payload(int fd, struct buf *payload, uint32_t len) BOS_WUR;

/* Send a frame of type with payload p (n <= HSM_PAYLOAD_MAX). */
int chan_send(int fd, uint32_t type, const void *p, size_t n) BOS_WUR;
/* Send HSM_MSG_ERR with f's code and message (made printable, cut to max). */
int chan_send_err(int fd, const struct hsm_fail *f) BOS_WUR;

#endif
