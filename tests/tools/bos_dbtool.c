/*
 * Test tool: open a vault's state directory the way bos-vaultd does (real
 * HSM, real DB key) and run one SQL statement, printing result rows as
 * tab-separated hex/text. Lets integration tests tamper with stored rows.
 * usage: bos_dbtool STATE_DIR SQL [HOLD_SECONDS]
 * With HOLD_SECONDS it sleeps before closing, e.g. to hold a lock taken by
 * "BEGIN IMMEDIATE" while a test sends requests.
 *
 *        bos_dbtool STATE_DIR --add-v1 ID NAME TYPE SERVICE VERSION [BRAND FIRST6 LAST4]
 * stores the secret read from stdin as a credential version sealed the way
 * BOS did before schema 6 (tests/unit/support/cred_v1.h), and lists it in
 * credential_reseal as migration 6 lists the versions it finds, so a test can
 * see bos-vaultd seal an old database's versions anew.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cred_v1.h"
#include "core/state.h"
#include "store/store.h"

static int
dbtool_row(void *arg, int n, char **vals, char **cols)
{
	int i;

	(void)arg;
	(void)cols;
	for (i = 0; i < n; i++)
		printf("%s%s", i ? "\t" : "", vals[i] ? vals[i] : "NULL");
	printf("\n");
	return 0;
}

static int
dbtool_add_v1(struct state *st, int argc, char **argv)
{
	struct cred_v1_row row = { argv[3], argv[4], argv[5], argv[6],
	    (uint32_t)strtoul(argv[7], NULL, 10), NULL, 0, NULL, NULL, NULL };
	struct bos_err err = { BOS_OK, "" };
	sqlite3 *db = store_db(st->store);
	uint8_t secret[4096];
	sqlite3_stmt *q = NULL;
	size_t n = fread(secret, 1, sizeof(secret), stdin);
	int r = 1;

	if (argc == 11) {
		row.brand = argv[8];
		row.first6 = argv[9];
		row.last4 = argv[10];
	}
	row.secret = secret;
	row.secret_len = n;
	if (n == 0 || cred_v1_insert(db, st->hsm, st->kek_version, &row, &err) != 0) {
		fprintf(stderr, "bos_dbtool: --add-v1: %s\n", n == 0 ? "no secret on stdin" : err.msg);
		goto out;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO credential_reseal VALUES (?1, ?2)", -1, &q,
	    NULL) != SQLITE_OK || sqlite3_bind_text(q, 1, row.id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 2, row.version) != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE) {
		fprintf(stderr, "bos_dbtool: --add-v1: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	r = 0;
 out:
	sqlite3_finalize(q);
	secmem_wipe(secret, sizeof(secret));
	return r;
}

int
main(int argc, char **argv)
{
	struct state st;
	struct bos_err err;
	char *msg = NULL, hsmd[512];
	const char *bin = getenv("BOS_BIN");
	int rc, add = argc >= 3 && strcmp(argv[2], "--add-v1") == 0;

	if (add ? argc != 8 && argc != 11 : argc != 3 && argc != 4) {
		fprintf(stderr, "usage: bos_dbtool STATE_DIR SQL [HOLD_SECONDS]\n"
		    "       bos_dbtool STATE_DIR --add-v1 ID NAME TYPE SERVICE VERSION "
		    "[BRAND FIRST6 LAST4] <SECRET\n");
		return 2;
	}
	bos_err_clear(&err);
	(void)snprintf(hsmd, sizeof(hsmd), "%s/bos-hsmd", bin ? bin : "build/bin");
	if (state_open_with(argv[1], hsmd, &st, &err) != 0) {
		fprintf(stderr, "bos_dbtool: %s\n", err.msg);
		return 1;
	}
	if (add) {
		rc = dbtool_add_v1(&st, argc, argv);
		state_close(&st);
		return rc;
	}
	rc = sqlite3_exec(store_db(st.store), argv[2], dbtool_row, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "bos_dbtool: %s\n", msg ? msg : "error");
	sqlite3_free(msg);
	if (argc == 4 && rc == SQLITE_OK) {
		printf("holding\n");
		fflush(stdout);
		sleep((unsigned)strtoul(argv[3], NULL, 10));
	}
	state_close(&st);
	return rc == SQLITE_OK ? 0 : 1;
}
