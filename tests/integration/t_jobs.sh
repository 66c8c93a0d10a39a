#!/bin/bash
# The durable job queue against the real vault (issue #14 item 3,
# docs/BROKERS.md "Jobs"), brokers simulated with curl on the unix socket:
# idempotency keys; claim, heartbeat, complete (with its spend in the same
# transaction: a refused currency rolls the completion back; completing
# twice records once), fail with exponential backoff until max_attempts,
# then dead with an open job_dead alert; a claim not heartbeaten within
# job_visibility_seconds goes back to the queue and its late completion is
# 409; waiting claims (long polls) hold no in-flight slot: with
# requests_inflight_max = 4, eight of them wait while the admin is served at
# once, and a new job wakes a waiter at once (and only one gets it); kill -9 of the vault with
# claims outstanding, then a restart: every job completes exactly once
# (spend counted once per job) and `bosctl audit verify` passes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"

ME=$(id -u)
PW="alice's long password $(canary p)"
check "vault up (outreach from uid $ME, claims held 3 s, 4 requests in flight)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "job_visibility_seconds = 3" \
	"requests_inflight_max = 4" || finish
check "admin signed in" admin_setup alice "$PW" || finish
TOK=$(broker_add outreach ob-one)
TOK2=$(broker_add outreach ob-two)
check "two outreach brokers" bash -c "[[ '$TOK' == bos_b_* && '$TOK2' == bos_b_* ]]" || finish
# spent SERVICE: what GET /outreach/cost says SERVICE spent today (0 when nothing).
spent() {
	api GET "/outreach/cost?day=$(date -u +%F)" |
		jq -r --arg s "$1" '[.services[] | select(.service == $s) | .spent] | add // 0'
}
now() { date +%s.%N; }
# since T0: seconds (float) since T0.
since() { echo "$(now) - $1" | bc; }
# complete TOKEN JOB CLAIM [SPEND_JSON]: prints the status.
complete() { breq "$1" POST "/jobs/$2/complete" "{\"claim\":\"$3\",\"result\":{\"ok\":true,\"status\":200}${4:+,\"spend\":$4}}"; }
fail() { breq "$1" POST "/jobs/$2/fail" "{\"claim\":\"$3\",\"error\":\"provider said 503\",\"retry\":${4:-true}}"; }

# ---- idempotency -------------------------------------------------------------------
out=$(api POST /jobs '{"kind":"verify","service":"sendgrid","idempotency_key":"verify-sg-1"}')
check "POST /jobs with an idempotency key: 201" test "$(st)" = 201
J1=$(jq -r .job.id <<<"$out")
out=$(api POST /jobs '{"kind":"verify","service":"mailgun","idempotency_key":"verify-sg-1"}')
check "the same key again: 200 with the same job (nothing new, its service unchanged)" \
	test "$(st):$(jq -r .job.id <<<"$out"):$(jq -r .job.service <<<"$out")" = "200:$J1:sendgrid"
a=$(api POST /jobs '{"kind":"verify","service":"twilio","params":{"note":"a"}}' | jq -r .job.idempotency_key)
b=$(api POST /jobs '{"kind":"verify","service":"twilio","params":{"note":"b"}}' | jq -r .job.idempotency_key)
check "without a key each job gets its own idem_ key" bash -c "[[ '$a' == idem_* && '$b' == idem_* && '$a' != '$b' ]]"
check "three jobs queued in all" test "$(api GET '/jobs?state=queued' | jq '.jobs | length')" = 3

# ---- claim, heartbeat, complete ------------------------------------------------------
claim "$TOK" 0
check "claim: 200, the oldest job, attempt 1, a cl_ claim" \
	bash -c "[ '$CST:$JOB' = '200:$J1' ] && [[ '$CLAIM' == cl_* ]] && jq -e '.job.attempt == 1 and .job.visible_until != null' '$T/b.json'"
C1=$CLAIM
api GET "/jobs/$J1" >"$T/j.json"
check "GET /jobs/ID: claimed, by a broker; the claim id is not shown to the admin" jq -e \
	'.job.state == "claimed" and (.job.claimed_by | startswith("bk_")) and (.job | has("claim") | not)' "$T/j.json"
