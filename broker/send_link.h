/*
 * The outreach broker's sending routes of the vault (docs/OUTREACH.md
 * "Sending"), over vault_link's request: the rendered message of a claimed
 * send job, "sending" before the provider is called, "sent" as soon as it
 * accepted, and the job's completion with the provider's id (or the reason
 * nothing was sent). The claim id is the authority on each. No secret.
 */
#ifndef BOS_SEND_LINK_H
#define BOS_SEND_LINK_H

#include <jansson.h>
#include "broker.h"
#include "compiler.h"
#include "err.h"
#include "msg_mime.h"
#include "vault_link.h"

/*
 * GET /outreach/sends/{job}: strings borrowed from j (NULL when absent),
 * every one checked to hold no NUL; headers from the message's headers
 * object.
 */
struct send_msg {
	json_t *j;
	const char *id, *channel, *provider, *to, *from, *subject, *text, *html, *body;
	const char *message_id, *token, *status_callback;
	struct msg_header headers[MSG_MIME_HEADERS_MAX];
	size_t nheaders;
};

void send_msg_free(struct send_msg *m);

/*
 * GET /outreach/sends/{job}?claim=: 0 with m filled; -1 with ans (a 409's
 * code: suppressed, already_sent, outcome_unknown, campaign_state,
 * stale_claim) or, when the answer is not a message, ans->status 200 and err.
 */
int send_link_fetch(struct vault_link *v, const struct broker_job *job, struct send_msg *m,
    struct vault_answer *ans, struct bos_err *err) BOS_WUR;

/* POST /outreach/sends/{job}/sending {claim}: 0 when the vault answered 200. */
int send_link_sending(struct vault_link *v, const struct broker_job *job,
    struct vault_answer *ans, struct bos_err *err) BOS_WUR;

/* POST /outreach/sends/{job}/sent {claim, provider_id?, price?}: 0 on 200. */
int send_link_sent(struct vault_link *v, const struct broker_job *job, const char *provider_id,
    int has_price, long long price_micros, const char *currency, struct vault_answer *ans,
    struct bos_err *err) BOS_WUR;

/*
 * POST /jobs/{id}/complete {claim, result}: result {provider_id} after a
 * send, or {skipped: CODE} when the vault said not to send. 0 on 200.
 */
int send_link_complete(struct vault_link *v, const struct broker_job *job,
    const char *provider_id, const char *skipped, struct vault_answer *ans,
    struct bos_err *err) BOS_WUR;

#endif
