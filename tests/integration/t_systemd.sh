#!/bin/bash
# systemd units (systemd/): the exposure gate of SECURITY.md, unit syntax, the
# HSM PIN only as a credential file, and the vault's real system calls
# against the unit's SystemCallFilter. No running systemd is needed:
# `systemd-analyze security --offline=true` and `verify --root` read files.
. "$(dirname "$0")/lib.sh"
SD=$(pwd)/systemd
U=$T/units
mkdir -p "$U"
# systemd 252 reads --threshold as an integer on the 0..100 scale of the
# exposure level times ten ("--threshold=1.0" is a parse error): 10 is 1.0.
VAULT_MAX=10 BROKER_MAX=15

# exposure FILE: the overall exposure level, e.g. "0.9".
exposure() {
	systemd-analyze security --offline=true "$1" 2>/dev/null |
		sed -n 's/^→ Overall exposure level for .*: \([0-9.]*\) .*/\1/p'
}
# gate NAME FILE MAX: the real CI gate, with the score in the output.
gate() {
	local s
	s=$(exposure "$2")
	echo "# exposure of $1: ${s:-unknown} (gate: --threshold=$3, i.e. $(($3 / 10)).$(($3 % 10)))"
	check "$1 passes systemd-analyze security --threshold=$3" \
		systemd-analyze security --offline=true --threshold="$3" "$2"
}
gate_fails() {
	local s
	s=$(exposure "$2")
	echo "# exposure of $1: ${s:-unknown}"
	check_not "$1 fails the gate --threshold=$3 (the gate has teeth)" \
		systemd-analyze security --offline=true --threshold="$3" "$2"
}

for f in bos-vaultd.service bos-vaultd.socket bos-hsmd.service bos-broker@.service dropins/socket-activation.conf \
	dropins/plain-credential.conf dropins/broker-plain-credential.conf sysusers.d/bos.conf \
	bos.conf.example; do
	check "systemd/$f exists" test -s "$SD/$f"
done

# 1. Exposure. The template is checked as an instance, like systemd runs it.
cp "$SD/bos-vaultd.service" "$U/bos-vaultd.service"
cp "$SD/bos-broker@.service" "$U/bos-broker@test.service"
cp "$SD/bos-hsmd.service" "$U/bos-hsmd.service"
gate "bos-vaultd.service" "$U/bos-vaultd.service" $VAULT_MAX
gate "bos-hsmd.service" "$U/bos-hsmd.service" $VAULT_MAX
gate "bos-broker@test.service" "$U/bos-broker@test.service" $BROKER_MAX
# The drop-ins as systemd merges them: the unit, then the drop-in's lines.
cat "$SD/bos-vaultd.service" "$SD/dropins/socket-activation.conf" >"$U/bos-vaultd-sa.service"
gate "bos-vaultd.service + socket-activation.conf" "$U/bos-vaultd-sa.service" $VAULT_MAX
cat "$SD/bos-hsmd.service" "$SD/dropins/plain-credential.conf" >"$U/bos-hsmd-plain.service"
gate "bos-hsmd.service + plain-credential.conf" "$U/bos-hsmd-plain.service" $VAULT_MAX
cat "$SD/bos-broker@.service" "$SD/dropins/broker-plain-credential.conf" >"$U/bos-broker-plain@test.service"
gate "bos-broker@.service + broker-plain-credential.conf" "$U/bos-broker-plain@test.service" $BROKER_MAX
sa=$(exposure "$U/bos-vaultd-sa.service") plain=$(exposure "$U/bos-vaultd.service")
check "socket activation lowers the vault's exposure ($plain -> $sa)" \
	awk -v a="$sa" -v b="$plain" 'BEGIN { exit !(a + 0 < b + 0) }'

# Negative: weakened copies must fail, or the gate proves nothing.
grep -v '^ProtectSystem=' "$SD/bos-vaultd.service" >"$U/weak-vault.service"
gate_fails "bos-vaultd.service without ProtectSystem=" "$U/weak-vault.service" $VAULT_MAX
grep -Ev '^(SystemCallFilter|CapabilityBoundingSet)=' "$SD/bos-vaultd.service" >"$U/weak2-vault.service"
gate_fails "bos-vaultd.service without SystemCallFilter=/CapabilityBoundingSet=" \
	"$U/weak2-vault.service" $VAULT_MAX
