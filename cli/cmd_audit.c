/*
 * bosctl audit tail | search | export | pubkey | verify: read the vault's
 * tamper-evident audit trail (docs/AUDIT.md) and check an export of it
 * offline. tail, search, export and pubkey are admin commands over the
 * vault's API with the session of 'bosctl login'; verify needs no vault, no
 * HSM and no session, only the export and the audit public key.
 *
 * The export is streamed into FILE.tmp (O_EXCL, O_NOFOLLOW, 0640), synced
 * and renamed onto FILE, so a failed download never leaves half an export
 * under FILE. It goes through http_client_download(), the transport of
 * every other request, because http_client_call() holds one JSON object of
 * at most 1 MiB and an export is JSON lines of any length.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "audit_chain.h"
#include "bosctl.h"
#include "http_client.h"
#include "tool_cli.h"
#include "io.h"

#define AUDIT_TAIL_DEFAULT 20
#define AUDIT_COUNT_MAX 1000000LL          /* -n and --limit */
#define AUDIT_PAGE_DEFAULT 100             /* the vault's default page */
#define AUDIT_PAGE_MAX 1000                /* the vault's largest page */
#define AUDIT_TIME_MAX 40                  /* "YYYY-MM-DDTHH:MM:SS.fffffffffZ" */
#define AUDIT_FILE_MAX (1024LL * 1024 * 1024)  /* an export, read or downloaded */
#define AUDIT_KEYFILE_MAX (64 * 1024)
#define AUDIT_EXPORT_PATH "/credentials/audit/export"
#define AUDIT_PUBKEY_PATH "/credentials/audit/pubkey"
#define AUDIT_P256 "prime256v1"

/* Options, as bits: each subcommand lists those it takes. */
enum {
	AO_N = 1 << 0, AO_SINCE = 1 << 1, AO_UNTIL = 1 << 2, AO_PRINCIPAL = 1 << 3,
	AO_RESOURCE = 1 << 4, AO_ACTION = 1 << 5, AO_OUTCOME = 1 << 6, AO_LIMIT = 1 << 7,
	AO_PAGE = 1 << 8, AO_JSON = 1 << 9, AO_FORCE = 1 << 10, AO_PUBKEY = 1 << 11,
	AO_OUT = 1 << 12, AO_UNSIGNED_TAIL = 1 << 13, AO_TRUSTED = 1 << 14,
};
#define AO_FILTERS (AO_SINCE | AO_UNTIL | AO_PRINCIPAL | AO_RESOURCE | AO_ACTION | AO_OUTCOME)

/* The option of each bit above, in order, for messages. */
static const char *const audit_opt_names[] = { "-n", "--since", "--until", "--principal",
	"--resource", "--action", "--outcome", "--limit", "--page-size", "--json", "--force",
	"--pubkey", "--out", "--allow-unsigned-tail", "--trusted-checkpoint" };

static const char *const audit_outcomes[] = { "allow", "deny", "invalid", "error" };

/* The string fields of a record, in the order 'search' prints them. */
static const char *const audit_rec_fields[] = { "time", "principal", "action", "resource",
	"decision", "reason", "client", "request_id" };

struct audit_opts {
	const char *since, *until, *principal, *resource, *action, *outcome;
	const char *count_s, *limit_s, *page_s, *pubkey, *out, *file, *trusted;
	char since_utc[AUDIT_TIME_MAX], until_utc[AUDIT_TIME_MAX];
	long long count, limit, page;
	unsigned seen;
	int json, force, unsigned_tail;
};

struct audit_sub {
	const char *name;
	int (*run)(const struct audit_opts *o);
	unsigned allowed;
	int takes_file;
};

/* An export read into memory: data with its newlines turned into NULs. */
struct audit_lines {
	char *data;
	const char **line;
	size_t nline;
	size_t odd;            /* first line too long or holding a NUL byte (1-based), 0: none */
	int odd_long;          /* that line is too long (else it holds a NUL byte) */
};

