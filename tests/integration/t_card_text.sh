#!/bin/bash
# Card numbers in free text (issue #12 item 8, docs/API.md "Card numbers in
# free text"), against the real vault with curl: random Luhn-valid numbers of
# 13 to 19 digits, cut into random groups joined by random separators (each
# field's own characters; in the fields that take any text, every kind of
# space, dash, dot, invisible character and digits of other scripts), sent in
# every free-text field of the API: credential name, service, metadata key
# and value, helper name and contact, grant note and pattern, and the first
# admin's name. Every one is refused with 400 and a message naming the card
# number, nothing is written, and no number reaches the log or the audit
# trail. Numbers joined plainly (single spaces or dashes) have any prefix;
# the others start with a card issuer's prefix, which is the rule. Controls:
# the same texts cut to 12 digits are accepted, field by field.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

ROUNDS=${BOS_CARD_ROUNDS:-10}
DB=$BOS_TESTBIN/bos_dbtool
PW="correct horse battery $(canary p)"
counts() {
	"$DB" "$S" "SELECT (SELECT count(*) FROM credentials) || '/' || (SELECT count(*) FROM helpers)
		|| '/' || (SELECT count(*) FROM grants) || '/' || (SELECT count(*) FROM admins)"
}

# ---- random card numbers and how they are written ----
luhn_ok() {
	local d=$1 n=${#1} s=0 i v
	for ((i = 0; i < n; i++)); do
		v=${d:n-1-i:1}
		((i % 2)) && { v=$((v * 2)); ((v > 9)) && v=$((v - 9)); }
		s=$((s + v))
	done
	((s % 10 == 0))
}
# rand_pan PREFIX LENGTH: a Luhn-valid number
rand_pan() {
	local d=$1 c
	while ((${#d} < $2 - 1)); do d+=$((RANDOM % 10)); done
	for c in 0 1 2 3 4 5 6 7 8 9; do luhn_ok "$d$c" && { echo "$d$c"; return; }; done
}
ISSUERS=(4 51 55 2221 2720 34 37 36 300 3095 3528 3589 6011 65 62 2200 50 58 69 81 82 9792)
ANY=(0 1 2 3 4 5 6 7 8 9)

# Separators each field takes (its character set), and the whole set for free text.
SEP_name=(' ' . _ - '  ' .. __ ' - ' '. ' '_-')
SEP_service=(. _ - -- .. ._)
SEP_email=(. _ - + / = '~' ! '#' % '*' '?' '^' '{' '}' '|' "'")
SEP_pattern=(' ' . _ - '  ' ' - ')
SEP_any=(' ' - . / _ $'\t' $'\n' $'\r\n' , : ';' + '*' '|' '#' '~' '(' ')' "'" '"' '  ' ' - '
	' / ' $'\xc2\xa0' $'\xe2\x80\xaf' $'\xe2\x80\x89' $'\xe2\x80\x83' $'\xe3\x80\x80'
	$'\xe2\x80\x90' $'\xe2\x80\x93' $'\xe2\x80\x94' $'\xe2\x88\x92' $'\xef\xbc\x8d'
	$'\xef\xbc\x8e' $'\xef\xbc\x8f' $'\xef\xbc\xbf' $'\xc2\xb7' $'\xe2\x80\xa2' $'\xe3\x83\xbb'
	$'\xe2\x80\x8b' $'\xe2\x80\x8d' $'\xe2\x81\xa0' $'\xef\xbb\xbf' $'\xc2\xad' $'\xcc\xb2'
	$'\xe2\x83\xa3' $'\xe3\x85\xa4' $'\xf0\x9f\x99\x82')

# udigit V: append digit V in a random script (ASCII, full-width, Arabic-Indic,
# Devanagari, mathematical bold, superscript, subscript) to TEXT.
udigit() {
	local v=$1 hx ch
	case $((RANDOM % 7)) in
	0) ch=$v ;;
	1) printf -v hx %x $((0x90 + v)); printf -v ch "\\xef\\xbc\\x$hx" ;;
	2) printf -v hx %x $((0xa0 + v)); printf -v ch "\\xd9\\x$hx" ;;
	3) printf -v hx %x $((0xa6 + v)); printf -v ch "\\xe0\\xa5\\x$hx" ;;
	4) printf -v hx %x $((0x8e + v)); printf -v ch "\\xf0\\x9d\\x9f\\x$hx" ;;
	5) case $v in 1) ch=$'\xc2\xb9' ;; 2|3) printf -v ch "\\xc2\\xb$v" ;; 0) ch=$'\xe2\x81\xb0' ;;
	   *) printf -v ch "\\xe2\\x81\\xb$v" ;; esac ;;
	6) printf -v ch "\\xe2\\x82\\x8$v" ;;
	esac
	TEXT+=$ch
}

