#!/bin/bash
# Outreach campaigns against the real vault (issue #16, docs/OUTREACH.md
# "Campaigns", "Rate and budget", "Sending", "Cost"), the outreach broker
# simulated with curl on the unix socket with a broker token: lists made with
# POST /outreach/lists; campaign creation and its 400s; claims at the
# campaign's rate (per_minute 600: a claim right after a claim finds
# nothing, 0.1 s later it does); the message rendered for the holder of the
# claim only (unsubscribe footer, List-Unsubscribe, Message-ID, Reply-To,
# click links, no secret); sending, sent, complete; already_sent after a
# claim expired past 'sent'; outcome_unknown (alert outreach_unknown) after
# one expired past 'sending'; an unsubscribe (POST /outreach/track) that
# suppresses an address at send time and at the next creation; pause stops
# claims, resume continues, cancel ends the queue; a daily budget of 3.00 USD
# at 1.00 USD a message: the 4th claim is refused until a resume approved with
# a TOTP code, then every message is sent and completed exactly once; GET
# /outreach/cost shows the campaign; an SMS campaign's STOP line; policy:
# an admin session on a broker route and a broker token on an admin route
# are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"

ME=$(id -u)
PW="alice's long password $(canary p)"
PUB=https://hooks.example.test
check "vault up (outreach settings, 1.00 USD a SendGrid message, claims held 8 s)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "job_visibility_seconds = 8" \
	"outreach_public_url = $PUB/" "outreach_postal_address = 1 Main St, Springfield" \
	"outreach_reply_domain = reply.example.test" "outreach_price.sendgrid = 1.00 USD" "body_max_bytes = 1048576" || finish
check "admin signed in" admin_setup alice "$PW" || finish
TOK=$(broker_add outreach ob-one)
TOK2=$(broker_add outreach ob-two)
check "two outreach brokers" bash -c "[[ '$TOK' == bos_b_* && '$TOK2' == bos_b_* ]]" || finish
SG_KEY=$(canary sg)
for c in "sg-main sendgrid $SG_KEY" "smtp-main smtp $(canary smtp)" "tw-main twilio $(canary tw)"; do
	set -- $c
	api POST /credentials "{\"name\":\"$1\",\"type\":\"api_key\",\"service\":\"$2\",\"secret\":\"$3\"}" >/dev/null
	check "credential $1 ($2)" test "$(st)" = 201 || finish
done

# contacts N PREFIX [CONSENT]: a JSON array of N contacts PREFIX1@example.com ...
contacts() {
	local i sep=
	printf '['
	for i in $(seq "$1"); do
		printf '%s{"email":"%s%d@example.com","phone":"+1555000%04d","name":"%s %d","consent":"%s","fields":{"firm":"Firm <%d> & Co"}}' \
			"$sep" "$2" "$i" "$i" "$2" "$i" "${3:-both}" "$i"
		sep=,
	done
	printf ']'
}
# make_list NAME JSON_CONTACTS: prints the new list's id.
make_list() {
	api POST /outreach/lists "{\"name\":\"$1\",\"format\":\"json\",\"contacts\":$2}" |
		jq -r '.list.id // empty'
}
# bclaim TOKEN [WAIT]: a claim of send jobs; sets CST, JOB, CLAIM.
bclaim() {
	CST=$(breq "$1" POST /jobs/claim "{\"kinds\":[\"send_email\",\"send_sms\"],\"wait\":${2:-0}}")
	JOB=$(jq -r '.job.id // empty' "$T/b.json" 2>/dev/null)
	CLAIM=$(jq -r '.job.claim // empty' "$T/b.json" 2>/dev/null)
}
sget() { breq "${3:-$TOK}" GET "/outreach/sends/$1?claim=$2"; }
ssending() { breq "${3:-$TOK}" POST "/outreach/sends/$1/sending" "{\"claim\":\"$2\"}"; }
ssent() { breq "${4:-$TOK}" POST "/outreach/sends/$1/sent" "{\"claim\":\"$2\",\"provider_id\":\"$3\"}"; }
sdone() { breq "$TOK" POST "/jobs/$1/complete" "{\"claim\":\"$2\",\"result\":${3:-{\"provider_id\":\"p\"\}}}"; }
# send_all JOB CLAIM: the whole send of a claimed job; prints the four statuses.
send_all() {
	local a b c d
	a=$(sget "$1" "$2"); b=$(ssending "$1" "$2"); c=$(ssent "$1" "$2" "pid-$1"); d=$(sdone "$1" "$2")
	echo "$a$b$c$d"
}
campaign() { api GET "/outreach/campaigns/$1" | jq -r ".campaign.$2"; }
email_body() {
	printf '{"list":"%s","from":"News <news@example.com>","subject":"Hello {{name}}","text":"Hi {{name}} of {{firm}}","html":"<html><body><p>Hi {{name}} of {{firm}}</p><a href=\\"https://example.com/offer?a=1&amp;b=2\\">offer</a></body></html>","provider":"%s","per_minute":%s%s}' \
		"$1" "$2" "${3:-6000}" "${4:+,$4}"
}

