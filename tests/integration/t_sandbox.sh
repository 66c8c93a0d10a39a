#!/bin/bash
# The seccomp sandbox (docs/SANDBOX.md, SECURITY.md "Memory and process").
# Negative: for each forbidden class, a process in the vault or hsmd profile
# that tries it dies of SIGSYS, in every one of N trials. Positive controls:
# what each profile allows works, and clone3 answers ENOSYS. Real daemons:
# bos-vaultd and its bos-hsmd run in seccomp filter mode with no new
# privileges, serve, and stop cleanly (writing the audit head) inside it.
# In sanitizer builds the sandbox is the null one: the filter checks are
# skipped with a line that says so, and no new privileges is still checked.
. "$(dirname "$0")/lib.sh"

PROBE=$BOS_TESTBIN/sandbox_probe
TRIALS=${BOS_SANDBOX_TRIALS:-20}
SIGSYS_RC=159   # 128 + SIGSYS: bash's status for a SIGSYS death, and SANDBOX_DEBUG=1's exit
KIND=$("$PROBE" --kind) || { notok "sandbox_probe runs"; finish; }
D=$T/dir
mkdir -p "$D"

# trials PROFILE ACTION: how many of TRIALS runs died of SIGSYS.
trials() {
	local n=0 i dir=
	[ "$1" = vault ] && dir=$D
	for i in $(seq "$TRIALS"); do
		"$PROBE" "$1" "$2" $dir >/dev/null 2>"$T/probe.err"
		[ $? -eq $SIGSYS_RC ] && n=$((n + 1))
	done 2>/dev/null
	echo "$n"
}

# The file-path probes' fixture, made anew before each probe (a probe that
# is not refused changes it): a state directory like the vault's, with the
# PIN files, database, key file and SoftHSM's tokens/, symlinks that point
# out of it and out of tokens/, and a directory beside it.
FX=$T/fx
fixture() {
	chmod -R u+rwX "$FX" 2>/dev/null; rm -rf "$FX"
	mkdir -p "$FX/state/tokens" "$FX/outside" &&
	echo outside-secret >"$FX/outside/secret" && echo victim >"$FX/outside/victim" &&
	echo 0123456789abcdef >"$FX/state/hsm-pin" && echo fedcba9876543210 >"$FX/state/hsm-so-pin" &&
	chmod 0400 "$FX/state/hsm-pin" "$FX/state/hsm-so-pin" &&
	echo db >"$FX/state/bos.db" && echo key >"$FX/state/db.key" && echo m >"$FX/state/movable" &&
	echo object >"$FX/state/tokens/tok.object" &&
	ln -s "$FX/outside/secret" "$FX/state/out-link" &&
	ln -s "$FX/state/db.key" "$FX/state/tokens/out-link"
}
# What each profile's filter lets through to the kernel, so only the path
# confinement can refuse it (sandbox_probe.c, probe_paths[]).
VAULT_PATHS="path-abs-read path-dotdot-read path-symlink-read path-pin-read path-so-pin-read
	path-token-read path-abs-write path-dotdot-write path-symlink-write path-dotdot-unlink
	path-abs-unlink path-rename-out path-rename-in"
HSMD_PATHS="path-abs-read path-dotdot-read path-db-read path-dbkey-read path-pin-read
	path-symlink-read path-abs-write path-token-write path-token-create"
# path_probe [WRAPPER...] -- PROBE-ARGS: the probe's exit status, on a fresh fixture.
path_probe() {
	local w=()
	while [ "$1" != -- ]; do w+=("$1"); shift; done
	shift
	fixture || return 99
	"${w[@]}" "$PROBE" "$@" >"$T/probe.out" 2>"$T/probe.err"
}

if [ "$KIND" = null ]; then
	ok "sandbox_probe: negative and positive filter tests skipped (null sandbox in sanitizer builds)"
