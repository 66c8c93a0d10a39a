/* Outreach events and stats; see outreach_event.h and docs/OUTREACH.md "Events". */
#include "store/outreach_event.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "json_alloc.h"
#include "log.h"
#include "randid.h"
#include "store/store.h"

static const char *const outreach_kinds[] = {
	[OUTREACH_EV_DELIVERED] = "delivered", [OUTREACH_EV_BOUNCED] = "bounced",
	[OUTREACH_EV_DEFERRED] = "deferred", [OUTREACH_EV_DROPPED] = "dropped",
	[OUTREACH_EV_FAILED] = "failed", [OUTREACH_EV_OPENED] = "opened",
	[OUTREACH_EV_CLICKED] = "clicked", [OUTREACH_EV_REPLIED] = "replied",
	[OUTREACH_EV_UNSUBSCRIBED] = "unsubscribed", [OUTREACH_EV_COMPLAINED] = "complained",
	[OUTREACH_EV_STOP] = "stop", [OUTREACH_EV_START] = "start", [OUTREACH_EV_PRICE] = "price",
};

/*
 * The column each kind sets on its message (its first time), as constant
 * SQL: the earliest time reported wins, whatever order events come in.
 */
#define OUTREACH_FIRST(col) "UPDATE outreach_messages SET " col " = ?2, updated_at = ?3" \
	" WHERE id = ?1 AND (" col " IS NULL OR " col " > ?2)"
static const char *const outreach_first_sql[] = {
	[OUTREACH_EV_DELIVERED] = OUTREACH_FIRST("delivered_at"),
	[OUTREACH_EV_BOUNCED] = OUTREACH_FIRST("bounced_at"),
	[OUTREACH_EV_OPENED] = OUTREACH_FIRST("opened_at"),
	[OUTREACH_EV_CLICKED] = OUTREACH_FIRST("clicked_at"),
	[OUTREACH_EV_REPLIED] = OUTREACH_FIRST("replied_at"),
	[OUTREACH_EV_UNSUBSCRIBED] = OUTREACH_FIRST("unsubscribed_at"),
	[OUTREACH_EV_COMPLAINED] = OUTREACH_FIRST("complained_at"),
};

const char *
outreach_event_kind_name(enum outreach_event_kind k)
{
	return (unsigned)k < BOS_ARRAY_LEN(outreach_kinds) ? outreach_kinds[k] : NULL;
}

int
outreach_provider_valid(const char *p, int allow_bos)
{
	static const char *const providers[] = { "smtp", "sendgrid", "mailgun", "ses", "twilio",
		"plivo" };
	size_t i;

	if (p == NULL)
		return 0;
	if (allow_bos && strcmp(p, "bos") == 0)
		return 1;
	for (i = 0; i < BOS_ARRAY_LEN(providers); i++)
		if (strcmp(p, providers[i]) == 0)
			return 1;
	return 0;
}

int
outreach_campaign_id_valid(const char *s)
{
	return randid_valid(s, "cp_", OUTREACH_ID_LEN - 3);
}

int
outreach_message_id_valid(const char *s)
{
	return randid_valid(s, "om_", OUTREACH_ID_LEN - 3);
}

