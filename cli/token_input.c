/*
 * Tokens given to bosctl: the offline format check (common/token.h: prefix,
 * type, length, base62 characters, CRC-32 checksum) and the loading of a
 * token from an argument, standard input or a file. Used by bosctl.c (the
 * token before a command) and cmd_token.c ('bosctl token check'); it
 * prints nothing. Nothing here copies a token beyond its public type
 * prefix into a message, and every copy is wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "token_input.h"
#include "secmem.h"
#include "secret_input.h"

/* A token is 55 characters; room for white space around it, and no more. */
#define TOKEN_INPUT_MAX 512
#define TOKEN_TYPE_PREFIX "bos_"

const char *
bosctl_token_kind(enum token_type t)
{
	switch (t) {
	case TOKEN_SESSION: return "admin session token";
	case TOKEN_HELPER: return "helper token";
	case TOKEN_BROKER: return "broker token";
	}
	return "unknown token";
}

static int
token_is_b62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The type letter after "bos_", or 0 when the prefix is not a BOS token type. */
static enum token_type
token_prefix_type(const char *s)
{
	if (s[4] == '\0' || s[5] != '_')
		return 0;
	if (s[4] == TOKEN_SESSION || s[4] == TOKEN_HELPER || s[4] == TOKEN_BROKER)
		return (enum token_type)s[4];
	return 0;
}

/* Length and characters; the positions named are 1-based and reveal nothing secret. */
static int
token_examine_body(const char *s, size_t n, struct bos_err *err)
{
	size_t i;

	if (n < TOKEN_LEN)
		return bos_err_set(err, BOS_E_INVALID, "the token is too short (%zu characters, a "
		    "token has %d): check you copied it whole", n, TOKEN_LEN);
	if (n > TOKEN_LEN)
		return bos_err_set(err, BOS_E_INVALID, "the token is too long (%zu characters, a "
		    "token has %d): check for extra characters around it", n, TOKEN_LEN);
	for (i = TOKEN_PREFIX_LEN; i < n; i++)
		if (!token_is_b62(s[i]))
			return bos_err_set(err, BOS_E_INVALID, "the token has a character that is "
			    "not a letter or a digit (at position %zu): check you copied it whole",
			    i + 1);
	return 0;
}

int
bosctl_token_examine(const char *s, enum token_type *type, struct bos_err *err)
{
	size_t n = strlen(s);
	enum token_type t;

	if (n == 0)
		return bos_err_set(err, BOS_E_INVALID, "the token is empty");
	/* The prefix is public by design. */
	if (strncmp(s, TOKEN_TYPE_PREFIX, strlen(TOKEN_TYPE_PREFIX)) != 0)
		return bos_err_set(err, BOS_E_INVALID, "this is not a BOS token: BOS tokens start "
		    "with bos_s_ (admin session), bos_h_ (helper) or bos_b_ (broker)");
	if ((t = token_prefix_type(s)) == 0)
		return bos_err_set(err, BOS_E_INVALID, "unknown token type: BOS tokens start with "
		    "bos_s_ (admin session), bos_h_ (helper) or bos_b_ (broker)");
	if (token_examine_body(s, n, err) != 0)
		return -1;
	if (token_check(s, t) != 0)
		return bos_err_set(err, BOS_E_INVALID, "the token's checksum is wrong: check you "
		    "copied it whole");
	*type = t;
	return 0;
}

