/*
 * Unit tests for policy/policy.c: the decision and the narrowing check.
 *
 * The decision is tested exhaustively: every principal of a fixed list
 * (admins with the default policy and with a deny rule, a role with only
 * some actions, an unknown role, a broker role, helpers with grants in each
 * state) × every action × every resource × every client address, compared
 * with expect_*() below, which know the test policies by heart and use
 * plain string comparisons instead of the pattern engine.
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

#define NOW 1700000000

static const char *const action_names[9] = {
	"read", "create", "update", "delete", "list", "grant", "lease", "audit", "claim",
};

/* The test policy; expect_role() knows each rule by its line. */
static const char test_text[] =
    "[role admin]\n"                                                   /* 1 */
    "allow *              credentials\n"                               /* 2 */
    "allow *              credentials/**\n"                            /* 3 */
    "allow *              helpers/**\n"                                /* 4 */
    "deny  delete, lease  credentials/payments/**\n"                   /* 5 */
    "[role reader]\n"                                                  /* 6 */
    "allow read, list     credentials/sendgrid/*\n"                    /* 7 */
    "allow list           credentials\n"                               /* 8 */
    "[role outreach]\n"                                                /* 9 */
    "allow lease          credentials/sendgrid/* from unix\n"          /* 10 */
    "allow read           credentials/**         from 10.0.0.0/8\n"    /* 11 */
    "deny  lease          credentials/sendgrid/blocked\n"              /* 12 */
    "deny  read           credentials/payments/** from 10.1.0.0/16\n"; /* 13 */

/* ---- resources ---- */

struct res {
	const char *path, *id;
	int valid;          /* a well-formed path */
	int in_grant;       /* among the base grant's credentials: id cr_main or twilio/ * */
};

static const struct res resources[] = {
	{ "credentials/sendgrid/main", "cr_main", 1, 1 },     /* in the grant by id */
	{ "credentials/twilio/sms", "cr_sms", 1, 1 },         /* in the grant by pattern */
	{ "credentials/payments/card", "cr_card", 1, 0 },     /* exists, outside the grant */
	{ "credentials/payments/ghost", NULL, 1, 0 },         /* does not exist */
	{ "credentials/twilio/ghost", NULL, 1, 1 },           /* does not exist, in the pattern */
	{ "credentials/sendgrid/blocked", "cr_blocked", 1, 0 },
	{ "credentials/sendgrid/main/v2", "cr_main", 1, 1 },  /* a deeper path, same id */
	{ "credentials", NULL, 1, 0 },
	{ "helpers/h_1", NULL, 1, 0 },
	{ "grants/acc_1", NULL, 1, 0 },
	{ "audit", NULL, 1, 0 },
	{ "credentials/../audit", NULL, 0, 0 },
	{ "credentials/sendgrid/", NULL, 0, 0 },
};

static const char *const addrs[] = {
	"unix", "127.0.0.1", "10.1.2.3", "10.200.0.1", "192.0.2.7", "2001:db8::5", "garbage",
};

/* ---- simple facts for the expectations ---- */

static int
under(const char *path, const char *prefix)
{
	return strncmp(path, prefix, strlen(prefix)) == 0 && path[strlen(prefix)] != '\0';
}

/* prefix followed by exactly one more segment. */
static int
one_below(const char *path, const char *prefix)
{
	return under(path, prefix) && strchr(path + strlen(prefix), '/') == NULL;
}

/* The test addresses inside 10.0.0.0/8 and 10.1.0.0/16. */
static int
in_10_8(const char *a)
{
	return strcmp(a, "10.1.2.3") == 0 || strcmp(a, "10.200.0.1") == 0;
}

static int
in_10_1_16(const char *a)
{
	return strcmp(a, "10.1.2.3") == 0;
}

/* ---- expectations ---- */

enum outcome { ALLOW_RULE, DENY_RULE, NO_RULE, NO_ROLE };

struct expect {
	enum outcome o;
	unsigned line;
};

static struct expect
ex(enum outcome o, unsigned line)
{
	struct expect e = { o, line };

	return e;
}

/* Line of a rule in policy_default_text. */
static unsigned
default_line(const char *rule)
{
	const char *at = strstr(policy_default_text, rule), *s;
	unsigned line = 1;

	assert_non_null(at);
	for (s = policy_default_text; s < at; s++)
		line += *s == '\n';
	return line;
}

