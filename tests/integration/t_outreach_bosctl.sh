#!/bin/bash
# bosctl outreach and bosctl campaign (docs/BOSCTL.md "Outreach", docs/OUTREACH.md)
# against the real bos-vaultd: contact lists imported from CSV and JSON files
# (duplicates, --append, all-or-nothing row errors), the suppression list,
# email and SMS campaigns created as drafts and moved through their states,
# stats; --json checked with jq, the text output with grep. Negative cases:
# usage errors (exit 2) before anything is sent, files that cannot be read,
# what the vault refuses (exit 1 with its message). No credential secret in
# anything bosctl printed. No broker runs: nothing is sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

has() { grep -qF -- "$1" <<<"$2"; }
# j FILTER JSON: jq -e FILTER on JSON, which must not be empty (jq -e passes on no input).
j() { [ -n "$2" ] && jq -e "$1" <<<"$2"; }
# b ARGS...: run bosctl; OUT (stdout), ERR (stderr) and RC.
b() { OUT=$("$BOSCTL" "$@" 2>"$T/b.err"); RC=$?; ERR=$(cat "$T/b.err"); ALL+=$OUT$'\n'$ERR$'\n'; }
# rc_is N DESC ARGS...: bosctl ARGS exits N.
rc_is() { local n=$1 d=$2; shift 2; b "$@"; check "$d (exit $n)" test "$RC" = "$n" || echo "# $OUT $ERR"; }
ALL=""
D=$T/files
mkdir -p "$D"

# ---- usage errors and --help need no vault ----
export XDG_RUNTIME_DIR=$T/nobody HOME=$T/nobody
for c in outreach campaign; do
	b $c --help
	check "bosctl $c --help: the usage on stdout, exit 0" \
		bash -c '[ "$0" = 0 ] && grep -q "^usage: bosctl '$c'" <<<"$1"' "$RC" "$OUT"
	b $c
	check "bosctl $c alone: the usage on stderr, exit 2" \
		bash -c '[ "$0" = 2 ] && grep -q "^usage: bosctl '$c'" <<<"$1"' "$RC" "$ERR"
done
b outreach list --help
check "bosctl outreach list --help: exit 0, says what import takes" \
	bash -c '[ "$0" = 0 ] && grep -q "list import NAME FILE" <<<"$1"' "$RC" "$OUT"
printf 'email\na@b.example\n' >"$D/one.csv"
printf 'hi\n' >"$D/hi.txt"
rc_is 2 "outreach frob: unknown subcommand" outreach frob
rc_is 2 "outreach list: import or ls" outreach list
rc_is 2 "outreach list import NAME (no FILE)" outreach list import advisors
rc_is 2 "outreach list ls extra" outreach list ls extra
rc_is 2 "outreach list import --format xml" outreach list import a "$D/one.csv" --format xml
rc_is 2 "outreach suppress (no ADDRESS)" outreach suppress
rc_is 2 "outreach suppress --channel fax" outreach suppress a@b.example --channel fax
rc_is 2 "outreach stats --state (another subcommand's option)" outreach stats --state done
check "  the message names the option" has "stats does not take --state" "$ERR"
rc_is 2 "outreach email without --provider" outreach email --list a --from a@b.example \
	--subject s --text-file "$D/hi.txt"
rc_is 2 "outreach email without --text-file" outreach email --list a --from a@b.example \
	--subject s --provider sendgrid
rc_is 2 "outreach email --body-file (an sms option)" outreach email --list a --from a@b.example \
	--subject s --text-file "$D/hi.txt" --provider sendgrid --body-file "$D/hi.txt"
rc_is 2 "outreach sms without --body-file" outreach sms --list a --from +15550100000 --provider twilio
for n in 0 6001 ten 1.5; do
	rc_is 2 "outreach sms --per-minute $n" outreach sms --list a --from +15550100000 \
		--provider twilio --body-file "$D/hi.txt" --per-minute "$n"
done
rc_is 2 "campaign show (no ID)" campaign show
rc_is 2 "campaign list --state sent" campaign list --state sent
rc_is 2 "campaign pause A B" campaign pause a b
rc_is 2 "jobs list --kind send_fax" jobs list --kind send_fax
rc_is 1 "no session: outreach lists says how to sign in" outreach lists
check "  with the login hint" has "bosctl login" "$ERR"
rc_is 1 "outreach sms --body-file of a missing file" outreach sms --list a --from +15550100000 \
	--provider twilio --body-file "$D/missing.txt"
