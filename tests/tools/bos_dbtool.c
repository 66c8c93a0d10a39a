/*
 * Test tool: open a vault's state directory the way bos-vaultd does (real
 * HSM, real DB key) and run one SQL statement, printing result rows as
 * tab-separated hex/text. Lets integration tests tamper with stored rows.
 * usage: bos_dbtool STATE_DIR SQL [HOLD_SECONDS]
 * With HOLD_SECONDS it sleeps before closing, e.g. to hold a lock taken by
 * "BEGIN IMMEDIATE" while a test sends requests.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "state.h"
#include "store.h"

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

int
main(int argc, char **argv)
{
	struct state st;
	struct bos_err err;
	char *msg = NULL, hsmd[512];
	const char *bin = getenv("BOS_BIN");
	int rc;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: bos_dbtool STATE_DIR SQL [HOLD_SECONDS]\n");
		return 2;
	}
	bos_err_clear(&err);
	(void)snprintf(hsmd, sizeof(hsmd), "%s/bos-hsmd", bin ? bin : "build/bin");
	if (state_open_with(argv[1], hsmd, &st, &err) != 0) {
		fprintf(stderr, "bos_dbtool: %s\n", err.msg);
		return 1;
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
