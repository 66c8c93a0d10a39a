#!/bin/bash
# bosctl's helper side against the real bos-vaultd: an admin registers a
# helper, grants it a token scoped to a credential, and the helper uses the
# token with curl (the line 'grant create' prints, run as is) and with
# bosctl (--token-file, --token -, --token); then the grant and the helper
# are revoked and the token is refused with a clear message. 'token check'
# tells a valid token from a mistyped one offline. The token never shows in
# lists, in bosctl's argv while it runs, nor in the vault's log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

PW='correct horse battery staple'
export XDG_RUNTIME_DIR=$T/run HOME=$T/home
mkdir -m 700 "$XDG_RUNTIME_DIR" "$HOME"
F=$XDG_RUNTIME_DIR/bos/session
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN

# has TEXT OUT: OUT contains TEXT. lacks TEXT OUT: it does not.
# fails_with RC TEXT OUT: the exit status was 1 and OUT contains TEXT.
has() { grep -qF -- "$1" <<<"$2"; }
lacks() { ! grep -qF -- "$1" <<<"$2"; }
fails_with() { [ "$1" -eq 1 ] && has "$2" "$3"; }
# no_token LINES: JSON Lines with no token field and no token value.
no_token() { lacks 'bos_h_' "$1" && jq -e -s 'all(has("token") | not)' <<<"$1"; }
TOKEN_RE='bos_h_[0-9A-Za-z]{49}'
BAD_TOKEN="the token is not valid (expired, revoked or mistyped)"
# The token of an ended grant: a 401 gives BAD_TOKEN; the vault answers 403
# with its reason ("grant acc_... is revoked") when it knows the grant.
ended_msg() {
	[ "$1" -eq 1 ] && { has "$BAD_TOKEN" "$2" || grep -Eq 'the vault refused: .*(revoked|removed)' <<<"$2"; }
}
# A well-formed helper token that no vault issued: 43 random base62 characters
# and their CRC-32 (the gzip trailer holds it, little-endian) in 6 base62 digits.
B62=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz
forged_token() {
	local body=bos_h_ crc sum="" i
	for i in $(seq 43); do body+=${B62:$((RANDOM % 62)):1}; done
	crc=$(printf '%s' "$body" | gzip -c | tail -c8 | od -An -N4 -tu4 | tr -d ' ')
	for i in $(seq 6); do sum=${B62:$((crc % 62)):1}$sum; crc=$((crc / 62)); done
	echo "$body$sum"
}

check "the vault starts" api_up "$T/state" || finish
export BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem

# ---- help and usage (no vault needed) ----
for c in helper grant token; do
	check "bosctl $c --help exits 0 and describes the command" \
		bash -c "'$BOSCTL' $c --help | grep -q '^usage: bosctl $c'"
done
check "bosctl --help shows --token-file and recommends it over --token" \
	bash -c "'$BOSCTL' --help | grep -q -- '--token-file FILE' && '$BOSCTL' --help | grep -q 'avoid'"
for args in "helper add --name x --contact y --kind boss" "helper add --name x" \
	"grant create --helper hl_x --cred cr_x" "grant create --helper hl_x --read" \
	"grant create --helper hl_x --cred cr_x --read --ttl 31d" \
	"grant create --helper hl_x --cred cr_x --read --ttl soon" \
	"grant create --helper hl_x --cred cr_x --read --ttl 2h30x" \
	"grant create --helper hl_x --cred cr_x --read --ttl 10dx" \
	"grant create --helper hl_x --cred cr_x --read --ttl 1h30m" \
	"grant list --state maybe" "grant revoke" "grant revoke not-an-accessor" "token check"; do
	"$BOSCTL" $args >/dev/null 2>&1; rc=$?
	check "'bosctl $args' is a usage error (exit 2)" test "$rc" -eq 2
done
# A duration with words after it (one argument) is refused too, not cut at the space.
for ttl in "10d junk" "2h " " 2h" "3600s5"; do
	out=$("$BOSCTL" grant create --helper hl_x --cred cr_x --read --ttl "$ttl" 2>&1); rc=$?
	check "'--ttl \"$ttl\"' is a usage error (exit 2) naming the form" \
		bash -c "[ $rc -eq 2 ] && grep -q -- '--ttl must look like' <<<\"\$1\"" _ "$out"
done

