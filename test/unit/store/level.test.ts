import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Level } from 'level';
import { LevelStore, StoreLockedError } from '../../../daemon/store/level.ts';
import { MemoryStore } from '../../../daemon/store/memory.ts';
import { LEVEL_OPTIONS } from '../../../daemon/store/level.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { storeConformance } from './conformance.ts';

storeConformance(t, 'LevelStore', async (t) => {
  const s = new LevelStore(path.join(tempDir(t), 'db'));
  await s.open();
  t.teardown(() => s.close());
  return s;
});

storeConformance(t, 'MemoryStore', async () => {
  const s = new MemoryStore();
  await s.open();
  return s;
});

t.test('LevelStore: data survives close and reopen', async (t) => {
  const dir = path.join(tempDir(t), 'db');
  const a = new LevelStore(dir);
  await a.open();
  await a.batch([{ type: 'put', key: 'x', value: { kept: true } }], { sync: true });
  await a.close();
  const b = new LevelStore(dir);
  await b.open();
  t.same(await b.get('x'), { kept: true });
  await b.close();
});

t.test('LevelStore: a second open of the same database is refused as locked', async (t) => {
  const dir = path.join(tempDir(t), 'db');
  const a = new LevelStore(dir);
  await a.open();
  t.teardown(() => a.close());
  // classic-level refuses a second lock even inside one process.
  await t.rejects(new LevelStore(dir).open(), StoreLockedError);
});

t.test('LevelStore: a scan of a database larger than the table cache keeps at most 64 tables mapped', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const dir = path.join(tempDir(t), 'db');
  // ~80 MB that snappy cannot shrink, under random keys, written with the store's options and
  // compacted at once (rather than waiting on the background compaction) into 1 MiB tables.
  const raw = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8', ...LEVEL_OPTIONS });
  const batches = 80;
  for (let b = 0; b < batches; b++) {
    await raw.batch(Array.from({ length: 1000 }, () => ({ type: 'put' as const, key: `k!${randomBytes(8).toString('hex')}`, value: JSON.stringify(randomBytes(700).toString('base64')) })));
  }
  // level's type leaves out classic-level's compactRange, which it has.
  await (raw as unknown as { compactRange(start: string, end: string): Promise<void> }).compactRange('k!', 'k!~');
  await raw.close();
  const tables = async () => (await readdir(dir)).filter((f) => f.endsWith('.ldb')).length;
  t.ok((await tables()) > 64, `the database has ${await tables()} tables`);
  const s = new LevelStore(dir);
  await s.open();
  t.teardown(() => s.close());
  let n = 0;
  for await (const chunk of s.chunks({ gte: 'k!', lt: 'k!~' }, 1000)) n += chunk.length;
  t.equal(n, batches * 1000, 'the scan read every entry');
  const mapped = new Map<string, number>();
  let current: string | null = null;
  for (const line of (await readFile('/proc/self/smaps', 'utf8')).split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) current = head[1]!.startsWith(dir) && head[1]!.endsWith('.ldb') ? head[1]! : null;
    else if (current && line.startsWith('Rss:')) mapped.set(current, (mapped.get(current) ?? 0) + Number(/(\d+)/.exec(line)![1]));
  }
  const residentMb = [...mapped.values()].reduce((a, b) => a + b, 0) / 1024;
  t.ok(mapped.size <= 64, `${mapped.size} tables mapped after the scan, ${residentMb.toFixed(1)} MB of them resident`);
});
