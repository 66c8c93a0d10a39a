/* The hooks listener; see hooks_server.h. */
#include "hooks_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "hooks.h"
#include "json_alloc.h"
#include "log.h"
#include "secmem.h"
#include "vault_hooks.h"

#define HS_PEM_MAX (64 * 1024)
#define HS_URI_MAX 2048
#define HS_CONN_MAX 64          /* connections at once */
#define HS_CONN_PER_IP 16       /* from one address */
#define HS_CONN_TIMEOUT_S 15    /* idle seconds before a connection is closed */
#define HS_BACKLOG 64
#define HS_PAGE_MAX 1024
#define HS_MHD_LOG_PER_S 10
#define HS_DRAIN_FACTOR 4       /* a chunked body past the limit: read at most this x more */
/* TLS 1.3 and 1.2 only: providers' webhook senders do not all speak 1.3 yet. */
#define HS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct hooks_server {
	int fd;                         /* the listening socket; MHD's once started */
	struct MHD_Daemon *d;
	char *cert;                     /* PEM, NUL-terminated */
	char *key;                      /* PEM, locked memory */
	size_t key_cap;
	void *sg_key;                   /* SendGrid's public key, or NULL */
	char public_url[BROKER_CONF_URL_MAX];
	size_t body_max;
	struct vault_link *vl;
};

enum hs_route {
	HS_NONE, HS_SG_EVENTS, HS_SG_INBOUND, HS_TW_STATUS, HS_TW_INBOUND, HS_OPEN, HS_CLICK,
	HS_UNSUB, HS_MG_EVENTS, HS_PL_STATUS, HS_PL_INBOUND,
};

static const char *const hs_route_names[] = {
	"none", "sendgrid events", "sendgrid inbound", "twilio status", "twilio inbound", "open",
	"click", "unsubscribe", "mailgun events", "plivo status", "plivo inbound",
};

/* One request: made by the URI callback, freed when it completes. */
struct hs_req {
	char uri[HS_URI_MAX];           /* path and query, as received */
	int uri_bad;                    /* too long */
	int started;
	int over;                       /* the body passed body_max: the rest is dropped */
	size_t dropped;
	enum hs_route route;
	struct hooks_track track;
	struct buf body;
};

/* ---- responses ---- */

static enum MHD_Result
hs_send(struct MHD_Connection *c, unsigned st, const char *type, const void *p, size_t n,
    const char *hname, const char *hvalue)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(n, (void *)(uintptr_t)p, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, "Content-Type", type);
	(void)MHD_add_response_header(r, "Cache-Control", "no-store");
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; form-action 'self'; frame-ancestors 'none'");
	(void)MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (hname != NULL)
		(void)MHD_add_response_header(r, hname, hvalue);
	ok = MHD_queue_response(c, st, r);
	MHD_destroy_response(r);
	return ok;
}

/* {"error":{"code","message"}} (the message never holds request bytes). */
static enum MHD_Result
hs_error(struct MHD_Connection *c, unsigned st, const char *code, const char *msg,
    const char *allow)
{
	json_t *j = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	enum MHD_Result ok;

	json_decref(j);
	if (s == NULL)
		return MHD_NO;
	ok = hs_send(c, st, "application/json", s, strlen(s), allow != NULL ? "Allow" : NULL, allow);
	json_alloc_release(s);
	return ok;
}

static const char *
hs_code(int st)
{
	switch (st) {
	case 400: return "malformed";
	case 401: return "bad_signature";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 413: return "body_too_large";
	default: return "unavailable";
	}
}

static enum MHD_Result
hs_status(struct MHD_Connection *c, int st, const char *msg)
{
	static const char ok[] = "{\"ok\":true}";

	if (st == 200)
		return hs_send(c, 200, "application/json", ok, sizeof(ok) - 1, NULL, NULL);
	return hs_error(c, (unsigned)st, hs_code(st), msg, NULL);
}

