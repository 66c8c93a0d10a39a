/*
 * Test fixture: a fresh SoftHSM2 token in a temporary directory with the
 * real bos-hsmd running on it; see hsm_fixture.h.
 *
 * The token is created by bos-hsmd itself (HSM_MODE_CREATE_TOKEN) from two
 * 0400 PIN files, so no PIN is ever in argv or the environment, not even in
 * tests.
 */
#include "hsm_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURE_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define FIXTURE_LABEL "bos-test"

static int
fixture_path(char *buf, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap) {
		fprintf(stderr, "hsm_fixture: path too long: %s/%s\n", dir, name);
		return -1;
	}
	return 0;
}

static int
fixture_write(const char *path, const char *text, mode_t mode)
{
	size_t n = strlen(text);
	int fd, r = -1;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)) < 0) {
		fprintf(stderr, "hsm_fixture: create %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* fchmod too: the umask must not decide what the test checks. */
	if (write(fd, text, n) == (ssize_t)n && fchmod(fd, mode) == 0)
		r = 0;
	else
		fprintf(stderr, "hsm_fixture: write %s: %s\n", path, strerror(errno));
	close(fd);
	return r;
}

/* A random 32-character hex PIN: printable, so SoftHSM takes it as is. */
static int
fixture_pin(char out[static 33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

static int
fixture_softhsm(struct hsm_fixture *f)
{
	char tokens[300], conf[700];
	int n;

	if (fixture_path(tokens, sizeof(tokens), f->dir, "tokens") != 0 ||
	    fixture_path(f->conf, sizeof(f->conf), f->dir, "softhsm2.conf") != 0)
		return -1;
	if (mkdir(tokens, 0700) != 0) {
		fprintf(stderr, "hsm_fixture: mkdir %s: %s\n", tokens, strerror(errno));
		return -1;
	}
	n = snprintf(conf, sizeof(conf), "directories.tokendir = %s\n"
	    "objectstore.backend = file\nlog.level = ERROR\n", tokens);
	if (n < 0 || (size_t)n >= sizeof(conf) || fixture_write(f->conf, conf, 0600) != 0)
		return -1;
	return setenv("SOFTHSM2_CONF", f->conf, 1);
}

static int
fixture_pins(struct hsm_fixture *f, char *so_pin_file, size_t cap)
{
	char pin[33], so[33], line[40];
	int n, r = -1;

	if (fixture_pin(pin) != 0 || fixture_pin(so) != 0)
		goto out;
	if (fixture_path(f->pin_file, sizeof(f->pin_file), f->dir, "hsm-pin") != 0 ||
	    fixture_path(so_pin_file, cap, f->dir, "so-pin") != 0)
		goto out;
	/* A trailing newline, as an editor would leave it: bos-hsmd strips one. */
	n = snprintf(line, sizeof(line), "%s\n", pin);
	if (n < 0 || (size_t)n >= sizeof(line))
		goto out;
	if (fixture_write(f->pin_file, line, 0400) != 0 || fixture_write(so_pin_file, so, 0400) != 0)
		goto out;
	r = 0;
 out:
	explicit_bzero(pin, sizeof(pin));
	explicit_bzero(so, sizeof(so));
	explicit_bzero(line, sizeof(line));
	return r;
}

static int
fixture_hsmd_path(struct hsm_fixture *f)
{
	const char *bin = getenv("BOS_BIN");

	return fixture_path(f->hsmd_path, sizeof(f->hsmd_path),
	    bin != NULL && bin[0] != '\0' ? bin : "build/bin", "bos-hsmd");
}

static int
fixture_start(struct hsm_fixture *f, const char *so_pin_file)
{
	struct bos_err err = { BOS_OK, "" };

	f->token_label = FIXTURE_LABEL;
	f->cfg.hsmd_path = f->hsmd_path;
	f->cfg.module_path = FIXTURE_MODULE;
	f->cfg.token_label = f->token_label;
	f->cfg.pin_file = f->pin_file;
	f->cfg.so_pin_file = so_pin_file;
	f->cfg.softhsm_conf = f->conf;
	if (hsm_client_start(&f->cfg, HSM_MODE_CREATE_TOKEN, &f->hsm, &err) != 0) {
		fprintf(stderr, "hsm_fixture: starting %s: %s\n", f->hsmd_path, err.msg);
		return -1;
	}
	/* Later starts (SERVE, INIT) of the same token need no SO PIN. */
	f->cfg.so_pin_file = NULL;
	if (hsm_keygen(f->hsm, 1, &err) != 0) {
		fprintf(stderr, "hsm_fixture: keygen v1: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int
hsm_fixture_setup(struct hsm_fixture *f)
{
	char so_pin_file[300];

	memset(f, 0, sizeof(*f));
	if (fixture_path(f->dir, sizeof(f->dir), "/tmp", "bos-hsm-XXXXXX") != 0)
		return -1;
	if (mkdtemp(f->dir) == NULL) {
		fprintf(stderr, "hsm_fixture: mkdtemp: %s\n", strerror(errno));
		f->dir[0] = '\0';
		return -1;
	}
	if (fixture_softhsm(f) != 0 || fixture_pins(f, so_pin_file, sizeof(so_pin_file)) != 0 ||
	    fixture_hsmd_path(f) != 0 || fixture_start(f, so_pin_file) != 0) {
		hsm_fixture_teardown(f);
		return -1;
	}
	return 0;
}

static int
fixture_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "hsm_fixture: remove %s: %s\n", path, strerror(errno));
	return 0;
}

void
hsm_fixture_teardown(struct hsm_fixture *f)
{
	hsm_client_stop(f->hsm);
	f->hsm = NULL;
	if (f->dir[0] != '\0')
		(void)nftw(f->dir, fixture_rm, 16, FTW_DEPTH | FTW_PHYS);
	f->dir[0] = '\0';
}
