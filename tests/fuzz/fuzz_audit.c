/*
 * libFuzzer target: the audit export reader and offline verifier
 * (shared/audit_chain.c, docs/AUDIT.md). An export comes from whoever holds
 * the file, so every byte of it is untrusted.
 *
 * Input: one byte of flags, then the export text; lines end with '\n'.
 * Each line goes to audit_line_parse(), the whole to audit_verify() under a
 * P-256 key generated at start-up. Without help the fuzzer cannot get past
 * the first SHA-256 link or any signature, so flags let the harness repair
 * what it cannot guess, and the verifier's deeper paths (checkpoints that
 * cover records, checkpoints ahead of the head, truncation, a trusted
 * checkpoint) are reached too:
 *   FIX_HASHES  records are re-chained: each parsed record's hash is
 *               recomputed from the previous one and the line re-encoded
 *   SIGN        parsed checkpoints are re-signed with the harness's key
 *               (their hash taken from the record they name, if any)
 *   KNOWN       a trusted checkpoint is passed, made from the last line
 *   WRONG_KEY   verify under another key (nothing may then verify)
 *   CP_OWN_HASH with SIGN and FIX_HASHES, sign the checkpoint's own hash
 *               rather than its record's
 *   KNOWN_SEQ   the trusted checkpoint's seq is the input's last 8 bytes, any
 *               u64 (0 and past 2^63 - 1 included): the caller's value is
 *               untrusted by the verifier too
 *   ALLOW_TAIL  verify with AUDIT_VERIFY_UNSIGNED_TAIL
 *
 * What must hold:
 *   - a parsed line re-encodes, and parses back to the same thing;
 *   - audit_verify() returns 0 exactly when rep.ok is 1, and a failure says
 *     what is wrong; the report's counts agree with each other;
 *   - nothing verifies a signature the harness did not make: with SIGN off
 *     (and a KNOWN checkpoint left unsigned) or WRONG_KEY on, an export that
 *     holds a checkpoint, or a trusted checkpoint, never verifies;
 *   - an export verifies only when a checkpoint covers some record, and
 *     unless ALLOW_TAIL, its last one: with FIX_HASHES, an export of records
 *     1..n in order and nothing else never verifies (the chain alone proves
 *     nothing), and fails saying so.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "audit_chain.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_FIX_HASHES 0x01
#define FUZZ_SIGN       0x02
#define FUZZ_KNOWN      0x04
#define FUZZ_WRONG_KEY  0x08
#define FUZZ_CP_OWN_HASH 0x10
#define FUZZ_KNOWN_SEQ  0x20
#define FUZZ_ALLOW_TAIL 0x40
#define FUZZ_MAX_LINES  512

/* The harness's keys, made once: a test process, not the vault. */
static struct {
	EVP_PKEY *key, *other;
	uint8_t pub[256], other_pub[256];
	size_t pub_len, other_pub_len;
} fz;

static size_t
fuzz_pub(EVP_PKEY *k, uint8_t *out, size_t cap)
{
	unsigned char *p = out;
	int n = i2d_PUBKEY(k, NULL);

	if (n <= 0 || (size_t)n > cap || i2d_PUBKEY(k, &p) != n)
		abort();
	return (size_t)n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((fz.key = EVP_EC_gen("P-256")) == NULL || (fz.other = EVP_EC_gen("P-256")) == NULL)
		abort();
	fz.pub_len = fuzz_pub(fz.key, fz.pub, sizeof(fz.pub));
	fz.other_pub_len = fuzz_pub(fz.other, fz.other_pub, sizeof(fz.other_pub));
	return 0;
}

/* Sign cp's digest (DER ECDSA), as bos-hsmd does for a checkpoint. */
static void
fuzz_sign(struct audit_checkpoint *cp)
{
	uint8_t digest[AUDIT_HASH_LEN];
	EVP_PKEY_CTX *ctx;
	size_t n = sizeof(cp->sig);

	if (audit_checkpoint_digest(cp->seq, cp->hash, digest) != 0 ||
	    (ctx = EVP_PKEY_CTX_new(fz.key, NULL)) == NULL)
		abort();
	if (EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_sign(ctx, cp->sig, &n, digest, sizeof(digest)) != 1 || n == 0)
		abort();
	cp->sig_len = n;
	EVP_PKEY_CTX_free(ctx);
}

