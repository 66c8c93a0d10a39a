#!/bin/bash
# The meta stub (tests/stubs/providers_stub.py, docs/ADS.md "Test stub") is strict, or the ad
# broker's tests prove nothing. With curl: the whole ad (verify, campaign, ad set, creative,
# ad, activation, pause, insights) as docs/ADS.md's table sends it; each rule refused at least
# once (access_token in the query or the body, Bearer only, unknown token, path, method, body
# on GET, content type, an unencoded query, required and unknown and repeated fields, every
# value check, parents that do not exist or are of another account or another ad), in Meta's
# error shape (code 100 naming the field, 190, 17 with X-Business-Use-Case-Usage); the keys
# file's behaviours (401, 403, 429, throttle, 400, 500, 503, slow, big, STEP:BEHAVIOUR); the
# control endpoints; one log line per request, never the token.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }
check "the meta stub has its own port" test -n "${STUB_PORT_meta:-}" || finish
TOK=$(canary EAAB)
stub_key meta "$TOK" ok
for b in 401 403 500 503 big; do stub_key meta "$TOK.$b" "$b"; done
stub_key meta "$TOK.429" 429 3; stub_key meta "$TOK.thr" throttle 2; stub_key meta "$TOK.slow" slow 1
stub_key meta "$TOK.400" 400; stub_key meta "$TOK.step" adset:503
ACT=act_1234567
TAG=ad_abcdefghijklmnopqrstuvwx23
DAY=$(date -u +%F)
YDAY=$(date -u -d yesterday +%F)

# mreq METHOD PATH [curl args...]: prints the status; the body in $T/body, headers in $T/hdr.
mreq() {
	local m=$1 path=$2; shift 2
	curl -sS -g --cacert "$STUB_CA" -X "$m" -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" \
		"https://127.0.0.1:$STUB_PORT_meta$path" 2>/dev/null || echo 000
}
A=(-H "Authorization: Bearer $TOK")
last() { tail -1 "$STUB_LOG"; }
jb() { jq -e "$1" "$T/body" >/dev/null 2>&1; }
ID='^[1-9][0-9]{14,17}$'
# The forms of docs/ADS.md's table, KEY=VALUE each (the ids filled in as they are made).
CAMP_B=("name=Spring sale [$TAG]" objective=OUTCOME_TRAFFIC status=PAUSED 'special_ad_categories=[]')
CRE_B=("name=Spring sale [$TAG] creative" object_story_id=111_222)
# form BASE [KEY=VALUE...]: curl arguments of the form BASE (an array's name) with those keys
# replaced (VALUE - drops the key) or added.
form() {
	local -n base=$1; shift
	local kv k o out=() seen=" "
	for kv in "${base[@]}"; do
		k=${kv%%=*}
		for o in "$@"; do [ "${o%%=*}" = "$k" ] && kv=$o && seen="$seen$k "; done
		[ "$kv" = "$k=-" ] || out+=(--data-urlencode "$kv")
	done
	for o in "$@"; do [[ "$seen" == *" ${o%%=*} "* ]] || out+=(--data-urlencode "$o"); done
	printf '%s\0' "${out[@]}"
}
# create EDGE BASE [KEY=VALUE...] [-- curl args]: POST /act_N/EDGE; prints the status. The
# token is $CT (default $TOK), the account $CA (default $ACT).
create() {
	local edge=$1 base=$2; shift 2
	local kvs=() extra=() f=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do kvs+=("$1"); shift; done
	[ "${1:-}" = -- ] && { shift; extra=("$@"); }
	mapfile -d '' f < <(form "$base" "${kvs[@]}")
	mreq POST "/v25.0/${CA:-$ACT}/$edge" -H "Authorization: Bearer ${CT:-$TOK}" "${f[@]}" "${extra[@]}"
}

