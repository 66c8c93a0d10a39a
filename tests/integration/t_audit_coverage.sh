#!/bin/bash
# Audit coverage (issue #5, first "Done when" point): a table-driven test
# calls every audited route of vault/api/routes.c with every outcome it can be
# given from outside (allowed, denied, invalid, failed) and finds exactly one
# record per request (by X-Request-Id) with every field present and right:
# action = the route's name, decision from the status, principal = who asked,
# client, time, seq, hash, resource and reason. Unrouted paths and AUDIT_OFF
# routes get no record; the trail grows by exactly the calls made; start,
# policy load and a clean stop are recorded; and no secret or token used
# here shows up in the trail, its export or the database files.
#
# A route in routes.c without a row here fails the test.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_audit.sh"
export BOS_BIN BOS_TESTBIN
# Debugging: BOS_COV_KEEP=DIR keeps the temporary directory (trail, calls, logs) there.
[ -n "${BOS_COV_KEEP:-}" ] && trap 'cp -r "$T" "$BOS_COV_KEEP"; cleanup' EXIT
ROUTES=$(cd "$(dirname "$0")/../.." && pwd)/vault/api/routes.c
DBTOOL=$BOS_TESTBIN/bos_dbtool
MYUID=$(id -u)
NOCRED=cr_aaaaaaaaaaaaaaaaaaaaaaaaaa
NOHELPER=hl_aaaaaaaaaaaaaaaaaaaaaaaaaa
NOACC=acc_aaaaaaaaaaaaaaaaaaaa

# ---- what cannot be produced from outside (one "ok" line each, nothing faked) ----------
# route                        outcome  why
# POST /auth/login             failed   the only 5xx besides a storage fault is 503
#                                       too_many_sessions: SESSIONS_MAX (1024) is a
#                                       compile-time constant with no bos.conf setting, and
#                                       only full sessions fill it (pending ones evict the
#                                       admin's oldest at 8), each needing a fresh TOTP step
#                                       (30 s). The storage-fault 500 is covered instead.
# POST /auth/logout            failed   the session table is in memory; no storage, no HSM
# GET /auth/session            failed   the same: in memory only
# GET /credentials/audit       failed   its only storage is the audit table itself: breaking
#                                       it makes the record unwritable (503 audit_unavailable,
#                                       no record: t_audit_failclosed.sh's subject)
# GET /credentials/audit/export failed  the same (checkpoint and export read the audit tables)
# GET /credentials/audit/pubkey failed  only the HSM: a dead bos-hsmd stops the vault, a stalled
#                                       one costs a 30 s timeout and then stops it too
# (POST /admins "denied" is the TCP refusal, 403 local_only; a socket peer of another uid
#  would need a second user account, which the tests do not have.)
NOT_PRODUCIBLE=(
	"POST /auth/logout|failed|the session table is in memory: no storage, no HSM"
	"GET /auth/session|failed|the session table is in memory: no storage, no HSM"
	"GET /credentials/audit|failed|only the audit tables, which would also lose the record (fail-closed 503, no record)"
	"GET /credentials/audit/export|failed|only the audit tables and the HSM: the record would be lost, or the vault stops"
	"GET /credentials/audit/pubkey|failed|only the HSM: a dead bos-hsmd stops the vault, a stalled one needs a 30 s timeout"
)
NOT_PRODUCIBLE_EXTRA=(
	"POST /auth/login|failed (session table full)|SESSIONS_MAX 1024 is compile-time, no setting; each full session needs a fresh 30 s TOTP step"
)

