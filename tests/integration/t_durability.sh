#!/bin/bash
# runner: alone — its kill -9 lands at a chosen moment under 1,000 writers
# Durability under SIGKILL (issue #7). W concurrent writers (tests/tools/dura_writer,
# libcurl multi, one keep-alive connection each) create credentials with unique
# random secrets while the vault is killed with SIGKILL at a random moment
# 0-1.5 s after the round's first acknowledged write, then restarted on the same state directory. After
# every round:
#   - every write acknowledged so far (a complete 2xx answer) reads back byte
#     for byte (dura_writer verify: GET /credentials/ID, name and secret);
#   - PRAGMA integrity_check is "ok" (bos_dbtool with the real key; on odd
#     rounds on the state the kill left, before the restart, so SQLite's WAL
#     recovery runs in bos_dbtool; on even rounds after the restart, so the
#     restarted vault recovers it itself);
#   - the audit chain verifies from record 1 to the last one (export +
#     `bosctl audit verify` with the public key fetched before any kill), and
#     the previous round's export is a prefix of this one (same hash at its head);
#   - every acknowledged write has exactly one audit record: its X-Request-Id,
#     action cred_create, decision allow, resource /credentials/ID;
#   - the data and its audit record commit together: the credentials in the
#     database are exactly those with a cred_create allow record (this covers
#     the writes in flight at the kill, acknowledged or not).
# Controls show the checks can fail: one acknowledged secret changed and one
# made-up id make verify report a mismatch and a missing write; an audit
# record deleted from a copy of the export fails `bosctl audit verify` and the
# record check.
#
# Knobs (make soak sets them): BOS_DURA_ROUNDS (4), BOS_DURA_WRITERS (32),
# BOS_DURA_FULL_EVERY (1: re-read every earlier round's writes every round;
# N: only this round's, and all of them every N rounds and in the last round).
# Above 60 writers the test raises conn_limit and conn_per_ip_limit (every
# client here is 127.0.0.1; the per-address default is 64).
#
# Sessions live in memory and end with the vault, so the admin signs in again
# after every restart: a TOTP code once per 30 s step (admin_setup used the
# previous step; the current and next are free), a recovery code (10) when no
# step is free, else it waits for the next step.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

ROUNDS=${BOS_DURA_ROUNDS:-4}
WRITERS=${BOS_DURA_WRITERS:-32}
FULL_EVERY=${BOS_DURA_FULL_EVERY:-1}
DW=$BOS_TESTBIN/dura_writer
DB=$BOS_TESTBIN/bos_dbtool
S=$T/s
PW="correct horse battery $(canary p)"
ACKS=$T/acks.all            # every acknowledged write so far: ID NAME SECRET REQUEST_ID
t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
# try DESCRIPTION COMMAND...: check, and the command's status.
try() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else notok "$d"; return 1; fi; }

[ -x "$DW" ] || { notok "dura_writer is built ($DW)"; finish; }
settings=()
if [ "$WRITERS" -gt 60 ]; then
	settings=("conn_limit = $((WRITERS + 100))" "conn_per_ip_limit = $((WRITERS + 50))")
fi
init_dev "$S" "${settings[@]}" || { notok "init"; finish; }
start_vault "$S" "$T/vault.0.log" || { notok "the vault starts"; cat "$T/vault.0.log"; finish; }
# The first admin, as admin_setup does it, keeping the recovery codes; the
# first sign-in uses the previous TOTP step.
out=$(curl -sS --unix-socket "$S/vault.sock" -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"alice\",\"password\":\"$PW\"}" http://vault/admins)
TOTP_SECRET=$(jq -r '.totp_secret // empty' <<<"$out")
mapfile -t RECOVERY < <(jq -r '.recovery_codes[]?' <<<"$out")
[ $(( $(date +%s) % 30 )) -lt 26 ] || sleep 5   # not across a step boundary
LAST_STEP=$(( $(date +%s) / 30 - 1 ))
out=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(oathtool --totp -b "$TOTP_SECRET" -N "@$((LAST_STEP * 30))")\"}" \
	"$URL/auth/login")
