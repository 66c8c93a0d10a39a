/*
 * bosctl alerts list | ack | resolve: what the vault wants an admin to look
 * at (budgets at 80 % or paused, dead jobs ...; docs/BROKERS.md "Alerts").
 * Admin commands, over the vault's API with the session of 'bosctl login'.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "bosctl.h"
#include "http_client.h"

#define ALERTS_PATH_MAX 256

struct alerts_opts {
	const char *state, *target;
	int json;
};

static void
alerts_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl alerts list [--state open|acked|resolved|all] [--json]\n"
	    "       bosctl alerts ack ID [--json]\n"
	    "       bosctl alerts resolve ID [--json]\n"
	    "\n"
	    "Alerts the vault raised. The same alert raised again while it is not resolved\n"
	    "counts up instead of adding a row. Admin commands: sign in first.\n"
	    "\n"
	    "  list     one row per alert (default: the open ones): id, severity, kind, count,\n"
	    "           state, last seen, subject, then what to do\n"
	    "  ack      acknowledge: seen, being handled (no longer counted as open)\n"
	    "  resolve  done; the same problem later raises a new alert\n"
	    "\n"
	    "  --state STATE  open (default), acked, resolved or all\n"
	    "  --json         the vault's answer as JSON (list: one object per line)\n"
	    "  --help         this text\n");
}

/* 0 parsed, 1 --help, -1 usage error. */
static int
alerts_parse(int argc, char **argv, struct alerts_opts *o)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->state = optarg; break;
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
alerts_check_opts(const char *sub, const struct alerts_opts *o)
{
	static const char *const states[] = { "open", "acked", "resolved", "all" };
	int list = strcmp(sub, "list") == 0;
	size_t i;

	if (!list && o->state != NULL)
		return bosctl_usage_fail("alerts", "--state is for 'list'");
	for (i = 0; o->state != NULL && i < BOS_ARRAY_LEN(states); i++)
		if (strcmp(o->state, states[i]) == 0)
			break;
	if (o->state != NULL && i == BOS_ARRAY_LEN(states))
		return bosctl_usage_fail("alerts", "--state is open, acked, resolved or all");
	if (list && o->target != NULL)
		return bosctl_usage_fail("alerts", "list takes no ID");
	if (!list && o->target == NULL)
		return bosctl_usage_fail("alerts", "%s needs the alert's ID (see 'bosctl alerts "
		    "list')", sub);
	return BOSCTL_EXIT_OK;
}

static void
alerts_print_row(const json_t *a)
{
	const json_t *acts = json_object_get(a, "actions"), *act;
	size_t i;

	printf("%-29s %-8s %-15s x%-4lld %-8s %s  %s\n", bosctl_json_str(a, "id"),
	    bosctl_json_str(a, "severity"), bosctl_json_str(a, "kind"),
	    (long long)json_integer_value(json_object_get(a, "count")),
	    bosctl_json_str(a, "state"), bosctl_json_str(a, "last_at"),
	    bosctl_json_str(a, "subject"));
	json_array_foreach(acts, i, act)
		if (json_is_string(act))
			printf("    -> %s\n", json_string_value(act));
}

static int
alerts_list(struct http_client *hc, const struct alerts_opts *o, struct bos_err *err)
{
	char path[ALERTS_PATH_MAX];
	struct http_resp resp;
	json_t *list, *a;
	size_t i;

	(void)snprintf(path, sizeof(path), "/alerts?state=%s", o->state ? o->state : "open");
	if (http_client_call_ok(hc, "GET", path, NULL, &resp, err) != 0)
		return -1;
	list = json_object_get(resp.json, "alerts");
	if (!json_is_array(list)) {
		http_resp_free(&resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no \"alerts\" array");
	}
	json_array_foreach(list, i, a) {
		if (o->json)
			bosctl_json_print(a);
		else
			alerts_print_row(a);
	}
	http_resp_free(&resp);
	return 0;
}

/* POST /alerts/ID/VERB. */
static int
alerts_move(struct http_client *hc, const struct alerts_opts *o, const char *verb,
    struct bos_err *err)
{
	char path[ALERTS_PATH_MAX];
	struct http_resp resp;
	char *id = http_client_escape(o->target);
	int k;

	if (id == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	k = snprintf(path, sizeof(path), "/alerts/%s/%s", id, verb);
	http_client_free_str(id);
	if (k < 0 || (size_t)k >= sizeof(path))
		return bos_err_set(err, BOS_E_INVALID, "the alert id is too long");
	if (http_client_call_ok(hc, "POST", path, NULL, &resp, err) != 0)
		return -1;
	if (o->json)
		bosctl_json_print(resp.json);
	else
		printf("alert %s %s\n", o->target, bosctl_json_str(resp.json, "state"));
	http_resp_free(&resp);
	return 0;
}

static int
alerts_ack(struct http_client *hc, const struct alerts_opts *o, struct bos_err *err)
{
	return alerts_move(hc, o, "ack", err);
}

static int
alerts_resolve(struct http_client *hc, const struct alerts_opts *o, struct bos_err *err)
{
	return alerts_move(hc, o, "resolve", err);
}

struct alerts_sub {
	const char *name;
	int (*run)(struct http_client *hc, const struct alerts_opts *o, struct bos_err *err);
};

static const struct alerts_sub alerts_subs[] = {
	{ "list", alerts_list }, { "ack", alerts_ack }, { "resolve", alerts_resolve },
};

static const struct bosctl_subcmds alerts_cmd =
	BOSCTL_SUBCMDS("alerts", alerts_usage, alerts_subs, "list, ack or resolve", 0);

int
bosctl_cmd_alerts(int argc, char **argv)
{
	const struct alerts_sub *sub;
	struct alerts_opts o;
	struct http_client *hc;
	struct bos_err err;
	int r;

	if ((sub = bosctl_subcmd_find(&alerts_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = alerts_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&alerts_cmd, r);
	if ((r = alerts_check_opts(sub->name, &o)) != 0)
		return r;
	bos_err_clear(&err);
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	r = sub->run(hc, &o, &err);
	http_client_free(hc);
	return r == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}
