#!/bin/bash
# Mailgun's and Plivo's webhooks end to end (docs/OUTREACH.md "Events", the
# hooks listener): the real bos-broker outreach with hooks_listen, the real
# vault, curl as the providers. Signatures are computed here with openssl
# (the npm plivo package is not installed; Mailgun has no signer in
# tests/node_modules): Mailgun's hex HMAC-SHA256 of timestamp || token
# under a webhook signing key stored as a `mailgun` credential with metadata
# purpose webhook; Plivo's V3 base64 HMAC-SHA256 of URL?query.params.nonce
# under the auth token of a `plivo` credential with metadata auth_id.
# Positive: a signed Mailgun event is recorded (the vault's counts in the
# broker's log, the audit names the credential); a Plivo status callback
# signed with the auth token is recorded, and so is one whose header holds
# two signatures (one of them right). Negative: the Mailgun replay (same
# token, signed) -> 401 replayed and nothing recorded; a wrong signature,
# a wrong key, a stale or future timestamp -> 401; a Mailgun key without
# purpose webhook is not used; a Plivo callback signed with another token
# or for another auth_id -> 401; no auth_id in the URL -> 400. The vault
# asked directly: a replayed token with another event -> 401 replayed and
# that event not recorded; a signed timestamp 2 h old -> 401 stale; a
# candidate that is not timestamp || token, extra members, a bad signature
# form, a scheme of another provider, five Plivo signatures -> 400. The
# audit names the credentials that verified. No secret in the broker's log
# or the audit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"

BROKER=$BOS_BIN/bos-broker
ME=$(id -u)
PUBLIC=https://hooks.example.test
VSET=("broker_uid_outreach = $ME")
grep -qa outreach_public_url "$BOS_BIN/bos-vaultd" &&
	VSET+=("outreach_public_url = $PUBLIC/" "outreach_postal_address = 1 Main St, Springfield"
		"outreach_reply_domain = reply.example.test")
check "vault up (outreach broker from uid $ME)" api_up "$T/s" "${VSET[@]}" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
OUT=$(broker_add outreach hooksmg)
check "an outreach broker registered" bash -c "[[ '$OUT' == bos_b_* ]]" || finish
printf '%s\n' "$OUT" >"$T/out.token" && chmod 0600 "$T/out.token"

H=$T/hooks; mkdir -p "$H"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$H/key.pem" \
	-out "$H/cert.pem" -days 2 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
chmod 0600 "$H/key.pem"
check "the listener's certificate made (openssl)" test -s "$H/cert.pem" || finish

# The secrets: a Mailgun webhook signing key, a Mailgun API key (another purpose: never used to
# verify), a Plivo auth token.
MGKEY=$(canary mgkey | tr 'A-Z' 'a-z')
MGAPI=$(canary mgapi | tr 'A-Z' 'a-z')
PLTOK=$(canary pltok)
AUTHID=MA$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F')
OTHERID=SA$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F')
id1=$(api POST /credentials "{\"name\":\"mg-api\",\"type\":\"api_key\",\"service\":\"mailgun\",\"secret\":\"$MGAPI\",\"metadata\":{\"domain\":\"mg.example.test\"}}" | jq -r '.id // .credential.id // empty')
id2=$(api POST /credentials "{\"name\":\"mg-webhook\",\"type\":\"api_key\",\"service\":\"mailgun\",\"secret\":\"$MGKEY\",\"metadata\":{\"purpose\":\"webhook\"}}" | jq -r '.id // .credential.id // empty')
id3=$(api POST /credentials "{\"name\":\"plivo-main\",\"type\":\"api_key\",\"service\":\"plivo\",\"secret\":\"$PLTOK\",\"metadata\":{\"auth_id\":\"$AUTHID\"}}" | jq -r '.id // .credential.id // empty')
check "three credentials stored (mailgun api key, mailgun webhook key, plivo)" \
	test -n "$id1" -a -n "$id2" -a -n "$id3"

