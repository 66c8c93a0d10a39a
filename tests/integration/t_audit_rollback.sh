#!/bin/bash
# Audit checkpoints and rollback (issue #5, docs/AUDIT.md): a clean stop signs
# the chain head into STATE/audit.head; a database restored from an older
# backup (one that would bring a revoked grant back) is refused at start —
# non-zero exit, a log line that says why and names --accept-audit-rollback,
# no listener — and stays refused until an operator starts once with
# --accept-audit-rollback, which records audit_rollback_accepted and moves
# audit.head on. A changed record, a missing audit.head and an audit.head
# signed by another vault are refused too. The checkpoint cadence follows
# audit_checkpoint_records and audit_checkpoint_seconds, and an export is
# signed up to its last record (bosctl audit verify: unsigned tail 0).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

PW="correct horse battery $(canary p)"
DB="$BOS_TESTBIN/bos_dbtool"
export XDG_RUNTIME_DIR=$T/run HOME=$T/home
mkdir -m 700 "$XDG_RUNTIME_DIR" "$HOME"
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN

# try DESCRIPTION COMMAND...: check, and the command's status (check's is always 0).
try() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else notok "$d"; return 1; fi; }
t0=$(date +%s.%N)
since() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# stop_vault: SIGTERM, wait; the exit status in STOP_RC.
stop_vault() { kill -TERM "$VPID"; wait "$VPID"; STOP_RC=$?; }
# refused_start LOG [args]: start the vault and expect it to exit; the exit
# status in REF_RC. Fails if it became ready (then it is stopped).
refused_start() {
	local log=$1; shift
	if start_vault "$S" "$log" "$@"; then stop_vault; REF_RC=0; return 1; fi
	wait "$VPID"; REF_RC=$?
	return 0
}
# head_seq: the seq of STATE/audit.head (empty if none).
head_seq() { jq -r '.seq // empty' "$S/audit.head" 2>/dev/null; }
metric() {
	vcurl -H "Authorization: Bearer $SESSION" "$URL/metrics" 2>/dev/null |
		awk -v n="$1" '$1 == n { print $2 }'
}
# login STEP: bosctl login (TOTP STEPS from now), SESSION from the session file.
login() {
	printf '%s\n%s\n' "$PW" "$(totp_code "$1")" | "$BOSCTL" login alice >/dev/null 2>&1 || return 1
	SESSION=$(jq -r .session "$XDG_RUNTIME_DIR/bos/session")
	[[ "$SESSION" == bos_s_* ]]
}
# helper_read TOKEN CRED: the status of a helper's read.
helper_read() {
	vcurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$URL/credentials/$2"
}
# refusal_checks DESCRIPTION LOG TEXT: the start was refused (REF_RC), the log
# says TEXT, and nothing listens.
refusal_checks() {
	check "$1: the start is refused (exit $REF_RC)" test "$REF_RC" -ne 0
	check "  the log says: $3" grep -qF -- "$3" "$2"
	check "  it never got ready, nothing listens on :$PORT or the socket" bash -c \
		"! grep -q 'ready:' '$2' && ! ss -ltnH 'sport = :$PORT' | grep -q . &&
		 ! curl -s --max-time 2 --unix-socket '$S/vault.sock' http://vault/health >/dev/null"
}
snap_dir() { rm -rf "$2"; cp -a "$1" "$2"; }

# ---- a vault, some requests, a clean stop: audit.head ----
init_dev "$T/s" >/dev/null 2>&1 || { notok "init"; finish; }
S=$T/s
export BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem
try "the vault starts" start_vault "$S" "$T/v1.log" || finish
try "admin created and signed in" admin_setup alice "$PW" || finish
C=$(api POST /credentials '{"name":"c","type":"api_key","service":"s","secret":"k1"}' | jq -r .id)
H=$(api POST /helpers '{"name":"Jane","contact":"jane@example.com","kind":"setup"}' | jq -r .id)
out=$(api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"$C\"],\"actions\":[\"read\"],\"ttl\":600}")
TOK_OLD=$(jq -r '.token // empty' <<<"$out"); ACC_OLD=$(jq -r '.accessor // empty' <<<"$out")
st0=$(helper_read "$TOK_OLD" "$C")
check "a credential and a grant (token) before the backup (read: $st0)" \
	bash -c "[[ '$C' == cr_* && '$TOK_OLD' == bos_h_* ]] && test '$st0' = 200"
