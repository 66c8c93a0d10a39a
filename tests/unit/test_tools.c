/*
 * Unit tests: the tools (cli/tools.c, cli/tool_*.c). Every tool's schemas
 * parse and have the shape MCP clients expect; every tool runs against a
 * canned vault (HTTP on a unix socket, answers that carry extra fields and
 * canary secrets) and its output matches its outputSchema (a small
 * validator of the subset the schemas use) and holds no canary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "http_client.h"
#include "tool.h"

#define CANARY "CANARY7f3a"
#define REQ_MAX 65536
#define WHY_MAX 512

/* ---- a canned vault ---- */

struct canned {
	const char *method, *path;   /* path: up to '?' */
	int status;
	const char *body;
};

static const char cred_card[] = "{\"id\":\"cr_card\",\"name\":\"corp-card\",\"type\":\"card\","
	"\"service\":\"ads\",\"version\":1,\"status\":\"active\",\"created_at\":\"2026-12-07T10:00:00Z\","
	"\"updated_at\":\"2026-12-07T10:00:00Z\",\"metadata\":{\"env\":\"prod\"},\"card\":{\"brand\":"
	"\"visa\",\"first6\":\"411111\",\"last4\":\"1111\",\"pan\":\"" CANARY "\"},\"last_read_at\":null,"
	"\"stale\":false,\"secret\":\"" CANARY "\"}";
static const char cred_revoked[] = "{\"id\":\"cr_old\",\"name\":\"old\",\"type\":\"api_key\","
	"\"service\":\"sendgrid\",\"version\":2,\"status\":\"revoked\",\"created_at\":null,"
	"\"updated_at\":null,\"revoked_at\":\"2026-12-07T11:00:00Z\",\"metadata\":{},"
	"\"last_read_at\":\"2026-12-07T10:30:00Z\",\"stale\":true,\"future_field\":\"" CANARY "\"}";
static const char job_done[] = "{\"id\":\"jb_1\",\"kind\":\"verify\",\"service\":\"ads\","
	"\"credential\":\"cr_card\",\"params\":{\"x\":\"" CANARY "\"},\"idempotency_key\":\"k\","
	"\"state\":\"done\",\"attempts\":1,\"max_attempts\":5,\"not_before\":null,\"claimed_by\":null,"
	"\"visible_until\":null,\"estimate\":null,\"result\":{\"ok\":true,\"status\":200,"
	"\"latency_ms\":42,\"raw\":\"" CANARY "\"},\"error\":null,\"created_at\":\"2026-12-07T10:00:00Z\","
	"\"updated_at\":\"2026-12-07T10:00:01Z\",\"finished_at\":\"2026-12-07T10:00:01Z\","
	"\"created_by\":\"alice\"}";
static const char job_queued[] = "{\"id\":\"jb_2\",\"kind\":\"verify\",\"service\":\"ads\","
	"\"credential\":null,\"params\":null,\"idempotency_key\":\"k2\",\"state\":\"queued\","
	"\"attempts\":0,\"max_attempts\":5,\"not_before\":\"2026-12-07T10:00:00Z\",\"claimed_by\":null,"
	"\"visible_until\":null,\"estimate\":{\"amount\":3,\"currency\":\"USD\"},\"result\":null,"
	"\"error\":null,\"created_at\":null,\"updated_at\":null,\"finished_at\":null,\"created_by\":\"alice\"}";
static const char helper[] = "{\"id\":\"hl_1\",\"name\":\"Bob\",\"contact\":\"bob@example.com\","
	"\"kind\":\"setup\",\"status\":\"active\",\"created_by\":\"alice\",\"created_at\":"
	"\"2026-12-07T10:00:00Z\"}";
static const char grant[] = "{\"accessor\":\"acc_abcdefghijklmnopqrst\",\"helper\":\"hl_1\","
	"\"credentials\":[\"cr_card\",7],\"actions\":[\"read\"],\"cidrs\":[],\"note\":\"\",\"issued_by\":"
	"\"alice\",\"created_at\":\"2026-12-07T10:00:00Z\",\"expires_at\":\"2026-12-08T10:00:00Z\","
	"\"max_uses\":null,\"uses\":0,\"last_used_at\":null,\"state\":\"active\",\"token\":\"bos_h_"
	CANARY "\"}";
static const char alert[] = "{\"id\":\"al_1\",\"kind\":\"budget_warning\",\"severity\":\"warning\","
	"\"subject\":\"sendgrid at 80 %\",\"details\":{\"percent\":80},\"actions\":[\"bosctl budget list\"],"
	"\"dedup_key\":null,\"count\":1,\"state\":\"acked\",\"first_at\":\"2026-12-07T10:00:00Z\","
	"\"last_at\":\"2026-12-07T10:00:00Z\",\"acked_at\":null,\"acked_by\":null,\"resolved_at\":null,"
	"\"resolved_by\":null}";
static const char budget[] = "{\"service\":\"sendgrid\",\"currency\":\"USD\",\"daily\":1000,"
	"\"monthly\":null,\"spent_today\":0,\"spent_this_month\":0,\"day_percent\":0,\"month_percent\":null,"
	"\"state\":\"ok\",\"resumed\":{\"daily\":false,\"monthly\":false},\"updated_by\":\"alice\","
	"\"updated_at\":\"2026-12-07T10:00:00Z\"}";
#define APPROVAL_OBJ "{\"id\":\"ap_1\",\"kind\":\"budget_set\",\"summary\":" \
	"\"raise the daily budget of sendgrid from 10.00 USD to 50.00 USD\",\"state\":\"pending\"," \
	"\"created_at\":\"2026-12-07T10:00:00Z\",\"expires_at\":\"2026-12-07T10:15:00Z\",\"params\":" \
	"{\"daily\":5000},\"decided_by\":null,\"decided_at\":null}"
static const char approval[] = "{\"approval\":" APPROVAL_OBJ "}";
static const char cost[] = "{\"from\":\"2026-12-07\",\"to\":\"2026-12-07\",\"services\":[{\"service\":"
	"\"sendgrid\",\"currency\":\"USD\",\"spent\":800,\"daily_budget\":1000,\"monthly_budget\":null,"
	"\"percent\":80,\"state\":\"warning\"}],\"total\":{\"currency\":null,\"spent\":null,"
	"\"daily_budget\":null,\"monthly_budget\":null,\"percent\":null,\"state\":\"ok\"},\"campaigns\":"
	"[{\"id\":\"cp_1\",\"provider\":\"sendgrid\",\"currency\":\"USD\",\"messages\":4,"
	"\"spent_micros\":4000,\"spent\":0,\"recipients\":[\"" CANARY "\"]}]}";
static const char audit[] = "{\"records\":[{\"seq\":2,\"time\":\"2026-12-07T10:00:01.000Z\","
	"\"principal\":\"alice\",\"action\":\"cred_list\",\"resource\":\"credentials\",\"decision\":"
	"\"allow\",\"reason\":\"\",\"client\":\"127.0.0.1\",\"request_id\":\"r2\",\"hash\":\"ab\"},"
	"{\"seq\":1,\"time\":\"2026-12-07T10:00:00.000Z\",\"principal\":\"alice\",\"action\":\"login\","
	"\"resource\":\"auth\",\"decision\":\"allow\",\"reason\":\"\",\"client\":\"127.0.0.1\","
	"\"request_id\":\"r1\",\"hash\":\"cd\"}],\"next_cursor\":\"1\"}";

/* Outreach (docs/OUTREACH.md): every answer carries fields no tool may pass on. */
static const char olist[] = "{\"id\":\"ol_1\",\"name\":\"advisors\",\"contacts\":3,"
	"\"created_at\":\"2026-12-07T10:00:00Z\",\"created_by\":\"alice\",\"sample\":[{\"email\":"
	"\"" CANARY "@example.com\"}]}";
static const char supp[] = "{\"address\":\"gone@example.com\",\"channel\":\"email\",\"reason\":"
	"\"unsubscribed\",\"source\":\"sendgrid\",\"created_at\":\"2026-12-07T10:00:00Z\","
	"\"token\":\"" CANARY "\"}";
