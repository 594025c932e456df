// `outpost import FILE`: applies a cloud response or registration response; says what changed,
// that it was applied before, or why it was refused.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

interface Imported {
  kind: string;
  sequence: number;
  inReplyTo: number;
  alreadyApplied: boolean;
  changes: { acknowledged: number; entitlements: number; revoked: number };
}

export const importVerb: Verb = {
  async run({ client, out, positionals }) {
    if (positionals.length !== 1) throw new CliError('INVALID_REQUEST', 'usage: outpost import FILE');
    const file = path.resolve(positionals[0]!);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (err) {
      throw new CliError('INVALID_REQUEST', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    let r: Imported;
    try {
      r = await client.upload<Imported>('/api/sync/import', 'application/zip', createReadStream(file), size);
    } catch (err) {
      if (err instanceof CliError && err.code !== 'UNAVAILABLE' && err.code !== 'FORBIDDEN') {
        throw new CliError(err.code, `import of ${path.basename(file)} refused (${err.code}): ${err.message}`);
      }
      throw err;
    }
    out.result(r, (v) => {
      const what = v.kind === 'registration-response' ? `registration response ${v.sequence}` : `cloud response ${v.sequence} (answering report ${v.inReplyTo})`;
      if (v.alreadyApplied) return `${what} was applied before; nothing changed`;
      const c = v.changes;
      return [
        `applied ${what}`,
        `  ${c.acknowledged} ${c.acknowledged === 1 ? 'report' : 'reports'} acknowledged`,
        `  ${c.entitlements} entitlement ${c.entitlements === 1 ? 'line' : 'lines'} in the snapshot`,
        `  ${c.revoked} ${c.revoked === 1 ? 'device' : 'devices'} revoked by the cloud`,
      ].join('\n');
    });
  },
};