# ---- the whole ad, as the broker makes it.
s=$(mreq GET '/v25.0/me?fields=id' "${A[@]}")
check "verify: GET /v25.0/me?fields=id with Bearer: 200 {id} (digits)" \
	bash -c "[ $s = 200 ] && jq -e '.id | test(\"^[0-9]+\$\")' '$T/body'"
s=$(create campaigns CAMP_B)
CAMP=$(jq -r .id "$T/body" 2>/dev/null)
check "campaign: POST /act_N/campaigns: 200 {id}, 15 to 18 digits" bash -c "[ $s = 200 ] && [[ '$CAMP' =~ $ID ]]" || finish
check "an ads-management answer has X-Business-Use-Case-Usage (time to regain access 0)" \
	bash -c "sed -n 's/^X-Business-Use-Case-Usage: //Ip' '$T/hdr' | jq -e '[.[][] | .estimated_time_to_regain_access] | max == 0'"
ADSET_B=("name=Spring sale [$TAG] ad set" "campaign_id=$CAMP" daily_budget=2000 billing_event=IMPRESSIONS
	optimization_goal=LINK_CLICKS bid_strategy=LOWEST_COST_WITHOUT_CAP
	'targeting={"geo_locations":{"countries":["US","CA"]}}' status=PAUSED)
s=$(create adsets ADSET_B)
ADSET=$(jq -r .id "$T/body" 2>/dev/null)
check "adset: POST /act_N/adsets with every field of the table: 200 {id}" bash -c "[ $s = 200 ] && [[ '$ADSET' =~ $ID ]]"
s=$(create adcreatives CRE_B)
CRE=$(jq -r .id "$T/body" 2>/dev/null)
check "creative: POST /act_N/adcreatives name, object_story_id: 200 {id}" bash -c "[ $s = 200 ] && [[ '$CRE' =~ $ID ]]"
AD_B=("name=Spring sale [$TAG] ad" "adset_id=$ADSET" "creative={\"creative_id\":\"$CRE\"}" status=PAUSED)
s=$(create ads AD_B)
AD=$(jq -r .id "$T/body" 2>/dev/null)
check "ad: POST /act_N/ads name, adset_id, creative={creative_id}, status: 200 {id}" bash -c "[ $s = 200 ] && [[ '$AD' =~ $ID ]]"
check "the four ids differ" test "$(printf '%s\n' "$CAMP" "$ADSET" "$CRE" "$AD" | sort -u | wc -l)" -eq 4
n=0
for o in "$AD" "$ADSET" "$CAMP"; do
	[ "$(mreq POST "/v25.0/$o" "${A[@]}" -d status=ACTIVE)" = 200 ] && jb '.success == true' && n=$((n + 1))
done
check "activate: POST /{ad}, /{adset}, /{campaign} status=ACTIVE: 200 {success: true} each" test "$n" -eq 3
check "pause: POST /{campaign} status=PAUSED: 200 {success: true}" \
	test "$(mreq POST "/v25.0/$CAMP" "${A[@]}" -d status=PAUSED)" = 200
mreq POST "/v25.0/$CAMP" "${A[@]}" -d status=PAUSED >/dev/null # a retry: idempotent, recorded
enc() { jq -rn --arg s "$1" '$s | @uri'; }
# iq ID SINCE [UNTIL [FIELDS]]: an insights path, time_range URL-encoded.
iq() {
	echo "/v25.0/$1/insights?fields=${4:-spend,account_currency}&time_range=$(enc "{\"since\":\"$2\",\"until\":\"${3:-$2}\"}")"
}
s=$(mreq GET "$(iq "$CAMP" "$DAY")" "${A[@]}")
check "insights before any spend is set: 200 {data: []}" bash -c "[ $s = 200 ] && jq -e '.data == []' '$T/body'"

