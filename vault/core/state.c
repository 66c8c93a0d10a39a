/* The state directory; see state.h. */
#include "core/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"
#include "core/keyfile.h"
#include "log.h"
#include "policy.h"
#include "secmem.h"
#include "store/outreach_notice_queue.h"
#include "store/store.h"
#include "core/tls_cert.h"

#define STATE_PIN_BYTES 16

/* Build "dir/name" into out; -1 if it does not fit. */
static int
state_path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

/* Resolve dir to an absolute path in out; -1 with errno set on failure. */
static int
state_resolve(const char *dir, char *out, size_t cap)
{
	char *abs = realpath(dir, NULL);
	int n;

	if (abs == NULL)
		return -1;
	n = snprintf(out, cap, "%s", abs);
	free(abs);
	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
state_dir_is_fresh(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int fresh = 1;

	if (d == NULL)
		return errno == ENOENT ? 1 : -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			fresh = 0;
			break;
		}
	}
	closedir(d);
	return fresh;
}

int
state_find_hsmd(char *out, size_t cap)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (snprintf(out, cap, "%s/bos-hsmd", self) < (int)cap &&
			    access(out, X_OK) == 0)
				return 0;
		}
	}
	if (snprintf(out, cap, "%s/bos-hsmd", BOS_LIBEXECDIR) >= (int)cap)
		return -1;
	return access(out, X_OK) == 0 ? 0 : -1;
}

