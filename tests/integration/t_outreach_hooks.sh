#!/bin/bash
# bos-broker outreach's hooks listener (docs/OUTREACH.md "Events", "The
# outreach broker"): the real bos-broker with hooks_listen, the real vault,
# curl as the providers. Fixtures are judged by the vendors' own code
# (tests/tools/hooks_vendor.cjs): a SendGrid batch signed with a P-256 key
# made by openssl is accepted by @sendgrid/eventwebhook's verifySignature
# before it is sent; Twilio signatures come from twilio's
# getExpectedTwilioSignature.
# Negative: a bad, missing, stale or future SendGrid signature -> 401; a
# Twilio callback without a signature -> 401, with a wrong one -> the
# vault's 401; a body over hooks_body_max -> 413 (Content-Length and
# chunked; a chunked stream far past it is cut off); malformed JSON (signed), form or multipart -> 400; two
# Content-Length headers -> 400; unknown paths and bad tokens -> 404; a
# wrong method -> 405; TLS 1.1 refused; a 17th connection from one address
# refused until the idle ones time out. Positive: TLS 1.2 and 1.3; the
# pixel is the 43-byte GIF whatever the vault says, with no-store; the
# unsubscribe page is a POST form without script. Nothing of a body, no
# whole token and no address reach the broker's log; the broker runs in
# seccomp filter mode with the listener.
# With the vault's outreach routes (merged from the other issue #16
# branches): a signed batch is recorded (200), its replay is a duplicate,
# a Twilio callback signed with the credential's auth token is recorded and
# a wrong signature is the vault's 401; an unknown click token -> 404.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"

BROKER=$BOS_BIN/bos-broker
VENDOR="node $(cd "$(dirname "$0")/../tools" && pwd)/hooks_vendor.cjs"
ME=$(id -u)
command -v node >/dev/null || { ok "skipped: no node (the vendors' signers)"; finish; }

# A vault that has campaigns (issue #16's other branches) gets their settings.
PUBLIC=https://hooks.example.test
VSET=("broker_uid_outreach = $ME")
CAMP=0
if grep -qa outreach_public_url "$BOS_BIN/bos-vaultd"; then
	CAMP=1
	VSET+=("outreach_public_url = $PUBLIC/" "outreach_postal_address = 1 Main St, Springfield"
		"outreach_reply_domain = reply.example.test")
fi
check "the vault has campaigns (outreach_public_url is a setting it knows)" test "$CAMP" = 1
check "vault up (outreach broker from uid $ME, campaigns: $CAMP)" api_up "$T/s" "${VSET[@]}" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
OUT=$(broker_add outreach hooks1)
check "an outreach broker registered" bash -c "[[ '$OUT' == bos_b_* ]]" || finish
printf '%s\n' "$OUT" >"$T/out.token" && chmod 0600 "$T/out.token"

# The listener's certificate (P-256, for 127.0.0.1) and SendGrid's webhook key pair.
H=$T/hooks; mkdir -p "$H"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$H/key.pem" \
	-out "$H/cert.pem" -days 2 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
chmod 0600 "$H/key.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$H/sg.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$H/other.pem" 2>/dev/null
chmod 0600 "$H/other.pem"
SGPUB=$(openssl pkey -in "$H/sg.pem" -pubout -outform DER | base64 -w0)
check "test keys made (openssl)" test -s "$H/cert.pem" -a -n "$SGPUB" || finish

