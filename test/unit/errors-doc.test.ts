// The error catalogue and its documentation say the same thing.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { ERROR_STATUS } from '../../daemon/errors.ts';

t.test('docs/errors.md lists every code of daemon/errors.ts with its status, and no other', async (t) => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
  t.same(Object.fromEntries([...rows].sort()), Object.fromEntries(Object.entries(ERROR_STATUS).sort()));
});
