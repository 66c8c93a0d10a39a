/*
 * Unit tests for vault/http/http_route.c: route matching on raw paths ({params},
 * trailing slashes, percent-encoding), the 405 method set and its Allow
 * header, and the header-value parsers the HTTP core relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "api/api.h"
#include "http/http_route.h"

static const char *const f_any[] = { "a", NULL };

/* A table shaped like the real one; handlers are never called here. */
static const struct http_route routes[] = {
	{ HTTP_GET, "/health", ROUTE_PUBLIC, NULL, "health", NULL, NULL, AUDIT_TXN },
	{ HTTP_POST, "/admins", ROUTE_LOCAL_VAULT_UID, NULL, "admin_create", f_any, NULL, AUDIT_TXN },
	{ HTTP_GET, "/admins", ROUTE_ADMIN, NULL, "admin_list", NULL, NULL, AUDIT_TXN },
	{ HTTP_POST, "/admins/{name}/reset", ROUTE_ADMIN, NULL, "admin_reset", f_any, NULL, AUDIT_TXN },
	{ HTTP_GET, "/credentials/{id}", ROUTE_ADMIN, NULL, "cred_get", NULL, NULL, AUDIT_TXN },
	{ HTTP_PUT, "/credentials/{id}", ROUTE_ADMIN, NULL, "cred_update", f_any, NULL, AUDIT_TXN },
	{ HTTP_DELETE, "/credentials/{id}", ROUTE_ADMIN, NULL, "cred_revoke", NULL, NULL, AUDIT_TXN },
	{ HTTP_GET, "/credentials/{id}/versions", ROUTE_ADMIN, NULL, "cred_versions", NULL, NULL, AUDIT_TXN },
	{ HTTP_GET, "/a/{x}/b/{y}", ROUTE_ADMIN, NULL, "two", NULL, NULL, AUDIT_TXN },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static struct http_match m;

static enum http_match_result
match(const char *path, unsigned method)
{
	return http_route_match(routes, NROUTES, path, strlen(path), method, &m);
}

static void
test_exact_paths(void **state)
{
	(void)state;
	assert_int_equal(match("/health", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(m.route->name, "health");
	assert_int_equal(m.nparams, 0);
	assert_int_equal(match("/admins", HTTP_POST), HTTP_MATCH_OK);
	assert_string_equal(m.route->name, "admin_create");
	assert_int_equal(match("/admins", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(m.route->name, "admin_list");
	assert_int_equal(match("/nope", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("/healthz", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("/Health", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("/", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("health", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("http://x/health", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("*", HTTP_GET), HTTP_MATCH_NO_PATH);
}

static void
test_params(void **state)
{
	(void)state;
	assert_int_equal(match("/credentials/c_123", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(m.route->name, "cred_get");
	assert_int_equal(m.nparams, 1);
	assert_string_equal(http_match_param(&m, "id"), "c_123");
	assert_null(http_match_param(&m, "i"));
	assert_null(http_match_param(&m, "idx"));
	assert_int_equal(match("/credentials/c_123/versions", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(m.route->name, "cred_versions");
	assert_string_equal(http_match_param(&m, "id"), "c_123");
	assert_int_equal(match("/admins/bob/reset", HTTP_POST), HTTP_MATCH_OK);
	assert_string_equal(http_match_param(&m, "name"), "bob");
	assert_int_equal(match("/a/1/b/2", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(http_match_param(&m, "x"), "1");
	assert_string_equal(http_match_param(&m, "y"), "2");
	/* A parameter is one non-empty segment. */
	assert_int_equal(match("/credentials/", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("/credentials//versions", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("/credentials/a/b", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("/admins//reset", HTTP_POST), HTTP_MATCH_NO_PATH);
}

static void
test_slashes(void **state)
{
	(void)state;
	assert_int_equal(match("/health/", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("//health", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("/health//", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("/credentials/x/", HTTP_GET), HTTP_MATCH_NO_PATH);
	assert_int_equal(match("/credentials/x/versions/", HTTP_GET), HTTP_MATCH_NO_PATH);
	/* Dot segments are not resolved: "." is just an id that will not be found. */
	assert_int_equal(match("/credentials/./versions", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(http_match_param(&m, "id"), ".");
	assert_int_equal(match("/x/../health", HTTP_GET), HTTP_MATCH_NO_PATH);
}

static void
test_encoded(void **state)
{
	(void)state;
	assert_int_equal(match("/credentials/a%20b", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(http_match_param(&m, "id"), "a b");
	assert_int_equal(match("/credentials/%C3%A9t%c3%a9", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(http_match_param(&m, "id"), "\xc3\xa9t\xc3\xa9");
	/* Literal segments compare after decoding (RFC 3986 6.2.2.2). */
	assert_int_equal(match("/h%65alth", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(m.route->name, "health");
	assert_int_equal(match("/credentials/a%25b", HTTP_GET), HTTP_MATCH_OK);
	assert_string_equal(http_match_param(&m, "id"), "a%b");
	/* An escaped '/' must not turn one segment into two, nor match a literal. */
	assert_int_equal(match("/credentials/a%2Fb", HTTP_GET), HTTP_MATCH_BAD_PATH);
	assert_int_equal(match("/credentials/a%2fversions", HTTP_GET), HTTP_MATCH_BAD_PATH);
	assert_int_equal(match("/credentials%2Fx", HTTP_GET), HTTP_MATCH_BAD_PATH);
	/* Malformed escapes and control bytes. */
	assert_int_equal(match("/credentials/a%", HTTP_GET), HTTP_MATCH_BAD_PATH);
	assert_int_equal(match("/credentials/a%4", HTTP_GET), HTTP_MATCH_BAD_PATH);
	assert_int_equal(match("/credentials/a%zz", HTTP_GET), HTTP_MATCH_BAD_PATH);
	assert_int_equal(match("/credentials/a%00b", HTTP_GET), HTTP_MATCH_BAD_PATH);
	assert_int_equal(match("/credentials/a%0Ab", HTTP_GET), HTTP_MATCH_BAD_PATH);
	assert_int_equal(match("/credentials/a%7f", HTTP_GET), HTTP_MATCH_BAD_PATH);
	assert_int_equal(match("/credentials/a\tb", HTTP_GET), HTTP_MATCH_BAD_PATH);
	/* Checked before any route: an unknown path with a bad escape is still 400. */
	assert_int_equal(match("/nope/%zz", HTTP_GET), HTTP_MATCH_BAD_PATH);
}

static void
test_path_length(void **state)
{
	char p[HTTP_PATH_MAX + 2];

	(void)state;
	memcpy(p, "/credentials/", 13);
	memset(p + 13, 'x', sizeof(p) - 14);
	p[HTTP_PATH_MAX] = '\0';
	assert_int_equal(match(p, HTTP_GET), HTTP_MATCH_OK);
	assert_int_equal(strlen(http_match_param(&m, "id")), HTTP_PATH_MAX - 13);
	p[HTTP_PATH_MAX] = 'x';
	p[HTTP_PATH_MAX + 1] = '\0';
	assert_int_equal(match(p, HTTP_GET), HTTP_MATCH_NO_PATH);
	/* More segments than a path can have. */
	assert_int_equal(match("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", HTTP_GET), HTTP_MATCH_NO_PATH);
}

static void
test_methods_405(void **state)
{
	char allow[HTTP_ALLOW_SIZE];

	(void)state;
	assert_int_equal(match("/health", HTTP_DELETE), HTTP_MATCH_NO_METHOD);
	assert_int_equal(m.allow, HTTP_GET);
	assert_null(m.route);
	assert_int_equal(http_allow_format(m.allow, allow, sizeof(allow)), 0);
	assert_string_equal(allow, "GET");

	assert_int_equal(match("/credentials/x", HTTP_POST), HTTP_MATCH_NO_METHOD);
	assert_int_equal(m.allow, HTTP_GET | HTTP_PUT | HTTP_DELETE);
	assert_int_equal(http_allow_format(m.allow, allow, sizeof(allow)), 0);
	assert_string_equal(allow, "GET, PUT, DELETE");

	assert_int_equal(match("/admins", HTTP_PUT), HTTP_MATCH_NO_METHOD);
	assert_int_equal(m.allow, HTTP_GET | HTTP_POST);
	/* An unknown method (HEAD, PATCH ...) is 0: a known path answers 405, not 404. */
	assert_int_equal(match("/admins", 0), HTTP_MATCH_NO_METHOD);
	assert_int_equal(http_allow_format(m.allow, allow, sizeof(allow)), 0);
	assert_string_equal(allow, "GET, POST");
	/* The method set of a matched request is computed too. */
	assert_int_equal(match("/credentials/x", HTTP_DELETE), HTTP_MATCH_OK);
	assert_string_equal(m.route->name, "cred_revoke");
	assert_int_equal(m.allow, HTTP_GET | HTTP_PUT | HTTP_DELETE);

	assert_int_equal(http_allow_format(HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_DELETE, allow,
	    sizeof(allow)), 0);
	assert_string_equal(allow, "GET, POST, PUT, DELETE");
	assert_int_equal(http_allow_format(HTTP_GET | HTTP_POST, allow, 10), 0);
	assert_int_equal(http_allow_format(HTTP_GET | HTTP_POST, allow, 9), -1);
	assert_int_equal(http_allow_format(0, allow, sizeof(allow)), 0);
	assert_string_equal(allow, "");
}

static void
test_method_names(void **state)
{
	(void)state;
	assert_int_equal(http_method_parse("GET"), HTTP_GET);
	assert_int_equal(http_method_parse("POST"), HTTP_POST);
	assert_int_equal(http_method_parse("PUT"), HTTP_PUT);
	assert_int_equal(http_method_parse("DELETE"), HTTP_DELETE);
	assert_int_equal(http_method_parse("get"), 0);
	assert_int_equal(http_method_parse("HEAD"), 0);
	assert_int_equal(http_method_parse("GETX"), 0);
	assert_int_equal(http_method_parse(""), 0);
	assert_int_equal(http_method_parse(NULL), 0);
	assert_string_equal(http_method_name(HTTP_PUT), "PUT");
	assert_string_equal(http_method_name(0), "OTHER");
}

/* The real table: every pattern matches itself, names are unique, and no two routes collide. */
static void
test_real_table(void **state)
{
	char path[256];
	size_t i, j, k, o;

	(void)state;
	for (i = 0; i < api_routes_n; i++) {
		/* Turn "/credentials/{id}/versions" into "/credentials/x/versions". */
		for (j = 0, o = 0; api_routes[i].pattern[j] != '\0' && o + 2 < sizeof(path); j++) {
			if (api_routes[i].pattern[j] == '{') {
				path[o++] = 'x';
				while (api_routes[i].pattern[j] != '}')
					j++;
			} else {
				path[o++] = api_routes[i].pattern[j];
			}
		}
		path[o] = '\0';
		assert_int_equal(http_route_match(api_routes, api_routes_n, path, strlen(path),
		    api_routes[i].method, &m), HTTP_MATCH_OK);
		assert_ptr_equal(m.route, &api_routes[i]);
		for (k = i + 1; k < api_routes_n; k++)
			assert_true(strcmp(api_routes[i].name, api_routes[k].name) != 0);
	}
	assert_int_equal(http_route_match(api_routes, api_routes_n, "/health", 7, HTTP_DELETE, &m),
	    HTTP_MATCH_NO_METHOD);
	assert_int_equal(m.allow, HTTP_GET);
}

/*
 * Reserved values of a parameter (issue #12 item 11): a credential named
 * like a fixed segment beside {id} would not be reachable by its name.
 */
static void
test_param_reserved(void **state)
{
	static const char *const reserved[] = { "audit", "grant" };
	static const char *const kept[] = {
		"versions", "export", "pubkey", "Audit", "GRANT", "audits", "audi", "grants",
		"credentials", "health", "helpers", "x", "cr", "audit ", " audit", "sendgrid-main",
	};
	const char *const patterns[] = { "/credentials/{id}", "/credentials/{id}/versions" };
	size_t i, j;

	(void)state;
	for (j = 0; j < 2; j++) {
		for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
			if (!http_route_param_reserved(api_routes, api_routes_n, patterns[j], "id",
			    reserved[i]))
				fail_msg("'%s' should be reserved for {id} of %s", reserved[i],
				    patterns[j]);
		for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
			if (http_route_param_reserved(api_routes, api_routes_n, patterns[j], "id",
			    kept[i]))
				fail_msg("'%s' is not reserved", kept[i]);
	}
	/* No such parameter, or a pattern with none. */
	assert_false(http_route_param_reserved(api_routes, api_routes_n, "/credentials/{id}",
	    "name", "audit"));
	assert_false(http_route_param_reserved(api_routes, api_routes_n, "/health", "id", "x"));
	/* Segments at other depths reserve nothing: "versions" and "reset" are deeper. */
	assert_false(http_route_param_reserved(routes, NROUTES, "/credentials/{id}", "id",
	    "versions"));
	assert_false(http_route_param_reserved(routes, NROUTES, "/admins/{name}/reset", "name",
	    "reset"));
	assert_false(http_route_param_reserved(routes, NROUTES, "/a/{x}/b/{y}", "y", "b"));
}

/* A route added later reserves its segment at once: nothing collides silently. */
static void
test_param_reserved_new_route(void **state)
{
	struct http_route t[256];
	size_t n = api_routes_n;

	(void)state;
	assert_true(n + 3 <= sizeof(t) / sizeof(t[0]));
	memcpy(t, api_routes, n * sizeof(t[0]));
	assert_false(http_route_param_reserved(t, n, "/credentials/{id}", "id", "stats"));
	t[n++] = (struct http_route){ HTTP_GET, "/credentials/stats", ROUTE_ADMIN, NULL, "stats",
	    NULL, NULL, AUDIT_TXN };
	assert_true(http_route_param_reserved(t, n, "/credentials/{id}", "id", "stats"));
	/* "/{any}/rotate" would take /credentials/rotate too. */
	t[n++] = (struct http_route){ HTTP_POST, "/{kind}/rotate", ROUTE_ADMIN, NULL, "rotate",
	    NULL, NULL, AUDIT_TXN };
	assert_true(http_route_param_reserved(t, n, "/credentials/{id}", "id", "rotate"));
	/* A deeper route does not: /credentials/{id}/history is the credential's. */
	t[n++] = (struct http_route){ HTTP_GET, "/credentials/{id}/history", ROUTE_ADMIN, NULL,
	    "history", NULL, NULL, AUDIT_TXN };
	assert_false(http_route_param_reserved(t, n, "/credentials/{id}", "id", "history"));
}

/*
 * The guarantee: any name that is not reserved reaches the credential's own
 * route by every method of every {id} route, in the real table.
 */
static void
test_unreserved_names_reachable(void **state)
{
	static const char *const names[] = {
		"versions", "export", "pubkey", "Audit", "grants", "credentials", "health",
		"sendgrid-main", "auth", "login", "admins", "metrics", "helpers", "x",
	};
	char path[128];
	size_t i, r;
	const char *tail;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_false(http_route_param_reserved(api_routes, api_routes_n,
		    "/credentials/{id}", "id", names[i]));
		for (r = 0; r < api_routes_n; r++) {
			if (strncmp(api_routes[r].pattern, "/credentials/{id}", 17) != 0)
				continue;
			tail = api_routes[r].pattern + 17;
			(void)snprintf(path, sizeof(path), "/credentials/%s%s", names[i], tail);
			assert_int_equal(http_route_match(api_routes, api_routes_n, path, strlen(path),
			    api_routes[r].method, &m), HTTP_MATCH_OK);
			if (m.route != &api_routes[r])
				fail_msg("%s %s reached %s", http_method_name(api_routes[r].method),
				    path, m.route->name);
		}
	}
}

static void
test_content_length(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(http_parse_content_length("0", 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(http_parse_content_length("2048", 4, &v), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(http_parse_content_length("9999999999999999999", 19, &v), 0);
	assert_int_equal(http_parse_content_length("99999999999999999999", 20, &v), -1);
	assert_int_equal(http_parse_content_length("", 0, &v), -1);
	assert_int_equal(http_parse_content_length("-1", 2, &v), -1);
	assert_int_equal(http_parse_content_length("+1", 2, &v), -1);
	assert_int_equal(http_parse_content_length("1 ", 2, &v), -1);
	assert_int_equal(http_parse_content_length("0x10", 4, &v), -1);
	assert_int_equal(http_parse_content_length("1,1", 3, &v), -1);
}

static int
ct(const char *s)
{
	return http_content_type_is_json(s, strlen(s));
}

static void
test_content_type(void **state)
{
	(void)state;
	assert_true(ct("application/json"));
	assert_true(ct("Application/JSON"));
	assert_true(ct("application/json; charset=utf-8"));
	assert_true(ct("application/json;charset=UTF-8"));
	assert_true(ct("application/json ; charset = \"utf-8\" "));
	assert_false(ct("text/plain"));
	assert_false(ct("application/jsonx"));
	assert_false(ct("application/json-patch+json"));
	assert_false(ct("application/json; charset=latin1"));
	assert_false(ct("application/json; charset=utf-8; x=y"));
	assert_false(ct("application/json; boundary=x"));
	assert_false(ct("application/json;"));
	assert_false(ct(""));
	assert_false(http_content_type_is_json(NULL, 0));
	assert_false(http_content_type_is_json("application/json", 11));
}

static int
bearer(const char *s, const char *want)
{
	const char *tok;
	size_t n;

	if (http_parse_bearer(s, strlen(s), &tok, &n) != 0)
		return want == NULL;
	return want != NULL && n == strlen(want) && memcmp(tok, want, n) == 0; /* not secret: test tokens */
}

static void
test_bearer(void **state)
{
	char big[HTTP_BEARER_MAX + 16];

	(void)state;
	assert_true(bearer("Bearer bos_s_abc", "bos_s_abc"));
	assert_true(bearer("bearer abc", "abc"));
	assert_true(bearer("BEARER   a.b-c_d~e+f/g==", "a.b-c_d~e+f/g=="));
	assert_true(bearer("Bearer abc  ", "abc"));
	assert_true(bearer("Basic YWJjOmRlZg==", NULL));
	assert_true(bearer("Bearer", NULL));
	assert_true(bearer("Bearer ", NULL));
	assert_true(bearer("Bearerabc", NULL));
	assert_true(bearer("Bearer\tabc", NULL));
	assert_true(bearer("Bearer a b", NULL));
	assert_true(bearer("Bearer a,b", NULL));
	assert_true(bearer("Bearer =abc", NULL));
	assert_true(bearer("Bearer ab=c", NULL));
	assert_true(bearer("Token abc", NULL));
	assert_true(bearer("", NULL));
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'a', HTTP_BEARER_MAX);
	big[7 + HTTP_BEARER_MAX] = '\0';
	assert_true(bearer(big, big + 7));
	big[7 + HTTP_BEARER_MAX] = 'a';
	big[8 + HTTP_BEARER_MAX] = '\0';
	assert_true(bearer(big, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_paths),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_slashes),
		cmocka_unit_test(test_encoded),
		cmocka_unit_test(test_path_length),
		cmocka_unit_test(test_methods_405),
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_real_table),
		cmocka_unit_test(test_param_reserved),
		cmocka_unit_test(test_param_reserved_new_route),
		cmocka_unit_test(test_unreserved_names_reachable),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_bearer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
