#!/bin/bash
# bos-hsmd as its own user (docs/HSM.md, "Its own user"), as in production
# under systemd: bos-hsmd runs as user A and listens on a unix socket
# (--listen, --peer-uid B); the vault runs as user B with hsm_socket pointing
# at it. A full credential round trip goes through it; B cannot read the PIN
# or the token files; a third uid is refused (closed without READY, logged)
# while B, as the control, gets READY on the same socket; the vault
# reconnects after a restart. Inside the real bos-hsmd (path_probe.so, as in
# t_sandbox.sh), once it serves, it can no longer open by path its own PIN
# file, its SoftHSM configuration or anything outside its token directory,
# although its uid owns them; without Landlock (the control) it can. Needs root (to make users); otherwise one
# "ok - skipped" line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

if [ "$(id -u)" -ne 0 ]; then
	ok "hsm user: skipped (needs root to create users)"
	finish
fi
MOD=/usr/lib/softhsm/libsofthsm2.so
L=bos-it-hsmuser
UA=bth$$a UB=bth$$b UC=bth$$c
users_cleanup() {
	for p in $_pids; do kill -9 "$p" 2>/dev/null; done
	for p in $_pids; do wait "$p" 2>/dev/null; done
	for u in "$UA" "$UB" "$UC"; do userdel "$u" >/dev/null 2>&1; done
	cleanup
}
trap users_cleanup EXIT
for u in "$UA" "$UB" "$UC"; do
	useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$u" ||
		{ notok "create user $u"; finish; }
done
ok "three users: $UA (bos-hsmd), $UB (the vault), $UC (someone else)"
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
uid_of() { id -u "$1"; }

# Programs others can run, and directories they can traverse (mktemp made $T 0700).
others_can_run || notok "copies of the programs that other users can run"
cp "$BOS_TESTBIN/hsm_raw" "$BOS_TESTBIN/path_probe.so" "$BOS_TESTBIN/no_landlock" "$T/bin/" &&
	chmod 0755 "$T/bin/hsm_raw" "$T/bin/path_probe.so" "$T/bin/no_landlock"
KIND=$("$BOS_TESTBIN/sandbox_probe" --kind)
HSMD=$T/bin/bos-hsmd RAW=$T/bin/hsm_raw
install -d -o "$UA" -g "$UA" -m 0755 "$T/hsm" "$T/run" "$T/hsm/outside"
install -d -o "$UB" -g "$UB" -m 0700 "$T/v"
H=$T/hsm/store SOCK=$T/run/hsm.sock

# bos-hsmd's side, all as A, as docs/HSM.md tells the operator: a SoftHSM
# store, PIN files, the token and keys v1 by --generate-keys (no vault, no
# socket), then serving.
as "$UA" bash -c "umask 077 && mkdir -p '$H/tokens' &&
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' '$H/tokens' >'$H/softhsm2.conf' &&
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >'$H/hsm-pin' && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >'$H/so-pin' &&
	chmod 0400 '$H/hsm-pin' '$H/so-pin'"
as "$UA" env SOFTHSM2_CONF="$H/softhsm2.conf" "$HSMD" --module "$MOD" --token "$L" --pin-file "$H/hsm-pin" \
	--create-token --so-pin-file "$H/so-pin" --generate-keys 1 >"$T/gen.log" 2>&1
check "as $UA: token '$L' and keys v1 made by --create-token --generate-keys 1" \
	grep -q 'created keys bos-kek-v1 and bos-audit-v1' "$T/gen.log" || { sed 's/^/# /' "$T/gen.log"; finish; }
# path_probe.so tries its escapes at bos-hsmd's first send, the READY of the
# first connection (the vault's init), once it is sandboxed. Not in sanitizer
# builds: their null sandbox confines nothing, and ASan must come first.
PROBE=(LD_PRELOAD="$T/bin/path_probe.so" BOS_PATH_PROBE=hsmd-own BOS_PATH_PROBE_DIR="$H")
[ "$KIND" = null ] && PROBE=()
setpriv --reuid="$UA" --regid="$UA" --clear-groups env SOFTHSM2_CONF="$H/softhsm2.conf" \
	"${PROBE[@]}" "$HSMD" --module "$MOD" --token "$L" \
	--pin-file "$H/hsm-pin" --listen "$SOCK" --peer-uid "$UB" >"$T/hsmd.log" 2>&1 &
HPID=$!
bg_track "$HPID"
for _ in $(seq 100); do grep -q 'ready:' "$T/hsmd.log" && break; sleep 0.1; done
check "bos-hsmd listens on $SOCK for uid $(uid_of "$UB")" grep -q "ready:.*on $SOCK for uid $(uid_of "$UB")" "$T/hsmd.log" ||
	{ sed 's/^/# /' "$T/hsmd.log"; finish; }
