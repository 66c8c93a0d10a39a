/*
 * The outreach broker's routes (docs/OUTREACH.md "Sending", "Events"): GET
 * /outreach/sends/{job}?claim=, POST /outreach/sends/{job}/sending and
 * /sent, POST /outreach/track. The claim id is the authority for a send, as
 * for heartbeat: only the broker holding a live claim on the job gets its
 * message; the role must still be allowed the route (read outreach/sends,
 * update outreach/sends/sending and /sent, read outreach/track). The message is rendered now, from
 * the campaign and the contact, with the vault's settings; no secret is in
 * it (the provider's key comes by a lease).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "core/config.h"
#include "core/vault.h"
#include "log.h"
#include "policy.h"
#include "store/job.h"
#include "hsmc/hsm_client.h"
#include "secmem.h"
#include "store/helper.h"
#include "store/outreach_campaign.h"
#include "store/outreach_notice.h"
#include "store/outreach_render.h"
#include "store/store.h"

#define API_SENDS_PATH "outreach/sends"
#define API_TRACK_PATH "outreach/track"
#define API_PROVIDER_ID_MAX 256

static int
api_os_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code == BOS_E_EXISTS)
		return http_reply_error(r, 409, "stale_claim", "%s", err->msg);
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

static int
api_os_conflict(struct http_req *r, enum outreach_send_conflict c, const char *job)
{
	static const char *const why[] = {
		"", "the message was sent: complete the job with result {\"skipped\": "
		"\"already_sent\"}, do not send it again",
		"an earlier attempt reached 'sending' and never reported: fail the job without "
		"retry, it is never sent twice",
		"the campaign is not running: complete the job without sending",
		"the address is suppressed: complete the job with result {\"skipped\": "
		"\"suppressed\"}" };

	http_req_audit_reason(r, "job %s: %s", job, outreach_send_conflict_code(c));
	return http_reply_error(r, 409, outreach_send_conflict_code(c), "%s", why[c]);
}

/* The job id of the path and the claim (query or body): 0, or answered (1/-1). */
static int
api_os_args(struct vault *v, struct http_req *r, const char *claim, const char *step,
    const char **job)
{
	char path[sizeof(API_SENDS_PATH) + 16];
	int rc;

	*job = http_req_param(r, "job");
	(void)snprintf(path, sizeof(path), API_SENDS_PATH "%s%s", step != NULL ? "/" : "",
	    step != NULL ? step : "");
	if ((rc = api_allow(v, r, step != NULL ? POLICY_UPDATE : POLICY_READ, path, NULL)) != 0)
		return rc > 0 ? 1 : -1;
	if (claim == NULL || strlen(claim) != JOB_CLAIM_SIZE - 1 || strncmp(claim, "cl_", 3) != 0)
		return http_reply_error(r, 400, "invalid", "'claim' is required: the claim id "
		    "(cl_...) POST /jobs/claim gave") == 0 ? 1 : -1;
	if (!job_id_valid(*job))
		return http_reply_error(r, 404, "not_found", "no such job: give its id (jb_...)") ==
		    0 ? 1 : -1;
	http_req_audit_resource(r, "/jobs/%s", *job);
	return 0;
}

static void
api_os_set(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, json_string(v));
}

/* The rendered message: 0 with *out, or -1 with err. */
static int
api_os_render(const struct config *conf, const struct outreach_send *o, json_t **out,
    struct bos_err *err)
{
	json_t *fields = o->fields != NULL ? json_loads(o->fields, 0, NULL) : NULL;
	struct outreach_email_in in;
	struct outreach_rendered rd;
	json_t *m, *h;
	int email = strcmp(o->c.channel, "email") == 0, r;

