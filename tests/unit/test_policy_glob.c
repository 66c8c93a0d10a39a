/*
 * Unit tests for policy/policy_glob.c and policy/policy_cidr.c: pattern
 * matching, covers and overlaps (tables, then every pair of a small universe
 * of patterns against a simple reference matcher), adversarial inputs that
 * would make a backtracking matcher take exponential time, and IPv4/IPv6
 * networks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "policy.h"
#include "policy_int.h"

/* ---- a reference matcher: plain recursion, obviously right, slow ---- */

static int
ref_seg(const char *p, size_t pn, const char *t, size_t tn)
{
	size_t k;

	if (pn == 0)
		return tn == 0;
	if (p[0] == '*') {
		for (k = 0; k <= tn; k++)
			if (ref_seg(p + 1, pn - 1, t + k, tn - k))
				return 1;
		return 0;
	}
	return tn > 0 && p[0] == t[0] && ref_seg(p + 1, pn - 1, t + 1, tn - 1);
}

/* pattern and path are valid here; "**" as the last segment takes one or more. */
static int
ref_match(const char *p, const char *t)
{
	const char *ps = strchr(p, '/'), *ts = strchr(t, '/');
	size_t pn = ps ? (size_t)(ps - p) : strlen(p), tn = ts ? (size_t)(ts - t) : strlen(t);

	if (strcmp(p, "**") == 0)
		return 1;
	if (!ref_seg(p, pn, t, tn))
		return 0;
	if (ps == NULL || ts == NULL)
		return ps == NULL && ts == NULL;
	return ref_match(ps + 1, ts + 1);
}

/* ---- tables ---- */

struct match_case {
	const char *pattern, *path;
	int want;
};

static const struct match_case match_cases[] = {
	{ "credentials/sendgrid/main", "credentials/sendgrid/main", 1 },
	{ "credentials/sendgrid/main", "credentials/sendgrid/mains", 0 },
	{ "credentials/sendgrid/main", "credentials/sendgrid", 0 },
	{ "credentials/sendgrid/main", "credentials/sendgrid/main/x", 0 },
	{ "credentials/*/main", "credentials/sendgrid/main", 1 },
	{ "credentials/*/main", "credentials/main", 0 },
	{ "credentials/*", "credentials/sendgrid/main", 0 },
	{ "credentials/*/*", "credentials/sendgrid/main", 1 },
	{ "credentials/**", "credentials/sendgrid/main", 1 },
	{ "credentials/**", "credentials/a", 1 },
	{ "credentials/**", "credentials", 0 },
	{ "credentials/**", "credentialsx/a", 0 },
	{ "**", "audit", 1 },
	{ "**", "credentials/a/b/c/d", 1 },
	{ "audit", "audit", 1 },
	{ "audit", "Audit", 0 },
	{ "credentials/send*/main", "credentials/sendgrid/main", 1 },
	{ "credentials/send*/main", "credentials/send/main", 1 },
	{ "credentials/send*/main", "credentials/sen/main", 0 },
	{ "credentials/*grid/main", "credentials/sendgrid/main", 1 },
	{ "credentials/*grid/main", "credentials/grid/main", 1 },
	{ "credentials/*grid/main", "credentials/gridx/main", 0 },
	{ "credentials/s*d*d/main", "credentials/sendgrid/main", 1 },
	{ "credentials/s*d*d/main", "credentials/sdd/main", 1 },
	{ "credentials/s*d*d/main", "credentials/sd/main", 0 },
	{ "credentials/a*a/x", "credentials/a/x", 0 },
	{ "credentials/a*a/x", "credentials/aa/x", 1 },
	{ "credentials/*a*/x", "credentials/bab/x", 1 },
	{ "credentials/*a*/x", "credentials/bbb/x", 0 },
	{ "credentials/sendgrid/main key", "credentials/sendgrid/main key", 1 },
	{ "credentials/sendgrid/main*key", "credentials/sendgrid/main key", 1 },
	/* Stars never cross a '/'. */
	{ "credentials/*", "credentials/a/b", 0 },
	{ "credentials/a*b", "credentials/a/b", 0 },
	/* Malformed paths and patterns match nothing. */
	{ "credentials/**", "credentials//a", 0 },
	{ "credentials/**", "credentials/a/", 0 },
	{ "credentials/**", "/credentials/a", 0 },
	{ "credentials/**", "credentials/../audit", 0 },
	{ "credentials/**", "credentials/./a", 0 },
	{ "credentials/**", "credentials/a*", 0 },
	{ "credentials/**", "credentials/a\tb", 0 },
	{ "credentials/**", "credentials/a\nb", 0 },
	{ "credentials/**", "credentials/\xc3\xa9", 0 },
	{ "credentials/**", "", 0 },
	{ "credentials/**/x", "credentials/a/x", 0 },
	{ "credentials/a**", "credentials/a", 0 },
	{ "", "", 0 },
	{ "credentials/*/", "credentials/a/", 0 },
};