# ---- the table ----------------------------------------------------------------------------
# KEY (METHOD TEMPLATE, as in routes.c) | OUTCOME | PATH | AUTH | BODY | STATUS | DECISION | PRINCIPAL | FAULT
#   PATH: @CRED@ readable credential (the helper's grant), @CRED2@ one outside the grant,
#         @CREDREV@ one to revoke, @CREDBAD@ one whose ciphertext is damaged, @HELPER@,
#         @HELPERREV@ a helper to remove, @GRANTREV@ a grant accessor to revoke, @HTOK@ the
#         helper token (must become "(token)" in the resource)
#   AUTH: admin (full session), none (no token, over TCP), bad (a bearer no vault issued), helper (grant token),
#         p1 / p2 (TOTP-pending sessions), sock (unix socket, no token)
#   PRINCIPAL: like AUTH (the accessor of that token), anon, local, or =LITERAL
#   FAULT: rename:TABLE — the table is renamed with bos_dbtool for this call (a storage fault
#          from outside the process) and renamed back after
CB='{"name":"c-new","type":"api_key","service":"cov","secret":"@SECRET_NEW@"}'
TABLE=(
	"POST /admins|allowed|/admins|sock|{\"name\":\"alice\",\"password\":\"@PW@\"}|201|allow|local|"
	"POST /admins|denied|/admins|none|{\"name\":\"bob\",\"password\":\"@PW@\"}|403|deny|anon|"
	"POST /admins|invalid|/admins|sock|{\"name\":7,\"password\":\"x\"}|400|invalid|local|"
	"POST /admins|invalid|/admins|sock|{\"name\":\"bob\",\"password\":\"@PW@\"}|409|invalid|local|"
	"POST /admins|failed|/admins|sock|{\"name\":\"bob\",\"password\":\"@PW@\"}|500|error|local|rename:admins"

	"POST /auth/login|allowed|/auth/login|none|{\"name\":\"alice\",\"password\":\"@PW@\"}|200|allow|=admin:alice|"
	"POST /auth/login|denied|/auth/login|none|{\"name\":\"alice\",\"password\":\"wrong @PW@\"}|401|deny|=admin:alice|"
	"POST /auth/login|denied|/auth/login|none|{\"name\":\"nobody\",\"password\":\"@PW@\"}|401|deny|anon|"
	"POST /auth/login|invalid|/auth/login|none|{\"name\":\"alice\"}|400|invalid|anon|"
	"POST /auth/login|invalid|/auth/login|none|{\"name\":\"alice\",\"password\":\"x\",\"role\":\"root\"}|400|invalid|anon|"
	"POST /auth/login|failed|/auth/login|none|{\"name\":\"alice\",\"password\":\"@PW@\"}|500|error|anon|rename:admins"

	"POST /auth/totp|allowed|/auth/totp|p1|{\"totp\":\"@TOTP@\"}|200|allow|p1|"
	"POST /auth/totp|invalid|/auth/totp|p1|{\"totp\":\"@TOTP@\"}|409|invalid|p1|"
	"POST /auth/totp|invalid|/auth/totp|p2|{\"totp\":123456}|400|invalid|p2|"
	"POST /auth/totp|denied|/auth/totp|p2|{\"totp\":\"@BADTOTP@\"}|401|deny|p2|"
	"POST /auth/totp|denied|/auth/totp|none|{\"totp\":\"123456\"}|401|deny|anon|"
	"POST /auth/totp|denied|/auth/totp|helper|{\"totp\":\"123456\"}|401|deny|anon|"
	"POST /auth/totp|failed|/auth/totp|p3|{\"totp\":\"123456\"}|500|error|p3|rename:admins"

	"POST /auth/logout|invalid|/auth/logout|p2|{\"all\":true}|400|invalid|p2|"
	"POST /auth/logout|allowed|/auth/logout|p2||200|allow|p2|"
	"POST /auth/logout|denied|/auth/logout|p2||401|deny|anon|"
	"POST /auth/logout|denied|/auth/logout|bad||401|deny|anon|"

	"GET /auth/session|allowed|/auth/session|admin||200|allow|admin|"
	"GET /auth/session|denied|/auth/session|none||401|deny|anon|"
	"GET /auth/session|denied|/auth/session|helper||403|deny|helper|"
	"GET /auth/session|invalid|/auth/session?x=1|admin||400|invalid|anon|"

	"GET /admins|allowed|/admins|admin||200|allow|admin|"
	"GET /admins|denied|/admins|bad||401|deny|anon|"
	"GET /admins|denied|/admins|helper||403|deny|helper|"
	"GET /admins|invalid|/admins?name=alice|admin||400|invalid|anon|"
	"GET /admins|failed|/admins|admin||500|error|admin|rename:admins"

	"POST /admins/{name}/reset|denied|/admins/alice/reset|none||401|deny|anon|"
	"POST /admins/{name}/reset|denied|/admins/alice/reset|helper||403|deny|helper|"
	"POST /admins/{name}/reset|invalid|/admins/nobody/reset|admin||404|invalid|admin|"
	"POST /admins/{name}/reset|invalid|/admins/@HTOK@/reset|admin||404|invalid|admin|"
	"POST /admins/{name}/reset|invalid|/admins/alice/reset|admin|{\"x\":1}|400|invalid|admin|"
	"POST /admins/{name}/reset|failed|/admins/alice/reset|admin||500|error|admin|rename:admins"

	# A signed-in admin adds another (alice's code of the next step: the current one is taken).
	"POST /admins/{name}|denied|/admins/carol|none|{\"password\":\"@PW@\",\"totp\":\"123456\"}|401|deny|anon|"
	"POST /admins/{name}|denied|/admins/carol|helper|{\"password\":\"@PW@\",\"totp\":\"123456\"}|403|deny|helper|"
	"POST /admins/{name}|invalid|/admins/alice|admin|{\"password\":\"@PW@\",\"totp\":\"123456\"}|409|invalid|admin|"
	"POST /admins/{name}|invalid|/admins/@HTOK@|admin|{\"password\":\"@PW@\",\"totp\":\"123456\"}|400|invalid|admin|"
	"POST /admins/{name}|failed|/admins/carol|admin|{\"password\":\"@PW@\",\"totp\":\"123456\"}|500|error|admin|rename:admins"
	"POST /admins/{name}|allowed|/admins/carol|admin|{\"password\":\"@PW@\",\"totp\":\"@TOTPNEXT@\"}|201|allow|admin|"

	"POST /credentials|allowed|/credentials|admin|$CB|201|allow|admin|"
	"POST /credentials|denied|/credentials|none|$CB|401|deny|anon|"
	"POST /credentials|denied|/credentials|helper|$CB|403|deny|helper|"
	"POST /credentials|invalid|/credentials|admin|{\"name\":\"x\",\"type\":\"nope\",\"service\":\"cov\",\"secret\":\"s\"}|400|invalid|admin|"
	"POST /credentials|invalid|/credentials|admin|{\"name\":\"x\",\"type\":\"card\",\"service\":\"cov\",\"secret\":\"4111111111111111\",\"cvv\":\"123\"}|400|invalid|admin|"
	"POST /credentials|failed|/credentials|admin|{\"name\":\"c-fail\",\"type\":\"api_key\",\"service\":\"cov\",\"secret\":\"@SECRET_NEW@\"}|500|error|admin|rename:credential_versions"

	"GET /credentials|allowed|/credentials|admin||200|allow|admin|"
	"GET /credentials|denied|/credentials|none||401|deny|anon|"
	"GET /credentials|denied|/credentials|helper||403|deny|helper|"
	"GET /credentials|invalid|/credentials?stale=maybe|admin||400|invalid|admin|"
	"GET /credentials|invalid|/credentials?token=@HTOK@|admin||400|invalid|anon|"
	"GET /credentials|failed|/credentials|admin||500|error|admin|rename:credentials"

	"GET /credentials/{id}|allowed|/credentials/@CRED@|admin||200|allow|admin|"
	"GET /credentials/{id}|allowed|/credentials/@CRED@|helper||200|allow|helper|"
	"GET /credentials/{id}|denied|/credentials/@CRED@|none||401|deny|anon|"
	"GET /credentials/{id}|denied|/credentials/@CRED@|bad||401|deny|anon|"
	"GET /credentials/{id}|denied|/credentials/@CRED2@|helper||403|deny|helper|"
	"GET /credentials/{id}|denied|/credentials/$NOCRED|helper||403|deny|helper|"
	"GET /credentials/{id}|invalid|/credentials/$NOCRED|admin||404|invalid|admin|"
	"GET /credentials/{id}|invalid|/credentials/@HTOK@|admin||404|invalid|admin|"
	"GET /credentials/{id}|invalid|/credentials/@CRED@?version=0|admin||400|invalid|admin|"
	"GET /credentials/{id}|failed|/credentials/@CREDBAD@|admin||500|error|admin|"

	"PUT /credentials/{id}|allowed|/credentials/@CRED@|admin|{\"secret\":\"@SECRET_V2@\"}|200|allow|admin|"
	"PUT /credentials/{id}|allowed|/credentials/@CRED@|helper|{\"secret\":\"@SECRET_V3@\"}|200|allow|helper|"
	"PUT /credentials/{id}|denied|/credentials/@CRED@|none|{\"secret\":\"x\"}|401|deny|anon|"
	"PUT /credentials/{id}|denied|/credentials/@CRED2@|helper|{\"secret\":\"x\"}|403|deny|helper|"
	"PUT /credentials/{id}|invalid|/credentials/$NOCRED|admin|{\"secret\":\"x\"}|404|invalid|admin|"
	"PUT /credentials/{id}|invalid|/credentials/@HTOK@|admin|{\"secret\":\"x\"}|404|invalid|admin|"
	"PUT /credentials/{id}|invalid|/credentials/@CRED@|admin|{\"secret\":5}|400|invalid|admin|"
	"PUT /credentials/{id}|failed|/credentials/@CRED@|admin|{\"secret\":\"@SECRET_NEW@\"}|500|error|admin|rename:credential_versions"

	"GET /credentials/{id}/versions|allowed|/credentials/@CRED@/versions|admin||200|allow|admin|"
	"GET /credentials/{id}/versions|denied|/credentials/@CRED@/versions|none||401|deny|anon|"
	"GET /credentials/{id}/versions|denied|/credentials/@CRED@/versions|helper||403|deny|helper|"
	"GET /credentials/{id}/versions|invalid|/credentials/$NOCRED/versions|admin||404|invalid|admin|"
	"GET /credentials/{id}/versions|invalid|/credentials/@HTOK@/versions|admin||404|invalid|admin|"
	"GET /credentials/{id}/versions|failed|/credentials/@CRED@/versions|admin||500|error|admin|rename:credential_versions"

	"DELETE /credentials/{id}|denied|/credentials/@CREDREV@|none||401|deny|anon|"
	"DELETE /credentials/{id}|denied|/credentials/@CRED@|helper||403|deny|helper|"
	"DELETE /credentials/{id}|invalid|/credentials/$NOCRED|admin||404|invalid|admin|"
	"DELETE /credentials/{id}|invalid|/credentials/@HTOK@|admin||404|invalid|admin|"
	"DELETE /credentials/{id}|failed|/credentials/@CREDREV@|admin||500|error|admin|rename:credentials"
	"DELETE /credentials/{id}|allowed|/credentials/@CREDREV@|admin||200|allow|admin|"
	"DELETE /credentials/{id}|invalid|/credentials/@CREDREV@|admin||410|invalid|admin|"

	"GET /credentials/audit|allowed|/credentials/audit?limit=1|admin||200|allow|admin|"
	"GET /credentials/audit|denied|/credentials/audit|none||401|deny|anon|"
	"GET /credentials/audit|denied|/credentials/audit|helper||403|deny|helper|"
	"GET /credentials/audit|invalid|/credentials/audit?limit=0|admin||400|invalid|admin|"
	"GET /credentials/audit|invalid|/credentials/audit?outcome=maybe|admin||400|invalid|admin|"

	"GET /credentials/audit/export|allowed|/credentials/audit/export|admin||200|allow|admin|"
	"GET /credentials/audit/export|denied|/credentials/audit/export|none||401|deny|anon|"
	"GET /credentials/audit/export|denied|/credentials/audit/export|helper||403|deny|helper|"
	"GET /credentials/audit/export|invalid|/credentials/audit/export?limit=1|admin||400|invalid|anon|"

	"GET /credentials/audit/pubkey|allowed|/credentials/audit/pubkey|admin||200|allow|admin|"
	"GET /credentials/audit/pubkey|denied|/credentials/audit/pubkey|bad||401|deny|anon|"
	"GET /credentials/audit/pubkey|denied|/credentials/audit/pubkey|helper||403|deny|helper|"
	"GET /credentials/audit/pubkey|invalid|/credentials/audit/pubkey?v=1|admin||400|invalid|anon|"

	"POST /credentials/grant|allowed|/credentials/grant|admin|{\"helper\":\"@HELPER@\",\"credentials\":[\"@CRED@\"],\"actions\":[\"read\"]}|201|allow|admin|"
	"POST /credentials/grant|denied|/credentials/grant|none|{\"helper\":\"@HELPER@\",\"credentials\":[\"@CRED@\"],\"actions\":[\"read\"]}|401|deny|anon|"
	"POST /credentials/grant|denied|/credentials/grant|helper|{\"helper\":\"@HELPER@\",\"credentials\":[\"@CRED@\"],\"actions\":[\"read\"]}|403|deny|helper|"
	"POST /credentials/grant|invalid|/credentials/grant|admin|{\"helper\":\"@HELPER@\",\"credentials\":[\"@CRED@\"],\"actions\":[\"delete\"]}|400|invalid|admin|"
	"POST /credentials/grant|failed|/credentials/grant|admin|{\"helper\":\"@HELPER@\",\"credentials\":[\"@CRED@\"],\"actions\":[\"read\"]}|500|error|admin|rename:grants"

	"POST /helpers|allowed|/helpers|admin|{\"name\":\"Cov Two\",\"contact\":\"two@example.com\",\"kind\":\"setup\"}|201|allow|admin|"
	"POST /helpers|denied|/helpers|none|{\"name\":\"x\",\"contact\":\"x@example.com\",\"kind\":\"setup\"}|401|deny|anon|"
	"POST /helpers|denied|/helpers|helper|{\"name\":\"x\",\"contact\":\"x@example.com\",\"kind\":\"setup\"}|403|deny|helper|"
	"POST /helpers|invalid|/helpers|admin|{\"name\":\"x\",\"contact\":\"x@example.com\",\"kind\":\"boss\"}|400|invalid|admin|"
	"POST /helpers|failed|/helpers|admin|{\"name\":\"x\",\"contact\":\"x@example.com\",\"kind\":\"setup\"}|500|error|admin|rename:helpers"

	"GET /helpers|allowed|/helpers|admin||200|allow|admin|"
	"GET /helpers|denied|/helpers|none||401|deny|anon|"
	"GET /helpers|denied|/helpers|helper||403|deny|helper|"
	"GET /helpers|invalid|/helpers?all=1|admin||400|invalid|anon|"
	"GET /helpers|failed|/helpers|admin||500|error|admin|rename:helpers"

	"DELETE /helpers/{id}|denied|/helpers/@HELPERREV@|none||401|deny|anon|"
	"DELETE /helpers/{id}|denied|/helpers/@HELPERREV@|helper||403|deny|helper|"
	"DELETE /helpers/{id}|invalid|/helpers/$NOHELPER|admin||404|invalid|admin|"
	"DELETE /helpers/{id}|invalid|/helpers/@HTOK@|admin||404|invalid|admin|"
	"DELETE /helpers/{id}|failed|/helpers/@HELPERREV@|admin||500|error|admin|rename:helpers"
	"DELETE /helpers/{id}|allowed|/helpers/@HELPERREV@|admin||200|allow|admin|"

	"GET /grants|allowed|/grants|admin||200|allow|admin|"
	"GET /grants|denied|/grants|none||401|deny|anon|"
	"GET /grants|denied|/grants|helper||403|deny|helper|"
	"GET /grants|invalid|/grants?state=bogus|admin||400|invalid|admin|"
	"GET /grants|failed|/grants|admin||500|error|admin|rename:grants"

	"DELETE /grants/{accessor}|denied|/grants/@GRANTREV@|none||401|deny|anon|"
	"DELETE /grants/{accessor}|denied|/grants/@GRANTREV@|helper||403|deny|helper|"
	"DELETE /grants/{accessor}|invalid|/grants/$NOACC|admin||404|invalid|admin|"
	"DELETE /grants/{accessor}|invalid|/grants/@HTOK@|admin||404|invalid|admin|"
	"DELETE /grants/{accessor}|failed|/grants/@GRANTREV@|admin||500|error|admin|rename:grants"
	"DELETE /grants/{accessor}|allowed|/grants/@GRANTREV@|admin||200|allow|admin|"

	"GET /budgets|allowed|/budgets|admin||200|allow|admin|"
	"GET /budgets|denied|/budgets|none||401|deny|anon|"
	"GET /budgets|denied|/budgets|helper||403|deny|helper|"
	"GET /budgets|invalid|/budgets?x=1|admin||400|invalid|anon|"
	"GET /budgets|failed|/budgets|admin||500|error|admin|rename:budgets"

	"PUT /budgets/{service}|allowed|/budgets/cov|admin|{\"daily\":100,\"currency\":\"USD\"}|200|allow|admin|"
	"PUT /budgets/{service}|denied|/budgets/cov|none|{\"daily\":100,\"currency\":\"USD\"}|401|deny|anon|"
	"PUT /budgets/{service}|denied|/budgets/cov|helper|{\"daily\":100,\"currency\":\"USD\"}|403|deny|helper|"
	"PUT /budgets/{service}|invalid|/budgets/cov|admin|{\"daily\":-1,\"currency\":\"USD\"}|400|invalid|admin|"
	"PUT /budgets/{service}|invalid|/budgets/@HTOK@|admin|{\"daily\":1,\"currency\":\"USD\"}|400|invalid|admin|"
	"PUT /budgets/{service}|failed|/budgets/cov|admin|{\"daily\":100,\"currency\":\"USD\"}|500|error|admin|rename:budgets"

	"POST /budgets/{service}/resume|denied|/budgets/covp/resume|none||401|deny|anon|"
	"POST /budgets/{service}/resume|denied|/budgets/covp/resume|helper||403|deny|helper|"
	"POST /budgets/{service}/resume|invalid|/budgets/nobudget/resume|admin||404|invalid|admin|"
	"POST /budgets/{service}/resume|invalid|/budgets/@HTOK@/resume|admin||400|invalid|admin|"
	"POST /budgets/{service}/resume|failed|/budgets/covp/resume|admin||500|error|admin|rename:budgets"
	# A resume asks for an approval (202, docs/MCP.md); one of a budget not paused is 409.
	"POST /budgets/{service}/resume|allowed|/budgets/covp/resume|admin||202|allow|admin|"
	"POST /budgets/{service}/resume|invalid|/budgets/cov/resume|admin||409|invalid|admin|"

	"GET /outreach/cost|allowed|/outreach/cost|admin||200|allow|admin|"
	"GET /outreach/cost|denied|/outreach/cost|none||401|deny|anon|"
	"GET /outreach/cost|denied|/outreach/cost|helper||403|deny|helper|"
	"GET /outreach/cost|invalid|/outreach/cost?day=bogus|admin||400|invalid|admin|"
	"GET /outreach/cost|failed|/outreach/cost|admin||500|error|admin|rename:spend"

	"GET /alerts|allowed|/alerts|admin||200|allow|admin|"
	"GET /alerts|denied|/alerts|none||401|deny|anon|"
	"GET /alerts|denied|/alerts|helper||403|deny|helper|"
	"GET /alerts|invalid|/alerts?state=bogus|admin||400|invalid|admin|"
	"GET /alerts|failed|/alerts|admin||500|error|admin|rename:alerts"

	"POST /alerts/{id}/ack|denied|/alerts/@ALERT@/ack|none||401|deny|anon|"
	"POST /alerts/{id}/ack|denied|/alerts/@ALERT@/ack|helper||403|deny|helper|"
	"POST /alerts/{id}/ack|invalid|/alerts/al_aaaaaaaaaaaaaaaaaaaaaaaaaa/ack|admin||404|invalid|admin|"
	"POST /alerts/{id}/ack|invalid|/alerts/@HTOK@/ack|admin||404|invalid|admin|"
	"POST /alerts/{id}/ack|failed|/alerts/@ALERT@/ack|admin||500|error|admin|rename:alerts"
	"POST /alerts/{id}/ack|allowed|/alerts/@ALERT@/ack|admin||200|allow|admin|"

	"POST /alerts/{id}/resolve|denied|/alerts/@ALERT@/resolve|none||401|deny|anon|"
	"POST /alerts/{id}/resolve|denied|/alerts/@ALERT@/resolve|helper||403|deny|helper|"
	"POST /alerts/{id}/resolve|invalid|/alerts/al_aaaaaaaaaaaaaaaaaaaaaaaaaa/resolve|admin||404|invalid|admin|"
	"POST /alerts/{id}/resolve|failed|/alerts/@ALERT@/resolve|admin||500|error|admin|rename:alerts"
	"POST /alerts/{id}/resolve|allowed|/alerts/@ALERT@/resolve|admin||200|allow|admin|"
	"POST /alerts/{id}/resolve|invalid|/alerts/@ALERT@/resolve|admin||409|invalid|admin|"

	# Brokers, leases and jobs (issue #14). A broker (@BTOK@, outreach) talks on the unix
	# socket; @JOB@ is a sendgrid job it holds with @CLAIM@, @JOB2@ another with @CLAIM2@,
	# @LEASE@ a lease of it, @BREV@ a broker to revoke.
	"POST /brokers|allowed|/brokers|admin|{\"role\":\"outreach\",\"name\":\"cov b\"}|201|allow|admin|"
	"POST /brokers|denied|/brokers|none|{\"role\":\"outreach\"}|401|deny|anon|"
	"POST /brokers|denied|/brokers|helper|{\"role\":\"outreach\"}|403|deny|helper|"
	"POST /brokers|invalid|/brokers|admin|{\"role\":\"root\"}|400|invalid|admin|"
	"POST /brokers|failed|/brokers|admin|{\"role\":\"outreach\"}|500|error|admin|rename:brokers"

	"GET /brokers|allowed|/brokers|admin||200|allow|admin|"
	"GET /brokers|denied|/brokers|broker||403|deny|anon|"
	"GET /brokers|invalid|/brokers?x=1|admin||400|invalid|anon|"
	"GET /brokers|failed|/brokers|admin||500|error|admin|rename:brokers"

	"DELETE /brokers/{id}|denied|/brokers/@BREV@|none||401|deny|anon|"
	"DELETE /brokers/{id}|invalid|/brokers/bk_aaaaaaaaaaaaaaaaaaaaaaaaaa|admin||404|invalid|admin|"
	"DELETE /brokers/{id}|invalid|/brokers/@HTOK@|admin||404|invalid|admin|"
	"DELETE /brokers/{id}|failed|/brokers/@BREV@|admin||500|error|admin|rename:brokers"
	"DELETE /brokers/{id}|allowed|/brokers/@BREV@|admin||200|allow|admin|"

	"POST /leases|allowed|/leases|broker|{\"credential\":\"c-sg\",\"purpose\":\"cov\",\"job\":\"@JOB@\"}|201|allow|broker|"
	"POST /leases|denied|/leases|broker|{\"credential\":\"c-a\",\"purpose\":\"cov\",\"job\":\"@JOB@\"}|403|deny|broker|"
	"POST /leases|denied|/leases|none|{\"credential\":\"c-sg\",\"purpose\":\"cov\",\"job\":\"@JOB@\"}|401|deny|anon|"
	"POST /leases|invalid|/leases|broker|{\"credential\":\"c-sg\",\"purpose\":\"cov\",\"job\":\"@JOB@\",\"ttl\":0}|400|invalid|broker|"
	"POST /leases|failed|/leases|broker|{\"credential\":\"c-sg\",\"purpose\":\"cov\",\"job\":\"@JOB@\"}|500|error|broker|rename:leases"

	"GET /leases|allowed|/leases|admin||200|allow|admin|"
	"GET /leases|denied|/leases|helper||403|deny|helper|"
	"GET /leases|invalid|/leases?x=1|admin||400|invalid|anon|"
	"GET /leases|failed|/leases|admin||500|error|admin|rename:leases"

	"DELETE /leases/{id}|denied|/leases/@LEASE@|none||401|deny|anon|"
	"DELETE /leases/{id}|invalid|/leases/ls_aaaaaaaaaaaaaaaaaaaaaaaaaa|admin||404|invalid|admin|"
	"DELETE /leases/{id}|failed|/leases/@LEASE@|admin||500|error|admin|rename:leases"
	"DELETE /leases/{id}|allowed|/leases/@LEASE@|broker||200|allow|broker|"

	"POST /jobs|allowed|/jobs|admin|{\"kind\":\"verify\",\"service\":\"sendgrid\"}|201|allow|admin|"
	"POST /jobs|denied|/jobs|none|{\"kind\":\"verify\",\"service\":\"sendgrid\"}|401|deny|anon|"
	"POST /jobs|denied|/jobs|helper|{\"kind\":\"verify\",\"service\":\"sendgrid\"}|403|deny|helper|"
	"POST /jobs|invalid|/jobs|admin|{\"kind\":\"nope\",\"service\":\"sendgrid\"}|400|invalid|admin|"
	"POST /jobs|failed|/jobs|admin|{\"kind\":\"verify\",\"service\":\"sendgrid\"}|500|error|admin|rename:jobs"

	"GET /jobs|allowed|/jobs|admin||200|allow|admin|"
	"GET /jobs|denied|/jobs|helper||403|deny|helper|"
	"GET /jobs|invalid|/jobs?state=sleeping|admin||400|invalid|admin|"
	"GET /jobs|failed|/jobs|admin||500|error|admin|rename:jobs"

	"GET /jobs/{id}|allowed|/jobs/@JOB@|admin||200|allow|admin|"
	"GET /jobs/{id}|denied|/jobs/@JOB@|none||401|deny|anon|"
	"GET /jobs/{id}|invalid|/jobs/jb_aaaaaaaaaaaaaaaaaaaaaaaaaa|admin||404|invalid|admin|"
	"GET /jobs/{id}|failed|/jobs/@JOB@|admin||500|error|admin|rename:jobs"

	"POST /jobs/claim|allowed|/jobs/claim|broker|{\"kinds\":[\"verify\"],\"wait\":0}|200|allow|broker|"
	"POST /jobs/claim|allowed|/jobs/claim|broker|{\"kinds\":[\"verify\"],\"wait\":0}|204|allow|broker|"
	"POST /jobs/claim|denied|/jobs/claim|admin|{\"kinds\":[\"verify\"],\"wait\":0}|403|deny|anon|"
	"POST /jobs/claim|invalid|/jobs/claim|broker|{\"kinds\":[\"nope\"]}|400|invalid|broker|"
	"POST /jobs/claim|failed|/jobs/claim|broker|{\"kinds\":[\"verify\"],\"wait\":0}|500|error|broker|rename:jobs"

	"POST /jobs/{id}/heartbeat|allowed|/jobs/@JOB@/heartbeat|broker|{\"claim\":\"@CLAIM@\"}|200|allow|broker|"
	"POST /jobs/{id}/heartbeat|denied|/jobs/@JOB@/heartbeat|none|{\"claim\":\"@CLAIM@\"}|401|deny|anon|"
	"POST /jobs/{id}/heartbeat|invalid|/jobs/@JOB@/heartbeat|broker|{\"claim\":\"x\"}|400|invalid|broker|"
	"POST /jobs/{id}/heartbeat|invalid|/jobs/@JOB@/heartbeat|broker|{\"claim\":\"@CLAIM2@\"}|409|invalid|broker|"
	"POST /jobs/{id}/heartbeat|failed|/jobs/@JOB@/heartbeat|broker|{\"claim\":\"@CLAIM@\"}|500|error|broker|rename:jobs"

	"POST /jobs/{id}/complete|denied|/jobs/@JOB@/complete|none|{\"claim\":\"@CLAIM@\",\"result\":{}}|401|deny|anon|"
	"POST /jobs/{id}/complete|invalid|/jobs/@JOB@/complete|broker|{\"claim\":\"@CLAIM@\"}|400|invalid|broker|"
	"POST /jobs/{id}/complete|failed|/jobs/@JOB@/complete|broker|{\"claim\":\"@CLAIM@\",\"result\":{}}|500|error|broker|rename:jobs"
	"POST /jobs/{id}/complete|allowed|/jobs/@JOB@/complete|broker|{\"claim\":\"@CLAIM@\",\"result\":{\"ok\":true}}|200|allow|broker|"

	"POST /jobs/{id}/fail|denied|/jobs/@JOB2@/fail|none|{\"claim\":\"@CLAIM2@\",\"error\":\"e\"}|401|deny|anon|"
	"POST /jobs/{id}/fail|invalid|/jobs/@JOB2@/fail|broker|{\"claim\":\"@CLAIM2@\"}|400|invalid|broker|"
	"POST /jobs/{id}/fail|failed|/jobs/@JOB2@/fail|broker|{\"claim\":\"@CLAIM2@\",\"error\":\"e\"}|500|error|broker|rename:jobs"
	"POST /jobs/{id}/fail|allowed|/jobs/@JOB2@/fail|broker|{\"claim\":\"@CLAIM2@\",\"error\":\"provider 503\"}|200|allow|broker|"

	# Approvals and grant pickup (issue #15): @APPROVAL@ and @APPROVAL2@ are pending
	# approvals of raises of cova, @PICKUP@ a grant whose token waits for alice. Approving
	# and picking up need fresh TOTP codes (@TOTPFRESH@: a step after every one used).
	"GET /approvals|allowed|/approvals|admin||200|allow|admin|"
	"GET /approvals|denied|/approvals|helper||403|deny|helper|"
	"GET /approvals|invalid|/approvals?state=bogus|admin||400|invalid|admin|"
	"GET /approvals|failed|/approvals|admin||500|error|admin|rename:approvals"

	"GET /approvals/{id}|allowed|/approvals/@APPROVAL@|admin||200|allow|admin|"
	"GET /approvals/{id}|denied|/approvals/@APPROVAL@|none||401|deny|anon|"
	"GET /approvals/{id}|invalid|/approvals/ap_aaaaaaaaaaaaaaaaaaaaaaaaaa|admin||404|invalid|admin|"
	"GET /approvals/{id}|invalid|/approvals/@HTOK@|admin||404|invalid|admin|"
	"GET /approvals/{id}|failed|/approvals/@APPROVAL@|admin||500|error|admin|rename:approvals"

	"POST /approvals/{id}/reject|denied|/approvals/@APPROVAL2@/reject|helper||403|deny|helper|"
	"POST /approvals/{id}/reject|invalid|/approvals/ap_aaaaaaaaaaaaaaaaaaaaaaaaaa/reject|admin||404|invalid|admin|"
	"POST /approvals/{id}/reject|failed|/approvals/@APPROVAL2@/reject|admin||500|error|admin|rename:approvals"
	"POST /approvals/{id}/reject|allowed|/approvals/@APPROVAL2@/reject|admin||200|allow|admin|"
	"POST /approvals/{id}/reject|invalid|/approvals/@APPROVAL2@/reject|admin||409|invalid|admin|"

	"POST /approvals/{id}/approve|denied|/approvals/@APPROVAL@/approve|none|{\"totp\":\"123456\"}|401|deny|anon|"
	"POST /approvals/{id}/approve|denied|/approvals/@APPROVAL@/approve|admin|{\"totp\":\"@BADTOTP@\"}|403|deny|admin|"
	"POST /approvals/{id}/approve|invalid|/approvals/@APPROVAL@/approve|admin|{\"totp\":123456}|400|invalid|admin|"
	"POST /approvals/{id}/approve|invalid|/approvals/@HTOK@/approve|admin|{\"totp\":\"123456\"}|404|invalid|admin|"
	"POST /approvals/{id}/approve|failed|/approvals/@APPROVAL@/approve|admin|{\"totp\":\"123456\"}|500|error|admin|rename:approvals"
	"POST /approvals/{id}/approve|allowed|/approvals/@APPROVAL@/approve|admin|{\"totp\":\"@TOTPFRESH@\"}|200|allow|admin|"
	"POST /approvals/{id}/approve|invalid|/approvals/@APPROVAL2@/approve|admin|{\"totp\":\"123456\"}|409|invalid|admin|"

	"POST /grants/{accessor}/pickup|denied|/grants/@PICKUP@/pickup|helper|{\"totp\":\"123456\"}|403|deny|helper|"
	"POST /grants/{accessor}/pickup|invalid|/grants/$NOACC/pickup|admin|{\"totp\":\"123456\"}|404|invalid|admin|"
	"POST /grants/{accessor}/pickup|invalid|/grants/@HTOK@/pickup|admin|{\"totp\":\"123456\"}|404|invalid|admin|"
	"POST /grants/{accessor}/pickup|failed|/grants/@PICKUP@/pickup|admin|{\"totp\":\"123456\"}|500|error|admin|rename:grant_pickups"
	"POST /grants/{accessor}/pickup|allowed|/grants/@PICKUP@/pickup|admin|{\"totp\":\"@TOTPFRESH@\"}|200|allow|admin|"
	"POST /grants/{accessor}/pickup|invalid|/grants/@PICKUP@/pickup|admin|{\"totp\":\"123456\"}|410|invalid|admin|"

	# Outreach lists, suppressions, events and stats (issue #16): @OLIST@ is a contact list;
	# the broker posts events on the unix socket.
	"POST /outreach/lists|allowed|/outreach/lists|admin|{\"name\":\"cov-list\",\"format\":\"json\",\"contacts\":[{\"email\":\"cov@example.com\"}]}|201|allow|admin|"
	"POST /outreach/lists|denied|/outreach/lists|none|{\"name\":\"x\",\"format\":\"json\",\"contacts\":[]}|401|deny|anon|"
	"POST /outreach/lists|denied|/outreach/lists|helper|{\"name\":\"x\",\"format\":\"json\",\"contacts\":[]}|403|deny|helper|"
	"POST /outreach/lists|invalid|/outreach/lists|admin|{\"name\":\"x\",\"format\":\"json\",\"contacts\":[{\"email\":\"nobody\"}]}|400|invalid|admin|"
	"POST /outreach/lists|invalid|/outreach/lists|admin|{\"name\":\"cov-list\",\"format\":\"json\",\"contacts\":[]}|409|invalid|admin|"
	"POST /outreach/lists|failed|/outreach/lists|admin|{\"name\":\"cov-fail\",\"format\":\"json\",\"contacts\":[{\"email\":\"f@example.com\"}]}|500|error|admin|rename:outreach_contacts"

	"GET /outreach/lists|allowed|/outreach/lists|admin||200|allow|admin|"
	"GET /outreach/lists|denied|/outreach/lists|helper||403|deny|helper|"
	"GET /outreach/lists|invalid|/outreach/lists?x=1|admin||400|invalid|anon|"
	"GET /outreach/lists|failed|/outreach/lists|admin||500|error|admin|rename:outreach_lists"

	"GET /outreach/lists/{id}|allowed|/outreach/lists/@OLIST@|admin||200|allow|admin|"
	"GET /outreach/lists/{id}|denied|/outreach/lists/@OLIST@|none||401|deny|anon|"
	"GET /outreach/lists/{id}|invalid|/outreach/lists/ol_aaaaaaaaaaaaaaaaaaaaaaaaaa|admin||404|invalid|admin|"
	"GET /outreach/lists/{id}|invalid|/outreach/lists/@HTOK@|admin||404|invalid|admin|"
	"GET /outreach/lists/{id}|failed|/outreach/lists/@OLIST@|admin||500|error|admin|rename:outreach_lists"

	"POST /outreach/lists/{id}/contacts|allowed|/outreach/lists/@OLIST@/contacts|admin|{\"format\":\"csv\",\"data\":\"email\\nc2@example.com\"}|200|allow|admin|"
	"POST /outreach/lists/{id}/contacts|denied|/outreach/lists/@OLIST@/contacts|helper|{\"format\":\"csv\",\"data\":\"email\"}|403|deny|helper|"
	"POST /outreach/lists/{id}/contacts|invalid|/outreach/lists/@OLIST@/contacts|admin|{\"format\":\"csv\",\"data\":\"email\\nbad\"}|400|invalid|admin|"
	"POST /outreach/lists/{id}/contacts|invalid|/outreach/lists/@HTOK@/contacts|admin|{\"format\":\"csv\",\"data\":\"email\"}|404|invalid|admin|"
	"POST /outreach/lists/{id}/contacts|failed|/outreach/lists/@OLIST@/contacts|admin|{\"format\":\"csv\",\"data\":\"email\\nc3@example.com\"}|500|error|admin|rename:outreach_contacts"

	"GET /outreach/lists/{id}/contacts|allowed|/outreach/lists/@OLIST@/contacts?limit=10|admin||200|allow|admin|"
	"GET /outreach/lists/{id}/contacts|denied|/outreach/lists/@OLIST@/contacts|none||401|deny|anon|"
	"GET /outreach/lists/{id}/contacts|invalid|/outreach/lists/@OLIST@/contacts?limit=0|admin||400|invalid|admin|"
	"GET /outreach/lists/{id}/contacts|failed|/outreach/lists/@OLIST@/contacts|admin||500|error|admin|rename:outreach_contacts"

	"GET /outreach/suppressions|allowed|/outreach/suppressions|admin||200|allow|admin|"
	"GET /outreach/suppressions|denied|/outreach/suppressions|helper||403|deny|helper|"
	"GET /outreach/suppressions|invalid|/outreach/suppressions?channel=fax|admin||400|invalid|admin|"
	"GET /outreach/suppressions|failed|/outreach/suppressions|admin||500|error|admin|rename:outreach_suppressions"

	"POST /outreach/suppressions|allowed|/outreach/suppressions|admin|{\"address\":\"cov-supp@example.com\"}|201|allow|admin|"
	"POST /outreach/suppressions|denied|/outreach/suppressions|none|{\"address\":\"x@example.com\"}|401|deny|anon|"
	"POST /outreach/suppressions|invalid|/outreach/suppressions|admin|{\"address\":\"nobody\"}|400|invalid|admin|"
	"POST /outreach/suppressions|failed|/outreach/suppressions|admin|{\"address\":\"x@example.com\"}|500|error|admin|rename:outreach_suppressions"

	"DELETE /outreach/suppressions/{address}|denied|/outreach/suppressions/cov-supp@example.com|helper||403|deny|helper|"
	"DELETE /outreach/suppressions/{address}|invalid|/outreach/suppressions/nobody@example.com|admin||404|invalid|admin|"
	"DELETE /outreach/suppressions/{address}|invalid|/outreach/suppressions/@HTOK@|admin||400|invalid|admin|"
	"DELETE /outreach/suppressions/{address}|failed|/outreach/suppressions/cov-supp@example.com|admin||500|error|admin|rename:outreach_suppressions"
	"DELETE /outreach/suppressions/{address}|allowed|/outreach/suppressions/cov-supp@example.com|admin||200|allow|admin|"

	"POST /outreach/events|allowed|/outreach/events|broker|{\"provider\":\"sendgrid\",\"events\":[{\"id\":\"cov-1\",\"kind\":\"opened\",\"at\":1700000000}]}|200|allow|broker|"
	"POST /outreach/events|denied|/outreach/events|admin|{\"provider\":\"sendgrid\",\"events\":[]}|403|deny|anon|"
	"POST /outreach/events|invalid|/outreach/events|broker|{\"provider\":\"fax\",\"events\":[]}|400|invalid|broker|"
	"POST /outreach/events|failed|/outreach/events|broker|{\"provider\":\"sendgrid\",\"events\":[{\"id\":\"cov-2\",\"kind\":\"opened\",\"at\":1700000000}]}|500|error|broker|rename:outreach_events"

	"GET /outreach/stats|allowed|/outreach/stats|admin||200|allow|admin|"
	"GET /outreach/stats|denied|/outreach/stats|helper||403|deny|helper|"
	"GET /outreach/stats|invalid|/outreach/stats?campaign=cp_aaaaaaaaaaaaaaaaaaaaaaaaaa|admin||404|invalid|admin|"
	"GET /outreach/stats|failed|/outreach/stats|admin||500|error|admin|rename:outreach_messages"

	# Campaigns and sending (issue #16). @CAMP@ is a draft email campaign on list cov-camp
	# (two contacts with consent); @SJOB@ a send job of a running one that the broker holds
	# with @SCLAIM@, whose message's token is @STOKEN@.
	"POST /outreach/email|allowed|/outreach/email|admin|{\"list\":\"cov-camp\",\"from\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\",\"provider\":\"sendgrid\",\"credential\":\"c-sg\",\"start\":false}|201|allow|admin|"
	"POST /outreach/email|denied|/outreach/email|helper|{\"list\":\"cov-camp\"}|403|deny|helper|"
	"POST /outreach/email|invalid|/outreach/email|admin|{\"list\":\"cov-camp\",\"from\":\"a@example.com\",\"text\":\"t\",\"provider\":\"sendgrid\"}|400|invalid|admin|"
	"POST /outreach/email|failed|/outreach/email|admin|{\"list\":\"cov-camp\",\"from\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\",\"provider\":\"sendgrid\",\"credential\":\"c-sg\",\"start\":false}|500|error|admin|rename:outreach_campaigns"

	"POST /outreach/sms|allowed|/outreach/sms|admin|{\"list\":\"cov-camp\",\"from\":\"+15550000000\",\"body\":\"b\",\"provider\":\"twilio\",\"credential\":\"c-tw\",\"start\":false}|201|allow|admin|"
	"POST /outreach/sms|denied|/outreach/sms|none|{\"list\":\"cov-camp\"}|401|deny|anon|"
	"POST /outreach/sms|invalid|/outreach/sms|admin|{\"list\":\"cov-camp\",\"from\":\"+15550000000\",\"body\":\"b\",\"provider\":\"smtp\"}|400|invalid|admin|"
	"POST /outreach/sms|failed|/outreach/sms|admin|{\"list\":\"cov-camp\",\"from\":\"+15550000000\",\"body\":\"b\",\"provider\":\"twilio\",\"credential\":\"c-tw\",\"start\":false}|500|error|admin|rename:outreach_campaigns"

	"GET /outreach/campaigns|allowed|/outreach/campaigns|admin||200|allow|admin|"
	"GET /outreach/campaigns|denied|/outreach/campaigns|helper||403|deny|helper|"
	"GET /outreach/campaigns|invalid|/outreach/campaigns?state=sleeping|admin||400|invalid|admin|"
	"GET /outreach/campaigns|failed|/outreach/campaigns|admin||500|error|admin|rename:outreach_campaigns"

	"GET /outreach/campaigns/{id}|allowed|/outreach/campaigns/@CAMP@|admin||200|allow|admin|"
	"GET /outreach/campaigns/{id}|denied|/outreach/campaigns/@CAMP@|none||401|deny|anon|"
	"GET /outreach/campaigns/{id}|invalid|/outreach/campaigns/cp_aaaaaaaaaaaaaaaaaaaaaaaaaa|admin||404|invalid|admin|"
	"GET /outreach/campaigns/{id}|failed|/outreach/campaigns/@CAMP@|admin||500|error|admin|rename:outreach_campaigns"

	"POST /outreach/campaigns/{id}/start|denied|/outreach/campaigns/@CAMP@/start|helper||403|deny|helper|"
	"POST /outreach/campaigns/{id}/start|invalid|/outreach/campaigns/cp_aaaaaaaaaaaaaaaaaaaaaaaaaa/start|admin||404|invalid|admin|"
	"POST /outreach/campaigns/{id}/start|failed|/outreach/campaigns/@CAMP@/start|admin||500|error|admin|rename:outreach_campaigns"
	"POST /outreach/campaigns/{id}/start|allowed|/outreach/campaigns/@CAMP@/start|admin||200|allow|admin|"

	"POST /outreach/campaigns/{id}/pause|denied|/outreach/campaigns/@CAMP@/pause|none||401|deny|anon|"
	"POST /outreach/campaigns/{id}/pause|invalid|/outreach/campaigns/cp_aaaaaaaaaaaaaaaaaaaaaaaaaa/pause|admin||404|invalid|admin|"
	"POST /outreach/campaigns/{id}/pause|failed|/outreach/campaigns/@CAMP@/pause|admin||500|error|admin|rename:outreach_campaigns"
	"POST /outreach/campaigns/{id}/pause|allowed|/outreach/campaigns/@CAMP@/pause|admin||200|allow|admin|"

	"POST /outreach/campaigns/{id}/resume|denied|/outreach/campaigns/@CAMP@/resume|helper||403|deny|helper|"
	"POST /outreach/campaigns/{id}/resume|invalid|/outreach/campaigns/cp_aaaaaaaaaaaaaaaaaaaaaaaaaa/resume|admin||404|invalid|admin|"
	"POST /outreach/campaigns/{id}/resume|failed|/outreach/campaigns/@CAMP@/resume|admin||500|error|admin|rename:outreach_campaigns"
	"POST /outreach/campaigns/{id}/resume|allowed|/outreach/campaigns/@CAMP@/resume|admin||200|allow|admin|"

	"POST /outreach/campaigns/{id}/cancel|denied|/outreach/campaigns/@CAMP@/cancel|helper||403|deny|helper|"
	"POST /outreach/campaigns/{id}/cancel|invalid|/outreach/campaigns/cp_aaaaaaaaaaaaaaaaaaaaaaaaaa/cancel|admin||404|invalid|admin|"
	"POST /outreach/campaigns/{id}/cancel|failed|/outreach/campaigns/@CAMP@/cancel|admin||500|error|admin|rename:outreach_campaigns"
	"POST /outreach/campaigns/{id}/cancel|allowed|/outreach/campaigns/@CAMP@/cancel|admin||200|allow|admin|"

	"GET /outreach/sends/{job}|denied|/outreach/sends/@SJOB@?claim=@SCLAIM@|admin||403|deny|anon|"
	"GET /outreach/sends/{job}|invalid|/outreach/sends/@SJOB@?claim=cl_aaaaaaaaaaaaaaaaaaaaaaaaaa|broker||409|invalid|broker|"
	"GET /outreach/sends/{job}|failed|/outreach/sends/@SJOB@?claim=@SCLAIM@|broker||500|error|broker|rename:outreach_messages"
	"GET /outreach/sends/{job}|allowed|/outreach/sends/@SJOB@?claim=@SCLAIM@|broker||200|allow|broker|"

	"POST /outreach/track|allowed|/outreach/track|broker|{\"token\":\"@STOKEN@\",\"kind\":\"open\"}|200|allow|broker|"
	"POST /outreach/track|denied|/outreach/track|admin|{\"token\":\"@STOKEN@\",\"kind\":\"open\"}|403|deny|anon|"
	"POST /outreach/track|invalid|/outreach/track|broker|{\"token\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"kind\":\"open\"}|404|invalid|broker|"
	"POST /outreach/track|failed|/outreach/track|broker|{\"token\":\"@STOKEN@\",\"kind\":\"open\"}|500|error|broker|rename:outreach_events"

	"POST /outreach/sends/{job}/sending|denied|/outreach/sends/@SJOB@/sending|admin|{\"claim\":\"@SCLAIM@\"}|403|deny|anon|"
	"POST /outreach/sends/{job}/sending|invalid|/outreach/sends/@SJOB@/sending|broker|{\"claim\":\"cl_aaaaaaaaaaaaaaaaaaaaaaaaaa\"}|409|invalid|broker|"
	"POST /outreach/sends/{job}/sending|failed|/outreach/sends/@SJOB@/sending|broker|{\"claim\":\"@SCLAIM@\"}|500|error|broker|rename:outreach_messages"
	"POST /outreach/sends/{job}/sending|allowed|/outreach/sends/@SJOB@/sending|broker|{\"claim\":\"@SCLAIM@\"}|200|allow|broker|"

	"POST /outreach/sends/{job}/sent|denied|/outreach/sends/@SJOB@/sent|admin|{\"claim\":\"@SCLAIM@\"}|403|deny|anon|"
	"POST /outreach/sends/{job}/sent|invalid|/outreach/sends/@SJOB@/sent|broker|{\"claim\":\"cl_aaaaaaaaaaaaaaaaaaaaaaaaaa\",\"provider_id\":\"p1\"}|409|invalid|broker|"
	"POST /outreach/sends/{job}/sent|failed|/outreach/sends/@SJOB@/sent|broker|{\"claim\":\"@SCLAIM@\",\"provider_id\":\"p1\"}|500|error|broker|rename:outreach_messages"
	"POST /outreach/sends/{job}/sent|allowed|/outreach/sends/@SJOB@/sent|broker|{\"claim\":\"@SCLAIM@\",\"provider_id\":\"p1\"}|200|allow|broker|"

	# Ads (docs/ADS.md). @AD@ is an active ad (to pause), @AD2@ a paused one (to resume); the
	# broker holds the ad_create of a third with @ACLAIM@ (@AJOB@): GET before the step begins.
	"POST /outreach/ad|allowed|/outreach/ad|admin|{\"name\":\"cov-ad\",\"credential\":\"c-meta\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":100,\"currency\":\"USD\"},\"countries\":[\"US\"]}|201|allow|admin|"
	"POST /outreach/ad|denied|/outreach/ad|helper|{\"name\":\"cov-ad\",\"credential\":\"c-meta\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":100,\"currency\":\"USD\"},\"countries\":[\"US\"]}|403|deny|helper|"
	"POST /outreach/ad|invalid|/outreach/ad|admin|{\"name\":\"cov-ad\",\"credential\":\"c-meta\"}|400|invalid|admin|"
	"POST /outreach/ad|failed|/outreach/ad|admin|{\"name\":\"cov-ad\",\"credential\":\"c-meta\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":100,\"currency\":\"USD\"},\"countries\":[\"US\"]}|500|error|admin|rename:outreach_ads"

	"GET /outreach/ads|allowed|/outreach/ads|admin||200|allow|admin|"
	"GET /outreach/ads|denied|/outreach/ads|helper||403|deny|helper|"
	"GET /outreach/ads|invalid|/outreach/ads?x=1|admin||400|invalid|anon|"
	"GET /outreach/ads|failed|/outreach/ads|admin||500|error|admin|rename:outreach_ads"

	"GET /outreach/ads/{id}|allowed|/outreach/ads/@AD@|admin||200|allow|admin|"
	"GET /outreach/ads/{id}|denied|/outreach/ads/@AD@|none||401|deny|anon|"
	"GET /outreach/ads/{id}|invalid|/outreach/ads/ad_aaaaaaaaaaaaaaaaaaaaaaaaaa|admin||404|invalid|admin|"
	"GET /outreach/ads/{id}|failed|/outreach/ads/@AD@|admin||500|error|admin|rename:outreach_ads"

	"POST /outreach/ads/{id}/pause|denied|/outreach/ads/@AD@/pause|helper||403|deny|helper|"
	"POST /outreach/ads/{id}/pause|invalid|/outreach/ads/ad_aaaaaaaaaaaaaaaaaaaaaaaaaa/pause|admin||404|invalid|admin|"
	"POST /outreach/ads/{id}/pause|failed|/outreach/ads/@AD@/pause|admin||500|error|admin|rename:outreach_ads"
	"POST /outreach/ads/{id}/pause|allowed|/outreach/ads/@AD@/pause|admin||202|allow|admin|"
	"POST /outreach/ads/{id}/pause|invalid|/outreach/ads/@AD@/pause|admin||409|invalid|admin|"

	"POST /outreach/ads/{id}/resume|denied|/outreach/ads/@AD2@/resume|none||401|deny|anon|"
	"POST /outreach/ads/{id}/resume|invalid|/outreach/ads/ad_aaaaaaaaaaaaaaaaaaaaaaaaaa/resume|admin||404|invalid|admin|"
	"POST /outreach/ads/{id}/resume|failed|/outreach/ads/@AD2@/resume|admin||500|error|admin|rename:outreach_ads"
	"POST /outreach/ads/{id}/resume|allowed|/outreach/ads/@AD2@/resume|admin||202|allow|admin|"

	"GET /outreach/ad-jobs/{job}|denied|/outreach/ad-jobs/@AJOB@?claim=@ACLAIM@|admin||403|deny|anon|"
	"GET /outreach/ad-jobs/{job}|invalid|/outreach/ad-jobs/@AJOB@?claim=cl_aaaaaaaaaaaaaaaaaaaaaaaaaa|broker||409|invalid|broker|"
	"GET /outreach/ad-jobs/{job}|failed|/outreach/ad-jobs/@AJOB@?claim=@ACLAIM@|broker||500|error|broker|rename:outreach_ads"
	"GET /outreach/ad-jobs/{job}|allowed|/outreach/ad-jobs/@AJOB@?claim=@ACLAIM@|broker||200|allow|broker|"

	"POST /outreach/ad-jobs/{job}/step|denied|/outreach/ad-jobs/@AJOB@/step|admin|{\"claim\":\"@ACLAIM@\",\"object\":\"campaign\",\"phase\":\"begin\"}|403|deny|anon|"
	"POST /outreach/ad-jobs/{job}/step|invalid|/outreach/ad-jobs/@AJOB@/step|broker|{\"claim\":\"cl_aaaaaaaaaaaaaaaaaaaaaaaaaa\",\"object\":\"campaign\",\"phase\":\"begin\"}|409|invalid|broker|"
	"POST /outreach/ad-jobs/{job}/step|failed|/outreach/ad-jobs/@AJOB@/step|broker|{\"claim\":\"@ACLAIM@\",\"object\":\"campaign\",\"phase\":\"begin\"}|500|error|broker|rename:outreach_ads"
	"POST /outreach/ad-jobs/{job}/step|allowed|/outreach/ad-jobs/@AJOB@/step|broker|{\"claim\":\"@ACLAIM@\",\"object\":\"campaign\",\"phase\":\"begin\"}|200|allow|broker|"

	# Last: a reset of alice ends every session of hers, the admin's included.
	"POST /admins/{name}/reset|allowed|/admins/alice/reset|admin||200|allow|admin|"
)

