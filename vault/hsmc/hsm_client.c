/*
 * The vault's side of the bos-hsmd channel; see hsm_client.h and
 * common/hsm_proto.h. The peer is treated as untrusted input: every answer
 * is length-checked, and an answer that breaks the protocol ends bos-hsmd.
 */
#include "hsmc/hsm_client.h"
#include "hsmc/hsm_client_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "hsm_frame.h"
#include "hsmc/hsm_connect.h"
#include "io.h"
#include "secmem.h"

#define CLIENT_READY_MS 10000    /* start-up: module load, login */
#define CLIENT_CALL_MS 30000     /* one request; SoftHSM answers in microseconds */
#define CLIENT_GRACE_MS 5000     /* after closing the channel, before SIGKILL */
#define CLIENT_MAX_ARGS 12
#define CLIENT_MAX_ENV 3

/* argv and envp for execve, built before fork: the child may not allocate. */
struct client_exec {
	char *argv[CLIENT_MAX_ARGS + 1];
	char *envp[CLIENT_MAX_ENV + 1];
	size_t argc, envc;
	int max_fd;     /* highest fd to close when close_range is missing */
};

enum recv_status { RECV_OK, RECV_EOF, RECV_TIMEOUT, RECV_BAD };

/* ---- building argv and the environment ---- */

static char *
client_concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n;
	char *s;

	if (__builtin_add_overflow(la, lb, &n) || __builtin_add_overflow(n, 1, &n) ||
	    (s = malloc(n)) == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

static int
client_arg(struct client_exec *x, const char *s)
{
	if (x->argc >= CLIENT_MAX_ARGS || (x->argv[x->argc] = client_concat(s, "")) == NULL)
		return -1;
	x->argc++;
	return 0;
}

static int
client_env(struct client_exec *x, const char *name, const char *val)
{
	if (val == NULL)
		return 0;
	if (x->envc >= CLIENT_MAX_ENV || (x->envp[x->envc] = client_concat(name, val)) == NULL)
		return -1;
	x->envc++;
	return 0;
}

static void
client_exec_free(struct client_exec *x)
{
	size_t i;

	for (i = 0; i < x->argc; i++)
		free(x->argv[i]);
	for (i = 0; i < x->envc; i++)
		free(x->envp[i]);
	memset(x, 0, sizeof(*x));
}

static int
client_exec_args(struct client_exec *x, const struct hsm_config *cfg, enum hsm_mode mode)
{
	if (client_arg(x, cfg->hsmd_path) != 0 || client_arg(x, "--module") != 0 ||
	    client_arg(x, cfg->module_path) != 0 || client_arg(x, "--token") != 0 ||
	    client_arg(x, cfg->token_label) != 0)
		return -1;
	if (cfg->pin_file != NULL &&
	    (client_arg(x, "--pin-file") != 0 || client_arg(x, cfg->pin_file) != 0))
		return -1;
	if (mode == HSM_MODE_INIT && client_arg(x, "--init") != 0)
		return -1;
	if (cfg->unconfined_paths_ok && client_arg(x, "--allow-unconfined-paths") != 0)
		return -1;
	if (mode == HSM_MODE_CREATE_TOKEN && (client_arg(x, "--create-token") != 0 ||
	    client_arg(x, "--so-pin-file") != 0 || client_arg(x, cfg->so_pin_file) != 0))
		return -1;
	return 0;
}

/*
 * bos-hsmd gets only what it needs: where SoftHSM's configuration is, and
 * the systemd credentials directory that holds its PIN file. Nothing else
 * of the vault's environment is passed on.
 */
static int
client_exec_build(struct client_exec *x, const struct hsm_config *cfg, enum hsm_mode mode)
{
	struct rlimit rl;

	memset(x, 0, sizeof(*x));
	x->max_fd = 65535;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < 1048576)
		x->max_fd = (int)rl.rlim_cur;
	if (client_exec_args(x, cfg, mode) != 0 ||
	    client_env(x, "SOFTHSM2_CONF=", cfg->softhsm_conf) != 0 ||
	    client_env(x, "CREDENTIALS_DIRECTORY=", getenv("CREDENTIALS_DIRECTORY")) != 0) {
		client_exec_free(x);
		return -1;
	}
	return 0;
}

