/*
 * Errors that carry a code for programs and a message for people. Every
 * fallible library function takes a struct bos_err * and fills it on failure.
 * Messages say what is wrong and, where possible, what to do; they never
 * contain secret values.
 */
#ifndef BOS_ERR_H
#define BOS_ERR_H

#include "compiler.h"

enum bos_err_code {
	BOS_OK = 0,
	BOS_E_INVALID,   /* bad input from the caller or user */
	BOS_E_NOTFOUND,  /* no such object */
	BOS_E_EXISTS,    /* would overwrite or duplicate */
	BOS_E_AUTH,      /* authentication of data failed (bad tag, wrong key) */
	BOS_E_CORRUPT,   /* stored data is damaged or of the wrong format */
	BOS_E_HSM,       /* the HSM process failed or is gone */
	BOS_E_DB,        /* database error */
	BOS_E_IO,        /* file system or OS error */
	BOS_E_NOMEM,
	BOS_E_CONFIG,    /* configuration is missing or wrong */
	BOS_E_REVOKED,   /* the object exists but is revoked */
	BOS_E_BUSY,      /* temporarily unavailable (database locked): retry later */
};

struct bos_err {
	enum bos_err_code code;
	char msg[512];
};

/*
 * Fill err (if not NULL) and evaluate to -1, so callers can
 * `return bos_err_set(...)`. The macros make the -1 visible where they are
 * used: a static analyzer that does not follow the call into err.c sees an
 * error path return -1, not an unknown int it may take for success.
 */
void bos_err_fill(struct bos_err *err, enum bos_err_code code, const char *fmt, ...)
    BOS_PRINTF(3, 4);
#define bos_err_set(err, ...) ({ bos_err_fill((err), __VA_ARGS__); -1; })

/* Prefix err->msg with "context: ", keeping the code. Evaluates to -1. */
void bos_err_prefix(struct bos_err *err, const char *fmt, ...) BOS_PRINTF(2, 3);
#define bos_err_wrap(err, ...) ({ bos_err_prefix((err), __VA_ARGS__); -1; })

void bos_err_clear(struct bos_err *err);

/* Short stable name of a code, e.g. "not_found". */
const char *bos_err_name(enum bos_err_code code);

#endif