/* The first characters of a token, for the log: never the whole value. */
static void
hs_log(const struct hs_req *q, int st, const char *what)
{
	if (q->route >= HS_OPEN)
		log_info("hooks: %s %.4s... %d%s%s", hs_route_names[q->route], q->track.token, st,
		    what[0] != '\0' ? ": " : "", what);
	else
		log_info("hooks: %s %d%s%s", hs_route_names[q->route], st,
		    what[0] != '\0' ? ": " : "", what);
}

/* ---- the first call: route, method, lengths ---- */

static enum hs_route
hs_route(const char *path, struct hooks_track *t)
{
	static const struct { const char *path; enum hs_route r; } fixed[] = {
		{ "/hooks/sendgrid/events", HS_SG_EVENTS }, { "/hooks/sendgrid/inbound", HS_SG_INBOUND },
		{ "/hooks/twilio/status", HS_TW_STATUS }, { "/hooks/twilio/inbound", HS_TW_INBOUND },
		{ "/hooks/mailgun/events", HS_MG_EVENTS }, { "/hooks/plivo/status", HS_PL_STATUS },
		{ "/hooks/plivo/inbound", HS_PL_INBOUND },
	};
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(fixed); i++)
		if (strcmp(path, fixed[i].path) == 0)
			return fixed[i].r;
	if (hooks_track_route(path, t) != 0)
		return HS_NONE;
	return t->kind == HOOKS_TRACK_OPEN ? HS_OPEN : t->kind == HOOKS_TRACK_CLICK ? HS_CLICK :
	    HS_UNSUB;
}

static int
hs_method_ok(enum hs_route r, const char *m)
{
	if (r == HS_UNSUB)
		return strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0;
	if (r == HS_OPEN || r == HS_CLICK)
		return strcmp(m, "GET") == 0;
	return strcmp(m, "POST") == 0;
}

struct hs_lengths {
	unsigned cl, te;
	const char *cl_value;
};

static enum MHD_Result
hs_count(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hs_lengths *l = cls;

	(void)kind;
	if (strcasecmp(key, "Content-Length") == 0) {
		l->cl++;
		l->cl_value = value;
	} else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		l->te++;
	}
	return MHD_YES;
}

/* 0: go on reading; else the status to answer now (STACK-NOTES: 413 at the first call). */
static int
hs_first(struct hooks_server *s, struct MHD_Connection *c, struct hs_req *q, const char *method)
{
	struct hs_lengths l = { 0, 0, NULL };
	char path[HS_URI_MAX];
	unsigned long long n;
	char *end;

	if (q->uri_bad)
		return 400;
	(void)snprintf(path, sizeof(path), "%.*s", (int)strcspn(q->uri, "?"), q->uri);
	if ((q->route = hs_route(path, &q->track)) == HS_NONE)
		return 404;
	if (!hs_method_ok(q->route, method))
		return 405;
	(void)MHD_get_connection_values(c, MHD_HEADER_KIND, hs_count, &l);
	/* libmicrohttpd 0.9.75 does not refuse these itself (request smuggling). */
	if (l.cl > 1 || (l.cl > 0 && l.te > 0))
		return 400;
	if (l.cl == 1) {
		errno = 0;
		n = strtoull(l.cl_value, &end, 10);
		if (errno != 0 || end == l.cl_value || *end != '\0')
			return 400;
		if (n > s->body_max)
			return 413;
	}
	return 0;
}

/* ---- the last call: parse, verify, forward ---- */

static const char *
hs_header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result
hs_forward(struct hooks_server *s, struct MHD_Connection *c, struct hs_req *q,
    const char *provider, json_t *events, json_t *verify)
{
	struct bos_err err;
	char what[64];
	int st = 200;

	bos_err_clear(&err);
	if (json_array_size(events) > 0)
		st = vault_hooks_events(s->vl, provider, events, verify, &err);
	(void)snprintf(what, sizeof(what), "%zu events", json_array_size(events));
	hs_log(q, st, st == 200 ? what : err.msg);
	json_decref(events);
	json_decref(verify);
	return hs_status(c, st, st == 401 ? "the signature does not hold" : st == 400 ?
	    "the vault refused the events" : "the vault did not record the events; retry");
}