/* ---- the child, between fork and exec: async-signal-safe calls only ---- */

static void
client_close_from(int lowfd, int max_fd)
{
	int fd;

	if (close_range((unsigned)lowfd, ~0U, 0) == 0)
		return;
	for (fd = lowfd; fd < max_fd; fd++)
		(void)close(fd);
}

BOS_NORETURN static void
client_child(int mine, int theirs, const struct client_exec *x)
{
	sigset_t none;

	/* dup2 onto itself would keep FD_CLOEXEC, so clear it by hand then. */
	if (mine == HSM_CHANNEL_FD) {
		if (fcntl(mine, F_SETFD, 0) != 0)
			_exit(127);
	} else if (dup2(mine, HSM_CHANNEL_FD) != HSM_CHANNEL_FD)
		_exit(127);
	/* With 0-2 closed in the vault, an end may sit there and survive exec. */
	if (mine < HSM_CHANNEL_FD)
		(void)close(mine);
	if (theirs < HSM_CHANNEL_FD)
		(void)close(theirs);
	client_close_from(HSM_CHANNEL_FD + 1, x->max_fd);
	/* A mask the vault uses for signalfd must not make hsmd deaf to SIGTERM. */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(x->argv[0], x->argv, x->envp);
	_exit(127);
}

/* ---- waiting for and reaping bos-hsmd ---- */

static long
client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
client_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
client_set_status(struct hsm_client *c, pid_t w, int status)
{
	c->reaped = 1;
	c->status = w == c->pid ? status : -1;
}

/* Wait up to grace_ms for bos-hsmd to exit, then SIGKILL it. */
static void
client_reap(struct hsm_client *c, long grace_ms)
{
	long deadline = client_now_ms() + grace_ms;
	int status = 0;
	pid_t w;

	if (c->reaped || c->pid <= 0)
		return;
	for (;;) {
		w = waitpid(c->pid, &status, WNOHANG);
		if (w == c->pid || (w < 0 && errno != EINTR)) {
			client_set_status(c, w, status);
			return;
		}
		if (client_now_ms() >= deadline)
			break;
		client_sleep_ms(10);
	}
	(void)kill(c->pid, SIGKILL);
	while ((w = waitpid(c->pid, &status, 0)) < 0 && errno == EINTR)
		;
	client_set_status(c, w, status);
}

/* The channel is unusable: close it, make sure bos-hsmd is gone, reap. */
static void
client_mark_dead(struct hsm_client *c, int kill_now)
{
	if (c->fd >= 0)
		(void)close(c->fd);
	c->fd = -1;
	c->alive = 0;
	if (kill_now && !c->reaped && c->pid > 0)
		(void)kill(c->pid, SIGKILL);
	client_reap(c, CLIENT_GRACE_MS);
}