s=$(breq "$TOK" POST "/jobs/$J1/heartbeat" "{\"claim\":\"$C1\"}")
check "heartbeat: 200 with visible_until" bash -c "[ '$s' = 200 ] && jq -e '.visible_until != null' '$T/b.json'"
s=$(breq "$TOK" POST "/jobs/$J1/heartbeat" '{"claim":"cl_aaaaaaaaaaaaaaaaaaaaaaaaaa"}')
check "heartbeat with another claim id: 409 stale_claim" test "$s:$(bcode)" = 409:stale_claim
s=$(breq "$TOK2" POST "/jobs/$J1/heartbeat" "{\"claim\":\"$C1\"}")
check "heartbeat by another broker with the right claim id: 409" test "$s" = 409
s=$(breq "$TOK" POST "/jobs/$J1/heartbeat" '{"claim":"nope"}')
check "heartbeat with a malformed claim: 400" test "$s" = 400
s=$(complete "$TOK2" "$J1" "$C1")
check "complete by another broker: 409, the job stays claimed" test "$s:$(jstate "$J1")" = 409:claimed
sg0=$(spent sendgrid)
s=$(complete "$TOK" "$J1" "$C1" '{"amount":120,"currency":"USD"}')
check "complete with spend 120 USD: 200, done, duplicate false" \
	bash -c "[ '$s' = 200 ] && jq -e '.job.state == \"done\" and .duplicate == false and .job.result.ok == true' '$T/b.json'"
check "the spend is in the ledger (sendgrid +120)" test "$(spent sendgrid)" = "$((sg0 + 120))"
s=$(complete "$TOK" "$J1" "$C1" '{"amount":120,"currency":"USD"}')
check "the same completion again: 200, duplicate true" \
	bash -c "[ '$s' = 200 ] && jq -e '.duplicate == true and .job.state == \"done\"' '$T/b.json'"
check "... and the spend is recorded once" test "$(spent sendgrid)" = "$((sg0 + 120))"

# ---- fail, backoff, dead, alert ---------------------------------------------------------
# The two twilio jobs are queued; take them, fail one without retry (dead at once).
claim "$TOK" 0; JA=$JOB; CA=$CLAIM
claim "$TOK" 0; JB=$JOB; CB=$CLAIM
check "both twilio jobs claimed" bash -c "[[ '$JA' == jb_* && '$JB' == jb_* && '$JA' != '$JB' ]]"
s=$(fail "$TOK" "$JB" "$CB" false)
check "fail without retry: 200, dead" test "$s:$(jstate "$JB")" = 200:dead
s=$(complete "$TOK" "$JA" "$CA")
check "the other completes" test "$s" = 200
# A spend in another currency than the budget's rolls the completion back.
api PUT /budgets/mailgun '{"daily":100000,"currency":"USD"}' >/dev/null
JM=$(job_add mailgun)
claim "$TOK" 0
check "a mailgun job claimed" test "$CST:$JOB" = "200:$JM"
CM=$CLAIM
s=$(complete "$TOK" "$JM" "$CM" '{"amount":5,"currency":"EUR"}')
check "complete with a EUR spend against a USD budget: 400 currency_mismatch" test "$s:$(bcode)" = 400:currency_mismatch
check "... the job is still claimed (the completion rolled back), nothing spent" \
	test "$(jstate "$JM"):$(spent mailgun)" = "claimed:0"
for body in "{\"claim\":\"$CM\"}" "{\"claim\":\"$CM\",\"result\":[1]}" "{\"claim\":\"$CM\",\"result\":{},\"spend\":{\"amount\":0,\"currency\":\"USD\"}}" \
	"{\"claim\":\"$CM\",\"result\":{},\"extra\":1}" "{\"result\":{}}"; do
	s=$(breq "$TOK" POST "/jobs/$JM/complete" "$body")
	check "complete ${body:0:70}: 400" test "$s" = 400
done
check "the job is still claimed after the bad requests" test "$(jstate "$JM")" = claimed
s=$(complete "$TOK" "$JM" "$CM" '{"amount":5,"currency":"USD"}')
check "then in USD: 200, done, mailgun spent 5" test "$s:$(jstate "$JM"):$(spent mailgun)" = "200:done:5"

JF=$(job_add sendgrid '"max_attempts":3,"idempotency_key":"flaky"')
claim "$TOK" 0
check "a job of 3 attempts claimed (attempt 1)" test "$CST:$JOB" = "200:$JF"
s=$(fail "$TOK" "$JF" "$CLAIM")
t0=$(now)
check "fail with retry: 200, queued again, not_before set" \
	bash -c "[ '$s' = 200 ] && jq -e '.job.state == \"queued\" and .job.attempts == 1 and .job.error == \"provider said 503\"' '$T/b.json'"
