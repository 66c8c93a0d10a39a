/*
 * bosctl broker add | list | revoke, and bosctl jobs list | show: the
 * brokers (unprivileged processes that claim jobs and lease secrets for
 * them) and the vault's job queue (docs/BROKERS.md). Admin commands, over
 * the vault's API with the session of 'bosctl login'.
 *
 * A broker's token is printed once, by 'broker add', on standard output
 * (the only thing there), with a line on standard error saying so; nothing
 * else ever shows it again.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "bosctl.h"
#include "http_client.h"
#include "tool_cli.h"
#include "json_alloc.h"

#define BROKERCMD_PATH_MAX 1024

struct brokercmd_opts {
	const char *role, *name, *state, *kind, *target;
	int json;
};

static void
brokercmd_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl broker add --role ROLE [--name NAME] [--json]\n"
	    "       bosctl broker list [--json]\n"
	    "       bosctl broker revoke ID [--json]\n"
	    "\n"
	    "Brokers are the unprivileged processes (bos-broker ROLE) that claim jobs from the\n"
	    "vault and lease the secrets those jobs need. What a role may lease and claim is\n"
	    "its section of roles.policy; a broker signs in only on the vault's unix socket,\n"
	    "from the uid bos.conf gives its role (broker_uid_ROLE). Admin commands: sign in\n"
	    "first with 'bosctl login'.\n"
	    "\n"
	    "  add     register a broker; prints its token (bos_b_...) on standard output,\n"
	    "          shown this once (the vault keeps only its hash). Store it where the\n"
	    "          broker reads it ($CREDENTIALS_DIRECTORY/broker-token, systemd\n"
	    "          LoadCredentialEncrypted)\n"
	    "  list    one row per broker: id, role, status, name, accessor, created\n"
	    "  revoke  revoke the broker ID: its next request is refused\n"
	    "\n"
	    "  --role ROLE   outreach, monitor or hiring (add)\n"
	    "  --name NAME   a name for people, 1-64 of letters, digits, space . _ - (add;\n"
	    "                default: the role)\n"
	    "  --json        the vault's answer as JSON (add: with the token; list: one object\n"
	    "                per line)\n"
	    "  --help        this text\n");
}

static void
jobscmd_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl jobs list [--state STATE] [--kind KIND] [--json]\n"
	    "       bosctl jobs show ID [--json]\n"
	    "\n"
	    "The vault's job queue: jobs admins queued (bosctl cred verify) for brokers to\n"
	    "claim. Admin commands: sign in first with 'bosctl login'.\n"
	    "\n"
	    "  list    newest first: id, kind, service, state, attempts, created\n"
	    "  show    one job: its state, attempts, result or last error\n"
	    "\n"
	    "  --state STATE  queued, claimed, done or dead (list)\n"
	    "  --kind KIND    verify, send_email, send_sms, ad_create, ad_activate,\n"
	    "                 ad_pause or ad_insights (list)\n"
	    "  --json         the vault's answer as JSON (list: one object per line)\n"
	    "  --help         this text\n");
}

/* 0 parsed, 1 --help, -1 usage error. */
static int
brokercmd_parse(int argc, char **argv, struct brokercmd_opts *o)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' }, { "name", required_argument, NULL, 'n' },
		{ "state", required_argument, NULL, 's' }, { "kind", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->role = optarg; break;
		case 'n': o->name = optarg; break;
		case 's': o->state = optarg; break;
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

/* "/base/ID" with ID escaped. */
static int
brokercmd_path(char *out, size_t n, const char *base, const char *id, struct bos_err *err)
{
	char *e = http_client_escape(id);
	int k;

	if (e == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	k = snprintf(out, n, "%s/%s", base, e);
	http_client_free_str(e);
	return k < 0 || (size_t)k >= n ? bos_err_set(err, BOS_E_INVALID, "the id is too long") : 0;
}

/* ---- broker ---------------------------------------------------------------------------- */

static int
brokercmd_check(const char *sub, const struct brokercmd_opts *o)
{
	int add = strcmp(sub, "add") == 0, revoke = strcmp(sub, "revoke") == 0;

	if (o->state != NULL || o->kind != NULL)
		return bosctl_usage_fail("broker", "--state and --kind are for 'bosctl jobs list'");
	if (add && o->role == NULL)
		return bosctl_usage_fail("broker", "add needs --role (outreach, monitor or hiring)");
	if (add && strcmp(o->role, "outreach") != 0 && strcmp(o->role, "monitor") != 0 &&
	    strcmp(o->role, "hiring") != 0)
		return bosctl_usage_fail("broker", "unknown role '%s': use outreach, monitor or "
		    "hiring", o->role);
	if (!add && (o->role != NULL || o->name != NULL))
		return bosctl_usage_fail("broker", "--role and --name are for 'add'");
	if (revoke && o->target == NULL)
		return bosctl_usage_fail("broker", "revoke needs the broker's ID (see 'bosctl "
		    "broker list')");
	if (!revoke && o->target != NULL)
		return bosctl_usage_fail("broker", "%s takes no ID", sub);
	return BOSCTL_EXIT_OK;
}

static int
brokercmd_add(struct http_client *hc, const struct brokercmd_opts *o, struct bos_err *err)
{
	struct http_resp resp;
	json_t *body = json_pack("{s:s}", "role", o->role);
	const char *tok;
	int r;

	if (body == NULL || (o->name != NULL &&
	    json_object_set_new(body, "name", json_string(o->name)) != 0)) {
		json_decref(body);
		return bos_err_set(err, BOS_E_INVALID, "the name must be UTF-8 text");
	}
	r = http_client_call_ok(hc, "POST", "/brokers", body, &resp, err);
	json_decref(body);
	if (r != 0)
		return -1;
	tok = bosctl_json_str(resp.json, "token");
	if (strncmp(tok, "bos_b_", 6) != 0) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no broker token");
	}
	fprintf(stderr, "registered broker %s (role %s, accessor %s). Its token is on standard "
	    "output and is shown this once: the vault keeps only its hash.\n",
	    bosctl_json_str(resp.json, "id"), bosctl_json_str(resp.json, "role"),
	    bosctl_json_str(resp.json, "accessor"));
	r = o->json ? bosctl_write_json(resp.json) : bosctl_write_secret("%s\n", tok);
	http_resp_free(&resp);
	return r == 0 ? 0 : bos_err_set(err, BOS_E_IO, "cannot write the token to standard output");
}

static void
brokercmd_row(const json_t *b)
{
	printf("%-29s %-9s %-8s %-24s %s created %s\n", bosctl_json_str(b, "id"),
	    bosctl_json_str(b, "role"), bosctl_json_str(b, "status"),
	    bosctl_json_str(b, "accessor"), bosctl_json_str(b, "name"),
	    bosctl_json_str(b, "created_at"));
}

/* GET path, then each element of its array key as a row or a JSON line. */
static int
brokercmd_each(struct http_client *hc, const char *path, const char *key, int json,
    void (*row)(const json_t *), struct bos_err *err)
{
	struct http_resp resp;
	json_t *list, *e;
	size_t i;

	if (http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	list = json_object_get(resp.json, key);
	if (!json_is_array(list)) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no \"%s\" array", key);
	}
	json_array_foreach(list, i, e) {
		if (json)
			bosctl_json_print(e);
		else
			row(e);
	}
	http_resp_free(&resp);
	return 0;
}

