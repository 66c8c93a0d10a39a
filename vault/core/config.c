/* bos.conf parsing; see config.h. */
#include "core/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "currency.h"
#include "store/outreach_list.h"

#define CONFIG_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	(void)snprintf(c->pkcs11_module, sizeof(c->pkcs11_module), "%s", CONFIG_DEFAULT_MODULE);
	c->audit_key_version = 1;
	(void)snprintf(c->listen_addr, sizeof(c->listen_addr), "127.0.0.1");
	c->listen_port = 8025;
	c->body_max_bytes = 64 * 1024;
	c->conn_limit = 2048;
	c->conn_per_ip_limit = 64;
	c->requests_inflight_max = 64;
	c->conn_timeout_seconds = 30;
	c->header_timeout_seconds = 5;
	c->session_idle_seconds = 15 * 60;
	c->session_absolute_seconds = 12 * 3600;
	c->lockout_failures = 10;
	c->lockout_seconds = 30 * 60;
	c->disable_failures = 100;
	c->grant_default_ttl_seconds = 86400;
	c->grant_max_ttl_seconds = 30 * 86400;
	c->grant_idle_revoke_seconds = 30 * 86400;
	c->credential_stale_seconds = 30 * 86400;
	c->sweep_interval_seconds = 60;
	c->audit_checkpoint_records = 1000;
	c->audit_checkpoint_seconds = 60;
	c->broker_uid[0] = c->broker_uid[1] = c->broker_uid[2] = CONFIG_UID_UNSET;
	c->job_visibility_seconds = 120;
	c->ad_insights_seconds = 3600;
	c->grant_pickup_seconds = 600;
	c->approval_seconds = 900;
}

/* "ADDR:PORT" for an IPv4 address; port 0 turns the TCP listener off. */
int
config_set_listen(struct config *c, const char *v)
{
	const char *colon = strrchr(v, ':');
	char addr[sizeof(c->listen_addr)];
	uint32_t port = 0;
	size_t n;
	char *end;
	unsigned long p;

	if (colon == NULL || (n = (size_t)(colon - v)) == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, v, n);
	addr[n] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p > 65535)
		return -1;
	port = (uint32_t)p;
	if (inet_pton(AF_INET, addr, &(struct in_addr){ 0 }) != 1)
		return -1;
	memcpy(c->listen_addr, addr, n + 1);
	c->listen_port = (uint16_t)port;
	return 0;
}

/* Settings that are positive integers, with their bounds. */
struct config_u32 {
	const char *key;
	size_t off;
	uint32_t min, max;
};

static const struct config_u32 config_u32s[] = {
	{ "audit_key_version", offsetof(struct config, audit_key_version), 1, 1000000 },
	{ "body_max_bytes", offsetof(struct config, body_max_bytes), 1024, 16u << 20 },
	{ "conn_limit", offsetof(struct config, conn_limit), 4, 100000 },
	{ "conn_per_ip_limit", offsetof(struct config, conn_per_ip_limit), 1, 100000 },
	{ "requests_inflight_max", offsetof(struct config, requests_inflight_max), 1, 100000 },
	{ "conn_timeout_seconds", offsetof(struct config, conn_timeout_seconds), 1, 3600 },
	{ "header_timeout_seconds", offsetof(struct config, header_timeout_seconds), 1, 3600 },
	{ "session_idle_seconds", offsetof(struct config, session_idle_seconds), 1, 86400 },
	{ "session_absolute_seconds", offsetof(struct config, session_absolute_seconds), 1, 7 * 86400 },
	{ "lockout_failures", offsetof(struct config, lockout_failures), 1, 10 },
	{ "lockout_seconds", offsetof(struct config, lockout_seconds), 1, 86400 * 30 },
	{ "disable_failures", offsetof(struct config, disable_failures), 1, 100 },
	{ "grant_default_ttl_seconds", offsetof(struct config, grant_default_ttl_seconds), 1, 30 * 86400 },
	{ "grant_max_ttl_seconds", offsetof(struct config, grant_max_ttl_seconds), 1, 30 * 86400 },
	{ "grant_idle_revoke_seconds", offsetof(struct config, grant_idle_revoke_seconds), 1, 366 * 86400 },
	{ "credential_stale_seconds", offsetof(struct config, credential_stale_seconds), 1, 366 * 86400 },
	{ "sweep_interval_seconds", offsetof(struct config, sweep_interval_seconds), 1, 86400 },
	{ "audit_checkpoint_records", offsetof(struct config, audit_checkpoint_records), 1, 1000000 },
	{ "audit_checkpoint_seconds", offsetof(struct config, audit_checkpoint_seconds), 1, 86400 },
	{ "sandbox_unconfined_paths", offsetof(struct config, sandbox_unconfined_paths), 0, 1 },
	{ "job_visibility_seconds", offsetof(struct config, job_visibility_seconds), 1, 3600 },
	{ "ad_insights_seconds", offsetof(struct config, ad_insights_seconds), 10, 86400 },
	{ "grant_pickup_seconds", offsetof(struct config, grant_pickup_seconds), 10, 3600 },
	{ "approval_seconds", offsetof(struct config, approval_seconds), 10, 86400 },
};

