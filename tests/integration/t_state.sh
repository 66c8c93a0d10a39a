#!/bin/bash
# State directory lifecycle: bos-vaultd init creates everything with the right modes,
# refuses to overwrite, the daemon starts on it, --dev creates on first run.
. "$(dirname "$0")/lib.sh"

S=$T/state
out=$("$VAULTD" init --state-dir "$S" --dev 2>&1); rc=$?
check "bos-vaultd init --dev succeeds" test "$rc" -eq 0
check "and says how to start the vault" grep -q "start it with: bos-vaultd --state-dir" <<<"$out"
for f in bos.conf db.key bos.db softhsm2.conf hsm-pin hsm-so-pin; do
	check "init created $f" test -f "$S/$f"
done
check "state directory is mode 0700" test "$(stat -c %a "$S")" = 700
check "hsm-pin is mode 0400" test "$(stat -c %a "$S/hsm-pin")" = 400
check "hsm-so-pin is mode 0400" test "$(stat -c %a "$S/hsm-so-pin")" = 400
check "db.key is mode 0600" test "$(stat -c %a "$S/db.key")" = 600
check "bos.db is mode 0600" test "$(stat -c %a "$S/bos.db")" = 600
check "init created the dev TLS certificate" test -f "$S/tls/cert.pem"
check "the TLS key is mode 0600" test "$(stat -c %a "$S/tls/key.pem")" = 600
check "the certificate is EC P-256 for localhost and 127.0.0.1" bash -c \
	"openssl x509 -in '$S/tls/cert.pem' -noout -text | grep -q 'prime256v1' &&
	 openssl x509 -in '$S/tls/cert.pem' -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1'"
check "db.key is 74 bytes (header + 12 IV + 32 key + 16 tag)" test "$(stat -c %s "$S/db.key")" = 74
check "the token holds KEK and audit key (pkcs11-tool)" bash -c \
	"SOFTHSM2_CONF='$S/softhsm2.conf' pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so \
	--token-label bos-dev --login --pin \$(cat '$S/hsm-pin') -O 2>/dev/null | grep -q bos-kek-v1 &&
	SOFTHSM2_CONF='$S/softhsm2.conf' pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so \
	--token-label bos-dev --login --pin \$(cat '$S/hsm-pin') -O 2>/dev/null | grep -q bos-audit-v1"

before=$(snapshot "$S")
out=$("$VAULTD" init --state-dir "$S" --dev 2>&1); rc=$?
check "a second init is refused (exit 1)" test "$rc" -eq 1
check "the refusal says why" grep -q "not empty; refusing to overwrite" <<<"$out"
check "the refusal changed nothing" test "$before" = "$(snapshot "$S")"

out=$("$VAULTD" init --state-dir "$T/x" 2>&1); rc=$?
check "init without --dev or --module/--token is a usage error (exit 64)" test "$rc" -eq 64
check "and creates nothing" test ! -e "$T/x"
out=$("$VAULTD" init --state-dir "$T/x" --dev --module /m.so 2>&1); rc=$?
check "init with both --dev and --module is a usage error (exit 64)" test "$rc" -eq 64
check "and creates nothing either" test ! -e "$T/x"
out=$("$VAULTD" init --help); rc=$?
check "bos-vaultd init --help: exit 0" test "$rc" -eq 0
check "bos-vaultd init --help explains --dev, --module, --token, --pin-file and refusing to overwrite" \
	bash -c "grep -q -- --dev <<<\"\$1\" && grep -q -- '--module PATH' <<<\"\$1\" &&
	grep -q -- '--token LABEL' <<<\"\$1\" && grep -q -- '--pin-file' <<<\"\$1\" &&
	grep -q -- '--allow-unconfined-paths' <<<\"\$1\" && grep -q 'never' <<<\"\$1\"" _ "$out"

# bosctl no longer creates vaults: it says where that moved, as a usage error.
out=$("$BOSCTL" init --state-dir "$T/y" --dev 2>&1); rc=$?
check "bosctl init is a usage error (exit 2)" test "$rc" -eq 2
check "bosctl init points to bos-vaultd init" grep -q "bos-vaultd init" <<<"$out"
check "bosctl init creates nothing" test ! -e "$T/y"

check "bos-vaultd starts on the new state and reports ready" start_vault "$S" "$T/v.log"
check "ready line names the token" grep -q "HSM token 'bos-dev'" "$T/v.log"
check "bos-vaultd --help explains --state-dir" bash -c "'$VAULTD' --help | grep -q -- --state-dir"
H=$(hsmd_pid_of "$VPID")
check "bos-hsmd runs beside the vault" test -n "$H"
kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "SIGTERM stops the vault cleanly (exit 0)" test "$rc" -eq 0
check "no bos-hsmd is left behind" bash -c "! kill -0 '$H' 2>/dev/null"

D=$T/dev
check "bos-vaultd --dev creates a vault on first run" start_vault "$D" "$T/d.log" --dev
check "first run says so" grep -q "first run: created a development vault" "$T/d.log"
kill -TERM "$VPID"; wait "$VPID"
check "a second --dev start reuses the vault" start_vault "$D" "$T/d2.log" --dev
check "and does not recreate it" bash -c "! grep -q 'first run' '$T/d2.log'"
kill -TERM "$VPID"; wait "$VPID"

out=$("$VAULTD" --state-dir "$T/nothing" 2>&1); rc=$?
check "bos-vaultd on a missing state dir fails" test "$rc" -ne 0
check "and says what to do" grep -q "bos-vaultd init" <<<"$out"
finish