SESSION=$(jq -r '.session // empty' <<<"$out")
try "admin created (${#RECOVERY[@]} recovery codes) and signed in" test -n "$SESSION" || finish
( umask 077; printf '%s\n' "$SESSION" >"$T/session" )
vcurl -H "Authorization: Bearer $SESSION" "$URL/credentials/audit/pubkey" |
	jq -r '.keys[0].pem' >"$T/pub.pem"
try "the audit public key, fetched before any kill" grep -q 'BEGIN PUBLIC KEY' "$T/pub.pem" || finish

# signin: a new full session for alice in SESSION and $T/session.
signin() {
	local now cur off c step="" body out
	for _ in $(seq 40); do
		now=$(date +%s); cur=$((now / 30)); off=$((now % 30)); step=""
		for c in $((cur - 1)) "$cur" $((cur + 1)); do
			[ "$c" -gt "$LAST_STEP" ] || continue
			# the previous step only well before the boundary (the vault's
			# window moves with its clock)
			[ "$c" -eq $((cur - 1)) ] && [ "$off" -ge 25 ] && continue
			step=$c; break
		done
		if [ -n "$step" ]; then
			body="{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(oathtool --totp -b "$TOTP_SECRET" -N "@$((step * 30))")\"}"
		elif [ "${#RECOVERY[@]}" -gt 0 ]; then
			body="{\"name\":\"alice\",\"password\":\"$PW\",\"recovery_code\":\"${RECOVERY[0]}\"}"
			RECOVERY=("${RECOVERY[@]:1}")
		else
			sleep $((30 - off)); continue
		fi
		out=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary "$body" "$URL/auth/login")
		SESSION=$(jq -r '.session // empty' <<<"$out" 2>/dev/null)
		[ -n "$step" ] && LAST_STEP=$step
		[ -n "$SESSION" ] || { echo "# sign-in refused: $out"; return 1; }
		( umask 077; printf '%s\n' "$SESSION" >"$T/session" )
		return 0
	done
	return 1
}

# db_check ROUND: integrity_check and the credential ids (sorted) into $T/db.ids.
db_check() {
	local out
	out=$("$DB" "$S" "PRAGMA integrity_check" 2>&1)
	try "round $1: PRAGMA integrity_check is ok" test "$out" = ok || echo "$out" | head -5 | sed 's/^/    /'
	"$DB" "$S" "SELECT id FROM credentials" 2>/dev/null | sort >"$T/db.ids"
}

# ack_audit_check ACKS EXPORT: every acknowledged write has exactly one record
# with its request id, cred_create, allow, /credentials/ID. Prints the problems.
ack_audit_check() {
	jq -r 'select(.type == "record") | [.request_id, .action, .decision, .resource] | @tsv' "$2" |
		awk -F'\t' 'NR == FNR { n[$1]++; a[$1] = $2 " " $3 " " $4; next }
		{ want = "cred_create allow /credentials/" $1
		  if ($4 == "-") print "no request id:", $1, $2
		  else if (n[$4] != 1) print "records with its request id:", n[$4] + 0, $1, $2, $4
		  else if (a[$4] != want) print "wrong record:", a[$4], "for", $1, $2, $4 }' - FS=' ' "$1"
}

