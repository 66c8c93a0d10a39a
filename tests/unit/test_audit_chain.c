/*
 * Unit tests: shared/audit_chain.c, the audit hash chain, checkpoints, export
 * lines and the offline verifier. Checkpoints are signed with a software EC
 * P-256 key here; test_audit_store.c uses the real HSM. Tamper trials run
 * TRIALS times per class at random positions and must all be detected; they
 * verify with AUDIT_VERIFY_UNSIGNED_TAIL (base ends with 7 unsigned records),
 * so that only the tampering can fail them. test_unsigned_refused,
 * test_unsigned_tail and test_trusted_checkpoint check the strict default.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit_chain.h"

#define TRIALS 1000
#define NREC 107        /* checkpoints every 20: signed up to 100, 7 unsigned */
#define EVERY 20

struct chain {
	size_t n, every;
	struct audit_record *recs;
	uint8_t (*hashes)[AUDIT_HASH_LEN];
	struct audit_checkpoint *cps;     /* cps[k] at seq (k + 1) * every */
	size_t ncps;
	char **lines;
	size_t nlines;
	size_t *rec_line;                 /* rec_line[seq - 1] */
};

static EVP_PKEY *key;
static uint8_t pub[256];
static size_t pub_len;
static uint64_t rng_state;
static struct chain base;

static uint64_t
rng(void)
{
	/* xorshift64*: reproducible from the printed seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t
rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

static void
sign_cp(struct audit_checkpoint *cp)
{
	uint8_t digest[AUDIT_HASH_LEN];
	EVP_PKEY_CTX *ctx;
	size_t len = sizeof(cp->sig);

	assert_int_equal(audit_checkpoint_digest(cp->seq, cp->hash, digest), 0);
	assert_non_null(ctx = EVP_PKEY_CTX_new(key, NULL));
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, cp->sig, &len, digest, sizeof(digest)), 1);
	cp->sig_len = len;
	EVP_PKEY_CTX_free(ctx);
}

static void
make_record(struct audit_record *r, uint64_t seq)
{
	static const char *const dec[] = { "allow", "deny", "error" };
	char b[AUDIT_FIELD_MAX];

	memset(r, 0, sizeof(*r));
	r->seq = seq;
	snprintf(b, sizeof(b), "2026-11-28T20:%02u:%02uZ", (unsigned)(seq / 60 % 60),
	    (unsigned)(seq % 60));
	assert_int_equal(audit_field_set(r->time, b), 0);
	snprintf(b, sizeof(b), "ac_%08llx", (unsigned long long)(rng() & 0xffffffff));
	assert_int_equal(audit_field_set(r->principal, b), 0);
	assert_int_equal(audit_field_set(r->action, seq % 2 ? "credential.read" : "grant.create"), 0);
	snprintf(b, sizeof(b), "cr_%llu", (unsigned long long)seq);
	assert_int_equal(audit_field_set(r->resource, b), 0);
	assert_int_equal(audit_field_set(r->decision, dec[seq % 3]), 0);
	assert_int_equal(audit_field_set(r->reason, seq % 3 ? "policy \"ops\" \\ rule 2" : "ok"), 0);
	snprintf(b, sizeof(b), "10.0.%u.%u", (unsigned)(seq / 250), (unsigned)(seq % 250));
	assert_int_equal(audit_field_set(r->client, b), 0);
	snprintf(b, sizeof(b), "rq_%016llx", (unsigned long long)rng());
	assert_int_equal(audit_field_set(r->request_id, b), 0);
}

static void
chain_free(struct chain *c)
{
	size_t i;

	for (i = 0; i < c->nlines; i++)
		free(c->lines[i]);
	free(c->lines);
	free(c->recs);
	free(c->hashes);
	free(c->cps);
	free(c->rec_line);
	memset(c, 0, sizeof(*c));
}

/* Hash recs from seq `from` on; the records before keep their hashes. */
static void
chain_rehash(struct chain *c, size_t from)
{
	static const uint8_t zero[AUDIT_HASH_LEN];
	size_t i;

	for (i = from - 1; i < c->n; i++)
		assert_int_equal(audit_record_hash(i ? c->hashes[i - 1] : zero, &c->recs[i],
		    c->hashes[i], NULL), 0);
}

/* (Re)write the export lines from recs, hashes and cps. */
static void
chain_emit(struct chain *c)
{
	size_t i, k = 0;

	for (i = 0; i < c->nlines; i++)
		free(c->lines[i]);
	c->nlines = 0;
	for (i = 0; i < c->n; i++) {
		c->rec_line[i] = c->nlines;
		assert_int_equal(audit_record_to_json(&c->recs[i], c->hashes[i],
		    &c->lines[c->nlines++], NULL), 0);
		if (k < c->ncps && c->cps[k].seq == i + 1)
			assert_int_equal(audit_checkpoint_to_json(&c->cps[k++],
			    &c->lines[c->nlines++], NULL), 0);
	}
}

static void
chain_build(struct chain *c, size_t n, size_t every)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->n = n;
	c->every = every;
	assert_non_null(c->recs = calloc(n, sizeof(*c->recs)));
	assert_non_null(c->hashes = calloc(n, sizeof(*c->hashes)));
	assert_non_null(c->cps = calloc(n / every + 1, sizeof(*c->cps)));
	assert_non_null(c->lines = calloc(n + n / every + 1, sizeof(*c->lines)));
	assert_non_null(c->rec_line = calloc(n, sizeof(*c->rec_line)));
	for (i = 0; i < n; i++)
		make_record(&c->recs[i], i + 1);
	chain_rehash(c, 1);
	for (i = every; i <= n; i += every) {
		struct audit_checkpoint *cp = &c->cps[c->ncps++];

		cp->seq = i;
		memcpy(cp->hash, c->hashes[i - 1], AUDIT_HASH_LEN);
		assert_int_equal(audit_field_set(cp->time, "2026-11-28T21:00:00Z"), 0);
		cp->key_version = 1;
		sign_cp(cp);
	}
	chain_emit(c);
}

