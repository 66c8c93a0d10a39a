/*
 * bosctl login / logout: an admin session (password + TOTP, or a recovery
 * code) whose token is kept in the session file (session_file.h) for the
 * commands that follow. The password and the code come from the terminal
 * (no echo) or from standard input, never from argv or the environment.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bosctl.h"
#include "http_client.h"
#include "secmem.h"
#include "secret_input.h"
#include "session_file.h"

#define LOGIN_CODE_MAX 128
#define LOGIN_IDLE_DEFAULT 900
#define LOGIN_ABSOLUTE_DEFAULT 43200

struct login_secrets {
	json_t *password;  /* JSON strings: wiped by jansson's allocator */
	json_t *code;
};

static void
login_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl login NAME [--recovery-code]\n"
	    "\n"
	    "Sign in to the vault as the admin NAME. Asks for the password (no echo), then for\n"
	    "the current code of your authenticator app ('TOTP code:'); with --recovery-code,\n"
	    "for one of your recovery codes instead (each works once). When standard input is\n"
	    "not a terminal, its first line is the password and its second line the code.\n"
	    "\n"
	    "The session is saved in $XDG_RUNTIME_DIR/bos/session (else ~/.config/bos/session,\n"
	    "mode 0600) for the commands that follow. It ends after 15 minutes idle, after 12\n"
	    "hours at most, or with 'bosctl logout'.\n"
	    "\n"
	    "  --recovery-code  sign in with a recovery code instead of a TOTP code\n"
	    "  --help           this text\n"
	    "\n"
	    "Environment: BOS_ADDR (default https://127.0.0.1:8025, or unix:/PATH/vault.sock),\n"
	    "BOS_CACERT (the vault's certificate; default var/dev/tls/cert.pem when present).\n");
}

static void
logout_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl logout\n"
	    "\n"
	    "End the session of 'bosctl login' on the vault and delete the session file.\n"
	    "\n"
	    "  --help  this text\n");
}

static void
login_secrets_clear(struct login_secrets *s)
{
	json_decref(s->password);
	json_decref(s->code);
	memset(s, 0, sizeof(*s));
}

/* Drop spaces and tabs: authenticator apps show "123 456". */
static size_t
login_squeeze(uint8_t *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			p[k++] = p[i];
	secmem_wipe(p + k, n - k);
	return k;
}

/* JSON strings of the password and the code (UTF-8, one line each). */
static int
login_make_secrets(const uint8_t *pw, size_t pwlen, uint8_t *code, size_t codelen,
    struct login_secrets *s, struct bos_err *err)
{
	if (pwlen > 0 && pw[pwlen - 1] == '\r')
		pwlen--;
	if (pwlen == 0 || memchr(pw, '\n', pwlen) != NULL)
		return bos_err_set(err, BOS_E_INVALID, "the password is empty");
	codelen = login_squeeze(code, codelen);
	if (codelen == 0 || codelen > LOGIN_CODE_MAX || memchr(code, '\n', codelen) != NULL)
		return bos_err_set(err, BOS_E_INVALID, "the code must be one line of at most %d "
		    "characters", LOGIN_CODE_MAX);
	s->password = json_stringn((const char *)pw, pwlen);
	s->code = json_stringn((const char *)code, codelen);
	if (s->password == NULL || s->code == NULL) {
		login_secrets_clear(s);
		return bos_err_set(err, BOS_E_INVALID, "the password and the code must be UTF-8 text");
	}
	return 0;
}

/* Standard input that is not a terminal: line 1 the password, line 2 the code. */
static int
login_read_stdin(struct login_secrets *s, struct bos_err *err)
{
	uint8_t *all = NULL, *nl;
	size_t len = 0;
	int r;

	if (secret_input_read("password and code", 0, &all, &len, err) != 0)
		return -1;
	if ((nl = memchr(all, '\n', len)) == NULL)
		r = bos_err_set(err, BOS_E_INVALID, "standard input must hold two lines: the "
		    "password, then the code");
	else
		r = login_make_secrets(all, (size_t)(nl - all), nl + 1, len - (size_t)(nl - all) - 1,
		    s, err);
	secmem_freezero(all, len);
	return r;
}

