/* Card numbers; see card.h. */
#include "store/card.h"

#include <stdint.h>
#include <string.h>
#include "store/card_digits.h"
#include "secmem.h"

/* Locale-independent: isdigit() may accept more than '0'..'9'. */
static int
card_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
card_is_sep(char c)
{
	return c == ' ' || c == '-';
}

int
card_luhn_valid(const char *digits, size_t n)
{
	unsigned sum = 0, d;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!card_is_digit(digits[n - 1 - i]))
			return 0;
		d = (unsigned)(digits[n - 1 - i] - '0');
		/* Every second digit from the right is doubled. */
		if (i % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return sum % 10 == 0;
}

/* Integer value of the first k digits (k <= 6, n >= k). */
static unsigned
card_prefix(const char *digits, size_t k)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < k; i++)
		v = v * 10 + (unsigned)(digits[i] - '0');
	return v;
}

static int
card_in(unsigned v, unsigned lo, unsigned hi)
{
	return v >= lo && v <= hi;
}

const char *
card_brand(const char *digits, size_t n)
{
	unsigned p1, p2, p3, p4, p6;

	if (n < CARD_PAN_MIN || n > CARD_PAN_MAX)
		return "unknown";
	p1 = card_prefix(digits, 1);
	p2 = card_prefix(digits, 2);
	p3 = card_prefix(digits, 3);
	p4 = card_prefix(digits, 4);
	p6 = card_prefix(digits, 6);
	if ((p2 == 34 || p2 == 37) && n == 15)
		return "amex";
	if (p1 == 4 && (n == 13 || n == 16 || n == 19))
		return "visa";
	if ((card_in(p2, 51, 55) || card_in(p4, 2221, 2720)) && n == 16)
		return "mastercard";
	if (n < 14)
		return "unknown";
	if (card_in(p3, 300, 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
		return "diners";
	if (n < 16)
		return "unknown";
	if (card_in(p4, 3528, 3589))
		return "jcb";
	/* Discover's 622126-622925 sits inside UnionPay's 62: test it first. */
	if (p4 == 6011 || card_in(p6, 622126, 622925) || card_in(p3, 644, 649) || p2 == 65)
		return "discover";
	if (p2 == 62 || p2 == 81)
		return "unionpay";
	return "unknown";
}

int
card_mask(const char *digits, size_t n, char *out, size_t out_size)
{
	size_t i;

	if (n < CARD_PAN_MIN || n > CARD_PAN_MAX || out_size < n + 1)
		return -1;
	for (i = 0; i < n; i++) {
		if (!card_is_digit(digits[i]))
			return -1;
		out[i] = (i < 6 || i >= n - 4) ? digits[i] : '*';
	}
	out[n] = '\0';
	return 0;
}

/*
 * Room for the longest card number plus a 4-digit CVV, so that "number then
 * CVV" can be told apart from "too many digits" and get its own message.
 */
#define CARD_COLLECT_MAX (CARD_PAN_MAX + 4)

/*
 * Split the input into digits, checking the separator rules. *groups counts
 * digit groups and *last_group is the length of the last one.
 */
static int
card_collect(const char *in, size_t in_len, char out[static CARD_COLLECT_MAX], size_t *n,
    size_t *groups, size_t *last_group, struct bos_err *err)
{
	size_t i, run = 0;

	*n = *groups = *last_group = 0;
	for (i = 0; i < in_len; i++) {
		if (card_is_digit(in[i])) {
			if (*n == CARD_COLLECT_MAX)
				return bos_err_set(err, BOS_E_INVALID,
				    "card number must have 13 to 19 digits");
			if (run++ == 0)
				(*groups)++;
			out[(*n)++] = in[i];
			continue;
		}
		if (!card_is_sep(in[i]))
			return bos_err_set(err, BOS_E_INVALID, "card number may contain only "
			    "digits, with single spaces or dashes between groups");
		if (run == 0 || i + 1 == in_len || !card_is_digit(in[i + 1]))
			return bos_err_set(err, BOS_E_INVALID, "card number may use a single "
			    "space or dash only between digits");
		run = 0;
	}
	*last_group = run;
	return 0;
}

/*
 * "4111 1111 1111 1111 123" is 19 digits and may even pass Luhn, but it is a
 * number with its CVV appended: a last group of 3 or 4 digits after a valid
 * card number. Refuse it rather than store a CVV.
 */
static int
card_has_cvv_tail(const char *d, size_t n, size_t groups, size_t last)
{
	return groups > 1 && (last == 3 || last == 4) && n - last >= CARD_PAN_MIN &&
	    n - last <= CARD_PAN_MAX && card_luhn_valid(d, n - last);
}

int
card_normalise(const char *in, size_t in_len, char out[static CARD_PAN_MAX + 1],
    size_t *out_len, struct bos_err *err)
{
	char d[CARD_COLLECT_MAX];
	size_t n = 0, groups = 0, last = 0;
	int r = -1;

	*out_len = 0;
	memset(out, 0, CARD_PAN_MAX + 1);
	if (in_len > CARD_INPUT_MAX) {
		bos_err_set(err, BOS_E_INVALID, "card number is too long: send its 13 to 19 "
		    "digits only");
		goto out;
	}
	if (card_collect(in, in_len, d, &n, &groups, &last, err) != 0)
		goto out;
	if (card_has_cvv_tail(d, n, groups, last)) {
		bos_err_set(err, BOS_E_INVALID, "card number looks like a card number followed "
		    "by a CVV/CVC, which is never stored (PCI DSS 3.3.1.2): send the card "
		    "number only (without separators if it really is one 19-digit number)");
		goto out;
	}
	if (n < CARD_PAN_MIN || n > CARD_PAN_MAX) {
		bos_err_set(err, BOS_E_INVALID, "card number must have 13 to 19 digits");
		goto out;
	}
	if (!card_luhn_valid(d, n)) {
		bos_err_set(err, BOS_E_INVALID, "card number fails the Luhn check: check it "
		    "for a typo");
		goto out;
	}
	memcpy(out, d, n);
	*out_len = n;
	/* success */
	r = 0;
 out:
	secmem_wipe(d, sizeof(d));
	return r;
}

/* Code points a key may hold between letters that a reader does not see: skipped. */
static int
card_key_blank(uint32_t cp)
{
	return cp == 0x00a0 || cp == 0x00ad || cp == 0x180e || (cp >= 0x2000 && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202f) || (cp >= 0x205f && cp <= 0x2064) || cp == 0x3000 ||
	    cp == 0xfeff || cp == 0xff3f /* full-width _ */ || cp == 0xff0d /* - */ ||
	    cp == 0xff0e /* . */;
}

/*
 * One UTF-8 code point of a NUL-terminated string (jansson hands us valid
 * UTF-8; anything else is one byte of its own). Advances *p past it.
 */
static uint32_t
card_key_cp(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	size_t n = 1, i;
	uint32_t cp = s[0];

	if (s[0] >= 0xc0 && s[0] < 0xe0)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] < 0xf0)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] < 0xf8)
		n = 4, cp = s[0] & 0x07;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p += 1;
			return 0xfffd;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*p += n;
	return cp;
}

