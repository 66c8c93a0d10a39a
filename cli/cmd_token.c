/*
 * bosctl token check: the offline format check of a token (token_input.c),
 * so that a typo or a truncated paste is told apart from a token the vault
 * refuses, and costs no request. Nothing here prints a token or any part of
 * it beyond its public type prefix, and every copy is wiped.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "bosctl.h"
#include "secmem.h"
#include "token_input.h"

static void
token_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl token check -|TOKEN\n"
	    "\n"
	    "Check a BOS token offline: its prefix and type (bos_s_ admin session, bos_h_\n"
	    "helper, bos_b_ broker), its length, its characters and its checksum. Says what\n"
	    "kind of token it is, or what is wrong with it (a character missing or changed\n"
	    "when it was copied). The token is never printed back. Exit status: 0 valid,\n"
	    "1 not valid, 2 usage error.\n"
	    "\n"
	    "Only the format is checked: whether the vault still accepts the token (not\n"
	    "expired, revoked or used up) shows when it is used.\n"
	    "\n"
	    "  -       read the token from standard input (its first line; a prompt with\n"
	    "          echo off on a terminal). Prefer it: a TOKEN on the command line is\n"
	    "          visible to other users (ps, /proc) and lands in shell history.\n"
	    "  --help  this text\n");
}


static int
token_check_run(char *arg)
{
	enum token_type type;
	struct bos_err err;
	char *t = NULL;
	size_t size = 0;
	int r;

	bos_err_clear(&err);
	r = bosctl_token_load(BOSCTL_TOKEN_ARG, arg, &t, &size, &err);
	/* Shorten the time the token shows in /proc/PID/cmdline. */
	if (strcmp(arg, "-") != 0)
		secmem_wipe(arg, strlen(arg));
	if (r == 0)
		r = bosctl_token_examine(t, &type, &err);
	secmem_freezero(t, size);
	if (r != 0)
		return bosctl_fail("%s", err.msg);
	printf("a valid %s: prefix bos_%c_, %d characters, checksum right (only the format is "
	    "checked: whether the vault accepts it shows when it is used)\n",
	    bosctl_token_kind(type), (char)type, TOKEN_LEN);
	return BOSCTL_EXIT_OK;
}

struct token_sub {
	const char *name;
};

static const struct token_sub token_subs[] = { { "check" } };

static const struct bosctl_subcmds token_cmd =
	BOSCTL_SUBCMDS("token", token_usage, token_subs, "the only subcommand is 'check'", 1);

int
bosctl_cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c, r;

	/* An unknown SUB is not quoted back (quiet): it may be a token given without 'check'. */
	if (bosctl_subcmd_find(&token_cmd, argc, argv, &r) == NULL)
		return r;
	/* getopt's own messages would quote an operand that looks like an option. */
	opterr = 0;
	optind = 1;
	/* "+": a token never starts with '-', and "-" alone is an operand. */
	while ((c = getopt_long(argc - 1, argv + 1, "+", opts, NULL)) != -1) {
		if (c == 'h') {
			token_usage(stdout);
			return BOSCTL_EXIT_OK;
		}
		return bosctl_usage_fail("token", "unknown option");
	}
	if (optind != argc - 2)
		return bosctl_usage_fail("token", "check takes one token, or - to read it from "
		    "standard input");
	return token_check_run(argv[optind + 1]);
}
