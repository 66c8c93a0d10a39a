#!/bin/bash
# runner: alone — 10 sign-ins must land inside a 3-second lockout window
# Admin sign-in against the real daemon, with curl and oathtool (docs/AUTH.md):
# the first admin only over the unix socket and only once; password-only
# sessions stay pending; every ROUTE_ADMIN route of vault/api/routes.c refuses no
# session, a pending, an expired and a replayed-TOTP attempt and admits a full
# one; a TOTP code sent twice in parallel works once; the 11th attempt is
# locked even with the right password and code, and works after the lock;
# idle and absolute timeouts and logout end sessions; a recovery code works
# once; no password, seed, session token or recovery code in the log, the
# database files or any error body.
. "$(dirname "$0")/lib.sh"

ROUTES=$(cd "$(dirname "$0")/../.." && pwd)/vault/api/routes.c
S=$T/state
IDLE=3 ABSOLUTE=8 LOCK=3 DISABLE=12
init_dev "$S" "session_idle_seconds = $IDLE" "session_absolute_seconds = $ABSOLUTE" \
	"lockout_seconds = $LOCK" "disable_failures = $DISABLE" >/dev/null 2>&1 ||
	{ notok "init"; finish; }
check "vault starts" start_vault "$S" "$T/vault.log"
SOCK=$S/vault.sock
PW=$(canary P)
TOKENS=()      # every session token seen: none may leak
: >"$T/errors" # every error body

# req METHOD PATH [TOKEN] [BODY]: prints the status; the body is in $T/last.json.
req() {
	local m=$1 p=$2 tok=${3:-} body=${4:-} st
	local a=(-s -o "$T/last.json" -D "$T/last.hdr" -w '%{http_code}' --cacert "$S/tls/cert.pem"
		-X "$m")
	[ -n "$tok" ] && a+=(-H "Authorization: Bearer $tok")
	[ -n "$body" ] && a+=(-H 'Content-Type: application/json' --data-binary "$body")
	st=$(curl "${a[@]}" "$URL$p")
	[ "${st:0:1}" = 2 ] || { cat "$T/last.json"; echo; } >>"$T/errors"
	echo "$st"
}
ecode() { jq -r '.error.code // empty' "$T/last.json" 2>/dev/null; }
lbody() { printf '{"name":"alice","password":"%s"%s}' "$PW" "${1:-}"; }
# login [EXTRA JSON]: sets ST and TOK (empty when no session was given).
login() {
	ST=$(req POST /auth/login "" "$(lbody "${1:-}")")
	TOK=$(jq -r '.session // empty' "$T/last.json" 2>/dev/null)
	[ -n "$TOK" ] && TOKENS+=("$TOK")
	return 0
}

# A TOTP code for a step after the last one used, inside the server's
# window (never the oldest step late in its life); waits for the next 30 s
# step only when the window has no unused step left. Sets CODE.
LAST=0
fresh_code() {
	local now step want lo
	while :; do
		now=$(date +%s); step=$((now / 30)); lo=$step
		[ $((now % 30)) -lt 10 ] && lo=$((step - 1))
		want=$((LAST + 1)); [ "$want" -lt "$lo" ] && want=$lo
		[ "$want" -le $((step + 1)) ] && break
		sleep $((30 - now % 30))
	done
	LAST=$want
	CODE=$(oathtool --totp -b "$SECRET" -N "@$((want * 30))")
}

# ---- the first admin ------------------------------------------------------------
st=$(curl -s -o "$T/tcp_create.json" -w '%{http_code}' --cacert "$S/tls/cert.pem" \
	-H 'Content-Type: application/json' --data-binary "$(lbody)" "$URL/admins")
check "POST /admins over TCP: 403 local_only" \
	test "$st" = 403 -a "$(jq -r .error.code "$T/tcp_create.json")" = local_only
