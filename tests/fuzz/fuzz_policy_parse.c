/*
 * libFuzzer target: the role policy parser (policy/policy_parse.c), and
 * the engine on whatever it accepts.
 *
 * Any bytes either parse or give one "name:line:column: message" error.
 * When they parse, every role is asked for decisions and delegations on
 * fixed requests, and the invariants that the rest of BOS relies on are
 * checked, trapping when one breaks:
 *  - a delegation that policy_may_delegate() allows is allowed by
 *    policy_decide() for every path the pattern matches, from any address
 *    (a grant never reaches past its issuer);
 *  - covers and overlaps agree with matching on paths built from the
 *    patterns (covers(a, b) and b matches w => a matches w; a and b both
 *    match w => overlaps(a, b)).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"
#include "policy_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ROLES 8
#define FUZZ_RULES 12

static const char *const fuzz_paths[] = {
	"credentials/sendgrid/main", "credentials/payments/card", "credentials", "helpers/h_1",
	"grants/acc_1", "audit", "credentials/a/b/c", "x",
};

static const char *const fuzz_addrs[] = { "unix", "127.0.0.1", "10.1.2.3", "::1", "junk" };

static const char *const fuzz_patterns[] = {
	"credentials/**", "credentials/sendgrid/*", "credentials/payments/card", "**", "audit",
};

/* A number from 1 up, then ':'; returns what follows. */
static const char *
fuzz_number(const char *s)
{
	size_t d = strspn(s, "0123456789");

	if (d == 0 || s[0] == '0' || s[d] != ':')
		__builtin_trap();
	return s + d + 1;
}

/*
 * The error names the input and a place, "fuzz.policy:<line>:<column>: ",
 * and is printable: bytes of the input are escaped.
 */
