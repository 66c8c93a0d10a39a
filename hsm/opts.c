/* Command line of bos-hsmd; see opts.h. */
#include "opts.h"

#include <string.h>
#include "compiler.h"

enum { OPT_MODULE, OPT_TOKEN, OPT_PIN_FILE, OPT_INIT, OPT_CREATE, OPT_SO_PIN_FILE,
	OPT_UNCONFINED, OPT_LISTEN, OPT_PEER_UID, OPT_GENERATE };

/*
 * Exact names only. getopt_long would accept "--pin 1234" as an
 * abbreviation of "--pin-file 1234", and then name the would-be PIN in an
 * error message and the log.
 */
static const struct {
	const char *name;
	int id;
	int has_arg;
} opts_table[] = {
	{ "--module", OPT_MODULE, 1 },
	{ "--token", OPT_TOKEN, 1 },
	{ "--pin-file", OPT_PIN_FILE, 1 },
	{ "--init", OPT_INIT, 0 },
	{ "--create-token", OPT_CREATE, 0 },
	{ "--so-pin-file", OPT_SO_PIN_FILE, 1 },
	{ "--allow-unconfined-paths", OPT_UNCONFINED, 0 },
	{ "--listen", OPT_LISTEN, 1 },
	{ "--peer-uid", OPT_PEER_UID, 1 },
	{ "--generate-keys", OPT_GENERATE, 1 },
};

/*
 * A PKCS#11 label is 32 bytes padded with blanks, so a label with trailing
 * blanks or control characters could never be matched exactly.
 */
static int
opts_check_label(const char *label, struct hsm_fail *f)
{
	size_t i, n = strlen(label);

	if (n == 0 || n > 32)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "token label must be 1 to 32 characters");
	for (i = 0; i < n; i++) {
		if (label[i] < 0x20 || label[i] > 0x7e)
			return hsm_fail_set(f, HSM_ERR_CONFIG,
			    "token label must be printable ASCII");
	}
	if (label[n - 1] == ' ')
		return hsm_fail_set(f, HSM_ERR_CONFIG, "token label must not end with a blank");
	return 0;
}

/* Record one option; a repeated option is an error rather than "last wins". */
static int
opts_set(const char **slot, const char *val, const char *name, struct hsm_fail *f)
{
	if (*slot != NULL)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--%s given twice", name);
	if (val[0] == '\0')
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--%s must not be empty", name);
	*slot = val;
	return 0;
}

static int
opts_set_mode(struct hsmd_opts *o, enum hsmd_mode m, struct hsm_fail *f)
{
	if (o->mode != HSMD_MODE_SERVE)
		return hsm_fail_set(f, HSM_ERR_CONFIG,
		    "--init and --create-token may be given only once, and not both");
	o->mode = m;
	return 0;
}

static int
opts_one(int c, const char *val, struct hsmd_opts *o, struct hsm_fail *f)
{
	switch (c) {
	case OPT_MODULE:
		return opts_set(&o->module, val, "module", f);
	case OPT_TOKEN:
		return opts_set(&o->token, val, "token", f);
	case OPT_PIN_FILE:
		return opts_set(&o->pin_file, val, "pin-file", f);
	case OPT_SO_PIN_FILE:
		return opts_set(&o->so_pin_file, val, "so-pin-file", f);
	case OPT_INIT:
		return opts_set_mode(o, HSMD_MODE_INIT, f);
	case OPT_CREATE:
		return opts_set_mode(o, HSMD_MODE_CREATE_TOKEN, f);
	case OPT_UNCONFINED:
		o->unconfined_ok = 1;
		return 0;
	case OPT_LISTEN:
		return opts_set(&o->listen, val, "listen", f);
	case OPT_PEER_UID:
		return opts_set(&o->peer_uid, val, "peer-uid", f);
	case OPT_GENERATE:
		return opts_set(&o->generate, val, "generate-keys", f);
	default:
		return hsm_fail_set(f, HSM_ERR_CONFIG, "unknown option; %s", HSMD_USAGE);
	}
}

static int
opts_lookup(const char *arg)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(opts_table); i++) {
		if (strcmp(arg, opts_table[i].name) == 0)
			return (int)i;
	}
	return -1;
}

static int
opts_check(const struct hsmd_opts *o, struct hsm_fail *f)
{
	if (o->module == NULL || o->token == NULL)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--module and --token are required");
	if (o->module[0] != '/')
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--module must be an absolute path");
	if (o->mode == HSMD_MODE_CREATE_TOKEN && o->so_pin_file == NULL)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--create-token needs --so-pin-file");
	if (o->mode != HSMD_MODE_CREATE_TOKEN && o->so_pin_file != NULL)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--so-pin-file is only for --create-token");
	/*
	 * The listening process serves only: key generation and token creation
	 * stay with a process whose argv asked for them (docs/HSM.md).
	 */
	if (o->listen != NULL && o->mode != HSMD_MODE_SERVE)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--listen serves only; --init and "
		    "--create-token are not allowed with it");
	if ((o->listen == NULL) != (o->peer_uid == NULL))
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--listen and --peer-uid go together");
	if (o->generate != NULL && o->mode == HSMD_MODE_SERVE)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--generate-keys needs --init or "
		    "--create-token");
	if (o->listen != NULL && o->listen[0] != '/')
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--listen must be an absolute path");
	return opts_check_label(o->token, f);
}

int
opts_parse(int argc, char **argv, struct hsmd_opts *o, struct hsm_fail *f)
{
	const char *val;
	int i, k;

	memset(o, 0, sizeof(*o));
	o->mode = HSMD_MODE_SERVE;
	for (i = 1; i < argc; i++) {
		/* The argument itself is never echoed: it might be a secret. */
		if ((k = opts_lookup(argv[i])) < 0)
			return hsm_fail_set(f, HSM_ERR_CONFIG, "unknown argument #%d; %s", i,
			    HSMD_USAGE);
		val = NULL;
		if (opts_table[k].has_arg) {
			if (i + 1 >= argc)
				return hsm_fail_set(f, HSM_ERR_CONFIG, "%s needs a value",
				    opts_table[k].name);
			val = argv[++i];
		}
		if (opts_one(opts_table[k].id, val, o, f) != 0)
			return -1;
	}
	return opts_check(o, f);
}