int
outreach_token_valid(const char *s)
{
	size_t i;

	if (s == NULL || strnlen(s, OUTREACH_TOKEN_LEN + 1) != OUTREACH_TOKEN_LEN)
		return 0;
	for (i = 0; i < OUTREACH_TOKEN_LEN; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* ---- checking an event ------------------------------------------------------------------ */

void
outreach_event_clear(struct outreach_event *e)
{
	free(e->stored);
	memset(e, 0, sizeof(*e));
}

/* Printable ASCII (with space when spaces), 1..max bytes. */
static int
outreach_ascii_ok(const char *s, size_t n, size_t max, int spaces)
{
	size_t i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < (spaces ? 0x20 : 0x21) || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* A string member: 0 with *s (NULL when absent), -1 when not a string without NUL. */
static int
outreach_ev_str(json_t *o, const char *key, const char **s, size_t *n)
{
	json_t *v = json_object_get(o, key);

	*s = NULL;
	*n = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 0;
}

/* n decimal digits at s into *out; 0 or -1. */
static int
outreach_digits(const char *s, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/* "2026-12-07T10:00:00[.123][Z|+01:00]" (T or t, Z or z) into Unix seconds; 0 or -1. */
static int
outreach_rfc3339(const char *s, size_t n, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	struct tm tm;
	size_t i = 19;
	time_t t;

	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || outreach_digits(s, 4, &y) != 0 ||
	    outreach_digits(s + 5, 2, &mo) != 0 || outreach_digits(s + 8, 2, &d) != 0 ||
	    outreach_digits(s + 11, 2, &h) != 0 || outreach_digits(s + 14, 2, &mi) != 0 ||
	    outreach_digits(s + 17, 2, &sec) != 0)
		return -1;
	if (s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == 20)
			return -1;
	}
	if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
		sign = 0;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
	    outreach_digits(s + i + 1, 2, &oh) == 0 && outreach_digits(s + i + 4, 2, &om) == 0 &&
	    oh < 24 && om < 60) {
		sign = s[i] == '+' ? 1 : -1;
	} else {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != d)
		return -1;         /* timegm normalises 31 April to 1 May: refused */
	*out = (int64_t)t - sign * (oh * 3600 + om * 60);
	return 0;
}

static int
outreach_ev_at(json_t *v, int64_t now, int64_t *at)
{
	if (json_is_integer(v))
		*at = json_integer_value(v);
	else if (!json_is_string(v) || outreach_rfc3339(json_string_value(v),
	    json_string_length(v), at) != 0)
		return -1;
	return *at >= OUTREACH_AT_MIN && *at <= now + OUTREACH_AT_AHEAD ? 0 : -1;
}

static int
outreach_ev_price(json_t *v, struct outreach_event *e)
{
	json_t *m = json_object_get(v, "micros"), *c = json_object_get(v, "currency");
	const char *cur = json_string_value(c);
	size_t i;

	if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_integer(m) ||
	    json_integer_value(m) < 0 || json_integer_value(m) > OUTREACH_PRICE_MICROS_MAX ||
	    cur == NULL || json_string_length(c) != 3)
		return -1;
	for (i = 0; i < 3; i++)
		if (cur[i] < 'A' || cur[i] > 'Z')
			return -1;
	e->has_price = 1;
	e->price_micros = json_integer_value(m);
	memcpy(e->currency, cur, 4);
	return 0;
}

/*
 * What is kept beside the columns: url, provider_id, price and detail, as a
 * compact JSON object. 0, or -1 with *why.
 */
