/*
 * Unit tests: the Meta connector's pure parts (broker/conn_meta.c, meta.h),
 * no network: each request body exactly as docs/ADS.md's table has it
 * (field order, JSON text in a field, percent-encoding that decodes back to
 * the input), the paths (insights' time_range URL-encoded), the ad as the
 * vault hands it out and every field refused when it is not of its form,
 * every case of Meta's error mapping (190, each throttle code and subcode,
 * 429, 5xx, another 4xx, a redirect, an error inside a 200), the
 * X-Business-Use-Case-Usage wait, spend strings accepted and refused, and
 * hostile answers (huge, wrong types, ids that are not digits, embedded
 * NUL, duplicate keys, random bytes); the calls refuse what cannot be built
 * before anything is sent, and a connector without a test base URL goes to
 * graph.facebook.com only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/rand.h>
#include "broker.h"
#include "broker_config.h"
#include "connector.h"
#include "json_alloc.h"
#include "meta.h"
#include "provider.h"
#include "wipe_alloc.h"

#define TM_AD "{\"id\": \"ad_0123456789abcdefghijklmnop\", \"name\": \"Spring sale\", " \
	"\"account\": \"act_1234567890\", \"post\": \"111_222\", \"objective\": \"OUTCOME_TRAFFIC\", " \
	"\"countries\": [\"US\", \"CA\"], \"special_ad_categories\": [], " \
	"\"daily_budget\": {\"amount\": 5000, \"currency\": \"USD\"}, " \
	"\"meta\": {\"campaign\": null, \"adset\": null, \"creative\": null, \"ad\": null}}"

#define TM_ERROR(s, e) meta_answer_error(s, strlen(s), e)
#define TM_SUCCESS(s) meta_answer_success(s, strlen(s))

static json_t *
tm_json(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	assert_non_null(j);
	return j;
}

static struct meta_ad
tm_ad(void)
{
	struct meta_ad ad;
	struct bos_err err;
	json_t *j = tm_json(TM_AD);

	assert_int_equal(meta_ad_parse(j, &ad, &err), 0);
	json_decref(j);
	return ad;
}

/* The form as a NUL-terminated string (the test owns it). */
static char *
tm_form(const struct meta_ad *ad, enum meta_object o, int *rc)
{
	struct buf b;
	char *s;

	buf_init_grow(&b, META_FORM_MAX);
	*rc = meta_form_create(ad, o, &b);
	s = calloc(1, b.len + 1);
	assert_non_null(s);
	if (b.len > 0)
		memcpy(s, b.data, b.len);
	buf_free(&b);
	return s;
}

