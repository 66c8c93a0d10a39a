/*
 * Unit tests for outreach lists, contacts, suppressions and events
 * (vault/store/outreach_list.c, outreach_event.c; docs/OUTREACH.md), the
 * storage ones against a real SQLCipher database in a temporary directory:
 *
 * - the CSV reader (RFC 4180): quoted fields with commas, "" and line
 *   breaks, CRLF and LF, a byte order mark, empty fields; refused: a NUL
 *   byte, invalid UTF-8, stray quotes, text after a closing quote, a quote
 *   not closed, a bare CR, too many fields;
 * - normalisation (an email trimmed and lower-cased, a phone number in
 *   E.164) and every rule of a row and of the header, each with a failing
 *   case; row numbers, the 100 reported bad rows, the 10,000-row limit;
 * - storing: duplicates skipped and counted (in the import and in the
 *   list), all or nothing (a bad row, or a failure half way, writes
 *   nothing), names, paging;
 * - the suppression list: START lifts "stop" only, an admin's suppression
 *   replaces a "stop";
 * - events: checks of every field, a key recorded once, matching by message,
 *   token and provider id, the effects (first times, suppressions, price),
 *   and the stats' arithmetic, on campaign and message rows made by SQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "store/outreach_event.h"
#include "store/outreach_list.h"
#include "store/store.h"
#include "store_fixture.h"

#define T0 1796601600LL       /* 2026-12-07 00:00:00 UTC */

struct test_ctx {
	char dir[256];
	char path[300];
	struct store *s;
};

static int
setup(void **state)
{
	static struct test_ctx t;

	memset(&t, 0, sizeof(t));
	if (store_fixture_open("outreach", 0x61, t.dir, sizeof(t.dir), t.path, sizeof(t.path),
	    &t.s) != 0)
		return -1;
	*state = &t;
	return 0;
}

static int
teardown(void **state)
{
	struct test_ctx *t = *state;

	store_fixture_remove(t->s, t->dir);
	return 0;
}

static void
sql(struct store *s, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(store_db(s), q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg != NULL ? msg : "?");
}

static int64_t
sql_int(struct store *s, const char *q)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), q, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

struct csv_seen {
	size_t records;
	char text[2048];      /* each record as [f1|f2|...] */
	size_t stop_after;    /* the callback stops after this many (0: never) */
};

static int
csv_cb(const struct outreach_csv_record *rec, void *arg)
{
	struct csv_seen *c = arg;
	size_t i, o = strlen(c->text);

	assert_int_equal(rec->record, c->records);
	o += (size_t)snprintf(c->text + o, sizeof(c->text) - o, "[");
	for (i = 0; i < rec->n; i++) {
		assert_int_equal(strlen(rec->f[i]), rec->len[i]);
		o += (size_t)snprintf(c->text + o, sizeof(c->text) - o, "%s%s", i ? "|" : "",
		    rec->f[i]);
	}
	(void)snprintf(c->text + o, sizeof(c->text) - o, "]");
	c->records++;
	return c->stop_after != 0 && c->records == c->stop_after ? 1 : 0;
}

static const char *
csv_ok(const char *data, size_t len, struct csv_seen *c)
{
	struct bos_err err = { 0 };

	memset(c, 0, sizeof(*c));
	if (outreach_csv_parse(data, len, csv_cb, c, &err) != 0)
		fail_msg("csv refused: %s", err.msg);
	return c->text;
}

