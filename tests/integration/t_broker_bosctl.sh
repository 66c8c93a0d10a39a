#!/bin/bash
# The product path with the real programs only (docs/BROKERS.md, DEPLOY.md
# "Brokers"): an admin registers a broker with `bosctl broker add`, stores
# credentials with `bosctl cred add` (a Twilio one with its account_sid in
# metadata), a bos-broker runs with that token (from a systemd-style
# credentials directory), and `bosctl cred verify NAME` prints the result the
# broker got from the provider stubs: ok (exit 0), a rejected key (exit 1,
# status 401). Then `bosctl broker revoke` ends the broker: its next claim is
# refused and it exits 1 saying so, and no secret is in its log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

BROKER=$BOS_BIN/bos-broker
check "vault up (outreach from uid $(id -u), visibility 5 s)" \
	api_up "$T/s" "broker_uid_outreach = $(id -u)" "job_visibility_seconds = 5" || finish
check "bosctl: first admin and sign-in" bosctl_admin alice || finish
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }

out=$("$BOSCTL" broker add --role outreach --name mailer --json 2>"$T/err")
TOK=$(jq -r '.token // empty' <<<"$out"); BID=$(jq -r '.id // empty' <<<"$out")
check "bosctl broker add prints a bos_b_ token once, with its id" \
	bash -c "[[ '$TOK' == bos_b_* && '$BID' == bk_* ]]" || { cat "$T/err"; finish; }
mkdir -p "$T/creds" && printf '%s\n' "$TOK" >"$T/creds/broker-token" && chmod 0400 "$T/creds/broker-token"

GOOD="SG.$(canary good)"; BAD="SG.$(canary bad)"; TW="$(canary twilio)"
SID=AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
stub_key sendgrid "$GOOD" ok; stub_key sendgrid "$BAD" 401; stub_key twilio "$SID:$TW" ok
printf '%s\n' "$GOOD" | "$BOSCTL" cred add --name sg-good --type api_key --service sendgrid >/dev/null &&
printf '%s\n' "$BAD" | "$BOSCTL" cred add --name sg-bad --type api_key --service sendgrid >/dev/null &&
printf '%s\n' "$TW" | "$BOSCTL" cred add --name tw --type api_key --service twilio \
	--metadata "{\"account_sid\":\"$SID\"}" >/dev/null
check "bosctl cred add: three credentials (one with metadata.account_sid)" test $? -eq 0

{
	echo "vault_socket = $S/vault.sock"; echo "test_ca_file = $STUB_CA"; echo "claim_wait = 2"
	# A trailing slash on a base URL is dropped (the stub checks the exact path).
	for p in sendgrid twilio stripe mailgun openai; do eval "echo \"base_url.$p = https://127.0.0.1:\$STUB_PORT_$p/\""; done
} >"$T/broker.conf"
CREDENTIALS_DIRECTORY=$T/creds "$BROKER" outreach --config "$T/broker.conf" >"$T/broker.log" 2>&1 &
BPID=$!; bg_track $BPID

out=$("$BOSCTL" cred verify sg-good --wait 30 --json 2>&1); rc=$?
check "bosctl cred verify sg-good: exit 0, ok, status 200 (rc $rc)" \
	bash -c "[ $rc -eq 0 ] && jq -e '.. | objects | select(has(\"ok\")) | .ok == true and .status == 200' <<<'$out' >/dev/null" ||
	echo "# $out"
out=$("$BOSCTL" cred verify tw --wait 30 --json 2>&1); rc=$?
check "bosctl cred verify tw (Twilio, SID from metadata): exit 0, ok (rc $rc)" \
	bash -c "[ $rc -eq 0 ] && jq -e '.. | objects | select(has(\"ok\")) | .ok == true' <<<'$out' >/dev/null" ||
	echo "# $out"
out=$("$BOSCTL" cred verify sg-bad --wait 30 --json 2>&1); rc=$?
check "bosctl cred verify sg-bad: exit 1, ok false, status 401 (rc $rc)" \
	bash -c "[ $rc -eq 1 ] && jq -e '.. | objects | select(has(\"ok\")) | .ok == false and .status == 401' <<<'$out' >/dev/null" ||
	echo "# $out"
out=$("$BOSCTL" cred verify sg-good --wait 30 2>&1); rc=$?
check "bosctl cred verify without --json says ok (rc $rc)" bash -c "[ $rc -eq 0 ] && grep -qi ok <<<'$out'"
check "the stub saw the good key twice, the bad key once, the Twilio pair once" \
	test "$(stub_count ".key == \"$(stub_kid "$GOOD")\"")$(stub_count ".key == \"$(stub_kid "$BAD")\"")$(stub_count ".key == \"$(stub_kid "$SID:$TW")\"")" = 211

"$BOSCTL" broker revoke "$BID" >/dev/null 2>&1
check "bosctl broker revoke: exit 0" test $? -eq 0
for _ in $(seq 100); do kill -0 $BPID 2>/dev/null || break; sleep 0.1; done
wait $BPID; rc=$?
check "the revoked broker's next claim is refused: it exits 1 (rc $rc)" test "$rc" -eq 1
check "and says the vault refuses it" grep -q 'the vault refuses this broker' "$T/broker.log"
leaks=0
for c in "$GOOD" "$BAD" "$TW" "$TOK"; do [ "$(count_in "$c" "$T/broker.log")" -eq 0 ] || leaks=$((leaks + 1)); done
check "no secret and no token in the broker's log" test "$leaks" -eq 0
finish