# ---- lists and creation -----------------------------------------------------------------
LA=$(make_list advisors "$(contacts 4 adv)")
check "list advisors (4 contacts) made with POST /outreach/lists" bash -c "[[ '$LA' == ol_* ]]" || finish
bad() {
	local d=$1 body=$2 code=${3:-}
	out=$(api POST "${4:-/outreach/email}" "$body")
	check "creation refused, $d: 400${code:+ $code}" bash -c "test '$(st)' = 400 &&
		{ test -z '$code' || jq -e '.error.code == \"$code\"' <<<'$out' >/dev/null; }"
}
bad "no list" '{"from":"a@example.com","subject":"s","text":"t","provider":"smtp"}'
bad "an unknown list" "$(email_body ol_zzzzzzzzzzzzzzzzzzzzzzzzzz smtp)"
bad "an SMS provider for email" "$(email_body "$LA" twilio)"
bad "a provider without a credential (mailgun)" "$(email_body "$LA" mailgun)"
bad "per_minute 0" "$(email_body "$LA" smtp 0)"
bad "per_minute 6001" "$(email_body "$LA" smtp 6001)"
bad "an unclosed merge field" "{\"list\":\"$LA\",\"from\":\"a@example.com\",\"subject\":\"s\",\"text\":\"Hi {{name\",\"provider\":\"smtp\"}"
bad "a bad merge field name" "{\"list\":\"$LA\",\"from\":\"a@example.com\",\"subject\":\"{{9x}}\",\"text\":\"t\",\"provider\":\"smtp\"}"
bad "CR LF in the subject" "{\"list\":\"$LA\",\"from\":\"a@example.com\",\"subject\":\"s\\r\\nBcc: x@example.com\",\"text\":\"t\",\"provider\":\"smtp\"}"
bad "CR LF in from" "{\"list\":\"$LA\",\"from\":\"a@example.com\\r\\nBcc: x@example.com\",\"subject\":\"s\",\"text\":\"t\",\"provider\":\"smtp\"}"
bad "a from with a comma in its name" "{\"list\":\"$LA\",\"from\":\"News, Inc <a@example.com>\",\"subject\":\"s\",\"text\":\"t\",\"provider\":\"smtp\"}"
bad "a from with a quote in its name" "{\"list\":\"$LA\",\"from\":\"A\\\" <a@example.com>\",\"subject\":\"s\",\"text\":\"t\",\"provider\":\"smtp\"}"
bad "an unknown field" "{\"list\":\"$LA\",\"from\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\",\"provider\":\"smtp\",\"bcc\":\"x@example.com\"}"
bad "an SMS body of 1601 characters" "{\"list\":\"$LA\",\"from\":\"+15550000000\",\"body\":\"$(head -c 1601 /dev/zero | tr '\0' x)\",\"provider\":\"twilio\"}" "" /outreach/sms
bad "an SMS with a subject" "{\"list\":\"$LA\",\"from\":\"+15550000000\",\"body\":\"b\",\"subject\":\"s\",\"provider\":\"twilio\"}" "" /outreach/sms
check "nothing was created by the refused requests" \
	test "$(api GET /outreach/campaigns | jq '.campaigns | length'):$(api GET '/jobs?kind=send_email' | jq '.jobs | length')" = 0:0
