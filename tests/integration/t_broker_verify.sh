#!/bin/bash
# bos-broker end to end (docs/BROKERS.md "bos-broker", issue #14 items 6-7):
# the real vault, two real brokers (outreach: sendgrid, twilio, mailgun;
# monitor: stripe, openai) and the strict provider stubs (tests/stubs).
# For each provider, verify jobs whose credentials the stub answers with
# 200, 401, 403, 429 (Retry-After), 500; for sendgrid also a redirect and an
# oversized answer. Each job's end state in the vault is checked (done with
# ok true/false and the status, queued again no sooner than Retry-After,
# dead after its attempts with a job_dead alert, dead at once for a refused
# redirect or a credential revoked after the job was queued) and the stub's log shows each credential arrived in its
# provider's exact form, as often as expected. Then the secrets (canaries)
# are in neither broker's log, the vault's log, the audit trail, nor the
# memory of either broker between jobs (tests/tools/memscan, as root).
# Then: a provider call longer than the vault's visibility timeout is kept
# by heartbeats (a second broker does not get the job), and a broker killed
# with SIGKILL in the middle of a call loses nothing: the job is claimed
# again after the visibility timeout (job_visibility_seconds = 4 here) and
# completed once. SIGTERM stops a broker with status 0, after the claim it
# was waiting on (a claim cut short could be handed a job nobody runs).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_audit.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

BROKER=$BOS_BIN/bos-broker
MEMSCAN=$BOS_TESTBIN/memscan
SCAN_OPTS=()
# Under AddressSanitizer (t_memory.sh): ASan owns free() and keeps freed blocks in
# a quarantine; asked to, it scrubs them, standing in for our wipe. Its shadow
# memory holds no data and is skipped.
if ldd "$BROKER" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_free_fill_size=2147483647:free_fill_byte=0"
	SCAN_OPTS=(-s 4096)
	echo "# AddressSanitizer build: freed blocks scrubbed by ASan; shadow memory skipped"
fi
ME=$(id -u)
VIS=4
check "vault up (brokers from uid $ME, job visibility $VIS s)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "broker_uid_monitor = $ME" \
	"job_visibility_seconds = $VIS" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }

OUT=$(broker_add outreach out1); MON=$(broker_add monitor mon1)
check "an outreach and a monitor broker registered" bash -c "[[ '$OUT' == bos_b_* && '$MON' == bos_b_* ]]" || finish
for r in out mon; do
	v=OUT; [ $r = mon ] && v=MON
	printf '%s\n' "${!v}" >"$T/$r.token" && chmod 0600 "$T/$r.token"
done
# bconf ROLE FILE [extra]: the broker's config: the vault's socket, its token, the stubs.
bconf() {
	local tokf=$T/out.token p
	[ "$1" = monitor ] && tokf=$T/mon.token
	{
		echo "vault_socket = $S/vault.sock"; echo "token_file = $tokf"
		echo "test_ca_file = $STUB_CA"; echo "claim_wait = 2"; echo "heartbeat_interval = 1"
		for p in sendgrid twilio stripe mailgun openai; do
			eval "echo \"base_url.$p = https://127.0.0.1:\$STUB_PORT_$p\""
		done
		shift 2; for p in "$@"; do echo "$p"; done
	} >"$2"
}
bconf outreach "$T/out.conf"; bconf monitor "$T/mon.conf"

