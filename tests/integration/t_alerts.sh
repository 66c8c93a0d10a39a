#!/bin/bash
# Alerts and bosctl's budget, cost and alerts commands against the real vault
# (docs/BROKERS.md "Alerts"; docs/BOSCTL.md): an alert raised again while it
# is not resolved counts up (one row), acked ones too; a resolved one is
# followed by a new alert; bos_alerts_open in /metrics follows the open ones;
# list/ack/resolve over curl and bosctl, with their refusals (unknown id 404,
# twice 409, bad state 400, usage errors exit 2); bosctl budget set/list/resume
# and cost print amounts in the currency's major unit and refuse bad amounts
# before sending anything.
#
# Alerts come from the ledger (spend_tool records spend as a completed job
# does): crossing 80 % of a daily budget raises budget_warning with the dedup
# key budget80:SERVICE:daily:DAY; raising the budget between spends (each raise
# approved with a fresh TOTP code, docs/MCP.md) makes the same key cross again
# within the day.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

SPEND=$BOS_TESTBIN/spend_tool
DAY=$(date -u +%F)
KEY="budget80:sendgrid:daily:$DAY"
spend() { "$SPEND" "$S" "$@" 2>>"$T/spend.err"; }
metric() { api GET /metrics | sed -n "s/^$1 //p"; }
# has JSON FILTER [jq args]: FILTER is true of JSON, which must not be empty.
has() { local in=$1; shift; [ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null; }
# b ARGS: bosctl; output in OUT, exit status in RC.
b() { OUT=$("$BOSCTL" "$@" 2>&1); RC=$?; }
# rc_says STATUS REGEX: the last bosctl exited STATUS and said something matching REGEX.
rc_says() { [ "$RC" = "$1" ] && grep -qE -- "$2" <<<"$OUT"; }
# totp_fresh: a TOTP code whose step is later than any this test used (bosctl signed
# in with a recovery code), waiting for the next step when the vault's window (now
# and the next step, to stay clear of a boundary) has none left.
totp_fresh() {
	local step=$(( $(cat "$T/last_step" 2>/dev/null || echo 0) + 1 ))
	[ "$step" -lt $(( $(date +%s) / 30 )) ] && step=$(( $(date +%s) / 30 ))
	while [ "$step" -gt $(( $(date +%s) / 30 + 1 )) ]; do sleep 1; done
	echo "$step" >"$T/last_step"   # a file: the callers run it in $(...)
	oathtool --totp -b "$TOTP_SECRET" -N "@$((step * 30))"
}
# raise SERVICE DAILY: a raised budget waits for an approval (202, docs/MCP.md), which
# is then approved with a fresh TOTP code (200).
raise() {
	local out
	out=$(api PUT "/budgets/$1" "{\"daily\":$2,\"currency\":\"USD\"}")
	[ "$(st)" = 202 ] || return 1
	api POST "/approvals/$(jq -r .approval.id <<<"$out")/approve" \
		"{\"totp\":\"$(totp_fresh)\"}" >/dev/null
	[ "$(st)" = 200 ] && has "$(api GET /budgets)" --arg s "$1" --argjson d "$2" \
		'.budgets[] | select(.service == $s) | .daily == $d'
}
warnings() { api GET "/alerts?state=${1:-all}" | jq -c --arg k "$KEY" '[.alerts[] | select(.dedup_key == $k)]'; }

api_up "$T/s" >/dev/null 2>&1 || { notok "vault starts"; finish; }
check "bosctl: first admin alice, signed in" bosctl_admin alice
SESSION=$(jq -r .session "$XDG_RUNTIME_DIR/bos/session")
export SESSION

# ---- nothing yet ---------------------------------------------------------------------
check "GET /alerts: none" has "$(api GET /alerts)" '.alerts == []'
check "bos_alerts_open 0" test "$(metric bos_alerts_open)" = 0
check "/metrics says it is a gauge" bash -c "grep -q '^# TYPE bos_alerts_open gauge' <<<\"\$(curl -s --cacert '$S/tls/cert.pem' -H 'Authorization: Bearer $SESSION' '$URL/metrics')\""
b alerts list
check "bosctl alerts list: exit 0, nothing" test "$RC:$OUT" = "0:"

# ---- bosctl budget --------------------------------------------------------------------
b budget set sendgrid --daily 10 --currency USD
check "bosctl budget set sendgrid --daily 10 --currency USD: exit 0" test "$RC" = 0
check "  prints the row in dollars: daily 10.00" grep -qE '^sendgrid +USD daily +10\.00 spent +0\.00' <<<"$OUT"
check "  the vault holds 1000 cents" has "$(api GET /budgets)" '.budgets[0].daily == 1000'
b budget set sendgrid --daily 10 --currency USD --json
check "  --json: the vault's answer, minor units" has "$OUT" '.daily == 1000 and .currency == "USD"'
before=$(api GET /budgets)
b budget set sendgrid --daily -1 --currency USD
check "bosctl budget set --daily -1: refused" bash -c "test '$RC' != 0"
b budget set sendgrid --daily 1.234 --currency USD
check "bosctl budget set --daily 1.234 (three decimals of USD): exit 1, says why" rc_says 1 "at most 2 decimals"
b budget set sendgrid --daily 10 --currency QQQ
check "bosctl budget set --currency QQQ: exit 2, unknown currency" rc_says 2 "unknown currency"
b budget set sendgrid --currency USD
check "bosctl budget set without --daily/--monthly: exit 2" test "$RC" = 2
b budget set --daily 1 --currency USD
check "bosctl budget set without SERVICE: exit 2" test "$RC" = 2
b budget set 'Send Grid' --daily 1 --currency USD
check "bosctl budget set 'Send Grid': exit 1, the vault's 400 message" rc_says 1 "lowercase"
b budget set sendgrid --daily 99999999999999999999 --currency USD
check "bosctl budget set --daily 10^20 (overflows int64 cents): exit 1" test "$RC" = 1
check "  none of them changed the budget" test "$(api GET /budgets)" = "$before"
b budget resume sendgrid
check "bosctl budget resume (not paused): exit 1, not paused" rc_says 1 "not paused"
b budget set jpyservice --daily 500 --currency JPY
check "bosctl budget set --daily 500 --currency JPY: 500 yen (no minor unit)" \
	has "$(api GET /budgets)" '.budgets[] | select(.service == "jpyservice") | .daily == 500'

# ---- 80 %: one alert, counted up while not resolved --------------------------------------
check "spend 8.00 USD: 80 %" test "$(spend jb_a1 sendgrid 800 USD)" = recorded
w=$(warnings open)
check "  one budget_warning, open, count 1" has "$w" 'length == 1 and .[0].count == 1 and
	.[0].state == "open" and .[0].severity == "warning" and .[0].kind == "budget_warning"'
ID=$(jq -r '.[0].id' <<<"$w")
check "  its id: al_ and 26 base32 characters" grep -qE '^al_[a-z2-7]{26}$' <<<"$ID"
check "  bos_alerts_open 1" test "$(metric bos_alerts_open)" = 1
b alerts list
check "bosctl alerts list: the alert, x1" rc_says 0 "^$ID +warning +budget_warning +x1 +open "
check "  with what to do" rc_says 0 "^    -> bosctl "
b alerts list --json
check "bosctl alerts list --json: one object a line" has "$OUT" --arg id "$ID" \
	'.id == $id and .count == 1 and (.details.percent == 80)'
check "raise sendgrid's daily budget to 20.00 USD: 202, approved with a fresh code" raise sendgrid 2000
check "spend 8.00 USD more against 20.00: 80 % again, the same key" \
	test "$(spend jb_a2 sendgrid 800 USD)" = recorded
check "  still one row, count 2" has "$(warnings)" --arg id "$ID" 'length == 1 and .[0].id == $id
	and .[0].count == 2 and .[0].first_at <= .[0].last_at'
check "  bos_alerts_open still 1" test "$(metric bos_alerts_open)" = 1

# ---- ack -------------------------------------------------------------------------------
b alerts ack "$ID"
check "bosctl alerts ack ID: exit 0, acked" test "$RC:$OUT" = "0:alert $ID acked"
check "  bos_alerts_open 0" test "$(metric bos_alerts_open)" = 0
check "  GET /alerts (open): none" has "$(api GET /alerts)" '.alerts == []'
check "  ?state=acked: it, acked by alice" has "$(api GET '/alerts?state=acked')" --arg id "$ID" \
	'.alerts | length == 1 and .[0].id == $id and .[0].acked_by == "alice" and .[0].acked_at != null'
b alerts ack "$ID"
check "bosctl alerts ack again: exit 1, already acked" rc_says 1 "already"
api POST "/alerts/$ID/ack" >/dev/null
check "POST /alerts/ID/ack again: 409" test "$(st)" = 409
check "raise sendgrid's daily budget to 40.00 USD: 202, approved with a fresh code" raise sendgrid 4000
check "spend 16.00 USD more against 40.00: 80 % again while acked" \
	test "$(spend jb_a3 sendgrid 1600 USD)" = recorded
check "  counted on the acked alert (count 3), not reopened" has "$(warnings)" 'length == 1 and
	.[0].count == 3 and .[0].state == "acked"'
check "  bos_alerts_open still 0" test "$(metric bos_alerts_open)" = 0

# ---- resolve -----------------------------------------------------------------------------
b alerts resolve "$ID"
check "bosctl alerts resolve ID: exit 0, resolved" test "$RC:$OUT" = "0:alert $ID resolved"
b alerts resolve "$ID"
check "bosctl alerts resolve again: exit 1" test "$RC" = 1
api POST "/alerts/$ID/ack" >/dev/null
check "POST /alerts/ID/ack of a resolved alert: 409" test "$(st)" = 409
check "raise sendgrid's daily budget to 80.00 USD: 202, approved with a fresh code" raise sendgrid 8000
check "spend 32.00 USD more against 80.00: 80 % again after resolve" \
	test "$(spend jb_a4 sendgrid 3200 USD)" = recorded
w=$(warnings)
check "  a new alert (open, count 1) beside the resolved one (count 3)" has "$w" --arg id "$ID" '
	length == 2 and ([.[] | select(.id == $id)][0] | .state == "resolved" and .count == 3 and
	.resolved_by == "alice") and ([.[] | select(.id != $id)][0] | .state == "open" and .count == 1)'
check "  bos_alerts_open 1" test "$(metric bos_alerts_open)" = 1
b alerts list --state resolved
check "bosctl alerts list --state resolved: the first one" rc_says 0 "^$ID .* resolved "
b alerts list --state all --json
check "bosctl alerts list --state all --json: both" test "$(grep -c "\"dedup_key\":\"$KEY\"" <<<"$OUT")" = 2