/* A working copy of base's lines that a trial may edit. */
struct lines {
	char *l[NREC + NREC / EVERY + 2];
	size_t n;
};

static void
lines_copy(struct lines *d, const struct chain *c)
{
	size_t i;

	assert_true(c->nlines <= BOS_ARRAY_LEN(d->l));
	for (i = 0; i < c->nlines; i++)
		assert_non_null(d->l[i] = strdup(c->lines[i]));
	d->n = c->nlines;
}

static void
lines_free(struct lines *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->l[i]);
	d->n = 0;
}

static void
lines_delete(struct lines *d, size_t at)
{
	free(d->l[at]);
	memmove(&d->l[at], &d->l[at + 1], (d->n - at - 1) * sizeof(d->l[0]));
	d->n--;
}

static int
verify(const struct lines *d, const struct audit_checkpoint *known, struct audit_report *rep)
{
	return audit_verify((const char *const *)d->l, d->n, pub, pub_len, known,
	    AUDIT_VERIFY_UNSIGNED_TAIL, rep);
}

/* The same, strict: the last record must be signed. */
static int
verify_strict(const struct lines *d, const struct audit_checkpoint *known,
    struct audit_report *rep)
{
	return audit_verify((const char *const *)d->l, d->n, pub, pub_len, known, 0, rep);
}

static int
setup(void **state)
{
	unsigned char *p = pub;
	int len;

	(void)state;
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		return -1;
	rng_state |= 1;
	printf("# audit chain trials, seed %llu\n", (unsigned long long)rng_state);
	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return -1;
	if ((len = i2d_PUBKEY(key, NULL)) <= 0 || (size_t)len > sizeof(pub) ||
	    i2d_PUBKEY(key, &p) != len)
		return -1;
	pub_len = (size_t)len;
	chain_build(&base, NREC, EVERY);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	chain_free(&base);
	EVP_PKEY_free(key);
	return 0;
}

static void
test_round_trip(void **state)
{
	struct audit_line l;
	char *s;

	(void)state;
	assert_int_equal(audit_line_parse(base.lines[0], &l, NULL), 0);
	assert_int_equal(l.type, AUDIT_LINE_RECORD);
	assert_true(memcmp(&l.rec, &base.recs[0], sizeof(l.rec)) == 0);   /* not secret */
	assert_true(memcmp(l.hash, base.hashes[0], AUDIT_HASH_LEN) == 0); /* not secret */
	assert_int_equal(audit_record_to_json(&l.rec, l.hash, &s, NULL), 0);
	assert_string_equal(s, base.lines[0]);
	free(s);
	assert_int_equal(audit_line_parse(base.lines[base.rec_line[EVERY - 1] + 1], &l, NULL), 0);
	assert_int_equal(l.type, AUDIT_LINE_CHECKPOINT);
	assert_int_equal(l.cp.seq, EVERY);
	assert_int_equal(l.cp.key_version, 1);
	assert_int_equal(l.cp.sig_len, base.cps[0].sig_len);
	assert_true(memcmp(l.cp.sig, base.cps[0].sig, l.cp.sig_len) == 0);  /* not secret */
	assert_int_equal(audit_checkpoint_to_json(&l.cp, &s, NULL), 0);
	assert_string_equal(s, base.lines[base.rec_line[EVERY - 1] + 1]);
	free(s);
}

