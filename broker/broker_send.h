/*
 * One claimed send job (send_email, send_sms), start to end
 * (docs/OUTREACH.md "Sending"): the rendered message from the vault, the
 * lease, the request prepared (refused before any attempt when it cannot be
 * sent: a header injection, a host not in smtp_hosts), "sending" recorded,
 * the one provider call, "sent" recorded right after acceptance, the secret
 * wiped and the lease ended, then the job completed with the provider's id.
 * A vault that says not to send (suppressed, already sent, outcome unknown,
 * campaign not running) is obeyed without a provider call.
 */
#ifndef BOS_BROKER_SEND_H
#define BOS_BROKER_SEND_H

#include "broker_job.h"

/* 1 when kind is a send kind this broker runs. */
int broker_send_kind(const char *kind);

/* Like broker_job_run: 0, or -1 when the broker's token was refused. */
int broker_send_run(struct broker_run *b, const struct broker_job *job) BOS_WUR;

#endif
