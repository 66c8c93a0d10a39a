/* Outreach lists, contacts and suppressions; see outreach_list.h and docs/OUTREACH.md. */
#include "store/outreach_list.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "json_alloc.h"
#include "log.h"
#include "randid.h"
#include "store/card.h"
#include "store/store.h"

#define OUTREACH_ID_CHARS (OUTREACH_ID_LEN - 3)
#define OUTREACH_UTF8_BOM "\xef\xbb\xbf"

int
outreach_list_id_valid(const char *s)
{
	return randid_valid(s, OUTREACH_LIST_PREFIX, OUTREACH_ID_CHARS);
}

int
outreach_contact_id_valid(const char *s)
{
	return randid_valid(s, OUTREACH_CONTACT_PREFIX, OUTREACH_ID_CHARS);
}

int
outreach_list_name_check(const char *name, struct bos_err *err)
{
	size_t i, n = name != NULL ? strnlen(name, OUTREACH_LIST_NAME_MAX + 1) : 0;

	if (n == 0 || n > OUTREACH_LIST_NAME_MAX)
		return bos_err_set(err, BOS_E_INVALID, "a list's name is 1 to %d characters",
		    OUTREACH_LIST_NAME_MAX);
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == ' ' || c == '.' || c == '_' || c == '-'))
			return bos_err_set(err, BOS_E_INVALID, "a list's name may contain only "
			    "letters, digits, spaces, '.', '_' and '-'");
	}
	if (name[0] == ' ' || name[n - 1] == ' ')
		return bos_err_set(err, BOS_E_INVALID, "a list's name may not begin or end with a "
		    "space");
	if (outreach_list_id_valid(name))
		return bos_err_set(err, BOS_E_INVALID, "a list's name may not look like a list id "
		    "(ol_...)");
	return 0;
}

/* ---- text helpers ---------------------------------------------------------------------- */

/*
 * Length of the UTF-8 sequence at s (n > 0 bytes left) and its code point in
 * *cp, or 0 when it is not valid UTF-8 (overlong forms, surrogates and code
 * points past U+10FFFF included).
 */
static size_t
outreach_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		if (n < 2 || (s[1] & 0xc0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		return *cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff) ? 0 : 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
		    ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
		return *cp < 0x10000 || *cp > 0x10ffff ? 0 : 4;
	}
	return 0;
}

/* Offset of the first byte that is not valid UTF-8, or n when all is. */
static size_t
outreach_utf8_bad_at(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = outreach_utf8_next(p + i, n - i, &cp)) == 0)
			return i;
		i += k;
	}
	return n;
}

/* A control character: C0, DEL or C1. */
static int
outreach_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * Check text of n bytes: valid UTF-8, at most max_chars code points (0: no
 * limit), no NUL, no control character except tab, CR and LF when
 * allow_breaks. 0, or -1 with *why.
 */
static int
outreach_text_check(const char *s, size_t n, size_t max_chars, int allow_breaks,
    const char **why)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, chars = 0;
	uint32_t cp;

	while (i < n) {
		if ((k = outreach_utf8_next(p + i, n - i, &cp)) == 0) {
			*why = "is not valid UTF-8";
			return -1;
		}
		if (outreach_is_control(cp) && !(allow_breaks && (cp == '\t' || cp == '\r' ||
		    cp == '\n'))) {
			*why = allow_breaks ? "holds a control character (only tab, CR and LF are "
			    "allowed)" : "holds a control character (a line break, a tab ...)";
			return -1;
		}
		i += k;
		if (max_chars != 0 && ++chars > max_chars) {
			*why = "is too long";
			return -1;
		}
	}
	return 0;
}

