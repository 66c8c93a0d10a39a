/*
 * Unit test for the route table (vault/api/routes.c): every route that changes
 * state is classified, so a new one cannot forget the signed audit head
 * silently (issue #12 item 7, docs/AUDIT.md "Signed before acknowledged").
 *
 * A route that revokes or changes rights (a revocation of a grant, a helper,
 * a credential or a session; an admin change) must be AUDIT_SIGNED: its
 * success is answered only once a checkpoint covers its record, so that a
 * copy of the database taken before it is refused at start. Every DELETE is
 * such a route. Any other POST, PUT or DELETE must be named below as one that
 * does not revoke or change rights; a route in neither list fails the test
 * with a message saying what to do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "api/api.h"

/* Revoke or change rights: restored from an older copy they would undo a revocation. */
static const char *const signed_routes[] = {
	"auth_logout",      /* ends a session */
	"admin_create",     /* the first admin: a copy from before would let it be made again */
	"admin_add",        /* another admin: a copy from before would drop it silently */
	"admin_reset",      /* ends sessions, clears an admin's lock */
	"cred_revoke",      /* crypto-shreds a credential */
	"helper_revoke",    /* revokes a helper and its grants */
	"grant_revoke",     /* revokes a grant's token */
	"budget_set",       /* a lowered budget: a copy from before would lift it silently */
	"broker_revoke",    /* revokes a broker's token */
	"lease_end",        /* ends a lease (every DELETE is signed) */
	"grant_pickup",     /* ends a pickup: a copy from before would hand the token out again */
	"approval_approve", /* widens a budget: as budget_set */
	"approval_reject",  /* a copy from before would bring back an approval to approve */
	"campaign_pause",   /* a copy from before would send what an admin stopped */
	"campaign_cancel",  /* as campaign_pause, for good */
	"outreach_track",   /* an unsubscribe: a copy from before would mail the person again */
	/* outreach: a suppression takes away the right to write to an address */
	"suppression_add",  /* a copy from before would lift it silently */
	"suppression_delete", /* every DELETE is signed */
	"outreach_events",  /* unsubscribes, bounces, complaints and STOPs suppress addresses */
	NULL,
};

/*
 * Change state without taking rights away: a copy from before them lacks
 * what they created, and the sign-ins' own writes (a TOTP step, a failure
 * count, a recovery code) are made durable on their own (issue #12 item 16).
 */
static const char *const unsigned_changes[] = {
	"auth_login", "auth_totp", "cred_create", "cred_update", "grant_create", "helper_create",
	/* a resume only lifts a pause (a copy from before pauses again); alerts are notes */
	"budget_resume", "alert_ack", "alert_resolve",
	/* brokers, leases and jobs: what they create or move, a copy from before lacks */
	"broker_create", "lease_create", "job_create", "job_claim", "job_heartbeat", "job_complete",
	"job_fail",
	/* outreach (issue #16): campaigns made or let run, a send's progress (a copy from before
	 * lacks them; the claim and the message's states keep a send from being made twice) */
	"outreach_email", "outreach_sms", "campaign_start", "campaign_resume", "send_sending",
	"send_sent",
	/* outreach lists: what they add, a copy from before lacks */
	"outreach_list_create", "outreach_list_append",
	/* ads (docs/ADS.md): an ad made or let run again, a creation step (the pending step keeps
	 * an object from being made twice; a pause is signed, as a campaign's) */
	"ad_create", "ad_resume", "ad_job_step",
	NULL,
};

static int
listed(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

static const char *
method_name(enum http_method m)
{
	return m == HTTP_GET ? "GET" : m == HTTP_POST ? "POST" : m == HTTP_PUT ? "PUT" :
	    m == HTTP_DELETE ? "DELETE" : "?";
}

static void
test_state_changes_are_classified(void **state)
{
	const struct http_route *rt;
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < api_routes_n; i++) {
		rt = &api_routes[i];
		if (rt->method == HTTP_GET || route_audit_signed(rt->audit))
			continue;
		if (rt->method != HTTP_DELETE && listed(unsigned_changes, rt->name))
			continue;
		printf("# route %s (%s %s) changes state but is not AUDIT_SIGNED: if it revokes or "
		    "changes rights, mark it AUDIT_SIGNED in vault/api/routes.c; if it does not, add it "
		    "to unsigned_changes in %s\n", rt->name, method_name(rt->method), rt->pattern,
		    __FILE__);
		bad++;
	}
	assert_int_equal(bad, 0);
}

static void
test_revocations_are_signed(void **state)
{
	const struct http_route *rt;
	size_t i, k, found;

	(void)state;
	for (k = 0; signed_routes[k] != NULL; k++) {
		found = 0;
		for (i = 0; i < api_routes_n; i++) {
			rt = &api_routes[i];
			if (strcmp(rt->name, signed_routes[k]) != 0)
				continue;
			found++;
			if (!route_audit_signed(rt->audit))
				printf("# route %s must be AUDIT_SIGNED (or AUDIT_LATE_SIGNED)\n", rt->name);
			assert_true(route_audit_signed(rt->audit));
		}
		if (found != 1)
			printf("# route %s: %zu in the table, expected 1\n", signed_routes[k], found);
		assert_int_equal(found, 1);
	}
}

/* The lists themselves: no name in both, and nothing listed that does not exist. */
static void
test_lists_are_current(void **state)
{
	size_t i, k, found;

	(void)state;
	for (k = 0; unsigned_changes[k] != NULL; k++) {
		assert_false(listed(signed_routes, unsigned_changes[k]));
		for (i = 0, found = 0; i < api_routes_n; i++)
			found += strcmp(api_routes[i].name, unsigned_changes[k]) == 0 &&
			    api_routes[i].method != HTTP_GET;
		if (found != 1)
			printf("# unsigned_changes names %s, which is not a state-changing route\n",
			    unsigned_changes[k]);
		assert_int_equal(found, 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_changes_are_classified),
		cmocka_unit_test(test_revocations_are_signed),
		cmocka_unit_test(test_lists_are_current),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
