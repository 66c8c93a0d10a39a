/* Rendering outreach messages; see outreach_render.h and docs/OUTREACH.md. */
#include "store/outreach_render.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "buf.h"

/* ---- a growing string ------------------------------------------------------------ */

static int
or_put(struct buf *b, const char *s, size_t n)
{
	return buf_put(b, s, n);
}

static int
or_puts(struct buf *b, const char *s)
{
	return s != NULL ? buf_put(b, s, strlen(s)) : 0;
}

/* The buffer's bytes as a malloc'd string; the buffer is wiped and released. */
static int
or_take(struct buf *b, char **out)
{
	char *s = malloc(b->len + 1);

	if (s != NULL) {
		if (b->len > 0)
			memcpy(s, b->data, b->len);
		s[b->len] = '\0';
	}
	buf_free(b);
	*out = s;
	return s != NULL ? 0 : -1;
}

static int
or_too_big(struct buf *b, struct bos_err *err)
{
	buf_free(b);
	return bos_err_set(err, BOS_E_INVALID, "the rendered message would pass %u bytes",
	    OUTREACH_RENDER_MAX);
}

/* ---- merge fields ---------------------------------------------------------------- */

/*
 * Parse the merge field at p (which starts with "{{"): name and its length,
 * *end just past "}}". 0, or -1 when it is not closed or the name is bad.
 */
static int
or_field(const char *p, const char **name, size_t *len, const char **end)
{
	const char *q = p + 2, *n;

	while (*q == ' ' || *q == '\t')
		q++;
	n = q;
	if (!isalpha((unsigned char)*q))
		return -1;
	while (isalnum((unsigned char)*q) || *q == '_')
		q++;
	if ((size_t)(q - n) > OUTREACH_FIELD_NAME_MAX)
		return -1;
	*name = n;
	*len = (size_t)(q - n);
	while (*q == ' ' || *q == '\t')
		q++;
	if (q[0] != '}' || q[1] != '}')
		return -1;
	*end = q + 2;
	return 0;
}

int
outreach_template_check(const char *tpl, const char *what, struct bos_err *err)
{
	const char *p = tpl, *name, *end;
	size_t len;

	while ((p = strstr(p, "{{")) != NULL) {
		if (or_field(p, &name, &len, &end) != 0)
			return bos_err_set(err, BOS_E_INVALID, "'%s' has a merge field that is not "
			    "closed or not a name at byte %zu: write {{name}}, {{email}}, {{phone}} or "
			    "{{FIELD}} ([A-Za-z][A-Za-z0-9_]{0,31})", what, (size_t)(p - tpl));
		p = end;
	}
	return 0;
}

static const char *
or_value(const struct outreach_vars *v, const char *name, size_t len)
{
	char key[OUTREACH_FIELD_NAME_MAX + 1];
	json_t *f;

	memcpy(key, name, len);
	key[len] = '\0';
	if (strcmp(key, "name") == 0)
		return v->name;
	if (strcmp(key, "email") == 0)
		return v->email;
	if (strcmp(key, "phone") == 0)
		return v->phone;
	if (v->fields == NULL || (f = json_object_get(v->fields, key)) == NULL)
		return NULL;
	return json_is_string(f) ? json_string_value(f) : NULL;
}

static int
or_put_escaped(struct buf *b, const char *s, enum outreach_esc esc)
{
	const char *rep;
	int r = 0;

	if (esc == OUTREACH_ESC_NONE)
		return or_puts(b, s);
	for (; s != NULL && *s != '\0' && r == 0; s++) {
		rep = NULL;
		if (esc == OUTREACH_ESC_HTML) {
			rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" :
			    *s == '"' ? "&quot;" : *s == '\'' ? "&#39;" : NULL;
		} else if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			continue;       /* OUTREACH_ESC_HEADER: no CR, LF or control */
		}
		r = rep != NULL ? or_puts(b, rep) : or_put(b, s, 1);
	}
	return r;
}

