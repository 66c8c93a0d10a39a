/*
 * The vault's side of the bos-hsmd channel (see common/hsm_proto.h). Starts
 * bos-hsmd by fork + exec with the channel on fd 3 and every other fd but
 * stderr closed, then sends typed requests. The client holds nothing secret
 * beyond the call that returns it, and wipes its buffers. Calls are
 * serialised by an internal mutex, so one client may be shared by threads.
 *
 * If bos-hsmd exits (it does on any malformed request), every later call
 * fails with BOS_E_HSM and hsm_client_alive() returns 0: the vault must not
 * serve secrets without it.
 */
#ifndef BOS_HSM_CLIENT_H
#define BOS_HSM_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "compiler.h"
#include "err.h"
#include "hsm_proto.h"

struct hsm_config {
	const char *hsmd_path;    /* bos-hsmd executable */
	const char *module_path;  /* PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so */
	const char *token_label;  /* token to use, found by label */
	const char *pin_file;     /* user PIN, mode 0400/0600; NULL: $CREDENTIALS_DIRECTORY/hsm-pin */
	const char *so_pin_file;  /* security officer PIN; only for HSM_MODE_CREATE_TOKEN */
	const char *softhsm_conf; /* SOFTHSM2_CONF passed to bos-hsmd, or NULL */
	int unconfined_paths_ok;  /* bos.conf sandbox_unconfined_paths (docs/SANDBOX.md) */
	/*
	 * bos.conf hsm_socket: connect to a bos-hsmd that runs as its own user
	 * (HSM_MODE_SERVE only; the fields above but the label are then its
	 * business). NULL: fork + exec hsmd_path.
	 */
	const char *socket_path;
};

enum hsm_mode {
	HSM_MODE_SERVE,        /* normal operation: no key generation */
	HSM_MODE_INIT,         /* also allows HSM_MSG_KEYGEN */
	HSM_MODE_CREATE_TOKEN, /* initialise a free slot as token_label first, then as INIT */
};

struct hsm_client;

/*
 * Start bos-hsmd and wait for it to report ready. On a startup failure
 * (module, token, PIN) err carries bos-hsmd's own one-line reason.
 */
int hsm_client_start(const struct hsm_config *cfg, enum hsm_mode mode,
    struct hsm_client **out, struct bos_err *err) BOS_WUR;

/* Close the channel, wait for bos-hsmd to exit, free. Accepts NULL. */
void hsm_client_stop(struct hsm_client *c);

/* 1 while bos-hsmd is running and the channel works, else 0. */
int hsm_client_alive(struct hsm_client *c) BOS_WUR;

/* Process id of bos-hsmd (for supervision and tests); -1 when connected to its socket. */
pid_t hsm_client_pid(const struct hsm_client *c);

/*
 * Over hsm_socket bos-hsmd is not our child, so no SIGCHLD says that it went
 * away: poll this descriptor for POLLRDHUP instead, then ask
 * hsm_client_alive(). -1 (nothing to poll) for a bos-hsmd we started. The
 * number is the one connected at start; once the client is dead it may name
 * another file, so only ever follow a wake-up with hsm_client_alive().
 */
int hsm_client_watch_fd(const struct hsm_client *c);

/*
 * Call fn(arg, seconds) after each request to bos-hsmd, with the time the
 * request took on the channel (not the wait for the client's lock), e.g. to
 * feed a latency histogram. fn runs on the caller's thread, outside the
 * lock; NULL turns it off.
 */
void hsm_client_set_observer(struct hsm_client *c, void (*fn)(void *arg, double seconds),
    void *arg);

int hsm_keygen(struct hsm_client *c, uint32_t version, struct bos_err *err) BOS_WUR;

/* blob must have room for pt_len + HSM_IV_LEN + HSM_TAG_LEN bytes. */
int hsm_wrap(struct hsm_client *c, uint32_t kek_version, const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len, uint8_t *blob, size_t blob_cap, size_t *blob_len,
    struct bos_err *err) BOS_WUR;

/* Fails with BOS_E_AUTH when the blob or AAD do not authenticate. */
int hsm_unwrap(struct hsm_client *c, uint32_t kek_version, const uint8_t *aad, size_t aad_len,
    const uint8_t *blob, size_t blob_len, uint8_t *pt, size_t pt_cap, size_t *pt_len,
    struct bos_err *err) BOS_WUR;

int hsm_sign(struct hsm_client *c, uint32_t audit_version,
    const uint8_t digest[static HSM_DIGEST_LEN], uint8_t *sig, size_t sig_cap,
    size_t *sig_len, struct bos_err *err) BOS_WUR;

int hsm_pubkey(struct hsm_client *c, uint32_t audit_version, uint8_t *der, size_t der_cap,
    size_t *der_len, struct bos_err *err) BOS_WUR;

int hsm_random(struct hsm_client *c, void *out, size_t n, struct bos_err *err) BOS_WUR;

#endif