grep -Ev '^(SystemCallFilter|CapabilityBoundingSet|ProtectSystem)=' "$SD/bos-hsmd.service" \
	>"$U/weak-hsmd.service"
gate_fails "bos-hsmd.service without SystemCallFilter=/CapabilityBoundingSet=/ProtectSystem=" \
	"$U/weak-hsmd.service" $VAULT_MAX
grep -Ev '^(ProtectSystem|PrivateDevices|RestrictAddressFamilies)=' "$SD/bos-broker@.service" \
	>"$U/weak-broker@test.service"
gate_fails "bos-broker@ without ProtectSystem=/PrivateDevices=/RestrictAddressFamilies=" \
	"$U/weak-broker@test.service" $BROKER_MAX

# Directives whose reason is behaviour, not score.
for d in User=bos Group=bos StateDirectory=bos StateDirectoryMode=0700 UMask=0077 LimitCORE=0 \
	NoNewPrivileges=yes CapabilityBoundingSet= 'RestartPreventExitStatus=64 74' KillMode=mixed \
	'ExecStart=/usr/local/bin/bos-vaultd --state-dir /var/lib/bos'; do
	check "bos-vaultd.service has $d" grep -qx -- "$d" "$SD/bos-vaultd.service"
done
# bos-broker@ROLE (docs/BROKERS.md "bos-broker"): its own program and user, the
# token only as a credential, its own filter and Landlock allowed.
for d in 'ExecStart=/usr/local/bin/bos-broker %i' User=bos-%i Group=bos-%i SupplementaryGroups=bos-api \
	'LoadCredentialEncrypted=broker-token:/etc/credstore.encrypted/bos-broker-%i.token' NoNewPrivileges=yes CapabilityBoundingSet= \
	'SystemCallFilter=@system-service seccomp' \
	'SystemCallFilter=landlock_create_ruleset landlock_add_rule landlock_restrict_self' LimitCORE=0; do
	check "bos-broker@.service has $d" grep -qx -- "$d" "$SD/bos-broker@.service"
done
check "the broker's plain-credential drop-in swaps the encrypted credential for a 0400 file" bash -c \
	"grep -qx 'LoadCredentialEncrypted=' '$SD/dropins/broker-plain-credential.conf' &&
	 grep -qx 'LoadCredential=broker-token:/etc/bos/broker-%i.token' '$SD/dropins/broker-plain-credential.conf'"
check "bos-broker@.service carries no token (bos_b_)" bash -c "! grep -q 'bos_b_[0-9A-Za-z]' '$SD/bos-broker@.service'"
# bos-hsmd as its own user (docs/HSM.md, "Its own user").
for d in User=bos-hsm Group=bos-hsm StateDirectory=bos-hsm StateDirectoryMode=0700 \
	RuntimeDirectory=bos-hsm RuntimeDirectoryMode=0755 UMask=0077 LimitCORE=0 NoNewPrivileges=yes \
	CapabilityBoundingSet= PrivateUsers=no PrivateNetwork=yes RestrictAddressFamilies=AF_UNIX \
	'ExecStart=/usr/local/libexec/bos/bos-hsmd --module /usr/lib/softhsm/libsofthsm2.so --token bos --listen /run/bos-hsm/hsm.sock --peer-uid bos'; do
	check "bos-hsmd.service has $d" grep -qx -- "$d" "$SD/bos-hsmd.service"
done
check "bos-hsmd.service makes no keys: no --init, --create-token or --generate-keys" \
	bash -c "! grep -E '^ExecStart.*--(init|create-token|generate-keys)' '$SD/bos-hsmd.service'"
check "bos-vaultd.service requires bos-hsmd.service and starts after it" bash -c \
	"grep -qx Requires=bos-hsmd.service '$SD/bos-vaultd.service' &&
	 grep -qE '^After=.*\bbos-hsmd\.service' '$SD/bos-vaultd.service'"
check "sysusers.d/bos.conf makes bos-hsm, not the vault's user" \
	grep -qE '^u +bos-hsm +- ' "$SD/sysusers.d/bos.conf"
check "socket activation gives the vault PrivateNetwork=yes and AF_UNIX only" bash -c \
	"grep -qx PrivateNetwork=yes '$SD/dropins/socket-activation.conf' &&
	 grep -qx RestrictAddressFamilies=AF_UNIX '$SD/dropins/socket-activation.conf'"
