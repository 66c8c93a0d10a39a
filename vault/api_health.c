/*
 * GET /health (public): is the vault up, and is bos-hsmd with it? Load
 * balancers and `systemctl` checks read the status code; people read the
 * body. The core lets this route run when bos-hsmd is down, so it can say so.
 *
 * GET /metrics (admin): Prometheus text format 0.0.4 (metrics.h).
 */
#include <stdlib.h>
#include "api.h"
#include "hsm_client.h"
#include "metrics.h"
#include "vault.h"

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
	char *text = metrics_render(v->metrics);
	int rc;

	if (text == NULL)
		return -1;
	rc = http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text);
	free(text);
	return rc;
}