/* The parse must fail with a message containing `says`. */
static void
csv_bad(const char *data, size_t len, const char *says)
{
	struct bos_err err = { 0 };
	struct csv_seen c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(outreach_csv_parse(data, len, csv_cb, &c, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	if (strstr(err.msg, says) == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, says);
}

#define CSV_OK(lit, want) do { struct csv_seen c_; \
	assert_string_equal(csv_ok(lit, sizeof(lit) - 1, &c_), want); } while (0)
#define CSV_BAD(lit, says) csv_bad(lit, sizeof(lit) - 1, says)

static void
test_csv_reader(void **state)
{
	char many[1200];
	struct csv_seen c;
	size_t i, o = 0;

	(void)state;
	CSV_OK("a,b\n1,2\n", "[a|b][1|2]");
	CSV_OK("a,b\r\n1,2\r\n", "[a|b][1|2]");
	CSV_OK("a,b\r\n1,2", "[a|b][1|2]");                    /* no line end at the end */
	CSV_OK("a,b\n1,2\r\n3,4", "[a|b][1|2][3|4]");          /* CRLF and LF mixed */
	CSV_OK("a,b\n,\n", "[a|b][|]");                        /* empty fields */
	CSV_OK("a,b,\n", "[a|b|]");                            /* a trailing comma: one more */
	CSV_OK("a\n\nb\n", "[a][][b]");                        /* an empty line: one empty field */
	CSV_OK("\"a,b\",c\n", "[a,b|c]");                      /* a comma in quotes */
	CSV_OK("\"say \"\"hi\"\"\",x\n", "[say \"hi\"|x]");    /* "" is a quote */
	CSV_OK("\"two\nlines\",x\r\n\"cr\r\nlf\",y", "[two\nlines|x][cr\r\nlf|y]");
	CSV_OK("\"\",\"\"\n", "[|]");                          /* quoted empty fields */
	CSV_OK("\"last\"", "[last]");                          /* quoted, at the very end */
	CSV_OK("\xef\xbb\xbf" "email\nx\n", "[email][x]");     /* a BOM is skipped */
	CSV_OK("caf\xc3\xa9,\xe2\x82\xac,\xf0\x9f\x98\x80\n", "[caf\xc3\xa9|\xe2\x82\xac|\xf0\x9f\x98\x80]");
	CSV_OK("", "");

	CSV_BAD("a,b\n1,\0002\n", "NUL byte");
	CSV_BAD("a\n\xc3(\n", "not valid UTF-8");               /* a lead byte without its tail */
	CSV_BAD("a\n\xc0\xaf\n", "not valid UTF-8");            /* overlong '/' */
	CSV_BAD("a\n\xed\xa0\x80\n", "not valid UTF-8");        /* a surrogate */
	CSV_BAD("a\n\xf4\x90\x80\x80\n", "not valid UTF-8");    /* past U+10FFFF */
	CSV_BAD("a\n\xe2\x82", "not valid UTF-8");              /* cut short */
	CSV_BAD("a,b\n1,x\"y\n", "CSV row 1: a quote inside a field that is not quoted");
	CSV_BAD("a,b\n\"1\"x,2\n", "CSV row 1: text after the closing quote");
	CSV_BAD("a,b\n1,\"open\n", "CSV row 1: a quoted field is not closed");
	CSV_BAD("a\rb\n", "CSV header: a CR that is not followed by LF");
	CSV_BAD("a\n1\r2\n", "CSV row 1: a CR");
	for (i = 0; i < 300; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%sf", i ? "," : "");
	csv_bad(many, o, "more than 256 fields");
	/* The callback may stop early: not an error. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	assert_int_equal(outreach_csv_parse("a\nb\nc\n", 6, csv_cb, &c, NULL), 0);
	assert_int_equal(c.records, 1);
}

/* ---- normalisation --------------------------------------------------------------------------- */

static void
email_ok(const char *in, const char *want)
{
	char out[OUTREACH_ADDRESS_SIZE];
	const char *why = NULL;

	if (outreach_email_normalise(in, strlen(in), out, &why) != 0)
		fail_msg("email '%s' refused: %s", in, why);
	assert_string_equal(out, want);
}

static void
email_bad(const char *in)
{
	char out[OUTREACH_ADDRESS_SIZE];
	const char *why = NULL;

	if (outreach_email_normalise(in, strlen(in), out, &why) == 0)
		fail_msg("email '%s' accepted as '%s'", in, out);
	assert_non_null(why);
	assert_string_equal(out, "");
}

static void
phone_ok(const char *in, const char *want)
{
	char out[OUTREACH_PHONE_SIZE];
	const char *why = NULL;

	if (outreach_phone_normalise(in, strlen(in), out, &why) != 0)
		fail_msg("phone '%s' refused: %s", in, why);
	assert_string_equal(out, want);
}

static void
phone_bad(const char *in)
{
	char out[OUTREACH_PHONE_SIZE];
	const char *why = NULL;

	if (outreach_phone_normalise(in, strlen(in), out, &why) == 0)
		fail_msg("phone '%s' accepted as '%s'", in, out);
	assert_non_null(why);
}

static void
test_normalise(void **state)
{
	static const char *const specials[] = { "<", ">", "(", ")", "[", "]", ",", ";", ":",
		"\"", "\\" };
	char in[400], out[OUTREACH_ADDRESS_SIZE];
	const char *ch = NULL, *why = NULL;
	size_t i;

	(void)state;
	email_ok("Ann.Smith+news@Example.COM", "ann.smith+news@example.com");
	email_ok(" \tbob@example.org  ", "bob@example.org");
	email_ok("a@b.c", "a@b.c");
	email_bad("");
	email_bad("a@");                                   /* 2 bytes */
	email_bad("no-at-sign.example.com");
	email_bad("two@@example.com");
	email_bad("a@b@example.com");
	email_bad("@example.com");                         /* nothing before the @ */
	email_bad("ann@localhost");                        /* no dot in the domain */
	email_bad("ann@.example.com");
	email_bad("ann@example.com.");
	email_bad("ann@example..com");
	email_bad("ann smith@example.com");                /* a space inside */
	email_bad("ann@exa\tmple.com");
	email_bad("ann\r\nBcc: x@evil.example@example.com"); /* header injection */
	email_bad("ann\x7f@example.com");
	email_bad("j\xc3\xb6rg@example.com");                /* not ASCII */
	for (i = 0; i < BOS_ARRAY_LEN(specials); i++) {
		(void)snprintf(in, sizeof(in), "a%sb@example.com", specials[i]);
		email_bad(in);
	}
	memset(in, 'a', 250);
	memcpy(in + 250, "@x.io", 6);                       /* 255 bytes */
	email_bad(in);
	in[249] = '@';
	memcpy(in + 250, "x.io", 5);                        /* 254 bytes */
	email_ok(in, in);

	phone_ok("+1 (555) 123-4567", "+15551234567");
	phone_ok("+44.20.7946.0958", "+442079460958");
	phone_ok("+1234567", "+1234567");                   /* 7 digits */
	phone_ok("+123456789012345", "+123456789012345");   /* 15 digits */
	phone_bad("");
	phone_bad("5551234567");                            /* no '+' */
	phone_bad("(+1) 555 1234567x");
	phone_bad("+1 555 CALL-NOW");
	phone_bad("+1\t5551234567");                        /* a tab is not removed */
	phone_bad("+1555+1234567");                         /* a '+' later */
	phone_bad("+123456");                               /* 6 digits */
	phone_bad("+1234567890123456");                     /* 16 digits */
	phone_bad("+");
	phone_bad("++15551234567");

	assert_int_equal(outreach_address_normalise("Ann@Example.com", 15, out, &ch, &why), 0);
	assert_string_equal(out, "ann@example.com");
	assert_string_equal(ch, "email");
	assert_int_equal(outreach_address_normalise("+1 555 123 4567", 15, out, &ch, &why), 0);
	assert_string_equal(out, "+15551234567");
	assert_string_equal(ch, "sms");
	assert_int_equal(outreach_address_normalise("ann", 3, out, &ch, &why), -1);
	assert_null(ch);
	assert_string_equal(outreach_channel_name("sms"), "sms");
	assert_null(outreach_channel_name("SMS"));
	assert_null(outreach_channel_name(NULL));
}

/* ---- rows and headers ------------------------------------------------------------------------ */

/* Import CSV text that must parse; returns the import (free it). */
static void
import_csv(const char *data, struct outreach_import *im)
{
	struct bos_err err = { 0 };
	int too_many = 0;

	outreach_import_init(im);
	if (outreach_import_csv(im, data, strlen(data), &too_many, &err) != 0)
		fail_msg("import refused: %s", err.msg);
	assert_int_equal(too_many, 0);
}

/* One CSV row after header `hdr` must be bad in `field` with a message containing `says`. */
static void
row_bad(const char *hdr, const char *row, const char *field, const char *says)
{
	struct outreach_import im;
	char data[4096];

	(void)snprintf(data, sizeof(data), "%s\n%s\n", hdr, row);
	import_csv(data, &im);
	if (im.n_errors != 1)
		fail_msg("row '%s': %zu errors, expected 1", row, im.n_errors);
	assert_int_equal(im.n, 0);
	assert_int_equal(im.errors[0].row, 1);
	assert_string_equal(im.errors[0].field, field);
	if (strstr(im.errors[0].message, says) == NULL)
		fail_msg("row '%s': '%s' does not say '%s'", row, im.errors[0].message, says);
	outreach_import_free(&im);
}

static void
header_bad(const char *data, const char *says)
{
	struct outreach_import im;
	struct bos_err err = { 0 };
	int too_many = 0;

	outreach_import_init(&im);
	assert_int_equal(outreach_import_csv(&im, data, strlen(data), &too_many, &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	if (strstr(err.msg, says) == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, says);
	outreach_import_free(&im);
}

static void
test_rows_normalised(void **state)
{
	struct outreach_import im;

	(void)state;
	import_csv("Email, PHONE ,name,Consent,company,Note\r\n"
	    " Ann@Example.COM ,+1 (555) 123-4567,  Ann Smith ,\"email,sms\", Acme Inc ,\r\n"
	    "b@example.com,,Bob,SMS,,\"two\nlines\"\r\n"
	    ",+44 20 7946 0958,,none,,\r\n"
	    "c@example.com,,,,,\r\n"
	    "d@example.com,,,\" sms , email \",,\r\n"
	    "e@example.com,,,both,,\r\n", &im);
	assert_int_equal(im.n_errors, 0);
	assert_int_equal(im.n, 6);
	assert_int_equal(im.total, 6);
	assert_string_equal(im.rows[0].email, "ann@example.com");
	assert_string_equal(im.rows[0].phone, "+15551234567");
	assert_string_equal(im.rows[0].name, "Ann Smith");
	assert_int_equal(im.rows[0].consent, OUTREACH_CONSENT_EMAIL | OUTREACH_CONSENT_SMS);
	assert_string_equal(im.rows[0].fields_json, "{\"company\":\"Acme Inc\"}");
	assert_int_equal(im.rows[1].consent, OUTREACH_CONSENT_SMS);
	assert_string_equal(im.rows[1].phone, "");
	assert_string_equal(im.rows[1].fields_json, "{\"Note\":\"two\\nlines\"}");
	assert_string_equal(im.rows[2].email, "");
	assert_string_equal(im.rows[2].phone, "+442079460958");
	assert_int_equal(im.rows[2].consent, 0);
	assert_int_equal(im.rows[3].consent, 0);          /* default: none */
	assert_string_equal(im.rows[3].fields_json, "{}");
	assert_int_equal(im.rows[4].consent, OUTREACH_CONSENT_EMAIL | OUTREACH_CONSENT_SMS);
	assert_int_equal(im.rows[5].consent, OUTREACH_CONSENT_EMAIL | OUTREACH_CONSENT_SMS);
	outreach_import_free(&im);

	/* A header with only a phone column is enough. */
	import_csv("phone\n+15551234567\n", &im);
	assert_int_equal(im.n, 1);
	outreach_import_free(&im);
}

static void
test_row_rules(void **state)
{
	char name[700], row[1400], hdr[1024];
	size_t i, o;

	(void)state;
	row_bad("email,phone", "a@example.com", "", "this row has 1 fields, the header 2");
	row_bad("email,phone", "a@example.com,+15551234567,x", "", "3 fields");
	row_bad("email,phone,name", ",,Ann", "", "needs an email or a phone");
	row_bad("email,phone,name", " , ,Ann", "", "needs an email or a phone");
	row_bad("email", "ann.example.com", "email", "one @");
	row_bad("email", "ann@example", "email", "a domain with a dot");
	row_bad("email", "\"ann<a@example.com>\"", "email", "none of");
	row_bad("phone", "555-1234", "phone", "starts with '+'");
	row_bad("phone", "+1 555 12", "phone", "at least 7 digits");
	row_bad("email,phone", "a@example.com,+1 555 CALL", "phone", "only '+', digits");
	row_bad("email,name", "a@example.com,\"two\nlines\"", "name", "one line");
	row_bad("email,name", "a@example.com,tab\there", "name", "one line");
	row_bad("email,name", "a@example.com,Card 4111 1111 1111 1111", "name", "card number");
	memset(name, 'x', 129);
	name[129] = '\0';
	(void)snprintf(row, sizeof(row), "a@example.com,%s", name);
	row_bad("email,name", row, "name", "at most 128 characters");
	/* 128 characters of two bytes each are fine. */
	for (i = 0, o = 0; i < 128; i++)
		o += (size_t)snprintf(name + o, sizeof(name) - o, "\xc3\xa9");
	(void)snprintf(row, sizeof(row), "a@example.com,%s", name);
	{
		struct outreach_import im;
		char data[1600];

		(void)snprintf(data, sizeof(data), "email,name\n%s\n", row);
		import_csv(data, &im);
		assert_int_equal(im.n, 1);
		assert_int_equal(strlen(im.rows[0].name), 256);
		outreach_import_free(&im);
	}
	row_bad("email,consent", "a@example.com,yes", "consent", "consent is email");
	row_bad("email,consent", "a@example.com,\"email,email\"", "consent", "consent is");
	row_bad("email,consent", "a@example.com,\"email,both\"", "consent", "consent is");
	row_bad("email,consent", "a@example.com,\"email,\"", "consent", "consent is");
	memset(name, 'v', 513);
	name[513] = '\0';
	(void)snprintf(row, sizeof(row), "a@example.com,%s", name);
	row_bad("email,company", row, "company", "at most 512 bytes");
	row_bad("email,company", "a@example.com,\"bell\a\"", "company", "control character");
	row_bad("email,account", "a@example.com,4111111111111111", "account", "card number");
	/* Five values of 500 bytes: each fits, together they pass 2 KiB. */
	memset(name, 'w', 500);
	name[500] = '\0';
	(void)snprintf(hdr, sizeof(hdr), "email,f1,f2,f3,f4,f5");
	{
		char big[3600];

		(void)snprintf(big, sizeof(big), "a@example.com,%s,%s,%s,%s,%s", name, name, name,
		    name, name);
		row_bad(hdr, big, "fields", "2 KiB");
	}
}

static void
test_header_rules(void **state)
{
	char hdr[1024];
	size_t i, o;

	(void)state;
	header_bad("", "the CSV is empty");
	header_bad("\xef\xbb\xbf", "the CSV is empty");
	header_bad("\nemail\n", "first line is its header");
	header_bad("name,company\nAnn,Acme\n", "needs an email or a phone column");
	header_bad("email,1st\n", "column 2: a column name is a letter");
	header_bad("email,first name\n", "column 2");
	header_bad("email,\n", "column 2");
	header_bad("email,Email\n", "column 2: the name of column 1 again");
	header_bad("email,company,COMPANY\n", "column 3: the name of column 2 again");
	header_bad("email,card_cvv\n", "CVV");
	header_bad("email,abcdefghijklmnopqrstuvwxyzabcdefg\n", "column 2");   /* 33 characters */
	o = (size_t)snprintf(hdr, sizeof(hdr), "email");
	for (i = 0; i < 33; i++)
		o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, ",f%zu", i);
	header_bad(hdr, "more than 32 custom fields");
	hdr[o - 4] = '\0';                                  /* 32 custom fields: fine */
	{
		struct outreach_import im;

		import_csv(hdr, &im);
		assert_int_equal(im.n, 0);
		outreach_import_free(&im);
	}
	/* A structure error names the row. */
	header_bad("email\n\"a@example.com\n", "CSV row 1: a quoted field is not closed");
}

static void
test_row_numbers_and_limits(void **state)
{
	struct outreach_import im;
	struct bos_err err = { 0 };
	char *data;
	size_t i, o, cap = 400000;
	int too_many = 0;

	(void)state;
	/* Empty lines are no rows but keep their numbers (row N is the Nth line after the header). */
	import_csv("email\nbad1\n\nok@example.com\n\nbad2\n", &im);
	assert_int_equal(im.total, 3);
	assert_int_equal(im.n, 1);
	assert_int_equal(im.n_errors, 2);
	assert_int_equal(im.errors[0].row, 1);
	assert_int_equal(im.errors[1].row, 5);
	outreach_import_free(&im);

	/* 150 bad rows: 100 reported, 50 counted. */
	assert_non_null(data = malloc(cap));
	o = (size_t)snprintf(data, cap, "email\n");
	for (i = 0; i < 150; i++)
		o += (size_t)snprintf(data + o, cap - o, "bad%zu\n", i);
	import_csv(data, &im);
	assert_int_equal(im.n_errors, OUTREACH_ROW_ERRORS_MAX);
	assert_int_equal(im.more, 50);
	assert_int_equal(outreach_import_bad(&im), 150);
	assert_int_equal(im.errors[99].row, 100);
	outreach_import_free(&im);

	/* 10,000 rows are fine; 10,001 are refused, whatever else is wrong. */
	o = (size_t)snprintf(data, cap, "email\n");
	for (i = 0; i < OUTREACH_ROWS_MAX; i++)
		o += (size_t)snprintf(data + o, cap - o, "u%zu@example.com\n", i);
	import_csv(data, &im);
	assert_int_equal(im.n, OUTREACH_ROWS_MAX);
	outreach_import_free(&im);
	o += (size_t)snprintf(data + o, cap - o, "one-more@example.com\n");
	outreach_import_init(&im);
	assert_int_equal(outreach_import_csv(&im, data, o, &too_many, &err), -1);
	assert_int_equal(too_many, 1);
	assert_non_null(strstr(err.msg, "at most 10000 rows"));
	outreach_import_free(&im);
	free(data);
}

/* ---- JSON imports ---------------------------------------------------------------------------- */

static void
import_json(const char *text, struct outreach_import *im)
{
	json_t *j = json_loads(text, JSON_ALLOW_NUL, NULL);
	struct bos_err err = { 0 };
	int too_many = 0;

	if (j == NULL)
		fail_msg("bad test JSON: %s", text);
	outreach_import_init(im);
	if (outreach_import_json(im, j, &too_many, &err) != 0)
		fail_msg("import refused: %s", err.msg);
	json_decref(j);
}

static void
json_row_bad(const char *contact, const char *field, const char *says)
{
	struct outreach_import im;
	char text[4096];

	(void)snprintf(text, sizeof(text), "[%s]", contact);
	import_json(text, &im);
	if (im.n_errors != 1)
		fail_msg("contact %s: %zu errors, expected 1", contact, im.n_errors);
	assert_string_equal(im.errors[0].field, field);
	if (strstr(im.errors[0].message, says) == NULL)
		fail_msg("contact %s: '%s' does not say '%s'", contact, im.errors[0].message, says);
	outreach_import_free(&im);
}

static void
test_json_import(void **state)
{
	struct outreach_import im;
	struct bos_err err = { 0 };
	json_t *big;
	size_t i;
	int too_many = 0;

	(void)state;
	import_json("[{\"email\":\"A@B.io\",\"consent\":[\"email\",\"sms\"],\"fields\":{\"co\":\"X\"}},"
	    "{\"phone\":\"+1 555 123 4567\",\"consent\":\"sms\",\"name\":null},"
	    "{\"email\":\"c@b.io\",\"consent\":\"both\"},{\"email\":\"d@b.io\",\"consent\":[]},"
	    "{\"email\":\"e@b.io\",\"consent\":\"none\"}]", &im);
	assert_int_equal(im.n_errors, 0);
	assert_int_equal(im.n, 5);
	assert_string_equal(im.rows[0].email, "a@b.io");
	assert_int_equal(im.rows[0].consent, OUTREACH_CONSENT_EMAIL | OUTREACH_CONSENT_SMS);
	assert_string_equal(im.rows[0].fields_json, "{\"co\":\"X\"}");
	assert_string_equal(im.rows[1].phone, "+15551234567");
	assert_int_equal(im.rows[1].consent, OUTREACH_CONSENT_SMS);
	assert_int_equal(im.rows[2].consent, OUTREACH_CONSENT_EMAIL | OUTREACH_CONSENT_SMS);
	assert_int_equal(im.rows[3].consent, 0);
	assert_int_equal(im.rows[4].consent, 0);
	outreach_import_free(&im);

	json_row_bad("\"a@b.io\"", "", "a contact is a JSON object");
	json_row_bad("{\"email\":\"a@b.io\",\"mail\":1}", "mail", "unknown field");
	json_row_bad("{\"email\":5}", "email", "a string");
	json_row_bad("{\"email\":\"a\\u0000@b.io\"}", "email", "a string");
	json_row_bad("{\"phone\":[\"+15551234567\"]}", "phone", "a string");
	json_row_bad("{\"email\":\"a@b.io\",\"name\":7}", "name", "a string");
	json_row_bad("{\"email\":\"a@b.io\",\"consent\":\"email,sms\"}", "consent", "consent is");
	json_row_bad("{\"email\":\"a@b.io\",\"consent\":[\"email\",\"email\"]}", "consent",
	    "consent is");
	json_row_bad("{\"email\":\"a@b.io\",\"consent\":[\"fax\"]}", "consent", "consent is");
	json_row_bad("{\"email\":\"a@b.io\",\"consent\":true}", "consent", "consent is");
	json_row_bad("{\"email\":\"a@b.io\",\"fields\":[1]}", "fields", "JSON object of strings");
	json_row_bad("{\"email\":\"a@b.io\",\"fields\":{\"co\":1}}", "co", "a string");
	json_row_bad("{\"email\":\"a@b.io\",\"fields\":{\"email\":\"x\"}}", "fields",
	    "not email, phone, name or consent");
	json_row_bad("{\"email\":\"a@b.io\",\"fields\":{\"1x\":\"x\"}}", "fields", "a letter");
	json_row_bad("{\"email\":\"a@b.io\",\"fields\":{\"co\":\"a\\u0000b\"}}", "co", "NUL");
	json_row_bad("{\"name\":\"Ann\"}", "", "needs an email or a phone");

	outreach_import_init(&im);
	assert_non_null(big = json_object());
	assert_int_equal(outreach_import_json(&im, big, &too_many, &err), -1);
	assert_int_equal(too_many, 0);
	json_decref(big);
	assert_non_null(big = json_array());
	for (i = 0; i <= OUTREACH_ROWS_MAX; i++)
		json_array_append_new(big, json_pack("{s:s}", "email", "a@b.io"));
	assert_int_equal(outreach_import_json(&im, big, &too_many, &err), -1);
	assert_int_equal(too_many, 1);
	json_decref(big);
	outreach_import_free(&im);
}

/* ---- storing --------------------------------------------------------------------------------- */

static void
test_list_store(void **state)
{
	struct test_ctx *t = *state;
	struct outreach_list_info l, l2;
	struct outreach_import im;
	struct bos_err err = { 0 };
	size_t imp = 0, dup = 0;

	/* Duplicates within the import: the same email, or the same phone. */
	import_csv("email,phone\nA@x.io,+15550000001\na@x.io,\nb@x.io,+1 555 000 0001\n"
	    "c@x.io,+15550000003\n", &im);
	assert_int_equal(outreach_list_create(t->s, "Advisors 2026", "alice", &im, T0, &l, &imp,
	    &dup, &err), 0);
	assert_int_equal(imp, 2);
	assert_int_equal(dup, 2);
	assert_true(outreach_list_id_valid(l.id));
	assert_string_equal(l.name, "Advisors 2026");
	assert_string_equal(l.created_by, "alice");
	assert_int_equal(l.contacts, 2);
	assert_int_equal(l.created_at, T0);
	/* The name is taken: nothing else is written either. */
	assert_int_equal(outreach_list_create(t->s, "Advisors 2026", "bob", &im, T0, &l2, &imp,
	    &dup, &err), -1);
	assert_int_equal(err.code, BOS_E_EXISTS);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_contacts"), 2);
	outreach_import_free(&im);

	/* Appending: those already in the list are duplicates. */
	import_csv("email,phone\nc@x.io,\nd@x.io,+15550000001\ne@x.io,\n", &im);
	assert_int_equal(outreach_list_append(t->s, l.id, &im, T0 + 5, &l2, &imp, &dup, &err), 0);
	assert_int_equal(imp, 1);
	assert_int_equal(dup, 2);
	assert_int_equal(l2.contacts, 3);
	assert_int_equal(l2.updated_at, T0 + 5);
	assert_int_equal(outreach_list_append(t->s, "ol_aaaaaaaaaaaaaaaaaaaaaaaaaa", &im, T0, &l2,
	    &imp, &dup, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	outreach_import_free(&im);

	/* By id and by name. */
	assert_int_equal(outreach_list_get(t->s, "Advisors 2026", &l2, &err), 0);
	assert_string_equal(l2.id, l.id);
	assert_int_equal(outreach_list_get(t->s, l.id, &l2, &err), 0);
	assert_int_equal(outreach_list_get(t->s, "nope", &l2, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
}

static void
test_list_names(void **state)
{
	struct test_ctx *t = *state;
	struct outreach_list_info l;
	struct outreach_import im;
	struct bos_err err = { 0 };
	char longname[80];
	size_t imp, dup;

	import_csv("email\nn@x.io\n", &im);
	assert_int_equal(outreach_list_create(t->s, "ok.name_-1", "alice", &im, T0, &l, &imp,
	    &dup, &err), 0);
	assert_int_equal(outreach_list_create(t->s, "", "alice", &im, T0, &l, &imp, &dup, &err), -1);
	assert_int_equal(outreach_list_create(t->s, "a/b", "alice", &im, T0, &l, &imp, &dup, &err),
	    -1);
	assert_int_equal(outreach_list_create(t->s, " lead", "alice", &im, T0, &l, &imp, &dup,
	    &err), -1);
	assert_int_equal(outreach_list_create(t->s, "trail ", "alice", &im, T0, &l, &imp, &dup,
	    &err), -1);
	assert_int_equal(outreach_list_create(t->s, "ol_aaaaaaaaaaaaaaaaaaaaaaaaaa", "alice", &im,
	    T0, &l, &imp, &dup, &err), -1);
	assert_non_null(strstr(err.msg, "look like a list id"));
	memset(longname, 'n', 65);
	longname[65] = '\0';
	assert_int_equal(outreach_list_create(t->s, longname, "alice", &im, T0, &l, &imp, &dup,
	    &err), -1);
	longname[64] = '\0';
	assert_int_equal(outreach_list_create(t->s, longname, "alice", &im, T0, &l, &imp, &dup,
	    &err), 0);
	outreach_import_free(&im);
}

static void
test_all_or_nothing(void **state)
{
	struct test_ctx *t = *state;
	struct outreach_list_info l;
	struct outreach_import im;
	struct bos_err err = { 0 };
	size_t imp, dup;
	int64_t lists = sql_int(t->s, "SELECT count(*) FROM outreach_lists"),
	    contacts = sql_int(t->s, "SELECT count(*) FROM outreach_contacts");

	/* An import with a bad row is never stored. */
	import_csv("email\ngood@x.io\nbad\n", &im);
	assert_int_equal(outreach_import_bad(&im), 1);
	assert_int_equal(outreach_list_create(t->s, "half", "alice", &im, T0, &l, &imp, &dup,
	    &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	outreach_import_free(&im);
	/* A failure half way (the third contact cannot be written): nothing stays. */
	sql(t->s, "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.outreach_contacts"
	    " WHEN NEW.email = 'boom@x.io' BEGIN SELECT RAISE(ABORT, 'boom'); END");
	import_csv("email\none@x.io\ntwo@x.io\nboom@x.io\nfour@x.io\n", &im);
	assert_int_equal(outreach_list_create(t->s, "broken", "alice", &im, T0, &l, &imp, &dup,
	    &err), -1);
	assert_int_equal(err.code, BOS_E_DB);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_lists"), lists);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_contacts"), contacts);
	assert_int_equal(store_depth(t->s), 0);
	/* Appending fails the same way: the list keeps what it had. */
	outreach_import_free(&im);
	import_csv("email\nfine@x.io\n", &im);
	assert_int_equal(outreach_list_create(t->s, "fine", "alice", &im, T0, &l, &imp, &dup,
	    &err), 0);
	outreach_import_free(&im);
	import_csv("email\nmore@x.io\nboom@x.io\n", &im);
	assert_int_equal(outreach_list_append(t->s, l.id, &im, T0, &l, &imp, &dup, &err), -1);
	assert_int_equal(outreach_list_get(t->s, "fine", &l, &err), 0);
	assert_int_equal(l.contacts, 1);
	outreach_import_free(&im);
	sql(t->s, "DROP TRIGGER boom");
}

struct page {
	char ids[10][OUTREACH_ID_SIZE];
	unsigned supp[10];
	size_t n;
};

static int
page_cb(const struct outreach_contact_info *c, void *arg)
{
	struct page *p = arg;

	memcpy(p->ids[p->n], c->id, OUTREACH_ID_SIZE);
	p->supp[p->n++] = c->suppressed;
	return 0;
}

static void
test_contact_pages(void **state)
{
	struct test_ctx *t = *state;
	struct outreach_list_info l, other;
	struct outreach_import im;
	struct bos_err err = { 0 };
	char next[OUTREACH_ID_SIZE], after[OUTREACH_ID_SIZE];
	struct page p;
	size_t imp, dup;

	import_csv("email,phone\np1@x.io,+15550000011\np2@x.io,\np3@x.io,+15550000013\n", &im);
	assert_int_equal(outreach_list_create(t->s, "paged", "alice", &im, T0, &l, &imp, &dup,
	    &err), 0);
	assert_int_equal(outreach_list_create(t->s, "paged too", "alice", &im, T0, &other, &imp,
	    &dup, &err), 0);
	outreach_import_free(&im);
	assert_int_equal(outreach_suppress(t->s, "p1@x.io", "email", "admin", "alice", T0, NULL,
	    &err), 0);
	assert_int_equal(outreach_suppress(t->s, "+15550000011", "sms", "stop", "event:twilio", T0,
	    NULL, &err), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(outreach_contact_page(t->s, l.id, NULL, 2, page_cb, &p, next, &err), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(next, p.ids[1]);
	assert_int_equal(p.supp[0], OUTREACH_CONSENT_EMAIL | OUTREACH_CONSENT_SMS);
	assert_int_equal(p.supp[1], 0);
	memcpy(after, next, sizeof(after));
	assert_int_equal(outreach_contact_page(t->s, l.id, after, 2, page_cb, &p, next, &err), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(next, "");
	/* Exactly a page: no next. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(outreach_contact_page(t->s, l.id, NULL, 3, page_cb, &p, next, &err), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(next, "");
	/* A cursor of another list, a made-up one, a bad limit. */
	assert_int_equal(outreach_contact_page(t->s, other.id, after, 2, page_cb, &p, next, &err),
	    -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_int_equal(outreach_contact_page(t->s, l.id, "ct_aaaaaaaaaaaaaaaaaaaaaaaaaa", 2,
	    page_cb, &p, next, &err), -1);
	assert_int_equal(outreach_contact_page(t->s, l.id, NULL, 0, page_cb, &p, next, &err), -1);
	assert_int_equal(outreach_contact_page(t->s, l.id, NULL, OUTREACH_PAGE_MAX + 1, page_cb, &p,
	    next, &err), -1);
}

/* ---- suppressions ------------------------------------------------------------------------------ */

static int
supp_count_cb(const struct outreach_suppression *o, void *arg)
{
	(void)o;
	(*(int *)arg)++;
	return 0;
}

static void
test_suppressions(void **state)
{
	struct test_ctx *t = *state;
	struct outreach_suppression o;
	struct bos_err err = { 0 };
	int added = -1, removed = -1, k = 0;
	int64_t next = 0;

	assert_int_equal(outreach_suppressed(t->s, "s1@x.io", "email", &err), 0);
	assert_int_equal(outreach_suppress(t->s, "s1@x.io", "email", "unsubscribed",
	    "event:sendgrid", T0, &added, &err), 0);
	assert_int_equal(added, 1);
	assert_int_equal(outreach_suppressed(t->s, "s1@x.io", "email", &err), 1);
	assert_int_equal(outreach_suppressed(t->s, "s1@x.io", "sms", &err), 0);
	/* Again: kept as it was. */
	assert_int_equal(outreach_suppress(t->s, "s1@x.io", "email", "admin", "alice", T0 + 1,
	    &added, &err), 0);
	assert_int_equal(added, 0);
	assert_int_equal(outreach_suppression_get(t->s, "s1@x.io", "email", &o, &err), 0);
	assert_string_equal(o.reason, "unsubscribed");
	assert_string_equal(o.source, "event:sendgrid");

	/* SMS: STOP, then START lifts it. */
	assert_int_equal(outreach_suppress(t->s, "+15551110000", "sms", "stop", "event:twilio", T0,
	    &added, &err), 0);
	assert_int_equal(outreach_unsuppress(t->s, "+15551110000", "sms", "stop", &removed, &err),
	    0);
	assert_int_equal(removed, 1);
	assert_int_equal(outreach_suppressed(t->s, "+15551110000", "sms", &err), 0);
	/* START does not lift what an admin decided ... */
	assert_int_equal(outreach_suppress(t->s, "+15551110001", "sms", "admin", "alice", T0,
	    &added, &err), 0);
	assert_int_equal(outreach_unsuppress(t->s, "+15551110001", "sms", "stop", &removed, &err),
	    0);
	assert_int_equal(removed, 0);
	assert_int_equal(outreach_suppressed(t->s, "+15551110001", "sms", &err), 1);
	/* ... nor a STOP an admin confirmed afterwards (the admin's reason replaces it). */
	assert_int_equal(outreach_suppress(t->s, "+15551110002", "sms", "stop", "event:twilio", T0,
	    &added, &err), 0);
	assert_int_equal(outreach_suppress(t->s, "+15551110002", "sms", "admin", "alice", T0 + 9,
	    &added, &err), 0);
	assert_int_equal(added, 0);
	assert_int_equal(outreach_suppression_get(t->s, "+15551110002", "sms", &o, &err), 0);
	assert_string_equal(o.reason, "admin");
	assert_string_equal(o.source, "alice");
	assert_int_equal(outreach_unsuppress(t->s, "+15551110002", "sms", "stop", &removed, &err),
	    0);
	assert_int_equal(removed, 0);
	/* An admin lifts any reason. */
	assert_int_equal(outreach_unsuppress(t->s, "s1@x.io", "email", NULL, &removed, &err), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(outreach_suppression_get(t->s, "s1@x.io", "email", &o, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);

	/* Refused: a bad channel, reason or source. */
	assert_int_equal(outreach_suppress(t->s, "x@x.io", "fax", "admin", "alice", T0, NULL, &err),
	    -1);
	assert_int_equal(outreach_suppress(t->s, "x@x.io", "email", "bored", "alice", T0, NULL,
	    &err), -1);
	assert_int_equal(outreach_suppress(t->s, "x@x.io", "email", "admin", "", T0, NULL, &err),
	    -1);
	assert_int_equal(outreach_suppressed(t->s, "x", "email", &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);

	/* Listing: by channel, paged newest first. */
	assert_int_equal(outreach_suppression_list(t->s, "sms", 0, 1000, supp_count_cb, &k, &next,
	    &err), 0);
	assert_int_equal(k, 2);
	assert_int_equal(next, 0);
	k = 0;
	assert_int_equal(outreach_suppression_list(t->s, NULL, 0, 1, supp_count_cb, &k, &next,
	    &err), 0);
	assert_int_equal(k, 1);
	assert_true(next > 0);
	assert_int_equal(outreach_suppression_list(t->s, NULL, next, 1000, supp_count_cb, &k, &next,
	    &err), 0);
	assert_int_equal(k, 2);
	assert_int_equal(outreach_suppression_list(t->s, "fax", 0, 10, supp_count_cb, &k, &next,
	    &err), -1);
}

/* ---- events ------------------------------------------------------------------------------------- */

#define CRED "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CP_SG "cp_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CP_TW "cp_bbbbbbbbbbbbbbbbbbbbbbbbbb"
#define OM1 "om_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define OM2 "om_bbbbbbbbbbbbbbbbbbbbbbbbbb"
#define OM3 "om_cccccccccccccccccccccccccc"
#define OM4 "om_dddddddddddddddddddddddddd"
#define OM5 "om_eeeeeeeeeeeeeeeeeeeeeeeeee"
#define TOK1 "tok1AAAAAAAAAAAAAAAAAA"
#define TOK2 "tok2AAAAAAAAAAAAAAAAAA"

/* A list, two campaigns (sendgrid email, twilio SMS) and five messages, by SQL. */
static void
event_fixture(struct test_ctx *t)
{
	struct outreach_list_info l;
	struct outreach_import im;
	struct bos_err err = { 0 };
	char q[2048];
	size_t imp, dup;

	import_csv("email,phone\nm1@x.io,\nm2@x.io,\nm3@x.io,\nm4@x.io,\n,+15552220005\n", &im);
	assert_int_equal(outreach_list_create(t->s, "events", "alice", &im, T0, &l, &imp, &dup,
	    &err), 0);
	outreach_import_free(&im);
	sql(t->s, "INSERT INTO credentials (id, name, type, service, metadata, current_version,"
	    " created_at, updated_at) VALUES ('" CRED "', 'k', 'api_key', 'sendgrid', '{}', 1, 0, 0)");
	(void)snprintf(q, sizeof(q), "INSERT INTO outreach_campaigns (id, channel, list_id,"
	    " provider, credential, from_addr, subject, text_body, per_minute, state, next_send_at,"
	    " price_micros, currency, recipients, skipped, created_by, created_at, updated_at)"
	    " VALUES ('" CP_SG "', 'email', '%s', 'sendgrid', '" CRED "', 'me@x.io', 'Hi', 'text',"
	    " 10, 'running', 0, 1000, 'USD', 4, 0, 'alice', 0, 0),"
	    " ('" CP_TW "', 'sms', '%s', 'twilio', '" CRED "', '+15550000000', NULL, 'text', 10,"
	    " 'running', 0, 7900, 'USD', 1, 0, 'alice', 0, 0)", l.id, l.id);
	sql(t->s, q);
	/* m1: sg-1; m2 and m3 share sg-dup; m4 failed before it was sent; m5 an SMS. */
	sql(t->s, "INSERT INTO outreach_messages (id, campaign_id, contact_id, to_addr, token,"
	    " state, provider_id, sent_at, updated_at) VALUES"
	    " ('" OM1 "', '" CP_SG "', (SELECT id FROM outreach_contacts WHERE email = 'm1@x.io'),"
	    "  'm1@x.io', '" TOK1 "', 'sent', 'sg-1', 100, 0),"
	    " ('" OM2 "', '" CP_SG "', (SELECT id FROM outreach_contacts WHERE email = 'm2@x.io'),"
	    "  'm2@x.io', '" TOK2 "', 'sent', 'sg-dup', 100, 0),"
	    " ('" OM3 "', '" CP_SG "', (SELECT id FROM outreach_contacts WHERE email = 'm3@x.io'),"
	    "  'm3@x.io', 'tok3AAAAAAAAAAAAAAAAAA', 'sent', 'sg-dup', 100, 0),"
	    " ('" OM4 "', '" CP_SG "', (SELECT id FROM outreach_contacts WHERE email = 'm4@x.io'),"
	    "  'm4@x.io', 'tok4AAAAAAAAAAAAAAAAAA', 'failed', NULL, NULL, 0),"
	    " ('" OM5 "', '" CP_TW "', (SELECT id FROM outreach_contacts WHERE"
	    "  phone = '+15552220005'), '+15552220005', 'tok5AAAAAAAAAAAAAAAAAA', 'sent', 'SM5',"
	    "  100, 0)");
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_messages"), 5);
}

/* Parse the event JSON text for provider; fails the test when refused. */
static void
ev_parse(const char *provider, const char *text, struct outreach_event *e)
{
	json_t *j = json_loads(text, 0, NULL);
	struct bos_err err = { 0 };

	if (j == NULL)
		fail_msg("bad test JSON: %s", text);
	memset(e, 0, sizeof(*e));
	if (outreach_event_parse(j, provider, T0 + 3600, e, &err) != 0)
		fail_msg("event %s refused: %s", text, err.msg);
	json_decref(j);
}

static void
ev_bad(const char *text, const char *says)
{
	json_t *j = json_loads(text, 0, NULL);
	struct outreach_event e;
	struct bos_err err = { 0 };

	if (j == NULL)
		fail_msg("bad test JSON: %s", text);
	memset(&e, 0, sizeof(e));
	if (outreach_event_parse(j, "sendgrid", T0 + 3600, &e, &err) == 0)
		fail_msg("event %s accepted", text);
	assert_int_equal(err.code, BOS_E_INVALID);
	if (strstr(err.msg, says) == NULL)
		fail_msg("event %s: '%s' does not say '%s'", text, err.msg, says);
	outreach_event_clear(&e);
	json_decref(j);
}

static enum outreach_event_outcome
ev_record(struct test_ctx *t, const char *provider, const char *text, char msg[OUTREACH_ID_SIZE])
{
	enum outreach_event_outcome out;
	struct outreach_event e;
	struct bos_err err = { 0 };

	ev_parse(provider, text, &e);
	if (outreach_event_record(t->s, &e, T0 + 3600, &out, msg, &err) != 0)
		fail_msg("event %s not recorded: %s", text, err.msg);
	outreach_event_clear(&e);
	return out;
}

static void
test_event_checks(void **state)
{
	struct outreach_event e;
	char id[300];
	json_t *j;
	struct bos_err err = { 0 };

	(void)state;
	ev_parse("sendgrid", "{\"id\":\"ev1\",\"kind\":\"opened\",\"at\":1796601700,"
	    "\"message\":\"" OM1 "\",\"token\":\"" TOK1 "\",\"provider_id\":\"sg-1\","
	    "\"address\":\"M1@X.io\",\"url\":\"https://example.com/a?b=1\","
	    "\"price\":{\"micros\":1200,\"currency\":\"USD\"},\"detail\":{\"ip\":\"192.0.2.1\"}}", &e);
	assert_string_equal(e.provider, "sendgrid");
	assert_string_equal(e.id, "ev1");
	assert_int_equal(e.kind, OUTREACH_EV_OPENED);
	assert_int_equal(e.at, 1796601700);
	assert_string_equal(e.address, "m1@x.io");
	assert_string_equal(e.address_channel, "email");
	assert_int_equal(e.has_price, 1);
	assert_int_equal(e.price_micros, 1200);
	assert_string_equal(e.stored, "{\"detail\":{\"ip\":\"192.0.2.1\"},\"price\":{\"currency\":"
	    "\"USD\",\"micros\":1200},\"provider_id\":\"sg-1\",\"url\":\"https://example.com/a?b=1\"}");
	outreach_event_clear(&e);
	/* RFC 3339 times: Z, an offset, a fraction. */
	ev_parse("twilio", "{\"id\":\"SM1:delivered\",\"kind\":\"delivered\","
	    "\"at\":\"2026-12-07T00:01:40Z\"}", &e);
	assert_int_equal(e.at, T0 + 100);
	outreach_event_clear(&e);
	ev_parse("twilio", "{\"id\":\"x\",\"kind\":\"stop\",\"at\":\"2026-12-07T01:01:40.250+01:00\","
	    "\"address\":\"+1 555 222 0005\"}", &e);
	assert_int_equal(e.at, T0 + 100);
	assert_string_equal(e.address, "+15552220005");
	assert_string_equal(e.address_channel, "sms");
	outreach_event_clear(&e);

	ev_bad("[]", "a JSON object");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":1796601700,\"who\":1}", "nothing else");
	ev_bad("{\"kind\":\"opened\",\"at\":1796601700}", "id:");
	ev_bad("{\"id\":\"\",\"kind\":\"opened\",\"at\":1796601700}", "id:");
	ev_bad("{\"id\":\"a\\nb\",\"kind\":\"opened\",\"at\":1796601700}", "id:");
	memset(id, 'i', 257);
	id[257] = '\0';
	{
		char text[400];

		(void)snprintf(text, sizeof(text), "{\"id\":\"%s\",\"kind\":\"opened\","
		    "\"at\":1796601700}", id);
		ev_bad(text, "id:");
	}
	ev_bad("{\"id\":\"e\",\"kind\":\"read\",\"at\":1796601700}", "kind:");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\"}", "at:");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":946684799}", "at:");      /* before 2000 */
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":1796691601}", "at:");     /* > a day ahead */
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":\"2026-02-30T00:00:00Z\"}", "at:");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":\"2026-12-07 00:00:00\"}", "at:");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":1.5e9}", "at:");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":1796601700,\"message\":\"om_x\"}",
	    "message:");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":1796601700,\"token\":\"short\"}", "token:");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":1796601700,\"token\":"
	    "\"tok1AAAAAAAAAAAAAAAAA=\"}", "token:");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":1796601700,\"provider_id\":\"\"}",
	    "provider_id:");
	ev_bad("{\"id\":\"e\",\"kind\":\"bounced\",\"at\":1796601700,\"address\":\"nobody\"}",
	    "address:");
	ev_bad("{\"id\":\"e\",\"kind\":\"clicked\",\"at\":1796601700,\"url\":\"https://x/a b\"}",
	    "url:");
	ev_bad("{\"id\":\"e\",\"kind\":\"price\",\"at\":1796601700,\"price\":{\"micros\":-1,"
	    "\"currency\":\"USD\"}}", "price:");
	ev_bad("{\"id\":\"e\",\"kind\":\"price\",\"at\":1796601700,\"price\":{\"micros\":1,"
	    "\"currency\":\"usd\"}}", "price:");
	ev_bad("{\"id\":\"e\",\"kind\":\"price\",\"at\":1796601700,\"price\":{\"micros\":1,"
	    "\"currency\":\"USD\",\"x\":1}}", "price:");
	ev_bad("{\"id\":\"e\",\"kind\":\"opened\",\"at\":1796601700,\"detail\":[1]}", "detail:");
	{
		char text[1400], big[1100];

		memset(big, 'd', 1030);
		big[1030] = '\0';
		(void)snprintf(text, sizeof(text), "{\"id\":\"e\",\"kind\":\"opened\",\"at\":1796601700,"
		    "\"detail\":{\"d\":\"%s\"}}", big);
		ev_bad(text, "at most 1024 bytes");
	}
	/* A provider outside the list; "bos" only for the vault's own tracking. */
	j = json_pack("{s:s, s:s, s:I}", "id", "e", "kind", "opened", "at", (json_int_t)T0);
	assert_int_equal(outreach_event_parse(j, "fax", T0, &e, &err), -1);
	outreach_event_clear(&e);
	assert_int_equal(outreach_event_parse(j, "bos", T0, &e, &err), 0);
	outreach_event_clear(&e);
	json_decref(j);
	assert_int_equal(outreach_provider_valid("bos", 0), 0);
	assert_int_equal(outreach_provider_valid("twilio", 0), 1);
}

static void
test_event_matching(void **state)
{
	struct test_ctx *t = *state;
	char msg[OUTREACH_ID_SIZE];

	event_fixture(t);
	/* By message id; the same key again is a duplicate, even with other content. */
	assert_int_equal(ev_record(t, "sendgrid", "{\"id\":\"d1\",\"kind\":\"delivered\","
	    "\"at\":1796601700,\"message\":\"" OM1 "\"}", msg), OUTREACH_EVENT_RECORDED);
	assert_string_equal(msg, OM1);
	assert_int_equal(ev_record(t, "sendgrid", "{\"id\":\"d1\",\"kind\":\"bounced\","
	    "\"at\":1796601600,\"message\":\"" OM2 "\"}", msg), OUTREACH_EVENT_DUPLICATE);
	assert_string_equal(msg, "");
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions"), 0);
	assert_int_equal(sql_int(t->s, "SELECT bounced_at IS NULL FROM outreach_messages WHERE"
	    " id = '" OM2 "'"), 1);
	/* The key is per provider: the same id of another provider is another event. */
	assert_int_equal(ev_record(t, "mailgun", "{\"id\":\"d1\",\"kind\":\"delivered\","
	    "\"at\":1796601700}", msg), OUTREACH_EVENT_UNMATCHED);
	/* By token. */
	assert_int_equal(ev_record(t, "sendgrid", "{\"id\":\"o2\",\"kind\":\"opened\","
	    "\"at\":1796601700,\"token\":\"" TOK2 "\"}", msg), OUTREACH_EVENT_RECORDED);
	assert_string_equal(msg, OM2);
	/* An unknown message id, then the token: the token finds it. */
	assert_int_equal(ev_record(t, "sendgrid", "{\"id\":\"o2b\",\"kind\":\"opened\","
	    "\"at\":1796601700,\"message\":\"" "om_zzzzzzzzzzzzzzzzzzzzzzzzzz" "\",\"token\":\""
	    TOK2 "\"}", msg), OUTREACH_EVENT_RECORDED);
	assert_string_equal(msg, OM2);
	/* By the provider's id: of a campaign of that provider, and only when it is one message. */
	assert_int_equal(ev_record(t, "sendgrid", "{\"id\":\"p1\",\"kind\":\"clicked\","
	    "\"at\":1796601700,\"provider_id\":\"sg-1\"}", msg), OUTREACH_EVENT_RECORDED);
	assert_string_equal(msg, OM1);
	assert_int_equal(ev_record(t, "twilio", "{\"id\":\"p1\",\"kind\":\"clicked\","
	    "\"at\":1796601700,\"provider_id\":\"sg-1\"}", msg), OUTREACH_EVENT_UNMATCHED);
	assert_int_equal(ev_record(t, "sendgrid", "{\"id\":\"p2\",\"kind\":\"clicked\","
	    "\"at\":1796601700,\"provider_id\":\"sg-dup\"}", msg), OUTREACH_EVENT_UNMATCHED);
	assert_int_equal(ev_record(t, "twilio", "{\"id\":\"SM5:delivered\",\"kind\":\"delivered\","
	    "\"at\":1796601700,\"provider_id\":\"SM5\"}", msg), OUTREACH_EVENT_RECORDED);
	assert_string_equal(msg, OM5);
	/* Nothing to match: recorded without a message. */
	assert_int_equal(ev_record(t, "sendgrid", "{\"id\":\"n1\",\"kind\":\"opened\","
	    "\"at\":1796601700}", msg), OUTREACH_EVENT_UNMATCHED);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_events WHERE message_id IS"
	    " NULL"), 4);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_events"), 9);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_events WHERE campaign_id ="
	    " '" CP_SG "'"), 4);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_events WHERE event_key ="
	    " 'sendgrid:d1'"), 1);
}