static int
brokercmd_list(struct http_client *hc, const struct brokercmd_opts *o, struct bos_err *err)
{
	return brokercmd_each(hc, "/brokers", "brokers", o->json, brokercmd_row, err);
}

static int
brokercmd_revoke(struct http_client *hc, const struct brokercmd_opts *o, struct bos_err *err)
{
	char path[BROKERCMD_PATH_MAX];
	struct http_resp resp;

	if (brokercmd_path(path, sizeof(path), "/brokers", o->target, err) != 0 ||
	    http_client_call_ok(hc, "DELETE", path, NULL, &resp, err) != 0)
		return -1;
	if (o->json)
		bosctl_json_print(resp.json);
	else
		printf("revoked broker %s: its token is refused from now on\n", o->target);
	http_resp_free(&resp);
	return 0;
}

/* ---- jobs ------------------------------------------------------------------------------ */

static int
jobscmd_check(const char *sub, const struct brokercmd_opts *o)
{
	int show = strcmp(sub, "show") == 0;

	if (o->role != NULL || o->name != NULL)
		return bosctl_usage_fail("jobs", "--role and --name are for 'bosctl broker add'");
	if (show && (o->state != NULL || o->kind != NULL))
		return bosctl_usage_fail("jobs", "--state and --kind are for 'list'");
	if (show && o->target == NULL)
		return bosctl_usage_fail("jobs", "show needs the job's ID (see 'bosctl jobs list')");
	if (!show && o->target != NULL)
		return bosctl_usage_fail("jobs", "%s takes no ID", sub);
	if (o->state != NULL && strcmp(o->state, "queued") != 0 && strcmp(o->state, "claimed") !=
	    0 && strcmp(o->state, "done") != 0 && strcmp(o->state, "dead") != 0)
		return bosctl_usage_fail("jobs", "unknown state '%s': use queued, claimed, done or "
		    "dead", o->state);
	if (o->kind != NULL && !tool_job_kind_known(o->kind))
		return bosctl_usage_fail("jobs", "unknown kind '%s': use " TOOL_JOB_KINDS, o->kind);
	return BOSCTL_EXIT_OK;
}

