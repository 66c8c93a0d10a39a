#!/bin/bash
# Notices end to end (docs/OUTREACH.md "Notices", issue #16 item 7): the real
# vault, the real bos-broker (role outreach), the SMTP sink and the Twilio
# stub. A grant made with delivery "email" answers without its token; the
# broker sends it to the helper's email contact, and the token in that mail
# reads the credential. The token is in no answer (the grant's, GET /jobs,
# GET /grants), no audit record and no log (vault, broker). A helper without
# an email contact: 400, nothing made. A revoked grant's notice is never
# sent. delivery "sms" goes to the Twilio stub; bosctl grant create --deliver
# email (and its usage errors). A budget at 80 % raises a
# warning that reaches the alert_notify address.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/lib_audit.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

BROKER=$BOS_BIN/bos-broker
ME=$(id -u)
TOKEN_RE='bos_h_[0-9A-Za-z]{49}'
has() { local in=$1; shift; [ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null; }
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }
SMTP_PASS="smtp pw $(canary smtp)"
smtp_sink_start "$T/pki" sink bos-sender "$SMTP_PASS" || { notok "the SMTP sink starts"; finish; }
check "vault up (notice_email, notice_sms, alert_notify)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "notice_email = smtp smtp-main vault@acme.example" \
	"notice_sms = twilio twilio-main +14155550100" "alert_notify = Ops@Acme.example" \
	"sweep_interval_seconds = 2" || finish
BOSCTL=$BOS_BIN/bosctl
check "admin alice signed in (bosctl, whose session the curl calls use too)" bosctl_admin alice || finish
SESSION=$(jq -r .session "$XDG_RUNTIME_DIR/bos/session")
export SESSION

