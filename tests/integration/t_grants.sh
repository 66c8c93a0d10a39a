#!/bin/bash
# Helpers and grants against the real vault, with curl (docs/GRANTS.md): a
# helper token reads and updates the one credential it was granted and is
# refused (403) everywhere else, with the same words for credentials that
# exist and ones that do not; TTL, use limit and CIDRs are enforced on every
# use; revoking the grant or removing the helper ends it at once; a mistyped
# token is refused before any lookup; grants only narrow the admin role
# (roles.policy); idle grants are revoked (at use and by the sweep); stale
# credentials are listed; bad role files stop the vault with file:line:col;
# no token in the log, the database files, lists or error bodies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

ROUTES=$(cd "$(dirname "$0")/../.." && pwd)/vault/api/routes.c
PW="correct horse battery $(canary p)"
TOKENS=()      # every helper token seen: none may leak
: >"$T/errors" # every error body
: >"$T/lists"  # every list answer
TOKEN_RE='^bos_h_[0-9A-Za-z]{49}$'

# hreq METHOD PATH TOKEN [BODY]: prints the status; the body is in $T/h.json.
hreq() {
	local m=$1 p=$2 tok=$3 body=${4:-} st
	local a=(-s -o "$T/h.json" -w '%{http_code}' --cacert "$S/tls/cert.pem" -X "$m")
	[ -n "$tok" ] && a+=(-H "Authorization: Bearer $tok")
	[ -n "$body" ] && a+=(-H 'Content-Type: application/json' --data-binary "$body")
	st=$(curl "${a[@]}" "$URL$p")
	[ "${st:0:1}" = 2 ] || { cat "$T/h.json"; echo; } >>"$T/errors"
	echo "$st"
}
hbody() { cat "$T/h.json"; }
herr() { jq -r '.error.message // empty' "$T/h.json" 2>/dev/null; }
# aexp STATUS DESCRIPTION METHOD PATH [BODY]: an admin call answered STATUS.
aexp() {
	local want=$1 d=$2 out; shift 2
	out=$(api "$@")
	[ "${want:0:1}" = 2 ] || echo "$out" >>"$T/errors"
	if [ "$(st)" = "$want" ]; then ok "$d: $want"; else notok "$d: want $want, got $(st) $out"; fi
}
# grant BODY: POST /credentials/grant; sets GST, GOUT, TOK and ACC.
grant() {
	GOUT=$(api POST /credentials/grant "$1"); GST=$(st)
	TOK=$(jq -r '.token // empty' <<<"$GOUT" 2>/dev/null)
	ACC=$(jq -r '.accessor // empty' <<<"$GOUT" 2>/dev/null)
	[ -n "$TOK" ] && TOKENS+=("$TOK")
	[ "${GST:0:1}" = 2 ] || echo "$GOUT" >>"$T/errors"
	return 0
}
grants_json() { api GET "/grants$1" | tee -a "$T/lists"; }
# A well-formed helper token that no vault issued (CRC-32 from gzip's trailer).
B62=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz
forged_token() {
	local body=bos_h_ crc sum="" i
	for i in $(seq 43); do body+=${B62:$((RANDOM % 62)):1}; done
	crc=$(printf '%s' "$body" | gzip -c | tail -c8 | od -An -N4 -tu4 | tr -d ' ')
	for i in $(seq 6); do sum=${B62:$((crc % 62)):1}$sum; crc=$((crc / 62)); done
	echo "$body$sum"
}
lookups() { grep -c 'helper token lookup' "$T/vault.log"; }

# ---- a vault whose admin role may not read payment credentials ---------------------
init_dev "$T/s" grant_default_ttl_seconds=600 grant_max_ttl_seconds=3600 >/dev/null 2>&1 ||
	{ notok "init"; finish; }
S=$T/s
check "bos-vaultd init wrote roles.policy, mode 0600, with the admin role" \
	bash -c "test \"\$(stat -c %a '$S/roles.policy')\" = 600 && grep -q '^\[role admin\]' '$S/roles.policy'"
