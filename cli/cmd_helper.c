/*
 * bosctl helper add | list | revoke: the people (contractors) an admin gives
 * scoped, expiring tokens to with 'bosctl grant create'. Admin commands,
 * over the vault's API with the session of 'bosctl login'. Revoking a helper
 * ends all its grants on the vault.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "bosctl.h"
#include "tool_cli.h"

struct helper_opts {
	const char *name, *contact, *kind, *target;
	int json;
};

static const char *const helper_kinds[] = { "setup", "monitor", "outreach", "support",
	"developer" };

static void
helper_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl helper add --name NAME --contact CONTACT --kind KIND [--json]\n"
	    "       bosctl helper list [--json]\n"
	    "       bosctl helper revoke ID [--json]\n"
	    "\n"
	    "Helpers are the people (contractors) you give scoped, expiring tokens to with\n"
	    "'bosctl grant create'. These are admin commands: sign in first with 'bosctl login'.\n"
	    "\n"
	    "  add     register a helper; prints its id (hl_...)\n"
	    "  list    one row per helper: id, kind, status, name, contact, created\n"
	    "  revoke  revoke the helper ID and end every grant it has (its tokens stop\n"
	    "          working at once)\n"
	    "\n"
	    "  --name NAME        the helper's name (add)\n"
	    "  --contact CONTACT  how to reach them, e.g. an e-mail address (add)\n"
	    "  --kind KIND        setup, monitor, outreach, support or developer (add)\n"
	    "  --json             the vault's answer as JSON (list: one object per line)\n"
	    "  --help             this text\n");
}

/* 0 parsed, 1 --help, -1 usage error. */
static int
helper_parse(int argc, char **argv, struct helper_opts *o)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "contact", required_argument, NULL, 'c' },
		{ "kind", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o->name = optarg; break;
		case 'c': o->contact = optarg; break;
		case 'k': o->kind = optarg; break;
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
helper_kind_valid(const char *kind)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(helper_kinds); i++)
		if (strcmp(kind, helper_kinds[i]) == 0)
			return 1;
	return 0;
}

/* Options that do not fit the subcommand are usage errors (exit 2). */
static int
helper_check_opts(const char *sub, const struct helper_opts *o)
{
	int add = strcmp(sub, "add") == 0;

	if (add && (o->name == NULL || o->contact == NULL || o->kind == NULL))
		return bosctl_usage_fail("helper", "add needs --name, --contact and --kind");
	if (add && !helper_kind_valid(o->kind))
		return bosctl_usage_fail("helper", "unknown kind '%s': use setup, monitor, "
		    "outreach, support or developer", o->kind);
	if (!add && (o->name != NULL || o->contact != NULL || o->kind != NULL))
		return bosctl_usage_fail("helper", "--name, --contact and --kind are for 'add'");
	if (strcmp(sub, "revoke") == 0 && o->target == NULL)
		return bosctl_usage_fail("helper", "revoke needs the helper's ID (see 'bosctl "
		    "helper list')");
	if (strcmp(sub, "revoke") != 0 && o->target != NULL)
		return bosctl_usage_fail("helper", "%s takes no ID", sub);
	return BOSCTL_EXIT_OK;
}

/* The tool's arguments from the options; NULL when out of memory or not UTF-8. */
static json_t *
helper_args(const char *sub, const struct helper_opts *o)
{
	if (strcmp(sub, "add") == 0)
		return json_pack("{s:s, s:s, s:s}", "name", o->name, "contact", o->contact,
		    "kind", o->kind);
	if (strcmp(sub, "revoke") == 0)
		return json_pack("{s:s}", "id", o->target);
	return json_object();
}

/* What each subcommand runs (a tool, cli/tool_helper.c) and what --json prints of it. */
struct helper_sub {
	const char *name;
	const char *tool, *key;
};

static const struct helper_sub helper_subs[] = {
	{ "add", "helper_add", "helper" }, { "list", "helpers_list", "helpers" },
	{ "revoke", "helper_revoke", "helper" },
};

static const struct bosctl_subcmds helper_cmd =
	BOSCTL_SUBCMDS("helper", helper_usage, helper_subs, "add, list or revoke", 0);

int
bosctl_cmd_helper(int argc, char **argv)
{
	const struct helper_sub *sub;
	struct helper_opts o;
	json_t *args;
	int r;

	if ((sub = bosctl_subcmd_find(&helper_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = helper_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&helper_cmd, r);
	if ((r = helper_check_opts(sub->name, &o)) != 0)
		return r;
	if ((args = helper_args(sub->name, &o)) == NULL)
		return bosctl_fail("the name and the contact must be UTF-8 text");
	r = tool_cli_cmd(sub->tool, args, o.json, sub->key);
	json_decref(args);
	return r;
}
