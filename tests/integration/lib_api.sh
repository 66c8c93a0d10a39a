# Helpers for tests that use the HTTP API. Source after lib.sh.
#   api_up DIR [settings...]  init a dev vault on a free port and start it
#   admin_setup NAME PASSWORD create the first admin over the unix socket and
#                             sign in; exports TOTP_SECRET, SESSION and
#                             ADMIN_LOGIN_CODE (the TOTP code the sign-in spent)
#   api METHOD PATH [BODY]    curl over HTTPS with the session; prints the body;
#                             `st` then prints the HTTP status (api usually runs
#                             in a $(...) subshell, so a variable would be lost)
#   totp_code [STEPS]         TOTP code for now + STEPS * 30 s (default 0)

api_up() {
	S=$1; shift
	init_dev "$S" "$@" || return 1
	start_vault "$S" "$T/vault.log"
}

totp_code() {
	oathtool --totp -b "$TOTP_SECRET" -N "@$(( $(date +%s) + ${1:-0} * 30 ))"
}

# Raw curl with the dev CA; extra args are passed through.
vcurl() { curl -sS --cacert "$S/tls/cert.pem" --max-time 30 "$@"; }

api() {
	local m=$1 p=$2 body=${3-} out
	local args=(-X "$m" -o "$T/api.body" -w '%{http_code}')
	[ -n "${SESSION:-}" ] && args+=(-H "Authorization: Bearer $SESSION")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	vcurl "${args[@]}" "$URL$p" >"$T/api.status" || echo 000 >"$T/api.status"
	cat "$T/api.body"
}
st() { cat "$T/api.status"; }

admin_setup() {
	local name=$1 pw=$2 out
	out=$(curl -sS --unix-socket "$S/vault.sock" -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"$name\",\"password\":\"$pw\"}" http://vault/admins) || return 1
	TOTP_SECRET=$(jq -r .totp_secret <<<"$out")
	[ -n "$TOTP_SECRET" ] && [ "$TOTP_SECRET" != null ] || return 1
	# The code of the previous step is still inside the window and leaves the
	# current and next steps free for later sign-ins in the same test. It is
	# two steps old if a step ends while the password is checked (about 1 s):
	# then sign in once more with the previous step's code as of now.
	local try code
	for try in 1 2; do
		code=$(totp_code -1)
		out=$(vcurl -X POST -H 'Content-Type: application/json' \
			--data-binary "{\"name\":\"$name\",\"password\":\"$pw\",\"totp\":\"$code\"}" \
			"$URL/auth/login") || return 1
		ADMIN_LOGIN_CODE=$code
		SESSION=$(jq -r .session <<<"$out")
		[ -n "$SESSION" ] && [ "$SESSION" != null ] && break
	done
	export TOTP_SECRET SESSION ADMIN_LOGIN_CODE
	[ -n "$SESSION" ] && [ "$SESSION" != null ]
}

# bosctl as an admin. bosctl has no local mode (issue #13): tests that work on
# a vault's files between runs add and read credentials through the running
# vault, as a signed-in admin, like everyone else.
#   bosctl_admin NAME  on the running vault of S (URL): create the first admin
#                      NAME over the unix socket with bosctl and sign bosctl in
#                      (session file under $T/run; BOS_ADDR, BOS_CACERT set;
#                      TOTP_SECRET exported, for approvals and pickups)
#   bosctl_signin      sign bosctl in again, as a restart ends sessions: with
#                      the next unused recovery code (10 in all), since a TOTP
#                      code is accepted once per 30 s step
BOSCTL_PW='correct horse battery staple'
bosctl_admin() {
	local ans
	export XDG_RUNTIME_DIR=$T/run HOME=$T/home BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem
	unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN
	mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME"
	ans=$(printf '%s\n' "$BOSCTL_PW" | "$BOSCTL" admin create "$1" --socket "$S/vault.sock" --json) ||
		return 1
	BOSCTL_NAME=$1
	BOSCTL_CODES=$(jq -r '.recovery_codes[]' <<<"$ans") || return 1
	# For totp_code: sign-ins here use recovery codes, so every TOTP step is still fresh.
	TOTP_SECRET=$(jq -r '.totp_secret' <<<"$ans") && export TOTP_SECRET
	bosctl_signin
}
bosctl_signin() {
	local code=${BOSCTL_CODES%%$'\n'*}
	[ -n "$code" ] || return 1
	BOSCTL_CODES=${BOSCTL_CODES#"$code"}
	BOSCTL_CODES=${BOSCTL_CODES#$'\n'}
	printf '%s\n%s\n' "$BOSCTL_PW" "$code" |
		"$BOSCTL" login "$BOSCTL_NAME" --recovery-code >/dev/null 2>&1
}