# ---- credentials and jobs -------------------------------------------------------------
SID=AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
: >"$T/canaries"
declare -A CRED JOBS SECRET
# cred PROVIDER VARIANT BEHAVIOUR [ARG]: a credential whose secret is a canary, known to the stub.
cred() {
	local p=$1 var=$2 sec id md='{}' stubcred pre
	case $p in sendgrid) pre=SG.;; stripe) pre=sk_test_;; openai) pre=sk-proj-;; *) pre=;; esac
	sec="$pre$(canary "$p$var")"
	stubcred=$sec
	if [ "$p" = twilio ]; then md="{\"account_sid\":\"$SID\"}"; stubcred="$SID:$sec"; fi
	stub_key "$p" "$stubcred" "$3" ${4:-}
	id=$(api POST /credentials "{\"name\":\"$p-$var\",\"type\":\"api_key\",\"service\":\"$p\",\"secret\":\"$sec\",\"metadata\":$md}" | jq -r '.id // empty')
	[ -n "$id" ] || return 1
	echo "$sec" >>"$T/canaries"
	CRED[$p.$var]=$id SECRET[$p.$var]=$sec
}
# job PROVIDER VARIANT [MAX_ATTEMPTS]
job() {
	local id
	id=$(job_add "$1" "\"credential\":\"${CRED[$1.$2]}\"${3:+,\"max_attempts\":$3}")
	[ -n "$id" ] || return 1
	JOBS[$1.$2]=$id
}
PROVIDERS="sendgrid twilio stripe mailgun openai"
made=0
for p in $PROVIDERS; do
	cred "$p" ok ok && cred "$p" bad 401 && cred "$p" forbidden 403 && cred "$p" limited 429 120 &&
		cred "$p" down 500 && made=$((made + 5))
done
cred sendgrid redirect 302 && cred sendgrid big big && cred sendgrid hour 429 3600 &&
	cred sendgrid revoked ok && made=$((made + 4))
check "29 credentials stored, each secret a canary the stub knows ($made)" test "$made" -eq 29
n=0
for p in $PROVIDERS; do
	job "$p" ok && job "$p" bad && job "$p" forbidden && job "$p" limited 3 && job "$p" down 2 && n=$((n + 5))
done
job sendgrid redirect && job sendgrid big && job sendgrid hour 3 && job sendgrid revoked && n=$((n + 4))
check "29 verify jobs queued ($n)" test "$n" -eq 29
api DELETE "/credentials/${CRED[sendgrid.revoked]}" >/dev/null
check "one of them names a credential revoked after the job was queued" test "$(st)" = 200

# ---- the brokers run them ----------------------------------------------------------------
"$BROKER" outreach --config "$T/out.conf" >"$T/out.log" 2>&1 & OPID=$!; bg_track $OPID
"$BROKER" monitor --config "$T/mon.conf" >"$T/mon.log" 2>&1 & MPID=$!; bg_track $MPID
# settled: every job in its end state (the 429s stay queued behind their Retry-After).
settled() {
	local all
	all=$(api GET /jobs) || return 1
	jq -e '[.jobs[] | select(.state == "claimed" or (.state == "queued" and .attempts == 0)
		or (.state == "queued" and .error != null and (.error | test("500"))))] | length == 0' \
		<<<"$all" >/dev/null
}
for _ in $(seq 120); do settled && break; sleep 0.5; done
check "all jobs settled within 60 s" settled
jget() { api GET "/jobs/${JOBS[$1]}" | jq -c .job; }
kc() { local c=${SECRET[$1.$2]}; [ "$1" = twilio ] && c="$SID:$c"; stub_count ".key == \"$(stub_kid "$c")\" and .problems == []"; }
for p in $PROVIDERS; do
	j=$(jget "$p.ok")
	check "$p ok: done, result {ok: true, status: 200, latency_ms}" jq -e \
		'.state == "done" and .result.ok == true and .result.status == 200 and (.result.latency_ms | type == "number")' <<<"$j"
	j=$(jget "$p.bad")
	check "$p 401: done, result {ok: false, status: 401}" jq -e \
		'.state == "done" and .result.ok == false and .result.status == 401' <<<"$j"
	j=$(jget "$p.forbidden")
	check "$p 403: done, result {ok: false, status: 403}" jq -e \
		'.state == "done" and .result.ok == false and .result.status == 403' <<<"$j"
	j=$(jget "$p.limited")
	check "$p 429: queued again after 1 attempt, not before Retry-After (120 s: it stays out of the later runs)" jq -e \
		'.state == "queued" and .attempts == 1 and (.error | test("429")) and
		 ((.not_before | sub("\\.[0-9]+Z$"; "Z") | fromdate) - (.updated_at | sub("\\.[0-9]+Z$"; "Z") | fromdate) >= 119)' <<<"$j" ||
		echo "# $j"
	j=$(jget "$p.down")
	check "$p 500: retried, then dead after its 2 attempts" jq -e \
		'.state == "dead" and .attempts == 2 and (.error | test("500"))' <<<"$j" || echo "# $j"
