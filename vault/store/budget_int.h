/*
 * What the ledger (spend.c) asks of budgets (budget.c) while it records a
 * spend, inside the spend's transaction. Nothing else includes this. It is
 * a header of its own so that the ledger does not include budget.h, which
 * includes spend.h: the include graph of vault/ stays without circles.
 */
#ifndef BOS_BUDGET_INT_H
#define BOS_BUDGET_INT_H

#include <stdint.h>
#include "compiler.h"
#include "err.h"

struct store;

/*
 * Does currency match the budgets of service and of the total (when they
 * exist)? 0 yes, 1 no (err: BOS_E_INVALID naming both and "conversion does
 * not exist yet"), -1 error.
 */
int budget_currency_match(struct store *s, const char *service, const char *currency,
    struct bos_err *err) BOS_WUR;

/*
 * After amount was added for service at now: raise budget_warning for each
 * daily or monthly budget of the service or the total this spend took past
 * 80 %, and budget_paused for each it took to 100 % (unless resumed). 0 or -1.
 */
int budget_after_spend(struct store *s, const char *service, int64_t amount, int64_t now,
    struct bos_err *err) BOS_WUR;

#endif