static void
audit_usage(FILE *f)
{
	fprintf(f,
	    "usage: bosctl audit tail [-n N] [--json]\n"
	    "       bosctl audit search [--since TIME] [--until TIME] [--principal P]\n"
	    "           [--resource R] [--action A] [--outcome allow|deny|invalid|error]\n"
	    "           [--limit N] [--page-size N] [--json]\n"
	    "       bosctl audit export FILE [--force]\n"
	    "       bosctl audit pubkey [--out FILE [--force]]\n"
	    "       bosctl audit verify FILE --pubkey KEYFILE [--trusted-checkpoint CPFILE]\n"
	    "           [--allow-unsigned-tail] [--json]\n"
	    "\n"
	    "The vault records every request in a hash chain whose head it signs with an HSM\n"
	    "key (docs/AUDIT.md). tail, search, export and pubkey are admin commands: sign in\n"
	    "first with 'bosctl login'. verify works offline: no vault, no session.\n"
	    "\n"
	    "  tail    the newest N records (default %d), oldest first\n"
	    "  search  the records that match every filter given, oldest first, all of them\n"
	    "          or the first N (--limit); one line per record:\n"
	    "          #SEQ TIME PRINCIPAL ACTION RESOURCE DECISION (REASON) from CLIENT req ID\n"
	    "  export  the whole trail, records and signed checkpoints, as JSON lines into\n"
	    "          FILE (written to FILE.tmp, synced, then renamed; mode 0640)\n"
	    "  pubkey  the PEM public key of the current audit key, to stdout or FILE\n"
	    "  verify  check an export against the public key: every hash link, every\n"
	    "          checkpoint signature, and a checkpoint signed by the key that covers\n"
	    "          the last record (the vault signs before it exports). Exit 0 when it\n"
	    "          holds, 1 when it does not (FAILED at record #SEQ (line L): what is\n"
	    "          wrong), 2 on a usage error or a file that cannot be read. An empty\n"
	    "          export, or one that no signed checkpoint covers, always fails.\n"
	    "\n"
	    "  -n N, --lines N   how many records (tail; 1 to %lld)\n"
	    "  --since TIME      records at or after TIME, RFC 3339: 2026-11-28T21:00:00Z,\n"
	    "                    2026-11-28T22:00:00.5+01:00 (search)\n"
	    "  --until TIME      records before TIME (search)\n"
	    "  --principal P     records of this accessor (acc_...) only (search)\n"
	    "  --resource R      records whose resource starts with R (search)\n"
	    "  --action A        records of this action only, e.g. cred_get (search)\n"
	    "  --outcome O       allow, deny, invalid or error (search)\n"
	    "  --limit N         stop after N records (search; default: all)\n"
	    "  --page-size N     records per request to the vault, 1 to %d (default %d)\n"
	    "  --force           replace FILE when it exists (export, pubkey --out)\n"
	    "  --out FILE        write the key to FILE instead of stdout (pubkey)\n"
	    "  --pubkey KEYFILE  the PEM public key to verify with, from 'bosctl audit\n"
	    "                    pubkey' (verify); keep it apart from the vault\n"
	    "  --trusted-checkpoint CPFILE\n"
	    "                    a checkpoint you kept from before (a copy of the vault's\n"
	    "                    STATE/audit.head, or a checkpoint line of an older export):\n"
	    "                    the export must reach it and agree with it, so records cut\n"
	    "                    from the end or an older export are caught (verify)\n"
	    "  --allow-unsigned-tail\n"
	    "                    accept records after the last signed checkpoint and report\n"
	    "                    them as the unsigned tail; they prove nothing (verify)\n"
	    "  --json            tail, search: one JSON object per record per line;\n"
	    "                    verify: the report as one JSON object\n"
	    "  --help            this text\n",
	    AUDIT_TAIL_DEFAULT, AUDIT_COUNT_MAX, AUDIT_PAGE_MAX, AUDIT_PAGE_DEFAULT);
}

/* Record option c (a getopt_long value) with its argument; -1 when unknown. */
static int
audit_opt_set(struct audit_opts *o, int c, const char *arg)
{
	static const char keys[] = "nsupraolPjfkOUT";
	const char **dst[] = { &o->count_s, &o->since, &o->until, &o->principal, &o->resource,
		&o->action, &o->outcome, &o->limit_s, &o->page_s, NULL, NULL, &o->pubkey, &o->out,
		NULL, &o->trusted };
	const char *k = c != 0 ? strchr(keys, c) : NULL;
	size_t i;

	if (k == NULL)
		return -1;
	i = (size_t)(k - keys);
	o->seen |= 1u << i;
	if (dst[i] != NULL)
		*dst[i] = arg;
	o->json |= c == 'j';
	o->force |= c == 'f';
	o->unsigned_tail |= c == 'U';
	return 0;
}

