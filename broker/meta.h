/*
 * Meta's Marketing API (docs/ADS.md "Jobs and what the broker sends",
 * CONNECTORS.md F.1): the connector `meta` (conn_meta.c) and what the ad
 * jobs (broker_ad.c) need from it. The requests (form-encoded bodies, JSON
 * text in a field for lists and objects) and the reading of Meta's answers
 * (an id, {success: true}, insights, an error, X-Business-Use-Case-Usage)
 * are small pure functions, unit-tested and fuzzed
 * (tests/unit/test_conn_meta.c, tests/fuzz/fuzz_meta_answer.c); the calls
 * go through provider_call with Authorization: Bearer, never access_token in
 * a URL or a body.
 */
#ifndef BOS_META_H
#define BOS_META_H

#include <stddef.h>
#include <jansson.h>
#include "broker.h"
#include "buf.h"
#include "compiler.h"
#include "err.h"

struct provider;

#define META_VERSION "/v25.0"
#define META_ID_MAX 33            /* a Meta object id: 1-32 digits, NUL */
#define META_MSG_MAX 201          /* at most 200 bytes of Meta's error message, NUL */
#define META_SPEND_MAX 20         /* [0-9]{1,12}(\.[0-9]{1,6})?, NUL */
#define META_NAME_MAX 512         /* an ad's name: 1-128 printable characters (UTF-8) */
#define META_COUNTRIES_MAX 25
#define META_CATEGORIES_MAX 4
#define META_FORM_MAX (16 * 1024)
#define META_USAGE_MAX 4096       /* the X-Business-Use-Case-Usage header kept */
#define META_RETRY_MAX 300        /* s */

/* The four objects of an ad, in the order they are made. */
enum meta_object { META_CAMPAIGN, META_ADSET, META_CREATIVE, META_AD, META_OBJECTS };

/* The ad as GET /outreach/ad-jobs/{job} hands it out, every field checked. */
struct meta_ad {
	char id[BROKER_ID_MAX];                /* ad_… */
	char name[META_NAME_MAX];
	char account[32];                      /* act_ + 1-20 digits */
	char post[48];                         /* PAGEID_POSTID */
	char objective[32];                    /* OUTCOME_TRAFFIC|AWARENESS|ENGAGEMENT */
	char countries[META_COUNTRIES_MAX][3];
	size_t ncountries;
	char categories[META_CATEGORIES_MAX][32];
	size_t ncategories;
	long long daily_budget;                /* minor units, > 0 */
	char currency[4];
	char ids[META_OBJECTS][META_ID_MAX];   /* meta.{campaign,adset,creative,ad}; "" for null */
};

/* Meta's error object {"error": {message, type, code, error_subcode, fbtrace_id}}. */
struct meta_error {
	long code;                    /* -1 when absent */
	long subcode;                 /* -1 when absent */
	char message[META_MSG_MAX];   /* printable ASCII only (others become '?'), may be empty */
};

/* "campaign", "adset", "creative", "ad": the names the vault's step route uses. */
const char *meta_object_name(enum meta_object o);

/* 1 when s is 1-32 digits. */
int meta_id_ok(const char *s);

/* 1 when s is Meta's spend: [0-9]{1,12}(\.[0-9]{1,6})?. */
int meta_spend_ok(const char *s);

/* 1 when s is a UTC day YYYY-MM-DD (a real date). */
int meta_day_ok(const char *s);

/* The ad from the vault's answer's "ad" object: 0, or -1 with why in err. */
int meta_ad_parse(json_t *ad, struct meta_ad *out, struct bos_err *err) BOS_WUR;

/*
 * The form of one creation call (docs/ADS.md's table), appended to b; the
 * objects it names (campaign_id, adset_id, creative_id) come from ad->ids.
 * 0, or -1 when a needed id is missing or the form is too large.
 */
int meta_form_create(const struct meta_ad *ad, enum meta_object o, struct buf *b) BOS_WUR;

/* "status=ACTIVE" or "status=PAUSED". */
int meta_form_status(int active, struct buf *b) BOS_WUR;

/* The path of a creation call: /v25.0/act_N/{campaigns|adsets|adcreatives|ads}. */
int meta_path_create(const struct meta_ad *ad, enum meta_object o, char *out, size_t n) BOS_WUR;

/* /v25.0/{campaign}/insights?fields=spend,account_currency&time_range=… (URL-encoded). */
int meta_path_insights(const char *campaign, const char *day, char *out, size_t n) BOS_WUR;

/* One form field, name=value percent-encoded (RFC 3986 unreserved kept), '&' first when b has some. */
int meta_form_field(struct buf *b, const char *name, const char *value) BOS_WUR;

/*
 * Reading Meta's answers (body, len: untrusted bytes, not NUL-terminated).
 * meta_answer_error: 1 with e filled when the body is {"error": {...}}, else 0.
 * meta_answer_id: 0 with the answer's "id" (a string of 1-32 digits), else -1.
 * meta_answer_success: 1 when the body is {"success": true}, else 0.
 * meta_answer_insights: 0 with the one row's spend and account_currency, 1
 * for "data": [] (spend "0", currency ""), -1 for anything else (a spend
 * not of Meta's form, more than one row, a currency not 3 capitals, a
 * date_start or date_stop other than day).
 */
int meta_answer_error(const char *body, size_t len, struct meta_error *e);
int meta_answer_id(const char *body, size_t len, char id[META_ID_MAX]) BOS_WUR;
int meta_answer_success(const char *body, size_t len);
int meta_answer_insights(const char *body, size_t len, const char *day,
    char spend[META_SPEND_MAX], char currency[4]) BOS_WUR;

/*
 * X-Business-Use-Case-Usage: the largest estimated_time_to_regain_access
 * (minutes) over every entry, in seconds, at most META_RETRY_MAX; 0 when
 * absent or unreadable.
 */
long meta_usage_retry_after(const char *header);

/* 1 for Meta's throttling codes (4, 17, 32, 613, 80000-80014) or subcodes. */
int meta_throttled(long code, long subcode);

/*
 * Classify one answer into r, whose status, outcome (a network error) and
 * retry_after (Retry-After) provider_call set: code 190 → VERIFY_REJECTED
 * (the token); throttling, 429, 5xx → VERIFY_RETRY with the usage header's
 * wait when longer; another 4xx or 3xx → VERIFY_ERROR "meta: MESSAGE (code
 * N)"; 2xx without an error → VERIFY_OK. No HTTP answer: r is kept.
 */
void meta_classify(const char *body, size_t len, const char *usage, struct verify_result *r);

/*
 * The calls (conn_meta.c): each classifies the answer into r and, when it
 * is VERIFY_OK, checks its form (an id of digits, {success: true}, the
 * insights): anything else is VERIFY_ERROR, never retried.
 */
void meta_create(struct provider *p, const struct broker_lease *l, const struct meta_ad *ad,
    enum meta_object o, char id[META_ID_MAX], struct verify_result *r);
void meta_set_status(struct provider *p, const struct broker_lease *l, const char *object,
    int active, struct verify_result *r);
void meta_insights(struct provider *p, const struct broker_lease *l, const char *campaign,
    const char *day, char spend[META_SPEND_MAX], char currency[4], struct verify_result *r);

#endif
