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
 * Card numbers in free text (names, contacts, notes, metadata, audit
 * fields). The text (UTF-8) is first normalised into groups of digits:
 *  - a digit is any character Unicode gives a decimal digit value, in any
 *    script: ASCII, full-width (U+FF10..FF19), Arabic-Indic, Devanagari,
 *    mathematical, superscript, circled ... (card_digits.h);
 *  - an ASCII letter ends a stretch of groups;
 *  - anything else separates two groups of one stretch, however many
 *    characters: spaces of any kind (tab, NBSP, narrow NBSP, thin, em, ideographic),
 *    dashes, dots, slashes, underscores, full-width punctuation, invisible
 *    format characters, combining marks, symbols, other scripts' letters.
 * A card number is then whole consecutive groups of one stretch with 13 to 19
 * digits in all that pass the Luhn check and either are written plainly (one
 * group, or groups joined by exactly one ASCII space or dash, and not right
 * after a '+' as a phone number: refused whatever their prefix, as before) or
 * start with a payment card issuer's prefix
 * (2200-2204, 2221-2720, 300-305, 3095, 34, 36-39, 3528-3589, 4, 5, 6, 81,
 * 82, 9792, and 1 with 15 digits: Visa, Mastercard, Maestro, Amex, Diners,
 * JCB, Discover, UnionPay, RuPay, Mir, Troy, UATP). The prefix rule
 * keeps ordinary text from being refused: dates and times (2024-01-15
 * 10:30:00), lists of ports or amounts, phone numbers rarely start like a
 * card. A run of more than 19 digits is not a card number, nor part of one;
 * "4111x1111x1111x1111" is four numbers. Malformed UTF-8 bytes separate.
 */

/*
 * Ends every "must not contain a card number" message: what counts as one,
 * and what to do when the digits are something else.
 */
#define CARD_TEXT_HINT " (13 to 19 digits passing Luhn, however separated; put a word " \
    "between other numbers)"

/*
 * Called for each card number found: byte offsets of its first digit and
 * just past its last. Return non-zero to stop the scan.
 */
typedef int (*card_found_fn)(size_t start, size_t end, void *arg);

/*
 * Scan n bytes of text (NUL bytes separate like any control character) and
 * call found (if not NULL) for every card number in it; numbers that overlap
 * are each reported. Returns how many were found before found() stopped it.
 */
size_t card_text_scan(const char *text, size_t n, card_found_fn found, void *arg);

/* 1 when the NUL-terminated s contains a card number (card_text_scan), else 0. */
int card_text_has_pan(const char *s);

#endif
