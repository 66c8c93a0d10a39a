#!/bin/bash
# runner: alone — it builds a fresh clone (CPU-bound, with a 9-minute limit)
# sanitizer: skip — the clone builds the same plain binaries in both stages
# A newcomer's first session (#12 item 1), as the README tells it: clone the
# repository into an empty directory, `make run` (nothing built, no var/),
# then, at a terminal (expect drives real prompts on a pty), `bosctl admin
# create`, `bosctl login` with the code an authenticator app would show
# (oathtool), `bosctl cred add` typed at the prompt, and the secret read back.
#
# It clones what is committed (HEAD of this checkout): uncommitted changes are
# not in the newcomer's clone. The one departure from the README is
# LISTEN=127.0.0.1:PORT (BOS_ADDR and BOS_CACERT for bosctl), so that a developer's own
# `make run` on 8025 does not collide with the test. The clone builds itself (plain, not sanitized), so
# the sanitizer stage skips this test: it would build and test the same thing.
. "$(dirname "$0")/lib.sh"

if ldd "$VAULTD" 2>/dev/null | grep -q libasan; then
	echo "# skipped under the sanitizer stage: the clone builds the same plain binaries"
	exit 0
fi
for t in git expect oathtool make; do
	command -v "$t" >/dev/null || { notok "$t is installed (make deps)"; finish; }
done
REPO=$(cd "$(dirname "$0")/../.." && git rev-parse --show-toplevel 2>/dev/null)
[ -n "$REPO" ] || { notok "the test runs inside a git checkout"; finish; }

NEW=$T/newcomer
mkdir -p "$NEW"
check "git clone into an empty directory" git clone -q "$REPO" "$NEW/bos"
cd "$NEW/bos" || finish
check "  the clone has no var/, build/ or node_modules/" \
	test ! -e var -a ! -e build -a ! -e node_modules

# `make run` in a shell of its own: no make variables from the make running us.
PORT=$(free_port)
start=$(date +%s)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES setsid make run \
	LISTEN="127.0.0.1:$PORT" >"$T/run.log" 2>&1 &
RUNPID=$!
bg_track "$RUNPID"
ready=0
for _ in $(seq 5400); do    # up to 9 minutes for deps + a cold single-job build
	grep -q 'ready:' "$T/run.log" && { ready=1; break; }
	kill -0 "$RUNPID" 2>/dev/null || break
	sleep 0.1
done
if [ "$ready" = 1 ]; then
	ok "make run on a fresh clone builds and says ready ($(( $(date +%s) - start )) s)"
else
	notok "make run on a fresh clone builds and says ready"
	sed 's/^/#   /' "$T/run.log" | tail -30
	finish
fi
check "  it created var/dev (0700)" test "$(stat -c %a var/dev 2>/dev/null)" = 700
check "  and says how to create the first admin" grep -q 'no admin yet' "$T/run.log"
check "  the vault answers on the port it was given" \
	curl -sf --cacert var/dev/tls/cert.pem "https://127.0.0.1:$PORT/health"

B=build/bin
# bosctl's default is https://127.0.0.1:8025, trusting var/dev's certificate
# for that address only: point it at the test's port and name the certificate.
export BOS_ADDR="https://127.0.0.1:$PORT" BOS_CACERT=var/dev/tls/cert.pem
PW="correct horse battery staple"
export HOME=$T/home PW   # bosctl keeps its session file under HOME
mkdir -p "$HOME"

# At a terminal: each answer is typed after its prompt, as a person would.
# tty OUT PROMPT1 VAR1 [PROMPT2 VAR2 ...] -- CMD...: each answer is the value of
# an environment variable (no secret on an argv); a prompt that does not come
# within 60 s, or a program that does not end, kills it and fails (exit 3).
cat >"$T/tty.exp" <<'EOF'
set timeout 60
set i [lsearch -exact $argv --]
set pairs [lrange $argv 0 [expr {$i - 1}]]
eval spawn [lrange $argv [expr {$i + 1}] end]
proc give_up {} { catch {exec kill -9 [exp_pid]}; exit 3 }
foreach {prompt var} $pairs {
	expect -exact $prompt { send -- "$::env($var)\r" } timeout give_up eof give_up
}
expect eof {} timeout give_up
catch wait result
exit [lindex $result 3]
EOF
tty() { local out=$1; shift; expect "$T/tty.exp" "$@" >"$out" 2>&1; }
show_if_failed() { [ "$1" -eq 0 ] || sed 's/^/#   /' "$2"; }

tty "$T/admin.out" "Password:" PW "again" PW -- build/bin/bosctl admin create alice; rc=$?
check "bosctl admin create alice at a terminal (exit 0)" test "$rc" -eq 0
show_if_failed "$rc" "$T/admin.out"
SECRET=$(grep -o 'secret=[A-Z2-7]*' "$T/admin.out" | head -1 | cut -d= -f2)
check "  shows the otpauth:// URI with the TOTP secret" test -n "$SECRET"
check "  and recovery codes" grep -qi 'recovery' "$T/admin.out"
check "  and never echoes the password" test "$(count_in "$PW" "$T/admin.out")" = 0

export CODE
CODE=$(oathtool --totp -b "$SECRET" 2>/dev/null)
tty "$T/login.out" "Password:" PW "code:" CODE -- build/bin/bosctl login alice; rc=$?
check "bosctl login alice with password and the authenticator's code (exit 0)" test "$rc" -eq 0
show_if_failed "$rc" "$T/login.out"
check "  says signed in" grep -q 'signed in as alice' "$T/login.out"

export KEY
KEY="SG.$(canary KEY)"
tty "$T/add.out" "secret:" KEY "again" KEY -- \
	build/bin/bosctl cred add --name sendgrid-main --type api_key --service sendgrid; rc=$?
check "bosctl cred add, the secret typed twice at its prompts (exit 0)" test "$rc" -eq 0
show_if_failed "$rc" "$T/add.out"
check "  and not echoed" test "$(count_in "$KEY" "$T/add.out")" = 0
list=$(timeout 60 "$B/bosctl" cred list 2>&1)
check "bosctl cred list shows sendgrid-main" grep -q 'sendgrid-main' <<<"$list"
check "  without the secret" test "$(grep -c -F -- "$KEY" <<<"$list")" = 0
got=$(timeout 60 "$B/bosctl" cred show sendgrid-main --reveal 2>&1)
check "bosctl cred show sendgrid-main --reveal gives the secret back byte for byte" \
	test "$got" = "$KEY"
check "the audit trail recorded the read" \
	sh -c "timeout 60 '$B/bosctl' audit tail | grep -q cred_get"
check "bosctl logout" timeout 60 "$B/bosctl" logout

# Negative: the same read without a session is refused and shows nothing.
got=$(timeout 60 "$B/bosctl" cred show sendgrid-main --reveal 2>&1); rc=$?
check "after logout the read is refused (non-zero exit)" test "$rc" -ne 0
check "  and prints no secret" test "$(grep -c -F -- "$KEY" <<<"$got")" = 0

kill -TERM "$RUNPID" 2>/dev/null
for _ in $(seq 100); do kill -0 "$RUNPID" 2>/dev/null || break; sleep 0.1; done
check "the vault stops on SIGTERM" sh -c "! kill -0 $RUNPID 2>/dev/null"
check "the secret is not in the run log" test "$(count_in "$KEY" "$T/run.log")" = 0
finish
