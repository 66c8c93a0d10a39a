/*
 * bosctl cred over the vault's API, as the admin signed in with 'bosctl
 * login' (cmd_cred.c parses the options; bosctl has no local mode, issue #13).
 * With a helper token (bosctl --token-file FILE cred ...) only 'show
 * --reveal' and 'update' are offered, and an ID or NAME is sent as is: the
 * vault resolves it within the helper's grant, and a helper cannot list.
 *
 * Metadata is looked up in the credential list (GET /credentials), so that
 * 'show' without --reveal, and the lookup of a NAME, never make the vault
 * send a secret; only 'show --reveal' reads GET /credentials/{id}, whose
 * answer carries the secret and is wiped once printed.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bosctl.h"
#include "cred_name.h"
#include "http_client.h"
#include "io.h"
#include "json_alloc.h"
#include "secmem.h"
#include "secret_input.h"
#include "tool_cli.h"
#include "tool_impl.h"

#define CRED_API_PATH_MAX 1024

/* "/credentials/ID" + suffix, with ID percent-encoded. */
static int
credapi_path(char *out, size_t n, const char *id, const char *suffix, struct bos_err *err)
{
	char *e = http_client_escape(id);
	int k;

	if (e == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	k = snprintf(out, n, "/credentials/%s%s", e, suffix);
	http_client_free_str(e);
	return k < 0 || (size_t)k >= n ? bos_err_set(err, BOS_E_INVALID, "the credential id is "
	    "too long") : 0;
}

static void
credapi_print_json(const json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
}

static const char *
credapi_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

static long long
credapi_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* GET /credentials (filtered); *list borrows from *resp. */
static int
credapi_get_list(struct http_client *hc, const char *service, const char *type,
    struct http_resp *resp, json_t **list, struct bos_err *err)
{
	char path[CRED_API_PATH_MAX];

	if (tool_cred_list_path(path, sizeof(path), service, type, err) != 0 ||
	    http_client_call_ok(hc, "GET", path, NULL, resp, err) != 0)
		return -1;
	*list = json_object_get(resp->json, "credentials");
	if (json_is_array(*list))
		return 0;
	http_resp_free(resp);
	return bos_err_set(err, BOS_E_INVALID, "the vault's list has no \"credentials\" array");
}

/* The list entry whose id, or else whose name, is target; NULL when none. */
static json_t *
credapi_match(json_t *list, const char *target)
{
	json_t *m, *by_name = NULL;
	size_t i;

	json_array_foreach(list, i, m) {
		if (strcmp(credapi_str(m, "id"), target) == 0)
			return m;
		if (by_name == NULL && strcmp(credapi_str(m, "name"), target) == 0)
			by_name = m;
	}
	return by_name;
}

/* The metadata of target (ID or NAME), a new reference. */
static int
credapi_find(struct http_client *hc, const char *target, json_t **meta, struct bos_err *err)
{
	struct http_resp resp;
	json_t *list, *m;

	*meta = NULL;
	if (credapi_get_list(hc, NULL, NULL, &resp, &list, err) != 0)
		return -1;
	if ((m = credapi_match(list, target)) != NULL)
		*meta = json_incref(m);
	http_resp_free(&resp);
	if (*meta == NULL)
		return bos_err_set(err, BOS_E_NOTFOUND, "no credential with id or name '%s' "
		    "(see 'bosctl cred list')", target);
	return 0;
}

/* The id of target: itself when it has the form of an id, else looked up by name. */
static int
credapi_resolve(struct http_client *hc, const char *target, char *id, size_t n,
    struct bos_err *err)
{
	json_t *m;
	int k;

	if (credname_id_valid(target) || bosctl_helper_token() != NULL)
		k = snprintf(id, n, "%s", target);
	else if (credapi_find(hc, target, &m, err) != 0)
		return -1;
	else {
		k = snprintf(id, n, "%s", credapi_str(m, "id"));
		json_decref(m);
	}
	return k < 0 || (size_t)k >= n ? bos_err_set(err, BOS_E_INVALID, "the credential id "
	    "is too long") : 0;
}

/* The secret as a JSON string: the API carries text, so it must be UTF-8. */
static json_t *
credapi_read_secret(const char *what, struct bos_err *err)
{
	uint8_t *secret = NULL;
	size_t len = 0;
	json_t *s;

	if (secret_input_read(what, 1, &secret, &len, err) != 0)
		return NULL;
	s = json_stringn((const char *)secret, len);
	secmem_freezero(secret, len);
	if (s == NULL)
		bos_err_set(err, BOS_E_INVALID, "the %s is not UTF-8 text; the API carries text "
		    "secrets only (use --state-dir for binary ones)", what);
	return s;
}

/* Check the options of add; *md is the parsed --metadata (NULL when not given). */
static int
credapi_add_opts(const struct cred_opts *o, json_t **md, struct bos_err *err)
{
	enum cred_type t;

	*md = NULL;
	if (o->name == NULL || o->type == NULL || o->service == NULL || o->target != NULL)
		return bos_err_set(err, BOS_E_INVALID, "add needs --name, --type and --service "
		    "(see --help)");
	if (credname_type_parse(o->type, &t) != 0)
		return bos_err_set(err, BOS_E_INVALID, "unknown type '%s': use api_key, password, "
		    "card, bank_account or secret", o->type);
	if (o->metadata == NULL)
		return 0;
	*md = json_loads(o->metadata, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(*md))
		return 0;
	json_decref(*md);
	*md = NULL;
	return bos_err_set(err, BOS_E_INVALID, "--metadata must be a JSON object, for example "
	    "'{\"env\":\"prod\"}'");
}

static json_t *
credapi_add_body(const struct cred_opts *o, struct bos_err *err)
{
	json_t *body, *md, *secret;

	if (credapi_add_opts(o, &md, err) != 0)
		return NULL;
	body = json_pack("{s:s, s:s, s:s}", "name", o->name, "type", o->type, "service", o->service);
	if (body != NULL && md != NULL && json_object_set(body, "metadata", md) != 0) {
		json_decref(body);
		body = NULL;
	}
	json_decref(md);
	if (body == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		return NULL;
	}
	if ((secret = credapi_read_secret("secret", err)) == NULL) {
		json_decref(body);
		return NULL;
	}
	if (json_object_set_new(body, "secret", secret) != 0) {
		json_decref(body);
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		return NULL;
	}
	return body;
}

static int
credapi_add(struct http_client *hc, const struct cred_opts *o, struct bos_err *err)
{
	struct http_resp resp;
	json_t *body = credapi_add_body(o, err);
	int r;

	if (body == NULL)
		return -1;
	r = http_client_call_ok(hc, "POST", "/credentials", body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	if (o->json)
		credapi_print_json(resp.json);
	else
		printf("%s\n", credapi_str(resp.json, "id"));
	http_resp_free(&resp);
	return 0;
}

/* The arguments of a tool: key: value for each pair whose value is not NULL. */
static json_t *
credapi_args(const char *k1, const char *v1, const char *k2, const char *v2,
    struct bos_err *err)
{
	json_t *a = json_object();
	int bad = a == NULL;

	if (!bad && v1 != NULL)
		bad |= json_object_set_new(a, k1, json_string(v1));
	if (!bad && v2 != NULL)
		bad |= json_object_set_new(a, k2, json_string(v2));
	if (!bad)
		return a;
	json_decref(a);
	bos_err_set(err, BOS_E_INVALID, "the arguments must be UTF-8 text");
	return NULL;
}

/* Run the named tool over hc and print its output (--json: out[key]). */
static int
credapi_tool(struct http_client *hc, const char *name, json_t *args, const char *key,
    int json, struct bos_err *err)
{
	json_t *out = NULL;
	int r;

	if (args == NULL)
		return -1;
	r = tool_find(name)->run(hc, args, &out, err);
	json_decref(args);
	if (r == 0 && tool_cli_print_key(name, out, json, key) != BOSCTL_EXIT_OK)
		r = bos_err_set(err, BOS_E_IO, "cannot write to standard output");
	json_decref(out);
	return r;
}

static int
credapi_list(struct http_client *hc, const struct cred_opts *o, struct bos_err *err)
{
	if (o->target != NULL)
		return bos_err_set(err, BOS_E_INVALID, "list takes no ID or NAME (filter with "
		    "--service and --type)");
	return credapi_tool(hc, "credentials_list", credapi_args("service", o->service, "type",
	    o->type, err), "credentials", o->json, err);
}

/* base64 of a secret that is not UTF-8 ("secret_base64"), decoded into *out. */
static int
credapi_unbase64(const char *b64, uint8_t **out, size_t *len, struct bos_err *err)
{
	size_t n = strlen(b64), pad = 0;
	int k;

	if (n == 0 || n % 4 != 0 || n > INT32_MAX || (*out = malloc(n / 4 * 3)) == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the vault sent a malformed secret_base64");
	while (pad < 2 && pad < n && b64[n - 1 - pad] == '=')
		pad++;
	k = EVP_DecodeBlock(*out, (const unsigned char *)b64, (int)n);
	if (k < 0 || (size_t)k < pad) {
		secmem_freezero(*out, n / 4 * 3);
		*out = NULL;
		return bos_err_set(err, BOS_E_INVALID, "the vault sent a malformed secret_base64");
	}
	*len = (size_t)k - pad;
	return 0;
}

/* Print the secret of a GET /credentials/{id} answer alone on standard output. */
static int
credapi_write_secret(const json_t *o, struct bos_err *err)
{
	const json_t *s = json_object_get(o, "secret");
	const char *b64 = json_string_value(json_object_get(o, "secret_base64"));
	uint8_t *raw = NULL;
	size_t len = 0;
	int r;

	if (json_is_string(s))
		r = io_write_full(STDOUT_FILENO, json_string_value(s), json_string_length(s));
	else if (b64 == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer carries no secret");
	else if (credapi_unbase64(b64, &raw, &len, err) != 0)
		return -1;
	else {
		r = io_write_full(STDOUT_FILENO, raw, len);
		secmem_freezero(raw, strlen(b64) / 4 * 3);
	}
	if (r != 0 || io_write_full(STDOUT_FILENO, "\n", 1) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot write the secret to standard output");
	return 0;
}

static int
credapi_reveal(struct http_client *hc, const struct cred_opts *o, struct bos_err *err)
{
	char id[CRED_API_PATH_MAX], path[CRED_API_PATH_MAX], query[32] = "";
	struct http_resp resp;
	int r;

	if (o->version != 0)
		(void)snprintf(query, sizeof(query), "?version=%lu", o->version);
	if (credapi_resolve(hc, o->target, id, sizeof(id), err) != 0 ||
	    credapi_path(path, sizeof(path), id, query, err) != 0 ||
	    http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	r = credapi_write_secret(resp.json, err);
	http_resp_free(&resp);
	return r;
}

static int
credapi_show(struct http_client *hc, const struct cred_opts *o, struct bos_err *err)
{
	if (o->reveal)
		return credapi_reveal(hc, o, err);
	/* Metadata from the list: the credential_show tool never reads the secret. */
	return credapi_tool(hc, "credential_show", credapi_args("id", o->target, NULL, NULL, err),
	    "credential", o->json, err);
}

static int
credapi_update(struct http_client *hc, const struct cred_opts *o, struct bos_err *err)
{
	char id[CRED_API_PATH_MAX], path[CRED_API_PATH_MAX];
	struct http_resp resp;
	json_t *body, *secret;
	int r;

	if (credapi_resolve(hc, o->target, id, sizeof(id), err) != 0 ||
	    credapi_path(path, sizeof(path), id, "", err) != 0 ||
	    (secret = credapi_read_secret("new secret", err)) == NULL)
		return -1;
	if ((body = json_object()) == NULL || json_object_set_new(body, "secret", secret) != 0) {
		json_decref(body);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	}
	r = http_client_call_ok(hc, "PUT", path, body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	if (o->json)
		credapi_print_json(resp.json);
	else
		printf("%s is now at version %lld\n", json_is_string(json_object_get(resp.json, "id")) ?
		    credapi_str(resp.json, "id") : id, credapi_int(resp.json, "version"));
	http_resp_free(&resp);
	return 0;
}

static int
credapi_revoke(struct http_client *hc, const struct cred_opts *o, struct bos_err *err)
{
	char id[CRED_API_PATH_MAX], path[CRED_API_PATH_MAX];
	struct http_resp resp;

	if (credapi_resolve(hc, o->target, id, sizeof(id), err) != 0 ||
	    credapi_path(path, sizeof(path), id, "", err) != 0 ||
	    http_client_call_ok(hc, "DELETE", path, NULL, &resp, err) != 0)
		return -1;
	if (o->json)
		credapi_print_json(resp.json);
	else
		printf("revoked %s\n", id);
	http_resp_free(&resp);
	return 0;
}

static int
credapi_versions(struct http_client *hc, const struct cred_opts *o, struct bos_err *err)
{
	char id[CRED_API_PATH_MAX], path[CRED_API_PATH_MAX];
	struct http_resp resp;
	json_t *list, *v;
	size_t i;

	if (credapi_resolve(hc, o->target, id, sizeof(id), err) != 0 ||
	    credapi_path(path, sizeof(path), id, "/versions", err) != 0 ||
	    http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	list = json_object_get(resp.json, "versions");
	json_array_foreach(list, i, v) {
		if (o->json)
			credapi_print_json(v);
		else
			printf("v%lld\tcreated %s\n", credapi_int(v, "version"),
			    credapi_str(v, "created_at"));
	}
	http_resp_free(&resp);
	return 0;
}

/* ---- verify (docs/BROKERS.md "bos-broker"): the credential_verify tool ---- */

#define CREDAPI_VERIFY_WAIT_DEFAULT 60

/* 0 ok, 1 failed (printed: the job with --json, else the outcome), -1 error. */
static int
credapi_verify(struct http_client *hc, const struct cred_opts *o, struct bos_err *err)
{
	json_t *args = json_pack("{s:s, s:I}", "id", o->target, "wait_seconds",
	    (json_int_t)(o->wait > 0 ? o->wait : CREDAPI_VERIFY_WAIT_DEFAULT));
	json_t *out = NULL;
	int r;

	if (args == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the credential's name must be UTF-8 text");
	r = tool_find("credential_verify")->run(hc, args, &out, err);
	json_decref(args);
	if (r == 0 && tool_cli_print_key("credential_verify", out, o->json, "job") !=
	    BOSCTL_EXIT_OK)
		r = bos_err_set(err, BOS_E_IO, "cannot write to standard output");
	if (r == 0 && strcmp(bosctl_json_str(out, "outcome"), "ok") != 0)
		r = 1;
	json_decref(out);
	return r;
}

/*
 * What each operation runs, whether it needs an ID or NAME, and what a
 * helper token may do: read a secret (show --reveal), write a new version.
 */
enum credapi_helper { CREDAPI_ADMIN_ONLY, CREDAPI_HELPER, CREDAPI_HELPER_REVEAL };
struct credapi_op {
	int (*run)(struct http_client *hc, const struct cred_opts *o, struct bos_err *err);
	int needs_target;
	enum credapi_helper helper;
};

static const struct credapi_op credapi_ops[] = {
	[BOSCTL_CRED_ADD] = { credapi_add, 0, CREDAPI_ADMIN_ONLY },
	[BOSCTL_CRED_LIST] = { credapi_list, 0, CREDAPI_ADMIN_ONLY },
	[BOSCTL_CRED_SHOW] = { credapi_show, 1, CREDAPI_HELPER_REVEAL },
	[BOSCTL_CRED_UPDATE] = { credapi_update, 1, CREDAPI_HELPER },
	[BOSCTL_CRED_REVOKE] = { credapi_revoke, 1, CREDAPI_ADMIN_ONLY },
	[BOSCTL_CRED_VERSIONS] = { credapi_versions, 1, CREDAPI_ADMIN_ONLY },
	[BOSCTL_CRED_VERIFY] = { credapi_verify, 1, CREDAPI_ADMIN_ONLY },
};

static int
credapi_helper_ok(const struct credapi_op *op, const struct cred_opts *o)
{
	return op->helper == CREDAPI_HELPER || (op->helper == CREDAPI_HELPER_REVEAL && o->reveal);
}

int
bosctl_cred_api(enum bosctl_cred_op which, const char *sub, const struct cred_opts *o)
{
	const struct credapi_op *op;
	struct http_client *hc;
	struct bos_err err;
	int r;

	if ((unsigned)which >= BOS_ARRAY_LEN(credapi_ops))
		return bosctl_usage_fail("cred", "unknown subcommand '%s'", sub);
	op = &credapi_ops[which];
	if (bosctl_helper_token() != NULL && !credapi_helper_ok(op, o))
		return bosctl_usage_fail("cred", "with a helper token only 'cred show ID --reveal' "
		    "and 'cred update ID' are available");
	bos_err_clear(&err);
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	if (op->needs_target && o->target == NULL)
		r = bos_err_set(&err, BOS_E_INVALID, "%s needs a credential ID or NAME", sub);
	else
		r = op->run(hc, o, &err);
	http_client_free(hc);
	if (r > 0)
		return BOSCTL_EXIT_FAIL;     /* verify: "failed" was printed */
	if (r != 0)
		return bosctl_fail("%s", err.msg);
	return BOSCTL_EXIT_OK;
}
