#!/bin/bash
# Socket activation (issue #6; docs/DEPLOY.md, "Socket activation"): started
# with LISTEN_PID/LISTEN_FDS, bos-vaultd takes its HTTPS listener and its unix
# socket from the passed fds instead of binding them, so under systemd it can
# keep PrivateNetwork=yes. Tested without systemd as PID 1, with
# systemd-socket-activate (which binds, waits for the first connection and
# then execs the vault with the sockets on fds 3 and 4). Checked: both
# listeners serve (HTTPS /health; the unix API outside the state directory,
# including the local-only POST /admins for the vault's uid and not for
# another), bos.conf's own port is not bound and no STATE/vault.sock made,
# bos-hsmd inherits no listener, SIGTERM leaves the passed socket file and
# exits 0; one passed socket only: the other is made as before; a datagram
# socket, two TCP sockets or a malformed LISTEN_FDS: refused, exit 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

SA=$(command -v systemd-socket-activate || echo /usr/bin/systemd-socket-activate)
if [ ! -x "$SA" ]; then
	ok "socket activation: skipped (no systemd-socket-activate)"
	finish
fi
S=$T/s
init_dev "$S" || { notok "init a development vault"; finish; }
OWN_PORT=$PORT      # 'listen' in bos.conf: must stay unbound while activated
SA_PORT=$(free_port) || { notok "a free port"; finish; }
while [ "$SA_PORT" = "$OWN_PORT" ]; do SA_PORT=$(free_port); done
SOCK=$T/run/vault.sock
mkdir -p "$T/run"

