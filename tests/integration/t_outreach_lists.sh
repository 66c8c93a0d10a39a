#!/bin/bash
# Outreach lists, the suppression list, provider events and stats against the
# real vault, with curl (issue #16; docs/OUTREACH.md "Contacts and lists",
# "Events"):
#
# - a CSV import (CRLF, quoted fields, "" escapes, a line break in a field)
#   and a JSON one: addresses normalised, duplicates skipped and counted (in
#   the request and in the list); appending; a file with exactly 3 bad rows
#   is 400 invalid_rows naming exactly those rows, and nothing is imported;
#   10,000 rows are fine, 10,001 are 400 too_many_rows; unknown fields, a
#   taken name, a broken CSV are 400/409; lists, one list, contacts by page;
# - the suppression list: add (201, then 200), by channel, shown on the
#   contacts, lifted (200, then 404), a wrong channel 400;
# - events, posted by an outreach broker on the unix socket (its token over
#   HTTPS is refused, an admin session too, a monitor broker's role has no
#   rule for them): matched by message, token and provider id, a replay is a
#   duplicate, an unmatched event counted, a bad event refuses the request
#   and records nothing, a bounce suppresses the address; Twilio's signature
#   checked by the vault with the account's secret (candidates and HMAC made
#   here with openssl): a bad one or an unknown account is 401 bad_signature
#   and records nothing, a good one (SHA-1 and SHA-256) records, a STOP
#   suppresses the number and a START lifts it;
# - stats of a campaign (unique per message, rates to 4 decimals) and of all;
# - a helper token and a broker token on the admin routes: 403;
# - the audit trail names lists, counts and credentials, never the contacts
#   of an import, and neither it nor the log holds the Twilio secret.
# Campaign and message rows are made with bos_dbtool (SQL), as a campaign
# would make them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/lib_audit.sh"

ME=$(id -u)
DB() { "$BOS_TESTBIN/bos_dbtool" "$S" "$1"; }
# has JSON FILTER [jq args]: FILTER is true of JSON, which must not be empty.
has() { local in=$1; shift; [ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null; }
# apif METHOD PATH FILE: api with the body read from FILE (bodies too big for an argument).
apif() {
	vcurl -X "$1" -o "$T/api.body" -w '%{http_code}' -H "Authorization: Bearer $SESSION" \
		-H 'Content-Type: application/json' --data-binary "@$3" "$URL$2" >"$T/api.status" ||
		echo 000 >"$T/api.status"
	cat "$T/api.body"
}
# post_csv PATH NAME FILE: POST PATH {name, format csv, data: FILE's text}; prints the body
# (status: st). append_csv PATH FILE: the same without a name.
post_csv() { jq -n --arg n "$2" --rawfile d "$3" '{name:$n, format:"csv", data:$d}' >"$T/req.json"; apif POST "$1" "$T/req.json"; }
append_csv() { jq -n --rawfile d "$2" '{format:"csv", data:$d}' >"$T/req.json"; apif POST "$1" "$T/req.json"; }

check "vault up (outreach and monitor brokers from uid $ME, 1 MiB bodies)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "broker_uid_monitor = $ME" \
	"body_max_bytes = 1048576" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish

# ---- CSV import -----------------------------------------------------------------------
printf '%s\r\n' 'email,phone,name,consent,Company' \
	' Ann@Example.COM ,+1 (555) 010-0001,Ann Smith,"email,sms",Acme' \
	'bob@example.com,,"Bob ""The Builder""",email,"Builders, Inc"' \
	',+44 20 7946 0958,Carol,sms,' \
	'ANN@example.com,,Ann again,email,' \
	'dan@example.com,+1.555.010.0004,Dan,none,"two' \
	'lines"' >"$T/advisors.csv"
out=$(post_csv /outreach/lists advisors "$T/advisors.csv")
check "POST /outreach/lists (CSV, 5 rows, one the same email again): 201" test "$(st)" = 201
check "  4 imported, 1 duplicate, the list says 4 contacts, made by alice" has "$out" \
	'.imported == 4 and .duplicates == 1 and .list.contacts == 4 and .list.name == "advisors"
	and .list.created_by == "alice" and (.list.id | test("^ol_[a-z2-7]{26}$"))'
LIST=$(jq -r .list.id <<<"$out")
out=$(api GET "/outreach/lists/$LIST/contacts")
check "contacts: normalised (email lower-cased, phone E.164), consent, fields" has "$out" '
	.contacts | length == 4 and
	(.[0] | .email == "ann@example.com" and .phone == "+15550100001" and .name == "Ann Smith"
		and .consent == ["email","sms"] and .fields == {"Company":"Acme"} and .suppressed == []) and
	(.[1] | .email == "bob@example.com" and .phone == null and .name == "Bob \"The Builder\""
		and .consent == ["email"] and .fields == {"Company":"Builders, Inc"}) and
	(.[2] | .email == null and .phone == "+442079460958" and .consent == ["sms"] and .fields == {}) and
	(.[3] | .phone == "+15550100004" and .consent == [] and .fields == {"Company":"two\r\nlines"})'

# ---- JSON import, appending, duplicates ---------------------------------------------------
out=$(api POST /outreach/lists '{"name":"partners","format":"json","contacts":[
	{"email":"Eve@Example.org","consent":["email"],"fields":{"tier":"gold"}},
	{"phone":"+1 555 010 0009","consent":"sms","name":"Frank"},
	{"phone":"+15550100009","name":"Frank twice"}]}')