# One message of a real campaign, sent by a curl broker before bos-broker starts (so that
# bos-broker, which also claims send jobs, finds none): its token and id for the
# tracking paths and the events below.
MTOK= MID= CID=
if [ $CAMP = 1 ]; then
	CURLB=$(broker_add outreach curl1)
	api POST /credentials "{\"name\":\"sg-hooks\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"SG.$(canary sg)\"}" >/dev/null
	LID=$(api POST /outreach/lists '{"name":"hooks","format":"json","contacts":[{"email":"lead1@example.com","name":"Lead","consent":"email"}]}' |
		jq -r '.list.id // empty')
	[ -n "$LID" ] && CID=$(api POST /outreach/email "{\"list\":\"$LID\",\"from\":\"News <news@example.com>\",\"subject\":\"Hi\",\"text\":\"Hello\",\"html\":\"<html><body><a href=\\\"https://example.com/offer?a=1\\\">offer</a></body></html>\",\"provider\":\"sendgrid\"}" |
		jq -r '.campaign.id // empty')
	if [ -n "$CID" ]; then
		CST=$(breq "$CURLB" POST /jobs/claim '{"kinds":["send_email"],"wait":0}')
		JOB=$(jq -r '.job.id // empty' "$T/b.json"); CLAIM=$(jq -r '.job.claim // empty' "$T/b.json")
		breq "$CURLB" GET "/outreach/sends/$JOB?claim=$CLAIM" >/dev/null
		MTOK=$(jq -r '.message.token // empty' "$T/b.json"); MID=$(jq -r '.message.id // empty' "$T/b.json")
		a=$(breq "$CURLB" POST "/outreach/sends/$JOB/sending" "{\"claim\":\"$CLAIM\"}")
		b=$(breq "$CURLB" POST "/outreach/sends/$JOB/sent" "{\"claim\":\"$CLAIM\",\"provider_id\":\"sgmsg1\"}")
		c=$(breq "$CURLB" POST "/jobs/$JOB/complete" "{\"claim\":\"$CLAIM\",\"result\":{\"provider_id\":\"sgmsg1\"}}")
		check "a campaign's message sent by a curl broker (token, sending, sent, complete: $a $b $c)" \
			test "${#MTOK}:$a$b$c" = 22:200200200 || MTOK=
	else
		ok "campaigns: no list or campaign could be made (routes not merged yet): tracking of a real token skipped"
	fi
fi

HP=$(free_port)
{
	echo "vault_socket = $S/vault.sock"; echo "token_file = $T/out.token"; echo "claim_wait = 2"
	echo "hooks_listen = 127.0.0.1:$HP"; echo "hooks_cert = $H/cert.pem"
	echo "hooks_key = $H/key.pem"; echo "hooks_public_url = $PUBLIC/"
	echo "sendgrid_webhook_key = $SGPUB"; echo "hooks_body_max = 65536"
} >"$T/out.conf"
"$BROKER" outreach --config "$T/out.conf" >"$T/out.log" 2>&1 & BPID=$!; bg_track $BPID
for _ in $(seq 100); do grep -q 'ready:' "$T/out.log" && break; sleep 0.1; done
check "bos-broker outreach starts with the listener" grep -q "hooks: listening on 127.0.0.1:$HP" \
	"$T/out.log" || { sed 's/^/# /' "$T/out.log"; finish; }
if grep -q 'sandbox: seccomp' "$T/out.log"; then
	check "the broker runs in seccomp filter mode with the listener" grep -qP '^Seccomp:\t2$' \
		"/proc/$BPID/status"
else
	ok "seccomp: not checked (null sandbox)"
fi