struct pair_case {
	const char *a, *b;
	int want;
};

/* policy_pattern_covers(a = outer, b = inner). */
static const struct pair_case covers_cases[] = {
	{ "credentials/**", "credentials/**", 1 },
	{ "credentials/**", "credentials/sendgrid/*", 1 },
	{ "credentials/**", "credentials/sendgrid/main", 1 },
	{ "credentials/**", "credentials/*/**", 1 },
	{ "credentials/**", "credentials", 0 },
	{ "credentials/**", "**", 0 },
	{ "credentials/**", "*/**", 0 },
	{ "credentials/**", "credentials*/x", 0 },
	{ "credentials/*/**", "credentials/**", 0 },
	{ "credentials/*/**", "credentials/a/**", 1 },
	{ "credentials/*/**", "credentials/a", 0 },
	{ "credentials/*/**", "credentials/a/b", 1 },
	{ "**", "credentials/**", 1 },
	{ "**", "audit", 1 },
	{ "**", "**", 1 },
	{ "credentials/*", "credentials/**", 0 },
	{ "credentials/*", "credentials/*", 1 },
	{ "credentials/*", "credentials/send*", 1 },
	{ "credentials/send*", "credentials/*", 0 },
	{ "credentials/send*", "credentials/sendgrid", 1 },
	{ "credentials/send*", "credentials/send*x", 1 },
	{ "credentials/send*", "credentials/sen*", 0 },
	{ "credentials/*grid", "credentials/send*grid", 1 },
	{ "credentials/*a*", "credentials/*a*a*", 1 },
	{ "credentials/*a*a*", "credentials/*a*", 0 },
	{ "credentials/a*b", "credentials/a*b", 1 },
	{ "credentials/a*b", "credentials/ab*b", 1 },
	{ "credentials/a*b", "credentials/a*", 0 },
	{ "credentials/sendgrid/main", "credentials/sendgrid/main", 1 },
	{ "credentials/sendgrid/main", "credentials/sendgrid/*", 0 },
	{ "credentials/sendgrid/main", "credentials/sendgrid/mai", 0 },
	{ "credentials/x/y", "credentials/x", 0 },
	/* Malformed: never covers. */
	{ "credentials/**", "credentials//a", 0 },
	{ "credentials//**", "credentials/a", 0 },
	{ "credentials/**", "", 0 },
	{ "", "", 0 },
	{ "credentials/**", "credentials/**/a", 0 },
};

static const struct pair_case overlaps_cases[] = {
	{ "credentials/**", "credentials/a", 1 },
	{ "credentials/**", "credentials", 0 },
	{ "credentials/**", "helpers/**", 0 },
	{ "credentials/**", "**", 1 },
	{ "credentials/*/card", "credentials/payments/*", 1 },
	{ "credentials/*/card", "credentials/payments/key", 0 },
	{ "credentials/payments/*", "credentials/sendgrid/*", 0 },
	{ "credentials/pay*", "credentials/*ments", 1 },
	{ "credentials/pay*", "credentials/*x", 1 },
	{ "credentials/a*", "credentials/b*", 0 },
	{ "credentials/*a", "credentials/*b", 0 },
	{ "credentials/a*b", "credentials/*c*", 1 },
	{ "credentials/a*b", "credentials/ab", 1 },
	{ "credentials/a*b", "credentials/b", 0 },
	{ "credentials/*", "credentials/*/*", 0 },
	{ "credentials/*/**", "credentials/*", 0 },
	{ "credentials/*/**", "credentials/a/b", 1 },
	{ "credentials/*/**", "credentials/a/**", 1 },
	{ "credentials/x/**", "credentials/y/**", 0 },
	{ "audit", "audit", 1 },
	{ "audit", "audits", 0 },
	{ "**", "audit", 1 },
	/* Malformed: conservatively overlapping. */
	{ "credentials//x", "helpers/x", 1 },
	{ "", "audit", 1 },
	{ "audit", "audit/**/x", 1 },
};