check "POST /outreach/lists (JSON, the same phone twice): 201, 2 imported, 1 duplicate" \
	has "$out" '.imported == 2 and .duplicates == 1 and .list.contacts == 2'
PARTNERS=$(jq -r .list.id <<<"$out")
printf 'email,name\nbob@example.com,Bob\nerin@example.com,Erin\n' >"$T/more.csv"
out=$(append_csv "/outreach/lists/$LIST/contacts" "$T/more.csv")
check "POST /outreach/lists/{id}/contacts: 200, 1 added, 1 already in the list, 5 in all" \
	bash -c "[ '$(st)' = 200 ] && jq -e '.imported == 1 and .duplicates == 1 and .list.contacts == 5' <<<'$out' >/dev/null"

# ---- all or nothing ----------------------------------------------------------------------
printf '%s\n' 'email,phone,name' 'ok1@example.com,,One' 'not-an-email,,Two' \
	'ok3@example.com,,Three' ',,Four' 'ok5@example.com,,Five' 'ok6@example.com,555-0106,Six' >"$T/bad.csv"
out=$(post_csv /outreach/lists badfile "$T/bad.csv")
check "a file with 3 bad rows: 400 invalid_rows" \
	bash -c "[ '$(st)' = 400 ] && jq -e '.error.code == \"invalid_rows\"' <<<'$out' >/dev/null"
check "  exactly rows 2 (email), 4 (no address) and 6 (phone), nothing more" has "$out" \
	'[.rows[] | [.row, .field]] == [[2,"email"],[4,null],[6,"phone"]] and (has("more") | not)
	and (.error.message | test("3 of 6 rows"))'
check "  nothing imported: no list badfile" \
	has "$(api GET /outreach/lists)" '[.lists[] | select(.name == "badfile")] == []'
out=$(append_csv "/outreach/lists/$LIST/contacts" "$T/bad.csv")
check "the same rows appended: 400, and the list still has 5 contacts" bash -c \
	"[ '$(st)' = 400 ] && [ \"\$(jq -r .list.contacts <<<'$(api GET "/outreach/lists/$LIST")')\" = 5 ]"
check "no contact of the bad file was stored" \
	test "$(DB "SELECT count(*) FROM outreach_contacts WHERE email LIKE 'ok_@example.com'")" = 0
seq 1 10000 | sed 's/.*/u&@example.com/' | { echo email; cat; } >"$T/10000.csv"
out=$(post_csv /outreach/lists big "$T/10000.csv")
check "10,000 rows: 201, all imported" has "$out" '.imported == 10000 and .list.contacts == 10000'
echo "u10001@example.com" >>"$T/10000.csv"
out=$(post_csv /outreach/lists bigger "$T/10000.csv")
check "10,001 rows: 400 too_many_rows, no list" bash -c "[ '$(st)' = 400 ] &&
	jq -e '.error.code == \"too_many_rows\"' <<<'$out' >/dev/null"
