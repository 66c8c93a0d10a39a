/*
 * Unit tests: the RFC 5322 message bos-broker sends over SMTP
 * (broker/msg_mime.c): the headers and their order, the Subject and From
 * as RFC 2047 encoded-words when not ASCII, quoted-printable parts that
 * decode back to the input with no line over 76 bytes, a leading dot
 * encoded, the multipart boundary absent from the parts, and every header
 * injection (CR, LF, NUL in a name or value, a name that repeats one of
 * ours) refused with nothing built; 3000 random inputs hold these invariants.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "msg_mime.h"

static const struct msg_header tm_hdrs[] = {
	{ "List-Unsubscribe", "<https://bos.example/u/tok123>" },
	{ "List-Unsubscribe-Post", "List-Unsubscribe=One-Click" },
	{ "Reply-To", "reply+tok123@reply.example" },
};

static struct msg_mime
tm_msg(void)
{
	struct msg_mime m = { "Acme Sales <sales@acme.example>", "ada@example.org",
	    "Our product", "<om_abc@bos.invalid>", "Hello Ada,\nline two\n",
	    "<html><body><p>Hello Ada</p></body></html>", tm_hdrs, BOS_ARRAY_LEN(tm_hdrs),
	    1796677200 };

	return m;
}

/* out as a NUL-terminated string (the test owns the copy). */
static char *
tm_str(const struct buf *b)
{
	char *s = malloc(b->len + 1);

	assert_non_null(s);
	memcpy(s, b->data, b->len);
	s[b->len] = '\0';
	return s;
}

static int
tm_count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

/* Every line ends in CRLF, no bare CR or LF, none longer than max. */
static void
tm_lines_ok(const char *s, size_t max)
{
	const char *p = s, *e;

	while (*p != '\0') {
		e = strstr(p, "\r\n");
		assert_non_null(e);
		assert_true((size_t)(e - p) <= max);
		assert_null(memchr(p, '\n', (size_t)(e - p)));
		assert_null(memchr(p, '\r', (size_t)(e - p)));
		p = e + 2;
	}
}

