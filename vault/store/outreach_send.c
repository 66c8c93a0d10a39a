/* The send side of outreach that the job queue calls; see outreach_send.h. */
#include "store/outreach_send.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/alert.h"
#include "store/budget.h"
#include "currency.h"
#include "log.h"
#include "store/store.h"

/* ---- statements ------------------------------------------------------------------ */

/*
 * Bind ?1.. from types ('t' a string, NULL for null; 'i' an int64_t) and
 * step once: the number of rows changed, or -1.
 */
static int
osq_bindv(sqlite3_stmt *st, const char *types, va_list ap)
{
	const char *t;
	int i;

	for (i = 0; types[i] != '\0'; i++) {
		if (types[i] == 't') {
			t = va_arg(ap, const char *);
			if ((t == NULL ? sqlite3_bind_null(st, i + 1) :
			    sqlite3_bind_text(st, i + 1, t, -1, SQLITE_TRANSIENT)) != SQLITE_OK)
				return -1;
		} else if (sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t)) != SQLITE_OK) {
			return -1;
		}
	}
	return 0;
}

int
outreach_sql_run(struct store *s, const char *what, struct bos_err *err, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int r = -1;

	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	va_start(ap, types);
	if (osq_bindv(st, types, ap) == 0 && sqlite3_step(st) == SQLITE_DONE)
		r = sqlite3_changes(store_db(s));
	va_end(ap);
	if (r < 0)
		store_err_db(s, what, err);
	store_stmt_done(s, st);
	return r;
}

/* One integer from a query (*out; 0 when no row). 0 or -1. */
int
outreach_sql_int(struct store *s, const char *what, int64_t *out, struct bos_err *err,
    const char *sql,
    const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int r = -1, rc;

	*out = 0;
	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	va_start(ap, types);
	if (osq_bindv(st, types, ap) == 0) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*out = sqlite3_column_int64(st, 0);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			r = 0;
	}
	va_end(ap);
	if (r < 0)
		store_err_db(s, what, err);
	store_stmt_done(s, st);
	return r;
}

int
outreach_sql_finish(struct store *s, int r, struct bos_err *err)
{
	if (r >= 0)
		return store_commit(s, err) == 0 ? r : -1;
	if (store_rollback(s, NULL) != 0)
		log_err("outreach: rollback failed");
	return -1;
}

int
outreach_sql_copy(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	return snprintf(dst, cap, "%s", v != NULL ? v : "") >= (int)cap ? -1 : 0;
}

int
outreach_sql_dup(sqlite3_stmt *st, int col, char **dst)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	*dst = NULL;
	if (v == NULL)
		return 0;
	return (*dst = strdup(v)) != NULL ? 0 : -1;
}

/* done when nothing is queued or sending (only from running or paused). */
int
outreach_campaign_finish_if_done(struct store *s, const char *cid, int64_t now, struct bos_err *err)
{
	int n = outreach_sql_run(s, "finishing a campaign", err,
	    "UPDATE outreach_campaigns SET state ="
	    " 'done', finished_at = ?2, updated_at = ?2 WHERE id = ?1 AND state IN ('running',"
	    " 'paused') AND NOT EXISTS (SELECT 1 FROM outreach_messages WHERE campaign_id = ?1"
	    " AND state IN ('queued', 'sending'))", "ti", cid, now);

	if (n == 1)
		log_info("campaign %s is done", cid);
	return n < 0 ? -1 : 0;
}

/* ---- the claim's gate ------------------------------------------------------------ */