static void
test_match_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(match_cases); i++) {
		const struct match_case *c = &match_cases[i];

		if (policy_match(c->pattern, c->path) != c->want)
			fail_msg("policy_match(\"%s\", \"%s\") != %d", c->pattern, c->path, c->want);
	}
	assert_int_equal(policy_match(NULL, "audit"), 0);
	assert_int_equal(policy_match("audit", NULL), 0);
}

static void
test_covers_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(covers_cases); i++) {
		const struct pair_case *c = &covers_cases[i];

		if (policy_pattern_covers(c->a, c->b) != c->want)
			fail_msg("covers(\"%s\", \"%s\") != %d", c->a, c->b, c->want);
	}
	assert_int_equal(policy_pattern_covers(NULL, "audit"), 0);
	assert_int_equal(policy_pattern_covers("**", NULL), 0);
}

static void
test_overlaps_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(overlaps_cases); i++) {
		const struct pair_case *c = &overlaps_cases[i];

		if (policy_pattern_overlaps(c->a, c->b) != c->want)
			fail_msg("overlaps(\"%s\", \"%s\") != %d", c->a, c->b, c->want);
		if (policy_pattern_overlaps(c->b, c->a) != c->want)
			fail_msg("overlaps(\"%s\", \"%s\") != %d", c->b, c->a, c->want);
	}
	assert_int_equal(policy_pattern_overlaps(NULL, "audit"), 1);
}

struct check_case {
	const char *s;
	int stars;
	enum policy_glob_err want;
	size_t at;
};

static const struct check_case check_cases[] = {
	{ "credentials/**", 1, POLICY_GLOB_OK, 0 },
	{ "a b/c", 1, POLICY_GLOB_OK, 0 },
	{ "", 1, POLICY_GLOB_EMPTY, 0 },
	{ "/a", 1, POLICY_GLOB_EMPTY_SEGMENT, 0 },
	{ "a//b", 1, POLICY_GLOB_EMPTY_SEGMENT, 2 },
	{ "a/b/", 1, POLICY_GLOB_EMPTY_SEGMENT, 4 },
	{ "a/**/b", 1, POLICY_GLOB_STARSTAR_NOT_LAST, 2 },
	{ "a/b**", 1, POLICY_GLOB_STARSTAR_PART, 3 },
	{ "a/***", 1, POLICY_GLOB_STARSTAR_PART, 2 },
	{ "a/x%y", 1, POLICY_GLOB_BAD_CHAR, 3 },
	{ "a/..", 1, POLICY_GLOB_DOT_SEGMENT, 2 },
	{ "./a", 1, POLICY_GLOB_DOT_SEGMENT, 0 },
	{ "a/*", 0, POLICY_GLOB_STAR_IN_PATH, 2 },
	{ "a/b", 0, POLICY_GLOB_OK, 0 },
	{ "a/.b", 0, POLICY_GLOB_OK, 0 },
	{ "a/b\\c", 0, POLICY_GLOB_BAD_CHAR, 3 },
};

static void
test_check_table(void **state)
{
	size_t i, at;
	char *big;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(check_cases); i++) {
		const struct check_case *c = &check_cases[i];
		enum policy_glob_err e = policy_glob_check(c->s, strlen(c->s), c->stars, &at);

		if (e != c->want || (e != POLICY_GLOB_OK && at != c->at))
			fail_msg("check(\"%s\") = %d at %zu, want %d at %zu", c->s, e, at, c->want,
			    c->at);
		assert_non_null(policy_glob_strerror(e));
	}
	/* Exactly the limit is fine; one more is too long. */
	assert_non_null(big = malloc(POLICY_PATTERN_MAX + 2));
	memset(big, 'a', POLICY_PATTERN_MAX + 1);
	big[POLICY_PATTERN_MAX + 1] = '\0';
	assert_int_equal(policy_match(big, big), 0);
	assert_int_equal(policy_pattern_covers(big, big), 0);
	assert_int_equal(policy_pattern_overlaps(big, "a"), 1);
	big[POLICY_PATTERN_MAX] = '\0';
	assert_int_equal(policy_match(big, big), 1);
	assert_int_equal(policy_match("*", big), 1);
	free(big);
}