check "bos-hsmd runs as $UA" test "$(awk '$1 == "Uid:" { print $2 }' "/proc/$HPID/status")" = "$(uid_of "$UA")"

# The vault's side, as B: a production vault whose HSM is the socket.
check "as $UB: bos-vaultd init --hsm-socket" as "$UB" "$VAULTD" init --state-dir "$T/v/s" --token "$L" \
	--hsm-socket "$SOCK" || finish
S=$T/v/s PORT=$(free_port) URL=https://127.0.0.1:$PORT
check "bos.conf names the socket and no PIN file" \
	bash -c "grep -qx 'hsm_socket = $SOCK' '$S/bos.conf' && ! grep -q pin_file '$S/bos.conf'"
echo "listen = 127.0.0.1:$PORT" >>"$S/bos.conf"
mkdir -m 0700 "$S/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$S/tls/key.pem" -out "$S/tls/cert.pem" 2>/dev/null
chmod 0600 "$S/tls/key.pem"
chown -R "$UB:$UB" "$S/tls"
start_b_vault() {
	(cd "$T/v" && exec setpriv --reuid="$UB" --regid="$UB" --clear-groups "$VAULTD" \
		--state-dir "$S") >"$1" 2>&1 &
	VPID=$!
	bg_track "$VPID"
	wait_ready "$1" "$VPID"
}
start_b_vault "$T/vault.log"
check "the vault as $UB is ready over the socket" grep -q 'ready:' "$T/vault.log" ||
	{ sed 's/^/# /' "$T/vault.log" "$T/hsmd.log"; finish; }
check "the vault started no bos-hsmd of its own" test -z "$(pgrep -P "$VPID")"

# The first admin is made over vault.sock by the vault's own uid (SO_PEERCRED
# there too): lib_api's admin_setup, with its unix-socket curl run as B.
curl() {
	case " $* " in
	*" --unix-socket "*) setpriv --reuid="$UB" --regid="$UB" --clear-groups curl "$@" ;;
	*) command curl "$@" ;;
	esac
}
PW="hsm user $(canary p)"
check "admin created and signed in" admin_setup alice "$PW"
K=$(canary k)
out=$(api POST /credentials "{\"name\":\"hsmuser\",\"type\":\"api_key\",\"service\":\"x\",\"secret\":\"$K\"}")
check "credential added: 201" test "$(st)" = 201
ID=$(jq -r .id <<<"$out")
check "credential read back through bos-hsmd as $UA" test "$(api GET "/credentials/$ID" | jq -r .secret)" = "$K"

# Inside bos-hsmd, serving: its own files by path are refused (Landlock), though its uid owns them.
HSMD_IN="abs-read pin-read so-pin-read conf-read dotdot-read abs-write token-create shadow-read"
if [ "$KIND" = null ]; then
	ok "in-daemon path probes skipped (null sandbox in sanitizer builds)"
else
	for a in $HSMD_IN; do
		check "bos-hsmd as $UA, serving: $a is refused" \
			grep -q "path_probe: hsmd $a refused (Permission denied)" "$T/hsmd.log"
	done
	check_not "bos-hsmd as $UA: no probe got through" grep -q "NOT REFUSED" "$T/hsmd.log"
	check "bos-hsmd as $UA: nothing was created" test ! -e "$T/hsm/outside/new-hsmd" -a ! -e "$H/tokens/probe.object"
fi

# B cannot read what is A's: the PIN, the SoftHSM configuration, the token files.
tokfile=$(find "$H/tokens" -type f -name '*.object' | head -1)
for f in "$H/hsm-pin" "$H/softhsm2.conf" "$tokfile"; do
	as "$UB" cat "$f" >/dev/null 2>"$T/eacces"
	check "as $UB: EACCES on ${f#$T/}" grep -q 'Permission denied' "$T/eacces"
done
as "$UB" ls "$H/tokens" >/dev/null 2>"$T/eacces"
check "as $UB: EACCES listing the token directory" grep -q 'Permission denied' "$T/eacces"
check "every file of the store is $UA's, none readable by others" \
	test -z "$(find "$H" ! -user "$UA" -o -perm /0077)"

# Refusals. The vault holds the connection while it runs (one at a time),
# so stop it first: bos-hsmd goes on listening.
kill -TERM "$VPID"; wait "$VPID"; rc=$?
check "the vault stops with status 0" test "$rc" -eq 0
check "bos-hsmd is still running" kill -0 "$HPID"
out=$(as "$UC" "$RAW" connect "$SOCK" valid-random)
check "as $UC: closed without READY" test "$out" = closed
check "bos-hsmd logs the refusal of uid $(uid_of "$UC")" \
	grep -q "refused a connection from uid $(uid_of "$UC") .*only uid $(uid_of "$UB") is served" "$T/hsmd.log"
