/* Amounts on the command line (amount_arg.h). */
#include "amount_arg.h"
#include "currency.h"

int
amount_arg_parse(const char *opt, const char *arg, const char *currency, int64_t *out,
    struct bos_err *err)
{
	int exp = currency_exponent(currency);

	if (exp < 0)
		return bos_err_set(err, BOS_E_INVALID, "unknown currency '%s': give an ISO 4217 "
		    "code such as USD or EUR", currency);
	if (currency_parse_amount(arg, exp, out) != 0)
		return bos_err_set(err, BOS_E_INVALID, "--%s '%s' is not an amount of %s: digits "
		    "with at most %d decimals, 0 or more", opt, arg, currency, exp);
	return 0;
}
