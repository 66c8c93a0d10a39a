#!/bin/bash
# Memory hygiene (SECURITY.md "Memory and process", docs/MEMORY.md):
#  1. canary secrets written and read through the API (POST, PUT, GET as the
#     admin and with a helper token; the admin's password, session and helper
#     tokens too) are nowhere in the memory of the vault or its bos-hsmd once
#     the requests have finished (tests/tools/memscan, as root);
#  2. as the same (unprivileged) uid, reading /proc/PID/mem and attaching
#     with ptrace both fail for the vault and bos-hsmd, and both work on an
#     ordinary process of that uid (the control);
#  3. SIGABRT leaves no core file, where an ordinary process of the same
#     environment does leave one (the control).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

MEMSCAN=$BOS_TESTBIN/memscan
PTRACE_PROBE=$BOS_TESTBIN/ptrace_probe
SCAN_OPTS=()
# Under AddressSanitizer its allocator owns free() (so ours, which wipes, is left out:
# common/secmem.c) and keeps freed blocks in a quarantine. Asked to, it scrubs them
# (max_free_fill_size), which stands in for our wipe; the scan then still checks
# everything else: live memory, stacks, libmicrohttpd's buffers. Its terabytes of
# shadow memory hold no data and are skipped (-s).
if ldd "$VAULTD" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_free_fill_size=2147483647:free_fill_byte=0"
	SCAN_OPTS=(-s 4096)
	echo "# AddressSanitizer build: freed blocks scrubbed by ASan; shadow memory skipped"
fi

luhn_pan() { # random Luhn-valid 16-digit number starting with 4
	awk -v seed="$RANDOM$RANDOM" 'BEGIN { srand(seed); n = 16; s = "4";
		for (i = 2; i < n; i++) s = s int(rand() * 10);
		sum = 0; dbl = 1;
		for (i = n - 1; i >= 1; i--) { d = substr(s, i, 1) + 0; if (dbl) { d *= 2; if (d > 9) d -= 9 }
			sum += d; dbl = !dbl }
		print s ((10 - sum % 10) % 10) }'
}

# hreq METHOD PATH TOKEN [BODY]: a request with another bearer token; prints the status.
hreq() {
	local m=$1 p=$2 tok=$3 body=${4:-}
	local a=(-s -o "$T/h.json" -w '%{http_code}' --cacert "$S/tls/cert.pem" -X "$m" -H "Authorization: Bearer $tok")
	[ -n "$body" ] && a+=(-H 'Content-Type: application/json' --data-binary "$body")
	curl "${a[@]}" "$URL$p"
}

# scan NAME PID: memscan PID for every canary; ok when none is found.
scan() {
	local name=$1 pid=$2 out rc
	out=$("$MEMSCAN" "${SCAN_OPTS[@]}" "$pid" "$T/canaries" 2>&1); rc=$?
	printf '%s\n' "$out" | sed "s/^/# $name: /"
	if [ "$rc" -eq 0 ]; then ok "$name: no canary in memory ($(tail -1 <<<"$out" | sed 's/.*canaries, //'))"
	else notok "$name: canaries in memory (memscan exit $rc)"; fi
}

