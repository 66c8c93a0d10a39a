/*
 * The tools' table (docs/MCP.md "Tools"): names, descriptions for the
 * model, and input and output schemas as JSON text. The output schemas
 * describe exactly what the run functions (cli/tool_*.c) copy from the
 * vault's answers: every field a type (with null where the vault sends
 * null), and none required that an answer can lack, since the SDK client
 * rejects a structuredContent its outputSchema does not accept.
 */
#include <string.h>
#include "tool_impl.h"

/* ---- schema pieces ---- */
#define J_STR "{\"type\":\"string\"}"
#define J_STRN "{\"type\":[\"string\",\"null\"]}"
#define J_INT "{\"type\":\"integer\"}"
#define J_INTN "{\"type\":[\"integer\",\"null\"]}"
#define J_BOOL "{\"type\":\"boolean\"}"
#define J_STRS "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"
#define J_TIME "{\"type\":[\"string\",\"null\"],\"description\":\"UTC, RFC 3339\"}"
#define J_ARRAY_OF(item) "{\"type\":\"array\",\"items\":" item "}"
#define J_OBJECT(props) "{\"type\":\"object\",\"properties\":{" props "}}"
#define J_OBJECT_REQ(props, req) "{\"type\":\"object\",\"properties\":{" props "},\"required\":[" req "]}"
#define J_INPUT(props, req) "{\"type\":\"object\",\"properties\":{" props "},\"required\":[" req \
	"],\"additionalProperties\":false}"
#define J_NOARGS "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"
#define J_ARG_ID(what) "{\"type\":\"string\",\"minLength\":1,\"maxLength\":256,\"description\":\"" what "\"}"

#define S_CARD J_OBJECT("\"brand\":" J_STR ",\"first6\":" J_STR ",\"last4\":" J_STR)
#define S_CRED J_OBJECT("\"id\":" J_STR ",\"name\":" J_STR ",\"type\":" J_STR ",\"service\":" J_STR \
	",\"version\":" J_INT ",\"status\":" J_STR ",\"created_at\":" J_TIME ",\"updated_at\":" J_TIME \
	",\"revoked_at\":" J_TIME ",\"metadata\":{\"type\":\"object\",\"description\":\"clear-text " \
	"labels the admin set\"},\"card\":" S_CARD ",\"last_read_at\":" J_TIME ",\"stale\":" J_BOOL)
#define S_HELPER_PROPS "\"id\":" J_STR ",\"name\":" J_STR ",\"contact\":" J_STR ",\"kind\":" J_STR \
	",\"status\":" J_STR ",\"created_by\":" J_STR ",\"created_at\":" J_TIME ",\"removed_at\":" J_TIME
#define S_HELPER J_OBJECT(S_HELPER_PROPS)
#define S_GRANT J_OBJECT("\"accessor\":" J_STR ",\"helper\":" J_STR ",\"credentials\":" J_STRS \
	",\"actions\":" J_STRS ",\"cidrs\":" J_STRS ",\"note\":" J_STRN ",\"issued_by\":" J_STR \
	",\"created_at\":" J_TIME ",\"expires_at\":" J_TIME ",\"max_uses\":" J_INTN ",\"uses\":" J_INT \
	",\"last_used_at\":" J_TIME ",\"state\":" J_STR ",\"revoked_at\":" J_TIME \
	",\"revoke_reason\":" J_STRN)
#define S_ALERT J_OBJECT("\"id\":" J_STR ",\"kind\":" J_STR ",\"severity\":" J_STR ",\"subject\":" \
	J_STR ",\"details\":{\"type\":\"object\"},\"actions\":" J_STRS ",\"dedup_key\":" J_STRN \
	",\"count\":" J_INT ",\"state\":" J_STR ",\"first_at\":" J_TIME ",\"last_at\":" J_TIME \
	",\"acked_at\":" J_TIME ",\"acked_by\":" J_STRN ",\"resolved_at\":" J_TIME ",\"resolved_by\":" \
	J_STRN)
#define S_BUDGET J_OBJECT("\"service\":" J_STR ",\"currency\":" J_STR ",\"daily\":" J_INTN \
	",\"monthly\":" J_INTN ",\"spent_today\":" J_INT ",\"spent_this_month\":" J_INT \
	",\"day_percent\":" J_INTN ",\"month_percent\":" J_INTN ",\"state\":" J_STR ",\"resumed\":" \
	J_OBJECT("\"daily\":" J_BOOL ",\"monthly\":" J_BOOL) ",\"updated_by\":" J_STRN \
	",\"updated_at\":" J_TIME)
#define S_COST J_OBJECT("\"service\":" J_STR ",\"currency\":" J_STRN ",\"spent\":" J_INTN \
	",\"daily_budget\":" J_INTN ",\"monthly_budget\":" J_INTN ",\"percent\":" J_INTN \
	",\"state\":" J_STR)
#define S_JOB J_OBJECT("\"id\":" J_STR ",\"kind\":" J_STR ",\"service\":" J_STR ",\"credential\":" \
	J_STRN ",\"idempotency_key\":" J_STR ",\"state\":" J_STR ",\"attempts\":" J_INT \
	",\"max_attempts\":" J_INT ",\"not_before\":" J_TIME ",\"claimed_by\":" J_STRN \
	",\"visible_until\":" J_TIME ",\"estimate\":{\"type\":[\"object\",\"null\"],\"properties\":{" \
	"\"amount\":" J_INT ",\"currency\":" J_STR "}},\"result\":{\"type\":[\"object\",\"null\"]," \
	"\"properties\":{\"ok\":" J_BOOL ",\"status\":" J_INT ",\"latency_ms\":" J_INT "}}," \
	"\"error\":" J_STRN ",\"created_at\":" J_TIME ",\"updated_at\":" J_TIME ",\"finished_at\":" \
	J_TIME ",\"created_by\":" J_STRN ",\"campaign\":{\"type\":[\"string\",\"null\"]," \
	"\"description\":\"the campaign of a send job (cp_...)\"},\"ad\":{\"type\":[\"string\",\"null\"]," \
	"\"description\":\"the ad of an ad_* job (ad_...)\"}")
