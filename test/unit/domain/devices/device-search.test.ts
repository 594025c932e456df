import t from 'tap';
import { DeviceSearch, fold } from '../../../../daemon/domain/devices/device-search.ts';

const all = (s: DeviceSearch, q: string): string[] => {
  const ids: string[] = [];
  s.search(q, (id) => {
    ids.push(id);
  });
  return ids;
};

/** The reference the index must agree with: a plain loop over folded strings. */
const naive = (rows: Map<string, [string | null, string, string]>, q: string): string[] =>
  [...rows].filter(([, [h, p, n]]) => [h ?? '', p, n].some((f) => fold(f).includes(fold(q)))).map(([id]) => id);

t.test('search() finds a case-insensitive substring of hostname, PID or serial, once per device', async (t) => {
  const s = new DeviceSearch();
  s.set('dev_1', 'SW-Core-01.example.com', 'C9300-48P', 'FOC1234X0AB');
  s.set('dev_2', null, 'ISR4451', 'FDO9999');
  s.set('dev_3', 'edge-rtr', 'C9300-24T', 'FOC5555');
  t.equal(s.count, 3);
  t.same(all(s, 'sw-core'), ['dev_1'], 'hostname, mixed case');
  t.same(all(s, 'c9300'), ['dev_1', 'dev_3'], 'PID, in entry order');
  t.same(all(s, 'foc'), ['dev_1', 'dev_3'], 'serial');
  t.same(all(s, 'o'), ['dev_1', 'dev_2', 'dev_3'], 'a device matching in several fields is reported once');
  t.same(all(s, 'dev_'), [], 'the id itself is not searched');
  t.same(all(s, 'nothing'), []);
  t.same(all(s, ''), ['dev_1', 'dev_2', 'dev_3'], 'an empty query matches every device');
});

t.test('a match never spans two fields or two entries', async (t) => {
  const s = new DeviceSearch();
  s.set('a', 'host', 'pid', 'sn');
  s.set('b', 'xy', 'z', 'w');
  t.same(all(s, 'hostpid'), []);
  t.same(all(s, 'snxy'), []);
  t.same(all(s, 'host\u0001pid'), [], 'a separator byte in the query does not join fields');
  t.same(all(s, 'sn\u0000xy'), []);
  t.same(all(s, 'st'), ['a']);
});

t.test('regex and wildcard characters are plain text', async (t) => {
  const s = new DeviceSearch();
  s.set('a', 'sw.01', 'P*1', 'S?N[1]');
  s.set('b', 'swx01', 'P11', 'SAN1');
  s.set('c', 'a%b_c', '(x|y)', '^$\\');
  t.same(all(s, 'sw.01'), ['a'], '. is not any character');
  t.same(all(s, 'p*1'), ['a']);
  t.same(all(s, 's?n[1]'), ['a']);
  t.same(all(s, '.*'), [], '.* is not everything');
  t.same(all(s, '%'), ['c']);
  t.same(all(s, '_'), ['c']);
  t.same(all(s, '(x|y)'), ['c']);
  t.same(all(s, '^$\\'), ['c']);
  t.same(all(s, 'x|y'), ['c']);
});

t.test('a 1,000-character query matches only a field that contains it', async (t) => {
  const s = new DeviceSearch();
  const long = 'ab'.repeat(500);
  s.set('long', `x${long.toUpperCase()}y`, 'p', 's');
  s.set('short', long.slice(0, 999), 'p', 's');
  t.same(all(s, long), ['long']);
  t.same(all(s, `${long}z`), []);
  t.same(all(s, 'x'.repeat(1000)), []);
});

