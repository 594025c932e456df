// A data dir written by release 0.1.0 (test/fixtures/store-0.1.0, the code before stores
// recorded their format) served by this program, as a real daemon process: it is copied to
// backups/pre-upgrade-1-to-N/, migrated, and nothing is lost — every record as it was, the
// devices, reports, users, tokens and virtual accounts answered by the API. A store newer than
// the program stops the start with one line and is left as it was.
import { cpSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { control } from '../helpers/control.ts';
import { daemonEnv, runCli, startDaemon, BIN } from '../helpers/process.ts';
import { tempDir } from '../helpers/tmp.ts';
import { STORE_FORMAT } from '../../daemon/store/format.ts';
import { keys } from '../../daemon/store/keys.ts';
import { LevelStore } from '../../daemon/store/level.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const FIXTURE = fileURLToPath(new URL('../fixtures/store-0.1.0/', import.meta.url));

async function dump(dir: string): Promise<Record<string, string>> {
  const store = new LevelStore(dir);
  await store.open();
  const out: Record<string, string> = {};
  for await (const [k, v] of store.iterate({})) out[k] = JSON.stringify(v);
  await store.close();
  return out;
}

async function fixtureCopy(t: Test): Promise<string> {
  const dataDir = path.join(tempDir(t), 'data');
  cpSync(FIXTURE, dataDir, { recursive: true });
  await chmod(dataDir, 0o700);
  return dataDir;
}

t.test('a store from release 0.1.0 is copied, migrated and served with nothing lost', async (t) => {
  const dataDir = await fixtureCopy(t);
  const before = await dump(path.join(dataDir, 'db'));
  t.equal(before[keys.format], undefined, 'the fixture has no format record');

  const env = daemonEnv(dataDir);
  const d = await startDaemon(t, env);
  t.ok(d.output.some((l) => l.includes(`copied the store before upgrading it from format 1 to ${STORE_FORMAT}`)), 'the copy is logged');
  const sock = path.join(dataDir, 'outpost.sock');
  const devices = (await control(sock, 'GET', '/api/devices?limit=100')).body.items;
  t.same(devices.map((x: any) => x.udi.sn).sort(), ['FXA000000', 'FXA000001', 'FXA000002', 'FXE000000', 'FXE000001']);
  t.same(devices.filter((x: any) => x.virtualAccount.path === 'Default/Eng').length, 2);
  const status = (await control(sock, 'GET', '/api/status')).body;
  t.match(status, { devices: { registered: 5, deregistered: 0 }, reports: { total: 8, unacknowledged: 8 } });
  const users = (await control(sock, 'GET', '/api/users')).body.items;
  t.same(users.map((u: any) => u.username).sort(), ['admin', 'alice', 'bob']);
  const tokens = (await control(sock, 'GET', '/api/tokens')).body.items;
  t.same(tokens.map((x: any) => x.description).sort(), ['', 'rack A']);
  const upgraded = JSON.parse((await runCli(['events', '--type', 'store.upgraded', '--json'], env)).stdout).items;
  t.match(upgraded, [{ type: 'store.upgraded', actor: 'system', details: { from: 1, to: STORE_FORMAT } }]);

  // A user of 0.1.0 logs in with the password set then.
  const login = await fetch(`${d.admin}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: d.admin },
    body: JSON.stringify({ username: 'alice', password: 'fixture password 0.1.0' }),
  });
  t.equal(login.status, 200, 'alice logs in with her 0.1.0 password');

  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
  const after = await dump(path.join(dataDir, 'db'));
  const changed = Object.keys(before).filter((k) => after[k] !== before[k]);
  t.same(changed.filter((k) => !k.startsWith('meta!seq!') && !k.startsWith('user!')), [], 'every record of 0.1.0 is there, unchanged (but counters and the login)');
  t.equal(after[keys.format], JSON.stringify({ format: STORE_FORMAT }));
  t.same(await dump(path.join(dataDir, 'backups', `pre-upgrade-1-to-${STORE_FORMAT}`, 'db')), before, 'the pre-upgrade copy is the 0.1.0 store');

  // The next start has nothing to migrate.
  const again = await startDaemon(t, env);
  t.notOk(again.output.some((l) => l.includes('copied the store')), 'no second copy');
  again.child.kill('SIGTERM');
  t.equal((await again.exited).code, 0);
});

t.test('a store newer than the program: one line, exit 1, nothing changed', async (t) => {
  const dataDir = await fixtureCopy(t);
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  await store.batch([{ type: 'put', key: keys.format, value: { format: STORE_FORMAT + 1 } }], { sync: true });
  await store.close();
  const before = await dump(path.join(dataDir, 'db'));
  const child = spawn(process.execPath, [BIN, 'serve'], { env: daemonEnv(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(stderr, new RegExp(`^outpost: dataDir: the store in .* is format ${STORE_FORMAT + 1}, newer than this program's format ${STORE_FORMAT}; [^\\n]+\\n$`));
  t.same(await dump(path.join(dataDir, 'db')), before, 'the store is as it was');
  const { readdirSync } = await import('node:fs');
  t.notOk(readdirSync(dataDir).includes('backups'), 'no copy made');
});
