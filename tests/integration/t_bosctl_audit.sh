#!/bin/bash
# bosctl audit against the real bos-vaultd: tail and search (human and
# --json) with filters that really filter and pages that are followed;
# export, pubkey and an offline verify that passes; a verify that fails at the
# right record for one changed byte, at a cut line, with another key; a
# missing key file; an export that refuses to overwrite; verify with the
# vault stopped; every vault subcommand without a session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

PW='correct horse battery staple'
export XDG_RUNTIME_DIR=$T/run HOME=$T/home
mkdir -m 700 "$XDG_RUNTIME_DIR" "$HOME"
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN
umask 022

# has TEXT OUT: OUT contains TEXT. fails_with RC TEXT OUT: exit 1 and OUT contains TEXT.
has() { grep -qF -- "$1" <<<"$2"; }
fails_with() { [ "$1" -eq 1 ] && has "$2" "$3"; }
# seqs JSONL: the seq of each record, one per line.
seqs() { jq -r '.seq' <<<"$1" 2>/dev/null; }
# increasing LIST: the numbers strictly increase.
increasing() { [ -n "$1" ] && sort -n -u -c <<<"$1" 2>/dev/null; }
nlines() { [ -z "$1" ] && echo 0 || wc -l <<<"$1"; }

# ---- help and usage (no vault needed) ----
check "bosctl audit --help exits 0 and describes the command" \
	bash -c "'$BOSCTL' audit --help | grep -q '^usage: bosctl audit'"
check "bosctl audit verify --help exits 0" \
	bash -c "'$BOSCTL' audit verify --help | grep -q 'verify FILE --pubkey KEYFILE'"
check "bosctl --help lists audit" bash -c "'$BOSCTL' --help | grep -q '^  audit '"
for args in "audit" "audit list" "audit tail -n 0" "audit tail -n ten" "audit tail --action x" \
	"audit search --outcome maybe" "audit search --since yesterday" \
	"audit search --since 2026-02-30T00:00:00Z" "audit search --until 2026-11-28T25:00:00Z" \
	"audit search --limit 0" "audit search --limit -1" "audit search --page-size 1001" \
	"audit search extra" "audit export" "audit export a b" "audit pubkey --force" \
	"audit verify x.jsonl" "audit verify --pubkey k.pem" "audit verify x --pubkey k --force"; do
	"$BOSCTL" $args >/dev/null 2>&1; rc=$?
	check "'bosctl $args' is a usage error (exit 2)" test "$rc" -eq 2
done

check "the vault starts" api_up "$T/state" || finish
export BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem

# ---- no session: a clear error before anything else ----
for sub in "tail" "search" "export $T/nosess.jsonl" "pubkey"; do
	out=$("$BOSCTL" audit $sub 2>&1); rc=$?
	check "audit $sub without a session: exit 1, 'not signed in ... bosctl login'" \
		fails_with "$rc" "not signed in" "$out"
done
check "  and export left no file behind" test ! -e "$T/nosess.jsonl" -a ! -e "$T/nosess.jsonl.tmp"

# ---- an admin, and credentials to audit ----
ans=$(printf '%s\n' "$PW" | "$BOSCTL" admin create alice --socket "$S/vault.sock" --json 2>"$T/err")
SECRET=$(jq -r '.totp_secret // empty' <<<"$ans" 2>/dev/null)
out=$(printf '%s\n%s\n' "$PW" "$(oathtool --totp -b "$SECRET" 2>/dev/null)" | "$BOSCTL" login alice 2>&1)
check "admin alice signs in with bosctl login" has 'signed in as alice' "$out" || finish
NCRED=7
for i in $(seq $NCRED); do
	printf 'secret-%s' "$i" | "$BOSCTL" cred add --name "svc-$i" --type api_key --service "svc$i" \
		>>"$T/ids" 2>"$T/err"