# write DIGITS SET PLAIN UNICODE: DIGITS in random groups of 1 to 6 joined by
# separators of SET (single spaces or dashes only when PLAIN, at least one
# other otherwise), digits in random scripts when UNICODE. Result in TEXT.
write() {
	local d=$1 plain=$3 uni=$4 i g=0 sep odd=0 last
	local -n seps=SEP_$2
	TEXT=
	for ((i = 0; i < ${#d}; i++)); do
		last=$((i == ${#d} - 1))
		if ((g > 0 && (g >= 6 || RANDOM % 3 == 0 || (!plain && !odd && last)))); then
			if ((plain)); then
				sep=-; [ "$2" != service ] && ((RANDOM % 2)) && sep=' '
			else
				sep=${seps[RANDOM % ${#seps[@]}]}
				[ "$sep" = ' ' ] || [ "$sep" = - ] || odd=1
				((!odd && last)) && { sep=${seps[2]}; odd=1; }
			fi
			TEXT+=$sep; g=0
		fi
		if ((uni)); then udigit "${d:i:1}"; else TEXT+=${d:i:1}; fi
		g=$((g + 1))
	done
}

# body FIELD TEXT ROUND: the request for FIELD holding TEXT, as "METHOD PATH JSON".
body() {
	local f=$1 t=$2 r=$3
	case $f in
	cred_name) jq -cn --arg t "$t" '{name: $t, type: "secret", service: "svc", secret: "x"}' ;;
	cred_service) jq -cn --arg t "$t" --arg n "s-$r" '{name: $n, type: "secret", service: $t, secret: "x"}' ;;
	meta_key) jq -cn --arg t "$t" --arg n "k-$r" '{name: $n, type: "secret", service: "svc", secret: "x", metadata: {($t): "v"}}' ;;
	meta_value) jq -cn --arg t "$t" --arg n "v-$r" '{name: $n, type: "secret", service: "svc", secret: "x", metadata: {k: $t}}' ;;
	helper_name) jq -cn --arg t "$t" '{name: $t, kind: "setup"}' ;;
	helper_contact) jq -cn --arg t "$t@example.com" --arg n "h$r" '{name: $n, contact: $t, kind: "support"}' ;;
	grant_note) jq -cn --arg t "$t" --arg h "$HELPER" --arg c "$CRED" '{helper: $h, credentials: [$c], actions: ["read"], note: $t}' ;;
	grant_pattern) jq -cn --arg t "credentials/svc/$t" --arg h "$HELPER" '{helper: $h, credentials: [$t], actions: ["read"]}' ;;
	esac
}
path_of() { case $1 in cred_*|meta_*) echo /credentials ;; helper_*) echo /helpers ;; *) echo /credentials/grant ;; esac; }
# The character set each field takes, and whether it takes any text.
set_of() { case $1 in cred_name|helper_name) echo name ;; cred_service) echo service ;;
	helper_contact) echo email ;; grant_pattern) echo pattern ;; *) echo any ;; esac; }
FIELDS=(cred_name cred_service meta_key meta_value helper_name helper_contact grant_note grant_pattern)