check "  (not made)" has "$(api GET /outreach/lists)" '[.lists[] | select(.name == "bigger")] == []'
jq -n '{name:"bigj", format:"json", contacts:[range(10001) | {email:"j\(.)@example.com"}]}' >"$T/big.json"
apif POST /outreach/lists "$T/big.json" >/dev/null
check "10,001 contacts as JSON: 400 too_many_rows" bash -c "[ '$(st)' = 400 ] &&
	jq -e '.error.code == \"too_many_rows\"' '$T/api.body' >/dev/null"

# ---- refusals ------------------------------------------------------------------------------
api POST /outreach/lists '{"name":"x","format":"csv","data":"email\na@b.io","owner":"me"}' >/dev/null
check "an unknown top-level field: 400 unknown_field" bash -c "[ '$(st)' = 400 ] &&
	jq -e '.error.code == \"unknown_field\"' '$T/api.body' >/dev/null"
out=$(api POST /outreach/lists '{"name":"x","format":"json","contacts":[{"email":"a@b.io","mail":"b@b.io"}]}')
check "an unknown field in a contact: 400 invalid_rows naming it" has "$out" \
	'.error.code == "invalid_rows" and .rows == [{"row":1,"field":"mail","message":.rows[0].message}]'
printf 'email\nz@example.com\n' >"$T/z.csv"
out=$(post_csv /outreach/lists advisors "$T/z.csv")
check "a name that is taken: 409 exists" \
	bash -c "[ '$(st)' = 409 ] && jq -e '.error.code == \"exists\"' <<<'$out' >/dev/null"
printf 'email,name\na@example.com,"Ann\n' >"$T/broken.csv"
out=$(post_csv /outreach/lists broken "$T/broken.csv")
check "a quoted field not closed: 400 invalid_csv naming the row" bash -c "[ '$(st)' = 400 ] &&
	jq -e '.error.code == \"invalid_csv\" and (.error.message | test(\"CSV row 1\"))' <<<'$out' >/dev/null"
printf 'name\nAnn\n' >"$T/nocol.csv"
out=$(post_csv /outreach/lists nocol "$T/nocol.csv")
check "a header without email or phone: 400 invalid_csv" \
	has "$out" '.error.code == "invalid_csv" and (.error.message | test("email or a phone column"))'
api POST /outreach/lists '{"name":"x","format":"xml","data":"<a/>"}' >/dev/null
check "format xml: 400" test "$(st)" = 400
api POST /outreach/lists '{"name":"x","format":"csv","contacts":[]}' >/dev/null
check "format csv with contacts: 400" test "$(st)" = 400
api POST /outreach/lists '{"name":"a/b","format":"csv","data":"email\na@b.io"}' >/dev/null
check "a name with '/': 400" test "$(st)" = 400

# ---- reading lists --------------------------------------------------------------------------
out=$(api GET /outreach/lists)
check "GET /outreach/lists: by name, with their counts" has "$out" \
	'[.lists[] | [.name, .contacts]] == [["advisors",5],["big",10000],["partners",2]]'
out=$(api GET "/outreach/lists/$LIST")
check "GET /outreach/lists/{id}: the list" has "$out" --arg id "$LIST" '.list.id == $id and .list.contacts == 5'
api GET /outreach/lists/ol_aaaaaaaaaaaaaaaaaaaaaaaaaa >/dev/null
check "an unknown list: 404" test "$(st)" = 404
api GET /outreach/lists/advisors >/dev/null
check "a name in the path: 404 (ids only)" test "$(st)" = 404
p1=$(api GET "/outreach/lists/$LIST/contacts?limit=2")
N1=$(jq -r .next <<<"$p1")
p2=$(api GET "/outreach/lists/$LIST/contacts?limit=2&cursor=$N1")
N2=$(jq -r .next <<<"$p2")
p3=$(api GET "/outreach/lists/$LIST/contacts?limit=2&cursor=$N2")
check "contacts by pages of 2: 2, 2, 1, then no next" bash -c "
	jq -e '.contacts | length == 2' <<<'$p1' >/dev/null && jq -e '.contacts | length == 2' <<<'$p2' >/dev/null &&
	jq -e '(.contacts | length == 1) and .next == null and .contacts[0].email == \"erin@example.com\"' <<<'$p3' >/dev/null"
api GET "/outreach/lists/$LIST/contacts?limit=0" >/dev/null
check "limit=0: 400 bad_query" test "$(st)" = 400
api GET "/outreach/lists/$PARTNERS/contacts?cursor=$N1" >/dev/null
check "a cursor of another list: 400" test "$(st)" = 400

