#!/bin/bash
# bos-broker as its own unprivileged user, as bos-broker@ROLE.service runs it
# (docs/DEPLOY.md "Brokers"): the vault's bos.conf names the role's uid
# (broker_uid_outreach = nobody's here), the token file belongs to that user.
# The broker serves a verify job from there; the process is undumpable
# (its /proc/PID files belong to root, where a plain process of the same
# user owns its own: the control) and the same user cannot read its memory;
# the same token from another uid is refused (403 broker_uid) and that broker
# exits 1 saying so. Needs root (to switch users); skipped otherwise.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"
. "$(dirname "$0")/../stubs/lib_stub.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	ok "skipped: switching to another user needs root and setpriv"
	finish
fi
NOBODY=$(id -u nobody) NOGROUP=$(id -g nobody)
AS=(setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups)
check "vault up (broker_uid_outreach = nobody's uid $NOBODY, monitor = root's)" \
	api_up "$T/s" "broker_uid_outreach = $NOBODY" "broker_uid_monitor = 0" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
# nobody reaches the socket (the test's directories are root's 0700).
chmod 0711 "$T" "$T/s" && chmod 0666 "$S/vault.sock"
stub_certs "$T/pki" && stub_start "$T/pki" || { notok "the provider stubs start"; finish; }
chmod 0755 "$T/pki" && chmod 0644 "$STUB_CA"

TOK=$(broker_add outreach as-nobody)
mkdir -m 0755 "$T/b" && printf '%s\n' "$TOK" >"$T/b/token" && chmod 0600 "$T/b/token" &&
	chown "$NOBODY:$NOGROUP" "$T/b/token"
{
	echo "vault_socket = $S/vault.sock"; echo "token_file = $T/b/token"; echo "test_ca_file = $STUB_CA"
	echo "claim_wait = 2"; echo "base_url.sendgrid = https://127.0.0.1:$STUB_PORT_sendgrid"
} >"$T/b/broker.conf"
chmod 0644 "$T/b/broker.conf"
KEY="SG.$(canary user)"
stub_key sendgrid "$KEY" ok
CID=$(api POST /credentials "{\"name\":\"sg\",\"type\":\"api_key\",\"service\":\"sendgrid\",\"secret\":\"$KEY\"}" | jq -r .id)
JID=$(job_add sendgrid "\"credential\":\"$CID\"")
check "a sendgrid credential and a verify job" test -n "$JID"

"${AS[@]}" "$BOS_BIN/bos-broker" outreach --config "$T/b/broker.conf" >"$T/b.log" 2>&1 &
BPID=$!; bg_track $BPID
for _ in $(seq 100); do [ "$(jstate "$JID")" = done ] && break; sleep 0.2; done
check "bos-broker as nobody ran the job: done, ok" \
	jq -e '.job.state == "done" and .job.result.ok == true' <<<"$(api GET "/jobs/$JID")" ||
	sed 's/^/# /' "$T/b.log"
check "it runs as uid $NOBODY" test "$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$BPID/status")" = "$NOBODY$NOBODY$NOBODY$NOBODY"
"${AS[@]}" sleep 30 & SL=$!; bg_track $SL
sleep 0.2
check "control: a plain process of nobody owns its /proc files" test "$(stat -c %u "/proc/$SL/mem")" = "$NOBODY"
check "the broker is undumpable: its /proc files belong to root" test "$(stat -c %u "/proc/$BPID/mem")" = 0
echo "$KEY" >"$T/b/canary" && chmod 0644 "$T/b/canary"
"${AS[@]}" "$BOS_TESTBIN/memscan" "$SL" "$T/b/canary" >/dev/null 2>&1; rc=$?
check "control: nobody can scan its own plain process's memory (memscan rc $rc)" test "$rc" -le 1
# (detect_leaks=0: an ASan memscan leaks on its error path and would exit 1.)
ASAN_OPTIONS=detect_leaks=0 "${AS[@]}" "$BOS_TESTBIN/memscan" "$BPID" "$T/b/canary" >"$T/ms.out" 2>&1; rc=$?
check "nobody cannot read the broker's memory (memscan rc $rc: permission denied)" \
	bash -c "[ $rc -eq 2 ] && grep -q 'Permission denied' '$T/ms.out'"
check "control: nobody can read its own process's environment" \
	"${AS[@]}" cat "/proc/$SL/environ"
check "nobody cannot read the broker's environment" bash -c "! ${AS[*]} cat /proc/$BPID/environ >/dev/null 2>&1"
kill -TERM $BPID; wait $BPID; rc=$?
check "SIGTERM: exit 0 ($rc)" test "$rc" -eq 0

# The same token from root's uid: the vault refuses (403 broker_uid); the broker exits 1.
cp "$T/b/token" "$T/b/root-token" && chown 0:0 "$T/b/root-token" && chmod 0600 "$T/b/root-token"
sed "s|token_file = .*|token_file = $T/b/root-token|" "$T/b/broker.conf" >"$T/b/root.conf"
timeout 20 "$BOS_BIN/bos-broker" outreach --config "$T/b/root.conf" >"$T/r.log" 2>&1; rc=$?
check "the outreach token from another uid: refused, exit 1 ($rc)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'broker_uid' '$T/r.log' && grep -q 'the vault refuses this broker' '$T/r.log'" ||
	sed 's/^/# /' "$T/r.log"
check "no secret and no token in either log" \
	test "$(count_in "$KEY" "$T/b.log")$(count_in "$TOK" "$T/b.log")$(count_in "$TOK" "$T/r.log")" = 000
finish