static void
tm_form_is(const struct meta_ad *ad, enum meta_object o, const char *want)
{
	int rc;
	char *s = tm_form(ad, o, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(s, want);
	free(s);
}

/* The campaign: name, objective, status PAUSED, special_ad_categories as JSON text. */
static void
test_form_campaign(void **state)
{
	struct meta_ad ad = tm_ad();

	(void)state;
	tm_form_is(&ad, META_CAMPAIGN, "name=Spring%20sale%20%5Bad_0123456789abcdefghijklmnop%5D"
	    "&objective=OUTCOME_TRAFFIC&status=PAUSED&special_ad_categories=%5B%5D");
	ad.ncategories = 2;
	(void)snprintf(ad.categories[0], sizeof(ad.categories[0]), "CREDIT");
	(void)snprintf(ad.categories[1], sizeof(ad.categories[1]), "HOUSING");
	tm_form_is(&ad, META_CAMPAIGN, "name=Spring%20sale%20%5Bad_0123456789abcdefghijklmnop%5D"
	    "&objective=OUTCOME_TRAFFIC&status=PAUSED"
	    "&special_ad_categories=%5B%22CREDIT%22%2C%22HOUSING%22%5D");
}

/* The ad set: each field of the table, the goal that matches the objective, the campaign's id. */
static void
test_form_adset(void **state)
{
	static const char *const goals[][2] = { { "OUTCOME_TRAFFIC", "LINK_CLICKS" },
	    { "OUTCOME_AWARENESS", "REACH" }, { "OUTCOME_ENGAGEMENT", "POST_ENGAGEMENT" } };
	struct meta_ad ad = tm_ad();
	char want[1024];
	char *s;
	size_t i;
	int rc;

	(void)state;
	/* No campaign yet: the ad set cannot be built. */
	s = tm_form(&ad, META_ADSET, &rc);
	assert_int_equal(rc, -1);
	free(s);
	(void)snprintf(ad.ids[META_CAMPAIGN], META_ID_MAX, "120200000000000001");
	for (i = 0; i < BOS_ARRAY_LEN(goals); i++) {
		(void)snprintf(ad.objective, sizeof(ad.objective), "%s", goals[i][0]);
		(void)snprintf(want, sizeof(want), "name=Spring%%20sale%%20%%5Bad_0123456789abcdefghij"
		    "klmnop%%5D%%20ad%%20set&campaign_id=120200000000000001&daily_budget=5000"
		    "&billing_event=IMPRESSIONS&optimization_goal=%s"
		    "&bid_strategy=LOWEST_COST_WITHOUT_CAP"
		    "&targeting=%%7B%%22geo_locations%%22%%3A%%7B%%22countries%%22%%3A%%5B%%22US%%22"
		    "%%2C%%22CA%%22%%5D%%7D%%7D&status=PAUSED", goals[i][1]);
		tm_form_is(&ad, META_ADSET, want);
	}
	/* An objective BOS does not make has no goal: refused. */
	(void)snprintf(ad.objective, sizeof(ad.objective), "OUTCOME_SALES");
	s = tm_form(&ad, META_ADSET, &rc);
	assert_int_equal(rc, -1);
	free(s);
}

static void
test_form_creative_ad_status(void **state)
{
	struct meta_ad ad = tm_ad();
	struct buf b;
	char *s;
	int rc;

	(void)state;
	tm_form_is(&ad, META_CREATIVE, "name=Spring%20sale%20%5Bad_0123456789abcdefghijklmnop%5D"
	    "%20creative&object_story_id=111_222");
	/* The ad needs the ad set and the creative. */
	s = tm_form(&ad, META_AD, &rc);
	assert_int_equal(rc, -1);
	free(s);
	(void)snprintf(ad.ids[META_ADSET], META_ID_MAX, "22");
	s = tm_form(&ad, META_AD, &rc);
	assert_int_equal(rc, -1);
	free(s);
	(void)snprintf(ad.ids[META_CREATIVE], META_ID_MAX, "333");
	tm_form_is(&ad, META_AD, "name=Spring%20sale%20%5Bad_0123456789abcdefghijklmnop%5D%20ad"
	    "&adset_id=22&creative=%7B%22creative_id%22%3A%22333%22%7D&status=PAUSED");
	s = tm_form(&ad, META_OBJECTS, &rc);
	assert_int_equal(rc, -1);
	free(s);
	buf_init_grow(&b, 64);
	assert_int_equal(meta_form_status(1, &b), 0);
	assert_int_equal(b.len, strlen("status=ACTIVE"));
	assert_memory_equal(b.data, "status=ACTIVE", b.len);
	buf_reset(&b);
	assert_int_equal(meta_form_status(0, &b), 0);
	assert_memory_equal(b.data, "status=PAUSED", b.len);
	buf_free(&b);
}

/* Decode one form value back (the test's own decoder). */
static void
tm_decode(const char *in, size_t n, char *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '%') {
			unsigned v;

			assert_true(i + 2 < n + 1);
			assert_int_equal(sscanf(in + i + 1, "%2x", &v), 1);
			out[k++] = (char)v;
			i += 2;
		} else {
			/* Only unreserved bytes travel raw: no '&', '=', '+', space. */
			assert_non_null(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-._~", in[i]));
			out[k++] = in[i];
		}
	}
	out[k] = '\0';
}

/* Any byte in a value comes back whole; the separators never appear raw. */
static void
test_form_encoding(void **state)
{
	static const char *const vals[] = { "a&b=c", "x+y z", "100%", "für Sie", "\"quoted\"",
	    "[ad_1] & more", "~._-", "line\ttab" };
	char out[256], rnd[64];
	struct buf b;
	size_t i, j;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(vals); i++) {
		buf_init_grow(&b, 1024);
		assert_int_equal(meta_form_field(&b, "name", vals[i]), 0);
		assert_true(b.len > 5);
		assert_memory_equal(b.data, "name=", 5);
		tm_decode((const char *)b.data + 5, b.len - 5, out);
		assert_string_equal(out, vals[i]);
		buf_free(&b);
	}
	for (i = 0; i < 200; i++) {
		assert_int_equal(RAND_bytes((unsigned char *)rnd, sizeof(rnd) - 1), 1);
		for (j = 0; j < sizeof(rnd) - 1; j++)
			if (rnd[j] == '\0')
				rnd[j] = 'x';
		rnd[sizeof(rnd) - 1] = '\0';
		buf_init_grow(&b, 1024);
		assert_int_equal(meta_form_field(&b, "v", "first"), 0);
		assert_int_equal(meta_form_field(&b, "w", rnd), 0);
		assert_memory_equal(b.data, "v=first&w=", 10);
		tm_decode((const char *)b.data + 10, b.len - 10, out);
		assert_string_equal(out, rnd);
		buf_free(&b);
	}
	/* Past the buffer's maximum: refused, not cut. */
	buf_init_grow(&b, 16);
	assert_int_equal(meta_form_field(&b, "name", "0123456789abcdef"), -1);
	buf_free(&b);
}