# ---- the control endpoints (no auth).
ctl() { # METHOD PATH [BODY]: the control's status; its body in $T/cbody
	curl -sS --cacert "$STUB_CA" -X "$1" -o "$T/cbody" -w '%{http_code}' ${3:+-d "$3"} \
		"https://127.0.0.1:$STUB_PORT_meta$2" 2>/dev/null || echo 000
}
check "control: PUT /__stub/meta/spend/{campaign} {spend, currency}: 200" \
	test "$(ctl PUT "/__stub/meta/spend/$CAMP" '{"spend": "12.34", "currency": "USD"}')" = 200
s=$(mreq GET "$(iq "$CAMP" "$DAY")" "${A[@]}")
check "insights then: {data: [{spend: \"12.34\", account_currency: USD, date_start = date_stop = the day}]}" \
	bash -c "[ $s = 200 ] && jq -e '.data == [{spend: \"12.34\", account_currency: \"USD\", date_start: \"$DAY\", date_stop: \"$DAY\"}]' '$T/body'"
check "control: a day's own spend ({spend, currency, day})" \
	test "$(ctl PUT "/__stub/meta/spend/$CAMP" "{\"spend\": \"3.5\", \"currency\": \"USD\", \"day\": \"$YDAY\"}")" = 200
s=$(mreq GET "$(iq "$CAMP" "$YDAY")" "${A[@]}")
check "insights for that day: its own spend (3.5)" \
	bash -c "[ $s = 200 ] && jq -e '.data[0].spend == \"3.5\" and .data[0].date_start == \"$YDAY\"' '$T/body'"
s=$(mreq GET "$(iq "$CAMP" "$DAY")" "${A[@]}")
check "insights for today: still 12.34" bash -c "[ $s = 200 ] && jq -e '.data[0].spend == \"12.34\"' '$T/body'"
check "control refuses: an unknown campaign (404)" \
	test "$(ctl PUT /__stub/meta/spend/123456789012345 '{"spend": "1", "currency": "USD"}')" = 404
check "control refuses: an ad set's id as the campaign (404)" \
	test "$(ctl PUT "/__stub/meta/spend/$ADSET" '{"spend": "1", "currency": "USD"}')" = 404
check "control refuses: an unknown key in its body (400)" \
	test "$(ctl PUT "/__stub/meta/spend/$CAMP" '{"spend": "1", "currency": "USD", "x": 1}')" = 400
check "control refuses: spend not a string (400)" \
	test "$(ctl PUT "/__stub/meta/spend/$CAMP" '{"spend": 1, "currency": "USD"}')" = 400
check "control refuses: a day that is not YYYY-MM-DD (400)" \
	test "$(ctl PUT "/__stub/meta/spend/$CAMP" '{"spend": "1", "currency": "USD", "day": "today"}')" = 400
check "control refuses: another method (405)" test "$(ctl POST "/__stub/meta/spend/$CAMP" '{}')" = 405
check "control refuses: another path (404)" test "$(ctl GET /__stub/meta/other)" = 404
check "control: GET /__stub/meta/objects: 200" test "$(ctl GET /__stub/meta/objects)" = 200
cp "$T/cbody" "$T/objects"
ob() { jq -e "$1" "$T/objects" >/dev/null 2>&1; }
check "objects: the four, in creation order, each of $ACT and the token's key id" \
	ob "[.objects[] | .type] == [\"campaign\", \"adset\", \"creative\", \"ad\"] and all(.objects[]; .account == \"$ACT\" and .key == \"$(stub_kid "$TOK")\")"
check "objects: the campaign's status history PAUSED, ACTIVE, PAUSED, PAUSED" \
	ob "(.objects[] | select(.id == \"$CAMP\") | [.history[].status] == [\"PAUSED\", \"ACTIVE\", \"PAUSED\", \"PAUSED\"] and .status == \"PAUSED\")"
check "objects: the ad and the ad set ACTIVE (history PAUSED, ACTIVE); the creative without a status" \
	ob "([.objects[] | select(.type == \"ad\" or .type == \"adset\") | [.history[].status]] | unique) == [[\"PAUSED\", \"ACTIVE\"]] and (.objects[] | select(.type == \"creative\") | .status == null and .history == [])"
