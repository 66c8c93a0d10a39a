#!/bin/bash
# bosctl against the real bos-vaultd, over HTTPS (TLS 1.3, the dev
# certificate) and the unix socket: admin create (socket, password on stdin),
# login with password + a real TOTP code (oathtool) and with a recovery code,
# the credential commands over the API, logout (server side too), and the
# errors a person meets: not signed in, untrusted certificate, vault down,
# unsafe session file. Secrets go through stdin only and never show up in
# bosctl's argv or environment, nor in the vault's log.
. "$(dirname "$0")/lib.sh"

S=$T/state
SOCK=$S/vault.sock
PW='correct horse battery staple'
# The session file lives under XDG_RUNTIME_DIR; HOME is private to the test too.
export XDG_RUNTIME_DIR=$T/run HOME=$T/home
mkdir -m 700 "$XDG_RUNTIME_DIR" "$HOME"
F=$XDG_RUNTIME_DIR/bos/session
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN

# has TEXT OUT: OUT contains TEXT. lacks TEXT OUT: it does not.
# fails_with RC TEXT OUT: the exit status was 1 and OUT contains TEXT.
has() { grep -qF -- "$1" <<<"$2"; }
lacks() { ! grep -qF -- "$1" <<<"$2"; }
fails_with() { [ "$1" -eq 1 ] && has "$2" "$3"; }

# A vault has one first admin, so the human output of 'admin create' is
# checked on throwaway vaults of its own. admin_on_fresh_vault N ARGS: sets out, rc.
admin_on_fresh_vault() {
	local d=$T/v$1; shift
	out="" rc=1
	init_dev "$d" >/dev/null 2>&1 && start_vault "$d" "$T/v$1.log" || return 1
	out=$(printf '%s\n' "$PW" | BOS_SOCKET=$d/vault.sock "$BOSCTL" admin create "$@" 2>&1); rc=$?
	kill -TERM "$VPID"; wait "$VPID"
}
admin_on_fresh_vault 2 bob
check "admin create bob (human output, socket from BOS_SOCKET)" test "$rc" -eq 0
check "  prints the otpauth URI" has 'otpauth://totp/' "$out"
check "  prints the recovery codes with the note to store them offline" has 'Store them offline' "$out"
check "  prints 10 recovery codes" test "$(sed -n '/^Recovery codes/,/^$/p' <<<"$out" | grep -c '^  ')" -eq 10
check "  no QR code when stdout is not a terminal" lacks '█' "$out"
admin_on_fresh_vault 3 carol --qr
check "admin create --qr prints a QR code (UTF-8 blocks)" has '█' "$out"

init_dev "$S" >/dev/null 2>&1 || { notok "init"; finish; }
check "vault starts" start_vault "$S" "$T/vault.log"
export BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem

# ---- help and usage ----
for c in admin login logout cred; do
	check "bosctl $c --help exits 0 and describes the command" \
		bash -c "'$BOSCTL' $c --help | grep -q '^usage: bosctl $c'"
done
"$BOSCTL" login >/dev/null 2>&1; rc=$?
check "login without NAME is a usage error (exit 2)" test "$rc" -eq 2
"$BOSCTL" admin create >/dev/null 2>&1; rc=$?
check "admin create without NAME is a usage error (exit 2)" test "$rc" -eq 2

# ---- no local mode, no init (issue #13): clear errors, nothing opened ----
before=$(snapshot "$S")
for args in "show k --reveal --state-dir $S" "list --state-dir=$S" "add --name x --type secret --service s --state-dir $S"; do
	# shellcheck disable=SC2086
	out=$(printf 'x' | "$BOSCTL" cred $args 2>&1); rc=$?
	check "cred ${args%% *} --state-dir: usage error (exit 2)" test "$rc" -eq 2
	check "  says local mode is gone, and to start the vault (or --maintenance) and sign in" \
		bash -c "grep -q 'local mode is gone' <<<\"\$1\" && grep -q 'bos-vaultd --state-dir DIR --maintenance' \
			<<<\"\$1\" && grep -q 'bosctl login' <<<\"\$1\"" _ "$out"
