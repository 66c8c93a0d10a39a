#!/bin/bash
# Tokens and card numbers pasted into a path never reach the audit trail
# (issue #12 item 9, docs/AUDIT.md "Masking"), however they are percent-
# encoded: a real helper token and a card number, as given, with one or
# every character encoded, in upper or lower hex, double and triple encoded,
# sent with curl to the real vault on routes that record the path (an admin's
# 404, an anonymous 401) and in a query value. Every request has its one
# record, with "(token)" or "(card number)" where the secret was; then the
# token, its body, a slice of it and the card number are in neither the
# audit export, the vault log nor the database files. Controls: ordinary
# encoded paths are kept as sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_audit.sh"

PW="correct horse battery $(canary p)"
check "the vault starts" api_up "$T/s" || finish
check "admin created and signed in" admin_setup alice "$PW" || finish
CRED=$(api POST /credentials '{"name":"base","type":"secret","service":"svc","secret":"x"}' | jq -r .id)
HELPER=$(api POST /helpers '{"name":"Jane","kind":"setup"}' | jq -r .id)
TOK=$(api POST /credentials/grant "{\"helper\":\"$HELPER\",\"credentials\":[\"$CRED\"],\"actions\":[\"read\"]}" |
	jq -r '.token // empty')
check "a real helper token to paste" bash -c "[[ '$TOK' =~ ^bos_h_[0-9A-Za-z]{49}$ ]]" || finish
PAN=4$(printf '%014d' $((RANDOM * 32768 + RANDOM)))
for c in 0 1 2 3 4 5 6 7 8 9; do
	awk -v d="$PAN$c" 'BEGIN { s = 0; for (i = length(d); i >= 1; i--) { v = substr(d, i, 1) + 0;
		if ((length(d) - i) % 2) { v *= 2; if (v > 9) v -= 9 } s += v } exit s % 10 }' &&
		{ PAN=$PAN$c; break; }
done

