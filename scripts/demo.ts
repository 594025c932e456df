// `npm run demo [-- --devices N] [--switches N] [--once]`: the whole picture in one command. Starts
// the reference cloud and a satellite as real processes in a temp dir, registers the satellite,
// lets simulated devices register and report, starts emulated Catalyst switches (the product
// emulator, HTTPS on 127.0.0.1) and collects their RUM reports as collector targets, syncs, and
// prints where to look and how to log in. Ctrl-C stops everything (--once stops after the first
// sync, for a smoke test).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ControlClient } from '../daemon/cli/client.ts';
import { policyDevices, registerAll, reportAll, reportPolicy } from './simulate-devices.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUTPOST = path.join(ROOT, 'bin', 'outpost.js');
const CLOUD = path.join(ROOT, 'exchange', 'cloud', 'main.ts');
const EMULATOR = path.join(ROOT, 'scripts', 'product-emulator.ts');
// The emulated switches' entitlement tags (the emulator's defaults), mapped onto the lines the
// cloud sold into Default (collector.entitlementMap), so they count in the same pools.
const SWITCH_TAGS = {
  'regid.2017-03.com.cisco.advantage_k9,1.0_bd1da96e-ec1d-412b-a50e-53846b347d53': 'network-advantage',
  'regid.2017-07.com.cisco.dna_advantage,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790': 'network-essentials',
};
const TOKEN = 'demo-registration-token-acme-0001';
// What the demo's devices in Default use: what the cloud sold into Default (cloud.example.json).
// Its dna-essentials line is for Default/Eng, which the demo creates before registering, so no
// alert comes from the demo's own set-up (an unknown VA, or use of what Default never bought).
const ENTITLEMENTS = ['network-advantage', 'network-essentials'];

const USAGE = `usage: npm run demo [-- --devices N] [--switches N] [--once]
Starts the reference cloud and a satellite in a temporary directory, registers the satellite,
lets N simulated devices (default 12) register and report, collects the RUM reports of emulated
Catalyst switches (default 3) as collector targets, syncs, and prints where to log in.
  --devices N   how many simulated devices (1 to 1000)
  --switches N  how many emulated Catalyst switches (0 to 50)
  --once        stop after the first sync (a smoke test)
Ctrl-C stops everything and removes the directory.`;