static void
test_paths(void **state)
{
	static const char *const want[] = { "/v25.0/act_1234567890/campaigns",
	    "/v25.0/act_1234567890/adsets", "/v25.0/act_1234567890/adcreatives",
	    "/v25.0/act_1234567890/ads" };
	struct meta_ad ad = tm_ad();
	char p[512];
	size_t i;

	(void)state;
	for (i = 0; i < META_OBJECTS; i++) {
		assert_int_equal(meta_path_create(&ad, (enum meta_object)i, p, sizeof(p)), 0);
		assert_string_equal(p, want[i]);
	}
	assert_int_equal(meta_path_create(&ad, META_OBJECTS, p, sizeof(p)), -1);
	assert_int_equal(meta_path_create(&ad, META_CAMPAIGN, p, 10), -1);
	(void)snprintf(ad.account, sizeof(ad.account), "act_1/../../me");
	assert_int_equal(meta_path_create(&ad, META_CAMPAIGN, p, sizeof(p)), -1);
	assert_int_equal(meta_path_insights("120200000000000001", "2026-12-07", p, sizeof(p)), 0);
	assert_string_equal(p, "/v25.0/120200000000000001/insights?fields=spend,account_currency"
	    "&time_range=%7B%22since%22%3A%222026-12-07%22%2C%22until%22%3A%222026-12-07%22%7D");
	assert_int_equal(meta_path_insights("12/../me", "2026-12-07", p, sizeof(p)), -1);
	assert_int_equal(meta_path_insights("12?x=1", "2026-12-07", p, sizeof(p)), -1);
	assert_int_equal(meta_path_insights("", "2026-12-07", p, sizeof(p)), -1);
	assert_int_equal(meta_path_insights("12", "2026-12-7", p, sizeof(p)), -1);
	assert_int_equal(meta_path_insights("12", "2026-12-07", p, 40), -1);
}

static void
test_day_ok(void **state)
{
	static const char *const good[] = { "2026-12-07", "2028-02-29", "2000-02-29", "2026-01-31" };
	static const char *const bad[] = { "", "2026-12-7", "2026-13-01", "2026-00-10", "2026-02-29",
	    "2100-02-29", "2026-04-31", "2026/12/07", "2026-12-07T00", "1999-12-31", "2026-12-0a",
	    "+026-12-07" };
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(good); i++)
		assert_true(meta_day_ok(good[i]));
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++)
		assert_false(meta_day_ok(bad[i]));
	assert_false(meta_day_ok(NULL));
}

