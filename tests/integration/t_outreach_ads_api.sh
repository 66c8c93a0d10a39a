#!/bin/bash
# Ads through the vault's API (docs/ADS.md), the broker's side driven by hand
# with curl on the unix socket: the checks of POST /outreach/ad (400, 404,
# 409 and the money rules), an ad_create claimed and its steps reported in
# order (step_order, a bad id), completed with its four ids: active. An
# earlier attempt that began a step and never reported: outcome_unknown, the
# ad failed. Pause and resume through their jobs. Insights: the spend
# recorded once (a duplicate completion, a smaller figure, another currency
# record nothing more), in GET /outreach/cost; crossing 100 % of the budget
# of meta pauses the active ad through an ad_pause job that is claimable and
# leasable while the budget is paused, while an ad_create is not handed out.
# No secret in the audit trail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/lib_audit.sh"

ME=$(id -u)
check "vault up (brokers from uid $ME, a sweep each second, insights every 10 s)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "sweep_interval_seconds = 1" \
	"ad_insights_seconds = 10" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
TOK=$(broker_add outreach ads1)
check "an outreach broker registered" test -n "$TOK" || finish
META_SECRET=$(canary meta)
cred_add() { api POST /credentials "$1" | jq -r '.id // empty'; }
META=$(cred_add "{\"name\":\"meta-main\",\"type\":\"api_key\",\"service\":\"meta\",\"secret\":\"$META_SECRET\"}")
OTHER=$(cred_add "{\"name\":\"sg-main\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$(canary sg)\"}")
OLD=$(cred_add "{\"name\":\"meta-old\",\"type\":\"api_key\",\"service\":\"meta\",\"secret\":\"$(canary old)\"}")
api DELETE "/credentials/$OLD" >/dev/null
check "credentials: meta, sendgrid, a revoked meta one" bash -c "[[ '$META' == cr_* && '$OTHER' == cr_* && '$OLD' == cr_* ]]"

# ad NAME DAILY [CUR] [EXTRA JSON FIELDS]: POST /outreach/ad; the answer in $T/ad.json.
ad() {
	api POST /outreach/ad "{\"name\":\"$1\",\"credential\":\"meta-main\",\"account\":\"act_1234\",\"post\":\"111_222\",\"daily_budget\":{\"amount\":$2,\"currency\":\"${3:-USD}\"},\"countries\":[\"US\",\"CA\"]${4:+,$4}}" >"$T/ad.json"
}
code() { jq -r '.error.code // empty' "$T/api.body"; }
msg() { jq -r '.error.message // empty' "$T/api.body"; }
is() { [ "$(st)" = "$1" ] && [ "$(code)" = "$2" ]; }

# ---- creation: the checks --------------------------------------------------------------
ad first 1000
check "no budget of meta: 409 no_budget saying how to set one" bash -c \
	"[ $(st) = 409 ] && [ '$(code)' = no_budget ] && grep -q 'bosctl budget set meta' '$T/api.body'"