s=$(breq "$TOK" POST /outreach/email "$(email_body "$LA" smtp)")
check "a broker token on POST /outreach/email: 403" test "$s" = 403

# ---- the rate ------------------------------------------------------------------------------
# Campaign R: 600 a minute, one send every 0.1 s; then cancelled, its claimed sends skipped.
LR=$(make_list rate "$(contacts 3 rate email)")
out=$(api POST /outreach/email "$(email_body "$LR" smtp 600)")
CR=$(jq -r .campaign.id <<<"$out")
check "campaign R (smtp, 600 a minute): 201 running, 3 queued, price 0" bash -c "test '$(st)' = 201 &&
	jq -e '.campaign.state == \"running\" and .campaign.recipients == 3 and .campaign.queued == 3
	and .campaign.per_minute == 600 and .campaign.price.micros == 0 and (.campaign | has(\"html\") | not)' <<<'$out'" || finish
check "three send_email jobs, key send:om_..., campaign in params" test "$(api GET '/jobs?kind=send_email' |
	jq --arg c "$CR" '[.jobs[] | select(.params.campaign == $c and (.idempotency_key | startswith("send:om_")) and .service == "smtp")] | length')" = 3
RJ=() RC=()
ta=$(date +%s.%N)
bclaim "$TOK" 0; RJ+=("$JOB") RC+=("$CLAIM")
check "claim: a send_email job of campaign R" bash -c "test '$CST' = 200 && jq -e --arg c '$CR' '.job.kind == \"send_email\" and .job.params.campaign == \$c' '$T/b.json'" || finish
bclaim "$TOK" 0
d=$(echo "$(date +%s.%N) - $ta" | bc)
[ "$CST" = 200 ] && RJ+=("$JOB") RC+=("$CLAIM")
# On a loaded machine the two requests may take 0.1 s: then a claim is right, not before.
check "a claim right after it: 204 (the next send is 0.1 s later; ${d} s passed, got $CST)" \
	bash -c "test '$CST' = 204 || test \$(echo '$d >= 0.1' | bc) = 1"
ta=$(date +%s.%N)
bclaim "$TOK" 2; RJ+=("$JOB") RC+=("$CLAIM")
d=$(echo "$(date +%s.%N) - $ta" | bc)
check "a waiting claim gets the next one when it is due, not at the next one-second look (${d} s)" \
	bash -c "test '$CST' = 200 && test \$(echo '$d < 0.5' | bc) = 1"
api POST "/outreach/campaigns/$CR/cancel" >/dev/null
for i in "${!RJ[@]}"; do
	s=$(sget "${RJ[$i]}" "${RC[$i]}")
	check "campaign R cancelled: its claimed send ${RJ[$i]} is refused (409 campaign_state)" \
		test "$s:$(bcode)" = 409:campaign_state
	sdone "${RJ[$i]}" "${RC[$i]}" '{"skipped":"campaign_state"}' >/dev/null
done
check "campaign R: cancelled, 3 messages cancelled" test "$(api GET "/outreach/campaigns/$CR" |
	jq -r '.campaign | "\(.state) \(.cancelled) \(.queued)"')" = "cancelled 3 0"

# ---- rendering, sending -------------------------------------------------------------------
out=$(api POST /outreach/email "$(email_body "$LA" smtp 6000)")
CA=$(jq -r .campaign.id <<<"$out")
check "campaign A (smtp, 6000 a minute): 201 running, 4 recipients queued" bash -c "test '$(st)' = 201 &&
	jq -e '.campaign.state == \"running\" and .campaign.recipients == 4 and .campaign.queued == 4' <<<'$out'" || finish
