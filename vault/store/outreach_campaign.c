/* Outreach campaigns and their sends; see outreach_campaign.h and docs/OUTREACH.md. */
#include "store/outreach_campaign.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "store/alert.h"
#include "store/budget.h"
#include "store/job.h"
#include "store/outreach_render.h"
#include "store/outreach_send.h"
#include "currency.h"
#include "log.h"
#include "randid.h"
#include "store/store.h"

#define OC_ID_CHARS 26

int
outreach_token_new(char out[24])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char b[18] = { 0 };    /* 16 random bytes, 2 zero bytes of padding */
	size_t i, o = 0;
	uint32_t v;

	if (getrandom(b, 16, 0) != 16)
		return -1;
	for (i = 0; i < 18; i += 3) {
		v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	out[OUTREACH_TOKEN_LEN] = '\0';  /* 128 bits are 22 characters: the rest is padding */
	return 0;
}

/* ---- creation -------------------------------------------------------------------- */

static int
oc_insert_campaign(struct store *s, const struct outreach_campaign_new *n, const char *id,
    int64_t now, int64_t now_ms, struct bos_err *err)
{
	return outreach_sql_run(s, "creating a campaign", err,
	    "INSERT INTO outreach_campaigns (id, channel,"
	    " list_id, provider, credential, from_addr, subject, text_body, html_body, per_minute,"
	    " state, next_send_at, price_micros, currency, recipients, skipped, created_by,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?13, ?14, 0, 0, ?15, ?16, ?16)", "tttttttttitiitti", id, n->channel, n->list_id,
	    n->provider, n->credential, n->from, n->subject, n->text, n->html,
	    (int64_t)n->per_minute, n->start ? "running" : "draft", now_ms, n->price_micros,
	    n->currency, n->created_by, now) == 1 ? 0 : -1;
}

