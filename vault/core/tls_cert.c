/*
 * TLS certificate and key of the HTTPS listener; see tls_cert.h.
 *
 * Loading checks what GnuTLS would otherwise report vaguely or not at all:
 * that each file is there and readable, that the key is private to us (mode
 * 0600 or 0400), that both are PEM, and that the key belongs to the
 * certificate. Every message names the file.
 *
 * The development certificate is an EC P-256 key and a self-signed X.509 v3
 * certificate for localhost, 127.0.0.1 and ::1, valid 825 days (the most a
 * browser accepts for a server certificate), written with O_EXCL and
 * fsync'd so a crash never leaves half a key behind.
 */
#include "core/tls_cert.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"
#include "log.h"
#include "secmem.h"

#define TLS_PEM_MAX (64 * 1024)
#define TLS_VALID_DAYS 825
#define TLS_SERIAL_BYTES 16

struct tls_paths {
	char dir[CONFIG_PATH_MAX + 8];  /* DIR/tls */
	char cert[CONFIG_PATH_MAX + 16];
	char key[CONFIG_PATH_MAX + 16];
	int dflt;                       /* both are the DIR/tls/ defaults */
};

/* ---- paths ---- */

static int
tls_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static int
tls_copy(char *out, size_t cap, const char *s)
{
	int n = snprintf(out, cap, "%s", s);

	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static int
tls_paths(const char *state_dir, const struct config *c, struct tls_paths *p, struct bos_err *err)
{
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0'))
		return bos_err_set(err, BOS_E_CONFIG, "set both tls_cert and tls_key in bos.conf, "
		    "or neither (for %s/%s)", state_dir, TLS_DIR);
	p->dflt = c->tls_cert[0] == '\0';
	if (tls_join(p->dir, sizeof(p->dir), state_dir, TLS_DIR) != 0 ||
	    (p->dflt ? tls_join(p->cert, sizeof(p->cert), state_dir, TLS_CERT_FILE) :
	    tls_copy(p->cert, sizeof(p->cert), c->tls_cert)) != 0 ||
	    (p->dflt ? tls_join(p->key, sizeof(p->key), state_dir, TLS_KEY_FILE) :
	    tls_copy(p->key, sizeof(p->key), c->tls_key)) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "TLS file path is too long");
	return 0;
}

/* ---- reading ---- */

static int
tls_open_err(const char *what, const char *path, int e, struct bos_err *err)
{
	if (e == ENOENT)
		return bos_err_set(err, BOS_E_CONFIG, "TLS %s %s is missing (a development vault gets "
		    "one from `bos-vaultd init --dev`; otherwise set tls_cert and tls_key in bos.conf)",
		    what, path);
	return bos_err_set(err, BOS_E_IO, "cannot read TLS %s %s: %s", what, path, strerror(e));
}

static int
tls_check_stat(const char *what, const char *path, const struct stat *st, int is_key,
    struct bos_err *err)
{
	mode_t mode = st->st_mode & 07777;

	if (!S_ISREG(st->st_mode))
		return bos_err_set(err, BOS_E_CONFIG, "TLS %s %s is not a regular file", what, path);
	if (is_key && mode != 0600 && mode != 0400)
		return bos_err_set(err, BOS_E_CONFIG, "TLS key %s has mode %04o; it must be 0600 or "
		    "0400 (chmod 0600 %s)", path, (unsigned)mode, path);
	if (st->st_size <= 0 || st->st_size > TLS_PEM_MAX)
		return bos_err_set(err, BOS_E_CONFIG, "TLS %s %s is %s", what, path,
		    st->st_size <= 0 ? "empty" : "too large to be a PEM file (over 64 KiB)");
	return 0;
}

/* Read a whole PEM file into a NUL-terminated buffer (libmicrohttpd wants C strings). */
static int
tls_read(const char *what, const char *path, int is_key, char **out, size_t *len,
    struct bos_err *err)
{
	struct stat st;
	char *p = NULL;
	size_t n = 0;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return tls_open_err(what, path, errno, err);
	if (fstat(fd, &st) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot inspect TLS %s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (tls_check_stat(what, path, &st, is_key, err) != 0)
		goto out;
	n = (size_t)st.st_size;
	if ((p = malloc(n + 1)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	if (io_read_full(fd, p, n) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot read TLS %s %s: %s", what, path,
		    errno ? strerror(errno) : "file shrank while read");
		goto out;
	}
	p[n] = '\0';
	if (strlen(p) != n) {
		bos_err_set(err, BOS_E_CONFIG, "TLS %s %s is not a PEM file", what, path);
		goto out;
	}
	*out = p;
	*len = n;
	p = NULL;
	/* success */
	r = 0;
 out:
	secmem_freezero(p, n + (p != NULL));
	close(fd);
	return r;
}

/* Never prompt on a terminal for the passphrase of an encrypted key. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static void
tls_warn_validity(const char *path, X509 *x)
{
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		log_warn("TLS certificate %s has expired: clients will refuse it", path);
	else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		log_warn("TLS certificate %s is not valid yet (check the clock)", path);
}

static int
tls_check_pair(const struct tls_paths *p, const char *cert, size_t cert_len, const char *key,
    size_t key_len, struct bos_err *err)
{
	BIO *cb = BIO_new_mem_buf(cert, (int)cert_len), *kb = BIO_new_mem_buf(key, (int)key_len);
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int r = -1;

	if (cb == NULL || kb == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	if ((x = PEM_read_bio_X509(cb, NULL, tls_no_passphrase, NULL)) == NULL) {
		bos_err_set(err, BOS_E_CONFIG, "TLS certificate %s is not a PEM certificate", p->cert);
		goto out;
	}
	if ((k = PEM_read_bio_PrivateKey(kb, NULL, tls_no_passphrase, NULL)) == NULL) {
		bos_err_set(err, BOS_E_CONFIG, "TLS key %s is not a PEM private key (an encrypted "
		    "key is not supported)", p->key);
		goto out;
	}
	if (X509_check_private_key(x, k) != 1) {
		bos_err_set(err, BOS_E_CONFIG, "TLS key %s does not match the certificate %s", p->key,
		    p->cert);
		goto out;
	}
	tls_warn_validity(p->cert, x);
	/* success */
	r = 0;
 out:
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	BIO_free(kb);
	BIO_free(cb);
	return r;
}

/* ---- creating the development pair ---- */

static int
tls_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (e == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

static int
tls_serial(X509 *x)
{
	unsigned char sn[TLS_SERIAL_BYTES];
	BIGNUM *bn;
	int r = -1;

	if (RAND_bytes(sn, sizeof(sn)) != 1)
		return -1;
	/* Positive (RFC 5280 4.1.2.2) and never zero. */
	sn[0] = (unsigned char)((sn[0] & 0x7f) | 0x01);
	if ((bn = BN_bin2bn(sn, sizeof(sn), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		r = 0;
	BN_free(bn);
	return r;
}

static int
tls_cert_fields(X509 *x, EVP_PKEY *key)
{
	X509_NAME *name = X509_get_subject_name(x);
	X509V3_CTX ctx;

	if (X509_set_version(x, X509_VERSION_3) != 1 || tls_serial(x) != 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), TLS_VALID_DAYS, 0, NULL) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
	    -1, -1, 0) != 1 || X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1)
		return -1;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (tls_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    tls_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") != 0 ||
	    tls_ext(x, &ctx, NID_ext_key_usage, "serverAuth") != 0 ||
	    tls_ext(x, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") != 0 ||
	    tls_ext(x, &ctx, NID_subject_key_identifier, "hash") != 0)
		return -1;
	return X509_sign(x, key, EVP_sha256()) > 0 ? 0 : -1;
}

/* Write a new file (O_EXCL: never replace one) with exactly mode, and fsync it. */
static int
tls_write_new(const char *path, mode_t mode, const char *data, size_t n, struct bos_err *err)
{
	int fd, e;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)) < 0)
		return bos_err_set(err, BOS_E_IO, "cannot create %s: %s", path, strerror(errno));
	/* The umask may have taken bits away; set exactly the mode we mean. */
	if (fchmod(fd, mode) != 0 || io_write_full(fd, data, n) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		(void)unlink(path);
		return bos_err_set(err, BOS_E_IO, "cannot write %s: %s", path, strerror(e));
	}
	if (close(fd) != 0) {
		e = errno;
		(void)unlink(path);
		return bos_err_set(err, BOS_E_IO, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

static int
tls_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static int
tls_make_dir(const char *state_dir, const char *dir, struct bos_err *err)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return tls_fsync_dir(state_dir) == 0 ? 0 :
		    bos_err_set(err, BOS_E_IO, "cannot sync %s: %s", state_dir, strerror(errno));
	if (errno != EEXIST)
		return bos_err_set(err, BOS_E_IO, "cannot create %s: %s", dir, strerror(errno));
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return bos_err_set(err, BOS_E_CONFIG, "%s exists and is not a directory", dir);
	return 0;
}

/* PEM of the key in OpenSSL's secure-memory BIO, then into a file of ours. */
static int
tls_write_key(const char *path, EVP_PKEY *key, struct bos_err *err)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data;
	long n;
	int r = -1;

	if (b == NULL || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(b, &data)) <= 0)
		bos_err_set(err, BOS_E_NOMEM, "cannot encode the TLS key");
	else
		r = tls_write_new(path, 0600, data, (size_t)n, err);
	BIO_free(b);
	return r;
}

static int
tls_write_cert(const char *path, X509 *x, struct bos_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int r = -1;

	if (b == NULL || PEM_write_bio_X509(b, x) != 1 || (n = BIO_get_mem_data(b, &data)) <= 0)
		bos_err_set(err, BOS_E_NOMEM, "cannot encode the TLS certificate");
	else
		r = tls_write_new(path, 0644, data, (size_t)n, err);
	BIO_free(b);
	return r;
}

static int
tls_create(const char *state_dir, const struct tls_paths *p, struct bos_err *err)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int r = -1;

	if (tls_make_dir(state_dir, p->dir, err) != 0)
		return -1;
	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL || (x = X509_new()) == NULL ||
	    tls_cert_fields(x, key) != 0) {
		bos_err_set(err, BOS_E_CONFIG, "cannot make the development TLS certificate "
		    "(OpenSSL error %lu)", ERR_peek_last_error());
		goto out;
	}
	if (tls_write_key(p->key, key, err) != 0)
		goto out;
	if (tls_write_cert(p->cert, x, err) != 0) {
		(void)unlink(p->key);
		goto out;
	}
	if (tls_fsync_dir(p->dir) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot sync %s: %s", p->dir, strerror(errno));
		goto out;
	}
	log_info("created a self-signed development TLS certificate %s (localhost, 127.0.0.1, ::1)",
	    p->cert);
	/* success */
	r = 0;
 out:
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}