# ---- refusals ----------------------------------------------------------------------------
api POST /alerts/al_aaaaaaaaaaaaaaaaaaaaaaaaaa/ack >/dev/null
check "ack of an unknown id: 404" test "$(st)" = 404
api POST /alerts/not-an-id/resolve >/dev/null
check "resolve of a malformed id: 404" test "$(st)" = 404
api GET "/alerts?state=bogus" >/dev/null
check "GET /alerts?state=bogus: 400" test "$(st)" = 400
api GET "/alerts?kind=x" >/dev/null
check "GET /alerts?kind=x (unknown parameter): 400" test "$(st)" = 400
api POST "/alerts/$ID/ack" '{"by":"mallory"}' >/dev/null
check "POST /alerts/ID/ack with a body field: 400" test "$(st)" = 400
b alerts list --state bogus
check "bosctl alerts list --state bogus: exit 2" test "$RC" = 2
b alerts ack
check "bosctl alerts ack without ID: exit 2" test "$RC" = 2
b alerts frob
check "bosctl alerts frob: exit 2" test "$RC" = 2
b alerts ack al_aaaaaaaaaaaaaaaaaaaaaaaaaa
check "bosctl alerts ack of an unknown id: exit 1, no alert" rc_says 1 "no alert"

# ---- bosctl budget list and cost ----------------------------------------------------------
b budget list
check "bosctl budget list: sendgrid spent 64.00 of 80.00 today, warning" \
	grep -qE '^sendgrid +USD daily +80\.00 spent +64\.00 .*warning' <<<"$OUT"
