/*
 * Unit tests for outreach rendering (vault/store/outreach_render.c,
 * docs/OUTREACH.md "Campaigns"): merge fields and their syntax errors, the
 * escaping of hostile values (markup in html, CRLF in the subject), the
 * footer, the headers, the SMS STOP line, SMTP's pixel and link rewriting,
 * and the link lookup that the click route relies on (no open redirect).
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

#include "store/outreach_render.h"

#define URL "https://bos.example.com"
#define TOK "AAAAAAAAAAAAAAAAAAAAAA"
#define MID "om_aaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
in_defaults(struct outreach_email_in *in, const char *provider)
{
	memset(in, 0, sizeof(*in));
	in->subject = "Hi {{name}}";
	in->text = "Hello {{ name }}, your firm {{firm}}.";
	in->html = "<html><body><p>Hello {{name}}</p><a href=\"https://example.com/a?x=1&amp;y=2\">"
	    "A</a> <a href=\"http://example.org/b\">B</a></body></html>";
	in->provider = provider;
	in->public_url = URL;
	in->postal_address = "1 Main St <Suite 5>, Springfield";
	in->reply_domain = "reply.example.com";
	in->message_id = MID;
	in->token = TOK;
	in->vars.name = "Ann";
	in->vars.email = "ann@example.com";
}

static void
test_template_check(void **state)
{
	struct bos_err err = { 0 };

	(void)state;
	assert_int_equal(outreach_template_check("plain text, { single } braces }}", "text", &err),
	    0);
	assert_int_equal(outreach_template_check("{{name}} {{ email }} {{\tphone\t}} {{Firm_2}}",
	    "text", &err), 0);
	/* Unclosed, a bad name, an empty one, a name too long, a nested brace: each refused. */
	assert_int_equal(outreach_template_check("Hello {{name", "subject", &err), -1);
	assert_int_equal(err.code, BOS_E_INVALID);
	assert_non_null(strstr(err.msg, "subject"));
	assert_int_equal(outreach_template_check("{{ }}", "text", &err), -1);
	assert_int_equal(outreach_template_check("{{1abc}}", "text", &err), -1);
	assert_int_equal(outreach_template_check("{{na-me}}", "text", &err), -1);
	assert_int_equal(outreach_template_check("{{{name}}}", "text", &err), -1);
	assert_int_equal(outreach_template_check("{{name}", "text", &err), -1);
	assert_int_equal(outreach_template_check(
	    "{{a1234567890123456789012345678901}}", "text", &err), 0);        /* 32 */
	assert_int_equal(outreach_template_check(
	    "{{a12345678901234567890123456789012}}", "text", &err), -1);      /* 33 */
	assert_int_equal(outreach_template_check("ok {{name}} then {{", "html", &err), -1);
}

static void
test_merge_values(void **state)
{
	json_t *fields = json_pack("{s:s, s:i}", "firm", "Acme & Co", "n", 3);
	struct outreach_vars v = { "Ann", "ann@example.com", NULL, fields };
	struct bos_err err = { 0 };
	char *out = NULL;

	(void)state;
	assert_int_equal(outreach_render_merge("{{name}}/{{email}}/{{phone}}/{{firm}}/{{n}}/"
	    "{{missing}}", &v, OUTREACH_ESC_NONE, &out, &err), 0);
	/* A missing value, or one that is not a string, is empty. */
	assert_string_equal(out, "Ann/ann@example.com//Acme & Co//");
	free(out);
	assert_int_equal(outreach_render_merge("x {{name", &v, OUTREACH_ESC_NONE, &out, &err), -1);
	assert_null(out);
	/* The value is not re-parsed: a value holding {{email}} stays as it is. */
	v.name = "{{email}}";
	assert_int_equal(outreach_render_merge("{{name}}", &v, OUTREACH_ESC_NONE, &out, &err), 0);
	assert_string_equal(out, "{{email}}");
	free(out);
	json_decref(fields);
}

static void
test_html_escaping(void **state)
{
	struct outreach_vars v = { "</a><script>alert('x')</script>\"&", NULL, NULL, NULL };
	struct bos_err err = { 0 };
	char *out = NULL;

	(void)state;
	assert_int_equal(outreach_render_merge("<a title=\"{{name}}\">{{name}}</a>", &v,
	    OUTREACH_ESC_HTML, &out, &err), 0);
	assert_string_equal(out, "<a title=\"&lt;/a&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script"
	    "&gt;&quot;&amp;\">&lt;/a&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"
	    "</a>");
	assert_null(strstr(out, "<script"));
	free(out);
}