# ---- the admin: created over the socket, signed in with password + TOTP ----
ans=$(printf '%s\n' "$PW" | "$BOSCTL" admin create alice --socket "$S/vault.sock" --json 2>"$T/err")
SECRET=$(jq -r '.totp_secret // empty' <<<"$ans" 2>/dev/null)
out=$(printf '%s\n%s\n' "$PW" "$(oathtool --totp -b "$SECRET" 2>/dev/null)" | "$BOSCTL" login alice 2>&1)
check "admin alice signs in with bosctl login" has 'signed in as alice' "$out" || finish

CAN=$(canary GRANTED)
cid=$(printf '%s' "$CAN" | "$BOSCTL" cred add --name sendgrid-main --type api_key \
	--service sendgrid 2>"$T/err")
check "a credential to grant: $cid" grep -Eqx 'cr_[a-z2-7]{26}' <<<"$cid"
CAN_OTHER=$(canary OTHER)
other=$(printf '%s' "$CAN_OTHER" | "$BOSCTL" cred add --name stripe-live --type api_key \
	--service stripe 2>"$T/err")

# ---- helpers ----
hid=$("$BOSCTL" helper add --name 'Bob Builder' --contact bob@example.com --kind setup 2>"$T/err")
check "helper add prints the new helper's id (hl_...)" grep -Eq '^hl_[A-Za-z0-9_]+$' <<<"$hid"
# Placeholders that match nothing keep later checks meaningful when a step failed.
hid=${hid:-hl_none}
list=$("$BOSCTL" helper list 2>&1)
check "helper list shows it (id, kind, name, contact)" \
	grep -Eq "^$hid +setup .*Bob Builder <bob@example.com>" <<<"$list"
jlist=$("$BOSCTL" helper list --json 2>&1)
check "helper list --json: one object per line, with the helper" \
	jq -e -s --arg id "$hid" 'map(select(.id == $id and .kind == "setup")) | length == 1' <<<"$jlist"
j=$("$BOSCTL" helper add --name Carol --contact carol@example.com --kind monitor --json 2>&1)
check "helper add --json prints the vault's answer" \
	jq -e '(.id | startswith("hl_")) and .name == "Carol" and .kind == "monitor"' <<<"$j"

# ---- grant create ----
out=$("$BOSCTL" grant create --helper "$hid" --cred "$cid" --read --update --ttl 1h \
	--max-uses 20 --note 'rotate the sendgrid key' 2>&1); rc=$?
check "grant create exits 0" test "$rc" -eq 0
TOK=$(grep -Eo "$TOKEN_RE" <<<"$out" | head -1)
ACC=$(grep -Eo 'acc_[a-z2-7]{20}' <<<"$out" | head -1)
check "  prints a helper token" test -n "$TOK"
check "  prints the accessor" test -n "$ACC"
TOK=${TOK:-bos_h_none} ACC=${ACC:-acc_none}
check "  warns that the token will not be shown again" has "will not be shown again" "$out"
check "  prints the expiry" grep -q '^expires ' <<<"$out"
out_tc=$("$BOSCTL" token check "$TOK" 2>&1); rc=$?
check "  the token passes 'bosctl token check' (exit 0)" test "$rc" -eq 0
check "  which says it is a helper token" has "valid helper token" "$out_tc"
check "  and does not print the token back" lacks "$TOK" "$out_tc"
CURL=$(grep -E '^ *curl ' <<<"$out" | head -1)
check "  prints a curl line for the vault bosctl talks to" has "$URL/credentials/$cid" "$CURL"
check "  with the certificate bosctl trusts" has "--cacert $BOS_CACERT" "$CURL"
check "  and the token as a Bearer header" has "-H \"Authorization: Bearer $TOK\"" "$CURL"
check "  and the bosctl equivalent" has "bosctl --token-file" "$out"
got=$(eval "$CURL -sS --max-time 20" 2>"$T/err")
check "the curl line, run as printed, returns the secret" \
	test "$(jq -r '.secret // empty' <<<"$got" 2>/dev/null)" = "$CAN"

# ---- the helper's bosctl ----
(umask 077 && printf '%s\n' "$TOK" >"$T/tok")
got=$("$BOSCTL" --token-file "$T/tok" cred show "$cid" --reveal 2>"$T/err"); rc=$?
check "bosctl --token-file F cred show ID --reveal returns the secret" \
	test "$rc" -eq 0 -a "$got" = "$CAN"
