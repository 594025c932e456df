// `outpost quarantine list|remove REPORT_ID`: the reports an export set aside (SPEC §7
// `report-quarantined`), through GET and DELETE /api/quarantine.
import type { QuarantineView } from '../domain/exchange/index.ts';
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

export const quarantineList: Verb = {
  async run({ client, out, positionals }) {
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost quarantine list');
    const items: QuarantineView[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: QuarantineView[]; next: string | null } = await client.call('GET', `/api/quarantine?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      cursor = page.next;
    } while (cursor);
    out.result({ items }, (v) =>
      v.items.length === 0
        ? 'no quarantined reports'
        : v.items.map((q) => `${q.reportId}  device ${q.deviceId}  ${q.virtualAccount?.path ?? '-'}  set aside ${q.quarantinedAt}: ${q.reason}`).join('\n'),
    );
  },
};

export const quarantineRemove: Verb = {
  async run({ client, out, positionals }) {
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new CliError('INVALID_REQUEST', 'usage: outpost quarantine remove REPORT_ID');
    await client.call('DELETE', `/api/quarantine/${encodeURIComponent(id)}`);
    out.result({ reportId: id, removed: true }, (v) => `removed quarantined report ${v.reportId}`);
  },
};