static void
fuzz_check_error(const char *err)
{
	const char *s;

	if (strncmp(err, "fuzz.policy:", strlen("fuzz.policy:")) != 0)
		__builtin_trap();
	s = fuzz_number(fuzz_number(err + strlen("fuzz.policy:")));
	if (s[0] != ' ' || s[1] == '\0')
		__builtin_trap();
	for (s = err; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			__builtin_trap();
}

static void
fuzz_check_reason(const struct policy_decision *d)
{
	if ((d->allow != 0 && d->allow != 1) || d->reason[0] == '\0' ||
	    memchr(d->reason, '\0', sizeof(d->reason)) == NULL)
		__builtin_trap();
}

/* Every (path, address) the pattern matches is allowed for the role. */
static void
fuzz_delegation_sound(const struct policy_set *ps, const char *role, unsigned action,
    const char *pattern, const char *const *paths, size_t n_paths)
{
	struct policy_principal p = { POLICY_BROKER, role, NULL };
	struct policy_decision d;
	struct policy_resource r;
	struct policy_context ctx;
	size_t i, k;

	if (!policy_may_delegate(ps, role, action, pattern, &d)) {
		fuzz_check_reason(&d);
		return;
	}
	for (i = 0; i < n_paths; i++) {
		if (!policy_match(pattern, paths[i]))
			continue;
		for (k = 0; k < sizeof(fuzz_addrs) / sizeof(fuzz_addrs[0]); k++) {
			r = (struct policy_resource){ paths[i], NULL };
			ctx = (struct policy_context){ 1700000000, fuzz_addrs[k] };
			policy_decide(ps, &p, action, &r, &ctx, &d);
			if (!d.allow)
				__builtin_trap();
		}
	}
}

/* A path matched by the pattern: each '*' made "x", a final "**" made "x/y". */
static char *
fuzz_witness(const char *pattern)
{
	size_t n = strlen(pattern), i, o = 0;
	char *w = malloc(2 * n + 4);

	if (w == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (pattern[i] == '*' && pattern[i + 1] == '*') {
			memcpy(w + o, "x/y", 3);
			o += 3;
			i++;
		} else {
			w[o++] = pattern[i] == '*' ? 'x' : pattern[i];
		}
	}
	w[o] = '\0';
	return w;
}

static void
fuzz_pair(const char *a, const char *b)
{
	char *w = fuzz_witness(b);
	int cov = policy_pattern_covers(a, b), ovl = policy_pattern_overlaps(a, b);

	if (cov && !ovl)
		__builtin_trap();
	if (ovl != policy_pattern_overlaps(b, a))
		__builtin_trap();
	if (w != NULL && strlen(w) <= POLICY_PATTERN_MAX) {
		if (!policy_match(b, w))
			__builtin_trap();
		if (cov && !policy_match(a, w))
			__builtin_trap();
		if (policy_match(a, w) && !ovl)
			__builtin_trap();
	}
	free(w);
}

static void
fuzz_role(const struct policy_set *ps, const struct policy_role *role)
{
	struct policy_principal p = { POLICY_ADMIN, role->name, NULL };
	const char *pats[FUZZ_RULES + 5];
	struct policy_decision d;
	struct policy_resource r;
	struct policy_context ctx = { 1700000000, "10.1.2.3" };
	size_t i, j, n = 0;
	unsigned a;

	for (i = 0; i < sizeof(fuzz_paths) / sizeof(fuzz_paths[0]); i++)
		for (a = 1; a <= POLICY_ACTIONS_ALL; a <<= 1) {
			r = (struct policy_resource){ fuzz_paths[i], NULL };
			policy_decide(ps, &p, a, &r, &ctx, &d);
			fuzz_check_reason(&d);
		}
	for (i = 0; i < role->n_rules && n < FUZZ_RULES; i++)
		pats[n++] = ps->rules[role->first_rule + i].pattern;
	for (i = 0; i < sizeof(fuzz_patterns) / sizeof(fuzz_patterns[0]); i++)
		pats[n++] = fuzz_patterns[i];
	for (i = 0; i < n; i++) {
		if (!policy_pattern_covers(pats[i], pats[i]) || !policy_pattern_overlaps(pats[i],
		    pats[i]))
			__builtin_trap();
		for (a = 1; a <= POLICY_ACTIONS_ALL; a <<= 1) {
			fuzz_delegation_sound(ps, role->name, a, pats[i], fuzz_paths,
			    sizeof(fuzz_paths) / sizeof(fuzz_paths[0]));
			fuzz_delegation_sound(ps, role->name, a, pats[i], pats, n);
		}
		for (j = 0; j < n; j++)
			fuzz_pair(pats[i], pats[j]);
	}
}

/* The rules' patterns as a helper's grant items: only credentials/ ones count. */
static void
fuzz_grant(const struct policy_set *ps)
{
	const char *items[POLICY_GRANT_MAX_ITEMS];
	struct policy_grant g = { 0 };
	struct policy_principal p = { POLICY_HELPER, NULL, &g };
	struct policy_context ctx = { 1700000000, "127.0.0.1" };
	struct policy_resource r;
	struct policy_decision d;
	size_t i;

	for (i = 0; i < ps->n_rules && i < POLICY_GRANT_MAX_ITEMS; i++)
		items[i] = ps->rules[i].pattern;
	g.accessor = "acc_fuzz";
	g.credentials = items;
	g.n_credentials = i;
	g.actions = POLICY_ACTIONS_ALL;
	g.expires_at = 1700000001;
	for (i = 0; i < sizeof(fuzz_paths) / sizeof(fuzz_paths[0]); i++) {
		r = (struct policy_resource){ fuzz_paths[i], NULL };
		policy_decide(ps, &p, POLICY_READ, &r, &ctx, &d);
		fuzz_check_reason(&d);
		if (d.allow && strncmp(fuzz_paths[i], "credentials/", 12) != 0)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_set *ps = NULL;
	char err[512];
	size_t i;

	if (policy_parse("fuzz.policy", (const char *)data, size, &ps, err, sizeof(err)) != 0) {
		if (ps != NULL)
			__builtin_trap();
		fuzz_check_error(err);
		return 0;
	}
	if (ps == NULL || err[0] != '\0')
		__builtin_trap();
	for (i = 0; i < ps->n_roles && i < FUZZ_ROLES; i++)
		fuzz_role(ps, &ps->roles[i]);
	fuzz_grant(ps);
	policy_free(ps);
	return 0;
}