t.test('unicode: query and data fold the same way', async (t) => {
  const s = new DeviceSearch();
  s.set('u1', 'Zürich-ÉTAGE-3', 'PID', 'SN');
  s.set('u2', 'ΣΩΣ', 'p', 's');
  s.set('u3', 'İstanbul', 'p', 's');
  s.set('u4', '东京-交换机', 'p', 's');
  s.set('u5', 'cafe\u0301', 'p', 's'); // decomposed é
  s.set('u6', '😀-host', 'p', 's');
  t.same(all(s, 'ZÜRICH'), ['u1']);
  t.same(all(s, 'étage'), ['u1']);
  t.same(all(s, 'ωσ'), ['u2'], 'final sigma matches sigma');
  t.same(all(s, 'σω'), ['u2']);
  t.same(all(s, 'İST'), ['u3']);
  t.same(all(s, 'istanbul'), [], 'İ lower-cases to i + U+0307: a plain i before "stanbul" does not match (documented)');
  t.same(all(s, '交换'), ['u4']);
  t.same(all(s, 'café'), ['u5'], 'precomposed query, decomposed data (NFC)');
  t.same(all(s, '😀'), ['u6']);
  t.same(all(s, '\ud83d'), [], 'a lone surrogate is not half of an emoji');
  t.same(all(s, 'ü'.normalize('NFD')), ['u1'], 'decomposed query, precomposed data');
});

t.test('control characters in data do not break the layout', async (t) => {
  const s = new DeviceSearch();
  s.set('c1', 'a\u0000b\u0001c\u0002d\u0003e', 'p', 's');
  s.set('c2', 'next', 'p', 's');
  t.same(all(s, 'next'), ['c2']);
  t.same(all(s, 'a\u0000b'), ['c1'], 'the same control character in the query matches (both fold to U+FFFD)');
  t.same(all(s, 'e'), ['c1', 'c2']);
});

t.test('delete() and set() over an existing id', async (t) => {
  const s = new DeviceSearch();
  s.set('a', 'alpha', 'p1', 's1');
  s.set('b', 'beta', 'p2', 's2');
  t.equal(s.delete('a'), true);
  t.equal(s.delete('a'), false, 'twice');
  t.equal(s.delete('zzz'), false, 'never there');
  t.equal(s.count, 1);
  t.notOk(s.has('a'));
  t.same(all(s, 'alpha'), []);
  t.same(all(s, 'p'), ['b']);
  s.set('b', 'gamma', 'p2', 's2'); // same length: in place
  t.same(all(s, 'beta'), []);
  t.same(all(s, 'gamma'), ['b']);
  s.set('b', 'a-much-longer-name', 'p2', 's2'); // moved to the end
  t.same(all(s, 'gamma'), []);
  t.same(all(s, 'much'), ['b']);
  t.equal(s.count, 1);
  s.set('a', 'alpha', 'p1', 's1');
  t.same(all(s, 'alpha'), ['a'], 'a deleted id comes back');
  t.same(all(s, ''), ['b', 'a']);
});

t.test('onMatch returning false stops the search', async (t) => {
  const s = new DeviceSearch();
  for (let i = 0; i < 100; i++) s.set(`d${i}`, `host-${i}`, 'p', 's');
  const seen: string[] = [];
  const n = s.search('host', (id) => seen.push(id) < 10);
  t.equal(n, 10);
  t.same(seen, Array.from({ length: 10 }, (_, i) => `d${i}`));
  t.equal(
    s.search('', () => false),
    1,
  );
});

t.test('many sets, updates and deletes agree with a plain loop (compaction and table growth included)', async (t) => {
  const s = new DeviceSearch();
  const rows = new Map<string, [string | null, string, string]>();
  let seed = 42;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const word = () => ['sw', 'RTR', 'ap', 'Ünï', 'core', 'edge', 'ΣΩ', 'x.y'][rnd(8)]! + rnd(1000);
  const steps = (index: DeviceSearch, count: number) => {
    for (let step = 0; step < count; step++) {
      const id = `dev_${rnd(5000)}`;
      if (rnd(4) === 0) {
        t.equal(index.delete(id), rows.delete(id), `delete ${id}`);
      } else {
        const r: [string | null, string, string] = [rnd(10) === 0 ? null : word(), word(), word()];
        index.set(id, ...r);
        rows.delete(id); // an update moves a device to the end only when its text length changes; compare as sets
        rows.set(id, r);
      }
    }
  };
  const QUERIES = ['sw1', 'rtr', 'ünï', 'σω', 'x.y', '99', 'e', 'nothing', '', 'sw12', 'core5', 'ünï1', 'edge99', 'x.y7'];
  steps(s, 30_000);
  t.equal(s.count, rows.size);
  for (const q of QUERIES) t.same(all(s, q).sort(), naive(rows, q).sort(), `q=${q}`);
  const back = DeviceSearch.fromBuffer(s.toBuffer());
  t.equal(back.count, rows.size);
  for (const q of QUERIES) t.same(all(back, q), all(s, q), `same order after the round trip: q=${q}`);
  // The loaded index (views of the buffer) takes changes: growth out of the views, compaction.
  steps(back, 20_000);
  t.equal(back.count, rows.size);
  for (const q of QUERIES) t.same(all(back, q).sort(), naive(rows, q).sort(), `after more changes: q=${q}`);
});

