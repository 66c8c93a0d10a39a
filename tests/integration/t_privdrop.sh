#!/bin/bash
# bos-vaultd --user/--group (common/privdrop.c): started as root, the vault
# becomes the given user before it reads anything, and so does its bos-hsmd;
# an unknown user, root as the target, and --group without --user are
# refused with a clear message and nothing started. Needs root (CI runs as
# root); otherwise one "ok - skipped" line.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	ok "privdrop: skipped (needs root to test dropping root)"
	finish
fi
U=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
others_can_run || notok "copies of the programs that nobody can run"
install -d -o nobody -g nogroup -m 0700 "$T/u"
check "bos-vaultd init --dev as nobody" "${U[@]}" env HOME="$T/u" "$VAULTD" init --state-dir "$T/u/s" --dev
echo "listen = 127.0.0.1:$(free_port)" >>"$T/u/s/bos.conf"

# Refusals first: nothing may start, the state directory stays as it was.
before=$(snapshot "$T/u/s")
"$VAULTD" --state-dir "$T/u/s" --user no-such-user-bos >"$T/e1" 2>&1; rc=$?
check "an unknown --user: exit 1" test "$rc" -eq 1
check "an unknown --user: the message names it" grep -q 'no-such-user-bos' "$T/e1"
"$VAULTD" --state-dir "$T/u/s" --user root >"$T/e2" 2>&1; rc=$?
check "--user root: refused (exit 1)" test "$rc" -eq 1
check "--user root: the message says why" grep -qi 'root' "$T/e2"
"$VAULTD" --state-dir "$T/u/s" --group nogroup >"$T/e3" 2>&1; rc=$?
check "--group without --user: usage error (exit 64)" test "$rc" -eq 64
check "the refusals changed nothing in the state directory" test "$(snapshot "$T/u/s")" = "$before"

# Started as root with --user nobody: every id of both processes is nobody's.
(cd "$T/u" && exec "$VAULTD" --state-dir "$T/u/s" --user nobody --group nogroup) >"$T/v.log" 2>&1 &
VPID=$!
bg_track "$VPID"
wait_ready "$T/v.log" "$VPID"
check "started as root with --user nobody: ready" grep -q 'ready:' "$T/v.log"
H=$(hsmd_pid_of "$VPID")
nobody_uid=$(id -u nobody) nogroup_gid=$(getent group nogroup | cut -d: -f3)
ids() { awk -v k="$2:" '$1 == k { print $2, $3, $4, $5 }' "/proc/$1/status"; }
check "bos-vaultd: real, effective, saved and fs uid are nobody's" \
	test "$(ids "$VPID" Uid)" = "$nobody_uid $nobody_uid $nobody_uid $nobody_uid"
check "bos-vaultd: every gid is nogroup's" \
	test "$(ids "$VPID" Gid)" = "$nogroup_gid $nogroup_gid $nogroup_gid $nogroup_gid"
check "bos-vaultd: no supplementary groups" test -z "$(awk '$1 == "Groups:" { print $2 }' "/proc/$VPID/status")"
check "bos-hsmd: started as nobody too" test -n "$H" -a "$(ids "${H:-0}" Uid)" = "$nobody_uid $nobody_uid $nobody_uid $nobody_uid"
check "bos-vaultd: no capabilities left" test "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$VPID/status")" = 0000000000000000
check "the vault serves" curl -sSf --max-time 5 --unix-socket "$T/u/s/vault.sock" http://x/health
check "no file in the state directory belongs to root" test -z "$(find "$T/u/s" -user root)"
kill -TERM "$VPID"
wait "$VPID"; rc=$?
check "SIGTERM: exit 0" test "$rc" -eq 0
check_not "no warning about root when --user was given" grep -q 'running as root' "$T/v.log"
# Without --user as root: it runs (development machines, containers), and says once it is
# ready that production wants --user (after "ready:", so start-up errors stay one line).
init_dev "$T/r" >/dev/null 2>&1 && start_vault "$T/r" "$T/r.log"
check "as root without --user: ready" grep -q 'ready:' "$T/r.log"
check "as root without --user: a warning that points to --user" grep -q 'running as root.*--user' "$T/r.log"
check "the warning comes after ready:" bash -c "grep -A9 'ready:' '$T/r.log' | grep -q 'running as root'"
kill -TERM "$VPID"; wait "$VPID"
finish
