/*
 * Notices (docs/OUTREACH.md "Notices"): one-recipient system messages that
 * are not campaigns. A grant's token for its helper (delivery "email" or
 * "sms": the token is wrapped by the HSM's KEK, AAD "bos-notice:v1:" + the
 * notice id, until it is sent) and an alert of severity warning or critical
 * for each address of bos.conf's alert_notify.
 *
 * A notice is sent by a send job (send_email, send_sms) that names it
 * (jobs.notice) instead of a campaign: no campaign rate gate, but the
 * budget applies, and a send is at most once (queued -> sending -> sent,
 * or unknown). Suppressions apply only as 'stop' (SMS) and 'bounced'
 * (email): a notice is not marketing, an unsubscribe does not stop it.
 *
 * This file is the send side (what job.c and GET /outreach/sends call);
 * outreach_notice_queue.h queues notices. Storage only, no HSM and no
 * HTTP: the caller wraps and unwraps. Locking: the caller holds the
 * vault's database lock.
 */
#ifndef BOS_OUTREACH_NOTICE_H
#define BOS_OUTREACH_NOTICE_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "hsm_proto.h"
#include "token.h"

struct store;

#define OUTREACH_NOTICE_ID_SIZE 30          /* on_ + 26 base32 + NUL */
#define OUTREACH_NOTICE_AAD_PREFIX "bos-notice:v1:"
#define OUTREACH_NOTICE_AAD_MAX (sizeof(OUTREACH_NOTICE_AAD_PREFIX) - 1 + \
	OUTREACH_NOTICE_ID_SIZE - 1)
#define OUTREACH_NOTICE_BLOB_MAX (TOKEN_LEN + HSM_IV_LEN + HSM_TAG_LEN)
#define OUTREACH_NOTICE_ALERT_MAX 8         /* addresses of alert_notify */
#define OUTREACH_NOTICE_ADDR_SIZE 255
#define OUTREACH_NOTICE_FROM_SIZE 321
#define OUTREACH_NOTICE_PER_HOUR 30         /* alert notices at most, so a failing one cannot loop */

/* How notices of one channel are sent (bos.conf notice_email / notice_sms). */
struct outreach_notice_route {
	int set;
	char provider[16];
	char credential[65];                  /* a credential's name or id */
	char from[OUTREACH_NOTICE_FROM_SIZE];
	int64_t price_micros;                 /* outreach_price.PROVIDER; 0 when unset */
	char currency[4];                     /* "" when no price */
};

struct outreach_notice_conf {
	struct outreach_notice_route email, sms;
	char alert_notify[OUTREACH_NOTICE_ALERT_MAX][OUTREACH_NOTICE_ADDR_SIZE];
	size_t n_alert_notify;
};

/* The route of channel ("email", "sms") when configured, else NULL. */
const struct outreach_notice_route *outreach_notice_route_of(struct store *s,
    const char *channel);

int outreach_notice_id_valid(const char *s);
int outreach_notice_id_new(char id[OUTREACH_NOTICE_ID_SIZE]) BOS_WUR;
size_t outreach_notice_aad(const char *id, uint8_t out[OUTREACH_NOTICE_AAD_MAX]);

/* 0 when notices of channel ("email", "sms") are configured, else BOS_E_INVALID saying how. */
int outreach_notice_check(struct store *s, const char *channel, struct bos_err *err) BOS_WUR;

/* A notice as GET /outreach/sends renders it. */
struct outreach_notice {
	char id[OUTREACH_NOTICE_ID_SIZE], kind[16], channel[8], state[16];
	char to[OUTREACH_NOTICE_ADDR_SIZE], provider[16], credential[OUTREACH_NOTICE_ID_SIZE];
	char from[OUTREACH_NOTICE_FROM_SIZE], subject[1000], token[24];
	char text[4097];                      /* an alert's text; "" for a grant token */
	char accessor[TOKEN_ACCESSOR_SIZE];   /* a grant token's grant */
	uint32_t kek_version;
	uint8_t blob[OUTREACH_NOTICE_BLOB_MAX];
	size_t blob_len;
};

/* What a fetch refuses with: the values of enum outreach_send_conflict (api_outreach_send.c). */
enum {
	OUTREACH_NOTICE_OK = 0,
	OUTREACH_NOTICE_ALREADY_SENT,
	OUTREACH_NOTICE_OUTCOME_UNKNOWN,
	OUTREACH_NOTICE_STATE,
	OUTREACH_NOTICE_SUPPRESSED,
};

/* 1 when job_id is a notice's job (*n filled), 0 when not, -1 error. */
int outreach_notice_of_job(struct store *s, const char *job_id, struct outreach_notice *n,
    struct bos_err *err) BOS_WUR;

/*
 * GET /outreach/sends for a notice: *conflict as for a message
 * (enum outreach_send_conflict: 0 ok, already_sent, outcome_unknown,
 * campaign_state for a failed or cancelled one, suppressed for a 'stop' or
 * 'bounced' address and for a grant revoked or expired: its token is
 * deleted and never sent). 0 with *n filled, or -1.
 */
int outreach_notice_prepare(struct store *s, const char *job_id, int64_t now,
    struct outreach_notice *n, int *conflict, struct bos_err *err) BOS_WUR;
int outreach_notice_mark_sending(struct store *s, const char *job_id, int64_t now,
    int *conflict, struct bos_err *err) BOS_WUR;
/* sending -> sent (the token's blob deleted). */
int outreach_notice_mark_sent(struct store *s, const char *job_id, const char *provider_id,
    int64_t now, int *conflict, struct bos_err *err) BOS_WUR;

/* The job queue's hooks (job.c), in its transaction. */
struct outreach_notice_job {
	const char *id, *service;
	int64_t est_amount;                   /* -1: none */
	const char *est_currency;
};
/* Sent: its estimate is recorded as spend (*mismatch: another currency). */
int outreach_notice_completed(struct store *s, const struct outreach_notice_job *j, int64_t now,
    int *mismatch, struct bos_err *err) BOS_WUR;
int outreach_notice_failed(struct store *s, const char *job_id, int dead, int reported,
    const char *error, int64_t now, struct bos_err *err) BOS_WUR;

/* Delete the blobs of notices whose grant has expired (the idle sweep). 0 or -1. */
int outreach_notice_sweep(struct store *s, int64_t now, unsigned *n, struct bos_err *err) BOS_WUR;

#endif
