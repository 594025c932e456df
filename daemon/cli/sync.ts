// `outpost sync`: one network sync now — the next report out, the cloud's response applied.
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

interface Synced {
  sent: { sequence: number; records: number };
  received: { sequence: number };
  acknowledged: number;
}

export const sync: Verb = {
  async run({ client, out, positionals }) {
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost sync');
    const r = await client.call<Synced>('POST', '/api/sync');
    const n = (count: number, one: string) => `${count} ${one}${count === 1 ? '' : 's'}`;
    out.result(r, (v) => `sent report ${v.sent.sequence} (${n(v.sent.records, 'record')}), applied cloud response ${v.received.sequence}: ${n(v.acknowledged, 'report')} acknowledged`);
  },
};
