/* bosctl: shared declarations of the command modules. */
#ifndef BOS_BOSCTL_H
#define BOS_BOSCTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include "compiler.h"
#include "err.h"

struct http_client;

#define BOSCTL_EXIT_OK 0
#define BOSCTL_EXIT_FAIL 1
#define BOSCTL_EXIT_USAGE 2

/* The options of 'bosctl cred' (dir: a --state-dir given, which is refused). */
struct cred_opts {
	const char *dir, *name, *type, *service, *metadata, *target;
	int json, reveal;
	unsigned long version;
	long wait;           /* verify --wait SECONDS; -1: not given (the default, 60) */
};

int bosctl_cmd_cred(int argc, char **argv);
int bosctl_cmd_admin(int argc, char **argv);
int bosctl_cmd_login(int argc, char **argv);
int bosctl_cmd_logout(int argc, char **argv);
int bosctl_cmd_helper(int argc, char **argv);
int bosctl_cmd_grant(int argc, char **argv);
int bosctl_cmd_token(int argc, char **argv);
int bosctl_cmd_audit(int argc, char **argv);
int bosctl_cmd_budget(int argc, char **argv);
int bosctl_cmd_cost(int argc, char **argv);
int bosctl_cmd_alerts(int argc, char **argv);
int bosctl_cmd_broker(int argc, char **argv);
int bosctl_cmd_jobs(int argc, char **argv);
int bosctl_cmd_mcp(int argc, char **argv);
int bosctl_cmd_status(int argc, char **argv);
int bosctl_cmd_approvals(int argc, char **argv);
int bosctl_cmd_approve(int argc, char **argv);   /* cmd_approve.c */
int bosctl_cmd_outreach(int argc, char **argv);  /* cmd_outreach.c */
int bosctl_cmd_campaign(int argc, char **argv);
/* 'bosctl outreach ad SUB ...' (cmd_ad.c); argv[0] is "ad". */
int bosctl_cmd_outreach_ad(int argc, char **argv);
/* 'bosctl grant pickup ACCESSOR ...' (cmd_pickup.c); argv[0] is "pickup". */
int bosctl_grant_pickup(int argc, char **argv);

/*
 * A TOTP code confirming an action (approve, pickup): from the terminal with
 * echo off (prompt "TOTP code WHY: "), or the first line of standard input
 * when it is not a terminal; spaces dropped, exactly 6 digits. Never from
 * argv or the environment. The caller wipes code (secmem_wipe). 0 or -1.
 */
#define BOSCTL_TOTP_SIZE 7
int bosctl_totp_read(const char *why, char code[static BOSCTL_TOTP_SIZE],
    struct bos_err *err) BOS_WUR;

/* What a 'bosctl cred' subcommand does (cmd_cred.c's table names them). */
enum bosctl_cred_op {
	BOSCTL_CRED_ADD, BOSCTL_CRED_LIST, BOSCTL_CRED_SHOW, BOSCTL_CRED_UPDATE,
	BOSCTL_CRED_REVOKE, BOSCTL_CRED_VERSIONS, BOSCTL_CRED_VERIFY,
};

/* 'bosctl cred SUB' (op, named sub) over the vault's API. Returns an exit status. */
int bosctl_cred_api(enum bosctl_cred_op op, const char *sub, const struct cred_opts *o);

/*
 * The subcommands of a command ('bosctl CMD SUB ...'). Each command keeps a
 * table of its own entry type, whose first member is the name (const char *),
 * with what that subcommand runs; the lookup and the usage rules are shared:
 * no SUB prints the usage to stderr (exit 2), --help or help to stdout (exit
 * 0), and an unknown SUB is a usage error (exit 2).
 */
struct bosctl_subcmds {
	const char *cmd;             /* "grant" */
	void (*usage)(FILE *f);
	const void *table;           /* n entries of size bytes, each starting with its name */
	size_t n, size;
	/*
	 * An unknown SUB: with use NULL, "bosctl CMD: unknown subcommand 'SUB'" and the
	 * usage; else "unknown subcommand 'SUB': use USE" and a pointer to --help, or,
	 * with quiet set, USE alone (SUB is not quoted back: it may be a secret).
	 */
	const char *use;
	int quiet;
};
#define BOSCTL_SUBCMDS(name, usage_fn, tbl, use, quiet) \
	{ (name), (usage_fn), (tbl), BOS_ARRAY_LEN(tbl), sizeof((tbl)[0]), (use), (quiet) }

/*
 * The entry of c's table named by argv[1], or NULL with the exit status in
 * *rc when there is nothing to run (usage shown, or a usage error).
 */
const void *bosctl_subcmd_find(const struct bosctl_subcmds *c, int argc, char **argv, int *rc);
/*
 * The exit status after a command's option parser returned r != 0: 1 was
 * --help (usage on stdout, exit 0), -1 a usage error (usage on stderr, exit 2).
 */
int bosctl_subcmd_parsed(const struct bosctl_subcmds *c, int r);

/* Print "bosctl: error: MSG" to stderr and return BOSCTL_EXIT_FAIL. */
int bosctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print "bosctl CMD: MSG" and a pointer to 'bosctl CMD --help' to stderr
 * (cmd "" for bosctl itself); return BOSCTL_EXIT_USAGE.
 */
int bosctl_usage_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The helper token given before the command (--token, --token-file,
 * --token -), or NULL when bosctl acts as the admin of the session file.
 */
const char *bosctl_helper_token(void);

/*
 * A client of the vault (BOS_ADDR, BOS_CACERT) carrying the helper token
 * when one was given, else the saved session's token. With a helper token
 * the session file is not read.
 */
int bosctl_api_open(struct http_client **out, struct bos_err *err) BOS_WUR;

/* One compact JSON object and a newline on standard output. */
void bosctl_json_print(const json_t *o);
/*
 * Output that holds a secret (a token shown once), written past stdio's
 * buffer, which is never wiped: bosctl_write_secret formats one line (at
 * most 4 KiB) on the stack, writes it and wipes it; bosctl_write_json
 * writes o compactly and a newline from jansson's wiping allocator. Both
 * flush stdout first. 0 or -1.
 */
int bosctl_write_secret(const char *fmt, ...) __attribute__((format(printf, 1, 2))) BOS_WUR;
int bosctl_write_json(const json_t *o) BOS_WUR;
/* The string at key, or "-" when absent or not a string. */
const char *bosctl_json_str(const json_t *o, const char *key);

#endif
