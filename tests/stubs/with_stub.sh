#!/bin/bash
# with_stub.sh CMD ARGS...: run CMD with the provider stubs up (lib_stub.sh);
# CMD sees STUB_TABLE, STUB_LOG, STUB_CA, STUB_CA_OTHER and STUB_PORT_<provider>,
# and three SMTP sinks (smtp_sink.mjs) sharing SMTP_USER and SMTP_LOGIN_FILE:
# SMTP_PORT (STARTTLS), SMTP_PORT_PLAIN (no STARTTLS), SMTP_PORT_FAIL (451 on
# every DATA), their messages in SMTP_DIR/{sink,plain,fail}.mail and logs in
# SMTP_DIR/{sink,plain,fail}.log.
# tests/unit/test_connectors re-runs itself through this when started bare.
set -u
cmd=("$@")
T=$(mktemp -d /tmp/bos-stub.XXXXXX)
_pids=""
bg_track() { _pids="$_pids $1"; }
trap 'for p in $_pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib_stub.sh"
stub_certs "$T" || { echo "with_stub: cannot make the test certificates (openssl)" >&2; exit 1; }
stub_start "$T" || { echo "with_stub: the stub did not start:" >&2; cat "$T/stub.err" >&2; exit 1; }
export STUB_CA_OTHER=$T/other-ca.pem
SMTP_USER=bos-sender
smtp_pass="p@ss w0rd!$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
for s in "sink" "plain --no-starttls" "fail --fail-next 1000 451"; do
	set -- $s
	name=$1
	shift
	smtp_sink_start "$T" "$name" "$SMTP_USER" "$smtp_pass" "$@" ||
		{ echo "with_stub: the SMTP sink $name did not start:" >&2; cat "$T/$name.err" >&2; exit 1; }
	case $name in
	sink) SMTP_PORT=$SINK_PORT ;;
	plain) SMTP_PORT_PLAIN=$SINK_PORT ;;
	fail) SMTP_PORT_FAIL=$SINK_PORT ;;
	esac
done
unset smtp_pass
export SMTP_USER SMTP_PORT SMTP_PORT_PLAIN SMTP_PORT_FAIL SMTP_DIR=$T SMTP_LOGIN_FILE=$T/sink.pass
"${cmd[@]}"