#define CAMPAIGN_OBJ(id, state) "{\"id\":\"" id "\",\"channel\":\"email\",\"list\":\"ol_1\"," \
	"\"provider\":\"sendgrid\",\"credential\":\"cr_sg\",\"from\":\"Acme <hi@acme.example>\"," \
	"\"subject\":\"Hello {{name}}\",\"per_minute\":10,\"state\":\"" state "\",\"recipients\":3," \
	"\"skipped\":1,\"suppressed\":0,\"queued\":2,\"sent\":1,\"failed\":0,\"unknown\":0," \
	"\"cancelled\":0,\"price\":{\"micros\":1000,\"currency\":\"USD\",\"x\":\"" CANARY "\"}," \
	"\"spent\":{\"micros\":1000,\"currency\":\"USD\"},\"created_at\":\"2026-12-07T10:00:00Z\"," \
	"\"created_by\":\"alice\",\"updated_at\":\"2026-12-07T10:00:00Z\",\"finished_at\":null," \
	"\"text\":\"Hi {{name}}\",\"html\":null,\"body\":null,\"recipients_list\":[\"" CANARY "\"]," \
	"\"credential_secret\":\"" CANARY "\"}"
static const char stats[] = "{\"campaign\":\"cp_1\",\"sent\":4,\"delivered\":4,\"bounced\":0,"
	"\"opened\":2,\"clicked\":1,\"replied\":0,\"unsubscribed\":0,\"complained\":0,\"failed\":0,"
	"\"rates\":{\"delivered\":1,\"bounced\":0,\"opened\":0.5,\"clicked\":0.25,\"replied\":0,"
	"\"unsubscribed\":null,\"leak\":\"" CANARY "\"},\"addresses\":[\"" CANARY "\"]}";

/* Ads (docs/ADS.md): an ad carries fields no tool may pass on (a token, the params). */
#define AD_OBJ(id, state, today) "{\"id\":\"" id "\",\"name\":\"Spring sale\",\"provider\":" \
	"\"meta\",\"credential\":\"cr_meta\",\"account\":\"act_1234567890\",\"post\":" \
	"\"111_222\",\"objective\":\"OUTCOME_TRAFFIC\",\"countries\":[\"US\",\"CA\"]," \
	"\"special_ad_categories\":[],\"daily_budget\":{\"amount\":5000,\"currency\":\"USD\"," \
	"\"x\":\"" CANARY "\"},\"state\":\"" state "\",\"pause_reason\":null,\"meta\":" \
	"{\"campaign\":\"120000000001\",\"adset\":\"120000000002\",\"creative\":null,\"ad\":" \
	"null,\"token\":\"" CANARY "\"},\"spent\":{\"amount\":1234,\"currency\":\"USD\"}," \
	"\"spent_today\":" today ",\"error\":null,\"created_at\":\"2026-12-07T10:00:00Z\"," \
	"\"updated_at\":\"2026-12-07T10:00:00Z\",\"created_by\":\"alice\",\"access_token\":" \
	"\"" CANARY "\",\"pending\":\"creative\"}"
#define AD_TODAY "{\"amount\":200,\"currency\":\"USD\"}"

struct vault_fake {
	int fd;
	char path[108];
	pthread_t thread;
	int grant_with_token;        /* POST /credentials/grant answers with a token */
	int import_answer;           /* POST /outreach/lists: 0 created, 1 invalid rows, 2 exists */
	int ad_answer;               /* POST /outreach/ad: 0 created, 1 over_budget, 2 no_budget */
	char last_body[16384];       /* the body of the last request */
	char last_req[160];          /* "METHOD PATH" of the last request */
	char last_query[512];        /* its query string, after '?' */
	char seen[512][160];         /* "METHOD PATH" of each request */
	size_t nseen;
};

static char *
body_join(const char *fmt, ...)
{
	static char buf[16][16384];
	static int k;
	va_list ap;
	char *b = buf[k++ % 16];

	va_start(ap, fmt);
	vsnprintf(b, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return b;
}

/* 400 invalid_rows with the 100 rows the vault reports at most, and 50 more. */
static const char *
rows_many(void)
{
	static char b[16384];
	size_t n = 0;
	int i;

	n += (size_t)snprintf(b, sizeof(b), "{\"error\":{\"code\":\"invalid_rows\",\"message\":"
	    "\"150 rows are invalid\"},\"rows\":[");
	for (i = 1; i <= 100 && n < sizeof(b) - 128; i++)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s{\"row\":%d,\"field\":\"email\","
		    "\"message\":\"not an e-mail address\"}", i > 1 ? "," : "", i * 2);
	snprintf(b + n, sizeof(b) - n, "],\"more\":50}");
	return b;
}

/* The canned answer to method path (no query), or a 404. */
static struct canned
vault_answer(struct vault_fake *v, const char *method, const char *path)
{
	const struct canned table[] = {
		{ "GET", "/health", 200, "{\"status\":\"ok\",\"hsm\":\"ok\"}" },
		{ "GET", "/credentials", 200, body_join("{\"credentials\":[%s,%s]}", cred_card,
		    cred_revoked) },
		{ "GET", "/credentials/audit", 200, audit },
		{ "POST", "/jobs", 201, body_join("{\"job\":%s}", job_done) },
		{ "GET", "/jobs/jb_1", 200, body_join("{\"job\":%s}", job_done) },
		{ "GET", "/jobs", 200, body_join("{\"jobs\":[%s,%s]}", job_done, job_queued) },
		{ "GET", "/helpers", 200, body_join("{\"helpers\":[%s]}", helper) },
		{ "POST", "/helpers", 201, helper },
		{ "DELETE", "/helpers/hl_1", 200, "{\"id\":\"hl_1\",\"name\":\"Bob\",\"contact\":"
		    "\"bob@example.com\",\"kind\":\"setup\",\"status\":\"removed\",\"created_by\":\"alice\","
		    "\"created_at\":null,\"removed_at\":\"2026-12-07T11:00:00Z\",\"grants_revoked\":2}" },
		{ "GET", "/grants", 200, body_join("{\"grants\":[%s]}", grant) },
		{ "DELETE", "/grants/acc_abcdefghijklmnopqrst", 200, grant },
		{ "POST", "/credentials/grant", 201, v->grant_with_token ? grant :
		    "{\"accessor\":\"acc_abcdefghijklmnopqrst\",\"helper\":\"hl_1\",\"credentials\":"
		    "[\"cr_card\"],\"actions\":[\"read\"],\"expires_at\":\"2026-12-08T10:00:00Z\","
		    "\"max_uses\":null,\"cidrs\":[],\"note\":\"\",\"pickup\":{\"expires_at\":"
		    "\"2026-12-07T10:10:00Z\"}}" },
		{ "GET", "/budgets", 200, body_join("{\"budgets\":[%s]}", budget) },
		{ "PUT", "/budgets/sendgrid", 202, approval },
		{ "PUT", "/budgets/lower", 200, budget },
		{ "POST", "/budgets/sendgrid/resume", 202, approval },
		{ "GET", "/outreach/cost", 200, cost },
		{ "GET", "/alerts", 200, body_join("{\"alerts\":[%s]}", alert) },
		{ "POST", "/alerts/al_1/ack", 200, alert },
		{ "POST", "/alerts/al_1/resolve", 200, alert },
		{ "GET", "/brokers", 200, "{\"brokers\":[]}" },
		{ "GET", "/approvals", 200, "{\"approvals\":[" APPROVAL_OBJ "]}" },
		{ "GET", "/outreach/lists", 200, body_join("{\"lists\":[%s]}", olist) },
		{ "POST", "/outreach/lists", v->import_answer == 1 || v->import_answer == 3 ? 400 :
		    v->import_answer == 2 ? 409 : v->import_answer == 4 ? 413 : 201,
		    v->import_answer == 4 ? "{\"error\":{\"code\":\"payload_too_large\"}}" :
		    v->import_answer == 3 ? rows_many() :
		    v->import_answer == 1 ? "{\"error\":{\"code\":\"invalid_rows\",\"message\":"
		    "\"3 rows are invalid\"},\"rows\":[{\"row\":2,\"field\":\"email\",\"message\":"
		    "\"not an e-mail address\"},{\"row\":5,\"field\":\"phone\",\"message\":\"not E.164\\r\\n"
		    "\"}],\"more\":1}" : v->import_answer == 2 ? "{\"error\":{\"code\":\"exists\","
		    "\"message\":\"a list of that name exists\"}}" : body_join("{\"list\":%s,\"imported\":3,"
		    "\"duplicates\":1,\"contacts\":[{\"email\":\"" CANARY "\"}]}", olist) },
		{ "POST", "/outreach/lists/ol_1/contacts", 200, body_join("{\"list\":%s,\"imported\":1,"
		    "\"duplicates\":0}", olist) },
		{ "GET", "/outreach/suppressions", 200, body_join("{\"suppressions\":[%s],\"next\":"
		    "\"41\"}", supp) },
		{ "POST", "/outreach/suppressions", 201, body_join("{\"suppression\":%s}", supp) },
		{ "POST", "/outreach/email", 201, "{\"campaign\":" CAMPAIGN_OBJ("cp_1", "running") "}" },
		{ "POST", "/outreach/sms", 201, "{\"campaign\":" CAMPAIGN_OBJ("cp_2", "draft") "}" },
		{ "GET", "/outreach/campaigns", 200, "{\"campaigns\":[" CAMPAIGN_OBJ("cp_1", "running") ","
		    CAMPAIGN_OBJ("cp_2", "draft") "]}" },
		{ "GET", "/outreach/campaigns/cp_1", 200, "{\"campaign\":" CAMPAIGN_OBJ("cp_1", "running")
		    "}" },
		{ "POST", "/outreach/campaigns/cp_2/start", 200, "{\"campaign\":" CAMPAIGN_OBJ("cp_2",
		    "running") "}" },
		{ "POST", "/outreach/campaigns/cp_1/pause", 200, "{\"campaign\":" CAMPAIGN_OBJ("cp_1",
		    "paused") "}" },
		{ "POST", "/outreach/campaigns/cp_1/resume", 200, "{\"campaign\":" CAMPAIGN_OBJ("cp_1",
		    "running") "}" },
		{ "POST", "/outreach/campaigns/cp_1/cancel", 200, "{\"campaign\":" CAMPAIGN_OBJ("cp_1",
		    "cancelled") "}" },
		{ "POST", "/outreach/campaigns/cp_done/resume", 409, "{\"error\":{\"code\":"
		    "\"campaign_state\",\"message\":\"the campaign is done\"}}" },
		{ "GET", "/outreach/stats", 200, stats },
		{ "POST", "/outreach/ad", v->ad_answer == 1 ? 409 : v->ad_answer == 2 ? 409 : 201,
		    v->ad_answer == 1 ? "{\"error\":{\"code\":\"over_budget\",\"message\":\"the "
		    "daily budget 50.00 USD is above what the budgets leave today: 12.00 USD (daily "
		    "budget of meta)\"}}" : v->ad_answer == 2 ? "{\"error\":{\"code\":\"no_budget\","
		    "\"message\":\"set one first: bosctl budget set meta --daily AMOUNT --currency "
		    "CUR\"}}" : "{\"ad\":" AD_OBJ("ad_1", "creating", AD_TODAY) "}" },
		{ "GET", "/outreach/ads", 200, "{\"ads\":[" AD_OBJ("ad_1", "active", AD_TODAY) ","
		    AD_OBJ("ad_2", "paused", "300") "]}" },
		{ "GET", "/outreach/ads/ad_1", 200, "{\"ad\":" AD_OBJ("ad_1", "active", AD_TODAY) "}" },
		{ "POST", "/outreach/ads/ad_1/pause", 202, "{\"ad\":" AD_OBJ("ad_1", "pausing",
		    AD_TODAY) "}" },
		{ "POST", "/outreach/ads/ad_2/resume", 202, "{\"ad\":" AD_OBJ("ad_2", "resuming",
		    AD_TODAY) "}" },
		{ "POST", "/outreach/ads/ad_2/pause", 409, "{\"error\":{\"code\":\"ad_state\","
		    "\"message\":\"the ad is paused: only an active ad can be paused\"}}" },
	};
	struct canned none = { method, path, 404, "{\"error\":{\"code\":\"not_found\","
	    "\"message\":\"no such thing\"}}" };
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].method, method) == 0 && strcmp(table[i].path, path) == 0)
			return table[i];
	return none;
}