cat >"$S/roles.policy" <<'EOF'
# test: admins may do everything except read payment credentials
[role admin]
allow *    credentials
allow *    credentials/**
allow *    helpers
allow *    helpers/**
allow *    grants
allow *    grants/**
deny  read credentials/payments/*
allow *    audit
allow *    admins
allow *    admins/**
allow *    metrics
allow *    session
EOF
check "vault starts" start_vault "$S" "$T/vault.log"
check "admin created and signed in" admin_setup alice "$PW"

K1=$(canary k1); K2=$(canary k2)
SG=$(api POST /credentials "{\"name\":\"sendgrid-main\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$K1\"}" | jq -r .id)
TW=$(api POST /credentials '{"name":"twilio-main","type":"api_key","service":"twilio","secret":"tw"}' | jq -r .id)
PAY=$(api POST /credentials '{"name":"stripe-live","type":"api_key","service":"payments","secret":"pk"}' | jq -r .id)
check "three credentials created" bash -c "[[ '$SG' == cr_* && '$TW' == cr_* && '$PAY' == cr_* ]]"
NOPE=cr_aaaaaaaaaaaaaaaaaaaaaaaaaa

# ---- helpers --------------------------------------------------------------------
out=$(api POST /helpers '{"name":"Jane Doe","contact":"jane@example.com","kind":"setup"}')
check "POST /helpers: 201" test "$(st)" = 201
H=$(jq -r .id <<<"$out")
check "helper id is hl_ and 26 base32 characters" grep -qE '^hl_[a-z2-7]{26}$' <<<"$H"
check "helper answer: name, contact, kind, active" jq -e '.name=="Jane Doe" and
	.contact=="jane@example.com" and .kind=="setup" and .status=="active"' <<<"$out"
aexp 400 "helper with a bad name" POST /helpers '{"name":"x;y","contact":"a@b.co","kind":"setup"}'
aexp 400 "helper with an unknown kind" POST /helpers '{"name":"x","contact":"a@b.co","kind":"boss"}'
aexp 400 "helper with a card number as contact" POST /helpers \
	'{"name":"x","contact":"4111 1111 1111 1111","kind":"setup"}'
aexp 400 "helper with a contact that is neither email nor phone" POST /helpers \
	'{"name":"x","contact":"somewhere","kind":"setup"}'
aexp 400 "helper with an unknown field" POST /helpers '{"name":"x","kind":"setup","role":"admin"}'
aexp 201 "helper with a phone number" POST /helpers '{"name":"Bob","contact":"+1 555 010 9999","kind":"monitor"}'
out=$(api GET /helpers)
check "GET /helpers lists both" jq -e '.helpers | length == 2' <<<"$out"

# ---- a grant, and what its token may do -------------------------------------------
grant "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\",\"update\"],\"ttl\":600,\"note\":\"set up SendGrid\"}"
check "grant: 201" test "$GST" = 201
check "grant: token bos_h_ + 49 base62, shown once" grep -qE "$TOKEN_RE" <<<"$TOK"
check "grant: accessor acc_ + 20 base32" grep -qE '^acc_[a-z2-7]{20}$' <<<"$ACC"
check "grant: helper, credentials, actions, RFC 3339 expiry, note" jq -e --arg h "$H" --arg c "$SG" \
	'.helper==$h and .credentials==[$c] and .actions==["read","update"] and .max_uses==null
	 and (.expires_at|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
	 and .note=="set up SendGrid" and .cidrs==[]' <<<"$GOUT"
T1=$TOK A1=$ACC
st=$(hreq GET "/credentials/$SG" "$T1")
check "helper reads its credential: 200 with the secret" \
	bash -c "test '$st' = 200 && jq -e '.secret==\"$K1\"' '$T/h.json'"
st=$(hreq PUT "/credentials/$SG" "$T1" "{\"secret\":\"$K2\"}")
check "helper stores a new version: 200, version 2" \
	bash -c "test '$st' = 200 && jq -e '.version==2' '$T/h.json'"
check "the admin sees the helper's new version" test "$(api GET "/credentials/$SG" | jq -r .secret)" = "$K2"
check "the admin still reads version 1" test "$(api GET "/credentials/$SG?version=1" | jq -r .secret)" = "$K1"

# Outside the grant: the same 403 whether the credential exists or not.
st=$(hreq GET "/credentials/$TW" "$T1"); b1=$(hbody)
check "another existing credential: 403 forbidden" \
	bash -c "test '$st' = 403 && jq -e '.error.code==\"forbidden\"' '$T/h.json'"
st=$(hreq GET "/credentials/$NOPE" "$T1"); b2=$(hbody)
check "a credential that does not exist: 403" test "$st" = 403
check "existing and nonexistent ids get identical bodies" test "$b1" = "$b2"
st=$(hreq GET "/credentials/twilio-main" "$T1"); b3=$(hbody)
st2=$(hreq GET "/credentials/no-such-name" "$T1"); b4=$(hbody)
check "existing and nonexistent names: 403 and identical bodies" \
	bash -c "test '$st' = 403 -a '$st2' = 403 && test '$b3' = '$b4' && test '$b3' = '$b1'"
check "the refusal names neither service nor credential" bash -c "! grep -qiE 'twilio|$TW' <<<'$b1'"
st=$(hreq PUT "/credentials/$TW" "$T1" '{"secret":"x"}')
check "update of another credential: 403" test "$st" = 403
check "the other credential is unchanged" test "$(api GET "/credentials/$TW" | jq -r .version)" = 1
for r in "GET /credentials" "GET /credentials?stale=true" "DELETE /credentials/$SG" \
	"GET /credentials/$SG/versions" "GET /helpers" "GET /grants" "GET /metrics" "GET /admins" \
	"DELETE /grants/$A1" "DELETE /helpers/$H" "GET /auth/session"; do
	st=$(hreq ${r%% *} "${r#* }" "$T1")
	check "helper token: $r refused 403 (got $st)" test "$st" = 403
done
st=$(hreq POST /credentials "$T1" '{"name":"n","type":"secret","service":"s","secret":"x"}')
check "helper token: POST /credentials refused 403" test "$st" = 403
st=$(hreq POST /credentials/grant "$T1" "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"]}")
check "helper token: POST /credentials/grant refused 403" test "$st" = 403
st=$(hreq POST /helpers "$T1" '{"name":"x","kind":"setup"}')
check "helper token: POST /helpers refused 403 'helper tokens cannot ...'" \
	bash -c "test '$st' = 403 && grep -q 'helper tokens cannot' '$T/h.json'"
st=$(hreq POST /auth/logout "$T1" '{}')
check "helper token: POST /auth/logout is not a session: 401" test "$st" = 401
check "the credential still exists after the helper's DELETE" test "$(api GET "/credentials/$SG" | jq -r .status)" = active

# Every authenticated route of the table, with the helper token, an unknown
# credential in {id}: only 403 (401 for the session-only routes); without a
# token: 401; with the admin session: neither.
mapfile -t ROUTES_ALL < <(sed -n \
	's/^[[:space:]]*{ HTTP_\([A-Z]*\), "\([^"]*\)", \(ROUTE_[A-Z_]*\),.*/\1 \2 \3/p' "$ROUTES" |
	grep -v -e ROUTE_PUBLIC -e ROUTE_LOCAL_VAULT_UID)
