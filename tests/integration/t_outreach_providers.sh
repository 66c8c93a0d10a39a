#!/bin/bash
# Outreach over Mailgun, Amazon SES v2 and Plivo end to end (issue #16 item 3): the
# real vault, the real bos-broker (role outreach, sandboxed) and the strict provider
# stubs (providers_stub.py; the SES stub recomputes each request's SigV4 signature
# from the secret it holds). A list of 3 contacts; an email campaign over mailgun,
# one over ses and an SMS campaign over plivo: each done with 3 sent, the stub saw
# exactly 3 valid requests for it (right auth, every required field, distinct
# recipients), each job's provider_id is the provider's id, and no secret is in any
# log.
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
	"outreach_public_url = $PUBURL" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }
ok "the Mailgun, SES and Plivo stubs are up"

TOK=$(broker_add outreach out1)
check "an outreach broker registered" test -n "$TOK" || finish
printf '%s\n' "$TOK" >"$T/out.token" && chmod 0600 "$T/out.token"
cat >"$T/out.conf" <<CONF
vault_socket = $S/vault.sock
token_file = $T/out.token
test_ca_file = $STUB_CA
claim_wait = 1
base_url.mailgun = https://127.0.0.1:$STUB_PORT_mailgun
base_url.ses = https://127.0.0.1:$STUB_PORT_ses
base_url.plivo = https://127.0.0.1:$STUB_PORT_plivo
CONF

# ---- credentials (the stubs know each secret) -------------------------------------------
MG_KEY="key-$(canary mailgun)"
SES_KEY_ID=AKIA$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
SES_SECRET="$(canary ses)/Secret+Key"
PL_ID=MA$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
PL_TOKEN=$(canary plivo)
stub_key mailgun "$MG_KEY" ok
stub_key ses "$SES_KEY_ID:$SES_SECRET" ok
stub_key plivo "$PL_ID:$PL_TOKEN" ok
cred_add() { api POST /credentials "$1" | jq -r '.id // empty'; }
check "a mailgun credential (metadata.domain)" test -n "$(cred_add "{\"name\":\"mg-main\",\"type\":\"api_key\",\"service\":\"mailgun\",\"secret\":\"$MG_KEY\",\"metadata\":{\"domain\":\"mg.acme.example\"}}")"
check "an ses credential (metadata access_key_id, region)" test -n "$(cred_add "{\"name\":\"ses-main\",\"type\":\"api_key\",\"service\":\"ses\",\"secret\":\"$SES_SECRET\",\"metadata\":{\"access_key_id\":\"$SES_KEY_ID\",\"region\":\"eu-west-1\"}}")"
check "a plivo credential (metadata.auth_id)" test -n "$(cred_add "{\"name\":\"plivo-main\",\"type\":\"api_key\",\"service\":\"plivo\",\"secret\":\"$PL_TOKEN\",\"metadata\":{\"auth_id\":\"$PL_ID\"}}")"
# A Mailgun domain that would reshape the URL: refused by the broker before any request.
stub_key mailgun "key-evil-$PL_TOKEN" ok
check "a mailgun credential whose domain is a path" test -n "$(cred_add "{\"name\":\"mg-evil\",\"type\":\"api_key\",\"service\":\"mailgun\",\"secret\":\"key-evil-$PL_TOKEN\",\"metadata\":{\"domain\":\"x.example/../../v3/other\"}}")"

# ---- the list ---------------------------------------------------------------------------
contacts='['
for i in 1 2 3; do
	contacts+="{\"email\":\"Advisor$i@Example.org\",\"phone\":\"+1 (415) 555-010$i\",\"name\":\"Advisor $i\",\"consent\":\"both\"}"
	[ $i -lt 3 ] && contacts+=','
done
contacts+=']'
api POST /outreach/lists "{\"name\":\"advisors\",\"format\":\"json\",\"contacts\":$contacts}" >"$T/list.json"
check "a list of 3 contacts (201)" bash -c "[ $(st) = 201 ] && [ \"\$(jq -r .imported '$T/list.json')\" = 3 ]" || { cat "$T/list.json"; finish; }