bclaim "$TOK" 1; J1=$JOB C1=$CLAIM
sleep 0.1
bclaim "$TOK" 1; J2=$JOB C2=$CLAIM
check "two of campaign A claimed" bash -c "[[ '$J1' == jb_* && '$J2' == jb_* && '$J1' != '$J2' ]]" || finish
s=$(sget "$J1" "$C1" "$TOK2")
check "the message for another broker: 409 stale_claim" test "$s:$(bcode)" = 409:stale_claim
s=$(sget "$J1" cl_aaaaaaaaaaaaaaaaaaaaaaaaaa)
check "the message with another claim id: 409 stale_claim" test "$s:$(bcode)" = 409:stale_claim
s=$(api GET "/outreach/sends/$J1?claim=$C1" >/dev/null; st)
check "an admin session on the broker route: 403" test "$s" = 403
s=$(sget "$J1" "$C1")
cp "$T/b.json" "$T/m1.json"
TOK1=$(jq -r .message.token "$T/m1.json")
check "GET /outreach/sends: 200" test "$s" = 200
# jqf FILE FILTER: jq -e with $pub set.
jqf() { jq -e --arg pub "$PUB" "$2" "$1" >/dev/null; }
check "rendered: to, subject merged, a 22-character token" jqf "$T/m1.json" '.message |
	.channel == "email" and .provider == "smtp" and (.to | endswith("@example.com"))
	and (.subject | startswith("Hello adv ")) and (.token | length == 22)'
check "headers: List-Unsubscribe (one-click), Message-ID, Reply-To" jqf "$T/m1.json" '.message |
	.headers["List-Unsubscribe"] == "<\($pub)/u/\(.token)>"
	and .headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
	and .headers["Message-ID"] == "<\(.id)@bos.invalid>" and .message_id == .headers["Message-ID"]
	and .headers["Reply-To"] == "reply+\(.token)@reply.example.test"'
check "text: merged as is, the unsubscribe link and the postal address" jqf "$T/m1.json" '.message | .token as $t |
	(.text | startswith("Hi adv ")) and (.text | contains("of Firm <"))
	and (.text | contains("Unsubscribe: \($pub)/u/\($t)\n1 Main St, Springfield"))'
check "html: values escaped, link 0 through the vault, the pixel before </body>" jqf "$T/m1.json" '.message | .token as $t |
	(.html | contains("Firm &lt;")) and (.html | contains("&gt; &amp; Co"))
	and (.html | contains("href=\"\($pub)/c/\($t)/0\"")) and (.html | contains("example.com/offer") | not)
	and (.html | contains("<img src=\"\($pub)/o/\($t).gif\" width=\"1\" height=\"1\" alt=\"\"></body>"))'
check "no secret in the message" test "$(grep -c -e "$SG_KEY" -e CANARY "$T/m1.json")" = 0
s=$(ssent "$J1" "$C1" x)
check "sent before sending: 409 campaign_state" test "$s:$(bcode)" = 409:campaign_state
check "sending: 200" test "$(ssending "$J1" "$C1")" = 200
s=$(ssending "$J1" "$C1")
check "sending twice: 409 outcome_unknown" test "$s:$(bcode)" = 409:outcome_unknown
check "sent: 200" test "$(ssent "$J1" "$C1" "<$(jq -r .message.id "$T/m1.json")@bos.invalid>")" = 200
s=$(ssent "$J1" "$C1" again)
check "sent twice: 409 already_sent" test "$s:$(bcode)" = 409:already_sent
check "complete: 200" test "$(sdone "$J1" "$C1")" = 200
s=$(sget "$J1" "$C1")
check "the message after completion: 409 stale_claim" test "$s:$(bcode)" = 409:stale_claim

