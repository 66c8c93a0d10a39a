/* Secret input; see secret_input.h. */
#include "secret_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "secmem.h"

/* Read fd to EOF into a buffer of SECRET_INPUT_MAX + 1, to notice oversize. */
static int
secret_input_slurp(int fd, uint8_t *p, size_t cap, size_t *len)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = read(fd, p + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return 0;
}

/* One line from the terminal with echo off. */
static int
secret_input_tty_line(const char *prompt, uint8_t *p, size_t cap, size_t *len)
{
	struct termios old, quiet;
	size_t n = 0;
	int r = -1;

	/*
	 * Echo goes off before the prompt appears (as OpenSSH's readpassphrase):
	 * whatever is typed once the prompt shows is neither echoed nor flushed
	 * away. The other order lost an answer typed (or pasted) right away.
	 */
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
		return -1;
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	while (n < cap) {
		char c;
		ssize_t k = read(STDIN_FILENO, &c, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || c == '\n')
			break;
		p[n++] = (uint8_t)c;
	}
	if (n < cap) {
		*len = n;
		r = 0;
	}
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return r;
}

static int
secret_input_tty(const char *what, int confirm, uint8_t *p, size_t cap, size_t *len,
    struct bos_err *err)
{
	char prompt[128];
	uint8_t *again = NULL;
	size_t alen = 0;
	int r = -1;

	(void)snprintf(prompt, sizeof(prompt), "%s: ", what);
	if (secret_input_tty_line(prompt, p, cap, len) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot read the %s from the terminal", what);
	if (!confirm)
		return 0;
	if ((again = malloc(cap)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	(void)snprintf(prompt, sizeof(prompt), "%s (again): ", what);
	if (secret_input_tty_line(prompt, again, cap, &alen) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot read the %s from the terminal", what);
		goto out;
	}
	if (alen != *len || !secmem_equal(again, p, alen)) {
		bos_err_set(err, BOS_E_INVALID, "the two entries differ; nothing was changed");
		goto out;
	}
	/* success */
	r = 0;
out:
	secmem_freezero(again, cap);
	return r;
}

int
secret_input_read(const char *what, int confirm, uint8_t **out, size_t *len, struct bos_err *err)
{
	size_t cap = SECRET_INPUT_MAX + 1, n = 0;
	uint8_t *p = malloc(cap);

	if (p == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (isatty(STDIN_FILENO)) {
		if (secret_input_tty(what, confirm, p, cap, &n, err) != 0)
			goto fail;
	} else if (secret_input_slurp(STDIN_FILENO, p, cap, &n) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot read the %s from standard input: %s", what,
		    strerror(errno));
		goto fail;
	}
	if (n > SECRET_INPUT_MAX) {
		bos_err_set(err, BOS_E_INVALID, "the %s is longer than %d bytes", what, SECRET_INPUT_MAX);
		goto fail;
	}
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0) {
		bos_err_set(err, BOS_E_INVALID, "the %s is empty; give it on standard input or at the prompt", what);
		goto fail;
	}
	*out = p;
	*len = n;
	return 0;
fail:
	secmem_freezero(p, cap);
	return -1;
}
