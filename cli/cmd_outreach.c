/*
 * bosctl outreach (contact lists, suppressions, email and SMS campaigns,
 * stats; its ads are cli/cmd_ad.c) and bosctl campaign (list, show, start, pause, resume, cancel):
 * docs/OUTREACH.md. Each subcommand runs one tool of bosctl mcp (cli/
 * tool_outreach.c, cli/tool_campaign.c): one code path. What bosctl adds
 * is reading files (the contacts, the bodies) and the options.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bosctl.h"
#include "tool_cli.h"

/*
 * File limits: a contacts file as large as the vault's largest body
 * (body_max_bytes at most 16 MiB; the vault's own setting answers 413
 * beyond it), and the bodies as docs/OUTREACH.md bounds them (an SMS body
 * is 1600 characters of up to 4 bytes).
 */
#define OUTREACH_IMPORT_MAX (16u * 1024 * 1024)
#define OUTREACH_TEXT_MAX (64u * 1024)
#define OUTREACH_HTML_MAX (256u * 1024)
#define OUTREACH_BODY_MAX (1600u * 4)
#define OUTREACH_ARGS_MAX 3

/* The options; which subcommand takes which is in outreach_subs[].opts. */
enum {
	OO_FORMAT = 1 << 0, OO_APPEND = 1 << 1, OO_CHANNEL = 1 << 2, OO_LIST = 1 << 3,
	OO_FROM = 1 << 4, OO_SUBJECT = 1 << 5, OO_TEXT = 1 << 6, OO_HTML = 1 << 7, OO_BODY = 1 << 8,
	OO_PROVIDER = 1 << 9, OO_CRED = 1 << 10, OO_RATE = 1 << 11, OO_DRAFT = 1 << 12,
	OO_CAMPAIGN = 1 << 13, OO_STATE = 1 << 14,
};

struct outreach_opts {
	const char *format, *channel, *list, *from, *subject, *text_file, *html_file, *body_file;
	const char *provider, *credential, *per_minute, *campaign, *state;
	const char *args[OUTREACH_ARGS_MAX];
	int nargs, json;
	unsigned given;
};

static void
outreach_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl outreach list import NAME FILE [--format csv|json] [--append] [--json]\n"
	    "       bosctl outreach list ls [--json]            (or: bosctl outreach lists)\n"
	    "       bosctl outreach suppress ADDRESS [--channel email|sms] [--json]\n"
	    "       bosctl outreach suppressions [--channel email|sms] [--json]\n"
	    "       bosctl outreach email --list L --from F --subject S --text-file FILE\n"
	    "                 [--html-file FILE] --provider P [--credential C] [--per-minute N]\n"
	    "                 [--draft] [--json]\n"
	    "       bosctl outreach sms --list L --from F --body-file FILE --provider P\n"
	    "                 [--credential C] [--per-minute N] [--draft] [--json]\n"
	    "       bosctl outreach stats [--campaign ID] [--json]\n"
	    "       bosctl outreach ad create|list|show|pause|resume ...   (see: bosctl outreach ad --help)\n"
	    "\n"
	    "Contact lists and campaigns (docs/OUTREACH.md). Admin commands: sign in first.\n"
	    "\n"
	    "  list import   create list NAME from FILE ('-': standard input); with --append\n"
	    "                add to the existing list NAME. CSV: a header line with email,\n"
	    "                phone, name, consent (email, sms, 'email,sms', none) and custom\n"
	    "                fields. JSON: an array of {email, phone, name, consent, fields}.\n"
	    "                All or nothing: any bad row and nothing is imported; the rows to\n"
	    "                fix are printed. Duplicates are skipped and counted.\n"
	    "  list ls       the lists: id, contacts, created, name (never the contacts)\n"
	    "  suppress      never send to ADDRESS (an e-mail address or +E.164 number) again\n"
	    "  suppressions  the suppressed addresses, with the reason\n"
	    "  email, sms    create a campaign to list L and start it (--draft: later, with\n"
	    "                'bosctl campaign start ID'). Only contacts who consented to the\n"
	    "                channel get a message; suppressed addresses never do.\n"
	    "  stats         sent, delivered, opened, clicked, replied ... and rates\n"
	    "  ad            Meta ads within the budgets of meta and total (docs/ADS.md)\n"
	    "\n"
	    "  --format csv|json   the FILE's format (default: json for *.json, else csv)\n"
	    "  --append            add to an existing list\n"
	    "  --channel CH        email or sms\n"
	    "  --list L            the contact list's id (ol_...) or name\n"
	    "  --from F            email: an address or 'Name <address>'; sms: +E.164 or sender id\n"
	    "  --subject S         the email's subject ({{name}} and other merge tags work)\n"
	    "  --text-file FILE    the email's text (at most 64 KiB)\n"
	    "  --html-file FILE    the email's html (optional, at most 256 KiB)\n"
	    "  --body-file FILE    the SMS text (at most 1600 characters; a final newline is\n"
	    "                      dropped)\n"
	    "  --provider P        email: smtp, sendgrid, mailgun, ses; sms: twilio, plivo\n"
	    "  --credential C      the provider credential's id or name (default: the only one)\n"
	    "  --per-minute N      messages a minute, 1-6000 (default 10)\n"
	    "  --draft             create the campaign without starting it\n"
	    "  --campaign ID       stats of one campaign (default: all)\n"
	    "  --json              the tool's output as JSON (lists: one object per line)\n"
	    "  --help              this text\n");
}

