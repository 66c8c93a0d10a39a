#!/bin/bash
# Run each libFuzzer target for BOS_FUZZ_TIME seconds, starting from the
# committed seeds in tests/fuzz/corpus/<target>/ (new inputs go to a scratch
# copy). A crash, leak or sanitizer report fails the run and keeps the input.
set -u
cd "$(dirname "$0")/.." || exit 1
time=${BOS_FUZZ_TIME:-10}
pass=0 fail=0
for f in "$@"; do
	name=$(basename "$f")
	work=$(dirname "$f")/corpus-$name
	mkdir -p "$work"
	[ -d "tests/fuzz/corpus/$name" ] && cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	if "$f" -max_total_time="$time" -print_final_stats=1 -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$(dirname "$f")/crash-$name-" "$work" >"$(dirname "$f")/$name.log" 2>&1; then
		echo "ok - $name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$(dirname "$f")/$name.log" | awk '{print $2}') runs, no findings"
		pass=$((pass + 1))
	else
		echo "not ok - $name: finding, see $(dirname "$f")/$name.log"
		tail -30 "$(dirname "$f")/$name.log"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ -n "${BOS_COUNTS:-}" ] && echo "$pass $fail" >> "$BOS_COUNTS"
[ "$fail" -eq 0 ]
