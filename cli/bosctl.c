/*
 * bosctl: the BOS command line. Commands are a table; each command parses
 * its own options. Secrets are read from a prompt or standard input, never
 * from argv.
 */
#include "bosctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "compiler.h"
#include "http_client.h"
#include "json_alloc.h"
#include "log.h"
#include "secmem.h"

struct bosctl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct bosctl_command bosctl_commands[] = {
	{ "init", bosctl_cmd_init, "create a new vault in a state directory" },
	{ "admin", bosctl_cmd_admin, "create an admin (over the vault's unix socket)" },
	{ "login", bosctl_cmd_login, "sign in as an admin (password + TOTP code)" },
	{ "logout", bosctl_cmd_logout, "end the session and delete the session file" },
	{ "cred", bosctl_cmd_cred, "add, list, show, update and revoke credentials" },
};

static void
bosctl_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: bosctl COMMAND [OPTIONS]\n\nCommands:\n");
	for (i = 0; i < BOS_ARRAY_LEN(bosctl_commands); i++)
		fprintf(f, "  %-7s %s\n", bosctl_commands[i].name, bosctl_commands[i].summary);
	fprintf(f, "\nRun 'bosctl COMMAND --help' for a command's options.\n"
	    "\n"
	    "'bosctl cred' talks to the running vault as the admin signed in with 'bosctl login',\n"
	    "or, given --state-dir DIR or $BOS_STATE_DIR, opens the vault's files directly.\n"
	    "\n"
	    "Environment:\n"
	    "  BOS_ADDR    the vault: https://HOST:PORT (default https://127.0.0.1:8025) or\n"
	    "              unix:/PATH/vault.sock\n"
	    "  BOS_CACERT  the certificate that signs the vault's (default var/dev/tls/cert.pem\n"
	    "              when it exists and BOS_ADDR is the default, else the system store)\n"
	    "  BOS_SOCKET  the vault's unix socket for 'bosctl admin' (default var/dev/vault.sock)\n");
}

int
bosctl_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bosctl: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return BOSCTL_EXIT_FAIL;
}

int
main(int argc, char **argv)
{
	size_t i;
	int r;

	log_init("bosctl", LOG_LVL_WARN);
	json_alloc_init();
	if (http_client_global_init() != 0)
		return bosctl_fail("cannot set up libcurl and its wiping allocator");
	if (secmem_harden_process() != 0)
		return bosctl_fail("cannot make the process undumpable");
	if (argc < 2) {
		bosctl_usage(stderr);
		return BOSCTL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		bosctl_usage(stdout);
		return BOSCTL_EXIT_OK;
	}
	for (i = 0; i < BOS_ARRAY_LEN(bosctl_commands); i++) {
		if (strcmp(argv[1], bosctl_commands[i].name) == 0) {
			r = bosctl_commands[i].run(argc - 1, argv + 1);
			http_client_global_cleanup();
			return r;
		}
	}
	fprintf(stderr, "bosctl: unknown command '%s'\n\n", argv[1]);
	bosctl_usage(stderr);
	return BOSCTL_EXIT_USAGE;
}