# ---- the suppression list --------------------------------------------------------------------
out=$(api POST /outreach/suppressions '{"address":" Bob@Example.com "}')
check "POST /outreach/suppressions: 201, normalised, channel email, reason admin, source alice" \
	bash -c "[ '$(st)' = 201 ] && jq -e '.suppression | .address == \"bob@example.com\" and
	.channel == \"email\" and .reason == \"admin\" and .source == \"alice\"' <<<'$out' >/dev/null"
api POST /outreach/suppressions '{"address":"bob@example.com","reason":"unsubscribed"}' >/dev/null
check "again: 200 (it was there), still admin" bash -c "[ '$(st)' = 200 ] &&
	jq -e '.suppression.reason == \"admin\"' '$T/api.body' >/dev/null"
api POST /outreach/suppressions '{"address":"+1 555 010 0004","reason":"stop"}' >/dev/null
check "a phone number: 201, channel sms" bash -c "[ '$(st)' = 201 ] &&
	jq -e '.suppression | .address == \"+15550100004\" and .channel == \"sms\"' '$T/api.body' >/dev/null"
api POST /outreach/suppressions '{"address":"+15550100001","channel":"email"}' >/dev/null
check "a phone number for channel email: 400" test "$(st)" = 400
api POST /outreach/suppressions '{"address":"nobody"}' >/dev/null
check "not an address: 400" test "$(st)" = 400
api POST /outreach/suppressions '{"address":"x@example.com","reason":"bored"}' >/dev/null
check "an unknown reason: 400" test "$(st)" = 400
api POST /outreach/suppressions '{"address":"x@example.com","until":"never"}' >/dev/null
check "an unknown field: 400" test "$(st)" = 400
check "GET /outreach/suppressions: both, newest first" has "$(api GET /outreach/suppressions)" \
	'[.suppressions[].address] == ["+15550100004","bob@example.com"]'
check "?channel=email: bob only" has "$(api GET '/outreach/suppressions?channel=email')" \
	'[.suppressions[].address] == ["bob@example.com"]'
api GET '/outreach/suppressions?channel=fax' >/dev/null
check "?channel=fax: 400" test "$(st)" = 400
check "the contacts show who is suppressed on which channel" \
	has "$(api GET "/outreach/lists/$LIST/contacts")" \
	'[.contacts[] | .suppressed] == [[],["email"],[],["sms"],[]]'
api DELETE /outreach/suppressions/BOB@example.com >/dev/null
check "DELETE /outreach/suppressions/{address}: 200, the one lifted" bash -c "[ '$(st)' = 200 ] &&
	jq -e '.suppression.address == \"bob@example.com\"' '$T/api.body' >/dev/null"
api DELETE /outreach/suppressions/bob@example.com >/dev/null
check "  again: 404" test "$(st)" = 404
api DELETE '/outreach/suppressions/+15550100004?channel=email' >/dev/null
check "DELETE with the wrong channel: 400" test "$(st)" = 400
api DELETE '/outreach/suppressions/%2B15550100004?channel=sms' >/dev/null
check "DELETE of a phone number (escaped +): 200" test "$(st)" = 200

# ---- campaigns and messages (as a campaign would make them) -----------------------------------
SG=$(api POST /credentials '{"name":"sg-main","type":"api_key","service":"sendgrid","secret":"SG.k"}' | jq -r .id)
TW_SID=AC0123456789abcdef0123456789abcdef
TW_TOKEN=$(canary twtoken)
TW=$(api POST /credentials "$(jq -n --arg s "$TW_TOKEN" --arg sid "$TW_SID" \
	'{name:"twilio-main", type:"api_key", service:"twilio", secret:$s, metadata:{account_sid:$sid}}')" | jq -r .id)
check "setup: a sendgrid and a twilio credential (account_sid in its metadata)" \
	bash -c "[[ '$SG' == cr_* && '$TW' == cr_* ]]"
