#!/bin/bash
# Budgets, the spend ledger and the cost report against the real vault, with
# curl (docs/BROKERS.md "Spend and budgets"): budgets set and listed; bad
# input (negative, 2^63, not an integer, unknown currency, unknown field,
# wrong content type, bad service) answers 4xx and changes nothing (GET
# /budgets before and after); spend recorded by the ledger raises the 80 %
# alert once per period and pauses at 100 %; a resume and a raised budget
# (each approved with a fresh TOTP code: they answer 202 first, docs/MCP.md)
# lift the pause, a lowered one brings it back; the cost report sums a day or
# a range; every change has its audit record with the amounts.
#
# Spend enters the ledger through spend_tool (tests/tools/spend_tool.c): the
# ledger's own spend_record, run against the running vault's database, as
# POST /jobs/{id}/complete runs it in the vault; and then through real jobs
# completed by brokers on the unix socket: estimates hold claims within the
# budget (two brokers claiming in parallel get exactly the jobs that fit),
# spend on completion is recorded once, 100 % refuses claims and leases
# (403 budget_paused), a resume lets them through again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"

SPEND=$BOS_TESTBIN/spend_tool
PW="budget test $(canary pw)"
DAY=$(date -u +%F)

# aexp STATUS DESCRIPTION METHOD PATH [BODY]: an admin call answered STATUS.
aexp() {
	local want=$1 d=$2 out; shift 2
	out=$(api "$@")
	if [ "$(st)" = "$want" ]; then ok "$d: $want"; else notok "$d: want $want, got $(st) $out"; fi
}
# bad DESCRIPTION METHOD PATH BODY: 400 with the error shape, and GET /budgets unchanged.
bad() {
	local d=$1 before after out; shift
	before=$(api GET /budgets | jq -S '[.budgets[] | del(.updated_at)]')
	out=$(api "$@")
	after=$(api GET /budgets | jq -S '[.budgets[] | del(.updated_at)]')
	if [ "$(api "$@" >/dev/null; st)" = 400 ] && jq -e '.error.code and .error.message' \
		<<<"$out" >/dev/null && [ "$before" = "$after" ] && [ -n "$before" ]; then
		ok "$d: 400, nothing changed"
	else
		notok "$d: want 400 and no change, got $(st) $out"
	fi
}
spend() { "$SPEND" "$S" "$@" 2>>"$T/spend.err"; }
budget() { api GET /budgets | jq -c --arg s "$1" '.budgets[] | select(.service == $s)'; }
alerts() { api GET "/alerts?state=${1:-all}"; }
metric() { api GET /metrics | sed -n "s/^$1 //p"; }
# has JSON FILTER [jq args]: FILTER is true of JSON, which must not be empty.
has() { local in=$1; shift; [ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null; }

# totp_fresh: a TOTP code whose step is later than any this test used ($T/last_step; the
# sign-in's was the step before), waiting for the next step when the vault's window
# (now and the next step, to stay clear of a boundary) has none left.
totp_fresh() {
	local step=$(( $(cat "$T/last_step" 2>/dev/null || echo 0) + 1 ))
	[ "$step" -lt $(( $(date +%s) / 30 )) ] && step=$(( $(date +%s) / 30 ))
	while [ "$step" -gt $(( $(date +%s) / 30 + 1 )) ]; do sleep 1; done
	echo "$step" >"$T/last_step"   # a file: the callers run it in $(...)
	oathtool --totp -b "$TOTP_SECRET" -N "@$((step * 30))"
}
# approved DESCRIPTION METHOD PATH [BODY]: a change that widens spending answers 202
# with an approval (docs/MCP.md), approved then with a fresh TOTP code (200); the
# approval's result (the budget) is left in APPROVED.
approved() {
	local d=$1 out id; shift
	APPROVED=
	out=$(api "$@")
	id=$(jq -r '.approval.id // empty' <<<"$out" 2>/dev/null)
	if [ "$(st)" != 202 ] || [ -z "$id" ]; then
		notok "$d: want 202 and an approval, got $(st) $out"
		return 1
	fi
	out=$(api POST "/approvals/$id/approve" "{\"totp\":\"$(totp_fresh)\"}")
	if [ "$(st)" = 200 ]; then ok "$d: 202, then approved: 200"; else notok "$d: approve: $(st) $out"; fi
	APPROVED=$(jq -c '.result' <<<"$out")
}

api_up "$T/s" "broker_uid_outreach = $(id -u)" >/dev/null 2>&1 || { notok "vault starts"; finish; }
check "admin created and signed in" admin_setup alice "$PW"
echo $(( $(date +%s) / 30 - 1 )) >"$T/last_step"

# ---- set and list ---------------------------------------------------------------------
out=$(api GET /budgets)
check "GET /budgets: 200, none yet" bash -c "test '$(st)' = 200 && jq -e '.budgets == []' <<<'$out'"
out=$(api PUT /budgets/sendgrid '{"daily":5000,"currency":"USD"}')
check "PUT /budgets/sendgrid: 200" test "$(st)" = 200
check "the answer: daily 5000, no monthly, USD, ok, by alice, nothing spent" jq -e '.service ==
	"sendgrid" and .daily == 5000 and .monthly == null and .currency == "USD" and .state ==
	"ok" and .updated_by == "alice" and .spent_today == 0 and .day_percent == 0 and
	.month_percent == null' <<<"$out"
aexp 200 "PUT /budgets/total (monthly)" PUT /budgets/total '{"monthly":100000,"currency":"USD"}'
aexp 200 "PUT /budgets/twilio (both)" PUT /budgets/twilio '{"daily":1000,"monthly":20000,"currency":"USD"}'
out=$(api GET /budgets)
check "GET /budgets: total first, then by service" jq -e '[.budgets[].service] ==
	["total","sendgrid","twilio"]' <<<"$out"
aexp 200 "daily 2^63 - 1 is the largest amount" PUT /budgets/mailgun \
	'{"daily":9223372036854775807,"currency":"USD"}'
aexp 400 "a service budget in JPY while the total is in USD" PUT /budgets/stripe \
	'{"daily":500,"currency":"JPY"}'
aexp 400 "the total in EUR while services are in USD" PUT /budgets/total \
	'{"monthly":100000,"currency":"EUR"}'
check "  and is kept exactly" has "$(budget mailgun)" '.daily == 9223372036854775807'
aexp 200 "a budget of 0" PUT /budgets/openai '{"daily":0,"currency":"USD"}'
check "  pauses at once" has "$(budget openai)" '.state == "paused"'

# ---- bad input: 4xx, nothing changed ---------------------------------------------------
bad "negative daily" PUT /budgets/sendgrid '{"daily":-1,"currency":"USD"}'
bad "daily 2^63" PUT /budgets/sendgrid '{"daily":9223372036854775808,"currency":"USD"}'
bad "daily 2^64" PUT /budgets/sendgrid '{"daily":18446744073709551616,"currency":"USD"}'
bad "daily 12.5" PUT /budgets/sendgrid '{"daily":12.5,"currency":"USD"}'
bad "daily 1e3" PUT /budgets/sendgrid '{"daily":1e3,"currency":"USD"}'
bad "daily as a string" PUT /budgets/sendgrid '{"daily":"100","currency":"USD"}'
bad "monthly true" PUT /budgets/sendgrid '{"monthly":true,"currency":"USD"}'
bad "unknown currency QQQ" PUT /budgets/sendgrid '{"daily":100,"currency":"QQQ"}'
bad "lower-case currency" PUT /budgets/sendgrid '{"daily":100,"currency":"usd"}'
bad "XXX is no currency" PUT /budgets/sendgrid '{"daily":100,"currency":"XXX"}'
bad "currency missing" PUT /budgets/sendgrid '{"daily":100}'
bad "currency a number" PUT /budgets/sendgrid '{"daily":100,"currency":840}'
bad "neither daily nor monthly" PUT /budgets/sendgrid '{"currency":"USD"}'
bad "both null" PUT /budgets/sendgrid '{"daily":null,"monthly":null,"currency":"USD"}'
bad "unknown field" PUT /budgets/sendgrid '{"daily":100,"currency":"USD","weekly":5}'
bad "not JSON" PUT /budgets/sendgrid '{"daily":100,'
bad "a JSON array" PUT /budgets/sendgrid '[100]'
bad "upper-case service" PUT /budgets/SendGrid '{"daily":100,"currency":"USD"}'
bad "service with a space" PUT "/budgets/send%20grid" '{"daily":100,"currency":"USD"}'
bad "service too long" PUT "/budgets/$(printf 'a%.0s' $(seq 65))" '{"daily":100,"currency":"USD"}'
before=$(api GET /budgets | jq -S .)
code=$(vcurl -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $SESSION" \
	-H 'Content-Type: text/plain' --data-binary '{"daily":1,"currency":"USD"}' "$URL/budgets/sendgrid")
check "wrong content type: 415" test "$code" = 415
code=$(vcurl -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $SESSION" \
	"$URL/budgets/sendgrid")
check "no body: 4xx" bash -c "[[ '$code' == 4* ]]"
code=$(vcurl -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
	--data-binary '{"daily":1,"currency":"USD"}' "$URL/budgets/sendgrid")
check "no session: 401" test "$code" = 401
code=$(vcurl -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $SESSION" \
	"$URL/budgets/sendgrid")
check "DELETE /budgets/sendgrid: 405" test "$code" = 405
check "  none of them changed a budget" test "$(api GET /budgets | jq -S .)" = "$before"

# ---- resume without a pause -------------------------------------------------------------
aexp 409 "resume a budget that is not paused" POST /budgets/sendgrid/resume
aexp 404 "resume a service without a budget" POST /budgets/stripe/resume
aexp 400 "resume a malformed service" POST /budgets/Stripe/resume

# ---- spend: 80 % once per period, 100 % pauses ------------------------------------------
check "spend 39.99 USD" test "$(spend jb_s1 sendgrid 3999 USD)" = recorded
check "  79 %: no alert yet" test "$(alerts | jq '.alerts | length')" = 0
check "spend 0.01 USD more" test "$(spend jb_s2 sendgrid 1 USD)" = recorded
out=$(alerts open)
check "  80 %: one budget_warning alert, dedup key budget80:sendgrid:daily:$DAY" jq -e --arg k \
	"budget80:sendgrid:daily:$DAY" '[.alerts[] | select(.kind == "budget_warning")] | length == 1
	and .[0].dedup_key == $k and .[0].count == 1 and .[0].severity == "warning" and
	.[0].details.spent == 4000 and .[0].details.budget == 5000 and (.[0].actions | length) >= 1' \
	<<<"$out"
check "  bos_alerts_open 1" test "$(metric bos_alerts_open)" = 1
check "the same job again" test "$(spend jb_s2 sendgrid 1 USD)" = duplicate
check "spend 1.00 USD more (90 %)" test "$(spend jb_s3 sendgrid 100 USD)" = recorded
check "  still one alert, raised once" has "$(alerts)" '.alerts | length == 1 and .[0].count == 1'
check "  GET /budgets: spent 41.00, 82 %, warning" has "$(budget sendgrid)" '.spent_today == 4100 and .day_percent == 82 and .state == "warning"'
out=$(spend jb_eur sendgrid 5 EUR)
check "spend in EUR against a USD budget: refused, conversion does not exist yet" \
	grep -q '^mismatch: .*conversion does not exist yet' <<<"$out"
check "spend of 0: refused" bash -c "! '$SPEND' '$S' jb_zero sendgrid 0 USD >/dev/null 2>&1"
check "spend of -5: refused" bash -c "! '$SPEND' '$S' jb_neg sendgrid -5 USD >/dev/null 2>&1"
check "spend 9.00 USD more (100 %)" test "$(spend jb_s4 sendgrid 900 USD)" = recorded
out=$(budget sendgrid)
check "  paused: state paused, 100 %" jq -e '.state == "paused" and .day_percent == 100 and
	.spent_today == 5000' <<<"$out"
out=$(alerts open)
check "  a budget_paused alert (critical)" has "$out" --arg k "budget100:sendgrid:daily:$DAY" \
	'[.alerts[] | select(.kind == "budget_paused" and .dedup_key == $k and
	.severity == "critical")] | length == 1'
check "  bos_alerts_open 2" test "$(metric bos_alerts_open)" = 2
check "  other services are not paused" has "$(budget twilio)" '.state == "ok"'

# ---- the cost report ----------------------------------------------------------------------
out=$(api GET "/outreach/cost?day=$DAY")
check "GET /outreach/cost?day=today: 200" test "$(st)" = 200
check "  sendgrid: 5000 USD of a 5000 daily budget, 100 %, paused" jq -e --arg d "$DAY" '.from == $d
	and .to == $d and (.services[] | select(.service == "sendgrid") | .spent == 5000 and
	.currency == "USD" and .daily_budget == 5000 and .monthly_budget == null and .percent == 100
	and .state == "paused")' <<<"$out"
check "  twilio listed with 0 spent; total 5000 USD of 100000 monthly" jq -e '(.services[] |
	select(.service == "twilio") | .spent == 0 and .state == "ok") and .total.spent == 5000 and
	.total.currency == "USD" and .total.monthly_budget == 100000 and .total.percent == 5' <<<"$out"
out=$(api GET "/outreach/cost?from=2026-01-01&to=2026-01-31")
check "a range without spend: 200, sendgrid 0" bash -c "test '$(st)' = 200 && jq -e '.from ==
	\"2026-01-01\" and (.services[] | select(.service == \"sendgrid\") | .spent == 0)' <<<'$out'"
out=$(api GET /outreach/cost)
check "no query: today" jq -e --arg d "$DAY" '.from == $d and .to == $d' <<<"$out"
aexp 400 "cost: day not a date" GET "/outreach/cost?day=2026-13-01"
aexp 400 "cost: day 2026-02-30" GET "/outreach/cost?day=2026-02-30"
aexp 400 "cost: day and from" GET "/outreach/cost?day=$DAY&from=$DAY&to=$DAY"
aexp 400 "cost: from without to" GET "/outreach/cost?from=$DAY"
aexp 400 "cost: from after to" GET "/outreach/cost?from=2026-02-01&to=2026-01-01"
aexp 400 "cost: more than 366 days" GET "/outreach/cost?from=2024-01-01&to=2026-01-01"
aexp 400 "cost: unknown parameter" GET "/outreach/cost?week=1"

# ---- lifting the pause -------------------------------------------------------------------
before=$(budget sendgrid)
out=$(api POST /budgets/sendgrid/resume)
check "POST /budgets/sendgrid/resume: 202, a budget_resume approval" bash -c "test '$(st)' = 202 &&
	jq -e '.approval.kind == \"budget_resume\"' <<<'$out'"
check "  nothing changed until it is approved: still paused" bash -c "test '$(budget sendgrid)' = '$before' &&
	jq -e '.state == \"paused\"' <<<'$before'"
out=$(api POST "/approvals/$(jq -r .approval.id <<<"$out")/approve" "{\"totp\":\"$(totp_fresh)\"}")
check "  approved with a fresh TOTP code: 200" test "$(st)" = 200
out=$(jq -c .result <<<"$out")
check "  resumed for today, no longer paused" has "$out" '.resumed.daily == true and
	.state != "paused"'
aexp 409 "resume it again: not paused" POST /budgets/sendgrid/resume
check "spend on while resumed" test "$(spend jb_s5 sendgrid 500 USD)" = recorded
check "  still not paused (the rest of the day)" has "$(budget sendgrid)" '.state !=
	"paused" and .spent_today == 5500'
check "twilio: spend 10.00 USD (its daily budget)" test "$(spend jb_t1 twilio 1000 USD)" = recorded
check "  twilio paused" has "$(budget twilio)" '.state == "paused"'
approved "raise twilio's daily budget above the spend" PUT /budgets/twilio \
	'{"daily":4000,"monthly":20000,"currency":"USD"}'
check "  lifts the pause" has "$(budget twilio)" '.state == "ok" and .day_percent == 25'
aexp 200 "lower it to the spend again" PUT /budgets/twilio '{"daily":1000,"monthly":20000,"currency":"USD"}'
check "  pauses it again" has "$(budget twilio)" '.state == "paused" and .monthly == 20000'
aexp 400 "a budget in EUR for twilio, which spent USD this month" PUT /budgets/twilio \
	'{"daily":1000,"currency":"EUR"}'
check "  refused: twilio keeps USD" has "$(budget twilio)" '.currency == "USD"'

# ---- audit: every change recorded with its amounts ------------------------------------------
out=$(api GET "/credentials/audit?action=budget_set&limit=1000")
check "audit: each successful PUT /budgets has an allow record with its amounts" jq -e '
	[.records[] | select(.decision == "allow")] | length == 7 and
	any(.[]; .resource == "/budgets/sendgrid" and (.reason | test("daily 5000")))' <<<"$out"
check "audit: the bad ones are recorded as invalid" jq -e '[.records[] |
	select(.decision == "invalid")] | length >= 15' <<<"$out"