# hk METHOD PATH [curl args...]: status; body in $T/h.out, headers in $T/h.hdr.
hk() {
	local m=$1 p=$2; shift 2
	curl -s -X "$m" -o "$T/h.out" -D "$T/h.hdr" -w '%{http_code}' --max-time 20 \
		--cacert "$H/cert.pem" "$@" "https://127.0.0.1:$HP$p" || true
}
hdr() { grep -i "^$1:" "$T/h.hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# SendGrid: sg_sign FILE TS [KEY]: the signature over TS || FILE's bytes.
sg_sign() {
	{ printf '%s' "$2"; cat "$1"; } | openssl dgst -sha256 -sign "${3:-$H/sg.pem}" | base64 -w0
}
# sg_post FILE TS SIG [curl args...]: POST /hooks/sendgrid/events with the two headers.
sg_post() {
	local f=$1 ts=$2 sig=$3; shift 3
	hk POST /hooks/sendgrid/events -H 'Content-Type: application/json' \
		-H "X-Twilio-Email-Event-Webhook-Signature: $sig" \
		-H "X-Twilio-Email-Event-Webhook-Timestamp: $ts" --data-binary "@$f" "$@"
}
EVID=ev$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
CAN=$(canary body)
MAIL=lead-$(canary m)@example.test
printf '[{"email":"%s","timestamp":%s,"event":"delivered","sg_event_id":"%s","sg_message_id":"nomatch1.filter","subject":"%s"}]' \
	"$MAIL" "$(date +%s)" "$EVID" "$CAN" >"$T/sg1.json"
NOW=$(date +%s)
SIG=$(sg_sign "$T/sg1.json" "$NOW")
check "the vendor's verifySignature accepts the fixture" \
	test "$($VENDOR sg-verify "$SGPUB" "$SIG" "$NOW" "$T/sg1.json")" = ok
check "the vendor's verifySignature refuses it with another timestamp (control)" \
	test "$($VENDOR sg-verify "$SGPUB" "$SIG" "$((NOW + 1))" "$T/sg1.json")" = bad

# Does this vault have the outreach routes yet (other branches of issue #16)?
VR=$(breq "$OUT" POST /outreach/events '{"provider":"sendgrid","events":[]}')
ROUTES=1; [ "$VR" = 404 ] && ROUTES=0
check "the vault has the outreach routes (/outreach/events answers $VR to an empty batch, not 404)" \
	test "$ROUTES" = 1

st=$(sg_post "$T/sg1.json" "$NOW" "$SIG")
if [ $ROUTES = 1 ]; then
	check "a signed SendGrid batch is recorded: 200 ($st)" test "$st" = 200
	sleep 0.2
	check "the broker says what the vault did with it (1 event, unmatched, no duplicate)" \
		grep -q 'hooks: sendgrid: 1 events, 0 recorded, 0 duplicates, 1 unmatched' "$T/out.log"
	NOW2=$(date +%s)
	st=$(sg_post "$T/sg1.json" "$NOW2" "$(sg_sign "$T/sg1.json" "$NOW2")")
	check "its replay (signed again) is answered 200 ($st)" test "$st" = 200
	sleep 0.2
	check "the vault counted the replay as a duplicate" \
		grep -q 'hooks: sendgrid: 1 events, 0 recorded, 1 duplicates, 0 unmatched' "$T/out.log"
	# One event the vault refuses (an address it cannot read) does not sink its batch.
	printf '[{"email":"no address here","timestamp":%s,"event":"delivered","sg_event_id":"x1-%s"},{"email":"b@example.test","timestamp":%s,"event":"delivered","sg_event_id":"x2-%s"}]' \
		"$NOW2" "$EVID" "$NOW2" "$EVID" >"$T/sg3.json"
	st=$(sg_post "$T/sg3.json" "$NOW2" "$(sg_sign "$T/sg3.json" "$NOW2")")
	sleep 0.2
	check "a batch with one event the vault refuses: 200, the other kept, the refusal counted ($st)" \
		bash -c "[ '$st' = 200 ] && grep -q 'the vault refused 1 of 2 events' '$T/out.log' &&
		grep -q 'hooks: sendgrid: 1 events, 0 recorded, 0 duplicates, 1 unmatched' '$T/out.log'"
else
	check "a signed SendGrid batch, vault without the route: 503 so SendGrid retries ($st)" \
		test "$st" = 503
fi
st=$(sg_post "$T/sg1.json" "$NOW" "$(sg_sign "$T/sg1.json" "$NOW" "$H/other.pem")")
check "SendGrid signed with another key: 401 ($st)" test "$st" = 401
check "the answer says bad_signature" grep -q '"bad_signature"' "$T/h.out"
st=$(sg_post "$T/sg1.json" "$((NOW + 1))" "$SIG")
check "SendGrid with the timestamp changed: 401 ($st)" test "$st" = 401
OLD=$((NOW - 301)); st=$(sg_post "$T/sg1.json" "$OLD" "$(sg_sign "$T/sg1.json" "$OLD")")
check "SendGrid stale timestamp (301 s old, correctly signed): 401 ($st)" test "$st" = 401
FUT=$((NOW + 400)); st=$(sg_post "$T/sg1.json" "$FUT" "$(sg_sign "$T/sg1.json" "$FUT")")
check "SendGrid future timestamp (400 s ahead, correctly signed): 401 ($st)" test "$st" = 401
check "the vendor would accept that future one (our window is stricter)" \
	test "$($VENDOR sg-verify "$SGPUB" "$(sg_sign "$T/sg1.json" "$FUT")" "$FUT" "$T/sg1.json")" = ok
st=$(hk POST /hooks/sendgrid/events -H 'Content-Type: application/json' --data-binary "@$T/sg1.json")
check "SendGrid without signature headers: 401 ($st)" test "$st" = 401
printf '[{"event":"open","sg_event_id":' >"$T/bad.json"
st=$(sg_post "$T/bad.json" "$NOW" "$(sg_sign "$T/bad.json" "$NOW")")
check "malformed JSON, correctly signed: 400 ($st)" test "$st" = 400
printf '{"event":"open"}' >"$T/obj.json"
st=$(sg_post "$T/obj.json" "$NOW" "$(sg_sign "$T/obj.json" "$NOW")")
check "a JSON object instead of an array, signed: 400 ($st)" test "$st" = 400
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big.json"
st=$(sg_post "$T/big.json" "$NOW" "$SIG" -H 'Expect: 100-continue')
check "a body over hooks_body_max (Content-Length, Expect: 100-continue): 413 before the body ($st)" \
	test "$st" = 413
st=$(sg_post "$T/big.json" "$NOW" "$SIG" -H 'Expect:')
check "the same without Expect: 413, or closed while the body is sent ($st)" \
	bash -c "[ '$st' = 413 ] || [ '$st' = 000 ]"
st=$(hk POST /hooks/sendgrid/events -H 'Transfer-Encoding: chunked' --data-binary "@$T/big.json")
check "a body over hooks_body_max (chunked): 413 ($st)" test "$st" = 413
head -c 2000000 /dev/zero >"$T/huge.json"
st=$(hk POST /hooks/sendgrid/events -H 'Transfer-Encoding: chunked' --data-binary "@$T/huge.json")
check "a chunked stream far past the limit is cut off (413, or closed after 100 Continue: $st)" \
	bash -c "[ '$st' = 413 ] || [ '$st' = 000 ] || [ '$st' = 100 ]"
st=$(hk GET /nope)
check "the listener still serves after that ($st)" test "$st" = 404

# Two Content-Length headers (request smuggling): refused, raw over TLS.
printf 'POST /hooks/sendgrid/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n[]' |
	timeout 5 openssl s_client -quiet -connect "127.0.0.1:$HP" -CAfile "$H/cert.pem" 2>/dev/null >"$T/raw.out"
check "two Content-Length headers: 400" grep -q '^HTTP/1.1 400' "$T/raw.out"

# Twilio: the form, signed by the vendor's code with the credential's auth token.
AUTH=$(canary tw | tr 'A-Z' 'a-z' | head -c 32)
ACC=AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
MSID=SM$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
if [ $ROUTES = 1 ]; then
	api POST /credentials "{\"name\":\"twilio-hooks\",\"type\":\"api_key\",\"service\":\"twilio\",\"secret\":\"$AUTH\",\"metadata\":{\"account_sid\":\"$ACC\"}}" >/dev/null
fi
printf 'MessageSid=%s&MessageStatus=delivered&AccountSid=%s&From=%%2B15551230000&To=%%2B15559870000&Price=-0.00790&PriceUnit=USD' \
	"$MSID" "$ACC" >"$T/tw.form"
TWSIG=$($VENDOR tw-sign "$AUTH" "$PUBLIC/hooks/twilio/status" "$T/tw.form")
tw_post() {
	hk POST /hooks/twilio/status -H 'Content-Type: application/x-www-form-urlencoded' \
		${2:+-H "X-Twilio-Signature: $2"} --data-binary "@$1"
}
st=$(tw_post "$T/tw.form" "$TWSIG")
if [ $ROUTES = 1 ]; then
	check "a Twilio status callback signed with the auth token is recorded: 200 ($st)" test "$st" = 200
	st=$(tw_post "$T/tw.form" "$($VENDOR tw-sign "wrong$AUTH" "$PUBLIC/hooks/twilio/status" "$T/tw.form")")
	check "signed with another token: the vault's 401 ($st)" test "$st" = 401
else
	check "a signed Twilio callback, vault without the route: 503 ($st)" test "$st" = 503
fi
# An inbound STOP to a URL with a query string: the query is part of what Twilio signs.
printf 'MessageSid=%s&AccountSid=%s&From=%%2B15551230000&To=%%2B15559870000&Body=stop' \
	"SM$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" "$ACC" >"$T/in.form"
INSIG=$($VENDOR tw-sign "$AUTH" "$PUBLIC/hooks/twilio/inbound?n=1" "$T/in.form")
st=$(hk POST '/hooks/twilio/inbound?n=1' -H 'Content-Type: application/x-www-form-urlencoded' \
	-H "X-Twilio-Signature: $INSIG" --data-binary "@$T/in.form")
if [ $ROUTES = 1 ]; then
	check "an inbound STOP signed over URL and query is recorded: 200 ($st)" test "$st" = 200
	st=$(hk POST '/hooks/twilio/inbound?n=2' -H 'Content-Type: application/x-www-form-urlencoded' \
		-H "X-Twilio-Signature: $INSIG" --data-binary "@$T/in.form")
	check "the same signature on another query: the vault's 401 ($st)" test "$st" = 401
else
	check "an inbound STOP, vault without the route: 503 ($st)" test "$st" = 503
fi
st=$(tw_post "$T/tw.form" "")
check "Twilio without X-Twilio-Signature: 401 ($st)" test "$st" = 401
st=$(tw_post "$T/tw.form" "not-base64!")
check "Twilio with a signature that is not base64 of an HMAC: 401 ($st)" test "$st" = 401
printf 'MessageSid=%s&Body=%%zz&AccountSid=%s' "$MSID" "$ACC" >"$T/twbad.form"
st=$(tw_post "$T/twbad.form" "$TWSIG")
check "a form with a bad %-escape: 400 ($st)" test "$st" = 400
st=$(hk POST /hooks/twilio/inbound -H 'Content-Type: application/json' --data-binary '{}')
check "Twilio with a JSON body: 400 ($st)" test "$st" = 400

# SendGrid Inbound Parse: multipart.
st=$(hk POST /hooks/sendgrid/inbound -H 'Content-Type: multipart/form-data; boundary=zz' \
	--data-binary $'--zz\r\nContent-Disposition: form-data; name="to"\r\n\r\nx\r\n')
check "malformed multipart (no closing delimiter): 400 ($st)" test "$st" = 400
st=$(hk POST /hooks/sendgrid/inbound -F 'to=someone@example.test' -F "from=$MAIL" -F "text=$CAN")
check "a reply that is not to a reply+TOKEN address: 200, nothing forwarded ($st)" test "$st" = 200

# Tracking paths.
TOK=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | head -c 22)
st=$(hk GET "/o/$TOK.gif")
check "the open pixel: 200 whatever the vault says ($st)" test "$st" = 200
check "the pixel is the 43-byte GIF" bash -c "[ \$(stat -c %s '$T/h.out') -eq 43 ] && head -c 6 '$T/h.out' | grep -q GIF89a"
check "the pixel is not cached (Cache-Control: no-store)" test "$(hdr Cache-Control)" = no-store
check "the pixel is image/gif" test "$(hdr Content-Type)" = image/gif
st=$(hk GET "/c/$TOK/0")
if [ $ROUTES = 1 ]; then
	check "a click with an unknown token: 404, no redirect ($st)" \
		bash -c "[ '$st' = 404 ] && ! grep -qi '^location:' '$T/h.hdr'"