/* Read one request (headers and a Content-Length body), answer it, close. */
static void
vault_serve_one(struct vault_fake *v, int c)
{
	char req[REQ_MAX], method[16], path[1024], out[REQ_MAX], *end, *q;
	size_t len = 0, want = 0;
	ssize_t n;
	struct canned a;
	int k;

	while (len < sizeof(req) - 1 && (n = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if ((end = strstr(req, "\r\n\r\n")) == NULL)
			continue;
		q = strcasestr(req, "Content-Length:");
		want = (size_t)(end + 4 - req) + (q != NULL && q < end ? strtoul(q + 15, NULL, 10) : 0);
		if (len >= want)
			break;
	}
	if (sscanf(req, "%15s %1023s", method, path) != 2)
		return;
	end = strstr(req, "\r\n\r\n");
	snprintf(v->last_body, sizeof(v->last_body), "%s", end != NULL ? end + 4 : "");
	v->last_query[0] = '\0';
	if ((q = strchr(path, '?')) != NULL) {
		snprintf(v->last_query, sizeof(v->last_query), "%s", q + 1);
		*q = '\0';
	}
	if (v->nseen < sizeof(v->seen) / sizeof(v->seen[0]))
		snprintf(v->seen[v->nseen++], sizeof(v->seen[0]), "%s %.140s", method, path);
	snprintf(v->last_req, sizeof(v->last_req), "%s %.140s", method, path);
	a = vault_answer(v, method, path);
	k = snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", a.status, strlen(a.body), a.body);
	if (k > 0 && (size_t)k < sizeof(out))
		(void)!write(c, out, (size_t)k);
}

static void *
vault_thread(void *arg)
{
	struct vault_fake *v = arg;
	int c;

	while ((c = accept(v->fd, NULL, NULL)) >= 0) {
		vault_serve_one(v, c);
		close(c);
	}
	return NULL;
}

static struct vault_fake fake;

static int
setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)state;
	snprintf(fake.path, sizeof(fake.path), "/tmp/bos-test-tools.%d.sock", (int)getpid());
	unlink(fake.path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fake.path);
	fake.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fake.fd < 0 || bind(fake.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fake.fd, 8) != 0)
		return -1;
	return pthread_create(&fake.thread, NULL, vault_thread, &fake) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	shutdown(fake.fd, SHUT_RDWR);
	close(fake.fd);
	pthread_join(fake.thread, NULL);
	unlink(fake.path);
	return 0;
}

/* ---- a validator of the schema subset the tools use ---- */

static int
type_ok(const char *t, const json_t *v)
{
	if (strcmp(t, "object") == 0) return json_is_object(v);
	if (strcmp(t, "array") == 0) return json_is_array(v);
	if (strcmp(t, "string") == 0) return json_is_string(v);
	if (strcmp(t, "integer") == 0) return json_is_integer(v);
	if (strcmp(t, "number") == 0) return json_is_number(v);
	if (strcmp(t, "boolean") == 0) return json_is_boolean(v);
	if (strcmp(t, "null") == 0) return json_is_null(v);
	return 0;
}

/* 0 when v matches schema s; else -1 with where in why. */
static int
validate(const json_t *s, json_t *v, const char *at, char *why, size_t n)
{
	const json_t *t = json_object_get(s, "type"), *props = json_object_get(s, "properties");
	const json_t *e;
	json_t *x;
	const char *k;
	char sub[256];
	size_t i;
	int ok = 0;

	if (json_is_string(t))
		ok = type_ok(json_string_value(t), v);
	else if (json_is_array(t))
		json_array_foreach(t, i, e)
			ok |= type_ok(json_string_value(e), v);
	else
		ok = 1;
	if (!ok)
		return snprintf(why, n, "%s: wrong type", at), -1;
	if ((e = json_object_get(s, "enum")) != NULL) {
		ok = 0;
		json_array_foreach(e, i, x)
			ok |= json_equal(x, v);
		if (!ok)
			return snprintf(why, n, "%s: not in enum", at), -1;
	}
	json_array_foreach(json_object_get(s, "required"), i, e)
		if (json_object_get(v, json_string_value(e)) == NULL)
			return snprintf(why, n, "%s: no %s", at, json_string_value(e)), -1;
	if (json_is_object(v))
		json_object_foreach(v, k, x) {
			snprintf(sub, sizeof(sub), "%.120s.%.100s", at, k);
			if (json_object_get(props, k) != NULL) {
				if (validate(json_object_get(props, k), x, sub, why, n) != 0)
					return -1;
			} else if (json_is_false(json_object_get(s, "additionalProperties"))) {
				return snprintf(why, n, "%s: not allowed", sub), -1;
			}
		}
	if (json_is_array(v) && json_object_get(s, "items") != NULL)
		json_array_foreach(v, i, x) {
			snprintf(sub, sizeof(sub), "%.200s[%zu]", at, i);
			if (validate(json_object_get(s, "items"), x, sub, why, n) != 0)
				return -1;
		}
	return 0;
}

