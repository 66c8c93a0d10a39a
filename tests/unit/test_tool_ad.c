/*
 * Unit tests: 'bosctl outreach ad' (cli/ad_args.c: options into the tool's
 * arguments, amounts in the major unit into minor units as for 'bosctl
 * budget') and the ad tools' text (cli/tool_ad.c: the whole ad for show,
 * a vault value that could drive a terminal made harmless). The tools
 * against a canned vault are in test_tools.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "ad_args.h"
#include "amount_arg.h"
#include "tool.h"

#define ARGV_MAX 40

/* Parse a command line given as one string of words split on spaces. */
static int
parse(const char *line, struct ad_call *c, struct bos_err *err)
{
	static char buf[1024];
	char *argv[ARGV_MAX + 1], *p;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (p = buf; *p != '\0' && argc < ARGV_MAX; ) {
		argv[argc++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
	}
	argv[argc] = NULL;
	return ad_args_parse(argc, argv, c, err);
}

#define CREATE "create --name Spring --credential meta-main --account act_123 --post 1_2 " \
	"--countries US,CA "

static void
test_create_args(void **state)
{
	struct ad_call c;
	struct bos_err err;
	const json_t *d;

	(void)state;
	assert_int_equal(parse(CREATE "--daily 50 --currency USD --json", &c, &err), 0);
	assert_string_equal(c.tool, "ad_create");
	assert_string_equal(c.key, "ad");
	assert_int_equal(c.json, 1);
	d = json_object_get(c.args, "daily_budget");
	assert_int_equal(json_integer_value(json_object_get(d, "amount")), 5000);
	assert_string_equal(json_string_value(json_object_get(d, "currency")), "USD");
	assert_int_equal(json_array_size(json_object_get(c.args, "countries")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(c.args, "countries"),
	    1)), "CA");
	assert_string_equal(json_string_value(json_object_get(c.args, "account")), "act_123");
	/* No objective or category given: none sent (the vault's defaults). */
	assert_null(json_object_get(c.args, "objective"));
	assert_null(json_object_get(c.args, "special_ad_categories"));
	assert_int_equal(json_object_size(c.args), 6);
	json_decref(c.args);

	/* Decimals by the currency's exponent: 12.5 USD, 500 JPY, 1.234 KWD. */
	assert_int_equal(parse(CREATE "--daily 12.5 --currency USD", &c, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c.args,
	    "daily_budget"), "amount")), 1250);
	assert_int_equal(c.json, 0);
	json_decref(c.args);
	assert_int_equal(parse(CREATE "--daily 500 --currency JPY", &c, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c.args,
	    "daily_budget"), "amount")), 500);
	json_decref(c.args);
	assert_int_equal(parse(CREATE "--daily 1.234 --currency KWD", &c, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c.args,
	    "daily_budget"), "amount")), 1234);
	json_decref(c.args);

	/* Objective and categories, in any case, as Meta spells them. */
	assert_int_equal(parse(CREATE "--daily 5 --currency EUR --objective Engagement "
	    "--category housing --category CREDIT", &c, &err), 0);
	assert_string_equal(json_string_value(json_object_get(c.args, "objective")),
	    "OUTCOME_ENGAGEMENT");
	d = json_object_get(c.args, "special_ad_categories");
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(json_string_value(json_array_get(d, 0)), "HOUSING");
	assert_string_equal(json_string_value(json_array_get(d, 1)), "CREDIT");
	json_decref(c.args);
}

static void
test_id_args(void **state)
{
	static const char *const subs[][3] = { { "show", "ad_show", "ad" },
		{ "pause", "ad_pause", "ad" }, { "resume", "ad_resume", "ad" } };
	struct ad_call c;
	struct bos_err err;
	char line[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(line, sizeof(line), "%s ad_abc --json", subs[i][0]);
		assert_int_equal(parse(line, &c, &err), 0);
		assert_string_equal(c.tool, subs[i][1]);
		assert_string_equal(c.key, subs[i][2]);
		assert_string_equal(json_string_value(json_object_get(c.args, "id")), "ad_abc");
		assert_int_equal(json_object_size(c.args), 1);
		json_decref(c.args);
	}
	assert_int_equal(parse("list", &c, &err), 0);
	assert_string_equal(c.tool, "ad_list");
	assert_string_equal(c.key, "ads");
	assert_int_equal(json_object_size(c.args), 0);
	json_decref(c.args);
	assert_int_equal(parse("list --help", &c, &err), 1);
	assert_null(c.args);
}

