/* Test only: raw frames to bos-hsmd; see hsm_client_raw.h. */
#include "hsm_client_raw.h"

#include <pthread.h>
#include "buf.h"
#include "hsm_frame.h"
#include "hsmc/hsm_client_int.h"

int
hsm_client_send_raw(struct hsm_client *c, const void *p, size_t n, struct bos_err *err)
{
	char msg[HSM_ERRMSG_MAX + 1];
	struct buf resp;
	uint32_t type = 0, code;
	int r;

	if (c == NULL || buf_init(&resp, HSM_PAYLOAD_MAX) != 0)
		return bos_err_set(err, BOS_E_HSM, "no client");
	pthread_mutex_lock(&c->mu);
	r = hsm_client_exchange_locked(c, p, n, &type, &resp, err);
	/* An answer came; pass an ERR on for the caller to look at. */
	if (r == 0 && type == HSM_MSG_ERR && hsm_frame_get_err(&resp, &code, msg, sizeof(msg)) == 0)
		bos_err_set(err, hsm_client_map_err(code), "bos-hsmd: %s", msg);
	pthread_mutex_unlock(&c->mu);
	buf_free(&resp);
	return r;
}