/* The validator itself rejects what it should, so a pass above means something. */
static void
test_validator_rejects(void **state)
{
	json_t *s = json_loads("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
	    "[\"string\",\"null\"]},\"b\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}},"
	    "\"c\":{\"type\":\"string\",\"enum\":[\"x\"]}},\"required\":[\"a\"],"
	    "\"additionalProperties\":false}", 0, NULL);
	static const char *const bad[] = { "{}", "{\"a\":1}", "{\"a\":null,\"b\":[\"1\"]}",
		"{\"a\":\"s\",\"c\":\"y\"}", "{\"a\":\"s\",\"d\":1}", "[]" };
	static const char *const good[] = { "{\"a\":null}", "{\"a\":\"s\",\"b\":[1,2],\"c\":\"x\"}" };
	char why[WHY_MAX];
	json_t *v;
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_int_equal(validate(s, v, "v", why, sizeof(why)), -1);
		json_decref(v);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = json_loads(good[i], 0, NULL);
		assert_int_equal(validate(s, v, "v", why, sizeof(why)), 0);
		json_decref(v);
	}
	json_decref(s);
}

/* ---- the table ---- */

static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == n;
}

/* required names only properties (recursively, through properties and items). */
static void
check_required(const json_t *s, const char *tool)
{
	json_t *props = json_object_get(s, "properties"), *e;
	const char *k;
	size_t i;

	json_array_foreach(json_object_get(s, "required"), i, e) {
		if (json_object_get(props, json_string_value(e)) == NULL)
			fail_msg("%s: required '%s' is not a property", tool, json_string_value(e));
	}
	json_object_foreach(props, k, e)
		check_required(e, tool);
	if (json_object_get(s, "items") != NULL)
		check_required(json_object_get(s, "items"), tool);
}

static void
test_table_shapes(void **state)
{
	const struct bos_tool *t;
	json_error_t je;
	json_t *in, *out;
	size_t n, i, k;

	(void)state;
	t = tool_table(&n);
	assert_int_equal(n, 38);
	for (i = 0; i < n; i++) {
		assert_true(name_ok(t[i].name));
		for (k = 0; k < i; k++)
			assert_string_not_equal(t[i].name, t[k].name);
		assert_true(tool_find(t[i].name) == &t[i]);
		assert_true(t[i].title != NULL && t[i].title[0] != '\0');
		assert_true(t[i].description != NULL && strlen(t[i].description) > 40);
		assert_non_null(strstr(t[i].description, "bosctl"));
		assert_non_null(t[i].run);
		assert_non_null(t[i].render);
		if ((in = json_loads(t[i].input_schema, JSON_REJECT_DUPLICATES, &je)) == NULL)
			fail_msg("%s: inputSchema: %s at %d", t[i].name, je.text, je.position);
		if ((out = json_loads(t[i].output_schema, JSON_REJECT_DUPLICATES, &je)) == NULL)
			fail_msg("%s: outputSchema: %s at %d", t[i].name, je.text, je.position);
		assert_string_equal(json_string_value(json_object_get(in, "type")), "object");
		assert_true(json_is_object(json_object_get(in, "properties")));
		assert_true(json_is_false(json_object_get(in, "additionalProperties")));
		assert_string_equal(json_string_value(json_object_get(out, "type")), "object");
		check_required(in, t[i].name);
		check_required(out, t[i].name);
		json_decref(in);
		json_decref(out);
	}
	assert_null(tool_find("credential_reveal"));
	assert_null(tool_find(NULL));
}

/* ---- the tools against the canned vault ---- */

struct call {
	const char *tool, *args;
	int ok;
};

