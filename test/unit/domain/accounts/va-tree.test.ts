import t from 'tap';
import { VaTree } from '../../../../daemon/domain/accounts/va-tree.ts';
import type { VirtualAccount } from '../../../../daemon/domain/satellite/records.ts';

const va = (id: string, name: string, parentId: string | null): VirtualAccount => ({ id, name, parentId, tags: {}, createdAt: '2026-01-01T00:00:00Z' });

t.test('paths, lookups by path, depth, within and subtree follow every set and delete', async (t) => {
  const tree = new VaTree();
  tree.set('d', va('d', 'Default', null)).set('e', va('e', 'Eng', 'd')).set('l', va('l', 'Lab', 'e')).set('s', va('s', 'Sales', null));
  t.equal(tree.size, 4);
  t.equal(tree.path('l'), 'Default/Eng/Lab');
  t.equal(tree.byPath('Default/Eng/Lab')?.id, 'l');
  t.equal(tree.byPath('Default/eng/Lab'), undefined, 'paths match as written');
  t.equal(tree.byPath('Lab'), undefined);
  t.equal(tree.depth('l'), 3);
  t.ok(tree.within('l', 'd'));
  t.ok(tree.within('l', 'l'));
  t.notOk(tree.within('d', 'l'));
  t.notOk(tree.within('s', 'd'));
  t.same(tree.subtree('d').sort(), ['d', 'e', 'l']);
  t.same(tree.childIds(null).sort(), ['d', 's']);
  t.equal(tree.siblingNamed('d', 'ENG')?.id, 'e', 'sibling names compare without case');
  t.equal(tree.siblingNamed('d', 'ENG', 'e'), undefined, 'except the VA itself');

  tree.set('e', va('e', 'Engineering', 'd'));
  t.equal(tree.path('l'), 'Default/Engineering/Lab', 'a rename reaches the paths below');
  t.equal(tree.byPath('Default/Eng'), undefined);
  t.equal(tree.byPath('Default/Engineering/Lab')?.id, 'l');

  tree.delete('l');
  t.equal(tree.byPath('Default/Engineering/Lab'), undefined);
  t.same(tree.subtree('e'), ['e']);
  t.equal(tree.path('l'), '');
  t.equal(tree.delete('nope'), false);
  tree.clear();
  t.equal(tree.byPath('Default'), undefined);
});

t.test('1,000 VAs: lookups cost the depth, not the size', async (t) => {
  const tree = new VaTree();
  tree.set('root', va('root', 'Default', null));
  for (let i = 0; i < 1000; i++) tree.set(`v${i}`, va(`v${i}`, `n${i}`, i < 10 ? 'root' : `v${i % 10}`));
  const start = performance.now();
  for (let i = 0; i < 100_000; i++) {
    tree.within(`v${i % 1000}`, 'v3');
    tree.byPath(`Default/n${i % 10}`);
  }
  t.ok(performance.now() - start < 1000, 'well under 10 µs a lookup');
  t.equal(tree.path('v123'), 'Default/n3/n123');
});
