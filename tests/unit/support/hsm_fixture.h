/*
 * Test fixture: a fresh SoftHSM2 token in a temporary directory, with the
 * real bos-hsmd started on it (keys v1 generated). Tests find bos-hsmd
 * through $BOS_BIN (default build/bin).
 */
#ifndef BOS_HSM_FIXTURE_H
#define BOS_HSM_FIXTURE_H

#include "hsmc/hsm_client.h"

struct hsm_fixture {
	char dir[256];          /* temporary directory, removed by teardown */
	char conf[300];         /* softhsm2.conf */
	char pin_file[300];     /* 0400 user PIN file */
	char hsmd_path[300];
	const char *token_label;
	struct hsm_config cfg;
	struct hsm_client *hsm; /* running bos-hsmd in INIT mode, keys v1 created */
};

/* Returns 0 or -1 (and prints why). */
int hsm_fixture_setup(struct hsm_fixture *f);
void hsm_fixture_teardown(struct hsm_fixture *f);

#endif