static struct expect
expect_admin_default(const struct res *r)
{
	if (!r->valid)
		return ex(NO_RULE, 0);
	if (strcmp(r->path, "credentials") == 0)
		return ex(ALLOW_RULE, default_line("allow *    credentials\n"));
	if (under(r->path, "credentials/"))
		return ex(ALLOW_RULE, default_line("allow *    credentials/**\n"));
	if (under(r->path, "helpers/"))
		return ex(ALLOW_RULE, default_line("allow *    helpers/**\n"));
	if (under(r->path, "grants/"))
		return ex(ALLOW_RULE, default_line("allow *    grants/**\n"));
	if (strcmp(r->path, "audit") == 0)
		return ex(ALLOW_RULE, default_line("allow *    audit\n"));
	return ex(NO_RULE, 0);
}

static struct expect
expect_admin_deny(int a, const struct res *r)
{
	if (!r->valid)
		return ex(NO_RULE, 0);
	if ((a == 3 || a == 6) && under(r->path, "credentials/payments/"))
		return ex(DENY_RULE, 5);
	if (strcmp(r->path, "credentials") == 0)
		return ex(ALLOW_RULE, 2);
	if (under(r->path, "credentials/"))
		return ex(ALLOW_RULE, 3);
	if (under(r->path, "helpers/"))
		return ex(ALLOW_RULE, 4);
	return ex(NO_RULE, 0);
}

static struct expect
expect_reader(int a, const struct res *r)
{
	if (!r->valid)
		return ex(NO_RULE, 0);
	if ((a == 0 || a == 4) && one_below(r->path, "credentials/sendgrid/"))
		return ex(ALLOW_RULE, 7);
	if (a == 4 && strcmp(r->path, "credentials") == 0)
		return ex(ALLOW_RULE, 8);
	return ex(NO_RULE, 0);
}

/* A deny limited to networks applies to addresses that are no address at all. */
static struct expect
expect_outreach(int a, const struct res *r, const char *addr)
{
	if (!r->valid)
		return ex(NO_RULE, 0);
	if (a == 6 && strcmp(r->path, "credentials/sendgrid/blocked") == 0)
		return ex(DENY_RULE, 12);
	if (a == 0 && under(r->path, "credentials/payments/") &&
	    (in_10_1_16(addr) || strcmp(addr, "garbage") == 0))
		return ex(DENY_RULE, 13);
	if (a == 6 && one_below(r->path, "credentials/sendgrid/") && strcmp(addr, "unix") == 0)
		return ex(ALLOW_RULE, 10);
	if (a == 0 && under(r->path, "credentials/") && in_10_8(addr))
		return ex(ALLOW_RULE, 11);
	return ex(NO_RULE, 0);
}

static void
expect_role_reason(struct expect e, const char *role, int a, const struct res *r, char *out,
    size_t len)
{
	switch (e.o) {
	case ALLOW_RULE:
		snprintf(out, len, "role %s: rule at roles.policy:%u allows %s on %s", role, e.line,
		    action_names[a], r->path);
		break;
	case DENY_RULE:
		snprintf(out, len, "role %s: rule at roles.policy:%u denies %s on %s", role, e.line,
		    action_names[a], r->path);
		break;
	case NO_RULE:
		snprintf(out, len, "no rule of role %s allows %s on %s", role, action_names[a],
		    r->path);
		break;
	case NO_ROLE:
		snprintf(out, len, "no role %s", role);
		break;
	}
}

/* ---- helpers' grants ---- */

static const char *const base_items[] = { "cr_main", "credentials/twilio/*" };
static const char *const wide_items[] = { "credentials/**", "**", "helpers/**", "audit" };
static struct policy_cidr grant_nets[2];

enum grant_kind {
	G_ACTIVE, G_EXPIRED_NOW, G_EXPIRED_BEFORE, G_EXHAUSTED, G_OVER_USED, G_REVOKED,
	G_REVOKED_EXPIRED, G_EXPIRED_EXHAUSTED, G_CIDR, G_UNLIMITED, G_LAST_USE, G_WIDE,
	G_EMPTY, G_KINDS
};

static const char *const grant_kind_names[G_KINDS] = {
	"active", "expired now", "expired before", "exhausted", "over used", "revoked",
	"revoked and expired", "expired and exhausted", "cidr", "unlimited", "last use", "wide",
	"empty",
};

