/*
 * Resource patterns: matching a path, and comparing two patterns for the
 * narrowing check (covers, overlaps). See policy.h and docs/POLICY.md.
 *
 * A pattern is a list of segments separated by '/'. In a segment '*' stands
 * for any run of characters but '/', so "*" alone is any one segment; "**"
 * as the whole last segment stands for one or more further segments. Paths
 * are patterns without stars.
 *
 * Every function here is linear in its inputs (up to the cost of memmem,
 * which glibc implements with the linear two-way algorithm): a segment is
 * matched against the same segment of the path only, and within a segment
 * the chunks between stars are found leftmost and never retried, which is
 * exact for star-only globs. No input can make them backtrack.
 */
#include "policy_int.h"

#include <string.h>

/* One segment of a pattern or path: s[0..n), no '/'. */
struct glob_seg {
	const char *s;
	size_t n;
};

/* Walks the segments of a checked pattern or path. */
struct glob_iter {
	const char *s;
	size_t n, pos;
	int done;
};

/* A checked pattern's shape: k fixed segments, then "**" when starstar. */
struct glob_shape {
	size_t k;
	int starstar;
};

int
policy_glob_char(char c)
{
	/* Credential names may contain spaces (vault/store/cred.c), so paths may too. */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_' || c == '-' || c == ' ';
}

const char *
policy_glob_strerror(enum policy_glob_err e)
{
	switch (e) {
	case POLICY_GLOB_OK:
		return "no error";
	case POLICY_GLOB_EMPTY:
		return "empty pattern";
	case POLICY_GLOB_TOO_LONG:
		return "pattern too long";
	case POLICY_GLOB_EMPTY_SEGMENT:
		return "empty segment (a leading, trailing or doubled '/')";
	case POLICY_GLOB_BAD_CHAR:
		return "invalid character (expected letters, digits, . _ - space, * and /)";
	case POLICY_GLOB_DOT_SEGMENT:
		return "'.' and '..' are not valid segments";
	case POLICY_GLOB_STARSTAR_NOT_LAST:
		return "'**' may only be the last segment";
	case POLICY_GLOB_STARSTAR_PART:
		return "'**' must be a whole segment";
	case POLICY_GLOB_STAR_IN_PATH:
		return "'*' is not allowed in a path";
	}
	return "invalid pattern";
}

/* Check one segment s[0..n) that starts at offset base; last: nothing follows. */
static enum policy_glob_err
glob_check_seg(const char *s, size_t n, size_t base, int stars, int last, size_t *at)
{
	size_t i;

	*at = base;
	if (n == 0)
		return POLICY_GLOB_EMPTY_SEGMENT;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return POLICY_GLOB_DOT_SEGMENT;
	if (stars && n == 2 && s[0] == '*' && s[1] == '*')
		return last ? POLICY_GLOB_OK : POLICY_GLOB_STARSTAR_NOT_LAST;
	for (i = 0; i < n; i++) {
		*at = base + i;
		if (s[i] == '*' && !stars)
			return POLICY_GLOB_STAR_IN_PATH;
		if (s[i] == '*' && i + 1 < n && s[i + 1] == '*')
			return POLICY_GLOB_STARSTAR_PART;
		if (s[i] != '*' && !policy_glob_char(s[i]))
			return POLICY_GLOB_BAD_CHAR;
	}
	return POLICY_GLOB_OK;
}

enum policy_glob_err
policy_glob_check(const char *s, size_t n, int stars, size_t *at)
{
	enum policy_glob_err e;
	const char *slash;
	size_t pos = 0, len;

	*at = 0;
	if (s == NULL || n == 0)
		return POLICY_GLOB_EMPTY;
	if (n > POLICY_PATTERN_MAX) {
		*at = POLICY_PATTERN_MAX;
		return POLICY_GLOB_TOO_LONG;
	}
	for (;;) {
		slash = memchr(s + pos, '/', n - pos);
		len = slash != NULL ? (size_t)(slash - (s + pos)) : n - pos;
		if ((e = glob_check_seg(s + pos, len, pos, stars, slash == NULL, at)) != POLICY_GLOB_OK)
			return e;
		if (slash == NULL)
			return POLICY_GLOB_OK;
		pos += len + 1;
	}
}

