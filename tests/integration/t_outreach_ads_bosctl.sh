#!/bin/bash
# bosctl outreach ad and the MCP ad tools (docs/ADS.md "bosctl and MCP", docs/BOSCTL.md
# "Ads", docs/MCP.md) against the real bos-vaultd: usage errors (exit 2) before anything
# is sent; the money rules as the vault answers them through bosctl (no budget of meta:
# no_budget with the command to run; a daily budget above what the budget leaves:
# over_budget with both amounts, the other live ads counted; another currency:
# currency_mismatch); an ad created (amounts in the major unit, sent as minor units),
# listed and shown, --json checked with jq and the text with grep; pause and resume of
# an ad that is not active or paused: 409 ad_state; its ad_create job. A stand-in broker
# (curl on the unix socket, the routes of docs/ADS.md "Broker routes") makes the ad
# active; then pause (202, pausing, reason admin), its ad_pause job, resume refused while
# another live ad leaves too little (over_budget at resume), that ad's create failed
# without retry (failed, Meta's error shown), resume (resuming, then active). Then the five
# tools through the official MCP SDK client (tests/mcp/ads_test.mjs): listed with
# schemas that compile, called, the refusals surfacing as tool errors. No broker runs:
# the ads stay in state creating, and nothing reaches Meta. No credential secret in
# anything bosctl printed or the client received.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
has() { grep -qF -- "$1" <<<"$2"; }
# j FILTER JSON: jq -e FILTER on JSON, which must not be empty (jq -e passes on no input).
j() { [ -n "$2" ] && jq -e "$1" <<<"$2"; }
# b ARGS...: run bosctl; OUT (stdout), ERR (stderr) and RC.
b() { OUT=$("$BOSCTL" "$@" 2>"$T/b.err"); RC=$?; ERR=$(cat "$T/b.err"); ALL+=$OUT$'\n'$ERR$'\n'; }
# rc_is N DESC ARGS...: bosctl ARGS exits N.
rc_is() { local n=$1 d=$2; shift 2; b "$@"; check "$d (exit $n)" test "$RC" = "$n" || echo "# $OUT $ERR"; }
ALL=""
# The options of a valid create but the amount, the currency and the credential.
AD=(--name 'Spring sale' --account act_1234567890 --post 111_222 --countries 'US,CA')

# ---- usage errors and --help need no vault ----
export XDG_RUNTIME_DIR=$T/nobody HOME=$T/nobody
b outreach ad --help
check "bosctl outreach ad --help: the usage on stdout, exit 0, with the money rules" \
	bash -c '[ "$0" = 0 ] && grep -q "^usage: bosctl outreach ad create" <<<"$1" &&
	grep -q "bosctl budget set meta" <<<"$1" && grep -q "over_budget" <<<"$1"' "$RC" "$OUT"
b outreach ad
check "bosctl outreach ad alone: the usage on stderr, exit 2" \
	bash -c '[ "$0" = 2 ] && grep -q "^usage: bosctl outreach ad" <<<"$1"' "$RC" "$ERR"
b outreach --help
check "bosctl outreach --help names ad" bash -c '[ "$0" = 0 ] && grep -q "outreach ad" <<<"$1"' \
	"$RC" "$OUT"
rc_is 2 "outreach ad frob: unknown subcommand" outreach ad frob
rc_is 2 "ad create without --credential" outreach ad create "${AD[@]}" --daily 5 --currency USD
check "  the message names it" has "--credential is missing" "$ERR"
rc_is 2 "ad create without --daily" outreach ad create "${AD[@]}" --credential m --currency USD
rc_is 2 "ad create without --currency" outreach ad create "${AD[@]}" --credential m --daily 5
for d in 50.001 -5 1e3 ten 0 0.00; do
	rc_is 2 "ad create --daily $d --currency USD" outreach ad create "${AD[@]}" --credential m \
		--daily "$d" --currency USD
