// `outpost backup --out DIR`: the daemon streams a snapshot through the socket; this process
// writes it as a new data dir (database and key), which a daemon can start from.
import { mkdir, readdir, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { KEY_FILE } from '../files/identity-file.ts';
import { type BatchOp } from '../store/index.ts';
import { LevelStore } from '../store/level.ts';
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

export const backup: Verb = {
  options: { out: { type: 'string' } },
  async run({ client, out, values }) {
    if (typeof values.out !== 'string') throw new CliError('INVALID_REQUEST', 'backup needs --out DIR');
    const dir = path.resolve(values.out);
    const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw new CliError('INVALID_REQUEST', `cannot use ${dir}: ${err.code}`);
    });
    if (entries.length > 0) throw new CliError('INVALID_REQUEST', `${dir} is not empty; name a new or empty directory`);
    const body = await client.stream('GET', '/api/backup');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const store = new LevelStore(path.join(dir, 'db'));
    await store.open();
    let count = 0;
    let header = false;
    try {
      let ops: BatchOp[] = [];
      for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
        if (!line) continue;
        if (!header) {
          const h = JSON.parse(line) as { format?: string; key?: unknown; secrets?: { name?: unknown; key?: unknown } };
          if (h.format !== 'outpost.backup/1' || !h.key) throw new CliError('INTERNAL', 'the daemon sent an unknown backup format');
          await writeFile(path.join(dir, KEY_FILE), JSON.stringify(h.key, null, 2) + '\n', { mode: 0o600 });
          // The collector's secrets key, when it lives in the data dir: restored targets can still poll.
          const s = h.secrets;
          if (s && typeof s.name === 'string' && typeof s.key === 'string') {
            const file = path.resolve(dir, s.name);
            if (path.relative(dir, file).startsWith('..')) throw new CliError('INTERNAL', 'the daemon sent a secrets key path outside the backup');
            await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
            await writeFile(file, Buffer.from(s.key, 'base64'), { mode: 0o600 });
          }
          header = true;
          continue;
        }
        const [key, value] = JSON.parse(line) as [string, unknown];
        ops.push({ type: 'put', key, value });
        count++;
        if (ops.length >= 1000) {
          await store.batch(ops);
          ops = [];
        }
      }
      await store.batch(ops, { sync: true });
    } finally {
      await store.close();
    }
    if (!header) throw new CliError('INTERNAL', 'the backup stream ended early');
    out.result({ dir, entries: count }, (v) => `backup of ${v.entries} records written to ${v.dir}`);
  },
};
