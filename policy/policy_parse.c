/*
 * The role policy file parser (format: docs/POLICY.md).
 *
 *   # comment
 *   [role NAME]
 *   allow ACTION[, ACTION...] PATTERN [from NETWORK[, NETWORK...]]
 *   deny  ACTION[, ACTION...] PATTERN [from NETWORK[, NETWORK...]]
 *
 * The file is the admin's, but it is still parsed as untrusted bytes: hard
 * limits on size, line length, roles and rules; NUL bytes refused; every
 * token checked against a small alphabet. Each error names the line and the
 * 1-based byte column of the offending token, so the admin can go straight
 * to it. The first error stops the parse: a half-understood policy is never
 * loaded.
 */
#include "policy_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Quoted tokens in messages are cut to this many bytes. */
#define PARSE_QUOTE_MAX 40

struct parse {
	const char *name;             /* for messages */
	struct policy_set *ps;
	const char *l;                /* the current line, without its line ending */
	size_t n;
	size_t pos;                   /* offset in the line */
	unsigned line;
	int in_role;                  /* a [role] section has started */
	char *err;
	size_t errlen;
};

static const char parse_action_names[] =
    "read, create, update, delete, list, grant, lease, audit, claim";

/* "name:line:column: message"; column is 1-based; always returns -1. */
static int parse_err(struct parse *p, size_t col0, const char *fmt, ...) BOS_PRINTF(3, 4);

static int
parse_err(struct parse *p, size_t col0, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	if (p->err == NULL || p->errlen == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	/* A cut message still names the place, which is what the admin needs most. */
	(void)snprintf(p->err, p->errlen, "%s:%u:%zu: %s", p->name, p->line, col0 + 1, msg);
	return -1;
}

/*
 * A printable copy of s[0..n) for a message: non-printable bytes as \xNN,
 * cut after PARSE_QUOTE_MAX bytes with "...".
 */
static const char *
parse_quote(const char *s, size_t n, char *buf, size_t buflen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n && i < PARSE_QUOTE_MAX && o + 5 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
	}
	if (i < n && o + 4 <= buflen) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int
parse_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static void
parse_skip_space(struct parse *p)
{
	while (p->pos < p->n && parse_is_space(p->l[p->pos]))
		p->pos++;
}

/* At the end of the rule: end of line or a comment after white space. */
static int
parse_at_end(const struct parse *p)
{
	return p->pos >= p->n || p->l[p->pos] == '#';
}

/* Length of the token at pos: up to white space, or also up to any of stop. */
static size_t
parse_token_len(const struct parse *p, const char *stop)
{
	size_t i = p->pos;

	while (i < p->n && !parse_is_space(p->l[i]) && strchr(stop, p->l[i]) == NULL)
		i++;
	return i - p->pos;
}

/* The token at pos for a message ("found 'xyz'"), up to white space. */
static const char *
parse_found(const struct parse *p, char *buf, size_t buflen)
{
	return parse_quote(p->l + p->pos, parse_token_len(p, ""), buf, buflen);
}

/* How many of the first n bytes of s are in accept (strspn without a NUL). */
static size_t
parse_span(const char *s, size_t n, const char *accept)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0' && strchr(accept, s[i]) != NULL; i++)
		;
	return i;
}

static int
parse_role_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > POLICY_ROLE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static const struct policy_role *
parse_role_lookup(const struct policy_set *ps, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ps->n_roles; i++)
		if (strlen(ps->roles[i].name) == n &&
		    memcmp(ps->roles[i].name, s, n) == 0) /* not secret */
			return &ps->roles[i];
	return NULL;
}

/*
 * arr (of *cap elements, used of them in use) with room for one more, at
 * most max in all; NULL, with arr untouched, when that cannot be.
 */
static void *
parse_grow(void *arr, size_t *cap, size_t used, size_t max, size_t elem)
{
	size_t ncap;
	void *n;

	if (used < *cap)
		return arr;
	if (used >= max)
		return NULL;
	/* cap <= max <= POLICY_RULES_MAX: doubling cannot wrap. */
	ncap = *cap == 0 ? 8 : *cap * 2;
	if (ncap > max)
		ncap = max;
	if ((n = reallocarray(arr, ncap, elem)) == NULL)
		return NULL;
	*cap = ncap;
	return n;
}

