/*
 * Outreach contact lists, their contacts and the suppression list
 * (docs/OUTREACH.md "Contacts and lists"; schema v10). Storage, and the pure
 * parts the API and the tests call: address normalisation, the CSV reader
 * (RFC 4180) and the checks of an import, whichever form it came in.
 *
 * An import is parsed and checked in full before anything is written
 * (outreach_import_csv / outreach_import_json): every row is normalised
 * (an email trimmed and lower-cased, a phone number in E.164) or reported,
 * one problem per bad row. Only an import without a bad row may be stored,
 * all of it or nothing (outreach_list_create / outreach_list_append);
 * duplicates (the same email, or the same phone, already in the list or
 * earlier in the import) are skipped and counted, never an error.
 *
 * A suppression is per normalised address and channel ("email" for an
 * email address, "sms" for a phone number) and wins over every campaign.
 *
 * Nothing here logs an address. Locking: the caller holds the vault's
 * database lock; writes run in their own transaction, nested as a
 * savepoint in a caller's.
 */
#ifndef BOS_OUTREACH_LIST_H
#define BOS_OUTREACH_LIST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;

#define OUTREACH_ID_LEN 29                /* "ol_" / "ct_" + 26 base32 characters */
#define OUTREACH_ID_SIZE (OUTREACH_ID_LEN + 1)
#define OUTREACH_LIST_PREFIX "ol_"
#define OUTREACH_CONTACT_PREFIX "ct_"
#define OUTREACH_LIST_NAME_MAX 64
#define OUTREACH_BY_SIZE 65               /* an admin name, a source */

#define OUTREACH_EMAIL_MIN 3
#define OUTREACH_EMAIL_MAX 254
#define OUTREACH_ADDRESS_SIZE (OUTREACH_EMAIL_MAX + 1)
#define OUTREACH_PHONE_DIGITS_MIN 7
#define OUTREACH_PHONE_DIGITS_MAX 15
#define OUTREACH_PHONE_SIZE (OUTREACH_PHONE_DIGITS_MAX + 2)   /* '+', digits, NUL */
#define OUTREACH_ADDRESS_INPUT_MAX 320    /* what is looked at before normalising */
#define OUTREACH_NAME_MAX 128             /* characters (UTF-8 code points) */
#define OUTREACH_FIELDS_MAX 32
#define OUTREACH_FIELD_NAME_MAX 32
#define OUTREACH_FIELD_VALUE_MAX 512      /* bytes */
#define OUTREACH_FIELDS_JSON_MAX 2048     /* the fields as stored (compact JSON) */
#define OUTREACH_ROWS_MAX 10000           /* rows per request */
#define OUTREACH_ROW_ERRORS_MAX 100       /* bad rows reported; the others are counted */
#define OUTREACH_CSV_FIELDS_MAX 256       /* fields of one CSV record */
#define OUTREACH_MSG_MAX 160

#define OUTREACH_CONSENT_EMAIL 1u
#define OUTREACH_CONSENT_SMS 2u

/* 1 when s has the form of a list id (ol_...) or a contact id (ct_...). */
int outreach_list_id_valid(const char *s);
int outreach_contact_id_valid(const char *s);

/*
 * A list name: 1..64 of A-Za-z0-9 space . _ -, no space at either end, and
 * not of the form of a list id (so "id or name" is never ambiguous). 0, or
 * -1 with BOS_E_INVALID saying why.
 */
int outreach_list_name_check(const char *name, struct bos_err *err) BOS_WUR;

/* ---- addresses --------------------------------------------------------------------- */

/*
 * An email address as docs/OUTREACH.md says: trimmed of spaces and tabs,
 * then one '@', 3..254 bytes, printable ASCII without space, control
 * characters or any of <>()[],;:"\ (so that it is safe in a header), a
 * non-empty local part and a domain with a dot (not first or last, never
 * two in a row); lower-cased into out. 0, or -1 with *why (a static
 * sentence that never quotes the input).
 */
int outreach_email_normalise(const char *in, size_t n, char out[static OUTREACH_ADDRESS_SIZE],
    const char **why) BOS_WUR;
/*
 * A phone number in E.164: spaces, dashes, dots and parentheses are removed
 * (nothing else), then '+' and 7..15 digits. 0, or -1 with *why.
 */
int outreach_phone_normalise(const char *in, size_t n, char out[static OUTREACH_PHONE_SIZE],
    const char **why) BOS_WUR;
/*
 * Either, told apart by its form: an '@' makes an email ("email"), anything
 * else must be a phone number ("sms"). *channel is a static string.
 */
