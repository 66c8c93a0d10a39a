#!/bin/bash
# make bench (docs/PERFORMANCE.md): measure, in one run and on this machine,
# the limits of each stage a request goes through (SoftHSM unwrap, a durable
# 200-byte append, a do-nothing HTTPS server with the vault's options, one
# argon2id verification) and the vault itself (helper reads, admin writes,
# sign-ins, latency at half the read rate, RSS with 100,000 credentials,
# start-up time), then print each figure next to its limit and target and
# write the same as JSON to bench/results.json.
#
# Uses only the HTTP API and the "ready:" log line, never the vault's
# internals. Everything lives in a fresh temporary directory, removed on
# exit with every daemon this script started. A load run with any socket
# error or any error answer fails the whole run instead of giving a rate.
#
# Environment (defaults in brackets):
#   BOS_BIN [build/bin]  BOS_BENCHBIN [$BOS_BIN/../bench]
#   BENCH_OUT [bench/results.json]
#   BENCH_SECONDS [8]        length of each closed-loop wrk run
#   BENCH_WRK_THREADS [2]    wrk threads;  BENCH_CONNS [32] wrk connections
#   BENCH_OL_SECONDS [10]    open-loop run; BENCH_OL_CONNS [16] its connections
#   BENCH_CREDS [100000]     credentials stored before RSS is read
#   BENCH_STARTS [5]         start-ups timed
#   BENCH_STRICT [0]         1: exit 3 when a target is missed
#   BENCH_ONLY []            outreach: only the HTTPS hello and the outreach rows
#                            (bench/outreach.sh), merged into an existing BENCH_OUT
#   BENCH_OUTREACH_MSGS [500] BENCH_OUTREACH_PLAIN [100] BENCH_OUTREACH_BATCHES [100]
#   BENCH_OUTREACH_CONNS [4]  (bench/outreach.sh)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
abspath() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BOS_BIN=$(abspath "${BOS_BIN:-build/bin}")
BENCHBIN=$(abspath "${BOS_BENCHBIN:-$(dirname "$BOS_BIN")/bench}")
OUT=$(abspath "${BENCH_OUT:-bench/results.json}")
DUR=${BENCH_SECONDS:-8}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
CONNS=${BENCH_CONNS:-32}
OL_SECONDS=${BENCH_OL_SECONDS:-10}
OL_CONNS=${BENCH_OL_CONNS:-16}
NCREDS=${BENCH_CREDS:-100000}
STARTS=${BENCH_STARTS:-5}
LEASE_SECONDS=${BENCH_LEASE_SECONDS:-4}
STRICT=${BENCH_STRICT:-0}
ONLY=${BENCH_ONLY:-}
case $ONLY in "" | outreach) ;; *) echo "bench: BENCH_ONLY is empty or outreach" >&2; exit 2 ;; esac
core() { [ -z "$ONLY" ]; }
LUA=$ROOT/bench/wrk.lua
SOFTHSM_MODULE=${BENCH_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
# The vault serves at most conn_per_ip_limit (default 64) connections per
# client address, and every loopback client shares one: stay under it.
[ "$CONNS" -le 64 ] && [ "$OL_CONNS" -le 64 ] ||
	{ echo "bench: BENCH_CONNS and BENCH_OL_CONNS must be <= 64" >&2; exit 2; }

for p in bos-vaultd bos-hsmd bosctl bos-broker; do
	[ -x "$BOS_BIN/$p" ] || { echo "bench: $BOS_BIN/$p missing (make all)" >&2; exit 2; }
done
for p in p11_unwrap fsync_append hello_https openloop argon2_verify startup lease_rate; do
	[ -x "$BENCHBIN/$p" ] || { echo "bench: $BENCHBIN/$p missing" >&2; exit 2; }
done
for p in wrk jq curl oathtool softhsm2-util openssl node /usr/bin/python3; do
	command -v "$p" >/dev/null || { echo "bench: $p not installed (make deps)" >&2; exit 2; }
done

T=$(mktemp -d /tmp/bos-bench.XXXXXX)
S=$T/vault
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PIDS; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

START_S=$(date +%s.%N)
say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }
track() { PIDS="$PIDS $1"; }
elapsed() { awk -v s="$START_S" -v n="$(date +%s.%N)" 'BEGIN { printf "%.0f", n - s }'; }

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# wait_line FILE PID: until FILE has a "ready:" line; fails if PID dies or after 30 s.
wait_line() {
	for _ in $(seq 600); do
		grep -q 'ready:' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# run_wrk NAME THREADS CONNS SECONDS URL [wrk options]: the BENCH_* variables
# for bench/wrk.lua come from the caller's environment. Leaves $T/NAME.json.
run_wrk() {
	local name=$1 th=$2 c=$3 d=$4 url=$5 bad; shift 5
	wrk -t"$th" -c"$c" -d"$d"s "$@" -s "$LUA" "$url" >"$T/$name.wrk" 2>&1 ||
		die "wrk ($name) failed: $(tail -3 "$T/$name.wrk")"
	sed -n 's/^BENCHJSON //p' "$T/$name.wrk" >"$T/$name.json"
	[ -s "$T/$name.json" ] || die "wrk ($name) printed no summary: $(tail -3 "$T/$name.wrk")"
	bad=$(jq '.connect_errors + .read_errors + .write_errors + .non2xx + .timeouts' "$T/$name.json")
	[ "$bad" -eq 0 ] || die "$name: $bad socket errors, timeouts or error answers, so no rate \
is reported: $(cat "$T/$name.json")"
	[ "$(jq .requests "$T/$name.json")" -gt 0 ] || die "$name: no request completed"
	say "$name: $(jq -r '"\(.rate|floor)/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms"' "$T/$name.json")"
}

# api METHOD PATH [BODY]: HTTPS call with the admin session; body on stdout,
# fails unless 2xx.
api() {
	local code args=(-sS --cacert "$S/tls/cert.pem" --max-time 60 -X "$1" -o "$T/api.out"
		-w '%{http_code}' -H @"$T/admin.hdr")
	[ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' --data-binary "$3")
	code=$(curl "${args[@]}" "$URL$2") || die "$1 $2: curl failed"
	[ "${code:0:1}" = 2 ] || die "$1 $2: HTTP $code $(cat "$T/api.out")"
	cat "$T/api.out"
}

kib_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

say "temporary directory $T; $(nproc) CPUs; wrk -t$WRK_THREADS -c$CONNS, ${DUR}s per run"

# ---- a development vault (not started yet: its certificate serves the hello server) ----
umask 077
"$BOS_BIN/bos-vaultd" init --state-dir "$S" --dev >/dev/null || die "bos-vaultd init"
PORT=$(free_port) || die "no free port"
URL=https://127.0.0.1:$PORT
echo "listen = 127.0.0.1:$PORT" >>"$S/bos.conf"
# A broker of role outreach signs in from this uid (the lease row).
echo "broker_uid_outreach = $(id -u)" >>"$S/bos.conf"
# Outreach email needs these two (docs/OUTREACH.md); nothing is reachable there.
printf 'outreach_postal_address = %s\noutreach_public_url = %s\n' \
	"Acme Corp, 1 Main Street, Springfield 12345" "https://bos.example.test" >>"$S/bos.conf"

# ---- limits -----------------------------------------------------------------------
if core; then
mkdir -p "$T/hsm/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$T/hsm/tokens" >"$T/hsm/softhsm2.conf"
HSM_PIN=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
SOFTHSM2_CONF=$T/hsm/softhsm2.conf softhsm2-util --init-token --free --label bos-bench \
	--pin "$HSM_PIN" --so-pin "$HSM_PIN" >/dev/null || die "softhsm2-util --init-token"
say "SoftHSM unwrap (fresh token, KEK template, AES-GCM 32-byte DEK + AAD), 3 s x 1 and 2 threads"
SOFTHSM2_CONF=$T/hsm/softhsm2.conf "$BENCHBIN/p11_unwrap" "$SOFTHSM_MODULE" bos-bench \
	"$HSM_PIN" 3 >"$T/hsm.json" || die "p11_unwrap"
say "append 200 B + fdatasync in $T, 3 s"
"$BENCHBIN/fsync_append" "$T/fsync.dat" 3 >"$T/fsync1.json" || die "fsync_append"
rm -f "$T/fsync.dat"
say "argon2id verification, vault parameters, 5 runs"
"$BENCHBIN/argon2_verify" 5 >"$T/argon2.json" || die "argon2_verify"
fi

# The hello server gets the very request the vault reads get (same script,
# same header, same path shape), from the same wrk threads and connections.
HPORT=$(free_port) || die "no free port"
"$BENCHBIN/hello_https" "$HPORT" "$S/tls/cert.pem" "$S/tls/key.pem" >"$T/hello.log" 2>&1 &
HPID=$!
track "$HPID"
wait_line "$T/hello.log" "$HPID" || die "hello_https did not start: $(cat "$T/hello.log")"
echo "bos_h_notatoken" >"$T/hello.token"
say "HTTPS hello (libmicrohttpd, vault options), wrk ${DUR}s"
BENCH_MODE=read BENCH_PATH=/credentials/cr_aaaaaaaaaaaaaaaaaaaaaaaaaa BENCH_TOKEN_FILE=$T/hello.token \
	run_wrk hello "$WRK_THREADS" "$CONNS" "$DUR" "https://127.0.0.1:$HPORT"
kill -TERM "$HPID"; wait "$HPID" 2>/dev/null || true

# ---- the vault ----------------------------------------------------------------------
"$BOS_BIN/bos-vaultd" --state-dir "$S" >"$T/vault.log" 2>&1 &
VPID=$!
track "$VPID"
wait_line "$T/vault.log" "$VPID" || die "bos-vaultd did not start: $(tail -5 "$T/vault.log")"
HSMD_PID=$(pgrep -P "$VPID" -f bos-hsmd | head -1 || true)
[ -n "$HSMD_PID" ] && track "$HSMD_PID"

say "setting up: admin, credential, helper, grant"
PW="bench password $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
out=$(curl -sS --unix-socket "$S/vault.sock" -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"bench\",\"password\":\"$PW\"}" http://vault/admins) ||
	die "POST /admins over the unix socket"
TOTP_SECRET=$(jq -r .totp_secret <<<"$out")
[ -n "$TOTP_SECRET" ] && [ "$TOTP_SECRET" != null ] || die "POST /admins: $out"
printf '{"name":"bench","password":"%s"}' "$PW" >"$T/login.json"
# The previous step's code: still inside the window, and older than any later one.
code=$(oathtool --totp -b "$TOTP_SECRET" -N "@$(($(date +%s) - 30))")
out=$(curl -sS --cacert "$S/tls/cert.pem" -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"name\":\"bench\",\"password\":\"$PW\",\"totp\":\"$code\"}" "$URL/auth/login")
SESSION=$(jq -r .session <<<"$out")
[ -n "$SESSION" ] && [ "$SESSION" != null ] || die "sign-in: $out"
echo "$SESSION" >"$T/admin.token"
echo "Authorization: Bearer $SESSION" >"$T/admin.hdr"
if core; then
CID=$(api POST /credentials '{"name":"bench-read","type":"api_key","service":"bench","secret":"bench-secret-0123456789abcdef"}' | jq -r .id)
HID=$(api POST /helpers '{"name":"bench helper","contact":"bench@example.com","kind":"developer"}' | jq -r .id)
out=$(api POST /credentials/grant "{\"helper\":\"$HID\",\"credentials\":[\"$CID\"],\"actions\":[\"read\"],\"ttl\":86400,\"note\":\"make bench\"}")
jq -r .token <<<"$out" >"$T/helper.token"
grep -q '^bos_h_' "$T/helper.token" || die "grant: no token"
code=$(curl -sS -o "$T/read.out" -w '%{http_code}' --cacert "$S/tls/cert.pem" \
	-H "Authorization: Bearer $(cat "$T/helper.token")" "$URL/credentials/$CID")
[ "$code" = 200 ] && jq -e '.secret == "bench-secret-0123456789abcdef"' "$T/read.out" >/dev/null ||
	die "a helper read answered $code: $(cat "$T/read.out")"

say "reads by the helper token, wrk ${DUR}s"
BENCH_MODE=read BENCH_PATH=/credentials/$CID BENCH_TOKEN_FILE=$T/helper.token \
	run_wrk reads "$WRK_THREADS" "$CONNS" "$DUR" "$URL"

HALF=$(jq '.rate / 2 | floor' "$T/reads.json")
say "open-loop reads at $HALF/s (half the maximum), $OL_CONNS connections, ${OL_SECONDS}s + 1 s warm-up"
"$BENCHBIN/openloop" -a "$T/helper.token" -c "$S/tls/cert.pem" 127.0.0.1 "$PORT" \
	"/credentials/$CID" "$HALF" "$OL_SECONDS" "$OL_CONNS" >"$T/openloop.json" 2>"$T/openloop.err" ||
	die "open-loop run: $(cat "$T/openloop.err") $(cat "$T/openloop.json")"
say "half load: $(jq -r '"\(.rate_achieved)/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms"' "$T/openloop.json")"

say "writes by the admin (a new credential per request), wrk ${DUR}s"
BENCH_MODE=write BENCH_PREFIX=w BENCH_TOKEN_FILE=$T/admin.token \
	run_wrk writes "$WRK_THREADS" "$CONNS" "$DUR" "$URL"

# One admin only (POST /admins creates the first one), and each TOTP code
# signs in once: password sign-ins (answered "totp_pending") do the argon2id
# work of every sign-in; the vault runs at most 2 at once, so 4 connections.
say "sign-ins (password step, argon2id), wrk 5s, 4 connections"
BENCH_MODE=login BENCH_BODY_FILE=$T/login.json \
	run_wrk signins 1 4 5 "$URL" --timeout 10s

# Leases, as bos-broker takes them: a broker, a sendgrid credential, a verify
# job claimed by the broker, then POST /leases on the unix socket in a closed
# loop (one keep-alive connection, then 4). Each lease's audit record is durable
# before its secret leaves.
say "broker leases over the unix socket, ${LEASE_SECONDS}s with 1 and with 4 connections"
api POST /brokers '{"role":"outreach","name":"bench"}' | jq -r .token >"$T/broker.token"
grep -q '^bos_b_' "$T/broker.token" || die "POST /brokers: no token"
LCID=$(api POST /credentials '{"name":"bench-lease","type":"api_key","service":"sendgrid","secret":"SG.bench-lease-0123456789"}' | jq -r .id)
api POST /jobs "{\"kind\":\"verify\",\"service\":\"sendgrid\",\"credential\":\"$LCID\"}" >/dev/null
out=$(curl -sS --unix-socket "$S/vault.sock" -X POST -H 'Content-Type: application/json' \
	-H "Authorization: Bearer $(cat "$T/broker.token")" --data-binary '{"kinds":["verify"],"wait":0}' \
	http://vault/jobs/claim)
JID=$(jq -r '.job.id // empty' <<<"$out")
[ -n "$JID" ] || die "the bench broker could not claim its job: $out"
printf '{"credential":"%s","purpose":"bench","job":"%s","ttl":30}' "$LCID" "$JID" >"$T/lease.json"
"$BENCHBIN/lease_rate" "$S/vault.sock" "$T/broker.token" "$T/lease.json" 1 "$LEASE_SECONDS" \
	>"$T/leases1.json" || die "lease_rate, 1 connection: $(cat "$T/leases1.json")"
"$BENCHBIN/lease_rate" "$S/vault.sock" "$T/broker.token" "$T/lease.json" 4 "$LEASE_SECONDS" \
	>"$T/leases4.json" || die "lease_rate, 4 connections: $(cat "$T/leases4.json")"
say "leases: $(jq -r '"\(.rate)/s, p99 \(.p99_ms) ms"' "$T/leases1.json") (1), $(jq -r '"\(.rate)/s"' "$T/leases4.json") (4)"
fi

# ---- outreach: sends through bos-broker, verified webhook events (bench/outreach.sh) ----
# shellcheck source=outreach.sh
. "$ROOT/bench/outreach.sh"
outreach_bench
if core; then

have=$((1 + $(jq .requests "$T/writes.json")))
left=$((NCREDS - have))
# In runs as long as the last write rate says the rest takes (wrk has no
# request count; a thread that stops early would still wait for -d), so the
# last run may store a few more than asked.
rate=$(jq '.rate | floor | if . < 1 then 1 else . end' "$T/writes.json")
i=0
while [ "$left" -gt 0 ]; do
	i=$((i + 1))
	[ "$i" -le 10 ] || die "storing $NCREDS credentials: still $left to go after 10 runs"
	d=$(((left + rate - 1) / rate))
	say "storing $left more credentials (to $NCREDS), wrk ${d}s"
	BENCH_MODE=write BENCH_PREFIX=f$i BENCH_TOKEN_FILE=$T/admin.token \
		run_wrk "fill$i" "$WRK_THREADS" "$CONNS" "$d" "$URL"
	added=$(jq .requests "$T/fill$i.json")
	rate=$(jq '.rate | floor | if . < 1 then 1 else . end' "$T/fill$i.json")
	have=$((have + added))
	left=$((NCREDS - have))
done
say "reads with $have credentials stored, wrk 4s"
BENCH_MODE=read BENCH_PATH=/credentials/$CID BENCH_TOKEN_FILE=$T/helper.token \
	run_wrk reads_full "$WRK_THREADS" "$CONNS" 4 "$URL"
RSS_V=$(kib_of "$VPID")
RSS_H=0
[ -n "$HSMD_PID" ] && RSS_H=$(kib_of "$HSMD_PID")
say "RSS with $have credentials: bos-vaultd $RSS_V KiB, bos-hsmd $RSS_H KiB"

kill -TERM "$VPID"
for _ in $(seq 300); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$VPID" 2>/dev/null && die "bos-vaultd did not stop on SIGTERM"
wait "$VPID" 2>/dev/null || true
# The disk is shared with whatever else runs here: sample it again, now that
# the vault is stopped, and take the better of the two as the limit.
say "append 200 B + fdatasync again, 3 s"
"$BENCHBIN/fsync_append" "$T/fsync.dat" 3 >"$T/fsync2.json" || die "fsync_append"
rm -f "$T/fsync.dat"
jq -s '{ops_per_s: (map(.ops_per_s) | max), samples: map(.ops_per_s)}' \
	"$T/fsync1.json" "$T/fsync2.json" >"$T/fsync.json"
say "start-up, exec to \"ready:\", $STARTS starts of this state directory"
"$BENCHBIN/startup" "$STARTS" "$BOS_BIN/bos-vaultd" "$S" >"$T/startup.json" ||
	die "start-up timing: $(tail -5 "$T/startup.log" 2>/dev/null)"
fi

# ---- results -------------------------------------------------------------------------
WALL=$(elapsed)
mkdir -p "$(dirname "$OUT")"
# The outreach figures, with this run's HTTPS hello rate beside them.
jq --slurpfile hello "$T/hello.json" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	'.hello_https_per_s = $hello[0].rate | .date = $date' "$T/outreach.json" >"$T/outreach2.json" ||
	die "cannot assemble the outreach results"
if core; then
jq -n --slurpfile ox "$T/outreach2.json" --slurpfile hsm "$T/hsm.json" --slurpfile fs "$T/fsync.json" \
	--slurpfile a2 "$T/argon2.json" --slurpfile hello "$T/hello.json" \
	--slurpfile reads "$T/reads.json" --slurpfile ol "$T/openloop.json" \
	--slurpfile writes "$T/writes.json" --slurpfile si "$T/signins.json" \
	--slurpfile rf "$T/reads_full.json" --slurpfile st "$T/startup.json" \
	--slurpfile l1 "$T/leases1.json" --slurpfile l4 "$T/leases4.json" \
	--argjson rss_v "$RSS_V" --argjson rss_h "$RSS_H" --argjson creds "$have" \
	--argjson wall "$WALL" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg host "$(uname -srm)" --argjson cpus "$(nproc)" \
	--argjson wt "$WRK_THREADS" --argjson wc "$CONNS" --argjson dur "$DUR" \
	--argjson olc "$OL_CONNS" --argjson ols "$OL_SECONDS" --argjson starts "$STARTS" '
def r(n; lim; tgt; op; unit): {name: n, value: lim, target: tgt, op: op, unit: unit,
	met: (if tgt == null then null elif op == ">=" then lim >= tgt else lim <= tgt end)};
($hsm[0]) as $h | ($fs[0]) as $f | ($a2[0]) as $a | ($hello[0]) as $hl |
($reads[0]) as $rd | ($ol[0]) as $o | ($writes[0]) as $w | ($si[0]) as $s |
($st[0]) as $t | ([$h.threads1, $hl.rate] | min) as $floor |
{
  schema: 1, date: $date, host: $host, cpus: $cpus, wall_seconds: $wall,
  config: {wrk_threads: $wt, wrk_conns: $wc, wrk_seconds: $dur, openloop_conns: $olc,
           openloop_seconds: $ols, startups: $starts},
  limits: {
    hsm_unwrap_per_s: $h.threads1, hsm_unwrap_2threads_per_s: $h.threads2,
    fdatasync_200b_per_s: $f.ops_per_s, fdatasync_samples: $f.samples, hello_https_per_s: $hl.rate,
    argon2id_verify_ms: $a.median_ms,
    signin_limit_per_s: (2 * 1000 / $a.median_ms)
  },
  vault: {
    reads_per_s: $rd.rate, reads_p50_ms: $rd.p50_ms, reads_p99_ms: $rd.p99_ms,
    writes_per_s: $w.rate, writes_p99_ms: $w.p99_ms,
    signins_per_s: $s.rate, signins_p50_ms: $s.p50_ms,
    leases_per_s: $l1[0].rate, leases_p50_ms: $l1[0].p50_ms, leases_p99_ms: $l1[0].p99_ms,
    leases4_per_s: $l4[0].rate, leases4_p99_ms: $l4[0].p99_ms,
    half_load: {rate: $o.rate_target, achieved: $o.rate_achieved, conns: $o.conns,
                p50_ms: $o.p50_ms, p90_ms: $o.p90_ms, p99_ms: $o.p99_ms,
                p999_ms: $o.p999_ms, max_ms: $o.max_ms},
    credentials: $creds, reads_full_per_s: $rf[0].rate,
    rss_vaultd_kib: $rss_v, rss_hsmd_kib: $rss_h,
    startup_ms: $t.median_ms, startup_runs_ms: $t.runs_ms
  },
  ratios: ([
    r("reads / min(HSM unwrap, HTTPS hello)"; $rd.rate / $floor; 0.5; ">="; "x"),
    r("reads / fdatasync rate"; $rd.rate / $f.ops_per_s; 3; ">="; "x"),
    r("writes / fdatasync rate"; $w.rate / $f.ops_per_s; null; ">="; "x"),
    r("leases (4 conns) / min(HSM unwrap, HTTPS hello)"; $l4[0].rate / $floor; null; ">="; "x"),
    r("leases (4 conns) / fdatasync rate"; $l4[0].rate / $f.ops_per_s; null; ">="; "x"),
    r("sign-ins / (2 / argon2id time)"; $s.rate / (2 * 1000 / $a.median_ms); null; ">="; "x"),
    r("p99 at half load / 5 ms"; $o.p99_ms / 5; 1; "<="; "x"),
    r("RSS bos-vaultd / 64 MiB"; $rss_v / 65536; 1; "<="; "x"),
    r("start-up / 200 ms"; $t.median_ms / 200; 1; "<="; "x")
  ] + $ox[0].ratios),
  outreach: ($ox[0] | del(.ratios))
}' >"$OUT.tmp" || die "cannot assemble the results"
else
	# BENCH_ONLY=outreach: into the results of an earlier full run, if any.
	if [ -s "$OUT" ] && jq -e '.schema == 1' "$OUT" >/dev/null 2>&1; then
		cp "$OUT" "$T/base.json"
	else
		echo '{"schema": 1, "ratios": []}' >"$T/base.json"
	fi
	jq --slurpfile ox "$T/outreach2.json" '.outreach = ($ox[0] | del(.ratios)) |
		.ratios = ([.ratios[] | select(.name | startswith("outreach") | not)] + $ox[0].ratios)' \
		"$T/base.json" >"$OUT.tmp" || die "cannot assemble the results"
fi
mv "$OUT.tmp" "$OUT"

# The outreach rows of the table (jq), in both modes.
OROWS='
(.outreach |
row("outreach sends to the SMTP sink"; "\(.smtp.broker_per_s | n)/s"; "\(.messages) at per_minute \(.per_minute) (gate \(.gate_per_s | n)/s), one bos-broker; plain client (smtplib, a connection each): \(.smtp.plain_per_s | n)/s; \(.smtp_message_bytes) B a message"),
row("outreach sends to the SendGrid stub"; "\(.sendgrid.broker_per_s | n)/s"; "plain clients, a connection each: curl \(.sendgrid.curl_per_s | n)/s, python \(.sendgrid.plain_per_s | n)/s; SendGrid: 600/min = \(.sendgrid.provider_limit_per_s | n)/s"),
row("outreach webhook events, verified"; "\(.events.hooks_per_s | n)/s"; "\(.events.batches) signed batches of \(.events.per_batch), \(.events.conns) conns, hooks listener"),
row("vault POST /outreach/events"; "\(.events.vault_per_s | n)/s"; "same events, unix socket, \(.events.conns) conns; HTTPS hello: \(.hello_https_per_s | n) req/s"))'

jq -r --arg only "$ONLY" '
def n: if . == null then "-" elif . >= 100 then (. | round | tostring)
	else ((. * 100 | round) / 100 | tostring) end;
def row(a; b; c): "\(a)\t\(b)\t\(c)";
"measure\tvalue\tnote",
(if $only != "" then empty else
row("SoftHSM unwrap, 1 thread"; "\(.limits.hsm_unwrap_per_s | n)/s"; "2 threads: \(.limits.hsm_unwrap_2threads_per_s | n)/s"),
row("append 200 B + fdatasync"; "\(.limits.fdatasync_200b_per_s | n)/s"; "1 thread, best of \(.limits.fdatasync_samples | map(n) | join(", "))/s"),
row("HTTPS hello (MHD, vault options)"; "\(.limits.hello_https_per_s | n)/s"; "wrk -t\(.config.wrk_threads) -c\(.config.wrk_conns)"),
row("argon2id verify (t=3, 64 MiB, p=1)"; "\(.limits.argon2id_verify_ms | n) ms"; "2 at once: \(.limits.signin_limit_per_s | n) sign-ins/s"),
row("vault reads (helper token)"; "\(.vault.reads_per_s | n)/s"; "p50 \(.vault.reads_p50_ms | n) ms, p99 \(.vault.reads_p99_ms | n) ms (closed loop)"),
row("vault writes (admin)"; "\(.vault.writes_per_s | n)/s"; "p99 \(.vault.writes_p99_ms | n) ms"),
row("vault sign-ins (password step)"; "\(.vault.signins_per_s | n)/s"; "p50 \(.vault.signins_p50_ms | n) ms"),
row("broker leases (unix socket)"; "\(.vault.leases_per_s | n)/s"; "1 conn, p99 \(.vault.leases_p99_ms | n) ms; 4 conns: \(.vault.leases4_per_s | n)/s, p99 \(.vault.leases4_p99_ms | n) ms"),
row("reads at half load, open loop"; "p50 \(.vault.half_load.p50_ms | n) ms"; "p99 \(.vault.half_load.p99_ms | n) ms at \(.vault.half_load.achieved | n)/s, \(.vault.half_load.conns) conns"),
row("reads with \(.vault.credentials) credentials"; "\(.vault.reads_full_per_s | n)/s"; ""),
row("RSS bos-vaultd"; "\(.vault.rss_vaultd_kib / 1024 | n) MiB"; "\(.vault.credentials) credentials"),
row("RSS bos-hsmd"; "\(.vault.rss_hsmd_kib / 1024 | n) MiB"; ""),
row("start-up, exec to ready:"; "\(.vault.startup_ms | n) ms"; "median of \(.vault.startup_runs_ms | length)")
end),
'"$OROWS"',
"",
"ratio\tvalue\ttarget",
(.ratios[] | select($only == "" or (.name | startswith("outreach"))) |
	"\(.name)\t\(.value | n)\t\(if .target == null then "-" else "\(.op) \(.target)  \(if .met then "met" else "MISSED" end)" end)")
' "$OUT" | column -t -s "$(printf '\t')"
sel='.ratios[] | select($only == "" or (.name | startswith("outreach")))'
missed=$(jq --arg only "$ONLY" "[$sel | select(.met == false)] | length" "$OUT")
total=$(jq --arg only "$ONLY" "[$sel | select(.met != null)] | length" "$OUT")
say "targets met: $((total - missed)) of $total; wall time $(elapsed) s; results in $OUT"
[ "$STRICT" = 1 ] && [ "$missed" -gt 0 ] && exit 3
exit 0
