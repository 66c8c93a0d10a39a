/*
 * Authorization: the one entry point through which every principal's
 * request reaches the policy engine (policy/policy.h). Authentication
 * (auth.h) says who is asking; grant_authorize decides what that principal
 * may do, per request, with nothing cached. Admins are decided by role
 * "admin"; brokers by the rules of their role (outreach, monitor, hiring);
 * helpers by their grant as it is in the database now
 * (store/helper.h grant_use_check); anyone else is refused. A grant being
 * made is narrowed by authz_may_delegate.
 *
 * Locking: the caller holds the vault's database lock (helpers' grant rows
 * are read and counted).
 */
#ifndef BOS_AUTHZ_H
#define BOS_AUTHZ_H

#include <stdint.h>
#include "auth/principal.h"
#include "compiler.h"
#include "err.h"
#include "policy.h"

struct store;

/* One request's question to the policy engine. */
struct grant_use {
	const struct policy_set *ps;
	const struct principal *who;  /* admin (by role) or helper (by its grant) */
	unsigned action;              /* one POLICY_* bit */
	const struct policy_resource *res;   /* NULL: the object does not exist */
	const struct policy_resource *shown; /* made up: what a helper's refusal may name */
	const struct policy_context *ctx;    /* now and the client address */
	uint32_t idle_s;              /* grant_idle_revoke_seconds */
};

/*
 * Decide one request. Admins: policy_decide with role "admin"; brokers:
 * policy_decide with their role (an empty role is no role: denied). Helpers:
 * grant_use_check (store/helper.h): the grant row read now, revoked first
 * when idle too long, policy_decide with the grant inline, then
 * policy_may_delegate for the admin role, and on "allow" the use counted.
 * Anyone else is refused.
 *
 * res == NULL (nothing by that name): the decision is made on shown and
 * counts nothing; a helper is always refused then. *told receives what the
 * caller may be told: for admins the decision itself; for a helper's
 * refusal the decision on shown (never counted), so that an unknown object
 * and one outside the grant are refused in the same words.
 *
 * Returns 0 with *d and *told filled, or -1 with err on a database error
 * (both then deny).
 */
int grant_authorize(struct store *s, const struct grant_use *u, struct policy_decision *d,
    struct policy_decision *told, struct bos_err *err) BOS_WUR;

/*
 * May an admin hand out actions on scope in a new grant? A grant can only
 * narrow what the admin role may do itself (docs/GRANTS.md). 1 yes, 0 no
 * with d->reason.
 */
int authz_may_delegate(const struct policy_set *ps, unsigned actions, const char *scope,
    struct policy_decision *d) BOS_WUR;

#endif