# enc STRING [FORMAT]: every character as %XX (FORMAT %%%02X or %%%02x).
enc() { local s=$1 f=${2:-%%%02X} i o=; for ((i = 0; i < ${#s}; i++)); do
	printf -v o "%s$f" "$o" "'${s:i:1}"; done; printf '%s' "$o"; }
B=${TOK:6}
declare -A VARIANT=(
	[as given]=$TOK
	[first letter %62]=%62${TOK:1}
	[b%6Fs, upper hex]=b%6Fs${TOK:3}
	[b%6fs, lower hex]=b%6fs${TOK:3}
	[every character]=$(enc "$TOK")
	[every character, lower hex]=$(enc "$TOK" %%%02x)
	[%2562: double]=%2562${TOK:1}
	[%252562: triple]=%252562${TOK:1}
	[body partly encoded]=bos_h_$(enc "${B:0:10}")${B:10}
	[a body character double-encoded]=${TOK:0:20}%25$(enc "${TOK:20:1}" | tr -d %)${TOK:21}
	[prefix as given, body every character twice]=bos_h_$(enc "$(enc "$B")")
	[upper case BOS_]=BOS_${TOK:4}
	[card number as given]=$PAN
	[card number %34...]=%34${PAN:1}
	[card number with encoded spaces]=${PAN:0:4}%20${PAN:4:4}%20${PAN:8:4}%20${PAN:12}
	[card number, full-width first digit]=%EF%BC%94${PAN:1}
	[card number %2534 double]=%2534${PAN:1}
	[card number with encoded dots]=${PAN:0:4}%2E${PAN:4:4}%2E${PAN:8:4}%2E${PAN:12}
)
: >"$T/rids"
for v in "${!VARIANT[@]}"; do
	mark='(token)'; [[ $v == card* ]] && mark='(card number)'
	areq GET "/credentials/${VARIANT[$v]}" "$SESSION"
	echo "$ARID|$mark|admin GET: $v|$ARS" >>"$T/rids"
	areq GET "/credentials/${VARIANT[$v]}/versions" ""
	echo "$ARID|$mark|anonymous GET versions: $v|$ARS" >>"$T/rids"
done
areq DELETE "/grants/%2562${TOK:1}" "$SESSION"
echo "$ARID|(token)|admin DELETE /grants, double-encoded|$ARS" >>"$T/rids"
areq DELETE "/helpers/%62${TOK:1}" "$SESSION"
echo "$ARID|(token)|admin DELETE /helpers, %62|$ARS" >>"$T/rids"
areq GET "/credentials?stale=$TOK" "$SESSION"
echo "$ARID|-|admin GET /credentials?stale=token (the query is not recorded)|$ARS" >>"$T/rids"
areq GET "/credentials?stale=%2562${TOK:1}" "$SESSION"
echo "$ARID|-|admin GET /credentials?stale=%2562... |$ARS" >>"$T/rids"
# Controls: kept as sent.
areq GET "/credentials/cr_aaaaaaaaaaaaaaaaaaaaaaaaaa" "$SESSION"
echo "$ARID|=/credentials/cr_aaaaaaaaaaaaaaaaaaaaaaaaaa|control: an unknown id|$ARS" >>"$T/rids"
areq GET "/credentials/my%20name%2Dv2" "$SESSION"
echo "$ARID|=/credentials/my%20name%2Dv2|control: an encoded name|$ARS" >>"$T/rids"
areq GET "/credentials/invoice%202024-01-15%2010%3A30%3A02" "$SESSION"
echo "$ARID|=/credentials/invoice%202024-01-15%2010%3A30%3A02|control: a date, not a card|$ARS" >>"$T/rids"

# dec S: S percent-decoded three times over, as a reader could.
dec() { local s=$1 i; for i in 1 2 3; do s=${s//\\/\\\\}; printf -v s '%b' "${s//%/\\x}"; done; printf '%s' "$s"; }
# leaks S: 0 when S, decoded, holds 8 characters of the token's body or, with
# only its digits kept, 11 digits of the card number (more than first 6 + last 4).
leaks() {
	local d i
	d=$(dec "$1")
	for ((i = 0; i + 8 <= ${#B}; i++)); do [[ $d == *"${B:i:8}"* ]] && return 0; done
	d=${d//[^0-9]/}
	for ((i = 0; i + 11 <= ${#PAN}; i++)); do [[ $d == *"${PAN:i:11}"* ]] && return 0; done
	return 1
}

check "the trail was read" audit_fetch "$T/trail.json" >/dev/null
while IFS='|' read -r rid mark what status; do
	recs=$(audit_rid "$T/trail.json" "$rid")
	res=$(jq -r '.[0].resource' <<<"$recs")
	why=$(jq -r '.[0].reason' <<<"$recs")
	case $mark in
	-) want="one record" ; good=$(jq -e 'length == 1' <<<"$recs" >/dev/null && echo y) ;;
	=*) want="one record, resource ${mark#=}"
	    good=$([ "$(jq length <<<"$recs")" = 1 ] && [ "$res" = "${mark#=}" ] && echo y) ;;
	*) want="one record, resource with $mark"
	   good=$([ "$(jq length <<<"$recs")" = 1 ] && [[ "$res" == *"$mark"* ]] && echo y) ;;
	esac
	leaks "$res$why" && good=n want="$want, and nothing of the secret, decoded or not"
	check "$what ($status): $want (got '$res', reason '$why')" test "$good" = y
done <"$T/rids"

# ---- the secrets are nowhere ----
areq GET /credentials/audit/export "$SESSION"
cp "$T/areq.body" "$T/export.jsonl"
check "the audit export was read" test "$ARS" = 200
jq -r '.. | strings' "$T/export.jsonl" >"$T/export.txt"
for what in "token:$TOK" "token body:$B" "a slice of the body:${B:20:16}" "card number:$PAN"; do
	s=${what#*:}
	hits=$(grep -a -l -F -- "$s" "$T/export.jsonl" "$T/export.txt" "$T/trail.json" "$T/vault.log" \
		"$S"/bos.db* 2>/dev/null | tr '\n' ' ')
	check "the ${what%%:*} is in no audit export, trail page, log or database file${hits:+ ($hits)}" \
		test -z "$hits"
done
finish
