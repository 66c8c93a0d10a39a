/* Authorization for every principal; see authz.h and docs/POLICY.md. */
#include "auth/authz.h"

#include <stdio.h>
#include <string.h>
#include "store/helper.h"

static void
authz_helper(struct store *s, const struct grant_use *u, struct policy_decision *d,
    struct policy_decision *told, struct bos_err *err, int *r)
{
	const struct grant_query q = { u->ps, u->who->accessor, u->action, u->res, u->shown,
	    u->ctx, u->idle_s };

	if ((*r = grant_use_check(s, &q, d, told, err)) != 0) {
		d->allow = 0;
		(void)snprintf(d->reason, sizeof(d->reason),
		    "grant %s could not be checked (database error)", u->who->accessor);
	}
}

int
grant_authorize(struct store *s, const struct grant_use *u, struct policy_decision *d,
    struct policy_decision *told, struct bos_err *err)
{
	struct policy_principal admin = { POLICY_ADMIN, GRANT_ADMIN_ROLE, NULL };
	struct policy_principal broker = { POLICY_BROKER, NULL, NULL };
	int r = 0;

	memset(d, 0, sizeof(*d));
	(void)snprintf(d->reason, sizeof(d->reason), "no rule for this caller");
	*told = *d;
	if (u->res == NULL && u->shown == NULL)
		return 0;   /* nothing to decide on: a caller's bug, refused */
	switch (u->who->kind) {
	case PRINCIPAL_ADMIN:
		policy_decide(u->ps, &admin, u->action, u->res != NULL ? u->res : u->shown, u->ctx,
		    d);
		break;
	case PRINCIPAL_HELPER:
		authz_helper(s, u, d, told, err, &r);
		break;
	case PRINCIPAL_BROKER:
		broker.role = u->who->role;
		policy_decide(u->ps, &broker, u->action, u->res != NULL ? u->res : u->shown, u->ctx,
		    d);
		break;
	default:
		break;
	}
	if (u->who->kind != PRINCIPAL_HELPER || r != 0)
		*told = *d;
	return r;
}

int
authz_may_delegate(const struct policy_set *ps, unsigned actions, const char *scope,
    struct policy_decision *d)
{
	return policy_may_delegate(ps, GRANT_ADMIN_ROLE, actions, scope, d);
}