static void
test_header_injection(void **state)
{
	struct outreach_email_in in;
	struct outreach_rendered r;
	struct bos_err err = { 0 };
	char *clean = NULL;

	(void)state;
	in_defaults(&in, "sendgrid");
	in.vars.name = "Ann\r\nBcc: victim@example.com\x01\x7f\t!";
	assert_int_equal(outreach_render_email(&in, &r, &err), 0);
	assert_string_equal(r.subject, "Hi AnnBcc: victim@example.com!");
	assert_null(strchr(r.subject, '\r'));
	assert_null(strchr(r.subject, '\n'));
	/* The text part takes the value as it is (a text body is not a header). */
	assert_non_null(strstr(r.text, "Ann\r\nBcc:"));
	outreach_rendered_free(&r);
	assert_int_equal(outreach_render_header_clean("a\r\nb\x1b[0mc", &clean), 0);
	assert_string_equal(clean, "ab[0mc");
	free(clean);
}

static void
test_email_footer_headers(void **state)
{
	struct outreach_email_in in;
	struct outreach_rendered r;
	struct bos_err err = { 0 };

	(void)state;
	in_defaults(&in, "sendgrid");
	assert_int_equal(outreach_render_email(&in, &r, &err), 0);
	assert_string_equal(r.subject, "Hi Ann");
	assert_string_equal(r.text, "Hello Ann, your firm .\n\n--\nUnsubscribe: " URL "/u/" TOK
	    "\n1 Main St <Suite 5>, Springfield\n");
	assert_string_equal(r.h_message_id, "<" MID "@bos.invalid>");
	assert_string_equal(r.h_list_unsubscribe, "<" URL "/u/" TOK ">");
	assert_string_equal(r.h_list_unsubscribe_post, "List-Unsubscribe=One-Click");
	assert_string_equal(r.h_reply_to, "reply+" TOK "@reply.example.com");
	/* The footer goes before </body>, the address escaped; no pixel, no rewriting (not SMTP). */
	assert_non_null(strstr(r.html, "<a href=\"" URL "/u/" TOK "\">Unsubscribe</a><br>1 Main St "
	    "&lt;Suite 5&gt;, Springfield</p></body></html>"));
	assert_null(strstr(r.html, "/o/"));
	assert_non_null(strstr(r.html, "href=\"https://example.com/a?x=1&amp;y=2\""));
	outreach_rendered_free(&r);
	/* No reply domain: no Reply-To. No html: none rendered. */
	in.reply_domain = "";
	in.html = NULL;
	assert_int_equal(outreach_render_email(&in, &r, &err), 0);
	assert_null(r.h_reply_to);
	assert_null(r.html);
	outreach_rendered_free(&r);
	/* Not configured: refused. */
	in.postal_address = "";
	assert_int_equal(outreach_render_email(&in, &r, &err), -1);
	assert_null(r.text);
}

static void
test_smtp_tracking(void **state)
{
	struct outreach_email_in in;
	struct outreach_rendered r;
	struct bos_err err = { 0 };
	char url[OUTREACH_LINK_MAX + 1];

	(void)state;
	in_defaults(&in, "smtp");
	/* A value that looks like a link is escaped and never tracked or rewritten. */
	in.vars.name = "<a href=\"https://evil.example/\">x</a>";
	assert_int_equal(outreach_render_email(&in, &r, &err), 0);
	assert_non_null(strstr(r.html, "<a href=\"" URL "/c/" TOK "/0\">A</a>"));
	assert_non_null(strstr(r.html, "<a href=\"" URL "/c/" TOK "/1\">B</a>"));
	assert_null(strstr(r.html, "/c/" TOK "/2"));
	assert_null(strstr(r.html, "href=\"https://evil"));
	assert_non_null(strstr(r.html, "<img src=\"" URL "/o/" TOK ".gif\" width=\"1\" height=\"1\" "
	    "alt=\"\"></body></html>"));
	/* The unsubscribe link stays direct. */
	assert_non_null(strstr(r.html, "href=\"" URL "/u/" TOK "\""));
	outreach_rendered_free(&r);
	/* The targets come from the template: &amp; decoded; past the last link: none. */
	assert_int_equal(outreach_render_link(in.html, 0, url, sizeof(url)), 0);
	assert_string_equal(url, "https://example.com/a?x=1&y=2");
	assert_int_equal(outreach_render_link(in.html, 1, url, sizeof(url)), 0);
	assert_string_equal(url, "http://example.org/b");
	assert_int_equal(outreach_render_link(in.html, 2, url, sizeof(url)), -1);
	assert_int_equal(outreach_render_link(NULL, 0, url, sizeof(url)), -1);
	assert_int_equal(outreach_render_link(in.html, 0, url, 8), -1);
	/* No </body>: the pixel goes at the end. */
	in.html = "<p>hi</p>";
	assert_int_equal(outreach_render_email(&in, &r, &err), 0);
	assert_non_null(strstr(r.html, ".gif\" width=\"1\" height=\"1\" alt=\"\">"));
	assert_string_equal(r.html + strlen(r.html) - 7, "alt=\"\">");
	outreach_rendered_free(&r);
}

