/* Connections' deadlines, shared by the server and the request; see http_conn.h. */
#include "http/http_conn.h"

void
http_conn_deadlines(const struct http_server *s, struct http_conn *hc, enum http_wait w)
{
	int64_t now = clock_mono_ms();

	switch (w) {
	case HTTP_WAIT_HEADERS:
		hc->header_deadline_ms = now + (int64_t)s->header_timeout_s * 1000;
		hc->deadline_ms = now + (int64_t)s->timeout_s * 1000;
		break;
	case HTTP_WAIT_BODY:
		hc->header_deadline_ms = 0;     /* the request's own deadline goes on */
		break;
	case HTTP_WAIT_NONE:
		hc->header_deadline_ms = hc->deadline_ms = 0;
		break;
	case HTTP_WAIT_SEND:
		hc->header_deadline_ms = 0;
		hc->deadline_ms = now + (int64_t)s->timeout_s * 1000;
		break;
	}
}

void
http_conn_wait(struct http_server *s, struct http_conn *hc, enum http_wait w)
{
	pthread_mutex_lock(&s->conn_lock);
	http_conn_deadlines(s, hc, w);
	pthread_mutex_unlock(&s->conn_lock);
}
