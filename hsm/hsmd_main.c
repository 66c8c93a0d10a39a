/*
 * bos-hsmd: the only BOS process that loads the PKCS#11 module and holds the
 * HSM PIN (until login). bos-vaultd starts it by fork + exec with a
 * socketpair on fd 3; it answers the typed requests of hsm_proto.h and
 * nothing else. See docs/HSM.md for the reasoning. In production it runs as
 * its own user instead and serves the vault's uid on a unix socket
 * (--listen, hsm/listen.c).
 *
 * Start-up: harden, check fd 3, parse argv, read the PIN file(s), load the
 * module, (create the token,) log in, wipe the PIN, attach libp11, send
 * READY. Any failure sends one ERR and exits HSM_EXIT_STARTUP.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "chan.h"
#include "dispatch.h"
#include "hsm_proto.h"
#include "hsmd.h"
#include "listen.h"
#include "log.h"
#include "pin.h"
#include "sandbox.h"
#include "secmem.h"

static int
hsmd_channel_ok(void)
{
	struct stat st;

	return fstat(HSM_CHANNEL_FD, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Read the user PIN (and the SO PIN when creating the token). */
static int
hsmd_read_pins(const struct hsmd_opts *o, struct pin *user, struct pin *so,
    struct hsm_fail *f)
{
	char path[4096];
	const char *user_path = o->pin_file;

	if (user_path == NULL) {
		if (pin_default_path(path, sizeof(path), f) != 0)
			return -1;
		user_path = path;
	}
	if (pin_read(user_path, user, f) != 0)
		return -1;
	if (o->mode == HSMD_MODE_CREATE_TOKEN && pin_read(o->so_pin_file, so, f) != 0)
		return -1;
	return 0;
}

static int
hsmd_open_token(struct hsmd *d, const struct hsmd_opts *o, struct pin *user, struct pin *so,
    struct hsm_fail *f)
{
	if (p11_load(&d->p11, o->module, f) != 0)
		return -1;
	if (o->mode == HSMD_MODE_CREATE_TOKEN) {
		if (p11_create_token(&d->p11, o->token, so, user, f) != 0)
			return -1;
		pin_free(so);
		log_info("created token '%s'", o->token);
	} else if (p11_find_token(&d->p11, o->token, f) != 0)
		return -1;
	if (p11_login(&d->p11, user, f) != 0)
		return -1;
	/* The PIN is needed for nothing else: wipe it now, not at exit. */
	pin_free(user);
	return 0;
}

/* SoftHSM's own default when SOFTHSM2_CONF is not set (Debian's build). */
#define HSMD_SOFTHSM_CONF "/etc/softhsm/softhsm2.conf"

/*
 * SoftHSM's token directory, as SoftHSM itself finds it: `directories.tokendir`
 * in $SOFTHSM2_CONF or its default configuration file.
 */
static int
hsmd_softhsm_tokendir(char *out, size_t cap, struct hsm_fail *f)
{
	const char *conf = getenv("SOFTHSM2_CONF");
	char line[1024], *k, *v, *e;
	FILE *fp;
	int r = -1;

	if (conf == NULL || conf[0] == '\0')
		conf = HSMD_SOFTHSM_CONF;
	if ((fp = fopen(conf, "re")) == NULL)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "sandbox: cannot read SoftHSM's configuration "
		    "%s to find its token directory: %s", conf, strerror(errno));
	while (r != 0 && fgets(line, sizeof(line), fp) != NULL) {
		for (k = line; isspace((unsigned char)*k); k++)
			;
		if ((v = strchr(k, '=')) == NULL || strncmp(k, "directories.tokendir", 20) != 0 ||
		    (k[20] != '=' && !isspace((unsigned char)k[20])))
			continue;
		for (v++; isspace((unsigned char)*v); v++)
			;
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (v[0] != '\0' && (size_t)(e - v) < cap) {
			memcpy(out, v, (size_t)(e - v) + 1);
			r = 0;
		}
	}
	fclose(fp);
	if (r != 0)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "sandbox: %s names no directories.tokendir",
		    conf);
	return 0;
}

/*
 * What bos-hsmd reaches by path once confined (docs/SANDBOX.md): SoftHSM's
 * token directory, read-only when serving (SoftHSM re-reads object files on
 * every token-key operation), read-write for key generation. Nothing else:
 * not the PIN files, not the vault's database or key file. Another module's
 * files are unknown, so it gets no path at all (every open is refused).
 */
