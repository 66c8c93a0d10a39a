/*
 * Unit tests for the policy column of the route table (vault/api/routes.c,
 * issue #12 item 3): every route has exactly one entry in
 * api_route_policies, so adding a route without saying what it asks the
 * policy fails here; only routes that cannot have a role behind them (public,
 * the sign-in steps, the local first admin) may be exempt, and they must say
 * why; every action is a policy action and every resource a path the engine
 * matches; and the default roles.policy lets the admin role use every route,
 * so a new vault never refuses its own admin. That the handlers really ask
 * what their entry says is shown against the running vault by
 * tests/integration/t_policy_routes.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "api/api.h"
#include "policy.h"

/* The entry of route name, or NULL; fails when there are two. */
static const struct api_route_policy *
entry_of(const char *name)
{
	const struct api_route_policy *found = NULL;
	size_t i;

	for (i = 0; i < api_route_policies_n; i++) {
		if (strcmp(api_route_policies[i].route, name) != 0)
			continue;
		if (found != NULL)
			fail_msg("route %s has two policy entries", name);
		found = &api_route_policies[i];
	}
	return found;
}

static const struct http_route *
route_of(const char *name)
{
	size_t i;

	for (i = 0; i < api_routes_n; i++)
		if (strcmp(api_routes[i].name, name) == 0)
			return &api_routes[i];
	return NULL;
}

/* "admins/{name}" -> "admins/x": a concrete path of the entry's shape. */
static void
sample(const char *tmpl, char *out, size_t cap)
{
	size_t o = 0;

	for (; *tmpl != '\0'; tmpl++) {
		assert_true(o + 2 < cap);
		if (*tmpl == '{') {
			while (*tmpl != '\0' && *tmpl != '}')
				tmpl++;
			assert_int_equal(*tmpl, '}');
			out[o++] = 'x';
		} else {
			out[o++] = *tmpl;
		}
	}
	out[o] = '\0';
}

static void
test_every_route_has_one_entry(void **state)
{
	const struct api_route_policy *p;
	size_t i;

	(void)state;
	assert_true(api_routes_n >= 20);
	for (i = 0; i < api_routes_n; i++) {
		p = entry_of(api_routes[i].name);
		if (p == NULL)
			fail_msg("route %s (%s) has no entry in api_route_policies (routes.c): say "
			    "what it asks the policy", api_routes[i].name, api_routes[i].pattern);
	}
	for (i = 0; i < api_route_policies_n; i++)
		if (route_of(api_route_policies[i].route) == NULL)
			fail_msg("policy entry %s names no route", api_route_policies[i].route);
	assert_int_equal(api_route_policies_n, api_routes_n);
}

static void
test_exempt_only_without_a_role(void **state)
{
	const struct api_route_policy *p;
	const struct http_route *rt;
	size_t i;

	(void)state;
	for (i = 0; i < api_route_policies_n; i++) {
		p = &api_route_policies[i];
		rt = route_of(p->route);
		assert_non_null(rt);
		if (p->action != NULL) {
			assert_non_null(p->resource);
			assert_null(p->exempt);
			continue;
		}
		assert_null(p->resource);
		if (p->exempt == NULL || strlen(p->exempt) < 10)
			fail_msg("route %s is exempt without saying why", p->route);
		/* A full admin session or a helper token has a role or a grant to ask. */
		if (rt->auth == ROUTE_ADMIN || rt->auth == ROUTE_PRINCIPAL)
			fail_msg("route %s needs a session but asks the policy nothing", p->route);
	}
}

static void
test_actions_and_resources_valid(void **state)
{
	const struct api_route_policy *p;
	char path[256];
	size_t i;

	(void)state;
	for (i = 0; i < api_route_policies_n; i++) {
		p = &api_route_policies[i];
		if (p->action == NULL)
			continue;
		if (policy_action_parse(p->action, strlen(p->action)) == 0)
			fail_msg("route %s: '%s' is not a policy action", p->route, p->action);
		sample(p->resource, path, sizeof(path));
		/* A path the engine takes: the catch-all pattern matches it. */
		if (!policy_match("**", path))
			fail_msg("route %s: resource '%s' is not a valid path", p->route, path);
	}
}

/* No two routes ask the same question: a rule can deny exactly one route. */
static void
test_questions_distinct(void **state)
{
	const struct api_route_policy *a, *b;
	size_t i, j;

	(void)state;
	for (i = 0; i < api_route_policies_n; i++) {
		a = &api_route_policies[i];
		for (j = i + 1; a->action != NULL && j < api_route_policies_n; j++) {
			b = &api_route_policies[j];
			if (b->action != NULL && strcmp(a->action, b->action) == 0 &&
			    strcmp(a->resource, b->resource) == 0)
				fail_msg("routes %s and %s both ask %s on %s", a->route, b->route,
				    a->action, a->resource);
		}
	}
}

static void
test_default_policy_allows_admin(void **state)
{
	const struct policy_principal admin = { POLICY_ADMIN, "admin", NULL };
	const struct policy_context ctx = { 1700000000, "127.0.0.1" };
	struct policy_resource res = { NULL, NULL };
	struct policy_decision d;
	struct policy_set *ps = NULL;
	char path[256], err[256];
	size_t i;

	(void)state;
	assert_int_equal(policy_parse("default", policy_default_text, strlen(policy_default_text),
	    &ps, err, sizeof(err)), 0);
	for (i = 0; i < api_route_policies_n; i++) {
		const struct api_route_policy *p = &api_route_policies[i];

		if (p->action == NULL)
			continue;
		sample(p->resource, path, sizeof(path));
		res.path = path;
		policy_decide(ps, &admin, policy_action_parse(p->action, strlen(p->action)), &res,
		    &ctx, &d);
		if (!d.allow)
			fail_msg("the default roles.policy refuses route %s: %s", p->route, d.reason);
	}
	policy_free(ps);
}

/* The negative case: a role file written before these routes existed refuses them. */
static void
test_old_default_refuses_new_resources(void **state)
{
	static const char old[] = "[role admin]\nallow * credentials\nallow * credentials/**\n"
	    "allow * helpers\nallow * helpers/**\nallow * grants\nallow * grants/**\n"
	    "allow * audit\n";
	const struct policy_principal admin = { POLICY_ADMIN, "admin", NULL };
	const struct policy_context ctx = { 1700000000, "unix" };
	struct policy_resource res = { "metrics", NULL };
	struct policy_decision d;
	struct policy_set *ps = NULL;
	char err[256];

	(void)state;
	assert_int_equal(policy_parse("old", old, strlen(old), &ps, err, sizeof(err)), 0);
	policy_decide(ps, &admin, POLICY_READ, &res, &ctx, &d);
	assert_int_equal(d.allow, 0);
	res.path = "admins/x";
	policy_decide(ps, &admin, POLICY_UPDATE, &res, &ctx, &d);
	assert_int_equal(d.allow, 0);
	policy_free(ps);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_has_one_entry),
		cmocka_unit_test(test_exempt_only_without_a_role),
		cmocka_unit_test(test_actions_and_resources_valid),
		cmocka_unit_test(test_questions_distinct),
		cmocka_unit_test(test_default_policy_allows_admin),
		cmocka_unit_test(test_old_default_refuses_new_resources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