	memset(&in, 0, sizeof(in));
	in.vars = (struct outreach_vars){ o->name, o->email, o->phone, fields };
	if (email) {
		in.subject = o->c.subject;
		in.text = o->c.text;
		in.html = o->c.html;
		in.provider = o->c.provider;
		in.public_url = conf->outreach_public_url;
		in.postal_address = conf->outreach_postal_address;
		in.reply_domain = conf->outreach_reply_domain;
		in.message_id = o->message_id;
		in.token = o->token;
		r = outreach_render_email(&in, &rd, err);
	} else {
		r = outreach_render_sms(o->c.text, &in.vars, &rd, err);
	}
	json_decref(fields);
	if (r != 0)
		return -1;
	m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", o->message_id, "channel",
	    o->c.channel, "provider", o->c.provider, "credential", o->c.credential, "to", o->to,
	    "from", o->c.from, "token", o->token);
	h = json_object();
	if (m == NULL || h == NULL) {
		json_decref(m);
		json_decref(h);
		outreach_rendered_free(&rd);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	}
	api_os_set(m, "subject", rd.subject);
	api_os_set(m, "text", rd.text);
	api_os_set(m, "html", rd.html);
	api_os_set(m, "body", rd.body);
	if (email) {
		api_os_set(m, "message_id", rd.h_message_id);
		api_os_set(h, "Message-ID", rd.h_message_id);
		api_os_set(h, "List-Unsubscribe", rd.h_list_unsubscribe);
		api_os_set(h, "List-Unsubscribe-Post", rd.h_list_unsubscribe_post);
		api_os_set(h, "Reply-To", rd.h_reply_to);
	}
	json_object_set_new(m, "headers", h);
	/* Twilio reports delivery to the hooks listener, reached where the other links point. */
	if (strcmp(o->c.provider, "twilio") == 0 && conf->outreach_public_url[0] != '\0') {
		char cb[CONFIG_URL_MAX + 32];

		(void)snprintf(cb, sizeof(cb), "%s/hooks/twilio/status", conf->outreach_public_url);
		json_object_set_new(m, "status_callback", json_string(cb));
	}
	outreach_rendered_free(&rd);
	*out = m;
	return 0;
}

/* ---- notices (docs/OUTREACH.md "Notices") ------------------------------------------ */

#define API_NOTICE_TEXT_MAX 4096

_Static_assert(OUTREACH_NOTICE_ALREADY_SENT == (int)OUTREACH_SEND_ALREADY_SENT &&
    OUTREACH_NOTICE_OUTCOME_UNKNOWN == (int)OUTREACH_SEND_OUTCOME_UNKNOWN &&
    OUTREACH_NOTICE_STATE == (int)OUTREACH_SEND_CAMPAIGN_STATE &&
    OUTREACH_NOTICE_SUPPRESSED == (int)OUTREACH_SEND_SUPPRESSED, "one set of 409 codes");

/* "UTC time" of t into out. */
static void
api_os_time(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, 32, "(unknown)");
}

/* What the grant is for: its note, else its credentials. */
static void
api_os_grant_for(const struct grant_info *g, char *out, size_t cap)
{
	json_t *items = json_loads(g->items_json != NULL ? g->items_json : "[]", 0, NULL), *it;
	size_t i, n = 0;

	out[0] = '\0';
	if (g->note[0] != '\0') {
		(void)snprintf(out, cap, "%s", g->note);
	} else {
		json_array_foreach(items, i, it) {
			if (json_is_string(it) && n < cap)
				n += (size_t)snprintf(out + n, cap - n, "%s%s", i > 0 ? ", " : "",
				    json_string_value(it));
		}
	}
	json_decref(items);
}

/*
 * The text of a grant token notice, with the token unwrapped now (the HSM,
 * AAD "bos-notice:v1:" + id) into text (cap API_NOTICE_TEXT_MAX + 1).
 * Under the lock. 0, or -1 with err.
 */
static int
api_os_grant_text(struct vault *v, const struct outreach_notice *n, char *text, size_t cap,
    struct bos_err *err)
{
	uint8_t aad[OUTREACH_NOTICE_AAD_MAX];
	char token[TOKEN_SIZE], exp[32], what[GRANT_NOTE_MAX + 256];
	size_t aad_len = outreach_notice_aad(n->id, aad), len = 0;
	struct grant_info g;
	int w, rc = -1;