# ---- 1. canaries through the API, then a scan of both processes ----------------------
PW="correct horse battery $(canary pw)"
api_up "$T/s" "broker_uid_outreach = $(id -u)" >/dev/null 2>&1 || { notok "vault starts"; finish; }
check "admin created and signed in" admin_setup alice "$PW"
K1=$(canary key1); K2=$(canary key2); P1=$(canary pass); PAN=$(luhn_pan)
ID_K=$(api POST /credentials "{\"name\":\"k\",\"type\":\"api_key\",\"service\":\"mem\",\"secret\":\"$K1\"}" | jq -r .id)
check "POST api_key: 201" test "$(st)" = 201
ID_P=$(api POST /credentials "{\"name\":\"p\",\"type\":\"password\",\"service\":\"mem\",\"secret\":\"$P1\"}" | jq -r .id)
check "POST password: 201" test "$(st)" = 201
ID_C=$(api POST /credentials "{\"name\":\"c\",\"type\":\"card\",\"service\":\"mem\",\"secret\":\"$PAN\"}" | jq -r .id)
check "POST card: 201" test "$(st)" = 201
api PUT "/credentials/$ID_K" "{\"secret\":\"$K2\"}" >/dev/null
check "PUT api_key: 200" test "$(st)" = 200
check "admin GET api_key v2" test "$(api GET "/credentials/$ID_K" | jq -r .secret)" = "$K2"
check "admin GET api_key v1" test "$(api GET "/credentials/$ID_K?version=1" | jq -r .secret)" = "$K1"
check "admin GET password" test "$(api GET "/credentials/$ID_P" | jq -r .secret)" = "$P1"
check "admin GET card" test "$(api GET "/credentials/$ID_C" | jq -r .secret)" = "$PAN"
H=$(api POST /helpers '{"name":"Mem Helper","contact":"mem@example.com","kind":"setup"}' | jq -r .id)
HTOK=$(api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"$ID_K\",\"$ID_C\"],\"actions\":[\"read\",\"update\"],\"ttl\":600}" | jq -r .token)
check "a helper token was granted" grep -qE '^bos_h_' <<<"$HTOK"
K3=$(canary key3)
check "helper PUT api_key: 200" test "$(hreq PUT "/credentials/$ID_K" "$HTOK" "{\"secret\":\"$K3\"}")" = 200
check "helper GET api_key: 200" test "$(hreq GET "/credentials/$ID_K" "$HTOK")" = 200
check "helper read the right secret" test "$(jq -r .secret "$T/h.json")" = "$K3"
check "helper GET card: 200" test "$(hreq GET "/credentials/$ID_C" "$HTOK")" = 200
# The same over the unix socket (plain HTTP, no TLS), keep-alive, several requests a connection.
K4=$(canary key4)
curl -s --unix-socket "$S/vault.sock" -H "Authorization: Bearer $SESSION" -H 'Content-Type: application/json' \
	-X PUT --data-binary "{\"secret\":\"$K4\"}" "http://vault/credentials/$ID_P" -o /dev/null \
	--next --unix-socket "$S/vault.sock" -H "Authorization: Bearer $SESSION" \
	"http://vault/credentials/$ID_P" -o "$T/u.json"
