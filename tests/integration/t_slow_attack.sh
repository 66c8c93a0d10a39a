#!/bin/bash
# runner: alone — it measures latency under a sustained attack
# Sustained slow-client attacks against a vault with its DEFAULT settings
# (#12 item 2; SECURITY.md "HTTP input"): from five attacker addresses at
# once, each holding its 64 connections (conn_per_ip_limit) and reconnecting
# the moment one is closed:
#   127.0.1.1  POST /auth/login announcing a 1000-byte body that never ends
#              (the reviewers' F1: 64 of them used to hold every in-flight slot
#              for 30 s, so every request on both listeners got 503 busy)
#   127.0.1.2  request headers dribbled a byte a second (slowloris)
#   127.0.1.3  TLS handshake done, then nothing (idle TLS)
#   127.0.1.4  the TLS ClientHello dribbled a byte a second
#   127.0.1.5  a reconnect loop: handshake, close, again, 16 at a time
# Meanwhile a helper on another loopback address (127.0.0.9) reads a secret
# over HTTPS and an admin lists credentials over the unix socket, every half
# second: every probe must be answered 200 (the right secret), none slower
# than PROBE_MAX (a bound far above normal latency and far below the 30 s the
# attack used to hold; the numbers are printed). The attack is shown to be
# real: each flood's connections were established, the slow ones closed by
# the header deadline (5 s) or the request deadline (30 s) and reopened, and
# never served. Tool: tests/tools/conn_flood.c. See docs/HTTP.md.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

FLOOD=$BOS_TESTBIN/conn_flood
# Longer than conn_timeout_seconds (30), so slow bodies are evicted and return.
# The sanitizer stage looks for memory errors on the same paths: a 15 s attack
# there, without that one check (the plain stage makes it).
ASAN=0
ldd "$VAULTD" 2>/dev/null | grep -q libasan && ASAN=1
DEF_DUR=40
[ "$ASAN" = 1 ] && DEF_DUR=15
DUR=${BOS_ATTACK_SECONDS:-$DEF_DUR}
PER_IP=64                       # conn_per_ip_limit's default
HDR=5                           # header_timeout_seconds' default
PROBE_MAX=3                     # seconds; normal is ~0.01-0.05 s (ASan ~0.1 s)

