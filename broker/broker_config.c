/* bos-broker's configuration; see broker_config.h. */
#include "broker_config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "broker.h"
#include "url.h"
#include "secmem.h"
#include "token.h"

#define BC_LINE_MAX 4096
#define BC_TOKEN_FILE "broker-token"

static const char *const bc_roles[] = { "outreach", "monitor", "hiring" };

/* snprintf into a fixed array; -1 on truncation. */
static int
bc_copy(char *dst, size_t n, const char *s)
{
	int k = snprintf(dst, n, "%s", s);

	return k < 0 || (size_t)k >= n ? -1 : 0;
}

int
broker_config_init(struct broker_config *c, const char *role, struct bos_err *err)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < BOS_ARRAY_LEN(bc_roles); i++)
		if (strcmp(role, bc_roles[i]) == 0)
			break;
	if (i == BOS_ARRAY_LEN(bc_roles))
		return bos_err_set(err, BOS_E_INVALID, "unknown role '%s' (outreach, monitor or "
		    "hiring)", role);
	(void)bc_copy(c->role, sizeof(c->role), role);
	(void)bc_copy(c->vault_socket, sizeof(c->vault_socket), BROKER_DEFAULT_SOCKET);
	(void)bc_copy(c->ca_file, sizeof(c->ca_file), BROKER_DEFAULT_CA_FILE);
	c->connect_timeout = 10;
	c->call_timeout = 30;
	c->claim_wait = 25;
	c->heartbeat_interval = 60;
	c->lease_ttl = 30;
	c->hooks_body_max = BROKER_HOOKS_BODY_DEFAULT;
	return 0;
}

static int
bc_long(const char *v, long lo, long hi, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

/*
 * Outreach sending's settings, in one block. smtp_hosts: the SMTP servers a
 * credential may name, "host[,host...]" of DNS names or IP addresses.
 */
static int
bc_smtp_hosts(struct broker_config *c, const char *v, struct bos_err *err)
{
	size_t i, run = 0;

	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == ',') {
			if (run == 0)
				break;
			run = 0;
			continue;
		}
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= '0' && v[i] <= '9') || v[i] == '.' || v[i] == '-' || v[i] == ':') ||
		    ++run > 253)
			break;
	}
	if (v[i] != '\0' || run == 0 || bc_copy(c->smtp_hosts, sizeof(c->smtp_hosts), v) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "smtp_hosts must be a comma-separated list of "
		    "host names or addresses (letters, digits, '.', '-', ':'), no spaces, at most "
		    "%d bytes", BROKER_CONF_SMTP_HOSTS_MAX - 1);
	return 0;
}

int
broker_config_smtp_host_ok(const struct broker_config *c, const char *host)
{
	const char *s = c->smtp_hosts, *e;
	size_t n = strlen(host);

	while (n > 0 && *s != '\0') {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		if ((size_t)(e - s) == n && strncasecmp(s, host, n) == 0)
			return 1;
		s = *e == ',' ? e + 1 : e;
	}
	return 0;
}

/* A test base URL for smtp: smtp://LOOPBACK:PORT (the others are https). */
static int
bc_smtp_test_url(const char *url, struct bos_err *err)
{
	char https[BROKER_CONF_URL_MAX + 8];

	if (strncmp(url, "smtp://", 7) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "'%s' must be smtp://LOOPBACK:PORT", url);
	/* The same form as an https test URL once the scheme is set aside. */
	(void)snprintf(https, sizeof(https), "https://%s", url + 7);
	return url_test_base_ok(https, err);
}

/*
 * A test-only base URL: https, a loopback address, a port, nothing else
 * (SECURITY.md: "tests may point a connector at a local stub only through
 * an explicit test setting"). Production hosts come from the connector.
 */