/* ---- the universe: every pattern of a small alphabet against every path ---- */

static const char *const uni_segs[] = { "a", "b", "ab", "*", "a*", "*a", "*b*", "a*b" };

#define UNI_PATTERNS_MAX 160
#define UNI_PATHS_MAX 3000

struct universe {
	char pat[UNI_PATTERNS_MAX][24];
	size_t n_pat;
	char path[UNI_PATHS_MAX][16];
	size_t n_path;
	uint64_t bits[UNI_PATTERNS_MAX][(UNI_PATHS_MAX + 63) / 64];
};

static void
uni_add_pattern(struct universe *u, const char *s)
{
	assert_true(u->n_pat < UNI_PATTERNS_MAX);
	snprintf(u->pat[u->n_pat++], sizeof(u->pat[0]), "%s", s);
}

/* Patterns of 1 or 2 segments from uni_segs, each also followed by a "**" segment, and "**". */
static void
uni_patterns(struct universe *u)
{
	char s[24];
	size_t i, j;

	uni_add_pattern(u, "**");
	for (i = 0; i < BOS_ARRAY_LEN(uni_segs); i++) {
		uni_add_pattern(u, uni_segs[i]);
		snprintf(s, sizeof(s), "%s/**", uni_segs[i]);
		uni_add_pattern(u, s);
		for (j = 0; j < BOS_ARRAY_LEN(uni_segs); j++) {
			snprintf(s, sizeof(s), "%s/%s", uni_segs[i], uni_segs[j]);
			uni_add_pattern(u, s);
			snprintf(s, sizeof(s), "%s/%s/**", uni_segs[i], uni_segs[j]);
			uni_add_pattern(u, s);
		}
	}
}

/* Paths of 1 to 3 segments, each segment 1 to 3 letters of {a, b}. */
static void
uni_paths(struct universe *u)
{
	char segs[14][4];
	size_t n = 0, len, v, i, a, b, c;

	for (len = 1; len <= 3; len++)
		for (v = 0; v < (1u << len); v++) {
			for (i = 0; i < len; i++)
				segs[n][i] = (v >> i) & 1 ? 'b' : 'a';
			segs[n++][len] = '\0';
		}
	for (a = 0; a < n; a++) {
		snprintf(u->path[u->n_path++], sizeof(u->path[0]), "%.3s", segs[a]);
		for (b = 0; b < n; b++) {
			snprintf(u->path[u->n_path++], sizeof(u->path[0]), "%.3s/%.3s", segs[a],
			    segs[b]);
			for (c = 0; c < n; c++)
				snprintf(u->path[u->n_path++], sizeof(u->path[0]), "%.3s/%.3s/%.3s", segs[a],
				    segs[b], segs[c]);
		}
	}
	assert_int_equal(u->n_path, 14 + 14 * 14 + 14 * 14 * 14);
}

static int
uni_subset(const struct universe *u, size_t inner, size_t outer)
{
	size_t w;

	for (w = 0; w < BOS_ARRAY_LEN(u->bits[0]); w++)
		if (u->bits[inner][w] & ~u->bits[outer][w])
			return 0;
	return 1;
}

static int
uni_meet(const struct universe *u, size_t a, size_t b)
{
	size_t w;

	for (w = 0; w < BOS_ARRAY_LEN(u->bits[0]); w++)
		if (u->bits[a][w] & u->bits[b][w])
			return 1;
	return 0;
}

/*
 * policy_match agrees with the reference everywhere; covers is sound (when
 * it says yes, every path of the universe matched by the inner pattern is
 * matched by the outer); overlaps is exact (yes exactly when some path of
 * the universe matches both: the universe is big enough to hold a witness
 * for every pair of its patterns).
 */
