/*
 * bosctl admin create: the first admin (and later ones) over the vault's
 * unix socket, which only the vault's own uid may use for this. Shows the
 * TOTP enrolment (otpauth URI and a QR code) and the recovery codes once.
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

struct admin_opts {
	const char *name, *socket;
	int json, qr;
};

static void
admin_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl admin create NAME [--socket PATH] [--json] [--qr]\n"
	    "\n"
	    "Create the admin NAME on the vault, over its unix socket (run it as the vault's\n"
	    "user on the vault's machine). Asks for the password twice (no echo; at least %d\n"
	    "characters); when standard input is not a terminal, reads the password from it.\n"
	    "Prints the TOTP enrolment for your authenticator app (an otpauth:// URI, and a QR\n"
	    "code when standard output is a terminal) and 10 one-time recovery codes: store\n"
	    "them offline, they are not shown again. Then sign in with 'bosctl login NAME'.\n"
	    "\n"
	    "  --socket PATH  the vault's unix socket (default $BOS_SOCKET, else %s)\n"
	    "  --json         print the vault's answer as JSON (it holds the TOTP secret and\n"
	    "                 the recovery codes)\n"
	    "  --qr           print the QR code even when standard output is not a terminal\n"
	    "  --help         this text\n", ADMIN_PASSWORD_MIN, ADMIN_DEFAULT_SOCKET);
}

static int
admin_parse(int argc, char **argv, struct admin_opts *o)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "qr", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
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
	if (optind != argc - 1 || argv[optind][0] == '\0' || strlen(argv[optind]) > ADMIN_NAME_MAX)
		return -1;
	o->name = argv[optind];
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

/* The new password as a JSON string (wiped by jansson's allocator). */
static json_t *
admin_read_password(struct bos_err *err)
{
	uint8_t *pw = NULL;
	size_t len = 0;
	json_t *s = NULL;

	if (secret_input_read("Password", 1, &pw, &len, err) != 0)
		return NULL;
	if (memchr(pw, '\n', len) != NULL || memchr(pw, '\r', len) != NULL)
		bos_err_set(err, BOS_E_INVALID, "the password must be one line");
	else if (admin_utf8_chars(pw, len) < ADMIN_PASSWORD_MIN)
		bos_err_set(err, BOS_E_INVALID, "the password is too short: use at least %d "
		    "characters", ADMIN_PASSWORD_MIN);
	else if ((s = json_stringn((const char *)pw, len)) == NULL)
		bos_err_set(err, BOS_E_INVALID, "the password is not UTF-8 text");
	secmem_freezero(pw, len);
	return s;
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
	printf("created admin %s%s%s%s\n\nAdd this account to your authenticator app: scan the "
	    "QR code, or enter the URI or the secret.\n  %s\n", o->name, id ? " (" : "",
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

int
bosctl_cmd_admin(int argc, char **argv)
{
	struct admin_opts o;
	struct bos_err err;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		admin_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? BOSCTL_EXIT_USAGE : BOSCTL_EXIT_OK;
	}
	if (strcmp(argv[1], "create") != 0) {
		fprintf(stderr, "bosctl admin: unknown subcommand '%s'\n\n", argv[1]);
		admin_usage(stderr);
		return BOSCTL_EXIT_USAGE;
	}
	if ((r = admin_parse(argc - 1, argv + 1, &o)) != 0) {
		admin_usage(r > 0 ? stdout : stderr);
		return r > 0 ? BOSCTL_EXIT_OK : BOSCTL_EXIT_USAGE;
	}
	bos_err_clear(&err);
	if (admin_create(&o, &err) != 0)
		return bosctl_fail("%s", err.msg);
	return BOSCTL_EXIT_OK;
}
