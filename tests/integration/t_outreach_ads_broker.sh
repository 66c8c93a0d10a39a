#!/bin/bash
# Ads end to end from the broker's side (docs/ADS.md): the real vault, the real bos-broker
# (role outreach, sandboxed, base_url.meta) and the strict Meta stub. An ad is made (four
# objects, each between its steps, then activated: the stub's campaign PAUSED then ACTIVE),
# paused and resumed through its jobs (the campaign's history at the stub), its spend measured
# by ad_insights (12.34 USD set at the stub is the ad's spent); a verify of meta is ok; an ad
# whose campaign Meta refuses (code 100) ends failed with Meta's error; the token is never in
# the broker's log. Written on the broker's branch before the merge: it says "skipped" (and
# passes) where the Meta stub or the vault's ad routes are missing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

BROKER=$BOS_BIN/bos-broker
ME=$(id -u)
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }
[ -n "${STUB_PORT_meta:-}" ] || { ok "skipped: the provider stubs have no meta yet"; finish; }
grep -aq ad_insights_seconds "$BOS_BIN/bos-vaultd" ||
	{ ok "skipped: this vault has no ads (no ad_insights_seconds)"; finish; }
check "vault up" api_up "$T/s" "broker_uid_outreach = $ME" "sweep_interval_seconds = 1" \
	"ad_insights_seconds = 10" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