# ---- tracking --------------------------------------------------------------------------------
s=$(breq "$TOK" POST /outreach/track "{\"token\":\"$TOK1\",\"kind\":\"click\",\"link\":0}")
check "track click 0: the campaign's link (from the vault, &amp; decoded)" \
	bash -c "test '$s' = 200 && jq -e '.url == \"https://example.com/offer?a=1&b=2\"' '$T/b.json'"
s=$(breq "$TOK" POST /outreach/track "{\"token\":\"$TOK1\",\"kind\":\"click\",\"link\":1}")
check "track click 1 (no such link): 404" test "$s" = 404
s=$(breq "$TOK" POST /outreach/track '{"token":"AAAAAAAAAAAAAAAAAAAAAA","kind":"open"}')
check "track an unknown token: 404" test "$s" = 404
s=$(breq "$TOK" POST /outreach/track "{\"token\":\"$TOK1\",\"kind\":\"open\",\"link\":0}")
check "track open with a link: 400" test "$s" = 400
s=$(breq "$TOK" POST /outreach/track "{\"token\":\"$TOK1\",\"kind\":\"open\"}")
s2=$(breq "$TOK" POST /outreach/track "{\"token\":\"$TOK1\",\"kind\":\"open\"}")
check "track open twice: 200 both" test "$s:$s2" = 200:200
s=$(api POST /outreach/track "{\"token\":\"$TOK1\",\"kind\":\"open\"}" >/dev/null; st)
check "track with an admin session: 403" test "$s" = 403

# ---- suppressed at send time, then at creation -------------------------------------------------
s=$(sget "$J2" "$C2"); TOK2M=$(jq -r .message.token "$T/b.json"); TO2=$(jq -r .message.to "$T/b.json")
check "second message fetched" test "$s" = 200
s=$(breq "$TOK" POST /outreach/track "{\"token\":\"$TOK2M\",\"kind\":\"unsubscribe\"}")
check "its recipient unsubscribes (track unsubscribe): 200" test "$s" = 200
s=$(sget "$J2" "$C2")
check "the message again: 409 suppressed" test "$s:$(bcode)" = 409:suppressed
s=$(sdone "$J2" "$C2" '{"skipped":"suppressed"}')
check "complete {skipped: suppressed}: 200" test "$s" = 200
out=$(api POST /outreach/email "$(email_body "$LA" smtp 60 '"start":false')")
CD=$(jq -r .campaign.id <<<"$out")
check "a new campaign on the list: the unsubscribed address is suppressed, a draft" \
	bash -c "jq -e '.campaign.suppressed == 1 and .campaign.queued == 3 and .campaign.state == \"draft\"' <<<'$out'"

# ---- already_sent and outcome_unknown after expired claims -------------------------------------
sleep 0.1
bclaim "$TOK" 1; J3=$JOB C3=$CLAIM
sleep 0.1
bclaim "$TOK" 1; J4=$JOB C4=$CLAIM
check "the last two of campaign A claimed" bash -c "[[ '$J3' == jb_* && '$J4' == jb_* ]]"
check "J3: fetched, sending, sent (not completed)" test "$(sget "$J3" "$C3")$(ssending "$J3" "$C3")$(ssent "$J3" "$C3" p3)" = 200200200
check "J4: fetched, sending (never reported)" test "$(sget "$J4" "$C4")$(ssending "$J4" "$C4")" = 200200
sleep 8.2
bclaim "$TOK" 5; JX=$JOB CX=$CLAIM
bclaim "$TOK" 5; JY=$JOB CY=$CLAIM
check "after the claims expired both come back" bash -c "[ '$(printf '%s\n' "$JX" "$JY" | sort | tr '\n' ' ')' = '$(printf '%s\n' "$J3" "$J4" | sort | tr '\n' ' ')' ]"
[ "$JX" = "$J3" ] || { t=$JX; JX=$JY; JY=$t; t=$CX; CX=$CY; CY=$t; }
s=$(sget "$JX" "$CX")
check "the one sent before: 409 already_sent" test "$s:$(bcode)" = 409:already_sent
check "complete it {skipped: already_sent}: 200" test "$(sdone "$JX" "$CX" '{"skipped":"already_sent"}')" = 200
s=$(sget "$JY" "$CY")
check "the one that reached sending: 409 outcome_unknown" test "$s:$(bcode)" = 409:outcome_unknown
check "an outreach_unknown alert is open" test "$(api GET /alerts | jq '[.alerts[] | select(.kind == "outreach_unknown")] | length')" = 1
s=$(breq "$TOK" POST "/jobs/$JY/fail" "{\"claim\":\"$CY\",\"error\":\"outcome unknown\",\"retry\":false}")
check "fail it without retry: 200" test "$s" = 200
check "campaign A: done, 2 sent, 1 suppressed, 1 unknown, nothing queued" \
	test "$(api GET "/outreach/campaigns/$CA" | jq -r '.campaign | "\(.state) \(.sent) \(.suppressed) \(.unknown) \(.queued)"')" = "done 2 1 1 0"