static enum MHD_Result
hs_sendgrid(struct hooks_server *s, struct MHD_Connection *c, struct hs_req *q)
{
	struct bos_err err;
	json_t *events = NULL;
	int st;

	if (s->sg_key == NULL)
		log_warn("hooks: a SendGrid event batch came and sendgrid_webhook_key is not set: "
		    "refused (401)");
	st = hooks_sendgrid_verify(s->sg_key, hs_header(c, "X-Twilio-Email-Event-Webhook-Signature"),
	    hs_header(c, "X-Twilio-Email-Event-Webhook-Timestamp"), q->body.data, q->body.len,
	    time(NULL), &err);
	if (st == HOOKS_OK)
		st = hooks_sendgrid_events(q->body.data, q->body.len, &events, &err);
	if (st != HOOKS_OK) {
		hs_log(q, st, err.msg);
		return hs_status(c, st, err.msg);
	}
	return hs_forward(s, c, q, "sendgrid", events, NULL);
}

static enum MHD_Result
hs_inbound(struct hooks_server *s, struct MHD_Connection *c, struct hs_req *q)
{
	struct hooks_form form;
	struct bos_err err;
	json_t *events = NULL;
	int st;

	st = hooks_multipart_parse(hs_header(c, "Content-Type"), q->body.data, q->body.len, &form,
	    &err);
	if (st == HOOKS_OK) {
		st = hooks_inbound_events(&form, time(NULL), &events, &err);
		hooks_form_free(&form);
	}
	if (st != HOOKS_OK) {
		hs_log(q, st, err.msg);
		return hs_status(c, st, err.msg);
	}
	return hs_forward(s, c, q, "sendgrid", events, NULL);
}

static enum MHD_Result
hs_twilio(struct hooks_server *s, struct MHD_Connection *c, struct hs_req *q)
{
	const char *ct = hs_header(c, "Content-Type"), *set;
	struct hooks_form form;
	struct bos_err err;
	json_t *events = NULL, *verify = NULL;
	int st;

	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
	    (ct[33] != '\0' && ct[33] != ';')) {
		hs_log(q, 400, "not a form");
		return hs_status(c, 400, "Content-Type must be application/x-www-form-urlencoded");
	}
	if ((st = hooks_form_parse(q->body.data, q->body.len, &form, &err)) != HOOKS_OK) {
		hs_log(q, st, err.msg);
		return hs_status(c, st, err.msg);
	}
	set = hs_header(c, "X-Twilio-Webhooks-Signature-Settings");
	st = hooks_twilio_verify(s->public_url, q->uri, &form, hs_header(c, "X-Twilio-Signature"),
	    set != NULL && strstr(set, "HMAC_SHA256") != NULL, &verify, &err);
	if (st == HOOKS_OK)
		st = hooks_twilio_events(&form, q->route == HS_TW_INBOUND, time(NULL), &events, &err);
	hooks_form_free(&form);
	if (st != HOOKS_OK) {
		json_decref(verify);
		hs_log(q, st, err.msg);
		return hs_status(c, st, err.msg);
	}
	return hs_forward(s, c, q, "twilio", events, verify);
}

static enum MHD_Result
hs_mailgun(struct hooks_server *s, struct MHD_Connection *c, struct hs_req *q)
{
	struct bos_err err;
	json_t *events = NULL, *verify = NULL;
	int st;

	st = hooks_mailgun_parse(q->body.data, q->body.len, time(NULL), &events, &verify, &err);
	if (st != HOOKS_OK) {
		hs_log(q, st, err.msg);
		return hs_status(c, st, err.msg);
	}
	return hs_forward(s, c, q, "mailgun", events, verify);
}