static void
test_universe(void **state)
{
	struct universe *u;
	size_t i, j, t, covered = 0, overlapping = 0;
	int m;

	(void)state;
	assert_non_null(u = calloc(1, sizeof(*u)));
	uni_patterns(u);
	uni_paths(u);
	for (i = 0; i < u->n_pat; i++)
		for (t = 0; t < u->n_path; t++) {
			m = policy_match(u->pat[i], u->path[t]);
			if (m != ref_match(u->pat[i], u->path[t]))
				fail_msg("policy_match(\"%s\", \"%s\") = %d", u->pat[i], u->path[t], m);
			if (m)
				u->bits[i][t / 64] |= 1ull << (t % 64);
		}
	for (i = 0; i < u->n_pat; i++)
		for (j = 0; j < u->n_pat; j++) {
			if (policy_pattern_covers(u->pat[i], u->pat[j])) {
				covered++;
				if (!uni_subset(u, j, i))
					fail_msg("covers(\"%s\", \"%s\") but a path escapes", u->pat[i],
					    u->pat[j]);
			}
			m = policy_pattern_overlaps(u->pat[i], u->pat[j]);
			overlapping += (size_t)m;
			if (m != uni_meet(u, i, j))
				fail_msg("overlaps(\"%s\", \"%s\") = %d", u->pat[i], u->pat[j], m);
		}
	/* The checks above must have had something to check. */
	assert_true(covered > u->n_pat);
	assert_true(overlapping > u->n_pat && overlapping < u->n_pat * u->n_pat);
	free(u);
}

/* ---- random patterns over a bigger alphabet, longer segments ---- */

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
random_seg(uint64_t *rng, char *out, size_t max, int stars)
{
	static const char alpha[] = "abc*";
	size_t n = 1 + xorshift(rng) % max, i;

	for (i = 0; i < n; i++) {
		out[i] = alpha[xorshift(rng) % (stars ? 4 : 3)];
		if (i > 0 && out[i] == '*' && out[i - 1] == '*')
			out[i] = 'a';
	}
	out[n] = '\0';
}

static void
test_random_against_reference(void **state)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	char p[64], t[64];
	int k;

	(void)state;
	for (k = 0; k < 100000; k++) {
		random_seg(&rng, p, 10, 1);
		random_seg(&rng, t, 14, 0);
		if (strcmp(p, ".") == 0 || strcmp(t, ".") == 0)
			continue;
		if (policy_match(p, t) != ref_match(p, t))
			fail_msg("policy_match(\"%s\", \"%s\") != reference", p, t);
		/* covers(p, t) is matching t as a one-word language. */
		if (policy_pattern_covers(p, t) != ref_match(p, t))
			fail_msg("covers(\"%s\", \"%s\") != reference", p, t);
		if (policy_pattern_overlaps(p, t) != ref_match(p, t))
			fail_msg("overlaps(\"%s\", \"%s\") != reference", p, t);
	}
}

/* ---- adversarial inputs ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "*a*a*a...*a" + tail: the classic exponential case of backtracking globbing. */
static char *
star_a(size_t stars, const char *tail)
{
	size_t tl = strlen(tail), i;
	char *s = malloc(2 * stars + tl + 2);

	assert_non_null(s);
	for (i = 0; i < stars; i++) {
		s[2 * i] = '*';
		s[2 * i + 1] = 'a';
	}
	s[2 * stars] = '*';
	memcpy(s + 2 * stars + 1, tail, tl + 1);
	return s;
}

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_adversarial(void **state)
{
	char *p, *t, *q, *multi_p, *multi_t;
	double t0, spent;
	size_t i;

	(void)state;
	t0 = now_s();
	/* 2000 stars against 4000 a's: no match (no b), found without backtracking. */
	p = star_a(2000, "b");
	t = repeat('a', 4000);
	assert_int_equal(policy_match(p, t), 0);
	assert_int_equal(policy_pattern_covers(p, t), 0);
	assert_int_equal(policy_pattern_overlaps(p, t), 0);
	/* Against each other: the text has stars too. */
	q = star_a(2000, "");
	assert_int_equal(policy_pattern_covers(p, q), 0);
	assert_int_equal(policy_pattern_covers(q, p), 1);
	assert_int_equal(policy_pattern_overlaps(p, q), 1);
	/* One a too few. */
	free(t);
	t = repeat('a', 1999);
	assert_int_equal(policy_match(q, t), 0);
	free(t);
	t = repeat('a', 2000);
	assert_int_equal(policy_match(q, t), 1);
	/* Many segments, each adversarial. */
	multi_p = malloc(4097);
	multi_t = malloc(4097);
	assert_non_null(multi_p);
	assert_non_null(multi_t);
	for (i = 0; i < 4096 / 8; i++) {
		memcpy(multi_p + 8 * i, "*a*a*a*/", 8);
		memcpy(multi_t + 8 * i, "aaaaaaa/", 8);
	}
	multi_p[4095] = multi_t[4095] = '\0';
	assert_int_equal(policy_match(multi_p, multi_t), 1);
	multi_t[4094] = 'b';
	multi_t[4093] = 'b';
	multi_t[4092] = 'b';
	multi_t[4091] = 'b';
	multi_t[4090] = 'b';
	assert_int_equal(policy_match(multi_p, multi_t), 0);
	for (i = 0; i < 200; i++) {
		assert_int_equal(policy_match(p, q), 0);
		assert_int_equal(policy_pattern_covers(q, p), 1);
	}
	spent = now_s() - t0;
	/* Linear work is milliseconds even under ASan; exponential would never end. */
	if (spent > 2.0)
		fail_msg("adversarial inputs took %.2f s", spent);
	free(p);
	free(q);
	free(t);
	free(multi_p);
	free(multi_t);
}