static void
make_grant(enum grant_kind k, struct policy_grant *g)
{
	memset(g, 0, sizeof(*g));
	g->accessor = "acc_test";
	g->credentials = base_items;
	g->n_credentials = 2;
	g->actions = POLICY_READ | POLICY_LEASE;
	g->expires_at = NOW + 3600;
	g->max_uses = 5;
	g->uses = 2;
	switch (k) {
	case G_EXPIRED_NOW:
		g->expires_at = NOW;
		break;
	case G_EXPIRED_BEFORE:
		g->expires_at = NOW - 1;
		break;
	case G_EXHAUSTED:
		g->uses = 5;
		break;
	case G_OVER_USED:
		g->uses = 6;
		break;
	case G_REVOKED:
		g->revoked = 1;
		break;
	case G_REVOKED_EXPIRED:
		g->revoked = 1;
		g->expires_at = NOW - 100;
		g->uses = 5;
		break;
	case G_EXPIRED_EXHAUSTED:
		g->expires_at = NOW - 100;
		g->uses = 9;
		break;
	case G_CIDR:
		g->cidrs = grant_nets;
		g->n_cidrs = 2;
		break;
	case G_UNLIMITED:
		g->max_uses = 0;
		g->uses = 4000000000u;
		break;
	case G_LAST_USE:
		g->uses = 4;
		g->expires_at = NOW + 1;
		break;
	case G_WIDE:
		g->credentials = wide_items;
		g->n_credentials = 4;
		g->actions = POLICY_ACTIONS_ALL;
		break;
	case G_EMPTY:
		g->n_credentials = 0;
		g->credentials = NULL;
		break;
	case G_ACTIVE:
	case G_KINDS:
		break;
	}
}

static void
expect_helper(enum grant_kind k, int a, const struct res *r, const char *addr, int *allow,
    char *out, size_t len)
{
	int in_nets = strcmp(addr, "192.0.2.7") == 0 || strcmp(addr, "2001:db8::5") == 0;
	int in_grant;

	*allow = 0;
	if (k == G_REVOKED || k == G_REVOKED_EXPIRED) {
		snprintf(out, len, "grant acc_test is revoked");
		return;
	}
	if (k == G_EXPIRED_NOW || k == G_EXPIRED_BEFORE || k == G_EXPIRED_EXHAUSTED) {
		snprintf(out, len, "grant acc_test expired at %d",
		    k == G_EXPIRED_NOW ? NOW : k == G_EXPIRED_BEFORE ? NOW - 1 : NOW - 100);
		return;
	}
	if (k == G_EXHAUSTED || k == G_OVER_USED) {
		snprintf(out, len, "grant acc_test: use limit 5 reached");
		return;
	}
	if (k == G_CIDR && !in_nets) {
		snprintf(out, len, "grant acc_test: client address outside the grant's networks");
		return;
	}
	if (k != G_WIDE && a != 0 && a != 6) {
		snprintf(out, len, "grant acc_test does not allow %s", action_names[a]);
		return;
	}
	if (k == G_WIDE)
		in_grant = r->valid && under(r->path, "credentials/");
	else
		in_grant = k != G_EMPTY && r->valid && r->in_grant;
	if (!in_grant) {
		snprintf(out, len, "not permitted by grant acc_test");
		return;
	}
	*allow = 1;
	snprintf(out, len, "grant acc_test allows %s", action_names[a]);
}

/* ---- the table ---- */

enum who { W_ADMIN_DEFAULT, W_ADMIN_DENY, W_READER, W_UNKNOWN_ROLE, W_UNKNOWN_BROKER,
	W_BROKER, W_HELPER };

static struct policy_set *
parse_or_fail(const char *text)
{
	struct policy_set *ps = NULL;
	char err[256];

	if (policy_parse("roles.policy", text, strlen(text), &ps, err, sizeof(err)) != 0)
		fail_msg("parse: %s", err);
	return ps;
}

static void
expect_for(enum who w, enum grant_kind k, int a, const struct res *r, const char *addr,
    int *allow, char *out, size_t len)
{
	struct expect e;
	const char *role = "admin";

	switch (w) {
	case W_ADMIN_DEFAULT:
		e = expect_admin_default(r);
		break;
	case W_ADMIN_DENY:
		e = expect_admin_deny(a, r);
		break;
	case W_READER:
		e = expect_reader(a, r);
		role = "reader";
		break;
	case W_UNKNOWN_ROLE:
	case W_UNKNOWN_BROKER:
		e = ex(NO_ROLE, 0);
		role = "nobody";
		break;
	case W_BROKER:
		e = expect_outreach(a, r, addr);
		role = "outreach";
		break;
	case W_HELPER:
	default:
		expect_helper(k, a, r, addr, allow, out, len);
		return;
	}
	*allow = e.o == ALLOW_RULE;
	expect_role_reason(e, role, a, r, out, len);
}

static size_t
run_one(const struct policy_set *ps, const struct policy_principal *p, enum who w,
    enum grant_kind k, size_t *allowed)
{
	struct policy_resource res;
	struct policy_context ctx;
	struct policy_decision d;
	char want[256];
	size_t ri, ai, n = 0;
	int a, allow;

