/* The broker's client of the vault; see vault_link.h. */
#include "vault_link.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include "buf.h"
#include "json_alloc.h"
#include "secmem.h"

#define VL_BASE "http://localhost"    /* over the unix socket the host only fills Host: */
#define VL_AUTH "Authorization: Bearer "
#define VL_RESPONSE_MAX (256 * 1024)
#define VL_TIMEOUT_S 30
#define VL_URL_MAX 256

struct vault_link {
	CURL *h;                          /* claims and reports, kept alive */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *auth;                       /* the whole header line, locked memory */
	size_t auth_cap;
};

/* One request's parameters. */
struct vl_req {
	const char *method;
	const char *path;
	json_t *body;                     /* NULL: none */
	long timeout;
	int oneshot;                      /* a handle of its own, cleaned up after */
};

int
vault_link_new(const char *socket_path, const char *token, struct vault_link **out,
    struct bos_err *err)
{
	struct vault_link *v = calloc(1, sizeof(*v));
	int n;

	*out = NULL;
	if (v == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	n = snprintf(v->path, sizeof(v->path), "%s", socket_path);
	v->auth_cap = strlen(VL_AUTH) + strlen(token) + 1;
	if (n < 0 || (size_t)n >= sizeof(v->path) ||
	    (v->auth = secmem_alloc(v->auth_cap)) == NULL || (v->h = curl_easy_init()) == NULL) {
		vault_link_free(v);
		return bos_err_set(err, BOS_E_NOMEM, "cannot set up the vault link (socket path too "
		    "long, no locked memory, or libcurl)");
	}
	(void)snprintf(v->auth, v->auth_cap, "%s%s", VL_AUTH, token);
	*out = v;
	return 0;
}

void
vault_link_free(struct vault_link *v)
{
	if (v == NULL)
		return;
	if (v->h != NULL)
		curl_easy_cleanup(v->h);
	if (v->auth != NULL)
		secmem_free(v->auth, v->auth_cap);
	free(v);
}

static size_t
vl_write(char *p, size_t size, size_t nmemb, void *arg)
{
	size_t n;

	if (__builtin_mul_overflow(size, nmemb, &n) || buf_put(arg, p, n) != 0)
		return 0;
	return n;
}

static int
vl_setup(struct vault_link *v, CURL *h, const struct vl_req *q, const char *url,
    struct curl_slist *hdrs, char *body, struct buf *rb, char *errbuf)
{
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, v->path) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT, q->timeout) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)VL_RESPONSE_MAX) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, vl_write) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, rb) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	if (body != NULL) {
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) != CURLE_OK;
	}
	return bad;
}

