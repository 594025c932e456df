// The air-gapped way and the command line: respondOffline answers bundle files on the same
// data dir the server uses, and exchange/cloud/main.ts runs as a real process.
import { execFile, spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { request } from 'undici';
import { expectKind, loadJwks, openBundle } from '../../../exchange/bundle/index.ts';
import { JWKS_FILE, respondOffline } from '../../../exchange/cloud/index.ts';
import { admin, cloudConfig, startCloud, tempDir, TestSatellite, TOKEN, ADMIN } from './fixtures/satellite.ts';
import { entitlement } from '../../unit/exchange/fixtures/bundle.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const main = join(root, 'exchange/cloud/main.ts');

t.test('respondOffline answers a registration request, then a report, continuing the counter', async (t) => {
  const dir = await tempDir(t);
  const config = cloudConfig(dir);
  const sat = new TestSatellite('sat_air', dir);
  const reg = join(dir, 'reg-response.zip');
  const m1 = await respondOffline({ config, inPath: await sat.registrationRequest(TOKEN), outPath: reg });
  t.match(m1, { kind: 'registration-response', sequence: 1, inReplyTo: 0, account: 'acc_acme' });
  const trusted = await loadJwks(join(config.dataDir, JWKS_FILE));
  sat.account = expectKind((await openBundle(reg, { trustedKeys: trusted })).manifest, ['registration-response']).account;

  const resp = join(dir, 'response.zip');
  const m2 = await respondOffline({ config, inPath: await sat.report(), outPath: resp });
  t.match(m2, { kind: 'cloud-response', sequence: 2, inReplyTo: 1 });
  t.equal((await openBundle(resp, { trustedKeys: trusted })).manifest.sequence, 2, 'the response file verifies');

  await t.rejects(respondOffline({ config, inPath: resp, outPath: join(dir, 'x.zip') }), { code: 'BUNDLE_UNEXPECTED' }, 'a cloud bundle is not answered');
  const ghost = new TestSatellite('sat_ghost', dir);
  await t.rejects(respondOffline({ config, inPath: await ghost.report(), outPath: join(dir, 'y.zip') }), { code: 'BUNDLE_KEY_UNKNOWN', message: /not registered/ });

  const cloud = await startCloud(t, dir);
  t.match((await admin(`${cloud.url}/v1/admin/satellites/sat_air`, 'GET')).data, { counter: 2, reports: 1 }, 'the server sees what was answered offline');
  await t.rejects(respondOffline({ config, inPath: await sat.report(), outPath: join(dir, 'z.zip') }), { message: /in use by cloud process/ }, 'not while the server holds the data dir');
});

async function writeConfig(dir: string, over: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, 'cloud.json');
  await writeFile(
    path,
    JSON.stringify({
      listen: '127.0.0.1:0',
      dataDir: './data',
      adminToken: ADMIN,
      accounts: [{ id: 'acc_acme', profile: { name: 'Acme', domain: 'acme.example', type: 'customer' }, tokens: [TOKEN], lines: [entitlement('L1')] }],
      ...over,
    }),
  );
  return path;
}

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

t.test('main.ts serve: makes its key (0600) and JWKS, logs its listener, answers, stops on SIGTERM with 0', async (t) => {
  const dir = await tempDir(t);
  const config = await writeConfig(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--config', config], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"msg":"cloud listener on (http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  t.equal(((await stat(join(dir, 'data/cloud-key.pem'))).mode & 0o777), 0o600, 'the private key is mode 0600');
  t.equal(((await stat(join(dir, 'data'))).mode & 0o777), 0o700, 'the data dir is mode 0700');
  t.equal((await loadJwks(join(dir, 'data/cloud-keys.json'))).keys.length, 1);
  const health = await request(`${url}/healthz`);
  t.same(await health.body.json(), { status: 'ok' });

  const sat = new TestSatellite('sat_cli', dir);
  const res = await request(`${url}/v1/satellites/register`, { method: 'POST', headers: { 'content-type': 'application/zip' }, body: await readFile(await sat.registrationRequest(TOKEN)) });
  t.equal(res.statusCode, 200);
  await res.body.arrayBuffer();

  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit 0 on SIGTERM');
  await t.rejects(stat(join(dir, 'data/cloud.lock')), { code: 'ENOENT' }, 'the lock is released');

  const key = await readFile(join(dir, 'data/cloud-key.pem'), 'utf8');
  const again = spawn(process.execPath, ['--import', 'tsx', main, 'serve', '--config', config], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve) => again.stdout.on('data', (d) => String(d).includes('cloud listener on') && resolve()));
  const done = new Promise((resolve) => again.once('exit', resolve));
  again.kill('SIGINT');
  t.equal(await done, 0, 'exit 0 on SIGINT');
  t.equal(await readFile(join(dir, 'data/cloud-key.pem'), 'utf8'), key, 'the key is kept across starts');
});

t.test('main.ts respond: answers a bundle file, printing one JSON line; refusals exit 1 with one line', async (t) => {
  const dir = await tempDir(t);
  const config = await writeConfig(dir);
  const sat = new TestSatellite('sat_cli2', dir);
  const out = join(dir, 'reg-response.zip');
  const ok = await run(['respond', '--config', config, '--in', await sat.registrationRequest(TOKEN), '--out', out]);
  t.equal(ok.code, 0);
  t.same(JSON.parse(ok.stdout), { file: out, kind: 'registration-response', satellite: 'sat_cli2', sequence: 1, inReplyTo: 0 });

  const notZip = join(dir, 'not.zip');
  await writeFile(notZip, 'nope');
  const bad = await run(['respond', '--config', config, '--in', notZip, '--out', join(dir, 'x.zip')]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^cloud: BUNDLE_NOT_ZIP: The bundle is not a zip file.*\n$/);

  const badToken = await run(['respond', '--config', config, '--in', await sat.registrationRequest('wrong-token-0123456789'), '--out', join(dir, 'y.zip')]);
  t.equal(badToken.code, 1);
  t.match(badToken.stderr, /^cloud: TOKEN_INVALID: /);
});

t.test('main.ts: a bad config or usage stops with one clear line', async (t) => {
  const dir = await tempDir(t);
  const badType = await writeConfig(dir, { accounts: [{ id: 'a', profile: { name: 'A', domain: 'a', type: 'reseller' } }] });
  const r1 = await run(['--config', badType]);
  t.equal(r1.code, 1);
  t.match(r1.stderr, /^cloud: config accounts\.0\.profile\.type: /);
  const unknownKey = await writeConfig(dir, { colour: 'blue' });
  t.match((await run(['--config', unknownKey])).stderr, /^cloud: config .*colour/);
  const r3 = await run(['respond', '--config', unknownKey]);
  t.equal(r3.code, 2);
  t.match(r3.stderr, /^usage: /);
});