prev_head=""   # "SEQ HASH" of the previous export's last record
for r in $(seq "$ROUNDS"); do
	echo "# round $r of $ROUNDS: $WRITERS writers"
	: >"$T/acks.$r"
	"$DW" write "$URL" "$S/tls/cert.pem" "$T/session" "$T/acks.$r" "$WRITERS" 600 "r$r" 2>"$T/writer.$r.err" &
	WPID=$!
	bg_track "$WPID"
	# The random moment counts from the round's first acknowledgement: a
	# kill before any (ASan on a loaded machine took over 500 ms to answer
	# the first write) would test nothing and fail "at least 1".
	t_first=$(date +%s%N)
	for _ in $(seq 3000); do [ -s "$T/acks.$r" ] && break; sleep 0.01; done
	first_ms=$(( ($(date +%s%N) - t_first) / 1000000 ))
	kill_ms=$((RANDOM % 1501))
	sleep "$((kill_ms / 1000)).$(printf '%03d' $((kill_ms % 1000)))"
	kill_ms="$first_ms + $kill_ms"
	H=$(hsmd_pid_of "$VPID")
	kill -USR1 "$WPID"   # the writer notes the moment (to tell failures before the kill from after)
	kill -9 "$VPID"; wait "$VPID" 2>/dev/null
	for _ in $(seq 100); do [ -n "$H" ] && kill -0 "$H" 2>/dev/null || break; sleep 0.05; done
	try "round $r: SIGKILL at $kill_ms ms; its bos-hsmd ($H) is gone too" \
		bash -c "[ -n '$H' ] && ! kill -0 '$H' 2>/dev/null" || kill -9 "$H" 2>/dev/null
	kill -TERM "$WPID"; wait "$WPID"; wrc=$?
	sed 's/^/    /' "$T/writer.$r.err"
	n=$(wc -l <"$T/acks.$r")
	try "round $r: the writer ends cleanly, every acknowledgement well-formed (exit $wrc)" test "$wrc" = 0
	check "round $r: $n writes acknowledged (at least 1)" test "$n" -ge 1
	cat "$T/acks.$r" >>"$ACKS"
	[ $((r % 2)) -eq 1 ] && db_check "$r (before the restart)"
	ts=$(date +%s.%N)
	start_vault "$S" "$T/vault.$r.log" || { notok "round $r: the vault restarts"; tail -5 "$T/vault.$r.log"; finish; }
	echo "# round $r: restart took $(since "$ts") s"
	[ $((r % 2)) -eq 0 ] && db_check "$r (after the restart)"
	try "round $r: signed in again" signin || finish

	# every acknowledged write reads back
	if [ "$FULL_EVERY" -le 1 ] || [ $((r % FULL_EVERY)) -eq 0 ] || [ "$r" -eq "$ROUNDS" ]; then
		vset=$ACKS; vwhat="all $(wc -l <"$ACKS") acknowledged so far"
	else
		vset=$T/acks.$r; vwhat="this round's $n"
	fi
	"$DW" verify "$URL" "$S/tls/cert.pem" "$T/session" "$vset" >"$T/verify.$r" 2>&1; vrc=$?
	try "round $r: $vwhat read back byte for byte" test "$vrc" = 0
	grep -v '^verify:' "$T/verify.$r" | head -10 | sed 's/^/    /'
	sed 's/^/# /' <(grep '^verify:' "$T/verify.$r")
	if ! kill -0 "$VPID" 2>/dev/null; then
		wait "$VPID"; vst=$?
		notok "round $r: the restarted vault died while answering the reads (wait status $vst$([ "$vst" = 159 ] && echo ': SIGSYS, its sandbox refused a system call'))"
		tail -3 "$T/vault.$r.log" | sed 's/^/    /'
		finish
	fi

	# the audit chain, whole
	X=$T/export.$r.jsonl
	code=$(vcurl -o "$X" -w '%{http_code}' -H "Authorization: Bearer $SESSION" "$URL/credentials/audit/export")
	out=$("$BOSCTL" audit verify "$X" --pubkey "$T/pub.pem" 2>&1)
	nrec=$(grep -c '"type":"record"' "$X")
	try "round $r: the export ($code) verifies from record 1 to the last ($out)" \
		bash -c "test '$code' = 200 && grep -q '^ok: $nrec records,' <<<'$out'" || finish
	if [ -n "$prev_head" ]; then
		read -r pseq phash <<<"$prev_head"
		check "round $r: the previous export (through #$pseq) is a prefix of this one" \
			test "$(jq -r --argjson s "$pseq" 'select(.type == "record" and .seq == $s) | .hash' "$X")" = "$phash"
	fi
	prev_head=$(jq -r 'select(.type == "record") | "\(.seq) \(.hash)"' "$X" | tail -1)

	# every acknowledged write has exactly its one record
	ack_audit_check "$ACKS" "$X" >"$T/audit.$r.problems"
	try "round $r: each of the $(wc -l <"$ACKS") acknowledged writes has exactly one record (cred_create, allow, its request id)" \
		test ! -s "$T/audit.$r.problems" || head -5 "$T/audit.$r.problems" | sed 's/^/    /'
	# data and record commit together, acknowledged or not
	jq -r 'select(.type == "record" and .action == "cred_create" and .decision == "allow") |
		.resource | sub("^/credentials/"; "")' "$X" | sort >"$T/audit.ids"
	nd=$(wc -l <"$T/db.ids"); na=$(wc -l <"$T/audit.ids")
	try "round $r: the $nd credentials in the database are exactly the $na with a cred_create record" \
		cmp -s "$T/db.ids" "$T/audit.ids" ||
		diff "$T/db.ids" "$T/audit.ids" | grep '^[<>]' | head -5 | sed 's/^/    /'
