#!/bin/bash
# bos-vaultd --maintenance (issue #13): the vault serves its unix socket only,
# with 'listen' in bos.conf ignored (and logged): nothing answers or listens on
# the configured TCP port. Work over the socket is signed in, authorized and
# audited as always: a request without a session is refused, and a secret
# read with bosctl over the socket has its cred_get record in the trail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

S=$T/state
SOCK=$S/vault.sock
PW='correct horse battery staple'
export XDG_RUNTIME_DIR=$T/run HOME=$T/home
mkdir -m 700 "$XDG_RUNTIME_DIR" "$HOME"
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN BOS_CACERT

init_dev "$S" >/dev/null 2>&1 || { notok "init"; finish; }
"$VAULTD" --state-dir "$S" --maintenance --listen "127.0.0.1:$PORT" >"$T/both.log" 2>&1; rc=$?
check "--maintenance with --listen is a usage error (exit 64)" test "$rc" -eq 64
check "bos-vaultd --help explains --maintenance" bash -c "'$VAULTD' --help | grep -q -- --maintenance"

check "the vault starts with --maintenance" start_vault "$S" "$T/vault.log" --maintenance || finish
check "it logs maintenance mode and the 'listen' it ignores" \
	grep -q "maintenance mode: the TCP listener is off ('listen = 127.0.0.1:$PORT' in bos.conf is ignored)" \
	"$T/vault.log"
check "ready: the unix socket only (no TCP listener)" grep -q "ready: $SOCK (no TCP listener)" "$T/vault.log"
check_not "HTTPS on the configured port does not answer" vcurl -o /dev/null "$URL/health"
check "ss: nothing listens on the configured port" bash -c "[ -z \"\$(ss -ltnH 'sport = :$PORT')\" ]"
check "ss: the vault's unix socket listens" bash -c "ss -lxH | grep -qF '$SOCK'"

export BOS_ADDR=unix:$SOCK
ans=$(printf '%s\n' "$PW" | "$BOSCTL" admin create alice --socket "$SOCK" --json 2>"$T/err"); rc=$?
check "first admin created over the socket" test "$rc" -eq 0
TOTP_SECRET=$(jq -r '.totp_secret // empty' <<<"$ans" 2>/dev/null)
code=$(curl -sS --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' http://vault/credentials)
check "a request without a session over the socket is refused (401)" test "$code" = 401
out=$(printf '%s\n%s\n' "$PW" "$(totp_code)" | "$BOSCTL" login alice 2>&1)
check "bosctl login over the socket" grep -q 'signed in as alice' <<<"$out" || finish

C=$(canary M)
id=$(printf '%s' "$C" | "$BOSCTL" cred add --name m-one --type api_key --service svc 2>"$T/err")
check "bosctl cred add over the socket" grep -q '^cr_' <<<"$id"
got=$("$BOSCTL" cred show m-one --reveal 2>"$T/err")
check "bosctl cred show --reveal over the socket returns the secret" test "$got" = "$C"
reads=$("$BOSCTL" audit search --action cred_get --json 2>"$T/err")
check "the read is in the audit trail (cred_get of the credential, allow, an admin's session, over unix)" \
	jq -e -s --arg id "$id" 'length == 1 and .[0].decision == "allow" and
		(.[0].principal | startswith("acc_")) and .[0].client == "unix" and
		.[0].resource == "/credentials/\($id)"' <<<"$reads"
start=$("$BOSCTL" audit search --action vault_start --json 2>"$T/err")
check "the start record says maintenance mode" \
	jq -e -s 'any(.reason | test("maintenance mode"))' <<<"$start"
check "no canary in the vault's log" test "$(count_in "$C" "$T/vault.log")" -eq 0
kill -TERM "$VPID"; wait "$VPID"
finish