check "PUT then GET over the unix socket" test "$(jq -r .secret "$T/u.json")" = "$K4"
# A broker's lease (issue #14): the secret leaves in a lease's answer, the broker token in
# every broker request (both over the unix socket).
K5=$(canary key5)
api POST /credentials "{\"name\":\"sg\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$K5\"}" >/dev/null
BTOK=$(api POST /brokers '{"role":"outreach"}' | jq -r .token)
JOB=$(api POST /jobs '{"kind":"verify","service":"sendgrid"}' | jq -r .job.id)
bsock() { curl -s --unix-socket "$S/vault.sock" -H "Authorization: Bearer $BTOK" -H 'Content-Type: application/json' "$@"; }
bsock --data-binary '{"kinds":["verify"],"wait":0}' http://vault/jobs/claim -o "$T/claim.json"
bsock --data-binary "{\"credential\":\"sg\",\"purpose\":\"mem\",\"job\":\"$JOB\"}" http://vault/leases -o "$T/lease.json"
check "a broker leased the canary for its claimed job" test "$(jq -r .secret "$T/lease.json")" = "$K5"
rm -f "$T/claim.json" "$T/lease.json"
# Refused requests that carry secrets: the error paths must wipe too.
BAD=$(canary bad1); CVV=$(canary cvv1); UNK=$(canary unk1); TOKX=bos_s_$(canary tok)
api POST /credentials "{\"name\":\"x\",\"type\":\"api_key\",\"service\":\"mem\",\"secret\":\"$BAD\"" >/dev/null
check "malformed JSON with a secret: 400" test "$(st)" = 400
api POST /credentials "{\"name\":\"y\",\"type\":\"api_key\",\"service\":\"mem\",\"secret\":\"$UNK\",\"extra\":1}" >/dev/null
check "unknown field with a secret: 400" test "$(st)" = 400
api POST /credentials "{\"name\":\"z\",\"type\":\"card\",\"service\":\"mem\",\"secret\":\"$PAN\",\"metadata\":{\"cvv\":\"$CVV\"}}" >/dev/null
check "a CVV with a secret: 400" test "$(st)" = 400
check "a wrong bearer token: 401" test "$(hreq GET "/credentials/$ID_K" "$TOKX")" = 401
WPW="wrong $(canary wpw)"
vcurl -o /dev/null -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"alice\",\"password\":\"$WPW\",\"totp\":\"000000\"}" "$URL/auth/login"
# Reads in bulk, on one kept-alive TLS connection and on many.
args=()
for i in $(seq 20); do args+=(--next --cacert "$S/tls/cert.pem" -s -o /dev/null -H "Authorization: Bearer $SESSION" "$URL/credentials/$ID_C"); done
curl "${args[@]:1}"
for i in $(seq 10); do hreq GET "/credentials/$ID_K" "$HTOK" >/dev/null; done
# A request cut off in its body: libmicrohttpd frees its connection's memory (the raw
# headers and body) without the wipe it does after a complete request.
CUT=$(canary cut1)
{ printf 'POST /credentials HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n' "$SESSION"
  printf 'Content-Type: application/json\r\nContent-Length: 400\r\n\r\n'
  printf '{"name":"cut","type":"api_key","service":"mem","secret":"%s"' "$CUT"; sleep 1; } |
	openssl s_client -quiet -no_ign_eof -connect "127.0.0.1:$PORT" -CAfile "$S/tls/cert.pem" \
	>/dev/null 2>&1
rm -f "$T/h.json" "$T/api.body" "$T/u.json"
# The session and helper tokens are still valid: the vault keeps only their hashes. The
# HSM PINs are wiped once bos-hsmd has logged in; the TLS key's PEM text once
# libmicrohttpd has loaded it (its first base64 line stands for it).
printf '%s\n' "$K1" "$K2" "$K3" "$K4" "$P1" "$PAN" "$PW" "$SESSION" "$HTOK" "$BAD" "$CVV" "$UNK" \
	"$TOKX" "$WPW" "$CUT" "$K5" "$BTOK" >"$T/canaries"
for f in hsm-pin hsm-so-pin; do tr -d '\n' <"$S/$f"; echo; done >>"$T/canaries"
sed -n 2p "$S/tls/key.pem" >>"$T/canaries"
check "canaries written" test "$(grep -c . "$T/canaries")" -eq 20

VH=$(hsmd_pid_of "$VPID")
check "bos-hsmd runs" test -n "$VH"
# Every client has exited; give libmicrohttpd a moment to end the connection threads.
sleep 1
check "the cut-off request ended without a response" \
	grep -q 'route=cred_create status=0 .*end=' "$T/vault.log"
scan bos-vaultd "$VPID"
scan bos-hsmd "$VH"
# The control: the scanner does see the vault's memory (its state directory path is there).
printf '%s\n' "$S/vault.sock" >"$T/present"
check "control: memscan finds a string the vault does hold" \
	bash -c "'$MEMSCAN' ${SCAN_OPTS[*]} '$VPID' '$T/present'; test \$? -eq 1"
kill -TERM "$VPID"; wait "$VPID" 2>/dev/null

