#!/bin/bash
# A real bos-hsmd exits with status 3 (HSM_EXIT_PROTOCOL) on every class of
# malformed, oversized, unknown or unpermitted frame, answers well-formed
# ones, and exits 0 when the channel closes. It refuses to start without a
# socket on fd 3 and takes no PIN from argv.
. tests/integration/lib.sh

MOD=/usr/lib/softhsm/libsofthsm2.so
HSMD=$BOS_BIN/bos-hsmd
RAW=$BOS_TESTBIN/hsm_raw
S=$T/hsm
L=bos-it-malformed

if ! "$RAW" init "$HSMD" "$S" "$L" >"$T/init.log" 2>&1; then
	notok "bos-hsmd creates token '$L' and keys v1"
	sed 's/^/# /' "$T/init.log"
	finish
fi
ok "bos-hsmd creates token '$L' and keys v1"

# Controls first: well-formed frames get an answer and a clean exit, so an
# "exit 3" below is bos-hsmd's verdict on the frame and not a broken setup.
frame() { "$RAW" frame "$HSMD" "$S" "$L" "$1" 2>"$T/$1.log"; }
out=$(frame valid-random)
check "valid RANDOM is answered OK, then exit 0 on EOF" \
	test "$out" = "$(printf 'answer 0x100\nexit 0')"
out=$(frame valid-nokey)
check "PUBKEY of a missing version is answered ERR (not fatal), then exit 0" \
	test "$out" = "$(printf 'answer 0x101\nexit 0')"

for class in oversized-length huge-length unknown-type answer-type keygen-in-serve \
	leftover-byte truncated-str16 short-digest random-zero partial-header truncated-payload; do
	out=$(frame "$class")
	if [ "$out" = "exit 3" ]; then
		ok "$class: bos-hsmd exits 3 without answering"
	else
		notok "$class: bos-hsmd exits 3 without answering (got: $(echo $out))"
	fi
	check "$class: bos-hsmd logs exactly one protocol error line" \
		test "$(grep -c 'protocol error' "$T/$class.log")" = 1
done

# Start-up refusals.
"$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" 3<&- >"$T/nofd.out" 2>&1
check "without fd 3 bos-hsmd exits 2" test $? = 2
check "without fd 3 it prints its usage" grep -q '^usage: bos-hsmd' "$T/nofd.out"
"$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" 3>"$T/notasocket" >/dev/null 2>&1
check "with a regular file on fd 3 bos-hsmd exits 2" test $? = 2

export SOFTHSM2_CONF=$S/softhsm2.conf
PIN=$(cat "$S/hsm-pin")
out=$("$RAW" start "$HSMD" --module "$MOD" --token "$L" --pin "$PIN" 2>"$T/argv-pin.log")
check "a PIN in argv is refused (unknown option, ERR CONFIG, exit 2)" \
	test "$(printf '%s\n' "$out" | sed -n '1s/^\(err 8\) .*/\1/p;2p')" = "$(printf 'err 8\nexit 2')"
# getopt_long would take "--pin" as "--pin-file" and print the PIN as a path.
check_not "the refused PIN is echoed neither in the ERR message nor in the log" \
	grep -qF "$PIN" "$T/argv-pin.log" <(printf '%s\n' "$out")
out=$("$RAW" start "$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" extra 2>/dev/null)
check "a stray argument is refused" test "$(printf '%s\n' "$out" | tail -1)" = "exit 2"
out=$("$RAW" start "$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" --init \
	--create-token 2>/dev/null)
check "--init with --create-token is refused" test "$(printf '%s\n' "$out" | tail -1)" = "exit 2"
out=$("$RAW" start "$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" 2>/dev/null)
check "the same start without the bad arguments is ready, then exit 0" \
	test "$out" = "$(printf 'ready\nexit 0')"
finish