else
	check "a click, vault without the route: 404, no redirect ($st)" \
		bash -c "[ '$st' = 404 ] && ! grep -qi '^location:' '$T/h.hdr'"
fi
st=$(hk GET "/u/$TOK")
check "the unsubscribe page: 200 ($st)" test "$st" = 200
check "it is a POST form to /u/TOKEN, without script" \
	bash -c "grep -q 'method=\"post\" action=\"/u/$TOK\"' '$T/h.out' && ! grep -qi '<script' '$T/h.out'"
st=$(hk POST "/u/$TOK" --data-binary 'something=else')
check "an unsubscribe POST that is not List-Unsubscribe=One-Click: 400 ($st)" test "$st" = 400
for p in /nope /hooks/sendgrid /o/short.gif "/o/$TOK.png" "/c/$TOK/01" "/c/$TOK/x" "/u/$TOK/x" \
	"/u/${TOK:0:21}+"; do
	st=$(hk GET "$p")
	check "GET $p: 404 ($st)" test "$st" = 404
done
st=$(hk GET /hooks/sendgrid/events)
check "GET on a POST path: 405, Allow: POST ($st $(hdr Allow))" \
	bash -c "[ '$st' = 405 ] && [ '$(hdr Allow)' = POST ]"
st=$(hk POST "/o/$TOK.gif" --data-binary x)
check "POST on the pixel: 405, Allow: GET ($st $(hdr Allow))" \
	bash -c "[ '$st' = 405 ] && [ '$(hdr Allow)' = GET ]"