check "routes.c has principal and admin routes (found ${#ROUTES_ALL[@]})" test "${#ROUTES_ALL[@]}" -ge 15
route_req() { # route_req "METHOD PATH CLASS" TOKEN ID
	local m p body=
	read -r m p _ <<<"$1"
	p=${p//\{id\}/$3}; p=${p//\{name\}/nobody}; p=${p//\{accessor\}/acc_aaaaaaaaaaaaaaaaaaaa}
	{ [ "$m" = POST ] || [ "$m" = PUT ]; } && body='{}'
	hreq "$m" "$p" "$2" "$body"
}
for r in "${ROUTES_ALL[@]}"; do
	want=403; [[ "$r" == *ROUTE_SESSION_ANY ]] && want=401
	st=$(route_req "$r" "$T1" "$TW")
	check "helper token: ${r% *} refused $want (got $st)" test "$st" = "$want"
	st=$(route_req "$r" "" "$TW")
	check "no token: ${r% *} refused 401 (got $st)" test "$st" = 401
done
for r in "${ROUTES_ALL[@]}"; do
	[[ "$r" == *ROUTE_PRINCIPAL ]] || continue
	st=$(route_req "$r" "$SESSION" "$NOPE")
	check "admin session passes ${r% *} (got $st)" bash -c "[ '$st' != 401 ] && [ '$st' != 403 ] && [ '$st' != 000 ]"
done
out=$(grants_json "?helper=$H")
check "refusals counted no use: uses 2" jq -e --arg a "$A1" '.grants[] | select(.accessor==$a) | .uses==2' <<<"$out"
check "GET /grants shows no token" bash -c "! grep -q 'bos_h_' <<<'$out' && jq -e 'all(.grants[]; has(\"token\")|not)' <<<'$out'"

# ---- TTL, use limit, networks ----------------------------------------------------------
grant "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"ttl\":2}"
check "a 2-second grant works at once" test "$(hreq GET "/credentials/$SG" "$TOK")" = 200
TTL_TOK=$TOK
grant "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"max_uses\":2}"
check "max_uses 2: first use 200" test "$(hreq GET "/credentials/$SG" "$TOK")" = 200
check "max_uses 2: second use 200" test "$(hreq GET "/credentials/$SG" "$TOK")" = 200
st=$(hreq GET "/credentials/$SG" "$TOK")
check "max_uses 2: third use 403, the limit is the reason" \
	bash -c "test '$st' = 403 && grep -q 'use limit' '$T/h.json'"
check "max_uses 2: state exhausted, uses 2" jq -e --arg a "$ACC" \
	'.grants[] | select(.accessor==$a) | .state=="exhausted" and .uses==2' <<<"$(grants_json "")"
grant "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"cidrs\":[\"10.0.0.0/8\"]}"
st=$(hreq GET "/credentials/$SG" "$TOK")
check "cidrs [10.0.0.0/8] from 127.0.0.1: 403, the network is the reason" \
	bash -c "test '$st' = 403 && grep -q 'outside' '$T/h.json'"
grant "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"cidrs\":[\"127.0.0.1/32\"]}"
check "cidrs [127.0.0.1/32] from 127.0.0.1: 200" test "$(hreq GET "/credentials/$SG" "$TOK")" = 200
grant "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"]}"
st=$(curl -s -o "$T/h.json" -w '%{http_code}' --unix-socket "$S/vault.sock" \
	-H "Authorization: Bearer $TOK" "http://vault/credentials/$SG")