done
check "  0 is refused saying more than 0" has "more than 0" "$ERR"
rc_is 2 "ad create --daily 5.5 --currency JPY (no decimals in yen)" outreach ad create "${AD[@]}" \
	--credential m --daily 5.5 --currency JPY
check "  says at most 0 decimals" has "at most 0 decimals" "$ERR"
rc_is 2 "ad create --currency XYZ" outreach ad create "${AD[@]}" --credential m --daily 5 --currency XYZ
rc_is 2 "ad create --objective sales" outreach ad create "${AD[@]}" --credential m --daily 5 \
	--currency USD --objective sales
rc_is 2 "ad create --category GAMBLING" outreach ad create "${AD[@]}" --credential m --daily 5 \
	--currency USD --category GAMBLING
rc_is 2 "ad create --category HOUSING twice" outreach ad create "${AD[@]}" --credential m --daily 5 \
	--currency USD --category HOUSING --category housing
rc_is 2 "ad create --countries US,,CA" outreach ad create --name n --account act_1 --post 1_2 \
	--credential m --daily 5 --currency USD --countries US,,CA
rc_is 2 "ad list --name (a create option)" outreach ad list --name x
check "  the message names the option" has "list does not take --name" "$ERR"
rc_is 2 "ad show (no ID)" outreach ad show
rc_is 2 "ad pause A B" outreach ad pause ad_a ad_b
rc_is 2 "ad list --bogus" outreach ad list --bogus
rc_is 2 "jobs list --kind ad_delete" jobs list --kind ad_delete
rc_is 1 "no session: ad list says how to sign in" outreach ad list
check "  with the login hint" has "bosctl login" "$ERR"

# ---- a vault, an admin, a meta credential (and one of another service) ----
check "the vault starts (the outreach broker role from this uid: the stand-in)" \
	api_up "$T/state" "broker_uid_outreach = $(id -u)" || { tail -5 "$T/vault.log"; finish; }
check "bosctl admin alice, signed in" bosctl_admin alice || finish
META=$(canary METATOKEN)
SG=$(canary SGKEY)
printf '%s' "$META" | "$BOSCTL" cred add --name meta-main --type api_key --service meta >/dev/null 2>&1
printf '%s' "$SG" | "$BOSCTL" cred add --name sg-main --type api_key --service sendgrid >/dev/null 2>&1
b cred list --json
check "two credentials (meta, sendgrid)" test "$(grep -c '"id"' <<<"$OUT")" = 2
CRED=$(jq -r 'select(.name == "meta-main") | .id' <<<"$OUT")

# ---- the money rules, as bosctl prints the vault's refusals ----
b outreach ad create "${AD[@]}" --credential meta-main --daily 30 --currency USD
check "ad create without a budget of meta: exit 1, no_budget, says to run bosctl budget set meta" \
	bash -c '[ "$0" = 1 ] && grep -q "no_budget" <<<"$1" && grep -q "bosctl budget set meta" <<<"$1"' \
	"$RC" "$ERR" || echo "# $OUT $ERR"
b budget set meta --daily 50 --currency USD
check "bosctl budget set meta --daily 50 --currency USD" test "$RC" = 0 || echo "# $OUT $ERR"
b outreach ad create "${AD[@]}" --credential meta-main --daily 60 --currency USD
check "ad create --daily 60 (budget 50.00 USD): exit 1, over_budget with both amounts" \
	bash -c '[ "$0" = 1 ] && grep -q "over_budget" <<<"$1" && grep -q "60\.00 USD" <<<"$1" &&
	grep -q "50\.00 USD" <<<"$1"' "$RC" "$ERR" || echo "# $OUT $ERR"
b outreach ad create "${AD[@]}" --credential meta-main --daily 5 --currency EUR
check "ad create --currency EUR (meta's budget is USD): exit 1, currency_mismatch" \
	bash -c '[ "$0" = 1 ] && grep -q "currency_mismatch" <<<"$1"' "$RC" "$ERR" || echo "# $OUT $ERR"