CP=cp_aaaaaaaaaaaaaaaaaaaaaaaaaa
CPS=cp_bbbbbbbbbbbbbbbbbbbbbbbbbb
OM1=om_aaaaaaaaaaaaaaaaaaaaaaaaaa OM2=om_bbbbbbbbbbbbbbbbbbbbbbbbbb OM3=om_cccccccccccccccccccccccccc
OM4=om_dddddddddddddddddddddddddd
TOK1=tokann0000000000000000
ct() { echo "(SELECT id FROM outreach_contacts WHERE list_id = '$LIST' AND $1)"; }
check "setup: an email campaign of 3 sent messages, an SMS campaign of 1 (SQL)" DB "
	INSERT INTO outreach_campaigns (id, channel, list_id, provider, credential, from_addr, subject,
	  text_body, per_minute, state, next_send_at, price_micros, currency, recipients, skipped,
	  created_by, created_at, updated_at) VALUES
	  ('$CP', 'email', '$LIST', 'sendgrid', '$SG', 'me@example.com', 'Hello', 'text', 10, 'running',
	   0, 1000, 'USD', 3, 0, 'alice', 0, 0),
	  ('$CPS', 'sms', '$LIST', 'twilio', '$TW', '+15550000000', NULL, 'text', 10, 'running', 0,
	   7900, 'USD', 1, 0, 'alice', 0, 0);
	INSERT INTO outreach_messages (id, campaign_id, contact_id, to_addr, token, state, provider_id,
	  sent_at, updated_at) VALUES
	  ('$OM1', '$CP', $(ct "email = 'ann@example.com'"), 'ann@example.com', '$TOK1', 'sent', 'sg-ann', 1, 0),
	  ('$OM2', '$CP', $(ct "email = 'bob@example.com'"), 'bob@example.com', 'tokbob0000000000000000', 'sent', 'sg-bob', 1, 0),
	  ('$OM3', '$CP', $(ct "email = 'dan@example.com'"), 'dan@example.com', 'tokdan0000000000000000', 'sent', 'sg-dan', 1, 0),
	  ('$OM4', '$CPS', $(ct "phone = '+442079460958'"), '+442079460958', 'tokcar0000000000000000', 'sent', 'SM0004', 1, 0);"

# ---- events from the outreach broker ---------------------------------------------------------
BT=$(broker_add outreach hooks)
MT=$(broker_add monitor mon)
check "setup: an outreach and a monitor broker" bash -c "[[ '$BT' == bos_b_* && '$MT' == bos_b_* ]]"
NOW=$(date +%s)
EV1=$(jq -cn --argjson at "$NOW" --arg om "$OM1" --arg tok "$TOK1" --arg om2 "$OM2" '{provider:"sendgrid", events:[
	{id:"sg-e1", kind:"delivered", at:$at, message:$om},
	{id:"sg-e2", kind:"opened", at:$at, token:$tok, detail:{ua:"Mail"}},
	{id:"sg-e3", kind:"clicked", at:$at, provider_id:"sg-ann", url:"https://example.com/offer"},
	{id:"sg-e4", kind:"bounced", at:$at, message:$om2, address:"bob@example.com"}]}')
s=$(btcp "$BT" POST /outreach/events "$EV1")
check "the broker's token over HTTPS: 403 broker_unix_only" bash -c "[ '$s' = 403 ] && [ '$(bcode)' = broker_unix_only ]"
api POST /outreach/events "$EV1" >/dev/null
check "an admin session: 403" test "$(st)" = 403
s=$(breq "$MT" POST /outreach/events "$EV1")
check "a monitor broker (no rule for outreach/events in its role): 403" test "$s" = 403
s=$(breq "$BT" POST /outreach/events "$EV1")
check "POST /outreach/events on the unix socket: 200, 4 recorded (by message, token, provider id)" \
	bash -c "[ '$s' = 200 ] && jq -e '. == {recorded:4, duplicates:0, unmatched:0}' '$T/b.json' >/dev/null"
s=$(breq "$BT" POST /outreach/events "$EV1")
check "the same events again: 200, 4 duplicates, nothing recorded" \
	bash -c "[ '$s' = 200 ] && jq -e '. == {recorded:0, duplicates:4, unmatched:0}' '$T/b.json' >/dev/null"
check "  each recorded once" test "$(DB "SELECT count(*) FROM outreach_events WHERE event_key LIKE 'sendgrid:sg-e%'")" = 4
check "the bounce suppressed the address the message went to (reason bounced, source event:sendgrid)" \
	has "$(api GET '/outreach/suppressions?channel=email')" \
	'.suppressions == [.suppressions[0]] and (.suppressions[0] | .address == "bob@example.com"
	and .reason == "bounced" and .source == "event:sendgrid")'
