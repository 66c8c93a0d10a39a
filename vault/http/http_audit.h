/*
 * The audit record of every request (http_audit.c, docs/AUDIT.md): the core
 * opens the record's transaction before an AUDIT_TXN handler
 * (http_audit_begin) and writes the record and waits for its group commit
 * (http_audit_finish) before the answer leaves. Below: what a handler may
 * say about its record.
 */
#ifndef BOS_HTTP_AUDIT_H
#define BOS_HTTP_AUDIT_H

#include "compiler.h"

struct http_req;

/*
 * What the request's audit record says where the core cannot know it. The
 * defaults: principal the authenticated accessor (else "anonymous"), resource
 * the request path, reason "ok" or the error's code and message. Values are
 * cut to fit a record; never pass a secret or a token.
 */
void http_req_audit_reason(struct http_req *r, const char *fmt, ...) BOS_PRINTF(2, 3);
void http_req_audit_resource(struct http_req *r, const char *fmt, ...) BOS_PRINTF(2, 3);
void http_req_audit_principal(struct http_req *r, const char *principal);
/*
 * AUDIT_LATE routes: write the record now, in its own transaction, with this
 * decision ("allow", "deny", "invalid", "error"), before doing what it
 * describes. 0 when it is durable; -1 when it could not be written: answer
 * with http_reply_audit_unavailable and do nothing.
 */
int http_req_audit_now(struct http_req *r, const char *decision) BOS_WUR;
/*
 * AUDIT_LATE routes: after the slow part (argon2, the HSM), join the audit
 * transaction now, as AUDIT_TXN routes do before their handler: what the
 * handler writes from here on commits together with the record, or not at
 * all. 0 joined; -1 not: an error (503 when the trail cannot be written) was
 * answered, and nothing may be written.
 */
int http_req_audit_join(struct http_req *r) BOS_WUR;
/*
 * AUDIT_TXN routes: give up the database lock around a slow step that needs
 * no database (the HSM's part of a read), keeping the request's work so far
 * in its group-commit batch (batch.h). http_req_pause: 0 released, -1 not
 * (still held: go on under it). http_req_resume: 0 held again; -1 the batch
 * failed meanwhile and nothing the request did is kept: answer an error.
 */
int http_req_pause(struct http_req *r) BOS_WUR;
int http_req_resume(struct http_req *r) BOS_WUR;

/* ---- the core's side (http_req.c) ---- */
int http_audit_begin(struct http_req *r) BOS_WUR;
void http_audit_finish(struct http_req *r);

#endif