static int
bc_override(struct broker_config *c, const char *name, const char *url, struct bos_err *err)
{
	struct broker_override *o;
	size_t n;

	if (strlen(url) >= BROKER_CONF_URL_MAX)
		return bos_err_set(err, BOS_E_CONFIG, "base_url.%s: '%s' must be https://HOST[:PORT] "
		    "(no plain http, no user, query or fragment)", name, url);
	if ((strcmp(name, "smtp") == 0 ? bc_smtp_test_url(url, err) : url_test_base_ok(url, err)) != 0)
		return bos_err_wrap(err, "base_url.%s", name);
	if (broker_config_base_url(c, name) != NULL)
		return bos_err_set(err, BOS_E_CONFIG, "base_url.%s is set twice", name);
	if (c->noverrides == BOS_ARRAY_LEN(c->overrides))
		return bos_err_set(err, BOS_E_CONFIG, "too many base_url settings");
	o = &c->overrides[c->noverrides];
	if (bc_copy(o->connector, sizeof(o->connector), name) != 0 ||
	    bc_copy(o->url, sizeof(o->url), url) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "base_url.%s: too long", name);
	/* Paths start with '/': drop the base's trailing slashes. */
	for (n = strlen(o->url); n > 8 && o->url[n - 1] == '/'; n--)
		o->url[n - 1] = '\0';
	c->noverrides++;
	return 0;
}

struct bc_num {
	const char *key;
	size_t off;
	long lo, hi;
};

static const struct bc_num bc_nums[] = {
	{ "connect_timeout", offsetof(struct broker_config, connect_timeout), 1, 60 },
	{ "call_timeout", offsetof(struct broker_config, call_timeout), 1, 110 },
	{ "claim_wait", offsetof(struct broker_config, claim_wait), 0, 30 },
	{ "heartbeat_interval", offsetof(struct broker_config, heartbeat_interval), 1, 100 },
	{ "lease_ttl", offsetof(struct broker_config, lease_ttl), 1, 300 },
	{ "sandbox_unconfined_paths", offsetof(struct broker_config, unconfined_paths), 0, 1 },
	{ "hooks_body_max", offsetof(struct broker_config, hooks_body_max), 1024, 16 * 1024 * 1024 },
};

/*
 * The hooks listener's settings (docs/OUTREACH.md "The outreach broker").
 * 1: not one of them; 0 set; -1 refused.
 */
static int
bc_hooks(struct broker_config *c, const char *k, const char *v, struct bos_err *err)
{
	size_t n = strlen(v), i;

	if (strcmp(k, "hooks_listen") == 0) {
		if (bc_copy(c->hooks_listen, sizeof(c->hooks_listen), v) != 0 || strchr(v, ':') == NULL)
			return bos_err_set(err, BOS_E_CONFIG, "hooks_listen must be ADDR:PORT");
		return 0;
	}
	if (strcmp(k, "hooks_cert") == 0 || strcmp(k, "hooks_key") == 0) {
		char *dst = k[6] == 'c' ? c->hooks_cert : c->hooks_key;

		if (v[0] != '/' || bc_copy(dst, BROKER_CONF_PATH_MAX, v) != 0)
			return bos_err_set(err, BOS_E_CONFIG, "%s must be an absolute path that fits", k);
		return 0;
	}
	if (strcmp(k, "hooks_public_url") == 0) {
		for (i = 0; i < n; i++)
			if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f || v[i] == '?' || v[i] == '#')
				break;
		if (strncmp(v, "https://", 8) != 0 || n == 8 || i < n ||
		    bc_copy(c->hooks_public_url, sizeof(c->hooks_public_url), v) != 0)
			return bos_err_set(err, BOS_E_CONFIG, "hooks_public_url must be the https:// URL "
			    "the providers are configured with (no query, no fragment, at most %d bytes)",
			    BROKER_CONF_URL_MAX - 1);
		/* Paths are appended: drop trailing slashes. */
		for (n = strlen(c->hooks_public_url); n > 9 && c->hooks_public_url[n - 1] == '/'; n--)
			c->hooks_public_url[n - 1] = '\0';
		return 0;
	}
	if (strcmp(k, "sendgrid_webhook_key") == 0) {
		if (bc_copy(c->sendgrid_webhook_key, sizeof(c->sendgrid_webhook_key), v) != 0)
			return bos_err_set(err, BOS_E_CONFIG, "sendgrid_webhook_key is too long (a "
			    "base64 P-256 public key is 124 characters)");
		return 0;
	}
	return 1;
}

