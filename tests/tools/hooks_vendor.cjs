// The vendors' own code judges the hooks test's fixtures (t_outreach_hooks.sh):
//   node hooks_vendor.cjs sg-verify PUB_B64 SIG_B64 TIMESTAMP BODY_FILE
//       @sendgrid/eventwebhook's EventWebhook.verifySignature: prints ok or bad
//   node hooks_vendor.cjs tw-sign AUTH_TOKEN URL BODY_FILE [sha256]
//       twilio's getExpectedTwilioSignature over the URL and the form's params
'use strict';
const fs = require('fs');
const path = require('path');
const mods = path.join(__dirname, '..', 'node_modules');
const [cmd, ...a] = process.argv.slice(2);

if (cmd === 'sg-verify') {
	const { EventWebhook } = require(path.join(mods, '@sendgrid/eventwebhook'));
	const ew = new EventWebhook();
	const key = ew.convertPublicKeyToECDSA(a[0]);
	const body = fs.readFileSync(a[3]);
	process.stdout.write(ew.verifySignature(key, body, a[1], a[2]) ? 'ok\n' : 'bad\n');
} else if (cmd === 'tw-sign') {
	const twilio = require(path.join(mods, 'twilio'));
	const params = {};
	for (const [k, v] of new URLSearchParams(fs.readFileSync(a[2], 'utf8'))) params[k] = v;
	const alg = a[3] === 'sha256' ? 'HMAC_SHA256' : 'HMAC_SHA1';
	process.stdout.write(twilio.getExpectedTwilioSignature(a[0], a[1], params, alg) + '\n');
} else {
	process.stderr.write('usage: hooks_vendor.cjs sg-verify|tw-sign ...\n');
	process.exit(2);
}
