/*
 * Why an hsmd operation failed: a protocol error code (enum hsm_err) and a
 * one-line message for the vault's operator. Messages name labels, paths and
 * PKCS#11 return codes, never PINs or key material.
 */
#ifndef BOS_HSM_FAIL_H
#define BOS_HSM_FAIL_H

#include "compiler.h"
#include "hsm_proto.h"

struct hsm_fail {
	enum hsm_err code;
	char msg[HSM_ERRMSG_MAX + 1];
};

/* Fill f (if not NULL) and return -1, so callers can `return hsm_fail_set(...)`. */
int hsm_fail_set(struct hsm_fail *f, enum hsm_err code, const char *fmt, ...) BOS_PRINTF(3, 4);

#endif