check "objects: the fields as sent, JSON ones parsed (targeting, creative, categories)" \
	ob "(.objects[] | select(.type == \"adset\") | .fields.targeting.geo_locations.countries == [\"US\", \"CA\"] and .fields.daily_budget == \"2000\" and .fields.campaign_id == \"$CAMP\") and (.objects[] | select(.type == \"ad\") | .fields.creative.creative_id == \"$CRE\") and (.objects[] | select(.type == \"campaign\") | .fields.special_ad_categories == [])"
check "objects: the spend set, per campaign and day" \
	ob "[.spend[] | [.day, .spend]] == [[null, \"12.34\"], [\"$YDAY\", \"3.5\"]]"

# ---- each rule refused: refused NAME STATUS CODE PROBLEM METHOD PATH [curl args]
# (the status, Meta's {error: {message, type, code, fbtrace_id}}, the reason in the log).
refused() {
	local name=$1 want=$2 code=$3 prob=$4; shift 4
	local got; got=$(mreq "$@")
	if [ "$got" = "$want" ] &&
		jb ".error.code == $code and .error.type == \"OAuthException\" and (.error.message | type == \"string\") and (.error.fbtrace_id | type == \"string\")" &&
		last | jq -e --arg p "$prob" '.problems | index($p) != null' >/dev/null; then
		ok "refused: $name ($got, code $code, $prob)"
	else
		notok "refused: $name (got $got, $(head -c 300 "$T/body"), log: $(last))"
	fi
}
# refused_create NAME PROBLEM EDGE BASE [KEY=VALUE...] [-- curl args]: 400, code 100.
refused_create() {
	local name=$1 prob=$2 got; shift 2
	got=$(create "$@")
	if [ "$got" = 400 ] && jb '.error.code == 100 and .error.type == "OAuthException"' &&
		last | jq -e --arg p "$prob" '.problems | index($p) != null' >/dev/null; then
		ok "refused: $name (400, code 100, $prob)"
	else
		notok "refused: $name (got $got, $(head -c 300 "$T/body"), log: $(last))"
	fi
}
refused "access_token in the query" 400 100 access_token_in_query GET "/v25.0/me?fields=id&access_token=$TOK" "${A[@]}"
check "its log line has the query withheld" bash -c "tail -1 '$STUB_LOG' | jq -e '.path == \"/v25.0/me?(withheld: access_token)\"'"
refused "access_token alone in the query (no Authorization)" 400 100 access_token_in_query GET "/v25.0/me?fields=id&access_token=$TOK"
refused "access_token in the query, its name percent-encoded" 400 100 access_token_in_query GET "/v25.0/me?fields=id&access%5Ftoken=$TOK" "${A[@]}"
refused "access_token in a query that does not parse" 400 100 access_token_in_query GET "/v25.0/me?fields=id&access_token=$TOK&&" "${A[@]}"
refused "a query that does not parse, access_token's name percent-encoded" 400 100 query_encoding GET "/v25.0/me?fields=id&access%5Ftoken=$TOK&&" "${A[@]}"
check "... its query withheld from the log too" bash -c "tail -1 '$STUB_LOG' | jq -e '.path | startswith(\"/v25.0/me?(withheld\")'"
refused "access_token in the query of an insights call" 400 100 access_token_in_query GET "$(iq "$CAMP" "$DAY")&access_token=$TOK" "${A[@]}"
refused_create "access_token in the body" access_token_in_body campaigns CAMP_B "access_token=$TOK"
refused "access_token in a JSON body" 400 100 access_token_in_body POST "/v25.0/$CAMP" "${A[@]}" -H 'Content-Type: application/json' -d "{\"status\":\"PAUSED\",\"access_token\":\"$TOK\"}"
refused "access_token in the body of a status change" 400 100 access_token_in_body POST "/v25.0/$CAMP" "${A[@]}" -d status=PAUSED -d "access_token=$TOK"
refused "no Authorization" 401 190 auth_form GET '/v25.0/me?fields=id'
refused "Authorization: OAuth TOKEN (Bearer only)" 401 190 auth_form GET '/v25.0/me?fields=id' -H "Authorization: OAuth $TOK"
refused "Basic" 401 190 auth_form GET '/v25.0/me?fields=id' -u "x:$TOK"
refused "an unknown token" 401 190 unknown_key GET '/v25.0/me?fields=id' -H "Authorization: Bearer $TOK.nope"
refused "another version (/v24.0)" 404 2500 path GET '/v24.0/me?fields=id' "${A[@]}"
refused "an account edge not in the table (/act_N/insights)" 404 2500 path GET "/v25.0/$ACT/insights" "${A[@]}"
refused "an account that is not act_ digits" 404 2500 path POST /v25.0/act_12x/campaigns "${A[@]}" -d status=PAUSED
refused "GET on /act_N/campaigns" 405 100 method GET "/v25.0/$ACT/campaigns" "${A[@]}"
refused "POST on /me" 405 100 method POST /v25.0/me "${A[@]}" -d fields=id
refused "DELETE of an object" 405 100 method DELETE "/v25.0/$CAMP" "${A[@]}"
refused "a body on GET" 400 100 body_on_get GET '/v25.0/me?fields=id' "${A[@]}" -d x=1
refused_create "a JSON body instead of a form" content_type campaigns CAMP_B -- -H 'Content-Type: application/json'
refused "a query that is not URL-encoded (raw braces, quotes)" 400 100 query_encoding GET \
	"/v25.0/$CAMP/insights?fields=spend,account_currency&time_range={\"since\":\"$DAY\",\"until\":\"$DAY\"}" "${A[@]}"
