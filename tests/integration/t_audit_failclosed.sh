#!/bin/bash
# Fail-closed audit (issue #5, docs/AUDIT.md): the audit store is made
# unwritable for real in the running vault (a soft RLIMIT_FSIZE of 1 byte on
# bos-vaultd: every database write fails with EFBIG) while four clients read
# secrets (admin session and helper token) and write. Afterwards, from what
# was durable (the vault is SIGKILLed and restarted): every 2xx answer — every
# secret that left — has exactly one record with its request id, decision
# allow; every 503 carries no secret, says audit_unavailable (or busy) and has
# no record; a write answered 503 did not happen; the failures are counted in
# /metrics and announced by audit_alert records; service resumes; the chain
# verifies offline (bosctl audit export + verify). A control run of the same
# load without the limit has no 503 at all. With the database locked by
# another process a secret read gets 503 busy + Retry-After, no secret, counted;
# a sign-in while the store is unwritable gets 503 and no session, counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

PW="correct horse battery $(canary p)"
export XDG_RUNTIME_DIR=$T/run HOME=$T/home
mkdir -m 700 "$XDG_RUNTIME_DIR" "$HOME"
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN
R=$T/r                      # one .h/.b per request, a manifest per client
mkdir "$R"

# try DESCRIPTION COMMAND...: check, and the command's status (check's is always 0).
try() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else notok "$d"; return 1; fi; }

metric() { # metric NAME: its value in /metrics (admin session), empty if none
	vcurl -H "Authorization: Bearer $SESSION" "$URL/metrics" 2>/dev/null |
		awk -v n="$1" '$1 == n { print $2 }'
}
fsize_on() { prlimit --pid "$VPID" --fsize=1:unlimited; }
fsize_off() { prlimit --pid "$VPID" --fsize=unlimited:unlimited; }

# client PHASE N: requests in a loop until $R/stop.PHASE exists. Each request
# leaves $R/PHASE.N.I.{h,b} and a manifest line
#   PHASE N I STATUS REQUEST_ID KIND HAS_SECRET WRITTEN_SECRET
client() {
	local ph=$1 n=$2 i=0 f kind sec m p tok body out st rid has
	local -a a
	while [ ! -e "$R/stop.$ph" ]; do
		i=$((i + 1)); f=$R/$ph.$n.$i; sec=-; body=
		case "$n.$((i % 4))" in
		1.*) kind=helper_read; m=GET; p=/credentials/$C1; tok=$HTOK ;;
		2.0|2.2) kind=admin_read; m=GET; p=/credentials/$C2; tok=$SESSION ;;
		2.*) kind=admin_read; m=GET; p=/credentials/$C3; tok=$SESSION ;;
		3.0) sec=$(canary w3x$i); kind=admin_update; m=PUT; p=/credentials/$C3; tok=$SESSION
			body="{\"secret\":\"$sec\"}" ;;
		3.*) kind=admin_read; m=GET; p=/credentials/$C1; tok=$SESSION ;;
		4.0) sec=$(canary w4x$i); kind=admin_create; m=POST; p=/credentials; tok=$SESSION
			body="{\"name\":\"w-$ph-$i\",\"type\":\"api_key\",\"service\":\"w\",\"secret\":\"$sec\"}" ;;
		4.1) kind=helper_read; m=GET; p=/credentials/$C1; tok=$HTOK ;;
		4.*) kind=admin_read; m=GET; p=/credentials/$C3; tok=$SESSION ;;
		esac
		[ "$sec" != - ] && echo "$sec" >>"$R/canaries.$n"
		a=(-s --cacert "$S/tls/cert.pem" --max-time 20 -D "$f.h" -o "$f.b"
			-w '%{http_code} %header{x-request-id}' -X "$m" -H "Authorization: Bearer $tok")
		[ -n "$body" ] && a+=(-H 'Content-Type: application/json' --data-binary "$body")
		out=$(curl "${a[@]}" "$URL$p") || out="000 -"
		read -r st rid <<<"$out"
		[ -n "$rid" ] || rid=-
		has=0; grep -q '"secret"' "$f.b" 2>/dev/null && has=1
		echo "$ph $n $i $st $rid $kind $has $sec" >>"$R/manifest.$n"
	done
}
run_clients() { # run_clients PHASE: start the four clients; stop_clients PHASE ends them
	CPIDS=""
	for n in 1 2 3 4; do client "$1" "$n" & CPIDS="$CPIDS $!"; done
}
stop_clients() { : >"$R/stop.$1"; for p in $CPIDS; do wait "$p"; done; }
# phase_lines PHASE: the manifest lines of a phase
phase_lines() { cat "$R"/manifest.* 2>/dev/null | awk -v p="$1" '$1 == p'; }