/* Add the role named l[start..start+n), already checked, whose rules follow. */
static int
parse_role_add(struct parse *p, size_t start, size_t n)
{
	struct policy_set *ps = p->ps;
	struct policy_role *roles, *role;

	if (ps->n_roles >= POLICY_ROLES_MAX)
		return parse_err(p, start, "too many roles (at most %d)", POLICY_ROLES_MAX);
	if ((roles = parse_grow(ps->roles, &ps->cap_roles, ps->n_roles, POLICY_ROLES_MAX,
	    sizeof(*roles))) == NULL)
		return parse_err(p, start, "out of memory");
	ps->roles = roles;
	role = &ps->roles[ps->n_roles++];
	memset(role, 0, sizeof(*role));
	memcpy(role->name, p->l + start, n);
	role->line = p->line;
	role->first_rule = ps->n_rules;
	p->in_role = 1;
	return 0;
}

/* "[role NAME]" with p->pos at the '['. */
static int
parse_section(struct parse *p)
{
	const struct policy_role *dup;
	size_t start, n;
	char q[PARSE_QUOTE_MAX * 4 + 8];

	p->pos++;
	parse_skip_space(p);
	n = parse_token_len(p, "]");
	if (n != 4 || memcmp(p->l + p->pos, "role", 4) != 0) /* not secret */
		return parse_err(p, p->pos, "expected 'role' after '[', found '%s'",
		    parse_quote(p->l + p->pos, n, q, sizeof(q)));
	p->pos += n;
	parse_skip_space(p);
	start = p->pos;
	n = parse_token_len(p, "]");
	if (n == 0)
		return parse_err(p, start, "expected a role name after '[role'");
	if (!parse_role_name_ok(p->l + start, n))
		return parse_err(p, start, "invalid role name '%s' (expected 1 to %d of a-z, 0-9, "
		    "_ and -)", parse_quote(p->l + start, n, q, sizeof(q)), POLICY_ROLE_NAME_MAX);
	if ((dup = parse_role_lookup(p->ps, p->l + start, n)) != NULL)
		return parse_err(p, start, "duplicate role '%s' (first defined at line %u)",
		    dup->name, dup->line);
	p->pos += n;
	parse_skip_space(p);
	if (p->pos >= p->n || p->l[p->pos] != ']')
		return parse_err(p, p->pos, "expected ']' after the role name");
	p->pos++;
	parse_skip_space(p);
	if (!parse_at_end(p))
		return parse_err(p, p->pos, "unexpected '%s' after the section header",
		    parse_found(p, q, sizeof(q)));
	return parse_role_add(p, start, n);
}

/* One action or "*" at pos; adds it to *actions. */
static int
parse_action(struct parse *p, unsigned *actions)
{
	size_t n = parse_token_len(p, ",");
	unsigned a;
	char q[PARSE_QUOTE_MAX * 4 + 8];

	if (n == 0)
		return parse_err(p, p->pos, "expected an action (%s, or * for all)",
		    parse_action_names);
	if (n == 1 && p->l[p->pos] == '*') {
		if (*actions != 0)
			return parse_err(p, p->pos, "'*' (all actions) cannot be listed with others");
		a = POLICY_ACTIONS_ALL;
	} else if ((a = policy_action_parse(p->l + p->pos, n)) == 0) {
		return parse_err(p, p->pos, "unknown action '%s' (expected %s)",
		    parse_quote(p->l + p->pos, n, q, sizeof(q)), parse_action_names);
	} else if (*actions == POLICY_ACTIONS_ALL) {
		return parse_err(p, p->pos, "'*' (all actions) cannot be listed with others");
	} else if (*actions & a) {
		return parse_err(p, p->pos, "action '%s' is listed twice", policy_action_name(a));
	}
	*actions |= a;
	p->pos += n;
	return 0;
}

/* "ACTION[, ACTION...]" at pos. */
static int
parse_actions(struct parse *p, unsigned *actions)
{
	*actions = 0;
	if (parse_at_end(p))
		return parse_err(p, p->pos, "expected actions (%s, or * for all)",
		    parse_action_names);
	for (;;) {
		if (parse_action(p, actions) != 0)
			return -1;
		parse_skip_space(p);
		if (p->pos >= p->n || p->l[p->pos] != ',')
			return 0;
		p->pos++;
		parse_skip_space(p);
	}
}

