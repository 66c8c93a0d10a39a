#!/bin/bash
# A session that expires on the vault's side mid-conversation (docs/MCP.md
# "Server": the session is read afresh for every call). A vault with
# session_idle_seconds = 4; one bosctl mcp process for the whole test: a call
# works while the session is live; after 6 s idle the session file is still
# there but the vault answers 401, and the tool result is an isError that
# sends the admin to 'bosctl login' in a terminal (not a protocol error, no
# crash, no token on stdout); a new login in the terminal is picked up by the
# same process. Control: the expired session is refused by the vault itself
# (curl with the token from the file: 401), so the message is the vault's
# verdict, not the server guessing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

check "the vault starts (session_idle_seconds = 4)" api_up "$T/s" "session_idle_seconds = 4" || finish
check "admin alice, bosctl signed in" bosctl_admin alice || finish

coproc MCP { exec "$BOSCTL" mcp 2>"$T/mcp.err"; }
exec {TO}>&"${MCP[1]}" {FROM}<&"${MCP[0]}"
# rpc JSON: send one line, read the answer line into ANS (10 s at most).
rpc() {
	ANS=
	printf '%s\n' "$1" >&"$TO" && IFS= read -r -t 10 ANS <&"$FROM"
	printf '%s\n' "$ANS" >>"$T/mcp.out"
}
call() { rpc "{\"jsonrpc\":\"2.0\",\"id\":$1,\"method\":\"tools/call\",\"params\":{\"name\":\"status\",\"arguments\":{}}}"; }

rpc '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
check "initialize" jq -e '.id == 1 and .result.protocolVersion == "2025-11-25"' <<<"$ANS"
printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}' >&"$TO"
call 2
check "status with a live session: a result, not an error" \
	jq -e '.id == 2 and .result.isError == false and (.result.structuredContent.vault | type == "string")' <<<"$ANS"

sleep 6
check "after 6 s idle the session file is still there" test -s "$XDG_RUNTIME_DIR/bos/session"
TOK=$(jq -r .session "$XDG_RUNTIME_DIR/bos/session")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$BOS_CACERT" -H "Authorization: Bearer $TOK" \
	"$BOS_ADDR/auth/session")
check "control: the vault itself refuses the idle session (401)" test "$code" = 401
call 3
check "status after the expiry: an isError result sending the admin to 'bosctl login' in a terminal" \
	jq -e '.id == 3 and .result.isError == true and
	(.result.content[0].text | test("bosctl login") and test("terminal"))' <<<"$ANS"
check "  no structuredContent with the error" jq -e '.result | has("structuredContent") | not' <<<"$ANS"

check "bosctl login in the terminal (a new session)" bosctl_signin
call 4
check "the same server process works again" jq -e '.id == 4 and .result.isError == false' <<<"$ANS"

exec {TO}>&-
pid=$MCP_PID
eval "exec ${MCP[1]}>&-"
( sleep 15; kill -9 "$pid" 2>/dev/null ) &
bg_track $!
wait "$pid"; rc=$?
check "stdin closed: bosctl mcp exits 0" test "$rc" -eq 0
check "every line on stdout is one JSON object" jq -e -s 'length == 4' "$T/mcp.out"
check "no session token on the server's stdout or stderr" \
	bash -c '! grep -q "bos_s_" "$0" "$1"' "$T/mcp.out" "$T/mcp.err"
finish