#define S_AUDIT J_OBJECT("\"seq\":" J_INT ",\"time\":" J_STR ",\"principal\":" J_STR ",\"action\":" \
	J_STR ",\"resource\":" J_STR ",\"decision\":" J_STR ",\"reason\":" J_STR ",\"client\":" J_STR \
	",\"request_id\":" J_STR ",\"hash\":" J_STR)
#define S_APPROVAL J_OBJECT("\"id\":" J_STR ",\"kind\":" J_STR ",\"summary\":" J_STR ",\"state\":" \
	J_STR ",\"created_by\":" J_STRN ",\"created_at\":" J_TIME ",\"expires_at\":" J_TIME \
	",\"decided_by\":" J_STRN ",\"decided_at\":" J_TIME)
/* budget_set, budget_resume: applied at once, or waiting for the admin's TOTP. */
#define S_BUDGET_CHANGE J_OBJECT_REQ("\"status\":{\"type\":\"string\",\"enum\":[\"applied\"," \
	"\"pending_approval\"]},\"budget\":" S_BUDGET ",\"approval\":" S_APPROVAL ",\"next\":" \
	"{\"type\":\"string\",\"description\":\"what the admin must do in a terminal\"}", "\"status\"")

/* Outreach (docs/OUTREACH.md): lists, suppressions, campaigns, stats. */
#define J_NUMN "{\"type\":[\"number\",\"null\"]}"
#define S_OLIST J_OBJECT("\"id\":" J_STR ",\"name\":" J_STR ",\"contacts\":" J_INT \
	",\"created_at\":" J_TIME ",\"created_by\":" J_STRN)
#define S_SUPP J_OBJECT("\"address\":" J_STR ",\"channel\":" J_STR ",\"reason\":" J_STR \
	",\"source\":" J_STRN ",\"created_at\":" J_TIME)
#define S_MONEY J_OBJECT("\"micros\":{\"type\":\"integer\",\"description\":\"millionths of the " \
	"currency's unit\"},\"currency\":" J_STRN)
#define S_CAMPAIGN_PROPS "\"id\":" J_STR ",\"channel\":" J_STR ",\"list\":" J_STR ",\"provider\":" \
	J_STR ",\"credential\":" J_STRN ",\"from\":" J_STR ",\"subject\":" J_STRN ",\"per_minute\":" \
	J_INT ",\"state\":" J_STR ",\"recipients\":" J_INT ",\"skipped\":" J_INT ",\"suppressed\":" \
	J_INT ",\"queued\":" J_INT ",\"sent\":" J_INT ",\"failed\":" J_INT ",\"unknown\":" J_INT \
	",\"cancelled\":" J_INT ",\"price\":" S_MONEY ",\"spent\":" S_MONEY ",\"created_at\":" \
	J_TIME ",\"created_by\":" J_STRN ",\"updated_at\":" J_TIME ",\"finished_at\":" J_TIME
#define S_CAMPAIGN J_OBJECT(S_CAMPAIGN_PROPS)
#define S_STATS J_OBJECT("\"campaign\":" J_STRN ",\"sent\":" J_INT ",\"delivered\":" J_INT \
	",\"bounced\":" J_INT ",\"opened\":" J_INT ",\"clicked\":" J_INT ",\"replied\":" J_INT \
	",\"unsubscribed\":" J_INT ",\"complained\":" J_INT ",\"failed\":" J_INT ",\"rates\":" \
	J_OBJECT("\"delivered\":" J_NUMN ",\"bounced\":" J_NUMN ",\"opened\":" J_NUMN \
	",\"clicked\":" J_NUMN ",\"replied\":" J_NUMN ",\"unsubscribed\":" J_NUMN))
#define J_ARG_CAMPAIGN J_ARG_ID("the campaign's id (cp_...)")
#define J_CONTACT "{\"type\":\"object\",\"properties\":{\"email\":{\"type\":\"string\"," \
	"\"maxLength\":254},\"phone\":{\"type\":\"string\",\"maxLength\":32,\"description\":" \
	"\"E.164, e.g. +15551234567\"},\"name\":{\"type\":\"string\",\"maxLength\":128}," \
	"\"consent\":{\"type\":\"string\",\"enum\":[\"email\",\"sms\",\"both\",\"none\"]," \
	"\"description\":\"the channels the contact agreed to (default none: never sent)\"}," \
	"\"fields\":{\"type\":\"object\",\"additionalProperties\":true,\"description\":\"custom " \
	"fields for {{FIELD}} merge tags: names [A-Za-z][A-Za-z0-9_]{0,31}, string values\"}}," \
	"\"additionalProperties\":false}"
#define CAMPAIGN_HINT " The vault sends at the campaign's rate, only to contacts who consented " \
	"to the channel, never to a suppressed address, and stops at the budget."

/* Ads (docs/ADS.md): one Meta campaign, within the BOS budgets of meta and total. */
#define S_AMOUNT J_OBJECT("\"amount\":{\"type\":\"integer\",\"description\":\"minor units " \
	"(cents)\"},\"currency\":" J_STR)
