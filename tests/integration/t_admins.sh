#!/bin/bash
# More than one admin, and the way back from a lockout (issue #12 item 12;
# docs/AUTH.md "More admins" and "Failures, lockout, disable").
#
# The first admin still enrols over the unix socket (and only once). A
# signed-in admin adds another with POST /admins/{name} and a fresh TOTP code
# of its own: the new admin gets a seed and recovery codes of its own and
# signs in; the same code again, a missing or wrong one, a short password, a
# taken or malformed name are refused and add nothing; `bosctl admin add`
# does the same from a prompt or stdin. Then, with lockout_failures=3,
# lockout_seconds=4, disable_failures=6: an admin locked out by failed
# sign-ins is refused even with the right password and code, another admin
# resets it (over the API, and with `bosctl admin reset`) and it signs in
# again; an admin disabled after 6 failures in a row gets back in with the
# password and a recovery code (not while the last lock runs, not with a TOTP
# code), and another disabled admin is reset by a second admin. No password,
# seed or recovery code of the new admins shows up in the log, the database
# files or the audit trail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_audit.sh"
export XDG_RUNTIME_DIR=$T/run HOME=$T/home
mkdir -m 700 "$XDG_RUNTIME_DIR" "$HOME"
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN
PW="alice $(canary pw)" PWB="bob $(canary pwb)" PWC="carol $(canary pwc)"
: >"$T/secrets"
secret() { printf '%s\n' "$1" >>"$T/secrets"; }
secret "$PW"; secret "$PWB"; secret "$PWC"

