#!/bin/bash
# A grant never exceeds what its issuer may hand out now (issue #12 item 4,
# docs/GRANTS.md "Using a grant"): a helper's credentials/*/* grant, made
# while the admin role could read everything, reads the payment key; the vault
# is restarted with "deny read credentials/payments/**" added to the admin
# role, and the same token is refused that read (403 in the words of any
# resource outside the grant, not counted, audited and logged with a reason
# naming the issuer and the rule) while the rest of its scope and the actions
# the role still has keep working; restarted with the old file, the read works
# again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_audit.sh"
PW="grant issuer $(canary pw)"
NOPE=cr_aaaaaaaaaaaaaaaaaaaaaaaaaa

# hreq METHOD PATH [BODY]: one request with the helper token; sets HS, HRID, body in $T/h.body.
hreq() {
	areq "$1" "$2" "$HTOK" "${3-}"
	HS=$ARS HRID=$ARID
	cp "$T/areq.body" "$T/h.body"
}

restart_vault() {
	kill "$VPID" 2>/dev/null; wait "$VPID" 2>/dev/null
	start_vault "$S" "$T/vault.log"
}

api_up "$T/s" >/dev/null 2>&1 || { notok "vault starts"; finish; }
check "admin created and signed in" admin_setup alice "$PW"
PAYSECRET=$(canary pay) SGSECRET=$(canary sg)
PAY=$(api POST /credentials "{\"name\":\"card\",\"type\":\"api_key\",\"service\":\"payments\",\"secret\":\"$PAYSECRET\"}" | jq -r .id)
SG=$(api POST /credentials "{\"name\":\"main\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$SGSECRET\"}" | jq -r .id)
H=$(api POST /helpers '{"name":"Jane Doe","contact":"jane@example.com","kind":"setup"}' | jq -r .id)
out=$(api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"credentials/*/*\"],\"actions\":[\"read\",\"update\"]}")
HTOK=$(jq -r .token <<<"$out") ACC=$(jq -r .accessor <<<"$out")
check "setup: two credentials, a helper, a credentials/*/* grant" bash -c \
	"[[ '$PAY' == cr_* && '$SG' == cr_* && '$H' == hl_* && '$HTOK' == bos_h_* && '$ACC' == acc_* ]]"
hreq GET "/credentials/$PAY"
check "wide role: the helper reads the payment key" \
	bash -c "test '$HS' = 200 && jq -e --arg s '$PAYSECRET' '.secret == \$s' '$T/h.body'"

# ---- the admin role loses the payment keys ------------------------------------------------
cp "$S/roles.policy" "$T/wide.policy"
echo "deny read credentials/payments/**" >>"$S/roles.policy"
check "vault restarts with 'deny read credentials/payments/**'" restart_vault
hreq GET "/credentials/$PAY"
DENIED_RID=$HRID
cp "$T/h.body" "$T/denied.body"
check "narrowed role: the same token may not read the payment key (403)" test "$HS" = 403
check "narrowed role: no secret byte in the refusal" bash -c "! grep -qF '$PAYSECRET' '$T/denied.body'"
hreq GET "/credentials/$NOPE"
check "narrowed role: the refusal reads like one for a credential that does not exist" \
	bash -c "test '$HS' = 403 && diff <(jq -S .error '$T/denied.body') <(jq -S .error '$T/h.body')"
hreq GET "/credentials/$SG"
check "narrowed role: the rest of the grant's scope still reads (control)" \
	bash -c "test '$HS' = 200 && jq -e --arg s '$SGSECRET' '.secret == \$s' '$T/h.body'"
hreq PUT "/credentials/$PAY" '{"secret":"new payment secret"}'
check "narrowed role: updating the payment key, which the role still may, works" test "$HS" = 200
check "the vault log names the issuer's rule for the refusal" grep -q \
	"denied read on $PAY: grant $ACC exceeds what its issuer may hand out now: role admin: rule at roles.policy:[0-9]* denies read" \
	"$T/vault.log"

SESSION=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(totp_code 0)\"}" \
	"$URL/auth/login" | jq -r '.session // empty')
check "admin signs in again" test -n "$SESSION"
out=$(api GET "/grants?helper=$H")
check "the refused read was not counted (3 uses: read before, read and update after)" \
	jq -e --arg a "$ACC" '.grants[] | select(.accessor == $a) | .uses == 3 and .state == "active"' <<<"$out"
audit_fetch "$T/trail.json" >/dev/null || notok "reading the audit trail"
check "the refusal's audit record: deny, the grant's accessor, the issuer's rule" \
	jq -e --arg r "$DENIED_RID" --arg a "$ACC" '[.[] | select(.request_id == $r)] | length == 1 and
	.[0].decision == "deny" and .[0].principal == $a and (.[0].reason |
	test("exceeds what its issuer may hand out now: role admin: rule at roles.policy:[0-9]+ denies read"))' \
	"$T/trail.json"
out=$(api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"$PAY\"],\"actions\":[\"read\"]}")
check "a new grant of the payment key for reading is refused the same way (narrowing)" \
	bash -c "test '$(st)' = 403 && grep -q 'can only narrow' <<<'$out'"

# ---- the old file again: the grant reaches as far as before ---------------------------------
cp "$T/wide.policy" "$S/roles.policy"
check "vault restarts with the wide role file" restart_vault
hreq GET "/credentials/$PAY"
check "wide role again: the helper reads the (updated) payment key" \
	bash -c "test '$HS' = 200 && jq -e '.secret == \"new payment secret\"' '$T/h.body'"
finish