static int
hsmd_sandbox_args(const struct hsmd_opts *o, struct sandbox_args *sa, struct hsm_fail *f)
{
	const char *base = strrchr(o->module, '/');
	char dir[4096];

	memset(sa, 0, sizeof(*sa));
	sa->dirfd = -1;
	sa->unconfined_ok = o->unconfined_ok;
	if (strncmp(base != NULL ? base + 1 : o->module, "libsofthsm2", 11) != 0)
		return 0;
	if (hsmd_softhsm_tokendir(dir, sizeof(dir), f) != 0)
		return -1;
	if ((sa->paths[0].fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "sandbox: cannot open SoftHSM's token "
		    "directory %s: %s", dir, strerror(errno));
	sa->paths[0].access = o->mode == HSMD_MODE_SERVE ? SANDBOX_HSMD_TOKENS_SERVE :
	    SANDBOX_HSMD_TOKENS_KEYGEN;
	sa->npaths = 1;
	return 0;
}

/* --generate-keys N: a key version, 1 and up. */
static int
hsmd_generate_version(const struct hsmd_opts *o, struct hsmd *d, struct hsm_fail *f)
{
	unsigned long n;
	char *end;

	if (o->generate == NULL)
		return 0;
	errno = 0;
	n = strtoul(o->generate, &end, 10);
	if (errno != 0 || *end != '\0' || o->generate[0] < '1' || o->generate[0] > '9' ||
	    n > UINT32_MAX)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "--generate-keys: a key version, 1 or more");
	d->generate = (uint32_t)n;
	return 0;
}

static int
hsmd_start(struct hsmd *d, int argc, char **argv, struct sandbox_args *sa, struct hsm_fail *f)
{
	struct pin user = { NULL, 0 }, so = { NULL, 0 };
	struct hsmd_opts o;
	int r = -1;

	if (opts_parse(argc, argv, &o, f) != 0 || hsmd_generate_version(&o, d, f) != 0)
		goto out;
	d->mode = o.mode;
	if (hsmd_read_pins(&o, &user, &so, f) != 0)
		goto out;
	if (hsmd_open_token(d, &o, &user, &so, f) != 0)
		goto out;
	if (signer_open(o.module, (unsigned long)d->p11.slot, &d->signer, f) != 0 ||
	    hsmd_sandbox_args(&o, sa, f) != 0)
		goto out;
	/* The listening socket is the only one the sandbox lets it accept on. */
	if (o.listen != NULL && listen_open(d, o.listen, o.peer_uid, f) != 0)
		goto out;
	sa->dirfd = d->listen_fd;
	if (buf_init(&d->req, HSM_PAYLOAD_MAX) != 0 || buf_init(&d->resp, HSM_PAYLOAD_MAX) != 0) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "out of memory");
		goto out;
	}
	if (o.listen != NULL)
		log_info("ready: token '%s', serve mode, on %s for uid %u", o.token, o.listen,
		    (unsigned)d->peer_uid);
	else
		log_info("ready: token '%s', %s mode", o.token,
		    o.mode == HSMD_MODE_SERVE ? "serve" : "key generation");
	/* success */
	r = 0;
 out:
	pin_free(&user);
	pin_free(&so);
	return r;
}

/*
 * After login and before READY: the vault sees READY only from a sandboxed
 * bos-hsmd. From here on bos-hsmd reads requests on fd 3 and lets SoftHSM
 * read its token files, and no other file; no socket, exec or ptrace
 * (docs/SANDBOX.md). bos-hsmd has one thread, so sandbox_enter confines
 * its file paths itself.
 */
static int
hsmd_sandbox(struct sandbox_args *sa, struct hsm_fail *f)
{
	struct bos_err err;
	int r;

	bos_err_clear(&err);
	r = sandbox_enter(SANDBOX_HSMD, sa, &err);
	/* The rules hold the directory now, not the descriptor. */
	if (sa->npaths > 0)
		close(sa->paths[0].fd);
	sa->npaths = 0;
	if (r != 0)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "%s", err.msg);
	/*
	 * Unconfined by the admin's choice (no Landlock): say it at every start.
	 * The sanitizer build's null sandbox confines nothing by design; the
	 * vault reports that one (as info), and a warning per bos-hsmd would only
	 * blur what the tests read of its output.
	 */
	if (!sandbox_paths_confined() && strcmp(sandbox_kind(), "null") != 0)
		log_warn("sandbox: file paths are %s", sandbox_paths_kind());
	return 0;
}