done
out=$(BOS_STATE_DIR=$S "$BOSCTL" cred list 2>&1); rc=$?
check "cred list with BOS_STATE_DIR set: the same usage error" \
	bash -c "[ $rc -eq 2 ] && grep -q 'BOS_STATE_DIR is set.*local mode is gone' <<<\"\$1\"" _ "$out"
out=$("$BOSCTL" init --state-dir "$T/new" --dev 2>&1); rc=$?
check "bosctl init: usage error (exit 2) pointing to bos-vaultd init" \
	bash -c "[ $rc -eq 2 ] && grep -q \"run 'bos-vaultd init\" <<<\"\$1\"" _ "$out"
check "  and creates nothing" test ! -e "$T/new"
check "the state directory was not touched" test "$before" = "$(snapshot "$S")"

# ---- admin create over the unix socket ----
out=$(printf 'too short\n' | "$BOSCTL" admin create shorty --socket "$SOCK" 2>&1); rc=$?
check "a password under 12 characters is refused (exit 1)" test "$rc" -eq 1
check "  and the message says the minimum" has "at least 12 characters" "$out"

ans=$(printf '%s\n' "$PW" | "$BOSCTL" admin create alice --socket "$SOCK" --json 2>"$T/err"); rc=$?
check "admin create alice over the unix socket" test "$rc" -eq 0
SECRET=$(jq -r '.totp_secret // empty' <<<"$ans" 2>/dev/null)
check "  answer carries a base32 TOTP secret" grep -Eq '^[A-Z2-7]{26,}=*$' <<<"$SECRET"
check "  answer carries an otpauth:// URI" grep -q '^otpauth://totp/' <<<"$(jq -r '.totp_uri' <<<"$ans" 2>/dev/null)"
check "  answer carries 10 recovery codes" \
	test "$(jq '.recovery_codes | length' <<<"$ans" 2>/dev/null)" = 10
RC1=$(jq -r '.recovery_codes[0] // empty' <<<"$ans" 2>/dev/null)

out=$(printf '%s\n' "$PW" | "$BOSCTL" admin create mallory --socket "$SOCK" 2>&1); rc=$?
check "a second first admin is refused with the vault's error shape" \
	fails_with "$rc" "(admin_exists, HTTP 409)" "$out"
out=$(printf '%s\n' "$PW" | BOS_ADDR=unix:/nonexistent "$BOSCTL" admin create dave \
	--socket "$T/no.sock" 2>&1); rc=$?
check "admin create on a missing socket says the vault cannot be reached" \
	fails_with "$rc" "cannot reach the vault at unix:$T/no.sock: is bos-vaultd running?" "$out"

# ---- login ----
code() { oathtool --totp -b "$SECRET"; }
out=$(printf '%s\n%s\n' "wrong password here" "$(code)" | "$BOSCTL" login alice 2>&1); rc=$?
check "a wrong password is refused (exit 1), saying what to check" \
	fails_with "$rc" 'sign-in refused (check the name, the password and the code' "$out"
check "  and no session file is written" test ! -e "$F"

out=$(printf '%s\n%s\n' "$PW" "$(code)" | "$BOSCTL" login alice 2>&1); rc=$?
check "login with password + TOTP on stdin" test "$rc" -eq 0
check "  says: signed in as alice (15 min idle, 12 h at most)" \
	has 'signed in as alice (session expires after 15 min idle, 12 h at most)' "$out"
check "  session file is mode 0600" test "$(stat -c %a "$F" 2>/dev/null)" = 600
check "  session directory is mode 0700" test "$(stat -c %a "$(dirname "$F")" 2>/dev/null)" = 700
TOKEN=$(jq -r '.session // empty' "$F" 2>/dev/null)
check "  session file holds a bos_s_ token" grep -q '^bos_s_' <<<"$TOKEN"

# ---- credentials over the API ----
CAN=$(canary API)
id=$(printf '%s' "$CAN" | "$BOSCTL" cred add --name stripe-live --type api_key --service stripe \
	--metadata '{"env":"prod"}' 2>"$T/err"); rc=$?