done
check "$NCRED credentials created" test "$(grep -c '^cr_' "$T/ids")" -eq $NCRED
CID=$(head -1 "$T/ids")
"$BOSCTL" cred show "$CID" --reveal >/dev/null 2>&1
# A request without a session: the vault refuses and records it.
vcurl -o /dev/null "$URL/credentials" 2>/dev/null

# ---- search ----
all=$("$BOSCTL" audit search --json 2>"$T/err"); rc=$?
check "audit search --json: exit 0" test "$rc" -eq 0
check "  one JSON object per line, each a record with seq, time, action, decision, hash" \
	jq -e -s 'length > 0 and all(has("seq") and has("time") and has("action") and
		has("decision") and (.hash | test("^[0-9a-f]{64}$")))' <<<"$all"
check "  oldest first (seq increasing)" increasing "$(seqs "$all")"
created=$("$BOSCTL" audit search --action cred_create --json 2>"$T/err")
check "search --action cred_create finds exactly the $NCRED creations" \
	jq -e -s --argjson n $NCRED 'length == $n and all(.action == "cred_create")' <<<"$created"
human=$("$BOSCTL" audit search --action cred_create 2>"$T/err")
check "  human: one line per record" test "$(nlines "$human")" -eq $NCRED
check "  each '#SEQ TIME PRINCIPAL cred_create RESOURCE allow (REASON) from CLIENT req ID'" \
	test "$(grep -cE '^#[0-9]+ +[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+Z +[^ ]+ +cred_create +[^ ]+ +allow +\(.*\) from [^ ]+ req [^ ]+$' <<<"$human")" -eq $NCRED
first=$(head -1 <<<"$created")
P=$(jq -r .principal <<<"$first" 2>/dev/null)
out=$("$BOSCTL" audit search --principal "$P" --json 2>"$T/err")
check "search --principal P: only P's records, at least the creations" \
	jq -e -s --arg p "$P" --argjson n $NCRED 'length >= $n and all(.principal == $p)' <<<"$out"
out=$("$BOSCTL" audit search --principal acc_nobody_at_all --json 2>"$T/err"); rc=$?
check "search --principal of nobody: exit 0, no records" test "$rc" -eq 0 -a -z "$out"
R=$(jq -r .resource <<<"$first" 2>/dev/null)
RP=${R%?}
out=$("$BOSCTL" audit search --resource "$RP" --json 2>"$T/err")
check "search --resource PREFIX: every resource starts with it, the first creation among them" \
	jq -e -s --arg r "$RP" --argjson s "$(jq .seq <<<"$first")" \
		'length >= 1 and all(.resource | startswith($r)) and any(.seq == $s)' <<<"$out"
out=$("$BOSCTL" audit search --outcome allow --json 2>"$T/err")
check "search --outcome allow: only allow" jq -e -s 'length >= 1 and all(.decision == "allow")' <<<"$out"
out=$("$BOSCTL" audit search --outcome deny --json 2>"$T/err"); rc=$?
check "search --outcome deny: exit 0, only deny" \
	bash -c '[ "$0" -eq 0 ] && jq -e -s "all(.decision == \"deny\")" <<<"$1"' "$rc" "$out"
"$BOSCTL" audit search --outcome invalid >/dev/null 2>&1; rc=$?
check "search --outcome invalid is accepted (exit 0)" test "$rc" -eq 0

# Times: since is inclusive, until exclusive; an offset means the same instant.
TM=$(jq -r .time <<<"$(sed -n 4p <<<"$created")" 2>/dev/null)
n_all=$(nlines "$all")
since=$("$BOSCTL" audit search --action cred_create --since "$TM" --json 2>"$T/err")
until=$("$BOSCTL" audit search --action cred_create --until "$TM" --json 2>"$T/err")
check "search --since T: records at or after T only" \
	jq -e -s --arg t "$TM" 'length >= 1 and all(.time >= $t)' <<<"$since"
check "search --until T: records before T only" \
	jq -e -s --arg t "$TM" 'all(.time < $t)' <<<"$until"