static enum MHD_Result
hs_plivo(struct hooks_server *s, struct MHD_Connection *c, struct hs_req *q)
{
	const char *ct = hs_header(c, "Content-Type");
	struct hooks_form form;
	struct bos_err err;
	json_t *events = NULL, *verify = NULL;
	int st;

	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
	    (ct[33] != '\0' && ct[33] != ';')) {
		hs_log(q, 400, "not a form");
		return hs_status(c, 400, "Content-Type must be application/x-www-form-urlencoded");
	}
	if ((st = hooks_form_parse(q->body.data, q->body.len, &form, &err)) != HOOKS_OK) {
		hs_log(q, st, err.msg);
		return hs_status(c, st, err.msg);
	}
	st = hooks_plivo_verify(s->public_url, q->uri, &form, hs_header(c, "X-Plivo-Signature-V3"),
	    hs_header(c, "X-Plivo-Signature-V3-Nonce"), &verify, &err);
	if (st == HOOKS_OK)
		st = hooks_plivo_events(&form, q->route == HS_PL_INBOUND, time(NULL), &events, &err);
	hooks_form_free(&form);
	if (st != HOOKS_OK) {
		json_decref(verify);
		hs_log(q, st, err.msg);
		return hs_status(c, st, err.msg);
	}
	return hs_forward(s, c, q, "plivo", events, verify);
}

static enum MHD_Result
hs_page(struct MHD_Connection *c, unsigned st, const char *text)
{
	char page[HS_PAGE_MAX];
	int k = snprintf(page, sizeof(page), "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>%u</title></head><body><p>%s</p></body></html>\n", st, text);

	if (k < 0 || (size_t)k >= sizeof(page))
		return MHD_NO;
	return hs_send(c, st, "text/html; charset=utf-8", page, (size_t)k, NULL, NULL);
}

static enum MHD_Result
hs_track(struct hooks_server *s, struct MHD_Connection *c, struct hs_req *q, const char *method)
{
	char url[2048 + 1], page[HS_PAGE_MAX];
	struct bos_err err;
	int st;

	bos_err_clear(&err);
	switch (q->route) {
	case HS_OPEN:
		/* The pixel whatever happens: a mail client shows no error. */
		st = vault_hooks_track(s->vl, q->track.token, "open", -1, url, sizeof(url), &err);
		hs_log(q, st, st == 200 ? "" : err.msg);
		return hs_send(c, 200, "image/gif", hooks_gif, sizeof(hooks_gif), NULL, NULL);
	case HS_CLICK:
		st = vault_hooks_track(s->vl, q->track.token, "click", q->track.link, url, sizeof(url),
		    &err);
		if (st == 200 && !hooks_track_url_ok(url)) {
			hs_log(q, 404, "the vault's link is not an http(s) URL: no redirect");
			return hs_page(c, 404, "This link is not known.");
		}
		hs_log(q, st == 200 ? 302 : st, st == 200 ? "" : err.msg);
		if (st == 200)
			return hs_send(c, 302, "text/plain", "", 0, "Location", url);
		return hs_page(c, st == 404 ? 404 : 503, st == 404 ? "This link is not known." :
		    "Please try again in a minute.");
	default:
		break;
	}
	if (strcmp(method, "GET") == 0) {
		/* A GET never unsubscribes: link scanners fetch every URL of a mail. */
		if (hooks_track_unsub_page(q->track.token, page, sizeof(page)) != 0)
			return MHD_NO;
		hs_log(q, 200, "page");
		return hs_send(c, 200, "text/html; charset=utf-8", page, strlen(page), NULL, NULL);
	}
	if (!hooks_track_unsub_ok(q->body.data, q->body.len)) {
		hs_log(q, 400, "not List-Unsubscribe=One-Click");
		return hs_page(c, 400, "The request is not an unsubscribe request.");
	}
	st = vault_hooks_track(s->vl, q->track.token, "unsubscribe", -1, url, sizeof(url), &err);
	hs_log(q, st, st == 200 ? "" : err.msg);
	if (st == 200)
		return hs_send(c, 200, "text/html; charset=utf-8", hooks_track_done_page,
		    strlen(hooks_track_done_page), NULL, NULL);
	return hs_page(c, st == 404 ? 404 : 503, st == 404 ? "This link is not known." :
	    "Please try again in a minute.");
}

