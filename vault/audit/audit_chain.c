/*
 * Audit chain: canonical encoding, hashing, checkpoints, export lines and the
 * offline verifier. Nothing here touches a file, a clock or the HSM.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit/audit_chain.h"
#include "json_alloc.h"

#define CHAIN_TAG "bos-audit-v1"
#define CHECKPOINT_TAG "bos-audit-checkpoint-v1"

/* The string fields in canonical order; the order is part of the format. */
static const struct {
	const char *name;
	size_t off;
} rec_fields[] = {
	{ "time", offsetof(struct audit_record, time) },
	{ "principal", offsetof(struct audit_record, principal) },
	{ "action", offsetof(struct audit_record, action) },
	{ "resource", offsetof(struct audit_record, resource) },
	{ "decision", offsetof(struct audit_record, decision) },
	{ "reason", offsetof(struct audit_record, reason) },
	{ "client", offsetof(struct audit_record, client) },
	{ "request_id", offsetof(struct audit_record, request_id) },
};

static const char *
field_get(const struct audit_record *r, size_t i)
{
	return (const char *)r + rec_fields[i].off;
}

static char *
field_ptr(struct audit_record *r, size_t i)
{
	return (char *)r + rec_fields[i].off;
}

/* Length of a field that fits and holds no control byte, or -1. */
static ssize_t
field_len(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strnlen(s, AUDIT_FIELD_MAX)) >= AUDIT_FIELD_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	return (ssize_t)n;
}

int
audit_field_set(char dst[AUDIT_FIELD_MAX], const char *src)
{
	ssize_t n = field_len(src);

	if (n < 0)
		return -1;
	memcpy(dst, src, (size_t)n + 1);
	return 0;
}

/* Length of the UTF-8 character at s (1..4), or 0 when it is not valid UTF-8. */
static size_t
utf8_char_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three- and four-byte forms, surrogates, and past U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

void
audit_field_clean(char dst[AUDIT_FIELD_MAX], const char *src)
{
	const unsigned char *s = (const unsigned char *)(src != NULL ? src : "");
	size_t o = 0, n;

	while (*s != '\0') {
		n = utf8_char_len(s);
		if (n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f))) {
			n = 1;
			if (o + 1 >= AUDIT_FIELD_MAX)
				break;
			dst[o++] = '?';
		} else {
			if (o + n >= AUDIT_FIELD_MAX)
				break;
			memcpy(dst + o, s, n);
			o += n;
		}
		s += n;
	}
	dst[o] = '\0';
}

int
audit_record_check(const struct audit_record *r, struct bos_err *err)
{
	const char *d = r->decision;
	size_t i;

	if (r->seq == 0 || r->seq > INT64_MAX)
		return bos_err_set(err, BOS_E_INVALID, "audit record seq out of range");
	for (i = 0; i < BOS_ARRAY_LEN(rec_fields); i++)
		if (field_len(field_get(r, i)) < 0)
			return bos_err_set(err, BOS_E_INVALID,
			    "audit field %s is too long or holds a control byte", rec_fields[i].name);
	if (strcmp(d, "allow") != 0 && strcmp(d, "deny") != 0 && strcmp(d, "invalid") != 0 &&
	    strcmp(d, "error") != 0)
		return bos_err_set(err, BOS_E_INVALID,
		    "audit decision must be allow, deny, invalid or error");
	return 0;
}

static void
put_u64(uint8_t out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static int
digest_update_field(EVP_MD_CTX *md, const char *s)
{
	size_t n = strnlen(s, AUDIT_FIELD_MAX);
	uint8_t len[4];

	len[0] = (uint8_t)(n >> 24);
	len[1] = (uint8_t)(n >> 16);
	len[2] = (uint8_t)(n >> 8);
	len[3] = (uint8_t)n;
	if (EVP_DigestUpdate(md, len, sizeof(len)) != 1 ||
	    EVP_DigestUpdate(md, s, n) != 1)
		return -1;
	return 0;
}

int
audit_record_hash(const uint8_t prev[AUDIT_HASH_LEN], const struct audit_record *r,
    uint8_t hash[AUDIT_HASH_LEN], struct bos_err *err)
{
	EVP_MD_CTX *md = NULL;
	uint8_t seq[8];
	unsigned int outlen = 0;
	size_t i;
	int ret = -1;

	if (audit_record_check(r, err) != 0)
		return -1;
	put_u64(seq, r->seq);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, CHAIN_TAG, strlen(CHAIN_TAG)) != 1 ||
	    EVP_DigestUpdate(md, prev, AUDIT_HASH_LEN) != 1 ||
	    EVP_DigestUpdate(md, seq, sizeof(seq)) != 1)
		goto out;
	for (i = 0; i < BOS_ARRAY_LEN(rec_fields); i++)
		if (digest_update_field(md, field_get(r, i)) != 0)
			goto out;
	if (EVP_DigestFinal_ex(md, hash, &outlen) != 1 || outlen != AUDIT_HASH_LEN)
		goto out;
	/* success */
	ret = 0;
 out:
	EVP_MD_CTX_free(md);
	if (ret != 0)
		bos_err_set(err, BOS_E_NOMEM, "audit: SHA-256 failed");
	return ret;
}