/* ---- CIDR ---- */

struct cidr_ok_case {
	const char *s;
	uint8_t family, prefix;
	uint8_t addr[16];
};

static const struct cidr_ok_case cidr_ok[] = {
	{ "10.0.0.0/8", 4, 8, { 10 } },
	{ "192.0.2.7", 4, 32, { 192, 0, 2, 7 } },
	{ "192.0.2.0/23", 4, 23, { 192, 0, 2, 0 } },
	{ "0.0.0.0/0", 4, 0, { 0 } },
	{ "255.255.255.255/32", 4, 32, { 255, 255, 255, 255 } },
	{ "2001:db8::/32", 6, 32, { 0x20, 0x01, 0x0d, 0xb8 } },
	{ "::/0", 6, 0, { 0 } },
	{ "::1", 6, 128, { [15] = 1 } },
	{ "::1/128", 6, 128, { [15] = 1 } },
	{ "::ffff:192.0.2.0/120", 6, 120, { [10] = 0xff, [11] = 0xff, [12] = 192, [14] = 2 } },
	{ "fe80::/10", 6, 10, { 0xfe, 0x80 } },
};

struct cidr_bad_case {
	const char *s;
	const char *why;
};

static const struct cidr_bad_case cidr_bad[] = {
	{ "10.0.0.1/8", "10.0.0.1/8 has host bits set" },
	{ "192.0.3.0/23", "192.0.3.0/23 has host bits set" },
	{ "2001:db8::1/32", "2001:db8::1/32 has host bits set" },
	{ "fec0::/9", "fec0::/9 has host bits set" },
	{ "10.0.0.0/33", "invalid prefix in '10.0.0.0/33' (expected 0 to 32)" },
	{ "::/129", "invalid prefix in '::/129' (expected 0 to 128)" },
	{ "10.0.0.0/", "invalid prefix in '10.0.0.0/' (expected 0 to 32)" },
	{ "10.0.0.0/-1", "invalid prefix in '10.0.0.0/-1' (expected 0 to 32)" },
	{ "10.0.0.0/+8", "invalid prefix in '10.0.0.0/+8' (expected 0 to 32)" },
	{ "10.0.0.0/08", "invalid prefix in '10.0.0.0/08' (expected 0 to 32)" },
	{ "10.0.0.0/8/8", "invalid prefix in '10.0.0.0/8/8' (expected 0 to 32)" },
	{ "10.0.0.0/1000", "invalid prefix in '10.0.0.0/1000' (expected 0 to 32)" },
	{ "10.0.0", "invalid network '10.0.0' (expected an IPv4 or IPv6 address, optionally "
	    "with /prefix, or unix)" },
	{ "256.0.0.0", NULL },
	{ "010.0.0.1", NULL },
	{ "unix", NULL },
	{ "", NULL },
	{ "/8", NULL },
	{ " 10.0.0.0/8", NULL },
	{ "10.0.0.0/8 ", NULL },
	{ "fe80::1%eth0", NULL },
	{ "1:2:3:4:5:6:7:8:9", NULL },
	{ "0x0a.0.0.0", NULL },
	{ "10.0.0.0/8\n", NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
};

static void
test_cidr_parse(void **state)
{
	struct policy_cidr c;
	char why[160];
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(cidr_ok); i++) {
		memset(&c, 0xaa, sizeof(c));
		if (policy_cidr_parse(cidr_ok[i].s, &c) != 0)
			fail_msg("policy_cidr_parse(\"%s\") failed", cidr_ok[i].s);
		assert_int_equal(c.family, cidr_ok[i].family);
		assert_int_equal(c.prefix, cidr_ok[i].prefix);
		assert_memory_equal(c.addr, cidr_ok[i].addr, 16);
	}
	for (i = 0; i < BOS_ARRAY_LEN(cidr_bad); i++) {
		if (policy_cidr_parse(cidr_bad[i].s, &c) != -1)
			fail_msg("policy_cidr_parse(\"%s\") accepted", cidr_bad[i].s);
		assert_int_equal(policy_cidr_parse_text(cidr_bad[i].s, strlen(cidr_bad[i].s), &c,
		    why, sizeof(why)), -1);
		assert_true(why[0] != '\0');
		if (cidr_bad[i].why != NULL)
			assert_string_equal(why, cidr_bad[i].why);
	}
	assert_int_equal(policy_cidr_parse(NULL, &c), -1);
	assert_int_equal(policy_cidr_parse("10.0.0.0/8", NULL), -1);
	/* A NUL inside the counted text is not the end of it. */
	assert_int_equal(policy_cidr_parse_text("10.0.0.0\0/8", 11, &c, why, sizeof(why)), -1);
}