t0=$(date +%s.%N)
since() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- a vault, an admin, three credentials, a helper with a grant ----
try "the vault starts (checkpoints every second)" api_up "$T/s" audit_checkpoint_seconds=1 || finish
try "admin created and signed in" admin_setup alice "$PW" || finish
K1=$(canary k1); K2=$(canary k2); K3=$(canary k3)
printf '%s\n' "$K1" "$K2" "$K3" >"$R/canaries.0"
C1=$(api POST /credentials "{\"name\":\"c1\",\"type\":\"api_key\",\"service\":\"s1\",\"secret\":\"$K1\"}" | jq -r .id)
C2=$(api POST /credentials "{\"name\":\"c2\",\"type\":\"api_key\",\"service\":\"s2\",\"secret\":\"$K2\"}" | jq -r .id)
C3=$(api POST /credentials "{\"name\":\"c3\",\"type\":\"api_key\",\"service\":\"s3\",\"secret\":\"$K3\"}" | jq -r .id)
check "three credentials with canary secrets" bash -c "[[ '$C1' == cr_* && '$C2' == cr_* && '$C3' == cr_* ]]"
H=$(api POST /helpers '{"name":"Jane","contact":"jane@example.com","kind":"setup"}' | jq -r .id)
HTOK=$(api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"$C1\"],\"actions\":[\"read\"],\"ttl\":600}" | jq -r '.token // empty')
check "a helper with a read grant on c1 (token)" bash -c "[[ '$HTOK' == bos_h_* ]]"
export S URL C1 C2 C3 HTOK SESSION

# ---- control: the same load, no limit: no 503 at all ----
run_clients ctl
sleep 3
stop_clients ctl
ctl_n=$(phase_lines ctl | wc -l)
ctl_503=$(phase_lines ctl | awk '$4 == 503' | wc -l)
ctl_bad=$(phase_lines ctl | awk '$4 !~ /^20[01]$/' | wc -l)
check "control run: $ctl_n requests (at least 20)" test "$ctl_n" -ge 20
check "control run without the limit: zero 503 (got $ctl_503), every answer 200/201 (others: $ctl_bad)" \
	test "$ctl_503" -eq 0 -a "$ctl_bad" -eq 0
check "control run: bos_audit_failures_total is still 0" test "$(metric bos_audit_failures_total)" = 0

# ---- the fault window: limit on ~2 s, off ~1 s, on ~2 s, off, while clients run ----
run_clients flt
sleep 1.5
fsize_on; sleep 2; fsize_off; sleep 1; fsize_on; sleep 2; fsize_off
sleep 1.5
stop_clients flt
check "the vault survived the window" kill -0 "$VPID"
flt_n=$(phase_lines flt | wc -l)
flt_503=$(phase_lines flt | awk '$4 == 503' | wc -l)
flt_200s=$(phase_lines flt | awk '$4 == 200 && $7 == 1' | wc -l)
odd=$(phase_lines flt | awk '$4 !~ /^(200|201|503)$/')
check "fault run: $flt_n requests, $flt_503 answered 503 (at least one: else this proves nothing)" \
	test "$flt_503" -ge 1
check "fault run: some secrets were served ($flt_200s)" test "$flt_200s" -ge 1
try "fault run: every answer is 200, 201 or 503" test -z "$odd" || echo "$odd" | head -5 | sed 's/^/    /'
# Every 503: audit_unavailable, no secret (no "secret" field, no canary).
phase_lines flt | awk -v r="$R" '$4 == 503 { print r "/" $1 "." $2 "." $3 ".b" }' >"$T/503.list"
cat "$R"/canaries.* >"$T/canaries"
codes=$(xargs -r cat <"$T/503.list" | jq -r '.error.code' | sort | uniq -c | tr -s ' ')
check "every 503 says audit_unavailable ($codes)" \
	test "$(xargs -r cat <"$T/503.list" | jq -r '.error.code' | grep -cv '^audit_unavailable$')" -eq 0
check "no 503 body carries a secret field" test "$(xargs -r grep -l '"secret"' <"$T/503.list" | wc -l)" -eq 0
check "no 503 body carries any canary ($(wc -l <"$T/canaries") canaries)" \
	test "$(xargs -r grep -l -F -f "$T/canaries" <"$T/503.list" | wc -l)" -eq 0

# The failures are counted: exactly the 503s (none of them was a lock by another process).
fail_m=$(metric bos_audit_failures_total)
check "bos_audit_failures_total ($fail_m) equals the 503 answers seen ($flt_503)" test "${fail_m:-x}" = "$flt_503"

