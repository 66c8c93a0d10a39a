/*
 * bos-broker (docs/BROKERS.md "bos-broker"): the types its modules share.
 * A broker holds no secret at rest: it leases one credential from the vault
 * for one provider call, keeps it in locked memory (common/secmem.h) for the
 * length of that call, wipes it and reports the result.
 */
#ifndef BOS_BROKER_H
#define BOS_BROKER_H

#include <stddef.h>
#include "compiler.h"

/* How many connectors the table has (connector_count()). */
#define BROKER_CONNECTORS 9

#define BROKER_ID_MAX 64          /* job, claim, lease and credential ids */
#define BROKER_NAME_MAX 128       /* service, kind, credential name */
#define BROKER_META_MAX 128       /* one metadata value (a Twilio account_sid) */
#define BROKER_ERROR_MAX 256      /* a job's error text */

/* A job this broker holds a claim on (POST /jobs/claim). */
struct broker_job {
	char id[BROKER_ID_MAX];
	char kind[BROKER_NAME_MAX];
	char service[BROKER_NAME_MAX];
	char credential[BROKER_ID_MAX];   /* empty when the job names none */
	char claim[BROKER_ID_MAX];
	long attempt;
	char day[11];                     /* ad_insights: params.day (YYYY-MM-DD), else empty */
};

/*
 * A lease (POST /leases): the secret sits in locked pages (secmem_alloc),
 * secret_cap bytes, NUL-terminated; broker_lease_wipe releases it.
 */
struct broker_lease {
	char id[BROKER_ID_MAX];
	char credential_id[BROKER_ID_MAX];
	char service[BROKER_NAME_MAX];
	char account_sid[BROKER_META_MAX];  /* metadata.account_sid, empty when absent */
	char meta_host[256];                /* smtp: metadata.host, empty when absent */
	long meta_port;                     /* smtp: metadata.port, 0 when absent */
	char meta_username[256];            /* smtp: metadata.username, empty when absent */
	char meta_domain[256];              /* mailgun: metadata.domain, empty when absent */
	char meta_region[32];               /* ses, mailgun: metadata.region, empty when absent */
	char meta_key_id[BROKER_META_MAX];  /* ses: metadata.access_key_id, empty when absent */
	char meta_auth_id[BROKER_META_MAX]; /* plivo: metadata.auth_id, empty when absent */
	char *secret;
	size_t secret_len;
	size_t secret_cap;
};

/* Wipe and release the lease's secret; safe to call twice. */
void broker_lease_wipe(struct broker_lease *l);

/* What a provider call came to (docs/BROKERS.md "The verify job"). */
enum verify_outcome {
	VERIFY_OK,        /* 2xx: the credential works */
	VERIFY_REJECTED,  /* 401/403: the credential does not (the job completes, ok false) */
	VERIFY_RETRY,     /* 429, 5xx, a network error: fail the job with retry */
	VERIFY_ERROR,     /* anything else (a redirect, a refused host): fail without retry */
};

struct verify_result {
	enum verify_outcome outcome;
	long status;                  /* HTTP status, 0 when no answer came */
	long latency_ms;
	long retry_after;             /* Retry-After in seconds, 0 when absent */
	char error[BROKER_ERROR_MAX]; /* for VERIFY_RETRY and VERIFY_ERROR; never a secret */
	/*
	 * A send whose request went out whole and whose answer never came: the
	 * provider may have accepted it. Never retried (docs/OUTREACH.md: the
	 * message is left "sending" for the vault to call it unknown).
	 */
	int maybe_sent;
};

#endif
