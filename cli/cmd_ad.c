/*
 * bosctl outreach ad create | list | show | pause | resume: Meta ads within
 * the BOS budgets (docs/ADS.md). Each subcommand runs one tool of bosctl
 * mcp (cli/tool_ad.c); its options become the tool's arguments in
 * cli/ad_args.c. Amounts are in the currency's major unit, as for
 * 'bosctl budget'; the API and --json speak minor units.
 */
#include <stdio.h>
#include "ad_args.h"
#include "bosctl.h"
#include "tool_cli.h"

static void
ad_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl outreach ad create --name N --credential C --account act_N\n"
	    "                 --post PAGEID_POSTID --daily AMOUNT --currency CUR\n"
	    "                 --countries US,CA [--objective traffic|awareness|engagement]\n"
	    "                 [--category CATEGORY]... [--json]\n"
	    "       bosctl outreach ad list [--json]\n"
	    "       bosctl outreach ad show|pause|resume ID [--json]\n"
	    "\n"
	    "Meta ads: one campaign, ad set, creative (an existing page post) and ad, made and\n"
	    "paused by a broker with the meta credential (docs/ADS.md). Admin commands: sign in\n"
	    "first.\n"
	    "\n"
	    "Money: an ad needs a BOS budget of meta (or total) first ('bosctl budget set meta\n"
	    "--daily 50 --currency USD'), in the ad's currency. Its daily budget can never be\n"
	    "above what the budgets of meta and total leave today: more is refused\n"
	    "(over_budget) with the amount left. What the ad spends counts against them; when\n"
	    "one is paused, the ad is paused at Meta.\n"
	    "\n"
	    "  create  create the ad (state creating, then active; failed with Meta's error)\n"
	    "  list    one row per ad: id, state, daily budget, spent today, spent, name\n"
	    "  show    the whole ad: state and pause reason, budget and spend, Meta's ids, error\n"
	    "  pause   pause an active ad at Meta (pausing, then paused)\n"
	    "  resume  turn a paused ad on again (resuming, then active; the money rules again)\n"
	    "\n"
	    "  --name N            the ad's name, 1-128 characters (shown in Ads Manager)\n"
	    "  --credential C      the meta credential's id (cr_...) or name\n"
	    "  --account act_N     the ad account\n"
	    "  --post PAGEID_POSTID  the page post the ad shows\n"
	    "  --daily AMOUNT      the ad set's daily budget in the currency's major unit: 50 or\n"
	    "                      50.00 USD is 5000 cents; more than 0\n"
	    "  --currency CUR      USD, EUR ... (ISO 4217; the currency of meta's budget)\n"
	    "  --countries LIST    where it runs: country codes, comma-separated (at most 25)\n"
	    "  --objective OBJ     traffic (the default), awareness or engagement\n"
	    "  --category CAT      CREDIT, EMPLOYMENT, HOUSING or ISSUES_ELECTIONS_POLITICS, once\n"
	    "                      per category (Meta requires them for ads about these)\n"
	    "  --json              the tool's output as JSON, amounts in minor units (list: one\n"
	    "                      ad per line)\n"
	    "  --help              this text\n");
}

struct ad_sub_name {
	const char *name;
};

static const struct ad_sub_name ad_sub_names[] = {
	{ "create" }, { "list" }, { "show" }, { "pause" }, { "resume" },
};

static const struct bosctl_subcmds ad_cmd = BOSCTL_SUBCMDS("outreach ad", ad_usage, ad_sub_names,
    "create, list, show, pause or resume", 0);

int
bosctl_cmd_outreach_ad(int argc, char **argv)
{
	struct ad_call c;
	struct bos_err err;
	int r;

	if (bosctl_subcmd_find(&ad_cmd, argc, argv, &r) == NULL)
		return r;
	r = ad_args_parse(argc - 1, argv + 1, &c, &err);
	if (r == 1 || (r < 0 && err.msg[0] == '\0'))
		return bosctl_subcmd_parsed(&ad_cmd, r);
	if (r < 0 && err.code == BOS_E_INVALID)
		return bosctl_usage_fail("outreach ad", "%s", err.msg);
	if (r < 0)
		return bosctl_fail("%s", err.msg);
	r = tool_cli_cmd(c.tool, c.args, c.json, c.key);
	json_decref(c.args);
	return r;
}
