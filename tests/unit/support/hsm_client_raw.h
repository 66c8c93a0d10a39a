/*
 * Test only: frames of the tests' own making sent to bos-hsmd through a
 * running client (malformed input must kill bos-hsmd). Not in the vault:
 * `nm bos-vaultd | grep send_raw` is empty.
 */
#ifndef BOS_TEST_HSM_CLIENT_RAW_H
#define BOS_TEST_HSM_CLIENT_RAW_H

#include <stddef.h>
#include "compiler.h"
#include "err.h"

struct hsm_client;

/*
 * Send raw bytes on the channel and read one answer frame. Returns 0 when an
 * answer came (an ERR answer's code and message in err), -1 when the channel
 * closed (bos-hsmd's exit status in err).
 */
int hsm_client_send_raw(struct hsm_client *c, const void *p, size_t n, struct bos_err *err) BOS_WUR;

#endif