refused "verify with fields=name" 400 100 fields GET '/v25.0/me?fields=name' "${A[@]}"
refused "verify with another parameter" 400 100 fields GET '/v25.0/me?fields=id&x=1' "${A[@]}"
# The campaign's fields.
refused_create "campaign without name" name campaigns CAMP_B name=-
check "the message names the missing field: (#100) The parameter name is required" \
	jb '.error.message == "(#100) The parameter name is required"'
refused_create "campaign without special_ad_categories" special_ad_categories campaigns CAMP_B special_ad_categories=-
refused_create "campaign without status" status campaigns CAMP_B status=-
refused_create "campaign objective OUTCOME_SALES (needs a pixel)" objective campaigns CAMP_B objective=OUTCOME_SALES
check "the message names the field: objective" jb '.error.message | startswith("(#100) Param objective")'
refused_create "campaign objective LINK_CLICKS (legacy)" objective campaigns CAMP_B objective=LINK_CLICKS
refused_create "campaign created ACTIVE" status campaigns CAMP_B status=ACTIVE
refused_create "special_ad_categories not JSON" special_ad_categories campaigns CAMP_B special_ad_categories=HOUSING
refused_create "special_ad_categories [NONE]" special_ad_categories campaigns CAMP_B 'special_ad_categories=["NONE"]'
refused_create "special_ad_categories with one twice" special_ad_categories campaigns CAMP_B 'special_ad_categories=["CREDIT","CREDIT"]'
refused_create "a campaign name without its [ad_...] tag" name campaigns CAMP_B name=Spring
refused_create "an unknown field (bid_amount)" unknown_field:bid_amount campaigns CAMP_B bid_amount=5
refused_create "a field given twice" repeated:objective campaigns CAMP_B -- -d objective=OUTCOME_TRAFFIC
refused "a query on a creation" 400 100 unknown_field:fields POST "/v25.0/$ACT/campaigns?fields=id" "${A[@]}" \
	--data-urlencode "name=x [$TAG]" -d objective=OUTCOME_TRAFFIC -d status=PAUSED -d 'special_ad_categories=[]'