TOK=$(broker_add outreach out1)
printf '%s\n' "$TOK" >"$T/out.token" && chmod 0600 "$T/out.token"
cat >"$T/out.conf" <<CONF
vault_socket = $S/vault.sock
token_file = $T/out.token
test_ca_file = $STUB_CA
claim_wait = 1
heartbeat_interval = 1
base_url.meta = https://127.0.0.1:$STUB_PORT_meta
CONF
META_TOKEN="EAAG$(canary meta)"
BAD_TOKEN="EAAG$(canary bad)"
stub_key meta "$META_TOKEN" ok
stub_key meta "$BAD_TOKEN" campaign:400
cred_add() { api POST /credentials "$1" | jq -r '.id // empty'; }
MC=$(cred_add "{\"name\":\"meta-main\",\"type\":\"api_key\",\"service\":\"meta\",\"secret\":\"$META_TOKEN\"}")
BC=$(cred_add "{\"name\":\"meta-bad\",\"type\":\"api_key\",\"service\":\"meta\",\"secret\":\"$BAD_TOKEN\"}")
check "two meta credentials" bash -c "[[ '$MC' == cr_* && '$BC' == cr_* ]]"
api PUT /budgets/meta '{"daily":10000,"currency":"USD"}' >/dev/null
check "a budget for meta" test "$(st)" = 200
"$BROKER" outreach --config "$T/out.conf" >>"$T/broker.log" 2>&1 &
BPID=$!
bg_track "$BPID"
wait_for() { local n=$1; shift; for _ in $(seq $((n * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
check "the broker is ready with 9 connectors" wait_for 10 grep -q "ready: role outreach, 9 connectors" "$T/broker.log"
state_is() { [ "$(api GET "/outreach/ads/$1" | jq -r '.ad.state')" = "$2" ]; }
api POST /outreach/ad '{"name":"Spring sale","credential":"meta-main","account":"act_1234","post":"111_222","daily_budget":{"amount":3000,"currency":"USD"},"countries":["US","CA"],"objective":"OUTCOME_AWARENESS","special_ad_categories":["HOUSING"]}' >"$T/ad.json"
A=$(jq -r '.ad.id // empty' "$T/ad.json")
check "an ad (201)" test -n "$A" || { cat "$T/ad.json"; finish; }
check "the ad becomes active" wait_for 30 state_is "$A" active || tail -30 "$T/broker.log"
api GET "/outreach/ads/$A" >"$T/ad.json"
check "its four Meta ids are digits" jq -e '[.ad.meta[] | test("^[0-9]+$")] | all and length == 4' "$T/ad.json"
CAMP=$(jq -r .ad.meta.campaign "$T/ad.json")
objs() { curl -sS --cacert "$STUB_CA" "https://127.0.0.1:$STUB_PORT_meta/__stub/meta/objects"; }
hist() { objs | jq -r --arg id "$1" '.objects[] | select(.id == $id) | [.history[].status] | join(",")'; }
check "the stub: campaign PAUSED then ACTIVE" test "$(hist "$CAMP")" = "PAUSED,ACTIVE"
check "the stub: four objects, no problem logged" bash -c "[ \$(jq -c 'select(.provider == \"meta\" and .problems != [])' '$STUB_LOG' | wc -l) = 0 ]"
api POST "/outreach/ads/$A/pause" >/dev/null
check "pause: 202" test "$(st)" = 202
check "the ad becomes paused" wait_for 30 state_is "$A" paused
check "the stub: campaign PAUSED" test "$(hist "$CAMP")" = "PAUSED,ACTIVE,PAUSED"
api POST "/outreach/ads/$A/resume" >"$T/resume.json"
check "resume: 202" test "$(st)" = 202
check "the ad is active again" wait_for 30 state_is "$A" active
check "the stub: campaign ACTIVE" test "$(hist "$CAMP")" = "PAUSED,ACTIVE,PAUSED,ACTIVE"
curl -sS --cacert "$STUB_CA" -X PUT -H 'Content-Type: application/json' \
	--data '{"spend":"12.34","currency":"USD"}' "https://127.0.0.1:$STUB_PORT_meta/__stub/meta/spend/$CAMP" >/dev/null
spent_is() { [ "$(api GET "/outreach/ads/$1" | jq -r '.ad.spent.amount')" = "$2" ]; }
check "insights: the ad spent 12.34 USD" wait_for 40 spent_is "$A" 1234
api POST /jobs "{\"kind\":\"verify\",\"service\":\"meta\",\"credential\":\"$MC\"}" >"$T/v.json"
VJ=$(jq -r '.job.id // empty' "$T/v.json")
vdone() { [ "$(api GET "/jobs/$VJ" | jq -r '.job.state')" = done ]; }
check "verify of meta: done" wait_for 20 vdone
vok() { api GET "/jobs/$VJ" | jq -e '.job.result.ok == true'; }
check "verify of meta: ok true" vok
api POST /outreach/ad '{"name":"Refused","credential":"meta-bad","account":"act_1234","post":"111_222","daily_budget":{"amount":1000,"currency":"USD"},"countries":["US"]}' >"$T/ad2.json"
A2=$(jq -r '.ad.id // empty' "$T/ad2.json")
check "an ad whose campaign Meta refuses becomes failed" wait_for 30 state_is "$A2" failed
a2err() { api GET "/outreach/ads/$A2" | jq -e '.ad.error | test("code 100")'; }
check "its error is Meta's (code 100)" a2err
check "no token in the broker's log" test "$(count_in "$META_TOKEN" "$T/broker.log")" = 0
# Between jobs the broker's memory holds no copy of the leased token (tests/tools/memscan, as
# root), with a control that finds its own broker token.
if [ "$(id -u)" -ne 0 ] || [ ! -x "$BOS_TESTBIN/memscan" ] || ldd "$BROKER" | grep -q libasan; then
	ok "memory scan skipped: memscan reads an undumpable process as root, without ASan"
else
	sleep 1
	printf '%s\n' "$META_TOKEN" >"$T/scan.secret"
	"$BOS_TESTBIN/memscan" "$BPID" "$T/scan.secret" >/dev/null 2>&1
	check "no copy of the Meta token in the broker's memory after its ad jobs" test $? -eq 0
	printf '%s\n' "$TOK" >"$T/scan.control"
	"$BOS_TESTBIN/memscan" "$BPID" "$T/scan.control" >/dev/null 2>&1
	check "control: memscan finds the broker's own token" test $? -eq 1
fi
kill -TERM "$BPID"; wait "$BPID"
finish