check "first times set on the message" test "$(DB "SELECT delivered_at = $NOW AND opened_at = $NOW AND
	clicked_at = $NOW FROM outreach_messages WHERE id = '$OM1'")" = 1
s=$(breq "$BT" POST /outreach/events "$(jq -cn --argjson at "$NOW" '{provider:"sendgrid",
	events:[{id:"sg-u1", kind:"opened", at:$at, provider_id:"nobody-knows"}]}')")
check "an event that matches no message: 200, unmatched 1" \
	bash -c "[ '$s' = 200 ] && jq -e '.unmatched == 1 and .recorded == 0' '$T/b.json' >/dev/null"
GOOD=$(jq -cn --argjson at "$NOW" --arg om "$OM3" '{id:"sg-e5", kind:"delivered", at:$at, message:$om}')
s=$(breq "$BT" POST /outreach/events "{\"provider\":\"sendgrid\",\"events\":[$GOOD,{\"id\":\"sg-e6\",\"kind\":\"read\",\"at\":$NOW}]}")
check "a good event with a bad one (kind read): 400 naming events[1].kind" \
	bash -c "[ '$s' = 400 ] && jq -e '.error.message | test(\"events\\\\[1\\\\]\\\\.kind\")' '$T/b.json' >/dev/null"
s=$(breq "$BT" POST /outreach/events "{\"provider\":\"sendgrid\",\"events\":[$GOOD]}")
check "  nothing was recorded: the good one alone is recorded now" \
	bash -c "[ '$s' = 200 ] && jq -e '.recorded == 1' '$T/b.json' >/dev/null"