/* The ad from the vault: every field, then each one broken in turn. */
static void
test_ad_parse(void **state)
{
	static const struct { const char *key, *value, *field; } bad[] = {
		{ "id", "\"cr_0123\"", "id" }, { "id", "\"ad_\"", "id" }, { "id", "\"ad_a/b\"", "id" },
		{ "id", "7", "id" },
		{ "name", "\"\"", "name" }, { "name", "\"a\\nb\"", "name" }, { "name", "\"a\\u0000b\"", "name" },
		{ "name", "12", "name" }, { "name", "\"a\\u007fb\"", "name" },
		{ "account", "\"act_\"", "account" }, { "account", "\"act_12a\"", "account" },
		{ "account", "\"1234\"", "account" }, { "account", "\"act_123456789012345678901\"", "account" },
		{ "post", "\"111\"", "post" }, { "post", "\"_222\"", "post" }, { "post", "\"111_\"", "post" },
		{ "post", "\"1_2_3\"", "post" }, { "post", "111", "post" },
		{ "objective", "\"OUTCOME_SALES\"", "objective" }, { "objective", "null", "objective" },
		{ "countries", "[]", "countries" }, { "countries", "[\"us\"]", "countries" },
		{ "countries", "[\"USA\"]", "countries" }, { "countries", "\"US\"", "countries" },
		{ "countries", "[1]", "countries" },
		{ "special_ad_categories", "[\"LOANS\"]", "special_ad_categories" },
		{ "special_ad_categories", "[1]", "special_ad_categories" },
		{ "special_ad_categories", "\"CREDIT\"", "special_ad_categories" },
		{ "daily_budget", "{\"amount\": 0, \"currency\": \"USD\"}", "daily_budget" },
		{ "daily_budget", "{\"amount\": -5, \"currency\": \"USD\"}", "daily_budget" },
		{ "daily_budget", "{\"amount\": \"5\", \"currency\": \"USD\"}", "daily_budget" },
		{ "daily_budget", "{\"amount\": 5.5, \"currency\": \"USD\"}", "daily_budget" },
		{ "daily_budget", "{\"amount\": 5, \"currency\": \"usd\"}", "daily_budget" },
		{ "daily_budget", "5000", "daily_budget" },
		{ "meta", "null", "meta" }, { "meta", "{\"campaign\": \"12a\"}", "meta.campaign" },
		{ "meta", "{\"adset\": 12}", "meta.adset" },
		{ "meta", "{\"ad\": \"123456789012345678901234567890123\"}", "meta.ad" },
		{ "meta", "{\"creative\": \"\"}", "meta.creative" },
		{ "meta", "{\"campaign\": \"-1\"}", "meta.campaign" },
	};
	struct meta_ad ad;
	struct bos_err err;
	json_t *j, *v;
	size_t i;
	char many[256];

	(void)state;
	ad = tm_ad();
	assert_string_equal(ad.id, "ad_0123456789abcdefghijklmnop");
	assert_string_equal(ad.name, "Spring sale");
	assert_string_equal(ad.account, "act_1234567890");
	assert_string_equal(ad.post, "111_222");
	assert_int_equal(ad.ncountries, 2);
	assert_string_equal(ad.countries[1], "CA");
	assert_int_equal(ad.ncategories, 0);
	assert_int_equal(ad.daily_budget, 5000);
	assert_string_equal(ad.currency, "USD");
	for (i = 0; i < META_OBJECTS; i++)
		assert_string_equal(ad.ids[i], "");
	/* Ids when present, categories when given. */
	j = tm_json(TM_AD);
	assert_int_equal(json_object_set_new(j, "meta", tm_json("{\"campaign\": \"1\", \"adset\": "
	    "\"22\", \"creative\": null, \"ad\": null}")), 0);
	assert_int_equal(json_object_set_new(j, "special_ad_categories", tm_json("[\"CREDIT\", "
	    "\"ISSUES_ELECTIONS_POLITICS\"]")), 0);
	assert_int_equal(meta_ad_parse(j, &ad, &err), 0);
	assert_string_equal(ad.ids[META_CAMPAIGN], "1");
	assert_string_equal(ad.ids[META_ADSET], "22");
	assert_string_equal(ad.ids[META_CREATIVE], "");
	assert_int_equal(ad.ncategories, 2);
	assert_string_equal(ad.categories[1], "ISSUES_ELECTIONS_POLITICS");
	json_decref(j);
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++) {
		j = tm_json(TM_AD);
		v = json_loads(bad[i].value, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		assert_non_null(v);
		assert_int_equal(json_object_set_new(j, bad[i].key, v), 0);
		memset(&err, 0, sizeof(err));
		if (meta_ad_parse(j, &ad, &err) != -1)
			fail_msg("%s = %s was accepted", bad[i].key, bad[i].value);
		if (strncmp(err.msg, bad[i].field, strlen(bad[i].field)) != 0)
			fail_msg("%s = %s: '%s' does not name %s", bad[i].key, bad[i].value, err.msg,
			    bad[i].field);
		json_decref(j);
	}
	/* 26 countries; a field missing; not an object. */
	j = tm_json(TM_AD);
	v = json_array();
	for (i = 0; i < 26; i++) {
		(void)snprintf(many, sizeof(many), "%c%c", 'A' + (int)i, 'B');
		assert_int_equal(json_array_append_new(v, json_string(many)), 0);
	}
	assert_int_equal(json_object_set_new(j, "countries", v), 0);
	assert_int_equal(meta_ad_parse(j, &ad, &err), -1);
	assert_int_equal(json_object_del(j, "countries"), 0);
	assert_int_equal(meta_ad_parse(j, &ad, &err), -1);
	json_decref(j);
	assert_int_equal(meta_ad_parse(NULL, &ad, &err), -1);
	j = tm_json("[1]");
	assert_int_equal(meta_ad_parse(j, &ad, &err), -1);
	json_decref(j);
}

/* Classify one answer as provider_call would leave it. */
static struct verify_result
tm_classify(long status, const char *body, const char *usage, long retry_after)
{
	struct verify_result r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.retry_after = retry_after;
	r.outcome = status >= 200 && status < 300 ? VERIFY_OK : VERIFY_ERROR;
	meta_classify(body, body != NULL ? strlen(body) : 0, usage, &r);
	return r;
}

static char tm_body[2048];

static const char *
tm_err(long code, long subcode, const char *message)
{
	(void)snprintf(tm_body, sizeof(tm_body), "{\"error\": {\"message\": \"%s\", \"type\": "
	    "\"OAuthException\", \"code\": %ld, \"error_subcode\": %ld, \"fbtrace_id\": \"AbC\"}}",
	    message, code, subcode);
	return tm_body;
}

