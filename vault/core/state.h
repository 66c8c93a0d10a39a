/*
 * The vault's state directory: bos.conf, the wrapped DB key (db.key) and the
 * SQLCipher database (bos.db); in development also a private SoftHSM token
 * (softhsm2.conf, tokens/) and its PIN files (hsm-pin, hsm-so-pin, 0400).
 *
 * state_init() creates all of it and refuses to touch a directory that already
 * holds a vault; state_open() starts bos-hsmd, unwraps the DB key into locked
 * memory and opens the database. Both leave nothing behind on failure.
 */
#ifndef BOS_STATE_H
#define BOS_STATE_H

#include <stdint.h>
#include "compiler.h"
#include "core/config.h"
#include "err.h"
#include "hsmc/hsm_client.h"

struct store;

#define STATE_CONF "bos.conf"
#define STATE_DBKEY "db.key"
#define STATE_DB "bos.db"
#define STATE_PIN "hsm-pin"
#define STATE_SO_PIN "hsm-so-pin"
#define STATE_SOFTHSM_CONF "softhsm2.conf"
#define STATE_TOKENS "tokens"
#define STATE_DEV_TOKEN "bos-dev"
#define STATE_POLICY "roles.policy"   /* role policies (policy.h), read by bos-vaultd */

struct state_init_opts {
	int dev;                  /* create a private SoftHSM token in the directory */
	const char *module;       /* production: PKCS#11 module (NULL: SoftHSM) */
	const char *token_label;  /* production: existing token; dev: NULL = "bos-dev" */
	const char *pin_file;     /* production: 0400 PIN file (NULL: $CREDENTIALS_DIRECTORY) */
	int unconfined_paths;     /* bos.conf sandbox_unconfined_paths = 1 (docs/SANDBOX.md) */
	/*
	 * production: bos-hsmd's socket (bos.conf hsm_socket). Its token and
	 * keys v1 exist already ('bos-hsmd init' as its user): only the DB key
	 * is made, through it. Not with dev.
	 */
	const char *hsm_socket;
};

struct state {
	char dir[CONFIG_PATH_MAX];
	struct config conf;
	struct hsm_client *hsm;
	struct store *store;
	uint32_t kek_version;     /* current KEK version: wraps new DEKs */
};

/* Is dir missing or empty (so that state_init may use it)? 1 yes, 0 no, -1 error. */
int state_dir_is_fresh(const char *dir) BOS_WUR;

int state_init(const char *dir, const struct state_init_opts *o, struct bos_err *err) BOS_WUR;

/* Open a vault made by state_init; bos-hsmd is found by state_find_hsmd(). */
int state_open(const char *dir, struct state *st, struct bos_err *err) BOS_WUR;

/* As state_open, with an explicit bos-hsmd (test tools live elsewhere). */
int state_open_with(const char *dir, const char *hsmd_path, struct state *st,
    struct bos_err *err) BOS_WUR;

void state_close(struct state *st);

/* Locate bos-hsmd: beside the running executable, else BOS_LIBEXECDIR. */
int state_find_hsmd(char *out, size_t cap) BOS_WUR;

#endif