check "a grant without networks works over the unix socket too" test "$st" = 200
sleep 3
st=$(hreq GET "/credentials/$SG" "$TTL_TOK")
check "after its TTL: 403, expiry is the reason" bash -c "test '$st' = 403 && grep -q 'expired' '$T/h.json'"

# ---- revocation -----------------------------------------------------------------------
grant "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"]}"
check "a fresh grant works" test "$(hreq GET "/credentials/$SG" "$TOK")" = 200
out=$(api DELETE "/grants/$ACC")
check "DELETE /grants/{accessor}: 200, revoked by admin alice" \
	jq -e '.state=="revoked" and .revoke_reason=="revoked by admin alice" and .revoked_at' <<<"$out"
st=$(hreq GET "/credentials/$SG" "$TOK")
check "after DELETE /grants: 403, revoked is the reason" bash -c "test '$st' = 403 && grep -q 'revoked' '$T/h.json'"
aexp 410 "DELETE /grants twice" DELETE "/grants/$ACC"
aexp 404 "DELETE /grants of an unknown accessor" DELETE /grants/acc_aaaaaaaaaaaaaaaaaaaa
aexp 404 "DELETE /grants of a malformed accessor" DELETE /grants/nonsense
out=$(api DELETE "/helpers/$H")
check "DELETE /helpers/{id}: 200, removed, its active grants revoked" \
	jq -e '.status=="removed" and .grants_revoked >= 2' <<<"$out"
st=$(hreq GET "/credentials/$SG" "$T1")
check "after DELETE /helpers: the first token is refused 403" test "$st" = 403
out=$(grants_json "?helper=$H&state=ended")
check "GET /grants?state=ended: every grant of the helper, reasons kept" jq -e --arg a "$A1" \
	'(.grants|length) >= 7 and (.grants[]|select(.accessor==$a)|.revoke_reason=="helper removed")
	 and ([.grants[]|.revoke_reason]|index("revoked by admin alice")!=null)' <<<"$out"
