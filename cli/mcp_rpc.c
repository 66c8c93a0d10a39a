/* JSON-RPC 2.0 messages of bosctl mcp; see mcp_rpc.h. */
#include "mcp_rpc.h"

#include <stdlib.h>
#include <string.h>
#include "secmem.h"

static enum mcp_msg_kind
mcp_invalid(struct mcp_msg *m, int code, const char *why)
{
	m->kind = MCP_MSG_INVALID;
	m->code = code;
	m->error = why;
	return m->kind;
}

/* A usable id: a string or an integer (MCP forbids null; JSON-RPC discourages reals). */
static int
mcp_id_valid(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

/* The members of an object that is not a response, into m. */
static enum mcp_msg_kind
mcp_classify(struct mcp_msg *m)
{
	const json_t *o = m->root, *id = json_object_get(o, "id");
	const json_t *method = json_object_get(o, "method");
	const json_t *params = json_object_get(o, "params");
	const char *v = json_string_value(json_object_get(o, "jsonrpc"));

	if (id != NULL && !mcp_id_valid(id))
		return mcp_invalid(m, MCP_E_INVALID_REQUEST, "id must be a string or an integer");
	m->id = id;
	if (v == NULL || strcmp(v, "2.0") != 0)
		return mcp_invalid(m, MCP_E_INVALID_REQUEST, "not a JSON-RPC 2.0 message "
		    "(jsonrpc must be \"2.0\")");
	if (!json_is_string(method))
		return mcp_invalid(m, MCP_E_INVALID_REQUEST, "method must be a string");
	if (params != NULL && !json_is_object(params) && !json_is_array(params))
		return mcp_invalid(m, MCP_E_INVALID_REQUEST, "params must be an object or an array");
	m->method = json_string_value(method);
	m->params = params;
	m->kind = id != NULL ? MCP_MSG_REQUEST : MCP_MSG_NOTIFICATION;
	return m->kind;
}

enum mcp_msg_kind
mcp_rpc_parse(const char *line, size_t len, struct mcp_msg *m)
{
	json_error_t jerr;

	memset(m, 0, sizeof(*m));
	if (memchr(line, '\0', len) != NULL)
		return mcp_invalid(m, MCP_E_PARSE, "parse error: a NUL byte in the message");
	m->root = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (m->root == NULL)
		return mcp_invalid(m, MCP_E_PARSE, "parse error: not one JSON value on the line");
	if (json_is_array(m->root))
		return mcp_invalid(m, MCP_E_INVALID_REQUEST, "batches (arrays) are not supported: "
		    "send one message per line");
	if (!json_is_object(m->root))
		return mcp_invalid(m, MCP_E_INVALID_REQUEST, "a message must be a JSON object");
	/* A client's answer to a request of ours (we send none): ignored. */
	if (json_object_get(m->root, "method") == NULL &&
	    (json_object_get(m->root, "result") != NULL || json_object_get(m->root, "error") != NULL)) {
		m->kind = MCP_MSG_RESPONSE;
		return m->kind;
	}
	return mcp_classify(m);
}

void
mcp_msg_free(struct mcp_msg *m)
{
	json_decref(m->root);
	memset(m, 0, sizeof(*m));
}

/* {"jsonrpc":"2.0","id":ID|null}, the start of every answer. */
static json_t *
mcp_rpc_base(const json_t *id)
{
	json_t *idv = id != NULL ? json_deep_copy(id) : json_null();

	/* "o" steals idv, also when packing fails (jansson >= 2.11). */
	return idv != NULL ? json_pack("{s:s, s:o}", "jsonrpc", "2.0", "id", idv) : NULL;
}

json_t *
mcp_rpc_result(const json_t *id, json_t *result)
{
	json_t *o;

	if (result == NULL || (o = mcp_rpc_base(id)) == NULL) {
		json_decref(result);
		return NULL;
	}
	if (json_object_set_new(o, "result", result) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
mcp_rpc_error(const json_t *id, int code, const char *msg)
{
	json_t *o = mcp_rpc_base(id);

	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "error", json_pack("{s:i, s:s}", "code", code, "message",
	    msg)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *
mcp_rpc_line(const json_t *msg, size_t *len)
{
	size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT), total;
	char *line;

	*len = 0;
	if (n == 0 || __builtin_add_overflow(n, 2, &total) || (line = malloc(total)) == NULL)
		return NULL;
	if (json_dumpb(msg, line, n, JSON_COMPACT) != n) {
		secmem_freezero(line, total);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

/* The buffer may carry what a tool answered: wiped with its size. */
void
mcp_rpc_line_free(char *line, size_t len)
{
	if (line != NULL)
		secmem_freezero(line, len + 1);
}

static int
mcp_b62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int
mcp_rpc_has_token(const char *s, size_t n, char *type)
{
	const char *p = s, *end = s + n;
	size_t k;

	while ((p = memmem(p, (size_t)(end - p), "bos_", 4)) != NULL) {
		if (end - p >= 6 && (p[4] == 's' || p[4] == 'h' || p[4] == 'b') && p[5] == '_') {
			for (k = 0; p + 6 + k < end && mcp_b62(p[6 + k]); k++)
				;
			if (k >= MCP_TOKEN_SHAPE_MIN) {
				if (type != NULL)
					*type = p[4];
				return 1;
			}
		}
		p += 4;
	}
	return 0;
}
