/* The vault's sending routes; see send_link.h. */
#include "send_link.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define VS_PATH_MAX 256

void
send_msg_free(struct send_msg *m)
{
	json_decref(m->j);
	memset(m, 0, sizeof(*m));
}

/* A string member, NULL when absent or null; -1 when it is another type or holds a NUL. */
static int
vs_str(json_t *o, const char *key, const char **out)
{
	json_t *s = json_object_get(o, key);

	*out = NULL;
	if (s == NULL || json_is_null(s))
		return 0;
	if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s))
		return -1;
	*out = json_string_value(s);
	return 0;
}

static int
vs_headers(json_t *o, struct send_msg *m, struct bos_err *err)
{
	json_t *h = json_object_get(o, "headers"), *v;
	const char *k;

	if (h == NULL || json_is_null(h))
		return 0;
	if (!json_is_object(h))
		return bos_err_set(err, BOS_E_CORRUPT, "the message's headers are not an object");
	json_object_foreach(h, k, v) {
		if (m->nheaders == MSG_MIME_HEADERS_MAX)
			return bos_err_set(err, BOS_E_INVALID, "the message has more than %d headers",
			    MSG_MIME_HEADERS_MAX);
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return bos_err_set(err, BOS_E_INVALID, "header %.64s: not a string without NUL "
			    "(header injection refused)", k);
		/*
		 * The vault repeats the Message-ID among the headers: it is the message's
		 * (message_id), built into the message once, never a second header.
		 */
		if (strcasecmp(k, "Message-ID") == 0) {
			if (m->message_id == NULL)
				m->message_id = json_string_value(v);
			else if (strcmp(m->message_id, json_string_value(v)) != 0)
				return bos_err_set(err, BOS_E_INVALID, "the message's headers name "
				    "another Message-ID than its message_id");
			continue;
		}
		m->headers[m->nheaders].name = k;
		m->headers[m->nheaders].value = json_string_value(v);
		m->nheaders++;
	}
	return 0;
}

static int
vs_parse(json_t *j, struct send_msg *m, struct bos_err *err)
{
	json_t *o = json_object_get(j, "message");

	if (!json_is_object(o))
		return bos_err_set(err, BOS_E_CORRUPT, "the vault's answer has no message");
	if (vs_str(o, "id", &m->id) != 0 || vs_str(o, "channel", &m->channel) != 0 ||
	    vs_str(o, "provider", &m->provider) != 0 || vs_str(o, "to", &m->to) != 0 ||
	    vs_str(o, "from", &m->from) != 0 || vs_str(o, "subject", &m->subject) != 0 ||
	    vs_str(o, "text", &m->text) != 0 || vs_str(o, "html", &m->html) != 0 ||
	    vs_str(o, "body", &m->body) != 0 || vs_str(o, "message_id", &m->message_id) != 0 ||
	    vs_str(o, "token", &m->token) != 0 ||
	    vs_str(o, "status_callback", &m->status_callback) != 0)
		return bos_err_set(err, BOS_E_INVALID, "a field of the message is not a string "
		    "without NUL");
	if (m->id == NULL || m->channel == NULL || m->provider == NULL || m->to == NULL ||
	    m->from == NULL)
		return bos_err_set(err, BOS_E_CORRUPT, "the message lacks id, channel, provider, to "
		    "or from");
	return vs_headers(o, m, err);
}

int
send_link_fetch(struct vault_link *v, const struct broker_job *job, struct send_msg *m,
    struct vault_answer *ans, struct bos_err *err)
{
	char path[VS_PATH_MAX];
	json_t *res = NULL;

	memset(m, 0, sizeof(*m));
	(void)snprintf(path, sizeof(path), "/outreach/sends/%s?claim=%s", job->id, job->claim);
	if (vault_link_request(v, "GET", path, NULL, &res, ans, err) != 0)
		return -1;
	if (ans->status != 200) {
		json_decref(res);
		return bos_err_set(err, BOS_E_IO, "GET /outreach/sends/%s: %ld %s", job->id,
		    ans->status, ans->code);
	}
	m->j = res;
	if (vs_parse(res, m, err) != 0) {
		send_msg_free(m);
		return -1;
	}
	return 0;
}

/* POST path with body (consumed); 0 when the vault answered 200. */
static int
vs_post(struct vault_link *v, const char *path, json_t *body, struct vault_answer *ans,
    struct bos_err *err)
{
	json_t *res = NULL;
	int r = -1;

	memset(ans, 0, sizeof(*ans));
	if (body == NULL)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (vault_link_request(v, "POST", path, body, &res, ans, err) == 0) {
		if (ans->status == 200)
			r = 0;
		else
			bos_err_set(err, BOS_E_IO, "POST %s: %ld %s%s%s", path, ans->status, ans->code,
			    ans->message[0] != '\0' ? ": " : "", ans->message);
	}
	json_decref(res);
	json_decref(body);
	return r;
}

int
send_link_sending(struct vault_link *v, const struct broker_job *job,
    struct vault_answer *ans, struct bos_err *err)
{
	char path[VS_PATH_MAX];

	(void)snprintf(path, sizeof(path), "/outreach/sends/%s/sending", job->id);
	return vs_post(v, path, json_pack("{s:s}", "claim", job->claim), ans, err);
}

int
send_link_sent(struct vault_link *v, const struct broker_job *job, const char *provider_id,
    int has_price, long long price_micros, const char *currency, struct vault_answer *ans,
    struct bos_err *err)
{
	char path[VS_PATH_MAX];
	json_t *b = json_pack("{s:s}", "claim", job->claim);

	(void)snprintf(path, sizeof(path), "/outreach/sends/%s/sent", job->id);
	if (b != NULL && provider_id != NULL && provider_id[0] != '\0' &&
	    json_object_set_new(b, "provider_id", json_string(provider_id)) != 0) {
		json_decref(b);
		b = NULL;
	}
	if (b != NULL && has_price && json_object_set_new(b, "price", json_pack("{s:I, s:s}",
	    "micros", (json_int_t)price_micros, "currency", currency)) != 0) {
		json_decref(b);
		b = NULL;
	}
	return vs_post(v, path, b, ans, err);
}

int
send_link_complete(struct vault_link *v, const struct broker_job *job,
    const char *provider_id, const char *skipped, struct vault_answer *ans,
    struct bos_err *err)
{
	char path[VS_PATH_MAX];
	json_t *res = skipped != NULL ? json_pack("{s:s}", "skipped", skipped) :
	    provider_id != NULL && provider_id[0] != '\0' ?
	    json_pack("{s:s}", "provider_id", provider_id) : json_object();

	(void)snprintf(path, sizeof(path), "/jobs/%s/complete", job->id);
	return vs_post(v, path, res != NULL ? json_pack("{s:s, s:o}", "claim", job->claim,
	    "result", res) : NULL, ans, err);
}