static void
campaign_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl campaign list [--state draft|running|paused|done|cancelled] [--json]\n"
	    "       bosctl campaign show ID [--json]\n"
	    "       bosctl campaign start|pause|resume|cancel ID [--json]\n"
	    "\n"
	    "Outreach campaigns (create one with 'bosctl outreach email' or 'sms'). Admin\n"
	    "commands: sign in first.\n"
	    "\n"
	    "  list    one row per campaign: id, channel, state, provider, sent/recipients,\n"
	    "          failed, list, created\n"
	    "  show    the campaign's counts, price and spend, and its text, html or body\n"
	    "  start   start a draft\n"
	    "  pause   stop sending (a message already being sent finishes)\n"
	    "  resume  go on with the messages not yet sent\n"
	    "  cancel  drop every message not yet sent, for good\n"
	    "\n"
	    "  --state STATE  list only campaigns in that state\n"
	    "  --json         the tool's output as JSON (list: one object per line)\n"
	    "  --help         this text\n");
}

/* 0 parsed, 1 --help, -1 usage error. */
static int
outreach_parse(int argc, char **argv, struct outreach_opts *o)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' }, { "append", no_argument, NULL, 'A' },
		{ "channel", required_argument, NULL, 'c' }, { "list", required_argument, NULL, 'l' },
		{ "from", required_argument, NULL, 'f' }, { "subject", required_argument, NULL, 's' },
		{ "text-file", required_argument, NULL, 't' },
		{ "html-file", required_argument, NULL, 'H' },
		{ "body-file", required_argument, NULL, 'b' },
		{ "provider", required_argument, NULL, 'p' },
		{ "credential", required_argument, NULL, 'C' },
		{ "per-minute", required_argument, NULL, 'm' }, { "draft", no_argument, NULL, 'd' },
		{ "campaign", required_argument, NULL, 'P' }, { "state", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct { int c; unsigned bit; size_t off; } map[] = {
		{ 'F', OO_FORMAT, offsetof(struct outreach_opts, format) },
		{ 'c', OO_CHANNEL, offsetof(struct outreach_opts, channel) },
		{ 'l', OO_LIST, offsetof(struct outreach_opts, list) },
		{ 'f', OO_FROM, offsetof(struct outreach_opts, from) },
		{ 's', OO_SUBJECT, offsetof(struct outreach_opts, subject) },
		{ 't', OO_TEXT, offsetof(struct outreach_opts, text_file) },
		{ 'H', OO_HTML, offsetof(struct outreach_opts, html_file) },
		{ 'b', OO_BODY, offsetof(struct outreach_opts, body_file) },
		{ 'p', OO_PROVIDER, offsetof(struct outreach_opts, provider) },
		{ 'C', OO_CRED, offsetof(struct outreach_opts, credential) },
		{ 'm', OO_RATE, offsetof(struct outreach_opts, per_minute) },
		{ 'P', OO_CAMPAIGN, offsetof(struct outreach_opts, campaign) },
		{ 'S', OO_STATE, offsetof(struct outreach_opts, state) },
	};
	size_t i;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		for (i = 0; i < BOS_ARRAY_LEN(map); i++)
			if (map[i].c == c)
				break;
		if (i < BOS_ARRAY_LEN(map)) {
			*(const char **)(void *)((char *)o + map[i].off) = optarg;
			o->given |= map[i].bit;
			continue;
		}
		switch (c) {
		case 'A': o->given |= OO_APPEND; break;
		case 'd': o->given |= OO_DRAFT; break;
		case 'j': o->json = 1; break;
		case 'h': return 1;
		default: return -1;
		}
	}
	while (optind < argc && o->nargs < OUTREACH_ARGS_MAX)
		o->args[o->nargs++] = argv[optind++];
	return optind == argc ? 0 : -1;
}