static int
or_merge_into(struct buf *b, const char *tpl, const struct outreach_vars *v,
    enum outreach_esc esc, struct bos_err *err)
{
	const char *p = tpl, *q, *name, *end;
	size_t len;

	while ((q = strstr(p, "{{")) != NULL) {
		if (or_field(q, &name, &len, &end) != 0) {
			buf_free(b);
			return bos_err_set(err, BOS_E_INVALID,
			    "a merge field is not closed or not a "
			    "name at byte %zu", (size_t)(q - tpl));
		}
		if (or_put(b, p, (size_t)(q - p)) != 0 ||
		    or_put_escaped(b, or_value(v, name, len), esc) != 0)
			return or_too_big(b, err);
		p = end;
	}
	if (or_puts(b, p) != 0)
		return or_too_big(b, err);
	return 0;
}

int
outreach_render_merge(const char *tpl, const struct outreach_vars *v, enum outreach_esc esc,
    char **out, struct bos_err *err)
{
	struct buf b;

	*out = NULL;
	buf_init_grow(&b, OUTREACH_RENDER_MAX);
	if (or_merge_into(&b, tpl, v, esc, err) != 0) {
		buf_free(&b);
		return -1;
	}
	if (or_take(&b, out) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory rendering a message");
	return 0;
}

int
outreach_render_header_clean(const char *s, char **out)
{
	struct buf b;

	*out = NULL;
	buf_init_grow(&b, OUTREACH_RENDER_MAX);
	if (or_put_escaped(&b, s, OUTREACH_ESC_HEADER) != 0) {
		buf_free(&b);
		return -1;
	}
	return or_take(&b, out);
}

/* ---- trackable links ------------------------------------------------------------- */

/*
 * The next trackable link at or after p: *t and *tlen its target (between
 * the quotes of href="..."). NULL when there is none.
 */
static const char *
or_link_next(const char *p, const char **t, size_t *tlen)
{
	const char *h, *q;
	size_t n, i;

	for (h = p; (h = strcasestr(h, "href=\"")) != NULL; h += 6) {
		if (h > p && !isspace((unsigned char)h[-1]))
			continue;       /* data-href=, xhref= ... */
		q = h + 6;
		if (strncasecmp(q, "http://", 7) != 0 && strncasecmp(q, "https://", 8) != 0)
			continue;
		n = strcspn(q, "\"");
		if (q[n] != '"' || n > OUTREACH_LINK_MAX)
			continue;
		for (i = 0; i < n; i++)
			if ((unsigned char)q[i] <= 0x20 || (unsigned char)q[i] >= 0x7f ||
			    q[i] == '<' || q[i] == '>' || (q[i] == '{' && q[i + 1] == '{'))
				break;
		if (i < n)
			continue;
		*t = q;
		*tlen = n;
		return h;
	}
	return NULL;
}

int
outreach_render_link(const char *html, unsigned n, char *url, size_t cap)
{
	const char *p = html, *t = NULL;
	size_t tlen = 0, i, o = 0;
	unsigned k;

	if (html == NULL)
		return -1;
	for (k = 0; k <= n; k++) {
		if (or_link_next(p, &t, &tlen) == NULL)
			return -1;
		p = t + tlen;
	}
	/* The attribute's text to the URL it stands for: &amp; is the only entity decoded. */
	for (i = 0; i < tlen; i++) {
		if (o + 1 >= cap)
			return -1;
		url[o++] = t[i];
		if (strncmp(t + i, "&amp;", 5) == 0)
			i += 4;
	}
	url[o] = '\0';
	return 0;
}

/* html with every trackable link's target replaced by URL/c/TOKEN/N. */
static int
or_rewrite_links(const char *html, const char *url, const char *token, struct buf *b)
{
	const char *p = html, *t, *h;
	size_t tlen;
	char n[16];
	unsigned k;

	for (k = 0; (h = or_link_next(p, &t, &tlen)) != NULL; k++) {
		(void)snprintf(n, sizeof(n), "%u", k);
		if (or_put(b, p, (size_t)(t - p)) != 0 || or_puts(b, url) != 0 ||
		    or_puts(b, "/c/") != 0 || or_puts(b, token) != 0 || or_puts(b, "/") != 0 ||
		    or_puts(b, n) != 0)
			return -1;
		p = t + tlen;
	}
	return or_puts(b, p);
}

/* ---- email ----------------------------------------------------------------------- */

static char *
or_format(const char *a, const char *b, const char *c, const char *d)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
	char *s = malloc(n);

	if (s != NULL)
		(void)snprintf(s, n, "%s%s%s%s", a, b, c, d);
	return s;
}

