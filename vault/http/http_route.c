/*
 * Route matching and header-value parsing for the HTTP core; see
 * http_route.h. Nothing here touches libmicrohttpd, the network or the
 * vault, so every rule can be unit-tested on its own.
 */
#include "http/http_route.h"

#include <string.h>
#include <strings.h>
#include "hex.h"

/* A path has at most this many segments; none of our patterns has more than 3. */
#define HTTP_SEGS_MAX 16

struct http_segs {
	size_t n;
	const char *s[HTTP_SEGS_MAX];   /* decoded, NUL-terminated, inside the match buffer */
	size_t len[HTTP_SEGS_MAX];
};

static const struct {
	unsigned m;
	const char *name;
} http_methods[] = {
	{ HTTP_GET, "GET" },
	{ HTTP_POST, "POST" },
	{ HTTP_PUT, "PUT" },
	{ HTTP_DELETE, "DELETE" },
};

unsigned
http_method_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	/* Methods are case-sensitive (RFC 9110 9.1). */
	for (i = 0; i < BOS_ARRAY_LEN(http_methods); i++)
		if (strcmp(s, http_methods[i].name) == 0)
			return http_methods[i].m;
	return 0;
}

const char *
http_method_name(unsigned m)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(http_methods); i++)
		if (http_methods[i].m == m)
			return http_methods[i].name;
	return "OTHER";
}

int
http_allow_format(unsigned methods, char *out, size_t cap)
{
	size_t i, o = 0, n;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < BOS_ARRAY_LEN(http_methods); i++) {
		if ((methods & http_methods[i].m) == 0)
			continue;
		n = strlen(http_methods[i].name);
		if (o + (o ? 2 : 0) + n + 1 > cap)
			return -1;
		if (o) {
			out[o++] = ',';
			out[o++] = ' ';
		}
		memcpy(out + o, http_methods[i].name, n);
		o += n;
		out[o] = '\0';
	}
	return 0;
}

int
http_hex(char c)
{
	return hex_digit(c);
}

/*
 * Percent-decode one raw segment into out (room for n + 1 bytes). A decoded
 * '/' would let one segment pose as two, and control bytes have no business
 * in an id or a name, so both make the path malformed.
 */
static int
http_seg_decode(const char *s, size_t n, char *out, size_t *out_len)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			if ((hi = http_hex(s[i + 1])) < 0 || (lo = http_hex(s[i + 2])) < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '/')
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*out_len = o;
	return 0;
}

/* Split path into decoded segments inside m->buf. */
static enum http_match_result
http_path_split(const char *path, size_t path_len, struct http_match *m, struct http_segs *sg)
{
	size_t i = 1, start, used = 0, dlen;

	if (path == NULL || path_len == 0 || path[0] != '/' || path_len > HTTP_PATH_MAX)
		return HTTP_MATCH_NO_PATH;
	sg->n = 0;
	for (;;) {
		start = i;
		while (i < path_len && path[i] != '/')
			i++;
		if (sg->n == HTTP_SEGS_MAX)
			return HTTP_MATCH_NO_PATH;
		/* Decoded bytes plus NULs never exceed the raw path: each segment had a '/'. */
		if (http_seg_decode(path + start, i - start, m->buf + used, &dlen) != 0)
			return HTTP_MATCH_BAD_PATH;
		sg->s[sg->n] = m->buf + used;
		sg->len[sg->n++] = dlen;
		used += dlen + 1;
		if (i == path_len)
			return HTTP_MATCH_OK;
		i++;    /* skip the '/' */
	}
}

/* Does pattern (e.g. "/credentials/{id}") match the segments? Fills params when m != NULL. */
static int
http_pattern_match(const char *pattern, const struct http_segs *sg, struct http_match *m)
{
	const char *p = pattern, *end;
	size_t k, plen;

	if (p == NULL || *p != '/')
		return 0;
	for (k = 0; k < sg->n; k++) {
		if (*p != '/')
			return 0;
		p++;
		end = strchr(p, '/');
		plen = end ? (size_t)(end - p) : strlen(p);
		if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
			if (sg->len[k] == 0)
				return 0;
			if (m != NULL) {
				if (m->nparams == HTTP_PARAMS_MAX)
					return 0;
				m->params[m->nparams].name = p + 1;
				m->params[m->nparams].name_len = plen - 2;
				m->params[m->nparams++].value = sg->s[k];
			}
		} else if (plen != sg->len[k] || memcmp(p, sg->s[k], plen) != 0) { /* not secret */
			return 0;
		}
		p += plen;
	}
	return *p == '\0';
}

enum http_match_result
http_route_match(const struct http_route *routes, size_t n, const char *path, size_t path_len,
    unsigned method, struct http_match *m)
{
	struct http_segs sg;
	enum http_match_result res;
	size_t i;

	memset(m, 0, sizeof(*m));
	if ((res = http_path_split(path, path_len, m, &sg)) != HTTP_MATCH_OK)
		return res;
	for (i = 0; i < n; i++) {
		if (!http_pattern_match(routes[i].pattern, &sg, NULL))
			continue;
		m->allow |= (unsigned)routes[i].method;
		if (m->route == NULL && method != 0 && (routes[i].method & method) != 0) {
			m->nparams = 0;
			if (!http_pattern_match(routes[i].pattern, &sg, m))
				return HTTP_MATCH_NO_PATH;   /* more {params} than we hold */
			m->route = &routes[i];
		}
	}
	if (m->route != NULL)
		return HTTP_MATCH_OK;
	return m->allow != 0 ? HTTP_MATCH_NO_METHOD : HTTP_MATCH_NO_PATH;
}

