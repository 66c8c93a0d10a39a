/*
 * The RFC 5322 message bos-broker hands to an SMTP server (docs/OUTREACH.md
 * "The outreach broker"), built from the message the vault rendered: From,
 * To, Subject (RFC 2047 encoded-words when it is not ASCII or too long for
 * one line), Date, the vault's fixed Message-ID, MIME-Version, the vault's
 * extra headers (List-Unsubscribe, List-Unsubscribe-Post, Reply-To), then
 * text and html as multipart/alternative, each quoted-printable (lines of
 * at most 76 bytes, a leading dot encoded), under a random boundary checked
 * not to occur in the parts. No I/O.
 *
 * Header injection: any header name or value (From, To, Subject, the
 * Message-ID, every extra header) holding CR, LF or NUL, a name outside
 * RFC 5322's field-name characters, or a name that would repeat one of the
 * headers built here is refused, and nothing is built.
 */
#ifndef BOS_MSG_MIME_H
#define BOS_MSG_MIME_H

#include <stddef.h>
#include <time.h>
#include "buf.h"
#include "compiler.h"
#include "err.h"

#define MSG_MIME_MAX (2 * 1024 * 1024)   /* the whole message, encoded */
#define MSG_MIME_ADDR_MAX 320            /* an envelope address */
#define MSG_MIME_HEADERS_MAX 16

struct msg_header {
	const char *name;
	const char *value;
};

struct msg_mime {
	const char *from;          /* "addr" or "Name <addr>" */
	const char *to;            /* one address */
	const char *subject;
	const char *message_id;    /* "<...>" */
	const char *text;          /* required */
	const char *html;          /* may be NULL */
	const struct msg_header *headers;
	size_t nheaders;
	time_t date;
};

/*
 * Build m into out (initialised here, up to MSG_MIME_MAX bytes; the caller
 * frees it with buf_free). 0, or -1 with why in err and out empty.
 */
int msg_mime_build(const struct msg_mime *m, struct buf *out, struct bos_err *err) BOS_WUR;

/*
 * The bare address of a From or To value ("Name <a@b>" or "a@b") into out
 * (at most MSG_MIME_ADDR_MAX bytes): the envelope's MAIL FROM and RCPT TO.
 * 0, or -1 when it is not one plain address (no CR, LF, NUL, space, <>,
 * exactly one @).
 */
int msg_mime_addr(const char *v, char *out, size_t n, struct bos_err *err) BOS_WUR;

/* 1 when v may be a header value: no CR, LF or NUL (and no other control but tab). */
int msg_mime_value_ok(const char *v);

#endif