st=$(hk DELETE "/u/$TOK")
check "DELETE on the unsubscribe path: 405, Allow: GET, POST ($st)" \
	bash -c "[ '$st' = 405 ] && [ '$(hdr Allow)' = 'GET, POST' ]"

# TLS versions.
st=$(hk GET /nope --tls-max 1.2)
check "TLS 1.2 is accepted ($st)" test "$st" = 404
st=$(hk GET /nope --tlsv1.3)
check "TLS 1.3 is accepted ($st)" test "$st" = 404
st=$(hk GET /nope --tls-max 1.1 --tlsv1.1)
check "TLS 1.1 is refused ($st)" test "$st" = 000

# A real message's token (campaigns merged): the vault records, the listener answers.
if [ -n "$MTOK" ]; then
	st=$(hk GET "/o/$MTOK.gif")
	check "open pixel of a real message: 200 and the GIF ($st)" \
		bash -c "[ '$st' = 200 ] && [ \$(stat -c %s '$T/h.out') -eq 43 ]"
	sleep 0.2
	check "the vault recorded the open (the broker's log: open ${MTOK:0:4}... 200)" \
		grep -q "hooks: open ${MTOK:0:4}\.\.\. 200" "$T/out.log"
	st=$(hk GET "/c/$MTOK/0")
	check "click on link 0: 302 to the campaign's link, from the vault ($st $(hdr Location))" \
		bash -c "[ '$st' = 302 ] && [ '$(hdr Location)' = 'https://example.com/offer?a=1' ]"
	st=$(hk GET "/c/$MTOK/7")
	check "click on a link the campaign does not have: 404, no redirect ($st)" \
		bash -c "[ '$st' = 404 ] && ! grep -qi '^location:' '$T/h.hdr'"
	st=$(hk POST "/u/$MTOK" -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary 'List-Unsubscribe=One-Click')
	check "one-click unsubscribe (RFC 8058) of a real message: 200 ($st)" test "$st" = 200
	check "the answer is the done page" grep -q 'You are unsubscribed' "$T/h.out"
	if [ $ROUTES = 1 ]; then
		printf '[{"email":"lead1@example.com","timestamp":%s,"event":"delivered","sg_event_id":"d-%s","sg_message_id":"sgmsg1.filterdrecv-1.2","bos_message":"%s","bos_token":"%s"},{"email":"lead1@example.com","timestamp":%s,"event":"open","sg_event_id":"o-%s","sg_message_id":"sgmsg1.x"}]' \
			"$(date +%s)" "$EVID" "$MID" "$MTOK" "$(date +%s)" "$EVID" >"$T/sg2.json"
		NOW=$(date +%s)
		st=$(sg_post "$T/sg2.json" "$NOW" "$(sg_sign "$T/sg2.json" "$NOW")")
		check "SendGrid events of the real message (by bos_message, by sg_message_id): 200 ($st)" \
			test "$st" = 200
		sleep 0.2
		check "both recorded" grep -q 'hooks: sendgrid: 2 events, 2 recorded, 0 duplicates, 0 unmatched' "$T/out.log"
		mp=$(printf -- '--zz\r\nContent-Disposition: form-data; name="to"\r\n\r\nNews <reply+%s@reply.example.test>\r\n--zz\r\nContent-Disposition: form-data; name="from"\r\n\r\nLead <lead1@example.com>\r\n--zz\r\nContent-Disposition: form-data; name="text"\r\n\r\n%s\r\n--zz--\r\n' "$MTOK" "$CAN")
		st=$(hk POST /hooks/sendgrid/inbound -H 'Content-Type: multipart/form-data; boundary=zz' --data-binary "$mp")
		check "a reply through Inbound Parse to reply+TOKEN@: 200 ($st)" test "$st" = 200
		st=$(api GET "/outreach/stats?campaign=$CID" >"$T/stats.json"; st)
		if [ "$st" = 200 ]; then
			check "stats moved: delivered, opened, clicked, replied, unsubscribed 1 each" \
				jq -e '[.. | objects | select(has("sent"))][0] | .delivered == 1 and .opened == 1 and .clicked == 1 and .replied == 1 and .unsubscribed == 1' "$T/stats.json"
		else
			ok "stats: GET /outreach/stats answers $st (not merged): not checked"
		fi
	fi
