#!/bin/bash
# bos-broker's sandbox (docs/SANDBOX.md "bos-broker", SECURITY.md "Brokers").
# Negative: in the broker profile (tests/tools/broker_probe enters it as
# bos-broker does), each forbidden class dies of SIGSYS in every trial: an
# open for writing (5 ways), the legacy open, exec, execveat, ptrace (2),
# fork, vfork, process_vm_readv, kill of another process, executable memory
# (2), unlink, mkdir, bind, listen, and sockets of other families or types
# (netlink, packet, raw, unix datagram), accept4 on a socket other than the
# hooks listener's or with no listener, prctl other than PR_SET_NAME.
# Reading by path outside name
# resolution's files is refused by Landlock (EACCES).
# Positive: the real work runs under the filter: a thread, clone3 -> ENOSYS,
# a signal handler, accept4 on the hooks listener's socket, PR_SET_NAME,
# /etc/hosts, getaddrinfo in a thread (files, then a name server), an HTTPS verify call against the provider stub, a claim over a
# unix socket. A provider's real host resolving to an internal address
# (loopback, private, link-local, metadata, CGNAT, unspecified, IPv6 ULA and
# link-local, v4-mapped loopback) is refused at connect time, with a control
# at a public address. The real bos-broker: filter mode and no new privileges in
# /proc/PID/status, the test base URLs logged as warnings, SIGTERM -> exit 0
# with one line. Its configuration's refusals: plain http, a base URL off
# loopback, a base URL without test_ca_file, a token file others can read,
# no token, a malformed token, an unknown setting.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

PROBE=$BOS_TESTBIN/broker_probe
BROKER=$BOS_BIN/bos-broker
TRIALS=${BOS_SANDBOX_TRIALS:-20}
SIGSYS_RC=159
KIND=$("$PROBE" kind) || { notok "broker_probe runs"; finish; }

stub_certs "$T/pki" || { notok "test certificates (openssl)"; finish; }
stub_start "$T/pki" || { notok "the provider stubs start"; cat "$T/pki/stub.err"; finish; }
stub_key sendgrid SG.sandbox_probe_ok ok

# trials ACTION: how many of TRIALS runs died of SIGSYS.
trials() {
	local n=0 i
	for i in $(seq "$TRIALS"); do
		"$PROBE" "$1" >/dev/null 2>&1
		[ $? -eq $SIGSYS_RC ] && n=$((n + 1))
	done 2>/dev/null
	echo "$n"
}

FORBIDDEN="open-write open-rdwr open-creat open-trunc open-append open-legacy exec execveat ptrace
	ptrace-attach fork vfork process-vm kill-other mmap-exec mprotect-exec unlink mkdir bind listen
	socket-netlink socket-packet socket-raw socket-unix-dgram accept-other accept-none prctl-other"
if [ "$KIND" = null ]; then
	ok "forbidden classes: not checked (null sandbox in sanitizer builds)"
else
	for a in $FORBIDDEN; do
		n=$(trials "$a")
		check "broker profile: $a dies of SIGSYS ($n/$TRIALS)" test "$n" -eq "$TRIALS"
	done
	for f in /etc/hostname /etc/passwd /etc/ssl/certs/ca-certificates.crt "$T/pki/server.key"; do
		[ -e "$f" ] || continue
		"$PROBE" read-etc "$f" >"$T/p.out" 2>&1; rc=$?
		check "broker profile: reading $f is refused with EACCES (Landlock)" test "$rc" -eq 13
	done
fi

# Allowed work.
check "broker profile: a thread runs and clone3 answers ENOSYS" "$PROBE" ok
check "broker profile: a SIGTERM handler runs and returns" "$PROBE" sigterm
check "broker profile: accept4 on the hooks listener's socket (EAGAIN)" "$PROBE" accept-listener
check "broker profile: libmicrohttpd's thread may name itself (prctl PR_SET_NAME)" "$PROBE" prctl-name
check "broker profile: /etc/hosts is readable (name resolution)" "$PROBE" read-dns
"$PROBE" resolve localhost >"$T/p.out" 2>&1; rc=$?
check "broker profile: getaddrinfo in a thread finds localhost in the hosts file (rc $rc)" \
	grep -q 'resolve localhost: found' "$T/p.out"
"$PROBE" resolve no-such-host.invalid >"$T/p.out" 2>&1; rc=$?
check "broker profile: getaddrinfo through the name servers survives the filter (rc $rc)" test "$rc" -eq 0
"$PROBE" https "https://127.0.0.1:$STUB_PORT_sendgrid" "$STUB_CA" SG.sandbox_probe_ok >"$T/p.out" 2>&1
check "broker profile: an HTTPS verify call against the sendgrid stub answers 200" \
	grep -q 'outcome 0 status 200' "$T/p.out"
