#!/bin/bash
# The credentials API over HTTPS with a full admin session: the whole life of
# a credential, cards never shown unmasked except by a secret read, the
# bad-input set answered with the documented 4xx and no change to the
# database, 503 while the database is locked, no secret in the log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

api_up "$T/s" body_max_bytes=4096 || { notok "vault starts"; finish; }
PW="correct horse battery $(canary p)"
check "admin created and signed in" admin_setup alice "$PW"
DB="$BOS_TESTBIN/bos_dbtool"
counts() { "$DB" "$S" "SELECT (SELECT count(*) FROM credentials) || '/' || (SELECT count(*) FROM credential_versions)"; }

# --- life of a credential ---
K1=$(canary k1); K2=$(canary k2)
out=$(api POST /credentials "{\"name\":\"sendgrid-main\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$K1\",\"metadata\":{\"owner\":\"ops\"}}")
check "create: 201" test "$(st)" = 201
ID=$(jq -r .id <<<"$out")
check "create: returns an id and version 1" jq -e '.id|startswith("cr_")' <<<"$out"
check "create: returns metadata" jq -e '.metadata.owner=="ops" and .version==1 and .status=="active"' <<<"$out"
check "create: no secret in the response" bash -c "! grep -qF '$K1' <<<'$out'"
out=$(api GET /credentials)
check "list: 200 with the credential" jq -e ".credentials|map(.id)|index(\"$ID\")!=null" <<<"$out"
check "list: no secret" bash -c "! grep -qF '$K1' <<<'$out'"
out=$(api GET "/credentials?service=sendgrid&type=api_key")
check "list filtered by service and type" jq -e '.credentials|length==1' <<<"$out"
out=$(api GET "/credentials?service=twilio")
check "list filtered to nothing" jq -e '.credentials|length==0' <<<"$out"
out=$(api GET "/credentials/$ID")
check "get: 200 with the secret" jq -e ".secret==\"$K1\" and .secret_version==1" <<<"$out"
out=$(api PUT "/credentials/$ID" "{\"secret\":\"$K2\"}")
check "update: 200, version 2" jq -e '.version==2' <<<"$out"
check "get: the new secret" test "$(api GET "/credentials/$ID" | jq -r .secret)" = "$K2"
check "get ?version=1: the old secret" test "$(api GET "/credentials/$ID?version=1" | jq -r .secret)" = "$K1"
out=$(api GET "/credentials/$ID/versions")
check "versions: 1 and 2" jq -e '[.versions[].version]==[1,2]' <<<"$out"
api GET "/credentials/$ID?version=3" >/dev/null
check "get of a missing version: 404" test "$(st)" = 404
api GET "/credentials/$ID?version=zero" >/dev/null
check "get ?version=zero: 400" test "$(st)" = 400
out=$(api DELETE "/credentials/$ID")
check "revoke: 200, status revoked" jq -e '.status=="revoked"' <<<"$out"
out=$(api GET "/credentials/$ID")
check "revoked: read refused (410)" test "$(st)" = 410
check "revoked: error shape" jq -e '.error.code and .error.message' <<<"$out"
check "revoked: no secret" bash -c "! grep -qF -e '$K1' -e '$K2' <<<'$out'"
api PUT "/credentials/$ID" "{\"secret\":\"x\"}" >/dev/null
check "revoked: update refused (410)" test "$(st)" = 410
api DELETE "/credentials/$ID" >/dev/null
check "revoked: second revoke refused (410)" test "$(st)" = 410
api GET "/credentials/cr_aaaaaaaaaaaaaaaaaaaaaaaaaa" >/dev/null
check "unknown id: 404" test "$(st)" = 404