out=$(grants_json "?helper=$H&state=active")
check "GET /grants?state=active: none left" jq -e '.grants==[]' <<<"$out"
aexp 410 "DELETE /helpers twice" DELETE "/helpers/$H"
aexp 404 "DELETE /helpers of an unknown id" DELETE /helpers/hl_aaaaaaaaaaaaaaaaaaaaaaaaaa
grant "{\"helper\":\"$H\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"]}"
check "a grant for a removed helper: 400" test "$GST" = 400
aexp 400 "GET /grants?state=bogus" GET "/grants?state=bogus"
aexp 400 "GET /grants?helper=bogus" GET "/grants?helper=bogus"

# ---- tokens are checked before any lookup ----------------------------------------------
H2=$(api POST /helpers '{"name":"Carol","contact":"carol@example.com","kind":"developer"}' | jq -r .id)
grant "{\"helper\":\"$H2\",\"credentials\":[\"sendgrid-main\"],\"actions\":[\"read\"]}"
check "a grant by name stores the concrete path" jq -e '.credentials==["credentials/sendgrid/sendgrid-main"]' <<<"$GOUT"
check "a grant by name works" test "$(hreq GET "/credentials/$SG" "$TOK")" = 200
c=${TOK:30:1}; [ "$c" = A ] && n=B || n=A
BENT=${TOK:0:30}$n${TOK:31}
before=$(lookups)
st=$(hreq GET "/credentials/$SG" "$BENT")
check "one character changed: 401" test "$st" = 401
check "one character changed: refused before any lookup (log)" test "$(lookups)" -eq "$before"
check "one character changed: the log says why" grep -q 'malformed helper token refused' "$T/vault.log"
FORGED=$(forged_token)
st=$(hreq GET "/credentials/$SG" "$FORGED")
check "a well-formed token no vault issued: 401 after one lookup (log)" \
	bash -c "test '$st' = 401 && test \"\$(grep -c 'helper token lookup' '$T/vault.log')\" -eq $((before + 1))"

# ---- narrowing and bad requests ----------------------------------------------------------
out=$(api GET "/credentials/$PAY")
check "admin read of credentials/payments/*: 403 naming roles.policy" \
	bash -c "test '$(st)' = 403 && grep -q 'roles.policy:9' <<<'$out'"
grant "{\"helper\":\"$H2\",\"credentials\":[\"$PAY\"],\"actions\":[\"read\"]}"
check "grant of read on a payments credential: 403 (narrowing)" \
	bash -c "test '$GST' = 403 && grep -q 'narrow' <<<'$GOUT' && test -z '$TOK'"
grant "{\"helper\":\"$H2\",\"credentials\":[\"credentials/**\"],\"actions\":[\"read\"]}"
check "grant of read on credentials/**: 403 (it reaches payments)" test "$GST" = 403
grant "{\"helper\":\"$H2\",\"credentials\":[\"$PAY\"],\"actions\":[\"update\"]}"
check "grant of update on the payments credential: 201 (only read is denied)" test "$GST" = 201
grant "{\"helper\":\"$H2\",\"credentials\":[\"credentials/sendgrid/*\"],\"actions\":[\"read\"]}"
check "grant of a pattern: 201" test "$GST" = 201
check "the pattern grant reads a sendgrid credential" test "$(hreq GET "/credentials/$SG" "$TOK")" = 200
check "the pattern grant does not read twilio" test "$(hreq GET "/credentials/$TW" "$TOK")" = 403
bad() { # bad STATUS DESCRIPTION BODY
	grant "$3"
	if [ "$GST" = "$1" ] && [ -z "$TOK" ]; then ok "$2: $1"; else notok "$2: want $1, got $GST $GOUT"; fi
}
bad 400 "actions [delete]" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"delete\"]}"
bad 400 "actions [read, list]" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"read\",\"list\"]}"
bad 400 "actions []" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[]}"
bad 400 "no actions" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"]}"
bad 400 "ttl beyond the maximum" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"ttl\":3601}"
bad 400 "ttl 0" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"ttl\":0}"
bad 400 "ttl as a string" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"ttl\":\"60\"}"
bad 400 "max_uses 0" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"max_uses\":0}"
bad 400 "a bad CIDR" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"cidrs\":[\"10.0.0.0/33\"]}"
bad 400 "a CIDR that is not one" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"cidrs\":[\"banana\"]}"
bad 400 "an unknown credential id" "{\"helper\":\"$H2\",\"credentials\":[\"$NOPE\"],\"actions\":[\"read\"]}"
bad 400 "an unknown credential name" "{\"helper\":\"$H2\",\"credentials\":[\"nope\"],\"actions\":[\"read\"]}"
bad 400 "a malformed pattern" "{\"helper\":\"$H2\",\"credentials\":[\"credentials/../x\"],\"actions\":[\"read\"]}"
bad 400 "no credentials" "{\"helper\":\"$H2\",\"credentials\":[],\"actions\":[\"read\"]}"
bad 400 "an unknown helper" "{\"helper\":\"hl_aaaaaaaaaaaaaaaaaaaaaaaaaa\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"]}"
bad 400 "a card number in the note" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"note\":\"4111111111111111\"}"
bad 400 "an unknown field" "{\"helper\":\"$H2\",\"credentials\":[\"$SG\"],\"actions\":[\"read\"],\"scope\":\"all\"}"
api DELETE "/credentials/$TW" >/dev/null
bad 400 "a revoked credential" "{\"helper\":\"$H2\",\"credentials\":[\"$TW\"],\"actions\":[\"read\"]}"