/* docs/ADS.md "Errors": each row. */
static void
test_error_mapping(void **state)
{
	static const long throttle_codes[] = { 4, 17, 32, 613, 80000, 80004, 80014 };
	static const long throttle_sub[] = { 2446079, 1487742, 1504022 };
	static const long statuses[] = { 429, 500, 502, 503 };
	struct verify_result r;
	size_t i;

	(void)state;
	/* 190: the token, whatever the status. */
	r = tm_classify(400, tm_err(190, 463, "Error validating access token"), NULL, 0);
	assert_int_equal(r.outcome, VERIFY_REJECTED);
	assert_string_equal(r.error, "meta: the access token is invalid or expired (code 190)");
	r = tm_classify(401, tm_err(190, -1, "x"), NULL, 30);
	assert_int_equal(r.outcome, VERIFY_REJECTED);
	assert_int_equal(r.retry_after, 0);
	/* Throttling: retry. */
	for (i = 0; i < BOS_ARRAY_LEN(throttle_codes); i++) {
		r = tm_classify(400, tm_err(throttle_codes[i], -1, "User request limit reached"), NULL, 0);
		assert_int_equal(r.outcome, VERIFY_RETRY);
		assert_non_null(strstr(r.error, "User request limit reached"));
	}
	for (i = 0; i < BOS_ARRAY_LEN(throttle_sub); i++) {
		r = tm_classify(400, tm_err(100, throttle_sub[i], "Too many calls"), NULL, 0);
		assert_int_equal(r.outcome, VERIFY_RETRY);
	}
	for (i = 0; i < BOS_ARRAY_LEN(statuses); i++) {
		r = tm_classify(statuses[i], NULL, NULL, 0);
		assert_int_equal(r.outcome, VERIFY_RETRY);
		assert_int_equal(r.retry_after, 0);
		r = tm_classify(statuses[i], "<html>busy</html>", NULL, 7);
		assert_int_equal(r.outcome, VERIFY_RETRY);
		assert_int_equal(r.retry_after, 7);   /* Retry-After kept */
	}
	r = tm_classify(503, NULL, NULL, 0);
	assert_string_equal(r.error, "meta: answered 503");
	/* Neighbours of the throttle codes are not throttles. */
	r = tm_classify(400, tm_err(80015, -1, "x"), NULL, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	r = tm_classify(400, tm_err(18, -1, "x"), NULL, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	/* Any other 4xx: fail without retry, Meta's message and code. */
	r = tm_classify(400, tm_err(100, 1487390, "Invalid parameter"), NULL, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_string_equal(r.error, "meta: Invalid parameter (code 100)");
	r = tm_classify(403, tm_err(200, -1, "Permissions error"), NULL, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_string_equal(r.error, "meta: Permissions error (code 200)");
	r = tm_classify(404, "not json", NULL, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_string_equal(r.error, "meta: answered 404");
	r = tm_classify(400, "{\"error\": {\"code\": \"100\", \"message\": \"m\"}}", NULL, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_string_equal(r.error, "meta: m (HTTP 400)");
	r = tm_classify(400, "{\"error\": {\"code\": 100}}", NULL, 0);
	assert_string_equal(r.error, "meta: answered 400 (code 100)");
	r = tm_classify(302, NULL, NULL, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "redirect"));
	/* 2xx: ok, unless it carries an error. */
	r = tm_classify(200, "{\"id\": \"1\"}", NULL, 0);
	assert_int_equal(r.outcome, VERIFY_OK);
	assert_string_equal(r.error, "");
	r = tm_classify(200, tm_err(100, -1, "odd"), NULL, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	/* No HTTP answer: provider_call's network error stands. */
	memset(&r, 0, sizeof(r));
	r.outcome = VERIFY_RETRY;
	r.maybe_sent = 1;
	(void)snprintf(r.error, sizeof(r.error), "network error: timeout");
	meta_classify(NULL, 0, "{\"1\":[{\"estimated_time_to_regain_access\":3}]}", &r);
	assert_int_equal(r.outcome, VERIFY_RETRY);
	assert_int_equal(r.maybe_sent, 1);
	assert_string_equal(r.error, "network error: timeout");
	assert_int_equal(r.retry_after, 0);
}

/* Meta's message: printable ASCII only, at most 200 bytes of it, in a 256-byte error. */
static void
test_error_message_bounded(void **state)
{
	char msg[1200];
	const char *b;
	struct verify_result r;
	struct meta_error e;
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		msg[i] = (char)('a' + i % 26);
	msg[1000] = '\0';
	r = tm_classify(400, tm_err(100, -1, msg), NULL, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_int_equal(strlen(r.error), strlen("meta: ") + 200 + strlen(" (code 100)"));
	b = tm_err(100, -1, "a\\u007fb\\r\\nX-Evil: 1\\u00e9\\t");
	assert_int_equal(meta_answer_error(b, strlen(b), &e), 1);
	assert_string_equal(e.message, "a?b??X-Evil: 1???");
	/* A NUL inside a string: the whole answer is refused (no string is cut short at it). */
	b = tm_err(190, -1, "a\\u0000b");
	assert_int_equal(meta_answer_error(b, strlen(b), &e), 0);
	for (i = 0; e.message[i] != '\0'; i++)
		assert_true(e.message[i] >= 0x20 && e.message[i] < 0x7f);
	/* Numbers of 8 digits or more (object ids, anything a card check would refuse) are masked. */
	b = tm_err(100, 33, "Object with ID '120200000000000001' does not exist");
	assert_int_equal(meta_answer_error(b, strlen(b), &e), 1);
	assert_string_equal(e.message, "Object with ID '[number]' does not exist");
	b = tm_err(100, -1, "card 4111 1111 1111 1111 here, 4111-1111-1111-1111.");
	assert_int_equal(meta_answer_error(b, strlen(b), &e), 1);
	assert_string_equal(e.message, "card [number] here, [number].");
	b = tm_err(100, -1, "(#100) Param 12-34 and 1234567, 1 2 3");
	assert_int_equal(meta_answer_error(b, strlen(b), &e), 1);
	assert_string_equal(e.message, "(#100) Param 12-34 and 1234567, 1 2 3");
	for (i = 0; i < 300; i++)
		msg[i] = (char)('0' + i % 10);
	msg[300] = '\0';
	r = tm_classify(400, tm_err(100, -1, msg), NULL, 0);
	assert_string_equal(r.error, "meta: [number] (code 100)");
	for (i = 0; i < 199; i++)
		msg[i] = 'x';
	(void)snprintf(msg + 199, sizeof(msg) - 199, "123456789");
	b = tm_err(100, -1, msg);
	assert_int_equal(meta_answer_error(b, strlen(b), &e), 1);
	assert_int_equal(strlen(e.message), 200);
	assert_int_equal(e.message[199], '[');
	/* Wrong types: no code, no message, still an error. */
	assert_int_equal(TM_ERROR("{\"error\": {\"code\": [1], \"message\": 5, "
	    "\"error_subcode\": \"2446079\"}}", &e), 1);
	assert_int_equal(e.code, -1);
	assert_int_equal(e.subcode, -1);
	assert_string_equal(e.message, "");
	assert_int_equal(TM_ERROR("{\"error\": \"bad\"}", &e), 0);
	assert_int_equal(TM_ERROR("{\"error\": {\"code\": 99999999999}}", &e), 1);
	assert_int_equal(e.code, -1);
}

/* X-Business-Use-Case-Usage: the largest estimated_time_to_regain_access, minutes → s, ≤ 300. */
static void
test_usage_header(void **state)
{
	static const struct { const char *h; long want; } cases[] = {
		{ "{\"123\":[{\"type\":\"ads_management\",\"call_count\":100,\"total_cputime\":10,"
		  "\"total_time\":10,\"estimated_time_to_regain_access\":2}]}", 120 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":1},{\"estimated_time_to_regain_access\":"
		  "4}],\"2\":[{\"estimated_time_to_regain_access\":3}]}", 240 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":0}]}", 0 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":5}]}", 300 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":6}]}", 300 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":9223372036854775807}]}", 300 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":-4}]}", 0 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":\"4\"}]}", 0 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":1.5}]}", 120 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":1e300}]}", 300 },
		{ "{\"1\":{\"estimated_time_to_regain_access\":3}}", 180 },
		{ "{\"1\":[[{\"estimated_time_to_regain_access\":3}]]}", 0 },
		{ "{\"1\":3}", 0 },
		{ "[{\"estimated_time_to_regain_access\":3}]", 0 },
		{ "not json", 0 },
		{ "", 0 },
		{ "{\"1\":[{\"estimated_time_to_regain_access\":2}],\"1\":[]}", 0 },
	};
	char big[META_USAGE_MAX + 64];
	size_t i;
	struct verify_result r;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(cases); i++)
		if (meta_usage_retry_after(cases[i].h) != cases[i].want)
			fail_msg("%s: %ld, not %ld", cases[i].h, meta_usage_retry_after(cases[i].h),
			    cases[i].want);
	assert_int_equal(meta_usage_retry_after(NULL), 0);
	/* Longer than kept: ignored. */
	(void)snprintf(big, sizeof(big), "{\"1\":[{\"estimated_time_to_regain_access\":2}],\"p\":\"");
	memset(big + strlen(big), 'x', META_USAGE_MAX);
	big[META_USAGE_MAX + 10] = '"';
	big[META_USAGE_MAX + 11] = '}';
	big[META_USAGE_MAX + 12] = '\0';
	assert_int_equal(meta_usage_retry_after(big), 0);
	/* In the classification: the longer of Retry-After and the usage, only when retrying. */
	r = tm_classify(400, tm_err(17, 2446079, "limit"), cases[0].h, 0);
	assert_int_equal(r.outcome, VERIFY_RETRY);
	assert_int_equal(r.retry_after, 120);
	r = tm_classify(429, NULL, cases[0].h, 200);
	assert_int_equal(r.retry_after, 200);
	r = tm_classify(429, NULL, cases[3].h, 400);
	assert_int_equal(r.retry_after, 300);
	r = tm_classify(400, tm_err(100, -1, "bad"), cases[0].h, 0);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_int_equal(r.retry_after, 0);
}

static void
test_spend(void **state)
{
	static const char *const good[] = { "0", "12.34", "123456789012", "1.123456", "0.0",
	    "000000000001.000001" };
	static const char *const bad[] = { "", ".5", "1.", "1.1234567", "1234567890123", "-1", "1e3",
	    " 1", "1 ", "1,00", "+1", "0x10", "1..2", "1.2.3", "NaN", "１" };
	size_t i;

	(void)state;
	for (i = 0; i < BOS_ARRAY_LEN(good); i++)
		assert_true(meta_spend_ok(good[i]));
	for (i = 0; i < BOS_ARRAY_LEN(bad); i++)
		if (meta_spend_ok(bad[i]))
			fail_msg("spend '%s' accepted", bad[i]);
	assert_false(meta_spend_ok(NULL));
}

static int
tm_id(const char *body, char id[META_ID_MAX])
{
	return meta_answer_id(body, strlen(body), id);
}

/* Ids, success and insights: only their exact forms. */
static void
test_answers(void **state)
{
	static const char *const bad_ids[] = { "{\"id\": 123}", "{\"id\": \"12a\"}", "{\"id\": \"\"}",
	    "{\"id\": \"123456789012345678901234567890123\"}", "{\"id\": \"1\\u00002\"}",
	    "{\"id\": \"-1\"}", "{\"id\": \" 1\"}", "{\"id\": null}", "{\"id\": [\"1\"]}", "[\"1\"]",
	    "\"1\"", "{}", "", "{\"id\": \"1\"", "{\"id\": \"1\", \"id\": \"2\"}",
	    "{\"id\": \"act_1\"}", "{\"id\": \"1/../2\"}" };
	char id[META_ID_MAX], spend[META_SPEND_MAX], cur[4];
	size_t i;

	(void)state;
	assert_int_equal(tm_id("{\"id\": \"120200000000000001\"}", id), 0);
	assert_string_equal(id, "120200000000000001");
	assert_int_equal(tm_id("{\"id\": \"12345678901234567890123456789012\", \"x\": 1}", id), 0);
	for (i = 0; i < BOS_ARRAY_LEN(bad_ids); i++) {
		if (tm_id(bad_ids[i], id) != -1)
			fail_msg("%s accepted", bad_ids[i]);
		assert_string_equal(id, "");
	}
	assert_int_equal(meta_answer_id(NULL, 0, id), -1);
	assert_int_equal(TM_SUCCESS("{\"success\": true}"), 1);
	assert_int_equal(TM_SUCCESS("{\"success\": \"true\"}"), 0);
	assert_int_equal(TM_SUCCESS("{\"success\": 1}"), 0);
	assert_int_equal(TM_SUCCESS("{\"success\": false}"), 0);
	assert_int_equal(TM_SUCCESS("[true]"), 0);
#define TM_INS(s) meta_answer_insights(s, strlen(s), "2026-12-07", spend, cur)
	assert_int_equal(TM_INS("{\"data\": []}"), 1);
	assert_string_equal(spend, "0");
	assert_string_equal(cur, "");
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"12.34\", \"account_currency\": \"USD\", "
	    "\"date_start\": \"2026-12-07\", \"date_stop\": \"2026-12-07\"}], \"paging\": {}}"), 0);
	assert_string_equal(spend, "12.34");
	assert_string_equal(cur, "USD");
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"3\", \"account_currency\": \"EUR\"}]}"), 0);
	assert_string_equal(spend, "3");
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": 12.34, \"account_currency\": \"USD\"}]}"), -1);
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"1e3\", \"account_currency\": \"USD\"}]}"), -1);
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"-1\", \"account_currency\": \"USD\"}]}"), -1);
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"1\", \"account_currency\": \"usd\"}]}"), -1);
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"1\", \"account_currency\": \"US\"}]}"), -1);
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"1\"}]}"), -1);
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"1\", \"account_currency\": \"USD\", "
	    "\"date_start\": \"2026-12-06\"}]}"), -1);
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"1\", \"account_currency\": \"USD\", "
	    "\"date_stop\": 20261207}]}"), -1);
	assert_int_equal(TM_INS("{\"data\": [{\"spend\": \"1\", \"account_currency\": \"USD\"}, "
	    "{\"spend\": \"2\", \"account_currency\": \"USD\"}]}"), -1);
	assert_int_equal(TM_INS("{\"data\": [1]}"), -1);
	assert_int_equal(TM_INS("{\"data\": {}}"), -1);
	assert_int_equal(TM_INS("{}"), -1);
	assert_int_equal(TM_INS("null"), -1);
	assert_string_equal(spend, "");
