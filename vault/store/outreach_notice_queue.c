/* Notices queued: grant tokens and alerts; see outreach_notice_queue.h. */
#include "store/outreach_notice_queue.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "currency.h"
#include "log.h"
#include "store/job.h"
#include "store/outreach_campaign.h"
#include "store/outreach_send.h"
#include "store/store.h"

#define ON_BY_SYSTEM "bos-vaultd"

int
outreach_notice_configure(struct store *s, const struct outreach_notice_conf *c,
    struct bos_err *err)
{
	struct outreach_notice_conf *n = NULL;

	if (c != NULL) {
		if ((n = malloc(sizeof(*n))) == NULL)
			return bos_err_set(err, BOS_E_NOMEM, "out of memory");
		memcpy(n, c, sizeof(*n));
	}
	store_set_notice_conf(s, n);
	/* A new alert of warning or above goes to alert_notify (alert.c calls the hook). */
	store_set_alert_hook(s, n != NULL ? outreach_notice_alert : NULL);
	return 0;
}

/* 10^(6 - exp): micro-units per minor unit. */
static int64_t
on_micros_per_minor(const char *currency)
{
	int exp = currency_exponent(currency), i;
	int64_t m = 1;

	for (i = exp < 0 ? 6 : exp; i < 6; i++)
		m *= 10;
	return m;
}

