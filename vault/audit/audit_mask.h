/*
 * What the audit trail never holds (docs/AUDIT.md "Masking"): a token or a
 * card number that a client put where a name or an id belongs, and that
 * comes back in the record's path, reason or principal. Pure: no I/O.
 */
#ifndef BOS_AUDIT_MASK_H
#define BOS_AUDIT_MASK_H

#include "audit_chain.h"

/* Longest input looked at: a raw path (HTTP_PATH_MAX) or an error message, with room. */
#define AUDIT_MASK_IN_MAX 1280
/* Percent-decodings tried after the text as given: %2562 is two, %252562 three. */
#define AUDIT_MASK_DECODES_MAX 8
/* The whole field, when it still decodes after that: nobody encodes a path so by mistake. */
#define AUDIT_MASK_TOO_DEEP "(masked: percent-encoded more than 8 times over)"
/* Passes over the masked text before it is replaced whole. */
#define AUDIT_MASK_PASSES_MAX 64

/*
 * Write in as an audit field (audit_field_clean: bad bytes '?', cut to fit)
 * with every token replaced by "(token)" and every card number by
 * "(card number)". Both are looked for in the text as given and in each
 * successive percent-decoding of it, and whatever a match was made of in
 * the text as given is replaced: "/credentials/%62os_h_..." and
 * "/credentials/%2562os_h_..." both become "/credentials/(token)", and
 * "/credentials/4111%201111%201111%201111" "/credentials/(card number)".
 *
 * A token is "bos_" in any case and everything after it up to a character
 * that ends a word in a path or a message (/ ? # & = , ; : quotes brackets
 * whitespace): a token cut by a stray character is still hidden whole. A
 * card number is what card_text_scan() finds. Input past AUDIT_MASK_IN_MAX
 * bytes is dropped before masking. The masked text (cut to fit) is masked
 * again until nothing changes, so that no decoding of the result holds a
 * token or a card number. A field that still decodes after AUDIT_MASK_DECODES_MAX rounds (or
 * still changes after AUDIT_MASK_PASSES_MAX passes) becomes
 * AUDIT_MASK_TOO_DEEP as a whole, which bounds the work an attacker can ask
 * for. in and out may be the same buffer.
 */
void audit_mask(const char *in, char out[AUDIT_FIELD_MAX]);

#endif
