/*
 * 'bosctl outreach ad SUB ...' into a tool call (ad_args.h). What is
 * checked here is what bosctl itself turns into the request: the amount and
 * its currency, the objective and categories it spells out, the list of
 * countries, which options and arguments each subcommand takes. The rest
 * (an account's or a post's form, a credential of service meta, the money
 * rules) is the vault's to check, once (docs/ADS.md "Admin routes").
 */
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "ad_args.h"
#include "amount_arg.h"
#include "currency.h"

/* The options with a value, by bit; the names in the same order. */
enum {
	AO_NAME, AO_CRED, AO_ACCOUNT, AO_POST, AO_DAILY, AO_CURRENCY, AO_COUNTRIES, AO_OBJECTIVE,
	AO_CATEGORY, AO_N
};
static const char *const ad_opt_names[AO_N] = { "--name", "--credential", "--account", "--post",
	"--daily", "--currency", "--countries", "--objective", "--category" };

struct ad_opts {
	const char *v[AO_N];
	const char *cats[AD_CATEGORIES_MAX + 1];
	int ncats, json, nargs;
	const char *id;
	unsigned given;
};

struct ad_sub {
	const char *name, *tool, *key;
	unsigned opts;  /* the bits of the options it takes */
	int nargs;      /* 0, or 1: the ad's ID */
};

#define AO_CREATE_OPTS ((1u << AO_N) - 1)
static const struct ad_sub ad_subs[] = {
	{ "create", "ad_create", "ad", AO_CREATE_OPTS, 0 },
	{ "list", "ad_list", "ads", 0, 0 },
	{ "show", "ad_show", "ad", 0, 1 },
	{ "pause", "ad_pause", "ad", 0, 1 },
	{ "resume", "ad_resume", "ad", 0, 1 },
};

/* --objective WORD as Meta's objective; NULL when it is none of the three. */
static const char *
ad_objective(const char *s)
{
	static const char *const words[][2] = { { "traffic", "OUTCOME_TRAFFIC" },
		{ "awareness", "OUTCOME_AWARENESS" }, { "engagement", "OUTCOME_ENGAGEMENT" } };
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(words); i++)
		if (strcasecmp(s, words[i][0]) == 0 || strcmp(s, words[i][1]) == 0)
			return words[i][1];
	return NULL;
}

/* --category NAME as Meta spells it; NULL when it is none of the four. */
static const char *
ad_category(const char *s)
{
	static const char *const cats[] = { "CREDIT", "EMPLOYMENT", "HOUSING",
		"ISSUES_ELECTIONS_POLITICS" };
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(cats); i++)
		if (strcasecmp(s, cats[i]) == 0)
			return cats[i];
	return NULL;
}

/* 0 parsed, 1 --help, -1 a usage error (err empty: getopt said why). */
static int
ad_parse_opts(int argc, char **argv, struct ad_opts *o, struct bos_err *err)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, AO_NAME },
		{ "credential", required_argument, NULL, AO_CRED },
		{ "account", required_argument, NULL, AO_ACCOUNT },
		{ "post", required_argument, NULL, AO_POST },
		{ "daily", required_argument, NULL, AO_DAILY },
		{ "currency", required_argument, NULL, AO_CURRENCY },
		{ "countries", required_argument, NULL, AO_COUNTRIES },
		{ "objective", required_argument, NULL, AO_OBJECTIVE },
		{ "category", required_argument, NULL, AO_CATEGORY },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j') {
			o->json = 1;
		} else if (c == 'h') {
			return 1;
		} else if (c == AO_CATEGORY && o->ncats == AD_CATEGORIES_MAX) {
			return bos_err_set(err, BOS_E_INVALID, "--category is given at most %d times "
			    "(each category once)", AD_CATEGORIES_MAX);
		} else if (c == AO_CATEGORY) {
			o->cats[o->ncats++] = optarg;
			o->given |= 1u << AO_CATEGORY;
		} else if (c >= 0 && c < AO_N && (o->given & (1u << c)) == 0) {
			o->v[c] = optarg;
			o->given |= 1u << c;
		} else if (c >= 0 && c < AO_N) {
			return bos_err_set(err, BOS_E_INVALID, "%s is given twice", ad_opt_names[c]);
		} else {
			return -1;
		}
	}
	o->nargs = argc - optind;
	o->id = o->nargs > 0 ? argv[optind] : NULL;
	return 0;
}

