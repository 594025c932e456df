// The device list from its indexes: `?q=` as a plain substring (regular-expression and wildcard
// characters literal, unicode, a 1,000-character query refused), `?via=`, and indexes found
// missing or wrong at start rebuilt in the background with a log line while lists stay right.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keys, prefixRange } from '../../daemon/store/index.ts';
import { LevelStore } from '../../daemon/store/level.ts';
import { control } from '../helpers/control.ts';
import { createToken, postReport, registerDevice, report } from '../helpers/devices.ts';
import { deviceIndexDrift } from '../helpers/device-index.ts';
import { daemonEnv, startDaemon } from '../helpers/process.ts';
import { startSatellite } from '../helpers/satellite.ts';
import { tempDir } from '../helpers/tmp.ts';

/** Every page of a list through the control socket, following `next`. */
async function all(socket: string, url: string): Promise<any[]> {
  const items: any[] = [];
  let next: string | null = null;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res: { status: number; body: any } = await control(socket, 'GET', next === null ? url : `${url}${sep}cursor=${next}`);
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    next = res.body.next;
  } while (next !== null);
  return items;
}

const HOSTS = ['a.b*c?d[e]', 'x%y_z', '(paren)+plus', 'back\\slash', '^caret$', 'Ünïcode-Straße', '日本-スイッチ-1', 'emoji-🛰-sat', 'plain-host'];

t.test('?q= matches a plain, case-insensitive substring: regex and wildcard characters are literal, unicode works', async (t) => {
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath, { maxUses: 100 });
  for (const [i, hostname] of HOSTS.entries()) {
    const reg = await registerDevice(sat.device, token, `QSN${i}`, { hostname });
    t.equal(reg.status, 201, `registered ${hostname}`);
  }
  const hosts = async (q: string) =>
    (await all(sat.socketPath, `/api/devices?q=${encodeURIComponent(q)}&limit=2`)).map((d) => d.hostname).sort();
  t.same(await hosts('.'), ['a.b*c?d[e]'], '. is a dot, not any character');
  t.same(await hosts('*'), ['a.b*c?d[e]'], '* is a star');
  t.same(await hosts('?'), ['a.b*c?d[e]'], '? is a question mark');
  t.same(await hosts('[e]'), ['a.b*c?d[e]'], 'brackets are brackets');
  t.same(await hosts('%'), ['x%y_z'], '% is no SQL wildcard');
  t.same(await hosts('_'), ['x%y_z'], '_ is no SQL wildcard');
  t.same(await hosts(')+p'), ['(paren)+plus'], 'parentheses and plus');
  t.same(await hosts('\\'), ['back\\slash'], 'a backslash');
  t.same(await hosts('^'), ['^caret$'], 'a caret is no anchor');
  t.same(await hosts('$'), ['^caret$'], 'a dollar is no anchor');
  t.same(await hosts('üNÏCODE'), ['Ünïcode-Straße'], 'unicode, case-insensitive');
  t.same(await hosts('スイッチ'), ['日本-スイッチ-1'], 'CJK');
  t.same(await hosts('🛰'), ['emoji-🛰-sat'], 'a character beyond the BMP');
  t.same(await hosts('qsn'), [...HOSTS].sort(), 'the serial, case-insensitive');
  t.same(await hosts('C9300'), [...HOSTS].sort(), 'the PID');
  t.same(await hosts('x'.repeat(256)), [], 'the longest query allowed matches nothing here');
  const long = await control(sat.socketPath, 'GET', `/api/devices?q=${'a'.repeat(1000)}`);
  t.match(long, { status: 400, body: { error: { code: 'INVALID_REQUEST' } } }, 'a 1,000-character query is refused, naming the parameter');
  t.match(JSON.stringify(long.body), /q/);
});