static void
test_strict_reader(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"type\":\"record\"}",
		"{\"type\":\"other\",\"seq\":1}",
		"{\"type\":\"checkpoint\",\"seq\":1,\"hash\":\"00\",\"time\":\"t\",\"key_version\":1,"
		    "\"signature\":\"00\"}",
	};
	struct audit_line l;
	struct audit_record r;
	char line[4096], *p;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++)
		assert_int_not_equal(audit_line_parse(bad[i], &l, NULL), 0);
	/* An extra field, a duplicate key, upper-case hex, a bad decision. */
	snprintf(line, sizeof(line), "%.*s,\"x\":1}", (int)strlen(base.lines[0]) - 1, base.lines[0]);
	assert_int_not_equal(audit_line_parse(line, &l, NULL), 0);
	snprintf(line, sizeof(line), "%.*s,\"seq\":1}", (int)strlen(base.lines[0]) - 1, base.lines[0]);
	assert_int_not_equal(audit_line_parse(line, &l, NULL), 0);
	snprintf(line, sizeof(line), "%s", base.lines[0]);
	assert_non_null(p = strstr(line, "\"hash\":\""));
	p += 8;
	*p = *p >= 'a' ? 'A' : 'B';
	assert_int_not_equal(audit_line_parse(line, &l, NULL), 0);
	r = base.recs[0];
	assert_int_equal(audit_field_set(r.decision, "maybe"), 0);
	assert_int_not_equal(audit_record_to_json(&r, base.hashes[0], &p, NULL), 0);
	assert_int_not_equal(audit_field_set(r.reason, "line\nbreak"), 0);
}

static void
test_encoding_unambiguous(void **state)
{
	static const uint8_t zero[AUDIT_HASH_LEN];
	struct audit_record a = base.recs[0], b = base.recs[0];
	uint8_t ha[AUDIT_HASH_LEN], hb[AUDIT_HASH_LEN];

	(void)state;
	/* Moving a byte across a field boundary must change the hash. */
	assert_int_equal(audit_field_set(a.action, "ab"), 0);
	assert_int_equal(audit_field_set(a.resource, "c"), 0);
	assert_int_equal(audit_field_set(b.action, "a"), 0);
	assert_int_equal(audit_field_set(b.resource, "bc"), 0);
	assert_int_equal(audit_record_hash(zero, &a, ha, NULL), 0);
	assert_int_equal(audit_record_hash(zero, &b, hb, NULL), 0);
	assert_true(memcmp(ha, hb, AUDIT_HASH_LEN) != 0);   /* not secret */
}

static void
test_untouched_verifies(void **state)
{
	struct chain c;
	struct lines d;
	struct audit_report rep;
	size_t t, cut, kept, signed_seq, i;

	(void)state;
	chain_build(&c, 200, 25);
	assert_int_equal(audit_verify((const char *const *)c.lines, c.nlines, pub, pub_len,
	    &c.cps[c.ncps - 1], 0, &rep), 0);
	assert_true(rep.ok);
	assert_int_equal(rep.records, 200);
	assert_int_equal(rep.checkpoints, 8 + 1);
	assert_int_equal(rep.signed_seq, 200);
	assert_int_equal(rep.unsigned_tail, 0);
	chain_free(&c);
	/*
	 * Every prefix of an export that holds a checkpoint is a valid older
	 * export: with its unsigned tail allowed, it verifies and the tail is
	 * reported; strictly, only when it ends at its checkpoint. A prefix
	 * before the first checkpoint proves nothing and never verifies.
	 */
	for (t = 0; t < TRIALS; t++) {
		lines_copy(&d, &base);
		cut = 1 + rng_below(d.n);
		while (d.n > cut)
			lines_delete(&d, d.n - 1);
		for (kept = 0, i = 0; i < base.n && base.rec_line[i] < cut; i++)
			kept++;
		signed_seq = 0;
		for (i = 0; i < base.ncps; i++)
			if (base.rec_line[base.cps[i].seq - 1] + 1 < cut)
				signed_seq = base.cps[i].seq;
		assert_int_equal(verify(&d, NULL, &rep) == 0, signed_seq > 0);
		assert_int_equal(rep.head, kept);
		assert_int_equal(rep.signed_seq, signed_seq);
		if (signed_seq == 0) {
			assert_non_null(strstr(rep.msg, "the chain alone proves nothing"));
			lines_free(&d);
			continue;
		}
		assert_int_equal(rep.unsigned_tail, kept - signed_seq);
		assert_int_equal(verify_strict(&d, NULL, &rep) == 0, kept == signed_seq);
		lines_free(&d);
	}
	printf("# untouched: %d/%d prefixes judged right\n", TRIALS, TRIALS);
}

