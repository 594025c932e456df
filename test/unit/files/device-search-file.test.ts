// `?q=`'s column with its text in a file (daemon/files/device-search-file.ts): the same answers as
// in memory, nothing left in the data dir, saved and taken back only when the store is unchanged.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { DeviceSearch, fold } from '../../../daemon/domain/devices/device-search.ts';
import { DEVICE_SEARCH_FILE, saveDeviceSearch, scratchText, takeDeviceSearch } from '../../../daemon/files/device-search-file.ts';
import { tempDir } from '../../helpers/tmp.ts';

const all = (s: DeviceSearch, q: string): string[] => {
  const ids: string[] = [];
  s.search(q, (id) => void ids.push(id));
  return ids;
};
const naive = (rows: Map<string, [string | null, string, string]>, q: string): string[] =>
  [...rows].filter(([, [h, p, n]]) => [h ?? '', p, n].some((f) => fold(f).includes(fold(q)))).map(([id]) => id);
const cover = { satelliteId: 'sat_1', sequences: { event: 3, report: 7 } };
const QUERIES = ['sw1', 'rtr', 'ünï', 'x.y', '99', 'e', 'nothing', '', 'sw12', 'core5', 'edge99', 'x.y7'];

function churn(s: DeviceSearch, rows: Map<string, [string | null, string, string]>, steps: number, seed: number): void {
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const word = () => ['sw', 'RTR', 'ap', 'Ünï', 'core', 'edge', 'x.y'][rnd(7)]! + rnd(1000);
  for (let step = 0; step < steps; step++) {
    const id = `dev_${rnd(5000)}`;
    if (rnd(4) === 0) {
      s.delete(id);
      rows.delete(id);
    } else {
      const r: [string | null, string, string] = [rnd(10) === 0 ? null : word(), word(), word()];
      s.set(id, ...r);
      rows.set(id, r);
    }
  }
}

t.test('a column whose text is in an unlinked file answers as a plain loop does, through changes and compactions', async (t) => {
  const dir = tempDir(t);
  const s = new DeviceSearch(scratchText(dir));
  t.same(readdirSync(dir), [], 'the file is unlinked once open');
  const rows = new Map<string, [string | null, string, string]>();
  churn(s, rows, 30_000, 7);
  for (const q of QUERIES) t.same(all(s, q).sort(), naive(rows, q).sort(), `q=${q}`);
  t.ok(s.byteSize < 60 * 5000 + 300_000, `in memory: ${s.byteSize} bytes for ${s.count} devices (no text)`);
  s.close();
});

t.test('saved at shutdown, taken back with its text left in the file; stale or damaged, it is not used; none is left behind', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, DEVICE_SEARCH_FILE);
  const s = new DeviceSearch(scratchText(dir));
  const rows = new Map<string, [string | null, string, string]>();
  churn(s, rows, 20_000, 11);
  t.ok(await saveDeviceSearch(file, cover, s.save()));
  t.notOk(await saveDeviceSearch(path.join(dir, 'other.bin'), cover, null), 'a column not ready saves nothing');
  const saved = readFileSync(file);

  const taken = await takeDeviceSearch(file, cover);
  t.notOk(existsSync(file), 'taking it unlinks it: a crash after leaves no saved column');
  if (typeof taken === 'string') throw new Error(taken);
  const back = DeviceSearch.load(taken.source, taken.textAt);
  for (const q of QUERIES) t.same(all(back, q), all(s, q), `the same answers, in the same order: q=${q}`);
  // The taken column keeps changing, its text written into the taken file.
  churn(back, rows, 20_000, 13);
  for (const q of QUERIES) t.same(all(back, q).sort(), naive(rows, q).sort(), `after more changes: q=${q}`);
  back.close();
  s.close();

  writeFileSync(file, saved);
  t.equal(await takeDeviceSearch(file, { ...cover, sequences: { ...cover.sequences, report: 8 } }), 'stale', 'another state of the store');
  t.notOk(existsSync(file), 'a stale one is deleted too');
  t.equal(await takeDeviceSearch(file, cover), 'missing');

  const damaged = Buffer.from(saved);
  damaged[damaged.length - 100]! ^= 1; // in the text
  writeFileSync(file, damaged);
  const bad = await takeDeviceSearch(file, cover);
  if (typeof bad === 'string') throw new Error(bad);
  t.throws(() => DeviceSearch.load(bad.source, bad.textAt), /checksum/, 'a damaged text is found by the checksum');
  bad.close();
  writeFileSync(file, Buffer.concat([saved.subarray(0, 8), Buffer.from([0, 0, 0, 0])]));
  t.equal(await takeDeviceSearch(file, cover), 'stale', 'a file too short for its header');
  t.same(readdirSync(dir), [], 'nothing left in the data dir');
});
