/*
 * The arguments of 'bosctl outreach ad SUB ...' (docs/ADS.md "bosctl and
 * MCP") as the tool to run and its arguments: no I/O, no vault, so that the
 * unit tests can check every option (tests/unit/test_tool_ad.c). The command
 * itself (the usage, the call, the output) is cli/cmd_ad.c.
 */
#ifndef BOS_AD_ARGS_H
#define BOS_AD_ARGS_H

#include <jansson.h>
#include "compiler.h"
#include "err.h"

/* The most --category options (each of the four categories once). */
#define AD_CATEGORIES_MAX 4
/* The most countries an ad targets (the vault's limit, docs/ADS.md). */
#define AD_COUNTRIES_MAX 25

struct ad_call {
	const char *tool;  /* "ad_create", "ad_list", "ad_show", "ad_pause", "ad_resume" */
	const char *key;   /* what --json prints of the tool's output: "ad" or "ads" */
	json_t *args;      /* the tool's arguments (a new reference; the caller drops it) */
	int json;          /* --json */
};

/*
 * argv[0] is SUB (create, list, show, pause, resume), then its options and
 * arguments. 0 with *c filled; 1 for --help; -1 for a usage error, with a
 * BOS_E_INVALID message in err, or an empty one when getopt printed its own
 * (an unknown option). Amounts: --daily in the major unit of --currency
 * (amount_arg.c), sent as minor units.
 */
int ad_args_parse(int argc, char **argv, struct ad_call *c, struct bos_err *err) BOS_WUR;

#endif