struct contains_case {
	const char *cidr, *addr;
	int want;
};

static const struct contains_case contains_cases[] = {
	{ "10.0.0.0/8", "10.0.0.0", 1 },
	{ "10.0.0.0/8", "10.255.255.255", 1 },
	{ "10.0.0.0/8", "11.0.0.0", 0 },
	{ "10.0.0.0/8", "9.255.255.255", 0 },
	{ "192.0.2.0/23", "192.0.3.255", 1 },
	{ "192.0.2.0/23", "192.0.4.0", 0 },
	{ "192.0.2.0/23", "192.0.1.255", 0 },
	{ "192.0.2.7", "192.0.2.7", 1 },
	{ "192.0.2.7", "192.0.2.8", 0 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "::1", 0 },
	{ "0.0.0.0/0", "unix", 0 },
	{ "0.0.0.0/0", "garbage", 0 },
	{ "0.0.0.0/0", "", 0 },
	{ "0.0.0.0/0", "1.2.3.4 ", 0 },
	/* IPv4-mapped clients count as IPv4, and IPv4 clients as mapped IPv6. */
	{ "192.0.2.0/24", "::ffff:192.0.2.7", 1 },
	{ "192.0.2.0/24", "::ffff:198.51.100.7", 0 },
	{ "::ffff:192.0.2.0/120", "192.0.2.7", 1 },
	{ "::ffff:192.0.2.0/120", "192.0.3.7", 0 },
	{ "::/0", "192.0.2.7", 1 },
	{ "::/0", "unix", 0 },
	{ "::1", "::1", 1 },
	{ "::1", "::2", 0 },
	{ "::1", "127.0.0.1", 0 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "2001:db8::/127", "2001:db8::1", 1 },
	{ "2001:db8::/127", "2001:db8::2", 0 },
	{ "fe80::/10", "febf::1", 1 },
	{ "fe80::/10", "fec0::1", 0 },
	{ "2001:db8::/32", "2001:db8::1%eth0", 0 },
};

static void
test_cidr_contains(void **state)
{
	struct policy_cidr c;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(contains_cases); i++) {
		assert_int_equal(policy_cidr_parse(contains_cases[i].cidr, &c), 0);
		if (policy_cidr_contains(&c, contains_cases[i].addr) != contains_cases[i].want)
			fail_msg("contains(%s, \"%s\") != %d", contains_cases[i].cidr,
			    contains_cases[i].addr, contains_cases[i].want);
	}
	assert_int_equal(policy_cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(policy_cidr_contains(&c, NULL), 0);
	assert_int_equal(policy_cidr_contains(NULL, "10.0.0.1"), 0);
	/* A struct the parser would never produce contains nothing. */
	c.family = 5;
	assert_int_equal(policy_cidr_contains(&c, "10.0.0.1"), 0);
	c.family = 4;
	c.prefix = 33;
	assert_int_equal(policy_cidr_contains(&c, "10.0.0.1"), 0);
	c.family = 6;
	c.prefix = 129;
	assert_int_equal(policy_cidr_contains(&c, "::1"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_covers_table),
		cmocka_unit_test(test_overlaps_table),
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_universe),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_adversarial),
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_contains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
