#!/bin/bash
# The business's outreach scenario end to end (issue #16, docs/OUTREACH.md):
# "send an email to 100 financial advisors about our product, N a minute,
# and tell me who opened, clicked and replied, and what it cost".
# The real vault, the real bos-broker outreach (sending and its hooks
# listener, sandboxed), the SendGrid stub (providers_stub.py, strict), curl
# and the vendor's own @sendgrid/eventwebhook as judges.
#  1. 100 contacts imported from CSV (with 3 duplicates skipped).
#  2. A campaign through SendGrid at 120 a minute, price 1.00 USD a message,
#     a daily budget of 60.00 USD: exactly 60 messages reach SendGrid, then
#     the budget pauses the service mid-campaign (alert budget_paused, cost
#     60.00, the other 40 still queued).
#  3. A resume, approved with a fresh TOTP code: the campaign goes on; the
#     broker is killed with SIGKILL between two sends and started again: in
#     the end SendGrid got exactly 100 messages, one per contact, 100
#     distinct bos_message ids, each with List-Unsubscribe (one-click).
#  4. A SendGrid event stream signed with a P-256 key (accepted by the
#     vendor's verifySignature before it is sent) through the hooks
#     listener: stats match the fixture exactly (unique opens and clicks);
#     the same batch again changes nothing; a batch with a bad signature is
#     401 and records nothing.
#  5. A one-click unsubscribe (RFC 8058) through the listener; bounced,
#     complained and unsubscribed contacts are skipped by the next campaign.
#  6. At most once: a message whose SendGrid call never answers (the stub
#     stalls) when the broker is killed is never sent again: it becomes
#     unknown, with an alert, after the claim runs out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

BROKER=$BOS_BIN/bos-broker
VENDOR="node $(cd "$(dirname "$0")/../tools" && pwd)/hooks_vendor.cjs"
ME=$(id -u)
PUBLIC=https://hooks.example.test
POSTAL="Acme Advisors Inc., 1 Main Street, Springfield 12345"
check "vault up (outreach settings; price 1.00 USD per SendGrid message; claims held 4 s)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "outreach_public_url = $PUBLIC" \
	"outreach_postal_address = $POSTAL" "outreach_price.sendgrid = 1.00 USD" \
	"job_visibility_seconds = 4" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }

