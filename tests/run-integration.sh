#!/bin/bash
# Run every tests/integration/t_*.sh against the real daemons. Each script
# prints "ok - ..." / "not ok - ..." lines; a script that exits non-zero
# without a "not ok" line counts as one failure. Closing line: N passed, N failed.
set -u
cd "$(dirname "$0")/.." || exit 1
export BOS_BIN=$(cd "${BOS_BIN:-build/bin}" && pwd)
export BOS_TESTBIN=$(cd "${BOS_TESTBIN:-build/tests}" && pwd)
pass=0 fail=0 failed=""
for t in tests/integration/t_*.sh; do
	[ -n "${BOS_ONLY:-}" ] && [[ "$t" != *"$BOS_ONLY"* ]] && continue
	start=$(date +%s)
	out=$(timeout 600 bash "$t" 2>&1); rc=$?
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		failed="$failed $(basename "$t")"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
	printf '%-28s %3d passed, %d failed (%ds)\n' "$(basename "$t")" "$p" "$f" $(( $(date +%s) - start ))
done
echo "integration: $pass passed, $fail failed"
[ -n "${BOS_COUNTS:-}" ] && echo "$pass $fail" >> "$BOS_COUNTS"
[ -z "$failed" ] || { echo "failing:$failed"; exit 1; }