done

# ---- controls: the checks can fail ----
C=$T/acks.control
awk 'NR == 1 { $3 = ($3 ~ /A$/ ? substr($3, 1, length($3) - 1) "B" : substr($3, 1, length($3) - 1) "A") } { print }' \
	"$T/acks.1" >"$C"
echo "cr_aaaaaaaaaaaaaaaaaaaaaaaaaa r0-made-up SECRETTHATWASNEVERWRITTEN r_0000000000000000" >>"$C"
"$DW" verify "$URL" "$S/tls/cert.pem" "$T/session" "$C" >"$T/verify.control" 2>&1; vrc=$?
check "control: verify fails (exit $vrc) on one changed acknowledged secret and one made-up id" test "$vrc" = 1
check "  it names the changed one as a mismatch, line 1" grep -q '^mismatch: line 1 ' "$T/verify.control"
check "  and the made-up one as missing" grep -q '^missing: line .* cr_aaaaaaaaaaaaaaaaaaaaaaaaaa ' "$T/verify.control"
check "  and nothing else" test "$(grep -cE '^(mismatch|missing|error|malformed|duplicate):' "$T/verify.control")" = 2
rid=$(awk 'NR == 1 { print $4 }' "$T/acks.1")
XC=$T/export.control.jsonl
grep -v -F "\"request_id\":\"$rid\"" "$X" >"$XC"
check "control: one record deleted from a copy of the export ($(($(wc -l <"$X") - $(wc -l <"$XC"))) line)" \
	test "$(($(wc -l <"$X") - $(wc -l <"$XC")))" = 1
out=$("$BOSCTL" audit verify "$XC" --pubkey "$T/pub.pem" 2>&1); vrc=$?
check "  bosctl audit verify fails ($out)" bash -c "test '$vrc' = 1 && grep -q '^FAILED at record #' <<<'$out'"
ack_audit_check "$ACKS" "$XC" >"$T/audit.control"
check "  and the record check names that write" \
	bash -c "test \"\$(wc -l <'$T/audit.control')\" = 1 && grep -q '$rid' '$T/audit.control'"

kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "the last vault stops cleanly on SIGTERM (exit $rc)" test "$rc" -eq 0
check "no sanitizer report from the vault or the writer" \
	bash -c "! cat '$T'/vault.*.log '$T'/writer.*.err | grep -qE 'runtime error|AddressSanitizer|LeakSanitizer'"
echo "# $ROUNDS rounds, $WRITERS writers: $(wc -l <"$ACKS") acknowledged writes in all, $(since "$t0") s"
finish
