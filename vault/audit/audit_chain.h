/*
 * The tamper-evident audit trail: record format, hash chain, signed
 * checkpoints, the JSON-lines export and its offline verifier. Pure: no I/O,
 * no clock; times are given by the caller. See docs/AUDIT.md.
 */
#ifndef BOS_AUDIT_CHAIN_H
#define BOS_AUDIT_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

#define AUDIT_HASH_LEN 32
#define AUDIT_FIELD_MAX 256      /* bytes per string field, NUL included */
#define AUDIT_SIG_MAX 80         /* DER ECDSA P-256 is at most 72 bytes */
#define AUDIT_LINE_MAX 8192      /* longest export line the reader accepts */

/* One audit record. Short strings only: never a secret value. */
struct audit_record {
	uint64_t seq;                        /* from 1, contiguous */
	char time[AUDIT_FIELD_MAX];          /* RFC 3339 UTC */
	char principal[AUDIT_FIELD_MAX];     /* accessor */
	char action[AUDIT_FIELD_MAX];
	char resource[AUDIT_FIELD_MAX];
	char decision[AUDIT_FIELD_MAX];      /* "allow", "deny", "invalid" or "error" */
	char reason[AUDIT_FIELD_MAX];
	char client[AUDIT_FIELD_MAX];
	char request_id[AUDIT_FIELD_MAX];
};

/* The chain head at seq, signed by HSM key "bos-audit-v<key_version>". */
struct audit_checkpoint {
	uint64_t seq;
	uint8_t hash[AUDIT_HASH_LEN];
	char time[AUDIT_FIELD_MAX];
	uint32_t key_version;
	uint8_t sig[AUDIT_SIG_MAX];
	size_t sig_len;
};

/* One parsed export line. */
struct audit_line {
	enum { AUDIT_LINE_RECORD = 1, AUDIT_LINE_CHECKPOINT } type;
	struct audit_record rec;
	uint8_t hash[AUDIT_HASH_LEN];        /* stored hash of rec */
	struct audit_checkpoint cp;
};

struct audit_report {
	int ok;                    /* 1: every link and signature holds */
	uint64_t records;          /* records read */
	uint64_t head;             /* last record seq */
	uint64_t checkpoints;      /* checkpoints verified (the trusted one included) */
	uint64_t signed_seq;       /* highest seq covered by a valid checkpoint */
	uint64_t unsigned_tail;    /* records after signed_seq */
	uint64_t bad_seq;          /* first bad record or checkpoint seq, 0 if none */
	size_t bad_line;           /* 1-based line of the first problem, 0 if none */
	char msg[256];             /* what is wrong, for people */
};

/* Set a string field, refusing values that do not fit or hold control bytes. */
int audit_field_set(char dst[AUDIT_FIELD_MAX], const char *src) BOS_WUR;

/*
 * Set a string field from text that may not fit: control bytes and bytes
 * that are not UTF-8 become '?', and the text is cut at a character boundary
 * to fit. Never fails.
 */
void audit_field_clean(char dst[AUDIT_FIELD_MAX], const char *src);

/* Check the fields of r (decision, lengths, no control bytes, seq >= 1). */
int audit_record_check(const struct audit_record *r, struct bos_err *err) BOS_WUR;

/* hash = SHA-256("bos-audit-v1" || prev || encoding(r)); prev is 32 zeros for seq 1. */
int audit_record_hash(const uint8_t prev[AUDIT_HASH_LEN], const struct audit_record *r,
    uint8_t hash[AUDIT_HASH_LEN], struct bos_err *err) BOS_WUR;

/* The digest a checkpoint signs: SHA-256("bos-audit-checkpoint-v1" || seq || hash). */
int audit_checkpoint_digest(uint64_t seq, const uint8_t hash[AUDIT_HASH_LEN],
    uint8_t digest[AUDIT_HASH_LEN]) BOS_WUR;

/* 1 if sig is a valid ECDSA signature of cp's digest under pub (DER SPKI). */
int audit_checkpoint_sig_ok(const struct audit_checkpoint *cp, const uint8_t *pub,
    size_t pub_len) BOS_WUR;

/* A record as a JSON object (the export line without "type"), or NULL. Caller decrefs. */
struct json_t;
struct json_t *audit_record_json(const struct audit_record *r, const uint8_t hash[AUDIT_HASH_LEN]);

/* Export lines, malloc'd and NUL-terminated, without the newline. */
int audit_record_to_json(const struct audit_record *r, const uint8_t hash[AUDIT_HASH_LEN],
    char **line, struct bos_err *err) BOS_WUR;
int audit_checkpoint_to_json(const struct audit_checkpoint *cp, char **line,
    struct bos_err *err) BOS_WUR;

/* Parse one export line strictly: known fields only, every field present. */
int audit_line_parse(const char *line, struct audit_line *out, struct bos_err *err) BOS_WUR;

/* audit_verify flags. */
#define AUDIT_VERIFY_UNSIGNED_TAIL 0x1u  /* accept records after the last signed checkpoint
                                          * (still reported in rep->unsigned_tail) */

/*
 * Verify an export. known, if not NULL, is a checkpoint the verifier already
 * trusts (for example the newest one it saw before, or a copy of the vault's
 * audit.head): the export must reach it and agree with it, which catches
 * truncation and the replay of an older export. A chain proves nothing by
 * itself (anyone can build one), so an export verifies only when a checkpoint
 * signed by pub (in it, or known) covers its last record; with
 * AUDIT_VERIFY_UNSIGNED_TAIL a checkpoint must still cover some record, and
 * the records after it are accepted and counted. An empty export never
 * verifies. Returns 0 and rep->ok = 1 when everything holds, otherwise -1
 * with the first problem in rep->bad_seq and rep->msg.
 */
int audit_verify(const char *const *lines, size_t nlines, const uint8_t *pub, size_t pub_len,
    const struct audit_checkpoint *known, unsigned flags, struct audit_report *rep) BOS_WUR;

#endif
