/*
 * Rendering an outreach message (docs/OUTREACH.md "Campaigns"): merge fields,
 * the escaping each part needs, the footer and headers every email gets, the
 * SMS opt-out line, and for SMTP the open pixel and click-tracking links.
 *
 * Pure functions: no database, no clock, no randomness. A value (a contact's
 * name, a custom field) is data from an imported list and is treated as
 * hostile: HTML-escaped in html, stripped of CR, LF and every other control
 * character in the subject and headers. The templates were written by an
 * admin and checked by outreach_template_check at creation.
 *
 * Strings returned in out parameters are malloc'd; outreach_rendered_free
 * releases a whole struct.
 */
#ifndef BOS_OUTREACH_RENDER_H
#define BOS_OUTREACH_RENDER_H

#include <jansson.h>
#include <stddef.h>
#include "compiler.h"
#include "err.h"

#define OUTREACH_FIELD_NAME_MAX 32    /* [A-Za-z][A-Za-z0-9_]{0,31} */
#define OUTREACH_RENDER_MAX (1u << 20) /* the largest rendered part */
#define OUTREACH_TOKEN_LEN 22         /* 16 random bytes, base64url without padding */
#define OUTREACH_LINK_MAX 2048        /* a trackable link's target */
#define OUTREACH_SMS_STOP " Reply STOP to opt out."

/* How a value is inserted. */
enum outreach_esc {
	OUTREACH_ESC_NONE,    /* text and SMS: as it is */
	OUTREACH_ESC_HTML,    /* & < > " ' as entities */
	OUTREACH_ESC_HEADER,  /* CR, LF and other control characters removed */
};

/* One recipient's values: {{name}}, {{email}}, {{phone}}, {{FIELD}} (NULL: empty). */
struct outreach_vars {
	const char *name, *email, *phone;
	const json_t *fields;         /* an object of string values, or NULL */
};

/*
 * 0 when every "{{" in tpl is closed by "}}" around a name of the form
 * [A-Za-z][A-Za-z0-9_]{0,31} (whitespace around it allowed); otherwise -1
 * with BOS_E_INVALID naming what (the template is called what in it).
 */
int outreach_template_check(const char *tpl, const char *what, struct bos_err *err) BOS_WUR;

/* tpl with its merge fields replaced, values escaped by esc. *out malloc'd. */
int outreach_render_merge(const char *tpl, const struct outreach_vars *v, enum outreach_esc esc,
    char **out, struct bos_err *err) BOS_WUR;

/* s with CR, LF and every other control character (and DEL) removed. *out malloc'd. */
int outreach_render_header_clean(const char *s, char **out) BOS_WUR;

struct outreach_email_in {
	const char *subject, *text, *html;  /* the campaign's templates; html may be NULL */
	const char *provider;               /* "smtp" adds the open pixel and rewrites links */
	const char *public_url;             /* outreach_public_url, without a trailing '/' */
	const char *postal_address;         /* outreach_postal_address */
	const char *reply_domain;           /* outreach_reply_domain, or NULL/"" */
	const char *message_id;             /* om_... */
	const char *token;                  /* the message's token */
	struct outreach_vars vars;
};

struct outreach_rendered {
	char *subject, *text, *html;        /* html NULL without an html template */
	char *body;                         /* SMS */
	char *h_message_id, *h_list_unsubscribe, *h_list_unsubscribe_post, *h_reply_to;
};

int outreach_render_email(const struct outreach_email_in *in, struct outreach_rendered *out,
    struct bos_err *err) BOS_WUR;
/* The SMS body: merged as it is, then OUTREACH_SMS_STOP unless the template says STOP. */
int outreach_render_sms(const char *body, const struct outreach_vars *v,
    struct outreach_rendered *out, struct bos_err *err) BOS_WUR;
void outreach_rendered_free(struct outreach_rendered *r);

/*
 * The target of trackable link n (0-based) of a campaign's html template:
 * the n-th href="http(s)://..." whose target has no merge field, no space or
 * control character and fits OUTREACH_LINK_MAX (&amp; decoded). 0 with url
 * filled, -1 when there is no such link. outreach_render_email rewrites the
 * same links, in the same order.
 */
int outreach_render_link(const char *html, unsigned n, char *url, size_t cap) BOS_WUR;

#endif
