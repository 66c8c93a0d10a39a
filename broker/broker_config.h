/*
 * bos-broker's configuration (docs/BROKERS.md "bos-broker"): a "key = value"
 * file like bos.conf, its token and the CA bundles, all read before the
 * sandbox, which then refuses every file but name resolution's.
 *
 * The token comes from $CREDENTIALS_DIRECTORY/broker-token (systemd's
 * LoadCredential=) or else token_file, a file of ours with mode 0400 or
 * 0600; never from argv or the environment. It is kept in locked memory.
 */
#ifndef BOS_BROKER_CONFIG_H
#define BOS_BROKER_CONFIG_H

#include <stddef.h>
#include "compiler.h"
#include "err.h"

#define BROKER_CONF_OVERRIDES_MAX 9   /* one per connector (BROKER_CONNECTORS) */
#define BROKER_CONF_PATH_MAX 4096
#define BROKER_CONF_URL_MAX 256
#define BROKER_DEFAULT_SOCKET "/run/bos/vault.sock"
#define BROKER_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define BROKER_CA_MAX (4 * 1024 * 1024)
#define BROKER_CONF_SMTP_HOSTS_MAX 1024
#define BROKER_HOOKS_LISTEN_MAX 64
#define BROKER_SG_KEY_MAX 256
#define BROKER_HOOKS_BODY_DEFAULT (1024 * 1024)

/* A test-only base URL for one connector: base_url.NAME = https://127.0.0.1:PORT */
struct broker_override {
	char connector[32];
	char url[BROKER_CONF_URL_MAX];
};

struct broker_config {
	char role[32];
	char vault_socket[108];               /* fits sockaddr_un.sun_path */
	char token_file[BROKER_CONF_PATH_MAX];
	char ca_file[BROKER_CONF_PATH_MAX];
	char test_ca_file[BROKER_CONF_PATH_MAX];
	struct broker_override overrides[BROKER_CONF_OVERRIDES_MAX];
	size_t noverrides;
	long connect_timeout;                 /* s, provider connect */
	long call_timeout;                    /* s, a whole provider call */
	long claim_wait;                      /* s, the claim long-poll (0..30) */
	long heartbeat_interval;              /* s, during a long provider call */
	long lease_ttl;                       /* s, 1..300 */
	int unconfined_paths;                 /* sandbox_unconfined_paths = 1 */
	/* Outreach sending (docs/OUTREACH.md "The outreach broker"). */
	char smtp_hosts[BROKER_CONF_SMTP_HOSTS_MAX]; /* comma list; empty: SMTP refused */

	/* The hooks listener (outreach; docs/OUTREACH.md). hooks_listen empty: none. */
	char hooks_listen[BROKER_HOOKS_LISTEN_MAX];     /* ADDR:PORT */
	char hooks_cert[BROKER_CONF_PATH_MAX];          /* PEM certificate chain */
	char hooks_key[BROKER_CONF_PATH_MAX];           /* PEM key, 0400/0600, ours */
	char hooks_public_url[BROKER_CONF_URL_MAX];     /* https://HOST[:PORT], signatures */
	char sendgrid_webhook_key[BROKER_SG_KEY_MAX];   /* base64 DER SPKI (public) */
	long hooks_body_max;                            /* bytes, default 1 MiB */

	/* Loaded by broker_config_load_secrets, before the sandbox. */
	char *token;                          /* secmem, NUL-terminated */
	size_t token_cap;
	char *ca;                             /* the production CA bundle (PEM) */
	size_t ca_len;
	char *test_ca;                        /* test_ca_file's PEM, or NULL */
	size_t test_ca_len;
};

/* Defaults for role; nothing read yet. 0 or -1 (an unknown role). */
int broker_config_init(struct broker_config *c, const char *role, struct bos_err *err) BOS_WUR;

/*
 * Read path ("key = value", '#' comments). A missing file is an error when
 * required, else the defaults stand. Unknown keys, bad values, an http://
 * base URL, a base URL that is not https on a loopback address, and a base
 * URL without test_ca_file are refused.
 */
int broker_config_read(struct broker_config *c, const char *path, int required,
    struct bos_err *err) BOS_WUR;

/* The token and the CA bundles, into memory. */
int broker_config_load_secrets(struct broker_config *c, struct bos_err *err) BOS_WUR;

/* The override for connector, or NULL. */
const char *broker_config_base_url(const struct broker_config *c, const char *connector);

/* 1 when host is one of smtp_hosts (case-insensitive), else 0 (always 0 when it is unset). */
int broker_config_smtp_host_ok(const struct broker_config *c, const char *host);

/* Wipe the token, free the bundles. */
void broker_config_free(struct broker_config *c);

#endif