/* Write a new file (must not exist) with the given mode, durably. */
static int
state_write_new(const char *path, const void *data, size_t len, mode_t mode, struct bos_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return bos_err_set(err, BOS_E_IO, "cannot create %s: %s", path, strerror(errno));
	if (io_write_full(fd, data, len) != 0 || fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* A random PIN as 32 hex characters, written to a new 0400 file. */
static int
state_write_pin(const char *path, struct bos_err *err)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[STATE_PIN_BYTES];
	char pin[2 * STATE_PIN_BYTES + 1];
	size_t i;
	int r;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	for (i = 0; i < sizeof(raw); i++) {
		pin[2 * i] = hex[raw[i] >> 4];
		pin[2 * i + 1] = hex[raw[i] & 15];
	}
	pin[2 * STATE_PIN_BYTES] = '\n';
	r = state_write_new(path, pin, sizeof(pin), 0400, err);
	secmem_wipe(raw, sizeof(raw));
	secmem_wipe(pin, sizeof(pin));
	return r;
}

/* The development SoftHSM: its own config and token directory inside dir. */
static int
state_init_softhsm(const char *dir, struct bos_err *err)
{
	char conf[CONFIG_PATH_MAX], tokens[CONFIG_PATH_MAX], text[2 * CONFIG_PATH_MAX];
	int n;

	if (state_path(conf, sizeof(conf), dir, STATE_SOFTHSM_CONF) != 0 ||
	    state_path(tokens, sizeof(tokens), dir, STATE_TOKENS) != 0)
		return bos_err_set(err, BOS_E_INVALID, "state directory path is too long");
	if (mkdir(tokens, 0700) != 0)
		return bos_err_set(err, BOS_E_IO, "cannot create %s: %s", tokens, strerror(errno));
	/* SoftHSM needs an absolute token directory; dir is already absolute. */
	n = snprintf(text, sizeof(text),
	    "# SoftHSM2 for a BOS development vault\n"
	    "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
	    "slots.removable = false\n", tokens);
	if (n < 0 || (size_t)n >= sizeof(text))
		return bos_err_set(err, BOS_E_INVALID, "state directory path is too long");
	return state_write_new(conf, text, (size_t)n, 0600, err);
}

static int
state_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Undo a failed state_init: remove what it created, nothing else. */
static void
state_init_undo(const char *dir, int created_dir)
{
	static const char *const names[] = { STATE_DB, STATE_DB "-wal", STATE_DB "-shm",
		STATE_DBKEY, STATE_CONF, STATE_PIN, STATE_SO_PIN, STATE_SOFTHSM_CONF, STATE_POLICY };
	char p[CONFIG_PATH_MAX];
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(names); i++)
		if (state_path(p, sizeof(p), dir, names[i]) == 0)
			(void)unlink(p);
	if (state_path(p, sizeof(p), dir, STATE_TOKENS) == 0)
		(void)nftw(p, state_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	if (state_path(p, sizeof(p), dir, TLS_DIR) == 0)
		(void)nftw(p, state_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	if (created_dir)
		(void)rmdir(dir);
}

/* Fill the configuration that state_init writes to bos.conf. */
static int
state_init_config(const char *dir, const struct state_init_opts *o, struct bos_err *err)
{
	struct config c;
	char path[CONFIG_PATH_MAX];
	const char *label = o->token_label ? o->token_label : (o->dev ? STATE_DEV_TOKEN : NULL);

	config_defaults(&c);
	c.sandbox_unconfined_paths = o->unconfined_paths ? 1 : 0;
	if (label == NULL || strlen(label) >= sizeof(c.token_label) || label[0] == '\0')
		return bos_err_set(err, BOS_E_INVALID, "a token label of 1 to 32 characters is required");
	(void)snprintf(c.token_label, sizeof(c.token_label), "%s", label);
	if (o->module != NULL &&
	    snprintf(c.pkcs11_module, sizeof(c.pkcs11_module), "%s", o->module) >= (int)sizeof(c.pkcs11_module))
		return bos_err_set(err, BOS_E_INVALID, "module path is too long");
	if (o->dev) {
		(void)snprintf(c.pin_file, sizeof(c.pin_file), "%s", STATE_PIN);
		(void)snprintf(c.softhsm_conf, sizeof(c.softhsm_conf), "%s", STATE_SOFTHSM_CONF);
	} else if (o->pin_file != NULL &&
	    snprintf(c.pin_file, sizeof(c.pin_file), "%s", o->pin_file) >= (int)sizeof(c.pin_file)) {
		return bos_err_set(err, BOS_E_INVALID, "PIN file path is too long");
	}
	if (o->hsm_socket != NULL && (o->dev || o->hsm_socket[0] != '/' ||
	    snprintf(c.hsm_socket, sizeof(c.hsm_socket), "%s", o->hsm_socket) >= (int)sizeof(c.hsm_socket)))
		return bos_err_set(err, BOS_E_INVALID, "the HSM socket must be an absolute path of at "
		    "most %zu bytes, and not for a development vault", sizeof(c.hsm_socket) - 1);
	if (state_path(path, sizeof(path), dir, STATE_CONF) != 0)
		return bos_err_set(err, BOS_E_INVALID, "state directory path is too long");
	return config_write(path, &c, err);
}

/*
 * The default role policies, for the admin to read and tighten. Not secret,
 * but who can change it decides what admins may do: 0600, like bos.conf.
 */
static int
state_init_policy(const char *dir, struct bos_err *err)
{
	char path[CONFIG_PATH_MAX];

	if (state_path(path, sizeof(path), dir, STATE_POLICY) != 0)
		return bos_err_set(err, BOS_E_INVALID, "state directory path is too long");
	return state_write_new(path, policy_default_text, strlen(policy_default_text), 0600, err);
}

static void
state_hsm_config(const struct state *st, const char *hsmd, const char *so_pin,
    struct hsm_config *hc)
{
	memset(hc, 0, sizeof(*hc));
	hc->hsmd_path = hsmd;
	hc->module_path = st->conf.pkcs11_module;
	hc->token_label = st->conf.token_label;
	hc->pin_file = st->conf.pin_file[0] ? st->conf.pin_file : NULL;
	hc->softhsm_conf = st->conf.softhsm_conf[0] ? st->conf.softhsm_conf : NULL;
	hc->so_pin_file = so_pin;
	hc->unconfined_paths_ok = st->conf.sandbox_unconfined_paths != 0;
	hc->socket_path = st->conf.hsm_socket[0] ? st->conf.hsm_socket : NULL;
}

/* Generate the DB key in the HSM, wrap it by the KEK and store db.key. */
static int
state_init_dbkey(struct state *st, uint8_t key[static KEYFILE_DB_KEY_LEN], struct bos_err *err)
{
	uint8_t blob[HSM_BLOB_MAX];
	char path[CONFIG_PATH_MAX];
	size_t blob_len;

	if (state_path(path, sizeof(path), st->dir, STATE_DBKEY) != 0)
		return bos_err_set(err, BOS_E_INVALID, "state directory path is too long");
	if (hsm_random(st->hsm, key, KEYFILE_DB_KEY_LEN, err) != 0 ||
	    hsm_wrap(st->hsm, st->kek_version, (const uint8_t *)KEYFILE_AAD, strlen(KEYFILE_AAD),
	    key, KEYFILE_DB_KEY_LEN, blob, sizeof(blob), &blob_len, err) != 0)
		return -1;
	return keyfile_write(path, st->kek_version, blob, blob_len, err);
}

/* After the files exist: token and keys in the HSM, DB key, empty database. */
static int
state_init_keys(struct state *st, int dev, struct bos_err *err)
{
	char hsmd[PATH_MAX], so_pin[CONFIG_PATH_MAX], db[CONFIG_PATH_MAX];
	struct hsm_config hc;
	uint8_t *key = NULL;
	int r = -1;

	if (state_find_hsmd(hsmd, sizeof(hsmd)) != 0 && st->conf.hsm_socket[0] == '\0')
		return bos_err_set(err, BOS_E_CONFIG, "cannot find bos-hsmd beside this program or in %s", BOS_LIBEXECDIR);
	if (state_path(so_pin, sizeof(so_pin), st->dir, STATE_SO_PIN) != 0 ||
	    state_path(db, sizeof(db), st->dir, STATE_DB) != 0)
		return bos_err_set(err, BOS_E_INVALID, "state directory path is too long");
	state_hsm_config(st, hsmd, dev ? so_pin : NULL, &hc);
	/* Over hsm_socket the keys were made by 'bos-hsmd init': serve mode, no keygen. */
	if (hsm_client_start(&hc, hc.socket_path != NULL ? HSM_MODE_SERVE : dev ?
	    HSM_MODE_CREATE_TOKEN : HSM_MODE_INIT, &st->hsm, err) != 0)
		goto out;
	st->kek_version = 1;
	if (hc.socket_path == NULL && hsm_keygen(st->hsm, st->kek_version, err) != 0)
		goto out;
	if ((key = secmem_alloc(KEYFILE_DB_KEY_LEN)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "cannot allocate locked memory for the database key");
		goto out;
	}
	if (state_init_dbkey(st, key, err) != 0 || store_open(db, key, 1, &st->store, err) != 0)
		goto out;
	/* success */
	r = 0;
out:
	secmem_free(key, KEYFILE_DB_KEY_LEN);
	return r;
}

/* Development: a self-signed certificate for the HTTPS listener. */
static int
state_init_tls(struct state *st, struct bos_err *err)
{
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;

	if (tls_cert_load(st->dir, &st->conf, 1, &cert, &cert_len, &key, &key_len, err) != 0)
		return -1;
	secmem_freezero(key, key_len);
	free(cert);
	return 0;
}

int
state_init(const char *dir, const struct state_init_opts *o, struct bos_err *err)
{
	struct state st;
	char conf[CONFIG_PATH_MAX];
	int fresh, created = 0, r = -1;

	memset(&st, 0, sizeof(st));
	if ((fresh = state_dir_is_fresh(dir)) < 0)
		return bos_err_set(err, BOS_E_IO, "cannot read %s: %s", dir, strerror(errno));
	if (!fresh)
		return bos_err_set(err, BOS_E_EXISTS, "state directory %s is not empty; refusing to "
		    "overwrite it (choose another --state-dir, or move the old state away)", dir);
	if (mkdir(dir, 0700) == 0)
		created = 1;
	else if (errno != EEXIST)
		return bos_err_set(err, BOS_E_IO, "cannot create %s: %s", dir, strerror(errno));
	if (state_resolve(dir, st.dir, sizeof(st.dir)) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot resolve %s: %s", dir, strerror(errno));
		goto out;
	}
	if (o->dev && (state_init_softhsm(st.dir, err) != 0 ||
	    state_path(conf, sizeof(conf), st.dir, STATE_PIN) != 0 || state_write_pin(conf, err) != 0 ||
	    state_path(conf, sizeof(conf), st.dir, STATE_SO_PIN) != 0 || state_write_pin(conf, err) != 0))
		goto out;
	if (state_init_config(st.dir, o, err) != 0 || state_init_policy(st.dir, err) != 0 ||
	    state_path(conf, sizeof(conf), st.dir, STATE_CONF) != 0 ||
	    config_load(conf, st.dir, &st.conf, err) != 0)
		goto out;
	if (state_init_keys(&st, o->dev, err) != 0)
		goto out;
	if (o->dev && state_init_tls(&st, err) != 0)
		goto out;
	/* success */
	r = 0;
out:
	state_close(&st);
	if (r != 0)
		state_init_undo(st.dir[0] ? st.dir : dir, created);
	return r;
}

/* Everything state_open checks before it starts bos-hsmd. */
static int
state_open_files(struct state *st, uint8_t *blob, size_t cap, size_t *blob_len, struct bos_err *err)
{
	char p[CONFIG_PATH_MAX];
	struct stat sb;

	if (state_path(p, sizeof(p), st->dir, STATE_CONF) != 0)
		return bos_err_set(err, BOS_E_INVALID, "state directory path is too long");
	if (config_load(p, st->dir, &st->conf, err) != 0) {
		if (err != NULL && err->code == BOS_E_NOTFOUND)
			return bos_err_set(err, BOS_E_NOTFOUND, "no vault in %s (%s is missing); create "
			    "one with 'bos-vaultd init --state-dir %s'", st->dir, STATE_CONF, st->dir);
		return -1;
	}
	if (state_path(p, sizeof(p), st->dir, STATE_DBKEY) != 0 ||
	    keyfile_read(p, &st->kek_version, blob, cap, blob_len, err) != 0)
		return -1;
	if (state_path(p, sizeof(p), st->dir, STATE_DB) != 0 || stat(p, &sb) != 0)
		return bos_err_set(err, BOS_E_NOTFOUND, "database %s/%s is missing; restore it "
		    "from a backup", st->dir, STATE_DB);
	return 0;
}

/* Unwrap the DB key into locked memory and open the database with it. */
static int
state_open_db(struct state *st, const uint8_t *blob, size_t blob_len, struct bos_err *err)
{
	struct outreach_notice_conf notice;
	char db[CONFIG_PATH_MAX];
	uint8_t *key;
	size_t key_len = 0;
	int r = -1;

	if ((key = secmem_alloc(HSM_PT_MAX)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "cannot allocate locked memory for the database key");
	if (hsm_unwrap(st->hsm, st->kek_version, (const uint8_t *)KEYFILE_AAD, strlen(KEYFILE_AAD),
	    blob, blob_len, key, HSM_PT_MAX, &key_len, err) != 0) {
		if (err != NULL && err->code == BOS_E_AUTH)
			bos_err_set(err, BOS_E_CORRUPT, "wrapped database key %s/%s does not "
			    "authenticate under HSM key " HSM_KEK_LABEL_FMT ": the file is corrupt or "
			    "belongs to another token", st->dir, STATE_DBKEY, st->kek_version);
		else if (err != NULL && err->code == BOS_E_NOTFOUND)
			bos_err_set(err, BOS_E_NOTFOUND, "token '%s' has no key " HSM_KEK_LABEL_FMT
			    " (wrong token?)", st->conf.token_label, st->kek_version);
		goto out;
	}
	if (key_len != KEYFILE_DB_KEY_LEN) {
		bos_err_set(err, BOS_E_CORRUPT, "wrapped database key %s/%s has the wrong length",
		    st->dir, STATE_DBKEY);
		goto out;
	}
	if (state_path(db, sizeof(db), st->dir, STATE_DB) != 0 ||
	    store_open(db, key, 0, &st->store, err) != 0)
		goto out;
	config_notice(&st->conf, &notice);
	if (outreach_notice_configure(st->store, &notice, err) != 0)
		goto out;
	/* success */
	r = 0;
out:
	secmem_free(key, HSM_PT_MAX);
	return r;
}

int
state_open(const char *dir, struct state *st, struct bos_err *err)
{
	return state_open_with(dir, NULL, st, err);
}

int
state_open_with(const char *dir, const char *hsmd_path, struct state *st, struct bos_err *err)
{
	char hsmd[PATH_MAX];
	struct hsm_config hc;
	uint8_t blob[HSM_BLOB_MAX];
	size_t blob_len;

	memset(st, 0, sizeof(*st));
	if (state_resolve(dir, st->dir, sizeof(st->dir)) != 0) {
		if (errno == ENOENT)
			return bos_err_set(err, BOS_E_NOTFOUND, "no vault in %s (the directory does "
			    "not exist); create one with 'bos-vaultd init --state-dir %s'", dir, dir);
		return bos_err_set(err, BOS_E_IO, "state directory %s: %s", dir, strerror(errno));
	}
	if (state_open_files(st, blob, sizeof(blob), &blob_len, err) != 0)
		return -1;
	if (hsmd_path != NULL) {
		if (snprintf(hsmd, sizeof(hsmd), "%s", hsmd_path) >= (int)sizeof(hsmd))
			return bos_err_set(err, BOS_E_INVALID, "bos-hsmd path is too long");
	} else if (state_find_hsmd(hsmd, sizeof(hsmd)) != 0 && st->conf.hsm_socket[0] == '\0') {
		return bos_err_set(err, BOS_E_CONFIG, "cannot find bos-hsmd beside this program or in %s", BOS_LIBEXECDIR);
	}
	state_hsm_config(st, hsmd, NULL, &hc);
	if (hsm_client_start(&hc, HSM_MODE_SERVE, &st->hsm, err) != 0 ||
	    state_open_db(st, blob, blob_len, err) != 0) {
		state_close(st);
		return -1;
	}
	return 0;
}

void
state_close(struct state *st)
{
	if (st->store != NULL)
		store_close(st->store);
	st->store = NULL;
	hsm_client_stop(st->hsm);
	st->hsm = NULL;
}
