/*
 * The policy engine: a pure decision function from (principal, action,
 * resource, context) to allow or deny plus a reason, and the parser of role
 * policy files. No I/O anywhere in policy/: callers read files and pass the
 * bytes, and pass the clock and the client address in the context. That is
 * what makes it easy to test exhaustively and to fuzz.
 *
 * Rules: default deny; an explicit deny wins over any allow; a helper's
 * grant allows only what it lists, and only while it is not expired,
 * exhausted or revoked, and only from its CIDRs. The reason is what the
 * audit trail records: it names the rule or grant that decided, never a
 * secret.
 *
 * Resources are paths. A credential is "credentials/<service>/<name>"; other
 * objects are "helpers/<id>", "grants/<accessor>", "audit". Patterns match
 * paths segment by segment: "*" matches exactly one segment (or, inside a
 * segment, any run of characters but '/': "send*"), "**" as the last segment
 * matches any rest (one or more segments).
 */
#ifndef BOS_POLICY_H
#define BOS_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

enum policy_action {
	POLICY_READ = 1 << 0,
	POLICY_CREATE = 1 << 1,
	POLICY_UPDATE = 1 << 2,
	POLICY_DELETE = 1 << 3,
	POLICY_LIST = 1 << 4,
	POLICY_GRANT = 1 << 5,
	POLICY_LEASE = 1 << 6,
	POLICY_AUDIT = 1 << 7,
	POLICY_CLAIM = 1 << 8,        /* a broker takes a job: jobs/KIND/SERVICE */
};
#define POLICY_ACTIONS_ALL 0x1ffu

/* "read" -> POLICY_READ; 0 when unknown. */
unsigned policy_action_parse(const char *s, size_t n) BOS_WUR;
const char *policy_action_name(unsigned one_action);

enum policy_principal_kind { POLICY_ADMIN = 1, POLICY_HELPER, POLICY_BROKER };

/* An IPv4 or IPv6 network. */
struct policy_cidr {
	uint8_t family;       /* 4 or 6 */
	uint8_t prefix;       /* bits */
	uint8_t addr[16];
};

/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.7" (= /32). 0 or -1. */
int policy_cidr_parse(const char *s, struct policy_cidr *out) BOS_WUR;
/* Is the textual address addr ("127.0.0.1", "::1") inside c? 1 yes, 0 no or unparsable. */
int policy_cidr_contains(const struct policy_cidr *c, const char *addr) BOS_WUR;

#define POLICY_GRANT_MAX_ITEMS 32
#define POLICY_GRANT_MAX_CIDRS 16

/* A helper's grant, as the vault loaded it for this request. */
struct policy_grant {
	const char *accessor;                 /* public id, for reasons */
	const char *const *credentials;       /* credential ids ("cr_...") or credential path
	                                       * patterns such as "credentials/sendgrid/ *" (no space) */
	size_t n_credentials;
	unsigned actions;                     /* POLICY_READ | POLICY_UPDATE ... */
	int64_t expires_at;                   /* unix seconds */
	uint32_t max_uses;                    /* 0 = unlimited */
	uint32_t uses;                        /* uses so far */
	int revoked;
	const struct policy_cidr *cidrs;      /* n_cidrs == 0: any address */
	size_t n_cidrs;
};

struct policy_principal {
	enum policy_principal_kind kind;
	const char *role;                     /* admins: "admin"; brokers: their role */
	const struct policy_grant *grant;     /* helpers only */
};

struct policy_resource {
	const char *path;                     /* "credentials/sendgrid/sendgrid-main" */
	const char *id;                       /* "cr_..." when the resource is a credential, else NULL */
};

struct policy_context {
	int64_t now;                          /* unix seconds */
	const char *client_addr;              /* "127.0.0.1", "::1", or "unix" */
};

struct policy_decision {
	int allow;                            /* 1 allow, 0 deny */
	char reason[200];                     /* "role admin rule 3 (roles.policy:7) allows read" */
};

struct policy_set;  /* parsed role policies */

/*
 * Parse role policies from text (the contents of a file; name is used in
 * messages only). On error returns -1 and writes "name:line:column: what is
 * wrong" into errbuf.
 */
int policy_parse(const char *name, const char *text, size_t len, struct policy_set **out,
    char *errbuf, size_t errlen) BOS_WUR;
void policy_free(struct policy_set *ps);

/* Does the set define this role? */
int policy_has_role(const struct policy_set *ps, const char *role) BOS_WUR;

/* The decision. Never fails: anything unexpected is a deny with a reason. */
void policy_decide(const struct policy_set *ps, const struct policy_principal *p,
    unsigned action, const struct policy_resource *r, const struct policy_context *ctx,
    struct policy_decision *out);

/*
 * Narrowing: may an issuer whose role is `role` hand out `actions` on every
 * resource that `pattern` (a credential id's path or a path pattern) can
 * match? 1 when the role allows each action on all of them and no deny rule
 * of the role can match any of them; else 0 with the reason.
 */
int policy_may_delegate(const struct policy_set *ps, const char *role, unsigned actions,
    const char *pattern, struct policy_decision *out) BOS_WUR;

/* Pattern matching, exposed for tests: 1 when path matches pattern. */
int policy_match(const char *pattern, const char *path) BOS_WUR;
/* Does every path matched by inner also match outer? 1/0 (conservative: 0 when unsure). */
int policy_pattern_covers(const char *outer, const char *inner) BOS_WUR;
/* Can some path match both? 1/0 (conservative: 1 when unsure). */
int policy_pattern_overlaps(const char *a, const char *b) BOS_WUR;

/* The default role file that `bosctl init` writes (roles.policy). */
extern const char policy_default_text[];

#endif
