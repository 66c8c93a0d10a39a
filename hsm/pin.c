/* PIN files; see pin.h. */
#include "pin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "secmem.h"

/* One byte more than PIN_MAX so that an oversized file is noticed. */
#define PIN_CAP (PIN_MAX + 1)

int
pin_default_path(char *buf, size_t cap, struct hsm_fail *f)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	int n;

	if (dir == NULL || dir[0] != '/')
		return hsm_fail_set(f, HSM_ERR_PIN, "no --pin-file given and "
		    "$CREDENTIALS_DIRECTORY is not set to an absolute path");
	n = snprintf(buf, cap, "%s/hsm-pin", dir);
	if (n < 0 || (size_t)n >= cap)
		return hsm_fail_set(f, HSM_ERR_PIN, "$CREDENTIALS_DIRECTORY is too long");
	return 0;
}

/* The file must be ours alone: anyone else who can read it has the PIN. */
static int
pin_check_stat(const char *path, const struct stat *st, struct hsm_fail *f)
{
	mode_t perm = st->st_mode & 07777;

	if (!S_ISREG(st->st_mode))
		return hsm_fail_set(f, HSM_ERR_PIN, "PIN file %s is not a regular file", path);
	if (st->st_uid != geteuid())
		return hsm_fail_set(f, HSM_ERR_PIN, "PIN file %s is owned by uid %u; "
		    "it must be owned by uid %u", path, (unsigned)st->st_uid, (unsigned)geteuid());
	if (perm != 0400 && perm != 0600)
		return hsm_fail_set(f, HSM_ERR_PIN, "PIN file %s has mode %04o; "
		    "it must be 0400 (or 0600)", path, (unsigned)perm);
	if (st->st_size > PIN_MAX)
		return hsm_fail_set(f, HSM_ERR_PIN, "PIN file %s is longer than %d bytes",
		    path, PIN_MAX);
	return 0;
}

static int
pin_open(const char *path, struct hsm_fail *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

	if (fd >= 0)
		return fd;
	if (errno == ELOOP)
		return hsm_fail_set(f, HSM_ERR_PIN, "PIN file %s is a symbolic link", path);
	return hsm_fail_set(f, HSM_ERR_PIN, "cannot open PIN file %s: %s", path,
	    strerror(errno));
}

/* Read the whole file (at most PIN_CAP bytes) into p; *n gets the length. */
static int
pin_read_fd(int fd, const char *path, unsigned char *p, size_t *n, struct hsm_fail *f)
{
	size_t len = 0;

	for (;;) {
		ssize_t r = read(fd, p + len, PIN_CAP - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hsm_fail_set(f, HSM_ERR_PIN, "cannot read PIN file %s: %s", path,
			    strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == PIN_CAP)
			return hsm_fail_set(f, HSM_ERR_PIN, "PIN file %s is longer than %d bytes",
			    path, PIN_MAX);
	}
	*n = len;
	return 0;
}

/* Strip one trailing newline (CRLF too); refuse what is left if it is odd. */
static int
pin_trim(const char *path, struct pin *pin, struct hsm_fail *f)
{
	if (pin->len > 0 && pin->p[pin->len - 1] == '\n')
		pin->len--;
	if (pin->len > 0 && pin->p[pin->len - 1] == '\r')
		pin->len--;
	if (pin->len == 0)
		return hsm_fail_set(f, HSM_ERR_PIN, "PIN file %s is empty", path);
	if (memchr(pin->p, '\0', pin->len) != NULL || memchr(pin->p, '\n', pin->len) != NULL)
		return hsm_fail_set(f, HSM_ERR_PIN, "PIN file %s holds more than one line "
		    "or a NUL byte", path);
	return 0;
}

int
pin_read(const char *path, struct pin *pin, struct hsm_fail *f)
{
	struct stat st;
	int fd = -1, r = -1;

	memset(pin, 0, sizeof(*pin));
	if ((fd = pin_open(path, f)) < 0)
		goto out;
	if (fstat(fd, &st) != 0) {
		hsm_fail_set(f, HSM_ERR_PIN, "cannot stat PIN file %s: %s", path, strerror(errno));
		goto out;
	}
	if (pin_check_stat(path, &st, f) != 0)
		goto out;
	if ((pin->p = secmem_alloc(PIN_CAP)) == NULL) {
		hsm_fail_set(f, HSM_ERR_PIN, "cannot allocate locked memory for the PIN "
		    "(RLIMIT_MEMLOCK?)");
		goto out;
	}
	if (pin_read_fd(fd, path, pin->p, &pin->len, f) != 0 || pin_trim(path, pin, f) != 0)
		goto out;
	/* success */
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		pin_free(pin);
	return r;
}

void
pin_free(struct pin *pin)
{
	if (pin->p != NULL)
		secmem_free(pin->p, PIN_CAP);
	pin->p = NULL;
	pin->len = 0;
}
