/*
 * Provider events and campaign stats (docs/OUTREACH.md "Events"):
 *   POST /outreach/events {provider, events, verify?} (the outreach broker,
 *   on the unix socket) and GET /outreach/stats?campaign= (admins).
 *
 * Events: every event is checked before anything is recorded (any bad one:
 * 400, nothing recorded); then, when the request carries `verify` (a
 * webhook signed with the provider account's secret, which the broker does
 * not hold: Twilio's X-Twilio-Signature), the vault checks it with that
 * secret: the live `twilio` credentials whose metadata `account_sid` is the
 * account are decrypted as any read is (api_cred_decrypt), the HMAC of each
 * candidate string is compared with the signature in constant time, and the
 * secret is wiped; none matches: 401 bad_signature, nothing recorded. Then
 * every event is recorded in the request's audit transaction (a savepoint:
 * all or none). The audit record names the provider and the counts (and
 * the credential that verified), never an address or a secret.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "auth/auth.h"
#include "log.h"
#include "policy.h"
#include "secmem.h"
#include "store/cred.h"
#include "store/outreach_event.h"
#include "store/store.h"
#include "core/vault.h"

#define API_EV_PATH "outreach/events"
#define API_STATS_PATH "outreach/stats"
#define API_VERIFY_CANDIDATES_MAX 8       /* the URL with and without :443, and so on */
#define API_VERIFY_CANDIDATE_MAX (64 * 1024) /* one signed string, decoded */
#define API_VERIFY_ACCOUNT_MAX 64
#define API_VERIFY_CREDS_MAX 4            /* live twilio credentials of one account tried */

/* ---- verify ------------------------------------------------------------------------------ */

struct api_verify {
	const EVP_MD *md;
	const char *scheme;
	char account[API_VERIFY_ACCOUNT_MAX + 1];
	uint8_t *cand[API_VERIFY_CANDIDATES_MAX];
	size_t cand_len[API_VERIFY_CANDIDATES_MAX];
	size_t n;
	uint8_t sig[EVP_MAX_MD_SIZE];
	size_t sig_len;
};

static void
api_verify_free(struct api_verify *vf)
{
	size_t i;

	for (i = 0; i < vf->n; i++)
		free(vf->cand[i]);
	memset(vf, 0, sizeof(*vf));
}

/*
 * Standard base64 with padding into a new buffer of at most max bytes. 0, or
 * -1 when it is not that.
 */
static int
api_b64_decode(const char *s, size_t n, size_t max, uint8_t **out, size_t *len)
{
	size_t i, pad = 0, cap;
	uint8_t *b;
	int k;

	*out = NULL;
	*len = 0;
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > max + 2)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '=' && i >= n - 2) {
			pad++;
			continue;
		}
		if (pad > 0 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	cap = n / 4 * 3;
	if ((b = malloc(cap + 1)) == NULL)
		return -1;
	if ((k = EVP_DecodeBlock(b, (const unsigned char *)s, (int)n)) < 0 ||
	    (size_t)k != cap || cap - pad > max) {
		free(b);
		return -1;
	}
	*out = b;
	*len = cap - pad;
	return 0;
}