fi

# Connection limits: 16 idle connections from one address fill its share, the 17th is
# refused; the idle ones are closed by the listener after its 15 s timeout, then it serves again.
IDLE=()
for _ in $(seq 16); do
	openssl s_client -quiet -connect "127.0.0.1:$HP" -CAfile "$H/cert.pem" \
		< <(exec sleep 30 2>/dev/null) >/dev/null 2>&1 & IDLE+=($!); bg_track $!
done
sleep 1.5
st=$(hk GET /nope --max-time 5)
check "a 17th connection from the same address is refused ($st)" test "$st" = 000
t0=$(date +%s)
for _ in $(seq 40); do st=$(hk GET /nope --max-time 5); [ "$st" = 404 ] && break; sleep 1; done
t1=$(date +%s)
check "idle connections are closed after the timeout, then it serves again ($st after $((t1 - t0)) s)" \
	bash -c "[ '$st' = 404 ] && [ $((t1 - t0)) -le 25 ]"
for p in "${IDLE[@]}"; do kill "$p" 2>/dev/null; done

# What the log must not hold.
sleep 0.3
check "no body content in the broker's log" test "$(count_in "$CAN" "$T/out.log")" -eq 0
check "no recipient address in the broker's log" test "$(count_in "$MAIL" "$T/out.log")" -eq 0
check "no whole tracking token in the broker's log" test "$(count_in "$TOK" "$T/out.log")" -eq 0
check "the token's first characters are (the log names requests)" \
	test "$(count_in "${TOK:0:4}..." "$T/out.log")" -gt 0
