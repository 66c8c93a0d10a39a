#!/bin/bash
# Grant pickup against the real vault, with curl and oathtool (docs/MCP.md
# "Vault: grant pickup"): a grant made with delivery "pickup" answers without
# its token (no bos_h_ anywhere in the answer); the admin who made it picks
# the token up once with a fresh TOTP code, and the token works; again is 410
# pickup_used; a replayed or wrong code is 403 and spends nothing; another
# admin is refused (403); a revoked grant's pickup is gone (409
# grant_revoked); past grant_pickup_seconds 410 pickup_expired and the grant
# stays; the sweep deletes what expired; delivery other than response or
# pickup is 400. The token is nowhere in the log, the database files, the
# audit trail or any list.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_audit.sh"

PW="pickup test $(canary pw)"
BOB_PW="bob's long password $(canary b)"
TOKEN_RE='^bos_h_[0-9A-Za-z]{49}$'
: >"$T/lists"
has() { local in=$1; shift; [ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null; }
# pgrant [DELIVERY]: a grant of C to H; prints the answer, status in st.
pgrant() {
	api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"$C\"],\"actions\":[\"read\"]${1:+,\"delivery\":$1}}"
}
pickup() { api POST "/grants/$1/pickup" "{\"totp\":\"$2\"}"; }

api_up "$T/s" "grant_pickup_seconds = 10" "sweep_interval_seconds = 2" >/dev/null 2>&1 ||
	{ notok "vault starts"; finish; }
check "admin created and signed in" admin_setup alice "$PW"
LOGIN_CODE=$ADMIN_LOGIN_CODE   # the code the sign-in spent (a step may have passed since)
C=$(api POST /credentials '{"name":"sg-main","type":"api_key","service":"sendgrid","secret":"SG.pickup-secret"}' | jq -r .id)
H=$(api POST /helpers '{"name":"Jane Doe","contact":"jane@example.com","kind":"setup"}' | jq -r .id)
check "setup: a credential and a helper" bash -c "[[ '$C' == cr_* && '$H' == hl_* ]]"

# ---- delivery ---------------------------------------------------------------------------
out=$(pgrant '"bogus"')
check "delivery \"bogus\": 400 naming delivery" bash -c "test '$(st)' = 400" &&
	check "  the message names the field" has "$out" '.error.code == "invalid" and
	(.error.message | test("delivery"))'
pgrant 7 >/dev/null
check "delivery 7: 400" test "$(st)" = 400
out=$(pgrant '"response"')
check "delivery \"response\": 201 with the token, as before" bash -c "test '$(st)' = 201 &&
	jq -e '.token | test(\"$TOKEN_RE\")' <<<'$out'"
ACC_RESP=$(jq -r .accessor <<<"$out")
out=$(pgrant '"pickup"')
check "delivery \"pickup\": 201 with accessor and pickup.expires_at" bash -c "test '$(st)' = 201 &&
	jq -e '(.accessor | startswith(\"acc_\")) and .pickup.expires_at and .helper == \"$H\"
	and (has(\"token\") | not)' <<<'$out'"
check "  no bos_h_ anywhere in the answer" bash -c "! grep -q bos_h_ <<<'$out'"
ACC=$(jq -r .accessor <<<"$out")
api GET /grants | tee -a "$T/lists" >/dev/null
check "  the grant is listed, active" has "$(api GET /grants)" --arg a "$ACC" \
	'[.grants[] | select(.accessor == $a)][0].state == "active"'

# ---- refused codes spend nothing ---------------------------------------------------------
out=$(pickup "$ACC" "$LOGIN_CODE")
check "pickup with the sign-in's code: 403 totp_replayed" bash -c "test '$(st)' = 403 &&
	jq -e '.error.code == \"totp_replayed\"' <<<'$out'"
wrong=$(printf '%06d' $(( (10#$(totp_code 0) + 500000) % 1000000 )))
out=$(pickup "$ACC" "$wrong")
check "pickup with a wrong code: 403 totp_invalid" bash -c "test '$(st)' = 403 &&
	jq -e '.error.code == \"totp_invalid\"' <<<'$out'"
api POST "/grants/$ACC/pickup" '{}' >/dev/null
check "pickup without a code: 400" test "$(st)" = 400
api POST "/grants/$ACC/pickup" '{"totp":"000000","extra":1}' >/dev/null
check "pickup with an unknown field: 400" test "$(st)" = 400

# ---- the pickup --------------------------------------------------------------------------
out=$(pickup "$ACC" "$(totp_code 0)")
TOK=$(jq -r '.token // empty' <<<"$out")
check "pickup with a fresh code: 200 {accessor, token, helper, expires_at}" bash -c \
	"test '$(st)' = 200 && jq -e '.accessor == \"$ACC\" and .helper == \"$H\" and .expires_at and
	(.token | test(\"$TOKEN_RE\"))' <<<'$out'"
st=$(curl -s -o "$T/read.json" -w '%{http_code}' --cacert "$S/tls/cert.pem" \
	-H "Authorization: Bearer $TOK" "$URL/credentials/$C")
check "the token picked up reads the credential" bash -c "test '$st' = 200 &&
	jq -e '.secret == \"SG.pickup-secret\"' '$T/read.json'"
out=$(pickup "$ACC" "$(totp_code 1)")
check "pickup again: 410 pickup_used (before any code is spent)" bash -c "test '$(st)' = 410 &&
	jq -e '.error.code == \"pickup_used\"' <<<'$out' && ! grep -q bos_h_ <<<'$out'"
pickup "$ACC_RESP" "$(totp_code 1)" >/dev/null
check "pickup of a grant made with delivery response: 404" test "$(st)" = 404
pickup acc_aaaaaaaaaaaaaaaaaaaa "$(totp_code 1)" >/dev/null
check "pickup of an unknown grant: 404" test "$(st)" = 404
pickup not-an-accessor "$(totp_code 1)" >/dev/null
check "pickup of a malformed accessor: 404" test "$(st)" = 404

# ---- another admin ----------------------------------------------------------------------
out=$(pgrant '"pickup"')
ACC2=$(jq -r .accessor <<<"$out")
out=$(api POST /admins/bob "{\"password\":\"$BOB_PW\",\"totp\":\"$(totp_code 1)\"}")
BOB_SECRET=$(jq -r '.totp_secret // empty' <<<"$out")
check "alice adds admin bob" test -n "$BOB_SECRET"
BOB=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"bob\",\"password\":\"$BOB_PW\",\"totp\":\"$(oathtool --totp -b "$BOB_SECRET")\"}" \
	"$URL/auth/login" | jq -r '.session // empty')
check "bob signs in" test -n "$BOB"
out=$(SESSION=$BOB; pickup "$ACC2" "$(oathtool --totp -b "$BOB_SECRET" -N "@$(( $(date +%s) + 30 ))")")
check "bob picks up alice's grant: 403 forbidden" bash -c "test '$(SESSION=$BOB; st)' = 403 &&
	jq -e '.error.code == \"forbidden\" and (.error.message | test(\"admin who created\"))' <<<'$out'"

# ---- revoked ----------------------------------------------------------------------------
api DELETE "/grants/$ACC2" >/dev/null
check "alice revokes the grant" test "$(st)" = 200
out=$(pickup "$ACC2" "$(totp_code 1)")
check "pickup of a revoked grant: 409 grant_revoked" bash -c "test '$(st)' = 409 &&
	jq -e '.error.code == \"grant_revoked\"' <<<'$out'"

# ---- expiry and the sweep -----------------------------------------------------------------
out=$(pgrant '"pickup"')
ACC3=$(jq -r .accessor <<<"$out")
out=$(pgrant '"pickup"')
ACC4=$(jq -r .accessor <<<"$out")
sleep 12
out=$(pickup "$ACC3" "$(totp_code 1)")
check "pickup past grant_pickup_seconds: 410 pickup_expired" bash -c "test '$(st)' = 410 &&
	jq -e '.error.code == \"pickup_expired\"' <<<'$out'"
check "  the grant stays (listed active)" has "$(api GET /grants | tee -a "$T/lists")" \
	--arg a "$ACC3" '[.grants[] | select(.accessor == $a)][0].state == "active"'
api DELETE "/grants/$ACC3" >/dev/null
check "  and can be revoked" test "$(st)" = 200
check "the sweep deleted the expired pickup and said so" grep -q \
	"sweep: [0-9]* grant token(s) not picked up in time deleted" "$T/vault.log"
out=$(pickup "$ACC4" "$(totp_code 1)")
check "pickup after the sweep: 410 pickup_expired" test "$(st)" = 410

# ---- bosctl grant pickup ------------------------------------------------------------------
echo $(( $(date +%s) / 30 + 1 )) >"$T/last_step"   # alice's last code: at most the next step
totp_fresh() {
	local step=$(( $(cat "$T/last_step" 2>/dev/null || echo 0) + 1 ))
	[ "$step" -lt $(( $(date +%s) / 30 )) ] && step=$(( $(date +%s) / 30 ))
	while [ "$step" -gt $(( $(date +%s) / 30 + 1 )) ]; do sleep 1; done
	echo "$step" >"$T/last_step"   # a file: the callers run it in $(...)
	oathtool --totp -b "$TOTP_SECRET" -N "@$((step * 30))"
}
export XDG_RUNTIME_DIR=$T/run HOME=$T/home BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME"
printf '%s\n%s\n' "$PW" "$(totp_fresh)" | "$BOSCTL" login alice >/dev/null 2>&1
check "bosctl login alice" test $? = 0
# The codes first (they may wait for the next step): pickups live 10 s here.
C5=$(totp_fresh); C6=$(totp_fresh)
ACC5=$(pgrant '"pickup"' | jq -r .accessor)
ACC6=$(pgrant '"pickup"' | jq -r .accessor)
"$BOSCTL" grant pickup "$ACC5" 123456 >"$T/b.out" 2>"$T/b.err" </dev/null
check "bosctl grant pickup ACC CODE: a code on the command line is a usage error (exit 2)" test $? = 2
touch "$T/exists"
echo 000000 | "$BOSCTL" grant pickup "$ACC5" --out "$T/exists" >"$T/b.out" 2>"$T/b.err"
check "bosctl grant pickup --out over an existing file: exit 1 before anything is sent" \
	bash -c "test $? = 1 && grep -q 'exists' '$T/b.err' && test ! -s '$T/exists'"
printf '%s\n' "$C5" | "$BOSCTL" grant pickup "$ACC5" --out "$T/tok5" >"$T/b.out" 2>"$T/b.err"
check "bosctl grant pickup ACC --out FILE (code on stdin): exit 0" test $? = 0
TOK5=$(cat "$T/tok5" 2>/dev/null)
check "  FILE has the token alone, mode 0600" bash -c "[[ '$TOK5' =~ $TOKEN_RE ]] &&
	test \"\$(stat -c %a '$T/tok5')\" = 600"
check "  the token is not on stdout or stderr" bash -c "! grep -q bos_h_ '$T/b.out' '$T/b.err'"
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$S/tls/cert.pem" \
	-H "Authorization: Bearer $TOK5" "$URL/credentials/$C")
check "  and it reads the credential" test "$st" = 200
printf '%s\n' "$C6" | "$BOSCTL" grant pickup "$ACC6" >"$T/b.out" 2>"$T/b.err"
check "bosctl grant pickup ACC: exit 0, the token printed once" bash -c "test $? = 0 &&
	test \"\$(grep -cE 'bos_h_[0-9A-Za-z]{49}' '$T/b.out')\" = 1"
TOK6=$(grep -oE 'bos_h_[0-9A-Za-z]{49}' "$T/b.out")
echo 000000 | "$BOSCTL" grant pickup "$ACC6" >"$T/b.out" 2>"$T/b.err"
check "bosctl grant pickup again: exit 1, pickup_used" bash -c "test $? = 1 && grep -q pickup_used '$T/b.err'"
"$BOSCTL" grant pickup "$TOK6" >"$T/b.out" 2>"$T/b.err" </dev/null
check "bosctl grant pickup TOKEN: exit 2, the token not echoed" bash -c "test $? = 2 &&
	! grep -q bos_h_ '$T/b.out' '$T/b.err'"

# ---- the trail and the secrets ------------------------------------------------------------
audit_fetch "$T/trail.json" >/dev/null || notok "reading the audit trail"
check "audit: the grant's record says its token waits for pickup" jq -e --arg a "/grants/$ACC" \
	'[.[] | select(.action == "grant_create" and .resource == $a and
	(.reason | test("wrapped for pickup")))] | length == 1' "$T/trail.json"
check "audit: the pickup (allow, picked up by alice)" jq -e --arg a "$ACC" '[.[] | select(.action ==
	"grant_pickup" and .decision == "allow" and (.reason | contains($a + " (helper")) and
	(.reason | contains("picked up by alice")))] | length == 1' "$T/trail.json"
check "audit: the refusals (replayed, wrong, used, another admin, revoked, expired)" jq -e \
	'[.[] | select(.action == "grant_pickup" and .decision != "allow")] | length >= 6' \
	"$T/trail.json"
check "audit: the sweep's record" jq -e '[.[] | select(.action == "pickup_sweep")] | length >= 1' \
	"$T/trail.json"
n=0
for f in "$T/vault.log" "$S/bos.db" "$S/bos.db-wal" "$T/trail.json" "$T/lists"; do
	for t in "$TOK" "$TOK5" "$TOK6"; do
		n=$((n + $(count_in "$t" "$f") + $(count_in "${t:6:43}" "$f")))
	done
done
check "the tokens (whole, and their random part) are in no log, database file, trail or list" \
	test "$n" = 0
check "the TOTP codes are in no log" bash -c "! grep -q -w -F -e '$wrong' -e '$LOGIN_CODE' '$T/vault.log'"
finish
