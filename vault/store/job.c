/* The job queue; see job.h and docs/BROKERS.md "Jobs". */
#include "store/job.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/alert.h"
#include "store/budget.h"
#include "store/card.h"
#include "store/outreach_ad.h"
#include "store/outreach_notice.h"
#include "store/outreach_send.h"
#include "store/spend.h"
#include "currency.h"
#include "json_alloc.h"
#include "log.h"
#include "randid.h"
#include "store/store.h"

#define JOB_ID_CHARS (JOB_ID_LEN - (sizeof(JOB_ID_PREFIX) - 1))
#define JOB_CLAIM_CHARS (JOB_CLAIM_SIZE - 1 - (sizeof(JOB_CLAIM_PREFIX) - 1))
#define JOB_IDEM_PREFIX "idem_"
#define JOB_IDEM_CHARS 26

_Static_assert(JOB_CANDIDATES_MAX == 32, "the claim's pages say LIMIT 32");

/* The vault's job kinds: the same list as the CHECK of jobs.kind. */
static const char *const job_kinds[] = { "verify", "send_email", "send_sms", "ad_create",
	"ad_activate", "ad_pause", "ad_insights" };

#define JOB_COLS "SELECT id, kind, service, coalesce(credential, ''), idempotency_key, state," \
	" coalesce(claimed_by, ''), coalesce(claim, ''), coalesce(estimate_currency, ''), created_by," \
	" params, coalesce(result, ''), coalesce(error, ''), coalesce(estimate_amount, -1)," \
	" attempts, max_attempts, not_before, coalesce(visible_until, 0), created_at, updated_at," \
	" coalesce(finished_at, 0), coalesce(campaign, ''), coalesce(notice, ''), coalesce(ad, '')" \
	" FROM jobs "

int
job_kind_valid(const char *kind)
{
	size_t i;

	for (i = 0; kind != NULL && i < BOS_ARRAY_LEN(job_kinds); i++)
		if (strcmp(kind, job_kinds[i]) == 0)
			return 1;
	return 0;
}

const char *
job_kinds_text(void)
{
	return "verify, send_email, send_sms, ad_create, ad_activate, ad_pause, ad_insights";
}

int
job_kind_is_ad(const char *kind)
{
	return kind != NULL && strncmp(kind, "ad_", 3) == 0 && job_kind_valid(kind);
}

int
job_kind_budget_exempt(const char *kind)
{
	return kind != NULL && (strcmp(kind, "ad_pause") == 0 || strcmp(kind, "ad_insights") == 0);
}

int
job_kind_is_send(const char *kind)
{
	return kind != NULL && (strcmp(kind, "send_email") == 0 || strcmp(kind, "send_sms") == 0);
}

int
job_id_valid(const char *s)
{
	return s != NULL && randid_valid(s, JOB_ID_PREFIX, JOB_ID_CHARS);
}

int
job_service_check(const char *service, struct bos_err *err)
{
	size_t i, n = service != NULL ? strnlen(service, JOB_SERVICE_MAX + 1) : 0;

	if (n == 0 || n > JOB_SERVICE_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'service' must be 1 to %d characters",
		    JOB_SERVICE_MAX);
	for (i = 0; i < n; i++)
		if (!((service[i] >= 'a' && service[i] <= 'z') ||
		    (service[i] >= '0' && service[i] <= '9') || strchr("._-", service[i]) != NULL))
			return bos_err_set(err, BOS_E_INVALID, "'service' may contain only a-z, 0-9 "
			    "and . _ -");
	return 0;
}

int64_t
job_backoff(uint32_t attempts)
{
	if (attempts >= 9)
		return JOB_BACKOFF_MAX;    /* 2^9 = 512 > 300 */
	return (int64_t)1 << attempts < JOB_BACKOFF_MAX ? (int64_t)1 << attempts : JOB_BACKOFF_MAX;
}

/* ---- statements ------------------------------------------------------------------ */

static int
job_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static int
job_copy(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	size_t n = v != NULL ? strlen(v) : 0;

	if (n >= size)
		return -1;
	memcpy(dst, v != NULL ? v : "", n);
	dst[n] = '\0';
	return 0;
}

