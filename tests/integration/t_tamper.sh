#!/bin/bash
# Damaged or swapped ciphertexts fail with a clear error and never yield
# wrong plaintext; a card with a CVV is refused and nothing is written.
. "$(dirname "$0")/lib.sh"

S=$T/state
init_dev "$S" >/dev/null 2>&1 || { notok "init"; finish; }
A=$(canary A); B=$(canary B)
ida=$(printf '%s' "$A" | "$BOSCTL" cred add --state-dir "$S" --name a --type api_key --service s1)
idb=$(printf '%s' "$B" | "$BOSCTL" cred add --state-dir "$S" --name b --type api_key --service s1)
DB="$BOS_TESTBIN/bos_dbtool"
reveal() { "$BOSCTL" cred show --state-dir "$S" "$1" --reveal 2>"$T/err"; }

check "a reads back before tampering" test "$(reveal a)" = "$A"

# Swap the ciphertexts (and then the wrapped DEKs too) of a and b.
"$DB" "$S" "CREATE TEMP TABLE t AS SELECT cred_id, ciphertext, wrapped_dek FROM credential_versions;
 UPDATE credential_versions SET ciphertext=(SELECT ciphertext FROM t WHERE t.cred_id != credential_versions.cred_id);" \
	|| notok "swap ciphertexts"
for n in a b; do
	out=$(reveal $n); rc=$?
	check "swapped ciphertext: reading $n fails" test -z "$out"
	check "swapped ciphertext: the error for $n is clear" grep -q "failed to decrypt" "$T/err"
	check "swapped ciphertext: no canary printed for $n" bash -c "! grep -qF -e '$A' -e '$B' <<<'$out'"
done
"$DB" "$S" "CREATE TEMP TABLE t AS SELECT cred_id, ciphertext, wrapped_dek FROM credential_versions;
 UPDATE credential_versions SET wrapped_dek=(SELECT wrapped_dek FROM t WHERE t.cred_id != credential_versions.cred_id);" \
	|| notok "swap wrapped DEKs"
for n in a b; do
	out=$(reveal $n)
	check "swapped ciphertext and DEK together: reading $n still fails (AAD binds the row)" test -z "$out"
done
# Swap both back: the originals read again.
"$DB" "$S" "CREATE TEMP TABLE t AS SELECT cred_id, ciphertext, wrapped_dek FROM credential_versions;
 UPDATE credential_versions SET ciphertext=(SELECT ciphertext FROM t WHERE t.cred_id != credential_versions.cred_id),
   wrapped_dek=(SELECT wrapped_dek FROM t WHERE t.cred_id != credential_versions.cred_id);" || notok "swap back"
check "after swapping back, a reads correctly" test "$(reveal a)" = "$A"

# Flip one bit at several positions of a's ciphertext (IV, body, tag).
hex=$("$DB" "$S" "SELECT hex(ciphertext) FROM credential_versions WHERE cred_id='$ida'")
len=$(( ${#hex} / 2 ))
check "a's ciphertext is IV + data + tag" test "$len" -eq $(( 12 + ${#A} + 16 ))
for pos in 0 11 12 $((len - 17)) $((len - 16)) $((len - 1)); do
	b=${hex:$((pos * 2)):2}
	nb=$(printf '%02X' $(( 0x$b ^ 0x01 )))
	"$DB" "$S" "UPDATE credential_versions SET ciphertext=X'${hex:0:$((pos * 2))}$nb${hex:$((pos * 2 + 2))}' WHERE cred_id='$ida'"
	out=$(reveal a)
	check "ciphertext byte $pos flipped: read fails" test -z "$out"
	check "ciphertext byte $pos flipped: clear error" grep -q "failed to decrypt" "$T/err"
done
"$DB" "$S" "UPDATE credential_versions SET ciphertext=X'$hex' WHERE cred_id='$ida'"
check "restoring the original bytes makes a readable again" test "$(reveal a)" = "$A"
check "b is unaffected by a's damage" test "$(reveal b)" = "$B"

# Damage b's wrapped DEK.
"$DB" "$S" "UPDATE credential_versions SET wrapped_dek = zeroblob(1) || substr(wrapped_dek, 2) WHERE cred_id='$idb'"
out=$(reveal b)
check "wrapped DEK damaged: read fails" test -z "$out"
check "wrapped DEK damaged: clear error" grep -q "failed to decrypt" "$T/err"

# Cards: a CVV is refused, in metadata under any spelling; nothing is written.
n0=$("$DB" "$S" "SELECT count(*) FROM credentials")
for k in cvv CVC cvv2 security_code "Security-Code"; do
	out=$(printf '4111111111111111' | "$BOSCTL" cred add --state-dir "$S" --name "c-$k" --type card \
		--service stripe --metadata "{\"$k\":\"123\"}" 2>&1); rc=$?
	check "card with metadata '$k' is refused" test "$rc" -ne 0
	check "refusal for '$k' names the CVV rule" grep -qi "cvv" <<<"$out"
done
out=$(printf '4111111111111111 123' | "$BOSCTL" cred add --state-dir "$S" --name c-x --type card --service stripe 2>&1)
check "card number followed by a CVV is refused" test $? -ne 0
check "the refusal does not echo the number" bash -c "! grep -q 4111111111111111 <<<'$out'"
out=$(printf '4111111111111112' | "$BOSCTL" cred add --state-dir "$S" --name c-y --type card --service stripe 2>&1)
check "a card number failing Luhn is refused" test $? -ne 0
out=$(printf 'x' | "$BOSCTL" cred add --state-dir "$S" --name m --type secret --service s1 \
	--metadata '{"note":"card 4111 1111 1111 1111"}' 2>&1)
check "a card number in clear-text metadata is refused" test $? -ne 0
check "nothing was written by refused requests" test "$("$DB" "$S" "SELECT count(*) FROM credentials")" = "$n0"
check "the raw DB holds no CVV column" bash -c "! '$DB' '$S' \"SELECT sql FROM sqlite_master\" | grep -qiE 'cvv|cvc'"
finish
