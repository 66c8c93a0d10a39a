#!/bin/bash
# The README's "Use it from Claude Code", with Claude Code itself
# (@anthropic-ai/claude-code, pinned in tests/package.json; no model is
# called, nothing leaves the machine): the README's `claude mcp add --scope
# project bos -e ... -- .../bosctl mcp` writes .mcp.json with the command and
# the three settings; before the project is trusted nothing is started
# ("Pending approval"); once trusted, `claude mcp list` starts bosctl mcp,
# completes the MCP handshake and reports it connected, and `claude mcp get`
# shows the settings. Controls: a project whose command is not bosctl mcp
# (a program that prints nothing) is reported as failing, so "Connected" is
# something the handshake earned.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLAUDE=$ROOT/tests/node_modules/.bin/claude
if ! command -v node >/dev/null || ! "$CLAUDE" --version >/dev/null 2>&1; then
	notok "Claude Code is installed in tests/node_modules (make deps)"
	finish
fi

# The README names the command this test runs.
check "README: 'claude mcp add --scope project bos' with the three settings and bosctl mcp" \
	bash -c 'b=$(sed -n "/^claude mcp add --scope project bos/,/bosctl mcp$/p" "$0/README.md");
		grep -q -- "-e BOS_ADDR=" <<<"$b" && grep -q -- "-e BOS_CACERT=" <<<"$b" &&
		grep -q -- "-e XDG_RUNTIME_DIR=" <<<"$b" && grep -q -- "-- .*/bosctl mcp$" <<<"$b"' "$ROOT"

check "the vault starts" api_up "$T/s" || finish
check "admin alice, bosctl signed in" bosctl_admin alice || finish

# Claude Code keeps its settings under HOME: a fresh one, and a fresh project.
P=$T/project
mkdir -p "$P" "$T/claude-home"
cl() { (cd "$P" && HOME=$T/claude-home CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
	DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 timeout 90 "$CLAUDE" "$@" 2>&1); }

OUT=$(cl mcp add --scope project bos -e "BOS_ADDR=$BOS_ADDR" -e "BOS_CACERT=$BOS_CACERT" \
	-e "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" -- "$BOSCTL" mcp)
check "claude mcp add: exit 0, added to the project config" grep -q "Added stdio MCP server bos" <<<"$OUT"
check ".mcp.json: bos runs bosctl mcp with the three settings" jq -e --arg b "$BOSCTL" \
	--arg a "$BOS_ADDR" --arg c "$BOS_CACERT" --arg x "$XDG_RUNTIME_DIR" \
	'$a != "" and $c != "" and $x != "" and (.mcpServers.bos | .command == $b and .args == ["mcp"] and .env.BOS_ADDR == $a and
	.env.BOS_CACERT == $c and .env.XDG_RUNTIME_DIR == $x)' "$P/.mcp.json"
check ".mcp.json holds no token (the session stays in the session file)" \
	bash -c '! grep -q "bos_[shb]_" "$0"' "$P/.mcp.json"

OUT=$(cl mcp list)
check "before the project is trusted: pending, not started" grep -q "bos: .*Pending approval" <<<"$OUT"

# What 'claude' asks once in a terminal: trust the project and its .mcp.json server.
jq --arg p "$P" '.projects[$p].hasTrustDialogAccepted = true |
	.projects[$p].enabledMcpjsonServers = ["bos"]' "$T/claude-home/.claude.json" >"$T/cj" &&
	mv "$T/cj" "$T/claude-home/.claude.json"
OUT=$(cl mcp list)
check "claude mcp list: bos connected (bosctl mcp answered the handshake)" \
	grep -q "bos: $BOSCTL mcp - .*Connected" <<<"$OUT" || echo "$OUT" | sed 's/^/    /'
OUT=$(cl mcp get bos)
check "claude mcp get bos: connected, stdio, the settings" bash -c 'grep -q "Status: .*Connected" <<<"$0" &&
	grep -q "Type: stdio" <<<"$0" && grep -q "BOS_ADDR=" <<<"$0"' "$OUT"

# Control: a server that never answers the handshake is not reported connected.
OUT=$(cl mcp add --scope project mute -- /bin/cat /dev/null)
jq --arg p "$P" '.projects[$p].enabledMcpjsonServers = ["bos", "mute"]' \
	"$T/claude-home/.claude.json" >"$T/cj" && mv "$T/cj" "$T/claude-home/.claude.json"
OUT=$(cl mcp list)
check "control: a command that is not an MCP server fails to connect" \
	bash -c 'grep -q "mute: .*Failed" <<<"$0" && ! grep -q "mute: .*Connected" <<<"$0"' "$OUT" ||
	echo "$OUT" | sed 's/^/    /'
check "  while bos is still connected" grep -q "bos: .*Connected" <<<"$OUT"
finish