b outreach ad create "${AD[@]}" --credential nosuch --daily 5 --currency USD
check "ad create with a credential that does not exist: exit 1 (404)" \
	bash -c '[ "$0" = 1 ] && grep -q "HTTP 404" <<<"$1"' "$RC" "$ERR" || echo "# $OUT $ERR"
b outreach ad create "${AD[@]}" --credential sg-main --daily 5 --currency USD
check "ad create with a sendgrid credential: exit 1 (400)" \
	bash -c '[ "$0" = 1 ] && grep -q "HTTP 400" <<<"$1"' "$RC" "$ERR" || echo "# $OUT $ERR"
b outreach ad create --name n --account 1234567890 --post 111_222 --countries US \
	--credential meta-main --daily 5 --currency USD
check "ad create --account without act_: exit 1, the vault names account (400)" \
	bash -c '[ "$0" = 1 ] && grep -q "account" <<<"$1" && grep -q "HTTP 400" <<<"$1"' "$RC" "$ERR" ||
	echo "# $OUT $ERR"
b outreach ad create --name n --account act_1 --post 111 --countries US --credential meta-main \
	--daily 5 --currency USD
check "ad create --post without PAGEID_: exit 1, the vault names post (400)" \
	bash -c '[ "$0" = 1 ] && grep -q "post" <<<"$1" && grep -q "HTTP 400" <<<"$1"' "$RC" "$ERR"
b outreach ad list --json
check "  none of these made an ad" test -z "$OUT"

# ---- an ad ----
b outreach ad create "${AD[@]}" --credential meta-main --daily 30 --currency USD \
	--objective engagement --category housing --json
check "ad create --daily 30 --json: an ad_... creating, 3000 USD minor units, meta, the credential's id" \
	j '(.id | test("^ad_[a-z2-7]{26}$")) and .state == "creating" and .provider == "meta" and
	.daily_budget == {"amount": 3000, "currency": "USD"} and .credential == "'"$CRED"'" and
	.objective == "OUTCOME_ENGAGEMENT" and .special_ad_categories == ["HOUSING"] and
	.countries == ["US", "CA"] and .account == "act_1234567890" and .post == "111_222" and
	.meta.campaign == null and .pause_reason == null' "$OUT" || echo "# $OUT $ERR"
ADID=$(jq -r '.id // empty' <<<"$OUT")
[ -n "$ADID" ] || ADID=ad_none
# The live ad may still spend 30.00 today: 20.00 is left of meta's 50.00.
b outreach ad create "${AD[@]}" --credential meta-main --daily 25 --currency USD
check "a second ad --daily 25 while the first may spend 30 of 50: over_budget, 20.00 USD left" \
	bash -c '[ "$0" = 1 ] && grep -q "over_budget" <<<"$1" && grep -q "25\.00 USD" <<<"$1" &&
	grep -q "20\.00 USD" <<<"$1"' "$RC" "$ERR" || echo "# $OUT $ERR"
b outreach ad list --json
check "ad list --json: one ad per line, the ad" \
	bash -c 'jq -e -s --arg id "$1" "length == 1 and .[0].id == \$id and .[0].state == \"creating\"" <<<"$0"' \
	"$OUT" "$ADID" || echo "# $OUT $ERR"
b outreach ad list
check "ad list: a row with the id, the state, the daily budget in USD, the name" \
	bash -c '[ "$0" = 0 ] && grep -Eq "^$2 +creating +daily +30\.00 USD +today .* spent .*Spring sale$" <<<"$1"' \
	"$RC" "$OUT" "$ADID" || echo "# $OUT $ERR"
