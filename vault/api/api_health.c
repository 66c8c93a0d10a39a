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
	char *text;
	int rc;

	if ((rc = api_allow_unaudited(v, r, POLICY_READ, "metrics")) != 0)
		return rc > 0 ? 0 : -1;
	if ((text = metrics_render(v->metrics)) == NULL)
		return -1;
	rc = http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text);
	free(text);
	return rc;
}
