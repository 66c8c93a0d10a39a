#!/bin/bash
# A real bos-hsmd exits with status 3 (HSM_EXIT_PROTOCOL) on every class of
# malformed, oversized or unknown frame, answers well-formed ones (KEYGEN in
# serve mode with ERR, not acted on), and exits 0 when the channel closes. It refuses to start without a
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

out=$(frame keygen-in-serve)
check "KEYGEN in serve mode is answered ERR (refused, not fatal), then exit 0" \
	test "$out" = "$(printf 'answer 0x101\nexit 0')"
check "the refused KEYGEN is logged once, as a refusal and not a protocol error" \
	test "$(grep -c 'refused a keygen request' "$T/keygen-in-serve.log")/$(grep -c 'protocol error' "$T/keygen-in-serve.log")" = 1/0

for class in oversized-length huge-length unknown-type answer-type \
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
# The serving process cannot enter key generation: not with --listen, and
# --generate-keys only with --init or --create-token (both exit 2, nothing made).
out=$("$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" --init --listen "$T/l.sock" \
	--peer-uid 1 2>&1); rc=$?
check "--listen with --init is refused (exit 2)" test "$rc" = 2
check "--listen with --init: the message says why" grep -q 'serves only' <<<"$out"
check "--listen with --init: no socket made" test ! -e "$T/l.sock"
# "--listen" as another option's value (a PIN file of that name): it logs in,
# then neither serves fd 3 nor listens: exit 2, saying so.
mkdir -p "$T/lst" && install -m 0400 "$S/hsm-pin" "$T/lst/--listen"
(cd "$T/lst" && exec "$HSMD" --module "$MOD" --token "$L" --pin-file --listen) >"$T/lst.out" 2>&1
check "'--listen' as a value is not listening mode (exit 2)" test $? = 2
check "'--listen' as a value: the message says so" grep -q -- '--listen is not an option here' "$T/lst.out"
"$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" --generate-keys 9 >"$T/gen.out" 2>&1
check "--generate-keys without --init is refused (exit 2)" test $? = 2
check "--generate-keys without --init: the message says why" grep -q 'needs --init' "$T/gen.out"
check "no key version 9 was made (PUBKEY v9 still answers ERR)" test "$("$RAW" frame "$HSMD" "$S" "$L" valid-nokey | head -1)" = "answer 0x101"
"$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" --init --generate-keys 2 >"$T/gen2.out" 2>&1
check "--init --generate-keys 2 makes version 2 by hand, without a channel" \
	grep -qx 'bos-hsmd: created keys bos-kek-v2 and bos-audit-v2' "$T/gen2.out"
"$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" --init --generate-keys 2 >"$T/gen3.out" 2>&1
check "a second --generate-keys 2 is refused: keys are never replaced (exit 2)" test $? = 2
out=$("$RAW" start "$HSMD" --module "$MOD" --token "$L" --pin-file "$S/hsm-pin" 2>/dev/null)
check "the same start without the bad arguments is ready, then exit 0" \
	test "$out" = "$(printf 'ready\nexit 0')"
finish