int
audit_checkpoint_digest(uint64_t seq, const uint8_t hash[AUDIT_HASH_LEN],
    uint8_t digest[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *md;
	uint8_t s[8];
	unsigned int outlen = 0;
	int r = -1;

	put_u64(s, seq);
	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, CHECKPOINT_TAG, strlen(CHECKPOINT_TAG)) == 1 &&
	    EVP_DigestUpdate(md, s, sizeof(s)) == 1 &&
	    EVP_DigestUpdate(md, hash, AUDIT_HASH_LEN) == 1 &&
	    EVP_DigestFinal_ex(md, digest, &outlen) == 1 && outlen == AUDIT_HASH_LEN)
		r = 0;
	EVP_MD_CTX_free(md);
	return r;
}

/* An EC public key from DER SubjectPublicKeyInfo, with nothing left over. */
static EVP_PKEY *
pubkey_load(const uint8_t *pub, size_t pub_len)
{
	const unsigned char *p = pub;
	EVP_PKEY *key;

	if (pub == NULL || pub_len == 0 || pub_len > INT32_MAX)
		return NULL;
	if ((key = d2i_PUBKEY(NULL, &p, (long)pub_len)) == NULL)
		return NULL;
	if (p != pub + pub_len || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

static int
sig_ok(EVP_PKEY *key, const struct audit_checkpoint *cp)
{
	uint8_t digest[AUDIT_HASH_LEN];
	EVP_PKEY_CTX *ctx;
	int ok = 0;

	if (key == NULL || cp->sig_len == 0 || cp->sig_len > AUDIT_SIG_MAX ||
	    audit_checkpoint_digest(cp->seq, cp->hash, digest) != 0)
		return 0;
	/* The HSM signs the 32-byte digest itself (CKM_ECDSA), so verify prehashed. */
	if ((ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL)
		return 0;
	if (EVP_PKEY_verify_init(ctx) == 1)
		ok = EVP_PKEY_verify(ctx, cp->sig, cp->sig_len, digest, sizeof(digest)) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

int
audit_checkpoint_sig_ok(const struct audit_checkpoint *cp, const uint8_t *pub, size_t pub_len)
{
	EVP_PKEY *key = pubkey_load(pub, pub_len);
	int ok = sig_ok(key, cp);

	EVP_PKEY_free(key);
	return ok;
}

static void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lower-case hex only, so every value has exactly one spelling. */
static int
hex_decode(const char *s, uint8_t *out, size_t max, size_t *outlen)
{
	size_t i, n = strlen(s);
	int hi, lo;

	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = hex_nibble(s[2 * i])) < 0 || (lo = hex_nibble(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = n / 2;
	return 0;
}

static int
json_set_str(json_t *o, const char *k, const char *v)
{
	json_t *s = json_string(v);

	return s == NULL ? -1 : json_object_set_new(o, k, s);
}

static int
json_set_hex(json_t *o, const char *k, const uint8_t *b, size_t n)
{
	char hex[2 * AUDIT_SIG_MAX + 1];

	if (n > AUDIT_SIG_MAX)
		return -1;
	hex_encode(b, n, hex);
	return json_set_str(o, k, hex);
}

static int
json_finish(json_t *o, int failed, char **line, struct bos_err *err)
{
	char *dumped = NULL;

	*line = NULL;
	if (!failed)
		dumped = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	/* jansson's allocator may be the wiping one (json_alloc.h): hand out plain malloc. */
	if (dumped != NULL) {
		*line = strdup(dumped);
		json_alloc_release(dumped);
	}
	if (*line == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "audit: cannot encode export line");
	return 0;
}

/* The record's fields and hash, after "type" when type is not NULL; *bad set on failure. */
static json_t *
record_object(const struct audit_record *r, const uint8_t hash[AUDIT_HASH_LEN], const char *type,
    int *bad)
{
	json_t *o = json_object();
	size_t i;

	if (o == NULL)
		return NULL;
	if (type != NULL)
		*bad |= json_set_str(o, "type", type);
	*bad |= json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
	for (i = 0; i < BOS_ARRAY_LEN(rec_fields); i++)
		*bad |= json_set_str(o, rec_fields[i].name, field_get(r, i));
	*bad |= json_set_hex(o, "hash", hash, AUDIT_HASH_LEN);
	return o;
}

json_t *
audit_record_json(const struct audit_record *r, const uint8_t hash[AUDIT_HASH_LEN])
{
	int bad = 0;
	json_t *o = record_object(r, hash, NULL, &bad);

	if (o != NULL && bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
audit_record_to_json(const struct audit_record *r, const uint8_t hash[AUDIT_HASH_LEN],
    char **line, struct bos_err *err)
{
	json_t *o;
	int bad = 0;

	*line = NULL;
	if (audit_record_check(r, err) != 0)
		return -1;
	if ((o = record_object(r, hash, "record", &bad)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "audit: out of memory");
	return json_finish(o, bad, line, err);
}

int
audit_checkpoint_to_json(const struct audit_checkpoint *cp, char **line, struct bos_err *err)
{
	json_t *o;
	int bad = 0;

	*line = NULL;
	if (cp->seq == 0 || cp->seq > INT64_MAX || cp->sig_len == 0 ||
	    cp->sig_len > AUDIT_SIG_MAX || field_len(cp->time) < 0)
		return bos_err_set(err, BOS_E_INVALID, "audit checkpoint is malformed");
	if ((o = json_object()) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "audit: out of memory");
	bad |= json_set_str(o, "type", "checkpoint");
	bad |= json_object_set_new(o, "seq", json_integer((json_int_t)cp->seq));
	bad |= json_set_hex(o, "hash", cp->hash, AUDIT_HASH_LEN);
	bad |= json_set_str(o, "time", cp->time);
	bad |= json_object_set_new(o, "key_version", json_integer(cp->key_version));
	bad |= json_set_hex(o, "signature", cp->sig, cp->sig_len);
	return json_finish(o, bad, line, err);
}

/* A field that must be a string that fits; copied into dst (AUDIT_FIELD_MAX bytes). */
static int
get_str(json_t *o, const char *k, char *dst)
{
	json_t *v = json_object_get(o, k);
	ssize_t n;

	if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)))
		return -1;   /* embedded NUL */
	if ((n = field_len(json_string_value(v))) < 0)
		return -1;
	memcpy(dst, json_string_value(v), (size_t)n + 1);
	return 0;
}

static int
get_uint(json_t *o, const char *k, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    (uint64_t)json_integer_value(v) > max)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_hash(json_t *o, const char *k, uint8_t out[AUDIT_HASH_LEN])
{
	json_t *v = json_object_get(o, k);
	size_t n = 0;

	if (!json_is_string(v) ||
	    hex_decode(json_string_value(v), out, AUDIT_HASH_LEN, &n) != 0 || n != AUDIT_HASH_LEN)
		return -1;
	return 0;
}

static int
parse_record(json_t *o, struct audit_line *out)
{
	size_t i;

	if (json_object_size(o) != 3 + BOS_ARRAY_LEN(rec_fields))
		return -1;   /* type, seq, hash and the fields; nothing else */
	if (get_uint(o, "seq", INT64_MAX, &out->rec.seq) != 0 ||
	    get_hash(o, "hash", out->hash) != 0)
		return -1;
	for (i = 0; i < BOS_ARRAY_LEN(rec_fields); i++)
		if (get_str(o, rec_fields[i].name, field_ptr(&out->rec, i)) != 0)
			return -1;
	out->type = AUDIT_LINE_RECORD;
	return audit_record_check(&out->rec, NULL);
}

static int
parse_checkpoint(json_t *o, struct audit_line *out)
{
	struct audit_checkpoint *cp = &out->cp;
	json_t *sig = json_object_get(o, "signature");
	uint64_t kv = 0;

	if (json_object_size(o) != 6 || !json_is_string(sig))
		return -1;
	if (get_uint(o, "seq", INT64_MAX, &cp->seq) != 0 ||
	    get_hash(o, "hash", cp->hash) != 0 ||
	    get_str(o, "time", cp->time) != 0 ||
	    get_uint(o, "key_version", UINT32_MAX, &kv) != 0 ||
	    hex_decode(json_string_value(sig), cp->sig, AUDIT_SIG_MAX, &cp->sig_len) != 0)
		return -1;
	cp->key_version = (uint32_t)kv;
	out->type = AUDIT_LINE_CHECKPOINT;
	return 0;
}

int
audit_line_parse(const char *line, struct audit_line *out, struct bos_err *err)
{
	json_error_t jerr;
	json_t *o, *t;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (line == NULL || strnlen(line, AUDIT_LINE_MAX) >= AUDIT_LINE_MAX)
		return bos_err_set(err, BOS_E_INVALID, "audit line missing or too long");
	o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o))
		goto out;
	t = json_object_get(o, "type");
	if (json_is_string(t) && strcmp(json_string_value(t), "record") == 0)
		r = parse_record(o, out);
	else if (json_is_string(t) && strcmp(json_string_value(t), "checkpoint") == 0)
		r = parse_checkpoint(o, out);
 out:
	json_decref(o);
	if (r != 0)
		return bos_err_set(err, BOS_E_CORRUPT, "audit line is not a valid record or checkpoint");
	return 0;
}

/* Verifier state: the chain so far and checkpoints that point past it. */
struct verify {
	EVP_PKEY *key;                   /* NULL: no valid key, every signature fails */
	struct audit_report *rep;
	size_t line;
	uint8_t prev[AUDIT_HASH_LEN];
	uint8_t *hashes;                 /* hashes[seq - 1] */
	size_t hashes_cap;
	struct audit_checkpoint *ahead;  /* checkpoints beyond the head, checked at the end */
	size_t nahead, ahead_cap;
	unsigned flags;                  /* AUDIT_VERIFY_* */
};

static int BOS_PRINTF(3, 4)
verify_fail(struct verify *v, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	v->rep->ok = 0;
	v->rep->bad_seq = seq;
	v->rep->bad_line = v->line;
	va_start(ap, fmt);
	(void)vsnprintf(v->rep->msg, sizeof(v->rep->msg), fmt, ap);  /* truncation harmless */
	va_end(ap);
	return -1;
}

/* Grow an array of n elements of size sz to hold at least want; overflow-checked. */
static int
grow(void **p, size_t *cap, size_t want, size_t sz)
{
	size_t ncap = *cap ? *cap : 64, bytes;
	void *np;

	while (ncap < want)
		if (__builtin_mul_overflow(ncap, 2, &ncap))
			return -1;
	if (ncap == *cap)
		return 0;
	if (__builtin_mul_overflow(ncap, sz, &bytes) || (np = realloc(*p, bytes)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static int
verify_record(struct verify *v, const struct audit_line *l)
{
	uint64_t head = v->rep->head, seq = l->rec.seq;
	uint8_t h[AUDIT_HASH_LEN];
	void *p = v->hashes;

	if (seq == head + 2)
		return verify_fail(v, head + 1, "record %" PRIu64 " follows %" PRIu64
		    ": record %" PRIu64 " missing", seq, head, head + 1);
	if (seq > head + 2)
		return verify_fail(v, head + 1, "record %" PRIu64 " follows %" PRIu64
		    ": records %" PRIu64 "-%" PRIu64 " missing", seq, head, head + 1, seq - 1);
	if (seq <= head)
		return verify_fail(v, seq, "record %" PRIu64 " follows %" PRIu64
		    ": out of order or repeated", seq, head);
	if (audit_record_hash(v->prev, &l->rec, h, NULL) != 0)
		return verify_fail(v, seq, "record %" PRIu64 ": cannot hash", seq);
	if (memcmp(h, l->hash, AUDIT_HASH_LEN) != 0)   /* not secret */
		return verify_fail(v, seq, "record %" PRIu64 ": hash does not match its contents", seq);
	if (grow(&p, &v->hashes_cap, (size_t)seq, AUDIT_HASH_LEN) != 0)
		return verify_fail(v, seq, "record %" PRIu64 ": out of memory", seq);
	v->hashes = p;
	memcpy(v->hashes + (seq - 1) * AUDIT_HASH_LEN, h, AUDIT_HASH_LEN);
	memcpy(v->prev, h, AUDIT_HASH_LEN);
	v->rep->head = seq;
	v->rep->records++;
	return 0;
}

/* A checkpoint whose signature holds, against a record already read. */
static int
verify_covers(struct verify *v, const struct audit_checkpoint *cp)
{
	const uint8_t *h = v->hashes + (cp->seq - 1) * AUDIT_HASH_LEN;

	if (memcmp(h, cp->hash, AUDIT_HASH_LEN) != 0)   /* not secret */
		return verify_fail(v, cp->seq, "checkpoint at %" PRIu64
		    ": hash does not match record %" PRIu64, cp->seq, cp->seq);
	if (cp->seq > v->rep->signed_seq)
		v->rep->signed_seq = cp->seq;
	return 0;
}

static int
verify_checkpoint(struct verify *v, const struct audit_checkpoint *cp, const char *what)
{
	void *p = v->ahead;

	/*
	 * A parsed line always has seq >= 1, but a trusted checkpoint comes from
	 * the caller: seq 0 would index hashes[-1] in verify_covers().
	 */
	if (cp->seq == 0 || cp->seq > INT64_MAX)
		return verify_fail(v, cp->seq, "%s: seq %" PRIu64 " out of range", what, cp->seq);
	if (!sig_ok(v->key, cp))
		return verify_fail(v, cp->seq, "%s at %" PRIu64 ": signature invalid", what, cp->seq);
	v->rep->checkpoints++;
	if (cp->seq <= v->rep->head)
		return verify_covers(v, cp);
	if (grow(&p, &v->ahead_cap, v->nahead + 1, sizeof(*cp)) != 0)
		return verify_fail(v, cp->seq, "%s at %" PRIu64 ": out of memory", what, cp->seq);
	v->ahead = p;
	v->ahead[v->nahead++] = *cp;
	return 0;
}

/*
 * Anyone can build a chain that links: only a checkpoint signed by the key
 * vouches for the records it covers. Refuse an export that holds no record,
 * one that no valid checkpoint covers, and (unless the caller accepts an
 * unsigned tail) one whose last record no valid checkpoint covers.
 */
static int
verify_signed(struct verify *v)
{
	struct audit_report *rep = v->rep;

	if (rep->head == 0)
		return verify_fail(v, 1, "the export holds no record: nothing to verify");
	if (rep->signed_seq == 0)
		return verify_fail(v, 1, "no checkpoint signed by this key covers any of the %"
		    PRIu64 " records: the chain alone proves nothing", rep->head);
	rep->unsigned_tail = rep->head - rep->signed_seq;
	if (rep->unsigned_tail == 0 || (v->flags & AUDIT_VERIFY_UNSIGNED_TAIL)) {
		rep->ok = 1;
		return 0;
	}
	if (rep->unsigned_tail == 1)
		return verify_fail(v, rep->head, "the last record, %" PRIu64 ", is not covered "
		    "by a signed checkpoint (signed through %" PRIu64 ")", rep->head,
		    rep->signed_seq);
	return verify_fail(v, rep->signed_seq + 1, "the last %" PRIu64 " records, %" PRIu64
	    "-%" PRIu64 ", are not covered by a signed checkpoint (signed through %" PRIu64 ")",
	    rep->unsigned_tail, rep->signed_seq + 1, rep->head, rep->signed_seq);
}

static int
verify_finish(struct verify *v)
{
	size_t i;

	for (i = 0; i < v->nahead; i++) {
		if (v->ahead[i].seq > v->rep->head)
			return verify_fail(v, v->rep->head + 1, "export ends at %" PRIu64
			    " but checkpoint says %" PRIu64 ": truncated", v->rep->head,
			    v->ahead[i].seq);
		if (verify_covers(v, &v->ahead[i]) != 0)
			return -1;
	}
	return verify_signed(v);
}

static int
verify_line(struct verify *v, const char *line)
{
	struct audit_line *l;
	int r;

	if ((l = malloc(sizeof(*l))) == NULL)
		return verify_fail(v, 0, "line %zu: out of memory", v->line);
	if (audit_line_parse(line, l, NULL) != 0)
		r = verify_fail(v, v->rep->head + 1, "line %zu (after record %" PRIu64
		    "): not a valid record or checkpoint", v->line, v->rep->head);
	else if (l->type == AUDIT_LINE_RECORD)
		r = verify_record(v, l);
	else
		r = verify_checkpoint(v, &l->cp, "checkpoint");
	free(l);
	return r;
}

int
audit_verify(const char *const *lines, size_t nlines, const uint8_t *pub, size_t pub_len,
    const struct audit_checkpoint *known, unsigned flags, struct audit_report *rep)
{
	struct verify v;
	size_t i;
	int r = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&v, 0, sizeof(v));
	v.key = pubkey_load(pub, pub_len);
	v.rep = rep;
	v.flags = flags;
	for (i = 0; i < nlines; i++) {
		v.line = i + 1;
		if (verify_line(&v, lines[i]) != 0)
			goto out;
	}
	v.line = 0;
	if (known != NULL && verify_checkpoint(&v, known, "trusted checkpoint") != 0)
		goto out;
	if (verify_finish(&v) != 0)
		goto out;
	/* success */
	r = 0;
 out:
	EVP_PKEY_free(v.key);
	free(v.hashes);
	free(v.ahead);
	return r;
}