b cost --day "$DAY"
check "bosctl cost --day today: sendgrid spent 64.00, 80 %" grep -qE '^sendgrid +USD spent +64\.00 +daily +80\.00 .* 80 % +warning' <<<"$OUT"
b cost --json
check "bosctl cost --json: the vault's answer" has "$OUT" --arg d "$DAY" '.from == $d and
	(.services[] | select(.service == "sendgrid") | .spent == 6400)'
b cost --from 2026-01-01
check "bosctl cost --from without --to: exit 1" test "$RC" = 1
b cost --day 2026-02-30
check "bosctl cost --day 2026-02-30: exit 1, the vault's 400" rc_says 1 "YYYY-MM-DD"
b cost extra
check "bosctl cost with an argument: exit 2" test "$RC" = 2

# ---- the trail -----------------------------------------------------------------------------
out=$(api GET "/credentials/audit?action=alert_ack&limit=100")
check "audit: the ack is recorded (resource /alerts/ID/ack)" has "$out" --arg id "$ID" \
	'[.records[] | select(.decision == "allow" and .resource == "/alerts/" + $id + "/ack")] | length == 1'
out=$(api GET "/credentials/audit?action=alert_resolve&limit=100")
check "audit: the resolve too, and the refused second one" has "$out" '[.records[]] | length >= 2'
check "no error in the vault's log" bash -c "! grep -E 'error:|internal' '$T/vault.log'"
finish