check "  names the file" has "$D/missing.txt" "$ERR"
: >"$D/empty.txt"
rc_is 1 "outreach sms --body-file of an empty file" outreach sms --list a --from +15550100000 \
	--provider twilio --body-file "$D/empty.txt"
printf '\xff\xfe\n' >"$D/latin.txt"
rc_is 1 "outreach email --text-file that is not UTF-8" outreach email --list a \
	--from a@b.example --subject s --text-file "$D/latin.txt" --provider sendgrid
head -c 70000 /dev/zero | tr '\0' a >"$D/big.txt"
rc_is 1 "outreach email --text-file over 64 KiB" outreach email --list a --from a@b.example \
	--subject s --text-file "$D/big.txt" --provider sendgrid
printf '{"email": ' >"$D/bad.json"
rc_is 1 "outreach list import of a broken .json file" outreach list import a "$D/bad.json"
check "  says it is not JSON" has "is not JSON" "$ERR"

# ---- a vault with the outreach settings, an admin, provider credentials ----
check "the vault starts (outreach_public_url, outreach_postal_address, prices)" api_up "$T/state" \
	"outreach_public_url = https://bos.example.test" \
	"outreach_postal_address = 1 Main St, Springfield" \
	"outreach_price.sendgrid = 0.0010 USD" || { tail -5 "$T/vault.log"; finish; }
check "bosctl admin alice, signed in" bosctl_admin alice || finish
SG=$(canary SGKEY)
TW=$(canary TWKEY)
printf '%s' "$SG" | "$BOSCTL" cred add --name sg-main --type api_key --service sendgrid >/dev/null 2>&1
printf '%s' "$TW" | "$BOSCTL" cred add --name tw-main --type api_key --service twilio \
	--metadata '{"account_sid":"AC0123456789abcdef0123456789abcdef"}' >/dev/null 2>&1
b cred list --json
check "two provider credentials (sendgrid, twilio)" test "$(grep -c '"id"' <<<"$OUT")" = 2

# ---- lists ----
cat >"$D/advisors.csv" <<'EOF'
email,phone,name,consent,team
ann@example.com,,Ann,email,east
bob@example.com,+1 555 010 0002,"Bob, Jr.","email,sms",west
ANN@Example.com,,Ann again,email,east
carl@example.com,,Carl,none,
,+15550100004,Dana,sms,north
EOF
b outreach list import advisors "$D/advisors.csv" --json
check "list import (CSV) --json: 4 imported, 1 duplicate (the same address in capitals)" \
	j '.imported == 4 and .duplicates == 1 and .list.contacts == 4 and .appended == false and
	(.list.id | test("^ol_[a-z2-7]{26}$")) and .list.name == "advisors"' "$OUT" || echo "# $OUT $ERR"
LIST=$(jq -r .list.id <<<"$OUT")
check "  no contact in the answer" bash -c '! grep -q "ann@example.com" <<<"$0"' "$OUT"
b outreach list import advisors "$D/one.csv"
check "the same name again without --append: exit 1, says --append (append: true)" \
	bash -c '[ "$0" = 1 ] && grep -q "append" <<<"$1"' "$RC" "$ERR"
printf '[{"email":"erin@example.com","name":"Erin","consent":["email"]},{"email":"ann@example.com"}]' \
	>"$D/more.json"
b outreach list import advisors "$D/more.json" --append
check "list import --append (a .json file): the text says appended 1, 1 duplicate, 5 contacts" \
	bash -c '[ "$0" = 0 ] && grep -q "^appended 1 contacts (1 duplicates skipped): list ol_.* now has 5 contacts: advisors" <<<"$1"' \
	"$RC" "$OUT" || echo "# $OUT $ERR"
b outreach list import nosuch "$D/more.json" --append
check "--append to a list that does not exist: exit 1, says so" \
	bash -c '[ "$0" = 1 ] && grep -q "no contact list named .nosuch." <<<"$1"' "$RC" "$ERR"
printf 'email,phone\nnot-an-address,\nok@example.com,12\nfine@example.com,\n' >"$D/broken.csv"
b outreach list import broken "$D/broken.csv"
check "an import with bad rows: exit 1, rows 1 (email) and 2 (phone) named, nothing imported" \
	bash -c '[ "$0" = 1 ] && grep -q "2 rows are invalid; nothing was imported" <<<"$1" &&
	grep -q "row 1 (email)" <<<"$1" && grep -q "row 2 (phone)" <<<"$1"' "$RC" "$ERR" ||
	echo "# $ERR"
