#!/bin/bash
# Start-up failures: each gives one line that says what is wrong, a non-zero
# exit, and leaves the state directory exactly as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

S=$T/state
init_dev "$S" >/dev/null 2>&1 || { notok "init"; finish; }
# A secret to find intact after all the refused starts, stored through the vault.
start_vault "$S" "$T/v0.log" && bosctl_admin alice &&
	printf 'keep-me' | "$BOSCTL" cred add --name k --type secret --service s >/dev/null ||
	notok "a credential stored before the refused starts"
kill -TERM "$VPID"; wait "$VPID"

# expect_fail NAME PATTERN: start the vault, expect failure with one line matching PATTERN.
expect_fail() {
	local name=$1 pat=$2 before out rc
	before=$(snapshot "$S")
	out=$(timeout 20 "$VAULTD" --state-dir "$S" 2>&1); rc=$?
	check "$name: non-zero exit" test "$rc" -ne 0 -a "$rc" -ne 124
	check "$name: exactly one line of error" test "$(printf '%s\n' "$out" | grep -c .)" -eq 1
	if grep -qiE "$pat" <<<"$out"; then ok "$name: says '$pat'"; else notok "$name: says '$pat' (got: $out)"; fi
	check "$name: nothing created or changed" test "$before" = "$(snapshot "$S")"
}
edit_file() { chmod u+w "$1"; printf '%s' "$2" >"$1"; chmod "$3" "$1"; }

PIN=$(cat "$S/hsm-pin")
edit_file "$S/hsm-pin" "0000wrongpin0000" 400
expect_fail "wrong PIN" "wrong PIN"
edit_file "$S/hsm-pin" "$PIN" 400

chmod 0644 "$S/hsm-pin"
expect_fail "PIN file readable by others" "hsm-pin.*(mode|permission)"
chmod 0400 "$S/hsm-pin"

mv "$S/hsm-pin" "$T/pin.bak"
expect_fail "missing PIN file" "hsm-pin"
mv "$T/pin.bak" "$S/hsm-pin"

cp "$S/bos.conf" "$T/conf.bak"
sed -i 's/^token_label = .*/token_label = no-such-token/' "$S/bos.conf"
expect_fail "missing token" "no token.*no-such-token"
cp "$T/conf.bak" "$S/bos.conf"

sed -i 's|^pkcs11_module = .*|pkcs11_module = /nonexistent/libpkcs11.so|' "$S/bos.conf"
expect_fail "missing PKCS#11 module" "/nonexistent/libpkcs11.so"
cp "$T/conf.bak" "$S/bos.conf"

echo "bogus_setting = 1" >>"$S/bos.conf"
expect_fail "unknown setting in bos.conf" "bos.conf:[0-9]+: unknown setting 'bogus_setting'"
cp "$T/conf.bak" "$S/bos.conf"

cp "$S/db.key" "$T/key.bak"
rm "$S/db.key"
expect_fail "missing wrapped key file" "db.key is missing"
cp "$T/key.bak" "$S/db.key"

for off in 20 40 73; do
	cp "$T/key.bak" "$S/db.key"
	# Invert the byte (writing a fixed value would change nothing 1 time in 256).
	b=$(od -An -tu1 -j"$off" -N1 "$T/key.bak" | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 0xff)))" | dd of="$S/db.key" bs=1 seek="$off" conv=notrunc 2>/dev/null
	check "wrapped key byte $off really changed" bash -c "! cmp -s '$T/key.bak' '$S/db.key'"
	expect_fail "wrapped key byte $off corrupted" "db.key.*(corrupt|authenticate)"
done
head -c 50 "$T/key.bak" >"$S/db.key"
expect_fail "truncated wrapped key file" "db.key is corrupt"
{ cat "$T/key.bak"; printf 'x'; } >"$S/db.key"
expect_fail "wrapped key file with trailing bytes" "db.key is corrupt"
printf 'not a key file at all' >"$S/db.key"
expect_fail "wrapped key file of another format" "db.key is corrupt"
cp "$T/key.bak" "$S/db.key"; chmod 600 "$S/db.key"

mv "$S/bos.db" "$T/db.bak"
expect_fail "missing database" "bos.db is missing"
mv "$T/db.bak" "$S/bos.db"

check "after all that, the vault starts" start_vault "$S" "$T/v.log"
bosctl_signin || notok "bosctl signs in again"
got=$("$BOSCTL" cred show k --reveal)
check "and the secret is intact" test "$got" = "keep-me"
kill -TERM "$VPID"; wait "$VPID"
finish
