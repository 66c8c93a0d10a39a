/* PLACEHOLDER until the policy engineer's work lands: everything denies. */
#include "policy.h"

#include <stdio.h>
#include <string.h>

const char policy_default_text[] = "";

unsigned policy_action_parse(const char *s, size_t n) { (void)s; (void)n; return 0; }
const char *policy_action_name(unsigned a) { (void)a; return "?"; }
int policy_cidr_parse(const char *s, struct policy_cidr *out) { (void)s; (void)out; return -1; }
int policy_cidr_contains(const struct policy_cidr *c, const char *addr) { (void)c; (void)addr; return 0; }
int policy_parse(const char *name, const char *text, size_t len, struct policy_set **out, char *errbuf, size_t errlen)
{ (void)text; (void)len; *out = NULL; (void)snprintf(errbuf, errlen, "%s: not implemented", name); return -1; }
void policy_free(struct policy_set *ps) { (void)ps; }
int policy_has_role(const struct policy_set *ps, const char *role) { (void)ps; (void)role; return 0; }
void policy_decide(const struct policy_set *ps, const struct policy_principal *p, unsigned action,
    const struct policy_resource *r, const struct policy_context *ctx, struct policy_decision *out)
{ (void)ps; (void)p; (void)action; (void)r; (void)ctx; out->allow = 0; (void)snprintf(out->reason, sizeof(out->reason), "not implemented"); }
int policy_may_delegate(const struct policy_set *ps, const char *role, unsigned actions, const char *pattern, struct policy_decision *out)
{ (void)ps; (void)role; (void)actions; (void)pattern; out->allow = 0; return 0; }
int policy_match(const char *pattern, const char *path) { (void)pattern; (void)path; return 0; }
int policy_pattern_covers(const char *o, const char *i) { (void)o; (void)i; return 0; }
int policy_pattern_overlaps(const char *a, const char *b) { (void)a; (void)b; return 1; }