# ---- the routes of routes.c: each audited one needs rows ---------------------------------
mapfile -t ROUTES_ALL < <(sed -n 's/^[[:space:]]*{ HTTP_\([A-Z]*\), "\([^"]*\)", ROUTE_[A-Z_]*, [a-z_]*, "\([a-z_]*\)",.*\(AUDIT_[A-Z_]*\) },.*/\1 \2|\3|\4/p' "$ROUTES")
check "routes.c parsed: every route line understood (${#ROUTES_ALL[@]})" \
	test "${#ROUTES_ALL[@]}" -eq "$(grep -c '^[[:space:]]*{ HTTP_[A-Z]*, "/' "$ROUTES")" -a "${#ROUTES_ALL[@]}" -ge 20
declare -A RNAME
for r in "${ROUTES_ALL[@]}"; do
	IFS='|' read -r key name mode <<<"$r"
	RNAME[$key]=$name
done
declare -A HAVE
for row in "${TABLE[@]}"; do
	IFS='|' read -r key outcome _ <<<"$row"
	HAVE[$key|$outcome]=1
	[ -n "${RNAME[$key]:-}" ] || notok "table row for a route not in routes.c: $key"
done
for np in "${NOT_PRODUCIBLE[@]}"; do IFS='|' read -r key outcome _ <<<"$np"; HAVE[$key|$outcome]=np; done
for r in "${ROUTES_ALL[@]}"; do
	IFS='|' read -r key name mode <<<"$r"
	if [ "$mode" = AUDIT_OFF ]; then continue; fi
	for outcome in allowed denied invalid failed; do
		[ -n "${HAVE[$key|$outcome]:-}" ] ||
			notok "routes.c: $key ($name) has no '$outcome' row and no not-producible entry"
	done
