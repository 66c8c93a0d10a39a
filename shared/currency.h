/*
 * ISO 4217 currency codes and their minor units, shared by the vault (which
 * refuses an unknown code with 400) and bosctl (which turns "12.34" into
 * minor units). Amounts everywhere else are integers in minor units.
 */
#ifndef BOS_CURRENCY_H
#define BOS_CURRENCY_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"

/*
 * The decimal places of code's minor unit (JPY 0, USD 2, KWD 3, CLF 4), or
 * -1 when code is not three upper-case letters naming a currency of ISO
 * 4217's list 1 (precious metals, bond units and the test codes are not
 * currencies here).
 */
int currency_exponent(const char *code);

/* 1 when currency_exponent(code) >= 0, else 0. */
int currency_known(const char *code);

/*
 * Parse a decimal amount ("12", "12.3", "12.34") of a currency with exp
 * decimal places into minor units: at most exp digits after the point,
 * no sign, no exponent, no spaces, no overflow of int64. 0 or -1.
 */
int currency_parse_amount(const char *s, int exp, int64_t *out) BOS_WUR;

/* amount minor units as a decimal with exp places ("12.34"); 0, or -1 when cap is short. */
int currency_format(int64_t amount, int exp, char *out, size_t cap) BOS_WUR;

#endif