HP=$(free_port)
{
	echo "vault_socket = $S/vault.sock"; echo "token_file = $T/out.token"; echo "claim_wait = 2"
	echo "hooks_listen = 127.0.0.1:$HP"; echo "hooks_cert = $H/cert.pem"
	echo "hooks_key = $H/key.pem"; echo "hooks_public_url = $PUBLIC/"
} >"$T/out.conf"
"$BROKER" outreach --config "$T/out.conf" >"$T/out.log" 2>&1 & BPID=$!; bg_track $BPID
for _ in $(seq 100); do grep -q 'ready:' "$T/out.log" && break; sleep 0.1; done
check "bos-broker outreach starts with the listener" grep -q "hooks: listening on 127.0.0.1:$HP" \
	"$T/out.log" || { sed 's/^/# /' "$T/out.log"; finish; }

hk() {
	local m=$1 p=$2; shift 2
	curl -s -X "$m" -o "$T/h.out" -D "$T/h.hdr" -w '%{http_code}' --max-time 20 \
		--cacert "$H/cert.pem" "$@" "https://127.0.0.1:$HP$p" || true
}
# counted N R D U: the broker logged N events, R recorded, D duplicates, U unmatched (once more).
logged() { grep -c "hooks: $1: $2 events, $3 recorded, $4 duplicates, $5 unmatched" "$T/out.log"; }

# ---- Mailgun ----
hmac_hex() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" | sed 's/^.*= //'; }
# mg_file FILE TS TOKEN SIG EVENT_ID
mg_file() {
	printf '{"signature":{"timestamp":"%s","token":"%s","signature":"%s"},"event-data":{"event":"failed","severity":"permanent","id":"%s","timestamp":%s.25,"recipient":"lead-%s@example.test","reason":"bounce","message":{"headers":{"message-id":"x1@mg.example.test"}},"user-variables":{}}}' \
		"$2" "$3" "$4" "$5" "$2" "$(canary r)" >"$1"
}
mg_post() { hk POST /hooks/mailgun/events -H 'Content-Type: application/json' --data-binary "@$1"; }
NOW=$(date +%s)
TOK=$(od -An -N25 -tx1 /dev/urandom | tr -d ' \n')
EV=mgev$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
mg_file "$T/mg1.json" "$NOW" "$TOK" "$(hmac_hex "$MGKEY" "$NOW$TOK")" "$EV"
st=$(mg_post "$T/mg1.json"); sleep 0.2
check "a Mailgun event signed with the webhook key is recorded: 200 ($st)" test "$st" = 200
check "the vault recorded it (1 event, unmatched: no campaign)" test "$(logged mailgun 1 0 0 1)" = 1
st=$(mg_post "$T/mg1.json"); sleep 0.2
check "its replay (the same token, correctly signed): 401 ($st)" test "$st" = 401
check "the vault said replayed (the broker's log)" grep -q 'the vault answered 401 replayed' "$T/out.log"
check "nothing recorded by the replay (no second count in the log)" \
	test "$(grep -c 'hooks: mailgun: 1 events' "$T/out.log")" = 1
# The same event id under a fresh token is a duplicate (recorded once), not a replay.
TOK2=$(od -An -N25 -tx1 /dev/urandom | tr -d ' \n')
mg_file "$T/mg2.json" "$NOW" "$TOK2" "$(hmac_hex "$MGKEY" "$NOW$TOK2")" "$EV"
st=$(mg_post "$T/mg2.json"); sleep 0.2
check "a retry with a fresh token: 200, a duplicate ($st)" \
	bash -c "[ '$st' = 200 ] && [ \$(grep -c 'hooks: mailgun: 1 events, 0 recorded, 1 duplicates' '$T/out.log') = 1 ]"
