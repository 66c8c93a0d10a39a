#!/bin/bash
# The HTTP core against the real bos-vaultd, with curl as the client: TLS 1.3
# only, the checks before handlers (404/405, smuggling, 413, 415, JSON,
# query), the error shape and headers of every answer, the unix socket,
# slowloris eviction and connection limits, an access log without secrets,
# start-up errors of the listeners and the TLS files. See docs/HTTP.md.
. "$(dirname "$0")/lib.sh"

S=$T/state
SLOW=$BOS_TESTBIN/http_slow
init_dev "$S" "body_max_bytes = 2048" "conn_limit = 4" "conn_timeout_seconds = 2" \
	|| { notok "init a development vault"; finish; }
CA=(--cacert "$S/tls/cert.pem")
count_creds() { "$BOS_TESTBIN/bos_dbtool" "$S" "SELECT count(*) FROM credentials" 2>/dev/null; }
CREDS_BEFORE=$(count_creds)
start_vault "$S" "$T/v.log" || { notok "bos-vaultd starts"; cat "$T/v.log"; finish; }
LOG=$T/v.log

# hreq CURL-ARGS...: one request; headers in $T/h, body in $T/b; prints the status.
hreq() { curl -sS -o "$T/b" -D "$T/h" -w '%{http_code}' --max-time 10 "${CA[@]}" "$@" 2>/dev/null; }
# is_error_shape CODE: the body is exactly {"error":{"code":CODE,"message":"..."}} ('*': any code).
is_error_shape() {
	jq -e --arg c "$1" '(keys == ["error"]) and (.error | keys == ["code", "message"]) and
		(.error.message | type == "string") and ($c == "*" or .error.code == $c)' "$T/b" >/dev/null 2>&1
}
has_header() { grep -qiE "^$1" "$T/h"; }
# expect DESC STATUS CODE CURL-ARGS...: status, error shape, JSON type and request id.
expect() {
	local d=$1 want=$2 code=$3 got; shift 3
	got=$(hreq "$@")
	if [ "$got" = "$want" ] && is_error_shape "$code" && has_header 'content-type: application/json' &&
		has_header 'x-request-id: r_[0-9a-f]{16}' && has_header 'cache-control: no-store'; then
		ok "$d: $want $code"
	else
		notok "$d: want $want $code, got $got $(head -c 300 "$T/b")"
	fi
}
JSON=(-H 'Content-Type: application/json')

# ---- TLS ----
check_not "TLS 1.2 is refused (curl --tls-max 1.2)" curl -sS --max-time 5 "${CA[@]}" --tls-max 1.2 "$URL/health"
check "TLS 1.3 works (curl --tlsv1.3)" curl -sSf --max-time 5 "${CA[@]}" --tlsv1.3 "$URL/health"
check "the certificate names 127.0.0.1 (no --insecure needed)" curl -sSf --max-time 5 "${CA[@]}" "$URL/health"

# ---- /health and the common headers ----
st=$(hreq "$URL/health")
check "GET /health: 200" test "$st" = 200
check "GET /health: {\"status\":\"ok\",\"hsm\":\"ok\"}" jq -e '.status == "ok" and .hsm == "ok"' "$T/b"
check "GET /health: Content-Type: application/json" has_header 'content-type: application/json'
check "GET /health: X-Request-Id: r_<16 hex>" has_header 'x-request-id: r_[0-9a-f]{16}\s*$'
check "GET /health: Cache-Control: no-store" has_header 'cache-control: no-store'
check "GET /health: X-Content-Type-Options: nosniff" has_header 'x-content-type-options: nosniff'
ID1=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: \(r_[0-9a-f]*\).*/\1/p' "$T/h")
hreq "$URL/health" >/dev/null
ID2=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: \(r_[0-9a-f]*\).*/\1/p' "$T/h")
check "each request gets its own id" test -n "$ID1" -a "$ID1" != "$ID2"
check "keep-alive: two requests share one connection" bash -c \
	"curl -sv --max-time 5 --cacert '$S/tls/cert.pem' '$URL/health' '$URL/health' 2>&1 | grep -q 'Re-using existing connection'"

