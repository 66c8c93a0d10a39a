/*
 * bosctl cred: credential commands, through the vault's API as the
 * signed-in admin or a helper (cmd_cred_api.c). Secrets come from a prompt
 * or standard input; a secret is printed only by 'show --reveal'.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bosctl.h"

static void
credcmd_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl cred add --name NAME --type TYPE --service SERVICE [--metadata JSON]\n"
	    "       bosctl cred list [--service SERVICE] [--type TYPE] [--json]\n"
	    "       bosctl cred show ID|NAME [--reveal] [--version N] [--json]\n"
	    "       bosctl cred update ID|NAME\n"
	    "       bosctl cred revoke ID|NAME\n"
	    "       bosctl cred versions ID|NAME\n"
	    "       bosctl cred verify ID|NAME [--wait SECONDS] [--json]\n"
	    "\n"
	    "The commands go through the vault's API ($BOS_ADDR, default\n"
	    "https://127.0.0.1:8025, or unix:DIR/vault.sock) as the admin signed in with\n"
	    "'bosctl login NAME'. bosctl never opens the vault's files: to work on a vault\n"
	    "that must not serve the network, start it with 'bos-vaultd --maintenance'.\n"
	    "\n"
	    "TYPE is api_key, password, card, bank_account or secret. The secret of 'add' and\n"
	    "'update' is read from a prompt (no echo) or from standard input, never from the\n"
	    "command line. For a card the secret is the card number; only brand, first 6 and\n"
	    "last 4 digits are kept in clear, and a CVV is refused. 'show' prints metadata;\n"
	    "'show --reveal' prints only the secret (of --version N, default the current one)\n"
	    "on standard output. 'verify' queues a verify job for the credential's service;\n"
	    "a broker of a role that may claim it (bos-broker, docs/BROKERS.md) makes the\n"
	    "provider's cheapest authenticated call with it, and bosctl waits for the\n"
	    "result: it prints ok or failed, the provider's HTTP status and the latency, and\n"
	    "exits 0 (ok) or 1 (failed, the job died, or no result in time).\n"
	    "\n"
	    "  --name NAME         name of the new credential (add)\n"
	    "  --type TYPE         type of the new credential (add); filter (list)\n"
	    "  --service SERVICE   service it belongs to (add); filter (list)\n"
	    "  --metadata JSON     clear-text metadata, a JSON object (add); never a secret\n"
	    "  --reveal            print the secret alone (show)\n"
	    "  --version N         which version to reveal (show --reveal)\n"
	    "  --wait SECONDS      how long verify waits for the result (1-3600, default 60)\n"
	    "  --json              machine-readable output: one JSON object per line\n");
}

static int
credcmd_parse(int argc, char **argv, struct cred_opts *o)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' }, { "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' }, { "service", required_argument, NULL, 's' },
		{ "metadata", required_argument, NULL, 'm' }, { "version", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' }, { "reveal", no_argument, NULL, 'r' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->wait = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'n': o->name = optarg; break;
		case 't': o->type = optarg; break;
		case 's': o->service = optarg; break;
		case 'm': o->metadata = optarg; break;
		case 'j': o->json = 1; break;
		case 'r': o->reveal = 1; break;
		case 'v':
			o->version = strtoul(optarg, &end, 10);
			if (*end != '\0' || o->version == 0 || o->version > UINT32_MAX)
				return -1;
			break;
		case 'w':
			o->wait = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || o->wait < 1 || o->wait > 3600)
				return -1;
			break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind < argc)
		o->target = argv[optind++];
	return optind == argc ? 0 : -1;
}

/*
 * Local mode (bosctl opening the vault's files and unwrapping keys itself)
 * is gone: a secret it printed had no audit record and no policy decision
 * (issue #13). Say what to do instead, rather than quietly using the API.
 */
static int
credcmd_local_gone(const char *how)
{
	return bosctl_usage_fail("cred", "%s: bosctl no longer opens a vault's files (local mode "
	    "is gone). Start the vault ('bos-vaultd --state-dir DIR', or 'bos-vaultd --state-dir "
	    "DIR --maintenance' to serve only its unix socket) and use the API as a signed-in "
	    "admin: 'bosctl login NAME' (BOS_ADDR=unix:DIR/vault.sock on the vault's machine)", how);
}

struct credcmd_sub {
	const char *name;
	enum bosctl_cred_op op;
};

static const struct credcmd_sub credcmd_subs[] = {
	{ "add", BOSCTL_CRED_ADD }, { "list", BOSCTL_CRED_LIST }, { "show", BOSCTL_CRED_SHOW },
	{ "get", BOSCTL_CRED_SHOW }, { "update", BOSCTL_CRED_UPDATE },
	{ "revoke", BOSCTL_CRED_REVOKE }, { "versions", BOSCTL_CRED_VERSIONS },
	{ "verify", BOSCTL_CRED_VERIFY },
};

static const struct bosctl_subcmds credcmd_cmd =
	BOSCTL_SUBCMDS("cred", credcmd_usage, credcmd_subs, NULL, 0);

int
bosctl_cmd_cred(int argc, char **argv)
{
	const struct credcmd_sub *sub;
	struct cred_opts o;
	const char *env = getenv("BOS_STATE_DIR");
	int r;

	if ((sub = bosctl_subcmd_find(&credcmd_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = credcmd_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&credcmd_cmd, r);
	if (o.dir != NULL)
		return credcmd_local_gone("--state-dir");
	if (env != NULL && *env != '\0')
		return credcmd_local_gone("$BOS_STATE_DIR is set");
	if (o.wait >= 0 && sub->op != BOSCTL_CRED_VERIFY)
		return bosctl_usage_fail("cred", "--wait is for 'verify'");
	return bosctl_cred_api(sub->op, sub->name, &o);
}
