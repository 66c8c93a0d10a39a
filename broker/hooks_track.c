/*
 * The tracking paths (hooks.h; docs/OUTREACH.md "The outreach broker"):
 * /o/TOKEN.gif, /c/TOKEN/N, /u/TOKEN. The token's syntax is checked here,
 * before anything reaches the vault; a click's target comes from the vault
 * and is checked again before it becomes a Location (no open redirect).
 */
#include "hooks.h"

#include <stdio.h>
#include <string.h>

#define HT_LINK_MAX 9999
#define HT_URL_MAX 2048

/* GIF89a, 1x1, one transparent colour: 43 bytes. */
const uint8_t hooks_gif[HOOKS_GIF_LEN] = {
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
	0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

const char hooks_track_done_page[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Unsubscribed</title></head>"
    "<body><p>You are unsubscribed. You will receive no more messages from this sender.</p>"
    "</body></html>\n";

/* "N" with 1-4 digits, no leading zero but "0". */
static long
ht_link(const char *s)
{
	size_t n = strlen(s), i;
	long v = 0;

	if (n == 0 || n > 4 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= HT_LINK_MAX ? v : -1;
}

int
hooks_track_route(const char *path, struct hooks_track *t)
{
	size_t n = strlen(path);

	memset(t, 0, sizeof(*t));
	t->link = -1;
	if (n < 3 || path[0] != '/' || path[2] != '/')
		return -1;
	if (path[1] == 'o' && n == 3 + HOOKS_TOKEN_LEN + 4 &&
	    strcmp(path + 3 + HOOKS_TOKEN_LEN, ".gif") == 0)
		t->kind = HOOKS_TRACK_OPEN;
	else if (path[1] == 'u' && n == 3 + HOOKS_TOKEN_LEN)
		t->kind = HOOKS_TRACK_UNSUB;
	else if (path[1] == 'c' && n > 3 + HOOKS_TOKEN_LEN + 1 && path[3 + HOOKS_TOKEN_LEN] == '/' &&
	    (t->link = ht_link(path + 3 + HOOKS_TOKEN_LEN + 1)) >= 0)
		t->kind = HOOKS_TRACK_CLICK;
	else
		return -1;
	if (!hooks_token_ok(path + 3, HOOKS_TOKEN_LEN))
		return -1;
	memcpy(t->token, path + 3, HOOKS_TOKEN_LEN);
	t->token[HOOKS_TOKEN_LEN] = '\0';
	return 0;
}

int
hooks_track_url_ok(const char *url)
{
	size_t n, i, skip;

	if (url == NULL || (n = strlen(url)) > HT_URL_MAX)
		return 0;
	if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else
		return 0;
	/* A host must follow: not "http:///x" nor "http://" alone, nor a '\' trick. */
	if (n == skip || url[skip] == '/' || url[skip] == '\\' || url[skip] == '?' ||
	    url[skip] == '#')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || url[i] == '\\')
			return 0;
	return 1;
}

int
hooks_track_unsub_ok(const uint8_t *body, size_t len)
{
	static const char one_click[] = "List-Unsubscribe=One-Click";

	return len == sizeof(one_click) - 1 && memcmp(body, one_click, len) == 0; /* not secret */
}

int
hooks_track_unsub_page(const char *token, char *out, size_t cap)
{
	int k;

	if (!hooks_token_ok(token, strlen(token)))
		return -1;
	k = snprintf(out, cap, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Unsubscribe</title></head><body><p>Unsubscribe from these messages?</p>"
	    "<form method=\"post\" action=\"/u/%s\"><input type=\"hidden\" name=\"List-Unsubscribe\""
	    " value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form></body>"
	    "</html>\n", token);
	return k < 0 || (size_t)k >= cap ? -1 : 0;
}
