/*
 * The Meta connector (docs/ADS.md, CONNECTORS.md F.1): verify with
 * GET /v25.0/me?fields=id, and the calls of the ad jobs (meta.h), all with
 * Authorization: Bearer TOKEN on graph.facebook.com. Bodies are
 * application/x-www-form-urlencoded, lists and objects as JSON text in a
 * field, as Meta's SDKs send them. Everything Meta answers is read by the
 * small functions below, which trust nothing of it: an id is kept only as
 * 1-32 digits, a spend only in Meta's decimal form, a message only as
 * printable ASCII of at most 200 bytes.
 */
#include "meta.h"

#include <stdio.h>
#include <string.h>
#include "connector.h"
#include "json_alloc.h"
#include "provider.h"

#define META_CTYPE "application/x-www-form-urlencoded"

static const char *const meta_hosts[] = { "graph.facebook.com", NULL };

static const char *const meta_objects[META_OBJECTS] = { "campaign", "adset", "creative", "ad" };
static const char *const meta_edges[META_OBJECTS] = { "campaigns", "adsets", "adcreatives",
	"ads" };

/* The objectives an ad may have and the ad set's optimization goal of each. */
static const char *const meta_objectives[][2] = {
	{ "OUTCOME_TRAFFIC", "LINK_CLICKS" },
	{ "OUTCOME_AWARENESS", "REACH" },
	{ "OUTCOME_ENGAGEMENT", "POST_ENGAGEMENT" },
};

static const char *const meta_categories[] = { "CREDIT", "EMPLOYMENT", "HOUSING",
	"ISSUES_ELECTIONS_POLITICS" };

const char *
meta_object_name(enum meta_object o)
{
	return o < META_OBJECTS ? meta_objects[o] : "?";
}

/* 1 when s is min..max digits. */
static int
meta_digits(const char *s, size_t min, size_t max)
{
	size_t n = strspn(s, "0123456789");

	return s[n] == '\0' && n >= min && n <= max;
}

int
meta_id_ok(const char *s)
{
	return s != NULL && meta_digits(s, 1, META_ID_MAX - 1);
}

int
meta_spend_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strspn(s, "0123456789");
	if (n < 1 || n > 12)
		return 0;
	if (s[n] == '\0')
		return 1;
	return s[n] == '.' && meta_digits(s + n + 1, 1, 6);
}

int
meta_day_ok(const char *s)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 2 ||
	    strspn(s + 8, "0123456789") != 2)
		return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 2000 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* ---- The ad, from the vault. ---- */

/* A string member without NUL, 1..n-1 bytes, copied; -1 otherwise. */
static int
meta_str(json_t *o, const char *key, char *out, size_t n)
{
	json_t *s = json_object_get(o, key);
	size_t len;

	if (!json_is_string(s))
		return -1;
	len = json_string_length(s);
	if (len == 0 || len >= n || strlen(json_string_value(s)) != len)
		return -1;
	memcpy(out, json_string_value(s), len + 1);
	return 0;
}

/* No control character (the name goes into Ads Manager and logs). */
static int
meta_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

static int
meta_in(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* The ad set's optimization goal of an objective BOS makes, or NULL. */
static const char *
meta_goal(const char *objective)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(meta_objectives); i++)
		if (strcmp(objective, meta_objectives[i][0]) == 0)
			return meta_objectives[i][1];
	return NULL;
}

