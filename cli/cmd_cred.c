/*
 * bosctl cred: credential commands. With a state directory (--state-dir or
 * $BOS_STATE_DIR) they open the vault's files directly; without one they go
 * through the vault's API as the signed-in admin (cmd_cred_api.c). Secrets come from a prompt or standard input; a
 * secret is printed only by 'show --reveal'.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bosctl.h"
#include "store/cred.h"
#include "io.h"
#include "secmem.h"
#include "secret_input.h"
#include "core/state.h"

static void
cred_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl cred add --name NAME --type TYPE --service SERVICE [--metadata JSON]\n"
	    "       bosctl cred list [--service SERVICE] [--type TYPE] [--json]\n"
	    "       bosctl cred show ID|NAME [--reveal] [--version N] [--json]\n"
	    "       bosctl cred update ID|NAME\n"
	    "       bosctl cred revoke ID|NAME\n"
	    "       bosctl cred versions ID|NAME\n"
	    "\n"
	    "Without --state-dir DIR (or $BOS_STATE_DIR) the commands go through the vault's\n"
	    "API ($BOS_ADDR, default https://127.0.0.1:8025) as the admin signed in with\n"
	    "'bosctl login NAME'. With a state directory they open the vault's files directly\n"
	    "(local mode).\n"
	    "\n"
	    "TYPE is api_key, password, card, bank_account or secret. The secret of 'add' and\n"
	    "'update' is read from a prompt (no echo) or from standard input, never from the\n"
	    "command line. For a card the secret is the card number; only brand, first 6 and\n"
	    "last 4 digits are kept in clear, and a CVV is refused. 'show' prints metadata;\n"
	    "'show --reveal' prints only the secret (of --version N, default the current one)\n"
	    "on standard output.\n"
	    "\n"
	    "  --name NAME         name of the new credential (add)\n"
	    "  --type TYPE         type of the new credential (add); filter (list)\n"
	    "  --service SERVICE   service it belongs to (add); filter (list)\n"
	    "  --metadata JSON     clear-text metadata, a JSON object (add); never a secret\n"
	    "  --reveal            print the secret alone (show)\n"
	    "  --version N         which version to reveal (show --reveal)\n"
	    "  --json              machine-readable output: one JSON object per line\n"
	    "  --state-dir DIR     local mode on DIR instead of the API\n");
}

static int
cred_parse(int argc, char **argv, struct cred_opts *o)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' }, { "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' }, { "service", required_argument, NULL, 's' },
		{ "metadata", required_argument, NULL, 'm' }, { "version", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' }, { "reveal", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->dir = getenv("BOS_STATE_DIR");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'n': o->name = optarg; break;
		case 't': o->type = optarg; break;
		case 's': o->service = optarg; break;
		case 'm': o->metadata = optarg; break;
		case 'j': o->json = 1; break;
		case 'r': o->reveal = 1; break;
		case 'v':
			o->version = strtoul(optarg, &end, 10);
			if (*end != '\0' || o->version == 0 || o->version > UINT32_MAX)
				return -1;
			break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind < argc)
		o->target = argv[optind++];
	return optind == argc ? 0 : -1;
}

static json_t *
cred_meta_json(const struct cred_meta *m)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "id", m->id,
	    "name", m->name, "type", cred_type_name(m->type), "service", m->service,
	    "version", (json_int_t)m->version, "created_at", (json_int_t)m->created_at,
	    "updated_at", (json_int_t)m->updated_at, "revoked", m->revoked_at != 0);
	json_t *md = json_loads(m->metadata_json ? m->metadata_json : "{}", 0, NULL);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "metadata", md ? md : json_object());
	if (m->type == CRED_CARD)
		json_object_set_new(o, "card", json_pack("{s:s, s:s, s:s}", "brand", m->card_brand,
		    "first6", m->card_first6, "last4", m->card_last4));
	return o;
}

static void
cred_print_meta(const struct cred_meta *m, int json)
{
	json_t *o;

	if (json) {
		if ((o = cred_meta_json(m)) != NULL) {
			json_dumpf(o, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(o);
		}
		return;
	}
	printf("id:       %s\nname:     %s\ntype:     %s\nservice:  %s\nversion:  %u\n"
	    "status:   %s\nmetadata: %s\n", m->id, m->name, cred_type_name(m->type), m->service,
	    m->version, m->revoked_at ? "revoked" : "active", m->metadata_json ? m->metadata_json : "{}");
	if (m->type == CRED_CARD)
		printf("card:     %s %s******%s\n", m->card_brand, m->card_first6, m->card_last4);
}

static int
cred_list_cb(const struct cred_meta *m, void *arg)
{
	int json = *(int *)arg;

	if (json)
		cred_print_meta(m, 1);
	else
		printf("%-28s %-13s %-12s v%-4u %-8s %s\n", m->id, cred_type_name(m->type), m->service,
		    m->version, m->revoked_at ? "revoked" : "active", m->name);
	return 0;
}

static int
cred_versions_cb(uint32_t version, int64_t created_at, void *arg)
{
	(void)arg;
	printf("v%u\tcreated %lld\n", version, (long long)created_at);
	return 0;
}

static int
cred_do_add(struct cred_ctx *cc, const struct cred_opts *o, struct bos_err *err)
{
	struct cred_new n = { .name = o->name, .service = o->service, .metadata_json = o->metadata };
	char id[CRED_ID_LEN + 1];
	uint8_t *secret = NULL;
	size_t len = 0;
	int r;

	if (o->name == NULL || o->type == NULL || o->service == NULL || o->target != NULL)
		return bos_err_set(err, BOS_E_INVALID, "add needs --name, --type and --service (see --help)");
	if (cred_type_parse(o->type, &n.type) != 0)
		return bos_err_set(err, BOS_E_INVALID, "unknown type '%s': use api_key, password, "
		    "card, bank_account or secret", o->type);
	if (secret_input_read("secret", 1, &secret, &len, err) != 0)
		return -1;
	n.secret = secret;
	n.secret_len = len;
	r = cred_create(cc, &n, id, err);
	secmem_freezero(secret, len);
	if (r == 0)
		printf("%s\n", id);
	return r;
}

/*
 * show prints metadata; show --reveal prints the secret alone (so it can be
 * piped), and only after it decrypted: a failed read prints nothing.
 */