check "  --since T and --until T split the creations" \
	test $(( $(nlines "$since") + $(nlines "$until") )) -eq $NCRED
TZT=$(TZ=UTC-1 date -d "$TM" +%Y-%m-%dT%H:%M:%S.%3N%:z 2>/dev/null)
out=$("$BOSCTL" audit search --action cred_create --since "$TZT" --json 2>"$T/err")
check "search --since with a +01:00 offset ($TZT) is the same instant" test "$out" = "$since"
out=$("$BOSCTL" audit search --since 2099-01-01T00:00:00Z --json 2>"$T/err"); rc=$?
check "search --since a future time: exit 0, nothing" test "$rc" -eq 0 -a -z "$out"

# ---- pages: --page-size below the count, --limit below the count ----
paged=$("$BOSCTL" audit search --action cred_create --page-size 2 --json 2>"$T/err")
check "search --page-size 2 follows next_cursor over 4 pages: the same $NCRED records" \
	test "$paged" = "$created"
lim=$("$BOSCTL" audit search --action cred_create --page-size 2 --limit 5 --json 2>"$T/err")
check "search --page-size 2 --limit 5: exactly the first 5, across 3 pages" \
	test "$lim" = "$(head -5 <<<"$created")"
lim=$("$BOSCTL" audit search --action cred_create --limit 3 2>"$T/err")
check "search --limit 3 (one page): 3 lines" test "$(nlines "$lim")" -eq 3
big=$("$BOSCTL" audit search --page-size 3 --json 2>"$T/err")
check "search --page-size 3 with no filter: every record of the plain search, no repeats" \
	bash -c '[ "$(jq -r .seq <<<"$0" | head -n "$2")" = "$(jq -r .seq <<<"$1")" ] &&
		[ -z "$(jq -r .seq <<<"$0" | sort | uniq -d)" ]' "$big" "$all" "$n_all"

# ---- tail ----
tail5=$("$BOSCTL" audit tail -n 5 --json 2>"$T/err"); rc=$?
check "audit tail -n 5 --json: exit 0, 5 records" test "$rc" -eq 0 -a "$(nlines "$tail5")" -eq 5
check "  oldest first, consecutive seqs" \
	bash -c 's=$(jq -r .seq <<<"$0"); [ "$(tail -1 <<<"$s")" -eq $(( $(head -1 <<<"$s") + 4 )) ]' "$tail5"
check "  the newest: its last seq is at least the last seq of the search before" \
	test "$(seqs "$tail5" | tail -1)" -ge "$(seqs "$all" | tail -1)"
out=$("$BOSCTL" audit tail 2>"$T/err"); rc=$?
check "audit tail (human): exit 0, the default 20 lines" test "$rc" -eq 0 -a "$(nlines "$out")" -eq 20
check "  each starts with #SEQ, oldest first" \
	bash -c '[ "$(grep -c "^#[0-9]" <<<"$0")" -eq 20 ] && sed "s/^#\([0-9]*\).*/\1/" <<<"$0" | sort -n -u -c' "$out"
out=$("$BOSCTL" audit tail -n 1000 --page-size 7 --json 2>"$T/err")
check "audit tail -n 1000 --page-size 7: every record, each once" \
	bash -c 's=$(jq -r .seq <<<"$0"); [ "$(head -1 <<<"$s")" -eq 1 ] && sort -n -u -c <<<"$s"' "$out"

# ---- pubkey ----
PEM=$("$BOSCTL" audit pubkey 2>"$T/err"); rc=$?
check "audit pubkey: exit 0, a PEM public key" \
	bash -c '[ "$0" -eq 0 ] && grep -q "^-----BEGIN PUBLIC KEY-----" <<<"$1"' "$rc" "$PEM"
check "  an EC P-256 key (openssl)" \
	bash -c 'openssl pkey -pubin -noout -text <<<"$0" 2>/dev/null | grep -q "prime256v1\|P-256"' "$PEM"