# ---- routing ----
expect "GET /metrics without a session" 401 '*' "$URL/metrics"
check "401 names the scheme (WWW-Authenticate: Bearer)" has_header 'www-authenticate: bearer'
expect "unknown path" 404 not_found "$URL/nope"
expect "trailing slash is another path" 404 not_found "$URL/health/"
expect "DELETE /health" 405 method_not_allowed -X DELETE "$URL/health"
check "405 lists the methods (Allow: GET)" has_header 'allow: GET\s*$'
expect "PUT /credentials" 405 method_not_allowed -X PUT "$URL/credentials"
check "Allow of /credentials is 'GET, POST'" has_header 'allow: GET, POST\s*$'
check "HEAD /health is 405" test "$(curl -sS -I -o /dev/null -w '%{http_code}' "${CA[@]}" "$URL/health")" = 405
expect "escaped '/' in a path segment" 400 bad_path "$URL/credentials/a%2Fb"
expect "malformed escape in a path" 400 bad_path "$URL/credentials/a%zz"

# ---- framing: smuggling and sizes ----
expect "two Content-Length headers" 400 bad_request -X POST "${JSON[@]}" \
	-H 'Content-Length: 2' -H 'Content-Length: 2' --data '{}' "$URL/auth/login"
expect "Content-Length with Transfer-Encoding: chunked" 400 bad_request -X POST "${JSON[@]}" \
	-H 'Transfer-Encoding: chunked' -H 'Content-Length: 2' --data '{}' "$URL/auth/login"
expect "Transfer-Encoding other than chunked" 400 bad_request -X POST "${JSON[@]}" \
	-H 'Transfer-Encoding: gzip, chunked' --data '{}' "$URL/auth/login"
check "a header name with a space before the colon is refused (400)" test \
	"$(hreq -X POST "${JSON[@]}" -H 'Content-Length : 5' --data '{}' "$URL/auth/login")" = 400

pad() { head -c "$1" /dev/zero | tr '\0' a; }
printf '{"name":"%s"}' "$(pad $((2048 - 11)))" >"$T/body2048"
printf '{"name":"%s"}' "$(pad $((2049 - 11)))" >"$T/body2049"
printf '{"name":"%s"}' "$(pad 3000)" >"$T/body3000"
check "test bodies are 2048 and 2049 bytes" test "$(stat -c %s "$T/body2048")/$(stat -c %s "$T/body2049")" = 2048/2049
st=$(hreq -X POST "${JSON[@]}" --data-binary @"$T/body2048" "$URL/auth/login")
if [ "$st" != 413 ] && is_error_shape '*' && ! jq -e '.error.code == "payload_too_large"' "$T/b" >/dev/null; then
	ok "a body of exactly body_max (2048) bytes is not 413 (got $st)"
else
	notok "a body of exactly body_max bytes is not 413 (got $st $(cat "$T/b"))"
fi
expect "a body of body_max + 1 bytes" 413 payload_too_large -X POST "${JSON[@]}" \
	--data-binary @"$T/body2049" "$URL/auth/login"
expect "a chunked body growing past body_max" 413 payload_too_large -X POST "${JSON[@]}" \
	-H 'Transfer-Encoding: chunked' --data-binary @"$T/body3000" "$URL/auth/login"
expect "an announced Content-Length of 1 GB (refused before the body)" 413 payload_too_large \
	-X POST "${JSON[@]}" -H 'Content-Length: 1000000000' --data '{}' "$URL/auth/login"
st=$(hreq -X POST "${JSON[@]}" -H 'Transfer-Encoding: chunked' --data '{"name":"a"}' "$URL/auth/login")
check "a small chunked body is read and parsed (got $st)" bash -c \
	"[ '$st' != 413 ] && ! jq -e '.error.code == \"malformed_json\"' '$T/b' >/dev/null"
# libmicrohttpd answers 431 once its 32 KiB connection memory is full, then
# closes; curl may still be sending and see the close first.
st=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "${CA[@]}" -H "X-Big: $(pad 65536)" \
	"$URL/health" 2>/dev/null)
check "a 64 KiB header is refused (431 or closed; got $st)" test "$st" = 431 -o "$st" = 000
expect "the vault still answers after that" 404 not_found "$URL/nope"

# ---- bodies: type and JSON ----
expect "POST /auth/login as text/plain" 415 unsupported_media_type -X POST \
	-H 'Content-Type: text/plain' --data '{}' "$URL/auth/login"
expect "POST /auth/login as a form (curl's default type)" 415 unsupported_media_type -X POST \
	--data '{}' "$URL/auth/login"
expect "application/json; charset=latin1" 415 unsupported_media_type -X POST \
	-H 'Content-Type: application/json; charset=latin1' --data '{}' "$URL/auth/login"