static enum MHD_Result
hs_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct hooks_server *s = cls;
	struct hs_req *q = *con_cls;
	int st;

	(void)url;
	(void)version;
	if (q == NULL)
		return MHD_NO;
	if (!q->started) {
		q->started = 1;
		if ((st = hs_first(s, c, q, method)) != 0) {
			if (q->route != HS_NONE || st != 404)
				hs_log(q, st, hs_code(st));
			if (st == 405)
				return hs_error(c, 405, hs_code(st), "wrong method for this path",
				    q->route == HS_UNSUB ? "GET, POST" : q->route >= HS_OPEN ? "GET" :
				    "POST");
			return hs_status(c, st, st == 413 ? "the body is larger than hooks_body_max" :
			    st == 404 ? "no such path" : "malformed request (length headers or URI)");
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/*
		 * A chunked body past the limit is read and dropped so that the 413
		 * reaches the peer (STACK-NOTES: a response queued with body pending
		 * closes the connection), up to HS_DRAIN_FACTOR times the limit; past
		 * that the 413 goes out at once and the connection is closed, so a
		 * peer cannot stream without end.
		 */
		if (!q->over && buf_put(&q->body, upload, *upload_size) != 0)
			q->over = 1;
		if (q->over && (q->dropped += *upload_size) > HS_DRAIN_FACTOR * s->body_max) {
			hs_log(q, 413, "body too large (connection closed)");
			return hs_status(c, 413, "the body is larger than hooks_body_max");
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->over) {
		hs_log(q, 413, "body too large");
		return hs_status(c, 413, "the body is larger than hooks_body_max");
	}
	switch (q->route) {
	case HS_SG_EVENTS: return hs_sendgrid(s, c, q);
	case HS_SG_INBOUND: return hs_inbound(s, c, q);
	case HS_TW_STATUS:
	case HS_TW_INBOUND: return hs_twilio(s, c, q);
	case HS_MG_EVENTS: return hs_mailgun(s, c, q);
	case HS_PL_STATUS:
	case HS_PL_INBOUND: return hs_plivo(s, c, q);
	default: return hs_track(s, c, q, method);
	}
}

static void *
hs_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct hooks_server *s = cls;
	struct hs_req *q = calloc(1, sizeof(*q));
	int k;

	(void)c;
	if (q == NULL)
		return NULL;
	k = snprintf(q->uri, sizeof(q->uri), "%s", uri);
	q->uri_bad = k < 0 || (size_t)k >= sizeof(q->uri);
	buf_init_grow(&q->body, s->body_max);
	return q;
}

static void
hs_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	struct hs_req *q = *con_cls;

	(void)cls;
	(void)c;
	(void)t;
	if (q == NULL)
		return;
	buf_free(&q->body);
	free(q);
	*con_cls = NULL;
}

/*
 * libmicrohttpd's messages, from its one thread: at most HS_MHD_LOG_PER_S a
 * second (a flood of bad handshakes must not flood the log), and never the
 * request's path, which may hold a tracking token.
 */
static void BOS_PRINTF(2, 0)
hs_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static time_t window;
	static unsigned in_window;
	time_t now = time(NULL);
	char line[256], *p;
	size_t n;

	(void)cls;
	if (now != window) {
		window = now;
		in_window = 0;
	}
	if (++in_window > HS_MHD_LOG_PER_S || vsnprintf(line, sizeof(line), fmt, ap) < 0)
		return;
	if ((p = strstr(line, "request for ")) != NULL)
		(void)snprintf(p, sizeof(line) - (size_t)(p - line), "a request (path not logged)");
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_warn("hooks: libmicrohttpd: %s", line);
}

/* ---- before the sandbox ---- */

/* "A.B.C.D:PORT" or "[V6]:PORT" into a listening socket. */
static int
hs_listen(const char *spec, struct bos_err *err)
{
	struct sockaddr_storage ss;
	char host[64];
	const char *colon = strrchr(spec, ':');
	socklen_t len;
	long port;
	char *end;
	int fd, one = 1, v6 = spec[0] == '[';
	size_t hl;

	memset(&ss, 0, sizeof(ss));
	if (colon == NULL || (v6 && colon[-1] != ']'))
		goto bad;
	hl = (size_t)(colon - spec) - (v6 ? 2 : 0);
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, spec + v6, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
		goto bad;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		len = sizeof(*a);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return bos_err_set(err, BOS_E_IO, "hooks_listen: socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, HS_BACKLOG) != 0) {
		int e = errno;

		close(fd);
		return bos_err_set(err, BOS_E_IO, "hooks_listen %s: cannot listen: %s", spec,
		    strerror(e));
	}
	return fd;
 bad:
	return bos_err_set(err, BOS_E_CONFIG, "hooks_listen must be ADDR:PORT (an IPv4 address, "
	    "or an IPv6 address in brackets, and a port 1-65535)");
}