check "cred add (secret on stdin) exits 0" test "$rc" -eq 0
check "  and prints the new id" grep -Eqx 'cr_[a-z2-7]{26}' <<<"$id"
out=$(printf 'x' | "$BOSCTL" cred add --name bad-md --type secret --service svc --metadata '[1]' 2>&1); rc=$?
check "--metadata that is not a JSON object is refused" fails_with "$rc" "must be a JSON object" "$out"
out=$(printf '\xff\xfe' | "$BOSCTL" cred add --name bad-utf8 --type secret --service svc 2>&1); rc=$?
check "a secret that is not UTF-8 is refused over the API" fails_with "$rc" "not UTF-8" "$out"
out=$(printf 'x' | "$BOSCTL" cred add --name bad-type --type bogus --service svc 2>&1); rc=$?
check "an unknown type is refused" fails_with "$rc" "unknown type 'bogus'" "$out"
list=$("$BOSCTL" cred list 2>&1)
check "  and none of them was stored" lacks "bad-" "$list"
check "cred list shows it" grep -q "^$id .*stripe-live" <<<"$list"
jlist=$("$BOSCTL" cred list --json 2>&1)
check "cred list --json: one JSON object per line" \
	jq -e -s --arg id "$id" 'map(select(.id == $id)) | length == 1' <<<"$jlist"
check "  every line is one object" test "$(jq -c . <<<"$jlist" | wc -l)" -eq "$(wc -l <<<"$jlist")"
check "cred list --service filters" lacks "$id" "$("$BOSCTL" cred list --service nosuch 2>&1)"
show=$("$BOSCTL" cred show stripe-live 2>&1)
check "cred show NAME prints metadata" grep -q "^id: *$id" <<<"$show"
check "  including the metadata" grep -q '^metadata: *{"env": *"prod"}' <<<"$show"
check "list and show carry no secret" lacks "$CAN" "$list$jlist$show"
got=$("$BOSCTL" cred show "$id" --reveal 2>&1)
check "cred show --reveal prints only the secret" test "$got" = "$CAN"

out=$(printf '%s' "$CAN-v2" | "$BOSCTL" cred update stripe-live 2>&1)
check "cred update adds version 2" has "$id is now at version 2" "$out"
out=$("$BOSCTL" cred versions stripe-live 2>&1)
check "cred versions lists v1" grep -q '^v1' <<<"$out"
check "  and v2" grep -q '^v2' <<<"$out"
got=$("$BOSCTL" cred show stripe-live --reveal 2>&1)
check "show --reveal gives the new secret" test "$got" = "$CAN-v2"
got=$("$BOSCTL" cred show stripe-live --reveal --version 1 2>&1)
check "show --reveal --version 1 gives the old one" test "$got" = "$CAN"

PAN=4111111111111111
printf '%s' "$PAN" | "$BOSCTL" cred add --name corp-card --type card --service ads >/dev/null 2>&1
meta=$("$BOSCTL" cred show corp-card --json 2>&1)
check "card metadata: brand, first 6, last 4" \
	jq -e '.card.first6 == "411111" and .card.last4 == "1111" and (.card.brand | length > 0)' <<<"$meta"
check "card metadata never shows the number" lacks "$PAN" "$meta"

# The secret goes through stdin: look at the running bosctl while it waits for it.
CAN2=$(canary ARGV)
mkfifo "$T/fifo"
"$BOSCTL" cred add --name argv-check --type secret --service svc <"$T/fifo" >"$T/argv.out" 2>&1 &
P=$!
exec 3>"$T/fifo"
sleep 0.5
args=$(tr '\0' ' ' <"/proc/$P/cmdline" 2>/dev/null)
envs=$(tr '\0' '\n' <"/proc/$P/environ" 2>/dev/null)
printf '%s' "$CAN2" >&3
exec 3>&-
wait "$P"; rc=$?
check "bosctl cred add was running while it read the secret" has 'cred add' "$args"
check "  the secret is not in its argv" lacks "$CAN2" "$args"
check "  nor in its environment" lacks "$CAN2" "$envs"
check "  and it was stored" test "$rc" -eq 0 -a "$("$BOSCTL" cred show argv-check --reveal 2>&1)" = "$CAN2"