t.test('a rare needle looks only into the blocks whose signature holds its trigrams', async (t) => {
  const s = new DeviceSearch();
  const n = 100_000;
  const pids = ['C9300-24P', 'C9300-48P', 'ISR4451-X', 'IR1101-K9', 'C9200L-24T'];
  for (let i = 0; i < n; i++) s.set(`dev_${i}`, `sw-${i}.site${i % 100}.example.net`, pids[i % pids.length]!, `FOC${String(i).padStart(8, '0')}`);
  const ids = all(s, 'sw-4242');
  t.same(ids, ['dev_4242', ...Array.from({ length: 10 }, (_, k) => `dev_${42420 + k}`)]);
  t.ok(s.lastLooked < n / 100, `${s.lastLooked} of ${n} entries looked at`);
  t.same(all(s, 'foc00077777'), ['dev_77777']);
  t.ok(s.lastLooked < n / 50, `${s.lastLooked} of ${n} entries looked at`);
  // A block's signature keeps the bits of text it no longer holds: looked at, never matched.
  s.set('dev_77', 'qqqq-zzzz', 'P', 'S');
  t.same(all(s, 'qqqq-zzzz'), ['dev_77']);
  s.set('dev_77', 'renamed', 'P', 'S');
  t.same(all(s, 'qqqq-zzzz'), []);
  t.ok(s.lastLooked > 0, 'the stale bits still send the search into a block');
  t.same(all(s, 'renamed'), ['dev_77'], 'an entry moved to the end is found in its new block');
  // A compaction (deleted entries a quarter of all) rebuilds the blocks from what they hold.
  for (let i = 50_000; i < n; i++) s.delete(`dev_${i}`);
  t.same(all(s, 'sw-4242'), ids);
  t.same(all(s, 'qqqq-zzzz'), []);
  t.equal(s.lastLooked, 0, 'after the compaction no block holds the old hostname');
});

t.test('a short needle scans the text a piece (1 MiB) at a time: nothing lost or reported twice across pieces', async (t) => {
  const s = new DeviceSearch();
  const rows = new Map<string, [string | null, string, string]>();
  let seed = 5;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const chars = 'abcxyz-.0123456789';
  const word = (n: number) => Array.from({ length: n }, () => chars[rnd(chars.length)]).join('');
  for (let i = 0; i < 60_000; i++) {
    const r: [string | null, string, string] = [word(10 + rnd(30)), word(8), word(11)];
    rows.set(`d${i}`, r);
    s.set(`d${i}`, ...r);
  }
  for (let i = 0; i < 60_000; i += 7) {
    s.delete(`d${i}`);
    rows.delete(`d${i}`);
  }
  for (const q of ['a', 'zz', 'x-9', '.', '-.-', 'q']) t.same(all(s, q), naive(rows, q), `q=${q}`);
});

