/*
 * The audit trail inside the caller's transaction: records appended, and the
 * trail's counters kept in step with COMMIT and ROLLBACK; see auditor_txn.h.
 */
#include "audit/auditor_txn.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "audit/audit_store.h"
#include "log.h"
#include "core/metrics.h"
#include "store/store.h"
#include "core/vault.h"

void
auditor_time(char out[AUDITOR_TIME_SIZE])
{
	struct timespec ts;
	struct tm tm;
	char s[24];

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(out, AUDITOR_TIME_SIZE, "1970-01-01T00:00:00.000Z");
		return;
	}
	if (snprintf(out, AUDITOR_TIME_SIZE, "%s.%03dZ", s, (int)(ts.tv_nsec / 1000000L) % 1000) < 0)
		out[0] = '\0';
}

int
auditor_vault_record(struct audit_record *r, const char *action, const char *resource,
    const char *decision, const char *reason)
{
	memset(r, 0, sizeof(*r));
	return audit_field_set(r->principal, "vault") | audit_field_set(r->action, action) |
	    audit_field_set(r->resource, resource) | audit_field_set(r->decision, decision) |
	    audit_field_set(r->reason, reason) | audit_field_set(r->client, "-") |
	    audit_field_set(r->request_id, "-");
}

int
auditor_alert(struct auditor *a, struct bos_err *err)
{
	struct audit_record r;
	char reason[AUDIT_FIELD_MAX];
	uint64_t lost;

	pthread_mutex_lock(&a->mu);
	lost = a->lost;
	snprintf(reason, sizeof(reason), "%llu audit record(s) could not be written since %s; "
	    "those requests were refused with 503", (unsigned long long)lost, a->lost_since);
	pthread_mutex_unlock(&a->mu);
	if (lost == 0 || a->txn_alerted != 0)
		return 0;
	if (auditor_vault_record(&r, "audit_alert", "audit", "error", reason) != 0)
		return bos_err_set(err, BOS_E_INVALID, "audit alert does not fit a record");
	auditor_time(r.time);
	if (audit_append(a->v->st.store, &r, err) != 0)
		return -1;
	a->txn_alerted = lost;
	a->txn_records++;
	return 0;
}

int
auditor_append(struct vault *v, struct audit_record *r, struct bos_err *err)
{
	struct auditor *a = v->audit;

	if (auditor_alert(a, err) != 0)
		return -1;
	auditor_time(r->time);
	if (audit_append(v->st.store, r, err) != 0)
		return -1;
	a->txn_records++;
	return 0;
}

void
auditor_txn_mark(struct vault *v, struct auditor_mark *m)
{
	m->records = v->audit->txn_records;
	m->alerted = v->audit->txn_alerted;
}

void
auditor_txn_rewind(struct vault *v, const struct auditor_mark *m)
{
	v->audit->txn_records = m->records;
	v->audit->txn_alerted = m->alerted;
}

void
auditor_txn_end(struct vault *v, int committed)
{
	struct auditor *a = v->audit;
	unsigned n = a->txn_records;

	if (store_depth(v->st.store) > 0)
		return;

	pthread_mutex_lock(&a->mu);
	if (committed) {
		a->since_cp += n;
		a->lost -= a->txn_alerted <= a->lost ? a->txn_alerted : a->lost;
		if (a->since_cp >= v->st.conf.audit_checkpoint_records)
			pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	if (committed && a->txn_alerted != 0)
		log_warn("audit: the store works again; an alert record names the %llu request(s) "
		    "refused meanwhile", (unsigned long long)a->txn_alerted);
	if (committed)
		metrics_count_audit(v->metrics, METRICS_AUDIT_RECORD, n);
	a->txn_records = 0;
	a->txn_alerted = 0;
}

void
auditor_lost(struct vault *v)
{
	struct auditor *a = v->audit;

	pthread_mutex_lock(&a->mu);
	if (a->lost++ == 0)
		auditor_time(a->lost_since);
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	metrics_count_audit(v->metrics, METRICS_AUDIT_FAILURE, 1);
}

int
auditor_append_event(struct vault *v, const char *action, const char *resource,
    const char *decision, const char *reason, struct bos_err *err)
{
	struct audit_record r;

	if (auditor_vault_record(&r, action, resource, decision, reason) != 0)
		return bos_err_set(err, BOS_E_INVALID, "audit event %s does not fit a record", action);
	return auditor_append(v, &r, err);
}