out=$(api GET "/credentials/audit?action=budget_resume&limit=1000")
check "audit: the resume, allowed, and the refused ones" jq -e '[.records[] | select(.decision ==
	"allow")] | length == 1' <<<"$out"
# ---- real jobs: estimates, two brokers in parallel, spend on completion ---------------------
B1=$(broker_add outreach b-one); B2=$(broker_add outreach b-two)
check "two outreach brokers" bash -c "[[ '$B1' == bos_b_* && '$B2' == bos_b_* ]]"
aexp 200 "mailgun: a daily budget of 10.00 USD" PUT /budgets/mailgun '{"daily":1000,"currency":"USD"}'
N=10
for i in $(seq $N); do
	J[$i]=$(job_add mailgun "\"estimate\":{\"amount\":150,\"currency\":\"USD\"}")
done
check "$N verify jobs for mailgun, each estimated at 1.50 USD" bash -c "[ \$(printf '%s\n' ${J[*]} |
	grep -c '^jb_') = $N ]"
# claimer TOKEN FILE: claim until the vault hands out nothing (204), one status a line.
claimer() {
	local tok=$1 out=$2 st
	for _ in $(seq $((N + 2))); do
		st=$(curl -s -o "$out.$RANDOM$RANDOM" -w '%{http_code}' --max-time 20 \
			--unix-socket "$S/vault.sock" -H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' -X POST \
			--data-binary '{"kinds":["verify"],"wait":0}' http://vault/jobs/claim)
		echo "$st" >>"$out"
		[ "$st" = 200 ] || break
	done
}
mkdir -p "$T/c1" "$T/c2"
claimer "$B1" "$T/c1/st" & p1=$!
claimer "$B2" "$T/c2/st" & p2=$!
wait $p1 $p2
got=$(cat "$T/c1/st" "$T/c2/st" | grep -c '^200$')
check "two brokers claiming in parallel got exactly 6 jobs (6 x 1.50 <= 10.00 < 7 x 1.50), got $got" \
	test "$got" = 6
check "  both brokers stopped on 204 (nothing that fits), none got an error" bash -c \
	"test \$(cat '$T/c1/st' '$T/c2/st' | grep -vc '^200$') = 2 && ! grep -qv '^20[04]$' '$T/c1/st' '$T/c2/st'"
check "  each claim was handed out once" bash -c "test \$(cat '$T'/c[12]/st.* | jq -r '.job.id // empty' |
	sort -u | wc -l) = 6"
