/* Notices: their sends; see outreach_notice.h and docs/OUTREACH.md "Notices". */
#include "store/outreach_notice.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "currency.h"
#include "log.h"
#include "randid.h"
#include "secmem.h"
#include "store/outreach_send.h"
#include "store/budget.h"
#include "store/store.h"

#define ON_ID_CHARS (OUTREACH_NOTICE_ID_SIZE - 1 - 3)

_Static_assert(OUTREACH_NOTICE_ID_SIZE == OUTREACH_SEND_ID_SIZE, "ids are 29 characters");

int
outreach_notice_id_valid(const char *s)
{
	return randid_valid(s, "on_", ON_ID_CHARS);
}

int
outreach_notice_id_new(char id[OUTREACH_NOTICE_ID_SIZE])
{
	return randid_new("on_", ON_ID_CHARS, id, OUTREACH_NOTICE_ID_SIZE);
}

size_t
outreach_notice_aad(const char *id, uint8_t out[OUTREACH_NOTICE_AAD_MAX])
{
	size_t p = sizeof(OUTREACH_NOTICE_AAD_PREFIX) - 1,
	    n = strnlen(id, OUTREACH_NOTICE_ID_SIZE - 1);

	memcpy(out, OUTREACH_NOTICE_AAD_PREFIX, p);
	memcpy(out + p, id, n);
	return p + n;
}

const struct outreach_notice_route *
outreach_notice_route_of(struct store *s, const char *channel)
{
	const struct outreach_notice_conf *c = store_notice_conf(s);

	if (c == NULL || channel == NULL)
		return NULL;
	if (strcmp(channel, "email") == 0)
		return c->email.set ? &c->email : NULL;
	if (strcmp(channel, "sms") == 0)
		return c->sms.set ? &c->sms : NULL;
	return NULL;
}

int
outreach_notice_check(struct store *s, const char *channel, struct bos_err *err)
{
	int email = channel != NULL && strcmp(channel, "email") == 0;

	if (outreach_notice_route_of(s, channel) == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the vault sends no %s notices: set "
		    "'notice_%s = PROVIDER CREDENTIAL_NAME FROM' in bos.conf", email ? "email" : "SMS",
		    email ? "email" : "sms");
	return 0;
}

/* ---- sending ----------------------------------------------------------------------- */

#define ON_COLS "SELECT id, kind, channel, state, to_addr, provider, credential, from_addr," \
	" subject, token, coalesce(text_body, ''), coalesce(accessor, ''), coalesce(kek_version," \
	" 0), blob FROM outreach_notices WHERE job_id = ?1"

