// `npm run demo -- --once`: the newcomer's one command (token and policy-mode devices, emulated
// Catalyst switches polled as collector targets) still runs end to end and says where to look;
// without --once it runs until Ctrl-C, then stops every process it started and removes its data.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const demo = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));
const run = (args: string[]) => {
  const child = spawn(process.execPath, ['--import', 'tsx', demo, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { text: '' };
  child.stdout.on('data', (c) => (out.text += c));
  child.stderr.on('data', (c) => (out.text += c));
  return { child, out };
};

t.test('the demo starts a cloud and a satellite, registers, reports, collects from emulated switches, syncs and says how to log in', async (t) => {
  const { child, out: o } = run(['--once', '--devices', '3']);
  const [code] = await once(child, 'exit');
  const out = o.text;
  t.equal(code, 0, out);
  t.match(out, /registered to account Acme Corp \(acc_acme, customer, acme\.example\)/);
  t.match(out, /report round 2: \{"202":3\}/);
  t.match(out, /2 policy-mode devices report signed usage without registering/);
  t.match(out, /3 emulated Catalyst switches/);
  t.match(out, /3 target\(s\) added, 0 refused/);
  t.equal(out.match(/https:\/\/127\.0\.0\.1:\d+: [1-9]\d* RUM reports collected\n/g)?.length, 3, 'every switch polled, its reports stored');
  t.match(out, /3 devices via collector/);
  t.match(out, /devices\s+8 registered/, '3 token devices, 2 policy devices and 3 switches');
  t.match(out, /sent report 1 \(\d+ records\), applied cloud response 2: 10 reports acknowledged/, '3 token devices and 2 policy devices, two rounds each');
  t.match(out, /RUM acknowledgements delivered to 3 of 3 switches/, 'the cloud answered the switches\' reports and the answers went back');
  t.match(out, /created Default\/Eng/, 'the VA the cloud has a line for exists before the lines land');
  t.match(out, /open alert|open alerts: none/);
  t.notMatch(out, /open alert: (unknown-virtual-account|insufficient|expired)\b/, 'no alert caused by the demo itself (the switches\' tags map onto lines Default has)');
  t.match(out, /dashboard:\s+http:\/\/127\.0\.0\.1:\d+\n/);
  t.match(out, /log in as:\s+admin, with the one-time password in \S+initial-admin-password/);
});

t.test('Ctrl-C stops the demo: every process it started, its switches\' ports, its directory', async (t) => {
  const { child, out } = run(['--devices', '1', '--switches', '1']);
  for (let i = 0; i < 1200 && !out.text.includes('Ctrl-C stops the demo'); i++) await new Promise((r) => setTimeout(r, 100));
  t.match(out.text, /Ctrl-C stops the demo/, out.text);
  const dir = /everything lives in (\S+)/.exec(out.text)![1]!;
  const port = Number(/(?:https:\/\/127\.0\.0\.1:(\d+)): \d+ RUM reports collected/.exec(out.text)![1]);
  t.ok(existsSync(dir));
  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  t.equal(code, 0, out.text);
  t.notOk(existsSync(dir), 'its directory is removed');
  const refused = await new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
  t.ok(refused, 'the emulated switch is stopped');
});