/* The order matters; see p11_sign.h. */
static void
hsmd_stop(struct hsmd *d)
{
	p11_close_session(&d->p11);
	signer_release(d->signer);
	p11_finalize(&d->p11);
	signer_free(d->signer);
	d->signer = NULL;
	buf_free(&d->req);
	buf_free(&d->resp);
	if (d->listen_fd >= 0)
		(void)close(d->listen_fd);
	d->listen_fd = -1;
}

/*
 * --listen and --generate-keys are chosen by argv alone, before anything
 * else: those processes have no fd 3 and log for themselves (a service with
 * its own journal, an operator at a terminal). The listening one never
 * enters key generation: opts_parse refuses --listen with --init or
 * --create-token, and dispatch refuses KEYGEN when serving.
 */
static int
hsmd_argv_has(int argc, char **argv, const char *name)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

/*
 * --generate-keys N, run by hand as bos-hsmd's user (docs/HSM.md): make
 * key version N on the token, without the vault, and exit.
 */
static int
hsmd_generate(struct hsmd *d)
{
	struct hsm_fail f = { 0, "" };

	/* "--generate-keys" seen by the prescan as another option's value. */
	if (d->generate == 0) {
		log_err("--generate-keys is not an option here; %s", HSMD_USAGE);
		return HSM_EXIT_STARTUP;
	}
	if (p11_keygen(&d->p11, d->generate, &f) != 0) {
		log_err("%s", f.msg);
		return HSM_EXIT_STARTUP;
	}
	printf("bos-hsmd: created keys " HSM_KEK_LABEL_FMT " and " HSM_AUDIT_LABEL_FMT "\n",
	    d->generate, d->generate);
	return fflush(stdout) == 0 ? HSM_EXIT_OK : HSM_EXIT_STARTUP;
}

/* A start-up failure: one ERR on fd 3, or one log line in listening mode. */
static void
hsmd_report_start(const struct hsmd *d, const struct hsm_fail *f, int listening)
{
	if (listening)
		log_err("%s", f->msg);
	else if (chan_send_err(d->fd, f) != 0)
		log_err("start-up failed and the channel is closed: %s", f->msg);
}

int
main(int argc, char **argv)
{
	struct hsmd d;
	struct hsm_fail f = { 0, "" };
	struct sandbox_args sa;
	int hardened, status, listening = hsmd_argv_has(argc, argv, "--listen");
	int generating = hsmd_argv_has(argc, argv, "--generate-keys");

	hardened = secmem_harden_process() == 0;
	/*
	 * Warnings and errors only: what the vault can report (start-up
	 * failures, ERR answers) it reports itself, in one line. bos-hsmd logs
	 * what only it can see: protocol errors and a channel it cannot use.
	 */
	log_init("bos-hsmd", listening || generating ? LOG_LVL_INFO : LOG_LVL_WARN);
	if (!listening && !generating && !hsmd_channel_ok()) {
		fprintf(stderr, "%s\nbos-hsmd is started by bos-vaultd, with its channel on "
		    "fd %d (a socket)\n", HSMD_USAGE, HSM_CHANNEL_FD);
		return HSM_EXIT_STARTUP;
	}
	memset(&d, 0, sizeof(d));
	memset(&sa, 0, sizeof(sa));
	d.fd = listening || generating ? -1 : HSM_CHANNEL_FD;
	d.listen_fd = -1;
	if (!hardened)
		hsm_fail_set(&f, HSM_ERR_CONFIG, "cannot make the process undumpable");
	if (!hardened || hsmd_start(&d, argc, argv, &sa, &f) != 0 || hsmd_sandbox(&sa, &f) != 0) {
		hsmd_report_start(&d, &f, listening || generating);
		hsmd_stop(&d);
		return HSM_EXIT_STARTUP;
	}
	if (listening || generating) {
		status = listening ? listen_serve(&d) : hsmd_generate(&d);
		hsmd_stop(&d);
		return status;
	}
	if (chan_send(d.fd, HSM_MSG_READY, NULL, 0) != 0) {
		log_err("channel closed before ready");
		hsmd_stop(&d);
		return HSM_EXIT_OK;
	}
	status = dispatch_serve(&d);
	hsmd_stop(&d);
	return status;
}