/* Length of a NUL-terminated pattern or path, or 0 when NULL or too long. */
static size_t
glob_len(const char *s)
{
	size_t n;

	if (s == NULL || (n = strnlen(s, POLICY_PATTERN_MAX + 1)) > POLICY_PATTERN_MAX)
		return 0;
	return n;
}

/* n > 0 when s is a valid pattern (stars 1) or path (stars 0); else 0. */
static size_t
glob_valid_len(const char *s, int stars)
{
	size_t n = glob_len(s), at;

	if (n == 0 || policy_glob_check(s, n, stars, &at) != POLICY_GLOB_OK)
		return 0;
	return n;
}

static void
glob_iter_init(struct glob_iter *it, const char *s, size_t n)
{
	it->s = s;
	it->n = n;
	it->pos = 0;
	it->done = 0;
}

/* The next segment; 0 when there is none. */
static int
glob_iter_next(struct glob_iter *it, struct glob_seg *seg)
{
	const char *slash;

	if (it->done)
		return 0;
	slash = memchr(it->s + it->pos, '/', it->n - it->pos);
	seg->s = it->s + it->pos;
	seg->n = slash != NULL ? (size_t)(slash - seg->s) : it->n - it->pos;
	if (slash == NULL)
		it->done = 1;
	else
		it->pos += seg->n + 1;
	return 1;
}

static int
glob_is_starstar(const struct glob_seg *g)
{
	return g->n == 2 && g->s[0] == '*' && g->s[1] == '*';
}

static void
glob_shape(const char *s, size_t n, struct glob_shape *sh)
{
	struct glob_iter it;
	struct glob_seg g;

	sh->k = 0;
	sh->starstar = 0;
	glob_iter_init(&it, s, n);
	while (glob_iter_next(&it, &g)) {
		if (glob_is_starstar(&g))
			sh->starstar = 1;
		else
			sh->k++;
	}
}

static int
glob_has_star(const struct glob_seg *g)
{
	return memchr(g->s, '*', g->n) != NULL;
}

/* Length of the part before the first star (the whole segment without one). */
static size_t
glob_head(const struct glob_seg *g)
{
	const char *star = memchr(g->s, '*', g->n);

	return star != NULL ? (size_t)(star - g->s) : g->n;
}

/* Length of the part after the last star. */
static size_t
glob_tail(const struct glob_seg *g)
{
	const char *star = memrchr(g->s, '*', g->n);

	return star != NULL ? g->n - (size_t)(star - g->s) - 1 : g->n;
}

/*
 * Does the glob segment p match the text t? Any character of t but '*' must
 * be matched literally, and a '*' in t only by a star of p: so when t is a
 * pattern segment itself, a match means p matches everything t can (covers).
 */
static int
glob_seg_match(const struct glob_seg *p, const struct glob_seg *t)
{
	size_t head, tail, pos, end, i, j;
	const char *hit;

	if (!glob_has_star(p))
		return p->n == t->n && memcmp(p->s, t->s, p->n) == 0; /* not secret */
	head = glob_head(p);
	tail = glob_tail(p);
	/* head + tail < p->n <= POLICY_PATTERN_MAX: no overflow. */
	if (head + tail > t->n || memcmp(p->s, t->s, head) != 0 || /* not secret */
	    memcmp(p->s + p->n - tail, t->s + t->n - tail, tail) != 0) /* not secret */
		return 0;
	/* The chunks between the first and the last star, leftmost first. */
	pos = head;
	end = t->n - tail;
	for (i = head + 1; i < p->n - tail; i = j + 1) {
		for (j = i; p->s[j] != '*'; j++)
			;
		if (j == i)
			continue;
		if ((hit = memmem(t->s + pos, end - pos, p->s + i, j - i)) == NULL)
			return 0;
		pos = (size_t)(hit - t->s) + (j - i);
	}
	return 1;
}