/* The live credential the route names (its id into out). 0, or -1 with err. */
static int
on_credential(struct store *s, const struct outreach_notice_route *rt, const char *channel,
    char out[OUTREACH_NOTICE_ID_SIZE], struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	if (store_stmt(s, "SELECT id FROM credentials WHERE service = ?1 AND revoked_at IS NULL"
	    " AND (id = ?2 OR name = ?2) LIMIT 2", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, rt->provider, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, rt->credential, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_stmt_done(s, st);
		return store_err_db(s, "looking up a notice's credential", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (n++ == 0 && outreach_sql_copy(st, 0, out, OUTREACH_NOTICE_ID_SIZE) != 0)
			n = 2;
	store_stmt_done(s, st);
	if (rc != SQLITE_DONE)
		return store_err_db(s, "looking up a notice's credential", err);
	if (n != 1)
		return bos_err_set(err, BOS_E_INVALID, "bos.conf 'notice_%s' names credential '%s', "
		    "but there is no live %s credential of that name: add it or fix the setting",
		    channel, rt->credential, rt->provider);
	return 0;
}

/* The notice's send job, linked to it. */
static int
on_queue_job(struct store *s, const char *id, const char *channel,
    const struct outreach_notice_route *rt, const char *cred, const char *by, int64_t now,
    struct bos_err *err)
{
	char params[64], idem[48], jid[JOB_ID_SIZE];
	int64_t per = rt->currency[0] != '\0' ? on_micros_per_minor(rt->currency) : 1;
	struct job_new j;
	int existed = 0;

	(void)snprintf(params, sizeof(params), "{\"notice\":\"%s\"}", id);
	(void)snprintf(idem, sizeof(idem), "notice:%s", id);
	memset(&j, 0, sizeof(j));
	j.kind = strcmp(channel, "email") == 0 ? "send_email" : "send_sms";
	j.service = rt->provider;
	j.credential = cred;
	j.params_json = params;
	j.idempotency_key = idem;
	/* The estimate: the provider's price rounded up to minor units, none when it is 0. */
	j.est_amount = rt->price_micros > 0 && rt->currency[0] != '\0' ?
	    (rt->price_micros + per - 1) / per : -1;
	j.est_currency = j.est_amount >= 0 ? rt->currency : NULL;
	j.created_by = by;
	j.notice = id;
	if (job_create(s, &j, now, jid, &existed, err) != 0)
		return -1;
	return outreach_sql_run(s, "linking a notice to its job", err, "UPDATE outreach_notices SET"
	    " job_id = ?1 WHERE id = ?2", "tt", jid, id) == 1 ? 0 : -1;
}

int
outreach_notice_grant(struct store *s, const char *id, const char *channel, const char *to,
    const char *accessor, uint32_t kek_version, const uint8_t *blob, size_t blob_len,
    const char *created_by, int64_t now, struct bos_err *err)
{
	const struct outreach_notice_route *rt = outreach_notice_route_of(s, channel);
	char cred[OUTREACH_NOTICE_ID_SIZE], token[24];
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (rt == NULL)
		return bos_err_set(err, BOS_E_INVALID, "the vault sends no %s notices", channel);
	if (!outreach_notice_id_valid(id) || !token_accessor_valid(accessor) || blob_len == 0 ||
	    blob_len > OUTREACH_NOTICE_BLOB_MAX || created_by == NULL)
		return bos_err_set(err, BOS_E_INVALID, "a grant notice needs its id, its grant, a "
		    "wrapped token and the admin");
	if (on_credential(s, rt, channel, cred, err) != 0)
		return -1;
	if (outreach_token_new(token) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (store_stmt(s, "INSERT INTO outreach_notices (id, kind, channel, to_addr, provider,"
	    " credential, from_addr, subject, accessor, kek_version, blob, token, state,"
	    " created_by, created_at, updated_at) VALUES (?1, 'grant_token', ?2, ?3, ?4, ?5, ?6,"
	    " 'Your BOS access token', ?7, ?8, ?9, ?10, 'queued', ?11, ?12, ?12)", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, channel, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, to, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, rt->provider, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, cred, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, rt->from, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 7, accessor, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 8, kek_version) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 9, blob, (int)blob_len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 10, token, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 11, created_by, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 12, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "storing a notice", err);
		goto out;
	}
	r = 0;
 out:
	store_stmt_done(s, st);
	if (r != 0)
		return -1;
	return on_queue_job(s, id, channel, rt, cred, created_by, now, err);
}

/* Control characters out (a subject is one header line). */
static void
on_clean(char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* One alert notice to one address. 0, 1 skipped (no route, bad address), or -1. */
static int
on_alert_one(struct store *s, const char *addr, const char *kind, const char *severity,
    const char *subject, int64_t now, struct bos_err *err)
{
	const char *channel = strchr(addr, '@') != NULL ? "email" : "sms";
	const struct outreach_notice_route *rt = outreach_notice_route_of(s, channel);
	char id[OUTREACH_NOTICE_ID_SIZE], cred[OUTREACH_NOTICE_ID_SIZE], token[24];
	char subj[160], text[1024];

	if (rt == NULL) {
		log_warn("alert %s not sent to an alert_notify address: bos.conf has no notice_%s",
		    kind, channel);
		return 1;
	}
	if (on_credential(s, rt, channel, cred, err) != 0) {
		log_warn("alert %s not sent: %s", kind, err->msg);
		bos_err_clear(err);
		return 1;
	}
	if (outreach_notice_id_new(id) != 0 || outreach_token_new(token) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	(void)snprintf(subj, sizeof(subj), "BOS alert (%s): %s", severity, kind);
	if (strcmp(channel, "email") == 0)
		(void)snprintf(text, sizeof(text), "The vault raised an alert.\n\nSeverity: %s\n"
		    "Kind: %s\nSubject: %s\n\nSee it with 'bosctl alerts list'; acknowledge it with "
		    "'bosctl alerts ack ID'.\n", severity, kind, subject);
	else
		(void)snprintf(text, sizeof(text), "BOS alert (%s) %s: %s", severity, kind, subject);
	on_clean(subj);
	return outreach_sql_run(s, "storing an alert notice", err, "INSERT INTO outreach_notices"
	    " (id, kind, channel, to_addr, provider, credential, from_addr, subject, text_body,"
	    " token, state, created_by, created_at, updated_at) VALUES (?1, 'alert', ?2, ?3, ?4,"
	    " ?5, ?6, ?7, ?8, ?9, 'queued', ?10, ?11, ?11)", "tttttttttti", id, channel, addr,
	    rt->provider, cred, rt->from, subj, text, token, ON_BY_SYSTEM, now) != 1 ||
	    on_queue_job(s, id, channel, rt, cred, ON_BY_SYSTEM, now, err) != 0 ? -1 : 0;
}

int
outreach_notice_alert(struct store *s, const char *kind, const char *severity,
    const char *subject, int64_t now, struct bos_err *err)
{
	const struct outreach_notice_conf *c = store_notice_conf(s);
	int64_t recent = 0;
	size_t i;

	if (c == NULL || c->n_alert_notify == 0 || severity == NULL ||
	    (strcmp(severity, "warning") != 0 && strcmp(severity, "critical") != 0))
		return 0;
	if (outreach_sql_int(s, "counting alert notices", &recent, err, "SELECT count(*) FROM"
	    " outreach_notices WHERE kind = 'alert' AND created_at > ?1", "i", now - 3600) != 0)
		return -1;
	if (recent + (int64_t)c->n_alert_notify > OUTREACH_NOTICE_PER_HOUR) {
		log_warn("alert %s: not sent to alert_notify (%d alert notices in an hour at most)",
		    kind, OUTREACH_NOTICE_PER_HOUR);
		return 0;
	}
	/*
	 * In a savepoint of its own: a notice that cannot be queued is logged and
	 * left out, and the alert is still raised (it matters more).
	 */
	if (store_begin(s, err) != 0)
		return -1;
	for (i = 0; i < c->n_alert_notify; i++)
		if (on_alert_one(s, c->alert_notify[i], kind, severity, subject, now, err) < 0)
			break;
	if (i == c->n_alert_notify)
		return store_commit(s, err);
	log_err("alert %s: its notices were not queued: %s", kind, err->msg);
	bos_err_clear(err);
	return store_rollback(s, err);
}

