#!/bin/bash
# A broker outlives its vault (docs/BROKERS.md "bos-broker", Loop): while the
# vault is stopped the broker's claims fail and it backs off (1, 2, 4 ... s,
# logged), without exiting; once the vault is back it claims again on the
# same process and runs a job queued after the restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

PW="alice's long password $(canary p)"
check "vault up" api_up "$T/s" "broker_uid_outreach = $(id -u)" || finish
check "admin signed in" admin_setup alice "$PW" || finish
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }
TOK=$(broker_add outreach survivor)
printf '%s\n' "$TOK" >"$T/token" && chmod 0600 "$T/token"
{
	echo "vault_socket = $S/vault.sock"; echo "token_file = $T/token"; echo "test_ca_file = $STUB_CA"
	echo "claim_wait = 1"; echo "base_url.sendgrid = https://127.0.0.1:$STUB_PORT_sendgrid"
} >"$T/broker.conf"
"$BOS_BIN/bos-broker" outreach --config "$T/broker.conf" >"$T/b.log" 2>&1 &
BPID=$!; bg_track $BPID
for _ in $(seq 50); do grep -q 'ready:' "$T/b.log" && break; sleep 0.1; done
check "the broker is up" grep -q 'ready:' "$T/b.log"

kill -TERM "$VPID"; wait "$VPID"
for _ in $(seq 80); do [ "$(grep -c 'claim: .*again in' "$T/b.log")" -ge 3 ] && break; sleep 0.25; done
check "with the vault stopped, the broker's claims fail and it backs off (logged)" \
	test "$(grep -c 'claim: .*again in' "$T/b.log")" -ge 3
check "the backoff grows (1 s, then 2 s)" bash -c "grep -q 'again in 1 s' '$T/b.log' && grep -q 'again in 2 s' '$T/b.log'"
check "the broker is still running" kill -0 "$BPID"

check "the vault starts again" start_vault "$S" "$T/vault2.log" || finish
# Sessions end with a restart: sign in again with a code of another step.
out=$(vcurl -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(totp_code 1)\"}" "$URL/auth/login")
SESSION=$(jq -r .session <<<"$out"); export SESSION
check "admin signed in again" test -n "$SESSION" -a "$SESSION" != null
KEY="SG.$(canary restart)"
stub_key sendgrid "$KEY" ok
CID=$(api POST /credentials "{\"name\":\"sg\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$KEY\"}" | jq -r .id)
JID=$(job_add sendgrid "\"credential\":\"$CID\"")
for _ in $(seq 160); do [ "$(jstate "$JID")" = done ] && break; sleep 0.25; done
check "a job queued after the restart is run by the same broker process (done, ok)" \
	jq -e '.job.state == "done" and .job.result.ok == true' <<<"$(api GET "/jobs/$JID")"
check "by that process: its log names the job" grep -q "job $JID: sendgrid: ok=true" "$T/b.log"
kill -TERM "$BPID"; wait "$BPID"; rc=$?
check "SIGTERM: exit 0 ($rc)" test "$rc" -eq 0
check "no secret or token in the broker's log" test "$(count_in "$KEY" "$T/b.log")$(count_in "$TOK" "$T/b.log")" = 00
finish
