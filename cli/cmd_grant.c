/*
 * bosctl grant create | list | revoke: give a helper a token scoped to some
 * credentials and actions, for a while (and a number of uses, and networks),
 * then see and end such grants. Admin commands, over the vault's API with
 * the session of 'bosctl login'.
 *
 * The token exists in clear only in the answer to 'create': it is printed
 * once, with what the helper pastes to use it, and never again (the vault
 * keeps its hash; lists name a grant by its accessor). The lines that carry
 * it are written with write(2) from a buffer that is wiped, not through
 * stdio, whose buffer nobody wipes.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bosctl.h"
#include "token.h"
#include "http_client.h"
#include "io.h"
#include "json_alloc.h"
#include "secmem.h"
#include "tool_cli.h"

#define GRANT_MAX_CREDS 64
#define GRANT_MAX_CIDRS 32
#define GRANT_TTL_MAX (30LL * 86400)
#define GRANT_MAX_USES_MAX 1000000000LL
#define GRANT_PATH_MAX 1024
#define GRANT_LINE_MAX 4096
#define GRANT_TOKEN_FILE "bos-token"

struct grant_opts {
	const char *helper, *note, *state, *ttl_s, *max_uses_s;
	const char *deliver;  /* --deliver email|sms, or NULL */
	char *target;  /* the ACCESSOR of revoke */
	const char *creds[GRANT_MAX_CREDS];
	const char *cidrs[GRANT_MAX_CIDRS];
	size_t ncreds, ncidrs;
	int read, update, json, too_many, pickup;
	long long ttl, max_uses;  /* 0: the vault's default; unlimited */
};

static void
grant_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl grant create --helper ID --cred CRED [--cred CRED ...] [--read]\n"
	    "           [--update] [--ttl DURATION] [--max-uses N] [--cidr NET ...]\n"
	    "           [--note TEXT] [--pickup | --deliver email|sms] [--json]\n"
	    "       bosctl grant list [--helper ID] [--state active|ended] [--json]\n"
	    "       bosctl grant revoke ACCESSOR [--json]\n"
	    "       bosctl grant pickup ACCESSOR [--out FILE] [--json]\n"
	    "\n"
	    "Give the helper ID (see 'bosctl helper list') a token (bos_h_...) that may read\n"
	    "(--read) and/or write new versions of (--update) the credentials named, for a\n"
	    "while. 'create' prints the token ONCE, with a ready-to-paste curl line and the\n"
	    "bosctl equivalent for the helper: it is not shown again and cannot be recovered\n"
	    "(lost: revoke the grant and create another). Hand it over a private channel. The\n"
	    "grant is named afterwards by its accessor (acc_...), which is not a secret.\n"
	    "These are admin commands: sign in first with 'bosctl login'.\n"
	    "\n"
	    "  --helper ID     the helper (create); filter (list)\n"
	    "  --cred CRED     a credential id (cr_...), a name, or a pattern such as\n"
	    "                  'credentials/sendgrid/*'; repeat for more (create)\n"
	    "  --read          allow reading the secret (create)\n"
	    "  --update        allow writing a new version (create); at least one of the two\n"
	    "  --ttl DURATION  how long the token works: 3600s, 90m, 24h, 30d or seconds\n"
	    "                  (default 24h, at most 30d)\n"
	    "  --max-uses N    the token works N times at most (default: no limit)\n"
	    "  --cidr NET      only from this network, e.g. 203.0.113.0/24; repeat for more\n"
	    "                  (default: from anywhere)\n"
	    "  --note TEXT     why the grant exists, shown in lists (not a secret)\n"
	    "  --pickup        the vault keeps the token: 'create' prints the accessor only, and\n"
	    "                  the token is shown once by 'bosctl grant pickup ACCESSOR' (with\n"
	    "                  a TOTP code) within 10 minutes (create)\n"
	    "  --deliver email|sms  the vault sends the token to the helper's contact (an email\n"
	    "                  address, or a phone number in E.164) and prints the accessor\n"
	    "                  only; needs bos.conf notice_email / notice_sms (create)\n"
	    "  --state STATE   active or ended grants only (list)\n"

	    "  --json          the vault's answer as JSON (create: it holds the token;\n"
	    "                  list: one object per line, never a token)\n"
	    "  --help          this text\n"
	    "\n"
	    "'pickup' (in the admin's terminal) asks for a fresh TOTP code and prints the\n"
	    "token of a grant created with --pickup (or by the assistant), once; see\n"
	    "'bosctl grant pickup --help'.\n");
}