# ---- no token anywhere it should not be ---------------------------------------------------
"$BOS_TESTBIN/bos_dbtool" "$S" "SELECT * FROM grants" >"$T/grants.dump" 2>&1
check "the grants table is readable with the vault's key (${#TOKENS[@]} tokens to look for)" \
	test "${#TOKENS[@]}" -ge 10 -a -s "$T/grants.dump"
leaks=0
for tok in "${TOKENS[@]}"; do
	for f in "$T/vault.log" "$S/bos.db" "$S/bos.db-wal" "$T/errors" "$T/lists" "$T/grants.dump"; do
		[ "$(count_in "$tok" "$f")" -eq 0 ] || { leaks=$((leaks + 1)); echo "# token in $f"; }
		[ "$(count_in "${tok:6:43}" "$f")" -eq 0 ] || { leaks=$((leaks + 1)); echo "# token body in $f"; }
	done
done
check "no token in the log, bos.db, bos.db-wal, the grants rows, lists or error bodies" test "$leaks" -eq 0
check "the log names grants by accessor" grep -q "grant $A1" "$T/vault.log"
kill "$VPID"; wait "$VPID" 2>/dev/null
check "the first vault stopped cleanly" test $? -eq 0
mv "$T/vault.log" "$T/vault1.log"

# ---- idle grants and stale credentials -------------------------------------------------------
api_up "$T/s2" grant_idle_revoke_seconds=2 sweep_interval_seconds=1 credential_stale_seconds=2 ||
	{ notok "second vault starts"; finish; }
check "admin signed in on the second vault" admin_setup alice "$PW"
C1=$(api POST /credentials '{"name":"never-read","type":"secret","service":"s","secret":"1"}' | jq -r .id)
C2=$(api POST /credentials '{"name":"read-by-admin","type":"secret","service":"s","secret":"2"}' | jq -r .id)
C3=$(api POST /credentials '{"name":"read-by-helper","type":"secret","service":"s","secret":"3"}' | jq -r .id)
C4=$(api POST /credentials '{"name":"revoked","type":"secret","service":"s","secret":"4"}' | jq -r .id)
api DELETE "/credentials/$C4" >/dev/null
HX=$(api POST /helpers '{"name":"Idle","contact":"idle@example.com","kind":"monitor"}' | jq -r .id)
body="{\"helper\":\"$HX\",\"credentials\":[\"$C3\"],\"actions\":[\"read\"]}"
grant "$body"; LAZY_T=$TOK LAZY_A=$ACC
grant "$body"; SWEPT_A=$ACC
grant "$body"; BUSY_T=$TOK BUSY_A=$ACC
busy_ok=0
for _ in 1 2 3 4; do
	sleep 1
	[ "$(hreq GET "/credentials/$C3" "$BUSY_T")" = 200 ] && busy_ok=$((busy_ok + 1))
done
check "a grant used every second stays usable (4 of 4)" test "$busy_ok" -eq 4
st=$(hreq GET "/credentials/$C3" "$LAZY_T")
check "a grant unused for 4 s (idle limit 2 s): 403 revoked" \
	bash -c "test '$st' = 403 && grep -q 'revoked' '$T/h.json'"