b outreach ad show "$ADID"
check "ad show: key: value lines, the state, the budget, Meta's ids not yet made" \
	bash -c '[ "$0" = 0 ] && grep -q "^id: $2$" <<<"$1" && grep -q "^state: creating$" <<<"$1" &&
	grep -q "^daily_budget: 30.00 USD$" <<<"$1" && grep -q "^meta_campaign: -$" <<<"$1" &&
	grep -q "^pause_reason: -$" <<<"$1" && grep -q "^countries: US, CA$" <<<"$1"' \
	"$RC" "$OUT" "$ADID" || echo "# $OUT $ERR"
b outreach ad show "$ADID" --json
check "ad show --json: the ad, spent in minor units" \
	j '.id == "'"$ADID"'" and (.spent.amount | type) == "number" and .meta.ad == null' "$OUT" ||
	echo "# $OUT $ERR"
b outreach ad show ad_nosuchadnosuchadnosuchadno
check "ad show of an unknown id: exit 1 (404)" \
	bash -c '[ "$0" = 1 ] && grep -q "HTTP 404" <<<"$1"' "$RC" "$ERR"

# ---- pause and resume of an ad that is creating: 409 ad_state ----
b outreach ad pause "$ADID"
check "ad pause of an ad that is creating: exit 1, ad_state (409)" \
	bash -c '[ "$0" = 1 ] && grep -q "ad_state, HTTP 409" <<<"$1"' "$RC" "$ERR" || echo "# $OUT $ERR"
b outreach ad resume "$ADID"
check "ad resume of an ad that is not paused: exit 1, ad_state (409)" \
	bash -c '[ "$0" = 1 ] && grep -q "ad_state, HTTP 409" <<<"$1"' "$RC" "$ERR" || echo "# $OUT $ERR"
b outreach ad show "$ADID" --json
check "  the ad is still creating" j '.state == "creating"' "$OUT"

# ---- its job ----
b jobs list --kind ad_create --json
# The job's ad (the column ad of docs/ADS.md "Storage") when GET /jobs answers it.
check "jobs list --kind ad_create --json: one job, service meta, its credential, queued (no broker)" \
	bash -c 'jq -e -s --arg ad "$1" --arg cr "$2" "length == 1 and (.[0].ad // \$ad) == \$ad and
	.[0].service == \"meta\" and .[0].credential == \$cr and .[0].state == \"queued\"" <<<"$0"' \
	"$OUT" "$ADID" "$CRED" || echo "# $OUT $ERR"

