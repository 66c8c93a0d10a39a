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
#include "bosctl.h"
#include "currency.h"
#include "http_client.h"

#define BUDGET_PATH_MAX 256
#define BUDGET_AMOUNT_SIZE 32

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

/* amount (minor units) of currency as "12.34 USD"; the integer when the currency is unknown. */
static const char *
budget_fmt(const json_t *amount, const char *currency, char out[BUDGET_AMOUNT_SIZE])
{
	char num[BUDGET_AMOUNT_SIZE];

	if (!json_is_integer(amount))
		return "-";
	if (currency_format(json_integer_value(amount), currency_exponent(currency), num,
	    sizeof(num)) != 0)
		(void)snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(amount));
	(void)snprintf(out, BUDGET_AMOUNT_SIZE, "%s", num);
	return out;
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

/* "/budgets/SERVICE[suffix]" with SERVICE escaped. */
static int
budget_path(const char *service, const char *suffix, char path[BUDGET_PATH_MAX],
    struct bos_err *err)
{
	char *s = http_client_escape(service);
	int k;

	if (s == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	k = snprintf(path, BUDGET_PATH_MAX, "/budgets/%s%s", s, suffix);
	http_client_free_str(s);
	if (k < 0 || (size_t)k >= BUDGET_PATH_MAX)
		return bos_err_set(err, BOS_E_INVALID, "the service name is too long");
	return 0;
}

static void
budget_print_row(const json_t *b)
{
	const char *cur = bosctl_json_str(b, "currency");
	char d[BUDGET_AMOUNT_SIZE], m[BUDGET_AMOUNT_SIZE], sd[BUDGET_AMOUNT_SIZE],
	    sm[BUDGET_AMOUNT_SIZE];

	printf("%-16s %-3s daily %12s spent %12s   monthly %12s spent %12s   %s%s\n",
	    bosctl_json_str(b, "service"), cur, budget_fmt(json_object_get(b, "daily"), cur, d),
	    budget_fmt(json_object_get(b, "spent_today"), cur, sd),
	    budget_fmt(json_object_get(b, "monthly"), cur, m),
	    budget_fmt(json_object_get(b, "spent_this_month"), cur, sm),
	    bosctl_json_str(b, "state"),
	    json_is_true(json_object_get(json_object_get(b, "resumed"), "daily")) ||
	    json_is_true(json_object_get(json_object_get(b, "resumed"), "monthly")) ?
	    " (resumed)" : "");
}

/* Print one budget answer: JSON or a row. */
static void
budget_show(const json_t *b, int json)
{
	if (json)
		bosctl_json_print(b);
	else
		budget_print_row(b);
}

/* --daily/--monthly AMOUNT into the body as minor units. */
static int
budget_put_amount(json_t *body, const char *key, const char *arg, const char *currency,
    struct bos_err *err)
{
	int64_t v;