static int
job_from_row(sqlite3_stmt *st, struct job_info *j, struct bos_err *err)
{
	sqlite3_int64 att = sqlite3_column_int64(st, 14), max = sqlite3_column_int64(st, 15);

	memset(j, 0, sizeof(*j));
	if (job_copy(st, 0, j->id, sizeof(j->id)) != 0 ||
	    job_copy(st, 1, j->kind, sizeof(j->kind)) != 0 ||
	    job_copy(st, 2, j->service, sizeof(j->service)) != 0 ||
	    job_copy(st, 3, j->credential, sizeof(j->credential)) != 0 ||
	    job_copy(st, 4, j->idempotency_key, sizeof(j->idempotency_key)) != 0 ||
	    job_copy(st, 5, j->state, sizeof(j->state)) != 0 ||
	    job_copy(st, 6, j->claimed_by, sizeof(j->claimed_by)) != 0 ||
	    job_copy(st, 7, j->claim, sizeof(j->claim)) != 0 ||
	    job_copy(st, 8, j->est_currency, sizeof(j->est_currency)) != 0 ||
	    job_copy(st, 9, j->created_by, sizeof(j->created_by)) != 0 ||
	    job_copy(st, 10, j->params, sizeof(j->params)) != 0 ||
	    job_copy(st, 11, j->result, sizeof(j->result)) != 0 ||
	    job_copy(st, 12, j->error, sizeof(j->error)) != 0 ||
	    job_copy(st, 21, j->campaign, sizeof(j->campaign)) != 0 ||
	    job_copy(st, 22, j->notice, sizeof(j->notice)) != 0 ||
	    job_copy(st, 23, j->ad, sizeof(j->ad)) != 0 ||
	    att < 0 || max < 1 || max > JOB_ATTEMPTS_MAX || att > max)
		return bos_err_set(err, BOS_E_CORRUPT, "a job row is malformed");
	j->est_amount = sqlite3_column_int64(st, 13);
	j->attempts = (uint32_t)att;
	j->max_attempts = (uint32_t)max;
	j->not_before = sqlite3_column_int64(st, 16);
	j->visible_until = sqlite3_column_int64(st, 17);
	j->created_at = sqlite3_column_int64(st, 18);
	j->updated_at = sqlite3_column_int64(st, 19);
	j->finished_at = sqlite3_column_int64(st, 20);
	return 0;
}

/* End a write this module began: commit on r >= 0 (a savepoint in a caller's), else roll back. */
static int
job_finish(struct store *s, int r, struct bos_err *err)
{
	if (r >= 0)
		return store_commit(s, err) == 0 ? r : -1;
	if (store_rollback(s, NULL) != 0)
		log_err("jobs: rollback failed");
	return -1;
}

/* Run a statement whose parameters are bound by bind; *changes receives the rows changed. */
struct job_args {
	const char *t[6];             /* ?1.. text parameters (NULL: null) */
	int64_t n[6];                 /* ?7.. integer parameters */
	int nt, nn;
};

static int
job_exec(struct store *s, const char *sql, const struct job_args *a, int *changes,
    const char *what, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int i, n, r = -1;

	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	/* A statement may leave some of them out (the dead branch has no not_before). */
	n = sqlite3_bind_parameter_count(st);
	for (i = 0; i < a->nt && i + 1 <= n; i++)
		if (job_bind_text(st, i + 1, a->t[i]) != SQLITE_OK)
			goto fail;
	for (i = 0; i < a->nn && i + 7 <= n; i++)
		if (sqlite3_bind_int64(st, i + 7, a->n[i]) != SQLITE_OK)
			goto fail;
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if (changes != NULL)
		*changes = sqlite3_changes(store_db(s));
	/* success */
	r = 0;
	goto out;
 fail:
	store_err_db(s, what, err);
 out:
	store_stmt_done(s, st);
	return r;
}

/* ---- creation -------------------------------------------------------------------- */

static int
job_idem_check(const char *k, struct bos_err *err)
{
	size_t i, n = strnlen(k, JOB_IDEM_MAX + 1);

	if (n == 0 || n > JOB_IDEM_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'idempotency_key' must be 1 to %d characters",
		    JOB_IDEM_MAX);
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || strchr("._:-", k[i]) != NULL))
			return bos_err_set(err, BOS_E_INVALID, "'idempotency_key' may contain only "
			    "letters, digits and . _ : -");
	if (card_text_has_pan(k))
		return bos_err_set(err, BOS_E_INVALID, "'idempotency_key' must not contain a card "
		    "number" CARD_TEXT_HINT);
	return 0;
}

static int
job_params_check(const char *p, struct bos_err *err)
{
	size_t n = strnlen(p, JOB_PARAMS_MAX + 1);

	if (n > JOB_PARAMS_MAX || n < 2 || p[0] != '{')
		return bos_err_set(err, BOS_E_INVALID, "'params' must be a JSON object of at most "
		    "%d bytes", JOB_PARAMS_MAX);
	if (card_text_has_pan(p))
		return bos_err_set(err, BOS_E_INVALID, "'params' must not contain a card number"
		    CARD_TEXT_HINT);
	return 0;
}

