/*
 * make bench: the cost of one argon2id password verification, with the
 * vault's parameters (vault/auth/password.c: t=3, m=64 MiB, p=1, 16-byte salt,
 * 32-byte tag). A sign-in pays this once; the vault runs at most two at once.
 *
 *   argon2_verify [N]
 *
 * Hashes one password, then times N (default 5) verifications.
 * Prints {"median_ms":M,"min_ms":M,"max_ms":M,"n":N}.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <argon2.h>
#include "bench.h"

/* Keep in step with vault/auth/password.c. */
#define PW_T_COST 3
#define PW_M_COST_KIB (64 * 1024)
#define PW_PARALLELISM 1
#define PW_SALT_LEN 16
#define PW_TAG_LEN 32
#define MAX_N 50

int
main(int argc, char **argv)
{
	static const char pw[] = "correct horse battery staple";
	uint8_t salt[PW_SALT_LEN];
	char enc[256];
	double ms[MAX_N], t;
	long n = 5;
	char *end;
	int i, rc;

	if (argc > 2) {
		fprintf(stderr, "usage: argon2_verify [N]\n");
		return 2;
	}
	if (argc == 2) {
		errno = 0;
		n = strtol(argv[1], &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 || n > MAX_N) {
			fprintf(stderr, "argon2_verify: N must be 1..%d\n", MAX_N);
			return 2;
		}
	}
	memset(salt, 0x5a, sizeof(salt));
	rc = argon2id_hash_encoded(PW_T_COST, PW_M_COST_KIB, PW_PARALLELISM, pw, strlen(pw),
	    salt, sizeof(salt), PW_TAG_LEN, enc, sizeof(enc));
	if (rc != ARGON2_OK) {
		fprintf(stderr, "argon2_verify: hash failed: %s\n", argon2_error_message(rc));
		return 1;
	}
	for (i = 0; i < n; i++) {
		t = bench_now_ms();
		rc = argon2id_verify(enc, pw, strlen(pw));
		ms[i] = bench_now_ms() - t;
		if (rc != ARGON2_OK) {
			fprintf(stderr, "argon2_verify: verify failed: %s\n",
			    argon2_error_message(rc));
			return 1;
		}
	}
	qsort(ms, (size_t)n, sizeof(ms[0]), bench_cmp_double);
	printf("{\"median_ms\":%.1f,\"min_ms\":%.1f,\"max_ms\":%.1f,\"n\":%ld,"
	    "\"t\":%d,\"m_kib\":%d,\"p\":%d}\n",
	    n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2, ms[0], ms[n - 1], n,
	    PW_T_COST, PW_M_COST_KIB, PW_PARALLELISM);
	return 0;
}
