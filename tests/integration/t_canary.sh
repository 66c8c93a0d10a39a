#!/bin/bash
# Stored secrets are unreadable at rest: canaries of every credential type are
# absent from the database, its -wal, the wrapped key file and every other
# file of the state; sqlcipher without the key sees "file is not a database";
# the secrets come back after a restart; no log, argv or environment of the
# vault or bos-hsmd carries a canary or the HSM PIN.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

S=$T/state
init_dev "$S" >/dev/null 2>&1 || { notok "init"; finish; }
check "vault starts" start_vault "$S" "$T/vault.log"
check "admin created and bosctl signed in" bosctl_admin alice || finish

declare -A secret
secret[api_key]=$(canary K)
secret[password]=$(canary P)
secret[secret]=$(canary S)
secret[bank_account]=$(canary B)
PAN=4111111111111111
secret[card]=$PAN
ids=()
for ty in api_key password secret bank_account card; do
	id=$(printf '%s' "${secret[$ty]}" | "$BOSCTL" cred add --name "n-$ty" \
		--type "$ty" --service "svc" --metadata '{"holder":"Ops","exp":"12/29"}' 2>"$T/err"); rc=$?
	check "add a $ty credential" test "$rc" -eq 0 -a -n "$id"
	ids+=("$id")
done
# A second version, so old and new are both at rest.
printf '%s' "${secret[api_key]}-v2" | "$BOSCTL" cred update n-api_key >/dev/null 2>&1
check "update adds version 2" bash -c "'$BOSCTL' cred versions n-api_key | grep -q '^v2'"

for ty in api_key password secret bank_account; do
	c=${secret[$ty]}
	for f in bos.db bos.db-wal db.key; do
		check "$ty canary absent from $f" test "$(count_in "$c" "$S/$f")" -eq 0
	done
	check "$ty canary absent from every file in the state dir" \
		bash -c "! grep -r -a -l -F -- '$c' '$S'"
done
check "the card number is absent from every file" bash -c "! grep -r -a -l -F -- '$PAN' '$S'"
check "the -wal file exists (WAL mode) and is non-empty" test -s "$S/bos.db-wal"

out=$(sqlcipher "$S/bos.db" "SELECT count(*) FROM sqlite_master;" 2>&1)
check "sqlcipher without the key: file is not a database" grep -q "is not a database" <<<"$out"
out=$(sqlcipher "$S/bos.db" "PRAGMA key='wrong passphrase'; SELECT count(*) FROM sqlite_master;" 2>&1)
check "sqlcipher with a wrong key: file is not a database" grep -q "is not a database" <<<"$out"

kill -TERM "$VPID"; wait "$VPID"
check "vault restarts" start_vault "$S" "$T/vault2.log"
check "bosctl signs in again (the restart ended the session)" bosctl_signin
for ty in api_key password secret bank_account card; do
	want=${secret[$ty]}
	[ "$ty" = api_key ] && want="$want-v2"
	got=$("$BOSCTL" cred show "n-$ty" --reveal 2>/dev/null)
	check "$ty secret comes back after restart" test "$got" = "$want"
done
got=$("$BOSCTL" cred show n-api_key --reveal --version 1)
check "version 1 of the api_key is still readable" test "$got" = "${secret[api_key]}"

meta=$("$BOSCTL" cred show n-card --json | head -1)
check "card metadata shows brand, first 6 and last 4" \
	bash -c "jq -e '.card.brand==\"visa\" and .card.first6==\"411111\" and .card.last4==\"1111\"' <<<'$meta'"
check "metadata is stored and shown" bash -c "jq -e '.metadata.holder==\"Ops\"' <<<'$meta'"
check "card metadata never shows the whole number" bash -c "! grep -q '$PAN' <<<'$meta'"
list=$("$BOSCTL" cred list --json)
check "list shows 5 credentials" test "$(wc -l <<<"$list")" -eq 5
check "list carries no secret" bash -c "! grep -qF -e '${secret[api_key]}' -e '$PAN' <<<'$list'"

VH=$(hsmd_pid_of "$VPID")
PIN=$(cat "$S/hsm-pin")
check "bos-hsmd runs as a child of the vault" test -n "$VH"
for p in "$VPID" "$VH"; do
	check "pid $p: PIN not in argv" bash -c "! tr '\0' '\n' </proc/$p/cmdline | grep -qF '$PIN'"
	check "pid $p: PIN not in environment" bash -c "! tr '\0' '\n' </proc/$p/environ | grep -qF '$PIN'"
done
kill -TERM "$VPID"; wait "$VPID"
for l in "$T"/vault.log "$T"/vault2.log; do
	check "$(basename "$l"): no PIN in the vault's log" test "$(count_in "$PIN" "$l")" -eq 0
	for ty in api_key password secret bank_account card; do
		check "$(basename "$l"): no $ty canary in the log" test "$(count_in "${secret[$ty]}" "$l")" -eq 0
	done
done
finish
