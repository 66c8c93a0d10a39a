/* The running vault's audit trail; see auditor.h and docs/AUDIT.md. */
#include "audit/auditor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include "audit/audit_store.h"
#include "audit/auditor_txn.h"
#include "audit/batch.h"
#include "io.h"
#include "log.h"
#include "core/metrics.h"
#include "core/vault.h"

#define AUDITOR_PUBKEY_MAX 256
#define AUDITOR_EXIT_FSYNC 74     /* EX_IOERR, as the store's failed fsync */

int
auditor_new(struct vault *v, struct auditor **out, struct bos_err *err)
{
	struct auditor *a = calloc(1, sizeof(*a));
	int n;

	*out = NULL;
	if (a == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	n = snprintf(a->head_path, sizeof(a->head_path), "%s/%s", v->st.dir, AUDITOR_HEAD_FILE);
	if (n < 0 || (size_t)n >= sizeof(a->head_path)) {
		free(a);
		return bos_err_set(err, BOS_E_INVALID, "state directory path too long");
	}
	/*
	 * The head file is the only file the running vault creates: every access
	 * goes through this descriptor, so the sandbox can allow openat on it
	 * and kill an open of anything else.
	 */
	if ((a->dirfd = open(v->st.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		bos_err_set(err, BOS_E_IO, "cannot open %s: %s", v->st.dir, strerror(errno));
		free(a);
		return -1;
	}
	if (pthread_mutex_init(&a->mu, NULL) != 0 || pthread_cond_init(&a->cv, NULL) != 0) {
		close(a->dirfd);
		free(a);
		return bos_err_set(err, BOS_E_NOMEM, "cannot create the audit lock");
	}
	a->v = v;
	(void)clock_gettime(CLOCK_MONOTONIC, &a->last_cp);
	*out = a;
	return 0;
}

void
auditor_free(struct auditor *a)
{
	if (a == NULL)
		return;
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	close(a->dirfd);
	free(a);
}

int
auditor_dir_fd(const struct auditor *a)
{
	return a != NULL ? a->dirfd : -1;
}

/* Append r (NULL: only a pending alert) in a transaction of its own, durable on return. */
static int
auditor_own_txn(struct vault *v, struct audit_record *r, struct bos_err *err)
{
	struct auditor_mark m;
	int rc;

	vault_db_lock(v);
	auditor_txn_mark(v, &m);
	rc = store_begin(v->st.store, err);
	if (rc == 0) {
		rc = r != NULL ? auditor_append(v, r, err) : auditor_alert(v->audit, err);
		if (rc != 0) {
			if (store_rollback(v->st.store, NULL) != 0)
				log_err("audit: rollback failed");
			auditor_txn_rewind(v, &m);
		} else
			rc = store_commit(v->st.store, err);
		auditor_txn_end(v, rc == 0);
	}
	/* Nested in an open batch, the record is durable only once that commits. */
	batch_end(v);
	return rc;
}

int
auditor_event(struct vault *v, const char *action, const char *resource, const char *decision,
    const char *reason, struct bos_err *err)
{
	struct audit_record r;

	if (auditor_vault_record(&r, action, resource, decision, reason) != 0)
		return bos_err_set(err, BOS_E_INVALID, "audit event %s does not fit a record", action);
	return auditor_own_txn(v, &r, err);
}

/* ---- the head file ---------------------------------------------------------------- */

/* A failed fsync may have lost what was written: stop, as the store does. */
static void
auditor_fsync_or_die(int fd, const char *what)
{
	if (fsync(fd) == 0)
		return;
	log_err("audit: fsync of %s failed (%s): stopping the vault to protect acknowledged data",
	    what, strerror(errno));
	_exit(AUDITOR_EXIT_FSYNC);
}

/*
 * Replace STATE/audit.head with cp: write a temporary file, fsync, rename,
 * fsync the directory. Only through a->dirfd (openat, renameat, unlinkat):
 * the vault's sandbox allows no other base.
 */
static int
auditor_head_write(struct auditor *a, const struct audit_checkpoint *cp, struct bos_err *err)
{
	static const char tmp[] = AUDITOR_HEAD_FILE ".tmp";
	char *line = NULL;
	int fd;

	if (audit_checkpoint_to_json(cp, &line, err) != 0)
		return bos_err_set(err, BOS_E_INVALID, "cannot write %s", a->head_path);
	(void)unlinkat(a->dirfd, tmp, 0);
	fd = openat(a->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || io_write_full(fd, line, strlen(line)) != 0 || io_write_full(fd, "\n", 1) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot write %s.tmp: %s", a->head_path, strerror(errno));
		free(line);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	free(line);
	auditor_fsync_or_die(fd, tmp);
	close(fd);
	if (renameat(a->dirfd, tmp, a->dirfd, AUDITOR_HEAD_FILE) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot rename %s.tmp: %s", a->head_path,
		    strerror(errno));
	auditor_fsync_or_die(a->dirfd, "the state directory");
	return 0;
}

/*
 * Under the database lock: sign the head if needed, then the head file.
 * through > 0: nothing to do if audit.head already covers that record.
 */
static int
auditor_checkpoint_locked(struct vault *v, uint64_t through, uint64_t *seq, int *again,
    struct bos_err *err)
{
	struct auditor *a = v->audit;
	struct audit_checkpoint cp;
	uint8_t hash[AUDIT_HASH_LEN];
	char now[AUDITOR_TIME_SIZE];
	uint64_t head;
	int found, rc;

	/* Requests waiting in a group commit go first: the head must not get ahead. */
	*again = 0;
	*seq = 0;
	if ((rc = batch_flush_locked(v)) > 0) {
		*again = 1;
		return bos_err_set(err, BOS_E_DB, "audit checkpoint: a request in the open batch "
		    "is still running");
	}
	if (rc < 0)
		return bos_err_set(err, BOS_E_DB, "audit checkpoint: the open batch did not commit");
	/* Inside a transaction the head file could get ahead of what commits. */
	if (!sqlite3_get_autocommit(store_db(v->st.store)))
		return bos_err_set(err, BOS_E_INVALID, "audit checkpoint inside a transaction");
	if (audit_head_get(v->st.store, &head, hash, err) != 0)
		return -1;
	if (head == 0)
		return 0;   /* nothing to sign */
	pthread_mutex_lock(&a->mu);
	*seq = a->signed_seq;
	pthread_mutex_unlock(&a->mu);
	/* Signed already (this vault wrote audit.head for it): no HSM round trip. */
	if (*seq == head || (through > 0 && *seq >= through))
		return 0;
	*seq = 0;
	auditor_time(now);
	if (audit_checkpoint(v->st.store, v->st.hsm, v->st.conf.audit_key_version, now, err) != 0 ||
	    audit_last_checkpoint(v->st.store, &cp, &found, err) != 0)
		return -1;
	if (!found || cp.seq != head)
		return bos_err_set(err, BOS_E_CORRUPT, "audit checkpoint of %llu was not stored",
		    (unsigned long long)head);
	if (auditor_head_write(a, &cp, err) != 0)
		return -1;
	pthread_mutex_lock(&a->mu);
	a->since_cp = 0;
	a->signed_seq = head;
	(void)clock_gettime(CLOCK_MONOTONIC, &a->last_cp);
	pthread_mutex_unlock(&a->mu);
	metrics_count_audit(v->metrics, METRICS_AUDIT_CHECKPOINT, 1);
	*seq = head;
	return 0;
}

static int
auditor_checkpoint_run(struct vault *v, uint64_t through, uint64_t *seq, struct bos_err *err)
{
	struct timespec pause = { 0, 1000000 };
	int rc, again, tries = 0;
	uint64_t signed_seq = 0;

	if (seq == NULL)
		seq = &signed_seq;
	/* A request paused in the open batch resumes within an HSM round trip. */
	for (;;) {
		bos_err_clear(err);
		vault_db_lock(v);
		rc = auditor_checkpoint_locked(v, through, seq, &again, err);
		vault_db_unlock(v);
		if (rc == 0 || !again || ++tries >= 5000)
			return rc;
		(void)nanosleep(&pause, NULL);
	}
}

int
auditor_checkpoint_now(struct vault *v, uint64_t *seq, struct bos_err *err)
{
	return auditor_checkpoint_run(v, 0, seq, err);
}

int
auditor_sign_through(struct vault *v, uint64_t seq, struct bos_err *err)
{
	struct auditor *a = v->audit;
	uint64_t done;

	pthread_mutex_lock(&a->mu);
	done = a->signed_seq;
	pthread_mutex_unlock(&a->mu);
	if (seq > 0 && done >= seq)
		return 0;
	return auditor_checkpoint_run(v, seq, NULL, err);
}

/* ---- the checkpoint thread ------------------------------------------------------- */

/* What is due, under a->mu: 1 checkpoint, 2 alert (bits). */
static int
auditor_due(struct auditor *a, const struct config *c)
{
	struct timespec now;
	int64_t ms;
	int due = 0;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(now.tv_sec - a->last_cp.tv_sec) * 1000 +
	    (now.tv_nsec - a->last_cp.tv_nsec) / 1000000;
	if (a->since_cp >= c->audit_checkpoint_records ||
	    (a->since_cp > 0 && ms >= (int64_t)c->audit_checkpoint_seconds * 1000))
		due |= 1;
	if (a->lost > 0)
		due |= 2;
	return due;
}

static void *
auditor_main(void *arg)
{
	struct vault *v = arg;
	struct auditor *a = v->audit;
	struct timespec until;
	struct bos_err err;
	int due;

	pthread_mutex_lock(&a->mu);
	while (!a->stopping) {
		(void)clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;   /* a tick: checks T, and retries a pending alert */
		(void)pthread_cond_timedwait(&a->cv, &a->mu, &until);
		if (a->stopping || (due = auditor_due(a, &v->st.conf)) == 0)
			continue;
		pthread_mutex_unlock(&a->mu);
		bos_err_clear(&err);
		if ((due & 2) && auditor_own_txn(v, NULL, &err) != 0)
			log_warn("audit: the alert for lost records is not written yet: %s", err.msg);
		if ((due & 1) && auditor_checkpoint_now(v, NULL, &err) != 0)
			log_warn("audit: checkpoint failed (next try in 1 s): %s", err.msg);
		pthread_mutex_lock(&a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

int
auditor_start(struct vault *v, struct bos_err *err)
{
	struct auditor *a = v->audit;

	if (pthread_create(&a->thread, NULL, auditor_main, v) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "cannot start the audit checkpoint thread");
	a->running = 1;
	return 0;
}

void
auditor_stop(struct vault *v)
{
	struct auditor *a = v->audit;

	if (a == NULL || !a->running)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	a->running = 0;
}

/* ---- start-up checks ------------------------------------------------------------- */

/* The newest checkpoint in the database: its signature, its record, the chain after it. */
static int
auditor_check_tail(struct vault *v, const uint8_t *pub, size_t pub_len, struct bos_err *err)
{
	struct audit_checkpoint cp;
	struct audit_record rec;
	uint8_t hash[AUDIT_HASH_LEN];
	uint64_t bad = 0;
	int found, have;

	if (audit_last_checkpoint(v->st.store, &cp, &found, err) != 0)
		return -1;
	if (found && audit_checkpoint_sig_ok(&cp, pub, pub_len) != 1)
		return bos_err_set(err, BOS_E_CORRUPT, "the audit checkpoint at record %llu does not "
		    "verify with HSM key bos-audit-v%u", (unsigned long long)cp.seq, cp.key_version);
	if (found && (audit_record_get(v->st.store, cp.seq, &rec, hash, &have, err) != 0 || !have ||
	    memcmp(hash, cp.hash, AUDIT_HASH_LEN) != 0)) /* not secret */
		return bos_err_set(err, BOS_E_CORRUPT, "audit record %llu differs from its signed "
		    "checkpoint", (unsigned long long)cp.seq);
	if (audit_chain_check(v->st.store, found ? cp.seq : 1, &bad, err) != 0)
		return bos_err_wrap(err, "the audit chain is damaged");
	return 0;
}

/* Read STATE/audit.head: 0 with *found, or -1 when it is there but not a valid checkpoint. */
static int
auditor_head_read(struct auditor *a, const uint8_t *pub, size_t pub_len,
    struct audit_checkpoint *cp, int *found, struct bos_err *err)
{
	struct audit_line l;
	char line[AUDIT_LINE_MAX + 2];
	int fd = openat(a->dirfd, AUDITOR_HEAD_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	*found = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : bos_err_set(err, BOS_E_IO, "cannot read %s: %s",
		    a->head_path, strerror(errno));
	while (n < sizeof(line) - 1 && (r = read(fd, line + n, sizeof(line) - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return bos_err_set(err, BOS_E_IO, "cannot read %s: %s", a->head_path,
			    strerror(errno));
		}
		n += (size_t)r;
	}
	close(fd);
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	if (audit_line_parse(line, &l, err) != 0 || l.type != AUDIT_LINE_CHECKPOINT ||
	    audit_checkpoint_sig_ok(&l.cp, pub, pub_len) != 1)
		return bos_err_set(err, BOS_E_CORRUPT, "%s is not a checkpoint signed by this "
		    "vault's HSM audit key", a->head_path);
	*cp = l.cp;
	*found = 1;
	return 0;
}

/* Does the database reach the head file's checkpoint, with the same hash? */
static int
auditor_head_matches(struct vault *v, const struct audit_checkpoint *cp, char *why, size_t len,
    struct bos_err *err)
{
	struct audit_record rec;
	uint8_t hash[AUDIT_HASH_LEN], head_hash[AUDIT_HASH_LEN];
	uint64_t head;
	int have;

	if (audit_head_get(v->st.store, &head, head_hash, err) != 0 ||
	    audit_record_get(v->st.store, cp->seq, &rec, hash, &have, err) != 0)
		return -1;
	if (head < cp->seq) {
		if (snprintf(why, len, "the database ends at audit record %llu but the last checkpoint "
		    "(%s) signed record %llu: it is an older copy", (unsigned long long)head,
		    cp->time, (unsigned long long)cp->seq) < 0)
			why[0] = '\0';
	} else if (!have || memcmp(hash, cp->hash, AUDIT_HASH_LEN) != 0) { /* not secret */
		if (snprintf(why, len, "audit record %llu in the database is not the one the last "
		    "checkpoint (%s) signed: it is another history", (unsigned long long)cp->seq,
		    cp->time) < 0)
			why[0] = '\0';
	} else
		return 1;
	return 0;
}

/* A database without the head file it should have. */
static int
auditor_head_missing(struct vault *v, char *why, size_t len, struct bos_err *err)
{
	struct audit_checkpoint cp;
	int found;

	if (audit_last_checkpoint(v->st.store, &cp, &found, err) != 0)
		return -1;
	if (!found)
		return 1;   /* never signed: a new vault, or one from before the audit trail */
	if (snprintf(why, len, "%s is missing but the database has signed checkpoints",
	    v->audit->head_path) < 0)
		why[0] = '\0';
	return 0;
}

int
auditor_check_start(struct vault *v, int accept_rollback, struct bos_err *err)
{
	struct audit_checkpoint cp;
	uint8_t pub[AUDITOR_PUBKEY_MAX];
	char why[AUDIT_FIELD_MAX];
	size_t pub_len;
	int found, ok;

	if (hsm_pubkey(v->st.hsm, v->st.conf.audit_key_version, pub, sizeof(pub), &pub_len,
	    err) != 0)
		return bos_err_wrap(err, "reading the audit public key");
	vault_db_lock(v);
	if (auditor_check_tail(v, pub, pub_len, err) != 0 ||
	    auditor_head_read(v->audit, pub, pub_len, &cp, &found, err) != 0)
		ok = -1;
	else if (found)
		ok = auditor_head_matches(v, &cp, why, sizeof(why), err);
	else
		ok = auditor_head_missing(v, why, sizeof(why), err);
	vault_db_unlock(v);
	if (ok < 0)
		return -1;
	if (ok == 1)
		return 0;
	if (!accept_rollback)
		return bos_err_set(err, BOS_E_CORRUPT, "refusing to serve: %s. A restored old "
		    "database would bring revoked tokens back. If this restore is intended, start "
		    "once with --accept-audit-rollback (it is recorded)", why);
	log_warn("audit: %s; accepted by the operator (--accept-audit-rollback)", why);
	if (auditor_event(v, "audit_rollback_accepted", "audit", "allow", why, err) != 0)
		return -1;
	return auditor_checkpoint_now(v, NULL, err);
}