/* Decode quoted-printable from p up to the end marker (exclusive). */
static char *
tm_qp_decode(const char *p, const char *end)
{
	char *out = malloc((size_t)(end - p) + 1), *o = out;

	assert_non_null(out);
	while (p < end) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 3;
		} else if (p[0] == '=') {
			unsigned v;

			assert_int_equal(sscanf(p + 1, "%2X", &v), 1);
			*o++ = (char)v;
			p += 3;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/* The headers, in order, and the message as multipart/alternative. */
static void
test_headers_and_parts(void **state)
{
	struct msg_mime m = tm_msg();
	struct bos_err err;
	struct buf b;
	char *s, *bd, boundary[80], *e;

	(void)state;
	assert_int_equal(msg_mime_build(&m, &b, &err), 0);
	s = tm_str(&b);
	tm_lines_ok(s, 998);
	assert_ptr_equal(strstr(s, "From: \"Acme Sales\" <sales@acme.example>\r\n"), s);
	assert_non_null(strstr(s, "\r\nTo: ada@example.org\r\n"));
	assert_non_null(strstr(s, "\r\nSubject: Our product\r\n"));
	assert_non_null(strstr(s, "\r\nDate: Mon, 07 Dec 2026 21:00:00 +0000\r\n"));
	assert_non_null(strstr(s, "\r\nMessage-ID: <om_abc@bos.invalid>\r\n"));
	assert_non_null(strstr(s, "\r\nList-Unsubscribe: <https://bos.example/u/tok123>\r\n"));
	assert_non_null(strstr(s, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
	assert_non_null(strstr(s, "\r\nReply-To: reply+tok123@reply.example\r\n"));
	assert_non_null(strstr(s, "\r\nMIME-Version: 1.0\r\n"));
	bd = strstr(s, "Content-Type: multipart/alternative; boundary=\"");
	assert_non_null(bd);
	bd += strlen("Content-Type: multipart/alternative; boundary=\"");
	e = strchr(bd, '"');
	assert_non_null(e);
	assert_true(e - bd > 20 && (size_t)(e - bd) < sizeof(boundary));
	memcpy(boundary, bd, (size_t)(e - bd));
	boundary[e - bd] = '\0';
	/* Once in the header, twice as a delimiter, once closing: nowhere else. */
	assert_int_equal(tm_count(s, boundary), 4);
	assert_non_null(strstr(s, "--"));
	assert_int_equal(tm_count(s, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\nHello Ada,\r\nline two\r\n"), 1);
	assert_int_equal(tm_count(s, "Content-Type: text/html; charset=UTF-8\r\n"), 1);
	/* The headers end before the body: exactly one blank line before the first part. */
	assert_true(strstr(s, "\r\n\r\n") > strstr(s, "MIME-Version"));
	free(s);
	buf_free(&b);
}

/* Text only: one text/plain part, no multipart. */
static void
test_text_only(void **state)
{
	struct msg_mime m = tm_msg();
	struct bos_err err;
	struct buf b;
	char *s;

	(void)state;
	m.html = NULL;
	assert_int_equal(msg_mime_build(&m, &b, &err), 0);
	s = tm_str(&b);
	assert_null(strstr(s, "multipart"));
	assert_int_equal(tm_count(s, "Content-Type: text/plain; charset=UTF-8\r\n"), 1);
	free(s);
	buf_free(&b);
}

/* Quoted-printable: long lines, '=', 8-bit, a leading dot, trailing blanks; it decodes back. */
static void
test_quoted_printable(void **state)
{
	struct msg_mime m = tm_msg();
	char text[6000], *s, *start, *end, *dec, want[7000];
	struct bos_err err;
	struct buf b;
	size_t i, o = 0;

	(void)state;
	for (i = 0; i < 3000; i++)
		text[i] = (char)('a' + i % 26);
	(void)snprintf(text + 3000, sizeof(text) - 3000, "\n.hidden dot\n.\nx=1 \nnaïve café \t\n"
	    "bare\rcr\r\nend");
	m.text = text;
	m.html = NULL;
	assert_int_equal(msg_mime_build(&m, &b, &err), 0);
	s = tm_str(&b);
	start = strstr(s, "quoted-printable\r\n\r\n") + strlen("quoted-printable\r\n\r\n");
	end = s + strlen(s);
	tm_lines_ok(start, 76);
	/* No line of the body is a lone dot or starts with one (SMTP's end of data). */
	assert_null(strstr(start, "\r\n."));
	assert_true(start[0] != '.');
	assert_non_null(strstr(start, "=2Ehidden dot"));
	assert_non_null(strstr(start, "x=3D1=20\r\n"));
	assert_non_null(strstr(start, "na=C3=AFve caf=C3=A9 =09\r\n"));
	assert_non_null(strstr(start, "bare=0Dcr\r\n"));
	dec = tm_qp_decode(start, end);
	/* The decoded text is the input with LF and CRLF as CRLF, and a final CRLF. */
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			want[o++] = '\r';
		want[o++] = text[i];
	}
	want[o++] = '\r';
	want[o++] = '\n';
	want[o] = '\0';
	assert_string_equal(dec, want);
	free(dec);
	free(s);
	buf_free(&b);
}

/* A part that contains text looking like a boundary: the boundary still occurs only as one. */
static void
test_boundary_not_in_parts(void **state)
{
	struct msg_mime m = tm_msg();
	struct bos_err err;
	struct buf b;
	char *s;
	int i;

	(void)state;
	m.text = "--=_bos_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n=_bos_\n--\n";
	m.html = "<p>=_bos_ --=_bos_</p>";
	for (i = 0; i < 20; i++) {
		assert_int_equal(msg_mime_build(&m, &b, &err), 0);
		s = tm_str(&b);
		/* The raw "=_bos_" of the parts is encoded: only the 4 boundary uses remain. */
		assert_int_equal(tm_count(s, "=_bos_"), 4);
		assert_non_null(strstr(s, "--=3D_bos_aaaa"));
		free(s);
		buf_free(&b);
	}
}

/* A subject that is not ASCII: RFC 2047 encoded-words, folded, decoding back to it. */
static void
test_subject_encoded(void **state)
{
	struct msg_mime m = tm_msg();
	const char *subj = "Grüße aus Köln — ein Angebot für Sie, über 45 Bytes lang, "
	    "mit Umlauten äöü";
	char *s, *p, *e, dec[512];
	unsigned char chunk[128];
	struct bos_err err;
	struct buf b;
	size_t o = 0;
	int n;

	(void)state;
	m.subject = subj;
	m.from = "Jürgen Müller <j@acme.example>";
	assert_int_equal(msg_mime_build(&m, &b, &err), 0);
	s = tm_str(&b);
	tm_lines_ok(s, 998);
	assert_non_null(strstr(s, "From: =?UTF-8?B?"));
	assert_non_null(strstr(s, "?= <j@acme.example>\r\n"));
	p = strstr(s, "Subject: ");
	assert_non_null(p);
	e = strstr(p, "\r\nDate:");
	assert_non_null(e);
	*e = '\0';
	assert_true(tm_count(p, "=?UTF-8?B?") >= 2);
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		char *q = strstr(p, "?=");

		p += strlen("=?UTF-8?B?");
		assert_non_null(q);
		assert_true(q - p + 12 <= 75);
		*q = '\0';
		n = EVP_DecodeBlock(chunk, (const unsigned char *)p, (int)strlen(p));
		assert_true(n > 0);
		while (n > 0 && chunk[n - 1] == '\0' && strlen(p) > 1 && p[strlen(p) - 1] == '=') {
			n--;
			p[strlen(p) - 1] = '\0';
		}
		memcpy(dec + o, chunk, (size_t)n);
		o += (size_t)n;
		p = q + 2;
	}
	dec[o] = '\0';
	assert_string_equal(dec, subj);
	free(s);
	buf_free(&b);
}

/* Every way of slipping a header in is refused, and nothing is built. */
static void
test_header_injection_refused(void **state)
{
	static const char *const bad_values[] = { "x\r\nBcc: victim@example.org", "x\nBcc: v@e.o",
	    "x\rBcc: v@e.o", "x\x01y" };
	struct msg_header h[2];
	struct msg_mime m;
	struct bos_err err;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(bad_values); i++) {
		m = tm_msg();
		m.subject = bad_values[i];
		assert_int_equal(msg_mime_build(&m, &b, &err), -1);
		assert_int_equal(b.len, 0);
		assert_non_null(strstr(err.msg, "injection"));
		m = tm_msg();
		h[0] = (struct msg_header){ "List-Unsubscribe", bad_values[i] };
		m.headers = h;
		m.nheaders = 1;
		assert_int_equal(msg_mime_build(&m, &b, &err), -1);
		assert_int_equal(b.len, 0);
		m = tm_msg();
		m.from = bad_values[i];
		assert_int_equal(msg_mime_build(&m, &b, &err), -1);
		m = tm_msg();
		m.to = bad_values[i];
		assert_int_equal(msg_mime_build(&m, &b, &err), -1);
		m = tm_msg();
		m.message_id = bad_values[i];
		assert_int_equal(msg_mime_build(&m, &b, &err), -1);
		assert_int_equal(b.len, 0);
	}
	/* Names: with CR/LF/colon/space, or one of the headers built here. */
	{
		static const char *const bad_names[] = { "X-A\r\nBcc", "X-A:", "X A", "", "Bcc",
		    "bcc", "To", "Subject", "Content-Type", "content-transfer-encoding", "MIME-Version",
		    "Message-ID", "From", "Date", "Sender" };

		for (i = 0; i < BOS_ARRAY_LEN(bad_names); i++) {
			m = tm_msg();
			h[0] = (struct msg_header){ bad_names[i], "value" };
			m.headers = h;
			m.nheaders = 1;
			assert_int_equal(msg_mime_build(&m, &b, &err), -1);
			assert_int_equal(b.len, 0);
		}
	}
	/* A second header that is bad: the good first one is not written either. */
	m = tm_msg();
	h[0] = (struct msg_header){ "List-Unsubscribe", "<https://ok.example/u/1>" };
	h[1] = (struct msg_header){ "Reply-To", "a@b.c\r\nBcc: x@y.z" };
	m.headers = h;
	m.nheaders = 2;
	assert_int_equal(msg_mime_build(&m, &b, &err), -1);
	assert_int_equal(b.len, 0);
	/* Control: the same with good values builds. */
	h[1] = (struct msg_header){ "Reply-To", "a@b.c" };
	assert_int_equal(msg_mime_build(&m, &b, &err), 0);
	assert_true(b.len > 0);
	buf_free(&b);
}

/* A header line over 998 bytes, a missing Message-ID, subject or text: refused. */
static void
test_limits_refused(void **state)
{
	char longv[1200];
	struct msg_header h[1];
	struct msg_mime m;
	struct bos_err err;
	struct buf b;

	(void)state;
	memset(longv, 'a', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	m = tm_msg();
	h[0] = (struct msg_header){ "List-Unsubscribe", longv };
	m.headers = h;
	m.nheaders = 1;
	assert_int_equal(msg_mime_build(&m, &b, &err), -1);
	assert_non_null(strstr(err.msg, "longer than 998"));
	m = tm_msg();
	m.message_id = NULL;
	assert_int_equal(msg_mime_build(&m, &b, &err), -1);
	m = tm_msg();
	m.message_id = "om_abc@bos.invalid";
	assert_int_equal(msg_mime_build(&m, &b, &err), -1);
	m = tm_msg();
	m.message_id = "<om abc@bos.invalid>";
	assert_int_equal(msg_mime_build(&m, &b, &err), -1);
	m = tm_msg();
	m.subject = "";
	assert_int_equal(msg_mime_build(&m, &b, &err), -1);
	m = tm_msg();
	m.text = NULL;
	assert_int_equal(msg_mime_build(&m, &b, &err), -1);
	/* A long ASCII subject (998 bytes allowed by the vault) is encoded and folded. */
	m = tm_msg();
	memset(longv, 's', 998);
	longv[998] = '\0';
	m.subject = longv;
	assert_int_equal(msg_mime_build(&m, &b, &err), 0);
	buf_free(&b);
}

/* The envelope's addresses. */
static void
test_addr(void **state)
{
	static const char *const bad[] = { "", "a", "no-at.example", "a@@b.c", "@b.c", "a@",
	    "a b@c.d", "Name <a@b.c", "Name <a@b.c> x", "a@b.c\r\n", "<a@b.c>\n", "a@b.c,d@e.f",
	    "a\"b@c.d" };
	char out[MSG_MIME_ADDR_MAX];
	struct bos_err err;
	size_t i;

	(void)state;
	assert_int_equal(msg_mime_addr("a@b.c", out, sizeof(out), &err), 0);
	assert_string_equal(out, "a@b.c");
	assert_int_equal(msg_mime_addr("Acme <sales@acme.example>", out, sizeof(out), &err), 0);
	assert_string_equal(out, "sales@acme.example");
	assert_int_equal(msg_mime_addr("\"A, B\" <x@y.z>", out, sizeof(out), &err), 0);
	assert_string_equal(out, "x@y.z");
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++)
		assert_int_equal(msg_mime_addr(bad[i], out, sizeof(out), &err), -1);
	assert_int_equal(msg_mime_addr("a@b.c", out, 4, &err), -1);
}

/* A random string of n bytes from an alphabet rich in what breaks messages. */
static void
tm_random(char *out, size_t n)
{
	static const char *const pieces[] = { "\r", "\n", "\r\n", ".", "=", " ", "\t", "a", "Z",
	    "0", "ü", "€", ":", "<", ">", "@", "--", "=_bos_", "\x01", "\x7f", "\xff", "Bcc: x@y.z",
	    "\r\n.\r\n", "                                                                 " };
	unsigned char r[64];
	size_t o = 0, i = 0;

	assert_int_equal(RAND_bytes(r, sizeof(r)), 1);
	while (i < sizeof(r)) {
		const char *p = pieces[r[i++] % BOS_ARRAY_LEN(pieces)];
		size_t k = strlen(p);

		if (o + k >= n)
			break;
		memcpy(out + o, p, k);
		o += k;
	}
	out[o] = '\0';
}

/*
 * Random subjects, names, header values and bodies: either refused, or a
 * message whose lines all end in CRLF within 998 bytes, whose header block
 * holds exactly the expected fields (every other line a folded
 * continuation), whose body has no line that is a lone dot, and whose
 * boundary occurs only as one. Refused exactly when a header field holds a
 * control character.
 */
static void
test_random_inputs(void **state)
{
	static const char *const want[] = { "From", "To", "Subject", "Date", "Message-ID",
	    "List-Unsubscribe", "MIME-Version", "Content-Type", "Content-Transfer-Encoding" };
	char subj[200], name[100], from[200], hv[200], text[2000], html[2000];
	struct msg_header h[1];
	struct msg_mime m;
	struct bos_err err;
	struct buf b;
	int i, built = 0;

	(void)state;
	for (i = 0; i < 3000; i++) {
		char *s, *end, *line;
		size_t nf = 0;
		int ctl;

		tm_random(subj, sizeof(subj));
		tm_random(name, sizeof(name));
		tm_random(hv, sizeof(hv));
		tm_random(text, sizeof(text));
		tm_random(html, sizeof(html));
		if (i % 2 == 1) {
			/* Half the time the header fields are clean: those must build. */
			char *const f[] = { subj, name, hv };
			size_t j, k;

			for (j = 0; j < BOS_ARRAY_LEN(f); j++)
				for (k = 0; f[j][k] != '\0'; k++)
					if ((unsigned char)f[j][k] < 0x20 || f[j][k] == 0x7f ||
					    (j == 1 && strchr("<>", f[j][k]) != NULL) ||
					    (j == 2 && (unsigned char)f[j][k] >= 0x80))
						f[j][k] = 'x';
		}
		(void)snprintf(from, sizeof(from), "%s <a@b.example>", name);
		m = tm_msg();
		m.subject = i % 3 == 0 ? "plain" : subj;
		m.from = i % 5 == 0 ? "a@b.example" : from;
		h[0] = (struct msg_header){ "List-Unsubscribe", i % 7 == 0 ? "<https://x/u/1>" : hv };
		m.headers = h;
		m.nheaders = 1;
		m.text = text;
		m.html = i % 2 == 0 ? html : NULL;
		ctl = !msg_mime_value_ok(m.subject) || !msg_mime_value_ok(m.from) ||
		    !msg_mime_value_ok(h[0].value);
		if (msg_mime_build(&m, &b, &err) != 0) {
			assert_int_equal(b.len, 0);
			/* A clean one is refused only for a From name over 128 bytes. */
			assert_true(ctl || i % 2 == 0 || strlen(name) > 128);
			continue;
		}
		assert_false(ctl);
		built++;
		s = tm_str(&b);
		tm_lines_ok(s, 998);
		end = strstr(s, "\r\n\r\n");
		assert_non_null(end);
		end[2] = '\0';
		for (line = s; *line != '\0'; line = strstr(line, "\r\n") + 2) {
			if (*line == ' ' || *line == '\t')
				continue;   /* a folded continuation */
			assert_true(nf < BOS_ARRAY_LEN(want));
			assert_int_equal(strncmp(line, want[nf], strlen(want[nf])), 0);
			assert_int_equal(line[strlen(want[nf])], ':');
			nf++;
		}
		/* multipart: its Content-Type; text only: the part's Content-Type and encoding. */
		assert_int_equal(nf, m.html != NULL ? BOS_ARRAY_LEN(want) - 1 : BOS_ARRAY_LEN(want));
		end[2] = '\r';
		assert_null(strstr(end, "\r\n.\r\n"));
		if (m.html != NULL) {
			/* The boundary itself (not its "=_bos_" prefix, which a header may hold). */
			char bnd[64], *p = strstr(s, "boundary=\"");
			size_t n;

			assert_non_null(p);
			p += strlen("boundary=\"");
			n = strcspn(p, "\"");
			assert_true(n > 0 && n < sizeof(bnd));
			memcpy(bnd, p, n);
			bnd[n] = '\0';
			assert_int_equal(tm_count(s, bnd), 4);
		}
		free(s);
		buf_free(&b);
	}
	/* Most inputs are refused (controls everywhere); enough are built to mean something. */
	assert_true(built > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_and_parts),
		cmocka_unit_test(test_text_only),
		cmocka_unit_test(test_quoted_printable),
		cmocka_unit_test(test_boundary_not_in_parts),
		cmocka_unit_test(test_subject_encoded),
		cmocka_unit_test(test_header_injection_refused),
		cmocka_unit_test(test_limits_refused),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_random_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