done
for np in "${NOT_PRODUCIBLE[@]}" "${NOT_PRODUCIBLE_EXTRA[@]}"; do
	IFS='|' read -r key outcome why <<<"$np"
	ok "$key $outcome: not producible from outside ($why)"
done

# ---- a vault, an admin, credentials, helpers, grants ------------------------------------
: >"$T/calls"        # every request: RID AUDITED(1/0) WHAT
: >"$T/secrets"      # every secret value and token used: none may leak
secret() { printf '%s\n' "$1" >>"$T/secrets"; }
# call WHAT AUDITED METHOD PATH TOKEN [BODY]: areq, and note its request id.
call() {
	local what=$1 aud=$2; shift 2
	areq "$@"
	echo "${ARID:-none} $aud $what" >>"$T/calls"
}
init_dev "$T/s" "broker_uid_outreach = $MYUID" "outreach_public_url = https://hooks.example.test" \
	"outreach_postal_address = 1 Main St, Springfield" >/dev/null 2>&1 || { notok "init"; finish; }
S=$T/s
start_vault "$S" "$T/vault.log" || { notok "vault starts"; finish; }
PW="pw $(canary pw)"; secret "$PW"
SA=$(canary sa) SB=$(canary sb) SR=$(canary sr) SBAD=$(canary sbad)
SNEW=$(canary snew) SV2=$(canary sv2) SV3=$(canary sv3)
for x in "$SA" "$SB" "$SR" "$SBAD" "$SNEW" "$SV2" "$SV3"; do secret "$x"; done