# --- cards: only first 6 and last 4, on every response but the secret read ---
luhn_pan() { # random Luhn-valid number of length $1, starting with a 4
	awk -v n="$1" -v seed="$RANDOM$RANDOM" 'BEGIN { srand(seed); s = "4";
		for (i = 2; i < n; i++) s = s int(rand() * 10);
		sum = 0; dbl = 1;
		for (i = n - 1; i >= 1; i--) { d = substr(s, i, 1) + 0; if (dbl) { d *= 2; if (d > 9) d -= 9 }
			sum += d; dbl = !dbl }
		print s ((10 - sum % 10) % 10) }'
}
bad=0 n=0 secret_ok=0
: >"$T/responses"
for i in $(seq 1 28); do
	len=$((13 + i % 7)); pan=$(luhn_pan $len); n=$((n + 1))
	out=$(api POST /credentials "{\"name\":\"card-$i\",\"type\":\"card\",\"service\":\"stripe\",\"secret\":\"$pan\"}")
	[ "$(st)" = 201 ] || { bad=$((bad + 1)); continue; }
	cid=$(jq -r .id <<<"$out")
	jq -e ".card.first6==\"${pan:0:6}\" and .card.last4==\"${pan: -4}\"" <<<"$out" >/dev/null || bad=$((bad + 1))
	{ echo "$out"; api GET /credentials; api GET "/credentials/$cid/versions"
	  api PUT "/credentials/$cid" "{\"secret\":\"$pan\"}"; api GET "/credentials?type=card"; } >>"$T/responses"
	[ "$(api GET "/credentials/$cid" | jq -r .secret)" = "$pan" ] && secret_ok=$((secret_ok + 1))
	grep -qF "$pan" "$T/responses" && bad=$((bad + 1))
	api DELETE "/credentials/$cid" >>"$T/responses"
	grep -qF "$pan" "$T/responses" && bad=$((bad + 1))
	echo "$pan" >>"$T/pans"
done
check "cards: $n random valid numbers (13-19 digits) accepted with first6/last4 right" test "$bad" -eq 0
check "cards: the secret read returns each whole number" test "$secret_ok" -eq "$n"
check "cards: no whole number in any create/list/versions/update/revoke response" \
	bash -c "! grep -qFf '$T/pans' '$T/responses'"