# KillMode=mixed, shown: SIGTERM to the whole group (systemd's default) also
# stops bos-hsmd, and the vault's stop record goes unsigned; SIGTERM to the
# vault alone lets it sign and then close bos-hsmd.
init_dev "$T/km" >/dev/null
if start_vault "$T/km" "$T/km1.log"; then
	H=$(hsmd_pid_of "$VPID"); kill -TERM "$VPID" "$H"; wait "$VPID"
	check "SIGTERM to vault and bos-hsmd together leaves the stop unsigned (why KillMode=mixed)" \
		grep -q 'stop was not recorded and signed' "$T/km1.log"
else notok "a vault for the KillMode check starts"; fi
if start_vault "$T/km" "$T/km2.log"; then
	kill -TERM "$VPID"; wait "$VPID"; rc=$?
	check "SIGTERM to the vault alone: clean stop, signed (exit $rc)" bash -c \
		"test $rc -eq 0 && ! grep -q 'not recorded' '$T/km2.log'"
else notok "the vault restarts for the KillMode check"; fi

# 2. Syntax, as systemd itself parses it, in a root tree laid out as by
# `make install` (t_install.sh checks the install itself): --root makes verify
# look for the ExecStart= programs and the system's own targets there.
R=$T/root
UD=$R/usr/local/lib/systemd/system
mkdir -p "$UD" "$R/usr/local/bin" "$R/usr/local/libexec/bos" "$R/usr/lib/systemd" \
	"$R/etc/systemd/system/bos-vaultd.service.d" "$R/etc/systemd/system/bos-hsmd.service.d"
cp "$SD/bos-vaultd.service" "$SD/bos-vaultd.socket" "$SD/bos-hsmd.service" "$SD/bos-broker@.service" "$UD/"
cp "$VAULTD" "$BOSCTL" "$R/usr/local/bin/"
cp "$BOS_BIN/bos-hsmd" "$R/usr/local/libexec/bos/"
cp -a /usr/lib/systemd/system "$R/usr/lib/systemd/"
cp "$BOS_BIN/bos-broker" "$R/usr/local/bin/"
cp "$SD/dropins/socket-activation.conf" "$R/etc/systemd/system/bos-vaultd.service.d/"
cp "$SD/dropins/plain-credential.conf" "$R/etc/systemd/system/bos-hsmd.service.d/"
mkdir -p "$R/etc/systemd/system/bos-broker@.service.d" &&
	cp "$SD/dropins/broker-plain-credential.conf" "$R/etc/systemd/system/bos-broker@.service.d/plain-credential.conf"
out=$(systemd-analyze verify --man=no --root="$R" bos-vaultd.service bos-vaultd.socket \
	bos-hsmd.service bos-broker@test.service 2>&1); rc=$?
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# verify: /'
check "systemd-analyze verify --root accepts the units and drop-ins" test "$rc" -eq 0 -a -z "$out"
sed 's/^ProtectSystem=strict/ProtectSystem=stric/' "$SD/bos-vaultd.service" \
	>"$UD/bos-typo.service"
out=$(systemd-analyze verify --man=no --root="$R" bos-typo.service 2>&1)
check "and reports a unit with a typo (control)" grep -q 'protect system value' <<<"$out"