static int
outreach_ev_stored(json_t *o, struct outreach_event *e, const char *url, size_t url_n,
    const char **why)
{
	json_t *st = json_object(), *detail = json_object_get(o, "detail");
	char *d = NULL, *text = NULL;
	int rc = -1;

	*why = "could not be read";
	if (st == NULL)
		goto out;
	if (detail != NULL) {
		if (!json_is_object(detail) && !json_is_string(detail)) {
			*why = "detail is a JSON object or a string";
			goto out;
		}
		if ((d = json_dumps(detail, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
			goto out;
		if (strlen(d) > OUTREACH_EVENT_DETAIL_MAX) {
			*why = "detail takes at most 1024 bytes as compact JSON";
			goto out;
		}
		if (json_object_set(st, "detail", detail) != 0)
			goto out;
	}
	if ((url != NULL && json_object_set_new(st, "url", json_stringn(url, url_n)) != 0) ||
	    (e->provider_id[0] != '\0' &&
	    json_object_set_new(st, "provider_id", json_string(e->provider_id)) != 0) ||
	    (e->has_price && json_object_set_new(st, "price", json_pack("{s:I, s:s}", "micros",
	    (json_int_t)e->price_micros, "currency", e->currency)) != 0))
		goto out;
	if ((text = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	if (strlen(text) > OUTREACH_EVENT_STORED_MAX) {
		*why = "url, provider_id and detail take at most 4096 bytes together";
		goto out;
	}
	rc = 0;
out:
	if (rc == 0 && (e->stored = strdup(text)) == NULL) {
		*why = "could not be read";
		rc = -1;
	}
	json_alloc_release(d);
	json_alloc_release(text);
	json_decref(st);
	return rc;
}

/* The checks of one event; 0, or -1 with *field and *why. */
static int
outreach_ev_fields(json_t *o, int64_t now, struct outreach_event *e, const char **field,
    const char **why)
{
	static const char *const keys[] = { "id", "kind", "at", "message", "token",
		"provider_id", "address", "url", "price", "detail" };
	const char *k, *s, *url = NULL, *channel = NULL;
	size_t i, n, url_n = 0;
	json_t *v;

	json_object_foreach(o, k, v) {
		for (i = 0; i < BOS_ARRAY_LEN(keys) && strcmp(k, keys[i]) != 0; i++)
			;
		if (i == BOS_ARRAY_LEN(keys)) {
			*field = "(unknown)";
			*why = "an event has id, kind, at, message, token, provider_id, address, url, "
			    "price and detail, nothing else";
			return -1;
		}
	}
	*field = "id";
	*why = "the provider's event id is 1 to 256 printable ASCII characters";
	if (outreach_ev_str(o, "id", &s, &n) != 0 || s == NULL ||
	    !outreach_ascii_ok(s, n, OUTREACH_EVENT_ID_MAX, 1))
		return -1;
	memcpy(e->id, s, n + 1);
	*field = "kind";
	*why = "kind is delivered, bounced, deferred, dropped, failed, opened, clicked, replied, "
	    "unsubscribed, complained, stop, start or price";
	s = json_string_value(json_object_get(o, "kind"));
	for (i = 0; s != NULL && i < BOS_ARRAY_LEN(outreach_kinds) &&
	    strcmp(s, outreach_kinds[i]) != 0; i++)
		;
	if (s == NULL || i == BOS_ARRAY_LEN(outreach_kinds))
		return -1;
	e->kind = (enum outreach_event_kind)i;
	*field = "at";
	*why = "at is Unix seconds or an RFC 3339 time, not before 2000 nor a day ahead of now";
	if (outreach_ev_at(json_object_get(o, "at"), now, &e->at) != 0)
		return -1;
	*field = "message";
	*why = "message is a message id (om_...)";
	if (outreach_ev_str(o, "message", &s, &n) != 0 || (s != NULL &&
	    !outreach_message_id_valid(s)))
		return -1;
	if (s != NULL)
		memcpy(e->message, s, n + 1);
	*field = "token";
	*why = "token is the message's token (22 characters of base64url)";
	if (outreach_ev_str(o, "token", &s, &n) != 0 || (s != NULL && !outreach_token_valid(s)))
		return -1;
	if (s != NULL)
		memcpy(e->token, s, n + 1);
	*field = "provider_id";
	*why = "provider_id is 1 to 256 printable ASCII characters";
	if (outreach_ev_str(o, "provider_id", &s, &n) != 0 || (s != NULL &&
	    !outreach_ascii_ok(s, n, OUTREACH_PROVIDER_ID_MAX, 1)))
		return -1;
	if (s != NULL)
		memcpy(e->provider_id, s, n + 1);
	*field = "address";
	if (outreach_ev_str(o, "address", &s, &n) != 0) {
		*why = "address is an email address or a phone number";
		return -1;
	}
	if (s != NULL && outreach_address_normalise(s, n, e->address, &channel, why) != 0)
		return -1;
	e->address_channel = channel;
	*field = "url";
	*why = "url is 1 to 2048 printable ASCII characters without spaces";
	if (outreach_ev_str(o, "url", &url, &url_n) != 0 || (url != NULL &&
	    !outreach_ascii_ok(url, url_n, OUTREACH_EVENT_URL_MAX, 0)))
		return -1;
	*field = "price";
	*why = "price is {micros, currency}: micros an integer from 0 to 1e12, currency 3 "
	    "capital letters";
	if ((v = json_object_get(o, "price")) != NULL && outreach_ev_price(v, e) != 0)
		return -1;
	*field = "detail";
	return outreach_ev_stored(o, e, url, url_n, why);
}

int
outreach_event_parse(json_t *o, const char *provider, int64_t now, struct outreach_event *e,
    struct bos_err *err)
{
	const char *field = NULL, *why = NULL;

	outreach_event_clear(e);
	if (!outreach_provider_valid(provider, 1))
		return bos_err_set(err, BOS_E_INVALID, "provider is smtp, sendgrid, mailgun, ses, "
		    "twilio or plivo");
	memcpy(e->provider, provider, strlen(provider) + 1);
	if (!json_is_object(o))
		return bos_err_set(err, BOS_E_INVALID, "an event is a JSON object");
	if (outreach_ev_fields(o, now, e, &field, &why) != 0)
		return bos_err_set(err, BOS_E_INVALID, "%s: %s", field, why);
	return 0;
}

/* ---- recording ----------------------------------------------------------------------------- */

static int
outreach_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v == NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_text(st, i, v, -1,
	    SQLITE_TRANSIENT);
}

static const char *
outreach_opt(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

static int
outreach_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	size_t n = v != NULL ? strlen(v) : 0;

	if (n >= size)
		return -1;
	memcpy(dst, v != NULL ? v : "", n);
	dst[n] = '\0';
	return 0;
}

/* The message an event is about, as far as its effects need it. */
struct outreach_target {
	char id[OUTREACH_ID_SIZE];
	char campaign[OUTREACH_ID_SIZE];
	char to[OUTREACH_ADDRESS_SIZE];
	char channel[8];
	char currency[4];
};

#define OUTREACH_TARGET_SQL "SELECT m.id, m.campaign_id, m.to_addr, c.channel, c.currency" \
	" FROM outreach_messages m JOIN outreach_campaigns c ON c.id = m.campaign_id "

/*
 * Run one of the lookups: 1 with *t when exactly one message answers, 0
 * when none (or, for a provider's id, more than one), -1 error.
 */
static int
outreach_target_query(struct store *s, const char *sql, const char *a1, const char *a2,
    struct outreach_target *t, struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, a1) != SQLITE_OK ||
	    (a2 != NULL && outreach_bind_text(st, 2, a2) != SQLITE_OK)) {
		store_stmt_done(s, st);
		return store_err_db(s, "finding an event's message", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && ++n == 1)
		if (outreach_col(st, 0, t->id, sizeof(t->id)) != 0 ||
		    outreach_col(st, 1, t->campaign, sizeof(t->campaign)) != 0 ||
		    outreach_col(st, 2, t->to, sizeof(t->to)) != 0 ||
		    outreach_col(st, 3, t->channel, sizeof(t->channel)) != 0 ||
		    outreach_col(st, 4, t->currency, sizeof(t->currency)) != 0) {
			store_stmt_done(s, st);
			return bos_err_set(err, BOS_E_CORRUPT, "a stored message does not fit its "
			    "fields");
		}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_err_db(s, "finding an event's message", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return n == 1;
}

/* By message id, else token, else the provider's id. 1 found, 0 not, -1 error. */
static int
outreach_target_find(struct store *s, const struct outreach_event *e, struct outreach_target *t,
    struct bos_err *err)
{
	int rc;

	memset(t, 0, sizeof(*t));
	if (e->message[0] != '\0' && (rc = outreach_target_query(s, OUTREACH_TARGET_SQL
	    "WHERE m.id = ?1", e->message, NULL, t, err)) != 0)
		return rc;
	if (e->token[0] != '\0' && (rc = outreach_target_query(s, OUTREACH_TARGET_SQL
	    "WHERE m.token = ?1", e->token, NULL, t, err)) != 0)
		return rc;
	/* Two are enough to know it is not one: LIMIT 2. */
	if (e->provider_id[0] != '\0')
		return outreach_target_query(s, OUTREACH_TARGET_SQL "WHERE m.provider_id = ?1"
		    " AND c.provider = ?2 LIMIT 2", e->provider_id, e->provider, t, err);
	return 0;
}

/* 1 when the key was recorded before, 0 not, -1 error. */
static int
outreach_event_seen(struct store *s, const char *key, struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (store_stmt(s, "SELECT 1 FROM outreach_events WHERE event_key = ?1", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, key) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading events", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return rc == SQLITE_ROW;
}

static int
outreach_event_insert(struct store *s, const struct outreach_event *e, const char *key,
    const struct outreach_target *t, int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st;

	if (store_stmt(s, "INSERT INTO outreach_events (event_key, provider, kind, message_id,"
	    " campaign_id, address, at, detail, received_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, key) != SQLITE_OK ||
	    outreach_bind_text(st, 2, e->provider) != SQLITE_OK ||
	    outreach_bind_text(st, 3, outreach_event_kind_name(e->kind)) != SQLITE_OK ||
	    outreach_bind_text(st, 4, t != NULL ? t->id : NULL) != SQLITE_OK ||
	    outreach_bind_text(st, 5, t != NULL ? t->campaign : NULL) != SQLITE_OK ||
	    outreach_bind_text(st, 6, outreach_opt(e->address)) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, e->at) != SQLITE_OK ||
	    outreach_bind_text(st, 8, e->stored != NULL ? e->stored : "{}") != SQLITE_OK ||
	    sqlite3_bind_int64(st, 9, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "recording an event", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

/* One UPDATE of the message with (id, value, now). */
static int
outreach_message_set(struct store *s, const char *sql, const char *id, int64_t value,
    int64_t now, struct bos_err *err)
{
	sqlite3_stmt *st;

	if (store_stmt(s, sql, &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, value) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "updating a message from an event", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return 0;
}

/* The effects on the message itself: its first times, its price. */
static int
outreach_effect_message(struct store *s, const struct outreach_event *e,
    const struct outreach_target *t, int64_t now, struct bos_err *err)
{
	if ((unsigned)e->kind < BOS_ARRAY_LEN(outreach_first_sql) &&
	    outreach_first_sql[e->kind] != NULL &&
	    outreach_message_set(s, outreach_first_sql[e->kind], t->id, e->at, now, err) != 0)
		return -1;
	if (!e->has_price)
		return 0;
	if (strcmp(e->currency, t->currency) != 0) {
		log_warn("outreach: a %s event of %s gives a price in %s for message %s of a "
		    "campaign in %s: price not taken", outreach_event_kind_name(e->kind), e->provider,
		    e->currency, t->id, t->currency);
		return 0;
	}
	return outreach_message_set(s, "UPDATE outreach_messages SET price_micros = ?2,"
	    " updated_at = ?3 WHERE id = ?1", t->id, e->price_micros, now, err);
}

/* The effects on the suppression list: the address the message went to, else the event's. */
static int
outreach_effect_suppress(struct store *s, const struct outreach_event *e,
    const struct outreach_target *t, int64_t now, struct bos_err *err)
{
	const char *addr = t != NULL ? t->to : e->address, *channel = t != NULL ?
	    outreach_channel_name(t->channel) : e->address_channel;
	char source[OUTREACH_BY_SIZE];

	if (addr[0] == '\0' || channel == NULL)
		return 0;
	(void)snprintf(source, sizeof(source), "event:%s", e->provider);
	switch (e->kind) {
	case OUTREACH_EV_BOUNCED:
	case OUTREACH_EV_UNSUBSCRIBED:
	case OUTREACH_EV_COMPLAINED:
		return outreach_suppress(s, addr, channel, outreach_event_kind_name(e->kind), source,
		    now, NULL, err);
	case OUTREACH_EV_STOP:
		/* STOP and START are SMS keywords: they concern phone numbers only. */
		return strcmp(channel, "sms") != 0 ? 0 :
		    outreach_suppress(s, addr, channel, "stop", source, now, NULL, err);
	case OUTREACH_EV_START:
		return strcmp(channel, "sms") != 0 ? 0 :
		    outreach_unsuppress(s, addr, channel, "stop", NULL, err);
	default:
		return 0;
	}
}

static int
outreach_event_apply(struct store *s, const struct outreach_event *e, const char *key,
    int64_t now, enum outreach_event_outcome *out, char message[OUTREACH_ID_SIZE],
    struct bos_err *err)
{
	struct outreach_target t;
	int rc;

	if ((rc = outreach_event_seen(s, key, err)) != 0) {
		*out = OUTREACH_EVENT_DUPLICATE;
		return rc < 0 ? -1 : 0;
	}
	if ((rc = outreach_target_find(s, e, &t, err)) < 0 ||
	    outreach_event_insert(s, e, key, rc ? &t : NULL, now, err) != 0 ||
	    (rc && outreach_effect_message(s, e, &t, now, err) != 0) ||
	    outreach_effect_suppress(s, e, rc ? &t : NULL, now, err) != 0)
		return -1;
	*out = rc ? OUTREACH_EVENT_RECORDED : OUTREACH_EVENT_UNMATCHED;
	if (message != NULL && rc)
		memcpy(message, t.id, OUTREACH_ID_SIZE);
	return 0;
}

int
outreach_event_record(struct store *s, const struct outreach_event *e, int64_t now,
    enum outreach_event_outcome *out, char message[OUTREACH_ID_SIZE], struct bos_err *err)
{
	char key[sizeof(e->provider) + 1 + sizeof(e->id)];
	struct bos_err ignored;

	*out = OUTREACH_EVENT_DUPLICATE;
	if (message != NULL)
		message[0] = '\0';
	if (!outreach_provider_valid(e->provider, 1) || e->id[0] == '\0' ||
	    outreach_event_kind_name(e->kind) == NULL)
		return bos_err_set(err, BOS_E_INVALID, "an event needs its provider, id and kind");
	(void)snprintf(key, sizeof(key), "%s:%s", e->provider, e->id);
	if (store_begin(s, err) != 0)
		return -1;
	if (outreach_event_apply(s, e, key, now, out, message, err) != 0) {
		bos_err_clear(&ignored);
		if (store_rollback(s, &ignored) != 0)
			log_err("outreach: rolling back an event: %s", ignored.msg);
		return -1;
	}
	return store_commit(s, err);
}

int
outreach_webhook_token_use(struct store *s, const char *provider, const char *token, int64_t now,
    struct bos_err *err)
{
	char key[300];
	sqlite3_stmt *st;
	int k, rc;

	k = snprintf(key, sizeof(key), "%s:%s", provider != NULL ? provider : "", token != NULL ?
	    token : "");
	if (provider == NULL || token == NULL || *token == '\0' || k < 0 ||
	    (size_t)k >= sizeof(key) || !outreach_ascii_ok(token, strlen(token), 256, 0))
		return bos_err_set(err, BOS_E_INVALID, "a webhook token is 1 to 256 printable "
		    "characters");
	if (store_stmt(s, "DELETE FROM outreach_webhook_tokens WHERE seen_at < ?1", &st, err) != 0)
		return -1;
	if (sqlite3_bind_int64(st, 1, now - OUTREACH_WEBHOOK_TOKEN_TTL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "forgetting old webhook tokens", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	if (store_stmt(s, "INSERT OR IGNORE INTO outreach_webhook_tokens (token_key, seen_at)"
	    " VALUES (?1, ?2)", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		store_err_db(s, "recording a webhook token", err);
		store_stmt_done(s, st);
		return -1;
	}
	rc = sqlite3_changes(store_db(s)) == 0;
	store_stmt_done(s, st);
	return rc;
}

/* ---- stats -------------------------------------------------------------------------------- */

static int
outreach_campaign_exists(struct store *s, const char *id, struct bos_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (!outreach_campaign_id_valid(id))
		return 0;
	if (store_stmt(s, "SELECT 1 FROM outreach_campaigns WHERE id = ?1", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, id) != SQLITE_OK ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		store_err_db(s, "reading campaigns", err);
		store_stmt_done(s, st);
		return -1;
	}
	store_stmt_done(s, st);
	return rc == SQLITE_ROW;
}

double
outreach_rate(int64_t count, int64_t sent)
{
	if (sent <= 0 || count < 0 || count > INT64_MAX / 10000 - sent)
		return -1;
	return (double)((count * 10000 + sent / 2) / sent) / 10000.0;
}

int
outreach_stats_get(struct store *s, const char *campaign, struct outreach_stats *out,
    struct bos_err *err)
{
	int64_t *col[] = { &out->messages, &out->sent, &out->delivered, &out->bounced,
		&out->opened, &out->clicked, &out->replied, &out->unsubscribed, &out->complained,
		&out->failed };
	sqlite3_stmt *st;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (campaign != NULL && (rc = outreach_campaign_exists(s, campaign, err)) != 1)
		return rc < 0 ? -1 : bos_err_set(err, BOS_E_NOTFOUND, "no campaign with that id");
	if (store_stmt(s, "SELECT count(*),"
	    " total(sent_at IS NOT NULL OR state = 'sent'),"
	    " total(delivered_at IS NOT NULL), total(bounced_at IS NOT NULL),"
	    " total(opened_at IS NOT NULL), total(clicked_at IS NOT NULL),"
	    " total(replied_at IS NOT NULL), total(unsubscribed_at IS NOT NULL),"
	    " total(complained_at IS NOT NULL),"
	    " total(state = 'failed' OR EXISTS (SELECT 1 FROM outreach_events e"
	    "   WHERE e.message_id = m.id AND e.kind IN ('failed', 'dropped')))"
	    " FROM outreach_messages m WHERE ?1 IS NULL OR m.campaign_id = ?1", &st, err) != 0)
		return -1;
	if (outreach_bind_text(st, 1, campaign) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_err_db(s, "counting a campaign's messages", err);
		store_stmt_done(s, st);
		return -1;
	}
	for (i = 0; i < BOS_ARRAY_LEN(col); i++)
		*col[i] = sqlite3_column_int64(st, (int)i);
	store_stmt_done(s, st);
	return 0;
}