/* Replace one character of a field's value in a record line. */
static void
flip_field(char **line, const char *field)
{
	char pat[64], *v, *end;
	const char *set;
	size_t len, at;
	char c;

	snprintf(pat, sizeof(pat), "\"%s\":\"", field);
	assert_non_null(v = strstr(*line, pat));
	v += strlen(pat);
	assert_non_null(end = strchr(v, '"'));
	len = (size_t)(end - v);
	if (len == 0 || (v > *line && end[-1] == '\\'))
		len = 1;
	at = rng_below(len);
	if (v[at] == '\\')
		at = 0;
	set = strcmp(field, "hash") == 0 ? "0123456789abcdef" :
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:";
	do
		c = set[rng_below(strlen(set))];
	while (c == v[at]);
	v[at] = c;
}

static void
test_flip_byte(void **state)
{
	static const char *const all[] = {
		"time", "principal", "action", "resource", "decision", "reason", "client",
		"request_id", "hash",
	};
	struct lines d;
	struct audit_report rep;
	size_t t, seq, hit = 0;

	(void)state;
	for (t = 0; t < TRIALS; t++) {
		lines_copy(&d, &base);
		seq = 1 + rng_below(base.n);
		flip_field(&d.l[base.rec_line[seq - 1]], all[rng_below(BOS_ARRAY_LEN(all))]);
		if (verify(&d, NULL, &rep) != 0 && rep.bad_seq == seq) {
			/* A changed decision may no longer be a valid decision at all. */
			if (strstr(rep.msg, "hash does not match its contents") != NULL ||
			    strstr(rep.msg, "not a valid record") != NULL)
				hit++;
		}
		lines_free(&d);
	}
	printf("# flip one byte: %zu/%d detected at the right record\n", hit, TRIALS);
	assert_int_equal(hit, TRIALS);
}

static void
test_delete_record(void **state)
{
	struct lines d;
	struct audit_report rep;
	char want[128];
	size_t t, seq, hit = 0;

	(void)state;
	for (t = 0; t < TRIALS; t++) {
		lines_copy(&d, &base);
		seq = 1 + rng_below(base.n - 1);    /* deleting the last one is truncation */
		lines_delete(&d, base.rec_line[seq - 1]);
		snprintf(want, sizeof(want), "record %zu follows %zu: record %zu missing",
		    seq + 1, seq - 1, seq);
		if (verify(&d, NULL, &rep) != 0 && rep.bad_seq == seq && strcmp(rep.msg, want) == 0)
			hit++;
		lines_free(&d);
	}
	printf("# delete a record: %zu/%d detected at the right record\n", hit, TRIALS);
	assert_int_equal(hit, TRIALS);
}

static void
test_swap_records(void **state)
{
	struct lines d;
	struct audit_report rep;
	size_t t, i, j, k, hit = 0;
	char *tmp;

	(void)state;
	for (t = 0; t < TRIALS; t++) {
		lines_copy(&d, &base);
		i = 1 + rng_below(base.n);
		do
			j = 1 + rng_below(base.n);
		while (j == i);
		if (j < i) {
			k = i;
			i = j;
			j = k;
		}
		tmp = d.l[base.rec_line[i - 1]];
		d.l[base.rec_line[i - 1]] = d.l[base.rec_line[j - 1]];
		d.l[base.rec_line[j - 1]] = tmp;
		if (verify(&d, NULL, &rep) != 0 && rep.bad_seq == i)
			hit++;
		lines_free(&d);
	}
	printf("# swap two records: %zu/%d detected at the first moved record\n", hit, TRIALS);
	assert_int_equal(hit, TRIALS);
}

