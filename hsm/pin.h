/*
 * PIN files. bos-hsmd reads the user PIN (and, when creating a token, the SO
 * PIN) from a file that only its owner can read: a systemd credential
 * ($CREDENTIALS_DIRECTORY/hsm-pin) or a 0400/0600 file. The PIN lives in
 * locked, non-dumpable memory and is wiped right after use.
 */
#ifndef BOS_HSM_PIN_H
#define BOS_HSM_PIN_H

#include <stddef.h>
#include "compiler.h"
#include "fail.h"

#define PIN_MAX 256

struct pin {
	unsigned char *p; /* secmem_alloc(PIN_MAX + 1); not NUL-terminated */
	size_t len;
};

/*
 * Read a PIN file: a regular file (not a symlink) owned by the effective
 * uid, mode 0400 or 0600, at most PIN_MAX bytes; one trailing newline is
 * removed. On failure f names the path and the problem (HSM_ERR_PIN).
 */
int pin_read(const char *path, struct pin *pin, struct hsm_fail *f) BOS_WUR;

/* The default PIN file, $CREDENTIALS_DIRECTORY/hsm-pin, into buf. */
int pin_default_path(char *buf, size_t cap, struct hsm_fail *f) BOS_WUR;

/* Wipe and release. Safe on a zeroed or already freed pin. */
void pin_free(struct pin *pin);

#endif
