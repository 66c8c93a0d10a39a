/*
 * bos-hsmd: the only BOS process that loads the PKCS#11 module and holds the
 * HSM PIN (until login). bos-vaultd starts it by fork + exec with a
 * socketpair on fd 3; it answers the typed requests of hsm_proto.h and
 * nothing else. See docs/HSM.md for the reasoning.
 *
 * Start-up: harden, check fd 3, parse argv, read the PIN file(s), load the
 * module, (create the token,) log in, wipe the PIN, attach libp11, send
 * READY. Any failure sends one ERR and exits HSM_EXIT_STARTUP.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "chan.h"
#include "dispatch.h"
#include "hsm_proto.h"
#include "hsmd.h"
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

static int
hsmd_start(struct hsmd *d, int argc, char **argv, struct hsm_fail *f)
{
	struct pin user = { NULL, 0 }, so = { NULL, 0 };
	struct hsmd_opts o;
	int r = -1;

	if (opts_parse(argc, argv, &o, f) != 0)
		goto out;
	d->mode = o.mode;
	if (hsmd_read_pins(&o, &user, &so, f) != 0)
		goto out;
	if (hsmd_open_token(d, &o, &user, &so, f) != 0)
		goto out;
	if (signer_open(o.module, (unsigned long)d->p11.slot, &d->signer, f) != 0)
		goto out;
	if (buf_init(&d->req, HSM_PAYLOAD_MAX) != 0 || buf_init(&d->resp, HSM_PAYLOAD_MAX) != 0) {
		hsm_fail_set(f, HSM_ERR_DEVICE, "out of memory");
		goto out;
	}
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
 * read its token files; no socket, exec or ptrace (docs/SANDBOX.md).
 */
static int
hsmd_sandbox(struct hsm_fail *f)
{
	struct bos_err err;

	bos_err_clear(&err);
	if (sandbox_enter(SANDBOX_HSMD, NULL, &err) != 0)
		return hsm_fail_set(f, HSM_ERR_CONFIG, "%s", err.msg);
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
}

int
main(int argc, char **argv)
{
	struct hsmd d;
	struct hsm_fail f = { 0, "" };
	int hardened, status;

	hardened = secmem_harden_process() == 0;
	/*
	 * Warnings and errors only: what the vault can report (start-up
	 * failures, ERR answers) it reports itself, in one line. bos-hsmd logs
	 * what only it can see: protocol errors and a channel it cannot use.
	 */
	log_init("bos-hsmd", LOG_LVL_WARN);
	if (!hsmd_channel_ok()) {
		fprintf(stderr, "%s\nbos-hsmd is started by bos-vaultd, with its channel on "
		    "fd %d (a socket)\n", HSMD_USAGE, HSM_CHANNEL_FD);
		return HSM_EXIT_STARTUP;
	}
	memset(&d, 0, sizeof(d));
	d.fd = HSM_CHANNEL_FD;
	if (!hardened)
		hsm_fail_set(&f, HSM_ERR_CONFIG, "cannot make the process undumpable");
	if (!hardened || hsmd_start(&d, argc, argv, &f) != 0 || hsmd_sandbox(&f) != 0) {
		if (chan_send_err(d.fd, &f) != 0)
			log_err("start-up failed and the channel is closed: %s", f.msg);
		hsmd_stop(&d);
		return HSM_EXIT_STARTUP;
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