static int
cred_do_show(struct cred_ctx *cc, const struct cred_opts *o, struct bos_err *err)
{
	struct cred_meta m;
	uint8_t *secret = NULL;
	size_t len = 0;
	int r = 0;

	if (cred_get(cc, o->target, &m, err) != 0)
		return -1;
	if (!o->reveal) {
		cred_print_meta(&m, o->json);
		cred_meta_free(&m);
		return 0;
	}
	if (cred_read_secret(cc, m.id, (uint32_t)o->version, &secret, &len, err) == 0) {
		if (io_write_full(STDOUT_FILENO, secret, len) != 0 ||
		    io_write_full(STDOUT_FILENO, "\n", 1) != 0)
			r = bos_err_set(err, BOS_E_IO, "cannot write the secret to standard output");
		secmem_freezero(secret, len);
	} else {
		r = -1;
	}
	cred_meta_free(&m);
	return r;
}

static int
cred_do_update(struct cred_ctx *cc, const struct cred_opts *o, struct bos_err *err)
{
	struct cred_meta m;
	uint8_t *secret = NULL;
	size_t len = 0;
	uint32_t version = 0;
	int r;

	if (cred_get(cc, o->target, &m, err) != 0)
		return -1;
	r = secret_input_read("new secret", 1, &secret, &len, err);
	if (r == 0)
		r = cred_update(cc, m.id, secret, len, &version, err);
	secmem_freezero(secret, len);
	if (r == 0)
		printf("%s is now at version %u\n", m.id, version);
	cred_meta_free(&m);
	return r;
}

static int
cred_do_by_target(struct cred_ctx *cc, const char *sub, const struct cred_opts *o,
    struct bos_err *err)
{
	struct cred_meta m;
	int r;

	if (o->target == NULL)
		return bos_err_set(err, BOS_E_INVALID, "%s needs a credential ID or NAME", sub);
	if (strcmp(sub, "show") == 0 || strcmp(sub, "get") == 0)
		return cred_do_show(cc, o, err);
	if (strcmp(sub, "update") == 0)
		return cred_do_update(cc, o, err);
	if (cred_get(cc, o->target, &m, err) != 0)
		return -1;
	if (strcmp(sub, "revoke") == 0) {
		r = cred_revoke(cc, m.id, err);
		if (r == 0)
			printf("revoked %s\n", m.id);
	} else {
		r = cred_list_versions(cc, m.id, cred_versions_cb, NULL, err);
	}
	cred_meta_free(&m);
	return r;
}

static int
cred_dispatch(struct cred_ctx *cc, const char *sub, struct cred_opts *o, struct bos_err *err)
{
	if (strcmp(sub, "add") == 0)
		return cred_do_add(cc, o, err);
	if (strcmp(sub, "list") == 0)
		return cred_list(cc, o->service, o->type, cred_list_cb, &o->json, err);
	return cred_do_by_target(cc, sub, o, err);
}

int
bosctl_cmd_cred(int argc, char **argv)
{
	static const char *const subs[] = { "add", "list", "show", "get", "update", "revoke", "versions" };
	struct cred_opts o;
	struct state st;
	struct cred_ctx cc;
	struct bos_err err;
	const char *sub;
	size_t i;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		cred_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? BOSCTL_EXIT_USAGE : BOSCTL_EXIT_OK;
	}
	sub = argv[1];
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]) && strcmp(sub, subs[i]) != 0; i++)
		;
	if (i == sizeof(subs) / sizeof(subs[0])) {
		fprintf(stderr, "bosctl cred: unknown subcommand '%s'\n\n", sub);
		cred_usage(stderr);
		return BOSCTL_EXIT_USAGE;
	}
	if ((r = cred_parse(argc - 1, argv + 1, &o)) != 0) {
		cred_usage(r > 0 ? stdout : stderr);
		return r > 0 ? BOSCTL_EXIT_OK : BOSCTL_EXIT_USAGE;
	}
	if (o.dir == NULL)
		return bosctl_cred_api(sub, &o);
	bos_err_clear(&err);
	if (state_open(o.dir, &st, &err) != 0)
		return bosctl_fail("%s", err.msg);
	cc = (struct cred_ctx){ st.store, st.hsm, st.kek_version };
	r = cred_dispatch(&cc, sub, &o, &err);
	state_close(&st);
	if (r != 0)
		return bosctl_fail("%s", err.msg);
	return BOSCTL_EXIT_OK;
}