check "GET one campaign adds its bodies" bash -c "api GET '/outreach/campaigns/$CA' | jq -e '.campaign.text == \"Hi {{name}} of {{firm}}\" and (.campaign.html | length > 0)'"

# ---- draft, start, pause, resume, cancel -----------------------------------------------------------
bclaim "$TOK" 0
check "a draft is not claimed" test "$CST" = 204
s=$(api POST "/outreach/campaigns/$CD/pause" >/dev/null; st)
check "pause a draft: 409" test "$s" = 409
out=$(api POST "/outreach/campaigns/$CD/start")
check "start: 200 running" bash -c "test '$(st)' = 200 && jq -e '.campaign.state == \"running\"' <<<'$out'"
bclaim "$TOK" 1; JD1=$JOB CD1=$CLAIM
check "then claimed" test "$CST" = 200
bclaim "$TOK" 0
check "campaign D sends 60 a minute: a claim right after it is 204" test "$CST" = 204
out=$(api POST "/outreach/campaigns/$CD/pause")
check "pause: 200 paused" bash -c "test '$(st)' = 200 && jq -e '.campaign.state == \"paused\"' <<<'$out'"
out=$(api POST "/outreach/campaigns/$CD/pause")
check "pause again: 409 campaign_state" bash -c "test '$(st)' = 409 && jq -e '.error.code == \"campaign_state\"' <<<'$out'"
bclaim "$TOK" 1
check "paused: no claim within 1 s" test "$CST" = 204
check "the send claimed before the pause finishes" test "$(send_all "$JD1" "$CD1")" = 200200200200
api POST "/outreach/campaigns/$CD/resume" >/dev/null
check "resume: 200" test "$(st)" = 200
bclaim "$TOK" 2; JD2=$JOB CD2=$CLAIM
check "resumed: claimed again (within 2 s: one a second)" test "$CST" = 200
out=$(api POST "/outreach/campaigns/$CD/cancel")
check "cancel: 200 cancelled, the queued one cancelled" bash -c "test '$(st)' = 200 &&
	jq -e '.campaign.state == \"cancelled\" and .campaign.cancelled == 1 and .campaign.finished_at != null' <<<'$out'"
s=$(sget "$JD2" "$CD2")
check "the claimed one after the cancel: 409 campaign_state" test "$s:$(bcode)" = 409:campaign_state
sdone "$JD2" "$CD2" '{"skipped":"campaign_state"}' >/dev/null
bclaim "$TOK" 1
check "cancelled: nothing to claim" test "$CST" = 204
for a in start resume cancel pause; do
	s=$(api POST "/outreach/campaigns/$CD/$a" >/dev/null; st)
	check "$a a cancelled campaign: 409" test "$s" = 409