#define S_AD J_OBJECT("\"id\":" J_STR ",\"name\":" J_STR ",\"provider\":" J_STR ",\"credential\":" \
	J_STRN ",\"account\":" J_STR ",\"post\":" J_STR ",\"objective\":" J_STR ",\"countries\":" \
	J_STRS ",\"special_ad_categories\":" J_STRS ",\"daily_budget\":" S_AMOUNT ",\"state\":" \
	"{\"type\":\"string\",\"description\":\"creating, active, pausing, paused, resuming or " \
	"failed\"},\"pause_reason\":{\"type\":[\"string\",\"null\"],\"description\":\"admin or " \
	"budget\"},\"meta\":" J_OBJECT("\"campaign\":" J_STRN ",\"adset\":" J_STRN ",\"creative\":" \
	J_STRN ",\"ad\":" J_STRN) ",\"spent\":" S_AMOUNT ",\"spent_today\":{\"type\":[\"object\"," \
	"\"integer\"],\"properties\":{\"amount\":" J_INT ",\"currency\":" J_STR "}},\"error\":" \
	J_STRN ",\"created_at\":" J_TIME ",\"updated_at\":" J_TIME ",\"created_by\":" J_STRN)
#define J_ARG_AD J_ARG_ID("the ad's id (ad_...)")
#define AD_MONEY " Money rules: the ad set's daily budget is never above what the BOS budgets " \
	"of meta and total leave today (the vault refuses more with over_budget and says how much " \
	"is left), and an ad needs a BOS budget of meta first (no_budget); never retry with a " \
	"larger amount to get around a refusal. Raising a BOS budget needs the admin's approval " \
	"in a terminal (budget_set answers pending_approval). A paused budget pauses the ad."

#define NO_SECRETS " It returns metadata only, never a secret or a token."
#define LOGIN_HINT " If it says the session expired, ask the admin to run 'bosctl login NAME' in " \
	"a terminal; never ask for a password or a TOTP code."