	if (arg == NULL)
		return 0;
	if (currency_parse_amount(arg, currency_exponent(currency), &v) != 0)
		return bos_err_set(err, BOS_E_INVALID, "--%s '%s' is not an amount of %s: digits "
		    "with at most %d decimals, 0 or more", key, arg, currency,
		    currency_exponent(currency));
	return json_object_set_new(body, key, json_integer((json_int_t)v)) == 0 ? 0 :
	    bos_err_set(err, BOS_E_NOMEM, "out of memory");
}

static int
budget_set(struct http_client *hc, const struct budget_opts *o, struct bos_err *err)
{
	char path[BUDGET_PATH_MAX];
	struct http_resp resp;
	json_t *body = json_pack("{s:s}", "currency", o->currency);
	int r;

	if (body == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (budget_put_amount(body, "daily", o->daily, o->currency, err) != 0 ||
	    budget_put_amount(body, "monthly", o->monthly, o->currency, err) != 0 ||
	    budget_path(o->target, "", path, err) != 0) {
		json_decref(body);
		return -1;
	}
	r = http_client_call_ok(hc, "PUT", path, body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	budget_show(resp.json, o->json);
	http_resp_free(&resp);
	return 0;
}

static int
budget_list(struct http_client *hc, const struct budget_opts *o, struct bos_err *err)
{
	struct http_resp resp;
	json_t *list, *b;
	size_t i;

	if (http_client_call_ok(hc, "GET", "/budgets", NULL, &resp, err) != 0)
		return -1;
	list = json_object_get(resp.json, "budgets");
	if (!json_is_array(list)) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no \"budgets\" array");
	}
	json_array_foreach(list, i, b)
		budget_show(b, o->json);
	http_resp_free(&resp);
	return 0;
}

static int
budget_resume(struct http_client *hc, const struct budget_opts *o, struct bos_err *err)
{
	char path[BUDGET_PATH_MAX];
	struct http_resp resp;

	if (budget_path(o->target, "/resume", path, err) != 0 ||
	    http_client_call_ok(hc, "POST", path, NULL, &resp, err) != 0)
		return -1;
	budget_show(resp.json, o->json);
	http_resp_free(&resp);
	return 0;
}

struct budget_sub {
	const char *name;
	int (*run)(struct http_client *hc, const struct budget_opts *o, struct bos_err *err);
};

static const struct budget_sub budget_subs[] = {
	{ "set", budget_set }, { "list", budget_list }, { "resume", budget_resume },
};

static const struct bosctl_subcmds budget_cmd =
	BOSCTL_SUBCMDS("budget", budget_usage, budget_subs, "set, list or resume", 0);

static int
budget_run(int (*run)(struct http_client *, const struct budget_opts *, struct bos_err *),
    const struct budget_opts *o)
{
	struct http_client *hc;
	struct bos_err err;
	int r;

	bos_err_clear(&err);
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	r = run(hc, o, &err);
	http_client_free(hc);
	return r == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}

int
bosctl_cmd_budget(int argc, char **argv)
{
	const struct budget_sub *sub;
	struct budget_opts o;
	int r;

	if ((sub = bosctl_subcmd_find(&budget_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = budget_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&budget_cmd, r);
	if ((r = budget_check_opts(sub->name, &o)) != 0)
		return r;
	return budget_run(sub->run, &o);
}

/* ---- bosctl cost ---- */

static void
cost_print_row(const json_t *e, const char *name)
{
	const char *cur = json_is_string(json_object_get(e, "currency")) ?
	    json_string_value(json_object_get(e, "currency")) : "-";
	char s[BUDGET_AMOUNT_SIZE], d[BUDGET_AMOUNT_SIZE], m[BUDGET_AMOUNT_SIZE], p[16] = "-";
	const json_t *pct = json_object_get(e, "percent");

	if (json_is_integer(pct))
		(void)snprintf(p, sizeof(p), "%lld %%", (long long)json_integer_value(pct));
	printf("%-16s %-3s spent %12s   daily %12s   monthly %12s   %7s  %s\n",
	    name != NULL ? name : bosctl_json_str(e, "service"), cur,
	    budget_fmt(json_object_get(e, "spent"), cur, s),
	    budget_fmt(json_object_get(e, "daily_budget"), cur, d),
	    budget_fmt(json_object_get(e, "monthly_budget"), cur, m), p,
	    bosctl_json_str(e, "state"));
}

static int
cost_query(const struct budget_opts *o, char *out, size_t cap, struct bos_err *err)
{
	int k;

	if (o->day != NULL && (o->from != NULL || o->to != NULL))
		return bos_err_set(err, BOS_E_INVALID, "give --day, or --from and --to");
	if ((o->from == NULL) != (o->to == NULL))
		return bos_err_set(err, BOS_E_INVALID, "--from and --to go together");
	/* Days are checked by the vault; only digits and dashes go into the URL. */
	if ((o->day != NULL && strspn(o->day, "0123456789-") != strlen(o->day)) ||
	    (o->from != NULL && strspn(o->from, "0123456789-") != strlen(o->from)) ||
	    (o->to != NULL && strspn(o->to, "0123456789-") != strlen(o->to)))
		return bos_err_set(err, BOS_E_INVALID, "days are YYYY-MM-DD");
	if (o->day != NULL)
		k = snprintf(out, cap, "/outreach/cost?day=%s", o->day);
	else if (o->from != NULL)
		k = snprintf(out, cap, "/outreach/cost?from=%s&to=%s", o->from, o->to);
	else
		k = snprintf(out, cap, "/outreach/cost");
	return k < 0 || (size_t)k >= cap ? bos_err_set(err, BOS_E_INVALID, "days are YYYY-MM-DD") :
	    0;
}

static int
cost_read(struct http_client *hc, const struct budget_opts *o, struct bos_err *err)
{
	char path[BUDGET_PATH_MAX];
	struct http_resp resp;
	json_t *list, *e;
	size_t i;

	if (cost_query(o, path, sizeof(path), err) != 0 ||
	    http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	list = json_object_get(resp.json, "services");
	if (!json_is_array(list)) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no \"services\"");
	}
	if (o->json) {
		bosctl_json_print(resp.json);
	} else {
		printf("cost from %s to %s (UTC)\n", bosctl_json_str(resp.json, "from"),
		    bosctl_json_str(resp.json, "to"));
		json_array_foreach(list, i, e)
			cost_print_row(e, NULL);
		cost_print_row(json_object_get(resp.json, "total"), "total");
	}
	http_resp_free(&resp);
	return 0;
}

int
bosctl_cmd_cost(int argc, char **argv)
{
	static const struct bosctl_subcmds cost_cmd = { "cost", cost_usage, NULL, 0, 0, NULL, 0 };
	struct budget_opts o;
	int r;

	if ((r = budget_parse(argc, argv, &o)) != 0)
		return bosctl_subcmd_parsed(&cost_cmd, r);
	if (o.target != NULL || o.daily != NULL || o.monthly != NULL || o.currency != NULL)
		return bosctl_usage_fail("cost", "cost takes only --day, --from, --to and --json");
	return budget_run(cost_read, &o);
}