# report FILE KEY: one value of a conn_flood report.
report() { sed -n "s/^$2 //p" "$1" 2>/dev/null; }
# stats FILE: "n=N p50=S max=S" of the second column (seconds).
stats() {
	sort -g -k2 "$1" | awk '{ t[NR] = $2 } END { if (NR == 0) { print "n=0"; exit }
		printf "n=%d p50=%.3f max=%.3f", NR, t[int((NR + 1) / 2)], t[NR] }'
}
# probe_tcp: the helper's read of the secret from 127.0.0.9: "CODE SECONDS".
probe_tcp() {
	local r
	r=$(curl -sS -o "$T/p.body" -w '%{http_code} %{time_total}' --max-time 20 --interface 127.0.0.9 \
		--cacert "$S/tls/cert.pem" -H "Authorization: Bearer $HTOK" "$URL/credentials/$CID" 2>/dev/null)
	[ "${r% *}" = 200 ] && ! jq -e --arg k "$K" '.secret == $k' "$T/p.body" >/dev/null 2>&1 &&
		r="bad-secret ${r#* }"
	echo "${r:-000 20}"
}
# probe_unix: the admin's list over the unix socket: "CODE SECONDS".
probe_unix() {
	local r
	r=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 20 --unix-socket "$S/vault.sock" \
		-H "Authorization: Bearer $SESSION" http://vault/credentials 2>/dev/null)
	echo "${r:-000 20}"
}
# probes SECONDS TAG: both probes every 0.5 s; appends to $T/TAG.tcp and $T/TAG.unix.
probes() {
	local end=$(( $(date +%s) + $1 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		probe_tcp >>"$T/$2.tcp"
		probe_unix >>"$T/$2.unix"
		sleep 0.5
	done
}
all_200() { [ -s "$1" ] && ! grep -qv '^200 ' "$1"; }
max_under() { sort -g -k2 "$1" | tail -1 | awk -v m="$2" '{ exit !($2 + 0 <= m) }'; }

api_up "$T/s" || { notok "bos-vaultd starts with its default settings"; cat "$T/vault.log"; finish; }
check "admin created and signed in" admin_setup alice "slow attack $(canary pw)"
K=$(canary secret)
out=$(api POST /credentials "{\"name\":\"target\",\"type\":\"secret\",\"service\":\"x\",\"secret\":\"$K\"}")
CID=$(jq -r .id <<<"$out")
out=$(api POST /helpers '{"name":"Probe","contact":"probe@example.com","kind":"setup"}')
H=$(jq -r .id <<<"$out")
out=$(api POST /credentials/grant "{\"helper\":\"$H\",\"credentials\":[\"$CID\"],\"actions\":[\"read\"],\"ttl\":3600}")
HTOK=$(jq -r '.token // empty' <<<"$out")
check "a helper token to probe with" test -n "$HTOK"

probes 5 base
check "before the attack: every probe 200 (helper over TCP $(stats "$T/base.tcp"))" all_200 "$T/base.tcp"
check "before the attack: every probe 200 (admin over unix $(stats "$T/base.unix"))" all_200 "$T/base.unix"

# ---- the attack ----
flood() {   # NAME ADDR MODE [args...]
	local name=$1 addr=$2 mode=$3; shift 3
	"$FLOOD" -n "$PER_IP" -s "$addr" -p "$PER_IP" -m "$mode" -R -t "$DUR" "$@" -r "$T/$name.rep" \
		"$PORT" >"$T/$name.out" 2>&1 &
	FLOODS="${FLOODS:-} $!"; bg_track $!
}
flood body 127.0.1.1 slow-body -d 1
flood hdr 127.0.1.2 dribble -d 1
flood idle 127.0.1.3 tls-idle
flood hello 127.0.1.4 hello-dribble -d 1
"$FLOOD" -n 16 -s 127.0.1.5 -p "$PER_IP" -m churn -R -P 16 -t "$DUR" -r "$T/churn.rep" \
	"$PORT" >"$T/churn.out" 2>&1 &
FLOODS="$FLOODS $!"; bg_track $!
sleep 3
held=$(ss -tnH state established "( sport = :$PORT )" | grep -c ' 127\.0\.1\.')
echo "# attacker connections established on the vault's port after 3 s: $held"
check "the attack holds connections (ss: $held from 127.0.1.x, want >= $((3 * PER_IP)))" \
	test "$held" -ge $((3 * PER_IP))
probes $((DUR - 6)) att
for p in $FLOODS; do wait "$p"; done

echo "# before: tcp $(stats "$T/base.tcp"); unix $(stats "$T/base.unix")"
echo "# under attack: tcp $(stats "$T/att.tcp"); unix $(stats "$T/att.unix")"
echo "# answers under attack: $(cut -d' ' -f1 "$T/att.tcp" | sort | uniq -c | tr '\n' ' ')| unix: $(cut -d' ' -f1 "$T/att.unix" | sort | uniq -c | tr '\n' ' ')"
check "under attack: every helper read from another address is 200 with the secret ($(stats "$T/att.tcp"))" \
	all_200 "$T/att.tcp"
check "under attack: every admin request on the unix socket is 200 ($(stats "$T/att.unix"))" \
	all_200 "$T/att.unix"
check "under attack: no helper read took more than $PROBE_MAX s" max_under "$T/att.tcp" "$PROBE_MAX"
check "under attack: no admin request took more than $PROBE_MAX s" max_under "$T/att.unix" "$PROBE_MAX"

# ---- the attack was real ----
for f in body hdr idle hello; do
	echo "# $f: $(tr '\n' ' ' <"$T/$f.out")"
done
echo "# churn: $(tr '\n' ' ' <"$T/churn.out")"
check "slow bodies: $PER_IP connections established from one address, never served" \
	test "$(report "$T/body.out" served)" = 0 -a \
	"$(( $(report "$T/body.out" established) + $(report "$T/body.out" reconnects) ))" -ge "$PER_IP"
if [ "$DUR" -gt 32 ]; then
	check "slow bodies: closed by the request deadline (30 s) and reopened (reconnects $(report "$T/body.out" reconnects))" \
		test "$(report "$T/body.out" reconnects)" -ge "$PER_IP"
else
	echo "# a $DUR s attack ends before the 30 s request deadline: its eviction is checked in the plain stage"
fi
for f in hdr idle hello; do
	check "$f: never served ($(report "$T/$f.out" served))" test "$(report "$T/$f.out" served)" = 0
	check "$f: the header deadline closed them and they came back (reconnects $(report "$T/$f.out" reconnects))" \
		test "$(report "$T/$f.out" reconnects)" -ge "$PER_IP"
done
# Those the vault closed lived HDR s, never much more. The vault counts from
# accept: the lower bound is held against the time since connect() (the
# flood tool, one thread polling hundreds of sockets on a loaded machine,
# notices an establishment late), the upper one against establishment.
# hello-dribble's "established" is the TCP connect, and a reconnect the
# per-address limit refuses at once counts as a close too: only its upper
# bound says something.
for f in hdr idle hello; do
	lo=$(report "$T/$f.out" server_closed_since_connect_min); hi=$(report "$T/$f.out" server_closed_after_max)
	check "$f: the vault closed each within $((HDR + 2)) s ($(report "$T/$f.out" server_closes) closes, $lo s from connect() - $hi s from establishment)" \
		awk -v x="$hi" -v h="$HDR" 'BEGIN { exit !(x != "-" && x + 0 <= h + 2) }'
	[ "$f" = hello ] && continue
	check "$f: ... and not before $HDR s" \
		awk -v x="$lo" -v h="$HDR" 'BEGIN { exit !(x != "-" && x + 0 >= h - 0.2) }'
done
check "the reconnect loop made handshakes all along (reconnects $(report "$T/churn.out" reconnects))" \
	test "$(report "$T/churn.out" reconnects)" -ge 100
check "the evictions are logged" grep -q 'past a deadline (request headers within 5 s' "$T/vault.log"

# ---- afterwards ----
probes 2 after
check "after the attack: every probe 200" bash -c "all_200() { [ -s \"\$1\" ] && ! grep -qv '^200 ' \"\$1\"; }; all_200 '$T/after.tcp' && all_200 '$T/after.unix'"
kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "the vault stops cleanly (exit $rc)" test "$rc" -eq 0
check "no sanitizer report in the vault's log" bash -c \
	"! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' '$T/vault.log'"
finish
