/*
 * The decision (policy_decide) and the narrowing check (policy_may_delegate);
 * see policy.h for the contract and docs/POLICY.md for the rules.
 *
 * Everything here fails closed: a NULL, a malformed path, an unknown action,
 * role or principal kind is a deny with a reason, never an allow. Reasons go
 * to the audit trail, so every string taken from the request (path, role,
 * accessor) is copied through reason_clean() first: printable ASCII only,
 * and cut to a length that leaves room for the rest of the sentence.
 */
#include "policy_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* How much of a request string a reason quotes. */
#define REASON_ITEM_MAX 72

static const char *const policy_action_names[] = {
	"read", "create", "update", "delete", "list", "grant", "lease", "audit", "claim",
};

const char policy_default_text[] =
    "# BOS role policies (roles.policy), read by bos-vaultd when it starts.\n"
    "# The format is in docs/POLICY.md; in short:\n"
    "#\n"
    "#   [role NAME]                      starts the rules of a role (a-z 0-9 _ -)\n"
    "#   allow ACTIONS PATTERN [from NETWORKS]\n"
    "#   deny  ACTIONS PATTERN [from NETWORKS]\n"
    "#\n"
    "# ACTIONS   read, create, update, delete, list, grant, lease, audit, claim,\n"
    "#           comma-separated, or * for all of them.\n"
    "# PATTERN   a resource path, compared segment by segment:\n"
    "#             credentials/SERVICE/NAME, credentials (the list itself),\n"
    "#             helpers/ID, grants/ACCESSOR, audit, admins/NAME, metrics,\n"
    "#             session, brokers/ID, jobs/KIND/SERVICE, leases/ID,\n"
    "#             budgets/SERVICE, alerts/ID, cost, approvals/ID,\n"
    "#             outreach/lists/ID, outreach/suppressions, outreach/events,\n"
    "#             outreach/stats\n"
    "#             (docs/POLICY.md lists what each route asks).\n"
    "#           * is any one segment, or any part of one (credentials/send*/main);\n"
    "#           ** as the last segment is everything below (credentials/**).\n"
    "#           Put a pattern in double quotes when it has a space.\n"
    "# NETWORKS  IPv4 or IPv6 networks (10.0.0.0/8, 2001:db8::/32, 192.0.2.7) or unix\n"
    "#           (the vault's local socket), comma-separated: the rule then applies\n"
    "#           only to requests from there.\n"
    "#\n"
    "# Nothing is allowed unless a rule allows it, and a deny that matches wins over\n"
    "# every allow, wherever it is written. Grants that an admin hands to helpers can\n"
    "# never reach further than the admin's own rules.\n"
    "\n"
    "# Brokers (docs/BROKERS.md): each role leases the keys of its services and\n"
    "# claims the verify jobs of the same services, on the local socket only.\n"
    "[role outreach]\n"
    "allow lease  credentials/sendgrid/**  from unix\n"
    "allow lease  credentials/twilio/**    from unix\n"
    "allow lease  credentials/mailgun/**   from unix\n"
    "allow claim  jobs/verify/sendgrid     from unix\n"
    "allow claim  jobs/verify/twilio       from unix\n"
    "allow claim  jobs/verify/mailgun      from unix\n"
    "allow claim  jobs/verify/smtp         from unix\n"
    "allow claim  jobs/verify/ses          from unix\n"
    "allow claim  jobs/verify/plivo        from unix\n"
    "# Outreach campaigns (docs/OUTREACH.md): the send jobs, the keys of every\n"
    "# mail and SMS provider, the message of a claimed send, tracking hits.\n"
    "allow lease  credentials/smtp/**      from unix\n"
    "allow lease  credentials/ses/**       from unix\n"
    "allow lease  credentials/plivo/**     from unix\n"
    "allow claim  jobs/send_email/*        from unix\n"
    "allow claim  jobs/send_sms/*          from unix\n"
    "allow read   outreach/sends           from unix\n"
    "allow update outreach/sends/*         from unix\n"
    "allow read   outreach/track           from unix\n"
    "# Ads (docs/ADS.md): the Meta token, the ad jobs, the ad of a claimed job\n"
    "# and the steps of its creation.\n"
    "allow lease  credentials/meta/**      from unix\n"
    "allow claim  jobs/ad_create/meta      from unix\n"
    "allow claim  jobs/ad_activate/meta    from unix\n"
    "allow claim  jobs/ad_pause/meta       from unix\n"
    "allow claim  jobs/ad_insights/meta    from unix\n"
    "allow claim  jobs/verify/meta         from unix\n"
    "allow read   outreach/ad-jobs         from unix\n"
    "allow update outreach/ad-jobs/*       from unix\n"
    "# Outreach (docs/OUTREACH.md): the providers' events from the hooks listener.\n"
    "allow create outreach/events          from unix\n"
    "\n"
    "[role monitor]\n"
    "allow lease  credentials/stripe/**    from unix\n"
    "allow lease  credentials/openai/**    from unix\n"
    "allow claim  jobs/verify/stripe       from unix\n"
    "allow claim  jobs/verify/openai       from unix\n"
    "\n"
    "# Nothing yet.\n"
    "[role hiring]\n"
    "\n"
    "[role admin]\n"
    "allow *    credentials\n"
    "allow *    credentials/**\n"
    "allow *    helpers\n"
    "allow *    helpers/**\n"
    "allow *    grants\n"
    "allow *    grants/**\n"
    "allow *    audit\n"
    "allow *    admins\n"
    "allow *    admins/**\n"
    "allow *    metrics\n"
    "allow *    session\n"
    "allow *    budgets\n"
    "allow *    budgets/**\n"
    "allow *    alerts\n"
    "allow *    alerts/**\n"
    "allow *    cost\n"
    "allow *    brokers\n"
    "allow *    brokers/**\n"
    "allow *    jobs\n"
    "allow *    jobs/**\n"
    "allow *    leases\n"
    "allow *    leases/**\n"
    "allow *    approvals\n"
    "allow *    approvals/**\n"
    "allow *    outreach\n"
    "allow *    outreach/**\n"
    "\n"
    "# Examples (remove the # to use one):\n"
    "# Nobody, not even an admin session, reads or leases the payment keys:\n"
    "#   deny  read, lease         credentials/payments/**\n"
    "# Credentials only from the office network (in place of the rule for\n"
    "# credentials/** above):\n"
    "#   allow *                   credentials/** from 192.0.2.0/24, 2001:db8::/32\n"
    "#\n"
    "# A narrower broker role (each role is defined once: in place of the one\n"
    "# above): only the mail and SMS keys, and not their verify jobs.\n"
    "# [role outreach]\n"
    "# allow lease                 credentials/sendgrid/* from unix\n"
    "# allow lease                 credentials/twilio/* from unix\n";

