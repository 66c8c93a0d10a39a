#!/bin/bash
# Clock steps move no TTL and no lockout (issue #12 item 17; SECURITY.md
# "Clock steps (± 1 h) change no TTL or lockout"; docs/GRANTS.md "Clock").
#
# bos-vaultd runs with an LD_PRELOAD shim (tests/tools/preload/clock_shift.c)
# that shifts the wall clock it sees by an offset the test changes while it
# runs, as `date -s` or an NTP jump would step the system clock. The audit
# records' times (wall clock, for people) show that the vault saw each step.
#   +1 h: a grant with a 40 s TTL still works (it does not expire early), a
#         grant unused for an hour of wall time is not revoked as idle
#         (grant_idle_revoke_seconds = 1800), a locked admin stays locked
#         (the lock does not end early), the session still works.
#   then -1 h (back to the start): a grant made at +1 h with a 15 s TTL is
#         refused 15 s later (it does not live an hour longer), an admin
#         locked at +1 h for 40 s signs in again 40 s later (the lock does
#         not last an hour longer); the 40 s grant has expired by then too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_audit.sh"
SHIM=$BOS_TESTBIN/clock_shift.so
SHIFT=$T/clock-offset
LOCK=40
PW="clock step $(canary pw)" PWB="clock step bob $(canary pwb)"
[ -f "$SHIM" ] || { notok "clock shim $SHIM is built"; finish; }

# step SECONDS: from now on the vault's wall clock is off by SECONDS.
step() { touch -d "@$((1000000000 + $1))" "$SHIFT"; }
# pwonly NAME PASSWORD: a password-only sign-in (no TOTP: the codes follow the
# stepped wall clock); prints the status: 200 (TOTP pending) or 429 (locked).
pwonly() {
	vcurl -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"$1\",\"password\":\"$2\"}" "$URL/auth/login"
}
sleep_until() { local d=$(( $1 - $(date +%s) )); [ "$d" -le 0 ] || sleep "$d"; }
lock() { local i; for i in 1 2 3; do pwonly "$1" "wrong password $i!" >/dev/null; done; }
# use TOKEN: the helper reads credential $C with TOKEN; prints the status, notes the request id.
use() { areq GET "/credentials/$C" "$1"; echo "$ARID" >>"$T/rids"; echo "$ARS"; }
grant() {
	api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"$C\"],\"actions\":[\"read\"],\"ttl\":$1}" |
		jq -r '.token // empty'
}

init_dev "$T/s" lockout_failures=3 lockout_seconds=$LOCK grant_idle_revoke_seconds=1800 \
	>/dev/null 2>&1 || { notok "init"; finish; }
S=$T/s
# Only the vault gets the shim (see t_fsync_fatal.sh for ASan's link order check).
export LD_PRELOAD=$SHIM BOS_CLOCK_SHIFT_FILE=$SHIFT BOS_CLOCK_SHIFT_ONLY=bos-vaultd
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
start_vault "$S" "$T/vault.log"; started=$?
unset LD_PRELOAD BOS_CLOCK_SHIFT_FILE BOS_CLOCK_SHIFT_ONLY
[ "$started" -eq 0 ] || { notok "vault starts with the clock shim"; cat "$T/vault.log"; finish; }
ok "vault starts with the clock shim"
check "admin alice created and signed in" admin_setup alice "$PW"
out=$(api POST /admins/bob "{\"password\":\"$PWB\",\"totp\":\"$(totp_code 0)\"}")
check "admin bob added" test "$(st)" = 201
C=$(api POST /credentials '{"name":"main","type":"api_key","service":"clock","secret":"s3cret"}' | jq -r .id)
H=$(api POST /helpers '{"name":"Clock Helper","contact":"clock@example.com","kind":"setup"}' | jq -r .id)
G40=$(grant 40) GLONG=$(grant 7200)
check "setup: a credential, a helper, a 40 s grant and a 2 h grant" \
	bash -c "[[ '$C' == cr_* && '$H' == hl_* && '$G40' == bos_h_* && '$GLONG' == bos_h_* ]]"
lock alice
check "alice locked by 3 failures (429 with the right password)" test "$(pwonly alice "$PW")" = 429

# ---- +1 h ----------------------------------------------------------------------------------
step 3600
: >"$T/rids"
check "+1 h: the 40 s grant still reads (no early expiry)" test "$(use "$G40")" = 200
STEPPED_RID=$(tail -1 "$T/rids")
check "+1 h: the 2 h grant, an hour 'unused', is not revoked as idle (idle limit 30 min)" \
	test "$(use "$GLONG")" = 200
check "+1 h: locked alice is still refused with the right password (no early unlock)" \
	test "$(pwonly alice "$PW")" = 429
api GET /auth/session >/dev/null
check "+1 h: the admin session still works" test "$(st)" = 200
G15=$(grant 15)
T15=$(date +%s)
check "+1 h: a 15 s grant made now" bash -c "[[ '$G15' == bos_h_* ]]"
lock bob
TLOCK=$(date +%s)
check "+1 h: bob locked by 3 failures" test "$(pwonly bob "$PWB")" = 429

# ---- back to the start: a -1 h step ----------------------------------------------------------
step 0
check "-1 h: bob is still locked right after the step" test "$(pwonly bob "$PWB")" = 429
sleep_until $(( T15 + 17 ))
check "-1 h: the 15 s grant is refused 17 s after it was made (it does not live longer)" \
	test "$(use "$G15")" = 403
sleep_until $(( TLOCK + LOCK + 2 ))
check "-1 h: bob signs in again ${LOCK} s after his lock (it does not last an hour longer)" \
	test "$(pwonly bob "$PWB")" = 200
check "-1 h: alice's lock, older, is over too" test "$(pwonly alice "$PW")" = 200
check "the 40 s grant has expired by now (403)" test "$(use "$G40")" = 403

# ---- the shim reached the vault: its records' wall-clock times moved with the steps --------
audit_fetch "$T/trail.json" >/dev/null || notok "reading the audit trail"
t=$(jq -r --arg r "$STEPPED_RID" '.[] | select(.request_id == $r) | .time' "$T/trail.json")
check "the vault's wall clock was an hour ahead during the +1 h step (record time $t)" \
	test "$(( $(date -u -d "${t%.*}Z" +%s 2>/dev/null || echo 0) - $(date +%s) ))" -gt 3000
finish
