/*
 * bosctl mcp: the MCP server an AI assistant (Claude Code) starts to run the
 * business through BOS without seeing a secret (docs/MCP.md). Standard
 * output is the protocol's alone: the descriptor is kept for it and fd 1 is
 * pointed at standard error, so that nothing else this process prints can
 * break a message.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bosctl.h"
#include "http_client.h"
#include "log.h"
#include "mcp_server.h"

#ifndef BOS_VERSION
#define BOS_VERSION "0.15.0"
#endif

static void
mcp_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl mcp [--help]\n"
	    "\n"
	    "Serve the Model Context Protocol (MCP) on standard input and output, for an AI\n"
	    "assistant such as Claude Code: one JSON-RPC 2.0 message per line. It lists\n"
	    "and runs BOS's tools (tools/list, tools/call) as the admin signed in with\n"
	    "'bosctl login'. The tools return metadata only, never a secret; approvals\n"
	    "('bosctl approve ID') and grant tokens ('bosctl grant pickup ACCESSOR') stay\n"
	    "in your terminal. Each call reads the session file afresh: sign in (again)\n"
	    "with 'bosctl login NAME' in a terminal, no restart needed. Logs go to\n"
	    "standard error.\n"
	    "\n"
	    "Add it to Claude Code, for the project in the current directory (.mcp.json):\n"
	    "  claude mcp add --scope project bos \\\n"
	    "      -e BOS_ADDR=https://127.0.0.1:8025 \\\n"
	    "      -e BOS_CACERT=/path/to/vault-cert.pem \\\n"
	    "      -e XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR \\\n"
	    "      -- bosctl mcp\n"
	    "The assistant's stdio transport passes only a few variables (HOME, PATH, USER\n"
	    "...): give BOS_ADDR, BOS_CACERT and XDG_RUNTIME_DIR (where 'bosctl login'\n"
	    "keeps the session; without it ~/.config/bos/session) with -e. Use the full\n"
	    "path of bosctl when it is not on that PATH.\n"
	    "\n"
	    "Exit status: 0 when standard input ends, 1 when standard output fails (the\n"
	    "client went away), 2 usage error.\n");
}

static const struct mcp_env mcp_bosctl_env = {
	.table = tool_table,
	.find = tool_find,
	.open = bosctl_api_open,
	.close = http_client_free,
	.version = BOS_VERSION,
};

int
bosctl_cmd_mcp(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct mcp_server s;
	int c, out;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			mcp_usage(stdout);
			return BOSCTL_EXIT_OK;
		}
		return bosctl_usage_fail("mcp", "unknown option");
	}
	if (optind != argc)
		return bosctl_usage_fail("mcp", "takes no arguments");
	/* A client that went away is a write error (exit 1), not a signal. */
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	if ((out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		return bosctl_fail("cannot set up standard output for the protocol");
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "bosctl mcp: serving MCP (JSON-RPC, one message per line) on "
		    "standard input; an MCP client starts this, see 'bosctl mcp --help'\n");
	mcp_server_init(&s, &mcp_bosctl_env);
	c = mcp_server_run(&s, STDIN_FILENO, out);
	close(out);
	return c;
}