got=$(printf '%s\n' "$TOK" | "$BOSCTL" --token - cred show "$cid" --reveal 2>"$T/err")
check "bosctl --token - (token on stdin) returns the secret" test "$got" = "$CAN"
got=$("$BOSCTL" --token "$TOK" cred show "$cid" --reveal 2>"$T/err")
check "bosctl --token TOKEN returns the secret" test "$got" = "$CAN"
chmod 644 "$F"
got=$("$BOSCTL" --token-file "$T/tok" cred show "$cid" --reveal 2>"$T/err")
check "with a token the session file is not read (a 0644 one does not matter)" test "$got" = "$CAN"
chmod 600 "$F"

out=$(printf '%s' "$CAN-v2" | "$BOSCTL" --token-file "$T/tok" cred update "$cid" 2>&1); rc=$?
check "cred update with the token (secret on stdin) makes version 2" \
	test "$rc" -eq 0 -a -n "$(grep "is now at version 2" <<<"$out")"
check "  the admin reads the new version" \
	test "$("$BOSCTL" cred show "$cid" --reveal 2>&1)" = "$CAN-v2"
check "  and versions lists v2" grep -q '^v2' <<<"$("$BOSCTL" cred versions "$cid" 2>&1)"
out=$(printf '%s\n%s' "$TOK" "$CAN-v3" | "$BOSCTL" --token - cred update "$cid" 2>&1)
check "--token - then the new secret on the following line makes version 3" \
	has "is now at version 3" "$out"
check "  whose secret is the second line alone" \
	test "$("$BOSCTL" cred show "$cid" --reveal 2>&1)" = "$CAN-v3"

got=$("$BOSCTL" --token-file "$T/tok" cred show "$other" --reveal 2>"$T/err"); rc=$?
check "a credential outside the grant: exit 1, nothing on stdout" test "$rc" -eq 1 -a -z "$got"
check "  and the vault's reason" grep -Eq 'the vault refused: |not_found' "$T/err"
check "  never the other secret" lacks "$CAN_OTHER" "$got$(cat "$T/err")"
"$BOSCTL" --token-file "$T/tok" cred list >/dev/null 2>&1; rc=$?
check "a helper token cannot list credentials with bosctl (exit 2)" test "$rc" -eq 2
"$BOSCTL" --token-file "$T/tok" helper list >/dev/null 2>&1; rc=$?
check "nor run admin commands (exit 2)" test "$rc" -eq 2

# The token given on the command line is wiped from argv once read: look at
# the running bosctl while it waits for the new secret on a FIFO.
mkfifo "$T/fifo"
"$BOSCTL" --token "$TOK" cred update "$cid" <"$T/fifo" >"$T/argv.out" 2>&1 &
P=$!
exec 3>"$T/fifo"
sleep 0.5
args=$(tr '\0' ' ' <"/proc/$P/cmdline" 2>/dev/null)
# In a subshell: should bosctl have quit already, SIGPIPE ends only the subshell.
(printf '%s' "$CAN-v4" >&3) 2>/dev/null
exec 3>&-
wait "$P"
check "bosctl --token was running while it read the secret" has 'cred update' "$args"
check "  and its argv no longer held the token" lacks "$TOK" "$args"

FORGED=$(forged_token)
check "a made-up token with a right checksum passes token check" "$BOSCTL" token check "$FORGED"
out=$("$BOSCTL" --token "$FORGED" cred show "$cid" --reveal 2>&1); rc=$?
check "  but the vault does not know it (401): the clear message" fails_with "$rc" "$BAD_TOKEN" "$out"

