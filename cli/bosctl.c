/*
 * bosctl: the BOS command line. Commands are a table; each command parses
 * its own options. Secrets are read from a prompt or standard input, never
 * from argv. The one option before the command is a helper's token
 * (--token, --token-file), which turns bosctl into a helper's client for
 * 'cred show --reveal' and 'cred update'.
 */
#include "bosctl.h"

#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler.h"
#include "http_client.h"
#include "io.h"
#include "json_alloc.h"
#include "log.h"
#include "secmem.h"
#include "session_file.h"
#include "token_input.h"

struct bosctl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	int helper_ok;  /* may run with a helper token */
};

/* The one context of this process: what came before the command. */
struct bosctl_ctx {
	char *token;        /* a helper token, wiped at exit */
	size_t token_size;
};

static struct bosctl_ctx bosctl_ctx;

static int bosctl_cmd_init(int argc, char **argv);

static const struct bosctl_command bosctl_commands[] = {
	{ "init", bosctl_cmd_init, "moved: create a vault with 'bos-vaultd init'", 0 },
	{ "admin", bosctl_cmd_admin, "create the first admin, add, list and reset admins", 0 },
	{ "login", bosctl_cmd_login, "sign in as an admin (password + TOTP code)", 0 },
	{ "logout", bosctl_cmd_logout, "end the session and delete the session file", 0 },
	{ "cred", bosctl_cmd_cred, "add, list, show, update and revoke credentials", 1 },
	{ "helper", bosctl_cmd_helper, "add, list and revoke helpers (contractors)", 0 },
	{ "grant", bosctl_cmd_grant, "give a helper a scoped, expiring token; list, revoke, pickup", 0 },
	{ "token", bosctl_cmd_token, "check a token's format offline", 0 },
	{ "audit", bosctl_cmd_audit, "read, export and verify (offline) the audit trail", 0 },
	{ "budget", bosctl_cmd_budget, "set, list and resume the spending limits of services", 0 },
	{ "cost", bosctl_cmd_cost, "what each service spent on a day or in a range", 0 },
	{ "alerts", bosctl_cmd_alerts, "list, acknowledge and resolve the vault's alerts", 0 },
	{ "broker", bosctl_cmd_broker, "register, list and revoke brokers (job runners)", 0 },
	{ "jobs", bosctl_cmd_jobs, "list and show the jobs of the vault's queue", 0 },
	{ "mcp", bosctl_cmd_mcp, "serve MCP on stdio for an AI assistant (no secrets)", 0 },
	{ "status", bosctl_cmd_status, "the vault at a glance: health, counts, alerts, spend", 0 },
	{ "approvals", bosctl_cmd_approvals, "list what waits for an admin's 'bosctl approve'", 0 },
	{ "approve", bosctl_cmd_approve, "approve or reject a budget raise or resume (TOTP code)", 0 },
	{ "outreach", bosctl_cmd_outreach, "contact lists, suppressions, email and SMS campaigns, stats", 0 },
	{ "campaign", bosctl_cmd_campaign, "list, show, start, pause, resume and cancel campaigns", 0 },
};

static void
bosctl_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: bosctl COMMAND [OPTIONS]\n"
	    "       bosctl --token-file FILE | --token - | --token TOKEN  cred show|update ...\n"
	    "\nCommands:\n");
	for (i = 0; i < BOS_ARRAY_LEN(bosctl_commands); i++)
		fprintf(f, "  %-9s %s\n", bosctl_commands[i].name, bosctl_commands[i].summary);
	fprintf(f, "\nRun 'bosctl COMMAND --help' for a command's options.\n"
	    "\n"
	    "'bosctl cred' talks to the running vault as the admin signed in with 'bosctl login'.\n"
	    "bosctl never opens a vault's files: 'bos-vaultd init' creates a vault, and\n"
	    "'bos-vaultd --maintenance' serves only its unix socket (BOS_ADDR=unix:DIR/vault.sock).\n"
	    "\n"
	    "Helpers (given a bos_h_ token by 'bosctl grant create') read and update the\n"
	    "credentials of their grant, without signing in:\n"
	    "  bosctl --token-file FILE cred show ID --reveal\n"
	    "  bosctl --token-file FILE cred update ID      (the new secret on stdin or a prompt)\n"
	    "  --token-file FILE  the token is the content of FILE (mode 0600; refused when\n"
	    "                     group or others may read it). Recommended.\n"
	    "  --token -          the token is the first line of standard input (a prompt\n"
	    "                     with echo off on a terminal); for update the new secret\n"
	    "                     follows on the next lines\n"
	    "  --token TOKEN      the token itself: avoid, the command line is visible to\n"
	    "                     other users (ps, /proc) and lands in shell history\n"
	    "With a token the session file is not read.\n"
	    "\n"
	    "Environment:\n"
	    "  BOS_ADDR    the vault: https://HOST:PORT (default https://127.0.0.1:8025) or\n"
	    "              unix:/PATH/vault.sock\n"
	    "  BOS_CACERT  the certificate that signs the vault's (default var/dev/tls/cert.pem\n"
	    "              when it exists and BOS_ADDR is the default, else the system store)\n"
	    "  BOS_SOCKET  the vault's unix socket for 'bosctl admin' (default var/dev/vault.sock)\n");
}