/* The options sub does not take, the count of its arguments, create's required options. */
static int
ad_check(const struct ad_sub *sub, const struct ad_opts *o, struct bos_err *err)
{
	unsigned extra = o->given & ~sub->opts, missing = 0;
	size_t i;

	for (i = 0; i < AO_N; i++)
		if (extra & (1u << i))
			return bos_err_set(err, BOS_E_INVALID, "%s does not take %s", sub->name,
			    ad_opt_names[i]);
	if (sub->nargs == 0 && o->nargs > 0)
		return bos_err_set(err, BOS_E_INVALID, "%s takes no argument", sub->name);
	if (sub->nargs == 1 && o->nargs != 1)
		return bos_err_set(err, BOS_E_INVALID, "%s needs the ad's ID (ad_...), and only it",
		    sub->name);
	if (sub->opts == 0)
		return 0;
	for (i = 0; i <= AO_COUNTRIES; i++)
		if (o->v[i] == NULL)
			missing |= 1u << i;
	for (i = 0; missing != 0 && i <= AO_COUNTRIES; i++)
		if (missing & (1u << i))
			return bos_err_set(err, BOS_E_INVALID, "create needs --name, --credential, "
			    "--account, --post, --daily, --currency and --countries: %s is missing",
			    ad_opt_names[i]);
	return 0;
}

/* "US,CA" as ["US", "CA"]: no empty item, at most AD_COUNTRIES_MAX. */
static json_t *
ad_countries(const char *s, struct bos_err *err)
{
	json_t *a = json_array();
	const char *p = s, *comma;
	size_t len;

	while (a != NULL) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || json_array_size(a) == AD_COUNTRIES_MAX ||
		    json_array_append_new(a, json_stringn(p, len)) != 0) {
			json_decref(a);
			bos_err_set(err, BOS_E_INVALID, "--countries is a comma-separated list of 1 to "
			    "%d country codes, such as US,CA", AD_COUNTRIES_MAX);
			return NULL;
		}
		if (comma == NULL)
			return a;
		p = comma + 1;
	}
	bos_err_set(err, BOS_E_NOMEM, "out of memory");
	return NULL;
}

/* --category ... as the list of distinct categories Meta names. */
static json_t *
ad_categories(const struct ad_opts *o, struct bos_err *err)
{
	json_t *a = json_array(), *s;
	const char *cat;
	size_t k;
	int i;

	if (a == NULL)
		goto nomem;
	for (i = 0; i < o->ncats; i++) {
		if ((cat = ad_category(o->cats[i])) == NULL) {
			bos_err_set(err, BOS_E_INVALID, "--category is CREDIT, EMPLOYMENT, HOUSING or "
			    "ISSUES_ELECTIONS_POLITICS");
			goto fail;
		}
		json_array_foreach(a, k, s)
			if (strcmp(json_string_value(s), cat) == 0) {
				bos_err_set(err, BOS_E_INVALID, "--category %s is given twice", cat);
				goto fail;
			}
		if (json_array_append_new(a, json_string(cat)) != 0)
			goto nomem;
	}
	return a;
nomem:
	bos_err_set(err, BOS_E_NOMEM, "out of memory");
fail:
	json_decref(a);
	return NULL;
}