static void
test_truncate(void **state)
{
	const struct audit_checkpoint *last = &base.cps[base.ncps - 1];
	struct lines d;
	struct audit_report rep;
	size_t t, keep, tail = 0, hit = 0, i;

	(void)state;
	for (t = 0; t < TRIALS; t++) {
		/* Past the last checkpoint: not tampering, but the unsigned tail is reported. */
		lines_copy(&d, &base);
		keep = last->seq + rng_below(base.n - last->seq);
		while (d.n > base.rec_line[keep - 1] + 1 + (keep == last->seq))
			lines_delete(&d, d.n - 1);
		if (verify(&d, last, &rep) == 0 && rep.unsigned_tail == keep - last->seq &&
		    rep.signed_seq == last->seq)
			tail++;
		lines_free(&d);
		/* Before a checkpoint: caught against the newest checkpoint the verifier
		 * holds, or against checkpoint lines left in the export. */
		lines_copy(&d, &base);
		keep = rng_below(last->seq);
		if (t % 2 == 0) {
			while (d.n > (keep ? base.rec_line[keep - 1] + 1 : 0))
				lines_delete(&d, d.n - 1);
		} else {
			for (i = base.n; i > keep; i--)
				lines_delete(&d, base.rec_line[i - 1]);
		}
		if (verify(&d, t % 2 == 0 ? last : NULL, &rep) != 0 && rep.bad_seq == keep + 1 &&
		    strstr(rep.msg, ": truncated") != NULL)
			hit++;
		lines_free(&d);
	}
	printf("# truncate past the last checkpoint: %zu/%d accepted, unsigned tail reported\n",
	    tail, TRIALS);
	printf("# truncate before a checkpoint: %zu/%d detected\n", hit, TRIALS);
	assert_int_equal(tail, TRIALS);
	assert_int_equal(hit, TRIALS);
}

static void
test_rechain_without_key(void **state)
{
	struct chain c = base;
	struct lines d;
	struct audit_report rep;
	size_t t, seq, k, cover, hit = 0;

	(void)state;
	assert_non_null(c.recs = malloc(base.n * sizeof(*c.recs)));
	assert_non_null(c.hashes = malloc(base.n * sizeof(*c.hashes)));
	assert_non_null(c.cps = malloc(base.ncps * sizeof(*c.cps)));
	assert_non_null(c.lines = calloc(base.nlines, sizeof(*c.lines)));
	assert_non_null(c.rec_line = malloc(base.n * sizeof(*c.rec_line)));
	c.nlines = 0;
	for (t = 0; t < TRIALS; t++) {
		memcpy(c.recs, base.recs, base.n * sizeof(*c.recs));
		memcpy(c.hashes, base.hashes, base.n * sizeof(*c.hashes));
		memcpy(c.cps, base.cps, base.ncps * sizeof(*c.cps));
		/* Change a signed record, then recompute every hash after it. */
		seq = 1 + rng_below(base.cps[base.ncps - 1].seq);
		c.recs[seq - 1].resource[0] ^= 0x01;
		chain_rehash(&c, seq);
		cover = (seq + EVERY - 1) / EVERY * EVERY;
		/* Half the trials also rewrite the checkpoint hashes (keeping the old signatures). */
		for (k = 0; t % 2 == 1 && k < c.ncps; k++)
			memcpy(c.cps[k].hash, c.hashes[c.cps[k].seq - 1], AUDIT_HASH_LEN);
		chain_emit(&c);
		d.n = 0;
		memcpy(d.l, c.lines, c.nlines * sizeof(d.l[0]));
		d.n = c.nlines;
		if (verify(&d, NULL, &rep) != 0 && rep.bad_seq == cover &&
		    strstr(rep.msg, t % 2 ? "signature invalid" : "hash does not match record") != NULL)
			hit++;
	}
	printf("# re-chain without the key: %zu/%d detected at the covering checkpoint\n",
	    hit, TRIALS);
	chain_free(&c);
	assert_int_equal(hit, TRIALS);
}