/*
 * Yield the next character of key as card_key_is_cvv() compares it:
 * lowercased, full-width forms (U+FF01..FF5E, as CJK input methods type
 * them) folded to ASCII, separators and invisible characters skipped.
 * Returns '\0' at the end, and 0x7f for any other character.
 */
static char
card_key_next(const char **p)
{
	uint32_t cp;

	while (**p != '\0') {
		cp = card_key_cp(p);
		if (cp >= 0xff01 && cp <= 0xff5e)
			cp -= 0xfee0;
		if (cp == '_' || cp == '-' || cp == '.' || cp == ' ' || card_key_blank(cp))
			continue;
		if (cp >= 0x80)
			return 0x7f;
		return (cp >= 'A' && cp <= 'Z') ? (char)(cp - 'A' + 'a') : (char)cp;
	}
	return '\0';
}

/* Does the normalised form of s, from its start, begin with (or equal) pat? */
static int
card_key_match(const char *s, const char *pat, int whole)
{
	char c;

	for (; *pat != '\0'; pat++)
		if (card_key_next(&s) != *pat)
			return 0;
	if (!whole)
		return 1;
	c = card_key_next(&s);
	return c == '\0';
}

int
card_key_is_cvv(const char *key)
{
	static const char *const exact[] = {
		"cid", "csc", "cvd", "cvn", "cvn2", "cav2", "cardcode",
	};
	static const char *const contains[] = {
		"cvv", "cvc", "securitycode", "cardverification",
	};
	const char *p;
	size_t i;

	if (key == NULL)
		return 0;
	for (i = 0; i < BOS_ARRAY_LEN(exact); i++)
		if (card_key_match(key, exact[i], 1))
			return 1;
	/* Try every starting point, so "card_cvv" and "CVV-2" both match. */
	for (p = key; *p != '\0'; (void)card_key_cp(&p))
		for (i = 0; i < BOS_ARRAY_LEN(contains); i++)
			if (card_key_match(p, contains[i], 0))
				return 1;
	return 0;
}

