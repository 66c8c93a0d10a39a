#!/bin/bash
# bosctl broker, jobs and cred verify against the real bos-vaultd (issue #14
# item 4): 'broker add' prints the token alone on standard output, once, and
# says so on standard error; 'broker list' never shows it; 'broker revoke'
# ends it; 'jobs list|show'; 'cred verify NAME' queues a verify job and
# waits for it: with a stand-in broker (curl on the unix socket) answering
# ok it prints "ok: HTTP 200, N ms" and exits 0, answering 401 it prints
# "failed: HTTP 401" and exits 1, failing without retry "failed: the job
# died" (1); without any broker "--wait 2" gives up after about 2 s (1).
# Usage errors exit 2; --help helps.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"

has() { grep -qF -- "$1" <<<"$2"; }
check "vault up (outreach from uid $(id -u))" api_up "$T/s" "broker_uid_outreach = $(id -u)" || finish
check "bosctl admin created and signed in" bosctl_admin alice || finish

# ---- broker add | list | revoke ------------------------------------------------------
"$BOSCTL" broker add --role outreach --name "ob one" >"$T/add.out" 2>"$T/add.err"; rc=$?
TOK=$(cat "$T/add.out")
check "broker add: exit 0, standard output is the token alone" \
	bash -c "[ $rc = 0 ] && [ \$(wc -l <'$T/add.out') = 1 ] && [[ '$TOK' =~ ^bos_b_[0-9A-Za-z]{49}$ ]]"
check "... standard error says it is shown once and names the broker" \
	bash -c "grep -q 'shown this once' '$T/add.err' && grep -q 'registered broker bk_' '$T/add.err'"
check "... and holds no token" bash -c "! grep -q bos_b_ '$T/add.err'"
out=$("$BOSCTL" broker list 2>&1); rc=$?
check "broker list: exit 0, the broker with role and status, no token" \
	bash -c "[ $rc = 0 ] && grep -q 'outreach  active' <<<'$out' && grep -q 'ob one' <<<'$out' && ! grep -q bos_b_ <<<'$out'"
out=$("$BOSCTL" broker list --json 2>&1)
check "broker list --json: one object per line, no token field" jq -e -s 'length == 1 and all(has("token") | not)' <<<"$out"
BID=$(jq -r .id <<<"$out")
REV=$("$BOSCTL" broker add --role outreach --name doomed 2>/dev/null)
RID=$("$BOSCTL" broker list --json | jq -r 'select(.name == "doomed") | .id')
s=$(breq "$REV" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "the second broker's token works" test "$s" = 204
out=$("$BOSCTL" broker revoke "$RID" 2>&1); rc=$?
check "broker revoke ID: exit 0, says so" bash -c "[ $rc = 0 ] && grep -q 'revoked broker $RID' <<<'$out'"
s=$(breq "$REV" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "its token is refused at once (401)" test "$s" = 401
out=$("$BOSCTL" broker revoke "$RID" 2>&1); rc=$?
check "revoking it again: exit 1 with the vault's reason" bash -c "[ $rc = 1 ] && grep -qi 'revoked already' <<<'$out'"
for args in "broker" "broker add" "broker add --role admin" "broker add --role outreach extra" \
	"broker list extra" "broker revoke" "broker list --role outreach" "broker nope" \
	"jobs" "jobs show" "jobs list --state sleeping" "jobs list --kind nope" "jobs list x" \
	"cred verify x --wait 0" "cred verify x --wait abc" "cred list --wait 3"; do
	"$BOSCTL" $args >/dev/null 2>&1; rc=$?
	check "bosctl $args: usage error (exit 2)" test "$rc" = 2
done
out=$("$BOSCTL" cred verify 2>&1); rc=$?
check "bosctl cred verify without a credential: exit 1, says what it needs" \
	bash -c "[ $rc = 1 ] && grep -q 'verify needs a credential ID or NAME' <<<\"\$0\"" "$out"
helps() { # CMD TEXT...: CMD --help exits 0 and shows each TEXT
	local out rc t; out=$("$BOSCTL" $1 --help 2>&1); rc=$?; shift
	[ "$rc" = 0 ] || return 1
	for t in "$@"; do has "$t" "$out" || return 1; done
}
check "bosctl broker --help: exit 0, every subcommand and option" \
	helps broker 'broker add --role ROLE [--name NAME]' 'broker list' 'broker revoke ID' 'shown' 'broker_uid_ROLE'
check "bosctl jobs --help: exit 0, every subcommand and option" \
	helps jobs 'jobs list [--state STATE] [--kind KIND]' 'jobs show ID' 'queued, claimed, done or'
check "bosctl cred --help: verify and --wait" helps cred 'cred verify ID|NAME [--wait SECONDS]' '--wait SECONDS'
check "bosctl --help lists broker and jobs" bash -c "'$BOSCTL' --help 2>&1 | grep -q '^  broker' && '$BOSCTL' --help 2>&1 | grep -q '^  jobs'"

# ---- cred verify with a stand-in broker ---------------------------------------------
printf 'SG.%s\n' "$(canary sg)" | "$BOSCTL" cred add --name sg-main --type api_key --service sendgrid >/dev/null 2>&1
printf 'MG.%s\n' "$(canary mg)" | "$BOSCTL" cred add --name mg-main --type api_key --service mailgun >/dev/null 2>&1
check "two credentials added" test "$("$BOSCTL" cred list --json | jq -s length)" = 2
# stand_in OUTCOME: claim one job (wait up to 10 s) and answer it: ok, denied (401) or dead.
stand_in() {
	local st job claim
	st=$(breq "$TOK" POST /jobs/claim '{"kinds":["verify"],"wait":10}')
	[ "$st" = 200 ] || return 1
	job=$(jq -r .job.id "$T/b.json"); claim=$(jq -r .job.claim "$T/b.json")
	case $1 in
	ok) breq "$TOK" POST "/jobs/$job/complete" "{\"claim\":\"$claim\",\"result\":{\"ok\":true,\"status\":200,\"latency_ms\":42}}" ;;
	denied) breq "$TOK" POST "/jobs/$job/complete" "{\"claim\":\"$claim\",\"result\":{\"ok\":false,\"status\":401,\"latency_ms\":17}}" ;;
	dead) breq "$TOK" POST "/jobs/$job/fail" "{\"claim\":\"$claim\",\"error\":\"provider said 400 bad request\",\"retry\":false}" ;;
	esac >/dev/null
}
stand_in ok & bg_track $!
out=$("$BOSCTL" cred verify sg-main --wait 20 2>&1); rc=$?
check "cred verify sg-main (broker answers ok): exit 0, 'ok: HTTP 200, 42 ms'" \
	bash -c "[ $rc = 0 ] && grep -q '^ok: HTTP 200, 42 ms (credential sg-main, service sendgrid, job jb_' <<<'$out'"
