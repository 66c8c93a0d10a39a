/*
 * bos.conf: the vault's non-secret settings, one "key = value" per line,
 * '#' starts a comment. Relative paths are relative to the state directory.
 * An unknown key or a malformed line is refused with file:line: reason.
 */
#ifndef BOS_CONFIG_H
#define BOS_CONFIG_H

#include <stdint.h>
#include "compiler.h"
#include "err.h"

#define CONFIG_PATH_MAX 512

struct config {
	char pkcs11_module[CONFIG_PATH_MAX];
	char token_label[33];             /* PKCS#11 labels are at most 32 bytes */
	char pin_file[CONFIG_PATH_MAX];   /* empty: $CREDENTIALS_DIRECTORY/hsm-pin */
	char softhsm_conf[CONFIG_PATH_MAX]; /* empty: leave SOFTHSM2_CONF unset */
	uint32_t audit_key_version;
};

/* Fill defaults: SoftHSM module, audit key v1, everything else empty. */
void config_defaults(struct config *c);

/* Parse the file at path into c (on top of defaults). */
int config_load(const char *path, const char *state_dir, struct config *c,
    struct bos_err *err) BOS_WUR;

/* Write c to path (must not exist), paths relative to state_dir where inside it. */
int config_write(const char *path, const struct config *c, struct bos_err *err) BOS_WUR;

/* Parse one line; exposed for tests. Returns 0, or -1 with err naming the column. */
int config_parse_line(struct config *c, const char *state_dir, char *line,
    struct bos_err *err) BOS_WUR;

#endif