run_broker() {
	"$BROKER" outreach --config "$T/out.conf" >>"$T/broker.log" 2>&1 &
	BPID=$!
	bg_track "$BPID"
}
stop_broker() { kill -TERM "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null; }
wait_for() { local n=$1; shift; for _ in $(seq $((n * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
campaign() {   # campaign NAME KIND JSON: its id
	api POST "/outreach/$2" "$3" >"$T/$1.json"
	[ "$(st)" = 201 ] || { echo "campaign $1: $(st) $(cat "$T/$1.json")" >&2; return 1; }
	jq -r '.campaign.id // empty' "$T/$1.json"
}
sent_is() { [ "$(api GET "/outreach/campaigns/$1" | jq -r '.campaign.sent')" = "$2" ]; }

EMAIL='"list":"advisors","from":"Acme Sales <sales@acme.example>","subject":"Hello {{name}}","text":"Dear {{name}},\nour product.\n","html":"<p>Dear {{name}}</p>","per_minute":6000'
CMG=$(campaign mg email "{$EMAIL,\"provider\":\"mailgun\",\"credential\":\"mg-main\"}")
check "an email campaign over mailgun (3 recipients)" test -n "$CMG"
CSES=$(campaign ses email "{$EMAIL,\"provider\":\"ses\",\"credential\":\"ses-main\"}")
check "an email campaign over ses (3 recipients)" test -n "$CSES"
CPL=$(campaign pl sms '{"list":"advisors","from":"+14155550100","body":"Hi {{name}}, a word about our product.","provider":"plivo","credential":"plivo-main","per_minute":6000}')
check "an SMS campaign over plivo (3 recipients)" test -n "$CPL"
run_broker
all_sent() { sent_is "$CMG" 3 && sent_is "$CSES" 3 && sent_is "$CPL" 3; }
check "the three campaigns count 3 sent each" wait_for 90 all_sent || tail -30 "$T/broker.log"
sleep 1
# Between jobs the running broker's memory holds no copy of a leased secret (tests/tools/memscan,
# as root), with a control that finds its own token.
if [ "$(id -u)" -ne 0 ] || [ ! -x "$BOS_TESTBIN/memscan" ]; then
	ok "memory scan skipped: memscan reads /proc/PID/mem of an undumpable process as root only"
else
	for s in "$MG_KEY" "$SES_SECRET" "$PL_TOKEN"; do
		printf '%s\n' "$s" >"$T/scan.secret"
		"$BOS_TESTBIN/memscan" "${SCAN_OPTS[@]}" "$BPID" "$T/scan.secret" >/dev/null 2>&1
		check "no copy of a leased secret (${s:0:10}…) in the broker's memory after its jobs" test $? -eq 0
	done
	printf '%s\n' "$TOK" >"$T/scan.control"
	"$BOS_TESTBIN/memscan" "${SCAN_OPTS[@]}" "$BPID" "$T/scan.control" >/dev/null 2>&1
	check "control: memscan finds the broker's own token in it" test $? -eq 1
fi
stop_broker

for c in "$CMG" "$CSES" "$CPL"; do
	check "campaign $c: 3 sent, none failed, none queued" test "$(api GET "/outreach/campaigns/$c" | jq -c '[.campaign.sent, .campaign.failed, .campaign.queued]')" = "[3,0,0]"
done

# ---- what each stub saw ------------------------------------------------------------------
valid() { stub_count ".provider==\"$1\" and .method==\"POST\" and .problems==[] and .sent != null $2"; }
check "mailgun: exactly 3 valid requests, Basic api:KEY, to /v3/mg.acme.example/messages" \
	test "$(valid mailgun "and .key==\"$(stub_kid "$MG_KEY")\" and .path==\"/v3/mg.acme.example/messages\"")" = 3
check "mailgun: no other POST reached it" \
	test "$(stub_count '.provider=="mailgun" and .method=="POST"')" = 3
check "mailgun: 3 distinct recipients, each with v:bos_message, v:bos_token, List-Unsubscribe{,-Post}" \
	bash -c "[ \$(jq -r 'select(.provider==\"mailgun\" and .sent) | .sent.to' '$STUB_LOG' | sort -u | wc -l) = 3 ] &&
	[ \$(jq -r 'select(.provider==\"mailgun\" and .sent) | select(.sent.variables.bos_message | test(\"^om_\")) | select(.sent.headers[\"List-Unsubscribe-Post\"] == \"List-Unsubscribe=One-Click\") | select(.sent.headers[\"List-Unsubscribe\"] | startswith(\"<$PUBURL/u/\")) | .sent.to' '$STUB_LOG' | wc -l) = 3 ]"
check "ses: exactly 3 valid requests, SigV4 verified by the stub, region eu-west-1" \
	test "$(valid ses "and .auth==\"sigv4\" and .region==\"eu-west-1\" and .key==\"$(stub_kid "$SES_KEY_ID:$SES_SECRET")\"")" = 3
check "ses: no request refused (no signature mismatch)" test "$(stub_count '.provider=="ses" and .status!=200')" = 0
check "ses: 3 distinct recipients, EmailTags bos_message/bos_token, List-Unsubscribe{,-Post}" \
	bash -c "[ \$(jq -r 'select(.provider==\"ses\" and .sent) | .sent.to' '$STUB_LOG' | sort -u | wc -l) = 3 ] &&
	[ \$(jq -r 'select(.provider==\"ses\" and .sent) | select(.sent.tags.bos_message | test(\"^om_\")) | select(.sent.tags.bos_token | length > 0) | select(.sent.headers[\"List-Unsubscribe-Post\"] == \"List-Unsubscribe=One-Click\") | .sent.to' '$STUB_LOG' | wc -l) = 3 ]"
check "plivo: exactly 3 valid requests, Basic AUTH_ID:TOKEN, to /v1/Account/$PL_ID/Message/" \
	test "$(valid plivo "and .key==\"$(stub_kid "$PL_ID:$PL_TOKEN")\" and .path==\"/v1/Account/$PL_ID/Message/\"")" = 3
# The vault gives a status callback for twilio only (no Plivo hooks route yet): no url is sent.
check "plivo: 3 distinct E.164 numbers, the STOP notice, no url (the vault gives none for plivo)" \
	bash -c "[ \$(jq -r 'select(.provider==\"plivo\" and .sent) | .sent.to' '$STUB_LOG' | grep -c '^+1415555010[1-3]\$') = 3 ] &&
	[ \$(jq -r 'select(.provider==\"plivo\" and .sent) | .sent.stop_notice' '$STUB_LOG' | grep -c true) = 3 ] &&
	[ \$(jq -r 'select(.provider==\"plivo\" and .sent) | .sent.status_callback' '$STUB_LOG' | grep -c '^null\$') = 3 ]"

# ---- each job's provider_id is the id the stub gave ------------------------------------------
api GET "/jobs?kind=send_email" >"$T/jobs_e.json"
api GET "/jobs?kind=send_sms" >"$T/jobs_s.json"
check "6 send_email jobs done, provider_ids = the ids Mailgun and SES answered" bash -c "
	[ \$(jq '[.jobs[] | select(.state==\"done\")] | length' '$T/jobs_e.json') = 6 ] &&
	diff <(jq -r '.jobs[].result.provider_id' '$T/jobs_e.json' | sort) \
	     <(jq -r 'select((.provider==\"mailgun\" or .provider==\"ses\") and .sent) | .provider_id' '$STUB_LOG' | sort)"
check "3 send_sms jobs done, provider_ids = Plivo's message_uuid" bash -c "
	[ \$(jq '[.jobs[] | select(.state==\"done\")] | length' '$T/jobs_s.json') = 3 ] &&
	diff <(jq -r '.jobs[].result.provider_id' '$T/jobs_s.json' | sort) \
	     <(jq -r 'select(.provider==\"plivo\" and .sent) | .provider_id' '$STUB_LOG' | sort)"

# ---- a mailgun domain that is a path: refused before any request ----------------------------------
before=$(stub_count '.provider=="mailgun"')
CEV=$(campaign ev email "{$EMAIL,\"provider\":\"mailgun\",\"credential\":\"mg-evil\"}")
run_broker
ev_failed() { [ "$(api GET "/outreach/campaigns/$CEV" | jq -r '.campaign.failed')" = 3 ]; }
check "a mailgun domain with '/': its 3 messages fail" wait_for 30 ev_failed
stop_broker
check "… without one request to the stub" test "$(stub_count '.provider=="mailgun"')" = "$before"
check "… the broker's log says why (domain)" grep -q "domain that is a DNS name" "$T/broker.log"

# ---- no secret anywhere ------------------------------------------------------------------------
for s in "$MG_KEY" "$SES_SECRET" "$PL_TOKEN" "$TOK"; do
	check "a secret (${s:0:10}…) is in no log (broker, vault, stubs)" bash -c "
		! grep -a -q -F -- '$s' '$T/broker.log' '$T/vault.log' '$STUB_LOG'"
done
finish