/* ---- card numbers in free text ---------------------------------------------------- */

/*
 * Value 0..9 of a code point that Unicode gives a decimal digit value (ASCII,
 * Arabic-Indic, Devanagari, full-width, mathematical, superscript, circled
 * and the rest of card_digits.h), else -1.
 */
static int
card_cp_digit(uint32_t cp)
{
	size_t lo = 0, hi = BOS_ARRAY_LEN(card_digit_runs), mid;

	if (cp < 0x80)
		return cp >= '0' && cp <= '9' ? (int)(cp - '0') : -1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < card_digit_runs[mid].first)
			hi = mid;
		else if (cp - card_digit_runs[mid].first >= card_digit_runs[mid].count)
			lo = mid + 1;
		else
			return card_digit_runs[mid].value + (int)(cp - card_digit_runs[mid].first);
	}
	return -1;
}

/*
 * Only ASCII letters end a number. Any other character that is not a digit
 * separates groups: punctuation, symbols, spaces and controls of any
 * script, invisible format characters, combining marks, and letters of other
 * scripts too, since some of those are blank (U+3164 HANGUL FILLER) and would
 * otherwise hide a card number in plain sight.
 */
static int
card_cp_letter(uint32_t cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
}

/*
 * Decode the UTF-8 character at s[*pos] (n bytes in all) and move past it.
 * A byte that does not start a valid character (a stray continuation byte,
 * an overlong form, a surrogate, a cut sequence) is taken alone as U+FFFD,
 * which separates like any other symbol.
 */
static uint32_t
card_utf8_next(const unsigned char *s, size_t n, size_t *pos)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t i = *pos, len, k;
	uint32_t cp;

	*pos = i + 1;
	if (s[i] < 0x80)
		return s[i];
	if (s[i] >= 0xc2 && s[i] <= 0xdf)
		len = 2;
	else if (s[i] >= 0xe0 && s[i] <= 0xef)
		len = 3;
	else if (s[i] >= 0xf0 && s[i] <= 0xf4)
		len = 4;
	else
		return 0xfffd;
	if (n - i < len)
		return 0xfffd;
	cp = s[i] & (0x7fu >> len);
	for (k = 1; k < len; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			return 0xfffd;
		cp = cp << 6 | (s[i + k] & 0x3fu);
	}
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	*pos = i + len;
	return cp;
}

/* What stands between a group of digits and the group before it. */
enum card_join {
	CARD_JOIN_NONE,   /* nothing before it, or a letter: the group starts a new stretch */
	CARD_JOIN_PLAIN,  /* exactly one ASCII space or dash, as card numbers are usually written */
	CARD_JOIN_OTHER,  /* any other run of characters that are neither letters nor digits */
};

/* One maximal run of digits, of any script, as ASCII. */
struct card_group {
	char d[CARD_PAN_MAX];  /* its digits, when n <= CARD_PAN_MAX */
	size_t n;              /* how many digits it has (it may have more than CARD_PAN_MAX) */
	size_t start, end;     /* byte offsets of its first digit and just past its last */
	enum card_join join;
	int after_plus;        /* right after a '+', as a phone number starts */
};

/*
 * The normaliser: find the next group of digits in s[*pos..n), read as
 * ASCII digits, and what separates it from the group before. 1 when a group
 * was found, 0 at the end of the text.
 */
static int
card_group_next(const unsigned char *s, size_t n, size_t *pos, struct card_group *g)
{
	size_t i = *pos, at = i, seps = 0;
	int v = -1, letter = 0, plain = 0;
	uint32_t cp, prev = 0;

	while (i < n && v < 0) {
		at = i;
		cp = card_utf8_next(s, n, &i);
		if ((v = card_cp_digit(cp)) >= 0)
			break;
		letter |= card_cp_letter(cp);
		plain = seps++ == 0 && (cp == ' ' || cp == '-');
		prev = cp;
	}
	if (v < 0) {
		*pos = n;
		return 0;
	}
	g->join = (letter || seps == 0) ? CARD_JOIN_NONE : (seps == 1 && plain) ?
	    CARD_JOIN_PLAIN : CARD_JOIN_OTHER;
	g->start = at;
	g->after_plus = prev == '+';
	g->n = 0;
	for (;;) {
		if (g->n < CARD_PAN_MAX)
			g->d[g->n] = (char)('0' + v);
		g->n++;
		g->end = i;
		at = i;
		if (i >= n || (v = card_cp_digit(card_utf8_next(s, n, &at))) < 0)
			break;
		i = at;
	}
	/* The character after the group is read again, as a separator. */
	*pos = g->end;
	return 1;
}