int outreach_address_normalise(const char *in, size_t n, char out[static OUTREACH_ADDRESS_SIZE],
    const char **channel, const char **why) BOS_WUR;
/* "email" or "sms" (the static string), else NULL. */
const char *outreach_channel_name(const char *s);

/* ---- CSV (RFC 4180) ----------------------------------------------------------------- */

/*
 * One record: n fields, each NUL-terminated (the input holds no NUL) with
 * its length, quotes removed and "" made ". record is 0 for the first line
 * (the header), then 1, 2, ... Valid during the callback only.
 */
struct outreach_csv_record {
	size_t record;
	size_t n;
	const char *const *f;
	const size_t *len;
};
/*
 * Read data: records end with CRLF or LF (the last one may have none), fields
 * are separated by ','; a field in double quotes may hold ',', CR, LF and
 * "" for a quote. A UTF-8 byte order mark at the start is skipped. Refused
 * (BOS_E_INVALID, the message naming the record): a NUL byte, invalid
 * UTF-8, a quote inside an unquoted field, text after a closing quote, a
 * quoted field not closed, a CR not followed by LF outside quotes, more
 * than OUTREACH_CSV_FIELDS_MAX fields in a record. cb returns 0 to go on,
 * 1 to stop (not an error), -1 for an error it put in err. 0 or -1.
 */
int outreach_csv_parse(const char *data, size_t len,
    int (*cb)(const struct outreach_csv_record *rec, void *arg), void *arg,
    struct bos_err *err) BOS_WUR;

/* ---- imports ------------------------------------------------------------------------ */

struct outreach_contact {
	char email[OUTREACH_ADDRESS_SIZE];    /* normalised; "" when none */
	char phone[OUTREACH_PHONE_SIZE];      /* E.164; "" when none */
	char *name;                           /* "" when none; malloc'd */
	char *fields_json;                    /* a JSON object, compact, keys sorted; malloc'd */
	unsigned consent;                     /* OUTREACH_CONSENT_* bits */
};

struct outreach_row_error {
	size_t row;                           /* 1-based over data rows */
	char field[OUTREACH_FIELD_NAME_MAX + 1]; /* "" when the row as a whole is wrong */
	char message[OUTREACH_MSG_MAX];       /* never quotes the value */
};

/* An import, parsed and checked; outreach_import_free releases it. */
struct outreach_import {
	struct outreach_contact *rows;        /* the good rows, in order */
	size_t n, cap;
	size_t total;                         /* data rows read (blank CSV lines not counted) */
	struct outreach_row_error errors[OUTREACH_ROW_ERRORS_MAX];
	size_t n_errors;                      /* bad rows reported here */
	size_t more;                          /* bad rows beyond those */
};

void outreach_import_init(struct outreach_import *im);
void outreach_import_free(struct outreach_import *im);
/* Bad rows in all. */
size_t outreach_import_bad(const struct outreach_import *im);

/*
 * Parse CSV text whose first record is the header: columns email, phone,
 * name, consent (matched ignoring case) and custom fields
 * ([A-Za-z][A-Za-z0-9_]{0,31}, at most 32); names unique ignoring case, at
 * least an email or a phone column, no CVV-like name. Every value is
 * trimmed of spaces and tabs; an empty line is no row; an empty custom
 * value is no field. A header or structure problem, or more than
 * OUTREACH_ROWS_MAX rows: -1 (BOS_E_INVALID; *too_many set for the last).
 * Otherwise 0, with the good rows and the bad ones in im.
 */
int outreach_import_csv(struct outreach_import *im, const char *data, size_t len,
    int *too_many, struct bos_err *err) BOS_WUR;
/*
 * The same from a JSON array of objects {email?, phone?, name?, consent?,
 * fields?}: consent a string (email, sms, both, none) or an array of
 * channels, fields an object of strings. Not an array, or more than
 * OUTREACH_ROWS_MAX elements: -1.
 */
int outreach_import_json(struct outreach_import *im, const json_t *contacts, int *too_many,
    struct bos_err *err) BOS_WUR;

/* ---- lists and contacts ------------------------------------------------------------- */

struct outreach_list_info {
	char id[OUTREACH_ID_SIZE];
	char name[OUTREACH_LIST_NAME_MAX + 1];
	char created_by[OUTREACH_BY_SIZE];
	int64_t contacts;
	int64_t created_at, updated_at;
};

