/*
 * Reading the audit trail (docs/AUDIT.md "Reading"): GET /credentials/audit
 * (filters and cursor pages), GET /credentials/audit/export (JSON lines for
 * the offline verifier, after a fresh checkpoint) and GET
 * /credentials/audit/pubkey. Admins only, as their role allows (list,
 * audit and read on "audit"); each read is itself recorded.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "audit/audit_store.h"
#include "audit/auditor.h"
#include "hsmc/hsm_client.h"
#include "log.h"
#include "policy.h"
#include "core/vault.h"

#define API_AUDIT_LIMIT_DEFAULT 100
#define API_AUDIT_LIMIT_MAX 1000
#define API_AUDIT_PUBKEY_MAX 256
/* The audit trail as the policy knows it (docs/POLICY.md "Routes"). */
#define API_AUDIT_PATH "audit"

/*
 * "YYYY-MM-DDTHH:MM:SS[.fraction]Z" to the records' own form
 * "YYYY-MM-DDTHH:MM:SS.mmmZ", so that text order is time order. -1 if not.
 */
static int
api_audit_time(const char *in, char out[AUDITOR_TIME_SIZE])
{
	unsigned y, mo, d, h, mi, s;
	char ms[4] = "000";
	const char *p;
	int n = 0;
	size_t i;

	if (strlen(in) < 20 || sscanf(in, "%4u-%2u-%2uT%2u:%2u:%2u%n", &y, &mo, &d, &h, &mi, &s,
	    &n) != 6 || n != 19 || in[4] != '-' || in[7] != '-' || in[13] != ':' || in[16] != ':')
		return -1;
	for (i = 0; i < 19; i++)
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (in[i] < '0' || in[i] > '9'))
			return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	p = in + 19;
	if (*p == '.') {
		for (p++, i = 0; *p >= '0' && *p <= '9'; p++, i++)
			if (i < 3)
				ms[i] = *p;
		if (i == 0)
			return -1;
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	snprintf(out, AUDITOR_TIME_SIZE, "%04u-%02u-%02uT%02u:%02u:%02u.%sZ", y, mo, d, h, mi, s, ms);
	return 0;
}

/* A decimal in lo..hi, or -1. */
static long long
api_audit_number(const char *s, long long lo, long long hi)
{
	char *end;
	long long n;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -1;
	return n;
}

struct api_audit_page {
	json_t *arr;
	unsigned want;      /* the page size; one more row is read to know if there is more */
	unsigned got;
	uint64_t last;
	int more;
};

static int
api_audit_row(const struct audit_record *r, const uint8_t hash[AUDIT_HASH_LEN], void *arg)
{
	struct api_audit_page *pg = arg;

	if (pg->got == pg->want) {
		pg->more = 1;
		return 1;
	}
	if (json_array_append_new(pg->arr, audit_record_json(r, hash)) != 0)
		return -1;
	pg->got++;
	pg->last = r->seq;
	return 0;
}

/* The query parameters; 0, or -1 with a message for a 400. */
static int
api_audit_query(struct http_req *r, struct audit_query *q, char since[AUDITOR_TIME_SIZE],
    char until[AUDITOR_TIME_SIZE], const char **why)
{
	const char *o = http_req_query(r, "order"), *c = http_req_query(r, "cursor");
	const char *l = http_req_query(r, "limit"), *d = http_req_query(r, "outcome");
	long long n;

	memset(q, 0, sizeof(*q));
	q->principal = http_req_query(r, "principal");
	q->action = http_req_query(r, "action");
	q->resource = http_req_query(r, "resource");
	q->limit = API_AUDIT_LIMIT_DEFAULT;
	if (http_req_query(r, "since") != NULL &&
	    api_audit_time(http_req_query(r, "since"), since) != 0)
		return *why = "'since' must be an RFC 3339 UTC time like 2026-11-28T21:00:00Z", -1;
	if (http_req_query(r, "until") != NULL &&
	    api_audit_time(http_req_query(r, "until"), until) != 0)
		return *why = "'until' must be an RFC 3339 UTC time like 2026-11-28T22:00:00Z", -1;
	q->since = http_req_query(r, "since") != NULL ? since : NULL;
	q->until = http_req_query(r, "until") != NULL ? until : NULL;
	if (d != NULL && strcmp(d, "allow") != 0 && strcmp(d, "deny") != 0 &&
	    strcmp(d, "invalid") != 0 && strcmp(d, "error") != 0)
		return *why = "'outcome' must be allow, deny, invalid or error", -1;
	q->decision = d;
	if (o != NULL && strcmp(o, "asc") != 0 && strcmp(o, "desc") != 0)
		return *why = "'order' must be asc or desc", -1;
	q->desc = o != NULL && strcmp(o, "desc") == 0;
	if (c != NULL && (n = api_audit_number(c, 1, INT64_MAX)) < 0)
		return *why = "'cursor' must be the next_cursor of a previous page", -1;
	q->cursor = c != NULL ? (uint64_t)n : 0;
	if (l != NULL && (n = api_audit_number(l, 1, API_AUDIT_LIMIT_MAX)) < 0)
		return *why = "'limit' must be a number from 1 to 1000", -1;
	q->limit = l != NULL ? (unsigned)n : q->limit;
	return 0;
}

