/*
 * Inside the HTTP core: the server, per-connection and per-request state
 * shared by http.c (listeners, connections, access log), http_req.c (the
 * request lifecycle and the checks before handlers), http_audit.c (the
 * request's record) and http_reply.c (responses), and the connections'
 * deadlines (http_conn.c). Nothing outside vault/http/ includes this.
 */
#ifndef BOS_HTTP_CONN_H
#define BOS_HTTP_CONN_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include "audit_chain.h"
#include "auth/auth.h"
#include "audit/batch.h"
#include "buf.h"
#include "clock.h"
#include "http/http_route.h"
#include "http/http_slots.h"

#define HTTP_REQ_ID_SIZE 19         /* "r_" + 16 hex + NUL */
#define HTTP_CLIENT_SIZE 48         /* an IPv6 address in text, or "unix" */
#define HTTP_EXTRA_HEADERS_MAX 8
#define HTTP_HEADER_NAME_MAX 64
#define HTTP_HEADER_VALUE_MAX 256
#define HTTP_ERR_MSG_MAX 512

struct http_server;

/* One MHD daemon: the TLS listener or the unix socket. */
struct http_listener {
	struct http_server *srv;
	enum http_transport transport;
	struct MHD_Daemon *d;
	struct http_slots slots;        /* this listener's requests in flight */
};

/*
 * One client connection (MHD's socket context). Lives in the server's list
 * from accept until just before MHD closes the socket, so the watchdog may
 * shutdown() its fd while holding conn_lock without ever touching a reused fd.
 */
struct http_conn {
	struct http_conn *prev, *next;
	int fd;
	enum http_transport transport;
	uid_t peer_uid;                 /* SO_PEERCRED on the unix socket, else (uid_t)-1 */
	char client[HTTP_CLIENT_SIZE];
	uint8_t addr_key[HTTP_SLOT_KEY_SIZE];   /* its address for the slots' shares (TCP) */
	struct http_listener *l;
	/* Monotonic deadlines, 0 when off (see enum http_wait); guarded by conn_lock. */
	int64_t header_deadline_ms;     /* the next request's headers, complete */
	int64_t deadline_ms;            /* the whole request; or the answer, sent */
	int evicted;
};

/* What a connection is waiting for, which sets its deadlines (docs/HTTP.md). */
enum http_wait {
	HTTP_WAIT_HEADERS,  /* accept or the end of the last answer: headers in header_timeout_s,
	                     * the whole request in timeout_s */
	HTTP_WAIT_BODY,     /* headers in: the rest of the request by the same timeout_s */
	HTTP_WAIT_NONE,     /* the request is complete and handled: no deadline */
	HTTP_WAIT_SEND,     /* the answer is queued: sent within timeout_s */
};

struct http_server {
	struct vault *v;
	const struct http_route *routes;
	size_t nroutes;
	size_t body_max;
	unsigned timeout_s;
	unsigned header_timeout_s;
	struct http_listener tcp, local;
	char *unix_path;                /* NULL when there is no unix listener */
	dev_t unix_dev;                 /* the socket file we made, so stop removes only it */
	ino_t unix_ino;

	pthread_mutex_t conn_lock;      /* guards conns and every http_conn's deadline */
	pthread_mutex_t log_lock;       /* guards the three below: libmicrohttpd's messages */
	int64_t log_window_ms;          /* start of the current second */
	unsigned log_in_window;         /* messages logged in it */
	unsigned long log_suppressed;   /* dropped since the last summary */
	struct http_conn *conns;
	pthread_t watchdog;
	int watchdog_started;
	pthread_cond_t watchdog_cv;
	int stopping;
};

enum http_req_phase { REQ_NEW, REQ_BODY, REQ_DONE };

struct http_req {
	struct http_server *srv;
	struct http_conn *hc;           /* NULL if the connection had no context */
	struct MHD_Connection *conn;
	char id[HTTP_REQ_ID_SIZE];
	struct timespec start;          /* CLOCK_MONOTONIC */
	char *raw_path;                 /* raw path of the request line, without the query */
	size_t raw_path_len;
	const char *target;             /* the request target where libmicrohttpd parsed it */
	size_t target_len;              /* its length up to the first NUL, query included */
	int target_bad;                 /* it holds a control, space, DEL or non-ASCII byte */
	enum http_req_phase phase;
	unsigned method;                /* enum http_method bit, 0 for others */
	struct http_match match;
	const struct http_route *route;

	/* An error found from the headers, answered at the right moment. */
	unsigned err_status;
	const char *err_code;
	char err_msg[HTTP_ERR_MSG_MAX];
	char err_allow[HTTP_ALLOW_SIZE];
	int close;                      /* answer with Connection: close */

	/* Body. */
	int has_body;
	uint64_t content_length;
	int length_known;
	struct buf body;
	int too_large;
	uint64_t discarded;
	json_t *json;

	/* Authentication. */
	const char *bearer;             /* NUL-terminated copy in bearer_buf, wiped at the end */
	char bearer_buf[HTTP_BEARER_MAX + 1];
	struct principal principal;
	int authenticated;
	struct http_slots *slots;       /* the pool it holds a slot of, or NULL */

	/* Audit (http_audit.c). */
	int audit_txn;                  /* the core holds the database lock and a transaction */
	struct batch_ticket ticket;     /* its place in the group commit (batch.h) */
	int audit_done;                 /* the record is written, or counted as lost */
	int audit_busy;                 /* it was not: another process holds the database */
	char audit_reason[AUDIT_FIELD_MAX];
	char audit_resource[AUDIT_FIELD_MAX];
	char audit_principal[AUDIT_FIELD_MAX];
	char reply_reason[AUDIT_FIELD_MAX]; /* "code: message" of an error response */

	/* Response. */
	struct MHD_Response *resp;      /* ready, queued once its audit record is durable */
	unsigned status;                /* 0 until one is ready */
	size_t nextra;
	struct {
		char name[HTTP_HEADER_NAME_MAX];
		char value[HTTP_HEADER_VALUE_MAX];
	} extra[HTTP_EXTRA_HEADERS_MAX];
};

/* http_req.c */
/* Set hc's deadlines for what it waits for now; conn_lock is held. */
void http_conn_deadlines(const struct http_server *s, struct http_conn *hc, enum http_wait w);
/* The same, taking conn_lock. */
void http_conn_wait(struct http_server *srv, struct http_conn *hc, enum http_wait w);

#endif