static int
meta_ad_lists(json_t *ad, struct meta_ad *out, struct bos_err *err)
{
	json_t *cs = json_object_get(ad, "countries"), *ks = json_object_get(ad, "special_ad_categories"), *v;
	size_t i;

	if (!json_is_array(cs) || json_array_size(cs) < 1 || json_array_size(cs) > META_COUNTRIES_MAX)
		return bos_err_set(err, BOS_E_INVALID, "countries: 1 to %d codes", META_COUNTRIES_MAX);
	json_array_foreach(cs, i, v) {
		const char *c = json_string_value(v);

		if (c == NULL || strlen(c) != 2 || json_string_length(v) != 2 ||
		    strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 2)
			return bos_err_set(err, BOS_E_INVALID, "countries: not two capital letters");
		memcpy(out->countries[i], c, 3);
	}
	out->ncountries = json_array_size(cs);
	if (ks == NULL || json_is_null(ks))
		return 0;
	if (!json_is_array(ks) || json_array_size(ks) > META_CATEGORIES_MAX)
		return bos_err_set(err, BOS_E_INVALID, "special_ad_categories: a list of at most %d",
		    META_CATEGORIES_MAX);
	json_array_foreach(ks, i, v) {
		const char *k = json_string_value(v);

		if (k == NULL || strlen(k) != json_string_length(v) ||
		    !meta_in(k, meta_categories, BOS_ARRAY_LEN(meta_categories)))
			return bos_err_set(err, BOS_E_INVALID, "special_ad_categories: an unknown category");
		(void)snprintf(out->categories[i], sizeof(out->categories[i]), "%s", k);
	}
	out->ncategories = json_array_size(ks);
	return 0;
}

static int
meta_ad_ids(json_t *ad, struct meta_ad *out, struct bos_err *err)
{
	json_t *m = json_object_get(ad, "meta"), *v;
	int i;

	if (!json_is_object(m))
		return bos_err_set(err, BOS_E_INVALID, "meta: not an object");
	for (i = 0; i < META_OBJECTS; i++) {
		v = json_object_get(m, meta_objects[i]);
		if (v == NULL || json_is_null(v))
			continue;
		if (meta_str(m, meta_objects[i], out->ids[i], META_ID_MAX) != 0 ||
		    !meta_id_ok(out->ids[i]))
			return bos_err_set(err, BOS_E_INVALID, "meta.%s: not 1 to 32 digits",
			    meta_objects[i]);
	}
	return 0;
}

/* act_ + 1-20 digits; PAGEID_POSTID, each 1-20 digits. */
static int
meta_account_ok(const char *s)
{
	return strncmp(s, "act_", 4) == 0 && meta_digits(s + 4, 1, 20);
}

static int
meta_post_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n >= 1 && n <= 20 && s[n] == '_' && meta_digits(s + n + 1, 1, 20);
}

