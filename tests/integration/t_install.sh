#!/bin/bash
# sanitizer: skip — make install builds its own plain binaries in both stages
# make install honours PREFIX and DESTDIR and installs what the vault needs.
. "$(dirname "$0")/lib.sh"
R=$T/root
# Its own build tree: the programs are built for PREFIX (bos-hsmd path).
out=$(make --no-print-directory -s -j2 install BUILD="$T/build" PREFIX=/opt/bos DESTDIR="$R" 2>&1); rc=$?
check "make install succeeds" test "$rc" -eq 0
check "bos-vaultd installed in PREFIX/bin" test -x "$R/opt/bos/bin/bos-vaultd"
check "bosctl installed in PREFIX/bin" test -x "$R/opt/bos/bin/bosctl"
check "bos-hsmd installed in PREFIX/libexec/bos" test -x "$R/opt/bos/libexec/bos/bos-hsmd"
check "bos-hsmd is not on the PATH directory" test ! -e "$R/opt/bos/bin/bos-hsmd"
check "nothing installed outside DESTDIR" test ! -e /opt/bos
check "the installed vault looks for bos-hsmd in PREFIX/libexec/bos" \
	grep -q "/opt/bos/libexec/bos" "$R/opt/bos/bin/bos-vaultd"

# systemd units, users, the example bos.conf and the deployment guide.
UD=$R/opt/bos/lib/systemd/system
for u in bos-vaultd.service bos-vaultd.socket bos-hsmd.service bos-broker@.service; do
	check "$u installed in PREFIX/lib/systemd/system (mode 0644)" \
		test "$(stat -c %a "$UD/$u" 2>/dev/null)" = 644
done
check "the vault unit starts PREFIX/bin/bos-vaultd on /var/lib/bos" \
	grep -qx 'ExecStart=/opt/bos/bin/bos-vaultd --state-dir /var/lib/bos' "$UD/bos-vaultd.service"
check "the bos-hsmd unit starts PREFIX/libexec/bos/bos-hsmd" \
	grep -q '^ExecStart=/opt/bos/libexec/bos/bos-hsmd ' "$UD/bos-hsmd.service"
check "no unit names /usr/local once PREFIX is /opt/bos" bash -c "! grep -q /usr/local '$UD'/*"
check "the units' documentation points at the installed DEPLOY.md" \
	grep -q 'Documentation=file:/opt/bos/share/doc/bos/DEPLOY.md' "$UD/bos-vaultd.service"
check "sysusers.d/bos.conf installed" test -f "$R/opt/bos/lib/sysusers.d/bos.conf"
check "systemd-sysusers would create user bos and the broker users" bash -c \
	"mkdir -p '$T/sysroot/etc' && systemd-sysusers --dry-run --root='$T/sysroot' \
	 '$R/opt/bos/lib/sysusers.d/bos.conf' 2>&1 | grep -q \"Creating user 'bos'\""
check "and user bos-hsm, bos-hsmd's own" bash -c \
	"systemd-sysusers --dry-run --root='$T/sysroot' '$R/opt/bos/lib/sysusers.d/bos.conf' 2>&1 |
	 grep -q \"Creating user 'bos-hsm'\""
check "the example bos.conf installed in PREFIX/share/bos" test -f "$R/opt/bos/share/bos/bos.conf.example"
check "the drop-ins installed in PREFIX/share/bos/dropins" bash -c \
	"test -f '$R/opt/bos/share/bos/dropins/socket-activation.conf' &&
	 test -f '$R/opt/bos/share/bos/dropins/plain-credential.conf'"
check "docs/DEPLOY.md installed in PREFIX/share/doc/bos" test -s "$R/opt/bos/share/doc/bos/DEPLOY.md"
check "nothing is installed into the running system's unit directories" bash -c \
	"test ! -e /opt/bos && test ! -e /etc/systemd/system/bos-vaultd.service"

# Every setting the example shows, at its shown value, is accepted by the
# vault (the HSM and listener lines are the test vault's own).
S=$T/state
init_dev "$S" >/dev/null
grep -E '^#[a-z_0-9]+ = ' systemd/bos.conf.example | sed 's/^#//' |
	grep -Ev '^(pkcs11_module|token_label|pin_file|hsm_socket|listen) ' >>"$S/bos.conf"
n=$(grep -cE '^#[a-z_0-9]+ = ' systemd/bos.conf.example)
check "the example shows at least 20 settings ($n)" test "$n" -ge 20
check "a vault starts with every example setting" start_vault "$S" "$T/v.log"
kill -TERM "$VPID" 2>/dev/null; wait "$VPID" 2>/dev/null
finish
