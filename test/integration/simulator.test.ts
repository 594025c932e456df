// The device simulator, run as the real script against a satellite: token and policy devices.
import t from 'tap';
import { allDevices } from '../helpers/devices.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startSatellite, testClock } from '../helpers/satellite.ts';
import { createToken } from '../helpers/devices.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/simulate-devices.ts', import.meta.url));

async function simulate(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const [code] = await once(child, 'exit');
  return { code, out };
}

t.test('token devices register and report for the rounds asked', async (t) => {
  const sat = await startSatellite(t, { clock: testClock(new Date().toISOString()) });
  const { token } = await createToken(sat.socketPath);
  const r = await simulate(['--url', sat.device, '--token', token, '--devices', '5', '--rounds', '2', '--interval', '0']);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /registered 5 devices/);
  t.match(r.out, /round 2: \{"202":5\}/);
  t.equal(sat.ctx.state.countDevices().registered, 5);
  t.equal(sat.ctx.state.reportCounts.total, 10);
});

t.test('policy devices report signed usage without registering', async (t) => {
  const sat = await startSatellite(t, { clock: testClock(new Date().toISOString()), config: { 'device.policyMode': { enabled: true } } });
  const r = await simulate(['--url', sat.device, '--policy', '--devices', '4', '--rounds', '1']);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /round 1: \{"202":4\}/);
  const devices = await allDevices(sat.ctx.store);
  t.equal(devices.length, 4);
  t.ok(devices.every((d) => d.via === 'policy' && d.keyThumbprint));
});

t.test('without a token or --policy it says so in one line, pointing at --help, and exits 2', async (t) => {
  const r = await simulate([]);
  t.equal(r.code, 2);
  t.match(r.out, /^simulate: name a --token .*--policy \(see --help\)\n$/s);
  t.match((await simulate(['--help'])).out, /usage: npm run simulate/);
});
