/*
 * bosctl mcp: the MCP server on standard input and output (docs/MCP.md
 * "Server"). One JSON-RPC message per line in, one answer per request out,
 * in order; the tools of tool.h behind tools/list and tools/call, each call
 * under the admin's session as it is on disk at that moment.
 *
 * What the server touches outside itself comes in through struct mcp_env
 * (the tool table, the session), so that the unit tests run it with a fake
 * table and no vault.
 */
#ifndef BOS_MCP_SERVER_H
#define BOS_MCP_SERVER_H

#include <stddef.h>
#include "compiler.h"
#include "err.h"
#include "tool.h"

#define MCP_PROTOCOL_LATEST "2025-11-25"
#define MCP_PROTOCOL_PREVIOUS "2025-06-18"

/* The answer a tools/call gets in place of one that held a token shape. */
#define MCP_WITHHELD_MSG "internal error: the answer held a secret and was withheld"
/* A tools/call without a usable session (none on disk, expired, logged out). */
#define MCP_LOGIN_MSG "not signed in or the session expired: ask the admin to run " \
	"'bosctl login NAME' in a terminal (never ask for a password, TOTP code or token)"

struct mcp_env {
	const struct bos_tool *(*table)(size_t *n);
	const struct bos_tool *(*find)(const char *name);
	/* A client of the vault with the session as it is now (bosctl_api_open). */
	int (*open)(struct http_client **hc, struct bos_err *err);
	void (*close)(struct http_client *hc);
	const char *version;  /* serverInfo.version */
};

struct mcp_server {
	const struct mcp_env *env;
	int initialized;             /* initialize was answered */
	const char *protocol;        /* the version agreed on */
};

void mcp_server_init(struct mcp_server *s, const struct mcp_env *env);

/*
 * Answer one line (len bytes, without its "\n"; a trailing "\r" is
 * dropped). 0 with *out the answer line ("\n" included, *out_len bytes;
 * release with mcp_rpc_line_free), or with *out NULL when nothing is
 * answered (a notification, a client's response, an empty line); -1 when
 * the answer could not be built (out of memory).
 */
int mcp_server_handle(struct mcp_server *s, const char *line, size_t len, char **out,
    size_t *out_len) BOS_WUR;

/*
 * Serve in_fd until it ends, writing answers to out_fd, each in one call as
 * a whole line. Returns the exit status: 0 at the end of input (a last,
 * unfinished line is dropped), 1 when out_fd or in_fd fails. SIGPIPE must be
 * ignored by the caller, so that a reader gone away is a write error.
 */
int mcp_server_run(struct mcp_server *s, int in_fd, int out_fd) BOS_WUR;

#endif
