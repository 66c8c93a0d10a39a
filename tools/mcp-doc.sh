#!/bin/sh
# Print the tool reference of docs/MCP.md ("Tool reference") from what
# `bosctl mcp` itself lists, so the document cannot drift from the code:
#   tools/mcp-doc.sh build/bin/bosctl
# The tests compare this output with the file (t_mcp_proto.sh).
set -eu
bosctl=${1:-build/bin/bosctl}
printf '%s\n%s\n' \
	'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcp-doc","version":"1"}}}' \
	'{"jsonrpc":"2.0","id":2,"method":"tools/list"}' |
	"$bosctl" mcp 2>/dev/null |
	jq -r 'select(.id == 2) | .result.tools[] |
		"### `\(.name)`: \(.title // .name)\n\n\(.description)\n\n" +
		(if .annotations.readOnlyHint then "Read-only.\n\n" elif .annotations.destructiveHint then "Destructive (cannot be undone).\n\n" else "" end) +
		"Input:\n\n```json\n\(.inputSchema | tojson)\n```\n\nOutput:\n\n```json\n\(.outputSchema | tojson)\n```\n"'
