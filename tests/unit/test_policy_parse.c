/*
 * Unit tests for policy/policy_parse.c: what a role file parses into, and
 * every class of error with its exact "name:line:column: message".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "policy.h"
#include "policy_int.h"

#define ACTIONS "read, create, update, delete, list, grant, lease, audit, claim"
#define BADCHAR "invalid character (expected letters, digits, . _ - space, * and /)"

static int
parse_n(const char *text, size_t len, struct policy_set **ps, char *err, size_t errlen)
{
	return policy_parse("roles.policy", text, len, ps, err, errlen);
}

struct err_case {
	const char *text;
	const char *want;
};

static const struct err_case err_cases[] = {
	/* structure */
	{ "allow read credentials/**\n",
	  "roles.policy:1:1: rule outside a role (start a section with [role NAME] first)" },
	{ "# comment\n\n   deny read x\n",
	  "roles.policy:3:4: rule outside a role (start a section with [role NAME] first)" },
	{ "[role a]\npermit read x\n",
	  "roles.policy:2:1: expected 'allow', 'deny' or '[role NAME]', found 'permit'" },
	{ "[role a]\n  Allow read x\n",
	  "roles.policy:2:3: expected 'allow', 'deny' or '[role NAME]', found 'Allow'" },
	{ "[role a]\nallowread x\n",
	  "roles.policy:2:1: expected 'allow', 'deny' or '[role NAME]', found 'allowread'" },
	/* sections */
	{ "[role admin]\n[role admin]\n",
	  "roles.policy:2:7: duplicate role 'admin' (first defined at line 1)" },
	{ "[role admin]\nallow read x\n[role b]\n[ role  admin ]\n",
	  "roles.policy:4:9: duplicate role 'admin' (first defined at line 1)" },
	{ "[role Admin]\n",
	  "roles.policy:1:7: invalid role name 'Admin' (expected 1 to 32 of a-z, 0-9, _ and -)" },
	{ "[role a.b]\n",
	  "roles.policy:1:7: invalid role name 'a.b' (expected 1 to 32 of a-z, 0-9, _ and -)" },
	{ "[role abcdefghijklmnopqrstuvwxyz0123456]\n",
	  "roles.policy:1:7: invalid role name 'abcdefghijklmnopqrstuvwxyz0123456' (expected 1 "
	  "to 32 of a-z, 0-9, _ and -)" },
	{ "[role admin\n", "roles.policy:1:12: expected ']' after the role name" },
	{ "[role a b]\n", "roles.policy:1:9: expected ']' after the role name" },
	{ "[rol admin]\n", "roles.policy:1:2: expected 'role' after '[', found 'rol'" },
	{ "[]\n", "roles.policy:1:2: expected 'role' after '[', found ''" },
	{ "[role]\n", "roles.policy:1:6: expected a role name after '[role'" },
	{ "[role ]\n", "roles.policy:1:7: expected a role name after '[role'" },
	{ "[role admin] x\n", "roles.policy:1:14: unexpected 'x' after the section header" },
	{ "[role a]]\n", "roles.policy:1:9: unexpected ']' after the section header" },
	/* actions */
	{ "[role admin]\nallow reed credentials/**\n",
	  "roles.policy:2:7: unknown action 'reed' (expected " ACTIONS ")" },
	{ "[role admin]\nallow read, Create credentials/**\n",
	  "roles.policy:2:13: unknown action 'Create' (expected " ACTIONS ")" },
	{ "[role a]\nallow\n",
	  "roles.policy:2:6: expected actions (" ACTIONS ", or * for all)" },
	{ "[role a]\nallow   # nothing\n",
	  "roles.policy:2:9: expected actions (" ACTIONS ", or * for all)" },
	{ "[role a]\nallow read,\n",
	  "roles.policy:2:12: expected an action (" ACTIONS ", or * for all)" },
	{ "[role a]\nallow read, , list x\n",
	  "roles.policy:2:13: expected an action (" ACTIONS ", or * for all)" },
	{ "[role a]\nallow ,read x\n",
	  "roles.policy:2:7: expected an action (" ACTIONS ", or * for all)" },
	{ "[role a]\nallow *, read x\n",
	  "roles.policy:2:10: '*' (all actions) cannot be listed with others" },
	{ "[role a]\nallow read,* x\n",
	  "roles.policy:2:12: '*' (all actions) cannot be listed with others" },
	{ "[role a]\nallow read, read x\n", "roles.policy:2:13: action 'read' is listed twice" },
	{ "[role a]\nallow read\tcredentials\r\nallow read\rx\n",
	  "roles.policy:3:7: unknown action 'read\\x0dx' (expected " ACTIONS ")" },
	/* patterns */
	{ "[role a]\nallow read\n", "roles.policy:2:11: expected a pattern after the actions" },
	{ "[role a]\nallow read, list   # no pattern\n",
	  "roles.policy:2:20: expected a pattern after the actions" },
	{ "[role a]\nallow read credentials//x\n",
	  "roles.policy:2:24: empty segment (a leading, trailing or doubled '/') in "
	  "'credentials//x'" },
	{ "[role a]\nallow read /credentials\n",
	  "roles.policy:2:12: empty segment (a leading, trailing or doubled '/') in "
	  "'/credentials'" },
	{ "[role a]\nallow read credentials/\n",
	  "roles.policy:2:24: empty segment (a leading, trailing or doubled '/') in "
	  "'credentials/'" },
	{ "[role a]\nallow read credentials/**/x\n",
	  "roles.policy:2:24: '**' may only be the last segment in 'credentials/**/x'" },
	{ "[role a]\nallow read credentials/a**\n",
	  "roles.policy:2:25: '**' must be a whole segment in 'credentials/a**'" },
	{ "[role a]\nallow read credentials/a%b\n",
	  "roles.policy:2:25: " BADCHAR " in 'credentials/a%b'" },
	{ "[role a]\nallow read cr\xc3\xa9" "dentials\n",
	  "roles.policy:2:14: " BADCHAR " in 'cr\\xc3\\xa9dentials'" },
	{ "[role a]\nallow read x#comment\n", "roles.policy:2:13: " BADCHAR " in 'x#comment'" },
	{ "[role a]\nallow read credentials/../audit\n",
	  "roles.policy:2:24: '.' and '..' are not valid segments in 'credentials/../audit'" },
	{ "[role a]\nallow read \"credentials/a b\n",
	  "roles.policy:2:12: unterminated quoted pattern" },
	{ "[role a]\nallow read \"credentials/a b\"from x\n",
	  "roles.policy:2:29: expected white space after the quoted pattern" },
	{ "[role a]\nallow read \"\"\n", "roles.policy:2:12: empty pattern in ''" },
	{ "[role a]\nallow read \"a\tb\"\n", "roles.policy:2:14: " BADCHAR " in 'a\\x09b'" },
	/* constraints */
	{ "[role a]\nallow read x to 10.0.0.0/8\n",
	  "roles.policy:2:14: expected 'from' or the end of the rule, found 'to'" },
	{ "[role a]\nallow read create x\n",
	  "roles.policy:2:19: expected 'from' or the end of the rule, found 'x' (a ',' missing "
	  "between actions?)" },
	{ "[role a]\nallow read x from\n",
	  "roles.policy:2:18: expected a network after 'from' (10.0.0.0/8, 2001:db8::/32 or "
	  "unix)" },
	{ "[role a]\nallow read x from # c\n",
	  "roles.policy:2:19: expected a network after 'from' (10.0.0.0/8, 2001:db8::/32 or "
	  "unix)" },
	{ "[role a]\nallow read x from 10.0.0.1/8\n",
	  "roles.policy:2:19: 10.0.0.1/8 has host bits set" },
	{ "[role a]\nallow read x from 10.0.0.0/8, bogus\n",
	  "roles.policy:2:31: invalid network 'bogus' (expected an IPv4 or IPv6 address, "
	  "optionally with /prefix, or unix)" },
	{ "[role a]\nallow read x from ::/129\n",
	  "roles.policy:2:19: invalid prefix in '::/129' (expected 0 to 128)" },
	{ "[role a]\nallow read x from 10.0.0.0/8,\n",
	  "roles.policy:2:30: expected a network (10.0.0.0/8, 2001:db8::/32 or unix)" },
	{ "[role a]\nallow read x from unix extra\n",
	  "roles.policy:2:24: unexpected 'extra' at the end of the rule" },
	{ "[role a]\nallow read x from unix from ::1\n",
	  "roles.policy:2:24: unexpected 'from' at the end of the rule" },
	{ "[role a]\nallow read x from 10.0.0.0/8\x01\n",
	  "roles.policy:2:19: invalid network '10.0.0.0/8\\x01' (expected an IPv4 or IPv6 "
	  "address, optionally with /prefix, or unix)" },
	{ "[role a]\nallow read x from Unix\n",
	  "roles.policy:2:19: invalid network 'Unix' (expected an IPv4 or IPv6 address, "
	  "optionally with /prefix, or unix)" },
	{ "[role a]\nallow read x from 1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,"
	  "1.1.1.8,1.1.1.9,1.1.2.1,1.1.2.2,1.1.2.3,1.1.2.4,1.1.2.5,1.1.2.6,1.1.2.7,1.1.2.8\n",
	  "roles.policy:2:147: too many networks in one rule (at most 16)" },
	/* bytes */
	{ "[role a]\r\nallow read x\r\n\r\n[role a]\r\n",
	  "roles.policy:4:7: duplicate role 'a' (first defined at line 1)" },
};