	for (a = 0; a < 9; a++)
		for (ri = 0; ri < BOS_ARRAY_LEN(resources); ri++)
			for (ai = 0; ai < BOS_ARRAY_LEN(addrs); ai++) {
				res.path = resources[ri].path;
				res.id = resources[ri].id;
				ctx.now = NOW;
				ctx.client_addr = addrs[ai];
				memset(&d, 0x55, sizeof(d));
				policy_decide(ps, p, 1u << a, &res, &ctx, &d);
				expect_for(w, k, a, &resources[ri], addrs[ai], &allow, want,
				    sizeof(want));
				if (d.allow != allow || strcmp(d.reason, want) != 0)
					fail_msg("who %d grant %s: %s %s from %s: got %d \"%s\", want "
					    "%d \"%s\"", w, w == W_HELPER ? grant_kind_names[k] : "-",
					    action_names[a], res.path, addrs[ai], d.allow, d.reason,
					    allow, want);
				*allowed += (size_t)allow;
				n++;
			}
	return n;
}

static void
test_decision_table(void **state)
{
	struct policy_set *def, *ps;
	struct policy_principal p;
	struct policy_grant g;
	size_t n = 0, allowed = 0;
	int k;

	(void)state;
	def = parse_or_fail(policy_default_text);
	ps = parse_or_fail(test_text);
	assert_int_equal(policy_cidr_parse("192.0.2.0/24", &grant_nets[0]), 0);
	assert_int_equal(policy_cidr_parse("2001:db8::/32", &grant_nets[1]), 0);

	p = (struct policy_principal){ POLICY_ADMIN, "admin", NULL };
	n += run_one(def, &p, W_ADMIN_DEFAULT, 0, &allowed);
	n += run_one(ps, &p, W_ADMIN_DENY, 0, &allowed);
	p = (struct policy_principal){ POLICY_ADMIN, "reader", NULL };
	n += run_one(ps, &p, W_READER, 0, &allowed);
	p = (struct policy_principal){ POLICY_ADMIN, "nobody", NULL };
	n += run_one(ps, &p, W_UNKNOWN_ROLE, 0, &allowed);
	p = (struct policy_principal){ POLICY_BROKER, "nobody", NULL };
	n += run_one(ps, &p, W_UNKNOWN_BROKER, 0, &allowed);
	p = (struct policy_principal){ POLICY_BROKER, "outreach", NULL };
	n += run_one(ps, &p, W_BROKER, 0, &allowed);
	for (k = 0; k < G_KINDS; k++) {
		make_grant((enum grant_kind)k, &g);
		p = (struct policy_principal){ POLICY_HELPER, NULL, &g };
		/* A helper's grant alone decides: no role policy, or any, changes nothing. */
		n += run_one(ps, &p, W_HELPER, (enum grant_kind)k, &allowed);
		n += run_one(NULL, &p, W_HELPER, (enum grant_kind)k, &allowed);
	}
	assert_int_equal(n, (6 + 2 * G_KINDS) * 9 * BOS_ARRAY_LEN(resources) *
	    BOS_ARRAY_LEN(addrs));
	/* Both outcomes occur plenty, so the table cannot pass by always denying. */
	assert_true(allowed > n / 20 && allowed < n / 2);
	policy_free(def);
	policy_free(ps);
}

/*
 * What a helper learns about a resource does not depend on whether it
 * exists: an existing credential and a made-up path at the same place give
 * the same answer, for every grant, action and address.
 */
static void
test_helper_existence_not_revealed(void **state)
{
	struct policy_principal p = { POLICY_HELPER, NULL, NULL };
	struct policy_resource exists = { "credentials/payments/card", "cr_card" };
	struct policy_resource made_up = { "credentials/payments/ghost", NULL };
	struct policy_context ctx = { NOW, NULL };
	struct policy_decision d1, d2;
	struct policy_grant g;
	size_t ai, outside = 0;
	int k, a;

	(void)state;
	for (k = 0; k < G_KINDS; k++) {
		make_grant((enum grant_kind)k, &g);
		p.grant = &g;
		for (a = 0; a < 9; a++)
			for (ai = 0; ai < BOS_ARRAY_LEN(addrs); ai++) {
				ctx.client_addr = addrs[ai];
				policy_decide(NULL, &p, 1u << a, &exists, &ctx, &d1);
				policy_decide(NULL, &p, 1u << a, &made_up, &ctx, &d2);
				assert_int_equal(d1.allow, d2.allow);
				assert_string_equal(d1.reason, d2.reason);
				outside += strcmp(d1.reason, "not permitted by grant acc_test") == 0;
			}
	}
	assert_true(outside > 20);
}

static void
decide_text(const char *text, const char *role, unsigned action, const char *path,
    const char *addr, struct policy_decision *d)
{
	struct policy_set *ps = parse_or_fail(text);
	struct policy_principal p = { POLICY_ADMIN, role, NULL };
	struct policy_resource r = { path, NULL };
	struct policy_context ctx = { NOW, addr };

	policy_decide(ps, &p, action, &r, &ctx, d);
	policy_free(ps);
}

