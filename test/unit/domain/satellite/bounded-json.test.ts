// Bounded JSON parsing and iterative canonical JSON.
import t from 'tap';
import { nestedDeeperThan, parseBoundedJson } from '../../../../daemon/domain/satellite/bounded-json.ts';
import { canonicalJson } from '../../../../daemon/domain/satellite/ids.ts';
import { OutpostError } from '../../../../daemon/errors.ts';

const nest = (n: number, open = '[', close = ']') => open.repeat(n) + close.repeat(n);

t.test('nestedDeeperThan() counts arrays and objects, not brackets inside strings', async (t) => {
  t.notOk(nestedDeeperThan(nest(64)));
  t.ok(nestedDeeperThan(nest(65)));
  t.notOk(nestedDeeperThan(`{"a":${nest(63)}}`));
  t.ok(nestedDeeperThan(`{"a":${nest(64)}}`));
  t.notOk(nestedDeeperThan(JSON.stringify({ s: '['.repeat(500) + '\\"[[[' })), 'brackets in strings (and escaped quotes) do not count');
  t.notOk(nestedDeeperThan('[' + '[],'.repeat(10_000) + '[]]'), 'width is not depth');
});

t.test('parseBoundedJson() refuses deep and malformed text as INVALID_REQUEST', async (t) => {
  t.same(parseBoundedJson('{"a":[1,{"b":null}]}'), { a: [1, { b: null }] });
  for (const text of [nest(65), nest(4000, '{"a":', '}'), '{', '', 'NaN', "{'a':1}"]) {
    t.throws(() => parseBoundedJson(text), OutpostError, text.slice(0, 20));
    t.throws(() => parseBoundedJson(text), { code: 'INVALID_REQUEST' });
  }
});

t.test('canonicalJson() sorts keys at every depth and survives values nested 100,000 deep', async (t) => {
  const v = { b: [3, { z: 1, a: [true, null, 'x"y'] }], a: { d: 1.5, c: -0, e: 'é\u2028' } };
  t.equal(canonicalJson(v), '{"a":{"c":0,"d":1.5,"e":"é\u2028"},"b":[3,{"a":[true,null,"x\\"y"],"z":1}]}');
  t.equal(canonicalJson([]), '[]');
  t.equal(canonicalJson({}), '{}');
  t.equal(canonicalJson('s'), '"s"');
  t.equal(canonicalJson(JSON.parse('{"__proto__":{"x":1},"constructor":2}')), '{"__proto__":{"x":1},"constructor":2}');
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  const text = canonicalJson(deep);
  t.equal(text.length, 100_000 * 6 + 1);
});
