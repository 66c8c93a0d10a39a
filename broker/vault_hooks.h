/*
 * What the hooks listener sends the vault (docs/OUTREACH.md "Events"), on
 * the listener's own vault link. Each answers the HTTP status the provider
 * should get: 200 only once the vault has recorded, so that a provider
 * retries whatever the vault did not take.
 */
#ifndef BOS_VAULT_HOOKS_H
#define BOS_VAULT_HOOKS_H

#include <jansson.h>
#include <stddef.h>
#include "compiler.h"
#include "err.h"
#include "vault_link.h"

/* Events per request to the vault; a larger batch is sent in parts. */
#define VAULT_HOOKS_BATCH 500

/*
 * POST /outreach/events {provider, events, verify?}: 200 (recorded), 401
 * (the vault says the signature does not hold), 400 (it refused the
 * events), 503 (the vault is down or failed: the provider retries).
 */
int vault_hooks_events(struct vault_link *v, const char *provider, json_t *events,
    json_t *verify, struct bos_err *err) BOS_WUR;

/*
 * POST /outreach/track {token, kind, link?}: 200 (for a click, url filled
 * with the vault's link), 404 (unknown token or link), 503.
 */
int vault_hooks_track(struct vault_link *v, const char *token, const char *kind, long link,
    char *url, size_t cap, struct bos_err *err) BOS_WUR;

#endif