done
j=$(jget sendgrid.redirect)
check "sendgrid 302: dead at once (a redirect is refused, not retried)" jq -e \
	'.state == "dead" and .attempts == 1 and (.error | test("redirect"))' <<<"$j" || echo "# $j"
j=$(jget sendgrid.big)
check "sendgrid oversized answer: dead at once" jq -e \
	'.state == "dead" and (.error | test("larger than"))' <<<"$j" || echo "# $j"
j=$(jget sendgrid.revoked)
check "a revoked credential: the lease is refused (credential_revoked), the job dead at once" jq -e \
	'.state == "dead" and .attempts == 1 and (.error | test("credential_revoked"))' <<<"$j" || echo "# $j"
check "and nothing was sent to the provider with it" test "$(kc sendgrid revoked)" -eq 0
j=$(jget sendgrid.hour)
check "sendgrid 429 with Retry-After: 3600: the broker asks for the vault's longest backoff (300 s)" jq -e \
	'.state == "queued" and ((.not_before | sub("\\.[0-9]+Z$"; "Z") | fromdate) - (.updated_at | sub("\\.[0-9]+Z$"; "Z") | fromdate) >= 299)' <<<"$j" ||
	echo "# $j"
al=$(api GET '/alerts?state=open')
check "each dead job raised a job_dead alert (7)" \
	test "$(jq '[.alerts[] | select(.kind == "job_dead")] | length' <<<"$al")" -ge 7

# The stub saw each credential in its provider's exact form, as often as expected.
for p in $PROVIDERS; do
	check "$p: the stub got the ok, 401, 403 and 429 credentials once each, the 500 twice" \
		test "$(kc $p ok)$(kc $p bad)$(kc $p forbidden)$(kc $p limited)$(kc $p down)" = 11112
done
check "the stub logged no malformed request (wrong path, method, auth form, unknown key)" \
	test "$(stub_count '.problems != []')" -eq 0
check "the redirect's target was never requested" test "$(stub_count '.path == "/elsewhere"')" -eq 0
check "outreach took only outreach services, monitor only stripe and openai" \
	bash -c "! grep -qE 'claimed \(verify (stripe|openai)' '$T/out.log' && ! grep -qE 'claimed \(verify (sendgrid|twilio|mailgun)' '$T/mon.log'"
lst=$(api GET /leases)
check "no lease is left active (each ended after its call)" \
	test "$(jq '[.leases[]? | select(.state == "active" or .active == true)] | length' <<<"$lst")" -eq 0

# ---- the secrets went nowhere ------------------------------------------------------------
leaks=0
while read -r c; do
	for f in "$T/out.log" "$T/mon.log" "$T/vault.log" "$STUB_LOG"; do
		[ "$(count_in "$c" "$f")" -eq 0 ] || { leaks=$((leaks + 1)); echo "# ${c:0:12}... in $f"; }
	done
done <"$T/canaries"
check "no secret in either broker's log, the vault's log or the stub's log" test "$leaks" -eq 0
audit_fetch "$T/audit.json" >/dev/null
check "the audit trail was read" test -s "$T/audit.json"
hits=0; while read -r c; do [ "$(count_in "$c" "$T/audit.json")" -eq 0 ] || hits=$((hits + 1)); done <"$T/canaries"
check "no secret in the audit trail" test "$hits" -eq 0
check "the audit trail records the leases (one per provider call at least: 32)" \
	test "$(jq '[.[] | select(.resource | test("^/leases|^credentials/|^/credentials/")) | select(.action | test("lease"))] | length' "$T/audit.json")" -ge 32