/* broker_uid_ROLE, in the order of struct config's broker_uid. */
static const char *const config_broker_uid_keys[CONFIG_BROKER_ROLES] = {
	"broker_uid_outreach", "broker_uid_monitor", "broker_uid_hiring" };

static char *
config_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Store a path, making a relative one relative to the state directory. */
/* A value that does not fit leaves dst unchanged. */
static int
config_set_path(char *dst, size_t cap, const char *state_dir, const char *v)
{
	char tmp[CONFIG_PATH_MAX];
	int n;

	if (v[0] == '/' || state_dir == NULL)
		n = snprintf(tmp, sizeof(tmp), "%s", v);
	else
		n = snprintf(tmp, sizeof(tmp), "%s/%s", state_dir, v);
	if (n < 0 || (size_t)n >= cap || (size_t)n >= sizeof(tmp))
		return -1;
	memcpy(dst, tmp, (size_t)n + 1);
	return 0;
}

static int
config_set_str(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);

	if (n >= cap)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static int
config_set_u32(uint32_t *dst, const char *v, uint32_t min, uint32_t max)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || v[0] == '-' || n < min || n > max)
		return -1;
	*dst = (uint32_t)n;
	return 0;
}

/* 1 and sets *r when key is a broker_uid_ROLE: a uid, 0 .. 2^32 - 2 ((uid_t)-1 is no uid). */
static int
config_try_broker_uid(struct config *c, const char *key, const char *val, int *r)
{
	uint32_t uid;
	size_t i;

	for (i = 0; i < CONFIG_BROKER_ROLES; i++) {
		if (strcmp(key, config_broker_uid_keys[i]) == 0) {
			*r = config_set_u32(&uid, val, 0, UINT32_MAX - 1);
			if (*r == 0)
				c->broker_uid[i] = uid;
			return 1;
		}
	}
	return 0;
}

/* 1 and sets *r when key is one of the integer settings. */
static int
config_try_u32(struct config *c, const char *key, const char *val, int *r)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(config_u32s); i++) {
		if (strcmp(key, config_u32s[i].key) == 0) {
			*r = config_set_u32((uint32_t *)(void *)((char *)c + config_u32s[i].off), val,
			    config_u32s[i].min, config_u32s[i].max);
			return 1;
		}
	}
	return 0;
}

/* ---- outreach ---------------------------------------------------------------------- */

static const char *const config_outreach_names[CONFIG_OUTREACH_PROVIDERS] = {
	"smtp", "sendgrid", "mailgun", "ses", "twilio", "plivo" };

int
config_outreach_provider(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < CONFIG_OUTREACH_PROVIDERS; i++)
		if (strcmp(name, config_outreach_names[i]) == 0)
			return i;
	return -1;
}

