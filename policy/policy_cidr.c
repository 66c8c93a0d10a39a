/*
 * IPv4 and IPv6 networks for grants and rule constraints. inet_pton() only
 * converts text; nothing here does I/O.
 *
 * A network is written exactly: the bits beyond the prefix must be zero, so
 * "10.0.0.1/8" (probably a typo for a /32 or for 10.0.0.0/8) is an error,
 * not silently the whole of 10/8. Client addresses are compared in both
 * forms when they are IPv4-mapped IPv6 ("::ffff:192.0.2.7", what a
 * dual-stack listener reports for an IPv4 client), so a rule written for
 * 192.0.2.0/24 matches such a client whichever way the vault reports it.
 */
#include "policy_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Longest address text we accept: an IPv6 address with an IPv4 tail, plus "/128". */
#define CIDR_TEXT_MAX (INET6_ADDRSTRLEN + 4)

/* A client address in the forms it can be compared in. */
struct cidr_addr {
	int has4, has6;
	uint8_t v4[4];
	uint8_t v6[16];
};

static const uint8_t cidr_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Parse a plain address (no prefix) into both forms where it has them. */
static int
cidr_addr_parse(const char *s, size_t n, struct cidr_addr *a)
{
	char text[CIDR_TEXT_MAX + 1];

	memset(a, 0, sizeof(*a));
	if (s == NULL || n == 0 || n > CIDR_TEXT_MAX || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (memchr(text, ':', n) == NULL) {
		if (inet_pton(AF_INET, text, a->v4) != 1)
			return -1;
		a->has4 = 1;
		memcpy(a->v6, cidr_mapped_prefix, sizeof(cidr_mapped_prefix));
		memcpy(a->v6 + 12, a->v4, 4);
		a->has6 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->v6) != 1)
		return -1;
	a->has6 = 1;
	if (memcmp(a->v6, cidr_mapped_prefix, sizeof(cidr_mapped_prefix)) == 0) { /* not secret */
		memcpy(a->v4, a->v6 + 12, 4);
		a->has4 = 1;
	}
	return 0;
}

/* Do the first `bits` bits of a and b agree? */
static int
cidr_prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, whole) != 0) /* not secret */
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* Are all bits of addr (len bytes) beyond the first `bits` zero? */
static int
cidr_host_bits_zero(const uint8_t *addr, size_t len, unsigned bits)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : (bits > 8 * i ? bits - 8 * (unsigned)i : 0);
		uint8_t host = keep == 8 ? 0 : (uint8_t)(0xff >> keep);

		if (addr[i] & host)
			return 0;
	}
	return 1;
}

/* "24" -> 24; digits only, no sign, no leading zero, at most max. */
static int
cidr_prefix_parse(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Say what is wrong with the network text s[0..n): "<what> '<s>'<after>". */
static void
cidr_why(char *why, size_t whylen, const char *what, const char *s, size_t n, const char *after)
{
	if (why == NULL || whylen == 0)
		return;
	/* Quote at most 40 bytes of what may be a long token. */
	(void)snprintf(why, whylen, "%s '%.*s%s'%s", what, (int)(n > 40 ? 40 : n), s,
	    n > 40 ? "..." : "", after);
}

int
policy_cidr_parse_text(const char *s, size_t n, struct policy_cidr *out, char *why,
    size_t whylen)
{
	struct cidr_addr a;
	const char *slash;
	size_t addr_n;
	unsigned max, prefix;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (s == NULL || n == 0 || n > CIDR_TEXT_MAX) {
		cidr_why(why, whylen, "invalid network", s ? s : "", s ? n : 0, "");
		goto out;
	}
	slash = memchr(s, '/', n);
	addr_n = slash != NULL ? (size_t)(slash - s) : n;
	if (cidr_addr_parse(s, addr_n, &a) != 0) {
		cidr_why(why, whylen, "invalid network", s, n,
		    " (expected an IPv4 or IPv6 address, optionally with /prefix, or unix)");
		goto out;
	}
	/* An IPv4-mapped IPv6 network stays IPv6: it is compared as written. */
	out->family = memchr(s, ':', addr_n) == NULL ? 4 : 6;
	max = out->family == 4 ? 32 : 128;
	prefix = max;
	if (slash != NULL && cidr_prefix_parse(slash + 1, n - addr_n - 1, max, &prefix) != 0) {
		cidr_why(why, whylen, "invalid prefix in", s, n, out->family == 4 ?
		    " (expected 0 to 32)" : " (expected 0 to 128)");
		goto out;
	}
	out->prefix = (uint8_t)prefix;
	memcpy(out->addr, out->family == 4 ? a.v4 : a.v6, out->family == 4 ? 4 : 16);
	if (!cidr_host_bits_zero(out->addr, out->family == 4 ? 4 : 16, prefix)) {
		if (why != NULL && whylen > 0)
			(void)snprintf(why, whylen, "%.*s has host bits set", (int)n, s);
		goto out;
	}
	/* success */
	r = 0;
 out:
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

int
policy_cidr_parse(const char *s, struct policy_cidr *out)
{
	size_t n;

	if (out == NULL)
		return -1;
	n = s != NULL ? strnlen(s, CIDR_TEXT_MAX + 1) : 0;
	return policy_cidr_parse_text(s, n, out, NULL, 0);
}

int
policy_addr_valid(const char *addr)
{
	struct cidr_addr a;

	return addr != NULL && cidr_addr_parse(addr, strnlen(addr, CIDR_TEXT_MAX + 1), &a) == 0;
}

int
policy_cidr_contains(const struct policy_cidr *c, const char *addr)
{
	struct cidr_addr a;

	/* "unix" and anything else that is no address are never inside. */
	if (c == NULL || addr == NULL ||
	    cidr_addr_parse(addr, strnlen(addr, CIDR_TEXT_MAX + 1), &a) != 0)
		return 0;
	if (c->family == 4 && c->prefix <= 32)
		return a.has4 && cidr_prefix_equal(c->addr, a.v4, c->prefix);
	if (c->family == 6 && c->prefix <= 128)
		return a.has6 && cidr_prefix_equal(c->addr, a.v6, c->prefix);
	return 0;
}
