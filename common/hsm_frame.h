/*
 * The one codec of bos-hsmd's frames (hsm_proto.h), used by both ends:
 * bos-hsmd (hsm/chan.c) and the vault's client (vault/hsmc/hsm_client.c).
 * Frames are built in bounded buffers (buf.h) and read from them; moving
 * the bytes over the channel stays with each end (bos-hsmd blocks, the
 * client waits with a deadline).
 */
#ifndef BOS_HSM_FRAME_H
#define BOS_HSM_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "compiler.h"
#include "hsm_proto.h"

/*
 * A whole frame (header and payload) of type with the n bytes at p, into out
 * (reset first; its max at least HSM_HDR_LEN + n). n <= HSM_PAYLOAD_MAX.
 */
int hsm_frame_put(struct buf *out, uint32_t type, const void *p, size_t n) BOS_WUR;
/* The type and payload length of a header (not checked against anything). */
int hsm_frame_header(const uint8_t h[HSM_HDR_LEN], uint32_t *type, uint32_t *len) BOS_WUR;

/*
 * An HSM_MSG_ERR payload into p (reset first): u32 code, str16 message. The
 * protocol promises printable ASCII: any other byte of msg goes out as '?';
 * at most HSM_ERRMSG_MAX bytes of it are sent.
 */
int hsm_frame_put_err(struct buf *p, uint32_t code, const char *msg) BOS_WUR;
/*
 * Read an HSM_MSG_ERR payload: u32 code, str16 message (<= HSM_ERRMSG_MAX),
 * nothing after. msg (cap bytes) gets it NUL-terminated, any unprintable
 * byte as '?'. -1 when malformed or when it does not fit.
 */
int hsm_frame_get_err(struct buf *p, uint32_t *code, char *msg, size_t cap) BOS_WUR;

#endif
