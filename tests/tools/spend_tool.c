/*
 * Test tool: record one spend in a vault's ledger the way the jobs code does
 * (spend_record, with its budget alerts), from outside the running vault:
 * it opens the state directory as bos-vaultd does (real HSM, real DB key).
 * For integration tests of budgets and alerts that do not go through jobs.
 * usage: spend_tool STATE_DIR JOB_ID SERVICE AMOUNT CURRENCY
 * Prints "recorded", "duplicate" or "mismatch: ..." and exits 0; exits 1
 * with "error: ..." when the ledger refused or failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/state.h"
#include "store/budget.h"
#include "store/spend.h"
#include "store/store.h"

int
main(int argc, char **argv)
{
	struct state st;
	struct bos_err err;
	const char *bin = getenv("BOS_BIN");
	char hsmd[512], *end = NULL;
	long long amount;
	int rc;

	if (argc != 6) {
		fprintf(stderr, "usage: spend_tool STATE_DIR JOB_ID SERVICE AMOUNT CURRENCY\n");
		return 2;
	}
	amount = strtoll(argv[4], &end, 10);
	if (end == argv[4] || *end != '\0') {
		fprintf(stderr, "spend_tool: AMOUNT must be an integer\n");
		return 2;
	}
	bos_err_clear(&err);
	(void)snprintf(hsmd, sizeof(hsmd), "%s/bos-hsmd", bin ? bin : "build/bin");
	if (state_open_with(argv[1], hsmd, &st, &err) != 0) {
		fprintf(stderr, "spend_tool: %s\n", err.msg);
		return 1;
	}
	rc = spend_record(st.store, argv[2], argv[3], (int64_t)amount, argv[5],
	    (int64_t)time(NULL), &err);
	state_close(&st);
	if (rc == SPEND_RECORDED)
		printf("recorded\n");
	else if (rc == SPEND_DUPLICATE)
		printf("duplicate\n");
	else if (rc == SPEND_CURRENCY_MISMATCH)
		printf("mismatch: %s\n", err.msg);
	else
		printf("error: %s\n", err.msg);
	return rc < 0 ? 1 : 0;
}
