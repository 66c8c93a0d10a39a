#!/bin/bash
# House rules of STYLE.md, checked on every `make check`:
#  1. banned functions in our C sources;
#  2. hardening and warning flags in the compile and link commands;
#  3. hardening visible in the built ELF files (PIE, RELRO, BIND_NOW, NX stack,
#     stack protector, FORTIFY, CET);
#  4. link boundaries: nothing links both SQLCipher and SQLite; only bos-hsmd
#     links a PKCS#11 library; bos-hsmd links no database;
#  5. both daemons enter the sandbox;
#  6. bosctl is only a client: no SQLCipher, no store_, cred_ or hsm_client_
#     symbol (with a control run on bos-vaultd, which must fail the rule);
#  7. vault/ in rooms: no include circle, and rooms include only rooms below
#     them (tools/include-graph.sh), with controls showing the check can fail;
#  8. no test hook in the daemons;
#  9. bos-broker links common/ and sandbox/ only: no vault, policy or shared/
#     code, no SQLCipher or PKCS#11 (libmicrohttpd is its hooks listener's), with a
#     control on bos-vaultd.
set -u
cd "$(dirname "$0")/.." || exit 1
BIN=${BOS_BIN:-build/bin}
BUILD=$(dirname "$BIN")
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
notok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }

SRCS=$(find common shared vault hsm cli policy broker sandbox tests -path tests/node_modules -prune -o -name '*.[ch]' -print 2>/dev/null | sort)

# 1. Banned functions. memcmp is allowed only on a line marked "not secret".
banned='\b(strcpy|stpcpy|strcat|strncat|sprintf|vsprintf|gets|strtok|atoi|atol|rand|random|alloca|system|tmpnam|mktemp)\s*\('
hits=$(grep -nEH "$banned" $SRCS | grep -v 'house-rules: allow' || true)
check "no banned functions (strcpy, sprintf, strcat, gets, strtok, atoi, rand, system ...)" test -z "$hits"
[ -z "$hits" ] || echo "$hits" | sed 's/^/    /'
hits=$(grep -nEH '\bmemcmp\s*\(' $SRCS | grep -v 'not secret' || true)
check "raw memcmp only on data marked 'not secret' (secrets use secmem_equal)" test -z "$hits"
[ -z "$hits" ] || echo "$hits" | sed 's/^/    /'
hits=$(grep -nEH 'getenv\s*\(\s*"[^"]*(PIN|PASS|SECRET|KEY)[^"]*"' $SRCS || true)
check "no secret is read from the environment" test -z "$hits"
[ -z "$hits" ] || echo "$hits" | sed 's/^/    /'