static int
login_read_tty(const char *what, struct login_secrets *s, struct bos_err *err)
{
	uint8_t *pw = NULL, *code = NULL;
	size_t pwlen = 0, codelen = 0;
	int r = -1;

	if (secret_input_read("Password", 0, &pw, &pwlen, err) == 0 &&
	    secret_input_read(what, 0, &code, &codelen, err) == 0)
		r = login_make_secrets(pw, pwlen, code, codelen, s, err);
	secmem_freezero(pw, pwlen);
	secmem_freezero(code, codelen);
	return r;
}

static json_t *
login_body(const char *name, const struct login_secrets *s, int recovery)
{
	json_t *b = json_pack("{s:s, s:O, s:O}", "name", name, "password", s->password,
	    recovery ? "recovery_code" : "totp", s->code);

	return b;
}

/* A sign-in failure, with what to do about it. */
static int
login_refused(const struct http_resp *r, struct bos_err *err)
{
	if (r->status == 429)
		return http_resp_check(r, err);
	http_resp_error(r, err);
	if (r->status == 401)
		return bos_err_wrap(err, "sign-in refused (check the name, the password and the "
		    "code; a TOTP code works once and changes every 30 s)");
	if (r->status == 403)
		return bos_err_wrap(err, "sign-in refused (another admin can reset the account)");
	return -1;
}

/* Finish a password-only session with the code (POST /auth/totp). */
static int
login_finish_totp(struct http_client *hc, const struct login_secrets *s, struct http_resp *resp,
    struct bos_err *err)
{
	const char *token = json_string_value(json_object_get(resp->json, "session"));
	json_t *body;
	struct http_resp r2;
	int r;

