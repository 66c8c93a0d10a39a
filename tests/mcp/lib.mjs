// Shared pieces of the MCP tests (tests/integration/t_mcp_*.sh): TAP-like
// result lines counted by tests/run-integration.sh, and a client of the
// official SDK whose transport records every byte `bosctl mcp` wrote.
import { appendFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

let fails = 0;
export const failures = () => fails;
export function ok(d) { console.log(`ok - ${d}`); }
export function notok(d, why) {
	console.log(`not ok - ${d}`);
	if (why !== undefined) console.log(`    ${String(why).split('\n').join('\n    ')}`);
	fails++;
}
// check(description, condition[, detail]): condition is a value or a
// function (its exception is a failure); detail is shown when it fails.
export function check(d, cond, detail) {
	let v, err;
	try { v = typeof cond === 'function' ? cond() : cond; } catch (e) { err = e; }
	if (v && err === undefined) { ok(d); return true; }
	notok(d, err !== undefined ? err.stack || err : detail !== undefined ? short(detail) : undefined);
	return false;
}
export function short(x, n = 600) {
	const s = typeof x === 'string' ? x : JSON.stringify(x);
	return s === undefined ? String(s) : s.length > n ? `${s.slice(0, n)}...` : s;
}

// A StdioClientTransport that appends every byte of the server's stdout to
// rawFile (and its stderr to errFile) as it arrives, before the SDK parses
// it, and each parsed message as one JSON line to msgFile. With initVersion,
// the client's initialize request asks for that protocol version instead of
// the SDK's newest (the SDK always asks for its newest).
export class RecordingTransport extends StdioClientTransport {
	constructor(params, files, initVersion) {
		super({ ...params, stderr: 'pipe' });
		this.files = files;
		this.initVersion = initVersion;
		this.negotiated = undefined;
		for (const f of Object.values(files)) appendFileSync(f, '');
	}
	async start() {
		await super.start();
		this._process.stdout.on('data', (chunk) => appendFileSync(this.files.raw, chunk));
		this.stderr.on('data', (chunk) => appendFileSync(this.files.err, chunk));
		const parsed = this.onmessage;
		this.onmessage = (m, extra) => {
			appendFileSync(this.files.msg, `${JSON.stringify(m)}\n`);
			parsed?.(m, extra);
		};
	}
	async send(message, options) {
		if (this.initVersion !== undefined && message.method === 'initialize')
			message = { ...message, params: { ...message.params, protocolVersion: this.initVersion } };
		return super.send(message, options);
	}
	setProtocolVersion(v) { this.negotiated = v; }
}

// connect(bosctl, env, files[, initVersion]): an SDK Client on `bosctl mcp`.
// The transport passes HOME, LOGNAME, PATH, SHELL, TERM, USER and env only.
export async function connect(bosctl, env, files, initVersion) {
	const transport = new RecordingTransport({ command: bosctl, args: ['mcp'], env }, files, initVersion);
	const client = new Client({ name: 'bos-tests', version: '1.0.0' }, { capabilities: {} });
	await client.connect(transport);
	return { client, transport };
}

// The text of a tool result's content.
export function text(res) {
	return (res?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

// call(client, name, args): the tool's result, or {thrown} when the SDK threw
// (a JSON-RPC error, or structuredContent that fails the outputSchema).
export async function call(client, name, args) {
	try {
		return await client.callTool({ name, arguments: args });
	} catch (e) {
		return { thrown: e, isError: undefined, content: [] };
	}
}

// A command in the admin's "terminal": its stdout, stderr and exit status.
export function run(cmd, args, opts = {}) {
	try {
		const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
			timeout: 30000, ...opts });
		return { rc: 0, out, err: '' };
	} catch (e) {
		return { rc: e.status ?? -1, out: e.stdout ?? '', err: e.stderr ?? String(e) };
	}
}

export function writeJson(file, v) { writeFileSync(file, `${JSON.stringify(v)}\n`); }
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
