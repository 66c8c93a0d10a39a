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
	local n=0 i
	for i in $(seq "$TRIALS"); do
		"$PROBE" "$1" "$2" "$D" >/dev/null 2>"$T/probe.err"
		[ $? -eq $SIGSYS_RC ] && n=$((n + 1))
	done 2>/dev/null
	echo "$n"
}

if [ "$KIND" = null ]; then
	ok "sandbox_probe: negative and positive filter tests skipped (null sandbox in sanitizer builds)"
else
	check "the sandbox is a seccomp filter ($KIND)" grep -q '^seccomp' <<<"$KIND"
	# Every profile: exec, ptrace, fork, other processes' memory, and no socket at all.
	common="open-legacy exec execveat ptrace ptrace-attach fork vfork process-vm kill-other
		unlink-cwd mmap-exec mprotect-exec socket-inet socket-inet6 socket-netlink socket-packet"
	for prof in vault hsmd; do
		actions=$common
		# SoftHSM opens its token files by path: hsmd's openat is open, and its
		# syslog's AF_UNIX socket is refused with EACCES, not killed (SANDBOX.md).
		[ "$prof" = vault ] && actions="open socket-unix $actions"
		for a in $actions; do
			n=$(trials "$prof" "$a")
			check "$prof profile: $a is killed by SIGSYS in $n/$TRIALS trials" test "$n" -eq "$TRIALS"
		done
		check "$prof profile: allowed work succeeds (thread$( [ $prof = vault ] && echo ', head-file ops on the dirfd, kill+reap of the child'))" \
			"$PROBE" "$prof" ok "$D"
		check "$prof profile: clone3 answers ENOSYS" "$PROBE" "$prof" clone3 "$D"
	done
	"$PROBE" hsmd socket-unix "$D" >/dev/null 2>"$T/probe.err"; rc=$?
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
finish