out=$(grants_json "?helper=$HX")
check "GET /grants: the idle grant says 'unused for 2 s'" jq -e --arg a "$LAZY_A" \
	'.grants[]|select(.accessor==$a)|.state=="revoked" and .revoke_reason=="unused for 2 s"' <<<"$out"
check "GET /grants: the sweep revoked the other idle grant without any use" jq -e --arg a "$SWEPT_A" \
	'.grants[]|select(.accessor==$a)|.state=="revoked" and .revoke_reason=="unused for 2 s" and .uses==0' <<<"$out"
check "GET /grants: the busy grant is active" jq -e --arg a "$BUSY_A" \
	'.grants[]|select(.accessor==$a)|.state=="active" and .uses==4' <<<"$out"
check "the sweep logged what it revoked" grep -q 'sweep: revoked' "$T/vault.log"
out=$(api GET '/credentials/audit?action=grant_sweep')
check "the sweep's revocation is in the audit trail (principal vault, same transaction)" jq -e \
	'.records | length >= 1 and all(.principal == "vault" and .decision == "allow"
	 and (.reason | test("^revoked [0-9]+ grant")))' <<<"$out"
api GET "/credentials/$C2" >/dev/null
out=$(api GET "/credentials?stale=true")
check "GET /credentials?stale=true: 200" test "$(st)" = 200
check "stale list: exactly the credential nobody read (not the ones just read, not the revoked one)" \
	jq -e --arg c "$C1" '[.credentials[].id]==[$c]' <<<"$out"
check "stale list: stale true, last_read_at null" jq -e '.credentials[0].stale==true and .credentials[0].last_read_at==null' <<<"$out"
out=$(api GET /credentials)
check "the full list shows last_read_at of the read ones" jq -e --arg c "$C2" \
	'.credentials[]|select(.id==$c)|.stale==false and (.last_read_at|type=="string")' <<<"$out"
aexp 400 "GET /credentials?stale=maybe" GET "/credentials?stale=maybe"
st=$(hreq GET "/credentials?stale=true" "$BUSY_T")
check "a helper may not see the stale list: 403" test "$st" = 403
kill "$VPID"; wait "$VPID" 2>/dev/null
check "the second vault (and its sweep thread) stopped cleanly" test $? -eq 0
check "no sanitizer report from either vault" \
	bash -c "! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$T'/vault*.log"

# ---- role files the vault refuses ---------------------------------------------------------------
S=$T/s3
init_dev "$S" >/dev/null 2>&1 || { notok "init third vault"; finish; }
expect_fail() { # expect_fail NAME PATTERN
	local name=$1 pat=$2 before out rc
	before=$(snapshot "$S")
	out=$(timeout 20 "$VAULTD" --state-dir "$S" 2>&1); rc=$?
	check "$name: non-zero exit" test "$rc" -ne 0 -a "$rc" -ne 124
	check "$name: exactly one line of error" test "$(printf '%s\n' "$out" | grep -c .)" -eq 1
	if grep -qE "$pat" <<<"$out"; then ok "$name: says '$pat'"; else notok "$name: says '$pat' (got: $out)"; fi
	check "$name: nothing created or changed" test "$before" = "$(snapshot "$S")"
}
cp "$S/roles.policy" "$T/policy.bak"
printf '[role admin]\nallow * credentials/**\nallow frobnicate helpers\n' >"$S/roles.policy"
expect_fail "an unknown action in roles.policy" '^bos-vaultd\[[0-9]+\]: error: roles\.policy:3:[0-9]+: '
printf '[role admin]\nallow * credentials/**/x\n' >"$S/roles.policy"
expect_fail "a malformed pattern in roles.policy" 'roles\.policy:2:[0-9]+: '
cp "$T/policy.bak" "$S/roles.policy"
chmod 666 "$S/roles.policy"
expect_fail "roles.policy writable by others" 'roles\.policy must .*chmod 600'
chmod 600 "$S/roles.policy"
mv "$S/roles.policy" "$T/policy.moved"
expect_fail "roles.policy missing" 'roles\.policy.*(No such file|restore)'
mv "$T/policy.moved" "$S/roles.policy"
check "with the file restored the vault starts" start_vault "$S" "$T/vault3.log"
finish
