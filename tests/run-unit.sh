#!/bin/bash
# Run each unit test binary (cmocka) and print a closing "N passed, N failed".
# Arguments: the test binaries. Environment: BOS_BIN (where bos-hsmd lives).
set -u
pass=0 fail=0 failed=""
export CMOCKA_MESSAGE_OUTPUT=stdout
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		failed="$failed $(basename "$t")"
		printf '%s\n' "$out"
	fi
	printf '%-28s %3d passed, %d failed\n' "$(basename "$t")" "$p" "$f"
done
echo "unit: $pass passed, $fail failed"
[ -n "${BOS_COUNTS:-}" ] && echo "$pass $fail" >> "$BOS_COUNTS"
[ -z "$failed" ] || { echo "failing:$failed"; exit 1; }