static int
tls_missing(const char *path)
{
	struct stat st;

	return lstat(path, &st) != 0 && errno == ENOENT;
}

int
tls_cert_load(const char *state_dir, const struct config *c, int create, char **cert_pem,
    size_t *cert_len, char **key_pem, size_t *key_len, struct bos_err *err)
{
	struct tls_paths p;
	char *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0;
	int r = -1;

	*cert_pem = *key_pem = NULL;
	*cert_len = *key_len = 0;
	if (tls_paths(state_dir, c, &p, err) != 0)
		return -1;
	/* Only a pair that is wholly absent is made; half a pair is reported below, never replaced. */
	if (create && p.dflt && tls_missing(p.cert) && tls_missing(p.key) &&
	    tls_create(state_dir, &p, err) != 0)
		return -1;
	if (tls_read("certificate", p.cert, 0, &cert, &clen, err) != 0 ||
	    tls_read("key", p.key, 1, &key, &klen, err) != 0 ||
	    tls_check_pair(&p, cert, clen, key, klen, err) != 0)
		goto out;
	*cert_pem = cert;
	*cert_len = clen;
	*key_pem = key;
	*key_len = klen;
	cert = key = NULL;
	/* success */
	r = 0;
 out:
	free(cert);
	secmem_freezero(key, klen);
	return r;
}
