#!/bin/bash
# bosctl audit against the real bos-vaultd: tail and search (human and
# --json) with filters that really filter and pages that are followed;
# export, pubkey and an offline verify that passes; a verify that fails at the
# right record for one changed byte, at a cut line, with another key; a
# missing key file; an export that refuses to overwrite; verify with the
# vault stopped; every vault subcommand without a session. Nothing unsigned
# verifies (issue #12 item 6): an empty file, a forged chain without a
# checkpoint, an unsigned tail (unless --allow-unsigned-tail), an export cut
# below a --trusted-checkpoint (a copy of audit.head).
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
	"audit verify x.jsonl" "audit verify --pubkey k.pem" "audit verify x --pubkey k --force" \
	"audit verify x --pubkey k --trusted-checkpoint" "audit tail --allow-unsigned-tail" \
	"audit export x --trusted-checkpoint cp"; do
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

# ---- nothing unsigned verifies (issue #12 item 6) ----
# verify_fails DESCRIPTION TEXT FILE [ARGS]: exit 1 and the output has TEXT, also
# with --allow-unsigned-tail when ARGS do not say otherwise.
verify_fails() {
	local d=$1 text=$2 f=$3; shift 3
	out=$("$BOSCTL" audit verify "$f" --pubkey "$T/pub.pem" "$@" 2>&1); rc=$?
	check "$d: exit 1, '$text'" fails_with "$rc" "$text" "$out"
	check "  not even with --allow-unsigned-tail" \
		bash -c '"$0" audit verify "$1" --pubkey "$2" --allow-unsigned-tail "${@:3}" >/dev/null 2>&1; [ $? -eq 1 ]' \
		"$BOSCTL" "$f" "$T/pub.pem" "$@"
}
: >"$T/empty.jsonl"
verify_fails "verify of an empty file" "FAILED at record #1 (end of file): the export holds no record" \
	"$T/empty.jsonl"
# A forged chain: the records of the export, one reason changed, re-chained
# (the format is public: docs/AUDIT.md "The chain"), the checkpoints dropped.
python3 - "$X" >"$T/forged.jsonl" <<'PY'
import hashlib, json, struct, sys
prev = bytes(32)
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    if o["type"] != "record":
        continue
    if o["seq"] == 3:
        o["reason"] = "nothing happened here"
    enc = struct.pack(">Q", o["seq"])
    for k in ("time", "principal", "action", "resource", "decision", "reason", "client",
              "request_id"):
        b = o[k].encode("utf-8")
        enc += struct.pack(">I", len(b)) + b
    prev = hashlib.sha256(b"bos-audit-v1" + prev + enc).digest()
    o["hash"] = prev.hex()
    print(json.dumps(o, separators=(",", ":"), ensure_ascii=False))
PY
nr=$(grep -c '"type":"record"' "$X")
check "  (the forged chain has the export's $nr records, record 3 changed, no checkpoint)" \
	bash -c '[ "$(grep -c "\"type\":\"record\"" "$0")" = "$1" ] && ! grep -q checkpoint "$0" &&
		grep -q "nothing happened here" "$0"' "$T/forged.jsonl" "$nr"
verify_fails "verify of a forged chain without a checkpoint" "the chain alone proves nothing" \
	"$T/forged.jsonl"
out=$("$BOSCTL" audit verify "$T/forged.jsonl" --pubkey "$T/other.pem" 2>&1); rc=$?
check "  and under another key: exit 1" fails_with "$rc" "the chain alone proves nothing" "$out"

# A valid export whose last records no checkpoint covers: the newest export
# without its last line (the checkpoint the export signed).
vcurl -o /dev/null -H "Authorization: Bearer $(jq -r .session "$XDG_RUNTIME_DIR/bos/session")" "$URL/credentials"
"$BOSCTL" audit export "$T/x2.jsonl" >/dev/null 2>&1
head -n -1 "$T/x2.jsonl" >"$T/tail.jsonl"
LASTCP=$(grep '"type":"checkpoint"' "$T/tail.jsonl" | tail -1 | jq .seq)
HEADX2=$(grep '"type":"record"' "$T/tail.jsonl" | tail -1 | jq .seq)
check "  (a second export; without its last line it ends at #$HEADX2, signed through #$LASTCP)" \
	bash -c '[ "$(tail -1 "$0" | jq -r .type)" = checkpoint ] && [ "$1" -gt "$2" ]' \
		"$T/x2.jsonl" "${HEADX2:-0}" "${LASTCP:-0}"
out=$("$BOSCTL" audit verify "$T/tail.jsonl" --pubkey "$T/pub.pem" 2>&1); rc=$?
check "verify of an export with an unsigned tail: exit 1, names the first unsigned record" \
	fails_with "$rc" "FAILED at record #$((LASTCP + 1)) (end of file): the last $((HEADX2 - LASTCP)) records, $((LASTCP + 1))-$HEADX2, are not covered by a signed checkpoint" "$out"
check "  and says how to go on: export again, or --allow-unsigned-tail" \
	bash -c 'grep -qF "export again" <<<"$0" && grep -qF -- "--allow-unsigned-tail" <<<"$0"' "$out"