/* Segment k of a pattern (without its '/'), or NULL past the last. */
static const char *
http_pattern_seg(const char *pattern, size_t k, size_t *len)
{
	const char *p = pattern, *end;

	if (p == NULL || *p != '/')
		return NULL;
	for (;;) {
		p++;
		end = strchr(p, '/');
		*len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (k-- == 0)
			return p;
		if (end == NULL)
			return NULL;
		p = end;
	}
}

static int
http_seg_is_param(const char *s, size_t len)
{
	return len >= 2 && s[0] == '{' && s[len - 1] == '}';
}

/*
 * Could one path match the first k segments of both patterns? A {param}
 * matches any segment, so it is compatible with anything.
 */
static int
http_pattern_prefix_overlaps(const char *a, const char *b, size_t k)
{
	const char *sa, *sb;
	size_t i, la, lb;

	for (i = 0; i < k; i++) {
		if ((sa = http_pattern_seg(a, i, &la)) == NULL ||
		    (sb = http_pattern_seg(b, i, &lb)) == NULL)
			return 0;
		if (http_seg_is_param(sa, la) || http_seg_is_param(sb, lb))
			continue;
		if (la != lb || memcmp(sa, sb, la) != 0) /* not secret */
			return 0;
	}
	return 1;
}

int
http_route_param_reserved(const struct http_route *routes, size_t n, const char *pattern,
    const char *param, const char *value)
{
	const char *seg, *lit;
	size_t k, i, len, plen = strlen(param), vlen = strlen(value), llen;

	/* Where pattern has {param}. */
	for (k = 0; (seg = http_pattern_seg(pattern, k, &len)) != NULL; k++)
		if (len == plen + 2 && http_seg_is_param(seg, len) &&
		    memcmp(seg + 1, param, plen) == 0) /* not secret */
			break;
	if (seg == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		lit = http_pattern_seg(routes[i].pattern, k, &llen);
		if (lit != NULL && !http_seg_is_param(lit, llen) && llen == vlen &&
		    memcmp(lit, value, vlen) == 0 && /* not secret */
		    http_pattern_prefix_overlaps(routes[i].pattern, pattern, k))
			return 1;
	}
	return 0;
}

const char *
http_match_param(const struct http_match *m, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < m->nparams; i++)
		if (m->params[i].name_len == n &&
		    memcmp(m->params[i].name, name, n) == 0) /* not secret */
			return m->params[i].value;
	return NULL;
}

int
http_parse_content_length(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	/* 19 digits always fit in 64 bits; no sign, no spaces, no hex. */
	if (s == NULL || n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static size_t
http_skip_ows(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Does s[i..n) start with word (ASCII, case-insensitive)? */
static int
http_has_word(const char *s, size_t i, size_t n, const char *word)
{
	size_t wl = strlen(word);

	return n - i >= wl && strncasecmp(s + i, word, wl) == 0;
}

int
http_content_type_is_json(const char *s, size_t n)
{
	size_t i;

	if (s == NULL)
		return 0;
	i = http_skip_ows(s, 0, n);
	if (!http_has_word(s, i, n, "application/json"))
		return 0;
	i = http_skip_ows(s, i + strlen("application/json"), n);
	if (i == n)
		return 1;
	if (s[i] != ';')
		return 0;
	i = http_skip_ows(s, i + 1, n);
	if (!http_has_word(s, i, n, "charset"))
		return 0;
	i = http_skip_ows(s, i + strlen("charset"), n);
	if (i == n || s[i] != '=')
		return 0;
	i = http_skip_ows(s, i + 1, n);
	if (http_has_word(s, i, n, "\"utf-8\""))
		i += strlen("\"utf-8\"");
	else if (http_has_word(s, i, n, "utf-8"))
		i += strlen("utf-8");
	else
		return 0;
	return http_skip_ows(s, i, n) == n;
}

static int
http_token68_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

int
http_parse_bearer(const char *s, size_t n, const char **tok, size_t *tok_len)
{
	size_t i, start;

	if (s == NULL || !http_has_word(s, 0, n, "Bearer"))
		return -1;
	i = strlen("Bearer");
	if (i == n || s[i] != ' ')
		return -1;
	while (i < n && s[i] == ' ')
		i++;
	start = i;
	while (i < n && http_token68_char(s[i]))
		i++;
	if (i == start)
		return -1;
	while (i < n && s[i] == '=')
		i++;
	if (i - start > HTTP_BEARER_MAX || http_skip_ows(s, i, n) != n)
		return -1;
	*tok = s + start;
	*tok_len = i - start;
	return 0;
}
