// The official MCP SDK client against `bosctl mcp` and a dev vault
// (tests/integration/t_mcp_sdk.sh plants the vault and reads PLANT, a JSON
// file; docs/MCP.md "Tests"). It prints ok/not ok lines and exits 1 when one
// failed. What the server wrote is recorded under DIR (RecordingTransport):
// the shell script greps it for every canary afterwards.
//   node sdk_test.mjs PLANT DIR
// Terminal steps (bosctl logout/login, grant pickup, approve) run here as
// child processes with a TOTP code from oathtool on their standard input,
// as the admin would type them.
import { readFileSync, appendFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import AjvDraft7 from 'ajv';
import addFormats from 'ajv-formats';
import { ok, notok, check, short, connect, call, text, run, failures, sleep } from './lib.mjs';

const P = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const DIR = process.argv[3];
const BOSCTL = P.bosctl;
const files = (n) => ({ raw: `${DIR}/${n}.raw`, msg: `${DIR}/${n}.jsonl`, err: `${DIR}/${n}.stderr` });
// What the SDK's transport passes on: the rest of the environment is dropped.
const ENV = { BOS_ADDR: P.url, BOS_CACERT: P.cacert, XDG_RUNTIME_DIR: P.alice.xdg };
const late = `${DIR}/late-canaries`; // canaries born during the run (a picked-up token)

const VERSIONS = ['2025-11-25', '2025-06-18'];
const ID_RE = (p) => new RegExp(`^${p}_[a-z2-7]{26}$`);
const ACC_RE = /^acc_[a-z2-7]{20}$/;
const TOKEN_RE = /bos_h_[0-9A-Za-z]{49}/;
const sc = (r) => r?.structuredContent;
const NOT_FOUND = /not found|no such|\bno [a-z]+ with\b|unknown|does not exist/i;

// ---- TOTP, as the admin's authenticator app: each code once, steps rising ----
// The vault takes the codes of the previous, current and next 30 s step and
// wants each later than the last one that admin used; a previous-step code is
// not used in the last 10 s of a step (on a loaded machine it could be two
// steps old when it arrives).
function totp(who) {
	return async () => {
		for (;;) {
			const now = Date.now() / 1000, step = Math.floor(now / 30), left = 30 - (now % 30);
			let s = Math.max(who.lastStep + 1, left > 10 ? step - 1 : step);
			if (s <= step + 1) {
				who.lastStep = s;
				return run('oathtool', ['--totp', '-b', who.totp_secret, '-N', `@${s * 30}`]).out.trim();
			}
			await sleep(Math.ceil(left * 1000) + 200);
		}
	};
}
// n codes usable together (a grant's pickups, taken before the grant is made,
// so that waiting for a step never eats into a short pickup or approval time).
async function codes(who, n) {
	for (;;) {
		const now = Date.now() / 1000, step = Math.floor(now / 30), left = 30 - (now % 30);
		const first = Math.max(who.lastStep + 1, left > 10 ? step - 1 : step);
		if (first + n - 1 <= step + 1) {
			const out = [];
			for (let i = 0; i < n; i++) out.push(await who.code());
			return out;
		}
		await sleep(Math.ceil(left * 1000) + 200);
	}
}
const A = { ...P.alice, lastStep: P.alice.lastStep ?? 0 };
const B = { ...P.bob, lastStep: 0 };
A.code = totp(A); B.code = totp(B);
const term = (who, args, input) => run(BOSCTL, args, {
	input, env: { ...process.env, BOS_ADDR: P.url, BOS_CACERT: P.cacert, XDG_RUNTIME_DIR: who.xdg } });
// bosctl login with the next recovery code; the new session token joins the canaries.
function login(who) {
	const code = who.recovery_left.shift();
	const t = term(who, ['login', who.name, '--recovery-code'], `${who.password}\n${code}\n`);
	try {
		const tok = JSON.parse(readFileSync(`${who.xdg}/bos/session`, 'utf8')).session;
		if (tok) appendFileSync(late, `${tok}\n`);
	} catch { /* no session file: the check on t says why */ }
	return t;
}

// ---- schemas: every one compiles (ajv, strict), results are checked against them ----
function ajvFor(schema) {
	const opts = { strict: true, strictTypes: false, strictRequired: false, allErrors: true };
	const draft7 = typeof schema?.$schema === 'string' && schema.$schema.includes('draft-07');
	const ajv = draft7 ? new AjvDraft7.default(opts) : new Ajv2020.default(opts);
	addFormats.default(ajv);
	return ajv;
}
const outValidators = new Map();
async function tool(client, name, args, what) {
	const r = await call(client, name, args);
	if (r.thrown) return r;
	const v = outValidators.get(name);
	if (!r.isError && v && !v(r.structuredContent))
		notok(`${name}${what ? ` (${what})` : ''}: structuredContent matches its outputSchema`,
			JSON.stringify(v.errors));
	if (!r.isError && sc(r) !== undefined && text(r) === '')
		notok(`${name}: a successful result also has text content`);
	return r;
}
// A tool's success: not an error, has structuredContent; else says why.
function good(r) { return r && !r.thrown && r.isError === false && sc(r) !== undefined; }
function why(r) { return r?.thrown ? String(r.thrown) : short({ isError: r?.isError, text: text(r), sc: sc(r) }); }
// A tool's refusal: isError true, text matching re, no structuredContent.
function refused(r, re) { return r && !r.thrown && r.isError === true && re.test(text(r)) && sc(r) === undefined; }

// Find a value anywhere in v for which pred holds (a key named "token", ...).
function findDeep(v, pred, path = '') {
	if (v && typeof v === 'object')
		for (const [k, x] of Object.entries(v)) {
			if (pred(k, x)) return `${path}.${k}`;
			const f = findDeep(x, pred, `${path}.${k}`);
			if (f) return f;
		}
	return null;
}

async function main() {
	// ---- 1. protocol versions: each supported one is answered as asked; others get the newest ----
	for (const [asked, want] of [...VERSIONS.map((v) => [v, v]), ['2024-01-01', VERSIONS[0]]]) {
		let c;
		try {
			c = await connect(BOSCTL, ENV, files(`init-${asked}`), asked);
		} catch (e) {
			notok(`initialize asking for ${asked}: the SDK client connects`, e);
			continue;
		}
		const { client, transport } = c;
		check(`initialize asking for ${asked}: answered ${want}`, transport.negotiated === want,
			transport.negotiated);
		const si = client.getServerVersion();
		check(`  serverInfo: name bos and a version`, si?.name === 'bos' && typeof si.version === 'string'
			&& si.version.length > 0, si);
		const caps = client.getServerCapabilities();
		check(`  capabilities: tools, listChanged false`, caps?.tools?.listChanged === false, caps);
		const ins = client.getInstructions() ?? '';
		check(`  instructions name the terminal steps (bosctl approve, grant pickup, login)`,
			/bosctl approve/.test(ins) && /bosctl grant pickup/.test(ins) && /bosctl login/.test(ins), ins);
		check(`  instructions say the tools never return secrets`, /secret/i.test(ins), ins);
		let pong;
		try { pong = await client.ping(); } catch (e) { pong = e; }
		check(`  ping answers {}`, pong && !(pong instanceof Error) && Object.keys(pong).length === 0, pong);
		await client.close();
	}

	// Without the settings (the transport's default environment alone, as a client
	// configured without -e): the server still lists its tools, and a call says
	// what to do instead of failing obscurely.
	try {
		const { client } = await connect(BOSCTL, {}, files('noenv'));
		const l = await client.listTools();
		const r = await tool(client, 'status', {});
		check('without BOS_ADDR, BOS_CACERT and XDG_RUNTIME_DIR: tools/list works, a call is isError ' +
			'saying to sign in', l.tools.length > 0 && refused(r, /bosctl login/), why(r));
		await client.close();
	} catch (e) { notok('without the settings: the SDK client connects', e); }

	// ---- 2. the conversation: one server process for everything below ----
	let conv;
	try {
		conv = await connect(BOSCTL, ENV, files('conv'));
	} catch (e) {
		notok('the SDK client connects to bosctl mcp', e);
		return;
	}
	const { client } = conv;
	ok('the SDK client connects to bosctl mcp (2025-11-25)');

	let list;
	try { list = await client.listTools(); } catch (e) { notok('tools/list', e); return; }
	const tools = list.tools ?? [];
	check(`tools/list: ${tools.length} tools, no pagination cursor`, tools.length >= 20 &&
		list.nextCursor === undefined, list.nextCursor);
	const names = tools.map((t) => t.name);
	check('  names are unique snake_case', new Set(names).size === names.length &&
		names.every((n) => /^[a-z][a-z0-9_]*$/.test(n)), names);
	const NOT_TOOLS = ['approve', 'grant_pickup', 'login', 'logout', 'admin_create', 'admin_add',
		'credential_add', 'credential_update', 'credential_reveal', 'credential_get', 'broker_add'];
	check('  none of the terminal-only commands is a tool (approve, pickup, login, cred add ...)',
		!names.some((n) => NOT_TOOLS.includes(n) || /approve$|pickup|reveal|login|secret/.test(n)), names);
	let schemaBad = [];
	for (const t of tools) {
		const i = t.inputSchema, o = t.outputSchema;
		if (i?.type !== 'object' || i.additionalProperties !== false) schemaBad.push(`${t.name}: inputSchema`);
		if (o?.type !== 'object') schemaBad.push(`${t.name}: outputSchema`);
		if (!(typeof t.description === 'string' && t.description.length >= 20)) schemaBad.push(`${t.name}: description`);
		for (const [k, s] of [['input', i], ['output', o]]) {
			try {
				const v = ajvFor(s).compile(s);
				if (k === 'output') outValidators.set(t.name, v);
			} catch (e) { schemaBad.push(`${t.name}: ${k}Schema does not compile: ${e.message}`); }
		}
	}
	check('  every tool: inputSchema type object with additionalProperties false, an outputSchema ' +
		'of type object, a description', schemaBad.filter((s) => !/compile/.test(s)).length === 0, schemaBad);
	check(`  every input and output schema compiles with ajv (strict, ${tools.length * 2} schemas)`,
		!schemaBad.some((s) => /compile/.test(s)), schemaBad.filter((s) => /compile/.test(s)));
	const ro = tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name);
	check('  the list tools are marked read-only and the revokes destructive',
		['credentials_list', 'status'].every((n) => !names.includes(n) || ro.includes(n)) &&
		tools.filter((t) => /_revoke$/.test(t.name)).every((t) => t.annotations?.destructiveHint === true),
		tools.map((t) => [t.name, t.annotations]));

	// ---- 3. every tool, called with valid arguments, its result checked ----
	const called = new Set();
	let r;
	const T = async (name, args, what) => { called.add(name); return tool(client, name, args, what); };
	const ids = {};
	let short;
	if (P.short) { // made first, so their time runs out while the rest goes on
		r = await T('grant_create', { helper: P.helper.id, credentials: [P.creds.pw.id], actions: ['read'] }, 'to expire');
		short = { accessor: sc(r)?.accessor, created: Date.now() / 1000 };
		check('grant_create of a grant whose pickup will expire: an accessor', good(r) && ACC_RE.test(short.accessor ?? ''), why(r));
	}

	r = await T('status', {});
	check('status: counts of the planted vault (3 credentials, 1 helper, 1 open alert)', good(r) &&
		sc(r).counts?.credentials === 3 && sc(r).counts?.helpers >= 1 && sc(r).open_alerts === 1, why(r));

	r = await T('credentials_list', {});
	const creds = sc(r)?.credentials ?? [];
	const byName = Object.fromEntries(creds.map((c) => [c.name, c]));
	check('credentials_list: the three planted credentials by name, type and service', good(r) &&
		Object.values(P.creds).every((c) => byName[c.name]?.id === c.id && byName[c.name]?.type === c.type
			&& byName[c.name]?.service === c.service), why(r));
	check('  ids are cr_ and 26 base32 characters', creds.length === 3 && creds.every((c) => ID_RE('cr').test(c.id)),
		creds.map((c) => c.id));
	check('  no credential carries a secret field', !findDeep(sc(r), (k) => /^(secret|value|token|password|number|pan)$/.test(k)),
		findDeep(sc(r), (k) => /^(secret|value|token|password|number|pan)$/.test(k)));
	const cardRow = byName[P.creds.card.name];
	check('  the card shows brand, first 6 and last 4 only', cardRow?.card?.first6 === P.creds.card.first6 &&
		cardRow?.card?.last4 === P.creds.card.last4 && cardRow?.card?.brand === 'visa', cardRow);
	r = await T('credentials_list', { type: 'card' }, 'type card');
	check('credentials_list {type: card}: the card alone', good(r) && sc(r).credentials.length === 1 &&
		sc(r).credentials[0].id === P.creds.card.id, why(r));
	r = await T('credentials_list', { service: P.creds.api.service }, 'service');
	check(`credentials_list {service: ${P.creds.api.service}}: that one alone`, good(r) &&
		sc(r).credentials.length === 1 && sc(r).credentials[0].id === P.creds.api.id, why(r));

	r = await T('credential_show', { id: P.creds.card.id });
	const shown = sc(r)?.credential;
	check('credential_show (the card): its metadata, masked number (first 6, last 4)', good(r) &&
		shown?.id === P.creds.card.id && shown?.name === P.creds.card.name && shown?.type === 'card' &&
		shown?.card?.first6 === P.creds.card.first6 && shown?.card?.last4 === P.creds.card.last4, why(r));
	check('  the text shown to the model has no more of the number than the mask',
		!text(r).includes(P.creds.card.pan) && !text(r).includes(P.creds.card.pan.slice(0, 12)), text(r));
	r = await T('credential_show', { id: P.creds.pw.id }, 'password');
	check('credential_show (the password): metadata with its name and service, no secret field', good(r) &&
		sc(r).credential?.name === P.creds.pw.name && sc(r).credential?.service === P.creds.pw.service &&
		!findDeep(sc(r), (k) => /^(secret|value|password)$/.test(k)), why(r));

	r = await T('credential_verify', { id: P.creds.api.id, wait_seconds: 0 });
	ids.job = sc(r)?.job?.id;
	check('credential_verify (no broker, wait 0): a queued verify job, outcome pending', good(r) &&
		sc(r).outcome === 'pending' && sc(r).job?.kind === 'verify' && sc(r).job?.state === 'queued' &&
		ID_RE('jb').test(ids.job ?? ''), why(r));

	r = await T('jobs_list', {});
	check('jobs_list: the verify job, queued, for the credential', good(r) && sc(r).jobs.some((j) =>
		j.id === ids.job && j.kind === 'verify' && j.state === 'queued' && j.credential === P.creds.api.id), why(r));
	r = await T('jobs_list', { state: 'done' }, 'state done');
	check('jobs_list {state: done}: none', good(r) && sc(r).jobs.length === 0, why(r));

	r = await T('helpers_list', {});
	check('helpers_list: the planted helper', good(r) && sc(r).helpers.some((h) => h.id === P.helper.id &&
		h.name === P.helper.name), why(r));
	r = await T('helper_add', { name: 'Mona Monitor', contact: 'mona@example.com', kind: 'monitor' });
	ids.helper2 = sc(r)?.helper?.id;
	check('helper_add: a new helper hl_..., name, contact and kind as given', good(r) &&
		/^hl_/.test(ids.helper2 ?? '') && sc(r).helper.name === 'Mona Monitor' &&
		sc(r).helper.contact === 'mona@example.com' && sc(r).helper.kind === 'monitor', why(r));
	r = await T('helpers_list', {}, 'after add');
	check('  helpers_list shows it', good(r) && sc(r).helpers.some((h) => h.id === ids.helper2), why(r));

	r = await T('grants_list', {});
	check('grants_list: the planted grant by accessor, no token anywhere', good(r) &&
		sc(r).grants.some((g) => g.accessor === P.grant.accessor && g.helper === P.helper.id) &&
		!findDeep(sc(r), (k) => k === 'token'), why(r));

	r = await T('grant_create', { helper: ids.helper2 ?? P.helper.id, credentials: [P.creds.api.id],
		actions: ['read'], ttl_seconds: 3600, note: 'to be revoked' });
	ids.gRev = sc(r)?.accessor;
	check('grant_create: an accessor, pickup info and what to do next, no token', good(r) &&
		ACC_RE.test(ids.gRev ?? '') && typeof sc(r).pickup?.expires_at === 'string' &&
		sc(r).next.includes(`bosctl grant pickup ${ids.gRev}`) && !findDeep(sc(r), (k) => k === 'token') &&
		!TOKEN_RE.test(JSON.stringify(r)), why(r));
	r = await T('grant_revoke', { accessor: ids.gRev ?? 'acc_aaaaaaaaaaaaaaaaaaaa' });
	check('grant_revoke: the grant, now revoked', good(r) && sc(r).grant?.accessor === ids.gRev &&
		sc(r).grant?.state === 'revoked', why(r));
	r = await T('grants_list', { state: 'active' }, 'active');
	check('  grants_list {state: active} no longer has it and still has the planted one', good(r) &&
		!sc(r).grants.some((g) => g.accessor === ids.gRev) &&
		sc(r).grants.some((g) => g.accessor === P.grant.accessor), why(r));

	r = await T('helper_revoke', { id: ids.helper2 ?? 'hl_none' });
	check('helper_revoke: the helper, revoked', good(r) && sc(r).helper?.id === ids.helper2 &&
		sc(r).helper?.status !== 'active', why(r));

	r = await T('audit_tail', { lines: 5 });
	const tail = sc(r)?.records ?? [];
	check('audit_tail {lines: 5}: 5 records, oldest first, with seq and action', good(r) && tail.length === 5 &&
		tail.every((a, i) => typeof a.action === 'string' && (i === 0 || a.seq > tail[i - 1].seq)), why(r));
	r = await T('audit_search', { limit: 3 });
	const page1 = sc(r)?.records ?? [];
	check('audit_search {limit: 3}: 3 records and a cursor for the next page', good(r) && page1.length === 3 &&
		typeof sc(r).next_cursor === 'string', why(r));
	if (typeof sc(r)?.next_cursor === 'string') {
		r = await T('audit_search', { limit: 3, cursor: sc(r).next_cursor }, 'page 2');
		check('  the next page follows it', good(r) && sc(r).records.length >= 1 &&
			sc(r).records[0].seq > page1[page1.length - 1].seq, why(r));
	}

	r = await T('budgets_get', {});
	const budget = (rr, s) => sc(rr)?.budgets?.find((b) => b.service === s);
	check(`budgets_get: ${P.budget.service} daily ${P.budget.daily} ${P.budget.currency}`, good(r) &&
		budget(r, P.budget.service)?.daily === P.budget.daily && budget(r, P.budget.service)?.currency === P.budget.currency,
		why(r));
	r = await T('budget_set', { service: 'twilio', currency: 'USD', daily: 2000 }, 'new');
	check('budget_set of a new budget: applied at once', good(r) && sc(r).status === 'applied' &&
		sc(r).budget?.daily === 2000 && sc(r).approval === undefined, why(r));
	r = await T('budget_set', { service: 'twilio', currency: 'USD', daily: 1500 }, 'lower');
	check('budget_set lowering it: applied at once', good(r) && sc(r).status === 'applied' &&
		sc(r).budget?.daily === 1500, why(r));
	r = await T('spend_report', {});
	const sp = sc(r)?.services?.find((s) => s.service === P.budget.service);
	check(`spend_report: ${P.budget.service} spent ${P.spent} today`, good(r) && sp?.spent === P.spent, why(r));
	r = await T('spend_report', { from: P.day, to: P.day }, 'range');
	check('spend_report {from, to}: the same day', good(r) && sc(r).services.some((s) =>
		s.service === P.budget.service && s.spent === P.spent), why(r));

	r = await T('alerts_list', {});
	const al = sc(r)?.alerts?.find((a) => a.kind === 'budget_warning');
	ids.alert = al?.id;
	check('alerts_list: the open budget_warning', good(r) && ID_RE('al').test(ids.alert ?? '') && al.state === 'open', why(r));
	r = await T('alert_ack', { id: ids.alert ?? 'al_none' });
	check('alert_ack: the alert, now acked (by alice)', good(r) && sc(r).alert?.id === ids.alert &&
		sc(r).alert?.state === 'acked' && sc(r).alert?.acked_by === A.name, why(r));
	r = await T('alerts_list', {}, 'open after ack');
	check('  alerts_list (open) no longer shows it', good(r) && !sc(r).alerts.some((a) => a.id === ids.alert), why(r));
	r = await T('alert_resolve', { id: ids.alert ?? 'al_none' });
	check('alert_resolve: the alert, now resolved', good(r) && sc(r).alert?.state === 'resolved', why(r));
	r = await T('alerts_list', { state: 'resolved' }, 'resolved');
	check('  alerts_list {state: resolved} shows it', good(r) && sc(r).alerts.some((a) => a.id === ids.alert), why(r));


	// ---- 4. errors: unknown ids and invalid arguments are tool errors the model can read ----
	r = await T('credential_show', { id: 'cr_aaaaaaaaaaaaaaaaaaaaaaaaaa' }, 'unknown');
	check('credential_show of an unknown id: isError, says it was not found', refused(r, NOT_FOUND), why(r));
	r = await T('alert_ack', { id: 'al_aaaaaaaaaaaaaaaaaaaaaaaaaa' }, 'unknown');
	check('alert_ack of an unknown alert: isError, says so', refused(r, NOT_FOUND), why(r));
	r = await T('alert_ack', { id: ids.alert ?? 'al_none' }, 'resolved');
	check('alert_ack of a resolved alert: isError', refused(r, /resolved|already|state/i), why(r));
	r = await T('grant_revoke', { accessor: 'acc_aaaaaaaaaaaaaaaaaaaa' }, 'unknown');
	check('grant_revoke of an unknown accessor: isError', refused(r, NOT_FOUND), why(r));
	for (const [name, args, field] of [
		['credential_show', {}, 'id'],
		['credential_show', { id: 5 }, 'id'],
		['credentials_list', { bogus: 1 }, 'bogus'],
		['credentials_list', { type: 'diamond' }, 'type'],
		['grant_create', { helper: P.helper.id, credentials: [P.creds.api.id], actions: ['delete'] }, 'actions'],
		['budget_set', { service: 'twilio', currency: 'USD', daily: -1 }, 'daily'],
		['budget_set', { service: 'twilio', currency: 'USD', daily: 1.5 }, 'daily'],
		['audit_tail', { lines: 0 }, 'lines'],
	]) {
		r = await T(name, args, 'invalid');
		check(`${name} ${JSON.stringify(args)}: isError naming '${field}'`, refused(r, new RegExp(`\\b${field}\\b`)), why(r));
	}
	r = await call(client, 'no_such_tool', {});
	check('an unknown tool name: JSON-RPC error -32602', r.thrown?.code === -32602, r.thrown ?? why(r));

	// ---- 5. the session ends mid-conversation; a new login is picked up by the same process ----
	let t = login(A); // a fresh session first, so the logout below ends a live one
	check('terminal: bosctl login alice (recovery code) works', t.rc === 0, t.err);
	r = await T('status', {}, 'signed in');
	check('status works with the new session', good(r), why(r));
	t = term(A, ['logout'], '');
	check('terminal: bosctl logout', t.rc === 0, t.err);
	r = await T('status', {}, 'after logout');
	check('status after the logout: isError telling to run bosctl login in a terminal',
		refused(r, /bosctl login/), why(r));
	check('  and it never asks the model for a password or a code', !/(give|tell|send|type) (me )?(your|the) (password|code)/i.test(text(r)), text(r));
	let l2;
	try { l2 = await client.listTools(); } catch (e) { l2 = null; }
	check('  tools/list still works without a session', l2?.tools?.length === tools.length);
	t = login(A);
	check('terminal: bosctl login alice again', t.rc === 0, t.err);
	r = await T('status', {}, 'after a new login');
	check('the same server process works again after the new login', good(r) && sc(r).counts?.credentials === 3, why(r));

	// ---- 6. widening spending: the vault answers with an approval, nothing changes yet ----
	r = await T('budget_set', { service: P.budget.service, currency: 'USD', daily: P.budget.raise }, 'raise');
	ids.ap1 = sc(r)?.approval?.id;
	const ap1Created = Date.now() / 1000;
	check('budget_set raising a budget: pending_approval with an ap_ id, a summary and what to do', good(r) &&
		sc(r).status === 'pending_approval' && ID_RE('ap').test(ids.ap1 ?? '') &&
		sc(r).approval.kind === 'budget_set' && /sendgrid/.test(sc(r).approval.summary ?? '') &&
		typeof sc(r).approval.expires_at === 'string' && (sc(r).next ?? '').includes(`bosctl approve ${ids.ap1}`),
		why(r));
	check('  the summary says from what to what, in dollars', /10\.00 USD.*50\.00 USD/.test(sc(r)?.approval?.summary ?? ''),
		sc(r)?.approval?.summary);
	r = await T('budgets_get', {}, 'after the raise');
	check('  the budget is unchanged until approved', good(r) && budget(r, P.budget.service)?.daily === P.budget.daily, why(r));
	r = await T('budget_resume', { service: P.paused });
	ids.ap2 = sc(r)?.approval?.id;
	check(`budget_resume of the paused ${P.paused}: pending_approval, kind budget_resume`, good(r) &&
		sc(r).status === 'pending_approval' && ID_RE('ap').test(ids.ap2 ?? '') &&
		sc(r).approval.kind === 'budget_resume', why(r));
	r = await T('approvals_list', {});
	check('approvals_list: both pending', good(r) && [ids.ap1, ids.ap2].every((id) =>
		sc(r).approvals.some((a) => a.id === id && a.state === 'pending')), why(r));


	// ---- 7. grant pickup: the token is shown in the terminal only, once ----
	const [a1, a2] = await codes(A, 2);
	r = await T('grant_create', { helper: P.helper.id, credentials: [P.creds.api.id], actions: ['read'], ttl_seconds: 3600 }, 'pickup');
	const acc = sc(r)?.accessor ?? 'acc_none';
	check('grant_create for the pickup: an accessor', good(r) && ACC_RE.test(acc), why(r));
	t = term(A, ['grant', 'pickup', acc], `${a1}\n`);
	const tok = (t.out.match(TOKEN_RE) ?? [])[0];
	check('terminal: bosctl grant pickup ACC with a fresh TOTP code prints a bos_h_ token', t.rc === 0 && !!tok, t.out + t.err);
	if (tok) appendFileSync(late, `${tok}\n`);
	const cu = run('curl', ['-sS', '--max-time', '20', '--cacert', P.cacert, '-H', `Authorization: Bearer ${tok}`,
		`${P.url}/credentials/${P.creds.api.id}`]);
	let got; try { got = JSON.parse(cu.out); } catch { got = null; }
	check('  the token works with curl: it reads the granted credential', cu.rc === 0 && got?.secret === P.creds.api.secret,
		cu.out.replace(P.creds.api.secret, '<secret>') + cu.err);
	t = term(A, ['grant', 'pickup', acc], `${a2}\n`);
	check('  a second pickup (a fresh code) fails: already picked up, no token', t.rc === 1 && !TOKEN_RE.test(t.out) &&
		/pickup_used|picked up already|\balready\b/i.test(t.out + t.err), t.out + t.err);
	const [b1] = await codes(B, 1);
	r = await T('grant_create', { helper: P.helper.id, credentials: [P.creds.api.id], actions: ['read'] }, 'for bob');
	const accB = sc(r)?.accessor ?? 'acc_none';
	t = term(B, ['grant', 'pickup', accB], `${b1}\n`);
	check('  another admin (bob) cannot pick up a grant alice made (the vault refuses: exit 1, not for expiry or use)', good(r) && t.rc === 1 &&
		!TOKEN_RE.test(t.out) && !/\bexpired\b|\bused\b/i.test(t.out + t.err) && /created|only|not yours|forbidden/i.test(t.out + t.err), t.out + t.err);
	r = await T('grants_list', { state: 'active' }, 'after pickup');
	check('  grants_list shows the picked-up grant, and no token', good(r) && sc(r).grants.some((g) => g.accessor === acc) &&
		!TOKEN_RE.test(JSON.stringify(r)), why(r));

	// ---- 8. approval: a raise applies only after bosctl approve with a fresh code ----
	const [b2] = await codes(B, 1);
	r = await T('budget_set', { service: 'twilio', currency: 'USD', daily: 4000 }, 'raise twilio');
	const apA = sc(r)?.approval?.id ?? 'ap_none';
	check('budget_set raising twilio 15.00 -> 40.00 USD: pending_approval', good(r) && sc(r).status === 'pending_approval' &&
		ID_RE('ap').test(apA), why(r));
	t = term(B, ['approve', apA], `${b2}\n`);
	check('terminal: bosctl approve ap_... (bob, a fresh TOTP code) applies the raise', t.rc === 0, t.out + t.err);
	check('  it showed the summary', /twilio/.test(t.out + t.err), t.out + t.err);
	r = await T('budgets_get', {}, 'after approve');
	check('  budgets_get shows the new amount (4000)', good(r) && budget(r, 'twilio')?.daily === 4000, why(r));
	r = await T('approvals_list', { state: 'all' }, 'all');
	check('  approvals_list {state: all}: approved, by bob', good(r) && sc(r).approvals.some((a) =>
		a.id === apA && a.state === 'approved' && a.decided_by === B.name), why(r));
	r = await T('budget_resume', { service: P.paused }, 'for the replay');
	const apB = sc(r)?.approval?.id ?? 'ap_none';
	t = term(B, ['approve', apB], `${b2}\n`);
	check('bosctl approve with the code just used (replayed): refused (exit 1), saying so', good(r) && t.rc === 1 &&
		/replay|already used|was used/i.test(t.out + t.err), t.out + t.err);
	r = await T('approvals_list', {}, 'after the replay');
	check('  that approval stays pending', good(r) && sc(r).approvals.some((a) => a.id === apB && a.state === 'pending'), why(r));

	// ---- 9. past their time: pickups and approvals expire ----
	if (short) {
		const waitUntil = Math.max(short.created, ap1Created) + P.short.seconds + 2;
		const now = Date.now() / 1000;
		if (now < waitUntil) await sleep((waitUntil - now) * 1000);
		t = term(A, ['grant', 'pickup', short.accessor ?? 'acc_none'], `${await A.code()}\n`);
		check(`a pickup past grant_pickup_seconds (${P.short.seconds}): refused (exit 1), expired, no token`, t.rc === 1 &&
			/expired/i.test(t.out + t.err) && !TOKEN_RE.test(t.out), t.out + t.err);
		t = term(B, ['approve', ids.ap1 ?? 'ap_none'], `${await B.code()}\n`);
		check(`the raise of section 6 past approval_seconds (${P.short.seconds}): refused (exit 1), expired`, t.rc === 1 &&
			/expired/i.test(t.out + t.err), t.out + t.err);
		r = await T('budgets_get', {}, 'after the expired approval');
		check('  it changed nothing', good(r) && budget(r, P.budget.service)?.daily === P.budget.daily, why(r));
		r = await T('approvals_list', { state: 'all' }, 'expired');
		check('  approvals_list {state: all} shows it expired', good(r) && sc(r).approvals.some((a) =>
			a.id === ids.ap1 && a.state === 'expired'), why(r));
	}

	// ---- 10. outreach (docs/OUTREACH.md): lists, suppressions, campaigns, stats ----
	// Last, since a started campaign queues send jobs and its cancel ends them.
	const csv = 'email,phone,name,consent,team\r\nann@example.com,,Ann,email,east\r\n' +
		'bob@example.com,+1 555 010 0002,"Bob, Jr.","email,sms",west\r\nANN@example.com,,Ann again,email,east\r\n' +
		'carl@example.com,,Carl,none,\r\n';
	r = await T('outreach_list_import', { name: 'advisors', format: 'csv', data: csv });
	ids.list = sc(r)?.list?.id;
	check('outreach_list_import (CSV): 3 imported, 1 duplicate (case), a list ol_... of 3', good(r) &&
		sc(r).imported === 3 && sc(r).duplicates === 1 && sc(r).appended === false &&
		ID_RE('ol').test(ids.list ?? '') && sc(r).list.contacts === 3, why(r));
	check('  no contact in what the model reads', !JSON.stringify(r).includes('ann@example.com'), why(r));
	r = await T('outreach_list_import', { name: 'advisors', append: true, contacts: [{ email: 'dana@example.com',
		name: 'Dana', consent: 'both', phone: '+1 (555) 010-0004', fields: { team: 'north' } }] }, 'append');
	check('outreach_list_import {append: true, contacts}: 1 more, the list has 4', good(r) && sc(r).imported === 1 &&
		sc(r).appended === true && sc(r).list?.id === ids.list && sc(r).list.contacts === 4, why(r));
	r = await T('outreach_list_import', { name: 'advisors', data: 'email\nx@example.com\n' }, 'exists');
	check('outreach_list_import of an existing name without append: refused, says append: true',
		refused(r, /append: true/), why(r));
	r = await T('outreach_list_import', { name: 'broken', data: 'email,phone\nnot-an-address,\nok@example.com,12\n' },
		'bad rows');
	check('outreach_list_import with bad rows: refused, naming row 1 (email) and row 2 (phone)',
		refused(r, /2 rows are invalid.*row 1 \(email\).*row 2 \(phone\)/s), why(r));
	r = await T('outreach_list_import', { name: 'x', contacts: [{ email: 'a@example.com', ssn: '1' }] }, 'unknown field');
	check('outreach_list_import with a field the schema does not name: refused by the server, naming it',
		refused(r, /contacts\[0\]\.ssn/), why(r));
	r = await T('outreach_lists', {});
	check('outreach_lists: advisors (4), no list "broken" (all or nothing), no address', good(r) &&
		sc(r).lists.some((l) => l.id === ids.list && l.name === 'advisors' && l.contacts === 4) &&
		!sc(r).lists.some((l) => l.name === 'broken') && !JSON.stringify(sc(r)).includes('@example.com'), why(r));

	r = await T('outreach_suppress', { address: 'Bob@Example.com' });
	check('outreach_suppress: stored lower-cased, channel email, created', good(r) &&
		sc(r).suppression?.address === 'bob@example.com' && sc(r).suppression?.channel === 'email' &&
		sc(r).created === true, why(r));
	r = await T('outreach_suppressions', { channel: 'email' });
	check('outreach_suppressions {channel: email}: bob', good(r) &&
		sc(r).suppressions.some((x) => x.address === 'bob@example.com'), why(r));

	r = await T('campaign_create', { channel: 'email', list: 'advisors', from: 'Acme <hi@acme.example>',
		subject: 'Hello {{name}}', text: 'Hi {{name}} of team {{team}}', provider: 'sendgrid', per_minute: 30,
		start: false });
	const cp = sc(r)?.campaign;
	ids.cp = cp?.id ?? 'cp_none';
	check('campaign_create (email, start false): a draft cp_..., sendgrid with its only credential, bob suppressed',
		good(r) && ID_RE('cp').test(cp?.id ?? '') && cp.state === 'draft' && cp.channel === 'email' &&
		cp.per_minute === 30 && cp.suppressed === 1 && cp.text === undefined, why(r));
	r = await T('campaign_create', { channel: 'sms', list: ids.list, from: '+15550100000', body: 'Hi {{name}}',
		provider: 'twilio' }, 'no twilio credential');
	check('campaign_create (sms) with no twilio credential: refused', refused(r, /credential|twilio/i), why(r));
	r = await T('campaign_create', { channel: 'sms', list: ids.list, from: '+15550100000', body: 'Hi',
		provider: 'sendgrid' }, 'wrong provider');
	check('campaign_create (sms) with an email provider: refused, says twilio or plivo', refused(r, /twilio or plivo/), why(r));
	r = await T('campaigns_list', { state: 'draft' });
	check('campaigns_list {state: draft}: it, without its text', good(r) &&
		sc(r).campaigns.some((c) => c.id === ids.cp && c.text === undefined), why(r));
	r = await T('campaign_show', { id: ids.cp });
	check('campaign_show: its subject and text', good(r) && sc(r).campaign?.subject === 'Hello {{name}}' &&
		sc(r).campaign?.text === 'Hi {{name}} of team {{team}}', why(r));
	for (const [verb, state] of [['start', 'running'], ['pause', 'paused'], ['resume', 'running'],
		['cancel', 'cancelled']]) {
		r = await T(`campaign_${verb}`, { id: ids.cp });
		check(`campaign_${verb}: the campaign is ${state}`, good(r) && sc(r).campaign?.id === ids.cp &&
			sc(r).campaign?.state === state, why(r));
	}
	r = await T('campaign_resume', { id: ids.cp }, 'cancelled');
	check('campaign_resume of a cancelled campaign: refused (campaign_state)', refused(r, /campaign_state/), why(r));
	r = await T('outreach_stats', { campaign: ids.cp });
	check('outreach_stats {campaign}: nothing sent, rates null', good(r) && sc(r).stats.length === 1 &&
		sc(r).stats[0].campaign === ids.cp && sc(r).stats[0].sent === 0 && sc(r).stats[0].rates?.opened === null, why(r));
	r = await T('outreach_stats', {}, 'all');
	check('outreach_stats {}: an answer', good(r) && Array.isArray(sc(r).stats), why(r));

	// ---- 11. ads (docs/ADS.md): the five tools, on a vault with no meta credential or budget ----
	// The whole flow is t_outreach_ads_bosctl.sh's (tests/mcp/ads_test.mjs); here each is called once.
	r = await T('ad_list', {});
	check('ad_list: no ads', good(r) && Array.isArray(sc(r).ads) && sc(r).ads.length === 0, why(r));
	r = await T('ad_create', { name: 'Spring sale', credential: P.creds.api.id, account: 'act_1234567890',
		post: '111_222', daily_budget: { amount: 1000, currency: 'USD' }, countries: ['US'] }, 'not meta');
	check('ad_create with a credential of another service (sendgrid): refused, a tool error',
		refused(r, /HTTP 4\d\d/), why(r));
	for (const name of ['ad_show', 'ad_pause', 'ad_resume']) {
		r = await T(name, { id: 'ad_nosuchadnosuchadnosuchadno' }, 'unknown');
		check(`${name} of an unknown ad: refused (HTTP 404)`, refused(r, /HTTP 404/), why(r));
	}

	const missing = names.filter((n) => !called.has(n));
	check(`every listed tool was called (${called.size} of ${names.length})`, missing.length === 0, missing);

	await client.close();
}

// The stderr of every server process is recorded too (Claude Code keeps it in its logs).
main().then(() => process.exit(failures() ? 1 : 0), (e) => { notok('the test ran to its end', e); process.exit(1); });
