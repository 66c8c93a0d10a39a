#!/bin/bash
# Ads end to end (issue #16 item 6, docs/ADS.md): the real vault, the real bos-broker
# (role outreach, sandboxed) and the strict Meta Marketing API stub (providers_stub.py).
#   - no BOS budget for meta: an ad is refused; a daily budget above what the budget
#     leaves is refused; one within it is made: campaign, ad set, creative and ad, each
#     created PAUSED, then activated (ad, ad set, campaign), with the BOS ad id in names
#   - hourly insights (every 10 s here) bring Meta's spend into the ledger (GET
#     /outreach/cost), once: the same spend asked again records nothing more
#   - spend reaching the budget pauses the campaign through the API (status PAUSED at
#     the stub), the ad is paused for "budget"; a resume is refused while the budget is
#     paused and, once an approved raise lifts it, activates the campaign again
#   - kill -9 of the broker during a creation call: the ad ends failed "outcome unknown"
#     and the stub holds one campaign of it, never two
#   - a token Meta refuses (code 190): the ad fails with that error, no retry
#   - the token never in a URL or a body at the stub, nor in any log or the audit
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

BROKER=$BOS_BIN/bos-broker
ME=$(id -u)
check "vault up (brokers from uid $ME, insights every 10 s, sweep every second)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "ad_insights_seconds = 10" \
	"sweep_interval_seconds = 1" "job_visibility_seconds = 4" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }
ok "the Meta stub is up"
META="https://127.0.0.1:$STUB_PORT_meta"
mcurl() { curl -sS --cacert "$STUB_CA" --max-time 10 "$@"; }

