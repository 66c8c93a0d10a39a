/*
 * bosctl alerts list | ack | resolve: what the vault wants an admin to look
 * at (budgets at 80 % or paused, dead jobs ...; docs/BROKERS.md "Alerts").
 * Admin commands, over the vault's API with the session of 'bosctl login'.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "bosctl.h"
#include "tool_cli.h"

struct alerts_opts {
	const char *state, *target;
	int json;
};

static void
alerts_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl alerts list [--state open|acked|resolved|all] [--json]\n"
	    "       bosctl alerts ack ID [--json]\n"
	    "       bosctl alerts resolve ID [--json]\n"
	    "\n"
	    "Alerts the vault raised. The same alert raised again while it is not resolved\n"
	    "counts up instead of adding a row. Admin commands: sign in first.\n"
	    "\n"
	    "  list     one row per alert (default: the open ones): id, severity, kind, count,\n"
	    "           state, last seen, subject, then what to do\n"
	    "  ack      acknowledge: seen, being handled (no longer counted as open)\n"
	    "  resolve  done; the same problem later raises a new alert\n"
	    "\n"
	    "  --state STATE  open (default), acked, resolved or all\n"
	    "  --json         the vault's answer as JSON (list: one object per line)\n"
	    "  --help         this text\n");
}

/* 0 parsed, 1 --help, -1 usage error. */
static int
alerts_parse(int argc, char **argv, struct alerts_opts *o)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->state = optarg; break;
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
alerts_check_opts(const char *sub, const struct alerts_opts *o)
{
	static const char *const states[] = { "open", "acked", "resolved", "all" };
	int list = strcmp(sub, "list") == 0;
	size_t i;

	if (!list && o->state != NULL)
		return bosctl_usage_fail("alerts", "--state is for 'list'");
	for (i = 0; o->state != NULL && i < BOS_ARRAY_LEN(states); i++)
		if (strcmp(o->state, states[i]) == 0)
			break;
	if (o->state != NULL && i == BOS_ARRAY_LEN(states))
		return bosctl_usage_fail("alerts", "--state is open, acked, resolved or all");
	if (list && o->target != NULL)
		return bosctl_usage_fail("alerts", "list takes no ID");
	if (!list && o->target == NULL)
		return bosctl_usage_fail("alerts", "%s needs the alert's ID (see 'bosctl alerts "
		    "list')", sub);
	return BOSCTL_EXIT_OK;
}

/* What each subcommand runs (a tool, cli/tool_alerts.c) and what --json prints of it. */
struct alerts_sub {
	const char *name;
	const char *tool, *key;
};

static const struct alerts_sub alerts_subs[] = {
	{ "list", "alerts_list", "alerts" }, { "ack", "alert_ack", "alert" },
	{ "resolve", "alert_resolve", "alert" },
};

static const struct bosctl_subcmds alerts_cmd =
	BOSCTL_SUBCMDS("alerts", alerts_usage, alerts_subs, "list, ack or resolve", 0);

int
bosctl_cmd_alerts(int argc, char **argv)
{
	const struct alerts_sub *sub;
	struct alerts_opts o;
	json_t *args;
	int r;

	if ((sub = bosctl_subcmd_find(&alerts_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = alerts_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&alerts_cmd, r);
	if ((r = alerts_check_opts(sub->name, &o)) != 0)
		return r;
	if (strcmp(sub->name, "list") == 0)
		args = json_pack("{s:s}", "state", o.state != NULL ? o.state : "open");
	else
		args = json_pack("{s:s}", "id", o.target);
	if (args == NULL)
		return bosctl_fail("the alert id must be UTF-8 text");
	r = tool_cli_cmd(sub->tool, args, o.json, sub->key);
	json_decref(args);
	return r;
}