/* A host name: dot-separated labels of [A-Za-z0-9-], 1-63 each, no '-' at either end. */
static int
config_host_valid(const char *h, size_t n, int need_dot)
{
	size_t i, label = 0;
	int dots = 0;

	if (n == 0 || n > CONFIG_DOMAIN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			dots++;
		} else if (isalnum((unsigned char)h[i]) || (h[i] == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && h[n - 1] != '-' && (!need_dot || dots > 0);
}

/*
 * https://HOST[:PORT][/PATH], no user, query or fragment, no character that
 * would need escaping in an HTML attribute or a header. A trailing '/' is
 * dropped, so that links are URL + "/u/TOKEN".
 */
static int
config_set_public_url(char *dst, size_t cap, const char *v)
{
	const char *host = v + 8, *end;
	size_t n = strlen(v), i;

	if (strncmp(v, "https://", 8) != 0 || n >= cap)
		return -1;
	end = host + strcspn(host, ":/");
	if (!config_host_valid(host, (size_t)(end - host), 0))
		return -1;
	if (*end == ':') {
		unsigned long port = 0;

		for (i = 1; isdigit((unsigned char)end[i]) && i <= 6; i++)
			port = port * 10 + (unsigned long)(end[i] - '0');
		if (i == 1 || i > 6 || (end[i] != '\0' && end[i] != '/') || port < 1 || port > 65535)
			return -1;
		end += i;
	}
	for (i = 0; end[i] != '\0'; i++)
		if ((unsigned char)end[i] <= 0x20 || (unsigned char)end[i] >= 0x7f ||
		    strchr("?#\"'<>\\^`{|}@%", end[i]) != NULL)
			return -1;
	while (n > 8 && v[n - 1] == '/')
		n--;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* 1 to CONFIG_POSTAL_MAX printable characters (UTF-8 allowed), no CR, LF or other control. */
static int
config_set_postal(char *dst, size_t cap, const char *v)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > CONFIG_POSTAL_MAX || n >= cap)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static int
config_set_domain(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);

	if (n >= cap || !config_host_valid(v, n, 1))
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

/*
 * A decimal amount with at most 6 decimals into micro-units ("0.0079" is
 * 7900): digits, one optional point with digits after it, no sign, no
 * overflow. currency_parse_amount stops at 4 decimals (minor units).
 */
static int
config_parse_micros(const char *s, int64_t *out)
{
	int64_t v = 0;
	int frac = -1;

	if (*s == '\0' || *s == '.')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || (frac >= 0 && ++frac > CONFIG_PRICE_DECIMALS) ||
		    __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
			return -1;
	}
	if (frac == 0)
		return -1;
	for (frac = frac < 0 ? 0 : frac; frac < CONFIG_PRICE_DECIMALS; frac++)
		if (__builtin_mul_overflow(v, 10, &v))
			return -1;
	*out = v;
	return 0;
}

/* outreach_price.PROVIDER = AMOUNT CUR: at most 6 decimals, an ISO 4217 currency. */
static int
config_set_price(struct config *c, const char *provider, const char *v, struct bos_err *err)
{
	const char *sp = strchr(v, ' '), *cur;
	char amount[32];
	int64_t micros;
	int i = config_outreach_provider(provider);

	if (i < 0)
		return bos_err_set(err, BOS_E_CONFIG, "unknown provider in 'outreach_price.%s' "
		    "(smtp, sendgrid, mailgun, ses, twilio or plivo)", provider);
	cur = sp != NULL ? sp + strspn(sp, " \t") : NULL;
	if (sp == NULL || (size_t)(sp - v) >= sizeof(amount) || strlen(cur) != 3 ||
	    !currency_known(cur))
		return bos_err_set(err, BOS_E_CONFIG, "'outreach_price.%s' must be 'AMOUNT "
		    "CURRENCY' with an ISO 4217 currency, e.g. 0.0010 USD", provider);
	memcpy(amount, v, (size_t)(sp - v));
	amount[sp - v] = '\0';
	if (config_parse_micros(amount, &micros) != 0)
		return bos_err_set(err, BOS_E_CONFIG, "the amount of 'outreach_price.%s' must be a "
		    "decimal number >= 0 with at most %d decimals", provider, CONFIG_PRICE_DECIMALS);
	c->outreach_price_micros[i] = micros;
	(void)snprintf(c->outreach_price_currency[i], 4, "%s", cur);
	c->outreach_price_set[i] = 1;
	return 0;
}

/* notice_email / notice_sms = PROVIDER CREDENTIAL_NAME FROM (docs/OUTREACH.md "Notices"). */
static int
config_set_notice(struct outreach_notice_route *rt, int email, const char *v,
    struct bos_err *err)
{
	char prov[16], cred[65], from[OUTREACH_NOTICE_FROM_SIZE], norm[OUTREACH_ADDRESS_SIZE],
	    extra[2];
	const char *key = email ? "notice_email" : "notice_sms", *why = NULL;
	int i, ok;

	if (sscanf(v, "%15s %64s %320s %1s", prov, cred, from, extra) != 3)
		return bos_err_set(err, BOS_E_CONFIG, "'%s' must be 'PROVIDER CREDENTIAL_NAME "
		    "FROM' (three words)", key);
	i = config_outreach_provider(prov);
	if (i < 0 || (i >= 4) == email)
		return bos_err_set(err, BOS_E_CONFIG, "the provider of '%s' must be %s", key,
		    email ? "smtp, sendgrid, mailgun or ses" : "twilio or plivo");
	if (email)
		ok = outreach_email_normalise(from, strlen(from), norm, &why) == 0;
	else
		ok = outreach_phone_normalise(from, strlen(from), norm, &why) == 0 ||
		    (strlen(from) <= 11 && strspn(from, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
		    "rstuvwxyz0123456789") == strlen(from));
	if (!ok)
		return bos_err_set(err, BOS_E_CONFIG, "the sender of '%s' must be %s", key,
		    email ? "an email address" : "a number in E.164 or a sender id of 1 to 11 "
		    "letters and digits");
	memset(rt, 0, sizeof(*rt));
	rt->set = 1;
	(void)snprintf(rt->provider, sizeof(rt->provider), "%s", prov);
	(void)snprintf(rt->credential, sizeof(rt->credential), "%s", cred);
	(void)snprintf(rt->from, sizeof(rt->from), "%s", email ? norm : from);
	return 0;
}

/* alert_notify = ADDR[,ADDR...]: emails and/or E.164 numbers, normalised. */
static int
config_set_alert_notify(struct outreach_notice_conf *out, const char *v, struct bos_err *err)
{
	char norm[OUTREACH_ADDRESS_SIZE];
	const char *p = v, *end, *why = NULL, *channel = NULL;
	struct outreach_notice_conf tmp, *n = &tmp;
	size_t len;

	n->n_alert_notify = 0;
	while (*p != '\0') {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (n->n_alert_notify == OUTREACH_NOTICE_ALERT_MAX)
			return bos_err_set(err, BOS_E_CONFIG, "'alert_notify' takes at most %d "
			    "addresses", OUTREACH_NOTICE_ALERT_MAX);
		if (len == 0 || outreach_address_normalise(p, len, norm, &channel, &why) != 0)
			return bos_err_set(err, BOS_E_CONFIG, "'alert_notify' item %zu is not an "
			    "email address or a phone number in E.164", n->n_alert_notify + 1);
		(void)snprintf(n->alert_notify[n->n_alert_notify++], OUTREACH_NOTICE_ADDR_SIZE, "%s",
		    norm);
		if (end == NULL)
			break;
		p = end + 1;
	}
	/* All or nothing: a bad item leaves the setting as it was. */
	memcpy(out->alert_notify, n->alert_notify, sizeof(n->alert_notify));
	out->n_alert_notify = n->n_alert_notify;
	return 0;
}

/* 1 and sets *r when key is an outreach setting (-2: err already says why). */
static int
config_try_outreach(struct config *c, const char *key, const char *val, int *r,
    struct bos_err *err)
{
	if (strcmp(key, "outreach_public_url") == 0)
		*r = config_set_public_url(c->outreach_public_url, sizeof(c->outreach_public_url),
		    val);
	else if (strcmp(key, "outreach_postal_address") == 0)
		*r = config_set_postal(c->outreach_postal_address,
		    sizeof(c->outreach_postal_address), val);
	else if (strcmp(key, "outreach_reply_domain") == 0)
		*r = config_set_domain(c->outreach_reply_domain, sizeof(c->outreach_reply_domain),
		    val);
	else if (strncmp(key, "outreach_price.", 15) == 0)
		*r = config_set_price(c, key + 15, val, err) == 0 ? 0 : -2;
	else if (strcmp(key, "notice_email") == 0 || strcmp(key, "notice_sms") == 0)
		*r = config_set_notice(key[7] == 'e' ? &c->notice.email : &c->notice.sms,
		    key[7] == 'e', val, err) == 0 ? 0 : -2;
	else if (strcmp(key, "alert_notify") == 0)
		*r = config_set_alert_notify(&c->notice, val, err) == 0 ? 0 : -2;
	else
		return 0;
	return 1;
}

int
config_parse_line(struct config *c, const char *state_dir, char *line, struct bos_err *err)
{
	char *hash = strchr(line, '#'), *eq, *key, *val;
	int r;

	if (hash != NULL)
		*hash = '\0';
	key = config_trim(line);
	if (*key == '\0')
		return 0;
	if ((eq = strchr(key, '=')) == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "expected 'key = value'");
	*eq = '\0';
	key = config_trim(key);
	val = config_trim(eq + 1);
	if (*val == '\0')
		return bos_err_set(err, BOS_E_CONFIG, "'%s' has no value", key);
	if (strcmp(key, "pkcs11_module") == 0)
		r = config_set_path(c->pkcs11_module, sizeof(c->pkcs11_module), NULL, val);
	else if (strcmp(key, "token_label") == 0)
		r = config_set_str(c->token_label, sizeof(c->token_label), val);
	else if (strcmp(key, "pin_file") == 0)
		r = config_set_path(c->pin_file, sizeof(c->pin_file), state_dir, val);
	else if (strcmp(key, "softhsm_conf") == 0)
		r = config_set_path(c->softhsm_conf, sizeof(c->softhsm_conf), state_dir, val);
	else if (strcmp(key, "hsm_socket") == 0)
		r = val[0] == '/' ? config_set_path(c->hsm_socket, sizeof(c->hsm_socket), NULL, val) :
		    -1;
	else if (strcmp(key, "tls_cert") == 0)
		r = config_set_path(c->tls_cert, sizeof(c->tls_cert), state_dir, val);
	else if (strcmp(key, "tls_key") == 0)
		r = config_set_path(c->tls_key, sizeof(c->tls_key), state_dir, val);
	else if (strcmp(key, "listen") == 0)
		r = config_set_listen(c, val);
	else if (!config_try_u32(c, key, val, &r) && !config_try_broker_uid(c, key, val, &r) &&
	    !config_try_outreach(c, key, val, &r, err))
		return bos_err_set(err, BOS_E_CONFIG, "unknown setting '%s'", key);
	if (r == -2)
		return -1;
	if (r != 0)
		return bos_err_set(err, BOS_E_CONFIG, "value of '%s' is out of range, too long or "
		    "not valid", key);
	return 0;
}

int
config_load(const char *path, const char *state_dir, struct config *c, struct bos_err *err)
{
	char line[1024];
	FILE *f;
	int lineno = 0, r = -1;

	config_defaults(c);
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return bos_err_set(err, BOS_E_NOTFOUND, "%s does not exist", path);
		return bos_err_set(err, BOS_E_IO, "cannot read %s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			bos_err_set(err, BOS_E_CONFIG, "%s:%d: line too long", path, lineno);
			goto out;
		}
		if (config_parse_line(c, state_dir, line, err) != 0) {
			bos_err_wrap(err, "%s:%d", path, lineno);
			goto out;
		}
	}
	if (c->token_label[0] == '\0') {
		bos_err_set(err, BOS_E_CONFIG, "%s: token_label is not set", path);
		goto out;
	}
	/* success */
	r = 0;
out:
	fclose(f);
	return r;
}