# code SECRET STEP: the TOTP code of now + STEP * 30 s for a base32 secret.
code() { oathtool --totp -b "$1" -N "@$(( $(date +%s) + ${2:-0} * 30 ))"; }
# signin NAME PASSWORD [FIELD VALUE]: POST /auth/login; sets LS (status), body in $T/login.body.
signin() {
	local extra=""
	[ $# -ge 4 ] && extra=",\"$3\":\"$4\""
	LS=$(vcurl -o "$T/login.body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"$1\",\"password\":\"$2\"$extra}" "$URL/auth/login") || LS=000
}
# fail3 NAME: three wrong passwords (the third locks).
fail3() { local i; for i in 1 2 3; do signin "$1" "wrong password $i!"; done; }

api_up "$T/s" lockout_failures=3 lockout_seconds=4 disable_failures=6 || { notok "vault starts"; finish; }
check "the first admin enrols over the unix socket and signs in" admin_setup alice "$PW"
secret "$TOTP_SECRET"; secret "$SESSION"
A_SECRET=$TOTP_SECRET
out=$(curl -sS --unix-socket "$S/vault.sock" -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"mallory\",\"password\":\"$PW\"}" -w ' %{http_code}' http://vault/admins)
check "the first-admin path stays closed once an admin exists (409)" grep -q 'admin_exists.* 409$' <<<"$out"

# ---- POST /admins/{name} ---------------------------------------------------------------
# One code, kept: computed again later it may belong to the next 30 s step.
A0=$(code "$A_SECRET" 0)
out=$(api POST /admins/bob "{\"password\":\"$PWB\",\"totp\":\"$A0\"}")
check "alice adds bob with a fresh code of her own: 201" test "$(st)" = 201
B_SECRET=$(jq -r '.totp_secret // empty' <<<"$out"); secret "$B_SECRET"
mapfile -t B_CODES < <(jq -r '.recovery_codes[]?' <<<"$out")
for c in "${B_CODES[@]}"; do secret "$c"; secret "${c//-/}"; done
check "  bob's answer: his own seed, an otpauth URI for bob, 10 recovery codes" bash -c \
	"[ -n '$B_SECRET' ] && [ '$B_SECRET' != '$A_SECRET' ] && [ ${#B_CODES[@]} -eq 10 ] &&
	 jq -e '.name == \"bob\" and (.id | startswith(\"ad_\")) and (.totp_uri | contains(\"BOS:bob?\"))' <<<'$out' >/dev/null"
signin bob "$PWB" totp "$(code "$B_SECRET" 0)"
check "bob signs in with his password and his own authenticator (full)" \
	bash -c "test '$LS' = 200 && jq -e '.state == \"full\"' '$T/login.body'"
out=$(api POST /admins/carol "{\"password\":\"$PWC\",\"totp\":\"$A0\"}")
check "the same code of alice again: 401, the code was used (single use like a sign-in)" \
	bash -c "test '$(st)' = 401 && jq -e '.error.message | test(\"TOTP code is wrong or was used\")' <<<'$out'"
out=$(api POST /admins/carol "{\"password\":\"$PWC\"}")
check "no code: 400" test "$(st)" = 400
out=$(api POST /admins/carol "{\"password\":\"$PWC\",\"totp\":\"000000\"}")
check "a wrong code: 401" test "$(st)" = 401
out=$(api POST /admins/carol "{\"password\":\"too short\",\"totp\":\"$(code "$A_SECRET" 1)\"}")
check "a password under 12 characters: 400, saying so" \
	bash -c "test '$(st)' = 400 && grep -q '12' <<<'$out'"
out=$(api POST /admins/bob "{\"password\":\"$PWC\",\"totp\":\"$(code "$A_SECRET" 1)\"}")
check "a name that is taken: 409 admin_exists" \
	bash -c "test '$(st)' = 409 && jq -e '.error.code == \"admin_exists\"' <<<'$out'"
out=$(api POST /admins/Carol "{\"password\":\"$PWC\",\"totp\":\"$(code "$A_SECRET" 1)\"}")
check "a malformed name: 400" test "$(st)" = 400
out=$(api POST /admins/carol "{\"password\":\"$PWC\",\"totp\":\"$(code "$A_SECRET" 1)\",\"role\":\"x\"}")
check "an unknown field: 400" test "$(st)" = 400
out=$(vcurl -X POST -H 'Content-Type: application/json' -w ' %{http_code}' \
	--data-binary "{\"password\":\"$PWC\",\"totp\":\"123456\"}" "$URL/admins/carol")
check "without a session: 401" grep -q ' 401$' <<<"$out"
out=$(api GET /admins)
check "after the refusals the admins are alice and bob only" \
	jq -e '[.admins[].name] == ["alice", "bob"]' <<<"$out"

# ---- bosctl admin add / list -------------------------------------------------------------
export BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem
A1=$(code "$A_SECRET" 1)
out=$(printf '%s\n%s\n' "$PW" "$A1" | "$BOSCTL" login alice 2>&1)
check "bosctl login alice" grep -q 'signed in as alice' <<<"$out"
out=$(printf '%s\n%s\n' "$PWC" "$A1" | "$BOSCTL" admin add carol 2>&1); rc=$?
check "bosctl admin add carol, with the code alice just signed in with: refused (exit 1)" \
	bash -c "test $rc -eq 1 && grep -q 'TOTP code is wrong or was used' <<<'$out'"
# The next step's code is fresh once the clock has passed the step of the sign-in's.
sleep $(( 31 - $(date +%s) % 30 ))
out=$(printf '%s\n%s\n' "$PWC" "$(code "$A_SECRET" 1)" | "$BOSCTL" admin add carol --json 2>&1); rc=$?
check "bosctl admin add carol with a fresh code (stdin: password, code)" test "$rc" -eq 0
C_SECRET=$(jq -r '.totp_secret // empty' <<<"$out" 2>/dev/null); secret "$C_SECRET"
mapfile -t C_CODES < <(jq -r '.recovery_codes[]?' <<<"$out" 2>/dev/null)
for c in "${C_CODES[@]}"; do secret "$c"; done
check "  carol's seed and 10 codes" bash -c "[ -n '$C_SECRET' ] && [ ${#C_CODES[@]} -eq 10 ]"
out=$("$BOSCTL" admin list 2>&1)
check "bosctl admin list shows the three, active" bash -c \
	"[ \$(grep -cE '^ad_[a-z2-7]{26} +(alice|bob|carol) +active ' <<<'$out') -eq 3 ]"
out=$(printf 'x\n' | "$BOSCTL" admin add 2>&1); rc=$?
check "bosctl admin add without NAME is a usage error (exit 2)" test "$rc" -eq 2

# ---- lockout, and another admin resets it -------------------------------------------------
fail3 bob
check "bob: three wrong passwords (the third still answers 401, and locks)" test "$LS" = 401
signin bob "$PWB" totp "$(code "$B_SECRET" 1)"
check "locked bob is refused even with the right password and code (429 account_locked)" \
	bash -c "test '$LS' = 429 && jq -e '.error.code == \"account_locked\"' '$T/login.body'"
out=$(api GET /admins)
check "alice sees bob locked" jq -e '.admins[] | select(.name == "bob") | .locked' <<<"$out"
out=$(api POST /admins/bob/reset)
check "alice resets bob: 200" test "$(st)" = 200
signin bob "$PWB" totp "$(code "$B_SECRET" 1)"
check "bob signs in again at once, with the right password and code (full)" \
	bash -c "test '$LS' = 200 && jq -e '.state == \"full\"' '$T/login.body'"

fail3 carol
signin carol "$PWC"
check "carol locked (429)" test "$LS" = 429
out=$("$BOSCTL" admin reset carol 2>&1); rc=$?
check "bosctl admin reset carol (as alice)" bash -c "test $rc -eq 0 && grep -q 'reset admin carol' <<<'$out'"
signin carol "$PWC"
check "carol signs in again (password accepted: 200, TOTP pending)" \
	bash -c "test '$LS' = 200 && jq -e '.state == \"totp_pending\"' '$T/login.body'"

# ---- disabled after 6 failures in a row: a recovery code, or another admin -----------------
disable() { fail3 "$1"; sleep 5; fail3 "$1"; }
disable bob
out=$(api GET /admins)
check "bob disabled after 6 failures in a row" \
	jq -e '.admins[] | select(.name == "bob") | .disabled and .consecutive_failures == 6' <<<"$out"
signin bob "$PWB" recovery_code "${B_CODES[0]}"
check "while the last lock runs, even a recovery code is refused (429)" test "$LS" = 429
sleep 5
signin bob "$PWB" totp "$(code "$B_SECRET" 0)"
check "disabled bob: password + TOTP refused (403 account_disabled)" \
	bash -c "test '$LS' = 403 && jq -e '.error.code == \"account_disabled\"' '$T/login.body'"
signin bob "$PWB" recovery_code "aaaa-bbbb-cccc-dddd"
check "disabled bob: a made-up recovery code refused (401)" test "$LS" = 401
signin bob "$PWB" recovery_code "${B_CODES[0]}"
check "disabled bob: password + a recovery code signs him in (full)" \
	bash -c "test '$LS' = 200 && jq -e '.state == \"full\"' '$T/login.body'"
out=$(api GET /admins)
check "  and clears the disable: active, 0 failures, 9 codes left" jq -e '.admins[] |
	select(.name == "bob") | (.disabled | not) and (.locked | not) and
	.consecutive_failures == 0 and .recovery_codes_left == 9' <<<"$out"
signin bob "$PWB" recovery_code "${B_CODES[0]}"
check "  the used recovery code does not work twice (401)" test "$LS" = 401

disable carol
signin carol "$PWC"
check "carol disabled too (403 account_disabled once the lock ends, 429 before)" \
	bash -c "test '$LS' = 403 -o '$LS' = 429"
out=$(api POST /admins/carol/reset)
check "alice resets disabled carol: 200" test "$(st)" = 200
signin carol "$PWC"
check "carol signs in again after the reset (200)" test "$LS" = 200

# ---- records and secrets ---------------------------------------------------------------------
audit_fetch "$T/trail.json" >/dev/null || notok "reading the audit trail"
check "the audit trail has one allowed admin_add for bob and one for carol, by alice's sessions" \
	jq -e '[.[] | select(.action == "admin_add" and .decision == "allow")] | length == 2 and
	(map(.reason) | any(test("^admin bob \\(ad_[a-z2-7]+\\) added by alice$"))) and
	(map(.reason) | any(test("^admin carol \\(ad_[a-z2-7]+\\) added by alice$")))' "$T/trail.json"
check "the refused adds are recorded (deny for the codes, invalid for the rest)" \
	jq -e '[.[] | select(.action == "admin_add" and .decision != "allow")] | length >= 8' "$T/trail.json"
jq -c . "$T/trail.json" >"$T/trail.lines"
leaks=0
while read -r s; do
	[ -n "$s" ] || continue
	for f in "$T/vault.log" "$S/bos.db" "$S/bos.db-wal" "$T/trail.lines"; do
		[ "$(count_in "$s" "$f")" -eq 0 ] || { leaks=$((leaks + 1)); echo "# leak in $f" >&2; }
	done
done <"$T/secrets"
check "no password, seed, recovery code or session token in the log, the database or the trail" \
	test "$leaks" -eq 0
finish
