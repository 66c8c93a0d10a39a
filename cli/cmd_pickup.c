/*
 * bosctl grant pickup ACCESSOR [--out FILE] [--json]: the token of a grant
 * made with delivery "pickup" (bosctl grant create --pickup, or the MCP
 * tool grant_create), picked up once by the admin who made it, with a fresh
 * TOTP code read from the terminal (docs/MCP.md "Vault: grant pickup").
 *
 * The token is shown once, as 'grant create' shows it (written past stdio's
 * buffer, from a buffer that is wiped), or written to FILE, created with
 * mode 0600 and O_EXCL (never over an existing file). Nothing else here
 * holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bosctl.h"
#include "http_client.h"
#include "io.h"
#include "secmem.h"
#include "token.h"

#define PICKUP_PATH_MAX 128

struct pickup_opts {
	char *accessor;
	const char *out;
	int json;
};

static void
pickup_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl grant pickup ACCESSOR [--out FILE] [--json]\n"
	    "\n"
	    "Pick up the token of a grant made with --pickup (its answer had no token): once,\n"
	    "within 10 minutes of the grant (grant_pickup_seconds), by the admin who made it,\n"
	    "with a fresh code of your authenticator app (from the terminal, or the first line\n"
	    "of standard input when it is not a terminal). The token is printed ONCE, or\n"
	    "written to FILE (created with mode 0600; an existing FILE is refused). Hand it to\n"
	    "the helper over a private channel.\n"
	    "\n"
	    "  ACCESSOR    the grant's accessor (acc_...)\n"
	    "  --out FILE  write the token to FILE instead of the terminal\n"
	    "  --json      the vault's answer as JSON (it holds the token)\n"
	    "  --help      this text\n");
}

/* 0 parsed, 1 --help, -1 usage error. */
static int
pickup_parse(int argc, char **argv, struct pickup_opts *o)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'j': o->json = 1; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind < argc)
		o->accessor = argv[optind++];
	return optind == argc && o->accessor != NULL && !(o->out != NULL && o->json) ? 0 : -1;
}

/* FILE, new, mode 0600: the token and a newline, synced. */
static int
pickup_write_file(const char *path, const char *token, struct bos_err *err)
{
	size_t n = strlen(token);
	int fd, r = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return bos_err_set(err, BOS_E_IO, "cannot create %s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (it is never overwritten: choose a new name)" : "");
	if (fchmod(fd, 0600) == 0 && io_write_full(fd, token, n) == 0 &&
	    io_write_full(fd, "\n", 1) == 0 && fsync(fd) == 0)
		r = 0;
	else
		bos_err_set(err, BOS_E_IO, "cannot write %s: %s", path, strerror(errno));
	if (close(fd) != 0 && r == 0)
		r = bos_err_set(err, BOS_E_IO, "cannot write %s: %s", path, strerror(errno));
	if (r != 0)
		(void)unlink(path);
	return r;
}

static int
pickup_show(const struct pickup_opts *o, const json_t *ans, struct bos_err *err)
{
	const char *token = json_string_value(json_object_get(ans, "token"));

	/* Checked before it goes anywhere: nothing but a real token is written. */
	if (token == NULL || token_check(token, TOKEN_HELPER) != 0)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer carries no valid helper "
		    "token; revoke the grant %s with 'bosctl grant revoke'", o->accessor);
	if (o->json)
		return bosctl_write_json(ans) == 0 ? 0 : bos_err_set(err, BOS_E_IO, "cannot write "
		    "the answer to standard output");
	if (o->out != NULL) {
		if (pickup_write_file(o->out, token, err) != 0)
			return bos_err_wrap(err, "the token was picked up and is gone from the vault: "
			    "revoke grant %s and create another", o->accessor);
		printf("The token of grant %s (helper %s, expires %s) is in %s (mode 0600).\n",
		    o->accessor, bosctl_json_str(ans, "helper"), bosctl_json_str(ans, "expires_at"),
		    o->out);
		return 0;
	}
	printf("Picked up the token of grant %s for helper %s (expires %s).\n\n"
	    "WARNING: the helper's token is shown ONCE. It will not be shown again and cannot be\n"
	    "recovered: hand it to the helper now, over a private channel (if it is lost, revoke\n"
	    "the grant and create another).\n\n", o->accessor, bosctl_json_str(ans, "helper"),
	    bosctl_json_str(ans, "expires_at"));
	if (bosctl_write_secret("    %s\n\n", token) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot write the token to standard output");
	return fflush(stdout) == 0 ? 0 : bos_err_set(err, BOS_E_IO, "cannot write to standard "
	    "output");
}

static int
pickup_run(struct http_client *hc, const struct pickup_opts *o, struct bos_err *err)
{
	char path[PICKUP_PATH_MAX], code[BOSCTL_TOTP_SIZE];
	struct http_resp resp;
	json_t *body;
	int r;

	/* A file that exists is refused before the code is spent and the token is gone. */
	if (o->out != NULL && access(o->out, F_OK) == 0)
		return bos_err_set(err, BOS_E_EXISTS, "%s exists: the token is never written over a "
		    "file", o->out);
	if (bosctl_totp_read("to pick the token up", code, err) != 0)
		return -1;
	body = json_pack("{s:s}", "totp", code);
	secmem_wipe(code, sizeof(code));
	if (body == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	/* The accessor was checked: acc_ and base32, nothing to escape. */
	(void)snprintf(path, sizeof(path), "/grants/%s/pickup", o->accessor);
	r = http_client_call_ok(hc, "POST", path, body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	r = pickup_show(o, resp.json, err);
	http_resp_free(&resp);
	return r;
}

int
bosctl_grant_pickup(int argc, char **argv)
{
	struct pickup_opts o;
	struct http_client *hc;
	struct bos_err err;
	int r;

	if ((r = pickup_parse(argc, argv, &o)) != 0) {
		pickup_usage(r > 0 ? stdout : stderr);
		return r > 0 ? BOSCTL_EXIT_OK : BOSCTL_EXIT_USAGE;
	}
	if (strncmp(o.accessor, "bos_", 4) == 0) {
		secmem_wipe(o.accessor, strlen(o.accessor));
		return bosctl_usage_fail("grant", "pickup takes the grant's accessor (acc_...), not "
		    "a token: see 'bosctl grant list'");
	}
	if (!token_accessor_valid(o.accessor))
		return bosctl_usage_fail("grant", "'%s' is not an accessor (acc_ and 20 letters and "
		    "digits): see 'bosctl grant list'", o.accessor);
	bos_err_clear(&err);
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	r = pickup_run(hc, &o, &err);
	http_client_free(hc);
	return r == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}
