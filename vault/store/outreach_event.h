/*
 * Outreach events (docs/OUTREACH.md "Events"): what a provider reports about
 * a message (delivered, bounced, opened, clicked, replied, unsubscribed,
 * complained, an SMS STOP or START, its price ...), checked, recorded once
 * each, matched to the message, with their effects; and the stats of
 * campaigns, computed from their messages.
 *
 * An event is recorded under the key PROVIDER:ID, once: the same key again
 * is a duplicate and changes nothing. It is matched to a message by its
 * message id, else its token, else the provider's id for the message (of a
 * campaign of that provider, and only when exactly one message has it). An
 * event that matches nothing is recorded as unmatched (a STOP or START still
 * applies to its address). The effects on a matched message: the first time
 * of each kind (delivered_at, opened_at, ...: the earliest reported), the
 * price reported in the campaign's currency; on the suppression list:
 * bounced, unsubscribed and complained suppress the address the message
 * went to (or the event's address), stop suppresses a phone number for SMS,
 * start lifts exactly that.
 *
 * Locking: the caller holds the vault's database lock; outreach_event_record
 * runs in its own transaction, nested as a savepoint in a caller's.
 */
#ifndef BOS_OUTREACH_EVENT_H
#define BOS_OUTREACH_EVENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "store/outreach_list.h"

struct store;

#define OUTREACH_EVENTS_MAX 1000          /* events per request */
#define OUTREACH_EVENT_ID_MAX 256         /* the provider's event id, bytes */
#define OUTREACH_EVENT_URL_MAX 2048
#define OUTREACH_EVENT_DETAIL_MAX 1024    /* detail as compact JSON */
#define OUTREACH_EVENT_STORED_MAX 4096    /* what is stored beside the columns */
#define OUTREACH_PROVIDER_ID_MAX 256
#define OUTREACH_TOKEN_LEN 22             /* 128 bits, base64url without padding */
#define OUTREACH_PRICE_MICROS_MAX 1000000000000LL /* 1e6 of a currency's unit */
#define OUTREACH_AT_MIN 946684800LL       /* 2000-01-01T00:00:00Z */
#define OUTREACH_AT_AHEAD 86400           /* how far ahead of the vault's clock `at` may be */

enum outreach_event_kind {
	OUTREACH_EV_DELIVERED, OUTREACH_EV_BOUNCED, OUTREACH_EV_DEFERRED, OUTREACH_EV_DROPPED,
	OUTREACH_EV_FAILED, OUTREACH_EV_OPENED, OUTREACH_EV_CLICKED, OUTREACH_EV_REPLIED,
	OUTREACH_EV_UNSUBSCRIBED, OUTREACH_EV_COMPLAINED, OUTREACH_EV_STOP, OUTREACH_EV_START,
	OUTREACH_EV_PRICE,
};

/* "delivered" ...; NULL for an unknown kind. */
const char *outreach_event_kind_name(enum outreach_event_kind k);
/*
 * A provider of events: smtp, sendgrid, mailgun, ses, twilio, plivo; and
 * "bos" (the vault's own tracking links) when allow_bos.
 */
int outreach_provider_valid(const char *p, int allow_bos);
/* 1 when s has the form of a campaign id (cp_...), a message id (om_...), a token. */
int outreach_campaign_id_valid(const char *s);
int outreach_message_id_valid(const char *s);
int outreach_token_valid(const char *s);

struct outreach_event {
	char provider[16];
	char id[OUTREACH_EVENT_ID_MAX + 1];
	enum outreach_event_kind kind;
	int64_t at;
	char message[OUTREACH_ID_SIZE];       /* "" when not given */
	char token[OUTREACH_TOKEN_LEN + 1];   /* "" when not given */
	char provider_id[OUTREACH_PROVIDER_ID_MAX + 1]; /* "" when not given */
	char address[OUTREACH_ADDRESS_SIZE];  /* normalised; "" when not given */
	const char *address_channel;          /* "email", "sms"; NULL without an address */
	int has_price;
	int64_t price_micros;
	char currency[4];
	char *stored;                         /* url, provider_id, price and detail as a JSON
	                                       * object (<= OUTREACH_EVENT_STORED_MAX); malloc'd */
};

/*
 * Check one event of provider (outreach_provider_valid(p, 1)) as it came, a
 * JSON object {id, kind, at, message?, token?, provider_id?, address?,
 * url?, price?: {micros, currency}, detail?} with nothing else, into e. at
 * is Unix seconds or an RFC 3339 time (2026-12-07T10:00:00Z, a fraction and
 * an offset allowed), from OUTREACH_AT_MIN to now + OUTREACH_AT_AHEAD. 0, or
 * -1 with BOS_E_INVALID naming the field (never quoting it). Release e with
 * outreach_event_clear, whatever the result.
 */
int outreach_event_parse(json_t *o, const char *provider, int64_t now, struct outreach_event *e,
    struct bos_err *err) BOS_WUR;
void outreach_event_clear(struct outreach_event *e);

enum outreach_event_outcome {
	OUTREACH_EVENT_RECORDED,      /* new, matched to a message */
	OUTREACH_EVENT_UNMATCHED,     /* new, no message found (recorded without one) */
	OUTREACH_EVENT_DUPLICATE,     /* its key was recorded before: nothing changed */
};

/*
 * Record e (checked by outreach_event_parse) received at now, with its
 * effects, in one transaction (a savepoint in the caller's). *out says
 * which it was; message (may be NULL) receives the matched message's id or
 * "". 0 or -1.
 */
int outreach_event_record(struct store *s, const struct outreach_event *e, int64_t now,
    enum outreach_event_outcome *out, char message[OUTREACH_ID_SIZE],
    struct bos_err *err) BOS_WUR;

/* A signed webhook's token is refused again this long. */
#define OUTREACH_WEBHOOK_TOKEN_TTL (24 * 3600)

/*
 * A signed webhook's one-time token (Mailgun's `token`, 1..256 printable
 * bytes) under provider: tokens older than OUTREACH_WEBHOOK_TOKEN_TTL are
 * forgotten, then 0 (new: recorded at now), 1 (seen: a replay, nothing
 * changed) or -1 (err). The caller's transaction makes it one with the events.
 */
int outreach_webhook_token_use(struct store *s, const char *provider, const char *token,
    int64_t now, struct bos_err *err) BOS_WUR;

/* Counts of messages (each at most once), from outreach_messages. */
struct outreach_stats {
	int64_t messages;             /* every message of the campaign(s) */
	int64_t sent;                 /* sent_at set (or state sent) */
	int64_t delivered, bounced, opened, clicked, replied, unsubscribed, complained;
	int64_t failed;               /* state failed, or a failed or dropped event */
};

/*
 * A rate of the stats: count / sent rounded half up to 4 decimals (1/3 is
 * 0.3333, 2/3 0.6667); -1 when nothing was sent (the API shows null).
 */
double outreach_rate(int64_t count, int64_t sent);

/*
 * The stats of campaign (NULL: of every campaign together); BOS_E_NOTFOUND
 * for an unknown campaign. 0 or -1.
 */
int outreach_stats_get(struct store *s, const char *campaign, struct outreach_stats *st,
    struct bos_err *err) BOS_WUR;

#endif