out=$("$BOSCTL" audit pubkey --out "$T/pub.pem" 2>&1); rc=$?
check "audit pubkey --out FILE: exit 0, FILE holds the same key" \
	bash -c '[ "$0" -eq 0 ] && [ "$(cat "$1")" = "$2" ]' "$rc" "$T/pub.pem" "$PEM"
out=$("$BOSCTL" audit pubkey --out "$T/pub.pem" 2>&1); rc=$?
check "audit pubkey --out an existing FILE without --force: exit 1, says --force" \
	fails_with "$rc" "--force" "$out"
"$BOSCTL" audit pubkey --out "$T/pub.pem" --force >/dev/null 2>&1; rc=$?
check "  with --force: exit 0" test "$rc" -eq 0

# ---- export + verify ----
X=$T/audit.jsonl
out=$("$BOSCTL" audit export "$X" 2>&1); rc=$?
check "audit export FILE: exit 0" test "$rc" -eq 0
nr=$(grep -c '"type":"record"' "$X" 2>/dev/null); nc=$(grep -c '"type":"checkpoint"' "$X" 2>/dev/null)
check "  says how many lines, records and checkpoints it wrote" \
	has "$(wc -l <"$X") lines, $nr records, $nc checkpoints" "$out"
check "  at least one signed checkpoint" test "${nc:-0}" -ge 1
check "  FILE is mode 0640, no FILE.tmp left" test "$(stat -c %a "$X")" = 640 -a ! -e "$X.tmp"
check "  the records are the search's, and more" test "${nr:-0}" -ge "$n_all"
sum=$(sha256sum <"$X")
out=$("$BOSCTL" audit export "$X" 2>&1); rc=$?
check "audit export onto an existing FILE: exit 1, says --force" fails_with "$rc" "--force" "$out"
check "  FILE is untouched" test "$(sha256sum <"$X")" = "$sum"
out=$("$BOSCTL" audit export "$X" --force 2>&1); rc=$?
check "audit export --force replaces it" test "$rc" -eq 0 -a "$(sha256sum <"$X")" != "$sum"
ln -s "$T/elsewhere" "$X.2.tmp"
out=$("$BOSCTL" audit export "$X.2" 2>&1); rc=$?
check "a FILE.tmp already there (a symlink) is not followed: exit 1, names it" \
	bash -c '[ "$0" -eq 1 ] && grep -qF "$1.tmp" <<<"$2" && [ ! -e "$3" ] && [ ! -e "$1" ]' \
		"$rc" "$X.2" "$out" "$T/elsewhere"

out=$("$BOSCTL" audit verify "$X" --pubkey "$T/pub.pem" 2>&1); rc=$?
check "audit verify FILE --pubkey KEY: exit 0, 'ok: N records, M checkpoints, signed through #S'" \
	bash -c '[ "$0" -eq 0 ] && grep -Eq "^ok: [0-9]+ records, [1-9][0-9]* checkpoints, signed through #[1-9][0-9]*, unsigned tail [0-9]+$" <<<"$1"' "$rc" "$out"
out=$("$BOSCTL" audit verify "$X" --pubkey "$T/pub.pem" --json 2>&1); rc=$?
check "audit verify --json: one object, ok true, the counts of the file" \
	jq -e --argjson r "$(grep -c '"type":"record"' "$X")" \
		'.ok == true and .records == $r and .checkpoints >= 1 and (.unsigned_tail | type) == "number"' <<<"$out"

# One byte changed in a record: cred_create -> cred_creatf.
L=$(grep -n '"type":"record"' "$X" | grep '"action":"cred_create"' | sed -n 2p | cut -d: -f1)
SEQ=$(sed -n "${L}p" "$X" | jq .seq)
sed "${L}s/\"action\":\"cred_create\"/\"action\":\"cred_creatf\"/" "$X" >"$T/flip.jsonl"
check "  (the copy differs in one byte)" \
	test "$(cmp -l "$X" "$T/flip.jsonl" 2>/dev/null | wc -l)" -eq 1
