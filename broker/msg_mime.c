/* The RFC 5322 message for SMTP; see msg_mime.h. */
#include "msg_mime.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "randid.h"

#define MM_LINE_MAX 998        /* RFC 5322 2.1.1: a line, without its CRLF */
#define MM_QP_COLS 76          /* RFC 2045 6.7: an encoded line, the soft break's '=' included */
#define MM_EW_IN 45            /* bytes per encoded-word: 60 base64 characters, 75 in all */
#define MM_BOUNDARY_CHARS 32
#define MM_BOUNDARY_TRIES 8

/* Headers built here: the vault's extra headers may not repeat them. */
static const char *const mm_own[] = { "From", "To", "Cc", "Bcc", "Subject", "Date",
    "Message-ID", "MIME-Version", "Sender", "Return-Path", "Received", "Resent-From",
    "Resent-To", "Resent-Date", "Content-Type", "Content-Transfer-Encoding",
    "Content-Disposition", "Content-ID" };

int
msg_mime_value_ok(const char *v)
{
	const unsigned char *p;

	if (v == NULL)
		return 0;
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/* RFC 5322 field-name: printable ASCII but ':' (and not Content-* or one of ours). */
static int
mm_name_ok(const char *n)
{
	size_t i;

	if (n == NULL || n[0] == '\0' || strlen(n) > 76)
		return 0;
	for (i = 0; n[i] != '\0'; i++)
		if ((unsigned char)n[i] < 33 || (unsigned char)n[i] > 126 || n[i] == ':')
			return 0;
	for (i = 0; i < BOS_ARRAY_LEN(mm_own); i++)
		if (strcasecmp(n, mm_own[i]) == 0)
			return 0;
	return strncasecmp(n, "Content-", 8) != 0;
}

static int
mm_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

int
msg_mime_addr(const char *v, char *out, size_t n, struct bos_err *err)
{
	const char *lt = v != NULL ? strrchr(v, '<') : NULL, *a = v, *at;
	size_t len, i;

	if (v == NULL || !msg_mime_value_ok(v))
		return bos_err_set(err, BOS_E_INVALID, "an address is missing or holds CR, LF, NUL "
		    "or another control character");
	if (lt != NULL) {
		a = lt + 1;
		len = strcspn(a, ">");
		if (a[len] != '>' || a[len + 1] != '\0')
			return bos_err_set(err, BOS_E_INVALID, "an address of the form 'Name <addr>' "
			    "must end with its '>'");
	} else {
		len = strlen(a);
	}
	if (len < 3 || len >= n || len >= MSG_MIME_ADDR_MAX)
		return bos_err_set(err, BOS_E_INVALID, "an address is empty or longer than %d bytes",
		    MSG_MIME_ADDR_MAX - 1);
	for (i = 0; i < len; i++)
		if ((unsigned char)a[i] <= 0x20 || strchr("<>()[],;:\"\\", a[i]) != NULL)
			return bos_err_set(err, BOS_E_INVALID, "an address holds a space or one of "
			    "<>()[],;:\"\\");
	at = memchr(a, '@', len);
	if (at == NULL || at == a || at == a + len - 1 || memchr(at + 1, '@', len -
	    (size_t)(at + 1 - a)) != NULL)
		return bos_err_set(err, BOS_E_INVALID, "an address needs exactly one '@' between a "
		    "local part and a domain");
	memcpy(out, a, len);
	out[len] = '\0';
	return 0;
}

static int
mm_put(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

/* "Name: value" + CRLF; the value checked and the line kept within 998 bytes. */
static int
mm_header(struct buf *b, const char *name, const char *value, struct bos_err *err)
{
	if (!msg_mime_value_ok(value))
		return bos_err_set(err, BOS_E_INVALID, "header %s: the value holds CR, LF, NUL or "
		    "another control character (header injection refused)", name);
	if (strlen(name) + 2 + strlen(value) > MM_LINE_MAX)
		return bos_err_set(err, BOS_E_INVALID, "header %s: longer than %d bytes", name,
		    MM_LINE_MAX);
	if (mm_put(b, name) != 0 || mm_put(b, ": ") != 0 || mm_put(b, value) != 0 ||
	    mm_put(b, "\r\n") != 0)
		return bos_err_set(err, BOS_E_INVALID, "the message is larger than %d bytes",
		    MSG_MIME_MAX);
	return 0;
}

/*
 * s as RFC 2047 B encoded-words of at most 75 characters each, cut on UTF-8
 * character boundaries, folded with CRLF SP.
 */
static int
mm_encoded_words(struct buf *b, const char *s)
{
	unsigned char enc[4 * (MM_EW_IN / 3) + 1];
	size_t len = strlen(s), off = 0, k;
	int bad = 0;

	while (off < len) {
		k = len - off > MM_EW_IN ? MM_EW_IN : len - off;
		/* Do not split a character: back off over continuation bytes. */
		while (off + k < len && k > 1 && ((unsigned char)s[off + k] & 0xc0) == 0x80)
			k--;
		(void)EVP_EncodeBlock(enc, (const unsigned char *)s + off, (int)k);
		bad |= off > 0 && mm_put(b, "\r\n ") != 0;
		bad |= mm_put(b, "=?UTF-8?B?") != 0 || mm_put(b, (const char *)enc) != 0 ||
		    mm_put(b, "?=") != 0;
		off += k;
	}
	return bad ? -1 : 0;
}

static int
mm_subject(struct buf *b, const char *subject, struct bos_err *err)
{
	if (!msg_mime_value_ok(subject))
		return bos_err_set(err, BOS_E_INVALID, "header Subject: the value holds CR, LF, NUL "
		    "or another control character (header injection refused)");
	/* ASCII that fits one line goes as it is; anything else as encoded-words. */
	if (mm_ascii(subject) && strlen(subject) <= 900)
		return mm_header(b, "Subject", subject, err);
	if (mm_put(b, "Subject: ") != 0 || mm_encoded_words(b, subject) != 0 ||
	    mm_put(b, "\r\n") != 0)
		return bos_err_set(err, BOS_E_INVALID, "the message is larger than %d bytes",
		    MSG_MIME_MAX);
	return 0;
}

/* From: a plain address, or "Name <addr>" with the name quoted or encoded. */
static int
mm_from(struct buf *b, const char *from, struct bos_err *err)
{
	char addr[MSG_MIME_ADDR_MAX], name[2 * 128 + 4];
	const char *lt = strrchr(from, '<');
	size_t n, i, o = 0;

	if (msg_mime_addr(from, addr, sizeof(addr), err) != 0)
		return bos_err_wrap(err, "header From");
	if (lt == NULL)
		return mm_header(b, "From", addr, err);
	for (n = (size_t)(lt - from); n > 0 && from[n - 1] == ' '; n--)
		;
	while (n > 0 && from[0] == ' ') {
		from++;
		n--;
	}
	if (n >= 2 && from[0] == '"' && from[n - 1] == '"') {
		from++;
		n -= 2;
	}
	if (n == 0)
		return mm_header(b, "From", addr, err);
	if (n > 128)
		return bos_err_set(err, BOS_E_INVALID, "header From: the name is longer than 128 "
		    "bytes");
	for (i = 0; i < n; i++) {
		if ((unsigned char)from[i] >= 0x80)
			break;
		if (from[i] == '"' || from[i] == '\\')
			name[o++] = '\\';
		name[o++] = from[i];
	}
	name[o] = '\0';
	if (i == n) {
		char line[640];
		int w = snprintf(line, sizeof(line), "\"%s\" <%s>", name, addr);

		if (w < 0 || (size_t)w >= sizeof(line))
			return bos_err_set(err, BOS_E_INVALID, "header From is too long");
		return mm_header(b, "From", line, err);
	}
	memcpy(name, from, n);
	name[n] = '\0';
	if (mm_put(b, "From: ") != 0 || mm_encoded_words(b, name) != 0 || mm_put(b, " <") != 0 ||
	    mm_put(b, addr) != 0 || mm_put(b, ">\r\n") != 0)
		return bos_err_set(err, BOS_E_INVALID, "the message is larger than %d bytes",
		    MSG_MIME_MAX);
	return 0;
}

static int
mm_date(struct buf *b, time_t t, struct bos_err *err)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
	    "Sep", "Oct", "Nov", "Dec" };
	char v[64];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the date cannot be represented");
	(void)snprintf(v, sizeof(v), "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
	    tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return mm_header(b, "Date", v, err);
}

/* One byte of quoted-printable: literal or =XX. */
static int
mm_qp_byte(struct buf *b, unsigned char c, int enc)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3] = { '=', hex[c >> 4], hex[c & 15] };

	return enc ? buf_put(b, e, 3) : buf_put(b, &c, 1);
}

