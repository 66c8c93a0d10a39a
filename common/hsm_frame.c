/* bos-hsmd's frames, for both ends; see hsm_frame.h and hsm_proto.h. */
#include "hsm_frame.h"

#include <string.h>

int
hsm_frame_put(struct buf *out, uint32_t type, const void *p, size_t n)
{
	buf_reset(out);
	if (n > HSM_PAYLOAD_MAX)
		return -1;
	if (buf_put_u32(out, type) != 0 || buf_put_u32(out, (uint32_t)n) != 0 ||
	    buf_put(out, p, n) != 0)
		return -1;
	return 0;
}

int
hsm_frame_header(const uint8_t h[HSM_HDR_LEN], uint32_t *type, uint32_t *len)
{
	uint8_t copy[HSM_HDR_LEN];
	struct buf hdr = { .data = copy, .len = HSM_HDR_LEN, .max = HSM_HDR_LEN, .cap = HSM_HDR_LEN };

	memcpy(copy, h, sizeof(copy));
	return buf_get_u32(&hdr, type) != 0 || buf_get_u32(&hdr, len) != 0 ? -1 : 0;
}

/* Printable ASCII, as the protocol promises; anything else becomes '?'. */
static char
hsm_frame_printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f ? (char)c : '?';
}

int
hsm_frame_put_err(struct buf *p, uint32_t code, const char *msg)
{
	char out[HSM_ERRMSG_MAX];
	size_t i, n = strnlen(msg, sizeof(out));

	for (i = 0; i < n; i++)
		out[i] = hsm_frame_printable((unsigned char)msg[i]);
	buf_reset(p);
	return buf_put_u32(p, code) != 0 || buf_put_str16(p, out, n) != 0 ? -1 : 0;
}

int
hsm_frame_get_err(struct buf *p, uint32_t *code, char *msg, size_t cap)
{
	const uint8_t *m;
	size_t n, i;

	if (buf_get_u32(p, code) != 0 || buf_get_str16(p, &m, &n, HSM_ERRMSG_MAX) != 0 ||
	    buf_remaining(p) != 0 || n >= cap)
		return -1;
	for (i = 0; i < n; i++)
		msg[i] = hsm_frame_printable(m[i]);
	msg[n] = '\0';
	return 0;
}
