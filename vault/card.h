/*
 * Payment card numbers (PANs): validation, brand, masking, and the checks
 * that keep card data out of places it must never be (PCI DSS 3.3.1.2: no
 * CVV/CVC stored at all; 3.4.1: at most the first 6 and last 4 digits shown).
 *
 * Nothing here ever puts a card number in an error message.
 */
#ifndef BOS_CARD_H
#define BOS_CARD_H

#include <stddef.h>
#include "compiler.h"
#include "err.h"

#define CARD_PAN_MIN 13
#define CARD_PAN_MAX 19
/* Longest input accepted by card_normalise(), separators included. */
#define CARD_INPUT_MAX 64
/* Size of a buffer for card_mask(): one char per digit plus the NUL. */
#define CARD_MASK_SIZE (CARD_PAN_MAX + 1)
#define CARD_BRAND_SIZE 16
#define CARD_FIRST6_SIZE 7
#define CARD_LAST4_SIZE 5

/*
 * Turn a card number as typed into its digits. Accepted: 13 to 19 digits,
 * optionally grouped by single spaces or dashes between digits (no leading,
 * trailing or doubled separators), passing the Luhn check. Grouped input whose
 * last group is 3 or 4 digits and whose other groups form a valid card number
 * is refused as "card number plus CVV". On success out holds the NUL-terminated
 * digits (the caller wipes it); on failure out is wiped and err is
 * BOS_E_INVALID with a message that says what to fix and never the number.
 */
int card_normalise(const char *in, size_t in_len, char out[static CARD_PAN_MAX + 1],
    size_t *out_len, struct bos_err *err) BOS_WUR;

/* 1 when n ASCII digits pass the Luhn (mod 10) check, else 0 (also for non-digits). */
int card_luhn_valid(const char *digits, size_t n);

/*
 * Brand from the issuer prefix and length: "visa", "mastercard" (51-55 and
 * 2221-2720), "amex", "discover", "jcb", "diners", "unionpay" or "unknown".
 * Returns a static string.
 */
const char *card_brand(const char *digits, size_t n);

/*
 * Write the display form: first 6 digits, one '*' per hidden digit, last 4
 * digits ("411111******1111"). n must be 13..19 digits and out_size at least
 * n + 1. Returns 0 or -1.
 */
int card_mask(const char *digits, size_t n, char *out, size_t out_size) BOS_WUR;

/*
 * 1 when a field name denotes a card verification value: cvv, cvc, cvv2, cvc2,
 * cid, csc, security_code, card_verification_value/code and the like, in any
 * case, ignoring '_', '-', '.' and spaces. Names containing "cvv", "cvc",
 * "securitycode" or "cardverification" count too.
 */
int card_key_is_cvv(const char *key);

/*
 * 1 when s contains a card number in clear: a span of 13 to 19 digits that
 * passes the Luhn check, where the span is either one unbroken digit run or a
 * whole number of groups of a run joined by single spaces or dashes
 * ("4111 1111 1111 1111 123" is caught by its first four groups). Digits
 * inside an unbroken run of more than 19 digits are not examined: that is not
 * how card numbers are written, and examining every window would flag most
 * long numbers.
 */
int card_text_has_pan(const char *s);

#endif
