// The store port's conformance suite: every implementation must pass it.
import type { Test } from 'tap';
import type { Store } from '../../../daemon/store/index.ts';
import { prefixRange } from '../../../daemon/store/index.ts';

export function storeConformance(t: Test, name: string, make: (t: Test) => Promise<Store>): void {
  t.test(`${name}: get of a missing key is undefined`, async (t) => {
    const s = await make(t);
    t.equal(await s.get('nope'), undefined);
    t.equal(s.getSync('nope'), undefined);
  });

  t.test(`${name}: batch puts and deletes atomically, values round-trip as JSON`, async (t) => {
    const s = await make(t);
    await s.batch([
      { type: 'put', key: 'a', value: { n: 1, list: [1, 'x'], nested: { ok: true } } },
      { type: 'put', key: 'b', value: 'text' },
      { type: 'put', key: 'c', value: 3 },
    ], { sync: true });
    t.same(await s.get('a'), { n: 1, list: [1, 'x'], nested: { ok: true } });
    t.same([await s.get('b'), await s.get('c'), await s.get('z')], ['text', 3, undefined]);
    t.same(s.getSync('a'), { n: 1, list: [1, 'x'], nested: { ok: true } }, 'getSync reads the same value on the calling thread');
    await s.batch([{ type: 'del', key: 'b' }, { type: 'put', key: 'c', value: 4 }]);
    t.equal(await s.get('b'), undefined);
    t.equal(await s.get('c'), 4);
    t.equal(s.getSync('b'), undefined, 'getSync sees a delete');
    t.equal(s.getSync('c'), 4);
    await s.batch([]);
  });

  t.test(`${name}: a batch with a value that cannot be encoded writes nothing`, async (t) => {
    const s = await make(t);
    await t.rejects(s.batch([{ type: 'put', key: 'ok', value: 1 }, { type: 'put', key: 'bad', value: 10n }]));
    t.equal(await s.get('ok'), undefined);
    await s.batch([{ type: 'put', key: 'after', value: 2 }], { sync: true });
    t.equal(s.getSync('after'), 2, 'the store still works');
  });

  t.test(`${name}: iterate walks a range in key order, reverse and limited`, async (t) => {
    const s = await make(t);
    await s.batch(['p!3', 'p!1', 'q!1', 'p!2', 'o!9'].map((key) => ({ type: 'put' as const, key, value: key })));
    const keys = async (r: Parameters<Store['iterate']>[0]) => {
      const out: string[] = [];
      for await (const [k] of s.iterate(r)) out.push(k);
      return out;
    };
    t.same(await keys(prefixRange('p!')), ['p!1', 'p!2', 'p!3']);
    t.same(await keys(prefixRange('p!', { reverse: true, limit: 2 })), ['p!3', 'p!2']);
    t.same(await keys({ gt: 'p!1', lte: 'q!1' }), ['p!2', 'p!3', 'q!1']);
    t.same(await keys({}), ['o!9', 'p!1', 'p!2', 'p!3', 'q!1']);
    const bare = [];
    for await (const entry of s.iterate({ ...prefixRange('p!'), values: false })) bare.push(entry);
    t.same(bare, [['p!1', undefined], ['p!2', undefined], ['p!3', undefined]], 'values: false reads keys only');
  });

  t.test(`${name}: an iterator sees the data as it was when it started`, async (t) => {
    const s = await make(t);
    await s.batch([1, 2, 3].map((n) => ({ type: 'put' as const, key: `k!${n}`, value: n })));
    const seen: number[] = [];
    for await (const [, v] of s.iterate<number>(prefixRange('k!'))) {
      if (v === 1) await s.batch([{ type: 'put', key: 'k!4', value: 4 }, { type: 'del', key: 'k!3' }]);
      seen.push(v);
    }
    t.same(seen, [1, 2, 3]);
  });

  t.test(`${name}: chunks walks a range in arrays of at most the size asked, from one view`, async (t) => {
    const s = await make(t);
    await s.batch(Array.from({ length: 7 }, (_, i) => ({ type: 'put' as const, key: `c!${i}`, value: i })));
    const sizes: number[] = [];
    const seen: number[] = [];
    for await (const chunk of s.chunks<number>(prefixRange('c!'), 3)) {
      if (sizes.length === 0) await s.batch([{ type: 'put', key: 'c!9', value: 9 }]);
      sizes.push(chunk.length);
      seen.push(...chunk.map(([, v]) => v));
    }
    t.same(sizes, [3, 3, 1]);
    t.same(seen, [0, 1, 2, 3, 4, 5, 6], 'a put after the start is not seen');
    const limited = [];
    for await (const chunk of s.chunks({ gt: 'c!1', limit: 2 }, 10)) limited.push(...chunk.map(([k]) => k));
    t.same(limited, ['c!2', 'c!3']);
    const firstShort: number[] = [];
    for await (const chunk of s.chunks({ ...prefixRange('c!'), values: false }, 4, 1)) firstShort.push(chunk.length);
    t.same(firstShort, [1, 4, 3], 'a first array of the size asked for it, then of `size`');
  });
}
