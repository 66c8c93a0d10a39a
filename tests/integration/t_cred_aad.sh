#!/bin/bash
# Issue #12 item 14 against the real vault: a helper's grant by name reads its
# credential; once the database key is used to swap that credential's name
# with another's (same service, so the grant's path now matches the other
# row), the read fails with 500 decrypt_failed and carries neither secret;
# swapping back restores it. Versions sealed the way BOS did before schema 6
# cannot be read around the vault (bosctl has no local mode, issue #13);
# bos-vaultd seals them anew at start with one cred_reseal audit record,
# before it serves; then they read back and are bound too.
# With BOS_OLD_BIN (the bin/ of a build from before this change), a vault
# made and filled by that build is opened and read by this one as well.
. tests/integration/lib.sh
. tests/integration/lib_api.sh

DB="$BOS_TESTBIN/bos_dbtool"
PW='correct horse battery staple'
OLD_A=cr_aaaaaaaaaaaaaaaaaaaaaaaaaa OLD_B=cr_bbbbbbbbbbbbbbbbbbbbbbbbbb
OLD_C=cr_cccccccccccccccccccccccccc

# hreq METHOD PATH TOKEN [BODY]: prints the status; the body is in $T/h.json.
hreq() {
	local a=(-s -o "$T/h.json" -w '%{http_code}' --cacert "$S/tls/cert.pem" -X "$1")
	[ -n "$3" ] && a+=(-H "Authorization: Bearer $3")
	[ -n "${4:-}" ] && a+=(-H 'Content-Type: application/json' --data-binary "$4")
	curl "${a[@]}" "$URL$2"
}
# swap_names ID1 ID2: with the database key, through a snapshot (names are unique).
swap_names() {
	"$DB" "$S" "CREATE TEMP TABLE sw AS SELECT id, name AS v FROM credentials WHERE id IN ('$1','$2');
	 UPDATE credentials SET name = id WHERE id IN ('$1','$2');
	 UPDATE credentials SET name = (SELECT v FROM sw WHERE sw.id != credentials.id) WHERE id IN ('$1','$2');"
}
# refused_read WHAT PATH TOKEN SECRET...: 500 decrypt_failed, none of the secrets in the body.
refused_read() {
	local what=$1 p=$2 tok=$3 st s; shift 3
	st=$(hreq GET "$p" "$tok")
	check "$what: 500 (got $st)" test "$st" = 500
	check "$what: error decrypt_failed, 'failed to decrypt'" \
		jq -e '.error.code == "decrypt_failed" and (.error.message | test("failed to decrypt"))' "$T/h.json"
	for s in "$@"; do check_not "$what: no secret in the answer" grep -qF -- "$s" "$T/h.json"; done
}

init_dev "$T/s" >/dev/null 2>&1 || { notok "init"; finish; }
S=$T/s

# ---- versions sealed the way BOS did before schema 6 ----
OA=$(canary OA); OB=$(canary OB)
printf '%s' "$OA" | "$DB" "$S" --add-v1 $OLD_A old-a api_key legacy 1 || notok "add old-a"
printf '%s' "$OB" | "$DB" "$S" --add-v1 $OLD_B old-b api_key legacy 1 || notok "add old-b"
printf '5555555555554444' | "$DB" "$S" --add-v1 $OLD_C old-card card legacy 1 visa 411111 1111 ||
	notok "add old-card (with another card's digits in clear)"
out=$("$BOSCTL" cred show --state-dir "$S" old-a --reveal 2>"$T/err"); rc=$?
check "before the vault starts, bosctl cannot read the files (exit 2, no output)" test "$rc" -eq 2 -a -z "$out"
check "... and says to start the vault and use the API" grep -q "local mode is gone.*bos-vaultd" "$T/err"
check_not "... without printing the secret" grep -qF "$OA" "$T/err"

check "vault starts" start_vault "$S" "$T/vault.log"
check "the vault logs the re-seal" grep -q "3 version(s) sealed anew" "$T/vault.log"
check "nothing is left to re-seal" test "$("$DB" "$S" "SELECT count(*) FROM credential_reseal")" = 0
"$DB" "$S" "SELECT principal, decision, reason FROM audit_log WHERE action = 'cred_reseal'" >"$T/rec"
check "one cred_reseal audit record, by the vault, with the counts" bash -c \
	"test \$(wc -l <'$T/rec') = 1 && grep -q '^vault	allow	sealed 3 credential version(s) anew.*1 with card columns corrected' '$T/rec'"