int
outreach_send_gate(struct store *s, const char *campaign, int64_t now_ms, int take,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t next = 0, per = 1, hold;
	int running = 0, rc;

	if (store_stmt(s, "SELECT state = 'running', next_send_at, per_minute FROM"
	    " outreach_campaigns WHERE id = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, campaign, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading a campaign's rate", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_ROW) {
		running = sqlite3_column_int(st, 0);
		next = sqlite3_column_int64(st, 1);
		per = sqlite3_column_int64(st, 2);
	}
	store_stmt_done(s, st);
	if (per < 1)
		per = 1;
	if (running && now_ms >= next) {
		/* 60 s / per_minute, kept in milliseconds: 6000 a minute is one every 10 ms. */
		if (take && outreach_sql_run(s, "taking a campaign's send slot", err, "UPDATE"
		    " outreach_campaigns SET next_send_at = ?2 WHERE id = ?1", "ti", campaign,
		    (next > now_ms ? next : now_ms) + 60000 / per) != 1)
			return -1;
		return 1;
	}
	if (!take)
		return 0;
	/* Refused: the campaign's queued jobs wait out of the claim's scan until they are due. */
	hold = running ? (next + 999) / 1000 : now_ms / 1000 + OUTREACH_PAUSED_HOLD;
	return outreach_sql_run(s, "holding a campaign's jobs", err,
	    "UPDATE jobs SET not_before = ?2"
	    " WHERE campaign = ?1 AND state = 'queued' AND not_before < ?2", "ti", campaign, hold) <
	    0 ? -1 : 0;
}

int
outreach_send_next_due(struct store *s, int64_t *next_ms, struct bos_err *err)
{
	return outreach_sql_int(s, "reading when campaigns are due", next_ms, err,
	    "SELECT coalesce(min(c.next_send_at), 0) FROM outreach_campaigns c WHERE"
	    " c.state = 'running' AND EXISTS (SELECT 1 FROM jobs j WHERE j.campaign = c.id AND"
	    " j.state = 'queued')", "");
}

/* ---- completion and failure of a send job ---------------------------------------- */

/* The message of job j: state and price (-1: none). 0, or -1 (NOTFOUND when none). */
int
outreach_send_message_of_job(struct store *s, const char *job_id, char mid[OUTREACH_SEND_ID_SIZE],
    char state[16], int64_t *price, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	if (store_stmt(s, "SELECT id, state, coalesce(price_micros, -1) FROM outreach_messages"
	    " WHERE job_id = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading a message", err);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "job %s has no message", job_id);
		goto out;
	}
	if (outreach_sql_copy(st, 0, mid, OUTREACH_SEND_ID_SIZE) != 0 ||
	    outreach_sql_copy(st, 1, state, 16) != 0) {
		bos_err_set(err, BOS_E_CORRUPT, "a message row is malformed");
		goto out;
	}
	*price = sqlite3_column_int64(st, 2);
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

/* 10^(6 - exp): micro-units per minor unit (USD: 10,000). */
static int64_t
oc_micros_per_minor(const char *currency)
{
	int exp = currency_exponent(currency), i;
	int64_t m = 1;

	for (i = exp < 0 ? 6 : exp; i < 6; i++)
		m *= 10;
	return m;
}

/* Add a sent message's price to its campaign; the ledger gets the whole minor units. */
static int
oc_spend(struct store *s, const struct outreach_send_job *j, int64_t price, int64_t now,
    int *mismatch, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t base = 0, spend = 0, recorded = 0, units;
	char currency[4] = "";
	int rc, sr;

	if (store_stmt(s, "SELECT price_micros, currency, spend_micros, spend_recorded FROM"
	    " outreach_campaigns WHERE id = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, j->campaign, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW ||
	    outreach_sql_copy(st, 1, currency, sizeof(currency)) != 0) {
		store_stmt_done(s, st);
		return bos_err_set(err, BOS_E_CORRUPT, "the campaign of job %s is missing", j->id);
	}
	base = sqlite3_column_int64(st, 0);
	spend = sqlite3_column_int64(st, 2);
	recorded = sqlite3_column_int64(st, 3);
	store_stmt_done(s, st);
	if (__builtin_add_overflow(spend, price >= 0 ? price : base, &spend))
		return bos_err_set(err, BOS_E_INVALID, "the campaign's spend would overflow");
	units = spend / oc_micros_per_minor(currency) - recorded;
	if (units < 0)
		units = 0;
	if (outreach_sql_run(s, "recording a campaign's spend", err, "UPDATE outreach_campaigns SET"
	    " spend_micros = ?2, spend_recorded = spend_recorded + ?3, updated_at = ?4 WHERE"
	    " id = ?1", "tiii", j->campaign, spend, units, now) != 1)
		return -1;
	sr = units > 0 ? spend_record(s, j->id, j->service, units, currency, now, err) :
	    SPEND_RECORDED;
	if (sr == SPEND_CURRENCY_MISMATCH)
		*mismatch = 1;
	return sr == SPEND_RECORDED || sr == SPEND_DUPLICATE ? 0 : -1;
}

int
outreach_send_completed(struct store *s, const struct outreach_send_job *j, int64_t now,
    int *mismatch, struct bos_err *err)
{
	char mid[OUTREACH_SEND_ID_SIZE], state[16];
	int64_t price;

	if (outreach_send_message_of_job(s, j->id, mid, state, &price, err) != 0)
		return -1;
	/*
	 * Completed from 'sending' without 'sent' (the broker's report of it was
	 * lost): the broker completes only what the provider accepted, so it was
	 * sent, and it is paid for.
	 */
	if (strcmp(state, "sending") == 0) {
		if (outreach_sql_run(s, "marking a message sent", err, "UPDATE outreach_messages SET"
		    " state = 'sent', sent_at = ?2, updated_at = ?2 WHERE id = ?1 AND state ="
		    " 'sending'", "ti", mid, now) != 1)
			return -1;
		(void)snprintf(state, sizeof(state), "sent");
	}
	if (strcmp(state, "sent") == 0 && oc_spend(s, j, price, now, mismatch, err) != 0)
		return -1;
	/* Completed without a send (suppressed, cancelled, already sent): nothing is spent. */
	if (strcmp(state, "queued") == 0 && outreach_sql_run(s, "closing a message", err, "UPDATE"
	    " outreach_messages SET state = 'cancelled', updated_at = ?2 WHERE id = ?1", "ti",
	    mid, now) < 0)
		return -1;
	return outreach_campaign_finish_if_done(s, j->campaign, now, err);
}

int
outreach_send_alert_unknown(struct store *s, const char *mid, const char *job_id, int64_t now,
    struct bos_err *err)
{
	char subject[160], dedup[64], details[160];

	(void)snprintf(subject, sizeof(subject), "message %s: an attempt to send it never "
	    "reported; it is not sent again", mid);
	(void)snprintf(dedup, sizeof(dedup), "outreach_unknown:%s", mid);
	(void)snprintf(details, sizeof(details), "{\"message\":\"%s\",\"job\":\"%s\"}", mid,
	    job_id);
	log_warn("message %s (job %s): outcome unknown", mid, job_id);
	return alert_raise(s, "outreach_unknown", "warning", subject, details,
	    "[\"check the provider's log for the message\", \"send it again by hand if it was "
	    "not sent\"]", dedup, now, err);
}

int
outreach_send_failed(struct store *s, const struct outreach_send_job *j, int dead, int reported,
    const char *error, int64_t now, struct bos_err *err)
{
	char mid[OUTREACH_SEND_ID_SIZE], state[16];
	int64_t price;

	if (outreach_send_message_of_job(s, j->id, mid, state, &price, err) != 0)
		return -1;
	if (strcmp(state, "sending") == 0 && !reported) {
		if (outreach_sql_run(s, "marking a message unknown", err,
		    "UPDATE outreach_messages SET state ="
		    " 'unknown', updated_at = ?2 WHERE id = ?1", "ti", mid, now) != 1 ||
		    outreach_send_alert_unknown(s, mid, j->id, now, err) != 0)
			return -1;
	} else if (dead && (strcmp(state, "queued") == 0 || strcmp(state, "sending") == 0)) {
		if (outreach_sql_run(s, "failing a message", err,
		    "UPDATE outreach_messages SET state ="
		    " 'failed', error = ?2, updated_at = ?3 WHERE id = ?1", "tti", mid, error,
		    now) != 1)
			return -1;
	} else if (!dead && strcmp(state, "sending") == 0) {
		/* The broker reported a refusal (429, 5xx): not sent, so it may be tried again. */
		if (outreach_sql_run(s, "queueing a message again", err,
		    "UPDATE outreach_messages SET state ="
		    " 'queued', error = ?2, updated_at = ?3 WHERE id = ?1", "tti", mid, error,
		    now) != 1)
			return -1;
	}
	return dead ? outreach_campaign_finish_if_done(s, j->campaign, now, err) : 0;
}