check "a campaign with categories [CREDIT, HOUSING] and OUTCOME_AWARENESS is made (200)" \
	test "$(create campaigns CAMP_B objective=OUTCOME_AWARENESS 'special_ad_categories=["CREDIT","HOUSING"]')" = 200
CAMP2=$(jq -r .id "$T/body")
# The ad set's fields.
refused_create "adset of a campaign the stub never made" campaign_id adsets ADSET_B campaign_id=123456789012345
refused_create "adset whose campaign_id is an ad set" campaign_id adsets ADSET_B "campaign_id=$ADSET"
s=$(CA=act_999 create adsets ADSET_B)
check "adset in act_999 of a campaign of $ACT: 400 naming campaign_id and both accounts" \
	bash -c "[ $s = 400 ] && jq -e '.error.code == 100 and (.error.message | test(\"campaign_id\") and test(\"$ACT\") and test(\"act_999\"))' '$T/body'"
refused_create "daily_budget 20.00 (not digits)" daily_budget adsets ADSET_B daily_budget=20.00
check "the message names the field: daily_budget" jb '.error.message | test("daily_budget")'
refused_create "daily_budget 0" daily_budget adsets ADSET_B daily_budget=0
refused_create "daily_budget missing" daily_budget adsets ADSET_B daily_budget=-
refused_create "optimization_goal REACH for OUTCOME_TRAFFIC" optimization_goal adsets ADSET_B optimization_goal=REACH
refused_create "optimization_goal LINK_CLICKS for OUTCOME_AWARENESS" optimization_goal adsets ADSET_B "campaign_id=$CAMP2"
check "optimization_goal REACH for OUTCOME_AWARENESS is made (200)" \
	test "$(create adsets ADSET_B "campaign_id=$CAMP2" optimization_goal=REACH)" = 200
refused_create "billing_event LINK_CLICKS" billing_event adsets ADSET_B billing_event=LINK_CLICKS
refused_create "bid_strategy COST_CAP" bid_strategy adsets ADSET_B bid_strategy=COST_CAP
refused_create "targeting with another key (age_min)" targeting adsets ADSET_B \
	'targeting={"geo_locations":{"countries":["US"]},"age_min":18}'
refused_create "targeting with a country usa" targeting adsets ADSET_B 'targeting={"geo_locations":{"countries":["usa"]}}'
refused_create "targeting without a country" targeting adsets ADSET_B 'targeting={"geo_locations":{"countries":[]}}'
refused_create "targeting not JSON" targeting adsets ADSET_B targeting=US
refused_create "targeting missing" targeting adsets ADSET_B targeting=-
refused_create "adset created ACTIVE" status adsets ADSET_B status=ACTIVE
refused_create "adset name without ' ad set'" name adsets ADSET_B "name=Spring sale [$TAG]"
refused_create "adset tagged with another ad than its campaign's" name adsets ADSET_B \
	"name=Spring sale [ad_zzzzzzzzzzzzzzzzzzzzzzzzzz] ad set"