else
	check "the sandbox is a seccomp filter ($KIND)" grep -q '^seccomp' <<<"$KIND"
	# Every profile: exec, ptrace, fork, other processes' memory, and no socket at all.
	common="open-legacy exec execveat ptrace ptrace-attach fork vfork process-vm kill-other
		unlink-cwd mmap-exec mprotect-exec socket-inet socket-inet6 socket-netlink socket-packet"
	for prof in vault hsmd; do
		actions=$common dir=
		[ "$prof" = vault ] && dir=$D
		# SoftHSM opens its token files by path: hsmd's openat is open, and its
		# syslog's AF_UNIX socket is refused with EACCES, not killed (SANDBOX.md).
		[ "$prof" = vault ] && actions="open socket-unix $actions"
		for a in $actions; do
			n=$(trials "$prof" "$a")
			check "$prof profile: $a is killed by SIGSYS in $n/$TRIALS trials" test "$n" -eq "$TRIALS"
		done
		check "$prof profile: allowed work succeeds (thread$( [ $prof = vault ] && echo ', head-file ops on the dirfd, kill+reap of the child'))" \
			"$PROBE" "$prof" ok $dir
		check "$prof profile: clone3 answers ENOSYS" "$PROBE" "$prof" clone3 $dir
	done
	check "hsmd profile: allowed work succeeds with its token directory (reads a token file)" \
		path_probe -- hsmd ok "$FX/state"
	check "hsmd profile: file paths are confined by Landlock" grep -q '^paths: landlock ABI [1-9]' \
		"$T/probe.out"

	# File paths (#12 item 5, B1): each escape the filter lets through is
	# refused by the kernel in the real profile; the control is the same
	# probe where the kernel has no Landlock and the profile is allowed to
	# run unconfined (sandbox_unconfined_paths = 1): there it gets through.
	NL=$BOS_TESTBIN/no_landlock
	for prof in vault hsmd; do
		list=$VAULT_PATHS
		[ "$prof" = hsmd ] && list=$HSMD_PATHS
		for a in $list; do
			path_probe -- "$prof" "$a" "$FX/state"; rc=$?
			check "$prof profile: $a is refused ($(cut -d: -f3 "$T/probe.out" | tr -d '\n'))" \
				test "$rc" -eq 0 -a -s "$T/probe.out"
			path_probe "$NL" ENOSYS -- --allow-unconfined "$prof" "$a" "$FX/state"; rc=$?
			check "control, no Landlock and unconfined allowed: $prof $a gets through" \
				test "$rc" -eq 1
		done
		for e in ENOSYS EOPNOTSUPP; do
			path_probe "$NL" "$e" -- "$prof" ok "$FX/state"; rc=$?
			check "$prof profile without Landlock ($e): refuses to enter, naming sandbox_unconfined_paths" \
				bash -c "[ $rc -eq 3 ] && grep -q 'file paths cannot be confined.*sandbox_unconfined_paths = 1' '$T/probe.err'"
		done
	done
	"$PROBE" hsmd socket-unix >/dev/null 2>"$T/probe.err"; rc=$?
	check "hsmd profile: an AF_UNIX socket (SoftHSM's syslog) is refused with EACCES" \
		bash -c "[ $rc -eq 1 ] && grep -q 'Permission denied' '$T/probe.err'"
	check "vault profile: nothing was left behind in the directory" test -z "$(ls -A "$D")"
fi

# The real daemons.
status_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
S=$T/state
init_dev "$S" >/dev/null 2>&1 || { notok "init"; finish; }
start_vault "$S" "$T/v.log" || { notok "vault starts"; cat "$T/v.log"; finish; }
H=$(hsmd_pid_of "$VPID")
check "bos-hsmd found" test -n "$H"
check "bos-vaultd: NoNewPrivs 1" test "$(status_of "$VPID" NoNewPrivs)" = 1
check "bos-hsmd: NoNewPrivs 1" test "$(status_of "$H" NoNewPrivs)" = 1
if [ "$KIND" = null ]; then
	ok "bos-vaultd and bos-hsmd: seccomp mode not checked (null sandbox in sanitizer builds)"
