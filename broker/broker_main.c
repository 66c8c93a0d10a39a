/*
 * bos-broker ROLE [--config FILE] [--once] (docs/BROKERS.md "bos-broker"):
 * reads its configuration, its token and the CA bundles, connects to
 * nothing yet, enters its sandbox, then claims verify jobs from the vault
 * and runs each (broker_job.c) until SIGTERM, which ends the loop after the
 * current job. --once: at most one job, then exit (tests).
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "broker_config.h"
#include "broker_job.h"
#include "broker_sandbox.h"
#include "connector.h"
#include "hooks_server.h"
#include "json_alloc.h"
#include "log.h"
#include "sandbox.h"
#include "secmem.h"
#include "vault_link.h"
#include "wipe_alloc.h"

#define BM_EXIT_OK 0
#define BM_EXIT_FAIL 1
#define BM_EXIT_USAGE 2
#define BM_BACKOFF_MAX_S 30
#define BM_CONF_DIR "/etc/bos"

/* The one flag a signal handler sets: stop after the current job. */
static volatile sig_atomic_t bm_stop;

static void
bm_on_signal(int sig)
{
	(void)sig;
	bm_stop = 1;
}

static int
bm_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bm_on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a sleep between claims ends at once. */
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static void
bm_usage(void)
{
	fprintf(stderr, "usage: bos-broker ROLE [--config FILE] [--once]\n"
	    "  ROLE      outreach, monitor or hiring\n"
	    "  --config  the broker's settings (default %s/broker-ROLE.conf, if present)\n"
	    "  --once    run at most one job, then exit\n", BM_CONF_DIR);
}

struct bm_args {
	const char *role;
	const char *config;
	int once;
};

static int
bm_parse(int argc, char **argv, struct bm_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			a->once = 1;
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			a->config = argv[++i];
		else if (argv[i][0] != '-' && a->role == NULL)
			a->role = argv[i];
		else
			return -1;
	}
	return a->role != NULL ? 0 : -1;
}

/* Config, token, CA bundles: everything read from files, before the sandbox. */
static int
bm_configure(const struct bm_args *a, struct broker_config *c, struct bos_err *err)
{
	char path[BROKER_CONF_PATH_MAX];
	size_t i;

	if (broker_config_init(c, a->role, err) != 0)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/broker-%s.conf", BM_CONF_DIR, a->role);
	if (broker_config_read(c, a->config != NULL ? a->config : path, a->config != NULL, err) != 0)
		return -1;
	for (i = 0; i < c->noverrides; i++)
		if (connector_find(c->overrides[i].connector) == NULL)
			return bos_err_set(err, BOS_E_CONFIG, "base_url.%s: no such connector",
			    c->overrides[i].connector);
	if (broker_config_load_secrets(c, err) != 0)
		return -1;
	for (i = 0; i < c->noverrides; i++)
		log_warn("TEST SETTING: connector %s talks to %s (base_url.%s), verified against "
		    "test_ca_file %s only; never in production", c->overrides[i].connector,
		    c->overrides[i].url, c->overrides[i].connector, c->test_ca_file);
	return 0;
}

/* Sleep s seconds, or less when a signal comes. */
static void
bm_sleep(long s)
{
	struct timespec t = { s, 0 };

	(void)nanosleep(&t, NULL);
}

static int
bm_loop(struct broker_run *b, const struct broker_config *c, int once)
{
	static const char *const verify_only[] = { "verify", NULL };
	/*
	 * The outreach role also sends (docs/OUTREACH.md "The outreach broker") and
	 * runs the ads' jobs (docs/ADS.md).
	 */
	static const char *const outreach[] = { "verify", "send_email", "send_sms", "ad_create",
	    "ad_activate", "ad_pause", "ad_insights", NULL };
	const char *const *kinds = strcmp(c->role, "outreach") == 0 ? outreach : verify_only;
	struct vault_answer ans;
	struct broker_job job;
	struct bos_err err;
	long backoff = 1;
	int r;

	while (!bm_stop) {
		/*
		 * A claim in progress is not cut short by SIGTERM: the vault may hand
		 * it a job as it ends, which would then sit out the visibility
		 * timeout. So a stop waits for the claim (claim_wait at most) and
		 * runs the job it brings.
		 */
		r = vault_link_claim(b->vl, kinds, c->claim_wait, &job, &ans, &err);
		if (r < 0 && (ans.status == 401 || ans.status == 403)) {
			log_err("the vault refuses this broker (%s): check its token and "
			    "broker_uid_%s in bos.conf", err.msg, c->role);
			return BM_EXIT_FAIL;
		}
		if (r < 0) {
			log_warn("claim: %s; again in %ld s", err.msg, backoff);
			bm_sleep(backoff);
			backoff = backoff * 2 > BM_BACKOFF_MAX_S ? BM_BACKOFF_MAX_S : backoff * 2;
			continue;
		}
		backoff = 1;
		if (r == 1 && broker_job_run(b, &job) != 0) {
			log_err("the vault refuses this broker's token; stopping");
			return BM_EXIT_FAIL;
		}
		if (once)
			break;
	}
	if (bm_stop)
		log_info("stopping: signal received, the last claim and job are finished");
	return BM_EXIT_OK;
}