/*
 * Creating a vault opens its files and its HSM, which is the vault
 * program's business: bosctl is only a client (issue #13).
 */
static int
bosctl_cmd_init(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "bosctl init: bosctl no longer creates vaults; run 'bos-vaultd init "
	    "--state-dir DIR --dev' (or --module PATH --token LABEL) as the vault's user, see "
	    "'bos-vaultd init --help'\n");
	return BOSCTL_EXIT_USAGE;
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
bosctl_usage_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bosctl%s%s: ", *cmd ? " " : "", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'bosctl%s%s --help' for the options.\n", *cmd ? " " : "", cmd);
	return BOSCTL_EXIT_USAGE;
}

const void *
bosctl_subcmd_find(const struct bosctl_subcmds *c, int argc, char **argv, int *rc)
{
	const char *e;
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		c->usage(argc < 2 ? stderr : stdout);
		*rc = argc < 2 ? BOSCTL_EXIT_USAGE : BOSCTL_EXIT_OK;
		return NULL;
	}
	for (i = 0, e = c->table; i < c->n; i++, e += c->size)
		if (strcmp(argv[1], *(const char *const *)(const void *)e) == 0)
			return e;
	if (c->quiet)
		*rc = bosctl_usage_fail(c->cmd, "%s", c->use);
	else if (c->use != NULL)
		*rc = bosctl_usage_fail(c->cmd, "unknown subcommand '%s': use %s", argv[1], c->use);
	else {
		fprintf(stderr, "bosctl %s: unknown subcommand '%s'\n\n", c->cmd, argv[1]);
		c->usage(stderr);
		*rc = BOSCTL_EXIT_USAGE;
	}
	return NULL;
}

int
bosctl_subcmd_parsed(const struct bosctl_subcmds *c, int r)
{
	c->usage(r > 0 ? stdout : stderr);
	return r > 0 ? BOSCTL_EXIT_OK : BOSCTL_EXIT_USAGE;
}

const char *
bosctl_helper_token(void)
{
	return bosctl_ctx.token;
}

void
bosctl_json_print(const json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
}

#define BOSCTL_SECRET_LINE_MAX 4096

/* See bosctl.h: a line that carries a secret, past stdio's buffer. */
int
bosctl_write_secret(const char *fmt, ...)
{
	char line[BOSCTL_SECRET_LINE_MAX];
	va_list ap;
	int k, r = -1;

	va_start(ap, fmt);
	k = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (k >= 0 && (size_t)k < sizeof(line) && fflush(stdout) == 0)
		r = io_write_full(STDOUT_FILENO, line, (size_t)k);
	secmem_wipe(line, sizeof(line));
	return r;
}

/* See bosctl.h: a JSON answer that holds a secret, from jansson's wiping allocator. */
int
bosctl_write_json(const json_t *ans)
{
	char *text = json_dumps(ans, JSON_COMPACT);
	int r = -1;

	if (text == NULL)
		return -1;
	if (fflush(stdout) == 0 && io_write_full(STDOUT_FILENO, text, strlen(text)) == 0)
		r = io_write_full(STDOUT_FILENO, "\n", 1);
	json_alloc_release(text);
	return r;
}

const char *
bosctl_json_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

/* A client carrying the saved session's token. */
static int
bosctl_api_open_session(struct http_client **out, struct bos_err *err)
{
	struct session_file s;
	int r;

	if ((r = session_file_load(&s, err)) < 0)
		return -1;
	if (r == 1)
		return bos_err_set(err, BOS_E_AUTH, "not signed in or the session expired: run "
		    "'bosctl login NAME'");
	r = http_client_from_env(out, err);
	if (r == 0 && (r = http_client_set_token(*out, s.token, err)) != 0) {
		http_client_free(*out);
		*out = NULL;
	}
	session_file_clear(&s);
	return r;
}

