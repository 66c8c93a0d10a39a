#!/bin/bash
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
finish