/* Usage errors: -1, a message naming what is wrong, nothing built. */
static void
test_usage_errors(void **state)
{
	static const struct { const char *line, *why; } bad[] = {
		{ "frob", "create, list, show, pause or resume" },
		{ "create --name a", "--credential is missing" },
		{ "create --name a --credential c --account act_1 --post 1_2 --daily 5 --currency USD",
		  "--countries is missing" },
		{ CREATE "--daily 5", "--currency is missing" },
		{ CREATE "--currency USD", "--daily is missing" },
		{ CREATE "--daily 50.001 --currency USD", "at most 2 decimals" },
		{ CREATE "--daily 5.5 --currency JPY", "at most 0 decimals" },
		{ CREATE "--daily -5 --currency USD", "not an amount of USD" },
		{ CREATE "--daily 1e3 --currency USD", "not an amount of USD" },
		{ CREATE "--daily 99999999999999999999 --currency USD", "not an amount of USD" },
		{ CREATE "--daily 0 --currency USD", "more than 0" },
		{ CREATE "--daily 0.00 --currency USD", "more than 0" },
		{ CREATE "--daily 5 --currency usd", "unknown currency 'usd'" },
		{ CREATE "--daily 5 --currency XAU", "unknown currency 'XAU'" },
		{ CREATE "--daily 5 --currency USD --objective sales", "traffic, awareness or "
		  "engagement" },
		{ CREATE "--daily 5 --currency USD --category gambling", "CREDIT, EMPLOYMENT" },
		{ CREATE "--daily 5 --currency USD --category credit --category CREDIT",
		  "--category CREDIT is given twice" },
		{ CREATE "--daily 5 --currency USD --category credit --category housing --category "
		  "employment --category issues_elections_politics --category credit",
		  "at most 4 times" },
		{ CREATE "--daily 5 --currency USD --name again", "--name is given twice" },
		{ "create --name a --credential c --account act_1 --post 1_2 --daily 5 --currency USD "
		  "--countries US,,CA", "comma-separated" },
		{ "create --name a --credential c --account act_1 --post 1_2 --daily 5 --currency USD "
		  "--countries US,", "comma-separated" },
		{ "create --name a --credential c --account act_1 --post 1_2 --daily 5 --currency USD "
		  "--countries A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q,R,S,T,U,V,W,X,Y,Z", "1 to 25" },
		{ CREATE "--daily 5 --currency USD extra", "create takes no argument" },
		{ "list --name a", "list does not take --name" },
		{ "list ad_1", "list takes no argument" },
		{ "show", "needs the ad's ID" },
		{ "pause ad_1 ad_2", "needs the ad's ID" },
		{ "resume --daily 5 ad_1", "resume does not take --daily" },
	};
	struct ad_call c;
	struct bos_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i].line, &c, &err) != -1)
			fail_msg("'%s': parsed, expected a usage error", bad[i].line);
		if (strstr(err.msg, bad[i].why) == NULL)
			fail_msg("'%s': '%s' does not say '%s'", bad[i].line, err.msg, bad[i].why);
		assert_int_equal(err.code, BOS_E_INVALID);
		assert_null(c.args);
	}
	/* An unknown option: getopt says so itself (err empty, the caller shows the usage). */
	assert_int_equal(parse("list --bogus", &c, &err), -1);
	assert_string_equal(err.msg, "");
	assert_null(c.args);
}