# ---- mistakes caught offline ----
c=${TOK:20:1}; [ "$c" = A ] && r=B || r=A
TYPO=${TOK:0:20}$r${TOK:21}
out=$(BOS_ADDR=https://127.0.0.1:1 "$BOSCTL" --token "$TYPO" cred show "$cid" --reveal 2>&1); rc=$?
check "a mistyped token is refused before any network use" \
	fails_with "$rc" "the token's checksum is wrong: check you copied it whole" "$out"
out=$("$BOSCTL" token check "$TYPO" 2>&1); rc=$?
check "token check on a corrupted token exits 1 and says the checksum is wrong" \
	fails_with "$rc" "checksum is wrong" "$out"
check "  without printing it back" lacks "$TYPO" "$out"
out=$("$BOSCTL" token check "${TOK:0:40}" 2>&1); rc=$?
check "token check on a truncated token says it is too short" fails_with "$rc" "too short" "$out"
out=$("$BOSCTL" token check 'hello world' 2>&1); rc=$?
check "token check on garbage says it is not a BOS token" fails_with "$rc" "not a BOS token" "$out"
out=$(printf '%s\n' "$TOK" | "$BOSCTL" token check - 2>&1); rc=$?
check "token check - reads the token from stdin" test "$rc" -eq 0
SESS=$(jq -r '.session // empty' "$F" 2>/dev/null)
out=$("$BOSCTL" token check "$SESS" 2>&1)
check "token check names an admin session token" has "valid admin session token" "$out"
out=$("$BOSCTL" --token "$SESS" cred show "$cid" --reveal 2>&1); rc=$?
check "--token refuses an admin session token" fails_with "$rc" "takes a helper token" "$out"
cp "$T/tok" "$T/tok644" && chmod 644 "$T/tok644"
out=$("$BOSCTL" --token-file "$T/tok644" cred show "$cid" --reveal 2>&1); rc=$?
check "a 0644 token file is refused (exit 1) with the fix" fails_with "$rc" "chmod 600" "$out"
check "  and the secret is not printed" lacks "$CAN" "$out"

# ---- grant list ----
list=$("$BOSCTL" grant list 2>&1)
check "grant list shows the grant (accessor and helper)" grep -q "^$ACC .*$hid" <<<"$list"
check "  never its token" lacks "bos_h_" "$list"
jlist=$("$BOSCTL" grant list --json --helper "$hid" 2>&1)
check "grant list --json --helper: the grant, with its use count" \
	jq -e -s --arg a "$ACC" 'map(select(.accessor == $a and (.uses | type == "number"))) | length == 1' <<<"$jlist"
check "  and no token field or value" no_token "$jlist"
check "grant list --state active has it" grep -q "^$ACC" <<<"$("$BOSCTL" grant list --state active 2>&1)"
j=$("$BOSCTL" grant create --helper "$hid" --cred "$cid" --read --json 2>&1)
TOK2=$(jq -r '.token // empty' <<<"$j" 2>/dev/null)
ACC2=$(jq -r '.accessor // empty' <<<"$j" 2>/dev/null)
check "grant create --json carries the token" "$BOSCTL" token check "$TOK2"
check "  and the accessor" grep -Eqx 'acc_[a-z2-7]{20}' <<<"$ACC2"
TOK2=${TOK2:-bos_h_none2} ACC2=${ACC2:-acc_none2}

# ---- revocation ----
out=$("$BOSCTL" grant revoke "$ACC" 2>&1); rc=$?
check "grant revoke ACCESSOR" test "$rc" -eq 0 -a -n "$(grep "revoked grant $ACC" <<<"$out")"
out=$("$BOSCTL" --token-file "$T/tok" cred show "$cid" --reveal 2>&1); rc=$?
check "then the token is refused with a clear message" ended_msg "$rc" "$out"
check "  and the secret is not printed" lacks "$CAN" "$out"
check "grant list --state ended has it" grep -q "^$ACC" <<<"$("$BOSCTL" grant list --state ended 2>&1)"
check "grant list --state active no longer has it" lacks "$ACC" "$("$BOSCTL" grant list --state active 2>&1)"
out=$("$BOSCTL" grant revoke "$TOK2" 2>&1); rc=$?
check "grant revoke given a token instead of an accessor: exit 2" test "$rc" -eq 2
check "  without echoing the token" lacks "$TOK2" "$out"

got=$(printf '%s\n' "$TOK2" | "$BOSCTL" --token - cred show "$cid" --reveal 2>"$T/err")
check "the second grant's token works before the helper is revoked" test -n "$got"
out=$("$BOSCTL" helper revoke "$hid" 2>&1); rc=$?
check "helper revoke ID" test "$rc" -eq 0 -a -n "$(grep "revoked helper $hid" <<<"$out")"
out=$(printf '%s\n' "$TOK2" | "$BOSCTL" --token - cred show "$cid" --reveal 2>&1); rc=$?
check "  ends its grants: the other token is refused too" ended_msg "$rc" "$out"
check "  and grant list shows no active grant of it" \
	lacks "$ACC2" "$("$BOSCTL" grant list --helper "$hid" --state active 2>&1)"

# ---- no token in the vault's log ----
for t in "$TOK" "$TOK2"; do
	case $t in bos_h_none*) notok "vault log: no helper token to look for"; continue;; esac
	check "the vault log carries no helper token" test "$(count_in "$t" "$T/vault.log")" -eq 0
done
finish