int
bosctl_api_open(struct http_client **out, struct bos_err *err)
{
	*out = NULL;
	if (bosctl_ctx.token == NULL)
		return bosctl_api_open_session(out, err);
	if (http_client_from_env(out, err) != 0)
		return -1;
	if (http_client_set_token(*out, bosctl_ctx.token, err) != 0) {
		http_client_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/*
 * "--NAME VALUE" or "--NAME=VALUE" at argv[*i]: 1 (with *val, and *i moved
 * past it), 0 when argv[*i] is another word, -1 when the value is missing.
 */
static int
bosctl_global_opt(int argc, char **argv, int *i, const char *name, char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
		return 0;
	if (a[2 + n] == '=') {
		*val = argv[*i] + 2 + n + 1;
		*i += 1;
		return 1;
	}
	if (a[2 + n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[*i + 1];
	*i += 2;
	return 1;
}

/* The token options before the command; *i is then the command's index. */
static int
bosctl_parse_globals(int argc, char **argv, int *i, char **tok, char **file)
{
	int k, seen = 0;

	*tok = *file = NULL;
	for (*i = 1; *i < argc; seen++) {
		if ((k = bosctl_global_opt(argc, argv, i, "token", tok)) == 0 &&
		    (k = bosctl_global_opt(argc, argv, i, "token-file", file)) == 0)
			break;
		if (k < 0)
			return bosctl_usage_fail("", "%s needs a value (--token-file FILE, --token -)",
			    argv[*i]);
	}
	if (seen > 1)
		return bosctl_usage_fail("", "give the token once: --token-file FILE, --token - "
		    "or --token TOKEN");
	return 0;
}

/* The token must be a well-formed helper token before anything is sent. */
static int
bosctl_token_accept(const char *t, struct bos_err *err)
{
	enum token_type type;

	if (bosctl_token_examine(t, &type, err) != 0)
		return -1;
	if (type == TOKEN_SESSION)
		return bos_err_set(err, BOS_E_INVALID, "--token takes a helper token (bos_h_...), "
		    "and this is an admin session token: admins sign in with 'bosctl login NAME'");
	if (type != TOKEN_HELPER)
		return bos_err_set(err, BOS_E_INVALID, "--token takes a helper token (bos_h_...), "
		    "and this is a %s", bosctl_token_kind(type));
	return 0;
}

static int
bosctl_token_setup(char *tok, const char *file)
{
	struct bos_err err;
	int r;

	bos_err_clear(&err);
	if (tok != NULL)
		r = bosctl_token_load(BOSCTL_TOKEN_ARG, tok, &bosctl_ctx.token,
		    &bosctl_ctx.token_size, &err);
	else
		r = bosctl_token_load(BOSCTL_TOKEN_FILE, file, &bosctl_ctx.token,
		    &bosctl_ctx.token_size, &err);
	/* Shorten the time the token shows in /proc/PID/cmdline. */
	if (tok != NULL && strcmp(tok, "-") != 0)
		secmem_wipe(tok, strlen(tok));
	if (r == 0)
		r = bosctl_token_accept(bosctl_ctx.token, &err);
	return r == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}

/* A helper token is only for 'cred' (which refuses --state-dir for everyone). */
static int
bosctl_token_command_ok(const struct bosctl_command *cmd)
{
	if (!cmd->helper_ok)
		return bosctl_usage_fail(cmd->name, "a helper token (--token, --token-file) is "
		    "only for 'bosctl cred show ID --reveal' and 'bosctl cred update ID'");
	return BOSCTL_EXIT_OK;
}

static const struct bosctl_command *
bosctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(bosctl_commands); i++)
		if (strcmp(name, bosctl_commands[i].name) == 0)
			return &bosctl_commands[i];
	return NULL;
}

static int
bosctl_run(int argc, char **argv)
{
	const struct bosctl_command *cmd;
	char *tok, *file;
	int i, r;

	if ((r = bosctl_parse_globals(argc, argv, &i, &tok, &file)) != 0)
		return r;
	if (i >= argc) {
		bosctl_usage(stderr);
		return BOSCTL_EXIT_USAGE;
	}
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
	    strcmp(argv[i], "help") == 0) {
		bosctl_usage(stdout);
		return BOSCTL_EXIT_OK;
	}
	if ((cmd = bosctl_find(argv[i])) == NULL) {
		fprintf(stderr, "bosctl: unknown command '%s'\n\n", argv[i]);
		bosctl_usage(stderr);
		return BOSCTL_EXIT_USAGE;
	}
	if (tok != NULL || file != NULL) {
		if ((r = bosctl_token_command_ok(cmd)) != 0 ||
		    (r = bosctl_token_setup(tok, file)) != 0)
			return r;
	}
	return cmd->run(argc - i, argv + i);
}

int
main(int argc, char **argv)
{
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
	r = bosctl_run(argc, argv);
	secmem_freezero(bosctl_ctx.token, bosctl_ctx.token_size);
	bosctl_ctx.token = NULL;
	http_client_global_cleanup();
	return r;
}