static void
test_event_effects(void **state)
{
	struct test_ctx *t = *state;
	char msg[OUTREACH_ID_SIZE];

	event_fixture(t);
	/* First times: the earliest reported wins, whatever the order. */
	ev_record(t, "sendgrid", "{\"id\":\"a\",\"kind\":\"delivered\",\"at\":1796601700,"
	    "\"message\":\"" OM1 "\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"b\",\"kind\":\"delivered\",\"at\":1796601650,"
	    "\"message\":\"" OM1 "\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"c\",\"kind\":\"delivered\",\"at\":1796601800,"
	    "\"message\":\"" OM1 "\"}", msg);
	assert_int_equal(sql_int(t->s, "SELECT delivered_at FROM outreach_messages WHERE id = '"
	    OM1 "'"), 1796601650);
	ev_record(t, "sendgrid", "{\"id\":\"d\",\"kind\":\"opened\",\"at\":1796601900,"
	    "\"message\":\"" OM1 "\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"e\",\"kind\":\"replied\",\"at\":1796601901,"
	    "\"message\":\"" OM1 "\"}", msg);
	assert_int_equal(sql_int(t->s, "SELECT opened_at FROM outreach_messages WHERE id = '" OM1
	    "'"), 1796601900);
	assert_int_equal(sql_int(t->s, "SELECT replied_at FROM outreach_messages WHERE id = '" OM1
	    "'"), 1796601901);
	assert_int_equal(sql_int(t->s, "SELECT clicked_at FROM outreach_messages WHERE id = '" OM1
	    "'"), -2);
	/* Nothing suppressed by those. */
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions"), 0);

	/* bounced, unsubscribed, complained: the address the message went to, for email. */
	ev_record(t, "sendgrid", "{\"id\":\"f\",\"kind\":\"bounced\",\"at\":1796601700,"
	    "\"message\":\"" OM2 "\",\"address\":\"other@x.io\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"g\",\"kind\":\"unsubscribed\",\"at\":1796601700,"
	    "\"token\":\"tok3AAAAAAAAAAAAAAAAAA\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"h\",\"kind\":\"complained\",\"at\":1796601700,"
	    "\"address\":\"spam@x.io\"}", msg);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = 'm2@x.io' AND channel = 'email' AND reason = 'bounced' AND"
	    " source = 'event:sendgrid'"), 1);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = 'other@x.io'"), 0);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = 'm3@x.io' AND reason = 'unsubscribed'"), 1);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = 'spam@x.io' AND reason = 'complained'"), 1);
	assert_int_equal(sql_int(t->s, "SELECT bounced_at FROM outreach_messages WHERE id = '" OM2
	    "'"), 1796601700);

	/* STOP and START: phone numbers only, START lifts STOP only. */
	ev_record(t, "twilio", "{\"id\":\"in1\",\"kind\":\"stop\",\"at\":1796601700,"
	    "\"address\":\"+1 555 333 0001\"}", msg);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = '+15553330001' AND channel = 'sms' AND reason = 'stop'"), 1);
	ev_record(t, "twilio", "{\"id\":\"in2\",\"kind\":\"start\",\"at\":1796601701,"
	    "\"address\":\"+15553330001\"}", msg);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = '+15553330001'"), 0);
	ev_record(t, "twilio", "{\"id\":\"in3\",\"kind\":\"stop\",\"at\":1796601700,"
	    "\"message\":\"" OM5 "\"}", msg);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = '+15552220005' AND reason = 'stop'"), 1);
	ev_record(t, "twilio", "{\"id\":\"in4\",\"kind\":\"stop\",\"at\":1796601700,"
	    "\"address\":\"x@x.io\"}", msg);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = 'x@x.io'"), 0);
	{
		struct bos_err err = { 0 };

		assert_int_equal(outreach_suppress(t->s, "+15553330009", "sms", "admin", "alice", T0,
		    NULL, &err), 0);
	}
	ev_record(t, "twilio", "{\"id\":\"in5\",\"kind\":\"start\",\"at\":1796601700,"
	    "\"address\":\"+15553330009\"}", msg);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = '+15553330009'"), 1);

	/* Price: in the campaign's currency only. */
	ev_record(t, "twilio", "{\"id\":\"SM5:price\",\"kind\":\"price\",\"at\":1796601700,"
	    "\"provider_id\":\"SM5\",\"price\":{\"micros\":7500,\"currency\":\"USD\"}}", msg);
	assert_int_equal(sql_int(t->s, "SELECT price_micros FROM outreach_messages WHERE id = '" OM5
	    "'"), 7500);
	ev_record(t, "twilio", "{\"id\":\"SM5:price2\",\"kind\":\"price\",\"at\":1796601700,"
	    "\"provider_id\":\"SM5\",\"price\":{\"micros\":9,\"currency\":\"EUR\"}}", msg);
	assert_int_equal(sql_int(t->s, "SELECT price_micros FROM outreach_messages WHERE id = '" OM5
	    "'"), 7500);
	/* A replay changes nothing, even a suppression lifted since. */
	{
		struct bos_err err = { 0 };

		assert_int_equal(outreach_unsuppress(t->s, "m2@x.io", "email", NULL, NULL, &err), 0);
	}
	assert_int_equal(ev_record(t, "sendgrid", "{\"id\":\"f\",\"kind\":\"bounced\","
	    "\"at\":1796601700,\"message\":\"" OM2 "\"}", msg), OUTREACH_EVENT_DUPLICATE);
	assert_int_equal(sql_int(t->s, "SELECT count(*) FROM outreach_suppressions WHERE"
	    " address = 'm2@x.io'"), 0);
}

