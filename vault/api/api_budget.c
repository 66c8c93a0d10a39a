/*
 * Budgets and the cost report (docs/BROKERS.md "Spend and budgets"):
 * GET /budgets, PUT /budgets/{service} (the service "total" is the budget
 * over every service), POST /budgets/{service}/resume and
 * GET /outreach/cost. The decisions and sums are budget.c's and spend.c's;
 * this file maps them to requests and responses. Amounts are integers of
 * minor units and are not secret: the audit reason names them.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "auth/auth.h"
#include "log.h"
#include "policy.h"
#include "currency.h"
#include "store/approval.h"
#include "store/budget.h"
#include "store/outreach_campaign.h"
#include "store/spend.h"
#include "core/vault.h"

#define API_BUDGETS_PATH "budgets"
#define API_COST_PATH "cost"
#define API_COST_MAX_DAYS 366
#define API_BUDGET_PATH_SIZE (sizeof(API_BUDGETS_PATH "/" "/resume") + SPEND_SERVICE_MAX)

static json_t *
api_budget_time(int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(s);
}

/* An amount or a percent that may be absent: null for BUDGET_NONE / -1. */
static json_t *
api_budget_opt(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static int
api_budget_fail(struct http_req *r, const struct bos_err *err)
{
	if (err->code != BOS_E_INVALID && err->code != BOS_E_NOTFOUND &&
	    err->code != BOS_E_EXISTS)
		log_err("request %s: %s", http_req_id(r), err->msg);
	return http_reply_bos_err(r, err);
}

static json_t *
api_budget_json(const struct budget_info *b)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:o, s:o, s:s, s:{s:b, s:b}, s:s, s:o}",
	    "service", b->service, "currency", b->currency, "daily", api_budget_opt(b->daily),
	    "monthly", api_budget_opt(b->monthly), "spent_today", (json_int_t)b->spent_day,
	    "spent_this_month", (json_int_t)b->spent_month,
	    "day_percent", api_budget_opt(b->day_percent),
	    "month_percent", api_budget_opt(b->month_percent), "state", b->state,
	    "resumed", "daily", b->day_resumed, "monthly", b->month_resumed,
	    "updated_by", b->updated_by, "updated_at", api_budget_time(b->updated_at));
}

/* The service of the path: a service name or "total". 0, or -1 with the 400 answered. */
static int
api_budget_service(struct http_req *r, const char **out)
{
	const char *svc = http_req_param(r, "service");
	struct bos_err err;

	bos_err_clear(&err);
	*out = svc;
	if (svc != NULL && strcmp(svc, BUDGET_TOTAL) == 0)
		return 0;
	if (spend_service_check(svc, &err) == 0)
		return 0;
	return http_reply_error(r, 400, "bad_path", "%s (or 'total' for the budget over every "
	    "service)", err.msg) == 0 ? -1 : -2;
}

static int
api_budget_reply(struct vault *v, struct http_req *r, const char *service)
{
	struct budget_info b;
	struct bos_err err;
	int rc;

	bos_err_clear(&err);
	vault_db_lock(v);
	rc = budget_get(v->st.store, service, vault_now(v), &b, &err);
	vault_db_unlock(v);
	if (rc != 0)
		return api_budget_fail(r, &err);
	return http_reply_json(r, 200, api_budget_json(&b));
}

