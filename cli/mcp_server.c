/* bosctl mcp's server: JSON-RPC methods and the stdio loop; see mcp_server.h. */
#include "mcp_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "io.h"
#include "json_alloc.h"
#include "log.h"
#include "mcp_rpc.h"
#include "secmem.h"
#include "tool_schema.h"

/* What the model reads once, at initialize (docs/MCP.md "Server"). */
static const char mcp_instructions[] =
	"BOS is the business's secrets vault: it holds credentials (API keys, cards, passwords), "
	"gives helpers scoped and expiring access to them, keeps spending within budgets and "
	"keeps a signed audit trail; it also runs email and SMS outreach (contact lists, "
	"campaigns sent at a rate only to contacts who consented and are not suppressed, their "
	"stats and cost) and Meta ads, whose daily budget is never above what the budgets "
	"leave. These tools return metadata only, never a secret: no "
	"credential value, token, password, TOTP code or recovery code passes through them. "
	"Consequential actions complete only in the admin's terminal: widening a budget or "
	"resuming spending becomes an approval that runs after 'bosctl approve ID', and a "
	"grant's token is collected with 'bosctl grant pickup ACCESSOR'; tell the admin which "
	"command to run. If a tool says nobody is signed in or the session expired, ask the "
	"admin to run 'bosctl login NAME' in a terminal; never ask for a password, a TOTP code "
	"or a token.";

static const char *const mcp_protocols[] = { MCP_PROTOCOL_LATEST, MCP_PROTOCOL_PREVIOUS };