static void
client_status_text(const struct hsm_client *c, char *buf, size_t cap)
{
	int n;

	if (c->status < 0)
		n = snprintf(buf, cap, "status unknown");
	else if (WIFEXITED(c->status))
		n = snprintf(buf, cap, "status %d", WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		n = snprintf(buf, cap, "signal %d", WTERMSIG(c->status));
	else
		n = snprintf(buf, cap, "wait status 0x%x", (unsigned)c->status);
	if (n < 0 || (size_t)n >= cap)
		buf[0] = '\0';
}

static int
client_err_dead(const struct hsm_client *c, struct bos_err *err)
{
	char st[64];

	if (c->pid <= 0)
		return bos_err_set(err, BOS_E_HSM, "bos-hsmd closed the connection on %s; the vault "
		    "will not serve secrets without it", c->path);
	client_status_text(c, st, sizeof(st));
	return bos_err_set(err, BOS_E_HSM, "bos-hsmd exited (%s); the vault will not serve "
	    "secrets without it", st);
}

/* ---- framing ---- */

static enum recv_status
client_read_until(int fd, uint8_t *p, size_t n, long deadline)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	while (n > 0) {
		long left = deadline - client_now_ms();
		ssize_t r;
		int pr;

		if (left <= 0)
			return RECV_TIMEOUT;
		if ((pr = poll(&pfd, 1, (int)left)) < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return RECV_EOF;
		if (pr == 0)
			return RECV_TIMEOUT;
		if ((r = read(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return RECV_EOF;
		p += r;
		n -= (size_t)r;
	}
	return RECV_OK;
}

/* One answer frame: type OK, ERR or READY, payload within the limit. */
static enum recv_status
client_recv(struct hsm_client *c, long timeout_ms, uint32_t *type, struct buf *payload)
{
	long deadline = client_now_ms() + timeout_ms;
	uint8_t h[HSM_HDR_LEN];
	enum recv_status st;
	uint32_t len;

	if ((st = client_read_until(c->fd, h, sizeof(h), deadline)) != RECV_OK)
		return st;
	if (hsm_frame_header(h, type, &len) != 0)
		return RECV_BAD;
	if ((*type != HSM_MSG_OK && *type != HSM_MSG_ERR && *type != HSM_MSG_READY) ||
	    len > HSM_PAYLOAD_MAX || len > payload->max)
		return RECV_BAD;
	buf_reset(payload);
	if ((st = client_read_until(c->fd, payload->data, len, deadline)) != RECV_OK)
		return st;
	payload->len = len;
	return RECV_OK;
}

enum bos_err_code
hsm_client_map_err(uint32_t code)
{
	switch (code) {
	case HSM_ERR_AUTH: return BOS_E_AUTH;
	case HSM_ERR_NOKEY: return BOS_E_NOTFOUND;
	case HSM_ERR_EXISTS: return BOS_E_EXISTS;
	default: return BOS_E_HSM;
	}
}

/* Start-up failures are mostly the operator's configuration to fix. */
static enum bos_err_code
client_map_start_err(uint32_t code)
{
	switch (code) {
	case HSM_ERR_CONFIG:
	case HSM_ERR_PIN:
	case HSM_ERR_NOTOKEN:
	case HSM_ERR_MODULE:
		return BOS_E_CONFIG;
	case HSM_ERR_EXISTS:
		return BOS_E_EXISTS;
	default:
		return BOS_E_HSM;
	}
}

/* ---- requests ---- */

typedef int (*client_parse_fn)(struct buf *resp, void *ctx);

/* The answer broke the protocol or never came: bos-hsmd is not trustworthy. */
static int
client_fail_recv(struct hsm_client *c, enum recv_status st, struct bos_err *err)
{
	if (st == RECV_EOF) {
		client_mark_dead(c, 0);
		return client_err_dead(c, err);
	}
	client_mark_dead(c, 1);
	if (st == RECV_TIMEOUT)
		return bos_err_set(err, BOS_E_HSM, "bos-hsmd did not answer within %d s and was "
		    "killed; the vault will not serve secrets without it", CLIENT_CALL_MS / 1000);
	return bos_err_set(err, BOS_E_HSM, "bos-hsmd sent a malformed answer and was killed; "
	    "the vault will not serve secrets without it");
}

static int
client_answer(struct hsm_client *c, uint32_t type, struct buf *resp, client_parse_fn parse,
    void *ctx, struct bos_err *err)
{
	char msg[HSM_ERRMSG_MAX + 1];
	uint32_t code;

	if (type == HSM_MSG_ERR) {
		if (hsm_frame_get_err(resp, &code, msg, sizeof(msg)) != 0)
			return client_fail_recv(c, RECV_BAD, err);
		return bos_err_set(err, hsm_client_map_err(code), "bos-hsmd: %s", msg);
	}
	if (type != HSM_MSG_OK || parse(resp, ctx) != 0 || buf_remaining(resp) != 0)
		return client_fail_recv(c, RECV_BAD, err);
	return 0;
}

int
hsm_client_exchange_locked(struct hsm_client *c, const void *frame, size_t n, uint32_t *type,
    struct buf *resp, struct bos_err *err)
{
	enum recv_status st;

	if (!c->alive)
		return client_err_dead(c, err);
	if (io_send_full(c->fd, frame, n) != 0)
		return client_fail_recv(c, RECV_EOF, err);
	if ((st = client_recv(c, CLIENT_CALL_MS, type, resp)) != RECV_OK)
		return client_fail_recv(c, st, err);
	return 0;
}

static int
client_call_locked(struct hsm_client *c, uint32_t type, const struct buf *req,
    client_parse_fn parse, void *ctx, struct bos_err *err)
{
	struct buf resp, f;
	uint32_t rtype = 0;
	int r;

	if (!c->alive)
		return client_err_dead(c, err);
	if (buf_init(&resp, HSM_PAYLOAD_MAX) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (buf_init(&f, HSM_HDR_LEN + HSM_PAYLOAD_MAX) != 0) {
		r = client_fail_recv(c, RECV_EOF, err);
		buf_free(&resp);
		return r;
	}
	if (hsm_frame_put(&f, type, req->data, req->len) != 0)
		r = client_fail_recv(c, RECV_EOF, err);
	else if ((r = hsm_client_exchange_locked(c, f.data, f.len, &rtype, &resp, err)) == 0)
		r = client_answer(c, rtype, &resp, parse, ctx, err);
	buf_free(&f);
	buf_free(&resp);
	return r;
}

static int
client_call(struct hsm_client *c, uint32_t type, const struct buf *req,
    client_parse_fn parse, void *ctx, struct bos_err *err)
{
	int r;

	void (*fn)(void *, double);
	void *arg;
	struct timespec t0, t1;

	if (c == NULL)
		return bos_err_set(err, BOS_E_HSM, "bos-hsmd is not running");
	pthread_mutex_lock(&c->mu);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = client_call_locked(c, type, req, parse, ctx, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fn = c->obs_fn;
	arg = c->obs_arg;
	pthread_mutex_unlock(&c->mu);
	if (fn != NULL)
		fn(arg, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return r;
}

/* An output buffer and the exact or maximum length an answer may have. */
struct client_out {
	uint8_t *p;
	size_t cap;
	size_t min, max;
	size_t *len;
};

static int
client_parse_none(struct buf *resp, void *ctx)
{
	(void)resp;
	(void)ctx;
	return 0;
}

static int
client_parse_str16(struct buf *resp, void *ctx)
{
	struct client_out *o = ctx;
	const uint8_t *p;
	size_t n;

	if (buf_get_str16(resp, &p, &n, o->max) != 0 || n < o->min || n > o->cap)
		return -1;
	memcpy(o->p, p, n);
	*o->len = n;
	return 0;
}

static int
client_req_init(struct buf *req, struct bos_err *err)
{
	if (buf_init(req, HSM_PAYLOAD_MAX) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	return 0;
}

int
hsm_keygen(struct hsm_client *c, uint32_t version, struct bos_err *err)
{
	struct buf req;
	int r = -1;

	if (client_req_init(&req, err) != 0)
		return -1;
	if (buf_put_u32(&req, version) == 0)
		r = client_call(c, HSM_MSG_KEYGEN, &req, client_parse_none, NULL, err);
	buf_free(&req);
	return r;
}

int
hsm_wrap(struct hsm_client *c, uint32_t kek_version, const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len, uint8_t *blob, size_t blob_cap, size_t *blob_len,
    struct bos_err *err)
{
	size_t want = pt_len + HSM_IV_LEN + HSM_TAG_LEN;
	struct client_out o = { blob, blob_cap, want, want, blob_len };
	struct buf req;
	int r = -1;

	if (pt_len == 0 || pt_len > HSM_PT_MAX || aad_len > HSM_AAD_MAX || blob_cap < want)
		return bos_err_set(err, BOS_E_INVALID, "wrap: plaintext must be 1 to %d bytes, "
		    "AAD at most %d, and the output buffer %zu bytes", HSM_PT_MAX, HSM_AAD_MAX,
		    want);
	if (client_req_init(&req, err) != 0)
		return -1;
	if (buf_put_u32(&req, kek_version) == 0 && buf_put_str16(&req, aad, aad_len) == 0 &&
	    buf_put_str16(&req, pt, pt_len) == 0)
		r = client_call(c, HSM_MSG_WRAP, &req, client_parse_str16, &o, err);
	buf_free(&req);
	return r;
}

int
hsm_unwrap(struct hsm_client *c, uint32_t kek_version, const uint8_t *aad, size_t aad_len,
    const uint8_t *blob, size_t blob_len, uint8_t *pt, size_t pt_cap, size_t *pt_len,
    struct bos_err *err)
{
	size_t want = blob_len > HSM_IV_LEN + HSM_TAG_LEN ? blob_len - HSM_IV_LEN - HSM_TAG_LEN : 0;
	struct client_out o = { pt, pt_cap, want, want, pt_len };
	struct buf req;
	int r = -1;

	if (aad_len > HSM_AAD_MAX || blob_len > HSM_BLOB_MAX || pt_cap < want)
		return bos_err_set(err, BOS_E_INVALID, "unwrap: blob must be at most %d bytes, "
		    "AAD at most %d, and the output buffer %zu bytes", HSM_BLOB_MAX, HSM_AAD_MAX,
		    want);
	if (client_req_init(&req, err) != 0)
		return -1;
	if (buf_put_u32(&req, kek_version) == 0 && buf_put_str16(&req, aad, aad_len) == 0 &&
	    buf_put_str16(&req, blob, blob_len) == 0)
		r = client_call(c, HSM_MSG_UNWRAP, &req, client_parse_str16, &o, err);
	buf_free(&req);
	/* An answer of the wrong length was refused; never leave a partial copy. */
	if (r != 0)
		secmem_wipe(pt, pt_cap);
	return r;
}

int
hsm_sign(struct hsm_client *c, uint32_t audit_version,
    const uint8_t digest[static HSM_DIGEST_LEN], uint8_t *sig, size_t sig_cap,
    size_t *sig_len, struct bos_err *err)
{
	/* The shortest DER ECDSA-Sig-Value is 8 bytes. */
	struct client_out o = { sig, sig_cap, 8, HSM_SIG_MAX, sig_len };
	struct buf req;
	int r = -1;

	if (client_req_init(&req, err) != 0)
		return -1;
	if (buf_put_u32(&req, audit_version) == 0 &&
	    buf_put_str16(&req, digest, HSM_DIGEST_LEN) == 0)
		r = client_call(c, HSM_MSG_SIGN, &req, client_parse_str16, &o, err);
	buf_free(&req);
	return r;
}

int
hsm_pubkey(struct hsm_client *c, uint32_t audit_version, uint8_t *der, size_t der_cap,
    size_t *der_len, struct bos_err *err)
{
	struct client_out o = { der, der_cap, 1, HSM_PUBKEY_MAX, der_len };
	struct buf req;
	int r = -1;

	if (client_req_init(&req, err) != 0)
		return -1;
	if (buf_put_u32(&req, audit_version) == 0)
		r = client_call(c, HSM_MSG_PUBKEY, &req, client_parse_str16, &o, err);
	buf_free(&req);
	return r;
}

int
hsm_random(struct hsm_client *c, void *out, size_t n, struct bos_err *err)
{
	size_t got = 0;
	struct client_out o = { out, n, n, n, &got };
	struct buf req;
	int r = -1;

	if (n == 0 || n > HSM_RANDOM_MAX)
		return bos_err_set(err, BOS_E_INVALID, "random: 1 to %d bytes", HSM_RANDOM_MAX);
	if (client_req_init(&req, err) != 0)
		return -1;
	if (buf_put_u32(&req, (uint32_t)n) == 0)
		r = client_call(c, HSM_MSG_RANDOM, &req, client_parse_str16, &o, err);
	buf_free(&req);
	if (r != 0)
		secmem_wipe(out, n);
	return r;
}

/* ---- life cycle ---- */

static int
client_check_cfg(const struct hsm_config *cfg, enum hsm_mode mode, struct bos_err *err)
{
	if (cfg != NULL && cfg->socket_path != NULL) {
		if (mode != HSM_MODE_SERVE)
			return bos_err_set(err, BOS_E_CONFIG, "over hsm_socket bos-hsmd only serves: "
			    "keys and tokens are made by 'bos-hsmd init' as its own user "
			    "(docs/HSM.md)");
		return 0;
	}
	if (cfg == NULL || cfg->hsmd_path == NULL || cfg->module_path == NULL ||
	    cfg->token_label == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "HSM configuration needs the bos-hsmd "
		    "path, the PKCS#11 module and the token label");
	if ((mode == HSM_MODE_CREATE_TOKEN) != (cfg->so_pin_file != NULL))
		return bos_err_set(err, BOS_E_CONFIG, "an SO PIN file is needed to create a "
		    "token, and only then");
	if (mode != HSM_MODE_SERVE && mode != HSM_MODE_INIT && mode != HSM_MODE_CREATE_TOKEN)
		return bos_err_set(err, BOS_E_CONFIG, "unknown HSM mode");
	return 0;
}

static int
client_spawn(struct hsm_client *c, const struct client_exec *x, struct bos_err *err)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return bos_err_set(err, BOS_E_IO, "socketpair: %s", strerror(errno));
	if ((c->pid = fork()) < 0) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		return bos_err_set(err, BOS_E_IO, "fork: %s", strerror(errno));
	}
	if (c->pid == 0)
		client_child(sv[1], sv[0], x);
	(void)close(sv[1]);
	c->fd = sv[0];
	c->alive = 1;
	return 0;
}

/* bos-hsmd went away before READY: say why as precisely as we can. */
static int
client_err_early_exit(struct hsm_client *c, struct bos_err *err)
{
	char st[64];

	client_mark_dead(c, 0);
	if (c->pid <= 0)
		return bos_err_set(err, BOS_E_HSM, "bos-hsmd at %s closed the connection before it "
		    "was ready (it serves one uid only: is the vault running as that user? its log "
		    "says why)", c->path);
	if (c->status >= 0 && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 127)
		return bos_err_set(err, BOS_E_CONFIG, "could not execute %s%s%s", c->path,
		    access(c->path, X_OK) != 0 ? ": " : "",
		    access(c->path, X_OK) != 0 ? strerror(errno) : "");
	client_status_text(c, st, sizeof(st));
	return bos_err_set(err, BOS_E_HSM, "bos-hsmd exited with %s before it was ready", st);
}

static int
client_wait_ready(struct hsm_client *c, struct bos_err *err)
{
	char msg[HSM_ERRMSG_MAX + 1];
	struct buf p;
	enum recv_status st;
	uint32_t type = 0, code;
	int r = -1;

	if (buf_init(&p, HSM_PAYLOAD_MAX) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	st = client_recv(c, CLIENT_READY_MS, &type, &p);
	if (st == RECV_EOF)
		client_err_early_exit(c, err);
	else if (st == RECV_TIMEOUT) {
		client_mark_dead(c, 1);
		bos_err_set(err, BOS_E_HSM, "bos-hsmd did not report ready within %d s",
		    CLIENT_READY_MS / 1000);
	} else if (st == RECV_OK && type == HSM_MSG_READY && p.len == 0)
		r = 0;
	else if (st == RECV_OK && type == HSM_MSG_ERR &&
	    hsm_frame_get_err(&p, &code, msg, sizeof(msg)) == 0) {
		client_mark_dead(c, 0);
		bos_err_set(err, client_map_start_err(code), "bos-hsmd: %s", msg);
	} else {
		client_mark_dead(c, 1);
		bos_err_set(err, BOS_E_HSM, "bos-hsmd sent a malformed start-up answer");
	}
	buf_free(&p);
	return r;
}

/* hsm_socket: the connection is the channel; there is no child to reap. */
static int
client_connect(struct hsm_client *c, const char *path, struct bos_err *err)
{
	if (hsm_connect(path, &c->fd, err) != 0)
		return -1;
	c->watch_fd = c->fd;
	c->reaped = 1;
	c->alive = 1;
	return 0;
}

static struct hsm_client *
client_new(const char *path)
{
	struct hsm_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = -1;
	c->pid = -1;
	c->watch_fd = -1;
	c->status = -1;
	if ((c->path = strdup(path)) == NULL || pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->path);
		free(c);
		return NULL;
	}
	return c;
}

int
hsm_client_start(const struct hsm_config *cfg, enum hsm_mode mode, struct hsm_client **out,
    struct bos_err *err)
{
	struct client_exec x;
	struct hsm_client *c = NULL;
	int r = -1;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	if (client_check_cfg(cfg, mode, err) != 0)
		return -1;
	if (cfg->socket_path == NULL && client_exec_build(&x, cfg, mode) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if ((c = client_new(cfg->socket_path != NULL ? cfg->socket_path : cfg->hsmd_path)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	if ((cfg->socket_path != NULL ? client_connect(c, cfg->socket_path, err) :
	    client_spawn(c, &x, err)) != 0 || client_wait_ready(c, err) != 0)
		goto out;
	*out = c;
	c = NULL;
	/* success */
	r = 0;
 out:
	client_exec_free(&x);
	hsm_client_stop(c);
	return r;
}

void
hsm_client_stop(struct hsm_client *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	/* EOF on fd 3 tells bos-hsmd to log out, finalize and exit 0. */
	client_mark_dead(c, 0);
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_destroy(&c->mu);
	free(c->path);
	free(c);
}

int
hsm_client_alive(struct hsm_client *c)
{
	int status = 0, alive;
	pid_t w;

	if (c == NULL)
		return 0;
	/*
	 * A call in progress holds mu for its round trip (up to the 30 s
	 * timeout if bos-hsmd hangs): every request asks this before its
	 * handler, so it must not queue behind one. Then the flag says enough;
	 * the call itself marks bos-hsmd dead if it fails.
	 */
	if (pthread_mutex_trylock(&c->mu) != 0)
		return atomic_load(&c->alive);
	if (c->alive && c->pid <= 0 && hsm_connect_gone(c->fd))
		client_mark_dead(c, 0);
	else if (c->alive && c->pid > 0 && (w = waitpid(c->pid, &status, WNOHANG)) != 0 &&
	    !(w < 0 && errno == EINTR)) {
		client_set_status(c, w, status);
		client_mark_dead(c, 0);
	}
	alive = c->alive;
	pthread_mutex_unlock(&c->mu);
	return alive;
}

pid_t
hsm_client_pid(const struct hsm_client *c)
{
	return c != NULL ? c->pid : -1;
}

int
hsm_client_watch_fd(const struct hsm_client *c)
{
	return c != NULL ? c->watch_fd : -1;
}

void
hsm_client_set_observer(struct hsm_client *c, void (*fn)(void *arg, double seconds), void *arg)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->obs_fn = fn;
	c->obs_arg = arg;
	pthread_mutex_unlock(&c->mu);
}