for i in 1 2 3; do api GET "/credentials/$C" >/dev/null; done
stop_vault
check "clean stop (exit $STOP_RC)" test "$STOP_RC" -eq 0
check "STATE/audit.head is one checkpoint line: seq, 64-hex hash, time, key_version, DER signature" \
	bash -c "test \$(wc -l <'$S/audit.head') -eq 1 && jq -e '.type == \"checkpoint\" and (.seq | type == \"number\" and . >= 1) and
		(.hash | test(\"^[0-9a-f]{64}\$\")) and (.time | test(\"^[0-9]{4}-\")) and .key_version == 1 and
		(.signature | test(\"^30[0-9a-f]+\$\"))' '$S/audit.head'"
check "  its seq is the database's last record (the stop is signed)" \
	test "$(head_seq)" = "$("$DB" "$S" "SELECT max(seq) FROM audit_log" 2>/dev/null)"
HEAD1=$(head_seq)
mkdir "$T/backup"
cp -p "$S"/bos.db* "$T/backup/"
check "backup of the database taken after the clean stop ($(cd "$T/backup" && echo *))" test -s "$T/backup/bos.db"

# ---- later: the old grant revoked, a new one created and revoked ----
try "the vault starts again" start_vault "$S" "$T/v2.log" || finish
try "admin signs in" login 0 || finish
api DELETE "/grants/$ACC_OLD" >/dev/null
st0=$(helper_read "$TOK_OLD" "$C")
check "the old grant revoked: its token is refused ($st0)" test "$st0" != 200
out=$(api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"$C\"],\"actions\":[\"read\"],\"ttl\":600}")
TOK_NEW=$(jq -r '.token // empty' <<<"$out"); ACC_NEW=$(jq -r '.accessor // empty' <<<"$out")
st1=$(helper_read "$TOK_NEW" "$C")
api DELETE "/grants/$ACC_NEW" >/dev/null
st2=$(helper_read "$TOK_NEW" "$C")
check "a new grant works (got $st1) and is revoked (then $st2)" test "$st1" = 200 -a "$st2" != 200
for i in 1 2 3; do api GET "/credentials/$C" >/dev/null; done
stop_vault
HEAD2=$(head_seq)
check "clean stop; audit.head moved on ($HEAD1 -> $HEAD2)" test "$STOP_RC" -eq 0 -a "${HEAD2:-0}" -gt "$HEAD1"
cp -p "$S/audit.head" "$T/head2"
snap_dir "$S" "$T/good"      # the current state, for the tamper cases below

# ---- the old backup restored: refused, and stays refused ----
rm -f "$S"/bos.db*
cp -p "$T/backup"/bos.db* "$S/"
refused_start "$T/v3.log"
refusal_checks "database restored from the backup" "$T/v3.log" \
	"the database ends at audit record $HEAD1 but the last checkpoint"
check "  it names the way out: --accept-audit-rollback" grep -q -- '--accept-audit-rollback' "$T/v3.log"
check "  and the danger: revoked tokens" grep -q 'revoked tokens' "$T/v3.log"
check "  audit.head is untouched by the refused start" cmp -s "$S/audit.head" "$T/head2"
check "  the restored database got no record from the refused start (ends at $HEAD1)" \
	test "$("$DB" "$S" "SELECT max(seq) FROM audit_log" 2>/dev/null)" = "$HEAD1"
refused_start "$T/v3b.log"
check "  a second start without the flag is refused again (exit $REF_RC)" test "$REF_RC" -ne 0

# ---- the operator accepts the rollback (on the restore as it was) ----
rm -f "$S"/bos.db*
cp -p "$T/backup"/bos.db* "$S/"
cp -p "$T/head2" "$S/audit.head"
try "started with --accept-audit-rollback: it serves" start_vault "$S" "$T/v4.log" --accept-audit-rollback || {
	sed 's/^/    /' "$T/v4.log"; finish; }
check "  the log warns that the rollback was accepted" grep -q 'accepted by the operator' "$T/v4.log"
try "admin signs in" login 1
acc=$(api GET "/credentials/audit?action=audit_rollback_accepted" | jq -c '.records')
check "  the trail has one audit_rollback_accepted record, principal vault, the reason with it" \
	jq -e --arg h "$HEAD1" 'length == 1 and .[0].principal == "vault" and .[0].resource == "audit" and
		(.[0].reason | contains("ends at audit record " + $h) and contains("older copy"))' <<<"$acc"
HEAD4=$(head_seq)
check "  audit.head is signed anew for the accepted history (seq $HEAD4, not $HEAD2)" \
	bash -c "! cmp -s '$S/audit.head' '$T/head2' && test '$HEAD4' -gt '$HEAD1'"
check "  (what was accepted: the revoked old grant's token works again)" \
	test "$(helper_read "$TOK_OLD" "$C")" = 200
check "  the newer grant never existed here: refused" test "$(helper_read "$TOK_NEW" "$C")" != 200
stop_vault
check "  clean stop (exit $STOP_RC)" test "$STOP_RC" -eq 0
try "a following normal start works" start_vault "$S" "$T/v5.log" || sed 's/^/    /' "$T/v5.log"
stop_vault

# ---- tampering, each on a copy of the good state ----
# A changed record (the newest): named, refused, even with --accept-audit-rollback.
snap_dir "$T/good" "$S"
LAST=$("$DB" "$S" "SELECT max(seq) FROM audit_log" 2>/dev/null)
"$DB" "$S" "UPDATE audit_log SET reason='x' WHERE seq=(SELECT max(seq) FROM audit_log)" >/dev/null 2>&1
check "record $LAST's reason changed with bos_dbtool" \
	test "$("$DB" "$S" "SELECT reason FROM audit_log WHERE seq=$LAST" 2>/dev/null)" = x
refused_start "$T/v6.log"
refusal_checks "a changed audit record" "$T/v6.log" "audit record $LAST"
refused_start "$T/v6b.log"
check "  a second start is refused again (exit $REF_RC)" test "$REF_RC" -ne 0
snap_dir "$T/good" "$S"
"$DB" "$S" "UPDATE audit_log SET reason='x' WHERE seq=(SELECT max(seq) FROM audit_log)" >/dev/null 2>&1
refused_start "$T/v6c.log" --accept-audit-rollback
refusal_checks "  with --accept-audit-rollback (a damaged chain is not a rollback)" "$T/v6c.log" \
	"audit record $LAST"

# audit.head deleted while the database has checkpoints.
snap_dir "$T/good" "$S"
rm "$S/audit.head"
refused_start "$T/v7.log"
refusal_checks "audit.head deleted" "$T/v7.log" "audit.head is missing but the database has signed checkpoints"
refused_start "$T/v7b.log"
check "  a second start is refused again (exit $REF_RC)" test "$REF_RC" -ne 0

# audit.head of another vault (its own HSM key).
init_dev "$T/o" >/dev/null 2>&1
SS=$S; S=$T/o
try "a second dev vault starts and stops" start_vault "$T/o" "$T/o.log" && stop_vault
S=$SS; PORT=$(awk -F: '/^listen/ { print $2 }' "$S/bos.conf" | tr -d ' '); URL=https://127.0.0.1:$PORT
check "  it wrote its own audit.head" test -s "$T/o/audit.head"
snap_dir "$T/good" "$S"
cp "$T/o/audit.head" "$S/audit.head"
refused_start "$T/v8.log"
refusal_checks "audit.head signed by another vault's key" "$T/v8.log" \
	"is not a checkpoint signed by this vault's HSM audit key"
refused_start "$T/v8b.log"
check "  a second start is refused again (exit $REF_RC)" test "$REF_RC" -ne 0
snap_dir "$T/good" "$S"
try "the untouched good state still starts" start_vault "$S" "$T/v9.log" || sed 's/^/    /' "$T/v9.log"
stop_vault
echo "# rollback and tamper cases done at $(since) s"

# ---- cadence: every 5 records (a new vault: its admin has TOTP steps left) ----
init_dev "$T/c" audit_checkpoint_records=5 audit_checkpoint_seconds=3600 >/dev/null 2>&1
S=$T/c
export BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem
try "a vault starts with audit_checkpoint_records = 5" start_vault "$S" "$T/c1.log" || finish
try "admin created and signed in" admin_setup alice "$PW" || finish
C=$(api POST /credentials '{"name":"c","type":"api_key","service":"s","secret":"k1"}' | jq -r .id)
sleep 0.5
cp0=$(metric bos_audit_checkpoints_total); h0=$(head_seq)
for i in $(seq 12); do api GET "/credentials/$C" >/dev/null; sleep 0.05; done
for _ in $(seq 30); do
	cp1=$(metric bos_audit_checkpoints_total)
	[ $((cp1 - cp0)) -ge 2 ] && break
	sleep 0.1
done
h1=$(head_seq)
check "12 audited requests: bos_audit_checkpoints_total $cp0 -> $cp1 (at least 2 more)" \
	test $((cp1 - cp0)) -ge 2
check "  and audit.head's seq advanced ($h0 -> $h1) by at least 10" test $((h1 - h0)) -ge 10
stop_vault

# ---- cadence: every second ----
sed -i '/^audit_checkpoint_/d' "$S/bos.conf"
printf '%s\n' "audit_checkpoint_records = 1000000" "audit_checkpoint_seconds = 1" >>"$S/bos.conf"
try "the vault starts with audit_checkpoint_seconds = 1" start_vault "$S" "$T/c2.log" || finish
try "admin signs in" login 0 || finish
sleep 2   # the start and sign-in records get their checkpoint
cp0=$(metric bos_audit_checkpoints_total); h0=$(head_seq)
api GET "/credentials/$C" >/dev/null
s0=$(date +%s%N); waited=-1
for _ in $(seq 40); do
	cp1=$(metric bos_audit_checkpoints_total); h1=$(head_seq)
	if [ "$cp1" -gt "$cp0" ] && [ "$h1" -gt "$h0" ]; then waited=$(( ($(date +%s%N) - s0) / 1000000 )); break; fi
	sleep 0.1
done
check "one request, then a checkpoint within 3 s (${waited} ms; head $h0 -> $h1)" \
	test "$waited" -ge 0 -a "$waited" -le 3000
sleep 2.5
check "  and no more while nothing is recorded (still $cp1)" test "$(metric bos_audit_checkpoints_total)" = "$cp1"

# ---- an export is signed through its last record ----
api GET "/credentials/$C" >/dev/null
try "bosctl audit export" "$BOSCTL" audit export "$T/x.jsonl"
"$BOSCTL" audit pubkey --out "$T/pub.pem" >/dev/null 2>&1
out=$("$BOSCTL" audit verify "$T/x.jsonl" --pubkey "$T/pub.pem" --json 2>&1)
check "bosctl audit verify: ok, unsigned tail 0 right after the export ($out)" \
	jq -e '.ok == true and .unsigned_tail == 0 and .checkpoints >= 3' <<<"$out"
stop_vault
check "clean stop (exit $STOP_RC)" test "$STOP_RC" -eq 0
check "no sanitizer report in the logs" \
	bash -c "! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$T'/*.log"
echo "# done in $(since) s"
finish