s=$(breq "$BT" POST /outreach/events '{"provider":"sendgrid","events":[]}')
check "no events: 400" test "$s" = 400
s=$(breq "$BT" POST /outreach/events "{\"provider\":\"bos\",\"events\":[$GOOD]}")
check "provider bos (the vault's own tracking): 400" test "$s" = 400
s=$(breq "$BT" POST /outreach/events "{\"provider\":\"sendgrid\",\"events\":[$GOOD],\"extra\":1}")
check "an unknown field: 400" test "$s" = 400
jq -cn --argjson at "$NOW" '{provider:"sendgrid", events:[range(1001) | {id:"x\(.)", kind:"opened", at:$at}]}' >"$T/1001.json"
s=$(curl -s -o "$T/b.json" -w '%{http_code}' --unix-socket "$S/vault.sock" -H "Authorization: Bearer $BT" \
	-H 'Content-Type: application/json' --data-binary "@$T/1001.json" http://vault/outreach/events)
check "1001 events: 400" test "$s" = 400

# ---- Twilio's signature, checked by the vault ---------------------------------------------------
URL1=https://hooks.example.com/hooks/twilio/status
URL2=https://hooks.example.com:443/hooks/twilio/status
b64() { printf '%s' "$1" | base64 -w0; }
hmac() { printf '%s' "$2" | openssl dgst "-$1" -hmac "$TW_TOKEN" -binary | base64 -w0; }
PARAMS="AccountSid${TW_SID}From+442079460958MessageSidSM0004MessageStatusdelivered"
# twilio EVENTS SCHEME ACCOUNT SIGNATURE: the body of a verified post.
twilio() {
	jq -cn --argjson ev "$1" --arg sc "$2" --arg ac "$3" --arg sig "$4" --arg c1 "$(b64 "$URL1$PARAMS")" \
		--arg c2 "$(b64 "$URL2$PARAMS")" \
		'{provider:"twilio", events:$ev, verify:{scheme:$sc, account:$ac, candidates:[$c1,$c2], signature:$sig}}'
}
TEV=$(jq -cn --argjson at "$NOW" '[{id:"SM0004:delivered", kind:"delivered", at:$at, provider_id:"SM0004"},
	{id:"SMin1:stop", kind:"stop", at:$at, address:"+44 20 7946 0958"}]')
WRONG=$(printf '%s' "$URL1$PARAMS" | openssl dgst -sha1 -hmac "not the token" -binary | base64 -w0)
s=$(breq "$BT" POST /outreach/events "$(twilio "$TEV" twilio-sha1 "$TW_SID" "$WRONG")")
check "Twilio, a signature made with another secret: 401 bad_signature" \
	bash -c "[ '$s' = 401 ] && [ '$(bcode)' = bad_signature ]"
s=$(breq "$BT" POST /outreach/events "$(twilio "$TEV" twilio-sha1 AC00000000000000000000000000000000 "$(hmac sha1 "$URL2$PARAMS")")")
check "Twilio, an account no credential has: 401 bad_signature" \
	bash -c "[ '$s' = 401 ] && [ '$(bcode)' = bad_signature ]"
s=$(breq "$BT" POST /outreach/events "$(twilio "$TEV" twilio-sha1 "$TW_SID" "$(hmac sha256 "$URL2$PARAMS")")")
check "Twilio, a SHA-256 MAC as a SHA-1 scheme: 400 (wrong length)" test "$s" = 400
check "  nothing recorded, nothing suppressed" bash -c "
	[ \"\$('$BOS_TESTBIN/bos_dbtool' '$S' \"SELECT count(*) FROM outreach_events WHERE provider = 'twilio'\")\" = 0 ] &&
	[ \"\$('$BOS_TESTBIN/bos_dbtool' '$S' \"SELECT count(*) FROM outreach_suppressions WHERE address = '+442079460958'\")\" = 0 ]"
s=$(breq "$BT" POST /outreach/events "$(twilio "$TEV" twilio-sha1 "$TW_SID" "$(hmac sha1 "$URL2$PARAMS")")")
check "Twilio, the right HMAC-SHA1 (of the second candidate): 200, 1 recorded, 1 unmatched" \
	bash -c "[ '$s' = 200 ] && jq -e '.recorded == 1 and .unmatched == 1' '$T/b.json' >/dev/null"
check "  the STOP suppressed the number for SMS" has "$(api GET '/outreach/suppressions?channel=sms')" \
	'[.suppressions[] | select(.address == "+442079460958" and .reason == "stop"
	and .source == "event:twilio")] | length == 1'
START=$(jq -cn --argjson at "$NOW" '[{id:"SMin2:start", kind:"start", at:$at, address:"+442079460958"}]')
s=$(breq "$BT" POST /outreach/events "$(twilio "$START" twilio-sha256 "$TW_SID" "$(hmac sha256 "$URL1$PARAMS")")")
check "Twilio, HMAC-SHA256 (of the first candidate): 200; the START lifted the STOP" bash -c "[ '$s' = 200 ] &&
	jq -e '[.suppressions[] | select(.address == \"+442079460958\")] == []' <<<'$(api GET /outreach/suppressions)' >/dev/null"
s=$(breq "$BT" POST /outreach/events "$(jq -cn --argjson ev "$START" '{provider:"sendgrid", events:$ev,
	verify:{scheme:"twilio-sha1", account:"AC1", candidates:["YQ=="], signature:"YQ=="}}')")
check "verify with provider sendgrid: 400" test "$s" = 400

# ---- stats ---------------------------------------------------------------------------------------
out=$(api GET "/outreach/stats?campaign=$CP")
check "GET /outreach/stats?campaign=: sent 3, delivered 2, opened 1, clicked 1, bounced 1" has "$out" \
	--arg cp "$CP" '.campaign == $cp and .sent == 3 and .delivered == 2 and .opened == 1 and
	.clicked == 1 and .bounced == 1 and .replied == 0 and .unsubscribed == 0 and .failed == 0'
check "  rates to 4 decimals (2/3 is 0.6667, 1/3 0.3333, 0 is 0)" has "$out" \
	'.rates == {delivered:0.6667, bounced:0.3333, opened:0.3333, clicked:0.3333, replied:0, unsubscribed:0}'
check "  printed as 0.6667, not a long binary fraction" grep -q '"delivered":0.6667' "$T/api.body"
out=$(api GET /outreach/stats)
check "GET /outreach/stats: every campaign together (sent 4, delivered 3)" has "$out" \
	'.campaign == null and .sent == 4 and .delivered == 3 and .rates.delivered == 0.75'
api GET /outreach/stats?campaign=cp_zzzzzzzzzzzzzzzzzzzzzzzzzz >/dev/null
check "an unknown campaign: 404" test "$(st)" = 404
DB "INSERT INTO outreach_campaigns (id, channel, list_id, provider, credential, from_addr, subject,
	text_body, per_minute, state, next_send_at, price_micros, currency, recipients, skipped,
	created_by, created_at, updated_at) VALUES ('cp_cccccccccccccccccccccccccc', 'email', '$LIST',
	'sendgrid', '$SG', 'me@example.com', 'Hi', 'text', 10, 'draft', 0, 0, 'USD', 0, 0, 'alice', 0, 0)" >/dev/null