int
outreach_notice_of_job(struct store *s, const char *job_id, struct outreach_notice *n,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	const void *blob;
	int r = -1, rc, len;

	memset(n, 0, sizeof(*n));
	if (store_stmt(s, ON_COLS, &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading a notice", err);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		r = 0;
		goto out;
	}
	blob = sqlite3_column_blob(st, 13);
	len = sqlite3_column_bytes(st, 13);
	if (outreach_sql_copy(st, 0, n->id, sizeof(n->id)) != 0 ||
	    outreach_sql_copy(st, 1, n->kind, sizeof(n->kind)) != 0 ||
	    outreach_sql_copy(st, 2, n->channel, sizeof(n->channel)) != 0 ||
	    outreach_sql_copy(st, 3, n->state, sizeof(n->state)) != 0 ||
	    outreach_sql_copy(st, 4, n->to, sizeof(n->to)) != 0 ||
	    outreach_sql_copy(st, 5, n->provider, sizeof(n->provider)) != 0 ||
	    outreach_sql_copy(st, 6, n->credential, sizeof(n->credential)) != 0 ||
	    outreach_sql_copy(st, 7, n->from, sizeof(n->from)) != 0 ||
	    outreach_sql_copy(st, 8, n->subject, sizeof(n->subject)) != 0 ||
	    outreach_sql_copy(st, 9, n->token, sizeof(n->token)) != 0 ||
	    outreach_sql_copy(st, 10, n->text, sizeof(n->text)) != 0 ||
	    outreach_sql_copy(st, 11, n->accessor, sizeof(n->accessor)) != 0 ||
	    len < 0 || len > OUTREACH_NOTICE_BLOB_MAX) {
		bos_err_set(err, BOS_E_CORRUPT, "a notice row is malformed");
		goto out;
	}
	n->kek_version = (uint32_t)sqlite3_column_int64(st, 12);
	if (blob != NULL && len > 0)
		memcpy(n->blob, blob, (size_t)len);
	n->blob_len = blob != NULL ? (size_t)len : 0;
	r = 1;
 out:
	store_stmt_done(s, st);
	if (r < 0)
		secmem_wipe(n, sizeof(*n));
	return r;
}

/* A new state; the token's blob goes with any state but queued and sending. */
static int
on_set_state(struct store *s, const char *id, const char *state, const char *error,
    int64_t now, struct bos_err *err)
{
	return outreach_sql_run(s, "changing a notice", err, "UPDATE outreach_notices SET state ="
	    " ?2, error = coalesce(?3, error), blob = CASE WHEN ?2 IN ('queued', 'sending') THEN"
	    " blob END, updated_at = ?4 WHERE id = ?1", "ttti", id, state, error, now) == 1 ? 0 : -1;
}

/* 1 when the notice must not be sent any more (its grant ended, or the address stopped). */
static int
on_blocked(struct store *s, const struct outreach_notice *n, int64_t now, const char **why,
    struct bos_err *err)
{
	int64_t x = 0;

	if (strcmp(n->kind, "grant_token") == 0) {
		if (outreach_sql_int(s, "reading a notice's grant", &x, err, "SELECT count(*) FROM"
		    " grants WHERE accessor = ?1 AND revoked_at IS NULL AND expires_at > ?2", "ti",
		    n->accessor, now) != 0)
			return -1;
		if (x == 0 || n->blob_len == 0) {
			*why = "cancelled";
			return 1;
		}
	}
	/* Not marketing: only a STOP (SMS) or a hard bounce (email) stops a notice. */
	if (outreach_sql_int(s, "reading the suppression list", &x, err, "SELECT count(*) FROM"
	    " outreach_suppressions WHERE address = ?1 AND channel = ?2 AND reason = CASE WHEN"
	    " ?2 = 'sms' THEN 'stop' ELSE 'bounced' END", "tt", n->to, n->channel) != 0)
		return -1;
	if (x > 0) {
		*why = "suppressed";
		return 1;
	}
	return 0;
}

static int
on_prepare_locked(struct store *s, const char *job_id, int64_t now, struct outreach_notice *n,
    int *conflict, struct bos_err *err)
{
	const char *why = NULL;
	int r;

	*conflict = OUTREACH_NOTICE_OK;
	if ((r = outreach_notice_of_job(s, job_id, n, err)) <= 0)
		return r < 0 ? -1 : bos_err_set(err, BOS_E_NOTFOUND, "job %s has no notice", job_id);
	if (strcmp(n->state, "sent") == 0) {
		*conflict = OUTREACH_NOTICE_ALREADY_SENT;
	} else if (strcmp(n->state, "unknown") == 0) {
		*conflict = OUTREACH_NOTICE_OUTCOME_UNKNOWN;
	} else if (strcmp(n->state, "sending") == 0) {
		*conflict = OUTREACH_NOTICE_OUTCOME_UNKNOWN;
		if (on_set_state(s, n->id, "unknown", NULL, now, err) != 0 ||
		    outreach_send_alert_unknown(s, n->id, job_id, now, err) != 0)
			return -1;
	} else if (strcmp(n->state, "queued") != 0) {
		*conflict = OUTREACH_NOTICE_SUPPRESSED;
	} else if ((r = on_blocked(s, n, now, &why, err)) != 0) {
		if (r < 0 || on_set_state(s, n->id, why, NULL, now, err) != 0)
			return -1;
		*conflict = OUTREACH_NOTICE_SUPPRESSED;
	}
	return 0;
}

int
outreach_notice_prepare(struct store *s, const char *job_id, int64_t now,
    struct outreach_notice *n, int *conflict, struct bos_err *err)
{
	int r;

	if (store_begin(s, err) != 0)
		return -1;
	r = outreach_sql_finish(s, on_prepare_locked(s, job_id, now, n, conflict, err), err);
	if (r != 0 || *conflict != OUTREACH_NOTICE_OK)
		secmem_wipe(n->blob, sizeof(n->blob));
	return r < 0 ? -1 : 0;
}

/* The state of job_id's notice into state. 0, or -1 (NOTFOUND). */
static int
on_state(struct store *s, const char *job_id, char id[OUTREACH_NOTICE_ID_SIZE], char state[16],
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	if (store_stmt(s, "SELECT id, state FROM outreach_notices WHERE job_id = ?1", &st,
	    err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE))
		store_err_db(s, "reading a notice", err);
	else if (rc == SQLITE_DONE)
		bos_err_set(err, BOS_E_NOTFOUND, "job %s has no notice", job_id);
	else if (outreach_sql_copy(st, 0, id, OUTREACH_NOTICE_ID_SIZE) != 0 ||
	    outreach_sql_copy(st, 1, state, 16) != 0)
		bos_err_set(err, BOS_E_CORRUPT, "a notice row is malformed");
	else
		r = 0;
	store_stmt_done(s, st);
	return r;
}

static int
on_conflict_of(const char *state)
{
	return strcmp(state, "sent") == 0 ? OUTREACH_NOTICE_ALREADY_SENT :
	    strcmp(state, "sending") == 0 || strcmp(state, "unknown") == 0 ?
	    OUTREACH_NOTICE_OUTCOME_UNKNOWN : OUTREACH_NOTICE_SUPPRESSED;
}

int
outreach_notice_mark_sending(struct store *s, const char *job_id, int64_t now, int *conflict,
    struct bos_err *err)
{
	char id[OUTREACH_NOTICE_ID_SIZE], state[16];

	*conflict = OUTREACH_NOTICE_OK;
	if (on_state(s, job_id, id, state, err) != 0)
		return -1;
	if (strcmp(state, "queued") != 0) {
		*conflict = on_conflict_of(state);
		return 0;
	}
	return outreach_sql_run(s, "marking a notice sending", err, "UPDATE outreach_notices SET"
	    " state = 'sending', attempts = attempts + 1, updated_at = ?2 WHERE id = ?1 AND state"
	    " = 'queued'", "ti", id, now) == 1 ? 0 : -1;
}

int
outreach_notice_mark_sent(struct store *s, const char *job_id, const char *provider_id,
    int64_t now, int *conflict, struct bos_err *err)
{
	char id[OUTREACH_NOTICE_ID_SIZE], state[16];

	*conflict = OUTREACH_NOTICE_OK;
	if (on_state(s, job_id, id, state, err) != 0)
		return -1;
	if (strcmp(state, "sending") != 0) {
		*conflict = strcmp(state, "queued") == 0 ? OUTREACH_NOTICE_STATE :
		    on_conflict_of(state);
		return 0;
	}
	/* Sent: the token's blob is deleted (secure_delete overwrites it). */
	return outreach_sql_run(s, "marking a notice sent", err, "UPDATE outreach_notices SET"
	    " state = 'sent', blob = NULL, provider_id = ?2, sent_at = ?3, updated_at = ?3 WHERE"
	    " id = ?1 AND state = 'sending'", "tti", id, provider_id, now) == 1 ? 0 : -1;
}

int
outreach_notice_completed(struct store *s, const struct outreach_notice_job *j, int64_t now,
    int *mismatch, struct bos_err *err)
{
	char id[OUTREACH_NOTICE_ID_SIZE], state[16];
	int sr;

	if (on_state(s, j->id, id, state, err) != 0)
		return -1;
	/* Completed from 'sending' (its 'sent' was lost): the provider accepted it. */
	if (strcmp(state, "sending") == 0) {
		if (outreach_sql_run(s, "marking a notice sent", err, "UPDATE outreach_notices SET"
		    " state = 'sent', blob = NULL, sent_at = ?2, updated_at = ?2 WHERE id = ?1",
		    "ti", id, now) != 1)
			return -1;
		(void)snprintf(state, sizeof(state), "sent");
	}
	if (strcmp(state, "queued") == 0)
		return on_set_state(s, id, "cancelled", NULL, now, err);
	if (strcmp(state, "sent") != 0 || j->est_amount <= 0)
		return 0;
	sr = spend_record(s, j->id, j->service, j->est_amount, j->est_currency, now, err);
	if (sr == SPEND_CURRENCY_MISMATCH)
		*mismatch = 1;
	return sr == SPEND_RECORDED || sr == SPEND_DUPLICATE ? 0 : -1;
}

int
outreach_notice_failed(struct store *s, const char *job_id, int dead, int reported,
    const char *error, int64_t now, struct bos_err *err)
{
	char id[OUTREACH_NOTICE_ID_SIZE], state[16];

	if (on_state(s, job_id, id, state, err) != 0)
		return -1;
	if (strcmp(state, "sending") == 0 && !reported)
		return on_set_state(s, id, "unknown", NULL, now, err) != 0 ||
		    outreach_send_alert_unknown(s, id, job_id, now, err) != 0 ? -1 : 0;
	if (dead && (strcmp(state, "queued") == 0 || strcmp(state, "sending") == 0))
		return on_set_state(s, id, "failed", error, now, err);
	if (!dead && strcmp(state, "sending") == 0)
		return on_set_state(s, id, "queued", error, now, err);
	return 0;
}

int
outreach_notice_sweep(struct store *s, int64_t now, unsigned *n, struct bos_err *err)
{
	int r = outreach_sql_run(s, "ending the notices of expired grants", err,
	    "UPDATE outreach_notices SET blob = NULL, state = CASE WHEN state = 'queued' THEN"
	    " 'cancelled' ELSE state END, updated_at = ?1 WHERE blob IS NOT NULL AND accessor IN"
	    " (SELECT accessor FROM grants WHERE expires_at <= ?1 OR revoked_at IS NOT NULL)", "i",
	    now);

	*n = r > 0 ? (unsigned)r : 0;
	return r < 0 ? -1 : 0;
}