/* amount_arg_parse, shared with 'bosctl budget': the option named in the message. */
static void
test_amount_arg(void **state)
{
	struct bos_err err;
	int64_t v = -1;

	(void)state;
	assert_int_equal(amount_arg_parse("daily", "50", "USD", &v, &err), 0);
	assert_int_equal(v, 5000);
	assert_int_equal(amount_arg_parse("monthly", "0", "EUR", &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(amount_arg_parse("monthly", "1.5", "JPY", &v, &err), -1);
	assert_non_null(strstr(err.msg, "--monthly '1.5' is not an amount of JPY"));
	assert_int_equal(amount_arg_parse("daily", "5", "ZZZ", &v, &err), -1);
	assert_non_null(strstr(err.msg, "unknown currency 'ZZZ'"));
	assert_int_equal(amount_arg_parse("daily", "", "USD", &v, &err), -1);
	assert_int_equal(amount_arg_parse("daily", "5.", "USD", &v, &err), -1);
}

static char *
render(const char *tool, const char *json)
{
	json_t *o = json_loads(json, 0, NULL);
	char *text;

	assert_non_null(o);
	text = tool_find(tool)->render(o);
	json_decref(o);
	assert_non_null(text);
	return text;
}

/* show: every field, Meta's ids, the error; control bytes of the vault's text as '?'. */
static void
test_show_render(void **state)
{
	char *t;

	(void)state;
	t = render("ad_show", "{\"ad\":{\"id\":\"ad_1\",\"name\":\"Spring\\u001b[2J\",\"provider\":"
	    "\"meta\",\"credential\":\"cr_m\",\"account\":\"act_1\",\"post\":\"1_2\",\"objective\":"
	    "\"OUTCOME_TRAFFIC\",\"countries\":[\"US\",\"CA\"],\"special_ad_categories\":[],"
	    "\"daily_budget\":{\"amount\":500,\"currency\":\"JPY\"},\"state\":\"paused\","
	    "\"pause_reason\":\"budget\",\"meta\":{\"campaign\":\"11\",\"adset\":\"12\",\"creative\":"
	    "\"13\",\"ad\":null},\"spent\":{\"amount\":1234,\"currency\":\"JPY\"},\"spent_today\":7,"
	    "\"error\":\"meta: the access token is invalid or expired (code 190)\",\"created_at\":"
	    "\"2026-12-07T10:00:00Z\",\"updated_at\":null,\"created_by\":\"alice\"}}");
	assert_non_null(strstr(t, "id: ad_1\n"));
	assert_non_null(strstr(t, "name: Spring?[2J\n"));
	assert_null(strchr(t, 0x1b));
	assert_non_null(strstr(t, "state: paused\npause_reason: budget\n"));
	assert_non_null(strstr(t, "countries: US, CA\nspecial_ad_categories: -\n"));
	assert_non_null(strstr(t, "daily_budget: 500 JPY\nspent_today: 7 JPY\nspent: 1234 JPY\n"));
	assert_non_null(strstr(t, "meta_campaign: 11\nmeta_adset: 12\nmeta_creative: 13\n"
	    "meta_ad: -\n"));
	assert_non_null(strstr(t, "error: meta: the access token is invalid or expired (code 190)\n"));
	assert_non_null(strstr(t, "updated_at: -\n"));
	free(t);

	/* An ad without amounts (an older vault's answer): '-', never a crash. */
	t = render("ad_show", "{\"ad\":{\"id\":\"ad_2\"}}");
	assert_non_null(strstr(t, "daily_budget: -\nspent_today: -\nspent: -\n"));
	free(t);
	t = render("ad_pause", "{\"ad\":{\"id\":\"ad_2\",\"state\":\"pausing\"}}");
	assert_non_null(strstr(t, "ad ad_2 is pausing: a broker pauses its campaign at Meta"));
	free(t);
	t = render("ad_list", "{\"ads\":[]}");
	assert_string_equal(t, "no ads\n");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_id_args),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_amount_arg),
		cmocka_unit_test(test_show_render),
	};

	opterr = 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
