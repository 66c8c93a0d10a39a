#!/bin/bash
# Damaged or swapped ciphertexts, or swapped clear columns (names, services,
# types, card digits), fail with a clear error and never yield wrong
# plaintext; a card with a CVV is refused and nothing is written. The
# damage is done with the database key (bos_dbtool) while the vault runs;
# reads and writes go through it as a signed-in admin with bosctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

S=$T/state
init_dev "$S" >/dev/null 2>&1 || { notok "init"; finish; }
check "vault starts" start_vault "$S" "$T/vault.log" || finish
check "admin created and bosctl signed in" bosctl_admin alice || finish
A=$(canary A); B=$(canary B)
ida=$(printf '%s' "$A" | "$BOSCTL" cred add --name a --type api_key --service s1)
idb=$(printf '%s' "$B" | "$BOSCTL" cred add --name b --type api_key --service s1)
DB="$BOS_TESTBIN/bos_dbtool"
reveal() { "$BOSCTL" cred show "$1" --reveal 2>"$T/err"; }

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

# ---- The clear columns are bound too (issue #12 item 14) ----
# With the DB key, swap two rows' names, services or types, or two cards' digits:
# every read fails, by name and by id, printing neither secret; swapping back restores.
N1=$(canary N1); N2=$(canary N2)
idn1=$(printf '%s' "$N1" | "$BOSCTL" cred add --name n-one --type api_key --service svc-one)
idn2=$(printf '%s' "$N2" | "$BOSCTL" cred add --name n-two --type password --service svc-two)
idc1=$(printf '4111111111111111' | "$BOSCTL" cred add --name card-one --type card --service pay)
idc2=$(printf '5555555555554444' | "$BOSCTL" cred add --name card-two --type card --service pay)
# swap_col COL ID1 ID2: through a snapshot, since names are unique.
swap_col() {
	local set="UPDATE credentials SET $1 = (SELECT v FROM sw WHERE sw.id != credentials.id) WHERE id IN ('$2','$3');"
	[ "$1" = name ] && set="UPDATE credentials SET name = id WHERE id IN ('$2','$3'); $set"
	"$DB" "$S" "CREATE TEMP TABLE sw AS SELECT id, $1 AS v FROM credentials WHERE id IN ('$2','$3'); $set"
}
swap_digits() {
	"$DB" "$S" "CREATE TEMP TABLE d AS SELECT cred_id, card_brand, card_first6, card_last4 FROM credential_versions WHERE cred_id IN ('$1','$2');
	 UPDATE credential_versions SET (card_brand, card_first6, card_last4) = (SELECT card_brand, card_first6, card_last4 FROM d WHERE d.cred_id != credential_versions.cred_id) WHERE cred_id IN ('$1','$2');"
}
# refused WHAT TARGET...: each read fails, says so, and prints no secret of the four.
refused() {
	local what=$1 t out; shift
	for t in "$@"; do
		out=$(reveal "$t")
		{ printf '%s\n' "$out"; cat "$T/err"; } >"$T/shown"
		check "$what: reading $t fails" test -z "$out"
		check "$what: the error for $t is clear" grep -q "failed to decrypt" "$T/err"
		check_not "$what: no secret printed for $t" grep -qF -e "$N1" -e "$N2" -e 4111111111111111 \
			-e 5555555555554444 "$T/shown"
	done
}
for col in name service type; do
	swap_col $col "$idn1" "$idn2" || notok "swap $col"
	refused "swapped ${col}s" n-one n-two "$idn1" "$idn2"
	swap_col $col "$idn1" "$idn2" || notok "swap $col back"
	check "${col}s swapped back: n-one reads again" test "$(reveal n-one)" = "$N1"
	check "${col}s swapped back: n-two reads again" test "$(reveal n-two)" = "$N2"
done
swap_digits "$idc1" "$idc2" || notok "swap card digits"
refused "swapped card digits" card-one card-two
check "card-one shows card-two's last 4 now" bash -c "'$BOSCTL' cred show card-one | grep -q 4444"
swap_digits "$idc1" "$idc2" || notok "swap card digits back"
check "card digits swapped back: card-one reads again" test "$(reveal card-one)" = 4111111111111111
check "card digits swapped back: card-two reads again" test "$(reveal card-two)" = 5555555555554444

# Cards: a CVV is refused, in metadata under any spelling; nothing is written.
n0=$("$DB" "$S" "SELECT count(*) FROM credentials")
for k in cvv CVC cvv2 security_code "Security-Code"; do
	out=$(printf '4111111111111111' | "$BOSCTL" cred add --name "c-$k" --type card \
		--service stripe --metadata "{\"$k\":\"123\"}" 2>&1); rc=$?
	check "card with metadata '$k' is refused" test "$rc" -ne 0
	check "refusal for '$k' names the CVV rule" grep -qi "cvv" <<<"$out"
done
out=$(printf '4111111111111111 123' | "$BOSCTL" cred add --name c-x --type card --service stripe 2>&1)
check "card number followed by a CVV is refused" test $? -ne 0
check "the refusal does not echo the number" bash -c "! grep -q 4111111111111111 <<<'$out'"
out=$(printf '4111111111111112' | "$BOSCTL" cred add --name c-y --type card --service stripe 2>&1)
check "a card number failing Luhn is refused" test $? -ne 0
out=$(printf 'x' | "$BOSCTL" cred add --name m --type secret --service s1 \
	--metadata '{"note":"card 4111 1111 1111 1111"}' 2>&1)
check "a card number in clear-text metadata is refused" test $? -ne 0
check "nothing was written by refused requests" test "$("$DB" "$S" "SELECT count(*) FROM credentials")" = "$n0"
check "the raw DB holds no CVV column" bash -c "! '$DB' '$S' \"SELECT sql FROM sqlite_master\" | grep -qiE 'cvv|cvc'"
check "the vault logged the refused reads" grep -q "failed to decrypt" "$T/vault.log"
check_not "no secret in the vault's log" grep -qF -e "$A" -e "$B" -e "$N1" -e "$N2" -e 4111111111111111 \
	-e 5555555555554444 "$T/vault.log"
kill -TERM "$VPID"; wait "$VPID"
finish
