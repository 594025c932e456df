import t from 'tap';
import { BoundedCache } from '../../../../daemon/domain/satellite/bounded-cache.ts';

t.test('BoundedCache keeps the entries used last and drops the least recently used', async (t) => {
  const c = new BoundedCache<string, number>(3);
  c.set('a', 1);
  c.set('b', 2);
  c.set('c', 3);
  t.equal(c.get('a'), 1, 'a is used: now the newest');
  c.set('d', 4);
  t.equal(c.size, 3, 'never more than max');
  t.notOk(c.has('b'), 'b, the least recently used, went');
  t.same([c.get('a'), c.get('c'), c.get('d')], [1, 3, 4]);
  c.set('c', 30);
  c.set('e', 5);
  t.notOk(c.has('a'), 'setting an entry again marks it used');
  t.equal(c.get('c'), 30);
  t.throws(() => new BoundedCache(0), TypeError, 'a cache of nothing is a programming error');
});
