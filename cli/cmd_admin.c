/*
 * bosctl admin create | add | list | reset. create: the first admin, over the
 * vault's unix socket, which only the vault's own uid may use for this. add:
 * a signed-in admin adds another (the new admin's password and a fresh TOTP
 * code of the signed-in admin, both from a prompt or standard input, never
 * argv). Both show the new admin's TOTP enrolment (otpauth URI and a QR code)
 * and recovery codes once. list and reset: the admins, and clearing the lock
 * of one who locked or disabled their account.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bosctl.h"
#include "http_client.h"
#include "qr.h"
#include "secmem.h"
#include "secret_input.h"

#define ADMIN_DEFAULT_SOCKET "var/dev/vault.sock"
#define ADMIN_PASSWORD_MIN 12
#define ADMIN_NAME_MAX 64
#define ADMIN_CODE_MAX 16
#define ADMIN_PATH_MAX 256

struct admin_opts {
	const char *sub, *name, *socket;
	int json, qr;
};

static void
admin_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl admin create NAME [--socket PATH] [--json] [--qr]\n"
	    "       bosctl admin add NAME [--json] [--qr]\n"
	    "       bosctl admin list [--json]\n"
	    "       bosctl admin reset NAME [--json]\n"
	    "\n"
	    "create  the first admin NAME, over the vault's unix socket (run it as the vault's\n"
	    "        user on the vault's machine, before any admin exists).\n"
	    "add     another admin NAME, as the admin signed in with 'bosctl login'. Asks for\n"
	    "        the new admin's password, then for a fresh code of YOUR authenticator app\n"
	    "        (a code works once: after signing in, wait for the next one). Let the new\n"
	    "        admin type the password and take the enrolment printed at the end.\n"
	    "list    the admins: locked, disabled, failed sign-ins, recovery codes left.\n"
	    "reset   clear NAME's lock, disable and failure counts (after too many failed\n"
	    "        sign-ins) and end NAME's sessions; NAME can then sign in again.\n"
	    "\n"
	    "Passwords have at least %d characters and are asked twice, with no echo. When\n"
	    "standard input is not a terminal, create reads the password from it, and add\n"
	    "reads two lines: the new password, then your TOTP code. create and add print\n"
	    "the TOTP enrolment for the new admin's authenticator app (an otpauth:// URI, and\n"
	    "a QR code when standard output is a terminal) and 10 one-time recovery codes:\n"
	    "store them offline, they are not shown again.\n"
	    "\n"
	    "  --socket PATH  the vault's unix socket (create; default $BOS_SOCKET, else %s)\n"
	    "  --json         print the vault's answer as JSON (create, add: it holds the TOTP\n"
	    "                 secret and the recovery codes)\n"
	    "  --qr           print the QR code even when standard output is not a terminal\n"
	    "  --help         this text\n", ADMIN_PASSWORD_MIN, ADMIN_DEFAULT_SOCKET);
}

/* 0 parsed, 1 --help, -1 usage error. argv[0] is the subcommand. */
static int
admin_parse(int argc, char **argv, struct admin_opts *o)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "qr", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, named;

	memset(o, 0, sizeof(*o));
	o->sub = argv[0];
	o->socket = getenv("BOS_SOCKET");
	if (o->socket == NULL || *o->socket == '\0')
		o->socket = ADMIN_DEFAULT_SOCKET;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->socket = optarg; break;
		case 'j': o->json = 1; break;
		case 'q': o->qr = 1; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	named = strcmp(o->sub, "list") != 0;
	if (optind != argc - named)
		return -1;
	if (named) {
		o->name = argv[optind];
		if (o->name[0] == '\0' || strlen(o->name) > ADMIN_NAME_MAX)
			return -1;
	}
	return 0;
}

/* Characters, not bytes: a UTF-8 continuation byte does not start one. */
static size_t
admin_utf8_chars(const uint8_t *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			k++;
	return k;
}

/* A new password as a JSON string (wiped by jansson's allocator), after the local checks. */
static json_t *
admin_password_json(const uint8_t *pw, size_t len, struct bos_err *err)
{
	json_t *s = NULL;

	if (memchr(pw, '\n', len) != NULL || memchr(pw, '\r', len) != NULL)
		bos_err_set(err, BOS_E_INVALID, "the password must be one line");
	else if (admin_utf8_chars(pw, len) < ADMIN_PASSWORD_MIN)
		bos_err_set(err, BOS_E_INVALID, "the password is too short: use at least %d "
		    "characters", ADMIN_PASSWORD_MIN);
	else if ((s = json_stringn((const char *)pw, len)) == NULL)
		bos_err_set(err, BOS_E_INVALID, "the password is not UTF-8 text");
	return s;
}

static json_t *
admin_read_password(struct bos_err *err)
{
	uint8_t *pw = NULL;
	size_t len = 0;
	json_t *s;

	if (secret_input_read("Password", 1, &pw, &len, err) != 0)
		return NULL;
	s = admin_password_json(pw, len, err);
	secmem_freezero(pw, len);
	return s;
}