st=$(hreq -X POST -H 'Content-Type: Application/JSON; Charset=UTF-8' --data '{"name":"a"}' "$URL/auth/login")
check "application/json; charset=utf-8 in any case is accepted (got $st)" test "$st" != 415
expect "a body on GET /health" 400 body_not_allowed -H 'Content-Type: application/json' \
	-X GET --data '{}' "$URL/health"
expect "malformed JSON" 400 malformed_json -X POST "${JSON[@]}" --data '{"name":' "$URL/auth/login"
printf '{"name":"\xff"}' >"$T/bad_utf8"
expect "invalid UTF-8" 400 malformed_json -X POST "${JSON[@]}" --data-binary @"$T/bad_utf8" "$URL/auth/login"
expect "a NUL escape" 400 malformed_json -X POST "${JSON[@]}" --data '{"name":"a\u0000b"}' "$URL/auth/login"
expect "duplicate keys" 400 malformed_json -X POST "${JSON[@]}" \
	--data '{"name":"a","name":"b","password":"c"}' "$URL/auth/login"
expect "a JSON array instead of an object" 400 malformed_json -X POST "${JSON[@]}" --data '[]' "$URL/auth/login"
expect "trailing garbage after the object" 400 malformed_json -X POST "${JSON[@]}" --data '{} x' "$URL/auth/login"
expect "an unknown field" 400 unknown_field -X POST "${JSON[@]}" \
	--data '{"name":"a","password":"b","colour":"red"}' "$URL/auth/login"
check "the unknown_field message names the field" jq -e '.error.message | contains("colour")' "$T/b"
expect "a top-level cvv" 400 cvv_refused -X POST "${JSON[@]}" \
	--data '{"name":"a","password":"b","cvv":"123"}' "$URL/auth/login"
check "the cvv_refused message cites PCI DSS 3.3.1.2" jq -e '.error.message | contains("PCI DSS 3.3.1.2")' "$T/b"
expect "a cvv key in full-width letters (U+FF43 U+FF56 U+FF56)" 400 cvv_refused -X POST "${JSON[@]}" \
	--data '{"name":"a","password":"b","metadata":{"\uff43\uff56\uff56":"123"}}' "$URL/auth/login"
expect "a cvv key with a zero-width space inside" 400 cvv_refused -X POST "${JSON[@]}" \
	--data '{"name":"a","password":"b","c\u200bvv":"123"}' "$URL/auth/login"
expect "a nested CVC2" 400 cvv_refused -X POST "${JSON[@]}" \
	--data '{"name":"a","password":"b","totp":{"x":[{"Card-CVC2":"123"}]}}' "$URL/auth/login"

# ---- query strings and authentication ----
expect "an unknown query parameter on GET /credentials (checked before auth)" 400 unknown_query \
	"$URL/credentials?colour=red"
expect "a token in the query string" 400 unknown_query "$URL/credentials?access_token=abc"
expect "a repeated query parameter" 400 duplicate_query "$URL/credentials?service=a&service=b"
expect "a %00 in a query value" 400 bad_query "$URL/credentials?service=a%00b"
expect "GET /credentials?service=a without a session" 401 '*' "$URL/credentials?service=a"
expect "a query parameter on /health" 400 unknown_query "$URL/health?x=1"
expect "Authorization: Basic" 401 '*' -H 'Authorization: Basic YTpi' "$URL/metrics"
expect "Authorization: Bearer with two tokens" 401 '*' -H 'Authorization: Bearer a b' "$URL/metrics"
expect "an unknown bearer token" 401 '*' -H 'Authorization: Bearer bos_s_nosuchsession' "$URL/metrics"

# ---- the request line byte for byte (#12 item 10) ----
# raw FORMAT: printf FORMAT as the whole request over TLS (openssl s_client);
# prints the status line's code. libmicrohttpd hands the vault a C string, so
# a NUL in the target used to cut it short ("/health\0/../credentials" was
# served as /health).
raw() {
	printf "$1" | timeout 10 openssl s_client -quiet -tls1_3 -connect "127.0.0.1:$PORT" \
		-CAfile "$S/tls/cert.pem" 2>/dev/null | head -1 | tr -d '\r' | cut -d' ' -f2
}
END='\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
check "raw control: GET /health HTTP/1.1 is 200" test "$(raw "GET /health HTTP/1.1$END")" = 200
check "a NUL in the target: GET /health\\0/../credentials is 400 (was 200, served as /health)" \
	test "$(raw "GET /health\\0/../credentials HTTP/1.1$END")" = 400
