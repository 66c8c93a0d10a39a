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
#define API_VERIFY_CREDS_MAX 4            /* live credentials of one account tried */
#define API_VERIFY_SIGS_MAX 4             /* Plivo may send several signatures */
#define API_VERIFY_TOKEN_MAX 256          /* Mailgun's one-time token */
#define API_VERIFY_SKEW_S 3600            /* Mailgun's signed timestamp: at most this far off */

/* ---- verify ------------------------------------------------------------------------------ */

struct api_verify {
	const EVP_MD *md;
	const char *scheme;
	const char *service;              /* the credentials' service */
	const char *meta_key;             /* their metadata key that must be meta_value */
	const char *meta_value;
	char account[API_VERIFY_ACCOUNT_MAX + 1];
	char token[API_VERIFY_TOKEN_MAX + 1]; /* mailgun: recorded once (a replay is refused) */
	uint8_t *cand[API_VERIFY_CANDIDATES_MAX];
	size_t cand_len[API_VERIFY_CANDIDATES_MAX];
	size_t n;
	uint8_t sig[API_VERIFY_SIGS_MAX][EVP_MAX_MD_SIZE];
	size_t sig_len, nsig;
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

/* A signature: base64 (hex = 0) or lower/upper hex (1) of exactly size bytes into out. */
static int
api_sig_decode(json_t *j, int hex, size_t size, uint8_t *out)
{
	const char *t = json_string_value(j);
	uint8_t *b = NULL;
	size_t i, n;

	if (t == NULL)
		return -1;
	if (hex) {
		if (json_string_length(j) != 2 * size)
			return -1;
		for (i = 0; i < size; i++) {
			int hi = OPENSSL_hexchar2int((unsigned char)t[2 * i]),
			    lo = OPENSSL_hexchar2int((unsigned char)t[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return -1;
			out[i] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	}
	if (api_b64_decode(t, json_string_length(j), EVP_MAX_MD_SIZE, &b, &n) != 0)
		return -1;
	if (n != size) {
		free(b);
		return -1;
	}
	memcpy(out, b, n);
	free(b);
	return 0;
}

/*
 * Mailgun signs timestamp || token: the one candidate must be exactly that,
 * the timestamp within API_VERIFY_SKEW_S of now (a token is remembered for
 * a day, so an older signed string must not be taken). NULL or why not.
 */
static const char *
api_verify_mailgun(const struct api_verify *vf, int64_t now)
{
	size_t tl = strlen(vf->token), dl;
	long long ts = 0;
	size_t i;

	if (vf->n != 1 || vf->cand_len[0] <= tl || vf->cand_len[0] - tl > 12 ||
	    memcmp(vf->cand[0] + vf->cand_len[0] - tl, vf->token, tl) != 0) /* not secret */
		return "verify.candidates is one string: Mailgun's timestamp followed by verify.token";
	dl = vf->cand_len[0] - tl;
	for (i = 0; i < dl; i++) {
		if (vf->cand[0][i] < '0' || vf->cand[0][i] > '9')
			return "verify.candidates is one string: Mailgun's timestamp followed by "
			    "verify.token";
		ts = ts * 10 + (vf->cand[0][i] - '0');
	}
	if (ts < now - API_VERIFY_SKEW_S || ts > now + API_VERIFY_SKEW_S)
		return "stale";
	return NULL;
}

/* The verify object: 0 read, 1 refused and answered (400 or 401 stale), -1 error. */
static int
api_verify_read(struct vault *v, struct http_req *r, const char *provider, json_t *o,
    struct api_verify *vf)
{
	json_t *cands = json_object_get(o, "candidates"), *sig = json_object_get(o, "signature"),
	    *it;
	const char *scheme = json_string_value(json_object_get(o, "scheme")),
	    *account = json_string_value(json_object_get(o, "account")),
	    *token = json_string_value(json_object_get(o, "token")), *k, *bad = NULL;
	int mailgun = 0, plivo = 0;
	size_t i, n;

	memset(vf, 0, sizeof(*vf));
	if (scheme != NULL && (strcmp(scheme, "twilio-sha1") == 0 ||
	    strcmp(scheme, "twilio-sha256") == 0)) {
		vf->md = scheme[10] == '1' ? EVP_sha1() : EVP_sha256();
		vf->service = "twilio";
		vf->meta_key = "account_sid";
	} else if (scheme != NULL && strcmp(scheme, "mailgun") == 0) {
		vf->md = EVP_sha256();
		vf->service = "mailgun";
		vf->meta_key = "purpose";
		vf->meta_value = "webhook";
		mailgun = 1;
	} else if (scheme != NULL && strcmp(scheme, "plivo-v3") == 0) {
		vf->md = EVP_sha256();
		vf->service = "plivo";
		vf->meta_key = "auth_id";
		plivo = 1;
	} else {
		bad = "verify.scheme is twilio-sha1, twilio-sha256, mailgun or plivo-v3";
	}
	vf->scheme = scheme;
	if (bad == NULL && strcmp(provider, vf->service) != 0)
		bad = "verify.scheme is not the provider's (twilio-*: twilio, mailgun: mailgun, "
		    "plivo-v3: plivo)";
	json_object_foreach(o, k, it) {
		if (bad == NULL && strcmp(k, "scheme") != 0 && strcmp(k, "candidates") != 0 &&
		    strcmp(k, "signature") != 0 && strcmp(k, mailgun ? "token" : "account") != 0)
			bad = mailgun ? "'verify' has scheme, candidates, signature and token, nothing "
			    "else" : "'verify' has scheme, account, candidates and signature, nothing else";
	}
	if (bad == NULL && mailgun) {
		n = token != NULL ? strnlen(token, API_VERIFY_TOKEN_MAX + 1) : 0;
		for (i = 0; i < n; i++)
			if ((unsigned char)token[i] < 0x21 || (unsigned char)token[i] > 0x7e)
				n = 0;
		if (n < 1 || n > API_VERIFY_TOKEN_MAX)
			bad = "verify.token is Mailgun's token: 1 to 256 printable characters";
		else
			memcpy(vf->token, token, n + 1);
	} else if (bad == NULL) {
		n = account != NULL ? strnlen(account, API_VERIFY_ACCOUNT_MAX + 1) : 0;
		for (i = 0; i < n; i++)
			if (!((account[i] >= 'A' && account[i] <= 'Z') || (account[i] >= 'a' &&
			    account[i] <= 'z') || (account[i] >= '0' && account[i] <= '9')))
				n = 0;
		if (n < 2 || n > API_VERIFY_ACCOUNT_MAX)
			bad = "verify.account is the account's id (AC..., Plivo's auth id): 2 to 64 "
			    "letters and digits";
		else
			memcpy(vf->account, account, n + 1);
		vf->meta_value = vf->account;
	}
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
	if (bad == NULL) {
		vf->sig_len = (size_t)EVP_MD_get_size(vf->md);
		if (plivo && json_is_array(sig) && json_array_size(sig) >= 1 &&
		    json_array_size(sig) <= API_VERIFY_SIGS_MAX) {
			json_array_foreach(sig, i, it)
				if (bad == NULL && api_sig_decode(it, 0, vf->sig_len, vf->sig[i]) != 0)
					bad = "verify.signature: each is the base64 of an HMAC-SHA256";
			vf->nsig = json_array_size(sig);
		} else if (api_sig_decode(sig, mailgun, vf->sig_len, vf->sig[0]) == 0) {
			vf->nsig = 1;
		} else {
			bad = mailgun ? "verify.signature is the hex of an HMAC-SHA256" : plivo ?
			    "verify.signature is the base64 of an HMAC-SHA256, or an array of 1 to 4" :
			    "verify.signature is the base64 of the HMAC the provider sent";
		}
	}
	if (bad == NULL && mailgun && (bad = api_verify_mailgun(vf, vault_now(v))) != NULL &&
	    strcmp(bad, "stale") == 0) {
		api_verify_free(vf);
		return http_reply_error(r, 401, "stale", "the webhook's signed timestamp is more than "
		    "%d s from the vault's clock; nothing was recorded", API_VERIFY_SKEW_S) == 0 ?
		    1 : -1;
	}
	if (bad == NULL)
		return 0;
	api_verify_free(vf);
	return http_reply_error(r, 400, "invalid", "%s", bad) == 0 ? 1 : -1;
}

struct api_verify_creds {
	const char *key, *value;
	char id[API_VERIFY_CREDS_MAX][CRED_ID_LEN + 1];
	size_t n;
};

/* The live credentials whose metadata key is the value (twilio account_sid, plivo auth_id ...). */
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
	sid = json_string_value(json_object_get(md, c->key));
	match = sid != NULL && strcmp(sid, c->value) == 0;
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
	size_t i, j;
	int match = 0;

	if (len > INT32_MAX)
		return 0;
	for (i = 0; i < vf->n; i++) {
		mlen = 0;
		if (HMAC(vf->md, secret, (int)len, vf->cand[i], vf->cand_len[i], mac, &mlen) == NULL)
			continue;
		for (j = 0; j < vf->nsig; j++)
			match |= mlen == vf->sig_len && CRYPTO_memcmp(mac, vf->sig[j], mlen) == 0;
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
	c.key = vf->meta_key;
	c.value = vf->meta_value;
	used[0] = '\0';
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = cred_list(&v->cc, vf->service, NULL, api_verify_cred_cb, &c, &err);
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
	http_req_audit_reason(r, "bad_signature: %s over %zu candidate(s) matches %s %s of %s "
	    "credential with metadata %s %s; nothing recorded", vf->scheme, vf->n, c.n ?
	    "the secret of no" : "nothing: no", "live", vf->service, vf->meta_key, vf->meta_value);
	log_info("request %s: broker %s: %s signature (%s %s) does not verify (%zu "
	    "credentials tried)", http_req_id(r), http_req_principal(r)->broker_id, vf->scheme,
	    vf->meta_key, vf->meta_value, c.n);
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
api_ev_record(struct vault *v, const char *token_provider, const char *token,
    const struct outreach_event *evs, size_t n, struct api_ev_counts *c, struct bos_err *err)
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
	if (token != NULL && token[0] != '\0' &&
	    (rc = outreach_webhook_token_use(s, token_provider, token, now, err)) == 1)
		rc = bos_err_set(err, BOS_E_AUTH, "replayed");
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
	if (verify != NULL && (rc = api_verify_read(v, r, provider, verify, &vf)) == 0)
		rc = api_verify_check(v, r, &vf, used);
	if (rc != 0) {
		api_verify_free(&vf);
		api_ev_free(evs, n);
		return rc > 0 ? 0 : -1;
	}
	bos_err_clear(&err);
	rc = api_ev_record(v, provider, vf.token, evs, n, &c, &err);
	api_verify_free(&vf);
	api_ev_free(evs, n);
	if (rc != 0 && err.code == BOS_E_AUTH) {
		http_req_audit_reason(r, "replayed: a signed %s webhook's token was seen in the "
		    "last %d s; nothing recorded", provider, OUTREACH_WEBHOOK_TOKEN_TTL);
		return http_reply_error(r, 401, "replayed", "this signed webhook was received "
		    "before (its token is used); nothing was recorded");
	}
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
