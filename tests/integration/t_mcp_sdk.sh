#!/bin/bash
# bosctl mcp with the official MCP SDK client (docs/MCP.md "Tests"; the client
# is tests/mcp/sdk_test.mjs, @modelcontextprotocol/sdk pinned in
# tests/package.json, installed by make deps). A dev vault is planted with
# canaries: an API key, a password and a card number (Luhn-valid) as
# credential secrets, a helper token made with plain 'bosctl grant create',
# the admins' passwords, TOTP seeds and recovery codes, and the session
# tokens. The client initializes with each protocol version, lists the tools
# (every schema compiled with ajv), calls every tool and checks its
# structured result, then the error paths, a logout mid-conversation and a
# new login picked up by the same server, a grant pickup and an approval in
# the "terminal" (bosctl with a TOTP code from oathtool; alice is the
# assistant's session and picks up her grants, bob, a second admin, approves
# and is refused alice's pickup, so each has TOTP steps of his own and the
# test rarely waits for a step), and, when the vault
# has grant_pickup_seconds and approval_seconds, their expiry. Every byte the
# client received (stdout and stderr of every bosctl mcp it started) is then
# searched for every canary: zero hits, with controls showing that the search
# finds what is there. Last, the outreach tools (lists, suppressions, campaigns
# through their states, stats) on a vault with the outreach settings, and each ad
# tool once (a refusal of a credential of another service, unknown ids).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NODE_MODULES=$ROOT/tests/node_modules
if ! command -v node >/dev/null || [ ! -d "$NODE_MODULES/@modelcontextprotocol/sdk" ]; then
	notok "node and tests/node_modules are installed (make deps)"
	finish
fi
REC=$T/rec
mkdir -p "$REC"

# ---- a dev vault; short pickup and approval times when the vault has them ----
SHORT=15
settings=()
if grep -aq grant_pickup_seconds "$VAULTD" && grep -aq approval_seconds "$VAULTD"; then
	settings=("grant_pickup_seconds = $SHORT" "approval_seconds = $SHORT")
else
	SHORT=
	echo "# the vault has no grant_pickup_seconds/approval_seconds: expiry not tested"
fi
# Outreach (docs/OUTREACH.md): email campaigns need the public URL and the postal address.
settings+=("outreach_public_url = https://bos.example.test" "outreach_postal_address = 1 Main St, Springfield")
check "the vault starts" api_up "$T/s" "${settings[@]}" || finish
export XDG_RUNTIME_DIR=$T/run HOME=$T/home BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME" "$T/run-bob"

# ---- the admins: alice (the assistant's session) and bob ----
PW_A="alice pass $(canary PWA)"
PW_B="bob pass $(canary PWB)"
ans=$(printf '%s\n' "$PW_A" | "$BOSCTL" admin create alice --socket "$S/vault.sock" --json 2>"$T/err")
SEED_A=$(jq -r '.totp_secret // empty' <<<"$ans" 2>/dev/null)
CODES_A=$(jq -r '.recovery_codes[]?' <<<"$ans" 2>/dev/null)
check "bosctl admin create alice: a TOTP seed and 10 recovery codes" \
	test -n "$SEED_A" -a "$(grep -c . <<<"$CODES_A")" -eq 10 || finish
# Sign in with a recovery code: no TOTP step is spent, the test keeps them for
# the pickups and approvals. The other codes go to the client, in order.
c1=$(sed -n 1p <<<"$CODES_A")
check "bosctl login alice (recovery code)" \
	bash -c "printf '%s\n%s\n' \"\$1\" \"\$2\" | '$BOSCTL' login alice --recovery-code" _ "$PW_A" "$c1" || finish
SESSION=$(jq -r '.session // .token // empty' "$XDG_RUNTIME_DIR/bos/session" 2>/dev/null)
[ -n "$SESSION" ] || SESSION=$(grep -ao 'bos_s_[0-9A-Za-z]*' "$XDG_RUNTIME_DIR/bos/session" | head -1)
check "  the session token is read from the session file (a canary)" grep -q '^bos_s_' <<<"$SESSION"

# bob, added by alice with a TOTP code of hers: the step is handed to the
# client so that her next codes are later ones.
now=$(date +%s)
step=$((now / 30))
[ $((30 - now % 30)) -gt 10 ] && step=$((step - 1))
ans=$(printf '%s\n%s\n' "$PW_B" "$(oathtool --totp -b "$SEED_A" -N "@$((step * 30))")" |
	"$BOSCTL" admin add bob --json 2>"$T/err")
SEED_B=$(jq -r '.totp_secret // empty' <<<"$ans" 2>/dev/null)
CODES_B=$(jq -r '.recovery_codes[]?' <<<"$ans" 2>/dev/null)
check "bosctl admin add bob (alice's TOTP code): a TOTP seed and recovery codes" \
	test -n "$SEED_B" -a -n "$CODES_B" || { cat "$T/err"; finish; }
