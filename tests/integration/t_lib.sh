#!/bin/bash
# The test library itself (tests/integration/lib.sh): `check` and `check_not`
# print "not ok" and return non-zero when they fail, so `check ... || finish`
# stops a script there; a failed check without `|| finish` lets the script go
# on and still makes it exit non-zero at `finish`. The scripts under test run
# in their own bash, so their "not ok" lines never reach the runner.
. "$(dirname "$0")/lib.sh"
LIB=$(cd "$(dirname "$0")" && pwd)/lib.sh

# run SCRIPT: run a small script that sources lib.sh; OUT gets its output, RC its status.
run() { OUT=$(bash -c ". '$LIB'; $1" 2>&1); RC=$?; }

run 'check "c1" true; echo "rc=$?"; check_not "c2" false; echo "rc=$?"; finish'
check "check and check_not that pass return 0, print ok, and finish exits 0" \
	bash -c "test '$RC' = 0 && grep -qx 'ok - c1' <<<'$OUT' && grep -qx 'ok - c2' <<<'$OUT' &&
		test \"\$(grep -c '^rc=0\$' <<<'$OUT')\" = 2"

run 'check "c1" false; echo "rc=$?"; check_not "c2" true; echo "rc=$?"'
check "check and check_not that fail print 'not ok' and return non-zero" \
	bash -c "grep -qx 'not ok - c1' <<<'$OUT' && grep -qx 'not ok - c2' <<<'$OUT' &&
		test \"\$(grep -c '^rc=1\$' <<<'$OUT')\" = 2"

run 'check "setup" false || finish; echo "went on"; finish'
check "'check ... || finish' stops the script at the failed check, with a non-zero exit" \
	bash -c "test '$RC' -ne 0 && grep -qx 'not ok - setup' <<<'$OUT' && ! grep -q 'went on' <<<'$OUT'"

run 'check_not "setup" true || finish; echo "went on"; finish'
check "'check_not ... || finish' stops the script too" \
	bash -c "test '$RC' -ne 0 && ! grep -q 'went on' <<<'$OUT'"

run 'check "one" false; check "two" true; echo "went on"; finish'
check "a failed check without '|| finish' lets the script go on, and finish exits non-zero" \
	bash -c "test '$RC' -ne 0 && grep -qx 'ok - two' <<<'$OUT' && grep -q 'went on' <<<'$OUT'"

run 'check "setup" true || finish; echo "went on"; finish'
check "control: a passing check before '|| finish' goes on and finish exits 0" \
	bash -c "test '$RC' = 0 && grep -q 'went on' <<<'$OUT'"
finish