# sa_start LOG SA-ARGS...: the vault under systemd-socket-activate; sets VPID
# (the same process once it execs the vault).
sa_start() {
	local log=$1; shift
	"$SA" "$@" "$VAULTD" --state-dir "$S" >"$log" 2>&1 &
	VPID=$!
	bg_track "$VPID"
}
# wait_listening LOG N: systemd-socket-activate has bound its N sockets (10 s), so
# that the connection that makes it exec the vault is not refused.
wait_listening() {
	for _ in $(seq 100); do
		[ "$(grep -c '^Listening on' "$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_exit: sets rc to the exit status of VPID (kills it after 20 s: 124). Not in
# a $(...) subshell, which could not wait for this shell's child.
wait_exit() {
	for _ in $(seq 200); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$VPID" 2>/dev/null; then
		kill -9 "$VPID"; wait "$VPID" 2>/dev/null; rc=124
	else
		wait "$VPID" 2>/dev/null; rc=$?
	fi
}
ucurl() { curl -sS --max-time 10 --unix-socket "$SOCK" "$@"; }
# Socket inodes of a process's open fds, one per line.
sock_inodes() { ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | sort; }

# ---- both listeners passed ----
LOG=$T/v.log
sa_start "$LOG" -l "127.0.0.1:$SA_PORT" -l "$SOCK" --fdname=https:api
wait_listening "$LOG" 2
URL="https://127.0.0.1:$SA_PORT"
# The first connection makes systemd-socket-activate exec the vault; curl waits in the backlog.
check "HTTPS GET /health on the activated TCP port" \
	bash -c "set -o pipefail; curl -sSf --max-time 30 --cacert '$S/tls/cert.pem' '$URL/health' | jq -en 'input | .status == \"ok\"'"
wait_ready "$LOG" "$VPID" || { notok "bos-vaultd is ready under socket activation"; cat "$LOG"; finish; }
ok "bos-vaultd is ready under socket activation"
check "the log says the HTTPS listener came from systemd" \
	grep -q "socket activation: the HTTPS listener 127.0.0.1:$SA_PORT (fd 3, 'https') passed by systemd" "$LOG"
check "the log says the unix socket came from systemd" \
	grep -q "socket activation: the local API socket $SOCK (fd 4, 'api') passed by systemd" "$LOG"
check "the ready line names both passed listeners" \
	grep -q "ready: https://127.0.0.1:$SA_PORT (passed by systemd) and $SOCK (passed by systemd)" "$LOG"
check "the unix API answers on the activated socket (outside the state directory)" \
	bash -c "set -o pipefail; curl -sSf --max-time 10 --unix-socket '$SOCK' http://vault/health | jq -en 'input | .status == \"ok\"'"
check "bos.conf's own port $OWN_PORT is not bound" test -z "$(ss -ltnH "sport = :$OWN_PORT")"
check "only the activated port is listening (ss -ltn)" test -n "$(ss -ltnH "sport = :$SA_PORT")"
check "no socket file made in the state directory" test ! -e "$S/vault.sock"
# fdinfo's flags are octal; O_CLOEXEC is 02000000.
cloexec() { local f; f=$(awk '/^flags:/ { print $2 }' "/proc/$VPID/fdinfo/$1") && (( 8#$f & 8#2000000 )); }
check "the passed listeners are close-on-exec in the vault (fd 3 and 4)" bash -c \
	"$(declare -f cloexec); VPID=$VPID; cloexec 3 && cloexec 4"

# bos-hsmd got its channel on fd 3 and no listener: none of its sockets is one of the vault's listeners.
H=$(hsmd_pid_of "$VPID")
check "bos-hsmd runs" test -n "$H"
L3=$(readlink "/proc/$VPID/fd/3" | tr -dc 0-9) L4=$(readlink "/proc/$VPID/fd/4" | tr -dc 0-9)
HS=$(sock_inodes "${H:-0}")
check "bos-hsmd has exactly one socket, on fd 3 (its channel)" \
	test "$(echo "$HS" | grep -c .)" = 1 -a -n "$(readlink "/proc/${H:-0}/fd/3" | grep socket)"
check "bos-hsmd's environment has no LISTEN_*" \
	bash -c "test -r /proc/${H:-0}/environ && ! tr '\\0' '\\n' </proc/${H:-0}/environ | grep -q '^LISTEN_'"
check "bos-hsmd's fd 3 is not the vault's listener" bash -c "! grep -qx -e '$L3' -e '$L4' <<<'$HS'"
check "bos-hsmd holds no listening socket (ss -lp)" \
	bash -c "! ss -lnpH -A inet,unix | grep -q 'pid=${H:-0},'"

# The local-only route on the activated socket: another uid is refused (SO_PEERCRED), ours creates.
if [ "$(id -u)" -eq 0 ]; then
	chmod 0711 "$T" "$T/run"
	chmod 0666 "$SOCK"
	setpriv --reuid=nobody --regid=nogroup --clear-groups curl -sS -w '\n%{http_code}' \
		--max-time 10 --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
		--data-binary '{"name":"mallory","password":"correct horse battery staple 1"}' \
		http://vault/admins >"$T/b" 2>/dev/null
	check "POST /admins from another uid on the activated socket: 403 local_only" \
		bash -c "test \"\$(tail -n 1 '$T/b')\" = 403 && head -n 1 '$T/b' | jq -en 'input | .error.code == \"local_only\"'"
else
	ok "POST /admins from another uid: skipped (needs root to switch to nobody)"
fi
out=$(ucurl -o "$T/b" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary '{"name":"alice","password":"correct horse battery staple 1"}' http://vault/admins)
check "POST /admins (first admin) by the vault's uid on the activated socket: 201" \
	bash -c "test '$out' = 201 && jq -en 'input | .totp_secret | length > 0' '$T/b'"
TOTP_SECRET=$(jq -r .totp_secret "$T/b")
out=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"alice\",\"password\":\"correct horse battery staple 1\",\"totp\":\"$(totp_code -1)\"}" \
	"$URL/auth/login")
check "the new admin signs in over the activated HTTPS port" \
	bash -c "jq -en 'input | .session | length > 0' <<<'$out'"

kill -TERM "$VPID"
wait_exit
check "SIGTERM: exit 0" test "$rc" = 0
check "the passed socket file is still there (the vault did not unlink it)" test -S "$SOCK"
check "the stop was logged" grep -q 'stopping on signal 15' "$LOG"
rm -f "$SOCK"

# ---- only the unix socket passed: the vault binds bos.conf's 'listen' itself ----
LOG=$T/v2.log
sa_start "$LOG" -l "$SOCK"
wait_listening "$LOG" 1
check "only a unix socket passed: /health on it" \
	bash -c "set -o pipefail; curl -sSf --max-time 30 --unix-socket '$SOCK' http://vault/health | jq -en 'input | .status == \"ok\"'"
wait_ready "$LOG" "$VPID"
check "only a unix socket passed: the log says the vault binds 'listen' itself" \
	grep -q "no TCP socket passed; the vault binds 127.0.0.1:$OWN_PORT" "$LOG"
check "only a unix socket passed: HTTPS on bos.conf's port" \
	curl -sSf --max-time 10 --cacert "$S/tls/cert.pem" "https://127.0.0.1:$OWN_PORT/health"
kill -TERM "$VPID"
wait_exit
check "only a unix socket passed: SIGTERM, exit 0, the socket file stays" test "$rc" = 0 -a -S "$SOCK"
rm -f "$SOCK"

# ---- only TCP passed: the vault makes STATE/vault.sock as before, and removes it at stop ----
LOG=$T/v3.log
sa_start "$LOG" -l "127.0.0.1:$SA_PORT"
wait_listening "$LOG" 1
check "only TCP passed: HTTPS /health on it" \
	curl -sSf --max-time 30 --cacert "$S/tls/cert.pem" "https://127.0.0.1:$SA_PORT/health"
wait_ready "$LOG" "$VPID"
check "only TCP passed: the log says the vault makes its unix socket" \
	grep -q "no unix socket passed; the vault makes $S/vault.sock itself" "$LOG"
check "only TCP passed: the unix API on STATE/vault.sock" \
	curl -sSf --max-time 10 --unix-socket "$S/vault.sock" http://vault/health
check "only TCP passed: bos.conf's port is not bound" test -z "$(ss -ltnH "sport = :$OWN_PORT")"
kill -TERM "$VPID"
wait_exit
check "only TCP passed: SIGTERM, exit 0, its own socket file removed" test "$rc" = 0 -a ! -e "$S/vault.sock"

# ---- refusals: exit 1, a clear message, nothing served ----
before=$(snapshot "$S")
LOG=$T/e1.log
sa_start "$LOG" -d -l "127.0.0.1:$SA_PORT"
wait_listening "$LOG" 1
echo x >"/dev/udp/127.0.0.1/$SA_PORT"
wait_exit
check "a datagram (UDP) socket passed: exit 1" test "$rc" = 1
check "a datagram socket passed: the message says so" \
	grep -q 'socket activation: fd 3 is a datagram socket, not a stream socket' "$LOG"
check_not "a datagram socket passed: bos-hsmd never started" grep -q 'ready:\|bos-hsmd' "$LOG"

P2=$(free_port)
LOG=$T/e2.log
sa_start "$LOG" -l "127.0.0.1:$SA_PORT" -l "127.0.0.1:$P2"
wait_listening "$LOG" 2
curl -s --max-time 10 "http://127.0.0.1:$SA_PORT/" >/dev/null 2>&1
wait_exit
check "two TCP sockets passed: exit 1" test "$rc" = 1
check "two TCP sockets passed: the message says so" \
	grep -q 'socket activation: two TCP sockets passed (fd 3 and fd 4)' "$LOG"

LOG=$T/e3.log
sa_start "$LOG" --seqpacket -l "$T/run/seq.sock"
wait_listening "$LOG" 1
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1])' \
	"$T/run/seq.sock" 2>/dev/null
wait_exit
check "a seqpacket unix socket passed: exit 1 with a message" \
	bash -c "test '$rc' = 1 && grep -q 'fd 3 is a seqpacket socket' '$LOG'"

bash -c 'export LISTEN_PID=$$ LISTEN_FDS=1x; exec "$@"' _ "$VAULTD" --state-dir "$S" >"$T/e4.log" 2>&1
rc=$?
check "LISTEN_FDS malformed (for this process): exit 1" test "$rc" = 1
check "LISTEN_FDS malformed: the message names it" grep -q "LISTEN_FDS='1x'" "$T/e4.log"
check "the refusals changed nothing in the state directory" test "$(snapshot "$S")" = "$before"
finish
