#!/bin/bash
# Security-relevant changes advance the signed audit head before they are
# acknowledged, and the vault signs its head at start (issue #12 item 7,
# docs/AUDIT.md "Signed before acknowledged"). The reviewers' attack (B3): a
# copy of the database taken inside the checkpoint window, restored after a
# revocation and a kill -9, started silently and the revoked token read
# secrets again. For each kind of change (admin create, grant revoke, helper
# revoke, credential revoke, logout, admin reset) this test takes the copy
# at the worst moment, while the vault runs, right after an export signed
# the head: copy the database files, make the change, kill -9 (no stop
# record, no periodic checkpoint: audit_checkpoint_seconds is an hour),
# restore the copy, start. The start must be refused as a rollback (the
# existing check against STATE/audit.head, t_audit_rollback.sh), audit.head
# untouched, and the revoked token read nothing; the state as the kill left
# it then starts, and the token stays refused. A control copy taken around a
# change that takes no rights away (a credential created) is accepted, which
# shows the copies are good. Then the reviewers' own sequence (export,
# kill -9, copy, restart, revoke, kill -9, restore, start) and the same with
# a roles.policy change instead of the revocation (signed at start).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

S=$T/s
PW="correct horse battery $(canary p)"
t0=$(date +%s.%N)
since() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
try() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else notok "$d"; return 1; fi; }