# policy/ decides and nothing else: no I/O, no clock, no environment (DESIGN.md).
hits=$(grep -nEH '\b(fopen|open|read|write|printf|fprintf|puts|socket|connect|time|clock_gettime|getenv|system|exec[lv]p?e?|syslog|log_(info|warn|err|debug))\s*\(' policy/*.c 2>/dev/null || true)
check "policy/ does no I/O and reads no clock or environment" test -z "$hits"
[ -z "$hits" ] || echo "$hits" | sed 's/^/    /'

# 2. Flags in the commands make would run.
# Ask make for the plain (non-sanitizer) build's commands in this build tree.
cc_cmd=$(env -u MAKEFLAGS make -n -B BUILD="$BUILD" "$BUILD/obj/common/log.o" 2>/dev/null | grep -- ' -c ')
ld_cmd=$(env -u MAKEFLAGS make -n -B BUILD="$BUILD" "$BUILD/bin/bos-hsmd" 2>/dev/null | grep -- " -o $BUILD/bin/bos-hsmd")
for f in -O2 -Wall -Wextra -Wformat=2 -Werror=format-security -Werror -D_FORTIFY_SOURCE=3 \
	-fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE; do
	check "compile flag $f" grep -qe " $f\( \|$\)" <<<"$cc_cmd"
done
for f in -pie -Wl,-z,relro,-z,now,-z,noexecstack; do
	check "link flag $f" grep -qe " $f\( \|$\)" <<<"$ld_cmd"
done

# 3. What the ELF files show.
for b in bos-vaultd bos-hsmd bosctl bos-broker; do
	f=$BIN/$b
	if [ ! -x "$f" ]; then notok "$b is built"; continue; fi
	check "$b is PIE" grep -q 'DYN' <<<"$(readelf -h "$f" | grep Type:)"
	check "$b has full RELRO (GNU_RELRO + BIND_NOW)" \
		bash -c "readelf -lW '$f' | grep -q GNU_RELRO && readelf -dW '$f' | grep -q 'BIND_NOW'"
	check "$b has a non-executable stack" \
		bash -c "readelf -lW '$f' | grep GNU_STACK | grep -qv 'RWE'"
	syms=$(nm -D "$f" 2>/dev/null)
	check "$b uses the stack protector" grep -q '__stack_chk_fail' <<<"$syms"
	check "$b is FORTIFY-ed" grep -qE '__[a-z]+_chk' <<<"$syms"
done

# -fcf-protection marks every object IBT+SHSTK; Debian 12's own crt files are
# not marked, so the linked programs lose the note. Check our objects instead.
unmarked=$(for o in $(find "$(dirname "$BIN")/obj" -name '*.o'); do
	readelf -n "$o" | grep -q 'IBT, SHSTK' || echo "$o"; done)
check "every object we compile carries the CET (IBT, SHSTK) note" test -z "$unmarked"
[ -z "$unmarked" ] || echo "$unmarked" | sed 's/^/    /'

# 4. Link boundaries.
needed() { readelf -dW "$1" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
for b in bos-vaultd bos-hsmd bosctl; do
	[ -x "$BIN/$b" ] || continue
	n=$(needed "$BIN/$b")
	check "$b does not link both libsqlcipher and libsqlite3" \
		bash -c "! { grep -q libsqlcipher <<<'$n' && grep -q 'libsqlite3' <<<'$n'; }"
	check "$b links no system libsqlite3" bash -c "! grep -q 'libsqlite3' <<<'$n'"
done
check "bos-vaultd links no PKCS#11 library (only bos-hsmd talks to the HSM)" \
	bash -c "test -z \"\$(readelf -dW '$BIN/bos-vaultd' | grep -E 'libp11|softhsm|pkcs11')\""
check "bosctl links no PKCS#11 library" \
	bash -c "test -z \"\$(readelf -dW '$BIN/bosctl' | grep -E 'libp11|softhsm|pkcs11')\""
check "bos-hsmd links no database library" \
	bash -c "test -z \"\$(readelf -dW '$BIN/bos-hsmd' | grep -E 'sqlite|sqlcipher')\""

# 5. The sandbox (docs/SANDBOX.md): both daemons enter it, and a plain build
#    links the seccomp implementation (the null one only with SAN=1 / FUZZ=1).
for m in vault/vaultd_main.c:SANDBOX_VAULT hsm/hsmd_main.c:SANDBOX_HSMD \
	broker/broker_sandbox.c:SANDBOX_BROKER; do
	check "${m%%:*} enters the sandbox (sandbox_enter(${m##*:}, ...))" \
		grep -q "sandbox_enter(${m##*:}," "${m%%:*}"
done
if grep -q -- '-fsanitize' "$BUILD/flags" 2>/dev/null; then
	ok "daemons link libseccomp: not checked in a sanitizer build (null sandbox)"
else
	for b in bos-vaultd bos-hsmd bos-broker; do
		[ -x "$BIN/$b" ] || continue
		check "$b links the seccomp sandbox, not the null one" \
			bash -c "nm -D '$BIN/$b' | grep -q ' U seccomp_load'"
	done
fi

# 6. bosctl is only a client (issue #13): whatever it prints went through the
#    vault's sign-in, policy and audit trail, because it cannot open the
#    vault's files or unwrap a key itself. client_only FILE prints what breaks
#    that (nothing when it holds): libsqlcipher among the libraries it needs
#    or loads, and every store_, cred_ or hsm_client_ symbol it defines or
#    uses (nm, local ones too; what shared/ gives both sides is named
#    credname_*, audit_*). No symbol table at all is a failure too, since
#    nothing could then be checked.
client_only() {
	local f=$1 syms
	[ -f "$f" ] || { echo "$f is missing"; return; }
	needed "$f" | grep -i sqlcipher | sed 's/^/needs /'
	ldd "$f" 2>/dev/null | grep -i sqlcipher | sed 's/^/loads /'
	syms=$(nm "$f" 2>/dev/null | awk 'NF >= 2 {print $NF}')
	[ -n "$syms" ] || { echo "$f has no symbol table (stripped?)"; return; }
	grep -E '^(store_|cred_|hsm_client_)' <<<"$syms" | sed 's/\..*//' | sort -u | sed 's/^/symbol /'
}
if [ -x "$BIN/bosctl" ]; then
	bad=$(client_only "$BIN/bosctl")
	check "bosctl links no SQLCipher and no store_, cred_ or hsm_client_ code" test -z "$bad"
	[ -z "$bad" ] || echo "$bad" | head -20 | sed 's/^/    /'
	# The control: the same check on bos-vaultd, which links SQLCipher and
	# the store, must report both; a checker that sees nothing fails here.
	ctl=$(client_only "$BIN/bos-vaultd")
	check "control: the client-only check fails on bos-vaultd (SQLCipher and store_ symbols)" \
		bash -c "grep -q '^needs libsqlcipher' <<<'$ctl' && grep -q '^symbol store_' <<<'$ctl'"
fi

# 7. vault/ in rooms (README.md "Source layout"): the include graph of vault/
#    has no circle of modules (x.c + x.h), and each room includes only rooms
#    below it in the declared order. The controls run the same checker on a
#    copy with one include added that breaks each rule, and must see it fail.
hits=$(tools/include-graph.sh vault 2>&1)
check "vault/ include graph: no circle, rooms one way (api http auth audit core store hsmc)" \
	test -z "$hits"
