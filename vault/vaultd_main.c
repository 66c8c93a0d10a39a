/*
 * bos-vaultd: the vault daemon. Opens the state directory (creating a
 * development vault first with --dev when the directory is new), keeps
 * bos-hsmd running beside it, and stops at once if bos-hsmd dies: no secret
 * is served without the HSM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "auth/admin.h"
#include "api/api.h"
#include "audit_chain.h"
#include "audit/auditor.h"
#include "audit/batch.h"
#include "store/cred.h"
#include "err.h"
#include "store/approval.h"
#include "store/helper.h"
#include "store/job.h"
#include "store/outreach_ad.h"
#include "store/outreach_notice.h"
#include "store/pickup.h"
#include "http/http.h"
#include "io.h"
#include "json_alloc.h"
#include "log.h"
#include "core/metrics.h"
#include "policy.h"
#include "privdrop.h"
#include "sandbox.h"
#include "secmem.h"
#include "auth/session.h"
#include "core/state.h"
#include "store/store.h"
#include "core/tls_cert.h"
#include "core/vault.h"

#define VAULTD_EXIT_USAGE 64
#define VAULTD_EXIT_FAIL 1
#define VAULTD_SOCKET "vault.sock"
#define VAULTD_POLICY_MAX (1024 * 1024)   /* a role file larger than this is a mistake */

/* The thread that revokes grants left unused (grant_idle_revoke_seconds). */
struct vaultd_sweep {
	struct vault *v;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* signalled to stop; waits use CLOCK_MONOTONIC */
	int stop, running;
};

/* What the command line asks of this run. */
struct vaultd_opts {
	int dev;                /* create a development vault in a missing or empty DIR */
	int accept_rollback;    /* start although the database is older than the signed head */
	const char *listen;     /* ADDR:PORT instead of bos.conf's 'listen', or NULL */
	int maintenance;        /* the unix socket only: no TCP listener, whatever bos.conf says */
};

static void
vaultd_usage(FILE *f)
{
	fprintf(f,
	    "usage: bos-vaultd --state-dir DIR [--dev] [--listen ADDR:PORT | --maintenance]\n"
	    "                  [--accept-audit-rollback] [--user NAME [--group NAME]]\n"
	    "       bos-vaultd init --state-dir DIR --dev | --module PATH --token LABEL ...\n"
	    "\n"
	    "Serve the BOS vault kept in DIR (bos.conf, db.key, bos.db).\n"
	    "\n"
	    "  --state-dir DIR  the vault's state directory (required)\n"
	    "  --dev            if DIR is missing or empty, first create a development vault\n"
	    "                   in it: a private SoftHSM token, keys, database (as `make run`);\n"
	    "                   missing parent directories are created too\n"
	    "  --listen ADDR:PORT\n"
	    "                   serve HTTPS on this IPv4 address and port for this run instead\n"
	    "                   of 'listen' in bos.conf (port 0: no HTTPS, the unix socket only)\n"
	    "  --maintenance    serve the unix socket DIR/vault.sock only, for work on the vault\n"
	    "                   from its own machine (bosctl with BOS_ADDR=unix:DIR/vault.sock):\n"
	    "                   no TCP listener ('listen' in bos.conf and a socket passed by\n"
	    "                   systemd are ignored); requests are signed in, authorized and\n"
	    "                   audited as always\n"
	    "  --accept-audit-rollback\n"
	    "                   start even though the database is older than the last signed\n"
	    "                   audit checkpoint (a restored backup); the acceptance is recorded\n"
	    "  --user NAME      when started as root: become this user (and --group NAME, or\n"
	    "                   its primary group) before reading anything\n"
	    "  --help           this text\n"
	    "\n"
	    "Create a vault first with `bos-vaultd init` (see `bos-vaultd init --help`).\n");
}

static void
vaultd_init_usage(FILE *f)
{
	fprintf(f,
	    "usage: bos-vaultd init --state-dir DIR --dev [--allow-unconfined-paths]\n"
	    "       bos-vaultd init --state-dir DIR --module PATH --token LABEL [--pin-file FILE]\n"
	    "                       [--allow-unconfined-paths]\n"
	    "       bos-vaultd init --state-dir DIR --token LABEL --hsm-socket SOCKET\n"
	    "                       [--allow-unconfined-paths]\n"
	    "\n"
	    "Create a new vault in DIR, which must be missing or empty (existing state is never\n"
	    "overwritten): the HSM keys (KEK bos-kek-v1, audit key bos-audit-v1), the wrapped\n"
	    "database key db.key, the encrypted database bos.db, bos.conf and roles.policy.\n"
	    "Run it as the user the vault will run as. Then start the vault with\n"
	    "`bos-vaultd --state-dir DIR` and create the first admin with `bosctl admin create`.\n"
	    "\n"
	    "  --state-dir DIR  the new vault's state directory (required)\n"
	    "  --dev            create a private SoftHSM token 'bos-dev' inside DIR, with random\n"
	    "                   PINs in DIR/hsm-pin and DIR/hsm-so-pin (mode 0400)\n"
	    "  --module PATH    PKCS#11 module of the production HSM\n"
	    "  --token LABEL    label of an initialised token on that HSM\n"
	    "  --pin-file FILE  file (mode 0400) holding the token's user PIN; default:\n"
	    "                   $CREDENTIALS_DIRECTORY/hsm-pin (systemd LoadCredential)\n"
	    "  --hsm-socket SOCKET\n"
	    "                   production: reach bos-hsmd, running as its own user, on this\n"
	    "                   socket (bos.conf hsm_socket); its token and keys v1 were made\n"
	    "                   by 'bos-hsmd --init' as that user (docs/HSM.md)\n"
	    "  --allow-unconfined-paths\n"
	    "                   where the kernel has no Landlock, run unconfined instead of\n"
	    "                   refusing, and write sandbox_unconfined_paths = 1 to bos.conf\n"
	    "                   (docs/SANDBOX.md)\n"
	    "  --help           this text\n"
	    "\n"
	    "Exit status: 0 created, 1 error (nothing is overwritten), 64 usage error.\n");
}