/*
 * Does a number of n digits start with the issuer prefix of a card network
 * in use (ISO/IEC 7812)? Lengths are not checked, except for UATP, whose
 * leading 1 is also how most dates and counts start.
 */
static int
card_issuer_known(const char *d, size_t n)
{
	static const struct {
		unsigned digits, lo, hi;
	} iin[] = {
		{ 4, 2200, 2204 },  /* Mir */
		{ 4, 2221, 2720 },  /* Mastercard 2-series */
		{ 3, 300, 305 }, { 4, 3095, 3095 }, { 2, 36, 36 }, { 2, 38, 39 },  /* Diners */
		{ 2, 34, 34 }, { 2, 37, 37 },  /* American Express */
		{ 4, 3528, 3589 },  /* JCB */
		{ 1, 4, 6 },        /* Visa; Mastercard, Maestro; Discover, UnionPay, RuPay ... */
		{ 2, 81, 82 },      /* UnionPay, RuPay */
		{ 4, 9792, 9792 },  /* Troy */
	};
	unsigned p;
	size_t i;

	if (d[0] == '1')
		return n == 15;     /* UATP */
	for (i = 0; i < BOS_ARRAY_LEN(iin); i++) {
		p = card_prefix(d, iin[i].digits);
		if (card_in(p, iin[i].lo, iin[i].hi))
			return 1;
	}
	return 0;
}

/* The groups a card number that ends at the latest one could be made of. */
struct card_window {
	struct card_group g[CARD_PAN_MAX];  /* every group has at least one digit */
	size_t count, digits;
};

static void
card_window_push(struct card_window *w, const struct card_group *g)
{
	while (w->count > 0 && w->digits + g->n > CARD_PAN_MAX) {
		w->digits -= w->g[0].n;
		memmove(&w->g[0], &w->g[1], --w->count * sizeof(w->g[0]));
	}
	w->g[w->count++] = *g;
	w->digits += g->n;
}

/*
 * Report each card number that ends with the latest group: whole groups of
 * 13 to 19 digits in all that pass Luhn and are either written plainly (one
 * group, or groups joined by single spaces or dashes, not after a '+') or
 * start with a known issuer prefix. 1 when found() asked to stop.
 */
static int
card_window_check(const struct card_window *w, card_found_fn found, void *arg, size_t *hits)
{
	char d[CARD_PAN_MAX];
	size_t k = w->count, j, o, total = 0, last = w->count - 1;
	int plain = 1, stop = 0;

	while (k-- > 0 && !stop) {
		total += w->g[k].n;
		if (k < last)
			plain &= w->g[k + 1].join == CARD_JOIN_PLAIN;
		if (total < CARD_PAN_MIN)
			continue;
		for (j = k, o = 0; j <= last; o += w->g[j++].n)
			memcpy(d + o, w->g[j].d, w->g[j].n);
		/* After a '+' ("+86 138 0013 8002") it is a phone number unless the prefix says not. */
		if (!card_luhn_valid(d, total) ||
		    !((plain && !w->g[k].after_plus) || card_issuer_known(d, total)))
			continue;
		(*hits)++;
		stop = found != NULL && found(w->g[k].start, w->g[last].end, arg) != 0;
	}
	secmem_wipe(d, sizeof(d));
	return stop;
}

size_t
card_text_scan(const char *text, size_t n, card_found_fn found, void *arg)
{
	struct card_window w;
	struct card_group g;
	size_t pos = 0, hits = 0;

	if (text == NULL)
		return 0;
	memset(&w, 0, sizeof(w));
	while (card_group_next((const unsigned char *)text, n, &pos, &g)) {
		if (g.join == CARD_JOIN_NONE || g.n > CARD_PAN_MAX)
			w.count = w.digits = 0;
		/* A run of more digits than a card number has is not one, nor part of one. */
		if (g.n > CARD_PAN_MAX)
			continue;
		card_window_push(&w, &g);
		if (card_window_check(&w, found, arg, &hits) != 0)
			break;
	}
	secmem_wipe(&w, sizeof(w));
	secmem_wipe(&g, sizeof(g));
	return hits;
}

static int
card_found_stop(size_t start, size_t end, void *arg)
{
	(void)start;
	(void)end;
	(void)arg;
	return 1;
}

int
card_text_has_pan(const char *s)
{
	return s != NULL && card_text_scan(s, strlen(s), card_found_stop, NULL) > 0;
}