static const struct bos_tool tools[] = {
	{ "status", "Vault status",
	  "The state of the BOS vault at a glance: health (vault and HSM), how many credentials, "
	  "helpers, active grants, brokers and queued jobs there are, how many alerts are open, "
	  "and what each service spent today (amounts in minor units, e.g. cents)." NO_SECRETS
	  LOGIN_HINT,
	  J_NOARGS,
	  J_OBJECT("\"vault\":" J_STR ",\"hsm\":" J_STR ",\"counts\":" J_OBJECT("\"credentials\":"
	  J_INT ",\"helpers\":" J_INT ",\"active_grants\":" J_INT ",\"brokers\":" J_INT
	  ",\"queued_jobs\":" J_INT) ",\"open_alerts\":" J_INT ",\"spend_today\":" J_OBJECT(
	  "\"day\":" J_STR ",\"services\":" J_ARRAY_OF(S_COST) ",\"total\":" S_COST)),
	  TOOL_READ_ONLY, tool_status_run, tool_status_render },
	{ "credentials_list", "List credentials",
	  "Lists the credentials the vault holds: id, name, type, service, version, status, "
	  "clear-text metadata, when each was last read and whether it looks stale; cards show "
	  "brand, first 6 and last 4 digits only." NO_SECRETS " Adding or changing a secret is "
	  "done by the admin in a terminal ('bosctl cred add/update')." LOGIN_HINT,
	  J_INPUT("\"service\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":128,"
	  "\"description\":\"only this service's credentials\"},\"type\":{\"type\":\"string\","
	  "\"enum\":[\"api_key\",\"password\",\"card\",\"bank_account\",\"secret\"],\"description\":"
	  "\"only credentials of this type\"}", ""),
	  J_OBJECT_REQ("\"credentials\":" J_ARRAY_OF(S_CRED), "\"credentials\""),
	  TOOL_READ_ONLY, tool_credentials_list_run, tool_credentials_list_render },
	{ "credential_show", "Show a credential's metadata",
	  "Shows one credential's metadata by id (cr_...) or name: type, service, version, status, "
	  "metadata, dates; a card's brand, first 6 and last 4 digits." NO_SECRETS " Only the "
	  "admin can reveal a secret, in a terminal." LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_ID("the credential's id (cr_...) or name"), "\"id\""),
	  J_OBJECT_REQ("\"credential\":" S_CRED, "\"credential\""),
	  TOOL_READ_ONLY, tool_credential_show_run, tool_credential_show_render },
	{ "credential_verify", "Verify a credential",
	  "Checks that a credential still works: queues a verify job that a broker runs (the "
	  "provider's cheapest authenticated call) and waits up to wait_seconds for the result: "
	  "ok or failed, the provider's HTTP status and latency. With no result in time the job "
	  "stays queued: look at it later with jobs_list." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_ID("the credential's id (cr_...) or name") ",\"wait_seconds\":"
	  "{\"type\":\"integer\",\"minimum\":0,\"maximum\":60,\"default\":30,\"description\":"
	  "\"how long to wait for the result (0: queue only)\"}", "\"id\""),
	  J_OBJECT_REQ("\"outcome\":{\"type\":\"string\",\"enum\":[\"ok\",\"failed\",\"dead\","
	  "\"pending\"]},\"credential\":" J_OBJECT("\"id\":" J_STR ",\"name\":" J_STR
	  ",\"service\":" J_STR) ",\"job\":" S_JOB ",\"message\":" J_STR, "\"outcome\",\"job\""),
	  0, tool_credential_verify_run, tool_credential_verify_render },
	{ "helpers_list", "List helpers",
	  "Lists the helpers (contractors) the admin gives scoped, expiring grants to: id, name, "
	  "contact, kind, status, created." NO_SECRETS LOGIN_HINT,
	  J_NOARGS,
	  J_OBJECT_REQ("\"helpers\":" J_ARRAY_OF(S_HELPER), "\"helpers\""),
	  TOOL_READ_ONLY, tool_helpers_list_run, tool_helpers_list_render },
	{ "helper_add", "Add a helper",
	  "Registers a helper (a person who may later get a grant). Returns its id (hl_...). "
	  "It gives the helper no access by itself." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":200,\"description\":"
	  "\"the helper's name\"},\"contact\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":200,"
	  "\"description\":\"how to reach them, e.g. an e-mail address\"},\"kind\":{\"type\":"
	  "\"string\",\"enum\":[\"setup\",\"monitor\",\"outreach\",\"support\",\"developer\"]}",
	  "\"name\",\"contact\",\"kind\""),
	  J_OBJECT_REQ("\"helper\":" S_HELPER, "\"helper\""),
	  0, tool_helper_add_run, tool_helper_add_render },
	{ "helper_revoke", "Revoke a helper",
	  "Revokes a helper and ends every grant it has: its tokens stop working at once. "
	  "Cannot be undone." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_ID("the helper's id (hl_...)"), "\"id\""),
	  J_OBJECT_REQ("\"helper\":" J_OBJECT(S_HELPER_PROPS ",\"grants_revoked\":" J_INT),
	  "\"helper\""),
	  TOOL_DESTRUCTIVE, tool_helper_revoke_run, tool_helper_revoke_render },
	{ "grants_list", "List grants",
	  "Lists grants (a helper's scoped, expiring access to credentials) by accessor (acc_...): "
	  "helper, credentials, actions, expiry, uses, state." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"helper\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":128,"
	  "\"description\":\"only this helper's grants (hl_...)\"},\"state\":{\"type\":\"string\","
	  "\"enum\":[\"active\",\"ended\"]}", ""),
	  J_OBJECT_REQ("\"grants\":" J_ARRAY_OF(S_GRANT), "\"grants\""),
	  TOOL_READ_ONLY, tool_grants_list_run, tool_grants_list_render },
	{ "grant_create", "Create a grant (token picked up by the admin, or sent to the helper)",
	  "Gives a helper access to some credentials (read and/or update) for a while. This tool "
	  "returns the accessor only, never the token. With delivery pickup (the default) the "
	  "vault keeps the token: the admin runs 'bosctl grant pickup ACCESSOR' in a terminal "
	  "within 10 minutes (with a TOTP code); tell the admin so. With delivery email or sms "
	  "the vault sends the token to the helper's contact (which must be an email address, "
	  "or a phone number in E.164)." LOGIN_HINT,
	  J_INPUT("\"helper\":" J_ARG_ID("the helper's id (hl_...)") ",\"credentials\":{\"type\":"
	  "\"array\",\"maxItems\":64,\"items\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":256},"
	  "\"description\":\"credential ids or names (at least one)\"},\"actions\":{\"type\":\"array\","
	  "\"maxItems\":2,\"items\":{\"type\":\"string\",\"enum\":[\"read\",\"update\"]},"
	  "\"description\":\"what the helper may do (at least one)\"},\"ttl_seconds\":{\"type\":"
	  "\"integer\",\"minimum\":60,\"maximum\":2592000,\"description\":\"lifetime (default: the "
	  "vault's)\"},\"max_uses\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000000000},"
	  "\"cidrs\":{\"type\":\"array\",\"maxItems\":32,\"items\":{\"type\":\"string\","
	  "\"minLength\":1,\"maxLength\":64},\"description\":\"networks the token may be used "
	  "from\"},\"note\":{\"type\":\"string\",\"maxLength\":200},\"delivery\":{\"type\":"
	  "\"string\",\"enum\":[\"pickup\",\"email\",\"sms\"],\"description\":\"how the token "
	  "reaches the helper (default pickup)\"}",
	  "\"helper\",\"credentials\",\"actions\""),
	  J_OBJECT_REQ("\"accessor\":" J_STR ",\"helper\":" J_STR ",\"credentials\":" J_STRS
	  ",\"actions\":" J_STRS ",\"expires_at\":" J_TIME ",\"max_uses\":" J_INTN ",\"cidrs\":"
	  J_STRS ",\"note\":" J_STRN ",\"pickup\":" J_OBJECT("\"expires_at\":" J_TIME)
	  ",\"notice\":" J_OBJECT("\"id\":" J_STR ",\"channel\":" J_STR) ",\"next\":" J_STR,
	  "\"accessor\",\"next\""),
	  0, tool_grant_create_run, tool_grant_create_render },
	{ "grant_revoke", "Revoke a grant",
	  "Ends a grant by its accessor (acc_...): its token stops working at once." NO_SECRETS
	  LOGIN_HINT,
	  J_INPUT("\"accessor\":{\"type\":\"string\",\"minLength\":24,\"maxLength\":24,"
	  "\"description\":\"the grant's accessor (acc_ and 20 letters and digits)\"}",
	  "\"accessor\""),
	  J_OBJECT_REQ("\"grant\":" S_GRANT, "\"grant\""),
	  TOOL_DESTRUCTIVE, tool_grant_revoke_run, tool_grant_revoke_render },
	{ "audit_tail", "Recent audit records",
	  "The newest records of the vault's audit trail, oldest first: time, principal, action, "
	  "resource, decision, reason, client." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"lines\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000,\"default\":20}",
	  ""),
	  J_OBJECT_REQ("\"records\":" J_ARRAY_OF(S_AUDIT), "\"records\""),
	  TOOL_READ_ONLY, tool_audit_tail_run, tool_audit_tail_render },
	{ "audit_search", "Search the audit trail",
	  "Audit records matching every filter given, oldest first, one page at a time (give "
	  "next_cursor back as cursor for the next page)." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"since\":{\"type\":\"string\",\"minLength\":20,\"maxLength\":40,\"description\":"
	  "\"records at or after this UTC time, e.g. 2026-11-28T22:00:00Z\"},\"until\":{\"type\":"
	  "\"string\",\"minLength\":20,\"maxLength\":40,\"description\":\"records before this UTC "
	  "time\"},\"principal\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":128,"
	  "\"description\":\"an accessor (acc_...)\"},\"resource\":{\"type\":\"string\","
	  "\"minLength\":1,\"maxLength\":256,\"description\":\"a prefix of the resource\"},"
	  "\"action\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":64,\"description\":"
	  "\"e.g. cred_get\"},\"outcome\":{\"type\":\"string\",\"enum\":[\"allow\",\"deny\","
	  "\"invalid\",\"error\"]},\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000,"
	  "\"default\":100},\"cursor\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":24}", ""),
	  J_OBJECT_REQ("\"records\":" J_ARRAY_OF(S_AUDIT) ",\"next_cursor\":" J_STRN, "\"records\""),
	  TOOL_READ_ONLY, tool_audit_search_run, tool_audit_search_render },
	{ "budgets_get", "Budgets",
	  "The spending limits per service (and 'total'): daily and monthly limits and what was "
	  "spent, in minor units of the currency (cents), percentages, and state (ok, warning, "
	  "paused)." NO_SECRETS LOGIN_HINT,
	  J_NOARGS,
	  J_OBJECT_REQ("\"budgets\":" J_ARRAY_OF(S_BUDGET), "\"budgets\""),
	  TOOL_READ_ONLY, tool_budgets_get_run, tool_budgets_get_render },
	{ "budget_set", "Set a budget",
	  "Sets a service's budget (amounts in minor units: 5000 is 50.00 USD). Lowering or "
	  "creating one applies at once (status applied). Raising or dropping a limit only "
	  "creates an approval (status pending_approval): it takes effect when the admin runs "
	  "'bosctl approve ID' in a terminal with a TOTP code; tell the admin." LOGIN_HINT,
	  J_INPUT("\"service\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":64,"
	  "\"description\":\"the service, or total\"},\"currency\":{\"type\":\"string\","
	  "\"minLength\":3,\"maxLength\":3,\"description\":\"ISO 4217, e.g. USD\"},\"daily\":{"
	  "\"type\":\"integer\",\"minimum\":0,\"maximum\":1000000000000000,\"description\":"
	  "\"daily limit in minor units\"},\"monthly\":{\"type\":\"integer\",\"minimum\":0,"
	  "\"maximum\":1000000000000000,\"description\":\"monthly limit in minor units\"}",
	  "\"service\",\"currency\""),
	  S_BUDGET_CHANGE,
	  0, tool_budget_set_run, tool_budget_change_render },
	{ "budget_resume", "Resume a paused service",
	  "Asks to lift a budget pause for the rest of its day or month. This always needs the "
	  "admin's approval: it returns status pending_approval, and takes effect when the admin "
	  "runs 'bosctl approve ID' in a terminal; tell the admin." LOGIN_HINT,
	  J_INPUT("\"service\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":64,"
	  "\"description\":\"the service, or total\"}", "\"service\""),
	  S_BUDGET_CHANGE,
	  0, tool_budget_resume_run, tool_budget_change_render },
	{ "spend_report", "Spend report",
	  "What each service spent on a UTC day (default today) or in a range of at most 366 "
	  "days, against its budget, and the total; amounts in minor units. With outreach, what "
	  "each campaign spent (messages, spent_micros in millionths, spent in minor units)."
	  NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"day\":{\"type\":\"string\",\"minLength\":10,\"maxLength\":10,\"description\":"
	  "\"YYYY-MM-DD\"},\"from\":{\"type\":\"string\",\"minLength\":10,\"maxLength\":10,"
	  "\"description\":\"YYYY-MM-DD, with to\"},\"to\":{\"type\":\"string\",\"minLength\":10,"
	  "\"maxLength\":10,\"description\":\"YYYY-MM-DD, with from\"}", ""),
	  J_OBJECT_REQ("\"from\":" J_STR ",\"to\":" J_STR ",\"services\":" J_ARRAY_OF(S_COST)
	  ",\"total\":" S_COST ",\"campaigns\":" J_ARRAY_OF(J_OBJECT("\"id\":" J_STR
	  ",\"provider\":" J_STR ",\"currency\":" J_STRN ",\"messages\":" J_INT
	  ",\"spent_micros\":" J_INT ",\"spent\":" J_INTN)), "\"services\""),
	  TOOL_READ_ONLY, tool_spend_report_run, tool_spend_report_render },
	{ "alerts_list", "List alerts",
	  "What the vault wants looked at (budgets near or over their limit, dead jobs ...): "
	  "severity, kind, subject, count, state and suggested actions." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"state\":{\"type\":\"string\",\"enum\":[\"open\",\"acked\",\"resolved\","
	  "\"all\"],\"default\":\"open\"}", ""),
	  J_OBJECT_REQ("\"alerts\":" J_ARRAY_OF(S_ALERT), "\"alerts\""),
	  TOOL_READ_ONLY, tool_alerts_list_run, tool_alerts_list_render },
	{ "alert_ack", "Acknowledge an alert",
	  "Marks an alert (al_...) as seen and being handled." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_ID("the alert's id (al_...)"), "\"id\""),
	  J_OBJECT_REQ("\"alert\":" S_ALERT, "\"alert\""),
	  0, tool_alert_ack_run, tool_alert_ack_render },
	{ "alert_resolve", "Resolve an alert",
	  "Marks an alert (al_...) as done; the same problem later raises a new one." NO_SECRETS
	  LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_ID("the alert's id (al_...)"), "\"id\""),
	  J_OBJECT_REQ("\"alert\":" S_ALERT, "\"alert\""),
	  0, tool_alert_resolve_run, tool_alert_resolve_render },
	{ "jobs_list", "List jobs",
	  "The vault's job queue (verify jobs, outreach sends and ad jobs run by brokers): kind, "
	  "service, state, attempts, result, and a send's campaign or an ad job's ad." NO_SECRETS
	  LOGIN_HINT,
	  J_INPUT("\"state\":{\"type\":\"string\",\"enum\":[\"queued\",\"claimed\",\"done\","
	  "\"dead\"]},\"kind\":{\"type\":\"string\",\"enum\":[\"verify\",\"send_email\","
	  "\"send_sms\",\"ad_create\",\"ad_activate\",\"ad_pause\",\"ad_insights\"]}", ""),
	  J_OBJECT_REQ("\"jobs\":" J_ARRAY_OF(S_JOB), "\"jobs\""),
	  TOOL_READ_ONLY, tool_jobs_list_run, tool_jobs_list_render },
	{ "approvals_list", "List approvals",
	  "The actions waiting for the admin's approval (budget raises, resumes), each with a "
	  "one-line summary. Only the admin can approve, in a terminal: 'bosctl approve ID'."
	  NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"state\":{\"type\":\"string\",\"enum\":[\"pending\",\"all\"],\"default\":"
	  "\"pending\"}", ""),
	  J_OBJECT_REQ("\"approvals\":" J_ARRAY_OF(S_APPROVAL), "\"approvals\""),
	  TOOL_READ_ONLY, tool_approvals_list_run, tool_approvals_list_render },
	{ "outreach_lists", "List contact lists",
	  "The contact lists for outreach campaigns: id (ol_...), name, how many contacts, "
	  "created. It never returns the contacts themselves." NO_SECRETS LOGIN_HINT,
	  J_NOARGS,
	  J_OBJECT_REQ("\"lists\":" J_ARRAY_OF(S_OLIST), "\"lists\""),
	  TOOL_READ_ONLY, tool_outreach_lists_run, tool_outreach_lists_render },
	{ "outreach_list_import", "Import contacts",
	  "Creates a contact list from CSV text (format csv, data: a header line with columns "
	  "email, phone, name, consent and custom fields, then one contact a line) or from "
	  "contacts (format json), or with append: true adds them to the existing list of that "
	  "name. All or nothing: any invalid row and nothing is written; the error lists the rows "
	  "to fix. Duplicates are skipped and counted. Consent is email, sms, both or none (in CSV "
	  "'email,sms' for both); a contact is only ever sent on a channel it consented to. The "
	  "admin's terminal command is 'bosctl outreach list import'." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":64,\"description\":"
	  "\"the list's name: letters, digits, space, . _ -\"},\"format\":{\"type\":\"string\","
	  "\"enum\":[\"csv\",\"json\"],\"description\":\"csv with data, json with contacts "
	  "(default: from which is given)\"},\"data\":{\"type\":\"string\",\"minLength\":1,"
	  "\"maxLength\":900000,\"description\":\"CSV text (RFC 4180), first line the header\"},"
	  "\"contacts\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":10000,\"items\":" J_CONTACT
	  "},\"append\":{\"type\":\"boolean\",\"default\":false,\"description\":\"add to the "
	  "existing list of that name instead of creating one\"}", "\"name\""),
	  J_OBJECT_REQ("\"list\":" S_OLIST ",\"imported\":" J_INT ",\"duplicates\":" J_INT
	  ",\"appended\":" J_BOOL, "\"list\",\"imported\",\"duplicates\""),
	  0, tool_outreach_list_import_run, tool_outreach_list_import_render },
	{ "outreach_suppressions", "List suppressed addresses",
	  "The suppression list: addresses and phone numbers that are never sent to again "
	  "(unsubscribed, bounced, complained, SMS STOP, or suppressed by the admin), with the "
	  "reason and when, one page at a time ('bosctl outreach suppressions')." NO_SECRETS
	  LOGIN_HINT,
	  J_INPUT("\"channel\":{\"type\":\"string\",\"enum\":[\"email\",\"sms\"]},\"limit\":"
	  "{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000,\"default\":100},\"cursor\":"
	  "{\"type\":\"string\",\"minLength\":1,\"maxLength\":18,\"description\":\"the next of "
	  "the page before\"}", ""),
	  J_OBJECT_REQ("\"suppressions\":" J_ARRAY_OF(S_SUPP) ",\"next\":{\"type\":[\"string\","
	  "\"null\"],\"description\":\"give it as cursor for the next page; null on the last\"}",
	  "\"suppressions\""),
	  TOOL_READ_ONLY, tool_outreach_suppressions_run, tool_outreach_suppressions_render },
	{ "outreach_suppress", "Suppress an address",
	  "Adds an e-mail address or phone number (E.164) to the suppression list, e.g. when "
	  "someone asks not to be contacted: no campaign sends to it again on that channel. "
	  "There is no tool to lift a suppression ('bosctl outreach suppress')." NO_SECRETS
	  LOGIN_HINT,
	  J_INPUT("\"address\":{\"type\":\"string\",\"minLength\":3,\"maxLength\":254,"
	  "\"description\":\"an e-mail address or a phone number such as +15551234567\"},"
	  "\"channel\":{\"type\":\"string\",\"enum\":[\"email\",\"sms\"],\"description\":"
	  "\"default: from the address's form\"}", "\"address\""),
	  J_OBJECT_REQ("\"suppression\":" S_SUPP ",\"created\":{\"type\":\"boolean\","
	  "\"description\":\"false when it was suppressed already\"}", "\"suppression\""),
	  0, tool_outreach_suppress_run, tool_outreach_suppress_render },
	{ "campaign_create", "Create a campaign",
	  "Creates an email or SMS campaign to a contact list and (unless start is false) starts "
	  "it: one message per consenting contact, sent by a broker through the provider at "
	  "per_minute (default 10). Merge tags {{name}}, {{email}}, {{phone}}, {{FIELD}}. Email "
	  "needs subject and text (html optional); sms needs body. credential is the provider "
	  "credential's id or name (default: the only one of that service). Amounts in the "
	  "answer are micro-units (millionths)." CAMPAIGN_HINT " ('bosctl outreach email|sms')"
	  NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"channel\":{\"type\":\"string\",\"enum\":[\"email\",\"sms\"]},\"list\":"
	  J_ARG_ID("the contact list's id (ol_...) or name") ",\"from\":{\"type\":\"string\","
	  "\"minLength\":1,\"maxLength\":320,\"description\":\"email: an address or 'Name "
	  "<address>'; sms: an E.164 number or a sender id\"},\"subject\":{\"type\":\"string\","
	  "\"minLength\":1,\"maxLength\":998},\"text\":{\"type\":\"string\",\"minLength\":1,"
	  "\"maxLength\":65536,\"description\":\"the email's plain text\"},\"html\":{\"type\":"
	  "\"string\",\"minLength\":1,\"maxLength\":262144},\"body\":{\"type\":\"string\","
	  "\"minLength\":1,\"maxLength\":1600,\"description\":\"the SMS text\"},\"provider\":"
	  "{\"type\":\"string\",\"enum\":[\"smtp\",\"sendgrid\",\"mailgun\",\"ses\",\"twilio\","
	  "\"plivo\"],\"description\":\"email: smtp, sendgrid, mailgun, ses; sms: twilio, "
	  "plivo\"},\"credential\":" J_ARG_ID("the provider credential's id (cr_...) or name")
	  ",\"per_minute\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":6000,\"default\":10},"
	  "\"start\":{\"type\":\"boolean\",\"default\":true,\"description\":\"false: stays a "
	  "draft until campaign_start\"}", "\"channel\",\"list\",\"from\",\"provider\""),
	  J_OBJECT_REQ("\"campaign\":" S_CAMPAIGN, "\"campaign\""),
	  0, tool_campaign_create_run, tool_campaign_create_render },
	{ "campaigns_list", "List campaigns",
	  "The outreach campaigns, newest first: id (cp_...), channel, state, provider, how many "
	  "recipients, sent, failed, suppressed, price and spend (micro-units) "
	  "('bosctl campaign list')." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"state\":{\"type\":\"string\",\"enum\":[\"draft\",\"running\",\"paused\","
	  "\"done\",\"cancelled\"]}", ""),
	  J_OBJECT_REQ("\"campaigns\":" J_ARRAY_OF(S_CAMPAIGN), "\"campaigns\""),
	  TOOL_READ_ONLY, tool_campaigns_list_run, tool_campaigns_list_render },
	{ "campaign_show", "Show a campaign",
	  "One campaign with its counts, price, spend and its text, html or SMS body "
	  "('bosctl campaign show')." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_CAMPAIGN, "\"id\""),
	  J_OBJECT_REQ("\"campaign\":" J_OBJECT(S_CAMPAIGN_PROPS ",\"text\":" J_STRN ",\"html\":"
	  J_STRN ",\"body\":" J_STRN), "\"campaign\""),
	  TOOL_READ_ONLY, tool_campaign_show_run, tool_campaign_show_render },
	{ "campaign_start", "Start a draft campaign",
	  "Starts a campaign created with start: false ('bosctl campaign start')." CAMPAIGN_HINT
	  NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_CAMPAIGN, "\"id\""),
	  J_OBJECT_REQ("\"campaign\":" S_CAMPAIGN, "\"campaign\""),
	  0, tool_campaign_start_run, tool_campaign_start_render },
	{ "campaign_pause", "Pause a campaign",
	  "Pauses a running campaign: no new message is sent until campaign_resume; one already "
	  "being sent finishes ('bosctl campaign pause')." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_CAMPAIGN, "\"id\""),
	  J_OBJECT_REQ("\"campaign\":" S_CAMPAIGN, "\"campaign\""),
	  0, tool_campaign_pause_run, tool_campaign_pause_render },
	{ "campaign_resume", "Resume a campaign",
	  "Resumes a paused campaign with the messages not yet sent, each sent once "
	  "('bosctl campaign resume')." CAMPAIGN_HINT NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_CAMPAIGN, "\"id\""),
	  J_OBJECT_REQ("\"campaign\":" S_CAMPAIGN, "\"campaign\""),
	  0, tool_campaign_resume_run, tool_campaign_resume_render },
	{ "campaign_cancel", "Cancel a campaign",
	  "Cancels a campaign for good: every message not yet sent is dropped. Cannot be undone "
	  "('bosctl campaign cancel')." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_CAMPAIGN, "\"id\""),
	  J_OBJECT_REQ("\"campaign\":" S_CAMPAIGN, "\"campaign\""),
	  TOOL_DESTRUCTIVE, tool_campaign_cancel_run, tool_campaign_cancel_render },
	{ "outreach_stats", "Campaign results",
	  "What the campaigns achieved: sent, delivered, bounced, opened, clicked, replied, "
	  "unsubscribed, complained, failed (each counted once per message), and rates as "
	  "fractions of sent (null when nothing was sent); one campaign, or all "
	  "('bosctl outreach stats'). Spend is in campaigns_list and spend_report." NO_SECRETS
	  LOGIN_HINT,
	  J_INPUT("\"campaign\":" J_ARG_CAMPAIGN, ""),
	  J_OBJECT_REQ("\"stats\":" J_ARRAY_OF(S_STATS), "\"stats\""),
	  TOOL_READ_ONLY, tool_outreach_stats_run, tool_outreach_stats_render },
	{ "ad_create", "Create a Meta ad",
	  "Creates an ad on Meta: one campaign, ad set, creative (an existing page post) and ad, "
	  "made by a broker with the meta credential (state creating, then active, or failed with "
	  "the error). daily_budget is in minor units (5000 is 50.00 USD) in the currency of "
	  "meta's BOS budget. objective OUTCOME_TRAFFIC (default), OUTCOME_AWARENESS or "
	  "OUTCOME_ENGAGEMENT." AD_MONEY " ('bosctl outreach ad create')" NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":128,"
	  "\"description\":\"the ad's name (also shown in Ads Manager)\"},\"credential\":"
	  J_ARG_ID("the meta credential's id (cr_...) or name") ",\"account\":{\"type\":"
	  "\"string\",\"minLength\":5,\"maxLength\":24,\"description\":\"the ad account, "
	  "act_ and its digits\"},\"post\":{\"type\":\"string\",\"minLength\":3,\"maxLength\":"
	  "41,\"description\":\"the page post to show, PAGEID_POSTID\"},\"daily_budget\":"
	  "{\"type\":\"object\",\"properties\":{\"amount\":{\"type\":\"integer\",\"minimum\":1,"
	  "\"description\":\"minor units (cents)\"},\"currency\":{\"type\":\"string\","
	  "\"minLength\":3,\"maxLength\":3,\"description\":\"ISO 4217, the currency of meta's "
	  "budget\"}},\"required\":[\"amount\",\"currency\"],\"additionalProperties\":false},"
	  "\"countries\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":25,\"items\":"
	  "{\"type\":\"string\",\"minLength\":2,\"maxLength\":2},\"description\":\"where it "
	  "runs: distinct ISO 3166 codes such as US\"},\"objective\":{\"type\":\"string\","
	  "\"enum\":[\"OUTCOME_TRAFFIC\",\"OUTCOME_AWARENESS\",\"OUTCOME_ENGAGEMENT\"],"
	  "\"default\":\"OUTCOME_TRAFFIC\"},\"special_ad_categories\":{\"type\":\"array\","
	  "\"maxItems\":4,\"items\":{\"type\":\"string\",\"enum\":[\"CREDIT\",\"EMPLOYMENT\","
	  "\"HOUSING\",\"ISSUES_ELECTIONS_POLITICS\"]},\"description\":\"required by Meta for "
	  "ads about these (default none)\"}",
	  "\"name\",\"credential\",\"account\",\"post\",\"daily_budget\",\"countries\""),
	  J_OBJECT_REQ("\"ad\":" S_AD, "\"ad\""),
	  0, tool_ad_create_run, tool_ad_create_render },
	{ "ad_list", "List ads",
	  "The Meta ads, newest first: id (ad_...), name, state, daily budget, what each spent "
	  "today and in all (amounts in minor units), Meta's object ids ('bosctl outreach ad "
	  "list')." NO_SECRETS LOGIN_HINT,
	  J_NOARGS,
	  J_OBJECT_REQ("\"ads\":" J_ARRAY_OF(S_AD), "\"ads\""),
	  TOOL_READ_ONLY, tool_ad_list_run, tool_ad_list_render },
	{ "ad_show", "Show an ad",
	  "One Meta ad: its state (and why it is paused: admin or budget), daily budget, spend, "
	  "Meta's object ids and the error of a failed one ('bosctl outreach ad show')." NO_SECRETS
	  LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_AD, "\"id\""),
	  J_OBJECT_REQ("\"ad\":" S_AD, "\"ad\""),
	  TOOL_READ_ONLY, tool_ad_show_run, tool_ad_show_render },
	{ "ad_pause", "Pause an ad",
	  "Pauses an active ad: a broker pauses its campaign at Meta (state pausing, then paused "
	  "with reason admin); refused (ad_state) unless the ad is active ('bosctl outreach ad "
	  "pause')." NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_AD, "\"id\""),
	  J_OBJECT_REQ("\"ad\":" S_AD, "\"ad\""),
	  0, tool_ad_pause_run, tool_ad_pause_render },
	{ "ad_resume", "Resume an ad",
	  "Resumes a paused ad: a broker turns its campaign on again at Meta (state resuming, then "
	  "active); refused (ad_state) unless the ad is paused, and refused while meta's budget is "
	  "paused (budget_paused)." AD_MONEY " ('bosctl outreach ad resume')" NO_SECRETS LOGIN_HINT,
	  J_INPUT("\"id\":" J_ARG_AD, "\"id\""),
	  J_OBJECT_REQ("\"ad\":" S_AD, "\"ad\""),
	  0, tool_ad_resume_run, tool_ad_resume_render },
};

const struct bos_tool *
tool_table(size_t *n)
{
	*n = BOS_ARRAY_LEN(tools);
	return tools;
}

const struct bos_tool *
tool_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < BOS_ARRAY_LEN(tools); i++)
		if (strcmp(tools[i].name, name) == 0)
			return &tools[i];
	return NULL;
}