/*
 * s as quoted-printable (RFC 2045 6.7): LF or CRLF become CRLF, every line at
 * most 76 bytes (soft breaks), '=', controls, 8-bit bytes and a line's
 * trailing blank encoded, and a dot that starts a line too (=2E, so no line
 * is ever the SMTP end of data, whatever the transport does).
 */
static int
mm_qp(struct buf *b, const char *s)
{
	size_t col = 0, i, len = strlen(s);
	int bad = 0;

	for (i = 0; i < len && !bad; i++) {
		unsigned char c = (unsigned char)s[i];
		int eol = i + 1 == len || s[i + 1] == '\n' || (s[i + 1] == '\r' && s[i + 2] == '\n');
		int enc;

		if (c == '\n' || (c == '\r' && s[i + 1] == '\n')) {
			if (c == '\r')
				i++;
			bad |= mm_put(b, "\r\n") != 0;
			col = 0;
			continue;
		}
		enc = (c < 0x20 && c != '\t') || c == '=' || c >= 0x7f ||
		    ((c == ' ' || c == '\t') && eol);
		if (col + (enc ? 3 : 1) > MM_QP_COLS - 1) {
			bad |= mm_put(b, "=\r\n") != 0;
			col = 0;
		}
		if (c == '.' && col == 0)
			enc = 1;
		bad |= mm_qp_byte(b, c, enc) != 0;
		col += enc ? 3 : 1;
	}
	if (len > 0 && s[len - 1] != '\n')
		bad |= mm_put(b, "\r\n") != 0;
	return bad ? -1 : 0;
}

