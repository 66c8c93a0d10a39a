/*
 * SendGrid Inbound Parse (hooks.h; CONNECTORS.md A2): multipart/form-data
 * (RFC 7578) with CRLF line ends, then a reply matched by the reply+TOKEN@
 * address the vault put in Reply-To (docs/OUTREACH.md).
 */
#include "hooks.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HM_BOUNDARY_MAX 70
#define HM_HEADER_MAX 1024
#define HM_HEADERS_MAX 16
#define HM_NAME_MAX 128
#define HM_ADDR_MAX 254
#define HM_ID_HEX 32

static const char *hm_bad = "the body is not multipart/form-data with the Content-Type's "
    "boundary (CRLF line ends, a name in each part's Content-Disposition, a closing delimiter)";

/* The boundary parameter of content_type (quoted or not) into b. 0 or -1. */
static int
hm_boundary(const char *ct, char *b, size_t cap)
{
	const char *p;
	size_t n = 0;

	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return -1;
	for (p = ct + 19; (p = strchr(p, ';')) != NULL; ) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) == 0)
			break;
	}
	if (p == NULL)
		return -1;
	p += 9;
	if (*p == '"') {
		for (p++; p[n] != '"' && p[n] != '\0'; n++)
			;
		if (p[n] != '"')
			return -1;
	} else {
		n = strcspn(p, "; \t");
	}
	if (n == 0 || n > HM_BOUNDARY_MAX || n >= cap)
		return -1;
	memcpy(b, p, n);
	b[n] = '\0';
	for (p = b; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	return 0;
}

static const uint8_t *
hm_find(const uint8_t *h, size_t hn, const char *needle, size_t nn)
{
	return nn <= hn ? memmem(h, hn, needle, nn) : NULL;
}

