/*
 * bosctl approvals list: the actions that wait for an admin's TOTP code
 * (budget raises, resumes; docs/MCP.md "Vault: approvals"). Approving is
 * 'bosctl approve ID' (cmd_approve.c).
 */
#include <getopt.h>
#include <stdio.h>
#include "bosctl.h"
#include "tool_cli.h"

static void
approvals_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl approvals list [--all] [--json]\n"
	    "\n"
	    "The approvals the vault holds: what a budget raise or a resume asked for, waiting\n"
	    "for an admin to run 'bosctl approve ID' (with a fresh TOTP code) before it\n"
	    "expires. An admin command: sign in first.\n"
	    "\n"
	    "  list    one row per approval: id, kind, state, expiry, summary (default: the\n"
	    "          pending ones)\n"
	    "\n"
	    "  --all   every approval, decided and expired ones too\n"
	    "  --json  one JSON object: {\"approvals\": [...]}\n"
	    "  --help  this text\n");
}

struct approvals_sub {
	const char *name;
};

static const struct approvals_sub approvals_subs[] = { { "list" } };

static const struct bosctl_subcmds approvals_cmd =
	BOSCTL_SUBCMDS("approvals", approvals_usage, approvals_subs, "list", 0);

/* 0 parsed, 1 --help, -1 usage error. */
static int
approvals_parse(int argc, char **argv, int *all, int *json)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': *all = 1; break;
		case 'j': *json = 1; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int
bosctl_cmd_approvals(int argc, char **argv)
{
	json_t *args;
	int all = 0, json = 0, r;

	if (bosctl_subcmd_find(&approvals_cmd, argc, argv, &r) == NULL)
		return r;
	if ((r = approvals_parse(argc - 1, argv + 1, &all, &json)) != 0)
		return bosctl_subcmd_parsed(&approvals_cmd, r);
	if ((args = json_pack("{s:s}", "state", all ? "all" : "pending")) == NULL)
		return bosctl_fail("out of memory");
	r = tool_cli_run("approvals_list", args, json);
	json_decref(args);
	return r;
}