done
s=$(api POST /outreach/campaigns/cp_zzzzzzzzzzzzzzzzzzzzzzzzzz/pause >/dev/null; st)
check "pause an unknown campaign: 404" test "$s" = 404
out=$(api GET '/outreach/campaigns?state=cancelled')
check "list ?state=cancelled: campaigns D and R, newest first, without bodies" jqf /dev/stdin \
	"[.campaigns[].id] == [\"$CD\", \"$CR\"] and (.campaigns[0] | has(\"text\") | not)" <<<"$out"
api GET '/outreach/campaigns?state=bogus' >/dev/null
check "list ?state=bogus: 400" test "$(st)" = 400

# ---- budget: 3.00 USD a day at 1.00 USD a message -----------------------------------------------
api PUT /budgets/sendgrid '{"daily":300,"currency":"USD"}' >/dev/null
check "sendgrid budget 3.00 USD a day" test "$(st)" = 200
LB=$(make_list budget "$(contacts 5 bud email)")
out=$(api POST /outreach/email "$(email_body "$LB" sendgrid 6000)")
CB=$(jq -r .campaign.id <<<"$out")
check "campaign B (sendgrid, 5 recipients, price 1.00 USD)" bash -c "test '$(st)' = 201 &&
	jq -e '.campaign.price == {\"micros\":1000000,\"currency\":\"USD\"} and .campaign.recipients == 5' <<<'$out'"
check "its jobs carry the estimate 100 USD (cents)" test "$(api GET '/jobs?kind=send_email&state=queued' |
	jq --arg c "$CB" '[.jobs[] | select(.params.campaign == $c and .estimate.amount == 100)] | length')" = 5
sent_jobs=""
for i in 1 2 3; do
	bclaim "$TOK" 1
	check "budget claim $i: 200, sent and completed" test "$CST:$(send_all "$JOB" "$CLAIM")" = 200:200200200200
	sent_jobs="$sent_jobs $JOB"
done
bclaim "$TOK" 1
check "the 4th claim: 204 (3.00 USD spent: the budget is paused)" test "$CST" = 204
spent_sg=$(api GET "/outreach/cost?day=$(date -u +%F)" | jq '[.services[] | select(.service == "sendgrid") | .spent] | add')
check "the ledger says 300 cents for sendgrid" test "$spent_sg" = 300
out=$(api POST /budgets/sendgrid/resume)
AP=$(jq -r '.approval.id // empty' <<<"$out")
check "resume asks for an approval: 202" bash -c "test '$(st)' = 202 && [[ '$AP' == ap_* ]]"
bclaim "$TOK" 1
check "still no claim before the approval" test "$CST" = 204
out=$(api POST "/approvals/$AP/approve" "{\"totp\":\"$(totp_code 0)\"}")
check "approved with a fresh TOTP code" test "$(st)" = 200
for i in 4 5; do
	bclaim "$TOK" 2
	check "after the approval, claim $i: sent and completed" test "$CST:$(send_all "$JOB" "$CLAIM")" = 200:200200200200
	sent_jobs="$sent_jobs $JOB"
done
bclaim "$TOK" 1
check "nothing left" test "$CST" = 204
check "five distinct jobs were sent" test "$(tr ' ' '\n' <<<"$sent_jobs" | grep -c . ):$(tr ' ' '\n' <<<"$sent_jobs" | grep . | sort -u | wc -l)" = 5:5
check "campaign B: done, 5 sent once, spent 5.00 USD" test "$(api GET "/outreach/campaigns/$CB" |
	jq -r '.campaign | "\(.state) \(.sent) \(.spent.micros) \(.spent.currency)"')" = "done 5 5000000 USD"
out=$(api GET "/outreach/cost?day=$(date -u +%F)")
check "GET /outreach/cost lists campaign B: 5 messages, 500 cents" bash -c "jq -e --arg c '$CB' '
	[.campaigns[] | select(.id == \$c and .provider == \"sendgrid\" and .currency == \"USD\" and .messages == 5
	and .spent == 500 and .spent_micros == 5000000)] | length == 1' <<<'$out'"
check "... and not the smtp campaigns (nothing spent)" bash -c "jq -e --arg c '$CA' '[.campaigns[] | select(.id == \$c)] | length == 0' <<<'$out'"