check "the stub saw exactly that request" test "$(stub_count '.key == "'"$(stub_kid SG.sandbox_probe_ok)"'" and .status == 200')" -eq 1
VSOCK=$T/vault.sock
"$STUB_PY" "$STUB_DIR_SRC/vault_no_job.py" "$VSOCK" & bg_track $!
for _ in $(seq 50); do [ -S "$VSOCK" ] && break; sleep 0.1; done
check "broker profile: a claim over the unix socket (HTTP, 204)" "$PROBE" claim "$VSOCK"

# SSRF (SECURITY.md "Brokers and the outside world"): a provider's real host
# that resolves to an internal address is refused at connect time, inside the
# sandbox. /etc/hosts is replaced in a private mount namespace (root only).
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
if [ "$(id -u)" -eq 0 ] && [ -r "$CA_BUNDLE" ] && unshare -m true 2>/dev/null; then
	# hosts_probe ADDRESS CONNECTOR: broker_probe prod with every provider host at ADDRESS.
	hosts_probe() {
		echo "$1 api.sendgrid.com api.twilio.com api.stripe.com api.mailgun.net api.openai.com" >"$T/hosts"
		unshare -m bash -c "mount --bind '$T/hosts' /etc/hosts &&
			timeout 30 '$PROBE' prod '$2' '$CA_BUNDLE' probe-key-0123" >"$T/p.out" 2>&1
	}
	set -- 127.0.0.1:sendgrid 10.1.2.3:twilio 172.16.0.9:stripe 192.168.1.1:mailgun \
		169.254.169.254:openai 100.64.0.1:sendgrid 0.0.0.0:sendgrid ::1:stripe fe80::1:openai \
		fd00::1:mailgun ::ffff:127.0.0.1:twilio
	for pair in "$@"; do
		hosts_probe "${pair%:*}" "${pair##*:}"; rc=$?
		check "SSRF: ${pair##*:}'s host at ${pair%:*} is refused as internal (in the sandbox)" \
			test "$rc" -eq 0 || sed 's/^/# /' "$T/p.out"
	done
	hosts_probe 192.0.2.10 sendgrid
	check "control: at a public address (TEST-NET-1) the call is attempted (a network error, not refused)" \
		bash -c "grep -q 'outcome 2 status 0 network error' '$T/p.out'" || sed 's/^/# /' "$T/p.out"
else
	ok "SSRF by name resolution: skipped (needs root, unshare -m and $CA_BUNDLE)"
fi

# The real bos-broker: its config, a token file, the stubs for every connector.
TOK=$("$PROBE" new-token)
printf '%s\n' "$TOK" >"$T/token" && chmod 0600 "$T/token"
conf() {  # conf FILE [extra lines...]: a complete test config, plus extra lines
	local f=$1; shift
	{
		echo "vault_socket = $VSOCK"
		echo "token_file = $T/token"
		echo "test_ca_file = $STUB_CA"
		echo "claim_wait = 1"
		for p in sendgrid twilio stripe mailgun openai; do
			eval "echo \"base_url.$p = https://127.0.0.1:\$STUB_PORT_$p/\""
		done
		for l in "$@"; do echo "$l"; done
	} >"$f"
}
conf "$T/broker.conf"
"$BROKER" outreach --config "$T/broker.conf" >"$T/broker.log" 2>&1 &
BPID=$!
bg_track "$BPID"
for _ in $(seq 100); do grep -q 'ready:' "$T/broker.log" && break; sleep 0.1; done
check "bos-broker starts and says ready" grep -q 'ready: role outreach' "$T/broker.log" ||
	{ cat "$T/broker.log"; finish; }
check "each test base URL is logged as a warning at start (5)" \
	test "$(grep -c 'warning: TEST SETTING: connector' "$T/broker.log")" -eq 5
if [ "$KIND" = null ]; then
	ok "bos-broker filter mode: not checked (null sandbox)"
else
	check "bos-broker runs in seccomp filter mode (Seccomp: 2)" grep -qP '^Seccomp:\t2$' "/proc/$BPID/status"
	check "bos-broker file paths are confined (Landlock)" grep -q 'file paths: landlock ABI' "$T/broker.log"
fi
check "bos-broker has no new privileges" grep -qP '^NoNewPrivs:\t1$' "/proc/$BPID/status"
check "the token is in neither argv nor the environment" \
	bash -c "! tr '\0' '\n' </proc/$BPID/cmdline | grep -qF '$TOK' && ! tr '\0' '\n' </proc/$BPID/environ | grep -qF '$TOK'"