out=$("$BOSCTL" audit verify "$T/flip.jsonl" --pubkey "$T/pub.pem" 2>&1); rc=$?
check "verify of a copy with one byte changed in record #$SEQ: exit 1" test "$rc" -eq 1
check "  'FAILED at record #$SEQ (line $L): ...'" \
	grep -q "^FAILED at record #$SEQ (line $L): record $SEQ: hash does not match" <<<"$out"
out=$("$BOSCTL" audit verify "$T/flip.jsonl" --pubkey "$T/pub.pem" --json 2>&1); rc=$?
check "  --json: ok false, bad_seq $SEQ, bad_line $L" \
	jq -e --argjson s "$SEQ" --argjson l "$L" '.ok == false and .bad_seq == $s and .bad_line == $l' <<<"$out"

# A line cut in half.
head -n 6 "$X" >"$T/cut.jsonl"
sed -n 7p "$X" | head -c 80 >>"$T/cut.jsonl"
out=$("$BOSCTL" audit verify "$T/cut.jsonl" --pubkey "$T/pub.pem" 2>&1); rc=$?
check "verify of an export with a cut line: exit 1, names line 7" \
	fails_with "$rc" "(line 7): line 7" "$out"
# A line longer than the format allows.
{ head -n 3 "$X"; printf '{"type":"record","pad":"%09000d"}\n' 0; } >"$T/long.jsonl"
out=$("$BOSCTL" audit verify "$T/long.jsonl" --pubkey "$T/pub.pem" 2>&1); rc=$?
check "verify of an export with an over-long line: exit 1, names line 4 and the limit" \
	fails_with "$rc" "line 4 is longer than an export line may be" "$out"

# Another P-256 key.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout 2>/dev/null >"$T/other.pem"
out=$("$BOSCTL" audit verify "$X" --pubkey "$T/other.pem" 2>&1); rc=$?
check "verify with another P-256 key: exit 1, 'signature invalid' and a hint about the key" \
	bash -c '[ "$0" -eq 1 ] && grep -q "^FAILED at record #[0-9]* (line [0-9]*): checkpoint at [0-9]*: signature invalid (is" <<<"$1"' "$rc" "$out"
out=$("$BOSCTL" audit verify "$X" --pubkey "$T/missing.pem" 2>&1); rc=$?
check "verify with a missing key file: exit 2, 'cannot open the public key file'" \
	bash -c '[ "$0" -eq 2 ] && grep -qF "cannot open the public key file" <<<"$1"' "$rc" "$out"
out=$("$BOSCTL" audit verify "$X" --pubkey "$X" 2>&1); rc=$?
check "verify with a key file that is no PEM key: exit 2, says so" \
	bash -c '[ "$0" -eq 2 ] && grep -qF "holds no PEM public key" <<<"$1"' "$rc" "$out"
out=$("$BOSCTL" audit verify "$T/missing.jsonl" --pubkey "$T/pub.pem" 2>&1); rc=$?
check "verify of a missing export: exit 2, 'cannot open the export'" \
	bash -c '[ "$0" -eq 2 ] && grep -qF "cannot open the export" <<<"$1"' "$rc" "$out"

# ---- logged out, then the vault stopped ----
"$BOSCTL" logout >/dev/null 2>&1
out=$("$BOSCTL" audit tail 2>&1); rc=$?
check "after logout audit tail: exit 1, 'not signed in'" fails_with "$rc" "not signed in" "$out"
kill -TERM "$VPID"; wait "$VPID" 2>/dev/null
out=$(BOS_ADDR=https://127.0.0.1:1 "$BOSCTL" audit verify "$X" --pubkey "$T/pub.pem" 2>&1); rc=$?
check "verify with the vault stopped and no session: exit 0, ok" \
	bash -c '[ "$0" -eq 0 ] && grep -q "^ok: " <<<"$1"' "$rc" "$out"
finish
