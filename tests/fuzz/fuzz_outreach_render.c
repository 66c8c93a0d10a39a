/*
 * libFuzzer target: outreach rendering (vault/store/outreach_render.c,
 * docs/OUTREACH.md "Campaigns"). Templates come from an admin (or an
 * assistant acting for one) and values from imported lists, so both are
 * untrusted here.
 *
 * Input: the template, a NUL byte, then the value given to {{name}} (and to
 * a custom field "f"). What must hold:
 *   - a template outreach_template_check() refuses never renders, and one it
 *     accepts renders unless the result would pass OUTREACH_RENDER_MAX;
 *   - HTML escaping: a template without '<', '>', '"' and '\'' renders to
 *     html without them, whatever the value holds;
 *   - header cleaning: a template without control characters renders to a
 *     subject without any (no CR/LF injection through a value);
 *   - SMTP tracking: the rendered html has exactly as many "/c/TOKEN/" links
 *     as outreach_render_link() finds targets in the template (a value can
 *     add none), and each target has no space, control byte or quote.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/outreach_render.h"

#define FUZZ_TOKEN "QzQzQzQzQzQzQzQzQzQzQz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
fuzz_count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while (p != NULL && (p = strstr(p, needle)) != NULL) {
		n++;
		p++;
	}
	return n;
}

static int
fuzz_has_any(const char *s, const char *set)
{
	return strpbrk(s, set) != NULL;
}

static int
fuzz_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static void
fuzz_links(const char *tpl, const struct outreach_vars *v)
{
	struct outreach_email_in in = { "s", "t", tpl, "smtp", "https://h.example", "addr", "",
	    "om_aaaaaaaaaaaaaaaaaaaaaaaaaa", FUZZ_TOKEN, *v };
	struct outreach_rendered r;
	struct bos_err err = { 0 };
	char url[OUTREACH_LINK_MAX + 1];
	unsigned n = 0;
	size_t i;

	while (n < 4096 && outreach_render_link(tpl, n, url, sizeof(url)) == 0) {
		for (i = 0; url[i] != '\0'; i++)
			if ((unsigned char)url[i] <= 0x20 || url[i] == '"' || url[i] == 0x7f)
				__builtin_trap();
		n++;
	}
	if (outreach_render_email(&in, &r, &err) != 0)
		return;
	if (fuzz_count(r.html, "/c/" FUZZ_TOKEN "/") != n)
		__builtin_trap();
	outreach_rendered_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	char *tpl, *val, *out = NULL;
	int tok = 0;
	struct outreach_vars v = { NULL, "a@example.com", "+15550000000", NULL };
	struct bos_err err = { 0 };
	size_t tn = nul != NULL ? (size_t)(nul - data) : size;
	json_t *fields;
	int ok;

	if (size > 65536 || (tpl = malloc(tn + 1)) == NULL)
		return 0;
	memcpy(tpl, data, tn);
	tpl[tn] = '\0';
	val = strndup(nul != NULL ? (const char *)nul + 1 : "", nul != NULL ? size - tn - 1 : 0);
	fields = json_pack("{s:s}", "f", val != NULL ? val : "");
	v.name = val;
	v.fields = fields;
	ok = outreach_template_check(tpl, "t", &err) == 0;
	/* A bad template never renders; a good one fails only for its size. */
	if (outreach_render_merge(tpl, &v, OUTREACH_ESC_NONE, &out, &err) == 0 ? !ok :
	    ok && strstr(err.msg, "would pass") == NULL)
		__builtin_trap();
	/* The token may be made by the merge itself ("QzQz{{name}}QzQz" and an empty name). */
	tok = out != NULL && strstr(out, FUZZ_TOKEN) != NULL;
	free(out);
	out = NULL;
	if (ok && outreach_render_merge(tpl, &v, OUTREACH_ESC_HTML, &out, &err) == 0 &&
	    !fuzz_has_any(tpl, "<>\"'") && fuzz_has_any(out, "<>\"'"))
		__builtin_trap();
	free(out);
	out = NULL;
	if (ok && outreach_render_merge(tpl, &v, OUTREACH_ESC_HEADER, &out, &err) == 0 &&
	    !fuzz_has_ctl(tpl) && fuzz_has_ctl(out))
		__builtin_trap();
	free(out);
	if (ok && !tok && (val == NULL || strstr(val, FUZZ_TOKEN) == NULL) &&
	    strstr(tpl, FUZZ_TOKEN) == NULL)
		fuzz_links(tpl, &v);
	json_decref(fields);
	free(val);
	free(tpl);
	return 0;
}