/* Encoding a parsed line and parsing it again gives the same line. */
static void
fuzz_round_trip(const struct audit_line *l)
{
	struct audit_line *back = malloc(sizeof(*back));
	char *s = NULL;
	int rc;

	if (back == NULL)
		return;
	if (l->type == AUDIT_LINE_RECORD)
		rc = audit_record_to_json(&l->rec, l->hash, &s, NULL);
	else
		rc = audit_checkpoint_to_json(&l->cp, &s, NULL);
	if (rc != 0 || s == NULL || audit_line_parse(s, back, NULL) != 0 || back->type != l->type)
		__builtin_trap();
	if (l->type == AUDIT_LINE_RECORD &&
	    (memcmp(&back->rec, &l->rec, sizeof(l->rec)) != 0 ||      /* not secret */
	    memcmp(back->hash, l->hash, sizeof(l->hash)) != 0))        /* not secret */
		__builtin_trap();
	if (l->type == AUDIT_LINE_CHECKPOINT &&
	    memcmp(&back->cp, &l->cp, sizeof(l->cp)) != 0)             /* not secret */
		__builtin_trap();
	free(s);
	free(back);
}

/* The state of one run: the lines handed to the verifier and what was made of them. */
struct fuzz_run {
	char *lines[FUZZ_MAX_LINES];
	size_t n;
	uint8_t flags;
	uint8_t prev[AUDIT_HASH_LEN];      /* chain head while re-chaining */
	uint8_t (*hashes)[AUDIT_HASH_LEN]; /* hash of record i + 1 as re-chained */
	uint64_t records, checkpoints;
	int records_in_order;              /* every line a record, seq 1, 2, 3 ... */
	int have_last;
	struct audit_checkpoint last;      /* from the last line, for KNOWN */
};

/* Re-chain a record (FIX_HASHES) and replace its line with the new encoding. */
static void
fuzz_fix_record(struct fuzz_run *r, struct audit_line *l)
{
	char *s = NULL;

	if (audit_record_hash(r->prev, &l->rec, l->hash, NULL) != 0)
		__builtin_trap();   /* it parsed, so it is well-formed */
	memcpy(r->prev, l->hash, AUDIT_HASH_LEN);
	if (l->rec.seq <= FUZZ_MAX_LINES)
		memcpy(r->hashes[l->rec.seq - 1], l->hash, AUDIT_HASH_LEN);
	if (audit_record_to_json(&l->rec, l->hash, &s, NULL) != 0)
		__builtin_trap();
	free(r->lines[r->n]);
	r->lines[r->n] = s;
}

/* Re-sign a checkpoint (SIGN), over the re-chained hash of its record if known. */
static void
fuzz_sign_checkpoint(struct fuzz_run *r, struct audit_line *l)
{
	char *s = NULL;

	if ((r->flags & FUZZ_FIX_HASHES) && !(r->flags & FUZZ_CP_OWN_HASH) &&
	    l->cp.seq <= FUZZ_MAX_LINES)
		memcpy(l->cp.hash, r->hashes[l->cp.seq - 1], AUDIT_HASH_LEN);
	fuzz_sign(&l->cp);
	if (audit_checkpoint_to_json(&l->cp, &s, NULL) != 0)
		__builtin_trap();
	free(r->lines[r->n]);
	r->lines[r->n] = s;
}

static void
fuzz_line(struct fuzz_run *r, struct audit_line *l)
{
	int parsed = audit_line_parse(r->lines[r->n], l, NULL) == 0;

	if (!parsed) {
		r->records_in_order = 0;
		r->have_last = 0;
		return;
	}
	fuzz_round_trip(l);
	if (l->type == AUDIT_LINE_RECORD) {
		if (l->rec.seq != ++r->records)
			r->records_in_order = 0;
		if (r->flags & FUZZ_FIX_HASHES)
			fuzz_fix_record(r, l);
		memset(&r->last, 0, sizeof(r->last));
		r->last.seq = l->rec.seq;
		memcpy(r->last.hash, l->hash, AUDIT_HASH_LEN);
		(void)snprintf(r->last.time, sizeof(r->last.time), "%s", l->rec.time);
		r->last.key_version = 1;
		r->last.sig[0] = 0x30;   /* an unsigned placeholder */
		r->last.sig_len = 1;
	} else {
		r->checkpoints++;
		r->records_in_order = 0;
		if (r->flags & FUZZ_SIGN)
			fuzz_sign_checkpoint(r, l);
		r->last = l->cp;
	}
	r->have_last = 1;
}