check "no Twilio signature in the broker's log" test "$(count_in "$TWSIG" "$T/out.log")" -eq 0
check "the broker's token is not in its log" test "$(count_in "$OUT" "$T/out.log")" -eq 0
check "the broker is still running" kill -0 "$BPID"

kill -TERM "$BPID"; wait "$BPID"; rc=$?
check "SIGTERM: the broker with its listener exits 0 ($rc)" test "$rc" -eq 0
check "the listener's port is closed after exit" bash -c "! ss -ltnH 'sport = :$HP' | grep -q ."

# Settings refused at start.
refused() {
	local name=$1 pat=$2; shift 2
	local l keys=""
	for l in "$@"; do keys="$keys|${l%% =*}"; done
	{ grep -vE "^(${keys#|}) =" "$T/out.conf"; for l in "$@"; do echo "$l"; done; } >"$T/bad.conf"
	timeout 10 "$BROKER" outreach --config "$T/bad.conf" --once >"$T/bad.log" 2>&1; local rc=$?
	if [ "$rc" -eq 1 ] && grep -q -- "$pat" "$T/bad.log" && ! grep -q 'ready:' "$T/bad.log"; then
		ok "refused: $name"
	else
		notok "refused: $name (rc $rc)"; sed 's/^/#   /' "$T/bad.log"
	fi
}
refused "hooks_public_url over http" "hooks_public_url must be" "hooks_public_url = http://x.test"
refused "hooks_listen without a port" "hooks_listen must be" "hooks_listen = 127.0.0.1"
refused "hooks_listen on a name" "hooks_listen must be" "hooks_listen = localhost:$HP"
refused "a SendGrid key that is not P-256 SPKI" "sendgrid_webhook_key" "sendgrid_webhook_key = bm90IGEga2V5"
refused "hooks_body_max of 10" "hooks_body_max must be" "hooks_body_max = 10"
chmod 0644 "$H/key.pem"
refused "a TLS key others can read" "mode 0400 or 0600" "hooks_key = $H/key.pem"
chmod 0600 "$H/key.pem"
refused "a certificate that does not match the key" "did not start" "hooks_key = $H/other.pem"
grep -v '^hooks_cert' "$T/out.conf" >"$T/bad.conf"
timeout 10 "$BROKER" outreach --config "$T/bad.conf" --once >"$T/bad.log" 2>&1; rc=$?
check "refused: hooks_listen without hooks_cert (rc $rc)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'needs hooks_cert' '$T/bad.log'"
finish