/* A TOTP code as typed ("123 456" too) as a JSON string, or NULL with err. */
static json_t *
admin_code_json(const uint8_t *p, size_t n, struct bos_err *err)
{
	char code[ADMIN_CODE_MAX + 1];
	size_t i, k = 0;
	json_t *s = NULL;

	for (i = 0; i < n && p[i] != '\n' && p[i] != '\r'; i++) {
		if (p[i] == ' ' || p[i] == '\t')
			continue;
		if (k == ADMIN_CODE_MAX)
			break;
		code[k++] = (char)p[i];
	}
	code[k] = '\0';
	if (k == 0 || k == ADMIN_CODE_MAX || i != n)
		bos_err_set(err, BOS_E_INVALID, "the TOTP code must be one line of at most %d "
		    "characters", ADMIN_CODE_MAX - 1);
	else if ((s = json_string(code)) == NULL)
		bos_err_set(err, BOS_E_INVALID, "the TOTP code is not text");
	secmem_wipe(code, sizeof(code));
	return s;
}

/*
 * add: the new admin's password and the signed-in admin's code, from two
 * prompts, or from the first two lines of standard input.
 */
static int
admin_read_add(json_t **pw, json_t **code, struct bos_err *err)
{
	uint8_t *a = NULL, *b = NULL, *nl;
	size_t alen = 0, blen = 0;
	int r = -1;

	*pw = *code = NULL;
	if (isatty(STDIN_FILENO)) {
		if (secret_input_read("Password of the new admin", 1, &a, &alen, err) != 0 ||
		    (*pw = admin_password_json(a, alen, err)) == NULL ||
		    secret_input_read("Your TOTP code", 0, &b, &blen, err) != 0 ||
		    (*code = admin_code_json(b, blen, err)) == NULL)
			goto out;
	} else {
		if (secret_input_read("password and code", 0, &a, &alen, err) != 0)
			goto out;
		if ((nl = memchr(a, '\n', alen)) == NULL) {
			bos_err_set(err, BOS_E_INVALID, "standard input must hold two lines: the new "
			    "admin's password, then your TOTP code");
			goto out;
		}
		if ((*pw = admin_password_json(a, (size_t)(nl - a), err)) == NULL ||
		    (*code = admin_code_json(nl + 1, alen - (size_t)(nl - a) - 1, err)) == NULL)
			goto out;
	}
	/* success */
	r = 0;
 out:
	if (r != 0) {
		json_decref(*pw);
		json_decref(*code);
		*pw = *code = NULL;
	}
	secmem_freezero(a, alen);
	secmem_freezero(b, blen);
	return r;
}

static void
admin_print_codes(const json_t *codes)
{
	const json_t *c;
	size_t i;

	printf("\nRecovery codes (each signs you in once, with 'bosctl login NAME "
	    "--recovery-code').\nStore them offline, for example printed and locked away; "
	    "they are not shown again:\n");
	json_array_foreach(codes, i, c)
		printf("  %s\n", json_string_value(c) ? json_string_value(c) : "?");
}

