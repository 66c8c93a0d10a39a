/*
 * Test tool for bos-hsmd (not shipped).
 *
 *   hsm_raw init HSMD DIR LABEL
 *       Make DIR a SoftHSM2 store (DIR/softhsm2.conf, DIR/tokens) with 0400
 *       PIN files DIR/hsm-pin and DIR/so-pin, and have the real bos-hsmd
 *       create token LABEL and keys v1 (through the vault's client).
 *   hsm_raw frame HSMD DIR LABEL CLASS
 *       Start bos-hsmd in serve mode on that token with its channel on fd 3
 *       (our own fork + exec, independent of the vault's client), send one
 *       frame of class CLASS, and print "answer TYPE" if one came, then
 *       "exit N" or "signal N" once bos-hsmd has ended (after we close the
 *       channel). "list" prints the classes.
 *   hsm_raw start HSMD [ARG...]
 *       Start bos-hsmd with exactly these arguments (channel on fd 3,
 *       SOFTHSM2_CONF passed on) and print "ready" or "err CODE MESSAGE",
 *       then its exit status.
 *   hsm_raw connect SOCKET [CLASS]
 *       Connect to a listening bos-hsmd (--listen) and print "ready" when
 *       READY came or "closed" when it closed the connection without a
 *       byte; then, with CLASS, send that frame and print "answer TYPE"
 *       or "closed".
 *   hsm_raw pubkey HSMD DIR LABEL VERSION OUT
 *   hsm_raw sign HSMD DIR LABEL VERSION DIGEST OUT
 *       Through the vault's client in serve mode: write the audit public key
 *       (DER SubjectPublicKeyInfo), or the DER signature of the 32-byte
 *       file DIGEST, to OUT, so that openssl can check them.
 *
 * The PINs are random hex; tests that need one (pkcs11-tool) read the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hsmc/hsm_client.h"
#include "hsm_proto.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"

struct frame_class {
	const char *name;
	uint8_t bytes[64];
	size_t n;
	int half_close;   /* shut our write side after sending */
};

static const struct frame_class classes[] = {
	{ "valid-random", { 0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0, 16 }, 12, 0 },
	{ "valid-nokey", { 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 9 }, 12, 0 },
	{ "oversized-length", { 0, 0, 0, 2, 0, 0, 0x08, 0x01 }, 8, 0 },
	{ "huge-length", { 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff }, 8, 0 },
	{ "unknown-type", { 0, 0, 0, 0x77, 0, 0, 0, 0 }, 8, 0 },
	{ "answer-type", { 0, 0, 1, 0, 0, 0, 0, 0 }, 8, 0 },
	{ "keygen-in-serve", { 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 9 }, 12, 0 },
	{ "leftover-byte", { 0, 0, 0, 2, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 1, 'A', 'x' }, 18, 0 },
	{ "truncated-str16", { 0, 0, 0, 2, 0, 0, 0, 11, 0, 0, 0, 1, 0, 100, 1, 2, 3, 4, 5 }, 19,
	    0 },
	{ "short-digest", { 0, 0, 0, 4, 0, 0, 0, 38, 0, 0, 0, 1, 0, 31 }, 46, 0 },
	{ "random-zero", { 0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0, 0 }, 12, 0 },
	{ "partial-header", { 0, 0, 0, 6, 0 }, 5, 1 },
	{ "truncated-payload", { 0, 0, 0, 6, 0, 0, 0, 4, 0, 0 }, 10, 1 },
};