if [ "$ME" -eq 0 ]; then
	for b in OPID MPID; do
		out=$("$MEMSCAN" "${SCAN_OPTS[@]}" "${!b}" "$T/canaries" 2>&1); rc=$?
		printf '%s\n' "$out" | tail -1 | sed "s/^/# $b: /"
		check "no secret in the memory of the ${b%PID} broker between jobs (memscan rc $rc)" test "$rc" -eq 0
	done
	printf '%s\n' "$OUT" >"$T/control"
	"$MEMSCAN" "${SCAN_OPTS[@]}" "$OPID" "$T/control" >/dev/null 2>&1; rc=$?
	check "control: memscan finds what the broker does hold (its own token)" test "$rc" -eq 1
else
	ok "memory scan skipped: memscan reads /proc/PID/mem of an undumpable process as root only"
fi
kill -TERM $OPID $MPID
wait $OPID; r1=$?; wait $MPID; r2=$?
check "SIGTERM: both brokers exit 0 ($r1 $r2)" test "$r1$r2" = 00
check "SIGTERM: each says once that it stopped" \
	test "$(grep -c stopping "$T/out.log")$(grep -c stopping "$T/mon.log")" = 11

# ---- a call longer than the visibility timeout: heartbeats keep the claim -------------------
cred sendgrid slow slow 6 && job sendgrid slow
# This broker runs under strace: its system calls are checked against the unit's filter below.
if command -v strace >/dev/null; then
	strace -f -qq -o "$T/btrace" "$BROKER" outreach --config "$T/out.conf" >"$T/hb1.log" 2>&1 &
	SP=$!; bg_track $SP
	for _ in $(seq 40); do H1=$(pgrep -P $SP | head -1); [ -n "$H1" ] && break; sleep 0.1; done
else
	"$BROKER" outreach --config "$T/out.conf" >"$T/hb1.log" 2>&1 & H1=$!; SP=$H1
fi
bg_track $H1
for _ in $(seq 40); do grep -q "${JOBS[sendgrid.slow]}: claimed" "$T/hb1.log" && break; sleep 0.25; done
check "the first broker claimed it" grep -q "${JOBS[sendgrid.slow]}: claimed (verify sendgrid, attempt 1)" "$T/hb1.log"
"$BROKER" outreach --config "$T/out.conf" >"$T/hb2.log" 2>&1 & H2=$!; bg_track $H2
for _ in $(seq 60); do [ "$(jget sendgrid.slow | jq -r .state)" = done ] && break; sleep 0.25; done
j=$(jget sendgrid.slow)
check "a 6 s call with a $VIS s visibility timeout: done, ok, one attempt" \
	jq -e '.state == "done" and .result.ok == true and .attempts == 1' <<<"$j" || echo "# $j"
check "the broker sent heartbeats during the call" grep -q 'heartbeat sent' "$T/hb1.log"
check "the second broker never got the job" bash -c "! grep -q '${JOBS[sendgrid.slow]}' '$T/hb2.log'"
check "the stub was called once for it" \
	test "$(stub_count ".key == \"$(stub_kid "${SECRET[sendgrid.slow]}")\"")" -eq 1
kill -TERM $H1 $H2; wait $SP $H2 2>/dev/null