static int
api_budget_list_cb(const struct budget_info *b, void *arg)
{
	json_t *o = api_budget_json(b);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_budget_list(struct vault *v, struct http_req *r)
{
	struct bos_err err;
	json_t *arr;
	int rc;

	if ((rc = api_allow(v, r, POLICY_LIST, API_BUDGETS_PATH, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if ((arr = json_array()) == NULL)
		return -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = budget_list(v->st.store, vault_now(v), api_budget_list_cb, arr, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		json_decref(arr);
		return api_budget_fail(r, &err);
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "budgets", arr));
}

/*
 * "daily" or "monthly" of o: absent or null is BUDGET_NONE; else an integer
 * 0..INT64_MAX (a larger one is refused by the JSON parser already).
 */
static int
api_budget_amount(const json_t *o, const char *key, int64_t *out)
{
	json_t *f = json_object_get(o, key);

	*out = BUDGET_NONE;
	if (f == NULL || json_is_null(f))
		return 0;
	if (!json_is_integer(f) || json_integer_value(f) < 0)
		return -1;
	*out = (int64_t)json_integer_value(f);
	return 0;
}

/* daily, monthly and currency of o (a body, or an approval's params) into b; NULL or why. */
static const char *
api_budget_fields(const json_t *o, struct budget_set *b)
{
	json_t *cur;

	if (api_budget_amount(o, "daily", &b->daily) != 0 ||
	    api_budget_amount(o, "monthly", &b->monthly) != 0)
		return "'daily' and 'monthly' must be integers of minor units (cents for USD), 0 or "
		    "more";
	cur = json_object_get(o, "currency");
	if (!json_is_string(cur) || strlen(json_string_value(cur)) != json_string_length(cur))
		return "'currency' must be an ISO 4217 code such as USD";
	b->currency = json_string_value(cur);
	if (b->daily == BUDGET_NONE && b->monthly == BUDGET_NONE)
		return "give 'daily', 'monthly' or both";
	if (!spend_currency_known(b->currency))
		return "unknown currency: give an ISO 4217 code such as USD or EUR";
	return NULL;
}

/* "12.50 USD" */
static void
api_budget_money(int64_t amount, const char *currency, char *out, size_t n)
{
	char num[32];

	if (currency_format(amount, currency_exponent(currency), num, sizeof(num)) != 0)
		(void)snprintf(num, sizeof(num), "%lld", (long long)amount);
	(void)snprintf(out, n, "%s %s", num, currency);
}

/* Does a period go from cur to next widen it: raised, or dropped? */
static int
api_budget_period_widens(int64_t cur, int64_t next)
{
	return cur != BUDGET_NONE && (next == BUDGET_NONE || next > cur);
}

/*
 * Does b widen the budget there is (cur)? Raising a period above its amount,
 * or dropping a period that had one, does; so does a change of currency,
 * whose amounts cannot be compared. A lower amount, or a period where none
 * was, narrows.
 */
static int
api_budget_widens(const struct budget_info *cur, const struct budget_set *b)
{
	return strcmp(cur->currency, b->currency) != 0 ||
	    api_budget_period_widens(cur->daily, b->daily) ||
	    api_budget_period_widens(cur->monthly, b->monthly);
}

/* The budget's name in a sentence: " of sendgrid", " over every service (total)". */
static const char *
api_budget_of(const char *service, char *out, size_t n)
{
	if (strcmp(service, BUDGET_TOTAL) == 0)
		(void)snprintf(out, n, " over every service (total)");
	else
		(void)snprintf(out, n, " of %s", service);
	return out;
}

/* One period's change as words, appended to out: "raise the daily budget of X from A to B". */
static void
api_budget_phrase(char *out, size_t n, const char *period, int64_t cur, int64_t next,
    const char *currency, const char *of)
{
	char a[48], b[48], *end = out + strlen(out);
	size_t left = n - strlen(out);
	const char *sep = out[0] != '\0' ? ", and " : "";

	if (cur == next)
		return;
	api_budget_money(cur, currency, a, sizeof(a));
	api_budget_money(next, currency, b, sizeof(b));
	if (cur == BUDGET_NONE)
		(void)snprintf(end, left, "%sset the %s budget%s to %s (there was none)", sep,
		    period, of, b);
	else if (next == BUDGET_NONE)
		(void)snprintf(end, left, "%sremove the %s budget%s (it was %s)", sep, period, of,
		    a);
	else
		(void)snprintf(end, left, "%s%s the %s budget%s from %s to %s", sep,
		    next > cur ? "raise" : "lower", period, of, a, b);
}

/* What approving would do, in one line a person reads before approving. */
static void
api_budget_summary(const struct budget_info *cur, const struct budget_set *b, char *out,
    size_t n)
{
	char of[96], was[128], now[128], d[48], m[48];

	api_budget_of(b->service, of, sizeof(of));
	out[0] = '\0';
	if (strcmp(cur->currency, b->currency) != 0) {
		api_budget_money(cur->daily, cur->currency, d, sizeof(d));
		api_budget_money(cur->monthly, cur->currency, m, sizeof(m));
		(void)snprintf(was, sizeof(was), "daily %s, monthly %s",
		    cur->daily == BUDGET_NONE ? "none" : d, cur->monthly == BUDGET_NONE ? "none" : m);
		api_budget_money(b->daily, b->currency, d, sizeof(d));
		api_budget_money(b->monthly, b->currency, m, sizeof(m));
		(void)snprintf(now, sizeof(now), "daily %s, monthly %s",
		    b->daily == BUDGET_NONE ? "none" : d, b->monthly == BUDGET_NONE ? "none" : m);
		(void)snprintf(out, n, "replace the budget%s (%s) with one in %s (%s)", of, was,
		    b->currency, now);
		return;
	}
	api_budget_phrase(out, n, "daily", cur->daily, b->daily, b->currency, of);
	api_budget_phrase(out, n, "monthly", cur->monthly, b->monthly, b->currency,
	    out[0] != '\0' ? "" : of);
}

/* The params an approval keeps for a budget_set: the request's own fields. */
static json_t *
api_budget_params(const struct budget_set *b)
{
	return json_pack("{s:s, s:o, s:o, s:s}", "service", b->service,
	    "daily", api_budget_opt(b->daily), "monthly", api_budget_opt(b->monthly),
	    "currency", b->currency);
}

/*
 * Under the lock: put b now, or ask for an approval when it widens the
 * budget there is. 0 answered (200 or 202), or -1.
 */
static int
api_budget_set_locked(struct vault *v, struct http_req *r, struct budget_set *b)
{
	char summary[APPROVAL_SUMMARY_MAX + 1];
	struct budget_info cur;
	struct bos_err err;
	json_t *params;

	bos_err_clear(&err);
	if (budget_get(v->st.store, b->service, vault_now(v), &cur, &err) != 0) {
		if (err.code != BOS_E_NOTFOUND)
			return api_budget_fail(r, &err);
	} else if (api_budget_widens(&cur, b)) {
		if (budget_put_check(v->st.store, b, vault_now(v), &err) != 0)
			return api_budget_fail(r, &err);
		api_budget_summary(&cur, b, summary, sizeof(summary));
		if ((params = api_budget_params(b)) == NULL)
			return -1;
		return api_approval_ask(v, r, "budget_set", params, summary);
	}
	bos_err_clear(&err);
	if (budget_put(v->st.store, b, vault_now(v), &err) != 0)
		return api_budget_fail(r, &err);
	http_req_audit_reason(r, "budget %s set: daily %lld, monthly %lld, %s", b->service,
	    (long long)b->daily, (long long)b->monthly, b->currency);
	log_info("request %s: %s set the budget of %s", http_req_id(r),
	    http_req_principal(r)->accessor, b->service);
	return api_budget_reply(v, r, b->service);
}

int
api_budget_set(struct vault *v, struct http_req *r)
{
	struct budget_set b = { NULL, BUDGET_NONE, BUDGET_NONE, NULL,
	    http_req_principal(r)->name };
	char path[API_BUDGET_PATH_SIZE];
	const char *why;
	int rc;

	if ((rc = api_budget_service(r, &b.service)) != 0)
		return rc == -1 ? 0 : -1;
	(void)snprintf(path, sizeof(path), API_BUDGETS_PATH "/%s", b.service);
	if ((rc = api_allow(v, r, POLICY_UPDATE, path, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	if ((why = api_budget_fields(http_req_body(r), &b)) != NULL)
		return http_reply_error(r, 400, "invalid", "%s", why);
	vault_db_lock(v);
	rc = api_budget_set_locked(v, r, &b);
	vault_db_unlock(v);
	return rc;
}

/* "resume spending of sendgrid for the rest of the day (daily budget 10.00 USD, spent 10.00 USD)" */
static void
api_budget_resume_summary(const struct budget_info *b, int day, int month, char *out, size_t n)
{
	char of[96], bd[48], sd[48], bm[48], sm[48], dpart[160] = "", mpart[160] = "";

	api_budget_money(b->daily, b->currency, bd, sizeof(bd));
	api_budget_money(b->spent_day, b->currency, sd, sizeof(sd));
	api_budget_money(b->monthly, b->currency, bm, sizeof(bm));
	api_budget_money(b->spent_month, b->currency, sm, sizeof(sm));
	if (day)
		(void)snprintf(dpart, sizeof(dpart), "daily budget %s, %s spent today", bd, sd);
	if (month)
		(void)snprintf(mpart, sizeof(mpart), "monthly budget %s, %s spent this month", bm, sm);
	(void)snprintf(out, n, "resume spending%s for the rest of the %s, past its budget (%s%s%s)",
	    api_budget_of(b->service, of, sizeof(of)), day && month ? "day and month" : day ?
	    "day" : "month", dpart, day && month ? "; " : "", mpart);
}

static int
api_budget_resume_locked(struct vault *v, struct http_req *r, const char *service)
{
	char summary[APPROVAL_SUMMARY_MAX + 1];
	struct budget_info cur;
	struct bos_err err;
	json_t *params;
	int day, month;

	bos_err_clear(&err);
	if (budget_resume_check(v->st.store, service, vault_now(v), &day, &month, &err) != 0 ||
	    budget_get(v->st.store, service, vault_now(v), &cur, &err) != 0)
		return api_budget_fail(r, &err);
	api_budget_resume_summary(&cur, day, month, summary, sizeof(summary));
	if ((params = json_pack("{s:s}", "service", service)) == NULL)
		return -1;
	return api_approval_ask(v, r, "budget_resume", params, summary);
}

/* Every resume lets spending past a budget: it waits for an admin's approval. */
int
api_budget_resume(struct vault *v, struct http_req *r)
{
	char path[API_BUDGET_PATH_SIZE];
	const char *service;
	int rc;

	if ((rc = api_budget_service(r, &service)) != 0)
		return rc == -1 ? 0 : -1;
	(void)snprintf(path, sizeof(path), API_BUDGETS_PATH "/%s/resume", service);
	if ((rc = api_allow(v, r, POLICY_UPDATE, path, NULL)) != 0)
		return rc > 0 ? 0 : -1;
	vault_db_lock(v);
	rc = api_budget_resume_locked(v, r, service);
	vault_db_unlock(v);
	return rc;
}

/* ---- what an approval runs (api_approval.c) -------------------------------------- */

static int
api_budget_refuse(struct api_refusal *f, unsigned status, const char *code, const char *msg)
{
	f->status = status;
	(void)snprintf(f->code, sizeof(f->code), "%s", code);
	(void)snprintf(f->msg, sizeof(f->msg), "%s", msg);
	return 1;
}

/* A refusal of the budget's rules, or -1 for what is the vault's fault. */
static int
api_budget_refuse_err(struct api_refusal *f, const struct bos_err *e, struct bos_err *err)
{
	switch (e->code) {
	case BOS_E_INVALID:
		return api_budget_refuse(f, 400, "invalid", e->msg);
	case BOS_E_NOTFOUND:
		return api_budget_refuse(f, 404, "not_found", e->msg);
	case BOS_E_EXISTS:
		return api_budget_refuse(f, 409, "conflict", e->msg);
	default:
		*err = *e;
		return -1;
	}
}

/* The approving admin's policy question of the route: 0 allowed, 1 refused, -1. */
static int
api_budget_allowed(struct vault *v, struct http_req *r, const char *path,
    struct api_refusal *f, struct bos_err *err)
{
	struct policy_decision d;

	if (api_allow_decide(v, r, POLICY_UPDATE, path, &d, err) != 0)
		return -1;
	return d.allow ? 0 : api_budget_refuse(f, 403, "forbidden", d.reason);
}

/* The service of an approval's params, checked as the route checks its path. */
static const char *
api_budget_param_service(const json_t *params)
{
	const char *svc = json_string_value(json_object_get(params, "service"));
	struct bos_err e;

	bos_err_clear(&e);
	if (svc == NULL || (strcmp(svc, BUDGET_TOTAL) != 0 && spend_service_check(svc, &e) != 0))
		return NULL;
	return svc;
}

static int
api_budget_result(struct vault *v, const char *service, json_t **result, struct bos_err *err)
{
	struct budget_info b;

	if (budget_get(v->st.store, service, vault_now(v), &b, err) != 0)
		return -1;
	return (*result = api_budget_json(&b)) != NULL ? 0 : bos_err_set(err, BOS_E_NOMEM,
	    "out of memory");
}

int
api_budget_set_approved(struct vault *v, struct http_req *r, const json_t *params,
    json_t **result, struct api_refusal *fail, struct bos_err *err)
{
	struct budget_set b = { NULL, BUDGET_NONE, BUDGET_NONE, NULL,
	    http_req_principal(r)->name };
	char path[API_BUDGET_PATH_SIZE];
	struct bos_err e;
	const char *why;
	int rc;

	*result = NULL;
	if ((b.service = api_budget_param_service(params)) == NULL)
		return api_budget_refuse(fail, 400, "invalid", "the approval names no service");
	(void)snprintf(path, sizeof(path), API_BUDGETS_PATH "/%s", b.service);
	if ((rc = api_budget_allowed(v, r, path, fail, err)) != 0)
		return rc;
	if ((why = api_budget_fields(params, &b)) != NULL)
		return api_budget_refuse(fail, 400, "invalid", why);
	bos_err_clear(&e);
	if (budget_put(v->st.store, &b, vault_now(v), &e) != 0)
		return api_budget_refuse_err(fail, &e, err);
	log_info("request %s: %s set the budget of %s (approved)", http_req_id(r),
	    http_req_principal(r)->accessor, b.service);
	return api_budget_result(v, b.service, result, err);
}

int
api_budget_resume_approved(struct vault *v, struct http_req *r, const json_t *params,
    json_t **result, struct api_refusal *fail, struct bos_err *err)
{
	char path[API_BUDGET_PATH_SIZE];
	const char *service;
	struct bos_err e;
	int rc;

	*result = NULL;
	if ((service = api_budget_param_service(params)) == NULL)
		return api_budget_refuse(fail, 400, "invalid", "the approval names no service");
	(void)snprintf(path, sizeof(path), API_BUDGETS_PATH "/%s/resume", service);
	if ((rc = api_budget_allowed(v, r, path, fail, err)) != 0)
		return rc;
	bos_err_clear(&e);
	if (budget_resume(v->st.store, service, http_req_principal(r)->name, vault_now(v),
	    &e) != 0)
		return api_budget_refuse_err(fail, &e, err);
	return api_budget_result(v, service, result, err);
}

/* ---- GET /outreach/cost --------------------------------------------------------- */

/* What the cost report gathers: budgets first, then the ledger's sums. */
struct api_cost {
	json_t *by_key;               /* "service currency" -> entry */
	json_t *budgets;              /* service -> budget_info as JSON (current) */
	json_t *total_budget;         /* the total's, or NULL */
	int days, months;             /* the range's days and calendar months */
	int fail;
};

static int
api_cost_budget_cb(const struct budget_info *b, void *arg)
{
	struct api_cost *c = arg;
	json_t *o = api_budget_json(b);

	if (o == NULL)
		return c->fail = -1;
	if (strcmp(b->service, BUDGET_TOTAL) == 0) {
		c->total_budget = o;
		return 0;
	}
	return json_object_set_new(c->budgets, b->service, o) != 0 ? (c->fail = -1) : 0;
}

/* percent of spent against a budget scaled to the range; null without one. */
static json_t *
api_cost_percent(const struct api_cost *c, json_t *budget, const char *currency, int64_t spent)
{
	json_t *d, *m;
	__int128 limit;

	if (budget == NULL || strcmp(json_string_value(json_object_get(budget, "currency")),
	    currency) != 0)
		return json_null();
	d = json_object_get(budget, "daily");
	m = json_object_get(budget, "monthly");
	if (json_is_integer(d))
		limit = (__int128)json_integer_value(d) * c->days;
	else if (json_is_integer(m))
		limit = (__int128)json_integer_value(m) * c->months;
	else
		return json_null();
	if (limit > INT64_MAX)
		limit = INT64_MAX;
	return json_integer(budget_percent(spent, (int64_t)limit));
}

static json_t *
api_cost_entry(const struct api_cost *c, const char *service, json_t *budget,
    const char *currency, int64_t spent)
{
	int same = budget != NULL && strcmp(json_string_value(json_object_get(budget,
	    "currency")), currency) == 0;

	return json_pack("{s:s, s:s, s:I, s:O, s:O, s:o, s:s}", "service", service,
	    "currency", currency, "spent", (json_int_t)spent,
	    "daily_budget", same ? json_object_get(budget, "daily") : json_null(),
	    "monthly_budget", same ? json_object_get(budget, "monthly") : json_null(),
	    "percent", api_cost_percent(c, budget, currency, spent),
	    "state", budget != NULL ? json_string_value(json_object_get(budget, "state")) : "ok");
}

static int
api_cost_spend_cb(const char *service, const char *currency, int64_t sum, void *arg)
{
	struct api_cost *c = arg;
	char key[SPEND_SERVICE_MAX + SPEND_CURRENCY_SIZE + 2];
	json_t *e;

	(void)snprintf(key, sizeof(key), "%s %s", service, currency);
	e = api_cost_entry(c, service, json_object_get(c->budgets, service), currency, sum);
	if (e == NULL || json_object_set_new(c->by_key, key, e) != 0)
		return c->fail = -1;
	return 0;
}

/* Services with a budget and no spend in the range appear with 0. */
static int
api_cost_fill_budgets(struct api_cost *c)
{
	char key[SPEND_SERVICE_MAX + SPEND_CURRENCY_SIZE + 2];
	const char *svc;
	json_t *b, *e;

	json_object_foreach(c->budgets, svc, b) {
		(void)snprintf(key, sizeof(key), "%s %s", svc,
		    json_string_value(json_object_get(b, "currency")));
		if (json_object_get(c->by_key, key) != NULL)
			continue;
		e = api_cost_entry(c, svc, b, json_string_value(json_object_get(b, "currency")), 0);
		if (e == NULL || json_object_set_new(c->by_key, key, e) != 0)
			return -1;
	}
	return 0;
}

/* The total: in the total budget's currency, else the one currency spent, else null. */
static json_t *
api_cost_total(struct api_cost *c, json_t *services)
{
	const char *cur = NULL;
	int64_t sum = 0;
	int mixed = 0;
	size_t i;
	json_t *e;

	if (c->total_budget != NULL)
		cur = json_string_value(json_object_get(c->total_budget, "currency"));
	json_array_foreach(services, i, e) {
		const char *ec = json_string_value(json_object_get(e, "currency"));

		if (json_integer_value(json_object_get(e, "spent")) == 0)
			continue;
		if (cur == NULL)
			cur = ec;
		if (strcmp(cur, ec) != 0) {
			mixed = 1;
			continue;
		}
		if (__builtin_add_overflow(sum, (int64_t)json_integer_value(json_object_get(e,
		    "spent")), &sum))
			mixed = 1;
	}
	if (c->total_budget == NULL && (mixed || cur == NULL))
		return json_pack("{s:n, s:o, s:n, s:n, s:n, s:s}", "currency", "spent",
		    mixed ? json_null() : json_integer(0), "daily_budget", "monthly_budget",
		    "percent", "state", "ok");
	return api_cost_entry(c, BUDGET_TOTAL, c->total_budget, cur, sum);
}

/* Days from..to (both valid, from <= to), and the calendar months they touch. */
static int
api_cost_span(const char *from, const char *to, int *days, int *months)
{
	struct tm a, b;
	time_t ta, tb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (strptime(from, "%Y-%m-%d", &a) == NULL || strptime(to, "%Y-%m-%d", &b) == NULL)
		return -1;
	ta = timegm(&a);
	tb = timegm(&b);
	if (tb < ta)
		return -1;
	*days = (int)((tb - ta) / 86400) + 1;
	*months = (b.tm_year - a.tm_year) * 12 + (b.tm_mon - a.tm_mon) + 1;
	return 0;
}

/* The range of the query: ?day=D, or ?from=D&to=D, or today. 0, or -1 with the 400 answered. */
static int
api_cost_range(struct vault *v, struct http_req *r, char from[SPEND_DAY_SIZE],
    char to[SPEND_DAY_SIZE], int *days, int *months)
{
	const char *d = http_req_query(r, "day"), *f = http_req_query(r, "from"),
	    *t = http_req_query(r, "to");

	if (d != NULL && (f != NULL || t != NULL))
		return http_reply_error(r, 400, "bad_query", "give 'day', or 'from' and 'to', not "
		    "both") == 0 ? -1 : -2;
	if ((f == NULL) != (t == NULL))
		return http_reply_error(r, 400, "bad_query", "'from' and 'to' go together") == 0 ?
		    -1 : -2;
	if (d != NULL)
		f = t = d;
	if (f == NULL) {
		spend_day(vault_now(v), from);
		memcpy(to, from, SPEND_DAY_SIZE);
	} else if (!spend_day_valid(f) || !spend_day_valid(t)) {
		return http_reply_error(r, 400, "bad_query", "days are YYYY-MM-DD (UTC)") == 0 ?
		    -1 : -2;
	} else {
		memcpy(from, f, SPEND_DAY_SIZE);
		memcpy(to, t, SPEND_DAY_SIZE);
	}
	if (api_cost_span(from, to, days, months) != 0 || *days > API_COST_MAX_DAYS)
		return http_reply_error(r, 400, "bad_query", "'from' must not be after 'to', and "
		    "a range is at most %d days", API_COST_MAX_DAYS) == 0 ? -1 : -2;
	return 0;
}

static int
api_cost_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The entries by service, then currency (the keys "SERVICE CURRENCY" sort so). */
static json_t *
api_cost_sorted(json_t *by_key)
{
	size_t n = json_object_size(by_key), i = 0;
	const char **keys, *k;
	json_t *e, *arr;

	if ((arr = json_array()) == NULL || n == 0)
		return arr;
	if ((keys = calloc(n, sizeof(*keys))) == NULL) {
		json_decref(arr);
		return NULL;
	}
	json_object_foreach(by_key, k, e)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), api_cost_key_cmp);
	for (i = 0; i < n; i++)
		if (json_array_append(arr, json_object_get(by_key, keys[i])) != 0) {
			json_decref(arr);
			arr = NULL;
			break;
		}
	free(keys);
	return arr;
}

/* docs/OUTREACH.md "Cost": one entry per campaign with spend in the range. */
static int
api_cost_campaign_cb(const struct outreach_cost *oc, void *arg)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "id", oc->id, "provider",
	    oc->provider, "currency", oc->currency, "messages", (json_int_t)oc->messages,
	    "spent_micros", (json_int_t)oc->spent_micros, "spent", (json_int_t)oc->spent);

	return o == NULL || json_array_append_new(arg, o) != 0 ? -1 : 0;
}

int
api_cost_read(struct vault *v, struct http_req *r)
{
	struct api_cost c = { json_object(), json_object(), NULL, 0, 0, 0 };
	char from[SPEND_DAY_SIZE], to[SPEND_DAY_SIZE];
	struct bos_err err;
	json_t *services = NULL, *total, *campaigns = json_array();
	int rc = -1;

	if ((rc = api_allow(v, r, POLICY_READ, API_COST_PATH, NULL)) != 0)
		goto out;
	if ((rc = api_cost_range(v, r, from, to, &c.days, &c.months)) != 0) {
		rc = rc == -1 ? 1 : -1;
		goto out;
	}
	rc = -1;
	if (c.by_key == NULL || c.budgets == NULL || campaigns == NULL)
		goto out;
	bos_err_clear(&err);
	vault_db_lock(v);
	if (budget_list(v->st.store, vault_now(v), api_cost_budget_cb, &c, &err) != 0 ||
	    spend_by_service(v->st.store, from, to, api_cost_spend_cb, &c, &err) != 0 ||
	    outreach_cost_campaigns(v->st.store, from, to, api_cost_campaign_cb, campaigns,
	    &err) != 0) {
		vault_db_unlock(v);
		rc = api_budget_fail(r, &err) == 0 ? 1 : -1;
		goto out;
	}
	vault_db_unlock(v);
	if (c.fail || api_cost_fill_budgets(&c) != 0 || (services = api_cost_sorted(c.by_key)) ==
	    NULL || (total = api_cost_total(&c, services)) == NULL)
		goto out;
	rc = http_reply_json(r, 200, json_pack("{s:s, s:s, s:O, s:o, s:O}", "from", from, "to", to,
	    "services", services, "total", total, "campaigns", campaigns));
out:
	json_decref(campaigns);
	json_decref(services);
	json_decref(c.by_key);
	json_decref(c.budgets);
	json_decref(c.total_budget);
	return rc > 0 ? 0 : rc;
}