# Rows are run in order; the first one creates the admin (its answer holds the TOTP secret).
T0=$(date +%s)
setup_after_admin() {
	local i
	TOTP_SECRET=$(jq -r .totp_secret "$T/areq.body"); secret "$TOTP_SECRET"
	mapfile -t RECOVERY < <(jq -r '.recovery_codes[]' "$T/areq.body")
	for i in "${RECOVERY[@]}"; do secret "$i"; done
	check "the first admin's answer has a TOTP secret and recovery codes" \
		test -n "$TOTP_SECRET" -a "${#RECOVERY[@]}" -ge 2
	# The step before now, as admin_setup: when a step ends while the (sanitized, slow) password
	# check runs that code is too old, and one more try with the step before the new now works.
	for try in 1 2; do
		call "setup: sign in ($try)" 1 POST /auth/login "" \
			"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(totp_code -1)\"}"
		SESSION=$(jq -r '.session // empty' "$T/areq.body"); ACC=$(jq -r '.accessor // empty' "$T/areq.body")
		[ -n "$SESSION" ] && break
	done
	secret "$SESSION"
	call "setup: whoami" 1 GET /auth/session "$SESSION"
	check "setup: signed in; GET /auth/session names the login's accessor" \
		test -n "$SESSION" -a "$(jq -r .accessor "$T/areq.body")" = "$ACC"
	for v in P2 P3; do
		call "setup: pending session $v" 1 POST /auth/login "" "{\"name\":\"alice\",\"password\":\"$PW\"}"
		printf -v "$v" '%s' "$(jq -r '.session // empty' "$T/areq.body")"
		printf -v "${v}ACC" '%s' "$(jq -r '.accessor // empty' "$T/areq.body")"
		secret "${!v}"
	done
	mkcred() { # mkcred VAR NAME SECRET
		call "setup: credential $2" 1 POST /credentials "$SESSION" \
			"{\"name\":\"$2\",\"type\":\"api_key\",\"service\":\"cov\",\"secret\":\"$3\"}"
		printf -v "$1" '%s' "$(jq -r '.id // empty' "$T/areq.body")"
	}
	mkcred CRED c-a "$SA"; mkcred CRED2 c-b "$SB"; mkcred CREDREV c-rev "$SR"; mkcred CREDBAD c-bad "$SBAD"
	call "setup: helper" 1 POST /helpers "$SESSION" '{"name":"Cov One","contact":"one@example.com","kind":"setup"}'
	HELPER=$(jq -r '.id // empty' "$T/areq.body")
	call "setup: helper to remove" 1 POST /helpers "$SESSION" '{"name":"Cov Rev","contact":"rev@example.com","kind":"setup"}'
	HELPERREV=$(jq -r '.id // empty' "$T/areq.body")
	call "setup: grant" 1 POST /credentials/grant "$SESSION" \
		"{\"helper\":\"$HELPER\",\"credentials\":[\"$CRED\"],\"actions\":[\"read\",\"update\"]}"
	HTOK=$(jq -r '.token // empty' "$T/areq.body"); HACC=$(jq -r '.accessor // empty' "$T/areq.body")
	secret "$HTOK"
	# A budget of 0 is paused at once (budget_resume); spend at 100 % of another raises alerts.
	call "setup: a budget of 0" 1 PUT /budgets/covp "$SESSION" '{"daily":0,"currency":"USD"}'
	call "setup: a budget" 1 PUT /budgets/cova "$SESSION" '{"daily":100,"currency":"USD"}'
	"$BOS_TESTBIN/spend_tool" "$S" jb_cov cova 100 USD >/dev/null 2>>"$T/dbtool.err"
	call "setup: the alerts" 1 GET /alerts "$SESSION"
	ALERT=$(jq -r '.alerts[0].id // empty' "$T/areq.body")
	check "setup: a paused budget and an alert" bash -c "[[ '$ALERT' == al_* ]]"
	# A broker holding two sendgrid jobs and a lease, and a broker to revoke (issue #14).
	SSG=$(canary ssg); secret "$SSG"
	call "setup: a sendgrid credential" 1 POST /credentials "$SESSION" \
		"{\"name\":\"c-sg\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$SSG\"}"
	call "setup: a broker" 1 POST /brokers "$SESSION" '{"role":"outreach","name":"cov broker"}'
	BTOK=$(jq -r '.token // empty' "$T/areq.body"); BACC=$(jq -r '.accessor // empty' "$T/areq.body")
	secret "$BTOK"
	call "setup: a broker to revoke" 1 POST /brokers "$SESSION" '{"role":"outreach","name":"cov rev"}'
	BREV=$(jq -r '.id // empty' "$T/areq.body"); secret "$(jq -r '.token // empty' "$T/areq.body")"
	for v in 1 2; do
		call "setup: job $v" 1 POST /jobs "$SESSION" "{\"kind\":\"verify\",\"service\":\"sendgrid\",\"idempotency_key\":\"cov-$v\"}"
		call "setup: claim $v" 1 POST /jobs/claim "@sock:$BTOK" '{"kinds":["verify"],"wait":0}'
		printf -v "JOBV$v" '%s' "$(jq -r '.job.id // empty' "$T/areq.body")"
		printf -v "CLAIMV$v" '%s' "$(jq -r '.job.claim // empty' "$T/areq.body")"
	done
	JOB=$JOBV1 CLAIM=$CLAIMV1 JOB2=$JOBV2 CLAIM2=$CLAIMV2
	call "setup: a lease" 1 POST /leases "@sock:$BTOK" "{\"credential\":\"c-sg\",\"purpose\":\"cov\",\"job\":\"$JOB\",\"ttl\":300}"
	LEASE=$(jq -r '.lease // empty' "$T/areq.body")
	check "setup: a broker, two claimed jobs, a lease, a broker to revoke" bash -c \
		"[[ '$BTOK' == bos_b_* && '$BACC' == acc_* && '$BREV' == bk_* && '$JOB' == jb_* && '$JOB2' == jb_* &&
		   '$CLAIM' == cl_* && '$CLAIM2' == cl_* && '$LEASE' == ls_* ]]"
	# Two raises waiting for approval and a grant whose token waits for pickup (issue #15).
	for v in APPROVAL APPROVAL2; do
		call "setup: a raise of cova ($v)" 1 PUT /budgets/cova "$SESSION" \
			"{\"daily\":$([ $v = APPROVAL ] && echo 200 || echo 300),\"currency\":\"USD\"}"
		printf -v "$v" '%s' "$(jq -r '.approval.id // empty' "$T/areq.body")"
	done
	call "setup: a pickup grant" 1 POST /credentials/grant "$SESSION" \
		"{\"helper\":\"$HELPER\",\"credentials\":[\"$CRED\"],\"actions\":[\"read\"],\"delivery\":\"pickup\"}"
	PICKUP=$(jq -r '.accessor // empty' "$T/areq.body")
	check "setup: two pending approvals and a pickup grant" bash -c \
		"[[ '$APPROVAL' == ap_* && '$APPROVAL2' == ap_* && '$PICKUP' == acc_* ]]"
	call "setup: a contact list" 1 POST /outreach/lists "$SESSION" \
		'{"name":"cov","format":"json","contacts":[{"email":"c1@example.com"}]}'
	OLIST=$(jq -r '.list.id // empty' "$T/areq.body")
	check "setup: a contact list" bash -c "[[ '$OLIST' == ol_* ]]"
	# Campaigns (issue #16): a list with consent, a draft (@CAMP@), a running one whose send
	# job the broker holds (@SJOB@, @SCLAIM@; its message's token @STOKEN@).
	STW=$(canary stw); secret "$STW"
	call "setup: a twilio credential" 1 POST /credentials "$SESSION" \
		"{\"name\":\"c-tw\",\"type\":\"api_key\",\"service\":\"twilio\",\"secret\":\"$STW\"}"
	call "setup: a list with consent" 1 POST /outreach/lists "$SESSION" \
		'{"name":"cov-camp","format":"json","contacts":[{"email":"k1@example.com","phone":"+15550100001","consent":"both"},{"email":"k2@example.com","phone":"+15550100002","consent":"both"}]}'
	call "setup: a draft campaign" 1 POST /outreach/email "$SESSION" \
		'{"list":"cov-camp","from":"a@example.com","subject":"s","text":"t","provider":"sendgrid","credential":"c-sg","start":false}'
	CAMP=$(jq -r '.campaign.id // empty' "$T/areq.body")
	call "setup: a running campaign" 1 POST /outreach/email "$SESSION" \
		'{"list":"cov-camp","from":"a@example.com","subject":"s","text":"t","provider":"sendgrid","credential":"c-sg","per_minute":6000}'
	call "setup: claim a send" 1 POST /jobs/claim "@sock:$BTOK" '{"kinds":["send_email"],"wait":2}'
	SJOB=$(jq -r '.job.id // empty' "$T/areq.body"); SCLAIM=$(jq -r '.job.claim // empty' "$T/areq.body")
	call "setup: its message" 1 GET "/outreach/sends/$SJOB?claim=$SCLAIM" "@sock:$BTOK"
	STOKEN=$(jq -r '.message.token // empty' "$T/areq.body")
	check "setup: a draft campaign, a claimed send and its token" bash -c \
		"[[ '$CAMP' == cp_* && '$SJOB' == jb_* && '$SCLAIM' == cl_* && ${#STOKEN} -eq 22 ]]"
	# Ads (docs/ADS.md): a Meta key, a budget of meta, three ads: @AD@ made active and @AD2@
	# paused with bos_dbtool (their jobs ended), the third's ad_create held by the broker.
	SMETA=$(canary smeta); secret "$SMETA"
	call "setup: a meta credential" 1 POST /credentials "$SESSION" \
		"{\"name\":\"c-meta\",\"type\":\"api_key\",\"service\":\"meta\",\"secret\":\"$SMETA\"}"
	call "setup: a budget of meta" 1 PUT /budgets/meta "$SESSION" '{"daily":100000,"currency":"USD"}'
	for v in AD AD2 AD3; do
		call "setup: ad $v" 1 POST /outreach/ad "$SESSION" \
			'{"name":"cov","credential":"c-meta","account":"act_1","post":"1_2","daily_budget":{"amount":100,"currency":"USD"},"countries":["US"]}'
		printf -v "$v" '%s' "$(jq -r '.ad.id // empty' "$T/areq.body")"
	done
	"$DBTOOL" "$S" "UPDATE outreach_ads SET state = CASE id WHEN '$AD' THEN 'active' ELSE 'paused'
		END, pause_reason = CASE id WHEN '$AD' THEN NULL ELSE 'admin' END, meta_campaign = '1',
		meta_adset = '2', meta_creative = '3', meta_ad = '4', paused_at = 1
		WHERE id IN ('$AD', '$AD2')" >/dev/null 2>>"$T/dbtool.err"
	"$DBTOOL" "$S" "UPDATE jobs SET state = 'dead', finished_at = 1 WHERE ad IN ('$AD', '$AD2')" \
		>/dev/null 2>>"$T/dbtool.err"
	call "setup: claim an ad_create" 1 POST /jobs/claim "@sock:$BTOK" '{"kinds":["ad_create"],"wait":0}'
	AJOB=$(jq -r '.job.id // empty' "$T/areq.body"); ACLAIM=$(jq -r '.job.claim // empty' "$T/areq.body")
	AJAD=$(jq -r '.job.params.ad // empty' "$T/areq.body")
	check "setup: an active ad, a paused one, the third's ad_create claimed" bash -c \
		"[[ '$AD' == ad_* && '$AD2' == ad_* && '$AJAD' == '$AD3' && '$AJOB' == jb_* && '$ACLAIM' == cl_* ]]"
	call "setup: grant to revoke" 1 POST /credentials/grant "$SESSION" \
		"{\"helper\":\"$HELPER\",\"credentials\":[\"$CRED\"],\"actions\":[\"read\"]}"
	GRANTREV=$(jq -r '.accessor // empty' "$T/areq.body"); secret "$(jq -r '.token // empty' "$T/areq.body")"
	check "setup: 4 credentials, 2 helpers, 2 grants, 2 pending sessions" bash -c \
		"[[ '$CRED' == cr_* && '$CRED2' == cr_* && '$CREDREV' == cr_* && '$CREDBAD' == cr_* &&
		   '$HELPER' == hl_* && '$HELPERREV' == hl_* && '$HTOK' == bos_h_* && '$GRANTREV' == acc_* &&
		   '$P2' == bos_s_* && '$P3' == bos_s_* ]]"
	# Damage the stored tag of CREDBAD's ciphertext (the vault keeps running).
	"$DBTOOL" "$S" "UPDATE credential_versions SET ciphertext = substr(ciphertext, 1,
		length(ciphertext) - 16) || zeroblob(16) WHERE cred_id = '$CREDBAD'" >/dev/null 2>"$T/dbtool.err"
	check "setup: CREDBAD's ciphertext damaged with bos_dbtool" test $? -eq 0
	BADTOK=bos_s_$(printf 'x%.0s' $(seq 40))
	# The trail now: the row checks below compare with it.
	audit_fetch "$T/trail0.json" >"$T/fetch_rids" || notok "reading the trail after setup"
}