check "  the vault agrees: 6 claimed" has "$(api GET "/jobs?state=claimed")" \
	'[.jobs[] | select(.service == "mailgun")] | length == 6'
check "  and 4 queued" has "$(api GET "/jobs?state=queued")" \
	'[.jobs[] | select(.service == "mailgun")] | length == 4'
check "  the log says why the others were not handed out" grep -q 'not handed out: budget' "$T/vault.log"

# Complete five of the claimed jobs with their real cost; keep one claimed for a lease later.
mapfile -t CL < <(cat "$T"/c[12]/st.* | jq -r 'select(.job) | "\(.job.id) \(.job.claim)"')
tok_of() { grep -qx "$1" < <(cat "$T"/c1/st.* | jq -r '.job.id // empty') && echo "$B1" || echo "$B2"; }
for k in 0 1 2 3 4; do
	read -r jid cl <<<"${CL[$k]:-}"
	code=$(breq "$(tok_of "$jid")" POST "/jobs/$jid/complete" \
		"{\"claim\":\"$cl\",\"result\":{\"ok\":true},\"spend\":{\"amount\":160,\"currency\":\"USD\"}}")
	echo "$code" >>"$T/complete.st"
done
check "five completions with 1.60 USD spend each: 200" test "$(grep -c '^200$' "$T/complete.st")" = 5
read -r jid cl <<<"${CL[0]}"
code=$(breq "$(tok_of "$jid")" POST "/jobs/$jid/complete" \
	"{\"claim\":\"$cl\",\"result\":{\"ok\":true},\"spend\":{\"amount\":160,\"currency\":\"USD\"}}")