int
config_write(const char *path, const struct config *c, struct bos_err *err)
{
	int fd, n;
	char text[4096];

	n = snprintf(text, sizeof(text),
	    "# BOS vault settings (not secret). Relative paths are relative to this directory.\n"
	    "pkcs11_module = %s\n"
	    "token_label = %s\n"
	    "%s%s%s"
	    "%s%s%s"
	    "%s%s%s"
	    "audit_key_version = %u\n%s",
	    c->pkcs11_module, c->token_label,
	    c->pin_file[0] ? "pin_file = " : "", c->pin_file, c->pin_file[0] ? "\n" : "",
	    c->softhsm_conf[0] ? "softhsm_conf = " : "", c->softhsm_conf,
	    c->softhsm_conf[0] ? "\n" : "",
	    c->hsm_socket[0] ? "hsm_socket = " : "", c->hsm_socket, c->hsm_socket[0] ? "\n" : "",
	    c->audit_key_version,
	    c->sandbox_unconfined_paths ? "sandbox_unconfined_paths = 1\n" : "");
	if (n < 0 || (size_t)n >= sizeof(text))
		return bos_err_set(err, BOS_E_CONFIG, "settings too long for %s", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return bos_err_set(err, errno == EEXIST ? BOS_E_EXISTS : BOS_E_IO,
		    "cannot create %s: %s", path, strerror(errno));
	if (write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
		close(fd);
		return bos_err_set(err, BOS_E_IO, "cannot write %s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

void
config_notice(const struct config *c, struct outreach_notice_conf *out)
{
	struct outreach_notice_route *rt[2] = { &out->email, &out->sms };
	int i, k;

	memcpy(out, &c->notice, sizeof(*out));
	for (k = 0; k < 2; k++) {
		i = config_outreach_provider(rt[k]->provider);
		if (rt[k]->set && i >= 0 && c->outreach_price_set[i]) {
			rt[k]->price_micros = c->outreach_price_micros[i];
			(void)snprintf(rt[k]->currency, sizeof(rt[k]->currency), "%s",
			    c->outreach_price_currency[i]);
		}
	}
}