static struct curl_slist *
vl_headers(const struct vault_link *v, int has_body)
{
	const char *fixed[] = { "Accept: application/json", "Expect:",
	    has_body ? "Content-Type: application/json" : NULL, v->auth };
	struct curl_slist *l = NULL, *t;
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(fixed); i++) {
		if (fixed[i] == NULL)
			continue;
		if ((t = curl_slist_append(l, fixed[i])) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

/* The vault's {error:{code,message}} into ans, when there is one. */
static void
vl_answer(struct vault_answer *ans, long status, json_t *j)
{
	json_t *e = j != NULL ? json_object_get(j, "error") : NULL;
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	memset(ans, 0, sizeof(*ans));
	ans->status = status;
	if (code != NULL)
		(void)snprintf(ans->code, sizeof(ans->code), "%s", code);
	if (msg != NULL)
		(void)snprintf(ans->message, sizeof(ans->message), "%s", msg);
}

/*
 * One request. *out gets the parsed body (a JSON object) or NULL; the
 * status is in ans. -1 only when no HTTP answer came (err says why).
 */
static int
vl_call(struct vault_link *v, const struct vl_req *q, json_t **out, struct vault_answer *ans,
    struct bos_err *err)
{
	char url[VL_URL_MAX], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	char *body = NULL;
	struct buf rb;
	long status = 0;
	CURL *h = q->oneshot ? curl_easy_init() : v->h;
	CURLcode rc = CURLE_FAILED_INIT;
	int r = -1;

	*out = NULL;
	memset(ans, 0, sizeof(*ans));
	buf_init_grow(&rb, VL_RESPONSE_MAX);
	if (h == NULL || snprintf(url, sizeof(url), "%s%s", VL_BASE, q->path) >= (int)sizeof(url) ||
	    (q->body != NULL && (body = json_dumps(q->body, JSON_COMPACT)) == NULL) ||
	    (hdrs = vl_headers(v, body != NULL)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "cannot build the request %s %s", q->method, q->path);
		goto out;
	}
	if (!q->oneshot)
		curl_easy_reset(h);
	if (vl_setup(v, h, q, url, hdrs, body, &rb, errbuf) != 0) {
		bos_err_set(err, BOS_E_NOMEM, "cannot set up the request %s %s", q->method, q->path);
		goto out;
	}
	if ((rc = curl_easy_perform(h)) != CURLE_OK) {
		bos_err_set(err, BOS_E_IO, "%s %s: %s", q->method, q->path, errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		goto out;
	}
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rb.len > 0)
		*out = json_loadb((const char *)rb.data, rb.len, 0, NULL);
	if (*out != NULL && !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
	}
	vl_answer(ans, status, *out);
	/* success */
	r = 0;
 out:
	if (q->oneshot && h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	json_alloc_release(body);
	buf_free(&rb);
	return r;
}

int
vault_link_request(struct vault_link *v, const char *method, const char *path, json_t *body,
    json_t **out, struct vault_answer *ans, struct bos_err *err)
{
	struct vl_req q = { method, path, body, VL_TIMEOUT_S, 0 };

	return vl_call(v, &q, out, ans, err);
}

/* An id the vault gave, used in a path: [A-Za-z0-9_-], 1..max-1 bytes. */
static int
vl_id_copy(char *dst, size_t max, const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) >= max)
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return -1;
	memcpy(dst, s, i + 1);
	return 0;
}

static int
vl_str_copy(char *dst, size_t max, const char *s)
{
	if (s == NULL || strlen(s) >= max)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int
vl_parse_job(json_t *j, struct broker_job *job)
{
	json_t *o = json_object_get(j, "job"), *cr;

	memset(job, 0, sizeof(*job));
	if (!json_is_object(o))
		return -1;
	cr = json_object_get(o, "credential");
	if (vl_id_copy(job->id, sizeof(job->id), json_string_value(json_object_get(o, "id"))) != 0 ||
	    vl_id_copy(job->claim, sizeof(job->claim),
	    json_string_value(json_object_get(o, "claim"))) != 0 ||
	    vl_id_copy(job->kind, sizeof(job->kind),
	    json_string_value(json_object_get(o, "kind"))) != 0 ||
	    vl_id_copy(job->service, sizeof(job->service),
	    json_string_value(json_object_get(o, "service"))) != 0)
		return -1;
	if (json_is_string(cr) && vl_id_copy(job->credential, sizeof(job->credential),
	    json_string_value(cr)) != 0)
		return -1;
	job->attempt = json_integer_value(json_object_get(o, "attempt"));
	/* The one parameter a broker needs (docs/ADS.md: ad_insights {ad, campaign, day}). */
	if (vl_str_copy(job->day, sizeof(job->day),
	    json_string_value(json_object_get(json_object_get(o, "params"), "day"))) != 0)
		job->day[0] = '\0';
	return 0;
}

int
vault_link_claim(struct vault_link *v, const char *const *kinds, long wait,
    struct broker_job *job, struct vault_answer *ans, struct bos_err *err)
{
	json_t *body = json_object(), *k = json_array(), *res = NULL;
	struct vl_req q = { "POST", "/jobs/claim", body, wait + VL_TIMEOUT_S, 0 };
	int r = -1;
	size_t i;

	memset(ans, 0, sizeof(*ans));   /* read by the caller also when nothing was sent */
	for (i = 0; kinds[i] != NULL; i++)
		(void)json_array_append_new(k, json_string(kinds[i]));
	if (body == NULL || k == NULL || json_object_set(body, "kinds", k) != 0 ||
	    json_object_set_new(body, "wait", json_integer(wait)) != 0) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	if (vl_call(v, &q, &res, ans, err) != 0)
		goto out;
	if (ans->status == 204) {
		r = 0;
	} else if (ans->status == 200 && vl_parse_job(res, job) == 0) {
		r = 1;
	} else {
		bos_err_set(err, BOS_E_IO, "POST /jobs/claim: %ld %s%s%s", ans->status, ans->code,
		    ans->message[0] != '\0' ? ": " : "", ans->message);
	}
 out:
	json_decref(k);
	json_decref(body);
	json_decref(res);
	return r;
}

void
broker_lease_wipe(struct broker_lease *l)
{
	if (l->secret != NULL)
		secmem_free(l->secret, l->secret_cap);
	l->secret = NULL;
	l->secret_len = l->secret_cap = 0;
}

/* The secret, straight from jansson's (wiping) string into locked memory. */
static int
vl_take_secret(json_t *s, struct broker_lease *l)
{
	size_t n = json_string_length(s);

	if (!json_is_string(s) || n == 0 || strlen(json_string_value(s)) != n)
		return -1;
	l->secret_cap = n + 1;
	if ((l->secret = secmem_alloc(l->secret_cap)) == NULL)
		return -1;
	memcpy(l->secret, json_string_value(s), n);
	l->secret[n] = '\0';
	l->secret_len = n;
	return 0;
}

/*
 * An SMTP credential's metadata {host, port, username} (docs/OUTREACH.md):
 * kept when it fits, else left empty for the connector to refuse.
 */
static void
vl_parse_smtp_meta(json_t *md, struct broker_lease *l)
{
	json_t *port = json_object_get(md, "port");

	if (vl_str_copy(l->meta_host, sizeof(l->meta_host),
	    json_string_value(json_object_get(md, "host"))) != 0)
		l->meta_host[0] = '\0';
	if (vl_str_copy(l->meta_username, sizeof(l->meta_username),
	    json_string_value(json_object_get(md, "username"))) != 0)
		l->meta_username[0] = '\0';
	if (vl_str_copy(l->meta_domain, sizeof(l->meta_domain),
	    json_string_value(json_object_get(md, "domain"))) != 0)
		l->meta_domain[0] = '\0';
	if (vl_str_copy(l->meta_region, sizeof(l->meta_region),
	    json_string_value(json_object_get(md, "region"))) != 0)
		l->meta_region[0] = '\0';
	if (vl_str_copy(l->meta_key_id, sizeof(l->meta_key_id),
	    json_string_value(json_object_get(md, "access_key_id"))) != 0)
		l->meta_key_id[0] = '\0';
	if (vl_str_copy(l->meta_auth_id, sizeof(l->meta_auth_id),
	    json_string_value(json_object_get(md, "auth_id"))) != 0)
		l->meta_auth_id[0] = '\0';
	if (json_is_integer(port))
		l->meta_port = (long)json_integer_value(port);
	else if (json_is_string(port) && strlen(json_string_value(port)) < 6 &&
	    strspn(json_string_value(port), "0123456789") == strlen(json_string_value(port)))
		l->meta_port = strtol(json_string_value(port), NULL, 10);
}

static int
vl_parse_lease(json_t *j, struct broker_lease *l)
{
	json_t *cr = json_object_get(j, "credential");
	json_t *md = json_object_get(cr, "metadata");
	const char *sid = json_string_value(json_object_get(md, "account_sid"));

	vl_parse_smtp_meta(md, l);

	if (vl_id_copy(l->id, sizeof(l->id), json_string_value(json_object_get(j, "lease"))) != 0 ||
	    !json_is_object(cr) ||
	    vl_id_copy(l->credential_id, sizeof(l->credential_id),
	    json_string_value(json_object_get(cr, "id"))) != 0 ||
	    vl_str_copy(l->service, sizeof(l->service),
	    json_string_value(json_object_get(cr, "service"))) != 0)
		return -1;
	if (sid != NULL && vl_str_copy(l->account_sid, sizeof(l->account_sid), sid) != 0)
		return -1;
	return vl_take_secret(json_object_get(j, "secret"), l);
}

int
vault_link_lease(struct vault_link *v, const struct broker_job *job, const char *purpose,
    long ttl, struct broker_lease *l, struct vault_answer *ans, struct bos_err *err)
{
	json_t *body = json_pack("{s:s, s:s, s:s, s:I}", "credential", job->credential,
	    "purpose", purpose, "job", job->id, "ttl", (json_int_t)ttl), *res = NULL;
	/* The answer carries the secret: a handle of its own, cleaned (wiped) after. */
	struct vl_req q = { "POST", "/leases", body, VL_TIMEOUT_S, 1 };
	int r = -1;

	memset(l, 0, sizeof(*l));
	memset(ans, 0, sizeof(*ans));   /* read by the caller also when nothing was sent */
	if (body == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	if (vl_call(v, &q, &res, ans, err) != 0)
		goto out;
	if (ans->status != 201) {
		bos_err_set(err, BOS_E_AUTH, "POST /leases: %ld %s%s%s", ans->status, ans->code,
		    ans->message[0] != '\0' ? ": " : "", ans->message);
		goto out;
	}
	if (vl_parse_lease(res, l) != 0) {
		broker_lease_wipe(l);
		bos_err_set(err, BOS_E_CORRUPT, "POST /leases: the answer is not a lease");
		goto out;
	}
	/* success */
	r = 0;
 out:
	json_decref(body);
	json_decref(res);
	return r;
}

/* A report on a job: POST path with body; 0 when the vault answered 200. */
static int
vl_report(struct vault_link *v, const char *what, const struct broker_job *job, json_t *body,
    struct vault_answer *ans, struct bos_err *err)
{
	char path[VL_URL_MAX];
	struct vl_req q = { "POST", path, body, VL_TIMEOUT_S, 0 };
	json_t *res = NULL;
	int r = -1;

	memset(ans, 0, sizeof(*ans));   /* read by the caller also when nothing was sent */
	if (body == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	(void)snprintf(path, sizeof(path), "/jobs/%s/%s", job->id, what);
	if (vl_call(v, &q, &res, ans, err) == 0) {
		if (ans->status == 200)
			r = 0;
		else
			bos_err_set(err, BOS_E_IO, "POST %s: %ld %s%s%s", path, ans->status, ans->code,
			    ans->message[0] != '\0' ? ": " : "", ans->message);
	}
	json_decref(res);
	json_decref(body);
	return r;
}

int
vault_link_complete(struct vault_link *v, const struct broker_job *job,
    const struct verify_result *r, struct vault_answer *ans, struct bos_err *err)
{
	return vl_report(v, "complete", job, json_pack("{s:s, s:{s:b, s:I, s:I}}", "claim",
	    job->claim, "result", "ok", r->outcome == VERIFY_OK, "status", (json_int_t)r->status,
	    "latency_ms", (json_int_t)r->latency_ms), ans, err);
}

int
vault_link_fail(struct vault_link *v, const struct broker_job *job, const char *error,
    int retry, long retry_after, struct vault_answer *ans, struct bos_err *err)
{
	json_t *b = json_pack("{s:s, s:s, s:b}", "claim", job->claim, "error", error, "retry", retry);

	/* The vault takes 0 to 300 s (its longest backoff); a longer wish is cut to that. */
	if (retry_after > 300)
		retry_after = 300;
	if (b != NULL && retry_after > 0 &&
	    json_object_set_new(b, "retry_after", json_integer(retry_after)) != 0) {
		json_decref(b);
		b = NULL;
	}
	return vl_report(v, "fail", job, b, ans, err);
}

int
vault_link_heartbeat(struct vault_link *v, const struct broker_job *job,
    struct vault_answer *ans, struct bos_err *err)
{
	return vl_report(v, "heartbeat", job, json_pack("{s:s}", "claim", job->claim), ans, err);
}

int
vault_link_lease_end(struct vault_link *v, const char *lease_id, struct bos_err *err)
{
	char path[VL_URL_MAX];
	struct vl_req q = { "DELETE", path, NULL, VL_TIMEOUT_S, 0 };
	struct vault_answer ans;
	json_t *res = NULL;
	int r;

	(void)snprintf(path, sizeof(path), "/leases/%s", lease_id);
	r = vl_call(v, &q, &res, &ans, err);
	json_decref(res);
	if (r == 0 && ans.status != 200 && ans.status != 204)
		return bos_err_set(err, BOS_E_IO, "DELETE %s: %ld %s", path, ans.status, ans.code);
	return r;
}