check_not "the audit record holds no secret" grep -qF -e "$OA" -e "$OB" -e 5555555555554444 "$T/rec"
check "admin created and signed in" admin_setup alice "$PW"
check "old-a reads back after the re-seal" test "$(api GET /credentials/old-a | jq -r .secret)" = "$OA"
check "old-b reads back after the re-seal" test "$(api GET /credentials/$OLD_B | jq -r .secret)" = "$OB"
out=$(api GET /credentials/old-card)
check "old-card reads back, its clear digits set from its number" \
	jq -e '.secret == "5555555555554444" and .card.brand == "mastercard" and .card.last4 == "4444"' <<<"$out"
swap_names $OLD_A $OLD_B || notok "swap old names"
refused_read "old rows, names swapped: admin reads old-a" /credentials/old-a "$SESSION" "$OA" "$OB"
swap_names $OLD_A $OLD_B || notok "swap old names back"
check "old rows, names swapped back: old-a reads again" \
	test "$(api GET /credentials/old-a | jq -r .secret)" = "$OA"

# ---- a helper's grant by name ----
NA=$(canary NA); NB=$(canary NB)
A=$(api POST /credentials "{\"name\":\"pay-main\",\"type\":\"api_key\",\"service\":\"stripe\",\"secret\":\"$NA\"}" | jq -r .id)
B=$(api POST /credentials "{\"name\":\"pay-spare\",\"type\":\"api_key\",\"service\":\"stripe\",\"secret\":\"$NB\"}" | jq -r .id)
check "two credentials of one service" bash -c "[[ '$A' == cr_* && '$B' == cr_* ]]"
H=$(api POST /helpers '{"name":"Pat","contact":"pat@example.com","kind":"setup"}' | jq -r .id)
TOK=$(api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"pay-main\"],\"actions\":[\"read\"],\"ttl\":600}" | jq -r .token)
check "a grant by name" bash -c "[[ '$TOK' == bos_h_* ]]"
st=$(hreq GET /credentials/pay-main "$TOK")
check "the helper reads pay-main by name: 200 with its secret" \
	bash -c "test '$st' = 200 && jq -e '.secret == \"$NA\"' '$T/h.json'"
swap_names "$A" "$B" || notok "swap names"
refused_read "names swapped: the helper's by-name read" /credentials/pay-main "$TOK" "$NA" "$NB"
refused_read "names swapped: the helper's read by the row's id" "/credentials/$B" "$TOK" "$NA" "$NB"
refused_read "names swapped: the admin's read by id" "/credentials/$A" "$SESSION" "$NA" "$NB"
check "the vault logged the refusals" grep -q "failed to decrypt" "$T/vault.log"
swap_names "$A" "$B" || notok "swap names back"
st=$(hreq GET /credentials/pay-main "$TOK")
check "names swapped back: the helper reads pay-main again" \
	bash -c "test '$st' = 200 && jq -e '.secret == \"$NA\"' '$T/h.json'"
check_not "no secret in the vault's log" grep -qF -e "$NA" -e "$NB" -e "$OA" -e "$OB" "$T/vault.log"
kill "$VPID"; wait "$VPID" 2>/dev/null

# ---- optional: a vault made by a build from before this change ----
if [ -n "${BOS_OLD_BIN:-}" ]; then
	O=$T/old; C1=$(canary C1); C2=$(canary C2)
	"$BOS_OLD_BIN/bosctl" init --state-dir "$O" --dev >/dev/null 2>&1 || notok "old build: init"
	echo "listen = 127.0.0.1:$(free_port)" >>"$O/bos.conf"
	printf '%s' "$C1" | "$BOS_OLD_BIN/bosctl" cred add --state-dir "$O" --name one --type api_key \
		--service s >/dev/null || notok "old build: add one"
	printf '%s' "$C2" | "$BOS_OLD_BIN/bosctl" cred add --state-dir "$O" --name two --type password \
		--service s >/dev/null || notok "old build: add two"
	check "old build's vault: this build starts on it" start_vault "$O" "$T/old.log"
	check "old build's vault: its two versions are sealed anew" grep -q "2 version(s) sealed anew" "$T/old.log"
	check "old build's vault: its old KEK is used with a warning" \
		grep -q "warning: key 'bos-kek-v1' on token .* has no mechanism restriction" "$T/old.log"
	S=$O URL=https://127.0.0.1:$(sed -n 's/^listen = 127.0.0.1://p' "$O/bos.conf" | tail -1)
	SESSION=
	check "old build's vault: admin created and signed in" admin_setup olga "$PW"
	check "old build's vault: one reads back" test "$(api GET /credentials/one | jq -r .secret)" = "$C1"
	check "old build's vault: two reads back" test "$(api GET /credentials/two | jq -r .secret)" = "$C2"
	kill "$VPID"; wait "$VPID" 2>/dev/null
else
	ok "# skip: set BOS_OLD_BIN to the bin/ of an older build to open a vault it made"
fi
finish