#undef TM_INS
}

/* A huge answer (over the provider's cap) is not even parsed; random bytes never pass. */
static void
test_hostile_answers(void **state)
{
	size_t n = PROVIDER_RESPONSE_MAX + 16, i, k;
	char *big = malloc(n), id[META_ID_MAX], spend[META_SPEND_MAX], cur[4], rnd[256];
	struct meta_error e;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{\"id\": \"1\"}", 11);
	assert_int_equal(meta_answer_id(big, n, id), -1);
	assert_int_equal(meta_answer_id(big, 11, id), 0);
	memcpy(big, "{\"success\": true}", 17);
	assert_int_equal(meta_answer_success(big, n), 0);
	/* Deep nesting: refused by jansson's depth limit, not a crash. */
	for (i = 0; i < 100000; i++)
		big[i] = '[';
	assert_int_equal(meta_answer_id(big, 100000, id), -1);
	assert_int_equal(meta_answer_error(big, 100000, &e), 0);
	free(big);
	for (i = 0; i < 3000; i++) {
		k = 1 + i % (sizeof(rnd) - 1);
		assert_int_equal(RAND_bytes((unsigned char *)rnd, (int)k), 1);
		if (i % 2 == 0)
			memcpy(rnd, "{\"id\":\"", 7 < k ? 7 : k);
		if (meta_answer_id(rnd, k, id) == 0)
			assert_true(meta_id_ok(id));
		if (meta_answer_insights(rnd, k, "2026-12-07", spend, cur) == 0)
			assert_true(meta_spend_ok(spend));
		(void)meta_answer_error(rnd, k, &e);
		for (k = 0; e.message[k] != '\0'; k++)
			assert_true(e.message[k] >= 0x20 && e.message[k] < 0x7f);
	}
}

