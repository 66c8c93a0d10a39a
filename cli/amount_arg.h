/*
 * An amount given on the command line in the currency's major unit ("50",
 * "50.00" USD, "500" JPY) as an integer of minor units, with the ISO 4217
 * minor unit of the currency (shared/currency.c). Shared by 'bosctl budget'
 * and 'bosctl outreach ad', so both read amounts the same way.
 */
#ifndef BOS_AMOUNT_ARG_H
#define BOS_AMOUNT_ARG_H

#include <stdint.h>
#include "compiler.h"
#include "err.h"

/*
 * arg, the value of option --opt, as minor units of currency (a known code:
 * the caller checks it first) into *out. 0, or -1 with a BOS_E_INVALID
 * message naming the option, the value and how many decimals it may have.
 */
int amount_arg_parse(const char *opt, const char *arg, const char *currency, int64_t *out,
    struct bos_err *err) BOS_WUR;

#endif