/*
 * bos-vaultd init: create a state directory. It lives in the vault's program,
 * not in bosctl, so that the admin's client links no vault code (issue #13).
 */
static int
vaultd_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' }, { "dev", no_argument, NULL, 'D' },
		{ "module", required_argument, NULL, 'm' }, { "token", required_argument, NULL, 't' },
		{ "pin-file", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ "allow-unconfined-paths", no_argument, NULL, 'U' },
		{ "hsm-socket", required_argument, NULL, 'S' }, { NULL, 0, NULL, 0 },
	};
	struct state_init_opts o = { 0 };
	const char *dir = NULL;
	struct bos_err err;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'D': o.dev = 1; break;
		case 'm': o.module = optarg; break;
		case 't': o.token_label = optarg; break;
		case 'p': o.pin_file = optarg; break;
		case 'U': o.unconfined_paths = 1; break;
		case 'S': o.hsm_socket = optarg; break;
		case 'h': vaultd_init_usage(stdout); return 0;
		default: vaultd_init_usage(stderr); return VAULTD_EXIT_USAGE;
		}
	}
	if (dir == NULL || optind != argc || (!o.dev && o.token_label == NULL) ||
	    (!o.dev && (o.module == NULL) == (o.hsm_socket == NULL)) ||
	    (o.hsm_socket != NULL && o.pin_file != NULL) ||
	    (o.dev && (o.module != NULL || o.pin_file != NULL || o.hsm_socket != NULL))) {
		vaultd_init_usage(stderr);
		return VAULTD_EXIT_USAGE;
	}
	bos_err_clear(&err);
	if (state_init(dir, &o, &err) != 0) {
		fprintf(stderr, "bos-vaultd init: error: %s\n", err.msg);
		return VAULTD_EXIT_FAIL;
	}
	printf("created a vault in %s\nstart it with: bos-vaultd --state-dir %s\n", dir, dir);
	return 0;
}

