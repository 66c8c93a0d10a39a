/*
 * The part of outreach that the job queue (job.c) calls inside its own
 * transactions: a campaign's rate gate at the claim, a send job's message
 * and spend at completion, its message at failure; and the statement
 * helpers outreach_campaign.c shares. It includes neither job.h nor
 * outreach_campaign.h, so that job.c may call it while outreach_campaign.c
 * queues jobs through job.c (no include circle).
 */
#ifndef BOS_OUTREACH_SEND_H
#define BOS_OUTREACH_SEND_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;
struct sqlite3_stmt;

#define OUTREACH_SEND_ID_SIZE 30          /* cp_, om_, jb_ + 26 base32 + NUL */
#define OUTREACH_PAUSED_HOLD 3600         /* seconds a paused campaign's jobs are held back */

/*
 * Bind ?1.. from types ('t' a const char *, NULL for null; 'i' an int64_t)
 * and step once: the rows changed, or -1 (err names what).
 */
int outreach_sql_run(struct store *s, const char *what, struct bos_err *err, const char *sql,
    const char *types, ...) BOS_WUR;
/* The first column of the first row as an integer (*out; 0 without a row). 0 or -1. */
int outreach_sql_int(struct store *s, const char *what, int64_t *out, struct bos_err *err,
    const char *sql, const char *types, ...) BOS_WUR;
/* End a write begun with store_begin: commit on r >= 0, else roll back. r, or -1. */
int outreach_sql_finish(struct store *s, int r, struct bos_err *err) BOS_WUR;
/* Copy a text column (NULL: "") into dst: 0, or -1 when it does not fit. */
int outreach_sql_copy(struct sqlite3_stmt *st, int col, char *dst, size_t cap) BOS_WUR;
/* strdup of a text column (NULL stays NULL): 0, or -1 out of memory. */
int outreach_sql_dup(struct sqlite3_stmt *st, int col, char **dst) BOS_WUR;

/* The campaign is done when nothing is queued or sending (from running or paused only). */
int outreach_campaign_finish_if_done(struct store *s, const char *cid, int64_t now,
    struct bos_err *err) BOS_WUR;

/*
 * The rate gate of a claim (job.c, in the claim's transaction): 1 when the
 * campaign is running and now_ms >= next_send_at; with take, next_send_at
 * becomes max(now_ms, next_send_at) + 60000 / per_minute. 0 otherwise; with
 * take, the campaign's queued jobs' not_before moves to next_send_at (or
 * now + OUTREACH_PAUSED_HOLD when not running). -1 on error.
 */
int outreach_send_gate(struct store *s, const char *campaign, int64_t now_ms, int take,
    struct bos_err *err) BOS_WUR;

/*
 * The earliest next_send_at (wall-clock milliseconds) of a running campaign
 * that has a queued job, so that a waiting claim looks again when a campaign
 * becomes due rather than at its next one-second look. *next_ms = 0: none.
 */
int outreach_send_next_due(struct store *s, int64_t *next_ms, struct bos_err *err) BOS_WUR;

/* What the send side needs of a send job. */
struct outreach_send_job {
	const char *id, *campaign, *service;
};

/*
 * A send job completed (job.c, in the completion's transaction): a message
 * sent (or left in 'sending': the broker completes only what the provider
 * accepted, so it is marked sent) has its price (the provider's, else the
 * campaign's) added to the campaign's spend_micros, and the whole minor
 * units not yet in the ledger are recorded (spend_record, with the job's id); a message still queued
 * (completed without a send) is cancelled; the campaign is done when nothing
 * is queued or sending. *mismatch = 1 when the ledger refuses the currency.
 */
int outreach_send_completed(struct store *s, const struct outreach_send_job *j, int64_t now,
    int *mismatch, struct bos_err *err) BOS_WUR;
/*
 * A send job failed (reported 1: by its broker; 0: its last claim expired).
 * Reported: a message in 'sending' was not sent (the provider refused), so
 * it is queued again on a retry; dead: a queued or sending message is
 * 'failed'. Not reported: a 'sending' message is 'unknown' (alert
 * outreach_unknown). Then, when dead, the campaign may be done.
 */
int outreach_send_failed(struct store *s, const struct outreach_send_job *j, int dead,
    int reported, const char *error, int64_t now, struct bos_err *err) BOS_WUR;

/* The message of send job job_id: id, state and price (-1: none). NOTFOUND when none. */
int outreach_send_message_of_job(struct store *s, const char *job_id,
    char mid[OUTREACH_SEND_ID_SIZE], char state[16], int64_t *price, struct bos_err *err) BOS_WUR;
/* Alert outreach_unknown for message mid (job job_id), in the caller's transaction. */
int outreach_send_alert_unknown(struct store *s, const char *mid, const char *job_id,
    int64_t now, struct bos_err *err) BOS_WUR;

#endif