/* A deny wins wherever it is written; the first matching allow is named. */
static void
test_deny_precedence(void **state)
{
	struct policy_decision d;

	(void)state;
	decide_text("[role x]\ndeny read credentials/a/b\nallow read credentials/**\n", "x",
	    POLICY_READ, "credentials/a/b", "unix", &d);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "role x: rule at roles.policy:2 denies read on "
	    "credentials/a/b");
	decide_text("[role x]\nallow read credentials/**\ndeny read credentials/a/b\n", "x",
	    POLICY_READ, "credentials/a/b", "unix", &d);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "role x: rule at roles.policy:3 denies read on "
	    "credentials/a/b");
	/* The deny covers only its actions. */
	decide_text("[role x]\nallow * credentials/**\ndeny read credentials/a/b\n", "x",
	    POLICY_UPDATE, "credentials/a/b", "unix", &d);
	assert_int_equal(d.allow, 1);
	assert_string_equal(d.reason, "role x: rule at roles.policy:2 allows update on "
	    "credentials/a/b");
	/* The first of two matching allows is the one named. */
	decide_text("[role x]\nallow read credentials/*/b\nallow read credentials/**\n", "x",
	    POLICY_READ, "credentials/a/b", "unix", &d);
	assert_string_equal(d.reason, "role x: rule at roles.policy:2 allows read on "
	    "credentials/a/b");
	/* Another role's deny does not reach this role. */
	decide_text("[role y]\ndeny * **\n[role x]\nallow read credentials/**\n", "x",
	    POLICY_READ, "credentials/a/b", "unix", &d);
	assert_int_equal(d.allow, 1);
	/* A deny with networks: only from there, and from addresses that are none. */
	decide_text("[role x]\nallow * **\ndeny read ** from 192.0.2.0/24\n", "x", POLICY_READ,
	    "audit", "192.0.2.1", &d);
	assert_int_equal(d.allow, 0);
	decide_text("[role x]\nallow * **\ndeny read ** from 192.0.2.0/24\n", "x", POLICY_READ,
	    "audit", "::ffff:192.0.2.1", &d);
	assert_int_equal(d.allow, 0);
	decide_text("[role x]\nallow * **\ndeny read ** from 192.0.2.0/24\n", "x", POLICY_READ,
	    "audit", "198.51.100.1", &d);
	assert_int_equal(d.allow, 1);
	decide_text("[role x]\nallow * **\ndeny read ** from 192.0.2.0/24\n", "x", POLICY_READ,
	    "audit", "not an address", &d);
	assert_int_equal(d.allow, 0);
	decide_text("[role x]\nallow * **\ndeny read ** from 192.0.2.0/24\n", "x", POLICY_READ,
	    "audit", NULL, &d);
	assert_int_equal(d.allow, 0);
	/* An allow with networks never lets an odd address in. */
	decide_text("[role x]\nallow read ** from 0.0.0.0/0, ::/0\n", "x", POLICY_READ, "audit",
	    "not an address", &d);
	assert_int_equal(d.allow, 0);
	decide_text("[role x]\nallow read ** from 0.0.0.0/0, ::/0\n", "x", POLICY_READ, "audit",
	    "unix", &d);
	assert_int_equal(d.allow, 0);
	decide_text("[role x]\nallow read ** from unix\n", "x", POLICY_READ, "audit", "unix", &d);
	assert_int_equal(d.allow, 1);
	decide_text("[role x]\nallow read ** from unix\n", "x", POLICY_READ, "audit", "::1", &d);
	assert_int_equal(d.allow, 0);
	/* An empty role denies everything. */
	decide_text("[role x]\n", "x", POLICY_READ, "audit", "unix", &d);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "no rule of role x allows read on audit");
}