JOB=$(grep -o 'jb_[a-z0-9]*' <<<"$out" | head -1)
out=$("$BOSCTL" jobs show "$JOB" 2>&1); rc=$?
check "jobs show ID: exit 0, done, the result" \
	bash -c "[ $rc = 0 ] && grep -q 'state: *done' <<<'$out' && grep -q '\"latency_ms\":42' <<<'$out'"
stand_in denied & bg_track $!
out=$("$BOSCTL" cred verify mg-main --wait 20 2>&1); rc=$?
check "cred verify mg-main (provider 401): exit 1, 'failed: HTTP 401, 17 ms'" \
	bash -c "[ $rc = 1 ] && grep -q '^failed: HTTP 401, 17 ms' <<<'$out'"
stand_in dead & bg_track $!
out=$("$BOSCTL" cred verify sg-main --wait 20 --json 2>&1); rc=$?
check "cred verify --json (job dead): exit 1, the job as JSON, state dead" \
	bash -c "[ $rc = 1 ] && jq -e '.state == \"dead\" and .error == \"provider said 400 bad request\"' <<<'$out'"
t0=$(date +%s)
out=$("$BOSCTL" cred verify sg-main --wait 2 2>&1); rc=$?
d=$(( $(date +%s) - t0 ))
check "no broker: --wait 2 gives up after about 2 s ($d s), exit 1, says the job is queued" \
	bash -c "[ $rc = 1 ] && [ $d -ge 2 ] && [ $d -le 5 ] && grep -q 'no result within 2 s: job jb_[a-z0-9]* is queued' <<<'$out'"
out=$("$BOSCTL" cred verify no-such-cred --wait 2 2>&1); rc=$?
check "cred verify of an unknown credential: exit 1, names it" \
	bash -c '[ "$0" = 1 ] && grep -qF "no credential with id or name '"'"'no-such-cred'"'"'" <<<"$1"' "$rc" "$out"
out=$("$BOSCTL" jobs list 2>&1); rc=$?
check "jobs list: exit 0, the four verify jobs (done, done, dead, queued)" \
	bash -c "[ $rc = 0 ] && [ \$(grep -c ' verify ' <<<'$out') = 4 ] && grep -q ' dead ' <<<'$out' && grep -q ' queued ' <<<'$out'"
out=$("$BOSCTL" jobs list --state dead --json 2>&1)
check "jobs list --state dead --json: the dead one" jq -e -s 'length == 1 and .[0].state == "dead"' <<<"$out"
check "no broker token in the vault log" bash -c "! grep -q -- '${TOK:6:20}' '$T/vault.log' && ! grep -q -- '${REV:6:20}' '$T/vault.log'"
finish