static const struct call calls[] = {
	{ "status", "{}", 1 },
	{ "credentials_list", "{}", 1 },
	{ "credentials_list", "{\"service\":\"ads\",\"type\":\"card\"}", 1 },
	{ "credential_show", "{\"id\":\"corp-card\"}", 1 },
	{ "credential_show", "{\"id\":\"cr_old\"}", 1 },
	{ "credential_show", "{\"id\":\"cr_nope\"}", 0 },
	{ "credential_verify", "{\"id\":\"cr_card\",\"wait_seconds\":0}", 1 },
	{ "credential_verify", "{\"id\":\"cr_old\"}", 0 },
	{ "helpers_list", "{}", 1 },
	{ "helper_add", "{\"name\":\"Bob\",\"contact\":\"bob@example.com\",\"kind\":\"setup\"}", 1 },
	{ "helper_revoke", "{\"id\":\"hl_1\"}", 1 },
	{ "helper_revoke", "{\"id\":\"hl_nope\"}", 0 },
	{ "grants_list", "{\"helper\":\"hl_1\",\"state\":\"active\"}", 1 },
	{ "grant_create", "{\"helper\":\"hl_1\",\"credentials\":[\"cr_card\"],\"actions\":[\"read\"],"
	  "\"ttl_seconds\":3600,\"max_uses\":3,\"cidrs\":[\"10.0.0.0/8\"],\"note\":\"n\"}", 1 },
	{ "grant_create", "{\"helper\":\"hl_1\",\"credentials\":[],\"actions\":[\"read\"]}", 0 },
	{ "grant_revoke", "{\"accessor\":\"acc_abcdefghijklmnopqrst\"}", 1 },
	{ "grant_revoke", "{\"accessor\":\"bos_h_notanaccessor12345\"}", 0 },
	{ "audit_tail", "{\"lines\":2}", 1 },
	{ "audit_search", "{\"action\":\"login\",\"since\":\"2026-12-07T00:00:00Z\",\"limit\":5}", 1 },
	{ "budgets_get", "{}", 1 },
	{ "budget_set", "{\"service\":\"sendgrid\",\"currency\":\"USD\",\"daily\":5000}", 1 },
	{ "budget_set", "{\"service\":\"lower\",\"currency\":\"USD\",\"daily\":100}", 1 },
	{ "budget_set", "{\"service\":\"nosuch\",\"currency\":\"USD\",\"daily\":100}", 0 },
	{ "budget_resume", "{\"service\":\"sendgrid\"}", 1 },
	{ "spend_report", "{}", 1 },
	{ "spend_report", "{\"from\":\"2026-12-01\"}", 0 },
	{ "alerts_list", "{\"state\":\"all\"}", 1 },
	{ "alert_ack", "{\"id\":\"al_1\"}", 1 },
	{ "alert_resolve", "{\"id\":\"al_1\"}", 1 },
	{ "jobs_list", "{\"state\":\"done\",\"kind\":\"verify\"}", 1 },
	{ "jobs_list", "{\"kind\":\"send_sms\"}", 1 },
	{ "jobs_list", "{\"kind\":\"send_fax\"}", 0 },
	{ "jobs_list", "{\"kind\":\"ad_insights\"}", 1 },
	{ "jobs_list", "{\"kind\":\"ad_delete\"}", 0 },
	{ "approvals_list", "{\"state\":\"all\"}", 1 },
	{ "outreach_lists", "{}", 1 },
	{ "outreach_list_import", "{\"name\":\"advisors\",\"data\":\"email,consent\\na@b.example,"
	  "email\\n\"}", 1 },
	{ "outreach_list_import", "{\"name\":\"advisors\",\"format\":\"json\",\"contacts\":[{"
	  "\"email\":\"a@b.example\",\"consent\":\"email\"}]}", 1 },
	{ "outreach_list_import", "{\"name\":\"ol_1\",\"append\":true,\"data\":\"phone\\n+15551234567"
	  "\"}", 1 },
	{ "outreach_list_import", "{\"name\":\"nosuch\",\"append\":true,\"data\":\"email\\n\"}", 0 },
	{ "outreach_list_import", "{\"name\":\"advisors\"}", 0 },
	{ "outreach_list_import", "{\"name\":\"advisors\",\"data\":\"x\",\"contacts\":[{}]}", 0 },
	{ "outreach_list_import", "{\"name\":\"advisors\",\"format\":\"json\",\"data\":\"x\"}", 0 },
	{ "outreach_suppressions", "{\"channel\":\"email\"}", 1 },
	{ "outreach_suppressions", "{\"channel\":\"fax\"}", 0 },
	{ "outreach_suppressions", "{\"limit\":5,\"cursor\":\"41\"}", 1 },
	{ "outreach_suppressions", "{\"cursor\":\"41&channel=sms\"}", 0 },
	{ "outreach_suppressions", "{\"limit\":0}", 0 },
	{ "outreach_suppress", "{\"address\":\"gone@example.com\"}", 1 },
	{ "outreach_suppress", "{\"address\":\"gone@example.com\",\"channel\":\"fax\"}", 0 },
	{ "campaign_create", "{\"channel\":\"email\",\"list\":\"advisors\",\"from\":\"hi@acme.example\","
	  "\"subject\":\"Hello\",\"text\":\"Hi {{name}}\",\"provider\":\"sendgrid\",\"per_minute\":10}", 1 },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"advisors\",\"from\":\"+15550000000\","
	  "\"body\":\"Hi\",\"provider\":\"twilio\",\"start\":false}", 1 },
	{ "campaign_create", "{\"channel\":\"email\",\"list\":\"advisors\",\"from\":\"hi@acme.example\","
	  "\"subject\":\"Hello\",\"text\":\"Hi\",\"provider\":\"twilio\"}", 0 },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"advisors\",\"from\":\"+15550000000\","
	  "\"body\":\"Hi\",\"subject\":\"x\",\"provider\":\"twilio\"}", 0 },
	{ "campaign_create", "{\"channel\":\"email\",\"list\":\"advisors\",\"from\":\"hi@acme.example\","
	  "\"text\":\"Hi\",\"provider\":\"sendgrid\"}", 0 },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"advisors\",\"from\":\"+15550000000\","
	  "\"provider\":\"twilio\"}", 0 },
	{ "campaigns_list", "{\"state\":\"running\"}", 1 },
	{ "campaigns_list", "{\"state\":\"bogus\"}", 0 },
	{ "campaign_show", "{\"id\":\"cp_1\"}", 1 },
	{ "campaign_show", "{\"id\":\"cp_nope\"}", 0 },
	{ "campaign_start", "{\"id\":\"cp_2\"}", 1 },
	{ "campaign_pause", "{\"id\":\"cp_1\"}", 1 },
	{ "campaign_resume", "{\"id\":\"cp_1\"}", 1 },
	{ "campaign_resume", "{\"id\":\"cp_done\"}", 0 },
	{ "campaign_cancel", "{\"id\":\"cp_1\"}", 1 },
	{ "outreach_stats", "{}", 1 },
	{ "outreach_stats", "{\"campaign\":\"cp_1\"}", 1 },
	{ "ad_create", "{\"name\":\"Spring sale\",\"credential\":\"meta-main\",\"account\":"
	  "\"act_1234567890\",\"post\":\"111_222\",\"daily_budget\":{\"amount\":5000,"
	  "\"currency\":\"USD\"},\"countries\":[\"US\",\"CA\"]}", 1 },
	{ "ad_create", "{\"name\":\"Spring sale\",\"credential\":\"meta-main\",\"account\":"
	  "\"act_1\",\"post\":\"1_2\",\"countries\":[\"US\"]}", 0 },
	{ "ad_list", "{}", 1 },
	{ "ad_show", "{\"id\":\"ad_1\"}", 1 },
	{ "ad_show", "{\"id\":\"ad_nope\"}", 0 },
	{ "ad_show", "{}", 0 },
	{ "ad_pause", "{\"id\":\"ad_1\"}", 1 },
	{ "ad_pause", "{\"id\":\"ad_2\"}", 0 },
	{ "ad_resume", "{\"id\":\"ad_2\"}", 1 },
};

static struct http_client *
client(void)
{
	struct http_client *hc = NULL;
	struct bos_err err;
	char addr[128];

	snprintf(addr, sizeof(addr), "unix:%s", fake.path);
	assert_int_equal(http_client_new(addr, NULL, &hc, &err), 0);
	return hc;
}

/* Run one call; its output validated, or its error message non-empty. */
static json_t *
run_call(const struct call *c)
{
	const struct bos_tool *t = tool_find(c->tool);
	struct http_client *hc = client();
	json_t *args = json_loads(c->args, 0, NULL), *out = NULL, *schema;
	struct bos_err err;
	char why[WHY_MAX], *text, *dump;
	int r;

	assert_non_null(t);
	assert_non_null(args);
	bos_err_clear(&err);
	r = t->run(hc, args, &out, &err);
	http_client_free(hc);
	json_decref(args);
	if (!c->ok) {
		if (r == 0)
			fail_msg("%s %s: succeeded, expected a failure", c->tool, c->args);
		assert_null(out);
		assert_true(err.msg[0] != '\0');
		assert_null(strstr(err.msg, CANARY));
		return NULL;
	}
	if (r != 0)
		fail_msg("%s %s: %s", c->tool, c->args, err.msg);
	schema = json_loads(t->output_schema, 0, NULL);
	if (validate(schema, out, c->tool, why, sizeof(why)) != 0)
		fail_msg("%s: output does not match its schema: %s", c->tool, why);
	json_decref(schema);
	dump = json_dumps(out, JSON_COMPACT);
	if (strstr(dump, CANARY) != NULL || strstr(dump, "bos_h_") != NULL)
		fail_msg("%s: a canary in the output: %s", c->tool, dump);
	free(dump);
	text = t->render(out);
	assert_non_null(text);
	assert_null(strstr(text, CANARY));
	free(text);
	return out;
}

static void
test_each_tool_output_matches_schema(void **state)
{
	const struct bos_tool *t;
	size_t i, k, n;
	int seen;

	(void)state;
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		json_decref(run_call(&calls[i]));
	/* Every tool was called at least once with success. */
	t = tool_table(&n);
	for (k = 0; k < n; k++) {
		seen = 0;
		for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
			seen |= calls[i].ok && strcmp(calls[i].tool, t[k].name) == 0;
		if (!seen)
			fail_msg("tool %s is not exercised", t[k].name);
	}
}

static void
test_outputs(void **state)
{
	static const struct call show = { "credential_show", "{\"id\":\"corp-card\"}", 1 };
	static const struct call set = { "budget_set",
		"{\"service\":\"sendgrid\",\"currency\":\"USD\",\"daily\":5000}", 1 };
	static const struct call lower = { "budget_set",
		"{\"service\":\"lower\",\"currency\":\"USD\",\"monthly\":100}", 1 };
	static const struct call grant_c = { "grant_create", "{\"helper\":\"hl_1\",\"credentials\":"
		"[\"cr_card\"],\"actions\":[\"read\"]}", 1 };
	static const struct call tail = { "audit_tail", "{}", 1 };
	json_t *o;

	(void)state;
	o = run_call(&show);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(o,
	    "credential"), "card"), "last4")), "1111");
	assert_null(json_object_get(json_object_get(o, "credential"), "secret"));
	json_decref(o);
	o = run_call(&set);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "pending_approval");
	assert_string_equal(json_string_value(json_object_get(o, "next")),
	    "ask the admin to run 'bosctl approve ap_1' in a terminal");
	assert_null(json_object_get(json_object_get(o, "approval"), "params"));
	json_decref(o);
	o = run_call(&lower);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "applied");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "budget"),
	    "daily")), 1000);
	json_decref(o);
	o = run_call(&grant_c);
	assert_string_equal(json_string_value(json_object_get(o, "next")), "the admin runs 'bosctl "
	    "grant pickup acc_abcdefghijklmnopqrst' in a terminal within 10 minutes");
	json_decref(o);
	o = run_call(&tail);  /* newest first from the vault, oldest first out */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(o,
	    "records"), 0), "seq")), 1);
	json_decref(o);
}

