// `npm run demo -- --once`: the newcomer's one command (token and policy-mode devices) still runs end to end and says where to look.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

t.test('the demo starts a cloud and a satellite, registers, reports, syncs and says how to log in', async (t) => {
  const demo = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', demo, '--once', '--devices', '3'], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const [code] = await once(child, 'exit');
  t.equal(code, 0, out);
  t.match(out, /registered to account Acme Corp \(acc_acme, customer, acme\.example\)/);
  t.match(out, /report round 2: \{"202":3\}/);
  t.match(out, /2 policy-mode devices report signed usage without registering/);
  t.match(out, /sent report 1 \(\d+ records\), applied cloud response 2: 10 reports acknowledged/, '3 token devices and 2 policy devices, two rounds each');
  t.match(out, /created Default\/Eng/, 'the VA the cloud has a line for exists before the lines land');
  t.match(out, /open alert|open alerts: none/);
  t.notMatch(out, /open alert: (unknown-virtual-account|insufficient|expired)\b/, 'no alert caused by the demo itself');
  t.match(out, /dashboard:\s+http:\/\/127\.0\.0\.1:\d+\n/);
  t.match(out, /log in as:\s+admin, with the one-time password in \S+initial-admin-password/);
});