sleep 1
kill -TERM "$BPID"
wait "$BPID"; rc=$?
check "SIGTERM: bos-broker exits 0 (rc $rc)" test "$rc" -eq 0
check "SIGTERM: one line says it stopped" test "$(grep -c 'stopping' "$T/broker.log")" -eq 1
check "the token is not in the broker's log" test "$(count_in "$TOK" "$T/broker.log")" -eq 0

# The token from systemd's credentials directory comes first.
mkdir -p "$T/creds" && printf '%s\n' "$TOK" >"$T/creds/broker-token" && chmod 0400 "$T/creds/broker-token"
grep -v '^token_file' "$T/broker.conf" >"$T/nofile.conf"
CREDENTIALS_DIRECTORY=$T/creds timeout 10 "$BROKER" outreach --config "$T/nofile.conf" --once >"$T/b1.log" 2>&1
check "the token is taken from \$CREDENTIALS_DIRECTORY/broker-token" grep -q 'ready:' "$T/b1.log"

# refused NAME PATTERN [config lines...]: bos-broker exits 1 before ready, saying PATTERN.
refused() {
	local name=$1 pat=$2; shift 2
	conf "$T/bad.conf" "$@"
	timeout 10 "$BROKER" outreach --config "$T/bad.conf" --once >"$T/bad.log" 2>&1; local rc=$?
	if [ "$rc" -eq 1 ] && grep -q -- "$pat" "$T/bad.log" && ! grep -q 'ready:' "$T/bad.log"; then
		ok "refused: $name"
	else
		notok "refused: $name (rc $rc)"; sed 's/^/#   /' "$T/bad.log"
	fi
}
refused "an http:// base URL" "no plain http" "base_url.stripe = http://127.0.0.1:$STUB_PORT_stripe"
refused "a base URL off loopback (host not allowed)" "loopback" "base_url.openai = https://10.1.2.3:443"
refused "a base URL naming a provider's real host" "loopback" "base_url.openai = https://api.openai.com"
refused "a base URL with a user" "no plain http, no user" "base_url.openai = https://u@127.0.0.1:1"
refused "a base URL for an unknown connector" "no such connector" "base_url.paypal = https://127.0.0.1:1"
refused "an unknown setting" "unknown setting" "follow_redirects = 1"
grep -v '^test_ca_file' "$T/broker.conf" >"$T/noca.conf"
timeout 10 "$BROKER" outreach --config "$T/noca.conf" --once >"$T/bad.log" 2>&1; rc=$?
check "refused: test base URLs without test_ca_file (rc $rc)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'needs test_ca_file' '$T/bad.log'"
chmod 0644 "$T/token"
refused "a token file others can read (0644)" "mode 0400 or 0600"
chmod 0600 "$T/token"
echo "bos_b_notatoken" >"$T/badtok" && chmod 0600 "$T/badtok"
refused "a malformed token" "does not hold a broker token" "token_file = $T/badtok"
grep -v '^token_file' "$T/broker.conf" >"$T/bad.conf"
timeout 10 env -u CREDENTIALS_DIRECTORY "$BROKER" outreach --config "$T/bad.conf" --once >"$T/bad.log" 2>&1; rc=$?
check "refused: no token at all (rc $rc)" bash -c "[ $rc -eq 1 ] && grep -q 'no token' '$T/bad.log'"
timeout 10 "$BROKER" sales --config "$T/broker.conf" --once >"$T/bad.log" 2>&1; rc=$?
check "refused: an unknown role (rc $rc)" bash -c "[ $rc -eq 1 ] && grep -q 'unknown role' '$T/bad.log'"
"$BROKER" >/dev/null 2>&1; rc=$?
check "usage: no role is exit 2" test "$rc" -eq 2
# systemd/broker.conf.example with its settings uncommented (the test-only ones and token_file
# left out) is accepted: the broker gets as far as looking for its token.
sed -e 's/^#\([a-z_]* = \)/\1/' -e '/^base_url\|^test_ca_file\|^token_file/d' \
	systemd/broker.conf.example >"$T/example.conf"
timeout 10 env -u CREDENTIALS_DIRECTORY "$BROKER" outreach --config "$T/example.conf" --once >"$T/ex.log" 2>&1
check "systemd/broker.conf.example's settings are all accepted" \
	bash -c "grep -q 'no token' '$T/ex.log' && [ \$(grep -c '^[a-z]' '$T/example.conf') -ge 8 ]"
finish