/*
 * Store a new list with the rows of im (which must have no bad row):
 * BOS_E_EXISTS when the name is taken. *imported and *duplicates count the
 * rows; out is the list as stored. 0 or -1; on -1 nothing is written.
 */
int outreach_list_create(struct store *s, const char *name, const char *by,
    const struct outreach_import *im, int64_t now, struct outreach_list_info *out,
    size_t *imported, size_t *duplicates, struct bos_err *err) BOS_WUR;
/* Add the rows of im to list id (BOS_E_NOTFOUND), the same way. */
int outreach_list_append(struct store *s, const char *id, const struct outreach_import *im,
    int64_t now, struct outreach_list_info *out, size_t *imported, size_t *duplicates,
    struct bos_err *err) BOS_WUR;
/* One list by id or name; BOS_E_NOTFOUND. */
int outreach_list_get(struct store *s, const char *id_or_name, struct outreach_list_info *out,
    struct bos_err *err) BOS_WUR;
/* Every list, by name; cb returns non-zero to stop early. */
int outreach_list_list(struct store *s, int (*cb)(const struct outreach_list_info *, void *),
    void *arg, struct bos_err *err) BOS_WUR;

struct outreach_contact_info {
	char id[OUTREACH_ID_SIZE];
	char email[OUTREACH_ADDRESS_SIZE];    /* "" when none */
	char phone[OUTREACH_PHONE_SIZE];      /* "" when none */
	const char *name;                     /* valid during the callback only */
	const char *fields_json;              /* valid during the callback only */
	unsigned consent;                     /* OUTREACH_CONSENT_* */
	unsigned suppressed;                  /* OUTREACH_CONSENT_* bits of the suppressed channels */
	int64_t created_at;
};

#define OUTREACH_PAGE_MAX 1000
/*
 * The contacts of list id in the order they were added, at most limit
 * (1..OUTREACH_PAGE_MAX), after contact `after` (NULL: from the start; a
 * contact of another list, or none: BOS_E_INVALID). next receives the id
 * to pass as `after` for the next page, or "" when this was the last.
 */
int outreach_contact_page(struct store *s, const char *list_id, const char *after,
    unsigned limit, int (*cb)(const struct outreach_contact_info *, void *), void *arg,
    char next[OUTREACH_ID_SIZE], struct bos_err *err) BOS_WUR;

/* ---- the suppression list ----------------------------------------------------------- */

/* reason: unsubscribed, bounced, complained, stop or admin. */
int outreach_reason_valid(const char *reason);

/*
 * Is address (normalised) suppressed on channel ("email" or "sms")? 1 yes,
 * 0 no, -1 error. Every send asks this (docs/OUTREACH.md).
 */
int outreach_suppressed(struct store *s, const char *address, const char *channel,
    struct bos_err *err) BOS_WUR;
/*
 * Suppress address on channel for reason, from source (1..64: an admin's
 * name, or "event:PROVIDER"). An address suppressed already keeps its row, except
 * that an admin's suppression replaces a "stop" (so that START does not
 * lift what an admin decided). *added (may be NULL): 1 when a row was
 * made. 0 or -1.
 */
int outreach_suppress(struct store *s, const char *address, const char *channel,
    const char *reason, const char *source, int64_t now, int *added,
    struct bos_err *err) BOS_WUR;
/*
 * Lift the suppression of address on channel; only_reason (NULL: any)
 * lifts it only when it has that reason (SMS START lifts "stop" only).
 * *removed (may be NULL): 1 when a row went. 0 or -1.
 */
int outreach_unsuppress(struct store *s, const char *address, const char *channel,
    const char *only_reason, int *removed, struct bos_err *err) BOS_WUR;

struct outreach_suppression {
	char address[OUTREACH_ADDRESS_SIZE];
	char channel[8];
	char reason[16];
	char source[OUTREACH_BY_SIZE];
	int64_t created_at;
	int64_t seq;                          /* its place in the list, for paging */
};
/* One suppression; BOS_E_NOTFOUND. */
int outreach_suppression_get(struct store *s, const char *address, const char *channel,
    struct outreach_suppression *out, struct bos_err *err) BOS_WUR;
/*
 * Suppressions (of channel, or all when NULL), newest first, at most limit
 * (1..OUTREACH_PAGE_MAX), older than `before` (0: from the newest). *next
 * receives the value for `before` of the next page, 0 when this was the last.
 */
int outreach_suppression_list(struct store *s, const char *channel, int64_t before,
    unsigned limit, int (*cb)(const struct outreach_suppression *, void *), void *arg,
    int64_t *next, struct bos_err *err) BOS_WUR;

#endif