/* name="..." of one Content-Disposition line; filename present → *file = 1. */
static int
hm_disposition(const char *line, size_t n, char *name, size_t cap, int *file)
{
	const char *p, *end = line + n, *q;

	if (n < 30 || strncasecmp(line, "Content-Disposition:", 20) != 0)
		return 1;       /* another header: ignored */
	for (p = line + 20; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if ((size_t)(end - p) < 9 || strncasecmp(p, "form-data", 9) != 0)
		return -1;
	*file = memmem(p, (size_t)(end - p), "filename=", 9) != NULL;
	for (q = p; (q = memmem(q, (size_t)(end - q), "name=\"", 6)) != NULL; q++)
		if (q[-1] == ' ' || q[-1] == ';')
			break;
	if (q == NULL)
		return -1;
	q += 6;
	if ((p = memchr(q, '"', (size_t)(end - q))) == NULL || p == q || (size_t)(p - q) >= cap)
		return -1;
	memcpy(name, q, (size_t)(p - q));
	name[p - q] = '\0';
	return 0;
}

/* The part's headers (ending at CRLFCRLF): its field name. Bytes used, or -1. */
static long
hm_headers(const uint8_t *p, size_t n, char *name, size_t cap, int *file)
{
	size_t off = 0, k = 0;
	const uint8_t *eol;
	int r;

	name[0] = '\0';
	while (off < n) {
		if ((eol = hm_find(p + off, n - off, "\r\n", 2)) == NULL)
			return -1;
		if (eol == p + off)
			return name[0] != '\0' ? (long)(off + 2) : -1;
		if (++k > HM_HEADERS_MAX || (size_t)(eol - (p + off)) > HM_HEADER_MAX ||
		    memchr(p + off, '\0', (size_t)(eol - (p + off))) != NULL)
			return -1;
		r = hm_disposition((const char *)p + off, (size_t)(eol - (p + off)), name, cap, file);
		if (r < 0)
			return -1;
		off = (size_t)(eol - p) + 2;
	}
	return -1;
}

static int
hm_add(struct hooks_form *form, const char *name, const uint8_t *v, size_t n)
{
	struct hooks_field *f;

	if (form->n == HOOKS_FIELDS_MAX)
		return -1;
	f = &form->f[form->n];
	if ((f->name = strdup(name)) == NULL || (f->value = malloc(n + 1)) == NULL) {
		free(f->name);
		f->name = NULL;
		return -1;
	}
	memcpy(f->value, v, n);
	f->value[n] = '\0';
	f->value_len = n;
	form->n++;
	return 0;
}

/* Parts after the first delimiter; form filled. 0 or -1. */
static int
hm_parts(const uint8_t *body, size_t len, const char *delim, struct hooks_form *form)
{
	size_t dn = strlen(delim), off = dn;
	char name[HM_NAME_MAX];
	const uint8_t *next;
	long h;
	int file;

	for (;;) {
		if (len - off >= 2 && memcmp(body + off, "--", 2) == 0) /* not secret */
			return 0;       /* the closing delimiter; an epilogue is ignored */
		if (len - off < 2 || memcmp(body + off, "\r\n", 2) != 0) /* not secret */
			return -1;
		off += 2;
		file = 0;
		if ((h = hm_headers(body + off, len - off, name, sizeof(name), &file)) < 0)
			return -1;
		off += (size_t)h;
		/* The part ends at CRLF + delimiter. */
		if ((next = hm_find(body + off, len - off, delim - 2, dn + 2)) == NULL)
			return -1;
		if (!file && hm_add(form, name, body + off, (size_t)(next - (body + off))) != 0)
			return -1;
		off = (size_t)(next - body) + dn + 2;
	}
}

int
hooks_multipart_parse(const char *content_type, const uint8_t *body, size_t len,
    struct hooks_form *form, struct bos_err *err)
{
	char b[HM_BOUNDARY_MAX + 1], delim[HM_BOUNDARY_MAX + 5];

	memset(form, 0, sizeof(*form));
	if (hm_boundary(content_type, b, sizeof(b)) != 0)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "Content-Type must be "
		    "multipart/form-data with a boundary of 1 to %d characters", HM_BOUNDARY_MAX);
	/* "\r\n--B": a part's end; the body starts with "--B" (no preamble). */
	(void)snprintf(delim, sizeof(delim), "\r\n--%s", b);
	if (len < strlen(delim) - 2 || memcmp(body, delim + 2, strlen(delim) - 2) != 0) /* not secret */
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "%s", hm_bad);
	if ((form->f = calloc(HOOKS_FIELDS_MAX, sizeof(*form->f))) == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	if (hm_parts(body, len, delim + 2, form) != 0) {
		hooks_form_free(form);
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "%s", hm_bad);
	}
	return HOOKS_OK;
}

/* The first reply+TOKEN@ in s (case of "reply+" ignored) into token. 1 found, 0 not. */
static int
hm_reply_token(const char *s, char *token)
{
	const char *p;

	for (p = s; (p = strcasestr(p, "reply+")) != NULL; p++) {
		if (strnlen(p + 6, HOOKS_TOKEN_LEN + 1) > HOOKS_TOKEN_LEN &&
		    p[6 + HOOKS_TOKEN_LEN] == '@' && hooks_token_ok(p + 6, HOOKS_TOKEN_LEN)) {
			memcpy(token, p + 6, HOOKS_TOKEN_LEN);
			token[HOOKS_TOKEN_LEN] = '\0';
			return 1;
		}
	}
	return 0;
}

/* The sender's address: inside the last <...>, else the whole text trimmed. */
static int
hm_address(const char *from, char *out, size_t cap)
{
	const char *lt = strrchr(from, '<'), *s = from, *e;
	size_t n, i;

	if (lt != NULL) {
		s = lt + 1;
		if ((e = strchr(s, '>')) == NULL)
			return -1;
	} else {
		while (*s == ' ' || *s == '\t')
			s++;
		for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
		    e[-1] == '\n'); e--)
			;
	}
	n = (size_t)(e - s);
	if (n < 3 || n > HM_ADDR_MAX || n >= cap || memchr(s, '@', n) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || strchr("<>()[],;:\"\\", s[i]) != NULL)
			return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* The envelope's "to" (a JSON array of strings): a token from it, if any. */
