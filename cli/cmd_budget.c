/*
 * bosctl budget set | list | resume, and bosctl cost: the spending limits
 * of services and what they spent (docs/BROKERS.md "Spend and budgets").
 * Admin commands, over the vault's API with the session of 'bosctl login'.
 *
 * Amounts on the command line and in the tables are in the currency's major
 * unit with its decimals ("50" or "50.00" USD is 5000 cents; "500" JPY is
 * 500 yen): bosctl converts them with the ISO 4217 minor unit of --currency
 * (shared/currency.c). The API and --json speak integers of minor units.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "amount_arg.h"
#include "bosctl.h"
#include "currency.h"
#include "tool_cli.h"


struct budget_opts {
	const char *daily, *monthly, *currency, *target;
	const char *day, *from, *to;
	int json;
};

static void
budget_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl budget set SERVICE|total [--daily AMOUNT] [--monthly AMOUNT] --currency CUR [--json]\n"
	    "       bosctl budget list [--json]\n"
	    "       bosctl budget resume SERVICE|total [--json]\n"
	    "\n"
	    "A budget limits what a service may spend per UTC day and/or month, in one ISO 4217\n"
	    "currency; 'total' is the budget over every service. At 80 %% the vault raises an\n"
	    "alert; at 100 %% it pauses the service (no leases, no claims) until you raise the\n"
	    "budget, resume it, or the period ends. Admin commands: sign in first.\n"
	    "\n"
	    "  set     create or replace the budget (at least one of --daily, --monthly)\n"
	    "  list    one row per budget: service, limits, spent today and this month, state\n"
	    "  resume  lift a pause for the rest of its day or month\n"
	    "\n"
	    "  --daily AMOUNT     the daily limit in the currency's major unit: 50 or 50.00 USD\n"
	    "                     is 5000 cents; 0 lets nothing through\n"
	    "  --monthly AMOUNT   the monthly limit, the same way\n"
	    "  --currency CUR     USD, EUR, JPY ... (ISO 4217)\n"
	    "  --json             the vault's answer as JSON (amounts in minor units)\n"
	    "  --help             this text\n");
}

static void
cost_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl cost [--day YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD] [--json]\n"
	    "\n"
	    "What each service spent on a UTC day (default: today) or in a range of at most 366\n"
	    "days, against its budget, and the total. Amounts in the currency's major unit;\n"
	    "--json prints the vault's answer (minor units).\n");
}

/* 0 parsed, 1 --help, -1 usage error. */
static int
budget_parse(int argc, char **argv, struct budget_opts *o)
{
	static const struct option opts[] = {
		{ "daily", required_argument, NULL, 'd' }, { "monthly", required_argument, NULL, 'm' },
		{ "currency", required_argument, NULL, 'c' }, { "day", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->daily = optarg; break;
		case 'm': o->monthly = optarg; break;
		case 'c': o->currency = optarg; break;
		case 'D': o->day = optarg; break;
		case 'f': o->from = optarg; break;
		case 't': o->to = optarg; break;
		case 'j': o->json = 1; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind < argc)
		o->target = argv[optind++];
	return optind == argc ? 0 : -1;
}

static int
budget_check_opts(const char *sub, const struct budget_opts *o)
{
	int set = strcmp(sub, "set") == 0;

	if (o->day != NULL || o->from != NULL || o->to != NULL)
		return bosctl_usage_fail("budget", "--day, --from and --to are for 'bosctl cost'");
	if (!set && (o->daily != NULL || o->monthly != NULL || o->currency != NULL))
		return bosctl_usage_fail("budget", "--daily, --monthly and --currency are for 'set'");
	if (set && (o->daily == NULL && o->monthly == NULL))
		return bosctl_usage_fail("budget", "set needs --daily, --monthly or both");
	if (set && o->currency == NULL)
		return bosctl_usage_fail("budget", "set needs --currency (USD, EUR ...)");
	if (set && !currency_known(o->currency))
		return bosctl_usage_fail("budget", "unknown currency '%s': give an ISO 4217 code "
		    "such as USD or EUR", o->currency);
	if (strcmp(sub, "list") != 0 && o->target == NULL)
		return bosctl_usage_fail("budget", "%s needs the SERVICE (or total)", sub);
	if (strcmp(sub, "list") == 0 && o->target != NULL)
		return bosctl_usage_fail("budget", "list takes no SERVICE");
	return BOSCTL_EXIT_OK;
}

/* --daily/--monthly AMOUNT into the body as minor units (amount_arg.c). */
static int
budget_put_amount(json_t *body, const char *key, const char *arg, const char *currency,
    struct bos_err *err)
{
	int64_t v;

	if (arg == NULL)
		return 0;
	if (amount_arg_parse(key, arg, currency, &v, err) != 0)
		return -1;
	return json_object_set_new(body, key, json_integer((json_int_t)v)) == 0 ? 0 :
	    bos_err_set(err, BOS_E_NOMEM, "out of memory");
}

/* The arguments of set: the service, the currency and the amounts in minor units. */
static json_t *
budget_set_args(const struct budget_opts *o, struct bos_err *err)
{
	json_t *args = json_pack("{s:s, s:s}", "service", o->target, "currency", o->currency);

	if (args == NULL) {
		bos_err_set(err, BOS_E_INVALID, "the service must be UTF-8 text");
		return NULL;
	}
	if (budget_put_amount(args, "daily", o->daily, o->currency, err) == 0 &&
	    budget_put_amount(args, "monthly", o->monthly, o->currency, err) == 0)
		return args;
	json_decref(args);
	return NULL;
}

/*
 * What each subcommand runs (a tool, cli/tool_budget.c) and what --json
 * prints of it: the budget, or on a 202 the whole answer (the approval).
 */
struct budget_sub {
	const char *name;
	const char *tool, *key;
};

static const struct budget_sub budget_subs[] = {
	{ "set", "budget_set", "budget" }, { "list", "budgets_get", "budgets" },
	{ "resume", "budget_resume", "budget" },
};

static const struct bosctl_subcmds budget_cmd =
	BOSCTL_SUBCMDS("budget", budget_usage, budget_subs, "set, list or resume", 0);

int
bosctl_cmd_budget(int argc, char **argv)
{
	const struct budget_sub *sub;
	struct budget_opts o;
	struct bos_err err;
	json_t *args;
	int r;

	if ((sub = bosctl_subcmd_find(&budget_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = budget_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&budget_cmd, r);
	if ((r = budget_check_opts(sub->name, &o)) != 0)
		return r;
	bos_err_clear(&err);
	if (strcmp(sub->name, "set") == 0)
		args = budget_set_args(&o, &err);
	else if (o.target != NULL && (args = json_pack("{s:s}", "service", o.target)) == NULL)
		bos_err_set(&err, BOS_E_INVALID, "the service must be UTF-8 text");
	else if (o.target == NULL && (args = json_object()) == NULL)
		bos_err_set(&err, BOS_E_NOMEM, "out of memory");
	if (args == NULL)
		return bosctl_fail("%s", err.msg);
	r = tool_cli_cmd(sub->tool, args, o.json, sub->key);
	json_decref(args);
	return r;
}

/* ---- bosctl cost ---- */

int
bosctl_cmd_cost(int argc, char **argv)
{
	static const struct bosctl_subcmds cost_cmd = { "cost", cost_usage, NULL, 0, 0, NULL, 0 };
	struct budget_opts o;
	json_t *args;
	int r, bad = 0;

	if ((r = budget_parse(argc, argv, &o)) != 0)
		return bosctl_subcmd_parsed(&cost_cmd, r);
	if (o.target != NULL || o.daily != NULL || o.monthly != NULL || o.currency != NULL)
		return bosctl_usage_fail("cost", "cost takes only --day, --from, --to and --json");
	if ((args = json_object()) == NULL)
		return bosctl_fail("out of memory");
	if (o.day != NULL)
		bad |= json_object_set_new(args, "day", json_string(o.day));
	if (o.from != NULL)
		bad |= json_object_set_new(args, "from", json_string(o.from));
	if (o.to != NULL)
		bad |= json_object_set_new(args, "to", json_string(o.to));
	r = bad ? bosctl_fail("days are YYYY-MM-DD") : tool_cli_run("spend_report", args, o.json);
	json_decref(args);
	return r;
}
