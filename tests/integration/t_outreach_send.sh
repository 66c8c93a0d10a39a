#!/bin/bash
# Outreach sending end to end (docs/OUTREACH.md "Sending", issue #16): the
# real vault, the real bos-broker (role outreach, sandboxed), the SMTP sink
# (tests/stubs/smtp_sink.mjs: STARTTLS, AUTH) and the Twilio stub
# (providers_stub.py). A list of 5 contacts; an email campaign over smtp:
# 5 distinct messages arrive, each with its own Message-ID (the vault's,
# recorded as the provider id), List-Unsubscribe + List-Unsubscribe-Post,
# a footer with the postal address and the unsubscribe link, sent over TLS
# with the leased password. An SMS campaign to the Twilio stub: 5 messages,
# each with the STOP notice, the provider's price recorded. Then: a
# suppressed address is not sent again, a credential naming a host outside
# smtp_hosts fails its jobs without connecting, and no secret is in any log.
# (Suppression is checked twice: at campaign creation, and for an address
# suppressed after it, when the broker fetches the message: 409, skipped.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

BROKER=$BOS_BIN/bos-broker
# Under AddressSanitizer (as t_broker_verify.sh): ASan owns free() and keeps freed blocks in a
# quarantine; asked to, it scrubs them, standing in for our wipe. Its shadow memory holds no
# data and is skipped (-s 4096), else the scan of its terabytes of mappings never ends.
SCAN_OPTS=()
if ldd "$BROKER" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_free_fill_size=2147483647:free_fill_byte=0"
	SCAN_OPTS=(-s 4096)
fi
ME=$(id -u)
POSTAL="Acme Corp, 1 Main Street, Springfield 12345"
PUBURL="https://bos.example.test"
check "vault up (outreach settings, brokers from uid $ME)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "outreach_postal_address = $POSTAL" \
	"outreach_public_url = $PUBURL" "outreach_price.twilio = 0.0079 USD" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }
SMTP_PASS="smtp pw $(canary smtp)"
smtp_sink_start "$T/pki" sink bos-sender "$SMTP_PASS" || { notok "the SMTP sink starts"; finish; }
SMTP_PORT=$SINK_PORT
ok "the Twilio stub and the SMTP sink (port $SMTP_PORT) are up"

TOK=$(broker_add outreach out1)
check "an outreach broker registered" test -n "$TOK" || finish
printf '%s\n' "$TOK" >"$T/out.token" && chmod 0600 "$T/out.token"
cat >"$T/out.conf" <<CONF
vault_socket = $S/vault.sock
token_file = $T/out.token
test_ca_file = $STUB_CA
claim_wait = 1
base_url.twilio = https://127.0.0.1:$STUB_PORT_twilio
base_url.smtp = smtp://127.0.0.1:$SMTP_PORT
smtp_hosts = smtp.example.test
CONF

# ---- credentials ------------------------------------------------------------------------
SID=AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
TW_SECRET=$(canary twilio)
stub_key twilio "$SID:$TW_SECRET" ok -0.00790
cred_add() { api POST /credentials "$1" | jq -r '.id // empty'; }
SMTP_CRED=$(cred_add "{\"name\":\"smtp-main\",\"type\":\"password\",\"service\":\"smtp\",\"secret\":\"$SMTP_PASS\",\"metadata\":{\"host\":\"smtp.example.test\",\"port\":587,\"username\":\"bos-sender\"}}")
check "an smtp credential (host smtp.example.test, in smtp_hosts)" test -n "$SMTP_CRED"
TW_CRED=$(cred_add "{\"name\":\"twilio-main\",\"type\":\"api_key\",\"service\":\"twilio\",\"secret\":\"$TW_SECRET\",\"metadata\":{\"account_sid\":\"$SID\"}}")
check "a twilio credential" test -n "$TW_CRED"

