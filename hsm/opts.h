/*
 * bos-hsmd's command line. Paths and the token label only: a PIN is never
 * accepted from argv or the environment, only from a file.
 */
#ifndef BOS_HSM_OPTS_H
#define BOS_HSM_OPTS_H

#include "compiler.h"
#include "fail.h"

enum hsmd_mode {
	HSMD_MODE_SERVE,        /* wrap, unwrap, sign, pubkey, random */
	HSMD_MODE_INIT,         /* the same plus keygen */
	HSMD_MODE_CREATE_TOKEN, /* initialise a free slot first, then as INIT */
};

struct hsmd_opts {
	const char *module;      /* PKCS#11 module, absolute path */
	const char *token;       /* token label, 1..32 printable ASCII */
	const char *pin_file;    /* NULL: $CREDENTIALS_DIRECTORY/hsm-pin */
	const char *so_pin_file; /* only with --create-token */
	enum hsmd_mode mode;
	int unconfined_ok;       /* --allow-unconfined-paths: no Landlock is not fatal (SANDBOX.md) */
	const char *listen;      /* --listen: serve on this unix socket, not fd 3 (serve mode only) */
	const char *peer_uid;    /* --peer-uid: the one uid (number or user name) it serves there */
	const char *generate;    /* --generate-keys N: make key version N and exit (no channel) */
};

#define HSMD_USAGE "usage: bos-hsmd --module PATH --token LABEL [--pin-file PATH]" \
	" [--init | --create-token --so-pin-file PATH | --listen SOCKET --peer-uid UID]" \
	" [--generate-keys N]" \
	" [--allow-unconfined-paths]"

/* Parse argv; on failure f says what is wrong (HSM_ERR_CONFIG). */
int opts_parse(int argc, char **argv, struct hsmd_opts *o, struct hsm_fail *f) BOS_WUR;

#endif
