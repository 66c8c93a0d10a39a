/*
 * GET /health (public): is the vault up, and is bos-hsmd with it? Load
 * balancers and `systemctl` checks read the status code; people read the
 * body. The core lets this route run when bos-hsmd is down, so it can say so.
 *
 * GET /metrics (admin, as the role allows "read" on "metrics"): Prometheus
 * text format 0.0.4 (metrics.h). Served requests leave no audit record (the
 * route is AUDIT_OFF); refused ones do.
 */
#include <stdlib.h>
#include "api/api.h"
#include "hsmc/hsm_client.h"
#include "log.h"
#include "store/alert.h"
#include "store/job.h"
#include "core/metrics.h"
#include "policy.h"
#include "core/vault.h"

int
api_health(struct vault *v, struct http_req *r)
{
	if (hsm_client_alive(v->st.hsm))
		return http_reply_json(r, 200, json_pack("{s:s,s:s}", "status", "ok", "hsm", "ok"));
	return http_reply_json(r, 503, json_pack("{s:s,s:s}", "status", "degraded", "hsm", "down"));
}

int
api_metrics(struct vault *v, struct http_req *r)
{
	struct bos_err err;
	int64_t n_open = 0;
	long long jobs[METRICS_JOB_STATES];
	char *text;
	int rc;

	if ((rc = api_allow_unaudited(v, r, POLICY_READ, "metrics")) != 0)
		return rc > 0 ? 0 : -1;
	bos_err_clear(&err);
	vault_db_lock(v);
	rc = alert_count_open(v->st.store, &n_open, &err);
	if (rc == 0)
		rc = job_count_states(v->st.store, jobs, &err);
	vault_db_unlock(v);
	if (rc != 0) {
		log_err("request %s: counting open alerts: %s", http_req_id(r), err.msg);
		return http_reply_bos_err(r, &err);
	}
	metrics_set_alerts_open(v->metrics, (long long)n_open);
	metrics_set_jobs(v->metrics, jobs);
	if ((text = metrics_render(v->metrics)) == NULL)
		return -1;
	rc = http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text);
	free(text);
	return rc;
}
