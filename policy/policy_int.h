/*
 * What the files of policy/ share with each other (and with the policy unit
 * tests and fuzz target, which look inside a parsed set). Not part of the
 * contract in policy.h: the vault includes only policy.h.
 */
#ifndef BOS_POLICY_INT_H
#define BOS_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "policy.h"

/* Limits of a role file (docs/POLICY.md). */
#define POLICY_FILE_MAX (1024 * 1024)
#define POLICY_LINE_MAX 4096
#define POLICY_ROLES_MAX 256
#define POLICY_RULES_MAX 1024
#define POLICY_ROLE_NAME_MAX 32
#define POLICY_RULE_FROM_MAX 16
/* The file name kept for reasons; longer names are cut. */
#define POLICY_SET_NAME_MAX 128

/*
 * Longest pattern or path the glob functions look at. A role file line is at
 * most POLICY_LINE_MAX bytes, so no pattern in a file is longer; a longer
 * argument is malformed (no match, conservative covers/overlaps).
 */
#define POLICY_PATTERN_MAX POLICY_LINE_MAX

struct policy_rule {
	int deny;                     /* 1 deny, 0 allow */
	unsigned actions;             /* POLICY_READ | ... */
	unsigned line;                /* where it is written, for reasons */
	char *pattern;
	struct policy_cidr *from;     /* n_from == 0 && !from_unix: any client */
	size_t n_from;
	int from_unix;                /* "from unix": the vault's unix socket */
};

struct policy_role {
	char name[POLICY_ROLE_NAME_MAX + 1];
	unsigned line;
	size_t first_rule;            /* the role's rules are rules[first_rule .. +n_rules) */
	size_t n_rules;
};

struct policy_set {
	char name[POLICY_SET_NAME_MAX + 1];
	struct policy_role *roles;
	size_t n_roles, cap_roles;
	struct policy_rule *rules;
	size_t n_rules, cap_rules;
};

/* ---- policy_glob.c ---- */

enum policy_glob_err {
	POLICY_GLOB_OK = 0,
	POLICY_GLOB_EMPTY,            /* nothing at all */
	POLICY_GLOB_TOO_LONG,
	POLICY_GLOB_EMPTY_SEGMENT,    /* leading, trailing or doubled '/' */
	POLICY_GLOB_BAD_CHAR,
	POLICY_GLOB_DOT_SEGMENT,      /* "." or ".." */
	POLICY_GLOB_STARSTAR_NOT_LAST,
	POLICY_GLOB_STARSTAR_PART,    /* "a**", "***" */
	POLICY_GLOB_STAR_IN_PATH,
};

/*
 * Check a pattern (stars 1) or a concrete path (stars 0) of n bytes. On
 * error *at is the offset of the offending byte (n for "too long").
 */
enum policy_glob_err policy_glob_check(const char *s, size_t n, int stars, size_t *at) BOS_WUR;
const char *policy_glob_strerror(enum policy_glob_err e);
/* Is the NUL-terminated pattern well-formed (a path is a pattern too)? */
int policy_pattern_valid(const char *pattern) BOS_WUR;
/* May c appear in a path segment? */
int policy_glob_char(char c) BOS_WUR;

/* ---- policy_cidr.c ---- */

/*
 * policy_cidr_parse() of n bytes that need not be NUL-terminated; on error
 * writes what is wrong to why ("10.0.0.1/8 has host bits set").
 */
int policy_cidr_parse_text(const char *s, size_t n, struct policy_cidr *out, char *why,
    size_t whylen) BOS_WUR;
/* Is addr a well-formed IPv4 or IPv6 address? */
int policy_addr_valid(const char *addr) BOS_WUR;

/* ---- policy.c ---- */

const struct policy_role *policy_role_find(const struct policy_set *ps, const char *name);

#endif