subst() {
	local s=$1 c
	if [[ "$s" == *TOTP@* ]]; then
		c=$(totp_code 0)
		s=${s//@TOTP@/$c}; s=${s//@BADTOTP@/$(printf '%06d' $(( (10#$c + 500000) % 1000000 )))}
	fi
	if [[ "$s" == *@TOTPNEXT@* ]]; then
		s=${s//@TOTPNEXT@/$(totp_code 1)}
		echo $(( $(date +%s) / 30 + 1 )) >"$T/last_step"
	fi
	[[ "$s" == *@TOTPFRESH@* ]] && s=${s//@TOTPFRESH@/$(totp_fresh)}
	s=${s//@PW@/$PW}
	s=${s//@SECRET_NEW@/$SNEW}; s=${s//@SECRET_V2@/$SV2}; s=${s//@SECRET_V3@/$SV3}
	s=${s//@CREDREV@/${CREDREV:-}}; s=${s//@CREDBAD@/${CREDBAD:-}}; s=${s//@CRED2@/${CRED2:-}}
	s=${s//@CRED@/${CRED:-}}; s=${s//@HELPERREV@/${HELPERREV:-}}; s=${s//@HELPER@/${HELPER:-}}
	s=${s//@GRANTREV@/${GRANTREV:-}}; s=${s//@HTOK@/${HTOK:-}}
	s=${s//@ALERT@/${ALERT:-}}
	s=${s//@JOB2@/${JOB2:-}}; s=${s//@JOB@/${JOB:-}}; s=${s//@CLAIM2@/${CLAIM2:-}}
	s=${s//@CLAIM@/${CLAIM:-}}; s=${s//@LEASE@/${LEASE:-}}; s=${s//@BREV@/${BREV:-}}
	s=${s//@APPROVAL2@/${APPROVAL2:-}}; s=${s//@APPROVAL@/${APPROVAL:-}}; s=${s//@PICKUP@/${PICKUP:-}}
	s=${s//@OLIST@/${OLIST:-}}
	s=${s//@CAMP@/${CAMP:-}}; s=${s//@SJOB@/${SJOB:-}}; s=${s//@SCLAIM@/${SCLAIM:-}}
	s=${s//@STOKEN@/${STOKEN:-}}
	s=${s//@AD2@/${AD2:-}}; s=${s//@AD@/${AD:-}}; s=${s//@AJOB@/${AJOB:-}}; s=${s//@ACLAIM@/${ACLAIM:-}}
	printf '%s' "$s"
}
# totp_fresh: a code of a step after every one used (in $T/last_step: subst runs in a
# subshell), waiting for the next step when the vault's window has none left.
totp_fresh() {
	local step=$(( $(cat "$T/last_step" 2>/dev/null || echo 0) + 1 ))
	[ "$step" -lt $(( $(date +%s) / 30 )) ] && step=$(( $(date +%s) / 30 ))
	while [ "$step" -gt $(( $(date +%s) / 30 + 1 )) ]; do sleep 1; done
	echo "$step" >"$T/last_step"
	oathtool --totp -b "$TOTP_SECRET" -N "@$((step * 30))"
}
token_of() {
	case $1 in
	admin) echo "$SESSION" ;; none) echo "" ;; bad) echo "$BADTOK" ;; helper) echo "$HTOK" ;;
	p1) echo "$P1" ;; p2) echo "$P2" ;; p3) echo "$P3" ;; sock) echo @sock ;;
	broker) echo "@sock:$BTOK" ;;
	esac
}
principal_of() {
	case $1 in
	admin) echo "$ACC" ;; helper) echo "$HACC" ;; broker) echo "$BACC" ;; p1) echo "$P1ACC" ;; p2) echo "$P2ACC" ;;
	p3) echo "$P3ACC" ;; local) echo "local:uid=$MYUID" ;; anon) echo anonymous ;; =*) echo "${1#=}" ;;
	esac
}
fault() { # fault on|off TABLE
	if [ "$1" = on ]; then "$DBTOOL" "$S" "ALTER TABLE $2 RENAME TO ${2}_cov" >/dev/null
	else "$DBTOOL" "$S" "ALTER TABLE ${2}_cov RENAME TO $2" >/dev/null; fi
}