static void
test_replay_older_export(void **state)
{
	const struct audit_checkpoint *last = &base.cps[base.ncps - 1];
	struct lines d;
	struct audit_report rep;
	size_t t, old, hit = 0;
	char *cpline;

	(void)state;
	for (t = 0; t < TRIALS; t++) {
		/* The export as it was when the log ended at `old` (checkpoints included). */
		lines_copy(&d, &base);
		old = 1 + rng_below(last->seq - 1);
		while (d.n > base.rec_line[old - 1] + 1 + (old % EVERY == 0))
			lines_delete(&d, d.n - 1);
		/* Fine on its own, once it holds a checkpoint. */
		assert_int_equal(verify(&d, NULL, &rep) == 0, old >= EVERY);
		if (t % 2 == 1) {
			/* ... presented with the newer checkpoint line appended. */
			assert_int_equal(audit_checkpoint_to_json(last, &cpline, NULL), 0);
			d.l[d.n++] = cpline;
		}
		if (verify(&d, t % 2 ? NULL : last, &rep) != 0 && rep.bad_seq == old + 1 &&
		    strstr(rep.msg, ": truncated") != NULL)
			hit++;
		lines_free(&d);
	}
	printf("# replay an older export against a newer checkpoint: %zu/%d detected\n",
	    hit, TRIALS);
	assert_int_equal(hit, TRIALS);
}