/* Split the text into NUL-terminated lines; more than FUZZ_MAX_LINES are dropped. */
static void
fuzz_split(struct fuzz_run *r, const uint8_t *data, size_t size)
{
	size_t start = 0, i;

	for (i = 0; i <= size && r->n < FUZZ_MAX_LINES; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (i == size && start == size && size > 0)
			break;   /* a final newline ends the last line, it starts none */
		if ((r->lines[r->n] = malloc(i - start + 1)) == NULL)
			abort();
		memcpy(r->lines[r->n], data + start, i - start);
		r->lines[r->n][i - start] = '\0';
		r->n++;
		start = i + 1;
	}
}

static void
fuzz_check_report(const struct fuzz_run *r, int rc, const struct audit_report *rep,
    int signed_by_us)
{
	if ((rc == 0) != (rep->ok == 1))
		__builtin_trap();
	if (rc != 0 && (rep->msg[0] == '\0' || memchr(rep->msg, '\0', sizeof(rep->msg)) == NULL))
		__builtin_trap();
	if (rep->records > r->n || rep->signed_seq > rep->head)
		__builtin_trap();
	if (rc == 0 && (rep->head != rep->records || rep->records != r->records ||
	    rep->unsigned_tail != rep->head - rep->signed_seq || rep->bad_seq != 0 ||
	    rep->bad_line != 0))
		__builtin_trap();
	/* No signature the harness did not make may ever verify. */
	if (!signed_by_us && rep->checkpoints != 0)
		__builtin_trap();
	/* Nothing unsigned verifies: not the tail (unless allowed), not a bare chain. */
	if (rc == 0 && (rep->head == 0 || rep->signed_seq == 0 ||
	    (rep->unsigned_tail != 0 && !(r->flags & FUZZ_ALLOW_TAIL))))
		__builtin_trap();
	if ((r->flags & FUZZ_FIX_HASHES) && r->records_in_order && r->checkpoints == 0 &&
	    !(r->flags & FUZZ_KNOWN) && (rc == 0 || (strstr(rep->msg, "proves nothing") == NULL &&
	    strstr(rep->msg, "holds no record") == NULL)))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run r;
	struct audit_line *l;
	struct audit_report rep;
	const struct audit_checkpoint *known = NULL;
	const uint8_t *pub;
	size_t i, nlines, pub_len;
	unsigned vflags;
	int rc, signed_by_us;

	if (size == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.flags = data[0];
	r.records_in_order = 1;
	if ((l = malloc(sizeof(*l))) == NULL ||
	    (r.hashes = calloc(FUZZ_MAX_LINES, AUDIT_HASH_LEN)) == NULL)
		abort();
	fuzz_split(&r, data + 1, size - 1);
	nlines = r.n;
	for (r.n = 0; r.n < nlines; r.n++)
		fuzz_line(&r, l);
	if ((r.flags & FUZZ_KNOWN) && r.have_last) {
		if ((r.flags & FUZZ_KNOWN_SEQ) && size >= 9)
			memcpy(&r.last.seq, data + size - 8, sizeof(r.last.seq));
		if (r.flags & FUZZ_SIGN)
			fuzz_sign(&r.last);
		known = &r.last;
	}
	pub = (r.flags & FUZZ_WRONG_KEY) ? fz.other_pub : fz.pub;
	pub_len = (r.flags & FUZZ_WRONG_KEY) ? fz.other_pub_len : fz.pub_len;
	signed_by_us = (r.flags & FUZZ_SIGN) && !(r.flags & FUZZ_WRONG_KEY);
	vflags = (r.flags & FUZZ_ALLOW_TAIL) ? AUDIT_VERIFY_UNSIGNED_TAIL : 0;
	rc = audit_verify((const char *const *)r.lines, r.n, pub, pub_len, known, vflags, &rep);
	fuzz_check_report(&r, rc, &rep, signed_by_us);
	/* A key that is not a key verifies nothing, and must not crash. */
	rc = audit_verify((const char *const *)r.lines, r.n, data, size > 64 ? 64 : size, known,
	    vflags, &rep);
	if (rep.checkpoints != 0 || rc == 0)
		__builtin_trap();
	for (i = 0; i < r.n; i++)
		free(r.lines[i]);
	free(r.hashes);
	free(l);
	(void)rc;
	return 0;
}
