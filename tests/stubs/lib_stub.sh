# Helpers for tests that talk to the provider stubs (providers_stub.py).
# Source after tests/integration/lib.sh (it needs T and bg_track).
#   stub_certs DIR        a test CA and a server certificate for 127.0.0.1 and
#                         localhost signed by it (DIR/ca.pem, DIR/server.pem,
#                         DIR/server.key), and a second, unrelated CA (DIR/other-ca.pem)
#   stub_start DIR        start the stubs with DIR's certificate; sets STUB_PID,
#                         STUB_TABLE (the keys file), STUB_LOG, STUB_CA and
#                         STUB_PORT_<provider> for each (meta included)
#   stub_key PROVIDER CREDENTIAL BEHAVIOUR [ARG]   add a line to the keys file
#   stub_kid CREDENTIAL   the key id the stub logs for it (SHA-256, 16 hex digits)
#   stub_count FILTER     how many logged requests match a jq filter
STUB_PY=/usr/bin/python3   # Debian's (STACK-NOTES.md: python3 on PATH may be pyenv's)
STUB_DIR_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

stub_certs() {
	local d=$1
	mkdir -p "$d" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj '/CN=BOS test provider CA' -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=127.0.0.1' \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		>"$d/ext.cnf" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj '/CN=Another CA' -keyout "$d/other-ca.key" -out "$d/other-ca.pem" 2>/dev/null
}

stub_start() {
	local d=$1 p
	STUB_TABLE=$d/keys STUB_LOG=$d/requests.log STUB_CA=$d/ca.pem
	: >"$STUB_TABLE"; : >"$STUB_LOG"; rm -f "$d/ports"
	"$STUB_PY" "$STUB_DIR_SRC/providers_stub.py" --cert "$d/server.pem" --key "$d/server.key" \
		--keys "$STUB_TABLE" --log "$STUB_LOG" --ports "$d/ports" 2>"$d/stub.err" &
	STUB_PID=$!
	bg_track "$STUB_PID"
	for _ in $(seq 100); do
		[ -s "$d/ports" ] && break
		kill -0 "$STUB_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	[ -s "$d/ports" ] || return 1
	while read -r p port; do
		eval "STUB_PORT_$p=$port"
		export "STUB_PORT_$p"
	done <"$d/ports"
	export STUB_TABLE STUB_LOG STUB_CA STUB_PID
}

stub_key() { echo "$*" >>"$STUB_TABLE"; }
stub_kid() { printf '%s' "$1" | sha256sum | cut -c1-16; }
stub_count() { jq -c "select($1)" "$STUB_LOG" 2>/dev/null | wc -l; }

# smtp_sink_start DIR NAME USER PASS [ARGS...]   start tests/stubs/smtp_sink.mjs with
#   DIR's certificate (stub_certs), messages into DIR/NAME.mail/, its log in
#   DIR/NAME.log; sets SINK_PORT. ARGS: --no-starttls, --fail-next N CODE.
smtp_sink_start() {
	local d=$1 name=$2 user=$3 pass=$4 pid
	shift 4
	mkdir -p "$d/$name.mail" || return 1
	printf '%s\n' "$pass" >"$d/$name.pass"
	chmod 600 "$d/$name.pass"
	rm -f "$d/$name.port"
	node "$STUB_DIR_SRC/smtp_sink.mjs" --cert "$d/server.pem" --key "$d/server.key" \
		--user "$user" --pass-file "$d/$name.pass" --dir "$d/$name.mail" \
		--port-file "$d/$name.port" --log "$d/$name.log" "$@" >/dev/null 2>"$d/$name.err" &
	pid=$!
	bg_track "$pid"
	for _ in $(seq 100); do
		[ -s "$d/$name.port" ] && break
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	[ -s "$d/$name.port" ] || return 1
	SINK_PORT=$(cat "$d/$name.port")
}