/* One recipient: its message, and its job unless suppressed. */
static int
oc_add_message(struct store *s, const struct outreach_campaign_new *n, const char *cid,
    const char *contact, const char *to, int suppressed, int64_t now, struct bos_err *err)
{
	char mid[OUTREACH_ID_SIZE], token[24], params[128], idem[64], jid[JOB_ID_SIZE];
	struct job_new j;
	int existed = 0;

	if (randid_new("om_", OC_ID_CHARS, mid, sizeof(mid)) != 0 || outreach_token_new(token) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (outreach_sql_run(s, "adding a message", err,
	    "INSERT INTO outreach_messages (id, campaign_id,"
	    " contact_id, to_addr, token, state, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	    "tttttti", mid, cid, contact, to, token, suppressed ? "suppressed" : "queued",
	    now) != 1)
		return -1;
	if (suppressed)
		return 0;
	(void)snprintf(params, sizeof(params), "{\"campaign\":\"%s\",\"message\":\"%s\"}", cid,
	    mid);
	(void)snprintf(idem, sizeof(idem), "send:%s", mid);
	memset(&j, 0, sizeof(j));
	j.kind = strcmp(n->channel, "email") == 0 ? "send_email" : "send_sms";
	j.service = n->provider;
	j.credential = n->credential;
	j.params_json = params;
	j.idempotency_key = idem;
	j.est_amount = n->estimate >= 0 ? n->estimate : -1;
	j.est_currency = n->estimate >= 0 ? n->currency : NULL;
	j.created_by = n->created_by;
	j.campaign = cid;
	/* A draft's jobs wait until it starts (start makes them due). */
	j.not_before = n->start ? now : now + OUTREACH_PAUSED_HOLD;
	if (job_create(s, &j, now, jid, &existed, err) != 0)
		return -1;
	return outreach_sql_run(s, "linking a message to its job", err,
	    "UPDATE outreach_messages SET"
	    " job_id = ?1 WHERE id = ?2", "tt", jid, mid) == 1 ? 0 : -1;
}

static int
oc_create_locked(struct store *s, const struct outreach_campaign_new *n, const char *id,
    int64_t now, int64_t now_ms, struct bos_err *err)
{
	int email = strcmp(n->channel, "email") == 0;
	sqlite3_stmt *st = NULL;
	int64_t recipients = 0, skipped = 0, total = 0;
	char contact[OUTREACH_ID_SIZE], to[256];
	int r = -1, rc, has, consent, sup;

	if (outreach_sql_int(s, "counting a list", &total, err,
	    "SELECT count(*) FROM outreach_contacts"
	    " WHERE list_id = ?1", "t", n->list_id) != 0)
		return -1;
	if (total > OUTREACH_RECIPIENTS_MAX)
		return bos_err_set(err, BOS_E_INVALID,
		    "the list has %lld contacts: a campaign takes at most %d (split the "
		    "list into lists of that size, one campaign each)", (long long)total,
		    OUTREACH_RECIPIENTS_MAX);
	if (oc_insert_campaign(s, n, id, now, now_ms, err) != 0)
		return -1;
	/* The suppression list is read here, in the same transaction as the messages. */
	if (store_stmt(s, "SELECT c.id, coalesce(CASE WHEN ?2 = 'email' THEN c.email ELSE c.phone"
	    " END, ''), CASE WHEN ?2 = 'email' THEN c.consent_email ELSE c.consent_sms END,"
	    " EXISTS (SELECT 1 FROM outreach_suppressions x WHERE x.channel = ?2 AND x.address ="
	    " CASE WHEN ?2 = 'email' THEN c.email ELSE c.phone END)"
	    " FROM outreach_contacts c WHERE c.list_id = ?1 ORDER BY c.created_at, c.rowid",
	    &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, n->list_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, n->channel, -1, SQLITE_STATIC) != SQLITE_OK) {
		store_err_db(s, "reading a list", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (outreach_sql_copy(st, 0, contact, sizeof(contact)) != 0 ||
		    outreach_sql_copy(st, 1, to, sizeof(to)) != 0)
			goto corrupt;
		has = to[0] != '\0';
		consent = sqlite3_column_int(st, 2);
		sup = sqlite3_column_int(st, 3);
		if (!has || !consent) {
			skipped++;      /* no address or no consent for this channel: never sent */
			continue;
		}
		if (oc_add_message(s, n, id, contact, to, sup, now, err) != 0)
			goto out;
		recipients++;
	}
	if (rc != SQLITE_DONE) {
		store_err_db(s, "reading a list", err);
		goto out;
	}
	(void)email;
	store_stmt_done(s, st);
	st = NULL;
	if (outreach_sql_run(s, "counting a campaign", err,
	    "UPDATE outreach_campaigns SET recipients = ?1,"
	    " skipped = ?2 WHERE id = ?3", "iit", recipients, skipped, id) != 1)
		return -1;
	/* Nothing to send (no recipient, or every one suppressed): done at once. */
	if (outreach_campaign_finish_if_done(s, id, now, err) != 0)
		return -1;
	/* success */
	r = 0;
	goto out;
 corrupt:
	bos_err_set(err, BOS_E_CORRUPT, "a contact row is malformed");
 out:
	store_stmt_done(s, st);
	return r;
}

int
outreach_campaign_create(struct store *s, const struct outreach_campaign_new *n,
    int64_t now, int64_t now_ms, char id[OUTREACH_ID_SIZE], struct bos_err *err)
{
	if (randid_new("cp_", OC_ID_CHARS, id, OUTREACH_ID_SIZE) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (store_begin(s, err) != 0 ||
	    outreach_sql_finish(s, oc_create_locked(s, n, id, now, now_ms, err),
	    err) != 0) {
		id[0] = '\0';
		return -1;
	}
	log_info("campaign %s (%s, %s) created by %s", id, n->channel, n->provider, n->created_by);
	return 0;
}

/* ---- reading --------------------------------------------------------------------- */

#define OC_COLS "SELECT c.id, c.channel, c.list_id, c.provider, c.credential, c.from_addr," \
	" c.subject, c.text_body, c.html_body, c.per_minute, c.state, c.next_send_at," \
	" c.price_micros, c.currency, c.spend_micros, c.spend_recorded, c.recipients, c.skipped," \
	" c.created_by, c.created_at, c.updated_at, coalesce(c.finished_at, 0)," \
	" (SELECT count(*) FROM outreach_messages m WHERE m.campaign_id = c.id AND m.state =" \
	"  'suppressed')," \
	" (SELECT count(*) FROM outreach_messages m WHERE m.campaign_id = c.id AND m.state IN" \
	"  ('queued', 'sending'))," \
	" (SELECT count(*) FROM outreach_messages m WHERE m.campaign_id = c.id AND m.state = 'sent')," \
	" (SELECT count(*) FROM outreach_messages m WHERE m.campaign_id = c.id AND m.state =" \
	"  'failed')," \
	" (SELECT count(*) FROM outreach_messages m WHERE m.campaign_id = c.id AND m.state =" \
	"  'unknown')," \
	" (SELECT count(*) FROM outreach_messages m WHERE m.campaign_id = c.id AND m.state =" \
	"  'cancelled') FROM outreach_campaigns c "

void
outreach_campaign_free(struct outreach_campaign *c)
{
	free(c->from);
	free(c->subject);
	free(c->text);
	free(c->html);
	memset(c, 0, sizeof(*c));
}

static int
oc_from_row(sqlite3_stmt *st, struct outreach_campaign *c, struct bos_err *err)
{
	memset(c, 0, sizeof(*c));
	if (outreach_sql_copy(st, 0, c->id, sizeof(c->id)) != 0 ||
	    outreach_sql_copy(st, 1, c->channel, sizeof(c->channel)) != 0 ||
	    outreach_sql_copy(st, 2, c->list_id, sizeof(c->list_id)) != 0 ||
	    outreach_sql_copy(st, 3, c->provider, sizeof(c->provider)) != 0 ||
	    outreach_sql_copy(st, 4, c->credential, sizeof(c->credential)) != 0 ||
	    outreach_sql_copy(st, 10, c->state, sizeof(c->state)) != 0 ||
	    outreach_sql_copy(st, 13, c->currency, sizeof(c->currency)) != 0 ||
	    outreach_sql_copy(st, 18, c->created_by, sizeof(c->created_by)) != 0)
		return bos_err_set(err, BOS_E_CORRUPT, "a campaign row is malformed");
	if (outreach_sql_dup(st, 5, &c->from) != 0 || outreach_sql_dup(st, 6, &c->subject) != 0 ||
	    outreach_sql_dup(st, 7, &c->text) != 0 || outreach_sql_dup(st, 8, &c->html) != 0) {
		outreach_campaign_free(c);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading a campaign");
	}
	c->per_minute = (uint32_t)sqlite3_column_int64(st, 9);
	c->next_send_at = sqlite3_column_int64(st, 11);
	c->price_micros = sqlite3_column_int64(st, 12);
	c->spend_micros = sqlite3_column_int64(st, 14);
	c->spend_recorded = sqlite3_column_int64(st, 15);
	c->recipients = sqlite3_column_int64(st, 16);
	c->skipped = sqlite3_column_int64(st, 17);
	c->created_at = sqlite3_column_int64(st, 19);
	c->updated_at = sqlite3_column_int64(st, 20);
	c->finished_at = sqlite3_column_int64(st, 21);
	c->n_suppressed = sqlite3_column_int64(st, 22);
	c->n_queued = sqlite3_column_int64(st, 23);
	c->n_sent = sqlite3_column_int64(st, 24);
	c->n_failed = sqlite3_column_int64(st, 25);
	c->n_unknown = sqlite3_column_int64(st, 26);
	c->n_cancelled = sqlite3_column_int64(st, 27);
	return 0;
}

int
outreach_campaign_get(struct store *s, const char *id, struct outreach_campaign *c,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	memset(c, 0, sizeof(*c));
	if (id == NULL || !randid_valid(id, "cp_", OC_ID_CHARS))
		return bos_err_set(err, BOS_E_NOTFOUND, "no such campaign: give its id (cp_...)");
	if (store_stmt(s, OC_COLS "WHERE c.id = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_err_db(s, "reading a campaign", err);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		bos_err_set(err, BOS_E_NOTFOUND, "no campaign with id %s", id);
	else if (rc != SQLITE_ROW)
		store_err_db(s, "reading a campaign", err);
	else
		r = oc_from_row(st, c, err);
 out:
	store_stmt_done(s, st);
	return r;
}

int
outreach_campaign_list(struct store *s, const char *state,
    int (*cb)(const struct outreach_campaign *, void *), void *arg, struct bos_err *err)
{
	struct outreach_campaign c;
	sqlite3_stmt *st = NULL;
	int r = -1, rc, stop = 0;

	if (store_stmt(s, OC_COLS "WHERE ?1 IS NULL OR c.state = ?1 ORDER BY c.created_at DESC,"
	    " c.rowid DESC LIMIT 1000", &st, err) != 0)
		return -1;
	if ((state == NULL ? sqlite3_bind_null(st, 1) :
	    sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT)) != SQLITE_OK) {
		store_err_db(s, "listing campaigns", err);
		goto out;
	}
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (oc_from_row(st, &c, err) != 0)
			goto out;
		stop = cb(&c, arg) != 0;
		outreach_campaign_free(&c);
	}
	if (!stop && rc != SQLITE_DONE) {
		store_err_db(s, "listing campaigns", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

/* ---- state changes --------------------------------------------------------------- */

static int
oc_act_locked(struct store *s, const char *id, const char *action, int64_t now, int64_t now_ms,
    struct bos_err *err)
{
	struct outreach_campaign c;
	const char *to, *from1, *from2 = NULL, *from3 = NULL;
	int n;

	if (strcmp(action, "start") == 0)
		to = "running", from1 = "draft";
	else if (strcmp(action, "pause") == 0)
		to = "paused", from1 = "running";
	else if (strcmp(action, "resume") == 0)
		to = "running", from1 = "paused";
	else if (strcmp(action, "cancel") == 0)
		to = "cancelled", from1 = "draft", from2 = "running", from3 = "paused";
	else
		return bos_err_set(err, BOS_E_INVALID, "unknown campaign action");
	if (outreach_campaign_get(s, id, &c, err) != 0)
		return -1;
	n = strcmp(c.state, from1) == 0 || (from2 != NULL && strcmp(c.state, from2) == 0) ||
	    (from3 != NULL && strcmp(c.state, from3) == 0);
	outreach_campaign_free(&c);
	if (!n)
		return bos_err_set(err, BOS_E_EXISTS, "campaign %s is %s: it cannot %s", id,
		    c.state,
		    action);
	if (outreach_sql_run(s, "changing a campaign", err,
	    "UPDATE outreach_campaigns SET state = ?2,"
	    " updated_at = ?3, finished_at = CASE WHEN ?2 = 'cancelled' THEN ?3 END,"
	    " next_send_at = CASE WHEN ?2 = 'running' THEN max(next_send_at, ?4) ELSE next_send_at"
	    " END WHERE id = ?1", "ttii", id, to, now, now_ms) != 1)
		return -1;
	if (strcmp(to, "running") == 0)
		return outreach_sql_run(s, "releasing a campaign's jobs", err, "UPDATE jobs SET"
		    " not_before = ?2, updated_at = ?2 WHERE campaign = ?1 AND state = 'queued'",
		    "ti", id, now) < 0 ? -1 : outreach_campaign_finish_if_done(s, id, now, err);
	if (strcmp(to, "paused") == 0)
		return outreach_sql_run(s, "holding a campaign's jobs", err,
		    "UPDATE jobs SET not_before = ?2,"
		    " updated_at = ?3 WHERE campaign = ?1 AND state = 'queued'", "tii", id,
		    now + OUTREACH_PAUSED_HOLD, now) < 0 ? -1 : 0;
	/* cancel: the queued sends end; a claimed one finishes (or is refused when fetched). */
	if (outreach_sql_run(s, "cancelling messages", err, "UPDATE outreach_messages SET state ="
	    " 'cancelled', updated_at = ?2 WHERE campaign_id = ?1 AND state = 'queued' AND job_id IN"
	    " (SELECT id FROM jobs WHERE campaign = ?1 AND state = 'queued')", "ti", id, now) < 0)
		return -1;
	return outreach_sql_run(s, "cancelling jobs", err, "UPDATE jobs SET state = 'dead', error ="
	    " 'campaign cancelled', updated_at = ?2, finished_at = ?2 WHERE campaign = ?1 AND"
	    " state = 'queued'", "ti", id, now) < 0 ? -1 : 0;
}

int
outreach_campaign_act(struct store *s, const char *id, const char *action, int64_t now,
    int64_t now_ms, struct bos_err *err)
{
	if (store_begin(s, err) != 0 ||
	    outreach_sql_finish(s, oc_act_locked(s, id, action, now, now_ms, err), err) != 0)
		return -1;
	log_info("campaign %s: %s", id, action);
	return 0;
}

/* ---- the broker's send routes ---------------------------------------------------- */

const char *
outreach_send_conflict_code(enum outreach_send_conflict c)
{
	switch (c) {
	case OUTREACH_SEND_ALREADY_SENT:
		return "already_sent";
	case OUTREACH_SEND_OUTCOME_UNKNOWN:
		return "outcome_unknown";
	case OUTREACH_SEND_CAMPAIGN_STATE:
		return "campaign_state";
	case OUTREACH_SEND_SUPPRESSED:
		return "suppressed";
	case OUTREACH_SEND_OK:
		break;
	}
	return "ok";
}

void
outreach_send_free(struct outreach_send *o)
{
	outreach_campaign_free(&o->c);
	free(o->name);
	free(o->email);
	free(o->phone);
	free(o->fields);
	memset(o, 0, sizeof(*o));
}

static int
oc_send_load(struct store *s, const char *job_id, struct outreach_send *o, int *suppressed,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	char cid[OUTREACH_ID_SIZE];
	int r = -1, rc;

	memset(o, 0, sizeof(*o));
	if (store_stmt(s, "SELECT m.id, m.token, m.state, m.to_addr, m.campaign_id, k.name,"
	    " k.email, k.phone, k.fields, EXISTS (SELECT 1 FROM outreach_suppressions x WHERE"
	    " x.address = m.to_addr AND x.channel = c.channel) FROM outreach_messages m"
	    " JOIN outreach_contacts k ON k.id = m.contact_id JOIN outreach_campaigns c ON"
	    " c.id = m.campaign_id WHERE m.job_id = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading a message", err);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "job %s is not a send job", job_id);
		goto out;
	}
	if (outreach_sql_copy(st, 0, o->message_id, sizeof(o->message_id)) != 0 ||
	    outreach_sql_copy(st, 1, o->token, sizeof(o->token)) != 0 ||
	    outreach_sql_copy(st, 2, o->state, sizeof(o->state)) != 0 ||
	    outreach_sql_copy(st, 3, o->to, sizeof(o->to)) != 0 ||
	    outreach_sql_copy(st, 4, cid, sizeof(cid)) != 0 ||
	    outreach_sql_dup(st, 5, &o->name) != 0 || outreach_sql_dup(st, 6, &o->email) != 0 ||
	    outreach_sql_dup(st, 7, &o->phone) != 0 || outreach_sql_dup(st, 8, &o->fields) != 0) {
		bos_err_set(err, BOS_E_CORRUPT, "a message row is malformed");
		goto out;
	}
	*suppressed = sqlite3_column_int(st, 9);
	store_stmt_done(s, st);
	st = NULL;
	r = outreach_campaign_get(s, cid, &o->c, err);
 out:
	store_stmt_done(s, st);
	if (r != 0)
		outreach_send_free(o);
	return r;
}

static int
oc_set_state(struct store *s, const char *mid, const char *state, int64_t now,
    struct bos_err *err)
{
	return outreach_sql_run(s, "changing a message", err,
	    "UPDATE outreach_messages SET state = ?2,"
	    " updated_at = ?3 WHERE id = ?1", "tti", mid, state, now) == 1 ? 0 : -1;
}

static int
oc_prepare_locked(struct store *s, const char *job_id, int64_t now, struct outreach_send *o,
    enum outreach_send_conflict *conflict, struct bos_err *err)
{
	int sup = 0;

	*conflict = OUTREACH_SEND_OK;
	if (oc_send_load(s, job_id, o, &sup, err) != 0)
		return -1;
	if (strcmp(o->state, "sent") == 0) {
		*conflict = OUTREACH_SEND_ALREADY_SENT;
	} else if (strcmp(o->state, "unknown") == 0) {
		*conflict = OUTREACH_SEND_OUTCOME_UNKNOWN;
	} else if (strcmp(o->state, "sending") == 0) {
		/* An earlier attempt reached the provider, maybe: never send it twice. */
		*conflict = OUTREACH_SEND_OUTCOME_UNKNOWN;
		if (oc_set_state(s, o->message_id, "unknown", now, err) != 0 ||
		    outreach_send_alert_unknown(s, o->message_id, job_id, now, err) != 0)
			return -1;
	} else if (strcmp(o->state, "queued") != 0 || strcmp(o->c.state, "cancelled") == 0 ||
	    strcmp(o->c.state, "draft") == 0) {
		*conflict = OUTREACH_SEND_CAMPAIGN_STATE;
		if (strcmp(o->state, "queued") == 0 &&
		    oc_set_state(s, o->message_id, "cancelled", now, err) != 0)
			return -1;
	} else if (sup) {
		*conflict = OUTREACH_SEND_SUPPRESSED;
		if (oc_set_state(s, o->message_id, "suppressed", now, err) != 0)
			return -1;
	}
	return 0;
}

int
outreach_send_prepare(struct store *s, const char *job_id, int64_t now,
    struct outreach_send *o, enum outreach_send_conflict *conflict, struct bos_err *err)
{
	if (store_begin(s, err) != 0)
		return -1;
	if (outreach_sql_finish(s, oc_prepare_locked(s, job_id, now, o, conflict, err), err) != 0) {
		outreach_send_free(o);
		return -1;
	}
	return 0;
}

int
outreach_send_mark_sending(struct store *s, const char *job_id, int64_t now,
    enum outreach_send_conflict *conflict, struct bos_err *err)
{
	char mid[OUTREACH_ID_SIZE], state[16];
	int64_t price;
	int n;

	*conflict = OUTREACH_SEND_OK;
	if (outreach_send_message_of_job(s, job_id, mid, state, &price, err) != 0)
		return -1;
	if (strcmp(state, "queued") != 0) {
		*conflict = strcmp(state, "sent") == 0 ? OUTREACH_SEND_ALREADY_SENT :
		    strcmp(state, "sending") == 0 || strcmp(state, "unknown") == 0 ?
		    OUTREACH_SEND_OUTCOME_UNKNOWN : strcmp(state, "suppressed") == 0 ?
		    OUTREACH_SEND_SUPPRESSED : OUTREACH_SEND_CAMPAIGN_STATE;
		return 0;
	}
	n = outreach_sql_run(s, "marking a message sending", err,
	    "UPDATE outreach_messages SET state ="
	    " 'sending', attempts = attempts + 1, updated_at = ?2 WHERE id = ?1 AND state ="
	    " 'queued'", "ti", mid, now);
	return n == 1 ? 0 : -1;
}

static int
oc_sent_locked(struct store *s, const char *job_id, const char *provider_id, int64_t price,
    const char *cur, int64_t now, enum outreach_send_conflict *conflict, struct bos_err *err)
{
	char mid[OUTREACH_ID_SIZE], state[16];
	struct outreach_campaign c;
	int64_t old;
	int r;

	if (outreach_send_message_of_job(s, job_id, mid, state, &old, err) != 0)
		return -1;
	if (strcmp(state, "sending") != 0) {
		*conflict = strcmp(state, "sent") == 0 ? OUTREACH_SEND_ALREADY_SENT :
		    strcmp(state, "unknown") == 0 ? OUTREACH_SEND_OUTCOME_UNKNOWN :
		    OUTREACH_SEND_CAMPAIGN_STATE;
		return 0;
	}
	r = 0;
	if (price >= 0) {
		char q[OUTREACH_ID_SIZE];
		sqlite3_stmt *st = NULL;

		if (store_stmt(s, "SELECT campaign_id FROM outreach_messages WHERE id = ?1", &st,
		    err) != 0)
			return -1;
		q[0] = '\0';
		if (sqlite3_bind_text(st, 1, mid, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW && outreach_sql_copy(st, 0, q, sizeof(q)) != 0)
			q[0] = '\0';     /* then no such campaign: NOTFOUND below */
		store_stmt_done(s, st);
		if (outreach_campaign_get(s, q, &c, err) != 0)
			return -1;
		r = cur == NULL || strcmp(cur, c.currency) != 0 ? bos_err_set(err, BOS_E_INVALID,
		    "'price.currency' must be the campaign's (%s)", c.currency) : 0;
		outreach_campaign_free(&c);
		if (r != 0)
			return -1;
	}
	return outreach_sql_run(s, "marking a message sent", err,
	    "UPDATE outreach_messages SET state ="
	    " 'sent', provider_id = ?2, price_micros = CASE WHEN ?3 >= 0 THEN ?3 END, sent_at = ?4,"
	    " updated_at = ?4 WHERE id = ?1 AND state = 'sending'", "ttii", mid, provider_id, price,
	    now) == 1 ? 0 : -1;
}

int
outreach_send_mark_sent(struct store *s, const char *job_id, const char *provider_id,
    int64_t price_micros, const char *price_currency, int64_t now,
    enum outreach_send_conflict *conflict, struct bos_err *err)
{
	*conflict = OUTREACH_SEND_OK;
	if (store_begin(s, err) != 0)
		return -1;
	return outreach_sql_finish(s, oc_sent_locked(s, job_id, provider_id, price_micros,
	    price_currency,
	    now, conflict, err), err);
}

/* ---- tracking -------------------------------------------------------------------- */

struct oc_track {
	char mid[OUTREACH_ID_SIZE], cid[OUTREACH_ID_SIZE], to[256], channel[8];
	char *html;
};

static int
oc_track_find(struct store *s, const char *token, struct oc_track *t, struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	if (store_stmt(s, "SELECT m.id, m.campaign_id, m.to_addr, c.channel, c.html_body FROM"
	    " outreach_messages m JOIN outreach_campaigns c ON c.id = m.campaign_id WHERE"
	    " m.token = ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "finding a token", err);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		bos_err_set(err, BOS_E_NOTFOUND, "unknown token");
		goto out;
	}
	if (outreach_sql_copy(st, 0, t->mid, sizeof(t->mid)) != 0 ||
	    outreach_sql_copy(st, 1, t->cid, sizeof(t->cid)) != 0 ||
	    outreach_sql_copy(st, 2, t->to, sizeof(t->to)) != 0 ||
	    outreach_sql_copy(st, 3, t->channel, sizeof(t->channel)) != 0 ||
	    outreach_sql_dup(st, 4, &t->html) != 0) {
		bos_err_set(err, BOS_E_CORRUPT, "a message row is malformed");
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

static int
oc_track_locked(struct store *s, const char *token, const char *kind, int64_t link,
    int64_t now, char *url, size_t cap, int *duplicate, struct bos_err *err)
{
	struct oc_track t;
	char key[96], detail[48];
	const char *ev, *col;
	int n, r = -1;

	memset(&t, 0, sizeof(t));
	if (oc_track_find(s, token, &t, err) != 0)
		goto out;
	if (strcmp(kind, "click") == 0) {
		if (link < 0 || link > 100000 || outreach_render_link(t.html, (unsigned)link, url,
		    cap) != 0) {
			bos_err_set(err, BOS_E_NOTFOUND, "the campaign has no link %lld",
			    (long long)link);
			goto out;
		}
		(void)snprintf(key, sizeof(key), "bos:click:%s:%lld", token, (long long)link);
		(void)snprintf(detail, sizeof(detail), "{\"link\":%lld}", (long long)link);
		ev = "clicked", col = "clicked_at";
	} else {
		(void)snprintf(key, sizeof(key), "bos:%s:%s", kind, token);
		(void)snprintf(detail, sizeof(detail), "{}");
		ev = strcmp(kind, "open") == 0 ? "opened" : "unsubscribed";
		col = strcmp(kind, "open") == 0 ? "opened_at" : "unsubscribed_at";
	}
	if ((n = outreach_sql_run(s, "recording an event", err,
	    "INSERT OR IGNORE INTO outreach_events"
	    " (event_key, provider, kind, message_id, campaign_id, address, at, detail,"
	    " received_at) VALUES (?1, 'bos', ?2, ?3, ?4, ?5, ?6, ?7, ?6)", "tttttit", key, ev,
	    t.mid, t.cid, t.to, now, detail)) < 0)
		goto out;
	*duplicate = n == 0;
	if (n == 1 && outreach_sql_run(s, "recording an event", err, strcmp(col, "opened_at") == 0 ?
	    "UPDATE outreach_messages SET opened_at = coalesce(opened_at, ?2) WHERE id = ?1" :
	    strcmp(col, "clicked_at") == 0 ?
	    "UPDATE outreach_messages SET clicked_at = coalesce(clicked_at, ?2) WHERE id = ?1" :
	    "UPDATE outreach_messages SET unsubscribed_at = coalesce(unsubscribed_at, ?2)"
	    " WHERE id = ?1", "ti", t.mid, now) < 0)
		goto out;
	/* An unsubscribe suppresses the address, whatever came before (repeat or not). */
	if (strcmp(kind, "unsubscribe") == 0 && outreach_sql_run(s, "suppressing an address", err,
	    "INSERT OR IGNORE INTO outreach_suppressions (address, channel, reason, source,"
	    " created_at) VALUES (?1, ?2, 'unsubscribed', 'bos:unsubscribe', ?3)", "tti", t.to,
	    t.channel, now) < 0)
		goto out;
	/* success */
	r = 0;
 out:
	free(t.html);
	return r;
}

int
outreach_track(struct store *s, const char *token, const char *kind, int64_t link,
    int64_t now, char *url, size_t cap, int *duplicate, struct bos_err *err)
{
	*duplicate = 0;
	if (cap > 0)
		url[0] = '\0';
	if (strcmp(kind, "open") != 0 && strcmp(kind, "click") != 0 &&
	    strcmp(kind, "unsubscribe") != 0)
		return bos_err_set(err, BOS_E_INVALID, "'kind' must be open, click or unsubscribe");
	if (store_begin(s, err) != 0)
		return -1;
	return outreach_sql_finish(s, oc_track_locked(s, token, kind, link, now, url, cap,
	    duplicate, err),
	    err);
}

/* ---- cost ------------------------------------------------------------------------ */

int
outreach_cost_campaigns(struct store *s, const char *from, const char *to,
    int (*cb)(const struct outreach_cost *, void *), void *arg, struct bos_err *err)
{
	struct outreach_cost c;
	sqlite3_stmt *st = NULL;
	int r = -1, rc, stop = 0;

	if (store_stmt(s, "SELECT c.id, c.provider, c.currency, c.spend_micros,"
	    " (SELECT count(*) FROM outreach_messages m WHERE m.campaign_id = c.id AND"
	    "  m.sent_at IS NOT NULL AND date(m.sent_at, 'unixepoch') BETWEEN ?1 AND ?2),"
	    " (SELECT coalesce(sum(x.amount), 0) FROM spend x JOIN jobs j ON j.id = x.job_id"
	    "  WHERE j.campaign = c.id AND x.day BETWEEN ?1 AND ?2) AS spent"
	    " FROM outreach_campaigns c WHERE c.spend_micros > 0 AND EXISTS (SELECT 1 FROM"
	    " outreach_messages m WHERE m.campaign_id = c.id AND m.sent_at IS NOT NULL AND"
	    " date(m.sent_at, 'unixepoch') BETWEEN ?1 AND ?2) ORDER BY c.created_at, c.id",
	    &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, from, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, to, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_err_db(s, "reading campaigns' cost", err);
		goto out;
	}
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.id = (const char *)sqlite3_column_text(st, 0);
		c.provider = (const char *)sqlite3_column_text(st, 1);
		c.currency = (const char *)sqlite3_column_text(st, 2);
		c.spent_micros = sqlite3_column_int64(st, 3);
		c.messages = sqlite3_column_int64(st, 4);
		c.spent = sqlite3_column_int64(st, 5);
		if (c.id == NULL || c.provider == NULL || c.currency == NULL) {
			bos_err_set(err, BOS_E_CORRUPT, "a campaign row is malformed");
			goto out;
		}
		stop = cb(&c, arg) != 0;
	}
	if (!stop && rc != SQLITE_DONE) {
		store_err_db(s, "reading campaigns' cost", err);
		goto out;
	}
	/* success */
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}
