#!/bin/bash
# with_stub.sh CMD ARGS...: run CMD with the provider stubs up (lib_stub.sh);
# CMD sees STUB_TABLE, STUB_LOG, STUB_CA, STUB_CA_OTHER and STUB_PORT_<provider>.
# tests/unit/test_connectors re-runs itself through this when started bare.
set -u
T=$(mktemp -d /tmp/bos-stub.XXXXXX)
_pids=""
bg_track() { _pids="$_pids $1"; }
trap 'for p in $_pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib_stub.sh"
stub_certs "$T" || { echo "with_stub: cannot make the test certificates (openssl)" >&2; exit 1; }
stub_start "$T" || { echo "with_stub: the stub did not start:" >&2; cat "$T/stub.err" >&2; exit 1; }
export STUB_CA_OTHER=$T/other-ca.pem
"$@"