/* Trim spaces and tabs at both ends of (*s, *n). */
static void
outreach_trim(const char **s, size_t *n)
{
	while (*n > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* ASCII case-insensitive equality of (a, n) with the NUL-terminated b. */
static int
outreach_ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (y == '\0')
			return 0;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return b[n] == '\0';
}

/* ---- addresses --------------------------------------------------------------------- */

int
outreach_email_normalise(const char *in, size_t n, char out[static OUTREACH_ADDRESS_SIZE],
    const char **why)
{
	static const char specials[] = "<>()[],;:\"\\";
	size_t i, at = 0, ats = 0;

	out[0] = '\0';
	outreach_trim(&in, &n);
	if (n < OUTREACH_EMAIL_MIN || n > OUTREACH_EMAIL_MAX) {
		*why = "an email address is 3 to 254 characters";
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= 0x20 || c >= 0x7f) {
			*why = "an email address holds no space, control or non-ASCII character";
			goto bad;
		}
		if (memchr(specials, c, sizeof(specials) - 1) != NULL) {
			*why = "an email address holds none of < > ( ) [ ] , ; : \" \\";
			goto bad;
		}
		if (c == '@') {
			at = i;
			ats++;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	if (ats != 1 || at == 0) {
		*why = "an email address has exactly one @, with a name before it";
		goto bad;
	}
	if (memchr(out + at + 1, '.', n - at - 1) == NULL || out[at + 1] == '.' ||
	    out[n - 1] == '.' || strstr(out + at + 1, "..") != NULL) {
		*why = "an email address needs a domain with a dot after the @ (example.com)";
		goto bad;
	}
	return 0;
bad:
	out[0] = '\0';
	return -1;
}

int
outreach_phone_normalise(const char *in, size_t n, char out[static OUTREACH_PHONE_SIZE],
    const char **why)
{
	size_t i, o = 0;

	out[0] = '\0';
	if (n > OUTREACH_ADDRESS_INPUT_MAX) {
		*why = "a phone number is '+' and 7 to 15 digits (E.164)";
		return -1;
	}
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')
			continue;
		if (c == '+' && o == 0) {
			out[o++] = '+';
			continue;
		}
		if (c < '0' || c > '9') {
			*why = "a phone number holds only '+', digits, and spaces, dashes, dots or "
			    "parentheses";
			goto bad;
		}
		if (o == 0) {
			*why = "a phone number starts with '+' and the country code (E.164)";
			goto bad;
		}
		if (o > OUTREACH_PHONE_DIGITS_MAX) {
			*why = "a phone number has at most 15 digits (E.164)";
			goto bad;
		}
		out[o++] = c;
	}
	if (o == 0) {
		*why = "a phone number starts with '+' and the country code (E.164)";
		goto bad;
	}
	if (o - 1 < OUTREACH_PHONE_DIGITS_MIN) {
		*why = "a phone number has at least 7 digits (E.164)";
		goto bad;
	}
	out[o] = '\0';
	return 0;
bad:
	out[0] = '\0';
	return -1;
}

int
outreach_address_normalise(const char *in, size_t n, char out[static OUTREACH_ADDRESS_SIZE],
    const char **channel, const char **why)
{
	char phone[OUTREACH_PHONE_SIZE];

	*channel = NULL;
	if (n > OUTREACH_ADDRESS_INPUT_MAX) {
		*why = "an address is an email address or a phone number";
		return -1;
	}
	if (memchr(in, '@', n) != NULL) {
		if (outreach_email_normalise(in, n, out, why) != 0)
			return -1;
		*channel = "email";
		return 0;
	}
	if (outreach_phone_normalise(in, n, phone, why) != 0) {
		out[0] = '\0';
		return -1;
	}
	memcpy(out, phone, strlen(phone) + 1);
	*channel = "sms";
	return 0;
}

const char *
outreach_channel_name(const char *s)
{
	if (s != NULL && strcmp(s, "email") == 0)
		return "email";
	if (s != NULL && strcmp(s, "sms") == 0)
		return "sms";
	return NULL;
}

/* ---- CSV ----------------------------------------------------------------------------- */

struct outreach_csv {
	const char *p;
	size_t len, pos;
	char *buf;                  /* the record's fields, each NUL-terminated */
	size_t used;
	size_t off[OUTREACH_CSV_FIELDS_MAX];
	size_t flen[OUTREACH_CSV_FIELDS_MAX];
	const char *f[OUTREACH_CSV_FIELDS_MAX];
	size_t n;
	size_t record;
};

/* Where a record is, for "CSV %s%.0zu": "CSV header" or "CSV row N". */
#define CSV_WHERE(c) (c)->record ? "row " : "header", (c)->record

static int
outreach_csv_end_field(struct outreach_csv *c, size_t start, struct bos_err *err)
{
	if (c->n == OUTREACH_CSV_FIELDS_MAX)
		return bos_err_set(err, BOS_E_INVALID, "CSV %s%.0zu: more than %d fields",
		    CSV_WHERE(c), OUTREACH_CSV_FIELDS_MAX);
	c->off[c->n] = start;
	c->flen[c->n] = c->used - start;
	c->buf[c->used++] = '\0';
	c->n++;
	return 0;
}


/*
 * One field from c->pos: 0 when the record goes on (a ',' followed), 1 when
 * it ended (line end or end of input), -1 on a structure error.
 */
static int
outreach_csv_field(struct outreach_csv *c, struct bos_err *err)
{
	size_t start = c->used;
	char ch;

	if (c->pos < c->len && c->p[c->pos] == '"') {
		for (c->pos++;; ) {
			if (c->pos >= c->len)
				return bos_err_set(err, BOS_E_INVALID, "CSV %s%.0zu: a quoted field is "
				    "not closed", CSV_WHERE(c));
			ch = c->p[c->pos];
			if (ch == '"' && c->pos + 1 < c->len && c->p[c->pos + 1] == '"') {
				c->buf[c->used++] = '"';
				c->pos += 2;
			} else if (ch == '"') {
				c->pos++;
				break;
			} else {
				c->buf[c->used++] = ch;
				c->pos++;
			}
		}
		if (outreach_csv_end_field(c, start, err) != 0)
			return -1;
		if (c->pos >= c->len)
			return 1;
		ch = c->p[c->pos];
		if (ch == ',') {
			c->pos++;
			return 0;
		}
		if (ch == '\n' || (ch == '\r' && c->pos + 1 < c->len && c->p[c->pos + 1] == '\n')) {
			c->pos += ch == '\n' ? 1 : 2;
			return 1;
		}
		return bos_err_set(err, BOS_E_INVALID, "CSV %s%.0zu: text after the closing quote "
		    "of a field (a quote inside a field is written \"\")", CSV_WHERE(c));
	}
	for (;; c->pos++) {
		if (c->pos >= c->len) {
			if (outreach_csv_end_field(c, start, err) != 0)
				return -1;
			return 1;
		}
		ch = c->p[c->pos];
		if (ch == ',' || ch == '\n' || (ch == '\r' && c->pos + 1 < c->len &&
		    c->p[c->pos + 1] == '\n')) {
			if (outreach_csv_end_field(c, start, err) != 0)
				return -1;
			c->pos += ch == '\r' ? 2 : 1;
			return ch == ',' ? 0 : 1;
		}
		if (ch == '\r')
			return bos_err_set(err, BOS_E_INVALID, "CSV %s%.0zu: a CR that is not "
			    "followed by LF (lines end with CRLF or LF)", CSV_WHERE(c));
		if (ch == '"')
			return bos_err_set(err, BOS_E_INVALID, "CSV %s%.0zu: a quote inside a field "
			    "that is not quoted (quote the whole field, and write a quote in it as "
			    "\"\")", CSV_WHERE(c));
		c->buf[c->used++] = ch;
	}
}

int
outreach_csv_parse(const char *data, size_t len,
    int (*cb)(const struct outreach_csv_record *rec, void *arg), void *arg, struct bos_err *err)
{
	struct outreach_csv_record rec;
	struct outreach_csv *c;
	size_t i, bad;
	int rc = 0, end;

	if (len >= 3 && memcmp(data, OUTREACH_UTF8_BOM, 3) == 0) { /* not secret */
		data += 3;
		len -= 3;
	}
	if (memchr(data, '\0', len) != NULL)
		return bos_err_set(err, BOS_E_INVALID, "the CSV holds a NUL byte (at byte %zu)",
		    (size_t)((const char *)memchr(data, '\0', len) - data));
	if ((bad = outreach_utf8_bad_at(data, len)) != len)
		return bos_err_set(err, BOS_E_INVALID, "the CSV is not valid UTF-8 (at byte %zu)",
		    bad);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading the CSV");
	/* A record's fields and their NULs fit in the input plus one NUL per field. */
	if ((c->buf = malloc(len + OUTREACH_CSV_FIELDS_MAX + 1)) == NULL) {
		free(c);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading the CSV");
	}
	c->p = data;
	c->len = len;
	while (rc == 0 && c->pos < c->len) {
		c->used = 0;
		c->n = 0;
		while ((end = outreach_csv_field(c, err)) == 0)
			;
		if (end < 0) {
			rc = -1;
			break;
		}
		for (i = 0; i < c->n; i++)
			c->f[i] = c->buf + c->off[i];
		rec.record = c->record;
		rec.n = c->n;
		rec.f = c->f;
		rec.len = c->flen;
		rc = cb(&rec, arg);
		c->record++;
	}
	free(c->buf);
	free(c);
	return rc < 0 ? -1 : 0;
}

/* ---- rows ----------------------------------------------------------------------------- */

void
outreach_import_init(struct outreach_import *im)
{
	memset(im, 0, sizeof(*im));
}

void
outreach_import_free(struct outreach_import *im)
{
	size_t i;

	for (i = 0; i < im->n; i++) {
		free(im->rows[i].name);
		free(im->rows[i].fields_json);
	}
	free(im->rows);
	outreach_import_init(im);
}

size_t
outreach_import_bad(const struct outreach_import *im)
{
	return im->n_errors + im->more;
}

/* Report bad row `row`: kept when there is room, counted in any case. Returns 0. */
static int
outreach_row_fail(struct outreach_import *im, size_t row, const char *field, const char *msg)
{
	struct outreach_row_error *e;
	size_t n = field != NULL ? strlen(field) : 0;

	if (im->n_errors == OUTREACH_ROW_ERRORS_MAX) {
		im->more++;
		return 0;
	}
	e = &im->errors[im->n_errors++];
	e->row = row;
	if (n > OUTREACH_FIELD_NAME_MAX)
		n = OUTREACH_FIELD_NAME_MAX;
	memcpy(e->field, field != NULL ? field : "", n);
	e->field[n] = '\0';
	(void)snprintf(e->message, sizeof(e->message), "%s", msg);
	return 0;
}

/* A row before its checks: pointers into the input, lengths, and what was parsed. */
struct outreach_raw {
	const char *email, *phone, *name;
	size_t email_n, phone_n, name_n;
	unsigned consent;
	json_t *fields;             /* an object, owned */
};

/*
 * consent as text: "" or none, email, sms, both, or a comma-separated list
 * of email and sms (any case, spaces around items). 0, or -1.
 */
static int
outreach_consent_text(const char *s, size_t n, unsigned *out)
{
	const char *item;
	size_t k, len;

	*out = 0;
	outreach_trim(&s, &n);
	if (n == 0 || outreach_ieq(s, n, "none"))
		return 0;
	if (outreach_ieq(s, n, "both")) {
		*out = OUTREACH_CONSENT_EMAIL | OUTREACH_CONSENT_SMS;
		return 0;
	}
	for (;;) {
		item = s;
		for (k = 0; k < n && s[k] != ','; k++)
			;
		len = k;
		outreach_trim(&item, &len);
		if (outreach_ieq(item, len, "email") && !(*out & OUTREACH_CONSENT_EMAIL))
			*out |= OUTREACH_CONSENT_EMAIL;
		else if (outreach_ieq(item, len, "sms") && !(*out & OUTREACH_CONSENT_SMS))
			*out |= OUTREACH_CONSENT_SMS;
		else
			return -1;     /* unknown, twice, or empty ("email,") */
		if (k == n)
			return 0;
		s += k + 1;
		n -= k + 1;
	}
}

/* A custom field's name: [A-Za-z][A-Za-z0-9_]{0,31}. */
static int
outreach_field_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > OUTREACH_FIELD_NAME_MAX ||
	    !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* The four columns of a contact; a custom field may not take their names. */
static int
outreach_field_reserved(const char *s, size_t n)
{
	return outreach_ieq(s, n, "email") || outreach_ieq(s, n, "phone") ||
	    outreach_ieq(s, n, "name") || outreach_ieq(s, n, "consent");
}

/* Does (s, n) hold a card number? (card_text_has_pan wants a C string.) */
static int
outreach_has_pan(const char *s, size_t n)
{
	char *t;
	int r;

	if (n < CARD_PAN_MIN)
		return 0;
	if ((t = strndup(s, n)) == NULL)
		return 1;             /* fail closed */
	r = card_text_has_pan(t);
	free(t);
	return r;
}

/*
 * A custom field's value, trimmed: 0 and added to fields (an empty value is
 * no field), or -1 with *why.
 */
static int
outreach_field_add(json_t *fields, const char *name, const char *v, size_t n, const char **why)
{
	outreach_trim(&v, &n);
	if (n == 0)
		return 0;
	if (n > OUTREACH_FIELD_VALUE_MAX) {
		*why = "a custom field's value is at most 512 bytes";
		return -1;
	}
	if (outreach_text_check(v, n, 0, 1, why) != 0)
		return -1;
	if (outreach_has_pan(v, n)) {
		*why = "looks like a card number: card numbers are never stored in a contact list";
		return -1;
	}
	if (json_object_size(fields) >= OUTREACH_FIELDS_MAX) {
		*why = "a contact has at most 32 custom fields";
		return -1;
	}
	if (json_object_set_new(fields, name, json_stringn(v, n)) != 0) {
		*why = "could not be read";
		return -1;
	}
	return 0;
}

/* Grow im->rows by one; NULL when out of memory. */
static struct outreach_contact *
outreach_row_push(struct outreach_import *im)
{
	struct outreach_contact *c;

	if (im->n == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 64;

		if ((c = reallocarray(im->rows, cap, sizeof(*c))) == NULL)
			return NULL;
		im->rows = c;
		im->cap = cap;
	}
	c = &im->rows[im->n];
	memset(c, 0, sizeof(*c));
	return c;
}

/*
 * The checks every row gets, whatever its form: 0 with the contact added to
 * im, 0 with the row reported bad, or -1 (out of memory, err).
 */
static int
outreach_row_finish(struct outreach_import *im, size_t row, struct outreach_raw *raw,
    struct bos_err *err)
{
	char email[OUTREACH_ADDRESS_SIZE], phone[OUTREACH_PHONE_SIZE];
	const char *why = NULL, *name = raw->name;
	size_t name_n = raw->name_n;
	struct outreach_contact *c;
	char *fj;

	email[0] = phone[0] = '\0';
	if (raw->email != NULL)
		outreach_trim(&raw->email, &raw->email_n);
	if (raw->phone != NULL)
		outreach_trim(&raw->phone, &raw->phone_n);
	if ((raw->email == NULL || raw->email_n == 0) && (raw->phone == NULL || raw->phone_n == 0))
		return outreach_row_fail(im, row, NULL, "a contact needs an email or a phone number");
	if (raw->email != NULL && raw->email_n > 0 &&
	    outreach_email_normalise(raw->email, raw->email_n, email, &why) != 0)
		return outreach_row_fail(im, row, "email", why);
	if (raw->phone != NULL && raw->phone_n > 0 &&
	    outreach_phone_normalise(raw->phone, raw->phone_n, phone, &why) != 0)
		return outreach_row_fail(im, row, "phone", why);
	if (name == NULL) {
		name = "";
		name_n = 0;
	}
	outreach_trim(&name, &name_n);
	if (outreach_text_check(name, name_n, OUTREACH_NAME_MAX, 0, &why) != 0)
		return outreach_row_fail(im, row, "name", strcmp(why, "is too long") == 0 ?
		    "a name is at most 128 characters" : "a name is printable text on one line, "
		    "valid UTF-8");
	if (outreach_has_pan(name, name_n))
		return outreach_row_fail(im, row, "name", "looks like a card number: card numbers "
		    "are never stored in a contact list");
	if ((fj = json_dumps(raw->fields, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading the contacts");
	if (strlen(fj) > OUTREACH_FIELDS_JSON_MAX) {
		json_alloc_release(fj);
		return outreach_row_fail(im, row, "fields", "a contact's custom fields take at most "
		    "2 KiB together");
	}
	if ((c = outreach_row_push(im)) == NULL || (c->name = strndup(name, name_n)) == NULL) {
		json_alloc_release(fj);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading the contacts");
	}
	/* json_dumps allocates with jansson's allocator; keep a malloc'd copy. */
	c->fields_json = strdup(fj);
	json_alloc_release(fj);
	if (c->fields_json == NULL) {
		free(c->name);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading the contacts");
	}
	memcpy(c->email, email, sizeof(email));
	memcpy(c->phone, phone, sizeof(phone));
	c->consent = raw->consent;
	im->n++;
	return 0;
}

/* ---- CSV imports ----------------------------------------------------------------------- */

enum outreach_col { COL_EMAIL, COL_PHONE, COL_NAME, COL_CONSENT, COL_FIELD };

struct outreach_csv_import {
	struct outreach_import *im;
	struct bos_err *err;
	size_t ncols;
	enum outreach_col kind[OUTREACH_CSV_FIELDS_MAX];
	char name[OUTREACH_CSV_FIELDS_MAX][OUTREACH_FIELD_NAME_MAX + 1];
	int too_many;
};

static int
outreach_csv_header(struct outreach_csv_import *ci, const struct outreach_csv_record *rec)
{
	static const char *const fixed[] = { "email", "phone", "name", "consent" };
	size_t i, j, n, custom = 0;
	int have_address = 0;
	const char *h;

	if (rec->n == 1 && rec->len[0] == 0)
		return bos_err_set(ci->err, BOS_E_INVALID, "the CSV's first line is its header: "
		    "columns email, phone, name, consent and custom fields");
	for (i = 0; i < rec->n; i++) {
		h = rec->f[i];
		n = rec->len[i];
		outreach_trim(&h, &n);
		if (!outreach_field_name_ok(h, n))
			return bos_err_set(ci->err, BOS_E_INVALID, "CSV header, column %zu: a column "
			    "name is a letter then up to 31 letters, digits or '_'", i + 1);
		memcpy(ci->name[i], h, n);
		ci->name[i][n] = '\0';
		if (card_key_is_cvv(ci->name[i]))
			return bos_err_set(ci->err, BOS_E_INVALID, "CSV header, column %zu: cards "
			    "never store a CVV/CVC (PCI DSS 3.3.1.2): remove that column", i + 1);
		for (j = 0; j < i; j++)
			if (outreach_ieq(ci->name[j], strlen(ci->name[j]), ci->name[i]))
				return bos_err_set(ci->err, BOS_E_INVALID, "CSV header, column %zu: "
				    "the name of column %zu again (names are unique, ignoring case)",
				    i + 1, j + 1);
		ci->kind[i] = COL_FIELD;
		for (j = 0; j < BOS_ARRAY_LEN(fixed); j++)
			if (outreach_ieq(h, n, fixed[j]))
				ci->kind[i] = (enum outreach_col)j;
		have_address |= ci->kind[i] == COL_EMAIL || ci->kind[i] == COL_PHONE;
		if (ci->kind[i] == COL_FIELD && ++custom > OUTREACH_FIELDS_MAX)
			return bos_err_set(ci->err, BOS_E_INVALID, "the CSV header has more than %d "
			    "custom fields", OUTREACH_FIELDS_MAX);
	}
	if (!have_address)
		return bos_err_set(ci->err, BOS_E_INVALID, "the CSV header needs an email or a "
		    "phone column");
	ci->ncols = rec->n;
	return 0;
}

static int
outreach_csv_row(struct outreach_csv_import *ci, const struct outreach_csv_record *rec)
{
	struct outreach_raw raw;
	char msg[OUTREACH_MSG_MAX];
	const char *why;
	size_t i, row;
	int rc;

	if (rec->n == 1 && rec->len[0] == 0)
		return 0;             /* an empty line: no contact, but it keeps its number */
	row = rec->record;
	if (++ci->im->total > OUTREACH_ROWS_MAX) {
		ci->too_many = 1;
		return bos_err_set(ci->err, BOS_E_INVALID, "at most %d rows per request: split "
		    "the file and add the rest with POST /outreach/lists/{id}/contacts",
		    OUTREACH_ROWS_MAX);
	}
	if (rec->n != ci->ncols) {
		(void)snprintf(msg, sizeof(msg), "this row has %zu fields, the header %zu", rec->n,
		    ci->ncols);
		return outreach_row_fail(ci->im, row, NULL, msg);
	}
	memset(&raw, 0, sizeof(raw));
	if ((raw.fields = json_object()) == NULL)
		return bos_err_set(ci->err, BOS_E_NOMEM, "out of memory reading the contacts");
	for (i = 0; i < rec->n; i++) {
		switch (ci->kind[i]) {
		case COL_EMAIL:
			raw.email = rec->f[i];
			raw.email_n = rec->len[i];
			break;
		case COL_PHONE:
			raw.phone = rec->f[i];
			raw.phone_n = rec->len[i];
			break;
		case COL_NAME:
			raw.name = rec->f[i];
			raw.name_n = rec->len[i];
			break;
		case COL_CONSENT:
			if (outreach_consent_text(rec->f[i], rec->len[i], &raw.consent) != 0) {
				json_decref(raw.fields);
				return outreach_row_fail(ci->im, row, "consent", "consent is email, "
				    "sms, both (or \"email,sms\") or none");
			}
			break;
		case COL_FIELD:
			if (outreach_field_add(raw.fields, ci->name[i], rec->f[i], rec->len[i],
			    &why) != 0) {
				json_decref(raw.fields);
				return outreach_row_fail(ci->im, row, ci->name[i], why);
			}
			break;
		}
	}
	rc = outreach_row_finish(ci->im, row, &raw, ci->err);
	json_decref(raw.fields);
	return rc;
}

static int
outreach_csv_import_cb(const struct outreach_csv_record *rec, void *arg)
{
	struct outreach_csv_import *ci = arg;

	if (rec->record == 0)
		return outreach_csv_header(ci, rec);
	return outreach_csv_row(ci, rec);
}

int
outreach_import_csv(struct outreach_import *im, const char *data, size_t len, int *too_many,
    struct bos_err *err)
{
	struct outreach_csv_import *ci;
	int rc;

	*too_many = 0;
	if ((ci = calloc(1, sizeof(*ci))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading the CSV");
	ci->im = im;
	ci->err = err;
	rc = outreach_csv_parse(data, len, outreach_csv_import_cb, ci, err);
	if (rc == 0 && ci->ncols == 0)
		rc = bos_err_set(err, BOS_E_INVALID, "the CSV is empty: its first line is the "
		    "header (email, phone, name, consent, custom fields), then one contact a line");
	*too_many = ci->too_many;
	free(ci);
	return rc;
}

/* ---- JSON imports ---------------------------------------------------------------------- */

/* A string member, or NULL for none (absent or null); -1 when it is something else. */
static int
outreach_json_str(const json_t *o, const char *key, const char **s, size_t *n)
{
	json_t *v = json_object_get(o, key);

	*s = NULL;
	*n = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 0;
}

static int
outreach_json_consent(const json_t *v, unsigned *out)
{
	size_t i;
	json_t *it;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return outreach_consent_text(json_string_value(v), json_string_length(v), out) ||
		    memchr(json_string_value(v), ',', json_string_length(v)) != NULL ? -1 : 0;
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, it) {
		const char *s = json_string_value(it);
		unsigned bit = s == NULL ? 0 : strcmp(s, "email") == 0 ? OUTREACH_CONSENT_EMAIL :
		    strcmp(s, "sms") == 0 ? OUTREACH_CONSENT_SMS : 0;

		if (bit == 0 || (*out & bit))
			return -1;
		*out |= bit;
	}
	return 0;
}

/* The fields object into raw->fields: 0, or -1 with *bad (the field) and *why. */
static int
outreach_json_fields(json_t *v, json_t *fields, const char **bad, const char **why)
{
	const char *k;
	json_t *it;

	*bad = "fields";
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		*why = "custom fields are a JSON object of strings";
		return -1;
	}
	if (json_object_size(v) > OUTREACH_FIELDS_MAX) {
		*why = "a contact has at most 32 custom fields";
		return -1;
	}
	json_object_foreach(v, k, it) {
		if (!outreach_field_name_ok(k, strlen(k)) || outreach_field_reserved(k, strlen(k))) {
			*why = "a custom field's name is a letter then up to 31 letters, digits or "
			    "'_', and not email, phone, name or consent";
			return -1;
		}
		*bad = k;
		if (!json_is_string(it)) {
			*why = "a custom field's value is a string";
			return -1;
		}
		if (strlen(json_string_value(it)) != json_string_length(it)) {
			*why = "holds a NUL byte";
			return -1;
		}
		if (outreach_field_add(fields, k, json_string_value(it), json_string_length(it),
		    why) != 0)
			return -1;
		*bad = "fields";
	}
	return 0;
}

static int
outreach_json_row(struct outreach_import *im, size_t row, json_t *o, struct bos_err *err)
{
	static const char *const keys[] = { "email", "phone", "name", "consent", "fields" };
	struct outreach_raw raw;
	const char *k, *bad, *why;
	json_t *it;
	size_t i;
	int rc;

	if (!json_is_object(o))
		return outreach_row_fail(im, row, NULL, "a contact is a JSON object");
	json_object_foreach(o, k, it) {
		for (i = 0; i < BOS_ARRAY_LEN(keys) && strcmp(k, keys[i]) != 0; i++)
			;
		if (i == BOS_ARRAY_LEN(keys))
			return outreach_row_fail(im, row, k, "unknown field: a contact has email, "
			    "phone, name, consent and fields");
	}
	memset(&raw, 0, sizeof(raw));
	if (outreach_json_str(o, "email", &raw.email, &raw.email_n) != 0)
		return outreach_row_fail(im, row, "email", "an email address is a string");
	if (outreach_json_str(o, "phone", &raw.phone, &raw.phone_n) != 0)
		return outreach_row_fail(im, row, "phone", "a phone number is a string");
	if (outreach_json_str(o, "name", &raw.name, &raw.name_n) != 0)
		return outreach_row_fail(im, row, "name", "a name is a string");
	if (outreach_json_consent(json_object_get(o, "consent"), &raw.consent) != 0)
		return outreach_row_fail(im, row, "consent", "consent is \"email\", \"sms\", "
		    "\"both\", \"none\" or an array of channels ([\"email\", \"sms\"])");
	if ((raw.fields = json_object()) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading the contacts");
	if (outreach_json_fields(json_object_get(o, "fields"), raw.fields, &bad, &why) != 0) {
		json_decref(raw.fields);
		return outreach_row_fail(im, row, bad, why);
	}
	rc = outreach_row_finish(im, row, &raw, err);
	json_decref(raw.fields);
	return rc;
}

int
outreach_import_json(struct outreach_import *im, const json_t *contacts, int *too_many,
    struct bos_err *err)
{
	size_t i;
	json_t *it;

	*too_many = 0;
	if (!json_is_array(contacts))
		return bos_err_set(err, BOS_E_INVALID, "'contacts' is an array of contacts "
		    "({email?, phone?, name?, consent?, fields?})");
	if (json_array_size(contacts) > OUTREACH_ROWS_MAX) {
		*too_many = 1;
		return bos_err_set(err, BOS_E_INVALID, "at most %d contacts per request: add the "
		    "rest with POST /outreach/lists/{id}/contacts", OUTREACH_ROWS_MAX);
	}
	json_array_foreach(contacts, i, it) {
		im->total++;
		if (outreach_json_row(im, i + 1, it, err) != 0)
			return -1;
	}
	return 0;
}

/* ---- storage ---------------------------------------------------------------------------- */

static int
outreach_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v == NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_text(st, i, v, -1,
	    SQLITE_TRANSIENT);
}

/* NULL for "" (an address a contact does not have). */
static const char *
outreach_opt(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

static int
outreach_copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	size_t n = v != NULL ? strlen(v) : 0;

	if (n >= size)
		return -1;
	memcpy(dst, v != NULL ? v : "", n);
	dst[n] = '\0';
	return 0;
}

/* 1 when the list already has a contact with this email or this phone, 0 not, -1 error. */
static int
outreach_contact_known(struct store *s, const char *list_id, const struct outreach_contact *c,
    struct bos_err *err)
{
	static const char *const sql[] = {
		"SELECT 1 FROM outreach_contacts WHERE list_id = ?1 AND email = ?2",
		"SELECT 1 FROM outreach_contacts WHERE list_id = ?1 AND phone = ?2",
	};
	const char *addr[] = { c->email, c->phone };
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < BOS_ARRAY_LEN(sql); i++) {
		if (addr[i][0] == '\0')
			continue;
		if (store_stmt(s, sql[i], &st, err) != 0)
			return -1;
		if (outreach_bind_text(st, 1, list_id) != SQLITE_OK ||
		    outreach_bind_text(st, 2, addr[i]) != SQLITE_OK ||
		    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
			store_err_db(s, "reading a list's contacts", err);
			store_stmt_done(s, st);
			return -1;
		}
		store_stmt_done(s, st);
		if (rc == SQLITE_ROW)
			return 1;
	}
	return 0;
}

static int
outreach_contact_insert(struct store *s, const char *list_id, const struct outreach_contact *c,
    int64_t now, struct bos_err *err)
{
	char id[OUTREACH_ID_SIZE];
	sqlite3_stmt *st;

	if (randid_new(OUTREACH_CONTACT_PREFIX, OUTREACH_ID_CHARS, id, sizeof(id)) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (store_stmt(s, "INSERT INTO outreach_contacts (id, list_id, email, phone, name, fields,"
	    " consent_email, consent_sms, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	    &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, id) != SQLITE_OK ||
	    outreach_bind_text(st, 2, list_id) != SQLITE_OK ||
	    outreach_bind_text(st, 3, outreach_opt(c->email)) != SQLITE_OK ||
	    outreach_bind_text(st, 4, outreach_opt(c->phone)) != SQLITE_OK ||
	    outreach_bind_text(st, 5, c->name) != SQLITE_OK ||
	    outreach_bind_text(st, 6, c->fields_json) != SQLITE_OK ||
	    sqlite3_bind_int(st, 7, (c->consent & OUTREACH_CONSENT_EMAIL) != 0) != SQLITE_OK ||
	    sqlite3_bind_int(st, 8, (c->consent & OUTREACH_CONSENT_SMS) != 0) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 9, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing a contact", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

/* Inside the caller's transaction: every row of im into list_id, duplicates skipped. */
static int
outreach_rows_store(struct store *s, const char *list_id, const struct outreach_import *im,
    int64_t now, size_t *imported, size_t *duplicates, struct bos_err *err)
{
	sqlite3_stmt *st;
	size_t i;
	int known;

	*imported = *duplicates = 0;
	if (outreach_import_bad(im) != 0)
		return bos_err_set(err, BOS_E_INVALID, "an import with bad rows is not stored");
	for (i = 0; i < im->n; i++) {
		if ((known = outreach_contact_known(s, list_id, &im->rows[i], err)) < 0)
			return -1;
		if (known) {
			(*duplicates)++;
			continue;
		}
		if (outreach_contact_insert(s, list_id, &im->rows[i], now, err) != 0)
			return -1;
		(*imported)++;
	}
	if (store_stmt(s, "UPDATE outreach_lists SET updated_at = ?2 WHERE id = ?1", &st,
	    err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, list_id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "updating a list", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

/*
 * A list with its count of contacts. Every contact has an email or a phone,
 * so the count is those with an email plus those with only a phone: two
 * searches of the (partial) unique indexes instead of a scan of every list's
 * contacts (schema v10 has no index on list_id alone).
 */
#define OUTREACH_LIST_COLS "SELECT l.id, l.name, l.created_by, l.created_at, l.updated_at," \
	" (SELECT count(*) FROM outreach_contacts c WHERE c.list_id = l.id" \
	"   AND c.email IS NOT NULL) +" \
	" (SELECT count(*) FROM outreach_contacts c WHERE c.list_id = l.id" \
	"   AND c.email IS NULL AND c.phone IS NOT NULL) FROM outreach_lists l "

static int
outreach_list_from_row(sqlite3_stmt *st, struct outreach_list_info *l)
{
	memset(l, 0, sizeof(*l));
	if (outreach_copy_col(st, 0, l->id, sizeof(l->id)) != 0 ||
	    outreach_copy_col(st, 1, l->name, sizeof(l->name)) != 0 ||
	    outreach_copy_col(st, 2, l->created_by, sizeof(l->created_by)) != 0)
		return -1;
	l->created_at = sqlite3_column_int64(st, 3);
	l->updated_at = sqlite3_column_int64(st, 4);
	l->contacts = sqlite3_column_int64(st, 5);
	return 0;
}

static int
outreach_list_query(struct store *s, const char *sql, const char *arg,
    int (*cb)(const struct outreach_list_info *, void *), void *cbarg, int *found,
    struct bos_err *err)
{
	struct outreach_list_info l;
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	if (arg != NULL && outreach_bind_text(st, 1, arg) != SQLITE_OK) {
		store_stmt_done(s, st);
		return store_err_db(s, "reading lists", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (outreach_list_from_row(st, &l) != 0) {
			store_stmt_done(s, st);
			return bos_err_set(err, BOS_E_CORRUPT, "a stored list does not fit its "
			    "fields");
		}
		(*found)++;
		if (cb(&l, cbarg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		store_err_db(s, "reading lists", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

static int
outreach_list_copy_cb(const struct outreach_list_info *l, void *arg)
{
	*(struct outreach_list_info *)arg = *l;
	return 1;
}

int
outreach_list_get(struct store *s, const char *id_or_name, struct outreach_list_info *out,
    struct bos_err *err)
{
	int found;

	if (id_or_name == NULL || id_or_name[0] == '\0')
		return bos_err_set(err, BOS_E_NOTFOUND, "no such list");
	if (outreach_list_query(s, OUTREACH_LIST_COLS "WHERE l.id = ?1 OR l.name = ?1",
	    id_or_name, outreach_list_copy_cb, out, &found, err) != 0)
		return -1;
	return found ? 0 : bos_err_set(err, BOS_E_NOTFOUND, "no list with that id or name");
}

int
outreach_list_list(struct store *s, int (*cb)(const struct outreach_list_info *, void *),
    void *arg, struct bos_err *err)
{
	int found;

	return outreach_list_query(s, OUTREACH_LIST_COLS "ORDER BY l.name", NULL, cb, arg, &found,
	    err);
}

static int
outreach_list_insert(struct store *s, const char *name, const char *by, int64_t now,
    char id[OUTREACH_ID_SIZE], struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (store_stmt(s, "SELECT 1 FROM outreach_lists WHERE name = ?1", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, name) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading lists", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	if (rc == SQLITE_ROW)
		return bos_err_set(err, BOS_E_EXISTS, "a list with that name exists already");
	if (randid_new(OUTREACH_LIST_PREFIX, OUTREACH_ID_CHARS, id, OUTREACH_ID_SIZE) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (store_stmt(s, "INSERT INTO outreach_lists (id, name, created_by, created_at,"
	    " updated_at) VALUES (?1, ?2, ?3, ?4, ?4)", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, id) != SQLITE_OK ||
	    outreach_bind_text(st, 2, name) != SQLITE_OK ||
	    outreach_bind_text(st, 3, by) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing a list", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

/* Roll back the transaction opened by the caller after a failure; returns -1. */
static int
outreach_undo(struct store *s)
{
	struct bos_err ignored;

	bos_err_clear(&ignored);
	if (store_rollback(s, &ignored) != 0)
		log_err("outreach: rolling back: %s", ignored.msg);
	return -1;
}

int
outreach_list_create(struct store *s, const char *name, const char *by,
    const struct outreach_import *im, int64_t now, struct outreach_list_info *out,
    size_t *imported, size_t *duplicates, struct bos_err *err)
{
	char id[OUTREACH_ID_SIZE];

	*imported = *duplicates = 0;
	if (outreach_list_name_check(name, err) != 0)
		return -1;
	if (by == NULL || by[0] == '\0' || strlen(by) >= OUTREACH_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a list is made by an admin");
	if (store_begin(s, err) != 0)
		return -1;
	if (outreach_list_insert(s, name, by, now, id, err) != 0 ||
	    outreach_rows_store(s, id, im, now, imported, duplicates, err) != 0 ||
	    outreach_list_get(s, id, out, err) != 0)
		return outreach_undo(s);
	if (store_commit(s, err) != 0)
		return -1;
	log_info("outreach: list %s made by %s: %zu contacts, %zu duplicates skipped", id, by,
	    *imported, *duplicates);
	return 0;
}

int
outreach_list_append(struct store *s, const char *id, const struct outreach_import *im,
    int64_t now, struct outreach_list_info *out, size_t *imported, size_t *duplicates,
    struct bos_err *err)
{
	*imported = *duplicates = 0;
	if (!outreach_list_id_valid(id))
		return bos_err_set(err, BOS_E_NOTFOUND, "no such list: give its id (ol_...)");
	if (store_begin(s, err) != 0)
		return -1;
	if (outreach_list_get(s, id, out, err) != 0 ||
	    outreach_rows_store(s, out->id, im, now, imported, duplicates, err) != 0 ||
	    outreach_list_get(s, id, out, err) != 0)
		return outreach_undo(s);
	if (store_commit(s, err) != 0)
		return -1;
	log_info("outreach: list %s: %zu contacts added, %zu duplicates skipped", id, *imported,
	    *duplicates);
	return 0;
}

/* The rowid of contact `after` in list_id: 0 when after is NULL; -1 (INVALID) when not there. */
static int
outreach_contact_cursor(struct store *s, const char *list_id, const char *after, int64_t *out,
    struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*out = 0;
	if (after == NULL)
		return 0;
	if (!outreach_contact_id_valid(after))
		return bos_err_set(err, BOS_E_INVALID, "'cursor' is the 'next' of the page before");
	if (store_stmt(s, "SELECT rowid FROM outreach_contacts WHERE id = ?1 AND list_id = ?2",
	    &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, after) != SQLITE_OK ||
	    outreach_bind_text(st, 2, list_id) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading a list's contacts", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	store_stmt_done(s, st);
	return rc == SQLITE_ROW ? 0 : bos_err_set(err, BOS_E_INVALID, "'cursor' is the 'next' "
	    "of the page before, from this list");
}

static int
outreach_contact_from_row(sqlite3_stmt *st, struct outreach_contact_info *c)
{
	memset(c, 0, sizeof(*c));
	if (outreach_copy_col(st, 0, c->id, sizeof(c->id)) != 0 ||
	    outreach_copy_col(st, 1, c->email, sizeof(c->email)) != 0 ||
	    outreach_copy_col(st, 2, c->phone, sizeof(c->phone)) != 0)
		return -1;
	c->name = (const char *)sqlite3_column_text(st, 3);
	c->fields_json = (const char *)sqlite3_column_text(st, 4);
	c->consent = (sqlite3_column_int(st, 5) ? OUTREACH_CONSENT_EMAIL : 0) |
	    (sqlite3_column_int(st, 6) ? OUTREACH_CONSENT_SMS : 0);
	c->created_at = sqlite3_column_int64(st, 7);
	c->suppressed = (sqlite3_column_int(st, 8) ? OUTREACH_CONSENT_EMAIL : 0) |
	    (sqlite3_column_int(st, 9) ? OUTREACH_CONSENT_SMS : 0);
	return c->name != NULL && c->fields_json != NULL ? 0 : -1;
}

int
outreach_contact_page(struct store *s, const char *list_id, const char *after, unsigned limit,
    int (*cb)(const struct outreach_contact_info *, void *), void *arg,
    char next[OUTREACH_ID_SIZE], struct bos_err *err)
{
	struct outreach_contact_info c;
	sqlite3_stmt *st;
	int64_t from;
	char last[OUTREACH_ID_SIZE] = "";
	unsigned seen = 0;
	int rc, more = 0;

	next[0] = '\0';
	if (limit < 1 || limit > OUTREACH_PAGE_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'limit' is 1 to %d", OUTREACH_PAGE_MAX);
	if (outreach_contact_cursor(s, list_id, after, &from, err) != 0)
		return -1;
	if (store_stmt(s, "SELECT c.id, coalesce(c.email, ''), coalesce(c.phone, ''), c.name,"
	    " c.fields, c.consent_email, c.consent_sms, c.created_at,"
	    " EXISTS (SELECT 1 FROM outreach_suppressions s WHERE s.address = c.email"
	    "   AND s.channel = 'email'),"
	    " EXISTS (SELECT 1 FROM outreach_suppressions s WHERE s.address = c.phone"
	    "   AND s.channel = 'sms')"
	    " FROM outreach_contacts c WHERE c.list_id = ?1 AND c.rowid > ?2"
	    " ORDER BY c.rowid LIMIT ?3", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, list_id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, from) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, (int64_t)limit + 1) != SQLITE_OK) {
		store_stmt_done(s, st);
		return store_err_db(s, "reading a list's contacts", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (outreach_contact_from_row(st, &c) != 0) {
			store_stmt_done(s, st);
			return bos_err_set(err, BOS_E_CORRUPT, "a stored contact does not fit its "
			    "fields");
		}
		if (seen == limit) {
			more = 1;          /* one more exists: the page ends before it */
			rc = SQLITE_DONE;
			break;
		}
		seen++;
		memcpy(last, c.id, OUTREACH_ID_SIZE);
		if (cb(&c, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		store_err_db(s, "reading a list's contacts", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	if (more)
		memcpy(next, last, OUTREACH_ID_SIZE);
	return 0;
}

/* ---- suppressions ----------------------------------------------------------------------- */

int
outreach_reason_valid(const char *reason)
{
	static const char *const reasons[] = { "unsubscribed", "bounced", "complained", "stop",
		"admin" };
	size_t i;

	for (i = 0; reason != NULL && i < BOS_ARRAY_LEN(reasons); i++)
		if (strcmp(reason, reasons[i]) == 0)
			return 1;
	return 0;
}

static int
outreach_supp_args(const char *address, const char *channel, struct bos_err *err)
{
	size_t n = address != NULL ? strnlen(address, OUTREACH_EMAIL_MAX + 1) : 0;

	if (n < OUTREACH_EMAIL_MIN || n > OUTREACH_EMAIL_MAX)
		return bos_err_set(err, BOS_E_INVALID, "a suppressed address is 3 to %d bytes",
		    OUTREACH_EMAIL_MAX);
	if (outreach_channel_name(channel) == NULL)
		return bos_err_set(err, BOS_E_INVALID, "a channel is email or sms");
	return 0;
}

/* The reason address is suppressed for on channel into reason (""), 1 found, 0 not, -1. */
static int
outreach_supp_reason(struct store *s, const char *address, const char *channel,
    char reason[16], struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	reason[0] = '\0';
	if (store_stmt(s, "SELECT reason FROM outreach_suppressions WHERE address = ?1 AND"
	    " channel = ?2", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, address) != SQLITE_OK ||
	    outreach_bind_text(st, 2, channel) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading the suppression list", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_ROW && outreach_copy_col(st, 0, reason, 16) != 0)
		reason[0] = '\0';
	store_stmt_done(s, st);
	return rc == SQLITE_ROW;
}

int
outreach_suppressed(struct store *s, const char *address, const char *channel,
    struct bos_err *err)
{
	char reason[16];

	if (outreach_supp_args(address, channel, err) != 0)
		return -1;
	return outreach_supp_reason(s, address, channel, reason, err);
}

int
outreach_suppress(struct store *s, const char *address, const char *channel,
    const char *reason, const char *source, int64_t now, int *added, struct bos_err *err)
{
	char had[16];
	sqlite3_stmt *st;
	int rc;

	if (added != NULL)
		*added = 0;
	if (outreach_supp_args(address, channel, err) != 0)
		return -1;
	if (!outreach_reason_valid(reason))
		return bos_err_set(err, BOS_E_INVALID, "a suppression's reason is unsubscribed, "
		    "bounced, complained, stop or admin");
	if (source == NULL || source[0] == '\0' || strlen(source) >= OUTREACH_BY_SIZE)
		return bos_err_set(err, BOS_E_INVALID, "a suppression's source is 1 to 64 "
		    "characters");
	if ((rc = outreach_supp_reason(s, address, channel, had, err)) < 0)
		return -1;
	if (rc == 1 && !(strcmp(had, "stop") == 0 && strcmp(reason, "admin") == 0))
		return 0;
	if (store_stmt(s, rc == 1 ? "UPDATE outreach_suppressions SET reason = ?3, source = ?4,"
	    " created_at = ?5 WHERE address = ?1 AND channel = ?2" :
	    "INSERT INTO outreach_suppressions (address, channel, reason, source, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, address) != SQLITE_OK ||
	    outreach_bind_text(st, 2, channel) != SQLITE_OK ||
	    outreach_bind_text(st, 3, reason) != SQLITE_OK ||
	    outreach_bind_text(st, 4, source) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing a suppression", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	if (added != NULL)
		*added = rc == 0;
	return 0;
}

int
outreach_unsuppress(struct store *s, const char *address, const char *channel,
    const char *only_reason, int *removed, struct bos_err *err)
{
	sqlite3_stmt *st;

	if (removed != NULL)
		*removed = 0;
	if (outreach_supp_args(address, channel, err) != 0)
		return -1;
	if (only_reason != NULL && !outreach_reason_valid(only_reason))
		return bos_err_set(err, BOS_E_INVALID, "a suppression's reason is unsubscribed, "
		    "bounced, complained, stop or admin");
	if (store_stmt(s, "DELETE FROM outreach_suppressions WHERE address = ?1 AND channel = ?2"
	    " AND (?3 IS NULL OR reason = ?3)", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, address) != SQLITE_OK ||
	    outreach_bind_text(st, 2, channel) != SQLITE_OK ||
	    outreach_bind_text(st, 3, only_reason) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "lifting a suppression", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (removed != NULL)
		*removed = sqlite3_changes(store_db(s)) > 0;
	store_stmt_done(s, st);
	return 0;
}

static int
outreach_supp_from_row(sqlite3_stmt *st, struct outreach_suppression *o)
{
	memset(o, 0, sizeof(*o));
	if (outreach_copy_col(st, 0, o->address, sizeof(o->address)) != 0 ||
	    outreach_copy_col(st, 1, o->channel, sizeof(o->channel)) != 0 ||
	    outreach_copy_col(st, 2, o->reason, sizeof(o->reason)) != 0 ||
	    outreach_copy_col(st, 3, o->source, sizeof(o->source)) != 0)
		return -1;
	o->created_at = sqlite3_column_int64(st, 4);
	o->seq = sqlite3_column_int64(st, 5);
	return 0;
}

#define OUTREACH_SUPP_COLS "SELECT address, channel, reason, source, created_at, rowid" \
	" FROM outreach_suppressions "

int
outreach_suppression_get(struct store *s, const char *address, const char *channel,
    struct outreach_suppression *out, struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (outreach_supp_args(address, channel, err) != 0)
		return -1;
	if (store_stmt(s, OUTREACH_SUPP_COLS "WHERE address = ?1 AND channel = ?2", &st,
	    err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, address) != SQLITE_OK ||
	    outreach_bind_text(st, 2, channel) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading the suppression list", err);
		store_stmt_done(s, st);
		return -1;
	}
	if (rc == SQLITE_ROW && outreach_supp_from_row(st, out) != 0) {
		store_stmt_done(s, st);
		return bos_err_set(err, BOS_E_CORRUPT, "a stored suppression does not fit its "
		    "fields");
	}
	store_stmt_done(s, st);
	return rc == SQLITE_ROW ? 0 : bos_err_set(err, BOS_E_NOTFOUND, "that address is not "
	    "suppressed on that channel");
}

int
outreach_suppression_list(struct store *s, const char *channel, int64_t before, unsigned limit,
    int (*cb)(const struct outreach_suppression *, void *), void *arg, int64_t *next,
    struct bos_err *err)
{
	struct outreach_suppression o;
	sqlite3_stmt *st;
	unsigned seen = 0;
	int64_t last = 0;
	int rc, more = 0;

	*next = 0;
	if (limit < 1 || limit > OUTREACH_PAGE_MAX)
		return bos_err_set(err, BOS_E_INVALID, "'limit' is 1 to %d", OUTREACH_PAGE_MAX);
	if (channel != NULL && outreach_channel_name(channel) == NULL)
		return bos_err_set(err, BOS_E_INVALID, "'channel' is email or sms");
	if (store_stmt(s, OUTREACH_SUPP_COLS "WHERE (?1 IS NULL OR channel = ?1)"
	    " AND (?2 = 0 OR rowid < ?2) ORDER BY rowid DESC LIMIT ?3", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, channel) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, before) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, (int64_t)limit + 1) != SQLITE_OK) {
		store_stmt_done(s, st);
		return store_err_db(s, "reading the suppression list", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (outreach_supp_from_row(st, &o) != 0) {
			store_stmt_done(s, st);
			return bos_err_set(err, BOS_E_CORRUPT, "a stored suppression does not fit "
			    "its fields");
		}
		if (seen == limit) {
			more = 1;
			rc = SQLITE_DONE;
			break;
		}
		seen++;
		last = o.seq;
		if (cb(&o, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		store_err_db(s, "reading the suppression list", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	*next = more ? last : 0;
	return 0;
}