t.test('?via= filters by how the device came, with every sort and both directions', async (t) => {
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath, { maxUses: 100 });
  for (let i = 0; i < 7; i++) await registerDevice(sat.device, token, `VIA${i}`);
  t.equal((await all(sat.socketPath, '/api/devices?via=token&limit=3')).length, 7, 'all seven came with a token');
  t.same(await all(sat.socketPath, '/api/devices?via=policy'), [], 'none by policy');
  t.same(await all(sat.socketPath, '/api/devices?via=collector&state=registered'), [], 'none by the collector');
  t.equal((await control(sat.socketPath, 'GET', '/api/devices?via=carrier-pigeon')).status, 400, 'an unknown via is refused');
  for (const sort of ['id', '-id', 'hostname', '-hostname', 'registeredAt', '-registeredAt', 'lastReportAt', '-lastReportAt']) {
    const paged = (await all(sat.socketPath, `/api/devices?via=token&sort=${sort}&limit=2`)).map((d) => d.id);
    const whole = (await all(sat.socketPath, `/api/devices?sort=${sort}&limit=100`)).map((d) => d.id);
    t.same(paged, whole, `${sort}: paged by 2 with the filter as in one page without`);
  }
});

t.test('indexes missing or wrong at start are rebuilt in the background, with a log line, lists answering the same', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const socket = path.join(dataDir, 'outpost.sock');
  let d = await startDaemon(t, daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'info' }));
  const { token } = await createToken(socket, { maxUses: 1000 });
  for (let i = 0; i < 120; i++) {
    const reg = await registerDevice(d.device, token, `RB${String(i).padStart(3, '0')}`, { hostname: i % 7 === 0 ? undefined : `host-${i % 13}` });
    if (i % 3 === 0) await postReport(d.device, reg.body.credential, report(new Date(Date.now() - 60_000 + i)));
  }
  const views = ['/api/devices?limit=17', '/api/devices?sort=-lastReportAt&limit=9', '/api/devices?sort=hostname&limit=11', '/api/devices?sort=-registeredAt&state=registered&limit=50', '/api/devices?q=host-1&limit=5'];
  const before = await Promise.all(views.map((v) => all(socket, v)));
  t.equal(before[0]!.length, 120);
  d.child.kill('SIGTERM');
  await d.exited;

  // The id index goes, a ghost entry and a wrong counter come.
  const store = new LevelStore(path.join(dataDir, 'db'));
  await store.open();
  const ops: Array<{ type: 'del'; key: string } | { type: 'put'; key: string; value: unknown }> = [];
  for await (const [key] of store.iterate({ ...prefixRange(keys.deviceIndexPrefix('i', '*', '').slice(0, -1)), values: false })) ops.push({ type: 'del', key });
  ops.push({ type: 'put', key: keys.deviceIndexPrefix('l', '*', 'rt') + '\u0000dev_ghost', value: [null, 'P', 'S', ''] });
  for await (const [key] of store.iterate({ ...prefixRange(keys.deviceCountPrefix), limit: 1, values: false })) ops.push({ type: 'put', key, value: 5 });
  await store.batch(ops, { sync: true });
  t.ok(ops.length > 100, `removed ${ops.length - 2} index keys`);
  await store.close();

  d = await startDaemon(t, daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'info' }));
  t.ok(d.output.some((l) => l.includes('rebuilding them in the background')), 'a log line says the rebuild starts');
  const during = await Promise.all(views.map((v) => all(socket, v)));
  t.same(during, before, 'lists asked at once answer as before');
  for (let i = 0; i < 100 && !d.output.some((l) => l.includes('rebuilt the device indexes')); i++) await new Promise((r) => setTimeout(r, 100));
  const done = d.output.find((l) => l.includes('rebuilt the device indexes'));
  t.match(JSON.parse(done ?? '{}'), { devices: 120, ms: Number }, 'a log line with the count and the time when it ends');
  t.same(await Promise.all(views.map((v) => all(socket, v))), before, 'and after');
  const status = await control(socket, 'GET', '/api/status');
  t.match(status.body, { devices: { registered: 120, deregistered: 0 } }, 'the counters are right again');
  d.child.kill('SIGTERM');
  await d.exited;

  const check = new LevelStore(path.join(dataDir, 'db'));
  await check.open();
  const drift = await deviceIndexDrift(check);
  await check.close();
  t.same({ missing: drift.missing, stale: drift.stale, counts: drift.counts }, { missing: [], stale: [], counts: {} }, 'the store holds exactly the entries its devices call for');

  d = await startDaemon(t, daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'info' }));
  t.notOk(d.output.some((l) => l.includes('rebuilding them in the background')), 'the next start finds them sound');
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test("?q='s text column is saved at shutdown and taken back at start; a crash, a changed store or a damaged file make it from the store", async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const socket = path.join(dataDir, 'outpost.sock');
  const file = path.join(dataDir, 'device-search.bin');
  const env = daemonEnv(dataDir, { OUTPOST_LOG_LEVEL: 'info' });
  const ready = async (d: { output: string[] }) => {
    for (let i = 0; i < 100 && !d.output.some((l) => l.includes('device search ready')); i++) await new Promise((r) => setTimeout(r, 50));
    return JSON.parse(d.output.find((l) => l.includes('device search ready')) ?? '{}') as { msg?: string; devices?: number; from?: string };
  };
  const hosts = async (q: string) => (await all(socket, `/api/devices?q=${encodeURIComponent(q)}&limit=4`)).map((x) => x.hostname).sort();

  let d = await startDaemon(t, env);
  const { token } = await createToken(socket, { maxUses: 1000 });
  for (let i = 0; i < 30; i++) t.equal((await registerDevice(d.device, token, `SV${i}`, { hostname: `sv-${i}` })).status, 201);
  t.match(await ready(d), { devices: 0, from: 'store' }, 'a first start makes the column from the (empty) store');
  const sv1 = await hosts('sv-1');
  t.same(sv1, ['sv-1', ...Array.from({ length: 10 }, (_, i) => `sv-1${i}`)].sort(), 'devices registered since start are found');
  d.child.kill('SIGTERM');
  await d.exited;
  t.ok(existsSync(file), 'a graceful shutdown saves the column');
  t.match(JSON.parse(d.output.find((l) => l.includes('device search saved')) ?? '{}'), { msg: 'device search saved for the next start', ms: Number }, 'and says so, with the time it took');
  t.same(readdirSync(dataDir).filter((f) => f.startsWith('.device-search')), [], 'the running column\'s text file was never visible');

  d = await startDaemon(t, env);
  t.match(await ready(d), { devices: 30, from: 'saved', msg: /saved at the last shutdown/ }, 'the next start takes it back');
  t.notOk(existsSync(file), 'and deletes the file');
  t.same(await hosts('sv-1'), sv1, 'answers as before');
  t.equal((await registerDevice(d.device, token, 'SV100', { hostname: 'sv-100' })).status, 201);
  t.same(await hosts('sv-10'), ['sv-10', 'sv-100'], 'and follows new devices');
  d.child.kill('SIGTERM');
  await d.exited;
  const saved = readFileSync(file);

  // A kill -9 leaves no file: the next start reads the store.
  d = await startDaemon(t, env);
  t.match(await ready(d), { from: 'saved' });
  t.equal((await registerDevice(d.device, token, 'SV101', { hostname: 'sv-101' })).status, 201);
  d.child.kill('SIGKILL');
  await d.exited;
  t.notOk(existsSync(file), 'a killed daemon saved nothing');
  d = await startDaemon(t, env);
  t.match(await ready(d), { devices: 32, from: 'store', msg: /none saved/ }, 'after a crash the column is read from the store');
  t.same(await hosts('sv-10'), ['sv-10', 'sv-100', 'sv-101'], 'with the device registered before the crash');
  d.child.kill('SIGTERM');
  await d.exited;

  // The column of an older store (a device registered since): not taken back.
  writeFileSync(file, saved);
  d = await startDaemon(t, env);
  t.match(await ready(d), { devices: 32, from: 'store', msg: /does not match the store/ }, 'a column saved for another state of the store is not used');
  t.same(await hosts('sv-10'), ['sv-10', 'sv-100', 'sv-101']);
  d.child.kill('SIGTERM');
  await d.exited;

  // A damaged column under a matching tag: refused by its checksum.
  const damaged = readFileSync(file);
  damaged[damaged.length - 3]! ^= 0x20;
  writeFileSync(file, damaged);
  d = await startDaemon(t, env);
  t.match(await ready(d), { devices: 32, from: 'store', error: /checksum/, msg: /did not load/ }, 'a damaged file is not used, and the log says why');
  t.same(await hosts('sv-10'), ['sv-10', 'sv-100', 'sv-101']);
  d.child.kill('SIGTERM');
  await d.exited;
});