cat "$T/tcp_create.json" >>"$T/errors"
st=$(curl -s -o "$T/create.json" -w '%{http_code}' --unix-socket "$SOCK" \
	-H 'Content-Type: application/json' --data-binary "$(lbody)" http://x/admins)
check "POST /admins on the unix socket: 201" test "$st" = 201
SECRET=$(jq -r .totp_secret "$T/create.json")
mapfile -t CODES < <(jq -r '.recovery_codes[]' "$T/create.json")
check "the answer has a 32-character base32 TOTP secret" grep -qE '^[A-Z2-7]{32}$' <<<"$SECRET"
check "the answer has the otpauth URI" test "$(jq -r .totp_uri "$T/create.json")" = \
	"otpauth://totp/BOS:alice?secret=$SECRET&issuer=BOS&algorithm=SHA1&digits=6&period=30"
check "the answer has 10 recovery codes xxxx-xxxx-xxxx-xxxx" test "$(printf '%s\n' "${CODES[@]}" |
	grep -cE '^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$')" -eq 10
check "the answer carries no password" test "$(count_in "$PW" "$T/create.json")" -eq 0
st=$(curl -s -o "$T/create2.json" -w '%{http_code}' --unix-socket "$SOCK" \
	-H 'Content-Type: application/json' \
	--data-binary '{"name":"bob","password":"another long password"}' http://x/admins)
check "a second POST /admins: 409 admin_exists" \
	test "$st" = 409 -a "$(jq -r .error.code "$T/create2.json")" = admin_exists
cat "$T/create2.json" >>"$T/errors"

# ---- states: password only -> pending -> full ------------------------------------
login
check "password only: 200 with a session" test "$ST" = 200 -a -n "$TOK"
check "password only: state totp_pending, timeouts reported" \
	jq -e ".state == \"totp_pending\" and .idle_timeout == $IDLE and .absolute_timeout <= $ABSOLUTE" \
	"$T/last.json"
P1=$TOK
st=$(req GET /auth/session "$P1")
check "a pending session is refused on an admin route: 401 totp_required" \
	test "$st" = 401 -a "$(ecode)" = totp_required
st=$(req POST /auth/totp "$P1" '{"totp":"000000x"}')
check "a malformed TOTP code is refused" test "$st" = 401 -o "$st" = 400
fresh_code
USED=$CODE
st=$(req POST /auth/totp "$P1" "{\"totp\":\"$CODE\"}")
check "POST /auth/totp upgrades the pending session: 200 full" \
	bash -c "test '$st' = 200 && jq -e '.state == \"full\"' '$T/last.json'"
F1=$P1
# The full-session column of the route table runs at once, while F1 is fresh.
mapfile -t ADMIN_ROUTES < <(sed -n \
	's/^[[:space:]]*{ HTTP_\([A-Z]*\), "\([^"]*\)", ROUTE_ADMIN,.*/\1 \2/p' "$ROUTES")
check "routes.c has ROUTE_ADMIN routes (found ${#ADMIN_ROUTES[@]})" test "${#ADMIN_ROUTES[@]}" -ge 5
route_req() { # route_req "METHOD PATH" TOKEN
	local m=${1%% *} p=${1#* } body=
	p=${p//\{id\}/cr_aaaaaaaaaaaaaaaaaaaaaaaaaa}
	p=${p//\{name\}/nobody}
	[ "$m" = POST ] || [ "$m" = PUT ] && body='{}'
	req "$m" "$p" "$2" "$body"
}
for r in "${ADMIN_ROUTES[@]}"; do
	st=$(route_req "$r" "$F1")
	check "full session passes $r (got $st)" \
		bash -c "[ '$st' != 401 ] && [ '$st' != 403 ] && [ '$st' != 000 ]"
done
st=$(req GET /auth/session "$F1")
check "GET /auth/session: name, full, accessor" jq -e '.name == "alice" and .state == "full"
	and (.accessor | test("^acc_[a-z2-7]{20}$")) and (has("session") | not)' "$T/last.json"
st=$(req POST /auth/totp "$F1" "{\"totp\":\"$CODE\"}")
check "POST /auth/totp on a full session: 409" test "$st" = 409

# F1 unused for longer than the idle timeout: expired on every route. Checked before
# the walk below, whose new sessions would drop the expired F1 before its first use.
sleep $((IDLE + 1))
first=1
for r in "${ADMIN_ROUTES[@]}"; do
	st=$(route_req "$r" "$F1"); c=$(ecode)
	if [ "$first" = 1 ]; then
		check "idle timeout: the first use of the expired session says session_expired" \
			test "$st" = 401 -a "$c" = session_expired
		first=0
	fi
	check "expired session: $r refused 401 (got $st $c)" test "$st" = 401
done

# ---- route table: none, pending, replayed TOTP, expired ---------------------------
login ",\"totp\":\"$USED\""
check "a login with an already used TOTP code: 401 invalid_credentials, no session" \
	test "$ST" = 401 -a -z "$TOK" -a "$(ecode)" = invalid_credentials
REPLAYED=$TOK # empty: the replayed attempt got no session to use
for r in "${ADMIN_ROUTES[@]}"; do
	# A new pending session per route: one would outlive its absolute timeout ($ABSOLUTE s)
	# on a busy machine before the walk of every route is done.
	login
	P2=$TOK
	st=$(route_req "$r" ""); c=$(ecode)
	check "no session: $r refused 401 unauthenticated (got $st $c)" \
		test "$st" = 401 -a "$c" = unauthenticated
	st=$(route_req "$r" "$P2"); c=$(ecode)
	check "password only: $r refused 401 totp_required (got $st $c)" \
		test "$st" = 401 -a "$c" = totp_required
	st=$(route_req "$r" "$REPLAYED"); c=$(ecode)
	check "replayed TOTP: $r refused 401 (got $st $c)" test "$st" = 401
	st=$(route_req "$r" "bos_s_${F1:6:40}AAAAAAAAA"); c=$(ecode)
	check "a forged token: $r refused 401 (got $st $c)" test "$st" = 401
done

# ---- one TOTP code, two parallel sign-ins: exactly one succeeds -------------------
fresh_code
cpids=()
for i in 1 2; do
	curl -s -o "$T/par$i.json" -w '%{http_code}' --cacert "$S/tls/cert.pem" \
		-H 'Content-Type: application/json' --data-binary "$(lbody ",\"totp\":\"$CODE\"")" \
		"$URL/auth/login" >"$T/par$i.st" &
	cpids+=($!)
done
wait "${cpids[@]}" # not a bare wait: the vault is a background job too
pst="$(cat "$T/par1.st") $(cat "$T/par2.st")"
ok200=$(tr ' ' '\n' <<<"$pst" | grep -c '^200$')
bad401=$(tr ' ' '\n' <<<"$pst" | grep -c '^401$')
check "the same code in two parallel sign-ins: one 200 and one 401 (got $pst)" \
	test "$ok200" -eq 1 -a "$bad401" -eq 1
for i in 1 2; do
	t=$(jq -r '.session // empty' "$T/par$i.json")
	[ -n "$t" ] && { TOKENS+=("$t"); F2=$t; }
	[ -z "$t" ] && cat "$T/par$i.json" >>"$T/errors"
done

# ---- absolute timeout: used every second, the session still ends -----------------
start=$(date +%s)
alive=0
for _ in $(seq $((ABSOLUTE + 4))); do
	st=$(req GET /auth/session "${F2:-none}")
	[ "$st" = 200 ] || break
	alive=$(( $(date +%s) - start ))
	sleep 1
done
check "absolute timeout: alive while used ($alive s), then 401 session_expired" \
	test "$alive" -ge $((ABSOLUTE - 3)) -a "$st" = 401 -a "$(ecode)" = session_expired

# ---- logout ------------------------------------------------------------------------
fresh_code
login ",\"totp\":\"$CODE\""
F3=$TOK
check "password + TOTP in one request: 200 full" \
	bash -c "test '$ST' = 200 && jq -e '.state == \"full\"' '$T/last.json'"
st=$(req POST /auth/logout "$F3" '{}')
check "POST /auth/logout: 200" test "$st" = 200
st=$(req GET /auth/session "$F3")
check "the session is gone after logout: 401 unauthenticated" \
	test "$st" = 401 -a "$(ecode)" = unauthenticated
login
P3=$TOK
st=$(req POST /auth/logout "$P3" '{}')
check "a pending session can sign out" test "$st" = 200
st=$(req POST /auth/totp "$P3" '{"totp":"123456"}')
check "the pending session is gone after logout: 401" test "$st" = 401

# ---- lockout: 10 failures lock; the 11th is refused even when right -----------------
fresh_code
for i in $(seq 10); do
	ST=$(req POST /auth/login "" "{\"name\":\"alice\",\"password\":\"wrong password $i\"}")
	[ "$ST" = 401 ] || break
done
check "10 wrong passwords: 401 invalid_credentials each" test "$ST" = 401 -a "$i" = 10
login ",\"totp\":\"$CODE\""
check "the 11th attempt, right password and code: 429 account_locked, no session" \
	test "$ST" = 429 -a "$(ecode)" = account_locked -a -z "$TOK"
check "429 carries Retry-After" grep -qi '^retry-after: [1-9]' "$T/last.hdr"
grep -q 'admin alice locked' "$T/vault.log"
check "the lockout is logged" grep -q 'admin alice locked' "$T/vault.log"
sleep $((LOCK + 1))
login ",\"totp\":\"$CODE\""
check "after lockout_seconds the same password and code work: 200 full" \
	bash -c "test '$ST' = 200 && jq -e '.state == \"full\"' '$T/last.json'"

# ---- recovery codes ---------------------------------------------------------------
login ",\"recovery_code\":\"${CODES[0]}\""
check "password + recovery code: 200 full" \
	bash -c "test '$ST' = 200 && jq -e '.state == \"full\"' '$T/last.json'"
login ",\"recovery_code\":\"${CODES[0]}\""
check "the same recovery code again: 401" test "$ST" = 401 -a -z "$TOK"
login ",\"recovery_code\":\"${CODES[1]}\",\"totp\":\"123456\""
check "TOTP and recovery code together: 400" test "$ST" = 400
ST=$(req POST /auth/login "" '{"name":"nobody","password":"some password here"}')
check "an unknown name: 401 invalid_credentials, the same answer" \
	test "$ST" = 401 -a "$(ecode)" = invalid_credentials

# ---- disable after DISABLE failures in a row; a recovery code or a reset helps -----
fail_n() { # fail_n N: N wrong passwords; ST is the last status
	for i in $(seq "$1"); do
		ST=$(req POST /auth/login "" "{\"name\":\"alice\",\"password\":\"wrong password $i\"}")
	done
}
fail_n 10
sleep $((LOCK + 1))
fail_n $((DISABLE - 10))
check "$DISABLE failures in a row: the last is still 401" test "$ST" = 401
login
check "disabled: even the right password gets 403 account_disabled, no session" \
	test "$ST" = 403 -a "$(ecode)" = account_disabled -a -z "$TOK"
check "the disable is logged" grep -q 'admin alice disabled' "$T/vault.log"
login ",\"recovery_code\":\"$(tr a-z A-Z <<<"${CODES[2]}")\""
check "disabled: password + an unused recovery code (any case) signs in: 200 full" \
	bash -c "test '$ST' = 200 && jq -e '.state == \"full\"' '$T/last.json'"
FR=$TOK
st=$(req GET /admins "$FR")
check "GET /admins lists alice, enabled again, 8 codes left, nothing secret" jq -e '
	.admins | length == 1 and .[0].name == "alice" and .[0].disabled == false and
	.[0].locked == false and .[0].recovery_codes_left == 8 and
	(.[0] | has("pw_hash") or has("totp_secret") | not)' "$T/last.json"
login
PR=$TOK
st=$(req POST /admins/alice/reset "$FR" '{}')
check "POST /admins/alice/reset: 200, both sessions ended" \
	bash -c "test '$st' = 200 && jq -e '.sessions_ended == 2' '$T/last.json'"
st=$(req GET /auth/session "$FR")
check "a reset ends the admin's full session: 401" test "$st" = 401
st=$(req POST /auth/totp "$PR" '{"totp":"123456"}')
check "a reset ends the admin's pending session: 401" test "$st" = 401
check "the reset is logged with the resetting session's accessor" \
	grep -q 'admin alice reset by alice (session acc_' "$T/vault.log"

# ---- nothing secret where it must not be -----------------------------------------
kill -TERM "$VPID"; wait "$VPID" 2>/dev/null
needles=("$PW" "$SECRET" "${TOKENS[@]}" "${CODES[@]}")
for c in "${CODES[@]}"; do needles+=("${c//-/}"); done
leaks=0
for f in "$T/vault.log" "$S/bos.db" "$S/bos.db-wal" "$T/errors"; do
	n=0
	for x in "${needles[@]}"; do n=$((n + $(count_in "$x" "$f"))); done
	check "$(basename "$f"): no password, seed, session token or recovery code ($n hits)" \
		test "$n" -eq 0
	leaks=$((leaks + n))
done
check "${#TOKENS[@]} session tokens were checked" test "${#TOKENS[@]}" -ge 5
check "the log names sessions by accessor" grep -q 'session acc_' "$T/vault.log"
finish