unsigned
policy_action_parse(const char *s, size_t n)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < BOS_ARRAY_LEN(policy_action_names); i++)
		if (strlen(policy_action_names[i]) == n &&
		    memcmp(policy_action_names[i], s, n) == 0) /* not secret */
			return 1u << i;
	return 0;
}

/* Exactly one known action bit? */
static int
policy_action_single(unsigned a)
{
	return a != 0 && (a & (a - 1)) == 0 && (a & ~POLICY_ACTIONS_ALL) == 0;
}

const char *
policy_action_name(unsigned one_action)
{
	unsigned i;

	if (!policy_action_single(one_action))
		return "unknown";
	for (i = 0; (one_action >> i) != 1; i++)
		;
	return policy_action_names[i];
}

const struct policy_role *
policy_role_find(const struct policy_set *ps, const char *name)
{
	size_t i;

	if (ps == NULL || name == NULL)
		return NULL;
	for (i = 0; i < ps->n_roles; i++)
		if (strcmp(ps->roles[i].name, name) == 0)
			return &ps->roles[i];
	return NULL;
}

int
policy_has_role(const struct policy_set *ps, const char *role)
{
	return policy_role_find(ps, role) != NULL;
}

/* ---- reasons ---- */

/*
 * A printable copy of s for a reason: bytes outside ASCII 0x20..0x7e as
 * '?', cut with "..." after REASON_ITEM_MAX bytes, "(none)" for NULL.
 */