/* With hooks_listen: the rest of the listener's settings, and the outreach role. */
static int
bc_hooks_check(const struct broker_config *c, struct bos_err *err)
{
	if (c->hooks_listen[0] == '\0')
		return 0;
	if (strcmp(c->role, "outreach") != 0)
		return bos_err_set(err, BOS_E_CONFIG, "hooks_listen is for bos-broker outreach only");
	if (c->hooks_cert[0] == '\0' || c->hooks_key[0] == '\0' || c->hooks_public_url[0] == '\0')
		return bos_err_set(err, BOS_E_CONFIG, "hooks_listen needs hooks_cert, hooks_key and "
		    "hooks_public_url");
	return 0;
}

static int
bc_set(struct broker_config *c, const char *k, const char *v, struct bos_err *err)
{
	size_t i;
	long n;
	int h;

	if ((h = bc_hooks(c, k, v, err)) <= 0)
		return h;
	for (i = 0; i < BOS_ARRAY_LEN(bc_nums); i++) {
		if (strcmp(k, bc_nums[i].key) != 0)
			continue;
		if (bc_long(v, bc_nums[i].lo, bc_nums[i].hi, &n) != 0)
			return bos_err_set(err, BOS_E_CONFIG, "%s must be a number from %ld to %ld",
			    k, bc_nums[i].lo, bc_nums[i].hi);
		if (strcmp(k, "sandbox_unconfined_paths") == 0)
			c->unconfined_paths = (int)n;
		else
			*(long *)(void *)((char *)c + bc_nums[i].off) = n;
		return 0;
	}
	if (strncmp(k, "base_url.", 9) == 0)
		return bc_override(c, k + 9, v, err);
	if (strcmp(k, "smtp_hosts") == 0)
		return bc_smtp_hosts(c, v, err);
	if (strcmp(k, "vault_socket") == 0 && v[0] == '/' &&
	    bc_copy(c->vault_socket, sizeof(c->vault_socket), v) == 0)
		return 0;
	if (strcmp(k, "token_file") == 0 && v[0] == '/' &&
	    bc_copy(c->token_file, sizeof(c->token_file), v) == 0)
		return 0;
	if (strcmp(k, "ca_file") == 0 && v[0] == '/' &&
	    bc_copy(c->ca_file, sizeof(c->ca_file), v) == 0)
		return 0;
	if (strcmp(k, "test_ca_file") == 0 && v[0] == '/' &&
	    bc_copy(c->test_ca_file, sizeof(c->test_ca_file), v) == 0)
		return 0;
	if (strcmp(k, "vault_socket") == 0 || strcmp(k, "token_file") == 0 ||
	    strcmp(k, "ca_file") == 0 || strcmp(k, "test_ca_file") == 0)
		return bos_err_set(err, BOS_E_CONFIG, "%s must be an absolute path that fits", k);
	return bos_err_set(err, BOS_E_CONFIG, "unknown setting '%s'", k);
}

/* Strip blanks at both ends, in place. */
static char *
bc_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
bc_line(struct broker_config *c, char *line, struct bos_err *err)
{
	char *s = bc_trim(line), *eq, *k, *v;

	if (*s == '\0' || *s == '#')
		return 0;
	if ((eq = strchr(s, '=')) == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "expected 'key = value'");
	*eq = '\0';
	k = bc_trim(s);
	v = bc_trim(eq + 1);
	if (*k == '\0' || *v == '\0')
		return bos_err_set(err, BOS_E_CONFIG, "expected 'key = value'");
	return bc_set(c, k, v, err);
}

int
broker_config_read(struct broker_config *c, const char *path, int required,
    struct bos_err *err)
{
	char line[BC_LINE_MAX];
	unsigned lineno = 0;
	FILE *f;
	int r = -1;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && !required)
			return 0;
		return bos_err_set(err, BOS_E_CONFIG, "cannot read %s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			bos_err_set(err, BOS_E_CONFIG, "line too long");
			goto out;
		}
		if (bc_line(c, line, err) != 0)
			goto out;
	}
	if (c->noverrides > 0 && c->test_ca_file[0] == '\0') {
		bos_err_set(err, BOS_E_CONFIG, "base_url.* is a test setting and needs test_ca_file "
		    "(the CA of the test stub's certificate)");
		goto out;
	}
	if (bc_hooks_check(c, err) != 0)
		goto out;
	/* success */
	r = 0;
 out:
	if (r != 0 && lineno > 0)
		(void)bos_err_wrap(err, "%s:%u", path, lineno);
	fclose(f);
	return r;
}