b outreach lists --json
check "outreach lists --json: advisors (5 contacts), no list 'broken' (all or nothing)" \
	bash -c 'jq -e -s "length == 1 and .[0].name == \"advisors\" and .[0].contacts == 5" <<<"$0"' \
	"$OUT"
b outreach list ls
check "outreach list ls: a row with the id, the count and the name" \
	bash -c '[ "$0" = 0 ] && grep -q "^$2 .* 5 contacts .*advisors$" <<<"$1"' "$RC" "$OUT" "$LIST"

b outreach list import from-stdin - --json <"$D/one.csv"
check "list import NAME - (standard input, CSV by default): 1 imported" \
	j '.imported == 1 and .list.name == "from-stdin" and .list.contacts == 1' "$OUT" || echo "# $OUT $ERR"

# ---- suppressions ----
b outreach suppress Bob@Example.com
check "outreach suppress: stored lower-cased, email, nothing sent to it" \
	bash -c '[ "$0" = 0 ] && grep -q "^suppressed bob@example.com (email, admin)" <<<"$1"' \
	"$RC" "$OUT" || echo "# $OUT $ERR"
b outreach suppress bob@example.com
check "  again: already suppressed (exit 0)" \
	bash -c '[ "$0" = 0 ] && grep -q "^already suppressed bob@example.com (email, admin)" <<<"$1"' \
	"$RC" "$OUT" || echo "# $OUT $ERR"
b outreach suppress +1-555-010-0009 --json
check "outreach suppress of a phone number --json: the suppression, E.164, sms" \
	j '.address == "+15550100009" and .channel == "sms" and .reason == "admin"' "$OUT" ||
	echo "# $OUT $ERR"
b outreach suppress not-an-address
check "outreach suppress of a malformed address: exit 1" test "$RC" = 1
b outreach suppressions --json
check "outreach suppressions --json: bob and the phone number" \
	bash -c 'jq -e -s "length == 2 and any(.address == \"bob@example.com\" and .reason == \"admin\")" <<<"$0"' "$OUT"
b outreach suppressions --channel sms
check "outreach suppressions --channel sms: the phone number, not bob" \
	bash -c '[ "$0" = 0 ] && ! grep -q bob <<<"$1" && grep -q "^sms .*+15550100009$" <<<"$1"' "$RC" "$OUT" ||
	echo "# $OUT"

# The tool pages (bosctl follows every page): through bosctl mcp, one at a time.
mcp_call() {
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"$1\",\"arguments\":$2}}" |
		"$BOSCTL" mcp 2>/dev/null | jq -c 'select(.id == 2) | .result.structuredContent'
}
p1=$(mcp_call outreach_suppressions '{"limit":1}')
cur=$(jq -r '.next // empty' <<<"$p1")
p2=$(mcp_call outreach_suppressions "{\"limit\":1,\"cursor\":\"$cur\"}")
check "outreach_suppressions {limit: 1} (bosctl mcp): one row and a next; with it the other row, no next" \
	bash -c 'jq -e "(.suppressions | length) == 1" <<<"$0" && [ -n "$2" ] &&
	jq -e "(.suppressions | length) == 1 and .next == null" <<<"$1" &&
	[ "$(jq -r ".suppressions[0].address" <<<"$0")" != "$(jq -r ".suppressions[0].address" <<<"$1")" ]' \
	"$p1" "$p2" "$cur" || echo "# $p1 $p2"

# ---- an email campaign, drafted, through its states ----
printf 'Hi {{name}},\n\nour product for team {{team}}.\n' >"$D/text.txt"
printf '<p>Hi {{name}}, see <a href="https://acme.example/p">our product</a>.</p>\n' >"$D/page.html"
b outreach email --list advisors --from 'Acme <hi@acme.example>' --subject 'Hello {{name}}' \
	--text-file "$D/text.txt" --html-file "$D/page.html" --provider sendgrid --per-minute 30 \
	--draft --json
check "outreach email --draft --json: a draft, email, sendgrid, 30 a minute, bob suppressed" \
	j '(.id | test("^cp_")) and .state == "draft" and .channel == "email" and
	.provider == "sendgrid" and .per_minute == 30 and .suppressed == 1 and
	(has("text") | not)' "$OUT" || echo "# $OUT $ERR"