/* Another P-256 key's public half (DER) into opub; the key, for EVP_PKEY_free. */
static EVP_PKEY *
other_key(unsigned char opub[256], size_t *len)
{
	EVP_PKEY *other;
	unsigned char *p = opub;
	int n;

	assert_non_null(other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_true((n = i2d_PUBKEY(other, NULL)) > 0 && n <= 256);
	assert_int_equal(i2d_PUBKEY(other, &p), n);
	*len = (size_t)n;
	return other;
}

static void
test_wrong_key_and_forged_signature(void **state)
{
	struct lines d;
	struct audit_report rep;
	unsigned char opub[256];
	size_t len;
	EVP_PKEY *other = other_key(opub, &len);

	(void)state;
	lines_copy(&d, &base);
	assert_int_not_equal(audit_verify((const char *const *)d.l, d.n, opub, len,
	    NULL, AUDIT_VERIFY_UNSIGNED_TAIL, &rep), 0);
	assert_string_equal(rep.msg, "checkpoint at 20: signature invalid");
	assert_int_equal(rep.bad_seq, 20);
	assert_int_not_equal(audit_verify((const char *const *)d.l, d.n, opub, len, NULL, 0,
	    &rep), 0);
	assert_string_equal(rep.msg, "checkpoint at 20: signature invalid");
	lines_free(&d);
	EVP_PKEY_free(other);
}

/* Keep only the record lines of base's first n records: a chain with no checkpoint. */
static void
lines_records_only(struct lines *d, size_t n)
{
	size_t i;

	for (i = 0, d->n = 0; i < n; i++)
		assert_non_null(d->l[d->n++] = strdup(base.lines[base.rec_line[i]]));
}

/*
 * issue #12 item 6: an export verifies only when a checkpoint signed by the
 * key covers its last record (B2: an empty file, or a forged chain with no
 * checkpoint, verified "ok" against any key). First what nothing signs.
 */
static void
test_unsigned_refused(void **state)
{
	const struct audit_checkpoint *last = &base.cps[base.ncps - 1];
	unsigned char opub[256];
	struct audit_report rep;
	struct lines d;
	size_t len;
	EVP_PKEY *other = other_key(opub, &len);

	(void)state;
	/* An empty file: nothing to verify, strict or not, with a trusted checkpoint or not. */
	assert_int_not_equal(audit_verify(NULL, 0, pub, pub_len, NULL, 0, &rep), 0);
	assert_false(rep.ok);
	assert_string_equal(rep.msg, "the export holds no record: nothing to verify");
	assert_int_not_equal(audit_verify(NULL, 0, pub, pub_len, NULL, AUDIT_VERIFY_UNSIGNED_TAIL,
	    &rep), 0);
	assert_int_not_equal(audit_verify(NULL, 0, pub, pub_len, last, AUDIT_VERIFY_UNSIGNED_TAIL,
	    &rep), 0);
	assert_non_null(strstr(rep.msg, ": truncated"));
	/* A chain that links but that no checkpoint covers: refused, under any key. */
	lines_records_only(&d, NREC);
	assert_int_not_equal(verify_strict(&d, NULL, &rep), 0);
	assert_int_equal(rep.bad_seq, 1);
	assert_int_equal(rep.head, NREC);
	assert_string_equal(rep.msg, "no checkpoint signed by this key covers any of the 107 "
	    "records: the chain alone proves nothing");
	assert_int_not_equal(verify(&d, NULL, &rep), 0);
	assert_int_not_equal(audit_verify((const char *const *)d.l, d.n, opub, len, NULL,
	    AUDIT_VERIFY_UNSIGNED_TAIL, &rep), 0);
	assert_non_null(strstr(rep.msg, "the chain alone proves nothing"));
	lines_free(&d);
	EVP_PKEY_free(other);
}

/* A valid chain whose last records no checkpoint covers: refused unless allowed. */
static void
test_unsigned_tail(void **state)
{
	struct lines d;
	struct audit_report rep;

	(void)state;
	lines_copy(&d, &base);
	assert_int_not_equal(verify_strict(&d, NULL, &rep), 0);
	assert_false(rep.ok);
	assert_int_equal(rep.bad_seq, 101);
	assert_int_equal(rep.bad_line, 0);
	assert_int_equal(rep.signed_seq, 100);
	assert_int_equal(rep.unsigned_tail, 7);
	assert_string_equal(rep.msg, "the last 7 records, 101-107, are not covered by a signed "
	    "checkpoint (signed through 100)");
	assert_int_equal(verify(&d, NULL, &rep), 0);
	assert_true(rep.ok);
	assert_int_equal(rep.unsigned_tail, 7);
	/* One record past the checkpoint: named. */
	while (d.n > base.rec_line[100] + 1)
		lines_delete(&d, d.n - 1);
	assert_int_not_equal(verify_strict(&d, NULL, &rep), 0);
	assert_int_equal(rep.bad_seq, 101);
	assert_string_equal(rep.msg, "the last record, 101, is not covered by a signed "
	    "checkpoint (signed through 100)");
	/* Cut right after the checkpoint line: strictly fine. */
	lines_delete(&d, d.n - 1);
	assert_int_equal(verify_strict(&d, NULL, &rep), 0);
	assert_int_equal(rep.unsigned_tail, 0);
	lines_free(&d);
}

/* A trusted checkpoint (a copy of audit.head) signs what it covers and catches a cut. */
static void
test_trusted_checkpoint(void **state)
{
	const struct audit_checkpoint *last = &base.cps[base.ncps - 1];
	struct audit_checkpoint forged = *last;
	struct audit_report rep;
	struct lines d;

	(void)state;
	lines_records_only(&d, NREC);
	/* It covers what it signed (100), not the 7 after it ... */
	assert_int_not_equal(verify_strict(&d, last, &rep), 0);
	assert_int_equal(rep.bad_seq, 101);
	assert_int_equal(verify(&d, last, &rep), 0);
	assert_int_equal(rep.signed_seq, 100);
	/* ... and makes the bare chain through its record verify, strictly. */
	while (d.n > 100)
		lines_delete(&d, d.n - 1);
	assert_int_equal(verify_strict(&d, last, &rep), 0);
	assert_int_equal(rep.signed_seq, 100);
	assert_int_equal(rep.checkpoints, 1);
	/* A forged one (a changed audit.head) is refused. */
	forged.sig[forged.sig_len - 1] ^= 0x01;
	assert_int_not_equal(verify_strict(&d, &forged, &rep), 0);
	assert_string_equal(rep.msg, "trusted checkpoint at 100: signature invalid");
	lines_free(&d);
	/* Truncated below it: caught, even with the tail allowed. */
	lines_copy(&d, &base);
	while (d.n > base.rec_line[59] + 2)    /* through the checkpoint at 60 */
		lines_delete(&d, d.n - 1);
	assert_int_equal(verify_strict(&d, NULL, &rep), 0);     /* fine on its own */
	assert_int_not_equal(verify(&d, last, &rep), 0);
	assert_int_equal(rep.bad_seq, 61);
	assert_string_equal(rep.msg, "export ends at 60 but checkpoint says 100: truncated");
	lines_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_strict_reader),
		cmocka_unit_test(test_encoding_unambiguous),
		cmocka_unit_test(test_untouched_verifies),
		cmocka_unit_test(test_flip_byte),
		cmocka_unit_test(test_delete_record),
		cmocka_unit_test(test_swap_records),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_rechain_without_key),
		cmocka_unit_test(test_replay_older_export),
		cmocka_unit_test(test_wrong_key_and_forged_signature),
		cmocka_unit_test(test_unsigned_refused),
		cmocka_unit_test(test_unsigned_tail),
		cmocka_unit_test(test_trusted_checkpoint),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
