// GET /api/backup (control socket only): a consistent dump of the database and the key, which
// `outpost backup` writes into a new data dir. One iterator is one snapshot of the database.
import { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Access } from '../../domain/access/roles.ts';
import { KEY_FILE } from '../../files/identity-file.ts';
import type { Store } from '../../store/index.ts';
import type { AdminRouter } from '../admin-app.ts';

/**
 * The collector's secrets key (SPEC §9) travels with the backup when it lives inside the data
 * dir (its path relative to it), so a restored satellite can still poll; outside it, it does not.
 */
async function secretsOf(dataDir: string, file: string | undefined): Promise<{ name: string; key: string } | null> {
  if (!file) return null;
  const rel = path.relative(path.resolve(dataDir), path.resolve(file));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  try {
    return { name: rel, key: (await readFile(file)).toString('base64') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export function backupRoutes(deps: { store: Store; dataDir: string; access: Access; secretsKeyFile?: string }) {
  return (router: AdminRouter) => {
    router.get('/api/backup', async (ctx) => {
      deps.access.require(ctx.state.principal, 'backup');
      const key = JSON.parse(await readFile(path.join(deps.dataDir, KEY_FILE), 'utf8')) as unknown;
      const secrets = await secretsOf(deps.dataDir, deps.secretsKeyFile);
      const entries = deps.store.iterate({});
      async function* lines() {
        yield JSON.stringify({ format: 'outpost.backup/1', key, ...(secrets ? { secrets } : {}) }) + '\n';
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
