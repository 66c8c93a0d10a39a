/*
 * The broker's client of the vault (docs/BROKERS.md "Jobs", "Leases"): JSON
 * over HTTP on the vault's unix socket (libcurl), the broker token in an
 * "Authorization: Bearer" header. One libcurl handle is kept for claims and
 * reports (keep-alive); a lease, whose answer carries the secret, uses a
 * handle of its own that is cleaned up (and its buffers wiped) right after.
 */
#ifndef BOS_VAULT_LINK_H
#define BOS_VAULT_LINK_H

#include <jansson.h>
#include "broker.h"
#include "compiler.h"
#include "err.h"

struct vault_link;

/* What the vault said when it refused: its status and {error:{code,message}}. */
struct vault_answer {
	long status;             /* 0 when no answer came */
	char code[64];
	char message[256];
};

/* socket_path and token are copied (the token into locked memory). */
int vault_link_new(const char *socket_path, const char *token, struct vault_link **out,
    struct bos_err *err) BOS_WUR;
void vault_link_free(struct vault_link *v);

/*
 * POST /jobs/claim {kinds, wait}: 1 with job filled, 0 when nothing came
 * (204), -1 on an error (ans says what the vault answered, err why). A
 * claim is never abandoned half-way (not even on SIGTERM): the vault may
 * hand a job to a request whose client is gone, and that job would then
 * wait for the visibility timeout.
 */
int vault_link_claim(struct vault_link *v, const char *const *kinds, long wait,
    struct broker_job *job, struct vault_answer *ans, struct bos_err *err) BOS_WUR;

/* POST /leases {credential, purpose, job, ttl}: 0 with l filled, or -1 (ans, err). */
int vault_link_lease(struct vault_link *v, const struct broker_job *job, const char *purpose,
    long ttl, struct broker_lease *l, struct vault_answer *ans, struct bos_err *err) BOS_WUR;

/* DELETE /leases/{id}: end the lease once the call is over. 0 or -1. */
int vault_link_lease_end(struct vault_link *v, const char *lease_id, struct bos_err *err) BOS_WUR;

/* POST /jobs/{id}/complete {claim, result: {ok, status, latency_ms}}. 0 or -1 (ans). */
int vault_link_complete(struct vault_link *v, const struct broker_job *job,
    const struct verify_result *r, struct vault_answer *ans, struct bos_err *err) BOS_WUR;

/*
 * POST /jobs/{id}/fail {claim, error, retry, retry_after?}: retry_after
 * (seconds, > 0) is the provider's Retry-After, the backoff's floor.
 */
int vault_link_fail(struct vault_link *v, const struct broker_job *job, const char *error,
    int retry, long retry_after, struct vault_answer *ans, struct bos_err *err) BOS_WUR;

/*
 * Any request to the vault on the kept handle: body (may be NULL) is sent,
 * not consumed; *out gets the answer's JSON object or NULL (the caller
 * decrefs it), ans its status and error code. -1 only when no HTTP answer
 * came. For answers that carry no secret (send_link.c, vault_hooks.c).
 */
int vault_link_request(struct vault_link *v, const char *method, const char *path, json_t *body,
    json_t **out, struct vault_answer *ans, struct bos_err *err) BOS_WUR;

/* POST /jobs/{id}/heartbeat {claim}. 0 or -1. */
int vault_link_heartbeat(struct vault_link *v, const struct broker_job *job,
    struct vault_answer *ans, struct bos_err *err) BOS_WUR;

#endif