TOK3=$(od -An -N25 -tx1 /dev/urandom | tr -d ' \n')
mg_file "$T/mg3.json" "$NOW" "$TOK3" "$(hmac_hex "wrong$MGKEY" "$NOW$TOK3")" "${EV}b"
st=$(mg_post "$T/mg3.json")
sleep 0.2
check "signed with a wrong key: 401 ($st)" test "$st" = 401
check "the vault said bad_signature" grep -q 'the vault answered 401 bad_signature' "$T/out.log"
mg_file "$T/mg4.json" "$NOW" "$TOK3" "$(hmac_hex "$MGAPI" "$NOW$TOK3")" "${EV}c"
st=$(mg_post "$T/mg4.json")
check "signed with the Mailgun API key (not purpose webhook): 401 ($st)" test "$st" = 401
mg_file "$T/mg5.json" "$NOW" "$TOK3" "$(hmac_hex "$MGKEY" "$NOW${TOK3}x")" "${EV}d"
st=$(mg_post "$T/mg5.json")
check "a signature over another token: 401 ($st)" test "$st" = 401
OLD=$((NOW - 301))
mg_file "$T/mg6.json" "$OLD" "$TOK3" "$(hmac_hex "$MGKEY" "$OLD$TOK3")" "${EV}e"
st=$(mg_post "$T/mg6.json")
check "a stale timestamp (301 s old, correctly signed): 401 ($st)" test "$st" = 401
FUT=$((NOW + 400))
mg_file "$T/mg7.json" "$FUT" "$TOK3" "$(hmac_hex "$MGKEY" "$FUT$TOK3")" "${EV}f"
st=$(mg_post "$T/mg7.json")
check "a future timestamp (400 s ahead, correctly signed): 401 ($st)" test "$st" = 401
st=$(hk POST /hooks/mailgun/events -H 'Content-Type: application/json' --data-binary '{"event-data":{"event":"delivered","id":"u","timestamp":1}}')
check "an unsigned Mailgun event: 401 ($st)" test "$st" = 401
# The refused ones did not burn the token: it still works, once.
mg_file "$T/mg8.json" "$NOW" "$TOK3" "$(hmac_hex "$MGKEY" "$NOW$TOK3")" "${EV}g"
st=$(mg_post "$T/mg8.json"); sleep 0.2
check "the token of the refused requests, now correctly signed: 200 ($st)" test "$st" = 200
check "two Mailgun events recorded in all" test "$(logged mailgun 1 0 0 1)" = 2

# ---- Plivo ----
hmac_b64() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -binary | base64 -w0; }
UUID=$(cat /proc/sys/kernel/random/uuid)
FORM="To=14155550100&Status=delivered&MessageUUID=$UUID&From=14155550199&TotalAmount=0.00650&TotalRate=0.00650&Units=1"
SORTED="From14155550199MessageUUID${UUID}Statusdelivered""To14155550100TotalAmount0.00650TotalRate0.00650Units1"
NONCE=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
QPATH="/hooks/plivo/status?auth_id=$AUTHID"
SIGNED="$PUBLIC$QPATH.$SORTED.$NONCE"
pl_post() {
	hk POST "$1" -H 'Content-Type: application/x-www-form-urlencoded' \
		-H "X-Plivo-Signature-V3: $2" -H "X-Plivo-Signature-V3-Nonce: $NONCE" --data-binary "$FORM"
}
st=$(pl_post "$QPATH" "$(hmac_b64 "$PLTOK" "$SIGNED")"); sleep 0.2
check "a Plivo status callback signed with the auth token is recorded: 200 ($st)" test "$st" = 200
check "the vault recorded it (delivered and its price: 2 events, unmatched)" \
	test "$(logged plivo 2 0 0 2)" = 1
st=$(pl_post "$QPATH" "$(hmac_b64 "wrong$PLTOK" "$SIGNED")")
check "signed with another auth token: 401 ($st)" test "$st" = 401
check "the vault said bad_signature" grep -q '"bad_signature"' "$T/h.out"
st=$(pl_post "/hooks/plivo/status?auth_id=$OTHERID" \
	"$(hmac_b64 "$PLTOK" "$PUBLIC/hooks/plivo/status?auth_id=$OTHERID.$SORTED.$NONCE")")
