/*
 * The bosctl commands' side of the tools (tool.h's tool_cli_run, in two
 * steps for commands that print a tool's output their own way).
 */
#ifndef BOS_TOOL_CLI_H
#define BOS_TOOL_CLI_H

#include <jansson.h>
#include "compiler.h"
#include "err.h"
#include "tool.h"

struct http_client;

/*
 * Open the session's client and run the named tool: BOSCTL_EXIT_OK with
 * *out (a new reference), or an exit status with the error printed.
 */
int tool_cli_call(const char *name, const json_t *args, json_t **out) BOS_WUR;
/* Print out as compact JSON (json) or the tool's text. An exit status. */
int tool_cli_print(const char *name, const json_t *out, int json);

/*
 * The output as the bosctl commands have always printed it with --json:
 * out[key] alone (an array: one object per line), or all of out when it
 * has no key (a 202's pending approval); without json the tool's text,
 * or nothing for an empty list.
 */
int tool_cli_print_key(const char *name, const json_t *out, int json, const char *key);
/* tool_cli_call, then tool_cli_print_key. An exit status. */
int tool_cli_cmd(const char *name, const json_t *args, int json, const char *key);

/* The kinds of jobs (docs/BROKERS.md, docs/OUTREACH.md, docs/ADS.md): 1 when kind is one. */
#define TOOL_JOB_KINDS "verify, send_email, send_sms, ad_create, ad_activate, ad_pause or " \
	"ad_insights"
int tool_job_kind_known(const char *kind);

/*
 * One page of the audit trail as the audit tools read it (cli/tool_audit.c):
 * the string filters of filters (since, until as UTC "...Z", principal,
 * resource, action, outcome; NULL: none), order "asc" or "desc", at most
 * limit records, after cursor (NULL: the start). *out is {records: [...]
 * with the known fields of each, next_cursor: string or null}.
 */
int tool_audit_query(struct http_client *hc, const json_t *filters, const char *order,
    long long limit, const char *cursor, json_t **out, struct bos_err *err) BOS_WUR;

#endif
