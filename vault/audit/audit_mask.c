/* Masking of tokens and card numbers in audit fields; see audit_mask.h. */
#include "audit/audit_mask.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "hex.h"
#include "store/card.h"
#include "secmem.h"

/* What a byte of the text as given is replaced by; a token wins over a card number. */
enum audit_mask_kind { MASK_KEEP, MASK_CARD, MASK_TOKEN };

/*
 * One decoding of the field, and where each of its bytes came from in the
 * text as given: bytes from[i] up to (not including) to[i].
 */
struct audit_mask_text {
	char s[AUDIT_MASK_IN_MAX];
	uint16_t from[AUDIT_MASK_IN_MAX], to[AUDIT_MASK_IN_MAX];
	size_t n;
};

/* The marks of one round, and the decoding being scanned. */
struct audit_mask_marks {
	const struct audit_mask_text *t;
	uint8_t *kind;
};

/*
 * Decode every %XX of in once into out, as the route matcher decodes a
 * segment (but keeping every byte). Returns 1 when anything was decoded.
 */
static int
audit_mask_decode(const struct audit_mask_text *in, struct audit_mask_text *out)
{
	size_t i, o = 0;
	int hi, lo, changed = 0;

	for (i = 0; i < in->n; o++) {
		if (in->s[i] == '%' && in->n - i >= 3 && (hi = hex_digit(in->s[i + 1])) >= 0 &&
		    (lo = hex_digit(in->s[i + 2])) >= 0) {
			out->s[o] = (char)(hi << 4 | lo);
			out->from[o] = in->from[i];
			out->to[o] = in->to[i + 2];
			i += 3;
			changed = 1;
			continue;
		}
		out->s[o] = in->s[i];
		out->from[o] = in->from[i];
		out->to[o] = in->to[i];
		i++;
	}
	out->n = o;
	return changed;
}

/* Mark bytes [start, end) of a decoding in the text as given. */
static void
audit_mask_mark(const struct audit_mask_marks *p, size_t start, size_t end, uint8_t kind)
{
	size_t i;

	for (i = p->t->from[start]; i < p->t->to[end - 1]; i++)
		if (p->kind[i] < kind)
			p->kind[i] = kind;
}

/* Does c end a token that was pasted into a path or a message? */
static int
audit_mask_token_end(char c)
{
	/* Not NUL, a control byte or '%': a token cut by one of them is hidden whole. */
	return c != '\0' && (c == ' ' || c == '\t' ||
	    strchr("/?#&=,;:'\"()<>[]{}\\|`", c) != NULL);
}

static void
audit_mask_tokens(const struct audit_mask_marks *p)
{
	const struct audit_mask_text *t = p->t;
	size_t i = 0, end;

	while (i + 4 <= t->n) {
		if (strncasecmp(t->s + i, "bos_", 4) != 0) {
			i++;
			continue;
		}
		for (end = i + 4; end < t->n && !audit_mask_token_end(t->s[end]); end++)
			;
		audit_mask_mark(p, i, end, MASK_TOKEN);
		i = end;
	}
}

static int
audit_mask_card(size_t start, size_t end, void *arg)
{
	audit_mask_mark(arg, start, end, MASK_CARD);
	return 0;
}

/* Write the n bytes of raw with each marked run replaced; returns how many runs. */
static size_t
audit_mask_write(const char *raw, size_t n, const uint8_t *kind, char *out, size_t cap)
{
	const char *mark;
	size_t i = 0, o = 0, len, runs = 0;
	uint8_t k;

	while (i < n && o + 1 < cap) {
		if ((k = kind[i]) == MASK_KEEP) {
			out[o++] = raw[i++];
			continue;
		}
		/* A run of one kind is one mark; a token inside a card run starts another. */
		mark = k == MASK_TOKEN ? "(token)" : "(card number)";
		len = strlen(mark);
		while (i < n && kind[i] == k)
			i++;
		runs++;
		if (o + len + 1 > cap)
			break;
		memcpy(out + o, mark, len);
		o += len;
	}
	out[o] = '\0';
	return runs;
}

/*
 * One pass of audit_mask(): how many runs it replaced, or -1 when the field
 * decodes too deep (out is then AUDIT_MASK_TOO_DEEP).
 */
static int
audit_mask_round(const char *in, char out[AUDIT_FIELD_MAX])
{
	struct audit_mask_text t[2];
	struct audit_mask_marks p;
	uint8_t kind[AUDIT_MASK_IN_MAX];
	char raw[AUDIT_MASK_IN_MAX], masked[AUDIT_MASK_IN_MAX + 1];
	size_t i, n, level, runs = 0;
	int cur = 0;

	/* Copied first: in may be out, and the decodings take turns in t[]. */
	in = in != NULL ? in : "";
	n = strnlen(in, sizeof(raw));
	memcpy(raw, in, n);
	memcpy(t[0].s, raw, n);
	t[0].n = n;
	for (i = 0; i < n; i++) {
		t[0].from[i] = (uint16_t)i;
		t[0].to[i] = (uint16_t)(i + 1);
	}
	memset(kind, MASK_KEEP, sizeof(kind));
	for (level = 0; level <= AUDIT_MASK_DECODES_MAX; level++) {
		p = (struct audit_mask_marks){ &t[cur], kind };
		audit_mask_tokens(&p);
		(void)card_text_scan(t[cur].s, t[cur].n, audit_mask_card, &p);
		if (!audit_mask_decode(&t[cur], &t[1 - cur]))
			break;
		cur = 1 - cur;
	}
	if (level > AUDIT_MASK_DECODES_MAX) {
		audit_field_clean(out, AUDIT_MASK_TOO_DEEP);
	} else {
		runs = audit_mask_write(raw, n, kind, masked, sizeof(masked));
		audit_field_clean(out, masked);
	}
	secmem_wipe(t, sizeof(t));
	secmem_wipe(raw, sizeof(raw));
	secmem_wipe(masked, sizeof(masked));
	return level > AUDIT_MASK_DECODES_MAX ? -1 : (int)(runs > 0);
}

void
audit_mask(const char *in, char out[AUDIT_FIELD_MAX])
{
	char next[AUDIT_FIELD_MAX];
	int passes;

	/*
	 * Again until a pass changes nothing: cutting the field to fit, or taking
	 * a card number out of a run of more than 19 digits (which is not
	 * examined), can leave a shorter run that joins its neighbours into a
	 * new card number.
	 */
	if (audit_mask_round(in, out) < 0)
		return;
	for (passes = 1; passes < AUDIT_MASK_PASSES_MAX; passes++) {
		if (audit_mask_round(out, next) < 0 || strcmp(next, out) == 0) {
			memcpy(out, next, sizeof(next));
			return;
		}
		memcpy(out, next, sizeof(next));
	}
	audit_field_clean(out, AUDIT_MASK_TOO_DEEP);
}
