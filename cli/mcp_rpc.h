/*
 * JSON-RPC 2.0 for bosctl mcp (docs/MCP.md "Server"): one line of input is
 * parsed and classified, and answers are built and serialised. Pure: no I/O,
 * no clock, no global state, so the fuzzer (tests/fuzz/fuzz_mcp_rpc.c) and the
 * unit tests see exactly what the server does.
 */
#ifndef BOS_MCP_RPC_H
#define BOS_MCP_RPC_H

#include <jansson.h>
#include <stddef.h>
#include "compiler.h"

/* The longest line accepted, without its "\n" and a trailing "\r". */
#define MCP_LINE_MAX (1024 * 1024)

/* JSON-RPC 2.0 error codes. */
#define MCP_E_PARSE (-32700)
#define MCP_E_INVALID_REQUEST (-32600)
#define MCP_E_METHOD_NOT_FOUND (-32601)
#define MCP_E_INVALID_PARAMS (-32602)
#define MCP_E_INTERNAL (-32603)

/*
 * A token shape in an answer: "bos_" + s|h|b + "_" and at least this many
 * token characters (base62). A whole token has 49; 16 (95 bits) already
 * leaks too much, and no name the tools print comes close to the shape.
 */
#define MCP_TOKEN_SHAPE_MIN 16

enum mcp_msg_kind {
	MCP_MSG_REQUEST,       /* method and id: answer it */
	MCP_MSG_NOTIFICATION,  /* method, no id: never answered */
	MCP_MSG_RESPONSE,      /* result or error and no method: a client's answer, ignored */
	MCP_MSG_INVALID,       /* answer with code and error, id (or null) */
};

struct mcp_msg {
	enum mcp_msg_kind kind;
	json_t *root;          /* the parsed message (owned); NULL after a parse error */
	const json_t *id;      /* borrowed from root: a string or an integer; NULL: none or unusable */
	const char *method;    /* borrowed; requests and notifications */
	const json_t *params;  /* borrowed object or array; NULL when absent */
	int code;              /* MCP_MSG_INVALID: MCP_E_PARSE or MCP_E_INVALID_REQUEST */
	const char *error;     /* MCP_MSG_INVALID: a static message */
};

/*
 * Parse and classify one line (len bytes, no newline; NUL bytes make it a
 * parse error). Always fills m and returns m->kind; release with
 * mcp_msg_free. Duplicate keys are a parse error, since two readers could
 * take different values from them.
 */
enum mcp_msg_kind mcp_rpc_parse(const char *line, size_t len, struct mcp_msg *m);
void mcp_msg_free(struct mcp_msg *m);

/*
 * {"jsonrpc":"2.0","id":ID,"result":RESULT}, stealing result (released
 * even on failure). id NULL is written as null. NULL when out of memory.
 */
json_t *mcp_rpc_result(const json_t *id, json_t *result) BOS_WUR;
/* {"jsonrpc":"2.0","id":ID|null,"error":{"code":CODE,"message":MSG}}. NULL when out of memory. */
json_t *mcp_rpc_error(const json_t *id, int code, const char *msg) BOS_WUR;

/*
 * msg as one compact line with its "\n" (JSON escapes every control
 * character, so the only newline is the last byte), into a new buffer of
 * *len bytes (plus a NUL). Release with mcp_rpc_line_free. NULL when out of
 * memory.
 */
char *mcp_rpc_line(const json_t *msg, size_t *len) BOS_WUR;
void mcp_rpc_line_free(char *line, size_t len);

/*
 * 1 when s (n bytes) holds a token shape (MCP_TOKEN_SHAPE_MIN above) and
 * then its type letter in *type, else 0.
 */
int mcp_rpc_has_token(const char *s, size_t n, char *type);

#endif