static int
admin_print(const struct admin_opts *o, const json_t *ans, struct bos_err *err)
{
	const char *uri = json_string_value(json_object_get(ans, "totp_uri"));
	const char *secret = json_string_value(json_object_get(ans, "totp_secret"));
	const char *id = json_string_value(json_object_get(ans, "id"));

	if (o->json) {
		json_dumpf(ans, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		return 0;
	}
	if (uri == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no totp_uri");
	printf("%s admin %s%s%s%s\n\nAdd this account to your authenticator app: scan the "
	    "QR code, or enter the URI or the secret.\n  %s\n",
	    strcmp(o->sub, "add") == 0 ? "added" : "created", o->name, id ? " (" : "",
	    id ? id : "", id ? ")" : "", uri);
	if (secret != NULL)
		printf("  secret: %s\n", secret);
	if (o->qr || isatty(STDOUT_FILENO)) {
		putchar('\n');
		if (qr_print(stdout, uri, err) != 0)
			return -1;
	}
	admin_print_codes(json_object_get(ans, "recovery_codes"));
	printf("\nThen sign in with: bosctl login %s\n", o->name);
	return 0;
}

static int
admin_create(const struct admin_opts *o, struct bos_err *err)
{
	char addr[4096];
	struct http_client *hc = NULL;
	struct http_resp resp = { 0 };
	json_t *body = NULL, *pw;
	int r = -1, k;

	k = snprintf(addr, sizeof(addr), "unix:%s", o->socket);
	if (k < 0 || (size_t)k >= sizeof(addr))
		return bos_err_set(err, BOS_E_INVALID, "the socket path is too long");
	if (http_client_new(addr, NULL, &hc, err) != 0 || (pw = admin_read_password(err)) == NULL)
		goto out;
	if ((body = json_pack("{s:s, s:o}", "name", o->name, "password", pw)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	if (http_client_call(hc, "POST", "/admins", body, &resp, err) != 0 ||
	    http_resp_check(&resp, err) != 0 || admin_print(o, resp.json, err) != 0)
		goto out;
	/* success */
	r = 0;
out:
	json_decref(body);
	http_resp_free(&resp);
	http_client_free(hc);
	return r;
}

/* The path /admins/NAME[suffix], NAME percent-encoded. */
static int
admin_path(const char *name, const char *suffix, char out[ADMIN_PATH_MAX], struct bos_err *err)
{
	char *e = http_client_escape(name);
	int k;

	if (e == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	k = snprintf(out, ADMIN_PATH_MAX, "/admins/%s%s", e, suffix);
	http_client_free_str(e);
	if (k < 0 || k >= ADMIN_PATH_MAX)
		return bos_err_set(err, BOS_E_INVALID, "the admin name is too long");
	return 0;
}

/* A refused add: a wrong code is the acting admin's mistake, not an expired session. */
static int
admin_add_refused(const struct http_resp *resp, struct bos_err *err)
{
	const char *code = json_string_value(json_object_get(json_object_get(resp->json,
	    "error"), "code"));

	if (resp->status == 401 && code != NULL && strcmp(code, "invalid_credentials") == 0)
		return http_resp_error(resp, err);
	return http_resp_check(resp, err);
}

static int
admin_add(struct http_client *hc, const struct admin_opts *o, struct bos_err *err)
{
	char path[ADMIN_PATH_MAX];
	struct http_resp resp = { 0 };
	json_t *body = NULL, *pw = NULL, *code = NULL;
	int r = -1;

	if (admin_path(o->name, "", path, err) != 0 || admin_read_add(&pw, &code, err) != 0)
		return -1;
	if ((body = json_pack("{s:o, s:o}", "password", pw, "totp", code)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	if (http_client_call(hc, "POST", path, body, &resp, err) != 0)
		goto out;
	if (resp.status != 201) {
		admin_add_refused(&resp, err);
		goto out;
	}
	if (admin_print(o, resp.json, err) != 0)
		goto out;
	/* success */
	r = 0;
 out:
	json_decref(body);
	http_resp_free(&resp);
	return r;
}

static int
admin_list(struct http_client *hc, const struct admin_opts *o, struct bos_err *err)
{
	struct http_resp resp;
	json_t *list, *a;
	size_t i;

	if (http_client_call_ok(hc, "GET", "/admins", NULL, &resp, err) != 0)
		return -1;
	list = json_object_get(resp.json, "admins");
	if (!json_is_array(list)) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no \"admins\" array");
	}
	json_array_foreach(list, i, a) {
		if (o->json) {
			bosctl_json_print(a);
			continue;
		}
		printf("%-29s %-16s %-8s failures in a row %lld, recovery codes left %lld\n",
		    bosctl_json_str(a, "id"), bosctl_json_str(a, "name"),
		    json_is_true(json_object_get(a, "disabled")) ? "disabled" :
		    json_is_true(json_object_get(a, "locked")) ? "locked" : "active",
		    (long long)json_integer_value(json_object_get(a, "consecutive_failures")),
		    (long long)json_integer_value(json_object_get(a, "recovery_codes_left")));
	}
	http_resp_free(&resp);
	return 0;
}

static int
admin_reset(struct http_client *hc, const struct admin_opts *o, struct bos_err *err)
{
	char path[ADMIN_PATH_MAX];
	struct http_resp resp;

	if (admin_path(o->name, "/reset", path, err) != 0 ||
	    http_client_call_ok(hc, "POST", path, NULL, &resp, err) != 0)
		return -1;
	if (o->json)
		bosctl_json_print(resp.json);
	else
		printf("reset admin %s: lock and failure counts cleared, %lld session(s) ended; "
		    "%s can sign in again\n", o->name, (long long)json_integer_value(
		    json_object_get(resp.json, "sessions_ended")), o->name);
	http_resp_free(&resp);
	return 0;
}

/* add, list, reset: as the admin signed in with 'bosctl login'. */
/* What each subcommand runs: create on the unix socket, the others as the signed-in admin. */
struct admin_sub {
	const char *name;
	int (*run)(struct http_client *hc, const struct admin_opts *o, struct bos_err *err);
};

static const struct admin_sub admin_subs[] = {
	{ "create", NULL }, { "add", admin_add }, { "list", admin_list }, { "reset", admin_reset },
};

static const struct bosctl_subcmds admin_cmd =
	BOSCTL_SUBCMDS("admin", admin_usage, admin_subs, NULL, 0);

static int
admin_run_signed_in(const struct admin_sub *sub, const struct admin_opts *o, struct bos_err *err)
{
	struct http_client *hc;
	int r;

	if (bosctl_api_open(&hc, err) != 0)
		return -1;
	r = sub->run(hc, o, err);
	http_client_free(hc);
	return r;
}

int
bosctl_cmd_admin(int argc, char **argv)
{
	const struct admin_sub *sub;
	struct admin_opts o;
	struct bos_err err;
	int r;

	if ((sub = bosctl_subcmd_find(&admin_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = admin_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&admin_cmd, r);
	bos_err_clear(&err);
	if ((sub->run == NULL ? admin_create(&o, &err) : admin_run_signed_in(sub, &o, &err)) != 0)
		return bosctl_fail("%s", err.msg);
	return BOSCTL_EXIT_OK;
}