static int
path_join(char *buf, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	size_t n = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	int r = -1;

	if (fd < 0) {
		fprintf(stderr, "hsm_raw: create %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (write(fd, text, n) == (ssize_t)n && fchmod(fd, mode) == 0)
		r = 0;
	close(fd);
	return r;
}

static int
random_pin(char out[static 33])
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
make_store(const char *dir)
{
	char tokens[512], conf[512], text[1024], pin[512], so[512], p1[33], p2[33];
	int n;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (path_join(tokens, sizeof(tokens), dir, "tokens") != 0 ||
	    path_join(conf, sizeof(conf), dir, "softhsm2.conf") != 0 ||
	    path_join(pin, sizeof(pin), dir, "hsm-pin") != 0 ||
	    path_join(so, sizeof(so), dir, "so-pin") != 0 || mkdir(tokens, 0700) != 0)
		return -1;
	n = snprintf(text, sizeof(text), "directories.tokendir = %s\n"
	    "objectstore.backend = file\nlog.level = ERROR\n", tokens);
	if (n < 0 || (size_t)n >= sizeof(text) || write_file(conf, text, 0600) != 0)
		return -1;
	if (random_pin(p1) != 0 || random_pin(p2) != 0 || write_file(pin, p1, 0400) != 0 ||
	    write_file(so, p2, 0400) != 0)
		return -1;
	return 0;
}

static int
cmd_init(const char *hsmd, const char *dir, const char *label)
{
	char conf[512], pin[512], so[512];
	struct hsm_config cfg;
	struct hsm_client *c = NULL;
	struct bos_err err = { BOS_OK, "" };
	int r = 1;

	if (make_store(dir) != 0 || path_join(conf, sizeof(conf), dir, "softhsm2.conf") != 0 ||
	    path_join(pin, sizeof(pin), dir, "hsm-pin") != 0 ||
	    path_join(so, sizeof(so), dir, "so-pin") != 0) {
		fprintf(stderr, "hsm_raw: cannot set up %s\n", dir);
		return 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.hsmd_path = hsmd;
	cfg.module_path = MODULE;
	cfg.token_label = label;
	cfg.pin_file = pin;
	cfg.so_pin_file = so;
	cfg.softhsm_conf = conf;
	if (hsm_client_start(&cfg, HSM_MODE_CREATE_TOKEN, &c, &err) != 0 ||
	    hsm_keygen(c, 1, &err) != 0) {
		fprintf(stderr, "hsm_raw: %s\n", err.msg);
		goto out;
	}
	r = 0;
 out:
	hsm_client_stop(c);
	return r;
}

/* Read one frame header (and skip its payload) within 10 s; 1 at EOF. */
static int
read_answer(int fd, uint32_t *type)
{
	uint8_t h[HSM_HDR_LEN], skip[HSM_PAYLOAD_MAX];
	size_t got = 0;
	uint32_t len;
	struct pollfd pfd = { fd, POLLIN, 0 };

	while (got < sizeof(h)) {
		ssize_t r;

		if (poll(&pfd, 1, 10000) != 1)
			return -1;
		if ((r = read(fd, h + got, sizeof(h) - got)) <= 0)
			return r == 0 && got == 0 ? 1 : -1;
		got += (size_t)r;
	}
	*type = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
	for (got = 0; got < len && len <= sizeof(skip);) {
		ssize_t r = read(fd, skip, len - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static pid_t
spawn_argv(char **argv, int *fd)
{
	char env_conf[600], *envp[2] = { NULL, NULL };
	const char *conf = getenv("SOFTHSM2_CONF");
	int sv[2], n;
	pid_t pid;

	if (conf != NULL) {
		n = snprintf(env_conf, sizeof(env_conf), "SOFTHSM2_CONF=%s", conf);
		if (n < 0 || (size_t)n >= sizeof(env_conf))
			return -1;
		envp[0] = env_conf;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		if (dup2(sv[1], HSM_CHANNEL_FD) != HSM_CHANNEL_FD)
			_exit(127);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

/* bos-hsmd in serve mode on DIR's token; SOFTHSM2_CONF points into DIR. */
static pid_t
spawn(const char *hsmd, const char *dir, const char *label, int *fd)
{
	char conf[512], pin[512], hsmd_c[512], label_c[64], module[] = MODULE;
	char opt_module[] = "--module", opt_token[] = "--token", opt_pin[] = "--pin-file";
	char *argv[] = { hsmd_c, opt_module, module, opt_token, label_c, opt_pin, pin, NULL };

	if (path_join(conf, sizeof(conf), dir, "softhsm2.conf") != 0 ||
	    path_join(pin, sizeof(pin), dir, "hsm-pin") != 0 ||
	    snprintf(hsmd_c, sizeof(hsmd_c), "%s", hsmd) >= (int)sizeof(hsmd_c) ||
	    snprintf(label_c, sizeof(label_c), "%s", label) >= (int)sizeof(label_c) ||
	    setenv("SOFTHSM2_CONF", conf, 1) != 0)
		return -1;
	return spawn_argv(argv, fd);
}

static void
print_status(int status)
{
	if (WIFEXITED(status))
		printf("exit %d\n", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("signal %d\n", WTERMSIG(status));
}

static int
cmd_frame(const char *hsmd, const char *dir, const char *label, const char *name)
{
	const struct frame_class *fc = NULL;
	uint32_t type = 0;
	int fd = -1, status = 0, rc;
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strcmp(classes[i].name, name) == 0)
			fc = &classes[i];
	}
	if (fc == NULL) {
		fprintf(stderr, "hsm_raw: unknown class %s\n", name);
		return 2;
	}
	if ((pid = spawn(hsmd, dir, label, &fd)) < 0)
		return 1;
	if (read_answer(fd, &type) != 0 || type != HSM_MSG_READY) {
		fprintf(stderr, "hsm_raw: bos-hsmd did not report ready\n");
		return 1;
	}
	if (send(fd, fc->bytes, fc->n, MSG_NOSIGNAL) != (ssize_t)fc->n)
		fprintf(stderr, "hsm_raw: send: %s\n", strerror(errno));
	if (fc->half_close)
		shutdown(fd, SHUT_WR);
	if ((rc = read_answer(fd, &type)) == 0)
		printf("answer 0x%x\n", type);
	/* Closing the channel ends a healthy bos-hsmd with status 0. */
	close(fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	print_status(status);
	return 0;
}

static const struct frame_class *
find_class(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strcmp(classes[i].name, name) == 0)
			return &classes[i];
	}
	fprintf(stderr, "hsm_raw: unknown class %s\n", name);
	return NULL;
}

static int
cmd_connect(const char *path, const char *name)
{
	const struct frame_class *fc = NULL;
	struct sockaddr_un sun;
	uint32_t type = 0;
	int fd;

	if ((name != NULL && (fc = find_class(name)) == NULL) || strlen(path) >= sizeof(sun.sun_path))
		return 2;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "hsm_raw: connect %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (read_answer(fd, &type) != 0 || type != HSM_MSG_READY) {
		printf("closed\n");
		close(fd);
		return 0;
	}
	printf("ready\n");
	if (fc != NULL) {
		if (send(fd, fc->bytes, fc->n, MSG_NOSIGNAL) != (ssize_t)fc->n)
			fprintf(stderr, "hsm_raw: send: %s\n", strerror(errno));
		if (read_answer(fd, &type) == 0)
			printf("answer 0x%x\n", type);
		else
			printf("closed\n");
	}
	close(fd);
	return 0;
}

/* Read one whole frame within 10 s: 0 ok, 1 EOF, -1 error. */
static int
read_frame(int fd, uint32_t *type, uint8_t *payload, uint32_t *len)
{
	uint8_t h[HSM_HDR_LEN];
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0;

	while (got < sizeof(h) + *len) {
		uint8_t *dst = got < sizeof(h) ? h + got : payload + (got - sizeof(h));
		size_t want = got < sizeof(h) ? sizeof(h) - got : sizeof(h) + *len - got;
		ssize_t r;

		if (poll(&pfd, 1, 10000) != 1)
			return -1;
		if ((r = read(fd, dst, want)) <= 0)
			return r == 0 && got == 0 ? 1 : -1;
		got += (size_t)r;
		if (got == sizeof(h)) {
			*type = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
			    (uint32_t)h[2] << 8 | h[3];
			*len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
			    (uint32_t)h[6] << 8 | h[7];
			if (*len > HSM_PAYLOAD_MAX)
				return -1;
		}
	}
	return 0;
}

static int
cmd_start(int argc, char **argv)
{
	uint8_t p[HSM_PAYLOAD_MAX];
	uint32_t type = 0, len = 0, code;
	int fd = -1, status = 0, rc;
	pid_t pid;

	(void)argc;
	if ((pid = spawn_argv(argv, &fd)) < 0)
		return 1;
	rc = read_frame(fd, &type, p, &len);
	if (rc == 0 && type == HSM_MSG_READY)
		printf("ready\n");
	else if (rc == 0 && type == HSM_MSG_ERR && len >= 6) {
		code = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		printf("err %u %.*s\n", code, (int)(len - 6), (const char *)p + 6);
	} else
		printf("no answer\n");
	close(fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	print_status(status);
	return 0;
}

static int
serve_client(const char *hsmd, const char *dir, const char *label, struct hsm_client **c)
{
	static char conf[512], pin[512];
	static struct hsm_config cfg;
	struct bos_err err = { BOS_OK, "" };

	if (path_join(conf, sizeof(conf), dir, "softhsm2.conf") != 0 ||
	    path_join(pin, sizeof(pin), dir, "hsm-pin") != 0)
		return -1;
	cfg.hsmd_path = hsmd;
	cfg.module_path = MODULE;
	cfg.token_label = label;
	cfg.pin_file = pin;
	cfg.softhsm_conf = conf;
	if (hsm_client_start(&cfg, HSM_MODE_SERVE, c, &err) != 0) {
		fprintf(stderr, "hsm_raw: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
write_out(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "we");
	int r = -1;

	if (f != NULL && fwrite(p, 1, n, f) == n)
		r = 0;
	if (f != NULL && fclose(f) != 0)
		r = -1;
	return r;
}

static int
cmd_pubkey(char **argv)
{
	struct hsm_client *c = NULL;
	struct bos_err err = { BOS_OK, "" };
	uint8_t der[HSM_PUBKEY_MAX];
	size_t n = 0;
	int r = 1;

	if (serve_client(argv[2], argv[3], argv[4], &c) != 0)
		return 1;
	if (hsm_pubkey(c, (uint32_t)strtoul(argv[5], NULL, 10), der, sizeof(der), &n, &err) != 0)
		fprintf(stderr, "hsm_raw: %s\n", err.msg);
	else if (write_out(argv[6], der, n) == 0)
		r = 0;
	hsm_client_stop(c);
	return r;
}

static int
cmd_sign(char **argv)
{
	struct hsm_client *c = NULL;
	struct bos_err err = { BOS_OK, "" };
	uint8_t digest[HSM_DIGEST_LEN + 1], sig[HSM_SIG_MAX];
	size_t n = 0;
	FILE *f;
	int r = 1;

	if ((f = fopen(argv[6], "re")) == NULL)
		return 1;
	n = fread(digest, 1, sizeof(digest), f);
	fclose(f);
	if (n != HSM_DIGEST_LEN || serve_client(argv[2], argv[3], argv[4], &c) != 0)
		return 1;
	if (hsm_sign(c, (uint32_t)strtoul(argv[5], NULL, 10), digest, sig, sizeof(sig), &n,
	    &err) != 0)
		fprintf(stderr, "hsm_raw: %s\n", err.msg);
	else if (write_out(argv[7], sig, n) == 0)
		r = 0;
	hsm_client_stop(c);
	return r;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
			printf("%s\n", classes[i].name);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "init") == 0)
		return cmd_init(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(argv[1], "frame") == 0)
		return cmd_frame(argv[2], argv[3], argv[4], argv[5]);
	if (argc >= 3 && strcmp(argv[1], "start") == 0)
		return cmd_start(argc - 2, argv + 2);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "connect") == 0)
		return cmd_connect(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 7 && strcmp(argv[1], "pubkey") == 0)
		return cmd_pubkey(argv);
	if (argc == 8 && strcmp(argv[1], "sign") == 0)
		return cmd_sign(argv);
	fprintf(stderr, "usage: hsm_raw init HSMD DIR LABEL | frame HSMD DIR LABEL CLASS | list"
	    " | start HSMD [ARG...] | pubkey HSMD DIR LABEL V OUT"
	    " | sign HSMD DIR LABEL V DIGEST OUT | connect SOCKET [CLASS]\n");
	return 2;
}