int
api_audit_list(struct vault *v, struct http_req *r)
{
	struct api_audit_page pg = { NULL, 0, 0, 0, 0 };
	char since[AUDITOR_TIME_SIZE], until[AUDITOR_TIME_SIZE], next[24];
	struct audit_query q;
	struct bos_err err;
	const char *why = NULL;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_AUDIT_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (api_audit_query(r, &q, since, until, &why) != 0)
		return http_reply_error(r, 400, "invalid", "%s", why);
	if ((pg.arr = json_array()) == NULL)
		return -1;
	pg.want = q.limit;
	q.limit++;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = audit_query_run(v->st.store, &q, api_audit_row, &pg, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(pg.arr);
		return http_reply_bos_err(r, &err);
	}
	snprintf(next, sizeof(next), "%llu", (unsigned long long)pg.last);
	return http_reply_json(r, 200, json_pack("{s:o, s:o}", "records", pg.arr, "next_cursor",
	    pg.more ? json_string(next) : json_null()));
}

/*
 * Sign the head first, then write out the log up to that head and no
 * further: the export ends with a signed checkpoint (issue #12 item 15).
 * Records after it may belong to a group-commit batch that has not
 * committed (this connection sees it) and may still fail; they go into the
 * next export. The route is AUDIT_LATE: the checkpoint takes the lock on its
 * own.
 */
int
api_audit_export(struct vault *v, struct http_req *r)
{
	struct bos_err err;
	uint64_t upto = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if ((rc = api_allow(v, r, POLICY_AUDIT, API_AUDIT_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	if (auditor_checkpoint_now(v, &upto, &err) != 0)
		return http_reply_bos_err(r, &err);
	if ((f = open_memstream(&text, &len)) == NULL)
		return -1;
	vault_db_lock(v);
	rc = audit_export(v->st.store, f, upto, &err);
	vault_db_unlock(v);
	if (fclose(f) != 0 && rc == 0)
		rc = bos_err_set(&err, BOS_E_NOMEM, "out of memory exporting the audit trail");
	if (rc != 0) {
		free(text);
		return http_reply_bos_err(r, &err);
	}
	rc = http_reply_text(r, 200, "application/x-ndjson", text);
	free(text);
	return rc;
}

/* DER SubjectPublicKeyInfo to PEM text (malloc'd), or NULL. */
static char *
api_audit_pem(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)len);
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (k != NULL && b != NULL && PEM_write_bio_PUBKEY(b, k) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	EVP_PKEY_free(k);
	return out;
}

int
api_audit_pubkey(struct vault *v, struct http_req *r)
{
	uint32_t kv = v->st.conf.audit_key_version;
	uint8_t der[API_AUDIT_PUBKEY_MAX];
	struct bos_err err;
	size_t len;
	char *pem;
	json_t *o;
	int rc;

	if ((rc = api_allow(v, r, POLICY_READ, API_AUDIT_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	if (hsm_pubkey(v->st.hsm, kv, der, sizeof(der), &len, &err) != 0)
		return http_reply_bos_err(r, &err);
	if ((pem = api_audit_pem(der, len)) == NULL)
		return -1;
	o = json_pack("{s:I, s:[{s:I, s:s}]}", "current", (json_int_t)kv, "keys", "version",
	    (json_int_t)kv, "pem", pem);
	free(pem);
	return o == NULL ? -1 : http_reply_json(r, 200, o);
}