# ---- a stand-in broker: the ad made, paused, resumed (docs/ADS.md "Broker routes") ----
BTOK=$("$BOSCTL" broker add --role outreach --name ads-stand-in 2>/dev/null)
check "a broker of role outreach (the stand-in)" test -n "$BTOK"
# ad_job KIND: claim one job of KIND (wait up to 5 s); sets JOB and CLAIM.
ad_job() {
	local st
	st=$(breq "$BTOK" POST /jobs/claim "{\"kinds\":[\"$1\"],\"wait\":5}")
	JOB=$(jq -r '.job.id // empty' "$T/b.json" 2>/dev/null)
	CLAIM=$(jq -r '.job.claim // empty' "$T/b.json" 2>/dev/null)
	[ "$st" = 200 ] && [ -n "$JOB" ] && [ -n "$CLAIM" ] && [ "$(jq -r .job.kind "$T/b.json")" = "$1" ]
}
# job_done [RESULT]: complete JOB with the result RESULT (default {}); 0 on 200.
# shellcheck disable=SC2120 # check passes the result
job_done() {
	local res='{}'
	[ $# -gt 0 ] && res=$1
	[ "$(breq "$BTOK" POST "/jobs/$JOB/complete" "{\"claim\":\"$CLAIM\",\"result\":$res}")" = 200 ]
}
# claim_done KIND: claim a job of KIND and complete it with {}.
claim_done() { ad_job "$1" && job_done; }
# ad_steps: begin and done for each object, Meta's ids 12000000000000N; 0 when all were 200.
ad_steps() {
	local o n=0 st bad=0
	for o in campaign adset creative ad; do
		n=$((n + 1))
		st=$(breq "$BTOK" POST "/outreach/ad-jobs/$JOB/step" \
			"{\"claim\":\"$CLAIM\",\"object\":\"$o\",\"phase\":\"begin\"}")
		[ "$st" = 200 ] || { bad=1; echo "# step $o begin: $st $(cat "$T/b.json")"; }
		st=$(breq "$BTOK" POST "/outreach/ad-jobs/$JOB/step" \
			"{\"claim\":\"$CLAIM\",\"object\":\"$o\",\"phase\":\"done\",\"meta_id\":\"12000000000000$n\"}")
		[ "$st" = 200 ] || { bad=1; echo "# step $o done: $st $(cat "$T/b.json")"; }
	done
	return "$bad"
}
check "the stand-in claims the ad_create job" ad_job ad_create
st=$(breq "$BTOK" GET "/outreach/ad-jobs/$JOB?claim=$CLAIM")
check "  GET /outreach/ad-jobs/{job}: the ad to make" \
	bash -c '[ "$0" = 200 ] && jq -e --arg id "$1" ".ad.id == \$id" "$2"' "$st" "$ADID" "$T/b.json"
check "  each object begun and done (campaign, adset, creative, ad)" ad_steps
check "  completed with the four ids" job_done '{"campaign":"120000000000001","adset":"120000000000002","creative":"120000000000003","ad":"120000000000004"}'
b outreach ad show "$ADID"
check "ad show: active, Meta's four ids" \
	bash -c '[ "$0" = 0 ] && grep -q "^state: active$" <<<"$1" &&
	grep -q "^meta_campaign: 120000000000001$" <<<"$1" && grep -q "^meta_ad: 120000000000004$" <<<"$1"' \
	"$RC" "$OUT" || echo "# $OUT $ERR"
b outreach ad resume "$ADID"
check "ad resume of an active ad: exit 1, ad_state (409)" \
	bash -c '[ "$0" = 1 ] && grep -q "ad_state, HTTP 409" <<<"$1"' "$RC" "$ERR"
b outreach ad pause "$ADID"
check "ad pause of the active ad: exit 0, pausing, a broker pauses it at Meta" \
	bash -c '[ "$0" = 0 ] && grep -q "^ad $2 is pausing: a broker pauses its campaign at Meta" <<<"$1"' \
	"$RC" "$OUT" "$ADID" || echo "# $OUT $ERR"
b outreach ad show "$ADID" --json
check "  ad show --json: pausing, reason admin" j '.state == "pausing" and .pause_reason == "admin"' "$OUT" ||
	echo "# $OUT $ERR"
b outreach ad pause "$ADID"
check "ad pause of a pausing ad: exit 1, ad_state (409)" \
	bash -c '[ "$0" = 1 ] && grep -q "ad_state, HTTP 409" <<<"$1"' "$RC" "$ERR"
check "the stand-in claims the ad_pause job and completes it" claim_done ad_pause
b outreach ad show "$ADID"
check "ad show: paused, reason admin" \
	bash -c '[ "$0" = 0 ] && grep -q "^state: paused$" <<<"$1" && grep -q "^pause_reason: admin$" <<<"$1"' \
	"$RC" "$OUT" || echo "# $OUT $ERR"
# A paused ad spends nothing: all of meta's 50.00 is left for another ad of 40.00.
b outreach ad create --name 'Second' --account act_1234567890 --post 111_333 --countries US \
	--credential meta-main --daily 40 --currency USD --json
check "while it is paused, a second ad of 40.00 USD: creating" j '.state == "creating"' "$OUT" ||
	echo "# $OUT $ERR"
AD2=$(jq -r '.id // empty' <<<"$OUT")
b outreach ad resume "$ADID"
check "ad resume (30.00) while the second may spend 40.00 of 50.00: exit 1, over_budget, 10.00 USD left" \
	bash -c '[ "$0" = 1 ] && grep -q "over_budget" <<<"$1" && grep -q "30\.00 USD" <<<"$1" &&
	grep -q "10\.00 USD" <<<"$1"' "$RC" "$ERR" || echo "# $OUT $ERR"
b outreach ad show "$ADID" --json
check "  still paused" j '.state == "paused"' "$OUT"
check "the stand-in claims the second ad's ad_create job" ad_job ad_create
check "  and fails it without retry (Meta refused it)" \
	test "$(breq "$BTOK" POST "/jobs/$JOB/fail" "{\"claim\":\"$CLAIM\",\"error\":\"meta: Invalid parameter (code 100)\",\"retry\":false}")" = 200
b outreach ad show "$AD2"
check "ad show of the second: failed, with Meta's error" \
	bash -c '[ "$0" = 0 ] && grep -q "^state: failed$" <<<"$1" && grep -q "^error: .*code 100" <<<"$1"' \
	"$RC" "$OUT" || echo "# $OUT $ERR"
b outreach ad resume "$AD2"
check "ad resume of a failed ad: exit 1, ad_state (409)" \
	bash -c '[ "$0" = 1 ] && grep -q "ad_state, HTTP 409" <<<"$1"' "$RC" "$ERR"
b outreach ad resume "$ADID"
check "ad resume of the paused ad (the failed one spends nothing): exit 0, resuming" \
	bash -c '[ "$0" = 0 ] && grep -q "^ad $2 is resuming" <<<"$1"' "$RC" "$OUT" "$ADID" || echo "# $OUT $ERR"
check "the stand-in claims the ad_activate job and completes it" claim_done ad_activate
b outreach ad show "$ADID" --json
check "ad show --json: active again, no pause reason" j '.state == "active" and .pause_reason == null' "$OUT" ||
	echo "# $OUT $ERR"
b outreach ad list
check "ad list: the failed ad, then the active one (newest first)" \
	bash -c '[ "$0" = 0 ] && [ "$(grep -c "^ad_" <<<"$1")" = 2 ] && grep -q "^$2 *failed " <<<"$1" &&
	sed -n 2p <<<"$1" | grep -q "^$3 *active "' "$RC" "$OUT" "$AD2" "$ADID" || echo "# $OUT"

# ---- the MCP tools through the official SDK client ----
NODE_MODULES=$ROOT/tests/node_modules
if ! command -v node >/dev/null || [ ! -d "$NODE_MODULES/@modelcontextprotocol/sdk" ]; then
	notok "node and tests/node_modules are installed (make deps)"
	finish
fi
REC=$T/rec
mkdir -p "$REC"
jq -n --arg bosctl "$BOSCTL" --arg url "$URL" --arg cacert "$BOS_CACERT" --arg xdg "$XDG_RUNTIME_DIR" \
	--arg ad "$ADID" --arg ad2 "${AD2:-ad_none}" --arg cred "$CRED" '{bosctl: $bosctl, url: $url,
	cacert: $cacert, xdg: $xdg, ad: $ad, failed: $ad2, meta_campaign: "120000000000001",
	credential: {id: $cred, name: "meta-main"}, other_credential: "sg-main",
	budget: {service: "meta", daily: 5000, currency: "USD"}, daily: 3000}' >"$T/plant.json"
(cd "$ROOT/tests/mcp" && node ads_test.mjs "$T/plant.json" "$REC")
rc=$?
check "the SDK client's run ends with status 0" test "$rc" -eq 0

# ---- nothing secret in anything printed or received ----
shopt -s nullglob
recs=("$REC"/*.raw "$REC"/*.stderr "$REC"/*.jsonl)
cat "${recs[@]}" >"$T/all" 2>/dev/null
check "the client's record holds the ad (the search finds what is there)" grep -qF "$ADID" "$T/all"
check "no credential secret in anything bosctl printed or the client received" \
	bash -c '! grep -qF -e "$1" -e "$2" <<<"$0" && ! grep -aqF -e "$1" -e "$2" "$3"' \
	"$ALL" "$META" "$SG" "$T/all"
finish