api PUT /budgets/meta '{"daily":10000,"currency":"USD"}' >/dev/null
check "a daily budget of 100.00 USD for meta" test "$(st)" = 200
bad400() { # DESCRIPTION BODY-FIELDS-OVERRIDE FIELD-NAMED
	api POST /outreach/ad "$2" >/dev/null
	check "$1: 400 naming '$3'" bash -c "[ $(st) = 400 ] && grep -q \"$3\" '$T/api.body'"
}
B='"credential":"meta-main","account":"act_1","post":"1_2","daily_budget":{"amount":100,"currency":"USD"},"countries":["US"]'
bad400 "no name" "{$B}" name
bad400 "a name of 129 characters" "{\"name\":\"$(printf 'n%.0s' $(seq 129))\",$B}" name
bad400 "a name with a control character" "{\"name\":\"a\\u0001b\",$B}" name
bad400 "an account without act_" "{\"name\":\"x\",\"credential\":\"meta-main\",\"account\":\"1234\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":100,\"currency\":\"USD\"},\"countries\":[\"US\"]}" account
bad400 "an account of 21 digits" "{\"name\":\"x\",\"credential\":\"meta-main\",\"account\":\"act_123456789012345678901\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":100,\"currency\":\"USD\"},\"countries\":[\"US\"]}" account
bad400 "a post without its page" "{\"name\":\"x\",\"credential\":\"meta-main\",\"account\":\"act_1\",\"post\":\"12\",\"daily_budget\":{\"amount\":100,\"currency\":\"USD\"},\"countries\":[\"US\"]}" post
bad400 "a daily budget of 0" "{\"name\":\"x\",\"credential\":\"meta-main\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":0,\"currency\":\"USD\"},\"countries\":[\"US\"]}" daily_budget
bad400 "an unknown currency" "{\"name\":\"x\",\"credential\":\"meta-main\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":10,\"currency\":\"QQQ\"},\"countries\":[\"US\"]}" daily_budget
bad400 "no countries" "{\"name\":\"x\",\"credential\":\"meta-main\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":10,\"currency\":\"USD\"},\"countries\":[]}" countries
bad400 "a country in lower case" "{\"name\":\"x\",\"credential\":\"meta-main\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":10,\"currency\":\"USD\"},\"countries\":[\"us\"]}" countries
bad400 "a country twice" "{\"name\":\"x\",\"credential\":\"meta-main\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":10,\"currency\":\"USD\"},\"countries\":[\"US\",\"US\"]}" countries
bad400 "objective OUTCOME_SALES (needs a pixel)" "{\"name\":\"x\",$B,\"objective\":\"OUTCOME_SALES\"}" pixel
bad400 "an unknown special ad category" "{\"name\":\"x\",$B,\"special_ad_categories\":[\"GAMBLING\"]}" special_ad_categories
bad400 "an unknown field" "{\"name\":\"x\",$B,\"bid\":1}" bid
api POST /outreach/ad "{\"name\":\"x\",\"credential\":\"sg-main\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":10,\"currency\":\"USD\"},\"countries\":[\"US\"]}" >/dev/null
check "a credential of service sendgrid: 400 saying so" bash -c "[ $(st) = 400 ] && grep -q 'sendgrid, not meta' '$T/api.body'"
api POST /outreach/ad "{\"name\":\"x\",\"credential\":\"nope\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":10,\"currency\":\"USD\"},\"countries\":[\"US\"]}" >/dev/null
check "an unknown credential: 404" test "$(st)" = 404
api POST /outreach/ad "{\"name\":\"x\",\"credential\":\"meta-old\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":10,\"currency\":\"USD\"},\"countries\":[\"US\"]}" >/dev/null
check "a revoked credential: 409 credential_revoked" is 409 credential_revoked
ad eur 1000 EUR
check "a daily budget in EUR under a USD budget: 400 currency_mismatch" is 400 currency_mismatch
ad big 20000
check "a daily budget of 200.00 USD: 409 over_budget with both amounts" bash -c \
	"[ $(st) = 409 ] && [ '$(code)' = over_budget ] && grep -q '200.00 USD is above what the budgets leave today: 100.00 USD (daily budget of meta)' '$T/api.body'"
api GET /outreach/ads >/dev/null
check "nothing refused was created" bash -c "[ $(st) = 200 ] && jq -e '.ads | length == 0' '$T/api.body'"

# ---- creation: an ad, its job ----------------------------------------------------------
ad "Spring sale" 3000 USD '"objective":"OUTCOME_AWARENESS","special_ad_categories":["HOUSING"]'
A=$(jq -r '.ad.id // empty' "$T/ad.json")
check "an ad of 30.00 USD a day: 201 creating, as answered" jq -e '.ad.state == "creating" and
	.ad.provider == "meta" and .ad.credential == "'"$META"'" and .ad.objective == "OUTCOME_AWARENESS"
	and .ad.countries == ["US","CA"] and .ad.special_ad_categories == ["HOUSING"] and
	.ad.daily_budget == {"amount":3000,"currency":"USD"} and .ad.meta.campaign == null and
	.ad.spent.amount == 0 and .ad.created_by == "alice"' "$T/ad.json"