/* The amount: --daily in --currency's major unit, as minor units, above 0. */
static json_t *
ad_daily_budget(const struct ad_opts *o, struct bos_err *err)
{
	const char *cur = o->v[AO_CURRENCY];
	int64_t v;

	if (!currency_known(cur)) {
		bos_err_set(err, BOS_E_INVALID, "unknown currency '%s': give an ISO 4217 code such "
		    "as USD or EUR (the currency of meta's budget)", cur);
		return NULL;
	}
	if (amount_arg_parse("daily", o->v[AO_DAILY], cur, &v, err) != 0)
		return NULL;
	if (v == 0) {
		bos_err_set(err, BOS_E_INVALID, "--daily must be more than 0 (an ad set needs a "
		    "daily budget)");
		return NULL;
	}
	return json_pack("{s:I, s:s}", "amount", (json_int_t)v, "currency", cur);
}

/* A string option into args; an error naming the option when it is not UTF-8. */
static int
ad_put_str(json_t *args, const char *key, const char *v, int opt, struct bos_err *err)
{
	if (json_object_set_new(args, key, json_string(v)) != 0)
		return bos_err_set(err, BOS_E_INVALID, "%s must be UTF-8 text", ad_opt_names[opt]);
	return 0;
}

/* create's arguments: the route's body (docs/ADS.md), amounts in minor units. */
static int
ad_create_args(const struct ad_opts *o, json_t *args, struct bos_err *err)
{
	const char *obj = NULL;
	json_t *v;

	if (ad_put_str(args, "name", o->v[AO_NAME], AO_NAME, err) != 0 ||
	    ad_put_str(args, "credential", o->v[AO_CRED], AO_CRED, err) != 0 ||
	    ad_put_str(args, "account", o->v[AO_ACCOUNT], AO_ACCOUNT, err) != 0 ||
	    ad_put_str(args, "post", o->v[AO_POST], AO_POST, err) != 0)
		return -1;
	if (o->v[AO_OBJECTIVE] != NULL && (obj = ad_objective(o->v[AO_OBJECTIVE])) == NULL)
		return bos_err_set(err, BOS_E_INVALID, "--objective is traffic, awareness or "
		    "engagement (the others need a pixel or an app)");
	if ((v = ad_daily_budget(o, err)) == NULL ||
	    json_object_set_new(args, "daily_budget", v) != 0)
		return -1;
	if ((v = ad_countries(o->v[AO_COUNTRIES], err)) == NULL ||
	    json_object_set_new(args, "countries", v) != 0)
		return -1;
	if (obj != NULL && json_object_set_new(args, "objective", json_string(obj)) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (o->ncats > 0 && ((v = ad_categories(o, err)) == NULL ||
	    json_object_set_new(args, "special_ad_categories", v) != 0))
		return -1;
	return 0;
}

int
ad_args_parse(int argc, char **argv, struct ad_call *c, struct bos_err *err)
{
	const struct ad_sub *sub = NULL;
	struct ad_opts o;
	size_t i;
	int r;

	memset(c, 0, sizeof(*c));
	bos_err_clear(err);
	for (i = 0; argc > 0 && i < BOS_ARRAY_LEN(ad_subs); i++)
		if (strcmp(argv[0], ad_subs[i].name) == 0)
			sub = &ad_subs[i];
	if (sub == NULL)
		return bos_err_set(err, BOS_E_INVALID, "ad takes create, list, show, pause or resume");
	if ((r = ad_parse_opts(argc, argv, &o, err)) != 0 || ad_check(sub, &o, err) != 0)
		return r > 0 ? 1 : -1;
	if ((c->args = json_object()) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (sub->nargs == 1 && json_object_set_new(c->args, "id", json_string(o.id)) != 0)
		r = bos_err_set(err, BOS_E_INVALID, "the ad's ID must be UTF-8 text");
	else if (sub->opts != 0)
		r = ad_create_args(&o, c->args, err);
	/* A failed jansson call says nothing of its own: never a partial request. */
	if (r != 0 && err->code == BOS_OK)
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (r != 0) {
		json_decref(c->args);
		c->args = NULL;
		return -1;
	}
	c->tool = sub->tool;
	c->key = sub->key;
	c->json = o.json;
	return 0;
}