let values: { devices: string; switches: string; once: boolean; help: boolean };
try {
  values = parseArgs({
    options: { devices: { type: 'string', default: '12' }, switches: { type: 'string', default: '3' }, once: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  }).values as typeof values;
} catch (err) {
  console.error(`demo: ${(err as Error).message.split('\n')[0]} (see --help)`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!/^\d+$/.test(values.devices) || Number(values.devices) < 1 || Number(values.devices) > 1000) {
  console.error('demo: --devices must be 1 to 1000 (see --help)');
  process.exit(2);
}
if (!/^\d+$/.test(values.switches) || Number(values.switches) > 50) {
  console.error('demo: --switches must be 0 to 50 (see --help)');
  process.exit(2);
}
const dir = await mkdtemp(path.join(os.tmpdir(), 'outpost-demo-'));
const children: ChildProcess[] = [];

/** Starts a process; resolves once `count` distinct lines of its output match `ready`. */
async function start(label: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, count = 1): Promise<RegExpMatchArray[]> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const found: RegExpMatchArray[] = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c;
      for (const m of buf.matchAll(new RegExp(ready, 'g'))) if (!found.some((f) => f[0] === m[0])) found.push(m);
      if (found.length >= count) resolve(found);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before it was ready:\n${buf}`)));
  });
}

async function outpost(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const child = spawn(process.execPath, [OUTPOST, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`outpost ${args.join(' ')} failed: ${err || out}`);
  return out.trim();
}

async function stop(): Promise<void> {
  for (const child of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
  await rm(dir, { recursive: true, force: true });
}

const step = (text: string) => console.log(`\n▸ ${text}`);

try {
  step(`everything lives in ${dir}`);
  const cloudConfig = path.join(dir, 'cloud.json');
  const example = JSON.parse(await readFile(path.join(ROOT, 'exchange', 'cloud', 'cloud.example.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(cloudConfig, JSON.stringify({ ...example, listen: '127.0.0.1:0', dataDir: './cloud-data' }, null, 2));
  const [[, cloudUrl]] = (await start('the reference cloud', ['--import', 'tsx', CLOUD, '--config', cloudConfig], {}, /cloud listener on (\S+?)"/)) as [RegExpMatchArray];
  console.log(`  reference cloud on ${cloudUrl} (account "Acme Corp", three lines)`);

  // Policy mode on, so devices under Smart Licensing Using Policy can report too.
  const satelliteConfig = path.join(dir, 'outpost.yaml');
  const mapFile = path.join(dir, 'entitlement-map.yaml');
  await writeFile(mapFile, Object.entries(SWITCH_TAGS).map(([tag, name]) => `"${tag}": ${name}\n`).join(''));
  await writeFile(satelliteConfig, `device:\n  policyMode: { enabled: true, virtualAccount: Default }\ncollector:\n  entitlementMap: ${JSON.stringify(mapFile)}\n`);
  const env = {
    OUTPOST_CONFIG: satelliteConfig,
    OUTPOST_DATA_DIR: path.join(dir, 'data'),
    OUTPOST_DEVICE_LISTEN: '127.0.0.1:0',
    OUTPOST_ADMIN_LISTEN: '127.0.0.1:0',
    OUTPOST_EXCHANGE_URL: cloudUrl!,
    OUTPOST_CLOUD_KEYS: path.join(dir, 'cloud-data', 'cloud-keys.json'),
  };
  const listeners = await start('the satellite', [OUTPOST, 'serve'], env, /"msg":"(device|admin) listener on (\S+?)"/, 2);
  const urlOf = (kind: string) => listeners.find((m) => m[1] === kind)![2]!;
  const device = urlOf('device');
  const admin = urlOf('admin');
  console.log(`  satellite: device listener ${device}, dashboard ${admin}`);

  step('the virtual account the cloud has a line for: Default/Eng');
  const control = new ControlClient(path.join(env.OUTPOST_DATA_DIR, 'outpost.sock'));
  try {
    const vas = await control.call<{ items: Array<{ id: string; path: string }> }>('GET', '/api/virtual-accounts');
    const eng = await control.call<{ path: string }>('POST', '/api/virtual-accounts', { name: 'Eng', parentId: vas.items.find((v) => v.path === 'Default')!.id });
    console.log(`  created ${eng.path}`);
  } finally {
    await control.close();
  }

  step('registering the satellite with the cloud: outpost register --token …');
  console.log(`  ${await outpost(env, 'register', '--token', TOKEN)}`);

  const n = Number(values.devices);
  step(`${n} simulated devices register with a token and report usage`);
  const token = await outpost(env, 'token', 'create', '--va', 'Default', '--description', 'demo devices');
  const sims = await registerAll({ url: device, token, devices: n, prefix: 'DEMO' });
  for (let round = 1; round <= 2; round++) console.log(`  report round ${round}: ${JSON.stringify(await reportAll(device, sims, ENTITLEMENTS))} (status → count)`);

  const p = Math.max(1, Math.ceil(n / 2));
  step(`${p} policy-mode devices report signed usage without registering (trust on first report)`);
  const signers = policyDevices(p, 'DEMOPOL');
  for (let round = 1; round <= 2; round++) console.log(`  report round ${round}: ${JSON.stringify(await reportPolicy(device, signers, ENTITLEMENTS))} (status → count)`);

  const switches = Number(values.switches);
  if (switches > 0) {
    step(`${switches} emulated Catalyst switches (npm run emulate) become collector targets and are polled: outpost target import, outpost collect`);
    const caFile = path.join(dir, 'emulated-switches.pem');
    // The emulator prints one CSV line per product once all listen (after writing its certificate).
    const rows = await start('the product emulator', ['--import', 'tsx', EMULATOR, '--products', String(switches), '--reports', '2', '--cert-out', caFile], {},
      /(https:\/\/[^,\s]+),([^,\s]+),([^,\s]+),([^,\s]+),([^,\s]+)\n/, switches);
    const csv = path.join(dir, 'targets.csv');
    await writeFile(csv, ['address,username,password,ca', ...rows.map((m) => [m[1], m[2], m[3], caFile].join(','))].join('\n') + '\n');
    console.log(`  ${rows.map((m) => `${m[4]} ${m[5]} on ${m[1]}`).join('\n  ')}`);
    console.log(`  ${await outpost(env, 'target', 'import', csv)}`);
    console.log(`  ${await outpost(env, 'collect')}`);
    const client = new ControlClient(path.join(env.OUTPOST_DATA_DIR, 'outpost.sock'));
    try {
      type Target = { address: string; lastPoll: null | { ok: boolean; reports: number; error: null | { code: string } } };
      let targets: Target[] = [];
      for (let i = 0; i < 300; i++) {
        targets = (await client.call<{ items: Target[] }>('GET', '/api/collector/targets')).items;
        if (targets.every((t) => t.lastPoll)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const t of targets) {
        console.log(`  ${t.address}: ${t.lastPoll?.ok ? `${t.lastPoll.reports} RUM reports collected` : `poll ${t.lastPoll ? `failed (${t.lastPoll.error?.code})` : 'still running'}`}`);
      }
      const devices = await client.call<{ items: Array<{ via: string }> }>('GET', '/api/devices?limit=1000');
      console.log(`  ${devices.items.filter((d) => d.via === 'collector').length} devices via collector`);
    } finally {
      await client.close();
    }
  }

  step('syncing with the cloud: outpost sync');
  console.log(`  ${await outpost(env, 'sync')}`);
  console.log(
    (await outpost(env, 'status'))
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
  if (switches > 0) {
    // The cloud answered the switches' RUM reports; the satellite hands each acknowledgement to its switch.
    const client = new ControlClient(path.join(env.OUTPOST_DATA_DIR, 'outpost.sock'));
    try {
      type Acks = { acks: { pending: number; delivered: number } };
      let targets: Acks[] = [];
      for (let i = 0; i < 100; i++) {
        targets = (await client.call<{ items: Acks[] }>('GET', '/api/collector/targets')).items;
        if (targets.every((t) => t.acks.pending === 0 && t.acks.delivered > 0)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(`  the cloud's RUM acknowledgements delivered to ${targets.filter((t) => t.acks.delivered > 0).length} of ${targets.length} switches`);
    } finally {
      await client.close();
    }
  }

  // What the dashboard's overview will show as open alerts: only what the cloud's data says (an
  // expiring subscription), never one the demo's own set-up caused.
  const alertsClient = new ControlClient(path.join(env.OUTPOST_DATA_DIR, 'outpost.sock'));
  try {
    const alerts = await alertsClient.call<{ items: Array<{ type: string; severity: string; message: string }> }>('GET', '/api/alerts');
    console.log(alerts.items.length ? alerts.items.map((a) => `  open alert: ${a.type} (${a.severity}): ${a.message}`).join('\n') : '  open alerts: none');
  } finally {
    await alertsClient.close();
  }

  const passwordFile = path.join(env.OUTPOST_DATA_DIR, 'initial-admin-password');
  step('look around');
  console.log(`  dashboard:  ${admin}`);
  console.log(`  log in as:  admin, with the one-time password in ${passwordFile}`);
  console.log(`              (cat ${passwordFile}); you will be asked to choose a new one`);
  console.log(`  devices:    ${device}   cloud: ${cloudUrl}`);
  console.log(`  try:        OUTPOST_DATA_DIR=${env.OUTPOST_DATA_DIR} npm run outpost -- status`);
  console.log(`              OUTPOST_DATA_DIR=${env.OUTPOST_DATA_DIR} npm run outpost -- export --out report.zip`);
  console.log(`              npm run simulate -- --url ${device} --token ${token} --devices ${n} --prefix DEMO --interval 30`);
  if (switches > 0) console.log(`              OUTPOST_DATA_DIR=${env.OUTPOST_DATA_DIR} npm run outpost -- collect   (the switches, polled again)`);

  if (values.once) {
    await stop();
  } else {
    console.log('\nCtrl-C stops the demo and removes its data.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await stop();
  }
} catch (err) {
  console.error(`demo: ${(err as Error).message}`);
  await stop();
  process.exitCode = 1;
}