static int
grant_add_opt(const char **arr, size_t *n, size_t max, const char *v)
{
	if (*n == max)
		return -1;
	arr[(*n)++] = v;
	return 0;
}

/* 0 parsed, 1 --help, -1 usage error. Values are checked by grant_check_opts. */
static int
grant_parse(int argc, char **argv, struct grant_opts *o)
{
	static const struct option opts[] = {
		{ "helper", required_argument, NULL, 'H' }, { "cred", required_argument, NULL, 'c' },
		{ "read", no_argument, NULL, 'r' }, { "update", no_argument, NULL, 'u' },
		{ "ttl", required_argument, NULL, 't' }, { "max-uses", required_argument, NULL, 'm' },
		{ "cidr", required_argument, NULL, 'n' }, { "note", required_argument, NULL, 'N' },
		{ "state", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "pickup", no_argument, NULL, 'p' }, { "deliver", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'H': o->helper = optarg; break;
		case 'c': o->too_many |= grant_add_opt(o->creds, &o->ncreds, GRANT_MAX_CREDS,
		    optarg) != 0; break;
		case 'n': o->too_many |= grant_add_opt(o->cidrs, &o->ncidrs, GRANT_MAX_CIDRS,
		    optarg) != 0; break;
		case 'r': o->read = 1; break;
		case 'u': o->update = 1; break;
		case 't': o->ttl_s = optarg; break;
		case 'm': o->max_uses_s = optarg; break;
		case 'N': o->note = optarg; break;
		case 's': o->state = optarg; break;
		case 'j': o->json = 1; break;
		case 'p': o->pickup = 1; break;
		case 'd': o->deliver = optarg; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind < argc)
		o->target = argv[optind++];
	return optind == argc ? 0 : -1;
}

/* A positive decimal number with nothing around it. */
static int
grant_number(const char *s, char **end, long long *v)
{
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoll(s, end, 10);
	return errno != 0 || *v <= 0 ? -1 : 0;
}

/* "3600", "3600s", "90m", "24h", "30d" into seconds, 1 s to 30 days. */
static int
grant_parse_ttl(const char *s, long long *out)
{
	static const struct { char unit; long long mult; } units[] = {
		{ '\0', 1 }, { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char *end;
	long long v;
	size_t i;

	if (grant_number(s, &end, &v) != 0 || (end[0] != '\0' && end[1] != '\0'))
		return -1;
	for (i = 0; i < BOS_ARRAY_LEN(units); i++)
		if (end[0] == units[i].unit)
			break;
	if (i == BOS_ARRAY_LEN(units) || __builtin_mul_overflow(v, units[i].mult, out))
		return -1;
	return *out <= GRANT_TTL_MAX ? 0 : -1;
}

static int
grant_check_create(struct grant_opts *o)
{
	char *end;

	if (o->helper == NULL || o->ncreds == 0)
		return bosctl_usage_fail("grant", "create needs --helper ID and at least one "
		    "--cred");
	if (!o->read && !o->update)
		return bosctl_usage_fail("grant", "create needs --read, --update or both");
	if (o->too_many)
		return bosctl_usage_fail("grant", "at most %d --cred and %d --cidr",
		    GRANT_MAX_CREDS, GRANT_MAX_CIDRS);
	if (o->ttl_s != NULL && grant_parse_ttl(o->ttl_s, &o->ttl) != 0)
		return bosctl_usage_fail("grant", "--ttl must look like 3600s, 90m, 24h or 30d "
		    "(from 1 second to 30 days)");
	if (o->max_uses_s != NULL && (grant_number(o->max_uses_s, &end, &o->max_uses) != 0 ||
	    *end != '\0' || o->max_uses > GRANT_MAX_USES_MAX))
		return bosctl_usage_fail("grant", "--max-uses must be a whole number from 1 to %lld",
		    GRANT_MAX_USES_MAX);
	if (o->state != NULL || o->target != NULL)
		return bosctl_usage_fail("grant", "create takes no ACCESSOR and no --state");
	if (o->deliver != NULL && strcmp(o->deliver, "email") != 0 &&
	    strcmp(o->deliver, "sms") != 0)
		return bosctl_usage_fail("grant", "--deliver is email or sms");
	if (o->deliver != NULL && o->pickup)
		return bosctl_usage_fail("grant", "--pickup and --deliver exclude each other");
	return BOSCTL_EXIT_OK;
}

static int
grant_check_opts(const char *sub, struct grant_opts *o)
{
	int list = strcmp(sub, "list") == 0;

	if (strcmp(sub, "create") == 0)
		return grant_check_create(o);
	if (o->ncreds || o->ncidrs || o->read || o->update || o->ttl_s || o->max_uses_s || o->note ||
	    o->pickup || o->deliver)
		return bosctl_usage_fail("grant", "--cred, --read, --update, --ttl, --max-uses, "
		    "--cidr, --note, --pickup and --deliver are for 'create'");
	if (!list && (o->helper != NULL || o->state != NULL))
		return bosctl_usage_fail("grant", "--helper and --state are for 'create' and "
		    "'list'");
	if (list && o->state != NULL && strcmp(o->state, "active") != 0 &&
	    strcmp(o->state, "ended") != 0)
		return bosctl_usage_fail("grant", "--state is active or ended");
	if (list && o->target != NULL)
		return bosctl_usage_fail("grant", "list takes no ACCESSOR (filter with --helper)");
	if (!list && o->target == NULL)
		return bosctl_usage_fail("grant", "revoke needs the grant's ACCESSOR (acc_..., "
		    "see 'bosctl grant list')");
	return BOSCTL_EXIT_OK;
}

/* A JSON array of strings, or NULL when out of memory. */
static json_t *
grant_str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static int
grant_body_options(json_t *b, const struct grant_opts *o)
{
	int bad = 0;

	if (o->ttl > 0)
		bad |= json_object_set_new(b, "ttl", json_integer(o->ttl));
	if (o->max_uses > 0)
		bad |= json_object_set_new(b, "max_uses", json_integer(o->max_uses));
	if (o->ncidrs > 0)
		bad |= json_object_set_new(b, "cidrs", grant_str_array(o->cidrs, o->ncidrs));
	if (o->note != NULL)
		bad |= json_object_set_new(b, "note", json_string(o->note));
	return bad ? -1 : 0;
}

static json_t *
grant_create_body(const struct grant_opts *o, struct bos_err *err)
{
	const char *actions[2];
	size_t na = 0;
	json_t *b;

	if (o->read)
		actions[na++] = "read";
	if (o->update)
		actions[na++] = "update";
	b = json_pack("{s:s, s:o, s:o}", "helper", o->helper,
	    "credentials", grant_str_array(o->creds, o->ncreds),
	    "actions", grant_str_array(actions, na));
	if (b != NULL && grant_body_options(b, o) == 0)
		return b;
	json_decref(b);
	bos_err_set(err, BOS_E_INVALID, "cannot encode the grant: the values must be UTF-8 text");
	return NULL;
}

/* s as one shell word: itself when plain, else in single quotes. */
static int
grant_shell_word(char *out, size_t n, const char *s)
{
	static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-./:=@%+,";
	size_t k = 0;

	if (*s != '\0' && strspn(s, plain) == strlen(s))
		return snprintf(out, n, "%s", s) < (int)n ? 0 : -1;
	if (n < 3)
		return -1;
	out[k++] = '\'';
	for (; *s != '\0'; s++) {
		const char *piece = *s == '\'' ? "'\\''" : NULL;
		size_t len = piece != NULL ? strlen(piece) : 1;

		if (k + len + 2 > n)
			return -1;
		memcpy(out + k, piece != NULL ? piece : s, len);
		k += len;
	}
	out[k++] = '\'';
	out[k] = '\0';
	return 0;
}

/* An entry of the answer's "credentials": a string, or an object with an id. */
static const char *
grant_cred_name(const json_t *c)
{
	if (json_is_string(c))
		return json_string_value(c);
	return json_string_value(json_object_get(c, "id"));
}

/* A credential to show in the examples: the first that is not a pattern, or NULL. */
static const char *
grant_example_cred(const json_t *ans, const struct grant_opts *o)
{
	const json_t *c;
	const char *s;
	size_t i;

	json_array_foreach(json_object_get(ans, "credentials"), i, c) {
		s = grant_cred_name(c);
		if (s != NULL && strpbrk(s, "*/") == NULL)
			return s;
	}
	for (i = 0; i < o->ncreds; i++)
		if (strpbrk(o->creds[i], "*/") == NULL)
			return o->creds[i];
	return NULL;
}

/* "a, b, c" from an array of strings (or objects with an id); "-" when empty. */
static void
grant_join(const json_t *arr, const char *sep, char *out, size_t n)
{
	const json_t *c;
	size_t i, k = 0;
	int w;

	out[0] = '\0';
	json_array_foreach(arr, i, c) {
		w = snprintf(out + k, n - k, "%s%s", k ? sep : "", grant_cred_name(c) ?
		    grant_cred_name(c) : "?");
		if (w < 0 || (size_t)w >= n - k) {
			(void)snprintf(out + (n > 4 ? n - 4 : 0), n > 4 ? 4 : n, "...");
			return;
		}
		k += (size_t)w;
	}
	if (k == 0)
		(void)snprintf(out, n, "-");
}

/* The environment a helper sets so that bosctl reaches the same vault. */
static int
grant_env_prefix(const struct http_client *hc, char *out, size_t n)
{
	const char *addr = http_client_addr(hc), *ca = http_client_cacert(hc);
	int dflt = strcmp(addr, HTTP_CLIENT_DEFAULT_ADDR) == 0;
	char a[GRANT_PATH_MAX], c[GRANT_PATH_MAX];

	if (grant_shell_word(a, sizeof(a), addr) != 0 ||
	    (ca != NULL && grant_shell_word(c, sizeof(c), ca) != 0))
		return -1;
	if (ca != NULL && (!dflt || strcmp(ca, HTTP_CLIENT_DEV_CACERT) != 0))
		return snprintf(out, n, "BOS_ADDR=%s BOS_CACERT=%s ", a, c) < (int)n ? 0 : -1;
	if (!dflt)
		return snprintf(out, n, "BOS_ADDR=%s ", a) < (int)n ? 0 : -1;
	out[0] = '\0';
	return 0;
}

/* curl's options and URL for GET /credentials/ID on the vault bosctl talks to. */
static int
grant_curl_target(const struct http_client *hc, const char *id, char *out, size_t n)
{
	const char *ca = http_client_cacert(hc), *sock = http_client_unix_path(hc);
	char url[GRANT_PATH_MAX], w_url[GRANT_PATH_MAX], w_opt[GRANT_PATH_MAX];
	char *e = http_client_escape(id);
	int k;

	if (e == NULL)
		return -1;
	k = snprintf(url, sizeof(url), "%s/credentials/%s", http_client_base(hc), e);
	http_client_free_str(e);
	if (k < 0 || (size_t)k >= sizeof(url) || grant_shell_word(w_url, sizeof(w_url), url) != 0)
		return -1;
	w_opt[0] = '\0';
	if ((sock != NULL || ca != NULL) &&
	    grant_shell_word(w_opt, sizeof(w_opt), sock != NULL ? sock : ca) != 0)
		return -1;
	if (sock == NULL && ca == NULL)
		k = snprintf(out, n, "%s", w_url);
	else
		k = snprintf(out, n, "%s %s %s", sock != NULL ? "--unix-socket" : "--cacert", w_opt,
		    w_url);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* What the helper pastes: curl with the token, and bosctl with a token file. */
static int
grant_print_howto(const struct http_client *hc, const json_t *ans, const struct grant_opts *o,
    const char *token)
{
	const char *ex = grant_example_cred(ans, o);
	char target[GRANT_LINE_MAX], env[GRANT_LINE_MAX], id[GRANT_PATH_MAX];

	if (grant_shell_word(id, sizeof(id), ex != NULL ? ex : "ID") != 0 ||
	    grant_curl_target(hc, ex != NULL ? ex : "ID", target, sizeof(target)) != 0 ||
	    grant_env_prefix(hc, env, sizeof(env)) != 0)
		return -1;
	printf("\nFor the helper%s:\n", ex != NULL ? "" : " (ID: one of the credentials of the "
	    "grant)");
	if (bosctl_write_secret("  curl -H \"Authorization: Bearer %s\" %s\n", token, target) != 0)
		return -1;
	printf("or with bosctl, the token saved alone in a file of mode 0600 "
	    "(umask 077; cat > %s):\n", GRANT_TOKEN_FILE);
	if (o->read)
		printf("  %sbosctl --token-file %s cred show %s --reveal\n", env, GRANT_TOKEN_FILE, id);
	if (o->update)
		printf("  %sbosctl --token-file %s cred update %s    (asks for the new secret)\n",
		    env, GRANT_TOKEN_FILE, id);
	return 0;
}

static void
grant_print_summary(const json_t *ans)
{
	const json_t *mu = json_object_get(ans, "max_uses"), *note = json_object_get(ans, "note");
	char creds[GRANT_LINE_MAX], acts[256], nets[GRANT_LINE_MAX];

	grant_join(json_object_get(ans, "credentials"), ", ", creds, sizeof(creds));
	grant_join(json_object_get(ans, "actions"), ", ", acts, sizeof(acts));
	grant_join(json_object_get(ans, "cidrs"), ", ", nets, sizeof(nets));
	printf("accessor     %s   (names the grant in 'bosctl grant list' and 'revoke')\n"
	    "helper       %s\ncredentials  %s\nactions      %s\nexpires      %s\n",
	    bosctl_json_str(ans, "accessor"), bosctl_json_str(ans, "helper"), creds, acts,
	    bosctl_json_str(ans, "expires_at"));
	if (json_is_integer(mu))
		printf("max uses     %lld\n", (long long)json_integer_value(mu));
	else
		printf("max uses     no limit\n");
	printf("networks     %s\n", strcmp(nets, "-") == 0 ? "any" : nets);
	if (json_string_length(note) > 0)
		printf("note         %s\n", json_string_value(note));
}

static int
grant_print_created(const struct http_client *hc, const json_t *ans,
    const struct grant_opts *o, struct bos_err *err)
{
	const char *token = json_string_value(json_object_get(ans, "token"));

	/* Checked before printing: nothing but a real token reaches the terminal. */
	if (token == NULL || token_check(token, TOKEN_HELPER) != 0)
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer carries no valid helper "
		    "token; revoke the grant %s with 'bosctl grant revoke'",
		    bosctl_json_str(ans, "accessor"));
	printf("Created grant %s for helper %s.\n\n"
	    "WARNING: the helper's token is shown ONCE. It will not be shown again and cannot be\n"
	    "recovered: hand it to the helper now, over a private channel (if it is lost, revoke\n"
	    "the grant and create another).\n\n", bosctl_json_str(ans, "accessor"),
	    bosctl_json_str(ans, "helper"));
	if (bosctl_write_secret("    %s\n\n", token) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot write the token to standard output");
	grant_print_summary(ans);
	if (grant_print_howto(hc, ans, o, token) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot write the helper's instructions");
	return fflush(stdout) == 0 ? 0 : bos_err_set(err, BOS_E_IO, "cannot write to standard "
	    "output");
}

/*
 * create --pickup or --deliver: the grant_create tool (cli/tool_grant.c),
 * which asks the vault to keep (or send) the token and prints the accessor
 * and what happens next.
 */
static int
grant_create_pickup(struct http_client *hc, json_t *args, const struct grant_opts *o,
    struct bos_err *err)
{
	json_t *ttl = json_object_get(args, "ttl"), *out = NULL;
	int r = 0;

	if (ttl != NULL && (json_object_set(args, "ttl_seconds", ttl) != 0 ||
	    json_object_del(args, "ttl") != 0))
		r = bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (r == 0 && o->deliver != NULL && json_object_set_new(args, "delivery",
	    json_string(o->deliver)) != 0)
		r = bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (r == 0)
		r = tool_find("grant_create")->run(hc, args, &out, err);
	json_decref(args);
	if (r == 0 && tool_cli_print("grant_create", out, o->json) != BOSCTL_EXIT_OK)
		r = bos_err_set(err, BOS_E_IO, "cannot write to standard output");
	json_decref(out);
	return r;
}

static int
grant_create(struct http_client *hc, const struct grant_opts *o, struct bos_err *err)
{
	struct http_resp resp;
	json_t *body = grant_create_body(o, err);
	int r;

	if (body == NULL)
		return -1;
	if (o->pickup || o->deliver != NULL)
		return grant_create_pickup(hc, body, o, err);
	r = http_client_call_ok(hc, "POST", "/credentials/grant", body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	if (o->json)
		r = bosctl_write_json(resp.json) == 0 ? 0 : bos_err_set(err, BOS_E_IO, "cannot write "
		    "the answer to standard output");
	else
		r = grant_print_created(hc, resp.json, o, err);
	http_resp_free(&resp);
	return r;
}

/* Run the named tool over hc and print its output (--json: out[key]). */
static int
grant_tool(struct http_client *hc, const char *name, json_t *args, const char *key, int json,
    struct bos_err *err)
{
	json_t *out = NULL;
	int r;

	if (args == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the arguments must be UTF-8 text");
	r = tool_find(name)->run(hc, args, &out, err);
	json_decref(args);
	if (r == 0 && tool_cli_print_key(name, out, json, key) != BOSCTL_EXIT_OK)
		r = bos_err_set(err, BOS_E_IO, "cannot write to standard output");
	json_decref(out);
	return r;
}

/* The grants_list tool: a list never shows a token, whatever the vault sends. */
static int
grant_list(struct http_client *hc, const struct grant_opts *o, struct bos_err *err)
{
	json_t *args = json_object();

	if (args != NULL && o->helper != NULL &&
	    json_object_set_new(args, "helper", json_string(o->helper)) != 0)
		args = (json_decref(args), NULL);
	if (args != NULL && o->state != NULL &&
	    json_object_set_new(args, "state", json_string(o->state)) != 0)
		args = (json_decref(args), NULL);
	return grant_tool(hc, "grants_list", args, "grants", o->json, err);
}

static int
grant_revoke(struct http_client *hc, const struct grant_opts *o, struct bos_err *err)
{
	return grant_tool(hc, "grant_revoke", json_pack("{s:s}", "accessor", o->target), "grant",
	    o->json, err);
}

/*
 * An accessor has a fixed form, so it needs no escaping. A token given in
 * its place is refused without being echoed, and wiped from argv.
 */
static int
grant_check_accessor(char *a)
{
	if (strncmp(a, "bos_", 4) == 0) {
		secmem_wipe(a, strlen(a));
		return bosctl_usage_fail("grant", "revoke takes the grant's accessor (acc_...), not "
		    "its token: see 'bosctl grant list'");
	}
	if (!token_accessor_valid(a))
		return bosctl_usage_fail("grant", "'%s' is not an accessor (acc_ and 20 letters and "
		    "digits): see 'bosctl grant list'", a);
	return BOSCTL_EXIT_OK;
}

/* What each subcommand runs, as the signed-in admin. */
struct grant_sub {
	const char *name;
	int (*run)(struct http_client *hc, const struct grant_opts *o, struct bos_err *err);
	int (*check)(char *operand);   /* the operand, before any request (may wipe it); NULL: none */
};

static const struct grant_sub grant_subs[] = {
	{ "create", grant_create, NULL },
	{ "list", grant_list, NULL },
	{ "revoke", grant_revoke, grant_check_accessor },
	{ "pickup", NULL, NULL },   /* its own options: bosctl_grant_pickup (cmd_pickup.c) */
};

static const struct bosctl_subcmds grant_cmd =
	BOSCTL_SUBCMDS("grant", grant_usage, grant_subs, "create, list, revoke or pickup", 0);

static int
grant_run(const struct grant_sub *sub, const struct grant_opts *o)
{
	struct http_client *hc;
	struct bos_err err;
	int r;

	bos_err_clear(&err);
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	r = sub->run(hc, o, &err);
	http_client_free(hc);
	return r == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}

int
bosctl_cmd_grant(int argc, char **argv)
{
	const struct grant_sub *sub;
	struct grant_opts o;
	int r;

	if ((sub = bosctl_subcmd_find(&grant_cmd, argc, argv, &r)) == NULL)
		return r;
	if (sub->run == NULL)
		return bosctl_grant_pickup(argc - 1, argv + 1);
	if ((r = grant_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&grant_cmd, r);
	if ((r = grant_check_opts(sub->name, &o)) != 0)
		return r;
	if (sub->check != NULL && (r = sub->check(o.target)) != 0)
		return r;
	return grant_run(sub, &o);
}