# ---- the vault, and the first admin's name ----
check "the vault starts" api_up "$T/s" || finish
out=$(curl -sS --unix-socket "$S/vault.sock" -o "$T/adm.json" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"4111.1111.1111.1111\",\"password\":\"$PW\"}" http://vault/admins)
check "an admin named 4111.1111.1111.1111 is refused: 400, 'card number' ($(jq -c . "$T/adm.json"))" \
	bash -c "test '$out' = 400 && jq -e '.error.message | contains(\"card number\")' '$T/adm.json'"
check "  and no admin was created" test "$(counts)" = "0/0/0/0"
check "the admin alice is created and signs in" admin_setup alice "$PW" || finish
CRED=$(api POST /credentials '{"name":"base","type":"secret","service":"svc","secret":"x"}' | jq -r .id)
HELPER=$(api POST /helpers '{"name":"Base Helper","kind":"setup"}' | jq -r .id)
check "a credential and a helper for the grants" bash -c "[[ '$CRED' == cr_* && '$HELPER' == hl_* ]]" ||
	finish

# ---- card numbers in every field: refused, nothing written ----
before=$(counts)
: >"$T/pans"; : >"$T/texts"
declare -A refused=() total=()
for ((r = 1; r <= ROUNDS; r++)); do
	for f in "${FIELDS[@]}"; do
		set=$(set_of "$f") plain=$((r % 2)) uni=0
		[ "$set" = any ] && uni=$((RANDOM % 2))
		[ "$set" = service ] && plain=0   # one dash between groups is plain too; keep it odd
		len=$((13 + RANDOM % 7))
		if ((plain)); then
			pan=$(rand_pan "${ANY[RANDOM % 10]}" "$len")
		else
			pan=$(rand_pan "${ISSUERS[RANDOM % ${#ISSUERS[@]}]}" "$len")
		fi
		write "$pan" "$set" "$plain" "$uni"
		echo "$pan" >>"$T/pans"; printf '%s\0' "$TEXT" >>"$T/texts"
		out=$(api POST "$(path_of "$f")" "$(body "$f" "$TEXT" "$r")")
		total[$f]=$((${total[$f]:-0} + 1))
		if [ "$(st)" = 400 ] && [[ "$out" == *'must not contain a card number'* ]]; then
			refused[$f]=$((${refused[$f]:-0} + 1))
		else
			echo "# $f: $pan as $(jq -cn --arg t "$TEXT" '$t'): $(st) $out"
		fi
	done
done
for f in "${FIELDS[@]}"; do
	check "$f: ${refused[$f]:-0} of ${total[$f]} card numbers refused with 400 naming the card number" \
		test "${refused[$f]:-0}" = "${total[$f]}"
done
check "nothing was written by the refused requests (credentials/helpers/grants/admins $before)" \
	test "$(counts)" = "$before"

# ---- controls: the same kind of text with 12 digits is taken ----
accepted=0 sent=0
for ((r = 1; r <= ROUNDS; r++)); do
	for f in "${FIELDS[@]}"; do
		set=$(set_of "$f") uni=0
		[ "$set" = any ] && uni=$((RANDOM % 2))
		write "$(rand_pan "${ISSUERS[RANDOM % ${#ISSUERS[@]}]}" 12)" "$set" 0 "$uni"
		# Unique names, so that a repeat is not a conflict.
		case $f in cred_name|helper_name) TEXT="$TEXT c$r" ;; cred_service) TEXT="$TEXT.c$r" ;; esac
		out=$(api POST "$(path_of "$f")" "$(body "$f" "$TEXT" "c$r")")
		sent=$((sent + 1))
		if [ "$(st)" = 201 ]; then accepted=$((accepted + 1))
		else echo "# control $f: $(jq -cn --arg t "$TEXT" '$t'): $(st) $out"; fi
	done
done
check "controls: $accepted of $sent texts of 12 digits written the same way are accepted (201)" \
	test "$accepted" = "$sent"

# ---- no card number in the log or the audit trail ----
api GET /credentials/audit/export >"$T/export.jsonl"
check "the audit export was read" test "$(st)" = 200
jq -r '.. | strings' "$T/export.jsonl" >"$T/export.txt" 2>/dev/null
leaks=0
while read -r pan; do
	grep -qF -- "$pan" "$T/export.txt" "$T/vault.log" "$T/export.jsonl" && leaks=$((leaks + 1))
done <"$T/pans"
check "none of the $(wc -l <"$T/pans") card numbers appears in the log or the audit export" \
	test "$leaks" = 0
blob=$(cat "$T/export.txt" "$T/vault.log")
leaks=0
while IFS= read -r -d '' t; do [[ "$blob" == *"$t"* ]] && leaks=$((leaks + 1)); done <"$T/texts"
check "nor any refused text as it was written" test "$leaks" = 0
finish