static void
test_stats(void **state)
{
	struct test_ctx *t = *state;
	struct outreach_stats st;
	struct bos_err err = { 0 };
	char msg[OUTREACH_ID_SIZE];

	event_fixture(t);
	ev_record(t, "sendgrid", "{\"id\":\"1\",\"kind\":\"delivered\",\"at\":1796601700,"
	    "\"message\":\"" OM1 "\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"2\",\"kind\":\"delivered\",\"at\":1796601700,"
	    "\"message\":\"" OM2 "\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"3\",\"kind\":\"opened\",\"at\":1796601700,"
	    "\"message\":\"" OM1 "\"}", msg);
	/* The same message opened twice counts once. */
	ev_record(t, "sendgrid", "{\"id\":\"4\",\"kind\":\"opened\",\"at\":1796601800,"
	    "\"message\":\"" OM1 "\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"5\",\"kind\":\"clicked\",\"at\":1796601700,"
	    "\"message\":\"" OM1 "\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"6\",\"kind\":\"dropped\",\"at\":1796601700,"
	    "\"message\":\"" OM3 "\"}", msg);
	ev_record(t, "sendgrid", "{\"id\":\"7\",\"kind\":\"unsubscribed\",\"at\":1796601700,"
	    "\"message\":\"" OM2 "\"}", msg);
	assert_int_equal(outreach_stats_get(t->s, CP_SG, &st, &err), 0);
	assert_int_equal(st.messages, 4);
	assert_int_equal(st.sent, 3);                /* om_d.. failed before it was sent */
	assert_int_equal(st.delivered, 2);
	assert_int_equal(st.opened, 1);
	assert_int_equal(st.clicked, 1);
	assert_int_equal(st.unsubscribed, 1);
	assert_int_equal(st.bounced, 0);
	assert_int_equal(st.failed, 2);              /* state failed, and a dropped event */
	assert_int_equal(outreach_stats_get(t->s, CP_TW, &st, &err), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(outreach_stats_get(t->s, NULL, &st, &err), 0);
	assert_int_equal(st.messages, 5);
	assert_int_equal(st.sent, 4);
	assert_int_equal(outreach_stats_get(t->s, "cp_zzzzzzzzzzzzzzzzzzzzzzzzzz", &st, &err), -1);
	assert_int_equal(err.code, BOS_E_NOTFOUND);
	assert_int_equal(outreach_stats_get(t->s, "nope", &st, &err), -1);

	/* Rates: count / sent to 4 decimals, rounded half up; none without a send. */
	assert_true(outreach_rate(2, 3) == 0.6667);
	assert_true(outreach_rate(1, 3) == 0.3333);
	assert_true(outreach_rate(1, 8) == 0.125);
	assert_true(outreach_rate(1, 20000) == 0.0001);   /* 0.00005: half up */
	assert_true(outreach_rate(1, 20001) == 0.0);
	assert_true(outreach_rate(0, 5) == 0.0);
	assert_true(outreach_rate(5, 5) == 1.0);
	assert_true(outreach_rate(3, 0) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_reader),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_rows_normalised),
		cmocka_unit_test(test_row_rules),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_row_numbers_and_limits),
		cmocka_unit_test(test_json_import),
		cmocka_unit_test(test_event_checks),
		cmocka_unit_test_setup_teardown(test_list_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contact_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppressions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_matching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_effects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