static void
test_error_table(void **state)
{
	struct policy_set *ps;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(err_cases); i++) {
		const struct err_case *c = &err_cases[i];

		ps = (struct policy_set *)&ps;
		memset(err, 0, sizeof(err));
		if (parse_n(c->text, strlen(c->text), &ps, err, sizeof(err)) != -1)
			fail_msg("case %zu parsed: %s", i, c->text);
		assert_null(ps);
		if (strcmp(err, c->want) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err, c->want);
	}
}

/* NUL bytes, anywhere, with their position. */
static void
test_nul_bytes(void **state)
{
	static const char t1[] = "[role a]\nallow read x\0y\n";
	static const char t2[] = "# a\0b\n[role a]\n";
	static const char t3[] = "\0";
	struct policy_set *ps;
	char err[256];

	(void)state;
	assert_int_equal(parse_n(t1, sizeof(t1) - 1, &ps, err, sizeof(err)), -1);
	assert_string_equal(err, "roles.policy:2:13: NUL byte");
	assert_int_equal(parse_n(t2, sizeof(t2) - 1, &ps, err, sizeof(err)), -1);
	assert_string_equal(err, "roles.policy:1:4: NUL byte");
	assert_int_equal(parse_n(t3, 1, &ps, err, sizeof(err)), -1);
	assert_string_equal(err, "roles.policy:1:1: NUL byte");
}