: >"$T/rows"   # RID|KEY|OUTCOME|DECISION|PRINCIPAL|CLIENT|PATH
declare -A COUNT
for row in "${TABLE[@]}"; do
	IFS='|' read -r key outcome path auth body status decision pkind faultspec <<<"$row"
	m=${key%% *}; p=$(subst "$path"); b=$(subst "$body"); tok=$(token_of "$auth")
	tbl=${faultspec#rename:}
	if [ -n "$faultspec" ] && ! fault on "$tbl"; then notok "$key $outcome: renaming $tbl"; continue; fi
	call "$key $outcome" 1 "$m" "$p" "$tok" "$b"
	[ -n "$faultspec" ] && { fault off "$tbl" || notok "$key $outcome: renaming $tbl back"; }
	if [ "$ARS" = "$status" ] && [ -n "$ARID" ]; then
		ok "$key $outcome ($auth${faultspec:+, $faultspec}): $status"
	else
		notok "$key $outcome ($auth${faultspec:+, $faultspec}): want $status, got $ARS $(head -c 300 "$T/areq.body")"
	fi
	[ "$auth" = sock ] || [ "$auth" = broker ] && client=unix || client=127.0.0.1
	echo "$ARID|$key|$outcome|$decision|$pkind|$client|$p" >>"$T/rows"
	COUNT[$key|$outcome]=$(( ${COUNT[$key|$outcome]:-0} + 1 ))
	case "$key|$outcome" in
	"POST /admins|allowed") setup_after_admin ;;
	"POST /auth/login|allowed")
		P1=$(jq -r '.session // empty' "$T/areq.body"); P1ACC=$(jq -r '.accessor // empty' "$T/areq.body")
		secret "$P1" ;;
	"POST /credentials|allowed") NEWCRED=$(jq -r '.id // empty' "$T/areq.body") ;;
	"POST /credentials/grant|allowed") secret "$(jq -r '.token // empty' "$T/areq.body")" ;;
	"POST /grants/{accessor}/pickup|allowed") secret "$(jq -r '.token // empty' "$T/areq.body")" ;;
	"GET /credentials/audit/export|allowed") cp "$T/areq.body" "$T/export1" ;;
	esac
done
TTABLE=$(( $(date +%s) - T0 ))