/* A vault that answers a pickup grant with its token: refused, and the grant revoked. */
static void
test_grant_create_refuses_a_token(void **state)
{
	static const struct call c = { "grant_create", "{\"helper\":\"hl_1\",\"credentials\":"
		"[\"cr_card\"],\"actions\":[\"read\"]}", 0 };
	size_t i, before = fake.nseen;
	int revoked = 0;

	(void)state;
	fake.grant_with_token = 1;
	assert_null(run_call(&c));
	fake.grant_with_token = 0;
	for (i = before; i < fake.nseen; i++)
		revoked |= strcmp(fake.seen[i], "DELETE /grants/acc_abcdefghijklmnopqrst") == 0;
	assert_true(revoked);
}

/* No tool ever asks for a credential's secret (GET /credentials/{id}). */
static void
test_no_secret_route(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < fake.nseen; i++)
		if (strncmp(fake.seen[i], "GET /credentials/", 17) == 0 &&
		    strcmp(fake.seen[i], "GET /credentials/audit") != 0)
			fail_msg("a tool asked for %s", fake.seen[i]);
	assert_true(fake.nseen > 30);
}

/* ---- outreach ---- */

static const char *
out_str(const json_t *o, const char *a, const char *b)
{
	return json_string_value(json_object_get(b != NULL ? json_object_get(o, a) : o,
	    b != NULL ? b : a));
}

/* Run a call that must fail; its message in msg. */
static void
run_fail(const char *tool, const char *args, char *msg, size_t n)
{
	const struct bos_tool *t = tool_find(tool);
	struct http_client *hc = client();
	json_t *a = json_loads(args, 0, NULL), *out = NULL;
	struct bos_err err;

	assert_non_null(a);
	bos_err_clear(&err);
	assert_int_equal(t->run(hc, a, &out, &err), -1);
	assert_null(out);
	http_client_free(hc);
	json_decref(a);
	snprintf(msg, n, "%s", err.msg);
}

/* The import: counts out, never the contacts; append goes to the list's id without a name. */
static void
test_outreach_import(void **state)
{
	static const struct call create = { "outreach_list_import", "{\"name\":\"advisors\","
		"\"data\":\"email\\na@b.example\\n\"}", 1 };
	static const struct call append = { "outreach_list_import", "{\"name\":\"advisors\","
		"\"append\":true,\"format\":\"json\",\"contacts\":[{\"email\":\"a@b.example\"}]}", 1 };
	char msg[512];
	json_t *o, *b;

	(void)state;
	o = run_call(&create);
	assert_string_equal(fake.last_req, "POST /outreach/lists");
	b = json_loads(fake.last_body, 0, NULL);
	assert_string_equal(out_str(b, "name", NULL), "advisors");
	assert_string_equal(out_str(b, "format", NULL), "csv");
	assert_string_equal(out_str(b, "data", NULL), "email\na@b.example\n");
	assert_null(json_object_get(b, "append"));
	json_decref(b);
	assert_int_equal(json_integer_value(json_object_get(o, "imported")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "duplicates")), 1);
	assert_true(json_is_false(json_object_get(o, "appended")));
	assert_null(json_object_get(o, "contacts"));
	assert_null(json_object_get(json_object_get(o, "list"), "sample"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "list"),
	    "contacts")), 3);
	json_decref(o);

	o = run_call(&append);
	assert_string_equal(fake.last_req, "POST /outreach/lists/ol_1/contacts");
	b = json_loads(fake.last_body, 0, NULL);
	assert_null(json_object_get(b, "name"));
	assert_null(json_object_get(b, "append"));
	assert_string_equal(out_str(b, "format", NULL), "json");
	assert_int_equal(json_array_size(json_object_get(b, "contacts")), 1);
	json_decref(b);
	assert_true(json_is_true(json_object_get(o, "appended")));
	json_decref(o);

	/* Bad rows: the rows named (control bytes made visible), and how many more. */
	fake.import_answer = 1;
	run_fail("outreach_list_import", "{\"name\":\"x\",\"data\":\"email\\nbad\\n\"}", msg,
	    sizeof(msg));
	assert_non_null(strstr(msg, "3 rows are invalid; nothing was imported"));
	assert_non_null(strstr(msg, "row 2 (email): not an e-mail address;"));
	assert_non_null(strstr(msg, "row 5 (phone): not E.164??;"));
	assert_non_null(strstr(msg, "and 1 more"));
	assert_null(strchr(msg, '\n'));
	/* Many rows: as many as fit in one message (512 bytes), then how many more. */
	fake.import_answer = 3;
	run_fail("outreach_list_import", "{\"name\":\"x\",\"data\":\"email\\nbad\\n\"}", msg,
	    sizeof(msg));
	assert_non_null(strstr(msg, "150 rows are invalid; nothing was imported"));
	assert_non_null(strstr(msg, "row 2 (email): not an e-mail address;"));
	assert_non_null(strstr(msg, "row 4 (email)"));
	assert_null(strstr(msg, "row 200 (email)"));
	assert_true(strlen(msg) < 511);
	{
		const char *more = strstr(msg, "; and ");
		int k = 0;

		assert_non_null(more);
		assert_int_equal(sscanf(more, "; and %d more", &k), 1);
		assert_true(k > 50 && k < 150);
		/* The rows named and the rows counted add up to 150. */
		for (more = msg; (more = strstr(more, " row ")) != NULL; more++)
			k++;
		assert_int_equal(k, 150);
	}
	fake.import_answer = 4;
	run_fail("outreach_list_import", "{\"name\":\"x\",\"data\":\"email\\n\"}", msg, sizeof(msg));
	assert_non_null(strstr(msg, "import them in parts"));
	fake.import_answer = 2;
	run_fail("outreach_list_import", "{\"name\":\"advisors\",\"data\":\"email\\n\"}", msg,
	    sizeof(msg));
	assert_non_null(strstr(msg, "a contact list named 'advisors' exists: give append: true"));
	fake.import_answer = 0;
	/* Nothing sent when the arguments do not fit together. */
	snprintf(fake.last_req, sizeof(fake.last_req), "none");
	run_fail("outreach_list_import", "{\"name\":\"x\",\"format\":\"csv\",\"contacts\":[{}]}",
	    msg, sizeof(msg));
	assert_string_equal(fake.last_req, "none");
	assert_non_null(strstr(msg, "format csv takes data"));
}