b1=$(sed -n 1p <<<"$CODES_B")
check "bosctl login bob (recovery code, his own session file)" \
	bash -c "printf '%s\n%s\n' \"\$1\" \"\$2\" | XDG_RUNTIME_DIR='$T/run-bob' '$BOSCTL' login bob --recovery-code" _ "$PW_B" "$b1"
SESSION_B=$(grep -ao 'bos_s_[0-9A-Za-z]*' "$T/run-bob/bos/session" | head -1)

# ---- credentials with distinctive secrets ----
luhn_ok() {
	local d=$1 n=${#1} s=0 i v
	for ((i = 0; i < n; i++)); do
		v=${d:n-1-i:1}
		((i % 2)) && { v=$((v * 2)); ((v > 9)) && v=$((v - 9)); }
		s=$((s + v))
	done
	((s % 10 == 0))
}
PAN=4$(od -An -N8 -tu8 /dev/urandom | tr -dc 0-9 | cut -c1-14)
for c in 0 1 2 3 4 5 6 7 8 9; do luhn_ok "$PAN$c" && { PAN=$PAN$c; break; }; done
check "a random Luhn-valid visa number (16 digits)" bash -c "[ \${#1} -eq 16 ]" _ "$PAN"
SEC_API="SG.$(canary APIKEY)"
SEC_PW="pw-$(canary PASS)"
add_cred() { printf '%s' "$1" | "$BOSCTL" cred add --name "$2" --type "$3" --service "$4" 2>>"$T/err"; }
ID_API=$(add_cred "$SEC_API" sendgrid-main api_key sendgrid)
ID_PW=$(add_cred "$SEC_PW" mailbox-login password fastmail)
ID_CARD=$(add_cred "$PAN" ops-visa card stripe)
check "three credentials: api_key, password, card" \
	bash -c 'for i; do [[ $i =~ ^cr_[a-z2-7]{26}$ ]] || exit 1; done' _ "$ID_API" "$ID_PW" "$ID_CARD"

# ---- a helper and a plain grant: a real helper token exists ----
HID=$("$BOSCTL" helper add --name 'Hal Helper' --contact hal@example.com --kind setup 2>>"$T/err")
out=$("$BOSCTL" grant create --helper "$HID" --cred "$ID_API" --read --ttl 1h 2>&1)
HTOK=$(grep -Eo 'bos_h_[0-9A-Za-z]{49}' <<<"$out" | head -1)
HACC=$(grep -Eo 'acc_[a-z2-7]{20}' <<<"$out" | head -1)
check "bosctl grant create (plain): a helper token and its accessor" test -n "$HTOK" -a -n "$HACC"
got=$(vcurl -H "Authorization: Bearer $HTOK" "$URL/credentials/$ID_API" | jq -r .secret 2>/dev/null)
check "  the helper token reads the API key (so it is a live canary)" test "$got" = "$SEC_API"

# ---- budgets, spend and an alert ----
"$BOSCTL" budget set sendgrid --daily 10 --currency USD >/dev/null 2>>"$T/err"
"$BOSCTL" budget set openai --daily 0 --currency USD >/dev/null 2>>"$T/err"
check "spend 8.00 USD of sendgrid's 10.00: a budget_warning alert" \
	test "$("$BOS_TESTBIN/spend_tool" "$S" jb_mcp1 sendgrid 800 USD 2>>"$T/err")" = recorded
n=$(api GET /alerts | jq '.alerts | length' 2>/dev/null)
check "  the alert is open (GET /alerts)" test "$n" = 1

jq -n --arg bosctl "$BOSCTL" --arg url "$URL" --arg cacert "$BOS_CACERT" \
	--arg xa "$XDG_RUNTIME_DIR" --arg xb "$T/run-bob" \
	--arg pwa "$PW_A" --arg pwb "$PW_B" --arg sa "$SEED_A" --arg sb "$SEED_B" \
	--arg ca "$(sed 1d <<<"$CODES_A")" --arg cb "$(sed 1d <<<"$CODES_B")" --argjson astep "$step" \
	--arg api "$ID_API" --arg pw "$ID_PW" --arg card "$ID_CARD" --arg sapi "$SEC_API" --arg pan "$PAN" \
	--arg hid "$HID" --arg hacc "$HACC" --arg day "$(date -u +%F)" --arg short "$SHORT" '{
	bosctl: $bosctl, url: $url, cacert: $cacert, day: $day,
	alice: {name: "alice", xdg: $xa, password: $pwa, totp_secret: $sa, lastStep: $astep,
		recovery_left: ($ca | split("\n"))},
	bob: {name: "bob", xdg: $xb, password: $pwb, totp_secret: $sb, recovery_left: ($cb | split("\n"))},
	creds: {
		api: {id: $api, name: "sendgrid-main", type: "api_key", service: "sendgrid", secret: $sapi},
		pw: {id: $pw, name: "mailbox-login", type: "password", service: "fastmail"},
		card: {id: $card, name: "ops-visa", type: "card", service: "stripe", pan: $pan,
			first6: $pan[0:6], last4: $pan[12:16]}},
	helper: {id: $hid, name: "Hal Helper"}, grant: {accessor: $hacc},
	budget: {service: "sendgrid", currency: "USD", daily: 1000, raise: 5000},
	paused: "openai", spent: 800,
	short: (if $short == "" then null else {seconds: ($short | tonumber)} end)}' >"$T/plant.json"