/* The table entry: graph.facebook.com only, nine connectors. */
static void
test_connector_entry(void **state)
{
	const struct connector *m = connector_find("meta");
	struct bos_err err;

	(void)state;
	assert_non_null(m);
	assert_int_equal(connector_count(), 9);
	assert_int_equal(connector_count(), BROKER_CONNECTORS);
	assert_string_equal(m->base, "https://graph.facebook.com");
	assert_null(m->send);
	assert_int_equal(provider_url_allowed(m, "https://graph.facebook.com/v25.0/me?fields=id", 0,
	    &err), 0);
	assert_int_equal(provider_url_allowed(m, "https://graph.facebook.com.evil.example/", 0, &err),
	    -1);
	assert_int_equal(provider_url_allowed(m, "https://www.facebook.com/v25.0/me", 0, &err), -1);
	assert_int_equal(provider_url_allowed(m, "http://graph.facebook.com/v25.0/me", 0, &err), -1);
	assert_int_equal(provider_url_allowed(m, "https://graph.facebook.com@evil.example/", 0, &err),
	    -1);
	assert_int_equal(provider_url_allowed(m, "https://127.0.0.1:9/v25.0/me", 0, &err), -1);
}

/* What cannot be built is refused before anything is sent; production goes to Meta's host. */
static void
test_calls_refused_before(void **state)
{
	struct broker_config c;
	struct provider p;
	struct broker_lease l;
	struct verify_result r;
	struct meta_ad ad = tm_ad();
	struct bos_err err;
	char id[META_ID_MAX], spend[META_SPEND_MAX], cur[4];
	const struct connector *m = connector_find("meta");

	(void)state;
	assert_int_equal(broker_config_init(&c, "outreach", &err), 0);
	memset(&p, 0, sizeof(p));
	p.conf = &c;
	p.connect_timeout = 1;
	p.call_timeout = 1;
	memset(&l, 0, sizeof(l));
	l.secret = (char *)(uintptr_t)"EAAGtoken";
	/* Production URL, no CA bundle: refused before any connection. */
	(void)m->verify(&p, m, &l, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "no CA bundle"));
	meta_create(&p, &l, &ad, META_CAMPAIGN, id, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "no CA bundle"));
	assert_string_equal(id, "");
	/* Missing ids, a bad object id, a bad day: not built. */
	meta_create(&p, &l, &ad, META_ADSET, id, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "cannot be built"));
	meta_set_status(&p, &l, "12/../act_1", 1, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "cannot be built"));
	meta_set_status(&p, &l, "", 0, &r);
	assert_non_null(strstr(r.error, "cannot be built"));
	meta_insights(&p, &l, "12", "yesterday", spend, cur, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_non_null(strstr(r.error, "cannot be built"));
	/* A token that would break the header: refused (after the CA check order, with a CA). */
	p.ca = "x";
	p.ca_len = 1;
	l.secret = (char *)(uintptr_t)"EAAG\r\nX-Evil: 1";
	meta_set_status(&p, &l, "12", 1, &r);
	assert_int_equal(r.outcome, VERIFY_ERROR);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "credential"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_campaign),
		cmocka_unit_test(test_form_adset),
		cmocka_unit_test(test_form_creative_ad_status),
		cmocka_unit_test(test_form_encoding),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_day_ok),
		cmocka_unit_test(test_ad_parse),
		cmocka_unit_test(test_error_mapping),
		cmocka_unit_test(test_error_message_bounded),
		cmocka_unit_test(test_usage_header),
		cmocka_unit_test(test_spend),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_hostile_answers),
		cmocka_unit_test(test_connector_entry),
		cmocka_unit_test(test_calls_refused_before),
	};

	json_alloc_init();
	if (wipe_alloc_curl_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
