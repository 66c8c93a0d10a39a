#!/bin/bash
# The keys bos-hsmd creates can be used but never read, exported or weakened:
# checked with pkcs11-tool and with a raw PKCS#11 tool (p11_attrs) that does
# not share bos-hsmd's code. Control cases on a throwaway extractable key
# show that the same calls succeed when a key allows them.
. tests/integration/lib.sh

MOD=/usr/lib/softhsm/libsofthsm2.so
HSMD=$BOS_BIN/bos-hsmd
RAW=$BOS_TESTBIN/hsm_raw
S=$T/hsm
L=bos-it-keys

if ! "$RAW" init "$HSMD" "$S" "$L" >"$T/init.log" 2>&1; then
	notok "bos-hsmd creates token '$L' and keys v1"
	sed 's/^/# /' "$T/init.log"
	finish
fi
ok "bos-hsmd creates token '$L' and keys v1"
export SOFTHSM2_CONF=$S/softhsm2.conf
PIN=$(cat "$S/hsm-pin")   # argv PIN: acceptable in tests only
p11() { pkcs11-tool --module "$MOD" --token-label "$L" --login --pin "$PIN" "$@"; }

# ---- pkcs11-tool's view: one line per object, fields joined by "|" ----
p11 --list-objects >"$T/list" 2>&1
objs=$(awk '/^[^ ]/ { if (r) print r; r = $0; next }
	{ sub(/^ +/, ""); gsub(/  +/, " "); r = r "|" $0 } END { if (r) print r }' "$T/list")
obj() { printf '%s\n' "$objs" | grep "^$1" | grep -F "|label: $2|"; }
has() { [[ "$1|" == *"|$2|"* ]]; }
kek=$(obj 'Secret Key Object; AES length 32' bos-kek-v1)
priv=$(obj 'Private Key Object; EC' bos-audit-v1)
pub=$(obj 'Public Key Object; EC' bos-audit-v1)
check "pkcs11-tool lists one AES-256 KEK bos-kek-v1" test "$(printf '%s\n' "$kek" | grep -c .)" = 1
check "pkcs11-tool: KEK usage is exactly encrypt, decrypt" has "$kek" "Usage: encrypt, decrypt"
check "pkcs11-tool: KEK is sensitive, always sensitive, never extractable, local" \
	has "$kek" "Access: sensitive, always sensitive, never extractable, local"
check "pkcs11-tool lists one EC private key bos-audit-v1" test "$(printf '%s\n' "$priv" | grep -c .)" = 1
check "pkcs11-tool: audit private key usage is exactly sign" has "$priv" "Usage: sign"
check "pkcs11-tool: audit private key is sensitive, never extractable" \
	has "$priv" "Access: sensitive, always sensitive, never extractable, local"
check "pkcs11-tool: audit public key usage is exactly verify" has "$pub" "Usage: verify"
check "pkcs11-tool: audit key is P-256" has "$pub" "EC_PARAMS: 06082a8648ce3d030107"
id_priv=$(printf '%s\n' "$priv" | tr '|' '\n' | sed -n 's/^ID: //p')
id_pub=$(printf '%s\n' "$pub" | tr '|' '\n' | sed -n 's/^ID: //p')
id_kek=$(printf '%s\n' "$kek" | tr '|' '\n' | sed -n 's/^ID: //p')
check "audit key pair shares one CKA_ID (libp11 pairs by it)" \
	test -n "$id_priv" -a "$id_priv" = "$id_pub"
check "KEK has its own CKA_ID" test -n "$id_kek" -a "$id_kek" != "$id_priv"

# Reading the KEK's value through pkcs11-tool fails, and writes nothing.
if p11 --read-object --type secrkey --label bos-kek-v1 -o "$T/kek.bin" >"$T/read.log" 2>&1; then
	notok "pkcs11-tool cannot read the KEK value"
else
	check "pkcs11-tool cannot read the KEK value (CKR_ATTRIBUTE_SENSITIVE)" \
		grep -q CKR_ATTRIBUTE_SENSITIVE "$T/read.log"
fi
check "no KEK bytes were written" test ! -s "$T/kek.bin"

# ---- the raw view: every attribute, and every way out ----
if ! "$BOS_TESTBIN/p11_attrs" "$MOD" "$L" "$S/hsm-pin" 1 >"$T/attrs" 2>"$T/attrs.err"; then
	notok "p11_attrs reads the token"
	sed 's/^/# /' "$T/attrs.err"
	finish
fi
expect() {
	local who=$1; shift
	local kv
	for kv in "$@"; do
		if grep -qxF "$who $kv" "$T/attrs"; then ok "$who $kv"
		else notok "$who $kv (got: $(grep -F "$who ${kv%%=*}=" "$T/attrs" | sed 's/.*=//'))"; fi
	done
}
expect bos-kek-v1/secret CKA_TOKEN=true CKA_PRIVATE=true CKA_SENSITIVE=true \
	CKA_EXTRACTABLE=false CKA_ALWAYS_SENSITIVE=true CKA_NEVER_EXTRACTABLE=true CKA_LOCAL=true \
	CKA_ENCRYPT=true CKA_DECRYPT=true CKA_WRAP=false CKA_UNWRAP=false CKA_SIGN=false \
	CKA_VERIFY=false CKA_DERIVE=false CKA_MODIFIABLE=false CKA_COPYABLE=false \
	CKA_VALUE_LEN=32 CKA_ID_LEN=16 \
	CKA_VALUE=CKR_ATTRIBUTE_SENSITIVE C_WrapKey=CKR_KEY_UNEXTRACTABLE \
	"C_SetAttributeValue(CKA_EXTRACTABLE=true)=CKR_ACTION_PROHIBITED" \
	"C_SetAttributeValue(CKA_SENSITIVE=false)=CKR_ACTION_PROHIBITED" \
	"C_CopyObject(CKA_EXTRACTABLE=true)=CKR_ACTION_PROHIBITED"
expect bos-audit-v1/private CKA_TOKEN=true CKA_PRIVATE=true CKA_SENSITIVE=true \
	CKA_EXTRACTABLE=false CKA_ALWAYS_SENSITIVE=true CKA_NEVER_EXTRACTABLE=true CKA_LOCAL=true \
	CKA_SIGN=true CKA_SIGN_RECOVER=false CKA_DECRYPT=false CKA_UNWRAP=false CKA_DERIVE=false \
	CKA_MODIFIABLE=false CKA_COPYABLE=false CKA_ID_LEN=16 \
	CKA_VALUE=CKR_ATTRIBUTE_SENSITIVE C_WrapKey=CKR_KEY_UNEXTRACTABLE \
	"C_SetAttributeValue(CKA_EXTRACTABLE=true)=CKR_ACTION_PROHIBITED" \
	"C_CopyObject(CKA_EXTRACTABLE=true)=CKR_ACTION_PROHIBITED"
expect bos-audit-v1/public CKA_TOKEN=true CKA_PRIVATE=false CKA_VERIFY=true \
	CKA_VERIFY_RECOVER=false CKA_ENCRYPT=false CKA_WRAP=false CKA_DERIVE=false \
	CKA_MODIFIABLE=false
# Controls: the same probes on an extractable session key all succeed.
expect control/secret CKA_VALUE=CKR_OK C_WrapKey=CKR_OK \
	"C_SetAttributeValue(CKA_EXTRACTABLE=true)=CKR_OK" "C_CopyObject(CKA_EXTRACTABLE=true)=CKR_OK"

# ---- mechanisms (issue #12 item 13): the KEK does AES-GCM and nothing else ----
# An unrestricted AES key also does ECB, CBC, CBC_PAD and CTR, and wraps keys
# (the control shows SoftHSM offers all of them); the KEK refuses each one,
# for encryption and decryption, and its list cannot be widened.
expect bos-kek-v1/secret CKA_ALLOWED_MECHANISMS=CKM_AES_GCM \
	"C_EncryptInit(CKM_AES_GCM)=CKR_OK" "C_DecryptInit(CKM_AES_GCM)=CKR_OK" \
	"C_SetAttributeValue(CKA_ALLOWED_MECHANISMS)=CKR_ACTION_PROHIBITED"
for m in CKM_AES_ECB CKM_AES_CBC CKM_AES_CBC_PAD CKM_AES_CTR CKM_AES_KEY_WRAP CKM_AES_KEY_WRAP_PAD; do
	for op in C_EncryptInit C_DecryptInit; do
		check "KEK refuses $op($m)" grep -qxE "bos-kek-v1/secret $op\\($m\\)=CKR_(MECHANISM_INVALID|KEY_FUNCTION_NOT_PERMITTED)" "$T/attrs"
	done
done
for m in CKM_AES_KEY_WRAP CKM_AES_KEY_WRAP_PAD; do
	check "KEK refuses C_WrapKey($m)" grep -qxE "bos-kek-v1/secret C_WrapKey\\($m\\)=CKR_(MECHANISM_INVALID|KEY_FUNCTION_NOT_PERMITTED)" "$T/attrs"
done
expect control/secret CKA_ALLOWED_MECHANISMS=none "C_EncryptInit(CKM_AES_ECB)=CKR_OK" \
	"C_DecryptInit(CKM_AES_ECB)=CKR_OK" "C_EncryptInit(CKM_AES_CBC)=CKR_OK" \
	"C_DecryptInit(CKM_AES_CBC)=CKR_OK" "C_EncryptInit(CKM_AES_CBC_PAD)=CKR_OK" \
	"C_EncryptInit(CKM_AES_CTR)=CKR_OK" "C_DecryptInit(CKM_AES_CTR)=CKR_OK" \
	"C_EncryptInit(CKM_AES_GCM)=CKR_OK" "C_WrapKey(CKM_AES_KEY_WRAP)=CKR_OK" \
	"C_WrapKey(CKM_AES_KEY_WRAP_PAD)=CKR_OK"
# The audit key: raw ECDSA over a digest (what libp11 asks for) and nothing else.
# SoftHSM 2.6.1 has no hashing ECDSA mechanisms at all (the control shows it), so
# on this token the list is what proves the restriction, for a module that has them.
expect bos-audit-v1/private CKA_ALLOWED_MECHANISMS=CKM_ECDSA "C_SignInit(CKM_ECDSA)=CKR_OK" \
	"C_SetAttributeValue(CKA_ALLOWED_MECHANISMS)=CKR_ACTION_PROHIBITED"
expect bos-audit-v1/public CKA_ALLOWED_MECHANISMS=CKM_ECDSA
expect control/private CKA_ALLOWED_MECHANISMS=none "C_SignInit(CKM_ECDSA)=CKR_OK"

# ---- the audit key works end to end, checked by openssl ----
head -c 32 /dev/urandom >"$T/digest"
if "$RAW" pubkey "$HSMD" "$S" "$L" 1 "$T/pub.der" 2>"$T/pk.log" &&
	"$RAW" sign "$HSMD" "$S" "$L" 1 "$T/digest" "$T/sig.der" 2>"$T/sig.log"; then
	ok "bos-hsmd exports the public key and signs"
else
	notok "bos-hsmd exports the public key and signs"
	sed 's/^/# /' "$T/pk.log" "$T/sig.log"
fi
p11 --read-object --type pubkey --label bos-audit-v1 -o "$T/pub-p11.der" >/dev/null 2>&1
check "PUBKEY equals the token's public key object" cmp -s "$T/pub.der" "$T/pub-p11.der"
check "openssl verifies bos-hsmd's signature with that key" \
	openssl pkeyutl -verify -pubin -keyform DER -inkey "$T/pub.der" -in "$T/digest" \
	-sigfile "$T/sig.der"
head -c 32 /dev/urandom >"$T/digest2"
check_not "openssl rejects the signature for another digest" \
	openssl pkeyutl -verify -pubin -keyform DER -inkey "$T/pub.der" -in "$T/digest2" \
	-sigfile "$T/sig.der"
finish
