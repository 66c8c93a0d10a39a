/* bosctl init: create a vault's state directory. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "bosctl.h"
#include "core/state.h"

static void
init_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl init --state-dir DIR --dev\n"
	    "       bosctl init --state-dir DIR --module PATH --token LABEL [--pin-file FILE]\n"
	    "\n"
	    "Create a new vault in DIR, which must be missing or empty (existing state is never\n"
	    "overwritten): the HSM keys (KEK bos-kek-v1, audit key bos-audit-v1), the wrapped\n"
	    "database key db.key, the encrypted database bos.db and bos.conf.\n"
	    "\n"
	    "  --dev            create a private SoftHSM token 'bos-dev' inside DIR, with random\n"
	    "                   PINs in DIR/hsm-pin and DIR/hsm-so-pin (mode 0400)\n"
	    "  --module PATH    PKCS#11 module of the production HSM\n"
	    "  --token LABEL    label of an initialised token on that HSM\n"
	    "  --pin-file FILE  file (mode 0400) holding the token's user PIN; default:\n"
	    "                   $CREDENTIALS_DIRECTORY/hsm-pin (systemd LoadCredential)\n"
	    "  --allow-unconfined-paths\n"
	    "                   where the kernel has no Landlock, run unconfined instead of\n"
	    "                   refusing, and write sandbox_unconfined_paths = 1 to bos.conf\n"
	    "                   (docs/SANDBOX.md)\n");
}

int
bosctl_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' }, { "dev", no_argument, NULL, 'D' },
		{ "module", required_argument, NULL, 'm' }, { "token", required_argument, NULL, 't' },
		{ "pin-file", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ "allow-unconfined-paths", no_argument, NULL, 'U' }, { NULL, 0, NULL, 0 },
	};
	struct state_init_opts o = { 0 };
	const char *dir = getenv("BOS_STATE_DIR");
	struct bos_err err;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'D': o.dev = 1; break;
		case 'm': o.module = optarg; break;
		case 't': o.token_label = optarg; break;
		case 'p': o.pin_file = optarg; break;
		case 'U': o.unconfined_paths = 1; break;
		case 'h': init_usage(stdout); return BOSCTL_EXIT_OK;
		default: init_usage(stderr); return BOSCTL_EXIT_USAGE;
		}
	}
	if (dir == NULL || optind != argc || (!o.dev && (o.module == NULL || o.token_label == NULL)) ||
	    (o.dev && (o.module != NULL || o.pin_file != NULL))) {
		init_usage(stderr);
		return BOSCTL_EXIT_USAGE;
	}
	bos_err_clear(&err);
	if (state_init(dir, &o, &err) != 0)
		return bosctl_fail("%s", err.msg);
	printf("created a vault in %s\nstart it with: bos-vaultd --state-dir %s\n", dir, dir);
	return BOSCTL_EXIT_OK;
}