/* The verify object: 0 read, 1 refused and answered (400), -1 error. */
static int
api_verify_read(struct http_req *r, const char *provider, json_t *o, struct api_verify *vf)
{
	static const char *const keys[] = { "scheme", "account", "candidates", "signature" };
	json_t *cands = json_object_get(o, "candidates"), *sig = json_object_get(o, "signature"),
	    *it;
	const char *scheme = json_string_value(json_object_get(o, "scheme")),
	    *account = json_string_value(json_object_get(o, "account")), *k, *bad = NULL;
	uint8_t *s = NULL;
	size_t i, n;

	memset(vf, 0, sizeof(*vf));
	if (strcmp(provider, "twilio") != 0)
		bad = "'verify' is for Twilio's signed webhooks only (provider twilio)";
	json_object_foreach(o, k, it) {
		for (i = 0; i < BOS_ARRAY_LEN(keys) && strcmp(k, keys[i]) != 0; i++)
			;
		if (bad == NULL && i == BOS_ARRAY_LEN(keys))
			bad = "'verify' has scheme, account, candidates and signature, nothing else";
	}
	if (bad == NULL && scheme != NULL && strcmp(scheme, "twilio-sha1") == 0)
		vf->md = EVP_sha1();
	else if (bad == NULL && scheme != NULL && strcmp(scheme, "twilio-sha256") == 0)
		vf->md = EVP_sha256();
	else if (bad == NULL)
		bad = "verify.scheme is twilio-sha1 or twilio-sha256";
	vf->scheme = scheme;
	n = account != NULL ? strnlen(account, API_VERIFY_ACCOUNT_MAX + 1) : 0;
	for (i = 0; bad == NULL && i < n; i++)
		if (!((account[i] >= 'A' && account[i] <= 'Z') || (account[i] >= 'a' &&
		    account[i] <= 'z') || (account[i] >= '0' && account[i] <= '9')))
			n = 0;
	if (bad == NULL && (n < 2 || n > API_VERIFY_ACCOUNT_MAX))
		bad = "verify.account is the account's id (AC...): 2 to 64 letters and digits";
	if (bad == NULL)
		memcpy(vf->account, account, n + 1);
	if (bad == NULL && (!json_is_array(cands) || json_array_size(cands) < 1 ||
	    json_array_size(cands) > API_VERIFY_CANDIDATES_MAX))
		bad = "verify.candidates is an array of 1 to 8 base64 strings (each string the "
		    "provider signed)";
	json_array_foreach(cands, i, it) {
		if (bad != NULL)
			break;
		if (!json_is_string(it) || api_b64_decode(json_string_value(it),
		    json_string_length(it), API_VERIFY_CANDIDATE_MAX, &vf->cand[vf->n],
		    &vf->cand_len[vf->n]) != 0)
			bad = "verify.candidates: each is standard base64 (with padding) of at most "
			    "64 KiB";
		else
			vf->n++;
	}
	if (bad == NULL && (!json_is_string(sig) || api_b64_decode(json_string_value(sig),
	    json_string_length(sig), EVP_MAX_MD_SIZE, &s, &n) != 0 ||
	    n != (size_t)EVP_MD_get_size(vf->md)))
		bad = "verify.signature is the base64 of the HMAC the provider sent";
	if (bad == NULL) {
		memcpy(vf->sig, s, n);
		vf->sig_len = n;
	}
	free(s);
	if (bad == NULL)
		return 0;
	api_verify_free(vf);
	return http_reply_error(r, 400, "invalid", "%s", bad) == 0 ? 1 : -1;
}

struct api_verify_creds {
	const char *account;
	char id[API_VERIFY_CREDS_MAX][CRED_ID_LEN + 1];
	size_t n;
};

/* The live twilio credentials whose metadata account_sid is the account. */
static int
api_verify_cred_cb(const struct cred_meta *m, void *arg)
{
	struct api_verify_creds *c = arg;
	json_t *md;
	const char *sid;
	int match;

	if (m->revoked_at != 0 || c->n == API_VERIFY_CREDS_MAX)
		return 0;
	md = json_loads(m->metadata_json != NULL ? m->metadata_json : "{}", 0, NULL);
	sid = json_string_value(json_object_get(md, "account_sid"));
	match = sid != NULL && strcmp(sid, c->account) == 0;
	json_decref(md);
	if (match)
		memcpy(c->id[c->n++], m->id, CRED_ID_LEN + 1);
	return 0;
}

/* 1 when one candidate's HMAC under secret is the signature. Constant time in the MACs. */
static int
api_verify_with(const struct api_verify *vf, const uint8_t *secret, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen;
	size_t i;
	int match = 0;

	if (len > INT32_MAX)
		return 0;
	for (i = 0; i < vf->n; i++) {
		mlen = 0;
		if (HMAC(vf->md, secret, (int)len, vf->cand[i], vf->cand_len[i], mac, &mlen) == NULL)
			continue;
		match |= mlen == vf->sig_len && CRYPTO_memcmp(mac, vf->sig, mlen) == 0;
		OPENSSL_cleanse(mac, sizeof(mac));
	}
	return match;
}

/*
 * Check the signature: 0 verified (used receives the credential's id), 1
 * refused and answered (401 bad_signature, or an error reading a secret),
 * -1 error.
 */