# Service resumed: a read works again, with its secret.
out=$(api GET "/credentials/$C2")
check "after the window a secret read works again: 200 with the secret" \
	bash -c "test '$(st)' = 200 && jq -e --arg k '$K2' '.secret == \$k' <<<'$out'"
st=$(vcurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $HTOK" "$URL/credentials/$C1")
check "after the window the helper token reads again: 200" test "$st" = 200
# The alerts: every lost record is announced, the counts add up (the checkpoint
# thread writes a pending alert within about a second).
alerts() { api GET "/credentials/audit?action=audit_alert&limit=1000" | jq -c '.records[]'; }
asum=-1
for _ in $(seq 50); do
	A=$(alerts)
	asum=$(jq -r '.reason | capture("^(?<n>[0-9]+) audit record").n' <<<"$A" | awk '{ s += $1 } END { print s + 0 }')
	[ "$asum" = "$fail_m" ] && break
	sleep 0.1
done
check "audit_alert records ($(jq -s length <<<"$A")) name ${asum} lost records = the $fail_m failures" \
	test "$asum" = "$fail_m"
check "  each from principal vault, decision error, 'N audit record(s) could not be written since TIME'" \
	jq -e -s 'length >= 1 and all(.principal == "vault" and .decision == "error" and
		(.reason | test("^[1-9][0-9]* audit record\\(s\\) could not be written since [0-9]{4}-[0-9]{2}-[0-9]{2}T")))' <<<"$A"

# ---- the database locked by another process: 503 busy, no secret, counted ----
# The hold outlasts the vault's 5 s busy timeout, twice over (its checkpoint
# thread may wait first, under the vault's own lock); it is ended once answered.
sleep 1.2   # let the pending checkpoint of the requests above go first
"$BOS_TESTBIN/bos_dbtool" "$S" "BEGIN IMMEDIATE" 60 >"$T/hold" 2>&1 &
HOLD=$!
for _ in $(seq 100); do grep -q holding "$T/hold" && break; sleep 0.1; done
check "another process holds the database" grep -q holding "$T/hold"
st=$(vcurl -D "$T/busy.h" -o "$T/busy.b" -w '%{http_code}' -H "Authorization: Bearer $SESSION" \
	"$URL/credentials/$C2")
try "secret read while locked: 503 busy" \
	bash -c "test '$st' = 503 && jq -e '.error.code == \"busy\"' '$T/busy.b'" ||
	{ echo "    got $st: $(cat "$T/busy.b")"; sed 's/^/    hold: /' "$T/hold"; }
check "  with Retry-After" grep -qi '^Retry-After: *[0-9]' "$T/busy.h"
check "  and no secret" bash -c "! grep -q -F -e '\"secret\"' -e '$K2' '$T/busy.b'"
BUSY_RID=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([^[:space:]]*\).*/\1/p' "$T/busy.h")
check "  counted: bos_audit_failures_total $((fail_m + 1))" test "$(metric bos_audit_failures_total)" = $((fail_m + 1))
kill -TERM "$HOLD"; wait "$HOLD" 2>/dev/null
out=$(api GET "/credentials/$C2")
check "after the lock is gone the read works: 200" test "$(st)" = 200

# ---- a sign-in while the store is unwritable: 503, no session, the code not used up ----
LOGIN_CODE=$(totp_code 0)
fsize_on
st=$(vcurl -o "$T/login.b" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$LOGIN_CODE\"}" "$URL/auth/login")
fsize_off
check "a sign-in while the store is unwritable: 503 audit_unavailable, no session token" \
	bash -c "test '$st' = 503 && jq -e '.error.code == \"audit_unavailable\" and has(\"session\") == false' '$T/login.b' &&
		! grep -q bos_s_ '$T/login.b'"
NFAIL=$((fail_m + 2))
check "  counted: bos_audit_failures_total $NFAIL" test "$(metric bos_audit_failures_total)" = "$NFAIL"
for _ in $(seq 30); do
	asum=$(alerts | jq -r '.reason | capture("^(?<n>[0-9]+) audit record").n' | awk '{ s += $1 } END { print s + 0 }')
	[ "$asum" = "$NFAIL" ] && break
	sleep 0.1
done
check "the busy and sign-in losses are announced too: alerts name $NFAIL" test "$asum" = "$NFAIL"

