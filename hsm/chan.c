/* bos-hsmd's channel framing; see chan.h. */
#include "chan.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "hsm_frame.h"
#include "hsm_proto.h"
#include "io.h"
#include "secmem.h"

/*
 * Read n bytes: 0 when all came, 1 at EOF, -1 on error; *got says how many
 * arrived before EOF or error.
 */
static int
chan_read(int fd, uint8_t *p, size_t n, size_t *got)
{
	*got = 0;
	while (*got < n) {
		ssize_t r = read(fd, p + *got, n - *got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return 1;
		if (r < 0)
			return -1;
		*got += (size_t)r;
	}
	return 0;
}

enum chan_status
chan_read_header(int fd, uint32_t *type, uint32_t *len)
{
	uint8_t h[HSM_HDR_LEN];
	size_t got;
	int rc = chan_read(fd, h, sizeof(h), &got);

	if (rc == 1 && got == 0)
		return CHAN_EOF;
	if (rc != 0 || hsm_frame_header(h, type, len) != 0)
		return CHAN_ERROR;
	return CHAN_OK;
}

enum chan_status
chan_read_payload(int fd, struct buf *payload, uint32_t len)
{
	size_t got;

	buf_reset(payload);
	if (len > payload->max)
		return CHAN_ERROR;
	if (chan_read(fd, payload->data, len, &got) != 0)
		return CHAN_ERROR;
	payload->len = len;
	return CHAN_OK;
}

int
chan_send(int fd, uint32_t type, const void *p, size_t n)
{
	struct buf out;
	int r = -1;

	if (n > HSM_PAYLOAD_MAX || buf_init(&out, HSM_HDR_LEN + HSM_PAYLOAD_MAX) != 0)
		return -1;
	if (hsm_frame_put(&out, type, p, n) == 0)
		r = io_send_full(fd, out.data, out.len);
	buf_free(&out);
	return r;
}

int
chan_send_err(int fd, const struct hsm_fail *f)
{
	struct buf p;
	int r = -1;

	if (buf_init(&p, HSM_PAYLOAD_MAX) != 0)
		return -1;
	if (hsm_frame_put_err(&p, (uint32_t)f->code, f->msg) == 0)
		r = chan_send(fd, HSM_MSG_ERR, p.data, p.len);
	buf_free(&p);
	return r;
}