out=$("$RAW" connect "$SOCK")
check "as root: closed without READY" test "$out" = closed
# Control: the same tool as the allowed uid gets READY and an answer, so
# "closed" above is bos-hsmd's refusal and not a broken probe.
out=$(as "$UB" "$RAW" connect "$SOCK" valid-random)
check "control: as $UB READY and an answer" test "$out" = "$(printf 'ready\nanswer 0x100')"

# Serving, bos-hsmd makes no keys, whoever asks: KEYGEN from the vault's uid
# is answered ERR (0x101) and the connection goes on; no object file appears.
objs=$(find "$H/tokens" -type f | wc -l)
out=$(as "$UB" "$RAW" connect "$SOCK" keygen-in-serve)
check "KEYGEN over the socket: READY, then ERR" test "$out" = "$(printf 'ready\nanswer 0x101')"
check "KEYGEN over the socket: logged as refused" grep -q 'refused a keygen request' "$T/hsmd.log"
check "KEYGEN over the socket: no new token object" test "$(find "$H/tokens" -type f | wc -l)" = "$objs"
check "KEYGEN over the socket: bos-hsmd goes on" kill -0 "$HPID"

# The vault restarts and reconnects; the token stayed logged in.
start_b_vault "$T/vault2.log"
check "the restarted vault is ready again" grep -q 'ready:' "$T/vault2.log"
# Sessions end with the vault; sign in again with the current step's code.
SESSION=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(totp_code)\"}" "$URL/auth/login" | jq -r .session)
out=$(api GET "/credentials/$ID")
check "the credential reads back after the restart" test "$(jq -r .secret <<<"$out")" = "$K"
check "bos-hsmd kept running throughout" kill -0 "$HPID"
check "bos-hsmd served every connection of $UB" test "$(grep -c 'serving uid' "$T/hsmd.log")" -ge 3
# Control for the probes: the same bos-hsmd where the kernel has no Landlock,
# allowed to run unconfined, on a second socket: the probes its uid may pass
# by owner (all but /etc/shadow) get through, so "refused" above is Landlock's.
if [ "$KIND" != null ]; then
	setpriv --reuid="$UA" --regid="$UA" --clear-groups env SOFTHSM2_CONF="$H/softhsm2.conf" \
		LD_PRELOAD="$T/bin/path_probe.so" BOS_PATH_PROBE=hsmd-own BOS_PATH_PROBE_DIR="$H" \
		"$T/bin/no_landlock" ENOSYS "$HSMD" --module "$MOD" --token "$L" --pin-file "$H/hsm-pin" \
		--listen "$T/run/ctl.sock" --peer-uid "$UB" --allow-unconfined-paths >"$T/ctl.log" 2>&1 &
	CPID=$!
	bg_track "$CPID"
	for _ in $(seq 100); do grep -q 'ready:' "$T/ctl.log" && break; sleep 0.1; done
	as "$UB" "$RAW" connect "$T/run/ctl.sock" >/dev/null
	for _ in $(seq 50); do grep -q 'path_probe: hsmd done' "$T/ctl.log" && break; sleep 0.1; done
	kill -TERM "$CPID"; wait "$CPID" 2>/dev/null
	n=$(grep -c "path_probe: hsmd .* NOT REFUSED" "$T/ctl.log")
	check "control: without Landlock 7 of the 8 probes get through ($n)" test "$n" -eq 7
	check "control: /etc/shadow stays closed by its mode alone" \
		grep -q "path_probe: hsmd shadow-read refused (Permission denied)" "$T/ctl.log"
	check "control: bos-hsmd warns that file paths are NOT confined" \
		grep -q "warning: sandbox: file paths are NOT confined" "$T/ctl.log"
	rm -f "$H/tokens/probe.object" "$T/hsm/outside/new-hsmd"
fi
PIN=$(cat "$H/hsm-pin")
check_not "no PIN in any log" grep -qF "$PIN" "$T/hsmd.log" "$T/vault.log" "$T/vault2.log" "$T/ctl.log"
# bos-hsmd goes away under a running vault (it is not the vault's child: no
# SIGCHLD): the hang-up of its connection stops the vault, non-zero, saying
# why, so that systemd restarts it once bos-hsmd is back.
kill -TERM "$HPID"; wait "$HPID" 2>/dev/null
for _ in $(seq 50); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
check_not "bos-hsmd gone: the vault does not run on without it" kill -0 "$VPID"
wait "$VPID"; rc=$?
check "bos-hsmd gone: the vault exits 1" test "$rc" -eq 1
check "bos-hsmd gone: the vault says why" grep -q 'bos-hsmd closed its connection; stopping' "$T/vault2.log"
finish