/* Whatever is missing or odd, the answer is a deny with a reason. */
static void
test_decide_fails_closed(void **state)
{
	struct policy_set *ps = parse_or_fail("[role admin]\nallow * **\n");
	struct policy_principal admin = { POLICY_ADMIN, "admin", NULL };
	struct policy_principal odd = { (enum policy_principal_kind)42, "admin", NULL };
	struct policy_principal norole = { POLICY_ADMIN, NULL, NULL };
	struct policy_principal helper = { POLICY_HELPER, NULL, NULL };
	struct policy_resource r = { "audit", NULL }, nopath = { NULL, NULL };
	struct policy_context ctx = { NOW, "unix" };
	struct policy_grant g;
	struct policy_decision d;
	static const unsigned bad_actions[] = { 0, 3, 0x200, 0x80000000u, POLICY_ACTIONS_ALL };
	size_t i;

	(void)state;
	policy_decide(ps, &admin, POLICY_READ, &r, &ctx, &d);
	assert_int_equal(d.allow, 1);
	policy_decide(ps, &admin, POLICY_READ, &r, &ctx, NULL);
	policy_decide(ps, NULL, POLICY_READ, &r, &ctx, &d);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "incomplete request");
	policy_decide(ps, &admin, POLICY_READ, NULL, &ctx, &d);
	assert_int_equal(d.allow, 0);
	policy_decide(ps, &admin, POLICY_READ, &nopath, &ctx, &d);
	assert_int_equal(d.allow, 0);
	policy_decide(ps, &admin, POLICY_READ, &r, NULL, &d);
	assert_int_equal(d.allow, 0);
	for (i = 0; i < BOS_ARRAY_LEN(bad_actions); i++) {
		policy_decide(ps, &admin, bad_actions[i], &r, &ctx, &d);
		assert_int_equal(d.allow, 0);
		assert_string_equal(d.reason, "invalid action");
	}
	policy_decide(NULL, &admin, POLICY_READ, &r, &ctx, &d);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "no role policies are loaded");
	policy_decide(ps, &odd, POLICY_READ, &r, &ctx, &d);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "unknown kind of principal");
	policy_decide(ps, &norole, POLICY_READ, &r, &ctx, &d);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "no role (none)");
	policy_decide(ps, &helper, POLICY_READ, &r, &ctx, &d);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "helper without a grant");
	/* Counts beyond the documented maximums, or NULL arrays: malformed. */
	make_grant(G_ACTIVE, &g);
	helper.grant = &g;
	g.n_credentials = POLICY_GRANT_MAX_ITEMS + 1;
	policy_decide(ps, &helper, POLICY_READ, &r, &ctx, &d);
	assert_string_equal(d.reason, "grant acc_test is malformed");
	make_grant(G_ACTIVE, &g);
	g.n_cidrs = 1;
	policy_decide(ps, &helper, POLICY_READ, &r, &ctx, &d);
	assert_string_equal(d.reason, "grant acc_test is malformed");
	/* Empty or NULL items never match, not even an empty id. */
	{
		static const char *const odd_items[] = { "", NULL, "credentials/", "helpers/**" };
		struct policy_resource noid = { "helpers/x", "" };

		make_grant(G_ACTIVE, &g);
		g.credentials = odd_items;
		g.n_credentials = 4;
		policy_decide(ps, &helper, POLICY_READ, &noid, &ctx, &d);
		assert_int_equal(d.allow, 0);
		assert_string_equal(d.reason, "not permitted by grant acc_test");
	}
	/* A grant expiring at 0 (never set) is expired. */
	make_grant(G_ACTIVE, &g);
	g.expires_at = 0;
	policy_decide(ps, &helper, POLICY_READ, &r, &ctx, &d);
	assert_string_equal(d.reason, "grant acc_test expired at 0");
	policy_free(ps);
}

/* Reasons quote request strings printable and cut, and always fit. */
static void
test_reason_text(void **state)
{
	struct policy_set *ps = parse_or_fail("[role admin]\nallow * credentials/**\n");
	struct policy_principal p = { POLICY_ADMIN, "ad\nmin\x01", NULL };
	struct policy_resource r = { "credentials/a\nb", NULL };
	struct policy_context ctx = { NOW, "unix" };
	struct policy_decision d;
	struct policy_grant g;
	char longpath[600];
	size_t i;

	(void)state;
	policy_decide(ps, &p, POLICY_READ, &r, &ctx, &d);
	assert_string_equal(d.reason, "no role ad?min?");
	p.role = "admin";
	policy_decide(ps, &p, POLICY_READ, &r, &ctx, &d);
	assert_int_equal(d.allow, 0);
	assert_string_equal(d.reason, "no rule of role admin allows read on credentials/a?b");
	memcpy(longpath, "credentials/", 12);
	for (i = 12; i < sizeof(longpath) - 1; i++)
		longpath[i] = (i % 20 == 0) ? '/' : 'x';
	longpath[sizeof(longpath) - 1] = '\0';
	r.path = longpath;
	policy_decide(ps, &p, POLICY_READ, &r, &ctx, &d);
	assert_int_equal(d.allow, 1);
	assert_true(strlen(d.reason) < sizeof(d.reason));
	assert_non_null(strstr(d.reason, "allows read on credentials/xxxxxxx"));
	assert_non_null(strstr(d.reason, "..."));
	/* A long accessor is cut too. */
	make_grant(G_REVOKED, &g);
	g.accessor = longpath;
	p.kind = POLICY_HELPER;
	p.grant = &g;
	policy_decide(ps, &p, POLICY_READ, &r, &ctx, &d);
	assert_true(strlen(d.reason) < sizeof(d.reason));
	assert_non_null(strstr(d.reason, "... is revoked"));
	g.accessor = NULL;
	policy_decide(ps, &p, POLICY_READ, &r, &ctx, &d);
	assert_string_equal(d.reason, "grant (none) is revoked");
	policy_free(ps);
}