/* Answered when even an answer cannot be built: no id is at hand then. */
static const char mcp_oom_line[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
	"\"message\":\"internal error: out of memory\"}}\n";

void
mcp_server_init(struct mcp_server *s, const struct mcp_env *env)
{
	memset(s, 0, sizeof(*s));
	s->env = env;
	s->protocol = MCP_PROTOCOL_LATEST;
}

static json_t *
mcp_initialize(struct mcp_server *s, const struct mcp_msg *m)
{
	const char *want = json_string_value(json_object_get(m->params, "protocolVersion"));
	size_t i;

	if (!json_is_object(m->params) || want == NULL)
		return mcp_rpc_error(m->id, MCP_E_INVALID_PARAMS, "initialize needs params "
		    "{protocolVersion, capabilities, clientInfo}");
	/* The client's version when we speak it, else our newest (the client decides). */
	s->protocol = MCP_PROTOCOL_LATEST;
	for (i = 0; i < BOS_ARRAY_LEN(mcp_protocols); i++)
		if (strcmp(want, mcp_protocols[i]) == 0)
			s->protocol = mcp_protocols[i];
	s->initialized = 1;
	log_info("mcp: initialize, protocol %s", s->protocol);
	return mcp_rpc_result(m->id, json_pack("{s:s, s:{s:{s:b}}, s:{s:s, s:s}, s:s}",
	    "protocolVersion", s->protocol, "capabilities", "tools", "listChanged", 0,
	    "serverInfo", "name", "bos", "version", s->env->version,
	    "instructions", mcp_instructions));
}

/* One entry of tools/list, or NULL when the tool's schemas are not JSON objects. */
static json_t *
mcp_tool_entry(const struct bos_tool *t)
{
	json_t *in = json_loads(t->input_schema, JSON_REJECT_DUPLICATES, NULL), *out = NULL, *e;

	if (t->output_schema != NULL &&
	    (out = json_loads(t->output_schema, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		json_decref(in);
		return NULL;
	}
	if (!json_is_object(in) || (out != NULL && !json_is_object(out))) {
		json_decref(in);
		json_decref(out);
		return NULL;
	}
	e = json_pack("{s:s, s:s, s:s, s:o, s:{s:b, s:b}}", "name", t->name, "title", t->title,
	    "description", t->description, "inputSchema", in, "annotations",
	    "readOnlyHint", (t->flags & TOOL_READ_ONLY) != 0,
	    "destructiveHint", (t->flags & TOOL_DESTRUCTIVE) != 0);
	if (out != NULL && e != NULL && json_object_set_new(e, "outputSchema", out) != 0) {
		json_decref(e);
		return NULL;
	}
	if (e == NULL)
		json_decref(out);
	return e;
}

static json_t *
mcp_tools_list(struct mcp_server *s, const struct mcp_msg *m)
{
	const struct bos_tool *tab;
	json_t *tools = json_array(), *e;
	struct bos_err err;
	size_t i, n;

	if (m->params != NULL && !json_is_object(m->params)) {
		json_decref(tools);
		return mcp_rpc_error(m->id, MCP_E_INVALID_PARAMS, "tools/list takes an object");
	}
	tab = s->env->table(&n);
	for (i = 0; tools != NULL && i < n; i++) {
		if ((e = mcp_tool_entry(&tab[i])) == NULL || json_array_append_new(tools, e) != 0) {
			log_err("mcp: tools/list: the schemas of tool %s are not JSON objects", tab[i].name);
			json_decref(tools);
			return mcp_rpc_error(m->id, MCP_E_INTERNAL, "internal error: the tool table "
			    "is broken");
		}
		/* A schema the server cannot enforce in full is a bug to see at once. */
		if (tool_schema_valid(json_object_get(e, "inputSchema"), &err) != 0) {
			log_err("mcp: tools/list: tool %s: %s", tab[i].name, err.msg);
			json_decref(tools);
			return mcp_rpc_error(m->id, MCP_E_INTERNAL, "internal error: the tool table "
			    "is broken");
		}
	}
	if (tools == NULL)
		return NULL;
	return mcp_rpc_result(m->id, json_pack("{s:o}", "tools", tools));
}

/* {content: [{type: "text", text: msg}], isError: true}. */
static json_t *
mcp_tool_error(const char *msg)
{
	return json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text", msg,
	    "isError", 1);
}

/* {content: [{type: "text", text: OUT as JSON}], structuredContent: out, isError: false}; steals out. */
static json_t *
mcp_tool_success(json_t *out)
{
	char *text = json_dumps(out, JSON_COMPACT);
	json_t *r;

	if (text == NULL) {
		json_decref(out);
		return NULL;
	}
	r = json_pack("{s:[{s:s, s:s}], s:o, s:b}", "content", "type", "text", "text", text,
	    "structuredContent", out, "isError", 0);
	json_alloc_release(text);
	return r;
}

/*
 * A failure as the model should read it: the session's messages (bosctl's
 * "run 'bosctl login NAME'", from a missing session file or a 401) become
 * the one that sends the admin to a terminal; others are already actionable.
 */
static const char *
mcp_failure_text(const struct bos_err *err)
{
	if (strstr(err->msg, "not signed in or the session expired") != NULL)
		return MCP_LOGIN_MSG;
	return err->msg;
}

/* Check the arguments, open the session as it is now, run the tool. */
static json_t *
mcp_tool_run(struct mcp_server *s, const struct bos_tool *t, const json_t *args)
{
	struct http_client *hc = NULL;
	struct bos_err err;
	json_t *schema, *out = NULL;
	char msg[sizeof(err.msg) + 64];
	int r;

	bos_err_clear(&err);
	if ((schema = json_loads(t->input_schema, 0, NULL)) == NULL) {
		log_err("mcp: tool %s: its inputSchema is not JSON", t->name);
		return mcp_tool_error("internal error: the tool's inputSchema is broken");
	}
	r = tool_args_check(schema, args, &err);
	json_decref(schema);
	if (r != 0) {
		if (err.code == BOS_E_CONFIG) {
			log_err("mcp: tool %s: %s", t->name, err.msg);
			return mcp_tool_error("internal error: the tool's inputSchema is broken");
		}
		snprintf(msg, sizeof(msg), "invalid arguments: %s", err.msg);
		return mcp_tool_error(msg);
	}
	if (s->env->open(&hc, &err) != 0)
		return mcp_tool_error(mcp_failure_text(&err));
	r = t->run(hc, args, &out, &err);
	s->env->close(hc);
	if (r != 0) {
		json_decref(out);
		/* The message goes to the log only when the guard would let it through. */
		if (mcp_rpc_has_token(err.msg, strlen(err.msg), NULL))
			log_err("mcp: tool %s failed; its message held a token shape", t->name);
		else
			log_info("mcp: tool %s failed: %s", t->name, err.msg);
		return mcp_tool_error(mcp_failure_text(&err));
	}
	if (!json_is_object(out)) {
		json_decref(out);
		log_err("mcp: tool %s answered no object", t->name);
		return mcp_tool_error("internal error: the tool gave no answer");
	}
	return mcp_tool_success(out);
}

static json_t *
mcp_tools_call(struct mcp_server *s, const struct mcp_msg *m, const char **tool)
{
	const char *name = json_string_value(json_object_get(m->params, "name"));
	const json_t *args = json_object_get(m->params, "arguments");
	const struct bos_tool *t;
	json_t *empty = NULL, *r;

	if (!json_is_object(m->params) || name == NULL)
		return mcp_rpc_error(m->id, MCP_E_INVALID_PARAMS, "tools/call needs params "
		    "{name, arguments}");
	/* The name is not quoted back: the model sent it, and it knows it. */
	if ((t = s->env->find(name)) == NULL)
		return mcp_rpc_error(m->id, MCP_E_INVALID_PARAMS, "unknown tool: tools/list names "
		    "the tools");
	*tool = t->name;
	if (args == NULL)
		args = empty = json_object();
	if (!json_is_object(args)) {
		json_decref(empty);
		return mcp_rpc_error(m->id, MCP_E_INVALID_PARAMS, "tools/call arguments must be an "
		    "object");
	}
	r = mcp_rpc_result(m->id, mcp_tool_run(s, t, args));
	json_decref(empty);
	return r;
}

static json_t *
mcp_dispatch(struct mcp_server *s, const struct mcp_msg *m, const char **tool)
{
	if (strcmp(m->method, "ping") == 0)
		return mcp_rpc_result(m->id, json_object());
	if (strcmp(m->method, "initialize") == 0)
		return mcp_initialize(s, m);
	if (!s->initialized)
		return mcp_rpc_error(m->id, MCP_E_INVALID_REQUEST, "send initialize first");
	if (strcmp(m->method, "tools/list") == 0)
		return mcp_tools_list(s, m);
	if (strcmp(m->method, "tools/call") == 0)
		return mcp_tools_call(s, m, tool);
	return mcp_rpc_error(m->id, MCP_E_METHOD_NOT_FOUND, "method not found");
}

/*
 * The last line of defence: no tool returns a token (docs/MCP.md "The
 * promise"), so a token shape in a tools/call answer is a bug somewhere
 * below; the answer is replaced and the event logged, without the token.
 */
static int
mcp_guard(const struct mcp_msg *m, const char *tool, char **out, size_t *out_len)
{
	json_t *ans;
	char type;

	if (!mcp_rpc_has_token(*out, *out_len, &type))
		return 0;
	log_err("mcp: tools/call %s: the answer held a token shape (bos_%c_...) and was withheld",
	    tool != NULL ? tool : "(unknown tool)", type);
	mcp_rpc_line_free(*out, *out_len);
	*out = NULL;
	if ((ans = mcp_rpc_result(m->id, mcp_tool_error(MCP_WITHHELD_MSG))) == NULL)
		return -1;
	*out = mcp_rpc_line(ans, out_len);
	json_decref(ans);
	return *out != NULL ? 0 : -1;
}

int
mcp_server_handle(struct mcp_server *s, const char *line, size_t len, char **out,
    size_t *out_len)
{
	const char *tool = NULL;
	struct mcp_msg m;
	json_t *ans = NULL;
	int r = 0;

	*out = NULL;
	*out_len = 0;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	switch (mcp_rpc_parse(line, len, &m)) {
	case MCP_MSG_REQUEST:
		if ((ans = mcp_dispatch(s, &m, &tool)) == NULL)
			r = -1;
		break;
	case MCP_MSG_INVALID:
		log_info("mcp: refused a message: %s", m.error);
		if ((ans = mcp_rpc_error(m.id, m.code, m.error)) == NULL)
			r = -1;
		break;
	case MCP_MSG_NOTIFICATION:
	case MCP_MSG_RESPONSE:
		break;
	}
	if (ans != NULL && (*out = mcp_rpc_line(ans, out_len)) == NULL)
		r = -1;
	if (*out != NULL && m.method != NULL && strcmp(m.method, "tools/call") == 0)
		r = mcp_guard(&m, tool, out, out_len);
	json_decref(ans);
	mcp_msg_free(&m);
	return r;
}

/* The line reader: at most one line and its ending held, the rest on the fd. */
#define MCP_READ_CAP (MCP_LINE_MAX + 2)

enum mcp_read { MCP_READ_EOF, MCP_READ_LINE, MCP_READ_TOO_LONG, MCP_READ_ERROR };

struct mcp_reader {
	int fd;
	char *buf;       /* MCP_READ_CAP bytes; buf[start, len) is held */
	size_t start, len;
	size_t scan;     /* buf[start, scan) has no newline */
	int skipping;    /* inside a line too long to hold, dropping it */
};

/* The next line (without its "\n") at *line, n bytes, valid until the next call. */
static enum mcp_read
mcp_read_line(struct mcp_reader *r, const char **line, size_t *n)
{
	char *nl;
	ssize_t k;

	for (;;) {
		if ((nl = memchr(r->buf + r->scan, '\n', r->len - r->scan)) != NULL) {
			*line = r->buf + r->start;
			*n = (size_t)(nl - *line);
			r->start = r->scan = (size_t)(nl - r->buf) + 1;
			if (r->skipping) {
				r->skipping = 0;
				return MCP_READ_TOO_LONG;
			}
			return MCP_READ_LINE;
		}
		if (r->skipping)
			r->start = r->len;
		/* Make room: what is held moves to the front (once per read, not per line). */
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
		r->scan = r->len;
		if (r->len == MCP_READ_CAP) {
			r->skipping = 1;
			r->len = r->scan = 0;
		}
		k = read(r->fd, r->buf + r->len, MCP_READ_CAP - r->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return MCP_READ_ERROR;
		if (k == 0) {
			if (r->len > 0 || r->skipping)
				log_warn("mcp: input ended inside a line: that line is dropped");
			return MCP_READ_EOF;
		}
		r->len += (size_t)k;
	}
}

static int
mcp_write(int fd, const char *line, size_t len)
{
	if (io_write_full(fd, line, len) == 0)
		return 0;
	log_err("mcp: cannot write to standard output (%s): stopping", strerror(errno));
	return -1;
}

/* -32600 with id null: the line was too large to read, let alone its id. */
static int
mcp_answer_too_large(int fd)
{
	char msg[64];
	json_t *ans;
	char *out;
	size_t len;
	int r;

	log_warn("mcp: a message over %d bytes was dropped", MCP_LINE_MAX);
	snprintf(msg, sizeof(msg), "message too large (limit %d bytes)", MCP_LINE_MAX);
	if ((ans = mcp_rpc_error(NULL, MCP_E_INVALID_REQUEST, msg)) == NULL ||
	    (out = mcp_rpc_line(ans, &len)) == NULL) {
		json_decref(ans);
		return mcp_write(fd, mcp_oom_line, sizeof(mcp_oom_line) - 1);
	}
	r = mcp_write(fd, out, len);
	mcp_rpc_line_free(out, len);
	json_decref(ans);
	return r;
}

/* One line read: its answer, if any, written. 0, or -1 when stdout failed. */
static int
mcp_serve_line(struct mcp_server *s, int fd, const char *line, size_t n)
{
	char *out;
	size_t len;
	int r;

	if (n > MCP_LINE_MAX && !(n == MCP_LINE_MAX + 1 && line[n - 1] == '\r'))
		return mcp_answer_too_large(fd);
	if (mcp_server_handle(s, line, n, &out, &len) != 0) {
		mcp_rpc_line_free(out, len);
		return mcp_write(fd, mcp_oom_line, sizeof(mcp_oom_line) - 1);
	}
	if (out == NULL)
		return 0;
	r = mcp_write(fd, out, len);
	mcp_rpc_line_free(out, len);
	return r;
}

int
mcp_server_run(struct mcp_server *s, int in_fd, int out_fd)
{
	struct mcp_reader rd = { .fd = in_fd };
	const char *line;
	size_t n;
	int rc = -1;

	if ((rd.buf = malloc(MCP_READ_CAP)) == NULL) {
		log_err("mcp: out of memory");
		return 1;
	}
	while (rc < 0) {
		switch (mcp_read_line(&rd, &line, &n)) {
		case MCP_READ_LINE:
			if (mcp_serve_line(s, out_fd, line, n) != 0)
				rc = 1;
			break;
		case MCP_READ_TOO_LONG:
			if (mcp_answer_too_large(out_fd) != 0)
				rc = 1;
			break;
		case MCP_READ_EOF:
			rc = 0;
			break;
		case MCP_READ_ERROR:
			log_err("mcp: cannot read standard input (%s)", strerror(errno));
			rc = 1;
			break;
		}
	}
	/* The buffer held what the client sent: wiped with its size. */
	secmem_freezero(rd.buf, MCP_READ_CAP);
	return rc;
}
