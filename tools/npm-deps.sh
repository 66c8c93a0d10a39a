#!/bin/sh
# The Node packages of the tests (tests/package.json, pinned by
# tests/package-lock.json): the official MCP SDK client and MCP Inspector that
# tests/integration/t_mcp_*.sh drive `bosctl mcp` with. Called by `make deps`.
#  - node and npm: from Debian (nodejs, npm) when either is missing; a machine
#    that already has them (another Node 20 build) keeps its own.
#  - tests/node_modules: `npm ci` when it is missing or older than the lock
#    file; nothing (and no network) when it is up to date.
set -eu
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "make deps: installing nodejs npm"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
lock=tests/package-lock.json
stamp=tests/node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! "$lock" -nt "$stamp" ] && [ ! tests/package.json -nt "$stamp" ]; then
	exit 0
fi
echo "make deps: npm ci --prefix tests"
# --ignore-scripts: no install script may fetch anything.
npm ci --prefix tests --no-audit --no-fund --ignore-scripts --loglevel=error
# But one: Claude Code's install step links its native binary (the
# platform's optional package, already in node_modules; nothing is fetched).
# t_mcp_claude.sh runs the README's 'claude mcp add' with it.
node tests/node_modules/@anthropic-ai/claude-code/install.cjs >/dev/null
# npm ci keeps the lock file's time on its copy; mark the install as newer.
touch "$stamp"