# ---- SMS --------------------------------------------------------------------------------------------
out=$(api POST /outreach/sms "{\"list\":\"budget\",\"from\":\"BOSNEWS\",\"body\":\"Hi {{name}}, news\",\"provider\":\"twilio\"}")
check "an SMS campaign by list name with only email consents: 201, 0 recipients, 5 skipped, done" bash -c "test '$(st)' = 201 &&
	jq -e '.campaign.recipients == 0 and .campaign.skipped == 5 and .campaign.state == \"done\"' <<<'$out'"
out=$(api POST /outreach/sms "{\"list\":\"$LA\",\"from\":\"+15550000000\",\"body\":\"Hi {{name}}, news\",\"provider\":\"twilio\",\"per_minute\":6000}")
check "an SMS campaign on list advisors: 201, 4 recipients" bash -c "test '$(st)' = 201 && jq -e '.campaign.recipients == 4' <<<'$out'"
bclaim "$TOK" 1
s=$(sget "$JOB" "$CLAIM")
check "its message: the body with the STOP line, no headers" bash -c "test '$s' = 200 && jq -e '
	.message.channel == \"sms\" and (.message.body | test(\"^Hi adv [0-9], news Reply STOP to opt out.$\"))
	and (.message.to | startswith(\"+1555000\")) and .message.headers == {}
	and .message.status_callback == \"$PUB/hooks/twilio/status\"' '$T/b.json'"

# ---- send jobs only from a campaign; a verify job has no message --------------------------------
api POST /jobs '{"kind":"send_email","service":"smtp","params":{"campaign":"x"}}' >/dev/null
check "POST /jobs with kind send_email: 400 (only a campaign queues send jobs)" test "$(st)" = 400
JV=$(job_add sendgrid)
claim "$TOK" 1
check "a verify job claimed" test "$CST:$JOB" = "200:$JV"
s=$(sget "$JV" "$CLAIM")
check "GET /outreach/sends for a verify job: 404" test "$s" = 404
s=$(ssending "$JV" "$CLAIM")
check "sending for a verify job: 404, nothing changed" test "$s:$(jstate "$JV")" = 404:claimed
# ---- at most 10,000 recipients: a larger list is refused, nothing made ----------------------------
{ echo email,consent; for i in $(seq 1 10000); do echo "big$i@example.com,email"; done; } >"$T/big.csv"
jq -n --rawfile d "$T/big.csv" '{name:"big", format:"csv", data:$d}' >"$T/big.json"
LB=$(vcurl -H "Authorization: Bearer $SESSION" -H 'Content-Type: application/json' \
	--data-binary "@$T/big.json" "$URL/outreach/lists" | jq -r '.list.id // empty')
ncp=$(api GET /outreach/campaigns | jq '.campaigns | length')
api POST /outreach/email '{"list":"big","from":"a@example.com","subject":"S","text":"T","provider":"sendgrid","credential":"sg-main","start":false}' >"$T/big10k.json"
check "a campaign to 10,000 recipients: 201" bash -c "[ $(st) = 201 ] && jq -e '.campaign.recipients == 10000' '$T/big10k.json'"
api POST "/outreach/campaigns/$(jq -r .campaign.id "$T/big10k.json")/cancel" >/dev/null
api POST "/outreach/lists/$LB/contacts" '{"format":"json","contacts":[{"email":"big10001@example.com","consent":"email"}]}' >/dev/null
out=$(api POST /outreach/email '{"list":"big","from":"a@example.com","subject":"S","text":"T","provider":"sendgrid","credential":"sg-main","start":false}')
check "a campaign to 10,001: 400 saying to split the list" bash -c \
	"[ $(st) = 400 ] && grep -q 'at most 10000 (split the list' <<<'$out'"
check "… and no campaign was made" test "$(api GET /outreach/campaigns | jq '.campaigns | length')" = $((ncp + 1))
finish
