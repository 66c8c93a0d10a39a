/* Ads; see outreach_ad.h and docs/ADS.md. */
#include "store/outreach_ad.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "currency.h"
#include "json_alloc.h"
#include "log.h"
#include "randid.h"
#include "store/alert.h"
#include "store/budget.h"
#include "store/outreach_send.h"
#include "store/spend.h"
#include "store/store.h"

#define AD_ID_CHARS 26
#define AD_AMOUNT_SIZE 32
#define AD_SELF_MAX 64                /* ads looked at in one pass (pause, sweep) */
#define AD_IDEM_MAX 128               /* a job's idempotency key */

const char *const outreach_ad_objects[OUTREACH_AD_OBJECTS] = { "campaign", "adset", "creative",
	"ad" };
static const char *const ad_meta_cols[OUTREACH_AD_OBJECTS] = { "meta_campaign", "meta_adset",
	"meta_creative", "meta_ad" };

/* A refusal: code and message kept until the transaction is over. */
struct ad_refusal {
	char code[OUTREACH_AD_CODE_SIZE];
	char msg[sizeof(((struct bos_err *)0)->msg)];
};

static int
ad_refuse(struct ad_refusal *f, const char *code, const char *fmt, ...) BOS_PRINTF(3, 4);

static int
ad_refuse(struct ad_refusal *f, const char *code, const char *fmt, ...)
{
	va_list ap;

	(void)snprintf(f->code, sizeof(f->code), "%s", code);
	va_start(ap, fmt);
	(void)vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* End a write: commit on r >= 0, roll back else; a refusal is -1 with code and err. */
static int
ad_finish(struct store *s, int r, const struct ad_refusal *f, char code[OUTREACH_AD_CODE_SIZE],
    struct bos_err *err)
{
	if (outreach_sql_finish(s, r, err) < 0)
		return -1;
	if (f->code[0] == '\0')
		return 0;
	(void)snprintf(code, OUTREACH_AD_CODE_SIZE, "%s", f->code);
	return bos_err_set(err, BOS_E_EXISTS, "%s", f->msg);
}

static void
ad_amount(int64_t amount, const char *currency, char out[AD_AMOUNT_SIZE])
{
	if (currency_format(amount, currency_exponent(currency), out, AD_AMOUNT_SIZE) != 0)
		(void)snprintf(out, AD_AMOUNT_SIZE, "%lld", (long long)amount);
}

/* ---- reading ---------------------------------------------------------------------- */

#define AD_COLS "SELECT id, name, credential, account, post, objective, countries," \
	" special_ad_categories, daily_budget, currency, state, coalesce(pause_reason, '')," \
	" coalesce(meta_campaign, ''), coalesce(meta_adset, ''), coalesce(meta_creative, '')," \
	" coalesce(meta_ad, ''), coalesce(pending, ''), coalesce(error, ''), created_by," \
	" coalesce(last_insights_at, 0), coalesce(paused_at, 0), created_at, updated_at," \
	" (SELECT coalesce(sum(amount), 0) FROM outreach_ad_spend WHERE ad = outreach_ads.id)," \
	" (SELECT coalesce(sum(amount), 0) FROM outreach_ad_spend WHERE ad = outreach_ads.id" \
	" AND day = ?9) FROM outreach_ads "

static int
ad_from_row(sqlite3_stmt *st, struct outreach_ad *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	if (outreach_sql_copy(st, 0, a->id, sizeof(a->id)) != 0 ||
	    outreach_sql_copy(st, 1, a->name, sizeof(a->name)) != 0 ||
	    outreach_sql_copy(st, 2, a->credential, sizeof(a->credential)) != 0 ||
	    outreach_sql_copy(st, 3, a->account, sizeof(a->account)) != 0 ||
	    outreach_sql_copy(st, 4, a->post, sizeof(a->post)) != 0 ||
	    outreach_sql_copy(st, 5, a->objective, sizeof(a->objective)) != 0 ||
	    outreach_sql_copy(st, 6, a->countries, sizeof(a->countries)) != 0 ||
	    outreach_sql_copy(st, 7, a->categories, sizeof(a->categories)) != 0 ||
	    outreach_sql_copy(st, 9, a->currency, sizeof(a->currency)) != 0 ||
	    outreach_sql_copy(st, 10, a->state, sizeof(a->state)) != 0 ||
	    outreach_sql_copy(st, 11, a->pause_reason, sizeof(a->pause_reason)) != 0 ||
	    outreach_sql_copy(st, 16, a->pending, sizeof(a->pending)) != 0 ||
	    outreach_sql_copy(st, 17, a->error, sizeof(a->error)) != 0 ||
	    outreach_sql_copy(st, 18, a->created_by, sizeof(a->created_by)) != 0)
		return -1;
	for (i = 0; i < OUTREACH_AD_OBJECTS; i++)
		if (outreach_sql_copy(st, 12 + i, a->meta[i], sizeof(a->meta[i])) != 0)
			return -1;
	a->daily_budget = sqlite3_column_int64(st, 8);
	a->last_insights_at = sqlite3_column_int64(st, 19);
	a->paused_at = sqlite3_column_int64(st, 20);
	a->created_at = sqlite3_column_int64(st, 21);
	a->updated_at = sqlite3_column_int64(st, 22);
	a->spent = sqlite3_column_int64(st, 23);
	a->spent_today = sqlite3_column_int64(st, 24);
	return 0;
}

/* Run AD_COLS + where with ?1 = arg (may be NULL): each row to cb. */
static int
ad_select(struct store *s, const char *sql, const char *arg, int64_t now,
    int (*cb)(const struct outreach_ad *, void *), void *cbarg, struct bos_err *err)
{
	char day[SPEND_DAY_SIZE];
	struct outreach_ad *a;
	sqlite3_stmt *st = NULL;
	int r = -1, rc;

	spend_day(now, day);
	if ((a = malloc(sizeof(*a))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory reading ads");
	if (store_stmt(s, sql, &st, err) != 0)
		goto out;
	if ((arg != NULL ? sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT) :
	    SQLITE_OK) != SQLITE_OK ||
	    sqlite3_bind_text(st, 9, day, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(st) >= 7 &&
	    sqlite3_bind_int64(st, 7, now) != SQLITE_OK)) {
		store_err_db(s, "reading ads", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ad_from_row(st, a) != 0) {
			bos_err_set(err, BOS_E_CORRUPT, "an ad row is malformed");
			goto out;
		}
		if (cb(a, cbarg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(s, "reading ads", err);
		goto out;
	}
	r = 0;
 out:
	store_stmt_done(s, st);
	free(a);
	return r;
}

static int
ad_copy_cb(const struct outreach_ad *a, void *arg)
{
	struct outreach_ad *out = arg;

	*out = *a;
	out->id[sizeof(out->id) - 1] = '\0';
	return 1;
}

int
outreach_ad_get(struct store *s, const char *id, int64_t now, struct outreach_ad *out,
    struct bos_err *err)
{
	memset(out, 0, sizeof(*out));
	if (id == NULL || !randid_valid(id, "ad_", AD_ID_CHARS))
		return bos_err_set(err, BOS_E_NOTFOUND, "no such ad: give its id (ad_...)");
	if (ad_select(s, AD_COLS "WHERE id = ?1", id, now, ad_copy_cb, out, err) != 0)
		return -1;
	if (out->id[0] == '\0')
		return bos_err_set(err, BOS_E_NOTFOUND, "no ad with id %s", id);
	return 0;
}

int
outreach_ad_list(struct store *s, int64_t now, int (*cb)(const struct outreach_ad *, void *),
    void *arg, struct bos_err *err)
{
	return ad_select(s, AD_COLS "ORDER BY created_at DESC, rowid DESC", NULL, now, cb, arg, err);
}

/* ---- money rules ------------------------------------------------------------------ */

/*
 * May an ad (self, or NULL for a new one) have daily minor units of
 * currency a day now? 0 yes; a refusal in f; -1 error.
 */
static int
ad_money(struct store *s, const char *self, int64_t daily, const char *currency, int64_t now,
    struct ad_refusal *f, struct bos_err *err)
{
	char why[BUDGET_REASON_SIZE], which[96], bcur[SPEND_CURRENCY_SIZE], day[SPEND_DAY_SIZE],
	    a[AD_AMOUNT_SIZE], l[AD_AMOUNT_SIZE];
	int64_t left, others = 0;
	int rc;

	if ((rc = budget_paused(s, OUTREACH_AD_SERVICE, now, why, sizeof(why), err)) < 0)
		return -1;
	if (rc == 1)
		return ad_refuse(f, "budget_paused", "%s: resume the budget or raise it first", why);
	rc = budget_left(s, OUTREACH_AD_SERVICE, currency, now, &left, which, sizeof(which), bcur,
	    err);
	if (rc < 0)
		return -1;
	if (rc == BUDGET_LEFT_NONE)
		return ad_refuse(f, "no_budget", "an ad needs a budget of service meta (or a total "
		    "budget): set one first: bosctl budget set meta --daily AMOUNT --currency CUR");
	if (rc == BUDGET_LEFT_CURRENCY)
		return ad_refuse(f, "currency_mismatch", "the ad's currency %s is not %s's (%s): "
		    "there is no conversion", currency, which, bcur);
	spend_day(now, day);
	/* What the other live ads may still spend today. */
	if (outreach_sql_int(s, "summing what live ads may spend", &others, err,
	    "SELECT coalesce(sum(max(0, a.daily_budget - coalesce((SELECT amount FROM"
	    " outreach_ad_spend AS d WHERE d.ad = a.id AND d.day = ?2), 0))), 0) FROM outreach_ads"
	    " AS a WHERE a.state IN ('creating', 'active', 'resuming') AND a.currency = ?3 AND"
	    " (?1 IS NULL OR a.id <> ?1)", "ttt", self, day, currency) != 0)
		return -1;
	if (left != INT64_MAX && __builtin_sub_overflow(left, others, &left))
		left = INT64_MIN;
	if (left != INT64_MAX && daily > left) {
		ad_amount(daily, currency, a);
		ad_amount(left > 0 ? left : 0, currency, l);
		return ad_refuse(f, "over_budget", "the daily budget %s %s is above what the budgets "
		    "leave today: %s %s (%s)", a, currency, l, currency, which);
	}
	return 0;
}

/* ---- jobs ------------------------------------------------------------------------- */

/* Queue an ad job of kind with params; key NULL: a random one. */
static int
ad_queue(struct store *s, outreach_ad_queue_fn queue, const struct outreach_ad *a,
    const char *kind, const char *day, const char *key, const char *by, int64_t now,
    int *existed, struct bos_err *err)
{
	char *params;
	json_t *p;
	int ex = 0, r;

	/*
	 * No Meta id in params: the broker reads the ids from GET /outreach/ad-jobs,
	 * and an id of 15-18 digits may pass the card check that params get.
	 */
	p = json_pack("{s:s}", "ad", a->id);
	if (p != NULL && day != NULL)
		json_object_set_new(p, "day", json_string(day));
	if (p == NULL || (params = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(p);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory queueing an ad job");
	}
	json_decref(p);
	r = queue(s, &(struct outreach_ad_queue){ kind, a->credential, params, key, by, a->id },
	    now, &ex, err);
	json_alloc_release(params);
	if (existed != NULL)
		*existed = ex;
	return r;
}

static int
ad_alert(struct store *s, const struct outreach_ad *a, const char *kind, const char *severity,
    const char *subject, const char *extra_key, const char *extra, int64_t now,
    struct bos_err *err)
{
	char dedup[ALERT_DEDUP_MAX + 1], *text;
	json_t *d = json_pack("{s:s, s:s, s:s}", "ad", a->id, "name", a->name, "account",
	    a->account);
	int r;

	if (d != NULL && extra_key != NULL)
		json_object_set_new(d, extra_key, json_string(extra != NULL ? extra : ""));
	if (d == NULL || (text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(d);
		return bos_err_set(err, BOS_E_NOMEM, "out of memory raising an alert");
	}
	json_decref(d);
	(void)snprintf(dedup, sizeof(dedup), "%s:%s", kind, a->id);
	r = alert_raise(s, kind, severity, subject, text, "[\"look at the ad (GET /outreach/ads/ID)"
	    " and at it in Meta Ads Manager\"]", dedup, now, err);
	json_alloc_release(text);
	return r;
}

/* active -> pausing with a pause job. 1 moved, 0 not active, -1 error. */
static int
ad_begin_pause(struct store *s, outreach_ad_queue_fn queue, const struct outreach_ad *a,
    const char *reason, const char *by, int64_t now, struct bos_err *err)
{
	int n = outreach_sql_run(s, "pausing an ad", err, "UPDATE outreach_ads SET state ="
	    " 'pausing', pause_reason = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'active'",
	    "tti", a->id, reason, now);

	if (n <= 0)
		return n;
	if (ad_queue(s, queue, a, "ad_pause", NULL, NULL, by, now, NULL, err) != 0)
		return -1;
	log_info("ad %s: pausing (%s)", a->id, reason);
	return 1;
}

struct ad_ids {
	char (*id)[OUTREACH_AD_ID_SIZE];
	size_t n;
};

static int
ad_ids_cb(const struct outreach_ad *a, void *arg)
{
	struct ad_ids *l = arg;

	memcpy(l->id[l->n++], a->id, OUTREACH_AD_ID_SIZE);
	return l->n >= AD_SELF_MAX;
}

/* While meta is paused, every active ad gets an ad_pause job (reason budget). */
static int
ad_budget_pause_all(struct store *s, outreach_ad_queue_fn queue, int64_t now, unsigned *n,
    struct bos_err *err)
{
	char why[BUDGET_REASON_SIZE], ids[AD_SELF_MAX][OUTREACH_AD_ID_SIZE];
	struct ad_ids l = { ids, 0 };
	struct outreach_ad *a;
	size_t i;
	int rc;

	if ((rc = budget_paused(s, OUTREACH_AD_SERVICE, now, why, sizeof(why), err)) != 1)
		return rc < 0 ? -1 : 0;
	if (ad_select(s, AD_COLS "WHERE state = 'active' ORDER BY created_at", NULL, now, ad_ids_cb,
	    &l, err) != 0)
		return -1;
	if (l.n == 0)
		return 0;
	if ((a = malloc(sizeof(*a))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory pausing ads");
	for (i = 0; i < l.n; i++) {
		if (outreach_ad_get(s, ids[i], now, a, err) != 0 ||
		    (rc = ad_begin_pause(s, queue, a, "budget", a->created_by, now, err)) < 0) {
			free(a);
			return -1;
		}
		if (rc == 1) {
			log_warn("ad %s paused: %s", a->id, why);
			if (n != NULL)
				(*n)++;
		}
	}
	free(a);
	return 0;
}

/* ---- admin ------------------------------------------------------------------------ */

static int
ad_insert(struct store *s, const struct outreach_ad_new *n, const char *id, int64_t now,
    struct bos_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (store_stmt(s, "INSERT INTO outreach_ads (id, name, credential, account, post,"
	    " objective, countries, special_ad_categories, daily_budget, currency, state,"
	    " created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?9, ?10,"
	    " ?11, 'creating', ?12, ?7, ?7)", &st, err) != 0)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, n->name, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, n->credential, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, n->account, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, n->post, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, n->objective, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, now) != SQLITE_OK ||
	    sqlite3_bind_text(st, 8, n->countries_json, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 9, n->categories_json, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 10, n->daily_budget) != SQLITE_OK ||
	    sqlite3_bind_text(st, 11, n->currency, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 12, n->created_by, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "creating an ad", err);
		goto out;
	}
	r = 0;
 out:
	store_stmt_done(s, st);
	return r;
}

static int
ad_create_locked(struct store *s, const struct outreach_ad_new *n, int64_t now,
    outreach_ad_queue_fn queue, const char *id, struct ad_refusal *f, struct bos_err *err)
{
	struct outreach_ad *a;
	int r;

	if (ad_money(s, NULL, n->daily_budget, n->currency, now, f, err) != 0 || f->code[0] != '\0')
		return f->code[0] != '\0' ? 0 : -1;
	if (ad_insert(s, n, id, now, err) != 0)
		return -1;
	if ((a = malloc(sizeof(*a))) == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	r = outreach_ad_get(s, id, now, a, err) == 0 &&
	    ad_queue(s, queue, a, "ad_create", NULL, NULL, n->created_by, now, NULL, err) == 0 ?
	    0 : -1;
	free(a);
	return r;
}

int
outreach_ad_create(struct store *s, const struct outreach_ad_new *n, int64_t now,
    outreach_ad_queue_fn queue, char id[OUTREACH_AD_ID_SIZE], char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err)
{
	struct ad_refusal f = { "", "" };

	code[0] = '\0';
	if (n->daily_budget <= 0 || n->currency == NULL || !currency_known(n->currency))
		return bos_err_set(err, BOS_E_INVALID, "'daily_budget' needs an amount >= 1 (minor "
		    "units) and an ISO 4217 currency");
	if (randid_new("ad_", AD_ID_CHARS, id, OUTREACH_AD_ID_SIZE) != 0)
		return bos_err_set(err, BOS_E_IO, "the random generator failed");
	if (store_begin(s, err) != 0)
		return -1;
	if (ad_finish(s, ad_create_locked(s, n, now, queue, id, &f, err), &f, code, err) != 0) {
		id[0] = '\0';
		return -1;
	}
	log_info("ad %s created by admin %s", id, n->created_by);
	return 0;
}

static int
ad_act_locked(struct store *s, outreach_ad_queue_fn queue, const char *id, int pause,
    const char *by, int64_t now, struct ad_refusal *f, struct bos_err *err)
{
	struct outreach_ad a;

	if (outreach_ad_get(s, id, now, &a, err) != 0)
		return -1;
	if (strcmp(a.state, pause ? "active" : "paused") != 0)
		return ad_refuse(f, "ad_state", "ad %s is %s: only an %s ad can be %s", id, a.state,
		    pause ? "active" : "paused", pause ? "paused" : "resumed");
	if (pause)
		return ad_begin_pause(s, queue, &a, "admin", by, now, err) == 1 ? 0 : -1;
	if (ad_money(s, a.id, a.daily_budget, a.currency, now, f, err) != 0 || f->code[0] != '\0')
		return f->code[0] != '\0' ? 0 : -1;
	if (outreach_sql_run(s, "resuming an ad", err, "UPDATE outreach_ads SET state = 'resuming',"
	    " updated_at = ?2 WHERE id = ?1 AND state = 'paused'", "ti", id, now) != 1)
		return -1;
	return ad_queue(s, queue, &a, "ad_activate", NULL, NULL, by, now, NULL, err);
}

static int
ad_act(struct store *s, outreach_ad_queue_fn queue, const char *id, int pause, const char *by,
    int64_t now, char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err)
{
	struct ad_refusal f = { "", "" };

	code[0] = '\0';
	if (store_begin(s, err) != 0)
		return -1;
	if (ad_finish(s, ad_act_locked(s, queue, id, pause, by, now, &f, err), &f, code, err) != 0)
		return -1;
	log_info("ad %s: %s by admin %s", id, pause ? "pause" : "resume", by);
	return 0;
}

int
outreach_ad_pause(struct store *s, const char *id, const char *by, int64_t now,
    outreach_ad_queue_fn queue, char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err)
{
	return ad_act(s, queue, id, 1, by, now, code, err);
}

int
outreach_ad_resume(struct store *s, const char *id, const char *by, int64_t now,
    outreach_ad_queue_fn queue, char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err)
{
	return ad_act(s, queue, id, 0, by, now, code, err);
}

/* ---- the broker's steps ----------------------------------------------------------- */

/* An earlier attempt began a creation call and never said how it ended: the ad fails. */
static int
ad_unknown(struct store *s, const struct outreach_ad *a, int64_t now, struct ad_refusal *f,
    struct bos_err *err)
{
	char subject[ALERT_SUBJECT_MAX + 1], error[512];

	(void)snprintf(error, sizeof(error), "the outcome of creating the %s is unknown: look for "
	    "'%s [%s]' in Ads Manager (made PAUSED, it spends nothing)", a->pending, a->name, a->id);
	if (outreach_sql_run(s, "failing an ad", err, "UPDATE outreach_ads SET state = 'failed',"
	    " pending = NULL, error = ?2, updated_at = ?3 WHERE id = ?1", "tti", a->id, error,
	    now) != 1)
		return -1;
	(void)snprintf(subject, sizeof(subject), "ad %s (%.48s): the outcome of creating its %s is "
	    "unknown", a->id, a->name, a->pending);
	if (ad_alert(s, a, "ad_unknown", "warning", subject, "object", a->pending, now, err) != 0)
		return -1;
	log_warn("ad %s failed: %s", a->id, error);
	return ad_refuse(f, "outcome_unknown", "an earlier attempt began creating the %s and never "
	    "reported: the ad is failed; fail the job without retry", a->pending);
}

/* The ad of job j; for an ad_create, a step pending is an unknown outcome unless done is next. */
static int
ad_job_ad_locked(struct store *s, const struct outreach_ad_job *j, int64_t now,
    struct outreach_ad *out, int done_next, struct ad_refusal *f, struct bos_err *err)
{
	if (outreach_ad_get(s, j->ad, now, out, err) != 0)
		return -1;
	if (strcmp(j->kind, "ad_create") != 0)
		return 0;
	if (strcmp(out->state, "creating") != 0)
		return ad_refuse(f, "ad_state", "ad %s is %s, not creating: fail the job without "
		    "retry", out->id, out->state);
	if (out->pending[0] != '\0' && !done_next)
		return ad_unknown(s, out, now, f, err);
	return 0;
}

int
outreach_ad_job_ad(struct store *s, const struct outreach_ad_job *j, int64_t now,
    struct outreach_ad *out, char code[OUTREACH_AD_CODE_SIZE], struct bos_err *err)
{
	struct ad_refusal f = { "", "" };

	code[0] = '\0';
	if (store_begin(s, err) != 0)
		return -1;
	return ad_finish(s, ad_job_ad_locked(s, j, now, out, 0, &f, err), &f, code, err);
}

static int
ad_object_index(const char *object)
{
	int i;

	for (i = 0; object != NULL && i < OUTREACH_AD_OBJECTS; i++)
		if (strcmp(object, outreach_ad_objects[i]) == 0)
			return i;
	return -1;
}

static int
ad_digits(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n >= 1 && n <= max && strspn(s, "0123456789") == n;
}

static int
ad_step_locked(struct store *s, const struct outreach_ad_job *j, int k, int begin,
    const char *meta_id, int64_t now, struct ad_refusal *f, struct bos_err *err)
{
	/* done without an id: refused (Meta answered with an error, nothing was made). */
	char sql[160];
	struct outreach_ad a;
	int first = 0;

	if (ad_job_ad_locked(s, j, now, &a, !begin, f, err) != 0 || f->code[0] != '\0')
		return f->code[0] != '\0' ? 0 : -1;
	if (!begin) {
		if (strcmp(a.pending, outreach_ad_objects[k]) != 0)
			return ad_refuse(f, "step_order", "the %s is not pending (%s%s): begin it "
			    "first", outreach_ad_objects[k], a.pending[0] ? "pending: " : "none is",
			    a.pending[0] ? a.pending : " pending");
		if (meta_id == NULL)
			return outreach_sql_run(s, "recording a refused step", err, "UPDATE outreach_ads"
			    " SET pending = NULL, updated_at = ?2 WHERE id = ?1 AND pending = ?3", "tit",
			    a.id, now, outreach_ad_objects[k]) == 1 ? 0 : -1;
		(void)snprintf(sql, sizeof(sql), "UPDATE outreach_ads SET %s = ?2, pending = NULL,"
		    " updated_at = ?3 WHERE id = ?1 AND pending = ?4", ad_meta_cols[k]);
		return outreach_sql_run(s, "recording a step", err, sql, "ttit", a.id, meta_id, now,
		    outreach_ad_objects[k]) == 1 ? 0 : -1;
	}
	while (first < OUTREACH_AD_OBJECTS && a.meta[first][0] != '\0')
		first++;
	if (k != first)
		return ad_refuse(f, "step_order", "the next object to make is %s, not the %s",
		    first < OUTREACH_AD_OBJECTS ? outreach_ad_objects[first] : "none",
		    outreach_ad_objects[k]);
	return outreach_sql_run(s, "recording a step", err, "UPDATE outreach_ads SET pending = ?2,"
	    " updated_at = ?3 WHERE id = ?1 AND pending IS NULL", "tti", a.id,
	    outreach_ad_objects[k], now) == 1 ? 0 : -1;
}

int
outreach_ad_step(struct store *s, const struct outreach_ad_job *j, const char *object,
    const char *phase, const char *meta_id, int64_t now, char code[OUTREACH_AD_CODE_SIZE],
    struct bos_err *err)
{
	struct ad_refusal f = { "", "" };
	int k = ad_object_index(object), begin, refused;

	code[0] = '\0';
	if (k < 0)
		return bos_err_set(err, BOS_E_INVALID, "'object' must be campaign, adset, creative "
		    "or ad");
	if (phase == NULL || (strcmp(phase, "begin") != 0 && strcmp(phase, "done") != 0 &&
	    strcmp(phase, "refused") != 0))
		return bos_err_set(err, BOS_E_INVALID, "'phase' must be begin, done or refused");
	begin = strcmp(phase, "begin") == 0;
	refused = strcmp(phase, "refused") == 0;
	if (begin || refused ? meta_id != NULL : !ad_digits(meta_id, OUTREACH_AD_META_ID_MAX))
		return bos_err_set(err, BOS_E_INVALID, "%s", begin || refused ? "'meta_id' is given "
		    "with phase done only" : "'meta_id' must be 1 to 32 digits (the id Meta "
		    "answered)");
	if (strcmp(j->kind, "ad_create") != 0)
		return bos_err_set(err, BOS_E_INVALID, "steps are reported by an ad_create job only");
	if (store_begin(s, err) != 0)
		return -1;
	return ad_finish(s, ad_step_locked(s, j, k, begin, meta_id, now, &f, err), &f, code, err);
}

/* ---- completion and death --------------------------------------------------------- */

int
outreach_ad_spend_parse(const char *spend, int exp, int64_t *out)
{
	size_t n = spend != NULL ? strlen(spend) : 0, ip, fp, i;
	int64_t v = 0;

	*out = 0;
	if (exp < 0 || exp > 6)
		return -1;
	ip = strspn(spend != NULL ? spend : "", "0123456789");
	if (ip < 1 || ip > 12)
		return -1;
	fp = 0;
	if (ip < n) {
		if (spend[ip] != '.')
			return -1;
		fp = strspn(spend + ip + 1, "0123456789");
		if (fp < 1 || fp > 6 || ip + 1 + fp != n)
			return -1;
	}
	for (i = 0; i < ip; i++)
		v = v * 10 + (spend[i] - '0');
	for (i = 0; i < (size_t)exp; i++)
		v = v * 10 + (i < fp ? spend[ip + 1 + i] - '0' : 0);
	*out = v;
	return 0;
}

static const char *
ad_json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) ?
	    json_string_value(v) : NULL;
}

/* ad_insights: the day's spend as Meta says it; the ledger gets what is new. */
static int
ad_insights_done(struct store *s, const struct outreach_ad_job *j, const struct outreach_ad *a,
    json_t *params, json_t *result, int64_t now, int *mismatch, struct bos_err *err)
{
	const char *day = ad_json_str(result, "day"), *spend = ad_json_str(result, "spend"),
	    *cur = ad_json_str(result, "currency"), *pday = ad_json_str(params, "day");
	char subject[ALERT_SUBJECT_MAX + 1];
	int64_t amount, recorded = 0;
	int sr;

	if (day == NULL || pday == NULL || strcmp(day, pday) != 0)
		return bos_err_set(err, BOS_E_INVALID, "'result.day' must be the job's day (%s)",
		    pday != NULL ? pday : "?");
	if (cur == NULL || strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
		return bos_err_set(err, BOS_E_INVALID, "'result.currency' must be three capital "
		    "letters (Meta's account_currency)");
	if (spend == NULL || outreach_ad_spend_parse(spend, 0, &amount) != 0)
		return bos_err_set(err, BOS_E_INVALID, "'result.spend' must be Meta's decimal string "
		    "(up to 12 digits, up to 6 after the point)");
	if (outreach_sql_run(s, "recording insights", err, "UPDATE outreach_ads SET"
	    " last_insights_at = ?2 WHERE id = ?1", "ti", a->id, now) != 1)
		return -1;
	if (strcmp(cur, a->currency) != 0) {
		(void)snprintf(subject, sizeof(subject), "ad %s (%.48s): Meta reports its spend in %s, "
		    "not %s: nothing recorded", a->id, a->name, cur, a->currency);
		return ad_alert(s, a, "ad_currency", "critical", subject, "currency", cur, now, err);
	}
	if (outreach_ad_spend_parse(spend, currency_exponent(cur), &amount) != 0)
		return bos_err_set(err, BOS_E_INVALID, "'result.spend' does not fit %s", cur);
	if (outreach_sql_int(s, "reading an ad's spend", &recorded, err, "SELECT amount FROM"
	    " outreach_ad_spend WHERE ad = ?1 AND day = ?2", "tt", a->id, day) != 0)
		return -1;
	if (amount <= recorded)
		return 0;
	sr = spend_record(s, j->id, OUTREACH_AD_SERVICE, amount - recorded, cur, now, err);
	if (sr == SPEND_CURRENCY_MISMATCH)
		*mismatch = 1;
	if (sr != SPEND_RECORDED && sr != SPEND_DUPLICATE)
		return -1;
	if (outreach_sql_run(s, "recording an ad's spend", err, "INSERT OR REPLACE INTO"
	    " outreach_ad_spend (ad, day, amount) VALUES (?1, ?2, ?3)", "tti", a->id, day, amount) != 1)
		return -1;
	log_info("ad %s: spend of %s now %lld minor units of %s", a->id, day, (long long)amount,
	    cur);
	return 0;
}

/* ad_create: the four ids are the recorded ones. */
static int
ad_create_done(struct store *s, const struct outreach_ad *a, json_t *result, int64_t now,
    struct bos_err *err)
{
	const char *v;
	int i;

	if (strcmp(a->state, "creating") != 0)
		return bos_err_set(err, BOS_E_INVALID, "ad %s is %s, not creating: fail the job",
		    a->id, a->state);
	for (i = 0; i < OUTREACH_AD_OBJECTS; i++)
		if ((v = ad_json_str(result, outreach_ad_objects[i])) == NULL ||
		    a->meta[i][0] == '\0' || strcmp(v, a->meta[i]) != 0)
			return bos_err_set(err, BOS_E_INVALID, "'result.%s' must be the id recorded "
			    "by its step (%s)", outreach_ad_objects[i], a->meta[i][0] ? a->meta[i] :
			    "none yet");
	return outreach_sql_run(s, "activating an ad", err, "UPDATE outreach_ads SET state ="
	    " 'active', pause_reason = NULL, error = NULL, updated_at = ?2 WHERE id = ?1", "ti",
	    a->id, now) == 1 ? 0 : -1;
}

/* How many keys the result of an ad job has, and what they are. */
static size_t
ad_result_keys(const char *kind)
{
	if (strcmp(kind, "ad_create") == 0)
		return OUTREACH_AD_OBJECTS;
	return strcmp(kind, "ad_insights") == 0 ? 3 : 0;
}

static const char *
ad_result_shape(const char *kind)
{
	if (strcmp(kind, "ad_create") == 0)
		return "{campaign, adset, creative, ad}: the recorded ids";
	return strcmp(kind, "ad_insights") == 0 ? "{day, spend, currency}" : "{}";
}

int
outreach_ad_job_completed(struct store *s, const struct outreach_ad_job *j,
    const char *params_json, const char *result_json, int64_t now, outreach_ad_queue_fn queue,
    int *mismatch, struct bos_err *err)
{
	json_t *params = json_loads(params_json, 0, NULL), *result = json_loads(result_json, 0,
	    NULL);
	struct outreach_ad *a = malloc(sizeof(*a));
	int r = -1;

	if (a == NULL || !json_is_object(result)) {
		bos_err_set(err, a == NULL ? BOS_E_NOMEM : BOS_E_INVALID, "%s", a == NULL ?
		    "out of memory" : "'result' must be a JSON object");
		goto out;
	}
	if (outreach_ad_get(s, j->ad, now, a, err) != 0)
		goto out;
	/*
	 * The result's keys are exactly the kind's (job.c skips the card check for
	 * ad jobs: Meta's ids are digits; nothing free-form may come along).
	 */
	if (json_object_size(result) != ad_result_keys(j->kind)) {
		bos_err_set(err, BOS_E_INVALID, "'result' of %s must be %s", j->kind,
		    ad_result_shape(j->kind));
		goto out;
	}
	if (strcmp(j->kind, "ad_create") == 0) {
		r = ad_create_done(s, a, result, now, err);
	} else if (strcmp(j->kind, "ad_activate") == 0) {
		r = outreach_sql_run(s, "activating an ad", err, "UPDATE outreach_ads SET state ="
		    " 'active', pause_reason = NULL, updated_at = ?2 WHERE id = ?1 AND state ="
		    " 'resuming'", "ti", a->id, now) >= 0 ? 0 : -1;
	} else if (strcmp(j->kind, "ad_pause") == 0) {
		r = outreach_sql_run(s, "pausing an ad", err, "UPDATE outreach_ads SET state ="
		    " 'paused', paused_at = ?2, updated_at = ?2 WHERE id = ?1 AND state = 'pausing'",
		    "ti", a->id, now) >= 0 ? 0 : -1;
	} else {
		r = ad_insights_done(s, j, a, params, result, now, mismatch, err);
	}
	/* The money rules: an ad active under a paused budget is paused at once. */
	if (r == 0)
		r = ad_budget_pause_all(s, queue, now, NULL, err);
	if (r == 0)
		log_info("ad %s: job %s (%s) done", a->id, j->id, j->kind);
 out:
	json_decref(params);
	json_decref(result);
	free(a);
	return r;
}

int
outreach_ad_job_dead(struct store *s, const struct outreach_ad_job *j, const char *error,
    int64_t now, struct bos_err *err)
{
	char subject[ALERT_SUBJECT_MAX + 1];
	struct outreach_ad *a = malloc(sizeof(*a));
	int n, r = -1;

	if (a == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (outreach_ad_get(s, j->ad, now, a, err) != 0)
		goto out;
	if (strcmp(j->kind, "ad_pause") == 0) {
		/* Money may still flow: back to active, where the sweep pauses it again if due. */
		n = outreach_sql_run(s, "an ad's pause failed", err, "UPDATE outreach_ads SET state ="
		    " 'active', pause_reason = NULL, updated_at = ?2 WHERE id = ?1 AND state ="
		    " 'pausing'", "ti", a->id, now);
		(void)snprintf(subject, sizeof(subject), "ad %s (%.48s) could not be paused: it may "
		    "still spend", a->id, a->name);
		r = n < 0 ? -1 : n == 0 ? 0 : ad_alert(s, a, "ad_pause_failed", "critical", subject,
		    "error", error, now, err);
	} else if (strcmp(j->kind, "ad_activate") == 0) {
		n = outreach_sql_run(s, "an ad's resume failed", err, "UPDATE outreach_ads SET state ="
		    " 'paused', updated_at = ?2 WHERE id = ?1 AND state = 'resuming'", "ti", a->id,
		    now);
		(void)snprintf(subject, sizeof(subject), "ad %s (%.48s) could not be resumed", a->id,
		    a->name);
		r = n < 0 ? -1 : n == 0 ? 0 : ad_alert(s, a, "ad_resume_failed", "warning", subject,
		    "error", error, now, err);
	} else if (strcmp(j->kind, "ad_create") == 0) {
		n = outreach_sql_run(s, "an ad failed", err, "UPDATE outreach_ads SET state ="
		    " 'failed', pending = NULL, error = ?2, updated_at = ?3 WHERE id = ?1 AND state ="
		    " 'creating'", "tti", a->id, error, now);
		(void)snprintf(subject, sizeof(subject), "ad %s (%.48s) could not be created: %.100s",
		    a->id, a->name, error);
		r = n < 0 ? -1 : n == 0 ? 0 : ad_alert(s, a, "ad_failed", "warning", subject,
		    "error", error, now, err);
	} else {
		r = 0;                /* an insights job: the next one asks again */
	}
 out:
	free(a);
	return r;
}

/* ---- the sweep -------------------------------------------------------------------- */

struct ad_sweep {
	struct store *s;
	outreach_ad_queue_fn queue;
	int64_t now;
	uint32_t insights_s;
	unsigned queued;
	struct bos_err *err;
	int failed;
};

/* Has ad any insights job for day yet? */
static int
ad_insights_queued(struct store *s, const char *ad, const char *day, int *yes,
    struct bos_err *err)
{
	char like[96];
	int64_t n = 0;

	(void)snprintf(like, sizeof(like), "ad\\_insights:%s:%s:%%", ad, day);
	if (outreach_sql_int(s, "looking for insights jobs", &n, err, "SELECT count(*) FROM jobs"
	    " WHERE ad = ?1 AND kind = 'ad_insights' AND idempotency_key LIKE ?2 ESCAPE '\\'",
	    "tt", ad, like) != 0)
		return -1;
	*yes = n > 0;
	return 0;
}

static int
ad_sweep_one(struct ad_sweep *w, const struct outreach_ad *a)
{
	char today[SPEND_DAY_SIZE], yday[SPEND_DAY_SIZE], key[AD_IDEM_MAX + 1];
	int64_t slot = w->now / (w->insights_s > 0 ? w->insights_s : 3600);
	int seen = 0, existed = 0;

	spend_day(w->now, today);
	spend_day(w->now - 86400, yday);
	if (ad_insights_queued(w->s, a->id, today, &seen, w->err) != 0)
		return -1;
	(void)snprintf(key, sizeof(key), "ad_insights:%s:%s:%lld", a->id, today, (long long)slot);
	if (ad_queue(w->s, w->queue, a, "ad_insights", today, key, a->created_by, w->now, &existed,
	    w->err) != 0)
		return -1;
	w->queued += !existed;
	/* The first of a new day also asks for the day before: its last hours' spend. */
	if (seen || a->created_at >= w->now - w->now % 86400)
		return 0;
	(void)snprintf(key, sizeof(key), "ad_insights:%s:%s:%lld", a->id, yday, (long long)slot);
	if (ad_queue(w->s, w->queue, a, "ad_insights", yday, key, a->created_by, w->now, &existed,
	    w->err) != 0)
		return -1;
	w->queued += !existed;
	return 0;
}

static int
ad_sweep_cb(const struct outreach_ad *a, void *arg)
{
	struct ad_sweep *w = arg;

	if (ad_sweep_one(w, a) != 0) {
		w->failed = 1;
		return 1;
	}
	return 0;
}

static int
ad_sweep_locked(struct ad_sweep *w, unsigned *paused)
{
	char ids[AD_SELF_MAX][OUTREACH_AD_ID_SIZE];
	struct ad_ids l = { ids, 0 };
	struct outreach_ad *a;
	size_t i;
	int r = 0;

	if (ad_budget_pause_all(w->s, w->queue, w->now, paused, w->err) != 0)
		return -1;
	/* Ids first: queueing a job while a statement of the same cache runs is avoided. */
	if (ad_select(w->s, AD_COLS "WHERE meta_campaign IS NOT NULL AND (state IN ('active',"
	    " 'pausing', 'resuming') OR (state = 'paused' AND paused_at > ?7 - 93600))"
	    " ORDER BY coalesce(last_insights_at, 0), created_at", NULL, w->now, ad_ids_cb, &l,
	    w->err) != 0)
		return -1;
	if ((a = malloc(sizeof(*a))) == NULL)
		return bos_err_set(w->err, BOS_E_NOMEM, "out of memory");
	for (i = 0; i < l.n && r == 0; i++) {
		if (outreach_ad_get(w->s, ids[i], w->now, a, w->err) != 0)
			r = -1;
		else
			(void)ad_sweep_cb(a, w);
		if (w->failed)
			r = -1;
	}
	free(a);
	return r;
}

_Static_assert(OUTREACH_AD_PAUSED_INSIGHTS == 93600, "the sweep's SQL says 93600");

int
outreach_ad_sweep(struct store *s, int64_t now, uint32_t insights_s,
    outreach_ad_queue_fn queue, unsigned *queued, unsigned *paused, struct bos_err *err)
{
	struct ad_sweep w = { s, queue, now, insights_s, 0, err, 0 };
	unsigned p = 0;

	if (store_begin(s, err) != 0)
		return -1;
	if (outreach_sql_finish(s, ad_sweep_locked(&w, &p), err) < 0)
		return -1;
	if (queued != NULL)
		*queued = w.queued;
	if (paused != NULL)
		*paused = p;
	return 0;
}