check "a campaign that sent nothing: rates null" has "$(api GET /outreach/stats?campaign=cp_cccccccccccccccccccccccccc)" \
	'.sent == 0 and .rates == {delivered:null, bounced:null, opened:null, clicked:null, replied:null, unsubscribed:null}'

# ---- helpers and brokers on the admin routes ------------------------------------------------------
H=$(api POST /helpers '{"name":"Dana","contact":"dana@example.com","kind":"outreach"}' | jq -r .id)
HT=$(api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"]}" | jq -r .token)
check "setup: a helper token" bash -c "[[ '$HT' == bos_h_* ]]"
for r in "GET /outreach/lists" "POST /outreach/lists" "GET /outreach/lists/$LIST" \
	"GET /outreach/lists/$LIST/contacts" "POST /outreach/lists/$LIST/contacts" "GET /outreach/suppressions" \
	"POST /outreach/suppressions" "DELETE /outreach/suppressions/a@example.com" "GET /outreach/stats"; do
	body=; [ "${r%% *}" = POST ] && body='{}'
	s=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$S/tls/cert.pem" -X "${r%% *}" \
		-H "Authorization: Bearer $HT" ${body:+-H 'Content-Type: application/json' --data-binary "$body"} "$URL${r#* }")
	b=$(breq "$BT" "${r%% *}" "${r#* }" "$body")
	check "$r: a helper 403, a broker 403" test "$s:$b" = 403:403
done
s=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$S/tls/cert.pem" -X POST -H "Authorization: Bearer $HT" \
	-H 'Content-Type: application/json' --data-binary "$EV1" "$URL/outreach/events")
check "POST /outreach/events with a helper token: 403" test "$s" = 403

# ---- the audit trail and the log --------------------------------------------------------------------
areq POST /outreach/lists "$SESSION" "$(jq -cn --arg d "$(printf 'email\nzed@example.com\nyan@example.com\n')" '{name:"audited", format:"csv", data:$d}')"
RID=$ARID
areq POST /outreach/events "@sock:$BT" "$(twilio "$(jq -cn --argjson at "$NOW" '[{id:"SM0004:sent", kind:"deferred", at:$at, provider_id:"SM0004"}]')" twilio-sha1 "$TW_SID" "$(hmac sha1 "$URL1$PARAMS")")"
ERID=$ARID
check "setup: an audited import (201) and a verified post (200)" test "$ARS" = 200
audit_fetch "$T/trail.json" >/dev/null || notok "reading the audit trail"
check "the import's record names the list and the counts, not the contacts" \
	jq -e --arg r "$RID" '[.[] | select(.request_id == $r)] | length == 1 and (.[0] |
	.action == "outreach_list_create" and (.resource | test("^/outreach/lists/ol_")) and
	(.reason | test("2 contacts imported, 0 duplicates")) and (.reason | test("@") | not))' "$T/trail.json"
check "the events' record names the provider, the counts and the credential that verified" \
	jq -e --arg r "$ERID" --arg tw "$TW" '[.[] | select(.request_id == $r)] | length == 1 and (.[0] |
	.action == "outreach_events" and (.reason | test("1 twilio event\\(s\\): 1 recorded")) and
	(.reason | test("verified with credential " + $tw)))' "$T/trail.json"
check "the refused signatures are recorded as deny with bad_signature" \
	jq -e '[.[] | select(.action == "outreach_events" and .decision == "deny" and
	(.reason | test("^bad_signature")))] | length == 2' "$T/trail.json"
check "no record holds a contact of an import (ann, dan, erin, zed)" bash -c \
	"! grep -qiE 'ann@example|dan@example|erin@example|zed@example|yan@example' '$T/trail.json'"
check "the Twilio secret is in neither the trail nor the log" bash -c \
	"! grep -qF '$TW_TOKEN' '$T/trail.json' && ! grep -qF '$TW_TOKEN' '$T/vault.log'"
check "the log names no contact of an import either" bash -c \
	"! grep -qiE 'ann@example|dan@example|erin@example|zed@example' '$T/vault.log'"
finish