/* Block the signals we handle and return a signalfd for them. */
static int
vaultd_signalfd(void)
{
	struct sigaction ign;
	sigset_t set;

	/*
	 * A write past the file size limit fails with EFBIG (and the request
	 * with 503) instead of killing the vault: the store reports it.
	 */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	if (sigaction(SIGXFSZ, &ign, NULL) != 0)
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/*
 * Wait for a signal, or (over hsm_socket, where bos-hsmd is not our child
 * and no SIGCHLD comes) for its connection to hang up. 1: the connection
 * woke us, 0: a signal is ready, -1: error.
 */
static int
vaultd_wait(int sfd, int hsm_fd)
{
	struct pollfd p[2] = { { sfd, POLLIN, 0 }, { hsm_fd, POLLRDHUP, 0 } };
	const struct timespec pause = { 0, 10000000 };

	while (poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return -1;
	if (p[1].revents == 0)
		return 0;
	/* A call in flight may hold the client still: do not spin on it. */
	(void)nanosleep(&pause, NULL);
	return 1;
}

/* Wait for a stop signal or the death of bos-hsmd. Returns the exit status. */
static int
vaultd_serve(struct vault *v, int sfd)
{
	struct signalfd_siginfo si;
	int w;

	for (;;) {
		ssize_t n;

		if ((w = vaultd_wait(sfd, hsm_client_watch_fd(v->st.hsm))) == 1) {
			if (!hsm_client_alive(v->st.hsm)) {
				log_err("bos-hsmd closed its connection; stopping, since no secret "
				    "may be served without the HSM");
				return VAULTD_EXIT_FAIL;
			}
			continue;
		}
		n = w == 0 ? read(sfd, &si, sizeof(si)) : -1;

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si)) {
			log_err("cannot read signals: %s", strerror(errno));
			return VAULTD_EXIT_FAIL;
		}
		if (si.ssi_signo == SIGCHLD) {
			if (!hsm_client_alive(v->st.hsm)) {
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

/*
 * The parents of a new development state directory, as `mkdir -p` (a fresh
 * clone has no var/ for `make run`'s var/dev). Only for --dev: a production
 * state directory is made by the installer, and a typo there should fail.
 */
static int
vaultd_dev_parents(const char *dir, struct bos_err *err)
{
	char path[CONFIG_PATH_MAX];
	size_t i, n = strlen(dir);

	if (n >= sizeof(path))
		return bos_err_set(err, BOS_E_CONFIG, "state directory path is too long");
	memcpy(path, dir, n + 1);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	for (i = 1; i < n; i++) {
		if (path[i] != '/' || path[i - 1] == '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			bos_err_set(err, BOS_E_IO, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		path[i] = '/';
	}
	return 0;
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
	/*
	 * `make run` must work on a newcomer's machine: where the kernel cannot
	 * confine file paths, a development vault runs unconfined and says so at
	 * every start. Only here: `bos-vaultd init` refuses unless asked
	 * (--allow-unconfined-paths), and production never gets it by default.
	 */
	if (!sandbox_paths_available()) {
		o.unconfined_paths = 1;
		log_warn("this kernel has no Landlock: the development vault in %s will run with file "
		    "paths NOT confined (sandbox_unconfined_paths = 1 in its bos.conf; a production "
		    "vault refuses, docs/SANDBOX.md)", dir);
	}
	if (vaultd_dev_parents(dir, &err) != 0 || state_init(dir, &o, &err) != 0) {
		log_err("cannot create a development vault in %s: %s", dir, err.msg);
		return -1;
	}
	log_info("first run: created a development vault in %s (SoftHSM token '%s')", dir,
	    STATE_DEV_TOKEN);
	return 0;
}

/* Say which listeners the vault makes itself when systemd passed only some. */
static void
vaultd_listen_log(const struct config *c, const struct http_passed *lp, const char *sock)
{
	if (lp->tcp_fd < 0 && lp->unix_fd < 0)
		return;
	if (lp->tcp_fd < 0 && c->listen_port != 0)
		log_info("socket activation: no TCP socket passed; the vault binds %s:%u ('listen' in "
		    "bos.conf) itself", c->listen_addr, c->listen_port);
	else if (lp->tcp_fd < 0)
		log_info("socket activation: no TCP socket passed and 'listen' is off: no HTTPS");
	if (lp->unix_fd < 0)
		log_info("socket activation: no unix socket passed; the vault makes %s itself", sock);
}

/*
 * What the vault reaches by path once confined (docs/SANDBOX.md): in its
 * state directory it creates, writes and removes files (audit.head.tmp
 * renamed over audit.head, SQLite's -wal and -shm removed at close) and
 * binds vault.sock, but reads none by path, so not hsm-pin, hsm-so-pin or
 * SoftHSM's tokens; nothing outside it at all.
 */
static void
vaultd_sandbox_args(struct vault *v, struct sandbox_args *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->dirfd = auditor_dir_fd(v->audit);
	sa->child = hsm_client_pid(v->st.hsm);
	sa->paths[0].fd = sa->dirfd;
	sa->paths[0].access = SANDBOX_VAULT_STATE_ACCESS;
	sa->npaths = 1;
	sa->unconfined_ok = v->st.conf.sandbox_unconfined_paths != 0;
}

/*
 * The first threads: the audit checkpoint thread, then the listeners'.
 * File paths are confined just before, while the vault has one thread:
 * Landlock reaches only threads started after it (sandbox.h), and every
 * later thread (connections, the sweep) descends from this one.
 */
static int
vaultd_start_threads(struct vault *v, const struct http_config *hc, struct bos_err *err)
{
	struct sandbox_args sa;

	/*
	 * jansson seeds its hash from /dev/urandom at the first object, which
	 * would be an open in the middle of a request, refused by both layers
	 * (and jansson would fall back to time and pid): seed it now.
	 */
	json_object_seed(0);
	vaultd_sandbox_args(v, &sa);
	if (sandbox_enter_paths(SANDBOX_VAULT, &sa, err) != 0)
		return bos_err_wrap(err, "refusing to serve without the sandbox");
	if (auditor_start(v, err) != 0)
		return -1;
	return http_server_start(v, hc, api_routes, api_routes_n, &v->http, err);
}

/* Start the HTTPS and unix-socket listeners on the open vault. */
static int
vaultd_listen(struct vault *v, int dev, const struct http_passed *lp, struct bos_err *err)
{
	const struct config *c = &v->st.conf;
	struct http_config hc;
	char sock[CONFIG_PATH_MAX + 16], *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int r;

	if (tls_cert_load(v->st.dir, c, dev, &cert, &cert_len, &key, &key_len, err) != 0)
		return -1;
	if (snprintf(sock, sizeof(sock), "%s/%s", v->st.dir, VAULTD_SOCKET) >= (int)sizeof(sock)) {
		secmem_freezero(key, key_len);
		free(cert);
		return bos_err_set(err, BOS_E_CONFIG, "state directory path is too long");
	}
	http_config_defaults(&hc);
	hc.listen_addr = c->listen_addr;
	hc.listen_port = c->listen_port;
	hc.unix_path = lp->unix_fd >= 0 ? lp->unix_name : sock;
	hc.tcp_fd = lp->tcp_fd;
	hc.unix_fd = lp->unix_fd;
	vaultd_listen_log(c, lp, sock);
	hc.tls_cert_pem = cert;
	hc.tls_key_pem = key;
	hc.body_max = c->body_max_bytes;
	hc.conn_limit = c->conn_limit;
	hc.per_ip_limit = c->conn_per_ip_limit;
	hc.inflight_max = c->requests_inflight_max;
	hc.timeout_s = c->conn_timeout_seconds;
	hc.header_timeout_s = c->header_timeout_seconds;
	r = vaultd_start_threads(v, &hc, err);
	/* libmicrohttpd keeps its own copies of the PEM texts. */
	secmem_freezero(key, key_len);
	free(cert);
	return r;
}

/* Read an open role file whole; refuses what is not a private regular file. */
static int
vaultd_policy_read(int fd, const char *path, char **text, size_t *len, struct bos_err *err)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return bos_err_set(err, BOS_E_CONFIG, "%s is not a regular file", path);
	/* Whoever may change the file decides what admins and helpers may do. */
	if ((sb.st_mode & 022) != 0 || sb.st_uid != geteuid())
		return bos_err_set(err, BOS_E_CONFIG, "%s must belong to the vault's user and be "
		    "writable by nobody else (chmod 600)", path);
	if (sb.st_size > VAULTD_POLICY_MAX)
		return bos_err_set(err, BOS_E_CONFIG, "%s is larger than %d bytes", path,
		    VAULTD_POLICY_MAX);
	*len = (size_t)sb.st_size;
	if ((*text = malloc(*len + 1)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading %s", path);
	if (io_read_full(fd, *text, *len) != 0) {
		free(*text);
		*text = NULL;
		return bos_err_set(err, BOS_E_IO, "cannot read %s: %s", path,
		    errno ? strerror(errno) : "file shrank while read");
	}
	(*text)[*len] = '\0';
	return 0;
}

/* No bos.conf: not a vault at all, which state_open explains better than we can. */
static int
vaultd_not_a_vault(const char *dir)
{
	char conf[CONFIG_PATH_MAX + 16];

	return snprintf(conf, sizeof(conf), "%s/%s", dir, STATE_CONF) < (int)sizeof(conf) &&
	    access(conf, F_OK) != 0 && errno == ENOENT;
}

/*
 * DIR/roles.policy: the role policies. A missing file is an error (a
 * vault without rules would refuse everything, which is never what was
 * meant), except that --dev writes the default into a development vault
 * made before roles.policy existed. A malformed file stops the vault with
 * the parser's "roles.policy:LINE:COLUMN: what is wrong".
 */
static int
vaultd_policy_load(struct vault *v, const char *dir, int dev, struct bos_err *err)
{
	char path[CONFIG_PATH_MAX + 16], msg[300], *text = NULL;
	size_t len = 0;
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, STATE_POLICY) >= (int)sizeof(path))
		return bos_err_set(err, BOS_E_CONFIG, "state directory path is too long");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && vaultd_not_a_vault(dir))
		return 0;   /* state_open says what is missing; without rules all is refused */
	if (fd < 0 && errno == ENOENT && dev) {
		log_warn("%s is missing: using the default role policies", path);
		return policy_parse(STATE_POLICY, policy_default_text, strlen(policy_default_text),
		    &v->policy, msg, sizeof(msg)) == 0 ? 0 :
		    bos_err_set(err, BOS_E_CONFIG, "%s", msg);
	}
	if (fd < 0)
		return bos_err_set(err, BOS_E_CONFIG, "cannot open %s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (restore it from a backup; 'bos-vaultd init' writes the default "
		    "one)" : "");
	r = vaultd_policy_read(fd, path, &text, &len, err);
	close(fd);
	if (r != 0)
		return -1;
	if (policy_parse(STATE_POLICY, text, len, &v->policy, msg, sizeof(msg)) != 0)
		r = bos_err_set(err, BOS_E_CONFIG, "%s", msg);
	else {
		api_policy_warn(v->policy);
		api_broker_warn_roles(v->policy);
	}
	free(text);
	return r;
}

/*
 * In the sweep's transaction: pickups and approvals past their time end, and
 * the trail says how many (docs/MCP.md). A pickup's wrapped token is deleted.
 */
static int
vaultd_sweep_expired(struct vault *v, struct bos_err *err)
{
	char reason[AUDIT_FIELD_MAX];
	unsigned np = 0, na = 0, nn = 0, aq = 0, ap = 0;

	if (pickup_sweep_expired(v->st.store, vault_now(v), &np, err) != 0 ||
	    approval_sweep_expired(v->st.store, vault_now(v), &na, err) != 0 ||
	    outreach_notice_sweep(v->st.store, vault_now(v), &nn, err) != 0 ||
	    outreach_ad_sweep(v->st.store, vault_now(v), v->st.conf.ad_insights_seconds,
	    job_queue_ad, &aq, &ap, err) != 0)
		return -1;
	if (aq > 0 || ap > 0) {
		log_info("sweep: %u ad insights job(s) queued, %u ad(s) paused by the budget", aq, ap);
		vault_jobs_signal(v);
	}
	if (ap > 0) {
		snprintf(reason, sizeof(reason), "%u ad(s) paused: the budget of meta is paused", ap);
		if (auditor_append_event(v, "ad_sweep", "/outreach/ads", "allow", reason, err) != 0)
			return -1;
	}
	if (nn > 0)
		log_info("sweep: %u unsent grant token notice(s) of ended grants deleted", nn);
	if (np > 0) {
		snprintf(reason, sizeof(reason), "%u grant token(s) not picked up in time deleted "
		    "(the grants stay)", np);
		if (auditor_append_event(v, "pickup_sweep", "/grants", "allow", reason, err) != 0)
			return -1;
		log_info("sweep: %u grant token(s) not picked up in time deleted", np);
	}
	if (na > 0) {
		snprintf(reason, sizeof(reason), "%u approval(s) expired unapproved", na);
		if (auditor_append_event(v, "approval_sweep", "/approvals", "allow", reason,
		    err) != 0)
			return -1;
		log_info("sweep: %u approval(s) expired unapproved", na);
	}
	return 0;
}

/* Under the lock: revoke idle grants and record it, in one transaction. */
static int
vaultd_sweep_txn(struct vault *v, unsigned *n, struct bos_err *err)
{
	char reason[AUDIT_FIELD_MAX];
	struct auditor_mark m;
	int r;

	auditor_txn_mark(v, &m);
	if (store_begin(v->st.store, err) != 0)
		return -1;
	r = grant_sweep_idle(v->st.store, vault_now(v), v->st.conf.grant_idle_revoke_seconds,
	    n, err);
	if (r == 0 && *n > 0) {
		snprintf(reason, sizeof(reason), "revoked %u grant(s) unused for more than %u s", *n,
		    v->st.conf.grant_idle_revoke_seconds);
		r = auditor_append_event(v, "grant_sweep", "/grants", "allow", reason, err);
	}
	if (r == 0)
		r = vaultd_sweep_expired(v, err);
	if (r != 0) {
		if (store_rollback(v->st.store, NULL) != 0)
			log_err("audit: rollback failed");
		auditor_txn_rewind(v, &m);
	} else
		r = store_commit(v->st.store, err);
	auditor_txn_end(v, r == 0);
	return r;
}

/*
 * Revoke idle grants now; a busy database (another process) just waits for the
 * next round. Revocations advance the signed audit head at once, as those of
 * the routes do (AUDIT_SIGNED, http.h): no copy taken before brings them back.
 */
static void
vaultd_sweep_once(struct vault *v)
{
	struct bos_err err;
	unsigned n = 0;
	int r;

	bos_err_clear(&err);
	vault_db_lock(v);
	r = vaultd_sweep_txn(v, &n, &err);
	batch_end(v);       /* the revocations are committed and synced here */
	if (r != 0)
		log_warn("sweep of idle grants failed (next try in %u s): %s",
		    v->st.conf.sweep_interval_seconds, err.msg);
	else if (n > 0) {
		log_info("sweep: revoked %u grant(s) unused for more than %u s", n,
		    v->st.conf.grant_idle_revoke_seconds);
		if (auditor_checkpoint_now(v, NULL, &err) != 0)
			log_warn("sweep: the audit head could not be signed (the checkpoint thread "
			    "tries again): %s", err.msg);
	}
}

static void *
vaultd_sweep_main(void *arg)
{
	struct vaultd_sweep *sw = arg;
	struct timespec until;
	int stop = 0;

	while (!stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += sw->v->st.conf.sweep_interval_seconds;
		pthread_mutex_lock(&sw->mu);
		while (!sw->stop && pthread_cond_timedwait(&sw->cv, &sw->mu, &until) != ETIMEDOUT)
			;
		stop = sw->stop;
		pthread_mutex_unlock(&sw->mu);
		if (!stop)
			vaultd_sweep_once(sw->v);
	}
	return NULL;
}

static int
vaultd_sweep_start(struct vaultd_sweep *sw, struct vault *v)
{
	pthread_condattr_t ca;
	int r;

	memset(sw, 0, sizeof(*sw));
	sw->v = v;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&sw->cv, &ca) == 0 ? 0 : -1;
	pthread_condattr_destroy(&ca);
	if (r != 0 || pthread_mutex_init(&sw->mu, NULL) != 0)
		return -1;
	if (pthread_create(&sw->thread, NULL, vaultd_sweep_main, sw) != 0)
		return -1;
	sw->running = 1;
	return 0;
}

/* Stop the sweep before the store closes: it may be waiting for the database lock. */
static void
vaultd_sweep_stop(struct vaultd_sweep *sw)
{
	if (!sw->running)
		return;
	pthread_mutex_lock(&sw->mu);
	sw->stop = 1;
	pthread_cond_signal(&sw->cv);
	pthread_mutex_unlock(&sw->mu);
	pthread_join(sw->thread, NULL);
	sw->running = 0;
}

static int
vaultd_count_creds(struct vault *v, size_t *count, struct bos_err *err)
{
	int r;

	vault_db_lock(v);
	r = cred_count(&v->cc, count, err);
	vault_db_unlock(v);
	return r;
}

/* Tell the operator how to go on when the vault has no admin yet. */
static void
vaultd_hint_first_admin(struct vault *v, const char *sock)
{
	struct admin_ctx ac = { .store = v->st.store, .hsm = v->st.hsm };
	struct bos_err err;
	int64_t n = 0;
	int r;

	vault_db_lock(v);
	r = admin_count(&ac, &n, &err);
	vault_db_unlock(v);
	if (r == 0 && n == 0)
		log_info("no admin yet: create the first one on this machine, as this user, with "
		    "'bosctl admin create NAME --socket %s', then 'bosctl login NAME'", sock);
}

/*
 * The audit trail before the first request: check the chain's tail and the
 * head file (a restored older database is refused), record the start and
 * the policy load and sign them. Signing here puts audit.head ahead of
 * every copy of the database taken before this start (issue #12 item 7):
 * roles.policy, read at start, is the vault's policy from now on, and a copy
 * from before it must not start silently. The checkpoint thread starts with
 * the listeners (vaultd_start_threads), once file paths are confined.
 */
static int
vaultd_audit_open(struct vault *v, int accept_rollback, int maintenance, struct bos_err *err)
{
	char reason[AUDIT_FIELD_MAX];

	if (auditor_new(v, &v->audit, err) != 0)
		return -1;
	if (auditor_check_start(v, accept_rollback, err) != 0) {
		/* Refused: no stop record, no new checkpoint, audit.head untouched. */
		auditor_free(v->audit);
		v->audit = NULL;
		return -1;
	}
	snprintf(reason, sizeof(reason), "bos-vaultd started (pid %d%s)", (int)getpid(),
	    maintenance ? ", maintenance mode: unix socket only" : "");
	if (auditor_event(v, "vault_start", "vault", "allow", reason, err) != 0 ||
	    auditor_event(v, "policy_load", "/" STATE_POLICY, "allow", "role policies loaded",
	    err) != 0)
		return bos_err_wrap(err, "cannot write the audit trail");
	if (auditor_checkpoint_now(v, NULL, err) != 0)
		return bos_err_wrap(err, "cannot sign the audit head at start");
	return 0;
}

/* Stop the checkpoint thread, record the stop and sign the head. */
static void
vaultd_audit_close(struct vault *v)
{
	struct bos_err err;

	if (v->audit == NULL)
		return;
	auditor_stop(v);
	bos_err_clear(&err);
	if (v->st.store != NULL &&
	    (auditor_event(v, "vault_stop", "vault", "allow", "bos-vaultd stopping", &err) != 0 ||
	    auditor_checkpoint_now(v, NULL, &err) != 0))
		log_err("audit: the stop was not recorded and signed: %s", err.msg);
	auditor_free(v->audit);
	v->audit = NULL;
}

/*
 * Seal anew the credential versions of a database from before schema 6 (issue
 * #12 item 14, cred_reseal_old), with its audit record in the same
 * transaction: all of it or none, before the first request. A failure (bos-hsmd,
 * a missing KEK) stops the start.
 */
static int
vaultd_reseal(struct vault *v, struct bos_err *err)
{
	char reason[AUDIT_FIELD_MAX];
	struct auditor_mark m;
	struct cred_reseal rs;
	int r;

	vault_db_lock(v);
	auditor_txn_mark(v, &m);
	if ((r = store_begin(v->st.store, err)) == 0 &&
	    (r = cred_reseal_old(&v->cc, &rs, err)) == 0 &&
	    rs.resealed + rs.damaged + rs.erased > 0) {
		snprintf(reason, sizeof(reason), "sealed %zu credential version(s) anew with their "
		    "clear columns bound (schema 6): %zu with card columns corrected, %zu damaged "
		    "left unreadable, %zu erased", rs.resealed, rs.digits_fixed, rs.damaged,
		    rs.erased);
		r = auditor_append_event(v, "cred_reseal", "/credentials", "allow", reason, err);
	}
	if (r == 0)
		r = store_commit(v->st.store, err);
	else if (store_depth(v->st.store) > 0 && store_rollback(v->st.store, NULL) != 0)
		log_err("credential store: rollback failed");
	if (r != 0)
		auditor_txn_rewind(v, &m);
	auditor_txn_end(v, r == 0);
	vault_db_unlock(v);
	return r == 0 ? 0 : bos_err_wrap(err, "cannot seal the credentials of schema 5 anew");
}

/*
 * --maintenance: the unix socket only. Nothing else changes: the same
 * routes, sign-in, policy and audit trail serve the requests that come in
 * over it, so work done in maintenance is as accountable as any other.
 */
static void
vaultd_maintenance_conf(struct config *c)
{
	if (c->listen_port != 0)
		log_info("maintenance mode: the TCP listener is off ('listen = %s:%u' in bos.conf is "
		    "ignored); serving the unix socket only", c->listen_addr, c->listen_port);
	else
		log_info("maintenance mode: serving the unix socket only");
	c->listen_port = 0;
}

/* A TCP socket passed by systemd is closed unused in maintenance mode. */
static void
vaultd_maintenance_passed(struct http_passed *lp)
{
	if (lp->tcp_fd < 0)
		return;
	log_info("maintenance mode: the TCP socket passed by systemd (%s) is closed unused",
	    lp->tcp_name);
	close(lp->tcp_fd);
	lp->tcp_fd = -1;
}

/*
 * --dev: a broker role without broker_uid_ROLE in bos.conf may sign in from
 * the vault's own uid (docs/CONFIG.md), so that a development vault and its
 * brokers run as one user. Production leaves unset roles unable to sign in.
 */
static void
vaultd_dev_broker_uids(struct vault *v, int dev)
{
	size_t i;

	for (i = 0; dev && i < CONFIG_BROKER_ROLES; i++)
		if (v->st.conf.broker_uid[i] == CONFIG_UID_UNSET) {
			v->st.conf.broker_uid[i] = v->uid;
			log_info("--dev: broker_uid_%s is unset: brokers of that role sign in from "
			    "uid %u, the vault's", i == 0 ? "outreach" : i == 1 ? "monitor" : "hiring",
			    (unsigned)v->uid);
		}
}

static int
vaultd_open(struct vault *v, const char *dir, const struct vaultd_opts *o,
    const struct http_passed *lp, size_t *count, struct bos_err *err)
{
	const struct config *c;

	memset(v, 0, sizeof(*v));
	vault_clock_start(v);
	bos_err_clear(err);
	if (vault_db_lock_init(v) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "cannot create the database lock");
	/* Before bos-hsmd starts and the database opens: a bad file changes nothing. */
	if (vaultd_policy_load(v, dir, o->dev, err) != 0 || state_open(dir, &v->st, err) != 0)
		return -1;
	/* Checked in main already, so it cannot fail here. */
	if (o->listen != NULL && config_set_listen(&v->st.conf, o->listen) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "--listen '%s' is not ADDR:PORT", o->listen);
	if (o->maintenance)
		vaultd_maintenance_conf(&v->st.conf);
	c = &v->st.conf;
	v->cc = (struct cred_ctx){ v->st.store, v->st.hsm, v->st.kek_version };
	v->uid = geteuid();
	vaultd_dev_broker_uids(v, o->dev);
	if (metrics_new(&v->metrics) != 0 ||
	    sessions_new(&v->sessions, c->session_idle_seconds, c->session_absolute_seconds) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (vaultd_count_creds(v, count, err) != 0)
		return bos_err_wrap(err, "cannot read credentials");
	api_cred_warn_reserved(v);
	if (vaultd_audit_open(v, o->accept_rollback, o->maintenance, err) != 0 ||
	    vaultd_reseal(v, err) != 0)
		return -1;
	return vaultd_listen(v, o->dev, lp, err);
}

/* Said once the vault is sandboxed: tests and operators wait for "ready:". */
static void
vaultd_ready(struct vault *v, const struct http_passed *lp, size_t count)
{
	const struct config *c = &v->st.conf;
	char tcp[HTTP_PASSED_NAME_MAX + 96], sock[CONFIG_PATH_MAX + HTTP_PASSED_NAME_MAX + 16];
	const char *from = lp->unix_fd >= 0 ? " (passed by systemd)" : "";

	tcp[0] = '\0';
	if (lp->tcp_fd >= 0)
		(void)snprintf(tcp, sizeof(tcp), "https://%s (passed by systemd)", lp->tcp_name);
	else if (c->listen_port != 0)
		(void)snprintf(tcp, sizeof(tcp), "https://%s:%u", c->listen_addr, c->listen_port);
	if (lp->unix_fd >= 0)
		(void)snprintf(sock, sizeof(sock), "%s", lp->unix_name);
	else
		(void)snprintf(sock, sizeof(sock), "%s/%s", v->st.dir, VAULTD_SOCKET);
	if (tcp[0] != '\0')
		log_info("ready: %s and %s%s; state %s, HSM token '%s' (bos-hsmd pid %d), "
		    "%zu credentials", tcp, sock, from, v->st.dir, c->token_label,
		    (int)hsm_client_pid(v->st.hsm), count);
	else
		log_info("ready: %s%s (no TCP listener); state %s, HSM token '%s' (bos-hsmd pid %d), "
		    "%zu credentials", sock, from, v->st.dir, c->token_label,
		    (int)hsm_client_pid(v->st.hsm), count);
	vaultd_hint_first_admin(v, sock);
}

/*
 * Enter the vault's sandbox (docs/SANDBOX.md) once everything that opens
 * files, sockets or processes has run: listeners and their threads, bos-hsmd,
 * the database, the sweep and checkpoint threads. From here on the only file
 * the vault may open is the audit head, through the auditor's directory fd.
 */
static int
vaultd_sandbox(struct vault *v, struct bos_err *err)
{
	struct sandbox_args sa;

	/* (jansson was seeded before the paths; glibc malloc's lazy opens are sandbox_seccomp.c's.) */
	vaultd_sandbox_args(v, &sa);
	if (sandbox_enter(SANDBOX_VAULT, &sa, err) != 0)
		return bos_err_wrap(err, "refusing to serve without the sandbox");
	log_info("sandbox: %s, profile %s, file paths: %s", sandbox_kind(),
	    sandbox_profile_name(SANDBOX_VAULT), sandbox_paths_kind());
	if (!sandbox_paths_confined())
		log_warn("sandbox: file paths are NOT confined: a compromised vault could read "
		    "any file its user can, the HSM PIN too (docs/SANDBOX.md)");
	return 0;
}

static void
vaultd_close(struct vault *v)
{
	/* Stop taking requests before the store and bos-hsmd go away. */
	http_server_stop(v->http);
	v->http = NULL;
	vaultd_audit_close(v);
	batches_destroy(&v->batches);
	state_close(&v->st);
	sessions_free(v->sessions);
	metrics_free(v->metrics);
	policy_free(v->policy);
	v->sessions = NULL;
	v->metrics = NULL;
	v->policy = NULL;
}

/*
 * Started as root with --user: become that user before anything is read
 * (bos.conf and the state directory belong to it). Without --user, root is
 * allowed for development machines and containers, with a warning.
 */
static int
vaultd_drop_root(const char *user, const char *group)
{
	struct bos_err err;

	bos_err_clear(&err);
	if (user == NULL)
		return 0;   /* root without --user is warned about once ready (vaultd_root_warn) */
	if (privdrop_to(user, group, &err) != 0) {
		log_err("%s", err.msg);
		return -1;
	}
	return 0;
}

/* After "ready:", so that a refused start still says one line (root: asked before the sandbox). */
static void
vaultd_root_warn(int root)
{
	if (root)
		log_warn("running as root: in production start with --user bos (or under the "
		    "systemd unit, docs/DEPLOY.md)");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "dev", no_argument, NULL, 'D' },
		{ "accept-audit-rollback", no_argument, NULL, 'R' },
		{ "listen", required_argument, NULL, 'l' },
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "maintenance", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *user = NULL, *group = NULL;
	struct http_passed lp;
	struct vault v;
	struct vaultd_sweep sw;
	struct bos_err err;
	size_t count = 0;
	struct vaultd_opts o = { 0, 0, NULL, 0 };
	struct config probe;
	int c, root, sfd, rc;

	log_init("bos-vaultd", LOG_LVL_INFO);
	json_alloc_init();
	if (secmem_harden_process() != 0) {
		log_err("cannot make the process undumpable: %s", strerror(errno));
		return VAULTD_EXIT_FAIL;
	}
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return vaultd_cmd_init(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'D': o.dev = 1; break;
		case 'R': o.accept_rollback = 1; break;
		case 'l': o.listen = optarg; break;
		case 'M': o.maintenance = 1; break;
		case 'u': user = optarg; break;
		case 'g': group = optarg; break;
		case 'h': vaultd_usage(stdout); return 0;
		default: vaultd_usage(stderr); return VAULTD_EXIT_USAGE;
		}
	}
	if (dir == NULL || optind != argc || (group != NULL && user == NULL) ||
	    (o.maintenance && o.listen != NULL)) {
		vaultd_usage(stderr);
		return VAULTD_EXIT_USAGE;
	}
	config_defaults(&probe);
	if (o.listen != NULL && config_set_listen(&probe, o.listen) != 0) {
		log_err("--listen '%s' is not ADDR:PORT (an IPv4 address and a port, for example "
		    "127.0.0.1:8025; port 0 turns HTTPS off)", o.listen);
		return VAULTD_EXIT_USAGE;
	}
	/*
	 * Socket activation first: before anything opens an fd or starts a process
	 * (bos-hsmd gets its channel dup2'ed onto fd 3, where a listener may be),
	 * the passed listeners are checked and made close-on-exec.
	 */
	bos_err_clear(&err);
	if (http_passed_take(&lp, &err) != 0) {
		log_err("%s", err.msg);
		return VAULTD_EXIT_FAIL;
	}
	if (o.maintenance)
		vaultd_maintenance_passed(&lp);
	if (vaultd_drop_root(user, group) != 0)
		return VAULTD_EXIT_FAIL;
	root = privdrop_is_root();
	if ((sfd = vaultd_signalfd()) < 0) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		return VAULTD_EXIT_FAIL;
	}
	if (o.dev && vaultd_dev_init(dir) != 0)
		return VAULTD_EXIT_FAIL;
	if (vaultd_open(&v, dir, &o, &lp, &count, &err) != 0) {
		log_err("%s", err.msg);
		vaultd_close(&v);
		return VAULTD_EXIT_FAIL;
	}
	if (vaultd_sweep_start(&sw, &v) != 0) {
		log_err("cannot start the sweep of idle grants: %s", strerror(errno));
		vaultd_close(&v);
		return VAULTD_EXIT_FAIL;
	}
	if (vaultd_sandbox(&v, &err) != 0) {
		log_err("%s", err.msg);
		vaultd_sweep_stop(&sw);
		vaultd_close(&v);
		return VAULTD_EXIT_FAIL;
	}
	vaultd_ready(&v, &lp, count);
	vaultd_root_warn(root);
	rc = vaultd_serve(&v, sfd);
	vaultd_sweep_stop(&sw);
	vaultd_close(&v);
	close(sfd);
	return rc;
}