/* A campaign: what is sent is what was given (the channel picks the route), what comes back is the allow-list. */
static void
test_outreach_campaigns(void **state)
{
	static const struct call create = { "campaign_create", "{\"channel\":\"email\",\"list\":"
		"\"advisors\",\"from\":\"hi@acme.example\",\"subject\":\"Hello\",\"text\":\"Hi\","
		"\"html\":\"<p>Hi</p>\",\"provider\":\"sendgrid\",\"credential\":\"sg\","
		"\"per_minute\":60,\"start\":false}", 1 };
	static const struct call show = { "campaign_show", "{\"id\":\"cp_1\"}", 1 };
	static const struct call stats_c = { "outreach_stats", "{\"campaign\":\"cp_1\"}", 1 };
	static const struct call spend = { "spend_report", "{}", 1 };
	static const struct call supp_l = { "outreach_suppressions", "{\"cursor\":\"41\"}", 1 };
	static const struct call stats_odd = { "outreach_stats", "{\"campaign\":\"cp_1&state=done/..\"}",
		1 };
	static const struct call status = { "status", "{}", 1 };
	static const struct call supp_c = { "outreach_suppress", "{\"address\":\"gone@example.com\","
		"\"channel\":\"email\"}", 1 };
	const json_t *c;
	char msg[512];
	json_t *o, *b;

	(void)state;
	o = run_call(&create);
	assert_string_equal(fake.last_req, "POST /outreach/email");
	b = json_loads(fake.last_body, 0, NULL);
	assert_null(json_object_get(b, "channel"));
	assert_int_equal(json_object_size(b), 9);
	assert_true(json_is_false(json_object_get(b, "start")));
	assert_int_equal(json_integer_value(json_object_get(b, "per_minute")), 60);
	json_decref(b);
	c = json_object_get(o, "campaign");
	assert_string_equal(out_str(c, "id", NULL), "cp_1");
	assert_null(json_object_get(c, "text"));             /* bodies: campaign_show only */
	assert_null(json_object_get(c, "recipients_list"));
	assert_null(json_object_get(c, "credential_secret"));
	assert_null(json_object_get(json_object_get(c, "price"), "x"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "price"),
	    "micros")), 1000);
	json_decref(o);

	o = run_call(&show);
	assert_string_equal(out_str(json_object_get(o, "campaign"), "text", NULL), "Hi {{name}}");
	assert_true(json_is_null(json_object_get(json_object_get(o, "campaign"), "html")));
	json_decref(o);

	o = run_call(&stats_c);
	c = json_array_get(json_object_get(o, "stats"), 0);
	assert_int_equal(json_array_size(json_object_get(o, "stats")), 1);
	assert_true(json_real_value(json_object_get(json_object_get(c, "rates"), "opened")) == 0.5);
	assert_true(json_is_null(json_object_get(json_object_get(c, "rates"), "unsubscribed")));
	assert_null(json_object_get(json_object_get(c, "rates"), "leak"));
	assert_null(json_object_get(c, "addresses"));
	json_decref(o);

	/* What an argument puts in a URL is escaped or refused, never spliced. */
	o = run_call(&stats_odd);
	assert_string_equal(fake.last_req, "GET /outreach/stats");
	assert_string_equal(fake.last_query, "campaign=cp_1%26state%3Ddone%2F..");
	json_decref(o);
	o = run_call(&supp_l);
	assert_string_equal(fake.last_query, "limit=100&cursor=41");
	assert_string_equal(out_str(o, "next", NULL), "41");
	assert_null(json_object_get(json_array_get(json_object_get(o, "suppressions"), 0), "token"));
	json_decref(o);
	o = run_call(&supp_c);
	assert_true(json_is_true(json_object_get(o, "created")));
	assert_string_equal(out_str(o, "suppression", "reason"), "unsubscribed");
	assert_null(json_object_get(json_object_get(o, "suppression"), "token"));
	json_decref(o);

	/* The cost: each campaign's spend in spend_report, not in status's spend of today. */
	o = run_call(&spend);
	c = json_array_get(json_object_get(o, "campaigns"), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "spent_micros")), 4000);
	assert_int_equal(json_integer_value(json_object_get(c, "messages")), 4);
	assert_null(json_object_get(c, "recipients"));
	json_decref(o);
	o = run_call(&status);
	assert_non_null(json_object_get(json_object_get(o, "spend_today"), "services"));
	assert_null(json_object_get(json_object_get(o, "spend_today"), "campaigns"));
	json_decref(o);

	run_fail("campaign_resume", "{\"id\":\"cp_done\"}", msg, sizeof(msg));
	assert_non_null(strstr(msg, "campaign_state"));
	snprintf(fake.last_req, sizeof(fake.last_req), "none");
	run_fail("campaign_create", "{\"channel\":\"sms\",\"list\":\"a\",\"from\":\"+15550000000\","
	    "\"body\":\"x\",\"provider\":\"sendgrid\"}", msg, sizeof(msg));
	assert_non_null(strstr(msg, "twilio or plivo"));
	assert_string_equal(fake.last_req, "none");
}

/* Ads: the body is the route's, the answer the allow-list, a refusal the vault's message. */
static void
test_ads(void **state)
{
	static const struct call create = { "ad_create", "{\"name\":\"Spring sale\","
		"\"credential\":\"meta-main\",\"account\":\"act_1234567890\",\"post\":\"111_222\","
		"\"daily_budget\":{\"amount\":5000,\"currency\":\"USD\"},\"countries\":[\"US\","
		"\"CA\"],\"objective\":\"OUTCOME_ENGAGEMENT\",\"special_ad_categories\":"
		"[\"HOUSING\"]}", 1 };
	static const struct call list = { "ad_list", "{}", 1 };
	static const struct call odd = { "ad_show", "{\"id\":\"ad_1/pause\"}", 0 };
	const json_t *a;
	char msg[512], *text;
	json_t *o, *b;

	(void)state;
	o = run_call(&create);
	assert_string_equal(fake.last_req, "POST /outreach/ad");
	b = json_loads(fake.last_body, 0, NULL);
	assert_int_equal(json_object_size(b), 8);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(b, "daily_budget"),
	    "amount")), 5000);
	assert_string_equal(out_str(b, "objective", NULL), "OUTCOME_ENGAGEMENT");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b,
	    "special_ad_categories"), 0)), "HOUSING");
	json_decref(b);
	a = json_object_get(o, "ad");
	assert_string_equal(out_str(a, "state", NULL), "creating");
	assert_string_equal(out_str(a, "meta", "campaign"), "120000000001");
	assert_true(json_is_null(json_object_get(json_object_get(a, "meta"), "creative")));
	assert_null(json_object_get(json_object_get(a, "meta"), "token"));
	assert_null(json_object_get(json_object_get(a, "daily_budget"), "x"));
	assert_null(json_object_get(a, "access_token"));
	assert_null(json_object_get(a, "pending"));
	text = tool_find("ad_create")->render(o);
	assert_non_null(strstr(text, "ad ad_1 is creating: daily budget 50.00 USD, countries US, CA"));
	free(text);
	json_decref(o);

	/* spent_today as {amount, currency} or as minor units of the ad's currency. */
	o = run_call(&list);
	assert_int_equal(json_array_size(json_object_get(o, "ads")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(o,
	    "ads"), 1), "spent_today")), 300);
	text = tool_find("ad_list")->render(o);
	assert_non_null(strstr(text, "ad_1                          active    daily      50.00 USD  "
	    "today       2.00 USD  spent      12.34 USD  Spring sale\n"));
	assert_non_null(strstr(text, "ad_2                          paused    daily      50.00 USD  "
	    "today       3.00 USD  spent      12.34 USD  Spring sale\n"));
	free(text);
	json_decref(o);

	/* The vault's refusals, as a person can act on them. */
	fake.ad_answer = 1;
	run_fail("ad_create", create.args, msg, sizeof(msg));
	assert_non_null(strstr(msg, "above what the budgets leave today: 12.00 USD"));
	assert_non_null(strstr(msg, "over_budget, HTTP 409"));
	fake.ad_answer = 2;
	run_fail("ad_create", create.args, msg, sizeof(msg));
	assert_non_null(strstr(msg, "bosctl budget set meta"));
	assert_non_null(strstr(msg, "no_budget"));
	fake.ad_answer = 0;
	run_fail("ad_pause", "{\"id\":\"ad_2\"}", msg, sizeof(msg));
	assert_non_null(strstr(msg, "ad_state, HTTP 409"));
	/* An id is escaped into the path, never spliced. */
	json_decref(run_call(&odd));
	assert_string_equal(fake.last_req, "GET /outreach/ads/ad_1%2Fpause");
	/* Nothing sent without a daily budget. */
	snprintf(fake.last_req, sizeof(fake.last_req), "none");
	run_fail("ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\","
	    "\"post\":\"1_2\",\"countries\":[\"US\"]}", msg, sizeof(msg));
	assert_string_equal(fake.last_req, "none");
	assert_non_null(strstr(msg, "daily_budget"));
}

/* The server's schema check (tool_args_check) refuses what each outreach tool must not get. */
struct refusal {
	const char *tool, *args, *why;   /* why: NULL for arguments that pass */
};