/* 0 parsed, 1 --help, -1 usage error. Values are checked by audit_check_opts. */
static int
audit_parse(int argc, char **argv, struct audit_opts *o)
{
	static const struct option opts[] = {
		{ "lines", required_argument, NULL, 'n' }, { "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "principal", required_argument, NULL, 'p' },
		{ "resource", required_argument, NULL, 'r' },
		{ "action", required_argument, NULL, 'a' }, { "outcome", required_argument, NULL, 'o' },
		{ "limit", required_argument, NULL, 'l' },
		{ "page-size", required_argument, NULL, 'P' }, { "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' }, { "pubkey", required_argument, NULL, 'k' },
		{ "out", required_argument, NULL, 'O' }, { "help", no_argument, NULL, 'h' },
		{ "allow-unsigned-tail", no_argument, NULL, 'U' },
		{ "trusted-checkpoint", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (audit_opt_set(o, c, optarg) != 0)
			return -1;
	}
	if (optind < argc)
		o->file = argv[optind++];
	return optind == argc ? 0 : -1;
}

/* A whole number from 1 to max, nothing around it. */
static int
audit_number(const char *s, long long max, long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno != 0 || *end != '\0' || *v < 1 || *v > max ? -1 : 0;
}

/* n decimal digits at s into *v; -1 unless all are digits. */
static int
audit_digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SS" at s into tm, with the date checked against the calendar. */
static int
audit_time_fields(const char *s, struct tm *tm)
{
	int y, mo, d, h, mi, sec;
	struct tm chk;
	time_t t;

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || audit_digits(s, 4, &y) != 0 ||
	    audit_digits(s + 5, 2, &mo) != 0 || audit_digits(s + 8, 2, &d) != 0 ||
	    audit_digits(s + 11, 2, &h) != 0 || audit_digits(s + 14, 2, &mi) != 0 ||
	    audit_digits(s + 17, 2, &sec) != 0)
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	chk = *tm;
	t = timegm(&chk);
	/* timegm() moves 2026-02-30 to March: the day did not exist. */
	return t == (time_t)-1 || chk.tm_mday != d || chk.tm_mon != mo - 1 ? -1 : 0;
}

/* The zone at s: "Z" (0) or "+HH:MM" / "-HH:MM", as seconds east of UTC. */
static int
audit_time_zone(const char *s, long *east)
{
	int h, m;

	*east = 0;
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0')
		return 0;
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    audit_digits(s + 1, 2, &h) != 0 || audit_digits(s + 4, 2, &m) != 0 || h > 23 || m > 59)
		return -1;
	*east = (s[0] == '-' ? -1L : 1L) * (h * 3600L + m * 60L);
	return 0;
}

/*
 * An RFC 3339 date-time (fraction and zone offset allowed) in the vault's
 * form: UTC, "Z", the fraction kept as given. out holds AUDIT_TIME_MAX.
 */
static int
audit_time_norm(const char *s, char out[AUDIT_TIME_MAX])
{
	size_t flen = 0;
	struct tm tm;
	long east;
	time_t t;
	int k;

	if (audit_time_fields(s, &tm) != 0)
		return -1;
	if (s[19] == '.')
		for (flen = 1; s[19 + flen] >= '0' && s[19 + flen] <= '9'; flen++)
			;
	if (flen == 1 || flen > 10 || audit_time_zone(s + 19 + flen, &east) != 0)
		return -1;
	t = timegm(&tm) - east;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999 ||
	    strftime(out, AUDIT_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		return -1;
	k = snprintf(out + 19, AUDIT_TIME_MAX - 19, "%.*sZ", (int)flen, s + 19);
	return k > 0 && k < AUDIT_TIME_MAX - 19 ? 0 : -1;
}

static int
audit_outcome_valid(const char *s)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(audit_outcomes); i++)
		if (strcmp(s, audit_outcomes[i]) == 0)
			return 1;
	return 0;
}

/* The values of the options given: numbers, times, outcome. */
static int
audit_check_values(struct audit_opts *o)
{
	if (o->count_s != NULL && audit_number(o->count_s, AUDIT_COUNT_MAX, &o->count) != 0)
		return bosctl_usage_fail("audit", "-n takes a whole number from 1 to %lld",
		    AUDIT_COUNT_MAX);
	if (o->limit_s != NULL && audit_number(o->limit_s, AUDIT_COUNT_MAX, &o->limit) != 0)
		return bosctl_usage_fail("audit", "--limit takes a whole number from 1 to %lld",
		    AUDIT_COUNT_MAX);
	if (o->page_s != NULL && audit_number(o->page_s, AUDIT_PAGE_MAX, &o->page) != 0)
		return bosctl_usage_fail("audit", "--page-size takes a whole number from 1 to %d",
		    AUDIT_PAGE_MAX);
	if (o->since != NULL && audit_time_norm(o->since, o->since_utc) != 0)
		return bosctl_usage_fail("audit", "--since '%s' is not an RFC 3339 time such as "
		    "2026-11-28T21:00:00Z", o->since);
	if (o->until != NULL && audit_time_norm(o->until, o->until_utc) != 0)
		return bosctl_usage_fail("audit", "--until '%s' is not an RFC 3339 time such as "
		    "2026-11-28T21:00:00Z", o->until);
	if (o->outcome != NULL && !audit_outcome_valid(o->outcome))
		return bosctl_usage_fail("audit", "--outcome is allow, deny, invalid or error");
	return BOSCTL_EXIT_OK;
}

/* Options that do not fit the subcommand, FILE, then the values. */
static int
audit_check_opts(const struct audit_sub *sub, struct audit_opts *o)
{
	unsigned extra = o->seen & ~sub->allowed;

	if (extra != 0)
		return bosctl_usage_fail("audit", "'audit %s' does not take %s", sub->name,
		    audit_opt_names[__builtin_ctz(extra)]);
	if (sub->takes_file && o->file == NULL)
		return bosctl_usage_fail("audit", "'audit %s' needs a FILE", sub->name);
	if (!sub->takes_file && o->file != NULL)
		return bosctl_usage_fail("audit", "'audit %s' takes no argument ('%s')", sub->name,
		    o->file);
	if (strcmp(sub->name, "verify") == 0 && o->pubkey == NULL)
		return bosctl_usage_fail("audit", "verify needs --pubkey KEYFILE (the key from "
		    "'bosctl audit pubkey')");
	if (strcmp(sub->name, "pubkey") == 0 && o->force && o->out == NULL)
		return bosctl_usage_fail("audit", "--force goes with --out FILE");
	o->count = AUDIT_TAIL_DEFAULT;
	o->page = AUDIT_PAGE_DEFAULT;
	return audit_check_values(o);
}

/* ---- reading: tail and search ---- */