ad other 8000
check "another of 80.00 USD: 409 over_budget, the first may spend 30.00 today (70.00 left)" bash -c \
	"[ $(st) = 409 ] && grep -q 'leave today: 70.00 USD' '$T/api.body'"
api GET "/jobs?kind=ad_create" >"$T/jobs.json"
check "its ad_create job is queued (service meta, the credential, params {ad})" jq -e --arg a "$A" \
	--arg c "$META" '[.jobs[] | select(.params.ad == $a)] | length == 1 and .[0].state == "queued"
	and .[0].service == "meta" and .[0].credential == $c' "$T/jobs.json"
api POST /jobs "{\"kind\":\"ad_pause\",\"service\":\"meta\"}" >/dev/null
check "an ad job is not queued by hand: 400" test "$(st)" = 400
api GET "/outreach/ads/$A" >/dev/null
check "GET /outreach/ads/{id}: 200" bash -c "[ $(st) = 200 ] && jq -e '.ad.id == \"$A\"' '$T/api.body'"
api GET "/outreach/ads/ad_aaaaaaaaaaaaaaaaaaaaaaaaaa" >/dev/null
check "GET of an unknown ad: 404" test "$(st)" = 404
api POST "/outreach/ads/$A/pause" >/dev/null
check "pause while creating: 409 ad_state" is 409 ad_state
api POST "/outreach/ads/$A/resume" >/dev/null
check "resume while creating: 409 ad_state" is 409 ad_state