static const struct refusal refusals[] = {
	{ "outreach_lists", "{}", NULL },
	{ "outreach_lists", "{\"all\":true}", "'all' is not known" },
	{ "outreach_list_import", "{\"name\":\"a\",\"data\":\"email\\n\"}", NULL },
	{ "outreach_list_import", "{\"data\":\"email\\n\"}", "'name' is required" },
	{ "outreach_list_import", "{\"name\":7,\"data\":\"x\"}", "'name' must be a string" },
	{ "outreach_list_import", "{\"name\":\"\",\"data\":\"x\"}", "'name'" },
	{ "outreach_list_import", "{\"name\":\"a\",\"format\":\"xml\",\"data\":\"x\"}", "'format'" },
	{ "outreach_list_import", "{\"name\":\"a\",\"append\":\"yes\",\"data\":\"x\"}",
	  "'append' must be true or false" },
	{ "outreach_list_import", "{\"name\":\"a\",\"contacts\":[{\"email\":\"a@b.c\",\"ssn\":\"1\"}]}",
	  "'contacts[0].ssn' is not known" },
	{ "outreach_list_import", "{\"name\":\"a\",\"contacts\":[{\"consent\":\"yes\"}]}",
	  "'contacts[0].consent'" },
	{ "outreach_list_import", "{\"name\":\"a\",\"contacts\":[]}", "'contacts'" },
	{ "outreach_list_import", "{\"name\":\"a\",\"contacts\":[{\"fields\":{\"team\":\"x\"}}]}",
	  NULL },
	{ "outreach_list_import", "{\"name\":\"a\",\"contacts\":\"a@b.c\"}", "must be an array" },
	{ "outreach_suppressions", "{\"channel\":\"sms\"}", NULL },
	{ "outreach_suppressions", "{\"channel\":\"fax\"}", "'channel'" },
	{ "outreach_suppressions", "{\"limit\":1001}", "'limit'" },
	{ "outreach_suppressions", "{\"cursor\":41}", "'cursor' must be a string" },
	{ "outreach_suppress", "{\"address\":\"a@b.c\"}", NULL },
	{ "outreach_suppress", "{}", "'address' is required" },
	{ "outreach_suppress", "{\"address\":[\"a@b.c\"]}", "'address' must be a string" },
	{ "outreach_suppress", "{\"address\":\"a@b.c\",\"reason\":\"x\"}", "'reason' is not known" },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"l\",\"from\":\"+1555000000\",\"body\":"
	  "\"hi\",\"provider\":\"twilio\",\"per_minute\":6000}", NULL },
	{ "campaign_create", "{\"channel\":\"sms\",\"from\":\"+1555000000\",\"body\":\"hi\","
	  "\"provider\":\"twilio\"}", "'list' is required" },
	{ "campaign_create", "{\"channel\":\"fax\",\"list\":\"l\",\"from\":\"f\",\"provider\":"
	  "\"twilio\"}", "'channel'" },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"l\",\"from\":\"f\",\"provider\":"
	  "\"twilio\",\"per_minute\":0}", "'per_minute'" },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"l\",\"from\":\"f\",\"provider\":"
	  "\"twilio\",\"per_minute\":6001}", "'per_minute'" },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"l\",\"from\":\"f\",\"provider\":"
	  "\"twilio\",\"per_minute\":\"10\"}", "'per_minute' must be an integer" },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"l\",\"from\":\"f\",\"provider\":"
	  "\"aws\"}", "'provider'" },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"l\",\"from\":\"f\",\"provider\":"
	  "\"twilio\",\"start\":1}", "'start' must be true or false" },
	{ "campaign_create", "{\"channel\":\"sms\",\"list\":\"l\",\"from\":\"f\",\"provider\":"
	  "\"twilio\",\"to\":\"+15550000000\"}", "'to' is not known" },
	{ "campaigns_list", "{\"state\":\"paused\"}", NULL },
	{ "campaigns_list", "{\"state\":\"sent\"}", "'state'" },
	{ "campaign_show", "{\"id\":\"cp_1\"}", NULL },
	{ "campaign_show", "{}", "'id' is required" },
	{ "campaign_show", "{\"id\":1}", "'id' must be a string" },
	{ "campaign_start", "{\"id\":\"\"}", "'id'" },
	{ "campaign_pause", "{\"id\":\"cp_1\",\"now\":true}", "'now' is not known" },
	{ "campaign_resume", "{}", "'id' is required" },
	{ "campaign_cancel", "{\"id\":null}", "'id' must be a string" },
	{ "outreach_stats", "{}", NULL },
	{ "jobs_list", "{\"kind\":\"send_email\"}", NULL },
	{ "jobs_list", "{\"kind\":\"send_fax\"}", "'kind'" },
	{ "jobs_list", "{\"kind\":\"ad_pause\"}", NULL },
	{ "outreach_stats", "{\"campaign\":5}", "'campaign' must be a string" },
	{ "outreach_stats", "{\"campaign\":\"cp_1\",\"from\":\"2026-12-01\"}", "'from' is not known" },
	{ "ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\",\"post\":"
	  "\"1_2\",\"daily_budget\":{\"amount\":1,\"currency\":\"USD\"},\"countries\":[\"US\"],"
	  "\"objective\":\"OUTCOME_AWARENESS\",\"special_ad_categories\":[\"HOUSING\"]}", NULL },
	{ "ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\",\"post\":"
	  "\"1_2\",\"daily_budget\":{\"amount\":0,\"currency\":\"USD\"},\"countries\":[\"US\"]}",
	  "'daily_budget.amount'" },
	{ "ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\",\"post\":"
	  "\"1_2\",\"daily_budget\":{\"amount\":\"50.00\",\"currency\":\"USD\"},\"countries\":"
	  "[\"US\"]}", "'daily_budget.amount' must be an integer" },
	{ "ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\",\"post\":"
	  "\"1_2\",\"daily_budget\":{\"amount\":5,\"currency\":\"USD\",\"max\":9},\"countries\":"
	  "[\"US\"]}", "'daily_budget.max' is not known" },
	{ "ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\",\"post\":"
	  "\"1_2\",\"daily_budget\":{\"amount\":5},\"countries\":[\"US\"]}",
	  "'daily_budget.currency' is required" },
	{ "ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\",\"post\":"
	  "\"1_2\",\"daily_budget\":{\"amount\":5,\"currency\":\"USD\"},\"countries\":[]}",
	  "'countries'" },
	{ "ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\",\"post\":"
	  "\"1_2\",\"daily_budget\":{\"amount\":5,\"currency\":\"USD\"},\"countries\":[\"US\"],"
	  "\"objective\":\"OUTCOME_SALES\"}", "'objective'" },
	{ "ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\",\"post\":"
	  "\"1_2\",\"daily_budget\":{\"amount\":5,\"currency\":\"USD\"},\"countries\":[\"US\"],"
	  "\"special_ad_categories\":[\"GAMBLING\"]}", "'special_ad_categories[0]'" },
	{ "ad_create", "{\"credential\":\"c\",\"account\":\"act_1\",\"post\":\"1_2\","
	  "\"daily_budget\":{\"amount\":5,\"currency\":\"USD\"},\"countries\":[\"US\"]}",
	  "'name' is required" },
	{ "ad_create", "{\"name\":\"n\",\"credential\":\"c\",\"account\":\"act_1\",\"post\":"
	  "\"1_2\",\"daily_budget\":{\"amount\":5,\"currency\":\"USD\"},\"countries\":[\"US\"],"
	  "\"access_token\":\"x\"}", "'access_token' is not known" },
	{ "ad_list", "{}", NULL },
	{ "ad_list", "{\"state\":\"active\"}", "'state' is not known" },
	{ "ad_show", "{\"id\":\"ad_1\"}", NULL },
	{ "ad_show", "{}", "'id' is required" },
	{ "ad_pause", "{\"id\":7}", "'id' must be a string" },
	{ "ad_resume", "{\"id\":\"\"}", "'id'" },
};

static void
test_outreach_schema_refusals(void **state)
{
	const struct bos_tool *t;
	struct bos_err err;
	json_t *schema, *args;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		t = tool_find(refusals[i].tool);
		assert_non_null(t);
		schema = json_loads(t->input_schema, 0, NULL);
		args = json_loads(refusals[i].args, 0, NULL);
		assert_non_null(args);
		bos_err_clear(&err);
		r = tool_args_check(schema, args, &err);
		if (refusals[i].why == NULL && r != 0)
			fail_msg("%s %s: refused: %s", refusals[i].tool, refusals[i].args, err.msg);
		if (refusals[i].why != NULL && (r == 0 || strstr(err.msg, refusals[i].why) == NULL))
			fail_msg("%s %s: expected a refusal naming %s, got %s", refusals[i].tool,
			    refusals[i].args, refusals[i].why, r == 0 ? "success" : err.msg);
		json_decref(schema);
		json_decref(args);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_rejects),
		cmocka_unit_test(test_table_shapes),
		cmocka_unit_test(test_each_tool_output_matches_schema),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_grant_create_refuses_a_token),
		cmocka_unit_test(test_no_secret_route),
		cmocka_unit_test(test_outreach_import),
		cmocka_unit_test(test_outreach_campaigns),
		cmocka_unit_test(test_outreach_schema_refusals),
		cmocka_unit_test(test_ads),
	};

	if (http_client_global_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