# The creative's and the ad's.
refused_create "creative object_story_id 222 (not PAGE_POST)" object_story_id adcreatives CRE_B object_story_id=222
refused_create "creative without object_story_id" object_story_id adcreatives CRE_B object_story_id=-
refused_create "creative with an unknown field (body)" unknown_field:body adcreatives CRE_B body=hello
refused_create "ad whose adset_id is a campaign" adset_id ads AD_B "adset_id=$CAMP"
refused_create "ad with creative_id a number, not a string" creative ads AD_B "creative={\"creative_id\":$CRE}"
refused_create "ad with creative another shape" creative ads AD_B "creative={\"creative_id\":\"$CRE\",\"x\":1}"
refused_create "ad with a creative the stub never made" creative_id ads AD_B 'creative={"creative_id":"123456789012345"}'
refused_create "ad created ACTIVE" status ads AD_B status=ACTIVE
refused_create "ad name without ' ad'" name ads AD_B "name=Spring sale [$TAG] creative"
s=$(CA=act_999 create ads AD_B)
check "ad in act_999 of an ad set and a creative of $ACT: 400, code 100" bash -c "[ $s = 400 ] && jq -e '.error.code == 100' '$T/body'"
# Status changes.
refused "status of an object the stub never made" 400 100 unknown_object POST /v25.0/123456789012345 "${A[@]}" -d status=ACTIVE
check "... with error_subcode 33" jb '.error.error_subcode == 33'
refused "status of a creative" 400 100 unknown_object POST "/v25.0/$CRE" "${A[@]}" -d status=ACTIVE
refused "status=DELETED" 400 100 status POST "/v25.0/$CAMP" "${A[@]}" -d status=DELETED
refused "a status change with another field (daily_budget)" 400 100 unknown_field:daily_budget POST "/v25.0/$ADSET" "${A[@]}" -d status=ACTIVE -d daily_budget=1
refused "a status change without status" 400 100 status POST "/v25.0/$CAMP" "${A[@]}" -d name=x
refused "a status change with a query" 400 100 unknown_field:status POST "/v25.0/$CAMP?status=ACTIVE" "${A[@]}" -d status=ACTIVE
# Insights.
refused "insights since != until" 400 100 time_range GET "$(iq "$CAMP" "$YDAY" "$DAY")" "${A[@]}"
refused "insights of the day 2026-13-01" 400 100 time_range GET "$(iq "$CAMP" 2026-13-01)" "${A[@]}"
refused "insights time_range with another key" 400 100 time_range GET \
	"/v25.0/$CAMP/insights?fields=spend,account_currency&time_range=$(enc "{\"since\":\"$DAY\",\"until\":\"$DAY\",\"x\":1}")" "${A[@]}"
refused "insights fields=spend only" 400 100 fields GET "$(iq "$CAMP" "$DAY" "$DAY" spend)" "${A[@]}"
refused "insights fields with another one (impressions)" 400 100 fields GET "$(iq "$CAMP" "$DAY" "$DAY" spend,account_currency,impressions)" "${A[@]}"
refused "insights with date_preset too" 400 100 unknown_field:date_preset GET "$(iq "$CAMP" "$DAY")&date_preset=today" "${A[@]}"
refused "insights without time_range" 400 100 time_range GET "/v25.0/$CAMP/insights?fields=spend,account_currency" "${A[@]}"
refused "insights of an ad set (not a campaign)" 400 100 unknown_object GET "$(iq "$ADSET" "$DAY")" "${A[@]}"
check "the refused calls made nothing: six objects (the four, CAMP2 and its ad set)" \
	bash -c "[ \$(curl -sS --cacert '$STUB_CA' 'https://127.0.0.1:$STUB_PORT_meta/__stub/meta/objects' | jq '.objects | length') = 6 ]"

# ---- behaviours of the keys file.
s=$(mreq GET '/v25.0/me?fields=id' -H "Authorization: Bearer $TOK.401")
check "behaviour 401: 401, code 190 (bad or expired token), subcode 463" \
	bash -c "[ $s = 401 ] && jq -e '.error.code == 190 and .error.error_subcode == 463' '$T/body'"
s=$(CT=$TOK.401 create campaigns CAMP_B)
check "behaviour 401 on a creation: code 190" bash -c "[ $s = 401 ] && jq -e '.error.code == 190' '$T/body'"
s=$(CT=$TOK.403 create campaigns CAMP_B)
check "behaviour 403: 403, code 200 (permission)" bash -c "[ $s = 403 ] && jq -e '.error.code == 200' '$T/body'"
s=$(CT=$TOK.429 create campaigns CAMP_B)
check "behaviour 429: 429, code 17, subcode 2446079" \
	bash -c "[ $s = 429 ] && jq -e '.error.code == 17 and .error.error_subcode == 2446079' '$T/body'"
