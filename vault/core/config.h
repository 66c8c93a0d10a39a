/*
 * bos.conf: the vault's non-secret settings, one "key = value" per line,
 * '#' starts a comment. Relative paths are relative to the state directory.
 * An unknown key or a malformed line is refused with file:line: reason.
 */
#ifndef BOS_CONFIG_H
#define BOS_CONFIG_H

#include <stdint.h>
#include "compiler.h"
#include "err.h"
#include "store/outreach_notice.h"

#define CONFIG_PATH_MAX 512
#define CONFIG_SOCKET_MAX 108   /* sizeof(sockaddr_un.sun_path) */
#define CONFIG_BROKER_ROLES 3   /* outreach, monitor, hiring */
#define CONFIG_UID_UNSET (-1)
#define CONFIG_URL_MAX 512
#define CONFIG_POSTAL_MAX 256
#define CONFIG_DOMAIN_MAX 253
#define CONFIG_OUTREACH_PROVIDERS 6
#define CONFIG_PRICE_DECIMALS 6 /* prices are in micro-units */

struct config {
	char pkcs11_module[CONFIG_PATH_MAX];
	char token_label[33];             /* PKCS#11 labels are at most 32 bytes */
	char pin_file[CONFIG_PATH_MAX];   /* empty: $CREDENTIALS_DIRECTORY/hsm-pin */
	char softhsm_conf[CONFIG_PATH_MAX]; /* empty: leave SOFTHSM2_CONF unset */
	/*
	 * Production (docs/HSM.md, "Its own user"): bos-hsmd's socket, absolute;
	 * the vault connects to it instead of starting bos-hsmd itself.
	 * Empty: fork + exec bos-hsmd (development, tests).
	 */
	char hsm_socket[CONFIG_SOCKET_MAX];
	uint32_t audit_key_version;

	/* HTTP (see http.h); tls_* empty means DIR/tls/cert.pem and key.pem. */
	char listen_addr[64];             /* listen = 127.0.0.1:8025 */
	uint16_t listen_port;
	char tls_cert[CONFIG_PATH_MAX];
	char tls_key[CONFIG_PATH_MAX];
	uint32_t body_max_bytes;          /* 65536 */
	uint32_t conn_limit;              /* 2048 */
	uint32_t conn_per_ip_limit;       /* 64: from one client address */
	uint32_t requests_inflight_max;   /* 64: requests read or handled at once */
	uint32_t conn_timeout_seconds;    /* 30 */
	uint32_t header_timeout_seconds;  /* 5: a request's headers, complete (never above the 30) */

	/* Admin sign-in (SECURITY.md "Admin authentication"). */
	uint32_t session_idle_seconds;    /* 900 */
	uint32_t session_absolute_seconds; /* 43200 */
	uint32_t lockout_failures;        /* 10: failures that lock the account */
	uint32_t lockout_seconds;         /* 1800 */
	uint32_t disable_failures;        /* 100 consecutive: disabled until reset */

	/* Helpers and grants. */
	uint32_t grant_default_ttl_seconds;   /* 86400 */
	uint32_t grant_max_ttl_seconds;       /* 2592000 (30 days) */
	uint32_t grant_idle_revoke_seconds;   /* 2592000: unused grants are revoked */
	uint32_t credential_stale_seconds;    /* 2592000: credentials not read are stale */
	uint32_t sweep_interval_seconds;      /* 60: how often idle grants are swept */
	uint32_t grant_pickup_seconds;        /* 600: a pickup grant's token waits this long */

	/* Approvals of widened spending (docs/MCP.md "Vault: approvals"). */
	uint32_t approval_seconds;            /* 900: a pending approval's lifetime */

	/* Audit: sign the chain head after this many records or seconds (docs/AUDIT.md). */
	uint32_t audit_checkpoint_records;    /* 1000 */
	uint32_t audit_checkpoint_seconds;    /* 60 */

	/*
	 * Brokers (docs/BROKERS.md): the uid a broker of each role must connect
	 * from on the unix socket (outreach, monitor, hiring, in broker.h's
	 * order); -1: unset, that role cannot sign in (bos-vaultd --dev makes
	 * unset ones the vault's own uid).
	 */
	int64_t broker_uid[CONFIG_BROKER_ROLES];
	uint32_t job_visibility_seconds;      /* 120: a claim's hold without a heartbeat */
	uint32_t ad_insights_seconds;         /* 3600: how often an ad's spend is asked (docs/ADS.md) */

	/* 1: run with file paths unconfined where the kernel has no Landlock (docs/SANDBOX.md). */
	uint32_t sandbox_unconfined_paths;    /* 0: refuse to start instead */

	/*
	 * Outreach (docs/OUTREACH.md): where unsubscribe and tracking links
	 * point (https, no query or fragment; "" unset), the CAN-SPAM postal
	 * address ("" unset), the Reply-To domain ("" unset) and the price per
	 * message of each provider in micro-units (config_outreach_providers'
	 * order; price_set 0: not configured, then 0).
	 */
	char outreach_public_url[CONFIG_URL_MAX + 1];
	char outreach_postal_address[CONFIG_POSTAL_MAX + 1];
	char outreach_reply_domain[CONFIG_DOMAIN_MAX + 1];
	int64_t outreach_price_micros[CONFIG_OUTREACH_PROVIDERS];
	char outreach_price_currency[CONFIG_OUTREACH_PROVIDERS][4];
	uint8_t outreach_price_set[CONFIG_OUTREACH_PROVIDERS];
	/* notice_email, notice_sms, alert_notify (docs/OUTREACH.md "Notices"); unset: none. */
	struct outreach_notice_conf notice;
};

/* The notice settings with each route's price from outreach_price.PROVIDER. */
void config_notice(const struct config *c, struct outreach_notice_conf *out);

/* "smtp", "sendgrid", "mailgun", "ses", "twilio", "plivo": the index in outreach_price_*, or -1. */
int config_outreach_provider(const char *name);

/* Fill defaults: SoftHSM module, audit key v1, everything else empty. */
void config_defaults(struct config *c);

/* Parse the file at path into c (on top of defaults). */
int config_load(const char *path, const char *state_dir, struct config *c,
    struct bos_err *err) BOS_WUR;

/* Write c to path (must not exist), paths relative to state_dir where inside it. */
int config_write(const char *path, const struct config *c, struct bos_err *err) BOS_WUR;
/* "ADDR:PORT" (IPv4; port 0 = no TCP listener) into c->listen_*; -1 if malformed, c unchanged. */
int config_set_listen(struct config *c, const char *v) BOS_WUR;

/* Parse one line; exposed for tests. Returns 0, or -1 with err naming the column. */
int config_parse_line(struct config *c, const char *state_dir, char *line,
    struct bos_err *err) BOS_WUR;

#endif