check "GET /auth/session\\0/../credentials is 400 (was 401 from /auth/session)" \
	test "$(raw "GET /auth/session\\0/../credentials HTTP/1.1$END")" = 400
check "a query after a NUL: GET /credentials?service=a\\0&token=x is 400" \
	test "$(raw "GET /credentials?service=a\\0&token=x HTTP/1.1$END")" = 400
check "a NUL right before the version is 400" test "$(raw "GET /health\\0 HTTP/1.1$END")" = 400
check "a raw control byte (0x01) in the target is 400" test "$(raw "GET /hea\\001lth HTTP/1.1$END")" = 400
check "a raw tab in the target is 400" test "$(raw "GET /hea\\tlth HTTP/1.1$END")" = 400
check "DEL (0x7f) in the target is 400" test "$(raw "GET /health\\177 HTTP/1.1$END")" = 400
check "a raw non-ASCII byte in the target is 400" \
	test "$(raw "GET /credentials/caf\\303\\251 HTTP/1.1$END")" = 400
check "the same name percent-encoded is no 400 (401: no session)" \
	test "$(raw "GET /credentials/caf%%C3%%A9 HTTP/1.1$END")" = 401
check "two Host headers are 400" test "$(raw "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n")" = 400
check "one Host header (control) is 200" test "$(raw "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")" = 200

# ---- the unix socket ----
check "the unix socket answers GET /health (curl --unix-socket)" bash -c \
	"curl -sSf --max-time 5 --unix-socket '$S/vault.sock' http://x/health | jq -e '.status == \"ok\"'"
check "the unix socket is mode 0660" test "$(stat -c %a "$S/vault.sock")" = 660
check "the unix socket carries the same headers" bash -c \
	"curl -sS -D - -o /dev/null --unix-socket '$S/vault.sock' http://x/nope | grep -qiE '^x-request-id: r_[0-9a-f]{16}'"

# ---- the access log ----
hreq "$URL/health" >/dev/null
ID=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: \(r_[0-9a-f]*\).*/\1/p' "$T/h")
sleep 0.2
check "one access-log line per request (id, method, route, status, ms, client)" \
	grep -qE "request $ID method=GET route=health status=200 ms=[0-9.]+ client=127.0.0.1$" "$LOG"
check "unmatched requests are logged as route=unmatched" grep -q "route=unmatched status=404" "$LOG"
check "the unix socket's client is 'unix'" grep -q "route=health status=200 ms=[0-9.]* client=unix" "$LOG"

