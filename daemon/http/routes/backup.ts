// GET /api/backup (control socket only): a consistent dump of the database and the key, which
// `outpost backup` writes into a new data dir. One iterator is one snapshot of the database.
import { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Access } from '../../domain/access/roles.ts';
import { KEY_FILE } from '../../files/identity-file.ts';
import type { Store } from '../../store/index.ts';
import type { AdminRouter } from '../admin-app.ts';

export function backupRoutes(deps: { store: Store; dataDir: string; access: Access }) {
  return (router: AdminRouter) => {
    router.get('/api/backup', async (ctx) => {
      deps.access.require(ctx.state.principal, 'backup');
      const key = JSON.parse(await readFile(path.join(deps.dataDir, KEY_FILE), 'utf8')) as unknown;
      const entries = deps.store.iterate({});
      async function* lines() {
        yield JSON.stringify({ format: 'outpost.backup/1', key }) + '\n';
        let chunk = '';
        for await (const [k, v] of entries) {
          chunk += JSON.stringify([k, v]) + '\n';
          if (chunk.length > 65536) {
            yield chunk;
            chunk = '';
          }
        }
        yield chunk;
      }
      ctx.type = 'application/x-ndjson';
      ctx.body = Readable.from(lines());
    });
  };
}