# The unit's SystemCallFilter= (systemd/bos-broker@.service) allows every call
# bos-broker made, start-up (before its own filter) included.
expand() {   # expand NAME...: syscall names, groups resolved recursively
	local n
	for n in "$@"; do
		case $n in
		@*) expand $(systemd-analyze syscall-filter "$n" 2>/dev/null |
			sed -n '2,$p' | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$') ;;
		*) echo "$n" ;;
		esac
	done
}
if [ -s "$T/btrace" ] && command -v systemd-analyze >/dev/null; then
	: >"$T/allowed"
	while read -r line; do
		v=${line#SystemCallFilter=}
		if [[ $v == '~'* ]]; then
			expand ${v#\~} | sort -u >"$T/deny"
			sort -u "$T/allowed" | comm -23 - "$T/deny" >"$T/a2" && mv "$T/a2" "$T/allowed"
		else
			expand $v >>"$T/allowed"
		fi
	done < <(grep '^SystemCallFilter=' systemd/bos-broker@.service)
	sort -u -o "$T/allowed" "$T/allowed"
	awk '/execve\(".*bos-broker"/ && / = 0$/ { on = 1 } on' "$T/btrace" |
		sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' | sort -u >"$T/used"
	echo "# $(wc -l <"$T/used") distinct system calls used by bos-broker"
	bad=$(comm -23 "$T/used" "$T/allowed" | tr '\n' ' ')
	[ -z "$bad" ] || echo "# not allowed by the unit: $bad"
	check "every system call bos-broker made is allowed by bos-broker@.service" test -z "$bad"
	w=$(grep -E 'open(at)?\(.*(O_WRONLY|O_RDWR|O_CREAT)' "$T/btrace" | head -3)
	[ -z "$w" ] || echo "$w" | sed 's/^/# /'
	check "bos-broker opened no file for writing (ProtectSystem=strict, its own filter)" test -z "$w"
	fams=$(grep -o 'socket(AF_[A-Z0-9]*' "$T/btrace" | sort -u | sed 's/socket(//' | tr '\n' ' ')
	echo "# socket families created: $fams"
	check "only AF_UNIX, AF_INET and AF_INET6 sockets (RestrictAddressFamilies=)" \
		test -z "$(tr ' ' '\n' <<<"$fams" | grep -v -e '^$' -e '^AF_UNIX$' -e '^AF_INET6\?$')"
	check "and the calls were traced (control: AF_UNIX to the vault, AF_INET to the stub)" \
		bash -c "grep -q 'socket(AF_UNIX' '$T/btrace' && grep -q 'socket(AF_INET' '$T/btrace'"
else
	ok "system call check skipped: strace or systemd-analyze missing"
fi

# ---- SIGKILL in the middle of a call: claimed again after the visibility timeout ---------------
cred mailgun killed slow 4 && job mailgun killed
"$BROKER" outreach --config "$T/out.conf" --once >"$T/k1.log" 2>&1 & K1=$!; bg_track $K1
for _ in $(seq 40); do grep -q "${JOBS[mailgun.killed]}: claimed" "$T/k1.log" && break; sleep 0.25; done
check "the first broker claimed it (attempt 1)" \
	grep -q "${JOBS[mailgun.killed]}: claimed (verify mailgun, attempt 1)" "$T/k1.log"
sleep 1
kill -9 $K1; wait $K1 2>/dev/null
check "the first broker was killed mid-call (job claimed, no result)" \
	jq -e '.state == "claimed" and .result == null' <<<"$(jget mailgun.killed)"
"$BROKER" outreach --config "$T/out.conf" >"$T/k2.log" 2>&1 & K2=$!; bg_track $K2
for _ in $(seq 80); do [ "$(jget mailgun.killed | jq -r .state)" = done ] && break; sleep 0.25; done
j=$(jget mailgun.killed)
check "claimed again after the visibility timeout and completed: done, ok, attempt 2" \
	jq -e '.state == "done" and .result.ok == true and .attempts == 2' <<<"$j" || echo "# $j"
check "the second broker took it only once the claim had expired" \
	grep -q "job ${JOBS[mailgun.killed]}: claimed (verify mailgun, attempt 2)" "$T/k2.log"
sleep 3
kc2=$(stub_count ".key == \"$(stub_kid "${SECRET[mailgun.killed]}")\"")
check "completed exactly once: the stub was called twice (killed call, retry), not again ($kc2)" \
	test "$kc2" -eq 2
check "the job was finished once (one 'ok=true' line for it)" \
	test "$(grep -c "job ${JOBS[mailgun.killed]}: mailgun: ok=true" "$T/k2.log")" -eq 1
kill -TERM $K2; wait $K2; rc=$?
check "SIGTERM after the jobs: exit 0 ($rc)" test "$rc" -eq 0
leaks=0
while read -r c; do
	for f in "$T"/hb*.log "$T"/k*.log "$T/vault.log"; do
		[ "$(count_in "$c" "$f")" -eq 0 ] || leaks=$((leaks + 1))
	done
done <"$T/canaries"
check "no secret in the logs of the later brokers or the vault" test "$leaks" -eq 0
finish