# wait_for N CMD: up to N seconds for CMD to succeed.
wait_for() { local n=$1; shift; for _ in $(seq $((n * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
sent_ok() { stub_count '.provider=="sendgrid" and .status==202'; }

# ---- the broker: sending to the SendGrid stub, hooks on a listener of its own ----------------
H=$T/hooks; mkdir -p "$H"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$H/key.pem" \
	-out "$H/cert.pem" -days 2 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
chmod 0600 "$H/key.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$H/sg.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$H/other.pem" 2>/dev/null
SGPUB=$(openssl pkey -in "$H/sg.pem" -pubout -outform DER | base64 -w0)
TOK=$(broker_add outreach mailer)
check "an outreach broker registered" bash -c "[[ '$TOK' == bos_b_* ]]" || finish
printf '%s\n' "$TOK" >"$T/out.token" && chmod 0600 "$T/out.token"
HP=$(free_port)
cat >"$T/out.conf" <<CONF
vault_socket = $S/vault.sock
token_file = $T/out.token
test_ca_file = $STUB_CA
claim_wait = 2
heartbeat_interval = 1
base_url.sendgrid = https://127.0.0.1:$STUB_PORT_sendgrid
hooks_listen = 127.0.0.1:$HP
hooks_cert = $H/cert.pem
hooks_key = $H/key.pem
hooks_public_url = $PUBLIC
sendgrid_webhook_key = $SGPUB
CONF
BPID=
start_broker() {
	"$BROKER" outreach --config "$T/out.conf" >>"$T/broker.log" 2>&1 &
	BPID=$!
	bg_track "$BPID"
	wait_for 10 grep -q "hooks: listening on 127.0.0.1:$HP" "$T/broker.log"
}
SGKEY="SG.$(canary sg)"
stub_key sendgrid "$SGKEY" ok
api POST /credentials "{\"name\":\"sendgrid-main\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$SGKEY\"}" >/dev/null
check "a SendGrid credential (201)" test "$(st)" = 201

# ---- 1. the list --------------------------------------------------------------------------
{
	echo 'email,name,consent,firm'
	for i in $(seq 1 100); do printf 'advisor%03d@advisors.example,"Advisor %03d",email,"Firm %d, LLC"\n' "$i" "$i" "$i"; done
	for i in 7 8 9; do printf 'ADVISOR%03d@Advisors.example,Again,email,x\n' "$i"; done
} >"$T/list.csv"
api POST /outreach/lists "$(jq -n --rawfile d "$T/list.csv" '{name:"advisors", format:"csv", data:$d}')" >"$T/list.json"
check "100 contacts imported from CSV, 3 duplicates skipped (201)" bash -c \
	"[ $(st) = 201 ] && jq -e '.imported == 100 and .duplicates == 3' '$T/list.json'" || cat "$T/list.json"

# ---- 2. the campaign, stopped by the budget at message 60 -----------------------------------
api PUT /budgets/sendgrid '{"daily":6000,"currency":"USD"}' >/dev/null
check "a daily budget of 60.00 USD on sendgrid" test "$(st)" = 200
api POST /outreach/email "$(jq -n '{list:"advisors", from:"Acme Advisors <hello@acme.example>",
	subject:"{{name}}: a better way to serve {{firm}}", text:"Dear {{name}},\nhere is our product.",
	html:"<p>Dear {{name}},</p><p><a href=\"https://acme.example/product\">our product</a></p>",
	provider:"sendgrid", per_minute:120}')" >"$T/cp.json"
check "the campaign is running with 100 recipients (201)" bash -c \
	"[ $(st) = 201 ] && jq -e '.campaign.state == \"running\" and .campaign.recipients == 100' '$T/cp.json'"
CP=$(jq -r '.campaign.id // empty' "$T/cp.json")
check "bos-broker outreach starts with its listener" start_broker || { sed 's/^/# /' "$T/broker.log"; finish; }
check "60 messages reach SendGrid" wait_for 120 bash -c "[ \$(jq -c 'select(.provider==\"sendgrid\" and .status==202)' '$STUB_LOG' | wc -l) -ge 60 ]"
sleep 4
check "… and no more while the budget is spent: exactly 60 ($(sent_ok))" test "$(sent_ok)" = 60
api GET "/outreach/campaigns/$CP" >"$T/cp60.json"
check "the campaign: running, 60 sent, 40 queued" \
	jq -e '.campaign.state == "running" and .campaign.sent == 60 and .campaign.queued == 40' "$T/cp60.json"
check "alert budget_paused for sendgrid" bash -c \
	"api GET '/alerts?state=open' | jq -e '[.alerts[] | select(.kind == \"budget_paused\")] | length >= 1'"
api GET /outreach/cost >"$T/cost60.json"
check "cost: sendgrid spent 60.00 USD today, the campaign 60 messages, 60,000,000 micro-USD" \
	jq -e --arg cp "$CP" '([.services[] | select(.service == "sendgrid")][0].spent == 6000) and
	([.campaigns[] | select(.id == $cp)][0] | .messages == 60 and .spent_micros == 60000000)' "$T/cost60.json" ||
	cat "$T/cost60.json"

# ---- 3. a resume (approved), a SIGKILL between two sends, the rest sent once ----------------
api POST /budgets/sendgrid/resume >"$T/resume.json"
AP=$(jq -r '.approval.id // empty' "$T/resume.json")
check "the resume waits for an approval (202)" test "$(st)" = 202 -a -n "$AP"
check "still 60 before the approval" test "$(sent_ok)" = 60
api POST "/approvals/$AP/approve" "{\"totp\":\"$(totp_code 0)\"}" >/dev/null
check "approved with a fresh TOTP code (200)" test "$(st)" = 200
check "the campaign goes on: 70 sent" wait_for 60 bash -c "[ \$(jq -c 'select(.provider==\"sendgrid\" and .status==202)' '$STUB_LOG' | wc -l) -ge 70 ]"
# Between two sends (120 a minute: one every 0.5 s): kill 0.2 s after a message arrived.
n=$(sent_ok)
wait_for 5 bash -c "[ \$(jq -c 'select(.provider==\"sendgrid\" and .status==202)' '$STUB_LOG' | wc -l) -gt $n ]"
sleep 0.2
kill -KILL "$BPID"; wait "$BPID" 2>/dev/null
killed_at=$(sent_ok)
sleep 1
check "the broker is killed with SIGKILL at message $killed_at; nothing is sent meanwhile" test "$(sent_ok)" = "$killed_at"
check "bos-broker started again" start_broker
check "100 messages in all" wait_for 90 bash -c "[ \$(jq -c 'select(.provider==\"sendgrid\" and .status==202)' '$STUB_LOG' | wc -l) -ge 100 ]"
cp_done() { api GET "/outreach/campaigns/$CP" | jq -e '.campaign.state == "done" and .campaign.sent == 100' >/dev/null; }
check "the campaign is done: 100 sent" wait_for 20 cp_done
sleep 2
jq -c 'select(.provider=="sendgrid" and .status==202) | .sent' "$STUB_LOG" >"$T/sent.jsonl"
check "exactly 100 messages: 100 distinct recipients and 100 distinct bos_message ids" bash -c "
	[ \$(wc -l <'$T/sent.jsonl') = 100 ] &&
	[ \$(jq -r .to '$T/sent.jsonl' | sort -u | wc -l) = 100 ] &&
	[ \$(jq -r .custom_args.bos_message '$T/sent.jsonl' | sort -u | wc -l) = 100 ]"
check "every one with List-Unsubscribe <$PUBLIC/u/TOKEN> and List-Unsubscribe-Post one-click" \
	test "$(jq -r --arg u "$PUBLIC/u/" 'select((.headers["List-Unsubscribe"] | startswith("<" + $u)) and
	.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click") | .to' "$T/sent.jsonl" | wc -l)" = 100
check "the merge fields: advisor042's subject names Advisor 042 and Firm 42, LLC" \
	test "$(jq -r 'select(.to == "advisor042@advisors.example") | .subject' "$T/sent.jsonl")" = \
	"Advisor 042: a better way to serve Firm 42, LLC"
api GET /outreach/cost >"$T/cost100.json"
check "cost: the campaign 100 messages, 100.00 USD" jq -e --arg cp "$CP" \
	'[.campaigns[] | select(.id == $cp)][0] | .messages == 100 and .spent_micros == 100000000' "$T/cost100.json"

# ---- 4. the signed event stream ---------------------------------------------------------------
# From what SendGrid accepted: 100 delivered except 4 bounced (2 hard, 1 blocked -> failed, 1
# soft -> deferred, then delivered), opens by 30 contacts (10 of them twice), clicks by 12 (3
# twice), 1 spam report, 2 unsubscribes; plus "processed" events that count for nothing.
/usr/bin/python3 - "$T/sent.jsonl" "$T/events.json" <<'PY' || notok "the event fixture is written"
import json, sys, time
rows = [json.loads(l) for l in open(sys.argv[1])]
rows.sort(key=lambda r: r["to"])
now, ev, n = int(time.time()) - 60, [], [0]
def e(r, kind, **kw):
    n[0] += 1
    x = {"email": r["to"], "timestamp": now + n[0] % 50, "event": kind,
         "sg_event_id": "evt%06d" % n[0], "sg_message_id": "x.filter0001", 
         "bos_message": r["custom_args"]["bos_message"], "bos_token": r["custom_args"]["bos_token"]}
    x.update(kw); ev.append(x)
for i, r in enumerate(rows):
    e(r, "processed")
    if i in (0, 1):
        e(r, "bounce", type="bounce", reason="550 5.1.1 unknown user")
    elif i == 2:
        e(r, "bounce", type="blocked", reason="blocked by policy")
    else:
        if i == 3:
            e(r, "deferred", reason="451 try later")
        e(r, "delivered")
    if 10 <= i < 40:
        e(r, "open")
        if i < 20:
            e(r, "open")
    if 10 <= i < 22:
        e(r, "click", url="https://acme.example/product")
        if i < 13:
            e(r, "click", url="https://acme.example/product")
    if i == 50:
        e(r, "spamreport")
    if i in (60, 61):
        e(r, "unsubscribe")
json.dump(ev, open(sys.argv[2], "w"), separators=(",", ":"))
PY
sg_sign() { { printf '%s' "$2"; cat "$1"; } | openssl dgst -sha256 -sign "${3:-$H/sg.pem}" | base64 -w0; }
sg_post() {
	curl -s -o "$T/h.out" -w '%{http_code}' --max-time 30 --cacert "$H/cert.pem" \
		-H 'Content-Type: application/json' -H "X-Twilio-Email-Event-Webhook-Signature: $3" \
		-H "X-Twilio-Email-Event-Webhook-Timestamp: $2" --data-binary "@$1" \
		"https://127.0.0.1:$HP/hooks/sendgrid/events" || true
}
stats() { api GET "/outreach/stats?campaign=$CP"; }
NOW=$(date +%s)
BAD=$(sg_sign "$T/events.json" "$NOW" "$H/other.pem")
check "control: the vendor's verifySignature refuses the batch signed with another key" \
	test "$($VENDOR sg-verify "$SGPUB" "$BAD" "$NOW" "$T/events.json")" = bad
check "a batch with a bad signature: 401" test "$(sg_post "$T/events.json" "$NOW" "$BAD")" = 401
stats >"$T/stats0.json"
check "… the stats count no delivery, open or click" \
	jq -e '.delivered == 0 and .opened == 0 and .clicked == 0' "$T/stats0.json"
SIG=$(sg_sign "$T/events.json" "$NOW")
check "the vendor's verifySignature accepts the fixture" \
	test "$($VENDOR sg-verify "$SGPUB" "$SIG" "$NOW" "$T/events.json")" = ok
check "the signed batch ($(jq length "$T/events.json") events) is accepted: 200" \
	test "$(sg_post "$T/events.json" "$NOW" "$SIG")" = 200
stats >"$T/stats1.json"
check "stats match the fixture: sent 100, delivered 97, bounced 2, failed 1, opened 30, clicked 12, complained 1, unsubscribed 2" \
	jq -e '.sent == 100 and .delivered == 97 and .bounced == 2 and .opened == 30 and .clicked == 12
	and .complained == 1 and .unsubscribed == 2' "$T/stats1.json" || cat "$T/stats1.json"
check "rates: opened 0.3, clicked 0.12, bounced 0.02, unsubscribed 0.02" \
	jq -e '.rates.opened == 0.3 and .rates.clicked == 0.12 and .rates.bounced == 0.02 and
	.rates.unsubscribed == 0.02' "$T/stats1.json"
check "the same batch again (a provider retry): 200" test "$(sg_post "$T/events.json" "$NOW" "$SIG")" = 200
stats >"$T/stats2.json"
check "… and the stats do not move" bash -c "diff <(jq -S 'del(.rates)' '$T/stats1.json') <(jq -S 'del(.rates)' '$T/stats2.json')"
OLD=$((NOW - 400))
check "a batch signed 400 s ago: 401" \
	test "$(sg_post "$T/events.json" "$OLD" "$(sg_sign "$T/events.json" "$OLD")")" = 401
FUT=$((NOW + 400))
check "a batch signed 400 s in the future: 401" \
	test "$(sg_post "$T/events.json" "$FUT" "$(sg_sign "$T/events.json" "$FUT")")" = 401

# ---- 5. one-click unsubscribe; the next campaign skips who left -------------------------------
U=$(jq -r 'select(.to == "advisor090@advisors.example") | .headers["List-Unsubscribe"]' "$T/sent.jsonl" | tr -d '<>')
UPATH=${U#"$PUBLIC"}
ust=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$H/cert.pem" -X POST \
	-H 'Content-Type: application/x-www-form-urlencoded' --data 'List-Unsubscribe=One-Click' \
	"https://127.0.0.1:$HP$UPATH")
check "RFC 8058 one-click unsubscribe of advisor090 through the listener: 200 ($ust)" test "$ust" = 200
check "advisor090 is on the suppression list (unsubscribed)" bash -c \
	"api GET /outreach/suppressions | jq -e '[.suppressions[] | select(.address == \"advisor090@advisors.example\" and .reason == \"unsubscribed\")] | length == 1'"
api POST /outreach/email "$(jq -n '{list:"advisors", from:"hello@acme.example", subject:"Second note",
	text:"Hello again.", provider:"sendgrid", per_minute:6000, start:false}')" >"$T/cp2.json"
check "the next campaign: 100 recipients, 6 suppressed (2 bounced, 1 complained, 3 unsubscribed)" \
	jq -e '.campaign.recipients == 100 and .campaign.suppressed == 6' "$T/cp2.json" || cat "$T/cp2.json"
api POST "/outreach/campaigns/$(jq -r .campaign.id "$T/cp2.json")/cancel" >/dev/null

# ---- 6. at most once: a send that never answers, and a SIGKILL --------------------------------
SLOWKEY="SG.$(canary slow)"
stub_key sendgrid "$SLOWKEY" slow 30
api POST /credentials "{\"name\":\"sendgrid-slow\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$SLOWKEY\"}" >/dev/null
api POST /outreach/lists '{"name":"one","format":"json","contacts":[{"email":"solo@advisors.example","consent":"email"}]}' >/dev/null
# A raise waits for an approval (202): approve it with the next step's code (this one was used).
AP2=$(api PUT /budgets/sendgrid '{"daily":100000,"currency":"USD"}' | jq -r '.approval.id // empty')
api POST "/approvals/$AP2/approve" "{\"totp\":\"$(totp_code 1)\"}" >/dev/null
check "the budget raised to 1,000.00 USD (approved)" test "$(st)" = 200
api POST /outreach/email "$(jq -n '{list:"one", from:"hello@acme.example", subject:"Solo", text:"Hi.",
	provider:"sendgrid", credential:"sendgrid-slow", per_minute:6000}')" >"$T/cp3.json"
CP3=$(jq -r '.campaign.id // empty' "$T/cp3.json")
in_call() { [ "$(api GET "/outreach/campaigns/$CP3" | jq -r '.campaign.queued + .campaign.sent')" = 0 ]; }
check "the broker is inside the SendGrid call (the message is sending)" wait_for 30 in_call
kill -KILL "$BPID"; wait "$BPID" 2>/dev/null
check "bos-broker started again after SIGKILL" start_broker
unknown() { api GET "/outreach/campaigns/$CP3" | jq -e '.campaign.unknown == 1' >/dev/null; }
check "after the claim ran out the message is unknown, not sent again" wait_for 40 unknown
check "alert outreach_unknown raised" bash -c \
	"api GET '/alerts?state=open' | jq -e '[.alerts[] | select(.kind == \"outreach_unknown\")] | length >= 1'"
sleep 3
check "the stalled message reached SendGrid at most once" \
	test "$(grep -c 'solo@advisors.example' "$STUB_LOG")" -le 1
kill -TERM "$BPID"; wait "$BPID" 2>/dev/null

# ---- nothing secret in any log ----------------------------------------------------------------
check_not "no SendGrid key in the broker's or the vault's log" \
	grep -qaF -e "$SGKEY" -e "$SLOWKEY" "$T/broker.log" "$T/vault.log"
check_not "no recipient address in the broker's log" grep -qa "advisors.example" "$T/broker.log"
finish
