/*
 * Alerts (docs/BROKERS.md "Alerts"): things an admin should look at, raised
 * by the vault (budgets, dead jobs ...), listed, acknowledged and resolved
 * over the API. Storage only, no HTTP.
 *
 * An alert has a dedup key: raising one whose key matches an alert that is
 * not resolved (open or acked) adds one to its count and moves last_at,
 * instead of adding a row. After it is resolved, the same key starts a new
 * alert.
 *
 * Locking: the caller holds the vault's database lock. Writes run in their
 * own transaction, nested as a savepoint in a caller's.
 */
#ifndef BOS_ALERT_H
#define BOS_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;

#define ALERT_ID_PREFIX "al_"
#define ALERT_ID_LEN 29               /* "al_" + 26 base32 characters */
#define ALERT_ID_SIZE (ALERT_ID_LEN + 1)
#define ALERT_KIND_MAX 32             /* [a-z0-9_]{1,32}: budget_warning, job_dead ... */
#define ALERT_SUBJECT_MAX 256
#define ALERT_DEDUP_MAX 128
#define ALERT_JSON_MAX 4096           /* details and actions, each */
#define ALERT_BY_SIZE 65              /* an admin name */

/* 1 when s has the form of an alert id. */
int alert_id_valid(const char *s);

/*
 * Raise an alert. kind [a-z0-9_]{1,32}; severity "info", "warning" or
 * "critical"; subject 1..256 characters of text a person reads (never a
 * secret); details_json a JSON object (NULL: {}), actions_json a JSON array of
 * strings (NULL: []); dedup_key NULL or "" for an alert that is never merged.
 * An open or acked alert with the same dedup key gets count + 1, last_at =
 * now, and the new subject and details. 0, or -1 (BOS_E_INVALID for bad
 * arguments).
 */
int alert_raise(struct store *s, const char *kind, const char *severity, const char *subject,
    const char *details_json, const char *actions_json, const char *dedup_key, int64_t now,
    struct bos_err *err) BOS_WUR;

struct alert_info {
	char id[ALERT_ID_SIZE];
	char kind[ALERT_KIND_MAX + 1];
	char severity[16];
	char subject[ALERT_SUBJECT_MAX + 1];
	char dedup_key[ALERT_DEDUP_MAX + 1];
	char state[16];               /* open, acked, resolved */
	char acked_by[ALERT_BY_SIZE];
	char resolved_by[ALERT_BY_SIZE];
	const char *details_json;     /* valid during the callback only */
	const char *actions_json;     /* valid during the callback only */
	int64_t count, first_at, last_at, acked_at, resolved_at; /* 0: not */
};

enum alert_filter { ALERT_OPEN, ALERT_ACKED, ALERT_RESOLVED, ALERT_ALL };

/* Alerts in state f, newest (last_at) first; cb returns non-zero to stop early. */
int alert_list(struct store *s, enum alert_filter f,
    int (*cb)(const struct alert_info *, void *), void *arg, struct bos_err *err) BOS_WUR;

/* One alert; BOS_E_NOTFOUND. cb is called once with it. */
int alert_get(struct store *s, const char *id, int (*cb)(const struct alert_info *, void *),
    void *arg, struct bos_err *err) BOS_WUR;

/*
 * Acknowledge (open -> acked) or resolve (open or acked -> resolved) an
 * alert as admin by. BOS_E_NOTFOUND; BOS_E_EXISTS when it is already in that
 * state or past it (acking a resolved alert).
 */
int alert_ack(struct store *s, const char *id, const char *by, int64_t now,
    struct bos_err *err) BOS_WUR;
int alert_resolve(struct store *s, const char *id, const char *by, int64_t now,
    struct bos_err *err) BOS_WUR;

/* Number of alerts in state open (not acked, not resolved): bos_alerts_open in /metrics. */
int alert_count_open(struct store *s, int64_t *out, struct bos_err *err) BOS_WUR;

#endif
