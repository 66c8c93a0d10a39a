/*
 * The channel between bos-vaultd and bos-hsmd: one enum of message types,
 * fixed framing, every field length-checked. Shared by both ends.
 *
 * Framing (all integers big-endian):
 *   u32 type | u32 payload_len | payload
 * payload_len <= HSM_PAYLOAD_MAX. Inside payloads, "str16" is a u16 length
 * followed by that many bytes. A message with a wrong length, bytes left over
 * or an unknown type is fatal to bos-hsmd (it exits with status
 * HSM_EXIT_PROTOCOL). A well-formed request not permitted in the current
 * mode (KEYGEN when serving) is answered HSM_ERR_MODE.
 *
 * bos-hsmd speaks first: after loading the module and logging in it sends
 * HSM_MSG_READY (empty payload), or HSM_MSG_ERR and exits.
 *
 * Requests (vault -> hsmd) and their HSM_MSG_OK payloads:
 *   KEYGEN  u32 version                      -> (empty)
 *           creates KEK "bos-kek-v<version>" (AES-256) and audit key pair
 *           "bos-audit-v<version>" (EC P-256). Only in --init mode.
 *   WRAP    u32 kek_version, str16 aad (<= HSM_AAD_MAX),
 *           str16 plaintext (1..HSM_PT_MAX)   -> str16 blob
 *           blob = iv(12) || ciphertext || tag(16), AES-256-GCM by the KEK.
 *   UNWRAP  u32 kek_version, str16 aad, str16 blob -> str16 plaintext
 *   SIGN    u32 audit_version, str16 digest (exactly 32 bytes, SHA-256)
 *                                            -> str16 DER ECDSA signature
 *   PUBKEY  u32 audit_version                -> str16 DER SubjectPublicKeyInfo
 *   RANDOM  u32 n (1..HSM_RANDOM_MAX)        -> str16 random bytes
 *
 * HSM_MSG_ERR payload: u32 enum hsm_err, str16 message (<= HSM_ERRMSG_MAX,
 * printable ASCII, no secrets). An ERR answer to a request is not fatal: the
 * daemon keeps serving (e.g. a ciphertext that fails authentication).
 */
#ifndef BOS_HSM_PROTO_H
#define BOS_HSM_PROTO_H

#define HSM_CHANNEL_FD 3
#define HSM_HDR_LEN 8
#define HSM_PAYLOAD_MAX 2048
#define HSM_AAD_MAX 256
#define HSM_PT_MAX 512
#define HSM_IV_LEN 12
#define HSM_TAG_LEN 16
#define HSM_BLOB_MAX (HSM_IV_LEN + HSM_PT_MAX + HSM_TAG_LEN)
#define HSM_DIGEST_LEN 32
#define HSM_SIG_MAX 80
#define HSM_PUBKEY_MAX 256
#define HSM_RANDOM_MAX 1024
#define HSM_ERRMSG_MAX 400

/* Exit statuses of bos-hsmd. */
#define HSM_EXIT_OK 0
#define HSM_EXIT_STARTUP 2   /* could not load, find the token, log in; ERR sent */
#define HSM_EXIT_PROTOCOL 3  /* malformed, oversized, unknown or unpermitted message */

enum hsm_msg_type {
	HSM_MSG_KEYGEN = 1,
	HSM_MSG_WRAP = 2,
	HSM_MSG_UNWRAP = 3,
	HSM_MSG_SIGN = 4,
	HSM_MSG_PUBKEY = 5,
	HSM_MSG_RANDOM = 6,
	HSM_MSG_OK = 0x100,
	HSM_MSG_ERR = 0x101,
	HSM_MSG_READY = 0x102,
};

enum hsm_err {
	HSM_ERR_AUTH = 1,     /* unwrap: ciphertext or AAD failed authentication */
	HSM_ERR_NOKEY = 2,    /* no key with that label/version on the token */
	HSM_ERR_DEVICE = 3,   /* a PKCS#11 call failed */
	HSM_ERR_EXISTS = 4,   /* keygen: a key with that label already exists */
	HSM_ERR_MODULE = 5,   /* startup: the PKCS#11 module could not be loaded */
	HSM_ERR_NOTOKEN = 6,  /* startup: no token with that label */
	HSM_ERR_PIN = 7,      /* startup: PIN wrong, locked, or the PIN file unusable */
	HSM_ERR_CONFIG = 8,   /* startup: bad arguments */
	HSM_ERR_MODE = 9,     /* not in this mode: KEYGEN when serving ('bos-hsmd init' makes keys) */
};

/* Label helpers: "bos-kek-v<N>" and "bos-audit-v<N>". */
#define HSM_KEK_LABEL_FMT "bos-kek-v%u"
#define HSM_AUDIT_LABEL_FMT "bos-audit-v%u"

#endif