[ -z "$hits" ] || echo "$hits" | sed 's/^/    /'
graph_control() {  # FILE LINE WANT: add LINE to FILE in a copy of vault/, expect WANT
	local t r
	t=$(mktemp -d) || return 1
	cp -r vault "$t/" && echo "$2" >> "$t/vault/$1"
	r=$(tools/include-graph.sh "$t/vault" 2>&1)
	local rc=$?
	rm -rf "$t"
	[ "$rc" -eq 1 ] && grep -q "$3" <<<"$r"
}
check "control: a back edge (store/seal.c includes api/api.h) fails the include-graph rule" \
	graph_control store/seal.c '#include "api/api.h"' '^back edge: vault/store/seal (store) includes vault/api/api'
check "control: a circle in one room (store/seal.h includes store/cred.h) fails the rule" \
	graph_control store/seal.h '#include "store/cred.h"' '^include circle: .*vault/store/seal -> vault/store/cred'

# 8. Test hooks live in test-only files (tests/unit/support/), never in a daemon.
for b in bos-vaultd bos-hsmd; do
	[ -x "$BIN/$b" ] || continue
	hits=$(nm "$BIN/$b" 2>/dev/null | grep -E ' (hsm_client_send_raw|sessions_set_clock|[a-z_]+_for_tests?)$')
	check "$b carries no test hook (hsm_client_send_raw, sessions_set_clock, *_for_test)" \
		test -z "$hits"
	[ -z "$hits" ] || echo "$hits" | sed 's/^/    /'
done
# Control: the same look finds the hook where it belongs, in the unit test.
if [ -x "$BUILD/tests/test_hsm_client" ]; then
	check "control: the test-hook look finds hsm_client_send_raw in test_hsm_client" \
		bash -c "nm '$BUILD/tests/test_hsm_client' | grep -qE ' hsm_client_send_raw$'"
fi

# 9. bos-broker (broker/) links common/ and sandbox/ only, like bosctl is only a
#    client: every secret it sees came through a lease (policy, audit). What
#    breaks that: a library of the vault's, or a symbol of vault/, policy/ or
#    shared/ code (vault_link_, vault_hooks_ and vault_send_ are the broker's
#    own client of the vault). libmicrohttpd and GnuTLS are the outreach
#    broker's hooks listener's (docs/OUTREACH.md), not the vault's alone.
broker_only() {
	local f=$1 syms
	[ -f "$f" ] || { echo "$f is missing"; return; }
	needed "$f" | grep -Ei 'sqlcipher|sqlite|p11|argon2' | sed 's/^/needs /'
	syms=$(nm "$f" 2>/dev/null | awk 'NF >= 2 {print $NF}')
	[ -n "$syms" ] || { echo "$f has no symbol table (stripped?)"; return; }
	grep -E '^(store_|cred_|credname_|hsm_client_|policy_|api_|http_|auditor_|audit_|session_|admin_|vault_)' \
		<<<"$syms" | grep -vE '^vault_(link|hooks|send)_' | sed 's/\..*//' | sort -u | sed 's/^/symbol /'
}
if [ -x "$BIN/bos-broker" ]; then
	bad=$(broker_only "$BIN/bos-broker")
	check "bos-broker links common/ and sandbox/ only (no vault, policy or shared/ code or libraries)" \
		test -z "$bad"
	[ -z "$bad" ] || echo "$bad" | head -20 | sed 's/^/    /'
	ctl=$(broker_only "$BIN/bos-vaultd")
	check "control: the broker-only check fails on bos-vaultd (libraries and vault symbols)" \
		bash -c "grep -q '^needs ' <<<'$ctl' && grep -q '^symbol store_' <<<'$ctl'"
	hits=$(grep -nE '#include "(vault|store|api|http|policy|audit|cred_name|auditor)[a-z_/]*\.h"' broker/*.[ch] |
		grep -vE '#include "vault_(link|hooks|send)\.h"' || true)
	check "broker/ includes no vault, policy or shared/ header" test -z "$hits"
	[ -z "$hits" ] || echo "$hits" | sed 's/^/    /'
fi

# 10. docs/MCP.md's tool reference is what `bosctl mcp` lists (tools/mcp-doc.sh
#     writes it): a tool added, renamed or given another schema fails here until
#     the document says so.
if [ -x "$BIN/bosctl" ]; then
	want=$(tools/mcp-doc.sh "$BIN/bosctl")
	have=$(sed -n '/^<!-- tool reference: tools\/mcp-doc.sh -->$/,/^<!-- end of tool reference -->$/p' docs/MCP.md |
		sed '1d;$d')
	check "docs/MCP.md's tool reference is tools/mcp-doc.sh's output (run it to update)" \
		test -n "$want" -a "$want" = "$have"
	check "control: the reference lists every tool (21 or more)" \
		test "$(grep -c '^### `' <<<"$want")" -ge 21
fi

echo "house-rules: $pass passed, $fail failed"
[ -n "${BOS_COUNTS:-}" ] && echo "$pass $fail" >> "$BOS_COUNTS"
[ "$fail" -eq 0 ]