static int
meta_ad_id_ok(const char *s)
{
	return strncmp(s, "ad_", 3) == 0 && strspn(s + 3, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == strlen(s + 3) && s[3] != '\0';
}

int
meta_ad_parse(json_t *ad, struct meta_ad *out, struct bos_err *err)
{
	json_t *b = json_object_get(ad, "daily_budget"), *amount = json_object_get(b, "amount");

	memset(out, 0, sizeof(*out));
	if (!json_is_object(ad))
		return bos_err_set(err, BOS_E_INVALID, "the answer has no ad");
	if (meta_str(ad, "id", out->id, sizeof(out->id)) != 0 || !meta_ad_id_ok(out->id))
		return bos_err_set(err, BOS_E_INVALID, "id: not an ad id");
	if (meta_str(ad, "name", out->name, sizeof(out->name)) != 0 || !meta_printable(out->name))
		return bos_err_set(err, BOS_E_INVALID, "name: not 1 to %d printable bytes",
		    META_NAME_MAX - 1);
	if (meta_str(ad, "account", out->account, sizeof(out->account)) != 0 ||
	    !meta_account_ok(out->account))
		return bos_err_set(err, BOS_E_INVALID, "account: not act_ and 1 to 20 digits");
	if (meta_str(ad, "post", out->post, sizeof(out->post)) != 0 || !meta_post_ok(out->post))
		return bos_err_set(err, BOS_E_INVALID, "post: not PAGEID_POSTID");
	if (meta_str(ad, "objective", out->objective, sizeof(out->objective)) != 0 ||
	    meta_goal(out->objective) == NULL)
		return bos_err_set(err, BOS_E_INVALID, "objective: not one BOS makes");
	if (!json_is_integer(amount) || json_integer_value(amount) < 1 ||
	    meta_str(b, "currency", out->currency, sizeof(out->currency)) != 0 ||
	    strlen(out->currency) != 3 || strspn(out->currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
		return bos_err_set(err, BOS_E_INVALID, "daily_budget: not {amount >= 1, currency}");
	out->daily_budget = (long long)json_integer_value(amount);
	if (meta_ad_lists(ad, out, err) != 0)
		return -1;
	return meta_ad_ids(ad, out, err);
}

/* ---- Requests. ---- */

int
meta_form_field(struct buf *b, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *v = (const unsigned char *)value;
	char e[3] = { '%', 0, 0 };
	int bad = 0;

	bad |= b->len > 0 && buf_put(b, "&", 1) != 0;
	bad |= buf_put(b, name, strlen(name)) != 0 || buf_put(b, "=", 1) != 0;
	for (; *v != '\0' && !bad; v++) {
		if ((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
		    strchr("-._~", *v) != NULL) {
			bad |= buf_put(b, v, 1) != 0;
		} else {
			e[1] = hex[*v >> 4];
			e[2] = hex[*v & 15];
			bad |= buf_put(b, e, 3) != 0;
		}
	}
	return bad ? -1 : 0;
}

/* A field whose value is j as compact JSON text (j consumed). */
static int
meta_form_json(struct buf *b, const char *name, json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	int r = s != NULL ? meta_form_field(b, name, s) : -1;

	json_alloc_release(s);
	json_decref(j);
	return r;
}

/* "NAME [ad_…]" and the suffix of the object, so that a person finds it in Ads Manager. */
static int
meta_form_name(struct buf *b, const struct meta_ad *ad, enum meta_object o)
{
	static const char *const suffix[META_OBJECTS] = { "", " ad set", " creative", " ad" };
	char name[META_NAME_MAX + BROKER_ID_MAX + 16];
	int n = snprintf(name, sizeof(name), "%s [%s]%s", ad->name, ad->id, suffix[o]);

	if (n < 0 || (size_t)n >= sizeof(name))
		return -1;
	return meta_form_field(b, "name", name);
}

static int
meta_form_campaign(const struct meta_ad *ad, struct buf *b)
{
	json_t *cats = json_array();
	size_t i;

	for (i = 0; cats != NULL && i < ad->ncategories; i++)
		if (json_array_append_new(cats, json_string(ad->categories[i])) != 0) {
			json_decref(cats);
			cats = NULL;
		}
	if (meta_form_name(b, ad, META_CAMPAIGN) != 0 ||
	    meta_form_field(b, "objective", ad->objective) != 0 ||
	    meta_form_field(b, "status", "PAUSED") != 0) {
		json_decref(cats);
		return -1;
	}
	return meta_form_json(b, "special_ad_categories", cats);
}

static int
meta_form_adset(const struct meta_ad *ad, struct buf *b)
{
	json_t *cs = json_array();
	const char *goal = meta_goal(ad->objective);
	char budget[24];
	size_t i;

	(void)snprintf(budget, sizeof(budget), "%lld", ad->daily_budget);
	for (i = 0; cs != NULL && i < ad->ncountries; i++)
		if (json_array_append_new(cs, json_string(ad->countries[i])) != 0) {
			json_decref(cs);
			cs = NULL;
		}
	if (cs == NULL || goal == NULL || ad->daily_budget < 1 || !meta_id_ok(ad->ids[META_CAMPAIGN]) ||
	    meta_form_name(b, ad, META_ADSET) != 0 ||
	    meta_form_field(b, "campaign_id", ad->ids[META_CAMPAIGN]) != 0 ||
	    meta_form_field(b, "daily_budget", budget) != 0 ||
	    meta_form_field(b, "billing_event", "IMPRESSIONS") != 0 ||
	    meta_form_field(b, "optimization_goal", goal) != 0 ||
	    meta_form_field(b, "bid_strategy", "LOWEST_COST_WITHOUT_CAP") != 0) {
		json_decref(cs);
		return -1;
	}
	if (meta_form_json(b, "targeting", json_pack("{s:{s:o}}", "geo_locations", "countries",
	    cs)) != 0)
		return -1;
	return meta_form_field(b, "status", "PAUSED");
}

int
meta_form_create(const struct meta_ad *ad, enum meta_object o, struct buf *b)
{
	switch (o) {
	case META_CAMPAIGN:
		return meta_form_campaign(ad, b);
	case META_ADSET:
		return meta_form_adset(ad, b);
	case META_CREATIVE:
		return meta_form_name(b, ad, o) != 0 ||
		    meta_form_field(b, "object_story_id", ad->post) != 0 ? -1 : 0;
	case META_AD:
		if (!meta_id_ok(ad->ids[META_ADSET]) || !meta_id_ok(ad->ids[META_CREATIVE]) ||
		    meta_form_name(b, ad, o) != 0 ||
		    meta_form_field(b, "adset_id", ad->ids[META_ADSET]) != 0 ||
		    meta_form_json(b, "creative", json_pack("{s:s}", "creative_id",
		    ad->ids[META_CREATIVE])) != 0)
			return -1;
		return meta_form_field(b, "status", "PAUSED");
	default:
		return -1;
	}
}

int
meta_form_status(int active, struct buf *b)
{
	return meta_form_field(b, "status", active ? "ACTIVE" : "PAUSED");
}

int
meta_path_create(const struct meta_ad *ad, enum meta_object o, char *out, size_t n)
{
	int k;

	if (o >= META_OBJECTS || !meta_account_ok(ad->account))
		return -1;
	k = snprintf(out, n, META_VERSION "/%s/%s", ad->account, meta_edges[o]);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

int
meta_path_insights(const char *campaign, const char *day, char *out, size_t n)
{
	int k;

	if (!meta_id_ok(campaign) || !meta_day_ok(day))
		return -1;
	/* time_range={"since":"D","until":"D"}, percent-encoded; a day is digits and '-'. */
	k = snprintf(out, n, META_VERSION "/%s/insights?fields=spend,account_currency&time_range="
	    "%%7B%%22since%%22%%3A%%22%s%%22%%2C%%22until%%22%%3A%%22%s%%22%%7D", campaign, day, day);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* ---- Answers. ---- */

static json_t *
meta_load(const char *body, size_t len)
{
	json_t *j;

	if (body == NULL || len == 0 || len > PROVIDER_RESPONSE_MAX)
		return NULL;
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* An integer member, or -1 (absent, another type, negative, beyond a long). */
static long
meta_code(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 2147483647)
		return -1;
	return (long)json_integer_value(v);
}

/*
 * The length of the number that starts at s: digits, and single spaces or
 * dashes between digits; *digits counts its digits.
 */
static size_t
meta_number_len(const char *s, size_t n, size_t *digits)
{
	size_t i = 0;

	*digits = 0;
	while (i < n) {
		if (s[i] >= '0' && s[i] <= '9') {
			(*digits)++;
			i++;
		} else if ((s[i] == ' ' || s[i] == '-') && i + 1 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '9') {
			i++;
		} else {
			break;
		}
	}
	return i;
}

/*
 * Meta's message as the job's error may carry it: printable ASCII ('?' for
 * any other byte), at most META_MSG_MAX - 1 bytes, and every number of 8
 * digits or more (an object id; the vault refuses a card number in a job's
 * error) written "[number]".
 */
static void
meta_message_copy(const char *s, size_t n, char out[META_MSG_MAX])
{
	size_t i = 0, k = 0, run, digits;

	while (i < n && k < META_MSG_MAX - 1) {
		if (s[i] >= '0' && s[i] <= '9' &&
		    (run = meta_number_len(s + i, n - i, &digits)) > 0 && digits >= 8) {
			k += (size_t)snprintf(out + k, META_MSG_MAX - k, "[number]");
			if (k > META_MSG_MAX - 1)
				k = META_MSG_MAX - 1;
			i += run;
			continue;
		}
		out[k++] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
		i++;
	}
	out[k] = '\0';
}

int
meta_answer_error(const char *body, size_t len, struct meta_error *e)
{
	json_t *j = meta_load(body, len), *o = json_object_get(j, "error"), *m;

	memset(e, 0, sizeof(*e));
	e->code = e->subcode = -1;
	if (!json_is_object(o)) {
		json_decref(j);
		return 0;
	}
	e->code = meta_code(o, "code");
	e->subcode = meta_code(o, "error_subcode");
	m = json_object_get(o, "message");
	if (json_is_string(m))
		meta_message_copy(json_string_value(m), json_string_length(m), e->message);
	json_decref(j);
	return 1;
}

int
meta_answer_id(const char *body, size_t len, char id[META_ID_MAX])
{
	json_t *j = meta_load(body, len), *v = json_object_get(j, "id");
	int r = -1;

	id[0] = '\0';
	if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) &&
	    meta_id_ok(json_string_value(v))) {
		memcpy(id, json_string_value(v), json_string_length(v) + 1);
		r = 0;
	}
	json_decref(j);
	return r;
}

int
meta_answer_success(const char *body, size_t len)
{
	json_t *j = meta_load(body, len);
	int r = json_is_true(json_object_get(j, "success"));

	json_decref(j);
	return r;
}

/* date_start and date_stop, when present, must be the day asked for. */
static int
meta_row_day_ok(json_t *row, const char *day)
{
	static const char *const keys[] = { "date_start", "date_stop" };
	const char *s;
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(keys); i++) {
		json_t *v = json_object_get(row, keys[i]);

		if (v == NULL)
			continue;
		s = json_string_value(v);
		if (s == NULL || day == NULL || strcmp(s, day) != 0)
			return 0;
	}
	return 1;
}

int
meta_answer_insights(const char *body, size_t len, const char *day, char spend[META_SPEND_MAX],
    char currency[4])
{
	json_t *j = meta_load(body, len), *d = json_object_get(j, "data"), *row;
	const char *s, *c;
	int r = -1;

	spend[0] = currency[0] = '\0';
	if (!json_is_array(d))
		goto out;
	if (json_array_size(d) == 0) {
		memcpy(spend, "0", 2);
		r = 1;
		goto out;
	}
	row = json_array_get(d, 0);
	s = json_string_value(json_object_get(row, "spend"));
	c = json_string_value(json_object_get(row, "account_currency"));
	if (json_array_size(d) != 1 || !json_is_object(row) || !meta_spend_ok(s) || c == NULL ||
	    strlen(c) != 3 || strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3 ||
	    !meta_row_day_ok(row, day))
		goto out;
	memcpy(spend, s, strlen(s) + 1);
	memcpy(currency, c, 4);
	r = 0;
 out:
	json_decref(j);
	return r;
}

/* The largest estimated_time_to_regain_access (minutes) of one entry or a list of them. */
static long long
meta_usage_entry(json_t *v)
{
	json_t *e, *t;
	long long best = 0, m;
	size_t i;

	if (json_is_object(v)) {
		t = json_object_get(v, "estimated_time_to_regain_access");
		if (json_is_integer(t))
			return json_integer_value(t) > 0 ? json_integer_value(t) : 0;
		if (json_is_real(t) && json_real_value(t) > 0)
			return json_real_value(t) > 1e6 ? 1000000 : (long long)json_real_value(t) + 1;
		return 0;
	}
	json_array_foreach(v, i, e) {
		if (json_is_array(e))
			continue;   /* one level of lists, no deeper */
		m = meta_usage_entry(e);
		if (m > best)
			best = m;
	}
	return best;
}

long
meta_usage_retry_after(const char *header)
{
	json_t *j, *v;
	const char *k;
	long long best = 0, m;

	if (header == NULL || header[0] == '\0' || strlen(header) >= META_USAGE_MAX)
		return 0;
	if ((j = json_loads(header, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return 0;
	if (json_is_object(j))
		json_object_foreach(j, k, v) {
			m = json_is_array(v) || json_is_object(v) ? meta_usage_entry(v) : 0;
			if (m > best)
				best = m;
		}
	json_decref(j);
	/* Minutes to seconds, capped before the product can grow. */
	return best >= META_RETRY_MAX / 60 ? META_RETRY_MAX : (long)best * 60;
}

int
meta_throttled(long code, long subcode)
{
	return code == 4 || code == 17 || code == 32 || code == 613 ||
	    (code >= 80000 && code <= 80014) || subcode == 2446079 || subcode == 1487742 ||
	    subcode == 1504022;
}

/* "meta: MESSAGE (code N)", or the status when Meta said nothing. */
static void
meta_error_text(const struct meta_error *e, int has, long status, char *out, size_t n)
{
	if (has && e->message[0] != '\0' && e->code >= 0)
		(void)snprintf(out, n, "meta: %s (code %ld)", e->message, e->code);
	else if (has && e->message[0] != '\0')
		(void)snprintf(out, n, "meta: %s (HTTP %ld)", e->message, status);
	else if (has && e->code >= 0)
		(void)snprintf(out, n, "meta: answered %ld (code %ld)", status, e->code);
	else
		(void)snprintf(out, n, "meta: answered %ld%s", status, status >= 300 && status < 400 ?
		    " (a redirect: refused, not followed)" : "");
}

void
meta_classify(const char *body, size_t len, const char *usage, struct verify_result *r)
{
	struct meta_error e;
	long status = r->status, wait;
	int has;

	if (status == 0)
		return;   /* no HTTP answer: provider_call's network error stands */
	has = meta_answer_error(body, len, &e);
	r->error[0] = '\0';
	if (has && e.code == 190) {
		r->outcome = VERIFY_REJECTED;
		r->retry_after = 0;
		(void)snprintf(r->error, sizeof(r->error), "meta: the access token is invalid or "
		    "expired (code 190)");
	} else if ((has && meta_throttled(e.code, e.subcode)) || status == 429 || status >= 500) {
		r->outcome = VERIFY_RETRY;
		wait = meta_usage_retry_after(usage);
		if (wait > r->retry_after)
			r->retry_after = wait;
		if (r->retry_after > META_RETRY_MAX)
			r->retry_after = META_RETRY_MAX;
		meta_error_text(&e, has, status, r->error, sizeof(r->error));
	} else if (!has && status >= 200 && status < 300) {
		r->outcome = VERIFY_OK;
		r->retry_after = 0;
	} else {
		r->outcome = VERIFY_ERROR;
		r->retry_after = 0;
		meta_error_text(&e, has, status, r->error, sizeof(r->error));
	}
}

/* ---- Calls. ---- */

/* One call: GET (form NULL) or POST a form; the answer's body in ans (the caller frees it). */
static void
meta_call(struct provider *p, const struct broker_lease *l, const char *path,
    const struct buf *form, struct buf *ans, struct verify_result *r)
{
	struct provider_auth a = { PROVIDER_AUTH_BEARER, NULL, l->secret, NULL };
	struct provider_req q = { path, NULL, NULL, 0, NULL, NULL, 0, NULL };
	struct provider_reply rep;

	if (form != NULL) {
		q.ctype = META_CTYPE;
		q.body = (const char *)form->data;
		q.body_len = form->len;
	}
	memset(&rep, 0, sizeof(rep));
	rep.want_body = 1;
	buf_init_grow(&rep.body, PROVIDER_RESPONSE_MAX);
	provider_call(p, &conn_meta, &q, &a, r, &rep);
	meta_classify((const char *)rep.body.data, rep.body.len, rep.usage, r);
	*ans = rep.body;
}

static void
meta_unexpected(struct verify_result *r, const char *what)
{
	r->outcome = VERIFY_ERROR;
	(void)snprintf(r->error, sizeof(r->error), "meta: the answer has no %s", what);
}

static int
meta_verify(struct provider *p, const struct connector *c, const struct broker_lease *l,
    struct verify_result *r)
{
	struct buf ans;
	char id[META_ID_MAX];

	(void)c;
	meta_call(p, l, META_VERSION "/me?fields=id", NULL, &ans, r);
	if (r->outcome == VERIFY_OK && meta_answer_id((const char *)ans.data, ans.len, id) != 0)
		meta_unexpected(r, "id of digits");
	buf_free(&ans);
	return 0;
}

/* A request that cannot be built: nothing was sent, and it will not get better. */
static void
meta_not_built(struct verify_result *r, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->outcome = VERIFY_ERROR;
	(void)snprintf(r->error, sizeof(r->error), "meta: %s cannot be built", what);
}

void
meta_create(struct provider *p, const struct broker_lease *l, const struct meta_ad *ad,
    enum meta_object o, char id[META_ID_MAX], struct verify_result *r)
{
	char path[PROVIDER_URL_MAX];
	struct buf form, ans;

	id[0] = '\0';
	buf_init_grow(&form, META_FORM_MAX);
	if (meta_path_create(ad, o, path, sizeof(path)) != 0 || meta_form_create(ad, o, &form) != 0) {
		meta_not_built(r, "the request");
		buf_free(&form);
		return;
	}
	meta_call(p, l, path, &form, &ans, r);
	if (r->outcome == VERIFY_OK && meta_answer_id((const char *)ans.data, ans.len, id) != 0)
		meta_unexpected(r, "id of digits");
	buf_free(&ans);
	buf_free(&form);
}

void
meta_set_status(struct provider *p, const struct broker_lease *l, const char *object,
    int active, struct verify_result *r)
{
	char path[PROVIDER_URL_MAX];
	struct buf form, ans;

	buf_init_grow(&form, META_FORM_MAX);
	if (!meta_id_ok(object) || snprintf(path, sizeof(path), META_VERSION "/%s", object) < 0 ||
	    meta_form_status(active, &form) != 0) {
		meta_not_built(r, "the status change");
		buf_free(&form);
		return;
	}
	meta_call(p, l, path, &form, &ans, r);
	if (r->outcome == VERIFY_OK && !meta_answer_success((const char *)ans.data, ans.len))
		meta_unexpected(r, "\"success\": true");
	buf_free(&ans);
	buf_free(&form);
}

void
meta_insights(struct provider *p, const struct broker_lease *l, const char *campaign,
    const char *day, char spend[META_SPEND_MAX], char currency[4], struct verify_result *r)
{
	char path[PROVIDER_URL_MAX];
	struct buf ans;

	spend[0] = currency[0] = '\0';
	if (meta_path_insights(campaign, day, path, sizeof(path)) != 0) {
		meta_not_built(r, "the insights request");
		return;
	}
	meta_call(p, l, path, NULL, &ans, r);
	if (r->outcome == VERIFY_OK &&
	    meta_answer_insights((const char *)ans.data, ans.len, day, spend, currency) < 0)
		meta_unexpected(r, "insights of one row with a spend of Meta's form and a currency");
	buf_free(&ans);
}

const struct connector conn_meta = {
	.name = "meta",
	.base = "https://graph.facebook.com",
	.hosts = meta_hosts,
	.verify = meta_verify,
};