static const char *
reason_clean(const char *s, char buf[static REASON_ITEM_MAX + 4])
{
	size_t i;

	if (s == NULL)
		return "(none)";
	for (i = 0; s[i] != '\0' && i < REASON_ITEM_MAX; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static void decision_set(struct policy_decision *out, int allow, const char *fmt, ...)
    BOS_PRINTF(3, 4);

/* Fill in the decision; a reason too long for the buffer ends in "...". */
static void
decision_set(struct policy_decision *out, int allow, const char *fmt, ...)
{
	va_list ap;
	int n;

	out->allow = allow;
	va_start(ap, fmt);
	n = vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	if (n < 0)
		(void)snprintf(out->reason, sizeof(out->reason), "%s", allow ? "allowed" :
		    "denied");
	else if ((size_t)n >= sizeof(out->reason))
		memcpy(out->reason + sizeof(out->reason) - 4, "...", 4);
}

/* ---- roles ---- */

/*
 * Does the rule's from list let this client in? A deny rule is applied when
 * the client's address cannot be understood at all, so that a deny limited
 * to some networks cannot be escaped with an odd address; an allow rule is
 * then not applied.
 */
static int
rule_from_matches(const struct policy_rule *rule, const char *addr)
{
	size_t i;

	if (rule->n_from == 0 && !rule->from_unix)
		return 1;
	if (addr != NULL && strcmp(addr, "unix") == 0)
		return rule->from_unix;
	for (i = 0; i < rule->n_from; i++)
		if (policy_cidr_contains(&rule->from[i], addr))
			return 1;
	return rule->deny && !policy_addr_valid(addr);
}

static int
rule_applies(const struct policy_rule *rule, unsigned action, const char *path,
    const char *addr)
{
	return (rule->actions & action) != 0 && policy_match(rule->pattern, path) &&
	    rule_from_matches(rule, addr);
}

/* The first rule of the role with this effect (deny 1/0) that applies; NULL if none. */
static const struct policy_rule *
role_first(const struct policy_set *ps, const struct policy_role *role, int deny,
    unsigned action, const char *path, const char *addr)
{
	size_t i;

	for (i = role->first_rule; i < role->first_rule + role->n_rules; i++)
		if (ps->rules[i].deny == deny && rule_applies(&ps->rules[i], action, path, addr))
			return &ps->rules[i];
	return NULL;
}

static void
decide_role(const struct policy_set *ps, const char *role_name, unsigned action,
    const struct policy_resource *r, const struct policy_context *ctx,
    struct policy_decision *out)
{
	const struct policy_role *role;
	const struct policy_rule *rule;
	char rb[REASON_ITEM_MAX + 4], pb[REASON_ITEM_MAX + 4];
	const char *an = policy_action_name(action);

	if (ps == NULL) {
		decision_set(out, 0, "no role policies are loaded");
		return;
	}
	if ((role = policy_role_find(ps, role_name)) == NULL) {
		decision_set(out, 0, "no role %s", reason_clean(role_name, rb));
		return;
	}
	/* An explicit deny wins, wherever it is written in the role. */
	if ((rule = role_first(ps, role, 1, action, r->path, ctx->client_addr)) != NULL) {
		decision_set(out, 0, "role %s: rule at %s:%u denies %s on %s", role->name, ps->name,
		    rule->line, an, reason_clean(r->path, pb));
		return;
	}
	if ((rule = role_first(ps, role, 0, action, r->path, ctx->client_addr)) != NULL) {
		decision_set(out, 1, "role %s: rule at %s:%u allows %s on %s", role->name, ps->name,
		    rule->line, an, reason_clean(r->path, pb));
		return;
	}
	decision_set(out, 0, "no rule of role %s allows %s on %s", role->name, an,
	    reason_clean(r->path, pb));
}

/* ---- helpers' grants ---- */

/* Is the address inside one of the grant's networks (any address without networks)? */
static int
grant_from_ok(const struct policy_grant *g, const char *addr)
{
	size_t i;

	if (g->n_cidrs == 0)
		return 1;
	for (i = 0; i < g->n_cidrs; i++)
		if (policy_cidr_contains(&g->cidrs[i], addr))
			return 1;
	return 0;
}

/*
 * Is the resource among the grant's credentials? An item with a '/' is a
 * path pattern; it counts only under "credentials/", so a grant cannot be
 * stretched to helpers, grants or the audit log. Any other item is a
 * credential id and must equal the resource's id.
 */
static int
grant_covers(const struct policy_grant *g, const struct policy_resource *r)
{
	const char *item;
	size_t i;

	for (i = 0; i < g->n_credentials; i++) {
		if ((item = g->credentials[i]) == NULL || item[0] == '\0')
			continue;
		if (strchr(item, '/') == NULL) {
			if (r->id != NULL && strcmp(item, r->id) == 0)
				return 1;
			continue;
		}
		if (strncmp(item, "credentials/", 12) == 0 && policy_match(item, r->path))
			return 1;
	}
	return 0;
}

static int
grant_well_formed(const struct policy_grant *g)
{
	return g->n_credentials <= POLICY_GRANT_MAX_ITEMS && g->n_cidrs <= POLICY_GRANT_MAX_CIDRS &&
	    (g->n_credentials == 0 || g->credentials != NULL) &&
	    (g->n_cidrs == 0 || g->cidrs != NULL);
}

/*
 * The grant's state is checked before what it covers, so a helper whose
 * grant is dead learns only that, and the answer for a resource outside the
 * grant is the same whether that resource exists or not.
 */
static void
decide_helper(const struct policy_grant *g, unsigned action, const struct policy_resource *r,
    const struct policy_context *ctx, struct policy_decision *out)
{
	char ab[REASON_ITEM_MAX + 4];
	const char *acc;

	if (g == NULL) {
		decision_set(out, 0, "helper without a grant");
		return;
	}
	acc = reason_clean(g->accessor, ab);
	if (!grant_well_formed(g))
		decision_set(out, 0, "grant %s is malformed", acc);
	else if (g->revoked)
		decision_set(out, 0, "grant %s is revoked", acc);
	else if (ctx->now >= g->expires_at)
		decision_set(out, 0, "grant %s expired at %" PRId64, acc, g->expires_at);
	else if (g->max_uses != 0 && g->uses >= g->max_uses)
		decision_set(out, 0, "grant %s: use limit %" PRIu32 " reached", acc, g->max_uses);
	else if (!grant_from_ok(g, ctx->client_addr))
		decision_set(out, 0, "grant %s: client address outside the grant's networks", acc);
	else if ((g->actions & action) == 0)
		decision_set(out, 0, "grant %s does not allow %s", acc, policy_action_name(action));
	else if (!grant_covers(g, r))
		decision_set(out, 0, "not permitted by grant %s", acc);
	else
		decision_set(out, 1, "grant %s allows %s", acc, policy_action_name(action));
}

void
policy_decide(const struct policy_set *ps, const struct policy_principal *p,
    unsigned action, const struct policy_resource *r, const struct policy_context *ctx,
    struct policy_decision *out)
{
	if (out == NULL)
		return;
	if (p == NULL || r == NULL || r->path == NULL || ctx == NULL) {
		decision_set(out, 0, "incomplete request");
		return;
	}
	if (!policy_action_single(action)) {
		decision_set(out, 0, "invalid action");
		return;
	}
	switch (p->kind) {
	case POLICY_ADMIN:
	case POLICY_BROKER:
		decide_role(ps, p->role, action, r, ctx, out);
		return;
	case POLICY_HELPER:
		decide_helper(p->grant, action, r, ctx, out);
		return;
	}
	decision_set(out, 0, "unknown kind of principal");
}

/* ---- narrowing ---- */

/* "read, lease": the names of the action bits; buf holds all nine. */
static void
actions_text(unsigned actions, char *buf, size_t len)
{
	size_t used = 0, i, n;

	buf[0] = '\0';
	for (i = 0; i < BOS_ARRAY_LEN(policy_action_names); i++) {
		if ((actions & (1u << i)) == 0)
			continue;
		n = strlen(policy_action_names[i]);
		/* 9 names of at most 6 bytes and 8 separators fit in far less than len. */
		if (used + n + 3 > len)
			return;
		if (used > 0) {
			memcpy(buf + used, ", ", 2);
			used += 2;
		}
		memcpy(buf + used, policy_action_names[i], n + 1);
		used += n;
	}
}

/*
 * May the role hand out this one action on everything the pattern reaches?
 * A deny rule that could match any of it refuses, whatever its networks; an
 * allow rule counts only without networks (the helper may come from
 * anywhere) and only when its pattern covers the whole of the pattern.
 */
static int
delegate_one(const struct policy_set *ps, const struct policy_role *role, unsigned action,
    const char *pattern, struct policy_decision *out)
{
	const struct policy_rule *rule;
	char pb[REASON_ITEM_MAX + 4];
	const char *an = policy_action_name(action);
	size_t i;
	int allowed = 0;

	for (i = role->first_rule; i < role->first_rule + role->n_rules; i++) {
		rule = &ps->rules[i];
		if ((rule->actions & action) == 0)
			continue;
		if (rule->deny && policy_pattern_overlaps(rule->pattern, pattern)) {
			decision_set(out, 0, "role %s: rule at %s:%u denies %s on some of %s",
			    role->name, ps->name, rule->line, an, reason_clean(pattern, pb));
			return 0;
		}
		if (!rule->deny && rule->n_from == 0 && !rule->from_unix &&
		    policy_pattern_covers(rule->pattern, pattern))
			allowed = 1;
	}
	if (!allowed)
		decision_set(out, 0, "no rule of role %s allows %s on all of %s without network "
		    "limits", role->name, an, reason_clean(pattern, pb));
	return allowed;
}

int
policy_may_delegate(const struct policy_set *ps, const char *role, unsigned actions,
    const char *pattern, struct policy_decision *out)
{
	struct policy_decision scratch;
	const struct policy_role *rl;
	char rb[REASON_ITEM_MAX + 4], pb[REASON_ITEM_MAX + 4], ab[80];
	unsigned a;

	if (out == NULL)
		out = &scratch;
	if (ps == NULL || (rl = policy_role_find(ps, role)) == NULL) {
		decision_set(out, 0, "no role %s", reason_clean(role, rb));
		return 0;
	}
	if (actions == 0 || (actions & ~POLICY_ACTIONS_ALL) != 0) {
		decision_set(out, 0, "invalid actions");
		return 0;
	}
	if (!policy_pattern_valid(pattern)) {
		decision_set(out, 0, "invalid pattern %s", reason_clean(pattern, pb));
		return 0;
	}
	for (a = 1; a <= POLICY_ACTIONS_ALL; a <<= 1)
		if ((actions & a) != 0 && !delegate_one(ps, rl, a, pattern, out))
			return 0;
	actions_text(actions, ab, sizeof(ab));
	decision_set(out, 1, "role %s may delegate %s on %s", rl->name, ab,
	    reason_clean(pattern, pb));
	return 1;
}