# --- bad input: the documented 4xx, and nothing changes ---
api POST /credentials '{"name":"dup","type":"secret","service":"s","secret":"x"}' >/dev/null
before=$(counts)
expect() { # expect STATUS CODE DESCRIPTION METHOD PATH [BODY]
	local st=$1 code=$2 d=$3; shift 3
	out=$(api "$@")
	if [ "$(st)" = "$st" ] && jq -e ".error.code==\"$code\"" <<<"$out" >/dev/null; then
		ok "$d: $st $code"
	else
		notok "$d: want $st $code, got $(st) $out"
	fi
}
expect 400 malformed_json "malformed JSON" POST /credentials '{"name":'
expect 400 malformed_json "invalid UTF-8" POST /credentials "$(printf '{"name":"\xff","type":"secret","service":"s","secret":"x"}')"
expect 400 malformed_json "duplicate key" POST /credentials '{"name":"a","name":"b","type":"secret","service":"s","secret":"x"}'
expect 400 unknown_field "unknown field" POST /credentials '{"name":"a","type":"secret","service":"s","secret":"x","color":"red"}'
expect 400 cvv_refused "a CVV in metadata" POST /credentials '{"name":"c","type":"card","service":"s","secret":"4111111111111111","metadata":{"cvv":"123"}}'
expect 400 cvv_refused "a CVV nested in metadata" POST /credentials '{"name":"c","type":"card","service":"s","secret":"4111111111111111","metadata":{"x":{"Card_CVC":"123"}}}'
expect 400 invalid "a card number followed by a CVV" POST /credentials '{"name":"c","type":"card","service":"s","secret":"4111111111111111 123"}'
expect 400 invalid "a card number failing Luhn" POST /credentials '{"name":"c","type":"card","service":"s","secret":"4111111111111112"}'
expect 400 invalid "a card number in metadata" POST /credentials '{"name":"m","type":"secret","service":"s","secret":"x","metadata":{"n":"4111 1111 1111 1111"}}'
expect 400 invalid "unknown type" POST /credentials '{"name":"t","type":"rocket","service":"s","secret":"x"}'
expect 400 invalid "secret not a string" POST /credentials '{"name":"t","type":"secret","service":"s","secret":42}'
expect 400 invalid "missing secret" POST /credentials '{"name":"t","type":"secret","service":"s"}'
expect 400 invalid "metadata not an object" POST /credentials '{"name":"t","type":"secret","service":"s","secret":"x","metadata":[1]}'
expect 400 invalid "empty secret" POST /credentials '{"name":"t","type":"secret","service":"s","secret":""}'
expect 409 conflict "duplicate name" POST /credentials '{"name":"dup","type":"secret","service":"s","secret":"y"}'
expect 404 not_found "unknown path" GET /nothing-here
expect 400 unknown_field "update with an extra field" PUT "/credentials/dup" '{"secret":"y","name":"z"}'
big=$(head -c 5000 /dev/zero | tr '\0' 'a')
expect 413 payload_too_large "a body over the limit" POST /credentials "{\"name\":\"b\",\"type\":\"secret\",\"service\":\"s\",\"secret\":\"$big\"}"
out=$(vcurl -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $SESSION" -H 'Content-Type: text/plain' \
	--data-binary '{"name":"t","type":"secret","service":"s","secret":"x"}' "$URL/credentials")
check "text/plain body: 415" test "$out" = 415
out=$(vcurl -i -X PATCH -H "Authorization: Bearer $SESSION" "$URL/credentials")
check "PATCH: 405 with Allow" bash -c "grep -q '^HTTP/[0-9.]* 405' <<<'$out' && grep -qi '^Allow: .*GET' <<<'$out'"
raw() { # send a raw request through openssl s_client, print the status line
	printf "$1" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" -CAfile "$S/tls/cert.pem" 2>/dev/null | head -1
}
body='{"name":"cl","type":"secret","service":"s","secret":"x"}'
out=$(raw "POST /credentials HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $SESSION\r\nContent-Type: application/json\r\nContent-Length: ${#body}\r\nContent-Length: ${#body}\r\nConnection: close\r\n\r\n$body")
check "duplicate Content-Length: 400" grep -q ' 400' <<<"$out"
out=$(raw "POST /credentials HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $SESSION\r\nContent-Type: application/json\r\nContent-Length: ${#body}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n$body")
check "Content-Length with Transfer-Encoding: 400" grep -q ' 400' <<<"$out"
check "nothing changed in the database" test "$(counts)" = "$before"

# --- 503 while another process holds the database ---
"$DB" "$S" "BEGIN IMMEDIATE" 8 >"$T/hold" 2>&1 &
HOLD=$!
for _ in $(seq 50); do grep -q holding "$T/hold" && break; sleep 0.1; done
out=$(api POST /credentials '{"name":"late","type":"secret","service":"s","secret":"x"}')
check "database locked by another process: 503" test "$(st)" = 503
check "503 says to retry" jq -e '.error.code=="busy"' <<<"$out" || echo "    got $(st) $out"
wait "$HOLD"
api POST /credentials '{"name":"late","type":"secret","service":"s","secret":"x"}' >/dev/null
check "after the lock is gone the same request works: 201" test "$(st)" = 201

# --- no secret, password or session token in the log or the database files ---
for c in "$K1" "$K2" "$PW" "$SESSION"; do
	check "log carries no canary ${c:0:8}..." test "$(count_in "$c" "$T/vault.log")" -eq 0
	check "db files carry no canary ${c:0:8}..." bash -c "! grep -a -q -F -- '$c' '$S/bos.db' '$S/bos.db-wal' 2>/dev/null"
done
finish
