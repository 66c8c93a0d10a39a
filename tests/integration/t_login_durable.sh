#!/bin/bash
# Sign-in writes cannot be rolled back by a failed group-commit batch (issue
# #12 item 16, docs/STORE.md "Writes outside a batch"). A sign-in records a
# used recovery code, a failure count or a TOTP step, then answers; if those
# rows joined an open batch that later failed, they would be gone while the
# client had its answer, and the same code would work again.
#
# The batch is held open for real: bos-hsmd is stopped (SIGSTOP); a sign-in
# starts hashing its password (argon2, about 0.3 s, no HSM), and meanwhile a
# credential read joins a batch and pauses in it (http_req_pause) waiting for
# its unwrap. The sign-in then writes while that batch is open. A fault
# injector (tests/tools/preload/write_fail.c, LD_PRELOAD) arms one failed
# write of the WAL, bos-hsmd continues (SIGCONT), the read resumes and the
# batch's COMMIT fails: the read gets 503. Whatever the sign-in answered
# must hold:
#   - a recovery code that signed in does not sign in again;
#   - a refused password is counted (failures, consecutive_failures);
# checked over the API and in the database after kill -9. (A TOTP step is
# written by the same code under the same lock; a TOTP sign-in unwraps its
# seed first, which waits for the paused read's unwrap, so it cannot be
# placed in the held batch this way: test_admin's
# test_signin_refuses_open_transaction covers it.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

SHIM=$BOS_TESTBIN/write_fail.so
DB="$BOS_TESTBIN/bos_dbtool"
TRIG=$T/fail-now
S=$T/s
PW="correct horse battery $(canary p)"
[ -f "$SHIM" ] || { notok "fault injector $SHIM is built"; finish; }
init_dev "$S" audit_checkpoint_seconds=3600 || { notok "init"; finish; }
export LD_PRELOAD=$SHIM BOS_WRITE_FAIL_TRIGGER=$TRIG BOS_WRITE_FAIL_MATCH=bos.db-wal BOS_WRITE_FAIL_COUNT=1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
start_vault "$S" "$T/vault.log"; started=$?
unset LD_PRELOAD BOS_WRITE_FAIL_TRIGGER BOS_WRITE_FAIL_MATCH BOS_WRITE_FAIL_COUNT
[ "$started" -eq 0 ] || { notok "the vault starts with the fault injector"; cat "$T/vault.log"; finish; }
ok "the vault starts with the fault injector"

out=$(curl -sS --unix-socket "$S/vault.sock" -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"alice\",\"password\":\"$PW\"}" http://vault/admins)
TOTP_SECRET=$(jq -r '.totp_secret // empty' <<<"$out")
mapfile -t RECOVERY < <(jq -r '.recovery_codes[]?' <<<"$out")
code_at() { oathtool --totp -b "$TOTP_SECRET" -N "@$(( ($1) * 30 ))"; }
STEP=$(( $(date +%s) / 30 ))
# login BODY_EXTRA OUT: POST /auth/login for alice; "STATUS" then the body in OUT.
login() {
	vcurl -o "$2.body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"alice\",$1}" "$URL/auth/login" >"$2" 2>/dev/null || echo 000 >"$2"
}
login "\"password\":\"$PW\",\"totp\":\"$(code_at STEP-1)\"" "$T/l0"
SESSION=$(jq -r '.session // empty' "$T/l0.body")
check "admin alice signs in (TOTP of the previous step)" test -n "$SESSION"
C=$(api POST /credentials '{"name":"c","type":"api_key","service":"s","secret":"k1"}' | jq -r .id)
check "a credential to read ($C)" test "$(st)" = 201
H=$(hsmd_pid_of "$VPID")
check "bos-hsmd runs (pid $H)" test -n "$H"
injected() { grep -c 'write_fail: injected EIO' "$T/vault.log"; }
# read_bg N: a credential read in the background, its status in $T/read.N,
# its pid added to RPIDS.
read_bg() {
	(vcurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SESSION" "$URL/credentials/$C" \
		>"$T/read.$1" 2>/dev/null || echo 000 >"$T/read.$1") &
	RPIDS+=("$!")
}
admin_row() { api GET /admins | jq -r '.admins[0] | "\(.failures) \(.consecutive_failures)"'; }
# held_batch NAME LOGIN_BODY: bos-hsmd stopped, the sign-in, a read that
# pauses in a batch while the sign-in hashes, then one failed WAL write armed
# and bos-hsmd continued. The sign-in's status in $T/NAME.
held_batch() {
	local name=$1 body=$2 n0 lpid
	RPIDS=()
	n0=$(injected)
	rm -f "$T"/read.*
	kill -STOP "$H"
	login "$body" "$T/$name" & lpid=$!
	sleep 0.1
	read_bg 1
	sleep 1.5
	check "$name: the sign-in waits while the batch is held" kill -0 "$lpid"
	touch "$TRIG"
	kill -CONT "$H"
	wait "$lpid" "${RPIDS[@]}"
	rm -f "$TRIG"
	check "$name: the batch's COMMIT failed (one write injected; the reads got $(cat "$T"/read.* | sort | uniq -c | tr -s ' \n' ' '))" \
		bash -c "[ $(( $(injected) - n0 )) -eq 1 ] && grep -q 503 $(echo "$T"/read.*)"
}

# ---- a recovery code ----
held_batch recovery "\"password\":\"$PW\",\"recovery_code\":\"${RECOVERY[0]}\""
check "  the recovery code signed in (HTTP $(cat "$T/recovery"))" test "$(cat "$T/recovery")" = 200
login "\"password\":\"$PW\",\"recovery_code\":\"${RECOVERY[0]}\"" "$T/recovery.again"
check "  the same code again: refused (HTTP $(cat "$T/recovery.again"))" test "$(cat "$T/recovery.again")" = 401

# ---- a failure count ----
read -r f0 c0 <<<"$(admin_row)"
held_batch failure "\"password\":\"wrong $PW\""
check "  a wrong password: refused (HTTP $(cat "$T/failure"))" test "$(cat "$T/failure")" = 401
read -r f1 c1 <<<"$(admin_row)"
check "  and counted: failures $f0 -> $f1, consecutive $c0 -> $c1" test "$f1" = $((f0 + 1)) -a "$c1" = $((c0 + 1))

# ---- what is durable: kill -9, the database ----
kill -9 "$VPID"; wait "$VPID" 2>/dev/null
sleep 0.5
row=$("$DB" "$S" "SELECT failures, consecutive_failures FROM admins" 2>/dev/null | tr '\t' ' ')
used=$("$DB" "$S" "SELECT count(*) FROM recovery_codes WHERE used_at IS NOT NULL" 2>/dev/null)
check "after kill -9: the recovery code is used ($used used)" test "$used" = 1
check "  the refused password is counted ($row; $((f0 + 1)) $((c0 + 1)) expected)" \
	test "$row" = "$((f0 + 1)) $((c0 + 1))"
check "no sanitizer report in the log" bash -c "! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$T/vault.log'"
finish
