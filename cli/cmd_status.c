/*
 * bosctl status: the vault at a glance (the status tool): health, counts,
 * open alerts and today's spend. An admin command: sign in first.
 */
#include <getopt.h>
#include <stdio.h>
#include "bosctl.h"
#include "tool_cli.h"

static void
status_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl status [--json]\n"
	    "\n"
	    "The vault at a glance: its health and the HSM's, how many credentials, helpers,\n"
	    "active grants, brokers and queued jobs there are, the open alerts, and what each\n"
	    "service spent today (minor units). An admin command: sign in first.\n"
	    "\n"
	    "  --json  one JSON object (the status tool's output, docs/MCP.md)\n"
	    "  --help  this text\n");
}

int
bosctl_cmd_status(int argc, char **argv)
{
	static const struct bosctl_subcmds cmd = { "status", status_usage, NULL, 0, 0, NULL, 0 };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *args;
	int c, json = 0, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else
			return bosctl_subcmd_parsed(&cmd, c == 'h' ? 1 : -1);
	}
	if (optind < argc)
		return bosctl_usage_fail("status", "status takes no operand");
	if ((args = json_object()) == NULL)
		return bosctl_fail("out of memory");
	r = tool_cli_run("status", args, json);
	json_decref(args);
	return r;
}