/* Is one of a and b a prefix (suffix when at_end) of the other? */
static int
glob_compatible(const char *a, size_t an, const char *b, size_t bn, int at_end)
{
	size_t n = an < bn ? an : bn;

	if (at_end)
		return memcmp(a + an - n, b + bn - n, n) == 0; /* not secret */
	return memcmp(a, b, n) == 0; /* not secret */
}

/*
 * Can some segment match both globs? Exact: when both have a star, the
 * longer head, then every middle chunk of both, then a filler letter, then
 * the longer tail is matched by both, so only the heads and the tails can
 * conflict.
 */
static int
glob_seg_overlaps(const struct glob_seg *a, const struct glob_seg *b)
{
	if (!glob_has_star(a))
		return glob_seg_match(b, a);
	if (!glob_has_star(b))
		return glob_seg_match(a, b);
	return glob_compatible(a->s, glob_head(a), b->s, glob_head(b), 0) &&
	    glob_compatible(a->s + a->n - glob_tail(a), glob_tail(a),
	    b->s + b->n - glob_tail(b), glob_tail(b), 1);
}

int
policy_pattern_valid(const char *pattern)
{
	return glob_valid_len(pattern, 1) != 0;
}

int
policy_match(const char *pattern, const char *path)
{
	struct glob_iter pi, ti;
	struct glob_seg pg, tg;
	size_t pn = glob_valid_len(pattern, 1), tn = glob_valid_len(path, 0);

	if (pn == 0 || tn == 0)
		return 0;
	glob_iter_init(&pi, pattern, pn);
	glob_iter_init(&ti, path, tn);
	while (glob_iter_next(&pi, &pg)) {
		if (!glob_iter_next(&ti, &tg))
			return 0;
		/* "**" is last and has just taken one segment: any more are its too. */
		if (glob_is_starstar(&pg))
			return 1;
		if (!glob_seg_match(&pg, &tg))
			return 0;
	}
	return !glob_iter_next(&ti, &tg);
}

/* The first k segments of a cover (seg_match) or overlap those of b. */
static int
glob_prefix_pairs(const char *a, size_t an, const char *b, size_t bn, size_t k, int covers)
{
	struct glob_iter ai, bi;
	struct glob_seg ag, bg;
	size_t i;

	glob_iter_init(&ai, a, an);
	glob_iter_init(&bi, b, bn);
	for (i = 0; i < k; i++) {
		if (!glob_iter_next(&ai, &ag) || !glob_iter_next(&bi, &bg))
			return 0;
		if (covers ? !glob_seg_match(&ag, &bg) : !glob_seg_overlaps(&ag, &bg))
			return 0;
	}
	return 1;
}

int
policy_pattern_covers(const char *outer, const char *inner)
{
	struct glob_shape o, in;
	size_t on = glob_valid_len(outer, 1), inn = glob_valid_len(inner, 1);

	if (on == 0 || inn == 0)
		return 0;
	glob_shape(outer, on, &o);
	glob_shape(inner, inn, &in);
	if (!o.starstar) {
		/* A fixed number of segments cannot hold what "**" can reach. */
		if (in.starstar || in.k != o.k)
			return 0;
	} else {
		/*
		 * outer needs more than o.k segments: inner's fixed segments must
		 * reach past them, or its "**" (one or more) must start after them.
		 */
		if (in.k < o.k || (in.k == o.k && !in.starstar))
			return 0;
	}
	return glob_prefix_pairs(outer, on, inner, inn, o.k, 1);
}

int
policy_pattern_overlaps(const char *a, const char *b)
{
	struct glob_shape as, bs;
	size_t an = glob_valid_len(a, 1), bn = glob_valid_len(b, 1);

	if (an == 0 || bn == 0)
		return 1;
	glob_shape(a, an, &as);
	glob_shape(b, bn, &bs);
	/* Without "**" a pattern has one length; "**" reaches any longer one. */
	if (!as.starstar && !bs.starstar && as.k != bs.k)
		return 0;
	if (as.starstar && !bs.starstar && bs.k <= as.k)
		return 0;
	if (bs.starstar && !as.starstar && as.k <= bs.k)
		return 0;
	return glob_prefix_pairs(a, an, b, bn, as.k < bs.k ? as.k : bs.k, 0);
}
