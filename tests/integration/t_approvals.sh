#!/bin/bash
# Approvals of widened spending against the real vault, with curl and oathtool
# (docs/MCP.md "Vault: approvals"): a raised or dropped budget and every
# resume answer 202 with a pending approval and change nothing; a lower
# budget, or one where none was, applies at once; approving with a fresh TOTP
# code of the approving admin applies the stored action; the sign-in's code
# replayed is 403 totp_replayed and a wrong one 403 totp_invalid (both count
# as failures), and change nothing; a decided approval is 409, an expired one
# 410 (approval_seconds = 20); reject; the audit trail has every step and no
# TOTP code anywhere (trail, log, database).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_audit.sh"

SPEND=$BOS_TESTBIN/spend_tool
PW="approval test $(canary pw)"

budget() { api GET /budgets | jq -c --arg s "$1" '.budgets[] | select(.service == $s)'; }
# has JSON FILTER [jq args]: FILTER is true of JSON, which must not be empty.
has() { local in=$1; shift; [ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null; }
# totp_fresh: a code of a step after the one in $T/last_step (the last one used), waiting for the
# next step when the vault's window (now and the next step) has none left.
totp_fresh() {
	local step=$(( $(cat "$T/last_step" 2>/dev/null || echo 0) + 1 ))
	[ "$step" -lt $(( $(date +%s) / 30 )) ] && step=$(( $(date +%s) / 30 ))
	while [ "$step" -gt $(( $(date +%s) / 30 + 1 )) ]; do sleep 1; done
	echo "$step" >"$T/last_step"   # a file: the callers run it in $(...)
	oathtool --totp -b "$TOTP_SECRET" -N "@$((step * 30))" | tee -a "$T/codes"
}
# Every TOTP code sent in this test, to look for afterwards (totp_fresh keeps them in $T/codes).
CODES=()

api_up "$T/s" "approval_seconds = 20" >/dev/null 2>&1 || { notok "vault starts"; finish; }
check "admin created and signed in" admin_setup alice "$PW"
LOGIN_CODE=$ADMIN_LOGIN_CODE   # what admin_setup signed in with (a step boundary may have passed since)
CODES+=("$LOGIN_CODE")

# ---- what applies at once ---------------------------------------------------------------
out=$(api PUT /budgets/sendgrid '{"daily":1000,"currency":"USD"}')
check "a budget where none was applies at once: 200" bash -c "test '$(st)' = 200 &&
	jq -e '.daily == 1000' <<<'$out'"
out=$(api PUT /budgets/sendgrid '{"daily":800,"monthly":30000,"currency":"USD"}')
check "a lower daily budget (and a monthly one where none was) applies at once: 200" bash -c \
	"test '$(st)' = 200 && jq -e '.daily == 800 and .monthly == 30000' <<<'$out'"

# ---- a raise waits ----------------------------------------------------------------------
before=$(budget sendgrid)
out=$(api PUT /budgets/sendgrid '{"daily":5000,"monthly":30000,"currency":"USD"}')
check "raise: 202 with a pending approval" bash -c "test '$(st)' = 202 && jq -e '.approval |
	(.id | startswith(\"ap_\")) and .kind == \"budget_set\" and .state == \"pending\" and
	.created_at and .expires_at' <<<'$out'"
AP1=$(jq -r '.approval.id' <<<"$out")
check "raise: the summary reads 'raise the daily budget of sendgrid from 8.00 USD to 50.00 USD'" \
	has "$out" '.approval.summary == "raise the daily budget of sendgrid from 8.00 USD to 50.00 USD"'
check "raise: nothing changed (GET /budgets the same)" test "$(budget sendgrid)" = "$before"
out=$(api PUT /budgets/sendgrid '{"daily":800,"currency":"USD"}')
check "dropping the monthly budget: 202 too, nothing changed" bash -c "test '$(st)' = 202 &&
	jq -e '.approval.summary | test(\"remove the monthly budget of sendgrid\")' <<<'$out' &&
	test '$(budget sendgrid)' = '$before'"
AP_DROP=$(jq -r '.approval.id' <<<"$out")
out=$(api PUT /budgets/sendgrid '{"daily":800,"monthly":30000,"currency":"EUR"}')
check "another currency: 202 (amounts cannot be compared)" test "$(st)" = 202
AP_CUR=$(jq -r '.approval.id' <<<"$out")
out=$(api PUT /budgets/sendgrid '{"daily":-1,"currency":"USD"}')
check "a bad raise is 400, no approval" test "$(st)" = 400

out=$(api GET /approvals)
check "GET /approvals: the three pending ones, newest first" has "$out" --arg a "$AP1" \
	--arg b "$AP_DROP" --arg c "$AP_CUR" '[.approvals[].id] == [$c, $b, $a]'
out=$(api GET "/approvals/$AP1")
check "GET /approvals/ID: pending, params as asked, created by alice" has "$out" '.approval |
	.state == "pending" and .params.daily == 5000 and .params.service == "sendgrid" and
	.created_by == "alice" and .decided_by == null'
api GET /approvals/ap_aaaaaaaaaaaaaaaaaaaaaaaaaa >/dev/null
check "GET /approvals/unknown: 404" test "$(st)" = 404
api GET "/approvals?state=bogus" >/dev/null
check "GET /approvals?state=bogus: 400" test "$(st)" = 400

# ---- refused codes change nothing --------------------------------------------------------
# A replay whatever the clock: a fresh code spent by a second sign-in, then offered at once
# (the first sign-in's code may have left the window (+-1 step) by now under a slow,
# sanitized run, and would be totp_invalid, not a replay).
RCODE=$(totp_fresh)
vcurl -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$RCODE\"}" \
	"$URL/auth/login" -o "$T/login2.json"
check "a second sign-in spends a fresh code" jq -e '.session | length > 0' "$T/login2.json"
out=$(api POST "/approvals/$AP1/approve" "{\"totp\":\"$RCODE\"}")
check "approve with the code that sign-in spent (a replay): 403 totp_replayed" bash -c \
	"test '$(st)' = 403 && jq -e '.error.code == \"totp_replayed\"' <<<'$out'"
check "  nothing changed, still pending" bash -c "test '$(budget sendgrid)' = '$before' &&
	jq -e '.approval.state == \"pending\"' <<<'$(api GET "/approvals/$AP1")'"
wrong=$(printf '%06d' $(( (10#$(totp_code 0) + 500000) % 1000000 )))
out=$(api POST "/approvals/$AP1/approve" "{\"totp\":\"$wrong\"}")
check "approve with a wrong code: 403 totp_invalid" bash -c \
	"test '$(st)' = 403 && jq -e '.error.code == \"totp_invalid\"' <<<'$out'"
out=$(api GET /admins)
check "  both count as failed sign-ins (failures 2)" has "$out" \
	'.admins[] | select(.name == "alice") | .failures == 2'
api POST "/approvals/$AP1/approve" '{}' >/dev/null
check "approve without a code: 400" test "$(st)" = 400
api POST "/approvals/$AP1/approve" '{"totp":123456}' >/dev/null
check "approve with a number for a code: 400" test "$(st)" = 400
check "  still nothing changed" test "$(budget sendgrid)" = "$before"

# ---- approve ----------------------------------------------------------------------------
out=$(api POST "/approvals/$AP1/approve" "{\"totp\":\"$(totp_fresh)\"}")
check "approve with a fresh code: 200 {approval, result}" bash -c "test '$(st)' = 200 &&
	jq -e '.approval.state == \"approved\" and .approval.decided_by == \"alice\" and
	.approval.decided_at and .result.daily == 5000' <<<'$out'"
check "  the budget is raised now" has "$(budget sendgrid)" '.daily == 5000 and .monthly == 30000'
out=$(api POST "/approvals/$AP1/approve" "{\"totp\":\"$(totp_code 1)\"}")
check "approve it again: 409 approval_decided (before any code is spent)" bash -c \
	"test '$(st)' = 409 && jq -e '.error.code == \"approval_decided\"' <<<'$out'"
out=$(api GET "/approvals/$AP1")
check "GET: approved, with its result" has "$out" '.approval.state == "approved" and
	.approval.result.daily == 5000'

# ---- reject -----------------------------------------------------------------------------
out=$(api POST "/approvals/$AP_DROP/reject")
check "reject: 200, rejected by alice" bash -c "test '$(st)' = 200 && jq -e '.approval.state ==
	\"rejected\" and .approval.decided_by == \"alice\"' <<<'$out'"
check "  the monthly budget is still there" has "$(budget sendgrid)" '.monthly == 30000'
api POST "/approvals/$AP_DROP/reject" >/dev/null
check "reject again: 409" test "$(st)" = 409
out=$(api POST "/approvals/$AP_DROP/approve" "{\"totp\":\"$(totp_code 1)\"}")
check "approve a rejected one: 409 approval_decided" test "$(st)" = 409
api POST /approvals/ap_aaaaaaaaaaaaaaaaaaaaaaaaaa/reject >/dev/null
check "reject an unknown one: 404" test "$(st)" = 404
api POST /approvals/nonsense/approve "{\"totp\":\"000000\"}" >/dev/null
check "approve a malformed id: 404" test "$(st)" = 404

# ---- resume needs approval ---------------------------------------------------------------
# The code first: a fresh step may mean a wait, and the approval lives 20 s (approval_seconds).
RES_CODE=$(totp_fresh)
api PUT /budgets/mailgun '{"daily":500,"currency":"USD"}' >/dev/null
"$SPEND" "$S" jb_ap1 mailgun 500 USD >/dev/null 2>>"$T/spend.err"
check "mailgun spent its daily budget: paused" has "$(budget mailgun)" '.state == "paused"'
out=$(api POST /budgets/mailgun/resume)
check "resume: 202 with a pending budget_resume approval" bash -c "test '$(st)' = 202 &&
	jq -e '.approval.kind == \"budget_resume\" and (.approval.summary |
	test(\"resume spending of mailgun for the rest of the day\"))' <<<'$out'"
AP_RES=$(jq -r '.approval.id' <<<"$out")
check "  still paused" has "$(budget mailgun)" '.state == "paused" and .resumed.daily == false'
api POST /budgets/sendgrid/resume >/dev/null
check "resume of a budget that is not paused: 409, no approval" test "$(st)" = 409
api POST /budgets/nobudget/resume >/dev/null
check "resume without a budget: 404" test "$(st)" = 404
out=$(api POST "/approvals/$AP_RES/approve" "{\"totp\":\"$RES_CODE\"}")
echo $(( $(date +%s) / 30 + 1 )) >"$T/last_step"   # at least the step just used
check "approve the resume with the next step's code: 200" bash -c "test '$(st)' = 200 &&
	jq -e '.approval.state == \"approved\" and .result.resumed.daily == true' <<<'$out'"
check "  mailgun is let through now" has "$(budget mailgun)" '.state != "paused" and .resumed.daily'

# ---- expiry -----------------------------------------------------------------------------
out=$(api PUT /budgets/sendgrid '{"daily":9000,"monthly":30000,"currency":"USD"}')
AP_EXP=$(jq -r '.approval.id' <<<"$out")
check "another raise: 202" test "$(st)" = 202
sleep 21
out=$(api GET /approvals)
check "after approval_seconds it is no longer pending" has "$out" --arg a "$AP_EXP" \
	'[.approvals[].id] | index($a) == null'
out=$(api GET "/approvals/$AP_EXP")
check "GET shows it expired" has "$out" '.approval.state == "expired"'
out=$(api POST "/approvals/$AP_EXP/approve" "{\"totp\":\"$(totp_code 1)\"}")
check "approve it: 410 approval_expired" bash -c "test '$(st)' = 410 &&
	jq -e '.error.code == \"approval_expired\"' <<<'$out'"
check "  nothing changed" has "$(budget sendgrid)" '.daily == 5000'
out=$(api GET "/approvals?state=all")
check "GET /approvals?state=all lists every one with its state" has "$out" --arg e "$AP_EXP" \
	--arg a "$AP1" '([.approvals[] | select(.id == $e)][0].state == "expired") and
	([.approvals[] | select(.id == $a)][0].state == "approved")'

# ---- bosctl approve ----------------------------------------------------------------------
export XDG_RUNTIME_DIR=$T/run HOME=$T/home BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME"
printf '%s\n%s\n' "$PW" "$(totp_fresh)" | "$BOSCTL" login alice >/dev/null 2>&1
check "bosctl login alice" test $? = 0
# The code first (it may wait for the next step): approvals live 20 s here.
CB=$(totp_fresh)
out=$(api PUT /budgets/sendgrid '{"daily":7000,"monthly":30000,"currency":"USD"}')
AP_B=$(jq -r '.approval.id' <<<"$out")
out=$(api PUT /budgets/sendgrid '{"daily":8000,"monthly":30000,"currency":"USD"}')
AP_C=$(jq -r '.approval.id' <<<"$out")
"$BOSCTL" approve "$AP_B" 123456 >"$T/b.out" 2>"$T/b.err"
check "bosctl approve ID CODE: a code on the command line is a usage error (exit 2)" test $? = 2
echo 000000 | "$BOSCTL" approve "$AP_B" >"$T/b.out" 2>"$T/b.err"
check "bosctl approve with a wrong code: exit 1, the vault's totp_invalid" bash -c \
	"test $? = 1 && grep -q totp_invalid '$T/b.err'"
check "  still pending, nothing changed" has "$(budget sendgrid)" '.daily == 5000'
printf '%s\n' "$CB" | "$BOSCTL" approve "$AP_B" >"$T/b.out" 2>"$T/b.err"
check "bosctl approve ID (code on stdin): exit 0" test $? = 0
check "  the summary was shown first (stderr)" grep -q \
	"raise the daily budget of sendgrid from 50.00 USD to 70.00 USD" "$T/b.err"
check "  it says approved" grep -q "^approved and done: raise the daily budget" "$T/b.out"
check "  the budget is raised" has "$(budget sendgrid)" '.daily == 7000'
echo 000000 | "$BOSCTL" approve "$AP_B" >"$T/b.out" 2>"$T/b.err"
check "bosctl approve it again: exit 1, approved already" bash -c \
	"test $? = 1 && grep -q 'is approved' '$T/b.err'"
"$BOSCTL" approve "$AP_C" --reject >"$T/b.out" 2>"$T/b.err" </dev/null
check "bosctl approve ID --reject: exit 0, rejected, no code asked" bash -c \
	"test $? = 0 && grep -q 'rejected $AP_C' '$T/b.out'"
check "  rejected in the vault" has "$(api GET "/approvals/$AP_C")" '.approval.state == "rejected"'
"$BOSCTL" approve not-an-id >"$T/b.out" 2>"$T/b.err"
check "bosctl approve not-an-id: exit 2" test $? = 2
CODES+=($(cat "$T/codes"))

# ---- policy -----------------------------------------------------------------------------
check "the default role file lets admins use approvals" grep -q '^allow \*    approvals/\*\*' \
	"$S/roles.policy"

# ---- the trail and the secrets ------------------------------------------------------------
audit_fetch "$T/trail.json" >/dev/null || notok "reading the audit trail"
check "audit: the raise's record names its approval" jq -e --arg a "$AP1" '[.[] |
	select(.action == "budget_set" and (.reason | contains($a + " (budget_set) asked for")))] |
	length == 1' "$T/trail.json"
check "audit: the approval's record (approval_approve, allow, kind and id)" jq -e --arg a "$AP1" \
	'[.[] | select(.action == "approval_approve" and .decision == "allow" and
	(.reason | contains($a + " (budget_set) approved")))] | length == 1' "$T/trail.json"
check "audit: the replayed and the wrong code, denied" jq -e '[.[] | select(.action ==
	"approval_approve" and .decision == "deny")] | length >= 2' "$T/trail.json"
check "audit: the rejection (and the second one refused)" jq -e --arg a "$AP_DROP" '([.[] |
	select(.action == "approval_reject" and .decision == "allow" and
	(.reason | contains($a + " (budget_set) rejected")))] | length == 1) and ([.[] |
	select(.action == "approval_reject" and .decision == "invalid" and
	(.reason | contains($a)))] | length == 1)' "$T/trail.json"
check "audit: the expiry" jq -e --arg a "$AP_EXP" '[.[] | select(.action ==
	"approval_approve" and (.reason | contains($a + " (budget_set) expired")))] | length == 1' \
	"$T/trail.json"
check "audit: the resume's approval" jq -e --arg a "$AP_RES" '[.[] | select(.action ==
	"approval_approve" and (.reason | contains($a + " (budget_resume) approved")))] |
	length == 1' "$T/trail.json"
leaks=0
for c in "${CODES[@]}" "$wrong"; do
	n=$(grep -c -F -- "\"$c\"" "$T/trail.json" || true)
	for f in "$T/vault.log" "$S/bos.db" "$S/bos.db-wal"; do
		[ -e "$f" ] && n=$((n + $(grep -a -c -w -F -- "$c" "$f" || true)))
	done
	leaks=$((leaks + n))
done
check "no TOTP code in the audit trail, the log or the database files (${#CODES[@]} + 1 codes)" \
	test "$leaks" = 0
finish
