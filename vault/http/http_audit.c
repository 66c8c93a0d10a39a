/*
 * The audit record of every routed request (docs/AUDIT.md "Coverage"). The
 * core calls http_audit_begin before the handler of an AUDIT_TXN route (the
 * database lock and the request's place in a group-commit batch, batch.h,
 * which the handler's own lock and transactions then nest in) and
 * http_audit_finish when the answer is ready and not yet queued: the record
 * is appended in that transaction and committed with whatever the handler
 * changed (and the batch's other requests), and only then is the answer
 * sent. When the record cannot be written the transaction rolls back, the
 * answer (a secret included) is dropped and wiped, and the client gets 503
 * audit_unavailable; the loss is counted (/metrics) and announced by an
 * alert record once the store works again (auditor.c). On AUDIT_SIGNED
 * routes a success is sent only once a signed checkpoint covers its record
 * (http_audit_sign).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "audit/audit_mask.h"
#include "audit/auditor.h"
#include "audit/batch.h"
#include "http/http_audit.h"
#include "http/http_conn.h"
#include "http/http_reply.h"
#include "log.h"
#include "store/store.h"
#include "core/vault.h"

static void BOS_PRINTF(2, 0)
http_audit_vset(char dst[AUDIT_FIELD_MAX], const char *fmt, va_list ap)
{
	char buf[AUDIT_FIELD_MAX];

	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	audit_field_clean(dst, buf);   /* bad bytes become '?', cut to fit */
}

void
http_req_audit_reason(struct http_req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_audit_vset(r->audit_reason, fmt, ap);
	va_end(ap);
}

void
http_req_audit_resource(struct http_req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_audit_vset(r->audit_resource, fmt, ap);
	va_end(ap);
}

void
http_req_audit_principal(struct http_req *r, const char *principal)
{
	audit_field_clean(r->audit_principal, principal);
}

static const char *
http_audit_decision(unsigned status)
{
	if (status >= 200 && status < 400)
		return "allow";
	if (status == 401 || status == 403 || status == 429)
		return "deny";
	if (status >= 400 && status < 500)
		return "invalid";
	return "error";
}

static void
http_audit_record(const struct http_req *r, const char *decision, const char *reason,
    struct audit_record *rec)
{
	const struct principal *p = r->authenticated ? &r->principal : NULL;

	memset(rec, 0, sizeof(*rec));
	if (r->audit_principal[0] != '\0')
		memcpy(rec->principal, r->audit_principal, sizeof(rec->principal));
	else if (p != NULL && p->kind == PRINCIPAL_LOCAL)
		(void)snprintf(rec->principal, sizeof(rec->principal), "local:uid=%u",
		    (unsigned)r->hc->peer_uid);
	else if (r->principal.accessor[0] != '\0')
		audit_field_clean(rec->principal, r->principal.accessor);
	else
		memcpy(rec->principal, "anonymous", sizeof("anonymous"));
	audit_field_clean(rec->action, r->route->name);
	if (r->audit_resource[0] != '\0')
		memcpy(rec->resource, r->audit_resource, sizeof(rec->resource));
	else
		audit_mask(r->raw_path, rec->resource);   /* whole, before it is cut to fit */
	audit_field_clean(rec->decision, decision);
	if (r->audit_reason[0] != '\0')
		memcpy(rec->reason, r->audit_reason, sizeof(rec->reason));
	else
		audit_field_clean(rec->reason, reason);
	audit_field_clean(rec->client, r->hc != NULL ? r->hc->client : "-");
	audit_field_clean(rec->request_id, r->id);
	/*
	 * A token or a card number pasted where a name belongs comes back in the
	 * path, an error message or a sign-in name: never into the trail, however
	 * it was percent-encoded (issue #12 item 9).
	 */
	audit_mask(rec->principal, rec->principal);
	audit_mask(rec->resource, rec->resource);
	audit_mask(rec->reason, rec->reason);
}

/* Take the lock and open the transaction the record (and maybe the handler) uses. */
static int
http_audit_open(struct http_req *r)
{
	struct bos_err err;

	bos_err_clear(&err);
	if (batch_join(r->srv->v, &r->ticket, &err) != 0) {
		log_err("request %s: audit record not written: %s", r->id, err.msg);
		r->audit_busy = err.code == BOS_E_BUSY;
		return -1;
	}
	r->audit_txn = 1;
	return 0;
}

/*
 * Append the record and leave the batch (the lock is released either way),
 * then wait for its commit. 0 when the record, and what the handler changed,
 * are durable; *seq is the record's.
 */