# ---- what was durable: kill -9, restart, export, verify ----
kill -9 "$VPID"; wait "$VPID" 2>/dev/null
try "the vault restarts after SIGKILL" start_vault "$S" "$T/vault2.log" || { cat "$T/vault2.log"; finish; }
export BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem
out=$(printf '%s\n%s\n' "$PW" "$LOGIN_CODE" | "$BOSCTL" login alice 2>&1)
try "bosctl login after the restart, with the code of the refused sign-in" grep -q 'signed in as alice' <<<"$out" || finish
X=$T/audit.jsonl
check "bosctl audit export" "$BOSCTL" audit export "$X"
check "bosctl audit pubkey" "$BOSCTL" audit pubkey --out "$T/pub.pem"
out=$("$BOSCTL" audit verify "$X" --pubkey "$T/pub.pem" 2>&1)
check "bosctl audit verify --pubkey: the whole chain verifies ($out)" grep -q '^ok: ' <<<"$out"

jq -r 'select(.type == "record") | "\(.request_id) \(.decision) \(.action)"' "$X" >"$T/recs"
# verdicts: for each request of both runs, what the trail says about it
cat "$R"/manifest.* | awk 'NR == FNR { n[$1]++; d[$1] = d[$1] $2; next }
	{ rid = $5; c = n[rid] + 0
	  if ($4 ~ /^20[01]$/ && !(c == 1 && d[rid] == "allow")) print "answered", $4, "with", c, "records (" d[rid] "):", $0
	  if ($4 == 503 && c != 0) print "answered 503 but", c, "records:", $0
	  if (rid == "-") print "no request id:", $0 }' "$T/recs" - >"$T/verdicts"
n2xx=$(cat "$R"/manifest.* | awk '$4 ~ /^20[01]$/' | wc -l)
nsec=$(cat "$R"/manifest.* | awk '$4 == 200 && $7 == 1' | wc -l)
try "every one of the $n2xx 2xx answers ($nsec carried a secret) has exactly one durable record, allow" \
	test ! -s "$T/verdicts" || head -5 "$T/verdicts" | sed 's/^/    /'
check "no 503 answer left a record" bash -c "! grep -q '^answered 503' '$T/verdicts'"
check "the busy 503 left no record" test "$(grep -c "^$BUSY_RID " "$T/recs")" -eq 0
n_alert=$(jq -s '[.[] | select(.type == "record" and .action == "audit_alert")] | length' "$X")
dsum=$(jq -r 'select(.type == "record" and .action == "audit_alert") | .reason |
	capture("^(?<n>[0-9]+) audit record").n' "$X" | awk '{ s += $1 } END { print s + 0 }')
check "after the restart the trail still holds the alerts ($n_alert, naming $dsum = $NFAIL)" \
	test "$dsum" = "$NFAIL"

# A write answered 503 did not happen: its secret is nowhere in a later answer.
cat "$R"/manifest.* | awk '$4 == 503 && $8 != "-" { print $8 }' >"$T/lost.secrets"
cat "$R"/manifest.* | awk '$4 ~ /^20[01]$/ && $8 != "-" { print $8 }' >"$T/kept.secrets"
cat "$R"/manifest.* | awk -v r="$R" '$4 == 200 && $7 == 1 { print r "/" $1 "." $2 "." $3 ".b" }' >"$T/200.list"
nlost=$(wc -l <"$T/lost.secrets")
if [ "$nlost" -gt 0 ]; then
	check "no secret of the $nlost writes refused with 503 shows up in any read" \
		test "$(xargs -r grep -l -F -f "$T/lost.secrets" <"$T/200.list" | wc -l)" -eq 0
else
	ok "no write was refused with 503 (nothing to check)"
fi
SESSION=$(jq -r .session "$XDG_RUNTIME_DIR/bos/session")
cur=$(api GET "/credentials/$C3" | jq -r .secret)
check "c3's secret after the restart is one a write got 200/201 for (or the first)" \
	bash -c "grep -qxF -- '$cur' '$T/kept.secrets' || test '$cur' = '$K3'"
names=$(api GET /credentials | jq -r '.credentials[].name')
created_503=$(cat "$R"/manifest.* | awk '$4 == 503 && $6 == "admin_create" { print "w-" $1 "-" $3 }')
gone=0
for nm in $created_503; do grep -qxF "$nm" <<<"$names" && gone=$((gone + 1)); done
check "no credential whose creation got 503 exists ($(wc -w <<<"$created_503") checked)" test "$gone" -eq 0
kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "the restarted vault stops cleanly on SIGTERM (exit $rc)" test "$rc" -eq 0
check "the logs carry no canary" test "$(cat "$T"/vault*.log | grep -c -F -f "$T/canaries")" -eq 0
check "no sanitizer report in the logs" \
	bash -c "! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$T'/vault*.log"
echo "# $flt_n requests in the fault run, $flt_503 refused, $nsec secrets served in all; $(since) s"
finish