static long long
jobscmd_int(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* The jobs_list tool (cli/tool_jobs.c) over hc; --json: one job per line. */
static int
jobscmd_list(struct http_client *hc, const struct brokercmd_opts *o, struct bos_err *err)
{
	json_t *args = json_object(), *out = NULL;
	int r = args != NULL ? 0 : bos_err_set(err, BOS_E_NOMEM, "out of memory");

	if (r == 0 && o->state != NULL)
		r = json_object_set_new(args, "state", json_string(o->state));
	if (r == 0 && o->kind != NULL)
		r = json_object_set_new(args, "kind", json_string(o->kind));
	if (r != 0)
		r = bos_err_set(err, BOS_E_NOMEM, "out of memory");
	else
		r = tool_find("jobs_list")->run(hc, args, &out, err);
	json_decref(args);
	if (r == 0 && tool_cli_print_key("jobs_list", out, o->json, "jobs") != BOSCTL_EXIT_OK)
		r = bos_err_set(err, BOS_E_IO, "cannot write the jobs");
	json_decref(out);
	return r;
}

static int
jobscmd_show(struct http_client *hc, const struct brokercmd_opts *o, struct bos_err *err)
{
	char path[BROKERCMD_PATH_MAX], *res = NULL;
	struct http_resp resp;
	const json_t *j;

	if (brokercmd_path(path, sizeof(path), "/jobs", o->target, err) != 0 ||
	    http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	j = json_object_get(resp.json, "job");
	if (o->json) {
		bosctl_json_print(j);
	} else {
		printf("id:        %s\nkind:      %s\nservice:   %s\ncredential: %s\nstate:     %s\n"
		    "attempts:  %lld of %lld\ncreated:   %s by %s\nfinished:  %s\n",
		    bosctl_json_str(j, "id"), bosctl_json_str(j, "kind"), bosctl_json_str(j, "service"),
		    bosctl_json_str(j, "credential"), bosctl_json_str(j, "state"),
		    jobscmd_int(j, "attempts"), jobscmd_int(j, "max_attempts"),
		    bosctl_json_str(j, "created_at"), bosctl_json_str(j, "created_by"),
		    bosctl_json_str(j, "finished_at"));
		if (json_is_object(json_object_get(j, "result")))
			res = json_dumps(json_object_get(j, "result"), JSON_COMPACT);
		printf("result:    %s\nerror:     %s\n", res != NULL ? res : "-",
		    bosctl_json_str(j, "error"));
		json_alloc_release(res);
	}
	http_resp_free(&resp);
	return 0;
}

/* ---- the two commands ------------------------------------------------------------------- */

struct brokercmd_sub {
	const char *name;
	int (*run)(struct http_client *hc, const struct brokercmd_opts *o, struct bos_err *err);
};

static const struct brokercmd_sub brokercmd_subs[] = {
	{ "add", brokercmd_add }, { "list", brokercmd_list }, { "revoke", brokercmd_revoke },
};
static const struct brokercmd_sub jobscmd_subs[] = {
	{ "list", jobscmd_list }, { "show", jobscmd_show },
};

static const struct bosctl_subcmds brokercmd_cmd =
	BOSCTL_SUBCMDS("broker", brokercmd_usage, brokercmd_subs, "add, list or revoke", 0);
static const struct bosctl_subcmds jobscmd_cmd =
	BOSCTL_SUBCMDS("jobs", jobscmd_usage, jobscmd_subs, "list or show", 0);

static int
brokercmd_run(const struct brokercmd_sub *sub, const struct brokercmd_opts *o)
{
	struct http_client *hc;
	struct bos_err err;
	int r;

	bos_err_clear(&err);
	if (bosctl_helper_token() != NULL)
		return bosctl_usage_fail("", "brokers and jobs are admin commands: sign in with "
		    "'bosctl login' and give no helper token");
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	r = sub->run(hc, o, &err);
	http_client_free(hc);
	return r == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}

int
bosctl_cmd_broker(int argc, char **argv)
{
	const struct brokercmd_sub *sub;
	struct brokercmd_opts o;
	int r;

	if ((sub = bosctl_subcmd_find(&brokercmd_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = brokercmd_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&brokercmd_cmd, r);
	if ((r = brokercmd_check(sub->name, &o)) != 0)
		return r;
	return brokercmd_run(sub, &o);
}

int
bosctl_cmd_jobs(int argc, char **argv)
{
	const struct brokercmd_sub *sub;
	struct brokercmd_opts o;
	int r;

	if ((sub = bosctl_subcmd_find(&jobscmd_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = brokercmd_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&jobscmd_cmd, r);
	if ((r = jobscmd_check(sub->name, &o)) != 0)
		return r;
	return brokercmd_run(sub, &o);
}
