/*
 * libFuzzer target: the CSV reader and the checks of a contact import
 * (vault/store/outreach_list.c), which take an admin's file as it came. The
 * input is read as CSV records (outreach_csv_parse) and imported as a
 * contact list (outreach_import_csv). It checks: records are numbered 0, 1,
 * 2 ... and each field is NUL-terminated at its length and holds no NUL;
 * the fields of a record never hold more bytes than the input; a reader that
 * stops early stops; every row of an import is either good or reported bad
 * (good + bad = rows read, at most 10,000); a good row has an email or a
 * phone, each already normalised (normalising it again changes nothing), a
 * name on one line, and fields that are a JSON object; a reported row is
 * numbered within the file and says why; and a refusal is BOS_E_INVALID.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/outreach_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_csv {
	size_t next, size, stop;
};

static int
fuzz_record(const struct outreach_csv_record *rec, void *arg)
{
	struct fuzz_csv *c = arg;
	size_t i, total = 0;

	if (rec->record != c->next++)
		__builtin_trap();
	for (i = 0; i < rec->n; i++) {
		if (rec->f[i][rec->len[i]] != '\0' || memchr(rec->f[i], '\0', rec->len[i]) != NULL)
			__builtin_trap();
		total += rec->len[i];
	}
	if (rec->n == 0 || rec->n > OUTREACH_CSV_FIELDS_MAX || total > c->size)
		__builtin_trap();
	return c->stop != 0 && c->next == c->stop ? 1 : 0;
}

static void
fuzz_good_row(const struct outreach_contact *c)
{
	char again[OUTREACH_ADDRESS_SIZE], phone[OUTREACH_PHONE_SIZE];
	const char *why;
	json_t *f;

	if (c->email[0] == '\0' && c->phone[0] == '\0')
		__builtin_trap();
	if (c->email[0] != '\0' && (outreach_email_normalise(c->email, strlen(c->email), again,
	    &why) != 0 || strcmp(again, c->email) != 0))
		__builtin_trap();
	if (c->phone[0] != '\0' && (outreach_phone_normalise(c->phone, strlen(c->phone), phone,
	    &why) != 0 || strcmp(phone, c->phone) != 0))
		__builtin_trap();
	if (c->name == NULL || strchr(c->name, '\n') != NULL || strchr(c->name, '\r') != NULL ||
	    c->fields_json == NULL || strlen(c->fields_json) > OUTREACH_FIELDS_JSON_MAX)
		__builtin_trap();
	f = json_loads(c->fields_json, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(f) || json_object_size(f) > OUTREACH_FIELDS_MAX)
		__builtin_trap();
	json_decref(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_csv c = { 0, size, 0 };
	struct outreach_import im;
	struct bos_err err = { 0 };
	size_t i;
	int too_many = 0;

	(void)outreach_csv_parse((const char *)data, size, fuzz_record, &c, &err);
	c.next = 0;
	c.stop = 2;
	if (outreach_csv_parse((const char *)data, size, fuzz_record, &c, &err) == 0 &&
	    c.next > 2)
		__builtin_trap();
	outreach_import_init(&im);
	if (outreach_import_csv(&im, (const char *)data, size, &too_many, &err) == 0) {
		if (im.n + outreach_import_bad(&im) != im.total || im.total > OUTREACH_ROWS_MAX ||
		    too_many)
			__builtin_trap();
		for (i = 0; i < im.n; i++)
			fuzz_good_row(&im.rows[i]);
		for (i = 0; i < im.n_errors; i++)
			if (im.errors[i].row == 0 || im.errors[i].row > size ||
			    im.errors[i].message[0] == '\0')
				__builtin_trap();
	} else if (err.code != BOS_E_INVALID && err.code != BOS_E_NOMEM) {
		__builtin_trap();
	}
	outreach_import_free(&im);
	return 0;
}