# ---- 2. the same uid can neither read the memory nor attach ------------------------
# As root the kernel lets anyone in (CAP_SYS_PTRACE), so the vault runs as nobody here.
U=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
others_can_run || notok "copies of the programs that nobody can run"
install -d -o nobody -g nogroup -m 0700 "$T/u"
check "bos-vaultd init --dev as nobody" "${U[@]}" env HOME="$T/u" "$VAULTD" init --state-dir "$T/u/s" --dev
UPORT=$(free_port)
echo "listen = 127.0.0.1:$UPORT" >>"$T/u/s/bos.conf"
# Started with core dumps allowed, in a directory it may write: only the vault's own
# settings can keep a core file out of it (part 3). Sets UV (vault) and UH (bos-hsmd).
start_uvault() {
	(cd "$T/u" && ulimit -c unlimited && exec "${U[@]}" env HOME="$T/u" "$VAULTD" --state-dir "$T/u/s") \
		>"$T/uvault.log" 2>&1 &
	UV=$!
	bg_track "$UV"
	wait_ready "$T/uvault.log" "$UV"
	UH=$(hsmd_pid_of "$UV")
}
start_uvault
check "the vault runs as nobody" test "$(stat -c %U "/proc/$UV")" = nobody
check "its bos-hsmd runs as nobody" test -n "$UH" -a "$(stat -c %U "/proc/${UH:-0}")" = nobody
for p in "$UV" "${UH:-0}"; do
	check "pid $p works in $T/u, where a core file would go" test "$(readlink "/proc/$p/cwd")" = "$T/u"
done
for p in "$UV:bos-vaultd" "${UH:-0}:bos-hsmd"; do
	out=$("${U[@]}" "$PTRACE_PROBE" "${p%%:*}" 2>&1); rc=$?
	printf '%s\n' "$out" | sed "s/^/# ${p#*:}: /"
	check "${p#*:}: same uid cannot read /proc/PID/mem nor attach with ptrace" test "$rc" -eq 0
	check "${p#*:}: core file size limit is 0" \
		bash -c "grep -E '^Max core file size +0 +0 ' /proc/${p%%:*}/limits"
done
(cd "$T/u" && ulimit -c unlimited && exec "${U[@]}" sleep 60) &
CTL=$!
bg_track "$CTL"
sleep 0.2
out=$("${U[@]}" "$PTRACE_PROBE" "$CTL" 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/# control: /'
check "control: the same uid reads and attaches to an ordinary process" test "$rc" -eq 1

# ---- 3. SIGABRT leaves no core file ---------------------------------------------
pattern=$(cat /proc/sys/kernel/core_pattern)
kill -ABRT "$CTL"; wait "$CTL" 2>/dev/null
sleep 0.5
if [[ "$pattern" == \|* || "$pattern" == /* ]]; then
	# Cores go to a program or another directory: only the limits above can be checked.
	echo "# core_pattern is '$pattern': core files are not written to the cwd; limits checked only"
else
	check "control: SIGABRT leaves a core file for an ordinary process" \
		bash -c "ls '$T/u' | grep -q '^core'"
	rm -f "$T"/u/core*
fi
# bos-hsmd first (the vault then stops: it does not run without it), then a vault of its own.
check "bos-hsmd found" test -n "$UH"
if [ -n "$UH" ]; then kill -ABRT "$UH"; else kill -TERM "$UV"; fi
wait "$UV" 2>/dev/null
sleep 0.5
check "bos-hsmd is gone after SIGABRT" bash -c "test -n '$UH' && ! kill -0 '$UH' 2>/dev/null"
check "SIGABRT to bos-hsmd left no core file (cwd $T/u)" bash -c "! ls '$T/u' | grep -q '^core'"
start_uvault
check "the vault runs again as nobody" kill -0 "$UV"
kill -ABRT "$UV"; wait "$UV" 2>/dev/null; rc=$?
sleep 0.5
check "the vault died of SIGABRT (status $rc)" test "$rc" -eq 134
check "SIGABRT to the vault left no core file (cwd $T/u)" bash -c "! ls '$T/u' | grep -q '^core'"
finish
