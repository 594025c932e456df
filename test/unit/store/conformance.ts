// The store port's conformance suite: every implementation must pass it.
import type { Test } from 'tap';
import type { Store } from '../../../daemon/store/index.ts';
import { prefixRange } from '../../../daemon/store/index.ts';

export function storeConformance(t: Test, name: string, make: (t: Test) => Promise<Store>): void {
  t.test(`${name}: get of a missing key is undefined`, async (t) => {
    const s = await make(t);
    t.equal(await s.get('nope'), undefined);
    t.same(await s.getMany(['a', 'b']), [undefined, undefined]);
  });

  t.test(`${name}: batch puts and deletes atomically, values round-trip as JSON`, async (t) => {
    const s = await make(t);
    await s.batch([
      { type: 'put', key: 'a', value: { n: 1, list: [1, 'x'], nested: { ok: true } } },
      { type: 'put', key: 'b', value: 'text' },
      { type: 'put', key: 'c', value: 3 },
    ], { sync: true });
    t.same(await s.get('a'), { n: 1, list: [1, 'x'], nested: { ok: true } });
    t.same(await s.getMany(['b', 'c', 'z']), ['text', 3, undefined]);
    await s.batch([{ type: 'del', key: 'b' }, { type: 'put', key: 'c', value: 4 }]);
    t.equal(await s.get('b'), undefined);
    t.equal(await s.get('c'), 4);
    await s.batch([]);
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
}