/* ---- narrowing ---- */

static const char narrow_text[] =
    "[role admin]\n"                                        /* 1 */
    "allow *      credentials/**\n"                         /* 2 */
    "allow *      helpers/**\n"                             /* 3 */
    "deny  read   credentials/payments/*\n"                 /* 4 */
    "deny  lease  credentials/*/card    from 10.0.0.0/8\n"  /* 5 */
    "allow audit  audit from 127.0.0.1\n"                   /* 6 */
    "[role limited]\n"                                      /* 7 */
    "allow read, lease  credentials/sendgrid/*\n"           /* 8 */
    "allow update       credentials/sendgrid/main from unix\n"; /* 9 */

struct narrow_case {
	const char *role;
	unsigned actions;
	const char *pattern;
	int want;
	const char *reason;
};

#define R POLICY_READ
#define U POLICY_UPDATE
#define L POLICY_LEASE
static const struct narrow_case narrow_cases[] = {
	/* within */
	{ "admin", R, "credentials/sendgrid/main", 1,
	  "role admin may delegate read on credentials/sendgrid/main" },
	{ "admin", R | L, "credentials/sendgrid/m*", 1,
	  "role admin may delegate read, lease on credentials/sendgrid/m*" },
	{ "admin", R, "credentials/payments/x/y", 1, NULL },
	{ "limited", R, "credentials/sendgrid/main", 1, NULL },
	{ "limited", R | L, "credentials/sendgrid/m*", 1, NULL },
	/* equal */
	{ "admin", U, "credentials/**", 1, "role admin may delegate update on credentials/**" },
	{ "limited", R, "credentials/sendgrid/*", 1, NULL },
	/* wider */
	{ "admin", U, "**", 0, "no rule of role admin allows update on all of ** without network "
	  "limits" },
	{ "admin", U, "credentials/*", 1, NULL },
	{ "limited", R, "credentials/send*/*", 0, "no rule of role limited allows read on all of "
	  "credentials/send*/* without network limits" },
	{ "limited", R, "credentials/sendgrid/**", 0, NULL },
	{ "limited", R, "credentials/**", 0, NULL },
	{ "admin", U, "grants/**", 0, NULL },
	/* overlapping a deny of the issuer */
	{ "admin", R, "credentials/**", 0, "role admin: rule at roles.policy:4 denies read on "
	  "some of credentials/**" },
	{ "admin", R, "credentials/*/card", 0, NULL },
	{ "admin", R, "credentials/payments/card", 0, NULL },
	{ "admin", U, "credentials/payments/card", 1, NULL },
	/* a deny limited to networks still counts */
	{ "admin", L, "credentials/sendgrid/**", 0, "role admin: rule at roles.policy:5 denies "
	  "lease on some of credentials/sendgrid/**" },
	{ "admin", L, "credentials/sendgrid/main", 1, NULL },
	{ "admin", L, "credentials/sendgrid/*", 0, NULL },  /* credentials/sendgrid/card */
	{ "admin", R | L, "credentials/sendgrid/*", 0, "role admin: rule at roles.policy:5 "
	  "denies lease on some of credentials/sendgrid/*" },
	/* an allow limited to networks does not */
	{ "admin", POLICY_AUDIT, "audit", 0, NULL },
	{ "limited", U, "credentials/sendgrid/main", 0, NULL },
	{ "limited", R | U, "credentials/sendgrid/main", 0, "no rule of role limited allows update "
	  "on all of credentials/sendgrid/main without network limits" },
	/* nonsense */
	{ "ghost", R, "credentials/**", 0, "no role ghost" },
	{ "admin", 0, "credentials/**", 0, "invalid actions" },
	{ "admin", 0x200, "credentials/**", 0, "invalid actions" },
	{ "admin", R, "credentials//x", 0, "invalid pattern credentials//x" },
	{ "admin", R, "", 0, "invalid pattern " },
	{ "admin", R, NULL, 0, "invalid pattern (none)" },
	{ NULL, R, "credentials/**", 0, "no role (none)" },
};
#undef R
#undef U
#undef L

static void
test_may_delegate_table(void **state)
{
	struct policy_set *ps = parse_or_fail(narrow_text);
	struct policy_decision d;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(narrow_cases); i++) {
		const struct narrow_case *c = &narrow_cases[i];

		memset(&d, 0x55, sizeof(d));
		got = policy_may_delegate(ps, c->role, c->actions, c->pattern, &d);
		if (got != c->want || d.allow != c->want)
			fail_msg("case %zu: may_delegate(%s, %#x, %s) = %d (%s)", i, c->role,
			    c->actions, c->pattern, got, d.reason);
		if (c->reason != NULL)
			assert_string_equal(d.reason, c->reason);
	}
	assert_int_equal(policy_may_delegate(NULL, "admin", POLICY_READ, "audit", &d), 0);
	assert_int_equal(policy_may_delegate(ps, "admin", POLICY_READ, "credentials/x/y", NULL),
	    1);
	policy_free(ps);
}