out=$("$BOSCTL" audit verify "$T/tail.jsonl" --pubkey "$T/pub.pem" --allow-unsigned-tail 2>&1); rc=$?
check "  with --allow-unsigned-tail: exit 0, 'unsigned tail $((HEADX2 - LASTCP))'" \
	bash -c '[ "$0" -eq 0 ] && grep -q "^ok: .*signed through #$2, unsigned tail $3$" <<<"$1"' \
		"$rc" "$out" "$LASTCP" "$((HEADX2 - LASTCP))"
out=$("$BOSCTL" audit verify "$T/tail.jsonl" --pubkey "$T/pub.pem" --allow-unsigned-tail --json 2>&1)
check "  --json says the tail was allowed" \
	jq -e '.ok == true and .unsigned_tail_allowed == true and .unsigned_tail > 0' <<<"$out"
out=$("$BOSCTL" audit verify "$X" --pubkey "$T/other.pem" --allow-unsigned-tail 2>&1); rc=$?
check "  another key, tail allowed: still exit 1, 'signature invalid'" \
	fails_with "$rc" "signature invalid" "$out"

# A trusted checkpoint: a copy of the vault's audit.head (the newest signed head).
cp "$S/audit.head" "$T/head.copy"
HS=$(jq .seq "$T/head.copy")
out=$("$BOSCTL" audit verify "$T/x2.jsonl" --pubkey "$T/pub.pem" --trusted-checkpoint "$T/head.copy" 2>&1); rc=$?
check "verify --trusted-checkpoint (a copy of audit.head, #$HS) of the export that reaches it: exit 0" \
	bash -c '[ "$0" -eq 0 ] && grep -q "reaches the trusted checkpoint #$2$" <<<"$1"' "$rc" "$out" "$HS"
N1=$(grep -n '"type":"checkpoint"' "$T/x2.jsonl" | head -1 | cut -d: -f1)
head -n "$N1" "$T/x2.jsonl" >"$T/short.jsonl"
S1=$(tail -1 "$T/short.jsonl" | jq .seq)
out=$("$BOSCTL" audit verify "$T/short.jsonl" --pubkey "$T/pub.pem" 2>&1); rc=$?
check "  the export cut after its first checkpoint (#$S1) verifies on its own (exit $rc)" test "$rc" -eq 0
out=$("$BOSCTL" audit verify "$T/short.jsonl" --pubkey "$T/pub.pem" --trusted-checkpoint "$T/head.copy" \
	--allow-unsigned-tail 2>&1); rc=$?
check "  but not against the trusted checkpoint: exit 1, truncated" \
	fails_with "$rc" "export ends at $S1 but checkpoint says $HS: truncated" "$out"
sed 's/"seq":[0-9]*/"seq":'"$S1"'/' "$T/head.copy" >"$T/head.forged"
out=$("$BOSCTL" audit verify "$T/short.jsonl" --pubkey "$T/pub.pem" --trusted-checkpoint "$T/head.forged" 2>&1); rc=$?
check "  a trusted checkpoint with its seq edited: exit 1, signature invalid" \
	fails_with "$rc" "trusted checkpoint at $S1: signature invalid" "$out"
head -1 "$X" >"$T/record.line"
out=$("$BOSCTL" audit verify "$X" --pubkey "$T/pub.pem" --trusted-checkpoint "$T/record.line" 2>&1); rc=$?
check "  a trusted-checkpoint file that is not one checkpoint line (a record): exit 2, says so" \
	bash -c '[ "$0" -eq 2 ] && grep -qF "is not one checkpoint line" <<<"$1"' "$rc" "$out"
out=$("$BOSCTL" audit verify "$X" --pubkey "$T/pub.pem" --trusted-checkpoint "$X" 2>&1); rc=$?
check "  a whole export as the trusted checkpoint: exit 2, too large for one line" \
	bash -c '[ "$0" -eq 2 ] && grep -qF "larger than" <<<"$1"' "$rc" "$out"
out=$("$BOSCTL" audit verify "$X" --pubkey "$T/pub.pem" --trusted-checkpoint "$T/missing.cp" 2>&1); rc=$?
check "  a missing trusted-checkpoint file: exit 2, 'cannot open the trusted checkpoint'" \
	bash -c '[ "$0" -eq 2 ] && grep -qF "cannot open the trusted checkpoint" <<<"$1"' "$rc" "$out"

# ---- logged out, then the vault stopped ----
"$BOSCTL" logout >/dev/null 2>&1
out=$("$BOSCTL" audit tail 2>&1); rc=$?
check "after logout audit tail: exit 1, 'not signed in'" fails_with "$rc" "not signed in" "$out"
kill -TERM "$VPID"; wait "$VPID" 2>/dev/null
out=$(BOS_ADDR=https://127.0.0.1:1 "$BOSCTL" audit verify "$X" --pubkey "$T/pub.pem" 2>&1); rc=$?
check "verify with the vault stopped and no session: exit 0, ok" \
	bash -c '[ "$0" -eq 0 ] && grep -q "^ok: " <<<"$1"' "$rc" "$out"
finish