claim "$TOK" 0
check "right after: nothing to claim (backoff 2^1 = 2 s)" test "$CST" = 204
claim "$TOK" 6
d=$(since "$t0")
check "a waiting claim gets it once the backoff ends (after ${d} s; whole seconds: >= 0.9)" \
	bash -c "[ '$CST:$JOB' = '200:$JF' ] && [ \$(echo '$d >= 0.9' | bc) = 1 ] && jq -e '.job.attempt == 2' '$T/b.json'"
s=$(fail "$TOK" "$JF" "$CLAIM")
t0=$(now)
claim "$TOK" 8
d=$(since "$t0")
check "attempt 3 after the second backoff (2^2 = 4 s; ${d} s; whole seconds: >= 2.9)" \
	bash -c "[ '$CST:$JOB' = '200:$JF' ] && [ \$(echo '$d >= 2.9' | bc) = 1 ] && jq -e '.job.attempt == 3' '$T/b.json'"
s=$(fail "$TOK" "$JF" "$CLAIM")
check "the last attempt fails: dead" test "$s:$(jstate "$JF")" = 200:dead
api GET '/alerts?state=open' >"$T/alerts.json"
check "an open job_dead alert names the job" jq -e --arg j "$JF" \
	'[.alerts[] | select(.kind == "job_dead" and .details.job == $j)] | length == 1' "$T/alerts.json"
check "... and the one that failed without retry" jq -e --arg j "$JB" \
	'[.alerts[] | select(.kind == "job_dead" and .details.job == $j)] | length == 1' "$T/alerts.json"
s=$(fail "$TOK" "$JF" "$CLAIM")
check "failing a dead job: 409" test "$s" = 409

# ---- visibility timeout ----------------------------------------------------------------
JV=$(job_add sendgrid '"idempotency_key":"visibility"')
claim "$TOK" 0
CV=$CLAIM
check "claimed by ob-one" test "$CST:$JOB" = "200:$JV"
sleep 3.5
check "3.5 s without a heartbeat: the job is queued again (GET /jobs/ID)" test "$(jstate "$JV")" = queued
claim "$TOK2" 0
check "ob-two claims it (attempt 2)" bash -c "[ '$CST:$JOB' = '200:$JV' ] && jq -e '.job.attempt == 2' '$T/b.json'"
s=$(complete "$TOK" "$JV" "$CV")
check "ob-one's late completion with its expired claim: 409 stale_claim" test "$s:$(bcode)" = 409:stale_claim
s=$(complete "$TOK2" "$JV" "$CLAIM")
check "ob-two completes it: 200" test "$s:$(jstate "$JV")" = 200:done

# ---- long polls hold no slot --------------------------------------------------------------
check "nothing is queued for outreach now" test "$(api GET '/jobs?state=queued' | jq '.jobs | length')" = 0
pids=()
for i in $(seq 9); do
	curl -s -o "$T/lp.$i" -w '%{http_code}' --max-time 30 --unix-socket "$S/vault.sock" -X POST \
		-H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
		--data-binary '{"kinds":["verify"],"wait":2}' http://vault/jobs/claim >"$T/lp.$i.st" &
	pids+=($!)
