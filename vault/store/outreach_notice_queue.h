/*
 * Notices queued (docs/OUTREACH.md "Notices"): a grant's token for its
 * helper and alerts for alert_notify, each with its send job. Apart from
 * outreach_notice.h (the send side) because queueing needs job.c, which
 * calls the send side.
 *
 * Locking: the caller holds the vault's database lock.
 */
#ifndef BOS_OUTREACH_NOTICE_QUEUE_H
#define BOS_OUTREACH_NOTICE_QUEUE_H

#include "store/outreach_notice.h"

/*
 * The store keeps a copy (NULL: no notices) and alert_raise calls
 * outreach_notice_alert for each new alert. 0 or -1.
 */
int outreach_notice_configure(struct store *s, const struct outreach_notice_conf *c,
    struct bos_err *err) BOS_WUR;

/*
 * Queue the notice id of a grant's token (blob: the token wrapped by the
 * KEK kek_version, AAD outreach_notice_aad(id)) to to (normalised: an
 * email in lower case, a phone number in E.164) with its send job. In the
 * caller's transaction. BOS_E_INVALID when the route's credential is not
 * a live one.
 */
int outreach_notice_grant(struct store *s, const char *id, const char *channel, const char *to,
    const char *accessor, uint32_t kek_version, const uint8_t *blob, size_t blob_len,
    const char *created_by, int64_t now, struct bos_err *err) BOS_WUR;

/*
 * An alert was raised (new, severity warning or critical): one notice to
 * each alert_notify address whose channel is configured. Nothing without
 * the settings; at most OUTREACH_NOTICE_PER_HOUR an hour (log_warn past
 * it). In a savepoint of the caller's transaction: a notice that cannot be
 * queued is logged and left out. 0 or -1.
 */
int outreach_notice_alert(struct store *s, const char *kind, const char *severity,
    const char *subject, int64_t now, struct bos_err *err) BOS_WUR;

#endif