	memset(&g, 0, sizeof(g));
	memset(token, 0, sizeof(token));
	if (grant_get(v->st.store, n->accessor, &g, err) != 0)
		return -1;
	if (hsm_unwrap(v->st.hsm, n->kek_version, aad, aad_len, n->blob, n->blob_len,
	    (uint8_t *)token, sizeof(token) - 1, &len, err) != 0)
		goto out;
	token[len] = '\0';
	if (len != TOKEN_LEN || token_check(token, TOKEN_HELPER) != 0) {
		bos_err_set(err, BOS_E_CORRUPT, "the wrapped token of notice %s is not a helper "
		    "token", n->id);
		goto out;
	}
	api_os_time(g.expires_at, exp);
	api_os_grant_for(&g, what, sizeof(what));
	if (strcmp(n->channel, "email") == 0)
		w = snprintf(text, cap, "Your BOS access token for %s:\n\n  %s\n\nIt expires %s "
		    "(grant %s). Keep it secret: anyone who has it has this access.\n\nUse it with "
		    "curl against the vault's address your admin gave you:\n  curl -H "
		    "'Authorization: Bearer %s' https://VAULT/credentials/ID\nor save it alone in "
		    "a file of mode 0600 and run:\n  bosctl --token-file FILE cred show ID --reveal\n"
		    "Check that it arrived whole with: bosctl token check -\n", what, token, exp,
		    n->accessor, token);
	else
		w = snprintf(text, cap, "Your BOS access token for %s: %s expires %s; use it with "
		    "curl -H 'Authorization: Bearer %s' or bosctl --token-file FILE", what, token, exp,
		    token);
	if (w < 0 || (size_t)w >= cap) {
		bos_err_set(err, BOS_E_INVALID, "the text of notice %s is too long", n->id);
		goto out;
	}
	rc = 0;
 out:
	secmem_wipe(token, sizeof(token));
	grant_info_free(&g);
	return rc;
}

/* The message of a notice, as a campaign's (no headers but Message-ID). */
static json_t *
api_os_notice_json(const struct outreach_notice *n, const char *text)
{
	int email = strcmp(n->channel, "email") == 0;
	char mid[OUTREACH_NOTICE_ID_SIZE + 16];
	json_t *m, *h = json_object();

	(void)snprintf(mid, sizeof(mid), "<%s@bos.invalid>", n->id);
	m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", n->id, "channel", n->channel,
	    "provider", n->provider, "credential", n->credential, "to", n->to, "from", n->from,
	    "token", n->token);
	if (m == NULL || h == NULL) {
		json_decref(m);
		json_decref(h);
		return NULL;
	}
	if (email) {
		api_os_set(m, "subject", n->subject);
		api_os_set(m, "text", text);
		api_os_set(m, "message_id", mid);
		api_os_set(h, "Message-ID", mid);
	} else {
		api_os_set(m, "body", text);
	}
	json_object_set_new(m, "headers", h);
	return m;
}

/* GET /outreach/sends/{job} for a notice's job; under the lock. 0 with *m, 1 conflict, -1. */
static int
api_os_notice_get(struct vault *v, const char *job, json_t **m, int *conflict,
    struct bos_err *err)
{
	struct outreach_notice *n = calloc(1, sizeof(*n));
	char *text = calloc(1, API_NOTICE_TEXT_MAX + 1);
	int rc = -1;