/* The filters given, as the audit tools take them (times already in UTC); NULL: no memory. */
static json_t *
audit_filters(const struct audit_opts *o)
{
	const char *vals[] = { o->since != NULL ? o->since_utc : NULL,
		o->until != NULL ? o->until_utc : NULL, o->principal, o->resource, o->action,
		o->outcome };
	static const char *const keys[] = { "since", "until", "principal", "resource", "action",
		"outcome" };
	json_t *f = json_object();
	size_t i;

	for (i = 0; f != NULL && i < BOS_ARRAY_LEN(keys); i++)
		if (vals[i] != NULL && json_object_set_new(f, keys[i], json_string(vals[i])) != 0) {
			json_decref(f);
			f = NULL;
		}
	return f;
}

/* Replace *cursor with the page's next_cursor: 1 when there is one, 0 at the end. */
static int
audit_cursor_take(const json_t *page, char **cursor, struct bos_err *err)
{
	const char *nc = json_string_value(json_object_get(page, "next_cursor"));

	free(*cursor);
	*cursor = NULL;
	if (nc == NULL || *nc == '\0')
		return 0;
	if ((*cursor = strdup(nc)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	return 1;
}

typedef int (*audit_rec_cb)(json_t *rec, void *arg);

/*
 * Follow the pages of a query in order ("asc" or "desc"), handing each
 * record to cb, until the vault has no more or want records were seen
 * (want 0: all of them).
 */
static int
audit_walk(struct http_client *hc, const struct audit_opts *o, const char *order,
    long long want, audit_rec_cb cb, void *arg, struct bos_err *err)
{
	json_t *filters = audit_filters(o), *page, *recs, *rec;
	char *cursor = NULL;
	long long got = 0, n;
	int more = filters != NULL ? 1 : bos_err_set(err, BOS_E_NOMEM, "out of memory");
	size_t i;

	while (more > 0 && (want == 0 || got < want)) {
		n = want == 0 || want - got > o->page ? o->page : want - got;
		/* The page the audit tools read (cli/tool_audit.c): the same query and fields. */
		if (tool_audit_query(hc, filters, order, n, cursor, &page, err) != 0) {
			more = -1;
			break;
		}
		recs = json_object_get(page, "records");
		json_array_foreach(recs, i, rec) {
			if (want != 0 && got >= want)
				break;
			if ((more = cb(rec, arg)) < 0) {
				bos_err_set(err, BOS_E_NOMEM, "out of memory");
				break;
			}
			got++;
		}
		/* An empty page ends the walk even with a cursor: it cannot loop forever. */
		if (more >= 0)
			more = json_array_size(recs) == 0 ? 0 : audit_cursor_take(page, &cursor, err);
		json_decref(page);
	}
	free(cursor);
	json_decref(filters);
	return more < 0 ? -1 : 0;
}

/* The string at key with control bytes replaced, so a record cannot drive the terminal. */
static const char *
audit_clean(const json_t *rec, const char *key, char *buf, size_t n)
{
	const char *s = bosctl_json_str(rec, key);
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static int
audit_print_record(json_t *rec, void *arg)
{
	char f[BOS_ARRAY_LEN(audit_rec_fields)][AUDIT_FIELD_MAX];
	const int *json = arg;
	size_t i;

	if (*json) {
		bosctl_json_print(rec);
		return 1;
	}
	for (i = 0; i < BOS_ARRAY_LEN(audit_rec_fields); i++)
		(void)audit_clean(rec, audit_rec_fields[i], f[i], sizeof(f[i]));
	printf("#%-6lld %-24s %-28s %-14s %-44s %-7s (%s) from %s req %s\n",
	    json_integer_value(json_object_get(rec, "seq")), f[0], f[1], f[2], f[3], f[4], f[5],
	    f[6], f[7]);
	return 1;
}

static int
audit_collect(json_t *rec, void *arg)
{
	return json_array_append(arg, rec) == 0 ? 1 : -1;
}

static int
audit_fetch(const struct audit_opts *o, json_t *tail, struct bos_err *err)
{
	struct http_client *hc;
	int json = o->json, r;

	if (bosctl_api_open(&hc, err) != 0)
		return -1;
	if (tail != NULL)
		r = audit_walk(hc, o, "desc", o->count, audit_collect, tail, err);
	else
		r = audit_walk(hc, o, "asc", o->limit, audit_print_record, &json, err);
	http_client_free(hc);
	return r;
}

static int
audit_search(const struct audit_opts *o)
{
	struct bos_err err;

	bos_err_clear(&err);
	return audit_fetch(o, NULL, &err) == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}

/* The newest N, fetched newest first and printed oldest first. */
static int
audit_tail(const struct audit_opts *o)
{
	json_t *recs = json_array();
	int json = o->json;
	struct bos_err err;
	size_t i;

	bos_err_clear(&err);
	if (recs == NULL)
		return bosctl_fail("out of memory");
	if (audit_fetch(o, recs, &err) != 0) {
		json_decref(recs);
		return bosctl_fail("%s", err.msg);
	}
	for (i = json_array_size(recs); i > 0; i--)
		(void)audit_print_record(json_array_get(recs, i - 1), &json);
	json_decref(recs);
	return BOSCTL_EXIT_OK;
}

/* ---- files: reading an export or a key, writing FILE.tmp then FILE ---- */

/* Grow *p (cap bytes) toward max; -1 when it is already max bytes. */
static int
audit_grow(char **p, size_t *cap, size_t max)
{
	size_t ncap = *cap == 0 ? 65536 : *cap * 2;
	char *np;

	if (*cap >= max)
		return -1;
	if (ncap > max)
		ncap = max;
	if ((np = realloc(*p, ncap)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* The whole of path (at most max bytes), NUL-terminated; what: for messages. */
static int
audit_slurp(const char *path, const char *what, size_t max, char **data, size_t *len,
    struct bos_err *err)
{
	size_t cap = 0, n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;
	char *p = NULL;
	ssize_t k;

	if (fd < 0)
		return bos_err_set(err, BOS_E_IO, "cannot open %s '%s': %s", what, path,
		    strerror(errno));
	/* Room for one byte past max, to tell "exactly max" from "more", and the NUL. */
	for (;;) {
		if (n + 1 >= cap && audit_grow(&p, &cap, max + 2) != 0) {
			e = ENOMEM;
			break;
		}
		if ((k = read(fd, p + n, cap - n - 1)) < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			e = k < 0 ? errno : 0;
			break;
		}
		n += (size_t)k;
		if (n > max) {
			e = EFBIG;
			break;
		}
	}
	close(fd);
	if (e != 0) {
		free(p);
		if (e == EFBIG)
			return bos_err_set(err, BOS_E_IO, "cannot read %s '%s': it is larger than "
			    "%zu bytes", what, path, max);
		return bos_err_set(err, BOS_E_IO, "cannot read %s '%s': %s", what, path, strerror(e));
	}
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
}

/*
 * Cut data (len bytes) at its newlines into L->line. A line longer than the
 * reader takes, or with a NUL byte in it, becomes "" (which the verifier
 * rejects at that line) and the first one is noted with the reason.
 */
static int
audit_lines_split(struct audit_lines *L, size_t len)
{
	size_t i, start = 0, n = 0;

	for (i = 0; i < len; i++)
		n += L->data[i] == '\n';
	n += len > 0 && L->data[len - 1] != '\n';
	if ((L->line = calloc(n ? n : 1, sizeof(*L->line))) == NULL)
		return -1;
	for (i = 0; i <= len && L->nline < n; i++) {
		if (i < len && L->data[i] != '\n')
			continue;
		L->data[i] = '\0';
		L->line[L->nline++] = L->data + start;
		if (i - start >= AUDIT_LINE_MAX || memchr(L->data + start, '\0', i - start)) {
			if (L->odd == 0) {
				L->odd = L->nline;
				L->odd_long = i - start >= AUDIT_LINE_MAX;
			}
			L->line[L->nline - 1] = "";
		}
		start = i + 1;
	}
	return 0;
}

static void
audit_lines_free(struct audit_lines *L)
{
	free(L->data);
	free(L->line);
	memset(L, 0, sizeof(*L));
}

static int
audit_lines_read(const char *path, struct audit_lines *L, struct bos_err *err)
{
	size_t len;

	memset(L, 0, sizeof(*L));
	if (audit_slurp(path, "the export", AUDIT_FILE_MAX, &L->data, &len, err) != 0)
		return -1;
	if (audit_lines_split(L, len) != 0) {
		audit_lines_free(L);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading '%s'", path);
	}
	return 0;
}

/* An EC P-256 public key in PEM (SubjectPublicKeyInfo) as DER; free with OPENSSL_free. */
static int
audit_pem_to_der(const char *pem, size_t len, const char *what, uint8_t **der, size_t *der_len,
    struct bos_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, len > INT_MAX ? -1 : (int)len);
	EVP_PKEY *k = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	char group[64] = "";
	unsigned char *p = NULL;
	int n = -1;

	BIO_free(bio);
	if (k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) == 1 &&
	    strcmp(group, AUDIT_P256) == 0)
		n = i2d_PUBKEY(k, &p);
	ERR_clear_error();
	if (n > 0) {
		EVP_PKEY_free(k);
		*der = p;
		*der_len = (size_t)n;
		return 0;
	}
	bos_err_set(err, BOS_E_INVALID, k == NULL ? "%s holds no PEM public key (-----BEGIN "
	    "PUBLIC KEY-----)" : "%s is not an EC P-256 public key", what);
	EVP_PKEY_free(k);
	return -1;
}

static int
audit_pubkey_file(const char *path, uint8_t **der, size_t *der_len, struct bos_err *err)
{
	char what[PATH_MAX + 32];
	size_t len;
	char *pem;
	int r;

	if (audit_slurp(path, "the public key file", AUDIT_KEYFILE_MAX, &pem, &len, err) != 0)
		return -1;
	(void)snprintf(what, sizeof(what), "the public key file '%s'", path);
	r = audit_pem_to_der(pem, len, what, der, der_len, err);
	free(pem);
	return r;
}

/* PATH.tmp, created anew: an old one (an interrupted run) is left for the user. */
static int
audit_tmp_open(const char *path, char tmp[PATH_MAX], mode_t mode, int force, int *fd,
    struct bos_err *err)
{
	struct stat st;
	int k = snprintf(tmp, PATH_MAX, "%s.tmp", path);

	*fd = -1;
	if (k < 0 || k >= PATH_MAX)
		return bos_err_set(err, BOS_E_INVALID, "the file name '%s' is too long", path);
	if (!force && lstat(path, &st) == 0)
		return bos_err_set(err, BOS_E_EXISTS, "'%s' exists: give --force to replace it",
		    path);
	*fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (*fd < 0 && errno == EEXIST)
		return bos_err_set(err, BOS_E_EXISTS, "'%s' exists, perhaps left by an "
		    "interrupted run: look at it, remove it and try again", tmp);
	if (*fd < 0)
		return bos_err_set(err, BOS_E_IO, "cannot create '%s': %s", tmp, strerror(errno));
	return 0;
}

/* Sync the directory that holds path, so the rename itself is durable. */
static void
audit_dir_sync(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

/* tmp onto path; without force never over a file that appeared meanwhile. */
static int
audit_rename(const char *tmp, const char *path, int force)
{
	if (force)
		return rename(tmp, path);
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link() refuses an existing name too. */
	if (link(tmp, path) != 0)
		return -1;
	(void)unlink(tmp);
	return 0;
}

/* Sync and close fd, rename tmp onto path. On failure tmp is removed. */
static int
audit_tmp_commit(int fd, const char *tmp, const char *path, int force, struct bos_err *err)
{
	int r = 0;

	if (fsync(fd) != 0)
		r = bos_err_set(err, BOS_E_IO, "cannot sync '%s': %s", tmp, strerror(errno));
	if (close(fd) != 0 && r == 0)
		r = bos_err_set(err, BOS_E_IO, "cannot write '%s': %s", tmp, strerror(errno));
	if (r == 0 && audit_rename(tmp, path, force) != 0)
		r = bos_err_set(err, BOS_E_IO, "cannot rename '%s' to '%s': %s", tmp, path,
		    errno == EEXIST ? "it exists now: give --force to replace it" : strerror(errno));
	if (r != 0) {
		(void)unlink(tmp);
		return -1;
	}
	audit_dir_sync(path);
	return 0;
}

/* ---- pubkey ---- */

/* The PEM of the current key in the answer of GET /credentials/audit/pubkey. */
static const char *
audit_current_pem(const json_t *ans, long long *version)
{
	const json_t *cur = json_object_get(ans, "current"), *k;
	size_t i;

	json_array_foreach(json_object_get(ans, "keys"), i, k) {
		if (json_is_integer(cur) && json_equal(json_object_get(k, "version"), cur) &&
		    json_is_string(json_object_get(k, "pem"))) {
			*version = json_integer_value(cur);
			return json_string_value(json_object_get(k, "pem"));
		}
	}
	return NULL;
}

/*
 * GET /credentials/audit/pubkey; resp holds the answer, *pem the current
 * key, checked to be an EC P-256 public key.
 */
static int
audit_pubkey_get(struct http_client *hc, struct http_resp *resp, const char **pem,
    long long *version, struct bos_err *err)
{
	uint8_t *der = NULL;
	size_t der_len;

	if (http_client_call_ok(hc, "GET", AUDIT_PUBKEY_PATH, NULL, resp, err) != 0)
		return -1;
	if ((*pem = audit_current_pem(resp->json, version)) == NULL) {
		http_resp_free(resp);
		return bos_err_set(err, BOS_E_INVALID, "the vault's answer has no PEM for its "
		    "current audit key");
	}
	if (audit_pem_to_der(*pem, strlen(*pem), "the vault's audit key", &der, &der_len,
	    err) != 0) {
		http_resp_free(resp);
		return -1;
	}
	OPENSSL_free(der);
	return 0;
}

static int
audit_pubkey_write(const char *path, const char *pem, int force, struct bos_err *err)
{
	char tmp[PATH_MAX];
	int fd;

	if (audit_tmp_open(path, tmp, 0644, force, &fd, err) != 0)
		return -1;
	if (io_write_full(fd, pem, strlen(pem)) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		(void)unlink(tmp);
		return -1;
	}
	return audit_tmp_commit(fd, tmp, path, force, err);
}

static int
audit_pubkey(const struct audit_opts *o)
{
	struct http_client *hc;
	struct http_resp resp;
	struct bos_err err;
	long long version = 0;
	const char *pem;
	int r;

	bos_err_clear(&err);
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	r = audit_pubkey_get(hc, &resp, &pem, &version, &err);
	http_client_free(hc);
	if (r != 0)
		return bosctl_fail("%s", err.msg);
	if (o->out == NULL)
		printf("%s%s", pem, pem[0] && pem[strlen(pem) - 1] == '\n' ? "" : "\n");
	else if ((r = audit_pubkey_write(o->out, pem, o->force, &err)) == 0)
		printf("wrote %s: the audit public key, version %lld\n", o->out, version);
	http_resp_free(&resp);
	return r == 0 ? BOSCTL_EXIT_OK : bosctl_fail("%s", err.msg);
}

/* ---- export: streamed into FILE.tmp ---- */

/* GET /credentials/audit/export into fd; *bytes written. */
static int
audit_download(struct http_client *hc, int fd, const char *tmp, size_t *bytes,
    struct bos_err *err)
{
	struct http_download dl;

	if (http_client_download(hc, AUDIT_EXPORT_PATH, "application/x-ndjson", fd,
	    (size_t)AUDIT_FILE_MAX, &dl, err) != 0) {
		if (dl.write_errno != 0)
			return bos_err_set(err, BOS_E_IO, "cannot write '%s': %s", tmp,
			    strerror(dl.write_errno));
		return -1;
	}
	*bytes = dl.bytes;
	return 0;
}

/* Lines, records and checkpoints in the export at path. */
static int
audit_count(const char *path, size_t counts[3], struct bos_err *err)
{
	struct audit_lines L;
	struct audit_line *l = malloc(sizeof(*l));
	size_t i;

	memset(counts, 0, 3 * sizeof(counts[0]));
	if (l == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (audit_lines_read(path, &L, err) != 0) {
		free(l);
		return -1;
	}
	counts[0] = L.nline;
	for (i = 0; i < L.nline; i++)
		if (audit_line_parse(L.line[i], l, NULL) == 0)
			counts[l->type == AUDIT_LINE_RECORD ? 1 : 2]++;
	audit_lines_free(&L);
	free(l);
	return 0;
}

/* The download into FILE.tmp, then FILE. */
static int
audit_export_to(struct http_client *hc, const struct audit_opts *o, size_t *bytes,
    struct bos_err *err)
{
	char tmp[PATH_MAX];
	int fd;

	if (audit_tmp_open(o->file, tmp, 0640, o->force, &fd, err) != 0)
		return -1;
	if (audit_download(hc, fd, tmp, bytes, err) != 0) {
		close(fd);
		(void)unlink(tmp);
		return -1;
	}
	return audit_tmp_commit(fd, tmp, o->file, o->force, err);
}

static int
audit_export(const struct audit_opts *o)
{
	struct http_client *hc;
	struct http_resp resp;
	struct bos_err err;
	size_t bytes = 0, c[3];
	long long version;
	struct stat st;
	const char *pem;
	int r;

	bos_err_clear(&err);
	if (!o->force && lstat(o->file, &st) == 0)
		return bosctl_fail("'%s' exists: give --force to replace it", o->file);
	if (bosctl_api_open(&hc, &err) != 0)
		return bosctl_fail("%s", err.msg);
	/* The key first: it checks the vault, the session and admin rights with clear messages. */
	if ((r = audit_pubkey_get(hc, &resp, &pem, &version, &err)) == 0) {
		http_resp_free(&resp);
		r = audit_export_to(hc, o, &bytes, &err);
	}
	http_client_free(hc);
	if (r != 0)
		return bosctl_fail("%s", err.msg);
	if (audit_count(o->file, c, &err) != 0)
		return bosctl_fail("wrote '%s' (%zu bytes) but cannot read it back: %s", o->file,
		    bytes, err.msg);
	printf("wrote %s: %zu lines, %zu records, %zu checkpoints (%zu bytes)\n", o->file, c[0],
	    c[1], c[2], bytes);
	if (c[0] != c[1] + c[2])
		fprintf(stderr, "bosctl: warning: %zu lines are neither a record nor a checkpoint: "
		    "run 'bosctl audit verify'\n", c[0] - c[1] - c[2]);
	return BOSCTL_EXIT_OK;
}

/* ---- verify: offline ---- */

/*
 * The checkpoint in CPFILE: one checkpoint line (STATE/audit.head, or a line
 * of an export), a final newline allowed. Its signature is checked by
 * audit_verify() with the rest.
 */
static int
audit_trusted_read(const char *path, struct audit_checkpoint *cp, struct bos_err *err)
{
	struct audit_line *l = malloc(sizeof(*l));
	size_t len;
	char *text;
	int r = -1;

	if (l == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (audit_slurp(path, "the trusted checkpoint", AUDIT_LINE_MAX, &text, &len, err) != 0) {
		free(l);
		return -1;
	}
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (strlen(text) != len || strchr(text, '\n') != NULL ||
	    audit_line_parse(text, l, NULL) != 0 || l->type != AUDIT_LINE_CHECKPOINT)
		bos_err_set(err, BOS_E_INVALID, "the trusted checkpoint '%s' is not one checkpoint "
		    "line (a copy of the vault's audit.head, or a checkpoint line of an export)",
		    path);
	else {
		*cp = l->cp;
		r = 0;
	}
	free(text);
	free(l);
	return r;
}

/* The report as one JSON object; the failure fields only on failure. */
static void
audit_verify_json(const struct audit_opts *o, const struct audit_report *rep,
    uint64_t trusted_seq, const char *msg)
{
	json_t *j;

	j = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "ok", rep->ok, "file", o->file,
	    "records", (json_int_t)rep->records, "head", (json_int_t)rep->head,
	    "checkpoints", (json_int_t)rep->checkpoints,
	    "signed_through", (json_int_t)rep->signed_seq,
	    "unsigned_tail", (json_int_t)rep->unsigned_tail,
	    "unsigned_tail_allowed", o->unsigned_tail);
	if (j != NULL && o->trusted != NULL && json_object_set_new(j, "trusted_checkpoint",
	    json_integer((json_int_t)trusted_seq)) != 0)
		json_object_clear(j);
	if (j != NULL && !rep->ok && (json_object_set_new(j, "bad_seq",
	    json_integer((json_int_t)rep->bad_seq)) != 0 || json_object_set_new(j, "bad_line",
	    json_integer((json_int_t)rep->bad_line)) != 0 ||
	    json_object_set_new(j, "message", json_string(msg)) != 0))
		json_object_clear(j);
	if (j != NULL)
		bosctl_json_print(j);
	json_decref(j);
}

static void
audit_verify_print(const struct audit_opts *o, const struct audit_report *rep,
    uint64_t trusted_seq, const char *msg)
{
	if (o->json)
		audit_verify_json(o, rep, trusted_seq, msg);
	else if (rep->ok && o->trusted != NULL)
		printf("ok: %" PRIu64 " records, %" PRIu64 " checkpoints, signed through #%" PRIu64
		    ", unsigned tail %" PRIu64 ", reaches the trusted checkpoint #%" PRIu64 "\n",
		    rep->records, rep->checkpoints, rep->signed_seq, rep->unsigned_tail,
		    trusted_seq);
	else if (rep->ok)
		printf("ok: %" PRIu64 " records, %" PRIu64 " checkpoints, signed through #%" PRIu64
		    ", unsigned tail %" PRIu64 "\n", rep->records, rep->checkpoints,
		    rep->signed_seq, rep->unsigned_tail);
	else if (rep->bad_line != 0)
		printf("FAILED at record #%" PRIu64 " (line %zu): %s\n", rep->bad_seq, rep->bad_line,
		    msg);
	else
		printf("FAILED at record #%" PRIu64 " (end of file): %s\n", rep->bad_seq, msg);
}

/* The verifier's message, with what the reader saw, or a hint about the key. */
static void
audit_verify_msg(const struct audit_opts *o, const struct audit_lines *L,
    const struct audit_report *rep, char *msg, size_t n)
{
	if (rep->bad_line != 0 && rep->bad_line == L->odd && L->odd_long)
		(void)snprintf(msg, n, "line %zu is longer than an export line may be (%d bytes)",
		    L->odd, AUDIT_LINE_MAX - 1);
	else if (rep->bad_line != 0 && rep->bad_line == L->odd)
		(void)snprintf(msg, n, "line %zu holds a NUL byte", L->odd);
	else if (rep->checkpoints == 0 && strstr(rep->msg, "signature invalid") != NULL)
		(void)snprintf(msg, n, "%s (is '%s' the vault's audit key? see 'bosctl audit "
		    "pubkey')", rep->msg, o->pubkey);
	else if (strstr(rep->msg, "not covered by a signed checkpoint") != NULL)
		(void)snprintf(msg, n, "%s; the vault signs its head before every export, so "
		    "export again, or accept the unsigned records with --allow-unsigned-tail",
		    rep->msg);
	else
		(void)snprintf(msg, n, "%s", rep->msg);
}

static int
audit_verify_cmd(const struct audit_opts *o)
{
	char msg[sizeof(((struct audit_report *)0)->msg) + PATH_MAX + 128];
	struct audit_checkpoint trusted;
	struct audit_report rep;
	struct audit_lines L;
	struct bos_err err;
	uint8_t *der;
	size_t der_len;
	int r;

	bos_err_clear(&err);
	memset(&trusted, 0, sizeof(trusted));
	if (o->trusted != NULL && audit_trusted_read(o->trusted, &trusted, &err) != 0) {
		(void)bosctl_fail("%s", err.msg);
		return BOSCTL_EXIT_USAGE;
	}
	if (audit_pubkey_file(o->pubkey, &der, &der_len, &err) != 0) {
		(void)bosctl_fail("%s", err.msg);
		return BOSCTL_EXIT_USAGE;
	}
	if (audit_lines_read(o->file, &L, &err) != 0) {
		OPENSSL_free(der);
		(void)bosctl_fail("%s", err.msg);
		return BOSCTL_EXIT_USAGE;
	}
	r = audit_verify((const char *const *)L.line, L.nline, der, der_len,
	    o->trusted != NULL ? &trusted : NULL,
	    o->unsigned_tail ? AUDIT_VERIFY_UNSIGNED_TAIL : 0, &rep);
	audit_verify_msg(o, &L, &rep, msg, sizeof(msg));
	audit_verify_print(o, &rep, trusted.seq, msg);
	audit_lines_free(&L);
	OPENSSL_free(der);
	return r == 0 && rep.ok ? BOSCTL_EXIT_OK : BOSCTL_EXIT_FAIL;
}

static const struct audit_sub audit_subs[] = {
	{ "tail", audit_tail, AO_N | AO_PAGE | AO_JSON, 0 },
	{ "search", audit_search, AO_FILTERS | AO_LIMIT | AO_PAGE | AO_JSON, 0 },
	{ "export", audit_export, AO_FORCE, 1 },
	{ "pubkey", audit_pubkey, AO_OUT | AO_FORCE, 0 },
	{ "verify", audit_verify_cmd, AO_PUBKEY | AO_UNSIGNED_TAIL | AO_TRUSTED | AO_JSON, 1 },
};

static const struct bosctl_subcmds audit_cmd =
	BOSCTL_SUBCMDS("audit", audit_usage, audit_subs, "tail, search, export, pubkey or verify", 0);

int
bosctl_cmd_audit(int argc, char **argv)
{
	const struct audit_sub *sub;
	struct audit_opts o;
	int r;

	if ((sub = bosctl_subcmd_find(&audit_cmd, argc, argv, &r)) == NULL)
		return r;
	if ((r = audit_parse(argc - 1, argv + 1, &o)) != 0)
		return bosctl_subcmd_parsed(&audit_cmd, r);
	if ((r = audit_check_opts(sub, &o)) != 0)
		return r;
	return sub->run(&o);
}