/*
 * Soundness of narrowing against the decision itself: whenever delegation
 * is allowed, the role allows every concrete path the pattern matches, for
 * the action, from every client address.
 */
static void
test_may_delegate_implies_decide(void **state)
{
	static const char *const patterns[] = {
		"credentials/**", "credentials/*/*", "credentials/sendgrid/*", "credentials/*/card",
		"credentials/payments/*", "credentials/sendgrid/main", "credentials/payments/x/y",
		"helpers/**", "audit", "**", "credentials/s*/m*",
	};
	static const char *const paths[] = {
		"credentials/sendgrid/main", "credentials/sendgrid/card", "credentials/payments/card",
		"credentials/payments/x/y", "credentials/stripe/main", "helpers/h_1", "audit",
		"credentials/a/b/c/d",
	};
	struct policy_set *ps = parse_or_fail(narrow_text);
	struct policy_principal p = { POLICY_ADMIN, NULL, NULL };
	static const char *const roles[] = { "admin", "limited" };
	struct policy_resource r;
	struct policy_context ctx;
	struct policy_decision d;
	size_t pi, ti, ai, ri, yes = 0;
	int a;

	(void)state;
	for (ri = 0; ri < 2; ri++)
		for (pi = 0; pi < BOS_ARRAY_LEN(patterns); pi++)
			for (a = 0; a < 9; a++) {
				if (!policy_may_delegate(ps, roles[ri], 1u << a, patterns[pi], &d))
					continue;
				yes++;
				for (ti = 0; ti < BOS_ARRAY_LEN(paths); ti++) {
					if (!policy_match(patterns[pi], paths[ti]))
						continue;
					for (ai = 0; ai < BOS_ARRAY_LEN(addrs); ai++) {
						p.role = roles[ri];
						r = (struct policy_resource){ paths[ti], NULL };
						ctx = (struct policy_context){ NOW, addrs[ai] };
						policy_decide(ps, &p, 1u << a, &r, &ctx, &d);
						if (!d.allow)
							fail_msg("%s may delegate %s on %s, but %s from %s: %s",
							    roles[ri], action_names[a], patterns[pi], paths[ti],
							    addrs[ai], d.reason);
					}
				}
			}
	assert_true(yes > 20);
	policy_free(ps);
}

static void
test_actions_and_roles(void **state)
{
	struct policy_set *ps;
	int i;

	(void)state;
	for (i = 0; i < 9; i++) {
		assert_int_equal(policy_action_parse(action_names[i], strlen(action_names[i])),
		    1u << i);
		assert_string_equal(policy_action_name(1u << i), action_names[i]);
	}
	assert_int_equal(policy_action_parse("reed", 4), 0);
	assert_int_equal(policy_action_parse("READ", 4), 0);
	assert_int_equal(policy_action_parse("read", 3), 0);
	assert_int_equal(policy_action_parse("readx", 5), 0);
	assert_int_equal(policy_action_parse("*", 1), 0);
	assert_int_equal(policy_action_parse(NULL, 0), 0);
	assert_int_equal(policy_action_parse("", 0), 0);
	assert_string_equal(policy_action_name(0), "unknown");
	assert_string_equal(policy_action_name(3), "unknown");
	assert_string_equal(policy_action_name(0x200), "unknown");
	assert_string_equal(policy_action_name(POLICY_CLAIM), "claim");
	ps = parse_or_fail(test_text);
	assert_int_equal(policy_has_role(ps, "admin"), 1);
	assert_int_equal(policy_has_role(ps, "outreach"), 1);
	assert_int_equal(policy_has_role(ps, "nobody"), 0);
	assert_int_equal(policy_has_role(ps, "Admin"), 0);
	assert_int_equal(policy_has_role(ps, NULL), 0);
	assert_int_equal(policy_has_role(NULL, "admin"), 0);
	policy_free(ps);
	ps = parse_or_fail(policy_default_text);
	assert_int_equal(policy_has_role(ps, "admin"), 1);
	policy_free(ps);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_helper_existence_not_revealed),
		cmocka_unit_test(test_deny_precedence),
		cmocka_unit_test(test_decide_fails_closed),
		cmocka_unit_test(test_reason_text),
		cmocka_unit_test(test_may_delegate_table),
		cmocka_unit_test(test_may_delegate_implies_decide),
		cmocka_unit_test(test_actions_and_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
