#!/bin/bash
# The tools (docs/MCP.md "Tools") through their bosctl commands against the
# real bos-vaultd: 'bosctl status --json', 'approvals list --json', 'cred
# show ID --json' of a card (masked: no full number), and the --json output
# of the tool-backed commands checked with jq; no credential secret, helper
# token or card number in any of it. Negative cases: no session (exit 1
# with the login hint), an unknown id (exit 1, a clear message).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

has() { grep -qF -- "$1" <<<"$2"; }
lacks() { ! grep -qF -- "$1" <<<"$2"; }
# j FILTER JSON: jq -e FILTER on JSON.
j() { [ -n "$2" ] && jq -e "$1" <<<"$2"; }  # jq -e passes on empty input: that is no pass
# b ARGS...: run bosctl; OUT (stdout and stderr) and RC.
b() { OUT=$("$BOSCTL" "$@" 2>&1); RC=$?; ALL+=$OUT$'\n'; }
ALL=""

check "the vault starts" api_up "$T/state" || finish
check "bosctl admin alice, signed in" bosctl_admin alice || finish

# ---- no session: every tool-backed command says how to sign in ----
for args in "status" "approvals list" "cred list" "helper list" "alerts list" "budget list" \
	"outreach lists" "campaign list" "outreach stats" "outreach ad list"; do
	out=$(XDG_RUNTIME_DIR=$T/nobody HOME=$T/nobody "$BOSCTL" $args 2>&1); rc=$?
	check "no session: bosctl $args exits 1 with the login hint" \
		bash -c '[ "$0" = 1 ] && grep -q "bosctl login" <<<"$1"' "$rc" "$out"
done

# ---- credentials: an API key and a card ----
CAN=$(canary KEY)
PAN=4111111111111111
printf '%s' "$CAN" | "$BOSCTL" cred add --name sg-main --type api_key --service sendgrid \
	--metadata '{"env":"prod"}' >/dev/null 2>&1
printf '%s' "$PAN" | "$BOSCTL" cred add --name corp-card --type card --service ads >/dev/null 2>&1
b cred list --json
check "cred list --json: one object a line, both" \
	bash -c 'jq -e -s "length == 2 and all(has(\"id\") and has(\"stale\"))" <<<"$0"' "$OUT"
CARD=$(jq -r 'select(.name == "corp-card") | .id' <<<"$OUT")
b cred show "$CARD" --json
check "cred show CARD --json: masked card (brand, first 6, last 4)" \
	j '.card.first6 == "411111" and .card.last4 == "1111" and (.card.brand | length > 0)
	and .type == "card" and (has("secret") | not)' "$OUT"
check "  no full card number" lacks "$PAN" "$OUT"
b cred show sg-main
check "cred show NAME: the metadata as text" bash -c '[ "$0" = 0 ] && grep -q "^metadata: *{\"env\": *\"prod\"}" <<<"$1"' "$RC" "$OUT"
b cred show cr_nosuchthing
check "cred show of an unknown id: exit 1, names it" \
	bash -c '[ "$0" = 1 ] && grep -qF "no credential with id or name '"'"'cr_nosuchthing'"'"'" <<<"$1"' "$RC" "$OUT"

# ---- status ----
b status --json
check "status --json: exit 0" test "$RC" = 0
check "  health, counts, alerts, spend" j '.vault == "ok" and .hsm == "ok" and
	.counts.credentials == 2 and .counts.helpers == 0 and .counts.active_grants == 0 and
	.counts.brokers == 0 and .counts.queued_jobs == 0 and .open_alerts == 0 and
	(.spend_today.services | type == "array") and (.spend_today.day | test("^[0-9]{4}-"))' "$OUT"
b status
check "status: a short text" bash -c '[ "$0" = 0 ] && grep -q "^vault ok, hsm ok" <<<"$1" &&
	grep -q "credentials 2," <<<"$1"' "$RC" "$OUT"
check "status with an operand: exit 2" bash -c '"$0" status extra >/dev/null 2>&1; [ $? = 2 ]' "$BOSCTL"

# ---- approvals ----
b approvals list --json
check "approvals list --json: {approvals: []}" j '.approvals == []' "$OUT"
b approvals list --all --json
check "approvals list --all --json: an array" j '.approvals | type == "array"' "$OUT"
check "approvals without a subcommand: exit 2" bash -c '"$0" approvals >/dev/null 2>&1; [ $? = 2 ]' "$BOSCTL"