/* One part's headers and quoted-printable body into part. */
static int
mm_part(struct buf *part, const char *ctype, const char *body)
{
	return mm_put(part, "Content-Type: ") != 0 || mm_put(part, ctype) != 0 ||
	    mm_put(part, "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	    != 0 || mm_qp(part, body) != 0 ? -1 : 0;
}

static int
mm_contains(const struct buf *b, const char *needle)
{
	return memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

/*
 * A boundary that occurs in neither part. "=_" never occurs in
 * quoted-printable text (every '=' there is =3D or a soft break at a line's
 * end), so the first try holds; the check is what makes it a guarantee.
 */
static int
mm_boundary(const struct buf *t, const struct buf *h, char *out, size_t n,
    struct bos_err *err)
{
	char rnd[MM_BOUNDARY_CHARS + 8];
	int i;

	for (i = 0; i < MM_BOUNDARY_TRIES; i++) {
		if (randid_new("", MM_BOUNDARY_CHARS, rnd, sizeof(rnd)) != 0)
			return bos_err_set(err, BOS_E_IO, "no random bytes for the MIME boundary");
		(void)snprintf(out, n, "=_bos_%s", rnd);
		if (!mm_contains(t, out) && !mm_contains(h, out))
			return 0;
	}
	return bos_err_set(err, BOS_E_INVALID, "no MIME boundary found that the parts do not "
	    "contain");
}

static int
mm_body(struct buf *b, const struct msg_mime *m, struct bos_err *err)
{
	struct buf t, h;
	char boundary[64];
	int r = -1;

	buf_init_grow(&t, MSG_MIME_MAX);
	buf_init_grow(&h, MSG_MIME_MAX);
	if (mm_part(&t, "text/plain", m->text) != 0 ||
	    (m->html != NULL && mm_part(&h, "text/html", m->html) != 0)) {
		bos_err_set(err, BOS_E_INVALID, "the message is larger than %d bytes", MSG_MIME_MAX);
		goto out;
	}
	if (m->html == NULL) {
		r = buf_put(b, t.data, t.len) != 0 ? bos_err_set(err, BOS_E_INVALID,
		    "the message is larger than %d bytes", MSG_MIME_MAX) : 0;
		goto out;
	}
	if (mm_boundary(&t, &h, boundary, sizeof(boundary), err) != 0)
		goto out;
	if (mm_put(b, "Content-Type: multipart/alternative; boundary=\"") != 0 ||
	    mm_put(b, boundary) != 0 || mm_put(b, "\"\r\n\r\n--") != 0 ||
	    mm_put(b, boundary) != 0 || mm_put(b, "\r\n") != 0 || buf_put(b, t.data, t.len) != 0 ||
	    mm_put(b, "--") != 0 || mm_put(b, boundary) != 0 || mm_put(b, "\r\n") != 0 ||
	    buf_put(b, h.data, h.len) != 0 || mm_put(b, "--") != 0 || mm_put(b, boundary) != 0 ||
	    mm_put(b, "--\r\n") != 0) {
		bos_err_set(err, BOS_E_INVALID, "the message is larger than %d bytes", MSG_MIME_MAX);
		goto out;
	}
	/* success */
	r = 0;
 out:
	buf_free(&t);
	buf_free(&h);
	return r;
}

static int
mm_message_id(const char *id, struct bos_err *err)
{
	size_t n = id != NULL ? strlen(id) : 0, i;

	if (n < 5 || n > 250 || id[0] != '<' || id[n - 1] != '>' || strchr(id, '@') == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the message has no Message-ID of the form "
		    "<id@domain>");
	for (i = 1; i + 1 < n; i++)
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f ||
		    strchr("<>()[],;:\"\\", id[i]) != NULL)
			return bos_err_set(err, BOS_E_INVALID, "the Message-ID holds a space, a "
			    "control character or one of <>()[],;:\"\\ (header injection refused)");
	return 0;
}

static int
mm_headers(struct buf *b, const struct msg_mime *m, struct bos_err *err)
{
	char to[MSG_MIME_ADDR_MAX];
	size_t i;

	if (msg_mime_addr(m->to, to, sizeof(to), err) != 0)
		return bos_err_wrap(err, "header To");
	if (m->subject == NULL || m->subject[0] == '\0')
		return bos_err_set(err, BOS_E_INVALID, "the message has no subject");
	if (mm_message_id(m->message_id, err) != 0)
		return -1;
	if (m->nheaders > MSG_MIME_HEADERS_MAX)
		return bos_err_set(err, BOS_E_INVALID, "more than %d extra headers",
		    MSG_MIME_HEADERS_MAX);
	/* Every extra header is checked before anything is written. */
	for (i = 0; i < m->nheaders; i++) {
		if (!mm_name_ok(m->headers[i].name))
			return bos_err_set(err, BOS_E_INVALID, "an extra header's name is not a "
			    "field name (printable ASCII, no ':', not one of the headers built here): "
			    "refused");
		if (!msg_mime_value_ok(m->headers[i].value) || !mm_ascii(m->headers[i].value))
			return bos_err_set(err, BOS_E_INVALID, "header %s: the value holds CR, LF, "
			    "NUL, another control or a non-ASCII byte (header injection refused)",
			    m->headers[i].name);
	}
	if (mm_from(b, m->from, err) != 0 || mm_header(b, "To", to, err) != 0 ||
	    mm_subject(b, m->subject, err) != 0 || mm_date(b, m->date, err) != 0 ||
	    mm_header(b, "Message-ID", m->message_id, err) != 0)
		return -1;
	for (i = 0; i < m->nheaders; i++)
		if (mm_header(b, m->headers[i].name, m->headers[i].value, err) != 0)
			return -1;
	return mm_header(b, "MIME-Version", "1.0", err);
}

int
msg_mime_build(const struct msg_mime *m, struct buf *out, struct bos_err *err)
{
	buf_init_grow(out, MSG_MIME_MAX);
	if (m->text == NULL) {
		bos_err_set(err, BOS_E_INVALID, "the message has no text part");
		return -1;
	}
	if (mm_headers(out, m, err) != 0 || mm_body(out, m, err) != 0) {
		buf_free(out);
		buf_init_grow(out, MSG_MIME_MAX);
		return -1;
	}
	return 0;
}