/* The whole of path ('-': standard input), at most max bytes, NUL-terminated. */
static int
outreach_slurp(const char *path, const char *what, size_t max, char **data, size_t *len,
    struct bos_err *err)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC), e = 0;
	size_t n = 0;
	ssize_t k;
	char *p;

	if (fd < 0)
		return bos_err_set(err, BOS_E_IO, "cannot open %s '%s': %s", what, path,
		    strerror(errno));
	/* One byte past max tells "exactly max" from "more"; one more for the NUL. */
	if ((p = malloc(max + 2)) == NULL)
		e = ENOMEM;
	while (p != NULL && n <= max) {
		k = read(fd, p + n, max + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			e = errno;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (e == 0 && n > max)
		e = EFBIG;
	if (e != 0) {
		free(p);
		if (e == EFBIG)
			return bos_err_set(err, BOS_E_IO, "%s '%s' is larger than %zu bytes", what,
			    path, max);
		return bos_err_set(err, BOS_E_IO, "cannot read %s '%s': %s", what, path,
		    strerror(e));
	}
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
}

/* args[key] = the text of file (UTF-8); chomp drops final newlines. 0 or -1. */
static int
outreach_put_file(json_t *args, const char *key, const char *file, const char *what, size_t max,
    int chomp, struct bos_err *err)
{
	size_t len;
	char *text;
	json_t *s;

	if (file == NULL)
		return 0;
	if (outreach_slurp(file, what, max, &text, &len, err) != 0)
		return -1;
	while (chomp && len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	s = len > 0 ? json_stringn(text, len) : NULL;
	free(text);
	if (s == NULL)
		return bos_err_set(err, BOS_E_CORRUPT, "%s '%s' is %s", what, file, len == 0 ?
		    "empty" : "not UTF-8 text (or holds a NUL byte)");
	return json_object_set_new(args, key, s) == 0 ? 0 : bos_err_set(err, BOS_E_NOMEM,
	    "out of memory");
}

/* ---- the subcommands ---- */

struct outreach_sub {
	const char *name;
	const char *tool, *key;  /* --json prints out[key] (NULL: all of out) */
	unsigned opts;           /* the options it takes */
	int nargs;               /* positional arguments */
	const char *args_use;    /* what they are, for messages */
	int (*build)(const struct outreach_opts *o, json_t *args, struct bos_err *err);
};

static int
outreach_build_import(const struct outreach_opts *o, json_t *args, struct bos_err *err)
{
	const char *file = o->args[2], *fmt = o->format, *dot;
	json_t *v, *contacts;
	json_error_t je;
	size_t len;
	char *text;
	int r;

	if (fmt == NULL) {
		dot = strrchr(file, '.');
		fmt = dot != NULL && strcmp(dot, ".json") == 0 ? "json" : "csv";
	}
	if (strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0)
		return bos_err_set(err, BOS_E_INVALID, "--format is csv or json");
	if (json_object_set_new(args, "name", json_string(o->args[1])) != 0 ||
	    json_object_set_new(args, "format", json_string(fmt)) != 0 ||
	    ((o->given & OO_APPEND) && json_object_set_new(args, "append", json_true()) != 0))
		return bos_err_set(err, BOS_E_INVALID, "the list's name must be UTF-8 text");
	if (strcmp(fmt, "csv") == 0)
		return outreach_put_file(args, "data", file, "the contacts file", OUTREACH_IMPORT_MAX,
		    0, err);
	if (outreach_slurp(file, "the contacts file", OUTREACH_IMPORT_MAX, &text, &len, err) != 0)
		return -1;
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (v == NULL)
		return bos_err_set(err, BOS_E_CORRUPT, "the contacts file '%s' is not JSON: line "
		    "%d: %s", file, je.line, je.text);
	contacts = json_is_array(v) ? v : json_object_get(v, "contacts");
	if (!json_is_array(contacts)) {
		json_decref(v);
		return bos_err_set(err, BOS_E_CORRUPT, "the contacts file '%s' holds no array of "
		    "contacts ([{\"email\": ..., \"consent\": \"email\"}, ...])", file);
	}
	r = json_object_set(args, "contacts", contacts);
	json_decref(v);
	return r == 0 ? 0 : bos_err_set(err, BOS_E_NOMEM, "out of memory");
}

/* --channel CH as args.channel, checked here so that a typo is a usage error. */
static int
outreach_build_channel(const struct outreach_opts *o, json_t *args, struct bos_err *err)
{
	if (o->channel == NULL)
		return 0;
	if (strcmp(o->channel, "email") != 0 && strcmp(o->channel, "sms") != 0)
		return bos_err_set(err, BOS_E_INVALID, "--channel is email or sms");
	return json_object_set_new(args, "channel", json_string(o->channel));
}

static int
outreach_build_suppress(const struct outreach_opts *o, json_t *args, struct bos_err *err)
{
	if (json_object_set_new(args, "address", json_string(o->args[0])) != 0)
		return bos_err_set(err, BOS_E_INVALID, "the address must be UTF-8 text");
	return outreach_build_channel(o, args, err);
}

/* A string option into args (UTF-8, or an error naming the option). */
static int
outreach_put_opt(json_t *args, const char *key, const char *v, const char *opt,
    struct bos_err *err)
{
	if (v == NULL)
		return 0;
	if (json_object_set_new(args, key, json_string(v)) != 0)
		return bos_err_set(err, BOS_E_INVALID, "%s must be UTF-8 text", opt);
	return 0;
}

static int
outreach_build_campaign(const struct outreach_opts *o, json_t *args, int email,
    struct bos_err *err)
{
	char *end;
	long n = 0;

	if (o->list == NULL || o->from == NULL || o->provider == NULL)
		return bos_err_set(err, BOS_E_INVALID, "give --list, --from and --provider");
	if (email && (o->subject == NULL || o->text_file == NULL))
		return bos_err_set(err, BOS_E_INVALID, "an email needs --subject and --text-file");
	if (!email && o->body_file == NULL)
		return bos_err_set(err, BOS_E_INVALID, "an sms needs --body-file");
	if (o->per_minute != NULL) {
		errno = 0;
		n = strtol(o->per_minute, &end, 10);
		if (errno != 0 || end == o->per_minute || *end != '\0' || n < 1 || n > 6000)
			return bos_err_set(err, BOS_E_INVALID, "--per-minute is a whole number from "
			    "1 to 6000");
	}
	if (json_object_set_new(args, "channel", json_string(email ? "email" : "sms")) != 0 ||
	    outreach_put_opt(args, "list", o->list, "--list", err) != 0 ||
	    outreach_put_opt(args, "from", o->from, "--from", err) != 0 ||
	    outreach_put_opt(args, "subject", o->subject, "--subject", err) != 0 ||
	    outreach_put_opt(args, "provider", o->provider, "--provider", err) != 0 ||
	    outreach_put_opt(args, "credential", o->credential, "--credential", err) != 0 ||
	    (n > 0 && json_object_set_new(args, "per_minute", json_integer(n)) != 0) ||
	    ((o->given & OO_DRAFT) && json_object_set_new(args, "start", json_false()) != 0))
		return -1;
	return outreach_put_file(args, "text", o->text_file, "the text file", OUTREACH_TEXT_MAX, 0,
	    err) != 0 || outreach_put_file(args, "html", o->html_file, "the html file",
	    OUTREACH_HTML_MAX, 0, err) != 0 || outreach_put_file(args, "body", o->body_file,
	    "the body file", OUTREACH_BODY_MAX, 1, err) != 0 ? -1 : 0;
}

static int
outreach_build_email(const struct outreach_opts *o, json_t *args, struct bos_err *err)
{
	return outreach_build_campaign(o, args, 1, err);
}

static int
outreach_build_sms(const struct outreach_opts *o, json_t *args, struct bos_err *err)
{
	return outreach_build_campaign(o, args, 0, err);
}

static int
outreach_build_stats(const struct outreach_opts *o, json_t *args, struct bos_err *err)
{
	return outreach_put_opt(args, "campaign", o->campaign, "--campaign", err);
}

static int
campaign_build_list(const struct outreach_opts *o, json_t *args, struct bos_err *err)
{
	static const char *const states[] = { "draft", "running", "paused", "done", "cancelled" };
	size_t i;

	if (o->state == NULL)
		return 0;
	for (i = 0; i < BOS_ARRAY_LEN(states); i++)
		if (strcmp(o->state, states[i]) == 0)
			return json_object_set_new(args, "state", json_string(o->state));
	return bos_err_set(err, BOS_E_INVALID, "--state is draft, running, paused, done or "
	    "cancelled");
}

static int
campaign_build_id(const struct outreach_opts *o, json_t *args, struct bos_err *err)
{
	if (json_object_set_new(args, "id", json_string(o->args[0])) != 0)
		return bos_err_set(err, BOS_E_INVALID, "the campaign id must be UTF-8 text");
	return 0;
}

#define OO_CAMPAIGN_OPTS (OO_LIST | OO_FROM | OO_PROVIDER | OO_CRED | OO_RATE | OO_DRAFT)

/* "list" takes import|ls as its first argument: see outreach_list_sub. */
static const struct outreach_sub outreach_subs[] = {
	{ "list", NULL, NULL, OO_FORMAT | OO_APPEND, -1, NULL, NULL },
	{ "lists", "outreach_lists", "lists", 0, 0, NULL, NULL },
	{ "suppress", "outreach_suppress", "suppression", OO_CHANNEL, 1, "the ADDRESS",
	  outreach_build_suppress },
	{ "suppressions", "outreach_suppressions", "suppressions", OO_CHANNEL, 0, NULL,
	  outreach_build_channel },
	{ "email", "campaign_create", "campaign", OO_CAMPAIGN_OPTS | OO_SUBJECT | OO_TEXT | OO_HTML, 0,
	  NULL, outreach_build_email },
	{ "sms", "campaign_create", "campaign", OO_CAMPAIGN_OPTS | OO_BODY, 0, NULL,
	  outreach_build_sms },
	{ "stats", "outreach_stats", "stats", OO_CAMPAIGN, 0, NULL, outreach_build_stats },
};
static const struct outreach_sub outreach_list_subs[] = {
	{ "import", "outreach_list_import", NULL, OO_FORMAT | OO_APPEND, 3, "NAME and FILE",
	  outreach_build_import },
	{ "ls", "outreach_lists", "lists", 0, 1, NULL, NULL },
};
static const struct outreach_sub campaign_subs[] = {
	{ "list", "campaigns_list", "campaigns", OO_STATE, 0, NULL, campaign_build_list },
	{ "show", "campaign_show", "campaign", 0, 1, "the campaign's ID (cp_...)",
	  campaign_build_id },
	{ "start", "campaign_start", "campaign", 0, 1, "the campaign's ID (cp_...)",
	  campaign_build_id },
	{ "pause", "campaign_pause", "campaign", 0, 1, "the campaign's ID (cp_...)",
	  campaign_build_id },
	{ "resume", "campaign_resume", "campaign", 0, 1, "the campaign's ID (cp_...)",
	  campaign_build_id },
	{ "cancel", "campaign_cancel", "campaign", 0, 1, "the campaign's ID (cp_...)",
	  campaign_build_id },
};

static const struct bosctl_subcmds outreach_cmd = BOSCTL_SUBCMDS("outreach", outreach_usage,
    outreach_subs, "list, lists, suppress, suppressions, email, sms, stats or ad", 0);
static const struct bosctl_subcmds campaign_cmd = BOSCTL_SUBCMDS("campaign", campaign_usage,
    campaign_subs, "list, show, start, pause, resume or cancel", 0);

/* 'list import|ls': the entry its first argument names, or NULL after a usage error. */
static const struct outreach_sub *
outreach_list_sub(const struct outreach_opts *o, int *rc)
{
	size_t i;

	for (i = 0; o->nargs > 0 && i < BOS_ARRAY_LEN(outreach_list_subs); i++)
		if (strcmp(o->args[0], outreach_list_subs[i].name) == 0)
			return &outreach_list_subs[i];
	*rc = bosctl_usage_fail("outreach", "list takes import or ls: 'bosctl outreach list "
	    "import NAME FILE' or 'bosctl outreach list ls'");
	return NULL;
}

/* Options the subcommand does not take, and the count of its arguments. */
static int
outreach_check(const char *cmd, const char *name, const struct outreach_sub *sub,
    const struct outreach_opts *o)
{
	/* The options' names, in the order of their bits. */
	static const char *const names[] = { "--format", "--append", "--channel", "--list",
		"--from", "--subject", "--text-file", "--html-file", "--body-file", "--provider",
		"--credential", "--per-minute", "--draft", "--campaign", "--state" };
	unsigned extra = o->given & ~sub->opts;
	size_t i;

	for (i = 0; extra != 0 && i < BOS_ARRAY_LEN(names); i++)
		if (extra & (1u << i))
			return bosctl_usage_fail(cmd, "%s does not take %s", name, names[i]);
	if (o->nargs != sub->nargs && sub->args_use == NULL)
		return bosctl_usage_fail(cmd, "%s takes no argument", name);
	if (o->nargs != sub->nargs)
		return bosctl_usage_fail(cmd, "%s needs %s", name, sub->args_use);
	return BOSCTL_EXIT_OK;
}

/*
 * A paged list (the suppressions): the tool page after page (at most 1000
 * rows each), every row printed, until the vault says there is no next.
 */
#define OUTREACH_PAGES_MAX 100000
static int
outreach_pages(const struct outreach_sub *sub, json_t *args, int json)
{
	const char *next;
	json_t *out;
	size_t pages;
	int r = BOSCTL_EXIT_OK, more = 1;

	if (json_object_set_new(args, "limit", json_integer(1000)) != 0)
		return bosctl_fail("out of memory");
	for (pages = 0; more && r == BOSCTL_EXIT_OK && pages < OUTREACH_PAGES_MAX; pages++) {
		if ((r = tool_cli_call(sub->tool, args, &out)) != BOSCTL_EXIT_OK)
			break;
		/* The cursor goes back to the vault, not to the reader: they get every row. */
		next = json_string_value(json_object_get(out, "next"));
		more = next != NULL;
		if (more && json_object_set_new(args, "cursor", json_string(next)) != 0)
			r = bosctl_fail("out of memory");
		if (json_object_set_new(out, "next", json_null()) != 0)
			r = bosctl_fail("out of memory");
		if (r == BOSCTL_EXIT_OK)
			r = tool_cli_print_key(sub->tool, out, json, sub->key);
		json_decref(out);
	}
	return r;
}

/*
 * Build the tool's arguments and run it. A bad option value is a usage
 * error (exit 2); a file that cannot be read or is not what it should be,
 * and whatever the vault refuses, an error (exit 1).
 */
static int
outreach_run(const char *cmd, const char *name, const struct outreach_sub *sub,
    const struct outreach_opts *o)
{
	struct bos_err err;
	json_t *args;
	int r;

	if ((r = outreach_check(cmd, name, sub, o)) != BOSCTL_EXIT_OK)
		return r;
	if ((args = json_object()) == NULL)
		return bosctl_fail("out of memory");
	bos_err_clear(&err);
	if (sub->build != NULL && sub->build(o, args, &err) != 0) {
		json_decref(args);
		if (err.code == BOS_E_INVALID)
			return bosctl_usage_fail(cmd, "%s", err.msg);
		return bosctl_fail("%s", err.msg);
	}
	if (strcmp(sub->tool, "outreach_suppressions") == 0)
		r = outreach_pages(sub, args, o->json);
	else
		r = tool_cli_cmd(sub->tool, args, o->json, sub->key);
	json_decref(args);
	return r;
}

int
bosctl_cmd_outreach(int argc, char **argv)
{
	const struct outreach_sub *sub;
	struct outreach_opts o;
	int r;

	/* 'ad' has options and subcommands of its own. */
	if (argc > 1 && strcmp(argv[1], "ad") == 0)
		return bosctl_cmd_outreach_ad(argc - 1, argv + 1);
	if ((sub = bosctl_subcmd_find(&outreach_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = outreach_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&outreach_cmd, r);
	if (sub->tool != NULL)
		return outreach_run("outreach", sub->name, sub, &o);
	if ((sub = outreach_list_sub(&o, &r)) == NULL)
		return r;
	return outreach_run("outreach", strcmp(sub->name, "ls") == 0 ? "list ls" : "list import",
	    sub, &o);
}

int
bosctl_cmd_campaign(int argc, char **argv)
{
	const struct outreach_sub *sub;
	struct outreach_opts o;
	int r;

	if ((sub = bosctl_subcmd_find(&campaign_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = outreach_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&campaign_cmd, r);
	return outreach_run("campaign", sub->name, sub, &o);
}
