#!/bin/bash
# The vault does not run without bos-hsmd: if it dies, the vault stops with
# a message instead of serving on.
. "$(dirname "$0")/lib.sh"

S=$T/state
init_dev "$S" >/dev/null 2>&1 || { notok "init"; finish; }
for sig in KILL TERM SEGV; do
	start_vault "$S" "$T/v-$sig.log" || { notok "vault starts"; continue; }
	H=$(hsmd_pid_of "$VPID")
	check "SIG$sig: bos-hsmd found" test -n "$H"
	kill -$sig "$H"
	for _ in $(seq 50); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
	check "SIG$sig to bos-hsmd: the vault exits" bash -c "! kill -0 $VPID 2>/dev/null"
	wait "$VPID"; rc=$?
	check "SIG$sig to bos-hsmd: the vault's exit status is non-zero" test "$rc" -ne 0
	check "SIG$sig to bos-hsmd: the vault says why" grep -q "bos-hsmd exited unexpectedly" "$T/v-$sig.log"
done
finish