# ---- no record for unrouted paths and AUDIT_OFF routes -------------------------------------
call "unknown path" 0 GET /no/such/path "$SESSION"
check "an unknown path: 404" test "$ARS" = 404
call "unknown path with a token" 0 GET /credentials/x/y/z "$SESSION"
check "an unknown deeper path: 404" test "$ARS" = 404
call "GET /health" 0 GET /health ""
check "GET /health: 200" test "$ARS" = 200
call "PATCH /helpers" 0 PATCH /helpers "$SESSION"
check "a known path with another method: 405" test "$ARS" = 405
# The reset ended the admin's sessions: sign in again with a recovery code.
relogin() {
	call "sign in with a recovery code" 1 POST /auth/login "" \
		"{\"name\":\"alice\",\"password\":\"$PW\",\"recovery_code\":\"$1\"}"
	SESSION=$(jq -r '.session // empty' "$T/areq.body"); secret "$SESSION"
	[ "$ARS" = 200 ] && [ "$(jq -r .state "$T/areq.body")" = full ]
}
call "GET /auth/session after the reset" 1 GET /auth/session "$SESSION"
check "the reset ended the session (401)" test "$ARS" = 401
check "signed in again with a recovery code" relogin "${RECOVERY[0]}"
call "GET /metrics" 0 GET /metrics "$SESSION"
check "GET /metrics: 200" test "$ARS" = 200
audit_fetch "$T/trail1.json" >>"$T/fetch_rids" || notok "reading the trail"
check "the trail was read ($(jq length "$T/trail1.json") records)" test "$(jq length "$T/trail1.json")" -gt 50

# ---- one record per row, every field right --------------------------------------------------
TR=$T/trail1.json
rowfail=0
while IFS='|' read -r rid key outcome decision pkind client path; do
	want_p=$(principal_of "$pkind")
	recs=$(audit_rid "$TR" "$rid")
	n=$(jq length <<<"$recs")
	if [ "$n" != 1 ]; then
		notok "$key $outcome: $n records with request id $rid (want 1)"; rowfail=$((rowfail + 1)); continue
	fi
	if jq -e --arg a "${RNAME[$key]}" --arg d "$decision" --arg p "$want_p" --arg c "$client" \
		".[0] | ($audit_fields_ok) and .action == \$a and .decision == \$d and .principal == \$p
		 and .client == \$c" <<<"$recs" >/dev/null; then
		ok "$key $outcome: one record, action ${RNAME[$key]}, $decision, principal $want_p, client $client"
	else
		notok "$key $outcome: record wrong (want action ${RNAME[$key]} $decision principal '$want_p' client $client): $(jq -c '.[0]' <<<"$recs")"
		rowfail=$((rowfail + 1))
	fi
done <"$T/rows"

# The resource: the path (query left out, tokens masked) or what the handler named.
res_of() { jq -r --arg r "$1" '.[] | select(.request_id == $r) | .resource' "$TR"; }
rid_of() { grep -F "|$1|$2|" "$T/rows" | head -1 | cut -d'|' -f1; }
check "resource of GET /credentials/{id} allowed: /credentials/<id>" \
	test "$(res_of "$(rid_of 'GET /credentials/{id}' allowed)")" = "/credentials/$CRED"
check "resource of POST /credentials allowed: /credentials/<new id>" \
	test "$(res_of "$(rid_of 'POST /credentials' allowed)")" = "/credentials/$NEWCRED"
# A token pasted into a path: every templated route has a row with the helper token as
# {id}/{name}/{accessor}. Its record must mask it in the resource and hold it nowhere.
# The 404 message of the credential routes echoes the segment ("no credential named
# '...'"): the vault masks tokens in every field of the record, not only in the path.
TOKRIDS=$(awk -F'|' -v t="/$HTOK" 'index($7, t) { print $1 }' "$T/rows")
for rid in $TOKRIDS; do
	rec=$(jq -c --arg r "$rid" '.[] | select(.request_id == $r)' "$TR")
	key=$(grep -F "$rid|" "$T/rows" | cut -d'|' -f2)
	check "token in the path of $key: resource masked as (token)" grep -qF '(token)' <<<"$(jq -r .resource <<<"$rec")"
	check "token in the path of $key: the token is nowhere in its record" test "$(grep -cF "$HTOK" <<<"$rec")" -eq 0
done
check "resource of DELETE /helpers/{id} allowed: /helpers/<id>" \
	test "$(res_of "$(rid_of 'DELETE /helpers/{id}' allowed)")" = "/helpers/$HELPERREV"
check "resource of GET /credentials invalid (?stale=maybe): the path without the query" \
	test "$(res_of "$(rid_of 'GET /credentials' invalid)")" = "/credentials"
reason_of() { jq -r --arg r "$(rid_of "$1" "$2")" '.[] | select(.request_id == $r) | .reason' "$TR"; }
check "reason of a plain allow (GET /helpers): ok" test "$(reason_of 'GET /helpers' allowed)" = ok
check "reason of a sign-in: the new session's accessor, totp_pending" \
	test "$(reason_of 'POST /auth/login' allowed)" = "session $P1ACC, totp_pending"
check "reason of a wrong password: 'wrong password or code'" \
	grep -q '^wrong password or code' <<<"$(reason_of 'POST /auth/login' denied)"
check "reason of a missing token: unauthenticated: ..." \
	grep -q '^unauthenticated: ' <<<"$(reason_of 'GET /auth/session' denied)"
r=$(awk -F'|' -v c="/credentials/$CRED2" '$2 == "GET /credentials/{id}" && $7 == c { print $1 }' "$T/rows")
check "reason of a helper outside its grant: the policy's reason, not a status" bash -c \
	"jq -r --arg r '$r' '.[] | select(.request_id == \$r) | .reason' '$TR' | grep -qv -e '^forbidden' -e '^ok\$'"
check "the 500 decrypt_failed record's reason names the failure" bash -c \
	"jq -r --arg r '$(rid_of 'GET /credentials/{id}' failed)' '.[] | select(.request_id == \$r) | .reason' '$TR' | grep -q decrypt"

# ---- every request made: exactly one record, or none (unrouted, AUDIT_OFF) ------------------
calls_ok=0 calls_bad=0
while read -r rid aud what; do
	n=$(jq --arg r "$rid" '[.[] | select(.request_id == $r)] | length' "$TR")
	if [ "$n" = "$aud" ]; then calls_ok=$((calls_ok + 1)); else
		calls_bad=$((calls_bad + 1)); notok "request '$what' ($rid): $n records, want $aud"; fi
done <"$T/calls"
check "every request: the right number of records ($calls_ok requests)" test "$calls_bad" -eq 0
for w in "unknown path" "GET /health" "GET /metrics" "PATCH /helpers"; do
	rid=$(grep -F " 0 $w" "$T/calls" | head -1 | cut -d' ' -f1)
	check "$w: a request id ($rid), and no record with it" bash -c \
		"[ -n '$rid' ] && [ '$rid' != none ] && [ \"\$(jq --arg r '$rid' '[.[] | select(.request_id == \$r)] | length' '$TR')\" = 0 ]"
done

# The trail grew by exactly the calls made after the first read (plus the reads themselves).
seq0=$(jq '[.[].seq] | max' "$T/trail0.json")
n_after=$(jq --argjson s "$seq0" '[.[] | select(.seq > $s and .principal != "vault")] | length' "$TR")
n_reads=$(head -n "$(( $(wc -l <"$T/fetch_rids") - 1 ))" "$T/fetch_rids" | wc -l)
# The first read came right after the setup's last call; count the audited calls since.
n_calls=$(sed -n '/ setup: grant to revoke$/,$p' "$T/calls" | tail -n +2 | awk '$2 == 1' | wc -l)
vault_recs=$(jq -c --argjson s "$seq0" '[.[] | select(.seq > $s and .principal == "vault") | .action]' "$TR")
check "records after the first read: $n_after = $n_calls audited calls + $n_reads earlier reads (vault's own: $vault_recs)" \
	test "$n_after" -eq $((n_calls + n_reads))
others=$(jq -r '.[] | select(.principal != "vault") | .request_id' "$TR" | sort |
	comm -23 - <(cut -d' ' -f1 "$T/calls" "$T/fetch_rids" | sort -u) | head -5)
check "no record from a request this test did not make" test -z "$others"
[ -z "$others" ] || echo "# unexpected: $others"

# ---- start, policy load, a clean stop and restart ------------------------------------------
check "vault_start and policy_load records by principal vault" jq -e \
	'any(.[]; .principal == "vault" and .action == "vault_start" and .decision == "allow")
	 and any(.[]; .principal == "vault" and .action == "policy_load")' "$TR"
last1=$(jq '[.[].seq] | max' "$TR")
kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "SIGTERM: the vault stops cleanly (exit $rc)" test "$rc" -eq 0
mv "$T/vault.log" "$T/vault1.log"
check "the vault restarts" start_vault "$S" "$T/vault.log"
check "signed in after the restart with another recovery code" relogin "${RECOVERY[1]}"
call "export after restart" 1 GET /credentials/audit/export "$SESSION"
cp "$T/areq.body" "$T/export2"
check "GET /credentials/audit/export after the restart: 200" test "$ARS" = 200
audit_fetch "$T/trail2.json" >>"$T/fetch_rids" || notok "reading the trail after the restart"
check "after the restart: vault_stop, then vault_start, then policy_load" jq -e --argjson s "$last1" '
	[.[] | select(.seq > $s and .principal == "vault")] as $v
	| ($v | map(select(.action == "vault_stop")) | .[0].seq) as $stop
	| ($v | map(select(.action == "vault_start")) | .[0].seq) as $start
	| ($v | map(select(.action == "policy_load")) | .[0].seq) as $pol
	| $stop != null and $start != null and $pol != null and $stop < $start and $start < $pol
	  and ($v | map(select(.action == "vault_stop" or .action == "vault_start")) | all('"$audit_fields_ok"'))' \
	"$T/trail2.json"
check "the whole trail: every record well-formed, seq 1..N without gaps" jq -e \
	"(map($audit_fields_ok) | all) and ([.[].seq] == [range(1; length + 1)])" "$T/trail2.json"

# ---- canary: no secret or token in the trail, the export or the database files --------------
kill -TERM "$VPID"; wait "$VPID"
jq -c '.[]' "$T/trail0.json" "$T/trail1.json" "$T/trail2.json" >"$T/trail.all"
for e in 1 2; do cp "$T/export$e" "$T/export$e.c"; done
sort -u "$T/secrets" | grep -v '^$' >"$T/secrets.u"
leaks=0
while IFS= read -r sec; do
	for f in "$T/trail.all" "$T/export1.c" "$T/export2.c" "$S/bos.db" "$S/bos.db-wal"; do
		if [ "$(count_in "$sec" "$f")" -ne 0 ]; then
			leaks=$((leaks + 1)); echo "# a secret (${sec:0:8}...) is in $(basename "$f")"
		fi
	done
done <"$T/secrets.u"
check "no secret or token ($(wc -l <"$T/secrets.u") of them) in the trail, the exports, bos.db, bos.db-wal" \
	test "$leaks" -eq 0
check "the exports hold records (the canary check looked at something)" \
	test "$(grep -c '"type":"record"' "$T/export2")" -gt 50
check "no sanitizer report from the vault" \
	bash -c "! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$T'/vault*.log"

# ---- the table, routes x outcomes -------------------------------------------------------------
echo "# routes x outcomes (rows per cell; np = not producible from outside; table ran ${TTABLE}s)"
for r in "${ROUTES_ALL[@]}"; do
	IFS='|' read -r key name mode <<<"$r"
	[ "$mode" = AUDIT_OFF ] && { printf '#   %-32s no record (AUDIT_OFF)\n' "$key"; continue; }
	line=""
	for o in allowed denied invalid failed; do
		c=${COUNT[$key|$o]:-0}; [ "$c" = 0 ] && [ "${HAVE[$key|$o]:-}" = np ] && c=np
		line="$line $(printf '%s=%-3s' "$o" "$c")"
	done
	printf '#   %-32s%s\n' "$key" "$line"
done
finish