CP=$(jq -r .id <<<"$OUT")
b campaign show "$CP" --json
check "campaign show --json: the text and the html as the files had them, the subject" \
	bash -c 'jq -e --rawfile t "$1" --rawfile h "$2" ".text == \$t and .html == \$h and
	.subject == \"Hello {{name}}\"" <<<"$0"' "$OUT" "$D/text.txt" "$D/page.html"
b campaign show "$CP"
check "campaign show: key: value lines, then the text" \
	bash -c '[ "$0" = 0 ] && grep -q "^state: draft" <<<"$1" && grep -q "^text:" <<<"$1" &&
	grep -q "our product for team" <<<"$1"' "$RC" "$OUT"
b campaign list --state draft --json
check "campaign list --state draft --json: it" bash -c 'grep -q "\"id\":\"$1\"" <<<"$0"' "$OUT" "$CP"
b campaign list --state done --json
check "campaign list --state done: not it" bash -c '! grep -q "$1" <<<"$0"' "$OUT" "$CP"
for v in start:running pause:paused resume:running cancel:cancelled; do
	b campaign "${v%%:*}" "$CP"
	check "campaign ${v%%:*}: the campaign is ${v#*:}" \
		bash -c '[ "$0" = 0 ] && grep -q "^campaign $2 is $3 " <<<"$1"' "$RC" "$OUT" "$CP" "${v#*:}" ||
		echo "# $OUT $ERR"
done
b jobs list --kind send_email --json
# The only campaign started: every send_email job is one of its own (the vault names its campaign).
check "jobs list --kind send_email --json: the campaign's send jobs, dead after the cancel" \
	bash -c 'jq -e -s --arg cp "$1" "length >= 1 and all(.kind == \"send_email\" and .state == \"dead\" and .campaign == \$cp)" <<<"$0"' \
	"$OUT" "$CP" || echo "# $OUT $ERR"
b campaign resume "$CP"
check "campaign resume of a cancelled campaign: exit 1, campaign_state" \
	bash -c '[ "$0" = 1 ] && grep -q "campaign_state" <<<"$1"' "$RC" "$ERR"
b campaign show cp_nosuchcampaign
check "campaign show of an unknown id: exit 1" test "$RC" = 1

# ---- an sms campaign ----
printf 'Hi {{name}}, news from Acme.\n' >"$D/sms.txt"
b outreach sms --list "$LIST" --from +15550100000 --body-file "$D/sms.txt" --provider twilio \
	--draft --json
check "outreach sms --draft --json (the list by id): sms, twilio, the body without its newline" \
	j '.channel == "sms" and .provider == "twilio" and .state == "draft"' "$OUT" ||
	echo "# $OUT $ERR"
SMS=$(jq -r .id <<<"$OUT")
b campaign show "$SMS" --json
check "  the body as given, its final newline dropped" \
	j '.body | startswith("Hi {{name}}, news from Acme.")' "$OUT"
b outreach sms --list advisors --from +15550100000 --body-file "$D/sms.txt" --provider sendgrid
check "outreach sms --provider sendgrid: exit 1, says twilio or plivo" \
	bash -c '[ "$0" = 1 ] && grep -q "twilio or plivo" <<<"$1"' "$RC" "$ERR"
b outreach email --list nosuch --from hi@acme.example --subject s --text-file "$D/hi.txt" \
	--provider sendgrid
check "outreach email to a list that does not exist: exit 1 with the vault's message" \
	bash -c '[ "$0" = 1 ] && grep -q "HTTP 4" <<<"$1"' "$RC" "$ERR"

# ---- stats ----
b outreach stats --campaign "$CP" --json
check "outreach stats --campaign --json: nothing sent, rates null" \
	j '.campaign == "'"$CP"'" and .sent == 0 and .rates.opened == null' "$OUT" || echo "# $OUT $ERR"
b outreach stats
check "outreach stats: exit 0, rates shown as -" \
	bash -c '[ "$0" = 0 ] && grep -q "opened -" <<<"$1"' "$RC" "$OUT"

# ---- nothing secret in anything printed ----
check "no provider secret in anything bosctl printed" \
	bash -c '! grep -qF -e "$1" -e "$2" <<<"$0"' "$ALL" "$SG" "$TW"
finish