/* PATTERN or "PATTERN" at pos, checked; *out is a copy. */
static int
parse_pattern(struct parse *p, char **out)
{
	enum policy_glob_err e;
	size_t start, n, at;
	const char *close;
	char q[PARSE_QUOTE_MAX * 4 + 8];

	if (parse_at_end(p))
		return parse_err(p, p->pos, "expected a pattern after the actions");
	/* Quotes let a pattern hold a space, as credential names may. */
	if (p->l[p->pos] == '"') {
		start = p->pos + 1;
		if ((close = memchr(p->l + start, '"', p->n - start)) == NULL)
			return parse_err(p, p->pos, "unterminated quoted pattern");
		n = (size_t)(close - (p->l + start));
		p->pos = start + n + 1;
		if (p->pos < p->n && !parse_is_space(p->l[p->pos]))
			return parse_err(p, p->pos, "expected white space after the quoted pattern");
	} else {
		start = p->pos;
		n = parse_token_len(p, "");
		p->pos += n;
	}
	if ((e = policy_glob_check(p->l + start, n, 1, &at)) != POLICY_GLOB_OK)
		return parse_err(p, e == POLICY_GLOB_EMPTY ? start - 1 : start + at,
		    "%s in '%s'", policy_glob_strerror(e), parse_quote(p->l + start, n, q, sizeof(q)));
	if ((*out = strndup(p->l + start, n)) == NULL)
		return parse_err(p, start, "out of memory");
	return 0;
}

/* One NETWORK of a from list at pos: a CIDR or "unix". */
static int
parse_network(struct parse *p, struct policy_rule *rule, struct policy_cidr *nets)
{
	size_t n = parse_token_len(p, ",");
	char why[160], q[PARSE_QUOTE_MAX * 4 + 8];

	if (n == 0)
		return parse_err(p, p->pos, "expected a network (10.0.0.0/8, 2001:db8::/32 or "
		    "unix)");
	if (n == 4 && memcmp(p->l + p->pos, "unix", 4) == 0) { /* not secret */
		rule->from_unix = 1;
	} else if (parse_span(p->l + p->pos, n, "0123456789abcdefABCDEF.:/") != n) {
		/* Checked here so that the CIDR parser's message quotes only printable text. */
		return parse_err(p, p->pos, "invalid network '%s' (expected an IPv4 or IPv6 "
		    "address, optionally with /prefix, or unix)",
		    parse_quote(p->l + p->pos, n, q, sizeof(q)));
	} else {
		if (rule->n_from >= POLICY_RULE_FROM_MAX)
			return parse_err(p, p->pos, "too many networks in one rule (at most %d)",
			    POLICY_RULE_FROM_MAX);
		if (policy_cidr_parse_text(p->l + p->pos, n, &nets[rule->n_from], why,
		    sizeof(why)) != 0)
			return parse_err(p, p->pos, "%s", why);
		rule->n_from++;
	}
	p->pos += n;
	return 0;
}

/* "from NETWORK[, NETWORK...]" with pos after "from"; fills rule->from. */
static int
parse_from(struct parse *p, struct policy_rule *rule)
{
	struct policy_cidr nets[POLICY_RULE_FROM_MAX];

	parse_skip_space(p);
	if (parse_at_end(p))
		return parse_err(p, p->pos, "expected a network after 'from' (10.0.0.0/8, "
		    "2001:db8::/32 or unix)");
	for (;;) {
		if (parse_network(p, rule, nets) != 0)
			return -1;
		parse_skip_space(p);
		if (p->pos >= p->n || p->l[p->pos] != ',')
			break;
		p->pos++;
		parse_skip_space(p);
	}
	if (rule->n_from == 0)
		return 0;
	if ((rule->from = reallocarray(NULL, rule->n_from, sizeof(*rule->from))) == NULL)
		return parse_err(p, p->pos, "out of memory");
	memcpy(rule->from, nets, rule->n_from * sizeof(*rule->from));
	return 0;
}

/* What may follow the pattern: nothing, or a from list. */
static int
parse_constraints(struct parse *p, struct policy_rule *rule)
{
	size_t n;
	char q[PARSE_QUOTE_MAX * 4 + 8];

	parse_skip_space(p);
	if (parse_at_end(p))
		return 0;
	n = parse_token_len(p, "");
	if (n != 4 || memcmp(p->l + p->pos, "from", 4) != 0) /* not secret */
		return parse_err(p, p->pos, "expected 'from' or the end of the rule, found '%s'%s",
		    parse_found(p, q, sizeof(q)), policy_action_parse(rule->pattern,
		    strlen(rule->pattern)) != 0 ? " (a ',' missing between actions?)" : "");
	p->pos += n;
	if (parse_from(p, rule) != 0)
		return -1;
	parse_skip_space(p);
	if (!parse_at_end(p))
		return parse_err(p, p->pos, "unexpected '%s' at the end of the rule",
		    parse_found(p, q, sizeof(q)));
	return 0;
}