static int
api_verify_check(struct vault *v, struct http_req *r, const struct api_verify *vf,
    char used[CRED_ID_LEN + 1])
{
	struct api_verify_creds c;
	struct bos_err err;
	uint8_t *secret;
	size_t i, len;
	int rc, ok = 0;

	memset(&c, 0, sizeof(c));
	c.account = vf->account;
	used[0] = '\0';
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_list(&v->cc, "twilio", NULL, api_verify_cred_cb, &c, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
	for (i = 0; i < c.n && !ok; i++) {
		/* Read as GET /credentials/{id} reads it: the HSM's part without the lock. */
		if (api_cred_decrypt(v, r, c.id[i], 0, &secret, &len, &err) != 0) {
			http_req_audit_reason(r, "verifying a %s signature: credential %s: %s",
			    vf->scheme, c.id[i], err.msg);
			return http_reply_bos_err(r, &err) == 0 ? 1 : -1;
		}
		ok = api_verify_with(vf, secret, len);
		secmem_freezero(secret, len);
		if (ok)
			memcpy(used, c.id[i], CRED_ID_LEN + 1);
	}
	if (ok)
		return 0;
	http_req_audit_reason(r, "bad_signature: %s over %zu candidate(s) matches %s of account "
	    "%s; nothing recorded", vf->scheme, vf->n, c.n ? "the secret of no live twilio "
	    "credential" : "nothing: no live twilio credential has that account_sid", vf->account);
	log_info("request %s: broker %s: %s signature of account %s does not verify (%zu "
	    "credentials tried)", http_req_id(r), http_req_principal(r)->broker_id, vf->scheme,
	    vf->account, c.n);
	return http_reply_error(r, 401, "bad_signature", "the webhook's signature does not "
	    "verify with the account's secret; nothing was recorded") == 0 ? 1 : -1;
}

/* ---- events -------------------------------------------------------------------------------- */

/* The events of the body, checked: 0 with *evs (n of them), 1 answered (400), -1 error. */
static int
api_ev_read(struct vault *v, struct http_req *r, const char *provider,
    struct outreach_event **evs, size_t *n)
{
	json_t *arr = json_object_get(http_req_body(r), "events"), *it;
	struct outreach_event *e;
	struct bos_err err;
	int64_t now = vault_now(v);
	size_t i;

	*evs = NULL;
	*n = 0;
	if (!json_is_array(arr) || json_array_size(arr) < 1 ||
	    json_array_size(arr) > OUTREACH_EVENTS_MAX)
		return http_reply_error(r, 400, "invalid", "'events' is an array of 1 to %d events",
		    OUTREACH_EVENTS_MAX) == 0 ? 1 : -1;
	if ((e = calloc(json_array_size(arr), sizeof(*e))) == NULL)
		return -1;
	json_array_foreach(arr, i, it) {
		bos_err_clear(&err);
		if (outreach_event_parse(it, provider, now, &e[i], &err) != 0) {
			size_t k;

			for (k = 0; k <= i; k++)
				outreach_event_clear(&e[k]);
			free(e);
			return http_reply_error(r, 400, "invalid", "events[%zu].%s; nothing was "
			    "recorded", i, err.msg) == 0 ? 1 : -1;
		}
	}
	*evs = e;
	*n = json_array_size(arr);
	return 0;
}

static void
api_ev_free(struct outreach_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		outreach_event_clear(&evs[i]);
	free(evs);
}

struct api_ev_counts {
	size_t recorded, duplicates, unmatched;
};

/* Every event, all or none (a savepoint in the request's transaction). 0 or -1 (err). */
static int
api_ev_record(struct vault *v, const struct outreach_event *evs, size_t n,
    struct api_ev_counts *c, struct bos_err *err)
{
	struct store *s = v->st.store;
	enum outreach_event_outcome out;
	struct bos_err ignored;
	int64_t now = vault_now(v);
	size_t i;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	vault_db_lock(v);
	if (store_begin(s, err) != 0) {
		vault_db_unlock(v);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = outreach_event_record(s, &evs[i], now, &out, NULL, err)) != 0)
			break;
		c->recorded += out == OUTREACH_EVENT_RECORDED;
		c->duplicates += out == OUTREACH_EVENT_DUPLICATE;
		c->unmatched += out == OUTREACH_EVENT_UNMATCHED;
	}
	if (rc == 0)
		rc = store_commit(s, err);
	else {
		bos_err_clear(&ignored);
		if (store_rollback(s, &ignored) != 0)
			log_err("outreach: rolling back events: %s", ignored.msg);
	}
	vault_db_unlock(v);
	return rc;
}