check "completing the first again: 200, duplicate" has "$code $(cat "$T/b.json")" \
	--raw-input 'startswith("200 ") and (.[4:] | fromjson | .duplicate == true)'
check "  spent today 8.00 USD, not 9.60: recorded once" has "$(budget mailgun)" '.spent_today == 800'
check "  80 %: the budget_warning alert for mailgun" has "$(alerts open)" --arg k \
	"budget80:mailgun:daily:$DAY" '[.alerts[] | select(.dedup_key == $k)] | length == 1'
read -r jid cl <<<"${CL[4]}"
code=$(breq "$B1" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "the queued jobs still do not fit (8.00 spent + 1.50 claimed + 1.50 > 10.00): 204" \
	test "$code" = 204
read -r jid cl <<<"${CL[5]}"
code=$(breq "$(tok_of "$jid")" POST "/jobs/$jid/complete" \
	"{\"claim\":\"$cl\",\"result\":{\"ok\":true},\"spend\":{\"amount\":5,\"currency\":\"EUR\"}}")
check "completion with spend in EUR: 400" test "$code" = 400
check "  currency_mismatch, conversion does not exist yet" has "$(cat "$T/b.json")" \
	'.error.code == "currency_mismatch" and (.error.message | test("conversion does not exist yet"))'
check "  the job is still claimed" test "$(jstate "$jid")" = claimed
check "  nothing spent" has "$(budget mailgun)" '.spent_today == 800'
MG=$(api POST /credentials '{"name":"mailgun-main","type":"api_key","service":"mailgun","secret":"mg-secret"}' | jq -r .id)
code=$(breq "$(tok_of "$jid")" POST /leases "{\"credential\":\"$MG\",\"purpose\":\"verify\",\"job\":\"$jid\"}")
check "a lease for the claimed job while mailgun is under its budget: 201" test "$code" = 201
# A job without an estimate fits any budget that is not paused: it is handed out past the
# queued ones that do not fit, and its completion takes mailgun to 100 %.
JX=$(job_add mailgun)
claim "$B1" 0
check "a job without an estimate is handed out (past the ones that do not fit)" \
	test "$CST $JOB" = "200 $JX"
code=$(breq "$B1" POST "/jobs/$JX/complete" \
	"{\"claim\":\"$CLAIM\",\"result\":{\"ok\":true},\"spend\":{\"amount\":200,\"currency\":\"USD\"}}")
check "its completion spends 2.00 USD: 200" test "$code" = 200
check "  mailgun paused" has "$(budget mailgun)" '.state == "paused" and .day_percent == 100'
code=$(breq "$(tok_of "$jid")" POST /leases "{\"credential\":\"$MG\",\"purpose\":\"verify\",\"job\":\"$jid\"}")
check "  a lease now: 403 budget_paused" test "$code $(bcode)" = "403 budget_paused"
code=$(breq "$B2" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "  a claim now: 204, nothing handed out" test "$code" = 204
approved "resume mailgun" POST /budgets/mailgun/resume
code=$(breq "$(tok_of "$jid")" POST /leases "{\"credential\":\"$MG\",\"purpose\":\"verify\",\"job\":\"$jid\"}")
check "  a lease again: 201" test "$code" = 201
code=$(breq "$B2" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "  and the queued jobs are handed out again (the day is resumed)" test "$code" = 200
check "no error in the vault's log" bash -c "! grep -E 'error:|internal' '$T/vault.log'"
finish