	if (token == NULL || http_client_set_token(hc, token, err) != 0)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no usable session");
	if ((body = json_pack("{s:O}", "totp", s->code)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	r = http_client_call(hc, "POST", "/auth/totp", body, &r2, err);
	json_decref(body);
	if (r != 0)
		return -1;
	if (r2.status < 200 || r2.status >= 300) {
		login_refused(&r2, err);
		http_resp_free(&r2);
		return -1;
	}
	/* Keep the first answer (it carries the token); a 2xx here makes the session full. */
	if (json_is_object(r2.json))
		(void)json_object_update_existing(resp->json, r2.json);
	if (json_object_get(r2.json, "state") == NULL)
		(void)json_object_set_new(resp->json, "state", json_string("full"));
	http_resp_free(&r2);
	return 0;
}

/* "15 min", "12 h", "90 s". */
static void
login_duration(char *out, size_t n, long long s)
{
	if (s > 0 && s % 3600 == 0)
		(void)snprintf(out, n, "%lld h", s / 3600);
	else if (s > 0 && s % 60 == 0)
		(void)snprintf(out, n, "%lld min", s / 60);
	else
		(void)snprintf(out, n, "%lld s", s);
}

static int
login_save(const char *name, const json_t *ans, struct bos_err *err)
{
	const char *token = json_string_value(json_object_get(ans, "session"));
	const char *state = json_string_value(json_object_get(ans, "state"));
	json_t *idle = json_object_get(ans, "idle_timeout");
	json_t *abs = json_object_get(ans, "absolute_timeout");
	char a[32], b[32];

	if (token == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer carries no session");
	if (state != NULL && strcmp(state, "full") != 0)
		return bos_err_set(err, BOS_E_AUTH, "the vault left the session in state '%s'; "
		    "sign in again", state);
	if (session_file_save(name, token, err) != 0)
		return -1;
	login_duration(a, sizeof(a), json_is_integer(idle) ? json_integer_value(idle) :
	    LOGIN_IDLE_DEFAULT);
	login_duration(b, sizeof(b), json_is_integer(abs) ? json_integer_value(abs) :
	    LOGIN_ABSOLUTE_DEFAULT);
	printf("signed in as %s (session expires after %s idle, %s at most)\n", name, a, b);
	return 0;
}

static int
login_run(const char *name, int recovery, struct bos_err *err)
{
	struct login_secrets s = { 0 };
	struct http_client *hc = NULL;
	struct http_resp resp = { 0 };
	json_t *body = NULL;
	const char *state;
	int r = -1;

	if (http_client_from_env(&hc, err) != 0)
		return -1;
	if ((isatty(STDIN_FILENO) ? login_read_tty(recovery ? "Recovery code" : "TOTP code", &s,
	    err) : login_read_stdin(&s, err)) != 0)
		goto out;
	if ((body = login_body(name, &s, recovery)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	if (http_client_call(hc, "POST", "/auth/login", body, &resp, err) != 0)
		goto out;
	if (resp.status < 200 || resp.status >= 300) {
		login_refused(&resp, err);
		goto out;
	}
	state = json_string_value(json_object_get(resp.json, "state"));
	if (!recovery && state != NULL && strcmp(state, "totp_pending") == 0 &&
	    login_finish_totp(hc, &s, &resp, err) != 0)
		goto out;
	if (login_save(name, resp.json, err) != 0)
		goto out;
	/* success */
	r = 0;
out:
	json_decref(body);
	login_secrets_clear(&s);
	http_resp_free(&resp);
	http_client_free(hc);
	return r;
}

int
bosctl_cmd_login(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "recovery-code", no_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bos_err err;
	int c, recovery = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': recovery = 1; break;
		case 'h': login_usage(stdout); return BOSCTL_EXIT_OK;
		default: login_usage(stderr); return BOSCTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || argv[optind][0] == '\0' ||
	    strlen(argv[optind]) > SESSION_NAME_MAX) {
		login_usage(stderr);
		return BOSCTL_EXIT_USAGE;
	}
	bos_err_clear(&err);
	if (login_run(argv[optind], recovery, &err) != 0)
		return bosctl_fail("%s", err.msg);
	return BOSCTL_EXIT_OK;
}

/* POST /auth/logout with the saved token. 0: ended (or already over); -1: unknown. */
static int
logout_server(const struct session_file *s, struct bos_err *err)
{
	struct http_client *hc = NULL;
	struct http_resp resp = { 0 };
	json_t *body = json_object();
	int r = -1;

	if (body == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (http_client_from_env(&hc, err) != 0 || http_client_set_token(hc, s->token, err) != 0 ||
	    http_client_call(hc, "POST", "/auth/logout", body, &resp, err) != 0)
		goto out;
	/* 401: the vault no longer knows the session (expired, or the vault restarted). */
	if (resp.status != 401 && http_resp_check(&resp, err) != 0)
		goto out;
	/* success */
	r = 0;
out:
	json_decref(body);
	http_resp_free(&resp);
	http_client_free(hc);
	return r;
}

static int
logout_run(struct bos_err *err)
{
	struct session_file s;
	char path[4096];
	int r;

	if ((r = session_file_load(&s, err)) < 0)
		return -1;
	if (r == 1) {
		printf("not signed in\n");
		return 0;
	}
	if (logout_server(&s, err) != 0) {
		session_file_clear(&s);
		if (session_file_path(path, sizeof(path), NULL) != 0)
			path[0] = '\0';
		return bos_err_wrap(err, "the session was not ended; %s was kept: run 'bosctl "
		    "logout' again when the vault answers, or remove it (the session then ends "
		    "after 15 min idle)", path);
	}
	r = session_file_remove(err) < 0 ? -1 : 0;
	if (r == 0)
		printf("signed out %s\n", s.name);
	session_file_clear(&s);
	return r;
}

int
bosctl_cmd_logout(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct bos_err err;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h') {
			logout_usage(stdout);
			return BOSCTL_EXIT_OK;
		}
		logout_usage(stderr);
		return BOSCTL_EXIT_USAGE;
	}
	if (optind != argc) {
		logout_usage(stderr);
		return BOSCTL_EXIT_USAGE;
	}
	bos_err_clear(&err);
	if (logout_run(&err) != 0)
		return bosctl_fail("%s", err.msg);
	return BOSCTL_EXIT_OK;
}