TOK=$(broker_add outreach out1)
check "an outreach broker registered" test -n "$TOK" || finish
printf '%s\n' "$TOK" >"$T/out.token" && chmod 0600 "$T/out.token"
cat >"$T/out.conf" <<CONF
vault_socket = $S/vault.sock
token_file = $T/out.token
test_ca_file = $STUB_CA
claim_wait = 1
base_url.twilio = https://127.0.0.1:$STUB_PORT_twilio
base_url.smtp = smtp://127.0.0.1:$SINK_PORT
smtp_hosts = smtp.example.test
CONF
run_broker() {
	"$BROKER" outreach --config "$T/out.conf" >>"$T/broker.log" 2>&1 &
	BPID=$!
	bg_track "$BPID"
}
stop_broker() { kill -TERM "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null; }
wait_for() { local n=$1; shift; for _ in $(seq $((n * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
mails() { find "$T/pki/sink.mail" -name '*.eml' | wc -l; }

SID=AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
TW_SECRET=$(canary twilio)
stub_key twilio "$SID:$TW_SECRET" ok -0.00790
cred_add() { api POST /credentials "$1" | jq -r '.id // empty'; }
SMTP_CRED=$(cred_add "{\"name\":\"smtp-main\",\"type\":\"password\",\"service\":\"smtp\",\"secret\":\"$SMTP_PASS\",\"metadata\":{\"host\":\"smtp.example.test\",\"port\":587,\"username\":\"bos-sender\"}}")
TW_CRED=$(cred_add "{\"name\":\"twilio-main\",\"type\":\"api_key\",\"service\":\"twilio\",\"secret\":\"$TW_SECRET\",\"metadata\":{\"account_sid\":\"$SID\"}}")
C=$(cred_add '{"name":"sg-main","type":"api_key","service":"sendgrid","secret":"SG.notice-secret"}')
check "credentials: smtp, twilio, and the one granted" bash -c "[[ '$SMTP_CRED' == cr_* && '$TW_CRED' == cr_* && '$C' == cr_* ]]"
HE=$(api POST /helpers '{"name":"Jane Doe","contact":"Jane@Example.com","kind":"setup"}' | jq -r .id)
HP=$(api POST /helpers '{"name":"Phil","contact":"+1 415 555 0123","kind":"setup"}' | jq -r .id)
check "helpers: one with an email contact, one with a phone number" bash -c "[[ '$HE' == hl_* && '$HP' == hl_* ]]"
grant() { api POST /credentials/grant "{\"helper\":\"$1\",\"credentials\":[\"$C\"],\"actions\":[\"read\"],\"note\":\"the SendGrid key\",\"delivery\":\"$2\"}"; }

# ---- refusals: nothing made ----------------------------------------------------------------------
before=$(api GET /jobs | jq '.jobs | length')
out=$(grant "$HP" email)
check "delivery email to a helper without an email contact: 400 naming it" bash -c "test '$(st)' = 400" &&
	check "  the message says the helper has no email contact" has "$out" \
	'.error.message | test("no email contact")'
out=$(grant "$HE" sms)
check "delivery sms to a helper without a phone contact: 400" bash -c "test '$(st)' = 400 &&
	jq -e '.error.message | test(\"no phone contact\")' <<<'$out'"
out=$(grant "$HE" fax)
check "delivery fax: 400 naming the choices" test "$(st)" = 400 &&
	check "  the message names email and sms" has "$out" '.error.message | test("\"email\" or \"sms\"")'
check "  no grant and no job was made by the refusals" bash -c "
	test '$(api GET /jobs | jq '.jobs | length')' = '$before' && test '$(api GET /grants | jq '.grants | length')' = 0"

# ---- delivery email ------------------------------------------------------------------------------
out=$(grant "$HE" email)
echo "$out" >"$T/answers"
check "delivery email: 201 with the accessor and notice {id, channel}, no token" bash -c "test '$(st)' = 201 &&
	jq -e '(.accessor | startswith(\"acc_\")) and (.notice.id | test(\"^on_[a-z2-7]{26}$\")) and
	.notice.channel == \"email\" and (has(\"token\") | not)' <<<'$out'"
check "  no bos_h_ anywhere in the answer" bash -c "! grep -q bos_h_ <<<'$out'"
ACC=$(jq -r .accessor <<<"$out"); NOTICE=$(jq -r .notice.id <<<"$out")
api GET /jobs >"$T/jobs.json"; cat "$T/jobs.json" >>"$T/answers"
check "a send_email job for the notice (params {notice}, service smtp, the smtp credential)" \
	jq -e --arg n "$NOTICE" --arg c "$SMTP_CRED" '[.jobs[] | select(.notice == $n and
	.kind == "send_email" and .service == "smtp" and .credential == $c and .params == {notice: $n}
	and .campaign == null)] | length == 1' "$T/jobs.json"
run_broker
check "the mail arrives in the SMTP sink" wait_for 60 bash -c "[ \$(find '$T/pki/sink.mail' -name '*.eml' | wc -l) -ge 1 ]" ||
	{ tail -20 "$T/broker.log"; finish; }
notice_sent() { api GET "/jobs?kind=send_email" | jq -e '[.jobs[] | select(.state == "done")] | length == 1' >/dev/null; }
check "its job is done" wait_for 20 notice_sent
stop_broker
MAIL=$(find "$T/pki/sink.mail" -name '*.eml' | head -1)
/usr/bin/python3 - "$MAIL" >"$T/mail.out" 2>&1 <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
print("TO", m["To"]); print("FROM", m["From"]); print("SUBJECT", m["Subject"])
print("MID", m["Message-ID"]); print("UNSUB", m.get("List-Unsubscribe", ""))
print(m.get_body(("plain",)).get_content())
PY
check "to the helper's contact (normalised), from notice_email's sender" bash -c "
	grep -qx 'TO jane@example.com' '$T/mail.out' && grep -qx 'FROM vault@acme.example' '$T/mail.out'"
check "subject 'Your BOS access token', Message-ID <on_…@bos.invalid>, no List-Unsubscribe" bash -c "
	grep -qx 'SUBJECT Your BOS access token' '$T/mail.out' &&
	grep -qE '^MID <on_[a-z2-7]{26}@bos.invalid>$' '$T/mail.out' && grep -qx 'UNSUB ' '$T/mail.out'"
check "the text names the grant's note and its expiry" bash -c "
	grep -q 'Your BOS access token for the SendGrid key' '$T/mail.out' && grep -qE 'expires 20[0-9-]+T' '$T/mail.out'"
HTOK=$(grep -oE "$TOKEN_RE" "$T/mail.out" | head -1)
check "the mail holds a helper token" test -n "$HTOK"
st=$(curl -s -o "$T/read.json" -w '%{http_code}' --cacert "$S/tls/cert.pem" \
	-H "Authorization: Bearer $HTOK" "$URL/credentials/$C")
check "the token of the mail reads the credential" bash -c "test '$st' = 200 &&
	jq -e '.secret == \"SG.notice-secret\"' '$T/read.json'"
check "the grant was made over TLS after AUTH (the sink's log)" \
	test "$(jq -c 'select(.event=="data" and .code==250 and .tls==true)' "$T/pki/sink.log" | wc -l)" = 1

# ---- a revoked grant's notice is never sent --------------------------------------------------------
out=$(grant "$HE" email)
ACC2=$(jq -r .accessor <<<"$out")
api DELETE "/grants/$ACC2" >/dev/null
check "a second grant by email, revoked before the broker runs" \
	has "$(api GET /grants)" --arg a "$ACC2" '[.grants[] | select(.accessor == $a)][0].state == "revoked"'
run_broker
revoked_done() { api GET "/jobs?kind=send_email" | jq -e '[.jobs[] | select(.state == "done")] | length == 2' >/dev/null; }
check "  its job completes without sending (skipped)" wait_for 20 revoked_done
stop_broker
check "  no second mail" test "$(mails)" = 1

# ---- delivery sms ----------------------------------------------------------------------------------
out=$(grant "$HP" sms)
echo "$out" >>"$T/answers"
check "delivery sms: 201, notice channel sms, no token" bash -c "test '$(st)' = 201 &&
	jq -e '.notice.channel == \"sms\" and (has(\"token\") | not)' <<<'$out'"
run_broker
sms_sent() { [ "$(stub_count '.provider=="twilio" and .status==201')" -ge 1 ]; }
check "the SMS reaches the Twilio stub" wait_for 60 sms_sent
sleep 1
stop_broker
check "  to +14155550123 from +14155550100, in Twilio's form, no STOP line added" \
	test "$(stub_count '.provider=="twilio" and .status==201 and .sent.to=="+14155550123" and .sent.from=="+14155550100" and .sent.stop_notice==false and .problems==[]')" = 1

# ---- bosctl grant create --deliver ------------------------------------------------------------------
bc() { "$BOSCTL" grant create --helper "$1" --cred "$C" --read "${@:2}" >"$T/bc.out" 2>&1; echo $?; }
check "bosctl grant create --deliver fax: usage error (exit 2)" test "$(bc "$HE" --deliver fax)" = 2
check "bosctl grant create --pickup --deliver email: usage error (exit 2)" \
	test "$(bc "$HE" --pickup --deliver email)" = 2
check "bosctl grant create --deliver email to a helper without an email contact: exit 1, says so" \
	bash -c "[ '$(bc "$HP" --deliver email)' = 1 ] && grep -q 'no email contact' '$T/bc.out'"
check "bosctl grant create --deliver email: exit 0, 'sends its token by email', no token" \
	bash -c "[ '$(bc "$HE" --deliver email)' = 0 ] && grep -q 'sends its token by email' '$T/bc.out' &&
	grep -q 'next: nothing: the vault sends the token' '$T/bc.out' && ! grep -q bos_h_ '$T/bc.out'"
cat "$T/bc.out" >>"$T/answers"

# ---- an alert reaches alert_notify -----------------------------------------------------------------
api PUT /budgets/ses '{"daily":1000,"currency":"USD"}' >/dev/null
B2=$(broker_add outreach out2)
J=$(job_add ses)
claim "$B2"
code=$(breq "$B2" POST "/jobs/$JOB/complete" "{\"claim\":\"$CLAIM\",\"result\":{\"ok\":true},\"spend\":{\"amount\":800,\"currency\":\"USD\"}}")
check "a verify job of ses completes with 8.00 USD spent of a 10.00 budget (80 %)" bash -c "[ '$code' = 200 ] && [ '$JOB' = '$J' ]"
check "  budget_warning raised" has "$(api GET /alerts)" '[.alerts[] | select(.kind == "budget_warning")] | length == 1'
run_broker
alert_mail() { grep -q '^To: ops@acme.example' "$T"/pki/sink.mail/*.eml; }
check "the alert reaches the alert_notify address by email" wait_for 60 alert_mail
bosctl_mail() { [ "$(grep -l '^To: jane@example.com' "$T"/pki/sink.mail/*.eml | wc -l)" = 2 ]; }
check "  and the grant made by bosctl reaches the helper" wait_for 30 bosctl_mail
sleep 1
stop_broker
AM=$(grep -l '^To: ops@acme.example' "$T"/pki/sink.mail/*.eml | head -1)
check "  to ops@acme.example, subject 'BOS alert (warning): budget_warning'" bash -c "
	[ -n '$AM' ] && grep -q '^Subject: BOS alert (warning): budget_warning' '$AM'"
J2=$(job_add ses)
claim "$B2"
breq "$B2" POST "/jobs/$JOB/complete" "{\"claim\":\"$CLAIM\",\"result\":{\"ok\":true},\"spend\":{\"amount\":10,\"currency\":\"USD\"}}" >/dev/null
check "  the same alert counted up again queues no second notice" \
	test "$(api GET /jobs | jq '[.jobs[] | select(.notice != null and .kind == "send_email")] | length')" = 4

# ---- the token is nowhere else -----------------------------------------------------------------------
api GET /grants >>"$T/answers"
api GET /jobs >>"$T/answers"
audit_fetch "$T/trail.json" >/dev/null || notok "reading the audit trail"
check "audit: the grant's record says the token was queued to the email contact" jq -e --arg a "/grants/$ACC" \
	'[.[] | select(.resource == $a and (.reason | test("queued to its email contact")))] | length == 1' "$T/trail.json"
for f in "$T/answers" "$T/trail.json" "$T/vault.log" "$T/broker.log"; do
	check "the token is not in $(basename "$f")" bash -c "! grep -a -q -F -- '$HTOK' '$f'"
	check "  nor its last 43 characters" bash -c "! grep -a -q -F -- '${HTOK: -43}' '$f'"
done
check "the token is in no file of the state directory (the database is encrypted; WAL too)" \
	bash -c "! grep -a -r -q -F -- '${HTOK: -43}' '$S'"
check "no bos_h_ token at all in the vault's or the broker's log" bash -c "
	! grep -a -q -E '$TOKEN_RE' '$T/vault.log' '$T/broker.log'"
finish