static int
hm_envelope(const struct hooks_field *env, char *token, struct bos_err *err)
{
	json_t *j, *to, *v;
	size_t i;
	int found = 0;

	j = json_loadb(env->value, env->value_len, JSON_REJECT_DUPLICATES, NULL);
	to = json_object_get(j, "to");
	if (!json_is_object(j) || (to != NULL && !json_is_array(to))) {
		json_decref(j);
		return hooks_fail(-1, err, BOS_E_INVALID, "envelope must be a JSON object whose to "
		    "is an array");
	}
	json_array_foreach(to, i, v)
		if (!found && json_is_string(v))
			found = hm_reply_token(json_string_value(v), token);
	json_decref(j);
	return found;
}

/* "reply:" and 32 hex digits of SHA-256 over the message's headers (a retry: the same). */
static int
hm_id(const struct hooks_form *form, char *id, size_t cap)
{
	static const char *const parts[] = { "headers", "from", "to", "subject", "text" };
	unsigned char md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	const struct hooks_field *f;
	size_t i;
	int ok;

	if (c == NULL)
		return -1;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
	for (i = 0; i < BOS_ARRAY_LEN(parts) && ok; i++)
		if ((f = hooks_form_get(form, parts[i])) != NULL)
			ok = EVP_DigestUpdate(c, parts[i], strlen(parts[i]) + 1) == 1 &&
			    EVP_DigestUpdate(c, f->value, f->value_len) == 1;
	ok = ok && EVP_DigestFinal_ex(c, md, NULL) == 1;
	EVP_MD_CTX_free(c);
	if (!ok || cap < 6 + HM_ID_HEX + 1)
		return -1;
	memcpy(id, "reply:", 6);
	for (i = 0; i < HM_ID_HEX / 2; i++) {
		id[6 + 2 * i] = "0123456789abcdef"[md[i] >> 4];
		id[7 + 2 * i] = "0123456789abcdef"[md[i] & 15];
	}
	id[6 + HM_ID_HEX] = '\0';
	return 0;
}

int
hooks_inbound_events(const struct hooks_form *form, time_t now, json_t **events,
    struct bos_err *err)
{
	const struct hooks_field *from = hooks_form_get(form, "from");
	const struct hooks_field *to = hooks_form_get(form, "to");
	const struct hooks_field *env = hooks_form_get(form, "envelope");
	char token[HOOKS_TOKEN_LEN + 1], addr[HM_ADDR_MAX + 1], id[64];
	int found = 0;
	json_t *ev;

	*events = NULL;
	if (from == NULL || strlen(from->value) != from->value_len ||
	    hm_address(from->value, addr, sizeof(addr)) != 0)
		return hooks_fail(HOOKS_BAD, err, BOS_E_INVALID, "from must hold the sender's "
		    "address");
	if (to != NULL && strlen(to->value) == to->value_len)
		found = hm_reply_token(to->value, token);
	if (env != NULL) {
		int e = hm_envelope(env, found ? id : token, err);

		if (e < 0)
			return HOOKS_BAD;
		found |= e;
	}
	if ((*events = json_array()) == NULL)
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	if (!found)
		return HOOKS_OK;       /* not a reply to one of ours */
	if (hm_id(form, id, sizeof(id)) != 0 ||
	    (ev = json_pack("{s:s, s:s, s:I, s:s, s:s}", "id", id, "kind", "replied", "at",
	    (json_int_t)now, "token", token, "address", addr)) == NULL ||
	    json_array_append_new(*events, ev) != 0) {
		json_decref(*events);
		*events = NULL;
		return hooks_fail(HOOKS_BAD, err, BOS_E_NOMEM, "out of memory");
	}
	return HOOKS_OK;
}