# 3. The PIN: only a credential file, never in a unit, argv, environment or log.
# The one environment line allowed is bos-hsmd's SoftHSM configuration path.
hits=$(grep -HnEi '^\s*(Environment|EnvironmentFile|PassEnvironment|SetCredential|SetCredentialEncrypted)=|--pin|pin *=' \
	"$SD"/*.service "$SD"/*.socket "$SD"/dropins/*.conf |
	grep -vx "$SD/bos-hsmd.service:[0-9]*:Environment=SOFTHSM2_CONF=/var/lib/bos-hsm/softhsm2.conf" || true)
[ -z "$hits" ] || echo "$hits" | sed 's/^/# /'
check "no unit sets an environment, a literal credential or a --pin argument" test -z "$hits"
check "the bos-hsmd unit loads the PIN with LoadCredentialEncrypted=" grep -qx \
	'LoadCredentialEncrypted=hsm-pin:/etc/credstore.encrypted/bos-hsm-pin' "$SD/bos-hsmd.service"
check_not "the vault unit loads no PIN (bos-hsmd.service holds it)" grep -qE '^LoadCredential' \
	"$SD/bos-vaultd.service"
check "the development drop-in loads it from a file (LoadCredential=)" grep -qx \
	'LoadCredential=hsm-pin:/etc/bos/hsm-pin' "$SD/dropins/plain-credential.conf"

# The PIN as a credential, as bos-hsmd.service hands it over
# ($CREDENTIALS_DIRECTORY/hsm-pin, 0400), here through the fork + exec path
# (no pin_file in bos.conf, the vault's own user, nobody here), which passes
# CREDENTIALS_DIRECTORY on to bos-hsmd. t_hsm_user.sh runs bos-hsmd as
# another user on its socket.
S=$T/state C=$T/creds
init_dev "$S" >/dev/null || notok "init a development vault"
mkdir -p "$C"
mv "$S/hsm-pin" "$C/hsm-pin"
sed -i '/^pin_file/d' "$S/bos.conf"
PIN=$(cat "$C/hsm-pin")
check "the development PIN is long enough to be a meaningful canary" test "${#PIN}" -ge 16
AS=()
if [ "$(id -u)" -eq 0 ]; then
	RUN_GROUP=$(getent group nogroup >/dev/null && echo nogroup || echo nobody)
	others_can_run || notok "copies of the programs that nobody can run"
	chown -R nobody:"$RUN_GROUP" "$S" "$C"
	AS=(setpriv --reuid=nobody --regid="$RUN_GROUP" --clear-groups --no-new-privs)
fi
chmod 0500 "$C"
# start_as LOG [strace args...]: start the vault as AS with the credential.
start_as() {
	local log=$1; shift
	CREDENTIALS_DIRECTORY=$C "$@" "${AS[@]}" "$VAULTD" --state-dir "$S" >"$log" 2>&1 &
	VPID=$!
	bg_track "$VPID"
	wait_ready "$log" "$VPID"
}
check "the vault starts with the PIN from \$CREDENTIALS_DIRECTORY/hsm-pin" start_as "$T/v.log"
H=$(hsmd_pid_of "$VPID")
check "bos-hsmd runs" test -n "$H"
if [ -z "$H" ] || ! kill -0 "$VPID" 2>/dev/null; then
	notok "the vault and bos-hsmd must run for the /proc checks"; cat "$T/v.log" | sed 's/^/# /'
elif [ "$(id -u)" -eq 0 ]; then
	check "the vault runs as the unprivileged user" test "$(stat -c %U /proc/"$VPID")" = nobody
	# pin_absent FILE: the file reads, is not empty, and does not hold the PIN.
	pin_absent() {
		local c
		c=$(tr '\0' '\n' <"$1") && [ -n "$c" ] && ! grep -qF -- "$PIN" <<<"$c"
	}
	for p in "$VPID" "$H"; do
		n=$(ps -o comm= -p "$p")
		check "$n: PIN not in /proc/PID/cmdline" pin_absent /proc/"$p"/cmdline
		check "$n: PIN not in /proc/PID/environ" pin_absent /proc/"$p"/environ
	done
	# Control: the environ read is real (bos-hsmd gets the credentials path).
	check "bos-hsmd's environ holds CREDENTIALS_DIRECTORY (control: the read works)" \
		grep -qa "CREDENTIALS_DIRECTORY=$C" /proc/"$H"/environ
else
	echo "# skipped: /proc/PID/environ of an undumpable process needs root (CI runs as root)"
fi
check "PIN not in the vault's command line" bash -c "! tr '\0' '\n' </proc/$VPID/cmdline | grep -qF -- '$PIN'"
kill -TERM "$VPID"; wait "$VPID"
check "PIN not in the log" test "$(count_in "$PIN" "$T/v.log")" = 0

# 4. System calls: every call the vault and bos-hsmd make under a real
# workload must be allowed by the unit's SystemCallFilter= lines (they are
# inherited across exec, so bos-hsmd and the PKCS#11 module run under them).
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
allowed=$T/allowed
: >"$allowed"
while read -r line; do
	v=${line#SystemCallFilter=}
	if [[ $v == '~'* ]]; then
		expand ${v#\~} | sort -u >"$T/deny"
		sort -u "$allowed" | comm -23 - "$T/deny" >"$T/a2" && mv "$T/a2" "$allowed"
	else
		expand $v >>"$allowed"
	fi
done < <(grep '^SystemCallFilter=' "$SD/bos-vaultd.service")
sort -u -o "$allowed" "$allowed"
check "the filter allows seccomp and prlimit64, denies setrlimit and setuid" bash -c \
	"grep -qx seccomp '$allowed' && grep -qx prlimit64 '$allowed' &&
	 ! grep -qx setrlimit '$allowed' && ! grep -qx setuid '$allowed'"
if nm -D "$VAULTD" 2>/dev/null | grep -q '__asan_init'; then
	# A sanitizer runtime makes calls of its own and the vault's sandbox is the
	# null one there: the plain build's run is the one that speaks for production.
	echo "# skipped: system call check in a sanitizer build (the plain build runs it)"
elif command -v strace >/dev/null; then
	. "$(dirname "$0")/lib_api.sh"
	check "the vault starts under strace" start_as "$T/s.log" strace -f -qq -o "$T/trace"
	SPID=$VPID VPID=$(pgrep -P "$SPID" | head -1)
	# The first admin over the unix socket, as the vault's own user (SO_PEERCRED).
	out=$("${AS[@]}" curl -sS --max-time 30 --unix-socket "$S/vault.sock" -X POST \
		-H 'Content-Type: application/json' \
		--data-binary '{"name":"alice","password":"correct horse battery"}' http://vault/admins)
	TOTP_SECRET=$(jq -r .totp_secret <<<"$out" 2>/dev/null)
	export TOTP_SECRET
	check "admin, sign-in, a credential written and read back, audit export" bash -c '
		set -e
		. tests/integration/lib_api.sh
		S='"$S"' URL='"$URL"' T='"$T"'
		SESSION=$(vcurl -X POST -H "Content-Type: application/json" --data-binary \
			"{\"name\":\"alice\",\"password\":\"correct horse battery\",\"totp\":\"$(totp_code -1)\"}" \
			"$URL/auth/login" | jq -r .session)
		[ -n "$SESSION" ] && [ "$SESSION" != null ]
		id=$(api POST /credentials "{\"name\":\"k\",\"type\":\"api_key\",\"service\":\"s\",\"secret\":\"v1-secret\"}" | jq -r .id)
		[ "$(st)" = 201 ]
		api GET "/credentials/$id" | grep -q v1-secret
		api GET /credentials/audit >/dev/null; [ "$(st)" = 200 ]
		api GET /credentials/audit/pubkey | grep -q "BEGIN PUBLIC KEY"'
	# The vault, not strace, gets SIGTERM; never wait for ever on a stuck run.
	[ -n "$VPID" ] && kill -TERM "$VPID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$SPID" "$VPID" 2>/dev/null; wait "$SPID" 2>/dev/null
	# From the exec of bos-vaultd on (what setpriv did before is not the vault).
	awk '/execve\(".*bos-vaultd"/ && / = 0$/ { on = 1 } on' "$T/trace" |
		sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' | sort -u >"$T/used"
	echo "# $(wc -l <"$T/used") distinct system calls used by bos-vaultd and bos-hsmd"
	bad=$(comm -23 "$T/used" "$allowed" | tr '\n' ' ')
	[ -z "$bad" ] || echo "# not allowed by the unit: $bad"
	check "every system call the vault and bos-hsmd made is allowed by the unit" test -z "$bad"
	wx=$(grep -E 'mprotect\(.*PROT_EXEC|PROT_WRITE\|PROT_EXEC|shmat\(.*SHM_EXEC' "$T/trace" | head -3)
	[ -z "$wx" ] || echo "$wx" | sed 's/^/# /'
	check "no writable and executable memory, no mprotect(PROT_EXEC) (MemoryDenyWriteExecute=)" \
		test -z "$wx"
	# ProtectSystem=strict: only the state directory (and /dev/null) may be written.
	w=$(grep -oE 'open(at)?\((AT_FDCWD, )?"[^"]*", [A-Z_|]*(O_WRONLY|O_RDWR|O_CREAT)[A-Z_|]*\) = [0-9]' \
		"$T/trace" | grep -v -e "\"$S/" -e '"/dev/null"' | sort -u | head -5)
	[ -z "$w" ] || echo "$w" | sed 's/^/# /'
	check "files opened for writing are all in the state directory (ProtectSystem=strict)" \
		test -z "$w"
	check "and some were (control: the pattern matches)" \
		grep -qE "open(at)?\((AT_FDCWD, )?\"$S/[^\"]*\", [A-Z_|]*O_RDWR" "$T/trace"
	fams=$(grep -o 'socket(AF_[A-Z0-9]*' "$T/trace" | sort -u | sed 's/socket(//' | tr '\n' ' ')
	echo "# socket families created: $fams"
	check "only AF_UNIX and AF_INET sockets (RestrictAddressFamilies=)" \
		test -z "$(tr ' ' '\n' <<<"$fams" | grep -v -e '^$' -e '^AF_UNIX$' -e '^AF_INET$')"
	check "the vault stopped cleanly under the traced run" grep -q 'stopping on signal' "$T/s.log"
	# bos-hsmd as bos-hsmd.service runs it (--listen), against that unit's filter:
	# start-up, a refused peer, READY, RANDOM and a refused KEYGEN.
	: >"$T/hallowed"
	while read -r line; do
		v=${line#SystemCallFilter=}
		if [[ $v == '~'* ]]; then
			expand ${v#\~} | sort -u >"$T/deny"
			sort -u "$T/hallowed" | comm -23 - "$T/deny" >"$T/a2" && mv "$T/a2" "$T/hallowed"
		else
			expand $v >>"$T/hallowed"
		fi
	done < <(grep '^SystemCallFilter=' "$SD/bos-hsmd.service")
	sort -u -o "$T/hallowed" "$T/hallowed"
	if [ "$(id -u)" -eq 0 ] && "$BOS_TESTBIN/hsm_raw" init "$BOS_BIN/bos-hsmd" "$T/hs" bos-st >/dev/null 2>&1; then
		chown -R nobody:"$RUN_GROUP" "$T/hs"; install -d -o nobody -m 0755 "$T/hrun"
		strace -f -qq -o "$T/htrace" "${AS[@]}" env SOFTHSM2_CONF="$T/hs/softhsm2.conf" \
			"$T/bin/bos-hsmd" --module /usr/lib/softhsm/libsofthsm2.so --token bos-st \
			--pin-file "$T/hs/hsm-pin" --listen "$T/hrun/h.sock" --peer-uid 0 >"$T/h.log" 2>&1 &
		HS=$!
		bg_track "$HS"
		for _ in $(seq 100); do grep -q 'ready:' "$T/h.log" && break; sleep 0.1; done
		"${AS[@]}" "$BOS_TESTBIN/hsm_raw" connect "$T/hrun/h.sock" >/dev/null 2>&1
		a=$("$BOS_TESTBIN/hsm_raw" connect "$T/hrun/h.sock" valid-random)
		b=$("$BOS_TESTBIN/hsm_raw" connect "$T/hrun/h.sock" keygen-in-serve)
		kill -TERM $(pgrep -P "$HS") "$HS" 2>/dev/null; wait "$HS" 2>/dev/null
		check "traced bos-hsmd --listen: refused nobody, served root (RANDOM, KEYGEN refused)" \
			test "$a/$b/$(grep -c 'refused a connection' "$T/h.log")" = \
			"$(printf 'ready\nanswer 0x100')/$(printf 'ready\nanswer 0x101')/1"
		awk '/execve\("[^"]*bos-hsmd"/ && / = 0$/ { on = 1 } on' "$T/htrace" |
			sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' | sort -u >"$T/hused"
		echo "# $(wc -l <"$T/hused") distinct system calls used by bos-hsmd --listen"
		bad=$(comm -23 "$T/hused" "$T/hallowed" | tr '\n' ' ')
		[ -z "$bad" ] || echo "# not allowed by bos-hsmd.service: $bad"
		check "every system call bos-hsmd --listen made is allowed by bos-hsmd.service" test -z "$bad"
		fams=$(grep -o 'socket(AF_[A-Z0-9]*' "$T/htrace" | sort -u | sed 's/socket(//' | tr '\n' ' ')
		check "bos-hsmd --listen created AF_UNIX sockets only ($fams)" \
			test -z "$(tr ' ' '\n' <<<"$fams" | grep -v -e '^$' -e '^AF_UNIX$')"
	else
		echo "# skipped: bos-hsmd --listen under strace needs root (another uid to serve)"
	fi
	check "PIN not in the traced run's log" test "$(count_in "$PIN" "$T/s.log")" = 0
else
	echo "# skipped: strace is not installed (apt-get install strace): no syscall check"
fi
finish