check "... X-Business-Use-Case-Usage: the largest estimated_time_to_regain_access is ARG (3), the first 0" \
	bash -c "sed -n 's/^X-Business-Use-Case-Usage: //Ip' '$T/hdr' | jq -e '[.[][] | .estimated_time_to_regain_access] | (max == 3 and .[0] == 0)'"
s=$(CT=$TOK.thr create campaigns CAMP_B)
check "behaviour throttle: 400 (as Meta answers), code 17, the header with 2 minutes" \
	bash -c "[ $s = 400 ] && jq -e '.error.code == 17' '$T/body' && sed -n 's/^X-Business-Use-Case-Usage: //Ip' '$T/hdr' | jq -e '[.[][] | .estimated_time_to_regain_access] | max == 2'"
s=$(CT=$TOK.429 create campaigns CAMP_B name=bad)
check "a throttled token's bad call is still refused for its field (400, code 100)" \
	bash -c "[ $s = 400 ] && jq -e '.error.code == 100' '$T/body'"
s=$(CT=$TOK.400 create campaigns CAMP_B)
check "behaviour 400: Meta refuses a valid call (400, code 100)" bash -c "[ $s = 400 ] && jq -e '.error.code == 100' '$T/body'"
check "behaviour 500: 500, code 1" \
	bash -c "[ $(mreq GET '/v25.0/me?fields=id' -H "Authorization: Bearer $TOK.500") = 500 ] && jq -e '.error.code == 1' '$T/body'"
s=$(mreq POST "/v25.0/$CAMP" -H "Authorization: Bearer $TOK.503" -d status=PAUSED)
check "behaviour 503: 503, code 2, is_transient" bash -c "[ $s = 503 ] && jq -e '.error.code == 2 and .error.is_transient == true' '$T/body'"
t0=$(date +%s%N)
s=$(mreq GET '/v25.0/me?fields=id' -H "Authorization: Bearer $TOK.slow")
t1=$(date +%s%N)
check "behaviour slow 1: 200 after a second" bash -c "[ $s = 200 ] && [ $(((t1 - t0) / 1000000)) -ge 1000 ]"
s=$(mreq GET "$(iq "$CAMP" "$DAY")" -H "Authorization: Bearer $TOK.big")
check "behaviour big: 200 with more than 300 KiB" bash -c "[ $s = 200 ] && [ \$(stat -c %s '$T/body') -gt 307200 ]"
s=$(CT=$TOK.step create campaigns CAMP_B)
C3=$(jq -r .id "$T/body" 2>/dev/null)
s2=$(CT=$TOK.step create adsets ADSET_B "campaign_id=$C3")
check "behaviour adset:503: the campaign is made (200), the ad set gets 503" test "$s $s2" = "200 503"
check "the objects hold what was made (7: the refused ad set made nothing)" \
	bash -c "[ \$(curl -sS --cacert '$STUB_CA' 'https://127.0.0.1:$STUB_PORT_meta/__stub/meta/objects' | jq '.objects | length') = 7 ]"

# ---- the log.
check "every log line is one meta request: its step (or control), status and problems" \
	bash -c "[ \$(jq -c 'select(.provider == \"meta\" and (has(\"step\") or .control == true) and (.status | type == \"number\") and (.problems | type == \"array\"))' '$STUB_LOG' | wc -l) -eq \$(wc -l <'$STUB_LOG') ]"
check "the log names the token by its hash, never the token itself" \
	bash -c "! grep -qF '$TOK' '$STUB_LOG' && grep -qF '\"key\": \"$(stub_kid "$TOK")\"' '$STUB_LOG'"
check "the log records each object made and each status change" test "$(stub_count '.object != null and .status == 200')" -ge 10
finish
