/*
 * Outreach campaigns and their sends (docs/OUTREACH.md "Campaigns", "Rate and
 * budget", "Sending", "Cost"): storage and the state machines, no HTTP.
 *
 *   draft --start--> running --pause--> paused --resume--> running
 *   running|paused --(no message queued or sending)--> done
 *   draft|running|paused --cancel--> cancelled
 *
 * A message: queued --sending--> sending --sent--> sent; suppressed (at
 * creation, or when the broker fetches it); cancelled; failed (a refusal,
 * or its job dead); unknown (an attempt reached 'sending' and never
 * reported: it is never sent again).
 *
 * Locking: the caller holds the vault's database lock. Writes run in their
 * own transaction, a savepoint in a caller's (the claim's, the completion's,
 * the request's audit transaction).
 */
#ifndef BOS_OUTREACH_CAMPAIGN_H
#define BOS_OUTREACH_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "store/outreach_send.h"

struct store;

#define OUTREACH_ID_SIZE 30               /* cp_, om_, ol_, ct_ + 26 base32 + NUL */
#define OUTREACH_RECIPIENTS_MAX 10000

struct outreach_campaign_new {
	const char *channel;          /* "email" or "sms" */
	const char *list_id;          /* ol_... (resolved by the caller) */
	const char *provider;         /* smtp, sendgrid, mailgun, ses, twilio, plivo */
	const char *credential;       /* cr_..., live, of service = provider */
	const char *from, *subject;   /* subject NULL for SMS */
	const char *text, *html;      /* SMS: text is the body; html NULL */
	uint32_t per_minute;          /* 1-6000 */
	int start;                    /* 0: draft */
	int64_t price_micros;         /* per message, >= 0 */
	const char *currency;         /* ISO 4217 */
	int64_t estimate;             /* the price rounded up to minor units; -1: none */
	const char *created_by;
};

/*
 * Create the campaign, one message per contact of the list with consent for
 * the channel (and an address for it), a suppressed address as a message in
 * state 'suppressed', and one send job per other message, all in one
 * transaction. BOS_E_INVALID past OUTREACH_RECIPIENTS_MAX.
 */
int outreach_campaign_create(struct store *s, const struct outreach_campaign_new *n,
    int64_t now, int64_t now_ms, char id[OUTREACH_ID_SIZE], struct bos_err *err) BOS_WUR;

struct outreach_campaign {
	char id[OUTREACH_ID_SIZE], list_id[OUTREACH_ID_SIZE], credential[OUTREACH_ID_SIZE];
	char channel[8], provider[16], state[16], currency[4], created_by[65];
	char *from, *subject, *text, *html;   /* malloc'd (subject, html may be NULL) */
	uint32_t per_minute;
	int64_t recipients, skipped, price_micros, spend_micros, spend_recorded, next_send_at;
	int64_t n_suppressed, n_queued, n_sent, n_failed, n_unknown, n_cancelled;
	int64_t created_at, updated_at, finished_at;
};

void outreach_campaign_free(struct outreach_campaign *c);
/* BOS_E_NOTFOUND for an unknown id. */
int outreach_campaign_get(struct store *s, const char *id, struct outreach_campaign *c,
    struct bos_err *err) BOS_WUR;
/* Newest first; state NULL: any. cb's campaign is freed after it returns. */
int outreach_campaign_list(struct store *s, const char *state,
    int (*cb)(const struct outreach_campaign *, void *), void *arg, struct bos_err *err) BOS_WUR;

/*
 * "start" (draft), "pause" (running), "resume" (paused), "cancel" (draft,
 * running, paused): BOS_E_EXISTS from any other state, BOS_E_NOTFOUND.
 * Pause holds the queued jobs back OUTREACH_PAUSED_HOLD seconds, start and
 * resume make them due now; cancel ends them (dead, "campaign cancelled")
 * and cancels their messages. A claimed send finishes.
 */
int outreach_campaign_act(struct store *s, const char *id, const char *action, int64_t now,
    int64_t now_ms, struct bos_err *err) BOS_WUR;

/* What GET /outreach/sends/{job} refuses with (409 code). */
enum outreach_send_conflict {
	OUTREACH_SEND_OK = 0,
	OUTREACH_SEND_ALREADY_SENT,
	OUTREACH_SEND_OUTCOME_UNKNOWN,
	OUTREACH_SEND_CAMPAIGN_STATE,
	OUTREACH_SEND_SUPPRESSED,
};
const char *outreach_send_conflict_code(enum outreach_send_conflict c);

struct outreach_send {
	struct outreach_campaign c;
	char message_id[OUTREACH_ID_SIZE], token[24], state[16];
	char to[256];
	char *name, *email, *phone, *fields;  /* the contact's, malloc'd; fields a JSON object */
};
void outreach_send_free(struct outreach_send *o);

/*
 * The message of send job job_id, for the broker that holds its claim (the
 * caller checked it): *conflict says why it must not be sent now, after
 * recording what that means (an address suppressed now: 'suppressed'; an
 * attempt that reached 'sending': 'unknown' with alert outreach_unknown; a
 * cancelled campaign: 'cancelled'). One transaction. BOS_E_NOTFOUND when
 * the job has no message.
 */
int outreach_send_prepare(struct store *s, const char *job_id, int64_t now,
    struct outreach_send *o, enum outreach_send_conflict *conflict, struct bos_err *err) BOS_WUR;
/* queued -> sending (an attempt counted); *conflict otherwise. */
int outreach_send_mark_sending(struct store *s, const char *job_id, int64_t now,
    enum outreach_send_conflict *conflict, struct bos_err *err) BOS_WUR;
/*
 * sending -> sent with provider_id (may be NULL) and the provider's price
 * (price_micros -1: none; its currency must be the campaign's, else
 * BOS_E_INVALID). *conflict otherwise (already_sent, campaign_state).
 */
int outreach_send_mark_sent(struct store *s, const char *job_id, const char *provider_id,
    int64_t price_micros, const char *price_currency, int64_t now,
    enum outreach_send_conflict *conflict, struct bos_err *err) BOS_WUR;

/*
 * A tracking hit of the BOS links: kind "open", "click" (link >= 0) or
 * "unsubscribe". The event (bos:KIND:TOKEN[:N]) is recorded once, the
 * message's first opened_at / clicked_at / unsubscribed_at set, an
 * unsubscribe suppresses the address (reason unsubscribed). For a click,
 * url receives link N of the campaign's html. BOS_E_NOTFOUND for an unknown
 * token or link (nothing recorded); *duplicate = 1 for a repeat.
 */
int outreach_track(struct store *s, const char *token, const char *kind, int64_t link,
    int64_t now, char *url, size_t cap, int *duplicate, struct bos_err *err) BOS_WUR;

/* Campaigns with spend in [from, to] (days): the ledger's sum and the messages sent then. */
struct outreach_cost {
	const char *id, *provider, *currency;
	int64_t messages, spent_micros, spent;    /* spent: ledger minor units in the range */
};
int outreach_cost_campaigns(struct store *s, const char *from, const char *to,
    int (*cb)(const struct outreach_cost *, void *), void *arg, struct bos_err *err) BOS_WUR;

/* 16 random bytes as base64url without padding (22 characters + NUL). 0 or -1. */
int outreach_token_new(char out[24]) BOS_WUR;

#endif