/*
 * The hooks listener (hooks_listen): bound and its keys read now; its
 * thread starts between Landlock and seccomp, with a vault link of its own
 * (a libcurl handle is not shared between threads).
 */
static int
bm_hooks(const struct broker_config *c, struct hooks_server *hs, struct vault_link *hvl,
    struct bos_err *err)
{
	if (broker_sandbox_enter_paths(c->unconfined_paths, err) != 0) {
		vault_link_free(hvl);
		return -1;
	}
	if (hooks_server_start(hs, hvl, err) != 0)
		return -1;
	log_info("hooks: listening on %s (https), public URL %s", c->hooks_listen,
	    c->hooks_public_url);
	return 0;
}

static int
bm_start(const struct bm_args *a, struct broker_config *c, struct broker_run *b,
    struct hooks_server **hs)
{
	struct vault_link *hvl = NULL;
	struct bos_err err;

	if (bm_configure(a, c, &err) != 0 ||
	    (c->hooks_listen[0] != '\0' && hooks_server_prepare(c, hs, &err) != 0)) {
		log_err("%s", err.msg);
		return -1;
	}
	if (vault_link_new(c->vault_socket, c->token, &b->vl, &err) != 0 ||
	    (*hs != NULL && vault_link_new(c->vault_socket, c->token, &hvl, &err) != 0)) {
		log_err("%s", err.msg);
		return -1;
	}
	/* The token now lives in the link's header only. */
	secmem_free(c->token, c->token_cap);
	c->token = NULL;
	b->prov = (struct provider){ c->connect_timeout, c->call_timeout, c->ca, c->ca_len,
	    c->test_ca, c->test_ca_len, c, broker_job_tick, b, c->heartbeat_interval };
	b->lease_ttl = c->lease_ttl;
	/* jansson seeds its hash from /dev/urandom at its first object: now, not under the sandbox. */
	json_object_seed(0);
	if (bm_signals() != 0 || (*hs != NULL && bm_hooks(c, *hs, hvl, &err) != 0) ||
	    broker_sandbox_enter(c->unconfined_paths, hooks_server_fd(*hs), &err) != 0) {
		log_err("sandbox: %s", err.msg);
		return -1;
	}
	log_info("sandbox: %s, profile broker, file paths: %s", sandbox_kind(),
	    sandbox_paths_kind());
	if (!sandbox_paths_confined())
		log_warn("file paths are NOT confined: %s", sandbox_paths_kind());
	log_info("ready: role %s, %zu connectors, vault %s%s", c->role, connector_count(),
	    c->vault_socket, a->once ? ", one job" : "");
	return 0;
}

int
main(int argc, char **argv)
{
	struct broker_config c;
	struct hooks_server *hs = NULL;
	struct broker_run b;
	struct bm_args a;
	int rc = BM_EXIT_FAIL;

	log_init("bos-broker", LOG_LVL_INFO);
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	json_alloc_init();
	if (wipe_alloc_curl_init() != 0 || secmem_harden_process() != 0) {
		log_err("cannot set up libcurl's wiping allocator or make the process undumpable");
		return BM_EXIT_FAIL;
	}
	if (bm_parse(argc, argv, &a) != 0) {
		bm_usage();
		return BM_EXIT_USAGE;
	}
	if (bm_start(&a, &c, &b, &hs) == 0)
		rc = bm_loop(&b, &c, a.once);
	hooks_server_free(hs);
	vault_link_free(b.vl);
	broker_config_free(&c);
	return rc;
}