else
	check "bos-vaultd: Seccomp 2 (filter mode)" test "$(status_of "$VPID" Seccomp)" = 2
	check "bos-hsmd: Seccomp 2 (filter mode)" test "$(status_of "$H" Seccomp)" = 2
	# TSYNC: the threads started before the filter have it too.
	n=0 bad=0
	for t in /proc/$VPID/task/*; do
		n=$((n + 1))
		[ "$(awk '$1 == "Seccomp:" { print $2 }' "$t/status")" = 2 ] || bad=$((bad + 1))
	done
	check "bos-vaultd: all $n threads are filtered" test "$bad" -eq 0 -a "$n" -gt 1
fi
check "bos-vaultd says which sandbox it entered" grep -q "sandbox: $KIND, profile vault" "$T/v.log"
check "the vault serves inside the sandbox (health over TLS)" \
	curl -sSf --max-time 5 -k "$URL/health"
check "the vault serves inside the sandbox (health on the unix socket)" \
	curl -sSf --max-time 5 --unix-socket "$S/vault.sock" http://x/health
# Many connections at once: each is a thread, and a new thread's first
# malloc once made glibc open /sys/devices/system/cpu/online (a new arena),
# which the filter kills. 48 connections for 2 s over TLS must all be served.
out=$(wrk -t2 -c48 -d2s "$URL/health" 2>&1)
check "48 concurrent connections: the vault is still running" kill -0 "$VPID"
check "48 concurrent connections: requests were served, no socket errors" bash -c \
	"grep -q 'Requests/sec' <<<'$out' && ! grep -q 'Socket errors' <<<'$out'"
head_before=$(sha256sum "$S/audit.head" 2>/dev/null || echo none)

kill -TERM "$VPID"
wait "$VPID"; rc=$?
check "SIGTERM: the vault exits 0 inside the sandbox" test "$rc" -eq 0
check "SIGTERM: the stop is recorded and signed (audit.head rewritten through the dirfd)" \
	test "$(sha256sum "$S/audit.head" 2>/dev/null || echo none)" != "$head_before"
check "SIGTERM: no audit.head.tmp left" test ! -e "$S/audit.head.tmp"
check_not "no refused system call was logged" grep -q "refused system call" "$T/v.log"
check "bos-hsmd is gone" bash -c "! kill -0 $H 2>/dev/null"
check "bos-vaultd says how file paths are confined" \
	grep -q "sandbox: $KIND, profile vault, file paths: $( [ "$KIND" = null ] && echo 'none (null sandbox)' || echo 'landlock ABI [1-9]')" "$T/v.log"

# Nothing the daemons do is refused by their path rules: a refusal there
# would not kill, it would quietly degrade (jansson once fell back from
# /dev/urandom to time and pid for its hash seed). Under strace, a start, TLS
# and unix-socket requests with JSON bodies, 48 connections, a stop: no file
# call of bos-vaultd or bos-hsmd fails with EACCES or EPERM.
if [ "$KIND" = null ] || ! command -v strace >/dev/null; then
	ok "strace of refused file calls skipped ($KIND sandbox, or no strace)"
else
	S3=$T/st
	init_dev "$S3" >/dev/null 2>&1 || notok "init for the strace run"
	printf '#!/bin/sh\nexec strace -D -f -qq -Z -e trace=%%file -o %s %s "$@"\n' \
		"$T/files.trace" "$BOS_BIN/bos-vaultd" >"$T/traced-vaultd"
	chmod 0755 "$T/traced-vaultd"
	VAULTD=$T/traced-vaultd start_vault "$S3" "$T/st.log" || notok "the vault starts under strace"
	curl -s --max-time 5 -k "$URL/health" >/dev/null
	curl -s --max-time 10 --unix-socket "$S3/vault.sock" -H 'Content-Type: application/json' \
		-d '{"name":"sbadmin","password":"sandbox-probe-password"}' http://x/admins >"$T/admin.json"
	curl -s --max-time 10 -k -H 'Content-Type: application/json' \
		-d '{"name":"sbadmin","password":"not-the-password"}' "$URL/auth/login" >/dev/null
	wrk -t2 -c48 -d1s "$URL/health" >/dev/null 2>&1
	kill -TERM "$VPID"; wait "$VPID"
	for _ in $(seq 50); do pgrep -f "strace -D .*$T/files.trace" >/dev/null || break; sleep 0.1; done
	check "the strace saw the daemons' file calls" grep -q 'audit.head' "$T/files.trace"
	check "the workload ran (the first admin was created)" grep -q totp_secret "$T/admin.json"
	check_not "no file call of bos-vaultd or bos-hsmd was refused (EACCES/EPERM): $(grep -m1 -E 'EACCES|EPERM' "$T/files.trace" | cut -c1-120)" \
		grep -qE 'EACCES|EPERM' "$T/files.trace"
fi

# Logging after the filter with stderr on /dev/null (or a terminal, as in
# `make run`): log.c's dprintf asks isatty (ioctl TCGETS) of a character
# device, which once killed the vault at its first line after the filter.
if [ "$KIND" != null ]; then
	S4=$T/devnull
	init_dev "$S4" >/dev/null 2>&1 || notok "init for the /dev/null run"
	"$BOS_BIN/bos-vaultd" --state-dir "$S4" >/dev/null 2>&1 &
	DPID=$!
	bg_track "$DPID"
	for _ in $(seq 100); do [ -S "$S4/vault.sock" ] && break; sleep 0.1; done
	check "stderr on /dev/null: the vault serves after the filter" \
		curl -sSf --max-time 5 --unix-socket "$S4/vault.sock" http://x/health
	check "stderr on /dev/null: the vault is still running after logging" kill -0 "$DPID"
	kill -TERM "$DPID"; wait "$DPID"; rc=$?
	check "stderr on /dev/null: the vault stops with 0 (exit $rc)" test "$rc" -eq 0
fi

# Probes inside the real daemons (tests/tools/preload/path_probe.c): the
# vault tries path escapes through its state directory's descriptor from a
# connection thread, bos-hsmd by absolute path once it sent READY. A copy of
# bos-vaultd finds a wrapper as its bos-hsmd, which preloads the probe.
PB=$T/pbin PP=$T/pp
mkdir -p "$PB" "$PP/outside"
cp "$BOS_BIN/bos-vaultd" "$PB/" && cp "$BOS_BIN/bos-hsmd" "$PB/bos-hsmd.real"
printf '#!/bin/sh\nLD_PRELOAD=%s BOS_PATH_PROBE=hsmd BOS_PATH_PROBE_DIR=%s exec %s "$@"\n' \
	"$BOS_TESTBIN/path_probe.so" "$PP/state" "$PB/bos-hsmd.real" >"$PB/bos-hsmd"
chmod 0755 "$PB/bos-hsmd"
init_dev "$PP/state" >/dev/null 2>&1 || { notok "init for the in-daemon probes"; finish; }
ln -s "$PP/outside/secret" "$PP/state/out-link"
ln -s "$PP/state/db.key" "$PP/state/tokens/out-link"
VAULT_IN="abs-read dotdot-read symlink-read pin-read so-pin-read dbkey-read abs-write dotdot-write
	dotdot-unlink abs-unlink rename-out"
HSMD_IN="abs-read db-read dbkey-read pin-read dotdot-read symlink-read abs-write token-create"
# in_daemons LOG [WRAPPER...]: start the vault with the probes, trigger the
# vault's with one request, wait for both to finish, stop it.
in_daemons() {
	local log=$1; shift
	echo outside-secret >"$PP/outside/secret"; echo v >"$PP/outside/victim"; echo v >"$PP/outside/victim2"
	VAULTD=$PB/bos-vaultd
	if [ $# -gt 0 ]; then
		# exec all the way: VPID stays the vault's pid
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$*" "$PB/bos-vaultd" >"$T/wrapped-vaultd"
		chmod 0755 "$T/wrapped-vaultd"
		VAULTD=$T/wrapped-vaultd
	fi
	LD_PRELOAD=$BOS_TESTBIN/path_probe.so BOS_PATH_PROBE=vault BOS_PATH_PROBE_DIR=$PP/state \
		start_vault "$PP/state" "$log" || { VAULTD=$BOS_BIN/bos-vaultd; return 1; }
	VAULTD=$BOS_BIN/bos-vaultd
	curl -s --max-time 5 --unix-socket "$PP/state/vault.sock" http://x/health >/dev/null
	for _ in $(seq 50); do grep -q 'path_probe: vault done' "$log" && break; sleep 0.1; done
	kill -TERM "$VPID"; wait "$VPID"
}
if [ "$KIND" = null ]; then
	ok "in-daemon path probes skipped (null sandbox in sanitizer builds)"
else
	in_daemons "$T/pp.log"
	for a in $VAULT_IN; do
		check "real bos-vaultd, connection thread: $a is refused" \
			grep -q "path_probe: vault $a refused (Permission denied)" "$T/pp.log"
	done
	for a in $HSMD_IN; do
		check "real bos-hsmd, serving: $a is refused" \
			grep -q "path_probe: hsmd $a refused (Permission denied)" "$T/pp.log"
	done
	check_not "real daemons: no probe got through" grep -q "NOT REFUSED" "$T/pp.log"
	check "real daemons: the outside files are untouched" \
		test -e "$PP/outside/victim" -a -e "$PP/outside/victim2" -a ! -e "$PP/outside/moved"
	check_not "real daemons: no refused system call" grep -q "refused system call" "$T/pp.log"

	# Control: the same daemons where the kernel has no Landlock, allowed to
	# run unconfined. The probes get through, as B1 found, and both daemons
	# warn at start.
	echo "sandbox_unconfined_paths = 1" >>"$PP/state/bos.conf"
	in_daemons "$T/pp-ctl.log" "$BOS_TESTBIN/no_landlock" ENOSYS
	n=$(grep -c "path_probe: vault .* NOT REFUSED" "$T/pp-ctl.log")
	check "control: without Landlock every vault probe gets through ($n of $(wc -w <<<"$VAULT_IN"))" \
		test "$n" -eq "$(wc -w <<<"$VAULT_IN")"
	n=$(grep -c "path_probe: hsmd .* NOT REFUSED" "$T/pp-ctl.log")
	check "control: without Landlock every bos-hsmd probe gets through ($n of $(wc -w <<<"$HSMD_IN"))" \
		test "$n" -eq "$(wc -w <<<"$HSMD_IN")"
	check "control: bos-vaultd warns that file paths are NOT confined" \
		grep -q "bos-vaultd.*warning: sandbox: file paths are NOT confined" "$T/pp-ctl.log"
	check "control: bos-hsmd warns that file paths are NOT confined" \
		grep -q "bos-hsmd.*warning: sandbox: file paths are NOT confined" "$T/pp-ctl.log"

	# Without Landlock and without that setting, the vault refuses to start
	# (its bos-hsmd refuses first), says how to go on, and changes nothing.
	sed -i '/^sandbox_unconfined_paths/d' "$PP/state/bos.conf"
	mv "$PP/outside/moved" "$PP/state/roles.policy"   # the control's rename-out got through
	before=$(snapshot "$PP/state")
	for e in ENOSYS EOPNOTSUPP; do
		"$BOS_TESTBIN/no_landlock" "$e" "$BOS_BIN/bos-vaultd" --state-dir "$PP/state" \
			>"$T/nl.log" 2>&1; rc=$?
		check "no Landlock ($e): bos-vaultd refuses to start (exit $rc)" test "$rc" -ne 0
		check "no Landlock ($e): the one error line names the way out" bash -c \
			"[ \$(grep -c 'error:' '$T/nl.log') -eq 1 ] && grep -q 'file paths cannot be confined.*set sandbox_unconfined_paths = 1 in bos.conf' '$T/nl.log'"
		check_not "no Landlock ($e): never ready" grep -q "ready:" "$T/nl.log"
	done
	check "no Landlock: the state directory is unchanged" test "$(snapshot "$PP/state")" = "$before"

	# bos-vaultd init there: its bos-hsmd refuses too, unless --allow-unconfined-paths,
	# which also writes the setting for the vault.
	"$BOS_TESTBIN/no_landlock" ENOSYS "$VAULTD" init --state-dir "$T/ni-a" --dev >"$T/ni.log" 2>&1; rc=$?
	check "no Landlock: bos-vaultd init refuses (exit $rc), naming --allow-unconfined-paths" bash -c \
		"[ $rc -ne 0 ] && grep -q 'file paths cannot be confined.*bos-vaultd init --allow-unconfined-paths' '$T/ni.log'"
	check "no Landlock: the refused init leaves nothing behind" test ! -e "$T/ni-a"
	check "no Landlock: bos-vaultd init --allow-unconfined-paths creates the vault" \
		"$BOS_TESTBIN/no_landlock" ENOSYS "$VAULTD" init --state-dir "$T/ni-b" --dev --allow-unconfined-paths
	check "... and writes sandbox_unconfined_paths = 1 to bos.conf" \
		grep -qx 'sandbox_unconfined_paths = 1' "$T/ni-b/bos.conf"
	check_not "a plain init does not write it" grep -q sandbox_unconfined_paths "$PP/state/bos.conf"

	# `make run` (bos-vaultd --dev on a new directory) must work on a newcomer's
	# kernel without Landlock: that development vault opts in, and says so.
	"$BOS_TESTBIN/no_landlock" ENOSYS "$VAULTD" --state-dir "$T/nd/dev" --dev \
		--listen 127.0.0.1:0 >"$T/nd.log" 2>&1 &
	ND=$!; bg_track "$ND"
	check "no Landlock: bos-vaultd --dev on a new directory starts (make run)" wait_ready "$T/nd.log" "$ND"
	check "... warning that its file paths are NOT confined" grep -q 'development vault .* will run with file paths NOT confined' "$T/nd.log"
	check "... with sandbox_unconfined_paths = 1 in its bos.conf" \
		grep -qx 'sandbox_unconfined_paths = 1' "$T/nd/dev/bos.conf"
	kill -TERM "$ND" 2>/dev/null; wait "$ND" 2>/dev/null
	"$VAULTD" --state-dir "$T/nd2/dev" --dev --listen 127.0.0.1:0 >"$T/nd2.log" 2>&1 &
	ND=$!; bg_track "$ND"
	check "with Landlock: bos-vaultd --dev on a new directory starts" wait_ready "$T/nd2.log" "$ND"
	check_not "... and does not write sandbox_unconfined_paths" grep -q sandbox_unconfined_paths "$T/nd2/dev/bos.conf"
	kill -TERM "$ND" 2>/dev/null; wait "$ND" 2>/dev/null
fi
finish
