#!/bin/bash
# Run every tests/integration/t_*.sh against the real daemons. Each script
# prints "ok - ..." / "not ok - ..." lines; a script that exits non-zero
# without a "not ok" line counts as one failure. Closing line: N passed, N failed.
#
# Scripts run BOS_JOBS at a time (default: the number of CPUs, at most 4);
# each has its own temporary directory, ports and SoftHSM token (lib.sh), so
# they do not share state. Most of their time is spent waiting (TOTP steps,
# lockout windows, daemons starting), which is why this pays on 2 cores.
# A script whose header has the line "# runner: alone" runs by itself, after
# the others: it measures latency under load or races the clock (kill -9 at a
# chosen moment) and must not share the machine with another test.
# A script whose header has the line "# sanitizer: skip" is left out when
# BOS_SANITIZED=1 (make asan): it builds its own plain binaries, so the
# sanitized run would test the same thing twice; the plain stage runs it.
# BOS_ONLY=substring runs the matching scripts only.
set -u
cd "$(dirname "$0")/.." || exit 1
export BOS_BIN=$(cd "${BOS_BIN:-build/bin}" && pwd)
export BOS_TESTBIN=$(cd "${BOS_TESTBIN:-build/tests}" && pwd)
jobs=${BOS_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -le 4 ] || jobs=4
out_dir=$(mktemp -d /tmp/bos-run.XXXXXX) || exit 1
trap 'rm -rf "$out_dir"' EXIT

pass=0 fail=0 failed=""
shared=() alone=()
for t in tests/integration/t_*.sh; do
	[ -n "${BOS_ONLY:-}" ] && [[ "$t" != *"$BOS_ONLY"* ]] && continue
	if [ "${BOS_SANITIZED:-0}" = 1 ] && head -40 "$t" | grep -q '^# sanitizer: skip'; then
		echo "$(basename "$t"): left out of the sanitizer stage (# sanitizer: skip)"
		continue
	fi
	if head -40 "$t" | grep -q '^# runner: alone'; then alone+=("$t"); else shared+=("$t"); fi
done

# run_one SCRIPT: runs it with the 600 s limit, leaving NAME.out and NAME.rc.
run_one() {
	local n; n=$(basename "$1")
	local start; start=$(date +%s)
	timeout 600 bash "$1" >"$out_dir/$n.out" 2>&1
	echo "$? $(( $(date +%s) - start ))" >"$out_dir/$n.rc"
}

# report SCRIPT: counts and prints one finished script.
report() {
	local n rc secs p f
	n=$(basename "$1")
	read -r rc secs <"$out_dir/$n.rc"
	p=$(grep -c '^ok ' "$out_dir/$n.out")
	f=$(grep -c '^not ok ' "$out_dir/$n.out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		failed="$failed $n"
		sed 's/^/    /' "$out_dir/$n.out"
	fi
	printf '%-28s %3d passed, %d failed (%ds)\n' "$n" "$p" "$f" "$secs"
}

# The shared pool: start up to $jobs scripts, report each as it ends.
declare -A running=()
for t in "${shared[@]}"; do
	while [ "${#running[@]}" -ge "$jobs" ]; do
		wait -n
		for pid in "${!running[@]}"; do
			kill -0 "$pid" 2>/dev/null && continue
			wait "$pid"; report "${running[$pid]}"; unset "running[$pid]"
		done
	done
	run_one "$t" &
	running[$!]=$t
done
for pid in "${!running[@]}"; do
	wait "$pid"; report "${running[$pid]}"
done
for t in "${alone[@]}"; do
	run_one "$t"; report "$t"
done

echo "integration: $pass passed, $fail failed"
[ -n "${BOS_COUNTS:-}" ] && echo "$pass $fail" >> "$BOS_COUNTS"
[ -z "$failed" ] || { echo "failing:$failed"; exit 1; }