check "for an auth_id no credential has: 401 ($st)" test "$st" = 401
st=$(pl_post "$QPATH" "$(hmac_b64 "$PLTOK" "$PUBLIC/hooks/plivo/inbound?auth_id=$AUTHID.$SORTED.$NONCE")")
check "signed for another path: 401 ($st)" test "$st" = 401
st=$(pl_post "$QPATH" "$(hmac_b64 "wrong$PLTOK" "$SIGNED"), $(hmac_b64 "$PLTOK" "$SIGNED")"); sleep 0.2
check "two signatures in the header, the second right: 200, now a duplicate ($st)" \
	bash -c "[ '$st' = 200 ] && [ \$(grep -c 'hooks: plivo: 2 events, 0 recorded, 2 duplicates' '$T/out.log') = 1 ]"
st=$(pl_post /hooks/plivo/status "$(hmac_b64 "$PLTOK" "$PUBLIC/hooks/plivo/status?$SORTED.$NONCE")")
check "no auth_id in the URL: 400 ($st)" test "$st" = 400
st=$(hk POST "$QPATH" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$FORM")
check "no signature headers: 401 ($st)" test "$st" = 401
# An inbound STOP, signed.
IFORM="From=14155550199&To=14155550100&Text=STOP&MessageUUID=$(cat /proc/sys/kernel/random/uuid)"
IS=$(printf '%s' "$IFORM" | tr '&' '\n' | sort | tr -d '=\n')
IPATH="/hooks/plivo/inbound?auth_id=$AUTHID"
st=$(hk POST "$IPATH" -H 'Content-Type: application/x-www-form-urlencoded' \
	-H "X-Plivo-Signature-V3: $(hmac_b64 "$PLTOK" "$PUBLIC$IPATH.$IS.$NONCE")" \
	-H "X-Plivo-Signature-V3-Nonce: $NONCE" --data-binary "$IFORM"); sleep 0.2
check "a signed inbound STOP: 200, recorded ($st)" \
	bash -c "[ '$st' = 200 ] && [ \$(grep -c 'hooks: plivo: 1 events, 0 recorded, 0 duplicates, 1 unmatched' '$T/out.log') = 1 ]"

# ---- the vault's side, asked directly (as a broker that builds a wrong verify object would) ----
b64() { printf '%s' "$1" | base64 -w0; }
# mgv TS TOKEN SIG EVENT_ID [extra verify members]: POST /outreach/events as the broker.
mgv() {
	breq "$OUT" POST /outreach/events "$(jq -cn --arg c "$(b64 "$1$2")" --arg t "$2" --arg s "$3" \
		--arg id "$4" --argjson at "$NOW" --argjson x "${5:-{\}}" \
		'{provider:"mailgun", events:[{id:$id, kind:"opened", at:$at}],
		  verify:({scheme:"mailgun", candidates:[$c], signature:$s, token:$t} + $x)}')"
}
TOK4=$(od -An -N25 -tx1 /dev/urandom | tr -d ' \n')
st=$(mgv "$NOW" "$TOK4" "$(hmac_hex "$MGKEY" "$NOW$TOK4")" "${EV}v1")
check "vault: a mailgun verify object, right: 200 recorded ($st)" \
	bash -c "[ '$st' = 200 ] && [ \"\$(jq -c . '$T/b.json')\" = '{\"recorded\":0,\"duplicates\":0,\"unmatched\":1}' ]"
st=$(mgv "$NOW" "$TOK4" "$(hmac_hex "$MGKEY" "$NOW$TOK4")" "${EV}v2")
check "vault: the token again with another event: 401 replayed ($st)" \
	bash -c "[ '$st' = 401 ] && grep -q '\"replayed\"' '$T/b.json'"
TOK5=$(od -An -N25 -tx1 /dev/urandom | tr -d ' \n')
st=$(mgv "$NOW" "$TOK5" "$(hmac_hex "$MGKEY" "$NOW$TOK5")" "${EV}v2")
check "vault: that event was not recorded by the replay (now new, not a duplicate: $st)" \
	bash -c "[ '$st' = 200 ] && [ \$(jq .duplicates '$T/b.json') = 0 ]"