static int
http_audit_commit(struct http_req *r, const char *decision, const char *reason, uint64_t *seq)
{
	struct vault *v = r->srv->v;
	struct audit_record rec;
	struct bos_err err;
	int rc;

	bos_err_clear(&err);
	http_audit_record(r, decision, reason, &rec);
	rc = auditor_append(v, &rec, &err);
	rc = batch_leave(v, &r->ticket, rc == 0, &err);
	r->audit_txn = 0;
	if (rc == 0 && batch_wait(v, &r->ticket) != 0) {
		rc = -1;
		bos_err_set(&err, BOS_E_DB, "the group commit failed (the vault log says why)");
	}
	if (rc != 0) {
		log_err("request %s: audit record not written: %s", r->id, err.msg);
		r->audit_busy = err.code == BOS_E_BUSY;
	}
	*seq = rec.seq;
	return rc;
}

/*
 * AUDIT_SIGNED routes (http.h): a change that revokes or changes rights is
 * acknowledged only once a checkpoint that covers its record is signed and in
 * STATE/audit.head, so a copy of the database taken before it is refused at
 * start as a rollback. When that fails the change has happened (it is
 * durable and recorded) but is not acknowledged: the answer says so.
 */
static void
http_audit_sign(struct http_req *r, uint64_t seq)
{
	struct bos_err err;

	if (!route_audit_signed(r->route->audit) || r->status < 200 || r->status >= 300)
		return;
	bos_err_clear(&err);
	if (auditor_sign_through(r->srv->v, seq, &err) == 0)
		return;
	log_err("request %s: %s is recorded (audit record %llu) but the audit head could not be "
	    "signed: %s", r->id, r->route->name, (unsigned long long)seq, err.msg);
	http_reply_drop(r);
	if (http_reply_error(r, 503, "audit_unsigned", "the change was made and recorded, but "
	    "the vault could not sign its audit head, so it is not acknowledged; the vault log "
	    "says why. Check the state before you repeat the request") != 0)
		log_err("request %s: cannot answer 503", r->id);
}

/* The record could not be written: count it, and answer 503 in place of the answer. */
static void
http_audit_lost(struct http_req *r)
{
	auditor_lost(r->srv->v);
	r->audit_done = 1;
	http_reply_drop(r);
	if (r->audit_busy) {
		/* Another process holds the database (a local bosctl): a retry will likely work. */
		http_req_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
		if (http_reply_error(r, 503, "busy", "the database is busy (locked by another "
		    "process), so nothing was done; retry shortly") != 0)
			log_err("request %s: cannot answer 503", r->id);
	} else if (http_reply_audit_unavailable(r) != 0)
		log_err("request %s: cannot answer 503", r->id);
}

int
http_audit_begin(struct http_req *r)
{
	if (http_audit_open(r) == 0)
		return 0;
	http_audit_lost(r);
	return -1;
}

void
http_audit_finish(struct http_req *r)
{
	uint64_t seq = 0;

	if (r->route == NULL || r->route->audit == AUDIT_OFF || r->audit_done)
		return;
	if (!r->audit_txn && http_audit_open(r) != 0) {
		http_audit_lost(r);
		return;
	}
	if (http_audit_commit(r, http_audit_decision(r->status), r->status == 0 ? "no response" :
	    r->status >= 300 && r->reply_reason[0] != '\0' ? r->reply_reason : "ok", &seq) != 0) {
		http_audit_lost(r);
		return;
	}
	r->audit_done = 1;
	http_audit_sign(r, seq);
}

int
http_req_audit_join(struct http_req *r)
{
	if (r->audit_txn)
		return 0;
	if (r->audit_done) {
		/* The record was written already: nothing may join it any more (a caller's bug). */
		log_err("request %s: audit join after the record was written", r->id);
		if (http_reply_error(r, 500, "internal", "internal error (request %s)", r->id) != 0)
			log_err("request %s: cannot answer 500", r->id);
		return -1;
	}
	return http_audit_begin(r);
}

int
http_req_pause(struct http_req *r)
{
	if (!r->audit_txn)
		return -1;
	return batch_pause(r->srv->v, &r->ticket);
}

int
http_req_resume(struct http_req *r)
{
	struct bos_err err;

	bos_err_clear(&err);
	if (batch_resume(r->srv->v, &r->ticket, &err) == 0)
		return 0;
	log_err("request %s: %s", r->id, err.msg);
	/* Out of the batch: the record is written at the end in a batch of its own. */
	r->audit_txn = 0;
	return -1;
}

int
http_req_audit_now(struct http_req *r, const char *decision)
{
	uint64_t seq;

	if (r->audit_done)
		return 0;
	if (!r->audit_txn && http_audit_open(r) != 0) {
		auditor_lost(r->srv->v);
		r->audit_done = 1;
		return -1;
	}
	r->audit_done = 1;
	if (http_audit_commit(r, decision, strcmp(decision, "allow") == 0 ? "ok" : decision,
	    &seq) != 0) {
		auditor_lost(r->srv->v);
		return -1;
	}
	return 0;
}
