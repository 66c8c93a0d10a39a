#!/bin/bash
# The provider stubs (tests/stubs/providers_stub.py) are strict, or the broker's
# tests prove nothing: with curl, each of the five refuses another method (405),
# another path (404), a body on GET (400), no Authorization, another auth form
# or user, and a credential not in its table (401, with the provider's own error
# body); each answer is logged with its reason and never the credential. Known
# credentials get the provider's 200 body shape, 429 with Retry-After, 500,
# 302 to a target that is logged as followed if requested.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }
SID=AC0123456789abcdef0123456789abcdef
stub_key sendgrid SG.k1 ok; stub_key stripe sk_test_k1 ok; stub_key openai sk-k1 ok
stub_key mailgun key-k1 ok; stub_key twilio "$SID:tok1" ok
stub_key sendgrid SG.rl 429 9; stub_key openai sk-down 500; stub_key stripe sk_test_moved 302
# req PROVIDER PATH [curl args...]: prints the status; the body is in $T/body.
req() {
	local p=$1 path=$2; shift 2
	eval "local port=\$STUB_PORT_$p"
	curl -sS --cacert "$STUB_CA" -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" \
		"https://127.0.0.1:$port$path" 2>/dev/null || echo 000
}
last() { tail -1 "$STUB_LOG"; }

# 200s with the provider's shape.
check "sendgrid: GET /v3/scopes with Bearer: 200 {scopes: [...]}" \
	bash -c "[ $(req sendgrid /v3/scopes -H 'Authorization: Bearer SG.k1') = 200 ] && jq -e '.scopes | type == \"array\"' '$T/body'"
check "stripe: GET /v1/balance: 200 {object: balance, available, pending}" \
	bash -c "[ $(req stripe /v1/balance -H 'Authorization: Bearer sk_test_k1') = 200 ] && jq -e '.object == \"balance\" and (.available | type == \"array\")' '$T/body'"
check "openai: GET /v1/models: 200 {object: list, data}" \
	bash -c "[ $(req openai /v1/models -H 'Authorization: Bearer sk-k1') = 200 ] && jq -e '.object == \"list\" and (.data | length > 0)' '$T/body'"
check "mailgun: GET /v3/domains with Basic api:KEY: 200 {items}" \
	bash -c "[ $(req mailgun /v3/domains -u api:key-k1) = 200 ] && jq -e '.items | type == \"array\"' '$T/body'"
check "twilio: GET /2010-04-01/Accounts/SID.json with Basic SID:TOKEN: 200 {sid}" \
	bash -c "[ $(req twilio /2010-04-01/Accounts/$SID.json -u "$SID:tok1") = 200 ] && jq -e '.sid == \"$SID\"' '$T/body'"
check "the log names the key by hash, never the key itself" \
	bash -c "! grep -q 'SG.k1\|sk_test_k1\|tok1\|key-k1' '$STUB_LOG' && grep -q '\"key\": \"$(stub_kid SG.k1)\"' '$STUB_LOG'"

# Refusals, each with its reason in the log.
# refused NAME STATUS PROBLEM PROVIDER PATH [curl args]
refused() {
	local name=$1 want=$2 prob=$3; shift 3
	local got; got=$(req "$@")
	if [ "$got" = "$want" ] && last | jq -e --arg p "$prob" '.problems | index($p) != null' >/dev/null; then
		ok "refused: $name ($got, $prob)"
	else
		notok "refused: $name (got $got, log: $(last))"
	fi
}
refused "sendgrid POST" 405 method sendgrid /v3/scopes -X POST -H 'Authorization: Bearer SG.k1'
refused "sendgrid another path" 404 path sendgrid /v3/user/profile -H 'Authorization: Bearer SG.k1'
refused "sendgrid a body on GET" 400 body_on_get sendgrid /v3/scopes -X GET --data x -H 'Authorization: Bearer SG.k1'
refused "sendgrid no Authorization" 401 auth_form sendgrid /v3/scopes
refused "sendgrid Basic instead of Bearer" 401 auth_form sendgrid /v3/scopes -u x:SG.k1
refused "sendgrid an unknown key" 401 unknown_key sendgrid /v3/scopes -H 'Authorization: Bearer SG.nope'
check "sendgrid's 401 body is its own: {errors: [{field, message}]}" \
	jq -e '.errors[0].message == "authorization required"' "$T/body"
refused "stripe an unknown key" 401 unknown_key stripe /v1/balance -H 'Authorization: Bearer sk_test_nope'
check "stripe's 401 body: {error: {type, message}} without the key" \
	bash -c "jq -e '.error.type == \"invalid_request_error\"' '$T/body' && ! grep -q sk_test_nope '$T/body'"
refused "openai an unknown key" 401 unknown_key openai /v1/models -H 'Authorization: Bearer sk-nope'
check "openai's 401 body: {error: {code: invalid_api_key}}" jq -e '.error.code == "invalid_api_key"' "$T/body"
refused "mailgun Bearer instead of Basic" 401 auth_form mailgun /v3/domains -H 'Authorization: Bearer key-k1'
refused "mailgun a user other than api" 401 basic_user mailgun /v3/domains -u root:key-k1
refused "mailgun /v4/domains" 404 path mailgun /v4/domains -u api:key-k1
refused "twilio a SID in the path that is not the user" 404 path twilio \
	/2010-04-01/Accounts/AC00000000000000000000000000000000.json -u "$SID:tok1"
refused "twilio an unknown token" 401 unknown_key twilio /2010-04-01/Accounts/$SID.json -u "$SID:nope"
check "twilio's 401 body: {code: 20003, message: Authenticate}" jq -e '.code == 20003' "$T/body"
refused "openai DELETE" 405 method openai /v1/models -X DELETE -H 'Authorization: Bearer sk-k1'

# Behaviours chosen by credential.
s=$(req sendgrid /v3/scopes -H 'Authorization: Bearer SG.rl')
check "429 with Retry-After: 9 and sendgrid's body" \
	bash -c "[ $s = 429 ] && grep -qi '^Retry-After: 9' '$T/hdr' && jq -e '.errors[0].message == \"too many requests\"' '$T/body'"
check "500 for its key" test "$(req openai /v1/models -H 'Authorization: Bearer sk-down')" = 500
s=$(req stripe /v1/balance -H 'Authorization: Bearer sk_test_moved')
check "302 with a Location on the same stub" bash -c "[ $s = 302 ] && grep -qi '^Location: https://127.0.0.1:$STUB_PORT_stripe/elsewhere' '$T/hdr'"
req stripe /elsewhere -H 'Authorization: Bearer sk_test_moved' >/dev/null
check "following it is logged as followed_redirect" \
	test "$(stub_count '.problems | index("followed_redirect") != null')" -eq 1
check "plain http to a stub is refused (TLS only)" bash -c "! curl -s --max-time 5 http://127.0.0.1:$STUB_PORT_sendgrid/v3/scopes -o /dev/null"
check "a client that does not trust the stub's CA fails the handshake" \
	bash -c "! curl -s --max-time 5 --cacert '$T/pki/other-ca.pem' https://127.0.0.1:$STUB_PORT_sendgrid/v3/scopes -o /dev/null"
finish