# ---- helpers and grants ----
b helper add --name Bob --contact bob@example.com --kind setup --json
check "helper add --json: the helper" j '(.id | startswith("hl_")) and .name == "Bob" and .status == "active"' "$OUT"
HID=$(jq -r .id <<<"$OUT")
b helper list --json
check "helper list --json: Bob" bash -c 'jq -e -s --arg id "$1" "map(select(.id == \$id)) | length == 1" <<<"$0"' "$OUT" "$HID"
GRANT=$("$BOSCTL" grant create --helper "$HID" --cred sg-main --read --json 2>/dev/null)
ACC=$(jq -r .accessor <<<"$GRANT")
b grant list --json
check "grant list --json: the grant, no token" bash -c 'jq -e -s --arg a "$1" "map(select(.accessor == \$a and (has(\"token\") | not))) | length == 1" <<<"$0"' "$OUT" "$ACC"
check "  no token value" lacks "bos_h_" "$OUT"
b status --json
check "status counts the helper and the active grant" j '.counts.helpers == 1 and .counts.active_grants == 1' "$OUT"
b grant create --helper "$HID" --cred sg-main --read --pickup --json
check "grant create --pickup --json: accessor, pickup, next, no token" j '(.accessor | startswith("acc_"))
	and (.pickup.expires_at | type == "string") and (.next | test("bosctl grant pickup acc_"))
	and (has("token") | not)' "$OUT"
check "  never a token" lacks "bos_h_" "$OUT"
b grant revoke "$ACC" --json
check "grant revoke --json: the grant, no longer active" j ".accessor == \"$ACC\" and .state != \"active\" and (.revoked_at | type == \"string\")" "$OUT"
b helper revoke "$HID" --json
check "helper revoke --json: removed, grants_revoked counted" j '.status == "removed" and (.grants_revoked | type == "number")' "$OUT"
b helper revoke hl_nosuchhelper
check "helper revoke of an unknown id: exit 1, no such helper" \
	bash -c '[ "$0" = 1 ] && grep -q "no such helper" <<<"$1"' "$RC" "$OUT"

# ---- budgets, spend, alerts, jobs, audit ----
b budget set sendgrid --daily 10 --currency USD --json
check "budget set (new budget) --json: applied at once, the budget" j '.daily == 1000 and .currency == "USD"' "$OUT"
b budget set sendgrid --daily 5 --currency USD --json
check "budget set (lower) --json: the budget" j '.daily == 500' "$OUT"
b budget set sendgrid --daily 50 --currency USD --json
check "budget set (raise) --json: pending approval, what to run" j '.status == "pending_approval" and
	(.approval.id | startswith("ap_")) and (.next | test("bosctl approve ap_"))' "$OUT"
b budget set sendgrid --daily 60 --currency USD
check "budget set (raise): exit 0, 'pending approval ap_...: run bosctl approve'" \
	bash -c '[ "$0" = 0 ] && grep -q "^pending approval ap_[a-z0-9]*: run '"'"'bosctl approve ap_" <<<"$1"' "$RC" "$OUT"
b approvals list --json
check "approvals list --json: the pending raises" j '.approvals | length == 2 and all(.state == "pending")' "$OUT"
b budget list --json
check "the raise changed nothing before approval" j 'select(.service == "sendgrid") | .daily == 500' "$OUT"
b budget list --json
check "budget list --json: sendgrid" j 'select(.service == "sendgrid") | .currency == "USD"' "$OUT"
b cost --json
check "cost --json: from, to, services, total" j '(.from | length == 10) and (.services | type == "array") and (.total | type == "object")' "$OUT"
b alerts list --state all --json
check "alerts list --json: exit 0" test "$RC" = 0
b alerts ack al_nosuchalert
check "alerts ack of an unknown id: exit 1, no alert" bash -c '[ "$0" = 1 ] && grep -q "no such alert" <<<"$1"' "$RC" "$OUT"
b cred verify sg-main --wait 1 --json
check "cred verify (no broker) --json: exit 1, the job, queued" \
	bash -c '[ "$0" = 1 ] && jq -e ".state == \"queued\" and .kind == \"verify\"" <<<"$1"' "$RC" "$OUT"
b jobs list --json
check "jobs list --json: the verify job" j 'select(.kind == "verify") | .state == "queued"' "$OUT"
b status --json
check "status counts the queued job" j '.counts.queued_jobs == 1' "$OUT"
b audit tail -n 5 --json
check "audit tail --json: records" j 'has("seq") and has("action")' "$OUT"

# ---- nothing secret anywhere ----
check "no credential secret in any output" lacks "$CAN" "$ALL"
check "no card number in any output" lacks "$PAN" "$ALL"
check "no helper token in any output" lacks "bos_h_" "$ALL"
check "no session token in any output" lacks "bos_s_" "$ALL"
finish