# kill9: SIGKILL the vault; wait for it and its bos-hsmd.
kill9() {
	local h
	h=$(hsmd_pid_of "$VPID")
	kill -9 "$VPID"; wait "$VPID" 2>/dev/null
	for _ in $(seq 50); do [ -n "$h" ] && kill -0 "$h" 2>/dev/null || break; sleep 0.1; done
}
# dbcopy FROM TO: the database files (bos.db, -wal; never -shm), TO made anew.
dbcopy() {
	rm -rf "$2"; mkdir "$2"
	cp -p "$1/bos.db" "$2/"
	[ -f "$1/bos.db-wal" ] && cp -p "$1/bos.db-wal" "$2/"
	return 0
}
# restore DIR: the database files of the state directory replaced by DIR's
# (and audit.head, when DIR holds one: a start that should have been refused
# and was not wrote its own).
restore() {
	rm -f "$S/bos.db" "$S/bos.db-wal" "$S/bos.db-shm"
	cp -p "$1"/bos.db* "$S/"
	[ ! -f "$1/audit.head" ] || cp -p "$1/audit.head" "$S/"
}
# refused_start LOG [TOKEN CRED]: the start must fail; REF_RC its status.
# TOKEN, revoked, must read nothing: checked while a vault that should have
# refused to start serves (then it is stopped), or against nothing serving.
refused_start() {
	local st
	if start_vault "$S" "$1"; then
		REF_RC=0
		st=$(reads "${2:-x}" "${3:-x}")
		[ -z "${2:-}" ] || check "  the revoked token reads nothing (it got $st from the restored copy)" \
			test "$st" != 200
		kill -TERM "$VPID"; wait "$VPID"
		return 1
	fi
	wait "$VPID"; REF_RC=$?
	st=$(reads "${2:-x}" "${3:-x}")
	[ -z "${2:-}" ] || check "  the revoked token reads nothing (nothing serves: $st)" test "$st" = 000
}
export_now() {
	[ "$(vcurl -o "$T/x.jsonl" -w '%{http_code}' -H "Authorization: Bearer $SESSION" \
		"$URL/credentials/audit/export")" = 200 ]
}
# signin: a new full session with the next recovery code (TOTP steps run out).
RC_NEXT=0
signin() {
	local out
	out=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
		"{\"name\":\"alice\",\"password\":\"$PW\",\"recovery_code\":\"${RECOVERY[$RC_NEXT]}\"}" \
		"$URL/auth/login")
	RC_NEXT=$((RC_NEXT + 1))
	SESSION=$(jq -r '.session // empty' <<<"$out")
	[ -n "$SESSION" ]
}
reads() { vcurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$URL/credentials/$2" 2>/dev/null; }
# grant HELPER CRED: a read grant; TOKEN and ACC.
grant() {
	local out
	out=$(api POST /credentials/grant "{\"helper\":\"$1\",\"credentials\":[\"$2\"],\"actions\":[\"read\"],\"ttl\":3600}")
	TOKEN=$(jq -r '.token // empty' <<<"$out"); ACC=$(jq -r '.accessor // empty' <<<"$out")
	[ "$(reads "$TOKEN" "$2")" = 200 ]
}

# rollback_case NAME CHANGE TOKEN CRED: a hot copy right after an export,
# CHANGE (a shell command), kill -9, the copy restored: refused. TOKEN (may be
# empty) was revoked by CHANGE and must not read CRED, then or later.
rollback_case() {
	local name=$1 change=$2 tok=$3 cred=$4 h
	try "$name: an export signs the head" export_now || return 1
	dbcopy "$S" "$T/copy.$name"
	try "$name: the change is made and acknowledged" eval "$change" || return 1
	[ -z "$tok" ] || check "  the revoked token reads nothing ($(reads "$tok" "$cred"))" \
		test "$(reads "$tok" "$cred")" != 200
	kill9
	dbcopy "$S" "$T/after.$name"
	cp -p "$S/audit.head" "$T/after.$name/"
	restore "$T/copy.$name"
	refused_start "$T/$name.refused.log" "$tok" "$cred"
	check "  the copy from before it, restored: the start is refused (exit $REF_RC)" test "$REF_RC" -ne 0
	check "  as a rollback: 'it is an older copy', --accept-audit-rollback named" \
		bash -c "grep -q 'it is an older copy' '$T/$name.refused.log' &&
			grep -q -- '--accept-audit-rollback' '$T/$name.refused.log'"
	check "  audit.head is untouched" cmp -s "$S/audit.head" "$T/after.$name/audit.head"
	restore "$T/after.$name"
	try "  the state the kill left starts" start_vault "$S" "$T/$name.after.log" || return 1
	h=$(jq .seq "$S/audit.head")
	check "  and signs its head at start (audit.head #$(jq .seq "$T/after.$name/audit.head") -> #$h)" \
		test "$h" -gt "$(jq .seq "$T/after.$name/audit.head")"
	try "  admin signs in again" signin || return 1
	[ -z "$tok" ] || check "  the token is still revoked ($(reads "$tok" "$cred"))" \
		test "$(reads "$tok" "$cred")" != 200
}

init_dev "$S" audit_checkpoint_seconds=3600 || { notok "init"; finish; }
try "the vault starts" start_vault "$S" "$T/v0.log" || finish
check "it signed its head at start (audit.head, #$(jq .seq "$S/audit.head" 2>/dev/null))" \
	test "$(jq .seq "$S/audit.head" 2>/dev/null)" -ge 2

# ---- admin create: the first admin, on a copy from before it ----
dbcopy "$S" "$T/copy.admin_create"
out=$(curl -sS --unix-socket "$S/vault.sock" -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"alice\",\"password\":\"$PW\"}" http://vault/admins)
TOTP_SECRET=$(jq -r '.totp_secret // empty' <<<"$out")
mapfile -t RECOVERY < <(jq -r '.recovery_codes[]?' <<<"$out")
check "admin_create: the first admin is made (${#RECOVERY[@]} recovery codes)" test "${#RECOVERY[@]}" -eq 10
kill9
dbcopy "$S" "$T/after.admin_create"
cp -p "$S/audit.head" "$T/after.admin_create/"
restore "$T/copy.admin_create"
refused_start "$T/admin_create.refused.log"
check "  the copy from before it, restored: the start is refused (exit $REF_RC)" test "$REF_RC" -ne 0
check "  as a rollback ('it is an older copy')" grep -q 'it is an older copy' "$T/admin_create.refused.log"
restore "$T/after.admin_create"
try "  the state the kill left starts" start_vault "$S" "$T/admin_create.after.log" || finish
out=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(totp_code -1)\"}" "$URL/auth/login")
SESSION=$(jq -r '.session // empty' <<<"$out")
try "  alice exists and signs in" test -n "$SESSION" || finish

# ---- what the cases work on ----
C=$(api POST /credentials '{"name":"c","type":"api_key","service":"s","secret":"k1"}' | jq -r .id)
H=$(api POST /helpers '{"name":"Jane","contact":"jane@example.com","kind":"setup"}' | jq -r .id)
try "a credential and a helper" test -n "$C" -a -n "$H" || finish

# ---- control: a change that takes no rights away; the copy is accepted ----
try "control: an export signs the head" export_now
dbcopy "$S" "$T/copy.control"
api POST /credentials '{"name":"c2","type":"api_key","service":"s","secret":"k2"}' >/dev/null
check "control: a credential created (HTTP $(st))" test "$(st)" = 201
kill9
dbcopy "$S" "$T/after.control"
cp -p "$S/audit.head" "$T/after.control/"
restore "$T/copy.control"
try "  the copy from before it, restored, starts (the copy is good; creating is not signed)" \
	start_vault "$S" "$T/control.log"
kill9
restore "$T/after.control"
try "  the state the kill left starts" start_vault "$S" "$T/control.after.log" || finish
try "  admin signs in again" signin || finish

# ---- one case per kind of change ----
grant "$H" "$C"; check "grant_revoke: a helper token reads the credential" test -n "$TOKEN"
rollback_case grant_revoke "[ \"\$(api DELETE /grants/$ACC >/dev/null; st)\" = 200 ]" "$TOKEN" "$C"

H2=$(api POST /helpers '{"name":"Joe","contact":"joe@example.com","kind":"setup"}' | jq -r .id)
grant "$H2" "$C"; check "helper_revoke: a second helper's token reads the credential" test -n "$TOKEN"
rollback_case helper_revoke "[ \"\$(api DELETE /helpers/$H2 >/dev/null; st)\" = 200 ]" "$TOKEN" "$C"

C3=$(api POST /credentials '{"name":"c3","type":"api_key","service":"s","secret":"k3"}' | jq -r .id)
grant "$H" "$C3"; check "cred_revoke: a helper token reads a third credential" test -n "$TOKEN"
rollback_case cred_revoke "[ \"\$(api DELETE /credentials/$C3 >/dev/null; st)\" = 200 ]" "$TOKEN" "$C3"

rollback_case auth_logout "[ \"\$(api POST /auth/logout >/dev/null; st)\" = 200 ]" "$SESSION" "$C"

rollback_case admin_reset "[ \"\$(api POST /admins/alice/reset >/dev/null; st)\" = 200 ]" "" ""
echo "# the six kinds done at $(since) s"

# ---- the reviewers' sequence: export, kill -9, copy, restart, revoke, kill -9, restore ----
grant "$H" "$C"; check "reviewers: a helper token reads the credential" test -n "$TOKEN"
try "reviewers: an export signs the head" export_now
kill9
dbcopy "$S" "$T/copy.reviewers"
try "  restart" start_vault "$S" "$T/reviewers.1.log" || finish
try "  admin signs in again" signin || finish
check "  the grant is revoked" test "$(api DELETE "/grants/$ACC" >/dev/null; st)" = 200
kill9
dbcopy "$S" "$T/after.reviewers"
cp -p "$S/audit.head" "$T/after.reviewers/"
restore "$T/copy.reviewers"
refused_start "$T/reviewers.refused.log" "$TOKEN" "$C"
check "  the copy restored: the start is refused (exit $REF_RC), as a rollback" \
	bash -c "[ '$REF_RC' -ne 0 ] && grep -q 'it is an older copy' '$T/reviewers.refused.log'"
restore "$T/after.reviewers"

# ---- the same with a policy change: roles.policy is read at start, and signed then ----
try "policy: the state the kill left starts" start_vault "$S" "$T/policy.0.log" || finish
try "  admin signs in again" signin || finish
try "  an export signs the head" export_now
kill9
dbcopy "$S" "$T/copy.policy"
h0=$(jq .seq "$S/audit.head")
printf 'deny  read, lease         credentials/payments/**\n' >>"$S/roles.policy"
try "  roles.policy changed (a deny added), restart" start_vault "$S" "$T/policy.1.log" || finish
check "  the start signed its vault_start and policy_load records (audit.head #$h0 -> #$(jq .seq "$S/audit.head"))" \
	test "$(jq .seq "$S/audit.head")" -eq $((h0 + 3))
kill9
dbcopy "$S" "$T/after.policy"
cp -p "$S/audit.head" "$T/after.policy/"
restore "$T/copy.policy"
refused_start "$T/policy.refused.log"
check "  the copy from before the change restored: the start is refused (exit $REF_RC), as a rollback" \
	bash -c "[ '$REF_RC' -ne 0 ] && grep -q 'it is an older copy' '$T/policy.refused.log'"
restore "$T/after.policy"
try "  the state the kill left starts" start_vault "$S" "$T/policy.2.log" || finish
kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "clean stop (exit $rc)" test "$rc" -eq 0
check "no sanitizer report in the logs" \
	bash -c "! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$T'/*.log"
echo "# done in $(since) s"
finish