# ---- the list ---------------------------------------------------------------------------
contacts='['
for i in 1 2 3 4 5; do
	contacts+="{\"email\":\"Advisor$i@Example.org\",\"phone\":\"+1 (415) 555-010$i\",\"name\":\"Advisor $i\",\"consent\":\"both\",\"fields\":{\"firm\":\"Firm $i\"}}"
	[ $i -lt 5 ] && contacts+=','
done
contacts+=']'
api POST /outreach/lists "{\"name\":\"advisors\",\"format\":\"json\",\"contacts\":$contacts}" >"$T/list.json"
check "a list of 5 contacts (201)" bash -c "[ $(st) = 201 ] && [ \"\$(jq -r .imported '$T/list.json')\" = 5 ]" || { cat "$T/list.json"; finish; }
LIST=$(jq -r '.list.id // empty' "$T/list.json")

# run_broker SECONDS: the real broker until SECONDS pass (SIGTERM then), its log appended.
run_broker() {
	"$BROKER" outreach --config "$T/out.conf" >>"$T/broker.log" 2>&1 &
	local pid=$!
	bg_track "$pid"
	BPID=$pid
}
stop_broker() { kill -TERM "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null; }
# wait_for N CMD: up to N seconds for CMD to succeed.
wait_for() { local n=$1; shift; for _ in $(seq $((n * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
mails() { find "$T/pki/sink.mail" -name '*.eml' | wc -l; }
# memscan_broker WHAT SECRET: between jobs, the running broker's memory holds no copy of
# SECRET (tests/tools/memscan, as root), with a control that finds its token.
memscan_broker() {
	local rc
	if [ "$(id -u)" -ne 0 ] || [ ! -x "$BOS_TESTBIN/memscan" ]; then
		ok "memory scan skipped: memscan reads /proc/PID/mem of an undumpable process as root only"
		return
	fi
	printf '%s\n' "$2" >"$T/scan.secret"
	printf '%s\n' "$TOK" >"$T/scan.control"
	"$BOS_TESTBIN/memscan" "${SCAN_OPTS[@]}" "$BPID" "$T/scan.secret" >/dev/null 2>&1; rc=$?
	check "no copy of the leased $1 in the broker's memory after its jobs (memscan rc $rc)" test "$rc" -eq 0
	"$BOS_TESTBIN/memscan" "${SCAN_OPTS[@]}" "$BPID" "$T/scan.control" >/dev/null 2>&1; rc=$?
	check "control: memscan finds the broker's own token in it" test "$rc" -eq 1
}

# ---- the email campaign over smtp ---------------------------------------------------------
api POST /outreach/email "{\"list\":\"advisors\",\"from\":\"Acme Sales <sales@acme.example>\",\"subject\":\"Hello {{name}}, für {{firm}}\",\"text\":\"Dear {{name}},\\nour product.\\n.\\nA line that starts with a dot.\\n\",\"html\":\"<html><body><p>Dear {{name}}</p><a href=\\\"https://acme.example/product\\\">product</a></body></html>\",\"provider\":\"smtp\",\"credential\":\"smtp-main\",\"per_minute\":6000}" >"$T/cp1.json"
check "an email campaign over smtp (201, 5 recipients)" bash -c "[ $(st) = 201 ] && [ \"\$(jq -r .campaign.recipients '$T/cp1.json')\" = 5 ]"
CP1=$(jq -r '.campaign.id // empty' "$T/cp1.json")
run_broker
check "5 messages arrive in the SMTP sink" wait_for 60 bash -c "[ \$(find '$T/pki/sink.mail' -name '*.eml' | wc -l) -ge 5 ]" || { tail -20 "$T/broker.log"; finish; }
cp1_done() { [ "$(api GET "/outreach/campaigns/$CP1" | jq -r '.campaign.sent')" = 5 ]; }
check "the campaign counts 5 sent" wait_for 20 cp1_done
sleep 1
memscan_broker "SMTP password" "$SMTP_PASS"
stop_broker
check "exactly 5 messages (none twice)" test "$(mails)" = 5

# Each message parsed with Python's email package (QP and encoded-words decoded).
/usr/bin/python3 - "$T/pki/sink.mail" "$POSTAL" "$PUBURL" >"$T/mail.check" 2>&1 <<'PY'
import email, email.policy, glob, re, sys
d, postal, url = sys.argv[1:4]
tos, mids, bad = set(), set(), []
for f in sorted(glob.glob(d + "/*.eml")):
    raw = open(f, "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    tos.add(str(m["To"])); mids.add(str(m["Message-ID"]))
    lu, lup = str(m.get("List-Unsubscribe", "")), str(m.get("List-Unsubscribe-Post", ""))
    if not re.fullmatch(r"<%s/u/[A-Za-z0-9_-]+>" % re.escape(url), lu): bad.append(f + ": List-Unsubscribe " + lu)
    if lup != "List-Unsubscribe=One-Click": bad.append(f + ": List-Unsubscribe-Post " + lup)
    if not re.fullmatch(r"<om_[a-z2-7]+@bos\.invalid>", str(m["Message-ID"])): bad.append(f + ": Message-ID")
    if m.get_content_type() != "multipart/alternative": bad.append(f + ": not multipart/alternative")
    text = m.get_body(("plain",)).get_content(); html = m.get_body(("html",)).get_content()
    for part, body in (("text", text), ("html", html)):
        if postal not in body: bad.append(f + ": no postal address in " + part)
        if url + "/u/" not in body: bad.append(f + ": no unsubscribe link in " + part)
    name = re.search(r"Dear (Advisor \d)", text)
    if not name or not str(m["Subject"]).startswith("Hello " + name.group(1) + ", für Firm"): bad.append(f + ": subject/name")
    if "\n.\n" not in text.replace("\r\n", "\n"): bad.append(f + ": the lone dot line was not kept")
    if any(len(l) > 998 for l in raw.split(b"\r\n")): bad.append(f + ": a line over 998")
print("to", len(tos), "mids", len(mids))
print("\n".join(bad))
sys.exit(1 if bad or len(tos) != 5 or len(mids) != 5 else 0)
PY
check "5 distinct recipients and Message-IDs; List-Unsubscribe, List-Unsubscribe-Post, footer with the postal address in each" test $? -eq 0 || cat "$T/mail.check"
check "the recipients are the list's, normalised" bash -c "grep -h '^To: ' '$T'/pki/sink.mail/*.eml | sort | tr -d '\r' | diff - <(for i in 1 2 3 4 5; do echo \"To: advisor\$i@example.org\"; done)"
check "every message went over TLS after AUTH with the leased password" \
	test "$(jq -c 'select(.event=="data" and .code==250 and .tls==true and .user=="bos-sender")' "$T/pki/sink.log" | wc -l)" = 5
api GET "/jobs?kind=send_email" >"$T/jobs1.json"
check "5 send_email jobs done, each result's provider_id the message's Message-ID" bash -c "
	[ \$(jq '[.jobs[] | select(.state==\"done\")] | length' '$T/jobs1.json') = 5 ] &&
	diff <(jq -r '.jobs[].result.provider_id' '$T/jobs1.json' | sort) \
	     <(grep -h '^Message-ID: ' '$T'/pki/sink.mail/*.eml | tr -d '\r' | cut -d' ' -f2 | sort)"

# ---- the SMS campaign to the Twilio stub -----------------------------------------------------
api POST /outreach/sms "{\"list\":\"advisors\",\"from\":\"+14155550100\",\"body\":\"Hi {{name}}, a word about our product.\",\"provider\":\"twilio\",\"credential\":\"twilio-main\",\"per_minute\":6000}" >"$T/cp2.json"
check "an SMS campaign over twilio (201, 5 recipients)" bash -c "[ $(st) = 201 ] && [ \"\$(jq -r .campaign.recipients '$T/cp2.json')\" = 5 ]"
CP2=$(jq -r '.campaign.id // empty' "$T/cp2.json")
run_broker
sms_sent() { [ "$(stub_count '.provider=="twilio" and .status==201')" -ge 5 ]; }
check "5 messages accepted by the Twilio stub" wait_for 60 sms_sent
cp2_done() { [ "$(api GET "/outreach/campaigns/$CP2" | jq -r '.campaign.sent')" = 5 ]; }
check "the SMS campaign counts 5 sent" wait_for 20 cp2_done
sleep 1
memscan_broker "Twilio auth token" "$TW_SECRET"
stop_broker
check "exactly 5, to 5 distinct E.164 numbers, each with the STOP notice" bash -c "
	[ \$(jq -r 'select(.provider==\"twilio\" and .status==201) | .sent.to' '$STUB_LOG' | sort -u | wc -l) = 5 ] &&
	[ \$(jq -r 'select(.provider==\"twilio\" and .status==201) | .sent.stop_notice' '$STUB_LOG' | grep -c true) = 5 ] &&
	[ \$(jq -r 'select(.provider==\"twilio\" and .status==201) | .sent.to' '$STUB_LOG' | grep -c '^+1415555010[1-5]\$') = 5 ]"
check "each with StatusCallback = outreach_public_url + /hooks/twilio/status" \
	test "$(stub_count ".provider==\"twilio\" and .status==201 and .sent.status_callback==\"$PUBURL/hooks/twilio/status\"")" = 5
check "each request in Twilio's form with the account's Basic auth" \
	test "$(stub_count ".provider==\"twilio\" and .status==201 and .key==\"$(stub_kid "$SID:$TW_SECRET")\" and .problems==[]")" = 5
check "Twilio's own price recorded: 5 x 7900 micro-USD spent" \
	test "$(api GET "/outreach/campaigns/$CP2" | jq -r '"\(.campaign.spent.micros) \(.campaign.spent.currency)"')" = "39500 USD"
api GET "/jobs?kind=send_sms" >"$T/jobs2.json"
check "5 send_sms jobs done with Twilio's SM… sid as provider_id" \
	test "$(jq '[.jobs[] | select(.state=="done" and (.result.provider_id | test("^SM[0-9a-f]{32}$")))] | length' "$T/jobs2.json")" = 5

# ---- Twilio refuses: 429 (retried no sooner than Retry-After), 400 (failed, not retried) -------
TW429=$(canary tw429); TW400=$(canary tw400)
stub_key twilio "$SID:$TW429" 429 40
stub_key twilio "$SID:$TW400" 400
for v in 429 400; do
	sec=TW$v
	cred_add "{\"name\":\"twilio-$v\",\"type\":\"api_key\",\"service\":\"twilio\",\"secret\":\"${!sec}\",\"metadata\":{\"account_sid\":\"$SID\"}}" >/dev/null
	api POST /outreach/sms "{\"list\":\"advisors\",\"from\":\"+14155550100\",\"body\":\"Try $v\",\"provider\":\"twilio\",\"credential\":\"twilio-$v\",\"per_minute\":6000}" >"$T/cp$v.json"
done
C429=$(jq -r '.campaign.id // empty' "$T/cp429.json"); C400=$(jq -r '.campaign.id // empty' "$T/cp400.json")
t0=$(date +%s)
run_broker
tw_tried() { [ "$(stub_count ".provider==\"twilio\" and .status==429")" -ge 5 ] && [ "$(stub_count ".provider==\"twilio\" and .status==400")" -ge 5 ]; }
check "each message of both campaigns reached Twilio once" wait_for 60 tw_tried
c400_failed() { [ "$(api GET "/outreach/campaigns/$C400" | jq -r '.campaign.failed')" = 5 ]; }
check "400 (the number refused): 5 messages failed" wait_for 20 c400_failed
sleep 2
stop_broker
check "… and not retried (5 requests, not more)" test "$(stub_count '.provider=="twilio" and .status==400')" = 5
api GET "/jobs?kind=send_sms&state=queued" >"$T/q429.json"
check "429: the 5 jobs are queued again, not before Retry-After (40 s)" bash -c "
	[ \$(jq '[.jobs[] | select(.attempts == 1)] | length' '$T/q429.json') = 5 ] &&
	[ \$(jq --argjson t $((t0 + 38)) '[.jobs[] | select((.not_before | fromdateiso8601) >= \$t)] | length' '$T/q429.json') = 5 ]"
check "… their messages queued, none sent" test "$(api GET "/outreach/campaigns/$C429" | jq -r '.campaign.queued')" = 5
api POST "/outreach/campaigns/$C429/cancel" >/dev/null

# ---- suppression: at creation, and again when the broker fetches the message ---------------
api POST /outreach/suppressions '{"address":"advisor1@example.org","reason":"admin"}' >/dev/null
check "advisor1@example.org suppressed (201)" test "$(st)" = 201
api POST /outreach/email "{\"list\":\"advisors\",\"from\":\"sales@acme.example\",\"subject\":\"Second\",\"text\":\"Second note.\",\"provider\":\"smtp\",\"credential\":\"smtp-main\",\"per_minute\":6000}" >"$T/cp3.json"
check "a second campaign: advisor1 suppressed at creation" \
	test "$(jq -r .campaign.suppressed "$T/cp3.json")" = 1
CP3=$(jq -r '.campaign.id // empty' "$T/cp3.json")
# advisor2 is suppressed after the campaign was made: the broker is told so (409) and skips it.
api POST /outreach/suppressions '{"address":"advisor2@example.org","reason":"admin"}' >/dev/null
run_broker
check "3 more messages arrive" wait_for 60 bash -c "[ \$(find '$T/pki/sink.mail' -name '*.eml' | wc -l) -ge 8 ]"
skipped_done() {
	api GET "/jobs?kind=send_email" >"$T/jobs3.json"
	[ "$(jq '[.jobs[] | select(.state=="done" and .result.skipped=="suppressed")] | length' "$T/jobs3.json")" = 1 ]
}
check "the job of the address suppressed later completes as skipped: suppressed" wait_for 20 skipped_done
stop_broker
check "8 messages in all: none to a suppressed address in the second campaign" bash -c "
	[ \$(find '$T/pki/sink.mail' -name '*.eml' | wc -l) = 8 ] &&
	[ \$(grep -l '^Subject: Second' '$T'/pki/sink.mail/*.eml | xargs grep -l -E '^To: advisor[12]@example.org' | wc -l) = 0 ]"

# ---- a credential whose host is not in smtp_hosts ----------------------------------------------
EVIL=$(cred_add "{\"name\":\"smtp-evil\",\"type\":\"password\",\"service\":\"smtp\",\"secret\":\"$(canary evil)\",\"metadata\":{\"host\":\"169.254.169.254\",\"port\":25,\"username\":\"x\"}}")
api POST /outreach/email "{\"list\":\"advisors\",\"from\":\"sales@acme.example\",\"subject\":\"Evil\",\"text\":\"x\",\"provider\":\"smtp\",\"credential\":\"smtp-evil\",\"per_minute\":6000}" >"$T/cp4.json"
CP4=$(jq -r '.campaign.id // empty' "$T/cp4.json")
before=$(wc -l <"$T/pki/sink.log")
run_broker
evil_failed() { [ "$(api GET "/outreach/campaigns/$CP4" | jq -r '.campaign.failed')" -ge 3 ]; }
check "a credential naming a host outside smtp_hosts: its messages fail" wait_for 30 evil_failed
stop_broker
check "… without a connection to the sink" test "$(wc -l <"$T/pki/sink.log")" = "$before"
check "… the broker's log says why (smtp_hosts)" grep -q "smtp_hosts" "$T/broker.log"

# ---- no secret anywhere ------------------------------------------------------------------------
for s in "$SMTP_PASS" "$TW_SECRET" "$TOK"; do
	check "a secret (${s:0:10}…) is in no log (broker, vault, stubs)" bash -c "
		! grep -a -q -F -- '$s' '$T/broker.log' '$T/vault.log' '$STUB_LOG' '$T/pki/sink.log'"
done
finish