# ---- the broker makes it ---------------------------------------------------------------
bclaim() { # KIND: claim one job of KIND; sets CST, JOB, CLAIM
	CST=$(breq "$TOK" POST /jobs/claim "{\"kinds\":[\"$1\"],\"wait\":0}")
	JOB=$(jq -r '.job.id // empty' "$T/b.json" 2>/dev/null)
	CLAIM=$(jq -r '.job.claim // empty' "$T/b.json" 2>/dev/null)
}
step() { breq "$TOK" POST "/outreach/ad-jobs/$JOB/step" "{\"claim\":\"$CLAIM\",\"object\":\"$1\",\"phase\":\"$2\"${3:+,\"meta_id\":\"$3\"}}"; }
bclaim ad_create
check "the broker claims the ad_create" bash -c "[ '$CST' = 200 ] && jq -e '.job.kind == \"ad_create\" and .job.params.ad == \"$A\"' '$T/b.json'"
J1=$JOB C1=$CLAIM
s=$(breq "$TOK" GET "/outreach/ad-jobs/$JOB?claim=$CLAIM")
check "GET /outreach/ad-jobs/{job}: the ad to make (no spend, no credential)" bash -c "[ $s = 200 ] &&
	jq -e '.ad.id == \"$A\" and .ad.account == \"act_1234\" and .ad.post == \"111_222\" and
	.ad.daily_budget.amount == 3000 and .ad.meta.campaign == null and (.ad | has(\"spent\") | not)
	and (.ad | has(\"credential\") | not)' '$T/b.json'"
s=$(breq "$TOK" GET "/outreach/ad-jobs/$JOB?claim=cl_aaaaaaaaaaaaaaaaaaaaaaaaaa")
check "with another claim: 409 stale_claim" bash -c "[ $s = 409 ] && [ \"\$(jq -r .error.code '$T/b.json')\" = stale_claim ]"
s=$(breq "$TOK" GET "/outreach/ad-jobs/$JOB")
check "without a claim: 400" test "$s" = 400
s=$(step adset begin)
check "begin the adset first: 409 step_order" bash -c "[ $s = 409 ] && [ \"\$(jq -r .error.code '$T/b.json')\" = step_order ]"
s=$(step campaign done 1001)
check "done before begin: 409 step_order" bash -c "[ $s = 409 ] && [ \"\$(jq -r .error.code '$T/b.json')\" = step_order ]"
s=$(step campaign begin)
check "begin the campaign: 200" test "$s" = 200
s=$(step campaign refused 1001)
check "refused with a meta_id: 400" test "$s" = 400
s=$(step campaign refused)
check "Meta refused the call (throttled): refused clears the pending step (200)" bash -c \
	"[ $s = 200 ] && jq -e '.ad.meta.campaign == null' '$T/b.json'"
s=$(step campaign refused)
check "refused again (nothing pending): 409 step_order" bash -c "[ $s = 409 ] && [ \"\$(jq -r .error.code '$T/b.json')\" = step_order ]"
s=$(step campaign begin)
check "the campaign begins again after a refusal: 200 (no outcome_unknown)" test "$s" = 200
api GET "/outreach/ads/$A" >/dev/null
s2=$(step campaign done 12ab)
check "done with an id that is not digits: 400" test "$s2" = 400
s=$(step campaign done 1001)
check "campaign done with its Meta id: 200, recorded" bash -c "[ $s = 200 ] && jq -e '.ad.meta.campaign == \"1001\"' '$T/b.json'"
ok_steps=1
for o in "adset 1002" "creative 1003" "ad 1004"; do
	set -- $o
	[ "$(step "$1" begin)" = 200 ] && [ "$(step "$1" done "$2")" = 200 ] || ok_steps=0
done
check "adset, creative, ad: begin and done each" test "$ok_steps" = 1
s=$(breq "$TOK" POST /leases "{\"credential\":\"meta-main\",\"purpose\":\"ad create\",\"job\":\"$JOB\"}")
check "the Meta token is leased for the claimed ad_create" bash -c "[ $s = 201 ] && jq -e '.secret == \"$META_SECRET\"' '$T/b.json'"
cpl() { breq "$TOK" POST "/jobs/$JOB/complete" "{\"claim\":\"$CLAIM\",\"result\":$1${2:+,$2}}"; }
s=$(cpl '{"campaign":"1001","adset":"1002","creative":"1003","ad":"9999"}')
check "complete with an id other than the recorded one: 400" test "$s" = 400
s=$(cpl '{"campaign":"1001","adset":"1002","creative":"1003","ad":"1004"}' '"spend":{"amount":5,"currency":"USD"}')
check "complete with a spend: 400 (the vault computes it)" test "$s" = 400
s=$(cpl '{"campaign":"1001","adset":"1002","creative":"1003","ad":"1004"}')
check "complete with the four ids: 200" test "$s" = 200
api GET "/outreach/ads/$A" >/dev/null
check "the ad is active with its four Meta ids" jq -e '.ad.state == "active" and .ad.meta ==
	{"campaign":"1001","adset":"1002","creative":"1003","ad":"1004"}' "$T/api.body"

# ---- an earlier attempt began a step and never reported --------------------------------
ad "Lost one" 1000
B2=$(jq -r '.ad.id // empty' "$T/ad.json")
bclaim ad_create
check "a second ad, its ad_create claimed" bash -c "[ '$CST' = 200 ] && [ -n '$B2' ]"
s=$(step campaign begin)
s2=$(breq "$TOK" POST "/jobs/$JOB/fail" "{\"claim\":\"$CLAIM\",\"error\":\"network down\",\"retry\":true}")
check "begin the campaign, then fail with retry (the broker died in the call)" bash -c "[ $s = 200 ] && [ $s2 = 200 ]"
again() { bclaim ad_create; [ "$CST" = 200 ]; }
wait_for() { local n=$1; shift; for _ in $(seq $((n * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
check "the job is claimed again after its backoff" wait_for 10 again
s=$(breq "$TOK" GET "/outreach/ad-jobs/$JOB?claim=$CLAIM")
check "the retried attempt's GET: 409 outcome_unknown" bash -c "[ $s = 409 ] && [ \"\$(jq -r .error.code '$T/b.json')\" = outcome_unknown ]"
api GET "/outreach/ads/$B2" >/dev/null
check "the ad is failed, its error naming the campaign to look for" jq -e '.ad.state == "failed" and
	(.ad.error | test("campaign is unknown"))' "$T/api.body"
api GET "/alerts" >/dev/null
check "alert ad_unknown raised" jq -e '[.alerts[] | select(.kind == "ad_unknown")] | length == 1' "$T/api.body"
s=$(breq "$TOK" POST "/jobs/$JOB/fail" "{\"claim\":\"$CLAIM\",\"error\":\"outcome unknown\",\"retry\":false}")
check "the broker fails it without retry: dead, the ad stays failed" bash -c "[ $s = 200 ] &&
	[ \"\$(jq -r .job.state '$T/b.json')\" = dead ] && [ \"\$(curl -s --cacert '$S/tls/cert.pem' -H 'Authorization: Bearer $SESSION' '$URL/outreach/ads/$B2' | jq -r .ad.state)\" = failed ]"

# ---- pause and resume ------------------------------------------------------------------
api POST "/outreach/ads/$A/pause" >/dev/null
check "pause: 202 pausing (admin)" bash -c "[ $(st) = 202 ] && jq -e '.ad.state == \"pausing\" and .ad.pause_reason == \"admin\"' '$T/api.body'"
api POST "/outreach/ads/$A/pause" >/dev/null
check "pause again: 409 ad_state" is 409 ad_state
bclaim ad_pause
check "the ad_pause job: params {ad} (no Meta id: the broker reads them from the ad-job)" bash -c "[ '$CST' = 200 ] && jq -e '.job.params == {\"ad\":\"$A\"}' '$T/b.json'"
s=$(cpl '{}')
api GET "/outreach/ads/$A" >/dev/null
check "completed: paused" bash -c "[ $s = 200 ] && jq -e '.ad.state == \"paused\"' '$T/api.body'"
api POST "/outreach/ads/$A/resume" >/dev/null
check "resume: 202 resuming" bash -c "[ $(st) = 202 ] && jq -e '.ad.state == \"resuming\"' '$T/api.body'"
bclaim ad_activate
s=$(cpl '{}')
api GET "/outreach/ads/$A" >/dev/null
check "the ad_activate completed: active, no pause reason" bash -c "[ '$CST' = 200 ] && [ $s = 200 ] &&
	jq -e '.ad.state == \"active\" and .ad.pause_reason == null' '$T/api.body'"

# A third ad, whose ad_create waits (it is claimed at the end, once the budget is paused).
ad "Waiting" 1000
D=$(jq -r '.ad.id // empty' "$T/ad.json")
check "a third ad of 10.00 USD (30.00 + 10.00 within 100.00)" bash -c "[ $(st) = 201 ] && [ -n '$D' ]"

# ---- insights --------------------------------------------------------------------------
TODAY=$(date -u +%Y-%m-%d)
insights() { bclaim ad_insights; [ "$CST" = 200 ] && [ "$(jq -r .job.params.ad "$T/b.json")" = "$A" ]; }
check "the sweep queues ad_insights for the active ad; claimed" wait_for 15 insights
check "its params: {ad, day: today}" jq -e --arg d "$TODAY" '.job.params == {ad: .job.params.ad, day: $d}' "$T/b.json"
s=$(breq "$TOK" GET "/outreach/ad-jobs/$JOB?claim=$CLAIM")
check "the ad of an insights job: 200" test "$s" = 200
s=$(cpl "{\"day\":\"2001-01-01\",\"spend\":\"1.00\",\"currency\":\"USD\"}")
check "insights of another day than the job's: 400" test "$s" = 400
s=$(cpl "{\"day\":\"$TODAY\",\"spend\":\"1e3\",\"currency\":\"USD\"}")
check "a spend that is not Meta's decimal: 400" test "$s" = 400
s=$(cpl "{\"day\":\"$TODAY\",\"spend\":\"40.005\",\"currency\":\"USD\"}")
check "insights 40.005 USD: 200" test "$s" = 200
s=$(cpl "{\"day\":\"$TODAY\",\"spend\":\"40.005\",\"currency\":\"USD\"}")
check "the same completion again: a duplicate" bash -c "[ $s = 200 ] && jq -e '.duplicate == true' '$T/b.json'"
api GET "/outreach/ads/$A" >/dev/null
check "the ad spent 40.00 USD (4000, the half cent dropped), today too" jq -e '.ad.spent.amount == 4000 and .ad.spent_today.amount == 4000' "$T/api.body"
api GET /outreach/cost >/dev/null
check "GET /outreach/cost: meta spent 4000 USD" jq -e '[.services[] | select(.service == "meta")] | .[0].spent == 4000 and .[0].currency == "USD"' "$T/api.body"
next_insights() { insights && [ "$JOB" != "$1" ]; }
P=$JOB
check "the next ad_insights (a new period of 10 s)" wait_for 15 next_insights "$P"
s=$(cpl "{\"day\":\"$TODAY\",\"spend\":\"30.00\",\"currency\":\"USD\"}")
api GET "/outreach/ads/$A" >/dev/null
check "a smaller figure (30.00) records nothing" bash -c "[ $s = 200 ] && jq -e '.ad.spent.amount == 4000' '$T/api.body'"
P=$JOB
check "another ad_insights" wait_for 15 next_insights "$P"
s=$(cpl "{\"day\":\"$TODAY\",\"spend\":\"99.00\",\"currency\":\"EUR\"}")
api GET "/outreach/ads/$A" >/dev/null
check "in EUR: nothing recorded" bash -c "[ $s = 200 ] && jq -e '.ad.spent.amount == 4000' '$T/api.body'"
api GET /alerts >/dev/null
check "alert ad_currency (critical)" jq -e '[.alerts[] | select(.kind == "ad_currency" and .severity == "critical")] | length == 1' "$T/api.body"

# ---- crossing 100 % ----------------------------------------------------------------------
P=$JOB
check "another ad_insights" wait_for 15 next_insights "$P"
s=$(cpl "{\"day\":\"$TODAY\",\"spend\":\"100.00\",\"currency\":\"USD\"}")
check "insights 100.00 USD: 200" test "$s" = 200
api GET /budgets >/dev/null
check "the budget of meta is paused (100 %)" jq -e '[.budgets[] | select(.service == "meta")][0].state == "paused"' "$T/api.body"
api GET "/outreach/ads/$A" >/dev/null
check "the ad is pausing, reason budget, in the same transaction" jq -e '.ad.state == "pausing" and
	.ad.pause_reason == "budget" and .ad.spent.amount == 10000' "$T/api.body"
bclaim ad_create
check "the waiting ad_create is not handed out under the paused budget" bash -c "[ '$CST' = 204 ]"
bclaim ad_pause
check "its ad_pause job is claimed under the paused budget" bash -c "[ '$CST' = 200 ] && jq -e '.job.params.ad == \"$A\"' '$T/b.json'"
s=$(breq "$TOK" POST /leases "{\"credential\":\"meta-main\",\"purpose\":\"ad pause\",\"job\":\"$JOB\"}")
check "and the Meta token is leased for it" test "$s" = 201
s=$(cpl '{}')
api GET "/outreach/ads/$A" >/dev/null
check "completed: paused (budget)" bash -c "[ $s = 200 ] && jq -e '.ad.state == \"paused\" and .ad.pause_reason == \"budget\"' '$T/api.body'"
api POST "/outreach/ads/$A/resume" >/dev/null
check "resume under the paused budget: 409 budget_paused" is 409 budget_paused
api GET /outreach/ads >/dev/null
check "GET /outreach/ads: three ads, newest first" jq -e --arg a "$A" --arg d "$D" '.ads | length == 3 and
	.[0].id == $d and .[2].id == $a' "$T/api.body"

# ---- the audit trail ---------------------------------------------------------------------
audit_fetch "$T/trail.json" >/dev/null
check "the trail records the creation with the ad's id" jq -e --arg a "$A" '[.[] | select(.action ==
	"ad_create" and .resource == "/outreach/ads/" + $a and .decision == "allow")] | length == 1' "$T/trail.json"
check "the trail records the refusals (over_budget, no_budget)" jq -e '[.[] | select(.action ==
	"ad_create" and (.reason | test("over_budget|no_budget")))] | length >= 2' "$T/trail.json"
check "no secret in the audit trail" bash -c "! grep -q -F '$META_SECRET' '$T/trail.json'"
check "no secret in the vault's log" bash -c "! grep -q -F '$META_SECRET' '$T/vault.log'"
finish