t.test('saved clustered: the same answers, in order of text, and a rare name looks into far fewer entries', async (t) => {
  const s = new DeviceSearch();
  const rows = new Map<string, [string | null, string, string]>();
  const n = 60_000;
  // Inserted in a random order (as a fill in id order is), so blocks hold unrelated names.
  const perm = Array.from({ length: n }, (_, i) => i);
  let seed = 3;
  const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
  for (let i = n - 1; i > 0; i--) {
    const j = rnd(i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  for (const i of perm) {
    const r: [string | null, string, string] = [`sw-${i}.site${i % 97}.example.net`, ['C9300-48P', 'IR1101-K9'][i % 2]!, `FOC${(i * 7919) % 100_000}`];
    rows.set(`dev_${i}`, r);
    s.set(`dev_${i}`, ...r);
  }
  for (let i = 0; i < n; i += 5) {
    s.delete(`dev_${i}`);
    rows.delete(`dev_${i}`);
  }
  const c = DeviceSearch.fromBuffer(Buffer.concat([...s.save({ clustered: true })]));
  t.equal(c.count, rows.size);
  for (const q of ['sw-4242', 'site9.', 'foc123', 'ir1101', 'x', 'nothing']) t.same(all(c, q).sort(), naive(rows, q).sort(), `q=${q}`);
  const hosts = all(c, 'sw-1').map((id) => rows.get(id)![0]!);
  t.ok(hosts.length > 1000 && hosts.every((h, i) => i === 0 || hosts[i - 1]!.slice(0, 12) <= h.slice(0, 12)), 'in order of their text (its first 12 bytes)');
  all(s, 'sw-4242');
  const before = s.lastLooked;
  all(c, 'sw-4242');
  t.ok(c.lastLooked * 4 < before, `looked at ${c.lastLooked} entries clustered, ${before} as inserted`);
});

t.test('toBuffer() / fromBuffer() round trip, and refusals', async (t) => {
  const s = new DeviceSearch();
  s.set('a', 'alpha', 'p1', 's1');
  s.set('b', 'Bëta', 'p2', 's2');
  s.set('c', null, 'p3', 's3');
  s.delete('a');
  const buf = s.toBuffer();
  const back = DeviceSearch.fromBuffer(Buffer.from(buf)); // it takes the buffer over: changes write into it
  t.equal(back.count, 2);
  t.same(all(back, 'bë'), ['b']);
  t.same(all(back, 'p'), ['b', 'c']);
  back.set('d', 'delta', 'p4', 's4');
  t.ok(back.delete('b'));
  t.same(all(back, 'p'), ['c', 'd'], 'the loaded index takes changes');
  t.same(all(DeviceSearch.fromBuffer(new DeviceSearch().toBuffer()), ''), [], 'an empty index');
  const inArray = new Uint8Array(buf.length + 7);
  inArray.set(buf, 7);
  t.equal(DeviceSearch.fromBuffer(inArray.subarray(7)).count, 2, 'a view at an offset');

  t.throws(() => DeviceSearch.fromBuffer(Buffer.from('hello')), /not a device search index/);
  t.throws(() => DeviceSearch.fromBuffer(buf.subarray(0, buf.length - 1)), /sizes/);
  const flipped = Buffer.from(buf);
  flipped[flipped.length - 1]! ^= 1;
  t.throws(() => DeviceSearch.fromBuffer(flipped), /checksum/);
  const version = Buffer.from(buf);
  version.writeUInt32LE(9, 8);
  t.throws(() => DeviceSearch.fromBuffer(version), /version 9/);
});

t.test('memory per device stays under 80 bytes beyond its text and id (signatures, block signatures, starts, id table, slack)', async (t) => {
  const s = new DeviceSearch();
  const n = 50_000;
  let payload = 0;
  for (let i = 0; i < n; i++) {
    const h = `sw-${i}.campus.example`;
    const p = 'C9300-48P';
    const sn = `FOC${String(i).padStart(8, '0')}`;
    const id = `dev_${String(i).padStart(12, '0')}`;
    payload += h.length + p.length + sn.length + id.length;
    s.set(id, h, p, sn);
  }
  const overhead = (s.byteSize - payload) / n;
  t.ok(overhead < 80, `overhead ${overhead.toFixed(1)} bytes per device beyond its text and id`);
});
