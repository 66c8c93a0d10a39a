/*
 * bosctl helper add | list | revoke: the people (contractors) an admin gives
 * scoped, expiring tokens to with 'bosctl grant create'. Admin commands,
 * over the vault's API with the session of 'bosctl login'. Revoking a helper
 * ends all its grants on the vault.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "bosctl.h"
#include "http_client.h"

#define HELPER_PATH_MAX 1024

struct helper_opts {
	const char *name, *contact, *kind, *target;
	int json;
};

static const char *const helper_kinds[] = { "setup", "monitor", "outreach", "support",
	"developer" };

static void
helper_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl helper add --name NAME --contact CONTACT --kind KIND [--json]\n"
	    "       bosctl helper list [--json]\n"
	    "       bosctl helper revoke ID [--json]\n"
	    "\n"
	    "Helpers are the people (contractors) you give scoped, expiring tokens to with\n"
	    "'bosctl grant create'. These are admin commands: sign in first with 'bosctl login'.\n"
	    "\n"
	    "  add     register a helper; prints its id (hl_...)\n"
	    "  list    one row per helper: id, kind, status, name, contact, created\n"
	    "  revoke  revoke the helper ID and end every grant it has (its tokens stop\n"
	    "          working at once)\n"
	    "\n"
	    "  --name NAME        the helper's name (add)\n"
	    "  --contact CONTACT  how to reach them, e.g. an e-mail address (add)\n"
	    "  --kind KIND        setup, monitor, outreach, support or developer (add)\n"
	    "  --json             the vault's answer as JSON (list: one object per line)\n"
	    "  --help             this text\n");
}

/* 0 parsed, 1 --help, -1 usage error. */
static int
helper_parse(int argc, char **argv, struct helper_opts *o)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "contact", required_argument, NULL, 'c' },
		{ "kind", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o->name = optarg; break;
		case 'c': o->contact = optarg; break;
		case 'k': o->kind = optarg; break;
		case 'j': o->json = 1; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind < argc)
		o->target = argv[optind++];
	return optind == argc ? 0 : -1;
}

static int
helper_kind_valid(const char *kind)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(helper_kinds); i++)
		if (strcmp(kind, helper_kinds[i]) == 0)
			return 1;
	return 0;
}

/* Options that do not fit the subcommand are usage errors (exit 2). */
static int
helper_check_opts(const char *sub, const struct helper_opts *o)
{
	int add = strcmp(sub, "add") == 0;

	if (add && (o->name == NULL || o->contact == NULL || o->kind == NULL))
		return bosctl_usage_fail("helper", "add needs --name, --contact and --kind");
	if (add && !helper_kind_valid(o->kind))
		return bosctl_usage_fail("helper", "unknown kind '%s': use setup, monitor, "
		    "outreach, support or developer", o->kind);
	if (!add && (o->name != NULL || o->contact != NULL || o->kind != NULL))
		return bosctl_usage_fail("helper", "--name, --contact and --kind are for 'add'");
	if (strcmp(sub, "revoke") == 0 && o->target == NULL)
		return bosctl_usage_fail("helper", "revoke needs the helper's ID (see 'bosctl "
		    "helper list')");
	if (strcmp(sub, "revoke") != 0 && o->target != NULL)
		return bosctl_usage_fail("helper", "%s takes no ID", sub);
	return BOSCTL_EXIT_OK;
}

static int
helper_add(struct http_client *hc, const struct helper_opts *o, struct bos_err *err)
{
	struct http_resp resp;
	json_t *body;
	int r;

	body = json_pack("{s:s, s:s, s:s}", "name", o->name, "contact", o->contact,
	    "kind", o->kind);
	if (body == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the name and the contact must be UTF-8 text");
	r = http_client_call_ok(hc, "POST", "/helpers", body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	if (o->json)
		bosctl_json_print(resp.json);
	else
		printf("%s\n", bosctl_json_str(resp.json, "id"));
	http_resp_free(&resp);
	return 0;
}

static void
helper_print_row(const json_t *h)
{
	printf("%-29s %-10s %-8s %s <%s> created %s\n", bosctl_json_str(h, "id"),
	    bosctl_json_str(h, "kind"), bosctl_json_str(h, "status"), bosctl_json_str(h, "name"),
	    bosctl_json_str(h, "contact"), bosctl_json_str(h, "created_at"));
}

static int
helper_list(struct http_client *hc, const struct helper_opts *o, struct bos_err *err)
{
	struct http_resp resp;
	json_t *list, *h;
	size_t i;

	if (http_client_call_ok(hc, "GET", "/helpers", NULL, &resp, err) != 0)
		return -1;
	list = json_object_get(resp.json, "helpers");
	if (!json_is_array(list)) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no \"helpers\" array");
	}
	json_array_foreach(list, i, h) {
		if (o->json)
			bosctl_json_print(h);
		else
			helper_print_row(h);
	}
	http_resp_free(&resp);
	return 0;
}

/* How many grants the revocation ended, when the vault says; -1 otherwise. */
static long long
helper_grants_ended(const json_t *ans)
{
	static const char *const keys[] = { "grants_revoked", "grants_ended", "revoked_grants",
		"ended_grants" };
	const json_t *v;
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(keys); i++) {
		v = json_object_get(ans, keys[i]);
		if (json_is_integer(v))
			return json_integer_value(v);
		if (json_is_array(v))
			return (long long)json_array_size(v);
	}
	return -1;
}

static int
helper_revoke(struct http_client *hc, const struct helper_opts *o, struct bos_err *err)
{
	char path[HELPER_PATH_MAX];
	struct http_resp resp;
	char *id = http_client_escape(o->target);
	long long n;
	int k;

	if (id == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	k = snprintf(path, sizeof(path), "/helpers/%s", id);
	http_client_free_str(id);
	if (k < 0 || (size_t)k >= sizeof(path))
		return bos_err_set(err, BOS_E_INVALID, "the helper id is too long");
	if (http_client_call_ok(hc, "DELETE", path, NULL, &resp, err) != 0)
		return -1;
	n = helper_grants_ended(resp.json);
	if (o->json && resp.json != NULL)
		bosctl_json_print(resp.json);
	else if (o->json)
		printf("{}\n");
	else if (n >= 0)
		printf("revoked helper %s; also ended %lld grant%s\n", o->target, n, n == 1 ? "" : "s");
	else
		printf("revoked helper %s and ended its grants\n", o->target);
	http_resp_free(&resp);
	return 0;
}

/* What each subcommand runs, as the signed-in admin. */
struct helper_sub {
	const char *name;
	int (*run)(struct http_client *hc, const struct helper_opts *o, struct bos_err *err);
};

static const struct helper_sub helper_subs[] = {
	{ "add", helper_add }, { "list", helper_list }, { "revoke", helper_revoke },
};

static const struct bosctl_subcmds helper_cmd =
	BOSCTL_SUBCMDS("helper", helper_usage, helper_subs, "add, list or revoke", 0);

static int
helper_run(const struct helper_sub *sub, const struct helper_opts *o)
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
bosctl_cmd_helper(int argc, char **argv)
{
	const struct helper_sub *sub;
	struct helper_opts o;
	int r;

	if ((sub = bosctl_subcmd_find(&helper_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = helper_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&helper_cmd, r);
	if ((r = helper_check_opts(sub->name, &o)) != 0)
		return r;
	return helper_run(sub, &o);
}
