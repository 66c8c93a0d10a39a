// SMTP sink for bos-broker's tests (docs/OUTREACH.md "The outreach broker"),
// on npm smtp-server (tests/node_modules): STARTTLS with the test CA's
// certificate (lib_stub.sh stub_certs), AUTH PLAIN or LOGIN against the
// user and password the test gives (refused before STARTTLS), and each
// accepted message written raw (RFC 5322, as received) as DIR/NNNN.eml.
//
// usage: node smtp_sink.mjs --cert PEM --key PEM --user U --pass-file F --dir DIR
//            --port-file F [--log F] [--no-starttls] [--fail-next N CODE]
//   --pass-file    the password, in a file (never argv)
//   --no-starttls  do not offer STARTTLS (a client that requires it must give up)
//   --fail-next    answer the next N messages' DATA with CODE (e.g. 451: temporary)
// Scripted by recipient: a local part starting "refuse" gets 550 at RCPT,
// "tempfail" 451. The log (one JSON line per event) names recipients, sizes,
// TLS and the outcome, never the password.
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const args = process.argv.slice(2);
const opt = {};
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	if (a === '--no-starttls') opt.noStarttls = true;
	else if (a === '--fail-next') { opt.failN = Number(args[++i]); opt.failCode = Number(args[++i]); }
	else opt[a.replace(/^--/, '').replace(/-/g, '_')] = args[++i];
}
for (const k of ['cert', 'key', 'user', 'pass_file', 'dir', 'port_file']) {
	if (!opt[k]) { console.error(`smtp_sink: --${k.replace(/_/g, '-')} is required`); process.exit(2); }
}
const password = fs.readFileSync(opt.pass_file, 'utf8').replace(/\r?\n$/, '');
let seq = 0;
let failLeft = opt.failN || 0;
const log = (rec) => {
	if (opt.log) fs.appendFileSync(opt.log, JSON.stringify({ t: Date.now() / 1000, ...rec }) + '\n');
};

const server = new SMTPServer({
	key: fs.readFileSync(opt.key),
	cert: fs.readFileSync(opt.cert),
	secure: false,
	hideSTARTTLS: !!opt.noStarttls,
	allowInsecureAuth: false,
	authMethods: ['PLAIN', 'LOGIN'],
	authOptional: false,
	size: 4 * 1024 * 1024,
	banner: 'bos test sink',
	logger: false,
	onAuth(auth, session, cb) {
		const tls = !!session.secure;
		const ok = tls && auth.username === opt.user && auth.password === password;
		log({ event: 'auth', method: auth.method, tls, user_ok: auth.username === opt.user, ok });
		if (!ok) return cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
		cb(null, { user: auth.username });
	},
	onRcptTo(address, session, cb) {
		const a = address.address;
		if (a.startsWith('refuse')) {
			log({ event: 'rcpt', to: a, code: 550 });
			return cb(Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }));
		}
		if (a.startsWith('tempfail')) {
			log({ event: 'rcpt', to: a, code: 451 });
			return cb(Object.assign(new Error('4.2.1 Try again later'), { responseCode: 451 }));
		}
		cb();
	},
	onData(stream, session, cb) {
		const chunks = [];
		stream.on('data', (c) => chunks.push(c));
		stream.on('end', () => {
			const raw = Buffer.concat(chunks);
			const to = session.envelope.rcptTo.map((r) => r.address);
			if (failLeft > 0) {
				failLeft--;
				log({ event: 'data', to, bytes: raw.length, code: opt.failCode });
				return cb(Object.assign(new Error('scripted failure'), { responseCode: opt.failCode }));
			}
			seq++;
			const name = path.join(opt.dir, String(seq).padStart(4, '0') + '.eml');
			fs.writeFileSync(name + '.tmp', raw);
			fs.renameSync(name + '.tmp', name);
			log({ event: 'data', to, from: session.envelope.mailFrom.address, ehlo: session.hostNameAppearsAs, bytes: raw.length,
				tls: !!session.secure, user: session.user, file: path.basename(name), code: 250 });
			cb(null, 'queued as ' + seq);
		});
	},
});
server.on('error', (e) => console.error('smtp_sink:', e.message));
server.listen(0, '127.0.0.1', () => {
	const tmp = opt.port_file + '.tmp';
	fs.writeFileSync(tmp, String(server.server.address().port) + '\n');
	fs.renameSync(tmp, opt.port_file);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
