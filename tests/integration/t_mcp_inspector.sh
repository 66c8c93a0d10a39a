#!/bin/bash
# bosctl mcp under MCP Inspector's CLI (@modelcontextprotocol/inspector,
# pinned in tests/package.json, installed by make deps; docs/MCP.md "Tests"):
# tools/list lists the tools with their schemas; tools/call of status works
# with a session and answers structured content; a tool error (an unknown id,
# invalid arguments, no session) is a result with isError true and the tool's
# message (Inspector 0.15.0's CLI prints it and exits 0: only a JSON-RPC error
# makes it exit 1); an unknown tool and an unknown method are JSON-RPC errors
# and exit 1. The settings are given with -e as a
# person configuring a client would (Inspector passes its own environment
# too, so the test clears the BOS variables from it first).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
INSPECTOR=$ROOT/tests/node_modules/.bin/mcp-inspector
if ! command -v node >/dev/null || [ ! -x "$INSPECTOR" ]; then
	notok "node and tests/node_modules/.bin/mcp-inspector are installed (make deps)"
	finish
fi

check "the vault starts" api_up "$T/s" || finish
check "admin alice, bosctl signed in" bosctl_admin alice || finish
ENVARGS=(-e "BOS_ADDR=$BOS_ADDR" -e "BOS_CACERT=$BOS_CACERT" -e "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR")
CAN=$(canary KEY)
ID=$(printf '%s' "$CAN" | "$BOSCTL" cred add --name inspector-key --type api_key --service sendgrid 2>"$T/err")
check "a credential to look at: $ID" grep -Eqx 'cr_[a-z2-7]{26}' <<<"$ID"
unset BOS_ADDR BOS_CACERT XDG_RUNTIME_DIR

# insp ARGS...: Inspector's CLI on bosctl mcp; stdout in OUT, stderr in ERR, status in RC.
insp() {
	OUT=$(cd "$T" && timeout 60 node "$INSPECTOR" --cli "${ENVARGS[@]}" "$BOSCTL" mcp "$@" 2>"$T/insp.err")
	RC=$?
	ERR=$(cat "$T/insp.err")
	cat "$T/insp.err" >>"$T/insp.all"
	printf '%s\n' "$OUT" >>"$T/insp.all"
}
# has FILTER: jq FILTER is true of OUT.
has() { jq -e "$@" <<<"$OUT" >/dev/null 2>&1; }

insp --method tools/list
check "--method tools/list: exit 0" test "$RC" -eq 0
check "  lists the tools (at least 20), status and credentials_list among them" \
	has '(.tools | length) >= 20 and ([.tools[].name] | index("status") and index("credentials_list"))'
check "  each with an inputSchema of type object (additionalProperties false) and an outputSchema" \
	has 'all(.tools[]; .inputSchema.type == "object" and .inputSchema.additionalProperties == false
		and .outputSchema.type == "object")'
check "  none is approve, pickup or login" \
	has 'all(.tools[].name; test("approve$|pickup|login|reveal") | not)'

insp --method tools/call --tool-name status
check "--method tools/call --tool-name status: exit 0" test "$RC" -eq 0
check "  structured content: the vault ok and 1 credential" \
	has '.isError == false and .structuredContent.counts.credentials == 1 and (.structuredContent.vault | type == "string")'
check "  with a text rendering too" has '.content[0].type == "text" and (.content[0].text | length > 0)'

insp --method tools/call --tool-name credential_show --tool-arg "id=$ID"
check "--tool-name credential_show --tool-arg id=$ID: exit 0, its name" \
	bash -c "[ $RC -eq 0 ] && jq -e '.structuredContent.credential.name == \"inspector-key\"' <<<\"\$1\" >/dev/null" _ "$OUT"

# Tool errors: a result with isError and the tool's message, no structured content.
# tool_error TEXT: OUT is such a result whose text contains TEXT.
tool_error() { has --arg t "$1" '.isError == true and (.content[0].text | contains($t)) and
	(has("structuredContent") | not)'; }
insp --method tools/call --tool-name credential_show --tool-arg id=cr_aaaaaaaaaaaaaaaaaaaaaaaaaa
check "credential_show of an unknown id: a tool error naming the id" tool_error cr_aaaaaaaaaaaaaaaaaaaaaaaaaa
insp --method tools/call --tool-name credentials_list --tool-arg bogus=1
check "credentials_list with an argument it does not take: a tool error naming it" tool_error bogus
insp --method tools/call --tool-name credential_verify --tool-arg "id=$ID" --tool-arg wait_seconds=999
check "credential_verify with wait_seconds 999 (over its maximum): a tool error naming it" \
	tool_error wait_seconds
insp --method tools/call --tool-name no_such_tool
check "an unknown tool (a JSON-RPC error): exit 1" test "$RC" -eq 1
check "  Inspector shows the server's message" grep -qi 'no_such_tool\|unknown tool' <<<"$OUT$ERR"
insp --method resources/list
check "a method the server does not have (resources/list): exit 1" test "$RC" -eq 1

# Without a session: the tool error tells the admin what to run.
check "bosctl logout" env BOS_ADDR="$URL" BOS_CACERT="$S/tls/cert.pem" XDG_RUNTIME_DIR="$T/run" "$BOSCTL" logout
insp --method tools/call --tool-name status
check "after bosctl logout, status: a tool error saying to run bosctl login" tool_error 'bosctl login'
insp --method tools/list
check "  tools/list still works (it needs no session)" test "$RC" -eq 0

check "no secret in anything Inspector printed" bash -c "! grep -qF '$CAN' '$T/insp.all'"
finish