# ---- the client ----
start=$(date +%s)
(cd "$ROOT/tests/mcp" && node sdk_test.mjs "$T/plant.json" "$REC")
rc=$?
check "the SDK client's run ends with status 0 ($(( $(date +%s) - start )) s)" test "$rc" -eq 0

# ---- what the client received: no canary, anywhere ----
shopt -s nullglob
recs=("$REC"/*.raw "$REC"/*.stderr "$REC"/*.jsonl)
cat "${recs[@]}" >"$T/all" 2>/dev/null
check "the record holds what the client received (${#recs[@]} files, $(wc -c <"$T/all") bytes)" \
	test "$(wc -c <"$T/all")" -gt 10000
check "  with the planted names and the card's last 4 (the search finds what is there)" \
	bash -c "grep -qF sendgrid-main '$T/all' && grep -qF ops-visa '$T/all' && grep -qF '\"${PAN:12:4}\"' '$T/all'"
bad=0
for f in "$REC"/*.raw; do
	jq -c . "$f" >/dev/null 2>&1 || { bad=1; echo "# not JSON lines: $f"; }
done
check "  every line bosctl mcp wrote on stdout is a JSON message" test "$bad" -eq 0

declare -A CAN=(
	["API key"]=$SEC_API ["password credential"]=$SEC_PW ["card number"]=$PAN
	["helper token (grant create)"]=$HTOK ["alice's session token"]=$SESSION
	["bob's session token"]=$SESSION_B ["alice's password"]=$PW_A ["bob's password"]=$PW_B
	["alice's TOTP seed"]=$SEED_A ["bob's TOTP seed"]=$SEED_B
)
i=0
while read -r c; do [ -n "$c" ] && CAN["alice's recovery code $((++i))"]=$c; done <<<"$CODES_A"
i=0
while read -r c; do [ -n "$c" ] && CAN["bob's recovery code $((++i))"]=$c; done <<<"$CODES_B"
i=0
[ -f "$REC/late-canaries" ] || : >"$REC/late-canaries"
while read -r c; do [ -n "$c" ] && CAN["token made during the run $((++i))"]=$c; done <"$REC/late-canaries"
check "the tokens made during the run (the picked-up one, the client's new sessions) are canaries" \
	bash -c "grep -Eq '^bos_h_' '$REC/late-canaries' && [ \$(grep -c '^bos_s_' '$REC/late-canaries') -ge 2 ]"
hits=0 missing=0
for k in "${!CAN[@]}"; do
	v=${CAN[$k]}
	if [ -z "$v" ]; then missing=$((missing + 1)); echo "# canary '$k' is empty"; continue; fi
	n=$(grep -a -i -c -F -- "$v" "$T/all")
	[ "$n" -eq 0 ] || { hits=$((hits + 1)); echo "# canary '$k' found $n times"; }
	# The control: the same search over the record with the canary planted finds it.
	m=$({ cat "$T/all"; printf '\n{"x":"%s"}\n' "$v"; } | grep -a -i -c -F -- "$v")
	[ "$m" -eq 1 ] || { hits=$((hits + 1)); echo "# control for '$k' found $m"; }
done
check "no canary in anything the client received (${#CAN[@]} canaries; controls find each)" \
	test "$hits" -eq 0 -a "$missing" -eq 0
check "  the card number's digits are absent even with separators removed" \
	bash -c "! tr -cd 0-9 <'$T/all' | grep -qF '$PAN'"
check "  no helper or session token at all (bos_h_, bos_s_), no otpauth:// URI" \
	bash -c "! grep -aEq 'bos_[hs]_[0-9A-Za-z]{20,}|otpauth://' '$T/all'"
check "  the vault's log has no canary either (secrets stay in the terminal)" \
	bash -c "! grep -aqF -e '$SEC_API' -e '$PAN' -e '$HTOK' '$T/vault.log'"
finish