int
api_outreach_events(struct vault *v, struct http_req *r)
{
	json_t *body = http_req_body(r), *verify = json_object_get(body, "verify");
	const char *provider = json_string_value(json_object_get(body, "provider"));
	char used[CRED_ID_LEN + 1] = "";
	struct outreach_event *evs = NULL;
	struct api_ev_counts c;
	struct api_verify vf;
	struct bos_err err;
	size_t n = 0;
	int rc;

	if ((rc = api_allow(v, r, POLICY_CREATE, API_EV_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (!outreach_provider_valid(provider, 0))
		return http_reply_error(r, 400, "invalid", "'provider' is smtp, sendgrid, mailgun, "
		    "ses, twilio or plivo");
	if ((rc = api_ev_read(v, r, provider, &evs, &n)) != 0)
		return rc > 0 ? 0 : -1;
	memset(&vf, 0, sizeof(vf));
	if (verify != NULL && (rc = api_verify_read(r, provider, verify, &vf)) == 0) {
		rc = api_verify_check(v, r, &vf, used);
		api_verify_free(&vf);
	}
	if (rc != 0) {
		api_ev_free(evs, n);
		return rc > 0 ? 0 : -1;
	}
	bos_err_clear(&err);
	rc = api_ev_record(v, evs, n, &c, &err);
	api_ev_free(evs, n);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	http_req_audit_reason(r, "%zu %s event(s): %zu recorded, %zu duplicate(s), %zu unmatched%s%s",
	    n, provider, c.recorded, c.duplicates, c.unmatched, used[0] ? "; signature verified "
	    "with credential " : "", used);
	log_info("request %s: broker %s: %zu %s events, %zu recorded, %zu duplicates, %zu "
	    "unmatched", http_req_id(r), http_req_principal(r)->broker_id, n, provider,
	    c.recorded, c.duplicates, c.unmatched);
	return http_reply_json(r, 200, json_pack("{s:I, s:I, s:I}", "recorded",
	    (json_int_t)c.recorded, "duplicates", (json_int_t)c.duplicates, "unmatched",
	    (json_int_t)c.unmatched));
}

/* ---- stats --------------------------------------------------------------------------------- */

/* count / sent to 4 decimals, null when nothing was sent. */
static json_t *
api_stats_rate(int64_t count, int64_t sent)
{
	double rate = outreach_rate(count, sent);

	return rate < 0 ? json_null() : json_real(rate);
}

int
api_outreach_stats(struct vault *v, struct http_req *r)
{
	const char *campaign = http_req_query(r, "campaign");
	struct outreach_stats st;
	struct bos_err err;
	int rc;

	if ((rc = api_allow(v, r, POLICY_READ, API_STATS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (campaign != NULL && !outreach_campaign_id_valid(campaign))
		return http_reply_error(r, 404, "not_found", "no such campaign: give its id "
		    "(cp_...)");
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_stats_get(v->st.store, campaign, &st, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return http_reply_bos_err(r, &err);
	return http_reply_json(r, 200, json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
	    " s:I, s:I, s:{s:o, s:o, s:o, s:o, s:o, s:o}}",
	    "campaign", campaign != NULL ? json_string(campaign) : json_null(),
	    "messages", (json_int_t)st.messages, "sent", (json_int_t)st.sent,
	    "delivered", (json_int_t)st.delivered, "bounced", (json_int_t)st.bounced,
	    "opened", (json_int_t)st.opened, "clicked", (json_int_t)st.clicked,
	    "replied", (json_int_t)st.replied, "unsubscribed", (json_int_t)st.unsubscribed,
	    "complained", (json_int_t)st.complained, "failed", (json_int_t)st.failed,
	    "rates", "delivered", api_stats_rate(st.delivered, st.sent),
	    "bounced", api_stats_rate(st.bounced, st.sent),
	    "opened", api_stats_rate(st.opened, st.sent),
	    "clicked", api_stats_rate(st.clicked, st.sent),
	    "replied", api_stats_rate(st.replied, st.sent),
	    "unsubscribed", api_stats_rate(st.unsubscribed, st.sent)));
}
