#!/bin/bash
# An export under load (issue #12 item 15, docs/AUDIT.md "Export"): while
# concurrent writers create credentials (tests/tools/dura_writer), exports
# are taken one after the other. Every export must verify strictly
# (`bosctl audit verify` without --allow-unsigned-tail: its last record is
# covered by a signed checkpoint), and each must be a prefix of the next and
# of a final export taken at rest: a record of a batch that had not committed
# when the export read it, and then failed, would differ. A second phase
# makes batches fail for real (a soft RLIMIT_FSIZE of 1 byte on the vault,
# switched on and off, as t_audit_failclosed.sh does) while the writers and
# the exports go on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

DW=$BOS_TESTBIN/dura_writer
S=$T/s
PW="correct horse battery $(canary p)"
WRITERS=${BOS_EXPORT_LOAD_WRITERS:-16}
[ -x "$DW" ] || { notok "dura_writer is built ($DW)"; finish; }
export XDG_RUNTIME_DIR=$T/run HOME=$T/home
mkdir -m 700 "$XDG_RUNTIME_DIR" "$HOME"
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN

init_dev "$S" || { notok "init"; finish; }
start_vault "$S" "$T/vault.log" || { notok "the vault starts"; cat "$T/vault.log"; finish; }
check "admin created and signed in" admin_setup alice "$PW" || finish
( umask 077; printf '%s\n' "$SESSION" >"$T/session" )
vcurl -H "Authorization: Bearer $SESSION" "$URL/credentials/audit/pubkey" | jq -r '.keys[0].pem' >"$T/pub.pem"
check "the audit public key" grep -q 'BEGIN PUBLIC KEY' "$T/pub.pem"
metric() { # metric NAME: its value in /metrics
	vcurl -H "Authorization: Bearer $SESSION" "$URL/metrics" 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }'
}
fsize_on() { prlimit --pid "$VPID" --fsize=1:unlimited; }
fsize_off() { prlimit --pid "$VPID" --fsize=unlimited:unlimited; }

# exports PHASE: export in a loop while the writer $WPID runs (at most 60);
# each 200 answer is kept as $T/PHASE.N.jsonl. Prints how many.
exports() {
	local ph=$1 n=0 i=0 code
	while kill -0 "$WPID" 2>/dev/null && [ "$i" -lt 60 ]; do
		i=$((i + 1))
		code=$(vcurl -o "$T/$ph.x" -w '%{http_code}' -H "Authorization: Bearer $SESSION" \
			"$URL/credentials/audit/export" 2>/dev/null)
		[ "$code" = 200 ] || continue
		n=$((n + 1))
		mv "$T/$ph.x" "$T/$ph.$n.jsonl"
	done
	echo "$n"
}
# records FILE: "seq hash" of each record.
records() { jq -r 'select(.type == "record") | "\(.seq) \(.hash)"' "$1"; }
# check_exports PHASE N FINAL: each of the N exports verifies strictly and is
# a prefix of the next and of FINAL.
check_exports() {
	local ph=$1 n=$2 final=$3 i bad=0 notpre=0 tail=0 out
	for i in $(seq "$n"); do
		out=$("$BOSCTL" audit verify "$T/$ph.$i.jsonl" --pubkey "$T/pub.pem" 2>&1) ||
			{ bad=$((bad + 1)); echo "# $ph.$i: $out"; grep -q 'not covered by a signed' <<<"$out" && tail=$((tail + 1)); }
		records "$T/$ph.$i.jsonl" >"$T/$ph.$i.recs"
		[ "$i" -gt 1 ] && ! cmp -s "$T/$ph.$((i - 1)).recs" <(head -n "$(wc -l <"$T/$ph.$((i - 1)).recs")" "$T/$ph.$i.recs") &&
			notpre=$((notpre + 1))
		cmp -s "$T/$ph.$i.recs" <(head -n "$(wc -l <"$T/$ph.$i.recs")" "$final") ||
			{ notpre=$((notpre + 1)); echo "# $ph.$i is not a prefix of the final export"; }
	done
	check "$ph: all $n exports verify without --allow-unsigned-tail ($bad failed, $tail with an unsigned tail)" \
		test "$bad" -eq 0
	check "$ph: each is a prefix of the next and of the final export ($notpre not)" test "$notpre" -eq 0
}

# ---- phase 1: writers, exports ----
"$DW" write "$URL" "$S/tls/cert.pem" "$T/session" "$T/acks.1" "$WRITERS" 8 one 2>"$T/dw.1.log" &
WPID=$!
bg_track "$WPID"
n1=$(exports load)
wait "$WPID"
nack=$(wc -l <"$T/acks.1")
check "phase 1: $n1 exports taken while $WRITERS writers made $nack credentials" \
	test "$n1" -ge 5 -a "$nack" -ge 100

# ---- phase 2: batches that fail ----
# (The vault's log is a file too, so its lines are lost while the limit is
# on: count the failures in /metrics.)
f0=$(metric bos_audit_failures_total)
"$DW" write "$URL" "$S/tls/cert.pem" "$T/session" "$T/acks.2" "$WRITERS" 8 two 2>"$T/dw.2.log" &
WPID=$!
bg_track "$WPID"
( while kill -0 "$WPID" 2>/dev/null; do fsize_on; sleep 0.05; fsize_off; sleep 0.2; done ) &
FPID=$!
n2=$(exports fail)
wait "$WPID"; wait "$FPID"; fsize_off
nfail=$(( $(metric bos_audit_failures_total) - f0 ))
check "phase 2: $n2 exports taken while $nfail requests failed for want of a durable record" \
	test "$n2" -ge 3 -a "$nfail" -ge 1

# ---- at rest: the final export ----
vcurl -o "$T/final.jsonl" -H "Authorization: Bearer $SESSION" "$URL/credentials/audit/export"
out=$("$BOSCTL" audit verify "$T/final.jsonl" --pubkey "$T/pub.pem" 2>&1)
check "the final export verifies ($out)" grep -q '^ok: .* unsigned tail 0$' <<<"$out"
records "$T/final.jsonl" >"$T/final.recs"
check_exports load "$n1" "$T/final.recs"
check_exports fail "$n2" "$T/final.recs"
kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "clean stop (exit $rc)" test "$rc" -eq 0
check "no sanitizer report in the log" bash -c "! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$T/vault.log'"
finish
