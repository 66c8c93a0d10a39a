/*
 * The audit trail inside the caller's transaction (docs/AUDIT.md): records
 * are appended under the database lock (vault_db_lock) in the open
 * transaction, and the trail's counters follow its COMMIT or ROLLBACK
 * (auditor_txn_end, auditor_txn_rewind). The group commit (batch.h) drives
 * these; auditor.h builds on both.
 */
#ifndef BOS_AUDITOR_TXN_H
#define BOS_AUDITOR_TXN_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "audit_chain.h"
#include "compiler.h"
#include "err.h"

struct vault;

#define AUDITOR_TIME_SIZE 32

/* The trail's state; one per vault (v->audit). Shared by auditor.c and auditor_txn.c. */
struct auditor {
	struct vault *v;
	char head_path[PATH_MAX];     /* for messages; the file is reached through dirfd */
	int dirfd;                     /* the state directory, opened at start (sandbox.h) */

	/* Under the database lock: what the open transaction holds. */
	unsigned txn_records;
	uint64_t txn_alerted;          /* lost records the transaction's alert announced */

	pthread_mutex_t mu;            /* guards everything below */
	pthread_cond_t cv;
	pthread_t thread;
	int running, stopping;
	uint64_t lost;                 /* records not written since the last alert */
	char lost_since[AUDITOR_TIME_SIZE];
	uint64_t since_cp;             /* records committed since the last checkpoint */
	uint64_t signed_seq;           /* the seq of the checkpoint in audit.head, 0: none yet */
	struct timespec last_cp;       /* CLOCK_MONOTONIC */
};

/* "2026-11-28T21:04:36.123Z": UTC with milliseconds, the format of every record. */
void auditor_time(char out[AUDITOR_TIME_SIZE]);

/*
 * Append r (time and seq are set here) in the open transaction; an alert for
 * records lost earlier goes first. Then the caller commits or rolls back and
 * calls auditor_txn_end.
 */
int auditor_append(struct vault *v, struct audit_record *r, struct bos_err *err) BOS_WUR;
/*
 * After the outermost COMMIT or ROLLBACK. Inside a transaction that goes on
 * (a savepoint released in a group-commit batch, batch.h) it does nothing:
 * the batch's COMMIT counts. A savepoint rolled back rewinds to its mark.
 */
void auditor_txn_end(struct vault *v, int committed);
struct auditor_mark {
	unsigned records;
	uint64_t alerted;
};
void auditor_txn_mark(struct vault *v, struct auditor_mark *m);
void auditor_txn_rewind(struct vault *v, const struct auditor_mark *m);

/* A request's record could not be written (it was answered 503): count it, alert later. */
void auditor_lost(struct vault *v);

/* Fill the fields every record of the vault itself shares (principal "vault"). */
int auditor_vault_record(struct audit_record *r, const char *action, const char *resource,
    const char *decision, const char *reason);
/* The alert for records lost earlier, first in the transaction that works again. */
int auditor_alert(struct auditor *a, struct bos_err *err);

/* A record of the vault itself (as auditor_event), appended in the caller's open
 * transaction (as auditor_append). */
int auditor_append_event(struct vault *v, const char *action, const char *resource,
    const char *decision, const char *reason, struct bos_err *err) BOS_WUR;

#endif