/* A PEM file into memory; the key's file must be ours and private. */
static int
hs_read_pem(const char *path, int private, char **out, size_t *cap, struct bos_err *err)
{
	struct stat st;
	ssize_t n;
	size_t len = 0;
	char *p;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return bos_err_set(err, BOS_E_CONFIG, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size >= HS_PEM_MAX || (private && (st.st_uid != geteuid() ||
	    (st.st_mode & 0177) != 0))) {
		close(fd);
		return bos_err_set(err, BOS_E_CONFIG, "%s must be a regular file under %d bytes%s",
		    path, HS_PEM_MAX, private ? " of this user with mode 0400 or 0600" : "");
	}
	*cap = (size_t)st.st_size + 1;
	p = private ? secmem_alloc(*cap) : malloc(*cap);
	if (p == NULL) {
		close(fd);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory for %s", path);
	}
	while (len < *cap - 1 && ((n = read(fd, p + len, *cap - 1 - len)) > 0 ||
	    (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(fd);
	p[len] = '\0';
	*out = p;
	if (len == 0 || strstr(p, "-----BEGIN ") == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "%s is not PEM", path);
	return 0;
}

int
hooks_server_prepare(const struct broker_config *c, struct hooks_server **out,
    struct bos_err *err)
{
	struct hooks_server *s = calloc(1, sizeof(*s));
	size_t cert_cap;

	*out = NULL;
	if (s == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	s->fd = -1;
	s->body_max = (size_t)c->hooks_body_max;
	(void)snprintf(s->public_url, sizeof(s->public_url), "%s", c->hooks_public_url);
	if (hs_read_pem(c->hooks_cert, 0, &s->cert, &cert_cap, err) != 0 ||
	    hs_read_pem(c->hooks_key, 1, &s->key, &s->key_cap, err) != 0 ||
	    (c->sendgrid_webhook_key[0] != '\0' &&
	    hooks_sendgrid_key(c->sendgrid_webhook_key, &s->sg_key, err) != 0) ||
	    (s->fd = hs_listen(c->hooks_listen, err)) < 0) {
		hooks_server_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int
hooks_server_fd(const struct hooks_server *s)
{
	return s != NULL ? s->fd : -1;
}

int
hooks_server_start(struct hooks_server *s, struct vault_link *vl, struct bos_err *err)
{
	s->vl = vl;
	s->d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, hs_handler, s,
	    MHD_OPTION_EXTERNAL_LOGGER, hs_mhd_log, s,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->fd,
	    MHD_OPTION_HTTPS_MEM_KEY, s->key,
	    MHD_OPTION_HTTPS_MEM_CERT, s->cert,
	    MHD_OPTION_HTTPS_PRIORITIES, HS_PRIORITIES,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HS_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HS_CONN_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HS_CONN_TIMEOUT_S,
	    MHD_OPTION_URI_LOG_CALLBACK, hs_uri, s,
	    MHD_OPTION_NOTIFY_COMPLETED, hs_done, s,
	    MHD_OPTION_END);
	if (s->d == NULL)
		return bos_err_set(err, BOS_E_CONFIG, "hooks: libmicrohttpd did not start (see its "
		    "message above: the certificate and key must match)");
	return 0;
}

void
hooks_server_free(struct hooks_server *s)
{
	if (s == NULL)
		return;
	if (s->d != NULL)
		MHD_stop_daemon(s->d);    /* it closes the listening socket */
	else if (s->fd >= 0)
		close(s->fd);
	vault_link_free(s->vl);
	if (s->key != NULL)
		secmem_free(s->key, s->key_cap);
	free(s->cert);
	hooks_sendgrid_key_free(s->sg_key);
	free(s);
}