static int
job_check_new(const struct job_new *n, struct bos_err *err)
{
	if (!job_kind_valid(n->kind))
		return bos_err_set(err, BOS_E_INVALID, "unknown job kind: 'kind' must be one of %s",
		    job_kinds_text());
	if (job_service_check(n->service, err) != 0)
		return -1;
	if (n->params_json != NULL && job_params_check(n->params_json, err) != 0)
		return -1;
	if (n->idempotency_key != NULL && job_idem_check(n->idempotency_key, err) != 0)
		return -1;
	if (n->max_attempts > JOB_ATTEMPTS_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'max_attempts' must be 1 to %d",
		    JOB_ATTEMPTS_MAX);
	if ((n->est_amount >= 0) != (n->est_currency != NULL) || n->est_amount < -1)
		return bos_err_set(err, BOS_E_INVALID, "'estimate' needs both an amount >= 0 and "
		    "a currency");
	/* The code table of spend and budgets: a code they do not know would fail every claim. */
	if (n->est_currency != NULL && !currency_known(n->est_currency))
		return bos_err_set(err, BOS_E_INVALID, "'estimate.currency' must be an ISO 4217 "
		    "code (three capital letters, such as USD or EUR)");
	if (n->created_by == NULL || strlen(n->created_by) >= JOB_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a job needs the admin who queues it");
	if (n->campaign != NULL && n->notice != NULL)
		return bos_err_set(err, BOS_E_INVALID, "a send job belongs to a campaign or a notice");
	if (job_kind_is_send(n->kind) != (n->campaign != NULL || n->notice != NULL))
		return bos_err_set(err, BOS_E_INVALID, "%s", !job_kind_is_send(n->kind) ? "only a "
		    "send job belongs to a campaign or a notice" : "send jobs are queued by a "
		    "campaign (POST /outreach/email or /outreach/sms), not one by one");
	if (job_kind_is_ad(n->kind) != (n->ad != NULL))
		return bos_err_set(err, BOS_E_INVALID, "%s", n->ad != NULL ? "only an ad job belongs "
		    "to an ad" : "ad jobs are queued by an ad (POST /outreach/ad), not one by one");
	return 0;
}

/* The id of the job with idempotency key k: 1 found, 0 none, -1 error. */
static int
job_find_idem(struct store *s, const char *k, char id[JOB_ID_SIZE], struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	if (store_stmt(s, "SELECT id FROM jobs WHERE idempotency_key = ?1", &st, err) != 0)
		return -1;
	if (job_bind_text(st, 1, k) != SQLITE_OK) {
		store_err_db(s, "finding a job", err);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = 0;
	} else if (rc == SQLITE_ROW && job_copy(st, 0, id, JOB_ID_SIZE) == 0) {
		r = 1;
	} else {
		store_err_db(s, "finding a job", err);
	}
 out:
	store_stmt_done(s, st);
	return r;
}

static int
job_insert(struct store *s, const struct job_new *n, const char *id, const char *idem,
    int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (store_stmt(s, "INSERT INTO jobs (id, kind, service, credential, params,"
	    " idempotency_key, state, attempts, max_attempts, not_before, estimate_amount,"
	    " estimate_currency, created_at, updated_at, created_by, campaign, notice, ad) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, 'queued', 0, ?7, ?12, ?9, ?10, ?8, ?8, ?11, ?13, ?14, ?15)", &st,
	    err) != 0)
		return -1;
	if (job_bind_text(st, 1, id) != SQLITE_OK || job_bind_text(st, 2, n->kind) != SQLITE_OK ||
	    job_bind_text(st, 3, n->service) != SQLITE_OK ||
	    job_bind_text(st, 4, n->credential) != SQLITE_OK ||
	    job_bind_text(st, 5, n->params_json != NULL ? n->params_json : "{}") != SQLITE_OK ||
	    job_bind_text(st, 6, idem) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, n->max_attempts ? n->max_attempts : JOB_ATTEMPTS_DEFAULT) !=
	    SQLITE_OK || sqlite3_bind_int64(st, 8, now) != SQLITE_OK ||
	    (n->est_amount >= 0 ? sqlite3_bind_int64(st, 9, n->est_amount) :
	    sqlite3_bind_null(st, 9)) != SQLITE_OK ||
	    job_bind_text(st, 10, n->est_currency) != SQLITE_OK ||
	    job_bind_text(st, 11, n->created_by) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 12, n->not_before > 0 ? n->not_before : now) != SQLITE_OK ||
	    job_bind_text(st, 13, n->campaign) != SQLITE_OK ||
	    job_bind_text(st, 14, n->notice) != SQLITE_OK ||
	    job_bind_text(st, 15, n->ad) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "queueing a job", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

static int
job_create_locked(struct store *s, const struct job_new *n, int64_t now, char id[JOB_ID_SIZE],
    int *existed, struct bos_err *err)
{
	char idem[JOB_IDEM_MAX + 1];
	int found;

	if (n->idempotency_key != NULL) {
		if ((found = job_find_idem(s, n->idempotency_key, id, err)) != 0) {
			*existed = found == 1;
			return found == 1 ? 0 : -1;
		}
		(void)snprintf(idem, sizeof(idem), "%s", n->idempotency_key);
	} else if (randid_new(JOB_IDEM_PREFIX, JOB_IDEM_CHARS, idem, sizeof(idem)) != 0) {
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	}
	if (randid_new(JOB_ID_PREFIX, JOB_ID_CHARS, id, JOB_ID_SIZE) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	return job_insert(s, n, id, idem, now, err);
}

int
job_create(struct store *s, const struct job_new *n, int64_t now, char id[JOB_ID_SIZE],
    int *existed, struct bos_err *err)
{
	*existed = 0;
	id[0] = '\0';
	if (job_check_new(n, err) != 0 || store_begin(s, err) != 0)
		return -1;
	if (job_finish(s, job_create_locked(s, n, now, id, existed, err), err) != 0) {
		id[0] = '\0';
		return -1;
	}
	if (!*existed)
		log_info("job %s (%s, service %s) queued by admin %s", id, n->kind, n->service,
		    n->created_by);
	return 0;
}

int
job_queue_ad(struct store *s, const struct outreach_ad_queue *q, int64_t now, int *existed,
    struct bos_err *err)
{
	char id[JOB_ID_SIZE];

	return job_create(s, &(struct job_new){ .kind = q->kind, .service = OUTREACH_AD_SERVICE,
	    .credential = q->credential, .params_json = q->params_json,
	    .idempotency_key = q->idempotency_key, .est_amount = -1, .created_by = q->created_by,
	    .ad = q->ad }, now, id, existed, err);
}

/* ---- reading --------------------------------------------------------------------- */

int
job_get(struct store *s, const char *id, struct job_info *out, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	memset(out, 0, sizeof(*out));
	if (!job_id_valid(id))
		return bos_err_set(err, BOS_E_NOTFOUND, "no such job: give its id (jb_...)");
	if (store_stmt(s, JOB_COLS "WHERE id = ?1", &st, err) != 0)
		return -1;
	if (job_bind_text(st, 1, id) != SQLITE_OK) {
		store_err_db(s, "reading a job", err);
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "no job with id %s", id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_err_db(s, "reading a job", err);
		goto out;
	}
	r = job_from_row(st, out, err);
 out:
	store_stmt_done(s, st);
	return r;
}

int
job_list(struct store *s, const char *state, const char *kind, unsigned limit,
    int (*cb)(const struct job_info *, void *), void *arg, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	struct job_info *j;
	int r = -1, rc;

	if ((j = malloc(sizeof(*j))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory listing jobs");
	if (store_stmt(s, JOB_COLS "WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR kind = ?2)"
	    " ORDER BY created_at DESC, rowid DESC LIMIT ?7", &st, err) != 0)
		goto out;
	if (job_bind_text(st, 1, state) != SQLITE_OK || job_bind_text(st, 2, kind) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, limit) != SQLITE_OK) {
		store_err_db(s, "listing jobs", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (job_from_row(st, j, err) != 0)
			goto out;
		if (cb(j, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(s, "listing jobs", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	free(j);
	return r;
}

int
job_count_states(struct store *s, long long n[4], struct bos_err *err)
{
	static const char *const states[4] = { "queued", "claimed", "done", "dead" };
	sqlite3_stmt *st = NULL;
	const char *state;
	int r = -1, rc, i;

	n[0] = n[1] = n[2] = n[3] = 0;
	if (store_stmt(s, "SELECT state, count(*) FROM jobs GROUP BY state", &st, err) != 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		state = (const char *)sqlite3_column_text(st, 0);
		for (i = 0; state != NULL && i < 4; i++)
			if (strcmp(state, states[i]) == 0)
				n[i] = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE) {
		store_err_db(s, "counting jobs", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

/* ---- dead jobs ------------------------------------------------------------------- */

/* Alert job_dead for j, inside the caller's transaction. */
static int
job_alert_dead(struct store *s, const struct job_info *j, const char *why, int64_t now,
    struct bos_err *err)
{
	char subject[ALERT_SUBJECT_MAX + 1], dedup[ALERT_DEDUP_MAX + 1];
	json_t *details;
	char *text;
	int r;

	(void)snprintf(subject, sizeof(subject), "job %s (%s for %s) is dead after %u attempt(s): %s",
	    j->id, j->kind, j->service, j->attempts, why);
	(void)snprintf(dedup, sizeof(dedup), "job_dead:%s", j->id);
	details = json_pack("{s:s, s:s, s:s, s:I, s:I}", "job", j->id, "kind", j->kind, "service",
	    j->service, "attempts", (json_int_t)j->attempts, "max_attempts",
	    (json_int_t)j->max_attempts);
	if (details == NULL || (text = json_dumps(details, JSON_COMPACT)) == NULL) {
		json_decref(details);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory raising an alert");
	}
	json_decref(details);
	r = alert_raise(s, "job_dead", "warning", subject, text,
	    "[\"look at the job's error (GET /jobs/ID)\", \"queue it again if it should run\"]",
	    dedup, now, err);
	json_alloc_release(text);
	if (r == 0)
		log_warn("job %s is dead: %s", j->id, why);
	return r;
}

/* One expired claim: queued again, or dead after its last attempt. */
static int
job_expire_one(struct store *s, const struct job_info *j, int64_t now, int *dead,
    struct bos_err *err)
{
	const struct job_args requeue = { { j->id, j->claim }, { now }, 2, 1 };
	int changes = 0;

	*dead = j->attempts >= j->max_attempts;
	if (job_exec(s, *dead ?
	    "UPDATE jobs SET state = 'dead', visible_until = NULL, updated_at = ?7,"
	    " finished_at = ?7, error = 'the claim expired on its last attempt'"
	    " WHERE id = ?1 AND claim = ?2 AND state = 'claimed'" :
	    "UPDATE jobs SET state = 'queued', claim = NULL, visible_until = NULL,"
	    " not_before = ?7, updated_at = ?7 WHERE id = ?1 AND claim = ?2 AND state = 'claimed'",
	    &requeue, &changes, "taking back an expired claim", err) != 0)
		return -1;
	if (changes != 1)
		return bos_err_set(err, BOS_E_DB, "taking back the claim of job %s changed no row",
		    j->id);
	log_info("job %s: claim by %s expired (attempt %u of %u): %s", j->id, j->claimed_by,
	    j->attempts, j->max_attempts, *dead ? "dead" : "queued again");
	/* A send that reached 'sending' stays so: its outcome is unknown (docs/OUTREACH.md). */
	if (*dead && j->campaign[0] != '\0' && outreach_send_failed(s,
	    &(struct outreach_send_job){ j->id, j->campaign, j->service }, 1, 0,
	    "the claim expired on its last attempt", now, err) != 0)
		return -1;
	if (*dead && j->notice[0] != '\0' && outreach_notice_failed(s, j->id, 1, 0,
	    "the claim expired on its last attempt", now, err) != 0)
		return -1;
	if (*dead && j->ad[0] != '\0' && outreach_ad_job_dead(s, &(struct outreach_ad_job){ j->id,
	    j->kind, j->ad }, "the claim expired on its last attempt", now, err) != 0)
		return -1;
	return *dead ? job_alert_dead(s, j, "its last claim expired", now, err) : 0;
}

struct job_expired {
	struct job_info *list;
	size_t n;
};

/*
 * Collect up to JOB_CANDIDATES_MAX rows of sql (?7 = now, ?8 = offset and ?9
 * = now in milliseconds when it has them).
 */
static int
job_select(struct store *s, const char *sql, int64_t now, int64_t offset, int64_t now_ms,
    struct job_expired *e, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc = SQLITE_DONE;

	e->n = 0;
	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	if (sqlite3_bind_int64(st, 7, now) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(st) >= 8 &&
	    sqlite3_bind_int64(st, 8, offset) != SQLITE_OK) ||
	    (sqlite3_bind_parameter_count(st) >= 9 &&
	    sqlite3_bind_int64(st, 9, now_ms) != SQLITE_OK)) {
		store_err_db(s, "reading jobs", err);
		goto out;
	}
	while (e->n < JOB_CANDIDATES_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (job_from_row(st, &e->list[e->n], err) != 0)
			goto out;
		e->n++;
	}
	if (e->n < JOB_CANDIDATES_MAX && rc != SQLITE_DONE) {
		store_err_db(s, "reading jobs", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

static int
job_expire_locked(struct store *s, int64_t now, unsigned *requeued, unsigned *dead,
    struct bos_err *err)
{
	struct job_expired e;
	size_t i;
	int d;

	unsigned page;

	if ((e.list = calloc(JOB_CANDIDATES_MAX, sizeof(*e.list))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory taking back claims");
	/* Each page taken back leaves the selection: the next one starts at 0 again. */
	for (page = 0, e.n = JOB_CANDIDATES_MAX; page < JOB_SCAN_PAGES &&
	    e.n == JOB_CANDIDATES_MAX; page++) {
		if (job_select(s, JOB_COLS "WHERE state = 'claimed' AND visible_until <= ?7"
		    " ORDER BY visible_until, id", now, 0, 0, &e, err) != 0) {
			free(e.list);
			return -1;
		}
		for (i = 0; i < e.n; i++) {
			if (job_expire_one(s, &e.list[i], now, &d, err) != 0) {
				free(e.list);
				return -1;
			}
			(*(d ? dead : requeued))++;
		}
	}
	free(e.list);
	return 0;
}

int
job_expire_claims(struct store *s, int64_t now, unsigned *requeued, unsigned *dead,
    struct bos_err *err)
{
	unsigned rq = 0, dd = 0;

	if (store_begin(s, err) != 0 ||
	    job_finish(s, job_expire_locked(s, now, &rq, &dd, err), err) != 0)
		return -1;
	if (requeued != NULL)
		*requeued = rq;
	if (dead != NULL)
		*dead = dd;
	return 0;
}

/* ---- claiming -------------------------------------------------------------------- */

static int
job_kind_wanted(const struct job_claim_req *q, const char *kind)
{
	size_t i;

	for (i = 0; i < q->n_kinds; i++)
		if (strcmp(q->kinds[i], kind) == 0)
			return 1;
	return 0;
}

/* Mark j claimed by the broker with a new claim id: 0, or -1. */
static int
job_take(struct store *s, const struct job_claim_req *q, int64_t now, struct job_info *j,
    struct bos_err *err)
{
	char claim[JOB_CLAIM_SIZE];
	struct job_args a = { { j->id, q->broker_id, claim }, { now, now + q->visibility_s }, 3, 2 };
	int changes = 0;

	if (randid_new(JOB_CLAIM_PREFIX, JOB_CLAIM_CHARS, claim, sizeof(claim)) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (job_exec(s, "UPDATE jobs SET state = 'claimed', claimed_by = ?2, claim = ?3,"
	    " visible_until = ?8, attempts = attempts + 1, updated_at = ?7"
	    " WHERE id = ?1 AND state = 'queued'", &a, &changes, "claiming a job", err) != 0)
		return -1;
	if (changes != 1)
		return bos_err_set(err, BOS_E_DB, "claiming job %s changed no row", j->id);
	memcpy(j->claim, claim, sizeof(claim));
	(void)snprintf(j->claimed_by, sizeof(j->claimed_by), "%s", q->broker_id);
	(void)snprintf(j->state, sizeof(j->state), "claimed");
	j->visible_until = now + q->visibility_s;
	j->attempts++;
	j->updated_at = now;
	return 0;
}

/* Is candidate j for this broker now? 1 yes, 0 no, -1 error. */
static int
job_candidate_ok(struct store *s, const struct job_claim_req *q, const struct job_info *j,
    int64_t now, int64_t now_ms, struct bos_err *err)
{
	char why[BUDGET_REASON_SIZE];
	int ok;

	if (!job_kind_wanted(q, j->kind))
		return 0;
	if (q->eligible != NULL && (ok = q->eligible(j, q->arg, why, sizeof(why))) != 1) {
		if (ok < 0)
			return bos_err_set(err, BOS_E_DB, "the claim check of job %s failed", j->id);
		return 0;
	}
	/* The jobs that stop or measure an ad's spend run under a paused budget (docs/ADS.md). */
	ok = job_kind_budget_exempt(j->kind) ? 0 : budget_claim_check(s, j->service,
	    j->est_amount >= 0 ? j->est_amount : 0, j->est_amount >= 0 ? j->est_currency : NULL, now,
	    why, sizeof(why), err);
	if (ok == 1)
		log_info("job %s not handed out: %s", j->id, why);
	if (ok != 0)
		return ok < 0 ? -1 : 0;
	/* The campaign's gate last: taking a send slot is a write, made only for a job handed out. */
	if (j->campaign[0] == '\0')
		return 1;
	return outreach_send_gate(s, j->campaign, now_ms, !q->dry_run, err);
}

/*
 * A send job enters the claim's scan only while its campaign is running and
 * due, so that the queued messages of a campaign waiting for its rate (up to
 * 100,000 of them) cannot fill the pages and hide other jobs.
 */
#define JOB_CAMPAIGN_DUE "(campaign IS NULL OR EXISTS (SELECT 1 FROM outreach_campaigns c" \
	" WHERE c.id = jobs.campaign AND c.state = 'running' AND c.next_send_at <= ?9))"

static int
job_claim_locked(struct store *s, const struct job_claim_req *q, int64_t now,
    struct job_info *out, struct bos_err *err)
{
	int64_t now_ms = q->now_ms > 0 ? q->now_ms : now * 1000;
	struct job_expired e;
	unsigned rq = 0, dd = 0, page;
	size_t i;
	int ok, r = -1;

	if ((e.list = calloc(JOB_CANDIDATES_MAX, sizeof(*e.list))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory claiming a job");
	if (!q->dry_run && job_expire_locked(s, now, &rq, &dd, err) != 0)
		goto out;
	/*
	 * Page through the queue, oldest first, so that jobs this broker may not
	 * have (another role's services, a paused budget) cannot hide the ones it
	 * may: at most JOB_SCAN_PAGES pages under the lock.
	 */
	r = 0;
	for (page = 0, e.n = JOB_CANDIDATES_MAX; r == 0 && page < JOB_SCAN_PAGES &&
	    e.n == JOB_CANDIDATES_MAX; page++) {
		if (job_select(s, q->dry_run ?
		    JOB_COLS "WHERE ((state = 'queued' AND not_before <= ?7) OR (state = 'claimed'"
		    " AND visible_until <= ?7)) AND " JOB_CAMPAIGN_DUE " ORDER BY created_at, rowid"
		    " LIMIT 32 OFFSET ?8" :
		    JOB_COLS "WHERE state = 'queued' AND not_before <= ?7 AND " JOB_CAMPAIGN_DUE
		    " ORDER BY created_at, rowid LIMIT 32 OFFSET ?8", now,
		    (int64_t)page * JOB_CANDIDATES_MAX, now_ms, &e, err) != 0) {
			r = -1;
			break;
		}
		for (i = 0; i < e.n && r == 0; i++) {
			if ((ok = job_candidate_ok(s, q, &e.list[i], now, now_ms, err)) < 0) {
				r = -1;
			} else if (ok == 1) {
				*out = e.list[i];
				r = q->dry_run ? 1 : job_take(s, q, now, out, err) == 0 ? 1 : -1;
			}
		}
	}
 out:
	free(e.list);
	return r;
}

int
job_claim(struct store *s, const struct job_claim_req *q, int64_t now, struct job_info *out,
    struct bos_err *err)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (q->n_kinds == 0)
		return 0;
	if (q->dry_run)
		return job_claim_locked(s, q, now, out, err);
	if (store_begin(s, err) != 0)
		return -1;
	r = job_finish(s, job_claim_locked(s, q, now, out, err), err);
	if (r == 1)
		log_info("job %s (%s, service %s) claimed by broker %s, attempt %u of %u", out->id,
		    out->kind, out->service, q->broker_id, out->attempts, out->max_attempts);
	return r;
}

int
job_claim_held(struct store *s, const char *id, const char *broker_id, const char *claim,
    int live, int64_t now, struct job_info *out, struct bos_err *err)
{
	if (job_get(s, id, out, err) != 0)
		return -1;
	if (strcmp(out->state, "claimed") != 0 || strcmp(out->claimed_by, broker_id) != 0 ||
	    (claim != NULL && strcmp(out->claim, claim) != 0) || (live && out->visible_until <= now))
		return bos_err_set(err, BOS_E_EXISTS, "job %s is not claimed by this broker with "
		    "this claim (it expired and may have been claimed again)", id);
	return 0;
}

int
job_heartbeat(struct store *s, const char *id, const char *broker_id, const char *claim,
    int64_t now, uint32_t visibility_s, int64_t *visible_until, struct bos_err *err)
{
	struct job_args a = { { id, claim, broker_id }, { now, now + visibility_s }, 3, 2 };
	struct job_info *j;
	int changes = 0, r = -1;

	if ((j = malloc(sizeof(*j))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (job_claim_held(s, id, broker_id, claim, 0, now, j, err) == 0 &&
	    job_exec(s, "UPDATE jobs SET visible_until = ?8, updated_at = ?7 WHERE id = ?1"
	    " AND claim = ?2 AND claimed_by = ?3 AND state = 'claimed'", &a, &changes,
	    "extending a claim", err) == 0) {
		r = changes == 1 ? 0 : bos_err_set(err, BOS_E_DB, "extending a claim changed no row");
		*visible_until = now + visibility_s;
	}
	free(j);
	return r;
}

/* ---- completion and failure ------------------------------------------------------ */

static int
job_result_check(const char *result, struct bos_err *err)
{
	size_t n = result != NULL ? strnlen(result, JOB_RESULT_MAX + 1) : 0;

	if (n < 2 || n > JOB_RESULT_MAX || result[0] != '{')
		return bos_err_set(err, BOS_E_INVALID, "'result' must be a JSON object of at most "
		    "%d bytes", JOB_RESULT_MAX);
	return 0;
}

/*
 * No card number in a result, except an ad job's: its result is Meta's ids
 * (15-18 digits, one in ten passes Luhn) or Meta's spend, and its hook takes
 * exactly those keys, checked as ids and amounts (outreach_ad.c).
 */
static int
job_result_pan_check(const struct job_info *j, const char *result, struct bos_err *err)
{
	if (j->ad[0] == '\0' && card_text_has_pan(result))
		return bos_err_set(err, BOS_E_INVALID, "'result' must not contain a card number"
		    CARD_TEXT_HINT);
	return 0;
}

static int
job_complete_locked(struct store *s, const struct job_done *d, int64_t now,
    struct job_info *j, int *duplicate, int *mismatch, struct bos_err *err)
{
	const struct job_args a = { { d->id, d->claim, d->result_json }, { now }, 3, 1 };
	int changes = 0, sr;

	if (job_get(s, d->id, j, err) != 0 || job_result_pan_check(j, d->result_json, err) != 0)
		return -1;
	if (j->ad[0] != '\0' && d->spend_amount > 0)
		return bos_err_set(err, BOS_E_INVALID, "'spend' is not given for an ad job: the vault "
		    "computes it from the insights");
	if (strcmp(j->state, "done") == 0 && strcmp(j->claim, d->claim) == 0 &&
	    strcmp(j->claimed_by, d->broker_id) == 0) {
		*duplicate = 1;
		return 0;
	}
	if (job_claim_held(s, d->id, d->broker_id, d->claim, 0, now, j, err) != 0)
		return -1;
	if (job_exec(s, "UPDATE jobs SET state = 'done', result = ?3, visible_until = NULL,"
	    " updated_at = ?7, finished_at = ?7 WHERE id = ?1 AND claim = ?2 AND state = 'claimed'",
	    &a, &changes, "completing a job", err) != 0)
		return -1;
	if (changes != 1)
		return bos_err_set(err, BOS_E_DB, "completing job %s changed no row", d->id);
	/* A send job's spend is the vault's: the campaign's price (or the provider's). */
	if (j->campaign[0] != '\0')
		return outreach_send_completed(s, &(struct outreach_send_job){ j->id, j->campaign,
		    j->service }, now, mismatch, err);
	/* A notice's spend is its estimate (the provider's price from bos.conf), once sent. */
	if (j->notice[0] != '\0')
		return outreach_notice_completed(s, &(struct outreach_notice_job){ j->id, j->service,
		    j->est_amount, j->est_amount >= 0 ? j->est_currency : NULL }, now, mismatch, err);
	/* An ad job moves its ad; an insights job records the spend (docs/ADS.md). */
	if (j->ad[0] != '\0')
		return outreach_ad_job_completed(s, &(struct outreach_ad_job){ j->id, j->kind, j->ad },
		    j->params, d->result_json, now, job_queue_ad, mismatch, err);
	if (d->spend_amount <= 0)
		return 0;
	sr = spend_record(s, d->id, j->service, d->spend_amount, d->spend_currency, now, err);
	if (sr == SPEND_CURRENCY_MISMATCH)
		*mismatch = 1;
	return sr == SPEND_RECORDED || sr == SPEND_DUPLICATE ? 0 : -1;
}

int
job_complete(struct store *s, const struct job_done *d, int64_t now, int *duplicate,
    int *mismatch, struct bos_err *err)
{
	struct job_info *j;
	int r = -1;

	*duplicate = *mismatch = 0;
	if (job_result_check(d->result_json, err) != 0)
		return -1;
	if (d->spend_amount < 0 || (d->spend_amount > 0 && d->spend_currency == NULL))
		return bos_err_set(err, BOS_E_INVALID, "'spend' needs an amount > 0 and a currency");
	if ((j = malloc(sizeof(*j))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (store_begin(s, err) == 0 &&
	    job_finish(s, job_complete_locked(s, d, now, j, duplicate, mismatch, err), err) == 0)
		r = 0;
	free(j);
	if (r == 0)
		log_info("job %s %s by broker %s", d->id, *duplicate ? "completed again (duplicate)" :
		    "done", d->broker_id);
	return r;
}

static int
job_error_check(const char *e, struct bos_err *err)
{
	size_t i, n = e != NULL ? strnlen(e, JOB_ERROR_MAX + 1) : 0;

	if (n == 0 || n > JOB_ERROR_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'error' must be 1 to %d characters",
		    JOB_ERROR_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)e[i] < 0x20 || e[i] == 0x7f)
			return bos_err_set(err, BOS_E_INVALID, "'error' must be printable text");
	if (card_text_has_pan(e))
		return bos_err_set(err, BOS_E_INVALID, "'error' must not contain a card number"
		    CARD_TEXT_HINT);
	return 0;
}

struct job_failure {
	const char *id, *broker_id, *claim, *error;
	int retry;
	int64_t floor_s, now;
};

static int
job_fail_locked(struct store *s, const struct job_failure *f, struct job_info *j, char state[8],
    int64_t *not_before, struct bos_err *err)
{
	struct job_args a = { { f->id, f->claim, f->error }, { f->now, 0 }, 3, 2 };
	int dead, changes = 0;

	if (job_claim_held(s, f->id, f->broker_id, f->claim, 0, f->now, j, err) != 0)
		return -1;
	dead = !f->retry || j->attempts >= j->max_attempts;
	a.n[1] = f->now + job_backoff(j->attempts);
	if (a.n[1] < f->now + f->floor_s)
		a.n[1] = f->now + f->floor_s;
	if (job_exec(s, dead ?
	    "UPDATE jobs SET state = 'dead', error = ?3, visible_until = NULL, updated_at = ?7,"
	    " finished_at = ?7 WHERE id = ?1 AND claim = ?2 AND state = 'claimed'" :
	    "UPDATE jobs SET state = 'queued', error = ?3, claim = NULL, visible_until = NULL,"
	    " not_before = ?8, updated_at = ?7 WHERE id = ?1 AND claim = ?2 AND state = 'claimed'",
	    &a, &changes, "failing a job", err) != 0)
		return -1;
	if (changes != 1)
		return bos_err_set(err, BOS_E_DB, "failing job %s changed no row", f->id);
	(void)snprintf(state, 8, "%s", dead ? "dead" : "queued");
	*not_before = dead ? 0 : a.n[1];
	if (j->campaign[0] != '\0' && outreach_send_failed(s,
	    &(struct outreach_send_job){ j->id, j->campaign, j->service }, dead, 1, f->error,
	    f->now, err) != 0)
		return -1;
	if (j->notice[0] != '\0' && outreach_notice_failed(s, j->id, dead, 1, f->error, f->now,
	    err) != 0)
		return -1;
	if (dead && j->ad[0] != '\0' && outreach_ad_job_dead(s, &(struct outreach_ad_job){ j->id,
	    j->kind, j->ad }, f->error, f->now, err) != 0)
		return -1;
	if (!dead)
		return 0;
	return job_alert_dead(s, j, f->retry ? "every attempt failed" : "it failed without retry",
	    f->now, err);
}

int
job_fail(struct store *s, const char *id, const char *broker_id, const char *claim,
    const char *error, int retry, int64_t floor_s, int64_t now, char state[8],
    int64_t *not_before, struct bos_err *err)
{
	const struct job_failure f = { id, broker_id, claim, error, retry,
	    floor_s < 0 ? 0 : floor_s > JOB_BACKOFF_MAX ? JOB_BACKOFF_MAX : floor_s, now };
	struct job_info *j;
	int r = -1;

	state[0] = '\0';
	*not_before = 0;
	if (job_error_check(error, err) != 0)
		return -1;
	if ((j = malloc(sizeof(*j))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (store_begin(s, err) == 0 &&
	    job_finish(s, job_fail_locked(s, &f, j, state, not_before, err), err) == 0)
		r = 0;
	free(j);
	if (r == 0)
		log_info("job %s failed (broker %s): %s", id, broker_id, state);
	return r;
}