const char *
broker_config_base_url(const struct broker_config *c, const char *connector)
{
	size_t i;

	for (i = 0; i < c->noverrides; i++)
		if (strcmp(c->overrides[i].connector, connector) == 0)
			return c->overrides[i].url;
	return NULL;
}

/*
 * Open a file that holds a secret: ours (the effective uid), a regular
 * file, readable by nobody else (mode 0400 or 0600).
 */
static int
bc_open_private(const char *path, struct bos_err *err)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return bos_err_set(err, BOS_E_CONFIG, "cannot open the token file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0177) != 0) {
		close(fd);
		return bos_err_set(err, BOS_E_CONFIG, "the token file %s must be a regular file "
		    "of this user with mode 0400 or 0600", path);
	}
	return fd;
}

/* Read the token (one line) from fd into locked memory. */
static int
bc_read_token(struct broker_config *c, int fd, const char *path, struct bos_err *err)
{
	ssize_t n;
	size_t len = 0;

	c->token_cap = TOKEN_SIZE + 2;
	if ((c->token = secmem_alloc(c->token_cap)) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "cannot lock memory for the token");
	while (len < c->token_cap - 1) {
		n = read(fd, c->token + len, c->token_cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	while (len > 0 && (c->token[len - 1] == '\n' || c->token[len - 1] == '\r'))
		len--;
	c->token[len] = '\0';
	if (token_check(c->token, TOKEN_BROKER) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "%s does not hold a broker token (bos_b_...)",
		    path);
	return 0;
}

static int
bc_load_token(struct broker_config *c, struct bos_err *err)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[BROKER_CONF_PATH_MAX];
	int fd, r;

	path[0] = '\0';
	if (dir != NULL && dir[0] == '/') {
		if (snprintf(path, sizeof(path), "%s/%s", dir, BC_TOKEN_FILE) >= (int)sizeof(path))
			return bos_err_set(err, BOS_E_CONFIG, "CREDENTIALS_DIRECTORY is too long");
		if (access(path, F_OK) != 0)
			path[0] = '\0';
	}
	if (path[0] == '\0' && c->token_file[0] != '\0')
		(void)bc_copy(path, sizeof(path), c->token_file);
	if (path[0] == '\0')
		return bos_err_set(err, BOS_E_CONFIG, "no token: give the broker's token as the "
		    "systemd credential broker-token (LoadCredential=) or set token_file");
	if ((fd = bc_open_private(path, err)) < 0)
		return -1;
	r = bc_read_token(c, fd, path, err);
	close(fd);
	return r;
}

/* A whole PEM file into memory (at most BROKER_CA_MAX bytes). */
static int
bc_slurp(const char *path, char **out, size_t *len, struct bos_err *err)
{
	FILE *f = fopen(path, "re");
	char *p;
	size_t n;

	*out = NULL;
	*len = 0;
	if (f == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "cannot read the CA file %s: %s", path,
		    strerror(errno));
	if ((p = malloc(BROKER_CA_MAX)) == NULL) {
		fclose(f);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	}
	n = fread(p, 1, BROKER_CA_MAX, f);
	if (ferror(f) || n == 0 || n == BROKER_CA_MAX) {
		fclose(f);
		free(p);
		return bos_err_set(err, BOS_E_CONFIG, "the CA file %s is empty, unreadable or "
		    "larger than %d bytes", path, BROKER_CA_MAX - 1);
	}
	fclose(f);
	*out = p;
	*len = n;
	return 0;
}

int
broker_config_load_secrets(struct broker_config *c, struct bos_err *err)
{
	if (bc_load_token(c, err) != 0)
		return -1;
	/* Every connector overridden: the production bundle is not needed. */
	if (c->noverrides < BROKER_CONNECTORS && bc_slurp(c->ca_file, &c->ca, &c->ca_len, err) != 0)
		return -1;
	if (c->test_ca_file[0] != '\0' &&
	    bc_slurp(c->test_ca_file, &c->test_ca, &c->test_ca_len, err) != 0)
		return -1;
	return 0;
}

void
broker_config_free(struct broker_config *c)
{
	if (c->token != NULL)
		secmem_free(c->token, c->token_cap);
	c->token = NULL;
	free(c->ca);
	free(c->test_ca);
	c->ca = c->test_ca = NULL;
}