out=$("$BOSCTL" cred revoke stripe-live 2>&1)
check "cred revoke" has "revoked $id" "$out"
out=$("$BOSCTL" cred show stripe-live --reveal 2>"$T/err"); rc=$?
check "reading a revoked credential fails (exit 1)" test "$rc" -eq 1
check "  prints nothing on stdout" test -z "$out"
check "  and gives the vault's reason" grep -q 'revoked' "$T/err"
check "list shows it revoked" grep -q "^$id .* revoked " <<<"$("$BOSCTL" cred list 2>&1)"

# ---- addressing and TLS ----
out=$(BOS_ADDR=unix:$SOCK "$BOSCTL" cred list 2>&1)
check "the same commands work over the unix socket (BOS_ADDR=unix:...)" grep -q "^$id" <<<"$out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" \
	-out "$T/other.pem" -days 1 -subj /CN=other -addext subjectAltName=IP:127.0.0.1 \
	>/dev/null 2>&1
out=$(BOS_CACERT=$T/other.pem "$BOSCTL" cred list 2>&1); rc=$?
TLS_MSG="the vault's TLS certificate is not trusted: set BOS_CACERT to its certificate"
check "a wrong BOS_CACERT: exit 1 and the TLS message" fails_with "$rc" "$TLS_MSG" "$out"
out=$(env -u BOS_CACERT "$BOSCTL" cred list 2>&1); rc=$?
check "no BOS_CACERT (system store): the TLS message" fails_with "$rc" "$TLS_MSG" "$out"
out=$(BOS_ADDR=http://127.0.0.1:$PORT "$BOSCTL" cred list 2>&1); rc=$?
check "plain http:// over TCP is refused" fails_with "$rc" "is not https://" "$out"

# ---- the session file ----
chmod 644 "$F"
out=$("$BOSCTL" cred list 2>&1); rc=$?
check "a 0644 session file is refused (exit 1) with the fix" fails_with "$rc" "chmod 600 $F" "$out"
chmod 600 "$F"
cp -p "$F" "$T/session.saved"
out=$("$BOSCTL" logout 2>&1); rc=$?
check "logout" test "$rc" -eq 0
check "  says so" has 'signed out alice' "$out"
check "  deletes the session file" test ! -e "$F"
out=$("$BOSCTL" cred list 2>&1); rc=$?
NOT_IN="not signed in or the session expired: run 'bosctl login NAME'"
check "after logout cred list fails with the 'not signed in' message (exit 1)" \
	fails_with "$rc" "$NOT_IN" "$out"
out=$(BOS_TOKEN=$TOKEN "$BOSCTL" cred list 2>&1); rc=$?
check "BOS_TOKEN in the environment is not used" fails_with "$rc" "$NOT_IN" "$out"
cp -p "$T/session.saved" "$F"
out=$("$BOSCTL" cred list 2>&1); rc=$?
check "the logged-out token is dead on the vault too (401)" fails_with "$rc" "$NOT_IN" "$out"
rm -f "$F"

# ---- recovery codes ----
out=$(printf '%s\n%s\n' "$PW" "$RC1" | "$BOSCTL" login alice --recovery-code 2>&1); rc=$?
check "login --recovery-code" test "$rc" -eq 0
check "  says so" has 'signed in as alice' "$out"
check "  and the session works" grep -q "^$id" <<<"$("$BOSCTL" cred list 2>&1)"
out=$(printf '%s\n%s\n' "$PW" "$RC1" | "$BOSCTL" login alice --recovery-code 2>&1); rc=$?
check "  the same recovery code works only once" fails_with "$rc" 'sign-in refused' "$out"

# ---- vault stopped ----
kill -TERM "$VPID"; wait "$VPID"
out=$("$BOSCTL" cred list 2>&1); rc=$?
check "vault stopped: exit 1 and the 'cannot reach' message" \
	fails_with "$rc" "cannot reach the vault at $URL: is bos-vaultd running? (make run)" "$out"

# ---- nothing secret in the vault's log ----
declare -A leak=([api key]=$CAN [argv canary]=$CAN2 [card number]=$PAN [password]=$PW
	[TOTP seed]=$SECRET [session token]=$TOKEN [recovery code]=$RC1)
for what in "${!leak[@]}"; do
	c=${leak[$what]}
	if [ -z "$c" ]; then notok "vault log: no $what to look for"; continue; fi
	check "vault log carries no $what" test "$(count_in "$c" "$T/vault.log")" -eq 0
done
finish