	*m = NULL;
	if (n == NULL || text == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	if (outreach_notice_prepare(v->st.store, job, vault_now(v), n, conflict, err) != 0)
		goto out;
	if (*conflict != OUTREACH_SEND_OK) {
		rc = 1;
		goto out;
	}
	if (strcmp(n->kind, "grant_token") == 0) {
		if (api_os_grant_text(v, n, text, API_NOTICE_TEXT_MAX + 1, err) != 0)
			goto out;
	} else {
		(void)snprintf(text, API_NOTICE_TEXT_MAX + 1, "%s", n->text);
	}
	if ((*m = api_os_notice_json(n, text)) == NULL) {
		bos_err_set(err, BOS_E_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	/* The token was in both: wiped before the memory goes back. */
	if (n != NULL)
		secmem_wipe(n, sizeof(*n));
	if (text != NULL)
		secmem_wipe(text, API_NOTICE_TEXT_MAX + 1);
	free(n);
	free(text);
	return rc;
}

int
api_outreach_send_get(struct vault *v, struct http_req *r)
{
	const char *job, *claim = http_req_query(r, "claim");
	enum outreach_send_conflict c = OUTREACH_SEND_OK;
	struct outreach_send o;
	struct job_info *j;
	struct bos_err err;
	json_t *m = NULL;
	int rc;

	if ((rc = api_os_args(v, r, claim, NULL, &job)) != 0)
		return rc > 0 ? 0 : -1;
	if ((j = malloc(sizeof(*j))) == NULL)
		return -1;
	bos_err_clear(&err);
	memset(&o, 0, sizeof(o));
	vault_db_lock(v);
	rc = job_claim_held(v->st.store, job, http_req_principal(r)->broker_id, claim, 1,
	    vault_now(v), j, &err);
	if (rc == 0 && j->notice[0] != '\0') {
		int nc = OUTREACH_SEND_OK;

		rc = api_os_notice_get(v, job, &m, &nc, &err);
		vault_db_unlock(v);
		free(j);
		if (rc < 0)
			return api_os_fail(r, &err);
		if (rc > 0)
			return api_os_conflict(r, (enum outreach_send_conflict)nc, job);
		/* The token is in the message: never logged, never kept in the audit trail. */
		http_req_audit_reason(r, "notice of job %s handed to its broker", job);
		return http_reply_json_secret(r, 200, json_pack("{s:o}", "message", m));
	}
	if (rc == 0 && j->campaign[0] == '\0')
		rc = bos_err_set(&err, BOS_E_NOTFOUND, "job %s is not a send job", job);
	if (rc == 0)
		rc = outreach_send_prepare(v->st.store, job, vault_now(v), &o, &c, &err);
	vault_db_unlock(v);
	free(j);
	if (rc != 0)
		return api_os_fail(r, &err);
	if (c != OUTREACH_SEND_OK) {
		outreach_send_free(&o);
		return api_os_conflict(r, c, job);
	}
	rc = api_os_render(&v->st.conf, &o, &m, &err);
	outreach_send_free(&o);
	if (rc != 0)
		return api_os_fail(r, &err);
	http_req_audit_reason(r, "message of job %s handed to its broker", job);
	return http_reply_json(r, 200, json_pack("{s:o}", "message", m));
}

/* The claim field of a POST body, or NULL. */
static const char *
api_os_body_claim(struct http_req *r)
{
	json_t *c = json_object_get(http_req_body(r), "claim");

	return json_is_string(c) ? json_string_value(c) : NULL;
}

int
api_outreach_send_sending(struct vault *v, struct http_req *r)
{
	enum outreach_send_conflict c = OUTREACH_SEND_OK;
	const char *job, *claim = api_os_body_claim(r);
	struct job_info *j;
	struct bos_err err;
	int rc;

	if ((rc = api_os_args(v, r, claim, "sending", &job)) != 0)
		return rc > 0 ? 0 : -1;
	if ((j = malloc(sizeof(*j))) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = job_claim_held(v->st.store, job, http_req_principal(r)->broker_id, claim, 1,
	    vault_now(v), j, &err);
	if (rc == 0 && j->notice[0] != '\0') {
		int nc = OUTREACH_SEND_OK;

		rc = outreach_notice_mark_sending(v->st.store, job, vault_now(v), &nc, &err);
		c = (enum outreach_send_conflict)nc;
	} else if (rc == 0) {
		rc = outreach_send_mark_sending(v->st.store, job, vault_now(v), &c, &err);
	}
	vault_db_unlock(v);
	free(j);
	if (rc != 0)
		return api_os_fail(r, &err);
	if (c != OUTREACH_SEND_OK)
		return api_os_conflict(r, c, job);
	http_req_audit_reason(r, "job %s: sending", job);
	return http_reply_json(r, 200, json_pack("{s:s, s:s}", "job", job, "state", "sending"));
}

/* "price": {micros >= 0, currency}: 0 (absent: *micros = -1), or answered (1/-1). */
static int
api_os_price(struct http_req *r, int64_t *micros, const char **currency)
{
	json_t *p = json_object_get(http_req_body(r), "price"), *m, *c;

	*micros = -1;
	*currency = NULL;
	if (p == NULL || json_is_null(p))
		return 0;
	m = json_object_get(p, "micros");
	c = json_object_get(p, "currency");
	if (!json_is_object(p) || json_object_size(p) != 2 || !json_is_integer(m) ||
	    json_integer_value(m) < 0 || !json_is_string(c))
		return http_reply_error(r, 400, "invalid", "'price' must be {\"micros\": >= 0, "
		    "\"currency\": \"USD\"}") == 0 ? 1 : -1;
	*micros = json_integer_value(m);
	*currency = json_string_value(c);
	return 0;
}

int
api_outreach_send_sent(struct vault *v, struct http_req *r)
{
	enum outreach_send_conflict c = OUTREACH_SEND_OK;
	const char *job, *claim = api_os_body_claim(r), *pid = NULL, *cur;
	json_t *p = json_object_get(http_req_body(r), "provider_id");
	struct job_info *j;
	struct bos_err err;
	int64_t micros;
	size_t i;
	int rc;

	if ((rc = api_os_args(v, r, claim, "sent", &job)) != 0)
		return rc > 0 ? 0 : -1;
	if (p != NULL && !json_is_null(p)) {
		pid = json_is_string(p) ? json_string_value(p) : NULL;
		for (i = 0; pid != NULL && pid[i] != '\0'; i++)
			if ((unsigned char)pid[i] < 0x20 || pid[i] == 0x7f)
				pid = NULL;
		if (pid == NULL || pid[0] == '\0' || strlen(pid) > API_PROVIDER_ID_MAX ||
		    strlen(pid) != json_string_length(p))
			return http_reply_error(r, 400, "invalid", "'provider_id' must be 1 to %d "
			    "printable characters", API_PROVIDER_ID_MAX);
	}
	if ((rc = api_os_price(r, &micros, &cur)) != 0)
		return rc > 0 ? 0 : -1;
	if ((j = malloc(sizeof(*j))) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	/* The provider accepted it: recorded even when the claim ran out meanwhile. */
	rc = job_claim_held(v->st.store, job, http_req_principal(r)->broker_id, claim, 0,
	    vault_now(v), j, &err);
	if (rc == 0 && j->notice[0] != '\0') {
		int nc = OUTREACH_SEND_OK;

		/* A notice's spend is its estimate: the provider's price is not taken. */
		rc = outreach_notice_mark_sent(v->st.store, job, pid, vault_now(v), &nc, &err);
		c = (enum outreach_send_conflict)nc;
	} else if (rc == 0) {
		rc = outreach_send_mark_sent(v->st.store, job, pid, micros, cur, vault_now(v), &c,
		    &err);
	}
	vault_db_unlock(v);
	free(j);
	if (rc != 0)
		return api_os_fail(r, &err);
	if (c != OUTREACH_SEND_OK)
		return api_os_conflict(r, c, job);
	http_req_audit_reason(r, "job %s: sent", job);
	return http_reply_json(r, 200, json_pack("{s:s, s:s}", "job", job, "state", "sent"));
}

/* ---- POST /outreach/track -------------------------------------------------------- */

int
api_outreach_track(struct vault *v, struct http_req *r)
{
	json_t *body = http_req_body(r), *t = json_object_get(body, "token"),
	    *k = json_object_get(body, "kind"), *l = json_object_get(body, "link");
	char url[OUTREACH_LINK_MAX + 1];
	const char *token, *kind;
	struct bos_err err;
	int64_t link = -1;
	int dup = 0, rc;

	if ((rc = api_allow(v, r, POLICY_READ, API_TRACK_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if (!json_is_string(t) || !json_is_string(k))
		return http_reply_error(r, 400, "invalid", "'token' and 'kind' are required strings");
	token = json_string_value(t);
	kind = json_string_value(k);
	if (strcmp(kind, "open") != 0 && strcmp(kind, "click") != 0 &&
	    strcmp(kind, "unsubscribe") != 0)
		return http_reply_error(r, 400, "invalid", "'kind' must be open, click or "
		    "unsubscribe");
	if ((strcmp(kind, "click") == 0) != (l != NULL && !json_is_null(l)) ||
	    (l != NULL && !json_is_null(l) && (!json_is_integer(l) || json_integer_value(l) < 0)))
		return http_reply_error(r, 400, "invalid", "'link' (an integer >= 0) is given for a "
		    "click, and only for a click");
	if (l != NULL && json_is_integer(l))
		link = json_integer_value(l);
	/* A token is 22 base64url characters: anything else is unknown, without a look-up. */
	if (strlen(token) != OUTREACH_TOKEN_LEN ||
	    strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
	    OUTREACH_TOKEN_LEN)
		return http_reply_error(r, 404, "not_found", "unknown token");
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = outreach_track(v->st.store, token, kind, link, vault_now(v), url, sizeof(url), &dup,
	    &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_os_fail(r, &err);
	http_req_audit_reason(r, "%s recorded%s", kind, dup ? " before: nothing new" : "");
	if (strcmp(kind, "click") == 0)
		return http_reply_json(r, 200, json_pack("{s:s}", "url", url));
	return http_reply_json(r, 200, json_object());
}
