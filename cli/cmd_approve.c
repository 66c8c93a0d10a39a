/*
 * bosctl approve ID [--reject] [--json]: decide an approval the vault holds
 * (docs/MCP.md "Vault: approvals"): a budget raised or dropped, a spending
 * pause resumed. The approval's summary is shown first; approving then asks
 * for a fresh TOTP code of the admin's authenticator, read from the
 * terminal (or the first line of standard input when it is not one), never
 * from the command line or the environment. --reject needs no code.
 *
 * bosctl_totp_read is shared with 'bosctl grant pickup' (cmd_pickup.c).
 */
#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bosctl.h"
#include "http_client.h"
#include "secmem.h"
#include "secret_input.h"

#define APPROVE_ID_PREFIX "ap_"
#define APPROVE_ID_CHARS 26
#define APPROVE_PATH_MAX 128

struct approve_opts {
	char *id;
	int reject, json;
};

static void
approve_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl approve ID [--reject] [--json]\n"
	    "\n"
	    "Approve (or reject) what waits for an admin's approval: a budget raised or\n"
	    "dropped, spending resumed past a budget ('bosctl approvals list' shows them).\n"
	    "The approval's summary is shown first; approving then asks for a fresh code of\n"
	    "your authenticator app (from the terminal, or the first line of standard input\n"
	    "when it is not a terminal; never as an argument). A code works once: one used\n"
	    "to sign in cannot approve, wait for the next one.\n"
	    "\n"
	    "  ID        the approval's id (ap_...)\n"
	    "  --reject  reject it instead (no code needed)\n"
	    "  --json    the vault's answer as JSON\n"
	    "  --help    this text\n");
}

/* 0 parsed, 1 --help, -1 usage error. */
static int
approve_parse(int argc, char **argv, struct approve_opts *o)
{
	static const struct option opts[] = {
		{ "reject", no_argument, NULL, 'r' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->reject = 1; break;
		case 'j': o->json = 1; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind < argc)
		o->id = argv[optind++];
	return optind == argc && o->id != NULL ? 0 : -1;
}

/* An approval id: "ap_" and 26 lowercase base32 characters, so nothing to escape. */
static int
approve_id_valid(const char *s)
{
	size_t i, p = sizeof(APPROVE_ID_PREFIX) - 1;

	if (strncmp(s, APPROVE_ID_PREFIX, p) != 0 || strlen(s) != p + APPROVE_ID_CHARS)
		return 0;
	for (i = p; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7')))
			return 0;
	return 1;
}

int
bosctl_totp_read(const char *why, char code[static BOSCTL_TOTP_SIZE], struct bos_err *err)
{
	uint8_t *in = NULL;
	size_t len = 0, i, n = 0;
	char prompt[96];
	int r = -1;

	(void)snprintf(prompt, sizeof(prompt), "TOTP code %s", why);
	if (secret_input_read(prompt, 0, &in, &len, err) != 0)
		return -1;
	/* The first line only; spaces (as apps show "123 456") are dropped. */
	for (i = 0; i < len && in[i] != '\n'; i++) {
		if (in[i] == ' ' || in[i] == '\t' || in[i] == '\r')
			continue;
		if (!isdigit(in[i]) || n == BOSCTL_TOTP_SIZE - 1) {
			n = 0;
			break;
		}
		code[n++] = (char)in[i];
	}
	if (n == BOSCTL_TOTP_SIZE - 1) {
		code[n] = '\0';
		r = 0;
	} else {
		secmem_wipe(code, BOSCTL_TOTP_SIZE);
		bos_err_set(err, BOS_E_INVALID, "a TOTP code is %d digits", BOSCTL_TOTP_SIZE - 1);
	}
	secmem_freezero(in, len);
	return r;
}

/* GET /approvals/ID; prints what it is to stderr. 0 pending, 1 not pending (said), -1. */
static int
approve_show(struct http_client *hc, const char *path, struct bos_err *err)
{
	struct http_resp resp;
	const json_t *a;
	const char *state;
	int r;

	if (http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	a = json_object_get(resp.json, "approval");
	state = bosctl_json_str(a, "state");
	fprintf(stderr, "approval %s (%s), asked for by %s, expires %s:\n    %s\n",
	    bosctl_json_str(a, "id"), bosctl_json_str(a, "kind"), bosctl_json_str(a, "created_by"),
	    bosctl_json_str(a, "expires_at"), bosctl_json_str(a, "summary"));
	r = strcmp(state, "pending") == 0 ? 0 : 1;
	if (r != 0)
		bos_err_set(err, BOS_E_EXISTS, "approval %s is %s: nothing to decide",
		    bosctl_json_str(a, "id"), state);
	http_resp_free(&resp);
	return r;
}

static int
approve_decide(struct http_client *hc, const struct approve_opts *o, const char *path,
    struct bos_err *err)
{
	char dpath[APPROVE_PATH_MAX + 16], code[BOSCTL_TOTP_SIZE];
	struct http_resp resp;
	json_t *body = NULL;
	int r;

	(void)snprintf(dpath, sizeof(dpath), "%s/%s", path, o->reject ? "reject" : "approve");
	if (!o->reject) {
		if (bosctl_totp_read("to approve", code, err) != 0)
			return -1;
		body = json_pack("{s:s}", "totp", code);
		secmem_wipe(code, sizeof(code));
		if (body == NULL)
			return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	}
	r = http_client_call_ok(hc, "POST", dpath, body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	if (o->json)
		bosctl_json_print(resp.json);
	else
		printf("%s %s\n", o->reject ? "rejected" : "approved and done:", o->reject ? o->id :
		    bosctl_json_str(json_object_get(resp.json, "approval"), "summary"));
	http_resp_free(&resp);
	return 0;
}

int
bosctl_cmd_approve(int argc, char **argv)
{
	char path[APPROVE_PATH_MAX];
	struct approve_opts o;
	struct http_client *hc;
	struct bos_err err;
	int r;

	if ((r = approve_parse(argc, argv, &o)) != 0) {
		approve_usage(r > 0 ? stdout : stderr);
		return r > 0 ? BOSCTL_EXIT_OK : BOSCTL_EXIT_USAGE;
	}
	if (strncmp(o.id, "bos_", 4) == 0) {
		/* A token pasted in the wrong place is not echoed, and is wiped from argv. */
		secmem_wipe(o.id, strlen(o.id));
		return bosctl_usage_fail("approve", "ID is an approval id (ap_...), not a token");
	}
	if (!approve_id_valid(o.id))
		return bosctl_usage_fail("approve", "'%s' is not an approval id (ap_ and 26 letters "
		    "and digits): see 'bosctl approvals list'", o.id);
	(void)snprintf(path, sizeof(path), "/approvals/%s", o.id);
	bos_err_clear(&err);
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	if ((r = approve_show(hc, path, &err)) == 0)
		r = approve_decide(hc, &o, path, &err);
	http_client_free(hc);
	return r == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}
