// The ad tools (docs/ADS.md "bosctl and MCP", docs/MCP.md) with the official
// MCP SDK client against `bosctl mcp` and a dev vault that
// tests/integration/t_outreach_ads_bosctl.sh planted (PLANT, a JSON file: a
// meta credential, meta's budget of 50.00 USD, an active ad with a daily
// budget of 30.00 USD made by a stand-in broker, and a failed one). It prints ok/not ok lines and exits 1 when
// one failed. What the server wrote is recorded under DIR; the shell script
// greps it for the credential's secret afterwards.
//   node ads_test.mjs PLANT DIR
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { ok, notok, check, short, connect, call, text, failures } from './lib.mjs';

const P = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const DIR = process.argv[3];
const files = (n) => ({ raw: `${DIR}/${n}.raw`, msg: `${DIR}/${n}.jsonl`, err: `${DIR}/${n}.stderr` });
const ENV = { BOS_ADDR: P.url, BOS_CACERT: P.cacert, XDG_RUNTIME_DIR: P.xdg };
const AD_TOOLS = ['ad_create', 'ad_list', 'ad_show', 'ad_pause', 'ad_resume'];
const AD_RE = /^ad_[a-z2-7]{26}$/;
const sc = (r) => r?.structuredContent;
function good(r) { return r && !r.thrown && r.isError === false && sc(r) !== undefined; }
function why(r) { return r?.thrown ? String(r.thrown) : short({ isError: r?.isError, text: text(r), sc: sc(r) }); }
// A tool's refusal: isError true, text matching re, no structuredContent.
function refused(r, re) { return r && !r.thrown && r.isError === true && re.test(text(r)) && sc(r) === undefined; }
// A field anywhere in v whose name says secret.
function secretField(v, path = '') {
	if (v && typeof v === 'object')
		for (const [k, x] of Object.entries(v)) {
			if (/^(secret|token|access_token|value|password)$/.test(k)) return `${path}.${k}`;
			const f = secretField(x, `${path}.${k}`);
			if (f) return f;
		}
	return null;
}
// A valid ad_create's arguments with changes.
const adArgs = (over = {}) => ({ name: 'Spring sale', credential: P.credential.name, account: 'act_1234567890',
	post: '111_222', daily_budget: { amount: 1000, currency: P.budget.currency }, countries: ['US'], ...over });