/* The text part: the template merged as it is, then the footer. */
static int
or_email_text(const struct outreach_email_in *in, struct outreach_rendered *out,
    struct bos_err *err)
{
	struct buf b;

	buf_init_grow(&b, OUTREACH_RENDER_MAX);
	if (or_merge_into(&b, in->text, &in->vars, OUTREACH_ESC_NONE, err) != 0)
		return -1;
	if (or_puts(&b, "\n\n--\nUnsubscribe: ") != 0 || or_puts(&b, in->public_url) != 0 ||
	    or_puts(&b, "/u/") != 0 || or_puts(&b, in->token) != 0 || or_puts(&b, "\n") != 0 ||
	    or_puts(&b, in->postal_address) != 0 || or_puts(&b, "\n") != 0)
		return or_too_big(&b, err);
	return or_take(&b, &out->text) == 0 ? 0 : bos_err_set(err, BOS_E_NOMEM, "out of memory");
}

/* The footer (and for SMTP the pixel) of the html part. */
static int
or_html_footer(const struct outreach_email_in *in, struct buf *b)
{
	int smtp = strcmp(in->provider, "smtp") == 0;

	return or_puts(b, "<p style=\"font-size:12px;color:#666\"><a href=\"") != 0 ||
	    or_puts(b, in->public_url) != 0 || or_puts(b, "/u/") != 0 ||
	    or_puts(b, in->token) != 0 || or_puts(b, "\">Unsubscribe</a><br>") != 0 ||
	    or_put_escaped(b, in->postal_address, OUTREACH_ESC_HTML) != 0 ||
	    or_puts(b, "</p>") != 0 ||
	    (smtp && (or_puts(b, "<img src=\"") != 0 || or_puts(b, in->public_url) != 0 ||
	    or_puts(b, "/o/") != 0 || or_puts(b, in->token) != 0 ||
	    or_puts(b, ".gif\" width=\"1\" height=\"1\" alt=\"\">") != 0)) ? -1 : 0;
}

/* The last "</body>" (any case) of s, or NULL. */
static const char *
or_body_end(const char *s)
{
	const char *p = s, *last = NULL;

	while ((p = strcasestr(p, "</body>")) != NULL)
		last = p++;
	return last;
}

/*
 * The html part: links rewritten in the template (SMTP), then merged with
 * every value HTML-escaped, then the footer before </body> (or at the end).
 * Rewriting first means that no value can make or change a tracked link.
 */
static int
or_email_html(const struct outreach_email_in *in, struct outreach_rendered *out,
    struct bos_err *err)
{
	struct buf b, m;
	char *tpl = NULL, *merged = NULL;
	const char *end;
	int r = -1;