static char *
lines_of(const char *line, size_t count, const char *head)
{
	size_t ll = strlen(line), hl = strlen(head), i;
	char *s = malloc(hl + ll * count + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	for (i = 0; i < count; i++)
		memcpy(s + hl + i * ll, line, ll);
	s[hl + ll * count] = '\0';
	return s;
}

static void
test_limits(void **state)
{
	struct policy_set *ps;
	char err[256], name[64], *t;
	size_t i, off;

	(void)state;
	/* Line length: 4096 bytes is fine (CR of a CRLF not counted), 4097 is not. */
	t = malloc(POLICY_LINE_MAX + 3);
	assert_non_null(t);
	memset(t, '#', POLICY_LINE_MAX + 2);
	memcpy(t + POLICY_LINE_MAX, "\r\n", 2);
	assert_int_equal(parse_n(t, POLICY_LINE_MAX + 2, &ps, err, sizeof(err)), 0);
	policy_free(ps);
	t[POLICY_LINE_MAX] = '#';
	t[POLICY_LINE_MAX + 1] = '\n';
	assert_int_equal(parse_n(t, POLICY_LINE_MAX + 2, &ps, err, sizeof(err)), -1);
	assert_string_equal(err, "roles.policy:1:4097: line longer than 4096 bytes");
	free(t);

	/* File size: exactly 1 MiB of comments is fine, one byte more is not. */
	t = lines_of("# comment that fills the file up to its limit, 64 bytes a line.\n",
	    POLICY_FILE_MAX / 64, "");
	assert_int_equal(strlen(t), POLICY_FILE_MAX);
	assert_int_equal(parse_n(t, POLICY_FILE_MAX, &ps, err, sizeof(err)), 0);
	policy_free(ps);
	assert_int_equal(parse_n(t, POLICY_FILE_MAX + 1, &ps, err, sizeof(err)), -1);
	assert_string_equal(err, "roles.policy:1:1: file larger than 1048576 bytes");
	free(t);

	/* 256 roles, then one more. */
	t = malloc(300 * 16);
	assert_non_null(t);
	for (i = 0, off = 0; i < POLICY_ROLES_MAX + 1; i++)
		off += (size_t)snprintf(t + off, 300 * 16 - off, "[role r%zu]\n", i);
	assert_int_equal(parse_n(t, strlen(t) - strlen("[role r256]\n"), &ps, err, sizeof(err)),
	    0);
	assert_int_equal(ps->n_roles, POLICY_ROLES_MAX);
	assert_int_equal(policy_has_role(ps, "r255"), 1);
	policy_free(ps);
	assert_int_equal(parse_n(t, strlen(t), &ps, err, sizeof(err)), -1);
	assert_string_equal(err, "roles.policy:257:7: too many roles (at most 256)");
	free(t);

	/* 1024 rules, then one more. */
	t = lines_of("allow read credentials/**\n", POLICY_RULES_MAX + 1, "[role a]\n");
	assert_int_equal(parse_n(t, strlen(t) - strlen("allow read credentials/**\n"), &ps, err,
	    sizeof(err)), 0);
	assert_int_equal(ps->n_rules, POLICY_RULES_MAX);
	policy_free(ps);
	assert_int_equal(parse_n(t, strlen(t), &ps, err, sizeof(err)), -1);
	snprintf(name, sizeof(name), "roles.policy:%d:1: too many rules (at most 1024)",
	    POLICY_RULES_MAX + 2);
	assert_string_equal(err, name);
	free(t);

	/* A role name of exactly 32 characters. */
	assert_int_equal(parse_n("[role abcdefghijklmnopqrstuvwxyz012345]\n", 40, &ps, err,
	    sizeof(err)), 0);
	assert_int_equal(policy_has_role(ps, "abcdefghijklmnopqrstuvwxyz012345"), 1);
	policy_free(ps);
}

static const struct policy_rule *
rule_at(const struct policy_set *ps, const char *role, size_t i)
{
	const struct policy_role *r;

	for (size_t k = 0; k < ps->n_roles; k++) {
		r = &ps->roles[k];
		if (strcmp(r->name, role) == 0) {
			assert_true(i < r->n_rules);
			return &ps->rules[r->first_rule + i];
		}
	}
	fail_msg("no role %s", role);
	return NULL;
}

/* What a file with every feature parses into. */
static void
test_contents(void **state)
{
	static const char text[] =
	    "# BOS roles\r\n"
	    "\r\n"
	    "[role admin]   # the admin\r\n"
	    "allow read,create , update\tcredentials/**\r\n"
	    "deny  *   credentials/payments/card  # never\n"
	    "  allow\tlist \"credentials/main key/*\" from 10.0.0.0/8,2001:db8::/32 , unix\n"
	    "[ role empty ]\n"
	    "[role broker_1-x]\n"
	    "allow lease credentials/sendgrid/* from unix\n"
	    "deny audit ** from ::ffff:192.0.2.0/120";
	const struct policy_rule *r;
	struct policy_set *ps;
	char err[256];

	(void)state;
	if (parse_n(text, sizeof(text) - 1, &ps, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(err, "");
	assert_int_equal(ps->n_roles, 3);
	assert_int_equal(ps->n_rules, 5);
	assert_string_equal(ps->roles[0].name, "admin");
	assert_int_equal(ps->roles[0].line, 3);
	assert_int_equal(ps->roles[0].n_rules, 3);
	assert_string_equal(ps->roles[1].name, "empty");
	assert_int_equal(ps->roles[1].n_rules, 0);
	assert_string_equal(ps->roles[2].name, "broker_1-x");

	r = rule_at(ps, "admin", 0);
	assert_int_equal(r->deny, 0);
	assert_int_equal(r->actions, POLICY_READ | POLICY_CREATE | POLICY_UPDATE);
	assert_string_equal(r->pattern, "credentials/**");
	assert_int_equal(r->line, 4);
	assert_int_equal(r->n_from, 0);
	assert_int_equal(r->from_unix, 0);
	r = rule_at(ps, "admin", 1);
	assert_int_equal(r->deny, 1);
	assert_int_equal(r->actions, POLICY_ACTIONS_ALL);
	assert_string_equal(r->pattern, "credentials/payments/card");
	r = rule_at(ps, "admin", 2);
	assert_int_equal(r->actions, POLICY_LIST);
	assert_string_equal(r->pattern, "credentials/main key/*");
	assert_int_equal(r->n_from, 2);
	assert_int_equal(r->from_unix, 1);
	assert_int_equal(r->from[0].family, 4);
	assert_int_equal(r->from[0].prefix, 8);
	assert_int_equal(r->from[1].family, 6);
	assert_int_equal(r->from[1].prefix, 32);
	assert_int_equal(r->line, 6);
	r = rule_at(ps, "broker_1-x", 0);
	assert_int_equal(r->actions, POLICY_LEASE);
	assert_int_equal(r->from_unix, 1);
	assert_int_equal(r->n_from, 0);
	assert_null(r->from);
	r = rule_at(ps, "broker_1-x", 1);
	assert_int_equal(r->deny, 1);
	assert_int_equal(r->actions, POLICY_AUDIT);
	assert_int_equal(r->n_from, 1);
	assert_int_equal(r->line, 10);
	assert_string_equal(ps->name, "roles.policy");
	policy_free(ps);
}

static void
test_default_text(void **state)
{
	struct policy_set *ps;
	char err[256];
	size_t i;

	(void)state;
	if (policy_parse("roles.policy", policy_default_text, strlen(policy_default_text), &ps,
	    err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* The broker roles first (issue #14), the admin role last. */
	assert_int_equal(ps->n_roles, 4);
	assert_string_equal(ps->roles[0].name, "outreach");
	assert_int_equal(ps->roles[0].n_rules, 26);  /* 12 more for outreach, 8 for ads (issue #16) */
	assert_string_equal(ps->roles[1].name, "monitor");
	assert_int_equal(ps->roles[1].n_rules, 4);
	assert_string_equal(ps->roles[2].name, "hiring");
	assert_int_equal(ps->roles[2].n_rules, 0);
	assert_string_equal(ps->roles[3].name, "admin");
	assert_int_equal(ps->roles[3].n_rules, 26);   /* two more for approvals (issue #15), two
	                                               * for outreach (issue #16) */
	for (i = 0; i < ps->n_rules; i++) {
		assert_int_equal(ps->rules[i].deny, 0);
		if (i >= ps->roles[3].first_rule) {
			assert_int_equal(ps->rules[i].actions, POLICY_ACTIONS_ALL);
			assert_int_equal(ps->rules[i].n_from, 0);
			assert_int_equal(ps->rules[i].from_unix, 0);
		} else {
			/* A broker rule: one action, from the unix socket only. */
			assert_true(ps->rules[i].actions == POLICY_LEASE ||
			    ps->rules[i].actions == POLICY_CLAIM || ps->rules[i].actions == POLICY_READ ||
			    ps->rules[i].actions == POLICY_UPDATE || ps->rules[i].actions == POLICY_CREATE);
			assert_int_equal(ps->rules[i].n_from, 0);
			assert_int_equal(ps->rules[i].from_unix, 1);
		}
	}
	policy_free(ps);
	/* The commented examples are valid rules once uncommented. */
	{
		const char *s = policy_default_text, *nl;
		char line[256], *t = NULL;
		size_t tl = 0, n;

		for (; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
			n = (size_t)(nl - s);
			if (n < 4 || (strncmp(s, "#   allow ", 10) != 0 && strncmp(s, "#   deny ", 9) != 0 &&
			    strncmp(s, "# allow ", 8) != 0 && strncmp(s, "# [role ", 8) != 0))
				continue;
			/* The synopsis in the header comment is not an example. */
			if (memmem(s, n, "ACTIONS", 7) != NULL)
				continue;
			snprintf(line, sizeof(line), "%.*s\n", (int)(n - 1), s + 1);
			assert_non_null(t = realloc(t, tl + strlen(line) + 32));
			if (tl == 0)
				tl = (size_t)snprintf(t, 32, "[role examples]\n");
			memcpy(t + tl, line, strlen(line) + 1);
			tl += strlen(line);
		}
		assert_non_null(t);
		if (policy_parse("examples", t, tl, &ps, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(ps->n_roles, 2);
		assert_int_equal(ps->n_rules, 4);
		policy_free(ps);
		free(t);
	}
}

static void
test_odd_arguments(void **state)
{
	struct policy_set *ps;
	char err[16], big[256];

	(void)state;
	/* Empty text: no roles, so everything will be denied. */
	assert_int_equal(parse_n("", 0, &ps, big, sizeof(big)), 0);
	assert_int_equal(ps->n_roles, 0);
	policy_free(ps);
	assert_int_equal(parse_n(NULL, 0, &ps, big, sizeof(big)), 0);
	policy_free(ps);
	assert_int_equal(parse_n(NULL, 5, &ps, big, sizeof(big)), -1);
	assert_int_equal(parse_n("[role a]\n", 9, NULL, big, sizeof(big)), -1);
	/* No error buffer, or a small one: still -1, and a terminated, cut message. */
	assert_int_equal(parse_n("bad", 3, &ps, NULL, 0), -1);
	assert_int_equal(parse_n("bad", 3, &ps, err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, "roles.policy:1:", 15);
	/* Only len bytes are read: a valid prefix of a longer buffer. */
	assert_int_equal(parse_n("[role a]\nallow read x\nbad", 22, &ps, big, sizeof(big)), 0);
	policy_free(ps);
	/* A NULL name still gives a message that names something. */
	assert_int_equal(policy_parse(NULL, "bad", 3, &ps, big, sizeof(big)), -1);
	assert_string_equal(big, "(policy):1:1: expected 'allow', 'deny' or '[role NAME]', "
	    "found 'bad'");
	policy_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_table),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_contents),
		cmocka_unit_test(test_default_text),
		cmocka_unit_test(test_odd_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
