/*
 * What the tools' implementations (cli/tool_*.c) share: copying the
 * vault's answers field by field (an allow-list: a field the vault adds
 * later, or a secret sent by mistake, never reaches a tool's output), the
 * calls, and the text renderings. Not for the tools' callers (tool.h).
 */
#ifndef BOS_TOOL_IMPL_H
#define BOS_TOOL_IMPL_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include "compiler.h"
#include "err.h"
#include "http_client.h"
#include "tool.h"
#include "tool_cli.h"

/* The JSON types a copied field may have; a value of another type is left out. */
enum {
	TF_STR = 1 << 0,
	TF_NULL = 1 << 1,
	TF_INT = 1 << 2,
	TF_BOOL = 1 << 3,
	TF_OBJ = 1 << 4,   /* with sub: those fields; without: a free-form object (metadata) */
	TF_STRS = 1 << 5,  /* an array of strings (other items are left out) */
	TF_NUM = 1 << 6,   /* a real number (a rate); integers are TF_INT */
};

struct tool_fields;
struct tool_field {
	const char *name;
	unsigned types;
	const struct tool_fields *sub;
};
struct tool_fields {
	const struct tool_field *f;
	size_t n;
};
#define TOOL_FIELDS(arr) { (arr), BOS_ARRAY_LEN(arr) }

/* The fields of src that fs names and whose type it allows, in a new object; NULL: no memory. */
json_t *tool_pick(const json_t *src, const struct tool_fields *fs);
/* ans[key], an array of objects, picked one by one into a new array *out. */
int tool_pick_list(const json_t *ans, const char *key, const struct tool_fields *fs,
    json_t **out, struct bos_err *err) BOS_WUR;
/* {key: arr} (arr's reference is taken, also on failure); 0 or -1 (no memory). */
int tool_wrap(const char *key, json_t *arr, json_t **out, struct bos_err *err) BOS_WUR;

/* "prefix/ID[suffix]" with ID percent-encoded; what names ID in the messages. */
int tool_path(char *out, size_t n, const char *prefix, const char *id, const char *suffix,
    const char *what, struct bos_err *err) BOS_WUR;
/* GET path and return ans[key] picked (an array) in a new object {key: [...]}. */
int tool_get_list(struct http_client *hc, const char *path, const char *key,
    const struct tool_fields *fs, json_t **out, struct bos_err *err) BOS_WUR;

/* An argument: the string, or NULL when absent. */
const char *tool_arg_str(const json_t *args, const char *key);
/* An integer argument, or dflt when absent. */
long long tool_arg_int(const json_t *args, const char *key, long long dflt);
/* A boolean argument, 0 when absent. */
int tool_arg_bool(const json_t *args, const char *key);

/* -1 with "out of memory". */
int tool_nomem(struct bos_err *err);

/* The string at key, or "-" when absent or not a string. */
const char *tool_str(const json_t *o, const char *key);
long long tool_int(const json_t *o, const char *key);

/* A text built with stdio (open_memstream): tool_text_open, fprintf ..., tool_text_close. */
struct tool_text {
	FILE *f;
	char *buf;
	size_t len;
};
int tool_text_open(struct tool_text *t);
/* The text (malloc'd), or NULL when out of memory. */
char *tool_text_close(struct tool_text *t);
/* Print s with control bytes replaced by '?', so no vault value can drive a terminal. */
void tool_text_clean(FILE *f, const char *s);
/* "WHAT" and a newline when list is empty, so the model reads more than nothing. */
void tool_text_none(FILE *f, const json_t *list, const char *what);

/* The tools, by area (cli/tool_*.c): their run and render functions. */
#define TOOL_DECL(n) \
	int tool_##n##_run(struct http_client *hc, const json_t *args, json_t **out, \
	    struct bos_err *err); \
	char *tool_##n##_render(const json_t *out)
TOOL_DECL(status);
TOOL_DECL(credentials_list);
TOOL_DECL(credential_show);
TOOL_DECL(credential_verify);
TOOL_DECL(helpers_list);
TOOL_DECL(helper_add);
TOOL_DECL(helper_revoke);
TOOL_DECL(grants_list);
TOOL_DECL(grant_create);
TOOL_DECL(grant_revoke);
TOOL_DECL(audit_tail);
TOOL_DECL(audit_search);
TOOL_DECL(budgets_get);
TOOL_DECL(budget_set);
TOOL_DECL(budget_resume);
char *tool_budget_change_render(const json_t *out);
TOOL_DECL(spend_report);
TOOL_DECL(alerts_list);
TOOL_DECL(alert_ack);
TOOL_DECL(alert_resolve);
TOOL_DECL(jobs_list);
TOOL_DECL(approvals_list);
TOOL_DECL(outreach_lists);
TOOL_DECL(outreach_list_import);
TOOL_DECL(outreach_suppressions);
TOOL_DECL(outreach_suppress);
TOOL_DECL(outreach_stats);
TOOL_DECL(campaign_create);
TOOL_DECL(campaigns_list);
TOOL_DECL(campaign_show);
TOOL_DECL(campaign_start);
TOOL_DECL(campaign_pause);
TOOL_DECL(campaign_resume);
TOOL_DECL(campaign_cancel);
TOOL_DECL(ad_create);
TOOL_DECL(ad_list);
TOOL_DECL(ad_show);
TOOL_DECL(ad_pause);
TOOL_DECL(ad_resume);
#undef TOOL_DECL

/* Row renderings the bosctl commands share with the tools (one line each, to f). */
void tool_cred_row(FILE *f, const json_t *m);
void tool_helper_row(FILE *f, const json_t *h);
void tool_grant_row(FILE *f, const json_t *g);
void tool_alert_row(FILE *f, const json_t *a);
void tool_budget_row(FILE *f, const json_t *b);
void tool_job_row(FILE *f, const json_t *j);
void tool_approval_row(FILE *f, const json_t *a);

/*
 * amount (an integer of minor units) of currency in its major unit ("12.34",
 * tool_budget.c), in out; "-" when amount is not an integer.
 */
#define TOOL_AMOUNT_SIZE 32
const char *tool_amount(const json_t *amount, const char *currency, char out[TOOL_AMOUNT_SIZE]);

/* The cost answer (from, to, services, total) picked (tool_budget.c), for status. */
int tool_spend_pick(const json_t *ans, json_t **out, struct bos_err *err) BOS_WUR;
/* The fields of a credential's metadata (tool_cred.c), for the verify tool. */
extern const struct tool_fields tool_cred_fields;
/*
 * "/credentials" with the list filters (service, type: NULL for none) as a
 * query string, into out (n bytes). 0, or -1 when it does not fit.
 */
int tool_cred_list_path(char *out, size_t n, const char *service, const char *type,
    struct bos_err *err) BOS_WUR;
/* The fields of a job (tool_cred.c), for jobs_list. */
extern const struct tool_fields tool_job_fields;
/* The fields of an approval (tool_approvals.c), for budget_set and budget_resume. */
extern const struct tool_fields tool_approval_fields;
/* A credential's metadata by ID or NAME from the list (never GET /credentials/{id}). */
int tool_cred_find(struct http_client *hc, const char *target, json_t **meta,
    struct bos_err *err) BOS_WUR;

#endif
