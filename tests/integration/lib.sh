# Shared helpers for integration tests. Source it; it sets:
#   BOS_BIN, BOS_TESTBIN  where the programs and test tools are
#   T                     a fresh temporary directory, removed on exit
#   ok/notok/check        TAP-like result lines, counted by the runner
# Every test that starts a daemon must register it with bg_track so it is
# killed on exit.
set -u
BOS_BIN=${BOS_BIN:-$(pwd)/build/bin}
BOS_TESTBIN=${BOS_TESTBIN:-$(pwd)/build/tests}
BOSCTL=$BOS_BIN/bosctl
VAULTD=$BOS_BIN/bos-vaultd
T=$(mktemp -d /tmp/bos-it.XXXXXX)
_pids=""
_fails=0
cleanup() {
	for p in $_pids; do kill -9 "$p" 2>/dev/null; done
	chmod -R u+rwX "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; _fails=$((_fails + 1)); }
# check DESCRIPTION COMMAND...: ok when the command succeeds. Returns 1 after
# "not ok", so `check ... || finish` stops a script whose next steps need it.
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else notok "$d"; return 1; fi; }
# check_not DESCRIPTION COMMAND...: ok when the command fails; returns 1 after "not ok".
check_not() { local d=$1; shift; if "$@" >/dev/null 2>&1; then notok "$d"; return 1; else ok "$d"; fi; }
bg_track() { _pids="$_pids $1"; }
finish() { [ "$_fails" -eq 0 ]; exit $?; }

# A random canary: a string that must never show up where it should not.
canary() { echo "CANARY$1$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"; }

# Count occurrences of a fixed string in a file (binary-safe), 0 if missing.
count_in() { [ -e "$2" ] || { echo 0; return; }; grep -a -c -F -- "$1" "$2" || true; }

# Start bos-vaultd on a state dir; waits for "ready" in its log (10 s).
# Sets VPID. Usage: start_vault DIR LOG [extra args]
start_vault() {
	local dir=$1 log=$2; shift 2
	"$VAULTD" --state-dir "$dir" "$@" >"$log" 2>&1 &
	VPID=$!
	bg_track "$VPID"
	wait_ready "$log" "$VPID"
}

# wait_ready LOG PID: 0 once the vault logged "ready:" (it says so once it is
# sandboxed and serving), 1 if PID died first or after 20 s.
wait_ready() {
	for _ in $(seq 200); do
		grep -q 'ready:' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Child pid of the vault (its bos-hsmd).
hsmd_pid_of() { pgrep -P "$1" -f bos-hsmd | head -1; }

# Snapshot of a directory: names, modes and content hashes of every file.
# SoftHSM rewrites its token bookkeeping (token.object, generation) on every
# login, even a successful one, so those two are listed but not hashed.
snapshot() {
	(cd "$1" && find . -type f ! -name token.object ! -name generation -exec sha256sum {} + | sort
	 find . -printf '%p %m\n' | sort)
}

# A free TCP port on 127.0.0.1 (random, checked with ss), so tests never
# collide with `make run` on 8025 or with each other.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# init_dev DIR [settings...]: a development vault whose HTTPS listener is on a
# free port (exported as PORT, with URL) and extra "key = value" settings.
init_dev() {
	local dir=$1; shift
	"$VAULTD" init --state-dir "$dir" --dev >/dev/null || return 1
	PORT=$(free_port) || return 1
	URL="https://127.0.0.1:$PORT"
	export PORT URL
	echo "listen = 127.0.0.1:$PORT" >>"$dir/bos.conf"
	local kv
	for kv in "$@"; do echo "$kv" >>"$dir/bos.conf"; done
}

# Copies of bos-vaultd, bos-hsmd and bosctl that another user (nobody) can run:
# the checkout may sit in a 0700 directory (`mktemp -d` makes them so, and CI
# clones into one). Points VAULTD and BOSCTL at them; bos-vaultd finds its
# bos-hsmd next to itself.
others_can_run() {
	chmod 0711 "$T" && mkdir -p "$T/bin" &&
		cp "$BOS_BIN/bos-vaultd" "$BOS_BIN/bos-hsmd" "$BOS_BIN/bosctl" "$T/bin/" &&
		chmod 0755 "$T/bin" "$T/bin/bos-vaultd" "$T/bin/bos-hsmd" "$T/bin/bosctl" || return 1
	VAULTD=$T/bin/bos-vaultd
	BOSCTL=$T/bin/bosctl
}
