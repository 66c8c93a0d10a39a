/*
 * bos-vaultd: the vault daemon. Opens the state directory (creating a
 * development vault first with --dev when the directory is new), keeps
 * bos-hsmd running beside it, and stops at once if bos-hsmd dies: no secret
 * is served without the HSM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "cred.h"
#include "err.h"
#include "log.h"
#include "secmem.h"
#include "state.h"

#define VAULTD_EXIT_USAGE 64
#define VAULTD_EXIT_FAIL 1

static void
vaultd_usage(FILE *f)
{
	fprintf(f,
	    "usage: bos-vaultd --state-dir DIR [--dev]\n"
	    "\n"
	    "Serve the BOS vault kept in DIR (bos.conf, db.key, bos.db).\n"
	    "\n"
	    "  --state-dir DIR  the vault's state directory (required)\n"
	    "  --dev            if DIR is missing or empty, first create a development vault\n"
	    "                   in it: a private SoftHSM token, keys, database (as `make run`)\n"
	    "  --help           this text\n"
	    "\n"
	    "Create a production vault with `bosctl init --state-dir DIR --module M --token L`.\n");
}

static int
vaultd_count_cb(const struct cred_meta *m, void *arg)
{
	(void)m;
	(*(size_t *)arg)++;
	return 0;
}

/* Block the signals we handle and return a signalfd for them. */
static int
vaultd_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Wait for a stop signal or the death of bos-hsmd. Returns the exit status. */
static int
vaultd_serve(struct state *st, int sfd)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read(sfd, &si, sizeof(si));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si)) {
			log_err("cannot read signals: %s", strerror(errno));
			return VAULTD_EXIT_FAIL;
		}
		if (si.ssi_signo == SIGCHLD) {
			if (!hsm_client_alive(st->hsm)) {
				log_err("bos-hsmd exited unexpectedly; stopping, since no secret "
				    "may be served without the HSM");
				return VAULTD_EXIT_FAIL;
			}
			continue;
		}
		if (si.ssi_signo == SIGHUP)
			continue;
		log_info("stopping on signal %u", si.ssi_signo);
		return 0;
	}
}

static int
vaultd_dev_init(const char *dir)
{
	struct state_init_opts o = { .dev = 1 };
	struct bos_err err;
	int fresh = state_dir_is_fresh(dir);

	if (fresh <= 0)
		return 0;
	bos_err_clear(&err);
	if (state_init(dir, &o, &err) != 0) {
		log_err("cannot create a development vault in %s: %s", dir, err.msg);
		return -1;
	}
	log_info("first run: created a development vault in %s (SoftHSM token '%s')", dir,
	    STATE_DEV_TOKEN);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "dev", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	struct state st;
	struct bos_err err;
	struct cred_ctx cc;
	size_t count = 0;
	int c, dev = 0, sfd, rc;

	log_init("bos-vaultd", LOG_LVL_INFO);
	if (secmem_harden_process() != 0) {
		log_err("cannot make the process undumpable: %s", strerror(errno));
		return VAULTD_EXIT_FAIL;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'D': dev = 1; break;
		case 'h': vaultd_usage(stdout); return 0;
		default: vaultd_usage(stderr); return VAULTD_EXIT_USAGE;
		}
	}
	if (dir == NULL || optind != argc) {
		vaultd_usage(stderr);
		return VAULTD_EXIT_USAGE;
	}
	if ((sfd = vaultd_signalfd()) < 0) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		return VAULTD_EXIT_FAIL;
	}
	if (dev && vaultd_dev_init(dir) != 0)
		return VAULTD_EXIT_FAIL;
	bos_err_clear(&err);
	if (state_open(dir, &st, &err) != 0) {
		log_err("%s", err.msg);
		return VAULTD_EXIT_FAIL;
	}
	cc = (struct cred_ctx){ st.store, st.hsm, st.kek_version };
	if (cred_list(&cc, NULL, NULL, vaultd_count_cb, &count, &err) != 0) {
		log_err("cannot read credentials: %s", err.msg);
		state_close(&st);
		return VAULTD_EXIT_FAIL;
	}
	log_info("ready: state %s, HSM token '%s' (bos-hsmd pid %d), %zu credentials", st.dir,
	    st.conf.token_label, (int)hsm_client_pid(st.hsm), count);
	rc = vaultd_serve(&st, sfd);
	state_close(&st);
	close(sfd);
	return rc;
}