	buf_init_grow(&b, OUTREACH_RENDER_MAX);
	buf_init_grow(&m, OUTREACH_RENDER_MAX);
	if (strcmp(in->provider, "smtp") == 0) {
		if (or_rewrite_links(in->html, in->public_url, in->token, &b) != 0)
			return or_too_big(&b, err);
		if (or_take(&b, &tpl) != 0)
			return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	}
	if (outreach_render_merge(tpl != NULL ? tpl : in->html, &in->vars, OUTREACH_ESC_HTML,
	    &merged, err) != 0)
		goto out;
	end = or_body_end(merged);
	if (or_put(&m, merged, end != NULL ? (size_t)(end - merged) : strlen(merged)) != 0 ||
	    or_html_footer(in, &m) != 0 || (end != NULL && or_puts(&m, end) != 0)) {
		r = or_too_big(&m, err);
		goto out;
	}
	if (or_take(&m, &out->html) != 0) {
		r = bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	/* success */
	r = 0;
 out:
	buf_free(&m);
	free(tpl);
	free(merged);
	return r;
}

static int
or_email_headers(const struct outreach_email_in *in, struct outreach_rendered *out)
{
	out->h_message_id = or_format("<", in->message_id, "@bos.invalid>", "");
	out->h_list_unsubscribe = or_format("<", in->public_url, "/u/", in->token);
	if (out->h_list_unsubscribe != NULL) {
		char *t = or_format(out->h_list_unsubscribe, ">", "", "");

		free(out->h_list_unsubscribe);
		out->h_list_unsubscribe = t;
	}
	out->h_list_unsubscribe_post = strdup("List-Unsubscribe=One-Click");
	if (in->reply_domain != NULL && in->reply_domain[0] != '\0')
		out->h_reply_to = or_format("reply+", in->token, "@", in->reply_domain);
	return out->h_message_id == NULL || out->h_list_unsubscribe == NULL ||
	    out->h_list_unsubscribe_post == NULL ||
	    (in->reply_domain != NULL && in->reply_domain[0] != '\0' && out->h_reply_to == NULL) ?
	    -1 : 0;
}

int
outreach_render_email(const struct outreach_email_in *in, struct outreach_rendered *out,
    struct bos_err *err)
{
	memset(out, 0, sizeof(*out));
	if (in->public_url == NULL || in->public_url[0] == '\0' || in->postal_address == NULL ||
	    in->postal_address[0] == '\0')
		return bos_err_set(err, BOS_E_INVALID, "outreach_public_url and "
		    "outreach_postal_address must be set in bos.conf");
	if (outreach_render_merge(in->subject, &in->vars, OUTREACH_ESC_HEADER, &out->subject,
	    err) != 0 || or_email_text(in, out, err) != 0 ||
	    (in->html != NULL && or_email_html(in, out, err) != 0))
		goto fail;
	if (or_email_headers(in, out) != 0) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory rendering headers");
		goto fail;
	}
	return 0;
 fail:
	outreach_rendered_free(out);
	return -1;
}

/* Does the template say STOP (a word, any case)? */
static int
or_says_stop(const char *s)
{
	const char *p = s;

	while ((p = strcasestr(p, "stop")) != NULL) {
		if ((p == s || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[4]))
			return 1;
		p += 4;
	}
	return 0;
}

int
outreach_render_sms(const char *body, const struct outreach_vars *v,
    struct outreach_rendered *out, struct bos_err *err)
{
	struct buf b;

	memset(out, 0, sizeof(*out));
	buf_init_grow(&b, OUTREACH_RENDER_MAX);
	if (or_merge_into(&b, body, v, OUTREACH_ESC_NONE, err) != 0)
		return -1;
	if (!or_says_stop(body) && or_puts(&b, OUTREACH_SMS_STOP) != 0)
		return or_too_big(&b, err);
	if (or_take(&b, &out->body) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	return 0;
}

void
outreach_rendered_free(struct outreach_rendered *r)
{
	free(r->subject);
	free(r->text);
	free(r->html);
	free(r->body);
	free(r->h_message_id);
	free(r->h_list_unsubscribe);
	free(r->h_list_unsubscribe_post);
	free(r->h_reply_to);
	memset(r, 0, sizeof(*r));
}