static int
token_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A NUL-terminated copy of p[0..n) without the white space around it. */
static int
token_copy_trimmed(const char *p, size_t n, char **out, size_t *size, struct bos_err *err)
{
	while (n > 0 && token_is_space(*p)) {
		p++;
		n--;
	}
	while (n > 0 && token_is_space(p[n - 1]))
		n--;
	if (memchr(p, '\0', n) != NULL)
		return bos_err_set(err, BOS_E_INVALID, "the token holds a NUL byte: it is not text");
	if ((*out = malloc(n + 1)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	*size = n + 1;
	return 0;
}

/*
 * One line of a pipe or file, a byte at a time, so that what follows (the
 * new secret of 'cred update') stays unread for the command.
 */
static int
token_read_line(int fd, char *buf, size_t cap, size_t *n, struct bos_err *err)
{
	ssize_t k;
	char c;

	*n = 0;
	for (;;) {
		k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return bos_err_set(err, BOS_E_IO, "cannot read the token from standard input: "
			    "%s", strerror(errno));
		if (k == 0 || c == '\n')
			return 0;
		if (*n == cap)
			return bos_err_set(err, BOS_E_INVALID, "the first line of standard input is "
			    "far longer than a token");
		buf[(*n)++] = c;
	}
}

static int
token_from_stdin(char **out, size_t *size, struct bos_err *err)
{
	char line[TOKEN_INPUT_MAX];
	uint8_t *p = NULL;
	size_t n = 0;
	int r;

	if (isatty(STDIN_FILENO)) {
		if (secret_input_read("Token", 0, &p, &n, err) != 0)
			return -1;
		r = token_copy_trimmed((const char *)p, n, out, size, err);
		secmem_freezero(p, n);
		return r;
	}
	r = token_read_line(STDIN_FILENO, line, sizeof(line), &n, err);
	if (r == 0)
		r = token_copy_trimmed(line, n, out, size, err);
	secmem_wipe(line, sizeof(line));
	return r;
}

/* Only a regular file of ours that nobody else can open may hold a token. */
static int
token_file_safe(const char *path, const struct stat *st, struct bos_err *err)
{
	if (!S_ISREG(st->st_mode))
		return bos_err_set(err, BOS_E_INVALID, "the token file %s is not a regular file",
		    path);
	if (st->st_uid != getuid())
		return bos_err_set(err, BOS_E_CONFIG, "refusing the token file %s: it belongs to "
		    "uid %u, not to you (uid %u)", path, (unsigned)st->st_uid, (unsigned)getuid());
	if ((st->st_mode & 077) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "refusing the token file %s: group or others "
		    "may read it (mode %04o), so the token may have leaked: run 'chmod 600 %s', "
		    "and ask the admin for a new token if others could have read it", path,
		    (unsigned)(st->st_mode & 07777), path);
	return 0;
}

static int
token_read_fd(int fd, const char *path, char *buf, size_t cap, size_t *n, struct bos_err *err)
{
	ssize_t k;

	*n = 0;
	while (*n < cap) {
		k = read(fd, buf + *n, cap - *n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return bos_err_set(err, BOS_E_IO, "cannot read %s: %s", path, strerror(errno));
		if (k == 0)
			return 0;
		*n += (size_t)k;
	}
	return bos_err_set(err, BOS_E_INVALID, "the token file %s is larger than a token: it "
	    "must hold the token alone", path);
}

static int
token_from_file(const char *path, char **out, size_t *size, struct bos_err *err)
{
	char text[TOKEN_INPUT_MAX];
	struct stat st;
	size_t n = 0;
	int fd, r = -1;

	/* O_NONBLOCK: a FIFO in place of the file must not hang us before fstat. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return bos_err_set(err, BOS_E_IO, "cannot open the token file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot inspect %s: %s", path, strerror(errno));
		goto out;
	}
	if (token_file_safe(path, &st, err) != 0 ||
	    token_read_fd(fd, path, text, sizeof(text), &n, err) != 0 ||
	    token_copy_trimmed(text, n, out, size, err) != 0)
		goto out;
	/* success */
	r = 0;
out:
	secmem_wipe(text, sizeof(text));
	(void)close(fd);
	return r;
}

int
bosctl_token_load(enum bosctl_token_from from, const char *arg, char **out, size_t *size,
    struct bos_err *err)
{
	*out = NULL;
	*size = 0;
	if (from == BOSCTL_TOKEN_FILE)
		return token_from_file(arg, out, size, err);
	if (strcmp(arg, "-") == 0)
		return token_from_stdin(out, size, err);
	return token_copy_trimmed(arg, strlen(arg), out, size, err);
}