async function main() {
	let conv;
	try {
		conv = await connect(P.bosctl, ENV, files('ads'));
	} catch (e) {
		notok('the SDK client connects to bosctl mcp', e);
		return;
	}
	const { client } = conv;
	ok('the SDK client connects to bosctl mcp');

	// ---- the listing: the five tools, schemas that compile, the money rules told ----
	let list;
	try { list = await client.listTools(); } catch (e) { notok('tools/list', e); return; }
	const tools = (list.tools ?? []).filter((t) => AD_TOOLS.includes(t.name));
	check('tools/list includes ad_create, ad_list, ad_show, ad_pause and ad_resume', tools.length === 5,
		(list.tools ?? []).map((t) => t.name));
	const validators = new Map();
	const bad = [];
	for (const t of tools) {
		if (t.inputSchema?.type !== 'object' || t.inputSchema.additionalProperties !== false)
			bad.push(`${t.name}: inputSchema`);
		for (const [k, s] of [['input', t.inputSchema], ['output', t.outputSchema]]) {
			try {
				const ajv = new Ajv2020.default({ strict: true, strictTypes: false, strictRequired: false,
					allErrors: true });
				addFormats.default(ajv);
				const v = ajv.compile(s);
				if (k === 'output') validators.set(t.name, v);
			} catch (e) { bad.push(`${t.name}: ${k}Schema: ${e.message}`); }
		}
	}
	check('  their schemas compile with ajv (strict), inputs closed (additionalProperties false)',
		bad.length === 0 && validators.size === 5, bad);
	const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
	const dc = byName.ad_create?.description ?? '';
	check('  ad_create tells the money rules: never above what the budget leaves, no_budget, a raise needs approval',
		/never above what the BOS budgets/.test(dc) && /no_budget/.test(dc) && /over_budget/.test(dc) &&
		/approval/.test(dc), dc);
	check('  ad_resume tells them too', /over_budget/.test(byName.ad_resume?.description ?? ''),
		byName.ad_resume?.description);
	check('  ad_list and ad_show are read-only, the others are not',
		['ad_list', 'ad_show'].every((n) => byName[n]?.annotations?.readOnlyHint === true) &&
		['ad_create', 'ad_pause', 'ad_resume'].every((n) => byName[n]?.annotations?.readOnlyHint !== true),
		tools.map((t) => [t.name, t.annotations]));

	const T = async (name, args, what) => {
		const r = await call(client, name, args);
		const v = validators.get(name);
		if (!r.thrown && !r.isError && v && !v(sc(r)))
			notok(`${name}${what ? ` (${what})` : ''}: structuredContent matches its outputSchema`,
				JSON.stringify(v.errors));
		if (!r.thrown && !r.isError && text(r) === '')
			notok(`${name}: a successful result also has text content`);
		return r;
	};

	// ---- the planted ad ----
	let r = await T('ad_list', {});
	const mine = sc(r)?.ads?.find((a) => a.id === P.ad);
	check('ad_list: the planted ad, active, its daily budget in minor units (3000 USD)', good(r) &&
		mine?.state === 'active' && mine?.daily_budget?.amount === P.daily &&
		mine?.daily_budget?.currency === P.budget.currency && mine?.provider === 'meta', why(r));
	check('  no secret field in it', !secretField(sc(r)), secretField(sc(r)));
	check('  its text content is the same object as JSON', JSON.stringify(JSON.parse(text(r))) ===
		JSON.stringify(sc(r)), text(r));
	r = await T('ad_show', { id: P.ad });
	const ad = sc(r)?.ad;
	check("ad_show: the ad, the credential's id, Meta's campaign id", good(r) && ad?.id === P.ad &&
		ad?.credential === P.credential.id && ad?.meta?.campaign === P.meta_campaign && ad?.pause_reason === null &&
		Array.isArray(ad?.countries), why(r));

	// ---- refusals: tool errors with the vault's message, no structuredContent ----
	r = await T('ad_create', adArgs({ daily_budget: { amount: 999900, currency: 'USD' } }), 'over budget');
	check("ad_create above what the budget leaves: a tool error, over_budget, with the amount left (20.00 USD)",
		refused(r, /over_budget/) && /9999\.00 USD/.test(text(r)) && /20\.00 USD/.test(text(r)), why(r));
	r = await T('ad_create', adArgs({ daily_budget: { amount: 500, currency: 'EUR' } }), 'currency');
	check("ad_create in EUR (meta's budget is USD): a tool error, currency_mismatch",
		refused(r, /currency_mismatch/), why(r));
	r = await T('ad_create', adArgs({ credential: P.other_credential }), 'another service');
	check('ad_create with a credential of another service: a tool error (HTTP 400)', refused(r, /HTTP 400/), why(r));
	r = await T('ad_create', adArgs({ daily_budget: { amount: 0, currency: 'USD' } }), 'zero');
	check('ad_create with daily_budget.amount 0: refused by the server, naming it',
		refused(r, /daily_budget\.amount/), why(r));
	r = await T('ad_create', adArgs({ daily_budget: { amount: '10.00', currency: 'USD' } }), 'decimal');
	check('ad_create with the amount as a decimal string: refused by the server (an integer of minor units)',
		refused(r, /daily_budget\.amount/), why(r));
	r = await T('ad_create', adArgs({ objective: 'OUTCOME_SALES' }), 'objective');
	check('ad_create with objective OUTCOME_SALES: refused by the server', refused(r, /objective/), why(r));
	r = await T('ad_create', adArgs({ access_token: 'x' }), 'unknown field');
	check('ad_create with a field the schema does not name: refused, naming it', refused(r, /access_token/), why(r));
	r = await T('ad_pause', { id: P.failed }, 'failed');
	check('ad_pause of a failed ad: a tool error, ad_state (409)', refused(r, /ad_state/), why(r));
	r = await T('ad_resume', { id: P.ad }, 'active');
	check('ad_resume of an active ad: a tool error, ad_state (409)', refused(r, /ad_state/), why(r));
	r = await T('ad_show', { id: 'ad_nosuchadnosuchadnosuchadno' }, 'unknown');
	check('ad_show of an unknown id: a tool error (HTTP 404)', refused(r, /HTTP 404/), why(r));
	r = await T('ad_show', {}, 'no id');
	check('ad_show without id: refused by the server, naming id', refused(r, /'id'/), why(r));

	// ---- an ad within what is left (20.00 USD) ----
	r = await T('ad_create', adArgs({ name: 'Autumn', objective: 'OUTCOME_AWARENESS', special_ad_categories: ['CREDIT'] }));
	const made = sc(r)?.ad;
	check('ad_create of 10.00 USD (20.00 left): an ad_..., creating, as asked', good(r) && AD_RE.test(made?.id ?? '') &&
		made.state === 'creating' && made.daily_budget?.amount === 1000 && made.objective === 'OUTCOME_AWARENESS' &&
		made.special_ad_categories?.[0] === 'CREDIT', why(r));
	r = await T('ad_list', {}, 'three');
	check('ad_list: the three ads, newest first', good(r) && sc(r).ads.length === 3 &&
		sc(r).ads.map((a) => a.id).join() === [made?.id, P.failed, P.ad].join(), why(r));
	r = await T('ad_create', adArgs({ name: 'Winter', daily_budget: { amount: 1001, currency: 'USD' } }), 'over by 1');
	check('ad_create of 10.01 USD with 10.00 left: over_budget (the amount is never above what is left)',
		refused(r, /over_budget/) && /10\.00 USD/.test(text(r)), why(r));

	// ---- pause through the tool ----
	r = await T('ad_pause', { id: P.ad });
	check('ad_pause of the active ad: pausing, reason admin', good(r) && sc(r).ad?.id === P.ad &&
		sc(r).ad.state === 'pausing' && sc(r).ad.pause_reason === 'admin', why(r));
	r = await T('ad_resume', { id: P.ad }, 'pausing');
	check('ad_resume of a pausing ad: a tool error, ad_state (409)', refused(r, /ad_state/), why(r));

	await client.close();
}

main().then(() => process.exit(failures() ? 1 : 0), (e) => { notok('the test ran to its end', e); process.exit(1); });