TOK=$(broker_add outreach out1)
check "an outreach broker registered" test -n "$TOK" || finish
printf '%s\n' "$TOK" >"$T/out.token" && chmod 0600 "$T/out.token"
cat >"$T/out.conf" <<CONF
vault_socket = $S/vault.sock
token_file = $T/out.token
test_ca_file = $STUB_CA
claim_wait = 1
heartbeat_interval = 1
base_url.meta = $META
CONF
run_broker() {
	"$BROKER" outreach --config "$T/out.conf" >>"$T/broker.log" 2>&1 &
	BPID=$!
	bg_track "$BPID"
}
stop_broker() { kill -TERM "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null; }
wait_for() { local n=$1; shift; for _ in $(seq $((n * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }

# ---- credentials ------------------------------------------------------------------------
TOKEN_OK="EAAB$(canary meta)"
TOKEN_SLOW="EAAB$(canary slow)"
TOKEN_BAD="EAAB$(canary bad)"
stub_key meta "$TOKEN_OK" ok
stub_key meta "$TOKEN_SLOW" slow 8
stub_key meta "$TOKEN_BAD" 401
cred_add() {
	api POST /credentials "{\"name\":\"$1\",\"type\":\"api_key\",\"service\":\"meta\",\"secret\":\"$2\"}" |
		jq -r '.id // empty'
}
check "three meta credentials" test -n "$(cred_add meta-main "$TOKEN_OK")" -a \
	-n "$(cred_add meta-slow "$TOKEN_SLOW")" -a -n "$(cred_add meta-bad "$TOKEN_BAD")"

ad_body() {   # ad_body NAME CREDENTIAL AMOUNT
	printf '{"name":"%s","credential":"%s","account":"act_1234567890","post":"111222333_444555666","daily_budget":{"amount":%s,"currency":"USD"},"countries":["US","CA"]}' "$1" "$2" "$3"
}
ad_get() { api GET "/outreach/ads/$1" | jq -r ".ad$2"; }
ad_state_is() { [ "$(ad_get "$1" .state)" = "$2" ]; }
# refused STATUS CODE [REGEX...]: the last api call answered STATUS with that error code and a
# message matching each REGEX (read from the answer's file: messages hold quotes).
refused() {
	local want=$1 code=$2; shift 2
	[ "$(st)" = "$want" ] && jq -e --arg c "$code" '.error.code == $c' "$T/api.body" >/dev/null || return 1
	for re in "$@"; do jq -e --arg r "$re" '.error.message | test($r)' "$T/api.body" >/dev/null || return 1; done
}

# ---- the money rules --------------------------------------------------------------------
api POST /outreach/ad "$(ad_body launch meta-main 2000)" >/dev/null
check "no BOS budget for meta: 409 no_budget, saying how to set one" refused 409 no_budget "budget set meta"
api PUT /budgets/meta '{"daily":5000,"currency":"USD"}' >/dev/null
check "a daily budget of 50.00 USD for meta" test "$(st)" = 200
api POST /outreach/ad "$(ad_body launch meta-main 6000)" >/dev/null
check "an ad set budget of 60.00 USD (above the 50.00 left): 409 over_budget naming both" \
	refused 409 over_budget "60[.]00" "50[.]00"
api POST /outreach/ad "$(ad_body launch meta-main 2000 | sed 's/USD/EUR/')" >/dev/null
check "an ad in EUR under a USD budget: 400 currency_mismatch" refused 400 currency_mismatch
check "nothing was made by the refusals" test "$(api GET /outreach/ads | jq '.ads | length')" = 0
out=$(api POST /outreach/ad "$(ad_body launch meta-main 2000)")
AD=$(jq -r '.ad.id // empty' <<<"$out")
check "an ad of 20.00 USD a day: 201, creating" bash -c \
	"[ '$(st)' = 201 ] && jq -e '.ad.state == \"creating\" and .ad.daily_budget.amount == 2000' <<<'$out'" || finish
api POST /outreach/ad "$(ad_body second meta-main 3500)" >/dev/null
check "a second ad of 35.00 (50.00 - 20.00 committed leaves 30.00): 409 over_budget" \
	refused 409 over_budget "30[.]00"

# ---- creation: PAUSED, then activated ---------------------------------------------------
run_broker
check "the broker makes the ad: active" wait_for 60 ad_state_is "$AD" active || tail -30 "$T/broker.log"
mcurl "$META/__stub/meta/objects" >"$T/objects.json"
CAMP=$(ad_get "$AD" .meta.campaign)
check "the ad knows its four Meta ids (digits)" bash -c \
	"jq -e '.ad.meta | [.campaign, .adset, .creative, .ad] | all(test(\"^[0-9]+\$\"))' <<<'$(api GET "/outreach/ads/$AD")'"
nobj() { jq "[.objects[] | select(.type == \"$1\")] | length" "$T/objects.json"; }
check "the stub holds exactly one campaign, ad set, creative and ad" bash -c \
	"[ $(nobj campaign) = 1 ] && [ $(nobj adset) = 1 ] && [ $(nobj creative) = 1 ] && [ $(nobj ad) = 1 ]" ||
	cat "$T/objects.json"
check "campaign, ad set and ad were created PAUSED and are ACTIVE now" bash -c \
	"jq -e '[.objects[] | select(.type != \"creative\")] | length == 3 and all(.history[0].status == \"PAUSED\" and .status == \"ACTIVE\")' '$T/objects.json'"
check "the ad set's daily budget is 2000 (minor units), targeting US and CA" bash -c \
	"jq -e '[.objects[] | select(.type == \"adset\")][0] | (.fields.daily_budget == \"2000\") and (.fields.targeting.geo_locations.countries == [\"US\",\"CA\"])' '$T/objects.json'"
check "the names carry the BOS ad id" bash -c \
	"jq -e '[.objects[] | select(.type == \"campaign\")][0].name == \"launch [$AD]\"' '$T/objects.json'"
# when each went ACTIVE (the stub's history): the ad, then the ad set, then the campaign
active_at() { jq -r "[.objects[] | select(.type == \"$1\")][0].history[] | select(.status == \"ACTIVE\") | .t" "$T/objects.json" | head -1; }
check "activation order: the ad, then the ad set, then the campaign" bash -c \
	"python3 -c 'import sys; a=sys.argv[1:]; sys.exit(0 if a[0] <= a[1] <= a[2] else 1)' '$(active_at ad)' '$(active_at adset)' '$(active_at campaign)'"

# ---- spend from insights into the ledger ------------------------------------------------
mcurl -X PUT --data-binary '{"spend":"12.34","currency":"USD"}' "$META/__stub/meta/spend/$CAMP" >/dev/null
meta_spent() { api GET /outreach/cost | jq -r '.services[] | select(.service=="meta") | .spent'; }
check "insights bring 12.34 USD into the ledger (1234 for meta in /outreach/cost)" \
	wait_for 40 bash -c "[ \"\$(curl -sS --cacert '$S/tls/cert.pem' -H 'Authorization: Bearer $SESSION' '$URL/outreach/cost' | jq -r '.services[] | select(.service==\"meta\") | .spent')\" = 1234 ]"
n_insights() { stub_count '.provider=="meta" and (.path | test("/insights"))'; }
before=$(n_insights)
wait_for 40 bash -c "[ \$(jq -c 'select(.provider==\"meta\" and (.path | test(\"/insights\")))' '$STUB_LOG' | wc -l) -gt $before ]"
sleep 1
check "the same spend asked again records nothing more (still 1234)" test "$(meta_spent)" = 1234
check "the ad shows its spend (1234 today)" test "$(ad_get "$AD" .spent_today.amount // .spent_today)" = 1234

# ---- the budget runs out: the campaign is paused through the API -------------------------
mcurl -X PUT --data-binary '{"spend":"50.10","currency":"USD"}' "$META/__stub/meta/spend/$CAMP" >/dev/null
check "spend of 50.10 reaches the 50.00 budget: the ad is paused (reason budget)" \
	wait_for 60 ad_state_is "$AD" paused || api GET "/outreach/ads/$AD"
check "pause_reason is budget" test "$(ad_get "$AD" .pause_reason)" = budget
camp_status() { mcurl "$META/__stub/meta/objects" | jq -r ".objects[] | select(.id == \"$CAMP\") | .status"; }
check "the campaign is PAUSED at Meta" test "$(camp_status)" = PAUSED
check "the ledger has 5010 for meta" test "$(meta_spent)" = 5010
check "alert budget_paused is open" bash -c \
	"curl -sS --cacert '$S/tls/cert.pem' -H 'Authorization: Bearer $SESSION' '$URL/alerts?state=open' | jq -e '[.alerts[] | select(.kind==\"budget_paused\")] | length >= 1'"
api POST "/outreach/ads/$AD/resume" >/dev/null
check "resume while the budget is paused: 409 budget_paused" refused 409 budget_paused
api POST "/outreach/ads/$AD/pause" >/dev/null
check "pause of a paused ad: 409 ad_state" refused 409 ad_state

# An approved raise (a second factor) lifts the pause; then the ad may resume.
out=$(api PUT /budgets/meta '{"daily":20000,"currency":"USD"}')
AP=$(jq -r '.approval.id // empty' <<<"$out")
check "raising the budget to 200.00 waits for an approval (202)" bash -c "[ '$(st)' = 202 ] && [ -n '$AP' ]"
for _ in $(seq 40); do [ "$(totp_code 0)" != "$ADMIN_LOGIN_CODE" ] && break; sleep 1; done
api POST "/approvals/$AP/approve" "{\"totp\":\"$(totp_code 0)\"}" >/dev/null
check "approved with a fresh TOTP code" test "$(st)" = 200
out=$(api POST "/outreach/ads/$AD/resume")
check "resume: 202, resuming" bash -c "[ '$(st)' = 202 ] && jq -e '.ad.state == \"resuming\"' <<<'$out'"
check "the ad is active again" wait_for 60 ad_state_is "$AD" active
check "the campaign is ACTIVE at Meta again" test "$(camp_status)" = ACTIVE
api POST "/outreach/ads/$AD/pause" >/dev/null
check "an admin pause: 202" test "$(st)" = 202
check "paused (reason admin), PAUSED at Meta" wait_for 60 bash -c \
	"[ \"\$(curl -sS --cacert '$S/tls/cert.pem' -H 'Authorization: Bearer $SESSION' '$URL/outreach/ads/$AD' | jq -r '.ad.state + \" \" + .ad.pause_reason')\" = 'paused admin' ]"
check "the campaign is PAUSED at Meta" test "$(camp_status)" = PAUSED

# ---- Meta throttles a creation call: refused, so tried again (not "unknown") -------------
TOKEN_THR="EAAB$(canary throttled)"
stub_key meta "$TOKEN_THR" campaign:throttle 0
check "a credential whose campaign calls Meta throttles (code 17, HTTP 400)" test -n "$(cred_add meta-thr "$TOKEN_THR")"
api POST /outreach/ad "$(ad_body throttled meta-thr 1000)" >"$T/thr.json"
AD4=$(jq -r '.ad.id // empty' "$T/thr.json")
check "an ad over it" test -n "$AD4"
throttled() { [ "$(stub_count ".provider==\"meta\" and .key==\"$(stub_kid "$TOKEN_THR")\" and .status==400 and (.path | endswith(\"/campaigns\"))")" -ge 1 ]; }
check "the campaign call was throttled" wait_for 30 throttled
check "the ad is still creating (the step was reported refused, not left unknown)" ad_state_is "$AD4" creating
stub_key meta "$TOKEN_THR" ok   # Meta lets it through again (the stub re-reads its keys)
check "the retry makes it: active" wait_for 60 ad_state_is "$AD4" active
check "one campaign of it at Meta" test \
	"$(mcurl "$META/__stub/meta/objects" | jq "[.objects[] | select(.type == \"campaign\" and .tag == \"$AD4\")] | length")" = 1
check "no ad_unknown alert" bash -c \
	"curl -sS --cacert '$S/tls/cert.pem' -H 'Authorization: Bearer $SESSION' '$URL/alerts?state=all' | jq -e '[.alerts[] | select(.kind==\"ad_unknown\")] | length == 0'"
api POST "/outreach/ads/$AD4/pause" >/dev/null
check "paused again (its daily budget is no longer committed)" wait_for 60 ad_state_is "$AD4" paused

# ---- kill -9 during a creation call: at most once ---------------------------------------
out=$(api POST /outreach/ad "$(ad_body slow meta-slow 1000)")
AD2=$(jq -r '.ad.id // empty' <<<"$out")
check "a second ad (its token answers after 8 s)" test -n "$AD2"
sleep 4   # claimed within a second or two; the creation call then hangs for 8 s
check "its campaign is not reported yet (the call is in flight)" test "$(ad_get "$AD2" .meta.campaign)" = null
kill -KILL "$BPID"; wait "$BPID" 2>/dev/null
sleep 5   # the stub finishes the call (the campaign exists at Meta, its id never reported)
run_broker
check "after the restart: the ad is failed, outcome unknown" wait_for 60 ad_state_is "$AD2" failed
check "alert ad_unknown is open for it" bash -c \
	"curl -sS --cacert '$S/tls/cert.pem' -H 'Authorization: Bearer $SESSION' '$URL/alerts?state=open' | jq -e '[.alerts[] | select(.kind==\"ad_unknown\")] | length == 1'"
check "the stub holds at most one campaign of it (never two)" test \
	"$(mcurl "$META/__stub/meta/objects" | jq "[.objects[] | select(.type == \"campaign\" and .tag == \"$AD2\")] | length")" -le 1

# ---- a token Meta refuses ----------------------------------------------------------------
out=$(api POST /outreach/ad "$(ad_body refused meta-bad 1000)")
AD3=$(jq -r '.ad.id // empty' <<<"$out")
check "an ad with a token Meta refuses" test -n "$AD3"
check "it fails with Meta's code 190" wait_for 60 ad_state_is "$AD3" failed
check "its error names code 190" bash -c "[[ \"\$(curl -sS --cacert '$S/tls/cert.pem' -H 'Authorization: Bearer $SESSION' '$URL/outreach/ads/$AD3' | jq -r .ad.error)\" == *190* ]]"
check "no campaign of it at the stub" test \
	"$(mcurl "$META/__stub/meta/objects" | jq "[.objects[] | select(.type == \"campaign\" and .tag == \"$AD3\")] | length")" = 0
stop_broker

# ---- no token anywhere ------------------------------------------------------------------
check "the stub found no fault in any request (its strict checks; 401 is the bad token's behaviour)" \
	test "$(stub_count '.provider=="meta" and (.problems | length) > 0 and .status != 401')" = 0
check "the throttle was the stub's behaviour, on the campaign call only" \
	test "$(stub_count '.provider=="meta" and .behaviour == "throttle" and .status == 400')" -ge 1
check "no access_token in any URL the stub saw" test "$(stub_count '.provider=="meta" and (.path | test("access_token"))')" = 0
api GET '/audit?limit=1000' >"$T/audit.json"
for t in "$TOKEN_OK" "$TOKEN_SLOW" "$TOKEN_BAD" "$TOKEN_THR"; do
	check "token ${t:0:12}… in no log, no audit record" bash -c \
		"! grep -rqF -- '$t' '$T/vault.log' '$T/broker.log' '$STUB_LOG' '$T/audit.json'"
done
finish