/* "allow ..." or "deny ..." with pos after the keyword. */
static int
parse_rule(struct parse *p, int deny, size_t kw)
{
	struct policy_set *ps = p->ps;
	struct policy_rule *rules, *rule;

	if (!p->in_role)
		return parse_err(p, kw, "rule outside a role (start a section with [role NAME] "
		    "first)");
	if (ps->n_rules >= POLICY_RULES_MAX)
		return parse_err(p, kw, "too many rules (at most %d)", POLICY_RULES_MAX);
	if ((rules = parse_grow(ps->rules, &ps->cap_rules, ps->n_rules, POLICY_RULES_MAX,
	    sizeof(*rules))) == NULL)
		return parse_err(p, kw, "out of memory");
	ps->rules = rules;
	/* Counted now, so policy_free() releases whatever this rule came to hold. */
	rule = &ps->rules[ps->n_rules++];
	memset(rule, 0, sizeof(*rule));
	rule->deny = deny;
	rule->line = p->line;
	/* Rules follow their section, so the last role is this rule's. */
	ps->roles[ps->n_roles - 1].n_rules++;
	parse_skip_space(p);
	if (parse_actions(p, &rule->actions) != 0 || parse_pattern(p, &rule->pattern) != 0)
		return -1;
	return parse_constraints(p, rule);
}

/* One line, without its line ending. */
static int
parse_line(struct parse *p)
{
	size_t n, kw;
	int deny;
	char q[PARSE_QUOTE_MAX * 4 + 8];
	const char *nul;

	if ((nul = memchr(p->l, '\0', p->n)) != NULL)
		return parse_err(p, (size_t)(nul - p->l), "NUL byte");
	if (p->n > POLICY_LINE_MAX)
		return parse_err(p, POLICY_LINE_MAX, "line longer than %d bytes", POLICY_LINE_MAX);
	p->pos = 0;
	parse_skip_space(p);
	if (parse_at_end(p))
		return 0;
	if (p->l[p->pos] == '[')
		return parse_section(p);
	kw = p->pos;
	n = parse_token_len(p, "");
	if (n == 5 && memcmp(p->l + kw, "allow", 5) == 0) /* not secret */
		deny = 0;
	else if (n == 4 && memcmp(p->l + kw, "deny", 4) == 0) /* not secret */
		deny = 1;
	else
		return parse_err(p, kw, "expected 'allow', 'deny' or '[role NAME]', found '%s'",
		    parse_found(p, q, sizeof(q)));
	p->pos += n;
	return parse_rule(p, deny, kw);
}

/* Split text into lines (LF, CRLF tolerated) and parse each. */
static int
parse_lines(struct parse *p, const char *text, size_t len)
{
	const char *nl;
	size_t off = 0;

	while (off < len) {
		nl = memchr(text + off, '\n', len - off);
		p->l = text + off;
		p->n = nl != NULL ? (size_t)(nl - p->l) : len - off;
		off += p->n + (nl != NULL);
		if (p->n > 0 && p->l[p->n - 1] == '\r')
			p->n--;
		/* At most POLICY_FILE_MAX lines: the counter cannot wrap. */
		p->line++;
		if (parse_line(p) != 0)
			return -1;
	}
	return 0;
}

int
policy_parse(const char *name, const char *text, size_t len, struct policy_set **out,
    char *errbuf, size_t errlen)
{
	struct parse p;
	struct policy_set *ps = NULL;
	int r = -1;

	memset(&p, 0, sizeof(p));
	p.name = name != NULL ? name : "(policy)";
	p.err = errbuf;
	p.errlen = errlen;
	p.line = 1;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (out == NULL)
		return parse_err(&p, 0, "no place for the result");
	*out = NULL;
	if (text == NULL && len > 0)
		return parse_err(&p, 0, "no text");
	if (len > POLICY_FILE_MAX)
		return parse_err(&p, 0, "file larger than %d bytes", POLICY_FILE_MAX);
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return parse_err(&p, 0, "out of memory");
	/* Reasons name the file; a long name is cut (it is only a label). */
	(void)snprintf(ps->name, sizeof(ps->name), "%s", p.name);
	p.ps = ps;
	p.line = 0;
	if (parse_lines(&p, text, len) != 0)
		goto out;
	/* success */
	*out = ps;
	ps = NULL;
	r = 0;
 out:
	policy_free(ps);
	return r;
}

void
policy_free(struct policy_set *ps)
{
	size_t i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n_rules; i++) {
		free(ps->rules[i].pattern);
		free(ps->rules[i].from);
	}
	free(ps->rules);
	free(ps->roles);
	free(ps);
}