static void
test_link_scan_rules(void **state)
{
	/* Not links: mailto, a merge field in the target, data-href, single quotes, a space. */
	const char *html = "<a href=\"mailto:a@b.c\">m</a><a href=\"https://x.example/{{name}}\">"
	    "f</a><a data-href=\"https://no.example/\">d</a><a href='https://sq.example/'>s</a>"
	    "<a href=\"https://sp.example/a b\">sp</a><a HREF=\"HTTPS://ok.example/z\">ok</a>";
	struct outreach_email_in in;
	struct outreach_rendered r;
	struct bos_err err = { 0 };
	char url[OUTREACH_LINK_MAX + 1];

	(void)state;
	assert_int_equal(outreach_render_link(html, 0, url, sizeof(url)), 0);
	assert_string_equal(url, "HTTPS://ok.example/z");
	assert_int_equal(outreach_render_link(html, 1, url, sizeof(url)), -1);
	in_defaults(&in, "smtp");
	in.html = html;
	assert_int_equal(outreach_render_email(&in, &r, &err), 0);
	assert_non_null(strstr(r.html, "HREF=\"" URL "/c/" TOK "/0\">ok"));
	assert_non_null(strstr(r.html, "href=\"https://x.example/Ann\">f"));
	assert_non_null(strstr(r.html, "href=\"mailto:a@b.c\""));
	outreach_rendered_free(&r);
}

static void
test_sms(void **state)
{
	struct outreach_vars v = { "Bob STOP", NULL, "+15551234567", NULL };
	struct outreach_rendered r;
	struct bos_err err = { 0 };

	(void)state;
	assert_int_equal(outreach_render_sms("Hi {{name}} <b>&", &v, &r, &err), 0);
	/* SMS values are as they are; a value saying STOP does not drop the line. */
	assert_string_equal(r.body, "Hi Bob STOP <b>&" OUTREACH_SMS_STOP);
	outreach_rendered_free(&r);
	assert_int_equal(outreach_render_sms("Text stop to end", &v, &r, &err), 0);
	assert_string_equal(r.body, "Text stop to end");
	outreach_rendered_free(&r);
	assert_int_equal(outreach_render_sms("nonstop deals", &v, &r, &err), 0);
	assert_string_equal(r.body, "nonstop deals" OUTREACH_SMS_STOP);
	outreach_rendered_free(&r);
	assert_int_equal(outreach_render_sms("bad {{", &v, &r, &err), -1);
	assert_null(r.body);
}

static void
test_size_limit(void **state)
{
	size_t n = 70000;
	char *big = malloc(n + 1), *tpl, *out = NULL;
	struct outreach_vars v = { NULL, NULL, NULL, NULL };
	struct bos_err err = { 0 };
	size_t i;

	(void)state;
	assert_non_null(big);
	memset(big, '&', n);
	big[n] = '\0';
	v.name = big;
	/* 20 copies of a 70 KB value, each escaped to 5 bytes a byte: past the 1 MiB cap. */
	tpl = malloc(20 * 8 + 1);
	assert_non_null(tpl);
	tpl[0] = '\0';
	for (i = 0; i < 20; i++)
		memcpy(tpl + i * 8, "{{name}}", 9);
	assert_int_equal(outreach_render_merge(tpl, &v, OUTREACH_ESC_HTML, &out, &err), -1);
	assert_null(out);
	assert_int_equal(outreach_render_merge(tpl, &v, OUTREACH_ESC_NONE, &out, &err), -1);
	assert_int_equal(outreach_render_merge("{{name}}", &v, OUTREACH_ESC_HTML, &out, &err), 0);
	assert_int_equal(strlen(out), n * 5);
	free(out);
	free(tpl);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_check),
		cmocka_unit_test(test_merge_values),
		cmocka_unit_test(test_html_escaping),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_email_footer_headers),
		cmocka_unit_test(test_smtp_tracking),
		cmocka_unit_test(test_link_scan_rules),
		cmocka_unit_test(test_sms),
		cmocka_unit_test(test_size_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