CT=$(canary TOKEN); CB=$(canary BODY); CQ=$(canary QUERY); CP=$(canary PATH); CF=$(canary FIELD)
hreq -H "Authorization: Bearer $CT" "$URL/metrics" >/dev/null
hreq -H "Authorization: Bearer $CT" "$URL/credentials" >/dev/null
hreq -X POST "${JSON[@]}" --data "{\"name\":\"n\",\"password\":\"$CB\"}" "$URL/auth/login" >/dev/null
hreq -X POST "${JSON[@]}" --data "{\"password\":\"$CB\"" "$URL/auth/login" >/dev/null
hreq -X POST "${JSON[@]}" --data "{\"$CF\":1}" "$URL/auth/login" >/dev/null
hreq "$URL/credentials?token=$CQ" >/dev/null
hreq "$URL/nope/$CP" >/dev/null
hreq -H "Authorization: Basic $CT" "$URL/health" >/dev/null
sleep 0.3
for kv in "bearer token:$CT" "body value:$CB" "query string:$CQ" "path:$CP" "field name:$CF"; do
	check "the log holds no canary from a ${kv%%:*}" test "$(count_in "${kv#*:}" "$LOG")" -eq 0
done

# ---- slow clients and connection limits ----
t=$("$SLOW" tcp "$PORT" idle 10); rc=$?
check "an idle TLS connection is closed by the server, not left open for the 10 s the client waits (conn_timeout_seconds = 2; took ${t:-?} s)" \
	bash -c "[ $rc -eq 0 ] && awk 'BEGIN { exit !($t < 9) }'"
t=$("$SLOW" unix "$S/vault.sock" idle 10); rc=$?
check "an idle unix-socket connection is closed by the server before 9 s (took ${t:-?} s)" \
	bash -c "[ $rc -eq 0 ] && awk 'BEGIN { exit !($t < 9) }'"
t=$("$SLOW" unix "$S/vault.sock" dribble 10); rc=$?
check "a client dribbling a header byte every 200 ms is evicted before 9 s (slowloris; took ${t:-?} s)" \
	bash -c "[ $rc -eq 0 ] && awk 'BEGIN { exit !($t < 9) }'"
check "the eviction is logged" grep -q "past a deadline (request headers within 2 s" "$LOG"

pids=""
for _ in 1 2 3 4 5 6; do "$SLOW" tcp "$PORT" idle 10 >/dev/null & pids="$pids $!"; done
sleep 0.5
check_not "with conn_limit (4) idle connections open, a new request is turned away" \
	curl -sSf --max-time 2 "${CA[@]}" "$URL/health"
for p in $pids; do wait "$p"; done
check "after the idle connections time out, a normal request succeeds" \
	curl -sSf --max-time 5 "${CA[@]}" "$URL/health"

# ---- a second vault on the same port ----
out=$(timeout 20 "$VAULTD" --state-dir "$S" 2>&1); rc=$?
check "a second bos-vaultd on the same port fails (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "with one line that says why" test "$(printf '%s\n' "$out" | grep -c .)" -eq 1
check "'address in use (another bos-vaultd? change 'listen' in bos.conf)'" \
	grep -q "cannot listen on 127.0.0.1:$PORT: address in use (another bos-vaultd? change 'listen' in bos.conf)" <<<"$out"
check "and leaves the first one's socket alone" \
	curl -sSf --max-time 5 --unix-socket "$S/vault.sock" http://x/health

# ---- stop: nothing changed, socket removed ----
kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "SIGTERM stops the vault (exit 0)" test "$rc" -eq 0
check "a clean stop removes the unix socket" test ! -e "$S/vault.sock"
check "no request above changed the database (credentials: $CREDS_BEFORE)" \
	test -n "$CREDS_BEFORE" -a "$(count_creds)" = "$CREDS_BEFORE"

# ---- start-up: stale socket, TLS files ----
start_vault "$S" "$T/v2.log" || notok "restart"
kill -KILL "$VPID"; wait "$VPID" 2>/dev/null
check "kill -9 leaves a stale socket behind" test -S "$S/vault.sock"
check "a new vault replaces a stale socket" start_vault "$S" "$T/v3.log"
check "and serves on it" curl -sSf --max-time 5 --unix-socket "$S/vault.sock" http://x/health
kill -TERM "$VPID"; wait "$VPID"

# expect_fail NAME PATTERN: the vault refuses to start with one line matching PATTERN.
expect_fail() {
	local name=$1 pat=$2 out rc
	out=$(timeout 20 "$VAULTD" --state-dir "$S" 2>&1); rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] &&
		grep -qE "$pat" <<<"$out"; then
		ok "$name: one line, '$pat'"
	else
		notok "$name: want one line matching '$pat', got rc $rc: $out"
	fi
}
touch "$S/vault.sock"
expect_fail "a regular file where the socket goes" "vault.sock exists and is not a socket; refusing to remove it"
check "and it is left alone" test -f "$S/vault.sock"
rm -f "$S/vault.sock"

K=$S/tls/key.pem; C=$S/tls/cert.pem
cp -p "$K" "$T/key.bak"; cp -p "$C" "$T/cert.bak"
chmod 0644 "$K"
expect_fail "TLS key readable by others" "TLS key $K has mode 0644; it must be 0600 or 0400"
chmod 0600 "$K"
mv "$K" "$T/key.moved"
expect_fail "missing TLS key" "TLS key $K is missing"
mv "$T/key.moved" "$K"
echo "not a certificate" >"$C"
expect_fail "a certificate that is not PEM" "TLS certificate $C is not a PEM certificate"
cp -p "$T/cert.bak" "$C"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K.new" 2>/dev/null
cat "$K.new" >"$K"; rm -f "$K.new"
expect_fail "a key that does not match the certificate" "TLS key $K does not match the certificate $C"
cp -p "$T/key.bak" "$K"
check "with the files restored, the vault starts again" start_vault "$S" "$T/v4.log"
kill -TERM "$VPID"; wait "$VPID"
# Under `make asan` the daemons are sanitized: any report in their logs is a failure.
check "no sanitizer report in the vault's logs" bash -c \
	"! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$T'/v*.log"
finish