OLD2=$((NOW - 7200)); TOK6=$(od -An -N25 -tx1 /dev/urandom | tr -d ' \n')
st=$(mgv "$OLD2" "$TOK6" "$(hmac_hex "$MGKEY" "$OLD2$TOK6")" "${EV}v3")
check "vault: a signed timestamp 2 h old: 401 stale ($st)" \
	bash -c "[ '$st' = 401 ] && grep -q '\"stale\"' '$T/b.json'"
st=$(breq "$OUT" POST /outreach/events "$(jq -cn --arg c "$(b64 "$NOW${TOK6}x")" --arg t "$TOK6" \
	--arg s "$(hmac_hex "$MGKEY" "$NOW${TOK6}x")" --argjson at "$NOW" \
	'{provider:"mailgun", events:[{id:"v4", kind:"opened", at:$at}],
	  verify:{scheme:"mailgun", candidates:[$c], signature:$s, token:$t}}')")
check "vault: a candidate that is not timestamp || token: 400 ($st)" test "$st" = 400
st=$(mgv "$NOW" "$TOK6" "$(hmac_hex "$MGKEY" "$NOW$TOK6")" "${EV}v5" '{"account":"x1"}')
check "vault: a mailgun verify with an account member: 400 ($st)" test "$st" = 400
st=$(mgv "$NOW" "$TOK6" "$(b64 0123456789abcdef0123456789abcdef)" "${EV}v6")
check "vault: a mailgun signature that is not 64 hex: 400 ($st)" test "$st" = 400
st=$(breq "$OUT" POST /outreach/events "$(jq -cn --arg c "$(b64 "$NOW$TOK6")" --arg t "$TOK6" \
	--arg s "$(hmac_hex "$MGKEY" "$NOW$TOK6")" --argjson at "$NOW" \
	'{provider:"sendgrid", events:[{id:"v7", kind:"opened", at:$at}],
	  verify:{scheme:"mailgun", candidates:[$c], signature:$s, token:$t}}')")
check "vault: scheme mailgun for provider sendgrid: 400 ($st)" test "$st" = 400
S1=$(hmac_b64 "$PLTOK" "$SIGNED")
st=$(breq "$OUT" POST /outreach/events "$(jq -cn --arg c "$(b64 "$SIGNED")" --arg s "$S1" \
	--arg a "$AUTHID" --argjson at "$NOW" \
	'{provider:"plivo", events:[{id:"pv1", kind:"opened", at:$at}],
	  verify:{scheme:"plivo-v3", account:$a, candidates:[$c], signature:[$s,$s,$s,$s,$s]}}')")
check "vault: five Plivo signatures: 400 ($st)" test "$st" = 400
st=$(breq "$OUT" POST /outreach/events "$(jq -cn --arg c "$(b64 "$SIGNED")" --arg s "$S1" \
	--arg a "$AUTHID" --argjson at "$NOW" \
	'{provider:"plivo", events:[{id:"pv2", kind:"opened", at:$at}],
	  verify:{scheme:"plivo-v3", account:$a, candidates:[$c], signature:$s}}')")
check "vault: one Plivo signature as a string: 200 ($st)" test "$st" = 200
# The webhook key is read as any read of it is: the audit names it.
api GET "/credentials/audit?limit=500" >"$T/audit.json"
check "the audit names the webhook key credential that verified" \
	grep -q "signature verified with credential $id2" "$T/audit.json"
check "the audit names the Plivo credential that verified" \
	grep -q "signature verified with credential $id3" "$T/audit.json"
check "a replay is in the audit, with no token" bash -c "grep -q 'replayed: a signed mailgun' \
	'$T/audit.json' && ! grep -qF -- '$TOK4' '$T/audit.json'"

# No secret anywhere in the broker's log.
for s in "$MGKEY" "$MGAPI" "$PLTOK"; do
	check "no secret in the broker's log or the audit" \
		bash -c "! grep -qF -- '$s' '$T/out.log' && ! grep -qF -- '$s' '$T/audit.json'"
done
finish