done
sleep 0.5
t0=$(now)
h=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --unix-socket "$S/vault.sock" http://vault/health)
l=$(curl -s -o "$T/lj.json" -w '%{http_code}' --max-time 5 --unix-socket "$S/vault.sock" \
	-H "Authorization: Bearer $SESSION" http://vault/jobs)
d=$(since "$t0")
check "8 claims waiting (4 slots, a 9th refused): /health and an admin's GET /jobs on the socket answer 200 at once (${d} s)" \
	bash -c "[ '$h:$l' = 200:200 ] && [ \$(echo '$d < 3' | bc) = 1 ]"
t0=$(now)
JW=$(job_add sendgrid '"idempotency_key":"wakes-a-waiter"')
for _ in $(seq 30); do [ "$(jstate "$JW")" = claimed ] && break; sleep 0.1; done
d=$(since "$t0")
check "a new job is claimed by a waiter within 1.5 s (${d} s)" \
	bash -c "[ '$(jstate "$JW")' = claimed ] && [ \$(echo '$d < 1.5' | bc) = 1 ]"
for p in "${pids[@]}"; do wait "$p"; done
n200=$(cat "$T"/lp.*.st | grep -o 200 | wc -l); n204=$(cat "$T"/lp.*.st | grep -o 204 | wc -l)
n503=$(cat "$T"/lp.*.st | grep -o 503 | wc -l)
check "of 9 long polls of one broker, 8 waited (one got the job, 7 got 204 at the end of their wait) and the 9th was told 503 busy (8 a broker)" \
	test "$n200:$n204:$n503" = 1:7:1
for i in $(seq 9); do jq -r '.job.claim // empty' "$T/lp.$i" 2>/dev/null; done >"$T/lp.claim"
s=$(complete "$TOK" "$JW" "$(head -1 "$T/lp.claim")")
check "its claim completes" test "$s" = 200

# ---- kill -9 with claims outstanding, restart: each job completes once ---------------------------
api PUT /budgets/twilio '{"daily":100000,"currency":"USD"}' >/dev/null
tw0=$(spent twilio)
KJ=()
for i in 1 2 3 4 5; do KJ+=("$(job_add twilio "\"idempotency_key\":\"kill-$i\"")"); done
check "5 twilio jobs queued" test "${#KJ[@]}:$(api GET '/jobs?state=queued' | jq '.jobs | length')" = 5:5
claim "$TOK" 0; K1=$JOB; KC1=$CLAIM
claim "$TOK2" 0; K2=$JOB; KC2=$CLAIM
s=$(complete "$TOK" "$K1" "$KC1" '{"amount":7,"currency":"USD"}')
check "two claimed, one completed before the kill" test "$s" = 200
claim "$TOK" 0; K3=$JOB; KC3=$CLAIM
kill -9 "$VPID"; wait "$VPID" 2>/dev/null
check "the vault restarts after kill -9" start_vault "$S" "$T/vault2.log" || finish
SESSION=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(totp_code 0)\"}" "$URL/auth/login" | jq -r '.session // empty')
[ -n "$SESSION" ] || SESSION=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(totp_code 1)\"}" "$URL/auth/login" | jq -r '.session // empty')
check "signed in again" test -n "$SESSION" || finish
check "the claims made before the kill are still there (durable)" \
	test "$(jstate "$K1"):$(jstate "$K3")" = "done:claimed"
s=$(complete "$TOK" "$K1" "$KC1" '{"amount":7,"currency":"USD"}')
check "the completion from before the kill sent again: 200 duplicate" \
	bash -c "[ '$s' = 200 ] && jq -e '.duplicate == true' '$T/b.json'"
# The brokers come back and work until the queue is empty; claims from before expire.
: >"$T/done"
for _ in $(seq 12); do
	claim "$TOK" 4
	[ "$CST" = 204 ] && [ "$(api GET '/jobs?state=queued' | jq '.jobs | length')" = 0 ] &&
		[ "$(api GET '/jobs?state=claimed' | jq '.jobs | length')" = 0 ] && break
	[ "$CST" = 200 ] || continue
	s=$(complete "$TOK" "$JOB" "$CLAIM" '{"amount":7,"currency":"USD"}')
	echo "$JOB $s" >>"$T/done"
done
s=$(complete "$TOK2" "$K2" "$KC2" '{"amount":7,"currency":"USD"}')
check "ob-two's pre-kill claim, expired and taken again: 409" test "$s" = 409
s=$(complete "$TOK" "$K3" "$KC3" '{"amount":7,"currency":"USD"}')
check "ob-one's pre-kill claim, expired and taken again: 409" test "$s" = 409
for j in "${KJ[@]}"; do
	check "job $j: done" test "$(jstate "$j")" = done
done
check "each job completed once after the restart (no job twice)" \
	bash -c "[ \$(awk '\$2 == 200' '$T/done' | cut -d' ' -f1 | sort | uniq -d | wc -l) = 0 ]"
check "the ledger has exactly 5 x 7 for them (twilio +35)" test "$(spent twilio)" = "$((tw0 + 35))"
vcurl -H "Authorization: Bearer $SESSION" "$URL/credentials/audit/export" >"$T/export"
vcurl -H "Authorization: Bearer $SESSION" "$URL/credentials/audit/pubkey" | jq -r '.keys[0].pem' >"$T/pub.pem"
check "bosctl audit verify: the chain verifies after the kill" "$BOSCTL" audit verify "$T/export" --pubkey "$T/pub.pem"
api GET /metrics >"$T/metrics"
for st in queued claimed done dead; do
	want=$(api GET "/jobs?state=$st" | jq '.jobs | length')
	check "/metrics: bos_jobs{state=\"$st\"} is what GET /jobs lists ($want)" \
		grep -qx "bos_jobs{state=\"$st\"} $want" "$T/metrics"
done
n=$(grep '"action":"job_claim"' "$T/export" | grep -c "$K2")
check "every claim of a job has its audit record (job $K2: $n, at least 2)" test "$n" -ge 2
finish
